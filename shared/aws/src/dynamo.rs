//! DynamoDB case store: every item of the service in one table, read by key or by one of three
//! global secondary indexes. No path uses Scan.
//!
//! | item | `PK` | `SK` | attributes | index keys | access pattern it serves |
//! |---|---|---|---|---|---|
//! | case | `CASE#{reference}` | `CASE` | `version` (N), `head` (the `SK` of the last staged event item it commits, see the event item), `snapshot` (B: the case's JSON without its history and without the complaint's text, deflated), `text` = `TEXT` (its text is in the text item; absent on items written before, whose snapshot holds the text), `owner`, `handler` (lower-case emails, for the list filters), `open_until`; `redacting` while a long retention rewrite is under way | `GSI1PK` = `STATUS#{status}`, `GSI1SK` = `{next_due or 9999-12-31}#{reference}`; `GSI3PK` = `SPAN#{YYYY-MM}` (London month of its first event, the receipt), `GSI3SK` = `{London date its last open stage ended, or 9999-12-31 while one is open}#{reference}`; while its stored status may be closed (`responded`, `closed`, `withdrawn`, `refused`) and it is not anonymised, `GSI2PK` = `RETENTION`, `GSI2SK` = `{at of its latest event}#{reference}` | load a case with its history (one strongly consistent Query on `PK`: the case item, its text item and its event items); update it only if `version` is still the one read (a conditional Put, in a transaction when the change keeps an idempotency record); list cases by status, next deadline first, filtered by owner or overdue (Query `GSI1`, one per status; the index projects only `owner`, `handler` and `open_until`, for the filters, and the cases are then read by key with BatchGetItem); the cases with a stage open at a month's end (Query `GSI3`, one per receipt month, `GSI3SK >= {first day of the next month}`); the cases the retention run may anonymise (Query `GSI2`, `RETENTION`, `GSI2SK` before the cutoff; see `dynamo_retention.rs`) |
//! | complaint text | `CASE#{reference}` | `TEXT` | `body` (B: the description and desired outcome as JSON, deflated) | | written with the case's first transaction, rewritten only by the retention run (see `dynamo_text.rs`); read with the case (the same Query), and by key with the case items of a list |
//! | event | `CASE#{reference}` | `EVENT#{sequence of its first event:010}`, or `EVENT#{sequence:010}#{token}` when staged (written before its case item, outside a transaction) | the events one write added in one London month: `prev` (a staged item's link to the staged item before it), `at` (its first event's, RFC 3339, fixed width), `type` (its events' types, comma-separated), `body` (B: the event record's JSON, or a list of them when it holds several, deflated; a `received` event's without the complaint's text, which is in the text item), `last` (N: its last event's sequence, only when it holds several; items written before 5 December 2026 hold one event each) | `GSI2PK` = `MONTH#{YYYY-MM}` (Europe/London month of `at`), `GSI2SK` = `{at}#{reference}#{sequence:010}`: only on a case's first event item of each London month | written with its case in the same transaction, or staged before its case item and read only when the case item's `head` leads to it; never overwritten but by the retention run; a month's cases for the monthly report (Query `GSI2`: one entry per case and month); a case's history in order (Query `PK`, `SK` begins with `EVENT#`); see `dynamo_events.rs` |
//! | counter | `COUNTER#case#{year}`, `COUNTER#service_request#{year}` | `COUNTER` | `value` (N) | | the next case reference `CMP-{year}-{n:05}` or service request id `SR-{year}-{n:05}` (UpdateItem `ADD value :one`, `UPDATED_NEW`: atomic, never reused) |
//! | idempotency record | `IDEM#{key}` | `IDEM` | `fingerprint`, `reply` (B: the domain's reply as JSON, deflated; an item written before typed replies holds `status` (N), `body` (B) and `content_type` instead), `created_at`, `expires_at` (N, epoch seconds, the table's TTL attribute: created + 24 h) | | replay a retried request (GetItem, strongly consistent; a record past its day counts as absent before TTL deletes it); written in the same transaction as the change it answers |
//! | sent alert | `ALERT#{alert_id}` | `SENT` | `sent_at` | | send each alert once (GetItem, strongly consistent; conditional Put); a write's due timers already sent (one eventually consistent BatchGetItem, [`CaseStore::sent_among`]) |
//! | service request | `SR#{id}` | `SR` | `body` (JSON), `logged_at`, `sr_status` (`open`, `escalated`, `closed`) | `GSI2PK` = `SRMONTH#{YYYY-MM}` (London month of `logged_at`), `GSI2SK` = `{logged_at}#{id}`; `GSI1PK` = `SRSTATUS#{status}`, `GSI1SK` = `{logged_at}#{id}` | load a service request (GetItem); written with its idempotency record in one transaction, an update conditional on the status read; a month's service requests for the monthly report (Query `GSI2`); the review list by status, oldest first (Query `GSI1`, then each by key; see `dynamo_service_requests.rs`) |
//! | annual record | `YEAR#{year}` | `COMMENTARY#{requirement}`, `GOVERNING_BODY` | `body` (the domain's JSON) | | what the landlord writes per financial year: the self-assessment's commentary, the governing body's response (Query of the year's partition; PutItem; see `dynamo_annual.rs`) |
//! | rate limit count | `LIMIT#{limit}#{client or reference}` | `WINDOW#{start, epoch seconds}` | `count` (N), `expires_at` (N, the window's end: the table's TTL attribute) | | the resident's routes' limits, shared by every instance (conditional UpdateItem `ADD count :one`; see `limit.rs`) |
//!
//! | index | partition key | sort key | projection | serves |
//! |---|---|---|---|---|
//! | `GSI1` | `GSI1PK` (S) | `GSI1SK` (S) | INCLUDE `owner`, `handler`, `open_until` | staff case lists: open, closed, by status, by owner, overdue (then the cases by key); service requests by status (then each by key) |
//! | `GSI2` | `GSI2PK` (S) | `GSI2SK` (S) | KEYS_ONLY | the monthly report: only that month's event and service request items (then the cases, and the service requests, by key); the retention run: only the case items of cases that may have closed, quiet since its cutoff |
//! | `GSI3` | `GSI3PK` (S) | `GSI3SK` (S) | KEYS_ONLY | the monthly report: cases received in a month whose last open stage ended after a given date (or is still open) |
//!
//! The monthly report ([`ReportSource`]) reads: the month's events (`GSI2`, `MONTH#`), the
//! cases still open at its end (`GSI3`, the month and the [`DEFAULT_REPORT_MONTHS_BACK`]
//! months before it, as SQLite's `case_spans`), those cases with their history (a Query of each
//! case's partition), and the
//! month's service requests (`GSI2`, `SRMONTH#`). A case received longer ago than that and
//! still open at the month's end would be missed: set the window (`REPORT_MONTHS_BACK`) to
//! cover the oldest open case.
//!
//! Binary attributes are deflated with a preset dictionary compiled in, named by an id in the
//! blob's first bytes; blobs written before dictionaries still read (see `dynamo_packing.rs`).
//!
//! A new case, or a change with an idempotency record to keep, is one `TransactWriteItems`: the
//! case item (conditional on `version`, or on not existing for a new case), its text item for
//! a new case, its new event items (a write's events of one London month in one item,
//! conditional on not existing) and the idempotency record (conditional on not existing, or
//! having expired). Any other change stages its event items first and then puts the case item
//! alone, conditional on `version`: the case item is the commit, and a reader takes only the
//! staged items its `head` leads to (see `dynamo_events.rs`), so each item is paid for once,
//! not twice. A case item marked `redacting` (a retention rewrite under way, see
//! `dynamo_retention.rs`) takes no other change. A concurrent update therefore gets
//! [`StoreError::VersionConflict`], never a lost update, and a used idempotency key
//! [`StoreError::DuplicateKey`]; either leaves nothing a reader sees. Alert timers are not kept here:
//! on AWS, EventBridge Scheduler holds them.
//!
//! The table itself is defined once, in `infra/template.yaml` (resource `ComplaintsTable`);
//! [`TableDefinition::from_template`] reads it and [`create_table`] creates a table from it, so
//! tests run against exactly the deployed key schema and indexes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConsumedCapacity, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    ReturnConsumedCapacity, ReturnValue, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use p3_domain::case::Case;
use p3_domain::earlier_reply;
use p3_domain::london::{london_date, Month};
use p3_domain::ports::{
    CaseQuery, CaseStore, CaseWrite, Clock, IdempotencyRecord, MonthRecords, ReportSource,
    StoreError, StoredReply, SystemClock,
};
use p3_domain::retention::{self, MAY_BE_CLOSED};
use p3_domain::service_request::{ServiceRequest, ServiceRequestQuery, ServiceRequestStatus};
use serde::Deserialize;
use tokio::task::JoinSet;

