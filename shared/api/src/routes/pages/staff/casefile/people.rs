//! The resident's support needs and representative, with their forms.

use super::*;
use crate::routes::pages::staff::case::form::{CaseForm, Choice, Ctl, Part};
use crate::routes::pages::staff::case::summary::{Cell, Row};

/// The support needs and contact preferences, with their two forms.
pub(in crate::routes::pages::staff) struct Needs {
    pub(in crate::routes::pages::staff) rows: Vec<Row>,
    pub(in crate::routes::pages::staff) forms: Vec<CaseForm>,
}

/// The representative, if any, with the form to change them.
pub(in crate::routes::pages::staff) struct Representation {
    /// Empty when there is none.
    pub(in crate::routes::pages::staff) rows: Vec<Row>,
    pub(in crate::routes::pages::staff) form: CaseForm,
}

const METHODS: [(&str, &str); 3] = [
    ("email", "By email (posted if there is no email address)"),
    ("post", "By post only"),
    ("phone", "By phone, with letters kept on the case"),
];

const FORMATS: [(&str, &str); 4] = [
    ("standard", "Standard print"),
    ("large_print", "Large print"),
    ("braille", "Braille"),
    ("easy_read", "Easy read"),
];
pub(in crate::routes::pages::staff) fn needs_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> Needs {
    let needs = view.needs.as_ref();
    let contact = view.contact;
    let mut rows: Vec<Row> = Vec::new();
    if let Some(needs) = needs {
        if let Some(v) = &needs.vulnerabilities {
            rows.push(("Circumstances", Cell::Para(v.clone())));
        }
        rows.push(("Adjustments agreed", Cell::Para(needs.adjustments.clone())));
        rows.push((
            "Review with the resident by",
            Cell::Text(long_date(needs.review_on)),
        ));
    } else {
        rows.push((
            "Support needs",
            Cell::Text("None recorded. Record them only with the resident's consent.".into()),
        ));
    }
    rows.push((
        "Letters go by",
        Cell::Text(humanise(contact.method.as_str())),
    ));
    rows.push(("Format", Cell::Text(humanise(contact.format.as_str()))));
    if let Some(l) = &contact.language {
        rows.push(("Language", Cell::Text(l.clone())));
    }

    let vulnerabilities = needs
        .and_then(|n| n.vulnerabilities.as_deref())
        .unwrap_or("");
    let adjustments = needs.map(|n| n.adjustments.as_str()).unwrap_or("");
    let review_on = needs.map(|n| n.review_on.to_string()).unwrap_or_default();
    let mut fields = vec![field(
        attempt,
        "needs",
        "vulnerabilities",
        "The resident's circumstances (optional)",
        "What they told us, in their words where possible.",
        vulnerabilities,
        Ctl::TextArea(3),
    )];
    fields.push(field(
        attempt,
        "needs",
        "adjustments",
        "Adjustments agreed",
        "For example, call before visiting, or read letters over the phone. Write \"none\" if none.",
        adjustments,
        Ctl::TextArea(3),
    ));
    fields.push(field(
        attempt,
        "needs",
        "review_on",
        "Review by",
        "When to check these with the resident again.",
        &review_on,
        Ctl::Input("date"),
    ));
    let consent = if attempt.action == "needs" {
        get(&attempt.fields, "consent") == Some("true")
    } else {
        false
    };
    fields.push(checkbox(
        "needs",
        "consent",
        "The resident agreed to us recording this",
        consent,
        attempt.error("needs-consent"),
    ));
    let mut forms = vec![form(
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
    )];

    let method = value(attempt, "contact", "method", contact.method.as_str());
    let format = value(attempt, "contact", "format", contact.format.as_str());
    let mut fields = vec![
        Part::Radios(Choice {
            id: "contact-method".into(),
            name: "method".into(),
            legend: "How letters reach the resident".into(),
            hint: "Email needs the resident's email address on the complaint.",
            options: &METHODS,
            selected: Some(method).filter(|s| !s.is_empty()),
            error: attempt.error("contact-method").map(str::to_string),
        }),
        Part::Radios(Choice {
            id: "contact-format".into(),
            name: "format".into(),
            legend: "Format".into(),
            hint: "",
            options: &FORMATS,
            selected: Some(format).filter(|s| !s.is_empty()),
            error: attempt.error("contact-format").map(str::to_string),
        }),
    ];
    fields.push(field(
        attempt,
        "contact",
        "language",
        "Language other than English (optional)",
        "Each letter will be flagged for translation.",
        contact.language.as_deref().unwrap_or(""),
        Ctl::Input("text"),
    ));
    forms.push(form(
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
    Needs { rows, forms }
}

pub(in crate::routes::pages::staff) fn representative_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> Representation {
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
    let mut rows: Vec<Row> = Vec::new();
    if let Some(r) = rep {
        rows.push(("Name", Cell::Text(s("name"))));
        if !s("relationship").is_empty() {
            rows.push(("Relationship", Cell::Text(s("relationship"))));
        }
        if !s("email").is_empty() {
            rows.push(("Email", Cell::Text(s("email"))));
        }
        if !s("address").is_empty() {
            rows.push(("Address", Cell::Para(s("address"))));
        }
        rows.push((
            "Copies of letters",
            Cell::Text(if r.authorised_copies {
                "Yes: the resident authorised copies".into()
            } else {
                "No".into()
            }),
        ));
    }
    let mut fields = Vec::new();
    for (name, label, control) in [
        ("name", "Name", Ctl::Input("text")),
        (
            "relationship",
            "Relationship to the resident (optional)",
            Ctl::Input("text"),
        ),
        ("email", "Email (optional)", Ctl::Input("email")),
        ("address", "Postal address (optional)", Ctl::TextArea(3)),
    ] {
        fields.push(field(
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
    fields.push(checkbox(
        "representative",
        "authorised_copies",
        "The resident authorised us to send them copies of letters",
        authorised,
        None,
    ));
    if rep.is_some() {
        fields.push(checkbox(
            "representative",
            "remove",
            "Remove the representative instead",
            posted && get(&attempt.fields, "remove") == Some("true"),
            attempt.error("representative-remove"),
        ));
    }
    let form = form(
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
    );
    Representation { rows, form }
}
