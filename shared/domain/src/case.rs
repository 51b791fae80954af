//! A complaint case and its lifecycle. State changes only through commands that check the
//! procedure's rules and return events; the case is the fold of those events.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::casefile::{
    ActionSource, CompensationOffer, Completion, ContactPreferences, PointsRevision, Reassignment,
    SupportNeeds, TrackedAction,
};
use crate::complaint::{ComplaintDetails, Representative};
use crate::deadline::{self, DeadlineStep};
use crate::decisions::{self, Completeness};
use crate::event::{
    CaseEvent, EventRecord, ExclusionGround, Outcome, RequestedThrough, StageResponse,
};
use crate::letter::{self, Correspondence, LetterRecord};
use crate::london::london_date;
use crate::policy::{Policy, Procedures};
use crate::validation::{self, ValidationErrors};

/// The rules a command is judged by: the procedures and the working-day calendar.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Every procedure the landlord runs.
    pub procedures: Procedures,
    /// Working days.
    pub calendar: Calendar,
    /// Letter templates and the landlord's details printed on letters.
    pub letters: Correspondence,
    /// How far back staff may date an action (see [`crate::backdating`]).
    pub backdate: crate::backdating::BackdateLimit,
    /// The default interval of updates to the resident (see [`crate::updates`]).
    pub updates: crate::updates::UpdateSettings,
}

impl Rules {
    /// The policy a case follows; a case always names a known procedure.
    pub fn policy_of(&self, case: &Case) -> Result<&Policy, CommandError> {
        self.procedures
            .get(&case.procedure)
            .ok_or_else(|| CommandError::UnknownProcedure(case.procedure.clone()))
    }
}

/// Who did something and when: every command carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Staff email, `resident` or `system`.
    pub by: String,
    /// When it really happened.
    pub at: DateTime<Utc>,
    /// The clock's now, when it is recorded.
    pub now: DateTime<Utc>,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The input breaks a rule; names the fields at fault.
    #[error("invalid: {0}")]
    Invalid(ValidationErrors),
    /// `at` lies in the future.
    #[error("`at` ({at}) is in the future")]
    InFuture {
        /// The instant given.
        at: DateTime<Utc>,
    },
    /// `at` lies before the case's previous event.
    #[error("`at` ({at}) is before the case's previous event ({previous})")]
    BeforePreviousEvent {
        /// The instant given.
        at: DateTime<Utc>,
        /// The previous event's instant.
        previous: DateTime<Utc>,
    },
    /// The caller's role does not include the one the command needs on the case as it stands
    /// (see [`crate::role`]).
    #[error("this needs the {} role; you have {}", needed.as_str(), role.as_str())]
    Forbidden {
        /// The role the command needs.
        needed: crate::role::Role,
        /// The caller's role.
        role: crate::role::Role,
    },
    /// The action is not valid in the case's current state (e.g. responding before acknowledging).
    #[error("{0}")]
    NotAllowed(String),
    /// The case names a procedure that is not configured.
    #[error("unknown procedure `{0}`")]
    UnknownProcedure(String),
    /// A letter the change must issue could not be written (a template fault that slipped
    /// past the checks at start): nothing is saved.
    #[error("the letter could not be written: {0}")]
    Letter(String),
}

impl CommandError {
    fn invalid(field: &str, message: impl Into<String>) -> Self {
        CommandError::Invalid(ValidationErrors::one(field, message))
    }
}

impl From<ValidationErrors> for CommandError {
    fn from(e: ValidationErrors) -> Self {
        CommandError::Invalid(e)
    }
}

/// The acknowledgement of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// When it was acknowledged.
    pub at: DateTime<Utc>,
    /// Who handles the stage (Investigating Manager or reviewer).
    pub handler: String,
    /// The complaint as defined.
    pub complaint_points: Vec<String>,
    /// What the landlord is responsible for in the complaint (Code 5.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_for: Option<String>,
    /// What the landlord is not responsible for, and who is (Code 5.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_responsible_for: Option<String>,
}

/// An extension of a stage's response deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// When it was agreed.
    pub at: DateTime<Utc>,
    /// Working days added.
    pub working_days: u32,
    /// Why.
    pub reason: String,
    /// Who recorded it.
    pub by: String,
}

/// A stage response as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedResponse {
    /// When it was issued.
    pub at: DateTime<Utc>,
    /// Who issued it.
    pub by: String,
    /// True for a first contact resolution.
    pub first_contact: bool,
    /// Its contents.
    #[serde(flatten)]
    pub response: StageResponse,
}

/// A request for this stage (stages after the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRequest {
    /// The resident's reason.
    pub reason: Option<String>,
    /// Asked after the window.
    pub late: bool,
    /// Through whom.
    pub through: RequestedThrough,
}

