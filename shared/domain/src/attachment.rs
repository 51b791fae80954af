//! Attachments: files kept with a case (photos of the damp, an inspection report, an email the
//! resident forwarded). The rules are here: which kinds of file are taken, told from their
//! content (magic bytes, the container's structure), never from the name or the client's
//! header; the size limit; the `AttachmentAdded` event. The bytes live behind the
//! [`AttachmentStore`] port (a directory in the data dir locally, the S3 bucket on AWS), stored
//! by generated id: a file's name is only ever shown, never used as a path.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::case::{Case, Command, CommandError};
use crate::event::CaseEvent;
use crate::ports::{StoreError, StoredReply};
use crate::role::Caller;
use crate::service::{Service, ServiceError, Written};
use crate::validation::ValidationErrors;

/// The largest file taken, in bytes (10 MB).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// The most files a resident sends with their complaint or Stage 2 request.
pub const MAX_RESIDENT_FILES: usize = 5;

/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;

/// The longest file name kept, in characters.
pub const MAX_FILENAME_CHARS: usize = 200;

/// The kinds of file taken, as told from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A PDF document.
    Pdf,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// A HEIC/HEIF image (iPhone photos).
    Heic,
    /// A Word 97-2003 document (OLE compound file).
    Doc,
    /// A Word document (Office Open XML).
    Docx,
    /// An Excel 97-2003 workbook (OLE compound file).
    Xls,
    /// An Excel workbook (Office Open XML).
    Xlsx,
    /// Plain text (UTF-8).
    Text,
    /// An email saved as a message file (RFC 5322 text).
    Eml,
    /// An Outlook message (OLE compound file).
    Msg,
}

/// What the refusal of a file says: the list of kinds taken.
pub const TAKEN: &str = "PDF, PNG, JPEG, HEIC, Word (.doc, .docx), Excel (.xls, .xlsx), plain text (.txt) or email (.eml, .msg)";

impl FileKind {
    /// The media type the file is served with (decided from its content).
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Heic => "image/heic",
            FileKind::Doc => "application/msword",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xls => "application/vnd.ms-excel",
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Text => "text/plain; charset=utf-8",
            FileKind::Eml => "message/rfc822",
            FileKind::Msg => "application/vnd.ms-outlook",
        }
    }

    /// What a person calls it.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "a PDF document",
            FileKind::Png => "a PNG image",
            FileKind::Jpeg => "a JPEG image",
            FileKind::Heic => "a HEIC image",
            FileKind::Doc => "a Word 97-2003 document",
            FileKind::Docx => "a Word document",
            FileKind::Xls => "an Excel 97-2003 workbook",
            FileKind::Xlsx => "an Excel workbook",
            FileKind::Text => "plain text",
            FileKind::Eml => "an email message",
            FileKind::Msg => "an Outlook message",
        }
    }

    /// The kind a file name's extension claims, if one taken.
    pub fn of_extension(filename: &str) -> Option<FileKind> {
        let (_, ext) = filename.rsplit_once('.')?;
        Some(match ext.to_ascii_lowercase().as_str() {
            "pdf" => FileKind::Pdf,
            "png" => FileKind::Png,
            "jpg" | "jpeg" => FileKind::Jpeg,
            "heic" | "heif" => FileKind::Heic,
            "doc" => FileKind::Doc,
            "docx" => FileKind::Docx,
            "xls" => FileKind::Xls,
            "xlsx" => FileKind::Xlsx,
            "txt" => FileKind::Text,
            "eml" => FileKind::Eml,
            "msg" => FileKind::Msg,
            _ => return None,
        })
    }

    /// The kind of a file from its content alone: magic bytes, and for the containers (OLE
    /// compound files, zip packages) what they hold. `None` for anything not taken.
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        const OLE: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
        if bytes.starts_with(b"%PDF-") {
            return Some(FileKind::Pdf);
        }
        if bytes.starts_with(PNG) {
            return Some(FileKind::Png);
        }
        if bytes.starts_with(b"\xff\xd8\xff") {
            return Some(FileKind::Jpeg);
        }
        if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
            let brand = &bytes[8..12];
            let heif: [&[u8]; 8] = [
                b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
            ];
            return heif.contains(&brand).then_some(FileKind::Heic);
        }
        if bytes.starts_with(OLE) {
            // The compound file's directory names its streams in UTF-16LE.
            return if contains(bytes, &utf16("WordDocument")) {
                Some(FileKind::Doc)
            } else if contains(bytes, &utf16("Workbook")) || contains(bytes, &utf16("Book")) {
                Some(FileKind::Xls)
            } else if contains(bytes, &utf16("__substg1.0_")) {
                Some(FileKind::Msg)
            } else {
                None
            };
        }
        if bytes.starts_with(b"PK\x03\x04") {
            // An Office Open XML package: a zip whose parts name what it is.
            if !contains(bytes, b"[Content_Types].xml") {
                return None;
            }
            return if contains(bytes, b"word/document.xml") {
                Some(FileKind::Docx)
            } else if contains(bytes, b"xl/workbook.xml") {
                Some(FileKind::Xlsx)
            } else {
                None
            };
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c');
        if text.is_empty() || text.chars().any(control) {
            return None;
        }
        Some(if looks_like_email(text) {
            FileKind::Eml
        } else {
            FileKind::Text
        })
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// RFC 5322 text: it opens with header fields (`Name: value`, folded lines allowed) up to a
/// blank line, among them `From:` and one of `Date:`, `Subject:`, `To:` or `Message-ID:`.
fn looks_like_email(text: &str) -> bool {
    let mut names = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) && !names.is_empty() {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return false;
        }
        names.push(name.to_ascii_lowercase());
    }
    names.iter().any(|n| n == "from")
        && names
            .iter()
            .any(|n| matches!(n.as_str(), "date" | "subject" | "to" | "message-id"))
}

