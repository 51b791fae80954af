//! `p3 backup`, `p3 restore` and the nightly backups of `p3 serve`.
//!
//! A backup is one file: a consistent copy of the store made while the service runs and
//! writes (SQLite's `VACUUM INTO` reads one snapshot), holding also every other file of the
//! data dir (the signing key, the outbox, the monthly exports, whatever else is there) except
//! the lock file and what an earlier restore moved aside. It is written under a temporary name
//! beside its destination, synced, then renamed: a backup file is whole or absent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use p3_domain::london::{london_date, london_instant};
use p3_domain::ports::Clock;
use p3_sqlite::backup::{self, BackupInfo, DataFile};
use tokio::sync::watch;

use crate::config::BackupConfig;
use crate::data_lock::{self, DataDirLock, LockError, LOCK_FILE};

/// The store's file in a data dir.
pub const STORE: &str = "p3.db";

/// Where `p3 restore --force` moves what the data dir held: `before-restore-<time>`.
pub const ASIDE_PREFIX: &str = "before-restore-";

/// Names of nightly backups: `p3-backup-YYYY-MM-DD-HHMM.p3backup` (London time), so that
/// sorting by name sorts by date.
const NIGHTLY_PREFIX: &str = "p3-backup-";
const NIGHTLY_SUFFIX: &str = ".p3backup";

/// True for what a backup leaves out: the store (copied through SQLite instead), its log and
/// index, the lock file, temporary files (an attachment being written is a `.part`), other backups (a backup folder inside the data dir
/// would otherwise grow each backup by the ones before), and what a restore set aside.
fn left_out(top: &str, name: &str) -> bool {
    let store_file = name == STORE || name.starts_with(&format!("{STORE}-"));
    store_file
        || name == LOCK_FILE
        || name.ends_with(".tmp")
        || name.contains(".tmp-")
        || name.ends_with(".restoring")
        || name.ends_with(".part")
        || name.ends_with(NIGHTLY_SUFFIX)
        || top.starts_with(ASIDE_PREFIX)
}

fn mode_of(meta: &std::fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o777
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0o600
    }
}

/// Every file of the data dir a backup holds besides the store, relative paths with `/`.
fn data_files(data_dir: &Path, skip: &Path) -> anyhow::Result<Vec<DataFile>> {
    let mut out = Vec::new();
    let mut stack = vec![(data_dir.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let top = rel.split('/').next().unwrap_or_default();
            if left_out(top, &name) || entry.path() == skip {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(_) => continue,
            };
            if meta.is_dir() {
                stack.push((entry.path(), rel));
            } else if meta.is_file() {
                out.push(DataFile {
                    name: rel,
                    mode: mode_of(&meta),
                    source: entry.path(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes a backup of `data_dir` to `out` (atomically: a temporary file beside it, renamed).
pub fn write(data_dir: &Path, out: &Path, now: DateTime<Utc>) -> anyhow::Result<BackupInfo> {
    let db = data_dir.join(STORE);
    anyhow::ensure!(
        db.exists(),
        "no store at {}: give the --data-dir of `p3 serve`",
        db.display()
    );
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let file_name = out
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{} is not a file name", out.display()))?
        .to_string_lossy()
        .to_string();
    let tmp = parent.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let files = data_files(data_dir, out)?;
    let info = match backup::write_backup(&db, &tmp, &files, now) {
        Ok(info) => info,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            anyhow::bail!("backup failed: {e}");
        }
    };
    std::fs::rename(&tmp, out)
        .with_context(|| format!("cannot move the backup into place at {}", out.display()))?;
    sync_dir(&parent);
    Ok(info)
}

/// `p3 backup --data-dir D FILE`.
pub fn backup_command(data_dir: &Path, out: &Path) -> anyhow::Result<()> {
    let _lock = data_lock::shared_or_explain(data_dir)?;
    let started = Instant::now();
    let info = write(data_dir, out, Utc::now())?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup written: {} ({} cases, {} other files, {:.1} MB) in {:.1} s",
        out.display(),
        info.cases,
        info.files,
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A name of a backup file that cannot climb out of the data dir.
fn safe_relative(name: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    for part in name.split('/') {
        if part.is_empty() || part == "." || part == ".." || part.contains('\\') {
            return None;
        }
        path.push(part);
    }
    (!path.as_os_str().is_empty()).then_some(path)
}

fn write_restored(data_dir: &Path, name: &str, mode: u32, bytes: &[u8]) -> std::io::Result<()> {
    let rel = safe_relative(name).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the backup names a file outside the data dir: {name}"),
        )
    })?;
    let top = name.split('/').next().unwrap_or_default();
    if left_out(top, top) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the backup names a file a restore may not write: {name}"),
        ));
    }
    let path = data_dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("restoring.tmp");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode & 0o777))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    std::fs::rename(&tmp, &path)
}

