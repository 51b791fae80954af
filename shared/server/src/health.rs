//! `GET /healthz` for `p3 serve`: the store is healthy when it takes a real write, soon.

use std::sync::Arc;
use std::time::Duration;

use p3_api::health::{Health, WriteCheck};
use p3_sqlite::SqliteStore;

/// Longer than this and the store is not taking writes as it should (the writer is stuck).
const PATIENCE: Duration = Duration::from_secs(5);

struct StoreWrites(Arc<SqliteStore>);

#[async_trait::async_trait]
impl WriteCheck for StoreWrites {
    async fn check_writable(&self) -> Result<(), String> {
        match tokio::time::timeout(PATIENCE, self.0.check_writable()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no write committed within {PATIENCE:?}")),
        }
    }
}

/// The `/healthz` extension over the store.
pub fn of(store: Arc<SqliteStore>) -> Health {
    Health(Arc::new(StoreWrites(store)))
}
