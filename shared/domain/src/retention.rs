//! Retention: a case closed more than N years ago (6 by default, configurable) keeps no
//! personal data. Its resident's name, contact details and address, the representative, and
//! every free text anyone typed about the complaint (the description, the desired outcome, the
//! complaint's points, reasons, responses, explanations, Ombudsman details, internal notes, correspondence summaries, attachments' names and descriptions) are replaced by
//! [`REMOVED`] in every event of its history, and an [`CaseEvent::Anonymised`] event records
//! that it was done. Everything the figures are counted from stays: the dates, the stages, the
//! deadlines, the outcomes and decisions, the extensions' lengths, the refusal grounds, the
//! channel, category and tenure, the linked service request's id and the staff who handled it
//! (they are the landlord's own records of who did what). So a month's or a year's report is
//! the same before and after.
//!
//! The service request a complaint was raised from (if any) loses the same resident's details,
//! its description and its response with the case, in the same write: it is part of the same
//! complaint's record. (A service request never escalated is not covered yet.)
//!
//! "Closed" is the London date the case stopped being open: the later of its last event (an
//! Ombudsman determination long after the response restarts the clock: it is evidence the
//! Ombudsman may still ask for) and, for a case that closed because the resident did not ask
//! for the next stage, the last day of that window. A case still open is never anonymised.
//!
//! The rule runs in [`run`] over the [`RetentionStore`] port; stores apply each case's
//! anonymisation all or nothing and leave no copy of the removed text behind.

use async_trait::async_trait;
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

use crate::case::{Case, CommandError, Rules};
use crate::deadline::{self, DeadlineStep};
use crate::event::{CaseEvent, EventRecord};
use crate::london::{london_date, start_of_day};
use crate::ports::{CaseIndex, StoreError};
use crate::service::{Service, ServiceError};
use crate::service_request::ServiceRequest;

/// The default retention period, in years after a case closed.
pub const DEFAULT_YEARS: u32 = 6;

/// What removed text is replaced by, so a reader sees it was removed, not that it was empty.
pub const REMOVED: &str = "[removed: retention period ended]";

/// Who records the anonymisation.
pub const BY: &str = "system";

/// The stored statuses (`CaseIndex::status`) of a case that may have closed: every other
/// status is open whatever the date. A `responded` case closes when the resident's window for
/// the next stage ends, without a write, so a store offers it too and the rule decides.
pub const MAY_BE_CLOSED: [&str; 4] = ["responded", "closed", "withdrawn", "refused"];

