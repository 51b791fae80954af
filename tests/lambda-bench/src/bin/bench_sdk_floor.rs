//! Baseline: the AWS SDK floor. Builds the same clients as `p3_aws::wiring` (DynamoDB, SQS,
//! Scheduler, SESv2, S3 from one `SdkConfig`, loaded the same way) and makes one DynamoDB call
//! (DescribeTable) during init, then answers each invocation without further calls.

use aws_config::{BehaviorVersion, Region};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.is_empty())
    {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = std::env::var("AWS_REGION").ok().filter(|v| !v.is_empty()) {
        loader = loader.region(Region::new(region));
    }
    let sdk = loader.load().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let clients = (
        aws_sdk_sqs::Client::new(&sdk),
        aws_sdk_scheduler::Client::new(&sdk),
        aws_sdk_sesv2::Client::new(&sdk),
        aws_sdk_s3::Client::new(&sdk),
    );
    let table = std::env::var("TABLE_NAME").unwrap_or_default();
    if let Err(e) = dynamodb.describe_table().table_name(&table).send().await {
        tracing_warn(&e);
    }
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<serde_json::Value>| {
        let _keep = (&dynamodb, &clients);
        async move { Ok::<_, Error>(serde_json::json!({ "ok": true })) }
    }))
    .await
}

fn tracing_warn(e: &dyn std::fmt::Debug) {
    eprintln!("could not warm the DynamoDB connection: {e:?}");
}
