//! The pack's internal notes and correspondence log, as the template shows them: each note
//! with the note it corrects and the notes that correct it, each entry of the log with when it
//! was sent or said and when it was logged.

use p3_domain::case::Case;
use p3_domain::correspondence::Direction;

use super::describe::channel_words;
use super::pack::when;

/// A note, as the pack lists it.
pub(super) struct NoteView {
    pub(super) number: u64,
    pub(super) at: String,
    pub(super) by: String,
    pub(super) text: String,
    pub(super) corrects: Option<u64>,
    pub(super) corrected_by: Vec<u64>,
}

/// An entry of the correspondence log, as the pack lists it.
pub(super) struct CorrespondenceView {
    pub(super) number: u64,
    pub(super) direction: &'static str,
    pub(super) channel: &'static str,
    pub(super) at: String,
    pub(super) recorded: String,
    pub(super) by: String,
    pub(super) summary: String,
    pub(super) attachments: Vec<String>,
}

/// The case's notes, oldest first.
pub(super) fn notes(case: &Case) -> Vec<NoteView> {
    case.notes
        .iter()
        .map(|n| NoteView {
            number: n.number,
            at: when(n.at),
            by: n.by.clone(),
            text: n.text.clone(),
            corrects: n.corrects,
            corrected_by: n.corrected_by.clone(),
        })
        .collect()
}

/// The case's correspondence log, in the order logged.
pub(super) fn correspondence(case: &Case) -> Vec<CorrespondenceView> {
    case.correspondence
        .iter()
        .map(|c| CorrespondenceView {
            number: c.number,
            direction: match c.direction {
                Direction::Inbound => "Received",
                Direction::Outbound => "Sent or said",
            },
            channel: channel_words(c.channel),
            at: when(c.at),
            recorded: when(c.recorded_at),
            by: c.by.clone(),
            summary: c.summary.clone(),
            attachments: c.attachments.clone(),
        })
        .collect()
}
