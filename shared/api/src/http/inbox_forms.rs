//! Handing out upload forms into the inbox (the residents' `POST /complaints/uploads`, staff's
//! `POST /staff/complaints/{reference}/attachments/uploads`): one form a file, each into a new
//! slot, accepted for [`FORM_LIFETIME_MINUTES`] minutes.

use axum::response::{IntoResponse, Response};
use chrono::Duration;
use http::StatusCode;
use p3_domain::attachment::{new_id, MAX_RESIDENT_FILES};
use p3_domain::inbox::FORM_LIFETIME_MINUTES;
use p3_domain::ports::StoreError;
use p3_domain::service::ServiceError;
use serde::{Deserialize, Deserializer};
use serde_json::json;

use crate::http::cookies::private_page;
use crate::problem::Problem;
use crate::AppState;

/// The number of forms a body asks for: `count`, 1 to [`MAX_RESIDENT_FILES`]; left out, the
/// route's `default` if it has one. Sent as `null` it is refused like any other value that is not
/// a whole number (api-fuzz found staff's route read `{"count": null}` as left out).
pub(crate) fn count_of(asked: Option<i64>, default: Option<usize>) -> Result<usize, Problem> {
    match (asked, default) {
        (None, Some(d)) => Ok(d),
        (Some(n), _) if (1..=MAX_RESIDENT_FILES as i64).contains(&n) => Ok(n as usize),
        _ => Err(Problem::field(
            "count",
            format!("Ask for 1 to {MAX_RESIDENT_FILES} upload forms"),
        )),
    }
}

/// For `#[serde(default, deserialize_with = "...")]`: a field that may be left out but, when
/// given, must be a whole number (`null` is refused, naming the field).
pub(crate) fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    i64::deserialize(d).map(Some)
}

/// 201 `{"forms": [...]}`: `count` forms, each into a new slot of the inbox.
pub(crate) async fn hand_out(st: &AppState, count: usize) -> Result<Response, Problem> {
    let expires_at = st.service.clock.now() + Duration::minutes(FORM_LIFETIME_MINUTES);
    let mut forms = Vec::with_capacity(count);
    for _ in 0..count {
        let slot = new_id(st.service.random.bytes10());
        let form = st
            .inbox
            .form(&slot, expires_at, None)
            .await
            .map_err(refused)?;
        forms.push(form);
    }
    let res = (StatusCode::CREATED, axum::Json(json!({ "forms": forms }))).into_response();
    Ok(private_page(res))
}

/// An inbox that takes no files says so (501); any other fault is the store's.
fn refused(e: StoreError) -> Problem {
    match e {
        StoreError::Refused(why) => Problem::new(StatusCode::NOT_IMPLEMENTED, "no-uploads", why),
        other => Problem::from(ServiceError::from(other)),
    }
}
