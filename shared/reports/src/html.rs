//! Printable HTML reports with inline SVG charts, rendered from compiled templates
//! (`templates/monthly.html`, `annual.html`): this module lays out the figures and the charts'
//! geometry, the templates write the markup and escape every piece of text from data or
//! configuration. Nothing is loaded from elsewhere (no scripts, fonts or images).

use askama::Template;
use p3_domain::london::Month;
use p3_domain::report::{AnnualReport, Figures, MonthlyReport, StageFigures, Tsm};

use crate::labels::words;

const COLOURS: [&str; 3] = ["#0b4f6c", "#e07a1f", "#6a994e"];

/// The monthly report page.
#[derive(Template)]
#[template(path = "monthly.html")]
struct MonthlyPage<'a> {
    title: String,
    name: String,
    landlord: &'a str,
    month: &'a str,
    stage_rows: Vec<StageRow>,
    shares: Chart,
    trend_chart: Chart,
    trend_rows: Vec<TrendRow>,
    category_chart: Chart,
    categories: Vec<Count>,
    channels: Vec<Count>,
    others: Vec<Count>,
    tsm: Vec<TsmRow>,
    support: crate::support::SupportSection,
}

/// The annual report page.
#[derive(Template)]
#[template(path = "annual.html")]
struct AnnualPage<'a> {
    title: String,
    year: String,
    landlord: &'a str,
    from: String,
    to: String,
    stage_rows: Vec<StageRow>,
    shares: Chart,
    tsm: Vec<TsmRow>,
    trend_chart: Chart,
    trend_rows: Vec<TrendRow>,
    category_chart: Chart,
    categories: Vec<Count>,
    channels: Vec<Count>,
    others: Vec<Count>,
    support: crate::support::SupportSection,
    lessons: Option<&'a str>,
    ombudsman: &'a p3_domain::report::OmbudsmanFindings,
    case_lessons: &'a [p3_domain::report::Lesson],
    governing: Option<&'a p3_domain::annual_record::GoverningBodyResponse>,
}

/// One figure for both stages.
pub(crate) struct StageRow {
    pub(crate) label: &'static str,
    pub(crate) stage1: String,
    pub(crate) stage2: String,
}

/// A named count.
pub(crate) struct Count {
    pub(crate) name: String,
    pub(crate) n: u32,
}

/// A Tenant Satisfaction Measure for both tenures.
pub(crate) struct TsmRow {
    pub(crate) label: &'static str,
    pub(crate) rental: String,
    pub(crate) ownership: String,
}

/// A month of the trend table: its name and eight figures.
pub(crate) struct TrendRow {
    pub(crate) month: String,
    pub(crate) cells: Vec<String>,
}

/// An SVG chart: its size, title, shapes in drawing order and legend (colour, name).
pub(crate) struct Chart {
    pub(crate) title: String,
    pub(crate) width: f64,
    pub(crate) height: String,
    pub(crate) shapes: Vec<Shape>,
    pub(crate) legend: Vec<(&'static str, String)>,
}

/// What a chart draws; coordinates are written as they will appear.
pub(crate) enum Shape {
    Line(Line),
    Rect(Rect),
    Text(Text),
    /// Ends a line of the SVG source.
    Break,
}

pub(crate) struct Line {
    pub(crate) x1: f64,
    pub(crate) x2: f64,
    pub(crate) y: String,
}

pub(crate) struct Rect {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) width: String,
    pub(crate) height: String,
    pub(crate) fill: &'static str,
    pub(crate) title: Option<String>,
}

pub(crate) struct Text {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) anchor: Option<&'static str>,
    pub(crate) text: String,
}

fn text(x: String, y: f64, anchor: Option<&'static str>, text: String) -> Shape {
    Shape::Text(Text {
        x,
        y: format!("{y:.1}"),
        anchor,
        text,
    })
}

pub(crate) fn month_name(m: Month) -> String {
    m.first_day().format("%B %Y").to_string()
}

