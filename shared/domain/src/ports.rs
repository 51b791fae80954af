//! The small traits the domain needs from the outside world. The local server implements them
//! on SQLite and a timer loop; the Lambda functions on DynamoDB, EventBridge Scheduler, SQS and SES.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::{AlertEmail, Notice, Timer};
use crate::case::Case;
use crate::event::EventRecord;
use crate::london::Month;
use crate::service_request::{ServiceRequest, ServiceRequestQuery, ServiceRequestStatus};

/// Where time comes from: injected so tests can stand on any date.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Where unguessable secrets come from (access codes).
pub trait Random: Send + Sync {
    /// Ten bytes from a cryptographically secure source.
    fn bytes10(&self) -> [u8; 10];
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Another write changed the case first (its version moved on).
    #[error("the case was changed by someone else")]
    VersionConflict,
    /// The idempotency key was already used; the stored reply should be returned.
    #[error("the idempotency key was already used")]
    DuplicateKey,
    /// The store cannot be reached or written now; try again later.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The store refused the request itself (an item over its size limit, a transaction over
    /// its item limit, a statement it cannot run): sending the same request again fails the
    /// same way, so it is not "unavailable" and a client is not told to retry.
    #[error("the store refused the request: {0}")]
    Refused(String),
}

/// What a write answered, kept under an idempotency key so a retry is answered as the first
/// request was. It says what happened; how that reads on the wire (a status, headers, a page)
/// is the edge's business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StoredReply {
    /// Something new was recorded: a complaint, a Stage 2 request or a service request.
    Created(ReplyView),
    /// A case was changed.
    Changed(ReplyView),
    /// A resident who wrote through a web form is sent on to a page about their complaint.
    ToResident {
        /// The complaint's reference.
        reference: String,
        /// The access code that opens it (shown once on the confirmation).
        access_code: String,
        /// Which page.
        page: ResidentPage,
    },
}

/// The view of a record that a write answered with, as it was first sent (made by the edge,
/// opaque here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyView {
    /// The complaint's reference, or the service request's id.
    pub reference: String,
    /// The case version the view shows, where its reader may send it back to guard a change.
    pub version: Option<u64>,
    /// The view itself.
    pub body: String,
}

/// The resident's pages a form sends them on to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidentPage {
    /// "We have your complaint", with its reference and access code.
    Confirmation,
    /// The complaint itself.
    Case,
}

/// An idempotency record written together with the change it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// Scoped key: caller, route and the client's key.
    pub key: String,
    /// Hash of the request body, to refuse a reuse of the key for a different request.
    pub fingerprint: String,
    /// The reply.
    pub reply: StoredReply,
    /// When written (records expire after a day).
    pub created_at: DateTime<Utc>,
}

/// Denormalised fields of a case kept beside it for queries (lists, reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseIndex {
    /// Status name as of the write.
    pub status: String,
    /// Current stage.
    pub stage: u8,
    /// Stage 1 Investigating Manager.
    pub owner: Option<String>,
    /// Current stage's handler.
    pub handler: Option<String>,
    /// London receipt date.
    pub received_on: NaiveDate,
    /// Due date of the earliest unmet landlord deadline.
    pub next_due: Option<NaiveDate>,
    /// While `responded`: the last day of the resident's window; the case counts as closed after it.
    pub open_until: Option<NaiveDate>,
}

/// A change to persist: the new state of a case, its new events, the full set of alert timers
/// it now needs, and any idempotency record; all or nothing.
#[derive(Debug, Clone)]
pub struct CaseWrite {
    /// The case after the change.
    pub case: Case,
    /// Query fields.
    pub index: CaseIndex,
    /// Events added by the change.
    pub new_events: Vec<EventRecord>,
    /// The version the change was decided on (0 for a new case); a mismatch is a conflict.
    pub expected_version: u64,
    /// Every timer the case needs now (replaces the previous set).
    pub timers: Vec<Timer>,
    /// Reply to keep under an idempotency key.
    pub idempotency: Option<IdempotencyRecord>,
}

/// A list query over cases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseQuery {
    /// Status name; none means every open case.
    pub status: Option<String>,
    /// Stage 1 owner or current handler.
    pub owner: Option<String>,
    /// Only cases with a landlord deadline before today.
    pub overdue: bool,
    /// The London date the query is made on.
    pub today: Option<NaiveDate>,
    /// At most this many.
    pub limit: usize,
}

