//! A case's history in its partition: the event items (a child module of `dynamo.rs`).
//!
//! | item | `PK` | `SK` | attributes | index keys |
//! |---|---|---|---|---|
//! | event | `CASE#{reference}` | `EVENT#{sequence of its first event:010}`, or `EVENT#{sequence:010}#{token}` when staged | `prev` (a staged item: the `SK` of the staged item before it), `at` (of its first event, RFC 3339, fixed width), `type` (its events' types, comma-separated), `body` (B: deflated JSON: one event record, or a list of them when the item holds several), `last` (N: the sequence of its last event; only on an item holding several) | `GSI2PK` = `MONTH#{YYYY-MM}` (Europe/London month of `at`), `GSI2SK` = `{at}#{reference}#{sequence:010}`: only when no earlier event of the case falls in that month |
//!
//! **One item per write and month.** The events one write adds (a Stage 1 response and its
//! letter) share one item when they fall in the same London month, so a letter costs no item
//! of its own: each item is paid for by the kilobyte, rounded up, and twice (the transaction).
//! A write whose events fall in two months (a response backdated across a month's end and its
//! letter, written now) puts one item per month. Items written before 5 December 2026 hold one
//! event each (the body an object) and read as they are; an item holding several has a list
//! for its body, which a build from before cannot read: roll forward, never back.
//!
//! **One month entry per case and month.** The monthly report reads a month's `MONTH#`
//! partition of `GSI2` only for the references of the cases with an event in that month, then
//! loads each of those cases whole. So an item carries the `GSI2` keys only when no event of
//! the case with a lower sequence falls in the same London month: the first item of each
//! month does, a backdated event whose month the case has no event in yet does, later ones in
//! that month do not. The rule is decided from the case's whole history, which every writer
//! has loaded (or, for a new case or an import, holds), so the retention run's rewrite of the
//! same history gives every item the same keys again (an item written before this rule that
//! carried a redundant entry loses it; the first of its month keeps it).
//!
//! **Staged items, committed by the case item** (6 December 2026). A change with no
//! idempotency key to keep is not a transaction: it puts its event items first, each under an
//! `SK` of its own (`EVENT#{sequence:010}#{token}`, the token random per write) with `prev`,
//! the `SK` of the staged item before it, and then the case item, conditional on the version
//! read as before, naming its write's last item in `head`. The case item is the commit: a
//! reader follows `head` and the `prev` links back and takes those items and the items with no
//! token (written in a transaction, always whole), and nothing else. A staged item no case item
//! leads to (its writer crashed before the case item, or lost the race to another writer) is
//! never read; a writer that loses a race deletes its own. Each item is then paid for once
//! instead of twice. A staged item whose first sequence is at or below the case's version and
//! is not on the chain can never be committed (its writer needed an earlier version); the
//! retention run deletes those with the case's personal data.
//!
//! The retention run rewrites the items in place: it reads the partition's layout first (the
//! `SK`, `last` and `prev` of each event item and the case item's `head`:
//! [`DynamoStore::event_layout`]) so every committed item is rewritten with exactly the events
//! it holds, under its own key and link, and no copy of a removed text is left.

use std::borrow::Cow;

use p3_domain::event::EventRecord;
use p3_domain::london::{london_date, Month};
use p3_domain::ports::{CaseWrite, StoreError};

use super::{
    case_pk, from_json, get_n, get_s, key, n, packed, s, text_store, to_json, ts, unpacked,
    DynamoStore, Item, Put,
};

/// Prefix of the event items' `SK`.
pub(super) const EVENT_PREFIX: &str = "EVENT#";

/// The attribute of an event item holding several events: the sequence of its last.
const LAST: &str = "last";

/// The attribute of a staged event item: the `SK` of the staged item before it on the case's
/// chain (absent on the first).
const PREV: &str = "prev";

/// The attribute of the case item: the `SK` of the last staged event item it commits (absent
/// while the case has none).
pub(super) const HEAD: &str = "head";

/// `SK` of the event item whose first event has `sequence`.
pub(super) fn event_sk(sequence: u64) -> String {
    format!("{EVENT_PREFIX}{sequence:010}")
}

/// `SK` of a staged event item: its first event's sequence and its write's token.
pub(super) fn staged_sk(sequence: u64, token: &str) -> String {
    format!("{}#{token}", event_sk(sequence))
}

