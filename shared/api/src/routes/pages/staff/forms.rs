//! The action forms on a case page: which fit the case and the member of staff, and their fields.

use super::*;
use crate::views::StaffCase;

/// The actions a case page offers, in the order they appear.
pub(super) const ACTIONS: [&str; 7] = [
    "acknowledge",
    "extend",
    "respond",
    "stage2",
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
        "stage2" => active && responded && stage < last_stage,
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
        "withdraw" => "Record a withdrawal".into(),
        "refuse" => "Refuse the complaint".into(),
        "ombudsman" => "Record the Housing Ombudsman's involvement".into(),
        other => humanise(other),
    }
}

pub(super) fn actions_section(
    st: &AppState,
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> String {
    let reference = view.reference;
    let stage = view.stage;
    let version = view.version;
    let mut out = String::from("<h2 class=\"heading-l\" id=\"actions\">Next actions</h2>");
    let fitting: Vec<&str> = ACTIONS
        .iter()
        .copied()
        .filter(|a| action_fits(st, view, a))
        .collect();
    if fitting.is_empty() {
        out.push_str("<p>There is nothing more to do on this complaint.</p>");
        return out;
    }
    let mut opened_one = !attempt.action.is_empty();
    let mut not_allowed = Vec::new();
    for action in fitting {
        let needed = role_needed(action, stage);
        if !who.staff.role.includes(needed) {
            not_allowed.push((action, needed));
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
        let fields = action_fields(view, action, attempt);
        let button_class = if matches!(action, "withdraw" | "refuse") {
            "button button--warning"
        } else {
            "button"
        };
        out.push_str(&format!(
            "<details class=\"details\" id=\"{action}\"{open}><summary class=\"details__summary\">{title}</summary>\
             <div class=\"details__text\"><form method=\"post\" action=\"/staff/cases/{ru}/{action}\" novalidate>\
             <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"version\" value=\"{version}\">\
             <input type=\"hidden\" name=\"idempotency_key\" value=\"{key}\">\
             {fields}{when}<button class=\"{button_class}\" type=\"submit\">{title}</button></form></div></details>",
            open = if open { " open" } else { "" },
            title = esc(&action_title(action, stage)),
            ru = esc(&urlencode(reference)),
            csrf = esc(&who.csrf),
            key = random_hex(16),
            when = when_field(action, attempt),
        ));
    }
    if !not_allowed.is_empty() {
        out.push_str(
            "<p class=\"secondary\">Not open to your role:</p><ul class=\"list secondary\">",
        );
        for (action, needed) in not_allowed {
            out.push_str(&format!(
                "<li>{}: needs the {} role</li>",
                esc(&action_title(action, stage)),
                esc(&humanise(needed.as_str()).to_lowercase())
            ));
        }
        out.push_str("</ul>");
    }
    out
}

pub(super) fn when_field(action: &str, attempt: &Attempt) -> String {
    let id = format!("{action}-at");
    let value = attempt.value(action, "at");
    Field {
        hint: "Leave blank if it is happening now. UK time; it cannot be in the future or before the last event.",
        value: &value,
        error: attempt.error(&id),
        control: Control::Input("datetime-local"),
        class: "input--medium",
        ..Field::new(&id, "at", "When did this happen? (optional)")
    }
    .render()
        + &backdate_reason_field(action, attempt)
}

/// Why an action is dated further back than staff may date one (`[records]`): a senior
/// manager's reason, kept on the record.
fn backdate_reason_field(action: &str, attempt: &Attempt) -> String {
    let id = format!("{action}-backdate_reason");
    let value = attempt.value(action, "backdate_reason");
    Field {
        hint: "Staff may date an action up to 2 working days back (unless the service is set otherwise); further back only a senior manager may, saying why.",
        value: &value,
        error: attempt.error(&id),
        control: Control::TextArea(2),
        ..Field::new(&id, "backdate_reason", "If it happened some days ago: why is it recorded only now? (optional)")
    }
    .render()
}

pub(super) fn action_fields(view: &StaffCase, action: &str, attempt: &Attempt) -> String {
    let stage = view.stage;
    let v = |name: &str| attempt.value(action, name);
    let id = |name: &str| format!("{action}-{name}");
    let mut out = String::new();
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
            let (i, val) = (id(name), v(name));
            out.push_str(
                &Field {
                    hint,
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::Input("email"),
                    attrs: "spellcheck=\"false\"",
                    ..Field::new(&i, name, label)
                }
                .render(),
            );
            if stage <= 1 {
                let (i, val) = (id("complaint_points"), v("complaint_points"));
                out.push_str(
                    &Field {
                        hint: "The complaint as you have defined it with the resident: one point on each line. Optional.",
                        value: &val,
                        error: attempt.error(&i),
                        control: Control::TextArea(4),
                        ..Field::new(&i, "complaint_points", "Complaint points")
                    }
                    .render(),
                );
            }
        }
        "extend" => {
            let (i, val) = (id("working_days"), v("working_days"));
            let max = if stage <= 1 { 10 } else { 20 };
            let hint = format!(
                "At most {max} working days in all for this stage. The resident must be told, with the Housing Ombudsman's details."
            );
            out.push_str(
                &Field {
                    hint: &hint,
                    value: &val,
                    error: attempt.error(&i),
                    class: "input--short",
                    attrs: "inputmode=\"numeric\"",
                    ..Field::new(&i, "working_days", "Working days to add")
                }
                .render(),
            );
            out.push_str(&reason_field(
                action,
                attempt,
                "Reason, as told to the resident",
                "",
            ));
        }
        "respond" => {
            let (i, val) = (id("outcome"), v("outcome"));
            out.push_str(
                &Radios {
                    id: &i,
                    name: "outcome",
                    legend: "Decision",
                    hint: "",
                    options: &[
                        ("upheld", "Upheld"),
                        ("partly_upheld", "Partly upheld"),
                        ("not_upheld", "Not upheld"),
                    ],
                    selected: Some(val.as_str()).filter(|s| !s.is_empty()),
                    error: attempt.error(&i),
                }
                .render(),
            );
            let (i, val) = (id("summary"), v("summary"));
            out.push_str(
                &Field {
                    hint: "The decision and the reasons for it, in plain English, as sent to the resident.",
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::TextArea(6),
                    ..Field::new(&i, "summary", "Response")
                }
                .render(),
            );
            let (i, val) = (id("remedy"), v("remedy"));
            out.push_str(
                &Field {
                    hint: "For example, an apology, a repair or an amount of compensation.",
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::TextArea(3),
                    ..Field::new(&i, "remedy", "Remedy (optional)")
                }
                .render(),
            );
            // Decisions are on the points as defined at the Stage 1 acknowledgement.
            let points = view.complaint_points;
            let decisions: Vec<(String, String)> = vec![
                (String::new(), "No decision recorded".into()),
                ("upheld".into(), "Upheld".into()),
                ("partly_upheld".into(), "Partly upheld".into()),
                ("not_upheld".into(), "Not upheld".into()),
            ];
            for (n, p) in points.iter().enumerate().take(50) {
                let name = format!("decision_{n}");
                let (i, val) = (id(&name), v(&name));
                let label = format!("Decision on point {}: {p}", n + 1);
                out.push_str(&format!(
                    "<input type=\"hidden\" name=\"point_{n}\" value=\"{}\">",
                    esc(p)
                ));
                out.push_str(
                    &Field {
                        value: &val,
                        error: attempt.error(&i),
                        control: Control::Select(&decisions),
                        ..Field::new(&i, &name, &label)
                    }
                    .render(),
                );
            }
            out.push_str(
                "<fieldset class=\"fieldset\"><legend class=\"fieldset__legend\">Actions promised (optional)</legend>\
                 <div class=\"hint\">Up to three things we will do, each with the date it is due.</div>",
            );
            for n in 0..3 {
                let dname = format!("action_{n}_description");
                let (i, val) = (id(&dname), v(&dname));
                let label = format!("Action {}", n + 1);
                out.push_str(
                    &Field {
                        value: &val,
                        error: attempt.error(&i),
                        ..Field::new(&i, &dname, &label)
                    }
                    .render(),
                );
                let uname = format!("action_{n}_due");
                let (i, val) = (id(&uname), v(&uname));
                let label = format!("Action {} due date", n + 1);
                out.push_str(
                    &Field {
                        value: &val,
                        error: attempt.error(&i),
                        control: Control::Input("date"),
                        class: "input--medium",
                        ..Field::new(&i, &uname, &label)
                    }
                    .render(),
                );
            }
            out.push_str("</fieldset>");
        }
        "stage2" => {
            out.push_str(
                "<p>For a request the resident made by phone, letter or in person. A request after the resident's window is still accepted and marked late.</p>",
            );
            out.push_str(&reason_field(
                action,
                attempt,
                "The resident's reason (optional)",
                "",
            ));
        }
        "withdraw" => {
            out.push_str("<p>The complaint is kept and reported as withdrawn.</p>");
            out.push_str(&reason_field(
                action,
                attempt,
                "What the resident said (optional)",
                "",
            ));
        }
        "refuse" => {
            let (i, val) = (id("ground"), v("ground"));
            out.push_str(
                &Radios {
                    id: &i,
                    name: "ground",
                    legend: "Exclusion ground",
                    hint: "A complaint may be refused only on one of these grounds.",
                    options: &[
                        ("over_12_months", "The issue arose, or the resident became aware of it, more than 12 months ago"),
                        ("legal_proceedings", "Legal proceedings have started"),
                        ("already_considered", "It has already been considered"),
                    ],
                    selected: Some(val.as_str()).filter(|s| !s.is_empty()),
                    error: attempt.error(&i),
                }
                .render(),
            );
            let (i, val) = (id("explanation"), v("explanation"));
            out.push_str(
                &Field {
                    hint: "Why, as told to the resident. They will also be told they can go to the Housing Ombudsman.",
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::TextArea(4),
                    ..Field::new(&i, "explanation", "Explanation")
                }
                .render(),
            );
        }
        "ombudsman" => {
            let referred = view.ombudsman.iter().any(|o| o.event == "referred");
            let (i, val) = (id("event"), v("event"));
            let options: &[(&str, &str)] = if referred {
                &[("determination", "The Ombudsman's determination")]
            } else {
                &[("referred", "Referred to the Ombudsman")]
            };
            out.push_str(
                &Radios {
                    id: &i,
                    name: "event",
                    legend: "What happened",
                    hint: "",
                    options,
                    selected: Some(val.as_str())
                        .filter(|s| !s.is_empty())
                        .or(Some(options[0].0)),
                    error: attempt.error(&i),
                }
                .render(),
            );
            let (i, val) = (id("detail"), v("detail"));
            out.push_str(
                &Field {
                    hint: "The Ombudsman's reference, findings or orders.",
                    value: &val,
                    error: attempt.error(&i),
                    control: Control::TextArea(4),
                    ..Field::new(&i, "detail", "Details")
                }
                .render(),
            );
        }
        _ => {}
    }
    out
}

pub(super) fn reason_field(action: &str, attempt: &Attempt, label: &str, hint: &str) -> String {
    let i = format!("{action}-reason");
    let val = attempt.value(action, "reason");
    Field {
        hint,
        value: &val,
        error: attempt.error(&i),
        control: Control::TextArea(3),
        ..Field::new(&i, "reason", label)
    }
    .render()
}
