//! The complaint's own text in an item of its own (a child module of `dynamo.rs`).
//!
//! A complaint's description and desired outcome are the resident's words, often thousands of
//! characters, and never change after receipt (only the retention run blanks them). The case
//! item is rewritten by every change, and each byte of it is paid for twice (the
//! transaction), so those two texts live in their own item instead:
//!
//! | item | `PK` | `SK` | attributes |
//! |---|---|---|---|
//! | complaint text | `CASE#{reference}` | `TEXT` | `body` (B: `{"description", "desired_outcome"}` as JSON, deflated) |
//!
//! It is written once, in the transaction that creates the case, and again only by the
//! retention run (with the text it leaves). The case item then holds the case with both texts
//! empty and `text` = `TEXT` (a marker: its text is in that item), and so does the `received`
//! event's item (its complaint is the case's, as received: the text is not paid for twice at
//! receipt). The case Query on `PK` returns the text item with the case item and the events,
//! so a load costs no extra request, and puts the text back into both.
//!
//! A case item written before (no marker) still holds its text in its snapshot and loads as
//! it is; the store remembers each such case it loads, and its next save moves the text into
//! its own item (in the same transaction). A save that does not come after a load in the same
//! process writes the marker only on a case item that already has it (the condition), so a case
//! of the earlier shape can never lose its text: such a save is a version conflict, and the
//! retried request loads the case first.

use p3_domain::case::Case;
use p3_domain::event::{CaseEvent, EventRecord};
use p3_domain::ports::{CaseWrite, StoreError};
use serde::{Deserialize, Serialize};

use super::{case_pk, from_json, key, packed, s, to_json, unpacked, DynamoStore, Item, Put};

/// `SK` of a case's text item.
pub(super) const TEXT_SK: &str = "TEXT";

/// The case item's marker attribute: present (`TEXT`) when the case's text is in its own item.
pub(super) const TEXT_MARKER: &str = "text";

/// The text item's attribute holding the text.
const TEXT_BODY: &str = "body";

/// What the text item holds: the complaint's words as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ComplaintText {
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    desired_outcome: Option<String>,
}

/// The case as its case item keeps it: without the texts of its text item.
pub(super) fn without_text(case: &Case) -> Case {
    let mut state = Case {
        history: Vec::new(),
        ..case.clone()
    };
    state.complaint.description = String::new();
    state.complaint.desired_outcome = None;
    state
}

/// The event as its item keeps it: a `received` event without the texts of the text item.
pub(super) fn event_without_text(e: &EventRecord) -> std::borrow::Cow<'_, EventRecord> {
    match &e.event {
        CaseEvent::Received { .. } => {
            let mut stored = e.clone();
            if let CaseEvent::Received { complaint, .. } = &mut stored.event {
                complaint.description = String::new();
                complaint.desired_outcome = None;
            }
            std::borrow::Cow::Owned(stored)
        }
        _ => std::borrow::Cow::Borrowed(e),
    }
}

/// Whether a case item keeps its text in the text item.
pub(super) fn has_text_item(item: &Item) -> bool {
    item.contains_key(TEXT_MARKER)
}

/// Puts the text of a text item back into the case read from its case item, and into its
/// `received` event when its history was read too.
pub(super) fn restore_text(case: &mut Case, text_item: &Item) -> Result<(), StoreError> {
    let text: ComplaintText = from_json("complaint text", &unpacked(text_item, TEXT_BODY)?)?;
    for e in &mut case.history {
        if let CaseEvent::Received { complaint, .. } = &mut e.event {
            complaint.description.clone_from(&text.description);
            complaint.desired_outcome.clone_from(&text.desired_outcome);
        }
    }
    case.complaint.description = text.description;
    case.complaint.desired_outcome = text.desired_outcome;
    Ok(())
}

impl DynamoStore {
    /// The text item of a case, as written at receipt (or by the retention run).
    pub(super) fn text_item(&self, case: &Case) -> Result<Item, StoreError> {
        let text = ComplaintText {
            description: case.complaint.description.clone(),
            desired_outcome: case.complaint.desired_outcome.clone(),
        };
        let mut item = key(case_pk(&case.reference), TEXT_SK);
        item.insert(
            TEXT_BODY.into(),
            packed("complaint text", &to_json("complaint text", &text)?)?,
        );
        Ok(item)
    }

    /// The text item's Put when a write needs one: a new case, or a case loaded with its text
    /// still in its snapshot (moved now). Conditional on the item not existing.
    pub(super) fn text_put(&self, w: &CaseWrite) -> Result<Option<Put>, StoreError> {
        if w.expected_version != 0 && !self.text_inline(&w.case.reference) {
            return Ok(None);
        }
        let item = self.text_item(&w.case)?;
        self.put(item, "attribute_not_exists(#pk)", &[("#pk", "PK")], vec![])
            .map(Some)
    }

    /// The case item's marker, as every case item is written now.
    pub(super) fn text_marker() -> (String, super::AttributeValue) {
        (TEXT_MARKER.to_string(), s(TEXT_SK))
    }

    /// Whether this store loaded `reference` with its text still in its snapshot.
    pub(super) fn text_inline(&self, reference: &str) -> bool {
        self.inline_text
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(reference)
    }

    /// Remembers (or forgets) that `reference` was loaded with its text in its snapshot.
    pub(super) fn note_text_inline(&self, reference: &str, inline: bool) {
        let mut set = self.inline_text.lock().unwrap_or_else(|p| p.into_inner());
        if inline {
            set.insert(reference.to_string());
        } else {
            set.remove(reference);
        }
    }
}
