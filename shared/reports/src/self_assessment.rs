//! The annual self-assessment against the Complaint Handling Code ([`p3_domain::self_assessment`])
//! as JSON (the domain's shape), CSV and an Excel workbook (one row per requirement) and a
//! printable HTML page, published with the annual report.

use askama::Template;
use p3_domain::self_assessment::{AssessedSection, EvidenceLine, SelfAssessment};
use rust_xlsxwriter::{DocProperties, Format as XlsxFormat, FormatAlign, FormatBorder, Workbook};

use crate::escape::inert;
use crate::html::year_name;
use crate::{render, Format, Rendered, ReportError};

/// The file name of a year's self-assessment: `self-assessment-2025-26.csv`.
pub fn file_name(year: i32, format: Format) -> String {
    format!(
        "self-assessment-{year}-{:02}.{}",
        (year + 1).rem_euclid(100),
        format.extension()
    )
}

/// The columns of the CSV and the workbook.
pub const COLUMNS: [&str; 8] = [
    "section",
    "section_title",
    "requirement",
    "text",
    "evidence",
    "examples",
    "commentary",
    "action_plan",
];

/// One evidence line as text: `label: value`.
fn evidence_text(e: &EvidenceLine) -> String {
    format!("{}: {}", e.label, e.value)
}

/// The rows of the CSV and the workbook: one per requirement, its evidence lines and example
/// cases each on a line of their cell.
fn rows(sa: &SelfAssessment) -> Vec<[String; 8]> {
    let mut out = Vec::new();
    for s in &sa.sections {
        for r in &s.requirements {
            let examples: Vec<String> = r
                .evidence
                .iter()
                .flat_map(|e| e.examples.iter().cloned())
                .fold(Vec::new(), |mut acc, x| {
                    if !acc.contains(&x) {
                        acc.push(x);
                    }
                    acc
                });
            out.push([
                s.number.to_string(),
                s.title.clone(),
                r.code.clone(),
                r.text.clone(),
                r.evidence
                    .iter()
                    .map(evidence_text)
                    .collect::<Vec<_>>()
                    .join("\n"),
                examples.join("\n"),
                r.commentary.clone().unwrap_or_default(),
                r.action_plan.clone().unwrap_or_default(),
            ]);
        }
    }
    out
}

fn csv(sa: &SelfAssessment) -> Result<Vec<u8>, ReportError> {
    let err = |e: csv::Error| ReportError::Render(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(err)?;
    for row in rows(sa) {
        w.write_record(row.iter().map(|c| inert(c).into_owned()))
            .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ReportError::Render(e.to_string()))
}

fn xlsx(landlord: &str, sa: &SelfAssessment) -> Result<Vec<u8>, ReportError> {
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Render(e.to_string());
    let mut wb = Workbook::new();
    // Dated the day after the year's end, so the same assessment gives the same bytes.
    let created =
        rust_xlsxwriter::ExcelDateTime::from_ymd((sa.year + 1) as u16, 4, 1).map_err(err)?;
    let title = format!(
        "{landlord}: self-assessment against the {} {}",
        sa.code,
        year_name(sa.year)
    );
    wb.set_properties(
        &DocProperties::new()
            .set_title(&title)
            .set_creation_datetime(&created),
    );
    let head = XlsxFormat::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let wrap = XlsxFormat::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let ws = wb.add_worksheet();
    ws.set_name("Self-assessment").map_err(err)?;
    ws.write_string_with_format(0, 0, inert(&title), &XlsxFormat::new().set_bold())
        .map_err(err)?;
    for (c, (h, width)) in COLUMNS
        .iter()
        .zip([8.0, 24.0, 12.0, 60.0, 60.0, 18.0, 50.0, 50.0])
        .enumerate()
    {
        ws.write_string_with_format(2, c as u16, *h, &head)
            .map_err(err)?;
        ws.set_column_width(c as u16, width).map_err(err)?;
    }
    for (i, row) in rows(sa).into_iter().enumerate() {
        let r = i as u32 + 3;
        for (c, cell) in row.iter().enumerate() {
            ws.write_string_with_format(r, c as u16, inert(cell), &wrap)
                .map_err(err)?;
        }
    }
    ws.set_freeze_panes(3, 3).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

/// The printable self-assessment.
#[derive(Template)]
#[template(path = "self_assessment.html")]
struct Page<'a> {
    title: String,
    landlord: &'a str,
    year: String,
    code: &'a str,
    sections: &'a [AssessedSection],
}

fn html(landlord: &str, sa: &SelfAssessment) -> String {
    let year = year_name(sa.year);
    let page = Page {
        title: format!("{landlord}: Complaint Handling Code self-assessment {year}"),
        landlord,
        year,
        code: &sa.code,
        sections: &sa.sections,
    };
    match page.render() {
        Ok(mut html) => {
            html.push('\n');
            html
        }
        Err(e) => format!("<!DOCTYPE html>\n<p>The self-assessment could not be drawn: {e}</p>\n"),
    }
}

/// The self-assessment in one format.
pub fn render(
    sa: &SelfAssessment,
    landlord: &str,
    format: Format,
) -> Result<Rendered, ReportError> {
    let bytes = match format {
        Format::Json => render::json(sa)?,
        Format::Csv => csv(sa)?,
        Format::Xlsx => xlsx(landlord, sa)?,
        Format::Html => html(landlord, sa).into_bytes(),
    };
    Ok(Rendered {
        file_name: file_name(sa.year, format),
        content_type: format.content_type(),
        bytes,
    })
}
