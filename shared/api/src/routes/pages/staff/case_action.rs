//! The actions a case page posts, as a typed enum parsed from the form's action: each reads the
//! body its JSON route takes, checks the same role, builds the same domain command and applies
//! it through the Service ([`api::apply`]), never through a JSON handler.

use super::*;
use crate::routes::json::staff::{self as api};

/// One action on a case, as the page's form names it (with the item's number for a form about
/// one promised action or compensation offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CaseAction {
    Acknowledge,
    Extend,
    /// The response of this stage.
    Respond(u8),
    RequestStage2,
    RequestStage3,
    Withdraw,
    Refuse,
    Ombudsman,
    RevisePoints,
    Reassign,
    RecordNeeds,
    ContactPreferences,
    Representative,
    /// Marks this promised action done.
    CompleteAction(u16),
    OfferCompensation,
    /// Records the resident's answer to this offer.
    AnswerCompensation(u16),
    /// Records the payment of this offer.
    PayCompensation(u16),
    OmbudsmanOrder,
    /// Adds an internal note.
    AddNote,
    /// Logs correspondence outside our letters.
    LogCorrespondence,
    /// Agrees the interval of updates with the resident.
    UpdateInterval,
    /// Sends the resident an update letter.
    SendUpdate,
    /// Moves this promised action's date.
    MoveAction(u16),
    /// Records a restriction for unacceptable behaviour.
    Restriction,
    /// Reviews the restriction in force.
    ReviewRestriction,
}

/// What the form says about applying its action: the case version it was made from (the JSON
/// route's `If-Match`) and its idempotency key.
pub(super) struct Conditions {
    /// The version, or why it is refused (after the role and the body, as the JSON route does).
    pub(super) expected: Result<Option<u64>, Problem>,
    /// The form's key.
    pub(super) key: Option<String>,
}

/// The item's number, refused as its JSON route's path would refuse it.
fn number(name: &str, item: Option<u16>) -> Result<u16, Problem> {
    api::path_number(name, &item.unwrap_or(0).to_string())
}

impl CaseAction {
    /// The action a form posts as `action` on a case at `stage` (`None`: no such action).
    pub(super) fn parse(
        action: &str,
        item: Option<u16>,
        stage: u8,
    ) -> Option<Result<CaseAction, Problem>> {
        use CaseAction::*;
        Some(Ok(match action {
            "acknowledge" => Acknowledge,
            "extend" => Extend,
            "respond" => Respond(stage.max(1)),
            "stage2" => RequestStage2,
            "stage3" => RequestStage3,
            "withdraw" => Withdraw,
            "refuse" => Refuse,
            "ombudsman" => Ombudsman,
            "points" => RevisePoints,
            "reassign" => Reassign,
            "needs" => RecordNeeds,
            "contact" => ContactPreferences,
            "representative" => Representative,
            "compensation" => OfferCompensation,
            "order" => OmbudsmanOrder,
            "note" => AddNote,
            "correspondence" => LogCorrespondence,
            "interval" => UpdateInterval,
            "update" => SendUpdate,
            "restriction" => Restriction,
            "restriction-review" => ReviewRestriction,
            "move" => return Some(number("number", item).map(MoveAction)),
            "complete" => return Some(number("number", item).map(CompleteAction)),
            "answer" => return Some(number("offer", item).map(AnswerCompensation)),
            "pay" => return Some(number("offer", item).map(PayCompensation)),
            _ => return None,
        }))
    }

    /// The path of its JSON route under `/staff/complaints/{reference}/`.
    pub(super) fn route(self) -> String {
        use CaseAction::*;
        match self {
            Acknowledge => "acknowledgement".into(),
            Extend => "extension".into(),
            Respond(stage) => format!("stage{stage}-response"),
            RequestStage2 => "stage2".into(),
            RequestStage3 => "stage3".into(),
            Withdraw => "withdrawal".into(),
            Refuse => "refusal".into(),
            Ombudsman => "ombudsman".into(),
            RevisePoints => "points".into(),
            Reassign => "reassignment".into(),
            RecordNeeds => "needs".into(),
            ContactPreferences => "contact-preferences".into(),
            Representative => "representative".into(),
            CompleteAction(n) => format!("actions/{n}/completion"),
            OfferCompensation => "compensation".into(),
            AnswerCompensation(n) => format!("compensation/{n}/answer"),
            PayCompensation(n) => format!("compensation/{n}/payment"),
            OmbudsmanOrder => "ombudsman/orders".into(),
            AddNote => "notes".into(),
            LogCorrespondence => "correspondence".into(),
            UpdateInterval => "update-interval".into(),
            SendUpdate => "updates".into(),
            MoveAction(n) => format!("actions/{n}/due"),
            Restriction => "restriction".into(),
            ReviewRestriction => "restriction/review".into(),
        }
    }

