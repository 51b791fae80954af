//! Staff files through the upload inbox, for files larger than a request to the service may
//! carry on AWS (API Gateway and Lambda: about 4.5 MB of a file, under the 10 MB a file may
//! be): `POST /staff/complaints/{reference}/attachments/uploads` hands out forms into the
//! inbox, as `POST /complaints/uploads` does for residents; the browser or client posts the
//! file with its form, straight to S3 on AWS; then `POST /staff/complaints/{reference}/attachments`
//! with `{"upload": "<slot>", "description": "…"}` adds it to the case, answering as the
//! multipart form does. The rule is the domain's ([`p3_domain::staff_files`]).

use p3_domain::staff_files;

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormsRequest {
    #[serde(default, deserialize_with = "crate::http::inbox_forms::whole_number")]
    count: Option<i64>,
}

/// `POST /staff/complaints/{reference}/attachments/uploads` `{"count": n}` (optional, 1 to 5,
/// 1 when left out or the body is empty): 201 with `n` forms, each into a new slot of the
/// inbox. Needs a role that may add a file to the case.
pub(crate) async fn attachment_upload_forms(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    load(&st, &reference).await?;
    let raw = body::read_limited(&headers, body).await?;
    let count = if raw.iter().all(u8::is_ascii_whitespace) {
        1
    } else {
        if body::kind_of(&headers) != Some(BodyKind::Json) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send application/json: {\"count\": 1 to 5}, or no body for one form",
            ));
        }
        crate::http::inbox_forms::count_of(body::parse_json::<FormsRequest>(&raw)?.count, Some(1))?
    };
    crate::http::inbox_forms::hand_out(&st, count).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FromInbox {
    upload: String,
    #[serde(default)]
    description: String,
}

/// `POST /staff/complaints/{reference}/attachments` with a JSON body: the file waiting in the
/// slot `upload` added to the case, 201 as for the multipart form; the slot is emptied.
pub(crate) async fn add_attachment_from_inbox(
    st: &AppState,
    staff: &Staff,
    reference: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    let raw = body::read_limited(headers, body).await?;
    let asked: FromInbox = body::parse_json(&raw)?;
    let caller = Caller::staff(&staff.email, staff.role);
    let w = staff_files::attach_from_inbox(
        &st.service,
        st.inbox.as_ref(),
        st.attachments.as_ref(),
        reference,
        &asked.upload,
        &asked.description,
        &caller,
        &attachment_reply,
    )
    .await?;
    if let Some(c) = &w.case {
        tracing::info!(reference = %c.reference, version = c.version, by_role = %staff.role.as_str(), "attachment added from the upload inbox");
    }
    Ok(reply(w.reply))
}
