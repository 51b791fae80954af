//! Taking complaints and service requests in from the staff pages: `/staff/complaints/new` logs
//! a complaint made by phone, letter, in person or any other way, `/staff/service-requests/new`
//! logs a service request (`templates/staff/intake.html`). Each form becomes the JSON body of
//! its API route (`POST /staff/complaints`, `POST /staff/service-requests`), read and checked by
//! the same functions as the API's, and applied through the Service, never a JSON handler.

use askama::Template;

use super::case::form::{Ctl, Input, Part};
use super::*;
use crate::html::category_options;
use crate::routes::json::staff::{self as api};
use crate::routes::pages::layout::{respond, Chrome};

/// How a complaint reached us, in the order the form offers them.
const CHANNELS: [(&str, &str); 8] = [
    ("phone", "Phone call"),
    ("letter", "Letter"),
    ("email", "Email"),
    ("in_person", "In person (office or visit)"),
    (
        "representative",
        "From a representative on the resident's behalf",
    ),
    ("social_media", "Social media"),
    ("survey", "Dissatisfaction in survey feedback"),
    ("web", "Web form (a copy taken down by staff)"),
];

const OUTCOMES: [(&str, &str); 3] = [
    ("upheld", "Upheld"),
    ("partly_upheld", "Partly upheld"),
    ("not_upheld", "Not upheld"),
];

const TENURES: [(&str, &str); 2] = [
    ("low_cost_rental", "Renting (low-cost rental)"),
    (
        "low_cost_home_ownership",
        "Shared ownership (low-cost home ownership)",
    ),
];

/// One of the two intake forms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Complaint,
    ServiceRequest,
}

impl Kind {
    /// The form's id, the prefix of its fields' ids.
    fn form(self) -> &'static str {
        match self {
            Kind::Complaint => "complaint",
            Kind::ServiceRequest => "service-request",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::Complaint => "/staff/complaints/new",
            Kind::ServiceRequest => "/staff/service-requests/new",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Complaint => "Log a complaint",
            Kind::ServiceRequest => "Log a service request",
        }
    }

    /// The text fields the form sends as they are typed.
    fn texts(self) -> &'static [&'static str] {
        match self {
            Kind::Complaint => &[
                "description",
                "desired_outcome",
                "category",
                "tenure",
                "name",
                "email",
                "phone",
                "address",
                "postcode",
                "tenancy_reference",
                "representative_name",
                "representative_relationship",
                "representative_email",
                "representative_address",
                "service_request",
                "resolution_summary",
                "outcome",
            ],
            Kind::ServiceRequest => &[
                "description",
                "category",
                "response",
                "name",
                "email",
                "phone",
                "address",
                "postcode",
                "tenancy_reference",
            ],
        }
    }
}

/// An intake page: its form, or the role it needs.
#[derive(Template)]
#[template(path = "staff/intake.html")]
struct IntakePage<'a> {
    chrome: Chrome<'a>,
    /// (element id with its #, message) for the error summary.
    errors: Vec<(String, String)>,
    heading: &'static str,
    intro: &'static str,
    /// The banner after a service request was logged.
    logged: Option<String>,
    form_id: &'static str,
    action: &'static str,
    csrf: &'a str,
    key: String,
    /// `None` when the member of staff's role may not log one.
    parts: Option<Vec<Part>>,
    button: &'static str,
}

fn options(list: &[(&str, &str)], empty: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), empty.to_string())];
    out.extend(list.iter().map(|(v, l)| (v.to_string(), l.to_string())));
    out
}

