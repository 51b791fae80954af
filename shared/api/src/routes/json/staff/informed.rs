//! Keeping the resident informed and restrictions for unacceptable behaviour (the domain's
//! `updates` and `restriction` rules): the update interval agreed with the resident, an update
//! letter, a promised action's new date, and a restriction recorded and reviewed.

use p3_domain::restriction::ReviewOutcome;

use super::casefile::path_number;
use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IntervalBody {
    working_days: u32,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/update-interval`: how often the resident is updated,
/// as agreed with them, in working days.
pub(crate) async fn update_interval(
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
        "update-interval",
        update_interval_command,
    )
    .await
}

/// The domain command of `update_interval` (its JSON route and the staff page post the same).
pub(crate) fn update_interval_command(b: IntervalBody) -> Dated {
    (
        Command::AgreeUpdateInterval {
            working_days: b.working_days,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    message: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/updates`: an update letter to the resident (and any
/// authorised representative), which restarts the interval.
pub(crate) async fn send_update(
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
        "updates",
        send_update_command,
    )
    .await
}

/// The domain command of `send_update` (its JSON route and the staff page post the same).
pub(crate) fn send_update_command(b: UpdateBody) -> Dated {
    (
        Command::SendUpdate { message: b.message },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveBody {
    due: NaiveDate,
    reason: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/actions/{number}/due`: a promised action's new date,
/// with the reason; the resident is sent an update letter.
pub(crate) async fn move_action(
    State(st): State<AppState>,
    staff: Staff,
    Path((reference, number)): Path<(String, String)>,
    request: Request,
) -> Result<Response> {
    let number = path_number("number", &number)?;
    let route = format!("actions/{number}/due");
    action(
        &st,
        &staff,
        &reference,
        request,
        Role::InvestigatingManager,
        &route,
        |b: MoveBody| move_action_command(b, number),
    )
    .await
}

/// The domain command of `move_action` (its JSON route and the staff page post the same).
pub(crate) fn move_action_command(b: MoveBody, number: u16) -> Dated {
    (
        Command::MoveAction {
            action: number,
            due: b.due,
            reason: b.reason,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestrictionBody {
    reason: String,
    restricted: String,
    review_on: NaiveDate,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/restriction`: a restriction for unacceptable behaviour
/// (senior managers and the Head of Tenant Services); the resident is sent a letter.
pub(crate) async fn restriction(
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
        "restriction",
        restriction_command,
    )
    .await
}

/// The domain command of `restriction` (its JSON route and the staff page post the same).
pub(crate) fn restriction_command(b: RestrictionBody) -> Dated {
    (
        Command::RecordRestriction {
            reason: b.reason,
            restricted: b.restricted,
            review_on: b.review_on,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewBody {
    outcome: ReviewOutcome,
    review_on: Option<NaiveDate>,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

/// `POST /staff/complaints/{reference}/restriction/review`: the restriction kept (with its
/// next review date) or lifted; the resident is sent a letter.
pub(crate) async fn review_restriction(
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
        "restriction/review",
        review_restriction_command,
    )
    .await
}

/// The domain command of `review_restriction` (its JSON route and the staff page post the same).
pub(crate) fn review_restriction_command(b: ReviewBody) -> Dated {
    (
        Command::ReviewRestriction {
            outcome: b.outcome,
            review_on: b.review_on,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}
