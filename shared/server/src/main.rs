//! `p3`: the complaints service on one machine.
//!
//! - `p3 serve [--port 3000 | --listen ADDR:PORT] [--data-dir ./data] [--config FILE]`
//! - `p3 token --user NAME --email EMAIL --role ROLE [--data-dir DIR]`, `p3 token list|revoke`
//! - `p3 user add|link|list|disable|role` (staff accounts; see `users.rs`)
//! - `p3 retention --dry-run|--now [--data-dir DIR] [--config FILE]`
//! - `p3 report --month YYYY-MM [--format json|csv|xlsx|html] [--out FILE] [--data-dir DIR]`
//! - `p3 report --year YYYY [--format json|html] [--out FILE] [--data-dir DIR]`
//! - `p3 evidence REF [--format zip|html] [--out FILE] [--data-dir DIR] [--config FILE]`
//! - `p3 backup [--data-dir DIR] FILE`, `p3 restore [--data-dir DIR] FILE [--force]`
//! - `p3 import [--data-dir DIR] [--config FILE] FILE.csv [--dry-run]`

mod attachments;
mod backup;
mod config;
mod data_lock;
mod health;
mod http;
mod idempotency;
mod import;
mod inbox;
mod listen;
mod mail;
mod outbox;
mod private;
mod progress;
mod proxy;
mod quarterly;
mod reports;
mod retention;
mod sign_in;
mod timers;
mod tls;
mod upload_route;
mod users;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use p3_api::auth::TokenKey;
use p3_api::limit::{RateLimiter, WRONG_CODES_PER_HOUR};
use p3_api::staff_session::{SessionAuthenticator, StaffAccounts};
use p3_api::AppState;
use p3_domain::host::{self, Adapters};
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
    /// Run the service: HTTP (or HTTPS) on 127.0.0.1 or where told, the SQLite store, alert
    /// timers and delivery.
    Serve {
        /// Port on 127.0.0.1 [default: 3000, or the config's `[server] listen`].
        #[arg(long)]
        port: Option<u16>,
        /// Address and port to listen on, e.g. 0.0.0.0:8443 or [::]:8443 (replaces the
        /// config's `[server] listen`).
        #[arg(long, conflicts_with = "port", value_name = "ADDR:PORT")]
        listen: Option<SocketAddr>,
        /// Where the store, the signing key and the outbox live.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Configuration file (TOML); every setting has a default.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Start the monthly export schedule's clock at this instant (RFC 3339; for tests).
        #[arg(long, hide = true)]
        exports_now: Option<chrono::DateTime<chrono::Utc>>,
        /// Start the service's clock (timers, writes, nightly backups) at this instant
        /// (RFC 3339; for tests).
        #[arg(long, hide = true)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Write a consistent copy of the data dir (the store, the signing key, the outbox and
    /// exports) to FILE, while the service runs.
    Backup {
        /// The data dir of `p3 serve`.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// The backup file to write (replaced atomically if it exists).
        file: PathBuf,
    },
    /// Put a backup in place as the data dir's store and files; refuses a data dir in use.
    Restore {
        /// The data dir to restore into (created if missing).
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// The backup file (from `p3 backup` or the nightly backups).
        file: PathBuf,
        /// Replace a store that is already there (it is moved aside, not deleted).
        #[arg(long)]
        force: bool,
    },
    /// Bring the previous system's cases in from a CSV file, one row per complaint; every row
    /// is checked first and nothing is written unless all are valid.
    Import {
        /// The data dir of `p3 serve` (it may be running).
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Configuration file (TOML): categories, procedures, calendar, alerts, mail.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The CSV file.
        file: PathBuf,
        /// Check every row and report what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import as of this instant (RFC 3339; for tests).
        #[arg(long, hide = true)]
        now: Option<chrono::DateTime<chrono::Utc>>,
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
    /// Check a configuration file, the policy files, letter templates and TLS certificate it
    /// names, as `p3 serve` would at start: run it after editing a letter template.
    Check {
        /// Configuration file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// Print a signed staff token (its last line is the token); `list` and `revoke` the
    /// tokens made.
    #[command(subcommand_negates_reqs = true, args_conflicts_with_subcommands = true)]
    Token {
        #[command(subcommand)]
        action: Option<users::TokenCmd>,
        /// The staff member's name.
        #[arg(long, required = true)]
        user: Option<String>,
        /// Their email: how they are identified on cases.
        #[arg(long, required = true)]
        email: Option<String>,
        /// officer, investigating_manager, senior_manager or auditor.
        #[arg(long, required = true)]
        role: Option<String>,
        /// Where the signing key lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Hours the token is valid.
        #[arg(long, default_value_t = 12)]
        hours: i64,
        /// Issue it as at this instant, for a server started with `--now` (RFC 3339; for tests).
        #[arg(long, hide = true)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Staff accounts that sign in with a password: add, link, list, disable, role.
    User {
        #[command(subcommand)]
        action: users::UserCmd,
    },
}

pub(crate) struct OsRandom;

impl Random for OsRandom {
    fn bytes10(&self) -> [u8; 10] {
        let mut b = [0u8; 10];
        getrandom::fill(&mut b).expect("the operating system provides randomness");
        b
    }
}

/// Reads the signing key from the data dir, creating it (owner-only) on first use.
pub(crate) fn signing_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    private::signing_key(data_dir)
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
    port: Option<u16>,
    listen: Option<SocketAddr>,
    data_dir: PathBuf,
    config_path: Option<PathBuf>,
    exports_now: Option<chrono::DateTime<chrono::Utc>>,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let config = match &config_path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    private::owner_only_from_now();
    private::prepare_data_dir(&data_dir, &data_dir.join("p3.db"))?;
    let _in_use = data_lock::shared_or_explain(&data_dir)?;
    let key = signing_key(&data_dir)?;
    let clock: Arc<dyn p3_domain::ports::Clock> = match now {
        Some(t) => Arc::new(reports::ShiftedClock::new(t)),
        None => Arc::new(SystemClock),
    };
    let store = Arc::new(
        SqliteStore::open_with_clock(&data_dir.join("p3.db"), clock.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    store.set_idempotency_ttl(chrono::Duration::hours(
        config.settings.retention.idempotency_hours.into(),
    ));
    let notifier = outbox::OutboxNotifier::new(
        data_dir.join("outbox"),
        &config.settings.mail_from,
        config.smtp.as_ref(),
    )?;
    tracing::info!(mail = %mail::route(config.smtp.as_ref()), "mail route");
    let configured = config
        .server
        .listen_addr()
        .map_err(|e| anyhow::anyhow!(e))?;
    let (wanted, source) = listen::resolve(port, listen, configured);
    if source == listen::Source::CommandLine && configured.is_some() {
        tracing::info!(address = %wanted, "the command line's address replaces server.listen");
    }
    let tls = match &config.server.tls {
        Some(files) => Some(Arc::new(tls::Tls::load(&files.cert, &files.key)?)),
        None => None,
    };
    let trusted = Arc::new(
        proxy::TrustedProxies::parse(&config.server.trusted_proxies)
            .map_err(|e| anyhow::anyhow!(e))?,
    );
    let listener = tokio::net::TcpListener::bind(wanted)
        .await
        .with_context(|| format!("cannot listen on {wanted}"))?;
    let addr = listener.local_addr()?;
    let url = listen::url(addr, tls.is_some());
    let base_url = config
        .settings
        .base_url
        .clone()
        .unwrap_or_else(|| url.clone());
    let mut service = service_of(&config, store.clone(), Arc::new(notifier), base_url.clone());
    service.clock = clock.clone();
    let inbox = Arc::new(inbox::FolderInbox::in_data_dir(&data_dir, &key, &base_url));
    match inbox::sweep(&data_dir, std::time::SystemTime::now()) {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "unclaimed uploads older than a day removed"),
        Err(e) => tracing::warn!(error = %e, "the upload inbox could not be swept"),
    }
    let accounts_rules = Arc::new(users::accounts_of(store.clone(), &config.sessions)?);
    let accounts = StaffAccounts(accounts_rules.clone());
    let provider = match &config.sign_in {
        Some(c) => Some(Arc::new(
            p3_oidc::OidcProvider::new(sign_in::settings_of(c, &base_url)?)
                .map_err(|e| anyhow::anyhow!("sign_in: {e}"))?,
        )),
        None => None,
    };
    let auth: Arc<dyn p3_api::auth::Authenticator> = match &provider {
        Some(p) => Arc::new(SessionAuthenticator {
            tokens: sign_in::LocalOrProvider {
                local: TokenKey::new(key),
                provider: p.authenticator(),
            },
        }),
        None => Arc::new(SessionAuthenticator {
            tokens: TokenKey::new(key),
        }),
    };
    let state = AppState {
        service: service.clone(),
        attachments: Arc::new(attachments::FolderAttachments::in_data_dir(&data_dir)),
        inbox: inbox.clone(),
        auth,
        form_limit: Arc::new(RateLimiter::new(
            config.settings.public_form.rate_limit_per_hour,
            Duration::from_secs(3600),
        )),
        code_limit: Arc::new(RateLimiter::new(
            WRONG_CODES_PER_HOUR,
            Duration::from_secs(3600),
        )),
    };
    let reporting = p3_api::reports::Reporting {
        source: store.clone(),
        homes: config.settings.homes(),
        lessons_learned_file: config.settings.reports.lessons_learned_file.clone(),
        records: Some(store.clone()),
    };
    let uploads = upload_route::Uploads {
        inbox,
        clock: service.clock.clone(),
        landlord: service.settings.landlord.clone(),
    };
    let mut app = p3_api::router(state).merge(upload_route::router(uploads));
    if let Some(p) = provider {
        tracing::info!(issuer = %p.settings().issuer, "staff may sign in through the identity provider");
        app = app
            .layer(axum::Extension(p3_api::sign_in::StaffSignIn(p.clone())))
            .layer(axum::middleware::from_fn_with_state(
                p,
                sign_in::keys_for_session,
            ));
    }
    let app = app
        .layer(axum::Extension(reporting))
        .layer(axum::Extension(health::of(store.clone())))
        .layer(axum::Extension(accounts.clone()))
        .layer(axum::middleware::from_fn_with_state(
            accounts,
            p3_api::staff_session::resolve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            trusted,
            proxy::identify_client,
        ));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let exports = reports::ExportJob {
        source: store.clone(),
        rules: service.rules.clone(),
        settings: reports::settings_of(&config, false)?,
        exports: data_dir.join("exports"),
        quarterly: Some(quarterly::QuarterlyMail {
            store: service.store.clone(),
            notifier: service.notifier.clone(),
            recipients: config.settings.reports.quarterly_recipients.clone(),
            base_url: service.settings.base_url.clone(),
        }),
    };
    let export_clock: Arc<dyn p3_domain::ports::Clock> = match exports_now {
        Some(t) => Arc::new(reports::ShiftedClock::new(t)),
        None => Arc::new(SystemClock),
    };
    let export_task = tokio::spawn(exports.run(export_clock, stop_rx.clone()));
    let retention_task = tokio::spawn(retention::run_daily(
        service.clone(),
        store.clone(),
        config.settings.retention.years,
        data_dir.clone(),
        stop_rx.clone(),
    ));
    let idempotency_task = tokio::spawn(idempotency::purge_hourly(store.clone(), stop_rx.clone()));
    let hangup_task = tokio::spawn(tls::reload_on_hangup(tls.clone(), stop_rx.clone()));
    let purge_task = tokio::spawn(users::purge_hourly(accounts_rules, stop_rx.clone()));
    let backup_task = tokio::spawn(backup::run_nightly(
        config.backup.clone(),
        data_dir.clone(),
        clock,
        stop_rx.clone(),
    ));
    let watch_task = match store.change_watch() {
        Ok(w) => Some(tokio::spawn(timers::watch_store(
            w,
            store.timer_wakeup(),
            stop_rx.clone(),
        ))),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the store for other processes' writes");
            None
        }
    };
    let timer_task = tokio::spawn(timers::run(
        service,
        store.clone(),
        store.timer_wakeup(),
        stop_rx,
    ));
    tracing::info!(address = %addr, %url, %base_url, data_dir = %data_dir.display(), startup_ms = started.elapsed().as_millis() as u64, "p3 listening");
    println!("p3 listening on {url} (data in {})", data_dir.display());
    let limits = http::Limits {
        header_read_timeout: Duration::from_secs(config.http.header_read_timeout_seconds),
        body_read_timeout: Duration::from_secs(config.http.body_read_timeout_seconds),
    };
    http::serve(listener, tls, app, limits, async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
    })
    .await;
    let _ = stop_tx.send(true);
    let _ = timer_task.await;
    let _ = export_task.await;
    let _ = retention_task.await;
    let _ = idempotency_task.await;
    let _ = hangup_task.await;
    let _ = purge_task.await;
    let _ = backup_task.await;
    if let Some(t) = watch_task {
        let _ = t.await;
    }
    Ok(())
}

/// `p3 import`: reads and checks the file, then writes through the domain's import path.
fn import_file(
    data_dir: &Path,
    config_path: Option<&Path>,
    file: &Path,
    dry_run: bool,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    let took = std::time::Instant::now();
    let config = match config_path {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let rows = match import::read_rows(file)? {
        Ok(rows) => rows,
        Err(errors) => {
            let summary = import::Summary {
                errors,
                ..Default::default()
            };
            import::print(&summary, file, dry_run, "", took);
            anyhow::bail!("{} was not imported", file.display());
        }
    };
    let _in_use = data_lock::shared_or_explain(data_dir)?;
    let now = now.unwrap_or_else(chrono::Utc::now);
    let clock: Arc<dyn p3_domain::ports::Clock> = Arc::new(reports::ShiftedClock::new(now));
    let store = Arc::new(
        SqliteStore::open_with_clock(&data_dir.join("p3.db"), clock.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let notifier = outbox::OutboxNotifier::new(
        data_dir.join("outbox"),
        &config.settings.mail_from,
        config.smtp.as_ref(),
    )?;
    let base_url = config.settings.base_url.clone().unwrap_or_default();
    let mut service = service_of(&config, store.clone(), Arc::new(notifier), base_url);
    service.clock = clock;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let summary = rt.block_on(import::run(&service, &store, rows, dry_run, now))?;
    import::print(
        &summary,
        file,
        dry_run,
        &config.settings.alerts.complaints_team,
        took,
    );
    anyhow::ensure!(
        summary.errors.is_empty(),
        "{} was not imported",
        file.display()
    );
    Ok(())
}

/// The domain service over the SQLite store, as every command of `p3` runs it.
fn service_of(
    config: &Config,
    store: Arc<SqliteStore>,
    notifier: Arc<dyn p3_domain::ports::Notifier>,
    base_url: String,
) -> Service {
    let mut service = host::service(
        Adapters {
            store: store.clone(),
            scheduler: store,
            notifier,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
        },
        config.settings.host_settings(base_url),
    );
    // Each letter's email copy carries the letter as a PDF, laid out as on the letter route.
    service.notifier = p3_api::pdf::with_letter_pdfs(
        service.notifier.clone(),
        service.rules.letters.landlord.clone(),
    );
    service
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
        &config.settings.mail_from,
        config.smtp.as_ref(),
    )?;
    let base_url = config.settings.base_url.clone().unwrap_or_default();
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
        let files = attachments::FolderAttachments::in_data_dir(data_dir);
        let landlord = &service.rules.letters.landlord;
        let bytes = rt
            .block_on(pack.zip(&files, landlord))
            .map_err(|p| anyhow::anyhow!("{}", p.detail.clone().unwrap_or(p.title.clone())))?;
        (pack.zip_name(), bytes)
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
            listen,
            data_dir,
            config,
            exports_now,
            now,
        } => {
            init_logging();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let result = rt.block_on(serve(port, listen, data_dir, config, exports_now, now));
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
                &config.settings.mail_from,
                config.smtp.as_ref(),
            )?;
            let base_url = config.settings.base_url.clone().unwrap_or_default();
            let service = service_of(&config, store.clone(), Arc::new(notifier), base_url);
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let report = rt.block_on(retention::run_once(
                &service,
                &store,
                config.settings.retention.years,
                &data_dir,
                dry_run,
            ))?;
            retention::print(&report);
            Ok(())
        }
        Cmd::Backup { data_dir, file } => backup::backup_command(&data_dir, &file),
        Cmd::Restore {
            data_dir,
            file,
            force,
        } => backup::restore_command(&data_dir, &file, force),
        Cmd::Import {
            data_dir,
            config,
            file,
            dry_run,
            now,
        } => import_file(&data_dir, config.as_deref(), &file, dry_run, now),
        Cmd::Check { config } => {
            let loaded = Config::load(&config)?;
            if let Some(files) = &loaded.server.tls {
                tls::Tls::load(&files.cert, &files.key)?;
            }
            let letters = loaded.settings.correspondence();
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
            action: Some(action),
            ..
        } => users::token(action),
        Cmd::Token {
            action: None,
            user,
            email,
            role,
            data_dir,
            hours,
            now,
        } => users::issue_token(users::TokenArgs {
            user: user.unwrap_or_default(),
            email: email.unwrap_or_default(),
            role: role.unwrap_or_default(),
            data_dir,
            hours,
            now,
        }),
        Cmd::User { action } => users::user(action),
    }
}
