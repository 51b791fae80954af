//! Server-rendered pages: plain HTML that works without JavaScript, styled only by the
//! landlord's own stylesheet (`/assets/app.css`, so the Content-Security-Policy needs no inline
//! styles), with every value a resident or a member of staff typed escaped. This module holds
//! the layout, the form components (labels, hints, the error summary pattern) and the resident
//! pages; the staff pages are in `pages`.

use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use http::{header, HeaderValue};
use p3_domain::complaint::ComplaintForm;
use p3_domain::london::{london_date, london_instant};
use p3_domain::validation::ValidationErrors;
use p3_domain::HOUSING_OMBUDSMAN;
use serde_json::Value;

/// The stylesheet, built into the binary: no build step at run time.
pub const STYLESHEET: &str = include_str!("../../../assets/app.css");

/// The landlord's icon for browser tabs (so no browser asks for `/favicon.ico`).
pub const ICON: &str = include_str!("../../../assets/icon.svg");

/// `GET /assets/icon.svg`.
pub(crate) async fn icon() -> Response {
    let mut res = ICON.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    res
}

/// `GET /assets/app.css`: the stylesheet. Not personal, so it may be cached.
pub(crate) async fn stylesheet() -> Response {
    let mut res = STYLESHEET.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query or path value.
pub(crate) fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `snake_case` to "Snake case".
pub(crate) fn humanise(s: &str) -> String {
    let words = s.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A category's name as people write it.
pub(crate) fn category_label(c: &str) -> String {
    match c {
        "anti_social_behaviour" => "Anti-social behaviour".into(),
        "damp_and_mould" => "Damp and mould".into(),
        other => humanise(other),
    }
}

/// "Friday 15 May 2026".
pub(crate) fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// A `YYYY-MM-DD` string as a long date; anything else as it is.
pub(crate) fn long_date_str(s: &str) -> String {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(long_date)
        .unwrap_or_else(|_| s.to_string())
}

/// A `YYYY-MM-DD` string as "23 October 2026"; anything else as it is.
pub(crate) fn date_str(s: &str) -> String {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// A `YYYY-MM-DD` string as "Fri 23 Oct 2026", for tables; anything else as it is.
pub(crate) fn short_date_str(s: &str) -> String {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%a %-d %b %Y").to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// The wall-clock time in Europe/London of an instant.
pub(crate) fn london_time(t: DateTime<Utc>) -> NaiveTime {
    let date = london_date(t);
    // London is UTC or UTC+1: take the offset that maps back to the same instant.
    for offset in [1, 0] {
        let local = (t + chrono::Duration::hours(offset)).time();
        if london_instant(date, local) == t {
            return local;
        }
    }
    t.time()
}

/// "5 May 2026, 10:30" in Europe/London.
pub(crate) fn london_datetime(t: DateTime<Utc>) -> String {
    format!(
        "{} at {}",
        london_date(t).format("%-d %B %Y"),
        london_time(t).format("%H:%M")
    )
}

/// An RFC 3339 string in London time; anything else as it is.
pub(crate) fn london_datetime_str(s: &str) -> String {
    DateTime::parse_from_rfc3339(s)
        .map(|t| london_datetime(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| s.to_string())
}

/// A coloured label that always carries its meaning in words.
pub(crate) fn tag(text: &str, class: &str) -> String {
    format!("<strong class=\"tag {class}\">{}</strong>", esc(text))
}

/// What the header shows.
pub(crate) enum Header<'a> {
    /// The public service.
    Public,
    /// Staff pages: signed in (name, role, CSRF token for sign-out, the current section) or not.
    Staff(Option<StaffHeader<'a>>),
}

/// The signed-in member of staff, for the header.
pub(crate) struct StaffHeader<'a> {
    /// Display name.
    pub name: &'a str,
    /// Role name.
    pub role: &'a str,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: &'a str,
    /// `cases` or `report`: which link is the current page.
    pub current: &'a str,
}

/// The page around every body: language, title, stylesheet, skip link, header, main, footer
/// (`templates/base.html`).
pub(crate) fn layout(title: &str, landlord: &str, header: &Header, body: &str) -> String {
    use askama::Template;
    super::layout::RawPage {
        chrome: super::layout::Chrome::new(title, landlord, header),
        body,
    }
    .render()
    .unwrap_or_default()
}

/// The monthly report page for a `YYYY-MM` month (default: the month before today's).
pub(crate) fn monthly_report_link(month: Option<&str>) -> String {
    let month = month.map(str::to_string).unwrap_or_else(|| {
        let today = london_date(Utc::now());
        p3_domain::london::Month::of(today)
            .previous()
            .first_day()
            .format("%Y-%m")
            .to_string()
    });
    format!("/staff/monthly-report?month={}", urlencode(&month))
}

/// The error summary: every error listed at the top, each linked to its field.
pub(crate) fn error_summary(items: &[(String, String)]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<div class=\"error-summary\" aria-labelledby=\"error-summary-title\" role=\"alert\" tabindex=\"-1\" autofocus>\
         <h2 class=\"error-summary__title\" id=\"error-summary-title\">There is a problem</h2>\
         <ul class=\"error-summary__list\">",
    );
    for (href, message) in items {
        s.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>",
            esc(href),
            esc(message)
        ));
    }
    s.push_str("</ul></div>");
    s
}

/// A summary list: a key and its value (HTML) per row.
pub(crate) fn summary_list(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<dl class=\"summary-list\">");
    for (k, v) in rows {
        s.push_str(&format!(
            "<div class=\"summary-list__row\"><dt class=\"summary-list__key\">{}</dt><dd class=\"summary-list__value\">{v}</dd></div>",
            esc(k)
        ));
    }
    s.push_str("</dl>");
    s
}

