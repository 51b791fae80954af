//! What a resident may ask for on the public form beside the complaint itself (Code 1.3, 3.1):
//! someone complaining for them, with their consent; the adjustments they need; how, and in
//! what format, they want to hear from us. Each is optional. What they ask for is recorded with
//! the receipt, in the same write (see [`open_with_asks`]): the representative in the complaint's
//! details, the adjustments as [`CaseEvent::NeedsRecorded`](crate::event::CaseEvent), the way to
//! reach them as [`CaseEvent::ContactPreferencesSet`](crate::event::CaseEvent).
//!
//! Adjustments asked for on the form are reviewed with the resident when the complaint is
//! acknowledged: their review date is the Stage 1 acknowledgement's due date.

use serde::Deserialize;

use crate::case::{Actor, Case, Command, CommandError, NewCase, Rules};
use crate::casefile::{ContactMethod, ContactPreferences, LetterFormat, SupportNeeds};
use crate::complaint::Representative;
use crate::deadline::{self, DeadlineStep};
use crate::validation::{self, clean, ValidationErrors};

/// Longest adjustments text a resident may send.
pub const MAX_ADJUSTMENTS: usize = 5_000;

/// The optional questions of the public form, as they arrive, before validation. Their names
/// are the JSON fields and the form's field names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AsksForm {
    /// The name of whoever complains for the resident.
    pub representative_name: Option<String>,
    /// Their relationship to the resident (family member, advocate, councillor, MP...).
    pub representative_relationship: Option<String>,
    /// Their email address.
    pub representative_email: Option<String>,
    /// Their postal address.
    pub representative_address: Option<String>,
    /// The resident agrees to the representative complaining for them and receiving copies of
    /// our letters: required when a representative is named.
    pub representative_consent: Option<bool>,
    /// The adjustments the resident needs, in their words.
    pub adjustments: Option<String>,
    /// `email`, `post` or `phone`.
    pub contact_method: Option<String>,
    /// `standard`, `large_print`, `braille` or `easy_read`.
    pub letter_format: Option<String>,
    /// A language other than English the resident needs letters in.
    pub language: Option<String>,
}

/// What the resident asked for, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResidentAsks {
    /// Who complains for them, with their consent (recorded as authorising copies of letters).
    pub representative: Option<Representative>,
    /// The adjustments they need.
    pub adjustments: Option<String>,
    /// How and in what format they want to hear from us.
    pub contact: Option<ContactPreferences>,
}

impl ResidentAsks {
    /// True when the resident asked for nothing beyond the complaint.
    pub fn is_empty(&self) -> bool {
        self == &ResidentAsks::default()
    }
}

/// The contact methods the form offers, by their API names.
pub const CONTACT_METHODS: [ContactMethod; 3] = [
    ContactMethod::Email,
    ContactMethod::Post,
    ContactMethod::Phone,
];

/// The letter formats the form offers, by their API names.
pub const LETTER_FORMATS: [LetterFormat; 4] = [
    LetterFormat::Standard,
    LetterFormat::LargePrint,
    LetterFormat::Braille,
    LetterFormat::EasyRead,
];

