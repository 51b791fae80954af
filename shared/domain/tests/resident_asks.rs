//! The public form's optional questions (issue 16 item 4, Code 1.3, 3.1): a representative needs
//! the resident's consent; hearing by email needs an email address; what the resident asks for
//! is recorded with the receipt, the adjustments to be reviewed by the acknowledgement's due date.
//! Dates counted by hand: received Friday 5 June 2026, acknowledgement due 5 working days later,
//! Friday 12 June.

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::case::{Actor, NewCase, Rules};
use p3_domain::casefile::{ContactMethod, LetterFormat};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident};
use p3_domain::event::CaseEvent;
use p3_domain::policy::HOUSING;
use p3_domain::resident_asks::{open_with_asks, AsksForm};

fn fields(e: &p3_domain::validation::ValidationErrors) -> Vec<&str> {
    e.errors.iter().map(|f| f.field.as_str()).collect()
}

#[test]
fn a_representative_needs_the_residents_consent() {
    let form = AsksForm {
        representative_name: Some("Ben Resident".into()),
        ..Default::default()
    };
    let e = form.clone().validate(None).unwrap_err();
    assert_eq!(fields(&e), ["representative_consent"]);
    let asks = AsksForm {
        representative_consent: Some(true),
        ..form
    }
    .validate(None)
    .unwrap();
    let rep = asks.representative.unwrap();
    assert_eq!(rep.name, "Ben Resident");
    assert!(
        rep.authorised_copies,
        "consent covers copies of our letters"
    );
}

#[test]
fn a_representatives_details_need_their_name() {
    let e = AsksForm {
        representative_email: Some("ben@example.org".into()),
        representative_consent: Some(true),
        ..Default::default()
    }
    .validate(None)
    .unwrap_err();
    assert_eq!(fields(&e), ["representative_name"]);
}

#[test]
fn hearing_by_email_needs_an_email_address_and_unsaid_is_post_without_one() {
    let e = AsksForm {
        contact_method: Some("email".into()),
        letter_format: Some("gold".into()),
        ..Default::default()
    }
    .validate(None)
    .unwrap_err();
    assert_eq!(fields(&e), ["contact_method", "letter_format"]);
    let asks = AsksForm {
        letter_format: Some("large_print".into()),
        ..Default::default()
    }
    .validate(None)
    .unwrap();
    let contact = asks.contact.unwrap();
    assert_eq!(contact.method, ContactMethod::Post);
    assert_eq!(contact.format, LetterFormat::LargePrint);
}

#[test]
fn nothing_asked_records_only_the_receipt() {
    let asks = AsksForm::default().validate(None).unwrap();
    assert!(asks.is_empty());
}

#[test]
fn what_the_resident_asks_is_recorded_with_the_receipt_and_reviewed_at_acknowledgement() {
    let at: DateTime<Utc> = "2026-06-05T09:00:00Z".parse().unwrap();
    let asks = AsksForm {
        adjustments: Some("Call before visiting".into()),
        contact_method: Some("phone".into()),
        ..Default::default()
    }
    .validate(Some("ada@example.org"))
    .unwrap();
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: ComplaintDetails {
            resident: Resident {
                email: Some("ada@example.org".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Web,
            category: None,
            description: "The lift is broken".into(),
            desired_outcome: None,
            tenure: Default::default(),
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let actor = Actor {
        by: "resident".into(),
        at,
        now: at,
    };
    let case = open_with_asks("CMP-2026-00001", new, asks, &actor, &Rules::default()).unwrap();
    let kinds: Vec<&str> = case.history.iter().map(|r| r.event.name()).collect();
    assert_eq!(
        kinds,
        ["received", "needs_recorded", "contact_preferences_set"]
    );
    let needs = case.needs.unwrap();
    assert_eq!(
        needs.review_on,
        NaiveDate::from_ymd_opt(2026, 6, 12).unwrap()
    );
    assert_eq!(case.contact.method, ContactMethod::Phone);
    assert!(matches!(case.history[0].event, CaseEvent::Received { .. }));
}
