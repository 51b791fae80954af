//! SQLite adapter of the complaints service for the single-process (local) deployment: cases,
//! their events and alert timers, idempotency records, service requests and sent alerts in one
//! durable file. Every write goes through one writer thread that group-commits whatever is
//! waiting; reads run on a small pool of read-only connections beside it (WAL).
#![warn(missing_docs)]

mod annual_record;
pub mod backup;
mod fault;
mod import;
mod report;
mod retention;
mod schema;
// Public so tests can file a record as an earlier release did.
#[doc(hidden)]
pub mod sealed;
mod staff_account;
mod watch;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use p3_domain::alert::{Notice, Timer};
use p3_domain::case::Case;
use p3_domain::earlier_reply;
use p3_domain::london::london_date;
use p3_domain::ports::{
    AlertScheduler, CaseQuery, CaseStore, CaseWrite, Clock, DueTimer, IdempotencyRecord,
    StoreError, StoredReply, SystemClock, TimerQueue,
};
use p3_domain::service_request::{ServiceRequest, ServiceRequestQuery, ServiceRequestStatus};

/// How many service requests a list gives when it names no limit.
const DEFAULT_SERVICE_REQUEST_LIMIT: usize = 200;
use rusqlite::types::ToSql;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use tokio::sync::{oneshot, Notify};

use crate::fault::{from_json, is_constraint, parse_ts, sql_error, to_json, ts, Fault};
pub use crate::schema::SCHEMA_VERSION;
use crate::schema::{MigrateError, NO_DUE};
pub use crate::watch::ChangeWatch;
use crate::writer::{Job, Stats, Work};

/// Read-only connections kept for reuse; more are opened on demand and closed after use.
const MAX_IDLE_READERS: usize = 8;

/// Default number of cases a list returns when the query sets no limit.
pub const DEFAULT_LIST_LIMIT: usize = 500;

/// How long an idempotency record answers retries; older ones count as absent.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// The SQLite store: implements [`CaseStore`], [`TimerQueue`], [`AlertScheduler`] and
/// [`ReportSource`](p3_domain::ports::ReportSource) for the local deployment. Cheap to clone;
/// the writer thread stops when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    tx: Option<Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    readers: Mutex<Vec<Connection>>,
    wakeup: Arc<Notify>,
    clock: Arc<dyn Clock>,
    stats: Arc<Stats>,
    /// Seconds an idempotency record answers retries.
    idempotency_ttl: AtomicI64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish what is queued and stop; joining it
        // releases the write connection before a reopen of the same file.
        drop(self.tx.take());
        if let Some(handle) = self.writer.take() {
            let _ = handle.join();
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// How the writer has batched so far: shows group commit at work (metrics, tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriterStats {
    /// Transactions the writer ran.
    pub batches: u64,
    /// Write jobs it received.
    pub jobs: u64,
    /// Jobs in the largest single transaction.
    pub largest_batch: u64,
    /// Transactions lost as a whole to a storage fault (their jobs were answered `Unavailable`).
    pub failed_batches: u64,
}

/// Holds the writer thread inside a job until dropped, so tests can queue writes that must be
/// committed together in the next batch.
#[doc(hidden)]
#[derive(Debug)]
pub struct WriterPause {
    _release: std::sync::mpsc::SyncSender<()>,
}

