//! The case page's "Add a file" straight into the upload inbox (issues 15 items 5 and 7, 17
//! item 9): the form the case page renders IS an inbox form ([`inbox_form`]: the inbox's URL,
//! its fields as hidden inputs, the file input `file` last), so the browser posts the bytes to
//! the inbox (S3 on AWS, past Lambda's cap of about 4.5 MB of a file on a request; `POST
//! /uploads/{slot}` locally) without JavaScript. The inbox then sends the browser to the
//! confirm page, `GET /staff/cases/{reference}/attachments/new?slot=…` (S3 adds `bucket`, `key`
//! and `etag` to the query, which are not read), which shows the file's name and size, or why
//! it cannot be kept, and asks what it is; its POST (CSRF-checked, the officer role as the
//! multipart form) adds it with [`staff_files::attach_from_inbox`] (the type told from the
//! content, 10 MB, all or nothing, the slot emptied once the file is kept).

use askama::Template;
use chrono::Duration;
use p3_domain::attachment::{self, is_id, size_label, Upload};
use p3_domain::inbox::{UploadForm, FORM_LIFETIME_MINUTES};
use p3_domain::role::Caller;
use p3_domain::staff_files;

use super::case::chrome;
use super::*;
use crate::routes::json::staff::attachment_reply;
use crate::routes::pages::layout::{respond, Chrome};

/// The confirm page's path for the case `reference`.
fn confirm_path(reference: &str) -> String {
    format!("/staff/cases/{}/attachments/new", urlencode(reference))
}

/// What the case page says of the form's lifetime, and what to do once it has passed.
pub(super) fn lifetime_hint() -> String {
    format!(
        "You say what the file is on the next page. This form lasts {FORM_LIFETIME_MINUTES} minutes: if sending the file is refused because the form has expired, reload this page and choose the file again."
    )
}

/// A form for one file of the case `reference` into a new slot of the inbox, sending the
/// browser to the confirm page once the file is in; `None` when the host's inbox hands out no
/// forms (the case page then keeps its multipart form).
pub(super) async fn inbox_form(st: &AppState, reference: &str) -> Option<UploadForm> {
    let slot = attachment::new_id(st.service.random.bytes10());
    let expires_at = st.service.clock.now() + Duration::minutes(FORM_LIFETIME_MINUTES);
    let base = st.service.settings.base_url.trim_end_matches('/');
    let redirect = format!("{base}{}?slot={slot}", confirm_path(reference));
    match st.inbox.form(&slot, expires_at, Some(&redirect)).await {
        Ok(form) => Some(form),
        Err(e) => {
            tracing::debug!(error = %e, "no inbox form for the case page: the multipart form instead");
            None
        }
    }
}

/// `?slot=` (S3's `bucket`, `key` and `etag` are ignored).
#[derive(Deserialize)]
pub(crate) struct ConfirmQuery {
    slot: Option<String>,
}

/// The confirm page (`templates/staff/case/attachment_confirm.html`).
#[derive(Template)]
#[template(path = "staff/case/attachment_confirm.html")]
struct ConfirmPage<'a> {
    chrome: Chrome<'a>,
    reference: &'a str,
    url_reference: String,
    csrf: &'a str,
    errors: Vec<(String, String)>,
    /// The file as it arrived: its name, size and kind.
    rows: Vec<(&'static str, String)>,
    /// Why the file cannot be kept (or has not arrived), shown instead of the form.
    file_error: Option<String>,
    /// The description form, when the file can be added.
    form: Option<DescribeForm>,
}

struct DescribeForm {
    slot: String,
    description: String,
    error: Option<String>,
}

/// What the page shows: the slot, what was typed, the errors by element id.
struct Shown {
    slot: String,
    description: String,
    errors: Vec<(String, String)>,
}

/// `GET /staff/cases/{reference}/attachments/new?slot=…`: where the inbox sends the browser.
pub(crate) async fn confirm_page(
    State(st): State<AppState>,
    who: SignedIn,
    Path(reference): Path<String>,
    Query(q): Query<ConfirmQuery>,
) -> Response {
    let shown = Shown {
        slot: q.slot.unwrap_or_default(),
        description: String::new(),
        errors: Vec::new(),
    };
    render(&st, &who, &reference, shown, StatusCode::OK).await
}

