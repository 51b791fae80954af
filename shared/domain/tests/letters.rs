//! Letters to residents, read as a resident would read them: each letter of a real two-stage
//! lifecycle holds the contents the Complaint Handling Code requires, in words. The dates below
//! were counted by hand from domain.md and the England and Wales bank holidays of 2026/27
//! (Christmas Friday 25 December, Boxing Day substitute Monday 28 December, New Year's Day
//! Friday 1 January 2027); clocks went back on Sunday 25 October 2026, so November is GMT.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::alert::{self, AlertAddresses, AlertKind, LetterDelivery, Notice};
use p3_domain::case::{Actor, Case, Command, CommandError, NewCase, Rules};
use p3_domain::casefile::{ContactMethod, ContactPreferences, LetterFormat, SupportNeeds};
use p3_domain::complaint::{Channel, ComplaintDetails, Representative, Resident, Tenure};
use p3_domain::deadline::{self, DeadlineKind, DeadlineStatus, DeadlineStep};
use p3_domain::event::{
    CaseEvent, ExclusionGround, Outcome, PointDecision, PromisedAction, RequestedThrough,
    StageResponse,
};
use p3_domain::letter::{Delivery, Landlord, Letter, LetterKind, Role, Templates};
use p3_domain::service::{letter_email, letter_timers};

static RULES: LazyLock<Rules> = LazyLock::new(Rules::default);

const REF: &str = "CMP-2026-00417";
const IM: &str = "im@p3housing.org.uk";
const REVIEWER: &str = "hts@p3housing.org.uk";
const CONTRACTS: &str = "contracts@p3housing.org.uk";
const NAME: &str = "Ada Lovelace";
const EMAIL: &str = "ada.lovelace@example.org";

const OMBUDSMAN_WORDS: [&str; 4] = [
    "Housing Ombudsman Service",
    "PO Box 152, Liverpool L33 7WQ",
    "0300 111 3000",
    "www.housing-ombudsman.org.uk",
];

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn details(email: Option<&str>, description: &str) -> ComplaintDetails {
    ComplaintDetails {
        resident: Resident {
            name: Some(NAME.into()),
            email: email.map(str::to_string),
            phone: None,
            address: Some("12 Acacia Avenue, Tooting".into()),
            postcode: Some("SW17 0RG".into()),
            tenancy_reference: None,
        },
        representative: None,
        channel: Channel::Web,
        category: Some("damp_and_mould".into()),
        description: description.into(),
        desired_outcome: None,
        tenure: Tenure::LowCostRental,
    }
}

fn open_with(details: ComplaintDetails, service_request: Option<&str>) -> Case {
    let at = t("2026-11-02T10:00:00Z");
    Case::open(
        REF,
        NewCase {
            procedure: "housing".into(),
            complaint: details,
            service_request: service_request.map(str::to_string),
            access_code_hash: None,
            first_contact_resolution: None,
        },
        &Actor {
            by: "officer@p3housing.org.uk".into(),
            at,
            now: at,
        },
        &RULES,
    )
    .unwrap()
}

fn open(email: Option<&str>) -> Case {
    open_with(
        details(
            email,
            "Black mould has covered the back bedroom wall since February",
        ),
        None,
    )
}

fn try_do(case: &Case, command: Command, by: &str, at: &str) -> Result<Case, CommandError> {
    let at = t(at);
    case.execute(
        command,
        &Actor {
            by: by.into(),
            at,
            now: at,
        },
        &RULES,
    )
    .map(|(c, _)| c)
}

fn done(case: &Case, command: Command, by: &str, at: &str) -> Case {
    try_do(case, command, by, at).unwrap_or_else(|e| panic!("{e}"))
}

fn letters(case: &Case) -> Vec<&Letter> {
    case.history
        .iter()
        .filter_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } => Some(letter),
            _ => None,
        })
        .collect()
}

fn last_letter(case: &Case) -> &Letter {
    letters(case).into_iter().last().expect("a letter")
}

fn assert_says(letter: &Letter, words: &[&str]) {
    for w in words {
        assert!(
            letter.text.contains(w),
            "{:?} letter does not say {w:?}:\n{}",
            letter.kind,
            letter.text
        );
    }
}

fn assert_ombudsman(letter: &Letter) {
    assert_says(letter, &OMBUDSMAN_WORDS);
}

