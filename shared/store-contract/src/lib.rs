//! The contract every [`CaseStore`] keeps, written once and run against each adapter: SQLite
//! (`shared/sqlite/tests/contract.rs`) and DynamoDB on the moto emulator
//! (`shared/aws/tests/dynamo_contract.rs`). It uses only the domain crate, tokio and chrono,
//! so the SQLite crate runs it without depending on AWS. A new adapter runs each check below
//! on a fresh store of its own.
//!
//! Each check takes a fresh, empty store whose clock is a [`TestClock`] from [`clock`]: records
//! are written at [`t0`], and the expiry check moves the clock on.
//!
//! The retention checks ([`retention`]) take a store that also keeps the retention port and
//! the monthly report's, and what the store holds as bytes ([`retention::Held`]), to search it
//! for removed text.

pub mod annual;
pub mod retention;
mod service_requests;

pub use service_requests::service_requests_list_by_status_and_close_once;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use p3_domain::case::{Actor, Case, Command, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::event::CaseEvent;
use p3_domain::letter::LetterKind;
use p3_domain::ports::{
    CaseIndex, CaseQuery, CaseStore, CaseWrite, Clock, IdempotencyRecord, ReplyView, ResidentPage,
    StoreError, StoredReply,
};
use p3_domain::service_request::ServiceRequest;

/// A clock the checks can move.
#[derive(Debug)]
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    /// Sets the current instant.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A clock standing at [`t0`], for a store under test.
pub fn clock() -> Arc<TestClock> {
    Arc::new(TestClock(Mutex::new(t0())))
}

/// When the checks' records are written: Monday 2 March 2026, 10:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0)
        .single()
        .expect("a valid instant")
}

pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a valid date")
}

fn actor_at(at: DateTime<Utc>) -> Actor {
    Actor {
        by: "officer@p3housing.invalid".into(),
        at,
        now: at,
    }
}

/// A new housing complaint received at `at`, as `Case::open` makes it.
pub fn new_case_at(reference: &str, at: DateTime<Utc>) -> Case {
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
    Case::open(reference, new, &actor_at(at), &Rules::default())
        .expect("a valid new complaint opens")
}

/// A new housing complaint received at [`t0`].
pub fn new_case(reference: &str) -> Case {
    new_case_at(reference, t0())
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

/// The write that stores a new case with all its events.
pub fn create(case: &Case) -> CaseWrite {
    CaseWrite {
        case: case.clone(),
        index: index("received"),
        new_events: case.history.clone(),
        expected_version: 0,
        timers: Vec::new(),
        idempotency: None,
    }
}

/// `cmd` made on `case` at `at` by an officer: the case after it and the write that stores it
/// (indexed as acknowledged, the investigating manager its owner).
fn changed_at(case: &Case, at: DateTime<Utc>, cmd: Command) -> (Case, CaseWrite) {
    let (next, events) = case
        .execute(cmd, &actor_at(at), &Rules::default())
        .expect("the change can be made");
    let mut ix = index("acknowledged");
    ix.owner = Some("im@p3housing.invalid".into());
    ix.handler = ix.owner.clone();
    let write = CaseWrite {
        case: next.clone(),
        index: ix,
        new_events: events,
        expected_version: case.version,
        timers: Vec::new(),
        idempotency: None,
    };
    (next, write)
}

/// Acknowledges Stage 1 of `case` at `at`: the case after it and the write that stores it.
pub fn acknowledge_at(case: &Case, at: DateTime<Utc>) -> (Case, CaseWrite) {
    let cmd = Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: Some("im@p3housing.invalid".into()),
        reviewer: None,
        complaint_points: vec!["The boiler".into()],
    };
    changed_at(case, at, cmd)
}

/// Adds an internal note to `case` at `at`: the case after it and the write that stores it
/// (one event; a change that can be made again and again).
pub fn note_at(case: &Case, at: DateTime<Utc>, text: &str) -> (Case, CaseWrite) {
    let cmd = Command::AddNote {
        text: text.into(),
        corrects: None,
    };
    changed_at(case, at, cmd)
}

fn acknowledge(case: &Case) -> (Case, CaseWrite) {
    acknowledge_at(case, t0())
}

/// A reply that answered a creation with `body`.
pub fn created(body: &str) -> StoredReply {
    StoredReply::Created(ReplyView {
        reference: "CMP-2026-00001".into(),
        version: Some(1),
        body: body.into(),
    })
}

/// The body of a reply that answered with a view.
pub fn body_of(reply: StoredReply) -> Option<String> {
    match reply {
        StoredReply::Created(view) | StoredReply::Changed(view) => Some(view.body),
        StoredReply::ToResident { .. } => None,
    }
}

