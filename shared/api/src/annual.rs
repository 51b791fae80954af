//! The annual cycle's routes, beside the reports (staff with any role read them, auditors
//! included; the Head of Tenant Services and senior managers write):
//!
//! - `GET /staff/reports/self-assessment?year=YYYY[&format=json|csv|xlsx|html]`: the Code's
//!   requirements with the evidence held for the year and the landlord's commentary;
//! - `PUT /staff/reports/self-assessment?year=YYYY`: the commentary and action plan of one or
//!   more requirements (`{"entries": [{"requirement": "5.6", "commentary": "…",
//!   "action_plan": "…"}]}`);
//! - `PUT /staff/reports/annual/governing-body-response?year=YYYY`: the governing body's
//!   response to the annual report (`{"text": "…", "given_on": "2026-07-15"}`);
//! - `GET /staff/reports/quarterly?year=YYYY&quarter=N[&format=json|html]`: the quarter's summary
//!   for the Member Responsible for Complaints and the governing body.

use axum::extract::{RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::NaiveDate;
use http::{header, HeaderValue, StatusCode};
use p3_domain::annual_record::{self, AnnualRecordStore, CommentaryEdit};
use p3_domain::service::ServiceError;
use p3_reports::Format;
use serde::Deserialize;

use crate::auth::Staff;
use crate::body::{parse_json, read_limited};
use crate::problem::Problem;
use crate::reports::{
    format_of, given, param, params, problem, reply, reporting, year_of, Reporting,
};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

fn records(r: &Reporting) -> Result<&dyn AnnualRecordStore> {
    r.records
        .as_deref()
        .ok_or_else(|| Problem::unavailable("the annual records are not kept on this server"))
}

/// `GET /staff/reports/self-assessment?year=YYYY&format=json|csv|xlsx|html`.
pub(crate) async fn self_assessment(
    State(st): State<AppState>,
    _staff: Staff,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = params(query)?;
    let year = year_of(&params)?;
    let format = format_of(&params, &Format::ALL)?;
    let r = reporting(ext)?;
    let assessment = p3_reports::self_assessment(
        r.source.as_ref(),
        records(&r)?,
        year,
        &st.service.rules,
        &st.service.settings.categories,
        &r.homes,
    )
    .await
    .map_err(problem)?;
    let rendered =
        p3_reports::self_assessment::render(&assessment, &st.service.settings.landlord, format)
            .map_err(problem)?;
    Ok(reply(rendered, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_quarter_ended_is_of_the_financial_year() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(last_quarter_ended(d("2026-06-01")), (2025, 4));
        assert_eq!(last_quarter_ended(d("2026-07-01")), (2026, 1));
        assert_eq!(last_quarter_ended(d("2026-12-31")), (2026, 2));
        assert_eq!(last_quarter_ended(d("2027-02-01")), (2026, 3));
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentaryBody {
    entries: Vec<CommentaryEdit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoverningBodyBody {
    text: String,
    #[serde(default)]
    given_on: Option<NaiveDate>,
}

/// The year's record as JSON, after a write.
async fn record_reply(records: &dyn AnnualRecordStore, year: i32) -> Result<Response> {
    let record = records
        .annual_record(year)
        .await
        .map_err(|e| Problem::from(ServiceError::from(e)))?;
    let mut res = (
        StatusCode::OK,
        serde_json::to_vec(&record).unwrap_or_default(),
    )
        .into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

/// Reads a write's year (400 or 422 before anything is read) and JSON body.
async fn year_and_body<T: serde::de::DeserializeOwned>(
    query: Option<String>,
    request: Request,
) -> Result<(i32, T)> {
    let params = params(query)?;
    let year = year_of(&params)?;
    let (parts, body) = request.into_parts();
    let bytes = read_limited(&parts.headers, body).await?;
    Ok((year, parse_json(&bytes)?))
}

/// `PUT /staff/reports/self-assessment?year=YYYY`: writes each entry's commentary and action
/// plan (a blank one clears it); answers the year's record.
pub(crate) async fn put_self_assessment(
    State(st): State<AppState>,
    staff: Staff,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response> {
    staff.require(annual_record::EDITOR)?;
    let r = reporting(ext)?;
    let records = records(&r)?;
    let (year, body): (i32, CommentaryBody) = year_and_body(query, request).await?;
    let entries =
        annual_record::check_commentary(body.entries, &staff.email, st.service.clock.now())
            .map_err(Problem::invalid)?;
    for (code, commentary) in &entries {
        records
            .put_commentary(year, code, commentary)
            .await
            .map_err(|e| Problem::from(ServiceError::from(e)))?;
    }
    tracing::info!(
        year,
        entries = entries.len(),
        "self-assessment commentary written"
    );
    record_reply(records, year).await
}

/// `PUT /staff/reports/annual/governing-body-response?year=YYYY`: records the governing body's
/// response to the year's annual report; answers the year's record.
pub(crate) async fn put_governing_body_response(
    State(st): State<AppState>,
    staff: Staff,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response> {
    staff.require(annual_record::EDITOR)?;
    let r = reporting(ext)?;
    let records = records(&r)?;
    let (year, body): (i32, GoverningBodyBody) = year_and_body(query, request).await?;
    let response = annual_record::check_governing_body_response(
        body.text,
        body.given_on,
        &staff.email,
        st.service.clock.now(),
    )
    .map_err(Problem::invalid)?;
    records
        .put_governing_body_response(year, &response)
        .await
        .map_err(|e| Problem::from(ServiceError::from(e)))?;
    tracing::info!(year, "governing body response recorded");
    record_reply(records, year).await
}

/// `GET /staff/quarterly-report[?year=YYYY&quarter=N]`: the printable quarterly summary for
/// the staff pages, signed in as for any page (the session cookie), as the monthly report page
/// is (on AWS `/staff/reports/*` is behind the JWT authorizer a browser cannot pass). Left
/// out, the quarter is the last one ended.
pub(crate) async fn quarterly_page(
    State(st): State<AppState>,
    who: std::result::Result<crate::pages::SignedIn, Response>,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
) -> std::result::Result<Response, Response> {
    let params = params(query).map_err(IntoResponse::into_response)?;
    let (year, quarter) = if !given(&params, "year") && !given(&params, "quarter") {
        last_quarter_ended(p3_domain::london::london_date(st.service.clock.now()))
    } else {
        (
            year_of(&params).map_err(IntoResponse::into_response)?,
            quarter_of(&params).map_err(IntoResponse::into_response)?,
        )
    };
    who?;
    let r = reporting(ext).map_err(IntoResponse::into_response)?;
    let settings = r.settings(&st.service.settings.landlord, false);
    let report = p3_reports::quarterly_report(
        r.source.as_ref(),
        year,
        quarter,
        &st.service.rules,
        &r.homes,
    )
    .await
    .map_err(|e| problem(e).into_response())?;
    let rendered = p3_reports::render_quarterly(&report, Format::Html, &settings)
        .map_err(|e| problem(e).into_response())?;
    Ok(reply(rendered, Format::Html))
}

/// `GET /staff/annual-report?year=YYYY`: the printable annual report (its figures, the
/// Ombudsman's findings, the lessons learned and the governing body's response) for the staff
/// pages, with the session, as the quarterly summary's page.
pub(crate) async fn annual_page(
    State(st): State<AppState>,
    who: std::result::Result<crate::pages::SignedIn, Response>,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
) -> std::result::Result<Response, Response> {
    let params = params(query).map_err(IntoResponse::into_response)?;
    let year = year_of(&params).map_err(IntoResponse::into_response)?;
    who?;
    let r = reporting(ext).map_err(IntoResponse::into_response)?;
    let settings = r.settings(&st.service.settings.landlord, true);
    let rendered = p3_reports::annual(
        r.source.as_ref(),
        year,
        Format::Html,
        &st.service.rules,
        &settings,
        r.records.as_deref(),
    )
    .await
    .map_err(|e| problem(e).into_response())?;
    Ok(reply(rendered, Format::Html))
}

/// `GET /staff/self-assessment/evidence?year=YYYY`: the printable self-assessment (each
/// requirement with the evidence the service holds and the landlord's commentary), the same
/// HTML as `/staff/reports/self-assessment?format=html`, for staff signed in to the pages (on
/// AWS the pages function serves it, without the API's JWT authorizer).
pub(crate) async fn self_assessment_page(
    State(st): State<AppState>,
    who: std::result::Result<crate::pages::SignedIn, Response>,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
) -> std::result::Result<Response, Response> {
    let params = params(query).map_err(IntoResponse::into_response)?;
    let year = year_of(&params).map_err(IntoResponse::into_response)?;
    who?;
    let r = reporting(ext).map_err(IntoResponse::into_response)?;
    let records = records(&r).map_err(IntoResponse::into_response)?;
    let assessment = p3_reports::self_assessment(
        r.source.as_ref(),
        records,
        year,
        &st.service.rules,
        &st.service.settings.categories,
        &r.homes,
    )
    .await
    .map_err(|e| problem(e).into_response())?;
    let rendered = p3_reports::self_assessment::render(
        &assessment,
        &st.service.settings.landlord,
        Format::Html,
    )
    .map_err(|e| problem(e).into_response())?;
    Ok(reply(rendered, Format::Html))
}

/// The financial year and quarter (1 April to June … 4 January to March) last ended by `today`.
fn last_quarter_ended(today: NaiveDate) -> (i32, u8) {
    use chrono::Datelike;
    match today.month() {
        1..=3 => (today.year() - 1, 3),
        4..=6 => (today.year() - 1, 4),
        7..=9 => (today.year(), 1),
        _ => (today.year(), 2),
    }
}

fn quarter_of(params: &[(String, String)]) -> Result<u8> {
    match param(params, "quarter").map(str::parse::<u8>) {
        Some(Ok(q @ 1..=4)) => Ok(q),
        _ => Err(Problem::field(
            "quarter",
            "is required: 1 (April to June) to 4 (January to March)",
        )),
    }
}

/// `GET /staff/reports/quarterly?year=YYYY&quarter=N&format=json|html`.
pub(crate) async fn quarterly(
    State(st): State<AppState>,
    _staff: Staff,
    ext: Option<Extension<Reporting>>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let params = params(query)?;
    let year = year_of(&params)?;
    let quarter = quarter_of(&params)?;
    let format = format_of(&params, &[Format::Json, Format::Html])?;
    let r = reporting(ext)?;
    let settings = r.settings(&st.service.settings.landlord, false);
    let report = p3_reports::quarterly_report(
        r.source.as_ref(),
        year,
        quarter,
        &st.service.rules,
        &r.homes,
    )
    .await
    .map_err(problem)?;
    let rendered = p3_reports::render_quarterly(&report, format, &settings).map_err(problem)?;
    Ok(reply(rendered, format))
}
