//! Reasonable adjustments are reviewed on their review date (Code 5.10): the case owner (the
//! complaints team while there is none) is reminded that day. Recording the needs again (the
//! review) replaces the record and its review date, and so the reminder.

use chrono::NaiveDate;

use crate::case::Case;
use crate::deadline::{DeadlineKind, DeadlineStep};

/// The reminder of the adjustments' review (case-wide: filed under Stage 1 so that its alert
/// keeps one identity whatever stage the case reaches).
pub fn reminder(case: &Case) -> Option<(DeadlineKind, NaiveDate)> {
    case.needs.as_ref().map(|n| {
        (
            DeadlineKind::new(1, DeadlineStep::AdjustmentReview),
            n.review_on,
        )
    })
}
