//! Service requests: a request to put something right is not a complaint. All are logged; when
//! the resident is dissatisfied with the response, a Stage 1 complaint is raised and linked,
//! and the request carries on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::complaint::{ComplaintForm, Resident};
use crate::validation::{clean, ValidationErrors};

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
