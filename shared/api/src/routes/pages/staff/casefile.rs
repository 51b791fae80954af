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
use crate::html::{
    esc, humanise, london_datetime_str, long_date_str, summary_list, tag, urlencode, Control,
    Field, Radios,
};

/// The case-file actions the case page posts, besides the stage actions.
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

/// The item a per-item form is about (an action's or an offer's number), from its hidden field.
pub(super) fn item_of(action: &str, fields: &[(String, String)]) -> Option<u16> {
    let raw = match action {
        "complete" => get(fields, "action_number"),
        "answer" | "pay" => get(fields, "offer"),
        _ => None,
    }?;
    raw.trim().parse::<u16>().ok().filter(|n| *n > 0)
}

/// True for the forms about one item.
pub(super) fn per_item(action: &str) -> bool {
    matches!(action, "complete" | "answer" | "pay")
}

/// The form's id and the prefix of its elements' ids: the action, with the item's number.
pub(super) fn form_id(action: &str, item: Option<u16>) -> String {
    match item {
        Some(n) if per_item(action) => format!("{action}-{n}"),
        _ => action.to_string(),
    }
}

/// Where an API field error is shown: the field's element, or the form itself.
pub(super) fn element_for(form: &str, field: &str) -> String {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match base {
        "amount_pence" => format!("{form}-amount"),
        "action" | "offer" | "number" | "remove" => form.to_string(),
        "" | "(body)" => format!("{form}-at"),
        other => format!("{form}-{other}"),
    }
}

/// The role a case-file form needs (the API checks it again on every post).
pub(super) fn role_needed(action: &str, stage: u64) -> Role {
    match action {
        "points" if stage <= 1 => Role::InvestigatingManager,
        "points" | "reassign" | "pay" | "order" => Role::SeniorManager,
        "complete" | "compensation" => Role::InvestigatingManager,
        _ => Role::Officer,
    }
}

/// The API route (below `/staff/complaints/{reference}/`) a case-file form posts to.
pub(super) fn route(action: &str, item: u16) -> String {
    match action {
        "points" => "points".into(),
        "reassign" => "reassignment".into(),
        "needs" => "needs".into(),
        "contact" => "contact-preferences".into(),
        "representative" => "representative".into(),
        "complete" => format!("actions/{item}/completion"),
        "compensation" => "compensation".into(),
        "answer" => format!("compensation/{item}/answer"),
        "pay" => format!("compensation/{item}/payment"),
        _ => "ombudsman/orders".into(),
    }
}

/// An amount in pounds as typed (`50`, `£1,250.50`) in pence.
fn pence(v: &str) -> Option<u64> {
    let v: String = v
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, frac) = v.split_once('.').unwrap_or((&v, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 12
    {
        return None;
    }
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<u64>().ok()? * 100 + frac.parse::<u64>().ok()?)
}

fn date(
    fields: &[(String, String)],
    name: &str,
    id: String,
    what: &str,
    errors: &mut Vec<(String, String)>,
) -> Option<String> {
    match text(fields, name) {
        None => {
            errors.push((id, format!("Enter {what}")));
            None
        }
        Some(v) => match NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
            Ok(d) => Some(d.to_string()),
            Err(_) => {
                errors.push((id, format!("Enter {what} as a date, like 2026-06-30")));
                None
            }
        },
    }
}

