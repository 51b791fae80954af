//! `p3-loadgen intake`: public complaints under concurrent load against a real `p3 serve`,
//! then proof that every acknowledged complaint is stored, then the raw durable-write baseline.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

use crate::gen::{self, Rng};
use crate::raw;
use crate::server::{self, proc_status_bytes};

/// Options of the `intake` subcommand.
pub struct Options {
    pub p3: PathBuf,
    pub requests: usize,
    pub concurrency: usize,
    pub data_dir: Option<PathBuf>,
}

/// What one client task saw.
#[derive(Default)]
struct TaskResult {
    latencies_ms: Vec<f64>,
    references: Vec<String>,
    acknowledged: usize,
    unreadable_201: usize,
    errors: Vec<String>,
}

const MB: f64 = 1024.0 * 1024.0;
const SAMPLE: usize = 500;

/// Runs the benchmark; `Ok(false)` when an acknowledged complaint is missing.
pub async fn run(opts: Options) -> anyhow::Result<bool> {
    anyhow::ensure!(opts.requests > 0, "--requests must be at least 1");
    anyhow::ensure!(opts.concurrency > 0, "--concurrency must be at least 1");
    let p3 = server::find_p3(&opts.p3)?;
    let work = tempfile::Builder::new().prefix("p3-loadgen-").tempdir()?;
    let (data_dir, _temp_data) = match &opts.data_dir {
        Some(d) => (d.clone(), None),
        None => {
            let t = tempfile::Builder::new()
                .prefix("p3-loadgen-data-")
                .tempdir()?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let db_path = data_dir.join("p3.db");
    let baseline = if db_path.exists() {
        count_cases(&db_path)?
    } else {
        0
    };
    let config = work.path().join("p3.toml");
    std::fs::write(&config, "[public_form]\nrate_limit_per_hour = 0\n")?;
    let log = work.path().join("p3-serve.log");

    let srv = server::start(&p3, &data_dir, Some(&config), Some(&log)).await?;
    println!(
        "p3 serve (pid {}) at {} on {}; {} requests, {} concurrent",
        srv.pid,
        srv.base,
        data_dir.display(),
        opts.requests,
        opts.concurrency
    );

    // Memory: sample VmRSS while the load runs; VmHWM is read at the end.
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let max_rss = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (stop, max_rss, done, pid) = (
            stop_sampling.clone(),
            max_rss.clone(),
            done.clone(),
            srv.pid,
        );
        let total = opts.requests;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(50));
            let started = Instant::now();
            let mut last_report = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                if let Some(rss) = proc_status_bytes(pid, "VmRSS") {
                    max_rss.fetch_max(rss, Ordering::Relaxed);
                }
                if last_report.elapsed() >= Duration::from_secs(5) {
                    last_report = Instant::now();
                    let n = done.load(Ordering::Relaxed);
                    println!(
                        "  … {n}/{total} answered after {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        })
    };

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.concurrency * 2)
        .timeout(Duration::from_secs(60))
        .build()?;
    let url = format!("{}/complaints", srv.base);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = (
        server::cpu_seconds(srv.pid).unwrap_or(0.0),
        server::cpu_seconds(0).unwrap_or(0.0),
    );
    let threads_before = server::thread_cpu(srv.pid);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(opts.concurrency);
    for _ in 0..opts.concurrency {
        let (client, url, next, done) = (client.clone(), url.clone(), next.clone(), done.clone());
        let total = opts.requests;
        tasks.push(tokio::spawn(async move {
            let mut r = TaskResult::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let body = gen::complaint(i as u64).json();
                let t0 = Instant::now();
                let sent = client.post(&url).json(&body).send().await;
                match sent {
                    Ok(resp) => {
                        let status = resp.status();
                        let bytes = resp.bytes().await;
                        r.latencies_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
                        match (status.as_u16(), bytes) {
                            (201, Ok(b)) => {
                                r.acknowledged += 1;
                                let reference = serde_json::from_slice::<serde_json::Value>(&b)
                                    .ok()
                                    .and_then(|v| v["reference"].as_str().map(str::to_string));
                                match reference {
                                    Some(reference) => r.references.push(reference),
                                    None => r.unreadable_201 += 1,
                                }
                            }
                            (201, Err(e)) => {
                                r.acknowledged += 1;
                                r.unreadable_201 += 1;
                                r.errors.push(format!("201 with an unreadable body: {e}"));
                            }
                            (code, b) => {
                                let text = b
                                    .map(|b| {
                                        String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned()
                                    })
                                    .unwrap_or_default();
                                r.errors.push(format!("HTTP {code}: {text}"));
                            }
                        }
                    }
                    Err(e) => r.errors.push(format!("request failed: {e}")),
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            r
        }));
    }
    let mut all = TaskResult::default();
    for t in tasks {
        let r = t.await?;
        all.latencies_ms.extend(r.latencies_ms);
        all.references.extend(r.references);
        all.acknowledged += r.acknowledged;
        all.unreadable_201 += r.unreadable_201;
        all.errors.extend(r.errors);
    }
    let wall = started.elapsed().as_secs_f64();
    let threads_after = server::thread_cpu(srv.pid);
    let cpu = (
        server::cpu_seconds(srv.pid).unwrap_or(0.0) - cpu_before.0,
        server::cpu_seconds(0).unwrap_or(0.0) - cpu_before.1,
    );
    stop_sampling.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    if let Some(rss) = proc_status_bytes(srv.pid, "VmRSS") {
        max_rss.fetch_max(rss, Ordering::Relaxed);
    }
    let hwm = proc_status_bytes(srv.pid, "VmHWM").unwrap_or(0);
    let max_rss = max_rss.load(Ordering::Relaxed);

    // Every acknowledged complaint must be readable through the API and stored in the file.
    let mut missing: Vec<String> = Vec::new();
    let token = server::token(&p3, &data_dir, "auditor").await?;
    let mut rng = Rng::from_time();
    let sample = rng.sample(all.references.len(), SAMPLE);
    let mut api_ok = 0usize;
    for &k in &sample {
        let reference = &all.references[k];
        let resp = client
            .get(format!("{}/staff/complaints/{reference}", srv.base))
            .bearer_auth(&token)
            .send()
            .await?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        if status == 200 && body["reference"].as_str() == Some(reference.as_str()) {
            api_ok += 1;
        } else {
            missing.push(format!("GET /staff/complaints/{reference}: HTTP {status}"));
        }
    }
    let count = count_cases(&db_path)?;
    let stored = stored_references(&db_path)?;
    let expected = baseline + all.acknowledged as u64;
    if count != expected {
        missing.push(format!(
            "SELECT COUNT(*) FROM cases = {count}, expected {expected} ({baseline} before + {} acknowledged)",
            all.acknowledged
        ));
    }
    let distinct: HashSet<&String> = all.references.iter().collect();
    if distinct.len() != all.references.len() {
        missing.push(format!(
            "{} references were handed out twice",
            all.references.len() - distinct.len()
        ));
    }
    let absent: Vec<&String> = all
        .references
        .iter()
        .filter(|r| !stored.contains(r.as_str()))
        .collect();
    if !absent.is_empty() {
        missing.push(format!(
            "{} acknowledged references are not in the cases table, e.g. {}",
            absent.len(),
            absent[0]
        ));
    }
    if all.unreadable_201 > 0 {
        missing.push(format!(
            "{} answers were 201 without a readable reference",
            all.unreadable_201
        ));
    }

    let status = srv.stop().await?;
    if !status.success() {
        eprintln!("p3 serve exited with {status} after SIGTERM");
    }
    if !all.errors.is_empty() {
        eprintln!("first errors:");
        for e in all.errors.iter().take(5) {
            eprintln!("  {e}");
        }
        eprintln!("server log (last lines):\n{}", server::tail(&log, 10));
    }

    // The baseline, on the same file system as the data dir, after the server has stopped.
    let raw_rows = opts.requests.min(5000);
    let raw_dir = tempfile::Builder::new()
        .prefix(".p3-loadgen-raw-")
        .tempdir_in(&data_dir)?;
    let raw_path = raw_dir.path().to_path_buf();
    let raw = tokio::task::spawn_blocking(move || raw::measure(&raw_path, raw_rows)).await??;
    drop(raw_dir);

    let lat = &mut all.latencies_ms;
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)]
    };
    let (p50, p99, max) = (pct(0.50), pct(0.99), lat.last().copied().unwrap_or(0.0));
    let rate = all.acknowledged as f64 / wall;
    let ratio = rate / raw.per_second;

    println!();
    println!(
        "intake: {} complaints in {wall:.1} s = {rate:.0}/s, p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.0} ms, errors {}, server peak RSS {:.0} MB",
        all.acknowledged,
        all.errors.len(),
        hwm as f64 / MB
    );
    println!(
        "server memory: VmHWM {:.1} MB, highest sampled VmRSS {:.1} MB",
        hwm as f64 / MB,
        max_rss as f64 / MB
    );
    println!(
        "cpu during the load: server {:.1} s, load generator {:.1} s, over {wall:.1} s of wall time on {} cores",
        cpu.0,
        cpu.1,
        std::thread::available_parallelism().map(|p| p.get()).unwrap_or(0)
    );
    let mut by_thread: Vec<(String, f64, f64)> = Vec::new();
    for (tid, (name, user, sys)) in &threads_after {
        let (u0, s0) = threads_before
            .get(tid)
            .map(|t| (t.1, t.2))
            .unwrap_or((0.0, 0.0));
        match by_thread.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, u, s)) => {
                *u += user - u0;
                *s += sys - s0;
            }
            None => by_thread.push((name.clone(), user - u0, sys - s0)),
        }
    }
    by_thread.sort_by(|a, b| (b.1 + b.2).total_cmp(&(a.1 + a.2)));
    let by_thread: Vec<String> = by_thread
        .iter()
        .filter(|(_, u, s)| u + s >= 0.05)
        .map(|(n, u, s)| format!("{n} {:.1} s (user {u:.1} s, sys {s:.1} s)", u + s))
        .collect();
    println!("server cpu by thread: {}", by_thread.join(", "));
    println!(
        "raw durable SQLite (one transaction each): {:.0} rows/s ({} rows; case snapshot {} B + event {} B each)",
        raw.per_second, raw.rows, raw.snapshot_bytes, raw.event_bytes
    );
    println!("ratio {ratio:.1}x");
    println!(
        "verified: {api_ok}/{} sampled references read back through GET /staff/complaints/{{reference}}; {count} rows in cases ({baseline} before the run)",
        sample.len()
    );
    if missing.is_empty() {
        println!("all {} acknowledged complaints present", all.acknowledged);
        Ok(true)
    } else {
        println!("FAILED: acknowledged complaints are missing");
        for m in &missing {
            println!("  {m}");
        }
        Ok(false)
    }
}

fn open_read_only(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {} read-only", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

fn count_cases(path: &Path) -> anyhow::Result<u64> {
    let conn = open_read_only(path)?;
    Ok(conn.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get::<_, i64>(0))? as u64)
}

fn stored_references(path: &Path) -> anyhow::Result<HashSet<String>> {
    let conn = open_read_only(path)?;
    let mut stmt = conn.prepare("SELECT reference FROM cases")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = HashSet::new();
    for r in rows {
        out.insert(r?);
    }
    Ok(out)
}