/// Everything that happened at one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRecord {
    /// Stage number, from 1.
    pub number: u8,
    /// Receipt (Stage 1) or request (later stages).
    pub started_at: DateTime<Utc>,
    /// The request, for stages after the first.
    pub request: Option<StageRequest>,
    /// The acknowledgement, once given.
    pub acknowledgement: Option<Acknowledgement>,
    /// Extensions in the order agreed.
    pub extensions: Vec<Extension>,
    /// The response, once issued.
    pub response: Option<IssuedResponse>,
    /// Revisions of the complaint's points after acknowledgement, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub point_revisions: Vec<PointsRevision>,
    /// Changes of handler, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reassignments: Vec<Reassignment>,
}

impl StageRecord {
    /// The London date the stage started (receipt or request date): day 0 of its timescales.
    pub fn started_on(&self) -> NaiveDate {
        london_date(self.started_at)
    }

    /// Working days added by every extension so far.
    pub fn extended_by(&self) -> u32 {
        self.extensions.iter().map(|e| e.working_days).sum()
    }
}

/// A refusal on an exclusion ground.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// When.
    pub at: DateTime<Utc>,
    /// At which stage.
    pub stage: u8,
    /// The ground.
    pub ground: ExclusionGround,
    /// What the resident was told.
    pub explanation: String,
}

/// A withdrawal by the resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// When.
    pub at: DateTime<Utc>,
    /// What the resident said.
    pub reason: Option<String>,
}

/// A record of the Housing Ombudsman's involvement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OmbudsmanRecord {
    /// `referred` or `determination`.
    pub event: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Details.
    pub detail: String,
}

/// Where a case stands, as residents and staff see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    /// Logged at Stage 1, not yet acknowledged.
    Received,
    /// Stage 1 acknowledged.
    Acknowledged,
    /// A stage responded; the resident may still ask for the next.
    Responded,
    /// A later stage asked for, not yet acknowledged.
    StageRequested(u8),
    /// A later stage acknowledged.
    StageAcknowledged(u8),
    /// All stages done, or the window to escalate expired without a request.
    Closed,
    /// Withdrawn by the resident.
    Withdrawn,
    /// Refused on an exclusion ground.
    Refused,
}

impl CaseStatus {
    /// The status name used by the API: `received`, `stage2_requested`, `closed`…
    pub fn name(self) -> String {
        match self {
            CaseStatus::Received => "received".into(),
            CaseStatus::Acknowledged => "acknowledged".into(),
            CaseStatus::Responded => "responded".into(),
            CaseStatus::StageRequested(n) => format!("stage{n}_requested"),
            CaseStatus::StageAcknowledged(n) => format!("stage{n}_acknowledged"),
            CaseStatus::Closed => "closed".into(),
            CaseStatus::Withdrawn => "withdrawn".into(),
            CaseStatus::Refused => "refused".into(),
        }
    }

    /// True while the landlord still owes the resident something at the current stage.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            CaseStatus::Closed | CaseStatus::Withdrawn | CaseStatus::Refused
        )
    }
}

/// A complaint case: its details and the fold of its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Human-friendly unique reference, e.g. `CMP-2026-00042`.
    pub reference: String,
    /// Grows by one with every event; used for optimistic concurrency (ETag / If-Match).
    pub version: u64,
    /// The procedure followed.
    pub procedure: String,
    /// What the complaint says and who made it.
    pub complaint: ComplaintDetails,
    /// When it reached the landlord.
    pub received_at: DateTime<Utc>,
    /// A linked service request.
    pub service_request: Option<String>,
    /// SHA-256 of the resident's access code.
    pub access_code_hash: Option<String>,
    /// Stages entered so far, Stage 1 first.
    pub stages: Vec<StageRecord>,
    /// Set when withdrawn.
    pub withdrawal: Option<Withdrawal>,
    /// Set when refused.
    pub refusal: Option<Refusal>,
    /// Housing Ombudsman referral and determination.
    pub ombudsman: Vec<OmbudsmanRecord>,
    /// How the resident wants to hear from the landlord.
    #[serde(default)]
    pub contact: ContactPreferences,
    /// Vulnerabilities and reasonable adjustments, recorded with consent.
    #[serde(default)]
    pub needs: Option<SupportNeeds>,
    /// Actions promised in responses and Ombudsman orders, tracked until done.
    #[serde(default)]
    pub actions: Vec<TrackedAction>,
    /// Compensation offered, accepted and paid.
    #[serde(default)]
    pub compensation: Vec<CompensationOffer>,
    /// The letters issued (each letter's text is in its history event).
    #[serde(default)]
    pub letters: Vec<LetterRecord>,
    /// Internal notes, oldest first (never shown to the resident).
    #[serde(default)]
    pub notes: Vec<crate::note::CaseNote>,
    /// What was sent or said outside our letters, in the order logged.
    #[serde(default)]
    pub correspondence: Vec<crate::correspondence::CorrespondenceEntry>,
    /// Files kept with the case, in the order added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::attachment::Attachment>,
    /// The interval of updates agreed with the resident, in working days (see
    /// [`crate::updates`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_interval: Option<u32>,
    /// A restriction for unacceptable behaviour, in force or lifted (see
    /// [`crate::restriction`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<crate::restriction::Restriction>,
    /// Every event, in order.
    pub history: Vec<EventRecord>,
}

