//! The attachments' bytes on the local host: one owner-only folder per case under
//! `DATA_DIR/attachments/`, one file per attachment named by its generated id (a file's own
//! name is never used as a path). Implements the domain's `AttachmentStore` port; the S3
//! bucket implements it on AWS.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use p3_domain::attachment::{is_id, AttachmentStore};
use p3_domain::ports::StoreError;

/// A folder of attachments.
#[derive(Debug, Clone)]
pub struct FolderAttachments {
    root: PathBuf,
}

impl FolderAttachments {
    /// The attachments folder of a data dir (created on the first file).
    pub fn in_data_dir(data_dir: &Path) -> FolderAttachments {
        FolderAttachments {
            root: data_dir.join("attachments"),
        }
    }

    /// The folder of a case: refused unless the reference is letters, digits and dashes, so it
    /// names one folder under the root and nothing else.
    fn case_dir(&self, reference: &str) -> Result<PathBuf, StoreError> {
        let safe = !reference.is_empty()
            && reference.len() <= 64
            && reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !safe {
            return Err(StoreError::Refused("not a case reference".into()));
        }
        Ok(self.root.join(reference))
    }

    /// The references of the cases that have a folder here (for the retention sweep).
    pub fn references(&self) -> Result<Vec<String>, StoreError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(unavailable(e)),
        };
        let mut references: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|r| self.case_dir(r).is_ok())
            .collect();
        references.sort();
        Ok(references)
    }

    fn file(&self, reference: &str, id: &str) -> Result<PathBuf, StoreError> {
        if !is_id(id) {
            return Err(StoreError::Refused("not an attachment id".into()));
        }
        Ok(self.case_dir(reference)?.join(id))
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("attachments folder: {e}"))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(unavailable)?
}

#[async_trait]
impl AttachmentStore for FolderAttachments {
    async fn put(&self, reference: &str, id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = self.file(reference, id)?;
        let dir = self.case_dir(reference)?;
        blocking(move || {
            crate::private::create_dir(&dir).map_err(unavailable)?;
            // Written whole under a temporary name, synced, then renamed: a crash leaves no
            // half file under the id.
            let part = dir.join(format!(
                ".{}.part",
                path.file_name().unwrap_or_default().to_string_lossy()
            ));
            let mut f = crate::private::create_file(&part).map_err(unavailable)?;
            f.write_all(&bytes).map_err(unavailable)?;
            f.sync_all().map_err(unavailable)?;
            std::fs::rename(&part, &path).map_err(unavailable)
        })
        .await
    }

    async fn get(&self, reference: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.file(reference, id)?;
        blocking(move || match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        })
        .await
    }

    async fn delete(&self, reference: &str, id: &str) -> Result<(), StoreError> {
        let path = self.file(reference, id)?;
        blocking(move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(unavailable(e)),
            _ => Ok(()),
        })
        .await
    }

    async fn delete_case(&self, reference: &str) -> Result<(), StoreError> {
        let dir = self.case_dir(reference)?;
        blocking(move || match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(unavailable(e)),
            _ => Ok(()),
        })
        .await
    }
}
