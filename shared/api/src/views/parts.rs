//! The parts both views of a case share: a stage's response and the letters.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::case::{Case, IssuedResponse};
use p3_domain::event::{Outcome, PointDecision, PromisedAction};
use p3_domain::letter::{Delivery, LetterKind, Role};
use p3_domain::london::london_date;
use p3_domain::HOUSING_OMBUDSMAN;
use serde::Serialize;

/// A stage's response as issued.
#[derive(Debug, Serialize)]
pub struct ResponseView<'c> {
    /// The stage it answered.
    pub stage: u8,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// The London date it was issued.
    pub issued_on: NaiveDate,
    /// Who issued it (staff only; the resident's view leaves it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<&'c str>,
    /// Resolved when it was received.
    pub first_contact_resolution: bool,
    /// The decision.
    pub outcome: &'c Outcome,
    /// Why.
    pub summary: &'c str,
    /// What puts things right.
    pub remedy: &'c Option<String>,
    /// The decision on each point.
    pub point_decisions: &'c [PointDecision],
    /// What the landlord promised to do.
    pub actions: &'c [PromisedAction],
    /// How to reach the Housing Ombudsman.
    pub housing_ombudsman: &'static str,
}

impl<'c> ResponseView<'c> {
    /// The response issued at `stage`; `by` shown only to staff.
    pub fn of(stage: u8, r: &'c IssuedResponse, show_by: bool) -> Self {
        ResponseView {
            stage,
            issued_at: r.at,
            issued_on: london_date(r.at),
            issued_by: show_by.then_some(r.by.as_str()),
            first_contact_resolution: r.first_contact,
            outcome: &r.response.outcome,
            summary: &r.response.summary,
            remedy: &r.response.remedy,
            point_decisions: &r.response.point_decisions,
            actions: &r.response.actions,
            housing_ombudsman: HOUSING_OMBUDSMAN,
        }
    }

    /// Every stage's response, first stage first.
    pub fn all(case: &'c Case, show_by: bool) -> Vec<Self> {
        case.stages
            .iter()
            .filter_map(|s| s.response.as_ref().map(|r| Self::of(s.number, r, show_by)))
            .collect()
    }
}

/// One letter on a case.
#[derive(Debug, Serialize)]
pub struct LetterView<'c> {
    /// Its number on the case, from 1.
    pub number: u16,
    /// What it is.
    pub kind: &'c LetterKind,
    /// The stage it belongs to.
    pub stage: u8,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// The London date it was issued.
    pub issued_on: NaiveDate,
    /// Its subject line.
    pub subject: &'c str,
    /// The printable letter (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// To whom it goes and how (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<LetterCopy<'c>>>,
}

/// One addressee of a letter, for staff.
#[derive(Debug, Serialize)]
pub struct LetterCopy<'c> {
    /// Resident, representative…
    pub role: &'c Role,
    /// Their name.
    pub name: &'c Option<String>,
    /// Email or post.
    pub delivery: &'c Delivery,
    /// The address an emailed copy goes to (only for emailed copies; it may be null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'c Option<String>>,
    /// Whether the emailed copy has gone (only for emailed copies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_sent: Option<bool>,
}

impl<'c> LetterView<'c> {
    /// The letters on a case; with `sent` (the staff view) each one's addressees and whether
    /// each emailed copy has gone.
    pub fn all(case: &'c Case, sent: Option<&HashSet<String>>) -> Vec<Self> {
        case.letters
            .iter()
            .map(|l| LetterView {
                number: l.number,
                kind: &l.kind,
                stage: l.stage,
                issued_at: l.issued_at,
                issued_on: london_date(l.issued_at),
                subject: &l.subject,
                url: sent.map(|_| {
                    format!(
                        "/staff/complaints/{}/letters/{}",
                        crate::html::urlencode(&case.reference),
                        l.number
                    )
                }),
                to: sent.map(|sent| {
                    l.to.iter()
                        .enumerate()
                        .map(|(i, a)| {
                            let email = a.delivery == Delivery::Email;
                            LetterCopy {
                                role: &a.role,
                                name: &a.name,
                                delivery: &a.delivery,
                                email: email.then_some(&a.email),
                                email_sent: email
                                    .then(|| sent.contains(&l.delivery_id(&case.reference, i))),
                            }
                        })
                        .collect()
                }),
            })
            .collect()
    }
}
