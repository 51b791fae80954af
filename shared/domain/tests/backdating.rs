//! When it happened vs when it was recorded (domain.md, "Records"): how far back staff may date
//! an action, who may go further, what is recorded late, and when an extension counts as made.
//! Dates counted by hand: Spring bank holiday Monday 25 May 2026; June 2026 has none.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use p3_domain::backdating::{self, BackdateLimit};
use p3_domain::case::{Actor, Case, Command, CommandError, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident};
use p3_domain::event::EventRecord;
use p3_domain::policy::HOUSING;
use p3_domain::role::{Caller, Role};
use p3_domain::service::execute_as;

static RULES: LazyLock<Rules> = LazyLock::new(Rules::default);

const OFFICER: &str = "officer@p3housing.org.uk";
const IM: &str = "im@p3housing.org.uk";
const HEAD: &str = "head@p3housing.org.uk";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

/// A housing complaint received at `at` (recorded then).
fn received(at: &str) -> Case {
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("Ada Lovelace".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Phone,
            category: None,
            description: "The boiler has failed".into(),
            desired_outcome: None,
            tenure: Default::default(),
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let actor = Actor {
        by: OFFICER.into(),
        at: t(at),
        now: t(at),
    };
    Case::open("CMP-2026-00001", new, &actor, &RULES).expect("opens")
}

fn acknowledge() -> Command {
    Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: Some(IM.into()),
        reviewer: None,
        complaint_points: vec!["The boiler".into()],
    }
}

fn staff(email: &str, role: Role, reason: Option<&str>) -> Caller {
    Caller::Staff {
        email: email.into(),
        role,
        backdate_reason: reason.map(str::to_string),
    }
}

/// `caller` runs `command` on `case`, dated `at` and recorded `now`.
fn run(
    case: &Case,
    command: Command,
    caller: &Caller,
    at: &str,
    now: &str,
) -> Result<(Case, Vec<EventRecord>), CommandError> {
    let actor = Actor {
        by: caller.by().into(),
        at: t(at),
        now: t(now),
    };
    execute_as(case, command, &actor, caller, &RULES)
}

fn fields(e: CommandError) -> Vec<String> {
    match e {
        CommandError::Invalid(v) => v.errors.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a 422 naming fields, got {other:?}"),
    }
}

#[test]
fn staff_may_date_an_action_two_working_days_back() {
    // Received Monday 1 June; acknowledged Monday, recorded Wednesday 3 June: 2 working days.
    let case = received("2026-06-01T09:00:00+01:00");
    let officer = staff(OFFICER, Role::Officer, None);
    let (_, events) = run(
        &case,
        acknowledge(),
        &officer,
        "2026-06-01T15:00:00+01:00",
        "2026-06-03T17:00:00+01:00",
    )
    .expect("two working days back is allowed");
    assert!(events
        .iter()
        .all(|e| e.at == t("2026-06-01T15:00:00+01:00")));
    assert!(
        events.iter().all(|e| e.recorded_late),
        "two working days after is recorded late"
    );
}

#[test]
fn staff_may_not_date_an_action_three_working_days_back() {
    // Acknowledged Monday 1 June, recorded Thursday 4 June: 3 working days.
    let case = received("2026-06-01T09:00:00+01:00");
    for role in [Role::Officer, Role::InvestigatingManager] {
        let e = run(
            &case,
            acknowledge(),
            &staff(OFFICER, role, Some("I forgot")),
            "2026-06-01T15:00:00+01:00",
            "2026-06-04T09:00:00+01:00",
        )
        .expect_err("three working days back is refused");
        assert_eq!(fields(e), ["at"], "{role:?}");
    }
}

