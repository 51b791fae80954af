//! Lambda function `stage2`: Stage 2 requests (resident and staff) and Stage 2 responses. The same router the local server
//! serves, behind the HTTP API; clients are built once, before the first event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = p3_aws::wiring::resident_app_state().await?;
    lambda_http::run(p3_aws::wiring::http_app(p3_api::stage2_router(), state)).await
}
