//! The history of a case: every change is an event that keeps what happened, when it
//! happened (`at`), when it was recorded, and by whom. A case's state is the fold of its events.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::casefile::{ContactPreferences, SupportNeeds};
use crate::complaint::{ComplaintDetails, Representative};
use crate::letter::Letter;

/// The decision on a complaint or one of its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The landlord accepts the complaint.
    Upheld,
    /// The landlord accepts part of it.
    PartlyUpheld,
    /// The landlord does not accept it.
    NotUpheld,
}

impl Outcome {
    /// The snake_case name used in the API and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::PartlyUpheld => "partly_upheld",
            Outcome::NotUpheld => "not_upheld",
        }
    }
}

/// The decision on one point of the complaint as defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointDecision {
    /// The point as defined at acknowledgement.
    pub point: String,
    /// Upheld, partly upheld or not upheld.
    pub decision: Outcome,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Something the landlord promised to do in a response, with the date it is due: tracked on
/// the case until done, with alerts like any deadline (see [`crate::casefile::TrackedAction`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromisedAction {
    /// What will be done.
    pub description: String,
    /// By when.
    pub due: NaiveDate,
    /// Who sees it done (staff email); whoever issued the response when not named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// A stage response with the contents the Code requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageResponse {
    /// Overall decision.
    pub outcome: Outcome,
    /// The reasons, in plain English.
    pub summary: String,
    /// Apology, action or compensation offered.
    pub remedy: Option<String>,
    /// Decision on each point.
    pub point_decisions: Vec<PointDecision>,
    /// Outstanding actions with dates.
    pub actions: Vec<PromisedAction>,
    /// Compensation offered with the response, in pence (recorded as an offer on the case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensation_pence: Option<u64>,
    /// What the landlord learned from the complaint (Code 9.1), for the annual report's lessons
    /// learned; staff only, never in the resident's letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning: Option<String>,
}

/// A recorded ground on which a landlord may refuse to take on or escalate a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionGround {
    /// The issue arose, or the resident became aware of it, more than 12 months ago.
    #[serde(rename = "over_12_months")]
    Over12Months,
    /// Legal proceedings have started.
    LegalProceedings,
    /// It has already been considered.
    AlreadyConsidered,
}

impl ExclusionGround {
    /// The snake_case name used in the API and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ExclusionGround::Over12Months => "over_12_months",
            ExclusionGround::LegalProceedings => "legal_proceedings",
            ExclusionGround::AlreadyConsidered => "already_considered",
        }
    }
}

/// Who asked for the next stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestedThrough {
    /// The resident, on their case page.
    Resident,
    /// Staff recording a request made by phone, letter or in person.
    Staff,
}

