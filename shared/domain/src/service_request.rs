//! Service requests: a request to put something right is not a complaint. All are logged; when
//! the resident is dissatisfied with the response, a Stage 1 complaint is raised and linked,
//! and the request carries on. The Head of Tenant Services reviews them regularly: each is
//! open, escalated to a complaint (the reference it became is kept) or closed with a note, and
//! its age is the working days since it was received ([`ServiceRequest::age_working_days`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::complaint::{ComplaintForm, Resident};
use crate::london::london_date;
use crate::role::Role;
use crate::validation::{clean, ValidationErrors};

/// Who reviews service requests, closing them or escalating them to a complaint: the Head of
/// Tenant Services (and any senior manager).
pub const REVIEWER: Role = Role::SeniorManager;

/// Where a service request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceRequestStatus {
    /// Logged and not closed, with no complaint raised from it.
    Open,
    /// A Stage 1 complaint was raised from it; the request carries on until closed.
    Escalated,
    /// Closed on review, with a note.
    Closed,
}

impl ServiceRequestStatus {
    /// Every status, in review order.
    pub const ALL: [ServiceRequestStatus; 3] = [
        ServiceRequestStatus::Open,
        ServiceRequestStatus::Escalated,
        ServiceRequestStatus::Closed,
    ];

    /// The snake_case name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceRequestStatus::Open => "open",
            ServiceRequestStatus::Escalated => "escalated",
            ServiceRequestStatus::Closed => "closed",
        }
    }

    /// The status named `s`.
    pub fn parse(s: &str) -> Option<ServiceRequestStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A service request's closure on review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// When it was closed.
    pub at: DateTime<Utc>,
    /// Who closed it (staff email).
    pub by: String,
    /// Why, and what was done.
    pub note: String,
}

/// A logged service request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRequest {
    /// Unique id, e.g. `SR-2026-00017`.
    pub id: String,
    /// What the resident asked for.
    pub description: String,
    /// One of the configured categories.
    pub category: Option<String>,
    /// Who asked.
    pub resident: Resident,
    /// The landlord's response so far, if any.
    pub response: Option<String>,
    /// When it was made.
    pub logged_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub logged_by: String,
    /// The complaint raised from it, once escalated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<String>,
    /// Its closure on review, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closure>,
}

impl ServiceRequest {
    /// Closed once closed; else escalated once a complaint was raised from it; else open.
    pub fn status(&self) -> ServiceRequestStatus {
        if self.closed.is_some() {
            ServiceRequestStatus::Closed
        } else if self.complaint.is_some() {
            ServiceRequestStatus::Escalated
        } else {
            ServiceRequestStatus::Open
        }
    }

    /// Working days from the London date it was received to `today`, or to the day it was
    /// closed: how long the resident has waited (0 on the day it came in).
    pub fn age_working_days(&self, calendar: &Calendar, today: NaiveDate) -> i64 {
        let end = self.closed.as_ref().map_or(today, |c| london_date(c.at));
        calendar
            .working_days_between(london_date(self.logged_at), end)
            .max(0)
    }

    /// The request closed on review by `by` at `at`, with `note`: refused, naming the field,
    /// when already closed, without a note, or dated before it was received.
    pub fn close(
        &self,
        note: Option<String>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<ServiceRequest, ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.closed.is_some() {
            e.add("status", "This service request is already closed");
        }
        let note = clean(note);
        e.require_text(
            "note",
            note.as_deref(),
            5_000,
            "why the service request is closed and what was done",
        );
        if at < self.logged_at {
            e.add("at", "must not be before the service request was made");
        }
        e.into_result()?;
        Ok(ServiceRequest {
            closed: Some(Closure {
                at,
                by: by.to_string(),
                note: note.unwrap_or_default(),
            }),
            ..self.clone()
        })
    }
}

/// A service request as it arrives, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRequestForm {
    /// What is asked for.
    pub description: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// The landlord's response, if already given.
    pub response: Option<String>,
    /// Resident's name.
    pub name: Option<String>,
    /// Resident's email.
    pub email: Option<String>,
    /// Resident's phone.
    pub phone: Option<String>,
    /// Resident's address.
    pub address: Option<String>,
    /// Resident's postcode.
    pub postcode: Option<String>,
    /// Tenancy reference.
    pub tenancy_reference: Option<String>,
    /// When it was made (default now).
    pub at: Option<DateTime<Utc>>,
}

/// What a list of service requests asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceRequestQuery {
    /// Only those with this status; none: every one.
    pub status: Option<ServiceRequestStatus>,
    /// At most this many, oldest received first.
    pub limit: usize,
}

impl ServiceRequestForm {
    /// Checks the request with the same resident rules as a complaint.
    pub fn validate(
        self,
        categories: &[String],
    ) -> Result<(Resident, String, Option<String>, Option<String>), ValidationErrors> {
        let response = clean(self.response);
        let as_complaint = ComplaintForm {
            name: self.name,
            email: self.email,
            phone: self.phone,
            address: self.address,
            postcode: self.postcode,
            tenancy_reference: self.tenancy_reference,
            description: self.description,
            desired_outcome: None,
            category: self.category,
            tenure: None,
        };
        let mut extra = ValidationErrors::new();
        extra.check_len("response", response.as_deref(), 10_000);
        match as_complaint.validate(crate::complaint::Channel::Phone, categories) {
            Ok(d) => {
                extra.into_result()?;
                Ok((d.resident, d.description, d.category, response))
            }
            Err(mut e) => {
                e.errors.extend(extra.errors);
                Err(e)
            }
        }
    }
}