/// What kind of control a [`Field`] is.
pub(crate) enum Control<'a> {
    /// `<input type=…>`.
    Input(&'a str),
    /// `<textarea rows=…>`.
    TextArea(u8),
    /// `<select>` with (value, text) options; the first is the empty choice.
    Select(&'a [(String, String)]),
}

/// One labelled form field with its hint and error, GOV.UK style: label, hint, error message,
/// then the control, which names the hint and error in `aria-describedby`.
pub(crate) struct Field<'a> {
    /// Element id (also the error summary's link target).
    pub id: &'a str,
    /// Form field name.
    pub name: &'a str,
    /// Label text.
    pub label: &'a str,
    /// Hint text, or empty.
    pub hint: &'a str,
    /// Current value.
    pub value: &'a str,
    /// Error message, if the field is at fault.
    pub error: Option<&'a str>,
    /// The control.
    pub control: Control<'a>,
    /// `autocomplete` value, or empty.
    pub autocomplete: &'a str,
    /// Extra class for the control (e.g. `input--short`).
    pub class: &'a str,
    /// Extra attributes, already safe (e.g. `inputmode="numeric"`).
    pub attrs: &'a str,
}

impl<'a> Field<'a> {
    /// A text input with a label.
    pub fn new(id: &'a str, name: &'a str, label: &'a str) -> Self {
        Field {
            id,
            name,
            label,
            hint: "",
            value: "",
            error: None,
            control: Control::Input("text"),
            autocomplete: "",
            class: "",
            attrs: "",
        }
    }

