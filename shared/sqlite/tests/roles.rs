//! The role a staff action needs is checked on the case each attempt of the write loads: when
//! the first attempt loses a race (its save finds the case moved on) and the case is now at
//! Stage 2, the retry is judged at Stage 2. The store here lets the Stage 1 response and the
//! resident's Stage 2 request in between an Investigating Manager's extension being decided
//! and saved.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use p3_domain::alert::{AlertAddresses, AlertEmail};
use p3_domain::case::{Case, Command, CommandError, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::event::{CaseEvent, Outcome, PointDecision, RequestedThrough, StageResponse};
use p3_domain::ports::{
    CaseQuery, CaseStore, CaseWrite, Clock, IdempotencyRecord, Notifier, NotifyError, Random,
    ReplyView, StoreError, StoredReply,
};
use p3_domain::role::{Caller, Role};
use p3_domain::service::{Service, ServiceError, Settings};
use p3_domain::service_request::ServiceRequest;
use p3_sqlite::SqliteStore;

/// Tuesday 2 June 2026, 10:00 London.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 2, 9, 0, 0).unwrap()
}

struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        now()
    }
}

struct Quiet;

#[async_trait]
impl Notifier for Quiet {
    async fn send(&self, _email: &AlertEmail) -> Result<(), NotifyError> {
        Ok(())
    }
}

struct Zeros;

impl Random for Zeros {
    fn bytes10(&self) -> [u8; 10] {
        [7; 10]
    }
}

/// The SQLite store, with a change another request makes just before the next save.
struct Racing {
    inner: Arc<SqliteStore>,
    /// The service over `inner` that makes the change, taken by the first save.
    meanwhile: Mutex<Option<(Service, String)>>,
}

#[async_trait]
impl CaseStore for Racing {
    async fn next_reference(&self, year: i32) -> Result<String, StoreError> {
        self.inner.next_reference(year).await
    }
    async fn save(&self, write: CaseWrite) -> Result<(), StoreError> {
        let meanwhile = self.meanwhile.lock().unwrap().take();
        if let Some((svc, reference)) = meanwhile {
            for (command, caller) in [
                (
                    response(),
                    Caller::staff("im@p3.example", Role::InvestigatingManager),
                ),
                (
                    Command::RequestNextStage {
                        reason: Some("The boiler still fails".into()),
                        through: RequestedThrough::Resident,
                    },
                    Caller::Resident,
                ),
            ] {
                svc.act(&reference, command, &caller, None, None, None, &reply)
                    .await
                    .expect("the change made meanwhile");
            }
        }
        self.inner.save(write).await
    }
    async fn load(&self, reference: &str) -> Result<Option<Case>, StoreError> {
        self.inner.load(reference).await
    }
    async fn list(&self, query: &CaseQuery) -> Result<Vec<Case>, StoreError> {
        self.inner.list(query).await
    }
    async fn closed_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Case>, StoreError> {
        self.inner.closed_since(since).await
    }
    async fn idempotent_reply(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.idempotent_reply(key).await
    }
    async fn next_service_request_id(&self, year: i32) -> Result<String, StoreError> {
        self.inner.next_service_request_id(year).await
    }
    async fn list_service_requests(
        &self,
        query: &p3_domain::service_request::ServiceRequestQuery,
    ) -> Result<Vec<ServiceRequest>, StoreError> {
        self.inner.list_service_requests(query).await
    }
    async fn update_service_request(
        &self,
        request: ServiceRequest,
        expected: p3_domain::service_request::ServiceRequestStatus,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        self.inner
            .update_service_request(request, expected, idempotency)
            .await
    }
    async fn save_service_request(
        &self,
        request: ServiceRequest,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        self.inner.save_service_request(request, idempotency).await
    }
    async fn load_service_request(&self, id: &str) -> Result<Option<ServiceRequest>, StoreError> {
        self.inner.load_service_request(id).await
    }
    async fn alert_sent(&self, alert_id: &str) -> Result<bool, StoreError> {
        self.inner.alert_sent(alert_id).await
    }
    async fn mark_alert_sent(&self, alert_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.inner.mark_alert_sent(alert_id, at).await
    }
}

fn reply(c: &Case) -> StoredReply {
    StoredReply::Changed(ReplyView {
        reference: c.reference.clone(),
        version: Some(c.version),
        body: String::new(),
    })
}

