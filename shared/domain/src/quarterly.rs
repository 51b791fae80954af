//! The quarterly summary for the Member Responsible for Complaints and the governing body
//! (Code 9.6-9.8): the quarter's volumes, categories, outcomes and performance, month by month
//! and for the quarter, the Ombudsman's determinations and progress with its orders, and what
//! was learned. Quarters are of the financial year: Q1 April to June `year`, Q4 January to March
//! `year + 1`. Counted by the rules of [`crate::report`].

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Rules};
use crate::london::Month;
use crate::report::{self, Figures, Homes, Lesson, MonthlyReport, OmbudsmanFindings};
use crate::service_request::ServiceRequest;

/// A quarter's summary (its JSON is the route's answer).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuarterlyReport {
    /// The financial year, named by the calendar year it starts in.
    pub year: i32,
    /// The quarter of that year, 1 to 4.
    pub quarter: u8,
    /// First month, `YYYY-MM`.
    pub from: String,
    /// Last month, `YYYY-MM`.
    pub to: String,
    /// Each month's figures.
    pub months: Vec<MonthlyReport>,
    /// The quarter as one period (as the annual totals: counts summed, open and overdue at its
    /// end, averages and TSMs over its events).
    pub totals: Figures,
    /// The Ombudsman's determinations in the quarter and its orders, with how far each was
    /// complied with by the quarter's end.
    pub ombudsman: OmbudsmanFindings,
    /// What was learned, from the responses issued in the quarter.
    pub lessons: Vec<Lesson>,
}

/// The three months of quarter `quarter` (1 to 4) of the financial year starting in April
/// `year`; `None` for another quarter.
pub fn quarter_months(year: i32, quarter: u8) -> Option<[Month; 3]> {
    if !(1..=4).contains(&quarter) {
        return None;
    }
    let months = report::months_of_financial_year(year);
    let i = usize::from(quarter - 1) * 3;
    Some([months[i], months[i + 1], months[i + 2]])
}

/// The quarter that ended last before the London date `today`, as (financial year, quarter):
/// on 1 July 2025, (2025, 1); on 2 April 2026, (2025, 4).
pub fn quarter_before(today: NaiveDate) -> (i32, u8) {
    let previous = Month::of(today).previous();
    // Back to the quarter's last month: March, June, September or December.
    let mut m = previous;
    while !m.month.is_multiple_of(3) {
        m = m.previous();
    }
    match m.month {
        3 => (m.year - 1, 4),
        6 => (m.year, 1),
        9 => (m.year, 2),
        _ => (m.year, 3),
    }
}

/// True when `today` (London) is the first day of a financial quarter, when the summary of the
/// quarter just ended is sent.
pub fn starts_a_quarter(today: NaiveDate) -> bool {
    today.day() == 1 && matches!(today.month(), 1 | 4 | 7 | 10)
}

/// The summary of quarter `quarter` of the financial year starting in April `year`, from the
/// cases and service requests of its months; `None` for a quarter that is not 1 to 4.
pub fn quarterly(
    cases: &[Case],
    service_requests: &[ServiceRequest],
    year: i32,
    quarter: u8,
    rules: &Rules,
    homes: &Homes,
) -> Option<QuarterlyReport> {
    let months = quarter_months(year, quarter)?;
    let (first, last) = (months[0].first_day(), months[2].last_day());
    Some(QuarterlyReport {
        year,
        quarter,
        from: months[0].to_string(),
        to: months[2].to_string(),
        months: months
            .iter()
            .map(|m| report::monthly(cases, service_requests, *m, rules, homes))
            .collect(),
        totals: report::figures(cases, service_requests, first, last, rules, homes),
        ombudsman: report::ombudsman_of(cases, first, last),
        lessons: report::lessons_of(cases, first, last),
    })
}

/// The quarter's summary as the plain text of its email: no resident's name or details, only
/// figures, case references and what staff recorded as learned.
pub fn summary_text(landlord: &str, q: &QuarterlyReport) -> String {
    let t = &q.totals;
    let within = |within: u32, of: u32| {
        if of == 0 {
            "n/a (nothing responded to)".to_string()
        } else {
            format!(
                "{within} of {of} ({:.1}%)",
                f64::from(within) * 100.0 / f64::from(of)
            )
        }
    };
    let mut out = format!(
        "{landlord}: complaints summary for quarter {} of {}/{:02} ({} to {})\n\
         For the Member Responsible for Complaints and the governing body.\n\n\
         Stage 1 complaints received: {}\n\
         Stage 2 requests received: {}\n\
         Stage 1 responses within the Code: {}\n\
         Stage 2 responses within the Code: {}\n\
         Outcomes: upheld {}, partly upheld {}, not upheld {}\n\
         Open at the quarter's end: {} at Stage 1, {} at Stage 2 ({} and {} overdue)\n",
        q.quarter,
        q.year,
        (q.year + 1).rem_euclid(100),
        q.from,
        q.to,
        t.stage1.received,
        t.stage2.received,
        within(t.stage1.responded_within_code, t.stage1.responded),
        within(t.stage2.responded_within_code, t.stage2.responded),
        t.outcomes.upheld,
        t.outcomes.partly_upheld,
        t.outcomes.not_upheld,
        t.stage1.open_at_month_end,
        t.stage2.open_at_month_end,
        t.stage1.open_overdue,
        t.stage2.open_overdue,
    );
    out.push_str("\nStage 1 complaints by category:\n");
    if t.by_category.is_empty() {
        out.push_str("  none\n");
    }
    for (k, v) in &t.by_category {
        out.push_str(&format!("  {}: {v}\n", k.replace('_', " ")));
    }
    let ss = &t.support_services;
    out.push_str(&format!(
        "\nSupport services (a separate three-stage procedure, not in the figures above):\n\
         Received: {} at Stage 1, {} at Stage 2, {} at Stage 3 ({} escalations)\n\
         Responses within timescale: Stage 1 {}; Stage 2 {}; Stage 3 {}\n",
        ss.stage1.received,
        ss.stage2.received,
        ss.stage3.received,
        ss.escalations,
        within(ss.stage1.responded_within_p3_standard, ss.stage1.responded),
        within(ss.stage2.responded_within_p3_standard, ss.stage2.responded),
        within(ss.stage3.responded_within_p3_standard, ss.stage3.responded),
    ));
    let o = &q.ombudsman;
    out.push_str(&format!(
        "\nHousing Ombudsman: {} determination(s); orders complied with: {} of {}\n",
        o.determinations.len(),
        o.orders_complied,
        o.orders.len()
    ));
    for order in &o.orders {
        out.push_str(&format!(
            "  {} order {} due {}: {}\n",
            order.reference,
            order.number,
            order.due,
            order.status.replace('_', " ")
        ));
    }
    out.push_str(&format!(
        "\nLessons recorded with responses: {}\n",
        q.lessons.len()
    ));
    out
}
