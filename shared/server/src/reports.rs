//! Reports on the local store: `p3 report` (straight from the SQLite file) and the monthly
//! export `p3 serve` writes to `<data-dir>/exports/YYYY-MM/` at 06:00 Europe/London on the
//! 1st, catching up at start-up when it was down then.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, NaiveTime, Utc};
use p3_domain::calendar::Calendar;
use p3_domain::case::Rules;
use p3_domain::london::{london_date, london_instant, Month};
use p3_domain::policy::Procedures;
use p3_domain::ports::{Clock, ReportSource};
use p3_reports::{Format, Rendered, ReportSettings};
use p3_sqlite::SqliteStore;
use tokio::sync::watch;

use crate::config::Config;

/// The London wall-clock time the monthly export runs on the 1st.
pub const EXPORT_TIME: (u32, u32) = (6, 0);

/// How long the export loop sleeps at most before looking again (so a changed system clock or
/// a suspended machine is noticed within the hour).
const MAX_SLEEP: Duration = Duration::from_secs(3600);

/// How long to wait before trying again after a failed export.
const RETRY: Duration = Duration::from_secs(300);

/// The rules of the configured procedures and calendar (as `p3 serve` builds them).
pub fn rules_of(config: &Config) -> Rules {
    let mut procedures = Procedures::default();
    for p in config.settings.policies.clone() {
        procedures.replace(p);
    }
    Rules {
        procedures,
        calendar: Calendar::new(&config.settings.calendar),
        letters: config.settings.correspondence(),
        backdate: config.settings.records.backdate(),
        updates: config.settings.updates.settings(),
    }
}

/// The settings reports are rendered with; `with_lessons` reads the lessons-learned file.
pub fn settings_of(config: &Config, with_lessons: bool) -> anyhow::Result<ReportSettings> {
    let lessons_learned = match (&config.settings.reports.lessons_learned_file, with_lessons) {
        (Some(path), true) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        ),
        _ => None,
    };
    Ok(ReportSettings {
        landlord: config.settings.landlord.clone(),
        homes: config.settings.homes(),
        lessons_learned,
    })
}

/// `--exports-now`: the export schedule's clock starts at a given instant and runs on from
/// there (tests stand on the 1st of a month without waiting for it).
pub struct ShiftedClock {
    start: DateTime<Utc>,
    started: Instant,
}

