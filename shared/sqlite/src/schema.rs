//! The database layout and its versioning through `PRAGMA user_version`.

use rusqlite::Connection;

/// The schema version this crate writes; a store with a higher one was written by a newer build.
pub const SCHEMA_VERSION: i64 = 5;

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

/// Event types that open a stage of a case (Stage 1 on receipt, a later stage on request).
pub const STAGE_STARTS: [&str; 2] = ["received", "escalation_requested"];

/// Event types that end the open stage of a case: its response (first contact resolutions
/// included), a withdrawal or a refusal.
pub const STAGE_ENDS: [&str; 4] = [
    "resolved_at_first_contact",
    "responded",
    "withdrawn",
    "refused",
];

/// The length classes of `case_spans.span_days`: the smallest bound (in days) at or above the
/// time from receipt to the last stage end; [`UNBOUNDED_SPAN`] beyond the last.
pub const SPAN_BOUNDS: [i64; 12] = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/// The class of spans longer than the last of [`SPAN_BOUNDS`] (more than 11 years).
pub const UNBOUNDED_SPAN: i64 = 1_000_000;

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `span_days` class of a span from `open_from` to `settled_at` (an SQL expression over
/// two SQL expressions; null while unsettled).
fn span_class_sql(open_from: &str, settled_at: &str) -> String {
    let days = format!("(julianday({settled_at}) - julianday({open_from}))");
    let mut sql = format!("(CASE WHEN {days} IS NULL THEN NULL");
    for b in SPAN_BOUNDS {
        sql.push_str(&format!(" WHEN {days} <= {b} THEN {b}"));
    }
    sql.push_str(&format!(" ELSE {UNBOUNDED_SPAN} END)"));
    sql
}

/// Version 2: what a month's report needs, found through indexes (no full scan).
///
/// - `events_at_reference`: the cases with an event in a month, from the index alone (it
///   replaces `events_at`, its prefix).
/// - `case_spans`: per case, from its receipt (`open_from`) to the end of its last open stage
///   (`settled_at`, null while a stage is open), kept by triggers on `events` whatever writes
///   them (the store or a bulk seed) and filled from the events on upgrade. A case with a stage
///   open at a month's end lies in this span, so the month's open cases are found by
///   `span_days` class: a span of at most `b` days ending after the month's end began at most
///   `b` days before it, a bounded range of `(span_days, open_from)`.
/// - `service_requests_logged_at`: the service requests logged in a month.
fn v2() -> String {
    let starts = quoted(&STAGE_STARTS);
    let ends = quoted(&STAGE_ENDS);
    let trigger_class = span_class_sql("open_from", "NEW.at");
    let backfill_class = span_class_sql("s.open_from", "s.settled_at");
    format!(
        "
CREATE INDEX events_at_reference ON events (at, reference);
DROP INDEX IF EXISTS events_at;

CREATE INDEX service_requests_logged_at ON service_requests (logged_at);

CREATE TABLE case_spans (
    reference  TEXT PRIMARY KEY NOT NULL,
    open_from  TEXT NOT NULL,
    settled_at TEXT,
    span_days  INTEGER
) WITHOUT ROWID;

INSERT INTO case_spans (reference, open_from, settled_at, span_days)
SELECT s.reference, s.open_from, s.settled_at, {backfill_class}
FROM (
    SELECT c.reference AS reference,
           (SELECT min(e.at) FROM events AS e WHERE e.reference = c.reference) AS open_from,
           (SELECT CASE WHEN e.type IN ({starts}) THEN NULL ELSE e.at END
              FROM events AS e
             WHERE e.reference = c.reference AND e.type IN ({starts}, {ends})
             ORDER BY e.sequence DESC LIMIT 1) AS settled_at
    FROM cases AS c
) AS s
WHERE s.open_from IS NOT NULL;

CREATE INDEX case_spans_open ON case_spans (open_from) WHERE settled_at IS NULL;
CREATE INDEX case_spans_settled ON case_spans (span_days, open_from, settled_at)
    WHERE settled_at IS NOT NULL;

CREATE TRIGGER case_spans_start AFTER INSERT ON events
WHEN NEW.type IN ({starts})
BEGIN
    INSERT INTO case_spans (reference, open_from, settled_at, span_days)
    VALUES (NEW.reference, NEW.at, NULL, NULL)
    ON CONFLICT (reference) DO UPDATE SET settled_at = NULL, span_days = NULL;
END;

CREATE TRIGGER case_spans_end AFTER INSERT ON events
WHEN NEW.type IN ({ends})
BEGIN
    UPDATE case_spans SET settled_at = NEW.at, span_days = {trigger_class}
    WHERE reference = NEW.reference;
END;
"
    )
}

/// Version 3: staff accounts of a deployment without an identity provider (see
/// `p3_domain::staff_account`): accounts, their one-time set-password links and server-side
/// sessions (both kept only as SHA-256 hashes of their secrets), wrong-password counts per
/// hashed email, and the API tokens issued with their revocations.
/// Version 4: a service request's status (`open`, `escalated`, `closed`), filled from its
/// body on upgrade, and `service_requests_status`: the Head of Tenant Services' list of one
/// status, oldest received first.
const V4: &str = "
ALTER TABLE service_requests ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
UPDATE service_requests SET status = CASE
    WHEN json_extract(body, '$.closed') IS NOT NULL THEN 'closed'
    WHEN json_extract(body, '$.complaint') IS NOT NULL THEN 'escalated'
    ELSE 'open' END;
CREATE INDEX service_requests_status ON service_requests (status, logged_at, id);
";

const V3: &str = "
CREATE TABLE staff_accounts (
    email         TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT,
    disabled_at   TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE staff_links (
    secret_hash TEXT PRIMARY KEY NOT NULL,
    email       TEXT NOT NULL REFERENCES staff_accounts (email),
    expires_at  TEXT NOT NULL
);
CREATE INDEX staff_links_email ON staff_links (email);

CREATE TABLE staff_sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,
    email        TEXT NOT NULL REFERENCES staff_accounts (email),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX staff_sessions_email ON staff_sessions (email);

CREATE TABLE sign_in_failures (
    email_hash TEXT PRIMARY KEY NOT NULL,
    failures   INTEGER NOT NULL,
    last_at    TEXT NOT NULL
);

CREATE TABLE staff_tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    email      TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX staff_tokens_email ON staff_tokens (email);
";

/// Version 5: what the landlord writes per financial year (see `p3_domain::annual_record`): the
/// self-assessment's commentary per requirement and the governing body's response.
const V5: &str = "
CREATE TABLE annual_records (
    year INTEGER NOT NULL,
    item TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (year, item)
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
        if current < 2 {
            conn.execute_batch(&v2())?;
        }
        if current < 3 {
            conn.execute_batch(V3)?;
        }
        if current < 4 {
            conn.execute_batch(V4)?;
        }
        if current < 5 {
            conn.execute_batch(V5)?;
        }
        if current < SCHEMA_VERSION {
            conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            conn.execute_batch("COMMIT")?;
            // An upgrade of a large store writes much of it again: copy it into the database
            // now and empty the log, so later opens do not replay it.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e.into())
        }
    }
}
