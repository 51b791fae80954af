//! Writing the cases an import brought in: all of them in one transaction or none, with the
//! alerts that had passed before the import recorded as covered by its summary.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use p3_domain::ports::{CaseWrite, StoreError};
use rusqlite::params;

use crate::fault::ts;
use crate::{save_case, SqliteStore};

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
        self.write(Box::new(move |conn| {
            for w in &writes {
                save_case(conn, w)?;
            }
            let mut mark = conn.prepare_cached(
                "INSERT OR IGNORE INTO sent_alerts (alert_id, sent_at) VALUES (?1, ?2)",
            )?;
            let at = ts(at);
            for id in &covered {
                mark.execute(params![id, at])?;
            }
            Ok(0)
        }))
        .await
        .map(|_| ())?;
        self.timer_wakeup().notify_one();
        Ok(())
    }
}