impl ShiftedClock {
    /// A clock that reads `start` now.
    pub fn new(start: DateTime<Utc>) -> ShiftedClock {
        ShiftedClock {
            start,
            started: Instant::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

fn export_instant(month: Month) -> DateTime<Utc> {
    let (h, m) = EXPORT_TIME;
    london_instant(
        month.first_day(),
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time"),
    )
}

/// The month whose export should exist at `now`: the previous month from 06:00 London on the
/// 1st, the one before until then.
pub fn due_month(now: DateTime<Utc>) -> Month {
    let this = Month::of(london_date(now));
    if now >= export_instant(this) {
        this.previous()
    } else {
        this.previous().previous()
    }
}

/// The next 06:00 London on a 1st after `now`.
pub fn next_run(now: DateTime<Utc>) -> DateTime<Utc> {
    let this = Month::of(london_date(now));
    if now < export_instant(this) {
        export_instant(this)
    } else {
        export_instant(this.next())
    }
}

/// Where a month's export goes: `<exports>/YYYY-MM`.
pub fn export_dir(exports: &Path, month: Month) -> PathBuf {
    exports.join(month.to_string())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    let _ = dir;
    Ok(())
}

/// Writes a month's files into `<exports>/YYYY-MM/` atomically: into a hidden folder beside
/// it, each file synced, then renamed into place, so the folder is either complete or absent.
pub fn write_export(exports: &Path, month: Month, files: &[Rendered]) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(exports)
        .with_context(|| format!("cannot create {}", exports.display()))?;
    let target = export_dir(exports, month);
    let partial = exports.join(format!(".{month}.partial"));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .with_context(|| format!("cannot remove {}", partial.display()))?;
    }
    std::fs::create_dir(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    for f in files {
        let path = partial.join(&f.file_name);
        let mut file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.write_all(&f.bytes)?;
        file.sync_all()?;
    }
    sync_dir(&partial)?;
    std::fs::rename(&partial, &target)
        .with_context(|| format!("cannot move {} to {}", partial.display(), target.display()))?;
    sync_dir(exports)?;
    Ok(target)
}

/// Writes a file atomically (a temporary file beside it, synced, then renamed).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.partial"));
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// What the export loop needs.
#[derive(Clone)]
pub struct ExportJob {
    /// Where the records come from.
    pub source: Arc<dyn ReportSource>,
    /// The procedures and calendar.
    pub rules: Arc<Rules>,
    /// Landlord and homes.
    pub settings: ReportSettings,
    /// `<data-dir>/exports`.
    pub exports: PathBuf,
    /// The quarterly summary's email, when recipients are configured.
    pub quarterly: Option<crate::quarterly::QuarterlyMail>,
}

impl ExportJob {
    /// Writes `month`'s export unless its folder exists; the folder when written.
    pub async fn export_if_missing(&self, month: Month) -> anyhow::Result<Option<PathBuf>> {
        if export_dir(&self.exports, month).exists() {
            return Ok(None);
        }
        let files =
            p3_reports::export_month(self.source.as_ref(), month, &self.rules, &self.settings)
                .await?;
        let exports = self.exports.clone();
        let dir = tokio::task::spawn_blocking(move || write_export(&exports, month, &files))
            .await
            .map_err(|e| anyhow::anyhow!("the export task failed: {e}"))??;
        Ok(Some(dir))
    }

    /// Runs until `shutdown`: at start-up and at each 06:00 London on the 1st, writes the
    /// export that should exist by then if it does not.
    pub async fn run(self, clock: Arc<dyn Clock>, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let now = clock.now();
            let month = due_month(now);
            // An export is written beside its folder and renamed into place, so abandoning one
            // at shutdown leaves nothing half-written; a clean stop never waits for it.
            let result = tokio::select! {
                r = self.export_if_missing(month) => r,
                _ = shutdown.changed() => return,
            };
            let result = match (result, &self.quarterly) {
                (Ok(written), Some(mail)) => {
                    let sent = tokio::select! {
                        r = mail.send_if_due(self.source.as_ref(), &self.rules, &self.settings, now) => r,
                        _ = shutdown.changed() => return,
                    };
                    match sent {
                        Ok(Some((year, quarter))) => {
                            tracing::info!(year, quarter, "quarterly summary emailed");
                            Ok(written)
                        }
                        Ok(None) => Ok(written),
                        Err(e) => Err(e),
                    }
                }
                (result, _) => result,
            };
            let sleep = match result {
                Ok(written) => {
                    if let Some(dir) = written {
                        tracing::info!(month = %month, dir = %dir.display(), "monthly export written");
                    }
                    let now = clock.now();
                    (next_run(now) - now)
                        .to_std()
                        .unwrap_or(Duration::ZERO)
                        .min(MAX_SLEEP)
                }
                Err(e) => {
                    tracing::warn!(month = %month, error = %format!("{e:#}"), "monthly export failed; will retry");
                    RETRY
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// What `p3 report` was asked for.
pub struct ReportArgs {
    /// `--month YYYY-MM`.
    pub month: Option<String>,
    /// `--year YYYY`: the financial year from April.
    pub year: Option<i32>,
    /// `--format`.
    pub format: String,
    /// `--out FILE` (stdout when absent).
    pub out: Option<PathBuf>,
    /// `--data-dir`.
    pub data_dir: PathBuf,
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--stats`: rows read and time taken, on stderr.
    pub stats: bool,
}

/// `p3 report`: one month's or one financial year's report from the SQLite store.
pub fn report(args: ReportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let format = Format::parse(&args.format)
        .ok_or_else(|| anyhow::anyhow!("--format must be json, csv, xlsx or html"))?;
    let db = args.data_dir.join("p3.db");
    anyhow::ensure!(db.exists(), "no store at {} (use --data-dir)", db.display());
    let rules = rules_of(&config);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = SqliteStore::open(&db).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (rendered, rows, what) = match (&args.month, args.year) {
        (Some(m), None) => {
            let month: Month = p3_domain::report_period::parse_month(m)
                .map_err(|e| anyhow::anyhow!("--month: {e}"))?;
            let settings = settings_of(&config, false)?;
            rt.block_on(async {
                let data = p3_reports::month_data(&store, month, &rules, &settings.homes).await?;
                let rows = data.records.rows_read;
                let what = format!(
                    "{} cases, {} service requests",
                    data.records.cases.len(),
                    data.records.service_requests.len()
                );
                let r = p3_reports::render_month(&store, &data, format, &rules, &settings).await?;
                anyhow::Ok((r, rows, what))
            })?
        }
        (None, Some(year)) => {
            anyhow::ensure!(
                matches!(format, Format::Json | Format::Html),
                "--format must be json or html for the annual report"
            );
            p3_domain::report_period::check_financial_year(year)
                .map_err(|e| anyhow::anyhow!("--year: {e}"))?;
            let settings = settings_of(&config, format == Format::Html)?;
            rt.block_on(async {
                let (report, rows) =
                    p3_reports::annual_report(&store, year, &rules, &settings.homes).await?;
                let r = p3_reports::render_annual(&report, format, &settings)?;
                anyhow::Ok((r, rows, "12 months".to_string()))
            })?
        }
        _ => anyhow::bail!("give either --month YYYY-MM or --year YYYY"),
    };
    match &args.out {
        Some(path) => write_file(path, &rendered.bytes)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&rendered.bytes)?;
            out.flush()?;
        }
    }
    if args.stats {
        eprintln!(
            "p3 report: {} ({} bytes): {rows} rows read ({what}) in {} ms",
            rendered.file_name,
            rendered.bytes.len(),
            started.elapsed().as_millis()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_previous_month_is_due_from_0600_london_on_the_1st() {
        // GMT: 06:00 London is 06:00 UTC on 1 December 2025.
        assert_eq!(
            due_month(utc("2025-12-01T05:59:59Z")).to_string(),
            "2025-10"
        );
        assert_eq!(
            due_month(utc("2025-12-01T06:00:00Z")).to_string(),
            "2025-11"
        );
        assert_eq!(
            due_month(utc("2025-12-17T12:00:00Z")).to_string(),
            "2025-11"
        );
        // BST: 06:00 London is 05:00 UTC on 1 October 2025.
        assert_eq!(
            due_month(utc("2025-10-01T04:59:59Z")).to_string(),
            "2025-08"
        );
        assert_eq!(
            due_month(utc("2025-10-01T05:00:00Z")).to_string(),
            "2025-09"
        );
        // 23:30 UTC on 31 October is still October in London (GMT) ...
        assert_eq!(
            due_month(utc("2025-10-31T23:30:00Z")).to_string(),
            "2025-09"
        );
        // ... and 23:30 UTC on 30 September is 00:30 on 1 October (BST), before 06:00.
        assert_eq!(
            due_month(utc("2025-09-30T23:30:00Z")).to_string(),
            "2025-08"
        );
        // January's run exports December of the year before.
        assert_eq!(
            due_month(utc("2026-01-01T07:00:00Z")).to_string(),
            "2025-12"
        );
    }

    #[test]
    fn the_next_run_is_0600_london_on_the_next_1st() {
        assert_eq!(
            next_run(utc("2025-11-20T10:00:00Z")),
            utc("2025-12-01T06:00:00Z")
        );
        assert_eq!(
            next_run(utc("2025-09-30T23:30:00Z")),
            utc("2025-10-01T05:00:00Z")
        );
        assert_eq!(
            next_run(utc("2025-10-01T05:00:00Z")),
            utc("2025-11-01T06:00:00Z")
        );
    }

    fn rendered(name: &str, text: &str) -> Rendered {
        Rendered {
            file_name: name.into(),
            content_type: "text/plain",
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_export_folder_appears_whole_and_a_left_over_partial_one_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let exports = dir.path().join("exports");
        let month: Month = "2025-10".parse().unwrap();
        std::fs::create_dir_all(exports.join(".2025-10.partial")).unwrap();
        std::fs::write(exports.join(".2025-10.partial/junk"), "x").unwrap();
        let written = write_export(
            &exports,
            month,
            &[rendered("a.json", "{}"), rendered("a.csv", "x")],
        )
        .unwrap();
        assert_eq!(written, exports.join("2025-10"));
        let mut names: Vec<String> = std::fs::read_dir(&written)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "a.json"]);
        assert!(!exports.join(".2025-10.partial").exists());
    }

    struct Empty;

    #[async_trait::async_trait]
    impl ReportSource for Empty {
        async fn month_records(
            &self,
            _month: Month,
        ) -> Result<p3_domain::ports::MonthRecords, p3_domain::ports::StoreError> {
            Ok(Default::default())
        }
    }

    #[tokio::test]
    async fn the_loop_catches_up_at_start_up_and_never_rewrites_an_export() {
        let dir = tempfile::tempdir().unwrap();
        let job = ExportJob {
            source: Arc::new(Empty),
            rules: Arc::new(Rules::default()),
            settings: ReportSettings {
                landlord: "P3 Housing".into(),
                ..Default::default()
            },
            exports: dir.path().join("exports"),
            quarterly: None,
        };
        let (stop_tx, stop_rx) = watch::channel(false);
        let clock = Arc::new(ShiftedClock::new(utc("2025-11-03T09:00:00Z")));
        let task = tokio::spawn(job.clone().run(clock, stop_rx));
        let folder = dir.path().join("exports/2025-10");
        for _ in 0..100 {
            if folder.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "complaints-2025-10.csv",
                "complaints-2025-10.html",
                "complaints-2025-10.json",
                "complaints-2025-10.xlsx"
            ]
        );
        stop_tx.send(true).unwrap();
        task.await.unwrap();
        // Only the month due: September was not written.
        assert!(!dir.path().join("exports/2025-09").exists());
        // An existing folder is left as it is.
        std::fs::write(folder.join("complaints-2025-10.json"), "kept").unwrap();
        assert!(job
            .export_if_missing("2025-10".parse().unwrap())
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            std::fs::read_to_string(folder.join("complaints-2025-10.json")).unwrap(),
            "kept"
        );
    }
}
