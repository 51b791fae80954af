//! One complaint's page: its summary, deadlines, history and forms (`GET /staff/cases/{reference}`).

use std::collections::HashSet;

use askama::Template;
use p3_domain::case::Case;

use super::*;
use crate::routes::pages::layout::{respond, Chrome};
use crate::views::StaffCase;

pub(super) mod form;
pub(super) mod summary;
mod timeline;

use summary::{
    complaint, deadline_row, response, summary, urgency, DeadlineRow, ResponseBlock, Row,
};
use timeline::{timeline, TimelineItem};

// ---------------------------------------------------------------- one complaint

/// What a failed action leaves on the page: which form, its values, its errors.
#[derive(Default)]
pub(super) struct Attempt {
    pub(super) action: String,
    pub(super) fields: Vec<(String, String)>,
    /// (element id, message) for the error summary and the fields.
    pub(super) errors: Vec<(String, String)>,
}

impl Attempt {
    pub(super) fn value(&self, action: &str, name: &str) -> String {
        if self.action == action {
            get(&self.fields, name).unwrap_or("").to_string()
        } else {
            String::new()
        }
    }

    /// The message for the field with this element id (errors are kept as `#id` links).
    pub(super) fn error(&self, id: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(href, _)| href.strip_prefix('#') == Some(id))
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub(crate) struct CaseQuery {
    done: Option<String>,
}

pub(super) fn done_message(action: &str) -> Option<&'static str> {
    Some(match action {
        "acknowledge" => "Acknowledgement recorded",
        "extend" => "Extension recorded",
        "respond" => "Response recorded",
        "stage2" => "Stage 2 request recorded",
        "stage3" => "Stage 3 request recorded",
        "withdraw" => "Withdrawal recorded",
        "refuse" => "Refusal recorded",
        "ombudsman" => "Housing Ombudsman record added",
        other => {
            return casefile::done_message(other)
                .or_else(|| record::done_message(other))
                .or_else(|| upload::done_message(other))
                .or_else(|| informed::done_message(other))
        }
    })
}

/// `GET /staff/cases/{reference}`: the case with its deadlines, timeline and next actions.
pub(crate) async fn case_page(
    State(st): State<AppState>,
    who: SignedIn,
    Path(reference): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Response {
    render_case(
        &st,
        &who,
        &reference,
        q.done.as_deref().and_then(done_message),
        &Attempt::default(),
        StatusCode::OK,
    )
    .await
}

/// A case as staff see it, read from the Service with the letter emails that have gone; the
/// page builds its [`StaffCase`] view from it.
pub(super) struct Loaded {
    pub(super) case: Case,
    sent: HashSet<String>,
}

impl Loaded {
    /// The staff view of the case, today (the page's timeline reads the case's events).
    pub(super) fn view<'c>(&'c self, st: &AppState) -> StaffCase<'c> {
        StaffCase::for_page(
            &self.case,
            &st.service.rules,
            st.service.clock.now(),
            &self.sent,
        )
    }
}

/// The case for a member of staff who may read it (any role from auditor).
pub(super) async fn load_case(
    st: &AppState,
    who: &SignedIn,
    reference: &str,
) -> Result<Loaded, Problem> {
    who.staff.require(Role::Auditor)?;
    let case = st
        .service
        .store
        .load(reference)
        .await
        .map_err(p3_domain::service::ServiceError::from)?
        .ok_or_else(Problem::not_found)?;
    let sent = crate::views::sent_letter_copies(st.service.store.as_ref(), &case).await;
    Ok(Loaded { case, sent })
}

/// The case page (`templates/staff/case/page.html`).
#[derive(Template)]
#[template(path = "staff/case/page.html")]
struct CasePage<'a> {
    chrome: Chrome<'a>,
    view: &'a StaffCase<'a>,
    attempt: &'a Attempt,
    done: Option<&'a str>,
    /// The reference for the evidence pack's link, for the roles that may open it.
    evidence: Option<String>,
    summary: Vec<Row>,
    deadlines: Vec<DeadlineRow>,
    actions: NextActions,
    casefile: casefile::CaseFile,
    record: record::RecordSection<'a>,
    informed: informed::InformedSection<'a>,
    complaint: Vec<Row>,
    responses: Vec<ResponseBlock>,
    timeline: Vec<TimelineItem>,
}

/// The page that says no complaint has the reference.
#[derive(Template)]
#[template(path = "staff/case/not_found.html")]
struct NotFound<'a> {
    chrome: Chrome<'a>,
}

/// The staff pages' frame for a case's pages: the header with the cases tab current.
pub(super) fn chrome<'a>(st: &'a AppState, who: &'a SignedIn, title: &'a str) -> Chrome<'a> {
    Chrome::new(
        title,
        &st.service.settings.landlord,
        &Header::Staff(Some(StaffHeader {
            name: &who.staff.name,
            role: who.staff.role.as_str(),
            csrf: &who.csrf,
            current: "cases",
        })),
    )
}

pub(super) async fn render_case(
    st: &AppState,
    who: &SignedIn,
    reference: &str,
    done: Option<&str>,
    attempt: &Attempt,
    status: StatusCode,
) -> Response {
    let loaded = match load_case(st, who, reference).await {
        Ok(l) => l,
        Err(p) if p.status == 404 => {
            let chrome = chrome(st, who, "Complaint not found");
            return respond(StatusCode::NOT_FOUND, &NotFound { chrome });
        }
        Err(p) => return p.into_response(),
    };
    let view = loaded.view(st);
    let title = format!("Complaint {reference}");
    let title = if attempt.errors.is_empty() {
        title
    } else {
        format!("Error: {title}")
    };
    let calendar = &st.service.rules.calendar;
    let today = london_date(st.service.clock.now());
    let marker = |d: &p3_domain::deadline::Deadline| urgency(calendar, today, d.due, d.status);
    let actions = actions_section(st, who, &view, attempt);
    let casefile = casefile::sections(who, &view, attempt);
    let mut record = record::section(who, &view, attempt);
    // "Add a file" posts straight into the upload inbox where the host's inbox hands out
    // forms; the page may then post a form there, and only there.
    let mut inbox_origin = None;
    if record.takes_files() {
        if let Some(form) = inbox_file::inbox_form(st, reference).await {
            record.post_into_inbox(form);
            inbox_origin = st.inbox.origin();
        }
    }
    let informed = informed::section(who, &view, attempt);
    let page = CasePage {
        chrome: chrome(st, who, &title),
        evidence: matches!(who.staff.role, Role::SeniorManager | Role::Auditor)
            .then(|| urlencode(view.reference)),
        summary: summary(&view, view.next_deadline.as_ref().map(marker)),
        deadlines: view
            .deadlines
            .iter()
            .map(|d| deadline_row(d, marker(d)))
            .collect(),
        actions,
        casefile,
        record,
        informed,
        complaint: complaint(&view),
        responses: view.responses.iter().map(response).collect(),
        timeline: timeline(&loaded.case.history),
        view: &view,
        attempt,
        done,
    };
    let res = respond(status, &page);
    match inbox_origin {
        Some(origin) => crate::http::csp::allow_form_posts_to(res, &origin),
        None => res,
    }
}
