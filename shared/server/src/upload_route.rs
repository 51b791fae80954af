//! `POST /uploads/{slot}`: where the local inbox's forms post a resident's file (the local
//! stand-in for an S3 presigned POST). The form's fields come first (`expires`, `redirect`,
//! `signature`) and the file, in the part named `file`, last: the signature is checked before
//! a byte of the file is kept, the file is counted as it arrives and refused with 413 past
//! 10 MB, and it goes into its slot only, once. Then the browser is sent to `redirect` (303)
//! when the form had one, else 204. A refusal is problem+json, or a page for a browser
//! (`refusal.rs`).

use std::io::Write;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use http::{header, StatusCode};
use p3_api::body::wants_html;
use p3_api::http::multipart::{drain, DRAIN_BYTES};
use p3_domain::attachment::{is_id, MAX_FILE_BYTES};
use p3_domain::ports::Clock;

use crate::inbox::{FolderInbox, FormRefusal};

mod refusal;
use refusal::Refusal;

/// What the route needs.
#[derive(Clone)]
pub struct Uploads {
    /// The inbox the forms write into.
    pub inbox: Arc<FolderInbox>,
    /// The service's clock (forms expire by it).
    pub clock: Arc<dyn Clock>,
    /// The landlord's name, for the page a browser gets when a file is refused.
    pub landlord: String,
}

/// The most the form's own fields may carry.
const MAX_FIELDS_BYTES: usize = 8 * 1024;

/// The route, with axum's own body limit lifted: the file is counted here as it arrives. It
/// is merged after the API's routers, so it adds their security headers itself.
pub fn router(uploads: Uploads) -> Router {
    Router::new()
        .route("/uploads/{slot}", post(receive))
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(p3_api::security_headers))
        .with_state(uploads)
}

/// A post to the inbox: its file kept, or refused as problem+json, or as a page when a browser
/// posted the form (`Accept: text/html`), linking back to the form's `redirect`. A client
/// shows an answer only once it has sent its whole body, so the rest of a refused body is
/// read and dropped first ([`drain`]); a body declaring more than [`DRAIN_BYTES`] is refused
/// unread, the connection then closed.
async fn receive(
    State(up): State<Uploads>,
    Path(slot): Path<String>,
    request: Request,
) -> Response {
    let browser = wants_html(request.headers());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let over = declared.is_some_and(|n| n > MAX_FILE_BYTES + MAX_FIELDS_BYTES);
    let refused_unread = if !is_id(&slot) {
        Some(Refusal::NoSuchSlot)
    } else if declared.is_some_and(|n| n > DRAIN_BYTES) {
        Some(Refusal::TooLarge)
    } else {
        None
    };
    let mut back = None;
    let refusal = match refused_unread {
        Some(r) => r,
        None => match Multipart::from_request(request, &()).await {
            Err(e) => Refusal::NotMultipart(e.body_text()),
            Ok(mut multipart) => match take(&up, &slot, &mut multipart, over, &mut back).await {
                Ok(res) => return res,
                Err(r) => {
                    drain(&mut multipart).await;
                    r
                }
            },
        },
    };
    if browser {
        refusal.page(&up.landlord, back.as_deref())
    } else {
        refusal.problem().into_response()
    }
}

/// Reads the form's fields, then checks them and keeps the file (`over`: its declared length
/// is past the limit, refused once the fields, and so `back`, are read).
async fn take(
    up: &Uploads,
    slot: &str,
    multipart: &mut Multipart,
    over: bool,
    back: &mut Option<String>,
) -> Result<Response, Refusal> {
    let malformed = |e: axum::extract::multipart::MultipartError| Refusal::Malformed(e.body_text());
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut field_bytes = 0usize;
    while let Some(mut part) = multipart.next_field().await.map_err(malformed)? {
        let name = part.name().unwrap_or("").to_string();
        if name != "file" {
            let text = part.text().await.map_err(malformed)?;
            field_bytes += text.len();
            if field_bytes > MAX_FIELDS_BYTES {
                return Err(Refusal::FieldsTooLong);
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
        *back = Some(redirect.clone());
        if over {
            return Err(Refusal::TooLarge);
        }
        match up.inbox.verify(
            slot,
            get("expires"),
            &redirect,
            get("signature"),
            up.clock.now(),
        ) {
            Ok(()) => {}
            Err(FormRefusal::Forged) => return Err(Refusal::Forged),
            Err(FormRefusal::Expired) => return Err(Refusal::Expired),
        }
        let filename = part.file_name().unwrap_or("").to_string();
        let (mut file, path) = up.inbox.begin(slot).map_err(from_store)?;
        let mut size = 0usize;
        let outcome: Result<(), Refusal> = async {
            while let Some(chunk) = part.chunk().await.map_err(malformed)? {
                size += chunk.len();
                if size > MAX_FILE_BYTES {
                    return Err(Refusal::TooLarge);
                }
                file.write_all(&chunk).map_err(|_| Refusal::Unavailable)?;
            }
            if size == 0 {
                return Err(Refusal::Empty);
            }
            file.sync_all().map_err(|_| Refusal::Unavailable)
        }
        .await;
        drop(file);
        if let Err(r) = outcome {
            let _ = std::fs::remove_file(&path);
            return Err(r);
        }
        let kept = up
            .inbox
            .finish(slot, &path, &filename)
            .map_err(from_store)?;
        if !kept {
            return Err(Refusal::Filled);
        }
        tracing::info!(size, "a resident's file arrived in the inbox");
        return Ok(if redirect.is_empty() {
            StatusCode::NO_CONTENT.into_response()
        } else {
            (StatusCode::SEE_OTHER, [(header::LOCATION, redirect)]).into_response()
        });
    }
    Err(Refusal::NoFile)
}

fn from_store(e: p3_domain::ports::StoreError) -> Refusal {
    tracing::warn!(error = %e, "the upload inbox refused a file");
    Refusal::Unavailable
}
