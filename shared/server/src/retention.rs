//! The retention rule ([`p3_domain::retention`]) in `p3`: run daily by `p3 serve`, and on
//! demand by `p3 retention --dry-run|--now`. Logs and output carry references and counts only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use p3_domain::attachment::AttachmentStore;
use p3_domain::retention::{self, RetentionReport};

use crate::attachments::FolderAttachments;
use p3_domain::service::Service;
use p3_sqlite::SqliteStore;
use tokio::sync::watch;

/// Between two runs.
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// After a failed run (the store busy or down).
const RETRY: Duration = Duration::from_secs(60 * 60);

/// One run over the store, now; the outbox copies of the letters and alerts of each case
/// anonymised go with it (from the `outbox` folder), and so do its attachments.
pub async fn run_once(
    service: &Service,
    store: &SqliteStore,
    years: u32,
    data_dir: &Path,
    dry_run: bool,
) -> anyhow::Result<RetentionReport> {
    let outbox = &data_dir.join("outbox");
    let files = FolderAttachments::in_data_dir(data_dir);
    let now = service.clock.now();
    let report = retention::run(service, store, years, now, dry_run)
        .await
        .map_err(|e| anyhow::anyhow!("retention run failed: {e}"))?;
    if !dry_run {
        for reference in &report.anonymised {
            crate::outbox::OutboxNotifier::forget(outbox, reference).map_err(|e| {
                anyhow::anyhow!("retention: cannot delete the outbox copies of {reference}: {e}")
            })?;
            files.delete_case(reference).await.map_err(|e| {
                anyhow::anyhow!("retention: cannot delete the attachments of {reference}: {e}")
            })?;
        }
        sweep_outbox(service, outbox, years).await?;
        sweep_attachments(service, &files).await?;
        let swept = crate::inbox::sweep(data_dir, std::time::SystemTime::now())
            .map_err(|e| anyhow::anyhow!("retention: cannot sweep the upload inbox: {e}"))?;
        if swept > 0 {
            tracing::info!(files = swept, "unclaimed uploads older than a day removed");
        }
    }
    Ok(report)
}

/// Deletes the attachments left by a run stopped between anonymising a case and deleting its
/// files: those of a case already anonymised, or no longer in the store.
async fn sweep_attachments(service: &Service, files: &FolderAttachments) -> anyhow::Result<()> {
    let references = files
        .references()
        .map_err(|e| anyhow::anyhow!("retention: cannot list the attachments: {e}"))?;
    for reference in references {
        if is_gone(service, &reference).await? {
            files.delete_case(&reference).await.map_err(|e| {
                anyhow::anyhow!("retention: cannot delete the attachments of {reference}: {e}")
            })?;
        }
    }
    Ok(())
}

/// True when a case is no longer in the store or has been anonymised.
async fn is_gone(service: &Service, reference: &str) -> anyhow::Result<bool> {
    match service.store.load(reference).await {
        Ok(None) => Ok(true),
        Ok(Some(case)) => Ok(retention::is_anonymised(&case)),
        Err(e) => Err(anyhow::anyhow!("retention: cannot read the store: {e}")),
    }
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
        if is_gone(service, &reference).await? {
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
    data_dir: PathBuf,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        // Each case is rewritten in its own transaction, so stopping between two leaves
        // nothing half-done.
        let result = tokio::select! {
            r = run_once(&service, &store, years, &data_dir, false) => r,
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