    /// Checks the role the action needs on a case at `stage`, as its JSON route does.
    fn check_role(self, staff: &Staff, stage: u8) -> Result<(), Problem> {
        use CaseAction::*;
        match self {
            Extend | RevisePoints => {
                staff.require(Role::InvestigatingManager)?;
                staff.require(api::role_for_stage(stage))
            }
            Respond(stage) => staff.require(api::role_for_stage(stage)),
            Acknowledge
            | RequestStage2
            | RequestStage3
            | Withdraw
            | RecordNeeds
            | ContactPreferences
            | Representative
            | AnswerCompensation(_)
            | AddNote
            | LogCorrespondence
            | UpdateInterval
            | SendUpdate => staff.require(Role::Officer),
            CompleteAction(_) | MoveAction(_) | OfferCompensation => {
                staff.require(Role::InvestigatingManager)
            }
            Refuse | Ombudsman | Reassign | PayCompensation(_) | OmbudsmanOrder | Restriction
            | ReviewRestriction => staff.require(Role::SeniorManager),
        }
    }

    /// The domain command of the JSON `body` the form's fields make.
    fn command(self, body: &[u8]) -> Result<api::Dated, Problem> {
        use crate::body::parse_json as read;
        use CaseAction::*;
        Ok(match self {
            Acknowledge => api::acknowledge_command(read(body)?),
            Extend => api::extend_command(read(body)?),
            Respond(stage) => api::respond_command(read(body)?, stage),
            RequestStage2 => api::request_stage2_command(read(body)?),
            RequestStage3 => api::request_stage3_command(read(body)?),
            Withdraw => api::withdraw_command(read(body)?),
            Refuse => api::refuse_command(read(body)?),
            Ombudsman => api::ombudsman_command(read(body)?),
            RevisePoints => api::revise_points_command(read(body)?),
            Reassign => api::reassign_command(read(body)?),
            RecordNeeds => api::record_needs_command(read(body)?),
            ContactPreferences => api::contact_preferences_command(read(body)?),
            Representative => {
                let b = read(body)?;
                api::representative_check(&b)?;
                api::representative_command(b)
            }
            CompleteAction(n) => api::complete_action_command(read(body)?, n),
            OfferCompensation => api::offer_compensation_command(read(body)?),
            AnswerCompensation(n) => api::answer_compensation_command(read(body)?, n),
            PayCompensation(n) => api::pay_compensation_command(read(body)?, n),
            OmbudsmanOrder => api::ombudsman_order_command(read(body)?),
            AddNote => api::add_note_command(read(body)?),
            LogCorrespondence => api::log_correspondence_command(read(body)?)?,
            UpdateInterval => api::update_interval_command(read(body)?),
            SendUpdate => api::send_update_command(read(body)?),
            MoveAction(n) => api::move_action_command(read(body)?, n),
            Restriction => api::restriction_command(read(body)?),
            ReviewRestriction => api::review_restriction_command(read(body)?),
        })
    }

    /// Applies the action with the JSON `body` its form made, on its [`Conditions`].
    pub(super) async fn perform(
        self,
        st: &AppState,
        staff: &Staff,
        reference: &str,
        stage: u8,
        body: &[u8],
        conditions: Conditions,
    ) -> Result<Response, Problem> {
        self.check_role(staff, stage)?;
        let command = self.command(body)?;
        let expected = conditions.expected?;
        let route = self.route();
        let path = format!("/staff/complaints/{reference}/{route}");
        let idem = conditions
            .key
            .map(|k| api::idempotency_key(&staff.email, &path, &k, body));
        // A note or a log entry adds a record, as its JSON route answers (201).
        let idem = idem.as_ref();
        if matches!(self, CaseAction::AddNote | CaseAction::LogCorrespondence) {
            api::add_record(st, staff, reference, &route, command, expected, idem).await
        } else {
            api::apply(st, staff, reference, &route, command, expected, idem).await
        }
    }
}
