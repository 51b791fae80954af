//! The upload inbox's forms without the inbox ([`S3PostForms`]): what the `pages` function
//! needs to render the case page's "Add a file" as an S3 presigned POST. Signing a POST's
//! policy needs only the function's credentials, its region and SigV4
//! ([`crate::s3_inbox::post_fields`]), not the S3 client, so `pages` links no S3 call: reading
//! the inbox and keeping files is the `case-files` function's ([`crate::case_files`]), whose
//! [`crate::s3_inbox::S3UploadInbox`] signs its forms the same way.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use chrono::{DateTime, Utc};
use p3_domain::attachment::is_id;
use p3_domain::inbox::{InboxFile, UploadForm, UploadInbox};
use p3_domain::ports::StoreError;

use crate::s3_inbox::{post_fields, INCOMING_PREFIX};

/// Hands out presigned POSTs into the attachments bucket's inbox; reads nothing from it.
#[derive(Clone)]
pub struct S3PostForms {
    bucket: String,
    post_url: String,
    region: String,
    credentials: SharedCredentialsProvider,
}

impl std::fmt::Debug for S3PostForms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3PostForms")
            .field("bucket", &self.bucket)
            .field("post_url", &self.post_url)
            .finish_non_exhaustive()
    }
}

impl S3PostForms {
    /// Forms into `bucket`, signed with the SDK configuration's credentials and region, posted
    /// to the bucket's regional address (or to `emulator/bucket`), as
    /// [`crate::s3_inbox::S3UploadInbox`] posts its own.
    pub fn new(
        sdk: &SdkConfig,
        bucket: impl Into<String>,
        emulator: Option<&str>,
    ) -> Result<S3PostForms, StoreError> {
        let bucket = bucket.into();
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| StoreError::Refused("no AWS region to sign upload forms in".into()))?;
        let credentials = sdk
            .credentials_provider()
            .ok_or_else(|| StoreError::Refused("no credentials to sign upload forms".into()))?;
        let post_url = match emulator {
            Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com/"),
        };
        Ok(S3PostForms {
            bucket,
            post_url,
            region,
            credentials,
        })
    }
}

impl S3PostForms {
    /// The bucket the forms post into.
    pub(crate) fn bucket(&self) -> &str {
        &self.bucket
    }
}

/// What the function says when asked to read the inbox it only signs forms for.
fn not_here() -> StoreError {
    StoreError::Refused("this function does not read the upload inbox".into())
}

#[async_trait]
impl UploadInbox for S3PostForms {
    async fn form(
        &self,
        slot: &str,
        expires_at: DateTime<Utc>,
        redirect: Option<&str>,
    ) -> Result<UploadForm, StoreError> {
        if !is_id(slot) {
            return Err(StoreError::Refused("not an upload slot".into()));
        }
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| StoreError::Unavailable(format!("credentials to sign a form: {e}")))?;
        let fields = post_fields(
            &self.bucket,
            &format!("{INCOMING_PREFIX}{slot}/"),
            redirect,
            expires_at,
            SystemTime::now(),
            &self.region,
            credentials.access_key_id(),
            credentials.secret_access_key(),
            credentials.session_token(),
        );
        Ok(UploadForm {
            slot: slot.to_string(),
            url: self.post_url.clone(),
            fields,
            expires_at,
        })
    }

    async fn fetch(&self, _: &str) -> Result<Option<InboxFile>, StoreError> {
        Err(not_here())
    }

    async fn discard(&self, _: &str) -> Result<(), StoreError> {
        Err(not_here())
    }

    fn origin(&self) -> Option<String> {
        p3_api::http::csp::origin_of(&self.post_url)
    }
}
