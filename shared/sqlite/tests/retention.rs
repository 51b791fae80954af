//! The retention rule on the SQLite store, driven through the service as `p3 serve` and
//! `p3 retention` drive it: a case closed six years and a day ago loses its personal data, and
//! so does the service request it was raised from; one closed six years less a day ago keeps
//! it; an open case always keeps it; the figures of the old months are the same afterwards; and
//! the removed text is nowhere in the database file or its write-ahead log.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use p3_domain::alert::{AlertAddresses, AlertEmail};
use p3_domain::case::{Command, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Representative, Resident, Tenure};
use p3_domain::event::{Outcome, PointDecision, PromisedAction, RequestedThrough, StageResponse};
use p3_domain::london::Month;
use p3_domain::ports::{
    CaseStore, Clock, Notifier, NotifyError, Random, ReportSource, StoredReply,
};
use p3_domain::report::{self, Homes};
use p3_domain::retention::{self, REMOVED};
use p3_domain::service::{Service, Settings};
use p3_domain::service_request::ServiceRequest;
use p3_sqlite::SqliteStore;

/// "Now" for the whole test: 15 June 2032, midday.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2032, 6, 15, 11, 0, 0).unwrap()
}

struct Fixed(DateTime<Utc>);

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

struct NoMail;

#[async_trait]
impl Notifier for NoMail {
    async fn send(&self, _email: &AlertEmail) -> Result<(), NotifyError> {
        Ok(())
    }
}

struct Counter(std::sync::atomic::AtomicU8);

impl Random for Counter {
    fn bytes10(&self) -> [u8; 10] {
        [self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed); 10]
    }
}

fn service(store: &Arc<SqliteStore>) -> Service {
    Service {
        store: store.clone(),
        scheduler: store.clone(),
        notifier: Arc::new(NoMail),
        clock: Arc::new(Fixed(now())),
        random: Arc::new(Counter(0.into())),
        rules: Arc::new(Rules::default()),
        settings: Arc::new(Settings {
            landlord: "P3 Housing".into(),
            categories: vec!["repairs".into()],
            addresses: AlertAddresses::default(),
            base_url: "http://localhost".into(),
        }),
    }
}

fn reply(_: &p3_domain::case::Case) -> StoredReply {
    StoredReply {
        status: 200,
        body: String::new(),
        content_type: "text/plain".into(),
    }
}

/// What a resident typed, unique per case so each can be searched for in the file.
struct Typed {
    name: String,
    email: String,
    phone: String,
    address: String,
    description: String,
    reason: String,
}

fn typed(tag: &str) -> Typed {
    Typed {
        name: format!("Resident {tag} Quill"),
        email: format!("resident.{tag}@example.org"),
        phone: format!("07700 9{tag}"),
        address: format!("{tag} Larkspur Row, Leeds"),
        description: format!("Damp in the back bedroom of {tag} since the winter"),
        reason: format!("Still damp at {tag}, nothing done"),
    }
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

/// A service request from the resident, logged at `at`, whose description names them.
async fn log_request(svc: &Service, t: &Typed, at: DateTime<Utc>) -> (String, String) {
    let description = format!("Mend the gate at {}", t.address);
    let request = ServiceRequest {
        id: String::new(),
        description: description.clone(),
        category: Some("repairs".into()),
        resident: Resident {
            name: Some(t.name.clone()),
            email: Some(t.email.clone()),
            ..Default::default()
        },
        response: Some(format!("Booked for {}", t.name)),
        logged_at: at,
        recorded_at: at,
        logged_by: "officer@p3.example".into(),
    };
    // The reply carries the id the store gave it.
    let w = svc
        .create_service_request(request, None, &|r| StoredReply {
            status: 201,
            body: r.id.clone(),
            content_type: "text/plain".into(),
        })
        .await
        .expect("a service request");
    (w.reply.body, description)
}

async fn open(svc: &Service, t: &Typed, received: DateTime<Utc>) -> String {
    open_from(svc, t, received, None).await
}

async fn open_from(
    svc: &Service,
    t: &Typed,
    received: DateTime<Utc>,
    service_request: Option<String>,
) -> String {
    let new = NewCase {
        procedure: "housing".into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some(t.name.clone()),
                email: Some(t.email.clone()),
                phone: Some(t.phone.clone()),
                address: Some(t.address.clone()),
                postcode: Some("LS1 4AP".into()),
                tenancy_reference: Some("T-99812".into()),
            },
            representative: Some(Representative {
                name: format!("Advocate for {}", t.name),
                relationship: Some("Citizens Advice".into()),
                email: Some(format!("advocate.{}", t.email)),
                address: Some(format!("Advice centre near {}", t.address)),
                authorised_copies: true,
            }),
            channel: Channel::Web,
            category: Some("repairs".into()),
            description: t.description.clone(),
            desired_outcome: Some(format!("Fix {} please", t.address)),
            tenure: Tenure::LowCostRental,
        },
        service_request,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let w = svc
        .create_case(new, "officer@p3.example", Some(received), None, &|c, _| {
            reply(c)
        })
        .await
        .expect("a new case");
    w.case.expect("the case").reference
}

