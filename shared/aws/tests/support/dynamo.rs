//! A DynamoDB store on the emulator for one test: its own table created from the
//! `ComplaintsTable` definition in `infra/template.yaml`, through a client that passes moto one
//! request at a time (the store contract and the retention checks share it).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use chrono::Utc;
use p3_aws::dynamo::{create_table, DynamoStore, TableDefinition};
use p3_store_contract::{self as contract, TestClock};

pub fn template_path() -> PathBuf {
    super::repo().join("infra/template.yaml")
}

pub fn definition() -> TableDefinition {
    TableDefinition::from_template_file(&template_path()).expect("the template defines the table")
}

/// Lets one request of a client at a time through to the emulator. moto serves each request on
/// a thread of its own without locking its tables, so its UpdateItem and TransactWriteItems are
/// not atomic under concurrency as DynamoDB's are (a counter can hand out a number twice; a
/// cancelled transaction restores a copy of the table taken before another one committed).
/// Passed one at a time they are. The store's calls still race each other: a counter read
/// and then written, or an unconditional put, would still fail the checks.
#[derive(Debug, Clone)]
pub struct OneAtATime {
    inner: SharedHttpClient,
    gate: Arc<tokio::sync::Semaphore>,
}

impl HttpClient for OneAtATime {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(OneAtATimeConnector {
            inner: self.inner.http_connector(settings, components),
            gate: Arc::clone(&self.gate),
        })
    }
}

#[derive(Debug)]
pub struct OneAtATimeConnector {
    inner: SharedHttpConnector,
    gate: Arc<tokio::sync::Semaphore>,
}

impl HttpConnector for OneAtATimeConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let gate = Arc::clone(&self.gate);
        HttpConnectorFuture::new(async move {
            let _turn = gate
                .acquire_owned()
                .await
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            // moto answers once the request is applied, so the turn ends with the answer.
            inner.call(request).await
        })
    }
}

/// A DynamoDB client for the emulator the test command started.
pub async fn client() -> Client {
    let endpoint = super::endpoint();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("eu-west-2"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .http_client(OneAtATime {
            inner: aws_smithy_http_client::Builder::new()
                .tls_provider(Provider::Rustls(CryptoMode::Ring))
                .build_https(),
            gate: Arc::new(tokio::sync::Semaphore::new(1)),
        })
        .load()
        .await;
    Client::new(&config)
}

/// A table of its own for one test, so tests run in parallel.
pub fn unique_table() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "p3-test-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        Utc::now().timestamp_micros()
    )
}

/// A fresh table from the template and a store on it with a test clock.
pub async fn store() -> (DynamoStore, Arc<TestClock>, Client) {
    let client = client().await;
    let table = unique_table();
    create_table(&client, &table, &definition())
        .await
        .expect("create the table from the template");
    let clock = contract::clock();
    let store = DynamoStore::new(client.clone(), table).with_clock(clock.clone());
    (store, clock, client)
}

/// A DynamoDB item.
pub type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// One item by its keys, strongly consistent.
pub async fn item(client: &Client, table: &str, pk: &str, sk: &str) -> Option<Item> {
    use aws_sdk_dynamodb::types::AttributeValue;
    client
        .get_item()
        .table_name(table)
        .key("PK", AttributeValue::S(pk.into()))
        .key("SK", AttributeValue::S(sk.into()))
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item()
        .cloned()
}

/// Puts `item` as it is (no condition): an item as an earlier build, or a writer that
/// stopped half-way, left it.
pub async fn put_raw(client: &Client, table: &str, item: Item) {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put an item as it is");
}

/// Every item of partition `pk` whose `SK` begins with `prefix`, strongly consistent.
pub async fn items_under(client: &Client, table: &str, pk: &str, prefix: &str) -> Vec<Item> {
    use aws_sdk_dynamodb::types::AttributeValue;
    client
        .query()
        .table_name(table)
        .consistent_read(true)
        .key_condition_expression("#pk = :pk AND begins_with(#sk, :sk)")
        .expression_attribute_names("#pk", "PK")
        .expression_attribute_names("#sk", "SK")
        .expression_attribute_values(":pk", AttributeValue::S(pk.into()))
        .expression_attribute_values(":sk", AttributeValue::S(prefix.into()))
        .send()
        .await
        .expect("query the partition")
        .items()
        .to_vec()
}

/// Every event item of a case's partition (`pk`) whose first event has `sequence`, whichever
/// way it was written: in a transaction (`EVENT#{sequence:010}`) or staged before its case
/// item (the write's token after it).
pub async fn event_items(client: &Client, table: &str, pk: &str, sequence: u64) -> Vec<Item> {
    items_under(client, table, pk, &format!("EVENT#{sequence:010}")).await
}

/// The one event item whose first event has `sequence` (see [`event_items`]), if any.
pub async fn event_item(client: &Client, table: &str, pk: &str, sequence: u64) -> Option<Item> {
    let mut items = event_items(client, table, pk, sequence).await;
    assert!(items.len() <= 1, "one item at {sequence}: {items:?}");
    items.pop()
}