fn open_reader(path: &Path) -> Result<Connection, rusqlite::Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if missing) the store at `path` with the system clock.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with_clock(path, Arc::new(SystemClock))
    }

    /// Opens the store with an injected clock, which decides when idempotency records expire
    /// and what "today" is for lists without a date (so tests and the service agree on time).
    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<SqliteStore, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(sql_error)?;
        writer::configure(&conn).map_err(sql_error)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "{} cannot use write-ahead logging (journal mode is `{mode}`)",
                path.display()
            )));
        }
        schema::migrate(&conn).map_err(|e| match e {
            MigrateError::Sql(e) => sql_error(e),
            MigrateError::TooNew(v) => StoreError::Unavailable(format!(
                "{} has schema version {v}; this build understands up to {SCHEMA_VERSION}",
                path.display()
            )),
        })?;
        // One reader up front: a store that cannot be read should fail at start-up, not later.
        let reader = open_reader(path).map_err(sql_error)?;

        let stats = Arc::new(Stats::default());
        let (tx, rx) = mpsc::channel::<Job>();
        let writer = {
            let path = path.to_path_buf();
            let stats = Arc::clone(&stats);
            std::thread::Builder::new()
                .name("p3-sqlite-writer".into())
                .spawn(move || writer::run(conn, path, rx, stats))
                .map_err(|e| {
                    StoreError::Unavailable(format!("cannot start the writer thread: {e}"))
                })?
        };
        tracing::info!(path = %path.display(), "sqlite store open");
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                tx: Some(tx),
                writer: Some(writer),
                readers: Mutex::new(vec![reader]),
                wakeup: Arc::new(Notify::new()),
                clock,
                stats,
                idempotency_ttl: AtomicI64::new(IDEMPOTENCY_TTL_HOURS * 3600),
            }),
        })
    }

    /// The file this store writes, for logs and diagnostics.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The signal [`AlertScheduler::sync`] raises, so the local timer loop can sleep until the
    /// next fire time or until a case's timers change, whichever comes first.
    pub fn timer_wakeup(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.wakeup)
    }

    /// Batching counters of the writer thread, for metrics and to check group commit works.
    pub fn writer_stats(&self) -> WriterStats {
        let s = &self.inner.stats;
        WriterStats {
            batches: s.batches.load(Ordering::Relaxed),
            jobs: s.jobs.load(Ordering::Relaxed),
            largest_batch: s.largest_batch.load(Ordering::Relaxed),
            failed_batches: s.failed_batches.load(Ordering::Relaxed),
        }
    }

    /// Sets how long idempotency records answer retries (default [`IDEMPOTENCY_TTL_HOURS`]).
    pub fn set_idempotency_ttl(&self, ttl: Duration) {
        self.inner
            .idempotency_ttl
            .store(ttl.num_seconds().max(1), Ordering::Relaxed);
    }

    fn idempotency_ttl(&self) -> Duration {
        Duration::seconds(self.inner.idempotency_ttl.load(Ordering::Relaxed))
    }

    /// Deletes idempotency records past their time, and any an earlier version kept unsealed,
    /// so the table stays small and holds no reply in clear; returns how many.
    pub async fn purge_expired_idempotency(&self) -> Result<u64, StoreError> {
        let cutoff = ts(self.inner.clock.now() - self.idempotency_ttl());
        let n = self
            .write(Box::new(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "DELETE FROM idempotency WHERE created_at < ?1 OR body NOT LIKE ?2",
                    )?
                    .execute(params![cutoff, format!("{}%", sealed::PREFIX)])?
                    as i64)
            }))
            .await?;
        Ok(n as u64)
    }

    /// Proves the store takes writes now: a one-row write (a counter named `health check`)
    /// through the writer, committed to the file like every other, so a full disk or a
    /// stopped writer fails it.
    pub async fn check_writable(&self) -> Result<(), StoreError> {
        self.write(Box::new(move |conn| {
            conn.prepare_cached(
                "INSERT INTO counters (name, value) VALUES ('health check', 1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1",
            )?
            .execute([])?;
            Ok(0)
        }))
        .await
        .map(|_| ())
    }

    /// Test hook: blocks the writer inside a job until the returned guard is dropped.
    #[doc(hidden)]
    pub async fn pause_writer(&self) -> WriterPause {
        let (started_tx, started_rx) = oneshot::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::sync_channel::<()>(0);
        let (reply, _ignored) = oneshot::channel();
        let work: Work = Box::new(move |_conn| {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
            Ok(0)
        });
        if let Some(tx) = &self.inner.tx {
            let _ = tx.send(Job { work, reply });
        }
        let _ = started_rx.await;
        WriterPause {
            _release: release_tx,
        }
    }

    /// Test hook: runs SQL (e.g. `PRAGMA max_page_count`) on the write connection, to simulate faults.
    #[doc(hidden)]
    pub async fn exec_on_writer(&self, sql: &str) -> Result<(), StoreError> {
        let sql = sql.to_string();
        self.write(Box::new(move |conn| {
            conn.execute_batch(&sql)?;
            Ok(0)
        }))
        .await
        .map(|_| ())
    }

    /// Queues a write for the writer thread and waits until its batch is committed.
    async fn write(&self, work: Work) -> Result<i64, StoreError> {
        let stopped = || StoreError::Unavailable("the store's writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        let tx = self.inner.tx.as_ref().ok_or_else(stopped)?;
        tx.send(Job { work, reply }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Runs a read on a pooled read-only connection off the async runtime.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Fault> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = inner
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => open_reader(&inner.path).map_err(sql_error)?,
            };
            let result = f(&conn);
            // A connection that hit an SQLite fault is dropped rather than reused.
            if !matches!(result, Err(Fault::Sql(_))) {
                let mut pool = inner.readers.lock().unwrap_or_else(|p| p.into_inner());
                if pool.len() < MAX_IDLE_READERS {
                    pool.push(conn);
                }
            }
            result.map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("a read task failed: {e}")))?
    }

    async fn next_counter(&self, name: String) -> Result<i64, StoreError> {
        self.write(Box::new(move |conn| {
            let value: i64 = conn
                .prepare_cached(
                    "INSERT INTO counters (name, value) VALUES (?1, 1)
                     ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
                )?
                .query_row([name], |r| r.get(0))?;
            Ok(value)
        }))
        .await
    }
}

