//! The public complaint form, its summary, and the message pages.

use super::*;
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
}

/// The order fields appear in on the form, so the error summary follows the page.
pub(super) const FORM_ORDER: [&str; 10] = [
    "description",
    "desired_outcome",
    "category",
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

/// The complaint form, with the error summary at the top when there are errors.
pub fn form_page(page: &FormPage) -> String {
    let v = &page.values;
    let e = &page.errors;
    let val = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut body = String::from("<div class=\"grid-row\"><div class=\"column-two-thirds\">");
    body.push_str(&error_summary(&summary_items(e, &FORM_ORDER, "")));
    body.push_str(
        "<h1 class=\"heading-xl\">Make a complaint</h1>\
         <p class=\"lead\">Tell us what went wrong with our service, our staff or a contractor working for us. \
         You do not need to use the word complaint.</p>",
    );
    body.push_str(&what_happens_next(page));
    body.push_str(&format!(
        "<form method=\"post\" action=\"/complaints\" novalidate>\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
         <input type=\"hidden\" name=\"idempotency_key\" value=\"{}\">\
         <h2 class=\"heading-l\">Your complaint</h2>",
        esc(&page.csrf),
        esc(&page.idempotency_key)
    ));
    let description = val(&v.description);
    body.push_str(
        &Field {
            hint: "Tell us what happened, when it happened and who was involved. You can write up to 10,000 characters.",
            value: &description,
            error: e.message_for("description"),
            control: Control::TextArea(8),
            ..Field::new("description", "description", "What is your complaint about?")
        }
        .render(),
    );
    let desired = val(&v.desired_outcome);
    body.push_str(
        &Field {
            hint:
                "For example, a repair done by a date, an apology or a change to how we do things.",
            value: &desired,
            error: e.message_for("desired_outcome"),
            control: Control::TextArea(4),
            ..Field::new(
                "desired_outcome",
                "desired_outcome",
                "What would you like us to do to put things right? (optional)",
            )
        }
        .render(),
    );
    let mut options = vec![(String::new(), "Choose a topic".to_string())];
    options.extend(
        page.categories
            .iter()
            .map(|c| (c.clone(), category_label(c))),
    );
    let category = val(&v.category);
    body.push_str(
        &Field {
            value: &category,
            error: e.message_for("category"),
            control: Control::Select(&options),
            ..Field::new(
                "category",
                "category",
                "Which topic is closest to your complaint? (optional)",
            )
        }
        .render(),
    );
    body.push_str("<h2 class=\"heading-l\">Your details</h2>");
    let name = val(&v.name);
    body.push_str(
        &Field {
            value: &name,
            error: e.message_for("name"),
            autocomplete: "name",
            attrs: "spellcheck=\"false\"",
            ..Field::new("name", "name", "Your full name (optional)")
        }
        .render(),
    );
    body.push_str(
        "<fieldset class=\"fieldset\" aria-describedby=\"contact-hint\">\
         <legend class=\"fieldset__legend fieldset__legend--m\">How can we contact you?</legend>\
         <div class=\"hint\" id=\"contact-hint\">Give us at least one: an email address, a phone number or a postal address.</div>",
    );
    let email = val(&v.email);
    body.push_str(
        &Field {
            hint: "We will use this to send you updates about your complaint.",
            value: &email,
            error: e.message_for("email"),
            control: Control::Input("email"),
            autocomplete: "email",
            attrs: "spellcheck=\"false\"",
            ..Field::new("email", "email", "Email address")
        }
        .render(),
    );
    let phone = val(&v.phone);
    body.push_str(
        &Field {
            hint: "For example, 01632 960 001 or 07700 900 982",
            value: &phone,
            error: e.message_for("phone"),
            control: Control::Input("tel"),
            autocomplete: "tel",
            class: "input--medium",
            ..Field::new("phone", "phone", "Phone number")
        }
        .render(),
    );
    let address = val(&v.address);
    body.push_str(
        &Field {
            value: &address,
            error: e.message_for("address"),
            control: Control::TextArea(3),
            autocomplete: "street-address",
            ..Field::new("address", "address", "Postal address")
        }
        .render(),
    );
    let postcode = val(&v.postcode);
    body.push_str(
        &Field {
            value: &postcode,
            error: e.message_for("postcode"),
            autocomplete: "postal-code",
            class: "input--short",
            ..Field::new("postcode", "postcode", "Postcode")
        }
        .render(),
    );
    body.push_str("</fieldset>");
    let tenancy = val(&v.tenancy_reference);
    body.push_str(
        &Field {
            hint: "You can find this on your rent statement or tenancy agreement.",
            value: &tenancy,
            error: e.message_for("tenancy_reference"),
            class: "input--medium",
            attrs: "spellcheck=\"false\"",
            ..Field::new(
                "tenancy_reference",
                "tenancy_reference",
                "Tenancy reference (optional)",
            )
        }
        .render(),
    );
    body.push_str(
        &Radios {
            id: "tenure",
            name: "tenure",
            legend: "Do you rent your home or part-own it? (optional)",
            hint: "",
            options: &[
                ("low_cost_rental", "I rent my home"),
                (
                    "low_cost_home_ownership",
                    "I part-own it (shared ownership)",
                ),
            ],
            selected: v.tenure.as_deref(),
            error: e.message_for("tenure"),
        }
        .render(),
    );
    body.push_str("<button class=\"button\" type=\"submit\">Send complaint</button></form>");
    body.push_str(&get_help(&page.landlord));
    body.push_str("</div></div>");
    layout(
        if page.errors.is_empty() {
            "Make a complaint"
        } else {
            "Error: Make a complaint"
        },
        &page.landlord,
        &Header::Public,
        &body,
    )
}

pub(super) fn what_happens_next(page: &FormPage) -> String {
    let mut s = String::from(
        "<div class=\"inset\"><h2 class=\"heading-m\">What happens next</h2>\
         <p>If you send your complaint today, we will:</p><ul class=\"list\">",
    );
    if let Some((d, n)) = page.acknowledge_by {
        s.push_str(&format!(
            "<li>acknowledge it by <strong>{}</strong> (within {n} working days)</li>",
            long_date(d)
        ));
    }
    if let Some((d, n)) = page.respond_by {
        s.push_str(&format!(
            "<li>send you our full response by <strong>{}</strong> (within {n} working days)</li>",
            long_date(d)
        ));
    }
    s.push_str(
        "</ul><p>Working days are Monday to Friday, not counting bank holidays or days our offices are closed. \
         If we need more time, we will write to tell you why and when you will hear from us.</p></div>",
    );
    s
}

pub(super) fn get_help(landlord: &str) -> String {
    format!(
        "<h2 class=\"heading-l\">Get help</h2>\
         <p>If you need help making a complaint, or would rather complain another way, contact {l} by phone, by letter or at any of our offices. \
         Someone else can complain for you, such as a family member, an advocate, a councillor or your MP.</p>\
         <p>You can ask the Housing Ombudsman for free, independent advice at any time.</p>{o}",
        l = esc(landlord),
        o = ombudsman_details(),
    )
}

/// The Housing Ombudsman's contact details, one line each.
pub(crate) fn ombudsman_details() -> String {
    let mut s = String::from("<address class=\"inset\">");
    for (i, line) in HOUSING_OMBUDSMAN.split("; ").enumerate() {
        if i > 0 {
            s.push_str("<br>");
        }
        let line = line.trim();
        if line.starts_with("www.") {
            s.push_str(&format!(
                "<a href=\"https://{0}\">{0}</a>",
                esc(line.trim_end_matches('.'))
            ));
        } else {
            s.push_str(&esc(&humanise_first(line)));
        }
    }
    s.push_str("</address>");
    s
}

pub(super) fn humanise_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A simple page with a heading, a message and a way on.
pub fn message_page(title: &str, message: &str) -> String {
    message_page_for(
        title,
        message,
        "P3 Housing",
        "/",
        "Go to the complaint form",
    )
}

/// A simple page with a heading, a message and a link, for a landlord.
pub(crate) fn message_page_for(
    title: &str,
    message: &str,
    landlord: &str,
    link: &str,
    link_text: &str,
) -> String {
    layout(
        title,
        landlord,
        &Header::Public,
        &format!(
            "<div class=\"grid-row\"><div class=\"column-two-thirds\"><h1 class=\"heading-xl\">{}</h1><p>{}</p><p><a href=\"{}\">{}</a></p></div></div>",
            esc(title),
            esc(message),
            esc(link),
            esc(link_text)
        ),
    )
}
