//! Letters to residents: every step at which the Complaint Handling Code says the resident is
//! told in writing (acknowledgement, extension, each stage response, refusal, and a service
//! request raised as a complaint) issues a dated letter from the landlord's templates, kept on
//! the case as written and emailed where the resident gave an address and did not ask for post.
//! A representative the resident authorised gets a copy.
//!
//! Templates are [MiniJinja](https://docs.rs/minijinja) with every value HTML-escaped, so
//! nothing a resident or officer typed becomes markup. The built-in templates are in
//! `letter/templates/`; a landlord may replace any of them (see [`Templates::load`]). Every
//! template the landlord supplies is checked when it is loaded, by rendering it against sample
//! cases with undefined values refused, so a broken template stops the service at start, never
//! when a letter is due; the built-in ones are checked the same way by the tests.

mod informed;
mod render;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Rules};
use crate::casefile::{ContactMethod, LetterFormat};
use crate::event::{CaseEvent, EventRecord};
use crate::london::london_date;

pub use informed::{ActionUpdateView, RestrictionView, UpdateView};
pub use render::{html_to_text, LetterContext};

/// The kinds of letter, one template each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    /// A stage acknowledged: the complaint as defined, its points and the dates to expect.
    Acknowledgement,
    /// A stage's response deadline extended: the reason, the new date, the Ombudsman's details.
    Extension,
    /// A stage response (including a first contact resolution's written response).
    StageResponse,
    /// A refusal on an exclusion ground, with the Ombudsman's details.
    Refusal,
    /// A service request the resident is dissatisfied with, raised as a Stage 1 complaint.
    ServiceRequestComplaint,
    /// An update on where the complaint stands (Code 5.9), or on a promised action done or
    /// moved to a new date (6.6, 6.17).
    Update,
    /// A restriction for unacceptable behaviour recorded, kept at review or lifted (5.14-5.15).
    Restriction,
}

impl LetterKind {
    /// Every kind.
    pub const ALL: [LetterKind; 7] = [
        LetterKind::Acknowledgement,
        LetterKind::Extension,
        LetterKind::StageResponse,
        LetterKind::Refusal,
        LetterKind::ServiceRequestComplaint,
        LetterKind::Update,
        LetterKind::Restriction,
    ];

    /// The snake_case name, also the template's file name (`acknowledgement.html`).
    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::Acknowledgement => "acknowledgement",
            LetterKind::Extension => "extension",
            LetterKind::StageResponse => "stage_response",
            LetterKind::Refusal => "refusal",
            LetterKind::ServiceRequestComplaint => "service_request_complaint",
            LetterKind::Update => "update",
            LetterKind::Restriction => "restriction",
        }
    }

    /// A plain-English name for lists: "Stage 1 acknowledgement".
    pub fn label(self, stage: u8) -> String {
        match self {
            LetterKind::Acknowledgement => format!("Stage {stage} acknowledgement"),
            LetterKind::Extension => format!("Stage {stage} extension"),
            LetterKind::StageResponse => format!("Stage {stage} response"),
            LetterKind::Refusal => format!("Refusal at Stage {stage}"),
            LetterKind::ServiceRequestComplaint => "Service request raised as a complaint".into(),
            LetterKind::Update => format!("Update at Stage {stage}"),
            LetterKind::Restriction => "Restriction on contact".into(),
        }
    }
}

/// Who a copy of a letter is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The resident.
    Resident,
    /// A representative the resident authorised to receive copies.
    Representative,
}

/// How a copy goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Emailed (and kept on the case for printing).
    Email,
    /// Printed and posted by staff.
    Post,
}

/// One recipient of a letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addressee {
    /// Resident or representative.
    pub role: Role,
    /// Their name, if known.
    pub name: Option<String>,
    /// The email address the copy goes to (with [`Delivery::Email`]).
    pub email: Option<String>,
    /// The postal address, with the postcode.
    pub address: Option<String>,
    /// How this copy goes out.
    pub delivery: Delivery,
}

/// A letter as issued: kept on the case exactly as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// Its number on the case, from 1.
    pub number: u16,
    /// Which letter.
    pub kind: LetterKind,
    /// The stage it is about.
    pub stage: u8,
    /// The London date it is dated (the day it was written).
    pub dated: NaiveDate,
    /// Who it goes to.
    pub to: Vec<Addressee>,
    /// The format the resident needs it in.
    pub format: LetterFormat,
    /// A language other than English the resident needs it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// What staff must do before it goes (transcription, translation, no address to post to).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub production_notes: Vec<String>,
    /// Subject line.
    pub subject: String,
    /// The letter's body as HTML (escaped), without the address block.
    pub html: String,
    /// The same as plain text, for email.
    pub text: String,
}

