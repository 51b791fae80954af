//! The case file forms' shared parts: a form, its fields and checkboxes, and the letters.

use super::*;
use crate::routes::pages::staff::case::form::{CaseForm, Ctl, FormView, Input, Part};
use crate::routes::pages::urgency::Urgency;
use crate::views::LetterCopy;
use p3_domain::letter::{Delivery, Role as LetterRole};

/// What a field shows: what was just posted to this form, else `current`.
pub(in crate::routes::pages::staff) fn value(
    attempt: &Attempt,
    form: &str,
    name: &str,
    current: &str,
) -> String {
    if attempt.action == form {
        attempt.value(form, name)
    } else {
        current.to_string()
    }
}

pub(in crate::routes::pages::staff) fn checkbox(
    form: &str,
    name: &'static str,
    label: &'static str,
    checked: bool,
    error: Option<&str>,
) -> Part {
    Part::Checkbox {
        id: format!("{form}-{name}"),
        name,
        label,
        checked,
        error: error.map(str::to_string),
    }
}

pub(super) struct Form<'a> {
    pub(super) action: &'static str,
    pub(super) item: Option<u16>,
    pub(super) title: &'a str,
    pub(super) fields: Vec<Part>,
    pub(super) button: &'a str,
}

/// One form in a `<details>`, open when it was just posted with errors; or, when the role
/// does not allow it, a line saying which role it needs.
pub(in crate::routes::pages::staff) fn form(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
    f: Form,
) -> CaseForm {
    let needed = role_needed(f.action, u64::from(view.stage));
    if !who.staff.role.includes(needed) {
        return CaseForm::NotAllowed {
            title: f.title.to_string(),
            role: humanise(needed.as_str()).to_lowercase(),
        };
    }
    let id = form_id(f.action, f.item);
    let mut parts = match (f.action, f.item) {
        ("complete", Some(n)) => vec![Part::Hidden("action_number".into(), n.to_string())],
        ("answer" | "pay", Some(n)) => vec![Part::Hidden("offer".into(), n.to_string())],
        _ => vec![],
    };
    parts.extend(f.fields);
    CaseForm::Open(Box::new(FormView {
        open: attempt.action == id,
        title: f.title.to_string(),
        url_reference: urlencode(view.reference),
        action: f.action,
        csrf: who.csrf.clone(),
        version: view.version,
        key: random_hex(16),
        parts,
        when: when_field(&id, attempt),
        button: f.button.to_string(),
        button_class: "button",
        id,
    }))
}

pub(in crate::routes::pages::staff) fn field(
    attempt: &Attempt,
    form: &str,
    name: &str,
    label: &str,
    hint: &str,
    current: &str,
    control: Ctl,
) -> Part {
    let id = format!("{form}-{name}");
    let class = match control {
        Ctl::Input("date") => "input--medium",
        _ => "",
    };
    Part::Field(Input {
        hint: hint.to_string(),
        value: value(attempt, form, name, current),
        error: attempt.error(&id).map(str::to_string),
        control,
        class,
        ..Input::new(id, name, label)
    })
}

/// A tag: a word and its colour.
pub(in crate::routes::pages::staff) fn tag(text: &str, class: &'static str) -> Urgency {
    Urgency {
        tag: text.to_string(),
        tag_class: class,
        detail: None,
        row_class: "",
    }
}

/// How one copy of a letter goes.
pub(in crate::routes::pages::staff) enum CopyWay {
    /// Emailed to this address.
    Sent(String),
    /// To be emailed to this address, not gone yet.
    NotSent(String),
    /// By post.
    Post,
}

/// One copy of a letter: who (with their name) and how.
pub(in crate::routes::pages::staff) struct CopyRow {
    pub(in crate::routes::pages::staff) who: &'static str,
    pub(in crate::routes::pages::staff) name: Option<String>,
    pub(in crate::routes::pages::staff) way: CopyWay,
}

/// A row of the letters table.
pub(in crate::routes::pages::staff) struct LetterRow {
    pub(in crate::routes::pages::staff) url: String,
    pub(in crate::routes::pages::staff) number: u16,
    pub(in crate::routes::pages::staff) subject: String,
    pub(in crate::routes::pages::staff) kind: String,
    pub(in crate::routes::pages::staff) date: String,
    pub(in crate::routes::pages::staff) copies: Vec<CopyRow>,
}

fn copy_row(c: &LetterCopy) -> CopyRow {
    let to = || c.email.and_then(|e| e.as_deref()).unwrap_or("").to_string();
    CopyRow {
        who: match c.role {
            LetterRole::Representative => "Representative",
            LetterRole::Resident => "Resident",
        },
        name: c.name.clone(),
        way: if *c.delivery != Delivery::Email {
            CopyWay::Post
        } else if c.email_sent == Some(true) {
            CopyWay::Sent(to())
        } else {
            CopyWay::NotSent(to())
        },
    }
}

pub(in crate::routes::pages::staff) fn letter_rows(view: &StaffCase) -> Vec<LetterRow> {
    view.letters
        .iter()
        .map(|l| LetterRow {
            url: l.url.clone().unwrap_or_default(),
            number: l.number,
            subject: l.subject.to_string(),
            kind: humanise(l.kind.as_str()),
            date: long_date(l.issued_on),
            copies: l.to.iter().flatten().map(copy_row).collect(),
        })
        .collect()
}

pub(in crate::routes::pages::staff) fn status_tag(status: &str) -> Urgency {
    match status {
        "met" => tag("Done", "tag--green"),
        "met_late" => tag("Done late", "tag--yellow"),
        "breached" => tag("Overdue", "tag--red"),
        "pending" => tag("To do", "tag--grey"),
        other => tag(&humanise(other), "tag--grey"),
    }
}
