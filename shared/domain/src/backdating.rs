//! When it happened vs when it was recorded. Staff may date an action (`at`) earlier than the
//! moment it is recorded by at most a configured number of working days (default 2), never
//! before the case's previous event; further back only a senior manager may go, with a reason
//! kept on the events. An event recorded more than one working day after it happened is
//! *recorded late*, wherever it is shown and in the monthly figures, and an extension counts as
//! made in time only if it was recorded before the deadline it extends. Working days are
//! counted on London dates with the service's calendar, as deadlines are. A complaint's receipt
//! date is not limited (an earlier receipt only brings its deadlines forward), and an import
//! writes the previous system's dates as they were (its events say they were imported).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use crate::calendar::Calendar;
use crate::case::{Actor, Case, Command, CommandError, Rules};
use crate::deadline::{self, DeadlineStep};
use crate::event::{CaseEvent, EventRecord};
use crate::london::london_date;
use crate::role::Role;
use crate::validation::ValidationErrors;

/// The default of `[records] backdate_working_days`.
pub const DEFAULT_BACKDATE_WORKING_DAYS: u32 = 2;

/// The most working days a host may allow (about four years): a limit beyond it is a
/// mistake in the configuration.
pub const MAX_BACKDATE_WORKING_DAYS: u32 = 1_000;

/// The longest reason for going further back, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;

/// How far back staff other than senior managers may date an action, in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackdateLimit {
    /// Working days between the London date it happened and the London date it is recorded.
    pub working_days: u32,
}

impl Default for BackdateLimit {
    fn default() -> Self {
        BackdateLimit {
            working_days: DEFAULT_BACKDATE_WORKING_DAYS,
        }
    }
}

/// Working days from the London date of `at` to that of `recorded_at` (0 the same day, or on
/// the next day when that is not a working day).
pub fn working_days_back(
    at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    calendar: &Calendar,
) -> i64 {
    calendar.working_days_between(london_date(at), london_date(recorded_at))
}

/// True when an event was recorded more than one working day after it happened.
pub fn recorded_late(at: DateTime<Utc>, recorded_at: DateTime<Utc>, calendar: &Calendar) -> bool {
    working_days_back(at, recorded_at, calendar) > 1
}

/// The England and Wales calendar, for events stored before `recorded_late` was kept with
/// them: they are judged on read as they would have been when recorded.
pub(crate) fn stored_calendar() -> &'static Calendar {
    static CALENDAR: LazyLock<Calendar> = LazyLock::new(Calendar::default);
    &CALENDAR
}

/// Checks a member of staff's `at` and, for an extension, when it is recorded: refuses an
/// action dated further back than `rules.backdate` unless a senior manager gives `reason`
/// (422 naming `at`, and `backdate_reason` when it is missing), and an extension recorded after
/// the deadline it extends has passed, whatever its `at`.
pub fn check(
    case: &Case,
    command: &Command,
    actor: &Actor,
    role: Role,
    reason: Option<&str>,
    rules: &Rules,
) -> Result<(), CommandError> {
    let mut e = ValidationErrors::new();
    e.check_len("backdate_reason", reason, MAX_REASON_CHARS);
    e.into_result()?;
    let back = working_days_back(actor.at, actor.now, &rules.calendar);
    let limit = rules.backdate.working_days;
    if back > i64::from(limit) {
        let mut e = ValidationErrors::new();
        if role != Role::SeniorManager {
            e.add(
                "at",
                format!("must be at most {limit} working days before now (it is {back}); only a senior manager may record an action further back, with a backdate_reason"),
            );
        } else if reason.is_none_or(|r| r.trim().is_empty()) {
            e.add(
                "at",
                format!("is {back} working days back, more than {limit}: give a backdate_reason"),
            );
            e.add(
                "backdate_reason",
                "Say why this action is recorded so long after it happened",
            );
        }
        e.into_result()?;
    }
    if matches!(command, Command::Extend { .. }) {
        let policy = rules.policy_of(case)?;
        let n = case.current_stage().number;
        let due = deadline::due_date(case, policy, &rules.calendar, n, DeadlineStep::Response);
        if let Some(due) = due {
            if london_date(actor.now) > due {
                return Err(CommandError::NotAllowed(format!(
                    "an extension must be recorded before the deadline it extends ({due}) has passed"
                )));
            }
        }
    }
    Ok(())
}

/// Each action recorded on a case with the stage it belongs to: the stage it names, else the
/// stage the case was at when it was recorded. Letters (issued by the action they follow) and
/// record keeping are not actions.
pub fn actions_by_stage(case: &Case) -> impl Iterator<Item = (u8, &EventRecord)> {
    let mut current = 1;
    case.history.iter().filter_map(move |e| {
        let stage = match &e.event {
            CaseEvent::EscalationRequested { stage, .. } => {
                current = *stage;
                *stage
            }
            CaseEvent::Acknowledged { stage, .. }
            | CaseEvent::Extended { stage, .. }
            | CaseEvent::Responded { stage, .. }
            | CaseEvent::Refused { stage, .. }
            | CaseEvent::PointsRevised { stage, .. }
            | CaseEvent::Reassigned { stage, .. } => *stage,
            CaseEvent::LetterIssued { .. } => return None,
            other if other.is_record_keeping() => return None,
            _ => current,
        };
        Some((stage, e))
    })
}

/// Keeps the reason for going further back on each event the action recorded.
pub fn keep_reason(events: &mut [EventRecord], reason: Option<&str>) {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return;
    };
    for e in events {
        e.backdate_reason = Some(reason.to_string());
    }
}
