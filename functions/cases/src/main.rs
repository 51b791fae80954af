//! Lambda function `cases`: case lists and reads, extensions, withdrawals, refusals and Ombudsman
//! records, and the staff pages (signed in through the identity provider). The same routers the
//! local server serves, behind the HTTP API; clients are built once, before the first event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(p3_aws::wiring::cases().await?).await
}
