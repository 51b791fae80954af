//! The local timer loop: fires due alert timers from the store, retries failed sends with
//! back-off, and sleeps until the next timer or until a write wakes it.

use std::sync::Arc;
use std::time::Duration;

use p3_domain::alert::{Notice, Skip};
use p3_domain::ports::TimerQueue;
use p3_domain::service::{FireOutcome, Service};
use tokio::sync::{watch, Notify};

/// Runs until `shutdown` turns true.
pub async fn run(
    service: Service,
    queue: Arc<dyn TimerQueue>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let now = service.clock.now();
        match queue.due(now, 200).await {
            Ok(due) => {
                for t in due {
                    let id = t.alert.id();
                    let result = match service.fire(&t.alert).await {
                        Ok(FireOutcome::Skipped(Skip::Early)) => match &t.alert {
                            Notice::Alert(a) => queue.postpone(&id, a.at).await,
                            Notice::Letter(_) => queue.complete(&id).await,
                        },
                        Ok(outcome) => {
                            tracing::info!(reference = %t.alert.reference(), alert = %id, outcome = ?outcome, "alert timer handled");
                            queue.complete(&id).await
                        }
                        Err(e) => {
                            let backoff = 30i64.saturating_mul(1 << t.attempts.min(7)).min(3600);
                            tracing::warn!(reference = %t.alert.reference(), alert = %id, error = %e, retry_in_s = backoff, "alert not sent; will retry");
                            queue
                                .postpone(&id, now + chrono::Duration::seconds(backoff))
                                .await
                        }
                    };
                    if let Err(e) = result {
                        tracing::warn!(alert = %id, error = %e, "timer bookkeeping failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read timers; will retry"),
        }
        let now = service.clock.now();
        let sleep = match queue.next_fire_at().await {
            Ok(Some(at)) => (at - now)
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(Duration::from_secs(60)),
            _ => Duration::from_secs(60),
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep.max(Duration::from_millis(20))) => {}
            _ = wake.notified() => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// How often [`watch_store`] looks for commits by other processes.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Wakes the timer loop when another process commits to the store (`p3 import` while the
/// server runs adds cases with their timers): the loop otherwise learns of timers only from
/// this process's writes, or at its next planned wake (up to a minute later).
pub async fn watch_store(
    watch: p3_sqlite::ChangeWatch,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut watch = Some(watch);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        let Some(mut w) = watch.take() else { return };
        let Ok((w, changed)) = tokio::task::spawn_blocking(move || {
            let changed = w.changed();
            (w, changed)
        })
        .await
        else {
            return;
        };
        watch = Some(w);
        if matches!(changed, Ok(true)) {
            wake.notify_one();
        }
    }
}
