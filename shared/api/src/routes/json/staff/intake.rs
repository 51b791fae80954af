//! Taking complaints and service requests in: `POST /staff/complaints`, `/staff/service-requests`
//! and a service request's dissatisfaction.

use super::*;
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewStaffComplaint {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    postcode: Option<String>,
    tenancy_reference: Option<String>,
    description: Option<String>,
    desired_outcome: Option<String>,
    category: Option<String>,
    tenure: Option<String>,
    channel: Channel,
    received_at: Option<DateTime<Utc>>,
    at: Option<DateTime<Utc>>,
    representative_name: Option<String>,
    representative_relationship: Option<String>,
    representative_email: Option<String>,
    representative_address: Option<String>,
    #[serde(default)]
    representative_authorised: bool,
    #[serde(default)]
    resolved_at_first_contact: bool,
    resolution_summary: Option<String>,
    outcome: Option<Outcome>,
    service_request: Option<String>,
    procedure: Option<String>,
}

pub(crate) async fn create_complaint(
    State(st): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (b, raw): (NewStaffComplaint, _) = json_body(&headers, body).await?;
    let (new, at) = staff_complaint_case(&st, b).await?;
    let idem = idempotency(&headers, &staff.email, "/staff/complaints", &raw)?;
    create(&st, &staff, idem.as_ref(), new, at).await
}

/// The new case a staff complaint's body describes, with when it was received: the checks of
/// `POST /staff/complaints`, which the page logging a complaint applies too.
pub(crate) async fn staff_complaint_case(
    st: &AppState,
    b: NewStaffComplaint,
) -> Result<(NewCase, Option<DateTime<Utc>>)> {
    let form = ComplaintForm {
        name: b.name,
        email: b.email,
        phone: b.phone,
        address: b.address,
        postcode: b.postcode,
        tenancy_reference: b.tenancy_reference,
        description: b.description,
        desired_outcome: b.desired_outcome,
        category: b.category,
        tenure: b.tenure,
    };
    let mut errors = ValidationErrors::new();
    let details = form.validate(b.channel, &st.service.settings.categories);
    let rep_name = validation::clean(b.representative_name);
    let rep_rel = validation::clean(b.representative_relationship);
    let rep_email = validation::clean(b.representative_email).map(|e| e.to_ascii_lowercase());
    let rep_address = validation::clean(b.representative_address);
    if rep_email
        .as_deref()
        .is_some_and(|e| !validation::is_email(e))
    {
        errors.add(
            "representative_email",
            "Enter an email address in the correct format, like name@example.com",
        );
    }
    errors.check_len("representative_address", rep_address.as_deref(), 500);
    if rep_name.is_none()
        && (rep_email.is_some() || rep_address.is_some() || b.representative_authorised)
    {
        errors.add(
            "representative_name",
            "Name the representative as well as their contact details",
        );
    }
    errors.check_len("representative_name", rep_name.as_deref(), 200);
    errors.check_len("representative_relationship", rep_rel.as_deref(), 200);
    if b.channel == Channel::Representative && rep_name.is_none() {
        errors.add(
            "representative_name",
            "Name the representative who raised the complaint",
        );
    }
    if rep_rel.is_some() && rep_name.is_none() {
        errors.add(
            "representative_name",
            "Name the representative as well as their relationship",
        );
    }
    let summary = validation::clean(b.resolution_summary);
    if b.resolved_at_first_contact && summary.is_none() {
        errors.add(
            "resolution_summary",
            "Enter what was agreed with the resident at first contact",
        );
    }
    if !b.resolved_at_first_contact && (summary.is_some() || b.outcome.is_some()) {
        errors.add(
            "resolved_at_first_contact",
            "must be true when a resolution is given",
        );
    }
    errors.check_len("resolution_summary", summary.as_deref(), 10_000);
    let procedure = b.procedure.unwrap_or_else(|| HOUSING.to_string());
    if st.service.rules.procedures.get(&procedure).is_none() {
        errors.add("procedure", "unknown procedure");
    }
    if let Some(sr) = &b.service_request {
        match st
            .service
            .store
            .load_service_request(sr)
            .await
            .map_err(p3_domain::service::ServiceError::from)?
        {
            Some(_) => {}
            None => errors.add("service_request", "no service request has this id"),
        }
    }
    let mut details = match details {
        Ok(d) => {
            errors.into_result().map_err(Problem::invalid)?;
            d
        }
        Err(mut e) => {
            e.errors.extend(errors.errors);
            return Err(Problem::invalid(e));
        }
    };
    details.representative = rep_name.map(|name| Representative {
        name,
        relationship: rep_rel,
        email: rep_email,
        address: rep_address,
        authorised_copies: b.representative_authorised,
    });
    let new = NewCase {
        procedure,
        complaint: details,
        service_request: b.service_request,
        access_code_hash: None,
        first_contact_resolution: b.resolved_at_first_contact.then(|| FirstContactResolution {
            outcome: b.outcome.unwrap_or(Outcome::Upheld),
            summary: summary.unwrap_or_default(),
        }),
    };
    Ok((new, b.received_at.or(b.at)))
}

