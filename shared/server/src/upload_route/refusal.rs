//! Why the upload inbox refused a post, answered two ways: problem+json for an API client (or
//! the upload script), and for a browser posting a files step's form without JavaScript a page
//! in plain words with one way on, so it never shows raw JSON.

use axum::response::Response;
use http::StatusCode;
use p3_api::problem::Problem;
use p3_domain::inbox::FORM_LIFETIME_MINUTES;

use crate::inbox::is_local_path;

/// What was wrong with a post to `/uploads/{slot}`.
pub(super) enum Refusal {
    /// The address names no slot the service could have handed out.
    NoSuchSlot,
    /// The file is over 10 MB (declared, or counted as it arrived).
    TooLarge,
    /// The form's own fields are over their limit.
    FieldsTooLong,
    /// Not `multipart/form-data`; axum's reason.
    NotMultipart(String),
    /// The multipart body could not be read; its reason.
    Malformed(String),
    /// The fields are not the ones the service signed for this slot.
    Forged,
    /// The form's lifetime has passed.
    Expired,
    /// The file part is empty.
    Empty,
    /// No part named `file` after the fields.
    NoFile,
    /// The slot already holds a file.
    Filled,
    /// The file could not be written.
    Unavailable,
}

impl Refusal {
    /// The answer for an API client.
    pub(super) fn problem(&self) -> Problem {
        let too_large = |detail| Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", detail);
        match self {
            Refusal::NoSuchSlot => Problem::not_found(),
            Refusal::TooLarge => too_large("Each file must be 10 MB or smaller"),
            Refusal::FieldsTooLong => too_large("The form's fields are too long"),
            Refusal::NotMultipart(why) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!("Send the form as multipart/form-data: {why}"),
            ),
            Refusal::Malformed(why) => {
                Problem::malformed(format!("The form could not be read: {why}"))
            }
            Refusal::Forged => Problem::forbidden(
                "This upload form is not one the service handed out for this file",
            ),
            Refusal::Expired => Problem::forbidden(
                "This upload form has expired: ask for a new one and choose the file again",
            ),
            Refusal::Empty => Problem::field("file", "Choose a file: the one sent is empty"),
            Refusal::NoFile => Problem::field(
                "file",
                "Send the file in a part named file, after the form's fields",
            ),
            Refusal::Filled => Problem::new(
                StatusCode::CONFLICT,
                "slot-filled",
                "A file was already sent with this form: ask for a new form for another file",
            ),
            Refusal::Unavailable => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The file could not be kept; try again",
            ),
        }
    }

    /// The page's heading and what it says, in plain words.
    fn words(&self) -> (&'static str, String) {
        let again = "Nothing was kept: go back and choose your file again.";
        match self {
            Refusal::TooLarge => (
                "Your file is too large",
                "Each file must be 10 MB or smaller. Nothing was kept: go back and choose a smaller file, or a smaller copy of it.".into(),
            ),
            Refusal::Expired => (
                "This upload form has expired",
                format!("A form for sending a file lasts {FORM_LIFETIME_MINUTES} minutes, and this one had run out. {again}"),
            ),
            Refusal::Forged | Refusal::NoSuchSlot => (
                "This upload form cannot be used",
                format!("It is not a form we gave you for this file, or it was changed. {again}"),
            ),
            Refusal::Empty => (
                "The file you chose is empty",
                "The file sent had nothing in it. Nothing was kept: go back and choose the file again.".into(),
            ),
            Refusal::Filled => (
                "This file has already been sent",
                "A file was already sent with this form. Go back to see the files you have sent, and choose another file there if you need to.".into(),
            ),
            Refusal::Unavailable => (
                "Sorry, there is a problem with the service",
                "Your file could not be kept just now. Go back and try again in a moment.".into(),
            ),
            Refusal::FieldsTooLong
            | Refusal::NotMultipart(_)
            | Refusal::Malformed(_)
            | Refusal::NoFile => (
                "Your file could not be sent",
                format!("The form did not reach us as it should. {again}"),
            ),
        }
    }

    /// The answer for a browser: a page with the problem's status, linking back to `back` (the
    /// form's `redirect`) when it is a path of this service, else to the start (never another
    /// site, whatever a form says).
    pub(super) fn page(&self, landlord: &str, back: Option<&str>) -> Response {
        let status = StatusCode::from_u16(self.problem().status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (heading, mut message) = self.words();
        let (link, link_text) = match back.filter(|b| is_local_path(b)) {
            Some(b) => (b, "Go back and choose a file"),
            None => {
                message
                    .push_str(" Use your browser's back button to return to the page you were on.");
                ("/", "Go to the start of the complaints service")
            }
        };
        p3_api::html::message_response(status, heading, &message, landlord, link, link_text)
    }
}