fn case_counter(year: i32) -> String {
    format!("case:{year}")
}

fn service_request_counter(year: i32) -> String {
    format!("service_request:{year}")
}

/// Year and sequence of an id such as `CMP-2026-00042` or `SR-2026-00007`.
fn parse_id(id: &str) -> Option<(i32, i64)> {
    let mut parts = id.split('-');
    let (_prefix, year, seq) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((year.parse().ok()?, seq.parse().ok()?))
}

/// Keeps a year's counter at or above an id written directly (an import, a migration), so
/// ids handed out later never collide with it.
fn raise_counter(conn: &Connection, name: &str, seq: i64) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
    )?
    .execute(params![name, seq])?;
    Ok(())
}

/// The `status` of an idempotency row whose (sealed) `body` holds the domain's [`StoredReply`]
/// as JSON (and whose `content_type` is empty). Rows written before typed replies hold the
/// HTTP answer (a status code, its body and content type) and are read by [`earlier_reply`];
/// they answer for a day, after which these two columns can go.
const TYPED_REPLY: u16 = 0;

/// The reply an idempotency row holds, in either format, once opened.
fn stored_reply(status: u16, body: String) -> Result<StoredReply, Fault> {
    if status == TYPED_REPLY {
        return serde_json::from_str(&body).map_err(|e| {
            Fault::Logical(StoreError::Corrupt(format!(
                "stored reply is unreadable: {e}"
            )))
        });
    }
    earlier_reply::decode(status, body)
        .map_err(|e| Fault::Logical(StoreError::Corrupt(format!("stored reply: {e}"))))
}

/// Files the record sealed ([`sealed`]): under a hash of its key, its reply encrypted.
fn insert_idempotency(
    conn: &Connection,
    rec: &IdempotencyRecord,
    ttl: Duration,
) -> Result<(), Fault> {
    let key = sealed::lookup(&rec.key);
    let reply = to_json("stored reply", &rec.reply)?;
    let body = sealed::seal(&rec.key, &reply).ok_or_else(|| {
        Fault::Logical(StoreError::Unavailable(
            "no randomness to seal the idempotency record".into(),
        ))
    })?;
    // An expired record under the same key no longer answers retries: make room for the new one.
    let cutoff = ts(rec.created_at - ttl);
    conn.prepare_cached("DELETE FROM idempotency WHERE key = ?1 AND created_at < ?2")?
        .execute(params![key, cutoff])?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO idempotency (key, fingerprint, status, body, content_type, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            key,
            rec.fingerprint,
            TYPED_REPLY,
            body,
            "",
            ts(rec.created_at)
        ]);
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if is_constraint(&e) => Err(Fault::Logical(StoreError::DuplicateKey)),
        Err(e) => Err(e.into()),
    }
}