#[test]
fn working_days_back_are_counted_on_london_dates_without_bank_holidays() {
    // Friday 22 May 2026 to Wednesday 27 May: Monday 25 is the spring bank holiday, so 2.
    let case = received("2026-05-22T09:00:00+01:00");
    let officer = staff(OFFICER, Role::Officer, None);
    run(
        &case,
        acknowledge(),
        &officer,
        "2026-05-22T10:00:00+01:00",
        "2026-05-27T23:30:00+01:00",
    )
    .expect("two working days back over the bank holiday");
    // 00:30 BST on Thursday 28 May is Thursday in London (though Wednesday in UTC): 3 back.
    let e = run(
        &case,
        acknowledge(),
        &officer,
        "2026-05-22T10:00:00+01:00",
        "2026-05-28T00:30:00+01:00",
    )
    .expect_err("three working days back");
    assert_eq!(fields(e), ["at"]);
}

#[test]
fn a_senior_manager_goes_further_back_only_with_a_reason_kept_on_the_events() {
    let case = received("2026-06-01T09:00:00+01:00");
    let (at, now) = ("2026-06-01T15:00:00+01:00", "2026-06-15T09:00:00+01:00");
    let e = run(
        &case,
        acknowledge(),
        &staff(HEAD, Role::SeniorManager, None),
        at,
        now,
    )
    .expect_err("no reason");
    assert_eq!(fields(e), ["at", "backdate_reason"]);
    let e = run(
        &case,
        acknowledge(),
        &staff(HEAD, Role::SeniorManager, Some("   ")),
        at,
        now,
    )
    .expect_err("a blank reason is none");
    assert_eq!(fields(e), ["at", "backdate_reason"]);

    let reason = "The acknowledgement letter was posted on the 1st; the system was down.";
    let (next, events) = run(
        &case,
        acknowledge(),
        &staff(HEAD, Role::SeniorManager, Some(reason)),
        at,
        now,
    )
    .expect("a senior manager with a reason");
    assert!(events.len() >= 2, "the acknowledgement and its letter");
    for e in &events {
        assert_eq!(
            e.backdate_reason.as_deref(),
            Some(reason),
            "{}",
            e.event.name()
        );
        assert!(e.recorded_late);
    }
    assert_eq!(
        &next.history[next.history.len() - events.len()..],
        &events[..]
    );
}

#[test]
fn no_one_dates_an_action_before_the_cases_previous_event() {
    let case = received("2026-06-03T09:00:00+01:00");
    let e = run(
        &case,
        acknowledge(),
        &staff(HEAD, Role::SeniorManager, Some("Backfilling")),
        "2026-06-02T09:00:00+01:00",
        "2026-06-03T10:00:00+01:00",
    )
    .expect_err("before the receipt");
    assert!(
        matches!(e, CommandError::BeforePreviousEvent { .. }),
        "{e:?}"
    );
}

#[test]
fn an_event_is_recorded_late_only_more_than_one_working_day_after_it_happened() {
    let cal = &RULES.calendar;
    // Friday to Monday: one working day.
    assert!(!backdating::recorded_late(
        t("2026-06-05T16:00:00+01:00"),
        t("2026-06-08T09:00:00+01:00"),
        cal
    ));
    // Thursday to Monday: two.
    assert!(backdating::recorded_late(
        t("2026-06-04T16:00:00+01:00"),
        t("2026-06-08T09:00:00+01:00"),
        cal
    ));
    // The same day, hours later: not late.
    assert!(!backdating::recorded_late(
        t("2026-06-04T08:00:00+01:00"),
        t("2026-06-04T23:00:00+01:00"),
        cal
    ));
}

