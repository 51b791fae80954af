//! `p3`: the complaints service on one machine.
//!
//! - `p3 serve [--port 3000] [--data-dir ./data] [--config FILE]`
//! - `p3 token --user NAME --email EMAIL --role ROLE [--data-dir DIR]`
//! - `p3 retention --dry-run|--now [--data-dir DIR] [--config FILE]`
//! - `p3 report --month YYYY-MM [--format json|csv|xlsx|html] [--out FILE] [--data-dir DIR]`
//! - `p3 report --year YYYY [--format json|html] [--out FILE] [--data-dir DIR]`
//! - `p3 evidence REF [--format zip|html] [--out FILE] [--data-dir DIR] [--config FILE]`

mod config;
mod http;
mod outbox;
mod reports;
mod retention;
mod timers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use p3_api::auth::{Role, TokenKey};
use p3_api::limit::RateLimiter;
use p3_api::{AppState, ClientAddr};
use p3_domain::host::{self, Adapters, HostSettings};
use p3_domain::ports::{Random, SystemClock};
use p3_domain::service::Service;
use p3_sqlite::SqliteStore;

use crate::config::Config;

#[derive(Parser)]
#[command(name = "p3", about = "P3 Housing complaints service", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the service: HTTP on 127.0.0.1, the SQLite store, alert timers and delivery.
    Serve {
        /// Port on 127.0.0.1.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Where the store, the signing key and the outbox live.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Configuration file (TOML); every setting has a default.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Start the monthly export schedule's clock at this instant (RFC 3339; for tests).
        #[arg(long, hide = true)]
        exports_now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Print a monthly or annual complaints report from the store (stdout unless --out).
    Report {
        /// The Europe/London month, YYYY-MM.
        #[arg(long, conflicts_with = "year", required_unless_present = "year")]
        month: Option<String>,
        /// The financial year starting in April of YYYY (annual report).
        #[arg(long)]
        year: Option<i32>,
        /// json, csv, xlsx or html (annual: json or html).
        #[arg(long, default_value = "json")]
        format: String,
        /// Write to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Where the store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Configuration file (TOML): procedures, calendar, homes, lessons learned.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print the rows read and the time taken on stderr.
        #[arg(long)]
        stats: bool,
    },
    /// Remove the personal data of cases closed more than the retention period ago (`p3 serve`
    /// does it daily); prints the references.
    Retention {
        /// Only list the cases that are due; change nothing.
        #[arg(long, conflicts_with = "now", required_unless_present = "now")]
        dry_run: bool,
        /// Anonymise them now.
        #[arg(long)]
        now: bool,
        /// Where the store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Configuration file (TOML): `[retention] years`, procedures, calendar.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Write a complaint's evidence pack for the Housing Ombudsman: a zip of the pack and every
    /// letter (or the pack alone as HTML); prints the file's path.
    Evidence {
        /// The complaint's reference, e.g. CMP-2026-00001.
        reference: String,
        /// zip (the pack and each letter as its own file) or html (the pack alone).
        #[arg(long, default_value = "zip")]
        format: String,
        /// Where to write it (default: REF-evidence.zip or .html in the current directory).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Where the store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Configuration file (TOML): procedures, calendar, landlord, letters.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Check a configuration file, the policy files and letter templates it names, as
    /// `p3 serve` would at start: run it after editing a letter template.
    Check {
        /// Configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Print a signed staff token (its last line is the token).
    Token {
        /// The staff member's name.
        #[arg(long)]
        user: String,
        /// Their email: how they are identified on cases.
        #[arg(long)]
        email: String,
        /// officer, investigating_manager, senior_manager or auditor.
        #[arg(long)]
        role: String,
        /// Where the signing key lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Hours the token is valid.
        #[arg(long, default_value_t = 12)]
        hours: i64,
    },
}

struct OsRandom;

impl Random for OsRandom {
    fn bytes10(&self) -> [u8; 10] {
        let mut b = [0u8; 10];
        getrandom::fill(&mut b).expect("the operating system provides randomness");
        b
    }
}

/// Reads the signing key from the data dir, creating it (owner-only) on first use.
fn signing_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let path = data_dir.join("signing.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let key: Vec<u8> = (0..text.trim().len() / 2)
            .filter_map(|i| u8::from_str_radix(&text.trim()[2 * i..2 * i + 2], 16).ok())
            .collect();
        anyhow::ensure!(
            key.len() >= 32,
            "{} is not a valid signing key; delete it to make a new one",
            path.display()
        );
        return Ok(key);
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("randomness: {e}"))?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = data_dir.join("signing.key.tmp");
    std::fs::write(&tmp, &hex)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(key.to_vec())
}

/// Logs to stderr. A log line that cannot be written (stderr is a file on a full disk) is
/// dropped: by default the subscriber reports that with `eprintln!`, which panics when stderr
/// cannot be written, and a panic in the store's writer thread would leave the store unable
/// to write until a restart, long after the disk has room again.
fn init_logging() {
    use std::io::IsTerminal;
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("P3_LOG").unwrap_or_else(|_| "info".into());
    if std::io::stderr().is_terminal() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .log_internal_errors(false)
            .init();
    } else {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .log_internal_errors(false)
            .init();
    }
}

async fn serve(
    port: u16,
    data_dir: PathBuf,
    config_path: Option<PathBuf>,
    exports_now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let config = match &config_path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let key = signing_key(&data_dir)?;
    let store =
        Arc::new(SqliteStore::open(&data_dir.join("p3.db")).map_err(|e| anyhow::anyhow!("{e}"))?);
    let notifier = outbox::OutboxNotifier::new(
        data_dir.join("outbox"),
        &config.mail_from,
        config.smtp.as_ref().map(|s| (s.host.clone(), s.port)),
    )?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let addr = listener.local_addr()?;
    let base_url = config
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let service = service_of(&config, store.clone(), Arc::new(notifier), base_url.clone());
    let state = AppState {
        service: service.clone(),
        auth: Arc::new(TokenKey::new(key)),
        form_limit: Arc::new(RateLimiter::new(
            config.public_form.rate_limit_per_hour,
            Duration::from_secs(3600),
        )),
        code_limit: Arc::new(RateLimiter::new(30, Duration::from_secs(3600))),
    };
    let reporting = p3_api::reports::Reporting {
        source: store.clone(),
        homes: reports::homes_of(&config),
        lessons_learned_file: config.reports.lessons_learned_file.clone(),
    };
    let app = p3_api::router(state)
        .layer(axum::Extension(reporting))
        .layer(axum::middleware::from_fn(client_addr));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let exports = reports::ExportJob {
        source: store.clone(),
        rules: service.rules.clone(),
        settings: reports::settings_of(&config, false)?,
        exports: data_dir.join("exports"),
    };
    let export_clock: Arc<dyn p3_domain::ports::Clock> = match exports_now {
        Some(t) => Arc::new(reports::ShiftedClock::new(t)),
        None => Arc::new(SystemClock),
    };
    let export_task = tokio::spawn(exports.run(export_clock, stop_rx.clone()));
    let retention_task = tokio::spawn(retention::run_daily(
        service.clone(),
        store.clone(),
        config.retention.years,
        stop_rx.clone(),
    ));
    let timer_task = tokio::spawn(timers::run(
        service,
        store.clone(),
        store.timer_wakeup(),
        stop_rx,
    ));
    tracing::info!(address = %addr, data_dir = %data_dir.display(), startup_ms = started.elapsed().as_millis() as u64, "p3 listening");
    println!(
        "p3 listening on {base_url} (data in {})",
        data_dir.display()
    );
    let limits = http::Limits {
        header_read_timeout: Duration::from_secs(config.http.header_read_timeout_seconds),
        body_read_timeout: Duration::from_secs(config.http.body_read_timeout_seconds),
    };
    http::serve(listener, app, limits, async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
    })
    .await;
    let _ = stop_tx.send(true);
    let _ = timer_task.await;
    let _ = export_task.await;
    let _ = retention_task.await;
    Ok(())
}