    /// Renders the field.
    pub fn render(&self) -> String {
        let id = esc(self.id);
        let hint = if self.hint.is_empty() {
            String::new()
        } else {
            format!(
                "<div class=\"hint\" id=\"{id}-hint\">{}</div>",
                esc(self.hint)
            )
        };
        let error = self
            .error
            .map(|m| {
                format!(
                    "<p class=\"error-message\" id=\"{id}-error\"><span class=\"visually-hidden\">Error:</span> {}</p>",
                    esc(m)
                )
            })
            .unwrap_or_default();
        let mut described = Vec::new();
        if !self.hint.is_empty() {
            described.push(format!("{id}-hint"));
        }
        if self.error.is_some() {
            described.push(format!("{id}-error"));
        }
        let mut attrs = String::new();
        if !described.is_empty() {
            attrs.push_str(&format!(" aria-describedby=\"{}\"", described.join(" ")));
        }
        if self.error.is_some() {
            attrs.push_str(" aria-invalid=\"true\"");
        }
        if !self.autocomplete.is_empty() {
            attrs.push_str(&format!(" autocomplete=\"{}\"", esc(self.autocomplete)));
        }
        if !self.attrs.is_empty() {
            attrs.push(' ');
            attrs.push_str(self.attrs);
        }
        let err_class = |base: &str| {
            let mut c = base.to_string();
            if self.error.is_some() {
                c.push_str(&format!(" {base}--error"));
            }
            if !self.class.is_empty() {
                c.push(' ');
                c.push_str(self.class);
            }
            c
        };
        let name = esc(self.name);
        let value = esc(self.value);
        let control = match &self.control {
            Control::Input(kind) => format!(
                "<input class=\"{}\" id=\"{id}\" name=\"{name}\" type=\"{kind}\" value=\"{value}\"{attrs}>",
                err_class("input")
            ),
            Control::TextArea(rows) => format!(
                "<textarea class=\"{}\" id=\"{id}\" name=\"{name}\" rows=\"{rows}\"{attrs}>{value}</textarea>",
                err_class("textarea")
            ),
            Control::Select(options) => {
                let mut s = format!(
                    "<select class=\"{}\" id=\"{id}\" name=\"{name}\"{attrs}>",
                    err_class("select")
                );
                for (v, text) in options.iter() {
                    let selected = if v == self.value { " selected" } else { "" };
                    s.push_str(&format!(
                        "<option value=\"{}\"{selected}>{}</option>",
                        esc(v),
                        esc(text)
                    ));
                }
                s.push_str("</select>");
                s
            }
        };
        format!(
            "<div class=\"form-group{}\"><label class=\"label\" for=\"{id}\">{}</label>{hint}{error}{control}</div>",
            if self.error.is_some() {
                " form-group--error"
            } else {
                ""
            },
            esc(self.label),
        )
    }
}

/// A group of radios in a fieldset; the first radio takes `id` (the error summary's target).
pub(crate) struct Radios<'a> {
    /// Id of the first radio.
    pub id: &'a str,
    /// Form field name.
    pub name: &'a str,
    /// The question.
    pub legend: &'a str,
    /// Hint text, or empty.
    pub hint: &'a str,
    /// (value, label) pairs.
    pub options: &'a [(&'a str, &'a str)],
    /// The chosen value.
    pub selected: Option<&'a str>,
    /// Error message, if at fault.
    pub error: Option<&'a str>,
}

