//! The database layout and its versioning through `PRAGMA user_version`.

use rusqlite::Connection;

/// The schema version this crate writes; a store with a higher one was written by a newer build.
pub const SCHEMA_VERSION: i64 = 1;

/// Sort key standing in for a missing `next_due`, so "no deadline" sorts last through an index.
pub const NO_DUE: &str = "9999-12-31";

/// Version 1: every table and index.
const V1: &str = "
CREATE TABLE cases (
    reference   TEXT PRIMARY KEY NOT NULL,
    version     INTEGER NOT NULL,
    snapshot    TEXT NOT NULL,
    status      TEXT NOT NULL,
    stage       INTEGER NOT NULL,
    owner       TEXT,
    handler     TEXT,
    received_on TEXT NOT NULL,
    next_due    TEXT,
    open_until  TEXT,
    year        INTEGER,
    seq         INTEGER
);
CREATE INDEX cases_open_due ON cases (ifnull(next_due, '9999-12-31'), reference)
    WHERE status NOT IN ('closed', 'withdrawn', 'refused');
CREATE INDEX cases_status_due ON cases (status, ifnull(next_due, '9999-12-31'), reference);
CREATE INDEX cases_owner ON cases (owner COLLATE NOCASE);
CREATE INDEX cases_handler ON cases (handler COLLATE NOCASE);
CREATE INDEX cases_received_on ON cases (received_on);

CREATE TABLE events (
    reference   TEXT NOT NULL REFERENCES cases (reference),
    sequence    INTEGER NOT NULL,
    at          TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    by          TEXT NOT NULL,
    type        TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (reference, sequence)
);
CREATE INDEX events_at ON events (at);

CREATE TABLE timers (
    alert_id  TEXT PRIMARY KEY NOT NULL,
    reference TEXT NOT NULL REFERENCES cases (reference),
    fire_at   TEXT NOT NULL,
    alert     TEXT NOT NULL,
    attempts  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX timers_fire_at ON timers (fire_at);
CREATE INDEX timers_reference ON timers (reference);

CREATE TABLE sent_alerts (
    alert_id TEXT PRIMARY KEY NOT NULL,
    sent_at  TEXT NOT NULL
);

CREATE TABLE idempotency (
    key          TEXT PRIMARY KEY NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX idempotency_created_at ON idempotency (created_at);

CREATE TABLE service_requests (
    id        TEXT PRIMARY KEY NOT NULL,
    body      TEXT NOT NULL,
    logged_at TEXT NOT NULL
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
";

/// What went wrong bringing the schema up to date.
#[derive(Debug)]
pub enum MigrateError {
    /// SQLite refused.
    Sql(rusqlite::Error),
    /// The file was written by a newer build.
    TooNew(i64),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Sql(e)
    }
}

/// Creates or upgrades the schema in one transaction; reads only `user_version` when current.
pub fn migrate(conn: &Connection) -> Result<(), MigrateError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    if current > SCHEMA_VERSION {
        return Err(MigrateError::TooNew(current));
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| -> Result<(), rusqlite::Error> {
        // Re-read under the write lock: another process may have migrated meanwhile.
        let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current < 1 {
            conn.execute_batch(V1)?;
        }
        if current < SCHEMA_VERSION {
            conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            conn.execute_batch("COMMIT")?;
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e.into())
        }
    }
}
