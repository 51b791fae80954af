//! Alert emails through Amazon SES (v2 `SendEmail`). The domain decides what to send and
//! records each alert as sent by its id after SES accepts it, so a retried event sends once.
//! An email with attachments (a letter's copy with its PDF) goes as raw content: the same
//! Internet message the local server writes (`p3-mail`); the others as simple content.

use async_trait::async_trait;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{
    Body, Content, Destination, EmailContent, Message, MessageTag, RawMessage,
};
use p3_domain::alert::AlertEmail;
use p3_domain::ports::{Notifier, NotifyError};

/// The [`Notifier`] on SES.
#[derive(Debug, Clone)]
pub struct SesNotifier {
    client: aws_sdk_sesv2::Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesNotifier {
    /// Sends from `from`, which must be a verified SES identity (or in a verified domain).
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> SesNotifier {
        SesNotifier {
            client,
            from: from.into(),
            configuration_set: None,
        }
    }

    /// Sends through a configuration set (bounce and delivery events, suppression).
    pub fn with_configuration_set(mut self, name: impl Into<String>) -> SesNotifier {
        self.configuration_set = Some(name.into());
        self
    }
}

fn text(data: &str) -> Result<Content, NotifyError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| NotifyError(e.to_string()))
}

/// A tag value SES accepts (`[A-Za-z0-9_-]`), so a sent email can be traced to its alert.
fn tag_value(alert_id: &str) -> String {
    alert_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(256)
        .collect()
}

#[async_trait]
impl Notifier for SesNotifier {
    async fn send(&self, email: &AlertEmail) -> Result<(), NotifyError> {
        let content = if email.attachments.is_empty() {
            let message = Message::builder()
                .subject(text(&email.subject)?)
                .body(Body::builder().text(text(&email.body)?).build())
                .build();
            EmailContent::builder().simple(message).build()
        } else {
            let from =
                p3_mail::mailbox(&self.from).map_err(|e| NotifyError(format!("MAIL_FROM: {e}")))?;
            let raw = RawMessage::builder()
                .data(Blob::new(p3_mail::message(email, &from)?.formatted()))
                .build()
                .map_err(|e| NotifyError(e.to_string()))?;
            EmailContent::builder().raw(raw).build()
        };
        let tag = MessageTag::builder()
            .name("alert")
            .value(tag_value(&email.alert_id))
            .build()
            .map_err(|e| NotifyError(e.to_string()))?;
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(email.to.clone()))
                    .build(),
            )
            .content(content)
            .email_tags(tag)
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| NotifyError(DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_id_becomes_a_valid_tag_value() {
        assert_eq!(
            tag_value("CMP-2026-00042.stage1_response.20260609.breach"),
            "CMP-2026-00042_stage1_response_20260609_breach"
        );
    }
}
