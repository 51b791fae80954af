//! The cases of a month's export, one line each, as they stood at the month's last moment.

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::backdating;
use p3_domain::case::{Case, Rules};
use p3_domain::deadline::{self, DeadlineKind, DeadlineStatus, DeadlineStep};
use p3_domain::london::{london_date, start_of_day, Month};

/// One case of a month's export (no resident contact details, no free text).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseLine {
    /// The case reference.
    pub reference: String,
    /// The procedure followed (`housing`, `support_services`).
    pub procedure: String,
    /// The London date it was received.
    pub received_on: NaiveDate,
    /// How it reached the landlord.
    pub channel: String,
    /// Its category, if one was given.
    pub category: Option<String>,
    /// The kind of home (`low_cost_rental`, `low_cost_home_ownership`).
    pub tenure: String,
    /// The stage it had reached at the month's end.
    pub stage: u8,
    /// Its status at the month's end (`received`, `responded`, `withdrawn`…).
    pub status: String,
    /// Each deadline's due date and status at the month's end.
    pub deadlines: Vec<(DeadlineKind, NaiveDate, DeadlineStatus)>,
    /// Working days added by extensions to the current stage by the month's end.
    pub extended_working_days: u32,
    /// Actions at Stage 1 and at Stage 2 that happened by the month's end and were recorded
    /// more than one working day later (see [`p3_domain::backdating`]).
    pub recorded_late: [u32; 2],
    /// The outcome of the latest stage response given by the month's end.
    pub outcome: Option<String>,
    /// True when resolved at first contact.
    pub resolved_at_first_contact: bool,
    /// The linked service request, if any.
    pub service_request: Option<String>,
}

/// The deadline kinds every export has a column for (the housing procedure's), in order.
pub const BASE_DEADLINE_KINDS: [DeadlineKind; 6] = [
    DeadlineKind::new(1, DeadlineStep::Acknowledgement),
    DeadlineKind::new(1, DeadlineStep::Response),
    DeadlineKind::new(1, DeadlineStep::ResponseCode),
    DeadlineKind::new(2, DeadlineStep::RequestWindow),
    DeadlineKind::new(2, DeadlineStep::Acknowledgement),
    DeadlineKind::new(2, DeadlineStep::Response),
];

fn column_order(k: &DeadlineKind) -> (u8, u8) {
    let step = match k.step {
        DeadlineStep::RequestWindow => 0,
        DeadlineStep::Acknowledgement => 1,
        DeadlineStep::Response => 2,
        DeadlineStep::ResponseCode => 3,
        // Reminders are never deadlines in a report.
        DeadlineStep::Action(_)
        | DeadlineStep::Update
        | DeadlineStep::AdjustmentReview
        | DeadlineStep::RestrictionReview => 4,
    };
    (k.stage, step)
}

/// The deadline columns of an export: the housing procedure's, then any other kind a line
/// has (a third stage), in stage order.
pub fn deadline_columns(lines: &[CaseLine]) -> Vec<DeadlineKind> {
    let mut kinds: Vec<DeadlineKind> = BASE_DEADLINE_KINDS.to_vec();
    for line in lines {
        for (k, _, _) in &line.deadlines {
            if !kinds.contains(k) {
                kinds.push(*k);
            }
        }
    }
    kinds.sort_by_key(column_order);
    kinds
}

/// True when the case had an event in `[from, to)` or a stage open at `to` (received, not
/// responded, withdrawn or refused before it): the cases a month's figures can count.
fn belongs(case: &Case, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    if case
        .history
        .iter()
        .any(|e| from <= e.at && e.at < to && !e.event.is_record_keeping())
    {
        return true;
    }
    let closed = case.withdrawal.as_ref().is_some_and(|w| w.at < to)
        || case.refusal.as_ref().is_some_and(|r| r.at < to);
    !closed
        && case
            .stages
            .iter()
            .any(|s| s.started_at < to && s.response.as_ref().is_none_or(|r| r.at >= to))
}

/// The month's cases, by reference: each with an event in the month or a stage open at its
/// end, rebuilt from its events up to the month's last moment (later events are not known
/// then), with its status and deadlines as they stood that day.
pub fn case_lines(cases: &[Case], month: Month, rules: &Rules) -> Vec<CaseLine> {
    let from = start_of_day(month.first_day());
    let to = start_of_day(month.next().first_day());
    let last = month.last_day();
    let mut lines: Vec<CaseLine> = cases
        .iter()
        .filter(|c| belongs(c, from, to))
        .map(|c| {
            let history = c.history.iter().filter(|e| e.at < to).cloned().collect();
            let case = Case::from_history(&c.reference, history);
            line(&case, rules, last)
        })
        .collect();
    lines.sort_by(|a, b| a.reference.cmp(&b.reference));
    lines
}

fn recorded_late(case: &Case, last: NaiveDate) -> [u32; 2] {
    let mut out = [0; 2];
    for (stage, e) in backdating::actions_by_stage(case) {
        if e.recorded_late && london_date(e.at) <= last && (1..=2).contains(&stage) {
            out[usize::from(stage - 1)] += 1;
        }
    }
    out
}

fn line(case: &Case, rules: &Rules, last: NaiveDate) -> CaseLine {
    let policy = rules.policy_of(case).ok();
    let (status, deadlines) = match policy {
        Some(p) => (
            case.status(p, &rules.calendar, last).name(),
            deadline::deadlines(case, p, &rules.calendar, last)
                .into_iter()
                // Tracked actions are not columns of the performance export.
                .filter(|d| d.kind.step.is_procedure_step())
                .map(|d| (d.kind, d.due, d.status))
                .collect(),
        ),
        None => ("unknown_procedure".to_string(), Vec::new()),
    };
    let current = case.stages.last();
    CaseLine {
        reference: case.reference.clone(),
        procedure: case.procedure.clone(),
        received_on: london_date(case.received_at),
        channel: case.complaint.channel.as_str().to_string(),
        category: case.complaint.category.clone(),
        tenure: tenure_name(case),
        stage: current.map(|s| s.number).unwrap_or(1),
        status,
        deadlines,
        extended_working_days: current.map(|s| s.extended_by()).unwrap_or(0),
        recorded_late: recorded_late(case, last),
        outcome: case
            .stages
            .iter()
            .rev()
            .find_map(|s| s.response.as_ref())
            .map(|r| r.response.outcome.as_str().to_string()),
        resolved_at_first_contact: case.resolved_at_first_contact(),
        service_request: case.service_request.clone(),
    }
}

fn tenure_name(case: &Case) -> String {
    serde_json::to_value(case.complaint.tenure)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
