//! The landlord's settings, one TOML file for both hosts: `p3 serve --config FILE` (and
//! `p3 check FILE`) and every Lambda function (the file named by `P3_CONFIG`, packaged as a
//! layer). Every setting has a working default, so an empty file is a complete configuration.
//!
//! [`Settings`] holds what both hosts use (landlord, categories, calendar, procedures, letters,
//! limits, retention…) and is parsed and checked here only, so both hosts refuse a bad file with
//! the same error naming its field. The sections only the local server reads
//! ([`HOST_ONLY_SECTIONS`]: `server`, `smtp`, `sessions`, `backup`, `sign_in`, `http`) are
//! handed back untouched for it to parse; the functions accept and ignore them, so one file
//! serves both.

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

use p3_domain::alert::AlertAddresses;
use p3_domain::backdating::MAX_BACKDATE_WORKING_DAYS;
use p3_domain::calendar::CalendarConfig;
use p3_domain::complaint::DEFAULT_CATEGORIES;
use p3_domain::host::HostSettings;
use p3_domain::letter::{Correspondence, Landlord, Templates};
use p3_domain::policy::Policy;
use serde::Deserialize;

mod sections;

pub use sections::{
    Homes, LettersConfig, PublicForm, RecordsConfig, ReportsConfig, RetentionConfig, UpdatesConfig,
};

/// The top-level sections of the file only the local server reads. [`Settings::parse_split`]
/// hands them back as they are; a Lambda function ignores them.
pub const HOST_ONLY_SECTIONS: &[&str] =
    &["server", "smtp", "sessions", "backup", "sign_in", "http"];

/// The landlord's settings both hosts share.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The landlord's name, shown on pages, emails, letters and reports.
    pub landlord: String,
    /// Public base URL for links in emails (default: the local address).
    pub base_url: Option<String>,
    /// Complaint categories.
    pub categories: Vec<String>,
    /// Region, extra and removed holidays, closure days.
    pub calendar: CalendarConfig,
    /// Alert recipients.
    pub alerts: AlertAddresses,
    /// The sender address of emails.
    pub mail_from: String,
    /// Homes owned per tenure, for the Tenant Satisfaction Measures.
    pub homes: Homes,
    /// The public form.
    pub public_form: PublicForm,
    /// Procedures replacing or adding to the built-in ones.
    pub policies: Vec<Policy>,
    /// Policy files (TOML) to load, relative to the config file.
    pub policy_files: Vec<PathBuf>,
    /// Reports.
    pub reports: ReportsConfig,
    /// How long personal data is kept after a case closes.
    pub retention: RetentionConfig,
    /// `[records]`: how far back staff may date an action.
    pub records: RecordsConfig,
    /// `[updates]`: the default interval of updates to residents.
    pub updates: UpdatesConfig,
    /// Letters to residents: the contact details printed on them and the landlord's templates.
    pub letters: LettersConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            landlord: "P3 Housing".into(),
            base_url: None,
            categories: DEFAULT_CATEGORIES.iter().map(|s| s.to_string()).collect(),
            calendar: CalendarConfig::default(),
            alerts: AlertAddresses::default(),
            mail_from: "complaints-service@p3housing.invalid".into(),
            homes: Homes::default(),
            public_form: PublicForm::default(),
            policies: Vec::new(),
            policy_files: Vec::new(),
            reports: ReportsConfig::default(),
            retention: RetentionConfig::default(),
            records: RecordsConfig::default(),
            updates: UpdatesConfig::default(),
            letters: LettersConfig::default(),
        }
    }
}

/// Deserializes `T` from TOML (text or a parsed value); an error starts with the path of the
/// field at fault (`public_form.rate_limit_per_hour: invalid type…`).
pub fn deserialize<'de, T, D>(de: D) -> Result<T, String>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de, Error = toml::de::Error>,
{
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        format!("{path}: {}", e.into_inner().message().trim())
    })
}

impl Settings {
    /// Parses and checks config text, ignoring the [`HOST_ONLY_SECTIONS`] (a Lambda function).
    pub fn parse(text: &str) -> Result<Settings, String> {
        Settings::parse_split(text).map(|(settings, _)| settings)
    }

    /// Parses and checks config text: the shared settings, and the [`HOST_ONLY_SECTIONS`]
    /// present, unparsed, for the local server to read.
    pub fn parse_split(text: &str) -> Result<(Settings, toml::Table), String> {
        let mut table: toml::Table = deserialize(toml::Deserializer::new(text))?;
        let mut host = toml::Table::new();
        for key in HOST_ONLY_SECTIONS {
            if let Some(value) = table.remove(*key) {
                host.insert(key.to_string(), value);
            }
        }
        let settings: Settings = deserialize(toml::Value::Table(table))?;
        settings.check()?;
        Ok((settings, host))
    }

