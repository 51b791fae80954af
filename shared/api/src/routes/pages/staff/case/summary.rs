//! The top of the case page and its complaint: the summary, the deadlines table, the complaint
//! as the resident made it and the responses issued, as rows for `templates/staff/case/`.

use chrono::NaiveDate;
use p3_domain::complaint::Tenure;
use p3_domain::deadline::{Deadline, DeadlineStatus, DeadlineStep};

use crate::html::{category_label, decision_words, humanise, london_datetime, long_date};
use crate::routes::pages::urgency::{plural, status_words, Urgency};
use crate::views::{ResponseView, StaffCase};

/// The value of a summary row (plain text: the template escapes it).
pub(in crate::routes::pages::staff) enum Cell {
    /// Text.
    Text(String),
    /// Text kept as typed, line breaks and all.
    Para(String),
    /// A numbered list.
    Numbered(Vec<String>),
    /// A bulleted list.
    Bullets(Vec<String>),
    /// A deadline with its marker: "Stage 1 response, due Friday 15 May 2026", then the marker.
    Due {
        label: String,
        due: String,
        urgency: Urgency,
    },
    /// The decision on each point: (point, decision, reason).
    Decisions(Vec<(String, String, Option<String>)>),
}

/// One row of a summary list.
pub(in crate::routes::pages::staff) type Row = (&'static str, Cell);

/// A row of the deadlines table.
pub(in crate::routes::pages::staff) struct DeadlineRow {
    pub(in crate::routes::pages::staff) label: String,
    /// The resident's window to ask for a stage (not ours).
    pub(in crate::routes::pages::staff) window: bool,
    pub(in crate::routes::pages::staff) extended_by: Option<String>,
    pub(in crate::routes::pages::staff) urgency: Urgency,
    pub(in crate::routes::pages::staff) due: String,
    pub(in crate::routes::pages::staff) met: String,
}

/// A response as the case page shows it.
pub(in crate::routes::pages::staff) struct ResponseBlock {
    pub(in crate::routes::pages::staff) stage: u8,
    pub(in crate::routes::pages::staff) rows: Vec<Row>,
    pub(in crate::routes::pages::staff) issued_by: Option<String>,
}

/// The marker of a landlord deadline due on `due` that stands at `status`, `today`.
pub(in crate::routes::pages::staff) fn urgency(
    calendar: &p3_domain::calendar::Calendar,
    today: NaiveDate,
    due: NaiveDate,
    status: DeadlineStatus,
) -> Urgency {
    Urgency::of(calendar, today, Some(due), Urgency::status_name(status))
}

fn tenure_name(t: &Tenure) -> &'static str {
    match t {
        Tenure::LowCostRental => "low_cost_rental",
        Tenure::LowCostHomeOwnership => "low_cost_home_ownership",
    }
}

/// The summary at the top of the page.
pub(in crate::routes::pages::staff) fn summary(v: &StaffCase, next: Option<Urgency>) -> Vec<Row> {
    let next = match (&v.next_deadline, next) {
        (Some(d), Some(urgency)) => Cell::Due {
            label: d.kind.label(),
            due: long_date(d.due),
            urgency,
        },
        _ => Cell::Text("Nothing due from us".into()),
    };
    vec![
        ("Status", Cell::Text(status_words(&v.status))),
        ("Stage", Cell::Text(format!("Stage {}", v.stage))),
        ("Next deadline", next),
        (
            "Owner (Investigating Manager)",
            Cell::Text(v.owner.unwrap_or("Not assigned yet").into()),
        ),
        (
            "Stage 2 reviewer",
            Cell::Text(v.reviewer.unwrap_or("None").into()),
        ),
        (
            "Received",
            Cell::Text(format!(
                "{} by {}",
                long_date(v.received_on),
                humanise(v.channel.as_str())
            )),
        ),
    ]
}

