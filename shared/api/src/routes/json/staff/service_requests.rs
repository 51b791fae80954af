//! The Head of Tenant Services' review of service requests: `GET /staff/service-requests`
//! (by status, with their age) and `POST /staff/service-requests/{id}/closure`. A complaint
//! raised from a service request (`POST /staff/complaints` naming it, or its
//! `.../dissatisfaction`) marks it escalated, with the complaint's reference.

use p3_domain::service_request::{ServiceRequestQuery, ServiceRequestStatus, REVIEWER};

use super::*;

/// The list's query: `status` (`open`, `escalated` or `closed`; every one without) and `limit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceRequestListQuery {
    status: Option<String>,
    limit: Option<String>,
}

impl ServiceRequestListQuery {
    /// The query of the list page's status filter.
    pub(crate) fn of_status(status: Option<String>) -> Self {
        ServiceRequestListQuery {
            status,
            limit: None,
        }
    }

    /// The store query, or the fields at fault.
    pub(crate) fn parse(self) -> std::result::Result<ServiceRequestQuery, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let status = match validation::clean(self.status) {
            None => None,
            Some(s) => {
                let parsed = ServiceRequestStatus::parse(&s);
                if parsed.is_none() {
                    e.add("status", "must be open, escalated or closed");
                }
                parsed
            }
        };
        let limit = crate::views::limit_of(self.limit.as_deref(), 200, 1000, &mut e);
        e.into_result()?;
        Ok(ServiceRequestQuery { status, limit })
    }
}

/// A service request as the API shows it: its fields, its `status` and its
/// `age_working_days` today.
pub(crate) fn service_request_view(st: &AppState, sr: &ServiceRequest) -> serde_json::Value {
    let today = london_date(st.service.clock.now());
    let mut v = serde_json::to_value(sr).unwrap_or_default();
    v["status"] = json!(sr.status().as_str());
    v["age_working_days"] = json!(sr.age_working_days(&st.service.rules.calendar, today));
    v
}

pub(crate) async fn list_service_requests(
    State(st): State<AppState>,
    staff: Staff,
    Query(q): Query<ServiceRequestListQuery>,
) -> Result<Response> {
    staff.require(Role::Auditor)?;
    let query = q.parse().map_err(Problem::invalid)?;
    let found = st.service.service_requests(&query).await?;
    let items: Vec<serde_json::Value> = found
        .iter()
        .map(|sr| service_request_view(&st, sr))
        .collect();
    Ok(axum::Json(json!({"count": items.len(), "service_requests": items})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClosureBody {
    pub(crate) note: Option<String>,
    pub(crate) at: Option<DateTime<Utc>>,
}

pub(crate) async fn close_service_request(
    State(st): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    staff.require(REVIEWER)?;
    let (b, raw): (ClosureBody, _) = json_body(&headers, body).await?;
    let path = format!("/staff/service-requests/{id}/closure");
    let idem = idempotency(&headers, &staff.email, &path, &raw)?;
    close(&st, &staff, &id, b, idem.as_ref()).await
}

/// Closes `id` on `staff`'s review, answering 200 with the closed request: the route's and
/// the review page's one way to close.
pub(crate) async fn close(
    st: &AppState,
    staff: &Staff,
    id: &str,
    b: ClosureBody,
    idem: Option<&IdempotencyKey>,
) -> Result<Response> {
    let view_of = |sr: &ServiceRequest| {
        StoredReply::Changed(ReplyView {
            reference: sr.id.clone(),
            version: None,
            body: service_request_view(st, sr).to_string(),
        })
    };
    let w = st
        .service
        .close_service_request(id, b.note, &staff.email, b.at, idem, &view_of)
        .await?;
    Ok(reply(w.reply))
}
