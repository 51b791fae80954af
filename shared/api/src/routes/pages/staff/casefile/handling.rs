//! Who handles the case and its points, with their forms.

use super::*;
pub(in crate::routes::pages::staff) fn handling_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> String {
    let mut out =
        String::from("<h2 class=\"heading-l\" id=\"handling\">Complaint points and handler</h2>");
    let mut items = String::new();
    for s in &view.stages {
        let n = s.stage;
        for r in s.point_revisions {
            let before: Vec<String> = r.before.iter().map(|p| esc(p)).collect();
            items.push_str(&format!(
                "<li>Stage {n} points revised {at} by {by}: {reason}<br><span class=\"secondary\">Before: {before}</span></li>",
                at = esc(&london_datetime(r.at)),
                by = esc(&r.by),
                reason = esc(&r.reason),
                before = before.join("; "),
            ));
        }
        for r in s.reassignments {
            items.push_str(&format!(
                "<li>Stage {n} handler changed from {from} to {to} on {at} by {by}: {reason}</li>",
                from = esc(&r.from),
                to = esc(&r.to),
                at = esc(&london_datetime(r.at)),
                by = esc(&r.by),
                reason = esc(&r.reason),
            ));
        }
    }
    if items.is_empty() {
        out.push_str("<p>The points and the handler have not changed since acknowledgement.</p>");
    } else {
        out.push_str(&format!("<ul class=\"list\">{items}</ul>"));
    }
    let status = view.status.as_str();
    let current = view.stages.last();
    let open = status != "withdrawn"
        && status != "refused"
        && current.is_some_and(|c| c.acknowledged_at.is_some() && c.responded_at.is_none());
    if !open {
        out.push_str("<p class=\"secondary\">The points and the handler can be changed between a stage's acknowledgement and its response.</p>");
        return out;
    }
    let points: Vec<&str> = current
        .map(|c| c.complaint_points.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let stage = view.stage;
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