/// A deadline's row; `urgency` is its marker when it is ours.
pub(in crate::routes::pages::staff) fn deadline_row(d: &Deadline, urgency: Urgency) -> DeadlineRow {
    let window = d.kind.step == DeadlineStep::RequestWindow;
    let urgency = if window {
        let words = match d.status {
            DeadlineStatus::Pending => "Open to the resident",
            DeadlineStatus::Met => "Asked in time",
            DeadlineStatus::MetLate => "Asked late (accepted)",
            DeadlineStatus::Expired => "Expired, not asked",
            DeadlineStatus::Cancelled => "Cancelled",
            other => Urgency::status_name(other),
        };
        Urgency {
            tag: humanise(words),
            tag_class: "tag--grey",
            detail: None,
            row_class: "",
        }
    } else {
        urgency
    };
    DeadlineRow {
        label: d.kind.label(),
        window,
        extended_by: (d.extended_by > 0).then(|| plural(i64::from(d.extended_by), "working day")),
        urgency,
        due: d.due.format("%a %-d %b %Y").to_string(),
        met: d.met_at.map(london_datetime).unwrap_or_else(|| "-".into()),
    }
}

/// A value typed by a person, when there is one that is not blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

/// The complaint as the resident made it.
pub(in crate::routes::pages::staff) fn complaint(v: &StaffCase) -> Vec<Row> {
    let mut rows = vec![("Description", Cell::Para(v.description.into()))];
    if let Some(d) = given(v.desired_outcome) {
        rows.push(("What the resident wants", Cell::Para(d.into())));
    }
    rows.push((
        "Category",
        Cell::Text(
            given(v.category)
                .map(category_label)
                .unwrap_or_else(|| "Not given".into()),
        ),
    ));
    if !v.complaint_points.is_empty() {
        rows.push((
            "Complaint points",
            Cell::Numbered(v.complaint_points.to_vec()),
        ));
    }
    // What the landlord is and is not responsible for, as the latest acknowledgement says.
    let latest = v.stages.iter().rev().find(|s| s.acknowledged_at.is_some());
    if let Some(r) = latest.and_then(|s| s.responsible_for) {
        rows.push(("What we are responsible for", Cell::Para(r.clone())));
    }
    if let Some(r) = latest.and_then(|s| s.not_responsible_for) {
        rows.push(("What we are not responsible for", Cell::Para(r.clone())));
    }
    for (key, value) in [
        ("Name", v.name),
        ("Email", v.email),
        ("Phone", v.phone),
        ("Postcode", v.postcode),
        ("Tenancy reference", v.tenancy_reference),
    ] {
        if let Some(x) = given(value) {
            rows.push((key, Cell::Text(x.into())));
        }
    }
    if let Some(a) = given(v.address) {
        rows.push(("Address", Cell::Para(a.into())));
    }
    if let Some(name) = v.representative_name.filter(|s| !s.trim().is_empty()) {
        let rel = v
            .representative_relationship
            .filter(|s| !s.trim().is_empty())
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        rows.push((
            "Raised by a representative",
            Cell::Text(format!("{name}{rel}")),
        ));
    }
    rows.push(("Tenure", Cell::Text(humanise(tenure_name(v.tenure)))));
    if let Some(s) = given(v.service_request) {
        rows.push(("Service request", Cell::Text(s.into())));
    }
    rows
}

/// A stage's response, with who issued it.
pub(in crate::routes::pages::staff) fn response(r: &ResponseView) -> ResponseBlock {
    let mut rows = vec![
        ("Sent", Cell::Text(long_date(r.issued_on))),
        ("Decision", Cell::Text(decision_words(*r.outcome).into())),
        ("Our reasons", Cell::Para(r.summary.into())),
    ];
    if r.first_contact_resolution {
        rows.push((
            "How it was resolved",
            Cell::Text("When you first contacted us, with your agreement".into()),
        ));
    }
    if let Some(remedy) = r.remedy {
        rows.push((
            "What we will do to put things right",
            Cell::Para(remedy.clone()),
        ));
    }
    if !r.point_decisions.is_empty() {
        rows.push((
            "Each part of your complaint",
            Cell::Decisions(
                r.point_decisions
                    .iter()
                    .map(|p| {
                        (
                            p.point.clone(),
                            humanise(p.decision.as_str()),
                            p.reason.clone(),
                        )
                    })
                    .collect(),
            ),
        ));
    }
    if !r.actions.is_empty() {
        rows.push((
            "What we have promised to do",
            Cell::Bullets(
                r.actions
                    .iter()
                    .map(|a| format!("{}, by {}", a.description, long_date(a.due)))
                    .collect(),
            ),
        ));
    }
    ResponseBlock {
        stage: r.stage,
        rows,
        issued_by: r.issued_by.map(str::to_string),
    }
}
