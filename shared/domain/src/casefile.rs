//! The case file beyond the stages: what the Ombudsman expects a landlord to keep and follow
//! through. The resident's needs and the adjustments agreed (with their consent), how they want
//! to hear from the landlord, actions promised in responses and orders of the Housing
//! Ombudsman tracked to completion (each with an owner, a due date and alerts until done),
//! compensation from offer to payment, and every revision of the complaint's points and every
//! change of handler with its reason.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Actor, Case, Command, CommandError};
use crate::complaint::Representative;
use crate::event::CaseEvent;
use crate::london::london_date;
use crate::validation::{self, ValidationErrors};

/// The largest compensation amount accepted, in pence (£100,000): a guard against typing
/// errors, far above any award the Ombudsman's guidance contemplates.
pub const MAX_COMPENSATION_PENCE: u64 = 10_000_000;

/// How far ahead a due date or review date may be set, in days (two years).
pub const MAX_DAYS_AHEAD: i64 = 731;

/// How the resident wants letters to reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactMethod {
    /// By email where an address was given, otherwise by post (the default).
    #[default]
    Email,
    /// By post only: letters are printed and posted, never emailed.
    Post,
    /// By phone: staff call; letters are still kept, and emailed where an address was given.
    Phone,
}

impl ContactMethod {
    /// The snake_case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactMethod::Email => "email",
            ContactMethod::Post => "post",
            ContactMethod::Phone => "phone",
        }
    }
}

/// The format the resident needs letters in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterFormat {
    /// Standard print.
    #[default]
    Standard,
    /// Large print: letters are printed in a large type.
    LargePrint,
    /// Braille: each letter is flagged for transcription before posting.
    Braille,
    /// Easy read: each letter is flagged for an easy-read version.
    EasyRead,
}

impl LetterFormat {
    /// The snake_case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LetterFormat::Standard => "standard",
            LetterFormat::LargePrint => "large_print",
            LetterFormat::Braille => "braille",
            LetterFormat::EasyRead => "easy_read",
        }
    }

    /// What staff must do before a letter in this format is sent, if anything.
    pub fn production_note(self) -> Option<&'static str> {
        match self {
            LetterFormat::Standard | LetterFormat::LargePrint => None,
            LetterFormat::Braille => {
                Some("Have this letter transcribed into Braille before posting it.")
            }
            LetterFormat::EasyRead => Some("Send an easy-read version of this letter as well."),
        }
    }
}

/// How, and in what format and language, the resident wants to hear from the landlord.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPreferences {
    /// Email, post or phone.
    #[serde(default)]
    pub method: ContactMethod,
    /// Standard, large print, Braille or easy read.
    #[serde(default)]
    pub format: LetterFormat,
    /// A language other than English the resident needs letters in (flagged for translation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// The resident's vulnerabilities and the reasonable adjustments agreed with them. Recorded
/// only with their consent, and reviewed by a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportNeeds {
    /// What the resident told us about their circumstances, in their words where possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<String>,
    /// The adjustments agreed (e.g. "call before visiting", "letters read over the phone").
    pub adjustments: String,
    /// The resident agreed to this being recorded (required: nothing is recorded without it).
    pub consent: bool,
    /// When the record is to be reviewed with the resident.
    pub review_on: NaiveDate,
}

/// Where a tracked action came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "source")]
pub enum ActionSource {
    /// Promised in a stage response.
    Response {
        /// The stage whose response promised it (`response_stage` in JSON: the action's own
        /// `stage` sits beside it once flattened into [`TrackedAction`]).
        #[serde(rename = "response_stage")]
        stage: u8,
    },
    /// Ordered by the Housing Ombudsman.
    OmbudsmanOrder,
}

/// A completed action: who, when and what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// When it was done.
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: String,
    /// What was done.
    pub note: String,
}

