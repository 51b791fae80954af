//! The action forms on a case page: which fit the case and the member of staff, and their fields.

use askama::Template;

use super::case::form::{Choice, Ctl, FormView, Input, Part};
use super::*;
use crate::views::StaffCase;

/// The actions a case page offers, in the order they appear.
pub(super) const ACTIONS: [&str; 8] = [
    "acknowledge",
    "extend",
    "respond",
    "stage2",
    "stage3",
    "withdraw",
    "refuse",
    "ombudsman",
];

/// The role an action needs, for showing the form (the API checks it again on every post).
pub(super) fn role_needed(action: &str, stage: u8) -> Role {
    let by_stage = if stage <= 1 {
        Role::InvestigatingManager
    } else {
        Role::SeniorManager
    };
    match action {
        "extend" | "respond" => by_stage,
        "refuse" | "ombudsman" => Role::SeniorManager,
        _ => Role::Officer,
    }
}

/// Whether an action fits where the case stands (the domain decides again on every post).
pub(super) fn action_fits(st: &AppState, view: &StaffCase, action: &str) -> bool {
    let status = view.status.as_str();
    let active = status != "withdrawn" && status != "refused";
    let stage = view.stage;
    let current = view.stages.last();
    let acknowledged = current.is_some_and(|s| s.acknowledged_at.is_some());
    let responded = current.is_some_and(|s| s.responded_at.is_some());
    let last_stage = st
        .service
        .rules
        .procedures
        .get(view.procedure)
        .map(|p| p.last_stage())
        .unwrap_or(2);
    let ombudsman: Vec<&str> = view.ombudsman.iter().map(|o| o.event.as_str()).collect();
    match action {
        "acknowledge" => active && !acknowledged,
        "extend" => active && !responded,
        "respond" => active && acknowledged && !responded,
        // A Stage 2 request from Stage 1; from Stage 2 of a longer procedure (support
        // services), the Stage 3 request.
        "stage2" => active && responded && stage == 1 && stage < last_stage,
        "stage3" => active && responded && stage == 2 && stage < last_stage,
        "withdraw" => active && status != "closed",
        "refuse" => active && !responded,
        // The domain takes a record at any time; the page offers it once the procedure has
        // ended for the resident, or the Ombudsman is already involved.
        "ombudsman" => {
            !ombudsman.contains(&"determination")
                && (!active || status == "closed" || !ombudsman.is_empty())
        }
        _ => false,
    }
}

pub(super) fn action_title(action: &str, stage: u8) -> String {
    match action {
        "acknowledge" => format!("Acknowledge Stage {stage}"),
        "extend" => format!("Extend Stage {stage}"),
        "respond" => format!("Send the Stage {stage} response"),
        "stage2" => "Record a Stage 2 request".into(),
        "stage3" => "Record a Stage 3 request".into(),
        "withdraw" => "Record a withdrawal".into(),
        "refuse" => "Refuse the complaint".into(),
        "ombudsman" => "Record the Housing Ombudsman's involvement".into(),
        other => humanise(other),
    }
}

/// The "Next actions" section: a form for each action that fits the case and the role, and
/// the ones the role may not take.
#[derive(Template)]
#[template(path = "staff/case/actions.html")]
pub(super) struct NextActions {
    /// Nothing fits the case any more.
    nothing: bool,
    forms: Vec<FormView>,
    /// (title, role) of the actions that fit but not the role.
    not_allowed: Vec<(String, String)>,
}

