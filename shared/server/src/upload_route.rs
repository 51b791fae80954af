//! `POST /uploads/{slot}`: where the local inbox's forms post a resident's file (the local
//! stand-in for an S3 presigned POST). The form's fields come first (`expires`, `redirect`,
//! `signature`) and the file, in the part named `file`, last: the signature is checked before
//! a byte of the file is kept, the file is counted as it arrives and refused with 413 past
//! 10 MB, and it goes into its slot only, once. Then the browser is sent to `redirect` (303)
//! when the form had one, else 204.

use std::io::Write;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use http::{header, StatusCode};
use p3_api::problem::Problem;
use p3_domain::attachment::{is_id, MAX_FILE_BYTES};
use p3_domain::ports::Clock;

use crate::inbox::{FolderInbox, FormRefusal};

/// What the route needs.
#[derive(Clone)]
pub struct Uploads {
    /// The inbox the forms write into.
    pub inbox: Arc<FolderInbox>,
    /// The service's clock (forms expire by it).
    pub clock: Arc<dyn Clock>,
}

/// The most the form's own fields may carry.
const MAX_FIELDS_BYTES: usize = 8 * 1024;

/// The route, with axum's own body limit lifted: the file is counted here as it arrives.
pub fn router(uploads: Uploads) -> Router {
    Router::new()
        .route("/uploads/{slot}", post(receive))
        .layer(DefaultBodyLimit::disable())
        .with_state(uploads)
}

fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "Each file must be 10 MB or smaller",
    )
}

async fn receive(
    State(up): State<Uploads>,
    Path(slot): Path<String>,
    request: Request,
) -> Result<Response, Problem> {
    if !is_id(&slot) {
        return Err(Problem::not_found());
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES + MAX_FIELDS_BYTES) {
        return Err(too_large());
    }
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|e| {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("Send the form as multipart/form-data: {}", e.body_text()),
        )
    })?;
    let malformed = |e: axum::extract::multipart::MultipartError| {
        Problem::malformed(format!("The form could not be read: {}", e.body_text()))
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut field_bytes = 0usize;
    while let Some(mut part) = multipart.next_field().await.map_err(malformed)? {
        let name = part.name().unwrap_or("").to_string();
        if name != "file" {
            let text = part.text().await.map_err(malformed)?;
            field_bytes += text.len();
            if field_bytes > MAX_FIELDS_BYTES {
                return Err(Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too-large",
                    "The form's fields are too long",
                ));
            }
            fields.push((name, text));
            continue;
        }
        let get = |n: &str| {
            fields
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        let redirect = get("redirect").to_string();
        match up.inbox.verify(
            &slot,
            get("expires"),
            &redirect,
            get("signature"),
            up.clock.now(),
        ) {
            Ok(()) => {}
            Err(FormRefusal::Forged) => {
                return Err(Problem::forbidden(
                    "This upload form is not one the service handed out for this file",
                ))
            }
            Err(FormRefusal::Expired) => {
                return Err(Problem::forbidden(
                    "This upload form has expired: ask for a new one and choose the file again",
                ))
            }
        }
        let filename = part.file_name().unwrap_or("").to_string();
        let (mut file, path) = up.inbox.begin(&slot).map_err(Problem::from_store)?;
        let mut size = 0usize;
        let outcome: Result<(), Problem> = async {
            while let Some(chunk) = part.chunk().await.map_err(malformed)? {
                size += chunk.len();
                if size > MAX_FILE_BYTES {
                    return Err(too_large());
                }
                file.write_all(&chunk).map_err(|_| unavailable())?;
            }
            if size == 0 {
                return Err(Problem::field(
                    "file",
                    "Choose a file: the one sent is empty",
                ));
            }
            file.sync_all().map_err(|_| unavailable())
        }
        .await;
        drop(file);
        if let Err(p) = outcome {
            let _ = std::fs::remove_file(&path);
            return Err(p);
        }
        let kept = up
            .inbox
            .finish(&slot, &path, &filename)
            .map_err(Problem::from_store)?;
        if !kept {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "slot-filled",
                "A file was already sent with this form: ask for a new form for another file",
            ));
        }
        tracing::info!(size, "a resident's file arrived in the inbox");
        return Ok(if redirect.is_empty() {
            StatusCode::NO_CONTENT.into_response()
        } else {
            (StatusCode::SEE_OTHER, [(header::LOCATION, redirect)]).into_response()
        });
    }
    Err(Problem::field(
        "file",
        "Send the file in a part named file, after the form's fields",
    ))
}

fn unavailable() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "The file could not be kept; try again",
    )
}

trait FromStore {
    fn from_store(e: p3_domain::ports::StoreError) -> Problem;
}

impl FromStore for Problem {
    fn from_store(e: p3_domain::ports::StoreError) -> Problem {
        tracing::warn!(error = %e, "the upload inbox refused a file");
        unavailable()
    }
}
