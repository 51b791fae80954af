//! Writing the cases an import brought in: all of them in one transaction or none, with the
//! alerts that had passed before the import recorded as covered by its summary.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use p3_domain::ports::{CaseWrite, StoreError};
use rusqlite::{params, Connection, OpenFlags};

use crate::fault::{sql_error, ts, Fault};
use crate::writer::configure;
use crate::{save_case, SqliteStore};

/// The page cache of the import's connection, in KiB: a large transaction's pages stay in
/// memory instead of spilling to the log and being read back.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;

impl SqliteStore {
    /// Those of `references` that name a case already in the store.
    pub async fn existing_references(
        &self,
        references: Vec<String>,
    ) -> Result<HashSet<String>, StoreError> {
        self.read(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM cases WHERE reference = ?1)")?;
            let mut found = HashSet::new();
            for r in references {
                if stmt.query_row([&r], |row| row.get::<_, bool>(0))? {
                    found.insert(r);
                }
            }
            Ok(found)
        })
        .await
    }

    /// Stores imported cases, each as a new case with its timers, and records the alerts in
    /// `covered` as sent at `at` (the import's summary listed them): one transaction, so either
    /// every case is there afterwards or none is. A case that appeared meanwhile under one of
    /// the references fails the whole write with a version conflict.
    pub async fn import_cases(
        &self,
        writes: Vec<CaseWrite>,
        covered: Vec<String>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // A connection of its own rather than a job of the writer thread: one transaction of
        // many thousand cases needs neither the writer's per-job savepoint (whose journal
        // would hold every page it touches) nor its small page cache.
        let path = self.path().to_path_buf();
        let ttl = self.idempotency_ttl();
        tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(sql_error)?;
            configure(&conn).map_err(sql_error)?;
            conn.execute_batch(&format!(
                "PRAGMA cache_size = -{IMPORT_CACHE_KIB}; BEGIN IMMEDIATE"
            ))
            .map_err(sql_error)?;
            let written = (|| -> Result<(), Fault> {
                for w in &writes {
                    save_case(&conn, w, ttl)?;
                }
                let mut mark = conn.prepare_cached(
                    "INSERT OR IGNORE INTO sent_alerts (alert_id, sent_at) VALUES (?1, ?2)",
                )?;
                let at = ts(at);
                for id in &covered {
                    mark.execute(params![id, at])?;
                }
                Ok(())
            })();
            match written {
                Ok(()) => conn.execute_batch("COMMIT").map_err(sql_error),
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(StoreError::from(e))
                }
            }
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("the import's write failed: {e}")))??;
        self.timer_wakeup().notify_one();
        Ok(())
    }
}
