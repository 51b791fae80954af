//! Deadlines of a case: what is due when, under the landlord's promise and the Code, with
//! extensions applied, and whether each was met, met late, breached, cancelled or expired.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::Case;
use crate::case::StageRecord;
use crate::london::london_date;
use crate::policy::{Anchor, Policy, StagePolicy, Timescale};

/// Which step of a stage a deadline belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeadlineStep {
    /// Acknowledge, define and log.
    Acknowledgement,
    /// The full response under the landlord's promise (drives alerts).
    Response,
    /// The full response under the Code's limit (used in reports).
    ResponseCode,
    /// The resident's window to ask for this stage (raises no alerts, never breached).
    RequestWindow,
    /// An action promised in a response, or an Ombudsman order, by its number on the case
    /// (see [`crate::casefile::TrackedAction`]); alerted to its owner until done.
    Action(u16),
    /// An update to the resident, due at the interval agreed with them (see
    /// [`crate::updates`]); reminded to the stage's handler on the day.
    Update,
    /// The review of the resident's reasonable adjustments (see [`crate::adjustments`]).
    AdjustmentReview,
    /// The review of a restriction for unacceptable behaviour (see [`crate::restriction`]).
    RestrictionReview,
}

impl DeadlineStep {
    /// True for the steps of the complaints procedure itself (acknowledgements, responses and
    /// the resident's windows), which the figures count; false for tracked actions.
    pub fn is_procedure_step(self) -> bool {
        !matches!(self, DeadlineStep::Action(_)) && !self.is_reminder()
    }

    /// True for the reminders that keep the case file up to date (an update to the resident,
    /// a review of adjustments or of a restriction): one alert on the day, never a breach,
    /// and never in the case's list of deadlines or the figures.
    pub fn is_reminder(self) -> bool {
        matches!(
            self,
            DeadlineStep::Update | DeadlineStep::AdjustmentReview | DeadlineStep::RestrictionReview
        )
    }
}

/// A deadline's kind: a stage and a step, written `stage1_response`, `stage2_request_window`…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeadlineKind {
    /// Stage number; for a request window, the stage being asked for.
    pub stage: u8,
    /// The step.
    pub step: DeadlineStep,
}

impl DeadlineKind {
    /// Shorthand constructor.
    pub const fn new(stage: u8, step: DeadlineStep) -> Self {
        DeadlineKind { stage, step }
    }

    /// True for deadlines the landlord owes and is alerted about.
    pub fn is_alerted(self) -> bool {
        matches!(
            self.step,
            DeadlineStep::Acknowledgement | DeadlineStep::Response | DeadlineStep::Action(_)
        ) || self.step.is_reminder()
    }

    /// Plain-English name for emails and pages: "Stage 1 response".
    pub fn label(self) -> String {
        let step = match self.step {
            DeadlineStep::Acknowledgement => "acknowledgement",
            DeadlineStep::Response => "response",
            DeadlineStep::ResponseCode => "response (Complaint Handling Code limit)",
            DeadlineStep::RequestWindow => "request window",
            DeadlineStep::Action(n) => {
                return format!("Action {n} (promised at Stage {})", self.stage)
            }
            DeadlineStep::Update => {
                return format!("Update to the resident (Stage {})", self.stage)
            }
            DeadlineStep::AdjustmentReview => {
                return "Review of the resident's reasonable adjustments".into()
            }
            DeadlineStep::RestrictionReview => {
                return "Review of the restriction on the resident's contact".into()
            }
        };
        format!("Stage {} {step}", self.stage)
    }
}

impl std::fmt::Display for DeadlineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let step = match self.step {
            DeadlineStep::Acknowledgement => "acknowledgement",
            DeadlineStep::Response => "response",
            DeadlineStep::ResponseCode => "response_code",
            DeadlineStep::RequestWindow => "request_window",
            DeadlineStep::Action(n) => return write!(f, "stage{}_action{n}", self.stage),
            DeadlineStep::Update => "update",
            DeadlineStep::AdjustmentReview => "adjustment_review",
            DeadlineStep::RestrictionReview => "restriction_review",
        };
        write!(f, "stage{}_{step}", self.stage)
    }
}

