//! A letter's email through the service on the SQLite store, with a clock the test moves and a
//! mail relay that fails: the letter is queued when the case is acknowledged, retried while the
//! mail fails and never recorded as sent until it goes; after
//! [`LETTER_FLAG_AFTER_MINUTES`] of failures the complaints team is told once, with no
//! personal details; once the mail works it goes once; and a delivery of a letter the case does
//! not have is dropped, not retried for ever.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use p3_domain::alert::{AlertAddresses, AlertEmail, LetterDelivery, Notice, Skip};
use p3_domain::case::{Command, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::ports::{
    CaseStore, Clock, Notifier, NotifyError, Random, ReplyView, StoredReply, TimerQueue,
};
use p3_domain::role::{Caller, Role};
use p3_domain::service::{FireOutcome, Service, ServiceError, Settings, LETTER_FLAG_AFTER_MINUTES};
use p3_sqlite::SqliteStore;

/// Monday 7 December 2026, 10:00 London (UTC in winter).
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap()
}

struct Moving(Mutex<DateTime<Utc>>);

impl Clock for Moving {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// A relay that can be down for residents' mail; the complaints team's mailbox is internal
/// and always takes mail (unless `all_down`). Keeps what it took.
#[derive(Default)]
struct Relay {
    residents_down: Mutex<bool>,
    all_down: Mutex<bool>,
    taken: Mutex<Vec<AlertEmail>>,
}

#[async_trait]
impl Notifier for Relay {
    async fn send(&self, email: &AlertEmail) -> Result<(), NotifyError> {
        let internal = email
            .to
            .iter()
            .all(|t| *t == AlertAddresses::default().complaints_team);
        if *self.all_down.lock().unwrap() || (!internal && *self.residents_down.lock().unwrap()) {
            return Err(NotifyError("connection refused".into()));
        }
        self.taken.lock().unwrap().push(email.clone());
        Ok(())
    }
}

struct Counter(std::sync::atomic::AtomicU8);

impl Random for Counter {
    fn bytes10(&self) -> [u8; 10] {
        [self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed); 10]
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    clock: Arc<Moving>,
    relay: Arc<Relay>,
    svc: Service,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(Moving(Mutex::new(t0())));
        let store = Arc::new(
            SqliteStore::open_with_clock(&dir.path().join("p3.db"), clock.clone()).unwrap(),
        );
        let relay = Arc::new(Relay::default());
        let svc = Service {
            store: store.clone(),
            scheduler: store.clone(),
            notifier: relay.clone(),
            clock: clock.clone(),
            random: Arc::new(Counter(0.into())),
            rules: Arc::new(Rules::default()),
            settings: Arc::new(Settings {
                landlord: "P3 Housing".into(),
                categories: vec!["repairs".into()],
                addresses: AlertAddresses::default(),
                base_url: "http://localhost".into(),
            }),
        };
        Fixture {
            _dir: dir,
            store,
            clock,
            relay,
            svc,
        }
    }

    fn at(&self, minutes: i64) {
        *self.clock.0.lock().unwrap() = t0() + Duration::minutes(minutes);
    }

    /// A complaint from a resident with an email address, acknowledged at [`t0`].
    async fn acknowledged(&self, email: Option<&str>) -> String {
        let reply = |c: &p3_domain::case::Case| {
            StoredReply::Changed(ReplyView {
                reference: c.reference.clone(),
                version: Some(c.version),
                body: String::new(),
            })
        };
        let new = NewCase {
            procedure: "housing".into(),
            complaint: ComplaintDetails {
                resident: Resident {
                    name: Some("Flora Flag".into()),
                    email: email.map(Into::into),
                    address: Some("9 Relay Road, Leeds".into()),
                    postcode: Some("LS1 4AP".into()),
                    ..Default::default()
                },
                representative: None,
                channel: Channel::Phone,
                category: Some("repairs".into()),
                description: "The boiler has failed twice this month".into(),
                desired_outcome: None,
                tenure: Tenure::LowCostRental,
            },
            service_request: None,
            access_code_hash: None,
            first_contact_resolution: None,
        };
        let w = self
            .svc
            .create_case(
                new,
                "officer@p3.example",
                Some(t0() - Duration::hours(1)),
                None,
                &|c, _| reply(c),
            )
            .await
            .unwrap();
        let reference = w.case.unwrap().reference;
        self.svc
            .act(
                &reference,
                Command::Acknowledge {
                    responsible_for: None,
                    not_responsible_for: None,
                    investigating_manager: Some("im@p3.example".into()),
                    reviewer: None,
                    complaint_points: vec!["Boiler failed twice".into()],
                },
                &Caller::staff("officer@p3.example", Role::Officer),
                None,
                None,
                None,
                &reply,
            )
            .await
            .unwrap();
        reference
    }

