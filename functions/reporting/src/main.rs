//! Lambda function `reporting`: `GET /staff/reports/*` through the HTTP API, and the monthly
//! schedule's event (1st of the month, 06:00 London). The report routes and the export to S3
//! come with issue 5: until then the routes answer 404 (problem+json) and the monthly job only
//! logs the month it would cover.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use p3_aws::wiring::{app_state, handle_reporting_event, http_app};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = app_state().await?;
    // No report routes yet (issue 5): every request gets the shared 404 problem.
    let app = http_app(axum::Router::new(), state);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        handle_reporting_event(app.clone(), event.payload, chrono::Utc::now())
    }))
    .await
}
