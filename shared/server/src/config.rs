//! The landlord's configuration: one TOML file, every setting with a working default, so
//! `p3 serve` with no file is a complete service.

use std::path::{Path, PathBuf};

use p3_domain::alert::AlertAddresses;
use p3_domain::backdating::MAX_BACKDATE_WORKING_DAYS;
use p3_domain::calendar::CalendarConfig;
use p3_domain::complaint::DEFAULT_CATEGORIES;
use p3_domain::policy::Policy;
use serde::Deserialize;

/// All settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The landlord's name, shown on pages and emails.
    pub landlord: String,
    /// Public base URL for links in emails (default: the local address).
    pub base_url: Option<String>,
    /// Complaint categories.
    pub categories: Vec<String>,
    /// Region, extra and removed holidays, closure days.
    pub calendar: CalendarConfig,
    /// Alert recipients.
    pub alerts: AlertAddresses,
    /// The sender address of emails.
    pub mail_from: String,
    /// SMTP relay; off by default (emails go to the outbox folder).
    pub smtp: Option<SmtpConfig>,
    /// Homes owned per tenure, for the Tenant Satisfaction Measures.
    pub homes: Homes,
    /// The public form.
    pub public_form: PublicForm,
    /// Procedures replacing or adding to the built-in ones.
    pub policies: Vec<Policy>,
    /// Policy files (TOML) to load, relative to the config file.
    pub policy_files: Vec<PathBuf>,
    /// Reports.
    pub reports: ReportsConfig,
    /// How long personal data is kept after a case closes.
    pub retention: RetentionConfig,
    /// `[records]`: how far back staff may date an action.
    pub records: RecordsConfig,
    /// Limits on slow clients.
    pub http: HttpConfig,
    /// Letters to residents: the contact details printed on them and the landlord's templates.
    pub letters: LettersConfig,
    /// Where `p3 serve` listens, its HTTPS certificate and the proxies it trusts.
    pub server: ServerSettings,
    /// Staff sessions signed in with a password.
    pub sessions: SessionsConfig,
    /// Nightly backups (off unless `dir` is set).
    pub backup: BackupConfig,
    /// `[sign_in]`: staff sign in through an identity provider (OpenID Connect) too.
    pub sign_in: Option<crate::sign_in::SignInConfig>,
}

/// `[server]`: the listening address, built-in HTTPS, trusted reverse proxies.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// `ADDR:PORT` to listen on (`0.0.0.0:8443`, `[::]:8443`); the command line's `--listen`
    /// or `--port` wins. Default: 127.0.0.1:3000.
    pub listen: Option<String>,
    /// Proxies (CIDRs) whose `X-Forwarded-For`/`Forwarded` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<String>,
    /// Serve HTTPS from these PEM files.
    pub tls: Option<TlsFiles>,
}

/// `[server.tls]`: a certificate chain and its private key, PEM, relative to the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl ServerSettings {
    /// The configured listening address, checked.
    pub fn listen_addr(&self) -> Result<Option<std::net::SocketAddr>, String> {
        self.listen
            .as_deref()
            .map(|a| {
                a.trim().parse().map_err(|_| {
                    format!(
                        "server.listen: `{a}` is not ADDR:PORT, such as 0.0.0.0:8443 or [::]:8443"
                    )
                })
            })
            .transpose()
    }
}

/// `[sessions]`: how long a staff session signed in with a password lasts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionsConfig {
    /// Seconds without a request after which a session ends (default 30 minutes).
    pub idle_timeout_seconds: u64,
    /// Seconds after sign-in after which a session ends however busy (default 12 hours).
    pub absolute_timeout_seconds: u64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig {
            idle_timeout_seconds: 30 * 60,
            absolute_timeout_seconds: 12 * 3600,
        }
    }
}