/// The first sequence an event item's `SK` names (either shape).
fn first_of(sk: &str) -> Result<u64, StoreError> {
    sk.strip_prefix(EVENT_PREFIX)
        .and_then(|rest| rest.get(..10))
        .and_then(|seq| seq.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("event item `{sk}`")))
}

/// Whether an event item's `SK` carries a write's token (staged, committed only by a chain).
fn is_staged(sk: &str) -> bool {
    sk.len() > EVENT_PREFIX.len() + 10
}

/// A string attribute, if the item has it.
fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(super::AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

/// The case item's `head`, if any.
pub(super) fn head_of(case_item: &Item) -> Option<String> {
    string(case_item, HEAD).map(str::to_string)
}

/// Sorts a partition's event items (in `SK` order) by whether the case item whose `head` is
/// given commits them: the items with no token, and the staged items on the chain from
/// `head` back along `prev`; the rest are staged items no case item leads to. A link that
/// names a missing item is corruption: a committed item was lost.
pub(super) fn sort_out<'a>(
    items: &[&'a Item],
    head: Option<&str>,
) -> Result<(Vec<&'a Item>, Vec<&'a Item>), StoreError> {
    let mut staged: std::collections::HashMap<&str, &Item> = std::collections::HashMap::new();
    for item in items {
        let sk = get_s(item, "SK")?;
        if is_staged(sk) {
            staged.insert(sk, item);
        }
    }
    let mut chain = std::collections::HashSet::new();
    let mut next = head;
    while let Some(sk) = next {
        let item = staged.get(sk).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the event item `{sk}` the case leads to is missing"
            ))
        })?;
        if !chain.insert(sk) {
            return Err(StoreError::Corrupt(format!(
                "the event items loop at `{sk}`"
            )));
        }
        next = string(item, PREV);
    }
    let mut committed = Vec::new();
    let mut orphans = Vec::new();
    for item in items {
        let sk = get_s(item, "SK")?;
        if !is_staged(sk) || chain.contains(sk) {
            committed.push(*item);
        } else {
            orphans.push(*item);
        }
    }
    Ok((committed, orphans))
}

/// A fresh write token: 12 hex digits from the system's random source.
pub(super) fn new_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Unavailable(format!("no random source for a write token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The Europe/London month an event belongs to in the monthly report.
fn month_of(e: &EventRecord) -> Month {
    Month::of(london_date(e.at))
}

/// The event items a write puts for its new events: consecutive events of one London month
/// share an item.
pub(super) fn groups(new_events: &[EventRecord]) -> Vec<&[EventRecord]> {
    new_events
        .chunk_by(|a, b| month_of(a) == month_of(b))
        .collect()
}

/// Whether an item whose first event is `first` carries the month's `GSI2` entry: only when no
/// event of the case before it (by sequence) falls in the same London month.
pub(super) fn needs_month_entry(history: &[EventRecord], first: &EventRecord) -> bool {
    let month = month_of(first);
    !history
        .iter()
        .any(|e| e.sequence < first.sequence && month_of(e) == month)
}

/// The events an event item holds, in sequence order (either body shape).
pub(super) fn events_of(item: &Item) -> Result<Vec<EventRecord>, StoreError> {
    let body = unpacked(item, "body")?;
    if body.trim_start().starts_with('[') {
        from_json("events", &body)
    } else {
        Ok(vec![from_json("event", &body)?])
    }
}

/// Where one event item sits and which events it holds (by sequence, inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EventSlot {
    pub(super) sk: String,
    pub(super) prev: Option<String>,
    pub(super) first: u64,
    pub(super) last: u64,
}

/// A case's partition as the retention run reads it: the committed event items, the staged
/// items nothing commits, and the case item's `head`.
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    pub(super) committed: Vec<EventSlot>,
    pub(super) orphans: Vec<EventSlot>,
    pub(super) head: Option<String>,
}

impl DynamoStore {
    /// The event item holding `group` (events of one write, one London month, in sequence
    /// order), as [`CaseStore::save`](p3_domain::ports::CaseStore::save) writes it; `history`
    /// is the case's whole history (the group included), which decides the month entry.
    pub(super) fn event_item(
        &self,
        reference: &str,
        history: &[EventRecord],
        group: &[EventRecord],
    ) -> Result<Item, StoreError> {
        let first = group
            .first()
            .ok_or_else(|| StoreError::Corrupt("an event item with no event".into()))?;
        self.event_item_at(reference, history, group, &event_sk(first.sequence), None)
    }

