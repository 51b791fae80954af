//! Changes saved without a transaction (`shared/aws/src/dynamo_events.rs`), on the moto
//! emulator: a change stages its event items and then puts the case item alone, which commits
//! them. A write that stopped between the two is never read, nor counted by the monthly
//! report; the loser of a race leaves nothing behind; a change kept with its idempotency
//! record (still a transaction) keeps the earlier staged events; and the retention run deletes
//! staged items nothing can commit any more.

mod support;

use std::io::Write;
use std::sync::Arc;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, TimeZone, Utc};
use p3_aws::dynamo::DynamoStore;
use p3_domain::case::Case;
use p3_domain::london::Month;
use p3_domain::ports::{CaseStore, ReportSource, StoreError};
use p3_domain::retention::RetentionStore;
use p3_store_contract as contract;
use support::dynamo::{event_item, event_items, item, items_under, put_raw, store, Item};

const REFERENCE: &str = "CMP-2026-00001";
const PK: &str = "CASE#CMP-2026-00001";

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0)
        .single()
        .expect("a time")
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(s)) | Some(AttributeValue::N(s)) => Some(s),
        _ => None,
    }
}

async fn case_item(client: &Client, table: &str) -> Item {
    item(client, table, PK, "CASE")
        .await
        .expect("the case item")
}

/// Every event item of the case, as stored.
async fn all_event_items(client: &Client, table: &str) -> Vec<Item> {
    items_under(client, table, PK, "EVENT#").await
}

/// What a writer that stopped after staging its events and before its case item leaves: the
/// change `write` would have made (its events, linked to the case item's `head`), under a
/// token of its own, with the month's `GSI2` entry.
async fn stage_without_commit(
    client: &Client,
    table: &str,
    write: &p3_domain::ports::CaseWrite,
    token: &str,
) -> String {
    let head = text(&case_item(client, table).await, "head").map(str::to_string);
    let first = &write.new_events[0];
    let at = first.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let sk = format!("EVENT#{:010}#{token}", first.sequence);
    let json = serde_json::to_string(&write.new_events).expect("the events' JSON");
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(json.as_bytes()).expect("deflate");
    let mut item = Item::from([
        ("PK".to_string(), AttributeValue::S(PK.into())),
        ("SK".to_string(), AttributeValue::S(sk.clone())),
        ("at".to_string(), AttributeValue::S(at.clone())),
        ("type".to_string(), AttributeValue::S("note_added".into())),
        (
            "body".to_string(),
            AttributeValue::B(Blob::new(z.finish().expect("deflate"))),
        ),
        (
            "last".to_string(),
            AttributeValue::N(write.new_events.last().unwrap().sequence.to_string()),
        ),
        (
            "GSI2PK".to_string(),
            AttributeValue::S(format!(
                "MONTH#{}",
                Month::of(p3_domain::london::london_date(first.at))
            )),
        ),
        (
            "GSI2SK".to_string(),
            AttributeValue::S(format!("{at}#{REFERENCE}#{:010}", first.sequence)),
        ),
    ]);
    if let Some(head) = head {
        item.insert("prev".into(), AttributeValue::S(head));
    }
    put_raw(client, table, item).await;
    sk
}

