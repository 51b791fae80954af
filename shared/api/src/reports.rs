//! Report routes, for staff with any role (auditors included):
//!
//! - `GET /staff/reports/monthly?month=YYYY-MM[&format=json|csv|xlsx|html]`
//! - `GET /staff/reports/annual?year=YYYY[&format=json|html]` (the financial year from April)
//!
//! The records come from the [`Reporting`] extension the host adds to the router (SQLite
//! locally, DynamoDB on AWS); the rendering from `p3-reports`, so the bytes are the ones the
//! CLI and the monthly export produce.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::{header, HeaderValue, StatusCode};
use p3_domain::annual_record::AnnualRecordStore;
use p3_domain::london::Month;
use p3_domain::ports::ReportSource;
use p3_domain::report::Homes;
use p3_domain::report_period::{self, PeriodError};
use p3_domain::service::ServiceError;
use p3_reports::{Format, Rendered, ReportError, ReportSettings};

use crate::auth::Staff;
use crate::problem::Problem;
use crate::AppState;

/// What the report routes need besides [`AppState`], added by the host as an
/// `axum::Extension`: where the records come from and the landlord's report settings.
#[derive(Clone)]
pub struct Reporting {
    /// Reads one month's records.
    pub source: Arc<dyn ReportSource>,
    /// Homes owned per tenure, for CH01.
    pub homes: Homes,
    /// The landlord's lessons learned (text or Markdown) for the annual report; read on each
    /// request, so an edit shows without a restart.
    pub lessons_learned_file: Option<PathBuf>,
    /// Where the self-assessment's commentary and the governing body's response are kept per
    /// year; without it those routes answer 503 and the annual report shows no response.
    pub records: Option<Arc<dyn AnnualRecordStore>>,
}

impl Reporting {
    /// The settings a report is rendered with; reads the lessons-learned file when asked.
    pub fn settings(&self, landlord: &str, with_lessons: bool) -> ReportSettings {
        let lessons_learned = match (&self.lessons_learned_file, with_lessons) {
            (Some(path), true) => match std::fs::read_to_string(path) {
                Ok(text) => Some(text),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot read the lessons learned file");
                    None
                }
            },
            _ => None,
        };
        ReportSettings {
            landlord: landlord.to_string(),
            homes: self.homes,
            lessons_learned,
        }
    }
}

type Result<T> = std::result::Result<T, Problem>;

/// The query's parameters; one the reports read given twice is a 400 naming it (which of the
/// two was meant cannot be known).
pub(crate) fn params(query: Option<String>) -> Result<Vec<(String, String)>> {
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    for name in ["month", "year", "quarter", "format"] {
        if params.iter().filter(|(k, _)| k == name).count() > 1 {
            return Err(crate::extract::bad_parameter(name, "must be given once"));
        }
    }
    Ok(params)
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether `name` is in the query at all, even empty: an optional parameter sent empty is
/// checked (and refused, naming it), not taken as left out.
pub(crate) fn given(params: &[(String, String)], name: &str) -> bool {
    params.iter().any(|(k, _)| k == name)
}

pub(crate) fn format_of(params: &[(String, String)], allowed: &[Format]) -> Result<Format> {
    let names: Vec<&str> = allowed.iter().map(|f| f.extension()).collect();
    let bad = || Problem::field("format", format!("must be one of {}", names.join(", ")));
    // Left out, the format is JSON; given, even empty, it must name one of the formats.
    match params.iter().find(|(k, _)| k == "format") {
        None => Ok(Format::Json),
        Some((_, s)) => Format::parse(s.trim())
            .filter(|f| allowed.contains(f))
            .ok_or_else(bad),
    }
}

pub(crate) fn reporting(ext: Option<Extension<Reporting>>) -> Result<Reporting> {
    ext.map(|Extension(r)| r)
        .ok_or_else(|| Problem::unavailable("reports are not set up on this server"))
}

pub(crate) fn problem(e: ReportError) -> Problem {
    match e {
        ReportError::Store(s) => Problem::from(ServiceError::from(s)),
        ReportError::Period(e @ PeriodError::YearOutOfRange(_)) => {
            Problem::field("year", e.to_string())
        }
        ReportError::Period(e) => Problem::field("month", e.to_string()),
        ReportError::Render(m) => {
            tracing::error!(error = %m, "a report could not be rendered");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "report-failed",
                "The report could not be produced",
            )
        }
    }
}

