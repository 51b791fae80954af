//! Cross-site request forgery: the double-submit cookie of the public form and the sign-in
//! form. (A signed-in session's token is derived from the session, see the staff pages.)

use axum::response::Response;
use http::{header, HeaderMap};

use crate::http::compare::same_secret;
use crate::http::cookies::cookie_header;
use crate::http::random::random_hex;
use crate::AppState;

/// The public double-submit CSRF cookie, also used by the sign-in form.
pub(crate) const CSRF_COOKIE: &str = "p3_csrf";

/// The CSRF token of this browser (from its cookie) or a new one.
pub(crate) fn csrf_of(headers: &HeaderMap) -> String {
    crate::auth::cookie_from(headers, CSRF_COOKIE)
        .filter(|c| c.len() == 32 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| random_hex(16))
}

/// Sets the CSRF cookie on a page whose form carries `csrf`.
pub(crate) fn set_csrf_cookie(st: &AppState, headers: &HeaderMap, res: &mut Response, csrf: &str) {
    if let Some(v) = cookie_header(st, headers, CSRF_COOKIE, csrf, "/", None) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// True when a form's `csrf_token` matches the browser's CSRF cookie.
pub(crate) fn form_matches_cookie(headers: &HeaderMap, token: &str) -> bool {
    let cookie = crate::auth::cookie_from(headers, CSRF_COOKIE).unwrap_or_default();
    same_secret(token.as_bytes(), cookie.as_bytes())
}
