//! Monthly performance figures, the Tenant Satisfaction Measures and the annual totals,
//! computed from cases and their events (pure: no I/O).
//!
//! Every count belongs to the Europe/London month of its event's `at` (when it happened).
//! "Open" and "overdue" are snapshots at 23:59:59 London on the period's last day. Only cases on
//! the housing procedure ([`policy::HOUSING`]) are counted in the housing figures and the TSMs:
//! complaints about a support service follow a separate procedure, counted beside them
//! ([`crate::report_support`]). A figure that cannot be computed is `null`, never a made-up zero,
//! and ratios are rounded to one decimal place.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Rules};
use crate::complaint::Tenure;
use crate::deadline::{self, Deadline, DeadlineKind, DeadlineStatus, DeadlineStep};
use crate::event::{ExclusionGround, Outcome};
use crate::london::{london_date, Month};
use crate::policy::{self, Policy};
use crate::service_request::ServiceRequest;

/// The number of homes owned, per tenure, that CH01 is counted per 1,000 of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Homes {
    /// Low-cost rental homes; `None` when not configured (CH01 is then null).
    pub low_cost_rental: Option<u32>,
    /// Low-cost home ownership homes; `None` when the landlord has none configured.
    pub low_cost_home_ownership: Option<u32>,
}

/// The figures of one stage of the housing procedure for a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageFigures {
    /// Complaints that entered the stage in the period: Stage 1 by the London receipt date,
    /// Stage 2 by the London date of the request (a late request is counted too).
    pub received: u32,
    /// Acknowledgements of the stage dated in the period (a first contact resolution is
    /// acknowledged on its receipt date).
    pub acknowledged: u32,
    /// Of those, the ones on or before the stage's acknowledgement due date (deadline `met`).
    pub acknowledged_within_timescale: u32,
    /// Stage responses dated in the period, first contact resolutions included.
    pub responded: u32,
    /// Of those, the ones that met P3's `stageN_response` deadline, extensions within the
    /// limits included; a first contact resolution always does.
    pub responded_within_p3_standard: u32,
    /// Of those, the ones within the Code's timescale: Stage 1 `stage1_response_code`; Stage 2
    /// has one deadline, `stage2_response`, which is both P3's and the Code's.
    pub responded_within_code: u32,
    /// Extensions of the stage agreed in the period (each extension counts once).
    pub extensions: u32,
    /// Actions at the stage that happened in the period and were recorded more than one
    /// working day later (see [`crate::backdating`]); the letters they issued and imported
    /// events are not counted. Missing from exports made before it was counted.
    #[serde(default)]
    pub recorded_late: u32,
    /// At 23:59:59 London on the period's last day: entered the stage on or before that day and
    /// not yet responded to, withdrawn or refused by then.
    pub open_at_month_end: u32,
    /// Of the open ones, those whose P3 response deadline as it stood then (only extensions
    /// agreed and the acknowledgement given by then) falls on or before that day.
    pub open_overdue: u32,
    /// Mean working days from the stage start (receipt, or the Stage 2 request date) to the
    /// response date, over responses in the period (a first contact resolution counts 0);
    /// null when nothing was responded to.
    pub average_working_days_to_respond: Option<f64>,
}

/// Refusals in the period, by recorded exclusion ground.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusals {
    /// The issue arose, or the resident became aware of it, more than 12 months before.
    pub over_12_months: u32,
    /// Legal proceedings had started.
    pub legal_proceedings: u32,
    /// It had already been considered.
    pub already_considered: u32,
}

/// Stage responses issued in the period (both stages), by overall outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    /// Responses upholding the complaint.
    pub upheld: u32,
    /// Responses partly upholding it.
    pub partly_upheld: u32,
    /// Responses not upholding it.
    pub not_upheld: u32,
}