/// The form's parts, with what was just posted and its errors.
fn parts(st: &AppState, kind: Kind, attempt: &Attempt) -> Vec<Part> {
    let form = kind.form();
    let field = |name: &str, label: &str, hint: &str, control: Ctl| Input {
        hint: hint.to_string(),
        control,
        ..input(attempt, form, name, label)
    };
    let text = |name: &str, label: &str| field(name, label, "", Ctl::Input("text"));
    let checkbox = |name: &'static str, label: &'static str| {
        let id = format!("{form}-{name}");
        Part::Checkbox {
            checked: attempt.value(form, name) == "true",
            error: attempt.error(&id).map(str::to_string),
            id,
            name,
            label,
        }
    };
    let categories = category_options(&st.service.settings.categories);
    let when_hint = "Date and time in London, like 2026-05-14T10:30. Leave empty for now.";
    let resident = |f: &dyn Fn(&str, &str) -> Input| {
        vec![
            f("name", "Full name"),
            f("email", "Email address"),
            f("phone", "Phone number"),
            Input {
                control: Ctl::TextArea(3),
                ..f("address", "Address")
            },
            Input {
                class: "input--medium",
                ..f("postcode", "Postcode")
            },
            f("tenancy_reference", "Tenancy reference"),
        ]
    };
    match kind {
        Kind::Complaint => {
            vec![
                Part::Field(field(
                    "channel",
                    "How was the complaint made?",
                    "",
                    Ctl::Select(options(&CHANNELS, "Choose how")),
                )),
                Part::Field(field(
                    "received_at",
                    "When was it made? (optional)",
                    when_hint,
                    Ctl::Input("datetime-local"),
                )),
                Part::Field(field(
                    "description",
                    "What is the complaint about?",
                    "In the resident's words where you can. Up to 10,000 characters.",
                    Ctl::TextArea(6),
                )),
                Part::Field(field(
                    "desired_outcome",
                    "What would put it right for them? (optional)",
                    "",
                    Ctl::TextArea(3),
                )),
                Part::Field(field("category", "Topic (optional)", "", Ctl::Select(categories))),
                Part::Field(field(
                    "tenure",
                    "Tenure (optional)",
                    "",
                    Ctl::Select(options(&TENURES, "Not known (renting)")),
                )),
                Part::Group {
                    legend: "The resident",
                    hint: "Give at least one way to reach them: email, phone or address.",
                    inputs: resident(&text),
                },
                Part::Group {
                    legend: "Representative (optional)",
                    hint: "Someone making the complaint on the resident's behalf.",
                    inputs: vec![
                        text("representative_name", "Representative's name"),
                        text(
                            "representative_relationship",
                            "Relationship to the resident",
                        ),
                        text("representative_email", "Representative's email address"),
                        Input {
                            control: Ctl::TextArea(3),
                            ..text("representative_address", "Representative's address")
                        },
                    ],
                },
                checkbox(
                    "representative_authorised",
                    "The resident agrees the representative gets copies of our letters",
                ),
                Part::Field(field(
                    "service_request",
                    "Service request it arises from (optional)",
                    "Its id, like SR-2026-00017, when the resident is dissatisfied with a service request.",
                    Ctl::Input("text"),
                )),
                checkbox(
                    "resolved_at_first_contact",
                    "Resolved at first contact",
                ),
                Part::Field(field(
                    "resolution_summary",
                    "What was agreed at first contact (if resolved)",
                    "",
                    Ctl::TextArea(3),
                )),
                Part::Field(field(
                    "outcome",
                    "Decision at first contact (if resolved)",
                    "",
                    Ctl::Select(options(&OUTCOMES, "Upheld (the default)")),
                )),
            ]
        }
        Kind::ServiceRequest => vec![
            Part::Field(field(
                "description",
                "What is the resident asking for?",
                "For example, a repair. Up to 10,000 characters.",
                Ctl::TextArea(5),
            )),
            Part::Field(field(
                "category",
                "Topic (optional)",
                "",
                Ctl::Select(categories),
            )),
            Part::Field(field(
                "response",
                "Our response so far (optional)",
                "",
                Ctl::TextArea(3),
            )),
            Part::Field(field(
                "at",
                "When was it made? (optional)",
                when_hint,
                Ctl::Input("datetime-local"),
            )),
            Part::Group {
                legend: "The resident",
                hint: "Give at least one way to reach them: email, phone or address.",
                inputs: resident(&text),
            },
        ],
    }
}

