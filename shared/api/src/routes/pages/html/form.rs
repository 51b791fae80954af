//! The public complaint form, its error summary, and the message pages
//! (`templates/resident/form.html`, `message.html`).

use askama::Template;
use axum::response::Response;
use http::StatusCode;

use super::*;
use crate::routes::pages::layout::{respond, Chrome};
/// What the complaint form shows.
#[derive(Debug, Clone, Default)]
pub struct FormPage {
    /// Double-submit CSRF token (also in a cookie).
    pub csrf: String,
    /// Hidden idempotency key, so a double click makes one complaint.
    pub idempotency_key: String,
    /// Values to keep after an error.
    pub values: ComplaintForm,
    /// Fields at fault.
    pub errors: ValidationErrors,
    /// Categories to choose from.
    pub categories: Vec<String>,
    /// Landlord name.
    pub landlord: String,
    /// When a complaint sent today would be acknowledged, and in how many working days.
    pub acknowledge_by: Option<(NaiveDate, u32)>,
    /// When a complaint sent today would be answered in full, and in how many working days.
    pub respond_by: Option<(NaiveDate, u32)>,
    /// The optional questions' answers to keep after an error.
    pub asks: p3_domain::resident_asks::AsksForm,
    /// The files added on the files step (or sent before an error), carried as slots.
    pub files: Vec<CarriedFile>,
}

/// The order the form's own fields appear in (the optional questions follow them), so the
/// error summary follows the page.
pub(super) const FORM_ORDER: [&str; 11] = [
    "description",
    "desired_outcome",
    "category",
    "attachments",
    "name",
    "email",
    "phone",
    "address",
    "postcode",
    "tenancy_reference",
    "tenure",
];

/// The error summary's items for validation errors, in page order, linked to `#{prefix}{field}`.
pub(crate) fn summary_items(
    errors: &ValidationErrors,
    order: &[&str],
    prefix: &str,
) -> Vec<(String, String)> {
    let mut items: Vec<(usize, String, String)> = errors
        .errors
        .iter()
        .map(|e| {
            let base = e.field.split(['[', '.']).next().unwrap_or(&e.field);
            let pos = order.iter().position(|f| *f == base).unwrap_or(order.len());
            (pos, format!("#{prefix}{base}"), e.message.clone())
        })
        .collect();
    items.sort_by_key(|(pos, _, _)| *pos);
    items.into_iter().map(|(_, h, m)| (h, m)).collect()
}

/// The kinds of tenure the form asks about: (value, label).
const TENURES: [(&str, &str); 2] = [
    ("low_cost_rental", "I rent my home"),
    (
        "low_cost_home_ownership",
        "I part-own it (shared ownership)",
    ),
];

/// The topics to choose from: (value, label), the empty choice first.
pub(crate) fn category_options(categories: &[String]) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "Choose a topic".to_string())];
    options.extend(categories.iter().map(|c| (c.clone(), category_label(c))));
    options
}

/// The complaint form (`templates/resident/form.html`), with the error summary at the top
/// when there are errors.
#[derive(Template)]
#[template(path = "resident/form.html")]
pub(super) struct FormTemplate<'a> {
    chrome: Chrome<'a>,
    page: &'a FormPage,
    /// (element id with its #, message) for the error summary, in page order.
    errors: Vec<(String, String)>,
    description: Field<'a>,
    desired_outcome: Field<'a>,
    category: Field<'a>,
    attachments: Field<'a>,
    name: Field<'a>,
    email: Field<'a>,
    phone: Field<'a>,
    address: Field<'a>,
    postcode: Field<'a>,
    tenancy_reference: Field<'a>,
    tenure: Radios<'a>,
    /// The optional questions (`templates/resident/asks.html`).
    asks: AsksFields<'a>,
}

