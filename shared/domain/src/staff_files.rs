//! A staff member's file through the upload inbox (issue 15 item 5): on AWS API Gateway and
//! Lambda cap a request at about 6 MB (4.5 MB of a file once encoded), under the 10 MB a file
//! may be, so staff post a file as residents do, straight into a slot of the inbox through a
//! form the service hands out, then name the slot. The file is then checked and kept as any
//! file staff add ([`crate::attachment::attach`]: the caller's role checked on the case as it
//! stands, all or nothing), and the slot is emptied only once the file is recorded, so a
//! refused request loses no file.

use crate::attachment::{self, AttachmentStore, Upload};
use crate::case::{Case, CommandError};
use crate::inbox::{arrived, discard_all, name_file_as, UploadInbox};
use crate::ports::StoredReply;
use crate::role::Caller;
use crate::service::{Service, ServiceError, Written};
use crate::validation::ValidationErrors;

/// The field a request names its slot in.
pub const FIELD: &str = "upload";

/// Adds the file waiting in `slot` to the case `reference`, described by `description`, and
/// empties the slot: every fault of the slot or the file is named on [`FIELD`], of the
/// description on `description`. `render` says what to answer from the case and the new
/// attachment's id.
#[allow(clippy::too_many_arguments)]
pub async fn attach_from_inbox(
    service: &Service,
    inbox: &dyn UploadInbox,
    files: &dyn AttachmentStore,
    reference: &str,
    slot: &str,
    description: &str,
    caller: &Caller,
    render: &(dyn Fn(&Case, &str) -> StoredReply + Send + Sync),
) -> Result<Written, ServiceError> {
    // The case must exist before its slot is read: an unknown case is 404, whatever the slot.
    if service.store.load(reference).await?.is_none() {
        return Err(ServiceError::NotFound);
    }
    let mut e = ValidationErrors::new();
    let file = arrived(inbox, slot, FIELD, &mut e).await?;
    let Some(file) = file else {
        return Err(CommandError::Invalid(e).into());
    };
    let upload = Upload {
        filename: file.filename,
        bytes: file.bytes,
        description: description.to_string(),
    };
    let written = attachment::attach(service, files, reference, upload, caller, render)
        .await
        .map_err(|e| name_file_as(e, FIELD))?;
    discard_all(inbox, &[slot]).await;
    Ok(written)
}
