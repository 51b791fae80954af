//! Who handles the case and its points, with their forms.

use super::*;
pub(in crate::routes::pages::staff) fn handling_section(
    who: &SignedIn,
    view: &Value,
    attempt: &Attempt,
) -> String {
    let mut out =
        String::from("<h2 class=\"heading-l\" id=\"handling\">Complaint points and handler</h2>");
    let stages = view["stages"].as_array().cloned().unwrap_or_default();
    let mut items = String::new();
    for s in &stages {
        let n = &s["stage"];
        for r in s["point_revisions"].as_array().into_iter().flatten() {
            let before: Vec<String> = r["before"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(esc))
                .collect();
            items.push_str(&format!(
                "<li>Stage {n} points revised {at} by {by}: {reason}<br><span class=\"secondary\">Before: {before}</span></li>",
                at = esc(&london_datetime_str(r["at"].as_str().unwrap_or(""))),
                by = esc(r["by"].as_str().unwrap_or("")),
                reason = esc(r["reason"].as_str().unwrap_or("")),
                before = before.join("; "),
            ));
        }
        for r in s["reassignments"].as_array().into_iter().flatten() {
            items.push_str(&format!(
                "<li>Stage {n} handler changed from {from} to {to} on {at} by {by}: {reason}</li>",
                from = esc(r["from"].as_str().unwrap_or("")),
                to = esc(r["to"].as_str().unwrap_or("")),
                at = esc(&london_datetime_str(r["at"].as_str().unwrap_or(""))),
                by = esc(r["by"].as_str().unwrap_or("")),
                reason = esc(r["reason"].as_str().unwrap_or("")),
            ));
        }
    }
    if items.is_empty() {
        out.push_str("<p>The points and the handler have not changed since acknowledgement.</p>");
    } else {
        out.push_str(&format!("<ul class=\"list\">{items}</ul>"));
    }
    let status = view["status"].as_str().unwrap_or("");
    let current = stages.last().cloned().unwrap_or(Value::Null);
    let open = status != "withdrawn"
        && status != "refused"
        && !current["acknowledged_at"].is_null()
        && current["responded_at"].is_null();
    if !open {
        out.push_str("<p class=\"secondary\">The points and the handler can be changed between a stage's acknowledgement and its response.</p>");
        return out;
    }
    let points: Vec<&str> = current["complaint_points"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str())
        .collect();
    let stage = view["stage"].as_u64().unwrap_or(1);
    let mut fields = field(
        attempt,
        "points",
        "complaint_points",
        "Complaint points",
        "One point on each line, as now agreed with the resident. The points before are kept.",
        &points.join("\n"),
        Control::TextArea(4),
    );
    fields.push_str(&field(
        attempt,
        "points",
        "reason",
        "Why the points changed",
        "",
        "",
        Control::TextArea(2),
    ));
    let title = format!("Revise the Stage {stage} complaint points");
    out.push_str(&form(
        who,
        view,
        attempt,
        Form {
            action: "points",
            item: None,
            title: &title,
            fields,
            button: "Revise the points",
        },
    ));
    let mut fields = field(
        attempt,
        "reassign",
        "handler",
        if stage <= 1 {
            "New Investigating Manager's email"
        } else {
            "New reviewer's email"
        },
        "",
        "",
        Control::Input("email"),
    );
    fields.push_str(&field(
        attempt,
        "reassign",
        "reason",
        "Why the handler changes",
        "",
        "",
        Control::TextArea(2),
    ));
    let title = format!("Change the Stage {stage} handler");
    out.push_str(&form(
        who,
        view,
        attempt,
        Form {
            action: "reassign",
            item: None,
            title: &title,
            fields,
            button: "Change the handler",
        },
    ));
    out
}
