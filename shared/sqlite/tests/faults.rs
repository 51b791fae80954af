//! How the SQLite store reports faults, by whether trying again can help: a fault of the
//! file or the machine is `Unavailable` (the client is told to retry), a statement SQLite
//! refuses is `Refused` and fails alone, never taking the writes committed beside it down.

use p3_domain::ports::{CaseStore, StoreError};
use p3_sqlite::SqliteStore;
use p3_store_contract as contract;
use tempfile::TempDir;

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_statement_fails_alone_and_its_batch_commits() {
    let dir = TempDir::new().unwrap();
    let store = SqliteStore::open(&dir.path().join("p3.db")).unwrap();

    // Hold the writer, queue a refused statement between two saves: one batch of three.
    let pause = store.pause_writer().await;
    let first = contract::new_case("CMP-2026-00001");
    let second = contract::new_case("CMP-2026-00002");
    let (a, b, c) = {
        let (s1, s2, s3) = (store.clone(), store.clone(), store.clone());
        let (w1, w2) = (contract::create(&first), contract::create(&second));
        (
            tokio::spawn(async move { s1.save(w1).await }),
            tokio::spawn(async move {
                s2.exec_on_writer("INSERT INTO no_such_table VALUES (1)")
                    .await
            }),
            tokio::spawn(async move { s3.save(w2).await }),
        )
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let before = store.writer_stats();
    drop(pause);
    assert_eq!(a.await.unwrap(), Ok(()));
    assert!(
        matches!(b.await.unwrap(), Err(StoreError::Refused(_))),
        "a statement SQLite cannot run is refused, not unavailable"
    );
    assert_eq!(c.await.unwrap(), Ok(()));
    assert_eq!(store.writer_stats().failed_batches, before.failed_batches);
    assert_eq!(store.load(&first.reference).await.unwrap(), Some(first));
    assert_eq!(store.load(&second.reference).await.unwrap(), Some(second));
}