/// An idempotency record answering `key` with a creation whose body is `body`.
pub fn idem(key: &str, body: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.into(),
        fingerprint: format!("fp-{key}"),
        reply: created(body),
        created_at: t0(),
    }
}

/// A saved case loads back exactly as saved, and so does its next version.
pub async fn a_saved_case_loads_back_unchanged(store: Arc<dyn CaseStore>) {
    let case = new_case("CMP-2026-00001");
    store.save(create(&case)).await.expect("save");
    assert_eq!(
        store.load("CMP-2026-00001").await.expect("load"),
        Some(case.clone())
    );
    assert_eq!(store.load("CMP-2026-99999").await.expect("load"), None);

    let (next, write) = acknowledge(&case);
    store.save(write).await.expect("save");
    let loaded = store
        .load("CMP-2026-00001")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(loaded, next);
    // The acknowledgement and the letter it issued, the letter whole as written.
    assert_eq!(loaded.version, 3);
    assert_eq!(loaded.owner(), Some("im@p3housing.invalid"));
    let names: Vec<&str> = loaded.history.iter().map(|e| e.event.name()).collect();
    assert_eq!(names, ["received", "acknowledged", "letter_issued"]);
    let Some(CaseEvent::LetterIssued { letter }) = loaded.history.last().map(|e| &e.event) else {
        panic!("the last event is the letter")
    };
    assert_eq!(letter.kind, LetterKind::Acknowledgement);
    assert!(letter.text.contains("The boiler"), "{}", letter.text);
    assert_eq!(loaded.letters.len(), 1);
    assert_eq!(loaded.letters[0].subject, letter.subject);
}

/// Two writes decided on the same version: one lands, the other is a conflict, one after the
/// other and concurrently; a taken reference and a stale version are conflicts too.
pub async fn two_saves_from_the_same_version_one_wins_the_other_conflicts(
    store: Arc<dyn CaseStore>,
) {
    // One after the other.
    let case = new_case("CMP-2026-00001");
    store.save(create(&case)).await.expect("save");
    let (_, first) = acknowledge(&case);
    let (_, second) = acknowledge(&case);
    assert_eq!(store.save(first).await, Ok(()));
    assert_eq!(store.save(second).await, Err(StoreError::VersionConflict));

    // At the same time.
    let case = new_case("CMP-2026-00002");
    store.save(create(&case)).await.expect("save");
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
        store
            .load("CMP-2026-00002")
            .await
            .expect("load")
            .map(|c| c.version),
        Some(3)
    );

    // A "new" case whose reference is taken is a conflict, and changes nothing.
    let mut again = create(&new_case("CMP-2026-00002"));
    again.index.status = "withdrawn".into();
    assert_eq!(store.save(again).await, Err(StoreError::VersionConflict));
    // So is a stale version.
    let (_, stale) = acknowledge(&case);
    assert_eq!(store.save(stale).await, Err(StoreError::VersionConflict));
    let stored = store
        .load("CMP-2026-00002")
        .await
        .expect("load")
        .expect("present");
    assert_eq!(stored.version, 3);
    assert_eq!(
        stored.letters.len(),
        1,
        "one acknowledgement letter, not two"
    );
    assert_eq!(stored.owner(), Some("im@p3housing.invalid"));
    // A version that never existed is a conflict, not an insert.
    let ghost = new_case("CMP-2026-00077");
    let (_, mut w) = acknowledge(&ghost);
    w.expected_version = 1;
    assert_eq!(store.save(w).await, Err(StoreError::VersionConflict));
    assert_eq!(store.load("CMP-2026-00077").await.expect("load"), None);
}

/// A write whose idempotency key was used is refused as a whole: no case, no events.
pub async fn a_used_idempotency_key_rolls_back_the_whole_write(store: Arc<dyn CaseStore>) {
    let first = new_case("CMP-2026-00001");
    let mut w = create(&first);
    w.idempotency = Some(idem(
        "staff:a:POST /cases:k1",
        "{\"reference\":\"CMP-2026-00001\"}",
    ));
    store.save(w).await.expect("save");

    let second = new_case("CMP-2026-00002");
    let mut w = create(&second);
    w.idempotency = Some(idem("staff:a:POST /cases:k1", "other"));
    assert_eq!(store.save(w).await, Err(StoreError::DuplicateKey));
    assert_eq!(store.load("CMP-2026-00002").await.expect("load"), None);

    // An update with a used key leaves the case as it was.
    let (_, mut w) = acknowledge(&first);
    w.idempotency = Some(idem("staff:a:POST /cases:k1", "ack"));
    assert_eq!(store.save(w).await, Err(StoreError::DuplicateKey));
    assert_eq!(
        store
            .load("CMP-2026-00001")
            .await
            .expect("load")
            .map(|c| c.version),
        Some(1)
    );

    // The first reply stands.
    assert_eq!(
        store
            .idempotent_reply("staff:a:POST /cases:k1")
            .await
            .expect("read"),
        Some(idem(
            "staff:a:POST /cases:k1",
            "{\"reference\":\"CMP-2026-00001\"}"
        ))
    );

    // Without the clash the same writes go through.
    store.save(create(&second)).await.expect("save");
    assert!(store.load("CMP-2026-00002").await.expect("load").is_some());
    let (_, w) = acknowledge(&first);
    store.save(w).await.expect("save");
}

