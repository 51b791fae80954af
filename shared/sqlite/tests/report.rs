//! The SQLite [`ReportSource`]: a month's records are every case the month's figures can
//! count (and the figures from them equal the figures from every case), read through indexes
//! only, whether the spans were kept by the triggers save by save or rebuilt by the upgrade
//! from schema version 1.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use p3_domain::case::{Actor, Case, Command, FirstContactResolution, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::event::{ExclusionGround, Outcome, PointDecision, RequestedThrough, StageResponse};
use p3_domain::london::{start_of_day, Month};
use p3_domain::ports::{CaseIndex, CaseStore, CaseWrite, ReportSource};
use p3_domain::report::{self, Homes};
use p3_domain::service_request::ServiceRequest;
use p3_sqlite::SqliteStore;

/// A small deterministic generator (no dependency needed for a test's variety).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn actor(by: &str, at: DateTime<Utc>) -> Actor {
    Actor {
        by: by.into(),
        at,
        now: at,
    }
}

fn index(case: &Case) -> CaseIndex {
    CaseIndex {
        status: "received".into(),
        stage: case.current_stage().number,
        owner: None,
        handler: None,
        received_on: case.received_on(),
        next_due: None,
        open_until: None,
    }
}

fn response(outcome: Outcome) -> StageResponse {
    StageResponse {
        outcome,
        summary: "Our decision and the reasons for it".into(),
        remedy: None,
        point_decisions: vec![PointDecision {
            point: "The boiler".into(),
            decision: outcome,
            reason: Some("The reasons for it".into()),
        }],
        actions: vec![],
        compensation_pence: None,
        learning: None,
    }
}

