//! Lambda function `cases`: the staff JSON API's case lists and reads, extensions, withdrawals,
//! refusals, Ombudsman records and the case file, behind the HTTP API's JWT authorizer (the
//! staff pages are the `pages` function's). The same routers the local server serves; clients
//! are built once, before the first event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(p3_aws::wiring::cases().await?).await
}
