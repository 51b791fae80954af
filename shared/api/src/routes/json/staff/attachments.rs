//! Files on a case: `POST /staff/complaints/{reference}/attachments` (multipart/form-data:
//! `file`, `description`; or JSON naming a file in the upload inbox, [`super::inbox_attachments`])
//! adds one, `GET /staff/complaints/{reference}/attachments/{id}` serves
//! it back as a download. Adding needs a role that may change the case; reading, any staff role
//! that may read it. The rules (kinds, size, the record) are the domain's
//! ([`p3_domain::attachment`]).

use p3_domain::attachment::{self, Attachment, Upload};

use super::*;
use crate::http::multipart::{self, MultipartForm};

/// `POST /staff/complaints/{reference}/attachments`: 201 with the file's id, name, type, size
/// and SHA-256.
pub(crate) async fn add_attachment(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    // An unknown case is 404 before its body is read.
    load(&st, &reference).await?;
    // A JSON body names a file already posted into the upload inbox.
    if body::kind_of(request.headers()) == Some(BodyKind::Json) {
        let (parts, body) = request.into_parts();
        return add_attachment_from_inbox(&st, &staff, &reference, &parts.headers, body).await;
    }
    let form = multipart::read(request, 1).await?;
    let upload = upload_of(&form, "file")?.remove(0);
    let caller = Caller::staff(&staff.email, staff.role);
    let w = attachment::attach(
        &st.service,
        st.attachments.as_ref(),
        &reference,
        upload,
        &caller,
        &attachment_reply,
    )
    .await?;
    if let Some(c) = &w.case {
        tracing::info!(reference = %c.reference, version = c.version, by_role = %staff.role.as_str(), "attachment added");
    }
    Ok(reply(w.reply))
}

/// The files of a multipart form sent in `field`, each with the form's `description`: at
/// least one (422 naming the field otherwise).
pub(crate) fn upload_of(form: &MultipartForm, field: &str) -> Result<Vec<Upload>> {
    let description = form.field("description").unwrap_or("").to_string();
    let uploads: Vec<Upload> = form
        .files
        .iter()
        .filter(|f| f.field == field)
        .map(|f| Upload {
            filename: f.filename.clone(),
            bytes: f.bytes.clone(),
            description: description.clone(),
        })
        .collect();
    if uploads.is_empty() {
        return Err(Problem::field(field, "Choose a file to upload"));
    }
    Ok(uploads)
}

/// What adding a file answers: the file as recorded.
pub(crate) fn attachment_reply(case: &Case, id: &str) -> StoredReply {
    let body = match case.attachments.iter().find(|a| a.id == id) {
        Some(a) => json!({
            "id": a.id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
        }),
        None => json!({ "id": id }),
    };
    StoredReply::Created(replay::view(&case.reference, Some(case.version), &body))
}

/// `GET /staff/complaints/{reference}/attachments/{id}`: the file, as a download.
pub(crate) async fn attachment_file(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, id)): Path<(String, String)>,
) -> Result<Response> {
    staff.require(Role::Auditor)?;
    let case = load(&st, &reference).await?;
    let a = case
        .attachments
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(Problem::not_found)?;
    serve_file(&st, &case.reference, a).await
}

/// Serves a case's file as a download: its recorded type, `Content-Disposition: attachment`
/// with its name quoted and encoded, `X-Content-Type-Options: nosniff`. 404 when its bytes are
/// gone (removed by retention).
pub(crate) async fn serve_file(st: &AppState, reference: &str, a: &Attachment) -> Result<Response> {
    // A file larger than the host's answers may carry (on AWS) is fetched from the store
    // itself, through a short-lived link served with the same type and disposition.
    let served_as = attachment::ServedAs {
        content_type: a.content_type.clone(),
        content_disposition: content_disposition(&a.filename),
    };
    if let Some(link) = st
        .attachments
        .download_link(reference, &a.id, a.size, &served_as)
        .await
        .map_err(p3_domain::service::ServiceError::from)?
    {
        return Ok(crate::http::download::see_other(&link));
    }
    let bytes = st
        .attachments
        .get(reference, &a.id)
        .await
        .map_err(p3_domain::service::ServiceError::from)?
        .ok_or_else(Problem::not_found)?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&a.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&a.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): the quoted name keeps only
/// characters every browser reads the same (others become `_`), the encoded one is exact.
pub(crate) fn content_disposition(filename: &str) -> String {
    let plain = attachment::plain_name(filename);
    let mut encoded = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn a_file_name_is_quoted_safely_and_encoded_exactly() {
        assert_eq!(
            content_disposition("damp \"photo\";\r\n\u{e9}.jpg"),
            "attachment; filename=\"damp _photo_____.jpg\"; filename*=UTF-8''damp%20%22photo%22%3B%0D%0A%C3%A9.jpg"
        );
    }
}
