//! The attachments' bytes on AWS: one object per attachment in the attachments bucket, under
//! `cases/{reference}/{id}` (the generated id, never the file's own name), encrypted at rest
//! (SSE-S3) and never public (the bucket blocks public access; staff reach a file only through
//! the service's routes). Implements the domain's [`AttachmentStore`] port, as the data dir's
//! folder does locally. A generated download too large for a Lambda answer is kept for a day
//! under `downloads/` and fetched through a presigned GET ([`DOWNLOADS_PREFIX`]).

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use p3_domain::attachment::{is_id, new_id, AttachmentStore, ServedAs};
use p3_domain::ports::StoreError;

/// Where the attachments of every case live in the bucket.
pub const CASES_PREFIX: &str = "cases/";

/// Where generated downloads too large for a Lambda answer (the evidence pack's zip, a PDF)
/// wait to be fetched, `downloads/{reference}/{random id}`: the bucket's lifecycle rule removes
/// them after a day.
pub const DOWNLOADS_PREFIX: &str = "downloads/";

/// The largest file a function serves itself: Lambda caps a response at 6 MB, and a binary
/// body goes base64-encoded (a third larger). A larger file is downloaded from the bucket
/// through a presigned GET ([`AttachmentStore::download_link`]).
pub const SERVED_THROUGH_LAMBDA_BYTES: u64 = 4 * 1024 * 1024;

/// How long a presigned download link works.
pub const DOWNLOAD_LINK_SECONDS: u64 = 300;

/// An S3 client for the bucket: addressed by path (`endpoint/bucket/key`) when an emulator's
/// endpoint is set, as the emulator expects, else by virtual host as S3 does.
pub fn s3_client(sdk: &SdkConfig, emulator: bool) -> aws_sdk_s3::Client {
    let mut s3 = aws_sdk_s3::config::Builder::from(sdk);
    if emulator {
        s3 = s3.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(s3.build())
}

/// The attachments bucket.
#[derive(Debug, Clone)]
pub struct S3AttachmentStore {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl S3AttachmentStore {
    /// The store over `bucket`.
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> S3AttachmentStore {
        S3AttachmentStore {
            s3,
            bucket: bucket.into(),
        }
    }

    /// The references of the cases that have files in the bucket (for the retention sweep).
    pub async fn references(&self) -> Result<Vec<String>, StoreError> {
        let mut references = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(CASES_PREFIX)
                .delimiter("/")
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| unavailable("ListObjectsV2", CASES_PREFIX, e))?;
            references.extend(page.common_prefixes().iter().filter_map(|p| {
                p.prefix()
                    .and_then(|p| p.strip_prefix(CASES_PREFIX))
                    .and_then(|p| p.strip_suffix('/'))
                    .filter(|r| Self::case_prefix(r).is_ok())
                    .map(str::to_string)
            }));
            match page.next_continuation_token() {
                Some(next) if page.is_truncated().unwrap_or(false) => {
                    token = Some(next.to_string())
                }
                _ => return Ok(references),
            }
        }
    }

    /// The prefix of a case's files: refused unless the reference is letters, digits and
    /// dashes, so it names one case's folder and nothing else.
    fn case_prefix(reference: &str) -> Result<String, StoreError> {
        let safe = !reference.is_empty()
            && reference.len() <= 64
            && reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !safe {
            return Err(StoreError::Refused("not a case reference".into()));
        }
        Ok(format!("{CASES_PREFIX}{reference}/"))
    }

    /// A GET of `key` presigned for [`DOWNLOAD_LINK_SECONDS`], which makes S3 answer with
    /// `served_as`'s type and disposition and no caching.
    async fn presigned_get(&self, key: &str, served_as: &ServedAs) -> Result<String, StoreError> {
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(
            std::time::Duration::from_secs(DOWNLOAD_LINK_SECONDS),
        )
        .map_err(|e| StoreError::Refused(e.to_string()))?;
        let presigned = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(&served_as.content_type)
            .response_content_disposition(&served_as.content_disposition)
            .response_cache_control("private, no-store")
            .presigned(config)
            .await
            .map_err(|e| unavailable("GetObject (presigned)", key, e))?;
        Ok(presigned.uri().to_string())
    }

    /// The key of one file.
    fn key(reference: &str, id: &str) -> Result<String, StoreError> {
        if !is_id(id) {
            return Err(StoreError::Refused("not an attachment id".into()));
        }
        Ok(format!("{}{id}", Self::case_prefix(reference)?))
    }
}

