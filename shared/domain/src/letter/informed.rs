//! What the `update` and `restriction` letters show (see [`crate::updates`] and
//! [`crate::restriction`]): the views their templates see, filled from the event that issues
//! them, and the samples they are checked against.

use serde::Serialize;

use super::render::{long_date, paragraphs, LetterContext};
use crate::case::{Case, Rules};
use crate::casefile::ActionSource;
use crate::event::CaseEvent;
use crate::restriction::ReviewOutcome;

/// A promised action done or moved, as an update letter tells it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionUpdateView {
    /// What was promised.
    pub description: String,
    /// True for an order of the Housing Ombudsman, false for a promise in our response.
    pub ombudsman_order: bool,
    /// True when it is done; false when its date moved.
    pub done: bool,
    /// What was done (done), or why the date moved (moved), one string per paragraph.
    pub detail: Vec<String>,
    /// The date it was due before it moved, written out (moved only).
    pub old_due: Option<String>,
    /// The date it is now due, written out (moved only).
    pub new_due: Option<String>,
}

/// An update letter's contents.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateView {
    /// What staff wrote, one string per paragraph (empty for an action's update).
    pub message: Vec<String>,
    /// The action done or moved, for an action's update.
    pub action: Option<ActionUpdateView>,
    /// When the resident hears from us next (the next update due), written out.
    pub next_update: Option<String>,
}

/// A restriction letter's contents.
#[derive(Debug, Clone, Serialize)]
pub struct RestrictionView {
    /// `recorded`, `kept` or `lifted`.
    pub decision: &'static str,
    /// Why, one string per paragraph.
    pub reason: Vec<String>,
    /// What is restricted, one string per paragraph.
    pub restricted: Vec<String>,
    /// The next review date, written out (empty once lifted).
    pub review_on: String,
}

/// Fills the update or restriction part of `ctx` for the event that issues the letter.
pub(super) fn fill(
    ctx: &mut LetterContext,
    case: &Case,
    event: &CaseEvent,
    rules: &Rules,
    today: chrono::NaiveDate,
) {
    // The letter itself is the update: the next one is due the interval after today.
    let next_update = crate::updates::next_update_due(case, rules)
        .and(crate::updates::interval(case, &rules.updates))
        .map(|days| long_date(rules.calendar.add_working_days(today, days)));
    match event {
        CaseEvent::UpdateGiven { message } => {
            ctx.update = Some(UpdateView {
                message: paragraphs(message),
                action: None,
                next_update,
            });
        }
        CaseEvent::ActionCompleted { action, note } => {
            ctx.update = action_view(case, *action, true, note, None).map(|a| UpdateView {
                message: Vec::new(),
                action: Some(a),
                next_update,
            });
        }
        CaseEvent::ActionMoved { action, reason, .. } => {
            let old_due = case
                .history
                .iter()
                .rev()
                .skip(1)
                .find_map(|r| match &r.event {
                    CaseEvent::ActionMoved { action: a, due, .. } if a == action => Some(*due),
                    _ => None,
                })
                .or_else(|| promised_due(case, *action));
            ctx.update = action_view(case, *action, false, reason, old_due).map(|a| UpdateView {
                message: Vec::new(),
                action: Some(a),
                next_update,
            });
        }
        CaseEvent::RestrictionRecorded { .. } | CaseEvent::RestrictionReviewed { .. } => {
            if let Some(r) = &case.restriction {
                let decision = match event {
                    CaseEvent::RestrictionReviewed {
                        outcome: ReviewOutcome::Kept,
                        ..
                    } => "kept",
                    CaseEvent::RestrictionReviewed {
                        outcome: ReviewOutcome::Lifted,
                        ..
                    } => "lifted",
                    _ => "recorded",
                };
                ctx.restriction = Some(RestrictionView {
                    decision,
                    reason: paragraphs(&r.reason),
                    restricted: paragraphs(&r.restricted),
                    review_on: if r.in_force() {
                        long_date(r.review_on)
                    } else {
                        String::new()
                    },
                });
            }
        }
        _ => {}
    }
}

/// The date an action had when it was promised or ordered (before any move).
fn promised_due(case: &Case, action: u16) -> Option<chrono::NaiveDate> {
    let mut n = 0u16;
    for r in &case.history {
        match &r.event {
            CaseEvent::Responded { response, .. } => {
                for a in &response.actions {
                    n += 1;
                    if n == action {
                        return Some(a.due);
                    }
                }
            }
            CaseEvent::OmbudsmanOrdered { due, .. } => {
                n += 1;
                if n == action {
                    return Some(*due);
                }
            }
            _ => {}
        }
    }
    None
}

fn action_view(
    case: &Case,
    number: u16,
    done: bool,
    detail: &str,
    old_due: Option<chrono::NaiveDate>,
) -> Option<ActionUpdateView> {
    let a = case.actions.iter().find(|a| a.number == number)?;
    Some(ActionUpdateView {
        description: a.description.clone(),
        ombudsman_order: a.source == ActionSource::OmbudsmanOrder,
        done,
        detail: paragraphs(detail),
        old_due: (!done).then(|| old_due.map(long_date)).flatten(),
        new_due: (!done).then(|| long_date(a.due)),
    })
}

/// Sample contexts of the update and restriction letters, from a base context of each kind.
pub(super) fn samples(base: impl Fn(super::LetterKind) -> LetterContext) -> Vec<LetterContext> {
    use super::LetterKind::{Restriction, Update};
    let action = |done: bool| ActionUpdateView {
        description: "Sample action".into(),
        ombudsman_order: !done,
        done,
        detail: vec!["Sample detail.".into()],
        old_due: (!done).then(|| "Monday 30 November 2026".into()),
        new_due: (!done).then(|| "Monday 7 December 2026".into()),
    };
    let mut out = Vec::new();
    for (message, action, next_update) in [
        (
            vec!["Sample update.".to_string()],
            None,
            Some("Monday 7 December 2026".to_string()),
        ),
        (Vec::new(), Some(action(true)), None),
        (
            Vec::new(),
            Some(action(false)),
            Some("Monday 7 December 2026".into()),
        ),
    ] {
        out.push(LetterContext {
            update: Some(UpdateView {
                message,
                action,
                next_update,
            }),
            ..base(Update)
        });
    }
    for decision in ["recorded", "kept", "lifted"] {
        out.push(LetterContext {
            restriction: Some(RestrictionView {
                decision,
                reason: vec!["Sample reason.".into()],
                restricted: vec!["Sample restriction.".into()],
                review_on: if decision == "lifted" {
                    String::new()
                } else {
                    "Monday 1 March 2027".into()
                },
            }),
            ..base(Restriction)
        });
    }
    out
}
