//! The case page's "keeping the resident informed" and "restriction" section, with its forms:
//! the typed section of `templates/staff/case_informed.html`. The forms post like every other
//! form on the page (see [`super::case_action`]): `interval`, `update`, `move` (a promised
//! action's new date), `restriction` and `restriction-review`, each through the same domain
//! command as its JSON route.

use askama::Template;
use serde_json::{json, Map, Value};

use super::case::form::{Ctl, Input};
use super::input;
use super::{get, random_hex, text, Attempt, SignedIn};
use crate::auth::Role;
use crate::html::{london_datetime, long_date, urlencode};
use crate::views::StaffCase;

/// The forms of this section, as the page's path names them.
pub(super) const ACTIONS: [&str; 5] = [
    "interval",
    "update",
    "move",
    "restriction",
    "restriction-review",
];

/// What the banner says once a form's change is recorded.
pub(super) fn done_message(action: &str) -> Option<&'static str> {
    Some(match action {
        "interval" => "Update interval agreed",
        "update" => "Update letter sent",
        "move" => "Action date moved and the resident told",
        "restriction" => "Restriction recorded and the resident told",
        "restriction-review" => "Restriction reviewed and the resident told",
        _ => return None,
    })
}

/// The section of the case page.
#[derive(Template)]
#[template(path = "staff/case_informed.html")]
pub(super) struct InformedSection<'a> {
    url_reference: String,
    csrf: &'a str,
    version: u64,
    /// "10 working days (agreed with the resident)", or how it stands without one.
    interval: String,
    /// The next update's date, written out.
    next_update: Option<String>,
    restriction: Option<RestrictionRow>,
    interval_form: Option<SimpleForm>,
    update_form: Option<SimpleForm>,
    move_form: Option<SimpleForm>,
    restriction_form: Option<SimpleForm>,
    review_form: Option<ReviewForm<'a>>,
    /// The role each missing form needs, as the page says it.
    needs_roles: Vec<&'static str>,
}

struct RestrictionRow {
    in_force: bool,
    reason: String,
    restricted: String,
    recorded: String,
    review_on: String,
    lifted: Option<String>,
    reviews: Vec<String>,
}

struct SimpleForm {
    open: bool,
    key: String,
    fields: Vec<Input>,
}

struct ReviewForm<'a> {
    open: bool,
    key: String,
    outcome: String,
    outcome_error: Option<&'a str>,
    review_on: Input,
}

/// The section for the staff view of a case, with what a form just posted (`attempt`) kept.
pub(super) fn section<'a>(
    who: &'a SignedIn,
    view: &StaffCase,
    attempt: &'a Attempt,
) -> InformedSection<'a> {
    let role = who.staff.role;
    let field = |form: &str, name: &str, label: &str, hint: &str, control: Ctl| Input {
        hint: hint.to_string(),
        control,
        ..input(attempt, form, name, label)
    };
    let date = |form: &str, name: &str, label: &str, hint: &str| Input {
        class: "input--medium",
        ..field(form, name, label, hint, Ctl::Input("date"))
    };
    let form = |action: &str, fields: Vec<Input>| SimpleForm {
        open: attempt.action == action,
        key: random_hex(16),
        fields,
    };
    let mut needs_roles = Vec::new();
    let mut allowed = |needed: Role, what: &'static str| {
        let ok = role.includes(needed);
        if !ok {
            needs_roles.push(what);
        }
        ok
    };
    let active = view.withdrawal.is_none() && view.refusal.is_none();
    let interval_form = (active
        && allowed(
            Role::Officer,
            "Agree an update interval or send an update: needs the officer role.",
        ))
    .then(|| {
        form(
            "interval",
            vec![Input {
                class: "input--width-3",
                attrs: "inputmode=\"numeric\"",
                ..field(
                    "interval",
                    "working_days",
                    "Working days between updates",
                    "As agreed with the resident: from 1 to 60.",
                    Ctl::Input("text"),
                )
            }],
        )
    });
    let update_form = interval_form.is_some().then(|| {
        form(
            "update",
            vec![field(
                "update",
                "message",
                "What the resident is told",
                "Where the complaint stands and what happens next. Sent as a letter (by email where they gave an address); it restarts the interval.",
                Ctl::TextArea(5),
            )],
        )
    });
    let open_actions: Vec<(String, String)> = view
        .actions
        .iter()
        .filter(|a| a.completed.is_none())
        .map(|a| {
            (
                a.number.to_string(),
                format!(
                    "Action {}: {} (due {})",
                    a.number,
                    a.description,
                    long_date(a.due)
                ),
            )
        })
        .collect();
    let move_form = (!open_actions.is_empty()
        && allowed(
            Role::InvestigatingManager,
            "Move a promised action's date: needs the investigating manager role.",
        ))
    .then(|| {
        let mut options = vec![(String::new(), "Choose the action".to_string())];
        options.extend(open_actions);
        form(
            "move",
            vec![
                field("move", "action_number", "Action", "", Ctl::Select(options)),
                date(
                    "move",
                    "due",
                    "New date",
                    "The resident is sent an update letter with the new date and the reason.",
                ),
                field(
                    "move",
                    "reason",
                    "Why it moves",
                    "As the resident will be told it.",
                    Ctl::TextArea(3),
                ),
            ],
        )
    });
    let in_force = view.restriction.is_some_and(|r| r.in_force());
    let senior = allowed(
        Role::SeniorManager,
        "Record or review a restriction: needs the senior manager role (senior managers and the Head of Tenant Services).",
    );
    let restriction_form = (senior && !in_force).then(|| {
        form(
            "restriction",
            vec![
                field("restriction", "reason", "Why", "The behaviour, as the resident will be told it.", Ctl::TextArea(3)),
                field("restriction", "restricted", "What is restricted", "How the resident may contact us meanwhile, e.g. by email only, to one named officer. It never stops a complaint being logged.", Ctl::TextArea(3)),
                date("restriction", "review_on", "Review date", "The case owner is reminded that day."),
            ],
        )
    });
    let review_form = (senior && in_force).then(|| ReviewForm {
        open: attempt.action == "restriction-review",
        key: random_hex(16),
        outcome: attempt.value("restriction-review", "outcome"),
        outcome_error: attempt.error("restriction-review-outcome"),
        review_on: date(
            "restriction-review",
            "review_on",
            "Next review date (if kept)",
            "Leave blank when lifting it.",
        ),
    });
    InformedSection {
        url_reference: urlencode(view.reference),
        csrf: &who.csrf,
        version: view.version,
        interval: match view.update_interval_working_days {
            Some(n) => format!("{n} working days (agreed with the resident)"),
            None if view.next_update_due.is_some() => {
                "The landlord's default (none agreed with the resident yet)".into()
            }
            None => "None agreed".into(),
        },
        next_update: view.next_update_due.map(long_date),
        restriction: view.restriction.map(|r| RestrictionRow {
            in_force: r.in_force(),
            reason: r.reason.clone(),
            restricted: r.restricted.clone(),
            recorded: format!("{} by {}", london_datetime(r.at), r.by),
            review_on: long_date(r.review_on),
            lifted: r.lifted_at.map(london_datetime),
            reviews: r
                .reviews
                .iter()
                .map(|v| {
                    format!(
                        "{} by {}: {}{}",
                        london_datetime(v.at),
                        v.by,
                        v.outcome.as_str(),
                        v.review_on
                            .map(|d| format!(", next review {}", long_date(d)))
                            .unwrap_or_default()
                    )
                })
                .collect(),
        }),
        interval_form,
        update_form,
        move_form,
        restriction_form,
        review_form,
        needs_roles,
    }
}