fn page(
    st: &AppState,
    who: &SignedIn,
    kind: Kind,
    attempt: &Attempt,
    logged: Option<String>,
    status: StatusCode,
) -> Response {
    let title = if attempt.errors.is_empty() {
        kind.title().to_string()
    } else {
        format!("Error: {}", kind.title())
    };
    let allowed = who.staff.role.includes(Role::Officer);
    let page = IntakePage {
        chrome: Chrome::new(
            &title,
            &st.service.settings.landlord,
            &Header::Staff(Some(StaffHeader {
                name: &who.staff.name,
                role: who.staff.role.as_str(),
                csrf: &who.csrf,
                current: kind.form(),
            })),
        ),
        errors: attempt.errors.clone(),
        heading: kind.title(),
        intro: match kind {
            Kind::Complaint => "A complaint made to us by phone, letter, email, in person or any other way. Any expression of dissatisfaction is a complaint: log it even if the resident does not use the word.",
            Kind::ServiceRequest => "A request to put something right, such as a repair, is not a complaint. If the resident is dissatisfied with our response, it is raised as a complaint.",
        },
        logged,
        form_id: kind.form(),
        action: kind.path(),
        csrf: &who.csrf,
        key: random_hex(16),
        parts: allowed.then(|| parts(st, kind, attempt)),
        button: match kind {
            Kind::Complaint => "Log the complaint",
            Kind::ServiceRequest => "Log the service request",
        },
    };
    respond(status, &page)
}

#[derive(Deserialize)]
pub(crate) struct LoggedQuery {
    logged: Option<String>,
}

/// `GET /staff/complaints/new`.
pub(crate) async fn complaint_form(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
) -> Response {
    match who {
        Ok(who) => page(
            &st,
            &who,
            Kind::Complaint,
            &Attempt::default(),
            None,
            StatusCode::OK,
        ),
        Err(to_sign_in) => to_sign_in,
    }
}

