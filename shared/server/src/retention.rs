//! The retention rule ([`p3_domain::retention`]) in `p3`: run daily by `p3 serve`, and on
//! demand by `p3 retention --dry-run|--now`. Logs and output carry references and counts only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use p3_domain::retention::{self, RetentionReport};
use p3_domain::service::Service;
use p3_sqlite::SqliteStore;
use tokio::sync::watch;

/// Between two runs.
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// After a failed run (the store busy or down).
const RETRY: Duration = Duration::from_secs(60 * 60);

/// One run over the store, now; the outbox copies of the letters and alerts of each case
/// anonymised go with it (from the `outbox` folder).
pub async fn run_once(
    service: &Service,
    store: &SqliteStore,
    years: u32,
    outbox: &Path,
    dry_run: bool,
) -> anyhow::Result<RetentionReport> {
    let now = service.clock.now();
    let report = retention::run(service, store, years, now, dry_run)
        .await
        .map_err(|e| anyhow::anyhow!("retention run failed: {e}"))?;
    if !dry_run {
        for reference in &report.anonymised {
            crate::outbox::OutboxNotifier::forget(outbox, reference).map_err(|e| {
                anyhow::anyhow!("retention: cannot delete the outbox copies of {reference}: {e}")
            })?;
        }
        sweep_outbox(service, outbox, years).await?;
    }
    Ok(report)
}

/// Deletes the outbox copies left by a run stopped between anonymising a case and deleting
/// them: of the files older than the retention period (every copy of a case due is), those of
/// a case already anonymised, or no longer in the store.
async fn sweep_outbox(service: &Service, outbox: &Path, years: u32) -> anyhow::Result<()> {
    let period = Duration::from_secs(u64::from(years) * 365 * 24 * 60 * 60);
    let Some(cutoff) = std::time::SystemTime::now().checked_sub(period) else {
        return Ok(());
    };
    let mut references = std::collections::BTreeSet::new();
    let entries = match std::fs::read_dir(outbox) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("retention: cannot list the outbox: {e}")),
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < cutoff);
        let name = entry.file_name().to_string_lossy().into_owned();
        if let (true, Some((reference, _))) = (old, name.split_once('.')) {
            references.insert(reference.to_string());
        }
    }
    for reference in references {
        let gone = match service.store.load(&reference).await {
            Ok(None) => true,
            Ok(Some(case)) => retention::is_anonymised(&case),
            Err(e) => return Err(anyhow::anyhow!("retention: cannot read the store: {e}")),
        };
        if gone {
            crate::outbox::OutboxNotifier::forget(outbox, &reference).map_err(|e| {
                anyhow::anyhow!("retention: cannot delete the outbox copies of {reference}: {e}")
            })?;
        }
    }
    Ok(())
}

/// `p3 serve`'s loop: a run at start-up, then one a day, until shutdown.
pub async fn run_daily(
    service: Service,
    store: Arc<SqliteStore>,
    years: u32,
    outbox: PathBuf,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        // Each case is rewritten in its own transaction, so stopping between two leaves
        // nothing half-done.
        let result = tokio::select! {
            r = run_once(&service, &store, years, &outbox, false) => r,
            _ = shutdown.changed() => return,
        };
        let sleep = match result {
            Ok(report) => {
                if !report.anonymised.is_empty() {
                    tracing::info!(
                        years,
                        examined = report.examined,
                        anonymised = report.anonymised.len(),
                        "retention run: personal data removed"
                    );
                }
                DAY
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "retention run failed; will retry");
                RETRY
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// What `p3 retention` prints: one line of totals, then each reference.
pub fn print(report: &RetentionReport) {
    let verb = if report.dry_run {
        "due for anonymisation (dry run: nothing changed)"
    } else {
        "anonymised"
    };
    println!(
        "{} of {} cases examined {verb}; retention period {} years",
        report.anonymised.len(),
        report.examined,
        report.years
    );
    for reference in &report.anonymised {
        println!("{reference}");
    }
}
