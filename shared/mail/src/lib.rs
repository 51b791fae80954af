//! The one way an email of the service is written as an Internet message (RFC 5322): plain
//! text alone, or, when it carries attachments (a letter's PDF), `multipart/mixed` with the
//! text first and each file after it. The local server writes it to the outbox and relays it
//! by SMTP; on AWS, an email with attachments goes to SES as this raw message.
#![warn(missing_docs)]

pub mod read;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
pub use lettre::Message;
use p3_domain::alert::AlertEmail;
use p3_domain::ports::NotifyError;

/// `email` from `from` as an Internet message, its Message-ID named after the email's id (the
/// same id, the same message).
pub fn message(email: &AlertEmail, from: &Mailbox) -> Result<Message, NotifyError> {
    let mut b = Message::builder()
        .from(from.clone())
        .subject(email.subject.clone())
        .message_id(Some(format!("<{}@p3-complaints>", email.alert_id)));
    for to in &email.to {
        let mb: Mailbox = to
            .parse()
            .map_err(|e| NotifyError(format!("bad recipient: {e}")))?;
        b = b.to(mb);
    }
    let built = if email.attachments.is_empty() {
        b.header(ContentType::TEXT_PLAIN).body(email.body.clone())
    } else {
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(email.body.clone()));
        for a in &email.attachments {
            let kind = ContentType::parse(&a.content_type)
                .map_err(|e| NotifyError(format!("attachment type {}: {e}", a.content_type)))?;
            parts =
                parts.singlepart(Attachment::new(a.filename.clone()).body(a.content.clone(), kind));
        }
        b.multipart(parts)
    };
    built.map_err(|e| NotifyError(e.to_string()))
}

/// `from` as a mailbox (`Name <address>` or an address), or what is wrong with it.
pub fn mailbox(from: &str) -> Result<Mailbox, String> {
    from.parse().map_err(|e| format!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_domain::alert::EmailAttachment;

    fn email() -> AlertEmail {
        AlertEmail {
            alert_id: "CMP-2026-00042.letter1.copy0".into(),
            to: vec!["ada@example.org".into()],
            subject: "Your complaint".into(),
            body: "Dear Ada Resident,\n".into(),
            ..AlertEmail::default()
        }
    }

    #[test]
    fn an_email_without_attachments_is_plain_text() {
        let from = mailbox("complaints@p3.example").unwrap();
        let text = String::from_utf8(message(&email(), &from).unwrap().formatted()).unwrap();
        assert!(text.contains("Content-Type: text/plain"), "{text}");
        assert!(!text.contains("multipart"), "{text}");
        assert!(text.contains("Message-ID: <CMP-2026-00042.letter1.copy0@p3-complaints>"));
    }

    #[test]
    fn an_email_with_a_pdf_is_mixed_text_then_the_file() {
        let mut e = email();
        e.attachments.push(EmailAttachment {
            filename: "CMP-2026-00042-letter-1.pdf".into(),
            content_type: "application/pdf".into(),
            content: b"%PDF-1.7 stand-in".to_vec(),
        });
        let from = mailbox("complaints@p3.example").unwrap();
        let text = String::from_utf8(message(&e, &from).unwrap().formatted()).unwrap();
        assert!(text.contains("Content-Type: multipart/mixed"), "{text}");
        let body_at = text.find("Dear Ada Resident").expect("the text");
        let file_at = text
            .find("filename=\"CMP-2026-00042-letter-1.pdf\"")
            .expect("the file");
        assert!(body_at < file_at, "the text comes first");
        assert!(text.contains("Content-Type: application/pdf"), "{text}");
        assert!(text.contains("Content-Disposition: attachment"), "{text}");
        // Read back: the text, then the file as it was.
        let parts = read::parts(&text);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(parts[0].media_type(), "text/plain");
        assert_eq!(parts[0].text().trim_end(), "Dear Ada Resident,");
        assert_eq!(parts[1].media_type(), "application/pdf");
        assert_eq!(parts[1].filename(), Some("CMP-2026-00042-letter-1.pdf"));
        assert_eq!(parts[1].content, b"%PDF-1.7 stand-in");
    }
}
