//! What the public routes answer a browser with, besides the pages' templates: the form's
//! state with the dates a complaint sent now would be met by, what Stage 2 would take, and the
//! not-found and too-many pages.

use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use http::{header, HeaderValue, StatusCode};
use p3_domain::case::{Actor, Case, NewCase};
use p3_domain::complaint::{Channel, ComplaintDetails, ComplaintForm};
use p3_domain::deadline::{self, DeadlineKind, DeadlineStep};
use p3_domain::london::london_date;
use p3_domain::policy::HOUSING;
use p3_domain::validation::ValidationErrors;

use crate::html::{self, FormPage};
use crate::problem::Problem;
use crate::AppState;

/// A due date and the working days from today to it.
type DueIn = (NaiveDate, u32);

/// The dates a complaint sent now would be acknowledged and answered by, worked out by the
/// domain's own deadline rules on the service's calendar, with the working days to each.
fn expected_dates(st: &AppState) -> (Option<DueIn>, Option<DueIn>) {
    let rules = &st.service.rules;
    let now = st.service.clock.now();
    let Some(policy) = rules.procedures.get(HOUSING) else {
        return (None, None);
    };
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: ComplaintDetails {
            resident: Default::default(),
            representative: None,
            channel: Channel::Web,
            category: None,
            description: String::new(),
            desired_outcome: None,
            tenure: Default::default(),
        },
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let actor = Actor {
        by: "resident".into(),
        at: now,
        now,
    };
    let Ok(case) = Case::open("preview", new, &actor, rules) else {
        return (None, None);
    };
    let today = london_date(now);
    let ds = deadline::deadlines(&case, policy, &rules.calendar, today);
    let find = |step| {
        ds.iter()
            .find(|d| d.kind == DeadlineKind::new(1, step))
            .map(|d| {
                let n = rules.calendar.working_days_between(today, d.due).max(0);
                (d.due, u32::try_from(n).unwrap_or(0))
            })
    };
    (
        find(DeadlineStep::Acknowledgement),
        find(DeadlineStep::Response),
    )
}

/// The complaint form's state: its tokens, the values and errors to show, and the dates.
pub(super) fn form_page_for(
    st: &AppState,
    csrf: String,
    idempotency_key: String,
    values: ComplaintForm,
    errors: ValidationErrors,
) -> FormPage {
    let (acknowledge_by, respond_by) = expected_dates(st);
    FormPage {
        csrf,
        idempotency_key,
        values,
        errors,
        categories: st.service.settings.categories.clone(),
        landlord: st.service.settings.landlord.clone(),
        acknowledge_by,
        respond_by,
        asks: Default::default(),
        files: Vec::new(),
    }
}

/// What the resident is told to expect at the next stage, from the case's own procedure.
pub(super) fn next_stage_timescales(st: &AppState, case: &Case) -> String {
    let Ok(policy) = st.service.rules.policy_of(case) else {
        return String::new();
    };
    let Some(next) = policy.stage(case.current_stage().number + 1) else {
        return String::new();
    };
    let from = match next.response.from {
        p3_domain::policy::Anchor::Acknowledgement => "of acknowledging it",
        p3_domain::policy::Anchor::StageStart => "of your request",
    };
    format!(
        "We will acknowledge your request within {} working days and send you our review response within {} working days {from}.",
        next.acknowledgement.working_days, next.response.working_days
    )
}

fn not_found_page(st: &AppState) -> Response {
    html::message_response(
        StatusCode::NOT_FOUND,
        "We could not find that complaint",
        "Check the reference and the access code in your confirmation and try again. If you still cannot find it, contact us and give your reference.",
        &st.service.settings.landlord,
        "/",
        "Go to the complaint form",
    )
}

/// Which limit a browser met.
#[derive(Clone, Copy)]
pub(super) enum Limited {
    /// Complaints sent through the form.
    Form,
    /// Wrong access codes.
    Code,
}

/// The readable page for a browser over a limit: 429 with `Retry-After`.
pub(super) fn too_many_page(st: &AppState, wait: u64, limited: Limited) -> Response {
    let minutes = wait.div_ceil(60).max(1);
    let wait_text = format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" });
    let message = match limited {
        Limited::Form => format!(
            "Several complaints have been sent from here in a short time. Please wait {wait_text} before sending another."
        ),
        Limited::Code => format!(
            "That reference and access code do not open a complaint, and there have been too many wrong attempts. Please wait {wait_text} before trying another code. Check the reference and access code in your confirmation: the right code always opens your complaint."
        ),
    };
    let mut res = html::message_response(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        &message,
        &st.service.settings.landlord,
        "/",
        "Go to the complaint form",
    );
    if let Ok(v) = HeaderValue::from_str(&wait.max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The page for a problem met while opening a case in a browser: the not-found page, the
/// too-many page, or (any other problem) problem+json.
pub(super) fn case_problem_page(st: &AppState, p: Problem) -> Response {
    match p.status {
        404 => not_found_page(st),
        429 => too_many_page(st, p.retry_after.unwrap_or(60), Limited::Code),
        _ => p.into_response(),
    }
}
