//! The support-services figures of a period: complaints about a support service follow their
//! own three-stage procedure ([`policy::SUPPORT_SERVICES`]), so they are counted beside the
//! housing figures, by the same rules (London dates of each event's `at`, open and overdue at
//! the period's last day), and never in the housing figures or the TSMs.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Rules};
use crate::deadline::{self, Deadline, DeadlineKind, DeadlineStatus, DeadlineStep};
use crate::event::Outcome;
use crate::london::london_date;
use crate::policy;
use crate::report::{Outcomes, StageFigures};

/// Every support-services figure of a period (a month, a quarter or a financial year).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SupportFigures {
    /// Stage 1 of the support-services procedure (received by receipt date).
    pub stage1: StageFigures,
    /// Stage 2 (received by the date of the resident's request).
    pub stage2: StageFigures,
    /// Stage 3, the procedure's last (received by the date of the resident's request).
    pub stage3: StageFigures,
    /// Requests for a later stage (Stage 2 or 3) received in the period.
    pub escalations: u32,
    /// Of those, the ones after the resident's window (flagged late, still accepted).
    pub escalations_late: u32,
    /// Withdrawals dated in the period.
    pub withdrawn: u32,
    /// Refusals dated in the period.
    pub refused: u32,
    /// Stage responses issued in the period (every stage), by outcome.
    pub outcomes: Outcomes,
}

#[derive(Default)]
struct Tally {
    f: StageFigures,
    days: i64,
}

fn met(deadlines: &[Deadline], kind: DeadlineKind) -> bool {
    deadlines
        .iter()
        .any(|d| d.kind == kind && d.status == DeadlineStatus::Met)
}

/// The support-services figures of the London dates `first..=last`, from every case given
/// (other procedures' cases are skipped).
pub fn support_figures(
    cases: &[Case],
    first: NaiveDate,
    last: NaiveDate,
    rules: &Rules,
) -> SupportFigures {
    let inside = |at: DateTime<Utc>| {
        let d = london_date(at);
        first <= d && d <= last
    };
    let by_then = |at: DateTime<Utc>| london_date(at) <= last;
    let mut out = SupportFigures::default();
    let mut stages = [Tally::default(), Tally::default(), Tally::default()];
    let Some(policy) = rules.procedures.get(policy::SUPPORT_SERVICES) else {
        return out;
    };
    let calendar = &rules.calendar;
    for case in cases
        .iter()
        .filter(|c| c.procedure == policy::SUPPORT_SERVICES)
    {
        for (stage, e) in crate::backdating::actions_by_stage(case) {
            if e.recorded_late && inside(e.at) && (1..=3).contains(&stage) {
                stages[usize::from(stage - 1)].f.recorded_late += 1;
            }
        }
        let mut deadlines: Option<Vec<Deadline>> = None;
        let closed_by_then = case.withdrawal.as_ref().is_some_and(|w| by_then(w.at))
            || case.refusal.as_ref().is_some_and(|r| by_then(r.at));
        for s in &case.stages {
            let (Some(sp), 1..=3) = (policy.stage(s.number), s.number) else {
                continue;
            };
            let t = &mut stages[usize::from(s.number - 1)];
            if inside(s.started_at) {
                t.f.received += 1;
                if s.number > 1 {
                    out.escalations += 1;
                    if s.request.as_ref().is_some_and(|r| r.late) {
                        out.escalations_late += 1;
                    }
                }
            }
            if let Some(a) = &s.acknowledgement {
                if inside(a.at) {
                    t.f.acknowledged += 1;
                    let dls = deadlines
                        .get_or_insert_with(|| deadline::deadlines(case, policy, calendar, last));
                    let kind = DeadlineKind::new(s.number, DeadlineStep::Acknowledgement);
                    if met(dls, kind) {
                        t.f.acknowledged_within_timescale += 1;
                    }
                }
            }
            t.f.extensions += s.extensions.iter().filter(|e| inside(e.at)).count() as u32;
            if let Some(r) = &s.response {
                if inside(r.at) {
                    t.f.responded += 1;
                    let dls = deadlines
                        .get_or_insert_with(|| deadline::deadlines(case, policy, calendar, last));
                    let code_step = if sp.response_code.is_some() {
                        DeadlineStep::ResponseCode
                    } else {
                        DeadlineStep::Response
                    };
                    let p3 = r.first_contact
                        || met(dls, DeadlineKind::new(s.number, DeadlineStep::Response));
                    let code = r.first_contact || met(dls, DeadlineKind::new(s.number, code_step));
                    t.f.responded_within_p3_standard += u32::from(p3);
                    t.f.responded_within_code += u32::from(code);
                    t.days += calendar.working_days_between(s.started_on(), london_date(r.at));
                    match r.response.outcome {
                        Outcome::Upheld => out.outcomes.upheld += 1,
                        Outcome::PartlyUpheld => out.outcomes.partly_upheld += 1,
                        Outcome::NotUpheld => out.outcomes.not_upheld += 1,
                    }
                }
            }
            let responded_by_then = s.response.as_ref().is_some_and(|r| by_then(r.at));
            if by_then(s.started_at) && !responded_by_then && !closed_by_then {
                t.f.open_at_month_end += 1;
                if deadline::response_due(s, sp, sp.response, calendar, Some(last)) <= last {
                    t.f.open_overdue += 1;
                }
            }
        }
        out.withdrawn += u32::from(case.withdrawal.as_ref().is_some_and(|w| inside(w.at)));
        out.refused += u32::from(case.refusal.as_ref().is_some_and(|r| inside(r.at)));
    }
    let [s1, s2, s3] = stages.map(|t| StageFigures {
        average_working_days_to_respond: (t.f.responded > 0)
            .then(|| (t.days as f64 / f64::from(t.f.responded) * 10.0).round() / 10.0),
        ..t.f
    });
    out.stage1 = s1;
    out.stage2 = s2;
    out.stage3 = s3;
    out
}
