//! The story the retention checks tell: what a resident, their representative and staff
//! typed (unique per case, so each can be searched for in what the store holds), and the
//! service driving the store as `p3 serve`, `p3 retention` and the AWS functions drive it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use p3_domain::alert::{AlertAddresses, AlertEmail, Timer};
use p3_domain::case::{Case, Command, NewCase, Rules};
use p3_domain::casefile::{ContactMethod, ContactPreferences, LetterFormat, SupportNeeds};
use p3_domain::complaint::{Channel, ComplaintDetails, Representative, Resident, Tenure};
use p3_domain::event::{CaseEvent, Outcome, PointDecision, PromisedAction, StageResponse};
use p3_domain::letter::Letter;
use p3_domain::ports::{
    AlertScheduler, CaseStore, Clock, Notifier, NotifyError, Random, ReplyView, StoreError,
    StoredReply,
};
use p3_domain::role::Caller;
use p3_domain::service::{Service, Settings};
use p3_domain::service_request::ServiceRequest;

/// "Now" for the whole test: 15 June 2032, midday.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2032, 6, 15, 11, 0, 0).unwrap()
}

pub(crate) struct Fixed(DateTime<Utc>);

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub(crate) struct NoMail;

#[async_trait]
impl Notifier for NoMail {
    async fn send(&self, _email: &AlertEmail) -> Result<(), NotifyError> {
        Ok(())
    }
}

pub(crate) struct Counter(std::sync::atomic::AtomicU8);

impl Random for Counter {
    fn bytes10(&self) -> [u8; 10] {
        [self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed); 10]
    }
}

/// Alert timers go nowhere: retention syncs none, and the checks are about the store.
struct NoTimers;

#[async_trait]
impl AlertScheduler for NoTimers {
    async fn sync(&self, _reference: &str, _timers: &[Timer]) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The service over `store`, at [`now`].
pub(crate) fn service(store: Arc<dyn CaseStore>) -> Service {
    Service {
        store,
        scheduler: Arc::new(NoTimers),
        notifier: Arc::new(NoMail),
        clock: Arc::new(Fixed(now())),
        random: Arc::new(Counter(0.into())),
        rules: Arc::new(Rules::default()),
        settings: Arc::new(Settings {
            landlord: "P3 Housing".into(),
            categories: vec!["repairs".into()],
            addresses: AlertAddresses::default(),
            base_url: "http://localhost".into(),
        }),
    }
}

pub(crate) fn reply(c: &p3_domain::case::Case) -> StoredReply {
    StoredReply::Changed(ReplyView {
        reference: c.reference.clone(),
        version: Some(c.version),
        body: String::new(),
    })
}

/// What a resident, their representative and staff typed, unique per case so each can be
/// searched for in the file.
pub(crate) struct Typed {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) address: String,
    pub(crate) description: String,
    pub(crate) reason: String,
    pub(crate) rep_name: String,
    pub(crate) rep_email: String,
    pub(crate) rep_address: String,
    /// The representative's new email, set after the complaint came in.
    pub(crate) rep_new_email: String,
    pub(crate) vulnerabilities: String,
    pub(crate) adjustments: String,
    pub(crate) language: String,
    pub(crate) offer_reason: String,
    pub(crate) revision_reason: String,
    pub(crate) reassign_reason: String,
    pub(crate) completion_note: String,
    pub(crate) payment_reference: String,
    pub(crate) determination: String,
    pub(crate) order: String,
}

pub(crate) fn typed(tag: &str) -> Typed {
    Typed {
        name: format!("Resident {tag} Quill"),
        email: format!("resident.{tag}@example.org"),
        phone: format!("07700 9{tag}"),
        address: format!("{tag} Larkspur Row, Leeds"),
        description: format!("Damp in the back bedroom of {tag} since the winter"),
        reason: format!("Still damp at {tag}, nothing done"),
        rep_name: format!("Advocate {tag} Finch"),
        rep_email: format!("finch.{tag}@advice.example.org"),
        rep_address: format!("{tag} Mercer Yard, Bradford"),
        rep_new_email: format!("finch.{}@newadvice.example.org", tag.to_lowercase()),
        vulnerabilities: format!("Hearing loss since a fall on {tag} stairs"),
        adjustments: format!("Text before calling, code word {tag}"),
        language: format!("Polish {tag}"),
        offer_reason: format!("Goodwill for the ruined carpet at {tag}"),
        revision_reason: format!("The resident added the leak at {tag} by phone"),
        reassign_reason: format!("Manager off sick, {tag}"),
        completion_note: format!("Damp treated at {tag} by Dryco"),
        payment_reference: format!("PAY-{tag}-7781"),
        determination: format!("Maladministration found at {tag}"),
        order: format!("Apologise in writing to the household at {tag}"),
    }
}

pub(crate) fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

/// A service request from the resident, logged at `at`, whose description names them.
pub(crate) async fn log_request(svc: &Service, t: &Typed, at: DateTime<Utc>) -> (String, String) {
    let description = format!("Mend the gate at {}", t.address);
    let request = ServiceRequest {
        id: String::new(),
        description: description.clone(),
        category: Some("repairs".into()),
        resident: Resident {
            name: Some(t.name.clone()),
            email: Some(t.email.clone()),
            ..Default::default()
        },
        response: Some(format!("Booked for {}", t.name)),
        logged_at: at,
        recorded_at: at,
        logged_by: "officer@p3.example".into(),
        complaint: None,
        closed: None,
    };
    // The reply carries the id the store gave it.
    let w = svc
        .create_service_request(request, None, &|r| {
            StoredReply::Created(ReplyView {
                reference: r.id.clone(),
                version: None,
                body: r.id.clone(),
            })
        })
        .await
        .expect("a service request");
    let StoredReply::Created(view) = w.reply else {
        panic!("a service request is created: {:?}", w.reply)
    };
    (view.reference, description)
}

