//! Keeping the resident informed (Code 5.9, 6.6, 6.17), adjustments reviewed (5.10) and
//! restrictions for unacceptable behaviour (5.14-5.15), on real London dates. Counted by hand:
//! Christmas 2026 is Friday 25 December, Boxing Day's substitute Monday 28 December, New Year's
//! Day Friday 1 January 2027; clocks go back on Sunday 25 October 2026 and forward on Sunday
//! 28 March 2027; Good Friday 2027 is 26 March and Easter Monday 29 March.

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::alert::{self, Alert, AlertAddresses, AlertKind};
use p3_domain::calendar::Calendar;
use p3_domain::case::{Actor, Case, Command, CommandError, NewCase, Rules};
use p3_domain::casefile::SupportNeeds;
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::deadline::{DeadlineKind, DeadlineStep};
use p3_domain::event::{
    CaseEvent, Outcome, PointDecision, PromisedAction, RequestedThrough, StageResponse,
};
use p3_domain::letter::{Letter, LetterKind};
use p3_domain::restriction::ReviewOutcome;
use p3_domain::role::{self, Role};
use p3_domain::updates::{self, UpdateSettings};

const REF: &str = "CMP-2026-00512";
const OFFICER: &str = "officer@p3housing.org.uk";
const IM: &str = "im@p3housing.org.uk";
const HTS: &str = "hts@p3housing.org.uk";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn rules(default_interval: Option<u32>) -> Rules {
    Rules {
        updates: UpdateSettings {
            default_interval_working_days: default_interval,
        },
        ..Rules::default()
    }
}

fn open(at: &str, rules: &Rules) -> Case {
    let at = t(at);
    Case::open(
        REF,
        NewCase {
            procedure: "housing".into(),
            complaint: ComplaintDetails {
                resident: Resident {
                    name: Some("Grace Hopper".into()),
                    email: Some("grace@example.org".into()),
                    phone: None,
                    address: Some("3 Dock Road".into()),
                    postcode: Some("E16 1AA".into()),
                    tenancy_reference: None,
                },
                representative: None,
                channel: Channel::Phone,
                category: Some("repairs".into()),
                description: "The boiler has failed three times since October".into(),
                desired_outcome: None,
                tenure: Tenure::LowCostRental,
            },
            service_request: None,
            access_code_hash: None,
            first_contact_resolution: None,
        },
        &Actor {
            by: OFFICER.into(),
            at,
            now: at,
        },
        rules,
    )
    .unwrap()
}

fn try_do(
    case: &Case,
    c: Command,
    by: &str,
    at: &str,
    rules: &Rules,
) -> Result<Case, CommandError> {
    let at = t(at);
    let actor = Actor {
        by: by.into(),
        at,
        now: at,
    };
    case.execute(c, &actor, rules).map(|(c, _)| c)
}

fn done(case: &Case, c: Command, by: &str, at: &str, rules: &Rules) -> Case {
    try_do(case, c, by, at, rules).unwrap_or_else(|e| panic!("{e}"))
}

fn acknowledge(case: &Case, at: &str, rules: &Rules) -> Case {
    done(
        case,
        Command::Acknowledge {
            investigating_manager: Some(IM.into()),
            reviewer: None,
            complaint_points: vec!["The boiler keeps failing".into()],
            responsible_for: None,
            not_responsible_for: None,
        },
        OFFICER,
        at,
        rules,
    )
}

fn respond(case: &Case, at: &str, actions: Vec<PromisedAction>, rules: &Rules) -> Case {
    done(
        case,
        Command::Respond {
            stage: 1,
            response: StageResponse {
                outcome: Outcome::Upheld,
                summary: "We agree the repairs took too long.".into(),
                remedy: None,
                point_decisions: vec![PointDecision {
                    point: "The boiler keeps failing".into(),
                    decision: Outcome::Upheld,
                    reason: Some("Three failures in a month".into()),
                }],
                actions,
                compensation_pence: None,
                learning: None,
            },
        },
        IM,
        at,
        rules,
    )
}