fn acknowledge(case: &Case) -> Case {
    done(
        case,
        Command::Acknowledge {
            responsible_for: None,
            not_responsible_for: None,
            investigating_manager: Some(IM.into()),
            reviewer: None,
            complaint_points: vec![
                "Mould in the back bedroom was not treated".into(),
                "Repair visits on 3 and 17 March were missed".into(),
            ],
        },
        "officer@p3housing.org.uk",
        "2026-11-04T11:00:00Z",
    )
}

fn stage1_response() -> StageResponse {
    StageResponse {
        outcome: Outcome::PartlyUpheld,
        summary: "We looked at the repair records and spoke to the contractor.\n\nThe mould was reported twice and not treated.".into(),
        remedy: Some("We apologise for the missed visits.".into()),
        point_decisions: vec![
            PointDecision {
                point: "Mould in the back bedroom was not treated".into(),
                decision: Outcome::Upheld,
                reason: Some("Two reports were closed without a visit".into()),
            },
            PointDecision {
                point: "Repair visits on 3 and 17 March were missed".into(),
                decision: Outcome::NotUpheld,
                reason: Some("The contractor's records show the resident was not at home".into()),
            },
        ],
        actions: vec![PromisedAction {
            description: "Treat the mould and repaint the back bedroom".into(),
            due: d(2026, 12, 4),
            owner: Some(CONTRACTS.into()),
        }],
        compensation_pence: Some(15_000),
        learning: None,
    }
}

/// Received Mon 2 Nov, acknowledged Wed 4 Nov, extended by 5 days Fri 13 Nov, Stage 1 answered
/// Fri 20 Nov.
fn through_stage1(email: Option<&str>) -> Case {
    let c = acknowledge(&open(email));
    let c = done(
        &c,
        Command::Extend {
            working_days: 5,
            reason: "The damp surveyor cannot visit until 18 November".into(),
        },
        IM,
        "2026-11-13T15:00:00Z",
    );
    done(
        &c,
        Command::Respond {
            stage: 1,
            response: stage1_response(),
        },
        IM,
        "2026-11-20T16:00:00Z",
    )
}

/// Then Stage 2: asked Tue 1 Dec, acknowledged Thu 3 Dec, answered Mon 4 Jan 2027.
fn through_stage2(email: Option<&str>) -> Case {
    let c = done(
        &through_stage1(email),
        Command::RequestNextStage {
            reason: Some("The mattress was ruined and nobody has paid for it".into()),
            through: RequestedThrough::Resident,
        },
        "resident",
        "2026-12-01T09:30:00Z",
    );
    let c = done(
        &c,
        Command::Acknowledge {
            responsible_for: None,
            not_responsible_for: None,
            investigating_manager: None,
            reviewer: Some(REVIEWER.into()),
            complaint_points: vec!["The Stage 1 remedy did not cover the mattress".into()],
        },
        "officer@p3housing.org.uk",
        "2026-12-03T10:00:00Z",
    );
    done(
        &c,
        Command::Respond {
            stage: 2,
            response: StageResponse {
                outcome: Outcome::Upheld,
                summary: "The mattress was damaged by the mould we failed to treat.".into(),
                remedy: None,
                point_decisions: vec![PointDecision {
                    point: "The Stage 1 remedy did not cover the mattress".into(),
                    decision: Outcome::Upheld,
                    reason: Some("The mould we failed to treat ruined it".into()),
                }],
                actions: vec![],
                compensation_pence: Some(25_000),
                learning: None,
            },
        },
        REVIEWER,
        "2027-01-04T12:00:00Z",
    )
}

#[test]
fn the_acknowledgement_defines_the_complaint_and_gives_the_dates_to_expect() {
    let c = acknowledge(&open(Some(EMAIL)));
    let l = last_letter(&c);
    assert_eq!(
        (l.kind, l.stage, l.number),
        (LetterKind::Acknowledgement, 1, 1)
    );
    assert_eq!(l.dated, d(2026, 11, 4));
    assert_eq!(l.subject, format!("We have received your complaint {REF}"));
    assert_says(
        l,
        &[
            "Dear Ada Lovelace",
            REF,
            "received your complaint on Monday 2 November 2026",
            "Stage 1",
            "- Mould in the back bedroom was not treated",
            "- Repair visits on 3 and 17 March were missed",
            // Ten working days from receipt (P3's promise).
            "full answer by Monday 16 November 2026",
            "If we need more time, we will write to tell you why",
        ],
    );
    assert_ombudsman(l);
    // The same letter, listed on the case with who it went to and how.
    let rec = c.letters.last().unwrap();
    assert_eq!(rec.number, 1);
    assert_eq!(rec.to.len(), 1);
    assert_eq!(rec.to[0].role, Role::Resident);
    assert_eq!(rec.to[0].delivery, Delivery::Email);
    assert_eq!(rec.to[0].email.as_deref(), Some(EMAIL));
}