// In `src/` beside this file, where the checks that read the adapters' source look.
#[path = "dynamo_retention.rs"]
mod retention_store;
#[path = "dynamo_service_requests.rs"]
mod service_requests;

#[path = "dynamo_text.rs"]
mod text_store;

#[path = "dynamo_annual.rs"]
mod annual_store;

#[path = "dynamo_packing.rs"]
mod packing;

#[path = "dynamo_events.rs"]
mod events;

/// Default number of cases a list returns when the query sets no limit (as the SQLite store).
pub const DEFAULT_LIST_LIMIT: usize = 500;

/// How long an idempotency record answers retries; its TTL attribute is set this far ahead.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// The index of cases by status, next deadline first.
pub const GSI1: &str = "GSI1";

/// The index of events and service requests by Europe/London month, in time order.
pub const GSI2: &str = "GSI2";

/// The index of cases by London month of receipt and the date their last open stage ended.
pub const GSI3: &str = "GSI3";

/// How many months before a report's month the search for cases still open at its end goes
/// back (receipt months), by default: a case open longer than three years is not expected.
pub const DEFAULT_REPORT_MONTHS_BACK: u32 = 36;

/// Event types that open a stage of a case (as the SQLite store's `case_spans`).
const STAGE_STARTS: [&str; 2] = ["received", "escalation_requested"];

/// Event types that end the open stage of a case.
const STAGE_ENDS: [&str; 4] = [
    "resolved_at_first_contact",
    "responded",
    "withdrawn",
    "refused",
];

/// The logical id of the table in `infra/template.yaml`.
pub const TABLE_RESOURCE: &str = "ComplaintsTable";

/// The statuses listed as open by default: the open statuses of every built-in procedure
/// (the support-services procedure has three stages).
const OPEN_STATUSES: [&str; 7] = [
    "received",
    "acknowledged",
    "responded",
    "stage2_requested",
    "stage2_acknowledged",
    "stage3_requested",
    "stage3_acknowledged",
];

/// Sort-key stand-in for a case with no landlord deadline: after every real date.
const NO_DUE: &str = "9999-12-31";

/// `GSI2PK` of the case items the retention run reads (see the module's table).
const RETENTION_PARTITION: &str = "RETENTION";

/// Set on a case item while the retention run rewrites a history too long for one
/// transaction: no other change may be saved until the rewrite is done (see
/// `dynamo_retention.rs`).
const REDACTING: &str = "redacting";

/// DynamoDB's limit on the items of one transaction.
const MAX_TRANSACT_ITEMS: usize = 100;

/// DynamoDB's limit on the keys of one BatchGetItem.
const BATCH_GET_KEYS: usize = 100;

/// How many cases the monthly report loads at once.
const LOAD_CONCURRENCY: usize = 16;

/// Attempts of a transaction cancelled only because another transaction held its items.
const TRANSACTION_ATTEMPTS: u32 = 4;

/// Attempts to finish a BatchGetItem that returned unprocessed keys.
const BATCH_GET_ATTEMPTS: u32 = 8;

/// A DynamoDB item.
type Item = HashMap<String, AttributeValue>;

/// Capacity and requests a store has used so far, from `ReturnConsumedCapacity` (for cost
/// figures; DynamoDB reports every operation, the moto emulator only some).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CapacityUsed {
    /// DynamoDB requests sent.
    pub requests: u64,
    /// Read capacity units consumed (reads, queries, batch gets).
    pub read_units: f64,
    /// Write capacity units consumed (puts, updates, transactions).
    pub write_units: f64,
}

/// The case item's `head` by (reference, version): see [`DynamoStore`]'s `heads`.
type Heads = HashMap<(String, u64), Option<String>>;

/// The DynamoDB store: implements [`CaseStore`] over one table. Cheap to clone.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
    used: Arc<Mutex<CapacityUsed>>,
    report_months_back: u32,
    /// Cases loaded with their text still in their snapshot (see `dynamo_text.rs`).
    inline_text: Arc<Mutex<BTreeSet<String>>>,
    /// The case item's `head` at each version this store loaded or wrote (see
    /// `dynamo_events.rs`), so the next write links to it without reading it again.
    heads: Arc<Mutex<Heads>>,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// What a conditional item in a transaction stands for: decides the error its failed check means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The case item or one of its events, or a service request: someone else wrote first.
    Change,
    /// The idempotency record: the key was used.
    Idempotency,
}

/// One list query against `GSI1`: a status partition and what to keep of it.
#[derive(Debug, Clone)]
struct Branch {
    status: &'static str,
    custom: Option<String>,
    window: Window,
}

/// How a branch treats `responded` cases and their resident's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    /// Keep every item.
    Any,
    /// Keep cases whose window has not closed (still open).
    StillOpen,
    /// Keep cases whose window closed before today (counted as closed).
    Closed,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

fn case_pk(reference: &str) -> String {
    format!("CASE#{reference}")
}

fn idem_pk(key: &str) -> String {
    format!("IDEM#{key}")
}

/// Fixed-width RFC 3339 (nanoseconds, `Z`), so strings sort in time order and read back exactly.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode {what}: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("stored {what} is unreadable: {e}")))
}

/// Large text (a case's snapshot, a stored reply) is kept deflated in a binary attribute,
/// with a preset dictionary (see `dynamo_packing.rs`): JSON shrinks to a fifth or less, and
/// every case write pays for its item's size twice (the transaction), so this is most of what
/// a complaint costs in DynamoDB.
fn packed(what: &str, text: &str) -> Result<AttributeValue, StoreError> {
    packing::pack(text.as_bytes())
        .map(|bytes| AttributeValue::B(Blob::new(bytes)))
        .map_err(|e| StoreError::Corrupt(format!("cannot compress {what}: {e}")))
}

