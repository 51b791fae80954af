//! The commands staff and residents give a case: each names what it changes; [`super::Case::execute`]
//! judges it by the procedure's rules and returns the events it makes.

use super::*;

/// An action on an existing case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Acknowledge the current stage; Stage 1 names the Investigating Manager, later stages the reviewer.
    Acknowledge {
        /// Stage 1 handler.
        investigating_manager: Option<String>,
        /// Later-stage handler.
        reviewer: Option<String>,
        /// The complaint as defined: at least one point.
        complaint_points: Vec<String>,
        /// What the landlord is responsible for in the complaint.
        responsible_for: Option<String>,
        /// What the landlord is not responsible for, and who is.
        not_responsible_for: Option<String>,
    },
    /// Extend the current stage's response deadlines.
    Extend {
        /// Working days to add.
        working_days: u32,
        /// Why.
        reason: String,
    },
    /// Issue the response of a stage (must be the current stage).
    Respond {
        /// The stage the caller means to respond to.
        stage: u8,
        /// The response.
        response: StageResponse,
    },
    /// Ask for the next stage.
    RequestNextStage {
        /// The resident's reason.
        reason: Option<String>,
        /// Through whom.
        through: RequestedThrough,
    },
    /// Ask for a named stage: as [`Command::RequestNextStage`], refused unless `stage` is the
    /// next one (the routes that name their stage, `/stage3`, send this).
    RequestStage {
        /// The stage the caller means to ask for.
        stage: u8,
        /// The resident's reason.
        reason: Option<String>,
        /// Through whom.
        through: RequestedThrough,
    },
    /// Refuse on an exclusion ground.
    Refuse {
        /// The ground.
        ground: ExclusionGround,
        /// The explanation for the resident.
        explanation: String,
    },
    /// Record the resident's withdrawal.
    Withdraw {
        /// What they said.
        reason: Option<String>,
    },
    /// Record the Ombudsman's involvement.
    Ombudsman {
        /// True for the determination, false for the referral.
        determination: bool,
        /// Details.
        detail: String,
    },
    /// Revise the current stage's complaint points after acknowledgement.
    RevisePoints {
        /// The points as now defined.
        complaint_points: Vec<String>,
        /// Why.
        reason: String,
    },
    /// Replace the current stage's Investigating Manager or reviewer.
    Reassign {
        /// The new handler (staff email).
        handler: String,
        /// Why.
        reason: String,
    },
    /// Record (or review) the resident's vulnerabilities and adjustments, with consent.
    RecordNeeds(SupportNeeds),
    /// Set how the resident wants to hear from the landlord.
    SetContactPreferences(ContactPreferences),
    /// Set or remove the representative.
    SetRepresentative(Option<Representative>),
    /// Record a tracked action or Ombudsman order as done.
    CompleteAction {
        /// Its number on the case.
        action: u16,
        /// What was done.
        note: String,
    },
    /// Offer compensation outside a response.
    OfferCompensation {
        /// Pence.
        amount_pence: u64,
        /// What for.
        reason: String,
    },
    /// Record the resident's answer to an offer.
    AnswerCompensation {
        /// The offer's number.
        offer: u16,
        /// Accepted or declined.
        accepted: bool,
    },
    /// Record the payment of an accepted offer.
    PayCompensation {
        /// The offer's number.
        offer: u16,
        /// The finance system's reference.
        payment_reference: Option<String>,
    },
    /// Record an order of the Ombudsman's determination, to track to completion.
    OmbudsmanOrder {
        /// What was ordered.
        description: String,
        /// By when.
        due: NaiveDate,
        /// Who sees it done (staff email).
        owner: String,
    },
    /// Agree with the resident how often they are updated (see [`crate::updates`]).
    AgreeUpdateInterval {
        /// Working days between updates.
        working_days: u32,
    },
    /// Send the resident an update letter.
    SendUpdate {
        /// What they are told.
        message: String,
    },
    /// Give a promised action or Ombudsman order a new date, with the reason the resident is told.
    MoveAction {
        /// Its number on the case.
        action: u16,
        /// The new date.
        due: NaiveDate,
        /// Why.
        reason: String,
    },
    /// Record a restriction for unacceptable behaviour (see [`crate::restriction`]).
    RecordRestriction {
        /// Why.
        reason: String,
        /// What is restricted.
        restricted: String,
        /// When it is reviewed.
        review_on: NaiveDate,
    },
    /// Review the restriction in force: keep it until a new date, or lift it.
    ReviewRestriction {
        /// Kept or lifted.
        outcome: crate::restriction::ReviewOutcome,
        /// The next review, when kept.
        review_on: Option<NaiveDate>,
    },
    /// Add an internal note, or a correction of an earlier one.
    AddNote {
        /// What it says.
        text: String,
        /// The number of the note it corrects.
        corrects: Option<u64>,
    },
    /// Log something sent or said outside our letters.
    LogCorrespondence(crate::correspondence::NewCorrespondence),
    /// Record a file kept under `id` (checked by [`crate::attachment::check`] and stored first).
    AddAttachment {
        /// The id it is stored under.
        id: String,
        /// What the checks found.
        file: crate::attachment::CheckedFile,
    },
}
