//! `GET /healthz`: 200 while the store takes writes, 503 otherwise, for a load balancer or a
//! monitor. Nothing personal and no detail of the fault is given: the log has that.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::json;

use crate::problem::Problem;

/// A check that the store can take a write now (a real, small write, not a guess).
#[async_trait::async_trait]
pub trait WriteCheck: Send + Sync {
    /// `Err` with a reason for the log when a write fails.
    async fn check_writable(&self) -> Result<(), String>;
}

/// The extension the host adds so `/healthz` can check its store.
#[derive(Clone)]
pub struct Health(pub Arc<dyn WriteCheck>);

/// `GET /healthz`.
pub(crate) async fn healthz(health: Option<Extension<Health>>) -> Response {
    let Some(Extension(Health(check))) = health else {
        return Problem::unavailable("This host does not check its store").into_response();
    };
    match check.check_writable().await {
        Ok(()) => axum::Json(json!({"status": "ok"})).into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "health check: the store cannot take writes");
            Problem::unavailable("The service cannot record anything at the moment").into_response()
        }
    }
}