/// Reads an attribute written by [`packed`] (with any dictionary this build has, or none, as
/// before dictionaries), or a plain string one.
fn unpacked(item: &Item, name: &str) -> Result<String, StoreError> {
    match item.get(name) {
        Some(AttributeValue::B(blob)) => packing::unpack(blob.as_ref())
            .and_then(|bytes| String::from_utf8(bytes).map_err(|e| e.to_string()))
            .map_err(|e| StoreError::Corrupt(format!("item attribute `{name}`: {e}"))),
        Some(AttributeValue::S(text)) => Ok(text.clone()),
        _ => Err(StoreError::Corrupt(format!(
            "item attribute `{name}` is missing or not a string"
        ))),
    }
}

/// A binary attribute of an item as the store wrote it, inflated (either format, see
/// `dynamo_packing.rs`): for tests and tools that read the table directly.
pub fn inflate(blob: &[u8]) -> Result<Vec<u8>, String> {
    packing::unpack(blob)
}

/// The reply an idempotency item holds: the domain's reply as JSON in `reply`; an item written
/// before typed replies holds the HTTP answer in `status` and `body` instead, read by
/// [`earlier_reply`] (such items answer for a day).
fn stored_reply(item: &Item) -> Result<StoredReply, StoreError> {
    if item.contains_key("reply") {
        return from_json("reply", &unpacked(item, "reply")?);
    }
    earlier_reply::decode(get_n(item, "status")?, unpacked(item, "body")?)
        .map_err(|e| StoreError::Corrupt(format!("stored reply: {e}")))
}

/// The case a case item holds.
fn case_of(item: &Item) -> Result<Case, StoreError> {
    from_json("case", &unpacked(item, "snapshot")?)
}

fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!(
            "item attribute `{name}` is missing or not a string"
        ))),
    }
}

fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| {
            StoreError::Corrupt(format!(
                "item attribute `{name}` is not a valid number: {v}"
            ))
        }),
        _ => Err(StoreError::Corrupt(format!(
            "item attribute `{name}` is missing or not a number"
        ))),
    }
}

/// Error codes with which DynamoDB refuses a request as sent (an item over 400 KB, a bad
/// expression): sending it again fails the same way.
const REFUSED_CODES: [&str; 3] = [
    "ValidationException",
    "SerializationException",
    "ItemCollectionSizeLimitExceededException",
];

/// Cancellation reasons of a transaction that mean the same.
const REFUSED_REASONS: [&str; 2] = ["ValidationError", "ItemCollectionSizeLimitExceeded"];

/// Maps an SDK error by whether trying again can help: a request DynamoDB refuses, or one the
/// SDK could not even build, is `Refused`; everything else (no connection, a timeout,
/// throttling, an internal error, a missing table or permission an operator can restore) is
/// `Unavailable`, so the client is told to retry.
fn sdk_error<E, R>(op: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    let refused = match &e {
        SdkError::ConstructionFailure(_) => true,
        SdkError::ServiceError(service) => service
            .err()
            .code()
            .is_some_and(|code| REFUSED_CODES.contains(&code)),
        _ => false,
    };
    let text = format!("DynamoDB {op}: {}", DisplayErrorContext(&e));
    if refused {
        StoreError::Refused(text)
    } else {
        StoreError::Unavailable(text)
    }
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Refused(format!("cannot build a DynamoDB request: {e}"))
}

/// A short pause before retrying, growing with each attempt, with a little jitter.
async fn back_off(attempt: u32) {
    let jitter = Utc::now().timestamp_subsec_micros() % 10_000;
    let micros = 20_000u64 * 2u64.pow(attempt.min(6)) + u64::from(jitter);
    tokio::time::sleep(StdDuration::from_micros(micros)).await;
}

fn owner_of(query: &CaseQuery) -> Option<String> {
    query
        .owner
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
}

fn branches(status: Option<&str>) -> Vec<Branch> {
    let branch = |status: &'static str, window: Window| Branch {
        status,
        custom: None,
        window,
    };
    match status {
        None | Some("open") => OPEN_STATUSES
            .iter()
            .map(|&st| {
                let window = if st == "responded" {
                    Window::StillOpen
                } else {
                    Window::Any
                };
                branch(st, window)
            })
            .collect(),
        Some("closed") => vec![
            branch("closed", Window::Any),
            branch("responded", Window::Closed),
        ],
        Some("responded") => vec![branch("responded", Window::StillOpen)],
        Some(other) => vec![Branch {
            status: "",
            custom: Some(other.to_string()),
            window: Window::Any,
        }],
    }
}

impl DynamoStore {
    /// A store over `table` (created from `infra/template.yaml`) with the system clock.
    pub fn new(client: Client, table: String) -> DynamoStore {
        DynamoStore {
            client,
            table,
            clock: Arc::new(SystemClock),
            used: Arc::new(Mutex::new(CapacityUsed::default())),
            report_months_back: DEFAULT_REPORT_MONTHS_BACK,
            inline_text: Arc::new(Mutex::new(BTreeSet::new())),
            heads: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// How many receipt months before a report's month are searched for cases still open at
    /// its end (default [`DEFAULT_REPORT_MONTHS_BACK`]).
    pub fn with_report_months_back(mut self, months: u32) -> DynamoStore {
        self.report_months_back = months;
        self
    }

    /// Replaces the clock, which decides when idempotency records expire and what "today" is
    /// for lists without a date (so tests and the service agree on time).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> DynamoStore {
        self.clock = clock;
        self
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Requests and capacity units used so far by this store and its clones.
    pub fn capacity_used(&self) -> CapacityUsed {
        *self.used.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record_use<'a>(
        &self,
        write: bool,
        consumed: impl IntoIterator<Item = &'a ConsumedCapacity>,
    ) {
        let units: f64 = consumed
            .into_iter()
            .filter_map(|c| c.capacity_units())
            .sum();
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.requests += 1;
        if write {
            used.write_units += units;
        } else {
            used.read_units += units;
        }
    }

    /// Every case with an event whose Europe/London date falls in `month`, by reference, and
    /// the number of event items read to find them: Query on `GSI2` (`MONTH#{month}`), then
    /// each of those cases with its history. Only that month's event index entries are read.
    pub async fn month_events(&self, month: Month) -> Result<(Vec<Case>, usize), StoreError> {
        let items = self
            .query_index(
                "Query (month)",
                GSI2,
                "#pk = :pk",
                &[("#pk", "GSI2PK"), ("#case", "PK")],
                vec![(":pk", s(format!("MONTH#{month}")))],
                Some("#case"),
            )
            .await?;
        let read = items.len();
        let references = references_of(&items)?;
        let cases = self.load_many(references).await?;
        Ok((cases, read))
    }

    /// Every item of one index partition that matches `condition`, page after page; only the
    /// attributes in `projection` when given.
    async fn query_index(
        &self,
        op: &str,
        index: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        self.query_all(op, Some(index), condition, names, values, projection)
            .await
    }

    /// Every item of one partition of the table (strongly consistent) or of an index
    /// (eventually consistent, as indexes are) that matches `condition`, page after page.
    async fn query_all(
        &self,
        op: &str,
        index: Option<&str>,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let names: HashMap<String, String> = names
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let values: HashMap<String, AttributeValue> = values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .consistent_read(index.is_none())
                .key_condition_expression(condition)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .set_projection_expression(projection.map(str::to_string))
                .set_exclusive_start_key(start.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error(op, e))?;
            self.record_use(false, out.consumed_capacity());
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => break,
            }
        }
        Ok(items)
    }

