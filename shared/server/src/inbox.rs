//! The upload inbox on the local host: residents' files wait in `DATA_DIR/incoming/`, one
//! owner-only file per slot named by the slot (never by the client's name, which is kept
//! beside it as `SLOT.name` and only ever shown), until the complaint or Stage 2 request that
//! names them takes them. The forms it hands out post to `POST /uploads/{slot}` (see
//! `upload_route.rs`), signed as S3 signs a presigned POST's policy: an HMAC over the slot, the
//! expiry and the redirect, with a key derived from the server's signing key, so a form writes
//! one slot only, until it expires, and sends the browser only where the service said.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use p3_domain::attachment::is_id;
use p3_domain::inbox::{Arrived, InboxFile, UploadForm, UploadInbox};
use p3_domain::ports::StoreError;
use sha2::Sha256;

/// How long a file waits in the inbox for the request that names it.
pub const SLOT_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The inbox folder of a data dir, and the key its forms are signed with.
#[derive(Clone)]
pub struct FolderInbox {
    root: PathBuf,
    key: Vec<u8>,
    base_url: String,
}

/// Why a posted form is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum FormRefusal {
    /// Its signature does not match its fields (changed, or another slot's).
    Forged,
    /// It was accepted only until a time now past.
    Expired,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("upload inbox: {e}"))
}

/// A redirect the forms may carry: a path of this service, never another site.
pub(crate) fn is_local_path(redirect: &str) -> bool {
    redirect.starts_with('/')
        && !redirect.starts_with("//")
        && !redirect.contains('\\')
        && !redirect.chars().any(char::is_control)
}

