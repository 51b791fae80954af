//! The event items of a case (`shared/aws/src/dynamo_events.rs`), on the moto emulator: a
//! write's events of one London month share one item; only a case's first event of each London
//! month carries that month's `GSI2` entry, and the monthly report still finds every month a
//! case has an event in (backdated ones included); items written one event each, before, still
//! load and are rewritten in place by the retention run, leaving no copy of the removed text.

mod support;

use std::collections::HashMap;
use std::io::Write;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, TimeZone, Utc};
use p3_domain::case::Case;
use p3_domain::london::Month;
use p3_domain::ports::{CaseStore, CaseWrite};
use p3_domain::retention::RetentionStore;
use p3_store_contract as contract;
use support::dynamo::{event_item, event_items, store};

type Item = HashMap<String, AttributeValue>;

const PK: &str = "CASE#CMP-2026-00001";

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("a time")
}

fn month(s: &str) -> Month {
    s.parse().expect("a month")
}

async fn get(client: &Client, table: &str, sk: &str) -> Option<Item> {
    get_of(client, table, PK, sk).await
}

async fn get_of(client: &Client, table: &str, pk: &str, sk: &str) -> Option<Item> {
    support::dynamo::item(client, table, pk, sk).await
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) | Some(AttributeValue::N(s)) => Some(s),
        _ => None,
    }
}

fn inflate(item: &Item) -> String {
    let Some(AttributeValue::B(blob)) = item.get("body") else {
        panic!("the body is binary: {item:?}")
    };
    String::from_utf8(p3_aws::dynamo::inflate(blob.as_ref()).expect("deflated")).expect("UTF-8")
}

fn deflate(text: &str) -> Blob {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(text.as_bytes()).expect("deflate");
    Blob::new(z.finish().expect("deflate"))
}

