//! The retention checks of the store contract (`p3-store-contract`, run by the SQLite tests
//! too) against the DynamoDB store on the moto emulator, each on its own table: what the store
//! holds, searched for removed text, is every attribute of every item of the table and of the
//! index that copies whole items (`GSI2`). Plus what only DynamoDB does: a case marked by a
//! retention rewrite cut short refuses other changes, and the next run finishes it.
//!
//! `#[ignore]`d under plain `cargo test`; `./scripts/test` starts moto and runs them.

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use p3_aws::dynamo::{DynamoStore, GSI2};
use p3_domain::ports::{CaseStore, StoreError};
use p3_domain::retention::{self, RetentionStore};
use p3_store_contract::retention::{self as checks, Held};
use p3_store_contract::{self as contract};
use support::dynamo::store;

/// Every item of the table and of `GSI2`, attribute by attribute, deflated ones inflated.
struct Items {
    client: Client,
    table: String,
}

fn push(out: &mut Vec<u8>, value: &AttributeValue) {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => out.extend(s.as_bytes()),
        AttributeValue::B(blob) => {
            // Every binary attribute the store writes is deflated: one that is not readable
            // would hide what it holds from this search, so it fails the test.
            out.extend(p3_aws::dynamo::inflate(blob.as_ref()).expect("a deflated attribute"));
        }
        AttributeValue::L(list) => list.iter().for_each(|v| push(out, v)),
        AttributeValue::M(map) => map.values().for_each(|v| push(out, v)),
        AttributeValue::Ss(list) => list.iter().for_each(|s| out.extend(s.as_bytes())),
        _ => {}
    }
    out.push(b'\n');
}

#[async_trait]
impl Held for Items {
    async fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for index in [None, Some(GSI2)] {
            let mut start = None;
            loop {
                // A test may Scan: it reads what the store holds, not what it is asked.
                let page = self
                    .client
                    .scan()
                    .table_name(&self.table)
                    .set_index_name(index.map(str::to_string))
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .expect("scan");
                for item in page.items() {
                    item.values().for_each(|v| push(&mut out, v));
                }
                match page.last_evaluated_key() {
                    Some(k) if !k.is_empty() => start = Some(k.clone()),
                    _ => break,
                }
            }
        }
        out
    }
}

