//! Staff pages: sign in with a token (kept in an HttpOnly cookie the token authenticator
//! already reads), the open complaints with what is overdue or due soon marked in words, and a
//! case page with its deadlines, timeline and a form for each next action.
//!
//! The pages add no rules of their own: the case list reads its view from the Service; the
//! case page and every action go through the staff JSON handlers (`staff.rs`), so roles,
//! validation, `If-Match`, idempotency and the domain's [`p3_domain::service::Service::act`]
//! are exactly the API's. A page turns a form into that handler's JSON body and its answer
//! back into a page: a 303 to the case on success, or the case again with the error summary
//! and the values kept.
//!
//! Every page here but the case page is an askama template under `templates/staff/`
//! (`sign_in.html`, `password_sign_in.html`, `set_password.html`, `message.html`,
//! `provider.html`, `cases.html`) extending `base.html`.

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use chrono::{NaiveDate, NaiveDateTime};
use http::request::Parts;
use http::{header, HeaderMap, StatusCode};
use p3_domain::london::{london_date, london_instant};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::{self, Role, Staff};
use crate::extract::{Path, Query};
use crate::html::{humanise, urlencode, Control, Field, Header, StaffHeader};
use crate::http::compare::same_secret;
use crate::http::cookies::{cookie_header, private_page};
use crate::http::csrf::{csrf_of, form_matches_cookie, set_csrf_cookie};
use crate::http::random::random_hex;
use crate::problem::Problem;
use crate::sign_in::{SignInError, StaffSignIn, SESSION_COOKIE};
use crate::{body, AppState};

pub(crate) mod accounts;
pub(crate) mod annual_cycle;
mod case;
mod case_action;
mod casefile;
mod forms;
mod inbox_file;
mod informed;
pub(crate) mod intake;
mod posting;
mod record;
mod service_requests;
mod signing_in;
pub(crate) mod upload;

pub(crate) use case::*;
use case_action::{CaseAction, Conditions};
use forms::*;
pub(crate) use inbox_file::{confirm, confirm_page};
pub(crate) use posting::*;
pub(crate) use service_requests::*;
pub(crate) use signing_in::*;

/// An identity provider's sign-in in progress (see [`crate::sign_in`]), sent back only to
/// the callback's path.
const ATTEMPT_COOKIE: &str = "p3_sign_in";
/// Where the identity provider sends the browser back.
const CALLBACK_PREFIX: &str = "/staff/auth";

/// A member of staff signed in to the pages, with the CSRF token of their session.
pub(crate) struct SignedIn {
    pub(crate) staff: Staff,
    pub(crate) csrf: String,
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
    same_secret(a.as_bytes(), b.as_bytes())
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
        let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let b = json_body(
            1,
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
        let e = json_body(1, "extend", &f(&[("working_days", "five")])).unwrap_err();
        assert_eq!(e[0].0, "extend-working_days");
        let b = json_body(
            1,
            "withdraw",
            &f(&[("at", "2026-07-01T10:30"), ("reason", "")]),
        )
        .unwrap();
        assert_eq!(b["at"], "2026-07-01T09:30:00+00:00");
        assert!(b.get("reason").is_none());
    }
}
