//! A month's report as JSON, CSV and an Excel workbook.

use p3_domain::report::MonthlyReport;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet};
use serde_json::Value;

use crate::cases::{deadline_columns, CaseLine};
use crate::escape::inert;
use crate::labels::{self, OTHER_FIGURES, STAGE_FIGURES, TSM_FIGURES};
use crate::ReportError;

/// The report as pretty JSON with a final newline: exactly the domain's keys.
pub fn json<T: serde::Serialize>(report: &T) -> Result<Vec<u8>, ReportError> {
    let mut out =
        serde_json::to_vec_pretty(report).map_err(|e| ReportError::Render(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// A cell of the cases table: text (made inert), a number, or a date.
enum Cell {
    Text(String),
    Number(f64),
    Date(chrono::NaiveDate),
    Empty,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn opt_text(s: &Option<String>) -> Cell {
    s.as_ref().map_or(Cell::Empty, |s| text(s.clone()))
}

/// The header and rows of the cases table, shared by the CSV and the workbook.
fn case_table(lines: &[CaseLine]) -> (Vec<String>, Vec<Vec<Cell>>) {
    let kinds = deadline_columns(lines);
    let mut header: Vec<String> = [
        "reference",
        "procedure",
        "received_on",
        "channel",
        "category",
        "tenure",
        "stage",
        "status",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for k in &kinds {
        header.push(format!("{k}_due"));
        header.push(format!("{k}_status"));
    }
    for h in [
        "extended_working_days",
        "outcome",
        "resolved_at_first_contact",
        "service_request",
        "stage1_recorded_late",
        "stage2_recorded_late",
    ] {
        header.push(h.to_string());
    }
    let rows = lines
        .iter()
        .map(|l| {
            let mut row = vec![
                text(l.reference.clone()),
                text(l.procedure.clone()),
                Cell::Date(l.received_on),
                text(l.channel.clone()),
                opt_text(&l.category),
                text(l.tenure.clone()),
                Cell::Number(f64::from(l.stage)),
                text(l.status.clone()),
            ];
            for k in &kinds {
                match l.deadlines.iter().find(|(dk, _, _)| dk == k) {
                    Some((_, due, status)) => {
                        row.push(Cell::Date(*due));
                        row.push(text(
                            serde_json::to_value(status)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default(),
                        ));
                    }
                    None => {
                        row.push(Cell::Empty);
                        row.push(Cell::Empty);
                    }
                }
            }
            row.push(Cell::Number(f64::from(l.extended_working_days)));
            row.push(opt_text(&l.outcome));
            row.push(text(if l.resolved_at_first_contact {
                "yes"
            } else {
                "no"
            }));
            row.push(opt_text(&l.service_request));
            for n in l.recorded_late {
                row.push(Cell::Number(f64::from(n)));
            }
            row
        })
        .collect();
    (header, rows)
}

/// The month's cases as CSV (RFC 4180, UTF-8, header row): one row per case, no resident
/// contact details; text cells made inert, numbers left as numbers, dates as `YYYY-MM-DD`.
pub fn csv(lines: &[CaseLine]) -> Result<Vec<u8>, ReportError> {
    let (header, rows) = case_table(lines);
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| ReportError::Render(e.to_string());
    w.write_record(&header).map_err(err)?;
    for row in rows {
        let fields: Vec<String> = row
            .into_iter()
            .map(|c| match c {
                Cell::Text(s) => inert(&s).into_owned(),
                Cell::Number(n) => number_text(n),
                Cell::Date(d) => d.to_string(),
                Cell::Empty => String::new(),
            })
            .collect();
        w.write_record(&fields).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ReportError::Render(e.to_string()))
}

/// A number as text: whole numbers without a decimal point.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> ReportError {
    ReportError::Render(e.to_string())
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, ReportError> {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(xlsx_err)
}

/// Writes a figure: a number, `n/a` for null (cannot be computed), or inert text.
fn write_value(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &Value,
    number: &Format,
) -> Result<(), ReportError> {
    match v {
        Value::Number(n) => {
            ws.write_number_with_format(row, col, n.as_f64().unwrap_or(0.0), number)
                .map_err(xlsx_err)?;
        }
        Value::Null => {
            ws.write_string(row, col, "n/a").map_err(xlsx_err)?;
        }
        other => {
            let s = other
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| other.to_string());
            ws.write_string(row, col, inert(&s)).map_err(xlsx_err)?;
        }
    }
    Ok(())
}

/// The month's report as an Excel workbook: a "Summary" sheet with every figure and a "Cases"
/// sheet with one row per case (as in the CSV). Text cells are made inert; numbers and dates
/// are real numbers and dates. Its document date is the month's end, so the same report
/// gives the same bytes.
pub fn xlsx(
    landlord: &str,
    report: &MonthlyReport,
    lines: &[CaseLine],
) -> Result<Vec<u8>, ReportError> {
    let month: p3_domain::london::Month = report
        .month
        .parse()
        .map_err(|e: String| ReportError::Render(e))?;
    let v = serde_json::to_value(report).map_err(|e| ReportError::Render(e.to_string()))?;
    let mut wb = Workbook::new();
    let created = excel_date(month.next().first_day())?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "{landlord}: complaints performance {}",
                report.month
            ))
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let number = Format::new().set_num_format("#,##0.0##");
    let integer = Format::new().set_num_format("0");
    let date = Format::new().set_num_format("yyyy-mm-dd");

    {
        let ws = wb.add_worksheet();
        ws.set_name("Summary").map_err(xlsx_err)?;
        ws.set_column_width(0, 48).map_err(xlsx_err)?;
        ws.set_column_width(1, 22).map_err(xlsx_err)?;
        ws.set_column_width(2, 26).map_err(xlsx_err)?;
        let title = format!("{landlord}: complaints performance, {}", report.month);
        ws.write_string_with_format(0, 0, inert(&title), &bold)
            .map_err(xlsx_err)?;
        let mut r = 2u32;
        for (c, h) in ["Figure", "Stage 1", "Stage 2"].iter().enumerate() {
            ws.write_string_with_format(r, c as u16, *h, &head)
                .map_err(xlsx_err)?;
        }
        r += 1;
        for (key, label) in STAGE_FIGURES {
            ws.write_string(r, 0, label).map_err(xlsx_err)?;
            write_value(ws, r, 1, &v["stage1"][key], &number)?;
            write_value(ws, r, 2, &v["stage2"][key], &number)?;
            r += 1;
        }
        r += 1;
        ws.write_string_with_format(r, 0, "Other figures", &head)
            .map_err(xlsx_err)?;
        ws.write_string_with_format(r, 1, "Count", &head)
            .map_err(xlsx_err)?;
        r += 1;
        for (path, label) in OTHER_FIGURES {
            ws.write_string(r, 0, label).map_err(xlsx_err)?;
            write_value(ws, r, 1, labels::at(&v, path), &integer)?;
            r += 1;
        }
        r += 1;
        for (c, h) in [
            "Tenant Satisfaction Measures",
            "Low-cost rental",
            "Low-cost home ownership",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(r, c as u16, *h, &head)
                .map_err(xlsx_err)?;
        }
        r += 1;
        for (key, label) in TSM_FIGURES {
            ws.write_string(r, 0, label).map_err(xlsx_err)?;
            write_value(ws, r, 1, &v["tsm"][key], &number)?;
            let lcho = &v["tsm_low_cost_home_ownership"];
            write_value(
                ws,
                r,
                2,
                if lcho.is_null() { lcho } else { &lcho[key] },
                &number,
            )?;
            r += 1;
        }
        r = crate::support::write_sheet_section(ws, r, &report.figures.support_services, &head)?;
        for (key, heading) in [("by_category", "Category"), ("by_channel", "Channel")] {
            r += 1;
            ws.write_string_with_format(r, 0, heading, &head)
                .map_err(xlsx_err)?;
            ws.write_string_with_format(r, 1, "Stage 1 received", &head)
                .map_err(xlsx_err)?;
            r += 1;
            if let Some(map) = v[key].as_object() {
                for (name, count) in map {
                    ws.write_string(r, 0, inert(name)).map_err(xlsx_err)?;
                    write_value(ws, r, 1, count, &integer)?;
                    r += 1;
                }
            }
        }
    }

    {
        let (header, rows) = case_table(lines);
        let ws = wb.add_worksheet();
        ws.set_name("Cases").map_err(xlsx_err)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h.as_str(), &head)
                .map_err(xlsx_err)?;
            ws.set_column_width(c as u16, (h.len() as f64).max(12.0))
                .map_err(xlsx_err)?;
        }
        for (i, row) in rows.into_iter().enumerate() {
            let r = i as u32 + 1;
            for (c, cell) in row.into_iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, c, inert(&s)).map_err(xlsx_err)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number_with_format(r, c, n, &integer)
                            .map_err(xlsx_err)?;
                    }
                    // A date Excel's calendar cannot hold (before 1900 or after 9999: an
                    // imported or mistyped receipt, a deadline past the last reportable
                    // month) is written as its ISO text rather than failing the workbook.
                    Cell::Date(d) => match excel_date(d) {
                        Ok(x) => {
                            ws.write_datetime_with_format(r, c, x, &date)
                                .map_err(xlsx_err)?;
                        }
                        Err(_) => {
                            ws.write_string(r, c, d.to_string()).map_err(xlsx_err)?;
                        }
                    },
                    Cell::Empty => {}
                }
            }
        }
        ws.set_freeze_panes(1, 1).map_err(xlsx_err)?;
        if !lines.is_empty() {
            ws.autofilter(0, 0, lines.len() as u32, (header.len() - 1) as u16)
                .map_err(xlsx_err)?;
        }
    }
    wb.save_to_buffer().map_err(xlsx_err)
}