/// Received, then acknowledged: the acknowledgement staged and committed by the case item.
async fn acknowledged(store: &DynamoStore) -> Case {
    let case = contract::new_case_at(REFERENCE, utc(2026, 3, 2, 9));
    store.save(contract::create(&case)).await.expect("save");
    let (acked, write) = contract::acknowledge_at(&case, utc(2026, 3, 3, 9));
    store.save(write).await.expect("save");
    acked
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_change_stages_its_events_and_its_case_item_commits_them() {
    let (store, _, client) = store().await;
    let table = store.table().to_string();
    let acked = acknowledged(&store).await;

    // The receipt went in a transaction (no token); the acknowledgement and its letter are
    // one staged item, under the write's token, and the case item leads to it.
    let received = event_item(&client, &table, PK, 1).await.expect("receipt");
    assert_eq!(text(&received, "SK"), Some("EVENT#0000000001"));
    let ack = event_item(&client, &table, PK, 2).await.expect("staged");
    let sk = text(&ack, "SK").expect("a key").to_string();
    let token = sk.strip_prefix("EVENT#0000000002#").expect("a token");
    assert_eq!(token.len(), 12, "{sk}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{sk}");
    assert_eq!(text(&ack, "prev"), None, "the first staged item");
    assert_eq!(text(&case_item(&client, &table).await, "head"), Some(&*sk));
    assert_eq!(
        store.load(REFERENCE).await.expect("load"),
        Some(acked.clone())
    );

    // A change kept with its idempotency record is a transaction: its item has no token, and
    // the case item still leads to the staged items before it.
    let (again, mut write) = contract::note_at(&acked, utc(2026, 3, 4, 9), "Called the resident.");
    write.idempotency = Some(contract::idem("staff:a:POST /ack:k1", "{}"));
    store.save(write).await.expect("save");
    let kept = event_item(&client, &table, PK, 4)
        .await
        .expect("in a transaction");
    assert_eq!(text(&kept, "SK"), Some("EVENT#0000000004"));
    assert_eq!(text(&case_item(&client, &table).await, "head"), Some(&*sk));
    assert_eq!(
        store.load(REFERENCE).await.expect("load"),
        Some(again.clone())
    );

    // A store that did not load the case (another instance) reads the head and links to it.
    let other = DynamoStore::new(client.clone(), table.clone());
    let (last, write) = contract::note_at(&again, utc(2026, 3, 5, 9), "Booked the visit.");
    other.save(write).await.expect("save");
    let staged = event_item(&client, &table, PK, 5).await.expect("staged");
    assert_eq!(
        text(&staged, "prev"),
        Some(&*sk),
        "linked to the one before"
    );
    assert_eq!(store.load(REFERENCE).await.expect("load"), Some(last));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_write_that_stopped_before_its_case_item_is_never_read_nor_counted() {
    let (store, clock, client) = store().await;
    let table = store.table().to_string();
    let acked = acknowledged(&store).await;

    // A writer stages a second acknowledgement dated in April and stops: the case item
    // never leads to it.
    let (_, lost) = contract::note_at(
        &acked,
        utc(2026, 4, 7, 9),
        "The resident's new phone number is 07700 900999.",
    );
    let orphan = stage_without_commit(&client, &table, &lost, "0123456789ab").await;
    assert_eq!(
        store.load(REFERENCE).await.expect("load"),
        Some(acked.clone())
    );
    // The monthly report finds the case by the staged item's April entry, but counts what
    // the case holds: no April event.
    let april: Month = "2026-04".parse().expect("a month");
    let (cases, _) = store.month_events(april).await.expect("april");
    assert_eq!(cases, vec![acked.clone()], "the case as committed");
    let records = store.month_records(april).await.expect("april");
    assert!(
        records
            .cases
            .iter()
            .flat_map(|c| &c.history)
            .all(|e| e.at < utc(2026, 4, 1, 0)),
        "no event of April is read: {:?}",
        records.cases
    );

    // The next change at the same sequence commits its own items and reads whole.
    let (next, write) = contract::note_at(&acked, utc(2026, 3, 10, 9), "Called the resident.");
    store.save(write).await.expect("save");
    assert_eq!(
        store.load(REFERENCE).await.expect("load"),
        Some(next.clone())
    );
    assert_eq!(event_items(&client, &table, PK, 4).await.len(), 2);

    // The retention run rewrites the committed items and deletes the one nothing commits,
    // with what the resident wrote in it.
    clock.set(utc(2033, 3, 10, 9));
    let mut redacted = next.clone();
    redacted.complaint.description = "[removed]".into();
    let write = contract::create(&redacted);
    store
        .rewrite_anonymised(&redacted, &write.index, next.version, None)
        .await
        .expect("rewrite");
    let left: Vec<String> = all_event_items(&client, &table)
        .await
        .iter()
        .map(|i| text(i, "SK").unwrap_or("").to_string())
        .collect();
    assert!(!left.contains(&orphan), "{left:?}");
    assert_eq!(left.len(), 3, "receipt, acknowledgement, note: {left:?}");
    let loaded = store
        .load(REFERENCE)
        .await
        .expect("load")
        .expect("the case");
    assert_eq!(loaded.complaint.description, "[removed]");
    assert_eq!(
        loaded.history.len(),
        4,
        "the committed events, nothing staged"
    );
    assert_eq!(loaded.notes, next.notes);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_loser_of_a_race_leaves_no_staged_item() {
    let (store, _, client) = store().await;
    let table = store.table().to_string();
    let acked = acknowledged(&store).await;
    // Two instances that loaded the same version.
    let a = Arc::new(DynamoStore::new(client.clone(), table.clone()));
    let b = Arc::new(DynamoStore::new(client.clone(), table.clone()));
    assert_eq!(a.load(REFERENCE).await.expect("load"), Some(acked.clone()));
    assert_eq!(b.load(REFERENCE).await.expect("load"), Some(acked.clone()));
    let (by_a, write_a) = contract::note_at(&acked, utc(2026, 3, 4, 9), "From A.");
    let (by_b, write_b) = contract::note_at(&acked, utc(2026, 3, 4, 10), "From B.");
    let (ra, rb) = tokio::join!(a.save(write_a), b.save(write_b));
    let winner = match (ra, rb) {
        (Ok(()), Err(StoreError::VersionConflict)) => by_a,
        (Err(StoreError::VersionConflict), Ok(())) => by_b,
        other => panic!("one wins, the other conflicts: {other:?}"),
    };
    assert_eq!(store.load(REFERENCE).await.expect("load"), Some(winner));
    assert_eq!(
        all_event_items(&client, &table).await.len(),
        3,
        "the receipt, the acknowledgement and the winning note: nothing of the loser's"
    );
}
