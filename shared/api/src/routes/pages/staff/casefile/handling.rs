//! Who handles the case and its points, with their forms.

use super::*;
use crate::routes::pages::staff::case::form::{CaseForm, Ctl};

/// A change since acknowledgement.
pub(in crate::routes::pages::staff) enum Change {
    /// The points were revised: what they were before, joined.
    Points { before: String },
    /// The handler changed from one to another.
    Handler { from: String, to: String },
}

/// One change, with its stage, when, by whom and why.
pub(in crate::routes::pages::staff) struct HandlingItem {
    pub(in crate::routes::pages::staff) stage: u8,
    pub(in crate::routes::pages::staff) change: Change,
    pub(in crate::routes::pages::staff) at: String,
    pub(in crate::routes::pages::staff) by: String,
    pub(in crate::routes::pages::staff) reason: String,
}

/// The section on the complaint's points and its handler.
pub(in crate::routes::pages::staff) struct Handling {
    pub(in crate::routes::pages::staff) items: Vec<HandlingItem>,
    /// Between a stage's acknowledgement and its response: the forms are offered.
    pub(in crate::routes::pages::staff) open: bool,
    pub(in crate::routes::pages::staff) forms: Vec<CaseForm>,
}

pub(in crate::routes::pages::staff) fn handling_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> Handling {
    let mut items = Vec::new();
    for s in &view.stages {
        for r in s.point_revisions {
            items.push(HandlingItem {
                stage: s.stage,
                change: Change::Points {
                    before: r.before.join("; "),
                },
                at: london_datetime(r.at),
                by: r.by.clone(),
                reason: r.reason.clone(),
            });
        }
        for r in s.reassignments {
            items.push(HandlingItem {
                stage: s.stage,
                change: Change::Handler {
                    from: r.from.clone(),
                    to: r.to.clone(),
                },
                at: london_datetime(r.at),
                by: r.by.clone(),
                reason: r.reason.clone(),
            });
        }
    }
    let status = view.status.as_str();
    let current = view.stages.last();
    let open = status != "withdrawn"
        && status != "refused"
        && current.is_some_and(|c| c.acknowledged_at.is_some() && c.responded_at.is_none());
    let mut section = Handling {
        items,
        open,
        forms: Vec::new(),
    };
    if !open {
        return section;
    }
    let points = current
        .map(|c| c.complaint_points.join("\n"))
        .unwrap_or_default();
    let stage = view.stage;
    let title = format!("Revise the Stage {stage} complaint points");
    let fields = vec![
        field(
            attempt,
            "points",
            "complaint_points",
            "Complaint points",
            "One point on each line, as now agreed with the resident. The points before are kept.",
            &points,
            Ctl::TextArea(4),
        ),
        field(
            attempt,
            "points",
            "reason",
            "Why the points changed",
            "",
            "",
            Ctl::TextArea(2),
        ),
    ];
    section.forms.push(form(
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
    let fields = vec![
        field(
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
            Ctl::Input("email"),
        ),
        field(
            attempt,
            "reassign",
            "reason",
            "Why the handler changes",
            "",
            "",
            Ctl::TextArea(2),
        ),
    ];
    let title = format!("Change the Stage {stage} handler");
    section.forms.push(form(
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
    section
}
