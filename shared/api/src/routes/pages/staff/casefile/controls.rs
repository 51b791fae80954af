//! The case file forms' shared parts: a form, its fields and checkboxes, and the letters.

use super::*;
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
    name: &str,
    label: &str,
    checked: bool,
    error: Option<&str>,
) -> String {
    let id = format!("{form}-{name}");
    let error = error
        .map(|m| {
            format!(
                "<p class=\"error-message\" id=\"{id}-error\"><span class=\"visually-hidden\">Error:</span> {}</p>",
                esc(m)
            )
        })
        .unwrap_or_default();
    format!(
        "<div class=\"form-group{}\">{error}<div class=\"checkboxes__item\"><input class=\"checkboxes__input\" id=\"{id}\" name=\"{name}\" type=\"checkbox\" value=\"true\"{}{}>\
         <label class=\"checkboxes__label\" for=\"{id}\">{}</label></div></div>",
        if error.is_empty() { "" } else { " form-group--error" },
        if checked { " checked" } else { "" },
        if error.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"{id}-error\" aria-invalid=\"true\"")
        },
        esc(label)
    )
}

pub(super) struct Form<'a> {
    pub(super) action: &'a str,
    pub(super) item: Option<u16>,
    pub(super) title: &'a str,
    pub(super) fields: String,
    pub(super) button: &'a str,
}

/// One form in a `<details>`, open when it was just posted with errors; or, when the role
/// does not allow it, a line saying which role it needs.
pub(in crate::routes::pages::staff) fn form(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
    f: Form,
) -> String {
    let needed = role_needed(f.action, u64::from(view.stage));
    if !who.staff.role.includes(needed) {
        return format!(
            "<p class=\"secondary\">{}: needs the {} role.</p>",
            esc(f.title),
            esc(&humanise(needed.as_str()).to_lowercase())
        );
    }
    let id = form_id(f.action, f.item);
    let hidden = match (f.action, f.item) {
        ("complete", Some(n)) => {
            format!("<input type=\"hidden\" name=\"action_number\" value=\"{n}\">")
        }
        ("answer" | "pay", Some(n)) => {
            format!("<input type=\"hidden\" name=\"offer\" value=\"{n}\">")
        }
        _ => String::new(),
    };
    format!(
        "<details class=\"details\" id=\"{id}\"{open}><summary class=\"details__summary\">{title}</summary>\
         <div class=\"details__text\"><form method=\"post\" action=\"/staff/cases/{ru}/{action}\" novalidate>\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"version\" value=\"{version}\">\
         <input type=\"hidden\" name=\"idempotency_key\" value=\"{key}\">{hidden}\
         {fields}{when}<button class=\"button\" type=\"submit\">{button}</button></form></div></details>",
        open = if attempt.action == id { " open" } else { "" },
        title = esc(f.title),
        ru = esc(&urlencode(view.reference)),
        action = f.action,
        csrf = esc(&who.csrf),
        version = view.version,
        key = random_hex(16),
        fields = f.fields,
        when = when_field(&id, attempt)
            .iter()
            .map(|i| i.field().render())
            .collect::<String>(),
        button = esc(f.button),
    )
}

pub(in crate::routes::pages::staff) fn field(
    attempt: &Attempt,
    form: &str,
    name: &str,
    label: &str,
    hint: &str,
    current: &str,
    control: Control,
) -> String {
    let id = format!("{form}-{name}");
    let val = value(attempt, form, name, current);
    let class = match control {
        Control::Input("date") => "input--medium",
        _ => "",
    };
    Field {
        hint,
        value: &val,
        error: attempt.error(&id),
        control,
        class,
        ..Field::new(&id, name, label)
    }
    .render()
}

pub(in crate::routes::pages::staff) fn copy_html(c: &LetterCopy) -> String {
    let who = match c.role {
        LetterRole::Representative => "Representative",
        LetterRole::Resident => "Resident",
    };
    let name = c
        .name
        .as_deref()
        .map(|n| format!(" ({})", esc(n)))
        .unwrap_or_default();
    let how = if *c.delivery == Delivery::Email {
        let to = esc(c.email.and_then(|e| e.as_deref()).unwrap_or(""));
        if c.email_sent == Some(true) {
            format!("emailed to {to} {}", tag("Sent", "tag--green"))
        } else {
            format!(
                "to be emailed to {to} {}",
                tag("Not sent yet: print and post", "tag--yellow")
            )
        }
    } else {
        format!("by post {}", tag("Print and post", "tag--grey"))
    };
    format!("<li>{who}{name}: {how}</li>")
}

pub(in crate::routes::pages::staff) fn letters_section(view: &StaffCase) -> String {
    let mut out = String::from("<h2 class=\"heading-l\" id=\"letters\">Letters</h2>");
    let letters = &view.letters;
    if letters.is_empty() {
        out.push_str("<p>No letters yet. Letters are written when the complaint is acknowledged, extended, answered or refused.</p>");
        return out;
    }
    out.push_str(
        "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"letters\" tabindex=\"0\">\
         <table class=\"table\"><thead><tr><th scope=\"col\">Letter</th><th scope=\"col\">Dated</th>\
         <th scope=\"col\">How each copy goes</th></tr></thead><tbody>",
    );
    for l in letters {
        let copies: String = l.to.iter().flatten().map(copy_html).collect();
        out.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"{url}\">{n}. {subject}</a><br><span class=\"secondary\">{kind}</span></th>\
             <td class=\"nowrap\">{date}</td><td><ul class=\"list\">{copies}</ul></td></tr>",
            url = esc(l.url.as_deref().unwrap_or("")),
            n = l.number,
            subject = esc(l.subject),
            kind = esc(&humanise(l.kind.as_str())),
            date = esc(&long_date(l.issued_on)),
        ));
    }
    out.push_str("</tbody></table></div>");
    out
}

pub(in crate::routes::pages::staff) fn status_tag(status: &str) -> String {
    match status {
        "met" => tag("Done", "tag--green"),
        "met_late" => tag("Done late", "tag--yellow"),
        "breached" => tag("Overdue", "tag--red"),
        "pending" => tag("To do", "tag--grey"),
        other => tag(&humanise(other), "tag--grey"),
    }
}