/// A complaint to log: its details, when it was received and how it was handled at first contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// The procedure to follow.
    pub procedure: String,
    /// What the complaint says.
    pub complaint: ComplaintDetails,
    /// A linked service request.
    pub service_request: Option<String>,
    /// SHA-256 of the access code given to the resident.
    pub access_code_hash: Option<String>,
    /// Set when resolved at first contact with the resident's agreement.
    pub first_contact_resolution: Option<FirstContactResolution>,
}

/// A resolution agreed with the resident at first contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstContactResolution {
    /// The decision (upheld unless the officer says otherwise).
    pub outcome: Outcome,
    /// What was agreed.
    pub summary: String,
}

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

pub(crate) fn check_at(actor: &Actor, previous: Option<DateTime<Utc>>) -> Result<(), CommandError> {
    if actor.at > actor.now {
        return Err(CommandError::InFuture { at: actor.at });
    }
    if let Some(previous) = previous {
        if actor.at < previous {
            return Err(CommandError::BeforePreviousEvent {
                at: actor.at,
                previous,
            });
        }
    }
    Ok(())
}

pub(crate) fn record(
    sequence: u64,
    actor: &Actor,
    event: CaseEvent,
    calendar: &Calendar,
) -> EventRecord {
    EventRecord {
        sequence,
        at: actor.at,
        recorded_at: actor.now,
        by: actor.by.clone(),
        event,
        imported: false,
        recorded_late: crate::backdating::recorded_late(actor.at, actor.now, calendar),
        backdate_reason: None,
    }
}

impl Case {
    /// Logs a new complaint at Stage 1; `actor.at` is when it was received.
    pub fn open(
        reference: &str,
        new: NewCase,
        actor: &Actor,
        rules: &Rules,
    ) -> Result<Case, CommandError> {
        check_at(actor, None)?;
        if rules.procedures.get(&new.procedure).is_none() {
            return Err(CommandError::invalid(
                "procedure",
                format!("unknown procedure `{}`", new.procedure),
            ));
        }
        let mut events = vec![CaseEvent::Received {
            procedure: new.procedure,
            complaint: new.complaint,
            service_request: new.service_request,
            access_code_hash: new.access_code_hash,
        }];
        if let Some(fcr) = new.first_contact_resolution {
            if fcr.summary.trim().is_empty() {
                return Err(CommandError::invalid(
                    "resolution_summary",
                    "Enter what was agreed with the resident",
                ));
            }
            events.push(CaseEvent::ResolvedAtFirstContact {
                outcome: fcr.outcome,
                summary: fcr.summary,
            });
        }
        let mut case = Case::empty(reference);
        let mut records = Vec::with_capacity(events.len());
        for (i, e) in events.into_iter().enumerate() {
            let rec = record(i as u64 + 1, actor, e, &rules.calendar);
            case.apply(rec.clone());
            records.push(rec);
        }
        case.issue_letters(&records, actor, rules)?;
        Ok(case)
    }

    /// Appends the letters the new events call for (see [`letter::issue`]).
    fn issue_letters(
        &mut self,
        new_events: &[EventRecord],
        actor: &Actor,
        rules: &Rules,
    ) -> Result<Vec<EventRecord>, CommandError> {
        let letters = letter::issue(self, new_events, rules, actor.now)
            .map_err(|e| CommandError::Letter(e.to_string()))?;
        let mut out = Vec::with_capacity(letters.len());
        for l in letters {
            let rec = record(
                self.version + 1,
                actor,
                CaseEvent::LetterIssued { letter: l },
                &rules.calendar,
            );
            self.apply(rec.clone());
            out.push(rec);
        }
        Ok(out)
    }

    pub(crate) fn empty(reference: &str) -> Case {
        Case {
            reference: reference.into(),
            version: 0,
            procedure: String::new(),
            complaint: ComplaintDetails {
                resident: Default::default(),
                representative: None,
                channel: crate::complaint::Channel::Web,
                category: None,
                description: String::new(),
                desired_outcome: None,
                tenure: Default::default(),
            },
            received_at: DateTime::<Utc>::MIN_UTC,
            service_request: None,
            access_code_hash: None,
            stages: Vec::new(),
            withdrawal: None,
            refusal: None,
            ombudsman: Vec::new(),
            contact: ContactPreferences::default(),
            needs: None,
            actions: Vec::new(),
            compensation: Vec::new(),
            letters: Vec::new(),
            notes: Vec::new(),
            correspondence: Vec::new(),
            attachments: Vec::new(),
            update_interval: None,
            restriction: None,
            history: Vec::new(),
        }
    }

    /// Rebuilds a case from its stored history.
    pub fn from_history(reference: &str, history: Vec<EventRecord>) -> Case {
        let mut case = Case::empty(reference);
        for e in history {
            case.apply(e);
        }
        case
    }

    /// The London date the complaint was received: day 0 of Stage 1.
    pub fn received_on(&self) -> NaiveDate {
        london_date(self.received_at)
    }