async fn retention_store() -> (Arc<DynamoStore>, Items) {
    let (store, _, client) = store().await;
    let items = Items {
        client,
        table: store.table().to_string(),
    };
    (Arc::new(store), items)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn personal_data_of_cases_closed_over_six_years_ago_is_removed_and_the_figures_stay() {
    let (store, items) = retention_store().await;
    checks::personal_data_of_cases_closed_over_six_years_ago_is_removed_and_the_figures_stay(
        store, &items,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_history_longer_than_one_transaction_is_anonymised_whole() {
    let (store, items) = retention_store().await;
    checks::a_history_longer_than_one_transaction_is_anonymised_whole(store, &items).await;
}

/// A rewrite cut short after marking the case: other changes are refused (a conflict, which
/// the service answers as "changed by others"), and the next rewrite finishes and clears it.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_case_marked_by_a_rewrite_cut_short_refuses_changes_until_it_is_finished() {
    let (store, _, client) = store().await;
    let case = contract::new_case("CMP-2026-00001");
    store.save(contract::create(&case)).await.expect("save");
    // The mark as a run cut short leaves it.
    client
        .update_item()
        .table_name(store.table())
        .key("PK", AttributeValue::S("CASE#CMP-2026-00001".into()))
        .key("SK", AttributeValue::S("CASE".into()))
        .update_expression("SET redacting = :at")
        .expression_attribute_values(":at", AttributeValue::S("2032-06-15T11:00:00Z".into()))
        .send()
        .await
        .expect("mark the case");
    let (_, ack) = contract::acknowledge_at(&case, contract::t0());
    assert!(matches!(
        store.save(ack).await,
        Err(StoreError::VersionConflict)
    ));

    // The rewrite of the same version goes through and clears the mark.
    let now = contract::t0() + chrono::Duration::days(7 * 365);
    let rules = p3_domain::case::Rules::default();
    let (withdrawn, _) = case
        .execute(
            p3_domain::case::Command::Withdraw { reason: None },
            &p3_domain::case::Actor {
                by: "officer@p3housing.invalid".into(),
                at: contract::t0(),
                now: contract::t0(),
            },
            &rules,
        )
        .expect("withdraw");
    let anonymised = retention::anonymise(&withdrawn, &rules, 6, now)
        .expect("the rule applies")
        .expect("due");
    let mut index = contract::create(&anonymised).index;
    index.status = "withdrawn".into();
    store
        .rewrite_anonymised(&anonymised, &index, case.version, None)
        .await
        .expect("the rewrite finishes");
    let loaded = store
        .load("CMP-2026-00001")
        .await
        .expect("load")
        .expect("the case");
    assert!(retention::is_anonymised(&loaded));
    let item = client
        .get_item()
        .table_name(store.table())
        .key("PK", AttributeValue::S("CASE#CMP-2026-00001".into()))
        .key("SK", AttributeValue::S("CASE".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("get the case item");
    let item = item.item().expect("the case item");
    assert!(!item.contains_key("redacting"), "the mark is cleared");
    // Anonymised: out of the retention run's index partition.
    assert!(!item.contains_key("GSI2PK"));
}

/// The daily schedule's input, with the template's default period, is the sample event, and
/// the reporting function reads it as the retention job.
#[test]
fn the_daily_retention_schedule_sends_the_sample_event_to_the_reporting_function() {
    use p3_aws::wiring::{ReportingEvent, ScheduledJob};
    let repo = support::repo();
    let text = std::fs::read_to_string(repo.join("infra/template.yaml")).expect("the template");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    let target = &doc["Resources"]["RetentionSchedule"]["Properties"]["Target"];
    // The period is the configuration file's `[retention] years`, not a second setting.
    assert!(doc["Parameters"]["RetentionYears"].is_null());
    let input = target["Input"].as_str().expect("a plain JSON string");
    let input: serde_json::Value = serde_json::from_str(input).expect("JSON");
    let sample = std::fs::read_to_string(repo.join("events/reporting/retention-schedule.json"))
        .expect("the sample event");
    assert_eq!(
        input,
        serde_json::from_str::<serde_json::Value>(&sample).unwrap()
    );
    assert!(matches!(
        ReportingEvent::parse(input).expect("an event"),
        ReportingEvent::Scheduled(ScheduledJob::Retention { years: None })
    ));
    assert_eq!(
        target["Arn"], doc["Resources"]["MonthlyReportSchedule"]["Properties"]["Target"]["Arn"],
        "the reporting function runs it"
    );
}

/// The reporting function, given the schedule's event, runs the rule over its table: a case
/// withdrawn seven years before loses its personal data, and the answer names it; a period
/// outside 1 to 100 years is refused before anything is read.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_reporting_function_runs_the_daily_retention_job_over_its_table() {
    use p3_aws::wiring::{self, AwsSettings};
    use p3_domain::case::{Actor, Command, Rules};
    use p3_domain::ports::CaseWrite;
    use std::collections::HashMap;

    let (store, clock, _) = store().await;
    let endpoint = support::endpoint();
    let vars: HashMap<&str, String> = HashMap::from([
        ("TABLE_NAME", store.table().to_string()),
        ("QUEUE_URL", "http://unused".into()),
        (
            "QUEUE_ARN",
            "arn:aws:sqs:eu-west-2:123456789012:unused".into(),
        ),
        (
            "DLQ_ARN",
            "arn:aws:sqs:eu-west-2:123456789012:unused-dlq".into(),
        ),
        ("SCHEDULE_GROUP", "unused".into()),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/p3".into(),
        ),
        ("MAIL_FROM", "complaints-service@p3housing.example".into()),
        ("EXPORT_BUCKET", "unused".into()),
        ("BASE_URL", "https://complaints.p3housing.example".into()),
        ("LANDLORD", "P3 Test".into()),
        ("AWS_ENDPOINT_URL", endpoint.clone()),
        ("ATTACHMENTS_BUCKET", format!("{}-files", store.table())),
    ]);
    let settings = AwsSettings::from_lookup(|k| vars.get(k).cloned()).expect("settings");
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("eu-west-2"))
        .http_client(p3_aws::sdk::https_client())
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await;
    let service = wiring::service_with_clock(&settings, &sdk, clock.clone()).await;
    let state = wiring::app_state_for(service, &settings);
    let (app, jobs) = wiring::reporting_parts(&settings, &sdk, state);
    // The case's file, and another case's, in the attachments bucket.
    let s3 = p3_aws::s3_attachments::s3_client(&sdk, true);
    s3.create_bucket()
        .bucket(format!("{}-files", store.table()))
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .expect("create the attachments bucket");
    let files = p3_aws::files::attachments(&settings, &sdk);
    let (photo, kept) = ("0123456789abcdef0123", "0123456789abcdef0124");
    files
        .put(
            "CMP-2019-00001",
            photo,
            b"a photo of the resident's hallway".to_vec(),
        )
        .await
        .expect("put");
    files
        .put("CMP-2026-00001", kept, b"another case's file".to_vec())
        .await
        .expect("put");
    let open = contract::new_case_at("CMP-2026-00001", contract::t0());
    store.save(contract::create(&open)).await.expect("save");
    // Left by a run stopped between a case and its files: a case no longer in the table.
    files
        .put("CMP-2018-00009", photo, b"left behind".to_vec())
        .await
        .expect("put");

    // Received and withdrawn in March 2019.
    let at = contract::t0() - chrono::Duration::days(7 * 365);
    let case = contract::new_case_at("CMP-2019-00001", at);
    store.save(contract::create(&case)).await.expect("save");
    let actor = Actor {
        by: "officer@p3housing.invalid".into(),
        at,
        now: at,
    };
    let command = Command::Withdraw {
        reason: Some("Moved to 4 Larkspur Row".into()),
    };
    let (withdrawn, events) = case
        .execute(command, &actor, &Rules::default())
        .expect("withdraw");
    let mut index = contract::create(&case).index;
    index.status = "withdrawn".into();
    store
        .save(CaseWrite {
            case: withdrawn,
            index,
            new_events: events,
            expected_version: case.version,
            timers: Vec::new(),
            idempotency: None,
        })
        .await
        .expect("save");

    let refused = wiring::handle_reporting_event(
        app.clone(),
        &jobs,
        serde_json::json!({"job": "retention", "years": 0}),
        contract::t0(),
    )
    .await;
    assert!(refused.is_err(), "{refused:?}");
    let loaded = store
        .load("CMP-2019-00001")
        .await
        .expect("load")
        .expect("case");
    assert!(!retention::is_anonymised(&loaded));

    let answer = wiring::handle_reporting_event(
        app,
        &jobs,
        // As the schedule sends it: the period is the configuration's (6 years by default).
        serde_json::json!({"job": "retention"}),
        contract::t0(),
    )
    .await
    .expect("the job runs");
    assert_eq!(answer["job"], "retention");
    assert_eq!(answer["years"], 6);
    assert_eq!(answer["anonymised"], serde_json::json!(["CMP-2019-00001"]));
    let loaded = store
        .load("CMP-2019-00001")
        .await
        .expect("load")
        .expect("case");
    assert!(retention::is_anonymised(&loaded));
    assert_eq!(loaded.complaint.description, retention::REMOVED);
    assert_eq!(
        loaded.withdrawal.and_then(|w| w.reason).as_deref(),
        Some(retention::REMOVED)
    );
    // Its files are gone from the bucket, and those left behind; no open case's.
    assert_eq!(files.get("CMP-2019-00001", photo).await.expect("get"), None);
    assert_eq!(files.get("CMP-2018-00009", photo).await.expect("get"), None);
    assert!(files
        .get("CMP-2026-00001", kept)
        .await
        .expect("get")
        .is_some());
}
