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

mod command;
mod decide;
mod fold;

pub use command::Command;

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
}