    /// Whole cases (with their history) by reference, in reference order: one Query each,
    /// [`LOAD_CONCURRENCY`] at a time (the monthly report replays each case's history).
    async fn load_many(&self, references: BTreeSet<String>) -> Result<Vec<Case>, StoreError> {
        let mut references = references.into_iter();
        let mut cases = Vec::with_capacity(references.len());
        let mut tasks = JoinSet::new();
        loop {
            while tasks.len() < LOAD_CONCURRENCY {
                let Some(reference) = references.next() else {
                    break;
                };
                let store = self.clone();
                tasks.spawn(async move { store.load(&reference).await });
            }
            let Some(done) = tasks.join_next().await else {
                break;
            };
            let loaded =
                done.map_err(|e| StoreError::Unavailable(format!("a case load failed: {e}")))??;
            cases.extend(loaded);
        }
        cases.sort_by(|a, b| a.reference.cmp(&b.reference));
        Ok(cases)
    }

    /// The cases received in `receipt_month` whose last open stage ended on or after `from`
    /// (London dates), or is still open: one Query on `GSI3` (keys only).
    async fn spans_after(
        &self,
        receipt_month: Month,
        from: chrono::NaiveDate,
    ) -> Result<Vec<Item>, StoreError> {
        self.query_index(
            "Query (open at month end)",
            GSI3,
            "#pk = :pk AND #sk >= :from",
            &[("#pk", "GSI3PK"), ("#sk", "GSI3SK")],
            vec![
                (":pk", s(format!("SPAN#{receipt_month}"))),
                (":from", s(from.to_string())),
            ],
            None,
        )
        .await
    }

    /// The case item and the event items of one case (one Query on its partition, strongly
    /// consistent), put back together: the case item holds the case without its history.
    async fn load_whole(&self, reference: &str) -> Result<Option<Case>, StoreError> {
        let items = self
            .query_all(
                "Query (case)",
                None,
                "#pk = :pk",
                &[("#pk", "PK")],
                vec![(":pk", s(case_pk(reference)))],
                None,
            )
            .await?;
        let mut case: Option<Case> = None;
        let mut head = None;
        let mut text = None;
        let mut event_items = Vec::new();
        for item in &items {
            let sk = get_s(item, "SK")?;
            if sk == "CASE" {
                self.note_text_inline(reference, !text_store::has_text_item(item));
                head = events::head_of(item);
                case = Some(case_of(item)?);
            } else if sk == text_store::TEXT_SK {
                text = Some(item);
            } else if sk.starts_with(events::EVENT_PREFIX) {
                event_items.push(item);
            }
        }
        let Some(mut case) = case else {
            return Ok(None);
        };
        // Only what the case item commits: staged items of a write that never finished are
        // left out. Items come in sort key order, so the events are in sequence order.
        let (committed, _) = events::sort_out(&event_items, head.as_deref())?;
        let mut history = Vec::new();
        for item in committed {
            history.extend(events::events_of(item)?);
        }
        self.note_head(reference, case.version, head);
        case.history = history;
        if let Some(text) = text {
            text_store::restore_text(&mut case, text)?;
        }
        Ok(Some(case))
    }

    /// The items a case write puts (the case and its new events), exactly as [`CaseStore::save`]
    /// writes them, for bulk seeding with BatchWriteItem (benchmarks): no conditions, no
    /// transaction.
    pub fn seed_items(&self, write: &CaseWrite) -> Result<Vec<Item>, StoreError> {
        let mut puts = vec![self.case_put(write, None)?];
        puts.extend(self.text_put(write)?);
        puts.extend(self.event_puts(
            &write.case.reference,
            &write.case.history,
            &write.new_events,
        )?);
        Ok(puts.into_iter().map(|p| p.item().clone()).collect())
    }

    /// Loads up to 50 cases by reference with BatchGetItem (each case item and its text
    /// item).
    async fn batch_load(&self, references: &[String]) -> Result<Vec<Case>, StoreError> {
        let keys: Vec<Item> = references
            .iter()
            .flat_map(|r| {
                [
                    key(case_pk(r), "CASE"),
                    key(case_pk(r), text_store::TEXT_SK),
                ]
            })
            .collect();
        let items = self
            .batch_get(
                keys,
                &["PK", "SK", "snapshot", text_store::TEXT_MARKER, "body"],
            )
            .await?;
        self.cases_with_text(items)
    }

    /// Up to 100 items by key with BatchGetItem (strongly consistent), only `attributes` of
    /// each, retrying unprocessed keys; in no particular order, absent items left out.
    async fn batch_get(
        &self,
        keys: Vec<Item>,
        attributes: &[&str],
    ) -> Result<Vec<Item>, StoreError> {
        self.batch_read(keys, attributes, true).await
    }

