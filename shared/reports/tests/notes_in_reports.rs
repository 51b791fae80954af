//! A note or a logged piece of correspondence keeps the record; it does not handle the
//! complaint: a closed case is not listed in the month of a note written on it later.

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::case::{Actor, Case, Command, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::correspondence::{CorrespondenceChannel, Direction, NewCorrespondence};
use p3_domain::london::Month;
use p3_domain::policy::HOUSING;
use p3_reports::cases::case_lines;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn act(case: &Case, command: Command, at: &str) -> Case {
    let actor = Actor {
        by: "officer@p3housing.org.uk".into(),
        at: t(at),
        now: t(at),
    };
    case.execute(command, &actor, &Rules::default()).unwrap().0
}

#[test]
fn a_note_on_a_closed_case_does_not_list_it_in_a_later_month() {
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("Ada".into()),
                phone: Some("01632 960001".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Phone,
            category: None,
            description: "The lift is broken".into(),
            desired_outcome: None,
            tenure: Tenure::LowCostRental,
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let actor = Actor {
        by: "officer@p3housing.org.uk".into(),
        at: t("2026-06-01T09:00:00Z"),
        now: t("2026-06-01T09:00:00Z"),
    };
    let case = Case::open("CMP-2026-00001", new, &actor, &Rules::default()).unwrap();
    let case = act(
        &case,
        Command::Withdraw { reason: None },
        "2026-06-02T09:00:00Z",
    );
    let september = Month::of(NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
    let before = case_lines(std::slice::from_ref(&case), september, &Rules::default());
    assert!(
        before.is_empty(),
        "a case withdrawn in June is not September's"
    );
    let case = act(
        &case,
        Command::AddNote {
            text: "Ada rang to say thank you".into(),
            corrects: None,
        },
        "2026-09-10T09:00:00Z",
    );
    let case = act(
        &case,
        Command::LogCorrespondence(NewCorrespondence {
            direction: Direction::Inbound,
            channel: CorrespondenceChannel::Letter,
            summary: "A card from Ada".into(),
            attachments: vec![],
        }),
        "2026-09-11T09:00:00Z",
    );
    let after = case_lines(std::slice::from_ref(&case), september, &Rules::default());
    assert!(after.is_empty(), "a note is not handling the complaint");
    let june = Month::of(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
    assert_eq!(case_lines(&[case], june, &Rules::default()).len(), 1);
}
