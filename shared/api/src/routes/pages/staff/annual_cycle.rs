//! The annual cycle's staff pages (issue 16 items 7 and 8), forms that work without JavaScript:
//!
//! - `/staff/self-assessment?year=YYYY`: the Code's requirements, section by section, with the
//!   landlord's commentary and action plan for the year, and a form for each (senior managers);
//! - `/staff/governing-body-response?year=YYYY`: the governing body's response to the year's
//!   annual report, and its form (senior managers).
//!
//! Anyone signed in reads them (auditors included), as they read the reports. The forms write
//! through the same domain checks (`annual_record::check_commentary`,
//! `check_governing_body_response`) and store as the `PUT` routes of `annual.rs`, with the
//! session's CSRF token. The year defaults to the financial year of today.

use askama::Template;
use p3_domain::annual_record::{self, AnnualRecord, AnnualRecordStore, CommentaryEdit};
use p3_domain::self_assessment::SECTIONS;

use super::*;
use crate::reports::{params, year_of, Reporting};
use crate::routes::pages::layout::{respond, Chrome};

/// The financial year (April to March) a London date falls in, by the year it starts.
fn financial_year_of(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// The `year` parameter, or this financial year when it is left out (sent empty, it is
/// refused naming `year`).
fn year_or_current(st: &AppState, query: Option<String>) -> Result<i32, Problem> {
    let params = params(query)?;
    if !crate::reports::given(&params, "year") {
        return Ok(financial_year_of(london_date(st.service.clock.now())));
    }
    year_of(&params)
}

fn records(
    ext: Option<Extension<Reporting>>,
) -> Result<std::sync::Arc<dyn AnnualRecordStore>, Problem> {
    ext.and_then(|Extension(r)| r.records)
        .ok_or_else(|| Problem::unavailable("the annual records are not kept on this server"))
}

fn chrome<'a>(st: &'a AppState, who: &'a SignedIn, title: &'a str) -> Chrome<'a> {
    Chrome::new(
        title,
        &st.service.settings.landlord,
        &Header::Staff(Some(StaffHeader {
            name: &who.staff.name,
            role: who.staff.role.as_str(),
            csrf: &who.csrf,
            current: "annual",
        })),
    )
}

fn store_problem(e: p3_domain::ports::StoreError) -> Problem {
    Problem::from(p3_domain::service::ServiceError::from(e))
}

/// The element id of a requirement's block: `req-5-6`.
fn anchor(code: &str) -> String {
    format!("req-{}", code.replace('.', "-"))
}

/// Who wrote a text last, and when, in words.
fn written_by(by: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "Last written by {by} on {}",
        crate::html::long_date(london_date(at))
    )
}

/// One requirement on the page.
struct RequirementRow {
    code: &'static str,
    text: &'static str,
    anchor: String,
    commentary: String,
    action_plan: String,
    written: Option<String>,
    commentary_error: Option<String>,
    action_plan_error: Option<String>,
}

/// One section of the Code.
struct SectionRow {
    number: u8,
    title: &'static str,
    requirements: Vec<RequirementRow>,
}

/// `templates/staff/self_assessment.html`.
#[derive(Template)]
#[template(path = "staff/self_assessment.html")]
struct SelfAssessmentPage<'a> {
    chrome: Chrome<'a>,
    errors: Vec<(String, String)>,
    year: i32,
    year_end: i32,
    sections: Vec<SectionRow>,
    editor: bool,
    csrf: &'a str,
}

/// What was just posted for one requirement, with its errors by element id.
struct PostedCommentary {
    code: String,
    commentary: String,
    action_plan: String,
    errors: Vec<(String, String)>,
}

fn self_assessment_page(
    st: &AppState,
    who: &SignedIn,
    year: i32,
    record: &AnnualRecord,
    posted: Option<PostedCommentary>,
    status: StatusCode,
) -> Response {
    let errors = posted
        .as_ref()
        .map(|p| p.errors.clone())
        .unwrap_or_default();
    let error_of = |id: &str| {
        errors
            .iter()
            .find(|(e, _)| e == &format!("#{id}"))
            .map(|(_, m)| m.clone())
    };
    let sections = SECTIONS
        .iter()
        .map(|s| SectionRow {
            number: s.number,
            title: s.title,
            requirements: s
                .requirements
                .iter()
                .map(|r| {
                    let anchor = anchor(r.code);
                    let kept = record.self_assessment.get(r.code);
                    let (commentary, action_plan) = match &posted {
                        Some(p) if p.code == r.code => {
                            (p.commentary.clone(), p.action_plan.clone())
                        }
                        _ => (
                            kept.and_then(|c| c.commentary.clone()).unwrap_or_default(),
                            kept.and_then(|c| c.action_plan.clone()).unwrap_or_default(),
                        ),
                    };
                    RequirementRow {
                        code: r.code,
                        text: r.text,
                        commentary_error: error_of(&format!("{anchor}-commentary")),
                        action_plan_error: error_of(&format!("{anchor}-action_plan")),
                        anchor,
                        commentary,
                        action_plan,
                        written: kept.map(|c| written_by(&c.updated_by, c.updated_at)),
                    }
                })
                .collect(),
        })
        .collect();
    let title = format!(
        "{}Self-assessment {}-{}",
        if errors.is_empty() { "" } else { "Error: " },
        year,
        (year + 1) % 100
    );
    let page = SelfAssessmentPage {
        chrome: chrome(st, who, &title),
        errors: errors.clone(),
        year,
        year_end: year + 1,
        sections,
        editor: who.staff.role.includes(annual_record::EDITOR),
        csrf: &who.csrf,
    };
    respond(status, &page)
}

