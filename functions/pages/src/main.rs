//! Lambda function `pages`: the staff pages, signed in through the identity provider (the case
//! list, a case and its action forms, the monthly report page), the letters as printed and the
//! evidence pack. The same routers the local server serves, behind the HTTP API without an
//! authorizer (the function checks the session itself); clients and the sign-in's secrets are
//! read once, before the first event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(p3_aws::pages::pages().await?).await
}
