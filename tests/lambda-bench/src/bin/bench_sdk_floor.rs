//! Baseline: the AWS SDK floor. Builds the same clients as `p3_aws::wiring` (DynamoDB, SQS,
//! Scheduler, SESv2, S3 from one `SdkConfig`, built by `p3_aws::sdk::config` as every function
//! builds it: the environment credentials provider, compiled-in roots) and makes one DynamoDB
//! call (DescribeTable) during init, then answers each invocation without further calls. So
//! "init within 1.5 times the SDK floor" compares the functions with the same SDK set-up,
//! without their own work.

use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let sdk = p3_aws::sdk::config(var("AWS_ENDPOINT_URL"), var("AWS_REGION")).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let clients = (
        aws_sdk_sqs::Client::new(&sdk),
        aws_sdk_scheduler::Client::new(&sdk),
        aws_sdk_sesv2::Client::new(&sdk),
        aws_sdk_s3::Client::new(&sdk),
    );
    let table = var("TABLE_NAME").unwrap_or_default();
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
