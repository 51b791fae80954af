//! The store contract (`p3-store-contract`, shared with the DynamoDB adapter) run against the
//! SQLite store, each check on a fresh database file; the retention checks search the file and
//! its write-ahead log for removed text.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use p3_domain::ports::CaseStore;
use p3_sqlite::SqliteStore;
use tempfile::TempDir;

use p3_store_contract::retention::{self, Held};
use p3_store_contract::{self as contract, TestClock};

/// A fresh store on its own file (the directory lives as long as the store is used).
fn store() -> (Arc<dyn CaseStore>, Arc<TestClock>, TempDir) {
    let dir = TempDir::new().expect("temp dir");
    let clock = contract::clock();
    let store = SqliteStore::open_with_clock(&dir.path().join("p3.db"), clock.clone())
        .expect("open the store");
    (Arc::new(store), clock, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_case_loads_back_unchanged() {
    let (store, _, _dir) = store();
    contract::a_saved_case_loads_back_unchanged(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_saves_from_the_same_version_one_wins_the_other_conflicts() {
    let (store, _, _dir) = store();
    contract::two_saves_from_the_same_version_one_wins_the_other_conflicts(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_idempotency_key_rolls_back_the_whole_write() {
    let (store, _, _dir) = store();
    contract::a_used_idempotency_key_rolls_back_the_whole_write(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotent_replies_round_trip_and_expire_after_a_day() {
    let (store, clock, _dir) = store();
    contract::idempotent_replies_round_trip_and_expire_after_a_day(store, clock).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn references_are_unique_and_increasing() {
    let (store, _, _dir) = store();
    contract::references_are_unique_and_increasing(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_filter_by_status_owner_and_overdue_in_deadline_order() {
    let (store, _, _dir) = store();
    contract::lists_filter_by_status_owner_and_overdue_in_deadline_order(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn service_requests_round_trip_with_their_idempotency_record() {
    let (store, _, _dir) = store();
    contract::service_requests_round_trip_with_their_idempotency_record(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn service_requests_list_by_status_and_close_once() {
    let (store, _, _dir) = store();
    contract::service_requests_list_by_status_and_close_once(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_are_marked_sent_once() {
    let (store, _, _dir) = store();
    contract::alerts_are_marked_sent_once(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sent_alerts_are_found_among_many() {
    let (store, _, _dir) = store();
    contract::sent_alerts_are_found_among_many(store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cases_that_may_have_closed_are_found_by_their_latest_event() {
    let (store, _, _dir) = store();
    contract::cases_that_may_have_closed_are_found_by_their_latest_event(store).await;
}

/// The database file and its write-ahead log: where removed text could survive.
struct Files(PathBuf);

#[async_trait]
impl Held for Files {
    async fn bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for name in ["p3.db", "p3.db-wal"] {
            if let Ok(b) = std::fs::read(self.0.join(name)) {
                all.extend(b);
            }
        }
        all
    }
}

/// A fresh store with the retention port, and its files.
fn retention_store() -> (Arc<SqliteStore>, Files, TempDir) {
    let dir = TempDir::new().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("p3.db")).expect("open the store");
    (Arc::new(store), Files(dir.path().to_path_buf()), dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn personal_data_of_cases_closed_over_six_years_ago_is_removed_and_the_figures_stay() {
    let (store, files, _dir) = retention_store();
    retention::personal_data_of_cases_closed_over_six_years_ago_is_removed_and_the_figures_stay(
        store, &files,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_longer_than_one_transaction_is_anonymised_whole() {
    let (store, files, _dir) = retention_store();
    retention::a_history_longer_than_one_transaction_is_anonymised_whole(store, &files).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn annual_records_round_trip_per_year_and_item() {
    let dir = TempDir::new().expect("temp dir");
    let store = SqliteStore::open_with_clock(&dir.path().join("p3.db"), contract::clock())
        .expect("open the store");
    p3_store_contract::annual::annual_records_round_trip_per_year_and_item(Arc::new(store)).await;
}
