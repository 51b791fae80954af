//! What the emulator tests of the functions share: where the repository and the emulator are,
//! the date the sample events are written for, queues, and a batch's failures.
#![allow(dead_code)]

pub mod browser;
pub mod dynamo;

use std::path::PathBuf;

use aws_lambda_events::event::sqs::SqsBatchResponse;
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::{DateTime, TimeZone, Utc};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Monday 1 June 2026, 10:00 UTC (11:00 in London), the date the sample events are written for.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap()
}

pub fn endpoint() -> String {
    std::env::var("P3_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "P3_MOTO_ENDPOINT is not set: these tests need the moto AWS emulator; run ./scripts/test, \
             or start `.venv/bin/python scripts/moto_server.py 127.0.0.1 5124` and set \
             P3_MOTO_ENDPOINT=http://127.0.0.1:5124"
        )
    })
}

/// The SDK configuration the functions would load, pointed at the emulator at `endpoint`
/// (moto's placeholder credentials, the project's HTTPS client).
pub async fn moto_sdk(endpoint: impl Into<String>) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("eu-west-2"))
        .http_client(p3_aws::sdk::https_client())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await
}

/// A queue (with a redrive policy, and a visibility timeout in seconds, when given): its URL
/// and ARN.
pub async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    redrive: Option<String>,
    visibility_timeout: Option<u32>,
) -> (String, String) {
    let mut create = sqs.create_queue().queue_name(name);
    if let Some(seconds) = visibility_timeout {
        create = create.attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string());
    }
    if let Some(policy) = redrive {
        create = create.attributes(QueueAttributeName::RedrivePolicy, policy);
    }
    let url = create
        .send()
        .await
        .expect("create a queue")
        .queue_url()
        .expect("a queue url")
        .to_string();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("the queue's attributes");
    let arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .expect("a queue arn")
        .clone();
    (url, arn)
}

/// The ids of the messages a batch response asks to see again.
pub fn failures(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}