/// An S3 call that failed: the store is unavailable for now (the key names a case reference
/// and a generated id, never a person).
pub(crate) fn unavailable(
    call: &str,
    key: &str,
    e: impl std::error::Error + 'static,
) -> StoreError {
    StoreError::Unavailable(format!(
        "S3 {call} {key}: {}",
        aws_sdk_s3::error::DisplayErrorContext(e)
    ))
}

/// The keys under `prefix` (every page of the listing).
pub(crate) async fn keys_under(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| unavailable("ListObjectsV2", prefix, e))?;
        keys.extend(page.contents().iter().filter_map(|o| {
            o.key()
                .map(|k| (k.to_string(), o.size().unwrap_or_default()))
        }));
        match page.next_continuation_token() {
            Some(next) if page.is_truncated().unwrap_or(false) => token = Some(next.to_string()),
            _ => return Ok(keys),
        }
    }
}

/// Deletes one object (nothing if it is not there: S3 answers the same).
pub(crate) async fn delete_key(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<(), StoreError> {
    s3.delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| unavailable("DeleteObject", key, e))?;
    Ok(())
}

#[async_trait]
impl AttachmentStore for S3AttachmentStore {
    async fn put(&self, reference: &str, id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let key = Self::key(reference, id)?;
        // One PutObject: S3 keeps the whole object or none of it.
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/octet-stream")
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| unavailable("PutObject", &key, e))?;
        Ok(())
    }

    async fn get(&self, reference: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = Self::key(reference, id)?;
        let object = match self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
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
            .map_err(|e| unavailable("GetObject", &key, e))?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    /// A presigned GET of the object for a file over [`SERVED_THROUGH_LAMBDA_BYTES`], valid
    /// for [`DOWNLOAD_LINK_SECONDS`], which makes S3 answer with the file's recorded type, its
    /// `Content-Disposition: attachment` and no caching; a smaller file is served by the
    /// function itself.
    async fn download_link(
        &self,
        reference: &str,
        id: &str,
        size: u64,
        served_as: &ServedAs,
    ) -> Result<Option<String>, StoreError> {
        if size <= SERVED_THROUGH_LAMBDA_BYTES {
            return Ok(None);
        }
        let key = Self::key(reference, id)?;
        self.presigned_get(&key, served_as).await.map(Some)
    }

    /// Over [`SERVED_THROUGH_LAMBDA_BYTES`], the bytes are put under
    /// `downloads/{reference}/{new id}` (encrypted, expired by the bucket's lifecycle rule
    /// after a day) and a presigned GET of them returned, as for a large file.
    async fn generated_link(
        &self,
        reference: &str,
        bytes: &[u8],
        served_as: &ServedAs,
    ) -> Result<Option<String>, StoreError> {
        if bytes.len() as u64 <= SERVED_THROUGH_LAMBDA_BYTES {
            return Ok(None);
        }
        let mut random = [0u8; 10];
        getrandom::fill(&mut random).map_err(|e| {
            StoreError::Unavailable(format!("randomness for a download's key: {e}"))
        })?;
        // The reference is checked as for the case's own files: it names one folder.
        Self::case_prefix(reference)?;
        let key = format!("{DOWNLOADS_PREFIX}{reference}/{}", new_id(random));
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type(&served_as.content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|e| unavailable("PutObject", &key, e))?;
        self.presigned_get(&key, served_as).await.map(Some)
    }

    async fn delete(&self, reference: &str, id: &str) -> Result<(), StoreError> {
        let key = Self::key(reference, id)?;
        delete_key(&self.s3, &self.bucket, &key).await
    }

    async fn delete_case(&self, reference: &str) -> Result<(), StoreError> {
        let prefix = Self::case_prefix(reference)?;
        for (key, _) in keys_under(&self.s3, &self.bucket, &prefix).await? {
            delete_key(&self.s3, &self.bucket, &key).await?;
        }
        Ok(())
    }
}
