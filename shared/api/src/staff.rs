//! Staff routes: every one needs a valid token; writes check the role, honour `If-Match`,
//! `Idempotency-Key` and `at`, and answer with the whole updated case.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use p3_domain::case::{Case, Command, FirstContactResolution, NewCase};
use p3_domain::casefile::{ContactMethod, ContactPreferences, LetterFormat, SupportNeeds};
use p3_domain::complaint::{Channel, ComplaintForm, Representative};
use p3_domain::deadline::{self, DeadlineStatus};
use p3_domain::event::{
    CaseEvent, ExclusionGround, Outcome, PointDecision, PromisedAction, RequestedThrough,
    StageResponse,
};
use p3_domain::london::london_date;
use p3_domain::policy::HOUSING;
use p3_domain::ports::{CaseQuery, ReplyView, StoredReply};
use p3_domain::service::IdempotencyKey;
use p3_domain::service_request::{ServiceRequest, ServiceRequestForm};
use p3_domain::validation::{self, ValidationErrors};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Role, Staff};
use crate::body::{self, BodyKind};
use crate::extract::{Path, Query};
use crate::problem::Problem;
use crate::replay::{self, response as reply};
use crate::views;
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// Reads a staff JSON body: 415 for other media types.
async fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
) -> Result<(T, bytes::Bytes)> {
    match body::kind_of(headers) {
        Some(BodyKind::Json) => {}
        _ => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send the body as application/json",
            ))
        }
    }
    let bytes = body::read_limited(headers, body).await?;
    Ok((body::parse_json(&bytes)?, bytes))
}

/// The scoped idempotency key of a request, if the client sent one.
pub(crate) fn idempotency(
    headers: &HeaderMap,
    caller: &str,
    path: &str,
    body: &[u8],
) -> Result<Option<IdempotencyKey>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .map_err(|_| Problem::field("Idempotency-Key", "must be printable text"))?
        .trim();
    if key.is_empty() || key.len() > 200 {
        return Err(Problem::field(
            "Idempotency-Key",
            "must be 1 to 200 characters",
        ));
    }
    Ok(Some(IdempotencyKey {
        key: format!("{caller} POST {path} {key}"),
        fingerprint: body::fingerprint("POST", path, body),
    }))
}

fn if_match(headers: &HeaderMap) -> Result<Option<u64>> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
    s.parse::<u64>().map(Some).map_err(|_| {
        Problem::field(
            "If-Match",
            "must be the case version from its ETag, e.g. \"3\"",
        )
    })
}

/// The reply to a change: the case as it now is. `sent` holds the letter emails that had gone
/// before the change (the letters it issues have not gone yet).
fn case_reply(
    st: &AppState,
    sent: std::collections::HashSet<String>,
) -> impl Fn(&Case) -> StoredReply + Send + Sync {
    let rules = st.service.rules.clone();
    let clock = st.service.clock.clone();
    move |c: &Case| {
        let body = views::staff_case_with(c, &rules, clock.now(), &sent);
        StoredReply::Changed(replay::view(&c.reference, Some(c.version), &body))
    }
}

/// Which of a case's letter emails have gone; nothing when the case is not there (yet).
async fn sent_copies(st: &AppState, reference: &str) -> std::collections::HashSet<String> {
    match st.service.store.load(reference).await {
        Ok(Some(case)) if !case.letters.is_empty() => {
            views::sent_letter_copies(st.service.store.as_ref(), &case).await
        }
        _ => Default::default(),
    }
}

