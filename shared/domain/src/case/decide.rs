//! Judging a command by the procedure's rules: which rule module decides it, and the events it
//! makes or the error that refuses it.

use super::*;

impl Case {
    pub(crate) fn decide(
        &self,
        command: Command,
        actor: &Actor,
        rules: &Rules,
    ) -> Result<Vec<CaseEvent>, CommandError> {
        self.decide_with(command, actor, rules, Completeness::Required)
    }

    /// [`Case::decide`] for a history imported from the previous system: every rule but the
    /// complete-complaint ones applies, as the old system recorded no points or decisions.
    pub(crate) fn decide_as_recorded(
        &self,
        command: Command,
        actor: &Actor,
        rules: &Rules,
    ) -> Result<Vec<CaseEvent>, CommandError> {
        self.decide_with(command, actor, rules, Completeness::AsRecorded)
    }

    fn decide_with(
        &self,
        command: Command,
        actor: &Actor,
        rules: &Rules,
        completeness: Completeness,
    ) -> Result<Vec<CaseEvent>, CommandError> {
        check_at(actor, self.history.last().map(|e| e.at))?;
        let policy = rules.policy_of(self)?;
        let stage = self.current_stage();
        let n = stage.number;
        let command = match command {
            Command::RequestStage {
                stage: wanted,
                reason,
                through,
            } => {
                crate::stage_request::check_wanted(self, policy, wanted)?;
                Command::RequestNextStage { reason, through }
            }
            other => other,
        };
        match command {
            Command::Acknowledge {
                investigating_manager,
                reviewer,
                complaint_points,
                responsible_for,
                not_responsible_for,
            } => {
                self.ensure_active("acknowledge")?;
                if stage.acknowledgement.is_some() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} is already acknowledged"
                    )));
                }
                let (field, handler) = if n == 1 {
                    ("investigating_manager", investigating_manager)
                } else {
                    ("reviewer", reviewer)
                };
                let handler = validation::clean(handler).map(|h| h.to_ascii_lowercase());
                let Some(handler) = handler else {
                    return Err(CommandError::invalid(
                        field,
                        if n == 1 {
                            "Name the Investigating Manager (staff email)"
                        } else {
                            "Name the reviewer (staff email)"
                        },
                    ));
                };
                if !validation::is_email(&handler) {
                    return Err(CommandError::invalid(
                        field,
                        "must be a staff email address",
                    ));
                }
                if n > 1
                    && self
                        .earlier_stage_people(n)
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&handler))
                {
                    return Err(CommandError::invalid(
                        field,
                        "the reviewer must be a different person from the Stage 1 Investigating Manager and from whoever issued the Stage 1 response",
                    ));
                }
                let mut e = ValidationErrors::new();
                let points = match completeness {
                    Completeness::Required => decisions::check_points(complaint_points, &mut e),
                    Completeness::AsRecorded => complaint_points,
                };
                let responsible_for =
                    decisions::check_responsibility("responsible_for", responsible_for, &mut e);
                let not_responsible_for = decisions::check_responsibility(
                    "not_responsible_for",
                    not_responsible_for,
                    &mut e,
                );
                e.into_result()?;
                Ok(vec![CaseEvent::Acknowledged {
                    stage: n,
                    handler,
                    complaint_points: points,
                    responsible_for,
                    not_responsible_for,
                }])
            }
            Command::Extend {
                working_days,
                reason,
            } => {
                self.ensure_active("extend")?;
                if stage.response.is_some() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} has already been responded to"
                    )));
                }
                let mut e = ValidationErrors::new();
                let reason = reason.trim().to_string();
                e.require_text(
                    "reason",
                    Some(&reason),
                    2_000,
                    "the reason for the extension",
                );
                let limit = policy
                    .stage(n)
                    .map(|p| p.max_extension_working_days)
                    .unwrap_or(0);
                let used = stage.extended_by();
                if working_days == 0 {
                    e.add("working_days", "must be at least 1");
                } else if used.saturating_add(working_days) > limit {
                    e.add(
                        "working_days",
                        format!("Stage {n} may be extended by at most {limit} working days in all; {used} already used"),
                    );
                }
                e.into_result()?;
                let due =
                    deadline::due_date(self, policy, &rules.calendar, n, DeadlineStep::Response);
                if let Some(due) = due {
                    if london_date(actor.at) > due {
                        return Err(CommandError::NotAllowed(format!(
                            "an extension must be agreed before the deadline it extends ({due}) has passed"
                        )));
                    }
                }
                Ok(vec![CaseEvent::Extended {
                    stage: n,
                    working_days,
                    reason,
                }])
            }
            Command::Respond {
                stage: asked,
                response,
            } => {
                self.ensure_active("respond")?;
                crate::stage_request::check_exists(policy, asked)?;
                if asked != n {
                    return Err(CommandError::NotAllowed(format!(
                        "the case is at Stage {n}, not Stage {asked}"
                    )));
                }
                if stage.response.is_some() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} has already been responded to"
                    )));
                }
                if stage.acknowledgement.is_none() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} must be acknowledged before it is responded to"
                    )));
                }
                if n > 1
                    && self
                        .earlier_stage_people(n)
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&actor.by))
                {
                    return Err(CommandError::NotAllowed(
                        "a later stage must be answered by someone who did not handle or answer an earlier stage".into(),
                    ));
                }
                let points = match completeness {
                    Completeness::Required => stage
                        .acknowledgement
                        .as_ref()
                        .map(|a| a.complaint_points.as_slice())
                        .unwrap_or_default(),
                    Completeness::AsRecorded => &[],
                };
                let response = check_response(response, points)?;
                Ok(vec![CaseEvent::Responded { stage: n, response }])
            }
            Command::RequestNextStage { reason, through } => {
                self.ensure_active("escalate")?;
                let Some(issued) = &stage.response else {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} has not been responded to yet"
                    )));
                };
                if n >= policy.last_stage() {
                    return Err(CommandError::NotAllowed(
                        "all stages are complete: the resident can refer the complaint to the Housing Ombudsman".into(),
                    ));
                }
                let reason = validation::clean(reason);
                let mut e = ValidationErrors::new();
                e.check_len("reason", reason.as_deref(), 5_000);
                e.into_result()?;
                let window = policy
                    .stage(n)
                    .and_then(|p| p.next_stage_window_working_days)
                    .unwrap_or(0);
                let closes = rules
                    .calendar
                    .add_working_days(london_date(issued.at), window);
                let late = london_date(actor.at) > closes;
                Ok(vec![CaseEvent::EscalationRequested {
                    stage: n + 1,
                    reason,
                    late,
                    through,
                }])
            }
            Command::Refuse {
                ground,
                explanation,
            } => {
                self.ensure_active("refuse")?;
                if stage.response.is_some() {
                    return Err(CommandError::NotAllowed(format!(
                        "Stage {n} has been responded to; there is nothing to refuse"
                    )));
                }
                let mut e = ValidationErrors::new();
                e.require_text(
                    "explanation",
                    Some(&explanation),
                    5_000,
                    "the explanation given to the resident",
                );
                e.into_result()?;
                Ok(vec![CaseEvent::Refused {
                    stage: n,
                    ground,
                    explanation: explanation.trim().into(),
                }])
            }
            Command::Withdraw { reason } => {
                self.ensure_active("withdraw")?;
                let today = london_date(actor.at);
                if self.status(policy, &rules.calendar, today) == CaseStatus::Closed {
                    return Err(CommandError::NotAllowed(
                        "the complaint is already closed".into(),
                    ));
                }
                let reason = validation::clean(reason);
                let mut e = ValidationErrors::new();
                e.check_len("reason", reason.as_deref(), 5_000);
                e.into_result()?;
                Ok(vec![CaseEvent::Withdrawn { reason }])
            }
            Command::Ombudsman {
                determination,
                detail,
            } => {
                let mut e = ValidationErrors::new();
                e.require_text("detail", Some(&detail), 10_000, "the details");
                e.into_result()?;
                let referred = self.ombudsman.iter().any(|o| o.event == "referred");
                let detail = detail.trim().to_string();
                if determination {
                    if !referred {
                        return Err(CommandError::NotAllowed(
                            "record the referral to the Ombudsman before its determination".into(),
                        ));
                    }
                    if self.ombudsman.iter().any(|o| o.event == "determination") {
                        return Err(CommandError::NotAllowed(
                            "the Ombudsman's determination is already recorded".into(),
                        ));
                    }
                    Ok(vec![CaseEvent::OmbudsmanDetermination { detail }])
                } else {
                    if referred {
                        return Err(CommandError::NotAllowed(
                            "the referral to the Ombudsman is already recorded".into(),
                        ));
                    }
                    Ok(vec![CaseEvent::OmbudsmanReferred { detail }])
                }
            }
            Command::AddNote { text, corrects } => crate::note::add(self, text, corrects),
            Command::LogCorrespondence(new) => crate::correspondence::log(self, new),
            Command::AddAttachment { id, file } => {
                crate::attachment::add(self, id, file, &actor.by)
            }
            c @ (Command::AgreeUpdateInterval { .. }
            | Command::SendUpdate { .. }
            | Command::MoveAction { .. }) => crate::updates::decide(self, c, actor),
            c @ (Command::RecordRestriction { .. } | Command::ReviewRestriction { .. }) => {
                crate::restriction::decide(self, c, actor)
            }
            other => crate::casefile::decide(self, other, actor),
        }
    }
}