    /// The stage the case is at now.
    pub fn current_stage(&self) -> &StageRecord {
        self.stages.last().expect("a case always has Stage 1")
    }

    /// A stage's record, if entered.
    pub fn stage(&self, number: u8) -> Option<&StageRecord> {
        self.stages.get(usize::from(number).checked_sub(1)?)
    }

    /// The Stage 1 Investigating Manager: the case owner.
    pub fn owner(&self) -> Option<&str> {
        self.stage(1)?
            .acknowledgement
            .as_ref()
            .map(|a| a.handler.as_str())
    }

    /// The current later-stage reviewer, if any.
    pub fn reviewer(&self) -> Option<&str> {
        let s = self.current_stage();
        if s.number < 2 {
            return None;
        }
        s.acknowledgement.as_ref().map(|a| a.handler.as_str())
    }

    /// Who answers for the current stage: its handler, once named.
    pub fn current_handler(&self) -> Option<&str> {
        self.current_stage()
            .acknowledgement
            .as_ref()
            .map(|a| a.handler.as_str())
    }

    /// True when a first contact resolution closed Stage 1.
    pub fn resolved_at_first_contact(&self) -> bool {
        self.stage(1)
            .and_then(|s| s.response.as_ref())
            .is_some_and(|r| r.first_contact)
    }