/// The domain service over the SQLite store, as every command of `p3` runs it.
fn service_of(
    config: &Config,
    store: Arc<SqliteStore>,
    notifier: Arc<dyn p3_domain::ports::Notifier>,
    base_url: String,
) -> Service {
    host::service(
        Adapters {
            store: store.clone(),
            scheduler: store,
            notifier,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
        },
        HostSettings {
            landlord: config.landlord.clone(),
            categories: config.categories.clone(),
            addresses: config.alerts.clone(),
            base_url,
            calendar: config.calendar.clone(),
            policies: config.policies.clone(),
            letters: reports::letters_of(config),
        },
    )
}

async fn client_addr(
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    req.extensions_mut()
        .insert(ClientAddr(peer.ip().to_string()));
    next.run(req).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// `p3 evidence`: the same pack as `GET /staff/complaints/{reference}/evidence`, read from the
/// local store, signed as produced by the local user at the command line.
fn evidence(
    reference: &str,
    format: &str,
    out: Option<PathBuf>,
    data_dir: &Path,
    config_path: Option<&Path>,
) -> anyhow::Result<()> {
    let zip = match format {
        "zip" => true,
        "html" => false,
        _ => anyhow::bail!("--format must be zip or html"),
    };
    let config = match config_path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let db = data_dir.join("p3.db");
    anyhow::ensure!(
        db.exists(),
        "no store at {}: give the --data-dir of `p3 serve`",
        db.display()
    );
    let store = Arc::new(SqliteStore::open(&db).map_err(|e| anyhow::anyhow!("{e}"))?);
    let notifier = outbox::OutboxNotifier::new(
        data_dir.join("outbox"),
        &config.mail_from,
        config.smtp.as_ref().map(|s| (s.host.clone(), s.port)),
    )?;
    let base_url = config.base_url.clone().unwrap_or_default();
    let service = service_of(&config, store, Arc::new(notifier), base_url);
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "a local user".into());
    let producer = p3_api::evidence::Producer {
        name: user,
        email: String::new(),
        role: "p3 evidence, on the server's command line".into(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let pack = rt
        .block_on(p3_api::evidence::build(
            &service,
            reference.trim(),
            &producer,
        ))
        .map_err(|e| anyhow::anyhow!("cannot read the store: {e}"))?
        .ok_or_else(|| anyhow::anyhow!("no complaint with the reference {reference}"))?;
    // The file name comes from the stored case's reference, never from the argument as typed.
    let (name, bytes) = if zip {
        (pack.zip_name(), pack.zip())
    } else {
        (pack.html_name(), pack.html.clone().into_bytes())
    };
    let path = out.unwrap_or_else(|| PathBuf::from(name));
    reports::write_file(&path, &bytes)?;
    println!("{}", path.display());
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("p3: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Cmd::Serve {
            port,
            data_dir,
            config,
            exports_now,
        } => {
            init_logging();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let result = rt.block_on(serve(port, data_dir, config, exports_now));
            // Work still on blocking threads (an abandoned export) is not waited for.
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
            result
        }
        Cmd::Report {
            month,
            year,
            format,
            out,
            data_dir,
            config,
            stats,
        } => reports::report(reports::ReportArgs {
            month,
            year,
            format,
            out,
            data_dir,
            config,
            stats,
        }),
        Cmd::Retention {
            dry_run,
            now: _,
            data_dir,
            config,
        } => {
            let config = match &config {
                Some(p) => Config::load(p)?,
                None => Config::default(),
            };
            let store = Arc::new(
                SqliteStore::open(&data_dir.join("p3.db")).map_err(|e| anyhow::anyhow!("{e}"))?,
            );
            let notifier = outbox::OutboxNotifier::new(
                data_dir.join("outbox"),
                &config.mail_from,
                config.smtp.as_ref().map(|s| (s.host.clone(), s.port)),
            )?;
            let base_url = config.base_url.clone().unwrap_or_default();
            let service = service_of(&config, store.clone(), Arc::new(notifier), base_url);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let report = rt.block_on(retention::run_once(
                &service,
                &store,
                config.retention.years,
                dry_run,
            ))?;
            retention::print(&report);
            Ok(())
        }
        Cmd::Check { config } => {
            let loaded = Config::load(&config)?;
            let letters = reports::letters_of(&loaded);
            println!(
                "{}: OK; letter templates checked: {}",
                config.display(),
                letters.templates.names().collect::<Vec<_>>().join(", ")
            );
            Ok(())
        }
        Cmd::Evidence {
            reference,
            format,
            out,
            data_dir,
            config,
        } => evidence(&reference, &format, out, &data_dir, config.as_deref()),
        Cmd::Token {
            user,
            email,
            role,
            data_dir,
            hours,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!(
                    "--role must be officer, investigating_manager, senior_manager or auditor"
                )
            })?;
            anyhow::ensure!(
                p3_domain::validation::is_email(&email),
                "--email must be an email address"
            );
            anyhow::ensure!(
                (1..=24 * 31).contains(&hours),
                "--hours must be from 1 to 744"
            );
            let key = TokenKey::new(signing_key(&data_dir)?);
            let token = key.issue(
                &user,
                &email,
                role,
                chrono::Utc::now(),
                chrono::Duration::hours(hours),
            );
            println!(
                "Staff token for {user} <{}> as {} (valid {hours} hours):",
                email.to_ascii_lowercase(),
                role.as_str()
            );
            println!("{token}");
            Ok(())
        }
    }
}