/// A reply kept under a key reads back exactly, whatever it says; an unknown key has none;
/// after a day the record counts as absent and the key can be used again.
pub async fn idempotent_replies_round_trip_and_expire_after_a_day(
    store: Arc<dyn CaseStore>,
    clock: Arc<TestClock>,
) {
    let replies = [
        StoredReply::Changed(ReplyView {
            reference: "CMP-2026-00001".into(),
            version: Some(7),
            body: "{\"reference\":\"CMP-2026-00001\",\"note\":\"£ café — ünïcode\"}".into(),
        }),
        StoredReply::Created(ReplyView {
            reference: "SR-2026-00001".into(),
            version: None,
            body: String::new(),
        }),
        StoredReply::ToResident {
            reference: "CMP-2026-00001".into(),
            access_code: "AB12-CD34-EF56".into(),
            page: ResidentPage::Confirmation,
        },
    ];
    for (i, reply) in replies.into_iter().enumerate() {
        let mut w = create(&new_case(&format!("CMP-2026-{:05}", i + 10)));
        let record = IdempotencyRecord {
            key: format!("staff:olive@p3.invalid:POST /staff/complaints:{i}"),
            fingerprint: "sha256:abc".into(),
            reply,
            created_at: t0() + Duration::milliseconds(123),
        };
        w.idempotency = Some(record.clone());
        store.save(w).await.expect("save");
        assert_eq!(
            store.idempotent_reply(&record.key).await.expect("read"),
            Some(record)
        );
    }

    let mut w = create(&new_case("CMP-2026-00001"));
    let record = IdempotencyRecord {
        key: "staff:olive@p3.invalid:POST /staff/complaints:6f1c".into(),
        fingerprint: "sha256:abc".into(),
        reply: created("{\"reference\":\"CMP-2026-00001\",\"note\":\"£ café — ünïcode\"}"),
        created_at: t0() + Duration::milliseconds(123),
    };
    w.idempotency = Some(record.clone());
    store.save(w).await.expect("save");
    assert_eq!(
        store.idempotent_reply(&record.key).await.expect("read"),
        Some(record.clone())
    );
    assert_eq!(
        store.idempotent_reply("k-unknown").await.expect("read"),
        None
    );

    clock.set(t0() + Duration::hours(23));
    assert!(store
        .idempotent_reply(&record.key)
        .await
        .expect("read")
        .is_some());
    clock.set(t0() + Duration::hours(25));
    assert_eq!(
        store.idempotent_reply(&record.key).await.expect("read"),
        None
    );

    // An expired key can be used again, by a request a day later.
    let mut w = create(&new_case("CMP-2026-00002"));
    let mut again = record.clone();
    again.reply = created("second");
    again.created_at = t0() + Duration::hours(25);
    w.idempotency = Some(again);
    store.save(w).await.expect("save");
    assert_eq!(
        store
            .idempotent_reply(&record.key)
            .await
            .expect("read")
            .and_then(|r| body_of(r.reply)),
        Some("second".to_string())
    );
}

