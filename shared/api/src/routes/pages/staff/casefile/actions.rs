//! The promised actions and the compensation offered, with their forms.

use super::*;
use crate::routes::pages::staff::case::form::{CaseForm, Choice, Ctl, Part};
use crate::routes::pages::urgency::Urgency;

/// A promised action or an Ombudsman order, as its table row shows it.
pub(in crate::routes::pages::staff) struct ActionRow {
    pub(in crate::routes::pages::staff) number: u16,
    pub(in crate::routes::pages::staff) description: String,
    /// "Ombudsman order" or "Promised at Stage 1".
    pub(in crate::routes::pages::staff) from: String,
    pub(in crate::routes::pages::staff) owner: String,
    pub(in crate::routes::pages::staff) due: String,
    pub(in crate::routes::pages::staff) status: Urgency,
    /// When, by whom and how it was done.
    pub(in crate::routes::pages::staff) done: Option<(String, String, String)>,
}

/// The section of the actions promised and the Ombudsman's orders.
pub(in crate::routes::pages::staff) struct TrackedActions {
    pub(in crate::routes::pages::staff) rows: Vec<ActionRow>,
    pub(in crate::routes::pages::staff) forms: Vec<CaseForm>,
}

pub(in crate::routes::pages::staff) fn actions_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> TrackedActions {
    let actions = &view.actions;
    let rows = actions
        .iter()
        .map(|a| ActionRow {
            number: a.number,
            description: a.description.to_string(),
            from: if a.source == "ombudsman_order" {
                "Ombudsman order".to_string()
            } else {
                format!("Promised at Stage {}", a.response_stage.unwrap_or_default())
            },
            owner: a.owner.to_string(),
            due: long_date(a.due),
            status: status_tag(a.status.map(Urgency::status_name).unwrap_or("")),
            done: a
                .completed
                .as_ref()
                .map(|c| (london_datetime(c.at), c.by.clone(), c.note.clone())),
        })
        .collect();
    let mut forms = Vec::new();
    for a in actions.iter().filter(|a| a.completed.is_none()) {
        let n = a.number;
        let fid = form_id("complete", Some(n));
        let title = format!("Mark action {n} as done");
        forms.push(form(
            who,
            view,
            attempt,
            Form {
                action: "complete",
                item: Some(n),
                title: &title,
                fields: vec![field(
                    attempt,
                    &fid,
                    "note",
                    "What was done",
                    "Kept as evidence: what was done, and how the resident was told.",
                    "",
                    Ctl::TextArea(3),
                )],
                button: "Mark as done",
            },
        ));
    }
    if view.ombudsman.iter().any(|o| o.event == "determination") {
        let fields = vec![
            field(
                attempt,
                "order",
                "description",
                "What the Ombudsman ordered",
                "",
                "",
                Ctl::TextArea(3),
            ),
            field(
                attempt,
                "order",
                "due",
                "Due date",
                "",
                "",
                Ctl::Input("date"),
            ),
            field(
                attempt,
                "order",
                "owner",
                "Owner's email",
                "Who sees it done. Alerts go to them until it is marked done.",
                "",
                Ctl::Input("email"),
            ),
        ];
        forms.push(form(
            who,
            view,
            attempt,
            Form {
                action: "order",
                item: None,
                title: "Record an order of the Ombudsman's determination",
                fields,
                button: "Record the order",
            },
        ));
    }
    TrackedActions { rows, forms }
}

/// An offer of compensation, as its table row shows it.
pub(in crate::routes::pages::staff) struct OfferRow {
    pub(in crate::routes::pages::staff) number: u16,
    pub(in crate::routes::pages::staff) reason: String,
    pub(in crate::routes::pages::staff) offered: String,
    pub(in crate::routes::pages::staff) amount: String,
    pub(in crate::routes::pages::staff) state: Urgency,
    pub(in crate::routes::pages::staff) payment: Option<String>,
}

/// The compensation section.
pub(in crate::routes::pages::staff) struct Compensation {
    pub(in crate::routes::pages::staff) rows: Vec<OfferRow>,
    pub(in crate::routes::pages::staff) forms: Vec<CaseForm>,
}

const ANSWERS: [(&str, &str); 2] = [("true", "Accepted"), ("false", "Declined")];

pub(in crate::routes::pages::staff) fn compensation_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> Compensation {
    let offers = &view.compensation;
    let rows = offers
        .iter()
        .map(|o| OfferRow {
            number: o.number,
            reason: o.reason.to_string(),
            offered: london_datetime(o.offered_at),
            amount: o.amount.clone(),
            state: match o.state {
                "paid" => tag("Paid", "tag--green"),
                "accepted" => tag("Accepted, not paid yet", "tag--yellow"),
                "declined" => tag("Declined", "tag--grey"),
                _ => tag("Offered, no answer yet", "tag--grey"),
            },
            payment: o.payment_reference.cloned(),
        })
        .collect();
    let mut forms = Vec::new();
    for o in offers {
        let n = o.number;
        match o.state {
            "offered" => {
                let fid = form_id("answer", Some(n));
                let id = format!("{fid}-accepted");
                let title = format!("Record the resident's answer to offer {n}");
                let answer = Choice {
                    selected: Some(value(attempt, &fid, "accepted", "")).filter(|s| !s.is_empty()),
                    error: attempt.error(&id).map(str::to_string),
                    id,
                    name: "accepted".into(),
                    legend: "The resident's answer".into(),
                    hint: "",
                    options: &ANSWERS,
                };
                forms.push(form(
                    who,
                    view,
                    attempt,
                    Form {
                        action: "answer",
                        item: Some(n),
                        title: &title,
                        fields: vec![Part::Radios(answer)],
                        button: "Record the answer",
                    },
                ));
            }
            "accepted" => {
                let fid = form_id("pay", Some(n));
                let title = format!("Record the payment of offer {n}");
                forms.push(form(
                    who,
                    view,
                    attempt,
                    Form {
                        action: "pay",
                        item: Some(n),
                        title: &title,
                        fields: vec![field(
                            attempt,
                            &fid,
                            "payment_reference",
                            "Payment reference (optional)",
                            "The finance system's reference.",
                            "",
                            Ctl::Input("text"),
                        )],
                        button: "Record the payment",
                    },
                ));
            }
            _ => {}
        }
    }
    let fields = vec![
        field(
            attempt,
            "compensation",
            "amount",
            "Amount in pounds",
            "For example, 50 or 125.50.",
            "",
            Ctl::Input("text"),
        ),
        field(
            attempt,
            "compensation",
            "reason",
            "What it is for",
            "",
            "",
            Ctl::TextArea(3),
        ),
    ];
    forms.push(form(
        who,
        view,
        attempt,
        Form {
            action: "compensation",
            item: None,
            title: "Offer compensation",
            fields,
            button: "Record the offer",
        },
    ));
    Compensation { rows, forms }
}
