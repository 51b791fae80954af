//! What a complaint says and who raised it: the resident, any representative, the channel,
//! category and tenure, and the checks a new complaint must pass before it is logged.

use serde::{Deserialize, Serialize};

use crate::validation::{self, clean, ValidationErrors};

/// Longest description a resident may send.
pub const MAX_DESCRIPTION: usize = 10_000;

/// How the complaint reached the landlord (recorded for reports and the Code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The public web form.
    Web,
    /// A phone call.
    Phone,
    /// An email.
    Email,
    /// A letter.
    Letter,
    /// In person at an office or visit.
    InPerson,
    /// Social media.
    SocialMedia,
    /// Dissatisfaction expressed in survey feedback.
    Survey,
    /// Raised by a representative on the resident's behalf.
    Representative,
}

impl Channel {
    /// The snake_case name used in the API and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::InPerson => "in_person",
            Channel::SocialMedia => "social_media",
            Channel::Survey => "survey",
            Channel::Representative => "representative",
        }
    }
}

/// The kind of home, reported separately in the Tenant Satisfaction Measures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Tenure {
    /// Low-cost rental accommodation (the default).
    #[default]
    LowCostRental,
    /// Low-cost home ownership (shared ownership and similar).
    LowCostHomeOwnership,
}

/// The default complaint categories of domain.md; the landlord may configure others.
pub const DEFAULT_CATEGORIES: [&str; 9] = [
    "repairs",
    "damp_and_mould",
    "anti_social_behaviour",
    "staff_conduct",
    "communication",
    "rent_and_charges",
    "neighbourhood",
    "support_services",
    "other",
];

/// The resident's identity and the ways to reach them (personal data: never logged).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resident {
    /// Full name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// UK phone number.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// UK postcode, normalised.
    pub postcode: Option<String>,
    /// The landlord's tenancy reference.
    pub tenancy_reference: Option<String>,
}

/// Someone acting on the resident's behalf (advocate, family member, councillor, MP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    /// The representative's name.
    pub name: String,
    /// Their relationship to the resident.
    pub relationship: Option<String>,
    /// Their email address, for copies of letters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their postal address, for copies of letters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// True once the resident has authorised the landlord to send the representative copies
    /// of the letters about the complaint.
    #[serde(default)]
    pub authorised_copies: bool,
}

/// The complaint as the resident made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintDetails {
    /// Who the complaint is from.
    pub resident: Resident,
    /// Who raised it on the resident's behalf, if anyone.
    pub representative: Option<Representative>,
    /// How it reached the landlord.
    pub channel: Channel,
    /// One of the configured categories.
    pub category: Option<String>,
    /// What went wrong, in the resident's words.
    pub description: String,
    /// What the resident would like to happen.
    pub desired_outcome: Option<String>,
    /// The kind of home, for the TSMs.
    pub tenure: Tenure,
}

/// A new complaint as it arrives from a form or an API call, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ComplaintForm {
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
    /// What went wrong.
    pub description: Option<String>,
    /// What the resident wants.
    pub desired_outcome: Option<String>,
    /// Category name.
    pub category: Option<String>,
    /// Tenure name.
    pub tenure: Option<String>,
}

impl ComplaintForm {
    /// Checks the form against the intake rules and returns the complaint's details, or every
    /// field at fault. `categories` are the landlord's configured category names.
    pub fn validate(
        self,
        channel: Channel,
        categories: &[String],
    ) -> Result<ComplaintDetails, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = clean(self.name);
        let email = clean(self.email);
        let phone = clean(self.phone);
        let address = clean(self.address);
        let postcode = clean(self.postcode);
        let tenancy_reference = clean(self.tenancy_reference);
        let description = clean(self.description);
        let desired_outcome = clean(self.desired_outcome);
        let category = clean(self.category);
        let tenure = clean(self.tenure);