fn last_letter(case: &Case) -> &Letter {
    case.history
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } => Some(letter),
            _ => None,
        })
        .expect("a letter")
}

fn reminder(case: &Case, step: DeadlineStep, rules: &Rules) -> Option<Alert> {
    alert::reminders(case, rules)
        .into_iter()
        .find(|a| a.deadline.step == step)
}

fn recipients(case: &Case, a: &Alert) -> Vec<String> {
    alert::render(
        case,
        a,
        &AlertAddresses::default(),
        &Calendar::default(),
        a.at,
        "https://staff.example/case",
        "P3 Housing",
    )
    .to
}

#[test]
fn an_update_falls_due_the_agreed_working_days_after_the_acknowledgement_over_christmas() {
    let r = rules(None);
    let case = acknowledge(
        &open("2026-12-14T10:00:00Z", &r),
        "2026-12-16T10:00:00Z",
        &r,
    );
    // No interval agreed and no default: nothing is due.
    assert_eq!(updates::next_update_due(&case, &r), None);
    let case = done(
        &case,
        Command::AgreeUpdateInterval { working_days: 7 },
        OFFICER,
        "2026-12-16T11:00:00Z",
        &r,
    );
    // 17, 18, 21, 22, 23, 24 December, then (past Christmas and Boxing Day's substitute) 29th.
    assert_eq!(updates::next_update_due(&case, &r), Some(d(2026, 12, 29)));
    let a = reminder(&case, DeadlineStep::Update, &r).expect("a reminder");
    assert_eq!(a.kind, AlertKind::DueToday);
    assert_eq!(a.at, t("2026-12-29T09:00:00Z"));
    assert_eq!(a.deadline, DeadlineKind::new(1, DeadlineStep::Update));
    assert_eq!(recipients(&case, &a), [IM]);

    // The update letter restarts the count from its own day: 30, 31 December, 4-8 January.
    let case = done(
        &case,
        Command::SendUpdate {
            message: "The engineer's report is due this week.\n\nWe will then decide.".into(),
        },
        IM,
        "2026-12-29T15:00:00Z",
        &r,
    );
    let l = last_letter(&case);
    assert_eq!(l.kind, LetterKind::Update);
    assert!(
        l.text.contains("The engineer's report is due this week."),
        "{}",
        l.text
    );
    assert!(
        l.text
            .contains("We will update you again by Friday 8 January 2027"),
        "{}",
        l.text
    );
    assert_eq!(updates::next_update_due(&case, &r), Some(d(2027, 1, 8)));

    // Once the stage is answered no update is due, nor any reminder.
    let case = respond(&case, "2027-01-05T10:00:00Z", vec![], &r);
    assert_eq!(updates::next_update_due(&case, &r), None);
    assert!(reminder(&case, DeadlineStep::Update, &r).is_none());
}

#[test]
fn the_default_interval_applies_from_an_acknowledgement_after_midnight_and_the_clocks_going_back() {
    let r = rules(Some(3));
    let case = open("2026-10-19T10:00:00Z", &r);
    // Not yet acknowledged: nothing is due.
    assert_eq!(updates::next_update_due(&case, &r), None);
    // 00:30 BST on Wednesday 21 October is still Tuesday in UTC: counted from Wednesday.
    let case = acknowledge(&case, "2026-10-20T23:30:00Z", &r);
    assert_eq!(updates::next_update_due(&case, &r), Some(d(2026, 10, 26)));
    let a = reminder(&case, DeadlineStep::Update, &r).unwrap();
    // Monday 26 October is GMT: 09:00 London is 09:00 UTC (it was 08:00 UTC the week before).
    assert_eq!(a.at, t("2026-10-26T09:00:00Z"));
    // An agreed interval replaces the default.
    let case = done(
        &case,
        Command::AgreeUpdateInterval { working_days: 10 },
        OFFICER,
        "2026-10-21T09:00:00Z",
        &r,
    );
    assert_eq!(updates::next_update_due(&case, &r), Some(d(2026, 11, 4)));
    // Withdrawn: no more updates are owed.
    let case = done(
        &case,
        Command::Withdraw { reason: None },
        OFFICER,
        "2026-10-22T09:00:00Z",
        &r,
    );
    assert_eq!(updates::next_update_due(&case, &r), None);
}

