//! The case file: points, handler, needs, contact preferences, representative, actions,
//! compensation, the Ombudsman's orders, and the letters as printed.

use super::*;

/// A number in the path (`{number}`, `{offer}`): a whole number from 1, or a 400 naming it.
pub(crate) fn path_number(name: &str, value: &str) -> Result<u16> {
    match value.parse::<u16>() {
        Ok(n) if n > 0 && !value.starts_with('+') => Ok(n),
        _ => Err(crate::extract::bad_parameter(
            name,
            "must be a whole number from 1 to 65535",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PointsBody {
    complaint_points: Vec<String>,
    reason: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/points`: the current stage's points, revised.
pub(crate) async fn revise_points(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::InvestigatingManager,
        "points",
        revise_points_command,
    )
    .await
}

/// The domain command of `revise_points` (its JSON route and the staff page post the same).
pub(crate) fn revise_points_command(b: PointsBody) -> Dated {
    (
        Command::RevisePoints {
            complaint_points: b.complaint_points,
            reason: b.reason,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReassignBody {
    handler: String,
    reason: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/reassignment`: a new handler for the current stage.
pub(crate) async fn reassign(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::SeniorManager,
        "reassignment",
        reassign_command,
    )
    .await
}

/// The domain command of `reassign` (its JSON route and the staff page post the same).
pub(crate) fn reassign_command(b: ReassignBody) -> Dated {
    (
        Command::Reassign {
            handler: b.handler,
            reason: b.reason,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NeedsBody {
    vulnerabilities: Option<String>,
    adjustments: String,
    consent: bool,
    review_on: NaiveDate,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/needs`: vulnerabilities and adjustments, with consent.
pub(crate) async fn record_needs(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "needs",
        record_needs_command,
    )
    .await
}

/// The domain command of `record_needs` (its JSON route and the staff page post the same).
pub(crate) fn record_needs_command(b: NeedsBody) -> Dated {
    (
        Command::RecordNeeds(SupportNeeds {
            vulnerabilities: b.vulnerabilities,
            adjustments: b.adjustments,
            consent: b.consent,
            review_on: b.review_on,
        }),
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactBody {
    method: ContactMethod,
    format: LetterFormat,
    language: Option<String>,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/contact-preferences`: how letters reach the resident.
pub(crate) async fn contact_preferences(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "contact-preferences",
        contact_preferences_command,
    )
    .await
}

/// The domain command of `contact_preferences` (its JSON route and the staff page post the same).
pub(crate) fn contact_preferences_command(b: ContactBody) -> Dated {
    (
        Command::SetContactPreferences(ContactPreferences {
            method: b.method,
            format: b.format,
            language: b.language,
        }),
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepresentativeBody {
    name: Option<String>,
    relationship: Option<String>,
    email: Option<String>,
    address: Option<String>,
    #[serde(default)]
    authorised_copies: bool,
    #[serde(default)]
    remove: bool,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/representative`: set or (`{"remove": true}`) remove
/// the resident's representative.
pub(crate) async fn representative(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (parts, body) = request.into_parts();
    let bytes = body::read_limited(&parts.headers, body).await?;
    // Check the body's sense before the command is built: removing takes no details.
    if matches!(body::kind_of(&parts.headers), Some(BodyKind::Json)) {
        if let Ok(b) = body::parse_json::<RepresentativeBody>(&bytes) {
            representative_check(&b)?;
        }
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        "representative",
        representative_command,
    )
    .await
}

/// The body's sense, checked before the command is built: removing takes no details.
pub(crate) fn representative_check(b: &RepresentativeBody) -> Result<()> {
    let details = b.name.is_some()
        || b.relationship.is_some()
        || b.email.is_some()
        || b.address.is_some()
        || b.authorised_copies;
    if b.remove && details {
        return Err(Problem::field(
            "remove",
            "must not be given with the representative's details",
        ));
    }
    if !b.remove && b.name.is_none() {
        return Err(Problem::field(
            "name",
            "Enter the representative's name, or send \"remove\": true",
        ));
    }
    Ok(())
}

/// The domain command of `representative` (its JSON route and the staff page post the same).
pub(crate) fn representative_command(b: RepresentativeBody) -> Dated {
    let rep = (!b.remove).then(|| Representative {
        name: b.name.unwrap_or_default(),
        relationship: b.relationship,
        email: b.email,
        address: b.address,
        authorised_copies: b.authorised_copies,
    });
    (Command::SetRepresentative(rep), b.at, b.backdate_reason).into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompletionBody {
    note: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/actions/{number}/completion`: a tracked action done.
pub(crate) async fn complete_action(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, number)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let number = path_number("number", &number)?;
    let route = format!("actions/{number}/completion");
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::InvestigatingManager,
        &route,
        |b: CompletionBody| complete_action_command(b, number),
    )
    .await
}

/// The domain command of `complete_action` (its JSON route and the staff page post the same).
pub(crate) fn complete_action_command(b: CompletionBody, number: u16) -> Dated {
    (
        Command::CompleteAction {
            action: number,
            note: b.note,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferBody {
    amount_pence: u64,
    reason: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/compensation`: an offer outside a response.
pub(crate) async fn offer_compensation(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::InvestigatingManager,
        "compensation",
        offer_compensation_command,
    )
    .await
}

/// The domain command of `offer_compensation` (its JSON route and the staff page post the same).
pub(crate) fn offer_compensation_command(b: OfferBody) -> Dated {
    (
        Command::OfferCompensation {
            amount_pence: b.amount_pence,
            reason: b.reason,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerBody {
    accepted: bool,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/compensation/{offer}/answer`: accepted or declined.
pub(crate) async fn answer_compensation(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, offer)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let offer = path_number("offer", &offer)?;
    let route = format!("compensation/{offer}/answer");
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::Officer,
        &route,
        |b: AnswerBody| answer_compensation_command(b, offer),
    )
    .await
}

/// The domain command of `answer_compensation` (its JSON route and the staff page post the same).
pub(crate) fn answer_compensation_command(b: AnswerBody, offer: u16) -> Dated {
    (
        Command::AnswerCompensation {
            offer,
            accepted: b.accepted,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PaymentBody {
    payment_reference: Option<String>,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/compensation/{offer}/payment`: an accepted offer paid.
pub(crate) async fn pay_compensation(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, offer)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let offer = path_number("offer", &offer)?;
    let route = format!("compensation/{offer}/payment");
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::SeniorManager,
        &route,
        |b: PaymentBody| pay_compensation_command(b, offer),
    )
    .await
}

/// The domain command of `pay_compensation` (its JSON route and the staff page post the same).
pub(crate) fn pay_compensation_command(b: PaymentBody, offer: u16) -> Dated {
    (
        Command::PayCompensation {
            offer,
            payment_reference: b.payment_reference,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrderBody {
    description: String,
    due: NaiveDate,
    owner: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/ombudsman/orders`: an order of the determination.
pub(crate) async fn ombudsman_order(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::SeniorManager,
        "ombudsman/orders",
        ombudsman_order_command,
    )
    .await
}

/// The domain command of `ombudsman_order` (its JSON route and the staff page post the same).
pub(crate) fn ombudsman_order_command(b: OrderBody) -> Dated {
    (
        Command::OmbudsmanOrder {
            description: b.description,
            due: b.due,
            owner: b.owner,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

/// `GET /staff/complaints/{reference}/letters/{number}[?format=html|pdf]`: the letter as kept,
/// ready to print, as a page or as a PDF.
pub(crate) async fn letter_page(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, number)): Path<(String, String)>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response> {
    staff.require(Role::Auditor)?;
    let number = path_number("number", &number)?;
    let pdf = crate::pdf::wants_pdf(query.as_deref())?;
    let case = load(&st, &reference).await?;
    let letter = case
        .history
        .iter()
        .find_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } if letter.number == number => Some(letter),
            _ => None,
        })
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("Complaint {reference} has no letter {number}"),
            )
        })?;
    let landlord = &st.service.rules.letters.landlord;
    if pdf {
        let bytes = crate::pdf::letter(&case.reference, letter, landlord)?;
        tracing::info!(reference = %case.reference, letter = number, "letter PDF produced");
        let name = crate::pdf::letter_file_name(&case.reference, number);
        let disposition = format!("inline; filename=\"{name}\"");
        let large = crate::http::download::generated(
            &st,
            &case.reference,
            &bytes,
            "application/pdf",
            &disposition,
        )
        .await?;
        if let Some(res) = large {
            return Ok(res);
        }
        return Ok(crate::http::cookies::private_page(crate::pdf::response(
            bytes, &name,
        )));
    }
    let html = crate::letters::print_page(&case, letter, landlord);
    tracing::info!(reference = %case.reference, letter = number, "letter opened for printing");
    Ok(crate::http::cookies::private_page(
        axum::response::Html(html).into_response(),
    ))
}