/// What a case keeps of each letter (the letter itself stays in its history event, so the
/// case's stored snapshot does not grow with every letter's text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterRecord {
    /// Its number on the case.
    pub number: u16,
    /// Which letter.
    pub kind: LetterKind,
    /// The stage it is about.
    pub stage: u8,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Subject line.
    pub subject: String,
    /// Its recipients.
    pub to: Vec<Addressee>,
}

impl LetterRecord {
    /// The id of the email delivery of copy `i` (an index into `to`): stable, so a retried send
    /// goes out once. Shaped like alert ids: the case reference first.
    pub fn delivery_id(&self, reference: &str, i: usize) -> String {
        format!("{reference}.letter{}.copy{}", self.number, i + 1)
    }
}

/// The landlord's details printed on every letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Landlord {
    /// Name.
    pub name: String,
    /// The complaints team's phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// The complaints team's email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// The public site's base URL, for the resident's complaint page link.
    #[serde(default)]
    pub public_url: Option<String>,
}

impl Default for Landlord {
    fn default() -> Self {
        Landlord {
            name: "P3 Housing".into(),
            phone: None,
            email: None,
            address: None,
            public_url: None,
        }
    }
}

/// A template failed its check: which file and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("letter template `{template}`: {message}")]
pub struct TemplateError {
    /// The template's name (`acknowledgement`, `footer`…).
    pub template: String,
    /// What is wrong, with the line where the engine knows it.
    pub message: String,
}

/// The letter templates in use: the built-in ones, with any the landlord replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    sources: BTreeMap<String, String>,
}

/// The name of the footer template, appended to every letter.
pub const FOOTER: &str = "footer";

impl Default for Templates {
    fn default() -> Self {
        let mut sources = BTreeMap::new();
        for (name, src) in [
            (
                "acknowledgement",
                include_str!("templates/acknowledgement.html"),
            ),
            ("extension", include_str!("templates/extension.html")),
            (
                "stage_response",
                include_str!("templates/stage_response.html"),
            ),
            ("refusal", include_str!("templates/refusal.html")),
            (
                "service_request_complaint",
                include_str!("templates/service_request_complaint.html"),
            ),
            ("update", include_str!("templates/update.html")),
            ("restriction", include_str!("templates/restriction.html")),
            (FOOTER, include_str!("templates/footer.html")),
        ] {
            sources.insert(name.to_string(), src.to_string());
        }
        Templates { sources }
    }
}