#[test]
fn an_interval_outside_1_to_60_working_days_and_an_empty_update_are_refused_naming_the_field() {
    let r = rules(None);
    let case = acknowledge(
        &open("2026-11-02T10:00:00Z", &r),
        "2026-11-02T11:00:00Z",
        &r,
    );
    for n in [0, 61] {
        let e = try_do(
            &case,
            Command::AgreeUpdateInterval { working_days: n },
            OFFICER,
            "2026-11-02T12:00:00Z",
            &r,
        )
        .unwrap_err();
        assert!(
            matches!(&e, CommandError::Invalid(v) if v.message_for("working_days").is_some()),
            "{e:?}"
        );
    }
    let e = try_do(
        &case,
        Command::SendUpdate {
            message: "  ".into(),
        },
        OFFICER,
        "2026-11-02T12:00:00Z",
        &r,
    )
    .unwrap_err();
    assert!(
        matches!(&e, CommandError::Invalid(v) if v.message_for("message").is_some()),
        "{e:?}"
    );
    assert_eq!(
        role::needed(
            &case,
            &Command::SendUpdate {
                message: "x".into()
            }
        ),
        Role::Officer
    );
}

fn with_action(r: &Rules) -> Case {
    let case = acknowledge(&open("2026-11-02T10:00:00Z", r), "2026-11-02T11:00:00Z", r);
    respond(
        &case,
        "2026-11-10T10:00:00Z",
        vec![PromisedAction {
            description: "Replace the boiler".into(),
            due: d(2026, 12, 4),
            owner: Some("repairs@p3housing.org.uk".into()),
        }],
        r,
    )
}

#[test]
fn completing_a_promised_action_tells_the_resident_in_an_update_letter() {
    let r = rules(None);
    let case = with_action(&r);
    let letters = case.letters.len();
    let case = done(
        &case,
        Command::CompleteAction {
            action: 1,
            note: "A new boiler was fitted on 1 December.".into(),
        },
        IM,
        "2026-12-01T16:00:00Z",
        &r,
    );
    assert_eq!(case.letters.len(), letters + 1);
    let l = last_letter(&case);
    assert_eq!((l.kind, l.stage), (LetterKind::Update, 1));
    assert!(
        l.subject.contains("We have done what we promised"),
        "{}",
        l.subject
    );
    assert!(l.text.contains("Replace the boiler"), "{}", l.text);
    assert!(
        l.text.contains("A new boiler was fitted on 1 December."),
        "{}",
        l.text
    );
}

