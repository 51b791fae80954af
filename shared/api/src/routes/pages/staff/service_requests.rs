//! The Head of Tenant Services' review of service requests on the staff pages:
//! `/staff/service-requests/review` lists them by status with their age in working days
//! (`templates/staff/service_requests.html`), and `/staff/service-requests/{id}/review` shows
//! one with its forms to close it with a note or raise a complaint from it
//! (`templates/staff/service_request.html`). Both forms go through the functions of the JSON
//! routes (`.../closure`, `.../dissatisfaction`) and the Service, never a JSON handler.

use askama::Template;
use p3_domain::service_request::{ServiceRequest, ServiceRequestStatus, REVIEWER};

use super::*;
use crate::routes::json::staff::{self as api};
use crate::routes::pages::layout::{respond, Chrome};

/// The status filter's choices: (value, label), every one first.
const STATUSES: [(&str, &str); 4] = [
    ("", "Every status"),
    ("open", "Open"),
    ("escalated", "Escalated to a complaint"),
    ("closed", "Closed"),
];

fn status_words(s: ServiceRequestStatus) -> &'static str {
    match s {
        ServiceRequestStatus::Open => "Open",
        ServiceRequestStatus::Escalated => "Escalated to a complaint",
        ServiceRequestStatus::Closed => "Closed",
    }
}

/// One row of the list.
struct Row {
    id: String,
    received: String,
    age: i64,
    status: &'static str,
    description: String,
    complaint: Option<String>,
}

fn row(st: &AppState, sr: &ServiceRequest) -> Row {
    let today = london_date(st.service.clock.now());
    let mut description: String = sr.description.chars().take(120).collect();
    if description.len() < sr.description.len() {
        description.push('…');
    }
    Row {
        id: sr.id.clone(),
        received: crate::html::long_date(london_date(sr.logged_at)),
        age: sr.age_working_days(&st.service.rules.calendar, today),
        status: status_words(sr.status()),
        description,
        complaint: sr.complaint.clone(),
    }
}

fn chrome<'a>(st: &'a AppState, who: &'a SignedIn, title: &'a str) -> Chrome<'a> {
    Chrome::new(
        title,
        &st.service.settings.landlord,
        &Header::Staff(Some(StaffHeader {
            name: &who.staff.name,
            role: who.staff.role.as_str(),
            csrf: &who.csrf,
            current: "service-requests",
        })),
    )
}

/// The list page.
#[derive(Template)]
#[template(path = "staff/service_requests.html")]
struct ListPage<'a> {
    chrome: Chrome<'a>,
    errors: Vec<(String, String)>,
    status_field: Field<'a>,
    rows: Vec<Row>,
    caption: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct StatusFilter {
    status: Option<String>,
}

/// `GET /staff/service-requests/review`: service requests by status, oldest first.
pub(crate) async fn service_requests_page(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    Query(f): Query<StatusFilter>,
) -> Response {
    let who = match who {
        Ok(w) => w,
        Err(to_sign_in) => return to_sign_in,
    };
    let value = f.status.clone().unwrap_or_default();
    let found = match who.staff.require(Role::Auditor) {
        Ok(()) => match api::ServiceRequestListQuery::of_status(f.status).parse() {
            Ok(q) => st
                .service
                .service_requests(&q)
                .await
                .map_err(Problem::from)
                .map(|l| (q.status, l)),
            Err(e) => Err(Problem::invalid(e)),
        },
        Err(p) => Err(p),
    };
    let (rows, caption, problem) = match found {
        Ok((status, list)) => (
            list.iter().map(|sr| row(&st, sr)).collect(),
            match status {
                Some(s) => format!("{} service requests, oldest first", status_words(s)),
                None => "Service requests, oldest first".to_string(),
            },
            None,
        ),
        Err(p) => (Vec::new(), "Service requests".to_string(), Some(p)),
    };
    let errors: Vec<(String, String)> = match &problem {
        None => Vec::new(),
        Some(p) if p.errors.is_empty() => vec![(
            "#filters".into(),
            p.detail.clone().unwrap_or_else(|| p.title.clone()),
        )],
        Some(p) => p
            .errors
            .iter()
            .map(|e| (format!("#filter-{}", e.field), e.message.clone()))
            .collect(),
    };
    let status_error = problem
        .as_ref()
        .and_then(|p| p.errors.iter().find(|e| e.field == "status"))
        .map(|e| e.message.clone());
    let options: Vec<(String, String)> = STATUSES
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = if errors.is_empty() {
        "Service requests"
    } else {
        "Error: Service requests"
    };
    let page = ListPage {
        chrome: chrome(&st, &who, title),
        errors,
        status_field: Field {
            value: &value,
            error: status_error.as_deref(),
            control: Control::Select(&options),
            ..Field::new("filter-status", "status", "Status")
        },
        rows,
        caption,
    };
    respond(status, &page)
}

