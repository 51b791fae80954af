//! The store contract (`p3-store-contract`, shared with the SQLite adapter) run against the
//! DynamoDB store on the moto emulator, each check on its own table created from the
//! `ComplaintsTable` definition in `infra/template.yaml`; plus the DynamoDB-only checks: the
//! item layout, and the monthly report reading only its month's items.
//!
//! The emulator checks are `#[ignore]`d under plain `cargo test`; `./scripts/test` starts
//! moto, sets `P3_MOTO_ENDPOINT` and runs them.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, TimeZone, Utc};
use p3_aws::dynamo::{DynamoStore, TableDefinition, GSI1, GSI2, GSI3};
use p3_domain::london::Month;
use p3_domain::ports::{CaseStore, IdempotencyRecord, StoredReply};
use p3_store_contract as contract;
use support::dynamo::{client, definition, event_item, store, unique_table};

async fn dyn_store() -> Arc<dyn CaseStore> {
    Arc::new(store().await.0)
}

#[test]
fn the_table_definition_comes_from_the_template() {
    let def = definition();
    fn keys(k: &[p3_aws::dynamo::KeyDef]) -> Vec<(&str, &str)> {
        k.iter()
            .map(|k| (k.attribute_name.as_str(), k.key_type.as_str()))
            .collect()
    }
    assert_eq!(keys(&def.key_schema), [("PK", "HASH"), ("SK", "RANGE")]);
    let mut attributes: Vec<_> = def
        .attribute_definitions
        .iter()
        .map(|a| (a.attribute_name.as_str(), a.attribute_type.as_str()))
        .collect();
    attributes.sort();
    assert_eq!(
        attributes,
        [
            ("GSI1PK", "S"),
            ("GSI1SK", "S"),
            ("GSI2PK", "S"),
            ("GSI2SK", "S"),
            ("GSI3PK", "S"),
            ("GSI3SK", "S"),
            ("PK", "S"),
            ("SK", "S")
        ]
    );
    let indexes: HashMap<_, _> = def
        .global_secondary_indexes
        .iter()
        .map(|ix| (ix.index_name.as_str(), ix))
        .collect();
    assert_eq!(indexes.len(), 3);
    assert_eq!(
        keys(&indexes[GSI1].key_schema),
        [("GSI1PK", "HASH"), ("GSI1SK", "RANGE")]
    );
    assert_eq!(
        keys(&indexes[GSI2].key_schema),
        [("GSI2PK", "HASH"), ("GSI2SK", "RANGE")]
    );
    assert_eq!(
        keys(&indexes[GSI3].key_schema),
        [("GSI3PK", "HASH"), ("GSI3SK", "RANGE")]
    );
    // The staff list filters on these; it reads the cases themselves by key.
    assert_eq!(indexes[GSI1].projection.projection_type, "INCLUDE");
    assert_eq!(
        indexes[GSI1].projection.non_key_attributes,
        ["owner", "handler", "open_until"]
    );
    // The month's events, its service requests and the retention partition are read by key
    // after the index: an event written is not paid for again at its whole size.
    assert_eq!(indexes[GSI2].projection.projection_type, "KEYS_ONLY");
    // The open-at-month-end search only needs the case's key.
    assert_eq!(indexes[GSI3].projection.projection_type, "KEYS_ONLY");
    assert_eq!(def.billing_mode.as_deref(), Some("PAY_PER_REQUEST"));
    let ttl = def.time_to_live_specification.expect("a TTL");
    assert_eq!(
        (ttl.attribute_name.as_str(), ttl.enabled),
        ("expires_at", true)
    );
}

#[test]
fn a_template_without_the_table_is_refused_with_its_name() {
    let err = TableDefinition::from_template("Resources:\n  Other:\n    Type: AWS::SQS::Queue\n")
        .expect_err("no table");
    assert!(err.to_string().contains("ComplaintsTable"), "{err}");
    // CloudFormation tags elsewhere do not stop the table being read.
    let yaml = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub '${AWS::StackName}-q'\n  ComplaintsTable:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Sub '${AWS::StackName}-t'\n      AttributeDefinitions: [{AttributeName: PK, AttributeType: S}]\n      KeySchema: [{AttributeName: PK, KeyType: HASH}]\n";
    let def = TableDefinition::from_template(yaml).expect("tags elsewhere are fine");
    assert!(def.global_secondary_indexes.is_empty());
}

