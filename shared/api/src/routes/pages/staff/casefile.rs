//! The case page's case-file sections: the letters (with how each copy goes and whether its
//! email has gone), actions promised and Ombudsman orders (each with a form to mark it done),
//! compensation from offer to payment, the resident's support needs and contact preferences,
//! the representative, and the revisions of the complaint's points and of its handler.
//!
//! Like every other form on the page, each posts to `/staff/cases/{reference}/{action}` and
//! goes through the staff JSON handler of its route (see [`super::case_action`]). A form about
//! one item (an action, an offer) names it in a hidden field, and its element ids carry its
//! number (`complete-2-note`), so errors land on the right form.

use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use super::{get, random_hex, text, when_field, Attempt, SignedIn};
use crate::auth::Role;
use askama::Template;

use crate::html::{humanise, london_datetime, long_date, urlencode};
use crate::views::StaffCase;

/// The case-file actions the case page posts, besides the stage actions.
mod actions;
mod controls;
mod form_body;
mod handling;
mod people;

use actions::*;
use controls::*;
pub(super) use form_body::*;
use handling::*;
use people::*;

pub(super) const ACTIONS: [&str; 10] = [
    "points",
    "reassign",
    "needs",
    "contact",
    "representative",
    "complete",
    "compensation",
    "answer",
    "pay",
    "order",
];

/// What the banner says once an action is recorded.
pub(super) fn done_message(action: &str) -> Option<&'static str> {
    Some(match action {
        "points" => "Complaint points revised",
        "reassign" => "Handler changed",
        "needs" => "Support needs recorded",
        "contact" => "Contact preferences saved",
        "representative" => "Representative updated",
        "complete" => "Action marked as done",
        "compensation" => "Compensation offer recorded",
        "answer" => "The resident's answer recorded",
        "pay" => "Payment recorded",
        "order" => "Ombudsman order recorded",
        _ => return None,
    })
}

/// The case-file sections of the case page (`templates/staff/case/casefile.html`).
#[derive(Template)]
#[template(path = "staff/case/casefile.html")]
pub(super) struct CaseFile {
    letters: Vec<LetterRow>,
    actions: TrackedActions,
    compensation: Compensation,
    handling: Handling,
    needs: Needs,
    representative: Representation,
}

/// The case-file sections of the case page.
pub(super) fn sections(who: &SignedIn, view: &StaffCase, attempt: &Attempt) -> CaseFile {
    CaseFile {
        letters: letter_rows(view),
        actions: actions_section(who, view, attempt),
        compensation: compensation_section(who, view, attempt),
        handling: handling_section(who, view, attempt),
        needs: needs_section(who, view, attempt),
        representative: representative_section(who, view, attempt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_typed_become_pence() {
        assert_eq!(pence("50"), Some(5000));
        assert_eq!(pence("£1,250.5"), Some(125_050));
        assert_eq!(pence("0.07"), Some(7));
        assert_eq!(pence("12.345"), None);
        assert_eq!(pence("-5"), None);
        assert_eq!(pence("ten"), None);
        assert_eq!(pence(""), None);
    }

    #[test]
    fn errors_land_on_the_form_they_belong_to() {
        assert_eq!(element_for("complete-2", "note"), "complete-2-note");
        assert_eq!(element_for("complete-2", "action"), "complete-2");
        assert_eq!(
            element_for("compensation", "amount_pence"),
            "compensation-amount"
        );
        assert_eq!(
            element_for("points", "complaint_points[1]"),
            "points-complaint_points"
        );
        let f = vec![("action_number".to_string(), "3".to_string())];
        assert_eq!(form_id("complete", item_of("complete", &f)), "complete-3");
        assert_eq!(form_id("needs", item_of("needs", &f)), "needs");
    }
}
