//! [`RetentionStore`] on SQLite: the anonymised history replaces the stored one in one
//! transaction (each event's body rewritten in place, the new event added, the snapshot and
//! the linked service request replaced), with `secure_delete` on so the old text is overwritten in the file rather than
//! left in free space; after a run, a truncating checkpoint empties the write-ahead log, the
//! other place an old copy of a page could survive.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use p3_domain::case::Case;
use p3_domain::ports::{CaseIndex, StoreError};
use p3_domain::retention::RetentionStore;
use p3_domain::service_request::ServiceRequest;
use rusqlite::{params, OptionalExtension};

use crate::fault::{sql_error, to_json, ts, Fault};
use crate::SqliteStore;

/// Cases whose stored status is not open (`retention::MAY_BE_CLOSED`: a `responded` case may
/// have closed since, when its window ended), not anonymised, and quiet since the cutoff.
const CANDIDATES: &str = "
SELECT c.reference FROM cases AS c
 WHERE c.reference > ?2
   AND c.status IN ('responded', 'closed', 'withdrawn', 'refused')
   AND NOT EXISTS (SELECT 1 FROM events AS e
                    WHERE e.reference = c.reference AND (e.at >= ?1 OR e.type = 'anonymised'))
 ORDER BY c.reference
 LIMIT ?3";

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn retention_candidates(
        &self,
        quiet_since: DateTime<Utc>,
        after: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let (since, after) = (ts(quiet_since), after.to_string());
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(CANDIDATES)?;
            let rows = stmt.query_map(params![since, after, limit as i64], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .await
    }

    async fn rewrite_anonymised(
        &self,
        case: &Case,
        index: &CaseIndex,
        expected_version: u64,
        service_request: Option<&ServiceRequest>,
    ) -> Result<(), StoreError> {
        let case = case.clone();
        let index = index.clone();
        let request = service_request.cloned();
        self.write(Box::new(move |conn| {
            // Overwrite what is deleted or replaced from here on, instead of leaving it in
            // the pages' free space; the writer's connection keeps it on (see `configure`),
            // set again here so this job never depends on that.
            conn.execute_batch("PRAGMA secure_delete = ON")?;
            let stored: Option<i64> = conn
                .prepare_cached("SELECT version FROM cases WHERE reference = ?1")?
                .query_row([&case.reference], |r| r.get(0))
                .optional()?;
            if stored != Some(expected_version as i64) {
                return Err(Fault::Logical(StoreError::VersionConflict));
            }
            {
                let mut update = conn.prepare_cached(
                    "UPDATE events SET body = ?3 WHERE reference = ?1 AND sequence = ?2",
                )?;
                let mut insert = conn.prepare_cached(
                    "INSERT INTO events (reference, sequence, at, recorded_at, by, type, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for e in &case.history {
                    let body = to_json("event", e)?;
                    if e.sequence <= expected_version {
                        update.execute(params![case.reference, e.sequence as i64, body])?;
                    } else {
                        insert.execute(params![
                            case.reference,
                            e.sequence as i64,
                            ts(e.at),
                            ts(e.recorded_at),
                            e.by,
                            e.event.name(),
                            body
                        ])?;
                    }
                }
            }
            conn.prepare_cached(
                "UPDATE cases SET version = ?2, snapshot = ?3, status = ?4, next_due = ?5,
                                  open_until = ?6
                 WHERE reference = ?1",
            )?
            .execute(params![
                case.reference,
                case.version as i64,
                to_json("case", &case)?,
                index.status,
                index.next_due.map(|d| d.to_string()),
                index.open_until.map(|d| d.to_string()),
            ])?;
            if let Some(r) = &request {
                conn.prepare_cached("UPDATE service_requests SET body = ?2 WHERE id = ?1")?
                    .execute(params![r.id, to_json("service request", r)?])?;
            }
            // Idempotency records keep whole replies. Sealed ones cannot be told apart here,
            // but they are purged within days, years before a case is due; any an earlier
            // version kept in clear for this case go now.
            conn.prepare_cached("DELETE FROM idempotency WHERE body LIKE '%' || ?1 || '%'")?
                .execute([format!("\"reference\":\"{}\"", case.reference)])?;
            Ok(0)
        }))
        .await
        .map(|_| ())
    }

    async fn erase_traces(&self) -> Result<(), StoreError> {
        let path = self.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            // On a connection of its own: a checkpoint cannot run inside the writer's
            // transactions. TRUNCATE leaves the log empty, so no frame written before the
            // rewrite (an older copy of a page) survives in it.
            let conn = rusqlite::Connection::open(&path).map_err(sql_error)?;
            conn.busy_timeout(std::time::Duration::from_secs(30))
                .map_err(sql_error)?;
            // A reader of another process (a running `p3 serve` beside `p3 retention`) can
            // hold the log for a moment: try a few times before giving up.
            for attempt in 0..10 {
                let (busy, _, _): (i64, i64, i64) = conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .map_err(sql_error)?;
                if busy == 0 {
                    return Ok(());
                }
                std::thread::sleep(std::time::Duration::from_millis(100 << attempt.min(4)));
            }
            Err(StoreError::Unavailable(
                "the write-ahead log could not be emptied: readers were busy".into(),
            ))
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("checkpoint task: {e}")))?
    }
}
