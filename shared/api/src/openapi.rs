//! The OpenAPI 3.1 description of every route the full [`crate::router`] serves, served
//! without login at `GET /openapi.json` (by the `intake` part).
//!
//! The document is `shared/api/openapi.json`, written by hand; `tests/openapi.rs` keeps it in
//! step with the router: every operation it lists is served (not the fallback), every method it
//! does not list on a path answers the router's 405, and paths it does not list the router's 404.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue};

/// The document, as served.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// The document, parsed.
pub fn document() -> serde_json::Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is valid JSON (checked by the tests)")
}

/// Every `(method, path)` the document describes, methods in upper case and paths as written in
/// the document (`/complaints/{reference}`), sorted by path.
pub fn operations() -> Vec<(String, String)> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let doc = document();
    let mut ops = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for m in METHODS {
                if item.get(m).is_some() {
                    ops.push((m.to_ascii_uppercase(), path.clone()));
                }
            }
        }
    }
    ops
}

/// `GET /openapi.json`.
pub(crate) async fn serve() -> Response {
    let mut res = OPENAPI_JSON.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}
