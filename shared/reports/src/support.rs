//! The support-services section of every report (HTML, Excel, the quarterly email): the
//! separate three-stage procedure's figures, beside the housing ones and never in the TSMs.

use p3_domain::report::StageFigures;
use p3_domain::report_support::SupportFigures;

/// One figure for the procedure's three stages.
pub(crate) struct SupportRow {
    pub(crate) label: &'static str,
    pub(crate) stages: [String; 3],
}

/// The support-services section: a row per stage figure, then the counts outside the stages.
pub(crate) struct SupportSection {
    pub(crate) rows: Vec<SupportRow>,
    pub(crate) counts: Vec<(&'static str, u32)>,
}

type Get = fn(&StageFigures) -> String;

/// The stage figures of the section: label and how each stage's value is read.
pub(crate) fn stage_figures() -> [(&'static str, Get); 11] {
    fn opt(v: Option<f64>) -> String {
        v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "n/a".into())
    }
    [
        ("Received", |s| s.received.to_string()),
        ("Acknowledged", |s| s.acknowledged.to_string()),
        ("Acknowledged within timescale", |s| {
            s.acknowledged_within_timescale.to_string()
        }),
        ("Responded", |s| s.responded.to_string()),
        ("Responded within timescale", |s| {
            s.responded_within_p3_standard.to_string()
        }),
        ("Responded within the Code's timescale", |s| {
            s.responded_within_code.to_string()
        }),
        ("Extensions agreed", |s| s.extensions.to_string()),
        ("Open at the period's end", |s| {
            s.open_at_month_end.to_string()
        }),
        ("Open and overdue at the period's end", |s| {
            s.open_overdue.to_string()
        }),
        ("Average working days to respond", |s| {
            opt(s.average_working_days_to_respond)
        }),
        ("Recorded more than one working day late", |s| {
            s.recorded_late.to_string()
        }),
    ]
}

/// The section of `f`.
pub(crate) fn section(f: &SupportFigures) -> SupportSection {
    let stages = [&f.stage1, &f.stage2, &f.stage3];
    SupportSection {
        rows: stage_figures()
            .into_iter()
            .map(|(label, get)| SupportRow {
                label,
                stages: stages.map(get),
            })
            .collect(),
        counts: vec![
            ("Requests for a later stage (escalations)", f.escalations),
            ("Of which after the window", f.escalations_late),
            ("Withdrawals", f.withdrawn),
            ("Refusals", f.refused),
            ("Outcomes: upheld", f.outcomes.upheld),
            ("Outcomes: partly upheld", f.outcomes.partly_upheld),
            ("Outcomes: not upheld", f.outcomes.not_upheld),
        ],
    }
}

/// Writes the section into a workbook's summary sheet from row `r` (after a blank row): its
/// heading, a row per stage figure with Stage 1 to 3 in columns B to D, then the counts;
/// answers the row after it.
pub(crate) fn write_sheet_section(
    ws: &mut rust_xlsxwriter::Worksheet,
    mut r: u32,
    f: &SupportFigures,
    head: &rust_xlsxwriter::Format,
) -> Result<u32, crate::ReportError> {
    let err = |e: rust_xlsxwriter::XlsxError| crate::ReportError::Render(e.to_string());
    let s = section(f);
    r += 1;
    for (c, h) in ["Support services", "Stage 1", "Stage 2", "Stage 3"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(r, c as u16, *h, head)
            .map_err(err)?;
    }
    r += 1;
    for row in &s.rows {
        ws.write_string(r, 0, row.label).map_err(err)?;
        for (i, v) in row.stages.iter().enumerate() {
            let c = i as u16 + 1;
            match v.parse::<f64>() {
                Ok(n) => ws.write_number(r, c, n).map_err(err)?,
                Err(_) => ws.write_string(r, c, v).map_err(err)?,
            };
        }
        r += 1;
    }
    for (label, n) in &s.counts {
        ws.write_string(r, 0, *label).map_err(err)?;
        ws.write_number(r, 1, f64::from(*n)).map_err(err)?;
        r += 1;
    }
    Ok(r)
}
