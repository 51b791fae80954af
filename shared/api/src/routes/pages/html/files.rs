//! Residents' files without JavaScript: the files step (`templates/resident/files.html`),
//! which posts one file at a time straight into the upload inbox and lists what arrived, and
//! the files it carries on to the complaint form and the review request form (hidden
//! `attachments` inputs, shown by name and size).

use askama::Template;
use axum::response::Response;
use http::StatusCode;
use p3_domain::inbox::UploadForm;

use super::*;
use crate::routes::pages::layout::{respond, Chrome};

/// A file that arrived in the inbox, carried from the files step to the form that sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CarriedFile {
    /// Its slot, sent with the form as a hidden `attachments` input.
    pub slot: String,
    /// The name the browser gave it (only ever shown).
    pub filename: String,
    /// Its size in words ("2.1 MB").
    pub size: String,
}

/// One file listed on the files step, with the link that leaves it out.
pub(crate) struct StepFile<'a> {
    /// The file.
    pub file: &'a CarriedFile,
    /// The step's address without this file.
    pub remove: String,
}

/// What the files step shows.
pub(crate) struct FilesStep<'a> {
    /// The case's reference, when the files go with a review request.
    pub reference: Option<&'a str>,
    /// What the files will be sent with, in the resident's words.
    pub sent_with: &'a str,
    /// The files that arrived so far.
    pub files: Vec<StepFile<'a>>,
    /// The form for the next file, while fewer than five arrived.
    pub upload: Option<UploadForm>,
    /// Where "Continue" goes, carrying the files.
    pub continue_to: String,
    /// Where the resident came from.
    pub back: String,
    /// What the way back says.
    pub back_text: &'a str,
}

/// The files step (`templates/resident/files.html`).
#[derive(Template)]
#[template(path = "resident/files.html")]
struct FilesPage<'a> {
    chrome: Chrome<'a>,
    step: &'a FilesStep<'a>,
    accept: &'static str,
}

/// The files step as a 200 answer.
pub(crate) fn files_step_response(step: &FilesStep, landlord: &str) -> Response {
    respond(
        StatusCode::OK,
        &FilesPage {
            chrome: Chrome::new("Add photos or documents", landlord, &Header::Public),
            step,
            accept: FILES_ACCEPT,
        },
    )
}

/// The kinds of file the pages' file inputs offer first (the service tells a file's kind from
/// its content whatever its name).
pub(crate) const FILES_ACCEPT: &str =
    ".pdf,.png,.jpg,.jpeg,.heic,.heif,.doc,.docx,.xls,.xlsx,.txt,.eml,.msg";

/// `path` with each slot added as an `attachments` query parameter.
pub(crate) fn with_slots<'s>(path: &str, slots: impl IntoIterator<Item = &'s str>) -> String {
    let mut url = path.to_string();
    for slot in slots {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("attachments=");
        url.push_str(&urlencode(slot));
    }
    url
}

/// The files step of a review request for `stage` of case `reference`, opened with `code`,
/// carrying `files`.
pub(crate) fn request_files_step(
    reference: &str,
    code: &str,
    stage: u8,
    files: &[CarriedFile],
) -> String {
    with_slots(
        &format!(
            "/complaints/{}/stage{stage}/files?code={}",
            urlencode(reference),
            urlencode(code)
        ),
        files.iter().map(|f| f.slot.as_str()),
    )
}