impl AsksForm {
    /// Checks the answers; `resident_email` is the email the resident gave, if any (asking to
    /// hear by email needs one). Every field at fault is reported at once.
    pub fn validate(self, resident_email: Option<&str>) -> Result<ResidentAsks, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = clean(self.representative_name);
        let relationship = clean(self.representative_relationship);
        let email = clean(self.representative_email).map(|m| m.to_ascii_lowercase());
        let address = clean(self.representative_address);
        let consent = self.representative_consent.unwrap_or(false);
        e.check_len("representative_name", name.as_deref(), 200);
        e.check_len("representative_relationship", relationship.as_deref(), 200);
        e.check_len("representative_address", address.as_deref(), 500);
        for (field, v) in [
            ("representative_name", &name),
            ("representative_relationship", &relationship),
            ("representative_address", &address),
        ] {
            if v.as_deref().is_some_and(validation::has_control_chars) {
                e.add(field, "must not contain control characters");
            }
        }
        if email.as_deref().is_some_and(|m| !validation::is_email(m)) {
            e.add(
                "representative_email",
                "Enter an email address in the correct format, like name@example.com",
            );
        }
        let representative = match name {
            Some(name) => {
                if !consent {
                    e.add(
                        "representative_consent",
                        "Confirm that the resident agrees to this person complaining for them",
                    );
                }
                Some(Representative {
                    name,
                    relationship,
                    email,
                    address,
                    authorised_copies: true,
                })
            }
            None => {
                if relationship.is_some() || email.is_some() || address.is_some() || consent {
                    e.add(
                        "representative_name",
                        "Enter the name of the person complaining for the resident",
                    );
                }
                None
            }
        };
        let adjustments = clean(self.adjustments);
        e.check_len("adjustments", adjustments.as_deref(), MAX_ADJUSTMENTS);
        let method = clean(self.contact_method);
        let format = clean(self.letter_format);
        let language = clean(self.language);
        e.check_len("language", language.as_deref(), 100);
        if language
            .as_deref()
            .is_some_and(validation::has_control_chars)
        {
            e.add("language", "must not contain control characters");
        }
        let method = match method.as_deref() {
            None => None,
            Some(m) => match CONTACT_METHODS.iter().find(|c| c.as_str() == m) {
                Some(c) => Some(*c),
                None => {
                    e.add("contact_method", "must be email, post or phone");
                    None
                }
            },
        };
        if method == Some(ContactMethod::Email) && resident_email.is_none() {
            e.add(
                "contact_method",
                "Give us your email address if you want to hear from us by email, or choose post or phone",
            );
        }
        let format = match format.as_deref() {
            None => None,
            Some(f) => match LETTER_FORMATS.iter().find(|l| l.as_str() == f) {
                Some(l) => Some(*l),
                None => {
                    e.add(
                        "letter_format",
                        "must be standard, large_print, braille or easy_read",
                    );
                    None
                }
            },
        };
        let contact = (method.is_some() || format.is_some() || language.is_some()).then(|| {
            ContactPreferences {
                // Unsaid: by email where an address was given, otherwise by post.
                method: method.unwrap_or(if resident_email.is_some() {
                    ContactMethod::Email
                } else {
                    ContactMethod::Post
                }),
                format: format.unwrap_or_default(),
                language,
            }
        });
        e.into_result()?;
        Ok(ResidentAsks {
            representative,
            adjustments,
            contact,
        })
    }
}

/// Logs a new complaint with what the resident asked for, as one history: the receipt (naming
/// any representative), then their adjustments and their contact preferences. Nothing is
/// recorded if any of it is refused.
pub fn open_with_asks(
    reference: &str,
    mut new: NewCase,
    asks: ResidentAsks,
    actor: &Actor,
    rules: &Rules,
) -> Result<Case, CommandError> {
    if asks.representative.is_some() {
        new.complaint.representative = asks.representative;
    }
    let mut case = Case::open(reference, new, actor, rules)?;
    let mut commands = Vec::new();
    if let Some(adjustments) = asks.adjustments {
        let policy = rules.policy_of(&case)?;
        let review_on = deadline::due_date(
            &case,
            policy,
            &rules.calendar,
            1,
            DeadlineStep::Acknowledgement,
        )
        .unwrap_or_else(|| case.received_on());
        commands.push(Command::RecordNeeds(SupportNeeds {
            vulnerabilities: None,
            adjustments,
            consent: true,
            review_on,
        }));
    }
    if let Some(contact) = asks.contact {
        commands.push(Command::SetContactPreferences(contact));
    }
    for command in commands {
        case = case.execute(command, actor, rules)?.0;
    }
    Ok(case)
}
