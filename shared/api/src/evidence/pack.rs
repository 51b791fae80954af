//! The pack as documents: the whole case file in one HTML document, and each letter as its
//! own printable one. This module lays the case out as views; the templates in
//! `templates/evidence/` write the markup and escape everything from the case.

use std::collections::BTreeMap;

use askama::Template;
use chrono::{DateTime, Utc};
use p3_domain::case::{Case, Rules};
use p3_domain::casefile::{pounds, ActionSource};
use p3_domain::deadline::{self, DeadlineStatus, DeadlineStep};
use p3_domain::event::{CaseEvent, RequestedThrough};
use p3_domain::letter::{Delivery, Letter};
use p3_domain::london::london_date;
use p3_domain::HOUSING_OMBUDSMAN;

use super::describe::{day, describe, list, outcome};
use super::letter::{letter_document, letter_file};
use super::{content_security_policy, Evidence, Producer};
use crate::html::{humanise, london_datetime};

/// The stylesheet of the pack and the letters: printable, no external resources.
pub(super) const STYLE: &str = "body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;line-height:1.4;color:#0b0c0c;max-width:60em;margin:1.5em auto;padding:0 1em}\
h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:2px solid #0b0c0c;margin-top:2em}h3{font-size:1.1em}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}th,td{border:1px solid #b1b4b6;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f3f2f1}dl{display:grid;grid-template-columns:14em 1fr;gap:.2em 1em}dt{font-weight:bold}dd{margin:0;white-space:pre-wrap}\
.letter{border:1px solid #0b0c0c;padding:1em 1.5em;margin:1em 0;page-break-inside:auto}\
.text{white-space:pre-wrap}.muted{color:#505a5f}.produced{border:2px solid #0b0c0c;padding:.5em 1em}\
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}tr{page-break-inside:avoid}.letter{page-break-before:always}}";

/// The pack: the case file as the Housing Ombudsman reads it.
#[derive(Template)]
#[template(path = "evidence/pack.html")]
struct PackPage<'a> {
    title: String,
    csp: String,
    style: &'static str,
    reference: &'a str,
    landlord: &'a str,
    produced: String,
    producer: &'a Producer,
    complaint: Vec<(&'static str, Cell)>,
    needs: Option<NeedsView>,
    /// Contact method, letter format, language.
    contact: (String, String, String),
    stages: Vec<StageView>,
    today: String,
    deadlines: Vec<DeadlineView>,
    actions: Vec<ActionView>,
    compensation: Vec<OfferView>,
    /// What, when, details.
    ombudsman: Vec<(&'static str, String, String)>,
    housing_ombudsman: &'static str,
    letters: Vec<LetterView>,
    history: Vec<EventView>,
    notes: Vec<super::case_record::NoteView>,
    correspondence: Vec<super::case_record::CorrespondenceView>,
}

/// A value of the complaint's list.
enum Cell {
    /// Always there.
    Text(String),
    /// "Not given" when missing.
    Given(Option<String>),
    /// "None".
    None,
}

struct NeedsView {
    adjustments: String,
    circumstances: Option<String>,
    consent: &'static str,
    review_by: String,
}

struct StageView {
    number: u8,
    started: String,
    request: Option<String>,
    acknowledgement: Option<AcknowledgementView>,
    extensions: Vec<String>,
    response: Option<String>,
    /// When, by, the points before, why.
    revisions: Vec<[String; 4]>,
    /// When, by, from, to, why.
    reassignments: Vec<[String; 5]>,
}

struct AcknowledgementView {
    when: String,
    handler: String,
    points: Vec<String>,
}

struct DeadlineView {
    kind: String,
    label: String,
    due: String,
    status: &'static str,
    meaning: &'static str,
    met: String,
    extension: Option<ExtensionView>,
}

struct ExtensionView {
    total: String,
    reasons: Vec<String>,
}

struct ActionView {
    number: u16,
    source: String,
    promised: String,
    what: String,
    owner: String,
    due: String,
    status: &'static str,
    done: String,
}

struct OfferView {
    number: u16,
    amount: String,
    reason: String,
    offered: String,
    stage: Option<u8>,
    state: &'static str,
    answer: String,
    paid: String,
}

struct LetterView {
    number: u16,
    label: String,
    subject: String,
    dated: String,
    issued: String,
    format: String,
    language: Option<String>,
    notes: Vec<String>,
    recipients: Vec<RecipientView>,
    /// The letter as issued: HTML the letter templates rendered, kept as written.
    html: String,
}

struct RecipientView {
    role: &'static str,
    name: Option<String>,
    contact: Vec<String>,
    how: &'static str,
    state: String,
}

struct EventView {
    number: u64,
    /// The event's name, "(imported)" after it when it came from the previous system.
    name: String,
    what: String,
    by: String,
    at: String,
    recorded: String,
    /// "recorded late: recorded on … for …" when entered more than one working day after it
    /// happened, with a senior manager's reason for the date when one was given.
    late: Option<String>,
}

/// A document as text, ending with a newline (askama drops a template's last one). None of
/// these templates fails on any values; should one, the document says so instead of a panic.
pub(super) fn rendered(page: &impl Template) -> String {
    match page.render() {
        Ok(mut html) => {
            html.push('\n');
            html
        }
        Err(e) => format!("<!DOCTYPE html>\n<p>This document could not be drawn: {e}</p>\n"),
    }
}

pub(super) fn when(t: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        london_datetime(t),
        t.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// What the history says of an event recorded late, and of a reason for its date.
fn late_note(e: &p3_domain::event::EventRecord) -> Option<String> {
    let late = e.recorded_late.then(|| {
        format!(
            "recorded late: recorded on {} for {}",
            london_datetime(e.recorded_at),
            london_datetime(e.at)
        )
    });
    let reason = e
        .backdate_reason
        .as_ref()
        .map(|r| format!("reason for the date: {r}"));
    match (late, reason) {
        (None, None) => None,
        (Some(l), None) => Some(l),
        (None, Some(r)) => Some(r),
        (Some(l), Some(r)) => Some(format!("{l}; {r}")),
    }
}

fn plural_days(n: u32) -> String {
    format!("{n} working day{}", if n == 1 { "" } else { "s" })
}

/// A value someone gave, or none when it is missing or blank.
pub(super) fn given(s: Option<&str>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty()).map(str::to_string)
}

fn status_words(s: DeadlineStatus) -> &'static str {
    match s {
        DeadlineStatus::Pending => "pending",
        DeadlineStatus::Met => "met",
        DeadlineStatus::MetLate => "met_late",
        DeadlineStatus::Breached => "breached",
        DeadlineStatus::Cancelled => "cancelled",
        DeadlineStatus::Expired => "expired",
    }
}

