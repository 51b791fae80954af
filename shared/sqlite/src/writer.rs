//! The single writer thread: it owns the only write connection and commits every job waiting
//! in one transaction (group commit), each job inside its own savepoint, and answers the jobs
//! only once that commit is durable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use p3_domain::ports::StoreError;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::fault::{sql_error, Fault};

/// Most jobs committed together; bounds the latency a single batch adds.
pub const MAX_BATCH: usize = 256;

/// A unit of work run on the write connection inside its own savepoint; returns a number
/// (a counter value) or 0.
pub type Work = Box<dyn FnOnce(&Connection) -> Result<i64, Fault> + Send + 'static>;

/// A write waiting for the writer, with where to send its answer.
pub struct Job {
    /// What to do.
    pub work: Work,
    /// Where the answer goes, after the commit.
    pub reply: oneshot::Sender<Result<i64, StoreError>>,
}

/// Counters describing the writer's batching, for metrics and tests.
#[derive(Debug, Default)]
pub struct Stats {
    /// Transactions attempted.
    pub batches: AtomicU64,
    /// Jobs received.
    pub jobs: AtomicU64,
    /// Jobs in the largest batch.
    pub largest_batch: AtomicU64,
    /// Batches that failed as a whole (I/O error, full disk, failed commit).
    pub failed_batches: AtomicU64,
}

/// Sets the per-connection pragmas every connection needs.
pub fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // temp_store = MEMORY keeps each job's savepoint journal in memory: on disk it spilled to
    // a temporary file once a job touched more than 64 KiB of pages (every new case does),
    // about doubling the writer's CPU time. Durability rests on the WAL alone either way.
    // secure_delete = ON: what a write deletes or replaces (an old snapshot of a case, an
    // event rewritten when the retention period ends) is overwritten with zeros, not left in
    // the file's free space where personal data meant to be gone could still be read.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Reopens the write connection after a fault, never creating a new file in place of a lost one.
fn reopen(path: &Path) -> Result<Connection, rusqlite::Error> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn)?;
    Ok(conn)
}

/// Runs until every sender is gone, committing whatever is waiting each time it wakes.
pub fn run(conn: Connection, path: PathBuf, rx: Receiver<Job>, stats: Arc<Stats>) {
    let mut conn = Some(conn);
    while let Ok(first) = rx.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        stats
            .largest_batch
            .fetch_max(batch.len() as u64, Ordering::Relaxed);
        if let Err(e) = run_batch(&mut conn, &path, batch) {
            stats.failed_batches.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "sqlite write batch failed; its jobs were answered as unavailable");
        }
    }
    tracing::debug!("sqlite writer stopped");
}

fn fail_all(jobs: Vec<oneshot::Sender<Result<i64, StoreError>>>, e: &StoreError) {
    for reply in jobs {
        let _ = reply.send(Err(e.clone()));
    }
}

/// Starts the batch's transaction, reopening the connection once if it is missing or broken.
fn begin<'c>(slot: &'c mut Option<Connection>, path: &Path) -> Result<&'c Connection, StoreError> {
    if let Some(conn) = slot.as_ref() {
        if conn.execute_batch("BEGIN IMMEDIATE").is_ok() {
            return Ok(slot.as_ref().expect("checked above"));
        }
        // The connection may be unusable after an I/O fault: try a fresh one below.
        *slot = None;
    }
    let conn = reopen(path).map_err(sql_error)?;
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_error)?;
    Ok(slot.insert(conn))
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            tracing::warn!(error = %e, "sqlite rollback failed");
        }
    }
}

/// Runs one job in a savepoint. `Err` means the whole transaction is lost (a storage fault);
/// `Ok(Err(..))` means only this job failed and was rolled back to its savepoint.
fn run_job(conn: &Connection, work: Work) -> Result<Result<i64, StoreError>, StoreError> {
    conn.execute_batch("SAVEPOINT job").map_err(sql_error)?;
    let outcome = catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or_else(|_| {
        Err(Fault::Logical(StoreError::Unavailable(
            "a write job panicked".into(),
        )))
    });
    match outcome {
        Ok(v) => {
            conn.execute_batch("RELEASE job").map_err(sql_error)?;
            Ok(Ok(v))
        }
        Err(Fault::Sql(e)) => {
            let e = sql_error(e);
            if matches!(e, StoreError::Refused(_)) && !conn.is_autocommit() {
                // A statement SQLite refused, not a storage fault: this job alone is undone
                // and fails; the others in the batch go on.
                conn.execute_batch("ROLLBACK TO job; RELEASE job")
                    .map_err(sql_error)?;
                return Ok(Err(e));
            }
            Err(e)
        }
        Err(Fault::Logical(e)) => {
            if conn.is_autocommit() {
                // SQLite already rolled the transaction back: nothing of the batch survives.
                return Err(StoreError::Unavailable(format!(
                    "the transaction was rolled back ({e})"
                )));
            }
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
                .map_err(sql_error)?;
            Ok(Err(e))
        }
    }
}

fn run_batch(
    slot: &mut Option<Connection>,
    path: &Path,
    batch: Vec<Job>,
) -> Result<(), StoreError> {
    let conn = match begin(slot, path) {
        Ok(conn) => conn,
        Err(e) => {
            fail_all(batch.into_iter().map(|j| j.reply).collect(), &e);
            return Err(e);
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    let mut replies = Vec::with_capacity(batch.len());
    let mut fault = None;
    for (n, job) in batch.into_iter().enumerate() {
        replies.push(job.reply);
        if fault.is_some() {
            continue;
        }
        match run_job(conn, job.work) {
            Ok(answer) => answers.push(answer),
            Err(e) => fault = Some((n, e)),
        }
    }
    if let Some((n, e)) = fault {
        rollback(conn);
        // The job that failed learns why; the others were only rolled back with it, so they
        // may be tried again whatever its fault was.
        let others = match &e {
            StoreError::Unavailable(_) => e.clone(),
            other => StoreError::Unavailable(format!(
                "rolled back with another write that failed ({other})"
            )),
        };
        for (i, reply) in replies.into_iter().enumerate() {
            let _ = reply.send(Err(if i == n { e.clone() } else { others.clone() }));
        }
        return Err(e);
    }
    if let Err(e) = conn.execute_batch("COMMIT") {
        let e = sql_error(e);
        rollback(conn);
        fail_all(replies, &e);
        return Err(e);
    }
    for (reply, answer) in replies.into_iter().zip(answers) {
        let _ = reply.send(answer);
    }
    Ok(())
}
