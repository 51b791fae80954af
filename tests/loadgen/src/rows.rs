//! Cases as rows of the SQLite store's schema (`shared/sqlite/src/schema.rs`), written with the
//! same statements the store uses, for the raw-write measurement and the bulk seed.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use p3_domain::alert;
use p3_domain::case::{Case, CaseStatus, Rules};
use p3_domain::deadline::{self, DeadlineStep};
use p3_domain::london::london_date;
use p3_domain::ports::CaseIndex;
use rusqlite::{params, Connection};

/// The index fields of a case as of `now`: the same computation as `Service::index`.
pub fn index(case: &Case, rules: &Rules, now: DateTime<Utc>) -> CaseIndex {
    let policy = rules
        .policy_of(case)
        .expect("generated cases follow a known procedure");
    let today = london_date(now);
    let deadlines = deadline::deadlines(case, policy, &rules.calendar, today);
    let status = case.status(policy, &rules.calendar, today);
    let open_until = match status {
        CaseStatus::Responded => deadlines
            .iter()
            .find(|d| {
                d.kind.step == DeadlineStep::RequestWindow
                    && d.kind.stage == case.current_stage().number + 1
            })
            .map(|d| d.due),
        _ => None,
    };
    CaseIndex {
        status: status.name(),
        stage: case.current_stage().number,
        owner: case.owner().map(str::to_string),
        handler: case.current_handler().map(str::to_string),
        received_on: case.received_on(),
        next_due: deadline::next_landlord_deadline(&deadlines).map(|d| d.due),
        open_until,
    }
}

/// The store's fixed-width instant format (nanoseconds, `Z`).
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// One event row.
pub struct EventRow {
    pub sequence: i64,
    pub at: String,
    pub recorded_at: String,
    pub by: String,
    pub kind: &'static str,
    pub body: String,
}

/// One timer row.
pub struct TimerRow {
    pub alert_id: String,
    pub fire_at: String,
    pub alert: String,
}

/// A case with everything the store keeps for it.
pub struct CaseRow {
    pub reference: String,
    pub version: i64,
    pub snapshot: String,
    pub status: String,
    pub stage: i64,
    pub owner: Option<String>,
    pub handler: Option<String>,
    pub received_on: String,
    pub next_due: Option<String>,
    pub open_until: Option<String>,
    pub year: i32,
    pub seq: i64,
    pub events: Vec<EventRow>,
    pub timers: Vec<TimerRow>,
}

/// The rows of a case as of `now`. With `timers`, the alert timers still to fire after `now`
/// (the ones before are taken as already sent).
pub fn case_row(
    case: &Case,
    rules: &Rules,
    now: DateTime<Utc>,
    (year, seq): (i32, i64),
    timers: bool,
) -> CaseRow {
    let ix = index(case, rules, now);
    let events = case
        .history
        .iter()
        .map(|e| EventRow {
            sequence: e.sequence as i64,
            at: ts(e.at),
            recorded_at: ts(e.recorded_at),
            by: e.by.clone(),
            kind: e.event.name(),
            body: serde_json::to_string(e).expect("events serialise"),
        })
        .collect();
    let timers = if timers {
        let policy = rules.policy_of(case).expect("known procedure");
        let deadlines = deadline::deadlines(case, policy, &rules.calendar, london_date(now));
        let plan = alert::plan(&case.reference, &deadlines, &rules.calendar);
        alert::timers(&plan, now)
            .into_iter()
            .filter(|t| t.fire_at > now)
            .map(|t| TimerRow {
                alert_id: t.alert.id(),
                fire_at: ts(t.fire_at),
                alert: serde_json::to_string(&t.alert).expect("alerts serialise"),
            })
            .collect()
    } else {
        Vec::new()
    };
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    CaseRow {
        reference: case.reference.clone(),
        version: case.version as i64,
        snapshot: serde_json::to_string(case).expect("cases serialise"),
        status: ix.status,
        stage: i64::from(ix.stage),
        owner: ix.owner,
        handler: ix.handler,
        received_on: ix.received_on.to_string(),
        next_due: date(ix.next_due),
        open_until: date(ix.open_until),
        year,
        seq,
        events,
        timers,
    }
}

/// Inserts a case with its events and timers, with the store's own statements.
pub fn insert(conn: &Connection, row: &CaseRow) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO cases (reference, version, snapshot, status, stage, owner, handler, received_on,
                            next_due, open_until, year, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        row.reference,
        row.version,
        row.snapshot,
        row.status,
        row.stage,
        row.owner,
        row.handler,
        row.received_on,
        row.next_due,
        row.open_until,
        row.year,
        row.seq,
    ])?;
    let mut events = conn.prepare_cached(
        "INSERT INTO events (reference, sequence, at, recorded_at, by, type, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in &row.events {
        events.execute(params![
            row.reference,
            e.sequence,
            e.at,
            e.recorded_at,
            e.by,
            e.kind,
            e.body
        ])?;
    }
    let mut timers = conn.prepare_cached(
        "INSERT OR REPLACE INTO timers (alert_id, reference, fire_at, alert, attempts)
         VALUES (?1, ?2, ?3, ?4, 0)",
    )?;
    for t in &row.timers {
        timers.execute(params![t.alert_id, row.reference, t.fire_at, t.alert])?;
    }
    Ok(())
}

/// `CMP-2026-00042`, as the store formats references.
pub fn reference(year: i32, seq: i64) -> String {
    format!("CMP-{year}-{seq:05}")
}
