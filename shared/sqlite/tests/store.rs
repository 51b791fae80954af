//! The SQLite store against real files: atomic saves, conflicts, idempotency, references,
//! timers, list filters, group commit and recovery from a storage fault.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use p3_domain::alert::{Alert, AlertKind, Timer};
use p3_domain::case::{Actor, Case, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::deadline::{DeadlineKind, DeadlineStep};
use p3_domain::ports::{
    AlertScheduler, CaseIndex, CaseQuery, CaseStore, CaseWrite, Clock, IdempotencyRecord,
    ReplyView, StoreError, StoredReply, TimerQueue,
};
use p3_domain::service_request::{ServiceRequest, ServiceRequestQuery, ServiceRequestStatus};
use p3_sqlite::SqliteStore;
use tempfile::TempDir;

struct FixedClock(Mutex<DateTime<Utc>>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn store_in(dir: &Path) -> SqliteStore {
    SqliteStore::open_with_clock(&dir.join("p3.db"), Arc::new(FixedClock(Mutex::new(t0()))))
        .unwrap()
}

fn actor() -> Actor {
    Actor {
        by: "officer@p3housing.invalid".into(),
        at: t0(),
        now: t0(),
    }
}

fn new_case(reference: &str) -> Case {
    let new = NewCase {
        procedure: "housing".into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("A Resident".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Phone,
            category: Some("repairs".into()),
            description: format!("The boiler is broken ({reference})"),
            desired_outcome: None,
            tenure: Tenure::LowCostRental,
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    Case::open(reference, new, &actor(), &Rules::default()).unwrap()
}

fn index(status: &str) -> CaseIndex {
    CaseIndex {
        status: status.into(),
        stage: 1,
        owner: None,
        handler: None,
        received_on: d(2026, 3, 2),
        next_due: None,
        open_until: None,
    }
}

fn create(case: &Case) -> CaseWrite {
    CaseWrite {
        case: case.clone(),
        index: index("received"),
        new_events: case.history.clone(),
        expected_version: 0,
        timers: Vec::new(),
        idempotency: None,
    }
}

fn acknowledge(case: &Case) -> (Case, CaseWrite) {
    p3_store_contract::acknowledge_at(case, t0())
}

fn idem(key: &str, body: &str) -> IdempotencyRecord {
    p3_store_contract::idem(key, body)
}

fn timer(reference: &str, kind: AlertKind, fire_at: DateTime<Utc>) -> Timer {
    let alert = Alert {
        reference: reference.into(),
        deadline: DeadlineKind::new(1, DeadlineStep::Acknowledgement),
        due: d(2026, 3, 9),
        kind,
        at: fire_at,
    };
    Timer {
        alert: alert.into(),
        fire_at,
    }
}

fn all_timers_query() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_case_loads_back_unchanged() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let case = new_case("CMP-2026-00001");
    store.save(create(&case)).await.unwrap();
    assert_eq!(
        store.load("CMP-2026-00001").await.unwrap(),
        Some(case.clone())
    );
    assert_eq!(store.load("CMP-2026-99999").await.unwrap(), None);

    let (next, write) = acknowledge(&case);
    store.save(write).await.unwrap();
    let loaded = store.load("CMP-2026-00001").await.unwrap().unwrap();
    assert_eq!(loaded, next);
    // The acknowledgement and its letter.
    assert_eq!(loaded.version, 3);
    assert_eq!(loaded.letters.len(), 1);
    assert_eq!(loaded.history.last().unwrap().event.name(), "letter_issued");
    assert_eq!(loaded.owner(), Some("im@p3housing.invalid"));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_saves_from_the_same_version_one_wins_the_other_conflicts() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let case = new_case("CMP-2026-00001");
    store.save(create(&case)).await.unwrap();

    let (_, first) = acknowledge(&case);
    let (_, second) = acknowledge(&case);
    let (a, b) = tokio::join!(store.save(first), store.save(second));
    let results = [a, b];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.contains(&Err(StoreError::VersionConflict)),
        "{results:?}"
    );
    assert_eq!(
        store.load("CMP-2026-00001").await.unwrap().unwrap().version,
        3
    );

    // A "new" case whose reference is taken is a conflict too, and changes nothing.
    let mut again = create(&new_case("CMP-2026-00001"));
    again.index.status = "withdrawn".into();
    assert_eq!(store.save(again).await, Err(StoreError::VersionConflict));
    // So is a stale version.
    let (_, stale) = acknowledge(&case);
    assert_eq!(store.save(stale).await, Err(StoreError::VersionConflict));
    assert_eq!(
        store.load("CMP-2026-00001").await.unwrap().unwrap().version,
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_idempotency_key_rolls_back_the_whole_write() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let first = new_case("CMP-2026-00001");
    let mut w = create(&first);
    w.idempotency = Some(idem(
        "staff:a:POST /cases:k1",
        "{\"reference\":\"CMP-2026-00001\"}",
    ));
    store.save(w).await.unwrap();

    let second = new_case("CMP-2026-00002");
    let mut w = create(&second);
    w.timers = vec![timer("CMP-2026-00002", AlertKind::Reminder, t0())];
    w.idempotency = Some(idem("staff:a:POST /cases:k1", "other"));
    assert_eq!(store.save(w).await, Err(StoreError::DuplicateKey));
    assert_eq!(store.load("CMP-2026-00002").await.unwrap(), None);
    assert!(store.due(all_timers_query(), 100).await.unwrap().is_empty());

    let stored = store
        .idempotent_reply("staff:a:POST /cases:k1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored,
        idem(
            "staff:a:POST /cases:k1",
            "{\"reference\":\"CMP-2026-00001\"}"
        )
    );
    assert_eq!(
        store
            .idempotent_reply("staff:a:POST /cases:other")
            .await
            .unwrap(),
        None
    );

    // Without the clash the same write goes through.
    store.save(create(&second)).await.unwrap();
    assert!(store.load("CMP-2026-00002").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_records_expire_after_a_day() {
    let dir = TempDir::new().unwrap();
    let clock = Arc::new(FixedClock(Mutex::new(t0())));
    let store = SqliteStore::open_with_clock(&dir.path().join("p3.db"), clock.clone()).unwrap();
    let mut w = create(&new_case("CMP-2026-00001"));
    w.idempotency = Some(idem("k", "first"));
    store.save(w).await.unwrap();

    *clock.0.lock().unwrap() = t0() + Duration::hours(23);
    assert!(store.idempotent_reply("k").await.unwrap().is_some());
    *clock.0.lock().unwrap() = t0() + Duration::hours(25);
    assert_eq!(store.idempotent_reply("k").await.unwrap(), None);

    // An expired key can be used again, written by a request a day later.
    let mut w = create(&new_case("CMP-2026-00002"));
    let mut rec = idem("k", "second");
    rec.created_at = t0() + Duration::hours(25);
    w.idempotency = Some(rec);
    store.save(w).await.unwrap();
    assert_eq!(
        store.idempotent_reply("k").await.unwrap().map(|r| r.reply),
        Some(idem("k", "second").reply)
    );

    *clock.0.lock().unwrap() = t0() + Duration::hours(60);
    assert_eq!(store.purge_expired_idempotency().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn references_are_unique_and_survive_reopening() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.next_reference(2026).await.unwrap()
        }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        assert!(seen.insert(t.await.unwrap()));
    }
    assert!(
        seen.contains("CMP-2026-00001") && seen.contains("CMP-2026-00050"),
        "{seen:?}"
    );
    assert_eq!(store.next_reference(2027).await.unwrap(), "CMP-2027-00001");
    assert_eq!(
        store.next_service_request_id(2026).await.unwrap(),
        "SR-2026-00001"
    );
    drop(store);

    let store = store_in(dir.path());
    assert_eq!(store.next_reference(2026).await.unwrap(), "CMP-2026-00051");
    assert_eq!(
        store.next_service_request_id(2026).await.unwrap(),
        "SR-2026-00002"
    );

    // A case written under a reference the counter never gave (an import) moves the counter on.
    store
        .save(create(&new_case("CMP-2026-00900")))
        .await
        .unwrap();
    assert_eq!(store.next_reference(2026).await.unwrap(), "CMP-2026-00901");
    // Five digits at least, more when needed.
    store
        .save(create(&new_case("CMP-2026-123456")))
        .await
        .unwrap();
    assert_eq!(store.next_reference(2026).await.unwrap(), "CMP-2026-123457");
}

/// A version 3 store's service requests (no status kept) are open after the upgrade to 4, and
/// listed by that status.
#[tokio::test(flavor = "multi_thread")]
async fn upgrading_a_version_3_store_lists_its_service_requests_as_open() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let id = store.next_service_request_id(2026).await.unwrap();
    let request = ServiceRequest {
        id: id.clone(),
        description: "Fix the tap".into(),
        category: None,
        resident: Resident::default(),
        response: None,
        logged_at: t0(),
        recorded_at: t0(),
        logged_by: "officer@p3housing.invalid".into(),
        complaint: None,
        closed: None,
    };
    store.save_service_request(request, None).await.unwrap();
    drop(store);
    {
        let conn = rusqlite::Connection::open(dir.path().join("p3.db")).unwrap();
        conn.execute_batch(
            "DROP TABLE annual_records; DROP INDEX service_requests_status; ALTER TABLE service_requests DROP COLUMN status;
             PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let store = store_in(dir.path());
    let open = store
        .list_service_requests(&ServiceRequestQuery {
            status: Some(ServiceRequestStatus::Open),
            limit: 0,
        })
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, id);
}

#[tokio::test(flavor = "multi_thread")]
async fn service_requests_round_trip_with_their_idempotency_record() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let id = store.next_service_request_id(2026).await.unwrap();
    let request = ServiceRequest {
        id: id.clone(),
        description: "Fix the tap".into(),
        category: Some("repairs".into()),
        resident: Resident {
            name: Some("A Resident".into()),
            ..Default::default()
        },
        response: None,
        logged_at: t0(),
        recorded_at: t0(),
        logged_by: "officer@p3housing.invalid".into(),
        complaint: None,
        closed: None,
    };
    store
        .save_service_request(request.clone(), Some(idem("sr-key", "{}")))
        .await
        .unwrap();
    assert_eq!(
        store.load_service_request(&id).await.unwrap(),
        Some(request.clone())
    );
    assert_eq!(
        store.load_service_request("SR-2026-09999").await.unwrap(),
        None
    );

    let mut other = request.clone();
    other.id = store.next_service_request_id(2026).await.unwrap();
    assert_eq!(
        store
            .save_service_request(other.clone(), Some(idem("sr-key", "{}")))
            .await,
        Err(StoreError::DuplicateKey)
    );
    assert_eq!(store.load_service_request(&other.id).await.unwrap(), None);
    assert!(store.idempotent_reply("sr-key").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn timers_are_replaced_on_save_and_only_due_ones_are_returned() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let r = "CMP-2026-00001";
    let case = new_case(r);
    let past = timer(r, AlertKind::Reminder, t0() - Duration::minutes(1));
    let future = timer(r, AlertKind::DueToday, t0() + Duration::days(5));
    let mut w = create(&case);
    w.timers = vec![future.clone(), past.clone()];
    store.save(w).await.unwrap();
    store.sync(r, &[]).await.unwrap();

    let due = store.due(t0(), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].alert, past.alert);
    assert_eq!(due[0].attempts, 0);
    assert_eq!(store.next_fire_at().await.unwrap(), Some(past.fire_at));

    // A failed send tries later and counts the attempt.
    store
        .postpone(&past.alert.id(), t0() + Duration::minutes(5))
        .await
        .unwrap();
    assert!(store.due(t0(), 10).await.unwrap().is_empty());
    let later = store.due(t0() + Duration::minutes(5), 10).await.unwrap();
    assert_eq!((later.len(), later[0].attempts), (1, 1));

    // The next save replaces the whole set.
    let breach = timer(r, AlertKind::Breach, t0() + Duration::days(6));
    let (_, mut w) = acknowledge(&case);
    w.timers = vec![breach.clone()];
    store.save(w).await.unwrap();
    let all = store.due(all_timers_query(), 10).await.unwrap();
    assert_eq!(
        all.iter().map(|t| t.alert.clone()).collect::<Vec<_>>(),
        vec![breach.alert.clone()]
    );

    store.complete(&breach.alert.id()).await.unwrap();
    assert!(store.due(all_timers_query(), 10).await.unwrap().is_empty());
    assert_eq!(store.next_fire_at().await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sent_alert_timer_is_not_recreated() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let r = "CMP-2026-00001";
    let case = new_case(r);
    let sent = timer(r, AlertKind::Reminder, t0());
    let pending = timer(r, AlertKind::DueToday, t0() + Duration::days(1));
    let mut w = create(&case);
    w.timers = vec![sent.clone(), pending.clone()];
    store.save(w).await.unwrap();

    assert!(!store.alert_sent(&sent.alert.id()).await.unwrap());
    store.mark_alert_sent(&sent.alert.id(), t0()).await.unwrap();
    store.mark_alert_sent(&sent.alert.id(), t0()).await.unwrap(); // twice is fine
    assert!(store.alert_sent(&sent.alert.id()).await.unwrap());

    let (_, mut w) = acknowledge(&case);
    w.timers = vec![sent.clone(), pending.clone()];
    store.save(w).await.unwrap();
    let all = store.due(all_timers_query(), 10).await.unwrap();
    assert_eq!(
        all.iter().map(|t| t.alert.clone()).collect::<Vec<_>>(),
        vec![pending.alert]
    );
}

/// Reference, status, owner, handler, next_due, open_until.
type Row = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

#[tokio::test(flavor = "multi_thread")]
async fn lists_filter_by_status_owner_and_overdue_in_deadline_order() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let today = d(2026, 3, 4);
    let cases: [Row; 8] = [
        (
            "CMP-2026-00001",
            "received",
            None,
            None,
            Some(d(2026, 3, 10)),
            None,
        ),
        (
            "CMP-2026-00002",
            "acknowledged",
            Some("Alice@P3.invalid"),
            Some("alice@p3.invalid"),
            Some(d(2026, 3, 5)),
            None,
        ),
        (
            "CMP-2026-00003",
            "responded",
            Some("carol@p3.invalid"),
            Some("carol@p3.invalid"),
            None,
            Some(d(2026, 3, 20)),
        ),
        (
            "CMP-2026-00004",
            "responded",
            None,
            None,
            None,
            Some(d(2026, 3, 1)),
        ),
        ("CMP-2026-00005", "closed", None, None, None, None),
        ("CMP-2026-00006", "withdrawn", None, None, None, None),
        (
            "CMP-2026-00007",
            "stage2_acknowledged",
            Some("alice@p3.invalid"),
            Some("bob@p3.invalid"),
            None,
            None,
        ),
        (
            "CMP-2026-00008",
            "received",
            None,
            None,
            Some(d(2026, 3, 1)),
            None,
        ),
    ];
    for (r, status, owner, handler, next_due, open_until) in cases {
        let mut w = create(&new_case(r));
        w.index = CaseIndex {
            status: status.into(),
            stage: 1,
            owner: owner.map(str::to_string),
            handler: handler.map(str::to_string),
            received_on: d(2026, 3, 2),
            next_due,
            open_until,
        };
        store.save(w).await.unwrap();
    }
    let refs = |cases: Vec<Case>| {
        cases
            .into_iter()
            .map(|c| c.reference[9..].to_string())
            .collect::<Vec<_>>()
    };
    let q = |status: Option<&str>, owner: Option<&str>, overdue: bool, limit: usize| CaseQuery {
        status: status.map(str::to_string),
        owner: owner.map(str::to_string),
        overdue,
        today: Some(today),
        limit,
    };

    assert_eq!(
        refs(store.list(&q(None, None, false, 0)).await.unwrap()),
        ["00008", "00002", "00001", "00003", "00007"]
    );
    assert_eq!(
        refs(store.list(&q(None, None, false, 2)).await.unwrap()),
        ["00008", "00002"]
    );
    assert_eq!(
        refs(
            store
                .list(&q(Some("closed"), None, false, 0))
                .await
                .unwrap()
        ),
        ["00004", "00005"]
    );
    assert_eq!(
        refs(
            store
                .list(&q(Some("responded"), None, false, 0))
                .await
                .unwrap()
        ),
        ["00003"]
    );
    assert_eq!(
        refs(
            store
                .list(&q(Some("withdrawn"), None, false, 0))
                .await
                .unwrap()
        ),
        ["00006"]
    );
    assert_eq!(
        refs(
            store
                .list(&q(Some("received"), None, false, 0))
                .await
                .unwrap()
        ),
        ["00008", "00001"]
    );
    assert_eq!(
        refs(
            store
                .list(&q(None, Some("ALICE@p3.invalid"), false, 0))
                .await
                .unwrap()
        ),
        ["00002", "00007"]
    );
    assert_eq!(
        refs(
            store
                .list(&q(None, Some("bob@p3.invalid"), false, 0))
                .await
                .unwrap()
        ),
        ["00007"]
    );
    assert_eq!(
        refs(store.list(&q(None, None, true, 0)).await.unwrap()),
        ["00008"]
    );
    assert_eq!(
        refs(
            store
                .list(&q(Some("closed"), Some("nobody@p3.invalid"), false, 0))
                .await
                .unwrap()
        ),
        Vec::<String>::new()
    );

    let open = store.list(&q(Some("open"), None, false, 0)).await.unwrap();
    assert_eq!(refs(open), ["00008", "00002", "00001", "00003", "00007"]);

    // A day later than the window, the responded case counts as closed.
    let later = CaseQuery {
        today: Some(d(2026, 3, 21)),
        ..q(Some("closed"), None, false, 0)
    };
    assert_eq!(
        refs(store.list(&later).await.unwrap()),
        ["00003", "00004", "00005"]
    );
    // Full cases come back, not just references.
    let listed = store
        .list(&q(Some("withdrawn"), None, false, 0))
        .await
        .unwrap();
    let whole = new_case("CMP-2026-00006");
    assert!(
        listed[0].history.is_empty(),
        "a list leaves the history out"
    );
    assert_eq!(
        listed[0],
        Case {
            history: Vec::new(),
            ..whole
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_concurrent_saves_all_land_and_survive_reopening() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let r = s.next_reference(2026).await?;
            let mut w = create(&new_case(&r));
            w.timers = vec![timer(&r, AlertKind::Reminder, t0() + Duration::days(1))];
            s.save(w).await?;
            Ok::<String, StoreError>(r)
        }));
    }
    let mut refs = Vec::new();
    for t in tasks {
        refs.push(t.await.unwrap().unwrap());
    }
    let stats = store.writer_stats();
    assert_eq!(stats.jobs, 400);
    assert!(stats.batches <= 400);
    drop(store);

    let store = store_in(dir.path());
    for r in &refs {
        assert_eq!(store.load(r).await.unwrap().unwrap().reference, *r);
    }
    let listed = store
        .list(&CaseQuery {
            limit: 1000,
            today: Some(d(2026, 3, 2)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 200);
    assert_eq!(
        store.due(all_timers_query(), 1000).await.unwrap().len(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_job_in_a_batch_does_not_roll_back_the_others() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let existing = new_case("CMP-2026-00001");
    let mut w = create(&existing);
    w.idempotency = Some(idem("used", "first"));
    store.save(w).await.unwrap();

    // Hold the writer so every job below is queued and committed in one transaction.
    let pause = store.pause_writer().await;
    let mut tasks = Vec::new();
    for i in 0..30u32 {
        let s = store.clone();
        let existing = existing.clone();
        tasks.push(tokio::spawn(async move {
            match i % 3 {
                0 => {
                    // A stale version: the case is at version 1, not 0.
                    let mut w = create(&existing);
                    w.expected_version = 0;
                    ("conflict", s.save(w).await)
                }
                1 => {
                    let mut w = create(&new_case(&format!("CMP-2026-{:05}", 100 + i)));
                    w.idempotency = Some(idem("used", "again"));
                    ("duplicate", s.save(w).await)
                }
                _ => (
                    "ok",
                    s.save(create(&new_case(&format!("CMP-2026-{:05}", 100 + i))))
                        .await,
                ),
            }
        }));
    }
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    // Reads do not wait for the writer, even while it holds its transaction open.
    let read = tokio::time::timeout(StdDuration::from_secs(2), store.load("CMP-2026-00001")).await;
    assert_eq!(read.unwrap().unwrap().map(|c| c.version), Some(1));
    let before = store.writer_stats();
    drop(pause);
    for t in tasks {
        match t.await.unwrap() {
            ("conflict", r) => assert_eq!(r, Err(StoreError::VersionConflict)),
            ("duplicate", r) => assert_eq!(r, Err(StoreError::DuplicateKey)),
            (_, r) => assert_eq!(r, Ok(())),
        }
    }
    let after = store.writer_stats();
    assert_eq!(after.batches, before.batches + 1, "{before:?} {after:?}");
    assert!(after.largest_batch >= 30, "{after:?}");
    for i in 0..30u32 {
        let loaded = store
            .load(&format!("CMP-2026-{:05}", 100 + i))
            .await
            .unwrap();
        assert_eq!(loaded.is_some(), i % 3 == 2, "case {i}");
    }
    assert_eq!(store.load("CMP-2026-00001").await.unwrap(), Some(existing));
    assert_eq!(
        store
            .idempotent_reply("used")
            .await
            .unwrap()
            .map(|r| r.reply),
        Some(idem("used", "first").reply)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_answers_unavailable_and_the_writer_recovers() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    store
        .save(create(&new_case("CMP-2026-00001")))
        .await
        .unwrap();

    // Cap the file at its current size: the next write that needs a page fails with SQLITE_FULL.
    store
        .exec_on_writer("PRAGMA max_page_count = 1")
        .await
        .unwrap();
    let mut big = new_case("CMP-2026-00002");
    big.complaint.description = "x".repeat(200_000);
    let result = store.save(create(&big)).await;
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "{result:?}"
    );
    assert_eq!(store.load("CMP-2026-00002").await.unwrap(), None);
    assert!(
        store.load("CMP-2026-00001").await.unwrap().is_some(),
        "reads go on"
    );

    store
        .exec_on_writer("PRAGMA max_page_count = 1073741823")
        .await
        .unwrap();
    store.save(create(&big)).await.unwrap();
    assert_eq!(store.load("CMP-2026-00002").await.unwrap(), Some(big));
    assert!(store.writer_stats().failed_batches >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_json_is_reported_as_corrupt() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    store
        .save(create(&new_case("CMP-2026-00001")))
        .await
        .unwrap();
    {
        let conn = rusqlite::Connection::open(dir.path().join("p3.db")).unwrap();
        conn.execute(
            "UPDATE cases SET snapshot = '{not json' WHERE reference = 'CMP-2026-00001'",
            [],
        )
        .unwrap();
    }
    assert!(matches!(
        store.load("CMP-2026-00001").await,
        Err(StoreError::Corrupt(_))
    ));
    let listed = store
        .list(&CaseQuery {
            today: Some(d(2026, 3, 2)),
            ..Default::default()
        })
        .await;
    assert!(matches!(listed, Err(StoreError::Corrupt(_))), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reopening_keeps_the_schema_and_a_newer_schema_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("p3.db");
    drop(SqliteStore::open(&path).unwrap());
    let store = SqliteStore::open(&path).unwrap();
    store
        .save(create(&new_case("CMP-2026-00001")))
        .await
        .unwrap();
    drop(store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch(&format!(
            "PRAGMA user_version = {}",
            p3_sqlite::SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        SqliteStore::open(&dir.path().join("missing-dir").join("p3.db")),
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_wakes_the_timer_loop() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path());
    let wakeup = store.timer_wakeup();
    let waiter = tokio::spawn(async move { wakeup.notified().await });
    tokio::time::sleep(StdDuration::from_millis(20)).await;
    store.sync("CMP-2026-00001", &[]).await.unwrap();
    tokio::time::timeout(StdDuration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap();
}

/// A reply kept by a release before typed replies (an HTTP status, body and content type,
/// sealed under its key) still answers a retry after the upgrade, meaning what it meant.
#[tokio::test(flavor = "multi_thread")]
async fn replies_kept_before_typed_replies_still_answer_retries() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("p3.db");
    drop(store_in(dir.path()));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let created_at = t0().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let view = r#"{"reference":"CMP-2026-00001","version":2,"status":"acknowledged"}"#;
    for (key, status, body, content_type) in [
        ("changed", 200, view, "application/json"),
        ("created", 201, view, "application/json"),
        (
            "form",
            303,
            "/complaints/CMP-2026-00001/confirmation?code=AB12-CD34",
            "text/uri-list",
        ),
    ] {
        let sealed_body = p3_sqlite::sealed::seal(key, body).unwrap();
        conn.execute(
            "INSERT INTO idempotency (key, fingerprint, status, body, content_type, created_at)
             VALUES (?1, 'fp', ?2, ?3, ?4, ?5)",
            rusqlite::params![
                p3_sqlite::sealed::lookup(key),
                status,
                sealed_body,
                content_type,
                created_at
            ],
        )
        .unwrap();
    }
    drop(conn);
    let store = store_in(dir.path());
    let reply = |key: &'static str| {
        let store = &store;
        async move { store.idempotent_reply(key).await.unwrap().unwrap().reply }
    };
    let expected_view = ReplyView {
        reference: "CMP-2026-00001".into(),
        version: Some(2),
        body: view.into(),
    };
    assert_eq!(
        reply("changed").await,
        StoredReply::Changed(expected_view.clone())
    );
    assert_eq!(reply("created").await, StoredReply::Created(expected_view));
    assert_eq!(
        reply("form").await,
        StoredReply::ToResident {
            reference: "CMP-2026-00001".into(),
            access_code: "AB12-CD34".into(),
            page: p3_domain::ports::ResidentPage::Confirmation,
        }
    );
}
