//! How a case looks from outside, as typed views: the staff view (everything, minus secrets),
//! the resident's view (their own case's stage, dates and responses) and the list of cases.
//! The JSON API serialises them; the pages render them through templates.

mod case_list;
mod parts;
mod resident_case;
mod staff_case;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use p3_domain::case::{Case, Rules};
use p3_domain::letter::Delivery;
use serde::Serialize;
use serde_json::Value;

pub use case_list::{CaseList, CaseSummary, ListQuery};
pub use parts::{LetterCopy, LetterView, ResponseView};
pub use resident_case::{ResidentCase, ResidentDeadline};
pub use staff_case::{ActionView, CompensationView, RefusalView, StaffCase, StageView};

/// A view as the JSON API writes it: its fields in alphabetical order, as they have always been.
pub fn json<T: Serialize>(view: &T) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// A list's `limit` from its query: left out, `default`; given, a whole number from 1 to `max`.
/// Sent empty (`?limit=`) it is refused like any other value that is not a number: the API
/// describes it as an integer, and reading an empty one as "the default" would hide a client's
/// mistake (api-fuzz found the case list answering `?limit=` with its default 500).
pub(crate) fn limit_of(
    raw: Option<&str>,
    default: usize,
    max: usize,
    errors: &mut p3_domain::validation::ValidationErrors,
) -> usize {
    let Some(given) = raw else {
        return default;
    };
    match given.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => n,
        _ => {
            errors.add("limit", format!("must be a whole number from 1 to {max}"));
            default
        }
    }
}

/// The email deliveries of a case's letters that have gone (their ids, see
/// [`p3_domain::letter::LetterRecord::delivery_id`]), as the store records them: one read of
/// them all that may be a moment stale ([`CaseStore::sent_among`]), since the mark is only
/// shown; a store it cannot reach marks none.
///
/// [`CaseStore::sent_among`]: p3_domain::ports::CaseStore::sent_among
pub async fn sent_letter_copies(
    store: &dyn p3_domain::ports::CaseStore,
    case: &Case,
) -> HashSet<String> {
    let ids: Vec<String> = case
        .letters
        .iter()
        .flat_map(|l| {
            l.to.iter()
                .enumerate()
                .filter(|(_, a)| a.delivery == Delivery::Email)
                .map(|(i, _)| l.delivery_id(&case.reference, i))
        })
        .collect();
    if ids.is_empty() {
        return HashSet::new();
    }
    store
        .sent_among(&ids)
        .await
        .map(|sent| sent.into_iter().collect())
        .unwrap_or_default()
}

/// The whole case for staff, with no emailed letter marked sent (see [`staff_case_with`]).
pub fn staff_case(case: &Case, rules: &Rules, now: DateTime<Utc>) -> Value {
    staff_case_with(case, rules, now, &HashSet::new())
}

/// The whole case for staff as JSON; `sent` holds the ids of the letter emails that have gone
/// (see [`sent_letter_copies`]).
pub fn staff_case_with(
    case: &Case,
    rules: &Rules,
    now: DateTime<Utc>,
    sent: &HashSet<String>,
) -> Value {
    json(&StaffCase::of(case, rules, now, sent))
}

/// What the resident sees of their own case, as JSON.
pub fn resident_case(case: &Case, rules: &Rules, now: DateTime<Utc>) -> Value {
    json(&ResidentCase::of(case, rules, now))
}
