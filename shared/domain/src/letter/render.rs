//! What a letter template sees, and the rendering itself.

use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::{Landlord, LetterKind, TemplateError, Templates, FOOTER};
use crate::case::{Case, Rules};
use crate::casefile::pounds;
use crate::deadline::{self, DeadlineKind, DeadlineStep};
use crate::event::{CaseEvent, EventRecord, ExclusionGround, Outcome};
use crate::london::london_date;

/// The Housing Ombudsman's details as a template sees them.
#[derive(Debug, Clone, Serialize)]
pub struct OmbudsmanDetails {
    /// "Housing Ombudsman Service".
    pub name: &'static str,
    /// Postal address.
    pub address: &'static str,
    /// Phone number.
    pub phone: &'static str,
    /// Website.
    pub website: &'static str,
}

/// The Housing Ombudsman's contact details (domain.md: stated on every final response).
pub const OMBUDSMAN: OmbudsmanDetails = OmbudsmanDetails {
    name: "Housing Ombudsman Service",
    address: "PO Box 152, Liverpool L33 7WQ",
    phone: "0300 111 3000",
    website: "www.housing-ombudsman.org.uk",
};

/// An extension as a template sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ExtensionView {
    /// Why, as recorded.
    pub reason: String,
    /// Working days added.
    pub working_days: u32,
    /// The response date before the extension.
    pub old_due: String,
    /// The response date now.
    pub new_due: String,
}

/// A decision on one point.
#[derive(Debug, Clone, Serialize)]
pub struct PointView {
    /// The point.
    pub point: String,
    /// "upheld", "partly upheld" or "not upheld".
    pub decision: &'static str,
    /// Why.
    pub reason: Option<String>,
}

/// A promised action.
#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    /// What will be done.
    pub description: String,
    /// By when, written out.
    pub due: String,
}

/// A stage response as a template sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseView {
    /// "upheld", "partly upheld" or "not upheld".
    pub outcome: &'static str,
    /// What that means, in a sentence.
    pub outcome_meaning: &'static str,
    /// The reasons, one string per paragraph.
    pub summary: Vec<String>,
    /// Each point's decision.
    pub points: Vec<PointView>,
    /// The remedy, one string per paragraph (empty when none).
    pub remedy: Vec<String>,
    /// Compensation offered, as "£50.00".
    pub compensation: Option<String>,
    /// Outstanding actions with dates.
    pub actions: Vec<ActionView>,
}

/// A refusal as a template sees it.
#[derive(Debug, Clone, Serialize)]
pub struct RefusalView {
    /// The ground, in plain English.
    pub ground: &'static str,
    /// The explanation, one string per paragraph.
    pub explanation: Vec<String>,
}

/// Everything a letter template may use. Every string is escaped when rendered.
#[derive(Debug, Clone, Serialize)]
pub struct LetterContext {
    /// Which letter (`acknowledgement`…).
    pub kind: LetterKind,
    /// The landlord's details.
    pub landlord: Landlord,
    /// The Housing Ombudsman's details.
    pub ombudsman: OmbudsmanDetails,
    /// The case reference.
    pub reference: String,
    /// The date on the letter, written out: "Wednesday 25 November 2026".
    pub dated: String,
    /// The resident's name, or "Resident".
    pub name: String,
    /// The stage the letter is about.
    pub stage: u8,
    /// The stage after it.
    pub next_stage: u8,
    /// True when `stage` is the procedure's last.
    pub final_stage: bool,
    /// The stage's start (receipt or request) date, written out.
    pub started_on: String,
    /// The complaint in the resident's words (used where no points are defined).
    pub description: String,
    /// The complaint's points as defined at the stage.
    pub points: Vec<String>,
    /// The stage's acknowledgement due date, written out.
    pub acknowledge_by: String,
    /// The stage's response due date (the landlord's promise), written out.
    pub response_due: String,
    /// The last day to ask for the next stage, written out (stage responses before the last).
    pub escalate_by: Option<String>,
    /// True for a first contact resolution's written response.
    pub first_contact: bool,
    /// The linked service request's id.
    pub service_request: Option<String>,
    /// The resident's page for the complaint, when the landlord's public URL is configured.
    pub complaint_url: Option<String>,
    /// The extension (extension letters).
    pub extension: Option<ExtensionView>,
    /// The response (stage response letters).
    pub response: Option<ResponseView>,
    /// The refusal (refusal letters).
    pub refusal: Option<RefusalView>,
    /// The update (update letters: staff's own, or a promised action done or moved).
    pub update: Option<super::informed::UpdateView>,
    /// The restriction (restriction letters: recorded, kept at review, or lifted).
    pub restriction: Option<super::informed::RestrictionView>,
}

