//! `p3-loadgen startup`: how long `p3 serve` takes to come up on an existing store.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::server;

/// Options of the `startup` subcommand.
pub struct Options {
    pub p3: PathBuf,
    pub data_dir: PathBuf,
    pub runs: usize,
}

/// Starts and stops the server `runs` times, timing its first stdout line and first answer.
pub async fn run(opts: Options) -> anyhow::Result<()> {
    anyhow::ensure!(opts.runs > 0, "--runs must be at least 1");
    let p3 = server::find_p3(&opts.p3)?;
    let db = opts.data_dir.join("p3.db");
    if !db.is_file() {
        bail!("no store at {} (seed one first)", db.display());
    }
    let cases = count_cases(&db).unwrap_or(-1);
    println!(
        "start-up of p3 serve on {} ({cases} cases), {} runs",
        opts.data_dir.display(),
        opts.runs
    );
    let mut first_lines = Vec::new();
    let mut answers = Vec::new();
    for run in 1..=opts.runs {
        let srv = server::start(&p3, &opts.data_dir, None, None).await?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let url = format!("{}/", srv.base);
        let answered = loop {
            match client.get(&url).send().await {
                Ok(r) if r.status().is_success() => break srv.spawned_at.elapsed(),
                _ if srv.spawned_at.elapsed() > Duration::from_secs(60) => {
                    bail!("p3 serve did not answer GET / within 60 s")
                }
                _ => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        };
        let first = srv.first_line_after;
        let stopping = Instant::now();
        let status = srv.stop().await?;
        println!(
            "  run {run}: first line {:.0} ms, first answer to GET / {:.0} ms (stopped in {:.0} ms, {status})",
            ms(first),
            ms(answered),
            ms(stopping.elapsed())
        );
        first_lines.push(first);
        answers.push(answered);
    }
    let (m1, x1) = median_max(&mut first_lines);
    let (m2, x2) = median_max(&mut answers);
    println!(
        "startup: first stdout line median {:.0} ms, max {:.0} ms; first answer to GET / median {:.0} ms, max {:.0} ms ({} runs)",
        ms(m1),
        ms(x1),
        ms(m2),
        ms(x2),
        opts.runs
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median_max(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort();
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    };
    (median, v[n - 1])
}

fn count_cases(db: &Path) -> anyhow::Result<i64> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(conn.query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))?)
}
