//! Which store keeps a function's files: the attachments bucket (`ATTACHMENTS_BUCKET`) when
//! the template gives the function one, else none (a file is refused with a clear error).
//! Only the functions that serve files call these, so only their packages link the S3 calls:
//! `cases` (the JSON API's upload, and staff's files through the upload inbox), `case-files`
//! (the case page's "Add a file", through the upload inbox; `pages` only signs its forms,
//! [`upload_forms`], which needs no S3 client), `documents` (a file, and the evidence pack's zip or a PDF too
//! large for a Lambda answer, put under `downloads/`), `intake` and `stage2` (the residents'
//! files, through the upload inbox), `reporting` (retention deletes a case's files).

use std::sync::Arc;

use aws_config::SdkConfig;
use p3_domain::attachment::{AttachmentStore, NoAttachments};
use p3_domain::inbox::{NoInbox, UploadInbox};

use crate::s3_attachments::{s3_client, S3AttachmentStore};
use crate::s3_forms::S3PostForms;
use crate::s3_inbox::S3UploadInbox;
use crate::wiring::AwsSettings;

/// Where a function keeps the cases' files.
pub type Attachments = Arc<dyn AttachmentStore>;

/// The cases' files in the attachments bucket, or none without one.
pub fn attachments(settings: &AwsSettings, sdk: &SdkConfig) -> Attachments {
    match bucket_store(settings, sdk) {
        Some(store) => Arc::new(store),
        None => Arc::new(NoAttachments),
    }
}

/// The attachments bucket's store itself, when the function has one (retention also lists
/// the cases that have files, [`S3AttachmentStore::references`]).
pub fn bucket_store(settings: &AwsSettings, sdk: &SdkConfig) -> Option<S3AttachmentStore> {
    settings.attachments_bucket.as_ref().map(|bucket| {
        S3AttachmentStore::new(s3_client(sdk, settings.endpoint_url.is_some()), bucket)
    })
}

/// The upload inbox in the attachments bucket (residents' files, and staff's too large for a
/// request to a function) (presigned POSTs signed with the
/// function's credentials), or none without one. Without a region or credentials to sign with
/// the inbox refuses forms, and the start-up log says why.
pub fn upload_inbox(settings: &AwsSettings, sdk: &SdkConfig) -> Arc<dyn UploadInbox> {
    let Some(bucket) = &settings.attachments_bucket else {
        return Arc::new(NoInbox);
    };
    let s3 = s3_client(sdk, settings.endpoint_url.is_some());
    match S3UploadInbox::new(s3, sdk, bucket, settings.endpoint_url.as_deref()) {
        Ok(inbox) => Arc::new(inbox),
        Err(e) => {
            tracing::error!(error = %e, "the upload inbox cannot sign forms");
            Arc::new(NoInbox)
        }
    }
}

/// The upload inbox's forms only (presigned POSTs into the attachments bucket, signed with the
/// function's credentials and SigV4, without an S3 client), or none without a bucket: what
/// the `pages` function needs for the case page's "Add a file".
pub fn upload_forms(settings: &AwsSettings, sdk: &SdkConfig) -> Arc<dyn UploadInbox> {
    let Some(bucket) = &settings.attachments_bucket else {
        return Arc::new(NoInbox);
    };
    match S3PostForms::new(sdk, bucket, settings.endpoint_url.as_deref()) {
        Ok(forms) => Arc::new(forms),
        Err(e) => {
            tracing::error!(error = %e, "the case page's upload forms cannot be signed");
            Arc::new(NoInbox)
        }
    }
}
