//! Staff accounts on the command line and their wiring into `p3 serve`:
//!
//! - `p3 user add --email E --name N --role R` prints a one-time link to set the password;
//!   `p3 user link --email E` a new one (a forgotten password);
//! - `p3 user list`, `p3 user disable --email E`, `p3 user role --email E --role R`;
//! - `p3 token` (its last line is the token, with an id), `p3 token list`,
//!   `p3 token revoke --id ID`.
//!
//! Each command opens the same store as `p3 serve`, which may be running: a change applies to
//! its next request (disabling ends sessions and refuses tokens at once).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use clap::Subcommand;
use p3_api::auth::{Role, TokenKey};
use p3_domain::ports::{StoreError, SystemClock};
use p3_domain::staff_account::{
    Accounts, Backoff, IssuedToken, PasswordHasher, SessionPolicy, StaffAccountStore,
    DEFAULT_LINK_HOURS,
};
use p3_sqlite::SqliteStore;

use crate::config::{Config, SessionsConfig};
use crate::OsRandom;

/// Argon2id with its default (OWASP) cost: 19 MiB, 2 passes, 1 lane; run off the async
/// threads.
pub struct Argon2Hasher {
    /// A hash of a random password, checked against when the email has no password, so an
    /// unknown email takes as long as a known one.
    dummy: String,
}

