//! Every event of a case in plain English, for the pack's case history.

use chrono::NaiveDate;
use p3_domain::casefile::pounds;
use p3_domain::correspondence::{CorrespondenceChannel, Direction};
use p3_domain::event::{CaseEvent, ExclusionGround, Outcome, RequestedThrough};
use p3_domain::letter::Delivery;

use crate::html::humanise;

/// A London date as `Tue 3 Nov 2026`.
pub(super) fn day(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// A decision in words.
pub(super) fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Upheld => "upheld",
        Outcome::PartlyUpheld => "partly upheld",
        Outcome::NotUpheld => "not upheld",
    }
}

fn ground(g: ExclusionGround) -> &'static str {
    match g {
        ExclusionGround::Over12Months => "the issue arose more than 12 months before the complaint",
        ExclusionGround::LegalProceedings => "legal proceedings have started",
        ExclusionGround::AlreadyConsidered => "the complaint has already been considered",
    }
}

/// How correspondence went, in words ("by email", "in person").
pub(super) fn channel_words(c: CorrespondenceChannel) -> &'static str {
    match c {
        CorrespondenceChannel::Email => "by email",
        CorrespondenceChannel::Letter => "by letter",
        CorrespondenceChannel::Phone => "by phone",
        CorrespondenceChannel::InPerson => "in person",
        CorrespondenceChannel::Online => "online",
        CorrespondenceChannel::Other => "another way",
    }
}