    /// The checks beyond the types: an error names its field.
    fn check(&self) -> Result<(), String> {
        if self.categories.is_empty() {
            return Err("categories: at least one category is needed".into());
        }
        for (i, p) in self.policies.iter().enumerate() {
            p.validate()
                .map_err(|e| format!("policies[{i}].{}: {}", e.field, e.message))?;
        }
        if !(1..=100).contains(&self.retention.years) {
            return Err("retention.years: must be from 1 to 100".into());
        }
        if !(1..=24 * 30).contains(&self.retention.idempotency_hours) {
            return Err("retention.idempotency_hours: must be from 1 to 720".into());
        }
        if self.records.backdate_working_days > MAX_BACKDATE_WORKING_DAYS {
            return Err(format!(
                "records.backdate_working_days: must be from 0 to {MAX_BACKDATE_WORKING_DAYS}"
            ));
        }
        if let Some(days) = self.updates.default_interval_working_days {
            let max = p3_domain::updates::MAX_INTERVAL_WORKING_DAYS;
            if !(1..=max).contains(&days) {
                return Err(format!(
                    "updates.default_interval_working_days: must be from 1 to {max}"
                ));
            }
        }
        for (field, v) in [
            ("alerts.complaints_team", &self.alerts.complaints_team),
            (
                "alerts.head_of_tenant_services",
                &self.alerts.head_of_tenant_services,
            ),
            ("mail_from", &self.mail_from),
        ] {
            if !p3_domain::validation::is_email(v) {
                return Err(format!("{field}: `{v}` is not an email address"));
            }
        }
        for (i, v) in self.reports.quarterly_recipients.iter().enumerate() {
            if !p3_domain::validation::is_email(v) {
                return Err(format!(
                    "reports.quarterly_recipients[{i}]: `{v}` is not an email address"
                ));
            }
        }
        Ok(())
    }

    /// Reads a config file and parses it ([`Settings::parse_split`]); an error starts with the
    /// file's path. The files it names are not read yet: see [`Settings::read_files`].
    pub fn read_split(path: &Path) -> Result<(Settings, toml::Table), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Settings::parse_split(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads a config file as a Lambda function does: parsed, checked, and the files it names
    /// read and checked; the [`HOST_ONLY_SECTIONS`] are ignored.
    pub fn load(path: &Path) -> Result<Settings, String> {
        let (mut settings, _) = Settings::read_split(path)?;
        settings.read_files(path)?;
        Ok(settings)
    }

    /// Reads the files the config at `path` names, relative to it: the policy files (added to
    /// `policies`), the lessons-learned file (checked to exist; its path made absolute) and the
    /// letter templates (each checked).
    pub fn read_files(&mut self, path: &Path) -> Result<(), String> {
        let base = path.parent().unwrap_or(Path::new("."));
        for file in self.policy_files.clone() {
            let full = base.join(&file);
            let text = std::fs::read_to_string(&full)
                .map_err(|e| format!("cannot read {}: {e}", full.display()))?;
            let policy =
                Policy::from_toml(&text).map_err(|e| format!("{}: {e}", full.display()))?;
            self.policies.push(policy);
        }
        if let Some(file) = self.reports.lessons_learned_file.take() {
            let full = base.join(file);
            std::fs::metadata(&full).map_err(|e| {
                format!(
                    "{}: reports.lessons_learned_file: cannot read {}: {e}",
                    path.display(),
                    full.display()
                )
            })?;
            self.reports.lessons_learned_file = Some(full);
        }
        let templates = self
            .letters
            .templates(&self.letter_landlord(), base)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.letters.templates = Some(templates);
        Ok(())
    }

    /// The landlord as letters print it.
    fn letter_landlord(&self) -> Landlord {
        Landlord {
            name: self.landlord.clone(),
            phone: self.letters.phone.clone(),
            email: self.letters.email.clone(),
            address: self.letters.address.clone(),
            public_url: self.letters.public_url.clone().or(self.base_url.clone()),
        }
    }

    /// The letters' settings: the landlord's details and the templates as read with the file
    /// (the built-in ones without a file).
    pub fn correspondence(&self) -> Correspondence {
        Correspondence {
            landlord: self.letter_landlord(),
            templates: self.letters.templates.clone().unwrap_or_default(),
        }
    }

    /// Homes per tenure, as the reports take them.
    pub fn homes(&self) -> p3_domain::report::Homes {
        p3_domain::report::Homes {
            low_cost_rental: self.homes.low_cost_rental,
            low_cost_home_ownership: self.homes.low_cost_home_ownership,
        }
    }

    /// What the domain's [`p3_domain::host::service`] runs with, on either host; `base_url` is
    /// the address the host serves at (the configured one, or what it found).
    pub fn host_settings(&self, base_url: String) -> HostSettings {
        HostSettings {
            landlord: self.landlord.clone(),
            categories: self.categories.clone(),
            addresses: self.alerts.clone(),
            base_url,
            calendar: self.calendar.clone(),
            policies: self.policies.clone(),
            letters: self.correspondence(),
            backdate: self.records.backdate(),
            updates: self.updates.settings(),
        }
    }
}

/// The templates in a folder: every `<name>.html` file, by name (`acknowledgement`, `footer`…).
/// Other files are refused by name, so a misspelt template is not silently ignored; the
/// templates themselves are checked by [`p3_domain::letter::Templates::load`].
pub fn read_template_dir(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let (Some(stem), Some("html")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}: letter templates are `<name>.html` files",
                    path.display()
                ),
            ));
        };
        out.push((stem.to_string(), std::fs::read_to_string(&path)?));
    }
    out.sort();
    Ok(out)
}

impl LettersConfig {
    /// The templates: the built-in ones with those in `templates_dir` (resolved against
    /// `base`) in their place, each checked.
    fn templates(&self, landlord: &Landlord, base: &Path) -> Result<Templates, String> {
        let overrides = match &self.templates_dir {
            Some(dir) => {
                let full = base.join(dir);
                read_template_dir(&full)
                    .map_err(|e| format!("letters.templates_dir: {}: {e}", full.display()))?
            }
            None => Vec::new(),
        };
        Templates::load(overrides, landlord).map_err(|e| format!("letters.templates_dir: {e}"))
    }
}

#[cfg(test)]
mod tests;