fn short_month(m: Month) -> String {
    m.first_day().format("%b %y").to_string()
}

/// A month's long name, or the text as given when it is not a month.
pub(crate) fn named(month: &str, name: fn(Month) -> String) -> String {
    month
        .parse::<Month>()
        .map(name)
        .unwrap_or_else(|_| month.to_string())
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.1}"))
}

fn pct(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0)
}

/// Reads one count of a [`StageFigures`].
type StageCount = fn(&StageFigures) -> u32;

pub(crate) fn stage_rows(s1: &StageFigures, s2: &StageFigures) -> Vec<StageRow> {
    let counts: [(&'static str, StageCount); 9] = [
        ("Received", |s| s.received),
        ("Acknowledged", |s| s.acknowledged),
        ("Acknowledged within timescale", |s| {
            s.acknowledged_within_timescale
        }),
        ("Responded", |s| s.responded),
        ("Responded within P3's standard", |s| {
            s.responded_within_p3_standard
        }),
        ("Responded within the Code's timescale", |s| {
            s.responded_within_code
        }),
        ("Extensions agreed", |s| s.extensions),
        ("Open at the period's end", |s| s.open_at_month_end),
        ("Open and overdue at the period's end", |s| s.open_overdue),
    ];
    let mut rows: Vec<StageRow> = counts
        .into_iter()
        .map(|(label, get)| StageRow {
            label,
            stage1: get(s1).to_string(),
            stage2: get(s2).to_string(),
        })
        .collect();
    rows.push(StageRow {
        label: "Average working days to respond",
        stage1: opt(s1.average_working_days_to_respond),
        stage2: opt(s2.average_working_days_to_respond),
    });
    rows.push(StageRow {
        label: "Recorded more than one working day late",
        stage1: s1.recorded_late.to_string(),
        stage2: s2.recorded_late.to_string(),
    });
    rows
}

pub(crate) fn other_rows(f: &Figures) -> Vec<Count> {
    [
        ("First contact resolutions", f.first_contact_resolutions),
        ("Service requests logged", f.service_requests_logged),
        (
            "Service requests escalated to complaints",
            f.service_requests_escalated,
        ),
        ("Stage 2 requests after the window", f.stage2_requests_late),
        ("Withdrawals", f.withdrawn),
        ("Refused: over 12 months", f.refused.over_12_months),
        ("Refused: legal proceedings", f.refused.legal_proceedings),
        ("Refused: already considered", f.refused.already_considered),
        ("Outcomes: upheld", f.outcomes.upheld),
        ("Outcomes: partly upheld", f.outcomes.partly_upheld),
        ("Outcomes: not upheld", f.outcomes.not_upheld),
        ("Housing Ombudsman referrals", f.ombudsman_referrals),
        (
            "Housing Ombudsman determinations",
            f.ombudsman_determinations,
        ),
    ]
    .into_iter()
    .map(|(name, n)| Count {
        name: name.to_string(),
        n,
    })
    .collect()
}

/// Reads one measure of a [`Tsm`].
type Measure = fn(&Tsm) -> Option<f64>;

fn tsm_rows(f: &Figures) -> Vec<TsmRow> {
    let lcho = f.tsm_low_cost_home_ownership.as_ref();
    let rows: [(&'static str, Measure); 4] = [
        ("CH01(1) Stage 1 complaints per 1,000 homes", |t| {
            t.ch01_stage1_per_1000_homes
        }),
        ("CH01(2) Stage 2 complaints per 1,000 homes", |t| {
            t.ch01_stage2_per_1000_homes
        }),
        ("CH02(1) Stage 1 responded within the Code (%)", |t| {
            t.ch02_stage1_within_code_pct
        }),
        ("CH02(2) Stage 2 responded within the Code (%)", |t| {
            t.ch02_stage2_within_code_pct
        }),
    ];
    rows.into_iter()
        .map(|(label, get)| TsmRow {
            label,
            rental: opt(get(&f.tsm)),
            ownership: lcho.map_or_else(|| "not configured".to_string(), |t| opt(get(t))),
        })
        .collect()
}

/// A round axis for counts up to `max`: its top and the number of gridline steps, each step
/// a round whole number (1, 2 or 5 times a power of ten), about four of them.
fn axis(max: u32) -> (u32, u32) {
    let want = max.div_ceil(4).max(1);
    let mut p: u32 = 1;
    let step = 'found: loop {
        for m in [1, 2, 5] {
            if m * p >= want {
                break 'found m * p;
            }
        }
        p = p.saturating_mul(10);
    };
    let steps = max.div_ceil(step).max(1);
    (step * steps, steps)
}

/// Grouped vertical bars: one group per label, one bar per series.
fn grouped_bars(title: &str, labels: &[String], series: &[(&str, Vec<u32>)]) -> Chart {
    let (w, h, left, bottom, top) = (720.0, 260.0, 48.0, 36.0, 12.0);
    let (max, steps) = axis(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .max()
            .unwrap_or(0),
    );
    let plot_h = h - bottom - top;
    let group_w = (w - left - 8.0) / labels.len().max(1) as f64;
    let bar_w = (group_w * 0.8) / series.len().max(1) as f64;
    let mut shapes = Vec::new();
    for i in 0..=steps {
        let v = max / steps * i;
        let y = top + plot_h - plot_h * f64::from(i) / f64::from(steps);
        shapes.push(Shape::Line(Line {
            x1: left,
            x2: w - 8.0,
            y: format!("{y:.1}"),
        }));
        shapes.push(text(
            (left - 4.0).to_string(),
            y + 4.0,
            Some("end"),
            v.to_string(),
        ));
        shapes.push(Shape::Break);
    }
    for (g, label) in labels.iter().enumerate() {
        let gx = left + group_w * g as f64 + group_w * 0.1;
        for (k, (name, values)) in series.iter().enumerate() {
            let v = values.get(g).copied().unwrap_or(0);
            let bh = plot_h * f64::from(v) / f64::from(max);
            shapes.push(Shape::Rect(Rect {
                x: format!("{:.1}", gx + bar_w * k as f64),
                y: format!("{:.1}", top + plot_h - bh),
                width: format!("{:.1}", (bar_w - 1.0).max(1.0)),
                height: format!("{bh:.1}"),
                fill: COLOURS[k % COLOURS.len()],
                title: Some(format!("{label}: {name}: {v}")),
            }));
            shapes.push(Shape::Break);
        }
        shapes.push(text(
            format!("{:.1}", gx + group_w * 0.4),
            h - bottom + 16.0,
            Some("middle"),
            label.clone(),
        ));
        shapes.push(Shape::Break);
    }
    Chart {
        title: title.to_string(),
        width: w,
        height: h.to_string(),
        shapes,
        legend: series
            .iter()
            .enumerate()
            .map(|(k, (name, _))| (COLOURS[k % COLOURS.len()], name.to_string()))
            .collect(),
    }
}

/// Horizontal bars of percentages (0 to 100), with "n/a" where a share cannot be computed.
fn share_bars(title: &str, items: &[(String, u32, u32)]) -> Chart {
    let (w, row_h, label_w) = (720.0, 26.0, 260.0);
    let h = row_h * items.len() as f64 + 12.0;
    let bar_max = w - label_w - 180.0;
    let mut shapes = Vec::new();
    for (i, (label, part, whole)) in items.iter().enumerate() {
        let y = 8.0 + row_h * i as f64;
        shapes.push(text("0".into(), y + 12.0, None, label.clone()));
        shapes.push(Shape::Rect(Rect {
            x: label_w.to_string(),
            y: format!("{y:.1}"),
            width: bar_max.to_string(),
            height: "16".into(),
            fill: "#eef1f3",
            title: None,
        }));
        shapes.push(Shape::Break);
        let share = match pct(*part, *whole) {
            Some(p) => {
                shapes.push(Shape::Rect(Rect {
                    x: label_w.to_string(),
                    y: format!("{y:.1}"),
                    width: format!("{:.1}", bar_max * p / 100.0),
                    height: "16".into(),
                    fill: COLOURS[0],
                    title: None,
                }));
                shapes.push(Shape::Break);
                format!("{p:.1}% ({part} of {whole})")
            }
            None => "n/a (none)".to_string(),
        };
        shapes.push(text(
            format!("{:.1}", label_w + bar_max + 6.0),
            y + 12.0,
            None,
            share,
        ));
        shapes.push(Shape::Break);
    }
    Chart {
        title: title.to_string(),
        width: w,
        height: h.to_string(),
        shapes,
        legend: Vec::new(),
    }
}

/// Horizontal bars of counts, largest first; no shapes at all when there is nothing to count.
pub(crate) fn count_bars(title: &str, items: &[Count]) -> Chart {
    let (w, row_h, label_w) = (720.0, 24.0, 200.0);
    let h = row_h * items.len() as f64 + 12.0;
    let max = items.iter().map(|c| c.n).max().unwrap_or(1).max(1);
    let bar_max = w - label_w - 60.0;
    let mut shapes = Vec::new();
    for (i, c) in items.iter().enumerate() {
        let y = 6.0 + row_h * i as f64;
        let bw = bar_max * f64::from(c.n) / f64::from(max);
        shapes.push(text("0".into(), y + 12.0, None, c.name.clone()));
        shapes.push(Shape::Rect(Rect {
            x: label_w.to_string(),
            y: format!("{y:.1}"),
            width: format!("{bw:.1}"),
            height: "16".into(),
            fill: COLOURS[2],
            title: None,
        }));
        shapes.push(text(
            format!("{:.1}", label_w + bw + 6.0),
            y + 12.0,
            None,
            c.n.to_string(),
        ));
        shapes.push(Shape::Break);
    }
    Chart {
        title: title.to_string(),
        width: w,
        height: h.to_string(),
        shapes,
        legend: Vec::new(),
    }
}

pub(crate) fn sorted_counts(map: &std::collections::BTreeMap<String, u32>) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .iter()
        .map(|(k, n)| Count {
            name: words(k),
            n: *n,
        })
        .collect();
    v.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.name.cmp(&b.name)));
    v
}

