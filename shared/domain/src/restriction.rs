//! A restriction for unacceptable behaviour (Code 5.14-5.15): a senior manager or the Head of
//! Tenant Services records why, what is restricted (how the resident may contact the landlord)
//! and when it is reviewed; the resident is told in a `restriction` letter with how to
//! challenge it; the case owner is reminded on the review date; a review keeps it (with the
//! next review date) or lifts it, and the resident is told again.
//!
//! A restriction limits how the resident contacts the landlord, never whether a complaint is
//! logged: nothing in the intake, nor any stage step, looks at it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Actor, Case, Command, CommandError};
use crate::casefile::MAX_DAYS_AHEAD;
use crate::deadline::{DeadlineKind, DeadlineStep};
use crate::event::CaseEvent;
use crate::london::london_date;
use crate::validation::ValidationErrors;

/// The longest reason or description, in characters.
pub const MAX_RESTRICTION_CHARS: usize = 5_000;

/// What a review decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Still needed: kept until the next review.
    Kept,
    /// No longer needed: lifted.
    Lifted,
}

impl ReviewOutcome {
    /// The snake_case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Kept => "kept",
            ReviewOutcome::Lifted => "lifted",
        }
    }
}

/// One review of a restriction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionReview {
    /// When it was reviewed.
    pub at: DateTime<Utc>,
    /// Who reviewed it.
    pub by: String,
    /// Kept or lifted.
    pub outcome: ReviewOutcome,
    /// The next review, when kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_on: Option<NaiveDate>,
}

/// A restriction on how the resident contacts the landlord, as the case keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    /// Why: the behaviour, as the resident is told it.
    pub reason: String,
    /// What is restricted (e.g. "contact by phone only on Tuesdays, with one named officer").
    pub restricted: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Who recorded it (a senior manager or the Head of Tenant Services).
    pub by: String,
    /// The next review date (moved by a review that keeps it).
    pub review_on: NaiveDate,
    /// Its reviews, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<RestrictionReview>,
    /// When it was lifted, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifted_at: Option<DateTime<Utc>>,
}

impl Restriction {
    /// True while it applies.
    pub fn in_force(&self) -> bool {
        self.lifted_at.is_none()
    }
}

/// The reminder of a restriction in force, on its review date (case-wide: filed under
/// Stage 1 so that its alert keeps one identity whatever stage the case reaches).
pub fn reminder(case: &Case) -> Option<(DeadlineKind, NaiveDate)> {
    case.restriction.as_ref().filter(|r| r.in_force()).map(|r| {
        (
            DeadlineKind::new(1, DeadlineStep::RestrictionReview),
            r.review_on,
        )
    })
}

fn review_date(e: &mut ValidationErrors, date: Option<NaiveDate>, actor: &Actor) {
    let Some(date) = date else {
        e.add(
            "review_on",
            "Give the date the restriction will be reviewed",
        );
        return;
    };
    let today = london_date(actor.at);
    if date <= today {
        e.add("review_on", format!("must be after {today}"));
    } else if (date - today).num_days() > MAX_DAYS_AHEAD {
        e.add("review_on", "must be within two years");
    }
}

/// Decides recording a restriction and reviewing it.
pub(crate) fn decide(
    case: &Case,
    command: Command,
    actor: &Actor,
) -> Result<Vec<CaseEvent>, CommandError> {
    crate::note::ensure_recordable(case)?;
    let mut e = ValidationErrors::new();
    let events = match command {
        Command::RecordRestriction {
            reason,
            restricted,
            review_on,
        } => {
            if case.restriction.as_ref().is_some_and(Restriction::in_force) {
                return Err(CommandError::NotAllowed(
                    "a restriction is already in force: review it (keep or lift it) instead".into(),
                ));
            }
            let reason = reason.trim().to_string();
            let restricted = restricted.trim().to_string();
            e.require_text(
                "reason",
                Some(&reason),
                MAX_RESTRICTION_CHARS,
                "why: the behaviour, as the resident will be told it",
            );
            e.require_text(
                "restricted",
                Some(&restricted),
                MAX_RESTRICTION_CHARS,
                "what is restricted: how the resident may contact us meanwhile",
            );
            review_date(&mut e, Some(review_on), actor);
            vec![CaseEvent::RestrictionRecorded {
                reason,
                restricted,
                review_on,
            }]
        }
        Command::ReviewRestriction { outcome, review_on } => {
            if !case.restriction.as_ref().is_some_and(Restriction::in_force) {
                return Err(CommandError::NotAllowed(
                    "there is no restriction in force to review".into(),
                ));
            }
            match outcome {
                ReviewOutcome::Kept => review_date(&mut e, review_on, actor),
                ReviewOutcome::Lifted if review_on.is_some() => {
                    e.add("review_on", "a lifted restriction has no next review")
                }
                ReviewOutcome::Lifted => {}
            }
            vec![CaseEvent::RestrictionReviewed { outcome, review_on }]
        }
        _ => unreachable!("restriction::decide takes only its own commands"),
    };
    e.into_result()?;
    Ok(events)
}

/// Folds this rule's events into the case.
pub(crate) fn apply(case: &mut Case, at: DateTime<Utc>, by: &str, event: &CaseEvent) {
    match event {
        CaseEvent::RestrictionRecorded {
            reason,
            restricted,
            review_on,
        } => {
            case.restriction = Some(Restriction {
                reason: reason.clone(),
                restricted: restricted.clone(),
                at,
                by: by.to_string(),
                review_on: *review_on,
                reviews: Vec::new(),
                lifted_at: None,
            });
        }
        CaseEvent::RestrictionReviewed { outcome, review_on } => {
            if let Some(r) = case.restriction.as_mut() {
                r.reviews.push(RestrictionReview {
                    at,
                    by: by.to_string(),
                    outcome: *outcome,
                    review_on: *review_on,
                });
                match outcome {
                    ReviewOutcome::Kept => {
                        if let Some(d) = review_on {
                            r.review_on = *d;
                        }
                    }
                    ReviewOutcome::Lifted => r.lifted_at = Some(at),
                }
            }
        }
        _ => {}
    }
}
