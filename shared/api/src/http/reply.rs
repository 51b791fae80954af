//! The answer to a change, as the domain stored it for idempotent replays.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use p3_domain::ports::StoredReply;

/// The stored reply as an HTTP answer: its status and body, with the case's version as the
/// ETag when the body is a case (a `303` carries its `Location` in the body).
pub(crate) fn reply(r: StoredReply) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    if status == StatusCode::SEE_OTHER {
        let mut res = status.into_response();
        if let Ok(v) = HeaderValue::from_str(&r.body) {
            res.headers_mut().insert(header::LOCATION, v);
        }
        return res;
    }
    let etag = serde_json::from_str::<serde_json::Value>(&r.body)
        .ok()
        .and_then(|v| v.get("version").and_then(|v| v.as_u64()))
        .map(|v| format!("\"{v}\""));
    let mut res = (status, r.body).into_response();
    if let Ok(v) = HeaderValue::from_str(&r.content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Some(e) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        res.headers_mut().insert(header::ETAG, e);
    }
    res
}