/// `p3 restore --data-dir D FILE [--force]`: the data dir as the backup holds it.
pub fn restore_command(data_dir: &Path, file: &Path, force: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let info =
        backup::check_backup(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let _lock = match DataDirLock::exclusive(data_dir) {
        Ok(l) => l,
        Err(LockError::Busy) => anyhow::bail!(
            "the store in {} is in use (`p3 serve`, `p3 import` or `p3 backup` is running on it); stop it first",
            data_dir.display()
        ),
        Err(LockError::Io(e)) => anyhow::bail!("cannot lock {}: {e}", data_dir.display()),
    };
    let db = data_dir.join(STORE);
    if db.exists() && !force {
        anyhow::bail!(
            "{} already holds a store; give --force to replace it (what the data dir holds is then moved to {}<time>/, nothing is deleted)",
            data_dir.display(),
            ASIDE_PREFIX
        );
    }
    // Whatever is there is kept aside, never overwritten or deleted.
    let mut present = Vec::new();
    for entry in std::fs::read_dir(data_dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name != LOCK_FILE && !name.starts_with(ASIDE_PREFIX) {
            present.push(entry.path());
        }
    }
    let mut aside = None;
    if !present.is_empty() {
        let dir = data_dir.join(format!(
            "{ASIDE_PREFIX}{}",
            Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::create_dir_all(&dir)?;
        for p in present {
            if let Some(name) = p.file_name() {
                std::fs::rename(&p, dir.join(name))
                    .with_context(|| format!("cannot move {} aside", p.display()))?;
            }
        }
        aside = Some(dir);
    }
    let restoring = data_dir.join(format!("{STORE}.restoring"));
    std::fs::copy(file, &restoring)
        .with_context(|| format!("cannot copy {} to {}", file.display(), restoring.display()))?;
    let unpacked = backup::unpack_backup(&restoring, &mut |name, mode, bytes| {
        write_restored(data_dir, name, mode, bytes)
    });
    if let Err(e) = unpacked {
        let _ = std::fs::remove_file(&restoring);
        anyhow::bail!("restore failed: {e}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&restoring, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&restoring, &db)?;
    sync_dir(data_dir);
    println!(
        "restored {} into {}: {} cases and {} other files, as of {} ({:.1} s)",
        file.display(),
        data_dir.display(),
        info.cases,
        info.files,
        info.created_at,
        started.elapsed().as_secs_f64()
    );
    if let Some(dir) = aside {
        println!(
            "what {} held before is in {}",
            data_dir.display(),
            dir.display()
        );
    }
    Ok(())
}

/// The next nightly backup time (`at`, London) strictly after `now`.
pub fn next_run(at: NaiveTime, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = london_date(now);
    let mut day = today;
    loop {
        let t = london_instant(day, at);
        if t > now {
            return t;
        }
        day = day.succ_opt().unwrap_or(day);
    }
}

/// The file name of the nightly backup due at `run` (which is `at`, London time).
pub fn nightly_name(run: DateTime<Utc>, at: NaiveTime) -> String {
    format!(
        "{NIGHTLY_PREFIX}{}-{}{NIGHTLY_SUFFIX}",
        london_date(run),
        at.format("%H%M")
    )
}

/// Deletes the oldest nightly backups in `dir` beyond the newest `keep` (only files named as
/// nightly backups; anything else there is left alone). Returns the names removed.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(NIGHTLY_PREFIX) && n.ends_with(NIGHTLY_SUFFIX))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep);
    let removed: Vec<String> = names.into_iter().take(excess).collect();
    for n in &removed {
        std::fs::remove_file(dir.join(n))?;
    }
    Ok(removed)
}

/// Runs the nightly backups until `shutdown` turns true: at `at` London each day, a backup
/// into `dir`, keeping the newest `keep`. A backup missed while the service was down is not
/// made up at start (the next one comes at the next `at`).
pub async fn run_nightly(
    settings: BackupConfig,
    data_dir: PathBuf,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) {
    let (Some(dir), Some(at)) = (settings.dir.clone(), settings.time()) else {
        return;
    };
    loop {
        let next = next_run(at, clock.now());
        let wait = (next - clock.now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        let out = dir.join(nightly_name(next, at));
        let (data_dir2, dir2, keep) = (data_dir.clone(), dir.clone(), settings.keep as usize);
        let now = clock.now();
        let result =
            tokio::task::spawn_blocking(move || -> anyhow::Result<(BackupInfo, Vec<String>)> {
                std::fs::create_dir_all(&dir2)?;
                let info = write(&data_dir2, &out, now)?;
                let removed = prune(&dir2, keep)?;
                Ok((info, removed))
            })
            .await;
        match result {
            Ok(Ok((info, removed))) => tracing::info!(
                file = %dir.join(nightly_name(next, at)).display(),
                cases = info.cases,
                removed = removed.len(),
                "nightly backup written"
            ),
            Ok(Err(e)) => tracing::error!(error = %e, "nightly backup failed"),
            Err(e) => tracing::error!(error = %e, "nightly backup task failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_next_run_is_at_london_time_across_the_clock_change() {
        let at = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        // Summer: 02:30 BST is 01:30 UTC.
        assert_eq!(
            next_run(at, utc("2026-07-01T00:00:00Z")),
            utc("2026-07-01T01:30:00Z")
        );
        assert_eq!(
            next_run(at, utc("2026-07-01T01:30:00Z")),
            utc("2026-07-02T01:30:00Z")
        );
        // Winter: 02:30 GMT.
        assert_eq!(
            next_run(at, utc("2026-12-03T03:00:00Z")),
            utc("2026-12-04T02:30:00Z")
        );
    }

    #[test]
    fn nightly_names_sort_by_date_and_prune_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for t in [
            "2026-01-09T02:30:00Z",
            "2025-12-31T02:30:00Z",
            "2026-01-10T02:30:00Z",
        ] {
            let at = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
            std::fs::write(dir.path().join(nightly_name(utc(t), at)), b"x").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), b"keep me").unwrap();
        let removed = prune(dir.path(), 2).unwrap();
        assert_eq!(
            removed,
            vec!["p3-backup-2025-12-31-0230.p3backup".to_string()]
        );
        assert!(dir.path().join("notes.txt").exists());
        assert!(dir
            .path()
            .join("p3-backup-2026-01-10-0230.p3backup")
            .exists());
    }

    #[test]
    fn a_backup_cannot_name_a_file_outside_the_data_dir() {
        assert!(safe_relative("../etc/passwd").is_none());
        assert!(safe_relative("/etc/passwd").is_none());
        assert!(safe_relative("outbox/../../x").is_none());
        assert_eq!(
            safe_relative("outbox/a.eml"),
            Some(PathBuf::from("outbox/a.eml"))
        );
    }
}