/// `GET /staff/self-assessment?year=YYYY`.
pub(crate) async fn self_assessment_page_get(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    ext: Option<Extension<Reporting>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, Response> {
    let year = year_or_current(&st, query).map_err(IntoResponse::into_response)?;
    let who = who?;
    let records = records(ext).map_err(IntoResponse::into_response)?;
    let record = records
        .annual_record(year)
        .await
        .map_err(|e| store_problem(e).into_response())?;
    Ok(self_assessment_page(
        &st,
        &who,
        year,
        &record,
        None,
        StatusCode::OK,
    ))
}

/// The page's answer to a form that was refused: the page again, with the error summary.
fn refused(id: String, message: String) -> Vec<(String, String)> {
    vec![(format!("#{id}"), message)]
}

/// `POST /staff/self-assessment?year=YYYY`: one requirement's `commentary` and `action_plan`
/// (`requirement` names it); a blank text clears it.
pub(crate) async fn self_assessment_post(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    ext: Option<Extension<Reporting>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    let year = year_or_current(&st, query).map_err(IntoResponse::into_response)?;
    let who = who?;
    let records = records(ext).map_err(IntoResponse::into_response)?;
    let raw = body::read_limited(&headers, body)
        .await
        .map_err(IntoResponse::into_response)?;
    let fields = fields_of(&raw);
    let code = text(&fields, "requirement").unwrap_or_default();
    let Some(requirement) = p3_domain::self_assessment::requirement(&code) else {
        return Err(
            Problem::field("requirement", "must be a requirement of the Code").into_response(),
        );
    };
    let id = anchor(requirement.code);
    let commentary = get(&fields, "commentary").unwrap_or_default().to_string();
    let action_plan = get(&fields, "action_plan").unwrap_or_default().to_string();
    let record = records
        .annual_record(year)
        .await
        .map_err(|e| store_problem(e).into_response())?;
    let fail = |status: StatusCode, errors: Vec<(String, String)>| {
        let posted = PostedCommentary {
            code: requirement.code.to_string(),
            commentary: commentary.clone(),
            action_plan: action_plan.clone(),
            errors,
        };
        self_assessment_page(&st, &who, year, &record, Some(posted), status)
    };
    if !same(
        text(&fields, "csrf_token").as_deref().unwrap_or(""),
        &who.csrf,
    ) {
        return Ok(fail(
            StatusCode::FORBIDDEN,
            refused(
                format!("{id}-commentary"),
                "This form had expired. Try again.".into(),
            ),
        ));
    }
    if let Err(p) = who.staff.require(annual_record::EDITOR) {
        let message = p.detail.clone().unwrap_or_else(|| p.title.clone());
        return Ok(fail(
            StatusCode::FORBIDDEN,
            refused(format!("{id}-commentary"), message),
        ));
    }
    let edit = CommentaryEdit {
        requirement: requirement.code.to_string(),
        commentary: Some(commentary.clone()),
        action_plan: Some(action_plan.clone()),
    };
    let entries =
        match annual_record::check_commentary(vec![edit], &who.staff.email, st.service.clock.now())
        {
            Ok(entries) => entries,
            Err(e) => {
                let errors = e
                    .errors
                    .iter()
                    .map(|f| {
                        let field = f.field.rsplit('.').next().unwrap_or("commentary");
                        (format!("#{id}-{field}"), f.message.clone())
                    })
                    .collect();
                return Ok(fail(StatusCode::UNPROCESSABLE_ENTITY, errors));
            }
        };
    for (code, commentary) in &entries {
        records
            .put_commentary(year, code, commentary)
            .await
            .map_err(|e| store_problem(e).into_response())?;
    }
    tracing::info!(year, "self-assessment commentary written from the pages");
    Ok(Redirect::to(&format!("/staff/self-assessment?year={year}#{id}")).into_response())
}

/// `templates/staff/governing_body.html`.
#[derive(Template)]
#[template(path = "staff/governing_body.html")]
struct GoverningBodyPage<'a> {
    chrome: Chrome<'a>,
    errors: Vec<(String, String)>,
    year: i32,
    year_end: i32,
    /// The response as recorded: its text, the date it was given, who wrote it.
    recorded: Option<(String, Option<String>, String)>,
    text: String,
    given_on: String,
    text_error: Option<String>,
    given_on_error: Option<String>,
    editor: bool,
    csrf: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn governing_body_page(
    st: &AppState,
    who: &SignedIn,
    year: i32,
    record: &AnnualRecord,
    text: String,
    given_on: String,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let error_of = |id: &str| errors.iter().find(|(e, _)| e == id).map(|(_, m)| m.clone());
    let title = format!(
        "{}The governing body's response {}-{}",
        if errors.is_empty() { "" } else { "Error: " },
        year,
        (year + 1) % 100
    );
    let recorded = record.governing_body_response.as_ref().map(|r| {
        (
            r.text.clone(),
            r.given_on.map(crate::html::long_date),
            written_by(&r.updated_by, r.updated_at),
        )
    });
    let page = GoverningBodyPage {
        chrome: chrome(st, who, &title),
        text_error: error_of("#gb-text"),
        given_on_error: error_of("#gb-given_on"),
        errors,
        year,
        year_end: year + 1,
        recorded,
        text,
        given_on,
        editor: who.staff.role.includes(annual_record::EDITOR),
        csrf: &who.csrf,
    };
    respond(status, &page)
}

/// `GET /staff/governing-body-response?year=YYYY`.
pub(crate) async fn governing_body_page_get(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    ext: Option<Extension<Reporting>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, Response> {
    let year = year_or_current(&st, query).map_err(IntoResponse::into_response)?;
    let who = who?;
    let records = records(ext).map_err(IntoResponse::into_response)?;
    let record = records
        .annual_record(year)
        .await
        .map_err(|e| store_problem(e).into_response())?;
    let (text, given_on) = record
        .governing_body_response
        .as_ref()
        .map(|r| {
            (
                r.text.clone(),
                r.given_on.map(|d| d.to_string()).unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    Ok(governing_body_page(
        &st,
        &who,
        year,
        &record,
        text,
        given_on,
        Vec::new(),
        StatusCode::OK,
    ))
}

/// `POST /staff/governing-body-response?year=YYYY`: `text` and `given_on` (`YYYY-MM-DD`,
/// optional).
pub(crate) async fn governing_body_post(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    ext: Option<Extension<Reporting>>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    let year = year_or_current(&st, query).map_err(IntoResponse::into_response)?;
    let who = who?;
    let records = records(ext).map_err(IntoResponse::into_response)?;
    let raw = body::read_limited(&headers, body)
        .await
        .map_err(IntoResponse::into_response)?;
    let fields = fields_of(&raw);
    let text_value = get(&fields, "text").unwrap_or_default().to_string();
    let given_value = text(&fields, "given_on").unwrap_or_default();
    let record = records
        .annual_record(year)
        .await
        .map_err(|e| store_problem(e).into_response())?;
    let fail = |status: StatusCode, errors: Vec<(String, String)>| {
        governing_body_page(
            &st,
            &who,
            year,
            &record,
            text_value.clone(),
            given_value.clone(),
            errors,
            status,
        )
    };
    if !same(
        text(&fields, "csrf_token").as_deref().unwrap_or(""),
        &who.csrf,
    ) {
        return Ok(fail(
            StatusCode::FORBIDDEN,
            refused("gb-text".into(), "This form had expired. Try again.".into()),
        ));
    }
    if let Err(p) = who.staff.require(annual_record::EDITOR) {
        let message = p.detail.clone().unwrap_or_else(|| p.title.clone());
        return Ok(fail(
            StatusCode::FORBIDDEN,
            refused("gb-text".into(), message),
        ));
    }
    let given_on = if given_value.is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(&given_value, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                return Ok(fail(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    refused(
                        "gb-given_on".into(),
                        "Enter the date as YYYY-MM-DD, for example 2026-07-15".into(),
                    ),
                ))
            }
        }
    };
    let response = match annual_record::check_governing_body_response(
        text_value.clone(),
        given_on,
        &who.staff.email,
        st.service.clock.now(),
    ) {
        Ok(r) => r,
        Err(e) => {
            let errors = e
                .errors
                .iter()
                .map(|f| (format!("#gb-{}", f.field), f.message.clone()))
                .collect();
            return Ok(fail(StatusCode::UNPROCESSABLE_ENTITY, errors));
        }
    };
    records
        .put_governing_body_response(year, &response)
        .await
        .map_err(|e| store_problem(e).into_response())?;
    tracing::info!(year, "governing body response recorded from the pages");
    Ok(Redirect::to(&format!("/staff/governing-body-response?year={year}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_financial_year_starts_in_april() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(financial_year_of(d("2026-03-31")), 2025);
        assert_eq!(financial_year_of(d("2026-04-01")), 2026);
        assert_eq!(anchor("5.6"), "req-5-6");
    }
}