#[test]
fn moving_a_promised_action_tells_the_resident_the_old_and_new_dates_and_the_alerts_follow() {
    let r = rules(None);
    let case = with_action(&r);
    let e = try_do(
        &case,
        Command::MoveAction {
            action: 1,
            due: d(2026, 11, 1),
            reason: "Parts".into(),
        },
        IM,
        "2026-11-20T10:00:00Z",
        &r,
    )
    .unwrap_err();
    assert!(
        matches!(&e, CommandError::Invalid(v) if v.message_for("due").is_some()),
        "{e:?}"
    );
    let e = try_do(
        &case,
        Command::MoveAction {
            action: 9,
            due: d(2026, 12, 11),
            reason: "Parts".into(),
        },
        IM,
        "2026-11-20T10:00:00Z",
        &r,
    )
    .unwrap_err();
    assert!(
        matches!(&e, CommandError::Invalid(v) if v.message_for("action").is_some()),
        "{e:?}"
    );
    let case = done(
        &case,
        Command::MoveAction {
            action: 1,
            due: d(2026, 12, 11),
            reason: "The boiler is out of stock until December.".into(),
        },
        IM,
        "2026-11-20T10:00:00Z",
        &r,
    );
    assert_eq!(case.actions[0].due, d(2026, 12, 11));
    let l = last_letter(&case);
    assert_eq!(l.kind, LetterKind::Update);
    for words in [
        "Replace the boiler",
        "We said we would do it by Friday 4 December 2026",
        "We will now do it by Friday 11 December 2026",
        "The boiler is out of stock until December.",
    ] {
        assert!(l.text.contains(words), "{words}: {}", l.text);
    }
    // A second move names the date it moves from: the first move's.
    let case = done(
        &case,
        Command::MoveAction {
            action: 1,
            due: d(2026, 12, 18),
            reason: "Still no stock.".into(),
        },
        IM,
        "2026-11-27T10:00:00Z",
        &r,
    );
    assert!(last_letter(&case)
        .text
        .contains("We said we would do it by Friday 11 December 2026"));
    assert_eq!(
        role::needed(
            &case,
            &Command::MoveAction {
                action: 1,
                due: d(2026, 12, 18),
                reason: "x".into()
            }
        ),
        Role::InvestigatingManager
    );
    // Done: its date no longer moves.
    let case = done(
        &case,
        Command::CompleteAction {
            action: 1,
            note: "Fitted".into(),
        },
        IM,
        "2026-12-01T10:00:00Z",
        &r,
    );
    let e = try_do(
        &case,
        Command::MoveAction {
            action: 1,
            due: d(2026, 12, 30),
            reason: "x".into(),
        },
        IM,
        "2026-12-02T10:00:00Z",
        &r,
    )
    .unwrap_err();
    assert!(matches!(e, CommandError::NotAllowed(_)), "{e:?}");
}

#[test]
fn the_case_owner_is_reminded_of_an_adjustments_review_on_the_next_working_day_after_easter() {
    let r = rules(None);
    let case = acknowledge(
        &open("2027-03-01T10:00:00Z", &r),
        "2027-03-01T11:00:00Z",
        &r,
    );
    assert!(reminder(&case, DeadlineStep::AdjustmentReview, &r).is_none());
    let case = done(
        &case,
        Command::RecordNeeds(SupportNeeds {
            vulnerabilities: None,
            adjustments: "Letters in large print; call before visiting".into(),
            consent: true,
            review_on: d(2027, 3, 26),
        }),
        OFFICER,
        "2027-03-02T10:00:00Z",
        &r,
    );
    let a = reminder(&case, DeadlineStep::AdjustmentReview, &r).unwrap();
    // Good Friday and Easter Monday are holidays; Tuesday 30 March is BST (09:00 = 08:00 UTC).
    assert_eq!(a.due, d(2027, 3, 26));
    assert_eq!(a.at, t("2027-03-30T08:00:00Z"));
    assert_eq!(recipients(&case, &a), [IM]);
    // The review records the needs again: the reminder moves to the new date.
    let case = done(
        &case,
        Command::RecordNeeds(SupportNeeds {
            vulnerabilities: None,
            adjustments: "Letters in large print".into(),
            consent: true,
            review_on: d(2027, 9, 27),
        }),
        OFFICER,
        "2027-03-30T10:00:00Z",
        &r,
    );
    assert_eq!(
        reminder(&case, DeadlineStep::AdjustmentReview, &r)
            .unwrap()
            .due,
        d(2027, 9, 27)
    );
}