    /// Folds one event into the case.
    pub fn apply(&mut self, rec: EventRecord) {
        let at = rec.at;
        match &rec.event {
            CaseEvent::Received {
                procedure,
                complaint,
                service_request,
                access_code_hash,
            } => {
                self.procedure = procedure.clone();
                self.complaint = complaint.clone();
                self.received_at = at;
                self.service_request = service_request.clone();
                self.access_code_hash = access_code_hash.clone();
                self.stages = vec![StageRecord {
                    number: 1,
                    started_at: at,
                    request: None,
                    acknowledgement: None,
                    extensions: Vec::new(),
                    response: None,
                    point_revisions: Vec::new(),
                    reassignments: Vec::new(),
                }];
            }
            CaseEvent::ResolvedAtFirstContact { outcome, summary } => {
                if let Some(s) = self.stages.first_mut() {
                    s.acknowledgement = Some(Acknowledgement {
                        at,
                        handler: rec.by.clone(),
                        complaint_points: Vec::new(),
                        responsible_for: None,
                        not_responsible_for: None,
                    });
                    s.response = Some(IssuedResponse {
                        at,
                        by: rec.by.clone(),
                        first_contact: true,
                        response: StageResponse {
                            outcome: *outcome,
                            summary: summary.clone(),
                            remedy: None,
                            point_decisions: Vec::new(),
                            actions: Vec::new(),
                            compensation_pence: None,
                            learning: None,
                        },
                    });
                }
            }
            CaseEvent::Acknowledged {
                stage,
                handler,
                complaint_points,
                responsible_for,
                not_responsible_for,
            } => {
                if let Some(s) = self.stage_mut(*stage) {
                    s.acknowledgement = Some(Acknowledgement {
                        at,
                        handler: handler.clone(),
                        complaint_points: complaint_points.clone(),
                        responsible_for: responsible_for.clone(),
                        not_responsible_for: not_responsible_for.clone(),
                    });
                }
            }
            CaseEvent::Extended {
                stage,
                working_days,
                reason,
            } => {
                let by = rec.by.clone();
                if let Some(s) = self.stage_mut(*stage) {
                    s.extensions.push(Extension {
                        at,
                        working_days: *working_days,
                        reason: reason.clone(),
                        by,
                    });
                }
            }
            CaseEvent::Responded { stage, response } => {
                let by = rec.by.clone();
                for a in &response.actions {
                    let number = self.actions.len() as u16 + 1;
                    self.actions.push(TrackedAction {
                        number,
                        source: ActionSource::Response { stage: *stage },
                        description: a.description.clone(),
                        owner: a.owner.clone().unwrap_or_else(|| by.clone()),
                        due: a.due,
                        promised_at: at,
                        stage: *stage,
                        completed: None,
                    });
                }
                if let Some(pence) = response.compensation_pence.filter(|p| *p > 0) {
                    let number = self.compensation.len() as u16 + 1;
                    self.compensation.push(CompensationOffer {
                        number,
                        amount_pence: pence,
                        reason: format!("Offered in the Stage {stage} response"),
                        offered_at: at,
                        stage: Some(*stage),
                        answer: None,
                        paid: None,
                    });
                }
                if let Some(s) = self.stage_mut(*stage) {
                    s.response = Some(IssuedResponse {
                        at,
                        by,
                        first_contact: false,
                        response: response.clone(),
                    });
                }
            }
            CaseEvent::EscalationRequested {
                stage,
                reason,
                late,
                through,
            } => {
                self.stages.push(StageRecord {
                    number: *stage,
                    started_at: at,
                    request: Some(StageRequest {
                        reason: reason.clone(),
                        late: *late,
                        through: *through,
                    }),
                    acknowledgement: None,
                    extensions: Vec::new(),
                    response: None,
                    point_revisions: Vec::new(),
                    reassignments: Vec::new(),
                });
            }
            CaseEvent::Refused {
                stage,
                ground,
                explanation,
            } => {
                self.refusal = Some(Refusal {
                    at,
                    stage: *stage,
                    ground: *ground,
                    explanation: explanation.clone(),
                });
            }
            CaseEvent::Withdrawn { reason } => {
                self.withdrawal = Some(Withdrawal {
                    at,
                    reason: reason.clone(),
                });
            }
            CaseEvent::OmbudsmanReferred { detail } => {
                self.ombudsman.push(OmbudsmanRecord {
                    event: "referred".into(),
                    at,
                    detail: detail.clone(),
                });
            }
            CaseEvent::OmbudsmanDetermination { detail } => {
                self.ombudsman.push(OmbudsmanRecord {
                    event: "determination".into(),
                    at,
                    detail: detail.clone(),
                });
            }
            CaseEvent::PointsRevised {
                stage,
                complaint_points,
                reason,
            } => {
                let by = rec.by.clone();
                if let Some(s) = self.stage_mut(*stage) {
                    if let Some(ack) = s.acknowledgement.as_mut() {
                        let before =
                            std::mem::replace(&mut ack.complaint_points, complaint_points.clone());
                        s.point_revisions.push(PointsRevision {
                            at,
                            by,
                            before,
                            reason: reason.clone(),
                        });
                    }
                }
            }
            CaseEvent::Reassigned {
                stage,
                handler,
                reason,
            } => {
                let by = rec.by.clone();
                if let Some(s) = self.stage_mut(*stage) {
                    if let Some(ack) = s.acknowledgement.as_mut() {
                        let from = std::mem::replace(&mut ack.handler, handler.clone());
                        s.reassignments.push(Reassignment {
                            at,
                            by,
                            from,
                            to: handler.clone(),
                            reason: reason.clone(),
                        });
                    }
                }
            }
            CaseEvent::NeedsRecorded { needs } => self.needs = Some(needs.clone()),
            CaseEvent::ContactPreferencesSet { preferences } => {
                self.contact = preferences.clone();
            }
            CaseEvent::RepresentativeSet { representative } => {
                self.complaint.representative = representative.clone();
            }
            CaseEvent::ActionCompleted { action, note } => {
                let by = rec.by.clone();
                if let Some(a) = self.actions.iter_mut().find(|a| a.number == *action) {
                    a.completed = Some(Completion {
                        at,
                        by,
                        note: note.clone(),
                    });
                }
            }
            CaseEvent::CompensationOffered {
                amount_pence,
                reason,
            } => {
                let number = self.compensation.len() as u16 + 1;
                self.compensation.push(CompensationOffer {
                    number,
                    amount_pence: *amount_pence,
                    reason: reason.clone(),
                    offered_at: at,
                    stage: None,
                    answer: None,
                    paid: None,
                });
            }
            CaseEvent::CompensationAnswered { offer, accepted } => {
                if let Some(o) = self.compensation.iter_mut().find(|o| o.number == *offer) {
                    o.answer = Some((at, *accepted));
                }
            }
            CaseEvent::CompensationPaid {
                offer,
                payment_reference,
            } => {
                if let Some(o) = self.compensation.iter_mut().find(|o| o.number == *offer) {
                    o.paid = Some((at, payment_reference.clone()));
                }
            }
            CaseEvent::OmbudsmanOrdered {
                description,
                due,
                owner,
            } => {
                let number = self.actions.len() as u16 + 1;
                let stage = self.current_stage().number;
                self.actions.push(TrackedAction {
                    number,
                    source: ActionSource::OmbudsmanOrder,
                    description: description.clone(),
                    owner: owner.clone(),
                    due: *due,
                    promised_at: at,
                    stage,
                    completed: None,
                });
            }
            CaseEvent::LetterIssued { letter } => {
                self.letters.push(LetterRecord {
                    number: letter.number,
                    kind: letter.kind,
                    stage: letter.stage,
                    issued_at: rec.recorded_at,
                    subject: letter.subject.clone(),
                    to: letter.to.clone(),
                });
            }
            // The earlier events were rewritten without the personal data; nothing else moves.
            CaseEvent::Anonymised { .. } => {}
            e @ CaseEvent::NoteAdded { .. } => {
                crate::note::apply(self, rec.sequence, at, &rec.by, e);
            }
            e @ CaseEvent::CorrespondenceLogged { .. } => {
                crate::correspondence::apply(self, rec.sequence, (at, rec.recorded_at), &rec.by, e);
            }
            e @ CaseEvent::AttachmentAdded { .. } => {
                crate::attachment::apply(self, rec.sequence, at, &rec.by, e);
            }
            e @ (CaseEvent::UpdateIntervalAgreed { .. }
            | CaseEvent::UpdateGiven { .. }
            | CaseEvent::ActionMoved { .. }) => crate::updates::apply(self, e),
            e @ (CaseEvent::RestrictionRecorded { .. } | CaseEvent::RestrictionReviewed { .. }) => {
                crate::restriction::apply(self, at, &rec.by, e)
            }
        }
        self.version = rec.sequence;
        self.history.push(rec);
    }