impl std::str::FromStr for DeadlineKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("unknown deadline kind `{s}`");
        let rest = s.strip_prefix("stage").ok_or_else(bad)?;
        let (num, step) = rest.split_once('_').ok_or_else(bad)?;
        let stage: u8 = num.parse().map_err(|_| bad())?;
        let step = match step {
            "acknowledgement" => DeadlineStep::Acknowledgement,
            "response" => DeadlineStep::Response,
            "response_code" => DeadlineStep::ResponseCode,
            "request_window" => DeadlineStep::RequestWindow,
            "update" => DeadlineStep::Update,
            "adjustment_review" => DeadlineStep::AdjustmentReview,
            "restriction_review" => DeadlineStep::RestrictionReview,
            other => match other.strip_prefix("action").map(str::parse::<u16>) {
                Some(Ok(n)) if n > 0 && !other.starts_with("action0") => DeadlineStep::Action(n),
                _ => return Err(bad()),
            },
        };
        if stage == 0 {
            return Err(bad());
        }
        Ok(DeadlineKind { stage, step })
    }
}

impl Serialize for DeadlineKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeadlineKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// Not yet met and not yet passed.
    Pending,
    /// Met on or before its due date.
    Met,
    /// Met after its due date (for the resident's window: asked late, still accepted).
    MetLate,
    /// Passed without being met.
    Breached,
    /// No longer owed: the stage was withdrawn or refused before it fell due.
    Cancelled,
    /// The resident's window passed without a request.
    Expired,
}

/// One deadline of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// What is due.
    pub kind: DeadlineKind,
    /// The London date it is due (met by an action at any time that day).
    pub due: NaiveDate,
    /// Where it stands.
    pub status: DeadlineStatus,
    /// When it was met, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_at: Option<DateTime<Utc>>,
    /// Working days added by extensions.
    #[serde(skip_serializing_if = "is_zero")]
    pub extended_by: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn status_of(
    met: Option<DateTime<Utc>>,
    due: NaiveDate,
    closed: Option<NaiveDate>,
    today: NaiveDate,
) -> DeadlineStatus {
    match met {
        Some(at) if london_date(at) <= due => DeadlineStatus::Met,
        Some(_) => DeadlineStatus::MetLate,
        None => match closed {
            Some(on) if on <= due => DeadlineStatus::Cancelled,
            Some(_) => DeadlineStatus::Breached,
            None if today > due => DeadlineStatus::Breached,
            None => DeadlineStatus::Pending,
        },
    }
}

/// The due date of one deadline of a stage the case has entered, with extensions applied.
pub fn due_date(
    case: &Case,
    policy: &Policy,
    calendar: &Calendar,
    stage: u8,
    step: DeadlineStep,
) -> Option<NaiveDate> {
    deadlines(case, policy, calendar, london_date(case.received_at))
        .into_iter()
        .find(|d| d.kind == DeadlineKind::new(stage, step))
        .map(|d| d.due)
}

/// The due date of a stage's response timescale `t` (the landlord's promise or the Code's),
/// with extensions applied. With `as_of`, only the acknowledgement and extensions dated on or
/// before that London date count: the deadline as it stood then (reports need that).
pub fn response_due(
    stage: &StageRecord,
    policy: &StagePolicy,
    t: Timescale,
    calendar: &Calendar,
    as_of: Option<NaiveDate>,
) -> NaiveDate {
    let counts = |d: NaiveDate| as_of.is_none_or(|a| d <= a);
    let start = stage.started_on();
    let anchor = match t.from {
        Anchor::StageStart => start,
        Anchor::Acknowledgement => stage
            .acknowledgement
            .as_ref()
            .map(|a| london_date(a.at))
            .filter(|d| counts(*d))
            .unwrap_or_else(|| {
                calendar.add_working_days(start, policy.acknowledgement.working_days)
            }),
    };
    let extended: u32 = stage
        .extensions
        .iter()
        .filter(|e| counts(london_date(e.at)))
        .map(|e| e.working_days)
        .sum();
    calendar.add_working_days(anchor, t.working_days + extended)
}

