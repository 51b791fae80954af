//! [`ReportSource`] on SQLite: the records one month's report needs, read through indexes
//! only (schema version 2), in one read transaction so they are a consistent snapshot.
//!
//! - cases with an event in the month: `events_at_reference`, the index alone;
//! - cases with a stage open at the month's end: `case_spans` (receipt to the end of the
//!   last open stage, kept by triggers on `events`), through `case_spans_open` for cases open
//!   now and `case_spans_settled` for spans settled after the month's end, one bounded range
//!   per length class;
//! - their snapshots by primary key, and the month's service requests through
//!   `service_requests_logged_at`.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::Duration;
use p3_domain::case::Case;
use p3_domain::london::{start_of_day, Month};
use p3_domain::ports::{MonthRecords, ReportSource, StoreError};
use p3_domain::service_request::ServiceRequest;
use rusqlite::{params, Connection};

use crate::fault::{from_json, ts, Fault};
use crate::schema::{SPAN_BOUNDS, UNBOUNDED_SPAN};
use crate::SqliteStore;

/// Cases with an event whose `at` falls in `[from, to)`.
pub(crate) const EVENTS_IN_MONTH: &str = "SELECT reference FROM events WHERE at >= ?1 AND at < ?2";

/// Cases with a stage open now, received before `to`.
pub(crate) const OPEN_NOW: &str =
    "SELECT reference FROM case_spans WHERE settled_at IS NULL AND open_from < ?1";

/// Cases of one span class received in `[lower, to)` whose last stage ended at or after `to`.
pub(crate) const SETTLED_AFTER: &str = "SELECT reference FROM case_spans \
     WHERE settled_at IS NOT NULL AND span_days = ?1 AND open_from >= ?2 AND open_from < ?3 \
     AND settled_at >= ?3";

/// A case's snapshot by reference.
pub(crate) const SNAPSHOT: &str = "SELECT snapshot FROM cases WHERE reference = ?1";

/// Service requests logged in `[from, to)`.
pub(crate) const REQUESTS_IN_MONTH: &str =
    "SELECT body FROM service_requests WHERE logged_at >= ?1 AND logged_at < ?2";

/// Reads a month's records on one connection, inside one read transaction.
pub(crate) fn month_records(conn: &Connection, month: Month) -> Result<MonthRecords, Fault> {
    let from = start_of_day(month.first_day());
    let to = start_of_day(month.next().first_day());
    let (from_s, to_s) = (ts(from), ts(to));
    let tx = conn.unchecked_transaction()?;
    let mut rows_read: u64 = 0;
    let mut references: BTreeSet<String> = BTreeSet::new();

    {
        let mut stmt = conn.prepare_cached(EVENTS_IN_MONTH)?;
        let mut rows = stmt.query(params![from_s, to_s])?;
        while let Some(row) = rows.next()? {
            rows_read += 1;
            references.insert(row.get(0)?);
        }
    }
    {
        let mut stmt = conn.prepare_cached(OPEN_NOW)?;
        let mut rows = stmt.query(params![to_s])?;
        while let Some(row) = rows.next()? {
            rows_read += 1;
            references.insert(row.get(0)?);
        }
    }
    {
        let mut stmt = conn.prepare_cached(SETTLED_AFTER)?;
        for bound in SPAN_BOUNDS.into_iter().chain([UNBOUNDED_SPAN]) {
            // One day of margin for the floating-point day count the class was taken from.
            let lower = if bound == UNBOUNDED_SPAN {
                String::new()
            } else {
                ts(to - Duration::days(bound + 1))
            };
            let mut rows = stmt.query(params![bound, lower, to_s])?;
            while let Some(row) = rows.next()? {
                rows_read += 1;
                references.insert(row.get(0)?);
            }
        }
    }

    let mut cases = Vec::with_capacity(references.len());
    {
        let mut stmt = conn.prepare_cached(SNAPSHOT)?;
        for reference in &references {
            let mut rows = stmt.query([reference])?;
            if let Some(row) = rows.next()? {
                rows_read += 1;
                let snapshot: String = row.get(0)?;
                cases.push(from_json::<Case>("case", &snapshot)?);
            }
        }
    }

    let mut service_requests = Vec::new();
    {
        let mut stmt = conn.prepare_cached(REQUESTS_IN_MONTH)?;
        let mut rows = stmt.query(params![from_s, to_s])?;
        while let Some(row) = rows.next()? {
            rows_read += 1;
            let body: String = row.get(0)?;
            service_requests.push(from_json::<ServiceRequest>("service request", &body)?);
        }
    }
    service_requests.sort_by(|a, b| a.id.cmp(&b.id));
    tx.commit()?;
    Ok(MonthRecords {
        cases,
        service_requests,
        rows_read,
    })
}

#[async_trait]
impl ReportSource for SqliteStore {
    async fn month_records(&self, month: Month) -> Result<MonthRecords, StoreError> {
        self.read(move |conn| month_records(conn, month)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    /// The query plan's details, with every parameter bound to text.
    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        for i in 1..=stmt.parameter_count() {
            stmt.raw_bind_parameter(i, "x").unwrap();
        }
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            out.push(row.get::<_, String>(3).unwrap());
        }
        out
    }

    #[test]
    fn every_report_query_searches_an_index_and_never_scans_a_table() {
        let conn = Connection::open_in_memory().unwrap();
        schema::migrate(&conn).unwrap();
        for (sql, index) in [
            (EVENTS_IN_MONTH, "COVERING INDEX events_at_reference"),
            (OPEN_NOW, "case_spans_open"),
            (SETTLED_AFTER, "case_spans_settled"),
            (SNAPSHOT, "sqlite_autoindex_cases_1"),
            (REQUESTS_IN_MONTH, "service_requests_logged_at"),
        ] {
            let plan = plan(&conn, sql);
            assert!(
                plan.iter().all(|d| d.starts_with("SEARCH")),
                "{sql}: {plan:#?}"
            );
            assert!(plan.iter().any(|d| d.contains(index)), "{sql}: {plan:#?}");
        }
    }
}