async fn load(st: &AppState, reference: &str) -> Result<Case> {
    st.service
        .store
        .load(reference)
        .await
        .map_err(p3_domain::service::ServiceError::from)?
        .ok_or_else(Problem::not_found)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewStaffComplaint {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    postcode: Option<String>,
    tenancy_reference: Option<String>,
    description: Option<String>,
    desired_outcome: Option<String>,
    category: Option<String>,
    tenure: Option<String>,
    channel: Channel,
    received_at: Option<DateTime<Utc>>,
    at: Option<DateTime<Utc>>,
    representative_name: Option<String>,
    representative_relationship: Option<String>,
    representative_email: Option<String>,
    representative_address: Option<String>,
    #[serde(default)]
    representative_authorised: bool,
    #[serde(default)]
    resolved_at_first_contact: bool,
    resolution_summary: Option<String>,
    outcome: Option<Outcome>,
    service_request: Option<String>,
    procedure: Option<String>,
}

pub(crate) async fn create_complaint(
    State(st): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (b, raw): (NewStaffComplaint, _) = json_body(&headers, body).await?;
    let form = ComplaintForm {
        name: b.name,
        email: b.email,
        phone: b.phone,
        address: b.address,
        postcode: b.postcode,
        tenancy_reference: b.tenancy_reference,
        description: b.description,
        desired_outcome: b.desired_outcome,
        category: b.category,
        tenure: b.tenure,
    };
    let mut errors = ValidationErrors::new();
    let details = form.validate(b.channel, &st.service.settings.categories);
    let rep_name = validation::clean(b.representative_name);
    let rep_rel = validation::clean(b.representative_relationship);
    let rep_email = validation::clean(b.representative_email).map(|e| e.to_ascii_lowercase());
    let rep_address = validation::clean(b.representative_address);
    if rep_email
        .as_deref()
        .is_some_and(|e| !validation::is_email(e))
    {
        errors.add(
            "representative_email",
            "Enter an email address in the correct format, like name@example.com",
        );
    }
    errors.check_len("representative_address", rep_address.as_deref(), 500);
    if rep_name.is_none()
        && (rep_email.is_some() || rep_address.is_some() || b.representative_authorised)
    {
        errors.add(
            "representative_name",
            "Name the representative as well as their contact details",
        );
    }
    errors.check_len("representative_name", rep_name.as_deref(), 200);
    errors.check_len("representative_relationship", rep_rel.as_deref(), 200);
    if b.channel == Channel::Representative && rep_name.is_none() {
        errors.add(
            "representative_name",
            "Name the representative who raised the complaint",
        );
    }
    if rep_rel.is_some() && rep_name.is_none() {
        errors.add(
            "representative_name",
            "Name the representative as well as their relationship",
        );
    }
    let summary = validation::clean(b.resolution_summary);
    if b.resolved_at_first_contact && summary.is_none() {
        errors.add(
            "resolution_summary",
            "Enter what was agreed with the resident at first contact",
        );
    }
    if !b.resolved_at_first_contact && (summary.is_some() || b.outcome.is_some()) {
        errors.add(
            "resolved_at_first_contact",
            "must be true when a resolution is given",
        );
    }
    errors.check_len("resolution_summary", summary.as_deref(), 10_000);
    let procedure = b.procedure.unwrap_or_else(|| HOUSING.to_string());
    if st.service.rules.procedures.get(&procedure).is_none() {
        errors.add("procedure", "unknown procedure");
    }
    if let Some(sr) = &b.service_request {
        match st
            .service
            .store
            .load_service_request(sr)
            .await
            .map_err(p3_domain::service::ServiceError::from)?
        {
            Some(_) => {}
            None => errors.add("service_request", "no service request has this id"),
        }
    }
    let mut details = match details {
        Ok(d) => {
            errors.into_result().map_err(Problem::invalid)?;
            d
        }
        Err(mut e) => {
            e.errors.extend(errors.errors);
            return Err(Problem::invalid(e));
        }
    };
    details.representative = rep_name.map(|name| Representative {
        name,
        relationship: rep_rel,
        email: rep_email,
        address: rep_address,
        authorised_copies: b.representative_authorised,
    });
    let new = NewCase {
        procedure,
        complaint: details,
        service_request: b.service_request,
        access_code_hash: None,
        first_contact_resolution: b.resolved_at_first_contact.then(|| FirstContactResolution {
            outcome: b.outcome.unwrap_or(Outcome::Upheld),
            summary: summary.unwrap_or_default(),
        }),
    };
    create(
        &st,
        &staff,
        &headers,
        "/staff/complaints",
        &raw,
        new,
        b.received_at.or(b.at),
    )
    .await
}

async fn create(
    st: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    path: &str,
    raw: &[u8],
    new: NewCase,
    at: Option<DateTime<Utc>>,
) -> Result<Response> {
    let idem = idempotency(headers, &staff.email, path, raw)?;
    let rules = st.service.rules.clone();
    let clock = st.service.clock.clone();
    let render = move |c: &Case, code: &str| {
        let mut v = views::staff_case(c, &rules, clock.now());
        v["access_code"] = json!(code);
        StoredReply::Created(replay::view(&c.reference, Some(c.version), &v))
    };
    let w = st
        .service
        .create_case(new, &staff.email, at, idem.as_ref(), &render)
        .await?;
    if let Some(c) = &w.case {
        tracing::info!(reference = %c.reference, "complaint recorded by staff");
    }
    let location = match &w.reply {
        StoredReply::Created(view) => {
            HeaderValue::from_str(&format!("/staff/complaints/{}", view.reference)).ok()
        }
        _ => None,
    };
    let mut res = reply(w.reply);
    if let Some(loc) = location {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

pub(crate) async fn create_service_request(
    State(st): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (form, raw): (ServiceRequestForm, _) = json_body(&headers, body).await?;
    let at = form.at;
    let (resident, description, category, response) = form
        .validate(&st.service.settings.categories)
        .map_err(Problem::invalid)?;
    let now = st.service.clock.now();
    let request = ServiceRequest {
        id: String::new(),
        description,
        category,
        resident,
        response,
        logged_at: at.unwrap_or(now),
        recorded_at: now,
        logged_by: staff.email.clone(),
    };
    let idem = idempotency(&headers, &staff.email, "/staff/service-requests", &raw)?;
    let render = |sr: &ServiceRequest| {
        StoredReply::Created(ReplyView {
            reference: sr.id.clone(),
            version: None,
            body: serde_json::to_string(sr).unwrap_or_default(),
        })
    };
    let w = st
        .service
        .create_service_request(request, idem.as_ref(), &render)
        .await?;
    Ok(reply(w.reply))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Dissatisfaction {
    description: Option<String>,
    channel: Option<Channel>,
    at: Option<DateTime<Utc>>,
}

pub(crate) async fn dissatisfaction(
    State(st): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (b, raw): (Dissatisfaction, _) = json_body(&headers, body).await?;
    let sr = st
        .service
        .store
        .load_service_request(&id)
        .await
        .map_err(p3_domain::service::ServiceError::from)?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "No service request has this id",
            )
        })?;
    let mut e = ValidationErrors::new();
    let description = validation::clean(b.description);
    e.require_text(
        "description",
        description.as_deref(),
        p3_domain::complaint::MAX_DESCRIPTION,
        "what the resident is dissatisfied with",
    );
    e.into_result().map_err(Problem::invalid)?;
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: p3_domain::complaint::ComplaintDetails {
            resident: sr.resident.clone(),
            representative: None,
            channel: b.channel.unwrap_or(Channel::Phone),
            category: sr.category.clone(),
            description: description.unwrap_or_default(),
            desired_outcome: None,
            tenure: Default::default(),
        },
        service_request: Some(sr.id.clone()),
        access_code_hash: None,
        first_contact_resolution: None,
    };
    if let Some(at) = b.at {
        if at < sr.logged_at {
            return Err(Problem::field(
                "at",
                "must not be before the service request was made",
            ));
        }
    }
    let path = format!("/staff/service-requests/{id}/dissatisfaction");
    create(&st, &staff, &headers, &path, &raw, new, b.at).await
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    status: Option<String>,
    owner: Option<String>,
    overdue: Option<String>,
    limit: Option<String>,
}

