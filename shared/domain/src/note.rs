//! Internal case notes: what staff need to remember about a case, kept in its history for the
//! Ombudsman and never shown to the resident. A note is never edited or removed (before the
//! retention period ends): a correction is a new note that names the one it corrects.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CommandError};
use crate::event::CaseEvent;
use crate::validation::ValidationErrors;

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// A note as the case keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseNote {
    /// Its number: the sequence of its event in the case history.
    pub number: u64,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Who wrote it (staff email).
    pub by: String,
    /// What it says.
    pub text: String,
    /// The note it corrects, if it is a correction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<u64>,
    /// The later notes that correct this one, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrected_by: Vec<u64>,
}

/// Decides `Command::AddNote`: the text is required, trimmed and at most
/// [`MAX_NOTE_CHARS`]; a correction names a note of this case.
pub(crate) fn add(
    case: &Case,
    text: String,
    corrects: Option<u64>,
) -> Result<Vec<CaseEvent>, CommandError> {
    ensure_recordable(case)?;
    let mut e = ValidationErrors::new();
    let text = text.trim().to_string();
    e.require_text("text", Some(&text), MAX_NOTE_CHARS, "the note");
    if let Some(n) = corrects {
        if !case.notes.iter().any(|note| note.number == n) {
            e.add(
                "corrects",
                format!("the case has no note {n}: name the number of the note this corrects"),
            );
        }
    }
    e.into_result()?;
    Ok(vec![CaseEvent::NoteAdded { text, corrects }])
}

/// Folds a note's event into the case.
pub(crate) fn apply(case: &mut Case, number: u64, at: DateTime<Utc>, by: &str, event: &CaseEvent) {
    if let CaseEvent::NoteAdded { text, corrects } = event {
        if let Some(c) = corrects {
            if let Some(earlier) = case.notes.iter_mut().find(|n| n.number == *c) {
                earlier.corrected_by.push(number);
            }
        }
        case.notes.push(CaseNote {
            number,
            at,
            by: by.to_string(),
            text: text.clone(),
            corrects: *corrects,
            corrected_by: Vec::new(),
        });
    }
}

/// Nothing more is written on a case whose personal data was removed at the end of its
/// retention period: a note or a log entry would bring personal data back.
pub(crate) fn ensure_recordable(case: &Case) -> Result<(), CommandError> {
    if crate::retention::is_anonymised(case) {
        return Err(CommandError::NotAllowed(
            "the case's personal data was removed at the end of its retention period: nothing more can be recorded on it".into(),
        ));
    }
    Ok(())
}