fn share_items(f: &Figures) -> Vec<(String, u32, u32)> {
    let mut items = Vec::new();
    for (n, s) in [(1, &f.stage1), (2, &f.stage2)] {
        items.push((
            format!("Stage {n} acknowledged within timescale"),
            s.acknowledged_within_timescale,
            s.acknowledged,
        ));
        items.push((
            format!("Stage {n} responded within P3's standard"),
            s.responded_within_p3_standard,
            s.responded,
        ));
        items.push((
            format!("Stage {n} responded within the Code"),
            s.responded_within_code,
            s.responded,
        ));
    }
    items
}

pub(crate) fn trend_chart(title: &str, months: &[MonthlyReport]) -> Chart {
    let labels: Vec<String> = months
        .iter()
        .map(|m| named(&m.month, short_month))
        .collect();
    let series = [
        (
            "Stage 1 received",
            months.iter().map(|m| m.figures.stage1.received).collect(),
        ),
        (
            "Stage 1 responded",
            months.iter().map(|m| m.figures.stage1.responded).collect(),
        ),
        (
            "Stage 2 received",
            months.iter().map(|m| m.figures.stage2.received).collect(),
        ),
    ];
    grouped_bars(title, &labels, &series)
}

/// Nine columns do not fit a phone: the table scrolls inside its own region (focusable, so a
/// keyboard can scroll it too), never the page.
pub(crate) fn trend_rows(months: &[MonthlyReport]) -> Vec<TrendRow> {
    months
        .iter()
        .map(|m| {
            let (s1, s2) = (&m.figures.stage1, &m.figures.stage2);
            TrendRow {
                month: named(&m.month, month_name),
                cells: vec![
                    s1.received.to_string(),
                    s1.responded.to_string(),
                    share_text(s1.responded_within_code, s1.responded),
                    s2.received.to_string(),
                    s2.responded.to_string(),
                    share_text(s2.responded_within_code, s2.responded),
                    (s1.open_at_month_end + s2.open_at_month_end).to_string(),
                    (s1.open_overdue + s2.open_overdue).to_string(),
                ],
            }
        })
        .collect()
}

