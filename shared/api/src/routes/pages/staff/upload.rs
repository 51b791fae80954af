//! Adding a file from the case page (`POST /staff/cases/{reference}/attachments`): the "Add a
//! file" form, posted as `multipart/form-data` (`csrf_token`, `file`, `description`), works
//! without JavaScript. It reads the form within the JSON route's limits
//! ([`crate::http::multipart`]), checks the session's CSRF token and the role the JSON route
//! needs, and adds the file through the same domain function ([`attachment::attach`]); then a
//! 303 to the case, or the case again with the error summary naming the field (a file over
//! 10 MB is a 413 page saying so).

use axum::extract::Request;
use p3_domain::attachment;
use p3_domain::role::Caller;

use super::*;
use crate::http::multipart;
use crate::routes::json::staff::{attachment_reply, upload_of};

/// The form's id on the page (its `<details>`); its fields are `attachment-file` and
/// `attachment-description`.
const FORM: &str = "attachment";

/// What the banner says once the file is added.
pub(super) fn done_message(action: &str) -> Option<&'static str> {
    (action == FORM).then_some("File added")
}

/// Where an API error on `field` is shown: the field's element, or the form.
fn element_for(field: &str) -> String {
    match field {
        "file" | "description" => format!("{FORM}-{field}"),
        _ => FORM.to_string(),
    }
}

/// What a refused upload says on the page, by the problem's status.
fn message_of(problem: &Problem) -> String {
    match problem.status {
        413 => format!(
            "The file must be {} MB or smaller",
            attachment::MAX_FILE_BYTES / (1024 * 1024)
        ),
        412 | 409 => {
            "Someone else changed this complaint at the same moment. Choose the file again and retry."
                .to_string()
        }
        _ => problem
            .detail
            .clone()
            .unwrap_or_else(|| problem.title.clone()),
    }
}

/// `POST /staff/cases/{reference}/attachments`: the case page's "Add a file" form.
pub(crate) async fn add_file(
    State(st): State<AppState>,
    Path(reference): Path<String>,
    who: Result<SignedIn, Response>,
    request: Request,
) -> Result<Response, Problem> {
    let who = match who {
        Ok(w) => w,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let page = |fields: Vec<(String, String)>, errors: Vec<(String, String)>, status| {
        let attempt = Attempt {
            action: FORM.to_string(),
            fields,
            errors: errors
                .into_iter()
                .map(|(id, m)| (format!("#{id}"), m))
                .collect(),
        };
        let st = st.clone();
        let who = &who;
        let reference = reference.clone();
        async move { render_case(&st, who, &reference, None, &attempt, status).await }
    };
    let status_of =
        |p: &Problem| StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let form = match multipart::read(request, 1).await {
        Ok(f) => f,
        // Too large, not multipart or not well-formed: nothing was kept, the page says why.
        Err(p) => {
            let errors = if p.errors.is_empty() {
                vec![(format!("{FORM}-file"), message_of(&p))]
            } else {
                field_errors(&p)
            };
            return Ok(page(Vec::new(), errors, status_of(&p)).await);
        }
    };
    let fields = form.fields.clone();
    if !same(form.field("csrf_token").unwrap_or(""), &who.csrf) {
        let errors = vec![(
            FORM.to_string(),
            "This form had expired. Check the complaint below and try again.".into(),
        )];
        return Ok(page(fields, errors, StatusCode::FORBIDDEN).await);
    }
    let added = async {
        // The role the JSON route needs. The form is read first (within its limits) so that a
        // browser still sending it gets the answer rather than a closed connection.
        who.staff.require(Role::Officer)?;
        let upload = upload_of(&form, "file")?.remove(0);
        let caller = Caller::staff(&who.staff.email, who.staff.role);
        attachment::attach(
            &st.service,
            st.attachments.as_ref(),
            &reference,
            upload,
            &caller,
            &attachment_reply,
        )
        .await
        .map_err(Problem::from)
    }
    .await;
    match added {
        Ok(_) => {
            tracing::info!(reference = %reference, by_role = %who.staff.role.as_str(), "attachment added from the case page");
            let to = format!("/staff/cases/{}?done={FORM}", urlencode(&reference));
            Ok(Redirect::to(&to).into_response())
        }
        Err(p) if p.status == 404 => Ok(page(fields, Vec::new(), StatusCode::NOT_FOUND).await),
        Err(p) => {
            let errors = if p.errors.is_empty() {
                vec![(FORM.to_string(), message_of(&p))]
            } else {
                field_errors(&p)
            };
            Ok(page(fields, errors, status_of(&p)).await)
        }
    }
}

/// The problem's field errors, each on its element.
fn field_errors(p: &Problem) -> Vec<(String, String)> {
    p.errors
        .iter()
        .map(|e| (element_for(&e.field), friendly(&e.field, &e.message)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_land_on_the_file_form() {
        assert_eq!(element_for("file"), "attachment-file");
        assert_eq!(element_for("description"), "attachment-description");
        assert_eq!(element_for("(body)"), "attachment");
        let too_large = Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "x");
        assert_eq!(message_of(&too_large), "The file must be 10 MB or smaller");
    }
}
