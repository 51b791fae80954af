//! The open complaints, next deadline first: `GET /staff/complaints` and the staff case list.

use chrono::{DateTime, NaiveDate, Utc};
use p3_domain::case::Case;
use p3_domain::complaint::Channel;
use p3_domain::deadline::{self, Deadline, DeadlineStatus};
use p3_domain::london::london_date;
use p3_domain::ports::CaseQuery;
use p3_domain::service::{Service, ServiceError};
use p3_domain::validation::{self, ValidationErrors};
use serde::{Deserialize, Serialize};

/// The list's filters as a query string gives them (`?status=…&owner=…&overdue=true&limit=…`).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// A status name.
    pub status: Option<String>,
    /// An Investigating Manager's or reviewer's email.
    pub owner: Option<String>,
    /// `true` for overdue cases only.
    pub overdue: Option<String>,
    /// At most this many, 1 to 5000 (500 if left out; sent empty, refused).
    pub limit: Option<String>,
}

const STATUSES: [&str; 8] = [
    "received",
    "acknowledged",
    "responded",
    "stage2_requested",
    "stage2_acknowledged",
    "closed",
    "withdrawn",
    "refused",
];

impl ListQuery {
    /// The store's query for `today`, or what is wrong with each filter.
    pub fn parse(self, today: NaiveDate) -> Result<CaseQuery, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let status = validation::clean(self.status);
        if let Some(s) = &status {
            let known = STATUSES.contains(&s.as_str())
                || (s.starts_with("stage")
                    && (s.ends_with("_requested") || s.ends_with("_acknowledged")));
            if !known {
                e.add("status", format!("must be one of {}", STATUSES.join(", ")));
            }
        }
        let overdue = match self.overdue.as_deref() {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                e.add("overdue", "must be true or false");
                false
            }
        };
        let limit = super::limit_of(self.limit.as_deref(), 500, 5000, &mut e);
        e.into_result()?;
        Ok(CaseQuery {
            status,
            owner: validation::clean(self.owner).map(|o| o.to_ascii_lowercase()),
            overdue,
            today: Some(today),
            limit,
        })
    }
}

/// The cases a query found.
#[derive(Debug, Serialize)]
pub struct CaseList {
    /// How many.
    pub count: usize,
    /// Each case, next deadline first.
    pub cases: Vec<CaseSummary>,
}

/// One line of the list.
#[derive(Debug, Serialize)]
pub struct CaseSummary {
    /// `CMP-2026-00001`.
    pub reference: String,
    /// Where it stands today.
    pub status: String,
    /// The stage it is at.
    pub stage: u8,
    /// Its Investigating Manager.
    pub owner: Option<String>,
    /// Its Stage 2 reviewer.
    pub reviewer: Option<String>,
    /// What it is about.
    pub category: Option<String>,
    /// How it came in.
    pub channel: Channel,
    /// The London date it was received.
    pub received_on: NaiveDate,
    /// The landlord's next deadline.
    pub next_deadline: Option<Deadline>,
    /// The next deadline has passed.
    pub overdue: bool,
    /// The next deadline is within two working days.
    pub due_within_two_working_days: bool,
    /// Its version.
    pub version: u64,
}

impl CaseList {
    /// The cases the store finds for `query`, as they stand on `now`.
    pub async fn load(
        service: &Service,
        query: &CaseQuery,
        now: DateTime<Utc>,
    ) -> Result<CaseList, ServiceError> {
        let cases = service.store.list(query).await?;
        Ok(CaseList::of(service, &cases, now))
    }

    /// The summaries of `cases` on `now` (a case whose procedure is unknown is left out).
    pub fn of(service: &Service, cases: &[Case], now: DateTime<Utc>) -> CaseList {
        let today = london_date(now);
        let rules = &service.rules;
        let cases: Vec<CaseSummary> = cases
            .iter()
            .filter_map(|c| {
                let policy = rules.policy_of(c).ok()?;
                let ds = deadline::deadlines(c, policy, &rules.calendar, today);
                let next = deadline::next_landlord_deadline(&ds).cloned();
                let overdue = next
                    .as_ref()
                    .is_some_and(|d| d.status == DeadlineStatus::Breached);
                let soon = next.as_ref().is_some_and(|d| {
                    d.status == DeadlineStatus::Pending
                        && rules.calendar.working_days_between(today, d.due) <= 2
                });
                Some(CaseSummary {
                    reference: c.reference.clone(),
                    status: c.status(policy, &rules.calendar, today).name(),
                    stage: c.current_stage().number,
                    owner: c.owner().map(str::to_string),
                    reviewer: c.reviewer().map(str::to_string),
                    category: c.complaint.category.clone(),
                    channel: c.complaint.channel,
                    received_on: c.received_on(),
                    next_deadline: next,
                    overdue,
                    due_within_two_working_days: soon,
                    version: c.version,
                })
            })
            .collect();
        CaseList {
            count: cases.len(),
            cases,
        }
    }
}
