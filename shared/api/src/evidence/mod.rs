//! The evidence pack: the whole file of one complaint as the Housing Ombudsman asks a landlord
//! for it, in one self-contained HTML document (and a zip holding that document, every letter as
//! its own printable HTML file, the pack as PDF where this build writes PDFs, every file kept
//! with the case and their SHA-256 sums: [`archive`]). It holds the complaint, every event with who did it,
//! when it happened and when it was recorded, every letter with its full text and how each copy
//! went, the deadlines with how each was met or missed, the tracked actions and Ombudsman
//! orders, compensation, needs and adjustments, contact preferences, revisions of the points,
//! reassignments, the Ombudsman's involvement, and the internal notes and the correspondence
//! log (what was sent or said outside our letters).
//!
//! Served at `GET /staff/complaints/{reference}/evidence` to senior managers and auditors only,
//! and written by `p3 evidence REF`. Everything a resident or member of staff typed is escaped;
//! the documents carry no script, and their one inline stylesheet is allowed by its hash.

pub mod archive;
mod case_record;
mod describe;
#[cfg(all(test, feature = "pdf"))]
mod figures;
mod letter;
mod pack;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use p3_domain::letter::Delivery;
use p3_domain::service::{Service, ServiceError};
use sha2::Digest;

use crate::auth::{Role, Staff};
use crate::extract::Path;
use crate::problem::Problem;
use crate::AppState;

pub use self::describe::describe;
pub use self::pack::render;
use self::pack::STYLE;

/// Who produced a pack, printed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    /// Their name.
    pub name: String,
    /// Their email, or how they were identified (the local user for the CLI).
    pub email: String,
    /// Their role, or `command line`.
    pub role: String,
}

/// A rendered pack: the document and each letter as a printable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The case reference.
    pub reference: String,
    /// When it was produced.
    pub produced_at: DateTime<Utc>,
    /// The pack, one HTML document.
    pub html: String,
    /// Each letter: its file name in the zip and its printable HTML.
    pub letters: Vec<(String, String)>,
    /// The files kept with the case, as recorded (the zip holds their bytes).
    pub attachments: Vec<p3_domain::attachment::Attachment>,
}

impl Evidence {
    /// `CMP-2026-00001-evidence.html`.
    pub fn html_name(&self) -> String {
        format!("{}-evidence.html", self.reference)
    }

    /// `CMP-2026-00001-evidence.zip`.
    pub fn zip_name(&self) -> String {
        format!("{}-evidence.zip", self.reference)
    }

    /// The zip ([`archive`]): the pack, every letter, the pack as PDF where this build writes
    /// PDFs, the case's files read from `files` (each checked against its recorded SHA-256) and
    /// `SHA256SUMS`.
    pub async fn zip(
        &self,
        files: &dyn p3_domain::attachment::AttachmentStore,
        landlord: &p3_domain::letter::Landlord,
    ) -> Result<Vec<u8>, Problem> {
        let attachments = archive::attachment_files(self, files).await?;
        let pdf = match crate::pdf::AVAILABLE {
            true => Some(crate::pdf::evidence(self, landlord)?),
            false => None,
        };
        archive::zip(self, pdf.as_deref(), &attachments)
    }
}

/// Reads the case and the state of each letter's emails, and renders the pack. `None` when
/// there is no such case.
pub async fn build(
    service: &Service,
    reference: &str,
    producer: &Producer,
) -> Result<Option<Evidence>, ServiceError> {
    let Some(case) = service.store.load(reference).await? else {
        return Ok(None);
    };
    let mut sent = BTreeMap::new();
    for l in &case.letters {
        for (i, a) in l.to.iter().enumerate() {
            if a.delivery == Delivery::Email {
                let id = l.delivery_id(&case.reference, i);
                let was_sent = service.store.alert_sent(&id).await?;
                sent.insert(id, was_sent);
            }
        }
    }
    Ok(Some(render(
        &case,
        &service.rules,
        &sent,
        producer,
        service.clock.now(),
        &service.settings.landlord,
    )))
}

/// The Content-Security-Policy of the documents: no script, nothing fetched, the one inline
/// stylesheet by its hash.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Zip,
    Pdf,
}

fn format_of(query: Option<&str>, headers: &HeaderMap) -> Result<Format, Problem> {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let formats: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "format")
        .map(|(_, v)| v.trim())
        .collect();
    match formats.as_slice() {
        [] => {}
        [one] => {
            return match *one {
                "html" => Ok(Format::Html),
                "zip" => Ok(Format::Zip),
                "pdf" => crate::pdf::available().map(|()| Format::Pdf),
                _ => Err(crate::extract::bad_parameter(
                    "format",
                    "must be html, zip or pdf",
                )),
            }
        }
        _ => {
            return Err(crate::extract::bad_parameter(
                "format",
                "must be given once",
            ))
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let wants_zip = accept.split(',').any(|part| {
        part.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/zip"))
    });
    Ok(if wants_zip { Format::Zip } else { Format::Html })
}

/// `GET /staff/complaints/{reference}/evidence[?format=html|zip|pdf]`: senior managers and
/// auditors. A zip or PDF larger than the host's answers may carry (on AWS) is answered `303`
/// to a short-lived link of it ([`crate::http::download`]).
pub(crate) async fn evidence(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    // Roles nest (a senior manager includes an officer), so `require` cannot say "these two
    // and no others": the pack holds the whole file, for the people who answer the Ombudsman.
    if !matches!(staff.role, Role::SeniorManager | Role::Auditor) {
        return Err(Problem::forbidden(format!(
            "The evidence pack needs the senior_manager or auditor role; you have {}",
            staff.role.as_str()
        )));
    }
    let format = format_of(query.as_deref(), &headers)?;
    let producer = Producer {
        name: staff.name.clone(),
        email: staff.email.clone(),
        role: staff.role.as_str().to_string(),
    };
    let pack = build(&st.service, &reference, &producer)
        .await?
        .ok_or_else(Problem::not_found)?;
    tracing::info!(reference = %pack.reference, role = staff.role.as_str(), "evidence pack produced");
    let (bytes, content_type, disposition) = match format {
        Format::Html => (
            pack.html.clone().into_bytes(),
            "text/html; charset=utf-8",
            format!("inline; filename=\"{}\"", pack.html_name()),
        ),
        Format::Zip => (
            pack.zip(st.attachments.as_ref(), &st.service.rules.letters.landlord)
                .await?,
            "application/zip",
            format!("attachment; filename=\"{}\"", pack.zip_name()),
        ),
        Format::Pdf => (
            crate::pdf::evidence(&pack, &st.service.rules.letters.landlord)?,
            "application/pdf",
            format!("inline; filename=\"{}-evidence.pdf\"", pack.reference),
        ),
    };
    // A zip or PDF too large for the host's answers (on AWS) is fetched from the bucket.
    if format != Format::Html {
        let large = crate::http::download::generated(
            &st,
            &pack.reference,
            &bytes,
            content_type,
            &disposition,
        )
        .await?;
        if let Some(res) = large {
            return Ok(res);
        }
    }
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&content_security_policy()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(res)
}
