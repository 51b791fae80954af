//! The complaints procedure's steps on a case: acknowledgement, extension, responses, a later
//! stage's request, withdrawal, refusal and the Ombudsman's involvement.

use super::*;
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AckBody {
    investigating_manager: Option<String>,
    reviewer: Option<String>,
    #[serde(default)]
    complaint_points: Vec<String>,
    responsible_for: Option<String>,
    not_responsible_for: Option<String>,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

pub(crate) async fn acknowledge(
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
        "acknowledgement",
        acknowledge_command,
    )
    .await
}

/// The domain command of `acknowledge` (its JSON route and the staff page post the same).
pub(crate) fn acknowledge_command(b: AckBody) -> Dated {
    let cmd = Command::Acknowledge {
        responsible_for: b.responsible_for,
        not_responsible_for: b.not_responsible_for,
        investigating_manager: b.investigating_manager,
        reviewer: b.reviewer,
        complaint_points: b.complaint_points,
    };
    (cmd, b.at, b.backdate_reason).into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtendBody {
    working_days: u32,
    reason: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

pub(crate) async fn extend(
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
        "extension",
        extend_command,
    )
    .await
}

/// The domain command of `extend` (its JSON route and the staff page post the same).
pub(crate) fn extend_command(b: ExtendBody) -> Dated {
    (
        Command::Extend {
            working_days: b.working_days,
            reason: b.reason,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResponseBody {
    outcome: Outcome,
    summary: String,
    remedy: Option<String>,
    #[serde(default)]
    point_decisions: Vec<PointDecision>,
    #[serde(default)]
    actions: Vec<PromisedAction>,
    compensation_pence: Option<u64>,
    learning: Option<String>,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

pub(super) async fn respond(
    st: AppState,
    staff: Staff,
    reference: String,
    request: Request,
    stage: u8,
) -> Result<Response> {
    let route = format!("stage{stage}-response");
    action(
        &st,
        &staff,
        &reference,
        request,
        role_for_stage(stage),
        &route,
        |b: ResponseBody| respond_command(b, stage),
    )
    .await
}

/// The domain command of `respond` (its JSON route and the staff page post the same).
pub(crate) fn respond_command(b: ResponseBody, stage: u8) -> Dated {
    let response = StageResponse {
        outcome: b.outcome,
        summary: b.summary,
        remedy: b.remedy,
        point_decisions: b.point_decisions,
        actions: b.actions,
        compensation_pence: b.compensation_pence,
        learning: b.learning,
    };
    (
        Command::Respond { stage, response },
        b.at,
        b.backdate_reason,
    )
        .into()
}

pub(crate) async fn stage1_response(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    respond(st, staff, reference, request, 1).await
}

pub(crate) async fn stage2_response(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    respond(st, staff, reference, request, 2).await
}

pub(crate) async fn stage3_response(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response> {
    respond(st, staff, reference, request, 3).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonBody {
    reason: Option<String>,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

pub(crate) async fn request_stage2(
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
        "stage2",
        request_stage2_command,
    )
    .await
}

/// The domain command of `request_stage2` (its JSON route and the staff page post the same).
pub(crate) fn request_stage2_command(b: ReasonBody) -> Dated {
    (
        Command::RequestNextStage {
            reason: b.reason,
            through: RequestedThrough::Staff,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

/// `POST /staff/complaints/{reference}/stage3`: the resident's request for Stage 3 (the
/// support-services procedure's last stage), recorded by staff; refused unless Stage 3 is the
/// case's next stage.
pub(crate) async fn request_stage3(
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
        "stage3",
        request_stage3_command,
    )
    .await
}

/// The domain command of `request_stage3` (its JSON route and the staff page post the same).
pub(crate) fn request_stage3_command(b: ReasonBody) -> Dated {
    (
        Command::RequestStage {
            stage: 3,
            reason: b.reason,
            through: RequestedThrough::Staff,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

pub(crate) async fn withdraw(
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
        "withdrawal",
        withdraw_command,
    )
    .await
}

/// The domain command of `withdraw` (its JSON route and the staff page post the same).
pub(crate) fn withdraw_command(b: ReasonBody) -> Dated {
    (
        Command::Withdraw { reason: b.reason },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefusalBody {
    ground: ExclusionGround,
    explanation: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

pub(crate) async fn refuse(
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
        "refusal",
        refuse_command,
    )
    .await
}

/// The domain command of `refuse` (its JSON route and the staff page post the same).
pub(crate) fn refuse_command(b: RefusalBody) -> Dated {
    (
        Command::Refuse {
            ground: b.ground,
            explanation: b.explanation,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum OmbudsmanEvent {
    Referred,
    Determination,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OmbudsmanBody {
    event: OmbudsmanEvent,
    detail: String,
    at: Option<DateTime<Utc>>,
    backdate_reason: Option<String>,
}

pub(crate) async fn ombudsman(
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
        "ombudsman",
        ombudsman_command,
    )
    .await
}

/// The domain command of `ombudsman` (its JSON route and the staff page post the same).
pub(crate) fn ombudsman_command(b: OmbudsmanBody) -> Dated {
    let determination = matches!(b.event, OmbudsmanEvent::Determination);
    (
        Command::Ombudsman {
            determination,
            detail: b.detail,
        },
        b.at,
        b.backdate_reason,
    )
        .into()
}
