//! Keeping the resident informed (Code 5.9, 6.6, 6.17): an update interval agreed with the
//! resident, in working days, counted from the stage's acknowledgement or its last update
//! letter, whichever is later; the handler is reminded on the day an update falls due, and an
//! `update` letter resets the count. A promised action completed or moved to a new date tells
//! the resident in an `update` letter too (see [`crate::letter::issue`]).
//!
//! The interval is the one agreed on the case, else the landlord's default
//! (`[updates] default_interval_working_days`; none when it is not set). No update is due
//! before the stage is acknowledged, nor once it is responded to, or the complaint is withdrawn
//! or refused.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::{Actor, Case, Command, CommandError, Rules};
use crate::casefile::MAX_DAYS_AHEAD;
use crate::deadline::{DeadlineKind, DeadlineStep};
use crate::event::CaseEvent;
use crate::letter::LetterKind;
use crate::london::london_date;
use crate::validation::ValidationErrors;

/// The longest interval that may be agreed, in working days (about three months).
pub const MAX_INTERVAL_WORKING_DAYS: u32 = 60;

/// The longest update message or reason, in characters.
pub const MAX_UPDATE_CHARS: usize = 5_000;

/// The landlord's setting: the interval every case has until one is agreed with the resident.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSettings {
    /// Working days between updates when none was agreed; `None`: no reminders until agreed.
    pub default_interval_working_days: Option<u32>,
}

/// The interval in force on a case: the one agreed with the resident, else the default.
pub fn interval(case: &Case, settings: &UpdateSettings) -> Option<u32> {
    case.update_interval
        .or(settings.default_interval_working_days)
}

/// The London date the next update to the resident is due: the interval's working days after
/// the current stage's acknowledgement or its last `update` letter, whichever is later; `None`
/// when no interval applies, before the acknowledgement, once the stage is responded to, or
/// when the complaint was withdrawn or refused.
pub fn next_update_due(case: &Case, rules: &Rules) -> Option<NaiveDate> {
    let days = interval(case, &rules.updates)?;
    if case.withdrawal.is_some() || case.refusal.is_some() {
        return None;
    }
    let stage = case.current_stage();
    if stage.response.is_some() {
        return None;
    }
    let ack = stage.acknowledgement.as_ref()?;
    let last_update = case
        .letters
        .iter()
        .filter(|l| l.kind == LetterKind::Update && l.issued_at >= ack.at)
        .map(|l| l.issued_at)
        .max();
    let from = london_date(last_update.unwrap_or(ack.at).max(ack.at));
    Some(rules.calendar.add_working_days(from, days))
}

/// The reminder of the next update, as a deadline of the current stage (its alert goes to the
/// stage's handler on the due date).
pub fn reminder(case: &Case, rules: &Rules) -> Option<(DeadlineKind, NaiveDate)> {
    next_update_due(case, rules).map(|due| {
        (
            DeadlineKind::new(case.current_stage().number, DeadlineStep::Update),
            due,
        )
    })
}

/// Decides the commands of this rule: agreeing an interval, sending an update, moving a
/// promised action's date.
pub(crate) fn decide(
    case: &Case,
    command: Command,
    actor: &Actor,
) -> Result<Vec<CaseEvent>, CommandError> {
    crate::note::ensure_recordable(case)?;
    let mut e = ValidationErrors::new();
    let events = match command {
        Command::AgreeUpdateInterval { working_days } => {
            case.ensure_active("agree an update interval")?;
            if !(1..=MAX_INTERVAL_WORKING_DAYS).contains(&working_days) {
                e.add(
                    "working_days",
                    format!("must be from 1 to {MAX_INTERVAL_WORKING_DAYS} working days"),
                );
            }
            vec![CaseEvent::UpdateIntervalAgreed { working_days }]
        }
        Command::SendUpdate { message } => {
            case.ensure_active("send an update")?;
            let message = message.trim().to_string();
            e.require_text(
                "message",
                Some(&message),
                MAX_UPDATE_CHARS,
                "the update: where the complaint stands and what happens next",
            );
            vec![CaseEvent::UpdateGiven { message }]
        }
        Command::MoveAction {
            action,
            due,
            reason,
        } => {
            let Some(a) = case.actions.iter().find(|a| a.number == action) else {
                return Err(CommandError::Invalid(ValidationErrors::one(
                    "action",
                    format!("the case has no action {action}"),
                )));
            };
            if a.completed.is_some() {
                return Err(CommandError::NotAllowed(format!(
                    "action {action} is already done: its date cannot move"
                )));
            }
            let today = london_date(actor.at);
            if due < today {
                e.add("due", format!("must not be before {today}"));
            } else if (due - today).num_days() > MAX_DAYS_AHEAD {
                e.add("due", "must be within two years");
            } else if due == a.due {
                e.add("due", format!("is already the action's date ({due})"));
            }
            let reason = reason.trim().to_string();
            e.require_text(
                "reason",
                Some(&reason),
                MAX_UPDATE_CHARS,
                "why the date moves, as the resident is told",
            );
            vec![CaseEvent::ActionMoved {
                action,
                due,
                reason,
            }]
        }
        _ => unreachable!("updates::decide takes only its own commands"),
    };
    e.into_result()?;
    Ok(events)
}

/// Folds this rule's events into the case.
pub(crate) fn apply(case: &mut Case, event: &CaseEvent) {
    match event {
        CaseEvent::UpdateIntervalAgreed { working_days } => {
            case.update_interval = Some(*working_days);
        }
        CaseEvent::ActionMoved { action, due, .. } => {
            if let Some(a) = case.actions.iter_mut().find(|a| a.number == *action) {
                a.due = *due;
            }
        }
        // The update itself is its letter.
        _ => {}
    }
}
