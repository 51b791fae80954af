//! Staff pages: sign in with a token (kept in an HttpOnly cookie the token authenticator
//! already reads), the open complaints with what is overdue or due soon marked in words, and a
//! case page with its deadlines, timeline and a form for each next action.
//!
//! The pages add no rules of their own: reading a list or a case and every action go through
//! the staff JSON handlers (`staff.rs`), so roles, validation, `If-Match`, idempotency and the
//! domain's [`p3_domain::service::Service::act`] are exactly the API's. A page turns a form into
//! that handler's JSON body and its answer back into a page: a 303 to the case on success, or
//! the case again with the error summary and the values kept.

use axum::body::Body;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use http::request::Parts;
use http::{header, HeaderMap, StatusCode};
use p3_domain::london::{london_date, london_instant};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::{self, Role, Staff};
use crate::extract::{Path, Query};
use crate::html::{
    self, error_summary, esc, humanise, layout, london_datetime_str, long_date_str, summary_list,
    tag, urlencode, Control, Field, Header, Radios, StaffHeader,
};
use crate::problem::Problem;
use crate::public::{cookie_header, private_page};
use crate::sign_in::{SignInError, StaffSignIn, SESSION_COOKIE};
use crate::staff_session::{is_session_id, store_unavailable, StaffAccounts};
use crate::{body, staff, AppState};

#[path = "casefile_pages.rs"]
mod casefile;

#[path = "accounts_pages.rs"]
pub(crate) mod accounts;

/// The public double-submit CSRF cookie, also used by the sign-in form.
const CSRF_COOKIE: &str = "p3_csrf";
/// An identity provider's sign-in in progress (see [`crate::sign_in`]), sent back only to
/// the callback's path.
const ATTEMPT_COOKIE: &str = "p3_sign_in";
/// Where the identity provider sends the browser back.
const CALLBACK_PREFIX: &str = "/staff/auth";

/// A member of staff signed in to the pages, with the CSRF token of their session.
pub(crate) struct SignedIn {
    staff: Staff,
    csrf: String,
}