fn status_meaning(s: DeadlineStatus) -> &'static str {
    match s {
        DeadlineStatus::Pending => "not yet due",
        DeadlineStatus::Met => "met on time",
        DeadlineStatus::MetLate => "met after the due date",
        DeadlineStatus::Breached => "missed: passed without being met",
        DeadlineStatus::Cancelled => "no longer owed (withdrawn or refused first)",
        DeadlineStatus::Expired => "the resident did not ask in time",
    }
}

fn role_name(r: p3_domain::letter::Role) -> &'static str {
    match r {
        p3_domain::letter::Role::Resident => "Resident",
        p3_domain::letter::Role::Representative => "Representative",
    }
}

fn complaint(case: &Case, status: &str) -> Vec<(&'static str, Cell)> {
    let c = &case.complaint;
    let r = &c.resident;
    let tenure = serde_json::to_value(c.tenure)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let representative = match &c.representative {
        None => Cell::None,
        Some(rep) => Cell::Text(format!(
            "{}{}{}{}; {}",
            rep.name,
            rep.relationship
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            rep.email
                .as_deref()
                .map(|x| format!(", {x}"))
                .unwrap_or_default(),
            rep.address
                .as_deref()
                .map(|x| format!(", {x}"))
                .unwrap_or_default(),
            if rep.authorised_copies {
                "copies of letters authorised by the resident"
            } else {
                "no copies of letters authorised"
            }
        )),
    };
    vec![
        ("Reference", Cell::Text(case.reference.clone())),
        ("Status", Cell::Text(humanise(status))),
        ("Procedure", Cell::Text(case.procedure.clone())),
        ("Received", Cell::Text(when(case.received_at))),
        ("Channel", Cell::Text(humanise(c.channel.as_str()))),
        (
            "Category",
            Cell::Given(given(c.category.as_deref().map(humanise).as_deref())),
        ),
        ("Tenure", Cell::Text(humanise(&tenure))),
        ("Resident", Cell::Given(given(r.name.as_deref()))),
        ("Email", Cell::Given(given(r.email.as_deref()))),
        ("Phone", Cell::Given(given(r.phone.as_deref()))),
        ("Address", Cell::Given(given(r.address.as_deref()))),
        ("Postcode", Cell::Given(given(r.postcode.as_deref()))),
        (
            "Tenancy reference",
            Cell::Given(given(r.tenancy_reference.as_deref())),
        ),
        ("Representative", representative),
        (
            "Linked service request",
            Cell::Given(given(case.service_request.as_deref())),
        ),
        ("Description", Cell::Text(c.description.clone())),
        (
            "Desired outcome",
            Cell::Given(given(c.desired_outcome.as_deref())),
        ),
    ]
}

