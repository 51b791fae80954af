//! Lambda function `report-pages`: the printable reports the staff pages link to (the monthly
//! report, the quarterly summary, the annual report, the self-assessment with its evidence).
//! The same router the local server serves, behind the HTTP API without an authorizer (the
//! function checks the pages' session itself); clients are built once, before the first event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(p3_aws::report_pages::report_pages().await?).await
}
