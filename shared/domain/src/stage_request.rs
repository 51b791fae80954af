//! Asking for a named stage: the routes that name the stage they mean (`/stage3`) refuse a
//! request for any other stage, so a housing complaint (two stages) is never taken to a Stage 3
//! and a support-services complaint is not asked for Stage 3 before its Stage 2 response.

use crate::case::{Case, CommandError};
use crate::policy::Policy;

/// Refuses a request for Stage `wanted` unless it is the next stage of `case` under `policy`.
pub(crate) fn check_wanted(case: &Case, policy: &Policy, wanted: u8) -> Result<(), CommandError> {
    let last = policy.last_stage();
    if wanted > last {
        return Err(CommandError::NotAllowed(format!(
            "the {} has {last} stages: there is no Stage {wanted}",
            policy.name.to_lowercase()
        )));
    }
    let n = case.current_stage().number;
    if wanted != n + 1 {
        return Err(CommandError::NotAllowed(format!(
            "the case is at Stage {n}: Stage {wanted} can be asked for only after the Stage {} response",
            wanted.saturating_sub(1)
        )));
    }
    Ok(())
}

/// Refuses a response to Stage `asked` when the procedure has no such stage.
pub(crate) fn check_exists(policy: &Policy, asked: u8) -> Result<(), CommandError> {
    let last = policy.last_stage();
    if asked > last {
        return Err(CommandError::NotAllowed(format!(
            "the {} has {last} stages: there is no Stage {asked}",
            policy.name.to_lowercase()
        )));
    }
    Ok(())
}
