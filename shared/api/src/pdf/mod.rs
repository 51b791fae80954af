//! The letters and the evidence pack as PDFs (`?format=pdf`), and each letter's PDF attached to
//! its email copies ([`AttachLetterPdfs`]). The writer (`write`, with `p3-pdf` and krilla) is
//! the cargo feature `pdf`, on by default: the local server has it, and of the Lambda functions
//! `documents` (the routes) and `deadlines` (the emails); the others leave it out (about 1 MB
//! zipped each). Where it is left out, asking for a PDF is a 400 naming `format`
//! ([`available`]), checked before any work.

#[cfg(feature = "pdf")]
mod write;
#[cfg(feature = "pdf")]
pub use write::{blocks, evidence, letter};

/// Without the writer: never reached, since [`available`] refuses the request first.
#[cfg(not(feature = "pdf"))]
mod write {
    use crate::problem::Problem;
    /// A letter as PDF: refused (400) in this build.
    pub fn letter(
        _: &str,
        _: &p3_domain::letter::Letter,
        _: &p3_domain::letter::Landlord,
    ) -> Result<Vec<u8>, Problem> {
        Err(super::unavailable())
    }
    /// The evidence pack as PDF: refused (400) in this build.
    pub fn evidence(
        _: &crate::evidence::Evidence,
        _: &p3_domain::letter::Landlord,
    ) -> Result<Vec<u8>, Problem> {
        Err(super::unavailable())
    }
}
#[cfg(not(feature = "pdf"))]
pub use write::{evidence, letter};

#[cfg(feature = "pdf")]
mod email;
#[cfg(feature = "pdf")]
pub use email::AttachLetterPdfs;

/// `notifier`, with each letter's email copy carrying the letter as a PDF where this build
/// writes PDFs ([`AttachLetterPdfs`]); `notifier` itself where it does not. A host that emails
/// letters wraps its notifier in this: the choice follows this crate's feature, so a test of a
/// host that turns the feature on gets the PDFs its emails would carry.
pub fn with_letter_pdfs(
    notifier: std::sync::Arc<dyn p3_domain::ports::Notifier>,
    landlord: p3_domain::letter::Landlord,
) -> std::sync::Arc<dyn p3_domain::ports::Notifier> {
    #[cfg(feature = "pdf")]
    {
        std::sync::Arc::new(AttachLetterPdfs::new(notifier, landlord))
    }
    #[cfg(not(feature = "pdf"))]
    {
        let _ = landlord;
        notifier
    }
}

/// The file name of a letter's PDF: as the letter route serves it and as it is attached to the
/// letter's emails.
pub fn letter_file_name(reference: &str, number: u16) -> String {
    format!("{reference}-letter-{number}.pdf")
}

/// Whether this build writes PDFs (the feature `pdf`).
pub const AVAILABLE: bool = cfg!(feature = "pdf");

fn unavailable() -> crate::problem::Problem {
    crate::extract::bad_parameter("format", "PDF is not available on this host yet; use html")
}

/// `format=pdf` asked for: Ok where this build writes PDFs, else 400 naming `format`.
pub(crate) fn available() -> Result<(), crate::problem::Problem> {
    if AVAILABLE {
        Ok(())
    } else {
        Err(unavailable())
    }
}

/// `?format=html|pdf` of the letter route: whether the PDF is asked for;
/// 400 naming `format` for anything else, when given twice, or for a PDF where this build has
/// no writer.
pub(crate) fn wants_pdf(query: Option<&str>) -> Result<bool, crate::problem::Problem> {
    let formats: Vec<String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "format")
        .map(|(_, v)| v.trim().to_string())
        .collect();
    match formats.as_slice() {
        [] => Ok(false),
        [one] if one == "html" => Ok(false),
        [one] if one == "pdf" => available().map(|()| true),
        [_] => Err(crate::extract::bad_parameter(
            "format",
            "must be html or pdf",
        )),
        _ => Err(crate::extract::bad_parameter(
            "format",
            "must be given once",
        )),
    }
}

/// A PDF answer, shown in the browser, with its file name for saving.
pub(crate) fn response(bytes: Vec<u8>, name: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http::{header, HeaderValue};
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_is_refused_with_400_naming_format_only_where_there_is_no_writer() {
        assert!(!wants_pdf(Some("format=html")).unwrap());
        match (AVAILABLE, wants_pdf(Some("format=pdf"))) {
            (true, Ok(yes)) => assert!(yes),
            (false, Err(p)) => {
                assert_eq!(p.status, 400);
                let body = serde_json::to_string(&p).unwrap();
                assert!(body.contains("\"format\""), "{body}");
                assert!(body.contains("not available on this host"), "{body}");
            }
            (has_writer, answer) => panic!("writer {has_writer}, answer {answer:?}"),
        }
    }
}
