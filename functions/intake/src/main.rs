//! Lambda function `intake`: the public form, new complaints, the resident's view, staff intake and service requests. The same router the local server
//! serves, behind the HTTP API; clients are built once, before the first event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = p3_aws::wiring::resident_app_state().await?;
    lambda_http::run(p3_aws::wiring::http_app(p3_api::intake_router(), state)).await
}
