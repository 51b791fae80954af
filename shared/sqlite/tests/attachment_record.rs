//! Adding a file is all or nothing: when the `AttachmentAdded` event cannot be written (the
//! store is unavailable, or every attempt loses its save to another write), the file already
//! stored through the `AttachmentStore` port is removed again, and the case holds no trace of
//! it. The case store is the real SQLite store behind a wrapper that fails its saves on demand.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use p3_domain::alert::{AlertAddresses, AlertEmail};
use p3_domain::attachment::{self, AttachmentStore, Upload};
use p3_domain::case::{Case, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::event::CaseEvent;
use p3_domain::ports::{
    CaseQuery, CaseStore, CaseWrite, Clock, IdempotencyRecord, Notifier, NotifyError, Random,
    ReplyView, StoreError, StoredReply,
};
use p3_domain::role::{Caller, Role};
use p3_domain::service::{Service, ServiceError, Settings};
use p3_domain::service_request::{ServiceRequest, ServiceRequestQuery, ServiceRequestStatus};
use p3_sqlite::SqliteStore;

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

struct Sevens;

impl Random for Sevens {
    fn bytes10(&self) -> [u8; 10] {
        [7; 10]
    }
}

/// The SQLite store, whose saves fail with `failure` once it is set.
struct Failing {
    inner: Arc<SqliteStore>,
    failure: Mutex<Option<fn() -> StoreError>>,
    saves_refused: Mutex<usize>,
}

#[async_trait]
impl CaseStore for Failing {
    async fn next_reference(&self, year: i32) -> Result<String, StoreError> {
        self.inner.next_reference(year).await
    }
    async fn save(&self, write: CaseWrite) -> Result<(), StoreError> {
        let failure = *self.failure.lock().unwrap();
        match failure {
            Some(f) => {
                *self.saves_refused.lock().unwrap() += 1;
                Err(f())
            }
            None => self.inner.save(write).await,
        }
    }
    async fn load(&self, reference: &str) -> Result<Option<Case>, StoreError> {
        self.inner.load(reference).await
    }
    async fn list(&self, query: &CaseQuery) -> Result<Vec<Case>, StoreError> {
        self.inner.list(query).await
    }
    async fn closed_since(&self, since: DateTime<Utc>) -> Result<Vec<Case>, StoreError> {
        self.inner.closed_since(since).await
    }
    async fn idempotent_reply(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.idempotent_reply(key).await
    }
    async fn next_service_request_id(&self, year: i32) -> Result<String, StoreError> {
        self.inner.next_service_request_id(year).await
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
    async fn list_service_requests(
        &self,
        query: &ServiceRequestQuery,
    ) -> Result<Vec<ServiceRequest>, StoreError> {
        self.inner.list_service_requests(query).await
    }
    async fn update_service_request(
        &self,
        request: ServiceRequest,
        expected: ServiceRequestStatus,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        self.inner
            .update_service_request(request, expected, idempotency)
            .await
    }
    async fn alert_sent(&self, alert_id: &str) -> Result<bool, StoreError> {
        self.inner.alert_sent(alert_id).await
    }
    async fn mark_alert_sent(&self, alert_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.inner.mark_alert_sent(alert_id, at).await
    }
}

/// Files kept in memory, through the domain's port: what is kept, and every removal.
#[derive(Default)]
struct Files {
    kept: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    removed: Mutex<Vec<String>>,
}

#[async_trait]
impl AttachmentStore for Files {
    async fn put(&self, reference: &str, id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.kept
            .lock()
            .unwrap()
            .insert((reference.into(), id.into()), bytes);
        Ok(())
    }
    async fn get(&self, reference: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = (reference.to_string(), id.to_string());
        Ok(self.kept.lock().unwrap().get(&key).cloned())
    }
    async fn delete(&self, reference: &str, id: &str) -> Result<(), StoreError> {
        let key = (reference.to_string(), id.to_string());
        self.kept.lock().unwrap().remove(&key);
        self.removed.lock().unwrap().push(id.to_string());
        Ok(())
    }
    async fn delete_case(&self, reference: &str) -> Result<(), StoreError> {
        self.kept.lock().unwrap().retain(|(r, _), _| r != reference);
        Ok(())
    }
}

fn reply(c: &Case, _id: &str) -> StoredReply {
    StoredReply::Created(ReplyView {
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
        random: Arc::new(Sevens),
        rules: Arc::new(Rules::default()),
        settings: Arc::new(Settings {
            landlord: "P3 Housing".into(),
            categories: vec!["repairs".into()],
            addresses: AlertAddresses::default(),
            base_url: "http://localhost".into(),
        }),
    }
}

fn photo() -> Upload {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    bytes.extend(0u8..64);
    Upload {
        filename: "damp.png".into(),
        bytes,
        description: "The back bedroom".into(),
    }
}

/// A case received at [`now`], on a store whose saves fail once armed.
async fn case_on_a_failing_store() -> (tempfile::TempDir, Arc<Failing>, Service, String) {
    let dir = tempfile::tempdir().unwrap();
    let inner =
        Arc::new(SqliteStore::open_with_clock(&dir.path().join("p3.db"), Arc::new(Fixed)).unwrap());
    let store = Arc::new(Failing {
        inner: inner.clone(),
        failure: Mutex::new(None),
        saves_refused: Mutex::new(0),
    });
    let svc = service(store.clone(), inner);
    let new = NewCase {
        procedure: "housing".into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("Ada Resident".into()),
                ..Default::default()
            },
            representative: None,
            channel: Channel::Phone,
            category: Some("repairs".into()),
            description: "Damp in the back bedroom".into(),
            desired_outcome: None,
            tenure: Tenure::LowCostRental,
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let w = svc
        .create_case(new, "olive@p3.example", Some(now()), None, &|c, _| {
            reply(c, "")
        })
        .await
        .unwrap();
    let reference = w.case.unwrap().reference;
    (dir, store, svc, reference)
}

async fn attach_failing(failure: fn() -> StoreError) -> (ServiceError, Arc<Failing>, Files, Case) {
    let (_dir, store, svc, reference) = case_on_a_failing_store().await;
    let before = svc.store.load(&reference).await.unwrap().unwrap();
    *store.failure.lock().unwrap() = Some(failure);
    let files = Files::default();
    let officer = Caller::staff("olive@p3.example", Role::Officer);
    let e = attachment::attach(&svc, &files, &reference, photo(), &officer, &reply)
        .await
        .expect_err("the record cannot be written");
    let after = svc.store.load(&reference).await.unwrap().unwrap();
    assert_eq!(after.version, before.version, "the case did not change");
    (e, store, files, after)
}

fn nothing_left(files: &Files, case: &Case) {
    assert!(
        files.kept.lock().unwrap().is_empty(),
        "the stored file was removed"
    );
    assert_eq!(
        files.removed.lock().unwrap().as_slice(),
        [attachment::new_id([7; 10])],
        "removed by the id it was stored under"
    );
    assert!(case.attachments.is_empty());
    assert!(!case
        .history
        .iter()
        .any(|e| matches!(e.event, CaseEvent::AttachmentAdded { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_error_on_the_record_removes_the_stored_file() {
    let (e, store, files, case) =
        attach_failing(|| StoreError::Unavailable("disk I/O error".into())).await;
    assert!(matches!(e, ServiceError::Unavailable(_)), "{e:?}");
    assert_eq!(*store.saves_refused.lock().unwrap(), 1);
    nothing_left(&files, &case);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_that_keeps_losing_its_save_removes_the_stored_file() {
    let (e, store, files, case) = attach_failing(|| StoreError::VersionConflict).await;
    // Retried on the case as it stands each time, then given up as busy.
    assert!(matches!(e, ServiceError::Unavailable(_)), "{e:?}");
    assert!(*store.saves_refused.lock().unwrap() > 1);
    nothing_left(&files, &case);
}
