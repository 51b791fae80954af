//! Reading cases: `GET /staff/complaints` and `GET /staff/complaints/{reference}`.

use super::*;
pub(crate) async fn list(
    State(st): State<AppState>,
    staff: Staff,
    Query(q): Query<views::ListQuery>,
) -> Result<Response> {
    staff.require(Role::Auditor)?;
    let now = st.service.clock.now();
    let query = q.parse(london_date(now)).map_err(Problem::invalid)?;
    let list = views::CaseList::load(&st.service, &query, now).await?;
    Ok(axum::Json(views::json(&list)).into_response())
}

pub(crate) async fn get_case(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    staff.require(Role::Auditor)?;
    let case = load(&st, &reference).await?;
    let etag = format!("\"{}\"", case.version);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let sent = views::sent_letter_copies(st.service.store.as_ref(), &case).await;
    let mut res = axum::Json(views::staff_case_with(
        &case,
        &st.service.rules,
        st.service.clock.now(),
        &sent,
    ))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}