#[test]
fn an_extension_letter_gives_the_reason_the_new_date_and_the_ombudsman() {
    let c = acknowledge(&open(Some(EMAIL)));
    let c = done(
        &c,
        Command::Extend {
            working_days: 5,
            reason: "The damp surveyor cannot visit until 18 November".into(),
        },
        IM,
        "2026-11-13T15:00:00Z",
    );
    let l = last_letter(&c);
    assert_eq!(l.kind, LetterKind::Extension);
    assert_says(
        l,
        &[
            "The damp surveyor cannot visit until 18 November",
            "We said we would answer by Monday 16 November 2026",
            // 16 Nov + 5 working days.
            "full answer by Monday 23 November 2026",
        ],
    );
    assert_ombudsman(l);
}

#[test]
fn the_stage1_response_holds_every_part_the_code_requires() {
    let c = through_stage1(Some(EMAIL));
    let l = last_letter(&c);
    assert_eq!((l.kind, l.stage), (LetterKind::StageResponse, 1));
    assert_eq!(l.dated, d(2026, 11, 20));
    assert_says(
        l,
        &[
            // The stage.
            "This letter is our Stage 1 answer to your complaint",
            // The complaint as defined.
            "- Mould in the back bedroom was not treated",
            // The decision, overall and on each point, with the reasons.
            "your complaint is partly upheld",
            "The mould was reported twice and not treated.",
            "Mould in the back bedroom was not treated: upheld. Two reports were closed without a visit",
            "Repair visits on 3 and 17 March were missed: not upheld. The contractor's records show",
            // The remedy: apology, compensation, actions with dates.
            "We apologise for the missed visits.",
            "We are offering you £150.00 in compensation",
            "Treat the mould and repaint the back bedroom: by Friday 4 December 2026",
            // How to escalate and by when: ten working days from Fri 20 Nov.
            "Stage 2 review",
            "Please ask by Friday 4 December 2026",
            "If you ask after that date, we will still look at it",
        ],
    );
    assert_ombudsman(l);
    // The action and the offer are on the case file, to be followed through.
    assert_eq!(c.actions.len(), 1);
    assert_eq!(c.actions[0].owner, CONTRACTS);
    assert_eq!(c.compensation.len(), 1);
    assert_eq!(c.compensation[0].amount_pence, 15_000);
    assert_eq!(c.compensation[0].state(), "offered");
}

#[test]
fn stage2_letters_say_who_reviews_when_and_that_the_answer_is_final() {
    let c = through_stage2(Some(EMAIL));
    let all = letters(&c);
    let kinds: Vec<(LetterKind, u8)> = all.iter().map(|l| (l.kind, l.stage)).collect();
    assert_eq!(
        kinds,
        vec![
            (LetterKind::Acknowledgement, 1),
            (LetterKind::Extension, 1),
            (LetterKind::StageResponse, 1),
            (LetterKind::Acknowledgement, 2),
            (LetterKind::StageResponse, 2),
        ]
    );
    let numbers: Vec<u16> = all.iter().map(|l| l.number).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5]);
    let ack2 = all[3];
    assert_says(
        ack2,
        &[
            "We received your request on Tuesday 1 December 2026",
            "has not worked on your complaint before",
            "it is the last stage",
            "- The Stage 1 remedy did not cover the mattress",
            // Twenty working days from the acknowledgement on Thu 3 Dec, over Christmas, the
            // Boxing Day substitute (Mon 28 Dec) and New Year's Day.
            "full answer by Tuesday 5 January 2027",
        ],
    );
    let final_letter = all[4];
    assert_says(
        final_letter,
        &[
            "This letter is our Stage 2 answer",
            "It is our final answer",
            "your complaint is upheld",
            "We are offering you £250.00 in compensation",
            "you can ask the Housing Ombudsman to look at your complaint",
        ],
    );
    assert_ombudsman(final_letter);
    assert!(
        !final_letter.text.contains("Please ask by"),
        "no further stage to ask for:\n{}",
        final_letter.text
    );
}