/// `GET /staff/service-requests/new` (`?logged=SR-…` after one was logged).
pub(crate) async fn service_request_form(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    Query(q): Query<LoggedQuery>,
) -> Response {
    let logged = q
        .logged
        .filter(|id| id.len() <= 40 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    match who {
        Ok(who) => page(
            &st,
            &who,
            Kind::ServiceRequest,
            &Attempt::default(),
            logged,
            StatusCode::OK,
        ),
        Err(to_sign_in) => to_sign_in,
    }
}

/// `POST /staff/complaints/new`.
pub(crate) async fn log_complaint(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    post(st, who, headers, body, Kind::Complaint).await
}

/// `POST /staff/service-requests/new`.
pub(crate) async fn log_service_request(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    post(st, who, headers, body, Kind::ServiceRequest).await
}

/// Turns an intake form into the JSON body of its API route, with the fields at fault (by
/// element id) that the page finds itself. A complaint with no channel gets a stand-in, so
/// the API's checks still name every other field at fault.
fn json_body(kind: Kind, fields: &[(String, String)]) -> (Value, Vec<(String, String)>) {
    let form = kind.form();
    let mut errors = Vec::new();
    let mut body = Map::new();
    for name in kind.texts() {
        if let Some(v) = text(fields, name) {
            body.insert((*name).into(), json!(v));
        }
    }
    let when = match kind {
        Kind::Complaint => "received_at",
        Kind::ServiceRequest => "at",
    };
    match datetime_of(fields, when) {
        Ok(Some(at)) => {
            body.insert(when.into(), json!(at));
        }
        Ok(None) => {}
        Err(m) => errors.push((format!("{form}-{when}"), m)),
    }
    if kind == Kind::Complaint {
        let channel = text(fields, "channel").unwrap_or_else(|| {
            errors.push((
                format!("{form}-channel"),
                "Choose how the complaint was made".into(),
            ));
            "phone".into()
        });
        body.insert("channel".into(), json!(channel));
        for name in ["representative_authorised", "resolved_at_first_contact"] {
            if get(fields, name) == Some("true") {
                body.insert(name.into(), json!(true));
            }
        }
    }
    (Value::Object(body), errors)
}

/// What a checked intake form logs.
enum Checked {
    Complaint(
        p3_domain::case::NewCase,
        Option<chrono::DateTime<chrono::Utc>>,
    ),
    ServiceRequest(p3_domain::service_request::ServiceRequest),
}

/// The API's checks of the body, by the functions its route uses.
async fn check(st: &AppState, staff: &Staff, kind: Kind, json: &[u8]) -> Result<Checked, Problem> {
    Ok(match kind {
        Kind::Complaint => {
            let (new, at) = api::staff_complaint_case(st, crate::body::parse_json(json)?).await?;
            Checked::Complaint(new, at)
        }
        Kind::ServiceRequest => Checked::ServiceRequest(api::service_request_of(
            st,
            staff,
            crate::body::parse_json(json)?,
        )?),
    })
}

/// Where an API field error is shown: its field, or the form itself.
fn element_for(kind: Kind, field: &str) -> String {
    let form = kind.form();
    match field.split(['[', '.']).next().unwrap_or(field) {
        "" | "(body)" | "procedure" => form.to_string(),
        "at" if kind == Kind::Complaint => format!("{form}-received_at"),
        other => format!("{form}-{other}"),
    }
}

async fn post(
    st: AppState,
    who: Result<SignedIn, Response>,
    headers: HeaderMap,
    body: Body,
    kind: Kind,
) -> Result<Response, Problem> {
    let who = match who {
        Ok(w) => w,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    let form = kind.form();
    let fail = |status: StatusCode, errors: Vec<(String, String)>| {
        let attempt = Attempt {
            action: form.to_string(),
            fields: fields.clone(),
            errors: errors
                .into_iter()
                .map(|(id, m)| (format!("#{id}"), m))
                .collect(),
        };
        page(&st, &who, kind, &attempt, None, status)
    };
    if !same(get(&fields, "csrf_token").unwrap_or(""), &who.csrf) {
        return Ok(fail(
            StatusCode::FORBIDDEN,
            vec![(
                form.to_string(),
                "This form had expired. Check what you entered and try again.".into(),
            )],
        ));
    }
    if let Err(p) = who.staff.require(Role::Officer) {
        let message = p.detail.clone().unwrap_or_else(|| p.title.clone());
        return Ok(fail(
            StatusCode::FORBIDDEN,
            vec![(form.to_string(), message)],
        ));
    }
    let (json, mut errors) = json_body(kind, &fields);
    let json = json.to_string();
    let checked = check(&st, &who.staff, kind, json.as_bytes()).await;
    if !errors.is_empty() {
        if let Err(p) = &checked {
            errors.extend(
                p.errors
                    .iter()
                    .map(|e| (element_for(kind, &e.field), friendly(&e.field, &e.message))),
            );
        }
        return Ok(fail(StatusCode::UNPROCESSABLE_ENTITY, errors));
    }
    let path = match kind {
        Kind::Complaint => "/staff/complaints",
        Kind::ServiceRequest => "/staff/service-requests",
    };
    let idem = text(&fields, "idempotency_key")
        .filter(|k| k.len() <= 64 && k.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(|k| {
            api::idempotency_key(
                &who.staff.email,
                path,
                &format!("page {k}"),
                json.as_bytes(),
            )
        });
    let result = match checked {
        Ok(Checked::Complaint(new, at)) => {
            api::create(&st, &who.staff, idem.as_ref(), new, at).await
        }
        Ok(Checked::ServiceRequest(request)) => {
            api::log_service_request(&st, request, idem.as_ref()).await
        }
        Err(p) => Err(p),
    };
    match result {
        Ok(res) if res.status().is_success() => {
            let v = json_of(res).await;
            let to = match kind {
                Kind::Complaint => format!(
                    "/staff/cases/{}",
                    urlencode(v["reference"].as_str().unwrap_or_default())
                ),
                Kind::ServiceRequest => format!(
                    "/staff/service-requests/new?logged={}",
                    urlencode(v["id"].as_str().unwrap_or_default())
                ),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Ok(res) => {
            let status = res.status();
            let v = json_of(res).await;
            let message = v["detail"]
                .as_str()
                .unwrap_or("It could not be logged")
                .to_string();
            Ok(fail(status, vec![(form.to_string(), message)]))
        }
        Err(problem) => {
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let errors = if problem.errors.is_empty() {
                vec![(
                    form.to_string(),
                    problem
                        .detail
                        .clone()
                        .unwrap_or_else(|| problem.title.clone()),
                )]
            } else {
                problem
                    .errors
                    .iter()
                    .map(|e| (element_for(kind, &e.field), friendly(&e.field, &e.message)))
                    .collect()
            };
            Ok(fail(status, errors))
        }
    }
}

#[cfg(test)]
mod tests;