fn save_case(conn: &Connection, w: &CaseWrite, ttl: Duration) -> Result<i64, Fault> {
    let reference = &w.case.reference;
    let stored: Option<i64> = conn
        .prepare_cached("SELECT version FROM cases WHERE reference = ?1")?
        .query_row([reference], |r| r.get(0))
        .optional()?;
    let snapshot = to_json("case", &w.case)?;
    let ix = &w.index;
    let version = w.case.version as i64;
    let next_due = ix.next_due.map(|d| d.to_string());
    let open_until = ix.open_until.map(|d| d.to_string());
    match stored {
        None if w.expected_version == 0 => {
            let id = parse_id(reference);
            conn.prepare_cached(
                "INSERT INTO cases (reference, version, snapshot, status, stage, owner, handler, received_on,
                                    next_due, open_until, year, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                reference,
                version,
                snapshot,
                ix.status,
                ix.stage,
                ix.owner,
                ix.handler,
                ix.received_on.to_string(),
                next_due,
                open_until,
                id.map(|(y, _)| y),
                id.map(|(_, s)| s),
            ])?;
            if let Some((year, seq)) = id {
                raise_counter(conn, &case_counter(year), seq)?;
            }
        }
        Some(v) if v as u64 == w.expected_version => {
            conn.prepare_cached(
                "UPDATE cases SET version = ?2, snapshot = ?3, status = ?4, stage = ?5, owner = ?6, handler = ?7,
                                  received_on = ?8, next_due = ?9, open_until = ?10
                 WHERE reference = ?1",
            )?
            .execute(params![
                reference,
                version,
                snapshot,
                ix.status,
                ix.stage,
                ix.owner,
                ix.handler,
                ix.received_on.to_string(),
                next_due,
                open_until,
            ])?;
        }
        _ => return Err(Fault::Logical(StoreError::VersionConflict)),
    }

    {
        let mut insert = conn.prepare_cached(
            "INSERT INTO events (reference, sequence, at, recorded_at, by, type, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for e in &w.new_events {
            let body = to_json("event", e)?;
            match insert.execute(params![
                reference,
                e.sequence as i64,
                ts(e.at),
                ts(e.recorded_at),
                e.by,
                e.event.name(),
                body
            ]) {
                Ok(_) => {}
                // Someone else already wrote this position of the history.
                Err(err) if is_constraint(&err) => {
                    return Err(Fault::Logical(StoreError::VersionConflict))
                }
                Err(err) => return Err(err.into()),
            }
        }
    }

    conn.prepare_cached("DELETE FROM timers WHERE reference = ?1")?
        .execute([reference])?;
    {
        let mut insert = conn.prepare_cached(
            "INSERT OR REPLACE INTO timers (alert_id, reference, fire_at, alert, attempts)
             SELECT ?1, ?2, ?3, ?4, 0
             WHERE NOT EXISTS (SELECT 1 FROM sent_alerts WHERE alert_id = ?1)",
        )?;
        for t in &w.timers {
            insert.execute(params![
                t.alert.id(),
                reference,
                ts(t.fire_at),
                to_json("alert", &t.alert)?
            ])?;
        }
    }

    if let Some(rec) = &w.idempotency {
        insert_idempotency(conn, rec, ttl)?;
    }
    Ok(0)
}

fn save_service_request(
    conn: &Connection,
    request: &ServiceRequest,
    idempotency: Option<&IdempotencyRecord>,
    ttl: Duration,
) -> Result<i64, Fault> {
    let body = to_json("service request", request)?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO service_requests (id, body, logged_at, status) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            request.id,
            body,
            ts(request.logged_at),
            request.status().as_str()
        ]);
    match inserted {
        Ok(_) => {}
        // The id is taken: the closest port error is "someone else wrote first".
        Err(e) if is_constraint(&e) => return Err(Fault::Logical(StoreError::VersionConflict)),
        Err(e) => return Err(e.into()),
    }
    if let Some((year, seq)) = parse_id(&request.id) {
        raise_counter(conn, &service_request_counter(year), seq)?;
    }
    if let Some(rec) = idempotency {
        insert_idempotency(conn, rec, ttl)?;
    }
    Ok(0)
}

/// Replaces a service request whose stored status is still `expected`.
fn update_service_request(
    conn: &Connection,
    request: &ServiceRequest,
    expected: ServiceRequestStatus,
    idempotency: Option<&IdempotencyRecord>,
    ttl: Duration,
) -> Result<i64, Fault> {
    let body = to_json("service request", request)?;
    let changed = conn
        .prepare_cached(
            "UPDATE service_requests SET body = ?2, status = ?3 WHERE id = ?1 AND status = ?4",
        )?
        .execute(params![
            request.id,
            body,
            request.status().as_str(),
            expected.as_str()
        ])?;
    if changed == 0 {
        return Err(Fault::Logical(StoreError::VersionConflict));
    }
    if let Some(rec) = idempotency {
        insert_idempotency(conn, rec, ttl)?;
    }
    Ok(0)
}

