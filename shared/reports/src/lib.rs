//! The complaint reports as people read them: a month's figures as JSON, its cases as CSV, both
//! in an Excel workbook, a printable HTML report with charts, and the Annual Complaints
//! Performance and Service Improvement Report. The figures themselves come from
//! [`p3_domain::report`]; the records from any [`ReportSource`] (SQLite locally, DynamoDB on
//! AWS), so every deployment renders the same bytes from the same events. No I/O here beyond
//! the source: callers decide where the bytes go (a response, a file, a bucket).
#![warn(missing_docs)]

pub mod cases;
pub mod cycle;
pub mod escape;
pub mod html;
pub mod labels;
pub mod render;
pub mod self_assessment;
mod support;

use std::collections::BTreeMap;

use p3_domain::annual_record::AnnualRecordStore;
use p3_domain::case::{Case, Rules};
use p3_domain::london::Month;
use p3_domain::ports::{MonthRecords, ReportSource, StoreError};
use p3_domain::quarterly::{self, QuarterlyReport};
use p3_domain::report::{self, AnnualReport, Homes, MonthlyReport};
use p3_domain::report_period::{self, PeriodError};
use p3_domain::self_assessment::{self as sa, SelfAssessment};
use p3_domain::service_request::ServiceRequest;

/// Why a report could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The records could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A renderer failed (should not happen with valid figures).
    #[error("cannot render the report: {0}")]
    Render(String),
    /// The period is one no report covers ([`p3_domain::report_period`]); hosts check it when
    /// they read the request, so this is the last guard, not the usual answer.
    #[error(transparent)]
    Period(#[from] PeriodError),
}

fn reportable(month: Month) -> Result<Month, ReportError> {
    if report_period::month_is_reportable(month) {
        Ok(month)
    } else {
        Err(PeriodError::MonthOutOfRange(month.to_string()).into())
    }
}

/// The landlord's settings that shape a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportSettings {
    /// The landlord's name, shown on every report.
    pub landlord: String,
    /// Homes owned per tenure, for CH01.
    pub homes: Homes,
    /// The landlord's lessons learned for the annual report (plain text or Markdown, shown
    /// escaped), if written.
    pub lessons_learned: Option<String>,
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The figures as JSON (the domain's keys).
    Json,
    /// The month's cases as CSV.
    Csv,
    /// The summary and the cases as an Excel workbook.
    Xlsx,
    /// The printable HTML report with charts.
    Html,
}

impl Format {
    /// Every format, in export order.
    pub const ALL: [Format; 4] = [Format::Json, Format::Csv, Format::Xlsx, Format::Html];

    /// Parses `json`, `csv`, `xlsx` or `html`.
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "html" => Some(Format::Html),
            _ => None,
        }
    }

    /// The file extension (and name in `format=`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
        }
    }

    /// The media type to serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Html => "text/html; charset=utf-8",
        }
    }

    /// True for formats a browser should download rather than show.
    pub fn is_attachment(self) -> bool {
        matches!(self, Format::Csv | Format::Xlsx)
    }
}

/// A rendered report: its file name, media type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The file name, e.g. `complaints-2025-10.csv`.
    pub file_name: String,
    /// The media type.
    pub content_type: &'static str,
    /// The content.
    pub bytes: Vec<u8>,
}

/// The file name of a month's report in a format: `complaints-2025-10.csv`.
pub fn monthly_file_name(month: Month, format: Format) -> String {
    format!("complaints-{month}.{}", format.extension())
}

/// The file name of a financial year's report: `complaints-annual-2025-26.html`.
pub fn annual_file_name(year: i32, format: Format) -> String {
    format!(
        "complaints-annual-{year}-{:02}.{}",
        (year + 1).rem_euclid(100),
        format.extension()
    )
}

/// A month's figures with the records they were computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthData {
    /// The figures.
    pub report: MonthlyReport,
    /// What the source returned.
    pub records: MonthRecords,
}

/// Reads a month's records and computes its figures.
pub async fn month_data(
    source: &dyn ReportSource,
    month: Month,
    rules: &Rules,
    homes: &Homes,
) -> Result<MonthData, StoreError> {
    let records = source.month_records(month).await?;
    let report = report::monthly(
        &records.cases,
        &records.service_requests,
        month,
        rules,
        homes,
    );
    Ok(MonthData { report, records })
}

