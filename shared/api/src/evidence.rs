//! The evidence pack: the whole file of one complaint as the Housing Ombudsman asks a landlord
//! for it, in one self-contained HTML document (and a zip holding that document and every
//! letter as its own printable HTML file). It holds the complaint, every event with who did it,
//! when it happened and when it was recorded, every letter with its full text and how each copy
//! went, the deadlines with how each was met or missed, the tracked actions and Ombudsman
//! orders, compensation, needs and adjustments, contact preferences, revisions of the points,
//! reassignments, and the Ombudsman's involvement.
//!
//! Served at `GET /staff/complaints/{reference}/evidence` to senior managers and auditors only,
//! and written by `p3 evidence REF`. Everything a resident or member of staff typed is escaped;
//! the documents carry no script, and their one inline stylesheet is allowed by its hash.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use p3_domain::case::{Case, Rules};
use p3_domain::casefile::{pounds, ActionSource};
use p3_domain::deadline::{self, DeadlineStatus, DeadlineStep};
use p3_domain::event::{CaseEvent, ExclusionGround, Outcome, RequestedThrough};
use p3_domain::letter::{Delivery, Letter};
use p3_domain::london::london_date;
use p3_domain::service::{Service, ServiceError};
use p3_domain::HOUSING_OMBUDSMAN;
use sha2::Digest;

use crate::auth::{Role, Staff};
use crate::extract::Path;
use crate::html::{esc, humanise, london_datetime};
use crate::problem::Problem;
use crate::AppState;

/// Who produced a pack, printed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    /// Their name.
    pub name: String,
    /// Their email, or how they were identified (the local user for the CLI).
    pub email: String,
    /// Their role, or `command line`.
    pub role: String,
}

/// A rendered pack: the document and each letter as a printable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The case reference.
    pub reference: String,
    /// When it was produced.
    pub produced_at: DateTime<Utc>,
    /// The pack, one HTML document.
    pub html: String,
    /// Each letter: its file name in the zip and its printable HTML.
    pub letters: Vec<(String, String)>,
}

impl Evidence {
    /// `CMP-2026-00001-evidence.html`.
    pub fn html_name(&self) -> String {
        format!("{}-evidence.html", self.reference)
    }

    /// `CMP-2026-00001-evidence.zip`.
    pub fn zip_name(&self) -> String {
        format!("{}-evidence.zip", self.reference)
    }

    /// The zip: the pack first, then every letter.
    pub fn zip(&self) -> Vec<u8> {
        let mut z = StoredZip::new(self.produced_at);
        z.add(&self.html_name(), self.html.as_bytes());
        for (name, html) in &self.letters {
            z.add(name, html.as_bytes());
        }
        z.finish()
    }
}

/// Reads the case and the state of each letter's emails, and renders the pack. `None` when
/// there is no such case.
pub async fn build(
    service: &Service,
    reference: &str,
    producer: &Producer,
) -> Result<Option<Evidence>, ServiceError> {
    let Some(case) = service.store.load(reference).await? else {
        return Ok(None);
    };
    let mut sent = BTreeMap::new();
    for l in &case.letters {
        for (i, a) in l.to.iter().enumerate() {
            if a.delivery == Delivery::Email {
                let id = l.delivery_id(&case.reference, i);
                let was_sent = service.store.alert_sent(&id).await?;
                sent.insert(id, was_sent);
            }
        }
    }
    Ok(Some(render(
        &case,
        &service.rules,
        &sent,
        producer,
        service.clock.now(),
        &service.settings.landlord,
    )))
}

/// The stylesheet of the pack and the letters: printable, no external resources.
const STYLE: &str = "body{font-family:Arial,Helvetica,sans-serif;font-size:11pt;line-height:1.4;color:#0b0c0c;max-width:60em;margin:1.5em auto;padding:0 1em}\
h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:2px solid #0b0c0c;margin-top:2em}h3{font-size:1.1em}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}th,td{border:1px solid #b1b4b6;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f3f2f1}dl{display:grid;grid-template-columns:14em 1fr;gap:.2em 1em}dt{font-weight:bold}dd{margin:0;white-space:pre-wrap}\
.letter{border:1px solid #0b0c0c;padding:1em 1.5em;margin:1em 0;page-break-inside:auto}\
.text{white-space:pre-wrap}.muted{color:#505a5f}.produced{border:2px solid #0b0c0c;padding:.5em 1em}\
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}tr{page-break-inside:avoid}.letter{page-break-before:always}}";

/// The Content-Security-Policy of the documents: no script, nothing fetched, the one inline
/// stylesheet by its hash.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body></html>\n",
        csp = esc(&content_security_policy()),
        t = esc(title),
    )
}