pub(crate) fn reply(r: Rendered, format: Format) -> Response {
    let disposition = if format.is_attachment() {
        "attachment"
    } else {
        "inline"
    };
    let mut res = (StatusCode::OK, r.bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(r.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{}\"", r.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if r.content_type.starts_with("text/html") {
        // The printable report is one self-contained file (it is also written to the export
        // folder and opened from disk), so its styles are inline; still no script of any kind.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    res
}

/// `GET /staff/reports/monthly?month=YYYY-MM&format=json|csv|xlsx|html`.
pub(crate) async fn monthly(
    State(st): State<AppState>,
    _staff: Staff,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = params(query)?;
    let month = month_of(&params)?;
    let format = format_of(&params, &Format::ALL)?;
    let r = reporting(ext)?;
    let settings = r.settings(&st.service.settings.landlord, false);
    let rendered = p3_reports::monthly(
        r.source.as_ref(),
        month,
        format,
        &st.service.rules,
        &settings,
    )
    .await
    .map_err(problem)?;
    Ok(reply(rendered, format))
}

/// `GET /staff/monthly-report?month=YYYY-MM`: the printable monthly report for the staff
/// pages, signed in as for any page (the session cookie). On AWS the pages function serves it
/// beside the pages: `/staff/reports/*` sits behind the HTTP API's JWT authorizer, which reads
/// only the `Authorization` header a browser following a link does not send. HTML only, so the
/// function serving it links none of the other formats' writers.
pub(crate) async fn monthly_page(
    State(st): State<AppState>,
    who: std::result::Result<crate::pages::SignedIn, Response>,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
) -> std::result::Result<Response, Response> {
    // A month that cannot be is a 400 whoever asks; then the page needs a session (without
    // one, to the sign-in page).
    let params = params(query).map_err(IntoResponse::into_response)?;
    let month = month_of(&params).map_err(IntoResponse::into_response)?;
    who?;
    monthly_html_reply(&st, ext, month)
        .await
        .map_err(IntoResponse::into_response)
}

async fn monthly_html_reply(
    st: &AppState,
    ext: Option<Extension<Reporting>>,
    month: Month,
) -> Result<Response> {
    let r = reporting(ext)?;
    let settings = r.settings(&st.service.settings.landlord, false);
    let rendered = p3_reports::monthly_html(r.source.as_ref(), month, &st.service.rules, &settings)
        .await
        .map_err(problem)?;
    Ok(reply(rendered, Format::Html))
}

fn month_of(params: &[(String, String)]) -> Result<Month> {
    let text = param(params, "month")
        .ok_or_else(|| Problem::field("month", "is required, in the form YYYY-MM"))?;
    report_period::parse_month(text).map_err(|e| Problem::field("month", e.to_string()))
}

/// `GET /staff/reports/annual?year=YYYY&format=json|html`: April `YYYY` to March `YYYY+1`.
pub(crate) async fn annual(
    State(st): State<AppState>,
    _staff: Staff,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = params(query)?;
    let year = year_of(&params)?;
    let format = format_of(&params, &[Format::Json, Format::Html])?;
    let r = reporting(ext)?;
    let settings = r.settings(&st.service.settings.landlord, format == Format::Html);
    let rendered = p3_reports::annual(
        r.source.as_ref(),
        year,
        format,
        &st.service.rules,
        &settings,
        r.records.as_deref(),
    )
    .await
    .map_err(problem)?;
    Ok(reply(rendered, format))
}

/// The `year` parameter: the financial year starting in April `YYYY`, one a report may cover.
pub(crate) fn year_of(params: &[(String, String)]) -> Result<i32> {
    let text = param(params, "year").ok_or_else(|| {
        Problem::field(
            "year",
            "is required: the year the financial year starts in April, e.g. 2025",
        )
    })?;
    report_period::parse_financial_year(text).map_err(|e| Problem::field("year", e.to_string()))
}