    fn stage_mut(&mut self, number: u8) -> Option<&mut StageRecord> {
        self.stages.get_mut(usize::from(number).checked_sub(1)?)
    }

    /// Where the case stands on a London date (the escalation window closes with time).
    pub fn status(&self, policy: &Policy, calendar: &Calendar, today: NaiveDate) -> CaseStatus {
        if self.withdrawal.is_some() {
            return CaseStatus::Withdrawn;
        }
        if self.refusal.is_some() {
            return CaseStatus::Refused;
        }
        let s = self.current_stage();
        match (&s.response, &s.acknowledgement, s.number) {
            (None, None, 1) => CaseStatus::Received,
            (None, Some(_), 1) => CaseStatus::Acknowledged,
            (None, None, n) => CaseStatus::StageRequested(n),
            (None, Some(_), n) => CaseStatus::StageAcknowledged(n),
            (Some(r), _, n) => {
                if n >= policy.last_stage() {
                    return CaseStatus::Closed;
                }
                let window = policy
                    .stage(n)
                    .and_then(|p| p.next_stage_window_working_days)
                    .unwrap_or(0);
                let closes = calendar.add_working_days(london_date(r.at), window);
                if today > closes {
                    CaseStatus::Closed
                } else {
                    CaseStatus::Responded
                }
            }
        }
    }

    /// Checks a command against the case and the rules and returns the resulting case and the
    /// new events to persist; the case itself is unchanged.
    pub fn execute(
        &self,
        command: Command,
        actor: &Actor,
        rules: &Rules,
    ) -> Result<(Case, Vec<EventRecord>), CommandError> {
        let events = self.decide(command, actor, rules)?;
        let mut next = self.clone();
        let mut records = Vec::with_capacity(events.len());
        for event in events {
            let rec = record(next.version + 1, actor, event, &rules.calendar);
            next.apply(rec.clone());
            records.push(rec);
        }
        let letters = next.issue_letters(&records, actor, rules)?;
        records.extend(letters);
        Ok((next, records))
    }

    pub(crate) fn ensure_active(&self, what: &str) -> Result<(), CommandError> {
        if self.withdrawal.is_some() {
            return Err(CommandError::NotAllowed(format!(
                "cannot {what}: the complaint was withdrawn"
            )));
        }
        if self.refusal.is_some() {
            return Err(CommandError::NotAllowed(format!(
                "cannot {what}: the complaint was refused"
            )));
        }
        Ok(())
    }

    /// People who handled or answered an earlier stage: they may not review a later one.
    pub(crate) fn earlier_stage_people(&self, before: u8) -> Vec<&str> {
        self.stages
            .iter()
            .filter(|s| s.number < before)
            .flat_map(|s| {
                s.acknowledgement
                    .iter()
                    .map(|a| a.handler.as_str())
                    .chain(s.response.iter().map(|r| r.by.as_str()))
            })
            .collect()
    }

    pub(crate) fn decide(
        &self,
        command: Command,
        actor: &Actor,
        rules: &Rules,
    ) -> Result<Vec<CaseEvent>, CommandError> {
        self.decide_with(command, actor, rules, Completeness::Required)
    }

    /// [`Case::decide`] for a history imported from the previous system: every rule but the
    /// complete-complaint ones applies, as the old system recorded no points or decisions.
    pub(crate) fn decide_as_recorded(
        &self,
        command: Command,
        actor: &Actor,
        rules: &Rules,
    ) -> Result<Vec<CaseEvent>, CommandError> {
        self.decide_with(command, actor, rules, Completeness::AsRecorded)
    }

