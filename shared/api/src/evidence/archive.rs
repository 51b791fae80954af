//! The pack's zip (`?format=zip`, `p3 evidence`): the pack as HTML, each letter as its own
//! printable HTML file, the pack as PDF where this build writes PDFs, every file kept with the
//! case as `attachments/{id}-{name}` (the name made plain: never a path), and `SHA256SUMS`, the
//! SHA-256 of each file in the `sha256sum` format, so the Ombudsman can check nothing changed;
//! an attachment's is the one recorded when it was added (a file whose content no longer
//! matches it is refused, never packed).
//!
//! Built in memory, within [`MAX_ZIP_INPUT_BYTES`] of files; text is deflated, files that are
//! compressed already (images, PDFs, Office documents) are stored as they are.

use std::io::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};
use p3_domain::attachment::{plain_name, sha256_hex, Attachment, AttachmentStore};
use p3_domain::london::london_date;
use p3_domain::service::ServiceError;
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use super::Evidence;
use crate::problem::Problem;

/// The most the files in one zip may come to (the zip is built in memory): 25 attachments of the
/// largest size, with the pack, its letters and its PDF.
pub const MAX_ZIP_INPUT_BYTES: usize = 256 * 1024 * 1024;

/// A case's file as it goes into the zip.
pub struct PackedFile {
    /// Its name in the zip: `attachments/{id}-{plain name}`.
    pub name: String,
    /// Its bytes, whose SHA-256 is the one recorded.
    pub bytes: Vec<u8>,
    /// Whether deflating it is worth it (text, email).
    pub deflate: bool,
}

/// The name of a case's file in the zip: `attachments/{id}-{plain name}`.
pub fn attachment_path(a: &Attachment) -> String {
    format!("attachments/{}-{}", a.id, plain_name(&a.filename))
}

/// Reads the case's files from the store, checking each against the SHA-256 recorded when it
/// was added; a file removed by retention is left out. Refused (422 naming `format`) when the
/// files come to more than the zip may hold.
pub async fn attachment_files(
    pack: &Evidence,
    store: &dyn AttachmentStore,
) -> Result<Vec<PackedFile>, Problem> {
    let recorded: u64 = pack.attachments.iter().map(|a| a.size).sum();
    if recorded as usize > MAX_ZIP_INPUT_BYTES {
        return Err(too_large());
    }
    let mut files = Vec::with_capacity(pack.attachments.len());
    for a in &pack.attachments {
        let Some(bytes) = store
            .get(&pack.reference, &a.id)
            .await
            .map_err(ServiceError::from)?
        else {
            continue;
        };
        if sha256_hex(&bytes) != a.sha256 {
            return Err(ServiceError::Internal(format!(
                "attachment {} no longer matches its recorded SHA-256",
                a.id
            ))
            .into());
        }
        files.push(PackedFile {
            name: attachment_path(a),
            deflate: a.content_type.starts_with("text/") || a.content_type.starts_with("message/"),
            bytes,
        });
    }
    Ok(files)
}

fn too_large() -> Problem {
    Problem::field(
        "format",
        format!(
            "the case's files come to more than {} MB, more than one zip holds: download the pack as HTML or PDF and each file from the case page",
            MAX_ZIP_INPUT_BYTES / (1024 * 1024)
        ),
    )
}

/// The zip of a pack, its PDF (when there is one) and the case's files.
pub fn zip(pack: &Evidence, pdf: Option<&[u8]>, files: &[PackedFile]) -> Result<Vec<u8>, Problem> {
    let mut entries: Vec<(String, &[u8], bool)> =
        vec![(pack.html_name(), pack.html.as_bytes(), true)];
    for (name, html) in &pack.letters {
        entries.push((name.clone(), html.as_bytes(), true));
    }
    if let Some(pdf) = pdf {
        entries.push((format!("{}-evidence.pdf", pack.reference), pdf, false));
    }
    for f in files {
        entries.push((f.name.clone(), &f.bytes, f.deflate));
    }
    let total: usize = entries.iter().map(|(_, b, _)| b.len()).sum();
    if total > MAX_ZIP_INPUT_BYTES {
        return Err(too_large());
    }
    let sums: String = entries
        .iter()
        .map(|(name, bytes, _)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect();
    let failed = |e: &dyn std::fmt::Display| -> Problem {
        ServiceError::Internal(format!("the evidence zip could not be written: {e}")).into()
    };
    let options = SimpleFileOptions::default().last_modified_time(dos_time(pack.produced_at));
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(total / 2 + 4096)));
    let sums_entry = ("SHA256SUMS".to_string(), sums.as_bytes(), true);
    for (name, bytes, deflate) in entries.iter().chain(std::iter::once(&sums_entry)) {
        let method = if *deflate {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        z.start_file(name.as_str(), options.compression_method(method))
            .map_err(|e| failed(&e))?;
        z.write_all(bytes).map_err(|e| failed(&e))?;
    }
    Ok(z.finish().map_err(|e| failed(&e))?.into_inner())
}

/// The zip's time stamp: MS-DOS date and time in London (what a person unzipping sees), 1980
/// at the earliest.
fn dos_time(at: DateTime<Utc>) -> zip::DateTime {
    let local = at.with_timezone(&london_offset(at));
    zip::DateTime::from_date_and_time(
        local.year().clamp(1980, 2107) as u16,
        local.month() as u8,
        local.day() as u8,
        local.hour() as u8,
        local.minute() as u8,
        local.second() as u8,
    )
    .unwrap_or_default()
}

/// London's offset from UTC at an instant (UTC or UTC+1).
fn london_offset(at: DateTime<Utc>) -> chrono::FixedOffset {
    let date = london_date(at);
    for hours in [1, 0] {
        let local = (at + chrono::Duration::hours(hours)).time();
        if p3_domain::london::london_instant(date, local) == at {
            return chrono::FixedOffset::east_opt(hours as i32 * 3600).expect("a valid offset");
        }
    }
    chrono::FixedOffset::east_opt(0).expect("UTC")
}
