//! The promised actions and the compensation offered, with their forms.

use super::*;
use crate::routes::pages::urgency::Urgency;
pub(in crate::routes::pages::staff) fn actions_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> String {
    let mut out = String::from(
        "<h2 class=\"heading-l\" id=\"tracked-actions\">Actions promised and Ombudsman orders</h2>",
    );
    let actions = &view.actions;
    if actions.is_empty() {
        out.push_str("<p>Nothing has been promised yet. Actions promised in a response are tracked here until they are done.</p>");
    } else {
        out.push_str(
            "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"tracked-actions\" tabindex=\"0\">\
             <table class=\"table\"><thead><tr><th scope=\"col\">Action</th><th scope=\"col\">Owner</th>\
             <th scope=\"col\">Due</th><th scope=\"col\">Where it stands</th></tr></thead><tbody>",
        );
        for a in actions {
            let from = if a.source == "ombudsman_order" {
                "Ombudsman order".to_string()
            } else {
                format!("Promised at Stage {}", a.response_stage.unwrap_or_default())
            };
            let done = match a.completed {
                Some(c) => format!(
                    "<br><span class=\"secondary\">{} by {}: {}</span>",
                    esc(&london_datetime(c.at)),
                    esc(&c.by),
                    esc(&c.note)
                ),
                None => String::new(),
            };
            out.push_str(&format!(
                "<tr><th scope=\"row\">{n}. {d}<br><span class=\"secondary\">{from}</span></th><td>{owner}</td>\
                 <td class=\"nowrap\">{due}</td><td>{status}{done}</td></tr>",
                n = a.number,
                d = esc(a.description),
                from = esc(&from),
                owner = esc(a.owner),
                due = esc(&long_date(a.due)),
                status = status_tag(a.status.map(Urgency::status_name).unwrap_or("")),
            ));
        }
        out.push_str("</tbody></table></div>");
        for a in actions.iter().filter(|a| a.completed.is_none()) {
            let n = a.number;
            let fid = form_id("complete", Some(n));
            let title = format!("Mark action {n} as done");
            out.push_str(&form(
                who,
                view,
                attempt,
                Form {
                    action: "complete",
                    item: Some(n),
                    title: &title,
                    fields: field(
                        attempt,
                        &fid,
                        "note",
                        "What was done",
                        "Kept as evidence: what was done, and how the resident was told.",
                        "",
                        Control::TextArea(3),
                    ),
                    button: "Mark as done",
                },
            ));
        }
    }
    let determination = view.ombudsman.iter().any(|o| o.event == "determination");
    if determination {
        let mut fields = field(
            attempt,
            "order",
            "description",
            "What the Ombudsman ordered",
            "",
            "",
            Control::TextArea(3),
        );
        fields.push_str(&field(
            attempt,
            "order",
            "due",
            "Due date",
            "",
            "",
            Control::Input("date"),
        ));
        fields.push_str(&field(
            attempt,
            "order",
            "owner",
            "Owner's email",
            "Who sees it done. Alerts go to them until it is marked done.",
            "",
            Control::Input("email"),
        ));
        out.push_str(&form(
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
    out
}

pub(in crate::routes::pages::staff) fn compensation_section(
    who: &SignedIn,
    view: &StaffCase,
    attempt: &Attempt,
) -> String {
    let mut out = String::from("<h2 class=\"heading-l\" id=\"compensation\">Compensation</h2>");
    let offers = &view.compensation;
    if offers.is_empty() {
        out.push_str("<p>No compensation has been offered.</p>");
    } else {
        out.push_str(
            "<div class=\"table-wrap\" role=\"region\" aria-labelledby=\"compensation\" tabindex=\"0\">\
             <table class=\"table\"><thead><tr><th scope=\"col\">Offer</th><th scope=\"col\">Amount</th>\
             <th scope=\"col\">Where it stands</th></tr></thead><tbody>",
        );
        for o in offers {
            let mut where_ = match o.state {
                "paid" => tag("Paid", "tag--green"),
                "accepted" => tag("Accepted, not paid yet", "tag--yellow"),
                "declined" => tag("Declined", "tag--grey"),
                _ => tag("Offered, no answer yet", "tag--grey"),
            };
            if let Some(r) = o.payment_reference {
                where_.push_str(&format!(
                    " <span class=\"secondary\">Payment {}</span>",
                    esc(r)
                ));
            }
            out.push_str(&format!(
                "<tr><th scope=\"row\">{n}. {reason}<br><span class=\"secondary\">Offered {at}</span></th>\
                 <td>{amount}</td><td>{where_}</td></tr>",
                n = o.number,
                reason = esc(o.reason),
                at = esc(&london_datetime(o.offered_at)),
                amount = esc(&o.amount),
            ));
        }
        out.push_str("</tbody></table></div>");
    }
    for o in offers {
        let n = o.number;
        match o.state {
            "offered" => {
                let fid = form_id("answer", Some(n));
                let (i, val) = (
                    format!("{fid}-accepted"),
                    value(attempt, &fid, "accepted", ""),
                );
                let title = format!("Record the resident's answer to offer {n}");
                out.push_str(&form(
                    who,
                    view,
                    attempt,
                    Form {
                        action: "answer",
                        item: Some(n),
                        title: &title,
                        fields: Radios {
                            id: &i,
                            name: "accepted",
                            legend: "The resident's answer",
                            hint: "",
                            options: &[("true", "Accepted"), ("false", "Declined")],
                            selected: Some(val.as_str()).filter(|s| !s.is_empty()),
                            error: attempt.error(&i),
                        }
                        .render(),
                        button: "Record the answer",
                    },
                ));
            }
            "accepted" => {
                let fid = form_id("pay", Some(n));
                let title = format!("Record the payment of offer {n}");
                out.push_str(&form(
                    who,
                    view,
                    attempt,
                    Form {
                        action: "pay",
                        item: Some(n),
                        title: &title,
                        fields: field(
                            attempt,
                            &fid,
                            "payment_reference",
                            "Payment reference (optional)",
                            "The finance system's reference.",
                            "",
                            Control::Input("text"),
                        ),
                        button: "Record the payment",
                    },
                ));
            }
            _ => {}
        }
    }
    let mut fields = field(
        attempt,
        "compensation",
        "amount",
        "Amount in pounds",
        "For example, 50 or 125.50.",
        "",
        Control::Input("text"),
    );
    fields.push_str(&field(
        attempt,
        "compensation",
        "reason",
        "What it is for",
        "",
        "",
        Control::TextArea(3),
    ));
    out.push_str(&form(
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
    out
}