/// The Tenant Satisfaction Measures CH01 and CH02 for one tenure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tsm {
    /// CH01(1): Stage 1 complaints of the tenure received in the period × 1,000 / homes of the
    /// tenure; null when the number of homes is not configured (or zero).
    pub ch01_stage1_per_1000_homes: Option<f64>,
    /// CH01(2): the same for Stage 2 requests received in the period.
    pub ch01_stage2_per_1000_homes: Option<f64>,
    /// CH02(1): of the tenure's Stage 1 complaints responded to in the period, the percentage
    /// responded to within the Code's timescale; null when none was responded to.
    pub ch02_stage1_within_code_pct: Option<f64>,
    /// CH02(2): the same for Stage 2.
    pub ch02_stage2_within_code_pct: Option<f64>,
}

/// Every figure of a period (a month, or a financial year's totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Stage 1 of the housing procedure.
    pub stage1: StageFigures,
    /// Stage 2 of the housing procedure.
    pub stage2: StageFigures,
    /// Stage 1 complaints resolved at first contact, by the receipt (= response) date; they are
    /// also counted as received, acknowledged and responded within timescale at Stage 1.
    pub first_contact_resolutions: u32,
    /// Service requests whose `logged_at` falls in the period.
    pub service_requests_logged: u32,
    /// Complaints received in the period that link a service request.
    pub service_requests_escalated: u32,
    /// Stage 2 requests received in the period after P3's window (flagged late, still accepted).
    pub stage2_requests_late: u32,
    /// Withdrawals dated in the period.
    pub withdrawn: u32,
    /// Refusals dated in the period, by exclusion ground.
    pub refused: Refusals,
    /// Stage responses issued in the period (both stages), by outcome.
    pub outcomes: Outcomes,
    /// Stage 1 complaints received in the period by category (`uncategorised` when none).
    pub by_category: BTreeMap<String, u32>,
    /// Stage 1 complaints received in the period by channel.
    pub by_channel: BTreeMap<String, u32>,
    /// Referrals to the Housing Ombudsman recorded as happening in the period.
    pub ombudsman_referrals: u32,
    /// The Housing Ombudsman's determinations recorded as happening in the period.
    pub ombudsman_determinations: u32,
    /// The TSMs for low-cost rental homes (the default tenure).
    pub tsm: Tsm,
    /// The same TSMs for low-cost home ownership; null unless such homes are configured.
    pub tsm_low_cost_home_ownership: Option<Tsm>,
    /// The support-services procedure's own figures, beside the housing ones above and never
    /// in them or the TSMs. Missing from exports made before it was counted.
    #[serde(default)]
    pub support_services: crate::report_support::SupportFigures,
}

/// The monthly performance export (its JSON shape is a contract: keys may be added, never renamed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonthlyReport {
    /// The Europe/London month, `YYYY-MM`.
    pub month: String,
    /// The month's figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// The figures of a financial year (April to March), month by month and for the year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnnualReport {
    /// The financial year, named by the calendar year it starts in (April `year`).
    pub year: i32,
    /// First month, `YYYY-04`.
    pub from: String,
    /// Last month, `YYYY+1-03`.
    pub to: String,
    /// Each month's report, April first.
    pub months: Vec<MonthlyReport>,
    /// The year as one period: counts are the sums of the months; open and overdue are as at
    /// the end of March; averages and TSMs are computed over the whole year's events.
    pub totals: Figures,
    /// The Housing Ombudsman's determinations in the year and its orders, with how far each
    /// order was complied with by the year's end (Code 8.1, 9.8).
    #[serde(default)]
    pub ombudsman: OmbudsmanFindings,
    /// What was learned, as recorded with each stage response issued in the year (Code 9.1),
    /// by response date.
    #[serde(default)]
    pub lessons: Vec<Lesson>,
    /// The governing body's response to the report (Code 8.2), once recorded; hosts add it
    /// from the [`crate::annual_record::AnnualRecordStore`].
    #[serde(default)]
    pub governing_body_response: Option<crate::annual_record::GoverningBodyResponse>,
}

/// A determination of the Housing Ombudsman recorded in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Determination {
    /// The case.
    pub reference: String,
    /// The London date of the determination.
    pub on: NaiveDate,
}

