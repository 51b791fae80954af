//! The resident's files from the JSON API: `POST /complaints/uploads` hands out a form per file
//! into the upload inbox (an S3 presigned POST on AWS, a signed route of `p3 serve` locally);
//! the complaint (`POST /complaints`) or the Stage 2 request then names the slots in
//! `"attachments"`, and the service attaches them in the same write (see
//! [`p3_domain::resident_files`]).

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use http::{HeaderMap, StatusCode};
use p3_domain::inbox::InboxFile;
use p3_domain::resident_files::FIELD;
use p3_domain::validation::ValidationErrors;
use serde::Deserialize;

use super::{client, Result};
use crate::body::{self, BodyKind};
use crate::limit::Allowance;
use crate::problem::Problem;
use crate::{AppState, ClientAddr};

#[derive(Deserialize)]
struct FormsRequest {
    #[serde(default, deserialize_with = "crate::http::inbox_forms::whole_number")]
    count: Option<i64>,
}

/// `POST /complaints/uploads` `{"count": n}`: `n` (1 to 5) forms, one a file, each into a new
/// slot of the inbox and accepted for
/// [`p3_domain::inbox::FORM_LIFETIME_MINUTES`] minutes. Limited per client
/// as the complaint form is, counted apart from it.
pub(crate) async fn forms(
    State(st): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    if body::kind_of(&headers) != Some(BodyKind::Json) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send application/json: {\"count\": 1 to 5}",
        ));
    }
    let who = client(addr);
    match st.form_limit.take(&format!("uploads {who}")).await {
        Ok(Allowance::Refused { wait }) => return Err(Problem::too_many(wait)),
        Ok(_) => {}
        // Fail open, as the complaint form does: the forms only let a file wait a day.
        Err(e) => tracing::warn!(error = %e, "the upload forms' limit was not applied"),
    }
    let raw = body::read_limited(&headers, body).await?;
    let asked: FormsRequest = body::parse_json(&raw)?;
    let count = crate::http::inbox_forms::count_of(asked.count, None)?;
    crate::http::inbox_forms::hand_out(&st, count).await
}

#[derive(Deserialize)]
struct Attachments {
    #[serde(default)]
    attachments: Option<Vec<String>>,
}

/// The slots a JSON body names in `"attachments"` (none when absent).
pub(crate) fn slots_of(raw: &[u8]) -> Result<Vec<String>> {
    Ok(body::parse_json::<Attachments>(raw)?
        .attachments
        .unwrap_or_default())
}

/// The slots a page's form names: its text fields `attachments`, which the pages' script
/// (`/assets/upload.js`) sends instead of the files once it has posted each into the inbox.
/// A file chosen in the same input comes as a file part, never as one of these.
pub(crate) fn slots_posted(fields: &[(String, String)]) -> Vec<String> {
    fields
        .iter()
        .filter(|(k, _)| k == FIELD)
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

/// What a page's form posted: its text fields and the files that came with it.
pub(crate) struct Posted {
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) files: Vec<InboxFile>,
}

impl Posted {
    pub(crate) fn of(form: crate::http::multipart::MultipartForm) -> Posted {
        Posted {
            fields: form.fields,
            files: form
                .files
                .into_iter()
                .map(|f| InboxFile {
                    filename: f.filename,
                    bytes: f.bytes,
                })
                .collect(),
        }
    }
}

/// The errors as a page shows them: a fault of one file (`attachments[i]`) next to the one
/// file input, saying which file, and that files must be chosen again.
pub(crate) fn on_the_page(errors: ValidationErrors) -> ValidationErrors {
    let mut shown = ValidationErrors::new();
    for fe in errors.errors {
        let file = fe
            .field
            .strip_prefix("attachments[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok());
        match file {
            Some(i) => shown.add(
                FIELD,
                format!("File {}: {} (choose your files again)", i + 1, fe.message),
            ),
            None => shown.add(&fe.field, fe.message),
        }
    }
    shown
}