/// An action promised to the resident or ordered by the Ombudsman, tracked until it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedAction {
    /// Its number on the case, from 1 (actions and orders share the numbering).
    pub number: u16,
    /// Where it came from.
    #[serde(flatten)]
    pub source: ActionSource,
    /// What will be done.
    pub description: String,
    /// Who sees it done (staff email): alerts go to them.
    pub owner: String,
    /// The London date it is due.
    pub due: NaiveDate,
    /// When it was promised or ordered.
    pub promised_at: DateTime<Utc>,
    /// The stage the case was at (alerts are filed under it).
    pub stage: u8,
    /// Set once done.
    pub completed: Option<Completion>,
}

/// Compensation offered to the resident, followed from offer to payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompensationOffer {
    /// Its number on the case, from 1.
    pub number: u16,
    /// Amount in pence.
    pub amount_pence: u64,
    /// What it is for.
    pub reason: String,
    /// When offered.
    pub offered_at: DateTime<Utc>,
    /// The stage whose response offered it, if it came with one.
    pub stage: Option<u8>,
    /// When the resident accepted or declined, and which.
    pub answer: Option<(DateTime<Utc>, bool)>,
    /// When it was paid, with the payment reference.
    pub paid: Option<(DateTime<Utc>, Option<String>)>,
}

impl CompensationOffer {
    /// Where the offer stands: `offered`, `accepted`, `declined` or `paid`.
    pub fn state(&self) -> &'static str {
        match (&self.paid, &self.answer) {
            (Some(_), _) => "paid",
            (None, Some((_, true))) => "accepted",
            (None, Some((_, false))) => "declined",
            (None, None) => "offered",
        }
    }
}

/// Formats an amount in pence as pounds: `£1,250.00`.
pub fn pounds(pence: u64) -> String {
    let whole = (pence / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("£{grouped}.{:02}", pence % 100)
}

/// A revision of a stage's complaint points after acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsRevision {
    /// When.
    pub at: DateTime<Utc>,
    /// Who revised them.
    pub by: String,
    /// The points before the revision.
    pub before: Vec<String>,
    /// Why.
    pub reason: String,
}

/// A change of a stage's handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    /// When.
    pub at: DateTime<Utc>,
    /// Who made the change.
    pub by: String,
    /// The handler before.
    pub from: String,
    /// The handler after.
    pub to: String,
    /// Why.
    pub reason: String,
}

fn staff_email(e: &mut ValidationErrors, field: &str, value: &str) -> String {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        e.add(field, "Name a member of staff (their email address)");
    } else if !validation::is_email(&v) {
        e.add(field, "must be a staff email address");
    }
    v
}

fn date_ahead(e: &mut ValidationErrors, field: &str, date: NaiveDate, actor: &Actor) {
    let today = london_date(actor.at);
    if date < today {
        e.add(field, format!("must not be before {today}"));
    } else if (date - today).num_days() > MAX_DAYS_AHEAD {
        e.add(field, "must be within two years");
    }
}

