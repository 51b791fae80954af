//! The baseline: how fast this disk commits the same durable SQLite writes one transaction at
//! a time, with no HTTP and no batching.

use std::path::Path;
use std::time::Instant;

use chrono::{Datelike, Utc};
use p3_domain::case::Rules;
use rusqlite::Connection;

use crate::gen::{self, Rng};
use crate::rows;

/// What the raw measurement found.
pub struct Raw {
    /// Transactions committed.
    pub rows: usize,
    /// Committed per second.
    pub per_second: f64,
    /// Mean size of the case snapshot written.
    pub snapshot_bytes: usize,
    /// Mean size of the event body written.
    pub event_bytes: usize,
}

/// Writes `n` new cases (one case row and its one event row each) into a fresh store file in
/// `dir`, each in its own transaction, sequentially, with the store's pragmas (WAL,
/// `synchronous = FULL`).
pub fn measure(dir: &Path, n: usize) -> anyhow::Result<Raw> {
    let path = dir.join("raw.db");
    // The store creates its own schema and switches the file to WAL.
    drop(p3_sqlite::SqliteStore::open(&path).map_err(|e| anyhow::anyhow!("{e}"))?);
    let conn = Connection::open(&path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    anyhow::ensure!(mode.eq_ignore_ascii_case("wal"), "journal mode is {mode}");
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;

    let rules = Rules::default();
    let now = Utc::now();
    let mut rng = Rng::new(42);
    let year = p3_domain::london::london_date(now).year();
    let prepared: Vec<rows::CaseRow> = (0..n)
        .map(|i| {
            let seq = i as i64 + 1;
            let case = gen::open_case(&rows::reference(year, seq), i as u64, now, &mut rng, &rules);
            rows::case_row(&case, &rules, now, (year, seq), false)
        })
        .collect();
    let snapshot_bytes = prepared.iter().map(|r| r.snapshot.len()).sum::<usize>() / n.max(1);
    let event_bytes = prepared
        .iter()
        .flat_map(|r| r.events.iter().map(|e| e.body.len()))
        .sum::<usize>()
        / n.max(1);
    assert!(prepared.iter().all(|r| r.events.len() == 1));

    let started = Instant::now();
    for row in &prepared {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        rows::insert(&conn, row)?;
        conn.execute_batch("COMMIT")?;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(Raw {
        rows: n,
        per_second: n as f64 / secs,
        snapshot_bytes,
        event_bytes,
    })
}