fn stages(case: &Case) -> Vec<StageView> {
    case.stages
        .iter()
        .map(|s| StageView {
            number: s.number,
            started: when(s.started_at),
            request: s.request.as_ref().map(|req| {
                format!(
                    "{}{}{}",
                    match req.through {
                        RequestedThrough::Resident => "By the resident",
                        RequestedThrough::Staff => "Through staff",
                    },
                    if req.late { " (late, accepted)" } else { "" },
                    req.reason
                        .as_deref()
                        .map(|x| format!(". Reason: {x}"))
                        .unwrap_or_default()
                )
            }),
            acknowledgement: s.acknowledgement.as_ref().map(|a| AcknowledgementView {
                when: when(a.at),
                handler: a.handler.clone(),
                points: a.complaint_points.clone(),
            }),
            extensions: s
                .extensions
                .iter()
                .map(|e| {
                    format!(
                        "{} by {}: {} working days. Reason: {}",
                        when(e.at),
                        e.by,
                        e.working_days,
                        e.reason
                    )
                })
                .collect(),
            response: s.response.as_ref().map(|resp| {
                format!(
                    "{} by {}{}: {}",
                    when(resp.at),
                    resp.by,
                    if resp.first_contact {
                        " (resolved at first contact)"
                    } else {
                        ""
                    },
                    outcome(resp.response.outcome)
                )
            }),
            revisions: s
                .point_revisions
                .iter()
                .map(|p| [when(p.at), p.by.clone(), list(&p.before), p.reason.clone()])
                .collect(),
            reassignments: s
                .reassignments
                .iter()
                .map(|ra| {
                    [
                        when(ra.at),
                        ra.by.clone(),
                        ra.from.clone(),
                        ra.to.clone(),
                        ra.reason.clone(),
                    ]
                })
                .collect(),
        })
        .collect()
}

