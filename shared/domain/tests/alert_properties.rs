//! Properties of the alert plan and its timers over random receipt instants (2000 to 2099) and
//! random sequences of actions: every alert is planned for 09:00 Europe/London on a working day,
//! and the timers never fire before `now` and keep at most one past-due alert per deadline.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Europe::London;
use p3_domain::alert::{self, Alert};
use p3_domain::case::{Actor, Case, Command, FirstContactResolution, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::deadline::{self, DeadlineKind};
use p3_domain::event::{ExclusionGround, Outcome, PointDecision, RequestedThrough, StageResponse};
use p3_domain::policy::{HOUSING, SUPPORT_SERVICES};
use proptest::prelude::*;

static RULES: LazyLock<Rules> = LazyLock::new(Rules::default);

const OFFICER: &str = "officer@p3housing.org.uk";

/// Handler of a stage: a different person per stage, so later stages may be acknowledged.
fn handler(stage: u8) -> String {
    format!("handler{stage}@p3housing.org.uk")
}

#[derive(Debug, Clone)]
enum Step {
    Acknowledge,
    Extend(u32),
    Respond,
    RequestNext,
    Withdraw,
    Refuse,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::Acknowledge),
        2 => (1u32..=12).prop_map(Step::Extend),
        4 => Just(Step::Respond),
        3 => Just(Step::RequestNext),
        1 => Just(Step::Withdraw),
        1 => Just(Step::Refuse),
    ]
}

