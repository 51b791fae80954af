//! Server-rendered pages for residents: plain HTML that works without JavaScript, with every
//! value a resident typed escaped.

use p3_domain::complaint::ComplaintForm;
use p3_domain::validation::ValidationErrors;
use p3_domain::HOUSING_OMBUDSMAN;
use serde_json::Value;

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

const STYLE: &str = r#"
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;font-size:1.1875rem;line-height:1.5;color:#0b0c0c;background:#fff}
header{background:#1d3557;color:#fff;padding:.75rem 1rem}header a{color:#fff;font-weight:700;text-decoration:none;font-size:1.25rem}
main{max-width:40rem;margin:0 auto;padding:1rem}h1{font-size:2rem;line-height:1.2;margin:1rem 0}
label,.label{display:block;font-weight:700;margin-top:1.25rem}.hint{color:#484949;display:block;margin:.25rem 0}
input,textarea,select{font:inherit;width:100%;padding:.4rem;border:2px solid #0b0c0c;border-radius:0;margin-top:.25rem}
textarea{min-height:8rem}input:focus,textarea:focus,select:focus,button:focus,a:focus{outline:3px solid #ffdd00;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
.field-error input,.field-error textarea,.field-error select{border-color:#b00020;border-width:3px}.field-error{border-left:5px solid #b00020;padding-left:.75rem}
.error-message{color:#b00020;font-weight:700;display:block}.error-summary{border:5px solid #b00020;padding:1rem;margin:1rem 0}
.error-summary a{color:#b00020;font-weight:700}button{font:inherit;background:#00703c;color:#fff;border:0;padding:.6rem 1.2rem;margin-top:1.5rem;box-shadow:0 2px 0 #002d18;cursor:pointer}
.panel{background:#00703c;color:#fff;padding:1.5rem;text-align:center}.panel strong{display:block;font-size:1.75rem;word-break:break-all}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:700}dd{margin:0}a{color:#1d70b8}
.inset{border-left:8px solid #b1b4b6;padding:.5rem 1rem;margin:1rem 0}table{border-collapse:collapse;width:100%}th,td{text-align:left;border-bottom:1px solid #b1b4b6;padding:.4rem}
"#;

fn layout(title: &str, landlord: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} - {l} complaints</title><style>{STYLE}</style></head><body><a href=\"#main\" class=\"skip\">Skip to main content</a><header><a href=\"/\">{l} complaints</a></header><main id=\"main\">{body}</main></body></html>",
        t = esc(title),
        l = esc(landlord),
    )
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
}

fn field(
    page: &FormPage,
    name: &str,
    label: &str,
    hint: &str,
    value: Option<&str>,
    kind: &str,
    autocomplete: &str,
) -> String {
    let err = page.errors.message_for(name);
    let hint_html = if hint.is_empty() {
        String::new()
    } else {
        format!(
            "<span class=\"hint\" id=\"{name}-hint\">{}</span>",
            esc(hint)
        )
    };
    let err_html = err.map(|m| format!("<span class=\"error-message\" id=\"{name}-error\"><span class=\"visually-hidden\">Error:</span> {}</span>", esc(m))).unwrap_or_default();
    let described: Vec<String> = [
        (!hint.is_empty()).then(|| format!("{name}-hint")),
        err.map(|_| format!("{name}-error")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let aria = if described.is_empty() {
        String::new()
    } else {
        format!(" aria-describedby=\"{}\"", described.join(" "))
    };
    let invalid = if err.is_some() {
        " aria-invalid=\"true\""
    } else {
        ""
    };
    let v = esc(value.unwrap_or(""));
    let control = if kind == "textarea" {
        format!("<textarea id=\"{name}\" name=\"{name}\"{aria}{invalid}>{v}</textarea>")
    } else {
        format!("<input id=\"{name}\" name=\"{name}\" type=\"{kind}\" value=\"{v}\" autocomplete=\"{autocomplete}\"{aria}{invalid}>")
    };
    format!(
        "<div class=\"{cls}\"><label for=\"{name}\">{label}</label>{hint_html}{err_html}{control}</div>",
        cls = if err.is_some() { "field field-error" } else { "field" },
        label = esc(label),
    )
}

/// The complaint form, with the error summary at the top when there are errors.
pub fn form_page(page: &FormPage) -> String {
    let v = &page.values;
    let mut body = String::new();
    if !page.errors.is_empty() {
        body.push_str("<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\" aria-labelledby=\"error-summary-title\"><h2 id=\"error-summary-title\">There is a problem</h2><ul>");
        for e in &page.errors.errors {
            body.push_str(&format!(
                "<li><a href=\"#{}\">{}</a></li>",
                esc(&e.field),
                esc(&e.message)
            ));
        }
        body.push_str("</ul></div>");
    }
    body.push_str(&format!(
        "<h1>Make a complaint</h1><p>Tell us what went wrong with our service, our staff or a contractor working for us. You do not need to use the word complaint.</p>\
         <div class=\"inset\"><p>What happens next: we will acknowledge your complaint within 5 working days and send you a full response within 10 working days.</p></div>\
         <form method=\"post\" action=\"/complaints\" novalidate><input type=\"hidden\" name=\"csrf_token\" value=\"{}\"><input type=\"hidden\" name=\"idempotency_key\" value=\"{}\">",
        esc(&page.csrf),
        esc(&page.idempotency_key)
    ));
    body.push_str(&field(
        page,
        "description",
        "What is your complaint about?",
        "Tell us what happened, when, and who was involved. Up to 10,000 characters.",
        v.description.as_deref(),
        "textarea",
        "",
    ));
    body.push_str(&field(
        page,
        "desired_outcome",
        "What would you like us to do to put things right? (optional)",
        "",
        v.desired_outcome.as_deref(),
        "textarea",
        "",
    ));
    let cat_err = page.errors.message_for("category");
    body.push_str(&format!(
        "<div class=\"{}\"><label for=\"category\">What is it about? (optional)</label>{}<select id=\"category\" name=\"category\"><option value=\"\">Choose a topic</option>",
        if cat_err.is_some() { "field field-error" } else { "field" },
        cat_err.map(|m| format!("<span class=\"error-message\" id=\"category-error\">{}</span>", esc(m))).unwrap_or_default()
    ));
    for c in &page.categories {
        let selected = if v.category.as_deref() == Some(c.as_str()) {
            " selected"
        } else {
            ""
        };
        body.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>",
            esc(c),
            esc(&c.replace('_', " "))
        ));
    }
    body.push_str(
        "</select></div><h2>Your details</h2><p>Give us at least one way to contact you.</p>",
    );
    body.push_str(&field(
        page,
        "name",
        "Full name",
        "",
        v.name.as_deref(),
        "text",
        "name",
    ));
    body.push_str(&field(
        page,
        "email",
        "Email address (optional)",
        "We will send updates about your complaint here.",
        v.email.as_deref(),
        "email",
        "email",
    ));
    body.push_str(&field(
        page,
        "phone",
        "Phone number (optional)",
        "For example, 01632 960 001 or 07700 900 982",
        v.phone.as_deref(),
        "tel",
        "tel",
    ));
    body.push_str(&field(
        page,
        "address",
        "Postal address (optional)",
        "",
        v.address.as_deref(),
        "textarea",
        "street-address",
    ));
    body.push_str(&field(
        page,
        "postcode",
        "Postcode (optional)",
        "",
        v.postcode.as_deref(),
        "text",
        "postal-code",
    ));
    body.push_str(&field(
        page,
        "tenancy_reference",
        "Tenancy reference (optional)",
        "You can find this on your rent statement.",
        v.tenancy_reference.as_deref(),
        "text",
        "off",
    ));
    body.push_str("<button type=\"submit\">Send complaint</button></form>");
    body.push_str(&format!("<h2>Get help</h2><p>If you need help making a complaint, or want to complain another way, call us or ask someone to complain for you. You can contact the {} at any time for advice.</p>", esc(HOUSING_OMBUDSMAN)));
    layout(
        if page.errors.is_empty() {
            "Make a complaint"
        } else {
            "Error: Make a complaint"
        },
        &page.landlord,
        &body,
    )
}

/// A simple page with a heading and a message.
pub fn message_page(title: &str, message: &str) -> String {
    layout(
        title,
        "P3 Housing",
        &format!(
            "<h1>{}</h1><p>{}</p><p><a href=\"/\">Go to the complaint form</a></p>",
            esc(title),
            esc(message)
        ),
    )
}

fn due_of(view: &Value, kind: &str) -> String {
    view["deadlines"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["kind"] == kind))
        .and_then(|d| d["due"].as_str())
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|d| d.format("%A %-d %B %Y").to_string())
        .unwrap_or_else(|| "-".into())
}

/// The confirmation page: the reference, the access code and the dates to expect.
pub fn confirmation_page(view: &Value, code: &str, landlord: &str) -> String {
    let reference = view["reference"].as_str().unwrap_or("");
    let body = format!(
        "<div class=\"panel\"><h1>Complaint received</h1><p>Your reference</p><strong id=\"reference\">{r}</strong></div>\
         <h2>Keep these safe</h2><dl><dt>Reference</dt><dd>{r}</dd><dt>Access code</dt><dd id=\"access-code\">{c}</dd></dl>\
         <p>You need both to check your complaint online: <a href=\"/complaints/{ru}?code={cu}\">view your complaint</a>.</p>\
         <h2>What happens next</h2><dl><dt>We will acknowledge it by</dt><dd>{ack}</dd><dt>We will respond in full by</dt><dd>{resp}</dd></dl>\
         <p>If we need more time we will write to tell you why and when you will hear from us.</p>\
         <h2>Get help</h2><p>You can ask the {o} for advice at any stage.</p>",
        r = esc(reference),
        c = esc(code),
        ru = esc(&urlencode(reference)),
        cu = esc(&urlencode(code)),
        ack = esc(&due_of(view, "stage1_acknowledgement")),
        resp = esc(&due_of(view, "stage1_response")),
        o = esc(HOUSING_OMBUDSMAN),
    );
    layout("Complaint received", landlord, &body)
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The resident's case page: stage, dates, responses, how to ask for Stage 2, the Ombudsman.
pub fn case_page(view: &Value, code: &str, csrf: &str, landlord: &str) -> String {
    let reference = view["reference"].as_str().unwrap_or("");
    let mut body = format!(
        "<h1>Your complaint {r}</h1><dl><dt>Stage</dt><dd>{stage}</dd><dt>Status</dt><dd>{status}</dd><dt>Received</dt><dd>{recv}</dd></dl><h2>Dates</h2><table><thead><tr><th scope=\"col\">What</th><th scope=\"col\">Due</th><th scope=\"col\">Status</th></tr></thead><tbody>",
        r = esc(reference),
        stage = view["stage"],
        status = esc(&view["status"].as_str().unwrap_or("").replace('_', " ")),
        recv = esc(view["received_on"].as_str().unwrap_or("")),
    );
    for d in view["deadlines"].as_array().into_iter().flatten() {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d["kind"].as_str().unwrap_or("").replace('_', " ")),
            esc(d["due"].as_str().unwrap_or("")),
            esc(&d["status"].as_str().unwrap_or("").replace('_', " "))
        ));
    }
    body.push_str("</tbody></table>");
    for r in view["responses"].as_array().into_iter().flatten() {
        body.push_str(&format!(
            "<h2>Stage {} response</h2><p><strong>Decision:</strong> {}</p><p>{}</p>",
            r["stage"],
            esc(&r["outcome"].as_str().unwrap_or("").replace('_', " ")),
            esc(r["summary"].as_str().unwrap_or(""))
        ));
        if let Some(remedy) = r["remedy"].as_str() {
            body.push_str(&format!(
                "<p><strong>What we will do:</strong> {}</p>",
                esc(remedy)
            ));
        }
    }
    if view["can_request_stage2"].as_bool() == Some(true) {
        body.push_str(&format!(
            "<h2>Ask for a review (Stage 2)</h2><p>If you are unhappy with our response you can ask for it to be reviewed by the Head of Tenant Services or a senior manager. Please ask by {by}. We will still accept your request after that date.</p>\
             <form method=\"post\" action=\"/complaints/{ru}/stage2?code={cu}\"><input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\"><label for=\"reason\">Why are you unhappy with our response? (optional)</label><textarea id=\"reason\" name=\"reason\"></textarea><button type=\"submit\">Ask for a review</button></form>",
            by = esc(view["stage2_request_by"].as_str().unwrap_or("")),
            ru = esc(&urlencode(reference)),
            cu = esc(&urlencode(code)),
            csrf = esc(csrf),
        ));
    }
    body.push_str(&format!("<h2>The Housing Ombudsman</h2><p>Once both stages are complete, or if you need advice at any time, you can contact the {}.</p>", esc(HOUSING_OMBUDSMAN)));
    layout(&format!("Your complaint {reference}"), landlord, &body)
}