    /// BatchGetItem of at most 100 keys, strongly consistent or not (half the read units),
    /// with the unprocessed keys tried again.
    async fn batch_read(
        &self,
        mut keys: Vec<Item>,
        attributes: &[&str],
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        let names: HashMap<String, String> = attributes
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("#a{i}"), a.to_string()))
            .collect();
        let projection = (0..attributes.len())
            .map(|i| format!("#a{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut found = Vec::with_capacity(keys.len());
        for attempt in 0..BATCH_GET_ATTEMPTS {
            if keys.is_empty() {
                return Ok(found);
            }
            if attempt > 0 {
                back_off(attempt).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut keys)))
                .consistent_read(consistent)
                .projection_expression(&projection)
                .set_expression_attribute_names(Some(names.clone()))
                .build()
                .map_err(build_error)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("BatchGetItem", e))?;
            self.record_use(false, out.consumed_capacity());
            if let Some(items) = out.responses().and_then(|r| r.get(&self.table)) {
                found.extend(items.iter().cloned());
            }
            if let Some(left) = out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                keys = left.keys().to_vec();
            }
        }
        if keys.is_empty() {
            Ok(found)
        } else {
            Err(StoreError::Unavailable(format!(
                "DynamoDB BatchGetItem left {} keys unprocessed after {BATCH_GET_ATTEMPTS} attempts",
                keys.len()
            )))
        }
    }

    /// The cases of case items, each with the text of its text item when it has one.
    fn cases_with_text(&self, items: Vec<Item>) -> Result<Vec<Case>, StoreError> {
        let mut texts = HashMap::new();
        let mut case_items = Vec::new();
        for item in items {
            let pk = get_s(&item, "PK")?.to_string();
            if get_s(&item, "SK")? == text_store::TEXT_SK {
                texts.insert(pk, item);
            } else {
                case_items.push(item);
            }
        }
        let mut cases = Vec::with_capacity(case_items.len());
        for item in &case_items {
            let mut case = case_of(item)?;
            self.note_text_inline(&case.reference, !text_store::has_text_item(item));
            if let Some(text) = texts.get(get_s(item, "PK")?) {
                text_store::restore_text(&mut case, text)?;
            }
            cases.push(case);
        }
        Ok(cases)
    }

    async fn next_counter(&self, name: &str, year: i32) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("COUNTER#{name}#{year}"), "COUNTER")))
            .update_expression("ADD #value :one")
            .expression_attribute_names("#value", "value")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem (counter)", e))?;
        self.record_use(true, out.consumed_capacity());
        let attributes = out
            .attributes()
            .ok_or_else(|| StoreError::Corrupt("the counter update returned no value".into()))?;
        get_n(attributes, "value")
    }

    /// Runs one transaction of conditional puts. A failed condition maps to the error its
    /// item's role means; a cancellation only because another transaction held the items is
    /// tried again a few times.
    async fn transact(&self, op: &str, items: Vec<(Put, Role)>) -> Result<(), StoreError> {
        if items.len() > MAX_TRANSACT_ITEMS {
            return Err(StoreError::Refused(format!(
                "{op} needs {} items; a DynamoDB transaction holds at most {MAX_TRANSACT_ITEMS}",
                items.len()
            )));
        }
        let roles: Vec<Role> = items.iter().map(|(_, r)| *r).collect();
        let writes: Vec<TransactWriteItem> = items
            .into_iter()
            .map(|(put, _)| TransactWriteItem::builder().put(put).build())
            .collect();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes.clone()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            let e = match result {
                Ok(out) => {
                    self.record_use(true, out.consumed_capacity());
                    return Ok(());
                }
                Err(e) => e,
            };
            self.record_use(true, []);
            let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                e.as_service_error()
            else {
                return Err(sdk_error(op, e));
            };
            let codes: Vec<&str> = cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None"))
                .collect();
            let failed = |role: Role| {
                codes
                    .iter()
                    .zip(&roles)
                    .any(|(code, r)| *r == role && *code == "ConditionalCheckFailed")
            };
            // A used key answers with the stored reply, whatever else failed.
            if failed(Role::Idempotency) {
                return Err(StoreError::DuplicateKey);
            }
            if failed(Role::Change) {
                return Err(StoreError::VersionConflict);
            }
            let only_conflicts = codes
                .iter()
                .all(|c| *c == "None" || *c == "TransactionConflict");
            if only_conflicts
                && codes.contains(&"TransactionConflict")
                && attempt < TRANSACTION_ATTEMPTS
            {
                back_off(attempt).await;
                continue;
            }
            let text = format!("DynamoDB {op} was cancelled: {}", codes.join(", "));
            if codes.iter().any(|c| REFUSED_REASONS.contains(c)) {
                return Err(StoreError::Refused(text));
            }
            return Err(StoreError::Unavailable(text));
        }
    }

    /// A conditional Put of `item`; `names` and `values` are exactly those the condition uses.
    fn put(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<Put, StoreError> {
        let names = names
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let values: HashMap<String, AttributeValue> = values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .map_err(build_error)
    }

    /// The case item of a write, exactly as [`CaseStore::save`] puts it; `head` is the last
    /// staged event item it commits (see `dynamo_events.rs`).
    fn case_item(&self, w: &CaseWrite, head: Option<&str>) -> Result<Item, StoreError> {
        let reference = &w.case.reference;
        let ix = &w.index;
        let mut item = key(case_pk(reference), "CASE");
        item.insert("version".into(), n(w.case.version));
        if let Some(head) = head {
            item.insert(events::HEAD.into(), s(head));
        }
        // The history lives in the event items beside it and the complaint's own text in its
        // text item: the case item stays small however long the case runs or the complaint
        // is, and each change pays for the case's state, not its past or the resident's words.
        let state = text_store::without_text(&w.case);
        item.insert(
            "snapshot".into(),
            packed("case", &to_json("case", &state)?)?,
        );
        let (marker, value) = DynamoStore::text_marker();
        item.insert(marker, value);
        // Only what the indexes and the list filters need beside the snapshot: each byte here
        // is paid for twice on every change (a transaction), and status, stage and the dates
        // are in the snapshot and the index keys already.
        if let Some(owner) = &ix.owner {
            item.insert("owner".into(), s(owner.to_ascii_lowercase()));
        }
        if let Some(handler) = &ix.handler {
            item.insert("handler".into(), s(handler.to_ascii_lowercase()));
        }
        if let Some(until) = ix.open_until {
            item.insert("open_until".into(), s(until.to_string()));
        }
        let due = ix
            .next_due
            .map(|d| d.to_string())
            .unwrap_or_else(|| NO_DUE.to_string());
        item.insert("GSI1PK".into(), s(format!("STATUS#{}", ix.status)));
        item.insert("GSI1SK".into(), s(format!("{due}#{reference}")));
        let span = CaseSpan::of(&w.case);
        item.insert("GSI3PK".into(), s(format!("SPAN#{}", span.receipt_month)));
        let ended = span
            .ended_on
            .map(|d| d.to_string())
            .unwrap_or_else(|| NO_DUE.to_string());
        item.insert("GSI3SK".into(), s(format!("{ended}#{reference}")));
        // A case that may have closed, not anonymised yet, is in the retention partition of
        // `GSI2` by its latest event: the daily retention run reads only the quiet ones.
        if MAY_BE_CLOSED.contains(&ix.status.as_str()) && !retention::is_anonymised(&w.case) {
            let latest = w.case.history.iter().map(|e| e.at).max();
            let latest = latest.unwrap_or(w.case.received_at);
            item.insert("GSI2PK".into(), s(RETENTION_PARTITION));
            item.insert("GSI2SK".into(), s(format!("{}#{reference}", ts(latest))));
        }
        Ok(item)
    }

    /// The conditional Put of a write's case item: a new case must not exist; a change needs
    /// the version it was read at, and no retention rewrite under way (see
    /// [`REDACTING`]), and its text already in its text item unless this store loaded it
    /// with the text in its snapshot (then [`DynamoStore::text_put`] moves it in the same
    /// transaction).
    fn case_put(&self, w: &CaseWrite, head: Option<&str>) -> Result<Put, StoreError> {
        let item = self.case_item(w, head)?;
        if w.expected_version == 0 {
            self.put(item, "attribute_not_exists(#pk)", &[("#pk", "PK")], vec![])
        } else if self.text_inline(&w.case.reference) {
            self.put(
                item,
                "#version = :expected AND attribute_not_exists(#redacting)",
                &[("#version", "version"), ("#redacting", REDACTING)],
                vec![(":expected", n(w.expected_version))],
            )
        } else {
            self.put(
                item,
                "#version = :expected AND attribute_not_exists(#redacting) AND attribute_exists(#text)",
                &[
                    ("#version", "version"),
                    ("#redacting", REDACTING),
                    ("#text", text_store::TEXT_MARKER),
                ],
                vec![(":expected", n(w.expected_version))],
            )
        }
    }

    fn idempotency_put(&self, rec: &IdempotencyRecord) -> Result<Put, StoreError> {
        let expires = rec.created_at + Duration::hours(IDEMPOTENCY_TTL_HOURS);
        let mut item = key(idem_pk(&rec.key), "IDEM");
        item.insert("fingerprint".into(), s(&rec.fingerprint));
        item.insert(
            "reply".into(),
            packed("reply", &to_json("reply", &rec.reply)?)?,
        );
        item.insert("created_at".into(), s(ts(rec.created_at)));
        item.insert("expires_at".into(), n(expires.timestamp()));
        // An expired record that TTL has not deleted yet no longer answers: it may be replaced.
        self.put(
            item,
            "attribute_not_exists(#pk) OR #expires < :now",
            &[("#pk", "PK"), ("#expires", "expires_at")],
            vec![(":now", n(rec.created_at.timestamp()))],
        )
    }

    /// Pages through one status partition of `GSI1`, keeping the sort keys and references of
    /// at most `limit` matching cases. The index holds only keys and the attributes the filters
    /// use (the snapshot would make every case write cost its size again in the index).
    async fn query_branch(
        &self,
        branch: Branch,
        owner: Option<String>,
        overdue: bool,
        today: String,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let status = branch.custom.as_deref().unwrap_or(branch.status);
        let mut names = HashMap::from([
            ("#pk".to_string(), "GSI1PK".to_string()),
            ("#sk".to_string(), "GSI1SK".to_string()),
        ]);
        let mut values = HashMap::from([(":pk".to_string(), s(format!("STATUS#{status}")))]);
        let mut key_condition = "#pk = :pk".to_string();
        if overdue {
            // `GSI1SK` starts with the due date: before today's date means overdue.
            key_condition.push_str(" AND #sk < :today");
        }
        let mut filters = Vec::new();
        match branch.window {
            Window::Any => {}
            Window::StillOpen => {
                names.insert("#until".into(), "open_until".into());
                filters.push("(attribute_not_exists(#until) OR #until >= :today)".to_string());
            }
            Window::Closed => {
                names.insert("#until".into(), "open_until".into());
                filters.push("#until < :today".to_string());
            }
        }
        if overdue || branch.window != Window::Any {
            values.insert(":today".into(), s(&today));
        }
        if let Some(owner) = owner {
            names.insert("#owner".into(), "owner".into());
            names.insert("#handler".into(), "handler".into());
            values.insert(":owner".into(), s(owner));
            filters.push("(#owner = :owner OR #handler = :owner)".to_string());
        }
        let filter = (!filters.is_empty()).then(|| filters.join(" AND "));
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            // Without a filter every item read is kept, so read no more than needed.
            let page_limit = filter
                .is_none()
                .then(|| i32::try_from(limit - found.len()).unwrap_or(i32::MAX));
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression(&key_condition)
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .projection_expression("#sk")
                .set_limit(page_limit)
                .set_exclusive_start_key(start.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| sdk_error("Query (list)", e))?;
            self.record_use(false, out.consumed_capacity());
            for item in out.items() {
                let sort = get_s(item, "GSI1SK")?.to_string();
                let Some((_, reference)) = sort.split_once('#') else {
                    return Err(StoreError::Corrupt(format!(
                        "GSI1SK `{sort}` has no reference"
                    )));
                };
                found.push((sort.clone(), reference.to_string()));
                if found.len() >= limit {
                    return Ok(found);
                }
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(found),
            }
        }
    }

    async fn get_item(
        &self,
        op: &str,
        key: Item,
        attributes: &[&str],
    ) -> Result<Option<Item>, StoreError> {
        let names: HashMap<String, String> = attributes
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("#a{i}"), a.to_string()))
            .collect();
        let projection = (0..attributes.len())
            .map(|i| format!("#a{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .projection_expression(projection)
            .set_expression_attribute_names(Some(names))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error(op, e))?;
        self.record_use(false, out.consumed_capacity());
        Ok(out.item().filter(|i| !i.is_empty()).cloned())
    }
}