async fn act(svc: &Service, reference: &str, when: DateTime<Utc>, by: &str, command: Command) {
    svc.act(reference, command, by, Some(when), None, None, &reply)
        .await
        .unwrap_or_else(|e| panic!("{reference}: {e}"));
}

fn response(t: &Typed) -> StageResponse {
    StageResponse {
        outcome: Outcome::PartlyUpheld,
        summary: format!("We visited {} and found damp", t.address),
        remedy: Some(format!("£150 to {}", t.name)),
        point_decisions: vec![PointDecision {
            point: format!("Damp at {}", t.address),
            decision: Outcome::Upheld,
            reason: Some(format!("Seen by the surveyor at {}", t.address)),
        }],
        actions: vec![PromisedAction {
            description: format!("Treat the damp at {}", t.address),
            due: chrono::NaiveDate::from_ymd_opt(2025, 4, 30).unwrap(),
            owner: None,
        }],
        compensation_pence: Some(15_000),
    }
}

/// Every string a test resident typed that must go, and must stay while the case is kept.
fn personal(t: &Typed) -> Vec<&str> {
    vec![
        &t.name,
        &t.email,
        &t.phone,
        &t.address,
        &t.description,
        &t.reason,
    ]
}

fn file_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["p3.db", "p3.db-wal"] {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            all.extend(b);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn personal_data_of_cases_closed_over_six_years_ago_is_removed_and_the_figures_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("p3.db")).unwrap());
    let svc = service(&store);

    // Raised from a service request, withdrawn six years and a day before "now": due.
    let old = typed("A1");
    let (request, request_text) = log_request(&svc, &old, at(2026, 5, 20)).await;
    let due = open_from(&svc, &old, at(2026, 6, 1), Some(request.clone())).await;
    act(
        &svc,
        &due,
        at(2026, 6, 14),
        "officer@p3.example",
        Command::Withdraw {
            reason: Some(old.reason.clone()),
        },
    )
    .await;

    // Withdrawn six years less a day before "now": kept.
    let recent = typed("B2");
    let kept = open(&svc, &recent, at(2026, 6, 1)).await;
    act(
        &svc,
        &kept,
        at(2026, 6, 16),
        "officer@p3.example",
        Command::Withdraw {
            reason: Some(recent.reason.clone()),
        },
    )
    .await;

    // Received twelve years ago and never answered: open, so kept whatever its age.
    let waiting = typed("C3");
    let open_case = open(&svc, &waiting, at(2020, 1, 6)).await;

    // Both stages in March to May 2025, then a late Ombudsman referral in 2025: closed long ago.
    let full = typed("D4");
    let both = open(&svc, &full, at(2025, 3, 3)).await;
    act(
        &svc,
        &both,
        at(2025, 3, 5),
        "officer@p3.example",
        Command::Acknowledge {
            investigating_manager: Some("im@p3.example".into()),
            reviewer: None,
            complaint_points: vec![format!("Damp at {}", full.address)],
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 7),
        "im@p3.example",
        Command::Extend {
            working_days: 5,
            reason: format!("Waiting for a survey of {}", full.address),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 20),
        "im@p3.example",
        Command::Respond {
            stage: 1,
            response: response(&full),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 25),
        "resident",
        Command::RequestNextStage {
            reason: Some(full.reason.clone()),
            through: RequestedThrough::Resident,
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 27),
        "officer@p3.example",
        Command::Acknowledge {
            investigating_manager: None,
            reviewer: Some("head@p3.example".into()),
            complaint_points: vec![format!("Damp at {}", full.address)],
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 4, 10),
        "head@p3.example",
        Command::Respond {
            stage: 2,
            response: response(&full),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 5, 2),
        "head@p3.example",
        Command::Ombudsman {
            determination: false,
            detail: format!("{} referred the damp at {}", full.name, full.address),
        },
    )
    .await;

    let months: Vec<Month> = [
        "2020-01", "2025-03", "2025-04", "2025-05", "2026-06", "2032-06",
    ]
    .iter()
    .map(|m| m.parse().unwrap())
    .collect();
    let figures = |records: &p3_domain::ports::MonthRecords, m: Month| {
        serde_json::to_value(report::monthly(
            &records.cases,
            &records.service_requests,
            m,
            &svc.rules,
            &Homes::default(),
        ))
        .unwrap()
    };
    let mut before = Vec::new();
    for m in &months {
        before.push(figures(&store.month_records(*m).await.unwrap(), *m));
    }

    let dry = retention::run(&svc, store.as_ref(), 6, now(), true)
        .await
        .unwrap();
    // In reference order: the 2025 case first.
    assert_eq!(dry.anonymised, vec![both.clone(), due.clone()]);
    for t in [&old, &full] {
        assert!(
            personal(t)
                .iter()
                .all(|s| contains(&file_bytes(dir.path()), s)),
            "a dry run changes nothing"
        );
    }
    assert!(contains(&file_bytes(dir.path()), &request_text));

    let done = retention::run(&svc, store.as_ref(), 6, now(), false)
        .await
        .unwrap();
    assert_eq!(done.anonymised, vec![both.clone(), due.clone()]);
    assert!(done.examined >= 2);

    // The rule, case by case.
    for reference in [&due, &both] {
        let case = store.load(reference).await.unwrap().unwrap();
        assert!(retention::is_anonymised(&case), "{reference}");
        assert_eq!(case.complaint.resident, Resident::default());
        assert_eq!(case.complaint.description, REMOVED);
        assert_eq!(case.access_code_hash, None);
        assert_eq!(case.complaint.category.as_deref(), Some("repairs"));
        assert_eq!(case.history.last().unwrap().event.name(), "anonymised");
    }
    let case = store.load(&both).await.unwrap().unwrap();
    let s1 = case.stage(1).unwrap().response.as_ref().unwrap();
    assert_eq!(s1.response.outcome, Outcome::PartlyUpheld);
    assert_eq!(s1.response.summary, REMOVED);
    assert_eq!(case.stages.len(), 2);
    // The service request it was raised from goes with it; its date and category stay.
    let sr = store.load_service_request(&request).await.unwrap().unwrap();
    assert_eq!(sr.resident, Resident::default());
    assert_eq!(
        (sr.description.as_str(), sr.response.as_deref()),
        (REMOVED, Some(REMOVED))
    );
    assert_eq!(
        (sr.logged_at, sr.category.as_deref()),
        (at(2026, 5, 20), Some("repairs"))
    );
    for reference in [&kept, &open_case] {
        let case = store.load(reference).await.unwrap().unwrap();
        assert!(!retention::is_anonymised(&case), "{reference}");
    }

    // The old months' figures are exactly as before, and so are this month's (the month the
    // anonymisations are recorded in: they count for nothing).
    for (m, was) in months.iter().zip(&before) {
        assert_eq!(
            &figures(&store.month_records(*m).await.unwrap(), *m),
            was,
            "{m}"
        );
    }
    // The removed text is nowhere in the file or its log; what is kept still is.
    let bytes = file_bytes(dir.path());
    for t in [&old, &full] {
        for s in personal(t) {
            assert!(!contains(&bytes, s), "`{s}` survived in the store's files");
        }
    }
    assert!(!contains(&bytes, &request_text));
    assert!(personal(&recent).iter().all(|s| contains(&bytes, s)));
    // (The open case has no withdrawal reason: the rest of what was typed is there.)
    assert!(personal(&waiting)[..5].iter().all(|s| contains(&bytes, s)));

    // A second run finds nothing more to do.
    let again = retention::run(&svc, store.as_ref(), 6, now(), false)
        .await
        .unwrap();
    assert!(again.anonymised.is_empty());
}