/// Opens the case `staff` logged, answering 201 with its view and its `Location`.
pub(crate) async fn create(
    st: &AppState,
    staff: &Staff,
    idem: Option<&IdempotencyKey>,
    new: NewCase,
    at: Option<DateTime<Utc>>,
) -> Result<Response> {
    let escalates = new.service_request.clone();
    let rules = st.service.rules.clone();
    let clock = st.service.clock.clone();
    let render = move |c: &Case, code: &str| {
        let mut v = views::staff_case(c, &rules, clock.now());
        v["access_code"] = json!(code);
        StoredReply::Created(replay::view(&c.reference, Some(c.version), &v))
    };
    let w = st
        .service
        .create_case(new, &staff.email, at, idem, &render)
        .await?;
    if let Some(c) = &w.case {
        tracing::info!(reference = %c.reference, "complaint recorded by staff");
    }
    // The service request it was raised from is escalated: recorded once the complaint is
    // saved, and again on a replay, so a retry completes a record a failure cut short.
    if let (Some(id), StoredReply::Created(view)) = (&escalates, &w.reply) {
        st.service.record_escalation(id, &view.reference).await?;
    }
    let location = match &w.reply {
        StoredReply::Created(view) => {
            HeaderValue::from_str(&format!("/staff/complaints/{}", view.reference)).ok()
        }
        _ => None,
    };
    let mut res = reply(w.reply);
    if let Some(loc) = location {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

pub(crate) async fn create_service_request(
    State(st): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (form, raw): (ServiceRequestForm, _) = json_body(&headers, body).await?;
    let request = service_request_of(&st, &staff, form)?;
    let idem = idempotency(&headers, &staff.email, "/staff/service-requests", &raw)?;
    log_service_request(&st, request, idem.as_ref()).await
}

/// The service request `form` describes, logged by `staff`: the checks of
/// `POST /staff/service-requests`, which the page logging one applies too.
pub(crate) fn service_request_of(
    st: &AppState,
    staff: &Staff,
    form: ServiceRequestForm,
) -> Result<ServiceRequest> {
    let at = form.at;
    let (resident, description, category, response) = form
        .validate(&st.service.settings.categories)
        .map_err(Problem::invalid)?;
    let now = st.service.clock.now();
    Ok(ServiceRequest {
        id: String::new(),
        description,
        category,
        resident,
        response,
        logged_at: at.unwrap_or(now),
        recorded_at: now,
        logged_by: staff.email.clone(),
        complaint: None,
        closed: None,
    })
}

/// Logs `request`, answering 201 with it (or the first answer to the same key).
pub(crate) async fn log_service_request(
    st: &AppState,
    request: ServiceRequest,
    idem: Option<&IdempotencyKey>,
) -> Result<Response> {
    let render = |sr: &ServiceRequest| {
        StoredReply::Created(ReplyView {
            reference: sr.id.clone(),
            version: None,
            body: serde_json::to_string(sr).unwrap_or_default(),
        })
    };
    let w = st
        .service
        .create_service_request(request, idem, &render)
        .await?;
    Ok(reply(w.reply))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Dissatisfaction {
    description: Option<String>,
    channel: Option<Channel>,
    at: Option<DateTime<Utc>>,
}

pub(crate) async fn dissatisfaction(
    State(st): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (b, raw): (Dissatisfaction, _) = json_body(&headers, body).await?;
    let sr = st
        .service
        .store
        .load_service_request(&id)
        .await
        .map_err(p3_domain::service::ServiceError::from)?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "No service request has this id",
            )
        })?;
    let new = complaint_from(&sr, b.description, b.channel)?;
    if let Some(at) = b.at {
        if at < sr.logged_at {
            return Err(Problem::field(
                "at",
                "must not be before the service request was made",
            ));
        }
    }
    let path = format!("/staff/service-requests/{id}/dissatisfaction");
    let idem = idempotency(&headers, &staff.email, &path, &raw)?;
    create(&st, &staff, idem.as_ref(), new, b.at).await
}

/// The Stage 1 complaint raised from `sr` when the resident is dissatisfied with it:
/// `description` is what they are dissatisfied with (422 naming it when missing).
fn complaint_from(
    sr: &ServiceRequest,
    description: Option<String>,
    channel: Option<Channel>,
) -> Result<NewCase> {
    let mut e = ValidationErrors::new();
    let description = validation::clean(description);
    e.require_text(
        "description",
        description.as_deref(),
        p3_domain::complaint::MAX_DESCRIPTION,
        "what the resident is dissatisfied with",
    );
    e.into_result().map_err(Problem::invalid)?;
    Ok(NewCase {
        procedure: HOUSING.into(),
        complaint: p3_domain::complaint::ComplaintDetails {
            resident: sr.resident.clone(),
            representative: None,
            channel: channel.unwrap_or(Channel::Phone),
            category: sr.category.clone(),
            description: description.unwrap_or_default(),
            desired_outcome: None,
            tenure: Default::default(),
        },
        service_request: Some(sr.id.clone()),
        access_code_hash: None,
        first_contact_resolution: None,
    })
}

/// Raises a Stage 1 complaint from `sr` on the review page (its `key`, if any, scoped to the
/// page): the checks and the write of `.../dissatisfaction`, answering 201 with the case.
pub(crate) async fn escalate(
    st: &AppState,
    staff: &Staff,
    sr: &ServiceRequest,
    description: Option<String>,
    key: Option<String>,
) -> Result<Response> {
    let body = json!({ "description": description }).to_string();
    let new = complaint_from(sr, description, None)?;
    let path = format!("/staff/service-requests/{}/dissatisfaction", sr.id);
    let idem =
        key.map(|k| idempotency_key(&staff.email, &path, &format!("page {k}"), body.as_bytes()));
    create(st, staff, idem.as_ref(), new, None).await
}
