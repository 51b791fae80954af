//! Lambda function `documents`: the letters as printed and the evidence pack, which staff open
//! from the pages, as HTML and as PDF (`?format=pdf`). The same router the local server serves,
//! behind the HTTP API without an authorizer (the function checks the pages' session itself);
//! clients are built once, before the first event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(p3_aws::documents::documents().await?).await
}
