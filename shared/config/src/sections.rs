//! The sections of [`crate::Settings`] beyond single values, each with its defaults.

use std::path::PathBuf;

use serde::Deserialize;

/// `[letters]`: what letters print besides the landlord's name, and where the landlord's own
/// templates are (each checked when the config is loaded: a broken one stops the host).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LettersConfig {
    /// The complaints team's phone number.
    pub phone: Option<String>,
    /// The complaints team's email address.
    pub email: Option<String>,
    /// The landlord's postal address.
    pub address: Option<String>,
    /// The public site's address, for the link to the resident's complaint page (default: the
    /// service's base URL).
    pub public_url: Option<String>,
    /// A folder of replacement templates (`acknowledgement.html`, `extension.html`,
    /// `stage_response.html`, `refusal.html`, `service_request_complaint.html`,
    /// `footer.html`), relative to the config file. Any not there keep the built-in text.
    pub templates_dir: Option<PathBuf>,
    /// The templates in use, as read and checked with the file (not a setting).
    #[serde(skip)]
    pub templates: Option<p3_domain::letter::Templates>,
}

/// Retention of personal data.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Years after a case closes before its personal data is removed.
    pub years: u32,
    /// Hours an idempotency record (the kept answer to a request, which may hold a new
    /// case's access code, sealed) answers retries before it is deleted.
    pub idempotency_hours: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            years: p3_domain::retention::DEFAULT_YEARS,
            idempotency_hours: 24,
        }
    }
}

/// `[records]`: when it happened vs when it was recorded (see [`p3_domain::backdating`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordsConfig {
    /// Working days before the moment it is recorded that staff may date an action; further
    /// back only a senior manager, with a `backdate_reason`.
    pub backdate_working_days: u32,
}

impl Default for RecordsConfig {
    fn default() -> Self {
        RecordsConfig {
            backdate_working_days: p3_domain::backdating::DEFAULT_BACKDATE_WORKING_DAYS,
        }
    }
}

impl RecordsConfig {
    /// The limit the domain applies.
    pub fn backdate(&self) -> p3_domain::backdating::BackdateLimit {
        p3_domain::backdating::BackdateLimit {
            working_days: self.backdate_working_days,
        }
    }
}

/// `[updates]`: keeping residents informed between letters (Code 5.9).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpdatesConfig {
    /// Working days between updates to a resident until an interval is agreed with them
    /// (1 to 60); unset: no update reminders until one is agreed on the case.
    pub default_interval_working_days: Option<u32>,
}

impl UpdatesConfig {
    /// The setting the domain applies.
    pub fn settings(&self) -> p3_domain::updates::UpdateSettings {
        p3_domain::updates::UpdateSettings {
            default_interval_working_days: self.default_interval_working_days,
        }
    }
}

/// Report settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportsConfig {
    /// The landlord's lessons learned for the annual report: a text or Markdown file, relative
    /// to the config file, shown escaped (a placeholder when unset).
    pub lessons_learned_file: Option<PathBuf>,
    /// Who receives the quarterly summary by email (the Member Responsible for Complaints and
    /// the governing body's secretary, Code 9.6-9.8), sent after each quarter of the financial
    /// year; none when empty.
    pub quarterly_recipients: Vec<String>,
}

/// Homes owned, per tenure.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Homes {
    /// Low-cost rental homes.
    pub low_cost_rental: Option<u32>,
    /// Low-cost home ownership homes.
    pub low_cost_home_ownership: Option<u32>,
}

/// Limits of the public form.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicForm {
    /// Submissions per client per hour (0: no limit).
    pub rate_limit_per_hour: u32,
}

impl Default for PublicForm {
    fn default() -> Self {
        PublicForm {
            rate_limit_per_hour: 20,
        }
    }
}