#[test]
fn a_refusal_letter_gives_the_ground_the_explanation_and_the_ombudsman() {
    let c = done(
        &open(Some(EMAIL)),
        Command::Refuse {
            ground: ExclusionGround::Over12Months,
            explanation: "You first told us about the leak in March 2024.".into(),
        },
        "hts@p3housing.org.uk",
        "2026-11-03T10:00:00Z",
    );
    let l = last_letter(&c);
    assert_eq!(l.kind, LetterKind::Refusal);
    assert_eq!(l.subject, format!("We cannot take on your complaint {REF}"));
    assert_says(
        l,
        &[
            "more than 12 months before you complained",
            "You first told us about the leak in March 2024.",
            "You can ask the Housing Ombudsman to look at our decision",
        ],
    );
    assert_ombudsman(l);
}

#[test]
fn a_service_request_raised_as_a_complaint_is_confirmed_in_writing() {
    let c = open_with(
        details(
            Some(EMAIL),
            "The boiler repair has been waiting for six weeks",
        ),
        Some("SR-2026-00031"),
    );
    let l = last_letter(&c);
    assert_eq!(l.kind, LetterKind::ServiceRequestComplaint);
    assert_says(
        l,
        &[
            "not happy with how we have dealt with your request SR-2026-00031",
            "Your complaint number is CMP-2026-00417",
            "The complaint does not stop that work",
            "By Monday 9 November 2026 we will write to you",
            "full answer by Monday 16 November 2026",
        ],
    );
    assert_ombudsman(l);
}

#[test]
fn a_resident_with_no_email_gets_every_letter_on_the_case_for_posting() {
    let c = through_stage2(None);
    assert_eq!(letters(&c).len(), 5);
    for l in letters(&c) {
        assert_eq!(l.to.len(), 1);
        assert_eq!(l.to[0].delivery, Delivery::Post, "{:?}", l.kind);
        assert_eq!(
            l.to[0].address.as_deref(),
            Some("12 Acacia Avenue, Tooting\nSW17 0RG")
        );
        assert!(l.to[0].email.is_none());
        assert!(l.text.contains("Dear Ada Lovelace"));
    }
    // Nothing to email: no letter timers.
    assert!(letter_timers(&c, t("2027-01-04T12:00:00Z")).is_empty());
}

#[test]
fn letters_by_email_are_queued_once_per_copy_and_the_email_is_the_letter() {
    let c = through_stage1(Some(EMAIL));
    let now = t("2026-11-20T16:00:00Z");
    let timers = letter_timers(&c, now);
    // Only letters issued in the last seven days are (re)queued: the response of 20 Nov; the
    // extension went at 15:00 on 13 Nov, seven days and an hour before.
    let ids: Vec<String> = timers.iter().map(|t| t.alert.id()).collect();
    assert_eq!(ids, vec![format!("{REF}.letter3.copy1")]);
    let ids: Vec<String> = letter_timers(&c, t("2026-11-20T14:30:00Z"))
        .iter()
        .map(|t| t.alert.id())
        .collect();
    assert_eq!(
        ids,
        vec![
            format!("{REF}.letter2.copy1"),
            format!("{REF}.letter3.copy1")
        ]
    );
    let Notice::Letter(delivery) = &timers[0].alert else {
        panic!("a letter timer")
    };
    let email = letter_email(&c, delivery, "P3 Housing").unwrap();
    assert_eq!(email.to, vec![EMAIL.to_string()]);
    assert_eq!(
        email.subject,
        format!("Our Stage 1 answer to your complaint {REF}")
    );
    assert!(email.body.contains("Please ask by Friday 4 December 2026"));
    assert!(email.body.contains("Dated 20 November 2026"));
    // No such letter or copy: nothing to send.
    let missing = LetterDelivery {
        reference: REF.into(),
        letter: 9,
        copy: 0,
    };
    assert!(letter_email(&c, &missing, "P3 Housing").is_none());
}

