//! [`RetentionStore`] on DynamoDB (a child module of `dynamo.rs`).
//!
//! Candidates: a case item whose stored status may be closed
//! ([`MAY_BE_CLOSED`](p3_domain::retention::MAY_BE_CLOSED)) and that is not anonymised
//! carries `GSI2PK` = `RETENTION`, `GSI2SK` = `{at of its latest event}#{reference}`; every
//! other case item leaves that index partition (a Put replaces the whole item). The run reads
//! the partition up to the cutoff (one Query, keys only): the cases quiet since then, which
//! are about those due, not every closed case ever.
//!
//! The rewrite: the case item (conditional on the version read), the complaint's text item
//! (see `dynamo_text.rs`), every event item rewritten
//! in place with the events it holds (its keys and layout read first, see `dynamo_events.rs`), the new `anonymised` event and the linked
//! service request, in one `TransactWriteItems` when they fit in one (100 items). A longer
//! history is rewritten in several: first the case item is marked [`REDACTING`] (conditional
//! on the version read), which makes every other save of the case a version conflict; then
//! the events, a transaction at a time; last the case item with the rest, which clears the
//! mark. A run stopped half-way leaves the case marked and still a candidate, and the next
//! run finishes it; no other change can come between.
//!
//! Staged event items that no case item commits (a write that crashed or lost a race, see
//! `dynamo_events.rs`) and can no longer be committed are deleted after the rewrite.
//!
//! Nothing else keeps a copy: items are replaced, not versioned; idempotency records expire
//! within a day (their TTL), years before a case is due. Point-in-time recovery keeps the
//! table's earlier state for its window (35 days), which `docs/aws.md` states.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use p3_domain::case::Case;
use p3_domain::ports::{CaseIndex, CaseWrite, StoreError};
use p3_domain::retention::RetentionStore;
use p3_domain::service_request::ServiceRequest;

use super::{
    n, s, service_request_item, ts, DynamoStore, Put, Role, GSI2, MAX_TRANSACT_ITEMS, REDACTING,
    RETENTION_PARTITION,
};

#[async_trait]
impl RetentionStore for DynamoStore {
    async fn retention_candidates(
        &self,
        quiet_since: DateTime<Utc>,
        after: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let items = self
            .query_index(
                "Query (retention)",
                GSI2,
                "#pk = :pk AND #sk < :since",
                &[("#pk", "GSI2PK"), ("#sk", "GSI2SK"), ("#case", "PK")],
                vec![
                    (":pk", s(RETENTION_PARTITION)),
                    (":since", s(ts(quiet_since))),
                ],
                Some("#case"),
            )
            .await?;
        let mut references: Vec<String> = super::references_of(&items)?
            .into_iter()
            .filter(|r| r.as_str() > after)
            .collect();
        references.truncate(limit);
        Ok(references)
    }

    async fn rewrite_anonymised(
        &self,
        case: &Case,
        index: &CaseIndex,
        expected_version: u64,
        service_request: Option<&ServiceRequest>,
    ) -> Result<(), StoreError> {
        let reference = &case.reference;
        let write = CaseWrite {
            case: case.clone(),
            index: index.clone(),
            new_events: Vec::new(),
            expected_version,
            timers: Vec::new(),
            idempotency: None,
        };
        // The partition as stored: the committed event items (rewritten in place, each under
        // its own key and link) and the case item's `head`, which the new case item keeps.
        let layout = self.event_layout(reference).await?;
        // Replaces the item whatever its mark: this write is the one the mark waits for.
        let mut last = vec![(
            self.put(
                self.case_item(&write, layout.head.as_deref())?,
                "#version = :expected",
                &[("#version", "version")],
                vec![(":expected", n(expected_version))],
            )?,
            Role::Change,
        )];
        // The complaint's text item, with the text the run leaves (written whether the case
        // had one or still kept its text in its snapshot).
        last.push((
            self.put(
                self.text_item(case)?,
                "attribute_exists(#pk) OR attribute_not_exists(#pk)",
                &[("#pk", "PK")],
                vec![],
            )?,
            Role::Change,
        ));
        // Every event item as stored (one event each, or a write's events together), each
        // rewritten in place with exactly the events it holds: no copy of a removed text left.
        let (stored, added): (Vec<_>, Vec<_>) = case
            .history
            .iter()
            .cloned()
            .partition(|e| e.sequence <= expected_version);
        let mut rewritten = Vec::new();
        let mut covered = 0;
        for slot in &layout.committed {
            let group: Vec<_> = stored
                .iter()
                .filter(|e| (slot.first..=slot.last).contains(&e.sequence))
                .cloned()
                .collect();
            if group.is_empty() {
                continue;
            }
            covered += group.len();
            let item = self.event_item_at(
                reference,
                &case.history,
                &group,
                &slot.sk,
                slot.prev.as_deref(),
            )?;
            rewritten.push(self.put(item, "attribute_exists(#pk)", &[("#pk", "PK")], vec![])?);
        }
        if covered != stored.len() {
            return Err(StoreError::Corrupt(format!(
                "{reference}: {} of its {} events are in no event item",
                stored.len() - covered,
                stored.len()
            )));
        }
        for put in self.event_puts(reference, &case.history, &added)? {
            last.push((put, Role::Change));
        }
        if let Some(request) = service_request {
            let item = service_request_item(request)?;
            let put = self.put(item, "attribute_exists(#pk)", &[("#pk", "PK")], vec![])?;
            last.push((put, Role::Change));
        }
        let room = MAX_TRANSACT_ITEMS.saturating_sub(last.len());
        if rewritten.len() > room {
            self.mark_redacting(reference, expected_version).await?;
            let first = rewritten.len() - room;
            let early: Vec<Put> = rewritten.drain(..first).collect();
            for chunk in early.chunks(MAX_TRANSACT_ITEMS) {
                let items = chunk.iter().map(|p| (p.clone(), Role::Change)).collect();
                self.transact("TransactWriteItems (retention, events)", items)
                    .await?;
            }
        }
        last.extend(rewritten.into_iter().map(|p| (p, Role::Change)));
        self.transact("TransactWriteItems (retention)", last)
            .await?;
        self.note_text_inline(reference, false);
        self.note_head(reference, case.version, layout.head);
        // Staged items of writes that never finished hold what the resident wrote too: those
        // that can no longer be committed (their first event at or below the case's version
        // now) go, read again after the rewrite so one staged meanwhile goes as well.
        let dead: Vec<String> = self
            .event_layout(reference)
            .await?
            .orphans
            .into_iter()
            .filter(|o| o.first <= case.version)
            .map(|o| o.sk)
            .collect();
        self.delete_staged(reference, &dead).await;
        Ok(())
    }

    /// Nothing to do: DynamoDB replaced the items in place and keeps no log of them here
    /// (point-in-time recovery is the table's own, for its window).
    async fn erase_traces(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl DynamoStore {
    /// Marks the case item [`REDACTING`] if it is still at `expected_version` (marked before
    /// or not): the stored item again, with the mark.
    async fn mark_redacting(
        &self,
        reference: &str,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let Some(mut item) = self.stored_case_item(reference).await? else {
            return Err(StoreError::VersionConflict);
        };
        item.insert(REDACTING.into(), s(ts(self.clock.now())));
        let put = self.put(
            item,
            "#version = :expected",
            &[("#version", "version")],
            vec![(":expected", n(expected_version))],
        )?;
        self.put_one("PutItem (retention mark)", put).await
    }
}
