//! Local email delivery: RFC 5322 `.eml` files in `<data-dir>/outbox/`, or an SMTP relay when
//! configured. A file per alert id, written atomically, so a resend of the same alert is a no-op.
//! The message is written by `p3-mail` (a letter's copy: the text and the letter's PDF).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use p3_domain::alert::AlertEmail;
use p3_domain::ports::{Notifier, NotifyError};

use crate::config::SmtpConfig;

/// Writes emails to the outbox folder, and also relays them by SMTP when configured.
pub struct OutboxNotifier {
    dir: PathBuf,
    from: Mailbox,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl OutboxNotifier {
    /// An outbox in `dir` (created if missing, owner-only), sending from `from`, relaying
    /// through the mail server `smtp` when set.
    pub fn new(
        dir: PathBuf,
        from: &str,
        smtp: Option<&SmtpConfig>,
    ) -> anyhow::Result<OutboxNotifier> {
        crate::private::create_dir(&dir)?;
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail_from: {e}"))?;
        let smtp = smtp.map(crate::mail::transport).transpose()?;
        Ok(OutboxNotifier { dir, from, smtp })
    }

    /// Deletes the outbox copies of a case's letters and alerts (their files are named after
    /// the notice's id, which starts with the case's reference); returns how many.
    pub fn forget(dir: &Path, reference: &str) -> std::io::Result<usize> {
        let prefix = format!("{reference}.");
        let mut removed = 0;
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(".eml") {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        if removed > 0 {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(removed)
    }

    fn message(&self, email: &AlertEmail) -> Result<Message, NotifyError> {
        p3_mail::message(email, &self.from)
    }
}

#[async_trait]
impl Notifier for OutboxNotifier {
    async fn send(&self, email: &AlertEmail) -> Result<(), NotifyError> {
        let file = self.dir.join(format!("{}.eml", email.alert_id));
        if tokio::fs::try_exists(&file).await.unwrap_or(false) {
            return Ok(());
        }
        let message = self.message(email)?;
        if let Some(smtp) = &self.smtp {
            smtp.send(message.clone())
                .await
                .map_err(|e| NotifyError(crate::mail::describe(&e)))?;
        }
        let bytes = message.formatted();
        let tmp = self.dir.join(format!(".{}.tmp", email.alert_id));
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = crate::private::create_file(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &file)?;
            std::fs::File::open(&dir)?.sync_all()
        })
        .await
        .map_err(|e| NotifyError(e.to_string()))?
        .map_err(|e| NotifyError(format!("outbox: {e}")))
    }
}