/// Turns a case-file form into its API body, or the fields at fault (by element id).
pub(super) fn json_body(
    action: &str,
    form: &str,
    fields: &[(String, String)],
    body: &mut Map<String, Value>,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let id = |name: &str| format!("{form}-{name}");
    let put = |body: &mut Map<String, Value>, name: &str| {
        if let Some(v) = text(fields, name) {
            body.insert(name.into(), json!(v));
        }
    };
    let required = |body: &mut Map<String, Value>, name: &str| {
        body.insert(name.into(), json!(get(fields, name).unwrap_or("").trim()));
    };
    let ticked = |name: &str| get(fields, name) == Some("true");
    if per_item(action) && item_of(action, fields).is_none() {
        errors.push((
            form.to_string(),
            "This form is missing what it is about: reload the page and try again".into(),
        ));
    }
    match action {
        "points" => {
            let points: Vec<String> = get(fields, "complaint_points")
                .unwrap_or("")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            body.insert("complaint_points".into(), json!(points));
            required(body, "reason");
        }
        "reassign" => {
            required(body, "handler");
            required(body, "reason");
        }
        "needs" => {
            put(body, "vulnerabilities");
            required(body, "adjustments");
            body.insert("consent".into(), json!(ticked("consent")));
            if let Some(d) = date(
                fields,
                "review_on",
                id("review_on"),
                "the date to review this with the resident",
                &mut errors,
            ) {
                body.insert("review_on".into(), json!(d));
            }
        }
        "contact" => {
            for (name, what) in [
                ("method", "Choose how the resident wants to hear from us"),
                ("format", "Choose the format the resident needs"),
            ] {
                match text(fields, name) {
                    Some(v) => {
                        body.insert(name.into(), json!(v));
                    }
                    None => errors.push((id(name), what.into())),
                }
            }
            put(body, "language");
        }
        "representative" => {
            if ticked("remove") {
                body.insert("remove".into(), json!(true));
            } else {
                for name in ["name", "relationship", "email", "address"] {
                    put(body, name);
                }
                if text(fields, "name").is_none() {
                    errors.push((id("name"), "Enter the representative's name".into()));
                }
                body.insert(
                    "authorised_copies".into(),
                    json!(ticked("authorised_copies")),
                );
            }
        }
        "complete" => required(body, "note"),
        "compensation" => {
            match text(fields, "amount").map(|v| pence(&v)) {
                Some(Some(p)) => {
                    body.insert("amount_pence".into(), json!(p));
                }
                Some(None) => errors.push((
                    id("amount"),
                    "Enter the amount in pounds, like 50 or 125.50".into(),
                )),
                None => errors.push((id("amount"), "Enter the amount offered".into())),
            }
            required(body, "reason");
        }
        "answer" => match text(fields, "accepted").as_deref() {
            Some("true") => {
                body.insert("accepted".into(), json!(true));
            }
            Some("false") => {
                body.insert("accepted".into(), json!(false));
            }
            _ => errors.push((
                id("accepted"),
                "Choose whether the resident accepted the offer".into(),
            )),
        },
        "pay" => put(body, "payment_reference"),
        "order" => {
            required(body, "description");
            required(body, "owner");
            if let Some(d) = date(
                fields,
                "due",
                id("due"),
                "the date the order is due",
                &mut errors,
            ) {
                body.insert("due".into(), json!(d));
            }
        }
        _ => {}
    }
    errors
}

/// What a field shows: what was just posted to this form, else `current`.
fn value(attempt: &Attempt, form: &str, name: &str, current: &str) -> String {
    if attempt.action == form {
        attempt.value(form, name)
    } else {
        current.to_string()
    }
}

fn checkbox(form: &str, name: &str, label: &str, checked: bool, error: Option<&str>) -> String {
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

struct Form<'a> {
    action: &'a str,
    item: Option<u16>,
    title: &'a str,
    fields: String,
    button: &'a str,
}

/// One form in a `<details>`, open when it was just posted with errors; or, when the role
/// does not allow it, a line saying which role it needs.
fn form(who: &SignedIn, view: &Value, attempt: &Attempt, f: Form) -> String {
    let stage = view["stage"].as_u64().unwrap_or(1);
    let needed = role_needed(f.action, stage);
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
        ru = esc(&urlencode(view["reference"].as_str().unwrap_or(""))),
        action = f.action,
        csrf = esc(&who.csrf),
        version = view["version"].as_u64().unwrap_or(0),
        key = random_hex(16),
        fields = f.fields,
        when = when_field(&id, attempt),
        button = esc(f.button),
    )
}