impl DynamoStore {
    /// A service request by id (GetItem).
    async fn load_request(&self, id: &str) -> Result<Option<ServiceRequest>, StoreError> {
        let item = self
            .get_item(
                "GetItem (service request)",
                key(format!("SR#{id}"), "SR"),
                &["body"],
            )
            .await?;
        item.map(|i| from_json::<ServiceRequest>("service request", get_s(&i, "body")?))
            .transpose()
    }
}

#[async_trait]
impl CaseStore for DynamoStore {
    async fn next_reference(&self, year: i32) -> Result<String, StoreError> {
        let seq = self.next_counter("case", year).await?;
        Ok(format!("CMP-{year}-{seq:05}"))
    }

    async fn save(&self, write: CaseWrite) -> Result<(), StoreError> {
        let reference = &write.case.reference;
        let head = if write.expected_version == 0 {
            None
        } else {
            self.head_at(reference, write.expected_version).await?
        };
        // A change with no reply to keep, whose text is in its own item already: its events
        // staged first, then the case item alone commits them (paid for once, not twice).
        if write.expected_version != 0
            && write.idempotency.is_none()
            && !self.text_inline(reference)
        {
            return self.save_staged(&write, head).await;
        }
        let mut items = vec![(self.case_put(&write, head.as_deref())?, Role::Change)];
        if let Some(text) = self.text_put(&write)? {
            items.push((text, Role::Change));
        }
        for put in self.event_puts(reference, &write.case.history, &write.new_events)? {
            items.push((put, Role::Change));
        }
        if let Some(rec) = &write.idempotency {
            items.push((self.idempotency_put(rec)?, Role::Idempotency));
        }
        self.transact("TransactWriteItems (case)", items).await?;
        self.note_text_inline(reference, false);
        self.note_head(reference, write.case.version, head);
        Ok(())
    }

    async fn load(&self, reference: &str) -> Result<Option<Case>, StoreError> {
        self.load_whole(reference).await
    }

    /// The `RETENTION` partition of `GSI2` from `since` on (the case items that may have
    /// closed, by their latest event), then each case with its history.
    async fn closed_since(&self, since: DateTime<Utc>) -> Result<Vec<Case>, StoreError> {
        let items = self
            .query_index(
                "Query (closed since)",
                GSI2,
                "#pk = :pk AND #sk >= :since",
                &[("#pk", "GSI2PK"), ("#sk", "GSI2SK"), ("#case", "PK")],
                vec![(":pk", s(RETENTION_PARTITION)), (":since", s(ts(since)))],
                Some("#case"),
            )
            .await?;
        self.load_many(references_of(&items)?).await
    }