fn when(t: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        london_datetime(t),
        t.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

fn day(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

fn plural_days(n: u32) -> String {
    format!("{n} working day{}", if n == 1 { "" } else { "s" })
}

fn opt(s: Option<&str>) -> String {
    match s {
        Some(v) if !v.trim().is_empty() => esc(v),
        _ => "<span class=\"muted\">Not given</span>".into(),
    }
}

fn outcome(o: Outcome) -> &'static str {
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

fn list(items: &[String]) -> String {
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
        CaseEvent::Anonymised {
            closed_on,
            retention_years,
        } => format!(
            "Personal data removed at the end of the {retention_years}-year retention period (the case closed on {}).",
            day(*closed_on)
        ),
    }
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

/// The file name of a letter in the zip: `letter-01-stage1-acknowledgement.html`.
fn letter_file(l: &Letter) -> String {
    format!(
        "letter-{:02}-stage{}-{}.html",
        l.number,
        l.stage,
        l.kind.as_str().replace('_', "-")
    )
}

fn addressees_block(l: &Letter) -> String {
    let mut s = String::new();
    for a in &l.to {
        s.push_str("<p class=\"text\">");
        if a.role == p3_domain::letter::Role::Representative {
            s.push_str("Copy to the representative:\n");
        }
        s.push_str(&opt(a.name.as_deref()));
        if let Some(addr) = &a.address {
            s.push('\n');
            s.push_str(&esc(addr));
        }
        if let Some(e) = &a.email {
            s.push('\n');
            s.push_str(&esc(e));
        }
        s.push_str("</p>");
    }
    s
}

/// One letter as a printable document: the landlord, the date, the reference, the
/// addressees, the subject and the letter as it was issued.
fn letter_document(case: &Case, l: &Letter, landlord: &str) -> String {
    let body = format!(
        "<p><strong>{landlord}</strong></p>{to}<p>Dated {dated}</p><p>Our reference: {reference}</p>\
         <h1>{subject}</h1>\n{html}",
        landlord = esc(landlord),
        to = addressees_block(l),
        dated = esc(&l.dated.format("%A %-d %B %Y").to_string()),
        reference = esc(&case.reference),
        subject = esc(&l.subject),
        html = l.html,
    );
    document(
        &format!("{}: letter {}: {}", case.reference, l.number, l.subject),
        &body,
    )
}

/// Renders the pack. `sent` says, by delivery id ([`p3_domain::letter::LetterRecord::delivery_id`]), whether each
/// email copy of a letter has gone.
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
    let c = &case.complaint;
    let r = &c.resident;
    let mut b = String::with_capacity(64 * 1024);

    // Title and provenance.
    b.push_str(&format!(
        "<h1>Evidence pack for the Housing Ombudsman: complaint {}</h1>\
         <p>{} complaint file, as the Housing Ombudsman asks a landlord to provide it: the complaint, every recorded event, every letter sent, the deadlines and how each was met or missed, the actions promised and their completion.</p>\
         <p class=\"produced\">Produced on {} by {}{} ({}).</p>",
        esc(&case.reference),
        esc(landlord),
        esc(&when(now)),
        esc(&producer.name),
        if producer.email.is_empty() {
            String::new()
        } else {
            format!(" &lt;{}&gt;", esc(&producer.email))
        },
        esc(&producer.role),
    ));
    b.push_str(
        "<nav><h2>Contents</h2><ol>\
        <li><a href=\"#complaint\">The complaint</a></li>\
        <li><a href=\"#case-file\">Needs, adjustments and contact preferences</a></li>\
        <li><a href=\"#stages\">Stages, points and reassignments</a></li>\
        <li><a href=\"#deadlines\">Deadlines</a></li>\
        <li><a href=\"#actions\">Actions and Ombudsman orders</a></li>\
        <li><a href=\"#compensation\">Compensation</a></li>\
        <li><a href=\"#ombudsman\">Housing Ombudsman</a></li>\
        <li><a href=\"#letters\">Letters</a></li>\
        <li><a href=\"#history\">Case history</a></li></ol></nav>",
    );

    // The complaint.
    b.push_str("<h2 id=\"complaint\">1. The complaint</h2><dl>");
    let mut row = |k: &str, v: String| b.push_str(&format!("<dt>{}</dt><dd>{v}</dd>", esc(k)));
    row("Reference", esc(&case.reference));
    row("Status", esc(&humanise(&status)));
    row("Procedure", esc(&case.procedure));
    row("Received", esc(&when(case.received_at)));
    row("Channel", esc(&humanise(c.channel.as_str())));
    row(
        "Category",
        opt(c.category.as_deref().map(humanise).as_deref()),
    );
    row(
        "Tenure",
        esc(&humanise(
            serde_json::to_value(c.tenure)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .as_deref()
                .unwrap_or(""),
        )),
    );
    row("Resident", opt(r.name.as_deref()));
    row("Email", opt(r.email.as_deref()));
    row("Phone", opt(r.phone.as_deref()));
    row("Address", opt(r.address.as_deref()));
    row("Postcode", opt(r.postcode.as_deref()));
    row("Tenancy reference", opt(r.tenancy_reference.as_deref()));
    row(
        "Representative",
        match &c.representative {
            None => "<span class=\"muted\">None</span>".into(),
            Some(rep) => format!(
                "{}{}{}{}; {}",
                esc(&rep.name),
                rep.relationship
                    .as_deref()
                    .map(|x| format!(" ({})", esc(x)))
                    .unwrap_or_default(),
                rep.email
                    .as_deref()
                    .map(|x| format!(", {}", esc(x)))
                    .unwrap_or_default(),
                rep.address
                    .as_deref()
                    .map(|x| format!(", {}", esc(x)))
                    .unwrap_or_default(),
                if rep.authorised_copies {
                    "copies of letters authorised by the resident"
                } else {
                    "no copies of letters authorised"
                }
            ),
        },
    );
    row(
        "Linked service request",
        opt(case.service_request.as_deref()),
    );
    row("Description", esc(&c.description));
    row("Desired outcome", opt(c.desired_outcome.as_deref()));
    b.push_str("</dl>");

    // Needs and contact preferences.
    b.push_str("<h2 id=\"case-file\">2. Needs, adjustments and contact preferences</h2>");
    match &case.needs {
        None => b.push_str("<p>No vulnerabilities or reasonable adjustments are recorded.</p>"),
        Some(n) => b.push_str(&format!(
            "<dl><dt>Adjustments agreed</dt><dd>{}</dd><dt>Circumstances</dt><dd>{}</dd>\
             <dt>Consent</dt><dd>{}</dd><dt>Review by</dt><dd>{}</dd></dl>",
            esc(&n.adjustments),
            opt(n.vulnerabilities.as_deref()),
            if n.consent {
                "Given by the resident"
            } else {
                "Not recorded"
            },
            esc(&day(n.review_on)),
        )),
    }
    b.push_str(&format!(
        "<dl><dt>Contact method</dt><dd>{}</dd><dt>Letter format</dt><dd>{}</dd><dt>Language</dt><dd>{}</dd></dl>",
        esc(&humanise(case.contact.method.as_str())),
        esc(&humanise(case.contact.format.as_str())),
        case.contact
            .language
            .as_deref()
            .map(esc)
            .unwrap_or_else(|| "English".into()),
    ));

    // Stages.
    b.push_str("<h2 id=\"stages\">3. Stages, points and reassignments</h2>");
    for s in &case.stages {
        b.push_str(&format!("<h3>Stage {}</h3><dl>", s.number));
        b.push_str(&format!(
            "<dt>Started</dt><dd>{}</dd>",
            esc(&when(s.started_at))
        ));
        if let Some(req) = &s.request {
            b.push_str(&format!(
                "<dt>Requested</dt><dd>{}{}{}</dd>",
                match req.through {
                    RequestedThrough::Resident => "By the resident",
                    RequestedThrough::Staff => "Through staff",
                },
                if req.late { " (late, accepted)" } else { "" },
                req.reason
                    .as_deref()
                    .map(|x| format!(". Reason: {}", esc(x)))
                    .unwrap_or_default()
            ));
        }
        match &s.acknowledgement {
            Some(a) => b.push_str(&format!(
                "<dt>Acknowledged</dt><dd>{} by handler {}</dd><dt>Points as defined</dt><dd>{}</dd>",
                esc(&when(a.at)),
                esc(&a.handler),
                if a.complaint_points.is_empty() {
                    "<span class=\"muted\">None listed</span>".into()
                } else {
                    a.complaint_points
                        .iter()
                        .map(|p| esc(p))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            )),
            None => b.push_str("<dt>Acknowledged</dt><dd>Not yet</dd>"),
        }
        for e in &s.extensions {
            b.push_str(&format!(
                "<dt>Extended</dt><dd>{} by {}: {} working days. Reason: {}</dd>",
                esc(&when(e.at)),
                esc(&e.by),
                e.working_days,
                esc(&e.reason)
            ));
        }
        match &s.response {
            Some(resp) => b.push_str(&format!(
                "<dt>Response</dt><dd>{} by {}{}: {}</dd>",
                esc(&when(resp.at)),
                esc(&resp.by),
                if resp.first_contact {
                    " (resolved at first contact)"
                } else {
                    ""
                },
                esc(outcome(resp.response.outcome))
            )),
            None => b.push_str("<dt>Response</dt><dd>Not yet</dd>"),
        }
        b.push_str("</dl>");
        if !s.point_revisions.is_empty() {
            b.push_str("<table><caption>Revisions of the points</caption><thead><tr><th>When</th><th>By</th><th>Points before</th><th>Why</th></tr></thead><tbody>");
            for p in &s.point_revisions {
                b.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&when(p.at)),
                    esc(&p.by),
                    esc(&list(&p.before)),
                    esc(&p.reason)
                ));
            }
            b.push_str("</tbody></table>");
        }
        if !s.reassignments.is_empty() {
            b.push_str("<table><caption>Reassignments</caption><thead><tr><th>When</th><th>By</th><th>From</th><th>To</th><th>Why</th></tr></thead><tbody>");
            for ra in &s.reassignments {
                b.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&when(ra.at)),
                    esc(&ra.by),
                    esc(&ra.from),
                    esc(&ra.to),
                    esc(&ra.reason)
                ));
            }
            b.push_str("</tbody></table>");
        }
    }

    // Deadlines.
    b.push_str(&format!(
        "<h2 id=\"deadlines\">4. Deadlines</h2><p>As they stand on {}. Due dates are London dates with extensions applied.</p>\
         <table><thead><tr><th>Deadline</th><th>Due</th><th>Status</th><th>Met</th><th>Extension</th></tr></thead><tbody>",
        esc(&day(today))
    ));
    for d in &deadlines {
        let extension = if d.extended_by == 0 {
            String::new()
        } else {
            let reasons = case
                .stage(d.kind.stage)
                .map(|s| {
                    s.extensions
                        .iter()
                        .map(|e| {
                            format!(
                                "{} on {} by {}: {}",
                                plural_days(e.working_days),
                                esc(&day(london_date(e.at))),
                                esc(&e.by),
                                esc(&e.reason)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("<br>")
                })
                .unwrap_or_default();
            format!("{} added in all:<br>{reasons}", plural_days(d.extended_by))
        };
        b.push_str(&format!(
            "<tr id=\"deadline-{kind}\"><td>{label}<br><code>{kind}</code></td><td>{due}</td><td><strong>{status}</strong>: {meaning}</td><td>{met}</td><td>{extension}</td></tr>",
            kind = esc(&d.kind.to_string()),
            label = esc(&d.kind.label()),
            due = esc(&day(d.due)),
            status = status_words(d.status),
            meaning = status_meaning(d.status),
            met = d.met_at.map(|t| esc(&when(t))).unwrap_or_default(),
        ));
    }
    b.push_str("</tbody></table>");

    // Actions and orders.
    b.push_str("<h2 id=\"actions\">5. Actions and Ombudsman orders</h2>");
    if case.actions.is_empty() {
        b.push_str("<p>No actions were promised and no orders were made.</p>");
    } else {
        b.push_str("<table><thead><tr><th>No.</th><th>From</th><th>What</th><th>Owner</th><th>Due</th><th>Status</th><th>Completed</th></tr></thead><tbody>");
        for a in &case.actions {
            let status = deadlines
                .iter()
                .find(|d| d.kind.step == DeadlineStep::Action(a.number))
                .map(|d| status_words(d.status))
                .unwrap_or("");
            b.push_str(&format!(
                "<tr id=\"action-{n}\"><td>{n}</td><td>{src}<br>{promised}</td><td>{what}</td><td>{owner}</td><td>{due}</td><td>{status}</td><td>{done}</td></tr>",
                n = a.number,
                src = match a.source {
                    ActionSource::Response { stage } => format!("Promised in the Stage {stage} response"),
                    ActionSource::OmbudsmanOrder => "Ordered by the Housing Ombudsman".into(),
                },
                promised = esc(&when(a.promised_at)),
                what = esc(&a.description),
                owner = esc(&a.owner),
                due = esc(&day(a.due)),
                done = a
                    .completed
                    .as_ref()
                    .map(|c| format!("{} by {}: {}", esc(&when(c.at)), esc(&c.by), esc(&c.note)))
                    .unwrap_or_else(|| "Not yet".into()),
            ));
        }
        b.push_str("</tbody></table>");
    }

    // Compensation.
    b.push_str("<h2 id=\"compensation\">6. Compensation</h2>");
    if case.compensation.is_empty() {
        b.push_str("<p>No compensation was offered.</p>");
    } else {
        b.push_str("<table><thead><tr><th>No.</th><th>Amount</th><th>For</th><th>Offered</th><th>State</th><th>Answer</th><th>Paid</th></tr></thead><tbody>");
        for o in &case.compensation {
            b.push_str(&format!(
                "<tr id=\"compensation-{n}\"><td>{n}</td><td>{amount}</td><td>{reason}</td><td>{offered}{stage}</td><td>{state}</td><td>{answer}</td><td>{paid}</td></tr>",
                n = o.number,
                amount = esc(&pounds(o.amount_pence)),
                reason = esc(&o.reason),
                offered = esc(&when(o.offered_at)),
                stage = o.stage.map(|s| format!("<br>with the Stage {s} response")).unwrap_or_default(),
                state = o.state(),
                answer = o
                    .answer
                    .map(|(at, yes)| format!("{} {}", if yes { "Accepted" } else { "Declined" }, esc(&when(at))))
                    .unwrap_or_default(),
                paid = o
                    .paid
                    .as_ref()
                    .map(|(at, r)| format!(
                        "{}{}",
                        esc(&when(*at)),
                        r.as_deref().map(|x| format!(", reference {}", esc(x))).unwrap_or_default()
                    ))
                    .unwrap_or_default(),
            ));
        }
        b.push_str("</tbody></table>");
    }

    // Ombudsman.
    b.push_str("<h2 id=\"ombudsman\">7. Housing Ombudsman</h2>");
    if case.ombudsman.is_empty() {
        b.push_str("<p>The complaint has not been referred to the Housing Ombudsman.</p>");
    } else {
        b.push_str(
            "<table><thead><tr><th>What</th><th>When</th><th>Details</th></tr></thead><tbody>",
        );
        for o in &case.ombudsman {
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                if o.event == "determination" {
                    "Determination"
                } else {
                    "Referral"
                },
                esc(&when(o.at)),
                esc(&o.detail)
            ));
        }
        b.push_str("</tbody></table>");
    }
    b.push_str(&format!(
        "<p>The Housing Ombudsman: {}.</p>",
        esc(HOUSING_OMBUDSMAN)
    ));

    // Letters.
    let letters: Vec<(&Letter, DateTime<Utc>)> = case
        .history
        .iter()
        .filter_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } => Some((letter, e.recorded_at)),
            _ => None,
        })
        .collect();
    b.push_str(&format!(
        "<h2 id=\"letters\">8. Letters</h2><p>{} letter{} issued. Each is kept as written; its printable copy is in the zip as its own file.</p>",
        letters.len(),
        if letters.len() == 1 { "" } else { "s" }
    ));
    let mut files = Vec::with_capacity(letters.len());
    for (l, issued_at) in &letters {
        let record = case.letters.iter().find(|x| x.number == l.number);
        b.push_str(&format!(
            "<section class=\"letter\" id=\"letter-{n}\"><h3>Letter {n}: {label}</h3><dl>\
             <dt>Subject</dt><dd>{subject}</dd><dt>Dated</dt><dd>{dated}</dd><dt>Issued</dt><dd>{issued}</dd>\
             <dt>Format</dt><dd>{format}{language}</dd>",
            n = l.number,
            label = esc(&l.kind.label(l.stage)),
            subject = esc(&l.subject),
            dated = esc(&day(l.dated)),
            issued = esc(&when(*issued_at)),
            format = esc(&humanise(l.format.as_str())),
            language = l.language.as_deref().map(|x| format!(", in {}", esc(x))).unwrap_or_default(),
        ));
        for note in &l.production_notes {
            b.push_str(&format!("<dt>Before sending</dt><dd>{}</dd>", esc(note)));
        }
        b.push_str("</dl><table><thead><tr><th>To</th><th>Name</th><th>Email or address</th><th>How sent</th><th>Email sent?</th></tr></thead><tbody>");
        for (i, a) in l.to.iter().enumerate() {
            let state = match a.delivery {
                Delivery::Post => "Printed and posted by staff".to_string(),
                Delivery::Email => {
                    let id = record.map(|r| r.delivery_id(&case.reference, i));
                    match id.and_then(|id| sent.get(&id)) {
                        Some(true) => "Sent".into(),
                        Some(false) => "Not sent yet".into(),
                        None => "Unknown".into(),
                    }
                }
            };
            let mut contact = Vec::new();
            if let Some(e) = &a.email {
                contact.push(esc(e));
            }
            if let Some(addr) = &a.address {
                contact.push(esc(addr));
            }
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td></tr>",
                role_name(a.role),
                opt(a.name.as_deref()),
                contact.join("\n"),
                match a.delivery {
                    Delivery::Email => "Email",
                    Delivery::Post => "Post",
                },
                esc(&state),
            ));
        }
        b.push_str(&format!(
            "</tbody></table><h4>The letter as issued</h4><div class=\"letter-body\">\n{}\n</div></section>",
            l.html
        ));
        files.push((letter_file(l), letter_document(case, l, landlord)));
    }

    // History.
    b.push_str(&format!(
        "<h2 id=\"history\">9. Case history</h2><p>Every event recorded on the case, in order ({} events). <em>Happened</em> is when it took place; <em>recorded</em> is when it was entered.</p>\
         <table><thead><tr><th>No.</th><th>Event</th><th>What happened</th><th>By</th><th>Happened</th><th>Recorded</th></tr></thead><tbody>",
        case.history.len()
    ));
    for e in &case.history {
        b.push_str(&format!(
            "<tr id=\"event-{n}\"><td>{n}</td><td><code>{name}</code></td><td>{what}</td><td>{by}</td><td>{at}</td><td>{recorded}</td></tr>",
            n = e.sequence,
            name = if e.imported {
                format!("{} (imported)", e.event.name())
            } else {
                e.event.name().to_string()
            },
            what = esc(&describe(&e.event)),
            by = esc(&e.by),
            at = esc(&when(e.at)),
            recorded = esc(&when(e.recorded_at)),
        ));
    }
    b.push_str("</tbody></table>");

    Evidence {
        reference: case.reference.clone(),
        produced_at: now,
        html: document(
            &format!(
                "Evidence pack for the Housing Ombudsman: {}",
                case.reference
            ),
            &b,
        ),
        letters: files,
    }
}