    /// The event item holding `group` under `sk`, linked to `prev` (a staged item; see the
    /// module's notes), or with no link.
    pub(super) fn event_item_at(
        &self,
        reference: &str,
        history: &[EventRecord],
        group: &[EventRecord],
        sk: &str,
        prev: Option<&str>,
    ) -> Result<Item, StoreError> {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            return Err(StoreError::Corrupt("an event item with no event".into()));
        };
        let at = ts(first.at);
        let mut item = key(case_pk(reference), sk);
        if let Some(prev) = prev {
            item.insert(PREV.into(), s(prev));
        }
        // `at` and `type` let a reader of the table see what happened when; everything else
        // (who, when recorded, the details) is in the deflated body, since the item is paid
        // for twice (the transaction).
        item.insert("at".into(), s(&at));
        let types: Vec<&str> = group.iter().map(|e| e.event.name()).collect();
        item.insert("type".into(), s(types.join(",")));
        let stored: Vec<Cow<'_, EventRecord>> =
            group.iter().map(text_store::event_without_text).collect();
        let json = if let [one] = stored.as_slice() {
            to_json("event", one.as_ref())?
        } else {
            item.insert(LAST.into(), n(last.sequence));
            let all: Vec<&EventRecord> = stored.iter().map(Cow::as_ref).collect();
            to_json("events", &all)?
        };
        item.insert("body".into(), packed("event", &json)?);
        if needs_month_entry(history, first) {
            item.insert("GSI2PK".into(), s(format!("MONTH#{}", month_of(first))));
            item.insert(
                "GSI2SK".into(),
                s(format!("{at}#{reference}#{:010}", first.sequence)),
            );
        }
        Ok(item)
    }

    /// The Puts of a write's new events (each on an item that must not exist yet).
    pub(super) fn event_puts(
        &self,
        reference: &str,
        history: &[EventRecord],
        new_events: &[EventRecord],
    ) -> Result<Vec<Put>, StoreError> {
        groups(new_events)
            .into_iter()
            .map(|group| {
                let item = self.event_item(reference, history, group)?;
                self.put(item, "attribute_not_exists(#pk)", &[("#pk", "PK")], vec![])
            })
            .collect()
    }

    /// The event items of a case as stored (their keys, links and which events each holds)
    /// and the case item's `head`, read strongly consistently: what the retention run
    /// rewrites in place, and the staged items it deletes.
    pub(super) async fn event_layout(&self, reference: &str) -> Result<Layout, StoreError> {
        let items = self
            .query_all(
                "Query (event items)",
                None,
                "#pk = :pk",
                &[
                    ("#pk", "PK"),
                    ("#sk", "SK"),
                    ("#last", LAST),
                    ("#prev", PREV),
                    ("#head", HEAD),
                ],
                vec![(":pk", s(case_pk(reference)))],
                Some("#sk, #last, #prev, #head"),
            )
            .await?;
        let mut head = None;
        let mut events = Vec::new();
        for item in &items {
            let sk = get_s(item, "SK")?;
            if sk == "CASE" {
                head = head_of(item);
            } else if sk.starts_with(EVENT_PREFIX) {
                events.push(item);
            }
        }
        let slot = |item: &Item| -> Result<EventSlot, StoreError> {
            let sk = get_s(item, "SK")?;
            let first = first_of(sk)?;
            let last = if item.contains_key(LAST) {
                get_n(item, LAST)?
            } else {
                first
            };
            Ok(EventSlot {
                sk: sk.to_string(),
                prev: string(item, PREV).map(str::to_string),
                first,
                last,
            })
        };
        let (committed, orphans) = sort_out(&events, head.as_deref())?;
        Ok(Layout {
            committed: committed.into_iter().map(slot).collect::<Result<_, _>>()?,
            orphans: orphans.into_iter().map(slot).collect::<Result<_, _>>()?,
            head,
        })
    }
}

/// How many (case, version) heads a store remembers before it starts again: a Lambda instance
/// or a server sees far fewer cases between its loads and its writes.
const REMEMBERED_HEADS: usize = 4096;