impl<'a> FormTemplate<'a> {
    /// The form of `page`, its topics from `category_options`.
    pub(super) fn new(page: &'a FormPage, category_options: &'a [(String, String)]) -> Self {
        let v = &page.values;
        let e = &page.errors;
        let value = |o: &'a Option<String>| o.as_deref().unwrap_or("");
        FormTemplate {
            chrome: Chrome::new(
                if e.is_empty() {
                    "Make a complaint"
                } else {
                    "Error: Make a complaint"
                },
                &page.landlord,
                &Header::Public,
            ),
            page,
            errors: summary_items(
                e,
                &[FORM_ORDER.as_slice(), ASKS_ORDER.as_slice()].concat(),
                "",
            ),
            description: Field {
                hint: "Tell us what happened, when it happened and who was involved. You can write up to 10,000 characters.",
                value: value(&v.description),
                error: e.message_for("description"),
                control: Control::TextArea(8),
                ..Field::new("description", "description", "What is your complaint about?")
            },
            desired_outcome: Field {
                hint: "For example, a repair done by a date, an apology or a change to how we do things.",
                value: value(&v.desired_outcome),
                error: e.message_for("desired_outcome"),
                control: Control::TextArea(4),
                ..Field::new(
                    "desired_outcome",
                    "desired_outcome",
                    "What would you like us to do to put things right? (optional)",
                )
            },
            category: Field {
                value: value(&v.category),
                error: e.message_for("category"),
                control: Control::Select(category_options),
                ..Field::new(
                    "category",
                    "category",
                    "Which topic is closest to your complaint? (optional)",
                )
            },
            attachments: super::resident::files_field(e.message_for("attachments")),
            name: Field {
                value: value(&v.name),
                error: e.message_for("name"),
                autocomplete: "name",
                attrs: "spellcheck=\"false\"",
                ..Field::new("name", "name", "Your full name (optional)")
            },
            email: Field {
                hint: "We will use this to send you updates about your complaint.",
                value: value(&v.email),
                error: e.message_for("email"),
                control: Control::Input("email"),
                autocomplete: "email",
                attrs: "spellcheck=\"false\"",
                ..Field::new("email", "email", "Email address")
            },
            phone: Field {
                hint: "For example, 01632 960 001 or 07700 900 982",
                value: value(&v.phone),
                error: e.message_for("phone"),
                control: Control::Input("tel"),
                autocomplete: "tel",
                class: "input--medium",
                ..Field::new("phone", "phone", "Phone number")
            },
            address: Field {
                value: value(&v.address),
                error: e.message_for("address"),
                control: Control::TextArea(3),
                autocomplete: "street-address",
                ..Field::new("address", "address", "Postal address")
            },
            postcode: Field {
                value: value(&v.postcode),
                error: e.message_for("postcode"),
                autocomplete: "postal-code",
                class: "input--short",
                ..Field::new("postcode", "postcode", "Postcode")
            },
            tenancy_reference: Field {
                hint: "You can find this on your rent statement or tenancy agreement.",
                value: value(&v.tenancy_reference),
                error: e.message_for("tenancy_reference"),
                class: "input--medium",
                attrs: "spellcheck=\"false\"",
                ..Field::new(
                    "tenancy_reference",
                    "tenancy_reference",
                    "Tenancy reference (optional)",
                )
            },
            tenure: Radios {
                id: "tenure",
                name: "tenure",
                legend: "Do you rent your home or part-own it? (optional)",
                hint: "",
                options: &TENURES,
                selected: v.tenure.as_deref(),
                error: e.message_for("tenure"),
            },
            asks: AsksFields::new(&page.asks, e),
        }
    }
}

impl FormTemplate<'_> {
    /// The files step for this form, carrying the files it already has.
    fn files_step(&self) -> String {
        with_slots(
            "/complaints/files",
            self.page.files.iter().map(|f| f.slot.as_str()),
        )
    }

    /// Whether to offer the files step: not once the resident has typed (only a form sent
    /// back with its errors has), which following the link would lose.
    fn offer_files_step(&self) -> bool {
        self.page.errors.is_empty()
    }
}

/// The complaint form as an answer with `status`.
pub(crate) fn form_response(status: StatusCode, page: &FormPage) -> Response {
    let options = category_options(&page.categories);
    respond(status, &FormTemplate::new(page, &options))
}

/// One line of the Housing Ombudsman's contact details.
pub(crate) enum OmbudsmanLine {
    /// Text, as it is written.
    Text(String),
    /// Its website, linked to.
    Web(String),
}

/// The Housing Ombudsman's contact details, one line each (`resident/parts.html`).
pub(crate) fn ombudsman_lines() -> Vec<OmbudsmanLine> {
    HOUSING_OMBUDSMAN
        .split("; ")
        .map(str::trim)
        .map(|line| {
            if line.starts_with("www.") {
                OmbudsmanLine::Web(line.trim_end_matches('.').to_string())
            } else {
                OmbudsmanLine::Text(humanise_first(line))
            }
        })
        .collect()
}

fn humanise_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A heading, a message and a way on (`templates/resident/message.html`).
#[derive(Template)]
#[template(path = "resident/message.html")]
struct MessagePage<'a> {
    /// Its title is the heading.
    chrome: Chrome<'a>,
    message: &'a str,
    link: &'a str,
    link_text: &'a str,
}

/// A page with a heading, a message and a link, for a landlord, as an answer with `status`.
pub fn message_response(
    status: StatusCode,
    title: &str,
    message: &str,
    landlord: &str,
    link: &str,
    link_text: &str,
) -> Response {
    respond(
        status,
        &MessagePage {
            chrome: Chrome::new(title, landlord, &Header::Public),
            message,
            link,
            link_text,
        },
    )
}