pub(super) fn actions_section(
    st: &AppState,
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> NextActions {
    let stage = view.stage;
    let fitting: Vec<&'static str> = ACTIONS
        .iter()
        .copied()
        .filter(|a| action_fits(st, view, a))
        .collect();
    let mut section = NextActions {
        nothing: fitting.is_empty(),
        forms: Vec::new(),
        not_allowed: Vec::new(),
    };
    let mut opened_one = !attempt.action.is_empty();
    for action in fitting {
        let needed = role_needed(action, stage);
        if !who.staff.role.includes(needed) {
            section.not_allowed.push((
                action_title(action, stage),
                humanise(needed.as_str()).to_lowercase(),
            ));
            continue;
        }
        // The form just posted stays open; else the main next step (never a withdrawal or a
        // refusal) opens by itself.
        let open = if attempt.action == action {
            true
        } else if !opened_one && matches!(action, "acknowledge" | "respond") {
            opened_one = true;
            true
        } else {
            false
        };
        let title = action_title(action, stage);
        section.forms.push(FormView {
            id: action.to_string(),
            open,
            url_reference: urlencode(view.reference),
            action,
            csrf: who.csrf.clone(),
            version: view.version,
            key: random_hex(16),
            parts: action_fields(view, action, attempt),
            when: when_field(action, attempt),
            button: title.clone(),
            title,
            button_class: if matches!(action, "withdraw" | "refuse") {
                "button button--warning"
            } else {
                "button"
            },
        });
    }
    section
}

/// A text field of the form `form` named `name`, with what was just posted to it and its error.
pub(super) fn input(attempt: &Attempt, form: &str, name: &str, label: &str) -> Input {
    let id = format!("{form}-{name}");
    Input {
        value: attempt.value(form, name),
        error: attempt.error(&id).map(str::to_string),
        ..Input::new(id, name, label)
    }
}

/// Radios of the form `form` named `name`, with what was just posted to it and its error.
fn choice(
    attempt: &Attempt,
    form: &str,
    name: impl Into<std::borrow::Cow<'static, str>>,
    legend: impl Into<std::borrow::Cow<'static, str>>,
    options: &'static [(&'static str, &'static str)],
) -> Choice {
    let name = name.into();
    let id = format!("{form}-{name}");
    Choice {
        selected: Some(attempt.value(form, &name)).filter(|s| !s.is_empty()),
        error: attempt.error(&id).map(str::to_string),
        id,
        name,
        legend: legend.into(),
        hint: "",
        options,
    }
}

/// When the action happened, and why it is recorded only now if that was long ago.
pub(super) fn when_field(action: &str, attempt: &Attempt) -> Vec<Input> {
    vec![
        Input {
            hint: "Leave blank if it is happening now. UK time; it cannot be in the future or before the last event.".into(),
            control: Ctl::Input("datetime-local"),
            class: "input--medium",
            ..input(attempt, action, "at", "When did this happen? (optional)")
        },
        // Why an action is dated further back than staff may date one (`[records]`): a senior
        // manager's reason, kept on the record.
        Input {
            hint: "Staff may date an action up to 2 working days back (unless the service is set otherwise); further back only a senior manager may, saying why.".into(),
            control: Ctl::TextArea(2),
            ..input(
                attempt,
                action,
                "backdate_reason",
                "If it happened some days ago: why is it recorded only now? (optional)",
            )
        },
    ]
}

const DECISIONS: [(&str, &str); 3] = [
    ("upheld", "Upheld"),
    ("partly_upheld", "Partly upheld"),
    ("not_upheld", "Not upheld"),
];

pub(super) fn action_fields(view: &StaffCase, action: &str, attempt: &Attempt) -> Vec<Part> {
    let stage = view.stage;
    let field = |name: &str, label: &str| input(attempt, action, name, label);
    let text = |name: &str, label: &str, hint: &str, rows: u8| Input {
        hint: hint.into(),
        control: Ctl::TextArea(rows),
        ..field(name, label)
    };
    let reason = |label: &str| Part::Field(text("reason", label, "", 3));
    match action {
        "acknowledge" => {
            let (name, label, hint) = if stage <= 1 {
                (
                    "investigating_manager",
                    "Investigating Manager's email",
                    "The manager who will investigate and respond. They own the complaint from now on.",
                )
            } else {
                (
                    "reviewer",
                    "Reviewer's email",
                    "The Head of Tenant Services or a senior manager who did not handle or answer Stage 1.",
                )
            };
            let mut parts = vec![Part::Field(Input {
                hint: hint.into(),
                control: Ctl::Input("email"),
                attrs: "spellcheck=\"false\"",
                ..field(name, label)
            })];
            parts.push(Part::Field(text(
                "complaint_points",
                "Complaint points",
                "The complaint as you have defined it with the resident: one point on each line, at least one.",
                4,
            )));
            parts.push(Part::Field(text(
                "responsible_for",
                "What we are responsible for (optional)",
                "The parts of the complaint that are ours to put right.",
                2,
            )));
            parts.push(Part::Field(text(
                "not_responsible_for",
                "What we are not responsible for (optional)",
                "Anything in the complaint that is not ours, and whose it is.",
                2,
            )));
            parts
        }
        "extend" => {
            let max = if stage <= 1 { 10 } else { 20 };
            vec![
                Part::Field(Input {
                    hint: format!(
                        "At most {max} working days in all for this stage. The resident must be told, with the Housing Ombudsman's details."
                    ),
                    class: "input--short",
                    attrs: "inputmode=\"numeric\"",
                    ..field("working_days", "Working days to add")
                }),
                reason("Reason, as told to the resident"),
            ]
        }
        "respond" => {
            let mut parts = vec![
                Part::Radios(choice(attempt, action, "outcome", "Decision", &DECISIONS)),
                Part::Field(text(
                    "summary",
                    "Response",
                    "The decision and the reasons for it, in plain English, as sent to the resident.",
                    6,
                )),
                Part::Field(text(
                    "remedy",
                    "Remedy (optional)",
                    "For example, an apology, a repair or an amount of compensation.",
                    3,
                )),
            ];
            // A decision, with reasons, on each point of this stage as it now stands.
            let points = view.stages.last().map_or(&[][..], |s| s.complaint_points);
            for (n, p) in points.iter().enumerate().take(50) {
                parts.push(Part::Hidden(format!("point_{n}"), p.clone()));
                parts.push(Part::Radios(choice(
                    attempt,
                    action,
                    format!("decision_{n}"),
                    format!("Decision on point {}: {p}", n + 1),
                    &DECISIONS,
                )));
                parts.push(Part::Field(text(
                    &format!("reason_{n}"),
                    &format!("Reasons for the decision on point {}", n + 1),
                    "As sent to the resident.",
                    2,
                )));
            }
            let mut inputs = Vec::new();
            for n in 0..3 {
                inputs.push(field(
                    &format!("action_{n}_description"),
                    &format!("Action {}", n + 1),
                ));
                inputs.push(Input {
                    control: Ctl::Input("date"),
                    class: "input--medium",
                    ..field(
                        &format!("action_{n}_due"),
                        &format!("Action {} due date", n + 1),
                    )
                });
            }
            parts.push(Part::Group {
                legend: "Actions promised (optional)",
                hint: "Up to three things we will do, each with the date it is due.",
                inputs,
            });
            parts
        }
        "stage2" | "stage3" => vec![
            Part::Words("For a request the resident made by phone, letter or in person. A request after the resident's window is still accepted and marked late."),
            reason("The resident's reason (optional)"),
        ],
        "withdraw" => vec![
            Part::Words("The complaint is kept and reported as withdrawn."),
            reason("What the resident said (optional)"),
        ],
        "refuse" => vec![
            Part::Radios(Choice {
                hint: "A complaint may be refused only on one of these grounds.",
                ..choice(
                    attempt,
                    action,
                    "ground",
                    "Exclusion ground",
                    &[
                        ("over_12_months", "The issue arose, or the resident became aware of it, more than 12 months ago"),
                        ("legal_proceedings", "Legal proceedings have started"),
                        ("already_considered", "It has already been considered"),
                    ],
                )
            }),
            Part::Field(text(
                "explanation",
                "Explanation",
                "Why, as told to the resident. They will also be told they can go to the Housing Ombudsman.",
                4,
            )),
        ],
        "ombudsman" => {
            let referred = view.ombudsman.iter().any(|o| o.event == "referred");
            let options: &'static [(&str, &str)] = if referred {
                &[("determination", "The Ombudsman's determination")]
            } else {
                &[("referred", "Referred to the Ombudsman")]
            };
            let mut event = choice(attempt, action, "event", "What happened", options);
            event.selected = event.selected.or(Some(options[0].0.to_string()));
            vec![
                Part::Radios(event),
                Part::Field(text(
                    "detail",
                    "Details",
                    "The Ombudsman's reference, findings or orders.",
                    4,
                )),
            ]
        }
        _ => vec![],
    }
}
