//! Printable HTML reports with inline SVG charts. Every piece of text that comes from data or
//! configuration is escaped; nothing is loaded from elsewhere (no scripts, fonts or images).

use std::fmt::Write;

use p3_domain::london::Month;
use p3_domain::report::{AnnualReport, Figures, MonthlyReport, StageFigures, Tsm};

use crate::escape::html as esc;
use crate::labels::words;

const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Arial, sans-serif; color: #1b1b1b;
  max-width: 960px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #0b4f6c; padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; }
.sub { color: #505a5f; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
thead th { border-bottom: 2px solid #505a5f; }
figure { margin: .5rem 0 1rem; }
.wide { overflow-x: auto; }
.wide:focus { outline: 3px solid #ffbf47; }
svg { width: 100%; height: auto; }
svg text { font-family: inherit; font-size: 12px; fill: #1b1b1b; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
.lessons { white-space: pre-wrap; border-left: 4px solid #0b4f6c; padding: .5rem 1rem; background: #f3f6f8; }
.placeholder { color: #505a5f; font-style: italic; }
dl.defs dt { font-weight: 600; margin-top: .4rem; }
dl.defs dd { margin-left: 1rem; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  .wide { overflow: visible; }
  h2 { break-after: avoid; }
  section, table, svg, figure { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
";

const COLOURS: [&str; 3] = ["#0b4f6c", "#e07a1f", "#6a994e"];

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

fn month_name(m: Month) -> String {
    m.first_day().format("%B %Y").to_string()
}

fn short_month(m: Month) -> String {
    m.first_day().format("%b %y").to_string()
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.1}"))
}

fn pct(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0)
}

fn stage_rows(s1: &StageFigures, s2: &StageFigures) -> String {
    let rows: [(&str, String, String); 10] = [
        ("Received", s1.received.to_string(), s2.received.to_string()),
        (
            "Acknowledged",
            s1.acknowledged.to_string(),
            s2.acknowledged.to_string(),
        ),
        (
            "Acknowledged within timescale",
            s1.acknowledged_within_timescale.to_string(),
            s2.acknowledged_within_timescale.to_string(),
        ),
        (
            "Responded",
            s1.responded.to_string(),
            s2.responded.to_string(),
        ),
        (
            "Responded within P3's standard",
            s1.responded_within_p3_standard.to_string(),
            s2.responded_within_p3_standard.to_string(),
        ),
        (
            "Responded within the Code's timescale",
            s1.responded_within_code.to_string(),
            s2.responded_within_code.to_string(),
        ),
        (
            "Extensions agreed",
            s1.extensions.to_string(),
            s2.extensions.to_string(),
        ),
        (
            "Open at the period's end",
            s1.open_at_month_end.to_string(),
            s2.open_at_month_end.to_string(),
        ),
        (
            "Open and overdue at the period's end",
            s1.open_overdue.to_string(),
            s2.open_overdue.to_string(),
        ),
        (
            "Average working days to respond",
            opt(s1.average_working_days_to_respond),
            opt(s2.average_working_days_to_respond),
        ),
    ];
    let mut out = String::from(
        "<table>\n<thead><tr><th>Figure</th><th class=\"n\">Stage 1</th><th class=\"n\">Stage 2</th></tr></thead>\n<tbody>\n",
    );
    for (label, a, b) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{label}</td><td class=\"n\">{a}</td><td class=\"n\">{b}</td></tr>"
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn count_table(heading: &str, rows: &[(String, u32)]) -> String {
    let mut out = format!(
        "<table>\n<thead><tr><th>{}</th><th class=\"n\">Count</th></tr></thead>\n<tbody>\n",
        esc(heading)
    );
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"2\">None</td></tr>\n");
    }
    for (name, n) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
            esc(name)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn other_rows(f: &Figures) -> Vec<(String, u32)> {
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
    .map(|(l, n)| (l.to_string(), n))
    .collect()
}

/// Reads one measure of a [`Tsm`].
type Measure = fn(&Tsm) -> Option<f64>;

fn tsm_table(f: &Figures) -> String {
    let lcho = f.tsm_low_cost_home_ownership.as_ref();
    let rows: [(&str, Measure); 4] = [
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
    let mut out = String::from(
        "<table>\n<thead><tr><th>Measure</th><th class=\"n\">Low-cost rental</th><th class=\"n\">Low-cost home ownership</th></tr></thead>\n<tbody>\n",
    );
    for (label, get) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{label}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            opt(get(&f.tsm)),
            lcho.map_or_else(|| "not configured".to_string(), |t| opt(get(t)))
        );
    }
    out.push_str("</tbody>\n</table>\n<p class=\"sub\">n/a: cannot be computed (no homes configured, or nothing responded to).</p>\n");
    out
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
fn grouped_bars(title: &str, labels: &[String], series: &[(&str, Vec<u32>)]) -> String {
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
    let mut s = format!(
        "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n",
        esc(title),
        esc(title)
    );
    for i in 0..=steps {
        let v = max / steps * i;
        let y = top + plot_h - plot_h * f64::from(i) / f64::from(steps);
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#d0d7de\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - 8.0,
            left - 4.0,
            y + 4.0,
            v
        );
    }
    for (g, label) in labels.iter().enumerate() {
        let gx = left + group_w * g as f64 + group_w * 0.1;
        for (k, (name, values)) in series.iter().enumerate() {
            let v = values.get(g).copied().unwrap_or(0);
            let bh = plot_h * f64::from(v) / f64::from(max);
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}: {}: {v}</title></rect>",
                gx + bar_w * k as f64,
                top + plot_h - bh,
                (bar_w - 1.0).max(1.0),
                COLOURS[k % COLOURS.len()],
                esc(label),
                esc(name)
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            gx + group_w * 0.4,
            h - bottom + 16.0,
            esc(label)
        );
    }
    s.push_str("</svg>\n<figcaption class=\"legend\">");
    for (k, (name, _)) in series.iter().enumerate() {
        let _ = write!(
            s,
            "<span><span class=\"swatch\" style=\"background:{}\"></span>{}</span>",
            COLOURS[k % COLOURS.len()],
            esc(name)
        );
    }
    s.push_str("</figcaption>\n</figure>\n");
    s
}

/// Horizontal bars of percentages (0 to 100), with "n/a" where a share cannot be computed.
fn share_bars(title: &str, items: &[(String, u32, u32)]) -> String {
    let (w, row_h, label_w) = (720.0, 26.0, 260.0);
    let h = row_h * items.len() as f64 + 12.0;
    let bar_max = w - label_w - 180.0;
    let mut s = format!(
        "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n",
        esc(title),
        esc(title)
    );
    for (i, (label, part, whole)) in items.iter().enumerate() {
        let y = 8.0 + row_h * i as f64;
        let share = pct(*part, *whole);
        let _ = writeln!(
            s,
            "<text x=\"0\" y=\"{:.1}\">{}</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{bar_max}\" height=\"16\" fill=\"#eef1f3\"/>",
            y + 12.0,
            esc(label)
        );
        let text = match share {
            Some(p) => {
                let _ = writeln!(
                    s,
                    "<rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"16\" fill=\"{}\"/>",
                    bar_max * p / 100.0,
                    COLOURS[0]
                );
                format!("{p:.1}% ({part} of {whole})")
            }
            None => "n/a (none)".to_string(),
        };
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w + bar_max + 6.0,
            y + 12.0,
            esc(&text)
        );
    }
    s.push_str("</svg>\n</figure>\n");
    s
}

/// Horizontal bars of counts, largest first.
fn count_bars(title: &str, items: &[(String, u32)]) -> String {
    if items.is_empty() {
        return "<p>None in this period.</p>\n".to_string();
    }
    let (w, row_h, label_w) = (720.0, 24.0, 200.0);
    let h = row_h * items.len() as f64 + 12.0;
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let bar_max = w - label_w - 60.0;
    let mut s = format!(
        "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n",
        esc(title),
        esc(title)
    );
    for (i, (label, n)) in items.iter().enumerate() {
        let y = 6.0 + row_h * i as f64;
        let bw = bar_max * f64::from(*n) / f64::from(max);
        let _ = writeln!(
            s,
            "<text x=\"0\" y=\"{:.1}\">{}</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"16\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{n}</text>",
            y + 12.0,
            esc(label),
            COLOURS[2],
            label_w + bw + 6.0,
            y + 12.0
        );
    }
    s.push_str("</svg>\n</figure>\n");
    s
}

fn sorted_counts(map: &std::collections::BTreeMap<String, u32>) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = map.iter().map(|(k, n)| (words(k), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
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

fn trend_chart(title: &str, months: &[MonthlyReport]) -> String {
    let labels: Vec<String> = months
        .iter()
        .map(|m| {
            m.month
                .parse::<Month>()
                .map(short_month)
                .unwrap_or_else(|_| m.month.clone())
        })
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

fn trend_table(months: &[MonthlyReport]) -> String {
    // Nine columns do not fit a phone: the table scrolls inside its own region (focusable, so
    // a keyboard can scroll it too), never the page.
    let mut out = String::from(
        "<div class=\"wide\" role=\"region\" aria-label=\"Month by month\" tabindex=\"0\">\n<table>\n<thead><tr><th>Month</th><th class=\"n\">Stage 1 received</th><th class=\"n\">Stage 1 responded</th><th class=\"n\">Within the Code</th><th class=\"n\">Stage 2 received</th><th class=\"n\">Stage 2 responded</th><th class=\"n\">Within the Code</th><th class=\"n\">Open at month end</th><th class=\"n\">Overdue</th></tr></thead>\n<tbody>\n",
    );
    for m in months {
        let (s1, s2) = (&m.figures.stage1, &m.figures.stage2);
        let name = m
            .month
            .parse::<Month>()
            .map(month_name)
            .unwrap_or_else(|_| m.month.clone());
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&name),
            s1.received,
            s1.responded,
            share_text(s1.responded_within_code, s1.responded),
            s2.received,
            s2.responded,
            share_text(s2.responded_within_code, s2.responded),
            s1.open_at_month_end + s2.open_at_month_end,
            s1.open_overdue + s2.open_overdue
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    out
}

fn share_text(part: u32, whole: u32) -> String {
    pct(part, whole).map_or_else(|| "n/a".to_string(), |p| format!("{p:.1}%"))
}

const DEFINITIONS: &str = "<dl class=\"defs\">
<dt>Month of a figure</dt><dd>Each count belongs to the Europe/London month of its event's date (when it happened, not when it was recorded): received by receipt date (Stage 2: the request date), acknowledged by acknowledgement date, responded by response date.</dd>
<dt>Open, overdue</dt><dd>Taken at 23:59:59 on the period's last day: open = received and not yet responded to, withdrawn or refused at that stage; overdue = open with P3's response deadline, as it stood then, on or before that day.</dd>
<dt>Within timescale</dt><dd>An extension agreed within the limits keeps a response within both P3's standard and the Code. A first contact resolution counts as received, acknowledged and responded within timescale at Stage 1, in 0 working days.</dd>
<dt>Scope</dt><dd>Complaints on the housing procedure; complaints about support services follow a separate procedure. n/a means a figure cannot be computed, never zero.</dd>
</dl>
";

/// The printable monthly report: key figures, the share within timescale, the trend of the
/// last 12 months (`trend`, oldest first, ending with this month), categories, channels,
/// outcomes and the Tenant Satisfaction Measures.
pub fn monthly(landlord: &str, report: &MonthlyReport, trend: &[MonthlyReport]) -> String {
    let name = report
        .month
        .parse::<Month>()
        .map(month_name)
        .unwrap_or_else(|_| report.month.clone());
    let f = &report.figures;
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header>\n<h1>Complaints performance: {}</h1>\n<p class=\"sub\">{} · monthly report for {} · every figure is counted from the recorded events of each case</p>\n</header>",
        esc(&name),
        esc(landlord),
        esc(&report.month)
    );
    b.push_str("<section>\n<h2>Key figures</h2>\n");
    b.push_str(&stage_rows(&f.stage1, &f.stage2));
    b.push_str("</section>\n<section>\n<h2>Share within timescale</h2>\n");
    b.push_str(&share_bars("Share within timescale", &share_items(f)));
    b.push_str("</section>\n<section>\n<h2>Trend: the last 12 months</h2>\n");
    b.push_str(&trend_chart("Complaints by month, last 12 months", trend));
    b.push_str(&trend_table(trend));
    b.push_str("</section>\n<section>\n<h2>Categories</h2>\n");
    let categories = sorted_counts(&f.by_category);
    b.push_str(&count_bars("Stage 1 complaints by category", &categories));
    b.push_str(&count_table("Category", &categories));
    b.push_str("</section>\n<section>\n<h2>Channels</h2>\n");
    b.push_str(&count_table("Channel", &sorted_counts(&f.by_channel)));
    b.push_str(
        "</section>\n<section>\n<h2>Outcomes, withdrawals, refusals and the Ombudsman</h2>\n",
    );
    b.push_str(&count_table("Figure", &other_rows(f)));
    b.push_str("</section>\n<section>\n<h2>Tenant Satisfaction Measures</h2>\n");
    b.push_str(&tsm_table(f));
    b.push_str("</section>\n<section>\n<h2>Definitions</h2>\n");
    b.push_str(DEFINITIONS);
    b.push_str("</section>\n");
    page(&format!("{landlord}: complaints performance, {name}"), &b)
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
    let from = report
        .from
        .parse::<Month>()
        .map(month_name)
        .unwrap_or_else(|_| report.from.clone());
    let to = report
        .to
        .parse::<Month>()
        .map(month_name)
        .unwrap_or_else(|_| report.to.clone());
    let year = year_name(report.year);
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header>\n<h1>Annual Complaints Performance and Service Improvement Report {}</h1>\n<p class=\"sub\">{} · {} to {} · every figure is counted from the recorded events of each case</p>\n</header>",
        esc(&year),
        esc(landlord),
        esc(&from),
        esc(&to)
    );
    b.push_str("<section>\n<h2>The year's figures</h2>\n");
    b.push_str(&stage_rows(&f.stage1, &f.stage2));
    b.push_str(&share_bars(
        "Share within timescale over the year",
        &share_items(f),
    ));
    b.push_str("</section>\n<section>\n<h2>Tenant Satisfaction Measures</h2>\n");
    b.push_str(&tsm_table(f));
    b.push_str("</section>\n<section>\n<h2>Month by month</h2>\n");
    b.push_str(&trend_chart("Complaints by month", &report.months));
    b.push_str(&trend_table(&report.months));
    b.push_str("</section>\n<section>\n<h2>Themes</h2>\n");
    let categories = sorted_counts(&f.by_category);
    b.push_str(&count_bars(
        "Stage 1 complaints by category over the year",
        &categories,
    ));
    b.push_str(&count_table("Category", &categories));
    b.push_str(&count_table("Channel", &sorted_counts(&f.by_channel)));
    b.push_str(
        "</section>\n<section>\n<h2>Outcomes, withdrawals, refusals and the Ombudsman</h2>\n",
    );
    b.push_str(&count_table("Figure", &other_rows(f)));
    b.push_str("</section>\n<section>\n<h2>Lessons learned and service improvements</h2>\n");
    match lessons.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => {
            let _ = writeln!(b, "<div class=\"lessons\">{}</div>", esc(text));
        }
        None => b.push_str(
            "<p class=\"placeholder\">[The landlord's account of what it learned from complaints this year and the improvements it made goes here: set <code>[reports] lessons_learned_file</code> in the configuration to a text or Markdown file.]</p>\n",
        ),
    }
    b.push_str("</section>\n<section>\n<h2>Definitions</h2>\n");
    b.push_str(DEFINITIONS);
    b.push_str("</section>\n");
    page(
        &format!("{landlord}: Annual Complaints Performance and Service Improvement Report {year}"),
        &b,
    )
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