/// `POST /staff/cases/{reference}/attachments/new` (`csrf_token`, `slot`, `description`):
/// adds the file waiting in the slot, then a 303 to the case; or the page again with the
/// error summary.
pub(crate) async fn confirm(
    State(st): State<AppState>,
    who: Result<SignedIn, Response>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let who = match who {
        Ok(w) => w,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    let mut shown = Shown {
        slot: get(&fields, "slot").unwrap_or("").to_string(),
        description: get(&fields, "description").unwrap_or("").to_string(),
        errors: Vec::new(),
    };
    if !same(get(&fields, "csrf_token").unwrap_or(""), &who.csrf) {
        shown.errors = vec![(
            "#attachment-description".into(),
            "This form had expired. Check the file below and try again.".into(),
        )];
        return Ok(render(&st, &who, &reference, shown, StatusCode::FORBIDDEN).await);
    }
    if let Err(p) = who.staff.require(Role::Officer) {
        return Ok(refused_role(&st, &who, &reference, p));
    }
    let caller = Caller::staff(&who.staff.email, who.staff.role);
    let added = staff_files::attach_from_inbox(
        &st.service,
        st.inbox.as_ref(),
        st.attachments.as_ref(),
        &reference,
        &shown.slot,
        &shown.description,
        &caller,
        &attachment_reply,
    )
    .await
    .map_err(Problem::from);
    match added {
        Ok(_) => {
            tracing::info!(reference = %reference, by_role = %who.staff.role.as_str(), "attachment added from the upload inbox");
            let to = format!("/staff/cases/{}?done=attachment", urlencode(&reference));
            Ok(Redirect::to(&to).into_response())
        }
        Err(p) if p.status == 403 => Ok(refused_role(&st, &who, &reference, p)),
        Err(p) => {
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            shown.errors = if p.errors.is_empty() {
                let message = match p.status {
                    409 | 412 => {
                        "Someone else changed this complaint at the same moment: try again."
                            .to_string()
                    }
                    _ => p.detail.clone().unwrap_or_else(|| p.title.clone()),
                };
                vec![("#attachment-description".into(), message)]
            } else {
                p.errors
                    .iter()
                    .map(|e| {
                        let id = if e.field == "description" {
                            "#attachment-description"
                        } else {
                            "#attachment-file"
                        };
                        (id.to_string(), friendly(&e.field, &e.message))
                    })
                    .collect()
            };
            Ok(render(&st, &who, &reference, shown, status).await)
        }
    }
}

/// A role that may not add files: 403, saying which role it needs.
fn refused_role(st: &AppState, who: &SignedIn, reference: &str, p: Problem) -> Response {
    let message = p.detail.clone().unwrap_or_else(|| p.title.clone());
    let title = "Error: Add a file";
    let page = ConfirmPage {
        chrome: chrome(st, who, title),
        reference,
        url_reference: urlencode(reference),
        csrf: &who.csrf,
        errors: vec![("#attachment-file".into(), message.clone())],
        rows: Vec::new(),
        file_error: Some(message),
        form: None,
    };
    respond(StatusCode::FORBIDDEN, &page)
}

/// The confirm page for the file in `shown.slot`, read from the inbox and checked as it
/// would be kept.
async fn render(
    st: &AppState,
    who: &SignedIn,
    reference: &str,
    mut shown: Shown,
    status: StatusCode,
) -> Response {
    if let Err(p) = who.staff.require(Role::Officer) {
        return refused_role(st, who, reference, p);
    }
    if let Err(p) = load_case(st, who, reference).await {
        return p.into_response();
    }
    let mut rows = Vec::new();
    let mut status = status;
    let file_fault = if !is_id(&shown.slot) {
        Some("This is not an upload the service handed out: choose the file again".to_string())
    } else {
        match st.inbox.fetch(&shown.slot).await {
            Err(e) => {
                tracing::warn!(error = %e, "the upload inbox could not be read");
                status = StatusCode::SERVICE_UNAVAILABLE;
                Some("The file could not be read just now: try again in a moment".to_string())
            }
            Ok(None) => Some(
                "This file has not arrived (its upload may have expired): choose it again"
                    .to_string(),
            ),
            Ok(Some(file)) => {
                rows.push(("File", attachment::display_name(&file.filename)));
                rows.push(("Size", size_label(file.bytes.len() as u64)));
                let upload = Upload {
                    filename: file.filename,
                    bytes: file.bytes,
                    description: String::new(),
                };
                match attachment::check(&upload) {
                    Ok(checked) => {
                        rows.push(("Kind", checked.kind.label().to_string()));
                        None
                    }
                    Err(e) => Some(
                        e.errors
                            .iter()
                            .map(|fe| fe.message.clone())
                            .collect::<Vec<_>>()
                            .join(". "),
                    ),
                }
            }
        }
    };
    if let Some(m) = &file_fault {
        shown.errors.retain(|(id, _)| id != "#attachment-file");
        shown
            .errors
            .insert(0, ("#attachment-file".into(), m.clone()));
        if status.is_success() {
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
    }
    let description_error = shown
        .errors
        .iter()
        .find(|(id, _)| id == "#attachment-description")
        .map(|(_, m)| m.clone());
    let title = if shown.errors.is_empty() {
        format!("Add a file to complaint {reference}")
    } else {
        format!("Error: Add a file to complaint {reference}")
    };
    let page = ConfirmPage {
        chrome: chrome(st, who, &title),
        reference,
        url_reference: urlencode(reference),
        csrf: &who.csrf,
        errors: shown.errors,
        rows,
        form: file_fault.is_none().then_some(DescribeForm {
            slot: shown.slot,
            description: shown.description,
            error: description_error,
        }),
        file_error: file_fault,
    };
    respond(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirm_page_is_under_the_case_and_the_hint_names_the_lifetime() {
        assert_eq!(
            confirm_path("CMP-2026-00001"),
            "/staff/cases/CMP-2026-00001/attachments/new"
        );
        assert!(lifetime_hint().contains("30 minutes"));
        assert!(lifetime_hint().contains("reload this page"));
    }
}
