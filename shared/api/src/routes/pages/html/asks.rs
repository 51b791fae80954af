//! The public form's optional questions (`templates/resident/asks.html`): someone complaining
//! for the resident with their consent, the adjustments they need, and how and in what format
//! they want to hear from us. Kept apart from the form's own fields so each part of the form
//! changes on its own.

use p3_domain::resident_asks::AsksForm;

use super::*;

/// The questions' field names in page order (they follow the form's own fields).
pub(super) const ASKS_ORDER: [&str; 9] = [
    "representative_name",
    "representative_relationship",
    "representative_email",
    "representative_address",
    "representative_consent",
    "adjustments",
    "contact_method",
    "letter_format",
    "language",
];

/// How the resident may want to hear from us: (value, label).
const METHODS: [(&str, &str); 3] = [
    ("email", "By email"),
    ("post", "By post"),
    ("phone", "By phone"),
];

/// The formats our letters come in: (value, label).
const FORMATS: [(&str, &str); 4] = [
    ("standard", "Standard print"),
    ("large_print", "Large print"),
    ("braille", "Braille"),
    ("easy_read", "Easy read"),
];

/// The questions as the template draws them, with the values kept and their errors.
pub(crate) struct AsksFields<'a> {
    pub representative_name: Field<'a>,
    pub representative_relationship: Field<'a>,
    pub representative_email: Field<'a>,
    pub representative_address: Field<'a>,
    /// The consent checkbox: ticked, and its error.
    pub consent: bool,
    pub consent_error: Option<&'a str>,
    pub adjustments: Field<'a>,
    pub contact_method: Radios<'a>,
    pub letter_format: Radios<'a>,
    pub language: Field<'a>,
}

impl<'a> AsksFields<'a> {
    /// The questions with `v`'s answers and `e`'s errors.
    pub(crate) fn new(v: &'a AsksForm, e: &'a ValidationErrors) -> Self {
        let value = |o: &'a Option<String>| o.as_deref().unwrap_or("");
        AsksFields {
            representative_name: Field {
                value: value(&v.representative_name),
                error: e.message_for("representative_name"),
                autocomplete: "off",
                attrs: "spellcheck=\"false\"",
                ..Field::new(
                    "representative_name",
                    "representative_name",
                    "Name of the person complaining for the resident",
                )
            },
            representative_relationship: Field {
                hint: "For example, daughter, advocate, councillor or MP.",
                value: value(&v.representative_relationship),
                error: e.message_for("representative_relationship"),
                ..Field::new(
                    "representative_relationship",
                    "representative_relationship",
                    "Their relationship to the resident (optional)",
                )
            },
            representative_email: Field {
                value: value(&v.representative_email),
                error: e.message_for("representative_email"),
                control: Control::Input("email"),
                autocomplete: "off",
                attrs: "spellcheck=\"false\"",
                ..Field::new(
                    "representative_email",
                    "representative_email",
                    "Their email, for copies of our letters (optional)",
                )
            },
            representative_address: Field {
                value: value(&v.representative_address),
                error: e.message_for("representative_address"),
                control: Control::TextArea(3),
                ..Field::new(
                    "representative_address",
                    "representative_address",
                    "Their address, for copies of our letters (optional)",
                )
            },
            consent: v.representative_consent.unwrap_or(false),
            consent_error: e.message_for("representative_consent"),
            adjustments: Field {
                hint: "For example, letters in large print, a call before we visit, or more time to reply. We record what you tell us here so that we can help you.",
                value: value(&v.adjustments),
                error: e.message_for("adjustments"),
                control: Control::TextArea(4),
                ..Field::new(
                    "adjustments",
                    "adjustments",
                    "Is there anything we can do to make this easier for you? (optional)",
                )
            },
            contact_method: Radios {
                id: "contact_method",
                name: "contact_method",
                legend: "How would you like us to contact you? (optional)",
                hint: "",
                options: &METHODS,
                selected: v.contact_method.as_deref(),
                error: e.message_for("contact_method"),
            },
            letter_format: Radios {
                id: "letter_format",
                name: "letter_format",
                legend: "What format do you need our letters in? (optional)",
                hint: "",
                options: &FORMATS,
                selected: v.letter_format.as_deref(),
                error: e.message_for("letter_format"),
            },
            language: Field {
                hint: "Tell us if you need our letters in a language other than English.",
                value: value(&v.language),
                error: e.message_for("language"),
                class: "input--medium",
                ..Field::new("language", "language", "Language (optional)")
            },
        }
    }
}