impl DynamoStore {
    /// The case item's `head` at `version`: remembered from a load or a write of this store,
    /// else read (one strongly consistent GetItem). A case no longer at `version`, or gone, is
    /// a version conflict, as its conditional put would be.
    pub(super) async fn head_at(
        &self,
        reference: &str,
        version: u64,
    ) -> Result<Option<String>, StoreError> {
        let remembered = self
            .heads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(reference.to_string(), version))
            .cloned();
        if let Some(head) = remembered {
            return Ok(head);
        }
        match self.case_head(reference).await? {
            Some((stored, head)) if stored == version => Ok(head),
            _ => Err(StoreError::VersionConflict),
        }
    }

    /// Remembers the case item's `head` at `version`.
    pub(super) fn note_head(&self, reference: &str, version: u64, head: Option<String>) {
        let mut heads = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        if heads.len() >= REMEMBERED_HEADS {
            heads.clear();
        }
        heads.insert((reference.to_string(), version), head);
    }

    /// The stored case item's version and `head` (strongly consistent), if it exists.
    async fn case_head(
        &self,
        reference: &str,
    ) -> Result<Option<(u64, Option<String>)>, StoreError> {
        match self.stored_case_item(reference).await? {
            Some(item) => Ok(Some((get_n(&item, "version")?, head_of(&item)))),
            None => Ok(None),
        }
    }

    /// The case item as stored (one strongly consistent GetItem), if it exists.
    pub(super) async fn stored_case_item(
        &self,
        reference: &str,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(case_pk(reference), "CASE")))
            .consistent_read(true)
            .return_consumed_capacity(super::ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| super::sdk_error("GetItem (case)", e))?;
        self.record_use(false, out.consumed_capacity());
        Ok(out.item().filter(|i| !i.is_empty()).cloned())
    }

    /// A change saved without a transaction (see the module's notes): its event items staged
    /// under this write's token, each linked to the one before (the first to `prev_head`, the
    /// case item's `head` at the version read), then the case item, conditional as in a
    /// transaction, leading to the last. A lost race deletes the staged items; a failure that
    /// leaves the outcome unknown leaves them (a case item may lead to them).
    pub(super) async fn save_staged(
        &self,
        w: &CaseWrite,
        prev_head: Option<String>,
    ) -> Result<(), StoreError> {
        let reference = &w.case.reference;
        let token = new_token()?;
        let mut head = prev_head;
        let mut staged = Vec::new();
        for group in groups(&w.new_events) {
            let Some(first) = group.first() else { continue };
            let sk = staged_sk(first.sequence, &token);
            let item =
                self.event_item_at(reference, &w.case.history, group, &sk, head.as_deref())?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(super::build_error)?;
            self.put_one("PutItem (staged events)", put).await?;
            staged.push(sk.clone());
            head = Some(sk);
        }
        let case = self.case_put(w, head.as_deref())?;
        match self.put_one("PutItem (case)", case).await {
            Ok(()) => {}
            Err(StoreError::VersionConflict) if !staged.is_empty() => {
                // The SDK may have sent a first try DynamoDB saved, and then this one: if the
                // case item leads to this write's items, the write is done.
                if let Some((_, stored)) = self.case_head(reference).await? {
                    if stored == head {
                        self.note_head(reference, w.case.version, head);
                        return Ok(());
                    }
                }
                self.delete_staged(reference, &staged).await;
                return Err(StoreError::VersionConflict);
            }
            Err(e) => return Err(e),
        }
        self.note_text_inline(reference, false);
        self.note_head(reference, w.case.version, head);
        Ok(())
    }

    /// One PutItem of `put` (its condition, if any): a failed condition is a version conflict.
    pub(super) async fn put_one(&self, op: &str, put: Put) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(put.table_name())
            .set_item(Some(put.item().clone()))
            .set_condition_expression(put.condition_expression().map(str::to_string))
            .set_expression_attribute_names(put.expression_attribute_names().cloned())
            .set_expression_attribute_values(put.expression_attribute_values().cloned())
            .return_consumed_capacity(super::ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => {
                self.record_use(true, out.consumed_capacity());
                Ok(())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                self.record_use(true, []);
                Err(StoreError::VersionConflict)
            }
            Err(e) => Err(super::sdk_error(op, e)),
        }
    }

    /// Deletes staged event items no case item can lead to any more (best effort: one left
    /// behind is never read, and the retention run deletes it).
    pub(super) async fn delete_staged(&self, reference: &str, sks: &[String]) {
        for sk in sks {
            let out = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key(case_pk(reference), sk)))
                .return_consumed_capacity(super::ReturnConsumedCapacity::Total)
                .send()
                .await;
            match out {
                Ok(out) => self.record_use(true, out.consumed_capacity()),
                Err(e) => {
                    self.record_use(true, []);
                    tracing::warn!(
                        error = %super::DisplayErrorContext(&e),
                        "could not delete a staged event item; the retention run will"
                    );
                }
            }
        }
    }
}