    async fn list(&self, query: &CaseQuery) -> Result<Vec<Case>, StoreError> {
        let today = query
            .today
            .unwrap_or_else(|| london_date(self.clock.now()))
            .to_string();
        let limit = if query.limit == 0 {
            DEFAULT_LIST_LIMIT
        } else {
            query.limit
        };
        let status = query
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase);
        let owner = owner_of(query);
        let mut tasks = JoinSet::new();
        for branch in branches(status.as_deref()) {
            let store = self.clone();
            let (owner, today) = (owner.clone(), today.clone());
            let overdue = query.overdue;
            tasks.spawn(async move {
                store
                    .query_branch(branch, owner, overdue, today, limit)
                    .await
            });
        }
        // Each branch is in `GSI1SK` order (due date, then reference); merge and cut again.
        let mut merged = BTreeMap::new();
        while let Some(done) = tasks.join_next().await {
            let found =
                done.map_err(|e| StoreError::Unavailable(format!("a list query failed: {e}")))??;
            merged.extend(found);
        }
        let order: Vec<String> = merged.into_values().take(limit).collect();
        let mut cases: HashMap<String, Case> = HashMap::with_capacity(order.len());
        // Two keys a case: its case item and its text item.
        for chunk in order.chunks(BATCH_GET_KEYS / 2) {
            for case in self.batch_load(chunk).await? {
                cases.insert(case.reference.clone(), case);
            }
        }
        Ok(order.iter().filter_map(|r| cases.remove(r)).collect())
    }

    async fn idempotent_reply(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let item = self
            .get_item(
                "GetItem (idempotency)",
                self::key(idem_pk(key), "IDEM"),
                &["fingerprint", "reply", "status", "body", "created_at"],
            )
            .await?;
        let Some(item) = item else { return Ok(None) };
        let created_at = DateTime::parse_from_rfc3339(get_s(&item, "created_at")?)
            .map_err(|e| StoreError::Corrupt(format!("stored created_at is unreadable: {e}")))?
            .with_timezone(&Utc);
        if created_at < self.clock.now() - Duration::hours(IDEMPOTENCY_TTL_HOURS) {
            return Ok(None);
        }
        Ok(Some(IdempotencyRecord {
            key: key.to_string(),
            fingerprint: get_s(&item, "fingerprint")?.to_string(),
            reply: stored_reply(&item)?,
            created_at,
        }))
    }

    async fn next_service_request_id(&self, year: i32) -> Result<String, StoreError> {
        let seq = self.next_counter("service_request", year).await?;
        Ok(format!("SR-{year}-{seq:05}"))
    }

    async fn save_service_request(
        &self,
        request: ServiceRequest,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        let item = service_request_item(&request)?;
        // The id is taken: the closest port error is "someone else wrote first".
        let put = self.put(item, "attribute_not_exists(#pk)", &[("#pk", "PK")], vec![])?;
        let mut items = vec![(put, Role::Change)];
        if let Some(rec) = &idempotency {
            items.push((self.idempotency_put(rec)?, Role::Idempotency));
        }
        self.transact("TransactWriteItems (service request)", items)
            .await
    }

    async fn load_service_request(&self, id: &str) -> Result<Option<ServiceRequest>, StoreError> {
        self.load_request(id).await
    }

    async fn list_service_requests(
        &self,
        query: &ServiceRequestQuery,
    ) -> Result<Vec<ServiceRequest>, StoreError> {
        self.list_requests(query).await
    }

    async fn update_service_request(
        &self,
        request: ServiceRequest,
        expected: ServiceRequestStatus,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        self.update_request(request, expected, idempotency).await
    }

    async fn alert_sent(&self, alert_id: &str) -> Result<bool, StoreError> {
        let item = self
            .get_item(
                "GetItem (sent alert)",
                key(format!("ALERT#{alert_id}"), "SENT"),
                &["PK"],
            )
            .await?;
        Ok(item.is_some())
    }

    /// One eventually consistent BatchGetItem per 100 ids (half a read unit each, instead of
    /// one strongly consistent GetItem each): a write checks every letter and alert already
    /// due, and the sending checks again with [`CaseStore::alert_sent`].
    async fn sent_among(&self, alert_ids: &[String]) -> Result<BTreeSet<String>, StoreError> {
        let mut sent = BTreeSet::new();
        for chunk in alert_ids.chunks(BATCH_GET_KEYS) {
            let keys = chunk
                .iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|id| key(format!("ALERT#{id}"), "SENT"))
                .collect();
            for item in self.batch_read(keys, &["PK"], false).await? {
                if let Some(id) = get_s(&item, "PK")?.strip_prefix("ALERT#") {
                    sent.insert(id.to_string());
                }
            }
        }
        Ok(sent)
    }

    async fn mark_alert_sent(&self, alert_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut item = key(format!("ALERT#{alert_id}"), "SENT");
        item.insert("sent_at".into(), s(ts(at)));
        let put = self.put(item, "attribute_not_exists(#pk)", &[("#pk", "PK")], vec![])?;
        match self.put_one("PutItem (sent alert)", put).await {
            // Marked before: the first time it was sent stands.
            Ok(()) | Err(StoreError::VersionConflict) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A service request's item, as [`CaseStore::save_service_request`] writes it.
fn service_request_item(request: &ServiceRequest) -> Result<Item, StoreError> {
    let mut item = key(format!("SR#{}", request.id), "SR");
    item.insert("body".into(), s(to_json("service request", request)?));
    item.insert("logged_at".into(), s(ts(request.logged_at)));
    item.insert(
        "GSI2PK".into(),
        s(format!(
            "SRMONTH#{}",
            Month::of(london_date(request.logged_at))
        )),
    );
    item.insert(
        "GSI2SK".into(),
        s(format!("{}#{}", ts(request.logged_at), request.id)),
    );
    item.insert("sr_status".into(), s(request.status().as_str()));
    item.insert(
        "GSI1PK".into(),
        s(service_requests::status_partition(request.status())),
    );
    item.insert(
        "GSI1SK".into(),
        s(format!("{}#{}", ts(request.logged_at), request.id)),
    );
    Ok(item)
}

/// The references of case items (`PK` = `CASE#{reference}`).
fn references_of(items: &[Item]) -> Result<BTreeSet<String>, StoreError> {
    let mut references = BTreeSet::new();
    for item in items {
        if let Some(reference) = get_s(item, "PK")?.strip_prefix("CASE#") {
            references.insert(reference.to_string());
        }
    }
    Ok(references)
}

/// A case's span, as SQLite's `case_spans`: from its first event (the receipt) to the end of
/// its last open stage, in London dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseSpan {
    /// The London month of the case's first event (of its receipt when it has none).
    pub receipt_month: Month,
    /// The London date of the event that ended its last open stage (a response, a first
    /// contact resolution, a withdrawal or a refusal); `None` while a stage is open.
    pub ended_on: Option<chrono::NaiveDate>,
}

impl CaseSpan {
    /// The span of a case, from its history.
    pub fn of(case: &Case) -> CaseSpan {
        let opened = case
            .history
            .iter()
            .map(|e| e.at)
            .min()
            .unwrap_or(case.received_at);
        let last = case.history.iter().rev().find(|e| {
            let name = e.event.name();
            STAGE_STARTS.contains(&name) || STAGE_ENDS.contains(&name)
        });
        let ended_on = match last {
            Some(e) if STAGE_ENDS.contains(&e.event.name()) => Some(london_date(e.at)),
            _ => None,
        };
        CaseSpan {
            receipt_month: Month::of(london_date(opened)),
            ended_on,
        }
    }
}

#[async_trait]
impl ReportSource for DynamoStore {
    /// The month's records, through the indexes only: events of the month (`GSI2`), cases
    /// open at its end (`GSI3`, one Query per receipt month, this month and the
    /// `report_months_back` before it, run together), those cases (BatchGetItem), and the
    /// month's service requests (`GSI2`). `rows_read` counts every item read.
    async fn month_records(&self, month: Month) -> Result<MonthRecords, StoreError> {
        let events = self
            .query_index(
                "Query (month)",
                GSI2,
                "#pk = :pk",
                &[("#pk", "GSI2PK"), ("#case", "PK")],
                vec![(":pk", s(format!("MONTH#{month}")))],
                Some("#case"),
            )
            .await?;
        let mut rows_read = events.len() as u64;
        let mut references = references_of(&events)?;

        // Open at 23:59:59 London on the last day: received by then, its last open stage
        // ended on the next month's first day or later (or not yet).
        let after = month.next().first_day();
        let mut tasks = JoinSet::new();
        let mut receipt = month;
        for _ in 0..=self.report_months_back {
            let store = self.clone();
            tasks.spawn(async move { store.spans_after(receipt, after).await });
            receipt = receipt.previous();
        }
        while let Some(done) = tasks.join_next().await {
            let items =
                done.map_err(|e| StoreError::Unavailable(format!("a report query failed: {e}")))??;
            rows_read += items.len() as u64;
            references.extend(references_of(&items)?);
        }

        let cases = self.load_many(references).await?;
        rows_read += cases.len() as u64;

        // `GSI2` holds keys only (an event is not paid for again in the index): the month's
        // service requests are then read by key.
        let found = self
            .query_index(
                "Query (service requests of a month)",
                GSI2,
                "#pk = :pk",
                &[("#pk", "GSI2PK"), ("#case", "PK"), ("#sk", "SK")],
                vec![(":pk", s(format!("SRMONTH#{month}")))],
                Some("#case, #sk"),
            )
            .await?;
        rows_read += found.len() as u64;
        let keys: Vec<Item> = found
            .iter()
            .map(|i| Ok(key(get_s(i, "PK")?.to_string(), get_s(i, "SK")?)))
            .collect::<Result<_, StoreError>>()?;
        let mut requests = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_KEYS) {
            requests.extend(self.batch_get(chunk.to_vec(), &["body"]).await?);
        }
        let mut service_requests = requests
            .iter()
            .map(|i| from_json::<ServiceRequest>("service request", get_s(i, "body")?))
            .collect::<Result<Vec<_>, _>>()?;
        service_requests.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(MonthRecords {
            cases,
            service_requests,
            rows_read,
        })
    }
}