/// The figures of the 12 months ending with `data`'s month, oldest first (for the trend).
pub async fn trend(
    source: &dyn ReportSource,
    data: &MonthData,
    rules: &Rules,
    homes: &Homes,
) -> Result<Vec<MonthlyReport>, StoreError> {
    let month: Month = data.report.month.parse().map_err(StoreError::Corrupt)?;
    let mut months = vec![month];
    for _ in 0..11 {
        let first = months[0].previous();
        months.insert(0, first);
    }
    let mut out = Vec::with_capacity(12);
    for m in months {
        if m == month {
            out.push(data.report.clone());
        } else {
            out.push(month_data(source, m, rules, homes).await?.report);
        }
    }
    Ok(out)
}

/// Renders a month's report in one format (the HTML reads the 11 months before for its trend).
pub async fn render_month(
    source: &dyn ReportSource,
    data: &MonthData,
    format: Format,
    rules: &Rules,
    settings: &ReportSettings,
) -> Result<Rendered, ReportError> {
    let month: Month = data.report.month.parse().map_err(ReportError::Render)?;
    let bytes = match format {
        Format::Json => render::json(&data.report)?,
        Format::Csv => render::csv(&cases::case_lines(&data.records.cases, month, rules))?,
        Format::Xlsx => render::xlsx(
            &settings.landlord,
            &data.report,
            &cases::case_lines(&data.records.cases, month, rules),
        )?,
        Format::Html => return html_of(source, data, rules, settings).await,
    };
    Ok(Rendered {
        file_name: monthly_file_name(month, format),
        content_type: format.content_type(),
        bytes,
    })
}

/// A month's printable report (it reads the 11 months before for its trend).
async fn html_of(
    source: &dyn ReportSource,
    data: &MonthData,
    rules: &Rules,
    settings: &ReportSettings,
) -> Result<Rendered, ReportError> {
    let month: Month = data.report.month.parse().map_err(ReportError::Render)?;
    let trend = trend(source, data, rules, &settings.homes).await?;
    Ok(Rendered {
        file_name: monthly_file_name(month, Format::Html),
        content_type: Format::Html.content_type(),
        bytes: html::monthly(&settings.landlord, &data.report, &trend).into_bytes(),
    })
}

/// A month's printable report only, read from the source: for the staff pages, whose host
/// need not carry the other formats' writers.
pub async fn monthly_html(
    source: &dyn ReportSource,
    month: Month,
    rules: &Rules,
    settings: &ReportSettings,
) -> Result<Rendered, ReportError> {
    reportable(month)?;
    let data = month_data(source, month, rules, &settings.homes).await?;
    html_of(source, &data, rules, settings).await
}

/// A month's report in one format, read from the source.
pub async fn monthly(
    source: &dyn ReportSource,
    month: Month,
    format: Format,
    rules: &Rules,
    settings: &ReportSettings,
) -> Result<Rendered, ReportError> {
    reportable(month)?;
    let data = month_data(source, month, rules, &settings.homes).await?;
    render_month(source, &data, format, rules, settings).await
}

/// The monthly export: the month's report in every format (JSON, CSV, Excel, HTML), as
/// written to `exports/YYYY-MM/` locally and to the export bucket on AWS.
pub async fn export_month(
    source: &dyn ReportSource,
    month: Month,
    rules: &Rules,
    settings: &ReportSettings,
) -> Result<Vec<Rendered>, ReportError> {
    reportable(month)?;
    let data = month_data(source, month, rules, &settings.homes).await?;
    let mut out = Vec::with_capacity(Format::ALL.len());
    for format in Format::ALL {
        out.push(render_month(source, &data, format, rules, settings).await?);
    }
    Ok(out)
}

/// The records of the financial year starting in April `year` (its twelve months' records,
/// each case and service request once); also the rows read.
pub async fn year_records(
    source: &dyn ReportSource,
    year: i32,
) -> Result<(Vec<Case>, Vec<ServiceRequest>, u64), StoreError> {
    let mut cases = BTreeMap::new();
    let mut requests = BTreeMap::new();
    let mut rows = 0;
    for m in report::months_of_financial_year(year) {
        let r = source.month_records(m).await?;
        rows += r.rows_read;
        for c in r.cases {
            cases.insert(c.reference.clone(), c);
        }
        for s in r.service_requests {
            requests.insert(s.id.clone(), s);
        }
    }
    Ok((
        cases.into_values().collect(),
        requests.into_values().collect(),
        rows,
    ))
}

