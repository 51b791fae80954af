//! The case page's timeline: each event of the case's history as a title, a line saying when
//! and by whom, and details. Read from the domain's typed events (the JSON view keeps its own
//! copy of the history); the evidence pack describes the same events in full sentences
//! ([`crate::evidence::describe`]), the page in short headings.

use chrono::{DateTime, Utc};
use p3_domain::casefile::pounds;
use p3_domain::correspondence::Direction;
use p3_domain::event::{CaseEvent, EventRecord, RequestedThrough};
use p3_domain::letter::{Delivery, Role};

use crate::html::{humanise, london_datetime};
use crate::routes::pages::urgency::plural;

/// One event on the timeline (plain text: the template escapes it).
pub(in crate::routes::pages::staff) struct TimelineItem {
    pub(in crate::routes::pages::staff) title: String,
    /// When it happened and who recorded it, and how it was recorded when that matters.
    pub(in crate::routes::pages::staff) meta: String,
    /// Its details, none blank.
    pub(in crate::routes::pages::staff) details: Vec<String>,
}

/// The timeline of a case's history, oldest first.
pub(in crate::routes::pages::staff) fn timeline(history: &[EventRecord]) -> Vec<TimelineItem> {
    history.iter().map(item).collect()
}

fn reason(r: &str) -> String {
    format!("Reason: {r}")
}

