//! A case file form's fields as the body of its JSON route.

use super::*;
/// The item a per-item form is about (an action's or an offer's number), from its hidden field.
pub(in crate::routes::pages::staff) fn item_of(
    action: &str,
    fields: &[(String, String)],
) -> Option<u16> {
    let raw = match action {
        "complete" | "move" => get(fields, "action_number"),
        "answer" | "pay" => get(fields, "offer"),
        _ => None,
    }?;
    raw.trim().parse::<u16>().ok().filter(|n| *n > 0)
}

/// True for the forms about one item.
pub(in crate::routes::pages::staff) fn per_item(action: &str) -> bool {
    matches!(action, "complete" | "answer" | "pay")
}

/// The form's id and the prefix of its elements' ids: the action, with the item's number.
pub(in crate::routes::pages::staff) fn form_id(action: &str, item: Option<u16>) -> String {
    match item {
        Some(n) if per_item(action) => format!("{action}-{n}"),
        _ => action.to_string(),
    }
}

/// Where an API field error is shown: the field's element, or the form itself.
pub(in crate::routes::pages::staff) fn element_for(form: &str, field: &str) -> String {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match base {
        "amount_pence" => format!("{form}-amount"),
        "action" | "offer" | "number" | "remove" => form.to_string(),
        "" | "(body)" => format!("{form}-at"),
        other => format!("{form}-{other}"),
    }
}

/// The role a case-file form needs (the API checks it again on every post).
pub(in crate::routes::pages::staff) fn role_needed(action: &str, stage: u64) -> Role {
    match action {
        "points" if stage <= 1 => Role::InvestigatingManager,
        "points" | "reassign" | "pay" | "order" => Role::SeniorManager,
        "complete" | "compensation" => Role::InvestigatingManager,
        _ => Role::Officer,
    }
}

/// An amount in pounds as typed (`50`, `£1,250.50`) in pence.
pub(in crate::routes::pages::staff) fn pence(v: &str) -> Option<u64> {
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

pub(in crate::routes::pages::staff) fn date(
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
pub(in crate::routes::pages::staff) fn json_body(
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
