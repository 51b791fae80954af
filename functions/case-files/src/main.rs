//! Lambda function `case-files`: the staff case page's "Add a file" once the file is in the
//! upload inbox (the confirm page the bucket sends the browser to, and its POST, which keeps
//! the file with the case), and the case page's multipart file form. The same router the local
//! server serves, behind the HTTP API without an authorizer (the function checks the pages'
//! session itself); clients are built once, before the first event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(p3_aws::case_files::case_files().await?).await
}
