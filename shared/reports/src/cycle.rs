//! The annual cycle's printable pages beside the annual report: the quarterly summary for the
//! Member Responsible for Complaints and the governing body (`templates/quarterly.html`). The
//! Ombudsman's findings and the lessons from cases are drawn by `templates/cycle.html`, which
//! the annual report includes too.

use askama::Template;
use p3_domain::quarterly::QuarterlyReport;
use p3_domain::report::{Lesson, OmbudsmanFindings};

use crate::html::{
    count_bars, month_name, named, other_rows, rendered, sorted_counts, stage_rows, trend_rows,
    year_name, Chart, Count, Shape, StageRow, TrendRow,
};

/// The quarterly summary page.
#[derive(Template)]
#[template(path = "quarterly.html")]
struct QuarterlyPage<'a> {
    title: String,
    landlord: &'a str,
    quarter: u8,
    year: String,
    from: String,
    to: String,
    stage_rows: Vec<StageRow>,
    trend_rows: Vec<TrendRow>,
    category_chart: Chart,
    categories: Vec<Count>,
    others: Vec<Count>,
    ombudsman: &'a OmbudsmanFindings,
    case_lessons: &'a [Lesson],
    support: crate::support::SupportSection,
}

/// The printable quarterly summary: the quarter's figures, month by month, themes, outcomes,
/// the Ombudsman's findings with progress on its orders, and the lessons from cases.
pub fn quarterly(landlord: &str, q: &QuarterlyReport) -> String {
    let year = year_name(q.year);
    let categories = sorted_counts(&q.totals.by_category);
    rendered(&QuarterlyPage {
        title: format!(
            "{landlord}: complaints summary, quarter {} of {year}",
            q.quarter
        ),
        landlord,
        quarter: q.quarter,
        year,
        from: named(&q.from, month_name),
        to: named(&q.to, month_name),
        stage_rows: stage_rows(&q.totals.stage1, &q.totals.stage2),
        trend_rows: trend_rows(&q.months),
        category_chart: count_bars("Stage 1 complaints by category", &categories),
        categories,
        others: other_rows(&q.totals),
        ombudsman: &q.ombudsman,
        case_lessons: &q.lessons,
        support: crate::support::section(&q.totals.support_services),
    })
}

/// The quarterly summary's email to `recipients` (each once, blanks left out): the headline
/// figures as plain text, with where the full summary is. Its id names the quarter, so a host
/// that records sent alerts sends it once.
pub fn quarterly_email(
    landlord: &str,
    q: &QuarterlyReport,
    recipients: &[String],
    base_url: &str,
) -> p3_domain::alert::AlertEmail {
    let mut to: Vec<String> = Vec::new();
    for r in recipients {
        let r = r.trim();
        if !r.is_empty() && !to.iter().any(|t| t.eq_ignore_ascii_case(r)) {
            to.push(r.to_string());
        }
    }
    let mut body = p3_domain::quarterly::summary_text(landlord, q);
    body.push_str(&format!(
        "\nThe full summary (sign in first):\n  {}/staff/reports/quarterly?year={}&quarter={}&format=html\n",
        base_url.trim_end_matches('/'),
        q.year,
        q.quarter
    ));
    p3_domain::alert::AlertEmail {
        alert_id: quarterly_alert_id(q.year, q.quarter),
        to,
        subject: format!(
            "[{landlord} complaints] Quarterly summary: quarter {} of {}",
            q.quarter,
            year_name(q.year)
        ),
        body,
        enclosure: None,
        attachments: Vec::new(),
    }
}

/// The id a quarter's email is recorded sent under: `quarterly-report-2025-q1`.
pub fn quarterly_alert_id(year: i32, quarter: u8) -> String {
    format!("quarterly-report-{year}-q{quarter}")
}
