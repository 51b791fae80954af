//! Lambda function `reporting`: `GET /staff/reports/*` through the HTTP API, and the monthly
//! schedule's event (1st of the month, 06:00 London): the month just ended exported to the
//! bucket under `exports/YYYY-MM/` and a summary emailed to the managers; and the daily
//! retention schedule's event (the cases closed more than the retention period ago lose their
//! personal data).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use p3_aws::wiring::{handle_reporting_event, reporting};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let (app, jobs) = reporting().await?;
    let jobs = &jobs;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        handle_reporting_event(app.clone(), jobs, event.payload, chrono::Utc::now())
    }))
    .await
}