/// Every deadline of a case as it stands on `today` (a London date).
pub fn deadlines(
    case: &Case,
    policy: &Policy,
    calendar: &Calendar,
    today: NaiveDate,
) -> Vec<Deadline> {
    let mut out = Vec::with_capacity(8);
    let closed = case
        .withdrawal
        .as_ref()
        .map(|w| london_date(w.at))
        .or_else(|| case.refusal.as_ref().map(|r| london_date(r.at)));
    for (i, s) in case.stages.iter().enumerate() {
        let Some(sp) = policy.stage(s.number) else {
            continue;
        };
        let start = s.started_on();
        let ack_due = calendar.add_working_days(start, sp.acknowledgement.working_days);
        let ack_at = s.acknowledgement.as_ref().map(|a| a.at);
        out.push(Deadline {
            kind: DeadlineKind::new(s.number, DeadlineStep::Acknowledgement),
            due: ack_due,
            status: status_of(ack_at, ack_due, closed, today),
            met_at: ack_at,
            extended_by: 0,
        });
        let ext = s.extended_by();
        let resp_at = s.response.as_ref().map(|r| r.at);
        let mut push_response = |step, t: Timescale| {
            let due = response_due(s, sp, t, calendar, None);
            out.push(Deadline {
                kind: DeadlineKind::new(s.number, step),
                due,
                status: status_of(resp_at, due, closed, today),
                met_at: resp_at,
                extended_by: ext,
            });
        };
        push_response(DeadlineStep::Response, sp.response);
        if let Some(code) = sp.response_code {
            push_response(DeadlineStep::ResponseCode, code);
        }
        if let (Some(resp_at), Some(window)) = (resp_at, sp.next_stage_window_working_days) {
            let due = calendar.add_working_days(london_date(resp_at), window);
            let requested = case.stages.get(i + 1).map(|next| next.started_at);
            let status = match requested {
                Some(at) if london_date(at) <= due => DeadlineStatus::Met,
                Some(_) => DeadlineStatus::MetLate,
                None => match closed {
                    Some(on) if on <= due => DeadlineStatus::Cancelled,
                    _ if today > due => DeadlineStatus::Expired,
                    _ => DeadlineStatus::Pending,
                },
            };
            out.push(Deadline {
                kind: DeadlineKind::new(s.number + 1, DeadlineStep::RequestWindow),
                due,
                status,
                met_at: requested,
                extended_by: 0,
            });
        }
    }
    for a in &case.actions {
        let done = a.completed.as_ref().map(|c| c.at);
        out.push(Deadline {
            kind: DeadlineKind::new(a.stage, DeadlineStep::Action(a.number)),
            due: a.due,
            // Promised actions stand even if the resident later withdraws: never cancelled.
            status: status_of(done, a.due, None, today),
            met_at: done,
            extended_by: 0,
        });
    }
    out
}

/// The earliest unmet landlord deadline (pending or breached): what staff must act on next.
pub fn next_landlord_deadline(deadlines: &[Deadline]) -> Option<&Deadline> {
    deadlines
        .iter()
        .filter(|d| {
            matches!(
                d.kind.step,
                DeadlineStep::Acknowledgement | DeadlineStep::Response | DeadlineStep::ResponseCode
            )
        })
        .filter(|d| matches!(d.status, DeadlineStatus::Pending | DeadlineStatus::Breached))
        .min_by_key(|d| d.due)
}
