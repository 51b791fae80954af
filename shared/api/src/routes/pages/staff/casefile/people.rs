//! The resident's support needs and representative, with their forms.

use super::*;
pub(in crate::routes::pages::staff) fn needs_section(
    who: &SignedIn,
    view: &Value,
    attempt: &Attempt,
) -> String {
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

pub(in crate::routes::pages::staff) fn representative_section(
    who: &SignedIn,
    view: &Value,
    attempt: &Attempt,
) -> String {
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
