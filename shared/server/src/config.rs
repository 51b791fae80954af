//! The landlord's configuration: one TOML file, every setting with a working default, so
//! `p3 serve` with no file is a complete service.

//! The local server's configuration: the landlord's settings both hosts share
//! ([`p3_config::Settings`], parsed and checked there, the same for the Lambda functions) and
//! the sections only `p3 serve` reads (`server`, `smtp`, `sessions`, `backup`, `sign_in`,
//! `http`). One TOML file, every setting with a working default, so `p3 serve` with no file is
//! a complete service.

use std::path::{Path, PathBuf};

pub use p3_config::Settings;
use serde::Deserialize;

/// All settings: the shared ones and the local server's own sections.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The landlord's settings, as every host reads them (not a section: the rest of the file).
    #[serde(skip)]
    pub settings: Settings,
    /// SMTP relay; off by default (emails go to the outbox folder).
    pub smtp: Option<SmtpConfig>,
    /// Limits on slow clients.
    pub http: HttpConfig,
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

impl Config {
    /// Reads a config file; an error names the field at fault.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let (settings, host) = Settings::read_split(path).map_err(anyhow::Error::msg)?;
        let mut config = Config::parse_host(settings, host)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        config
            .settings
            .read_files(path)
            .map_err(anyhow::Error::msg)?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(tls) = &mut config.server.tls {
            tls.cert = base.join(&tls.cert);
            tls.key = base.join(&tls.key);
        }
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

    /// Parses and checks config text (`load` without the files it names).
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<Config, String> {
        let (settings, host) = Settings::parse_split(text)?;
        Config::parse_host(settings, host)
    }

    /// The local server's own sections, parsed and checked, with the shared settings.
    fn parse_host(settings: Settings, host: toml::Table) -> Result<Config, String> {
        let mut config: Config = p3_config::deserialize(toml::Value::Table(host))?;
        config.settings = settings;
        if let Some(smtp) = &config.smtp {
            crate::mail::check(smtp)?;
        }
        if let Some(sign_in) = &config.sign_in {
            crate::sign_in::check(sign_in, config.settings.base_url.as_deref())?;
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
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_a_complete_configuration() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.settings.landlord, "P3 Housing");
        assert_eq!(c.settings.categories.len(), 9);
        assert_eq!(c.settings.public_form.rate_limit_per_hour, 20);
        assert!(c.smtp.is_none());
        assert_eq!(c.settings.retention.years, 6);
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
            (
                c.settings.retention.years,
                c.http.header_read_timeout_seconds
            ),
            (7, 2)
        );
    }

    #[test]
    fn how_far_back_staff_may_date_an_action_is_configured_and_checked() {
        assert_eq!(
            Config::parse("")
                .unwrap()
                .settings
                .records
                .backdate_working_days,
            2
        );
        let c = Config::parse("[records]\nbackdate_working_days = 5\n").unwrap();
        assert_eq!(c.settings.records.backdate().working_days, 5);
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
        assert_eq!(c.settings.calendar.closure_days.len(), 2);
    }
}