impl Radios<'_> {
    /// Renders the fieldset.
    pub fn render(&self) -> String {
        let id = esc(self.id);
        let mut described = Vec::new();
        let hint = if self.hint.is_empty() {
            String::new()
        } else {
            described.push(format!("{id}-hint"));
            format!(
                "<div class=\"hint\" id=\"{id}-hint\">{}</div>",
                esc(self.hint)
            )
        };
        let error = self
            .error
            .map(|m| {
                described.push(format!("{id}-error"));
                format!(
                    "<p class=\"error-message\" id=\"{id}-error\"><span class=\"visually-hidden\">Error:</span> {}</p>",
                    esc(m)
                )
            })
            .unwrap_or_default();
        let aria = if described.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"{}\"", described.join(" "))
        };
        let mut s = format!(
            "<div class=\"form-group{}\"><fieldset class=\"fieldset\"{aria}><legend class=\"fieldset__legend\">{}</legend>{hint}{error}<div class=\"radios\">",
            if self.error.is_some() {
                " form-group--error"
            } else {
                ""
            },
            esc(self.legend),
        );
        for (i, (value, label)) in self.options.iter().enumerate() {
            let rid = if i == 0 {
                id.clone()
            } else {
                format!("{id}-{}", i + 1)
            };
            let checked = if self.selected == Some(*value) {
                " checked"
            } else {
                ""
            };
            s.push_str(&format!(
                "<div class=\"radios__item\"><input class=\"radios__input\" id=\"{rid}\" name=\"{}\" type=\"radio\" value=\"{}\"{checked}><label class=\"radios__label\" for=\"{rid}\">{}</label></div>",
                esc(self.name),
                esc(value),
                esc(label)
            ));
        }
        s.push_str("</div></fieldset></div>");
        s
    }
}

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
const FORM_ORDER: [&str; 10] = [
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

fn what_happens_next(page: &FormPage) -> String {
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

fn get_help(landlord: &str) -> String {
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

fn humanise_first(s: &str) -> String {
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

fn deadline_of<'v>(view: &'v Value, kind: &str) -> Option<&'v Value> {
    view["deadlines"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["kind"] == kind))
}

fn due_of(view: &Value, kind: &str) -> String {
    deadline_of(view, kind)
        .and_then(|d| d["due"].as_str())
        .map(long_date_str)
        .unwrap_or_else(|| "-".into())
}

/// The confirmation page: the reference, the access code and the dates to expect.
pub fn confirmation_page(view: &Value, code: &str, landlord: &str) -> String {
    let reference = view["reference"].as_str().unwrap_or("");
    let case_link = format!(
        "/complaints/{}?code={}",
        urlencode(reference),
        urlencode(code)
    );
    let mut body = format!(
        "<div class=\"grid-row\"><div class=\"column-two-thirds\">\
         <div class=\"panel\"><h1 class=\"panel__title\">Complaint received</h1>\
         <div class=\"panel__body\">Your reference<br><strong class=\"panel__reference\" id=\"reference\">{r}</strong></div></div>\
         <p>We have received your complaint. Thank you for telling us.</p>\
         <h2 class=\"heading-l\">Keep these details safe</h2>\
         <p>You need your reference and your access code to check on your complaint online. Write them down or print this page. Anyone with both can see your complaint, so do not share them.</p>",
        r = esc(reference),
    );
    body.push_str(&summary_list(&[
        (
            "Reference",
            format!("<span class=\"code\">{}</span>", esc(reference)),
        ),
        (
            "Access code",
            format!(
                "<span class=\"code\" id=\"access-code\">{}</span>",
                esc(code)
            ),
        ),
    ]));
    body.push_str(&format!(
        "<p><a class=\"button button--secondary\" href=\"{}\">View your complaint</a></p>",
        esc(&case_link)
    ));
    body.push_str("<h2 class=\"heading-l\">What happens next</h2>");
    body.push_str(&summary_list(&[
        (
            "We will acknowledge your complaint by",
            format!(
                "<strong>{}</strong>",
                esc(&due_of(view, "stage1_acknowledgement"))
            ),
        ),
        (
            "We will send our full response by",
            format!("<strong>{}</strong>", esc(&due_of(view, "stage1_response"))),
        ),
    ]));
    body.push_str(
        "<p>When we acknowledge your complaint we will tell you who is looking into it and check we have understood what it is about. \
         If we need more time to respond, we will write to tell you why and when you will hear from us.</p>",
    );
    body.push_str(&format!(
        "<h2 class=\"heading-l\">Get help</h2>\
         <p>If you need help, want to add something to your complaint or have not heard from us by these dates, contact {l} and give your reference.</p>\
         <p>You can ask the Housing Ombudsman for free, independent advice at any time.</p>{o}",
        l = esc(landlord),
        o = ombudsman_details()
    ));
    body.push_str("</div></div>");
    layout("Complaint received", landlord, &Header::Public, &body)
}

/// Plain words for a case status, for residents.
pub(crate) fn resident_status(status: &str) -> String {
    match status {
        "received" => "Received: we will acknowledge it soon".into(),
        "acknowledged" => "Being looked into".into(),
        "responded" => "We have responded".into(),
        "stage2_requested" => "You asked for a review (Stage 2)".into(),
        "stage2_acknowledged" => "Review in progress (Stage 2)".into(),
        "closed" => "Closed".into(),
        "withdrawn" => "Withdrawn".into(),
        "refused" => "We could not take this complaint on".into(),
        other => humanise(other),
    }
}

fn resident_deadline_label(kind: &str) -> String {
    match kind {
        "stage1_acknowledgement" => "We acknowledge your complaint".into(),
        "stage1_response" => "We send our full response".into(),
        "stage2_request_window" => "You ask for a review (Stage 2), if you want one".into(),
        "stage2_acknowledgement" => "We acknowledge your request for a review".into(),
        "stage2_response" => "We send our review response".into(),
        other => match other
            .split_once("_action")
            .and_then(|(_, n)| n.parse::<u16>().ok())
        {
            Some(n) => format!("We complete action {n}"),
            None => humanise(other),
        },
    }
}

fn resident_deadline_status(kind: &str, status: &str) -> String {
    let window = kind.ends_with("_request_window");
    match (window, status) {
        (true, "pending") => tag("Open", "tag--grey"),
        (true, "met") => tag("You asked in time", "tag--green"),
        (true, "met_late") => tag("You asked after this date", "tag--grey"),
        (true, "expired") => tag("Date passed", "tag--grey"),
        (_, "pending") => tag("Not yet due", "tag--grey"),
        (_, "met") => tag("Done", "tag--green"),
        (_, "met_late") => tag("Done late", "tag--yellow"),
        (_, "breached") => tag("Late: not done yet", "tag--red"),
        (_, "cancelled") => tag("No longer needed", "tag--grey"),
        (_, other) => tag(&humanise(other), "tag--grey"),
    }
}

fn outcome_words(outcome: &str) -> String {
    match outcome {
        "upheld" => "Upheld: we agree with your complaint".into(),
        "partly_upheld" => "Partly upheld: we agree with part of your complaint".into(),
        "not_upheld" => "Not upheld: we do not agree with your complaint".into(),
        other => humanise(other),
    }
}

/// A stage response as the resident reads it (also used on the staff case page).
pub(crate) fn response_html(r: &Value, heading_level: u8) -> String {
    let h = heading_level;
    let stage = r["stage"].as_u64().unwrap_or(1);
    let mut s = format!("<h{h} class=\"heading-m\">Stage {stage} response</h{h}>",);
    let mut rows = vec![
        (
            "Sent",
            esc(&long_date_str(r["issued_on"].as_str().unwrap_or(""))),
        ),
        (
            "Decision",
            esc(&outcome_words(r["outcome"].as_str().unwrap_or(""))),
        ),
        (
            "Our reasons",
            format!(
                "<p class=\"pre-wrap\">{}</p>",
                esc(r["summary"].as_str().unwrap_or(""))
            ),
        ),
    ];
    if r["first_contact_resolution"].as_bool() == Some(true) {
        rows.push((
            "How it was resolved",
            "When you first contacted us, with your agreement".into(),
        ));
    }
    if let Some(remedy) = r["remedy"].as_str() {
        rows.push((
            "What we will do to put things right",
            format!("<p class=\"pre-wrap\">{}</p>", esc(remedy)),
        ));
    }
    let points = r["point_decisions"].as_array().cloned().unwrap_or_default();
    if !points.is_empty() {
        let mut list = String::from("<ul class=\"list\">");
        for p in &points {
            list.push_str(&format!(
                "<li>{}: <strong>{}</strong>{}</li>",
                esc(p["point"].as_str().unwrap_or("")),
                esc(&humanise(p["decision"].as_str().unwrap_or(""))),
                p["reason"]
                    .as_str()
                    .map(|x| format!(" ({})", esc(x)))
                    .unwrap_or_default()
            ));
        }
        list.push_str("</ul>");
        rows.push(("Each part of your complaint", list));
    }
    let actions = r["actions"].as_array().cloned().unwrap_or_default();
    if !actions.is_empty() {
        let mut list = String::from("<ul class=\"list\">");
        for a in &actions {
            list.push_str(&format!(
                "<li>{}, by {}</li>",
                esc(a["description"].as_str().unwrap_or("")),
                esc(&long_date_str(a["due"].as_str().unwrap_or("")))
            ));
        }
        list.push_str("</ul>");
        rows.push(("What we have promised to do", list));
    }
    s.push_str(&summary_list(&rows));
    s
}

/// The Stage 2 request form (on the case page and on its own page).
fn stage2_form(
    reference: &str,
    code: &str,
    csrf: &str,
    reason: &str,
    error: Option<&str>,
) -> String {
    format!(
        "<form method=\"post\" action=\"/complaints/{ru}/stage2?code={cu}\" novalidate>\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">{field}\
         <button class=\"button\" type=\"submit\">Ask for a review</button></form>",
        ru = esc(&urlencode(reference)),
        cu = esc(&urlencode(code)),
        csrf = esc(csrf),
        field = Field {
            hint: "Tell us which parts of our response you disagree with and why. You can leave this blank.",
            value: reason,
            error,
            control: Control::TextArea(6),
            ..Field::new("reason", "reason", "Why are you unhappy with our response? (optional)")
        }
        .render(),
    )
}

fn stage2_by(view: &Value) -> Option<String> {
    view["stage2_request_by"].as_str().map(long_date_str)
}

/// The resident's case page: stage, dates, responses, how to ask for Stage 2, the Ombudsman.
pub fn case_page(view: &Value, code: &str, csrf: &str, landlord: &str) -> String {
    let reference = view["reference"].as_str().unwrap_or("");
    let status = view["status"].as_str().unwrap_or("");
    let stage = view["stage"].as_u64().unwrap_or(1);
    let mut body = format!(
        "<div class=\"grid-row\"><div class=\"column-two-thirds\">\
         <h1 class=\"heading-xl\"><span class=\"caption\">Reference {r}</span>Your complaint</h1>",
        r = esc(reference)
    );
    body.push_str(&summary_list(&[
        (
            "Reference",
            format!("<span class=\"code\">{}</span>", esc(reference)),
        ),
        (
            "Stage",
            if stage >= 2 {
                format!("Stage {stage}: review")
            } else {
                "Stage 1".into()
            },
        ),
        ("Where it is now", esc(&resident_status(status))),
        (
            "We received it on",
            esc(&long_date_str(view["received_on"].as_str().unwrap_or(""))),
        ),
    ]));
    body.push_str(
        "<h2 class=\"heading-l\" id=\"dates-heading\">Dates</h2>\
         <div class=\"table-wrap\" role=\"region\" aria-labelledby=\"dates-heading\" tabindex=\"0\">\
         <table class=\"table\"><thead><tr><th scope=\"col\">What happens</th><th scope=\"col\">By</th><th scope=\"col\">Progress</th></tr></thead><tbody>",
    );
    for d in view["deadlines"].as_array().into_iter().flatten() {
        let kind = d["kind"].as_str().unwrap_or("");
        body.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            esc(&resident_deadline_label(kind)),
            esc(&date_str(d["due"].as_str().unwrap_or(""))),
            resident_deadline_status(kind, d["status"].as_str().unwrap_or(""))
        ));
    }
    body.push_str("</tbody></table></div>");
    let letters = view["letters"].as_array().cloned().unwrap_or_default();
    if !letters.is_empty() {
        body.push_str("<h2 class=\"heading-l\">Letters we have sent you</h2><ul class=\"list\">");
        for l in &letters {
            body.push_str(&format!(
                "<li>{}: {}</li>",
                esc(&long_date_str(l["issued_on"].as_str().unwrap_or(""))),
                esc(l["subject"].as_str().unwrap_or(""))
            ));
        }
        body.push_str(
            "</ul><p>If you did not get one of these, or need it in another format, contact us and give your reference.</p>",
        );
    }
    let responses = view["responses"].as_array().cloned().unwrap_or_default();
    if !responses.is_empty() {
        body.push_str("<h2 class=\"heading-l\">Our responses</h2>");
        for r in &responses {
            body.push_str(&response_html(r, 3));
        }
    }
    if view["can_request_stage2"].as_bool() == Some(true) {
        body.push_str(
            "<h2 class=\"heading-l\" id=\"stage2\">Ask for a review (Stage 2)</h2>\
             <p>If you are unhappy with our response, you can ask for your complaint to be reviewed by the Head of Tenant Services or a senior manager who has not been involved so far.</p>",
        );
        if let Some(by) = stage2_by(view) {
            body.push_str(&format!(
                "<p>Please ask by <strong>{}</strong>. We will still accept your request after that date.</p>",
                esc(&by)
            ));
        }
        body.push_str(&stage2_form(reference, code, csrf, "", None));
    } else if status == "stage2_requested" || status == "stage2_acknowledged" {
        body.push_str(
            "<h2 class=\"heading-l\">Your review (Stage 2)</h2>\
             <p>You asked for a review. A senior manager who has not been involved so far will look at your complaint again and write to you by the dates above.</p>",
        );
    }
    body.push_str(
        "<h2 class=\"heading-l\">The Housing Ombudsman</h2>\
         <p>Once both stages of our complaints procedure are complete, you can ask the Housing Ombudsman to look at your complaint. \
         You can also contact them for free, independent advice at any time.</p>",
    );
    body.push_str(&ombudsman_details());
    body.push_str(&format!(
        "<h2 class=\"heading-l\">Get help</h2><p>If you need help or want to add something to your complaint, contact {} and give your reference.</p>",
        esc(landlord)
    ));
    body.push_str("</div></div>");
    layout(
        &format!("Your complaint {reference}"),
        landlord,
        &Header::Public,
        &body,
    )
}