/// What happened to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// Events are written once and stored; the size of the first variant costs nothing that matters.
#[allow(clippy::large_enum_variant)]
pub enum CaseEvent {
    /// The complaint was received and logged at Stage 1.
    Received {
        /// The procedure it follows.
        procedure: String,
        /// What the complaint says and who made it.
        complaint: ComplaintDetails,
        /// A service request whose response the resident is dissatisfied with.
        service_request: Option<String>,
        /// SHA-256 of the resident's access code (the code itself is never stored).
        access_code_hash: Option<String>,
    },
    /// Stage 1 resolved at first contact with the resident's agreement: counts as
    /// acknowledged and responded on its receipt date.
    ResolvedAtFirstContact {
        /// The decision.
        outcome: Outcome,
        /// What was agreed, as the written response.
        summary: String,
    },
    /// A stage was acknowledged, defined and logged; names who handles it.
    Acknowledged {
        /// The stage acknowledged.
        stage: u8,
        /// Stage 1: the Investigating Manager; later stages: the reviewer.
        handler: String,
        /// The complaint as defined: its points.
        complaint_points: Vec<String>,
        /// What the landlord is responsible for in the complaint (Code 5.6).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        responsible_for: Option<String>,
        /// What the landlord is not responsible for, and who is (Code 5.6).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_responsible_for: Option<String>,
    },
    /// The stage's response deadlines were moved, with a reason.
    Extended {
        /// The stage extended.
        stage: u8,
        /// Working days added.
        working_days: u32,
        /// Why, as told to the resident.
        reason: String,
    },
    /// A stage response was issued.
    Responded {
        /// The stage responded to.
        stage: u8,
        /// Its contents.
        response: StageResponse,
    },
    /// The resident asked for the next stage.
    EscalationRequested {
        /// The stage asked for.
        stage: u8,
        /// The resident's reason.
        reason: Option<String>,
        /// True when asked after the window: accepted and flagged, never refused for it.
        late: bool,
        /// Through whom the request came.
        through: RequestedThrough,
    },
    /// The landlord refused to take on or escalate the complaint on an exclusion ground.
    Refused {
        /// The stage refused.
        stage: u8,
        /// The recorded ground.
        ground: ExclusionGround,
        /// The explanation given to the resident.
        explanation: String,
    },
    /// The resident withdrew the complaint; it is kept and reported as withdrawn.
    Withdrawn {
        /// What the resident said, if anything.
        reason: Option<String>,
    },
    /// The complaint was referred to the Housing Ombudsman.
    OmbudsmanReferred {
        /// Details of the referral.
        detail: String,
    },
    /// The Housing Ombudsman's determination.
    OmbudsmanDetermination {
        /// Its findings and orders.
        detail: String,
    },
    /// The complaint's points at a stage were revised after acknowledgement (each revision kept).
    PointsRevised {
        /// The stage whose points changed.
        stage: u8,
        /// The points as now defined.
        complaint_points: Vec<String>,
        /// Why they changed.
        reason: String,
    },
    /// A stage's Investigating Manager or reviewer was replaced.
    Reassigned {
        /// The stage.
        stage: u8,
        /// The new handler (staff email).
        handler: String,
        /// Why.
        reason: String,
    },
    /// The resident's vulnerabilities and the reasonable adjustments agreed, recorded with
    /// their consent; replaces any earlier record (a review records it again).
    NeedsRecorded {
        /// What was recorded.
        needs: SupportNeeds,
    },
    /// How the resident wants to be contacted and in what format.
    ContactPreferencesSet {
        /// The preferences.
        preferences: ContactPreferences,
    },
    /// Who represents the resident, and whether the resident authorised copies of letters to
    /// them; `None` removes the representative.
    RepresentativeSet {
        /// The representative.
        representative: Option<Representative>,
    },
    /// A promised action or an Ombudsman order was done.
    ActionCompleted {
        /// The action's number on the case.
        action: u16,
        /// What was done, as evidence.
        note: String,
    },
    /// Compensation offered outside a stage response (offers in a response come with it).
    CompensationOffered {
        /// Amount in pence.
        amount_pence: u64,
        /// What it is for.
        reason: String,
    },
    /// The resident accepted or declined an offer.
    CompensationAnswered {
        /// The offer's number on the case.
        offer: u16,
        /// True when accepted.
        accepted: bool,
    },
    /// An accepted offer was paid.
    CompensationPaid {
        /// The offer's number on the case.
        offer: u16,
        /// The payment's reference in the finance system.
        payment_reference: Option<String>,
    },
    /// An order in the Housing Ombudsman's determination, tracked like an action.
    OmbudsmanOrdered {
        /// What the Ombudsman ordered.
        description: String,
        /// By when.
        due: NaiveDate,
        /// Who sees it done.
        owner: String,
    },
    /// A letter to the resident (and any authorised representative), kept on the case as
    /// written and emailed where they gave an address.
    LetterIssued {
        /// The letter.
        letter: Letter,
    },
    /// An internal note: staff only, never shown to the resident, never edited (see
    /// [`crate::note`]).
    NoteAdded {
        /// What it says.
        text: String,
        /// The number (history sequence) of the note it corrects, if it is a correction.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        corrects: Option<u64>,
    },
    /// Something the resident, their representative or a contractor sent or was told outside
    /// our letters (see [`crate::correspondence`]); `at` is when it was sent or said.
    CorrespondenceLogged {
        /// In or out.
        direction: crate::correspondence::Direction,
        /// How.
        channel: crate::correspondence::CorrespondenceChannel,
        /// What was sent or said.
        summary: String,
        /// The ids of the case's attachments that came or went with it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    /// A file was added to the case (see [`crate::attachment`]); its bytes are kept apart, under
    /// `id`, and `by` on the record says who added it.
    AttachmentAdded {
        /// Its id.
        id: String,
        /// The name to show.
        filename: String,
        /// Its media type, from the content.
        content_type: String,
        /// Its size in bytes.
        size: u64,
        /// Its SHA-256, lowercase hex.
        sha256: String,
        /// What it is.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        description: String,
    },
    /// An interval for updates was agreed with the resident (see [`crate::updates`]).
    UpdateIntervalAgreed {
        /// Working days between updates.
        working_days: u32,
    },
    /// Staff updated the resident on where the complaint stands (an `update` letter).
    UpdateGiven {
        /// What the resident is told.
        message: String,
    },
    /// A promised action or Ombudsman order was given a new date (the resident is told).
    ActionMoved {
        /// The action's number on the case.
        action: u16,
        /// The new date.
        due: NaiveDate,
        /// Why, as the resident is told.
        reason: String,
    },
    /// A restriction for unacceptable behaviour (see [`crate::restriction`]).
    RestrictionRecorded {
        /// Why.
        reason: String,
        /// What is restricted.
        restricted: String,
        /// When it is reviewed.
        review_on: NaiveDate,
    },
    /// The restriction in force was reviewed: kept until a new date, or lifted.
    RestrictionReviewed {
        /// Kept or lifted.
        outcome: crate::restriction::ReviewOutcome,
        /// The next review, when kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        review_on: Option<NaiveDate>,
    },
    /// The retention period ended: the personal data in every earlier event was removed (see
    /// [`crate::retention`]). Record keeping, not part of handling the complaint: no figure
    /// counts it.
    Anonymised {
        /// The London date the case closed.
        closed_on: NaiveDate,
        /// The retention period applied, in years.
        retention_years: u32,
    },
}

impl CaseEvent {
    /// True for events that keep the record rather than handle the complaint (an
    /// anonymisation, a note, a logged piece of correspondence): a month's report does not list
    /// a case for them.
    pub fn is_record_keeping(&self) -> bool {
        matches!(
            self,
            CaseEvent::Anonymised { .. }
                | CaseEvent::NoteAdded { .. }
                | CaseEvent::CorrespondenceLogged { .. }
                | CaseEvent::AttachmentAdded { .. }
        )
    }