const STATUSES: [&str; 8] = [
    "received",
    "acknowledged",
    "responded",
    "stage2_requested",
    "stage2_acknowledged",
    "closed",
    "withdrawn",
    "refused",
];

pub(crate) async fn list(
    State(st): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    staff.require(Role::Auditor)?;
    let mut e = ValidationErrors::new();
    let status = validation::clean(q.status);
    if let Some(s) = &status {
        let known = STATUSES.contains(&s.as_str())
            || (s.starts_with("stage")
                && (s.ends_with("_requested") || s.ends_with("_acknowledged")));
        if !known {
            e.add("status", format!("must be one of {}", STATUSES.join(", ")));
        }
    }
    let overdue = match q.overdue.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            e.add("overdue", "must be true or false");
            false
        }
    };
    let limit = match q.limit.as_deref() {
        None | Some("") => 500,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=5000).contains(&n) => n,
            _ => {
                e.add("limit", "must be a whole number from 1 to 5000");
                500
            }
        },
    };
    e.into_result().map_err(Problem::invalid)?;
    let now = st.service.clock.now();
    let today = london_date(now);
    let query = CaseQuery {
        status,
        owner: validation::clean(q.owner).map(|o| o.to_ascii_lowercase()),
        overdue,
        today: Some(today),
        limit,
    };
    let cases = st
        .service
        .store
        .list(&query)
        .await
        .map_err(p3_domain::service::ServiceError::from)?;
    let rules = &st.service.rules;
    let items: Vec<_> = cases
        .iter()
        .filter_map(|c| {
            let policy = rules.policy_of(c).ok()?;
            let ds = deadline::deadlines(c, policy, &rules.calendar, today);
            let next = deadline::next_landlord_deadline(&ds).cloned();
            let overdue = next
                .as_ref()
                .is_some_and(|d| d.status == DeadlineStatus::Breached);
            let soon = next.as_ref().is_some_and(|d| {
                d.status == DeadlineStatus::Pending
                    && rules.calendar.working_days_between(today, d.due) <= 2
            });
            Some(json!({
                "reference": c.reference,
                "status": c.status(policy, &rules.calendar, today).name(),
                "stage": c.current_stage().number,
                "owner": c.owner(),
                "reviewer": c.reviewer(),
                "category": c.complaint.category,
                "channel": c.complaint.channel,
                "received_on": c.received_on(),
                "next_deadline": next,
                "overdue": overdue,
                "due_within_two_working_days": soon,
                "version": c.version,
            }))
        })
        .collect();
    Ok(axum::Json(json!({ "count": items.len(), "cases": items })).into_response())
}