/// A zip of files stored without compression: a few kilobytes of code instead of a deflate
/// library in every function that links the API, for a pack of small HTML files.
struct StoredZip {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
    time: u16,
    date: u16,
}

impl StoredZip {
    fn new(at: DateTime<Utc>) -> Self {
        // MS-DOS date and time, in London (what a person unzipping sees); 1980 at the earliest.
        let local = at.with_timezone(&chrono_london_offset(at));
        let year = local.year().clamp(1980, 2107) as u16;
        StoredZip {
            out: Vec::new(),
            central: Vec::new(),
            count: 0,
            time: ((local.hour() as u16) << 11)
                | ((local.minute() as u16) << 5)
                | (local.second() as u16 / 2),
            date: ((year - 1980) << 9) | ((local.month() as u16) << 5) | local.day() as u16,
        }
    }

    fn add(&mut self, name: &str, data: &[u8]) {
        let crc = crc32fast::hash(data);
        let offset = self.out.len() as u32;
        let size = data.len() as u32;
        let name = name.as_bytes();
        // Local file header: version 2.0, flag bit 11 (UTF-8 names), stored.
        let common = |v: &mut Vec<u8>, s: &Self| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0x0800u16.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&s.time.to_le_bytes());
            v.extend_from_slice(&s.date.to_le_bytes());
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        let mut local = Vec::with_capacity(30 + name.len());
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut local, self);
        local.extend_from_slice(name);
        self.out.extend_from_slice(&local);
        self.out.extend_from_slice(data);
        // Central directory entry: made by version 2.0 (MS-DOS attributes).
        let mut c = Vec::with_capacity(46 + name.len());
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes());
        common(&mut c, self);
        c.extend_from_slice(&0u16.to_le_bytes()); // comment length
        c.extend_from_slice(&0u16.to_le_bytes()); // disk number
        c.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        c.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name);
        self.central.extend_from_slice(&c);
        self.count += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let start = self.out.len() as u32;
        let size = self.central.len() as u32;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out.extend_from_slice(&self.count.to_le_bytes());
        self.out.extend_from_slice(&self.count.to_le_bytes());
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&start.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out
    }
}