    fn decide_with(
        &self,
        command: Command,
        actor: &Actor,
        rules: &Rules,
        completeness: Completeness,
    ) -> Result<Vec<CaseEvent>, CommandError> {
        check_at(actor, self.history.last().map(|e| e.at))?;
        let policy = rules.policy_of(self)?;
        let stage = self.current_stage();
        let n = stage.number;
        let command = match command {
            Command::RequestStage {
                stage: wanted,
                reason,
                through,
            } => {
                crate::stage_request::check_wanted(self, policy, wanted)?;
                Command::RequestNextStage { reason, through }
            }
            other => other,
        };
        match command {
            Command::Acknowledge {
                investigating_manager,
                reviewer,
                complaint_points,
                responsible_for,
                not_responsible_for,
            } => {
                self.ensure_active("acknowledge")?;
                if stage.acknowledgement.is_some() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} is already acknowledged"
                    )));
                }
                let (field, handler) = if n == 1 {
                    ("investigating_manager", investigating_manager)
                } else {
                    ("reviewer", reviewer)
                };
                let handler = validation::clean(handler).map(|h| h.to_ascii_lowercase());
                let Some(handler) = handler else {
                    return Err(CommandError::invalid(
                        field,
                        if n == 1 {
                            "Name the Investigating Manager (staff email)"
                        } else {
                            "Name the reviewer (staff email)"
                        },
                    ));
                };
                if !validation::is_email(&handler) {
                    return Err(CommandError::invalid(
                        field,
                        "must be a staff email address",
                    ));
                }
                if n > 1
                    && self
                        .earlier_stage_people(n)
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&handler))
                {
                    return Err(CommandError::invalid(
                        field,
                        "the reviewer must be a different person from the Stage 1 Investigating Manager and from whoever issued the Stage 1 response",
                    ));
                }
                let mut e = ValidationErrors::new();
                let points = match completeness {
                    Completeness::Required => decisions::check_points(complaint_points, &mut e),
                    Completeness::AsRecorded => complaint_points,
                };
                let responsible_for =
                    decisions::check_responsibility("responsible_for", responsible_for, &mut e);
                let not_responsible_for = decisions::check_responsibility(
                    "not_responsible_for",
                    not_responsible_for,
                    &mut e,
                );
                e.into_result()?;
                Ok(vec![CaseEvent::Acknowledged {
                    stage: n,
                    handler,
                    complaint_points: points,
                    responsible_for,
                    not_responsible_for,
                }])
            }
            Command::Extend {
                working_days,
                reason,
            } => {
                self.ensure_active("extend")?;
                if stage.response.is_some() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} has already been responded to"
                    )));
                }
                let mut e = ValidationErrors::new();
                let reason = reason.trim().to_string();
                e.require_text(
                    "reason",
                    Some(&reason),
                    2_000,
                    "the reason for the extension",
                );
                let limit = policy
                    .stage(n)
                    .map(|p| p.max_extension_working_days)
                    .unwrap_or(0);
                let used = stage.extended_by();
                if working_days == 0 {
                    e.add("working_days", "must be at least 1");
                } else if used.saturating_add(working_days) > limit {
                    e.add(
                        "working_days",
                        format!("Stage {n} may be extended by at most {limit} working days in all; {used} already used"),
                    );
                }
                e.into_result()?;
                let due =
                    deadline::due_date(self, policy, &rules.calendar, n, DeadlineStep::Response);
                if let Some(due) = due {
                    if london_date(actor.at) > due {
                        return Err(CommandError::NotAllowed(format!(
                            "an extension must be agreed before the deadline it extends ({due}) has passed"
                        )));
                    }
                }
                Ok(vec![CaseEvent::Extended {
                    stage: n,
                    working_days,
                    reason,
                }])
            }
            Command::Respond {
                stage: asked,
                response,
            } => {
                self.ensure_active("respond")?;
                crate::stage_request::check_exists(policy, asked)?;
                if asked != n {
                    return Err(CommandError::NotAllowed(format!(
                        "the case is at Stage {n}, not Stage {asked}"
                    )));
                }
                if stage.response.is_some() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} has already been responded to"
                    )));
                }
                if stage.acknowledgement.is_none() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} must be acknowledged before it is responded to"
                    )));
                }
                if n > 1
                    && self
                        .earlier_stage_people(n)
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&actor.by))
                {
                    return Err(CommandError::NotAllowed(
                        "a later stage must be answered by someone who did not handle or answer an earlier stage".into(),
                    ));
                }
                let points = match completeness {
                    Completeness::Required => stage
                        .acknowledgement
                        .as_ref()
                        .map(|a| a.complaint_points.as_slice())
                        .unwrap_or_default(),
                    Completeness::AsRecorded => &[],
                };
                let response = check_response(response, points)?;
                Ok(vec![CaseEvent::Responded { stage: n, response }])
            }
            Command::RequestNextStage { reason, through } => {
                self.ensure_active("escalate")?;
                let Some(issued) = &stage.response else {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} has not been responded to yet"
                    )));
                };
                if n >= policy.last_stage() {
                    return Err(CommandError::NotAllowed(
                        "all stages are complete: the resident can refer the complaint to the Housing Ombudsman".into(),
                    ));
                }
                let reason = validation::clean(reason);
                let mut e = ValidationErrors::new();
                e.check_len("reason", reason.as_deref(), 5_000);
                e.into_result()?;
                let window = policy
                    .stage(n)
                    .and_then(|p| p.next_stage_window_working_days)
                    .unwrap_or(0);
                let closes = rules
                    .calendar
                    .add_working_days(london_date(issued.at), window);
                let late = london_date(actor.at) > closes;
                Ok(vec![CaseEvent::EscalationRequested {
                    stage: n + 1,
                    reason,
                    late,
                    through,
                }])
            }
            Command::Refuse {
                ground,
                explanation,
            } => {
                self.ensure_active("refuse")?;
                if stage.response.is_some() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} has been responded to; there is nothing to refuse"
                    )));
                }
                let mut e = ValidationErrors::new();
                e.require_text(
                    "explanation",
                    Some(&explanation),
                    5_000,
                    "the explanation given to the resident",
                );
                e.into_result()?;
                Ok(vec![CaseEvent::Refused {
                    stage: n,
                    ground,
                    explanation: explanation.trim().into(),
                }])
            }
            Command::Withdraw { reason } => {
                self.ensure_active("withdraw")?;
                let today = london_date(actor.at);
                if self.status(policy, &rules.calendar, today) == CaseStatus::Closed {
                    return Err(CommandError::NotAllowed(
                        "the complaint is already closed".into(),
                    ));
                }
                let reason = validation::clean(reason);
                let mut e = ValidationErrors::new();
                e.check_len("reason", reason.as_deref(), 5_000);
                e.into_result()?;
                Ok(vec![CaseEvent::Withdrawn { reason }])
            }
            Command::Ombudsman {
                determination,
                detail,
            } => {
                let mut e = ValidationErrors::new();
                e.require_text("detail", Some(&detail), 10_000, "the details");
                e.into_result()?;
                let referred = self.ombudsman.iter().any(|o| o.event == "referred");
                let detail = detail.trim().to_string();
                if determination {
                    if !referred {
                        return Err(CommandError::NotAllowed(
                            "record the referral to the Ombudsman before its determination".into(),
                        ));
                    }
                    if self.ombudsman.iter().any(|o| o.event == "determination") {
                        return Err(CommandError::NotAllowed(
                            "the Ombudsman's determination is already recorded".into(),
                        ));
                    }
                    Ok(vec![CaseEvent::OmbudsmanDetermination { detail }])
                } else {
                    if referred {
                        return Err(CommandError::NotAllowed(
                            "the referral to the Ombudsman is already recorded".into(),
                        ));
                    }
                    Ok(vec![CaseEvent::OmbudsmanReferred { detail }])
                }
            }
            Command::AddNote { text, corrects } => crate::note::add(self, text, corrects),
            Command::LogCorrespondence(new) => crate::correspondence::log(self, new),
            Command::AddAttachment { id, file } => {
                crate::attachment::add(self, id, file, &actor.by)
            }
            c @ (Command::AgreeUpdateInterval { .. }
            | Command::SendUpdate { .. }
            | Command::MoveAction { .. }) => crate::updates::decide(self, c, actor),
            c @ (Command::RecordRestriction { .. } | Command::ReviewRestriction { .. }) => {
                crate::restriction::decide(self, c, actor)
            }
            other => crate::casefile::decide(self, other, actor),
        }
    }
}

