//! The upload inbox on AWS ([`UploadInbox`]): a resident's browser posts each file straight
//! to the attachments bucket under `incoming/{slot}/` through an S3 presigned POST (API
//! Gateway and Lambda cap request bodies at 10 and 6 MB; S3 takes the 10 MB a file may be).
//! The form's policy, signed with SigV4 from the function's own credentials, fixes the key's
//! prefix to the slot (S3 puts the browser's file name after it, `${filename}`), takes 1 byte
//! to 10 MB, keeps the object encrypted (SSE-S3), and stops being accepted when the form
//! expires. The bucket's lifecycle rule removes what is never fetched after a day.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use p3_domain::attachment::{is_id, MAX_FILE_BYTES};
use p3_domain::inbox::{Arrived, InboxFile, UploadForm, UploadInbox};
use p3_domain::ports::StoreError;
use serde_json::{json, Value};

use crate::s3_attachments::{delete_key, keys_under, unavailable};
use crate::s3_forms::S3PostForms;

/// Where the residents' files wait in the bucket until their request is sent.
pub const INCOMING_PREFIX: &str = "incoming/";

/// What S3 replaces with the name of the file the browser sends, in a POST's `key`.
const FILENAME: &str = "${filename}";

/// The inbox in the attachments bucket: its forms signed as [`S3PostForms`] signs them, its
/// files read and removed with the S3 client.
#[derive(Clone, Debug)]
pub struct S3UploadInbox {
    s3: aws_sdk_s3::Client,
    forms: S3PostForms,
}

impl S3UploadInbox {
    /// The inbox in `bucket`, signing with the SDK configuration's credentials and region.
    /// `emulator`: the emulator's endpoint, where forms are posted (`endpoint/bucket`)
    /// instead of the bucket's regional address.
    pub fn new(
        s3: aws_sdk_s3::Client,
        sdk: &SdkConfig,
        bucket: impl Into<String>,
        emulator: Option<&str>,
    ) -> Result<S3UploadInbox, StoreError> {
        Ok(S3UploadInbox {
            s3,
            forms: S3PostForms::new(sdk, bucket, emulator)?,
        })
    }

    fn bucket(&self) -> &str {
        self.forms.bucket()
    }

    /// The prefix of a slot's file; refused unless the slot is one the service names.
    fn slot_prefix(slot: &str) -> Result<String, StoreError> {
        if !is_id(slot) {
            return Err(StoreError::Refused("not an upload slot".into()));
        }
        Ok(format!("{INCOMING_PREFIX}{slot}/"))
    }
}

/// The form's fields and the policy they are checked against, signed (the pure part of
/// [`S3UploadInbox::form`], so a test can read it whole).
#[allow(clippy::too_many_arguments)]
pub fn post_fields(
    bucket: &str,
    prefix: &str,
    redirect: Option<&str>,
    expires_at: DateTime<Utc>,
    now: SystemTime,
    region: &str,
    access_key_id: &str,
    secret_access_key: &str,
    session_token: Option<&str>,
) -> Vec<(String, String)> {
    let signed_at: DateTime<Utc> = now.into();
    let credential = format!(
        "{access_key_id}/{}/{region}/s3/aws4_request",
        signed_at.format("%Y%m%d")
    );
    let amz_date = signed_at.format("%Y%m%dT%H%M%SZ").to_string();
    let mut fields: Vec<(String, String)> = vec![("key".into(), format!("{prefix}{FILENAME}"))];
    fields.push(match redirect {
        Some(to) => ("success_action_redirect".into(), to.to_string()),
        None => ("success_action_status".into(), "201".into()),
    });
    fields.push(("x-amz-server-side-encryption".into(), "AES256".into()));
    fields.push(("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()));
    fields.push(("x-amz-credential".into(), credential));
    fields.push(("x-amz-date".into(), amz_date));
    if let Some(token) = session_token {
        fields.push(("x-amz-security-token".into(), token.to_string()));
    }
    let mut conditions: Vec<Value> = vec![
        json!({ "bucket": bucket }),
        json!(["starts-with", "$key", prefix]),
        json!(["content-length-range", 1, MAX_FILE_BYTES]),
    ];
    conditions.extend(
        fields
            .iter()
            .filter(|(name, _)| name != "key")
            .map(|(name, value)| json!({ name: value })),
    );
    let policy = json!({
        "expiration": expires_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "conditions": conditions,
    });
    let policy = aws_smithy_types::base64::encode(policy.to_string());
    let key = aws_sigv4::sign::v4::generate_signing_key(secret_access_key, now, region, "s3");
    let signature = aws_sigv4::sign::v4::calculate_signature(key, policy.as_bytes());
    fields.push(("policy".into(), policy));
    fields.push(("x-amz-signature".into(), signature));
    fields
}

#[async_trait]
impl UploadInbox for S3UploadInbox {
    async fn form(
        &self,
        slot: &str,
        expires_at: DateTime<Utc>,
        redirect: Option<&str>,
    ) -> Result<UploadForm, StoreError> {
        self.forms.form(slot, expires_at, redirect).await
    }

    async fn fetch(&self, slot: &str) -> Result<Option<InboxFile>, StoreError> {
        let prefix = Self::slot_prefix(slot)?;
        let Some((key, _)) = keys_under(&self.s3, self.bucket(), &prefix)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        // At most one byte over the limit is read: enough for the check to refuse the file
        // as too large, never more held in memory whatever the object holds.
        let object = match self
            .s3
            .get_object()
            .bucket(self.bucket())
            .key(&key)
            .range(format!("bytes=0-{MAX_FILE_BYTES}"))
            .send()
            .await
        {
            Ok(object) => object,
            Err(e) => {
                let e = e.into_service_error();
                if e.is_no_such_key() {
                    return Ok(None);
                }
                return Err(unavailable("GetObject", &key, e));
            }
        };
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| unavailable("GetObject", &key, e))?
            .into_bytes();
        let mut bytes = bytes.to_vec();
        bytes.truncate(MAX_FILE_BYTES + 1);
        Ok(Some(InboxFile {
            filename: key[prefix.len()..].to_string(),
            bytes,
        }))
    }

    async fn describe(&self, slot: &str) -> Result<Option<Arrived>, StoreError> {
        // The listing names the object (its key ends with the browser's file name) and gives
        // its size: nothing is read.
        let prefix = Self::slot_prefix(slot)?;
        Ok(keys_under(&self.s3, self.bucket(), &prefix)
            .await?
            .into_iter()
            .next()
            .map(|(key, size)| Arrived {
                filename: key[prefix.len()..].to_string(),
                size: u64::try_from(size).unwrap_or(0),
            }))
    }

    async fn discard(&self, slot: &str) -> Result<(), StoreError> {
        let prefix = Self::slot_prefix(slot)?;
        for (key, _) in keys_under(&self.s3, self.bucket(), &prefix).await? {
            delete_key(&self.s3, self.bucket(), &key).await?;
        }
        Ok(())
    }

    fn origin(&self) -> Option<String> {
        // The bucket's own address (or the emulator's): the pages' script posts the files there.
        self.forms.origin()
    }
}