fn share_text(part: u32, whole: u32) -> String {
    pct(part, whole).map_or_else(|| "n/a".to_string(), |p| format!("{p:.1}%"))
}

/// The page as text, ending with a newline (askama drops a template's last one). A template
/// that cannot render (none of these fails on any values) leaves a note rather than a panic.
pub(crate) fn rendered(page: &impl Template) -> String {
    match page.render() {
        Ok(mut html) => {
            html.push('\n');
            html
        }
        Err(e) => format!("<!DOCTYPE html>\n<p>The report could not be drawn: {e}</p>\n"),
    }
}

/// The printable monthly report: key figures, the share within timescale, the trend of the
/// last 12 months (`trend`, oldest first, ending with this month), categories, channels,
/// outcomes and the Tenant Satisfaction Measures.
pub fn monthly(landlord: &str, report: &MonthlyReport, trend: &[MonthlyReport]) -> String {
    let name = named(&report.month, month_name);
    let f = &report.figures;
    let categories = sorted_counts(&f.by_category);
    rendered(&MonthlyPage {
        title: format!("{landlord}: complaints performance, {name}"),
        name,
        landlord,
        month: &report.month,
        stage_rows: stage_rows(&f.stage1, &f.stage2),
        shares: share_bars("Share within timescale", &share_items(f)),
        trend_chart: trend_chart("Complaints by month, last 12 months", trend),
        trend_rows: trend_rows(trend),
        category_chart: count_bars("Stage 1 complaints by category", &categories),
        categories,
        channels: sorted_counts(&f.by_channel),
        others: other_rows(f),
        tsm: tsm_rows(f),
        support: crate::support::section(&f.support_services),
    })
}

