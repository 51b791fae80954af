//! One complaint's page: its summary, deadlines, history and forms (`GET /staff/cases/{reference}`).

use super::*;

/// The marker of a landlord deadline as HTML (the case page is not yet a template).
pub(super) fn urgency(st: &AppState, due: &str, status: &str) -> (String, &'static str) {
    let today = london_date(st.service.clock.now());
    let due = NaiveDate::parse_from_str(due, "%Y-%m-%d").ok();
    let u = Urgency::of(&st.service.rules.calendar, today, due, status);
    let mut html = tag(&u.tag, u.tag_class);
    if let Some(d) = &u.detail {
        html.push_str(&format!(" <span class=\"nowrap\">{}</span>", esc(d)));
    }
    (html, u.row_class)
}

// ---------------------------------------------------------------- one complaint

/// What a failed action leaves on the page: which form, its values, its errors.
#[derive(Default)]
pub(super) struct Attempt {
    pub(super) action: String,
    pub(super) fields: Vec<(String, String)>,
    /// (element id, message) for the error summary and the fields.
    pub(super) errors: Vec<(String, String)>,
}

impl Attempt {
    pub(super) fn value(&self, action: &str, name: &str) -> String {
        if self.action == action {
            get(&self.fields, name).unwrap_or("").to_string()
        } else {
            String::new()
        }
    }

    /// The message for the field with this element id (errors are kept as `#id` links).
    pub(super) fn error(&self, id: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(href, _)| href.strip_prefix('#') == Some(id))
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub(crate) struct CaseQuery {
    done: Option<String>,
}

pub(super) fn done_message(action: &str) -> Option<&'static str> {
    Some(match action {
        "acknowledge" => "Acknowledgement recorded",
        "extend" => "Extension recorded",
        "respond" => "Response recorded",
        "stage2" => "Stage 2 request recorded",
        "withdraw" => "Withdrawal recorded",
        "refuse" => "Refusal recorded",
        "ombudsman" => "Housing Ombudsman record added",
        other => return casefile::done_message(other).or_else(|| record::done_message(other)),
    })
}