/// The CSRF token of a session: a hash of the session's token, which only the browser holding
/// the HttpOnly cookie can know, so another site cannot forge a form post.
fn session_csrf(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"p3 staff pages csrf\0");
    h.update(secret.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn same(a: &str, b: &str) -> bool {
    !a.is_empty()
        && a.len() == b.len()
        && bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

/// Where to go after signing in: only a page of this service's staff area.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/staff/")
                && !n.starts_with("//")
                && !n.contains("://")
                && !n.contains('\\')
                && !n.starts_with("/staff/sign-") =>
        {
            n.to_string()
        }
        _ => "/staff/cases".into(),
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        match st.auth.authenticate(parts, st.service.clock.now()) {
            Ok(staff) => {
                let secret = auth::cookie(parts, SESSION_COOKIE)
                    .or_else(|| auth::bearer(parts).ok().map(str::to_string))
                    .unwrap_or_default();
                Ok(SignedIn {
                    staff,
                    csrf: session_csrf(&secret),
                })
            }
            Err(_) => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/staff/cases");
                let target = if parts.method == http::Method::GET {
                    format!("/staff/sign-in?next={}", urlencode(here))
                } else {
                    "/staff/sign-in".to_string()
                };
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

fn page(st: &AppState, who: &SignedIn, current: &str, title: &str, body: &str) -> String {
    layout(
        title,
        &st.service.settings.landlord,
        &Header::Staff(Some(StaffHeader {
            name: &who.staff.name,
            role: who.staff.role.as_str(),
            csrf: &who.csrf,
            current,
        })),
        body,
    )
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut res = Html(html).into_response();
    *res.status_mut() = status;
    private_page(res)
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("the operating system provides randomness");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn fields_of(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).into_owned().collect()
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn text(fields: &[(String, String)], name: &str) -> Option<String> {
    get(fields, name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

async fn json_of(res: Response) -> Value {
    let bytes = axum::body::to_bytes(res.into_body(), 8 * 1024 * 1024)
        .await
        .unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------- sign in and out

#[derive(Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
    /// `token`: the token form, where the host keeps staff accounts.
    with: Option<String>,
    /// Set after a password was set through its link.
    password_set: Option<String>,
}

struct SignInForm<'a> {
    csrf: &'a str,
    next: &'a str,
    error: Option<&'a str>,
    signed_out: bool,
}

fn sign_in_html(st: &AppState, f: &SignInForm) -> String {
    let mut body = String::from("<div class=\"grid-row\"><div class=\"column-two-thirds\">");
    if let Some(e) = f.error {
        body.push_str(&error_summary(&[("#token".into(), e.to_string())]));
    }
    if f.signed_out {
        body.push_str(
            "<div class=\"banner banner--success\" role=\"status\" aria-labelledby=\"banner-title\">\
             <h2 class=\"banner__title\" id=\"banner-title\">Signed out</h2>\
             <div class=\"banner__content\"><p>You have signed out of the complaints service.</p></div></div>",
        );
    }
    body.push_str(
        "<h1 class=\"heading-xl\">Sign in</h1>\
         <p>Sign in to see open complaints, their deadlines and what to do next.</p>",
    );
    body.push_str(&format!(
        "<form method=\"post\" action=\"/staff/sign-in\" novalidate>\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
         <input type=\"hidden\" name=\"next\" value=\"{}\">{}\
         <button class=\"button\" type=\"submit\">Sign in</button></form>",
        esc(f.csrf),
        esc(f.next),
        Field {
            hint: "Paste the token you were given. On this server, an administrator makes one with: p3 token --user NAME --email EMAIL --role ROLE",
            error: f.error,
            control: Control::Input("password"),
            autocomplete: "off",
            attrs: "spellcheck=\"false\" autocapitalize=\"none\"",
            ..Field::new("token", "token", "Staff token")
        }
        .render()
    ));
    body.push_str(
        "<p class=\"secondary\">Your token is kept in this browser until you sign out or close it, and stops working when it expires.</p>\
         <p><a href=\"/\">Go to the public complaint form</a></p></div></div>",
    );
    layout(
        if f.error.is_some() {
            "Error: Sign in"
        } else {
            "Sign in"
        },
        &st.service.settings.landlord,
        &Header::Staff(None),
        &body,
    )
}

fn csrf_cookie_value(headers: &HeaderMap) -> String {
    auth::cookie_from(headers, CSRF_COOKIE)
        .filter(|c| c.len() == 32 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| random_hex(16))
}

fn sign_in_response(
    st: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    error: Option<&str>,
    signed_out: bool,
) -> Response {
    let csrf = csrf_cookie_value(headers);
    let mut res = html_response(
        status,
        sign_in_html(
            st,
            &SignInForm {
                csrf: &csrf,
                next,
                error,
                signed_out,
            },
        ),
    );
    if let Some(v) = cookie_header(st, headers, CSRF_COOKIE, &csrf, "/", None) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn authenticate_token(st: &AppState, token: &str) -> Result<Staff, auth::AuthError> {
    let req = http::Request::builder()
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .map_err(|_| auth::AuthError::Malformed)?;
    let (parts, ()) = req.into_parts();
    st.auth.authenticate(&parts, st.service.clock.now())
}

/// `GET /staff`: the open complaints when signed in, else the sign-in page.
pub(crate) async fn staff_home(
    State(st): State<AppState>,
    provider: Option<Extension<StaffSignIn>>,
    staff_accounts: Option<Extension<StaffAccounts>>,
    parts: Parts,
) -> Response {
    if st.auth.authenticate(&parts, st.service.clock.now()).is_ok() {
        return Redirect::to("/staff/cases").into_response();
    }
    if provider.is_some() || staff_accounts.is_some() {
        return Redirect::to("/staff/sign-in").into_response();
    }
    sign_in_response(
        &st,
        &parts.headers,
        StatusCode::OK,
        "/staff/cases",
        None,
        false,
    )
}

/// `GET /staff/sign-in`.
pub(crate) async fn sign_in_page(
    State(st): State<AppState>,
    provider: Option<Extension<StaffSignIn>>,
    staff_accounts: Option<Extension<StaffAccounts>>,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if let Some(Extension(StaffAccounts(a))) = &staff_accounts {
        let any = a.store.accounts().await.map(|v| !v.is_empty());
        // `with=provider`: the identity provider's sign-in, when the host has one too.
        let with_provider = provider.is_some() && q.with.as_deref() == Some("provider");
        if q.with.as_deref() != Some("token") && !with_provider && any.unwrap_or(true) {
            let notice = if q.password_set.is_some() {
                Some("Your password is set: sign in with it")
            } else {
                q.signed_out.as_ref().map(|_| "Signed out")
            };
            return accounts::password_page(
                &st,
                &headers,
                StatusCode::OK,
                &accounts::PasswordForm {
                    next: &next,
                    email: "",
                    error: None,
                    notice,
                    provider: provider.is_some(),
                },
            );
        }
    }
    if let Some(Extension(StaffSignIn(provider))) = provider {
        if q.signed_out.is_some() {
            return provider_page(&st, StatusCode::OK, None);
        }
        return match provider.begin(&next, st.service.clock.now()).await {
            Ok(start) => {
                let mut res = private_page(Redirect::to(&start.authorize_url).into_response());
                if let Some(v) = lax_cookie(
                    ATTEMPT_COOKIE,
                    &start.attempt,
                    CALLBACK_PREFIX,
                    start.max_age,
                ) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
                res
            }
            Err(e) => sign_in_failed(&st, &e),
        };
    }
    sign_in_response(
        &st,
        &headers,
        StatusCode::OK,
        &next,
        None,
        q.signed_out.is_some(),
    )
}

/// `POST /staff/sign-in`: checks the token as the API would, then keeps it in an HttpOnly,
/// SameSite=Strict cookie (Secure over HTTPS) for the staff area.
pub(crate) async fn sign_in(
    State(st): State<AppState>,
    staff_accounts: Option<Extension<StaffAccounts>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    let next = safe_next(get(&fields, "next"));
    if let (Some(Extension(a)), Some(_)) = (&staff_accounts, get(&fields, "email")) {
        return Ok(accounts::password_sign_in(&st, a, &headers, &fields, &next).await);
    }
    let token_field = get(&fields, "csrf_token").unwrap_or("");
    let cookie = auth::cookie_from(&headers, CSRF_COOKIE).unwrap_or_default();
    if !same(token_field, &cookie) {
        return Ok(sign_in_response(
            &st,
            &headers,
            StatusCode::FORBIDDEN,
            &next,
            Some("Your sign-in form had expired. Paste your token again and sign in."),
            false,
        ));
    }
    let token = get(&fields, "token").unwrap_or("").trim();
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token)
        .trim();
    if token.is_empty() {
        return Ok(sign_in_response(
            &st,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &next,
            Some("Enter your staff token"),
            false,
        ));
    }
    let valid_chars = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let mut staff = if valid_chars {
        authenticate_token(&st, token)
    } else {
        Err(auth::AuthError::Malformed)
    };
    if let (Ok(s), Some(Extension(StaffAccounts(a)))) = (&staff, &staff_accounts) {
        let id = auth::claimed_id_and_email(token).and_then(|(id, _)| id);
        match a.token_refused(id.as_deref(), &s.email).await {
            Ok(false) => {}
            Ok(true) => staff = Err(auth::AuthError::Revoked),
            Err(e) => return Err(store_unavailable(&e)),
        }
    }
    match staff {
        Ok(staff) => {
            tracing::info!(role = staff.role.as_str(), "staff signed in to the pages");
            let mut res = Redirect::to(&next).into_response();
            if let Some(v) = cookie_header(&st, &headers, SESSION_COOKIE, token, "/staff", None) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(e) => Ok(sign_in_response(
            &st,
            &headers,
            StatusCode::UNAUTHORIZED,
            &next,
            Some(&format!(
                "That token cannot be used: {e}. Check you copied all of it, or ask for a new one."
            )),
            false,
        )),
    }
}

/// `POST /staff/sign-out`: forgets the session cookie.
pub(crate) async fn sign_out(
    State(st): State<AppState>,
    provider: Option<Extension<StaffSignIn>>,
    staff_accounts: Option<Extension<StaffAccounts>>,
    who: SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    if !same(get(&fields, "csrf_token").unwrap_or(""), &who.csrf) {
        return Err(Problem::forbidden(
            "The form has expired; reload the page and try again",
        ));
    }
    if let Some(Extension(StaffAccounts(a))) = &staff_accounts {
        match auth::cookie_from(&headers, SESSION_COOKIE) {
            Some(id) if is_session_id(&id) => {
                a.sign_out(&id).await.map_err(|e| store_unavailable(&e))?
            }
            _ => {}
        }
    }
    let provider_sign_out = match provider {
        Some(Extension(StaffSignIn(p))) => p.sign_out_url().await,
        None => None,
    };
    let target = provider_sign_out.unwrap_or_else(|| "/staff/sign-in?signed_out=1".into());
    let mut res = Redirect::to(&target).into_response();
    if let Some(v) = cookie_header(&st, &headers, SESSION_COOKIE, "", "/staff", Some(0)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

// ---------------------------------------------------------------- through an identity provider

/// A cookie of the identity provider's sign-in. Always `Secure`: the provider sends browsers
/// back over HTTPS (browsers keep Secure cookies on loopback addresses too, for testing).
/// `SameSite=Lax`, not Strict like the token sign-in's: the browser arrives at the callback
/// from the provider's site, and a Strict cookie would be neither sent there nor on the
/// redirect that follows it. Every form still carries a CSRF token, and Lax cookies are not
/// sent with another site's POST.
fn lax_cookie(name: &str, value: &str, path: &str, max_age: i64) -> Option<header::HeaderValue> {
    header::HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax"
    ))
    .ok()
}

/// The page of the provider's sign-in: after signing out, or when signing in did not work
/// (`problem`), with a way to sign in again. It never starts a sign-in by itself, so signing
/// out is not undone by the provider's still-open session.
fn provider_page(st: &AppState, status: StatusCode, problem: Option<&str>) -> Response {
    let mut body = String::from("<div class=\"grid-row\"><div class=\"column-two-thirds\">");
    match problem {
        Some(p) => body.push_str(&format!(
            "<h1 class=\"heading-xl\">Sign-in did not work</h1><p>{}.</p>\
             <p>Try again. If it keeps happening, tell the service desk what this page says.</p>",
            esc(&capitalised(p))
        )),
        None => body.push_str(
            "<div class=\"banner banner--success\" role=\"status\" aria-labelledby=\"banner-title\">\
             <h2 class=\"banner__title\" id=\"banner-title\">Signed out</h2>\
             <div class=\"banner__content\"><p>You have signed out of the complaints service.</p></div></div>\
             <h1 class=\"heading-xl\">Sign in</h1>\
             <p>Sign in with your work account to see open complaints, their deadlines and what to do next.</p>",
        ),
    }
    body.push_str(
        "<p><a class=\"button\" href=\"/staff/sign-in\">Sign in</a></p>\
         <p><a href=\"/\">Go to the public complaint form</a></p></div></div>",
    );
    let title = if problem.is_some() {
        "Sign-in did not work"
    } else {
        "Signed out"
    };
    html_response(
        status,
        layout(
            title,
            &st.service.settings.landlord,
            &Header::Staff(None),
            &body,
        ),
    )
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn sign_in_failed(st: &AppState, e: &SignInError) -> Response {
    let (status, kind) = match e {
        SignInError::NotThisBrowser => (StatusCode::BAD_REQUEST, "not_this_browser"),
        SignInError::Refused(_) => (StatusCode::UNAUTHORIZED, "refused"),
        SignInError::Token(auth::AuthError::BadClaims) => (StatusCode::FORBIDDEN, "claims"),
        SignInError::Token(_) => (StatusCode::UNAUTHORIZED, "token"),
        SignInError::Provider(_) => (StatusCode::BAD_GATEWAY, "provider"),
    };
    tracing::warn!(kind, "staff sign-in through the identity provider failed");
    provider_page(st, status, Some(&e.to_string()))
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /staff/auth/callback`: the identity provider sends the browser back here with a code;
/// the provider exchanges it and checks the token, and the token becomes the session cookie
/// (`SameSite=Lax`, see [`lax_cookie`]). The attempt cookie is cleared whatever happens. With
/// no provider (the local server) there is nothing to complete: to the sign-in page.
pub(crate) async fn sign_in_callback(
    State(st): State<AppState>,
    provider: Option<Extension<StaffSignIn>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(Extension(StaffSignIn(provider))) = provider else {
        return Redirect::to("/staff/sign-in").into_response();
    };
    let attempt = auth::cookie_from(&headers, ATTEMPT_COOKIE);
    let done = match (q.error, q.code, q.state) {
        (Some(error), _, _) => Err(SignInError::Refused(
            error
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect(),
        )),
        (None, Some(code), Some(state)) => {
            provider
                .complete(&code, &state, attempt.as_deref(), st.service.clock.now())
                .await
        }
        _ => Err(SignInError::NotThisBrowser),
    };
    let mut res = match done {
        Ok(done) => {
            tracing::info!(
                role = done.staff.role.as_str(),
                "staff signed in through the identity provider"
            );
            let mut res = private_page(Redirect::to(&safe_next(Some(&done.next))).into_response());
            if let Some(v) = lax_cookie(SESSION_COOKIE, &done.session, "/staff", done.max_age) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => sign_in_failed(&st, &e),
    };
    if let Some(v) = lax_cookie(ATTEMPT_COOKIE, "", CALLBACK_PREFIX, 0) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

// ---------------------------------------------------------------- the open complaints

fn status_words(status: &str) -> String {
    match status {
        "received" => "Received, not acknowledged".into(),
        "acknowledged" => "Stage 1 being investigated".into(),
        "responded" => "Responded".into(),
        "closed" => "Closed".into(),
        "withdrawn" => "Withdrawn".into(),
        "refused" => "Refused".into(),
        s => {
            if let Some(n) = s
                .strip_prefix("stage")
                .and_then(|r| r.strip_suffix("_requested"))
            {
                format!("Stage {n} requested, not acknowledged")
            } else if let Some(n) = s
                .strip_prefix("stage")
                .and_then(|r| r.strip_suffix("_acknowledged"))
            {
                format!("Stage {n} being reviewed")
            } else {
                humanise(s)
            }
        }
    }
}

fn deadline_label(kind: &str) -> String {
    kind.parse::<p3_domain::deadline::DeadlineKind>()
        .map(|k| k.label())
        .unwrap_or_else(|_| humanise(kind))
}

fn plural(n: i64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The marker of a landlord deadline: a word first, colour second.
fn urgency(st: &AppState, due: &str, status: &str) -> (String, &'static str) {
    let today = london_date(st.service.clock.now());
    let cal = &st.service.rules.calendar;
    let Ok(due) = NaiveDate::parse_from_str(due, "%Y-%m-%d") else {
        return (tag(&humanise(status), "tag--grey"), "");
    };
    match status {
        "breached" => {
            let late = cal.working_days_between(due, today).max(1);
            (
                format!(
                    "{} <span class=\"nowrap\">by {}</span>",
                    tag("Overdue", "tag--strong"),
                    esc(&plural(late, "working day"))
                ),
                "row--overdue",
            )
        }
        "pending" => {
            let left = cal.working_days_between(today, due);
            if left <= 0 {
                (tag("Due today", "tag--yellow"), "row--soon")
            } else if left <= 2 {
                (
                    format!(
                        "{} <span class=\"nowrap\">in {}</span>",
                        tag("Due soon", "tag--yellow"),
                        esc(&plural(left, "working day"))
                    ),
                    "row--soon",
                )
            } else {
                (
                    format!(
                        "{} <span class=\"nowrap\">{} left</span>",
                        tag("On track", "tag--grey"),
                        esc(&plural(left, "working day"))
                    ),
                    "",
                )
            }
        }
        "met" => (tag("Met", "tag--green"), ""),
        "met_late" => (tag("Met late", "tag--yellow"), ""),
        "cancelled" => (tag("Cancelled", "tag--grey"), ""),
        "expired" => (tag("Expired", "tag--grey"), ""),
        other => (tag(&humanise(other), "tag--grey"), ""),
    }
}

#[derive(Deserialize, Default)]
struct Filters {
    status: Option<String>,
    owner: Option<String>,
    overdue: Option<String>,
}

const FILTER_STATUSES: [(&str, &str); 6] = [
    ("", "Any open status"),
    ("received", "Received, not acknowledged"),
    ("acknowledged", "Stage 1 being investigated"),
    ("responded", "Responded"),
    ("stage2_requested", "Stage 2 requested"),
    ("stage2_acknowledged", "Stage 2 being reviewed"),
];

/// `GET /staff/cases`: the open complaints, next deadline first.
pub(crate) async fn cases_page(
    State(st): State<AppState>,
    who: SignedIn,
    RawQuery(raw): RawQuery,
) -> Response {
    let qs = raw.unwrap_or_default();
    let filters: Filters = serde_urlencoded::from_str(&qs).unwrap_or_default();
    let list_query: staff::ListQuery = match serde_urlencoded::from_str(&qs) {
        Ok(q) => q,
        Err(_) => serde_urlencoded::from_str("").expect("an empty query parses"),
    };
    let (data, problem) =
        match staff::list(State(st.clone()), who.staff.clone(), Query(list_query)).await {
            Ok(res) => (json_of(res).await, None),
            Err(p) => (json!({"count": 0, "cases": []}), Some(p)),
        };
    let cases = data["cases"].as_array().cloned().unwrap_or_default();
    let overdue = cases
        .iter()
        .filter(|c| c["overdue"].as_bool() == Some(true))
        .count();
    let soon = cases
        .iter()
        .filter(|c| c["due_within_two_working_days"].as_bool() == Some(true))
        .count();

    let mut body = String::new();
    if let Some(p) = &problem {
        let items: Vec<(String, String)> = if p.errors.is_empty() {
            vec![(
                "#filters".into(),
                p.detail.clone().unwrap_or_else(|| p.title.clone()),
            )]
        } else {
            p.errors
                .iter()
                .map(|e| (format!("#filter-{}", e.field), e.message.clone()))
                .collect()
        };
        body.push_str(&error_summary(&items));
    }
    body.push_str("<h1 class=\"heading-xl\">Open complaints</h1>");
    body.push_str(&format!(
        "<ul class=\"counts\"><li><strong>{}</strong> open</li>\
         <li class=\"counts--overdue\"><strong>{overdue}</strong> overdue</li>\
         <li class=\"counts--soon\"><strong>{soon}</strong> due within 2 working days</li></ul>",
        cases.len()
    ));

    // Filters: a plain GET form.
    let mut status_options: Vec<(String, String)> = FILTER_STATUSES
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect();
    if let Some(s) = &filters.status {
        if !s.is_empty() && !status_options.iter().any(|(v, _)| v == s) {
            status_options.push((s.clone(), status_words(s)));
        }
    }
    let status_value = filters.status.clone().unwrap_or_default();
    let owner_value = filters.owner.clone().unwrap_or_default();
    let only_overdue = filters.overdue.as_deref() == Some("true");
    body.push_str(&format!(
        "<form class=\"filters\" id=\"filters\" method=\"get\" action=\"/staff/cases\" aria-label=\"Filter complaints\">{}{}\
         <div class=\"form-group\"><div class=\"checkboxes__item\"><input class=\"checkboxes__input\" id=\"filter-overdue\" name=\"overdue\" type=\"checkbox\" value=\"true\"{}>\
         <label class=\"checkboxes__label\" for=\"filter-overdue\">Only overdue</label></div></div>\
         <button class=\"button button--secondary\" type=\"submit\">Show complaints</button></form>",
        Field {
            value: &status_value,
            control: Control::Select(&status_options),
            error: problem.as_ref().and_then(|p| p.errors.iter().find(|e| e.field == "status")).map(|e| e.message.as_str()),
            ..Field::new("filter-status", "status", "Status")
        }
        .render(),
        Field {
            value: &owner_value,
            control: Control::Input("email"),
            hint: "",
            attrs: "spellcheck=\"false\"",
            error: problem.as_ref().and_then(|p| p.errors.iter().find(|e| e.field == "owner")).map(|e| e.message.as_str()),
            ..Field::new("filter-owner", "owner", "Owner or reviewer (email)")
        }
        .render(),
        if only_overdue { " checked" } else { "" },
    ));

    if cases.is_empty() {
        body.push_str("<p>There are no open complaints to show.</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"cases-caption\" tabindex=\"0\">\
             <table class=\"table\"><caption id=\"cases-caption\">Open complaints, next deadline first</caption>\
             <thead><tr><th scope=\"col\">Reference and urgency</th><th scope=\"col\">Next deadline</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">Owner</th><th scope=\"col\">Received</th></tr></thead><tbody>",
        );
        for c in &cases {
            let reference = c["reference"].as_str().unwrap_or("");
            let next = &c["next_deadline"];
            let (marker, row_class) = if next.is_object() {
                urgency(
                    &st,
                    next["due"].as_str().unwrap_or(""),
                    next["status"].as_str().unwrap_or(""),
                )
            } else {
                (tag("Nothing due", "tag--grey"), "")
            };
            body.push_str(&format!(
                "<tr class=\"{row_class}\"><th scope=\"row\"><a class=\"nowrap\" href=\"/staff/cases/{ru}\">{r}</a><br>{marker}</th>\
                 <td>{kind}<br><span class=\"nowrap\">due {due}</span></td><td>{status}</td><td>{owner}</td><td class=\"nowrap\">{received}</td></tr>",
                ru = esc(&urlencode(reference)),
                r = esc(reference),
                kind = esc(&next["kind"].as_str().map(deadline_label).unwrap_or_else(|| "-".into())),
                due = esc(&next["due"].as_str().map(html::short_date_str).unwrap_or_else(|| "-".into())),
                status = esc(&status_words(c["status"].as_str().unwrap_or(""))),
                owner = esc(c["reviewer"].as_str().or(c["owner"].as_str()).unwrap_or("Not assigned")),
                received = esc(&html::short_date_str(c["received_on"].as_str().unwrap_or(""))),
            ));
        }
        body.push_str("</tbody></table></div>");
    }

    body.push_str(&reports_section());
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    html_response(status, page(&st, &who, "cases", "Open complaints", &body))
}

fn reports_section() -> String {
    let today = london_date(Utc::now());
    let this_month = p3_domain::london::Month::of(today);
    let last_month = this_month.previous();
    let name = |m: p3_domain::london::Month| m.first_day().format("%B %Y").to_string();
    let ym = |m: p3_domain::london::Month| m.first_day().format("%Y-%m").to_string();
    format!(
        "<h2 class=\"heading-l\">Reports</h2><ul class=\"list\">\
         <li><a href=\"{}\">Monthly report for {}</a></li>\
         <li><a href=\"{}\">Monthly report for {} so far</a></li></ul>\
         <form method=\"get\" action=\"/staff/monthly-report\" aria-label=\"Another month's report\">{}\
         <button class=\"button button--secondary\" type=\"submit\">Show report</button></form>",
        esc(&html::monthly_report_link(Some(&ym(last_month)))),
        esc(&name(last_month)),
        esc(&html::monthly_report_link(Some(&ym(this_month)))),
        esc(&name(this_month)),
        Field {
            hint: "For example, 2026-03",
            class: "input--medium",
            attrs: "inputmode=\"numeric\" spellcheck=\"false\"",
            ..Field::new("report-month", "month", "Another month")
        }
        .render()
    )
}

// ---------------------------------------------------------------- one complaint

/// What a failed action leaves on the page: which form, its values, its errors.
#[derive(Default)]
struct Attempt {
    action: String,
    fields: Vec<(String, String)>,
    /// (element id, message) for the error summary and the fields.
    errors: Vec<(String, String)>,
}

impl Attempt {
    fn value(&self, action: &str, name: &str) -> String {
        if self.action == action {
            get(&self.fields, name).unwrap_or("").to_string()
        } else {
            String::new()
        }
    }

    /// The message for the field with this element id (errors are kept as `#id` links).
    fn error(&self, id: &str) -> Option<&str> {
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

fn done_message(action: &str) -> Option<&'static str> {
    Some(match action {
        "acknowledge" => "Acknowledgement recorded",
        "extend" => "Extension recorded",
        "respond" => "Response recorded",
        "stage2" => "Stage 2 request recorded",
        "withdraw" => "Withdrawal recorded",
        "refuse" => "Refusal recorded",
        "ombudsman" => "Housing Ombudsman record added",
        other => return casefile::done_message(other),
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

async fn load_view(st: &AppState, who: &SignedIn, reference: &str) -> Result<Value, Problem> {
    let res = staff::get_case(
        State(st.clone()),
        who.staff.clone(),
        Path(reference.to_string()),
        HeaderMap::new(),
    )
    .await?;
    Ok(json_of(res).await)
}

async fn render_case(
    st: &AppState,
    who: &SignedIn,
    reference: &str,
    done: Option<&str>,
    attempt: &Attempt,
    status: StatusCode,
) -> Response {
    let view = match load_view(st, who, reference).await {
        Ok(v) => v,
        Err(p) if p.status == 404 => {
            let body = "<h1 class=\"heading-xl\">Complaint not found</h1>\
                        <p>No complaint has that reference. Check it and try again.</p>\
                        <p><a href=\"/staff/cases\">Back to open complaints</a></p>";
            return html_response(
                StatusCode::NOT_FOUND,
                page(st, who, "cases", "Complaint not found", body),
            );
        }
        Err(p) => return p.into_response(),
    };
    let title = format!("Complaint {reference}");
    let title = if attempt.errors.is_empty() {
        title
    } else {
        format!("Error: {title}")
    };
    html_response(
        status,
        page(
            st,
            who,
            "cases",
            &title,
            &case_body(st, who, &view, done, attempt),
        ),
    )
}

fn opt(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn case_body(
    st: &AppState,
    who: &SignedIn,
    view: &Value,
    done: Option<&str>,
    attempt: &Attempt,
) -> String {
    let reference = view["reference"].as_str().unwrap_or("");
    let status = view["status"].as_str().unwrap_or("");
    let mut body = String::from("<p><a href=\"/staff/cases\">Back to open complaints</a></p>");
    body.push_str(&error_summary(&attempt.errors));
    if let Some(msg) = done {
        body.push_str(&format!(
            "<div class=\"banner banner--success\" role=\"status\" aria-labelledby=\"banner-title\">\
             <h2 class=\"banner__title\" id=\"banner-title\">Done</h2>\
             <div class=\"banner__content\"><p><strong>{}</strong> on complaint {}.</p></div></div>",
            esc(msg),
            esc(reference)
        ));
    }
    body.push_str(&format!(
        "<h1 class=\"heading-xl\"><span class=\"caption\">Complaint</span>{}</h1>",
        esc(reference)
    ));
    body.push_str(&casefile::evidence_link(who, reference));
    let next = &view["next_deadline"];
    let next_html = if next.is_object() {
        let (marker, _) = urgency(
            st,
            next["due"].as_str().unwrap_or(""),
            next["status"].as_str().unwrap_or(""),
        );
        format!(
            "{}, due {}<br>{marker}",
            esc(&deadline_label(next["kind"].as_str().unwrap_or(""))),
            esc(&long_date_str(next["due"].as_str().unwrap_or("")))
        )
    } else {
        "Nothing due from us".into()
    };
    body.push_str(&summary_list(&[
        ("Status", esc(&status_words(status))),
        ("Stage", esc(&format!("Stage {}", view["stage"]))),
        ("Next deadline", next_html),
        (
            "Owner (Investigating Manager)",
            esc(view["owner"].as_str().unwrap_or("Not assigned yet")),
        ),
        (
            "Stage 2 reviewer",
            esc(view["reviewer"].as_str().unwrap_or("None")),
        ),
        (
            "Received",
            format!(
                "{} by {}",
                esc(&long_date_str(view["received_on"].as_str().unwrap_or(""))),
                esc(&humanise(view["channel"].as_str().unwrap_or("")))
            ),
        ),
    ]));

    // Deadlines.
    body.push_str(
        "<h2 class=\"heading-l\" id=\"deadlines-heading\">Deadlines</h2>\
         <div class=\"table-wrap\" role=\"region\" aria-labelledby=\"deadlines-heading\" tabindex=\"0\">\
         <table class=\"table\"><thead><tr><th scope=\"col\">Deadline</th><th scope=\"col\">Where it stands</th>\
         <th scope=\"col\">Due</th><th scope=\"col\">Met on</th></tr></thead><tbody>",
    );
    for d in view["deadlines"].as_array().into_iter().flatten() {
        let kind = d["kind"].as_str().unwrap_or("");
        let due = d["due"].as_str().unwrap_or("");
        let dstatus = d["status"].as_str().unwrap_or("");
        let window = kind.ends_with("_request_window");
        let (marker, row) = if window {
            let words = match dstatus {
                "pending" => "Open to the resident",
                "met" => "Asked in time",
                "met_late" => "Asked late (accepted)",
                "expired" => "Expired, not asked",
                "cancelled" => "Cancelled",
                other => other,
            };
            (tag(&humanise(words), "tag--grey"), "")
        } else {
            urgency(st, due, dstatus)
        };
        let mut label = esc(&deadline_label(kind));
        if window {
            label.push_str(" <span class=\"secondary\">(the resident's)</span>");
        }
        if let Some(n) = d["extended_by"].as_u64().filter(|n| *n > 0) {
            label.push_str(&format!(
                " <span class=\"secondary\">(extended by {})</span>",
                esc(&plural(n as i64, "working day"))
            ));
        }
        body.push_str(&format!(
            "<tr class=\"{row}\"><th scope=\"row\">{label}</th><td>{marker}</td><td class=\"nowrap\">{}</td><td>{}</td></tr>",
            esc(&html::short_date_str(due)),
            esc(&d["met_at"].as_str().map(london_datetime_str).unwrap_or_else(|| "-".into()))
        ));
    }
    body.push_str("</tbody></table></div>");

    body.push_str(&actions_section(st, who, view, attempt));
    body.push_str(&casefile::sections(who, view, attempt));

    // The complaint itself.
    body.push_str("<h2 class=\"heading-l\">The complaint</h2>");
    let mut rows: Vec<(&str, String)> = vec![(
        "Description",
        format!(
            "<p class=\"pre-wrap\">{}</p>",
            esc(view["description"].as_str().unwrap_or(""))
        ),
    )];
    if let Some(v) = opt(&view["desired_outcome"]) {
        rows.push((
            "What the resident wants",
            format!("<p class=\"pre-wrap\">{}</p>", esc(&v)),
        ));
    }
    rows.push((
        "Category",
        esc(&opt(&view["category"])
            .map(|c| html::category_label(&c))
            .unwrap_or_else(|| "Not given".into())),
    ));
    let points: Vec<String> = view["complaint_points"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    if !points.is_empty() {
        let mut l = String::from("<ol class=\"list\">");
        for p in &points {
            l.push_str(&format!("<li>{}</li>", esc(p)));
        }
        l.push_str("</ol>");
        rows.push(("Complaint points", l));
    }
    for (key, field) in [
        ("Name", "name"),
        ("Email", "email"),
        ("Phone", "phone"),
        ("Postcode", "postcode"),
        ("Tenancy reference", "tenancy_reference"),
    ] {
        if let Some(v) = opt(&view[field]) {
            rows.push((key, esc(&v)));
        }
    }
    if let Some(v) = opt(&view["address"]) {
        rows.push(("Address", format!("<p class=\"pre-wrap\">{}</p>", esc(&v))));
    }
    if let Some(v) = opt(&view["representative_name"]) {
        let rel = opt(&view["representative_relationship"])
            .map(|r| format!(" ({})", esc(&r)))
            .unwrap_or_default();
        rows.push(("Raised by a representative", format!("{}{rel}", esc(&v))));
    }
    rows.push((
        "Tenure",
        esc(&humanise(view["tenure"].as_str().unwrap_or(""))),
    ));
    if let Some(v) = opt(&view["service_request"]) {
        rows.push(("Service request", esc(&v)));
    }
    body.push_str(&summary_list(&rows));

    let responses = view["responses"].as_array().cloned().unwrap_or_default();
    if !responses.is_empty() {
        body.push_str("<h2 class=\"heading-l\">Responses</h2>");
        for r in &responses {
            body.push_str(&html::response_html(r, 3));
            if let Some(by) = r["issued_by"].as_str() {
                body.push_str(&format!("<p class=\"secondary\">Issued by {}</p>", esc(by)));
            }
        }
    }
    if let Some(o) = view["housing_ombudsman"].as_str() {
        body.push_str(&format!(
            "<div class=\"inset\"><p>Tell the resident they can contact the {}.</p></div>",
            esc(o)
        ));
    }

    body.push_str("<h2 class=\"heading-l\">Timeline</h2><ol class=\"timeline\">");
    for e in view["history"].as_array().into_iter().flatten() {
        body.push_str(&timeline_item(e));
    }
    body.push_str("</ol>");
    body
}

fn timeline_item(e: &Value) -> String {
    let kind = e["type"].as_str().unwrap_or("");
    let stage = e["stage"].as_u64().unwrap_or(1);
    let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
    let (title, detail): (String, Vec<String>) = match kind {
        "received" => ("Complaint received".into(), vec![]),
        "resolved_at_first_contact" => (
            "Resolved at first contact".into(),
            vec![
                format!("Outcome: {}", humanise(&s("outcome"))),
                s("summary"),
            ],
        ),
        "acknowledged" => {
            let mut d = vec![format!(
                "{}: {}",
                if stage == 1 {
                    "Investigating Manager"
                } else {
                    "Reviewer"
                },
                s("handler")
            )];
            for p in e["complaint_points"].as_array().into_iter().flatten() {
                d.push(format!("Point: {}", p.as_str().unwrap_or("")));
            }
            (format!("Stage {stage} acknowledged"), d)
        }
        "extended" => (
            format!(
                "Stage {stage} extended by {}",
                plural(e["working_days"].as_i64().unwrap_or(0), "working day")
            ),
            vec![format!("Reason: {}", s("reason"))],
        ),
        "responded" => (
            format!("Stage {stage} response sent"),
            vec![format!(
                "Outcome: {}",
                humanise(e["response"]["outcome"].as_str().unwrap_or(""))
            )],
        ),
        "escalation_requested" => {
            let mut d = vec![format!(
                "Asked {}{}",
                if s("through") == "resident" {
                    "by the resident online"
                } else {
                    "through staff"
                },
                if e["late"].as_bool() == Some(true) {
                    ", after the resident's window (accepted)"
                } else {
                    ""
                }
            )];
            if let Some(r) = e["reason"].as_str() {
                d.push(format!("Reason: {r}"));
            }
            (format!("Stage {stage} requested"), d)
        }
        "refused" => (
            format!("Refused at Stage {stage}"),
            vec![
                format!("Ground: {}", humanise(&s("ground"))),
                s("explanation"),
            ],
        ),
        "withdrawn" => (
            "Withdrawn by the resident".into(),
            e["reason"]
                .as_str()
                .map(|r| vec![format!("Reason: {r}")])
                .unwrap_or_default(),
        ),
        "ombudsman_referred" => (
            "Referred to the Housing Ombudsman".into(),
            vec![s("detail")],
        ),
        "ombudsman_determination" => (
            "The Housing Ombudsman's determination".into(),
            vec![s("detail")],
        ),
        "letter_issued" => {
            let l = &e["letter"];
            let to: Vec<String> = l["to"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    format!(
                        "{} ({}) by {}",
                        humanise(a["role"].as_str().unwrap_or("")),
                        a["name"].as_str().unwrap_or("no name"),
                        a["delivery"].as_str().unwrap_or("")
                    )
                })
                .collect();
            (
                format!(
                    "Letter {} written: {}",
                    l["number"],
                    l["subject"].as_str().unwrap_or("")
                ),
                vec![format!("To: {}", to.join("; "))],
            )
        }
        "points_revised" => (
            format!("Stage {stage} complaint points revised"),
            vec![format!("Reason: {}", s("reason"))],
        ),
        "reassigned" => (
            format!("Stage {stage} handler changed to {}", s("handler")),
            vec![format!("Reason: {}", s("reason"))],
        ),
        "needs_recorded" => ("Support needs recorded, with consent".into(), vec![]),
        "contact_preferences_set" => (
            "Contact preferences changed".into(),
            vec![format!(
                "By {}, {}",
                humanise(e["preferences"]["method"].as_str().unwrap_or("")).to_lowercase(),
                humanise(e["preferences"]["format"].as_str().unwrap_or("")).to_lowercase()
            )],
        ),
        "representative_set" => (
            if e["representative"].is_null() {
                "Representative removed".into()
            } else {
                format!(
                    "Representative set: {}",
                    e["representative"]["name"].as_str().unwrap_or("")
                )
            },
            vec![],
        ),
        "action_completed" => (format!("Action {} done", e["action"]), vec![s("note")]),
        "compensation_offered" => (
            format!(
                "Compensation offered: {}",
                p3_domain::casefile::pounds(e["amount_pence"].as_u64().unwrap_or(0))
            ),
            vec![s("reason")],
        ),
        "compensation_answered" => (
            format!(
                "Compensation offer {} {}",
                e["offer"],
                if e["accepted"] == true {
                    "accepted"
                } else {
                    "declined"
                }
            ),
            vec![],
        ),
        "compensation_paid" => (
            format!("Compensation offer {} paid", e["offer"]),
            e["payment_reference"]
                .as_str()
                .map(|r| vec![format!("Payment reference: {r}")])
                .unwrap_or_default(),
        ),
        "ombudsman_ordered" => (
            "The Housing Ombudsman ordered an action".into(),
            vec![
                s("description"),
                format!("Due {}, owner {}", s("due"), s("owner")),
            ],
        ),
        "anonymised" => (
            "Personal data removed: retention period ended".into(),
            vec![format!(
                "Closed on {}; kept {} years",
                s("closed_on"),
                e["retention_years"].as_u64().unwrap_or(0)
            )],
        ),
        other => (humanise(other), vec![]),
    };
    let at = s("at");
    let recorded = s("recorded_at");
    let late_record = match (
        chrono::DateTime::parse_from_rfc3339(&at),
        chrono::DateTime::parse_from_rfc3339(&recorded),
    ) {
        (Ok(a), Ok(r)) => (r - a).num_minutes() > 5,
        _ => false,
    };
    let mut meta = format!("{} by {}", london_datetime_str(&at), s("by"));
    if late_record {
        meta.push_str(&format!(" (recorded {})", london_datetime_str(&recorded)));
    }
    let mut out = format!(
        "<li class=\"timeline__item\"><h3 class=\"timeline__title\">{}</h3><p class=\"timeline__meta\">{}</p>",
        esc(&title),
        esc(&meta)
    );
    for d in detail.iter().filter(|d| !d.trim().is_empty()) {
        out.push_str(&format!(
            "<p class=\"timeline__detail pre-wrap\">{}</p>",
            esc(d)
        ));
    }
    out.push_str("</li>");
    out
}

// ---------------------------------------------------------------- the action forms

/// The actions a case page offers, in the order they appear.
const ACTIONS: [&str; 7] = [
    "acknowledge",
    "extend",
    "respond",
    "stage2",
    "withdraw",
    "refuse",
    "ombudsman",
];

/// The role an action needs, for showing the form (the API checks it again on every post).
fn role_needed(action: &str, stage: u8) -> Role {
    let by_stage = if stage <= 1 {
        Role::InvestigatingManager
    } else {
        Role::SeniorManager
    };
    match action {
        "extend" | "respond" => by_stage,
        "refuse" | "ombudsman" => Role::SeniorManager,
        _ => Role::Officer,
    }
}

/// Whether an action fits where the case stands (the domain decides again on every post).
fn action_fits(st: &AppState, view: &Value, action: &str) -> bool {
    let status = view["status"].as_str().unwrap_or("");
    let active = status != "withdrawn" && status != "refused";
    let stage = view["stage"].as_u64().unwrap_or(1);
    let current = view["stages"]
        .as_array()
        .and_then(|s| s.last())
        .cloned()
        .unwrap_or(Value::Null);
    let acknowledged = !current["acknowledged_at"].is_null();
    let responded = !current["responded_at"].is_null();
    let last_stage = view["procedure"]
        .as_str()
        .and_then(|p| st.service.rules.procedures.get(p))
        .map(|p| u64::from(p.last_stage()))
        .unwrap_or(2);
    let ombudsman: Vec<&str> = view["ombudsman"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["event"].as_str())
        .collect();
    match action {
        "acknowledge" => active && !acknowledged,
        "extend" => active && !responded,
        "respond" => active && acknowledged && !responded,
        "stage2" => active && responded && stage < last_stage,
        "withdraw" => active && status != "closed",
        "refuse" => active && !responded,
        // The domain takes a record at any time; the page offers it once the procedure has
        // ended for the resident, or the Ombudsman is already involved.
        "ombudsman" => {
            !ombudsman.contains(&"determination")
                && (!active || status == "closed" || !ombudsman.is_empty())
        }
        _ => false,
    }
}

fn action_title(action: &str, stage: u64) -> String {
    match action {
        "acknowledge" => format!("Acknowledge Stage {stage}"),
        "extend" => format!("Extend Stage {stage}"),
        "respond" => format!("Send the Stage {stage} response"),
        "stage2" => "Record a Stage 2 request".into(),
        "withdraw" => "Record a withdrawal".into(),
        "refuse" => "Refuse the complaint".into(),
        "ombudsman" => "Record the Housing Ombudsman's involvement".into(),
        other => humanise(other),
    }
}

fn actions_section(st: &AppState, who: &SignedIn, view: &Value, attempt: &Attempt) -> String {
    let reference = view["reference"].as_str().unwrap_or("");
    let stage = view["stage"].as_u64().unwrap_or(1);
    let version = view["version"].as_u64().unwrap_or(0);
    let mut out = String::from("<h2 class=\"heading-l\" id=\"actions\">Next actions</h2>");
    let fitting: Vec<&str> = ACTIONS
        .iter()
        .copied()
        .filter(|a| action_fits(st, view, a))
        .collect();
    if fitting.is_empty() {
        out.push_str("<p>There is nothing more to do on this complaint.</p>");
        return out;
    }
    let mut opened_one = !attempt.action.is_empty();
    let mut not_allowed = Vec::new();
    for action in fitting {
        let needed = role_needed(action, stage as u8);
        if !who.staff.role.includes(needed) {
            not_allowed.push((action, needed));
            continue;
        }
        // The form just posted stays open; else the main next step (never a withdrawal or a
        // refusal) opens by itself.
        let open = if attempt.action == action {
            true
        } else if !opened_one && matches!(action, "acknowledge" | "respond") {
            opened_one = true;
            true
        } else {
            false
        };
        let fields = action_fields(view, action, attempt);
        let button_class = if matches!(action, "withdraw" | "refuse") {
            "button button--warning"
        } else {
            "button"
        };
        out.push_str(&format!(
            "<details class=\"details\" id=\"{action}\"{open}><summary class=\"details__summary\">{title}</summary>\
             <div class=\"details__text\"><form method=\"post\" action=\"/staff/cases/{ru}/{action}\" novalidate>\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"version\" value=\"{version}\">\
             <input type=\"hidden\" name=\"idempotency_key\" value=\"{key}\">\
             {fields}{when}<button class=\"{button_class}\" type=\"submit\">{title}</button></form></div></details>",
            open = if open { " open" } else { "" },
            title = esc(&action_title(action, stage)),
            ru = esc(&urlencode(reference)),
            csrf = esc(&who.csrf),
            key = random_hex(16),
            when = when_field(action, attempt),
        ));
    }
    if !not_allowed.is_empty() {
        out.push_str(
            "<p class=\"secondary\">Not open to your role:</p><ul class=\"list secondary\">",
        );
        for (action, needed) in not_allowed {
            out.push_str(&format!(
                "<li>{}: needs the {} role</li>",
                esc(&action_title(action, stage)),
                esc(&humanise(needed.as_str()).to_lowercase())
            ));
        }
        out.push_str("</ul>");
    }
    out
}

fn when_field(action: &str, attempt: &Attempt) -> String {
    let id = format!("{action}-at");
    let value = attempt.value(action, "at");
    Field {
        hint: "Leave blank if it is happening now. UK time; it cannot be in the future or before the last event.",
        value: &value,
        error: attempt.error(&id),
        control: Control::Input("datetime-local"),
        class: "input--medium",
        ..Field::new(&id, "at", "When did this happen? (optional)")
    }
    .render()
}

fn action_fields(view: &Value, action: &str, attempt: &Attempt) -> String {
    let stage = view["stage"].as_u64().unwrap_or(1);
    let v = |name: &str| attempt.value(action, name);
    let id = |name: &str| format!("{action}-{name}");
    let mut out = String::new();
    match action {
        "acknowledge" => {
            let (name, label, hint) = if stage <= 1 {
                (
                    "investigating_manager",
                    "Investigating Manager's email",
                    "The manager who will investigate and respond. They own the complaint from now on.",
                )
            } else {
                (
                    "reviewer",
                    "Reviewer's email",
                    "The Head of Tenant Services or a senior manager who did not handle or answer Stage 1.",
                )
            };
            let (i, val) = (id(name), v(name));
            out.push_str(
                &Field {
                    hint,
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::Input("email"),
                    attrs: "spellcheck=\"false\"",
                    ..Field::new(&i, name, label)
                }
                .render(),
            );
            if stage <= 1 {
                let (i, val) = (id("complaint_points"), v("complaint_points"));
                out.push_str(
                    &Field {
                        hint: "The complaint as you have defined it with the resident: one point on each line. Optional.",
                        value: &val,
                        error: attempt.error(&i),
                        control: Control::TextArea(4),
                        ..Field::new(&i, "complaint_points", "Complaint points")
                    }
                    .render(),
                );
            }
        }
        "extend" => {
            let (i, val) = (id("working_days"), v("working_days"));
            let max = if stage <= 1 { 10 } else { 20 };
            let hint = format!(
                "At most {max} working days in all for this stage. The resident must be told, with the Housing Ombudsman's details."
            );
            out.push_str(
                &Field {
                    hint: &hint,
                    value: &val,
                    error: attempt.error(&i),
                    class: "input--short",
                    attrs: "inputmode=\"numeric\"",
                    ..Field::new(&i, "working_days", "Working days to add")
                }
                .render(),
            );
            out.push_str(&reason_field(
                action,
                attempt,
                "Reason, as told to the resident",
                "",
            ));
        }
        "respond" => {
            let (i, val) = (id("outcome"), v("outcome"));
            out.push_str(
                &Radios {
                    id: &i,
                    name: "outcome",
                    legend: "Decision",
                    hint: "",
                    options: &[
                        ("upheld", "Upheld"),
                        ("partly_upheld", "Partly upheld"),
                        ("not_upheld", "Not upheld"),
                    ],
                    selected: Some(val.as_str()).filter(|s| !s.is_empty()),
                    error: attempt.error(&i),
                }
                .render(),
            );
            let (i, val) = (id("summary"), v("summary"));
            out.push_str(
                &Field {
                    hint: "The decision and the reasons for it, in plain English, as sent to the resident.",
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::TextArea(6),
                    ..Field::new(&i, "summary", "Response")
                }
                .render(),
            );
            let (i, val) = (id("remedy"), v("remedy"));
            out.push_str(
                &Field {
                    hint: "For example, an apology, a repair or an amount of compensation.",
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::TextArea(3),
                    ..Field::new(&i, "remedy", "Remedy (optional)")
                }
                .render(),
            );
            // Decisions are on the points as defined at the Stage 1 acknowledgement.
            let points: Vec<String> = view["complaint_points"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect();
            let decisions: Vec<(String, String)> = vec![
                (String::new(), "No decision recorded".into()),
                ("upheld".into(), "Upheld".into()),
                ("partly_upheld".into(), "Partly upheld".into()),
                ("not_upheld".into(), "Not upheld".into()),
            ];
            for (n, p) in points.iter().enumerate().take(50) {
                let name = format!("decision_{n}");
                let (i, val) = (id(&name), v(&name));
                let label = format!("Decision on point {}: {p}", n + 1);
                out.push_str(&format!(
                    "<input type=\"hidden\" name=\"point_{n}\" value=\"{}\">",
                    esc(p)
                ));
                out.push_str(
                    &Field {
                        value: &val,
                        error: attempt.error(&i),
                        control: Control::Select(&decisions),
                        ..Field::new(&i, &name, &label)
                    }
                    .render(),
                );
            }
            out.push_str(
                "<fieldset class=\"fieldset\"><legend class=\"fieldset__legend\">Actions promised (optional)</legend>\
                 <div class=\"hint\">Up to three things we will do, each with the date it is due.</div>",
            );
            for n in 0..3 {
                let dname = format!("action_{n}_description");
                let (i, val) = (id(&dname), v(&dname));
                let label = format!("Action {}", n + 1);
                out.push_str(
                    &Field {
                        value: &val,
                        error: attempt.error(&i),
                        ..Field::new(&i, &dname, &label)
                    }
                    .render(),
                );
                let uname = format!("action_{n}_due");
                let (i, val) = (id(&uname), v(&uname));
                let label = format!("Action {} due date", n + 1);
                out.push_str(
                    &Field {
                        value: &val,
                        error: attempt.error(&i),
                        control: Control::Input("date"),
                        class: "input--medium",
                        ..Field::new(&i, &uname, &label)
                    }
                    .render(),
                );
            }
            out.push_str("</fieldset>");
        }
        "stage2" => {
            out.push_str(
                "<p>For a request the resident made by phone, letter or in person. A request after the resident's window is still accepted and marked late.</p>",
            );
            out.push_str(&reason_field(
                action,
                attempt,
                "The resident's reason (optional)",
                "",
            ));
        }
        "withdraw" => {
            out.push_str("<p>The complaint is kept and reported as withdrawn.</p>");
            out.push_str(&reason_field(
                action,
                attempt,
                "What the resident said (optional)",
                "",
            ));
        }
        "refuse" => {
            let (i, val) = (id("ground"), v("ground"));
            out.push_str(
                &Radios {
                    id: &i,
                    name: "ground",
                    legend: "Exclusion ground",
                    hint: "A complaint may be refused only on one of these grounds.",
                    options: &[
                        ("over_12_months", "The issue arose, or the resident became aware of it, more than 12 months ago"),
                        ("legal_proceedings", "Legal proceedings have started"),
                        ("already_considered", "It has already been considered"),
                    ],
                    selected: Some(val.as_str()).filter(|s| !s.is_empty()),
                    error: attempt.error(&i),
                }
                .render(),
            );
            let (i, val) = (id("explanation"), v("explanation"));
            out.push_str(
                &Field {
                    hint: "Why, as told to the resident. They will also be told they can go to the Housing Ombudsman.",
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::TextArea(4),
                    ..Field::new(&i, "explanation", "Explanation")
                }
                .render(),
            );
        }
        "ombudsman" => {
            let referred = view["ombudsman"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|o| o["event"] == "referred");
            let (i, val) = (id("event"), v("event"));
            let options: &[(&str, &str)] = if referred {
                &[("determination", "The Ombudsman's determination")]
            } else {
                &[("referred", "Referred to the Ombudsman")]
            };
            out.push_str(
                &Radios {
                    id: &i,
                    name: "event",
                    legend: "What happened",
                    hint: "",
                    options,
                    selected: Some(val.as_str())
                        .filter(|s| !s.is_empty())
                        .or(Some(options[0].0)),
                    error: attempt.error(&i),
                }
                .render(),
            );
            let (i, val) = (id("detail"), v("detail"));
            out.push_str(
                &Field {
                    hint: "The Ombudsman's reference, findings or orders.",
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::TextArea(4),
                    ..Field::new(&i, "detail", "Details")
                }
                .render(),
            );
        }
        _ => {}
    }
    out
}

fn reason_field(action: &str, attempt: &Attempt, label: &str, hint: &str) -> String {
    let i = format!("{action}-reason");
    let val = attempt.value(action, "reason");
    Field {
        hint,
        value: &val,
        error: attempt.error(&i),
        control: Control::TextArea(3),
        ..Field::new(&i, "reason", label)
    }
    .render()
}

// ---------------------------------------------------------------- posting an action

/// The form's `at` (a London wall-clock `datetime-local`) as RFC 3339.
fn at_of(fields: &[(String, String)]) -> Result<Option<String>, String> {
    let Some(v) = text(fields, "at") else {
        return Ok(None);
    };
    let parsed = NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M"))
        .map_err(|_| "Enter the date and time, like 2026-05-14T10:30".to_string())?;
    Ok(Some(
        london_instant(parsed.date(), parsed.time()).to_rfc3339(),
    ))
}

/// Turns a form into the JSON body of the action's API route, or the fields at fault.
fn json_body(
    view: &Value,
    action: &str,
    fields: &[(String, String)],
) -> Result<Value, Vec<(String, String)>> {
    let stage = view["stage"].as_u64().unwrap_or(1);
    let mut errors = Vec::new();
    let mut body = Map::new();
    let id = |name: &str| format!("{action}-{name}");
    match at_of(fields) {
        Ok(Some(at)) => {
            body.insert("at".into(), json!(at));
        }
        Ok(None) => {}
        Err(m) => errors.push((id("at"), m)),
    }
    let put = |body: &mut Map<String, Value>, name: &str| {
        if let Some(v) = text(fields, name) {
            body.insert(name.into(), json!(v));
        }
    };
    match action {
        "acknowledge" => {
            if stage <= 1 {
                put(&mut body, "investigating_manager");
                let points: Vec<String> = get(fields, "complaint_points")
                    .unwrap_or("")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                body.insert("complaint_points".into(), json!(points));
            } else {
                put(&mut body, "reviewer");
            }
        }
        "extend" => {
            match text(fields, "working_days").map(|v| v.parse::<u32>()) {
                Some(Ok(n)) => {
                    body.insert("working_days".into(), json!(n));
                }
                Some(Err(_)) => errors.push((
                    id("working_days"),
                    "Enter the number of working days as a whole number, like 5".into(),
                )),
                None => errors.push((
                    id("working_days"),
                    "Enter the number of working days to add".into(),
                )),
            }
            body.insert(
                "reason".into(),
                json!(get(fields, "reason").unwrap_or("").trim()),
            );
        }
        "respond" => {
            match text(fields, "outcome") {
                Some(o) => {
                    body.insert("outcome".into(), json!(o));
                }
                None => errors.push((id("outcome"), "Choose the decision".into())),
            }
            body.insert(
                "summary".into(),
                json!(get(fields, "summary").unwrap_or("").trim()),
            );
            put(&mut body, "remedy");
            let mut decisions = Vec::new();
            for n in 0..50 {
                let Some(point) = text(fields, &format!("point_{n}")) else {
                    break;
                };
                if let Some(d) = text(fields, &format!("decision_{n}")) {
                    decisions.push(json!({"point": point, "decision": d}));
                }
            }
            body.insert("point_decisions".into(), json!(decisions));
            let mut actions = Vec::new();
            for n in 0..3 {
                let description = text(fields, &format!("action_{n}_description"));
                let due = text(fields, &format!("action_{n}_due"));
                match (description, due) {
                    (None, None) => {}
                    (Some(d), Some(due)) => match NaiveDate::parse_from_str(&due, "%Y-%m-%d") {
                        Ok(date) => actions.push(json!({"description": d, "due": date})),
                        Err(_) => errors.push((
                            id(&format!("action_{n}_due")),
                            format!("Enter the date action {} is due, like 2026-06-30", n + 1),
                        )),
                    },
                    (Some(_), None) => errors.push((
                        id(&format!("action_{n}_due")),
                        format!("Enter the date action {} is due", n + 1),
                    )),
                    (None, Some(_)) => errors.push((
                        id(&format!("action_{n}_description")),
                        format!("Describe action {}, or clear its date", n + 1),
                    )),
                }
            }
            body.insert("actions".into(), json!(actions));
        }
        "stage2" | "withdraw" => put(&mut body, "reason"),
        "refuse" => {
            match text(fields, "ground") {
                Some(g) => {
                    body.insert("ground".into(), json!(g));
                }
                None => errors.push((id("ground"), "Choose the exclusion ground".into())),
            }
            body.insert(
                "explanation".into(),
                json!(get(fields, "explanation").unwrap_or("").trim()),
            );
        }
        "ombudsman" => {
            match text(fields, "event") {
                Some(g) => {
                    body.insert("event".into(), json!(g));
                }
                None => errors.push((id("event"), "Choose what happened".into())),
            }
            body.insert(
                "detail".into(),
                json!(get(fields, "detail").unwrap_or("").trim()),
            );
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(Value::Object(body))
    } else {
        Err(errors)
    }
}

/// Where an API field error is shown on the page: `actions[1].due` is `respond-action_1_due`.
fn element_for(action: &str, field: &str) -> String {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    let index = field
        .split('[')
        .nth(1)
        .and_then(|r| r.split(']').next())
        .unwrap_or("0");
    let leaf = field.rsplit('.').next().unwrap_or(field);
    let name = match base {
        "actions" => format!(
            "action_{index}_{}",
            if leaf == "due" { "due" } else { "description" }
        ),
        "point_decisions" => format!("decision_{index}"),
        "complaint_points" => "complaint_points".into(),
        "" | "(body)" => "at".into(),
        other => other.to_string(),
    };
    format!("{action}-{name}")
}

/// `POST /staff/cases/{reference}/{action}`: a form for one of the staff API's case actions.
pub(crate) async fn case_action(
    State(st): State<AppState>,
    Path((reference, action)): Path<(String, String)>,
    who: Result<SignedIn, Response>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    // An unknown action is no route, signed in or not: checked before the sign-in redirect.
    if !ACTIONS.contains(&action.as_str()) && !casefile::ACTIONS.contains(&action.as_str()) {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such route",
        ));
    }
    let who = match who {
        Ok(w) => w,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    // The form's id: the action, with the item's number for a form about one action or offer.
    let item = casefile::item_of(&action, &fields);
    let form = casefile::form_id(&action, item);
    if !same(get(&fields, "csrf_token").unwrap_or(""), &who.csrf) {
        let attempt = Attempt {
            action: form.clone(),
            fields: fields.clone(),
            errors: vec![(
                format!("#{form}"),
                "This form had expired. Check the complaint below and try again.".into(),
            )],
        };
        return Ok(render_case(&st, &who, &reference, None, &attempt, StatusCode::FORBIDDEN).await);
    }
    let view = match load_view(&st, &who, &reference).await {
        Ok(v) => v,
        Err(p) if p.status == 404 => {
            return Ok(render_case(
                &st,
                &who,
                &reference,
                None,
                &Attempt::default(),
                StatusCode::OK,
            )
            .await)
        }
        Err(p) => return Err(p),
    };
    let stage = view["stage"].as_u64().unwrap_or(1);
    let fail = |status: StatusCode, errors: Vec<(String, String)>| {
        let attempt = Attempt {
            action: form.clone(),
            fields: fields.clone(),
            errors: errors
                .into_iter()
                .map(|(id, m)| (format!("#{id}"), m))
                .collect(),
        };
        (status, attempt)
    };
    let case_file = casefile::ACTIONS.contains(&action.as_str());
    let json = if case_file {
        let mut body = Map::new();
        let mut errors = Vec::new();
        match at_of(&fields) {
            Ok(Some(at)) => {
                body.insert("at".into(), json!(at));
            }
            Ok(None) => {}
            Err(m) => errors.push((format!("{form}-at"), m)),
        }
        errors.extend(casefile::json_body(&action, &form, &fields, &mut body));
        if errors.is_empty() {
            Ok(Value::Object(body))
        } else {
            Err(errors)
        }
    } else {
        json_body(&view, &action, &fields)
    };
    let json = match json {
        Ok(j) => j,
        Err(errors) => {
            let (status, attempt) = fail(StatusCode::UNPROCESSABLE_ENTITY, errors);
            return Ok(render_case(&st, &who, &reference, None, &attempt, status).await);
        }
    };
    let route = match action.as_str() {
        "acknowledge" => "acknowledgement".to_string(),
        "extend" => "extension".into(),
        "respond" => format!("stage{stage}-response"),
        "stage2" => "stage2".into(),
        "withdraw" => "withdrawal".into(),
        "refuse" => "refusal".into(),
        "ombudsman" => "ombudsman".into(),
        other => casefile::route(other, item.unwrap_or(0)),
    };
    let mut req = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!(
            "/staff/complaints/{}/{route}",
            urlencode(&reference)
        ))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(v) = text(&fields, "version").filter(|v| v.bytes().all(|b| b.is_ascii_digit())) {
        req = req.header(header::IF_MATCH, format!("\"{v}\""));
    }
    if let Some(k) = text(&fields, "idempotency_key")
        .filter(|k| k.len() <= 64 && k.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        req = req.header("idempotency-key", format!("page {action} {k}"));
    }
    let req = req
        .body(Body::from(json.to_string()))
        .map_err(|_| Problem::malformed("The form could not be read"))?;
    let (s, p, r) = (
        State(st.clone()),
        who.staff.clone(),
        Path(reference.clone()),
    );
    let result = match action.as_str() {
        "acknowledge" => staff::acknowledge(s, p, r, req).await,
        "extend" => staff::extend(s, p, r, req).await,
        "respond" if stage <= 1 => staff::stage1_response(s, p, r, req).await,
        "respond" => staff::stage2_response(s, p, r, req).await,
        "stage2" => staff::request_stage2(s, p, r, req).await,
        "withdraw" => staff::withdraw(s, p, r, req).await,
        "refuse" => staff::refuse(s, p, r, req).await,
        "ombudsman" => staff::ombudsman(s, p, r, req).await,
        "points" => staff::revise_points(s, p, r, req).await,
        "reassign" => staff::reassign(s, p, r, req).await,
        "needs" => staff::record_needs(s, p, r, req).await,
        "contact" => staff::contact_preferences(s, p, r, req).await,
        "representative" => staff::representative(s, p, r, req).await,
        "compensation" => staff::offer_compensation(s, p, r, req).await,
        "order" => staff::ombudsman_order(s, p, r, req).await,
        other => {
            let n = Path((reference.clone(), item.unwrap_or(0).to_string()));
            match other {
                "complete" => staff::complete_action(s, p, n, req).await,
                "answer" => staff::answer_compensation(s, p, n, req).await,
                _ => staff::pay_compensation(s, p, n, req).await,
            }
        }
    };
    match result {
        Ok(res) if res.status().is_success() => {
            let to = format!("/staff/cases/{}?done={action}", urlencode(&reference));
            Ok(Redirect::to(&to).into_response())
        }
        Ok(res) => {
            let status = res.status();
            let v = json_of(res).await;
            let message = v["detail"]
                .as_str()
                .unwrap_or("The action could not be recorded")
                .to_string();
            let (status, attempt) = fail(status, vec![(form.clone(), message)]);
            Ok(render_case(&st, &who, &reference, None, &attempt, status).await)
        }
        Err(problem) => {
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let errors: Vec<(String, String)> = if problem.errors.is_empty() {
                let detail = problem
                    .detail
                    .clone()
                    .unwrap_or_else(|| problem.title.clone());
                let message = match problem.status {
                    412 => "Someone else changed this complaint since you opened it. Check it below, then try again.".to_string(),
                    _ => detail,
                };
                vec![(form.clone(), message)]
            } else {
                problem
                    .errors
                    .iter()
                    .map(|e| {
                        (
                            if case_file {
                                casefile::element_for(&form, &e.field)
                            } else {
                                element_for(&action, &e.field)
                            },
                            friendly(&e.field, &e.message),
                        )
                    })
                    .collect()
            };
            let (status, attempt) = fail(status, errors);
            Ok(render_case(&st, &who, &reference, None, &attempt, status).await)
        }
    }
}

/// API messages that name a field by its JSON name read oddly on a page; say which field.
fn friendly(field: &str, message: &str) -> String {
    let starts_upper = message.chars().next().is_some_and(char::is_uppercase);
    if starts_upper {
        message.to_string()
    } else {
        format!(
            "{}: {message}",
            humanise(field.split(['[', '.']).next().unwrap_or(field))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_staff_pages() {
        assert_eq!(safe_next(Some("/staff/cases/CMP-1")), "/staff/cases/CMP-1");
        assert_eq!(safe_next(Some("https://evil.example/")), "/staff/cases");
        assert_eq!(safe_next(Some("//evil.example/staff/")), "/staff/cases");
        assert_eq!(safe_next(Some("/staff/sign-out")), "/staff/cases");
        assert_eq!(safe_next(None), "/staff/cases");
    }

    #[test]
    fn api_field_errors_point_at_the_page_fields() {
        assert_eq!(
            element_for("respond", "actions[1].due"),
            "respond-action_1_due"
        );
        assert_eq!(
            element_for("respond", "point_decisions[0].point"),
            "respond-decision_0"
        );
        assert_eq!(
            element_for("acknowledge", "complaint_points[2]"),
            "acknowledge-complaint_points"
        );
        assert_eq!(element_for("extend", "working_days"), "extend-working_days");
    }

    #[test]
    fn the_session_csrf_token_depends_on_the_session() {
        assert_ne!(session_csrf("a"), session_csrf("b"));
        assert_eq!(session_csrf("a").len(), 64);
        assert!(same("abc", "abc"));
        assert!(!same("", ""));
        assert!(!same("abc", "abd"));
    }

    #[test]
    fn a_form_becomes_the_api_body() {
        let view = json!({"stage": 1});
        let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let b = json_body(
            &view,
            "acknowledge",
            &f(&[
                ("investigating_manager", " ian@p3.example "),
                ("complaint_points", "Lift broken\r\n\r\nNo reply to calls"),
            ]),
        )
        .unwrap();
        assert_eq!(b["investigating_manager"], "ian@p3.example");
        assert_eq!(
            b["complaint_points"],
            json!(["Lift broken", "No reply to calls"])
        );
        let e = json_body(&view, "extend", &f(&[("working_days", "five")])).unwrap_err();
        assert_eq!(e[0].0, "extend-working_days");
        let b = json_body(
            &view,
            "withdraw",
            &f(&[("at", "2026-07-01T10:30"), ("reason", "")]),
        )
        .unwrap();
        assert_eq!(b["at"], "2026-07-01T09:30:00+00:00");
        assert!(b.get("reason").is_none());
    }
}