#[test]
fn a_restriction_is_told_to_the_resident_reminded_at_review_and_never_stops_the_complaint() {
    let r = rules(None);
    let case = acknowledge(
        &open("2026-11-02T10:00:00Z", &r),
        "2026-11-02T11:00:00Z",
        &r,
    );
    let record = Command::RecordRestriction {
        reason: "Abusive phone calls to the repairs team on 3 and 4 November".into(),
        restricted: "Contact by email only, to the complaints team".into(),
        review_on: d(2027, 2, 1),
    };
    assert_eq!(role::needed(&case, &record), Role::SeniorManager);
    let e = try_do(
        &case,
        Command::RecordRestriction {
            reason: "x".into(),
            restricted: " ".into(),
            review_on: d(2026, 11, 1),
        },
        HTS,
        "2026-11-05T10:00:00Z",
        &r,
    )
    .unwrap_err();
    assert!(
        matches!(&e, CommandError::Invalid(v) if v.message_for("restricted").is_some() && v.message_for("review_on").is_some()),
        "{e:?}"
    );
    let case = done(&case, record.clone(), HTS, "2026-11-05T10:00:00Z", &r);
    let l = last_letter(&case);
    assert_eq!(l.kind, LetterKind::Restriction);
    for words in [
        "Abusive phone calls to the repairs team",
        "Contact by email only, to the complaints team",
        "Monday 1 February 2027",
        "This does not stop you making a complaint",
        "If you disagree",
        "Housing Ombudsman Service",
    ] {
        assert!(l.text.contains(words), "{words}: {}", l.text);
    }
    // One at a time.
    assert!(matches!(
        try_do(&case, record, HTS, "2026-11-05T11:00:00Z", &r),
        Err(CommandError::NotAllowed(_))
    ));
    let a = reminder(&case, DeadlineStep::RestrictionReview, &r).unwrap();
    assert_eq!(a.at, t("2027-02-01T09:00:00Z"));
    assert_eq!(recipients(&case, &a), [IM, HTS]);

    // The complaint goes on as ever: answered, then escalated by the resident.
    let case = respond(&case, "2026-11-10T10:00:00Z", vec![], &r);
    let case = done(
        &case,
        Command::RequestNextStage {
            reason: None,
            through: RequestedThrough::Resident,
        },
        "resident",
        "2026-11-12T10:00:00Z",
        &r,
    );
    assert_eq!(case.current_stage().number, 2);

    // Kept, with a new date: the reminder moves; lifted: no more reminders.
    let e = try_do(
        &case,
        Command::ReviewRestriction {
            outcome: ReviewOutcome::Kept,
            review_on: None,
        },
        HTS,
        "2027-02-01T10:00:00Z",
        &r,
    )
    .unwrap_err();
    assert!(
        matches!(&e, CommandError::Invalid(v) if v.message_for("review_on").is_some()),
        "{e:?}"
    );
    let case = done(
        &case,
        Command::ReviewRestriction {
            outcome: ReviewOutcome::Kept,
            review_on: Some(d(2027, 5, 4)),
        },
        HTS,
        "2027-02-01T10:00:00Z",
        &r,
    );
    assert!(last_letter(&case).text.contains("still needed"));
    // Filed under Stage 1 whatever stage the case is at, so a reminder keeps its identity.
    let a = reminder(&case, DeadlineStep::RestrictionReview, &r).unwrap();
    assert_eq!((a.deadline.stage, a.due), (1, d(2027, 5, 4)));
    let case = done(
        &case,
        Command::ReviewRestriction {
            outcome: ReviewOutcome::Lifted,
            review_on: None,
        },
        HTS,
        "2027-05-04T10:00:00Z",
        &r,
    );
    assert_eq!(last_letter(&case).kind, LetterKind::Restriction);
    assert!(last_letter(&case).text.contains("we have lifted it"));
    assert!(reminder(&case, DeadlineStep::RestrictionReview, &r).is_none());
    assert!(matches!(
        try_do(
            &case,
            Command::ReviewRestriction {
                outcome: ReviewOutcome::Lifted,
                review_on: None
            },
            HTS,
            "2027-05-04T11:00:00Z",
            &r
        ),
        Err(CommandError::NotAllowed(_))
    ));
}
