//! The correspondence log: what the resident, their representative or a contractor sent us or
//! was told, outside the letters the service writes itself (those are in [`crate::letter`]).
//! Staff log each email, letter, call or visit with its direction, channel, when it happened
//! and a summary; files sent with it are named by their attachment ids.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CommandError};
use crate::event::CaseEvent;
use crate::validation::ValidationErrors;

/// The longest summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 10_000;

/// The most attachments one entry names.
pub const MAX_ATTACHMENTS: usize = 20;

/// Whether it came to us or went from us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received from the resident, their representative or a contractor.
    Inbound,
    /// Sent or said by us.
    Outbound,
}

impl Direction {
    /// The snake_case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// How it was sent or said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrespondenceChannel {
    /// An email.
    Email,
    /// A letter on paper.
    Letter,
    /// A phone call.
    Phone,
    /// In person: a visit, a meeting, at the office.
    InPerson,
    /// Online: a web form, a portal, social media.
    Online,
    /// Any other way.
    Other,
}

impl CorrespondenceChannel {
    /// The snake_case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrespondenceChannel::Email => "email",
            CorrespondenceChannel::Letter => "letter",
            CorrespondenceChannel::Phone => "phone",
            CorrespondenceChannel::InPerson => "in_person",
            CorrespondenceChannel::Online => "online",
            CorrespondenceChannel::Other => "other",
        }
    }
}

/// What to log (`Command::LogCorrespondence`); when it happened is the command's `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCorrespondence {
    /// In or out.
    pub direction: Direction,
    /// How.
    pub channel: CorrespondenceChannel,
    /// What was sent or said.
    pub summary: String,
    /// The ids of the case's attachments that came or went with it.
    pub attachments: Vec<String>,
}

/// An entry of the log as the case keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrespondenceEntry {
    /// Its number: the sequence of its event in the case history.
    pub number: u64,
    /// When it was sent, received or said.
    pub at: DateTime<Utc>,
    /// When it was logged.
    pub recorded_at: DateTime<Utc>,
    /// Who logged it (staff email).
    pub by: String,
    /// In or out.
    pub direction: Direction,
    /// How.
    pub channel: CorrespondenceChannel,
    /// What was sent or said.
    pub summary: String,
    /// The ids of the attachments that came or went with it.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// Decides `Command::LogCorrespondence`: a summary (required, trimmed, at most
/// [`MAX_SUMMARY_CHARS`]) and only attachments the case holds.
pub(crate) fn log(case: &Case, new: NewCorrespondence) -> Result<Vec<CaseEvent>, CommandError> {
    crate::note::ensure_recordable(case)?;
    let mut e = ValidationErrors::new();
    let summary = new.summary.trim().to_string();
    e.require_text(
        "summary",
        Some(&summary),
        MAX_SUMMARY_CHARS,
        "a summary of what was sent or said",
    );
    let attachments: Vec<String> = new
        .attachments
        .iter()
        .map(|a| a.trim().to_string())
        .collect();
    if attachments.len() > MAX_ATTACHMENTS {
        e.add(
            "attachments",
            format!("name at most {MAX_ATTACHMENTS} attachments"),
        );
    } else if attachments.iter().any(|a| !has_attachment(case, a)) {
        e.add("attachments", "no attachment with this id on this case");
    }
    e.into_result()?;
    Ok(vec![CaseEvent::CorrespondenceLogged {
        direction: new.direction,
        channel: new.channel,
        summary,
        attachments,
    }])
}

/// True when the case holds an attachment with this id.
fn has_attachment(case: &Case, id: &str) -> bool {
    case.attachments.iter().any(|a| a.id == id)
}

/// Folds a log entry's event into the case.
pub(crate) fn apply(
    case: &mut Case,
    number: u64,
    (at, recorded_at): (DateTime<Utc>, DateTime<Utc>),
    by: &str,
    event: &CaseEvent,
) {
    if let CaseEvent::CorrespondenceLogged {
        direction,
        channel,
        summary,
        attachments,
    } = event
    {
        case.correspondence.push(CorrespondenceEntry {
            number,
            at,
            recorded_at,
            by: by.to_string(),
            direction: *direction,
            channel: *channel,
            summary: summary.clone(),
            attachments: attachments.clone(),
        });
    }
}