/// An order of the Ombudsman and how far it was complied with at the period's end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCompliance {
    /// The case.
    pub reference: String,
    /// The order's number on the case (orders and promised actions share the numbering).
    pub number: u16,
    /// What the Ombudsman ordered.
    pub description: String,
    /// The London date it was due.
    pub due: NaiveDate,
    /// The London date it was done, if by the period's end.
    pub completed_on: Option<NaiveDate>,
    /// `complied` (done by its date), `complied_late`, `overdue` (not done, past its date) or
    /// `outstanding` (not done, not yet due).
    pub status: String,
}

/// The Ombudsman's findings for a period: determinations in it, and the orders recorded in it or
/// still outstanding at its start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OmbudsmanFindings {
    /// Determinations dated in the period.
    pub determinations: Vec<Determination>,
    /// Orders recorded in the period, or recorded before it and not done by its start.
    pub orders: Vec<OrderCompliance>,
    /// Of those orders, the ones done by the period's end.
    pub orders_complied: u32,
}

/// What was learned from a complaint, recorded with a stage response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// The case.
    pub reference: String,
    /// The stage responded to.
    pub stage: u8,
    /// The London date of the response.
    pub on: NaiveDate,
    /// The complaint's category (`uncategorised` when none).
    pub category: String,
    /// What was learned.
    pub learning: String,
}

/// The Ombudsman's determinations and orders of the housing cases given, for the London dates
/// `first..=last`.
pub fn ombudsman_of(cases: &[Case], first: NaiveDate, last: NaiveDate) -> OmbudsmanFindings {
    let mut out = OmbudsmanFindings::default();
    for case in cases.iter().filter(|c| c.procedure == policy::HOUSING) {
        for o in &case.ombudsman {
            let on = london_date(o.at);
            if o.event == "determination" && first <= on && on <= last {
                out.determinations.push(Determination {
                    reference: case.reference.clone(),
                    on,
                });
            }
        }
        for a in &case.actions {
            if a.source != crate::casefile::ActionSource::OmbudsmanOrder {
                continue;
            }
            let ordered = london_date(a.promised_at);
            let done = a
                .completed
                .as_ref()
                .map(|c| london_date(c.at))
                .filter(|d| *d <= last);
            let open_at_start = done.is_none_or(|d| d >= first);
            if ordered > last || (ordered < first && !open_at_start) {
                continue;
            }
            let status = match done {
                Some(d) if d <= a.due => "complied",
                Some(_) => "complied_late",
                None if a.due <= last => "overdue",
                None => "outstanding",
            };
            if done.is_some() {
                out.orders_complied += 1;
            }
            out.orders.push(OrderCompliance {
                reference: case.reference.clone(),
                number: a.number,
                description: a.description.clone(),
                due: a.due,
                completed_on: done,
                status: status.to_string(),
            });
        }
    }
    out.determinations
        .sort_by(|a, b| (a.on, &a.reference).cmp(&(b.on, &b.reference)));
    out.orders
        .sort_by(|a, b| (a.due, &a.reference, a.number).cmp(&(b.due, &b.reference, b.number)));
    out
}

