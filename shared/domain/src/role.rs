//! Who may do what on a case: each staff role includes the one before it (an auditor changes
//! nothing), and the role a command needs is judged on the case the command changes, as it
//! stands when the change is applied (a Stage 2 extension needs a senior manager even when the
//! request began while the case was at Stage 1).

use serde::{Deserialize, Serialize};

use crate::case::{Case, Command, CommandError};

/// What a member of staff may do; each role includes the one before it, apart from `auditor`,
/// who reads cases and reports and changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads cases and reports only.
    Auditor,
    /// Records complaints, service requests, Stage 2 requests, withdrawals; acknowledges.
    Officer,
    /// Also Stage 1 extensions and responses.
    InvestigatingManager,
    /// Head of Tenant Services and senior managers: also Stage 2, refusals, Ombudsman.
    SeniorManager,
}

impl Role {
    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "auditor" => Some(Role::Auditor),
            "officer" => Some(Role::Officer),
            "investigating_manager" => Some(Role::InvestigatingManager),
            "senior_manager" => Some(Role::SeniorManager),
            _ => None,
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Auditor => "auditor",
            Role::Officer => "officer",
            Role::InvestigatingManager => "investigating_manager",
            Role::SeniorManager => "senior_manager",
        }
    }

    /// True when this role may do what `needed` may (auditors may change nothing).
    pub fn includes(self, needed: Role) -> bool {
        if needed == Role::Auditor {
            return true;
        }
        self != Role::Auditor && self >= needed
    }

    /// The role a stage's extension, response or revised points need: Stage 1 the
    /// Investigating Manager, later stages a senior manager.
    pub fn for_stage(stage: u8) -> Role {
        if stage <= 1 {
            Role::InvestigatingManager
        } else {
            Role::SeniorManager
        }
    }
}

/// The role `command` needs on `case` as it stands now.
pub fn needed(case: &Case, command: &Command) -> Role {
    let stage = case.current_stage().number;
    match command {
        Command::Acknowledge { .. }
        | Command::RequestNextStage { .. }
        | Command::RequestStage { .. }
        | Command::Withdraw { .. }
        | Command::RecordNeeds(_)
        | Command::SetContactPreferences(_)
        | Command::SetRepresentative(_)
        | Command::AnswerCompensation { .. }
        | Command::AddNote { .. }
        | Command::LogCorrespondence(_)
        | Command::AddAttachment { .. }
        | Command::AgreeUpdateInterval { .. }
        | Command::SendUpdate { .. } => Role::Officer,
        Command::Extend { .. } | Command::RevisePoints { .. } => Role::for_stage(stage),
        Command::Respond { stage, .. } => Role::for_stage(*stage),
        Command::CompleteAction { .. }
        | Command::MoveAction { .. }
        | Command::OfferCompensation { .. } => Role::InvestigatingManager,
        Command::Refuse { .. }
        | Command::Ombudsman { .. }
        | Command::Reassign { .. }
        | Command::PayCompensation { .. }
        | Command::OmbudsmanOrder { .. }
        | Command::RecordRestriction { .. }
        | Command::ReviewRestriction { .. } => Role::SeniorManager,
    }
}

/// Refuses `command` on `case` unless `role` includes the role it needs there.
pub fn check(case: &Case, command: &Command, role: Role) -> Result<(), CommandError> {
    let needed = needed(case, command);
    if role.includes(needed) {
        Ok(())
    } else {
        Err(CommandError::Forbidden { needed, role })
    }
}

/// Who acts on a case through the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A signed-in member of staff: the role the command needs and how far back its `at` may
    /// go are checked on the case as it stands, each time the change is tried.
    Staff {
        /// Their email, as recorded on the case.
        email: String,
        /// Their role.
        role: Role,
        /// Why the action is dated further back than staff may date it (senior managers only;
        /// see [`crate::backdating`]); kept on the events.
        backdate_reason: Option<String>,
    },
    /// The resident, on their own case.
    Resident,
    /// A known history written with its own times by a tool that is not a request (a test
    /// fixture, the load generator): neither roles nor the backdating limit apply. No route
    /// acts this way.
    History {
        /// Who the events name.
        by: String,
    },
}

impl Caller {
    /// A member of staff acting with `role`, dating nothing further back than allowed.
    pub fn staff(email: &str, role: Role) -> Caller {
        Caller::Staff {
            email: email.to_string(),
            role,
            backdate_reason: None,
        }
    }

    /// Who the events name: the staff email, `resident`, or the history's author.
    pub fn by(&self) -> &str {
        match self {
            Caller::Staff { email, .. } => email,
            Caller::Resident => "resident",
            Caller::History { by } => by,
        }
    }
}