/// The review page of one service request.
#[derive(Template)]
#[template(path = "staff/service_request.html")]
struct ReviewPage<'a> {
    chrome: Chrome<'a>,
    errors: Vec<(String, String)>,
    id: String,
    rows: Vec<(&'static str, String)>,
    complaint: Option<String>,
    csrf: &'a str,
    key: String,
    /// The close form, when the request is not closed and the role may close it.
    may_close: bool,
    /// The escalate form, when no complaint was raised yet and the role may raise one.
    may_escalate: bool,
    note: String,
    note_error: Option<String>,
    description: String,
    description_error: Option<String>,
}

/// What was just posted to the review page, and its errors by element id.
#[derive(Default)]
struct Posted {
    note: String,
    description: String,
    errors: Vec<(String, String)>,
}

fn review_page(
    st: &AppState,
    who: &SignedIn,
    sr: &ServiceRequest,
    posted: Posted,
    status: StatusCode,
) -> Response {
    let today = london_date(st.service.clock.now());
    let mut rows: Vec<(&'static str, String)> = vec![
        ("Status", status_words(sr.status()).to_string()),
        (
            "Received",
            crate::html::long_date(london_date(sr.logged_at)),
        ),
        (
            "Age",
            format!(
                "{} working days",
                sr.age_working_days(&st.service.rules.calendar, today)
            ),
        ),
        ("What the resident asked for", sr.description.clone()),
    ];
    if let Some(r) = &sr.response {
        rows.push(("Our response so far", r.clone()));
    }
    if let Some(n) = &sr.resident.name {
        rows.push(("Resident", n.clone()));
    }
    rows.push(("Logged by", sr.logged_by.clone()));
    if let Some(c) = &sr.closed {
        rows.push(("Closed", crate::html::long_date(london_date(c.at))));
        rows.push(("Closed by", c.by.clone()));
        rows.push(("Why it was closed", c.note.clone()));
    }
    let error_of = |id: &str| {
        posted
            .errors
            .iter()
            .find(|(e, _)| e == &format!("#{id}"))
            .map(|(_, m)| m.clone())
    };
    let title = format!(
        "{}Service request {}",
        if posted.errors.is_empty() {
            ""
        } else {
            "Error: "
        },
        sr.id
    );
    let page = ReviewPage {
        chrome: chrome(st, who, &title),
        errors: posted.errors.clone(),
        id: sr.id.clone(),
        rows,
        complaint: sr.complaint.clone(),
        csrf: &who.csrf,
        key: random_hex(16),
        may_close: sr.closed.is_none() && who.staff.role.includes(REVIEWER),
        may_escalate: sr.complaint.is_none() && who.staff.role.includes(Role::Officer),
        note_error: error_of("close-note"),
        description_error: error_of("escalate-description"),
        note: posted.note,
        description: posted.description,
    };
    respond(status, &page)
}

async fn load(st: &AppState, id: &str) -> Result<ServiceRequest, Problem> {
    st.service
        .store
        .load_service_request(id)
        .await
        .map_err(p3_domain::service::ServiceError::from)?
        .ok_or_else(Problem::not_found)
}