impl FolderInbox {
    /// The inbox of a data dir; its forms are signed with a key derived from `signing_key`
    /// and post to `base_url`.
    pub fn in_data_dir(data_dir: &Path, signing_key: &[u8], base_url: &str) -> FolderInbox {
        let mut mac = Hmac::<Sha256>::new_from_slice(signing_key).expect("HMAC takes any key");
        mac.update(b"p3 upload inbox forms v1");
        FolderInbox {
            root: data_dir.join("incoming"),
            key: mac.finalize().into_bytes().to_vec(),
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    fn mac(&self, slot: &str, expires: i64, redirect: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(format!("{slot}\n{expires}\n{redirect}").as_bytes());
        mac
    }

    /// Checks a posted form's fields against its slot: signed by this server for this slot,
    /// expiry and redirect, and not expired at `now`.
    pub fn verify(
        &self,
        slot: &str,
        expires: &str,
        redirect: &str,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<(), FormRefusal> {
        let expires: i64 = expires.parse().map_err(|_| FormRefusal::Forged)?;
        let given = unhex(signature).ok_or(FormRefusal::Forged)?;
        self.mac(slot, expires, redirect)
            .verify_slice(&given)
            .map_err(|_| FormRefusal::Forged)?;
        if now.timestamp() > expires {
            return Err(FormRefusal::Expired);
        }
        Ok(())
    }

    fn data(&self, slot: &str) -> Result<PathBuf, StoreError> {
        if !is_id(slot) {
            return Err(StoreError::Refused("not an upload slot".into()));
        }
        Ok(self.root.join(slot))
    }

    fn name(&self, slot: &str) -> Result<PathBuf, StoreError> {
        Ok(self.data(slot)?.with_extension("name"))
    }

    /// A file for `slot` being written: owner-only, under a temporary name.
    pub fn begin(&self, slot: &str) -> Result<(std::fs::File, PathBuf), StoreError> {
        self.data(slot)?;
        crate::private::create_dir(&self.root).map_err(unavailable)?;
        let part = self.root.join(format!(".{slot}.{}.part", random_suffix()));
        let f = crate::private::create_file(&part).map_err(unavailable)?;
        Ok((f, part))
    }

    /// Puts a file written whole under `part` into `slot` with its name; refused when the slot
    /// already holds one (a form fills its slot once).
    pub fn finish(&self, slot: &str, part: &Path, filename: &str) -> Result<bool, StoreError> {
        let data = self.data(slot)?;
        let name = self.name(slot)?;
        if data.exists() {
            let _ = std::fs::remove_file(part);
            return Ok(false);
        }
        let name_part = part.with_extension("namepart");
        let written = write_slot(part, &name_part, &name, &data, filename);
        let _ = std::fs::remove_file(part);
        let _ = std::fs::remove_file(&name_part);
        match written {
            Ok(()) => Ok(true),
            Err(e) if data.exists() => {
                tracing::debug!(error = %e, "an upload slot was filled meanwhile");
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Removes from a data dir's inbox what waited longer than [`SLOT_LIFETIME`] (and
/// half-written files as old): the number of files removed. At start and with each retention
/// run.
pub fn sweep(data_dir: &Path, now: SystemTime) -> Result<usize, StoreError> {
    {
        let entries = match std::fs::read_dir(data_dir.join("incoming")) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(unavailable(e)),
        };
        let mut removed = 0;
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > SLOT_LIFETIME);
            if old && e.path().is_file() && std::fs::remove_file(e.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Writes the name, then links the data in last: a slot with its data has its name, and a
/// slot filled meanwhile is never replaced (`hard_link` refuses an existing path).
fn write_slot(
    part: &Path,
    name_part: &Path,
    name: &Path,
    data: &Path,
    filename: &str,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = crate::private::create_file(name_part)?;
    f.write_all(filename.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(name_part, name)?;
    std::fs::hard_link(part, data)
}

fn random_suffix() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("the system's random source");
    hex(&b)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(unavailable)?
}

#[async_trait]
impl UploadInbox for FolderInbox {
    async fn form(
        &self,
        slot: &str,
        expires_at: DateTime<Utc>,
        redirect: Option<&str>,
    ) -> Result<UploadForm, StoreError> {
        self.data(slot)?;
        // A page of this service named by its full address is named by its path.
        let redirect = redirect
            .map(|r| {
                r.strip_prefix(self.base_url.as_str())
                    .filter(|path| path.starts_with('/'))
                    .unwrap_or(r)
            })
            .unwrap_or("");
        if !redirect.is_empty() && !is_local_path(redirect) {
            return Err(StoreError::Refused(
                "an upload form redirects only to a page of the service".into(),
            ));
        }
        let expires = expires_at.timestamp();
        let signature = hex(&self.mac(slot, expires, redirect).finalize().into_bytes());
        let mut fields = vec![("expires".to_string(), expires.to_string())];
        if !redirect.is_empty() {
            fields.push(("redirect".into(), redirect.into()));
        }
        fields.push(("signature".into(), signature));
        Ok(UploadForm {
            slot: slot.to_string(),
            url: format!("{}/uploads/{slot}", self.base_url),
            fields,
            expires_at: DateTime::from_timestamp(expires, 0).unwrap_or(expires_at),
        })
    }

    async fn fetch(&self, slot: &str) -> Result<Option<InboxFile>, StoreError> {
        let data = self.data(slot)?;
        let name = self.name(slot)?;
        blocking(move || {
            let bytes = match std::fs::read(&data) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(unavailable(e)),
            };
            let filename = std::fs::read(&name)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            Ok(Some(InboxFile { filename, bytes }))
        })
        .await
    }

    async fn describe(&self, slot: &str) -> Result<Option<Arrived>, StoreError> {
        let data = self.data(slot)?;
        let name = self.name(slot)?;
        blocking(move || {
            let size = match std::fs::metadata(&data) {
                Ok(m) => m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(unavailable(e)),
            };
            let filename = std::fs::read(&name)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            Ok(Some(Arrived { filename, size }))
        })
        .await
    }

    async fn discard(&self, slot: &str) -> Result<(), StoreError> {
        let data = self.data(slot)?;
        let name = self.name(slot)?;
        blocking(move || {
            for p in [data, name] {
                match std::fs::remove_file(&p) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(unavailable(e))
                    }
                    _ => {}
                }
            }
            Ok(())
        })
        .await
    }

    fn origin(&self) -> Option<String> {
        p3_api::http::csp::origin_of(&self.base_url)
    }
}