/// Decides the case-file commands (everything but the stage steps): the events they record,
/// or why they are refused.
pub(crate) fn decide(
    case: &Case,
    command: Command,
    actor: &Actor,
) -> Result<Vec<CaseEvent>, CommandError> {
    let stage = case.current_stage();
    let n = stage.number;
    let mut e = ValidationErrors::new();
    let events = match command {
        Command::RevisePoints {
            complaint_points,
            reason,
        } => {
            case.ensure_active("revise the complaint's points")?;
            if stage.acknowledgement.is_none() || stage.response.is_some() {
                return Err(CommandError::NotAllowed(format!(
                    "the points can be revised only between the Stage {n} acknowledgement and its response"
                )));
            }
            let points = crate::decisions::check_points(complaint_points, &mut e);
            e.require_text("reason", Some(&reason), 2_000, "why the points changed");
            vec![CaseEvent::PointsRevised {
                stage: n,
                complaint_points: points,
                reason: reason.trim().into(),
            }]
        }
        Command::Reassign { handler, reason } => {
            case.ensure_active("reassign")?;
            let Some(ack) = &stage.acknowledgement else {
                return Err(CommandError::NotAllowed(format!(
                    "Stage {n} has no handler yet: name one when acknowledging it"
                )));
            };
            if stage.response.is_some() {
                return Err(CommandError::NotAllowed(format!(
                    "Stage {n} has already been responded to"
                )));
            }
            let handler = staff_email(&mut e, "handler", &handler);
            if handler == ack.handler {
                e.add("handler", "is already the handler of this stage");
            }
            if n > 1
                && case
                    .earlier_stage_people(n)
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&handler))
            {
                e.add("handler", "the reviewer must be a different person from the Stage 1 Investigating Manager and from whoever issued the Stage 1 response");
            }
            e.require_text("reason", Some(&reason), 2_000, "why the handler changes");
            vec![CaseEvent::Reassigned {
                stage: n,
                handler,
                reason: reason.trim().into(),
            }]
        }
        Command::RecordNeeds(needs) => {
            if !needs.consent {
                e.add(
                    "consent",
                    "Record the resident's needs only with their consent: ask them first",
                );
            }
            let adjustments = needs.adjustments.trim().to_string();
            e.require_text(
                "adjustments",
                Some(&adjustments),
                5_000,
                "the adjustments agreed (or \"none\")",
            );
            let vulnerabilities = validation::clean(needs.vulnerabilities);
            e.check_len("vulnerabilities", vulnerabilities.as_deref(), 5_000);
            date_ahead(&mut e, "review_on", needs.review_on, actor);
            vec![CaseEvent::NeedsRecorded {
                needs: SupportNeeds {
                    vulnerabilities,
                    adjustments,
                    consent: true,
                    review_on: needs.review_on,
                },
            }]
        }
        Command::SetContactPreferences(p) => {
            let language = validation::clean(p.language);
            e.check_len("language", language.as_deref(), 100);
            if language
                .as_deref()
                .is_some_and(validation::has_control_chars)
            {
                e.add("language", "must not contain control characters");
            }
            if p.method == ContactMethod::Email && case.complaint.resident.email.is_none() {
                e.add(
                    "method",
                    "The resident gave no email address: choose post or phone",
                );
            }
            vec![CaseEvent::ContactPreferencesSet {
                preferences: ContactPreferences { language, ..p },
            }]
        }
        Command::SetRepresentative(rep) => {
            let rep = rep.map(|r| {
                let name = r.name.trim().to_string();
                e.require_text("name", Some(&name), 200, "the representative's name");
                let relationship = validation::clean(r.relationship);
                e.check_len("relationship", relationship.as_deref(), 200);
                let email = validation::clean(r.email).map(|m| m.to_ascii_lowercase());
                if email.as_deref().is_some_and(|m| !validation::is_email(m)) {
                    e.add(
                        "email",
                        "Enter an email address in the correct format, like name@example.com",
                    );
                }
                let address = validation::clean(r.address);
                e.check_len("address", address.as_deref(), 500);
                Representative {
                    name,
                    relationship,
                    email,
                    address,
                    authorised_copies: r.authorised_copies,
                }
            });
            vec![CaseEvent::RepresentativeSet {
                representative: rep,
            }]
        }
        Command::CompleteAction { action, note } => {
            let Some(a) = case.actions.iter().find(|a| a.number == action) else {
                return Err(CommandError::Invalid(ValidationErrors::one(
                    "action",
                    format!("the case has no action {action}"),
                )));
            };
            if a.completed.is_some() {
                return Err(CommandError::NotAllowed(format!(
                    "action {action} is already recorded as done"
                )));
            }
            e.require_text("note", Some(&note), 5_000, "what was done");
            vec![CaseEvent::ActionCompleted {
                action,
                note: note.trim().into(),
            }]
        }
        Command::OfferCompensation {
            amount_pence,
            reason,
        } => {
            if amount_pence == 0 || amount_pence > MAX_COMPENSATION_PENCE {
                e.add(
                    "amount_pence",
                    "must be between 1 and 10,000,000 pence (£100,000)",
                );
            }
            e.require_text(
                "reason",
                Some(&reason),
                2_000,
                "what the compensation is for",
            );
            vec![CaseEvent::CompensationOffered {
                amount_pence,
                reason: reason.trim().into(),
            }]
        }
        Command::AnswerCompensation { offer, accepted } => {
            let o = find_offer(case, offer)?;
            if o.answer.is_some() {
                return Err(CommandError::NotAllowed(format!(
                    "the resident's answer to offer {offer} is already recorded"
                )));
            }
            vec![CaseEvent::CompensationAnswered { offer, accepted }]
        }
        Command::PayCompensation {
            offer,
            payment_reference,
        } => {
            let o = find_offer(case, offer)?;
            if o.paid.is_some() {
                return Err(CommandError::NotAllowed(format!(
                    "offer {offer} is already recorded as paid"
                )));
            }
            if o.answer.map(|(_, accepted)| accepted) != Some(true) {
                return Err(CommandError::NotAllowed(format!(
                    "offer {offer} has not been accepted: record the resident's acceptance first"
                )));
            }
            let payment_reference = validation::clean(payment_reference);
            e.check_len("payment_reference", payment_reference.as_deref(), 100);
            vec![CaseEvent::CompensationPaid {
                offer,
                payment_reference,
            }]
        }
        Command::OmbudsmanOrder {
            description,
            due,
            owner,
        } => {
            if !case.ombudsman.iter().any(|o| o.event == "determination") {
                return Err(CommandError::NotAllowed(
                    "record the Ombudsman's determination before its orders".into(),
                ));
            }
            e.require_text(
                "description",
                Some(&description),
                2_000,
                "what the Ombudsman ordered",
            );
            let owner = staff_email(&mut e, "owner", &owner);
            date_ahead(&mut e, "due", due, actor);
            vec![CaseEvent::OmbudsmanOrdered {
                description: description.trim().into(),
                due,
                owner,
            }]
        }
        other => {
            return Err(CommandError::NotAllowed(format!(
                "not a case-file command: {other:?}"
            )))
        }
    };
    e.into_result()?;
    Ok(events)
}