/// A response's contents, checked against the stage's points as they now stand (see
/// [`decisions::check_every_point_decided`]).
fn check_response(r: StageResponse, points: &[String]) -> Result<StageResponse, CommandError> {
    let mut e = ValidationErrors::new();
    decisions::check_every_point_decided(points, &r, &mut e);
    let summary = r.summary.trim().to_string();
    e.require_text(
        "summary",
        Some(&summary),
        20_000,
        "the response: the decision and the reasons for it",
    );
    let remedy = validation::clean(r.remedy);
    e.check_len("remedy", remedy.as_deref(), 5_000);
    if r.point_decisions.len() > 50 {
        e.add("point_decisions", "at most 50 points");
    }
    for (i, p) in r.point_decisions.iter().enumerate() {
        if p.point.trim().is_empty() {
            e.add(&format!("point_decisions[{i}].point"), "must not be blank");
        }
        e.check_len(
            &format!("point_decisions[{i}].point"),
            Some(&p.point),
            2_000,
        );
        e.check_len(
            &format!("point_decisions[{i}].reason"),
            p.reason.as_deref(),
            5_000,
        );
    }
    if r.actions.len() > 50 {
        e.add("actions", "at most 50 actions");
    }
    for (i, a) in r.actions.iter().enumerate() {
        if a.description.trim().is_empty() {
            e.add(&format!("actions[{i}].description"), "must not be blank");
        }
        e.check_len(
            &format!("actions[{i}].description"),
            Some(&a.description),
            2_000,
        );
        if let Some(owner) = &a.owner {
            if !validation::is_email(owner.trim()) {
                e.add(
                    &format!("actions[{i}].owner"),
                    "must be a staff email address",
                );
            }
        }
    }
    if r.compensation_pence
        .is_some_and(|p| p > crate::casefile::MAX_COMPENSATION_PENCE)
    {
        e.add(
            "compensation_pence",
            "must be at most 10,000,000 pence (£100,000)",
        );
    }
    let learning = validation::clean(r.learning);
    e.check_len("learning", learning.as_deref(), 5_000);
    if learning
        .as_deref()
        .is_some_and(validation::has_control_chars)
    {
        e.add("learning", "must not contain control characters");
    }
    e.into_result()?;
    let actions = r
        .actions
        .into_iter()
        .map(|a| crate::event::PromisedAction {
            owner: a.owner.map(|o| o.trim().to_ascii_lowercase()),
            description: a.description.trim().to_string(),
            ..a
        })
        .collect();
    Ok(StageResponse {
        summary,
        remedy,
        actions,
        learning,
        ..r
    })
}
