//! Reading `multipart/form-data` bodies (files with their form fields) within limits: a body
//! that says it is larger than the files and fields allowed, or a part that grows past its
//! limit while arriving, is refused (413) without being kept, so no unbounded body is ever
//! held in memory.
//!
//! A client (a browser, or an HTTP library writing its body before it reads the answer) sees
//! an answer only once it has sent its whole body: if the server closed the connection
//! first, the client reports a broken connection instead of the refusal. So the rest of a
//! refused body is read and dropped before answering ([`drain`]), up to [`DRAIN_BYTES`] and
//! for [`DRAIN_SECONDS`]; a body that declares more than that is refused unread.

use axum::extract::{FromRequest, Multipart, Request};
use http::{header, StatusCode};
use p3_domain::attachment::{MAX_FILE_BYTES, MAX_RESIDENT_FILES};

use crate::body::MAX_BODY;
use crate::problem::Problem;

/// A file part as it arrived.
#[derive(Debug)]
pub(crate) struct FilePart {
    /// The form field it came in.
    pub(crate) field: String,
    /// The name the client gave it.
    pub(crate) filename: String,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
}

/// A multipart form: its files (those with a name or content: a file input left empty is
/// not one) and its text fields, in the order sent.
#[derive(Debug, Default)]
pub(crate) struct MultipartForm {
    pub(crate) files: Vec<FilePart>,
    pub(crate) fields: Vec<(String, String)>,
}

impl MultipartForm {
    /// The first value of a text field.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The most a body may carry: `max_files` files and the form's text fields.
fn body_limit(max_files: usize) -> usize {
    max_files * MAX_FILE_BYTES + MAX_BODY
}

fn file_too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "Each file must be 10 MB or smaller",
    )
}

/// True when the request says it carries `multipart/form-data`.
pub(crate) fn is_multipart(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Reads a multipart form of at most `max_files` files (each at most 10 MB) and text fields
/// (together at most 64 KiB): 415 for another media type, 413 beyond a limit, 400 when the
/// body is not well-formed multipart, 422 naming the field for too many files.
pub(crate) async fn read(request: Request, max_files: usize) -> Result<MultipartForm, Problem> {
    let max_files = max_files.clamp(1, MAX_RESIDENT_FILES);
    if !is_multipart(request.headers()) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the file as multipart/form-data",
        ));
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > body_limit(max_files)) {
        if declared.is_some_and(|n| n <= DRAIN_BYTES) {
            drain_body(request.into_body()).await;
        }
        return Err(file_too_large());
    }
    // The parts are counted here as they arrive: the routes that take files lift axum's own
    // 2 MB default (`DefaultBodyLimit::disable()` in the router), which would refuse a file
    // well within its limit.
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| Problem::malformed(e.body_text()))?;
    let read = read_parts(&mut multipart, max_files).await;
    if read.is_err() {
        drain(&mut multipart).await;
    }
    read
}

/// The most of a refused body read (and dropped) for its client to see the refusal.
pub const DRAIN_BYTES: usize = 64 * 1024 * 1024;

/// How long a refused body is read for, at the most.
pub const DRAIN_SECONDS: u64 = 30;

/// Reads what is left of a refused multipart form and drops it, within [`DRAIN_BYTES`] and
/// [`DRAIN_SECONDS`]; a body that stops being well-formed multipart stops the reading.
pub async fn drain(multipart: &mut Multipart) {
    let all = async {
        let mut read = 0usize;
        while let Ok(Some(mut part)) = multipart.next_field().await {
            while let Ok(Some(chunk)) = part.chunk().await {
                read += chunk.len();
                if read > DRAIN_BYTES {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(DRAIN_SECONDS), all).await;
}

/// Reads a refused body that has not been parsed and drops it, within [`DRAIN_BYTES`] and
/// [`DRAIN_SECONDS`].
async fn drain_body(body: axum::body::Body) {
    use http_body_util::BodyExt;
    let all = async {
        let mut body = body;
        let mut read = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |d| d.len());
            if read > DRAIN_BYTES {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(DRAIN_SECONDS), all).await;
}

/// Reads the parts of a form within the limits of [`read`].
async fn read_parts(multipart: &mut Multipart, max_files: usize) -> Result<MultipartForm, Problem> {
    let mut form = MultipartForm::default();
    let mut text_bytes = 0usize;
    let malformed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            file_too_large()
        } else {
            Problem::malformed(format!("The form could not be read: {}", e.body_text()))
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_string();
        let filename = field.file_name().map(str::to_string);
        let limit = match filename {
            Some(_) => MAX_FILE_BYTES,
            None => MAX_BODY - text_bytes.min(MAX_BODY),
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if bytes.len() + chunk.len() > limit {
                return Err(match filename {
                    Some(_) => file_too_large(),
                    None => Problem::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        format!("The form's fields must be {} KiB or less", MAX_BODY / 1024),
                    ),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match filename {
            Some(filename) => {
                if filename.is_empty() && bytes.is_empty() {
                    continue;
                }
                if form.files.len() == max_files {
                    return Err(Problem::field(
                        &name,
                        format!("Send at most {max_files} file(s)"),
                    ));
                }
                form.files.push(FilePart {
                    field: name,
                    filename,
                    bytes,
                });
            }
            None => {
                text_bytes += bytes.len();
                let value = String::from_utf8(bytes)
                    .map_err(|_| Problem::field(&name, "must be UTF-8 text"))?;
                form.fields.push((name, value));
            }
        }
    }
    Ok(form)
}
