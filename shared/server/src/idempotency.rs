//! Idempotency records answer a client's retries for a day (by default; `[retention]
//! idempotency_hours`) and are then deleted: `p3 serve` purges them at start-up and hourly.
//! The store keeps them sealed (see `p3_sqlite`), so no access code sits there in clear.

use std::sync::Arc;
use std::time::Duration;

use p3_sqlite::SqliteStore;
use tokio::sync::watch;

/// Between two purges.
const HOUR: Duration = Duration::from_secs(60 * 60);

/// Purges expired records now and then hourly, until shutdown.
pub async fn purge_hourly(store: Arc<SqliteStore>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        match store.purge_expired_idempotency().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired idempotency records deleted"),
            Err(e) => tracing::warn!(error = %e, "cannot purge idempotency records; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(HOUR) => {}
            _ = shutdown.changed() => return,
        }
    }
}