#[test]
fn no_path_scans_the_table() {
    let source = [
        include_str!("../src/dynamo.rs"),
        include_str!("../src/dynamo_retention.rs"),
    ]
    .concat();
    assert!(
        !source.contains(".scan()"),
        "the DynamoDB store must not Scan"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn annual_records_round_trip_per_year_and_item() {
    contract::annual::annual_records_round_trip_per_year_and_item(Arc::new(store().await.0)).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_saved_case_loads_back_unchanged() {
    contract::a_saved_case_loads_back_unchanged(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn two_saves_from_the_same_version_one_wins_the_other_conflicts() {
    contract::two_saves_from_the_same_version_one_wins_the_other_conflicts(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_used_idempotency_key_rolls_back_the_whole_write() {
    contract::a_used_idempotency_key_rolls_back_the_whole_write(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn idempotent_replies_round_trip_and_expire_after_a_day() {
    let (store, clock, _) = store().await;
    contract::idempotent_replies_round_trip_and_expire_after_a_day(Arc::new(store), clock).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn references_are_unique_and_increasing() {
    contract::references_are_unique_and_increasing(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn lists_filter_by_status_owner_and_overdue_in_deadline_order() {
    contract::lists_filter_by_status_owner_and_overdue_in_deadline_order(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn service_requests_round_trip_with_their_idempotency_record() {
    contract::service_requests_round_trip_with_their_idempotency_record(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn service_requests_list_by_status_and_close_once() {
    contract::service_requests_list_by_status_and_close_once(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn alerts_are_marked_sent_once() {
    contract::alerts_are_marked_sent_once(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn sent_alerts_are_found_among_many() {
    contract::sent_alerts_are_found_among_many(dyn_store().await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn cases_that_may_have_closed_are_found_by_their_latest_event() {
    contract::cases_that_may_have_closed_are_found_by_their_latest_event(dyn_store().await).await;
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid instant")
}

async fn raw_item(
    client: &Client,
    table: &str,
    pk: &str,
    sk: &str,
) -> HashMap<String, AttributeValue> {
    support::dynamo::item(client, table, pk, sk)
        .await
        .unwrap_or_else(|| panic!("no item {pk} / {sk}"))
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(s)) => s,
        Some(AttributeValue::N(n)) => n,
        other => panic!("{name}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn items_are_laid_out_as_documented() {
    let (store, _, client) = store().await;
    let table = store.table().to_string();
    let case = contract::new_case("CMP-2026-00001");
    let mut write = contract::create(&case);
    write.index.next_due = chrono::NaiveDate::from_ymd_opt(2026, 3, 9);
    write.idempotency = Some(IdempotencyRecord {
        key: "staff:k".into(),
        fingerprint: "fp".into(),
        reply: contract::created("{}"),
        created_at: contract::t0(),
    });
    store.save(write).await.expect("save");
    let (_, mut ack) = contract::acknowledge_at(&case, contract::t0());
    ack.index.owner = Some("IM@P3housing.invalid".into());
    store.save(ack).await.expect("save");

    let item = raw_item(&client, &table, "CASE#CMP-2026-00001", "CASE").await;
    // Received, acknowledged, and the acknowledgement's letter.
    assert_eq!(text(&item, "version"), "3");
    assert_eq!(text(&item, "owner"), "im@p3housing.invalid");
    assert_eq!(text(&item, "GSI1PK"), "STATUS#acknowledged");
    assert_eq!(text(&item, "GSI1SK"), "9999-12-31#CMP-2026-00001");

    // The receipt: the case's first event in March carries the month's `GSI2` entry.
    let received = raw_item(&client, &table, "CASE#CMP-2026-00001", "EVENT#0000000001").await;
    assert_eq!(text(&received, "type"), "received");
    assert_eq!(text(&received, "GSI2PK"), "MONTH#2026-03");
    assert!(
        text(&received, "GSI2SK").ends_with("#CMP-2026-00001#0000000001"),
        "{received:?}"
    );
    assert!(!received.contains_key("last"), "one event: {received:?}");

    // The acknowledgement and its letter, written by one command, share one item (under the
    // first one's sequence); the case has a March event already, so it has no month entry.
    let event = event_item(&client, &table, "CASE#CMP-2026-00001", 2)
        .await
        .expect("the acknowledgement's item");
    assert_eq!(text(&event, "type"), "acknowledged,letter_issued");
    assert_eq!(text(&event, "at"), "2026-03-02T10:00:00.000000000Z");
    assert_eq!(text(&event, "last"), "3");
    assert!(!event.contains_key("GSI2PK"), "{event:?}");
    assert!(!event.contains_key("GSI2SK"), "{event:?}");
    assert!(
        event_item(&client, &table, "CASE#CMP-2026-00001", 3)
            .await
            .is_none(),
        "the letter has no item of its own"
    );

    // Its body is the list of the two events, the letter's whole text included, deflated.
    let Some(AttributeValue::B(packed)) = event.get("body") else {
        panic!("the body is binary: {:?}", event.get("body"))
    };
    let json =
        String::from_utf8(p3_aws::dynamo::inflate(packed.as_ref()).expect("a deflated body"))
            .expect("UTF-8");
    let events: serde_json::Value = serde_json::from_str(&json).expect("the events' JSON");
    assert_eq!(events[0]["type"], "acknowledged");
    assert_eq!(events[0]["sequence"], 2);
    let body = &events[1];
    assert_eq!(body["type"], "letter_issued");
    assert_eq!(body["sequence"], 3);
    assert!(body["letter"]["html"]
        .as_str()
        .expect("the letter's HTML")
        .contains("The boiler"));
    assert!(
        packed.as_ref().len() * 2 < json.len(),
        "deflated: {} bytes of {}",
        packed.as_ref().len(),
        json.len()
    );
    // The case item keeps only the letter's summary, not its text.
    let Some(AttributeValue::B(snapshot)) = item.get("snapshot") else {
        panic!("the snapshot is binary")
    };
    let state =
        String::from_utf8(p3_aws::dynamo::inflate(snapshot.as_ref()).expect("a deflated snapshot"))
            .expect("UTF-8");
    let state: serde_json::Value = serde_json::from_str(&state).expect("the case's JSON");
    assert_eq!(state["letters"].as_array().map(Vec::len), Some(1));
    assert!(state["letters"][0].get("text").is_none(), "{state}");

    let idem = raw_item(&client, &table, "IDEM#staff:k", "IDEM").await;
    let expires: i64 = text(&idem, "expires_at").parse().expect("a number");
    assert_eq!(expires, contract::t0().timestamp() + 24 * 3600);

    let next = store.next_reference(2026).await.expect("reference");
    assert_eq!(next, "CMP-2026-00001");
    let counter = raw_item(&client, &table, "COUNTER#case#2026", "COUNTER").await;
    assert_eq!(text(&counter, "value"), "1");

    // A transaction (the new case, with its idempotency record), the acknowledgement's two
    // puts (its staged events, then the case item) and one update: what the cost figures count.
    let used = store.capacity_used();
    assert_eq!(used.requests, 4, "{used:?}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_months_events_are_read_through_the_index_and_nothing_else() {
    let (store, _, _) = store().await;
    // A: received in February, acknowledged in March.
    let a = contract::new_case_at("CMP-2026-00001", utc(2026, 2, 27, 12, 0));
    store.save(contract::create(&a)).await.expect("save");
    let (_, w) = contract::acknowledge_at(&a, utc(2026, 3, 2, 9, 0));
    store.save(w).await.expect("save");
    // B: received in March, acknowledged at 00:30 BST on 1 April (still 31 March in UTC).
    let b = contract::new_case_at("CMP-2026-00002", utc(2026, 3, 10, 9, 0));
    store.save(contract::create(&b)).await.expect("save");
    let (_, w) = contract::acknowledge_at(&b, utc(2026, 3, 31, 23, 30));
    store.save(w).await.expect("save");
    // C: received in April.
    let c = contract::new_case_at("CMP-2026-00003", utc(2026, 4, 2, 9, 0));
    store.save(contract::create(&c)).await.expect("save");

    let month = |s: &str| s.parse::<Month>().expect("a month");
    let refs = |cases: &[p3_domain::case::Case]| {
        cases
            .iter()
            .map(|c| c.reference.clone())
            .collect::<Vec<_>>()
    };

    let (cases, read) = store.month_events(month("2026-03")).await.expect("march");
    assert_eq!(refs(&cases), ["CMP-2026-00001", "CMP-2026-00002"]);
    // A's acknowledgement (its first March event, one item with its letter), B's receipt.
    assert_eq!(read, 2, "only March's two month entries are read");
    assert_eq!(cases[0].version, 3, "the whole current case is loaded");

    let (cases, read) = store.month_events(month("2026-04")).await.expect("april");
    assert_eq!(refs(&cases), ["CMP-2026-00002", "CMP-2026-00003"]);
    // B's acknowledgement (April in London) with its letter, C's receipt.
    assert_eq!(read, 2);

    let (cases, read) = store
        .month_events(month("2026-02"))
        .await
        .expect("february");
    assert_eq!(refs(&cases), ["CMP-2026-00001"]);
    assert_eq!(read, 1);

    let (cases, read) = store.month_events(month("2026-05")).await.expect("may");
    assert!(cases.is_empty());
    assert_eq!(read, 0);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_month_with_more_cases_than_one_batch_loads_them_all() {
    let (store, _, _) = store().await;
    // One after the other: moto's transactions are not safe to run concurrently on one table
    // (each copies the table to roll back), and this test is about BatchGetItem's 100-key chunks.
    for i in 1..=130 {
        let case = contract::new_case(&format!("CMP-2026-{i:05}"));
        store.save(contract::create(&case)).await.expect("save");
    }
    let (cases, read) = store
        .month_events("2026-03".parse().expect("a month"))
        .await
        .expect("march");
    assert_eq!(cases.len(), 130);
    assert_eq!(read, 130);
    assert!(cases.windows(2).all(|w| w[0].reference < w[1].reference));
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_missing_table_is_unavailable() {
    let store = DynamoStore::new(client().await, unique_table());
    let result = store.load("CMP-2026-00001").await;
    assert!(
        matches!(result, Err(p3_domain::ports::StoreError::Unavailable(_))),
        "{result:?}"
    );
}

/// An idempotency item written before typed replies (an HTTP status, body and content type)
/// still answers a retry, meaning what it meant.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn replies_kept_before_typed_replies_still_answer_retries() {
    let (store, _, client) = store().await;
    let view = r#"{"reference":"CMP-2026-00001","version":2}"#;
    for (key, status, body) in [
        ("changed", "200", view),
        (
            "form",
            "303",
            "/complaints/CMP-2026-00001/confirmation?code=AB12-CD34",
        ),
    ] {
        client
            .put_item()
            .table_name(store.table())
            .item("PK", AttributeValue::S(format!("IDEM#{key}")))
            .item("SK", AttributeValue::S("IDEM".into()))
            .item("fingerprint", AttributeValue::S("fp".into()))
            .item("status", AttributeValue::N(status.into()))
            .item("body", AttributeValue::S(body.into()))
            .item("content_type", AttributeValue::S("application/json".into()))
            .item("created_at", AttributeValue::S(contract::t0().to_rfc3339()))
            .item(
                "expires_at",
                AttributeValue::N((contract::t0().timestamp() + 24 * 3600).to_string()),
            )
            .send()
            .await
            .expect("put a legacy item");
    }
    let reply = |key: &'static str| {
        let store = &store;
        async move {
            store
                .idempotent_reply(key)
                .await
                .expect("read")
                .expect("kept")
                .reply
        }
    };
    assert_eq!(
        reply("changed").await,
        StoredReply::Changed(p3_domain::ports::ReplyView {
            reference: "CMP-2026-00001".into(),
            version: Some(2),
            body: view.into(),
        })
    );
    assert_eq!(
        reply("form").await,
        StoredReply::ToResident {
            reference: "CMP-2026-00001".into(),
            access_code: "AB12-CD34".into(),
            page: p3_domain::ports::ResidentPage::Confirmation,
        }
    );
}
