//! Cookies the service sets, and the cache rule for pages that carry personal data.

use axum::response::Response;
use http::{header, HeaderMap, HeaderValue};

use crate::AppState;

/// Keeps a page out of shared caches (and every cache: it may carry personal data).
pub(crate) fn private_page(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    res
}

/// True when the browser reached the service over HTTPS (directly or through a proxy that says
/// so), or the service is configured with an `https://` base URL: cookies are then `Secure`.
pub(crate) fn is_https(st: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
        || st.service.settings.base_url.starts_with("https://")
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure over HTTPS.
pub(crate) fn cookie_header(
    st: &AppState,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
) -> Option<HeaderValue> {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if is_https(st, headers) {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).ok()
}
