//! What the router tests share: the real router's state over a real SQLite store in a
//! temporary directory, with mail that goes nowhere and a fixed random source.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use p3_api::auth::TokenKey;
use p3_api::limit::RateLimiter;
use p3_api::AppState;
use p3_domain::alert::{AlertAddresses, AlertEmail};
use p3_domain::calendar::Calendar;
use p3_domain::case::Rules;
use p3_domain::policy::Procedures;
use p3_domain::ports::{Notifier, NotifyError, Random, SystemClock};
use p3_domain::service::{Service, Settings};
use p3_sqlite::SqliteStore;

/// The key staff tokens in these tests are signed with.
pub const KEY: [u8; 32] = [42; 32];

pub struct NoMail;

#[async_trait]
impl Notifier for NoMail {
    async fn send(&self, _email: &AlertEmail) -> Result<(), NotifyError> {
        Ok(())
    }
}

struct FixedRandom;

impl Random for FixedRandom {
    fn bytes10(&self) -> [u8; 10] {
        [7; 10]
    }
}

/// An empty store in a temporary directory, kept alive as long as the state.
pub fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(SqliteStore::open(&dir.path().join("p3.db")).expect("a new store"));
    let service = Service {
        store: store.clone(),
        scheduler: store,
        notifier: Arc::new(NoMail),
        clock: Arc::new(SystemClock),
        random: Arc::new(FixedRandom),
        rules: Arc::new(Rules {
            procedures: Procedures::default(),
            calendar: Calendar::default(),
            letters: Default::default(),
            backdate: Default::default(),
            updates: Default::default(),
        }),
        settings: Arc::new(Settings {
            landlord: "P3 Housing".into(),
            categories: p3_domain::complaint::DEFAULT_CATEGORIES
                .iter()
                .map(|c| c.to_string())
                .collect(),
            addresses: AlertAddresses::default(),
            base_url: "http://localhost".into(),
        }),
    };
    let state = AppState {
        service,
        attachments: Arc::new(p3_domain::attachment::NoAttachments),
        inbox: Arc::new(p3_domain::inbox::NoInbox),
        auth: Arc::new(TokenKey::new(KEY.to_vec())),
        form_limit: Arc::new(RateLimiter::new(1000, Duration::from_secs(3600))),
        code_limit: Arc::new(RateLimiter::new(1000, Duration::from_secs(3600))),
    };
    (state, dir)
}