/// The financial year starting in April `year`, from the records of its twelve months; also
/// the rows read.
pub async fn annual_report(
    source: &dyn ReportSource,
    year: i32,
    rules: &Rules,
    homes: &Homes,
) -> Result<(AnnualReport, u64), StoreError> {
    let (cases, requests, rows) = year_records(source, year).await?;
    Ok((report::annual(&cases, &requests, year, rules, homes), rows))
}

/// The self-assessment against the Code of the financial year starting in April `year`: the
/// year's records and figures from `source`, the landlord's commentary from `records`.
pub async fn self_assessment(
    source: &dyn ReportSource,
    records: &dyn AnnualRecordStore,
    year: i32,
    rules: &Rules,
    categories: &[String],
    homes: &Homes,
) -> Result<SelfAssessment, ReportError> {
    report_period::check_financial_year(year)?;
    let (cases, requests, _) = year_records(source, year).await?;
    let report = report::annual(&cases, &requests, year, rules, homes);
    let record = records.annual_record(year).await?;
    Ok(sa::assess(sa::YearInputs {
        year,
        cases: &cases,
        totals: &report.totals,
        rules,
        categories,
        record: &record,
    }))
}

/// Renders a financial year's report as JSON (the domain's [`AnnualReport`]) or printable HTML.
pub fn render_annual(
    report: &AnnualReport,
    format: Format,
    settings: &ReportSettings,
) -> Result<Rendered, ReportError> {
    let bytes = match format {
        Format::Json => render::json(report)?,
        Format::Html => html::annual(
            &settings.landlord,
            report,
            settings.lessons_learned.as_deref(),
        )
        .into_bytes(),
        Format::Csv | Format::Xlsx => {
            return Err(ReportError::Render(
                "the annual report is available as json or html".into(),
            ))
        }
    };
    Ok(Rendered {
        file_name: annual_file_name(report.year, format),
        content_type: format.content_type(),
        bytes,
    })
}

/// The annual report as JSON or printable HTML, read from the source, with the governing body's
/// response from `records` when the host keeps them.
pub async fn annual(
    source: &dyn ReportSource,
    year: i32,
    format: Format,
    rules: &Rules,
    settings: &ReportSettings,
    records: Option<&dyn AnnualRecordStore>,
) -> Result<Rendered, ReportError> {
    report_period::check_financial_year(year)?;
    let (mut report, _) = annual_report(source, year, rules, &settings.homes).await?;
    if let Some(records) = records {
        report.governing_body_response = records.annual_record(year).await?.governing_body_response;
    }
    render_annual(&report, format, settings)
}

/// The file name of a quarter's summary: `complaints-2025-26-q1.html`.
pub fn quarterly_file_name(year: i32, quarter: u8, format: Format) -> String {
    format!(
        "complaints-{year}-{:02}-q{quarter}.{}",
        (year + 1).rem_euclid(100),
        format.extension()
    )
}

/// The summary of quarter `quarter` (1 to 4) of the financial year starting in April `year`,
/// from the records of its three months.
pub async fn quarterly_report(
    source: &dyn ReportSource,
    year: i32,
    quarter: u8,
    rules: &Rules,
    homes: &Homes,
) -> Result<QuarterlyReport, ReportError> {
    report_period::check_financial_year(year)?;
    let months = quarterly::quarter_months(year, quarter)
        .ok_or_else(|| ReportError::Render(format!("there is no quarter {quarter}")))?;
    let mut cases = BTreeMap::new();
    let mut requests = BTreeMap::new();
    for m in months {
        let r = source.month_records(m).await?;
        for c in r.cases {
            cases.insert(c.reference.clone(), c);
        }
        for s in r.service_requests {
            requests.insert(s.id.clone(), s);
        }
    }
    let cases: Vec<_> = cases.into_values().collect();
    let requests: Vec<_> = requests.into_values().collect();
    quarterly::quarterly(&cases, &requests, year, quarter, rules, homes)
        .ok_or_else(|| ReportError::Render(format!("there is no quarter {quarter}")))
}

/// A quarter's summary as JSON or a printable HTML page.
pub fn render_quarterly(
    report: &QuarterlyReport,
    format: Format,
    settings: &ReportSettings,
) -> Result<Rendered, ReportError> {
    let bytes = match format {
        Format::Json => render::json(report)?,
        Format::Html => cycle::quarterly(&settings.landlord, report).into_bytes(),
        Format::Csv | Format::Xlsx => {
            return Err(ReportError::Render(
                "the quarterly summary is available as json or html".into(),
            ))
        }
    };
    Ok(Rendered {
        file_name: quarterly_file_name(report.year, report.quarter, format),
        content_type: format.content_type(),
        bytes,
    })
}