/// Open cases: not finished, and not `responded` past the resident's window. Its first term
/// is the `cases_open_due` partial index's condition, written identically so SQLite uses it.
const OPEN_CASES: &str = "status NOT IN ('closed', 'withdrawn', 'refused') \
     AND (status <> 'responded' OR open_until IS NULL OR open_until >= :today)";

fn list_sql(query: &CaseQuery) -> String {
    let status = query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase);
    let branches: Vec<&str> = match status.as_deref() {
        None | Some("open") => vec![OPEN_CASES],
        Some("closed") => vec![
            "status = 'closed'",
            "status = 'responded' AND open_until < :today",
        ],
        Some("responded") => {
            vec!["status = 'responded' AND (open_until IS NULL OR open_until >= :today)"]
        }
        Some(_) => vec!["status = :status"],
    };
    let mut extra = String::new();
    if owner_of(query).is_some() {
        extra.push_str(" AND (owner = :owner COLLATE NOCASE OR handler = :owner COLLATE NOCASE)");
    }
    if query.overdue {
        extra.push_str(" AND next_due < :today");
    }
    // Each branch walks an index in order and stops at the limit; the union is merged and cut
    // again, and only the chosen rows' snapshots are read.
    let selects: Vec<String> = branches
        .iter()
        .map(|cond| {
            format!(
                "SELECT reference, due FROM (SELECT reference, ifnull(next_due, '{NO_DUE}') AS due FROM cases \
                 WHERE {cond}{extra} ORDER BY due, reference LIMIT :limit)"
            )
        })
        .collect();
    format!(
        "SELECT c.snapshot FROM ({} ORDER BY due, reference LIMIT :limit) AS k \
         JOIN cases AS c ON c.reference = k.reference ORDER BY k.due, k.reference",
        selects.join(" UNION ALL ")
    )
}