/// London's offset from UTC at an instant (UTC or UTC+1).
fn chrono_london_offset(at: DateTime<Utc>) -> chrono::FixedOffset {
    let date = london_date(at);
    for hours in [1, 0] {
        let local = (at + chrono::Duration::hours(hours)).time();
        if p3_domain::london::london_instant(date, local) == at {
            return chrono::FixedOffset::east_opt(hours as i32 * 3600).expect("a valid offset");
        }
    }
    chrono::FixedOffset::east_opt(0).expect("UTC")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Zip,
}

fn format_of(query: Option<&str>, headers: &HeaderMap) -> Result<Format, Problem> {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let formats: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "format")
        .map(|(_, v)| v.trim())
        .collect();
    match formats.as_slice() {
        [] => {}
        [one] => {
            return match *one {
                "html" => Ok(Format::Html),
                "zip" => Ok(Format::Zip),
                _ => Err(crate::extract::bad_parameter(
                    "format",
                    "must be html or zip",
                )),
            }
        }
        _ => {
            return Err(crate::extract::bad_parameter(
                "format",
                "must be given once",
            ))
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let wants_zip = accept.split(',').any(|part| {
        part.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/zip"))
    });
    Ok(if wants_zip { Format::Zip } else { Format::Html })
}

/// `GET /staff/complaints/{reference}/evidence[?format=html|zip]`: senior managers and auditors.
pub(crate) async fn evidence(
    State(st): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    // Roles nest (a senior manager includes an officer), so `require` cannot say "these two
    // and no others": the pack holds the whole file, for the people who answer the Ombudsman.
    if !matches!(staff.role, Role::SeniorManager | Role::Auditor) {
        return Err(Problem::forbidden(format!(
            "The evidence pack needs the senior_manager or auditor role; you have {}",
            staff.role.as_str()
        )));
    }
    let format = format_of(query.as_deref(), &headers)?;
    let producer = Producer {
        name: staff.name.clone(),
        email: staff.email.clone(),
        role: staff.role.as_str().to_string(),
    };
    let pack = build(&st.service, &reference, &producer)
        .await?
        .ok_or_else(Problem::not_found)?;
    tracing::info!(reference = %pack.reference, role = staff.role.as_str(), "evidence pack produced");
    let (bytes, content_type, disposition) = match format {
        Format::Html => (
            pack.html.clone().into_bytes(),
            "text/html; charset=utf-8",
            format!("inline; filename=\"{}\"", pack.html_name()),
        ),
        Format::Zip => (
            pack.zip(),
            "application/zip",
            format!("attachment; filename=\"{}\"", pack.zip_name()),
        ),
    };
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&content_security_policy()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use chrono::{DateTime, NaiveDate, Utc};
    use p3_domain::case::{Actor, Case, Command, NewCase, Rules};
    use p3_domain::casefile::{ContactMethod, ContactPreferences, LetterFormat, SupportNeeds};
    use p3_domain::complaint::{Channel, ComplaintDetails, Representative, Resident, Tenure};
    use p3_domain::event::{
        CaseEvent, ExclusionGround, Outcome, PointDecision, PromisedAction, RequestedThrough,
        StageResponse,
    };

    use super::*;

    const IM: &str = "im@p3housing.org.uk";
    const IM2: &str = "im2@p3housing.org.uk";
    const REVIEWER: &str = "hts@p3housing.org.uk";
    const CONTRACTS: &str = "contracts@p3housing.org.uk";

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn done(case: &Case, command: Command, by: &str, at: &str, rules: &Rules) -> Case {
        let at = t(at);
        let actor = Actor {
            by: by.into(),
            at,
            now: at,
        };
        case.execute(command, &actor, rules)
            .unwrap_or_else(|e| panic!("{e}"))
            .0
    }

    fn response(summary: &str, actions: Vec<PromisedAction>, pence: Option<u64>) -> StageResponse {
        StageResponse {
            outcome: Outcome::PartlyUpheld,
            summary: summary.into(),
            remedy: Some("An apology.".into()),
            point_decisions: vec![PointDecision {
                point: "Mould in the back bedroom".into(),
                decision: Outcome::Upheld,
                reason: Some("The survey was late.".into()),
            }],
            actions,
            compensation_pence: pence,
        }
    }

    /// A case with every part of the case file: needs, contact preferences, a representative,
    /// revised points, a reassignment, an action done, compensation offered, accepted and paid,
    /// both stages, the Ombudsman's referral, determination and an order.
    fn full_case(rules: &Rules) -> Case {
        let at = t("2026-11-02T10:00:00Z");
        let case = Case::open(
            "CMP-2026-00417",
            NewCase {
                procedure: "housing".into(),
                complaint: ComplaintDetails {
                    resident: Resident {
                        name: Some("Ada Lovelace".into()),
                        email: Some("ada@example.org".into()),
                        phone: None,
                        address: Some("12 Acacia Avenue".into()),
                        postcode: Some("SW17 0RG".into()),
                        tenancy_reference: Some("T-1".into()),
                    },
                    representative: None,
                    channel: Channel::Web,
                    category: Some("damp_and_mould".into()),
                    description: "Mould <b>everywhere</b> =SUM(A1)".into(),
                    desired_outcome: Some("Treat the wall".into()),
                    tenure: Tenure::LowCostRental,
                },
                service_request: None,
                access_code_hash: None,
                first_contact_resolution: None,
            },
            &Actor {
                by: "resident".into(),
                at,
                now: at,
            },
            rules,
        )
        .unwrap();
        let steps: Vec<(Command, &str, &str)> = vec![
            (
                Command::RecordNeeds(SupportNeeds {
                    vulnerabilities: Some("Asthma".into()),
                    adjustments: "Call before visiting".into(),
                    consent: true,
                    review_on: d(2027, 5, 1),
                }),
                "officer@p3housing.org.uk",
                "2026-11-02T11:00:00Z",
            ),
            (
                Command::SetContactPreferences(ContactPreferences {
                    method: ContactMethod::Post,
                    format: LetterFormat::LargePrint,
                    language: Some("Welsh".into()),
                }),
                "officer@p3housing.org.uk",
                "2026-11-02T11:10:00Z",
            ),
            (
                Command::SetRepresentative(Some(Representative {
                    name: "Rita Advocate".into(),
                    relationship: Some("advocate".into()),
                    email: Some("rita@example.org".into()),
                    address: None,
                    authorised_copies: true,
                })),
                "officer@p3housing.org.uk",
                "2026-11-02T11:20:00Z",
            ),
            (
                Command::Acknowledge {
                    investigating_manager: Some(IM.into()),
                    reviewer: None,
                    complaint_points: vec!["Mould".into()],
                },
                "officer@p3housing.org.uk",
                "2026-11-03T09:00:00Z",
            ),
            (
                Command::RevisePoints {
                    complaint_points: vec!["Mould in the back bedroom".into()],
                    reason: "The resident explained which room".into(),
                },
                IM,
                "2026-11-04T09:00:00Z",
            ),
            (
                Command::Reassign {
                    handler: IM2.into(),
                    reason: "Ian is on leave".into(),
                },
                IM,
                "2026-11-05T09:00:00Z",
            ),
            (
                Command::Respond {
                    stage: 1,
                    response: response(
                        "We were slow.",
                        vec![PromisedAction {
                            description: "Treat the wall".into(),
                            due: d(2026, 11, 20),
                            owner: Some(CONTRACTS.into()),
                        }],
                        Some(5000),
                    ),
                },
                IM2,
                "2026-11-10T09:00:00Z",
            ),
            (
                Command::CompleteAction {
                    action: 1,
                    note: "Wall treated; photos on file".into(),
                },
                CONTRACTS,
                "2026-11-19T09:00:00Z",
            ),
            (
                Command::OfferCompensation {
                    amount_pence: 2500,
                    reason: "Time off work".into(),
                },
                IM2,
                "2026-11-19T10:00:00Z",
            ),
            (
                Command::AnswerCompensation {
                    offer: 2,
                    accepted: true,
                },
                IM2,
                "2026-11-20T10:00:00Z",
            ),
            (
                Command::PayCompensation {
                    offer: 2,
                    payment_reference: Some("FIN-77".into()),
                },
                IM2,
                "2026-11-21T10:00:00Z",
            ),
            (
                Command::RequestNextStage {
                    reason: Some("Still damp".into()),
                    through: RequestedThrough::Staff,
                },
                "officer@p3housing.org.uk",
                "2026-11-22T10:00:00Z",
            ),
            (
                Command::Acknowledge {
                    investigating_manager: None,
                    reviewer: Some(REVIEWER.into()),
                    complaint_points: vec!["Still damp".into()],
                },
                "officer@p3housing.org.uk",
                "2026-11-23T10:00:00Z",
            ),
            (
                Command::Respond {
                    stage: 2,
                    response: response("On review, upheld in part.", vec![], None),
                },
                REVIEWER,
                "2026-11-24T10:00:00Z",
            ),
            (
                Command::Ombudsman {
                    determination: false,
                    detail: "Referred by the resident".into(),
                },
                REVIEWER,
                "2026-11-25T10:00:00Z",
            ),
            (
                Command::Ombudsman {
                    determination: true,
                    detail: "Service failure".into(),
                },
                REVIEWER,
                "2026-12-01T10:00:00Z",
            ),
            (
                Command::OmbudsmanOrder {
                    description: "Apologise in writing".into(),
                    due: d(2026, 12, 15),
                    owner: REVIEWER.into(),
                },
                REVIEWER,
                "2026-12-01T11:00:00Z",
            ),
        ];
        steps
            .into_iter()
            .fold(case, |c, (cmd, by, at)| done(&c, cmd, by, at, rules))
    }

    fn producer() -> Producer {
        Producer {
            name: "Hannah Head".into(),
            email: "hannah@p3housing.org.uk".into(),
            role: "senior_manager".into(),
        }
    }

    fn tr<'a>(html: &'a str, id: &str) -> &'a str {
        let start = html
            .find(&format!("<tr id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no row {id}"));
        &html[start..start + html[start..].find("</tr>").unwrap()]
    }

    #[test]
    fn the_pack_holds_the_whole_case_file() {
        let rules = Rules::default();
        let case = full_case(&rules);
        let first = case.letters.first().unwrap();
        let mut sent = BTreeMap::new();
        for l in &case.letters {
            for (i, a) in l.to.iter().enumerate() {
                assert_eq!(
                    a.delivery == Delivery::Email,
                    i == 1,
                    "the resident asked for post"
                );
                sent.insert(l.delivery_id(&case.reference, i), false);
            }
        }
        sent.insert(first.delivery_id(&case.reference, 1), true);
        let pack = render(
            &case,
            &rules,
            &sent,
            &producer(),
            t("2026-12-02T09:30:00Z"),
            "P3 Housing",
        );
        let html = &pack.html;
        assert!(html.contains("Produced on 2 December 2026 at 09:30"));
        assert!(html.contains("by Hannah Head &lt;hannah@p3housing.org.uk&gt; (senior_manager)"));
        assert!(html.contains("Mould &lt;b&gt;everywhere&lt;/b&gt; =SUM(A1)"));
        assert!(!html.contains("<b>everywhere"));

        for e in &case.history {
            let row = tr(html, &format!("event-{}", e.sequence));
            assert!(row.contains(&format!("<code>{}</code>", e.event.name())));
            assert!(row.contains(&esc(&describe(&e.event))), "{row}");
            assert!(row.contains(&esc(&e.by)));
        }
        // Needs, consent and review; contact preferences.
        for text in [
            "Call before visiting",
            "Asthma",
            "Given by the resident",
            "Sat 1 May 2027",
            "Large print",
            "Welsh",
            "Post",
        ] {
            assert!(html.contains(text), "{text}");
        }
        // The revision keeps the points before it; the reassignment who from and to.
        assert!(html
            .contains("<td>\u{201c}Mould\u{201d}</td><td>The resident explained which room</td>"));
        assert!(html.contains(&format!(
            "<td>{IM}</td><td>{IM}</td><td>{IM2}</td><td>Ian is on leave</td>"
        )));
        // The action done with its evidence; the Ombudsman's order pending with its owner.
        let action = tr(html, "action-1");
        assert!(action.contains("Promised in the Stage 1 response") && action.contains(CONTRACTS));
        assert!(action.contains("met") && action.contains("Wall treated; photos on file"));
        let order = tr(html, "action-2");
        assert!(order.contains("Ordered by the Housing Ombudsman") && order.contains(REVIEWER));
        assert!(order.contains("Tue 15 Dec 2026") && order.contains("pending"));
        assert!(order.contains("Not yet"));
        assert!(tr(html, "deadline-stage2_action2").contains("<strong>pending</strong>"));
        // Compensation from offer to payment.
        let offer = tr(html, "compensation-1");
        assert!(offer.contains("£50.00") && offer.contains("<td>offered</td>"));
        let paid = tr(html, "compensation-2");
        assert!(paid.contains("£25.00") && paid.contains("<td>paid</td>"));
        assert!(paid.contains("Accepted") && paid.contains("reference FIN-77"));
        // The Ombudsman.
        assert!(html.contains("Referred by the resident") && html.contains("Service failure"));
        // Letters: each email copy's state, the translation note.
        assert!(html.contains("Send a translation of this letter into Welsh."));
        assert!(html.contains("<td>Sent</td>"));
        assert_eq!(html.matches("<td>Not sent yet</td>").count(), 3);
        assert_eq!(
            html.matches("<td>Printed and posted by staff</td>").count(),
            4
        );
        assert_eq!(pack.letters.len(), case.letters.len());
        assert_eq!(
            pack.letters.len(),
            4,
            "two acknowledgements and two responses"
        );
    }

    #[test]
    fn the_zip_opens_and_holds_the_pack_and_every_letter() {
        let rules = Rules::default();
        let case = full_case(&rules);
        let pack = render(
            &case,
            &rules,
            &BTreeMap::new(),
            &producer(),
            t("2026-07-02T09:30:00Z"),
            "P3 Housing",
        );
        let bytes = pack.zip();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names = Vec::new();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            let expected = if i == 0 {
                pack.html.clone()
            } else {
                pack.letters[i - 1].1.clone()
            };
            assert_eq!(text, expected, "{}", f.name());
            // London summer time: 09:30 UTC is 10:30 on the clock.
            let m = f.last_modified().unwrap();
            assert_eq!(
                (m.year(), m.month(), m.day(), m.hour(), m.minute()),
                (2026, 7, 2, 10, 30)
            );
            names.push(f.name().to_string());
        }
        assert_eq!(
            names,
            [
                "CMP-2026-00417-evidence.html",
                "letter-01-stage1-acknowledgement.html",
                "letter-02-stage1-stage-response.html",
                "letter-03-stage2-acknowledgement.html",
                "letter-04-stage2-stage-response.html",
            ]
        );
        let letter = &pack.letters[1].1;
        assert!(letter.contains("Copy to the representative:\nRita Advocate"));
        assert!(letter.contains("Our reference: CMP-2026-00417"));
    }

    #[test]
    fn every_event_is_described_in_words() {
        let rules = Rules::default();
        let case = full_case(&rules);
        let mut events: Vec<CaseEvent> = case.history.iter().map(|e| e.event.clone()).collect();
        events.extend([
            CaseEvent::ResolvedAtFirstContact {
                outcome: Outcome::Upheld,
                summary: "Repair booked".into(),
            },
            CaseEvent::Extended {
                stage: 1,
                working_days: 1,
                reason: "Waiting for a report".into(),
            },
            CaseEvent::Refused {
                stage: 2,
                ground: ExclusionGround::LegalProceedings,
                explanation: "Court case".into(),
            },
            CaseEvent::Withdrawn { reason: None },
            CaseEvent::RepresentativeSet {
                representative: None,
            },
            CaseEvent::Anonymised {
                closed_on: d(2020, 1, 6),
                retention_years: 6,
            },
        ]);
        let described: Vec<String> = events.iter().map(describe).collect();
        for (e, words) in events.iter().zip(&described) {
            assert!(words.len() > 15, "{}: {words}", e.name());
            assert!(!words.contains('_'), "no snake_case names: {words}");
        }
        let all = described.join("\n");
        for text in [
            "Resolved at first contact with the resident's agreement (upheld): Repair booked",
            "extended by 1 working day. Reason given to the resident: Waiting for a report",
            "Refused at Stage 2 on the ground that legal proceedings have started",
            "Withdrawn by the resident.",
            "Representative removed.",
            "6-year retention period (the case closed on Mon 6 Jan 2020)",
            "Action 1 completed. Evidence: Wall treated; photos on file",
            "The resident accepted compensation offer 2.",
            "Compensation offer 2 paid (payment reference FIN-77).",
            "The Housing Ombudsman ordered: Apologise in writing. Due by Tue 15 Dec 2026; owner: hts@p3housing.org.uk.",
            "Stage 1 reassigned to im2@p3housing.org.uk. Why: Ian is on leave",
            "Contact preferences set: by post, large print format, letters in Welsh.",
            "with the resident's consent",
            "Stage 2 requested recorded by staff for the resident",
            "Compensation offered: £50.00.",
        ] {
            assert!(all.contains(text), "{text} in:\n{all}");
        }
    }
}