fn title_and_details(event: &CaseEvent) -> (String, Vec<String>) {
    use CaseEvent::*;
    match event {
        Received { .. } => ("Complaint received".into(), vec![]),
        ResolvedAtFirstContact { outcome, summary } => (
            "Resolved at first contact".into(),
            vec![
                format!("Outcome: {}", humanise(outcome.as_str())),
                summary.clone(),
            ],
        ),
        Acknowledged {
            stage,
            handler,
            complaint_points,
            responsible_for,
            not_responsible_for,
        } => {
            let who = if *stage == 1 {
                "Investigating Manager"
            } else {
                "Reviewer"
            };
            let mut d = vec![format!("{who}: {handler}")];
            d.extend(complaint_points.iter().map(|p| format!("Point: {p}")));
            d.extend(
                responsible_for
                    .iter()
                    .map(|r| format!("We are responsible for: {r}")),
            );
            d.extend(
                not_responsible_for
                    .iter()
                    .map(|r| format!("We are not responsible for: {r}")),
            );
            (format!("Stage {stage} acknowledged"), d)
        }
        Extended {
            stage,
            working_days,
            reason: r,
        } => (
            format!(
                "Stage {stage} extended by {}",
                plural(i64::from(*working_days), "working day")
            ),
            vec![reason(r)],
        ),
        Responded { stage, response } => (
            format!("Stage {stage} response sent"),
            vec![format!("Outcome: {}", humanise(response.outcome.as_str()))],
        ),
        EscalationRequested {
            stage,
            reason: r,
            late,
            through,
        } => {
            let mut d = vec![format!(
                "Asked {}{}",
                match through {
                    RequestedThrough::Resident => "by the resident online",
                    RequestedThrough::Staff => "through staff",
                },
                if *late {
                    ", after the resident's window (accepted)"
                } else {
                    ""
                }
            )];
            d.extend(r.as_deref().map(reason));
            (format!("Stage {stage} requested"), d)
        }
        Refused {
            stage,
            ground,
            explanation,
        } => (
            format!("Refused at Stage {stage}"),
            vec![
                format!("Ground: {}", humanise(ground.as_str())),
                explanation.clone(),
            ],
        ),
        Withdrawn { reason: r } => (
            "Withdrawn by the resident".into(),
            r.as_deref().map(reason).into_iter().collect(),
        ),
        OmbudsmanReferred { detail } => (
            "Referred to the Housing Ombudsman".into(),
            vec![detail.clone()],
        ),
        OmbudsmanDetermination { detail } => (
            "The Housing Ombudsman's determination".into(),
            vec![detail.clone()],
        ),
        LetterIssued { letter } => {
            let to: Vec<String> = letter
                .to
                .iter()
                .map(|a| {
                    format!(
                        "{} ({}) by {}",
                        match a.role {
                            Role::Resident => "Resident",
                            Role::Representative => "Representative",
                        },
                        a.name.as_deref().unwrap_or("no name"),
                        match a.delivery {
                            Delivery::Email => "email",
                            Delivery::Post => "post",
                        }
                    )
                })
                .collect();
            (
                format!("Letter {} written: {}", letter.number, letter.subject),
                vec![format!("To: {}", to.join("; "))],
            )
        }
        PointsRevised {
            stage, reason: r, ..
        } => (
            format!("Stage {stage} complaint points revised"),
            vec![reason(r)],
        ),
        Reassigned {
            stage,
            handler,
            reason: r,
        } => (
            format!("Stage {stage} handler changed to {handler}"),
            vec![reason(r)],
        ),
        NeedsRecorded { .. } => ("Support needs recorded, with consent".into(), vec![]),
        ContactPreferencesSet { preferences } => (
            "Contact preferences changed".into(),
            vec![format!(
                "By {}, {}",
                humanise(preferences.method.as_str()).to_lowercase(),
                humanise(preferences.format.as_str()).to_lowercase()
            )],
        ),
        RepresentativeSet { representative } => (
            match representative {
                None => "Representative removed".into(),
                Some(r) => format!("Representative set: {}", r.name),
            },
            vec![],
        ),
        ActionCompleted { action, note } => (format!("Action {action} done"), vec![note.clone()]),
        CompensationOffered {
            amount_pence,
            reason: r,
        } => (
            format!("Compensation offered: {}", pounds(*amount_pence)),
            vec![r.clone()],
        ),
        CompensationAnswered { offer, accepted } => (
            format!(
                "Compensation offer {offer} {}",
                if *accepted { "accepted" } else { "declined" }
            ),
            vec![],
        ),
        CompensationPaid {
            offer,
            payment_reference,
        } => (
            format!("Compensation offer {offer} paid"),
            payment_reference
                .iter()
                .map(|r| format!("Payment reference: {r}"))
                .collect(),
        ),
        OmbudsmanOrdered {
            description,
            due,
            owner,
        } => (
            "The Housing Ombudsman ordered an action".into(),
            vec![description.clone(), format!("Due {due}, owner {owner}")],
        ),
        NoteAdded { text, corrects } => (
            match corrects {
                Some(n) => format!("Note added, correcting note {n} (internal)"),
                None => "Note added (internal)".into(),
            },
            vec![text.clone()],
        ),
        CorrespondenceLogged {
            direction,
            channel,
            summary,
            ..
        } => (
            format!(
                "Correspondence {}: {}",
                match direction {
                    Direction::Inbound => "received",
                    Direction::Outbound => "sent",
                },
                humanise(channel.as_str()).to_lowercase()
            ),
            vec![summary.clone()],
        ),
        AttachmentAdded {
            filename,
            size,
            description,
            ..
        } => (
            "File added".into(),
            [
                format!("{filename} ({})", p3_domain::attachment::size_label(*size)),
                description.clone(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect(),
        ),
        UpdateIntervalAgreed { working_days } => (
            "Update interval agreed".into(),
            vec![format!("Every {working_days} working days")],
        ),
        UpdateGiven { message } => ("Update sent to the resident".into(), vec![message.clone()]),
        ActionMoved {
            action,
            due,
            reason: why,
        } => (
            format!("Action {action} moved"),
            vec![format!("New date: {due}"), reason(why)],
        ),
        RestrictionRecorded {
            reason: why,
            restricted,
            review_on,
        } => (
            "Restriction recorded".into(),
            vec![
                format!("Restricted: {restricted}"),
                reason(why),
                format!("Review by {review_on}"),
            ],
        ),
        RestrictionReviewed { outcome, review_on } => (
            format!("Restriction reviewed: {}", outcome.as_str()),
            review_on
                .iter()
                .map(|d| format!("Next review by {d}"))
                .collect(),
        ),
        Anonymised {
            closed_on,
            retention_years,
        } => (
            "Personal data removed: retention period ended".into(),
            vec![format!(
                "Closed on {closed_on}; kept {retention_years} years"
            )],
        ),
    }
}

/// When it happened and by whom; when it was recorded if more than a few minutes later; and
/// whether it was imported, recorded late, or dated back with a reason.
fn meta(e: &EventRecord) -> String {
    let when = |t: DateTime<Utc>| london_datetime(t);
    let mut meta = format!("{} by {}", when(e.at), e.by);
    if (e.recorded_at - e.at).num_minutes() > 5 {
        meta.push_str(&format!(" (recorded {})", when(e.recorded_at)));
    }
    if e.imported {
        meta.push_str(" · imported from the previous system");
    }
    if e.recorded_late {
        meta.push_str(&format!(
            " · recorded late: recorded on {} for {}",
            when(e.recorded_at),
            when(e.at)
        ));
    }
    if let Some(reason) = &e.backdate_reason {
        meta.push_str(&format!(" · reason for the date: {reason}"));
    }
    meta
}

fn item(e: &EventRecord) -> TimelineItem {
    let (title, details) = title_and_details(&e.event);
    TimelineItem {
        title,
        meta: meta(e),
        details: details
            .into_iter()
            .filter(|d| !d.trim().is_empty())
            .collect(),
    }
}