/// `[backup]`: nightly backups by `p3 serve` (see `backup.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Where to write them, relative to the config file; unset: no nightly backups.
    pub dir: Option<PathBuf>,
    /// How many to keep (the oldest beyond it are deleted after each backup).
    pub keep: u32,
    /// When, `HH:MM` Europe/London.
    pub at: String,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            dir: None,
            keep: 7,
            at: "02:30".into(),
        }
    }
}

impl BackupConfig {
    /// The time of day of `at`, if it is a valid `HH:MM`.
    pub fn time(&self) -> Option<chrono::NaiveTime> {
        chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M").ok()
    }
}

/// `[letters]`: what letters print besides the landlord's name, and where the landlord's own
/// templates are (each checked when the config is loaded: a broken one stops `p3 serve`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LettersConfig {
    /// The complaints team's phone number.
    pub phone: Option<String>,
    /// The complaints team's email address.
    pub email: Option<String>,
    /// The landlord's postal address.
    pub address: Option<String>,
    /// The public site's address, for the link to the resident's complaint page (default: the
    /// service's base URL).
    pub public_url: Option<String>,
    /// A folder of replacement templates (`acknowledgement.html`, `extension.html`,
    /// `stage_response.html`, `refusal.html`, `service_request_complaint.html`,
    /// `footer.html`), relative to the config file. Any not there keep the built-in text.
    pub templates_dir: Option<PathBuf>,
    /// The templates in use, as loaded and checked (not a setting).
    #[serde(skip)]
    pub correspondence: Option<p3_domain::letter::Correspondence>,
}

impl LettersConfig {
    /// The letters' settings with the templates loaded from `templates_dir` (resolved
    /// against `base`) and checked.
    pub fn correspondence(
        &self,
        landlord: &str,
        base_url: Option<&str>,
        base: &Path,
    ) -> anyhow::Result<p3_domain::letter::Correspondence> {
        let landlord = p3_domain::letter::Landlord {
            name: landlord.to_string(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            address: self.address.clone(),
            public_url: self.public_url.clone().or(base_url.map(str::to_string)),
        };
        let overrides = match &self.templates_dir {
            Some(dir) => {
                let full = base.join(dir);
                p3_api::letters::read_template_dir(&full).map_err(|e| {
                    anyhow::anyhow!("letters.templates_dir: {}: {e}", full.display())
                })?
            }
            None => Vec::new(),
        };
        let templates = p3_domain::letter::Templates::load(overrides, &landlord)
            .map_err(|e| anyhow::anyhow!("letters.templates_dir: {e}"))?;
        Ok(p3_domain::letter::Correspondence {
            landlord,
            templates,
        })
    }
}

/// Retention of personal data.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Years after a case closes before its personal data is removed (daily, by `p3 serve`).
    pub years: u32,
    /// Hours an idempotency record (the kept answer to a request, which may hold a new
    /// case's access code, sealed) answers retries before it is deleted.
    pub idempotency_hours: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            years: p3_domain::retention::DEFAULT_YEARS,
            idempotency_hours: 24,
        }
    }
}

/// `[records]`: when it happened vs when it was recorded (see [`p3_domain::backdating`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordsConfig {
    /// Working days before the moment it is recorded that staff may date an action; further
    /// back only a senior manager, with a `backdate_reason`.
    pub backdate_working_days: u32,
}

impl Default for RecordsConfig {
    fn default() -> Self {
        RecordsConfig {
            backdate_working_days: p3_domain::backdating::DEFAULT_BACKDATE_WORKING_DAYS,
        }
    }
}

impl RecordsConfig {
    /// The limit the domain applies.
    pub fn backdate(&self) -> p3_domain::backdating::BackdateLimit {
        p3_domain::backdating::BackdateLimit {
            working_days: self.backdate_working_days,
        }
    }
}