/// Why the table definition could not be read from the template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("infra/template.yaml: {0}")]
pub struct TemplateError(pub String);

/// One attribute definition of the table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDef {
    /// Attribute name.
    pub attribute_name: String,
    /// `S`, `N` or `B`.
    pub attribute_type: String,
}

/// One element of a key schema.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyDef {
    /// Attribute name.
    pub attribute_name: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

/// The projection of a secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionDef {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    /// Attributes projected with `INCLUDE`.
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

/// A global secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexDef {
    /// Index name.
    pub index_name: String,
    /// Its key schema.
    pub key_schema: Vec<KeyDef>,
    /// What it projects.
    pub projection: ProjectionDef,
}

/// The table's time-to-live setting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TtlDef {
    /// The attribute holding the expiry (epoch seconds).
    pub attribute_name: String,
    /// Whether TTL is on.
    pub enabled: bool,
}

/// The `ComplaintsTable` definition as written in `infra/template.yaml`: the parts that
/// shape data (keys, indexes, TTL, billing); the rest (encryption, recovery, deletion
/// protection) only matters to a deployed table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    /// Attribute definitions.
    pub attribute_definitions: Vec<AttributeDef>,
    /// The table's key schema.
    pub key_schema: Vec<KeyDef>,
    /// Global secondary indexes.
    #[serde(default)]
    pub global_secondary_indexes: Vec<IndexDef>,
    /// `PAY_PER_REQUEST` (the only mode this function creates).
    #[serde(default)]
    pub billing_mode: Option<String>,
    /// Time to live.
    #[serde(default)]
    pub time_to_live_specification: Option<TtlDef>,
}

impl TableDefinition {
    /// Reads the `ComplaintsTable` resource's properties from the template's text. CloudFormation
    /// tags (`!Ref`, `!Sub`, `!GetAtt`…) elsewhere parse as tagged values and are ignored.
    pub fn from_template(yaml: &str) -> Result<TableDefinition, TemplateError> {
        let doc: serde_yaml::Value =
            serde_yaml::from_str(yaml).map_err(|e| TemplateError(format!("not YAML: {e}")))?;
        let resource = doc
            .get("Resources")
            .and_then(|r| r.get(TABLE_RESOURCE))
            .ok_or_else(|| TemplateError(format!("no resource `{TABLE_RESOURCE}`")))?;
        match resource.get("Type").and_then(|t| t.as_str()) {
            Some("AWS::DynamoDB::Table") => {}
            other => {
                return Err(TemplateError(format!(
                    "`{TABLE_RESOURCE}` is of type {other:?}, not AWS::DynamoDB::Table"
                )))
            }
        }
        let properties = resource
            .get("Properties")
            .ok_or_else(|| TemplateError(format!("`{TABLE_RESOURCE}` has no Properties")))?;
        serde_yaml::from_value(properties.clone())
            .map_err(|e| TemplateError(format!("`{TABLE_RESOURCE}` Properties: {e}")))
    }

    /// Reads the definition from a template file.
    pub fn from_template_file(path: &Path) -> Result<TableDefinition, TemplateError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TemplateError(format!("cannot read {}: {e}", path.display())))?;
        TableDefinition::from_template(&text)
    }
}

fn key_schema(keys: &[KeyDef]) -> Result<Vec<KeySchemaElement>, StoreError> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(build_error)
        })
        .collect()
}

/// Creates a table named `name` with exactly `definition` (attribute definitions, key schema,
/// global secondary indexes, on-demand billing), waits until it is active, then turns on its TTL.
pub async fn create_table(
    client: &Client,
    name: &str,
    definition: &TableDefinition,
) -> Result<(), StoreError> {
    if let Some(mode) = definition.billing_mode.as_deref() {
        if mode != "PAY_PER_REQUEST" {
            return Err(StoreError::Unavailable(format!(
                "only PAY_PER_REQUEST tables can be created from the template, not {mode}"
            )));
        }
    }
    let attributes = definition
        .attribute_definitions
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .map_err(build_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut indexes = Vec::new();
    for ix in &definition.global_secondary_indexes {
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(ix.projection.projection_type.as_str()))
            .set_non_key_attributes(
                (!ix.projection.non_key_attributes.is_empty())
                    .then(|| ix.projection.non_key_attributes.clone()),
            )
            .build();
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(&ix.index_name)
                .set_key_schema(Some(key_schema(&ix.key_schema)?))
                .projection(projection)
                .build()
                .map_err(build_error)?,
        );
    }
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&definition.key_schema)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .send()
        .await
        .map_err(|e| sdk_error("CreateTable", e))?;
    client
        .wait_until_table_exists()
        .table_name(name)
        .wait(StdDuration::from_secs(300))
        .await
        .map_err(|e| StoreError::Unavailable(format!("table {name} did not become active: {e}")))?;
    if let Some(ttl) = definition
        .time_to_live_specification
        .as_ref()
        .filter(|t| t.enabled)
    {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(&ttl.attribute_name)
                    .enabled(true)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
    }
    Ok(())
}
