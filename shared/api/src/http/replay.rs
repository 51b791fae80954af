//! How a write's answer reads over HTTP, the first time and on every retry with the same
//! `Idempotency-Key`: the domain keeps what happened ([`StoredReply`]), this module says it as
//! a status, headers and a body.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use p3_domain::ports::{ReplyView, ResidentPage, StoredReply};

/// The answer to a write: `201 Created` or `200 OK` with the view (and the case version as its
/// `ETag` where staff may send it back in `If-Match`), or `303 See Other` to a resident's page.
pub(crate) fn response(reply: StoredReply) -> Response {
    match reply {
        StoredReply::Created(view) => with_view(StatusCode::CREATED, view),
        StoredReply::Changed(view) => with_view(StatusCode::OK, view),
        StoredReply::ToResident {
            reference,
            access_code,
            page,
        } => {
            let to = match page {
                ResidentPage::Confirmation => {
                    format!("/complaints/{reference}/confirmation?code={access_code}")
                }
                ResidentPage::Case => format!("/complaints/{reference}?code={access_code}"),
            };
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&to) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            res
        }
    }
}

fn with_view(status: StatusCode, view: ReplyView) -> Response {
    let mut res = (status, view.body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(v) = view.version {
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{v}\"")) {
            res.headers_mut().insert(header::ETAG, etag);
        }
    }
    res
}

/// The view of a record as a write answered with it (JSON).
pub(crate) fn view(reference: &str, version: Option<u64>, body: &serde_json::Value) -> ReplyView {
    ReplyView {
        reference: reference.to_string(),
        version,
        body: body.to_string(),
    }
}