#[test]
fn a_resident_who_asked_for_post_gets_no_email_and_large_print_is_flagged() {
    let c = done(
        &open(Some(EMAIL)),
        Command::SetContactPreferences(ContactPreferences {
            method: ContactMethod::Post,
            format: LetterFormat::Braille,
            language: Some("Polish".into()),
        }),
        "officer@p3housing.org.uk",
        "2026-11-03T09:00:00Z",
    );
    let c = acknowledge(&c);
    let l = last_letter(&c);
    assert_eq!(l.to[0].delivery, Delivery::Post);
    assert!(l.to[0].email.is_none());
    assert_eq!(l.format, LetterFormat::Braille);
    assert!(l.production_notes.iter().any(|n| n.contains("Braille")));
    assert!(l.production_notes.iter().any(|n| n.contains("Polish")));
    assert!(letter_timers(&c, t("2026-11-04T11:00:00Z")).is_empty());
}

#[test]
fn an_authorised_representative_gets_a_copy_and_an_unauthorised_one_does_not() {
    let rep = |authorised| Representative {
        name: "Councillor Grace Hopper".into(),
        relationship: Some("councillor".into()),
        email: Some("cllr.hopper@example.gov.uk".into()),
        address: None,
        authorised_copies: authorised,
    };
    let c = done(
        &open(Some(EMAIL)),
        Command::SetRepresentative(Some(rep(false))),
        "officer@p3housing.org.uk",
        "2026-11-03T09:00:00Z",
    );
    assert_eq!(last_letter(&acknowledge(&c)).to.len(), 1);
    let c = done(
        &c,
        Command::SetRepresentative(Some(rep(true))),
        "officer@p3housing.org.uk",
        "2026-11-03T09:05:00Z",
    );
    let c = acknowledge(&c);
    let l = last_letter(&c);
    assert_eq!(l.to.len(), 2);
    assert_eq!(l.to[1].role, Role::Representative);
    assert_eq!(l.to[1].email.as_deref(), Some("cllr.hopper@example.gov.uk"));
    let timers = letter_timers(&c, t("2026-11-04T11:00:00Z"));
    assert_eq!(timers.len(), 2, "one email per copy");
    let Notice::Letter(copy) = &timers[1].alert else {
        panic!()
    };
    let email = letter_email(&c, copy, "P3 Housing").unwrap();
    assert_eq!(email.to, vec!["cllr.hopper@example.gov.uk".to_string()]);
    assert!(email
        .body
        .starts_with("You are receiving this copy because Ada Lovelace authorised P3 Housing"));
}