fn field(
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

fn copy_html(c: &Value) -> String {
    let who = match c["role"].as_str() {
        Some("representative") => "Representative",
        _ => "Resident",
    };
    let name = c["name"]
        .as_str()
        .map(|n| format!(" ({})", esc(n)))
        .unwrap_or_default();
    let how = if c["delivery"] == "email" {
        let to = esc(c["email"].as_str().unwrap_or(""));
        if c["email_sent"] == true {
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

fn letters_section(view: &Value) -> String {
    let mut out = String::from("<h2 class=\"heading-l\" id=\"letters\">Letters</h2>");
    let letters = view["letters"].as_array().cloned().unwrap_or_default();
    if letters.is_empty() {
        out.push_str("<p>No letters yet. Letters are written when the complaint is acknowledged, extended, answered or refused.</p>");
        return out;
    }
    out.push_str(
        "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"letters\" tabindex=\"0\">\
         <table class=\"table\"><thead><tr><th scope=\"col\">Letter</th><th scope=\"col\">Dated</th>\
         <th scope=\"col\">How each copy goes</th></tr></thead><tbody>",
    );
    for l in &letters {
        let copies: String = l["to"]
            .as_array()
            .into_iter()
            .flatten()
            .map(copy_html)
            .collect();
        out.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"{url}\">{n}. {subject}</a><br><span class=\"secondary\">{kind}</span></th>\
             <td class=\"nowrap\">{date}</td><td><ul class=\"list\">{copies}</ul></td></tr>",
            url = esc(l["url"].as_str().unwrap_or("")),
            n = l["number"],
            subject = esc(l["subject"].as_str().unwrap_or("")),
            kind = esc(&humanise(l["kind"].as_str().unwrap_or(""))),
            date = esc(&long_date_str(l["issued_on"].as_str().unwrap_or(""))),
        ));
    }
    out.push_str("</tbody></table></div>");
    out
}

fn status_tag(status: &str) -> String {
    match status {
        "met" => tag("Done", "tag--green"),
        "met_late" => tag("Done late", "tag--yellow"),
        "breached" => tag("Overdue", "tag--red"),
        "pending" => tag("To do", "tag--grey"),
        other => tag(&humanise(other), "tag--grey"),
    }
}

fn actions_section(who: &SignedIn, view: &Value, attempt: &Attempt) -> String {
    let mut out = String::from(
        "<h2 class=\"heading-l\" id=\"tracked-actions\">Actions promised and Ombudsman orders</h2>",
    );
    let actions = view["actions"].as_array().cloned().unwrap_or_default();
    if actions.is_empty() {
        out.push_str("<p>Nothing has been promised yet. Actions promised in a response are tracked here until they are done.</p>");
    } else {
        out.push_str(
            "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"tracked-actions\" tabindex=\"0\">\
             <table class=\"table\"><thead><tr><th scope=\"col\">Action</th><th scope=\"col\">Owner</th>\
             <th scope=\"col\">Due</th><th scope=\"col\">Where it stands</th></tr></thead><tbody>",
        );
        for a in &actions {
            let from = if a["source"] == "ombudsman_order" {
                "Ombudsman order".to_string()
            } else {
                format!("Promised at Stage {}", a["response_stage"])
            };
            let done = if a["completed"].is_object() {
                format!(
                    "<br><span class=\"secondary\">{} by {}: {}</span>",
                    esc(&london_datetime_str(
                        a["completed"]["at"].as_str().unwrap_or("")
                    )),
                    esc(a["completed"]["by"].as_str().unwrap_or("")),
                    esc(a["completed"]["note"].as_str().unwrap_or(""))
                )
            } else {
                String::new()
            };
            out.push_str(&format!(
                "<tr><th scope=\"row\">{n}. {d}<br><span class=\"secondary\">{from}</span></th><td>{owner}</td>\
                 <td class=\"nowrap\">{due}</td><td>{status}{done}</td></tr>",
                n = a["number"],
                d = esc(a["description"].as_str().unwrap_or("")),
                from = esc(&from),
                owner = esc(a["owner"].as_str().unwrap_or("")),
                due = esc(&long_date_str(a["due"].as_str().unwrap_or(""))),
                status = status_tag(a["status"].as_str().unwrap_or("")),
            ));
        }
        out.push_str("</tbody></table></div>");
        for a in actions.iter().filter(|a| a["completed"].is_null()) {
            let Some(n) = a["number"].as_u64().and_then(|n| u16::try_from(n).ok()) else {
                continue;
            };
            let fid = form_id("complete", Some(n));
            let title = format!("Mark action {n} as done");
            out.push_str(&form(
                who,
                view,
                attempt,
                Form {
                    action: "complete",
                    item: Some(n),
                    title: &title,
                    fields: field(
                        attempt,
                        &fid,
                        "note",
                        "What was done",
                        "Kept as evidence: what was done, and how the resident was told.",
                        "",
                        Control::TextArea(3),
                    ),
                    button: "Mark as done",
                },
            ));
        }
    }
    let determination = view["ombudsman"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| o["event"] == "determination");
    if determination {
        let mut fields = field(
            attempt,
            "order",
            "description",
            "What the Ombudsman ordered",
            "",
            "",
            Control::TextArea(3),
        );
        fields.push_str(&field(
            attempt,
            "order",
            "due",
            "Due date",
            "",
            "",
            Control::Input("date"),
        ));
        fields.push_str(&field(
            attempt,
            "order",
            "owner",
            "Owner's email",
            "Who sees it done. Alerts go to them until it is marked done.",
            "",
            Control::Input("email"),
        ));
        out.push_str(&form(
            who,
            view,
            attempt,
            Form {
                action: "order",
                item: None,
                title: "Record an order of the Ombudsman's determination",
                fields,
                button: "Record the order",
            },
        ));
    }
    out
}

fn compensation_section(who: &SignedIn, view: &Value, attempt: &Attempt) -> String {
    let mut out = String::from("<h2 class=\"heading-l\" id=\"compensation\">Compensation</h2>");
    let offers = view["compensation"].as_array().cloned().unwrap_or_default();
    if offers.is_empty() {
        out.push_str("<p>No compensation has been offered.</p>");
    } else {
        out.push_str(
            "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"compensation\" tabindex=\"0\">\
             <table class=\"table\"><thead><tr><th scope=\"col\">Offer</th><th scope=\"col\">Amount</th>\
             <th scope=\"col\">Where it stands</th></tr></thead><tbody>",
        );
        for o in &offers {
            let state = o["state"].as_str().unwrap_or("");
            let mut where_ = match state {
                "paid" => tag("Paid", "tag--green"),
                "accepted" => tag("Accepted, not paid yet", "tag--yellow"),
                "declined" => tag("Declined", "tag--grey"),
                _ => tag("Offered, no answer yet", "tag--grey"),
            };
            if let Some(r) = o["payment_reference"].as_str() {
                where_.push_str(&format!(
                    " <span class=\"secondary\">Payment {}</span>",
                    esc(r)
                ));
            }
            out.push_str(&format!(
                "<tr><th scope=\"row\">{n}. {reason}<br><span class=\"secondary\">Offered {at}</span></th>\
                 <td>{amount}</td><td>{where_}</td></tr>",
                n = o["number"],
                reason = esc(o["reason"].as_str().unwrap_or("")),
                at = esc(&london_datetime_str(o["offered_at"].as_str().unwrap_or(""))),
                amount = esc(o["amount"].as_str().unwrap_or("")),
            ));
        }
        out.push_str("</tbody></table></div>");
    }
    for o in &offers {
        let Some(n) = o["number"].as_u64().and_then(|n| u16::try_from(n).ok()) else {
            continue;
        };
        match o["state"].as_str() {
            Some("offered") => {
                let fid = form_id("answer", Some(n));
                let (i, val) = (
                    format!("{fid}-accepted"),
                    value(attempt, &fid, "accepted", ""),
                );
                let title = format!("Record the resident's answer to offer {n}");
                out.push_str(&form(
                    who,
                    view,
                    attempt,
                    Form {
                        action: "answer",
                        item: Some(n),
                        title: &title,
                        fields: Radios {
                            id: &i,
                            name: "accepted",
                            legend: "The resident's answer",
                            hint: "",
                            options: &[("true", "Accepted"), ("false", "Declined")],
                            selected: Some(val.as_str()).filter(|s| !s.is_empty()),
                            error: attempt.error(&i),
                        }
                        .render(),
                        button: "Record the answer",
                    },
                ));
            }
            Some("accepted") => {
                let fid = form_id("pay", Some(n));
                let title = format!("Record the payment of offer {n}");
                out.push_str(&form(
                    who,
                    view,
                    attempt,
                    Form {
                        action: "pay",
                        item: Some(n),
                        title: &title,
                        fields: field(
                            attempt,
                            &fid,
                            "payment_reference",
                            "Payment reference (optional)",
                            "The finance system's reference.",
                            "",
                            Control::Input("text"),
                        ),
                        button: "Record the payment",
                    },
                ));
            }
            _ => {}
        }
    }
    let mut fields = field(
        attempt,
        "compensation",
        "amount",
        "Amount in pounds",
        "For example, 50 or 125.50.",
        "",
        Control::Input("text"),
    );
    fields.push_str(&field(
        attempt,
        "compensation",
        "reason",
        "What it is for",
        "",
        "",
        Control::TextArea(3),
    ));
    out.push_str(&form(
        who,
        view,
        attempt,
        Form {
            action: "compensation",
            item: None,
            title: "Offer compensation",
            fields,
            button: "Record the offer",
        },
    ));
    out
}

fn needs_section(who: &SignedIn, view: &Value, attempt: &Attempt) -> String {
    let mut out = String::from(
        "<h2 class=\"heading-l\" id=\"needs\">Support needs and contact preferences</h2>",
    );
    let needs = &view["needs"];
    let contact = &view["contact"];
    let mut rows: Vec<(&str, String)> = Vec::new();
    if needs.is_object() {
        if let Some(v) = needs["vulnerabilities"].as_str() {
            rows.push((
                "Circumstances",
                format!("<p class=\"pre-wrap\">{}</p>", esc(v)),
            ));
        }
        rows.push((
            "Adjustments agreed",
            format!(
                "<p class=\"pre-wrap\">{}</p>",
                esc(needs["adjustments"].as_str().unwrap_or(""))
            ),
        ));
        rows.push((
            "Review with the resident by",
            esc(&long_date_str(needs["review_on"].as_str().unwrap_or(""))),
        ));
    } else {
        rows.push((
            "Support needs",
            "None recorded. Record them only with the resident's consent.".into(),
        ));
    }
    rows.push((
        "Letters go by",
        esc(&humanise(contact["method"].as_str().unwrap_or("email"))),
    ));
    rows.push((
        "Format",
        esc(&humanise(contact["format"].as_str().unwrap_or("standard"))),
    ));
    if let Some(l) = contact["language"].as_str() {
        rows.push(("Language", esc(l)));
    }
    out.push_str(&summary_list(&rows));

    let s = |k: &str| needs[k].as_str().unwrap_or("").to_string();
    let mut fields = field(
        attempt,
        "needs",
        "vulnerabilities",
        "The resident's circumstances (optional)",
        "What they told us, in their words where possible.",
        &s("vulnerabilities"),
        Control::TextArea(3),
    );
    fields.push_str(&field(
        attempt,
        "needs",
        "adjustments",
        "Adjustments agreed",
        "For example, call before visiting, or read letters over the phone. Write \"none\" if none.",
        &s("adjustments"),
        Control::TextArea(3),
    ));
    fields.push_str(&field(
        attempt,
        "needs",
        "review_on",
        "Review by",
        "When to check these with the resident again.",
        &s("review_on"),
        Control::Input("date"),
    ));
    let consent = if attempt.action == "needs" {
        get(&attempt.fields, "consent") == Some("true")
    } else {
        false
    };
    fields.push_str(&checkbox(
        "needs",
        "consent",
        "The resident agreed to us recording this",
        consent,
        attempt.error("needs-consent"),
    ));
    out.push_str(&form(
        who,
        view,
        attempt,
        Form {
            action: "needs",
            item: None,
            title: if needs.is_object() {
                "Review the support needs"
            } else {
                "Record support needs"
            },
            fields,
            button: "Save the support needs",
        },
    ));

    let method = value(
        attempt,
        "contact",
        "method",
        contact["method"].as_str().unwrap_or("email"),
    );
    let format = value(
        attempt,
        "contact",
        "format",
        contact["format"].as_str().unwrap_or("standard"),
    );
    let mut fields = Radios {
        id: "contact-method",
        name: "method",
        legend: "How letters reach the resident",
        hint: "Email needs the resident's email address on the complaint.",
        options: &[
            ("email", "By email (posted if there is no email address)"),
            ("post", "By post only"),
            ("phone", "By phone, with letters kept on the case"),
        ],
        selected: Some(method.as_str()).filter(|s| !s.is_empty()),
        error: attempt.error("contact-method"),
    }
    .render();
    fields.push_str(
        &Radios {
            id: "contact-format",
            name: "format",
            legend: "Format",
            hint: "",
            options: &[
                ("standard", "Standard print"),
                ("large_print", "Large print"),
                ("braille", "Braille"),
                ("easy_read", "Easy read"),
            ],
            selected: Some(format.as_str()).filter(|s| !s.is_empty()),
            error: attempt.error("contact-format"),
        }
        .render(),
    );
    fields.push_str(&field(
        attempt,
        "contact",
        "language",
        "Language other than English (optional)",
        "Each letter will be flagged for translation.",
        contact["language"].as_str().unwrap_or(""),
        Control::Input("text"),
    ));
    out.push_str(&form(
        who,
        view,
        attempt,
        Form {
            action: "contact",
            item: None,
            title: "Change the contact preferences",
            fields,
            button: "Save the contact preferences",
        },
    ));
    out
}

fn representative_section(who: &SignedIn, view: &Value, attempt: &Attempt) -> String {
    let mut out = String::from("<h2 class=\"heading-l\" id=\"representative\">Representative</h2>");
    let rep = &view["representative"];
    let s = |k: &str| rep[k].as_str().unwrap_or("").to_string();
    if rep.is_object() {
        let mut rows: Vec<(&str, String)> = vec![("Name", esc(&s("name")))];
        if !s("relationship").is_empty() {
            rows.push(("Relationship", esc(&s("relationship"))));
        }
        if !s("email").is_empty() {
            rows.push(("Email", esc(&s("email"))));
        }
        if !s("address").is_empty() {
            rows.push((
                "Address",
                format!("<p class=\"pre-wrap\">{}</p>", esc(&s("address"))),
            ));
        }
        rows.push((
            "Copies of letters",
            if rep["authorised_copies"] == true {
                "Yes: the resident authorised copies".into()
            } else {
                "No".into()
            },
        ));
        out.push_str(&summary_list(&rows));
    } else {
        out.push_str("<p>No representative.</p>");
    }
    let mut fields = String::new();
    for (name, label, control) in [
        ("name", "Name", Control::Input("text")),
        (
            "relationship",
            "Relationship to the resident (optional)",
            Control::Input("text"),
        ),
        ("email", "Email (optional)", Control::Input("email")),
        ("address", "Postal address (optional)", Control::TextArea(3)),
    ] {
        fields.push_str(&field(
            attempt,
            "representative",
            name,
            label,
            "",
            &s(name),
            control,
        ));
    }
    let posted = attempt.action == "representative";
    let authorised = if posted {
        get(&attempt.fields, "authorised_copies") == Some("true")
    } else {
        rep["authorised_copies"] == true
    };
    fields.push_str(&checkbox(
        "representative",
        "authorised_copies",
        "The resident authorised us to send them copies of letters",
        authorised,
        None,
    ));
    if rep.is_object() {
        fields.push_str(&checkbox(
            "representative",
            "remove",
            "Remove the representative instead",
            posted && get(&attempt.fields, "remove") == Some("true"),
            attempt.error("representative-remove"),
        ));
    }
    out.push_str(&form(
        who,
        view,
        attempt,
        Form {
            action: "representative",
            item: None,
            title: if rep.is_object() {
                "Change the representative"
            } else {
                "Add a representative"
            },
            fields,
            button: "Save the representative",
        },
    ));
    out
}

fn handling_section(who: &SignedIn, view: &Value, attempt: &Attempt) -> String {
    let mut out =
        String::from("<h2 class=\"heading-l\" id=\"handling\">Complaint points and handler</h2>");
    let stages = view["stages"].as_array().cloned().unwrap_or_default();
    let mut items = String::new();
    for s in &stages {
        let n = &s["stage"];
        for r in s["point_revisions"].as_array().into_iter().flatten() {
            let before: Vec<String> = r["before"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(esc))
                .collect();
            items.push_str(&format!(
                "<li>Stage {n} points revised {at} by {by}: {reason}<br><span class=\"secondary\">Before: {before}</span></li>",
                at = esc(&london_datetime_str(r["at"].as_str().unwrap_or(""))),
                by = esc(r["by"].as_str().unwrap_or("")),
                reason = esc(r["reason"].as_str().unwrap_or("")),
                before = before.join("; "),
            ));
        }
        for r in s["reassignments"].as_array().into_iter().flatten() {
            items.push_str(&format!(
                "<li>Stage {n} handler changed from {from} to {to} on {at} by {by}: {reason}</li>",
                from = esc(r["from"].as_str().unwrap_or("")),
                to = esc(r["to"].as_str().unwrap_or("")),
                at = esc(&london_datetime_str(r["at"].as_str().unwrap_or(""))),
                by = esc(r["by"].as_str().unwrap_or("")),
                reason = esc(r["reason"].as_str().unwrap_or("")),
            ));
        }
    }
    if items.is_empty() {
        out.push_str("<p>The points and the handler have not changed since acknowledgement.</p>");
    } else {
        out.push_str(&format!("<ul class=\"list\">{items}</ul>"));
    }
    let status = view["status"].as_str().unwrap_or("");
    let current = stages.last().cloned().unwrap_or(Value::Null);
    let open = status != "withdrawn"
        && status != "refused"
        && !current["acknowledged_at"].is_null()
        && current["responded_at"].is_null();
    if !open {
        out.push_str("<p class=\"secondary\">The points and the handler can be changed between a stage's acknowledgement and its response.</p>");
        return out;
    }
    let points: Vec<&str> = current["complaint_points"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str())
        .collect();
    let stage = view["stage"].as_u64().unwrap_or(1);
    let mut fields = field(
        attempt,
        "points",
        "complaint_points",
        "Complaint points",
        "One point on each line, as now agreed with the resident. The points before are kept.",
        &points.join("\n"),
        Control::TextArea(4),
    );
    fields.push_str(&field(
        attempt,
        "points",
        "reason",
        "Why the points changed",
        "",
        "",
        Control::TextArea(2),
    ));
    let title = format!("Revise the Stage {stage} complaint points");
    out.push_str(&form(
        who,
        view,
        attempt,
        Form {
            action: "points",
            item: None,
            title: &title,
            fields,
            button: "Revise the points",
        },
    ));
    let mut fields = field(
        attempt,
        "reassign",
        "handler",
        if stage <= 1 {
            "New Investigating Manager's email"
        } else {
            "New reviewer's email"
        },
        "",
        "",
        Control::Input("email"),
    );
    fields.push_str(&field(
        attempt,
        "reassign",
        "reason",
        "Why the handler changes",
        "",
        "",
        Control::TextArea(2),
    ));
    let title = format!("Change the Stage {stage} handler");
    out.push_str(&form(
        who,
        view,
        attempt,
        Form {
            action: "reassign",
            item: None,
            title: &title,
            fields,
            button: "Change the handler",
        },
    ));
    out
}

/// The case-file sections of the case page.
pub(super) fn sections(who: &SignedIn, view: &Value, attempt: &Attempt) -> String {
    let mut out = letters_section(view);
    out.push_str(&actions_section(who, view, attempt));
    out.push_str(&compensation_section(who, view, attempt));
    out.push_str(&handling_section(who, view, attempt));
    out.push_str(&needs_section(who, view, attempt));
    out.push_str(&representative_section(who, view, attempt));
    out
}

/// The link to the evidence pack, for the roles that may open it.
pub(super) fn evidence_link(who: &SignedIn, reference: &str) -> String {
    if matches!(who.staff.role, Role::SeniorManager | Role::Auditor) {
        format!(
            "<p><a href=\"/staff/complaints/{}/evidence\">Evidence pack</a> \
             <span class=\"secondary\">(the whole case file for the Housing Ombudsman)</span></p>",
            esc(&urlencode(reference))
        )
    } else {
        String::new()
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