/// Persistence of cases, service requests, idempotency records and sent alerts.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Reserves the next case reference for a year, e.g. `CMP-2026-00042`; never reused.
    async fn next_reference(&self, year: i32) -> Result<String, StoreError>;
    /// Persists a change atomically; `VersionConflict` if the case moved on, `DuplicateKey` if
    /// the idempotency key exists.
    async fn save(&self, write: CaseWrite) -> Result<(), StoreError>;
    /// A case by reference.
    async fn load(&self, reference: &str) -> Result<Option<Case>, StoreError>;
    /// Cases matching a query, earliest next deadline first, each without its history (an
    /// empty `history`): a list shows cases, not their timelines, and a store may keep the
    /// events apart from the case. [`CaseStore::load`] gives the whole case.
    async fn list(&self, query: &CaseQuery) -> Result<Vec<Case>, StoreError>;
    /// The reply kept under an idempotency key, if any.
    async fn idempotent_reply(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Reserves the next service request id for a year, e.g. `SR-2026-00007`.
    async fn next_service_request_id(&self, year: i32) -> Result<String, StoreError>;
    /// Persists a new service request (with its idempotency record) atomically.
    async fn save_service_request(
        &self,
        request: ServiceRequest,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError>;
    /// A service request by id.
    async fn load_service_request(&self, id: &str) -> Result<Option<ServiceRequest>, StoreError>;
    /// Service requests with the query's status (every one without), oldest received first
    /// (then by id), at most `limit`, read through an index of their status.
    async fn list_service_requests(
        &self,
        query: &ServiceRequestQuery,
    ) -> Result<Vec<ServiceRequest>, StoreError>;
    /// Replaces a saved service request, with its idempotency record, atomically, only while
    /// its stored status is still `expected`: [`StoreError::VersionConflict`] if it moved on
    /// (or does not exist), [`StoreError::DuplicateKey`] if the key was used.
    async fn update_service_request(
        &self,
        request: ServiceRequest,
        expected: ServiceRequestStatus,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError>;
    /// True when the alert with this id was already sent.
    async fn alert_sent(&self, alert_id: &str) -> Result<bool, StoreError>;
    /// Which of these alerts (or letters) were already sent, as far as a read that may be a
    /// moment stale can tell: only for leaving out work that the sending itself checks again
    /// with [`CaseStore::alert_sent`] (so a stale answer costs a timer, never a second email),
    /// or for showing which letters' emails have gone.
    /// A store may answer it with one cheaper read instead of one strong read per id.
    async fn sent_among(
        &self,
        alert_ids: &[String],
    ) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let mut sent = std::collections::BTreeSet::new();
        for id in alert_ids {
            if self.alert_sent(id).await? {
                sent.insert(id.clone());
            }
        }
        Ok(sent)
    }
    /// Records that an alert was sent (after the notifier accepted it).
    async fn mark_alert_sent(&self, alert_id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Every case whose stored status may be closed
    /// ([`MAY_BE_CLOSED`](crate::retention::MAY_BE_CLOSED)) with an event at or after `since`,
    /// whole, in reference order: the hourly reconciliation queues their letters not yet
    /// emailed again (an open case's come with its deadlines).
    async fn closed_since(&self, since: DateTime<Utc>) -> Result<Vec<Case>, StoreError>;
}

/// Tells the scheduler that a case's timers changed. Locally the timers are already in the
/// store and this wakes the timer loop; on AWS it creates and deletes one-time schedules.
#[async_trait]
pub trait AlertScheduler: Send + Sync {
    /// Makes the scheduled alerts of a case match `timers`.
    async fn sync(&self, reference: &str, timers: &[Timer]) -> Result<(), StoreError>;

    /// Makes the scheduled alerts of many cases match their timers in one pass (the hourly
    /// reconciliation, [`crate::service::Service::reconcile_alerts`]); answers the cases whose
    /// sync failed, with why. By default one [`AlertScheduler::sync`] after another; a
    /// scheduler that can read all its schedules at once does so, so that a pass costs a call
    /// per page of schedules rather than one per case.
    async fn sync_all(&self, cases: &[(String, Vec<Timer>)]) -> Vec<(String, StoreError)> {
        let mut failed = Vec::new();
        for (reference, timers) in cases {
            if let Err(e) = self.sync(reference, timers).await {
                failed.push((reference.clone(), e));
            }
        }
        failed
    }
}

/// A timer that has come due, as held by a local timer queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTimer {
    /// The alert or letter email to consider sending.
    pub alert: Notice,
    /// Attempts so far (for back-off).
    pub attempts: u32,
}

/// A durable queue of timers for a single-process deployment.
#[async_trait]
pub trait TimerQueue: Send + Sync {
    /// Timers due at or before `now`, oldest first.
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueTimer>, StoreError>;
    /// The earliest pending fire time, to sleep until.
    async fn next_fire_at(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Removes a timer that was handled.
    async fn complete(&self, alert_id: &str) -> Result<(), StoreError>;
    /// Tries a timer again later after a failed send.
    async fn postpone(&self, alert_id: &str, until: DateTime<Utc>) -> Result<(), StoreError>;
}

/// Why a notifier could not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not send: {0}")]
pub struct NotifyError(pub String);

/// Sends emails (outbox files or SMTP locally, SES on AWS).
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one alert email; `Ok` only once it has been accepted.
    async fn send(&self, email: &AlertEmail) -> Result<(), NotifyError>;
}

/// What one month's report is computed from, as a [`ReportSource`] found it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonthRecords {
    /// Every case with an event whose `at` falls in the month (Europe/London), and every case
    /// with a stage still open at the month's last moment; a source may add a few more (the
    /// figures simply do not count them), never leave one out.
    pub cases: Vec<Case>,
    /// Every service request whose `logged_at` falls in the month.
    pub service_requests: Vec<ServiceRequest>,
    /// Rows (SQLite) or items (DynamoDB) read to find them, for benchmarks: a month's report
    /// should read about that month's records, never the whole store.
    pub rows_read: u64,
}

/// Where reports read their records: only what one month needs, through indexes.
#[async_trait]
pub trait ReportSource: Send + Sync {
    /// The cases and service requests the report of `month` (Europe/London) needs.
    async fn month_records(&self, month: Month) -> Result<MonthRecords, StoreError>;
}
