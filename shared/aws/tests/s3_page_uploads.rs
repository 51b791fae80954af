//! The resident pages' script on AWS (issue 15 items 5 and 7): it posts each file from the
//! service's pages straight to the attachments bucket with XMLHttpRequest. For that the bucket
//! must answer the pages' origin with CORS (the rule of `infra/template.yaml`) and the pages'
//! Content-Security-Policy must let the script connect to the bucket's address (the inbox's
//! origin). No emulator is needed: moto's server answers every Origin with permission whatever
//! the bucket's rule, so the rule is checked as the template writes it.

mod support;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use chrono::{Duration, Utc};
use p3_api::http::csp::{origin_of, upload_page_policy};
use p3_aws::s3_attachments::s3_client;
use p3_aws::s3_inbox::S3UploadInbox;
use p3_domain::attachment::new_id;
use p3_domain::inbox::UploadInbox;
use support::repo;

fn untag(v: &serde_yaml::Value) -> &serde_yaml::Value {
    match v {
        serde_yaml::Value::Tagged(t) => &t.value,
        other => other,
    }
}

/// The bucket's CORS rules as the template writes them.
fn template_cors_rules() -> Vec<serde_yaml::Value> {
    let text = std::fs::read_to_string(repo().join("infra/template.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    doc["Resources"]["AttachmentsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
        .as_sequence()
        .expect("the bucket has CORS rules")
        .clone()
}

#[test]
fn the_bucket_lets_the_pages_script_post_from_the_services_origin_only() {
    let rules = template_cors_rules();
    assert_eq!(rules.len(), 1, "one rule: the pages' origin");
    let rule = &rules[0];
    let methods: Vec<&str> = rule["AllowedMethods"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(methods, ["POST"], "the script only posts forms");
    let origins = rule["AllowedOrigins"].as_sequence().unwrap();
    assert_eq!(origins.len(), 1);
    match &origins[0] {
        serde_yaml::Value::Tagged(t) => {
            assert_eq!(t.tag.to_string(), "!Ref");
            assert_eq!(t.value.as_str(), Some("BaseUrl"));
        }
        other => panic!("the pages' origin is BaseUrl, not {other:?}"),
    }
    assert!(untag(&rule["MaxAge"]).as_i64().is_some());
    // CORS compares origins exactly: every BaseUrl deployed is an origin (no path, no slash).
    let samconfig = std::fs::read_to_string(repo().join("samconfig.toml")).unwrap();
    let mut seen = 0;
    for line in samconfig.lines() {
        if let Some(rest) = line.trim().strip_prefix("\"BaseUrl=") {
            let url = rest.trim_end_matches(['"', ',']);
            assert_eq!(origin_of(url).as_deref(), Some(url), "BaseUrl {url}");
            seen += 1;
        }
    }
    assert!(seen >= 2, "dev and prod BaseUrl in samconfig.toml");
}

async fn offline_sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-2"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .load()
        .await
}

#[tokio::test]
async fn the_pages_may_connect_to_where_the_emulators_forms_post() {
    let sdk = offline_sdk().await;
    let inbox = S3UploadInbox::new(
        s3_client(&sdk, true),
        &sdk,
        "p3-files-dev",
        Some("http://127.0.0.1:5124/"),
    )
    .unwrap();
    assert_eq!(inbox.origin().as_deref(), Some("http://127.0.0.1:5124"));
    let form = inbox
        .form(&new_id([1; 10]), Utc::now() + Duration::minutes(30), None)
        .await
        .unwrap();
    assert!(
        form.url.starts_with("http://127.0.0.1:5124/"),
        "{}",
        form.url
    );
}

#[tokio::test]
async fn on_aws_the_pages_may_connect_to_the_buckets_regional_address() {
    let sdk = offline_sdk().await;
    let s3 = s3_client(&sdk, false);
    let inbox = S3UploadInbox::new(s3, &sdk, "p3-files-prod", None).unwrap();
    assert_eq!(
        inbox.origin().as_deref(),
        Some("https://p3-files-prod.s3.eu-west-2.amazonaws.com")
    );
    assert!(upload_page_policy(inbox.origin().as_deref())
        .ends_with("connect-src 'self' https://p3-files-prod.s3.eu-west-2.amazonaws.com"));
}