/// The page for asking for a Stage 2 review, with the error summary when the request failed.
pub(crate) fn stage2_page(
    view: &Value,
    code: &str,
    csrf: &str,
    landlord: &str,
    reason: &str,
    errors: &ValidationErrors,
    timescales: &str,
) -> String {
    let reference = view["reference"].as_str().unwrap_or("");
    let back = format!(
        "/complaints/{}?code={}",
        urlencode(reference),
        urlencode(code)
    );
    let mut body = String::from("<div class=\"grid-row\"><div class=\"column-two-thirds\">");
    body.push_str(&error_summary(&summary_items(errors, &["reason"], "")));
    body.push_str(&format!(
        "<h1 class=\"heading-xl\"><span class=\"caption\">Reference {}</span>Ask for a review of your complaint</h1>",
        esc(reference)
    ));
    if view["can_request_stage2"].as_bool() == Some(true) {
        body.push_str(
            "<p>This is Stage 2 of our complaints procedure. The Head of Tenant Services or a senior manager who has not been involved so far will look at your complaint again.</p>",
        );
        if let Some(by) = stage2_by(view) {
            body.push_str(&format!(
                "<p>Please ask by <strong>{}</strong>. We will still accept your request after that date.</p>",
                esc(&by)
            ));
        }
        if !timescales.is_empty() {
            body.push_str(&format!(
                "<div class=\"inset\"><p>{}</p></div>",
                esc(timescales)
            ));
        }
        body.push_str(&stage2_form(
            reference,
            code,
            csrf,
            reason,
            errors.message_for("reason"),
        ));
    } else {
        let status = view["status"].as_str().unwrap_or("");
        let why = match status {
            "stage2_requested" | "stage2_acknowledged" => {
                "You have already asked for a review. We will write to you by the dates on your complaint page."
            }
            "received" | "acknowledged" => {
                "You can ask for a review once we have sent our response to your complaint."
            }
            _ => "A review cannot be asked for on this complaint now. If you are unhappy, you can contact the Housing Ombudsman.",
        };
        body.push_str(&format!("<p>{}</p>", esc(why)));
    }
    body.push_str(&format!(
        "<p><a href=\"{}\">Back to your complaint</a></p></div></div>",
        esc(&back)
    ));
    layout(
        if errors.is_empty() {
            "Ask for a review"
        } else {
            "Error: Ask for a review"
        },
        landlord,
        &Header::Public,
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resident_reads_tracked_actions_in_words() {
        assert_eq!(
            resident_deadline_label("stage1_action2"),
            "We complete action 2"
        );
        assert_eq!(
            resident_deadline_label("stage1_response"),
            "We send our full response"
        );
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<b a=\"1\" b='2'>&</b>"),
            "&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;&lt;/b&gt;"
        );
    }

    #[test]
    fn london_times_follow_summer_time() {
        let summer = DateTime::parse_from_rfc3339("2026-07-01T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(london_datetime(summer), "1 July 2026 at 10:30");
        let winter = DateTime::parse_from_rfc3339("2026-01-05T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(london_datetime(winter), "5 January 2026 at 23:30");
        let late_summer = DateTime::parse_from_rfc3339("2026-07-01T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(london_datetime(late_summer), "2 July 2026 at 00:30");
    }

    #[test]
    fn the_form_keeps_values_escaped_and_lists_errors_in_page_order() {
        let mut errors = ValidationErrors::new();
        errors.add("email", "Enter an email address");
        errors.add("description", "Enter a description");
        let page = FormPage {
            values: ComplaintForm {
                name: Some("<script>x</script>".into()),
                ..Default::default()
            },
            errors,
            ..Default::default()
        };
        let html = form_page(&page);
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        let d = html.find("href=\"#description\"").unwrap();
        let e = html.find("href=\"#email\"").unwrap();
        assert!(d < e, "errors follow the order of the page");
        assert!(html.contains("<title>Error: Make a complaint"));
        assert!(
            !html.contains("style="),
            "no inline styles: the CSP forbids them"
        );
    }
}
