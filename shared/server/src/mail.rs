//! Mail through a real mail server (`[smtp]`): plain SMTP to a relay on the local network, or
//! STARTTLS / implicit TLS with a login, as Microsoft 365 or Google Workspace style services
//! want. TLS is rustls on the `ring` provider, trusting the Mozilla roots and, when given, one
//! private authority (`ca_file`). The password never sits in the config: it comes from
//! `password_file` or `P3_SMTP_PASSWORD`, and never reaches a log.

use std::path::Path;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use serde::Deserialize;

use crate::config::SmtpConfig;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain SMTP, for a trusted relay on the local network (no login).
    #[default]
    None,
    /// Plain SMTP upgraded with STARTTLS, which the server must offer (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl Security {
    /// The port used when `port` is not set.
    pub fn default_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::Starttls => 587,
            Security::Tls => 465,
        }
    }
}

/// The mail server's password: shown as `[hidden]` in any debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[hidden]")
    }
}

/// Checks the `[smtp]` settings as written (before any file is read).
pub fn check(smtp: &SmtpConfig) -> Result<(), String> {
    if smtp.password_in_config.is_some() {
        return Err(
            "smtp.password: a password is never kept in the config file; \
                    put it in a file named by smtp.password_file (readable only by the \
                    service's user) or in the P3_SMTP_PASSWORD environment variable"
                .into(),
        );
    }
    if smtp.host.trim().is_empty() {
        return Err("smtp.host: must not be empty".into());
    }
    if smtp.port == Some(0) {
        return Err("smtp.port: must be from 1 to 65535".into());
    }
    if smtp.username.is_some() && smtp.security == Security::None {
        return Err(
            "smtp.username: a login needs security = \"starttls\" or \"tls\" \
                    (the password would otherwise cross the network in clear)"
                .into(),
        );
    }
    if smtp
        .username
        .as_deref()
        .is_some_and(|u| u.trim().is_empty())
    {
        return Err("smtp.username: must not be empty".into());
    }
    if smtp.password_file.is_some() && smtp.username.is_none() {
        return Err("smtp.password_file: set smtp.username too".into());
    }
    if smtp.ca_file.is_some() && smtp.security == Security::None {
        return Err("smtp.ca_file: only used with security = \"starttls\" or \"tls\"".into());
    }
    Ok(())
}

/// Reads what the settings point to: the password (from `password_file`, relative to `base`,
/// else from `env_password`) and the `ca_file`, checked as PEM certificates.
pub fn resolve(
    smtp: &mut SmtpConfig,
    base: &Path,
    env_password: Option<String>,
) -> anyhow::Result<()> {
    if smtp.username.is_some() {
        let password = match &smtp.password_file {
            Some(file) => {
                let full = base.join(file);
                let text = std::fs::read_to_string(&full).map_err(|e| {
                    anyhow::anyhow!("smtp.password_file: cannot read {}: {e}", full.display())
                })?;
                #[cfg(unix)]
                if let Ok(meta) = std::fs::metadata(&full) {
                    use std::os::unix::fs::PermissionsExt;
                    if meta.permissions().mode() & 0o077 != 0 {
                        tracing::warn!(
                            file = %full.display(),
                            "smtp.password_file can be read by other users: make it owner-only (chmod 600)"
                        );
                    }
                }
                text.lines().next().unwrap_or_default().to_string()
            }
            None => env_password.ok_or_else(|| {
                anyhow::anyhow!(
                    "smtp.username is set but there is no password: set smtp.password_file \
                     or the P3_SMTP_PASSWORD environment variable"
                )
            })?,
        };
        anyhow::ensure!(
            !password.is_empty(),
            "smtp: the password (from smtp.password_file or P3_SMTP_PASSWORD) is empty"
        );
        smtp.password = Some(Password(password));
    }
    if let Some(file) = &smtp.ca_file {
        let full = base.join(file);
        let pem = std::fs::read(&full)
            .map_err(|e| anyhow::anyhow!("smtp.ca_file: cannot read {}: {e}", full.display()))?;
        Certificate::from_pem(&pem).map_err(|e| {
            anyhow::anyhow!(
                "smtp.ca_file: {} is not a PEM certificate: {e}",
                full.display()
            )
        })?;
        anyhow::ensure!(
            String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----"),
            "smtp.ca_file: {} holds no PEM certificate",
            full.display()
        );
        smtp.ca_pem = Some(pem);
    }
    Ok(())
}

/// Seconds a connection, a command or the message may take before the attempt counts as
/// failed (and is retried later).
const TIMEOUT: Duration = Duration::from_secs(30);