fn argon2_hash(password: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StoreError::Unavailable(format!("randomness: {e}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| StoreError::Unavailable(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Unavailable(format!("hashing: {e}")))
}

fn argon2_verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

impl Argon2Hasher {
    /// A hasher with a fresh dummy hash.
    pub fn new() -> anyhow::Result<Argon2Hasher> {
        let mut pw = [0u8; 16];
        getrandom::fill(&mut pw).map_err(|e| anyhow::anyhow!("randomness: {e}"))?;
        let pw: String = pw.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Argon2Hasher {
            dummy: argon2_hash(&pw).map_err(|e| anyhow::anyhow!("{e}"))?,
        })
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String, StoreError> {
        let password = password.to_string();
        tokio::task::spawn_blocking(move || argon2_hash(&password))
            .await
            .map_err(|e| StoreError::Unavailable(format!("hashing: {e}")))?
    }

    async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let (password, real) = (password.to_string(), hash.is_some());
        let hash = hash.unwrap_or(&self.dummy).to_string();
        let matched = tokio::task::spawn_blocking(move || argon2_verify(&password, &hash))
            .await
            .unwrap_or(false);
        matched && real
    }
}

/// The account rules over the SQLite store, with the configured session time-outs.
pub fn accounts_of(store: Arc<SqliteStore>, sessions: &SessionsConfig) -> anyhow::Result<Accounts> {
    Ok(Accounts {
        store,
        hasher: Arc::new(Argon2Hasher::new()?),
        clock: Arc::new(SystemClock),
        random: Arc::new(OsRandom),
        sessions: SessionPolicy {
            idle: Duration::seconds(sessions.idle_timeout_seconds as i64),
            absolute: Duration::seconds(sessions.absolute_timeout_seconds as i64),
        },
        backoff: Backoff::default(),
    })
}

/// Deletes ended sessions, expired links and old wrong-password counts every hour until
/// `stop` turns true.
pub async fn purge_hourly(accounts: Arc<Accounts>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match accounts.purge().await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "ended staff sessions and links purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot purge ended staff sessions"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// `p3 user …`.
#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a staff account; prints a one-time link to set its password.
    Add {
        /// Their email: how they sign in and are identified on cases.
        #[arg(long)]
        email: String,
        /// Their name.
        #[arg(long)]
        name: String,
        /// officer, investigating_manager, senior_manager or auditor.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        link: LinkArgs,
    },
    /// Print a new one-time link to set the password of an account (a forgotten password).
    Link {
        /// The account's email.
        #[arg(long)]
        email: String,
        #[command(flatten)]
        link: LinkArgs,
    },
    /// List the staff accounts.
    List {
        /// Where the store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Disable an account: its sessions end and its tokens are refused at once.
    Disable {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// Where the store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Change an account's role (its sessions have the new role at their next request).
    Role {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// officer, investigating_manager, senior_manager or auditor.
        #[arg(long)]
        role: String,
        /// Where the store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
}

/// Where a set-password link points and how long it works.
#[derive(clap::Args)]
pub struct LinkArgs {
    /// Where the store lives.
    #[arg(long, default_value = "./data")]
    data_dir: PathBuf,
    /// Configuration file: the link starts with its `base_url`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The service's public address, overriding the config's `base_url`.
    #[arg(long)]
    base_url: Option<String>,
    /// Hours the link works.
    #[arg(long, default_value_t = DEFAULT_LINK_HOURS)]
    link_hours: i64,
    /// Seconds the link works, instead of hours (for tests).
    #[arg(long, hide = true)]
    link_seconds: Option<i64>,
}

impl LinkArgs {
    fn ttl(&self) -> anyhow::Result<Duration> {
        let ttl = match self.link_seconds {
            Some(s) => Duration::seconds(s),
            None => Duration::hours(self.link_hours),
        };
        anyhow::ensure!(
            ttl > Duration::zero() && ttl <= Duration::days(31),
            "--link-hours must be from 1 to 744"
        );
        Ok(ttl)
    }

    fn base_url(&self) -> anyhow::Result<String> {
        if let Some(b) = &self.base_url {
            return Ok(b.trim_end_matches('/').to_string());
        }
        let config = match &self.config {
            Some(p) => Config::load(p)?,
            None => Config::default(),
        };
        Ok(config
            .settings
            .base_url
            .unwrap_or_else(|| "http://127.0.0.1:3000".into())
            .trim_end_matches('/')
            .to_string())
    }
}

/// Opens the store of a data dir, which must exist unless `create`.
fn open_store(data_dir: &Path, create: bool) -> anyhow::Result<Arc<SqliteStore>> {
    let db = data_dir.join("p3.db");
    if !create {
        anyhow::ensure!(
            db.exists(),
            "no store at {}: give the --data-dir of `p3 serve`",
            db.display()
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    Ok(Arc::new(
        SqliteStore::open(&db).map_err(|e| anyhow::anyhow!("{e}"))?,
    ))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn local(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn print_link(base: &str, secret: &str, ttl: Duration) {
    let hours = ttl.num_hours();
    let within = if hours >= 1 {
        format!("{hours} hours")
    } else {
        format!("{} minutes", ttl.num_minutes().max(1))
    };
    println!("Send this link to them; it sets their password once and works for {within}:");
    println!("{base}/staff/set-password?link={secret}");
}

/// Runs `p3 user …`.
pub fn user(cmd: UserCmd) -> anyhow::Result<()> {
    let rt = runtime()?;
    match cmd {
        UserCmd::Add {
            email,
            name,
            role,
            link,
        } => {
            let (ttl, base) = (link.ttl()?, link.base_url()?);
            let accounts = accounts_of(open_store(&link.data_dir, true)?, &Default::default())?;
            let secret = rt.block_on(accounts.add(&email, &name, &role, ttl))?;
            println!(
                "Added {} <{}> as {}.",
                name.trim(),
                email.trim().to_ascii_lowercase(),
                role
            );
            print_link(&base, &secret, ttl);
        }
        UserCmd::Link { email, link } => {
            let (ttl, base) = (link.ttl()?, link.base_url()?);
            let accounts = accounts_of(open_store(&link.data_dir, false)?, &Default::default())?;
            let secret = rt.block_on(accounts.new_link(&email, ttl))?;
            print_link(&base, &secret, ttl);
        }
        UserCmd::List { data_dir } => {
            let store = open_store(&data_dir, false)?;
            let all = rt.block_on(store.accounts())?;
            if all.is_empty() {
                println!(
                    "No staff accounts. Add one with: p3 user add --email E --name N --role R"
                );
            }
            for a in all {
                let state = match (a.disabled_at, &a.password_hash) {
                    (Some(t), _) => format!("disabled {}", local(t)),
                    (None, None) => "password not set yet".into(),
                    (None, Some(_)) => "active".into(),
                };
                println!("{}\t{}\t{}\t{state}", a.email, a.name, a.role);
            }
        }
        UserCmd::Disable { email, data_dir } => {
            let accounts = accounts_of(open_store(&data_dir, false)?, &Default::default())?;
            rt.block_on(accounts.disable(&email))?;
            println!(
                "Disabled {}: its sessions have ended and its tokens are refused.",
                email.trim().to_ascii_lowercase()
            );
        }
        UserCmd::Role {
            email,
            role,
            data_dir,
        } => {
            let accounts = accounts_of(open_store(&data_dir, false)?, &Default::default())?;
            rt.block_on(accounts.set_role(&email, &role))?;
            println!("{} is now {role}.", email.trim().to_ascii_lowercase());
        }
    }
    Ok(())
}

/// `p3 token list` and `p3 token revoke`.
#[derive(Subcommand)]
pub enum TokenCmd {
    /// List the tokens made with `p3 token` (since tokens had ids).
    List {
        /// Where the store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Revoke a token by its id: it is refused from its next request.
    Revoke {
        /// The token's id (from `p3 token list`, or printed when it was made).
        #[arg(long)]
        id: String,
        /// Where the store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
}

/// What `p3 token` makes a token for.
pub struct TokenArgs {
    /// Name.
    pub user: String,
    /// Email.
    pub email: String,
    /// Role name.
    pub role: String,
    /// Where the signing key and the store live.
    pub data_dir: PathBuf,
    /// Hours it is valid.
    pub hours: i64,
    /// When it is issued, for a server started with `--now` (tests); now when not given.
    pub now: Option<chrono::DateTime<Utc>>,
}

/// `p3 token --user … --email … --role …`: signs a token with an id and records it; the token
/// is the last line printed.
pub fn issue_token(a: TokenArgs) -> anyhow::Result<()> {
    let role = Role::parse(&a.role).ok_or_else(|| {
        anyhow::anyhow!("--role must be officer, investigating_manager, senior_manager or auditor")
    })?;
    anyhow::ensure!(
        p3_domain::validation::is_email(&a.email),
        "--email must be an email address"
    );
    anyhow::ensure!(
        (1..=24 * 31).contains(&a.hours),
        "--hours must be from 1 to 744"
    );
    let key = TokenKey::new(crate::signing_key(&a.data_dir)?);
    let mut id = [0u8; 12];
    getrandom::fill(&mut id).map_err(|e| anyhow::anyhow!("randomness: {e}"))?;
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let now = a.now.unwrap_or_else(Utc::now);
    let ttl = Duration::hours(a.hours);
    let email = a.email.to_ascii_lowercase();
    let store = open_store(&a.data_dir, true)?;
    runtime()?.block_on(store.add_token(&IssuedToken {
        id: id.clone(),
        email: email.clone(),
        name: a.user.clone(),
        role: role.as_str().into(),
        issued_at: now,
        expires_at: now + ttl,
        revoked_at: None,
    }))?;
    let token = key.issue_with_id(&a.user, &email, role, now, ttl, Some(&id));
    println!(
        "Staff token {id} for {} <{email}> as {} (valid {} hours):",
        a.user,
        role.as_str(),
        a.hours
    );
    println!("{token}");
    Ok(())
}

/// Runs `p3 token list|revoke`.
pub fn token(cmd: TokenCmd) -> anyhow::Result<()> {
    let rt = runtime()?;
    match cmd {
        TokenCmd::List { data_dir } => {
            let store = open_store(&data_dir, false)?;
            let now = Utc::now();
            let tokens = rt.block_on(store.tokens())?;
            if tokens.is_empty() {
                println!("No tokens recorded.");
            }
            for t in tokens {
                let state = match t.revoked_at {
                    Some(r) => format!("revoked {}", local(r)),
                    None if t.expires_at <= now => format!("expired {}", local(t.expires_at)),
                    None => format!("valid until {}", local(t.expires_at)),
                };
                println!("{}\t{}\t{}\t{state}", t.id, t.email, t.role);
            }
        }
        TokenCmd::Revoke { id, data_dir } => {
            let store = open_store(&data_dir, false)?;
            let found = rt.block_on(store.revoke_token(id.trim(), Utc::now()))?;
            anyhow::ensure!(found, "no token has the id {}", id.trim());
            println!("Revoked token {}: it is refused from now on.", id.trim());
        }
    }
    Ok(())
}