impl Templates {
    /// The built-in templates with `overrides` (name → source) put in their place, each
    /// replacement checked against sample letters ([`Templates::check`], for the letters it
    /// is used in: every one for the footer). An unknown name or a template that does not
    /// render is refused.
    ///
    /// The built-in templates are not checked again here: they are fixed when the program is
    /// built, and this crate's tests check them for a landlord with and without each optional
    /// detail. So a function's start (every Lambda function loads the landlord's
    /// configuration at init) pays only for the landlord's own templates: checking all eight
    /// renders about fifty sample letters, 1.3 to 1.8 ms of an init of 10 to 20 ms.
    pub fn load(
        overrides: impl IntoIterator<Item = (String, String)>,
        landlord: &Landlord,
    ) -> Result<Templates, TemplateError> {
        let mut t = Templates::default();
        let mut replaced = Vec::new();
        for (name, src) in overrides {
            if !t.sources.contains_key(&name) {
                return Err(TemplateError {
                    template: name,
                    message: format!(
                        "no such letter; the templates are {}",
                        t.sources.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            t.sources.insert(name.clone(), src);
            replaced.push(name);
        }
        t.check_templates(landlord, &replaced)?;
        Ok(t)
    }

    /// The names of the templates.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    /// The source of one template.
    pub fn source(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(String::as_str)
    }

    /// Renders every template against sample letters of every kind (with and without the
    /// optional parts), refusing undefined values, a missing subject line or an empty body.
    pub fn check(&self, landlord: &Landlord) -> Result<(), TemplateError> {
        let all: Vec<String> = self.sources.keys().cloned().collect();
        self.check_templates(landlord, &all)
    }

    /// [`Templates::check`] for the templates `names`: the sample letters that use one of them
    /// (the footer is in every letter).
    fn check_templates(&self, landlord: &Landlord, names: &[String]) -> Result<(), TemplateError> {
        for name in names {
            // Escaping may not be switched off: what a resident typed must stay text.
            if self
                .source(name)
                .is_some_and(|src| src.contains("autoescape"))
            {
                return Err(TemplateError {
                    template: name.clone(),
                    message: "`autoescape` may not be used: every value is escaped".into(),
                });
            }
        }
        let footer = names.iter().any(|n| n == FOOTER);
        for ctx in render::samples(landlord) {
            if footer || names.iter().any(|n| n == ctx.kind.as_str()) {
                self.render(&ctx)?;
            }
        }
        Ok(())
    }

    /// Renders the letter for a context: subject, HTML body (with the footer) and plain text.
    pub fn render(&self, ctx: &LetterContext) -> Result<(String, String, String), TemplateError> {
        render::render(self, ctx)
    }
}

/// The letter settings the rules carry: the landlord's details and the templates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Correspondence {
    /// Printed on every letter.
    pub landlord: Landlord,
    /// The templates.
    pub templates: Templates,
}

/// The letters a change to a case issues: one for each new event the Code says the resident is
/// told about, rendered against the case after the change. `now` dates them.
pub fn issue(
    case: &Case,
    new_events: &[EventRecord],
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<Vec<Letter>, TemplateError> {
    let mut out: Vec<Letter> = Vec::new();
    for rec in new_events {
        let (kind, stage) = match &rec.event {
            CaseEvent::Received {
                service_request: Some(_),
                ..
            } if !new_events
                .iter()
                .any(|e| matches!(e.event, CaseEvent::ResolvedAtFirstContact { .. })) =>
            {
                (LetterKind::ServiceRequestComplaint, 1)
            }
            CaseEvent::ResolvedAtFirstContact { .. } => (LetterKind::StageResponse, 1),
            CaseEvent::Acknowledged { stage, .. } => (LetterKind::Acknowledgement, *stage),
            CaseEvent::Extended { stage, .. } => (LetterKind::Extension, *stage),
            CaseEvent::Responded { stage, .. } => (LetterKind::StageResponse, *stage),
            CaseEvent::Refused { stage, .. } => (LetterKind::Refusal, *stage),
            CaseEvent::UpdateGiven { .. } => (LetterKind::Update, case.current_stage().number),
            CaseEvent::ActionCompleted { action, .. } | CaseEvent::ActionMoved { action, .. } => {
                let stage = case.actions.iter().find(|a| a.number == *action);
                (LetterKind::Update, stage.map_or(1, |a| a.stage))
            }
            CaseEvent::RestrictionRecorded { .. } | CaseEvent::RestrictionReviewed { .. } => {
                (LetterKind::Restriction, case.current_stage().number)
            }
            _ => continue,
        };
        let number = (case.letters.len() + out.len() + 1) as u16;
        let ctx = LetterContext::of(case, rec, kind, stage, rules, now);
        let (subject, html, text) = rules.letters.templates.render(&ctx)?;
        let to = addressees(case);
        let mut production_notes: Vec<String> = Vec::new();
        let prefs = &case.contact;
        if let Some(note) = prefs.format.production_note() {
            production_notes.push(note.into());
        }
        if let Some(lang) = &prefs.language {
            production_notes.push(format!("Send a translation of this letter into {lang}."));
        }
        for a in &to {
            if a.delivery == Delivery::Post && a.address.is_none() {
                production_notes.push(match a.role {
                    Role::Resident => "The resident gave no email address or postal address for this letter: contact them to agree how to send it.".into(),
                    Role::Representative => "The representative's copy has no email or postal address.".into(),
                });
            }
        }
        out.push(Letter {
            number,
            kind,
            stage,
            dated: london_date(now),
            to,
            format: prefs.format,
            language: prefs.language.clone(),
            production_notes,
            subject,
            html,
            text,
        });
    }
    Ok(out)
}

/// Who a letter on this case goes to now, and how: the resident (by email where they gave one
/// and did not ask for post), and a representative the resident authorised to get copies.
pub fn addressees(case: &Case) -> Vec<Addressee> {
    let r = &case.complaint.resident;
    let by_post = case.contact.method == ContactMethod::Post;
    let postal = |address: &Option<String>, postcode: &Option<String>| match (address, postcode) {
        (Some(a), Some(p)) if !a.contains(p.as_str()) => Some(format!("{a}\n{p}")),
        (Some(a), _) => Some(a.clone()),
        (None, Some(p)) => Some(p.clone()),
        (None, None) => None,
    };
    let mut to = vec![Addressee {
        role: Role::Resident,
        name: r.name.clone(),
        email: r.email.clone().filter(|_| !by_post),
        address: postal(&r.address, &r.postcode),
        delivery: if r.email.is_some() && !by_post {
            Delivery::Email
        } else {
            Delivery::Post
        },
    }];
    if let Some(rep) = case
        .complaint
        .representative
        .as_ref()
        .filter(|rep| rep.authorised_copies)
    {
        to.push(Addressee {
            role: Role::Representative,
            name: Some(rep.name.clone()),
            email: rep.email.clone(),
            address: rep.address.clone(),
            delivery: if rep.email.is_some() {
                Delivery::Email
            } else {
                Delivery::Post
            },
        });
    }
    to
}
