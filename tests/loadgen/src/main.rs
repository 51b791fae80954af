//! `p3-loadgen`: benchmarks of the local complaints service (`p3 serve` on its SQLite store).
//!
//! Build both binaries first: `cargo build --release -p p3 -p p3-loadgen`.
//!
//! - `target/release/p3-loadgen intake [--p3 target/release/p3] [--requests 30000]
//!   [--concurrency 32] [--data-dir DIR]`
//!
//!   Starts `p3 serve --port 0` with the public form's rate limit off, on DIR (default: a
//!   fresh temporary directory), and posts `--requests` distinct JSON complaints to
//!   `POST /complaints` over `--concurrency` connections. Reports complaints/s (201s over
//!   wall time), p50/p99/max latency, errors and the server's peak memory (`VmHWM`). Then
//!   checks that every acknowledged complaint is stored: 500 sampled references read back
//!   through `GET /staff/complaints/{reference}` with an auditor token, and every reference
//!   found in `DIR/p3.db` (opened read-only), whose case count must grow by exactly the number
//!   of 201s; prints `all N acknowledged complaints present`, or exits with code 1. Finally
//!   measures the raw rate of the same durable SQLite writes (WAL, `synchronous = FULL`), one
//!   transaction each, sequentially, on the same file system, and prints the ratio.
//!
//! - `target/release/p3-loadgen seed --cases 1000000 --data-dir DIR`
//!
//!   Fills the store in DIR with cases received from 1 January 2022 to now, built with the
//!   domain (opened, mostly acknowledged and answered, some withdrawn or at Stage 2), with the
//!   index fields, events and pending alert timers the service would store, and references
//!   that continue after any already there. Bulk-loads without journal or fsync and rebuilds
//!   the indexes at the end: an interrupted seed leaves a store to delete, not to use. Never
//!   run it on a store `p3 serve` is using.
//!
//! - `target/release/p3-loadgen startup --data-dir DIR [--p3 target/release/p3] [--runs 5]`
//!
//!   Starts `p3 serve` on DIR `--runs` times and reports the median and maximum time from
//!   spawn to its first stdout line and to its first successful answer to `GET /`; each run is
//!   stopped with SIGTERM before the next.

mod gen;
mod intake;
mod raw;
mod rows;
mod seed;
mod server;
mod startup;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "p3-loadgen",
    about = "Benchmarks of the local P3 complaints service"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Public complaints under concurrent load, a check that every acknowledged one is stored,
    /// and the raw durable-write rate of SQLite on the same disk.
    Intake {
        /// The p3 binary.
        #[arg(long, default_value = "target/release/p3")]
        p3: PathBuf,
        /// Complaints to post.
        #[arg(long, default_value_t = 30_000)]
        requests: usize,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// The server's data dir (default: a fresh temporary directory, removed afterwards).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Fill a store with many cases spread over 2022 to now.
    Seed {
        /// Cases to add.
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        /// The data dir whose p3.db is filled.
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Time `p3 serve` start-up on an existing store.
    Startup {
        /// The data dir holding p3.db.
        #[arg(long)]
        data_dir: PathBuf,
        /// The p3 binary.
        #[arg(long, default_value = "target/release/p3")]
        p3: PathBuf,
        /// How many times to start it.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Intake {
            p3,
            requests,
            concurrency,
            data_dir,
        } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let ok = rt.block_on(intake::run(intake::Options {
                p3,
                requests,
                concurrency,
                data_dir,
            }))?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Cmd::Seed { cases, data_dir } => seed::run(cases, &data_dir),
        Cmd::Startup { data_dir, p3, runs } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(startup::run(startup::Options { p3, data_dir, runs }))
        }
    }
}