/// `GET /staff/cases/{reference}`: the case with its deadlines, timeline and next actions.
pub(crate) async fn case_page(
    State(st): State<AppState>,
    who: SignedIn,
    Path(reference): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Response {
    render_case(
        &st,
        &who,
        &reference,
        q.done.as_deref().and_then(done_message),
        &Attempt::default(),
        StatusCode::OK,
    )
    .await
}

/// The case as staff see it, read from the Service (the page shows what the JSON API would).
pub(super) async fn load_view(
    st: &AppState,
    who: &SignedIn,
    reference: &str,
) -> Result<Value, Problem> {
    who.staff.require(Role::Auditor)?;
    let case = st
        .service
        .store
        .load(reference)
        .await
        .map_err(p3_domain::service::ServiceError::from)?
        .ok_or_else(Problem::not_found)?;
    let sent = crate::views::sent_letter_copies(st.service.store.as_ref(), &case).await;
    let view = crate::views::StaffCase::of(&case, &st.service.rules, st.service.clock.now(), &sent);
    Ok(crate::views::json(&view))
}

pub(super) async fn render_case(
    st: &AppState,
    who: &SignedIn,
    reference: &str,
    done: Option<&str>,
    attempt: &Attempt,
    status: StatusCode,
) -> Response {
    let view = match load_view(st, who, reference).await {
        Ok(v) => v,
        Err(p) if p.status == 404 => {
            let body = "<h1 class=\"heading-xl\">Complaint not found</h1>\
                        <p>No complaint has that reference. Check it and try again.</p>\
                        <p><a href=\"/staff/cases\">Back to open complaints</a></p>";
            return html_response(
                StatusCode::NOT_FOUND,
                page(st, who, "cases", "Complaint not found", body),
            );
        }
        Err(p) => return p.into_response(),
    };
    let title = format!("Complaint {reference}");
    let title = if attempt.errors.is_empty() {
        title
    } else {
        format!("Error: {title}")
    };
    html_response(
        status,
        page(
            st,
            who,
            "cases",
            &title,
            &case_body(st, who, &view, done, attempt),
        ),
    )
}

pub(super) fn opt(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

pub(super) fn case_body(
    st: &AppState,
    who: &SignedIn,
    view: &Value,
    done: Option<&str>,
    attempt: &Attempt,
) -> String {
    let reference = view["reference"].as_str().unwrap_or("");
    let status = view["status"].as_str().unwrap_or("");
    let mut body = String::from("<p><a href=\"/staff/cases\">Back to open complaints</a></p>");
    body.push_str(&error_summary(&attempt.errors));
    if let Some(msg) = done {
        body.push_str(&format!(
            "<div class=\"banner banner--success\" role=\"status\" aria-labelledby=\"banner-title\">\
             <h2 class=\"banner__title\" id=\"banner-title\">Done</h2>\
             <div class=\"banner__content\"><p><strong>{}</strong> on complaint {}.</p></div></div>",
            esc(msg),
            esc(reference)
        ));
    }
    body.push_str(&format!(
        "<h1 class=\"heading-xl\"><span class=\"caption\">Complaint</span>{}</h1>",
        esc(reference)
    ));
    body.push_str(&casefile::evidence_link(who, reference));
    let next = &view["next_deadline"];
    let next_html = if next.is_object() {
        let (marker, _) = urgency(
            st,
            next["due"].as_str().unwrap_or(""),
            next["status"].as_str().unwrap_or(""),
        );
        format!(
            "{}, due {}<br>{marker}",
            esc(&deadline_label(next["kind"].as_str().unwrap_or(""))),
            esc(&long_date_str(next["due"].as_str().unwrap_or("")))
        )
    } else {
        "Nothing due from us".into()
    };
    body.push_str(&summary_list(&[
        ("Status", esc(&status_words(status))),
        ("Stage", esc(&format!("Stage {}", view["stage"]))),
        ("Next deadline", next_html),
        (
            "Owner (Investigating Manager)",
            esc(view["owner"].as_str().unwrap_or("Not assigned yet")),
        ),
        (
            "Stage 2 reviewer",
            esc(view["reviewer"].as_str().unwrap_or("None")),
        ),
        (
            "Received",
            format!(
                "{} by {}",
                esc(&long_date_str(view["received_on"].as_str().unwrap_or(""))),
                esc(&humanise(view["channel"].as_str().unwrap_or("")))
            ),
        ),
    ]));

    // Deadlines.
    body.push_str(
        "<h2 class=\"heading-l\" id=\"deadlines-heading\">Deadlines</h2>\
         <div class=\"table-wrap\" role=\"region\" aria-labelledby=\"deadlines-heading\" tabindex=\"0\">\
         <table class=\"table\"><thead><tr><th scope=\"col\">Deadline</th><th scope=\"col\">Where it stands</th>\
         <th scope=\"col\">Due</th><th scope=\"col\">Met on</th></tr></thead><tbody>",
    );
    for d in view["deadlines"].as_array().into_iter().flatten() {
        let kind = d["kind"].as_str().unwrap_or("");
        let due = d["due"].as_str().unwrap_or("");
        let dstatus = d["status"].as_str().unwrap_or("");
        let window = kind.ends_with("_request_window");
        let (marker, row) = if window {
            let words = match dstatus {
                "pending" => "Open to the resident",
                "met" => "Asked in time",
                "met_late" => "Asked late (accepted)",
                "expired" => "Expired, not asked",
                "cancelled" => "Cancelled",
                other => other,
            };
            (tag(&humanise(words), "tag--grey"), "")
        } else {
            urgency(st, due, dstatus)
        };
        let mut label = esc(&deadline_label(kind));
        if window {
            label.push_str(" <span class=\"secondary\">(the resident's)</span>");
        }
        if let Some(n) = d["extended_by"].as_u64().filter(|n| *n > 0) {
            label.push_str(&format!(
                " <span class=\"secondary\">(extended by {})</span>",
                esc(&plural(n as i64, "working day"))
            ));
        }
        body.push_str(&format!(
            "<tr class=\"{row}\"><th scope=\"row\">{label}</th><td>{marker}</td><td class=\"nowrap\">{}</td><td>{}</td></tr>",
            esc(&html::short_date_str(due)),
            esc(&d["met_at"].as_str().map(london_datetime_str).unwrap_or_else(|| "-".into()))
        ));
    }
    body.push_str("</tbody></table></div>");

    body.push_str(&actions_section(st, who, view, attempt));
    body.push_str(&casefile::sections(who, view, attempt));
    body.push_str(&record::section(who, view, attempt));

    // The complaint itself.
    body.push_str("<h2 class=\"heading-l\">The complaint</h2>");
    let mut rows: Vec<(&str, String)> = vec![(
        "Description",
        format!(
            "<p class=\"pre-wrap\">{}</p>",
            esc(view["description"].as_str().unwrap_or(""))
        ),
    )];
    if let Some(v) = opt(&view["desired_outcome"]) {
        rows.push((
            "What the resident wants",
            format!("<p class=\"pre-wrap\">{}</p>", esc(&v)),
        ));
    }
    rows.push((
        "Category",
        esc(&opt(&view["category"])
            .map(|c| html::category_label(&c))
            .unwrap_or_else(|| "Not given".into())),
    ));
    let points: Vec<String> = view["complaint_points"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    if !points.is_empty() {
        let mut l = String::from("<ol class=\"list\">");
        for p in &points {
            l.push_str(&format!("<li>{}</li>", esc(p)));
        }
        l.push_str("</ol>");
        rows.push(("Complaint points", l));
    }
    for (key, field) in [
        ("Name", "name"),
        ("Email", "email"),
        ("Phone", "phone"),
        ("Postcode", "postcode"),
        ("Tenancy reference", "tenancy_reference"),
    ] {
        if let Some(v) = opt(&view[field]) {
            rows.push((key, esc(&v)));
        }
    }
    if let Some(v) = opt(&view["address"]) {
        rows.push(("Address", format!("<p class=\"pre-wrap\">{}</p>", esc(&v))));
    }
    if let Some(v) = opt(&view["representative_name"]) {
        let rel = opt(&view["representative_relationship"])
            .map(|r| format!(" ({})", esc(&r)))
            .unwrap_or_default();
        rows.push(("Raised by a representative", format!("{}{rel}", esc(&v))));
    }
    rows.push((
        "Tenure",
        esc(&humanise(view["tenure"].as_str().unwrap_or(""))),
    ));
    if let Some(v) = opt(&view["service_request"]) {
        rows.push(("Service request", esc(&v)));
    }
    body.push_str(&summary_list(&rows));

    let responses = view["responses"].as_array().cloned().unwrap_or_default();
    if !responses.is_empty() {
        body.push_str("<h2 class=\"heading-l\">Responses</h2>");
        for r in &responses {
            body.push_str(&html::response_html(r, 3));
            if let Some(by) = r["issued_by"].as_str() {
                body.push_str(&format!("<p class=\"secondary\">Issued by {}</p>", esc(by)));
            }
        }
    }
    if let Some(o) = view["housing_ombudsman"].as_str() {
        body.push_str(&format!(
            "<div class=\"inset\"><p>Tell the resident they can contact the {}.</p></div>",
            esc(o)
        ));
    }

    body.push_str("<h2 class=\"heading-l\">Timeline</h2><ol class=\"timeline\">");
    for e in view["history"].as_array().into_iter().flatten() {
        body.push_str(&timeline_item(e));
    }
    body.push_str("</ol>");
    body
}

pub(super) fn timeline_item(e: &Value) -> String {
    let kind = e["type"].as_str().unwrap_or("");
    let stage = e["stage"].as_u64().unwrap_or(1);
    let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
    let (title, detail): (String, Vec<String>) = match kind {
        "received" => ("Complaint received".into(), vec![]),
        "resolved_at_first_contact" => (
            "Resolved at first contact".into(),
            vec![
                format!("Outcome: {}", humanise(&s("outcome"))),
                s("summary"),
            ],
        ),
        "acknowledged" => {
            let mut d = vec![format!(
                "{}: {}",
                if stage == 1 {
                    "Investigating Manager"
                } else {
                    "Reviewer"
                },
                s("handler")
            )];
            for p in e["complaint_points"].as_array().into_iter().flatten() {
                d.push(format!("Point: {}", p.as_str().unwrap_or("")));
            }
            (format!("Stage {stage} acknowledged"), d)
        }
        "extended" => (
            format!(
                "Stage {stage} extended by {}",
                plural(e["working_days"].as_i64().unwrap_or(0), "working day")
            ),
            vec![format!("Reason: {}", s("reason"))],
        ),
        "responded" => (
            format!("Stage {stage} response sent"),
            vec![format!(
                "Outcome: {}",
                humanise(e["response"]["outcome"].as_str().unwrap_or(""))
            )],
        ),
        "escalation_requested" => {
            let mut d = vec![format!(
                "Asked {}{}",
                if s("through") == "resident" {
                    "by the resident online"
                } else {
                    "through staff"
                },
                if e["late"].as_bool() == Some(true) {
                    ", after the resident's window (accepted)"
                } else {
                    ""
                }
            )];
            if let Some(r) = e["reason"].as_str() {
                d.push(format!("Reason: {r}"));
            }
            (format!("Stage {stage} requested"), d)
        }
        "refused" => (
            format!("Refused at Stage {stage}"),
            vec![
                format!("Ground: {}", humanise(&s("ground"))),
                s("explanation"),
            ],
        ),
        "withdrawn" => (
            "Withdrawn by the resident".into(),
            e["reason"]
                .as_str()
                .map(|r| vec![format!("Reason: {r}")])
                .unwrap_or_default(),
        ),
        "ombudsman_referred" => (
            "Referred to the Housing Ombudsman".into(),
            vec![s("detail")],
        ),
        "ombudsman_determination" => (
            "The Housing Ombudsman's determination".into(),
            vec![s("detail")],
        ),
        "letter_issued" => {
            let l = &e["letter"];
            let to: Vec<String> = l["to"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    format!(
                        "{} ({}) by {}",
                        humanise(a["role"].as_str().unwrap_or("")),
                        a["name"].as_str().unwrap_or("no name"),
                        a["delivery"].as_str().unwrap_or("")
                    )
                })
                .collect();
            (
                format!(
                    "Letter {} written: {}",
                    l["number"],
                    l["subject"].as_str().unwrap_or("")
                ),
                vec![format!("To: {}", to.join("; "))],
            )
        }
        "points_revised" => (
            format!("Stage {stage} complaint points revised"),
            vec![format!("Reason: {}", s("reason"))],
        ),
        "reassigned" => (
            format!("Stage {stage} handler changed to {}", s("handler")),
            vec![format!("Reason: {}", s("reason"))],
        ),
        "needs_recorded" => ("Support needs recorded, with consent".into(), vec![]),
        "contact_preferences_set" => (
            "Contact preferences changed".into(),
            vec![format!(
                "By {}, {}",
                humanise(e["preferences"]["method"].as_str().unwrap_or("")).to_lowercase(),
                humanise(e["preferences"]["format"].as_str().unwrap_or("")).to_lowercase()
            )],
        ),
        "representative_set" => (
            if e["representative"].is_null() {
                "Representative removed".into()
            } else {
                format!(
                    "Representative set: {}",
                    e["representative"]["name"].as_str().unwrap_or("")
                )
            },
            vec![],
        ),
        "action_completed" => (format!("Action {} done", e["action"]), vec![s("note")]),
        "compensation_offered" => (
            format!(
                "Compensation offered: {}",
                p3_domain::casefile::pounds(e["amount_pence"].as_u64().unwrap_or(0))
            ),
            vec![s("reason")],
        ),
        "compensation_answered" => (
            format!(
                "Compensation offer {} {}",
                e["offer"],
                if e["accepted"] == true {
                    "accepted"
                } else {
                    "declined"
                }
            ),
            vec![],
        ),
        "compensation_paid" => (
            format!("Compensation offer {} paid", e["offer"]),
            e["payment_reference"]
                .as_str()
                .map(|r| vec![format!("Payment reference: {r}")])
                .unwrap_or_default(),
        ),
        "ombudsman_ordered" => (
            "The Housing Ombudsman ordered an action".into(),
            vec![
                s("description"),
                format!("Due {}, owner {}", s("due"), s("owner")),
            ],
        ),
        "note_added" => (
            match e["corrects"].as_u64() {
                Some(n) => format!("Note added, correcting note {n} (internal)"),
                None => "Note added (internal)".into(),
            },
            vec![s("text")],
        ),
        "correspondence_logged" => (
            format!(
                "Correspondence {}: {}",
                if s("direction") == "inbound" {
                    "received"
                } else {
                    "sent"
                },
                humanise(&s("channel")).to_lowercase()
            ),
            vec![s("summary")],
        ),
        "anonymised" => (
            "Personal data removed: retention period ended".into(),
            vec![format!(
                "Closed on {}; kept {} years",
                s("closed_on"),
                e["retention_years"].as_u64().unwrap_or(0)
            )],
        ),
        other => (humanise(other), vec![]),
    };
    let at = s("at");
    let recorded = s("recorded_at");
    let late_record = match (
        chrono::DateTime::parse_from_rfc3339(&at),
        chrono::DateTime::parse_from_rfc3339(&recorded),
    ) {
        (Ok(a), Ok(r)) => (r - a).num_minutes() > 5,
        _ => false,
    };
    let mut meta = format!("{} by {}", london_datetime_str(&at), s("by"));
    if late_record {
        meta.push_str(&format!(" (recorded {})", london_datetime_str(&recorded)));
    }
    if e["imported"].as_bool() == Some(true) {
        meta.push_str(" · imported from the previous system");
    }
    if e["recorded_late"].as_bool() == Some(true) {
        meta.push_str(&format!(
            " · recorded late: recorded on {} for {}",
            london_datetime_str(&recorded),
            london_datetime_str(&at)
        ));
    }
    if let Some(reason) = e["backdate_reason"].as_str() {
        meta.push_str(&format!(" · reason for the date: {reason}"));
    }
    let mut out = format!(
        "<li class=\"timeline__item\"><h3 class=\"timeline__title\">{}</h3><p class=\"timeline__meta\">{}</p>",
        esc(&title),
        esc(&meta)
    );
    for d in detail.iter().filter(|d| !d.trim().is_empty()) {
        out.push_str(&format!(
            "<p class=\"timeline__detail pre-wrap\">{}</p>",
            esc(d)
        ));
    }
    out.push_str("</li>");
    out
}