/// The transport the settings describe.
pub fn transport(smtp: &SmtpConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let port = smtp.port.unwrap_or(smtp.security.default_port());
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(port)
        .timeout(Some(TIMEOUT));
    if smtp.security != Security::None {
        let mut tls = TlsParameters::builder(smtp.host.clone());
        if let Some(pem) = &smtp.ca_pem {
            let cert = Certificate::from_pem(pem)
                .map_err(|e| anyhow::anyhow!("smtp.ca_file: not a PEM certificate: {e}"))?;
            tls = tls.add_root_certificate(cert);
        }
        let tls = tls
            .build_rustls()
            .map_err(|e| anyhow::anyhow!("smtp: cannot set up TLS: {e}"))?;
        builder = builder.tls(match smtp.security {
            Security::Tls => Tls::Wrapper(tls),
            _ => Tls::Required(tls),
        });
    }
    if let (Some(user), Some(Password(password))) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// Where mail goes, for the start-up log: `outbox only`, or the server, port, security and
/// whether it logs in (never the login or the password).
pub fn route(smtp: Option<&SmtpConfig>) -> String {
    match smtp {
        None => "outbox only (no [smtp])".into(),
        Some(s) => format!(
            "{}:{} security={:?}{}",
            s.host,
            s.port.unwrap_or(s.security.default_port()),
            s.security,
            if s.username.is_some() {
                " with a login"
            } else {
                ""
            }
        )
        .to_lowercase(),
    }
}

/// What a failed send is logged and retried as: the server's reply code and the kind of
/// failure, never the server's text (a refusal may quote a recipient's address).
pub fn describe(e: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = e.status() {
        let kind = if e.is_permanent() {
            "refused"
        } else {
            "deferred"
        };
        return format!("SMTP: the mail server {kind} it (reply code {code})");
    }
    if e.is_tls() {
        return format!("SMTP: TLS with the mail server failed: {e}");
    }
    if e.is_timeout() {
        return "SMTP: the mail server did not answer in time".into();
    }
    format!("SMTP: cannot reach the mail server: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn smtp(text: &str) -> Result<SmtpConfig, String> {
        Config::parse(text).map(|c| c.smtp.expect("an [smtp] table"))
    }

    #[test]
    fn an_old_relay_setting_still_means_plain_smtp() {
        let s = smtp("[smtp]\nhost = \"relay.internal\"\nport = 2525\n").unwrap();
        assert_eq!((s.security, s.port), (Security::None, Some(2525)));
        let s = smtp("[smtp]\nhost = \"relay.internal\"\n").unwrap();
        assert_eq!(s.port.unwrap_or(s.security.default_port()), 25);
    }

    #[test]
    fn a_password_in_the_config_is_refused_with_where_it_goes_instead() {
        let e = smtp(
            "[smtp]\nhost = \"smtp.example\"\nsecurity = \"starttls\"\nusername = \"u\"\npassword = \"hunter2\"\n",
        )
        .unwrap_err();
        assert!(e.starts_with("smtp.password:"), "{e}");
        assert!(
            e.contains("password_file") && e.contains("P3_SMTP_PASSWORD"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn a_login_needs_tls() {
        let e = smtp("[smtp]\nhost = \"relay\"\nusername = \"u\"\n").unwrap_err();
        assert!(e.starts_with("smtp.username"), "{e}");
        let e = smtp("[smtp]\nhost = \"relay\"\nsecurity = \"ssl\"\n").unwrap_err();
        assert!(e.starts_with("smtp.security"), "{e}");
    }

    #[test]
    fn the_password_comes_from_its_file_relative_to_the_config_or_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("smtp.password"), "from-file\n").unwrap();
        let text = "[smtp]\nhost = \"smtp.example\"\nsecurity = \"starttls\"\nusername = \"u@example.org\"\n";
        let mut s = smtp(&format!("{text}password_file = \"smtp.password\"\n")).unwrap();
        resolve(&mut s, dir.path(), Some("from-env".into())).unwrap();
        assert_eq!(s.password, Some(Password("from-file".into())));
        assert_eq!(format!("{:?}", s.password), "Some([hidden])");

        let mut s = smtp(text).unwrap();
        resolve(&mut s, dir.path(), Some("from-env".into())).unwrap();
        assert_eq!(s.password, Some(Password("from-env".into())));

        let mut s = smtp(text).unwrap();
        let e = resolve(&mut s, dir.path(), None).unwrap_err().to_string();
        assert!(e.contains("P3_SMTP_PASSWORD"), "{e}");

        let mut s = smtp(&format!("{text}password_file = \"missing\"\n")).unwrap();
        let e = resolve(&mut s, dir.path(), None).unwrap_err().to_string();
        assert!(e.starts_with("smtp.password_file"), "{e}");
    }

    #[test]
    fn a_ca_file_that_is_not_a_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), "not a certificate").unwrap();
        let mut s =
            smtp("[smtp]\nhost = \"smtp.example\"\nsecurity = \"tls\"\nca_file = \"ca.pem\"\n")
                .unwrap();
        let e = resolve(&mut s, dir.path(), None).unwrap_err().to_string();
        assert!(e.starts_with("smtp.ca_file"), "{e}");
    }
}