/// A file as it arrived, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The name the client gave it (only shown, never a path).
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// What it is, in the sender's words.
    pub description: String,
}

/// A file that passed the checks: what the case records of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// The name to show (the last part of what the client sent, without control characters).
    pub filename: String,
    /// Its kind, from the content.
    pub kind: FileKind,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
    /// What it is.
    pub description: String,
}

/// The name to show for what the client sent: its last path part, without control
/// characters, trimmed, at most [`MAX_FILENAME_CHARS`] (keeping the extension).
pub fn display_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_start_matches('.').trim().to_string();
    if clean.chars().count() <= MAX_FILENAME_CHARS {
        return clean;
    }
    let ext = clean
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| e.len() <= 5)
        .unwrap_or("");
    let keep = MAX_FILENAME_CHARS - ext.chars().count() - 1;
    let stem: String = clean.chars().take(keep).collect();
    if ext.is_empty() {
        clean.chars().take(MAX_FILENAME_CHARS).collect()
    } else {
        format!("{stem}.{ext}")
    }
}

/// Checks an upload against the rules, every fault named on `file` or `description`: a name
/// with an extension taken, at most [`MAX_FILE_BYTES`], content of a kind taken and of the
/// kind its name claims (a PNG named `.pdf` is refused). (The edge refuses a larger body with
/// 413 before this; the check here keeps the rule whole.)
pub fn check(upload: &Upload) -> Result<CheckedFile, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let filename = display_name(&upload.filename);
    let description = upload.description.trim().to_string();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        e.add(
            "description",
            format!("Keep the description to {MAX_DESCRIPTION_CHARS} characters or fewer"),
        );
    }
    let kind = if upload.bytes.is_empty() {
        e.add("file", "Choose a file: the one sent is empty");
        None
    } else if upload.bytes.len() > MAX_FILE_BYTES {
        e.add("file", "The file must be 10 MB or smaller");
        None
    } else {
        match (
            FileKind::of_extension(&filename),
            FileKind::sniff(&upload.bytes),
        ) {
            (None, _) => {
                e.add(
                    "file",
                    format!(
                        "The file must be {TAKEN}: its name must end with one of those extensions"
                    ),
                );
                None
            }
            (Some(_), None) => {
                e.add("file", format!("The file's content is not {TAKEN}"));
                None
            }
            // An email saved as text is still plain text.
            (Some(FileKind::Text), Some(FileKind::Eml)) => Some(FileKind::Text),
            (Some(named), Some(found)) if named == found => Some(found),
            (Some(named), Some(found)) => {
                e.add(
                    "file",
                    format!(
                        "The file's name says {} but its content is {}: rename it or choose the right file",
                        named.label(),
                        found.label()
                    ),
                );
                None
            }
        }
    };
    e.into_result()?;
    let kind = kind.expect("a file without a fault has a kind");
    Ok(CheckedFile {
        filename,
        kind,
        size: upload.bytes.len() as u64,
        sha256: sha256_hex(&upload.bytes),
        description,
    })
}