/// The lessons recorded with the housing cases' stage responses dated `first..=last` (London).
pub fn lessons_of(cases: &[Case], first: NaiveDate, last: NaiveDate) -> Vec<Lesson> {
    let mut out = Vec::new();
    for case in cases.iter().filter(|c| c.procedure == policy::HOUSING) {
        for s in &case.stages {
            let Some(r) = &s.response else { continue };
            let on = london_date(r.at);
            if let (Some(learning), true) = (&r.response.learning, first <= on && on <= last) {
                out.push(Lesson {
                    reference: case.reference.clone(),
                    stage: s.number,
                    on,
                    category: case
                        .complaint
                        .category
                        .clone()
                        .unwrap_or_else(|| "uncategorised".into()),
                    learning: learning.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| (a.on, &a.reference, a.stage).cmp(&(b.on, &b.reference, b.stage)));
    out
}

/// The twelve months of the financial year starting in April `year`.
pub fn months_of_financial_year(year: i32) -> Vec<Month> {
    let mut m = Month { year, month: 4 };
    let mut out = Vec::with_capacity(12);
    for _ in 0..12 {
        out.push(m);
        m = m.next();
    }
    out
}

/// The monthly figures of `month` from every case and service request given (cases and
/// requests with no event in the month, and no stage open at its end, simply count nothing).
pub fn monthly(
    cases: &[Case],
    service_requests: &[ServiceRequest],
    month: Month,
    rules: &Rules,
    homes: &Homes,
) -> MonthlyReport {
    MonthlyReport {
        month: month.to_string(),
        figures: figures(
            cases,
            service_requests,
            month.first_day(),
            month.last_day(),
            rules,
            homes,
        ),
    }
}

/// The financial year starting in April `year`: each month and the year's totals.
pub fn annual(
    cases: &[Case],
    service_requests: &[ServiceRequest],
    year: i32,
    rules: &Rules,
    homes: &Homes,
) -> AnnualReport {
    let months = months_of_financial_year(year);
    let first = months[0];
    let last = months[11];
    AnnualReport {
        year,
        from: first.to_string(),
        to: last.to_string(),
        months: months
            .iter()
            .map(|m| monthly(cases, service_requests, *m, rules, homes))
            .collect(),
        totals: figures(
            cases,
            service_requests,
            first.first_day(),
            last.last_day(),
            rules,
            homes,
        ),
        ombudsman: ombudsman_of(cases, first.first_day(), last.last_day()),
        lessons: lessons_of(cases, first.first_day(), last.last_day()),
        governing_body_response: None,
    }
}

#[derive(Default)]
struct StageTally {
    f: StageFigures,
    days: i64,
}

#[derive(Default, Clone, Copy)]
struct TenureTally {
    received: [u32; 2],
    responded: [u32; 2],
    within_code: [u32; 2],
}

fn tenure_index(t: Tenure) -> usize {
    match t {
        Tenure::LowCostRental => 0,
        Tenure::LowCostHomeOwnership => 1,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn per_1000(count: u32, homes: Option<u32>) -> Option<f64> {
    homes
        .filter(|h| *h > 0)
        .map(|h| round1(f64::from(count) * 1000.0 / f64::from(h)))
}

fn pct(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| round1(f64::from(part) * 100.0 / f64::from(whole)))
}

fn tsm(t: &TenureTally, homes: Option<u32>) -> Tsm {
    Tsm {
        ch01_stage1_per_1000_homes: per_1000(t.received[0], homes),
        ch01_stage2_per_1000_homes: per_1000(t.received[1], homes),
        ch02_stage1_within_code_pct: pct(t.within_code[0], t.responded[0]),
        ch02_stage2_within_code_pct: pct(t.within_code[1], t.responded[1]),
    }
}

/// True when the deadline of `kind` was met on or before its due date.
fn met(deadlines: &[Deadline], kind: DeadlineKind) -> bool {
    deadlines
        .iter()
        .any(|d| d.kind == kind && d.status == DeadlineStatus::Met)
}

pub(crate) fn figures(
    cases: &[Case],
    service_requests: &[ServiceRequest],
    first: NaiveDate,
    last: NaiveDate,
    rules: &Rules,
    homes: &Homes,
) -> Figures {
    let inside = |at: DateTime<Utc>| {
        let d = london_date(at);
        first <= d && d <= last
    };
    let by_then = |at: DateTime<Utc>| london_date(at) <= last;
    let mut out = Figures::default();
    let mut stages = [StageTally::default(), StageTally::default()];
    let mut tenures = [TenureTally::default(); 2];

    out.service_requests_logged = service_requests
        .iter()
        .filter(|r| inside(r.logged_at))
        .count() as u32;

    for case in cases.iter().filter(|c| c.procedure == policy::HOUSING) {
        for (stage, e) in crate::backdating::actions_by_stage(case) {
            if e.recorded_late && inside(e.at) && (1..=2).contains(&stage) {
                stages[usize::from(stage - 1)].f.recorded_late += 1;
            }
        }
    }

    let policy: Option<&Policy> = rules.procedures.get(policy::HOUSING);
    let calendar = &rules.calendar;
    for case in cases.iter().filter(|c| c.procedure == policy::HOUSING) {
        let Some(policy) = policy else { break };
        // Deadlines are computed at most once per case, and only when a figure needs them.
        let mut deadlines: Option<Vec<Deadline>> = None;
        let tenure = &mut tenures[tenure_index(case.complaint.tenure)];
        let closed_by_then = case.withdrawal.as_ref().is_some_and(|w| by_then(w.at))
            || case.refusal.as_ref().is_some_and(|r| by_then(r.at));
        for s in &case.stages {
            let (Some(sp), 1..=2) = (policy.stage(s.number), s.number) else {
                continue;
            };
            let i = usize::from(s.number - 1);
            let t = &mut stages[i];
            if inside(s.started_at) {
                t.f.received += 1;
                tenure.received[i] += 1;
                if s.number == 1 {
                    let category = case
                        .complaint
                        .category
                        .as_deref()
                        .unwrap_or("uncategorised");
                    *out.by_category.entry(category.to_string()).or_default() += 1;
                    *out.by_channel
                        .entry(case.complaint.channel.as_str().to_string())
                        .or_default() += 1;
                    if case.service_request.is_some() {
                        out.service_requests_escalated += 1;
                    }
                } else if s.request.as_ref().is_some_and(|r| r.late) {
                    out.stage2_requests_late += 1;
                }
            }
            if let Some(a) = &s.acknowledgement {
                if inside(a.at) {
                    t.f.acknowledged += 1;
                    let dls = deadlines
                        .get_or_insert_with(|| deadline::deadlines(case, policy, calendar, last));
                    if met(
                        dls,
                        DeadlineKind::new(s.number, DeadlineStep::Acknowledgement),
                    ) {
                        t.f.acknowledged_within_timescale += 1;
                    }
                }
            }
            t.f.extensions += s.extensions.iter().filter(|e| inside(e.at)).count() as u32;
            if let Some(r) = &s.response {
                if inside(r.at) {
                    t.f.responded += 1;
                    tenure.responded[i] += 1;
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
                    if p3 {
                        t.f.responded_within_p3_standard += 1;
                    }
                    if code {
                        t.f.responded_within_code += 1;
                        tenure.within_code[i] += 1;
                    }
                    if r.first_contact {
                        out.first_contact_resolutions += 1;
                    }
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
        if let Some(w) = &case.withdrawal {
            if inside(w.at) {
                out.withdrawn += 1;
            }
        }
        if let Some(r) = &case.refusal {
            if inside(r.at) {
                match r.ground {
                    ExclusionGround::Over12Months => out.refused.over_12_months += 1,
                    ExclusionGround::LegalProceedings => out.refused.legal_proceedings += 1,
                    ExclusionGround::AlreadyConsidered => out.refused.already_considered += 1,
                }
            }
        }
        for o in case.ombudsman.iter().filter(|o| inside(o.at)) {
            match o.event.as_str() {
                "referred" => out.ombudsman_referrals += 1,
                "determination" => out.ombudsman_determinations += 1,
                _ => {}
            }
        }
    }

    let [s1, s2] = stages.map(|t| StageFigures {
        average_working_days_to_respond: (t.f.responded > 0)
            .then(|| round1(t.days as f64 / f64::from(t.f.responded))),
        ..t.f
    });
    out.stage1 = s1;
    out.stage2 = s2;
    out.tsm = tsm(&tenures[0], homes.low_cost_rental);
    out.tsm_low_cost_home_ownership = homes
        .low_cost_home_ownership
        .map(|h| tsm(&tenures[1], Some(h)));
    out.support_services = crate::report_support::support_figures(cases, first, last, rules);
    out
}
