//! The complaint's own text in an item of its own (`shared/aws/src/dynamo_text.rs`), on the
//! moto emulator: written once at receipt and never again by a change, the case read whole
//! (by key and in lists), and a case item of the earlier shape (its text in its snapshot)
//! still loading and never losing its text. The retention checks (`dynamo_retention.rs`) and
//! the store contract (`dynamo_contract.rs`) cover the rest.

mod support;

use std::collections::HashMap;
use std::io::Write;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use p3_domain::case::Case;
use p3_domain::ports::{CaseQuery, CaseStore, StoreError};
use p3_store_contract as contract;
use support::dynamo::store;

type Item = HashMap<String, AttributeValue>;

/// What the resident wrote: long, as a real complaint often is.
fn long_description() -> String {
    "The boiler has been broken since January and nobody came. ".repeat(50)
}

fn with_text(reference: &str) -> Case {
    let mut case = contract::new_case(reference);
    case.complaint.description = long_description();
    case.complaint.desired_outcome = Some("A working boiler and an apology.".into());
    // The received event carries the same details as the case.
    if let Some(first) = case.history.first_mut() {
        if let p3_domain::event::CaseEvent::Received { complaint, .. } = &mut first.event {
            complaint.clone_from(&case.complaint);
        }
    }
    case
}

async fn get(client: &Client, table: &str, pk: &str, sk: &str) -> Option<Item> {
    support::dynamo::item(client, table, pk, sk).await
}

fn inflate(item: &Item, name: &str) -> String {
    let Some(AttributeValue::B(blob)) = item.get(name) else {
        panic!("{name} is binary: {:?}", item.get(name))
    };
    String::from_utf8(p3_aws::dynamo::inflate(blob.as_ref()).expect("deflated")).expect("UTF-8")
}

fn deflate(text: &str) -> Blob {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(text.as_bytes()).expect("deflate");
    Blob::new(z.finish().expect("deflate"))
}

/// The size DynamoDB bills an item by: its attribute names and values.
fn size(item: &Item) -> usize {
    item.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
                    AttributeValue::B(b) => b.as_ref().len(),
                    _ => 8,
                }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_complaints_text_is_written_once_and_read_with_the_case() {
    let (store, _, client) = store().await;
    let table = store.table().to_string();
    let case = with_text("CMP-2026-00001");
    store.save(contract::create(&case)).await.expect("save");
    let pk = "CASE#CMP-2026-00001";
    let text = get(&client, &table, pk, "TEXT").await.expect("a text item");
    assert!(inflate(&text, "body").contains(&long_description()));
    let received = format!("EVENT#{:010}", case.history[0].sequence);
    let event = get(&client, &table, pk, &received)
        .await
        .expect("the event");
    assert!(
        !inflate(&event, "body").contains("The boiler has been broken"),
        "the received event does not hold the text a second time"
    );
    let first = get(&client, &table, pk, "CASE")
        .await
        .expect("the case item");
    assert!(!inflate(&first, "snapshot").contains("The boiler has been broken"));
    assert!(
        size(&first) < 1024,
        "the case item stays under 1 KB: {} bytes",
        size(&first)
    );

    // A change rewrites the case item, not the text.
    let (acked, write) = contract::acknowledge_at(&case, contract::t0());
    store.save(write).await.expect("save");
    assert_eq!(
        get(&client, &table, pk, "TEXT").await,
        Some(text),
        "the text item is as written at receipt"
    );

    let loaded = store
        .load("CMP-2026-00001")
        .await
        .expect("load")
        .expect("the case");
    assert_eq!(loaded, acked);
    let listed = store
        .list(&CaseQuery::default())
        .await
        .expect("the open cases");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].complaint, acked.complaint);
}

/// A case written before the text had an item of its own: the whole case, text included, in
/// its snapshot, and the whole complaint in its `received` event.
async fn write_earlier_shape(client: &Client, table: &str, case: &Case) {
    let pk = format!("CASE#{}", case.reference);
    let received = &case.history[0];
    let mut event = get(
        client,
        table,
        &pk,
        &format!("EVENT#{:010}", received.sequence),
    )
    .await
    .expect("the received event's item");
    let json = serde_json::to_string(received).expect("the event's JSON");
    event.insert("body".into(), AttributeValue::B(deflate(&json)));
    support::dynamo::put_raw(client, table, event).await;
    let mut item = get(client, table, &format!("CASE#{}", case.reference), "CASE")
        .await
        .expect("the case item");
    item.remove("text");
    let state = Case {
        history: Vec::new(),
        ..case.clone()
    };
    let json = serde_json::to_string(&state).expect("the case's JSON");
    item.insert("snapshot".into(), AttributeValue::B(deflate(&json)));
    support::dynamo::put_raw(client, table, item).await;
    client
        .delete_item()
        .table_name(table)
        .key("PK", AttributeValue::S(format!("CASE#{}", case.reference)))
        .key("SK", AttributeValue::S("TEXT".into()))
        .send()
        .await
        .expect("delete the text item");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_case_item_with_its_text_in_its_snapshot_still_loads_and_keeps_it() {
    let (store, _, client) = store().await;
    let table = store.table().to_string();
    let case = with_text("CMP-2026-00001");
    store.save(contract::create(&case)).await.expect("save");
    write_earlier_shape(&client, &table, &case).await;

    // Saved by a store that has not read it: refused, nothing written, the text kept.
    let (_, write) = contract::acknowledge_at(&case, contract::t0());
    let other = p3_aws::dynamo::DynamoStore::new(client.clone(), table.clone());
    assert!(matches!(
        other.save(write.clone()).await,
        Err(StoreError::VersionConflict)
    ));
    let loaded = other
        .load("CMP-2026-00001")
        .await
        .expect("load")
        .expect("the case");
    assert_eq!(loaded, case, "the earlier item loads whole");

    // Read first (as every change is), it saves, and its text moves to its own item.
    let (acked, write) = contract::acknowledge_at(&loaded, contract::t0());
    other.save(write).await.expect("save");
    let pk = "CASE#CMP-2026-00001";
    let text = get(&client, &table, pk, "TEXT")
        .await
        .expect("a text item now");
    assert!(inflate(&text, "body").contains(&long_description()));
    let item = get(&client, &table, pk, "CASE")
        .await
        .expect("the case item");
    assert!(!inflate(&item, "snapshot").contains("The boiler has been broken"));
    assert_eq!(
        store.load("CMP-2026-00001").await.expect("load"),
        Some(acked)
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn a_list_reads_cases_of_either_shape_whole() {
    let (store, _, client) = store().await;
    let table = store.table().to_string();
    let earlier = with_text("CMP-2026-00001");
    let now = with_text("CMP-2026-00002");
    store.save(contract::create(&earlier)).await.expect("save");
    store.save(contract::create(&now)).await.expect("save");
    write_earlier_shape(&client, &table, &earlier).await;
    let listed = store
        .list(&CaseQuery::default())
        .await
        .expect("the open cases");
    // A list reads the cases without their history.
    let complaints: Vec<_> = listed.iter().map(|c| &c.complaint).collect();
    assert_eq!(complaints, [&earlier.complaint, &now.complaint]);
}