/// Opens and saves a case, then takes it through a random life, saving after each step (so
/// the triggers see the events in as many writes as the service would make).
async fn build(store: &SqliteStore, i: u64, rng: &mut Lcg, rules: &Rules) -> Case {
    let start = Utc.with_ymd_and_hms(2024, 11, 1, 0, 0, 0).unwrap();
    let mut at = start + Duration::minutes(rng.below(60 * 24 * 500) as i64);
    let fcr = rng.below(12) == 0;
    let new = NewCase {
        procedure: if rng.below(15) == 0 {
            "support_services".into()
        } else {
            "housing".into()
        },
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("A Resident".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Web,
            category: Some("repairs".into()),
            description: "The boiler".into(),
            desired_outcome: None,
            tenure: if rng.below(5) == 0 {
                Tenure::LowCostHomeOwnership
            } else {
                Tenure::LowCostRental
            },
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: fcr.then(|| FirstContactResolution {
            outcome: Outcome::Upheld,
            summary: "Sorted on the phone".into(),
        }),
    };
    let reference = format!("CMP-2025-{i:05}");
    let mut case = Case::open(&reference, new, &actor("officer@p3.example", at), rules).unwrap();
    store
        .save(CaseWrite {
            case: case.clone(),
            index: index(&case),
            new_events: case.history.clone(),
            expected_version: 0,
            timers: vec![],
            idempotency: None,
        })
        .await
        .unwrap();
    for _ in 0..8 {
        // Mostly days, sometimes months, once in a while more than a year.
        let gap = match rng.below(20) {
            0 => Duration::days(200 + rng.below(300) as i64),
            1..=3 => Duration::days(20 + rng.below(60) as i64),
            _ => Duration::hours(1 + rng.below(24 * 12) as i64),
        };
        at += gap;
        let stage = case.current_stage().number;
        let by = if stage == 1 {
            "im@p3.example"
        } else {
            "head@p3.example"
        };
        let command = match rng.below(10) {
            0 => Command::Withdraw { reason: None },
            1 => Command::Refuse {
                ground: ExclusionGround::AlreadyConsidered,
                explanation: "Already considered".into(),
            },
            2 => Command::Extend {
                working_days: 5,
                reason: "Waiting for a report".into(),
            },
            3 | 4 => Command::Acknowledge {
                responsible_for: None,
                not_responsible_for: None,
                investigating_manager: (stage == 1).then(|| "im@p3.example".into()),
                reviewer: (stage > 1).then(|| "head@p3.example".into()),
                complaint_points: vec!["The boiler".into()],
            },
            5 | 6 => Command::Respond {
                stage,
                response: response(Outcome::PartlyUpheld),
            },
            7 | 8 => Command::RequestNextStage {
                reason: None,
                through: RequestedThrough::Resident,
            },
            _ => Command::Ombudsman {
                determination: false,
                detail: "Referred".into(),
            },
        };
        let Ok((next, events)) = case.execute(command, &actor(by, at), rules) else {
            continue;
        };
        store
            .save(CaseWrite {
                case: next.clone(),
                index: index(&next),
                new_events: events,
                expected_version: case.version,
                timers: vec![],
                idempotency: None,
            })
            .await
            .unwrap();
        case = next;
    }
    case
}

/// The cases a month's figures can count: an event in the month, or a stage open at its end.
fn needed(cases: &[Case], month: Month) -> BTreeSet<String> {
    let from = start_of_day(month.first_day());
    let to = start_of_day(month.next().first_day());
    cases
        .iter()
        .filter(|c| {
            let event = c.history.iter().any(|e| from <= e.at && e.at < to);
            let closed = c.withdrawal.as_ref().is_some_and(|w| w.at < to)
                || c.refusal.as_ref().is_some_and(|r| r.at < to);
            let open = !closed
                && c.stages
                    .iter()
                    .any(|s| s.started_at < to && s.response.as_ref().is_none_or(|r| r.at >= to));
            event || open
        })
        .map(|c| c.reference.clone())
        .collect()
}

const HOMES: Homes = Homes {
    low_cost_rental: Some(1_000),
    low_cost_home_ownership: Some(200),
};

async fn check_every_month(store: &SqliteStore, cases: &[Case], requests: &[ServiceRequest]) {
    let rules = Rules::default();
    let mut month: Month = "2024-10".parse().unwrap();
    let mut open_months = 0;
    while month <= "2027-02".parse().unwrap() {
        let records = store.month_records(month).await.unwrap();
        let got: BTreeSet<String> = records.cases.iter().map(|c| c.reference.clone()).collect();
        let want = needed(cases, month);
        let missing: Vec<_> = want.difference(&got).collect();
        assert!(missing.is_empty(), "{month}: missing {missing:?}");
        // A superset only by cases between stages (responded, later escalated).
        assert!(
            got.len() <= want.len() + want.len() / 4 + 2,
            "{month}: {} read for {} needed",
            got.len(),
            want.len()
        );
        assert_eq!(
            report::monthly(
                &records.cases,
                &records.service_requests,
                month,
                &rules,
                &HOMES
            ),
            report::monthly(cases, requests, month, &rules, &HOMES),
            "{month}"
        );
        let want_requests: Vec<_> = requests
            .iter()
            .filter(|r| Month::of(p3_domain::london::london_date(r.logged_at)) == month)
            .map(|r| r.id.clone())
            .collect();
        let got_requests: Vec<_> = records
            .service_requests
            .iter()
            .map(|r| r.id.clone())
            .collect();
        assert_eq!(got_requests, want_requests, "{month}");
        assert!(records.rows_read >= (got.len() + got_requests.len()) as u64);
        if records.cases.iter().any(|c| {
            c.history
                .iter()
                .all(|e| Month::of(p3_domain::london::london_date(e.at)) != month)
        }) {
            open_months += 1;
        }
        month = month.next();
    }
    assert!(
        open_months > 10,
        "the fixture should have cases open across month ends with no event in the month"
    );
}

async fn fixture(store: &SqliteStore) -> (Vec<Case>, Vec<ServiceRequest>) {
    let rules = Rules::default();
    let mut rng = Lcg(42);
    let mut cases = Vec::new();
    for i in 1..=400 {
        cases.push(build(store, i, &mut rng, &rules).await);
    }
    let mut requests = Vec::new();
    for i in 1..=40u32 {
        // Around London midnight at the turn of months, both sides.
        let at = Utc.with_ymd_and_hms(2025, 1 + i % 12, 1, 0, 0, 0).unwrap()
            - Duration::minutes(90)
            + Duration::minutes(i64::from(i) * 7);
        let r = ServiceRequest {
            id: format!("SR-2025-{i:05}"),
            description: "Fix the boiler".into(),
            category: None,
            resident: Resident::default(),
            response: None,
            logged_at: at,
            recorded_at: at,
            logged_by: "officer@p3.example".into(),
            complaint: None,
            closed: None,
        };
        store.save_service_request(r.clone(), None).await.unwrap();
        requests.push(r);
    }
    requests.sort_by(|a, b| a.id.cmp(&b.id));
    (cases, requests)
}

#[tokio::test]
async fn month_records_hold_every_case_a_month_counts_kept_save_by_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("p3.db")).unwrap();
    let (cases, requests) = fixture(&store).await;
    check_every_month(&store, &cases, &requests).await;
}

/// Turns a current store back into version 1 (as an older build left it).
fn downgrade(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TABLE staff_sessions; DROP TABLE staff_links; DROP TABLE staff_accounts;
         DROP TABLE sign_in_failures; DROP TABLE staff_tokens; DROP TABLE annual_records;
         DROP TRIGGER case_spans_start; DROP TRIGGER case_spans_end; DROP TABLE case_spans;
         DROP INDEX service_requests_status; ALTER TABLE service_requests DROP COLUMN status;
         DROP INDEX events_at_reference; DROP INDEX service_requests_logged_at;
         CREATE INDEX events_at ON events (at);
         PRAGMA user_version = 1;",
    )
    .unwrap();
}

#[tokio::test]
async fn upgrading_a_version_1_store_rebuilds_the_spans_from_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p3.db");
    let store = SqliteStore::open(&path).unwrap();
    let (cases, requests) = fixture(&store).await;
    drop(store);
    downgrade(&path);
    let store = SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, p3_sqlite::SCHEMA_VERSION);
    assert_eq!(version, 5);
    check_every_month(&store, &cases, &requests).await;
}

#[tokio::test]
async fn an_empty_month_reads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("p3.db")).unwrap();
    let records = store
        .month_records("2030-01".parse().unwrap())
        .await
        .unwrap();
    assert!(records.cases.is_empty());
    assert!(records.service_requests.is_empty());
    assert_eq!(records.rows_read, 0);
}