/// A response's contents, checked against the stage's points as they now stand (see
/// [`decisions::check_every_point_decided`]).
fn check_response(r: StageResponse, points: &[String]) -> Result<StageResponse, CommandError> {
    let mut e = ValidationErrors::new();
    decisions::check_every_point_decided(points, &r, &mut e);
    let summary = r.summary.trim().to_string();
    e.require_text(
        "summary",
        Some(&summary),
        20_000,
        "the response: the decision and the reasons for it",
    );
    let remedy = validation::clean(r.remedy);
    e.check_len("remedy", remedy.as_deref(), 5_000);
    if r.point_decisions.len() > 50 {
        e.add("point_decisions", "at most 50 points");
    }
    for (i, p) in r.point_decisions.iter().enumerate() {
        if p.point.trim().is_empty() {
            e.add(&format!("point_decisions[{i}].point"), "must not be blank");
        }
        e.check_len(
            &format!("point_decisions[{i}].point"),
            Some(&p.point),
            2_000,
        );
        e.check_len(
            &format!("point_decisions[{i}].reason"),
            p.reason.as_deref(),
            5_000,
        );
    }
    if r.actions.len() > 50 {
        e.add("actions", "at most 50 actions");
    }
    for (i, a) in r.actions.iter().enumerate() {
        if a.description.trim().is_empty() {
            e.add(&format!("actions[{i}].description"), "must not be blank");
        }
        e.check_len(
            &format!("actions[{i}].description"),
            Some(&a.description),
            2_000,
        );
        if let Some(owner) = &a.owner {
            if !validation::is_email(owner.trim()) {
                e.add(
                    &format!("actions[{i}].owner"),
                    "must be a staff email address",
                );
            }
        }
    }
    if r.compensation_pence
        .is_some_and(|p| p > crate::casefile::MAX_COMPENSATION_PENCE)
    {
        e.add(
            "compensation_pence",
            "must be at most 10,000,000 pence (£100,000)",
        );
    }
    let learning = validation::clean(r.learning);
    e.check_len("learning", learning.as_deref(), 5_000);
    if learning
        .as_deref()
        .is_some_and(validation::has_control_chars)
    {
        e.add("learning", "must not contain control characters");
    }
    e.into_result()?;
    let actions = r
        .actions
        .into_iter()
        .map(|a| crate::event::PromisedAction {
            owner: a.owner.map(|o| o.trim().to_ascii_lowercase()),
            description: a.description.trim().to_string(),
            ..a
        })
        .collect();
    Ok(StageResponse {
        summary,
        remedy,
        actions,
        learning,
        ..r
    })
}