/// Limits on slow clients: a connection that trickles its request is cut off, so a few
/// clients cannot hold every connection open (slowloris).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds a client has to send a request's headers, from its first byte (or, on a kept
    /// connection, from the end of the previous answer).
    pub header_read_timeout_seconds: u64,
    /// Seconds a client has to send a request's whole body, from the end of its headers.
    pub body_read_timeout_seconds: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_read_timeout_seconds: 10,
            body_read_timeout_seconds: 30,
        }
    }
}

/// Report settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportsConfig {
    /// The landlord's lessons learned for the annual report: a text or Markdown file, relative
    /// to the config file, shown escaped (a placeholder when unset).
    pub lessons_learned_file: Option<PathBuf>,
}

/// A mail server: a relay on the local network in plain SMTP (the default, as before), or a
/// mail service over STARTTLS or implicit TLS with a login. The password is never in this
/// file: it comes from `password_file` or the `P3_SMTP_PASSWORD` environment variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Server host name (checked against its certificate under TLS).
    pub host: String,
    /// Server port (default: 25 for `none`, 587 for `starttls`, 465 for `tls`).
    pub port: Option<u16>,
    /// `none` (plain SMTP), `starttls` or `tls` (implicit TLS).
    #[serde(default)]
    pub security: crate::mail::Security,
    /// The login, if the server wants one (needs `starttls` or `tls`).
    pub username: Option<String>,
    /// A file holding the password (its first line), relative to the config file.
    pub password_file: Option<PathBuf>,
    /// An extra trusted root certificate (PEM), relative to the config file, for a relay
    /// whose certificate comes from a private authority.
    pub ca_file: Option<PathBuf>,
    /// Refused: a password written in the config itself (see [`Config::parse`]).
    #[serde(default, rename = "password")]
    pub password_in_config: Option<toml::Value>,
    /// The password as read from `password_file` or `P3_SMTP_PASSWORD` (not a setting).
    #[serde(skip)]
    pub password: Option<crate::mail::Password>,
    /// The `ca_file`'s contents as read (not a setting).
    #[serde(skip)]
    pub ca_pem: Option<Vec<u8>>,
}

/// Homes owned, per tenure.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Homes {
    /// Low-cost rental homes.
    pub low_cost_rental: Option<u32>,
    /// Low-cost home ownership homes.
    pub low_cost_home_ownership: Option<u32>,
}

/// Limits of the public form.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicForm {
    /// Submissions per client per hour (0: no limit).
    pub rate_limit_per_hour: u32,
}

impl Default for PublicForm {
    fn default() -> Self {
        PublicForm {
            rate_limit_per_hour: 20,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            landlord: "P3 Housing".into(),
            base_url: None,
            categories: DEFAULT_CATEGORIES.iter().map(|s| s.to_string()).collect(),
            calendar: CalendarConfig::default(),
            alerts: AlertAddresses::default(),
            mail_from: "complaints-service@p3housing.invalid".into(),
            smtp: None,
            homes: Homes::default(),
            public_form: PublicForm::default(),
            policies: Vec::new(),
            policy_files: Vec::new(),
            reports: ReportsConfig::default(),
            retention: RetentionConfig::default(),
            records: RecordsConfig::default(),
            http: HttpConfig::default(),
            letters: LettersConfig::default(),
            server: ServerSettings::default(),
            sessions: SessionsConfig::default(),
            backup: BackupConfig::default(),
            sign_in: None,
        }
    }
}