pub(crate) async fn get_case(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    staff.require(Role::Auditor)?;
    let case = load(&st, &reference).await?;
    let etag = format!("\"{}\"", case.version);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let sent = views::sent_letter_copies(st.service.store.as_ref(), &case).await;
    let mut res = axum::Json(views::staff_case_with(
        &case,
        &st.service.rules,
        st.service.clock.now(),
        &sent,
    ))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

/// Runs a staff action on a case: checks the role, reads the JSON body, turns it into the
/// domain command (with its `at`), and applies it with `If-Match` and `Idempotency-Key`.
async fn action<B: serde::de::DeserializeOwned>(
    st: &AppState,
    staff: &Staff,
    reference: &str,
    request: Request,
    needed: Role,
    route: &str,
    command: impl FnOnce(B) -> (Command, Option<DateTime<Utc>>),
) -> Result<Response> {
    staff.require(needed)?;
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let (b, raw): (B, _) = json_body(headers, body).await?;
    let (command, at) = command(b);
    let expected = if_match(headers)?;
    let path = format!("/staff/complaints/{reference}/{route}");
    let idem = idempotency(headers, &staff.email, &path, &raw)?;
    let render = case_reply(st, sent_copies(st, reference).await);
    let w = st
        .service
        .act(
            reference,
            command,
            &staff.email,
            at,
            expected,
            idem.as_ref(),
            &render,
        )
        .await?;
    if let Some(c) = &w.case {
        tracing::info!(reference = %c.reference, version = c.version, by_role = %staff.role.as_str(), route, "case updated");
    }
    Ok(reply(w.reply))
}

/// The role a stage's extension or response needs: Stage 1 the Investigating Manager,
/// later stages a senior manager.
fn role_for_stage(stage: u8) -> Role {
    if stage <= 1 {
        Role::InvestigatingManager
    } else {
        Role::SeniorManager
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AckBody {
    investigating_manager: Option<String>,
    reviewer: Option<String>,
    #[serde(default)]
    complaint_points: Vec<String>,
    at: Option<DateTime<Utc>>,
}

pub(crate) async fn acknowledge(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "acknowledgement",
        |b: AckBody| {
            let cmd = Command::Acknowledge {
                investigating_manager: b.investigating_manager,
                reviewer: b.reviewer,
                complaint_points: b.complaint_points,
            };
            (cmd, b.at)
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtendBody {
    working_days: u32,
    reason: String,
    at: Option<DateTime<Utc>>,
}

pub(crate) async fn extend(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    staff.require(Role::InvestigatingManager)?;
    let stage = load(&st, &reference).await?.current_stage().number;
    action(
        &st,
        &staff,
        &reference,
        request,
        role_for_stage(stage),
        "extension",
        |b: ExtendBody| {
            (
                Command::Extend {
                    working_days: b.working_days,
                    reason: b.reason,
                },
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResponseBody {
    outcome: Outcome,
    summary: String,
    remedy: Option<String>,
    #[serde(default)]
    point_decisions: Vec<PointDecision>,
    #[serde(default)]
    actions: Vec<PromisedAction>,
    compensation_pence: Option<u64>,
    at: Option<DateTime<Utc>>,
}

async fn respond(
    st: AppState,
    staff: Staff,
    reference: String,
    request: Request,
    stage: u8,
) -> Result<Response> {
    let route = format!("stage{stage}-response");
    action(
        &st,
        &staff,
        &reference,
        request,
        role_for_stage(stage),
        &route,
        |b: ResponseBody| {
            let response = StageResponse {
                outcome: b.outcome,
                summary: b.summary,
                remedy: b.remedy,
                point_decisions: b.point_decisions,
                actions: b.actions,
                compensation_pence: b.compensation_pence,
            };
            (Command::Respond { stage, response }, b.at)
        },
    )
    .await
}

pub(crate) async fn stage1_response(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    respond(st, staff, reference, request, 1).await
}

pub(crate) async fn stage2_response(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    respond(st, staff, reference, request, 2).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonBody {
    reason: Option<String>,
    at: Option<DateTime<Utc>>,
}

pub(crate) async fn request_stage2(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "stage2",
        |b: ReasonBody| {
            (
                Command::RequestNextStage {
                    reason: b.reason,
                    through: RequestedThrough::Staff,
                },
                b.at,
            )
        },
    )
    .await
}

pub(crate) async fn withdraw(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "withdrawal",
        |b: ReasonBody| (Command::Withdraw { reason: b.reason }, b.at),
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefusalBody {
    ground: ExclusionGround,
    explanation: String,
    at: Option<DateTime<Utc>>,
}

pub(crate) async fn refuse(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::SeniorManager,
        "refusal",
        |b: RefusalBody| {
            (
                Command::Refuse {
                    ground: b.ground,
                    explanation: b.explanation,
                },
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum OmbudsmanEvent {
    Referred,
    Determination,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OmbudsmanBody {
    event: OmbudsmanEvent,
    detail: String,
    at: Option<DateTime<Utc>>,
}

pub(crate) async fn ombudsman(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::SeniorManager,
        "ombudsman",
        |b: OmbudsmanBody| {
            let determination = matches!(b.event, OmbudsmanEvent::Determination);
            (
                Command::Ombudsman {
                    determination,
                    detail: b.detail,
                },
                b.at,
            )
        },
    )
    .await
}

// ---------------------------------------------------------------- the case file

/// A number in the path (`{number}`, `{offer}`): a whole number from 1, or a 400 naming it.
pub(crate) fn path_number(name: &str, value: &str) -> Result<u16> {
    match value.parse::<u16>() {
        Ok(n) if n > 0 && !value.starts_with('+') => Ok(n),
        _ => Err(crate::extract::bad_parameter(
            name,
            "must be a whole number from 1 to 65535",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PointsBody {
    complaint_points: Vec<String>,
    reason: String,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/points`: the current stage's points, revised.
pub(crate) async fn revise_points(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    staff.require(Role::InvestigatingManager)?;
    let stage = load(&st, &reference).await?.current_stage().number;
    action(
        &st,
        &staff,
        &reference,
        request,
        role_for_stage(stage),
        "points",
        |b: PointsBody| {
            (
                Command::RevisePoints {
                    complaint_points: b.complaint_points,
                    reason: b.reason,
                },
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReassignBody {
    handler: String,
    reason: String,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/reassignment`: a new handler for the current stage.
pub(crate) async fn reassign(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::SeniorManager,
        "reassignment",
        |b: ReassignBody| {
            (
                Command::Reassign {
                    handler: b.handler,
                    reason: b.reason,
                },
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NeedsBody {
    vulnerabilities: Option<String>,
    adjustments: String,
    consent: bool,
    review_on: NaiveDate,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/needs`: vulnerabilities and adjustments, with consent.
pub(crate) async fn record_needs(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "needs",
        |b: NeedsBody| {
            (
                Command::RecordNeeds(SupportNeeds {
                    vulnerabilities: b.vulnerabilities,
                    adjustments: b.adjustments,
                    consent: b.consent,
                    review_on: b.review_on,
                }),
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactBody {
    method: ContactMethod,
    format: LetterFormat,
    language: Option<String>,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/contact-preferences`: how letters reach the resident.
pub(crate) async fn contact_preferences(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "contact-preferences",
        |b: ContactBody| {
            (
                Command::SetContactPreferences(ContactPreferences {
                    method: b.method,
                    format: b.format,
                    language: b.language,
                }),
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepresentativeBody {
    name: Option<String>,
    relationship: Option<String>,
    email: Option<String>,
    address: Option<String>,
    #[serde(default)]
    authorised_copies: bool,
    #[serde(default)]
    remove: bool,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/representative`: set or (`{"remove": true}`) remove
/// the resident's representative.
pub(crate) async fn representative(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (parts, body) = request.into_parts();
    let bytes = body::read_limited(&parts.headers, body).await?;
    // Check the body's sense before the command is built: removing takes no details.
    if matches!(body::kind_of(&parts.headers), Some(BodyKind::Json)) {
        if let Ok(b) = body::parse_json::<RepresentativeBody>(&bytes) {
            let details = b.name.is_some()
                || b.relationship.is_some()
                || b.email.is_some()
                || b.address.is_some()
                || b.authorised_copies;
            if b.remove && details {
                return Err(Problem::field(
                    "remove",
                    "must not be given with the representative's details",
                ));
            }
            if !b.remove && b.name.is_none() {
                return Err(Problem::field(
                    "name",
                    "Enter the representative's name, or send \"remove\": true",
                ));
            }
        }
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "representative",
        |b: RepresentativeBody| {
            let rep = (!b.remove).then(|| Representative {
                name: b.name.unwrap_or_default(),
                relationship: b.relationship,
                email: b.email,
                address: b.address,
                authorised_copies: b.authorised_copies,
            });
            (Command::SetRepresentative(rep), b.at)
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompletionBody {
    note: String,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/actions/{number}/completion`: a tracked action done.
pub(crate) async fn complete_action(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, number)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let number = path_number("number", &number)?;
    let route = format!("actions/{number}/completion");
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::InvestigatingManager,
        &route,
        |b: CompletionBody| {
            (
                Command::CompleteAction {
                    action: number,
                    note: b.note,
                },
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferBody {
    amount_pence: u64,
    reason: String,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/compensation`: an offer outside a response.
pub(crate) async fn offer_compensation(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::InvestigatingManager,
        "compensation",
        |b: OfferBody| {
            (
                Command::OfferCompensation {
                    amount_pence: b.amount_pence,
                    reason: b.reason,
                },
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerBody {
    accepted: bool,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/compensation/{offer}/answer`: accepted or declined.
pub(crate) async fn answer_compensation(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, offer)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let offer = path_number("offer", &offer)?;
    let route = format!("compensation/{offer}/answer");
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        &route,
        |b: AnswerBody| {
            (
                Command::AnswerCompensation {
                    offer,
                    accepted: b.accepted,
                },
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PaymentBody {
    payment_reference: Option<String>,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/compensation/{offer}/payment`: an accepted offer paid.
pub(crate) async fn pay_compensation(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, offer)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let offer = path_number("offer", &offer)?;
    let route = format!("compensation/{offer}/payment");
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::SeniorManager,
        &route,
        |b: PaymentBody| {
            (
                Command::PayCompensation {
                    offer,
                    payment_reference: b.payment_reference,
                },
                b.at,
            )
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderBody {
    description: String,
    due: NaiveDate,
    owner: String,
    at: Option<DateTime<Utc>>,
}

/// `POST /staff/complaints/{reference}/ombudsman/orders`: an order of the determination.
pub(crate) async fn ombudsman_order(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::SeniorManager,
        "ombudsman/orders",
        |b: OrderBody| {
            (
                Command::OmbudsmanOrder {
                    description: b.description,
                    due: b.due,
                    owner: b.owner,
                },
                b.at,
            )
        },
    )
    .await
}

/// `GET /staff/complaints/{reference}/letters/{number}`: the letter as kept, ready to print.
pub(crate) async fn letter_page(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, number)): Path<(String, String)>,
) -> Result<Response> {
    staff.require(Role::Auditor)?;
    let number = path_number("number", &number)?;
    let case = load(&st, &reference).await?;
    let letter = case
        .history
        .iter()
        .find_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } if letter.number == number => Some(letter),
            _ => None,
        })
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("Complaint {reference} has no letter {number}"),
            )
        })?;
    let html = crate::letters::print_page(&case, letter, &st.service.rules.letters.landlord);
    tracing::info!(reference = %case.reference, letter = number, "letter opened for printing");
    Ok(crate::public::private_page(
        axum::response::Html(html).into_response(),
    ))
}
