//! What a host (the local server, each Lambda function) hands the domain to run on: its
//! adapters and the landlord's configuration. [`service`] is the one function that builds the
//! [`Service`] from them, for `p3 serve` and for every Lambda; each host only reads its
//! configuration (a TOML file locally, the function's environment on AWS) into [`HostSettings`].

use std::sync::Arc;

use crate::alert::AlertAddresses;
use crate::backdating::BackdateLimit;
use crate::calendar::{Calendar, CalendarConfig};
use crate::case::Rules;
use crate::letter::Correspondence;
use crate::policy::{Policy, Procedures};
use crate::ports::{AlertScheduler, CaseStore, Clock, Notifier, Random};
use crate::service::{Service, Settings};

/// The adapters a host built for the ports.
pub struct Adapters {
    /// Cases, service requests, idempotency and sent alerts.
    pub store: Arc<dyn CaseStore>,
    /// Alert timers.
    pub scheduler: Arc<dyn AlertScheduler>,
    /// Email.
    pub notifier: Arc<dyn Notifier>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Secrets.
    pub random: Arc<dyn Random>,
}

/// The landlord's configuration the service runs with, whichever host read it.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// The landlord's name, shown in emails, letters and reports.
    pub landlord: String,
    /// Complaint categories.
    pub categories: Vec<String>,
    /// Alert recipients.
    pub addresses: AlertAddresses,
    /// Base URL of the staff pages, for links in alerts.
    pub base_url: String,
    /// Bank holidays and closure days beyond the built-in ones.
    pub calendar: CalendarConfig,
    /// Procedures that replace the built-in ones of the same name.
    pub policies: Vec<Policy>,
    /// Letter templates and the landlord's details printed on letters.
    pub letters: Correspondence,
    /// How far back staff may date an action (`[records] backdate_working_days`).
    pub backdate: BackdateLimit,
    /// The default interval of updates to residents (`[updates]`).
    pub updates: crate::updates::UpdateSettings,
}

/// The domain service over a host's adapters, with its configuration.
pub fn service(adapters: Adapters, settings: HostSettings) -> Service {
    let mut procedures = Procedures::default();
    for p in settings.policies {
        procedures.replace(p);
    }
    Service {
        store: adapters.store,
        scheduler: adapters.scheduler,
        notifier: adapters.notifier,
        clock: adapters.clock,
        random: adapters.random,
        rules: Arc::new(Rules {
            procedures,
            calendar: Calendar::new(&settings.calendar),
            letters: settings.letters,
            backdate: settings.backdate,
            updates: settings.updates,
        }),
        settings: Arc::new(Settings {
            landlord: settings.landlord,
            categories: settings.categories,
            addresses: settings.addresses,
            base_url: settings.base_url,
        }),
    }
}