#[test]
fn an_extension_recorded_after_the_deadline_it_extends_is_refused_whatever_its_at() {
    // Received Monday 1 June: the Stage 1 response is due Monday 15 June (10 working days).
    let case = received("2026-06-01T09:00:00+01:00");
    let officer = staff(OFFICER, Role::Officer, None);
    let (case, _) = run(
        &case,
        acknowledge(),
        &officer,
        "2026-06-02T09:00:00+01:00",
        "2026-06-02T09:00:00+01:00",
    )
    .unwrap();
    let extend = || Command::Extend {
        working_days: 5,
        reason: "Waiting for the engineer's report".into(),
    };
    let im = staff(IM, Role::InvestigatingManager, None);
    // Dated the due day, recorded the next working day (within the backdating limit): late.
    let e = run(
        &case,
        extend(),
        &im,
        "2026-06-15T16:00:00+01:00",
        "2026-06-16T09:00:00+01:00",
    )
    .expect_err("recorded after the deadline");
    assert!(matches!(e, CommandError::NotAllowed(_)), "{e:?}");
    // A senior manager's reason for going back does not make it in time either.
    let head = staff(
        HEAD,
        Role::SeniorManager,
        Some("Agreed by phone on the 10th"),
    );
    let e = run(
        &case,
        extend(),
        &head,
        "2026-06-10T16:00:00+01:00",
        "2026-06-22T09:00:00+01:00",
    )
    .expect_err("recorded after the deadline");
    assert!(matches!(e, CommandError::NotAllowed(_)), "{e:?}");
    // Recorded on the due day: in time.
    run(
        &case,
        extend(),
        &im,
        "2026-06-15T16:00:00+01:00",
        "2026-06-15T17:00:00+01:00",
    )
    .expect("recorded by the due date");
}

#[test]
fn the_limit_is_the_landlords_setting() {
    let rules = Rules {
        backdate: BackdateLimit { working_days: 0 },
        ..Rules::default()
    };
    let case = received("2026-06-01T09:00:00+01:00");
    let officer = staff(OFFICER, Role::Officer, None);
    let actor = Actor {
        by: OFFICER.into(),
        at: t("2026-06-01T15:00:00+01:00"),
        now: t("2026-06-02T09:00:00+01:00"),
    };
    let e = execute_as(&case, acknowledge(), &actor, &officer, &rules).expect_err("limit 0");
    assert_eq!(fields(e), ["at"]);
    let same_day = Actor {
        now: t("2026-06-01T18:00:00+01:00"),
        ..actor
    };
    execute_as(&case, acknowledge(), &same_day, &officer, &rules).expect("the same day");
}

#[test]
fn events_stored_before_recorded_late_was_kept_decide_it_on_read() {
    let case = received("2026-06-01T09:00:00+01:00");
    let officer = staff(OFFICER, Role::Officer, None);
    let (_, events) = run(
        &case,
        acknowledge(),
        &officer,
        "2026-06-01T15:00:00+01:00",
        "2026-06-03T09:00:00+01:00",
    )
    .unwrap();
    for (recorded_at, late) in [
        ("2026-06-03T09:00:00+01:00", true),
        ("2026-06-02T09:00:00+01:00", false),
    ] {
        let mut stored = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(stored["recorded_late"], true, "kept with new events");
        let o = stored.as_object_mut().unwrap();
        o.remove("recorded_late");
        o.insert("recorded_at".into(), recorded_at.into());
        let read: EventRecord = serde_json::from_value(stored).unwrap();
        assert_eq!(read.recorded_late, late, "recorded {recorded_at}");
    }
}

#[test]
fn a_complaints_receipt_and_the_residents_requests_are_not_limited() {
    // Received three weeks before it was recorded.
    let new_case = received("2026-06-01T09:00:00+01:00");
    assert_eq!(new_case.received_at, t("2026-06-01T09:00:00+01:00"));
    let late_open = {
        let actor = Actor {
            by: OFFICER.into(),
            at: t("2026-06-01T09:00:00+01:00"),
            now: t("2026-06-22T09:00:00+01:00"),
        };
        Case::open(
            "CMP-2026-00002",
            NewCase {
                procedure: HOUSING.into(),
                complaint: new_case.complaint.clone(),
                service_request: None,
                access_code_hash: None,
                first_contact_resolution: None,
            },
            &actor,
            &RULES,
        )
        .expect("a receipt three weeks back")
    };
    assert!(late_open.history[0].recorded_late);
}
