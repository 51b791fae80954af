//! The resident's support needs and representative, with their forms.

use super::*;
pub(in crate::routes::pages::staff) fn needs_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> String {
    let mut out = String::from(
        "<h2 class=\"heading-l\" id=\"needs\">Support needs and contact preferences</h2>",
    );
    let needs = view.needs.as_ref();
    let contact = view.contact;
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some(needs) = needs {
        if let Some(v) = &needs.vulnerabilities {
            rows.push((
                "Circumstances",
                format!("<p class=\"pre-wrap\">{}</p>", esc(v)),
            ));
        }
        rows.push((
            "Adjustments agreed",
            format!("<p class=\"pre-wrap\">{}</p>", esc(&needs.adjustments)),
        ));
        rows.push((
            "Review with the resident by",
            esc(&long_date(needs.review_on)),
        ));
    } else {
        rows.push((
            "Support needs",
            "None recorded. Record them only with the resident's consent.".into(),
        ));
    }
    rows.push(("Letters go by", esc(&humanise(contact.method.as_str()))));
    rows.push(("Format", esc(&humanise(contact.format.as_str()))));
    if let Some(l) = &contact.language {
        rows.push(("Language", esc(l)));
    }
    out.push_str(&summary_list(&rows));

    let vulnerabilities = needs
        .and_then(|n| n.vulnerabilities.as_deref())
        .unwrap_or("");
    let adjustments = needs.map(|n| n.adjustments.as_str()).unwrap_or("");
    let review_on = needs.map(|n| n.review_on.to_string()).unwrap_or_default();
    let mut fields = field(
        attempt,
        "needs",
        "vulnerabilities",
        "The resident's circumstances (optional)",
        "What they told us, in their words where possible.",
        vulnerabilities,
        Control::TextArea(3),
    );
    fields.push_str(&field(
        attempt,
        "needs",
        "adjustments",
        "Adjustments agreed",
        "For example, call before visiting, or read letters over the phone. Write \"none\" if none.",
        adjustments,
        Control::TextArea(3),
    ));
    fields.push_str(&field(
        attempt,
        "needs",
        "review_on",
        "Review by",
        "When to check these with the resident again.",
        &review_on,
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
            title: if needs.is_some() {
                "Review the support needs"
            } else {
                "Record support needs"
            },
            fields,
            button: "Save the support needs",
        },
    ));

    let method = value(attempt, "contact", "method", contact.method.as_str());
    let format = value(attempt, "contact", "format", contact.format.as_str());
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
        contact.language.as_deref().unwrap_or(""),
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
    view: &StaffCase,
    attempt: &Attempt,
) -> String {
    let mut out = String::from("<h2 class=\"heading-l\" id=\"representative\">Representative</h2>");
    let rep = view.representative.as_ref();
    let s = |k: &str| -> String {
        let r = rep;
        let v = match k {
            "name" => r.map(|r| r.name.as_str()),
            "relationship" => r.and_then(|r| r.relationship.as_deref()),
            "email" => r.and_then(|r| r.email.as_deref()),
            "address" => r.and_then(|r| r.address.as_deref()),
            _ => None,
        };
        v.unwrap_or("").to_string()
    };
    if let Some(r) = rep {
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
            if r.authorised_copies {
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
        rep.is_some_and(|r| r.authorised_copies)
    };
    fields.push_str(&checkbox(
        "representative",
        "authorised_copies",
        "The resident authorised us to send them copies of letters",
        authorised,
        None,
    ));
    if rep.is_some() {
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
            title: if rep.is_some() {
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