/// References and service request ids come from atomic counters: unique under concurrency,
/// increasing, per year.
pub async fn references_are_unique_and_increasing(store: Arc<dyn CaseStore>) {
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = Arc::clone(&store);
        tasks.push(tokio::spawn(async move { s.next_reference(2026).await }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        let reference = t.await.expect("task").expect("reference");
        assert!(seen.insert(reference.clone()), "{reference} given twice");
    }
    let expected: HashSet<String> = (1..=50).map(|i| format!("CMP-2026-{i:05}")).collect();
    assert_eq!(seen, expected);
    let mut previous = String::new();
    for _ in 0..3 {
        let next = store.next_reference(2026).await.expect("reference");
        assert!(next > previous, "{next} after {previous}");
        previous = next;
    }
    assert_eq!(previous, "CMP-2026-00053");
    assert_eq!(
        store.next_reference(2027).await.expect("reference"),
        "CMP-2027-00001"
    );
    assert_eq!(
        store.next_service_request_id(2026).await.expect("id"),
        "SR-2026-00001"
    );
    assert_eq!(
        store.next_service_request_id(2026).await.expect("id"),
        "SR-2026-00002"
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

/// Lists: open cases by default (a `responded` case only while the resident's window is open),
/// `closed` including responded cases past their window, a status, an owner or handler
/// (any case), overdue; earliest next deadline first, then reference; at most `limit`.
pub async fn lists_filter_by_status_owner_and_overdue_in_deadline_order(store: Arc<dyn CaseStore>) {
    let today = d(2026, 3, 4);
    let cases: [Row; 9] = [
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
        (
            "CMP-2026-00009",
            "stage2_requested",
            Some("dave@p3.invalid"),
            None,
            Some(d(2026, 3, 4)),
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
        store.save(w).await.expect("save");
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
    let list = |query: CaseQuery| {
        let store = Arc::clone(&store);
        async move { refs(store.list(&query).await.expect("list")) }
    };

    let open = ["00008", "00009", "00002", "00001", "00003", "00007"];
    assert_eq!(list(q(None, None, false, 0)).await, open);
    // A list gives each case without its history; a load gives the whole case.
    let listed = store.list(&q(None, None, false, 0)).await.expect("list");
    for summary in &listed {
        assert!(summary.history.is_empty(), "{}", summary.reference);
        let whole = store.load(&summary.reference).await.unwrap().unwrap();
        assert!(!whole.history.is_empty());
        assert_eq!(
            &Case {
                history: Vec::new(),
                ..whole
            },
            summary
        );
    }
    assert_eq!(list(q(Some("open"), None, false, 0)).await, open);
    assert_eq!(list(q(Some(" Open "), None, false, 0)).await, open);
    assert_eq!(list(q(None, None, false, 2)).await, ["00008", "00009"]);
    assert_eq!(
        list(q(Some("closed"), None, false, 0)).await,
        ["00004", "00005"]
    );
    assert_eq!(list(q(Some("responded"), None, false, 0)).await, ["00003"]);
    assert_eq!(list(q(Some("withdrawn"), None, false, 0)).await, ["00006"]);
    assert_eq!(
        list(q(Some("received"), None, false, 0)).await,
        ["00008", "00001"]
    );
    assert_eq!(list(q(Some("received"), None, false, 1)).await, ["00008"]);
    assert_eq!(
        list(q(None, Some("ALICE@p3.invalid"), false, 0)).await,
        ["00002", "00007"]
    );
    assert_eq!(
        list(q(None, Some(" bob@p3.invalid "), false, 0)).await,
        ["00007"]
    );
    assert_eq!(
        list(q(None, Some("dave@p3.invalid"), false, 0)).await,
        ["00009"]
    );
    // Overdue: a landlord deadline before today (not on it).
    assert_eq!(list(q(None, None, true, 0)).await, ["00008"]);
    assert_eq!(
        list(q(None, Some("alice@p3.invalid"), true, 0)).await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(q(Some("closed"), Some("nobody@p3.invalid"), false, 0)).await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(q(Some("no_such_status"), None, false, 0)).await,
        Vec::<String>::new()
    );

    // A day after its window, the responded case counts as closed.
    let later = CaseQuery {
        today: Some(d(2026, 3, 21)),
        ..q(Some("closed"), None, false, 0)
    };
    assert_eq!(list(later).await, ["00003", "00004", "00005"]);
    let later_open = CaseQuery {
        today: Some(d(2026, 3, 21)),
        ..q(None, None, false, 0)
    };
    assert_eq!(
        list(later_open).await,
        ["00008", "00009", "00002", "00001", "00007"]
    );

    // Whole cases come back, not just references (without their history).
    let listed = store
        .list(&q(Some("withdrawn"), None, false, 0))
        .await
        .expect("list");
    let whole = new_case("CMP-2026-00006");
    assert_eq!(
        listed,
        vec![Case {
            history: Vec::new(),
            ..whole
        }]
    );

    // A save moves the case between lists.
    let case = new_case("CMP-2026-00001");
    let (_, w) = acknowledge(&case);
    store.save(w).await.expect("save");
    assert_eq!(list(q(Some("received"), None, false, 0)).await, ["00008"]);
    assert_eq!(
        list(q(Some("acknowledged"), None, false, 0)).await,
        ["00002", "00001"]
    );
}

pub(crate) fn service_request(id: &str) -> ServiceRequest {
    ServiceRequest {
        id: id.into(),
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
    }
}

/// A service request round-trips with its idempotency record; a used key writes nothing; a
/// taken id is a conflict.
pub async fn service_requests_round_trip_with_their_idempotency_record(store: Arc<dyn CaseStore>) {
    let id = store.next_service_request_id(2026).await.expect("id");
    let request = service_request(&id);
    store
        .save_service_request(request.clone(), Some(idem("sr-key", "{\"id\":1}")))
        .await
        .expect("save");
    assert_eq!(
        store.load_service_request(&id).await.expect("load"),
        Some(request.clone())
    );
    assert_eq!(
        store
            .load_service_request("SR-2026-09999")
            .await
            .expect("load"),
        None
    );
    assert_eq!(
        store
            .idempotent_reply("sr-key")
            .await
            .expect("read")
            .and_then(|r| body_of(r.reply)),
        Some("{\"id\":1}".to_string())
    );

    let other = service_request(&store.next_service_request_id(2026).await.expect("id"));
    assert_eq!(
        store
            .save_service_request(other.clone(), Some(idem("sr-key", "{\"id\":2}")))
            .await,
        Err(StoreError::DuplicateKey)
    );
    assert_eq!(
        store.load_service_request(&other.id).await.expect("load"),
        None
    );

    // Without a key it is saved; saving it again is a conflict.
    store
        .save_service_request(other.clone(), None)
        .await
        .expect("save");
    assert_eq!(
        store.load_service_request(&other.id).await.expect("load"),
        Some(other.clone())
    );
    assert_eq!(
        store.save_service_request(other, None).await,
        Err(StoreError::VersionConflict)
    );
}

/// An alert is marked sent once; marking it twice is fine; others stay unsent.
pub async fn alerts_are_marked_sent_once(store: Arc<dyn CaseStore>) {
    let id = "CMP-2026-00001:stage1_acknowledgement:reminder:2026-03-05";
    assert!(!store.alert_sent(id).await.expect("read"));
    store.mark_alert_sent(id, t0()).await.expect("mark");
    store
        .mark_alert_sent(id, t0() + Duration::minutes(1))
        .await
        .expect("mark twice");
    assert!(store.alert_sent(id).await.expect("read"));
    assert!(!store
        .alert_sent("CMP-2026-00001:stage1_acknowledgement:due_today:2026-03-09")
        .await
        .expect("read"));
}

/// Among many ids (more than one DynamoDB batch, one of them twice), exactly those marked
/// sent are found; none asked, none found.
pub async fn sent_alerts_are_found_among_many(store: Arc<dyn CaseStore>) {
    let id = |n: usize| format!("CMP-2026-{n:05}:stage1_response:breach:2026-03-20");
    store.mark_alert_sent(&id(3), t0()).await.expect("mark");
    store.mark_alert_sent(&id(140), t0()).await.expect("mark");
    let mut asked: Vec<String> = (1..=150).map(id).collect();
    asked.push(id(140));
    let sent = store.sent_among(&asked).await.expect("read");
    assert_eq!(sent.into_iter().collect::<Vec<_>>(), vec![id(3), id(140)]);
    assert!(store.sent_among(&[]).await.expect("read").is_empty());
}

/// The cases that may have closed with an event since a moment are found whole, in reference
/// order; an open case, or one quiet since then, is not.
pub async fn cases_that_may_have_closed_are_found_by_their_latest_event(store: Arc<dyn CaseStore>) {
    let at = |days: i64| t0() - Duration::days(days);
    let mut writes = Vec::new();
    for (reference, status, received) in [
        ("CMP-2026-00001", "received", at(0)),
        ("CMP-2026-00002", "withdrawn", at(0)),
        ("CMP-2026-00003", "closed", at(30)),
        ("CMP-2026-00004", "responded", at(1)),
    ] {
        let mut w = create(&new_case_at(reference, received));
        w.index.status = status.into();
        writes.push(w);
    }
    for w in writes {
        store.save(w).await.expect("save");
    }
    let found = |since: DateTime<Utc>| {
        let store = store.clone();
        async move {
            store
                .closed_since(since)
                .await
                .expect("read")
                .into_iter()
                .map(|c| (c.reference.clone(), c.history.len()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found(at(2)).await,
        [
            ("CMP-2026-00002".to_string(), 1),
            ("CMP-2026-00004".into(), 1)
        ]
    );
    assert_eq!(found(at(0) + Duration::seconds(1)).await, []);
    assert_eq!(
        found(at(40)).await,
        [
            ("CMP-2026-00002".to_string(), 1),
            ("CMP-2026-00003".into(), 1),
            ("CMP-2026-00004".into(), 1)
        ]
    );
}