fn find_offer(case: &Case, offer: u16) -> Result<&CompensationOffer, CommandError> {
    case.compensation
        .iter()
        .find(|o| o.number == offer)
        .ok_or_else(|| {
            CommandError::Invalid(ValidationErrors::one(
                "offer",
                format!("the case has no compensation offer {offer}"),
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pounds_are_grouped_in_thousands_with_pence() {
        assert_eq!(pounds(0), "£0.00");
        assert_eq!(pounds(5), "£0.05");
        assert_eq!(pounds(12_345), "£123.45");
        assert_eq!(pounds(125_000), "£1,250.00");
        assert_eq!(pounds(123_456_789), "£1,234,567.89");
    }

    /// A stored case is JSON: an action promised at one stage and tracked at another must
    /// load back (the response's stage and the action's own stage are two keys, not one twice).
    #[test]
    fn a_tracked_action_survives_a_round_trip_through_json() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-06-12T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for source in [
            ActionSource::Response { stage: 1 },
            ActionSource::OmbudsmanOrder,
        ] {
            let action = TrackedAction {
                number: 1,
                source,
                description: "Treat the damp".into(),
                owner: "im@p3housing.invalid".into(),
                due: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
                promised_at: at,
                stage: 2,
                completed: None,
            };
            let json = serde_json::to_string(&action).unwrap();
            let back: TrackedAction = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{json} does not load back: {e}"));
            assert_eq!(back, action, "{json}");
        }
    }
}
