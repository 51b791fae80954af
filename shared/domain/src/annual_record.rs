//! What the landlord writes itself for a financial year, kept per year beside the figures: its
//! commentary and action plan on each requirement of the self-assessment
//! ([`crate::self_assessment`]) and the governing body's response to the annual report (Code
//! 8.2). Staff with the [`EDITOR`] role write them; whoever reads the reports reads them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::StoreError;
use crate::role::Role;
use crate::validation::{self, ValidationErrors};

/// The role that writes the commentary and records the governing body's response (the Head of
/// Tenant Services and senior managers).
pub const EDITOR: Role = Role::SeniorManager;

/// Most characters of a commentary, an action plan or the governing body's response.
pub const MAX_TEXT: usize = 20_000;

/// The landlord's commentary and action plan on one requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commentary {
    /// How the landlord complies, in its own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commentary: Option<String>,
    /// What it will do where it does not fully comply, and by when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_plan: Option<String>,
    /// Who wrote it last (staff email).
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// The governing body's response to the year's annual report, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoverningBodyResponse {
    /// What the governing body said.
    pub text: String,
    /// The date of the meeting (or decision) it was given at, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_on: Option<NaiveDate>,
    /// Who recorded it (staff email).
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// Everything recorded for one financial year (empty until something is written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualRecord {
    /// The financial year (April `year` to March `year + 1`).
    pub year: i32,
    /// The commentary per requirement, by its number in the Code.
    pub self_assessment: BTreeMap<String, Commentary>,
    /// The governing body's response to the annual report.
    pub governing_body_response: Option<GoverningBodyResponse>,
}

/// Where the per-year records are kept (SQLite locally, DynamoDB on AWS). Each write replaces
/// one requirement's commentary, or the year's governing body response, whole.
#[async_trait]
pub trait AnnualRecordStore: Send + Sync {
    /// The year's record; an empty one (with its year) when nothing was written.
    async fn annual_record(&self, year: i32) -> Result<AnnualRecord, StoreError>;
    /// Writes the commentary of one requirement for the year.
    async fn put_commentary(
        &self,
        year: i32,
        requirement: &str,
        commentary: &Commentary,
    ) -> Result<(), StoreError>;
    /// Writes the year's governing body response.
    async fn put_governing_body_response(
        &self,
        year: i32,
        response: &GoverningBodyResponse,
    ) -> Result<(), StoreError>;
}

/// An edit of one requirement's commentary, as asked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentaryEdit {
    /// The requirement's number in the Code, as [`crate::self_assessment::SECTIONS`] lists it.
    pub requirement: String,
    /// The commentary; blank or left out clears it.
    #[serde(default)]
    pub commentary: Option<String>,
    /// The action plan; blank or left out clears it.
    #[serde(default)]
    pub action_plan: Option<String>,
}

fn check_text(field: &str, value: Option<String>, e: &mut ValidationErrors) -> Option<String> {
    let value = validation::clean(value);
    e.check_len(field, value.as_deref(), MAX_TEXT);
    if value.as_deref().is_some_and(validation::has_control_chars) {
        e.add(field, "must not contain control characters");
    }
    value
}

/// Checks edits of the self-assessment (at least one, at most one per requirement, each naming
/// a requirement of the Code) into the commentaries to write; errors name
/// `entries[i].requirement`, `entries[i].commentary`, `entries[i].action_plan`.
pub fn check_commentary(
    entries: Vec<CommentaryEdit>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Vec<(String, Commentary)>, ValidationErrors> {
    let mut e = ValidationErrors::new();
    if entries.is_empty() {
        e.add("entries", "give at least one requirement's commentary");
    }
    let mut out: Vec<(String, Commentary)> = Vec::new();
    for (i, edit) in entries.into_iter().enumerate() {
        let code = edit.requirement.trim().to_string();
        if crate::self_assessment::requirement(&code).is_none() {
            e.add(
                &format!("entries[{i}].requirement"),
                "must be the number of a requirement of the Code, as the self-assessment lists it (e.g. 5.6)",
            );
        } else if out.iter().any(|(c, _)| *c == code) {
            e.add(
                &format!("entries[{i}].requirement"),
                "is given more than once",
            );
        }
        let commentary = check_text(&format!("entries[{i}].commentary"), edit.commentary, &mut e);
        let action_plan = check_text(
            &format!("entries[{i}].action_plan"),
            edit.action_plan,
            &mut e,
        );
        out.push((
            code,
            Commentary {
                commentary,
                action_plan,
                updated_by: by.to_string(),
                updated_at: at,
            },
        ));
    }
    e.into_result().map(|()| out)
}

/// Checks the governing body's response (required text of at most [`MAX_TEXT`] characters);
/// errors name `text`.
pub fn check_governing_body_response(
    text: String,
    given_on: Option<NaiveDate>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<GoverningBodyResponse, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let text = check_text("text", Some(text), &mut e);
    if text.is_none() {
        e.add("text", "write the governing body's response");
    }
    e.into_result()?;
    Ok(GoverningBodyResponse {
        text: text.unwrap_or_default(),
        given_on,
        updated_by: by.to_string(),
        updated_at: at,
    })
}