/// Any instant from 2000-01-01 to 2099-12-31 UTC.
fn receipt() -> impl Strategy<Value = DateTime<Utc>> {
    let lo = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let hi = Utc
        .with_ymd_and_hms(2099, 12, 31, 23, 59, 59)
        .unwrap()
        .timestamp();
    (lo..=hi).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

fn details() -> ComplaintDetails {
    ComplaintDetails {
        resident: Resident {
            email: Some("resident@example.org".into()),
            ..Default::default()
        },
        representative: None,
        channel: Channel::Web,
        category: None,
        description: "The lift has been broken for a month".into(),
        desired_outcome: None,
        tenure: Tenure::LowCostRental,
    }
}

fn command(step: &Step, case: &Case) -> (Command, String) {
    let stage = case.current_stage().number;
    match step {
        Step::Acknowledge => (
            Command::Acknowledge {
                responsible_for: None,
                not_responsible_for: None,
                investigating_manager: (stage == 1).then(|| handler(1)),
                reviewer: (stage > 1).then(|| handler(stage)),
                complaint_points: vec!["The lift".into()],
            },
            OFFICER.into(),
        ),
        Step::Extend(n) => (
            Command::Extend {
                working_days: *n,
                reason: "Waiting for a contractor".into(),
            },
            handler(stage),
        ),
        Step::Respond => (
            Command::Respond {
                stage,
                response: StageResponse {
                    outcome: Outcome::NotUpheld,
                    summary: "The lift was repaired within the contract time.".into(),
                    remedy: None,
                    point_decisions: vec![PointDecision {
                        point: "The lift".into(),
                        decision: Outcome::NotUpheld,
                        reason: Some("Repaired within the contract time".into()),
                    }],
                    actions: vec![],
                    compensation_pence: None,
                    learning: None,
                },
            },
            handler(stage),
        ),
        Step::RequestNext => (
            Command::RequestNextStage {
                reason: None,
                through: RequestedThrough::Resident,
            },
            "resident".into(),
        ),
        Step::Withdraw => (Command::Withdraw { reason: None }, "resident".into()),
        Step::Refuse => (
            Command::Refuse {
                ground: ExclusionGround::AlreadyConsidered,
                explanation: "Considered in 2024".into(),
            },
            OFFICER.into(),
        ),
    }
}

/// Opens a case at `received` and applies the steps, each `gap` minutes after the previous one
/// (recorded up to a day later); commands the rules refuse are simply skipped.
fn build(
    received: DateTime<Utc>,
    support: bool,
    fcr: bool,
    steps: &[(Step, i64, i64)],
) -> (Case, DateTime<Utc>) {
    let new = NewCase {
        procedure: if support { SUPPORT_SERVICES } else { HOUSING }.into(),
        complaint: details(),
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: fcr.then(|| FirstContactResolution {
            outcome: Outcome::Upheld,
            summary: "Agreed on the phone".into(),
        }),
    };
    let mut case = Case::open(
        "CMP-2050-00001",
        new,
        &Actor {
            by: OFFICER.into(),
            at: received,
            now: received,
        },
        &RULES,
    )
    .expect("a valid complaint opens");
    let mut at = received;
    for (step, gap, delay) in steps {
        at += Duration::minutes(*gap);
        let (cmd, by) = command(step, &case);
        let actor = Actor {
            by,
            at,
            now: at + Duration::minutes(*delay),
        };
        if let Ok((next, _)) = case.execute(cmd, &actor, &RULES) {
            case = next;
        }
    }
    (case, at)
}

fn plan_for(case: &Case, today: NaiveDate) -> Vec<Alert> {
    let policy = RULES.policy_of(case).unwrap();
    let deadlines = deadline::deadlines(case, policy, &RULES.calendar, today);
    alert::plan(&case.reference, &deadlines, &RULES.calendar)
}

/// A receipt instant, support-services procedure?, first contact resolution?, and the steps.
type Scenario = (DateTime<Utc>, bool, bool, Vec<(Step, i64, i64)>);

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        receipt(),
        proptest::bool::weighted(0.25),
        proptest::bool::weighted(0.1),
        proptest::collection::vec((step(), 0i64..=15 * 24 * 60, 0i64..=24 * 60), 0..12),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn alerts_fall_at_0900_london_on_working_days(
        (received, support, fcr, steps) in scenario(),
        look_ahead in 0i64..=120 * 24 * 60,
    ) {
        let (case, last) = build(received, support, fcr, &steps);
        let today = (last + Duration::minutes(look_ahead)).with_timezone(&London).date_naive();
        let plan = plan_for(&case, today);
        for a in &plan {
            let local = a.at.with_timezone(&London);
            prop_assert_eq!((local.hour(), local.minute(), local.second(), local.nanosecond()), (9, 0, 0, 0), "{:?}", a);
            let date = local.date_naive();
            prop_assert!(RULES.calendar.is_working_day(date), "{:?} is not on a working day", a);
            prop_assert!(!matches!(date.weekday(), Weekday::Sat | Weekday::Sun), "{:?} is at a weekend", a);
            prop_assert!(!RULES.calendar.is_holiday(date), "{:?} is on a holiday", a);
            prop_assert!(a.deadline.is_alerted(), "{:?}: the resident's window raises no alerts", a);
        }
        for pair in plan.windows(2) {
            prop_assert!(pair[0].at <= pair[1].at, "plan is in time order");
        }
    }

    #[test]
    fn timers_never_fire_before_now_and_keep_one_past_alert_per_deadline(
        (received, support, fcr, steps) in scenario(),
        now_offset in -30i64 * 24 * 60..=120 * 24 * 60,
    ) {
        let (case, last) = build(received, support, fcr, &steps);
        let now = last + Duration::minutes(now_offset);
        let plan = plan_for(&case, now.with_timezone(&London).date_naive());
        let timers = alert::timers(&plan, now);
        let mut past: HashMap<(DeadlineKind, NaiveDate), Vec<&Alert>> = HashMap::new();
        for tm in &timers {
            prop_assert!(tm.fire_at >= now, "{:?} fires before now {}", tm, now);
            let a = tm.alert.as_alert().expect("deadline timers hold alerts");
            prop_assert!(plan.contains(a), "{:?} is not in the plan", tm);
            if a.at <= now {
                prop_assert_eq!(tm.fire_at, now, "a past alert goes out at once");
                past.entry((a.deadline, a.due)).or_default().push(a);
            } else {
                prop_assert_eq!(tm.fire_at, a.at, "a future alert keeps its moment");
            }
        }
        for (key, kept) in &past {
            prop_assert_eq!(kept.len(), 1, "{:?}: more than one past-due alert kept: {:?}", key, kept);
            // The one kept is the latest that has passed.
            let latest = plan.iter().filter(|a| (a.deadline, a.due) == *key && a.at <= now).map(|a| a.at).max();
            prop_assert_eq!(Some(kept[0].at), latest);
        }
        // Nothing is lost: every future alert, and one past alert of each deadline with any, has a timer.
        let future = plan.iter().filter(|a| a.at > now).count();
        let deadlines_with_past: std::collections::HashSet<_> =
            plan.iter().filter(|a| a.at <= now).map(|a| (a.deadline, a.due)).collect();
        prop_assert_eq!(timers.len(), future + deadlines_with_past.len());
        // Each timer's alert, checked when it fires, goes out.
        for tm in &timers {
            let a = tm.alert.as_alert().expect("deadline timers hold alerts");
            prop_assert_eq!(alert::check_fired(a, &plan, tm.fire_at), Ok(()));
        }
    }
}