    fn taken(&self) -> Vec<AlertEmail> {
        self.relay.taken.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_letter_is_retried_unsent_and_the_team_is_told_once_after_an_hour() {
    let f = Fixture::new();
    *f.relay.residents_down.lock().unwrap() = true;
    let reference = f.acknowledged(Some("flora@example.org")).await;
    let delivery = LetterDelivery {
        reference: reference.clone(),
        letter: 1,
        copy: 0,
    };
    let id = delivery.id();

    // The acknowledgement queued the letter's email, due at once.
    let due = f.store.due(t0(), 100).await.unwrap();
    let notice = Notice::Letter(delivery.clone());
    assert!(
        due.iter().any(|t| t.alert == notice),
        "the letter's timer is due: {due:?}"
    );

    // Failing for less than an hour: retried, not sent, nobody told.
    for minutes in [0, 1, 30, LETTER_FLAG_AFTER_MINUTES - 1] {
        f.at(minutes);
        let r = f.svc.fire(&notice).await;
        assert!(
            matches!(r, Err(ServiceError::Unavailable(_))),
            "at +{minutes} min: {r:?}"
        );
        assert!(
            !f.store.alert_sent(&id).await.unwrap(),
            "marked sent at +{minutes}"
        );
    }
    assert!(f.taken().is_empty(), "{:?}", f.taken());

    // An hour on, still failing: the complaints team is told, once, without personal details.
    for minutes in [
        LETTER_FLAG_AFTER_MINUTES,
        LETTER_FLAG_AFTER_MINUTES + 30,
        600,
    ] {
        f.at(minutes);
        assert!(matches!(
            f.svc.fire(&notice).await,
            Err(ServiceError::Unavailable(_))
        ));
        assert!(!f.store.alert_sent(&id).await.unwrap());
    }
    let taken = f.taken();
    assert_eq!(taken.len(), 1, "told once: {taken:?}");
    let flag = &taken[0];
    assert_eq!(flag.to, [AlertAddresses::default().complaints_team]);
    assert!(flag.subject.contains(&reference), "{}", flag.subject);
    assert!(flag.subject.contains("letter 1"), "{}", flag.subject);
    assert!(flag.body.contains("print and post"), "{}", flag.body);
    for secret in [
        "Flora",
        "flora@example.org",
        "Relay Road",
        "Boiler",
        "boiler",
    ] {
        assert!(
            !flag.subject.contains(secret) && !flag.body.contains(secret),
            "the flag carries {secret}"
        );
    }

    // The relay works again: the letter goes, once, to the resident, with its text.
    *f.relay.residents_down.lock().unwrap() = false;
    f.at(660);
    assert_eq!(f.svc.fire(&notice).await.unwrap(), FireOutcome::Sent);
    assert!(f.store.alert_sent(&id).await.unwrap());
    assert_eq!(f.svc.fire(&notice).await.unwrap(), FireOutcome::AlreadySent);
    let taken = f.taken();
    let letters: Vec<&AlertEmail> = taken.iter().filter(|e| e.alert_id == id).collect();
    assert_eq!(letters.len(), 1, "{taken:?}");
    assert_eq!(letters[0].to, ["flora@example.org"]);
    assert!(
        letters[0].body.contains("Boiler failed twice"),
        "{}",
        letters[0].body
    );
    assert_eq!(taken.len(), 2, "the flag and the letter, nothing more");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flag_that_could_not_be_sent_is_tried_again_with_the_letter() {
    let f = Fixture::new();
    *f.relay.all_down.lock().unwrap() = true;
    let reference = f.acknowledged(Some("flora@example.org")).await;
    let notice = Notice::Letter(LetterDelivery {
        reference: reference.clone(),
        letter: 1,
        copy: 0,
    });
    f.at(LETTER_FLAG_AFTER_MINUTES + 5);
    assert!(f.svc.fire(&notice).await.is_err());
    assert!(f.taken().is_empty());
    // The team's mailbox is back, the resident's relay still down: the flag goes now.
    *f.relay.all_down.lock().unwrap() = false;
    *f.relay.residents_down.lock().unwrap() = true;
    f.at(LETTER_FLAG_AFTER_MINUTES + 10);
    assert!(f.svc.fire(&notice).await.is_err());
    let taken = f.taken();
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert!(taken[0].subject.contains(&reference));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_of_a_letter_the_case_does_not_email_is_dropped() {
    let f = Fixture::new();
    let by_email = f.acknowledged(Some("flora@example.org")).await;
    let by_post = f.acknowledged(None).await;
    // A resident without an email address: the letter is kept for posting, no timer.
    let due = f.store.due(t0() + Duration::days(1), 100).await.unwrap();
    assert!(
        !due.iter()
            .any(|t| t.alert.reference() == by_post && matches!(t.alert, Notice::Letter(_))),
        "{due:?}"
    );
    let case = f.store.load(&by_post).await.unwrap().unwrap();
    assert_eq!(case.letters.len(), 1);
    for (reference, letter, copy) in [
        (&by_post, 1, 0),  // goes by post
        (&by_email, 7, 0), // no such letter
        (&by_email, 1, 3), // no such copy
    ] {
        let d = Notice::Letter(LetterDelivery {
            reference: reference.clone(),
            letter,
            copy,
        });
        assert_eq!(
            f.svc.fire(&d).await.unwrap(),
            FireOutcome::Skipped(Skip::NoLongerPlanned),
            "{}",
            d.id()
        );
    }
    let d = Notice::Letter(LetterDelivery {
        reference: "CMP-2026-99999".into(),
        letter: 1,
        copy: 0,
    });
    assert_eq!(f.svc.fire(&d).await.unwrap(), FireOutcome::NoCase);
    assert!(f.taken().is_empty(), "nothing sent: {:?}", f.taken());
}
