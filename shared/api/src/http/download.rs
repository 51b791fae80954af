//! Downloads too large for the host's own answers: on AWS Lambda caps a response at 6 MB (a
//! binary body goes base64-encoded, a third larger), so a case's file over 4 MB, and a
//! generated download (the evidence pack's zip, a PDF) as large, is fetched by the browser
//! from the bucket through a short-lived link the store gives; the route answers `303` to it.
//! Locally the store gives no link and the route serves the bytes itself.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use p3_domain::attachment::ServedAs;
use p3_domain::service::ServiceError;

use crate::problem::Problem;
use crate::AppState;

/// `303` to a short-lived link: never cached, and the link (it carries a signature) never
/// sent on as a referrer.
pub(crate) fn see_other(link: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(link) {
        h.insert(header::LOCATION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// The `303` to where a generated download of case `reference` is fetched from when it is
/// too large for the host's answers ([`p3_domain::attachment::AttachmentStore::generated_link`]),
/// or `None` when the route serves `bytes` itself.
pub(crate) async fn generated(
    st: &AppState,
    reference: &str,
    bytes: &[u8],
    content_type: &str,
    content_disposition: &str,
) -> Result<Option<Response>, Problem> {
    let served_as = ServedAs {
        content_type: content_type.to_string(),
        content_disposition: content_disposition.to_string(),
    };
    let link = st
        .attachments
        .generated_link(reference, bytes, &served_as)
        .await
        .map_err(ServiceError::from)?;
    Ok(link.map(|l| see_other(&l)))
}