/// The London date the case closed, or `None` while it is open (see the module's rules).
pub fn closed_on(
    case: &Case,
    rules: &Rules,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, CommandError> {
    let policy = rules.policy_of(case)?;
    if case.status(policy, &rules.calendar, today).is_open() {
        return Ok(None);
    }
    let last_event = case
        .history
        .iter()
        .filter(|e| !matches!(e.event, CaseEvent::Anonymised { .. }))
        .map(|e| london_date(e.at))
        .max();
    let window_end = if case.withdrawal.is_none() && case.refusal.is_none() {
        deadline::deadlines(case, policy, &rules.calendar, today)
            .into_iter()
            .filter(|d| d.kind.step == DeadlineStep::RequestWindow)
            .filter(|d| d.kind.stage == case.current_stage().number + 1)
            .map(|d| d.due)
            .max()
    } else {
        None
    };
    Ok(last_event.max(window_end))
}

/// True when a case closed on `closed_on` has been closed more than `years` years on `today`.
pub fn is_due(closed_on: NaiveDate, years: u32, today: NaiveDate) -> bool {
    closed_on
        .checked_add_months(Months::new(years.saturating_mul(12)))
        .is_some_and(|kept_until| kept_until < today)
}

/// True when the case's personal data has already been removed.
pub fn is_anonymised(case: &Case) -> bool {
    case.history
        .iter()
        .any(|e| matches!(e.event, CaseEvent::Anonymised { .. }))
}

/// The case with its personal data removed, if it is due on `now`'s London date and not done
/// yet: its whole history rewritten (same sequence numbers) plus the event recording it.
pub fn anonymise(
    case: &Case,
    rules: &Rules,
    years: u32,
    now: DateTime<Utc>,
) -> Result<Option<Case>, CommandError> {
    if is_anonymised(case) {
        return Ok(None);
    }
    let today = london_date(now);
    let Some(closed) = closed_on(case, rules, today)? else {
        return Ok(None);
    };
    if !is_due(closed, years, today) {
        return Ok(None);
    }
    let mut history: Vec<EventRecord> = case
        .history
        .iter()
        .cloned()
        .map(|mut rec| {
            rec.event = redact(rec.event);
            rec.backdate_reason = removed_if_some(rec.backdate_reason);
            rec
        })
        .collect();
    history.push(EventRecord {
        sequence: case.version + 1,
        at: now,
        recorded_at: now,
        by: BY.into(),
        event: CaseEvent::Anonymised {
            closed_on: closed,
            retention_years: years,
        },
        imported: false,
        recorded_late: false,
        backdate_reason: None,
    });
    Ok(Some(Case::from_history(&case.reference, history)))
}

/// The service request without the resident's details, what they asked for and the answer.
pub fn anonymise_service_request(request: &ServiceRequest) -> ServiceRequest {
    ServiceRequest {
        resident: Default::default(),
        description: removed(),
        response: removed_if_some(request.response.clone()),
        closed: request
            .closed
            .clone()
            .map(|c| crate::service_request::Closure {
                note: removed(),
                ..c
            }),
        ..request.clone()
    }
}

fn removed() -> String {
    REMOVED.to_string()
}

fn removed_if_some(text: Option<String>) -> Option<String> {
    text.map(|_| removed())
}

/// The event without the personal data in it; everything else unchanged.
fn redact(event: CaseEvent) -> CaseEvent {
    match event {
        CaseEvent::Received {
            procedure,
            mut complaint,
            service_request,
            access_code_hash: _,
        } => {
            complaint.resident = Default::default();
            complaint.representative = complaint.representative.map(redact_representative);
            complaint.description = removed();
            complaint.desired_outcome = removed_if_some(complaint.desired_outcome);
            CaseEvent::Received {
                procedure,
                complaint,
                service_request,
                // Nobody can sign in to the case any more: there is nothing left to show them.
                access_code_hash: None,
            }
        }
        CaseEvent::ResolvedAtFirstContact { outcome, .. } => CaseEvent::ResolvedAtFirstContact {
            outcome,
            summary: removed(),
        },
        CaseEvent::Acknowledged {
            stage,
            handler,
            complaint_points,
            responsible_for,
            not_responsible_for,
        } => CaseEvent::Acknowledged {
            stage,
            handler,
            complaint_points: complaint_points.iter().map(|_| removed()).collect(),
            responsible_for: removed_if_some(responsible_for),
            not_responsible_for: removed_if_some(not_responsible_for),
        },
        CaseEvent::Extended {
            stage,
            working_days,
            ..
        } => CaseEvent::Extended {
            stage,
            working_days,
            reason: removed(),
        },
        CaseEvent::Responded {
            stage,
            mut response,
        } => {
            response.summary = removed();
            response.remedy = removed_if_some(response.remedy);
            for p in &mut response.point_decisions {
                p.point = removed();
                p.reason = removed_if_some(p.reason.take());
            }
            for a in &mut response.actions {
                a.description = removed();
            }
            CaseEvent::Responded { stage, response }
        }
        CaseEvent::EscalationRequested {
            stage,
            reason,
            late,
            through,
        } => CaseEvent::EscalationRequested {
            stage,
            reason: removed_if_some(reason),
            late,
            through,
        },
        CaseEvent::Refused { stage, ground, .. } => CaseEvent::Refused {
            stage,
            ground,
            explanation: removed(),
        },
        CaseEvent::Withdrawn { reason } => CaseEvent::Withdrawn {
            reason: removed_if_some(reason),
        },
        CaseEvent::OmbudsmanReferred { .. } => CaseEvent::OmbudsmanReferred { detail: removed() },
        CaseEvent::OmbudsmanDetermination { .. } => {
            CaseEvent::OmbudsmanDetermination { detail: removed() }
        }
        CaseEvent::PointsRevised {
            stage,
            complaint_points,
            ..
        } => CaseEvent::PointsRevised {
            stage,
            complaint_points: complaint_points.iter().map(|_| removed()).collect(),
            reason: removed(),
        },
        CaseEvent::Reassigned { stage, handler, .. } => CaseEvent::Reassigned {
            stage,
            handler,
            reason: removed(),
        },
        CaseEvent::NeedsRecorded { mut needs } => {
            needs.vulnerabilities = removed_if_some(needs.vulnerabilities);
            needs.adjustments = removed();
            CaseEvent::NeedsRecorded { needs }
        }
        CaseEvent::ContactPreferencesSet { mut preferences } => {
            preferences.language = removed_if_some(preferences.language);
            CaseEvent::ContactPreferencesSet { preferences }
        }
        CaseEvent::RepresentativeSet { representative } => CaseEvent::RepresentativeSet {
            representative: representative.map(redact_representative),
        },
        CaseEvent::ActionCompleted { action, .. } => CaseEvent::ActionCompleted {
            action,
            note: removed(),
        },
        CaseEvent::CompensationOffered { amount_pence, .. } => CaseEvent::CompensationOffered {
            amount_pence,
            reason: removed(),
        },
        CaseEvent::CompensationPaid { offer, .. } => CaseEvent::CompensationPaid {
            offer,
            payment_reference: None,
        },
        CaseEvent::OmbudsmanOrdered { due, owner, .. } => CaseEvent::OmbudsmanOrdered {
            description: removed(),
            due,
            owner,
        },
        // A letter is all personal data: what stays is that it was sent, which one, when.
        CaseEvent::LetterIssued { mut letter } => {
            for a in &mut letter.to {
                a.name = None;
                a.email = None;
                a.address = None;
            }
            letter.language = removed_if_some(letter.language);
            letter.production_notes.clear();
            letter.subject = removed();
            letter.html = removed();
            letter.text = removed();
            CaseEvent::LetterIssued { letter }
        }
        CaseEvent::UpdateGiven { .. } => CaseEvent::UpdateGiven { message: removed() },
        CaseEvent::ActionMoved { action, due, .. } => CaseEvent::ActionMoved {
            action,
            due,
            reason: removed(),
        },
        CaseEvent::RestrictionRecorded { review_on, .. } => CaseEvent::RestrictionRecorded {
            reason: removed(),
            restricted: removed(),
            review_on,
        },
        e @ (CaseEvent::UpdateIntervalAgreed { .. } | CaseEvent::RestrictionReviewed { .. }) => e,
        CaseEvent::NoteAdded { corrects, .. } => CaseEvent::NoteAdded {
            text: removed(),
            corrects,
        },
        CaseEvent::CorrespondenceLogged {
            direction,
            channel,
            attachments,
            ..
        } => CaseEvent::CorrespondenceLogged {
            direction,
            channel,
            summary: removed(),
            attachments,
        },
        // The file itself is deleted with the case's personal data (see [`run`]); what stays
        // is that a file of this kind and size was kept.
        CaseEvent::AttachmentAdded {
            id,
            content_type,
            size,
            sha256,
            description,
            ..
        } => CaseEvent::AttachmentAdded {
            id,
            filename: removed(),
            content_type,
            size,
            sha256,
            description: if description.is_empty() {
                description
            } else {
                removed()
            },
        },
        e @ (CaseEvent::Anonymised { .. } | CaseEvent::CompensationAnswered { .. }) => e,
    }
}

fn redact_representative(
    mut r: crate::complaint::Representative,
) -> crate::complaint::Representative {
    r.name = removed();
    r.relationship = removed_if_some(r.relationship);
    r.email = None;
    r.address = None;
    r
}

/// Where the retention rule is applied: the store finds the cases that may be due and
/// replaces a case's history with its anonymised one.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// References after `after` (in order, at most `limit`) of cases not anonymised yet, not
    /// known to be open, and with no event at or after `quiet_since`: every case that may be
    /// due, and perhaps some that are not (the rule decides).
    async fn retention_candidates(
        &self,
        quiet_since: DateTime<Utc>,
        after: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// Replaces the stored history and snapshot of `case` with the anonymised ones (same
    /// sequence numbers, plus the new event), and the linked service request with
    /// `service_request`, all or nothing, if the stored version is still `expected_version`;
    /// no copy of the removed text may remain in the store.
    async fn rewrite_anonymised(
        &self,
        case: &Case,
        index: &CaseIndex,
        expected_version: u64,
        service_request: Option<&ServiceRequest>,
    ) -> Result<(), StoreError>;

    /// Called once after a run that anonymised something: make sure no earlier copy of the
    /// removed text survives in the store's logs or free space.
    async fn erase_traces(&self) -> Result<(), StoreError>;
}

/// What a retention run did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// The retention period applied, in years.
    pub years: u32,
    /// Cases the store offered as possibly due.
    pub examined: usize,
    /// References of the cases anonymised (or due, in a dry run).
    pub anonymised: Vec<String>,
    /// True when nothing was changed.
    pub dry_run: bool,
}

