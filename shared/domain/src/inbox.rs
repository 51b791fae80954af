//! The upload inbox: where a resident's files arrive before they are checked and attached to
//! their case (issue 15 item 5). A resident's browser posts each file straight into the inbox
//! through a short-lived form the service hands out (on AWS an S3 presigned POST, since API
//! Gateway and Lambda cap request bodies at 10 and 6 MB; locally a route of the server signed
//! the same way), into a slot the service named. When the resident sends their complaint or
//! their Stage 2 request naming those slots, the service fetches each file, checks it with
//! [`crate::attachment::check`] as any other, keeps it with the case and only then discards the
//! slot: a request that is refused loses no file.
//!
//! The same form works without JavaScript (a plain `<form method="post"
//! enctype="multipart/form-data">` with the fields as hidden inputs, the file input named
//! `file` last, and a redirect back to the service once the file is in) and from a script.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::attachment::is_id;
use crate::ports::StoreError;
use crate::service::ServiceError;
use crate::validation::ValidationErrors;

/// How long an upload form is accepted after it is handed out.
pub const FORM_LIFETIME_MINUTES: i64 = 30;

/// A form for one file into one slot of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadForm {
    /// The slot the file goes into (named by the service, [`crate::attachment::is_id`] holds).
    pub slot: String,
    /// Where the browser posts the form (`multipart/form-data`).
    pub url: String,
    /// The fields to send, in this order, before the file (its part named `file`, last).
    pub fields: Vec<(String, String)>,
    /// When the form stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// A file that arrived in a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxFile {
    /// The name the browser gave it (only ever shown, never a path).
    pub filename: String,
    /// Its bytes (at most [`crate::attachment::MAX_FILE_BYTES`]; the form refuses more).
    pub bytes: Vec<u8>,
}

/// What arrived in a slot, as a page lists it before the request that names it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    /// The name the browser gave it (only ever shown, never a path, never in a URL or a log).
    pub filename: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The slots a page carries from one step to the next (a query's `attachments`): those the
/// service could have named, each once, at most [`crate::attachment::MAX_RESIDENT_FILES`];
/// anything else is dropped, never an error, since a URL may have been cut or edited.
pub fn carried_slots<'a>(slots: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for slot in slots {
        let slot = slot.trim();
        if is_id(slot) && !kept.iter().any(|k| k == slot) {
            kept.push(slot.to_string());
        }
        if kept.len() == crate::attachment::MAX_RESIDENT_FILES {
            break;
        }
    }
    kept
}

/// The inbox port: S3 on AWS, a folder of the data dir locally.
#[async_trait]
pub trait UploadInbox: Send + Sync {
    /// A form for one file into `slot`, accepted until `expires_at`, taking at most
    /// [`crate::attachment::MAX_FILE_BYTES`]. `redirect`: where the browser is sent once the
    /// file is in (a page of the service), for the form posted without JavaScript.
    async fn form(
        &self,
        slot: &str,
        expires_at: DateTime<Utc>,
        redirect: Option<&str>,
    ) -> Result<UploadForm, StoreError>;
    /// The file posted into `slot`, if one arrived (it stays until [`UploadInbox::discard`]).
    async fn fetch(&self, slot: &str) -> Result<Option<InboxFile>, StoreError>;
    /// Forgets what arrived in `slot` (nothing if it is empty); slots never fetched are
    /// discarded by the inbox itself within a day.
    async fn discard(&self, slot: &str) -> Result<(), StoreError>;
    /// The name and size of the file in `slot`, if one arrived, for a page that lists what
    /// arrived without JavaScript; by default read through [`UploadInbox::fetch`], which an
    /// inbox overrides to look without reading the file.
    async fn describe(&self, slot: &str) -> Result<Option<Arrived>, StoreError> {
        Ok(self.fetch(slot).await?.map(|f| Arrived {
            filename: f.filename,
            size: f.bytes.len() as u64,
        }))
    }
    /// The origin (`scheme://host[:port]`) the forms post to, so the pages' script may be
    /// allowed to post there and nowhere else; `None` when the inbox hands out no forms.
    fn origin(&self) -> Option<String> {
        None
    }
}

/// An inbox for a host that takes no files from residents: it refuses with a clear error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoInbox;

#[async_trait]
impl UploadInbox for NoInbox {
    async fn form(
        &self,
        _: &str,
        _: DateTime<Utc>,
        _: Option<&str>,
    ) -> Result<UploadForm, StoreError> {
        Err(StoreError::Refused(
            "this host takes no files from residents".into(),
        ))
    }
    async fn fetch(&self, _: &str) -> Result<Option<InboxFile>, StoreError> {
        Ok(None)
    }
    async fn discard(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

/// What a request is told when a slot it names holds no file.
const NOT_ARRIVED: &str =
    "This file has not arrived (its upload may have expired): choose it again";

/// The file in `slot`, for a request that names the slot on `field` (a resident's
/// `attachments[i]`, staff's `upload`): a slot the service could not have named, or one
/// nothing arrived in, is a fault added to `errors` on `field`, and `None`.
pub(crate) async fn arrived(
    inbox: &dyn UploadInbox,
    slot: &str,
    field: &str,
    errors: &mut ValidationErrors,
) -> Result<Option<InboxFile>, StoreError> {
    if !is_id(slot) {
        errors.add(field, "This is not an upload slot the service handed out");
        return Ok(None);
    }
    let file = inbox.fetch(slot).await?;
    if file.is_none() {
        errors.add(field, NOT_ARRIVED);
    }
    Ok(file)
}

/// Forgets the slots once their files are kept with the case (a slot left over is swept by
/// the inbox within a day, so a failure here only warns).
pub(crate) async fn discard_all(inbox: &dyn UploadInbox, slots: &[&str]) {
    for slot in slots {
        if let Err(e) = inbox.discard(slot).await {
            tracing::warn!(error = %e, "an upload slot could not be discarded; the inbox sweeps it within a day");
        }
    }
}

/// The file's faults found by [`crate::attachment::check`] (named on `file`) named instead on
/// the field the request names its file in.
pub(crate) fn name_file_as(e: ServiceError, field: &str) -> ServiceError {
    match e {
        ServiceError::Command(crate::case::CommandError::Invalid(mut errors)) => {
            for fe in &mut errors.errors {
                if fe.field == "file" {
                    fe.field = field.into();
                }
            }
            ServiceError::Command(crate::case::CommandError::Invalid(errors))
        }
        other => other,
    }
}