impl Config {
    /// Reads a config file; an error names the field at fault.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let mut config =
            Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for file in config.policy_files.clone() {
            let full = base.join(&file);
            let text = std::fs::read_to_string(&full)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", full.display()))?;
            let policy =
                Policy::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", full.display()))?;
            config.policies.push(policy);
        }
        if let Some(file) = config.reports.lessons_learned_file.take() {
            let full = base.join(file);
            std::fs::metadata(&full).map_err(|e| {
                anyhow::anyhow!(
                    "{}: reports.lessons_learned_file: cannot read {}: {e}",
                    path.display(),
                    full.display()
                )
            })?;
            config.reports.lessons_learned_file = Some(full);
        }
        if let Some(tls) = &mut config.server.tls {
            tls.cert = base.join(&tls.cert);
            tls.key = base.join(&tls.key);
        }
        let correspondence = config
            .letters
            .correspondence(&config.landlord, config.base_url.as_deref(), base)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        config.letters.correspondence = Some(correspondence);
        if let Some(smtp) = &mut config.smtp {
            crate::mail::resolve(smtp, base, std::env::var("P3_SMTP_PASSWORD").ok())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        if let Some(dir) = config.backup.dir.take() {
            config.backup.dir = Some(base.join(dir));
        }
        if let Some(sign_in) = &mut config.sign_in {
            crate::sign_in::resolve(
                sign_in,
                base,
                std::env::var(crate::sign_in::SECRET_VAR).ok(),
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        Ok(config)
    }

    /// Parses and checks config text.
    pub fn parse(text: &str) -> Result<Config, String> {
        let de = toml::Deserializer::new(text);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            format!("{path}: {}", e.into_inner().message().trim())
        })?;
        if config.categories.is_empty() {
            return Err("categories: at least one category is needed".into());
        }
        for (i, p) in config.policies.iter().enumerate() {
            p.validate()
                .map_err(|e| format!("policies[{i}].{}: {}", e.field, e.message))?;
        }
        if let Some(smtp) = &config.smtp {
            crate::mail::check(smtp)?;
        }
        if let Some(sign_in) = &config.sign_in {
            crate::sign_in::check(sign_in, config.base_url.as_deref())?;
        }
        let s = &config.sessions;
        if !(1..=7 * 24 * 3600).contains(&s.idle_timeout_seconds)
            || !(1..=31 * 24 * 3600).contains(&s.absolute_timeout_seconds)
        {
            return Err("sessions: idle_timeout_seconds must be from 1 to 604800 and absolute_timeout_seconds from 1 to 2678400".into());
        }
        if config.backup.time().is_none() {
            return Err(format!(
                "backup.at: `{}` is not a time of day as HH:MM (Europe/London)",
                config.backup.at
            ));
        }
        if !(1..=10_000).contains(&config.backup.keep) {
            return Err("backup.keep: must be from 1 to 10000".into());
        }
        if !(1..=100).contains(&config.retention.years) {
            return Err("retention.years: must be from 1 to 100".into());
        }
        if !(1..=24 * 30).contains(&config.retention.idempotency_hours) {
            return Err("retention.idempotency_hours: must be from 1 to 720".into());
        }
        if config.records.backdate_working_days > MAX_BACKDATE_WORKING_DAYS {
            return Err(format!(
                "records.backdate_working_days: must be from 0 to {MAX_BACKDATE_WORKING_DAYS}"
            ));
        }
        for (field, secs) in [
            (
                "http.header_read_timeout_seconds",
                config.http.header_read_timeout_seconds,
            ),
            (
                "http.body_read_timeout_seconds",
                config.http.body_read_timeout_seconds,
            ),
        ] {
            if !(1..=3600).contains(&secs) {
                return Err(format!("{field}: must be from 1 to 3600 seconds"));
            }
        }
        config.server.listen_addr()?;
        crate::proxy::TrustedProxies::parse(&config.server.trusted_proxies)?;
        config.server.listen_addr()?;
        crate::proxy::TrustedProxies::parse(&config.server.trusted_proxies)?;
        for (field, v) in [
            ("alerts.complaints_team", &config.alerts.complaints_team),
            (
                "alerts.head_of_tenant_services",
                &config.alerts.head_of_tenant_services,
            ),
            ("mail_from", &config.mail_from),
        ] {
            if !p3_domain::validation::is_email(v) {
                return Err(format!("{field}: `{v}` is not an email address"));
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_a_complete_configuration() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.landlord, "P3 Housing");
        assert_eq!(c.categories.len(), 9);
        assert_eq!(c.public_form.rate_limit_per_hour, 20);
        assert!(c.smtp.is_none());
        assert_eq!(c.retention.years, 6);
        assert_eq!(c.http.header_read_timeout_seconds, 10);
        assert_eq!(c.http.body_read_timeout_seconds, 30);
    }

    #[test]
    fn retention_and_timeouts_are_checked() {
        let e = Config::parse("[retention]\nyears = 0\n").unwrap_err();
        assert!(e.starts_with("retention.years"), "{e}");
        let e = Config::parse("[http]\nbody_read_timeout_seconds = 0\n").unwrap_err();
        assert!(e.starts_with("http.body_read_timeout_seconds"), "{e}");
        let c = Config::parse("[retention]\nyears = 7\n[http]\nheader_read_timeout_seconds = 2\n")
            .unwrap();
        assert_eq!(
            (c.retention.years, c.http.header_read_timeout_seconds),
            (7, 2)
        );
    }

    #[test]
    fn how_far_back_staff_may_date_an_action_is_configured_and_checked() {
        assert_eq!(Config::parse("").unwrap().records.backdate_working_days, 2);
        let c = Config::parse("[records]\nbackdate_working_days = 5\n").unwrap();
        assert_eq!(c.records.backdate().working_days, 5);
        let e = Config::parse("[records]\nbackdate_working_days = 1001\n").unwrap_err();
        assert!(e.starts_with("records.backdate_working_days"), "{e}");
        let e = Config::parse("[records]\nbackdate_working_days = -1\n").unwrap_err();
        assert!(e.contains("backdate_working_days"), "{e}");
    }

    #[test]
    fn a_bad_setting_names_its_field() {
        let e = Config::parse("[public_form]\nrate_limit_per_hour = \"lots\"\n").unwrap_err();
        assert!(e.starts_with("public_form.rate_limit_per_hour"), "{e}");
        let e = Config::parse(
            "[alerts]\ncomplaints_team = \"nobody\"\nhead_of_tenant_services = \"h@p3.example\"\n",
        )
        .unwrap_err();
        assert!(e.starts_with("alerts.complaints_team"), "{e}");
        let e = Config::parse("colour = 1\n").unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn listen_and_trusted_proxies_are_checked() {
        let c = Config::parse(
            "[server]\nlisten = \"[::]:8443\"\ntrusted_proxies = [\"10.0.0.0/8\", \"::1/128\"]\n",
        )
        .unwrap();
        assert_eq!(c.server.listen_addr().unwrap().unwrap().port(), 8443);
        let e = Config::parse("[server]\nlisten = \"localhost\"\n").unwrap_err();
        assert!(e.starts_with("server.listen"), "{e}");
        let e = Config::parse("[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n").unwrap_err();
        assert!(e.starts_with("server.trusted_proxies[0]"), "{e}");
        let e = Config::parse("[server.tls]\ncert = \"c.pem\"\n").unwrap_err();
        assert!(e.contains("key"), "{e}");
    }

    #[test]
    fn nightly_backups_are_checked() {
        let c = Config::parse("[backup]\ndir = \"backups\"\nkeep = 14\nat = \"01:15\"\n").unwrap();
        assert_eq!(c.backup.keep, 14);
        assert_eq!(c.backup.time(), chrono::NaiveTime::from_hms_opt(1, 15, 0));
        let e = Config::parse("[backup]\nat = \"25:00\"\n").unwrap_err();
        assert!(e.starts_with("backup.at"), "{e}");
        let e = Config::parse("[backup]\nkeep = 0\n").unwrap_err();
        assert!(e.starts_with("backup.keep"), "{e}");
    }

    #[test]
    fn closure_days_and_policies_can_be_configured() {
        let c =
            Config::parse("[calendar]\nclosure_days = [\"2026-12-29\", \"2026-12-30\"]\n").unwrap();
        assert_eq!(c.calendar.closure_days.len(), 2);
    }
}
