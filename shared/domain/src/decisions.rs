//! A complete complaint (Code 5.6, 6.7, 6.18): the acknowledgement defines the complaint as at
//! least one point, with what the landlord is and is not responsible for; each stage response
//! decides every point as it stands at that stage (revisions included), with reasons, and its
//! overall outcome agrees with those decisions.
//!
//! Decisions are matched to points by the point's text. An undecided point is named
//! `point_decisions[i]`, `i` being the point's position among the stage's points (from 0), so a
//! form that lists a decision per point in order shows the error beside that point.

use crate::event::{Outcome, PointDecision, StageResponse};
use crate::validation::{self, ValidationErrors};

/// Whether a command must leave the complaint complete: every live command does; a history
/// imported from the previous system keeps what that system recorded (no points, no decisions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completeness {
    /// Points at acknowledgement, a decision on each in the response.
    Required,
    /// As the previous system recorded it.
    AsRecorded,
}

/// Most points a stage's complaint may have.
pub const MAX_POINTS: usize = 50;

/// The points of a complaint as defined (at acknowledgement or on revision): trimmed, at least
/// one, none blank, at most [`MAX_POINTS`] of at most 2,000 characters each.
pub fn check_points(points: Vec<String>, e: &mut ValidationErrors) -> Vec<String> {
    let points: Vec<String> = points.into_iter().map(|p| p.trim().to_string()).collect();
    if points.is_empty() {
        e.add("complaint_points", "List at least one point of complaint");
    }
    if points.len() > MAX_POINTS {
        e.add("complaint_points", "at most 50 points");
    }
    for (i, p) in points.iter().enumerate() {
        if p.is_empty() {
            e.add(&format!("complaint_points[{i}]"), "must not be blank");
        } else if p.chars().count() > 2_000 {
            e.add(
                &format!("complaint_points[{i}]"),
                "must be 2000 characters or fewer",
            );
        }
    }
    points
}

/// What the landlord is (or is not) responsible for, as recorded with the points: optional,
/// trimmed, at most 5,000 characters.
pub fn check_responsibility(
    field: &str,
    value: Option<String>,
    e: &mut ValidationErrors,
) -> Option<String> {
    let value = validation::clean(value);
    e.check_len(field, value.as_deref(), 5_000);
    if value.as_deref().is_some_and(validation::has_control_chars) {
        e.add(field, "must not contain control characters");
    }
    value
}

/// The overall outcome the decisions on the points make: upheld when every point is upheld,
/// not upheld when none is, partly upheld otherwise; `None` with no decisions.
pub fn outcome_of(decisions: &[PointDecision]) -> Option<Outcome> {
    let first = decisions.first()?.decision;
    if decisions.iter().all(|d| d.decision == first) && first != Outcome::PartlyUpheld {
        Some(first)
    } else {
        Some(Outcome::PartlyUpheld)
    }
}

/// Checks that a response decides every point of the stage (`points`, as they now stand) once,
/// with reasons, decides nothing else, and that its overall outcome agrees with the decisions.
pub fn check_every_point_decided(points: &[String], r: &StageResponse, e: &mut ValidationErrors) {
    let mut decided = vec![false; points.len()];
    for (j, d) in r.point_decisions.iter().enumerate() {
        let field = format!("point_decisions[{j}]");
        let point = d.point.trim();
        match points.iter().position(|p| p == point) {
            Some(i) if decided[i] => e.add(
                &format!("{field}.point"),
                format!("point {} is decided twice", i + 1),
            ),
            Some(i) => decided[i] = true,
            None if point.is_empty() => {}
            None => e.add(
                &format!("{field}.point"),
                "is not one of the complaint's points at this stage: decide the points as they now stand",
            ),
        }
        if d.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            e.add(
                &format!("{field}.reason"),
                format!("Give the reasons for the decision on “{point}”"),
            );
        }
    }
    for (i, p) in points.iter().enumerate().filter(|(i, _)| !decided[*i]) {
        e.add(
            &format!("point_decisions[{i}]"),
            format!(
                "Decide point {}, “{p}”: upheld, partly upheld or not upheld, with the reasons",
                i + 1
            ),
        );
    }
    if !points.is_empty() && decided.iter().all(|d| *d) {
        if let Some(overall) = outcome_of(&r.point_decisions) {
            if overall != r.outcome {
                e.add(
                    "outcome",
                    format!(
                        "The decisions on the points make the complaint {}: choose that outcome, or change a decision",
                        overall.as_str().replace('_', " ")
                    ),
                );
            }
        }
    }
}
