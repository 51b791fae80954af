//! `p3-loadgen seed`: fills a store with many cases received from 2022 to now, built with the
//! domain (so snapshots, events, index fields and timers are what the service would write) and
//! bulk-inserted into the store's schema.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use p3_domain::case::{Actor, Case, Command, Rules};
use p3_domain::event::{Outcome, PointDecision, RequestedThrough, StageResponse};
use p3_domain::london::london_date;
use rusqlite::{params, Connection};

use crate::gen::{self, Rng};
use crate::rows::{self, CaseRow};

/// Cases built per unit of work handed to the inserter.
const CHUNK: usize = 5_000;
/// Cases per transaction (and per progress line).
const PROGRESS: usize = 100_000;

/// Staff who appear on seeded cases. Stage 2 people are never Stage 1 people.
const OFFICERS: usize = 12;
const MANAGERS: usize = 40;
const REVIEWERS: usize = 10;
const SENIORS: usize = 4;

/// Seeds `n` cases into the store in `data_dir` (created if missing; existing cases are kept
/// and new references continue after them).
pub fn run(n: usize, data_dir: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(n > 0, "--cases must be at least 1");
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let path = data_dir.join("p3.db");
    let started = Instant::now();
    // The store creates (or checks) its schema; then it is closed for the bulk load.
    drop(p3_sqlite::SqliteStore::open(&path).map_err(|e| anyhow::anyhow!("{e}"))?);

    let conn = Connection::open(&path)?;
    let existing: i64 = conn.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))?;
    let mut counters: HashMap<i32, i64> = HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT name, value FROM counters WHERE name LIKE 'case:%'")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (name, value) = row?;
            if let Some(year) = name.strip_prefix("case:").and_then(|y| y.parse().ok()) {
                counters.insert(year, value);
            }
        }
    }

    // When each case was received: evenly from 1 January 2022 to an hour ago, in order, so
    // references run in time order within each year.
    let now = Utc::now();
    let from = Utc
        .with_ymd_and_hms(2022, 1, 1, 0, 0, 0)
        .single()
        .expect("valid date");
    let span = ((now - Duration::hours(1)) - from).num_seconds() as f64;
    let received: Vec<DateTime<Utc>> = (0..n)
        .map(|i| from + Duration::seconds((span * (i as f64 + 0.5) / n as f64) as i64))
        .collect();
    let mut ids: Vec<(i32, i64)> = Vec::with_capacity(n);
    for at in &received {
        let year = london_date(*at).year();
        let seq = counters.entry(year).or_insert(0);
        *seq += 1;
        ids.push((year, *seq));
    }
    let received = Arc::new(received);
    let ids = Arc::new(ids);

    println!(
        "seeding {n} cases received {} to {} into {} ({existing} cases there already)",
        london_date(received[0]),
        london_date(received[n - 1]),
        path.display()
    );

    // Builders (one per core) turn chunks of indexes into rows; this thread inserts them.
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(2);
    let next_chunk = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::sync_channel::<Vec<CaseRow>>(threads * 2);
    let mut builders = Vec::new();
    for _ in 0..threads {
        let (tx, next_chunk, received, ids) = (
            tx.clone(),
            next_chunk.clone(),
            received.clone(),
            ids.clone(),
        );
        builders.push(std::thread::spawn(move || {
            let rules = Rules::default();
            loop {
                let c = next_chunk.fetch_add(1, Ordering::Relaxed);
                let lo = c * CHUNK;
                if lo >= n {
                    break;
                }
                let hi = (lo + CHUNK).min(n);
                let batch: Vec<CaseRow> = (lo..hi)
                    .map(|i| build(i, received[i], ids[i], now, &rules))
                    .collect();
                if tx.send(batch).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);

    // Bulk-load mode: no journal and no fsync while loading, secondary indexes dropped and
    // rebuilt at the end. An interrupted seed leaves a store to delete, not to use.
    let indexes: Vec<(String, String)> = {
        let mut stmt = conn.prepare(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'index' AND tbl_name IN ('cases', 'events', 'timers') AND sql IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mode: String = conn.query_row("PRAGMA journal_mode = OFF", [], |r| r.get(0))?;
    anyhow::ensure!(
        mode.eq_ignore_ascii_case("off"),
        "cannot leave WAL mode (journal mode {mode}); is p3 serve running on this store?"
    );
    conn.execute_batch(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -524288; PRAGMA temp_store = MEMORY;
         PRAGMA locking_mode = EXCLUSIVE;",
    )?;
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }

    let mut inserted = 0usize;
    let mut events = 0usize;
    let mut timers = 0usize;
    let mut statuses: HashMap<String, usize> = HashMap::new();
    let mut bytes = 0usize;
    conn.execute_batch("BEGIN")?;
    for batch in rx {
        for row in &batch {
            rows::insert(&conn, row)?;
            events += row.events.len();
            timers += row.timers.len();
            bytes += row.snapshot.len() + row.events.iter().map(|e| e.body.len()).sum::<usize>();
            *statuses.entry(row.status.clone()).or_default() += 1;
            inserted += 1;
            if inserted.is_multiple_of(PROGRESS) {
                conn.execute_batch("COMMIT; BEGIN")?;
                println!(
                    "  {inserted} cases ({events} events, {timers} timers) after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    for b in builders {
        b.join()
            .map_err(|_| anyhow::anyhow!("a builder thread panicked"))?;
    }
    anyhow::ensure!(inserted == n, "only {inserted} of {n} cases were built");
    // Later references continue after the seeded ones.
    let mut last: HashMap<i32, i64> = HashMap::new();
    for &(year, seq) in ids.iter() {
        let e = last.entry(year).or_insert(seq);
        *e = (*e).max(seq);
    }
    for (year, seq) in &last {
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
            params![format!("case:{year}"), seq],
        )?;
    }
    conn.execute_batch("COMMIT")?;
    let loaded = started.elapsed().as_secs_f64();
    for (_, sql) in &indexes {
        conn.execute_batch(sql)?;
    }
    println!(
        "  rows loaded after {loaded:.1} s; {} indexes rebuilt after {:.1} s",
        indexes.len(),
        started.elapsed().as_secs_f64()
    );
    conn.execute_batch("PRAGMA locking_mode = NORMAL")?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    anyhow::ensure!(mode.eq_ignore_ascii_case("wal"), "journal mode is {mode}");
    drop(conn);

    // The store must open it as usual, and see every case.
    let store = p3_sqlite::SqliteStore::open(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(store);
    let conn = Connection::open(&path)?;
    let total: i64 = conn.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))?;
    anyhow::ensure!(
        total == existing + n as i64,
        "the store holds {total} cases, expected {}",
        existing + n as i64
    );
    drop(conn);

    let secs = started.elapsed().as_secs_f64();
    let size: u64 = ["p3.db", "p3.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(data_dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    let mut statuses: Vec<(String, usize)> = statuses.into_iter().collect();
    statuses.sort_by_key(|s| std::cmp::Reverse(s.1));
    let statuses: Vec<String> = statuses.iter().map(|(s, c)| format!("{s} {c}")).collect();
    println!("by status: {}", statuses.join(", "));
    println!(
        "seed: {n} cases ({events} events, {timers} timers; {:.1} KB of JSON a case) in {secs:.1} s = {:.0} cases/s; {} holds {total} cases, {:.2} GB",
        bytes as f64 / n as f64 / 1024.0,
        n as f64 / secs,
        path.display(),
        size as f64 / 1e9
    );
    Ok(())
}

/// Case `i`, received at `at`, taken through a typical life up to `now`.
fn build(
    i: usize,
    at: DateTime<Utc>,
    (year, seq): (i32, i64),
    now: DateTime<Utc>,
    rules: &Rules,
) -> CaseRow {
    let mut rng = Rng::new(0x5eed_0000 ^ i as u64);
    let case = gen::open_case(&rows::reference(year, seq), i as u64, at, &mut rng, rules);
    let case = life(case, at, now, &mut rng, rules);
    rows::case_row(&case, rules, now, (year, seq), true)
}

/// Applies a command at `at` if that is not in the future; the case is unchanged otherwise.
fn step(
    case: &Case,
    command: Command,
    by: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    rules: &Rules,
) -> Option<Case> {
    if at > now {
        return None;
    }
    let actor = Actor {
        by: by.to_string(),
        at,
        now: at,
    };
    case.execute(command, &actor, rules).ok().map(|(c, _)| c)
}

fn hours(rng: &mut Rng, lo: i64, hi: i64) -> Duration {
    Duration::hours(lo + rng.below((hi - lo + 1) as u64) as i64)
}

/// The points each stage is acknowledged with.
const STAGE1_POINTS: [&str; 2] = [
    "The repair has not been completed",
    "Appointments were missed without notice",
];
const STAGE2_POINTS: [&str; 1] = ["The Stage 1 remedy did not put things right"];

/// A decision on every point of the stage that makes the stage's outcome.
fn decisions(stage: u8, outcome: Outcome) -> Vec<PointDecision> {
    let points: &[&str] = if stage == 1 {
        &STAGE1_POINTS
    } else {
        &STAGE2_POINTS
    };
    points
        .iter()
        .enumerate()
        .map(|(i, p)| PointDecision {
            point: (*p).to_string(),
            decision: match (outcome, i, points.len()) {
                (Outcome::PartlyUpheld, 0, 2) => Outcome::Upheld,
                (Outcome::PartlyUpheld, _, 2) => Outcome::NotUpheld,
                (o, _, _) => o,
            },
            reason: Some("The repair history and the contractor's notes show it.".into()),
        })
        .collect()
}

fn response(rng: &mut Rng, stage: u8) -> StageResponse {
    let outcome = match rng.below(10) {
        0..=3 => Outcome::Upheld,
        4..=6 => Outcome::PartlyUpheld,
        _ => Outcome::NotUpheld,
    };
    StageResponse {
        outcome,
        summary: format!(
            "Stage {stage} response: we have looked at the repair history, spoken to the contractor \
             and visited the home. Our decision and the reasons for it are set out point by point."
        ),
        remedy: matches!(outcome, Outcome::Upheld | Outcome::PartlyUpheld)
            .then(|| "An apology, the repair completed within 10 working days and £50 compensation.".to_string()),
        point_decisions: decisions(stage, outcome),
        actions: Vec::new(),
        compensation_pence: None,
        learning: None,
    }
}

/// Most cases are acknowledged within days and answered within weeks; a few are withdrawn,
/// a few stay overdue, and about one in ten answered goes on to Stage 2.
fn life(case: Case, at: DateTime<Utc>, now: DateTime<Utc>, rng: &mut Rng, rules: &Rules) -> Case {
    let manager = format!("manager{}@p3housing.example", rng.below(MANAGERS as u64));
    let officer = format!("officer{}@p3housing.example", rng.below(OFFICERS as u64));
    if rng.chance(2) {
        let t = at + hours(rng, 4, 96);
        let cmd = Command::Withdraw {
            reason: Some("The repair has now been done.".into()),
        };
        return step(&case, cmd, &officer, t, now, rules).unwrap_or(case);
    }
    let ack_at = at + hours(rng, 2, 96);
    let ack = Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: Some(manager.clone()),
        reviewer: None,
        complaint_points: STAGE1_POINTS.map(String::from).to_vec(),
    };
    let Some(case) = step(&case, ack, &officer, ack_at, now, rules) else {
        return case;
    };
    if rng.chance(1) {
        return case; // left overdue
    }
    let resp_at = ack_at + hours(rng, 24, 24 * 14);
    let respond = Command::Respond {
        stage: 1,
        response: response(rng, 1),
    };
    let Some(case) = step(&case, respond, &manager, resp_at, now, rules) else {
        return case;
    };
    if !rng.chance(10) {
        return case;
    }
    let req_at = resp_at + hours(rng, 12, 24 * 16);
    let request = Command::RequestNextStage {
        reason: Some("The repair is still not done and I want a review.".into()),
        through: RequestedThrough::Resident,
    };
    let Some(case) = step(&case, request, "resident", req_at, now, rules) else {
        return case;
    };
    let reviewer = format!("reviewer{}@p3housing.example", rng.below(REVIEWERS as u64));
    let ack2_at = req_at + hours(rng, 2, 96);
    let ack2 = Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: None,
        reviewer: Some(reviewer),
        complaint_points: STAGE2_POINTS.map(String::from).to_vec(),
    };
    let Some(case) = step(&case, ack2, &officer, ack2_at, now, rules) else {
        return case;
    };
    let senior = format!("senior{}@p3housing.example", rng.below(SENIORS as u64));
    let respond2 = Command::Respond {
        stage: 2,
        response: response(rng, 2),
    };
    let resp2_at = ack2_at + hours(rng, 48, 24 * 25);
    step(&case, respond2, &senior, resp2_at, now, rules).unwrap_or(case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_domain::alert::AlertEmail;
    use p3_domain::ports::{Notifier, NotifyError, Random, SystemClock};
    use p3_domain::service::{Service, Settings};

    struct NoMail;

    #[async_trait::async_trait]
    impl Notifier for NoMail {
        async fn send(&self, _email: &AlertEmail) -> Result<(), NotifyError> {
            Ok(())
        }
    }

    struct Fixed;

    impl Random for Fixed {
        fn bytes10(&self) -> [u8; 10] {
            [7; 10]
        }
    }

    /// The seed's index fields are exactly the service's, whatever the case's state.
    #[test]
    fn seeded_index_fields_are_the_services() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(p3_sqlite::SqliteStore::open(&dir.path().join("p3.db")).unwrap());
        let rules = Rules::default();
        let service = Service {
            store: store.clone(),
            scheduler: store,
            notifier: Arc::new(NoMail),
            clock: Arc::new(SystemClock),
            random: Arc::new(Fixed),
            rules: Arc::new(rules.clone()),
            settings: Arc::new(Settings {
                landlord: "P3 Housing".into(),
                categories: Vec::new(),
                addresses: Default::default(),
                base_url: "http://localhost".into(),
            }),
        };
        let now = Utc::now();
        let mut statuses = std::collections::HashSet::new();
        for i in 0..3_000 {
            let at = now - Duration::hours(1 + (i as i64 * 37) % (24 * 400));
            let mut rng = Rng::new(i as u64);
            let case = gen::open_case(
                &rows::reference(2026, i as i64 + 1),
                i as u64,
                at,
                &mut rng,
                &rules,
            );
            let case = life(case, at, now, &mut rng, &rules);
            let ours = rows::index(&case, &rules, now);
            statuses.insert(ours.status.clone());
            assert_eq!(ours, service.index(&case, now).unwrap(), "case {i}");
        }
        for s in [
            "received",
            "acknowledged",
            "responded",
            "closed",
            "withdrawn",
        ] {
            assert!(statuses.contains(s), "{statuses:?}");
        }
    }
}
