//! Each letter's PDF attached to its email copies: a [`Notifier`] in front of the host's own
//! (the outbox and SMTP locally, SES on AWS) that writes the PDF of the letter an email is a
//! copy of (its enclosure, set by the domain) and adds it to the email's attachments.

use std::sync::Arc;

use async_trait::async_trait;
use p3_domain::alert::{AlertEmail, EmailAttachment};
use p3_domain::letter::Landlord;
use p3_domain::ports::{Notifier, NotifyError};

/// Attaches the PDF of the letter an email is a copy of, then hands the email to `inner`.
/// Emails that are no letter's copy (alerts, reports) go on as they are.
pub struct AttachLetterPdfs {
    inner: Arc<dyn Notifier>,
    landlord: Landlord,
}

impl AttachLetterPdfs {
    /// Sends through `inner`, the letters laid out with `landlord`'s name and contact details
    /// (the same as on the letter route's PDF).
    pub fn new(inner: Arc<dyn Notifier>, landlord: Landlord) -> AttachLetterPdfs {
        AttachLetterPdfs { inner, landlord }
    }
}

#[async_trait]
impl Notifier for AttachLetterPdfs {
    async fn send(&self, email: &AlertEmail) -> Result<(), NotifyError> {
        let Some(enclosure) = &email.enclosure else {
            return self.inner.send(email).await;
        };
        let mut email = email.clone();
        match super::letter(&enclosure.reference, &enclosure.letter, &self.landlord) {
            Ok(content) => email.attachments.push(EmailAttachment {
                filename: super::letter_file_name(&enclosure.reference, enclosure.letter.number),
                content_type: "application/pdf".into(),
                content,
            }),
            // The text is the letter itself: better sent without its PDF than not at all
            // (the writer's failure is logged, without personal data, where it happens).
            Err(_) => tracing::warn!(
                reference = %enclosure.reference,
                letter = enclosure.letter.number,
                "the letter's email goes without its PDF"
            ),
        }
        self.inner.send(&email).await
    }
}