/// Points as quoted, one after the other.
pub(super) fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("\u{201c}{i}\u{201d}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What an event was, in plain English (plain text: escape it before putting it in HTML).
pub fn describe(event: &CaseEvent) -> String {
    match event {
        CaseEvent::Received {
            procedure,
            complaint,
            service_request,
            ..
        } => {
            let mut s = format!(
                "Complaint received by {} and logged at Stage 1 under the {procedure} procedure",
                humanise(complaint.channel.as_str()).to_lowercase()
            );
            if let Some(c) = &complaint.category {
                s.push_str(&format!("; category: {}", humanise(c).to_lowercase()));
            }
            if let Some(sr) = service_request {
                s.push_str(&format!(
                    "; raised from service request {sr}, whose outcome the resident was dissatisfied with"
                ));
            }
            s.push('.');
            s
        }
        CaseEvent::ResolvedAtFirstContact { outcome: o, summary } => format!(
            "Resolved at first contact with the resident's agreement ({}): {summary}",
            outcome(*o)
        ),
        CaseEvent::Acknowledged {
            stage,
            handler,
            complaint_points,
            responsible_for,
            not_responsible_for,
        } => {
            let who = if *stage == 1 {
                "Investigating Manager"
            } else {
                "reviewer"
            };
            let mut s = format!("Stage {stage} acknowledged, defined and logged; {who}: {handler}.");
            if !complaint_points.is_empty() {
                s.push_str(&format!(
                    " The complaint as defined: {}.",
                    list(complaint_points)
                ));
            }
            if let Some(r) = responsible_for {
                s.push_str(&format!(" The landlord is responsible for: {r}."));
            }
            if let Some(r) = not_responsible_for {
                s.push_str(&format!(" The landlord is not responsible for: {r}."));
            }
            s
        }
        CaseEvent::Extended {
            stage,
            working_days,
            reason,
        } => format!(
            "Stage {stage} response deadline extended by {working_days} working day{}. Reason given to the resident: {reason}",
            if *working_days == 1 { "" } else { "s" }
        ),
        CaseEvent::Responded { stage, response } => {
            let mut s = format!(
                "Stage {stage} response issued: complaint {}. {}",
                outcome(response.outcome),
                response.summary
            );
            if let Some(r) = &response.remedy {
                s.push_str(&format!(" Remedy: {r}"));
            }
            for p in &response.point_decisions {
                s.push_str(&format!(
                    " Point \u{201c}{}\u{201d}: {}{}.",
                    p.point,
                    outcome(p.decision),
                    p.reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ));
            }
            for a in &response.actions {
                s.push_str(&format!(" Action promised: {} by {}.", a.description, day(a.due)));
            }
            if let Some(p) = response.compensation_pence {
                s.push_str(&format!(" Compensation offered: {}.", pounds(p)));
            }
            s
        }
        CaseEvent::EscalationRequested {
            stage,
            reason,
            late,
            through,
        } => {
            let via = match through {
                RequestedThrough::Resident => "by the resident on their complaint page",
                RequestedThrough::Staff => "recorded by staff for the resident",
            };
            let mut s = format!("Stage {stage} requested {via}");
            if *late {
                s.push_str(", after the window to ask (accepted and flagged late)");
            }
            s.push('.');
            if let Some(r) = reason {
                s.push_str(&format!(" The resident's reason: {r}"));
            }
            s
        }
        CaseEvent::Refused {
            stage,
            ground: g,
            explanation,
        } => format!(
            "Refused at Stage {stage} on the ground that {}. Explanation given to the resident: {explanation}",
            ground(*g)
        ),
        CaseEvent::Withdrawn { reason } => match reason {
            Some(r) => format!("Withdrawn by the resident, who said: {r}"),
            None => "Withdrawn by the resident.".into(),
        },
        CaseEvent::OmbudsmanReferred { detail } => {
            format!("Referred to the Housing Ombudsman: {detail}")
        }
        CaseEvent::OmbudsmanDetermination { detail } => {
            format!("The Housing Ombudsman's determination: {detail}")
        }
        CaseEvent::PointsRevised {
            stage,
            complaint_points,
            reason,
        } => format!(
            "The complaint's points at Stage {stage} were revised to: {}. Why: {reason}",
            list(complaint_points)
        ),
        CaseEvent::Reassigned {
            stage,
            handler,
            reason,
        } => format!("Stage {stage} reassigned to {handler}. Why: {reason}"),
        CaseEvent::NeedsRecorded { needs } => {
            let mut s = String::from("Needs and reasonable adjustments recorded");
            s.push_str(if needs.consent {
                " with the resident's consent"
            } else {
                " (consent not recorded)"
            });
            s.push_str(&format!(". Adjustments: {}.", needs.adjustments));
            if let Some(v) = &needs.vulnerabilities {
                s.push_str(&format!(" Circumstances: {v}."));
            }
            s.push_str(&format!(" To be reviewed by {}.", day(needs.review_on)));
            s
        }
        CaseEvent::ContactPreferencesSet { preferences } => {
            let mut s = format!(
                "Contact preferences set: by {}, {} format",
                preferences.method.as_str(),
                humanise(preferences.format.as_str()).to_lowercase()
            );
            if let Some(l) = &preferences.language {
                s.push_str(&format!(", letters in {l}"));
            }
            s.push('.');
            s
        }
        CaseEvent::RepresentativeSet { representative } => match representative {
            None => "Representative removed.".into(),
            Some(r) => format!(
                "Representative set: {}{}; {}.",
                r.name,
                r.relationship
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default(),
                if r.authorised_copies {
                    "the resident authorised copies of letters to them"
                } else {
                    "no copies of letters authorised"
                }
            ),
        },
        CaseEvent::ActionCompleted { action, note } => {
            format!("Action {action} completed. Evidence: {note}")
        }
        CaseEvent::CompensationOffered {
            amount_pence,
            reason,
        } => format!("Compensation of {} offered for: {reason}", pounds(*amount_pence)),
        CaseEvent::CompensationAnswered { offer, accepted } => format!(
            "The resident {} compensation offer {offer}.",
            if *accepted { "accepted" } else { "declined" }
        ),
        CaseEvent::CompensationPaid {
            offer,
            payment_reference,
        } => match payment_reference {
            Some(r) => format!("Compensation offer {offer} paid (payment reference {r})."),
            None => format!("Compensation offer {offer} paid."),
        },
        CaseEvent::OmbudsmanOrdered {
            description,
            due,
            owner,
        } => format!(
            "The Housing Ombudsman ordered: {description}. Due by {}; owner: {owner}.",
            day(*due)
        ),
        CaseEvent::LetterIssued { letter } => {
            let to = letter
                .to
                .iter()
                .map(|a| {
                    format!(
                        "{} ({}) by {}",
                        a.name.as_deref().unwrap_or("no name given"),
                        match a.role {
                            p3_domain::letter::Role::Resident => "resident",
                            p3_domain::letter::Role::Representative => "representative",
                        },
                        match a.delivery {
                            Delivery::Email => "email",
                            Delivery::Post => "post",
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join(" and ");
            format!(
                "Letter {} issued ({}), dated {}: \u{201c}{}\u{201d}, to {to}.",
                letter.number,
                letter.kind.label(letter.stage),
                day(letter.dated),
                letter.subject
            )
        }
        CaseEvent::NoteAdded { text, corrects } => match corrects {
            Some(n) => format!("Internal note correcting note {n}: {text}"),
            None => format!("Internal note: {text}"),
        },
        CaseEvent::CorrespondenceLogged {
            direction,
            channel,
            summary,
            attachments,
        } => {
            let mut s = format!(
                "{} {}: {summary}",
                match direction {
                    Direction::Inbound => "Received",
                    Direction::Outbound => "Sent or said",
                },
                channel_words(*channel)
            );
            if !attachments.is_empty() {
                s.push_str(&format!(" Attachments: {}.", attachments.join(", ")));
            }
            s
        }
        CaseEvent::AttachmentAdded {
            id,
            filename,
            content_type,
            size,
            sha256,
            description,
        } => {
            let mut s = format!(
                "File added: \u{201c}{filename}\u{201d} ({content_type}, {}), attachment {id}, SHA-256 {sha256}.",
                p3_domain::attachment::size_label(*size)
            );
            if !description.is_empty() {
                s.push_str(&format!(" {description}"));
            }
            s
        }
        CaseEvent::UpdateIntervalAgreed { working_days } => format!(
            "Update interval agreed with the resident: every {working_days} working days."
        ),
        CaseEvent::UpdateGiven { message } => format!("Update sent to the resident: {message}"),
        CaseEvent::ActionMoved {
            action,
            due,
            reason,
        } => format!(
            "Action {action} moved to {}; the resident was told. Why: {reason}",
            day(*due)
        ),
        CaseEvent::RestrictionRecorded {
            reason,
            restricted,
            review_on,
        } => format!(
            "Restriction for unacceptable behaviour recorded: {restricted}. Why: {reason}. To be reviewed by {}.",
            day(*review_on)
        ),
        CaseEvent::RestrictionReviewed { outcome, review_on } => match review_on {
            Some(d) => format!(
                "Restriction reviewed: {}; next review by {}.",
                outcome.as_str(),
                day(*d)
            ),
            None => format!("Restriction reviewed: {}.", outcome.as_str()),
        },
        CaseEvent::Anonymised {
            closed_on,
            retention_years,
        } => format!(
            "Personal data removed at the end of the {retention_years}-year retention period (the case closed on {}).",
            day(*closed_on)
        ),
    }
}