fn service(store: Arc<dyn CaseStore>, inner: Arc<SqliteStore>) -> Service {
    Service {
        store,
        scheduler: inner,
        notifier: Arc::new(Quiet),
        clock: Arc::new(Fixed),
        random: Arc::new(Zeros),
        rules: Arc::new(Rules::default()),
        settings: Arc::new(Settings {
            landlord: "P3 Housing".into(),
            categories: vec!["repairs".into()],
            addresses: AlertAddresses::default(),
            base_url: "http://localhost".into(),
        }),
    }
}

/// The Stage 1 response the Investigating Manager issues.
fn response() -> Command {
    Command::Respond {
        stage: 1,
        response: StageResponse {
            outcome: Outcome::NotUpheld,
            summary: "The boiler was repaired on our first visit".into(),
            remedy: None,
            point_decisions: vec![PointDecision {
                point: "The boiler".into(),
                decision: Outcome::NotUpheld,
                reason: Some("The reasons for it".into()),
            }],
            actions: vec![],
            compensation_pence: None,
            learning: None,
        },
    }
}

/// A complaint received and acknowledged at Stage 1 at [`now`].
async fn acknowledged(svc: &Service) -> String {
    let new = NewCase {
        procedure: "housing".into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("Rosa Race".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Phone,
            category: Some("repairs".into()),
            description: "The boiler has failed twice this month".into(),
            desired_outcome: None,
            tenure: Tenure::LowCostRental,
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let officer = "officer@p3.example";
    let w = svc
        .create_case(new, officer, Some(now()), None, &|c, _| reply(c))
        .await
        .unwrap();
    let reference = w.case.unwrap().reference;
    svc.act(
        &reference,
        Command::Acknowledge {
            responsible_for: None,
            not_responsible_for: None,
            investigating_manager: Some("im@p3.example".into()),
            reviewer: None,
            complaint_points: vec!["The boiler".into()],
        },
        &Caller::staff(officer, Role::Officer),
        None,
        None,
        None,
        &reply,
    )
    .await
    .unwrap();
    reference
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_retried_after_the_case_reached_stage2_is_judged_at_stage2() {
    let dir = tempfile::tempdir().unwrap();
    let inner =
        Arc::new(SqliteStore::open_with_clock(&dir.path().join("p3.db"), Arc::new(Fixed)).unwrap());
    let plain = service(inner.clone(), inner.clone());
    let reference = acknowledged(&plain).await;
    let racing = Arc::new(Racing {
        inner: inner.clone(),
        meanwhile: Mutex::new(Some((plain.clone(), reference.clone()))),
    });
    let svc = service(racing.clone(), inner.clone());

    // An Investigating Manager's extension of Stage 1 loses its save to the Stage 1 response
    // and the resident's Stage 2 request; retried on the case now at Stage 2, it needs a
    // senior manager.
    let extend = Command::Extend {
        working_days: 10,
        reason: "Waiting for the engineer's report".into(),
    };
    let im = Caller::staff("im@p3.example", Role::InvestigatingManager);
    let r = svc
        .act(&reference, extend.clone(), &im, None, None, None, &reply)
        .await;
    assert!(
        racing.meanwhile.lock().unwrap().is_none(),
        "the race was run"
    );
    match r {
        Err(ServiceError::Command(CommandError::Forbidden { needed, role })) => {
            assert_eq!(
                (needed, role),
                (Role::SeniorManager, Role::InvestigatingManager)
            );
        }
        other => panic!("expected 403 on the retry, got {other:?}"),
    }
    let case = inner.load(&reference).await.unwrap().unwrap();
    assert_eq!(case.current_stage().number, 2);
    assert!(
        !case
            .history
            .iter()
            .any(|e| matches!(e.event, CaseEvent::Extended { .. })),
        "nothing was extended"
    );

    // A senior manager may make that Stage 2 extension.
    let svc = service(inner.clone(), inner.clone());
    let head = Caller::staff("head@p3.example", Role::SeniorManager);
    let w = svc
        .act(&reference, extend, &head, None, None, None, &reply)
        .await
        .expect("a senior manager may extend Stage 2");
    assert_eq!(w.case.unwrap().current_stage().extended_by(), 10);
}