/// The financial year as `2025/26`.
pub fn year_name(year: i32) -> String {
    format!("{year}/{:02}", (year + 1).rem_euclid(100))
}

/// The Annual Complaints Performance and Service Improvement Report: the year's figures, the
/// trend by month, themes, the TSMs and the landlord's lessons learned (`lessons`, shown as
/// escaped text; a placeholder when none is configured).
pub fn annual(landlord: &str, report: &AnnualReport, lessons: Option<&str>) -> String {
    let f = &report.totals;
    let year = year_name(report.year);
    let categories = sorted_counts(&f.by_category);
    rendered(&AnnualPage {
        title: format!(
            "{landlord}: Annual Complaints Performance and Service Improvement Report {year}"
        ),
        year,
        landlord,
        from: named(&report.from, month_name),
        to: named(&report.to, month_name),
        stage_rows: stage_rows(&f.stage1, &f.stage2),
        shares: share_bars("Share within timescale over the year", &share_items(f)),
        tsm: tsm_rows(f),
        trend_chart: trend_chart("Complaints by month", &report.months),
        trend_rows: trend_rows(&report.months),
        category_chart: count_bars("Stage 1 complaints by category over the year", &categories),
        categories,
        channels: sorted_counts(&f.by_channel),
        others: other_rows(f),
        support: crate::support::section(&f.support_services),
        lessons: lessons.map(str::trim).filter(|t| !t.is_empty()),
        ombudsman: &report.ombudsman,
        case_lessons: &report.lessons,
        governing: report.governing_body_response.as_ref(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers_divided_into_whole_steps() {
        assert_eq!(axis(0), (1, 1));
        assert_eq!(axis(2), (2, 2));
        assert_eq!(axis(3), (3, 3));
        assert_eq!(axis(7), (8, 4));
        assert_eq!(axis(20_129), (30_000, 3));
        assert_eq!(axis(19_000), (20_000, 4));
        assert_eq!(axis(1_959), (2_000, 4));
    }
}
