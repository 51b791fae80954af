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
use p3_domain::event::{
    CaseEvent, ExclusionGround, Outcome, PointDecision, PromisedAction, RequestedThrough,
    StageResponse,
};
use p3_domain::london::london_date;
use p3_domain::policy::HOUSING;
use p3_domain::ports::{ReplyView, StoredReply};
use p3_domain::role::Caller;
use p3_domain::service::IdempotencyKey;
use p3_domain::service_request::{ServiceRequest, ServiceRequestForm};
use p3_domain::validation::{self, ValidationErrors};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Role, Staff};
use crate::body::{self, BodyKind};
use crate::extract::{Path, Query};
use crate::http::replay::{self, response as reply};
use crate::problem::Problem;
use crate::views;
use crate::AppState;

mod attachments;
mod casefile;
mod inbox_attachments;
mod informed;
mod intake;
mod reading;
mod record;
mod service_requests;
mod stages;

pub(crate) use attachments::*;
pub(crate) use casefile::*;
pub(crate) use inbox_attachments::*;
pub(crate) use informed::*;
pub(crate) use intake::*;
pub(crate) use reading::*;
pub(crate) use record::*;
pub(crate) use service_requests::*;
pub(crate) use stages::*;

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
    Ok(idempotency_header(headers)?.map(|key| idempotency_key(caller, path, &key, body)))
}

/// The client's `Idempotency-Key` header: none when absent; when sent, 1 to 200 printable
/// characters (trimmed), or a 422 naming it. Every route that takes the header reads it here.
pub(crate) fn idempotency_header(headers: &HeaderMap) -> Result<Option<String>> {
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
    Ok(Some(key.to_string()))
}

/// The idempotency key of `caller`'s POST of `body` to `path` with the client's `key`.
pub(crate) fn idempotency_key(caller: &str, path: &str, key: &str, body: &[u8]) -> IdempotencyKey {
    IdempotencyKey {
        key: format!("{caller} POST {path} {key}"),
        fingerprint: body::fingerprint("POST", path, body),
    }
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

/// A staff action's domain command with when it happened (`at`) and, when a senior manager
/// dates it further back than staff may, why (`backdate_reason`).
pub(crate) struct Dated {
    pub(crate) command: Command,
    pub(crate) at: Option<DateTime<Utc>>,
    pub(crate) backdate_reason: Option<String>,
}

impl From<(Command, Option<DateTime<Utc>>)> for Dated {
    fn from((command, at): (Command, Option<DateTime<Utc>>)) -> Self {
        Dated {
            command,
            at,
            backdate_reason: None,
        }
    }
}

impl From<(Command, Option<DateTime<Utc>>, Option<String>)> for Dated {
    fn from(
        (command, at, backdate_reason): (Command, Option<DateTime<Utc>>, Option<String>),
    ) -> Self {
        Dated {
            command,
            at,
            backdate_reason,
        }
    }
}

/// Runs a staff action on a case: refuses a role below the least the route ever needs before
/// the body is read, reads the JSON body, turns it into the domain command (with its `at`),
/// and applies it with `If-Match` and `Idempotency-Key`; the role the command needs on the
/// case as it then stands is the domain's to check (see [`apply`]).
async fn action<B: serde::de::DeserializeOwned, D: Into<Dated>>(
    st: &AppState,
    staff: &Staff,
    reference: &str,
    request: Request,
    needed: Role,
    route: &str,
    command: impl FnOnce(B) -> D,
) -> Result<Response> {
    staff.require(needed)?;
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let (b, raw): (B, _) = json_body(headers, body).await?;
    let expected = if_match(headers)?;
    let path = format!("/staff/complaints/{reference}/{route}");
    let idem = idempotency(headers, &staff.email, &path, &raw)?;
    apply(
        st,
        staff,
        reference,
        route,
        command(b).into(),
        expected,
        idem.as_ref(),
    )
    .await
}

/// Applies a staff action's domain command to a case, expecting its `expected` version, once
/// for its idempotency key; answers with the case as it now is (or the stored first answer).
/// The service checks the staff member's role and `at` on the case it loads for the change,
/// again on each retry. The JSON routes and the staff pages' forms both come here.
pub(crate) async fn apply(
    st: &AppState,
    staff: &Staff,
    reference: &str,
    route: &str,
    dated: Dated,
    expected: Option<u64>,
    idem: Option<&IdempotencyKey>,
) -> Result<Response> {
    let render = case_reply(st, sent_copies(st, reference).await);
    act_as_staff(st, staff, reference, route, dated, expected, idem, &render).await
}

/// Runs `dated` as `staff` through the service (their role and `at` checked on the case each
/// attempt loads), answering with what `render` makes of the case (or the stored first answer).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn act_as_staff(
    st: &AppState,
    staff: &Staff,
    reference: &str,
    route: &str,
    dated: Dated,
    expected: Option<u64>,
    idem: Option<&IdempotencyKey>,
    render: &(dyn Fn(&Case) -> StoredReply + Send + Sync),
) -> Result<Response> {
    let caller = Caller::Staff {
        email: staff.email.clone(),
        role: staff.role,
        backdate_reason: dated.backdate_reason,
    };
    let w = st
        .service
        .act(
            reference,
            dated.command,
            &caller,
            dated.at,
            expected,
            idem,
            render,
        )
        .await?;
    if let Some(c) = &w.case {
        tracing::info!(reference = %c.reference, version = c.version, by_role = %staff.role.as_str(), route, "case updated");
    }
    Ok(reply(w.reply))
}

/// The role a stage's extension or response needs: Stage 1 the Investigating Manager,
/// later stages a senior manager.
pub(crate) fn role_for_stage(stage: u8) -> Role {
    Role::for_stage(stage)
}
