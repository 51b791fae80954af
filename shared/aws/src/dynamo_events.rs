//! A case's history in its partition: the event items (a child module of `dynamo.rs`).
//!
//! | item | `PK` | `SK` | attributes | index keys |
//! |---|---|---|---|---|
//! | event | `CASE#{reference}` | `EVENT#{sequence of its first event:010}` | `at` (of its first event, RFC 3339, fixed width), `type` (its events' types, comma-separated), `body` (B: deflated JSON: one event record, or a list of them when the item holds several), `last` (N: the sequence of its last event; only on an item holding several) | `GSI2PK` = `MONTH#{YYYY-MM}` (Europe/London month of `at`), `GSI2SK` = `{at}#{reference}#{sequence:010}`: only when no earlier event of the case falls in that month |
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
//! The retention run rewrites the items in place: it reads the partition's layout first (the
//! `SK` and `last` of each event item: [`DynamoStore::event_layout`]) so every item is
//! rewritten with exactly the events it holds and no copy of a removed text is left.

use std::borrow::Cow;

use p3_domain::event::EventRecord;
use p3_domain::london::{london_date, Month};
use p3_domain::ports::StoreError;

use super::{
    case_pk, from_json, get_n, get_s, key, n, packed, s, text_store, to_json, ts, unpacked,
    DynamoStore, Item, Put,
};

/// Prefix of the event items' `SK`.
pub(super) const EVENT_PREFIX: &str = "EVENT#";

/// The attribute of an event item holding several events: the sequence of its last.
const LAST: &str = "last";

/// `SK` of the event item whose first event has `sequence`.
pub(super) fn event_sk(sequence: u64) -> String {
    format!("{EVENT_PREFIX}{sequence:010}")
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EventSlot {
    pub(super) first: u64,
    pub(super) last: u64,
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
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            return Err(StoreError::Corrupt("an event item with no event".into()));
        };
        let at = ts(first.at);
        let mut item = key(case_pk(reference), &event_sk(first.sequence));
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

    /// The event items of a case as stored (their keys and which events each holds), read
    /// strongly consistently: what the retention run rewrites in place.
    pub(super) async fn event_layout(&self, reference: &str) -> Result<Vec<EventSlot>, StoreError> {
        let items = self
            .query_all(
                "Query (event items)",
                None,
                "#pk = :pk AND begins_with(#sk, :events)",
                &[("#pk", "PK"), ("#sk", "SK"), ("#last", LAST)],
                vec![(":pk", s(case_pk(reference))), (":events", s(EVENT_PREFIX))],
                Some("#sk, #last"),
            )
            .await?;
        items
            .iter()
            .map(|item| {
                let sk = get_s(item, "SK")?;
                let first: u64 = sk
                    .strip_prefix(EVENT_PREFIX)
                    .and_then(|seq| seq.parse().ok())
                    .ok_or_else(|| StoreError::Corrupt(format!("event item `{sk}`")))?;
                let last = if item.contains_key(LAST) {
                    get_n(item, LAST)?
                } else {
                    first
                };
                Ok(EventSlot { first, last })
            })
            .collect()
    }
}
