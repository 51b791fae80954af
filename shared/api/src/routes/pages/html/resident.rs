//! The resident's pages: the confirmation, their case and their request for a review. The
//! confirmation is rendered from the typed [`ResidentCase`] (`templates/resident/`).

use askama::Template;
use axum::response::Response;
use http::StatusCode;
use p3_domain::deadline::{DeadlineKind, DeadlineStep};

use super::*;
use crate::routes::pages::layout::{respond, Chrome};
use crate::views::ResidentCase;

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

pub(super) fn resident_deadline_label(kind: &str) -> String {
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

pub(super) fn resident_deadline_status(kind: &str, status: &str) -> String {
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

pub(super) fn outcome_words(outcome: &str) -> String {
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
pub(super) fn stage2_form(
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

pub(super) fn stage2_by(view: &Value) -> Option<String> {
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

/// The resident's case page with their access code: `/complaints/{reference}?code=`.
fn case_link(reference: &str, code: &str) -> String {
    format!(
        "/complaints/{}?code={}",
        urlencode(reference),
        urlencode(code)
    )
}

/// The confirmation page (`templates/resident/confirmation.html`): the reference, the access
/// code and the dates to expect.
#[derive(Template)]
#[template(path = "resident/confirmation.html")]
struct ConfirmationPage<'a> {
    chrome: Chrome<'a>,
    view: &'a ResidentCase<'a>,
    code: &'a str,
    case_link: String,
}

impl ConfirmationPage<'_> {
    /// The long date of the case's Stage 1 deadline of `step`, or "-".
    fn due(&self, step: DeadlineStep) -> String {
        self.view
            .deadlines
            .iter()
            .find(|d| d.kind == DeadlineKind::new(1, step))
            .map(|d| long_date(d.due))
            .unwrap_or_else(|| "-".into())
    }

    fn acknowledge_by(&self) -> String {
        self.due(DeadlineStep::Acknowledgement)
    }

    fn respond_by(&self) -> String {
        self.due(DeadlineStep::Response)
    }
}

/// The confirmation page of `view`, opened with `code`.
pub(crate) fn confirmation_response(view: &ResidentCase, code: &str, landlord: &str) -> Response {
    respond(
        StatusCode::OK,
        &ConfirmationPage {
            chrome: Chrome::new("Complaint received", landlord, &Header::Public),
            view,
            code,
            case_link: case_link(view.reference, code),
        },
    )
}