        e.check_len("name", name.as_deref(), 200);
        e.require_text(
            "description",
            description.as_deref(),
            MAX_DESCRIPTION,
            "a description of your complaint",
        );
        e.check_len("desired_outcome", desired_outcome.as_deref(), 5_000);
        e.check_len("address", address.as_deref(), 500);
        e.check_len("tenancy_reference", tenancy_reference.as_deref(), 50);
        if let Some(v) = &email {
            if !validation::is_email(v) {
                e.add(
                    "email",
                    "Enter an email address in the correct format, like name@example.com",
                );
            }
        }
        if let Some(v) = &phone {
            if !validation::is_uk_phone(v) {
                e.add(
                    "phone",
                    "Enter a UK phone number, like 01632 960 001 or 07700 900 982",
                );
            }
        }
        let postcode = match postcode {
            Some(p) => match validation::normalise_postcode(&p) {
                Some(n) => Some(n),
                None => {
                    e.add("postcode", "Enter a real postcode, like SW1A 1AA");
                    None
                }
            },
            None => None,
        };
        for (field, v) in [
            ("name", &name),
            ("address", &address),
            ("tenancy_reference", &tenancy_reference),
            ("desired_outcome", &desired_outcome),
        ] {
            if v.as_deref().is_some_and(validation::has_control_chars) {
                e.add(field, "must not contain control characters");
            }
        }
        if email.is_none() && phone.is_none() && address.is_none() {
            e.add("email", "Give us at least one way to contact you: an email address, a phone number or a postal address");
        }
        if let Some(c) = &category {
            if !categories.iter().any(|k| k == c) {
                e.add(
                    "category",
                    format!("Choose one of the categories: {}", categories.join(", ")),
                );
            }
        }
        let tenure = match tenure.as_deref() {
            None => Tenure::default(),
            Some("low_cost_rental") => Tenure::LowCostRental,
            Some("low_cost_home_ownership") => Tenure::LowCostHomeOwnership,
            Some(_) => {
                e.add(
                    "tenure",
                    "must be low_cost_rental or low_cost_home_ownership",
                );
                Tenure::default()
            }
        };
        e.into_result()?;
        Ok(ComplaintDetails {
            resident: Resident {
                name,
                email,
                phone,
                address,
                postcode,
                tenancy_reference,
            },
            representative: None,
            channel,
            category,
            description: description.unwrap_or_default(),
            desired_outcome,
            tenure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats() -> Vec<String> {
        DEFAULT_CATEGORIES.iter().map(|s| s.to_string()).collect()
    }

    fn form() -> ComplaintForm {
        ComplaintForm {
            name: Some("Ada Resident".into()),
            email: Some("ada@example.org".into()),
            description: Some("The boiler has not worked for three weeks.".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_complaint_needs_a_description_and_one_way_to_reach_the_resident() {
        let e = ComplaintForm::default()
            .validate(Channel::Web, &cats())
            .unwrap_err();
        assert!(e.message_for("description").is_some());
        assert!(e.message_for("email").unwrap().contains("at least one way"));
        let ok = ComplaintForm {
            email: None,
            address: Some("1 High St".into()),
            ..form()
        };
        assert!(ok.validate(Channel::Web, &cats()).is_ok());
    }

    #[test]
    fn description_up_to_ten_thousand_characters() {
        let ok = ComplaintForm {
            description: Some("é".repeat(10_000)),
            ..form()
        };
        assert!(ok.validate(Channel::Web, &cats()).is_ok());
        let long = ComplaintForm {
            description: Some("a".repeat(10_001)),
            ..form()
        };
        assert!(long
            .validate(Channel::Web, &cats())
            .unwrap_err()
            .message_for("description")
            .is_some());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = ComplaintForm {
            email: Some("not-an-email".into()),
            phone: Some("12".into()),
            postcode: Some("nowhere".into()),
            category: Some("weather".into()),
            tenure: Some("freehold".into()),
            ..form()
        };
        let e = bad.validate(Channel::Web, &cats()).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        for f in ["email", "phone", "postcode", "category", "tenure"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn blank_fields_count_as_absent_and_postcodes_are_normalised() {
        let f = ComplaintForm {
            phone: Some("  ".into()),
            postcode: Some("sw1a1aa".into()),
            category: Some("".into()),
            ..form()
        };
        let d = f.validate(Channel::Web, &cats()).unwrap();
        assert_eq!(d.resident.phone, None);
        assert_eq!(d.resident.postcode.as_deref(), Some("SW1A 1AA"));
        assert_eq!(d.category, None);
        assert_eq!(d.tenure, Tenure::LowCostRental);
    }

    #[test]
    fn html_in_a_description_is_kept_as_text() {
        let f = ComplaintForm {
            description: Some("<script>alert(1)</script> =SUM(A1)".into()),
            ..form()
        };
        assert_eq!(
            f.validate(Channel::Web, &cats()).unwrap().description,
            "<script>alert(1)</script> =SUM(A1)"
        );
    }
}