/// How many candidates are read at a time.
const PAGE: usize = 500;

/// Applies the retention rule to every case that is due on `now`'s London date. A case that
/// changed meanwhile (a version conflict) is left for the next run.
pub async fn run(
    service: &Service,
    store: &dyn RetentionStore,
    years: u32,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<RetentionReport, ServiceError> {
    let today = london_date(now);
    let cutoff_day = today
        .checked_sub_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MIN);
    let quiet_since = start_of_day(cutoff_day);
    let mut report = RetentionReport {
        years,
        dry_run,
        ..Default::default()
    };
    let mut after = String::new();
    loop {
        let page = store
            .retention_candidates(quiet_since, &after, PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.clone();
        let full = page.len() == PAGE;
        for reference in page {
            report.examined += 1;
            let Some(case) = service.store.load(&reference).await? else {
                continue;
            };
            let Some(anonymised) = anonymise(&case, &service.rules, years, now)? else {
                continue;
            };
            if !dry_run {
                let index = service.index(&anonymised, now)?;
                let request = match &case.service_request {
                    Some(id) => service
                        .store
                        .load_service_request(id)
                        .await?
                        .map(|r| anonymise_service_request(&r)),
                    None => None,
                };
                match store
                    .rewrite_anonymised(&anonymised, &index, case.version, request.as_ref())
                    .await
                {
                    Ok(()) => {}
                    Err(StoreError::VersionConflict) => continue,
                    Err(e) => return Err(e.into()),
                }
                tracing::info!(reference = %reference, "personal data removed: retention period ended");
            }
            report.anonymised.push(reference);
        }
        if !full {
            break;
        }
    }
    if !dry_run && !report.anonymised.is_empty() {
        store.erase_traces().await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn due_only_after_more_than_the_whole_period() {
        let today = d("2032-03-10");
        assert!(is_due(d("2026-03-09"), 6, today));
        assert!(!is_due(d("2026-03-10"), 6, today));
        assert!(!is_due(d("2026-03-11"), 6, today));
        // 29 February: the period ends on 28 February six years on.
        assert!(is_due(d("2024-02-29"), 6, d("2030-03-01")));
        assert!(!is_due(d("2024-02-29"), 6, d("2030-02-28")));
    }
}