/// A date as letters write it: "Wednesday 25 November 2026".
pub fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

pub(super) fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn outcome_words(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Upheld => ("upheld", "This means we agree that we got things wrong."),
        Outcome::PartlyUpheld => (
            "partly upheld",
            "This means we agree that we got some things wrong, but not all of them.",
        ),
        Outcome::NotUpheld => (
            "not upheld",
            "This means we do not agree that we got things wrong.",
        ),
    }
}

/// The exclusion ground as the resident is told it.
pub fn ground_words(g: ExclusionGround) -> &'static str {
    match g {
        ExclusionGround::Over12Months => "The problem happened, or you first knew about it, more than 12 months before you complained. Our complaints procedure does not cover problems that old.",
        ExclusionGround::LegalProceedings => "Legal action about this matter has started. The court will decide it, so we cannot deal with it as a complaint.",
        ExclusionGround::AlreadyConsidered => "We have already looked at this complaint under our complaints procedure.",
    }
}

impl LetterContext {
    /// The context of the letter `kind` about `stage`, for the event `rec` of `case` (the case
    /// as it stands after the change that issues the letter).
    pub fn of(
        case: &Case,
        rec: &EventRecord,
        kind: LetterKind,
        stage: u8,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> LetterContext {
        let policy = rules.policy_of(case).ok();
        let last = policy.map(|p| p.last_stage()).unwrap_or(2);
        let today = london_date(now);
        let dls = policy
            .map(|p| deadline::deadlines(case, p, &rules.calendar, today))
            .unwrap_or_default();
        let due = |step: DeadlineStep, st: u8| {
            dls.iter()
                .find(|d| d.kind == DeadlineKind::new(st, step))
                .map(|d| d.due)
        };
        let record = case.stage(stage);
        let points = record
            .and_then(|s| s.acknowledgement.as_ref())
            .map(|a| a.complaint_points.clone())
            .unwrap_or_default();
        let landlord = rules.letters.landlord.clone();
        let complaint_url = landlord
            .public_url
            .as_ref()
            .map(|u| format!("{}/complaints/{}", u.trim_end_matches('/'), case.reference));
        let mut ctx = LetterContext {
            kind,
            landlord,
            ombudsman: OMBUDSMAN,
            reference: case.reference.clone(),
            dated: long_date(today),
            name: case
                .complaint
                .resident
                .name
                .clone()
                .unwrap_or_else(|| "Resident".into()),
            stage,
            next_stage: stage + 1,
            final_stage: stage >= last,
            started_on: record
                .map(|s| long_date(s.started_on()))
                .unwrap_or_default(),
            description: case.complaint.description.clone(),
            points,
            acknowledge_by: due(DeadlineStep::Acknowledgement, stage)
                .map(long_date)
                .unwrap_or_default(),
            response_due: due(DeadlineStep::Response, stage)
                .map(long_date)
                .unwrap_or_default(),
            escalate_by: None,
            first_contact: false,
            service_request: case.service_request.clone(),
            complaint_url,
            extension: None,
            response: None,
            refusal: None,
            update: None,
            restriction: None,
        };
        super::informed::fill(&mut ctx, case, &rec.event, rules, today);
        match &rec.event {
            CaseEvent::Extended {
                working_days,
                reason,
                ..
            } => {
                let new_due = due(DeadlineStep::Response, stage);
                let old_due = match (new_due, policy.and_then(|p| p.stage(stage))) {
                    (Some(_), Some(_)) => {
                        new_due.map(|d| rules.calendar.subtract_working_days(d, *working_days))
                    }
                    _ => None,
                };
                ctx.extension = Some(ExtensionView {
                    reason: reason.clone(),
                    working_days: *working_days,
                    old_due: old_due.map(long_date).unwrap_or_default(),
                    new_due: new_due.map(long_date).unwrap_or_default(),
                });
            }
            CaseEvent::Responded { .. } | CaseEvent::ResolvedAtFirstContact { .. } => {
                if let Some(issued) = record.and_then(|s| s.response.as_ref()) {
                    let r = &issued.response;
                    let (outcome, outcome_meaning) = outcome_words(r.outcome);
                    ctx.first_contact = issued.first_contact;
                    ctx.response = Some(ResponseView {
                        outcome,
                        outcome_meaning,
                        summary: paragraphs(&r.summary),
                        points: r
                            .point_decisions
                            .iter()
                            .map(|p| PointView {
                                point: p.point.clone(),
                                decision: outcome_words(p.decision).0,
                                reason: p.reason.clone(),
                            })
                            .collect(),
                        remedy: r.remedy.as_deref().map(paragraphs).unwrap_or_default(),
                        compensation: r.compensation_pence.filter(|p| *p > 0).map(pounds),
                        actions: r
                            .actions
                            .iter()
                            .map(|a| ActionView {
                                description: a.description.clone(),
                                due: long_date(a.due),
                            })
                            .collect(),
                    });
                }
                ctx.escalate_by = due(DeadlineStep::RequestWindow, stage + 1).map(long_date);
            }
            CaseEvent::Refused {
                ground,
                explanation,
                ..
            } => {
                ctx.refusal = Some(RefusalView {
                    ground: ground_words(*ground),
                    explanation: paragraphs(explanation),
                });
            }
            _ => {}
        }
        ctx
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // `safe` would let a template print a value unescaped: what a resident typed could then
    // become markup. Without it a template that tries is refused when it is loaded.
    env.remove_filter("safe");
    env
}

/// Renders a letter: the subject (the template's text before its `---` line), the body with
/// the footer, and the body as plain text.
pub(super) fn render(
    t: &Templates,
    ctx: &LetterContext,
) -> Result<(String, String, String), TemplateError> {
    let env = environment();
    let name = ctx.kind.as_str();
    // Lines are counted in the template's file: the letter starts after the subject and `---`.
    let err_at = |template: &str, first_line: usize, e: minijinja::Error| {
        let what = match e.detail() {
            Some(detail) => format!("{}: {detail}", e.kind()),
            None => e.kind().to_string(),
        };
        TemplateError {
            template: template.into(),
            message: match e.line() {
                Some(line) => format!("{what} (line {})", line + first_line - 1),
                None => what,
            },
        }
    };
    let src = t.source(name).ok_or_else(|| TemplateError {
        template: name.into(),
        message: "missing".into(),
    })?;
    let (subject_src, body_src) = split(src).ok_or_else(|| TemplateError {
        template: name.into(),
        message:
            "the subject line must come first, then a line holding only `---`, then the letter"
                .into(),
    })?;
    let body_first_line = subject_src.lines().count() + 2;
    let subject = env
        .render_str(subject_src, ctx)
        .map_err(|e| err_at(name, 1, e))?;
    let subject = html_to_text(&subject)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let body = env
        .render_str(body_src, ctx)
        .map_err(|e| err_at(name, body_first_line, e))?;
    let footer = env
        .render_str(t.source(FOOTER).unwrap_or(""), ctx)
        .map_err(|e| err_at(FOOTER, 1, e))?;
    if subject.is_empty() {
        return Err(TemplateError {
            template: name.into(),
            message: "the subject line is empty".into(),
        });
    }
    if html_to_text(&body).trim().is_empty() {
        return Err(TemplateError {
            template: name.into(),
            message: "the letter is empty".into(),
        });
    }
    let html = format!("{}\n{}", body.trim(), footer.trim());
    let text = html_to_text(&html);
    Ok((subject, html, text))
}

fn split(src: &str) -> Option<(&str, &str)> {
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        if line.trim() == "---" {
            return Some((&src[..offset], &src[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// Plain text from the escaped HTML a letter template produces: blocks become lines, list
/// items get a dash, tags go, entities are decoded. Made for the letters' own simple markup.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let closing = tag.starts_with('/');
        match (name.as_str(), closing) {
            ("br", _) => out.push('\n'),
            ("li", false) => out.push_str("\n- "),
            ("p" | "h1" | "h2" | "h3" | "ul" | "ol" | "div" | "table" | "tr", _) => {
                out.push_str("\n\n")
            }
            ("td" | "th", true) => out.push_str("  "),
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&");
    // Lines trimmed, runs of blank lines collapsed to one.
    let mut text = String::with_capacity(decoded.len());
    let mut blank = 0;
    for line in decoded.lines() {
        let line = line.trim();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        text.push_str(line);
    }
    text.push('\n');
    text
}

/// Sample contexts of every kind, with the optional parts present and absent: what each
/// template is checked against when loaded.
pub(super) fn samples(landlord: &Landlord) -> Vec<LetterContext> {
    let base = |kind: LetterKind, stage: u8, final_stage: bool| LetterContext {
        kind,
        landlord: landlord.clone(),
        ombudsman: OMBUDSMAN,
        reference: "CMP-2026-00001".into(),
        dated: "Monday 2 November 2026".into(),
        name: "Sample Resident".into(),
        stage,
        next_stage: stage + 1,
        final_stage,
        started_on: "Monday 2 November 2026".into(),
        description: "Sample description".into(),
        points: vec!["Sample point".into()],
        acknowledge_by: "Monday 9 November 2026".into(),
        response_due: "Monday 16 November 2026".into(),
        escalate_by: None,
        first_contact: false,
        service_request: Some("SR-2026-00001".into()),
        complaint_url: Some("https://example.invalid/complaints/CMP-2026-00001".into()),
        extension: None,
        response: None,
        refusal: None,
        update: None,
        restriction: None,
    };
    let full_response = ResponseView {
        outcome: "upheld",
        outcome_meaning: "Sample meaning.",
        summary: vec!["Sample reasons.".into()],
        points: vec![PointView {
            point: "Sample point".into(),
            decision: "upheld",
            reason: Some("Sample reason".into()),
        }],
        remedy: vec!["Sample remedy.".into()],
        compensation: Some("£50.00".into()),
        actions: vec![ActionView {
            description: "Sample action".into(),
            due: "Monday 30 November 2026".into(),
        }],
    };
    let bare_response = ResponseView {
        points: Vec::new(),
        remedy: Vec::new(),
        compensation: None,
        actions: Vec::new(),
        ..full_response.clone()
    };
    let mut out = Vec::new();
    for stage in [1u8, 2] {
        let last = stage == 2;
        out.push(base(LetterKind::Acknowledgement, stage, last));
        out.push(LetterContext {
            points: Vec::new(),
            ..base(LetterKind::Acknowledgement, stage, last)
        });
        out.push(LetterContext {
            extension: Some(ExtensionView {
                reason: "Sample reason".into(),
                working_days: 5,
                old_due: "Monday 16 November 2026".into(),
                new_due: "Monday 23 November 2026".into(),
            }),
            ..base(LetterKind::Extension, stage, last)
        });
        for (resp, first_contact) in [(&full_response, false), (&bare_response, stage == 1)] {
            out.push(LetterContext {
                response: Some(resp.clone()),
                escalate_by: (!last).then(|| "Monday 30 November 2026".into()),
                first_contact,
                ..base(LetterKind::StageResponse, stage, last)
            });
        }
        out.push(LetterContext {
            refusal: Some(RefusalView {
                ground: ground_words(ExclusionGround::Over12Months),
                explanation: vec!["Sample explanation.".into()],
            }),
            ..base(LetterKind::Refusal, stage, last)
        });
    }
    out.push(base(LetterKind::ServiceRequestComplaint, 1, false));
    out.extend(super::informed::samples(|kind| base(kind, 1, false)));
    let bare_landlord = Landlord {
        name: landlord.name.clone(),
        phone: None,
        email: None,
        address: None,
        public_url: None,
    };
    out.push(LetterContext {
        landlord: bare_landlord,
        complaint_url: None,
        ..base(LetterKind::Acknowledgement, 1, false)
    });
    out
}
