//! `p3 import --data-dir D FILE.csv [--dry-run]`: the previous system's cases, one CSV row per
//! complaint (header row, columns in any order, see [`p3_domain::import::COLUMNS`]).
//!
//! Every row is checked before anything is written, and nothing is written unless every row is
//! valid; the new cases are then written in one transaction. A row already imported (the same
//! reference, or for a row without one the reference derived from its content) is skipped, so
//! running the same file again adds nothing. It may run while `p3 serve` runs on the same data
//! dir: the server reads cases from the store on every request, and its timer loop notices the
//! new timers at once (see `timers::watch_store`).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use p3_domain::alert::Alert;
use p3_domain::import::{self, Imported, Row, RowError, COLUMNS};
use p3_domain::service::Service;
use p3_sqlite::SqliteStore;

use crate::progress::Progress;

/// Errors printed in full; past this many only their count.
const MAX_ERRORS_SHOWN: usize = 200;

/// What an import found and did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Rows read.
    pub rows: usize,
    /// Cases written (or that would be, on a dry run).
    pub imported: Vec<String>,
    /// Rows already in the store from an earlier run.
    pub already: usize,
    /// Alerts already passed at the import: listed once, not sent one by one.
    pub passed: Vec<Alert>,
    /// Every error found; nothing was written if there is one.
    pub errors: Vec<RowError>,
    /// How long the one write transaction took (while it runs, a server's writes wait).
    pub written_in: Option<std::time::Duration>,
}

fn file_error(column: &str, message: String) -> RowError {
    RowError {
        row: 1,
        column: column.into(),
        message,
    }
}

/// Reads the rows of a CSV file; errors in the header or the file's shape stop the reading.
pub fn read_rows(file: &Path) -> anyhow::Result<Result<Vec<Row>, Vec<RowError>>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect(),
        Err(e) => return Ok(Err(vec![file_error("header", e.to_string())])),
    };
    let mut errors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if !COLUMNS.contains(&h.as_str()) {
            errors.push(file_error(
                h,
                format!(
                    "is not a column this import knows (columns: {})",
                    COLUMNS.join(", ")
                ),
            ));
        } else if headers[..i].contains(h) {
            errors.push(file_error(h, "appears twice in the header".into()));
        }
    }
    if !headers.iter().any(|h| h == "received_at") {
        errors.push(file_error(
            "received_at",
            "is missing from the header: every complaint needs its receipt time".into(),
        ));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        match record {
            Ok(r) => {
                let mut row = Row::new(number);
                for (h, v) in headers.iter().zip(r.iter()) {
                    row.set(h, v);
                }
                rows.push(row);
            }
            Err(e) => errors.push(RowError {
                row: number,
                column: "(row)".into(),
                message: match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        len, expected_len, ..
                    } => format!("has {len} values where the header has {expected_len} columns"),
                    _ => e.to_string(),
                },
            }),
        }
    }
    Ok(if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    })
}