/// Where an API field error is shown: the field's element, or the form itself for a field the
/// form does not have.
pub(super) fn element_for(form: &str, field: &str) -> String {
    let on_the_form: &[&str] = match form {
        "interval" => &["working_days"],
        "update" => &["message"],
        "move" => &["due", "reason"],
        "restriction" => &["reason", "restricted", "review_on"],
        "restriction-review" => &["outcome", "review_on"],
        _ => &[],
    };
    match field {
        "action" | "number" if form == "move" => "move-action_number".into(),
        f if on_the_form.contains(&f) => format!("{form}-{f}"),
        _ => form.to_string(),
    }
}

/// Turns a form of this section into its API body (the `at` is already in it), or the fields
/// at fault (by element id).
pub(super) fn json_body(
    action: &str,
    fields: &[(String, String)],
    body: &mut Map<String, Value>,
) -> Vec<(String, String)> {
    let mut errors: Vec<(String, String)> = Vec::new();
    let required = |body: &mut Map<String, Value>,
                    errors: &mut Vec<(String, String)>,
                    name: &str,
                    what: &str| match text(fields, name) {
        Some(v) => {
            body.insert(name.into(), json!(v));
        }
        None => errors.push((format!("{action}-{name}"), what.to_string())),
    };
    match action {
        "interval" => match get(fields, "working_days").map(|v| v.trim().parse::<u32>()) {
            Some(Ok(n)) => {
                body.insert("working_days".into(), json!(n));
            }
            _ => errors.push((
                "interval-working_days".into(),
                "Enter the working days between updates as a whole number, like 10".into(),
            )),
        },
        "update" => required(
            body,
            &mut errors,
            "message",
            "Enter what the resident is told",
        ),
        "move" => {
            if text(fields, "action_number").is_none() {
                errors.push(("move-action_number".into(), "Choose the action".into()));
            }
            required(body, &mut errors, "due", "Enter the new date");
            required(body, &mut errors, "reason", "Enter why the date moves");
        }
        "restriction" => {
            required(body, &mut errors, "reason", "Enter why");
            required(body, &mut errors, "restricted", "Enter what is restricted");
            required(body, &mut errors, "review_on", "Enter the review date");
        }
        "restriction-review" => {
            required(
                body,
                &mut errors,
                "outcome",
                "Choose whether the restriction is kept or lifted",
            );
            if let Some(d) = text(fields, "review_on") {
                body.insert("review_on".into(), json!(d));
            }
        }
        _ => {}
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_form_becomes_the_api_body() {
        let mut body = Map::new();
        assert!(json_body("interval", &f(&[("working_days", " 10 ")]), &mut body).is_empty());
        assert_eq!(Value::Object(body), json!({"working_days": 10}));
        let mut body = Map::new();
        let errors = json_body("interval", &f(&[("working_days", "ten")]), &mut body);
        assert_eq!(errors[0].0, "interval-working_days");
        let mut body = Map::new();
        let errors = json_body("restriction-review", &f(&[("review_on", "")]), &mut body);
        let ids: Vec<&str> = errors.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["restriction-review-outcome"]);
        assert_eq!(Value::Object(body), json!({}));
    }

    #[test]
    fn errors_land_on_the_fields_the_forms_have() {
        assert_eq!(element_for("move", "due"), "move-due");
        assert_eq!(element_for("move", "action"), "move-action_number");
        assert_eq!(
            element_for("restriction", "review_on"),
            "restriction-review_on"
        );
        assert_eq!(element_for("update", "(body)"), "update");
    }
}
