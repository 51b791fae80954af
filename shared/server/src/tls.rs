//! Built-in HTTPS from a certificate chain and a key in PEM files, re-read on SIGHUP (after a
//! renewal) without dropping a connection: a connection keeps the configuration it shook hands
//! with, new handshakes take the new one, and a certificate that cannot be used is logged and
//! the one in service kept. rustls with the `ring` provider, HTTP/1.1 only.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// The certificate in service and where it is read from.
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Reads the files; an error names the file at fault (and stops start-up).
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Tls> {
        let config = server_config(cert, key)?;
        Ok(Tls {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: RwLock::new(config),
        })
    }

    /// The acceptor for the next handshake.
    pub fn acceptor(&self) -> TlsAcceptor {
        let config = self.current.read().unwrap_or_else(|p| p.into_inner());
        TlsAcceptor::from(Arc::clone(&config))
    }

    /// Reads the files again; on any error the certificate in service stays.
    pub fn reload(&self) -> anyhow::Result<()> {
        let config = server_config(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = config;
        Ok(())
    }
}

fn server_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| anyhow::anyhow!("server.tls.cert: {}: {e}", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "server.tls.cert: {} holds no PEM certificate",
        cert.display()
    );
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("server.tls.key: {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            anyhow::anyhow!(
                "server.tls: {} and {} do not make a usable certificate: {e}",
                cert.display(),
                key.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Re-reads the certificate (if any) on each SIGHUP until `stop` turns true. Without TLS the
/// signal is only logged: a `systemctl reload` must not stop the service.
pub async fn reload_on_hangup(tls: Option<Arc<Tls>>, mut stop: tokio::sync::watch::Receiver<bool>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for SIGHUP; the certificate will not be re-read");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = hangup.recv() => match tls.as_deref().map(|t| (t, t.reload())) {
                    Some((t, Ok(()))) => tracing::info!(cert = %t.cert.display(), "TLS certificate re-read"),
                    Some((_, Err(e))) => tracing::error!(error = %format!("{e:#}"), "TLS certificate not changed: the new one cannot be used"),
                    None => tracing::info!("SIGHUP: no TLS certificate to re-read"),
                },
                _ = stop.changed() => return,
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (tls, stop.changed().await);
    }
}