/// Checks every row, and unless `dry_run` (or an error was found) writes the new cases.
pub async fn run(
    service: &Service,
    store: &SqliteStore,
    rows: Vec<Row>,
    dry_run: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<Summary> {
    let mut summary = Summary {
        rows: rows.len(),
        ..Summary::default()
    };
    let mut built: Vec<Imported> = Vec::with_capacity(rows.len());
    let mut bar = Progress::new("checking", rows.len());
    for (i, row) in rows.iter().enumerate() {
        match import::build(row, &service.rules, &service.settings.categories, now) {
            Ok(b) => built.push(b),
            Err(e) => summary.errors.extend(e),
        }
        bar.set(i + 1);
    }
    bar.finish();

    // The same complaint twice in the file, or one reference for two complaints.
    let mut first: HashMap<String, (usize, String)> = HashMap::new();
    for b in &built {
        match first.get(&b.case.reference) {
            Some((row, identity)) if *identity == b.identity => summary.errors.push(RowError {
                row: b.row,
                column: "(row)".into(),
                message: format!("is the same complaint as row {row}"),
            }),
            Some((row, _)) => summary.errors.push(RowError {
                row: b.row,
                column: "reference".into(),
                message: format!("`{}` is also the reference of row {row}", b.case.reference),
            }),
            None => {
                first.insert(b.case.reference.clone(), (b.row, b.identity.clone()));
            }
        }
    }

    // Cases already in the store: the same complaint imported before is skipped; another
    // case under the same reference is an error.
    let existing = store
        .existing_references(built.iter().map(|b| b.case.reference.clone()).collect())
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the store: {e}"))?;
    let mut new = Vec::with_capacity(built.len());
    for b in built {
        if !existing.contains(&b.case.reference) {
            new.push(b);
            continue;
        }
        let stored = service
            .store
            .load(&b.case.reference)
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the store: {e}"))?;
        match stored {
            Some(c) if import::is_imported(&c) && import::identity(&c) == b.identity => {
                summary.already += 1;
            }
            _ => summary.errors.push(RowError {
                row: b.row,
                column: "reference".into(),
                message: format!(
                    "`{}` is already the reference of another case in the store",
                    b.case.reference
                ),
            }),
        }
    }
    if !summary.errors.is_empty() {
        summary.errors.sort_by_key(|e| e.row);
        return Ok(summary);
    }

    let mut writes = Vec::with_capacity(new.len());
    for b in new {
        summary.imported.push(b.case.reference.clone());
        let p = import::prepare(service, b.case, now)
            .map_err(|e| anyhow::anyhow!("row {}: {e}", b.row))?;
        summary.passed.extend(p.passed);
        writes.push(p.write);
    }
    if dry_run || writes.is_empty() {
        return Ok(summary);
    }
    let covered = summary.passed.iter().map(|a| a.id()).collect();
    let writing = Instant::now();
    store
        .import_cases(writes, covered, now)
        .await
        .map_err(|e| anyhow::anyhow!("nothing was imported: {e}"))?;
    summary.written_in = Some(writing.elapsed());
    if !summary.passed.is_empty() {
        let email = import::overdue_email(
            &format!("import-{}.overdue", now.format("%Y%m%dT%H%M%S%.3fZ")),
            &service.settings.landlord,
            &service.settings.addresses,
            &service.settings.base_url,
            &summary.passed,
        );
        if let Err(e) = service.notifier.send(&email).await {
            eprintln!(
                "p3: the cases were imported, but the email listing the overdue ones to {} was not sent ({e}); they are listed below",
                service.settings.addresses.complaints_team
            );
        }
    }
    Ok(summary)
}

/// Prints what happened: errors on stderr, the summary on stdout.
pub fn print(summary: &Summary, file: &Path, dry_run: bool, complaints_team: &str, took: Instant) {
    if !summary.errors.is_empty() {
        for e in summary.errors.iter().take(MAX_ERRORS_SHOWN) {
            eprintln!("{e}");
        }
        if summary.errors.len() > MAX_ERRORS_SHOWN {
            eprintln!("... and {} more", summary.errors.len() - MAX_ERRORS_SHOWN);
        }
        let rows: std::collections::BTreeSet<usize> =
            summary.errors.iter().map(|e| e.row).collect();
        eprintln!(
            "nothing was imported: {} error(s) in {} row(s) of {}",
            summary.errors.len(),
            rows.len(),
            file.display()
        );
        return;
    }
    let verb = if dry_run { "would import" } else { "imported" };
    let written = summary
        .written_in
        .map(|d| format!(", written in one transaction of {:.1} s", d.as_secs_f64()))
        .unwrap_or_default();
    println!(
        "{}: {} rows; {verb} {} case(s); {} already imported, skipped ({:.1} s{written})",
        file.display(),
        summary.rows,
        summary.imported.len(),
        summary.already,
        took.elapsed().as_secs_f64()
    );
    if !summary.passed.is_empty() {
        let cases: std::collections::BTreeSet<&str> = summary
            .passed
            .iter()
            .map(|a| a.reference.as_str())
            .collect();
        println!(
            "{} imported case(s) have deadlines whose alerts had already passed; {} instead of one alert each:",
            cases.len(),
            if dry_run {
                format!("they would be listed once to {complaints_team}")
            } else {
                format!("listed once to {complaints_team}")
            }
        );
        for a in &summary.passed {
            println!(
                "  {}  {}  due {}  {}",
                a.reference,
                a.deadline.label(),
                a.due,
                match a.kind {
                    p3_domain::alert::AlertKind::Breach => "OVERDUE",
                    p3_domain::alert::AlertKind::DueToday => "due today",
                    p3_domain::alert::AlertKind::Reminder => "due soon",
                }
            );
        }
    }
}
