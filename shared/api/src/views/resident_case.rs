//! What the resident sees of their own case: its stage, dates, responses and letters; no staff
//! names, no internal history.

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::case::{Case, Rules};
use p3_domain::deadline::{self, DeadlineKind, DeadlineStatus, DeadlineStep};
use p3_domain::london::london_date;
use p3_domain::HOUSING_OMBUDSMAN;
use serde::Serialize;

use super::parts::{LetterView, ResponseView};

/// The resident's view of a case (`GET /complaints/{reference}?code=…` and their case page).
#[derive(Debug, Serialize)]
pub struct ResidentCase<'c> {
    /// `CMP-2026-00001`.
    pub reference: &'c str,
    /// Where it stands today.
    pub status: String,
    /// The stage it is at.
    pub stage: u8,
    /// The London date it was received.
    pub received_on: NaiveDate,
    /// The deadlines the resident is told about (not the Code's own).
    pub deadlines: Vec<ResidentDeadline>,
    /// Each stage's response, without who issued it.
    pub responses: Vec<ResponseView<'c>>,
    /// The letters' subjects and dates.
    pub letters: Vec<LetterView<'c>>,
    /// Whether the resident may ask for the next stage now.
    pub can_request_stage2: bool,
    /// The end of the window to ask, when they may.
    pub stage2_request_by: Option<NaiveDate>,
    /// How to reach the Housing Ombudsman.
    pub housing_ombudsman: &'static str,
    /// The files the resident sent (never the staff's); left out while there are none, so a
    /// complaint without files reads as it always has.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ResidentFile<'c>>,
}

/// A file the resident sent, as they see it.
#[derive(Debug, Serialize)]
pub struct ResidentFile<'c> {
    /// Its id on the case.
    #[serde(skip)]
    pub id: &'c str,
    /// The name it was sent with (only shown).
    pub filename: &'c str,
    /// Its media type, from its content.
    pub content_type: &'c str,
    /// Its size in bytes.
    pub size: u64,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

impl ResidentFile<'_> {
    /// Its size as a person reads it.
    pub fn size_label(&self) -> String {
        p3_domain::attachment::size_label(self.size)
    }

    /// The London date it was added.
    pub fn added_on(&self) -> NaiveDate {
        london_date(self.added_at)
    }
}

/// A deadline as the resident sees it.
#[derive(Debug, Serialize)]
pub struct ResidentDeadline {
    /// What is due.
    pub kind: DeadlineKind,
    /// By when.
    pub due: NaiveDate,
    /// Where it stands.
    pub status: DeadlineStatus,
}

impl<'c> ResidentCase<'c> {
    /// The resident's view of `case` on `now`.
    pub fn of(case: &'c Case, rules: &Rules, now: DateTime<Utc>) -> Self {
        let today = london_date(now);
        let policy = rules.policy_of(case).ok();
        let deadlines = policy
            .map(|p| deadline::deadlines(case, p, &rules.calendar, today))
            .unwrap_or_default();
        let status = policy
            .map(|p| case.status(p, &rules.calendar, today).name())
            .unwrap_or_else(|| "unknown".into());
        let can_escalate = policy.is_some_and(|p| {
            let s = case.current_stage();
            s.response.is_some()
                && s.number < p.last_stage()
                && case.withdrawal.is_none()
                && case.refusal.is_none()
        });
        let window = deadlines
            .iter()
            .find(|d| {
                d.kind.step == DeadlineStep::RequestWindow
                    && d.kind.stage == case.current_stage().number + 1
            })
            .map(|d| d.due);
        ResidentCase {
            reference: &case.reference,
            status,
            stage: case.current_stage().number,
            received_on: case.received_on(),
            deadlines: deadlines
                .iter()
                .filter(|d| d.kind.step != DeadlineStep::ResponseCode)
                .map(|d| ResidentDeadline {
                    kind: d.kind,
                    due: d.due,
                    status: d.status,
                })
                .collect(),
            responses: ResponseView::all(case, false),
            letters: LetterView::all(case, None),
            can_request_stage2: can_escalate,
            stage2_request_by: if can_escalate { window } else { None },
            housing_ombudsman: HOUSING_OMBUDSMAN,
            files: case
                .attachments
                .iter()
                .filter(|a| a.from_resident())
                .map(|a| ResidentFile {
                    id: &a.id,
                    filename: &a.filename,
                    content_type: &a.content_type,
                    size: a.size,
                    added_at: a.added_at,
                })
                .collect(),
        }
    }
}