pub(crate) async fn open(svc: &Service, t: &Typed, received: DateTime<Utc>) -> String {
    open_from(svc, t, received, None).await
}

pub(crate) async fn open_from(
    svc: &Service,
    t: &Typed,
    received: DateTime<Utc>,
    service_request: Option<String>,
) -> String {
    let new = NewCase {
        procedure: "housing".into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some(t.name.clone()),
                email: Some(t.email.clone()),
                phone: Some(t.phone.clone()),
                address: Some(t.address.clone()),
                postcode: Some("LS1 4AP".into()),
                tenancy_reference: Some("T-99812".into()),
            },
            representative: Some(Representative {
                name: t.rep_name.clone(),
                relationship: Some("Citizens Advice".into()),
                email: Some(t.rep_email.clone()),
                address: Some(t.rep_address.clone()),
                authorised_copies: true,
            }),
            channel: Channel::Web,
            category: Some("repairs".into()),
            description: t.description.clone(),
            desired_outcome: Some(format!("Fix {} please", t.address)),
            tenure: Tenure::LowCostRental,
        },
        service_request,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    let w = svc
        .create_case(new, "officer@p3.example", Some(received), None, &|c, _| {
            reply(c)
        })
        .await
        .expect("a new case");
    w.case.expect("the case").reference
}

pub(crate) async fn act(
    svc: &Service,
    reference: &str,
    when: DateTime<Utc>,
    by: &str,
    command: Command,
) {
    let by = Caller::History { by: by.into() };
    svc.act(reference, command, &by, Some(when), None, None, &reply)
        .await
        .unwrap_or_else(|e| panic!("{reference}: {e}"));
}

/// A response upholding the stage's first point and not the others (`points`, as they stand).
pub(crate) fn response(t: &Typed, points: &[String]) -> StageResponse {
    let point_decisions: Vec<PointDecision> = points
        .iter()
        .enumerate()
        .map(|(i, p)| PointDecision {
            point: p.clone(),
            decision: if i == 0 {
                Outcome::Upheld
            } else {
                Outcome::NotUpheld
            },
            reason: Some(format!("Seen by the surveyor at {}", t.address)),
        })
        .collect();
    StageResponse {
        outcome: p3_domain::decisions::outcome_of(&point_decisions).unwrap_or(Outcome::Upheld),
        summary: format!("We visited {} and found damp", t.address),
        remedy: Some(format!("£150 to {}", t.name)),
        point_decisions,
        actions: vec![PromisedAction {
            description: format!("Treat the damp at {}", t.address),
            due: chrono::NaiveDate::from_ymd_opt(2025, 4, 30).unwrap(),
            owner: None,
        }],
        compensation_pence: Some(15_000),
        learning: None,
    }
}

/// What is typed when a complaint is logged: the resident's details, the complaint and the
/// representative's details.
pub(crate) fn at_receipt(t: &Typed) -> Vec<&str> {
    vec![
        &t.name,
        &t.email,
        &t.phone,
        &t.address,
        &t.description,
        &t.rep_name,
        &t.rep_email,
        &t.rep_address,
    ]
}

/// What the case file holds of the resident once recorded with [`record_file`].
pub(crate) fn file(t: &Typed) -> Vec<&str> {
    vec![
        &t.vulnerabilities,
        &t.adjustments,
        &t.language,
        &t.rep_new_email,
        &t.offer_reason,
    ]
}

/// What is typed while a stage is handled and after the Ombudsman decides (case D4 only).
pub(crate) fn handling(t: &Typed) -> Vec<&str> {
    vec![
        &t.revision_reason,
        &t.reassign_reason,
        &t.completion_note,
        &t.payment_reference,
        &t.determination,
        &t.order,
    ]
}

/// Records the resident's needs and language, the representative's new email and an offer
/// of compensation, each a day apart from `from`.
pub(crate) async fn record_file(svc: &Service, reference: &str, t: &Typed, from: DateTime<Utc>) {
    let day = chrono::Duration::days(1);
    act(
        svc,
        reference,
        from,
        "officer@p3.example",
        Command::RecordNeeds(SupportNeeds {
            vulnerabilities: Some(t.vulnerabilities.clone()),
            adjustments: t.adjustments.clone(),
            consent: true,
            review_on: (from + day * 90).date_naive(),
        }),
    )
    .await;
    act(
        svc,
        reference,
        from + day,
        "officer@p3.example",
        Command::SetContactPreferences(ContactPreferences {
            method: ContactMethod::Email,
            format: LetterFormat::default(),
            language: Some(t.language.clone()),
        }),
    )
    .await;
    act(
        svc,
        reference,
        from + day * 2,
        "officer@p3.example",
        Command::SetRepresentative(Some(Representative {
            name: t.rep_name.clone(),
            relationship: Some("Citizens Advice".into()),
            email: Some(t.rep_new_email.clone()),
            address: Some(t.rep_address.clone()),
            authorised_copies: true,
        })),
    )
    .await;
    act(
        svc,
        reference,
        from + day * 3,
        "officer@p3.example",
        Command::OfferCompensation {
            amount_pence: 5_000,
            reason: t.offer_reason.clone(),
        },
    )
    .await;
}

/// The letters of a case, as its history keeps them.
pub(crate) fn letters(case: &Case) -> Vec<&Letter> {
    case.history
        .iter()
        .filter_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } => Some(letter),
            _ => None,
        })
        .collect()
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