#[test]
fn html_and_formulas_a_resident_typed_are_inert_in_letters_and_emails() {
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> =HYPERLINK(\"http://evil.example\",\"click\")";
    let c = open_with(details(Some(EMAIL), hostile), Some("SR-2026-00031"));
    let c = done(
        &c,
        Command::Acknowledge {
            responsible_for: None,
            not_responsible_for: None,
            investigating_manager: Some(IM.into()),
            reviewer: None,
            complaint_points: vec!["<b>bold</b> & \"quoted\"".into()],
        },
        "officer@p3housing.org.uk",
        "2026-11-04T11:00:00Z",
    );
    for l in letters(&c) {
        assert!(!l.html.contains("<script"), "{}", l.html);
        assert!(!l.html.contains("<img"), "{}", l.html);
        assert!(!l.html.contains("<b>"), "{}", l.html);
    }
    let ack = last_letter(&c);
    assert!(
        ack.html
            .contains("&lt;b&gt;bold&lt;&#x2f;b&gt; &amp; &quot;quoted&quot;"),
        "{}",
        ack.html
    );
    // The plain-text email shows what was typed, as text.
    assert!(
        ack.text.contains("- <b>bold</b> & \"quoted\""),
        "{}",
        ack.text
    );
}

#[test]
fn a_promised_action_past_its_date_raises_its_alert_to_its_owner_until_done() {
    let c = through_stage1(Some(EMAIL));
    let policy = RULES.policy_of(&c).unwrap();
    let action = DeadlineKind::new(1, DeadlineStep::Action(1));
    // Mon 7 Dec: the action was due Fri 4 Dec and is not done.
    let today = d(2026, 12, 7);
    let dls = deadline::deadlines(&c, policy, &RULES.calendar, today);
    let dl = dls.iter().find(|x| x.kind == action).unwrap();
    assert_eq!(
        (dl.due, dl.status),
        (d(2026, 12, 4), DeadlineStatus::Breached)
    );
    let plan = alert::plan(REF, &dls, &RULES.calendar);
    let breach = plan
        .iter()
        .find(|a| a.deadline == action && a.kind == AlertKind::Breach)
        .expect("a breach alert for the action");
    // 09:00 on the next working day after Fri 4 Dec.
    assert_eq!(breach.at, t("2026-12-07T09:00:00Z"));
    let email = alert::render(
        &c,
        breach,
        &AlertAddresses::default(),
        &RULES.calendar,
        t("2026-12-07T09:00:00Z"),
        "http://localhost/staff/cases/CMP-2026-00417",
        "P3 Housing",
    );
    assert_eq!(
        email.to,
        vec![
            CONTRACTS.to_string(),
            AlertAddresses::default().head_of_tenant_services
        ]
    );
    assert!(email.subject.contains("Action 1"), "{}", email.subject);
    // The reminder went two working days before: Wed 2 Dec at 09:00.
    assert!(plan.iter().any(|a| a.deadline == action
        && a.kind == AlertKind::Reminder
        && a.at == t("2026-12-02T09:00:00Z")));

    // Done on Tue 8 Dec: met late, and no more alerts for it.
    let c = done(
        &c,
        Command::CompleteAction {
            action: 1,
            note: "Mould treated and room repainted; photos on file".into(),
        },
        CONTRACTS,
        "2026-12-08T14:00:00Z",
    );
    let dls = deadline::deadlines(&c, policy, &RULES.calendar, d(2026, 12, 8));
    assert_eq!(
        dls.iter().find(|x| x.kind == action).unwrap().status,
        DeadlineStatus::MetLate
    );
    assert!(!alert::plan(REF, &dls, &RULES.calendar)
        .iter()
        .any(|a| a.deadline == action));
    // Done once only.
    assert!(matches!(
        try_do(
            &c,
            Command::CompleteAction {
                action: 1,
                note: "again".into()
            },
            CONTRACTS,
            "2026-12-08T15:00:00Z"
        ),
        Err(CommandError::NotAllowed(_))
    ));
}

#[test]
fn ombudsman_orders_come_after_the_determination_and_are_tracked_like_actions() {
    let c = through_stage2(Some(EMAIL));
    let order = Command::OmbudsmanOrder {
        description: "Pay £300 for distress and inconvenience".into(),
        due: d(2027, 3, 1),
        owner: REVIEWER.into(),
    };
    assert!(matches!(
        try_do(&c, order.clone(), REVIEWER, "2027-02-01T10:00:00Z"),
        Err(CommandError::NotAllowed(_))
    ));
    let c = done(
        &c,
        Command::Ombudsman {
            determination: false,
            detail: "Referred by the resident".into(),
        },
        REVIEWER,
        "2027-01-20T10:00:00Z",
    );
    let c = done(
        &c,
        Command::Ombudsman {
            determination: true,
            detail: "Maladministration in the handling of the repair".into(),
        },
        REVIEWER,
        "2027-02-01T10:00:00Z",
    );
    let c = done(&c, order, REVIEWER, "2027-02-01T10:05:00Z");
    let a = c.actions.last().unwrap();
    assert_eq!(a.number, 2, "orders share the actions' numbering");
    assert_eq!(a.owner, REVIEWER);
    let dls = deadline::deadlines(
        &c,
        RULES.policy_of(&c).unwrap(),
        &RULES.calendar,
        d(2027, 3, 2),
    );
    let dl = dls
        .iter()
        .find(|x| x.kind.step == DeadlineStep::Action(2))
        .unwrap();
    assert_eq!(dl.status, DeadlineStatus::Breached);
    // Its breach alert names it as the Ombudsman's order, to its owner.
    let plan = alert::plan(REF, &dls, &RULES.calendar);
    let breach = plan
        .iter()
        .find(|a| a.deadline.step == DeadlineStep::Action(2) && a.kind == AlertKind::Breach)
        .unwrap();
    let email = alert::render(
        &c,
        breach,
        &AlertAddresses::default(),
        &RULES.calendar,
        t("2027-03-02T09:00:00Z"),
        "http://localhost/staff/cases/CMP-2026-00417",
        "P3 Housing",
    );
    assert!(
        email.subject.contains("Ombudsman order (action 2)"),
        "{}",
        email.subject
    );
    assert_eq!(email.to[0], REVIEWER);
}

#[test]
fn compensation_goes_from_offer_to_acceptance_to_payment_in_that_order() {
    let c = through_stage1(Some(EMAIL));
    let pay = Command::PayCompensation {
        offer: 1,
        payment_reference: Some("BACS-7781".into()),
    };
    assert!(matches!(
        try_do(&c, pay.clone(), REVIEWER, "2026-11-23T10:00:00Z"),
        Err(CommandError::NotAllowed(_))
    ));
    let c = done(
        &c,
        Command::AnswerCompensation {
            offer: 1,
            accepted: true,
        },
        "officer@p3housing.org.uk",
        "2026-11-23T10:00:00Z",
    );
    let c = done(&c, pay, REVIEWER, "2026-11-25T10:00:00Z");
    assert_eq!(c.compensation[0].state(), "paid");
    assert!(matches!(
        try_do(
            &c,
            Command::AnswerCompensation {
                offer: 7,
                accepted: true
            },
            REVIEWER,
            "2026-11-25T11:00:00Z"
        ),
        Err(CommandError::Invalid(e)) if e.message_for("offer").is_some()
    ));
}

#[test]
fn needs_are_recorded_only_with_consent_and_points_revisions_are_all_kept() {
    let c = acknowledge(&open(Some(EMAIL)));
    let needs = |consent| {
        Command::RecordNeeds(SupportNeeds {
            vulnerabilities: Some("Asthma made worse by the mould".into()),
            adjustments: "Call before any visit; no visits before 10am".into(),
            consent,
            review_on: d(2027, 5, 4),
        })
    };
    assert!(matches!(
        try_do(&c, needs(false), "officer@p3housing.org.uk", "2026-11-05T10:00:00Z"),
        Err(CommandError::Invalid(e)) if e.message_for("consent").is_some()
    ));
    let c = done(
        &c,
        needs(true),
        "officer@p3housing.org.uk",
        "2026-11-05T10:00:00Z",
    );
    assert_eq!(c.needs.as_ref().unwrap().review_on, d(2027, 5, 4));

    let revise = |points: Vec<&str>, reason: &str| Command::RevisePoints {
        complaint_points: points.into_iter().map(str::to_string).collect(),
        reason: reason.into(),
    };
    let c = done(
        &c,
        revise(
            vec!["Mould not treated", "Visits missed", "Mattress ruined"],
            "Resident added the mattress on the phone",
        ),
        IM,
        "2026-11-06T10:00:00Z",
    );
    let c = done(
        &c,
        revise(
            vec!["Mould not treated", "Mattress ruined"],
            "Visits were kept: resident agreed",
        ),
        IM,
        "2026-11-09T10:00:00Z",
    );
    let s1 = c.stage(1).unwrap();
    assert_eq!(
        s1.acknowledgement.as_ref().unwrap().complaint_points,
        vec!["Mould not treated", "Mattress ruined"]
    );
    assert_eq!(s1.point_revisions.len(), 2);
    assert_eq!(s1.point_revisions[0].before.len(), 2);
    assert_eq!(s1.point_revisions[1].before.len(), 3);
    assert_eq!(s1.point_revisions[1].by, IM);
}

#[test]
fn a_stage2_reviewer_cannot_be_replaced_by_someone_who_handled_stage1() {
    let c = through_stage2(Some(EMAIL));
    // Stage 2 already answered: nothing to reassign.
    assert!(try_do(
        &c,
        Command::Reassign {
            handler: "other@p3housing.org.uk".into(),
            reason: "Leave".into()
        },
        REVIEWER,
        "2027-01-05T10:00:00Z"
    )
    .is_err());
    let c = done(
        &through_stage1(Some(EMAIL)),
        Command::RequestNextStage {
            reason: None,
            through: RequestedThrough::Staff,
        },
        "officer@p3housing.org.uk",
        "2026-12-01T09:30:00Z",
    );
    let c = done(
        &c,
        Command::Acknowledge {
            responsible_for: None,
            not_responsible_for: None,
            investigating_manager: None,
            reviewer: Some(REVIEWER.into()),
            complaint_points: vec!["Remedy not enough".into()],
        },
        "officer@p3housing.org.uk",
        "2026-12-03T10:00:00Z",
    );
    assert!(matches!(
        try_do(&c, Command::Reassign { handler: IM.into(), reason: "Cover".into() }, REVIEWER, "2026-12-04T10:00:00Z"),
        Err(CommandError::Invalid(e)) if e.message_for("handler").is_some()
    ));
    let c = done(
        &c,
        Command::Reassign {
            handler: "director@p3housing.org.uk".into(),
            reason: "The Head of Tenant Services is on leave".into(),
        },
        REVIEWER,
        "2026-12-04T10:00:00Z",
    );
    assert_eq!(c.reviewer(), Some("director@p3housing.org.uk"));
    let r = &c.stage(2).unwrap().reassignments[0];
    assert_eq!(
        (r.from.as_str(), r.to.as_str()),
        (REVIEWER, "director@p3housing.org.uk")
    );
}

#[test]
fn a_template_that_cannot_render_is_refused_when_loaded_naming_it() {
    let landlord = Landlord::default();
    let load =
        |name: &str, src: &str| Templates::load([(name.to_string(), src.to_string())], &landlord);
    // An unknown value.
    let e = load("extension", "Subject\n---\n<p>\n{{ no_such_value }}</p>").unwrap_err();
    assert_eq!(e.template, "extension");
    // The line in the file: the subject, `---`, then the letter's second line.
    assert!(e.message.ends_with("(line 4)"), "{}", e.message);
    // Broken syntax, with its line.
    let e = load("refusal", "Subject\n---\n<p>{% if stage %}</p>").unwrap_err();
    assert_eq!(e.template, "refusal");
    assert!(e.message.contains("line"), "{}", e.message);
    // No subject separator.
    assert!(load("acknowledgement", "<p>Dear {{ name }}</p>").is_err());
    // Escaping cannot be switched off.
    assert!(load("acknowledgement", "S\n---\n<p>{{ description|safe }}</p>").is_err());
    assert!(load(
        "acknowledgement",
        "S\n---\n{% autoescape false %}<p>{{ description }}</p>{% endautoescape %}"
    )
    .is_err());
    // An unknown template name.
    assert!(load("apology", "S\n---\n<p>x</p>").is_err());
    // A good replacement is used.
    let good = load(
        "acknowledgement",
        "Complaint {{ reference }} received\n---\n<p>Hello {{ name }}. Answer by {{ response_due }}.</p>",
    )
    .unwrap();
    let rules = Rules {
        letters: p3_domain::letter::Correspondence {
            landlord,
            templates: good,
        },
        ..Rules::default()
    };
    let c = open(Some(EMAIL));
    let at = t("2026-11-04T11:00:00Z");
    let (c, _) = c
        .execute(
            Command::Acknowledge {
                responsible_for: None,
                not_responsible_for: None,
                investigating_manager: Some(IM.into()),
                reviewer: None,
                complaint_points: vec!["Mould".into()],
            },
            &Actor {
                by: "officer@p3housing.org.uk".into(),
                at,
                now: at,
            },
            &rules,
        )
        .unwrap();
    let l = last_letter(&c);
    assert_eq!(l.subject, format!("Complaint {REF} received"));
    assert!(l
        .text
        .starts_with("Hello Ada Lovelace. Answer by Monday 16 November 2026."));
    // The footer is still there.
    assert!(l.text.contains("Yours sincerely"));
}

#[test]
fn the_built_in_templates_pass_their_own_checks() {
    // Loading checks only a landlord's own templates; the built-in ones are checked here, for
    // a landlord with none of the optional details and one with all of them.
    let full = Landlord {
        name: "Riverside Homes".into(),
        phone: Some("0300 123 4567".into()),
        email: Some("complaints@riverside.example".into()),
        address: Some("1 High Street\nLeeds\nLS1 1AA".into()),
        public_url: Some("https://complaints.riverside.example".into()),
    };
    for landlord in [Landlord::default(), full] {
        let templates = Templates::load(Vec::new(), &landlord).unwrap();
        templates.check(&landlord).unwrap();
        assert_eq!(templates, Templates::default());
    }
}

#[test]
fn a_replaced_footer_is_checked_in_every_letter_and_a_broken_one_refused() {
    let landlord = Landlord::default();
    let footer = |src: &str| Templates::load([("footer".to_string(), src.to_string())], &landlord);
    let e = footer("<p>{{ no_such_value }}</p>").unwrap_err();
    assert_eq!(e.template, "footer");
    // A footer that only fails in one kind of letter (a refusal carries `refusal`; the other
    // letters do not) is refused too: the footer is rendered with every kind.
    let e =
        footer("<p>{% if refusal %}{{ refusal.no_such_part }}{% endif %}Yours</p>").unwrap_err();
    assert_eq!(e.template, "footer");
    assert!(footer("<p>Yours sincerely</p>").is_ok());
}
