//! What every case write and every fired timer pays: the case's deadlines and its alert plan.
//! Goal: median under 2 microseconds per case.

use std::hint::black_box;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use p3_domain::alert;
use p3_domain::case::{Actor, Case, Command, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::deadline;
use p3_domain::event::{Outcome, RequestedThrough, StageResponse};
use p3_domain::policy::HOUSING;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn run(case: Case, command: Command, by: &str, at: &str, rules: &Rules) -> Case {
    let at = t(at);
    case.execute(
        command,
        &Actor {
            by: by.into(),
            at,
            now: at,
        },
        rules,
    )
    .expect("command accepted")
    .0
}

fn acknowledge(im: Option<&str>, reviewer: Option<&str>) -> Command {
    Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: im.map(Into::into),
        reviewer: reviewer.map(Into::into),
        complaint_points: vec!["Repairs not done".into(), "Calls not returned".into()],
    }
}

fn respond(stage: u8) -> Command {
    Command::Respond {
        stage,
        response: StageResponse {
            outcome: Outcome::PartlyUpheld,
            summary: "We apologise for the missed appointments.".into(),
            remedy: Some("£100".into()),
            point_decisions: vec![],
            actions: vec![],
            compensation_pence: None,
            learning: None,
        },
    }
}

fn open(rules: &Rules) -> Case {
    let at = t("2026-03-24T10:00:00Z");
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: ComplaintDetails {
            resident: Resident {
                email: Some("resident@example.org".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Web,
            category: Some("repairs".into()),
            description: "Repairs not done".into(),
            desired_outcome: None,
            tenure: Tenure::LowCostRental,
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    Case::open(
        "CMP-2026-00042",
        new,
        &Actor {
            by: "officer@p3housing.org.uk".into(),
            at,
            now: at,
        },
        rules,
    )
    .unwrap()
}

/// Stage 1 acknowledged and extended, response pending (across Easter 2026).
fn stage1_extended(rules: &Rules) -> Case {
    let c = open(rules);
    let c = run(
        c,
        acknowledge(Some("im@p3housing.org.uk"), None),
        "officer@p3housing.org.uk",
        "2026-03-26T10:00:00Z",
        rules,
    );
    run(
        c,
        Command::Extend {
            working_days: 5,
            reason: "Waiting for the surveyor".into(),
        },
        "im@p3housing.org.uk",
        "2026-04-02T10:00:00+01:00",
        rules,
    )
}

/// Stage 1 answered, Stage 2 requested and acknowledged, its response pending.
fn two_stage(rules: &Rules) -> Case {
    let c = run(
        stage1_extended(rules),
        respond(1),
        "im@p3housing.org.uk",
        "2026-04-10T10:00:00+01:00",
        rules,
    );
    let c = run(
        c,
        Command::RequestNextStage {
            reason: Some("Not enough".into()),
            through: RequestedThrough::Resident,
        },
        "resident",
        "2026-04-14T10:00:00+01:00",
        rules,
    );
    run(
        c,
        acknowledge(None, Some("hts@p3housing.org.uk")),
        "officer@p3housing.org.uk",
        "2026-04-15T10:00:00+01:00",
        rules,
    )
}

fn bench(c: &mut Criterion) {
    // The calendar (bank holidays 1995..=2100) is built once, as in the service.
    let rules = Rules::default();
    let policy = rules.procedures.get(HOUSING).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 4, 16).unwrap();
    let cases = [
        ("stage1_acknowledged_extended", stage1_extended(&rules)),
        ("two_stage", two_stage(&rules)),
    ];

    let mut group = c.benchmark_group("deadlines_and_alert_plan");
    for (name, case) in &cases {
        let planned = alert::plan(
            &case.reference,
            &deadline::deadlines(case, policy, &rules.calendar, today),
            &rules.calendar,
        );
        assert!(
            !planned.is_empty(),
            "{name}: the bench must plan some alerts"
        );
        group.bench_function(*name, |b| {
            b.iter(|| {
                let case = black_box(case);
                let deadlines =
                    deadline::deadlines(case, policy, &rules.calendar, black_box(today));
                alert::plan(&case.reference, &deadlines, &rules.calendar)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