fn deadline_rows(case: &Case, deadlines: &[deadline::Deadline]) -> Vec<DeadlineView> {
    deadlines
        .iter()
        .map(|d| DeadlineView {
            kind: d.kind.to_string(),
            label: d.kind.label(),
            due: day(d.due),
            status: status_words(d.status),
            meaning: status_meaning(d.status),
            met: d.met_at.map(when).unwrap_or_default(),
            extension: (d.extended_by != 0).then(|| ExtensionView {
                total: plural_days(d.extended_by),
                reasons: case
                    .stage(d.kind.stage)
                    .map(|s| {
                        s.extensions
                            .iter()
                            .map(|e| {
                                format!(
                                    "{} on {} by {}: {}",
                                    plural_days(e.working_days),
                                    day(london_date(e.at)),
                                    e.by,
                                    e.reason
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }),
        })
        .collect()
}

fn action_rows(case: &Case, deadlines: &[deadline::Deadline]) -> Vec<ActionView> {
    case.actions
        .iter()
        .map(|a| ActionView {
            number: a.number,
            source: match a.source {
                ActionSource::Response { stage } => {
                    format!("Promised in the Stage {stage} response")
                }
                ActionSource::OmbudsmanOrder => "Ordered by the Housing Ombudsman".into(),
            },
            promised: when(a.promised_at),
            what: a.description.clone(),
            owner: a.owner.clone(),
            due: day(a.due),
            status: deadlines
                .iter()
                .find(|d| d.kind.step == DeadlineStep::Action(a.number))
                .map(|d| status_words(d.status))
                .unwrap_or(""),
            done: a
                .completed
                .as_ref()
                .map(|c| format!("{} by {}: {}", when(c.at), c.by, c.note))
                .unwrap_or_else(|| "Not yet".into()),
        })
        .collect()
}

fn offer_rows(case: &Case) -> Vec<OfferView> {
    case.compensation
        .iter()
        .map(|o| OfferView {
            number: o.number,
            amount: pounds(o.amount_pence),
            reason: o.reason.clone(),
            offered: when(o.offered_at),
            stage: o.stage,
            state: o.state(),
            answer: o
                .answer
                .map(|(at, yes)| {
                    format!("{} {}", if yes { "Accepted" } else { "Declined" }, when(at))
                })
                .unwrap_or_default(),
            paid: o
                .paid
                .as_ref()
                .map(|(at, r)| {
                    format!(
                        "{}{}",
                        when(*at),
                        r.as_deref()
                            .map(|x| format!(", reference {x}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
        })
        .collect()
}

fn letter_view(
    case: &Case,
    l: &Letter,
    issued_at: DateTime<Utc>,
    sent: &BTreeMap<String, bool>,
) -> LetterView {
    let record = case.letters.iter().find(|x| x.number == l.number);
    LetterView {
        number: l.number,
        label: l.kind.label(l.stage),
        subject: l.subject.clone(),
        dated: day(l.dated),
        issued: when(issued_at),
        format: humanise(l.format.as_str()),
        language: l.language.clone(),
        notes: l.production_notes.clone(),
        recipients: l
            .to
            .iter()
            .enumerate()
            .map(|(i, a)| RecipientView {
                role: role_name(a.role),
                name: given(a.name.as_deref()),
                contact: a.email.iter().chain(a.address.iter()).cloned().collect(),
                how: match a.delivery {
                    Delivery::Email => "Email",
                    Delivery::Post => "Post",
                },
                state: match a.delivery {
                    Delivery::Post => "Printed and posted by staff".to_string(),
                    Delivery::Email => {
                        let id = record.map(|r| r.delivery_id(&case.reference, i));
                        match id.and_then(|id| sent.get(&id)) {
                            Some(true) => "Sent".into(),
                            Some(false) => "Not sent yet".into(),
                            None => "Unknown".into(),
                        }
                    }
                },
            })
            .collect(),
        html: l.html.clone(),
    }
}

/// Renders the pack. `sent` says, by delivery id
/// ([`p3_domain::letter::LetterRecord::delivery_id`]), whether each email copy of a letter has
/// gone.
pub fn render(
    case: &Case,
    rules: &Rules,
    sent: &BTreeMap<String, bool>,
    producer: &Producer,
    now: DateTime<Utc>,
    landlord: &str,
) -> Evidence {
    let today = london_date(now);
    let policy = rules.policy_of(case).ok();
    let deadlines = policy
        .map(|p| deadline::deadlines(case, p, &rules.calendar, today))
        .unwrap_or_default();
    let status = policy
        .map(|p| case.status(p, &rules.calendar, today).name())
        .unwrap_or_else(|| "unknown".into());
    let letters: Vec<(&Letter, DateTime<Utc>)> = case
        .history
        .iter()
        .filter_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } => Some((letter, e.recorded_at)),
            _ => None,
        })
        .collect();
    let page = PackPage {
        title: format!(
            "Evidence pack for the Housing Ombudsman: {}",
            case.reference
        ),
        csp: content_security_policy(),
        style: STYLE,
        reference: &case.reference,
        landlord,
        produced: when(now),
        producer,
        complaint: complaint(case, &status),
        needs: case.needs.as_ref().map(|n| NeedsView {
            adjustments: n.adjustments.clone(),
            circumstances: given(n.vulnerabilities.as_deref()),
            consent: if n.consent {
                "Given by the resident"
            } else {
                "Not recorded"
            },
            review_by: day(n.review_on),
        }),
        contact: (
            humanise(case.contact.method.as_str()),
            humanise(case.contact.format.as_str()),
            case.contact
                .language
                .clone()
                .unwrap_or_else(|| "English".into()),
        ),
        stages: stages(case),
        today: day(today),
        deadlines: deadline_rows(case, &deadlines),
        actions: action_rows(case, &deadlines),
        compensation: offer_rows(case),
        ombudsman: case
            .ombudsman
            .iter()
            .map(|o| {
                (
                    if o.event == "determination" {
                        "Determination"
                    } else {
                        "Referral"
                    },
                    when(o.at),
                    o.detail.clone(),
                )
            })
            .collect(),
        housing_ombudsman: HOUSING_OMBUDSMAN,
        letters: letters
            .iter()
            .map(|(l, issued_at)| letter_view(case, l, *issued_at, sent))
            .collect(),
        history: case
            .history
            .iter()
            .map(|e| EventView {
                number: e.sequence,
                name: if e.imported {
                    format!("{} (imported)", e.event.name())
                } else {
                    e.event.name().to_string()
                },
                what: describe(&e.event),
                by: e.by.clone(),
                at: when(e.at),
                recorded: when(e.recorded_at),
                late: late_note(e),
            })
            .collect(),
        notes: super::case_record::notes(case),
        correspondence: super::case_record::correspondence(case),
    };
    Evidence {
        reference: case.reference.clone(),
        produced_at: now,
        html: rendered(&page),
        letters: letters
            .iter()
            .map(|(l, _)| (letter_file(l), letter_document(case, l, landlord)))
            .collect(),
        attachments: case.attachments.clone(),
    }
}