fn owner_of(query: &CaseQuery) -> Option<&str> {
    query
        .owner
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn list_cases(conn: &Connection, query: &CaseQuery, today: NaiveDate) -> Result<Vec<Case>, Fault> {
    let sql = list_sql(query);
    let limit = if query.limit == 0 {
        DEFAULT_LIST_LIMIT
    } else {
        query.limit
    } as i64;
    let today = today.to_string();
    let status = query
        .status
        .as_deref()
        .map(|s| s.trim().to_ascii_lowercase());
    let owner = owner_of(query).map(str::to_string);
    let mut bound: Vec<(&str, &dyn ToSql)> = vec![(":limit", &limit)];
    for (name, value) in [
        (":today", Some(&today)),
        (":status", status.as_ref()),
        (":owner", owner.as_ref()),
    ] {
        if let (true, Some(v)) = (sql.contains(name), value) {
            bound.push((name, v as &dyn ToSql));
        }
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(bound.as_slice(), |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        // A list gives cases without their history, as the port says (and DynamoDB does).
        let mut case = from_json::<Case>("case", &row?)?;
        case.history = Vec::new();
        out.push(case);
    }
    Ok(out)
}

#[async_trait]
impl CaseStore for SqliteStore {
    async fn next_reference(&self, year: i32) -> Result<String, StoreError> {
        let seq = self.next_counter(case_counter(year)).await?;
        Ok(format!("CMP-{year}-{seq:05}"))
    }

    async fn save(&self, write: CaseWrite) -> Result<(), StoreError> {
        let ttl = self.idempotency_ttl();
        self.write(Box::new(move |conn| save_case(conn, &write, ttl)))
            .await
            .map(|_| ())
    }

    async fn load(&self, reference: &str) -> Result<Option<Case>, StoreError> {
        let reference = reference.to_string();
        self.read(move |conn| {
            let snapshot: Option<String> = conn
                .prepare_cached("SELECT snapshot FROM cases WHERE reference = ?1")?
                .query_row([reference], |r| r.get(0))
                .optional()?;
            Ok(snapshot
                .map(|s| from_json::<Case>("case", &s))
                .transpose()?)
        })
        .await
    }

    async fn closed_since(&self, since: DateTime<Utc>) -> Result<Vec<Case>, StoreError> {
        let since = ts(since);
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT c.snapshot FROM cases AS c
                  WHERE c.status IN ('responded', 'closed', 'withdrawn', 'refused')
                    AND EXISTS (SELECT 1 FROM events AS e
                                 WHERE e.reference = c.reference AND e.at >= ?1)
                  ORDER BY c.reference",
            )?;
            let rows = stmt.query_map([since], |r| r.get::<_, String>(0))?;
            let mut cases = Vec::new();
            for snapshot in rows {
                cases.push(from_json::<Case>("case", &snapshot?)?);
            }
            Ok(cases)
        })
        .await
    }

    async fn list(&self, query: &CaseQuery) -> Result<Vec<Case>, StoreError> {
        let query = query.clone();
        let today = query
            .today
            .unwrap_or_else(|| london_date(self.inner.clock.now()));
        self.read(move |conn| list_cases(conn, &query, today)).await
    }

    async fn idempotent_reply(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let key = key.to_string();
        let oldest = self.inner.clock.now() - self.idempotency_ttl();
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT fingerprint, status, body, created_at FROM idempotency WHERE key = ?1",
                )?
                .query_row([sealed::lookup(&key)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, u16>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .optional()?;
            let Some((fingerprint, status, body, created_at)) = row else {
                return Ok(None);
            };
            let created_at = parse_ts(&created_at)?;
            if created_at < oldest {
                return Ok(None);
            }
            let body = sealed::open(&key, &body).ok_or_else(|| {
                Fault::Logical(StoreError::Corrupt(
                    "an idempotency record cannot be opened with its key".into(),
                ))
            })?;
            Ok(Some(IdempotencyRecord {
                key,
                fingerprint,
                reply: stored_reply(status, body)?,
                created_at,
            }))
        })
        .await
    }

    async fn next_service_request_id(&self, year: i32) -> Result<String, StoreError> {
        let seq = self.next_counter(service_request_counter(year)).await?;
        Ok(format!("SR-{year}-{seq:05}"))
    }

    async fn save_service_request(
        &self,
        request: ServiceRequest,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        let ttl = self.idempotency_ttl();
        self.write(Box::new(move |conn| {
            save_service_request(conn, &request, idempotency.as_ref(), ttl)
        }))
        .await
        .map(|_| ())
    }

    async fn load_service_request(&self, id: &str) -> Result<Option<ServiceRequest>, StoreError> {
        let id = id.to_string();
        self.read(move |conn| {
            let body: Option<String> = conn
                .prepare_cached("SELECT body FROM service_requests WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?;
            Ok(body
                .map(|b| from_json::<ServiceRequest>("service request", &b))
                .transpose()?)
        })
        .await
    }

    async fn list_service_requests(
        &self,
        query: &ServiceRequestQuery,
    ) -> Result<Vec<ServiceRequest>, StoreError> {
        let status = query.status.map(|s| s.as_str());
        let limit = i64::try_from(if query.limit == 0 {
            DEFAULT_SERVICE_REQUEST_LIMIT
        } else {
            query.limit
        })
        .unwrap_or(i64::MAX);
        self.read(move |conn| {
            let sql = if status.is_some() {
                "SELECT body FROM service_requests WHERE status = ?1 \
                 ORDER BY logged_at, id LIMIT ?2"
            } else {
                "SELECT body FROM service_requests WHERE ?1 IS NULL ORDER BY logged_at, id LIMIT ?2"
            };
            let mut stmt = conn.prepare_cached(sql)?;
            let bodies = stmt
                .query_map(params![status, limit], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(bodies
                .iter()
                .map(|b| from_json::<ServiceRequest>("service request", b))
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn update_service_request(
        &self,
        request: ServiceRequest,
        expected: ServiceRequestStatus,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        let ttl = self.idempotency_ttl();
        self.write(Box::new(move |conn| {
            update_service_request(conn, &request, expected, idempotency.as_ref(), ttl)
        }))
        .await
        .map(|_| ())
    }

    async fn alert_sent(&self, alert_id: &str) -> Result<bool, StoreError> {
        let alert_id = alert_id.to_string();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM sent_alerts WHERE alert_id = ?1)")?
                .query_row([alert_id], |r| r.get::<_, bool>(0))?)
        })
        .await
    }

    async fn mark_alert_sent(&self, alert_id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let alert_id = alert_id.to_string();
        self.write(Box::new(move |conn| {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO sent_alerts (alert_id, sent_at) VALUES (?1, ?2)",
            )?
            .execute(params![alert_id, ts(at)])?;
            Ok(0)
        }))
        .await
        .map(|_| ())
    }
}

