//! `GET /complaints/{reference}/files/{id}?code=`: a resident downloads a file they sent with
//! their complaint or a review request, listed on their case page (issue 15 items 5 and 7).
//! Opened by the access code exactly as the case page is (a wrong code, an unknown reference
//! or a file of staff's are the same 404, and wrong codes count against their limits); served
//! as staff's downloads are: `Content-Disposition: attachment`, `nosniff`, and on AWS a file
//! over 4 MB answered `303` to a short-lived presigned GET of it.

use super::*;

/// `GET /complaints/{reference}/files/{id}?code=`: the file, as a download.
pub(crate) async fn resident_file(
    State(st): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    Path((reference, id)): Path<(String, String)>,
    Query(q): Query<CodeQuery>,
) -> Result<Response> {
    let who = client(addr);
    let case = case_with_code(&st, &who, &reference, q.code.as_deref()).await?;
    // Only the files the resident sent: staff's files are never theirs to read.
    let file = case
        .attachments
        .iter()
        .find(|a| a.id == id && a.from_resident())
        .ok_or_else(Problem::not_found)?;
    crate::routes::json::staff::serve_file(&st, &case.reference, file).await
}