/// The SHA-256 of some bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file's size as a person reads it: `830 bytes`, `12 KB`, `2.4 MB` (1 KB = 1,024 bytes).
pub fn size_label(size: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if size < KB {
        format!("{size} bytes")
    } else if size < MB {
        format!("{} KB", size.div_ceil(KB))
    } else {
        format!("{:.1} MB", size as f64 / MB as f64)
    }
}

/// A file's name with only the characters every system reads the same: ASCII letters, digits,
/// spaces and `.-_()`; any other (a slash, a quote, a control character, an accent) becomes
/// `_`. For a download's quoted name and a file's name in the evidence zip: never a path.
pub fn plain_name(filename: &str) -> String {
    filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A new attachment's id: 20 lowercase hex characters from ten random bytes.
pub fn new_id(random: [u8; 10]) -> String {
    random.iter().map(|b| format!("{b:02x}")).collect()
}

/// True for a well-formed attachment id (what [`new_id`] makes): a path part that names
/// nothing else.
pub fn is_id(id: &str) -> bool {
    id.len() == 20 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// An attachment as the case keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Its id (the file is stored under it).
    pub id: String,
    /// The name to show.
    pub filename: String,
    /// Its media type, from the content.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// When it was added.
    pub added_at: DateTime<Utc>,
    /// Who added it (staff email, or `resident`).
    pub by: String,
    /// The sequence of its event in the history.
    pub number: u64,
}

impl Attachment {
    /// True when the resident sent it (they see the files they sent on their case page).
    pub fn from_resident(&self) -> bool {
        self.by == crate::role::Caller::Resident.by()
    }
}

/// Decides `Command::AddAttachment`: the file was checked ([`check`]) and stored under `id`;
/// the case records it. A resident adds at most [`MAX_RESIDENT_FILES`] files to a case.
pub(crate) fn add(
    case: &Case,
    id: String,
    file: CheckedFile,
    by: &str,
) -> Result<Vec<CaseEvent>, CommandError> {
    crate::note::ensure_recordable(case)?;
    if !is_id(&id) || case.attachments.iter().any(|a| a.id == id) {
        return Err(CommandError::NotAllowed(
            "an attachment needs a new, well-formed id".into(),
        ));
    }
    if by == crate::role::Caller::Resident.by()
        && case
            .attachments
            .iter()
            .filter(|a| a.from_resident())
            .count()
            >= MAX_RESIDENT_FILES
    {
        let mut e = ValidationErrors::new();
        e.add(
            "file",
            format!("You can send up to {MAX_RESIDENT_FILES} files with your complaint"),
        );
        e.into_result()?;
    }
    Ok(vec![CaseEvent::AttachmentAdded {
        id,
        filename: file.filename,
        content_type: file.kind.content_type().to_string(),
        size: file.size,
        sha256: file.sha256,
        description: file.description,
    }])
}

/// Folds an attachment's event into the case.
pub(crate) fn apply(case: &mut Case, number: u64, at: DateTime<Utc>, by: &str, event: &CaseEvent) {
    if let CaseEvent::AttachmentAdded {
        id,
        filename,
        content_type,
        size,
        sha256,
        description,
    } = event
    {
        case.attachments.push(Attachment {
            id: id.clone(),
            filename: filename.clone(),
            content_type: content_type.clone(),
            size: *size,
            sha256: sha256.clone(),
            description: description.clone(),
            added_at: at,
            by: by.to_string(),
            number,
        });
    }
}

/// Adds a file to a case, all or nothing: checks it ([`check`]), stores its bytes under a new
/// id, then records `AttachmentAdded` through [`Service::act`] (the caller's role checked on the
/// case as it stands); if the record is refused or cannot be written, the stored file is
/// removed again. `render` says what to answer from the case and the new attachment's id.
pub async fn attach(
    service: &Service,
    files: &dyn AttachmentStore,
    reference: &str,
    upload: Upload,
    caller: &Caller,
    render: &(dyn Fn(&Case, &str) -> StoredReply + Send + Sync),
) -> Result<Written, ServiceError> {
    let file = check(&upload).map_err(CommandError::Invalid)?;
    // The case must exist before anything is stored under its reference.
    if service.store.load(reference).await?.is_none() {
        return Err(ServiceError::NotFound);
    }
    let id = new_id(service.random.bytes10());
    files.put(reference, &id, upload.bytes).await?;
    let command = Command::AddAttachment {
        id: id.clone(),
        file,
    };
    let answer = |c: &Case| render(c, &id);
    match service
        .act(reference, command, caller, None, None, None, &answer)
        .await
    {
        Ok(w) => Ok(w),
        Err(e) => {
            if let Err(d) = files.delete(reference, &id).await {
                tracing::error!(reference, attachment = %id, error = %d, "an attachment whose record failed could not be removed");
            }
            Err(e)
        }
    }
}

/// Where attachments' bytes are kept, by case reference and attachment id: a directory in the
/// data dir locally, the S3 bucket on AWS. Callers pass only a reference of a case that exists
/// and an id [`is_id`] accepts.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Keeps a file; replaces nothing (ids are new).
    async fn put(&self, reference: &str, id: &str, bytes: Vec<u8>) -> Result<(), StoreError>;
    /// A file's bytes, if kept.
    async fn get(&self, reference: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Removes a file (nothing if it is not there).
    async fn delete(&self, reference: &str, id: &str) -> Result<(), StoreError>;
    /// Removes every file of a case (retention).
    async fn delete_case(&self, reference: &str) -> Result<(), StoreError>;
    /// A short-lived address the browser fetches a file from directly, for a file larger than
    /// the host can pass through its own answers (Lambda caps a response at 6 MB: on AWS an
    /// S3 presigned GET), served with `served_as`'s headers; `None` when the host serves the
    /// bytes itself (every file locally, and on AWS the files within the cap).
    async fn download_link(
        &self,
        _reference: &str,
        _id: &str,
        _size: u64,
        _served_as: &ServedAs,
    ) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    /// The same for a download the service generates (the evidence pack's zip, a PDF) for
    /// case `reference`: when `bytes` are more than the host can pass through its answers, they
    /// are kept for a short while (on AWS under `downloads/` in the bucket, expired after a
    /// day) and a short-lived address of them returned; `None` when the host serves them.
    async fn generated_link(
        &self,
        _reference: &str,
        _bytes: &[u8],
        _served_as: &ServedAs,
    ) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
}

/// How a file is served for download: its media type and its `Content-Disposition`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedAs {
    /// The media type recorded for it.
    pub content_type: String,
    /// `attachment; filename=…` with its name.
    pub content_disposition: String,
}

/// An attachment store for a host that keeps no files: it refuses with a clear error.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAttachments;

#[async_trait]
impl AttachmentStore for NoAttachments {
    async fn put(&self, _: &str, _: &str, _: Vec<u8>) -> Result<(), StoreError> {
        Err(StoreError::Refused(
            "this host keeps no attachments yet".into(),
        ))
    }
    async fn get(&self, _: &str, _: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Err(StoreError::Refused(
            "this host keeps no attachments yet".into(),
        ))
    }
    async fn delete(&self, _: &str, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
    async fn delete_case(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
}