#[async_trait]
impl TimerQueue for SqliteStore {
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueTimer>, StoreError> {
        let now = ts(now);
        let limit = limit.min(i64::MAX as usize) as i64;
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT alert, attempts FROM timers WHERE fire_at <= ?1 ORDER BY fire_at, alert_id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![now, limit], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (alert, attempts) = row?;
                out.push(DueTimer { alert: from_json::<Notice>("alert", &alert)?, attempts });
            }
            Ok(out)
        })
        .await
    }

    async fn next_fire_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(|conn| {
            let first: Option<String> = conn
                .prepare_cached("SELECT fire_at FROM timers ORDER BY fire_at LIMIT 1")?
                .query_row([], |r| r.get(0))
                .optional()?;
            Ok(first.map(|t| parse_ts(&t)).transpose()?)
        })
        .await
    }

    async fn complete(&self, alert_id: &str) -> Result<(), StoreError> {
        let alert_id = alert_id.to_string();
        self.write(Box::new(move |conn| {
            conn.prepare_cached("DELETE FROM timers WHERE alert_id = ?1")?
                .execute([alert_id])?;
            Ok(0)
        }))
        .await
        .map(|_| ())
    }

    async fn postpone(&self, alert_id: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        let alert_id = alert_id.to_string();
        self.write(Box::new(move |conn| {
            conn.prepare_cached(
                "UPDATE timers SET fire_at = ?2, attempts = attempts + 1 WHERE alert_id = ?1",
            )?
            .execute(params![alert_id, ts(until)])?;
            Ok(0)
        }))
        .await
        .map(|_| ())
    }
}

#[async_trait]
impl AlertScheduler for SqliteStore {
    /// The timers were written with the case in the same transaction; only the loop needs waking.
    async fn sync(&self, _reference: &str, _timers: &[Timer]) -> Result<(), StoreError> {
        self.inner.wakeup.notify_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse() {
        assert_eq!(parse_id("CMP-2026-00042"), Some((2026, 42)));
        assert_eq!(parse_id("SR-2026-123456"), Some((2026, 123_456)));
        assert_eq!(parse_id("CMP-2026"), None);
        assert_eq!(parse_id("legacy"), None);
    }

    /// The query plan as (id, parent, detail) rows.
    fn plan(conn: &Connection, query: &CaseQuery) -> Vec<(i64, i64, String)> {
        let sql = format!("EXPLAIN QUERY PLAN {}", list_sql(query));
        let mut stmt = conn.prepare(&sql).unwrap();
        for n in [":limit", ":today", ":status", ":owner"] {
            if let Some(i) = stmt.parameter_index(n).unwrap() {
                stmt.raw_bind_parameter(i, "x").unwrap();
            }
        }
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            out.push((
                row.get(0).unwrap(),
                row.get(1).unwrap(),
                row.get(3).unwrap(),
            ));
        }
        out
    }

    /// Every scan of `cases` uses `index` and needs no sort of its own (it stops at the limit).
    fn assert_walks(conn: &Connection, query: &CaseQuery, index: &str) {
        let plan = plan(conn, query);
        let scans: Vec<_> = plan
            .iter()
            .filter(|(_, _, d)| d.contains(" cases ") || d.ends_with(" cases"))
            .collect();
        assert!(!scans.is_empty(), "{plan:#?}");
        for (_, parent, detail) in scans {
            assert!(detail.contains(index), "{plan:#?}");
            let sorted = plan
                .iter()
                .any(|(_, p, d)| p == parent && d.contains("TEMP B-TREE"));
            assert!(!sorted, "{plan:#?}");
        }
    }

    #[test]
    fn list_queries_walk_indexes_in_order() {
        let conn = Connection::open_in_memory().unwrap();
        schema::migrate(&conn).unwrap();
        assert_walks(&conn, &CaseQuery::default(), "cases_open_due");
        assert_walks(
            &conn,
            &CaseQuery {
                overdue: true,
                ..Default::default()
            },
            "cases_open_due",
        );
        assert_walks(
            &conn,
            &CaseQuery {
                status: Some("closed".into()),
                ..Default::default()
            },
            "cases_status_due",
        );
        assert_walks(
            &conn,
            &CaseQuery {
                status: Some("received".into()),
                ..Default::default()
            },
            "cases_status_due",
        );
    }
}