    /// The event's snake_case name, as stored and shown in the history.
    pub fn name(&self) -> &'static str {
        match self {
            CaseEvent::Received { .. } => "received",
            CaseEvent::ResolvedAtFirstContact { .. } => "resolved_at_first_contact",
            CaseEvent::Acknowledged { .. } => "acknowledged",
            CaseEvent::Extended { .. } => "extended",
            CaseEvent::Responded { .. } => "responded",
            CaseEvent::EscalationRequested { .. } => "escalation_requested",
            CaseEvent::Refused { .. } => "refused",
            CaseEvent::Withdrawn { .. } => "withdrawn",
            CaseEvent::OmbudsmanReferred { .. } => "ombudsman_referred",
            CaseEvent::OmbudsmanDetermination { .. } => "ombudsman_determination",
            CaseEvent::PointsRevised { .. } => "points_revised",
            CaseEvent::Reassigned { .. } => "reassigned",
            CaseEvent::NeedsRecorded { .. } => "needs_recorded",
            CaseEvent::ContactPreferencesSet { .. } => "contact_preferences_set",
            CaseEvent::RepresentativeSet { .. } => "representative_set",
            CaseEvent::ActionCompleted { .. } => "action_completed",
            CaseEvent::CompensationOffered { .. } => "compensation_offered",
            CaseEvent::CompensationAnswered { .. } => "compensation_answered",
            CaseEvent::CompensationPaid { .. } => "compensation_paid",
            CaseEvent::OmbudsmanOrdered { .. } => "ombudsman_ordered",
            CaseEvent::LetterIssued { .. } => "letter_issued",
            CaseEvent::Anonymised { .. } => "anonymised",
            CaseEvent::NoteAdded { .. } => "note_added",
            CaseEvent::CorrespondenceLogged { .. } => "correspondence_logged",
            CaseEvent::AttachmentAdded { .. } => "attachment_added",
            CaseEvent::UpdateIntervalAgreed { .. } => "update_interval_agreed",
            CaseEvent::UpdateGiven { .. } => "update_given",
            CaseEvent::ActionMoved { .. } => "action_moved",
            CaseEvent::RestrictionRecorded { .. } => "restriction_recorded",
            CaseEvent::RestrictionReviewed { .. } => "restriction_reviewed",
        }
    }
}

/// An event with its bookkeeping: what, when it happened, when it was recorded, by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredEventRecord")]
pub struct EventRecord {
    /// Position in the case history, from 1; equals the case version after it.
    pub sequence: u64,
    /// When it happened (may be earlier than recorded, never later).
    pub at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Staff email, `resident` or `system`.
    pub by: String,
    /// What happened.
    #[serde(flatten)]
    pub event: CaseEvent,
    /// True when it was brought in from the landlord's previous system by an import (see
    /// [`crate::import`]): the record says so wherever the history is shown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
    /// True when it was recorded more than one working day after it happened (see
    /// [`crate::backdating`]); decided when it is recorded and kept.
    pub recorded_late: bool,
    /// Why a senior manager recorded it further back than staff may (see
    /// [`crate::backdating`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backdate_reason: Option<String>,
}

/// An event as stored: those stored before `recorded_late` was kept have it decided on read,
/// as it would have been when they were recorded.
#[derive(Deserialize)]
struct StoredEventRecord {
    sequence: u64,
    at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    by: String,
    #[serde(flatten)]
    event: CaseEvent,
    #[serde(default)]
    imported: bool,
    #[serde(default)]
    recorded_late: Option<bool>,
    #[serde(default)]
    backdate_reason: Option<String>,
}

impl From<StoredEventRecord> for EventRecord {
    fn from(s: StoredEventRecord) -> Self {
        let recorded_late = s.recorded_late.unwrap_or_else(|| {
            !s.imported
                && crate::backdating::recorded_late(
                    s.at,
                    s.recorded_at,
                    crate::backdating::stored_calendar(),
                )
        });
        EventRecord {
            sequence: s.sequence,
            at: s.at,
            recorded_at: s.recorded_at,
            by: s.by,
            event: s.event,
            imported: s.imported,
            recorded_late,
            backdate_reason: s.backdate_reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusion_grounds_use_the_names_of_the_api() {
        for (g, name) in [
            (ExclusionGround::Over12Months, "over_12_months"),
            (ExclusionGround::LegalProceedings, "legal_proceedings"),
            (ExclusionGround::AlreadyConsidered, "already_considered"),
        ] {
            assert_eq!(serde_json::to_value(g).unwrap(), name);
            assert_eq!(g.as_str(), name);
            assert_eq!(
                serde_json::from_value::<ExclusionGround>(name.into()).unwrap(),
                g
            );
        }
    }
}