/// `GET /staff/service-requests/{id}/review`.
pub(crate) async fn service_request_page(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let who = match who {
        Ok(w) => w,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    who.staff.require(Role::Auditor)?;
    let sr = load(&st, &id).await?;
    Ok(review_page(
        &st,
        &who,
        &sr,
        Posted::default(),
        StatusCode::OK,
    ))
}

/// `POST /staff/service-requests/{id}/review`: `action` `close` (with `note`) or `escalate`
/// (with `description`, what the resident is dissatisfied with).
pub(crate) async fn review_service_request(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let who = match who {
        Ok(w) => w,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    let sr = load(&st, &id).await?;
    let action = text(&fields, "action").unwrap_or_default();
    let form = if action == "escalate" {
        "escalate"
    } else {
        "close"
    };
    let mut posted = Posted {
        note: text(&fields, "note").unwrap_or_default(),
        description: text(&fields, "description").unwrap_or_default(),
        errors: Vec::new(),
    };
    let fail = |mut posted: Posted, status: StatusCode, errors: Vec<(String, String)>| {
        posted.errors = errors;
        review_page(&st, &who, &sr, posted, status)
    };
    if !same(
        text(&fields, "csrf_token").as_deref().unwrap_or(""),
        &who.csrf,
    ) {
        return Ok(fail(
            posted,
            StatusCode::FORBIDDEN,
            vec![(
                format!("#{form}"),
                "This form had expired. Try again.".into(),
            )],
        ));
    }
    let needed = if form == "close" {
        REVIEWER
    } else {
        Role::Officer
    };
    if let Err(p) = who.staff.require(needed) {
        let message = p.detail.clone().unwrap_or_else(|| p.title.clone());
        return Ok(fail(
            posted,
            StatusCode::FORBIDDEN,
            vec![(format!("#{form}"), message)],
        ));
    }
    let key = text(&fields, "idempotency_key")
        .filter(|k| k.len() <= 64 && k.bytes().all(|b| b.is_ascii_alphanumeric()));
    let result = if form == "close" {
        let body = json!({"note": posted.note}).to_string();
        let idem = key.map(|k| {
            api::idempotency_key(
                &who.staff.email,
                &format!("/staff/service-requests/{id}/closure"),
                &format!("page {k}"),
                body.as_bytes(),
            )
        });
        let b = api::ClosureBody {
            note: Some(posted.note.clone()),
            at: None,
        };
        api::close(&st, &who.staff, &id, b, idem.as_ref()).await
    } else {
        api::escalate(&st, &who.staff, &sr, Some(posted.description.clone()), key).await
    };
    match result {
        Ok(res) if res.status().is_success() => {
            let v = json_of(res).await;
            let to = match v["reference"].as_str() {
                Some(reference) => format!("/staff/cases/{}", urlencode(reference)),
                None => format!("/staff/service-requests/{}/review", urlencode(&id)),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Ok(res) => {
            let status = res.status();
            let v = json_of(res).await;
            let message = v["detail"]
                .as_str()
                .unwrap_or("It could not be done")
                .to_string();
            Ok(fail(posted, status, vec![(format!("#{form}"), message)]))
        }
        Err(problem) => {
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let errors: Vec<(String, String)> = if problem.errors.is_empty() {
                vec![(
                    format!("#{form}"),
                    problem
                        .detail
                        .clone()
                        .unwrap_or_else(|| problem.title.clone()),
                )]
            } else {
                problem
                    .errors
                    .iter()
                    .map(|e| {
                        let id = match e.field.as_str() {
                            "note" | "description" => format!("#{form}-{}", e.field),
                            _ => format!("#{form}"),
                        };
                        (id, friendly(&e.field, &e.message))
                    })
                    .collect()
            };
            posted.errors.clear();
            Ok(fail(posted, status, errors))
        }
    }
}