/// The acknowledgement write of `case` with its two events (the acknowledgement, its letter)
/// moved to `ack_at` and `letter_at`, as a backdated acknowledgement recorded later would be.
fn acknowledged(case: &Case, ack_at: DateTime<Utc>, letter_at: DateTime<Utc>) -> (Case, CaseWrite) {
    let (mut next, mut write) = contract::acknowledge_at(case, ack_at);
    assert_eq!(
        write.new_events.len(),
        2,
        "an acknowledgement and its letter"
    );
    write.new_events[1].at = letter_at;
    let last = next.history.len() - 1;
    next.history[last].at = letter_at;
    write.case = next.clone();
    (next, write)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn only_a_cases_first_event_of_each_london_month_has_that_months_entry() {
    let (store, _, client) = store().await;
    let table = store.table().to_string();
    // Received in February; acknowledged on 28 February, its letter written on 2 March: one
    // write whose events fall in two months, so two items.
    let case = contract::new_case_at("CMP-2026-00001", utc(2026, 2, 27, 12, 0));
    store.save(contract::create(&case)).await.expect("save");
    let (acked, write) = acknowledged(&case, utc(2026, 2, 28, 12, 0), utc(2026, 3, 2, 9, 0));
    store.save(write).await.expect("save");

    let received = get(&client, &table, "EVENT#0000000001")
        .await
        .expect("item");
    assert_eq!(text(&received, "GSI2PK"), Some("MONTH#2026-02"));
    let ack = event_item(&client, &table, PK, 2).await.expect("item");
    assert_eq!(text(&ack, "type"), Some("acknowledged"));
    assert_eq!(text(&ack, "last"), None, "one event: {ack:?}");
    assert_eq!(text(&ack, "GSI2PK"), None, "February has its entry already");
    let letter = event_item(&client, &table, PK, 3).await.expect("item");
    assert_eq!(text(&letter, "type"), Some("letter_issued"));
    assert_eq!(text(&letter, "GSI2PK"), Some("MONTH#2026-03"));
    assert_eq!(
        text(&letter, "GSI2SK"),
        Some("2026-03-02T09:00:00.000000000Z#CMP-2026-00001#0000000003")
    );

    let loaded = store.load("CMP-2026-00001").await.expect("load");
    assert_eq!(loaded.as_ref(), Some(&acked));
    let (cases, read) = store.month_events(month("2026-02")).await.expect("feb");
    assert_eq!((cases.len(), read), (1, 1));
    assert_eq!(cases[0], acked, "the whole case, as for any month");
    let (cases, read) = store.month_events(month("2026-03")).await.expect("march");
    assert_eq!((cases.len(), read), (1, 1));

    // A second case whose letter is dated before its acknowledgement, in an earlier month
    // than every other event of the case (as an imported history may be): its month still
    // gets an entry, though the event is not the case's first.
    let other = contract::new_case_at("CMP-2026-00002", utc(2026, 4, 1, 9, 0));
    store.save(contract::create(&other)).await.expect("save");
    let (_, write) = acknowledged(&other, utc(2026, 4, 2, 9, 0), utc(2026, 3, 30, 9, 0));
    store.save(write).await.expect("save");
    let (cases, read) = store.month_events(month("2026-03")).await.expect("march");
    let refs: Vec<&str> = cases.iter().map(|c| c.reference.as_str()).collect();
    assert_eq!(refs, ["CMP-2026-00001", "CMP-2026-00002"]);
    assert_eq!(read, 2);
    let (cases, read) = store.month_events(month("2026-04")).await.expect("april");
    assert_eq!(
        (cases.len(), read),
        (1, 1),
        "April: the receipt's entry only"
    );
}

/// Items as a build before 5 December 2026 wrote them: one event each, each with its
/// month's `GSI2` entry, written in a transaction (no token, no `head` on the case item).
async fn write_one_event_per_item(client: &Client, table: &str, case: &Case) {
    for item in event_items(client, table, PK, 2).await {
        client
            .delete_item()
            .table_name(table)
            .key("PK", item["PK"].clone())
            .key("SK", item["SK"].clone())
            .send()
            .await
            .expect("delete the shared item");
    }
    client
        .update_item()
        .table_name(table)
        .key("PK", AttributeValue::S(PK.into()))
        .key("SK", AttributeValue::S("CASE".into()))
        .update_expression("REMOVE #head")
        .expression_attribute_names("#head", "head")
        .send()
        .await
        .expect("the case item as written then");
    for e in &case.history[1..] {
        let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let json = serde_json::to_string(e).expect("the event's JSON");
        let item = HashMap::from([
            ("PK".to_string(), AttributeValue::S(PK.into())),
            (
                "SK".to_string(),
                AttributeValue::S(format!("EVENT#{:010}", e.sequence)),
            ),
            ("at".to_string(), AttributeValue::S(at.clone())),
            ("type".to_string(), AttributeValue::S(e.event.name().into())),
            ("body".to_string(), AttributeValue::B(deflate(&json))),
            (
                "GSI2PK".to_string(),
                AttributeValue::S(format!(
                    "MONTH#{}",
                    Month::of(p3_domain::london::london_date(e.at))
                )),
            ),
            (
                "GSI2SK".to_string(),
                AttributeValue::S(format!("{at}#CMP-2026-00001#{:010}", e.sequence)),
            ),
        ]);
        support::dynamo::put_raw(client, table, item).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn items_of_one_event_each_still_load_and_are_rewritten_in_place() {
    let (store, _, client) = store().await;
    let table = store.table().to_string();
    let case = contract::new_case("CMP-2026-00001");
    store.save(contract::create(&case)).await.expect("save");
    let (acked, write) = contract::acknowledge_at(&case, contract::t0());
    store.save(write).await.expect("save");
    write_one_event_per_item(&client, &table, &acked).await;
    assert!(event_item(&client, &table, PK, 3).await.is_some());

    let loaded = store.load("CMP-2026-00001").await.expect("load");
    assert_eq!(
        loaded.as_ref(),
        Some(&acked),
        "the earlier items read as before"
    );

    // The retention rewrite (here of the letter's text only) keeps each item where it is,
    // with the event it holds, and leaves no copy of the removed words.
    let mut redacted = acked.clone();
    let letter = redacted.history.last_mut().expect("the letter");
    let mut json = serde_json::to_value(&letter.event).expect("JSON");
    json["letter"]["html"] = "[removed]".into();
    json["letter"]["text"] = "[removed]".into();
    letter.event = serde_json::from_value(json).expect("an event");
    let write = contract::create(&redacted);
    store
        .rewrite_anonymised(&redacted, &write.index, acked.version, None)
        .await
        .expect("rewrite");
    let ack = event_item(&client, &table, PK, 2).await.expect("item");
    assert_eq!(text(&ack, "type"), Some("acknowledged"));
    assert_eq!(text(&ack, "last"), None, "still one event: {ack:?}");
    let letter = event_item(&client, &table, PK, 3).await.expect("item");
    assert_eq!(text(&letter, "type"), Some("letter_issued"));
    let body: serde_json::Value = serde_json::from_str(&inflate(&letter)).expect("an event");
    assert_eq!(body["letter"]["html"], "[removed]", "{body}");
    assert_eq!(body["letter"]["text"], "[removed]", "{body}");
    // Both were March events after the receipt's: the rewrite drops their redundant entries.
    assert_eq!(text(&letter, "GSI2PK"), None);
    let loaded = store.load("CMP-2026-00001").await.expect("load");
    assert_eq!(loaded.as_ref(), Some(&redacted));

    // And a write's events in one item are rewritten as one item.
    let case = contract::new_case("CMP-2026-00002");
    store.save(contract::create(&case)).await.expect("save");
    let (acked, write) = contract::acknowledge_at(&case, contract::t0());
    store.save(write).await.expect("save");
    let mut redacted = acked.clone();
    let letter = redacted.history.last_mut().expect("the letter");
    let mut json = serde_json::to_value(&letter.event).expect("JSON");
    json["letter"]["html"] = "[removed]".into();
    json["letter"]["text"] = "[removed]".into();
    letter.event = serde_json::from_value(json).expect("an event");
    let write = contract::create(&redacted);
    store
        .rewrite_anonymised(&redacted, &write.index, acked.version, None)
        .await
        .expect("rewrite");
    let pk = "CASE#CMP-2026-00002";
    let both = event_item(&client, &table, pk, 2).await.expect("item");
    assert_eq!(text(&both, "last"), Some("3"));
    let events: serde_json::Value = serde_json::from_str(&inflate(&both)).expect("a list");
    assert_eq!(events[1]["letter"]["html"], "[removed]", "{events}");
    assert_eq!(events[1]["letter"]["text"], "[removed]", "{events}");
    assert!(event_item(&client, &table, pk, 3).await.is_none());
    let loaded = store.load("CMP-2026-00002").await.expect("load");
    assert_eq!(loaded.as_ref(), Some(&redacted));
}
