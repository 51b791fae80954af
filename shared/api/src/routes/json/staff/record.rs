//! The case file's own record: internal notes (`notes`) and the correspondence log
//! (`correspondence`). Any member of staff who may change a case may write them (auditors
//! read only); the resident never sees them. Each adds something new to the case file, so
//! each answers `201 Created` with the case as it now is (the other actions answer `200`).

use p3_domain::correspondence::{CorrespondenceChannel, Direction, NewCorrespondence};

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteBody {
    text: String,
    corrects: Option<u64>,
}

/// `POST /staff/complaints/{reference}/notes`: an internal note, or a correction of one.
pub(crate) async fn add_note(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    record(&st, &staff, &reference, request, "notes", |b| {
        Ok(add_note_command(b))
    })
    .await
}

/// The domain command of `add_note` (its JSON route and the staff page post the same). A
/// note is written when it is written: it takes no `at`.
pub(crate) fn add_note_command(b: NoteBody) -> Dated {
    (
        Command::AddNote {
            text: b.text,
            corrects: b.corrects,
        },
        None,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorrespondenceBody {
    // Optional here so that a missing or null direction or channel is a 422 naming it, with
    // every other field at fault, rather than serde's first complaint.
    direction: Option<Direction>,
    channel: Option<CorrespondenceChannel>,
    summary: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/correspondence`: something the resident, their
/// representative or a contractor sent or was told outside our letters.
pub(crate) async fn log_correspondence(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    record(
        &st,
        &staff,
        &reference,
        request,
        "correspondence",
        log_correspondence_command,
    )
    .await
}

/// The domain command of `log_correspondence` (its JSON route and the staff page post the
/// same), or the fields the body leaves out.
pub(crate) fn log_correspondence_command(b: CorrespondenceBody) -> Result<Dated> {
    let mut e = ValidationErrors::new();
    if b.direction.is_none() {
        e.add("direction", "Choose `inbound` or `outbound`");
    }
    if b.channel.is_none() {
        e.add(
            "channel",
            "Choose `email`, `letter`, `phone`, `in_person`, `online` or `other`",
        );
    }
    let (Some(direction), Some(channel)) = (b.direction, b.channel) else {
        if b.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
            e.add("summary", "Enter a summary of what was sent or said");
        }
        return Err(Problem::invalid(e));
    };
    Ok((
        Command::LogCorrespondence(NewCorrespondence {
            direction,
            channel,
            summary: b.summary.unwrap_or_default(),
            attachments: b.attachments,
        }),
        b.at,
        b.backdate_reason,
    )
        .into())
}

/// Runs a record's route as [`action`] runs the others: any role that may change a case, the
/// JSON body, `If-Match` and `Idempotency-Key`; answers through [`add_record`].
async fn record<B: serde::de::DeserializeOwned>(
    st: &AppState,
    staff: &Staff,
    reference: &str,
    request: Request,
    route: &str,
    command: impl FnOnce(B) -> Result<Dated>,
) -> Result<Response> {
    staff.require(Role::Officer)?;
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let (b, raw): (B, _) = json_body(headers, body).await?;
    let expected = if_match(headers)?;
    let path = format!("/staff/complaints/{reference}/{route}");
    let idem = idempotency(headers, &staff.email, &path, &raw)?;
    let command = command(b)?;
    add_record(
        st,
        staff,
        reference,
        route,
        command,
        expected,
        idem.as_ref(),
    )
    .await
}

/// Applies a command that adds a record to the case file, as [`apply`] does, answering
/// `201 Created` with the case as it now is (or the stored first answer).
pub(crate) async fn add_record(
    st: &AppState,
    staff: &Staff,
    reference: &str,
    route: &str,
    dated: Dated,
    expected: Option<u64>,
    idem: Option<&IdempotencyKey>,
) -> Result<Response> {
    let changed = case_reply(st, sent_copies(st, reference).await);
    let render = move |c: &Case| match changed(c) {
        StoredReply::Changed(view) => StoredReply::Created(view),
        other => other,
    };
    act_as_staff(st, staff, reference, route, dated, expected, idem, &render).await
}
