//! The retention rule on the SQLite store, driven through the service as `p3 serve` and
//! `p3 retention` drive it: a case closed six years and a day ago loses its personal data, and
//! so does the service request it was raised from; one closed six years less a day ago keeps
//! it; an open case always keeps it; the figures of the old months are the same afterwards; and
//! the removed text is nowhere in the database file or its write-ahead log: not in the events,
//! not in the letters issued to the resident and their representative, not in the case file
//! (needs, contact preferences, compensation, actions, Ombudsman orders).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use p3_domain::alert::{AlertAddresses, AlertEmail};
use p3_domain::case::{Case, Command, NewCase, Rules};
use p3_domain::casefile::{ContactMethod, ContactPreferences, LetterFormat, SupportNeeds};
use p3_domain::complaint::{Channel, ComplaintDetails, Representative, Resident, Tenure};
use p3_domain::event::{
    CaseEvent, Outcome, PointDecision, PromisedAction, RequestedThrough, StageResponse,
};
use p3_domain::letter::{Letter, LetterKind};
use p3_domain::london::Month;
use p3_domain::ports::{
    CaseStore, Clock, Notifier, NotifyError, Random, ReplyView, ReportSource, StoredReply,
};
use p3_domain::report::{self, Homes};
use p3_domain::retention::{self, REMOVED};
use p3_domain::role::Caller;
use p3_domain::service::{Service, Settings};
use p3_domain::service_request::ServiceRequest;
use p3_sqlite::SqliteStore;

/// "Now" for the whole test: 15 June 2032, midday.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2032, 6, 15, 11, 0, 0).unwrap()
}

struct Fixed(DateTime<Utc>);

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

struct NoMail;

#[async_trait]
impl Notifier for NoMail {
    async fn send(&self, _email: &AlertEmail) -> Result<(), NotifyError> {
        Ok(())
    }
}

struct Counter(std::sync::atomic::AtomicU8);

impl Random for Counter {
    fn bytes10(&self) -> [u8; 10] {
        [self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed); 10]
    }
}

fn service(store: &Arc<SqliteStore>) -> Service {
    Service {
        store: store.clone(),
        scheduler: store.clone(),
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

fn reply(c: &p3_domain::case::Case) -> StoredReply {
    StoredReply::Changed(ReplyView {
        reference: c.reference.clone(),
        version: Some(c.version),
        body: String::new(),
    })
}

/// What a resident, their representative and staff typed, unique per case so each can be
/// searched for in the file.
struct Typed {
    name: String,
    email: String,
    phone: String,
    address: String,
    description: String,
    reason: String,
    rep_name: String,
    rep_email: String,
    rep_address: String,
    /// The representative's new email, set after the complaint came in.
    rep_new_email: String,
    vulnerabilities: String,
    adjustments: String,
    language: String,
    offer_reason: String,
    revision_reason: String,
    reassign_reason: String,
    completion_note: String,
    payment_reference: String,
    determination: String,
    order: String,
}

fn typed(tag: &str) -> Typed {
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

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

/// A service request from the resident, logged at `at`, whose description names them.
async fn log_request(svc: &Service, t: &Typed, at: DateTime<Utc>) -> (String, String) {
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

async fn open(svc: &Service, t: &Typed, received: DateTime<Utc>) -> String {
    open_from(svc, t, received, None).await
}

async fn open_from(
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

async fn act(svc: &Service, reference: &str, when: DateTime<Utc>, by: &str, command: Command) {
    let by = Caller::History { by: by.into() };
    svc.act(reference, command, &by, Some(when), None, None, &reply)
        .await
        .unwrap_or_else(|e| panic!("{reference}: {e}"));
}

fn response(t: &Typed) -> StageResponse {
    StageResponse {
        outcome: Outcome::PartlyUpheld,
        summary: format!("We visited {} and found damp", t.address),
        remedy: Some(format!("£150 to {}", t.name)),
        point_decisions: vec![PointDecision {
            point: format!("Damp at {}", t.address),
            decision: Outcome::Upheld,
            reason: Some(format!("Seen by the surveyor at {}", t.address)),
        }],
        actions: vec![PromisedAction {
            description: format!("Treat the damp at {}", t.address),
            due: chrono::NaiveDate::from_ymd_opt(2025, 4, 30).unwrap(),
            owner: None,
        }],
        compensation_pence: Some(15_000),
    }
}

/// What is typed when a complaint is logged: the resident's details, the complaint and the
/// representative's details.
fn at_receipt(t: &Typed) -> Vec<&str> {
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
fn file(t: &Typed) -> Vec<&str> {
    vec![
        &t.vulnerabilities,
        &t.adjustments,
        &t.language,
        &t.rep_new_email,
        &t.offer_reason,
    ]
}

/// What is typed while a stage is handled and after the Ombudsman decides (case D4 only).
fn handling(t: &Typed) -> Vec<&str> {
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
async fn record_file(svc: &Service, reference: &str, t: &Typed, from: DateTime<Utc>) {
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
fn letters(case: &Case) -> Vec<&Letter> {
    case.history
        .iter()
        .filter_map(|e| match &e.event {
            CaseEvent::LetterIssued { letter } => Some(letter),
            _ => None,
        })
        .collect()
}

fn file_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["p3.db", "p3.db-wal"] {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            all.extend(b);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn personal_data_of_cases_closed_over_six_years_ago_is_removed_and_the_figures_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("p3.db")).unwrap());
    let svc = service(&store);

    // Raised from a service request, withdrawn six years and a day before "now": due.
    let old = typed("A1");
    let (request, request_text) = log_request(&svc, &old, at(2026, 5, 20)).await;
    let due = open_from(&svc, &old, at(2026, 6, 1), Some(request.clone())).await;
    act(
        &svc,
        &due,
        at(2026, 6, 14),
        "officer@p3.example",
        Command::Withdraw {
            reason: Some(old.reason.clone()),
        },
    )
    .await;

    // Withdrawn six years less a day before "now": kept.
    let recent = typed("B2");
    let kept = open(&svc, &recent, at(2026, 6, 1)).await;
    record_file(&svc, &kept, &recent, at(2026, 6, 2)).await;
    act(
        &svc,
        &kept,
        at(2026, 6, 16),
        "officer@p3.example",
        Command::Withdraw {
            reason: Some(recent.reason.clone()),
        },
    )
    .await;

    // Received twelve years ago and never answered: open, so kept whatever its age.
    let waiting = typed("C3");
    let open_case = open(&svc, &waiting, at(2020, 1, 6)).await;

    // Both stages in March to May 2025, then a late Ombudsman referral in 2025: closed long ago.
    let full = typed("D4");
    let both = open(&svc, &full, at(2025, 3, 3)).await;
    record_file(
        &svc,
        &both,
        &full,
        at(2025, 3, 3) + chrono::Duration::hours(1),
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 7),
        "officer@p3.example",
        Command::Acknowledge {
            investigating_manager: Some("im@p3.example".into()),
            reviewer: None,
            complaint_points: vec![format!("Damp at {}", full.address)],
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 10),
        "im@p3.example",
        Command::RevisePoints {
            complaint_points: vec![
                format!("Damp at {}", full.address),
                "A leak under the sink".into(),
            ],
            reason: full.revision_reason.clone(),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 11),
        "officer@p3.example",
        Command::Reassign {
            handler: "im2@p3.example".into(),
            reason: full.reassign_reason.clone(),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 12),
        "im2@p3.example",
        Command::Extend {
            working_days: 5,
            reason: format!("Waiting for a survey of {}", full.address),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 20),
        "im2@p3.example",
        Command::Respond {
            stage: 1,
            response: response(&full),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 25),
        "resident",
        Command::RequestNextStage {
            reason: Some(full.reason.clone()),
            through: RequestedThrough::Resident,
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 3, 27),
        "officer@p3.example",
        Command::Acknowledge {
            investigating_manager: None,
            reviewer: Some("head@p3.example".into()),
            complaint_points: vec![format!("Damp at {}", full.address)],
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 4, 10),
        "head@p3.example",
        Command::Respond {
            stage: 2,
            response: response(&full),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 5, 2),
        "head@p3.example",
        Command::Ombudsman {
            determination: false,
            detail: format!("{} referred the damp at {}", full.name, full.address),
        },
    )
    .await;
    // The file after the responses: the compensation the Stage 1 response offered is accepted
    // and paid, the promised action done, and the Ombudsman's order recorded and done.
    let offer = {
        let case = store.load(&both).await.unwrap().unwrap();
        case.compensation
            .iter()
            .find(|o| o.stage == Some(1))
            .expect("the Stage 1 response's offer")
            .number
    };
    act(
        &svc,
        &both,
        at(2025, 5, 5),
        "officer@p3.example",
        Command::AnswerCompensation {
            offer,
            accepted: true,
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 5, 6),
        "officer@p3.example",
        Command::PayCompensation {
            offer,
            payment_reference: Some(full.payment_reference.clone()),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 5, 7),
        "im2@p3.example",
        Command::CompleteAction {
            action: 1,
            note: full.completion_note.clone(),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 6, 2),
        "head@p3.example",
        Command::Ombudsman {
            determination: true,
            detail: full.determination.clone(),
        },
    )
    .await;
    act(
        &svc,
        &both,
        at(2025, 6, 3),
        "head@p3.example",
        Command::OmbudsmanOrder {
            description: full.order.clone(),
            due: chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
            owner: "head@p3.example".into(),
        },
    )
    .await;
    let order = store.load(&both).await.unwrap().unwrap().actions.len() as u16;
    act(
        &svc,
        &both,
        at(2025, 6, 20),
        "head@p3.example",
        Command::CompleteAction {
            action: order,
            note: "Apology letter sent".into(),
        },
    )
    .await;

    // The letters the case issued, each to the resident and the representative, hold what
    // was typed about the complaint (so the search of the files below covers them too).
    let case = store.load(&both).await.unwrap().unwrap();
    let kinds: Vec<(LetterKind, u8)> = letters(&case).iter().map(|l| (l.kind, l.stage)).collect();
    assert_eq!(
        kinds,
        [
            (LetterKind::Acknowledgement, 1),
            (LetterKind::Extension, 1),
            (LetterKind::StageResponse, 1),
            (LetterKind::Acknowledgement, 2),
            (LetterKind::StageResponse, 2),
        ]
    );
    for l in letters(&case) {
        assert!(l.text.contains(&full.name), "{}", l.text);
        assert!(l.html.contains(&full.address), "{}", l.html);
        assert_eq!(
            l.to.iter()
                .map(|a| a.email.as_deref().unwrap_or_default())
                .collect::<Vec<_>>(),
            [full.email.as_str(), full.rep_new_email.as_str()]
        );
        assert!(
            l.production_notes
                .iter()
                .any(|n| n.contains(&full.language)),
            "{:?}",
            l.production_notes
        );
    }

    let months: Vec<Month> = [
        "2020-01", "2025-03", "2025-04", "2025-05", "2026-06", "2032-06",
    ]
    .iter()
    .map(|m| m.parse().unwrap())
    .collect();
    let figures = |records: &p3_domain::ports::MonthRecords, m: Month| {
        serde_json::to_value(report::monthly(
            &records.cases,
            &records.service_requests,
            m,
            &svc.rules,
            &Homes::default(),
        ))
        .unwrap()
    };
    let mut before = Vec::new();
    for m in &months {
        before.push(figures(&store.month_records(*m).await.unwrap(), *m));
    }

    let dry = retention::run(&svc, store.as_ref(), 6, now(), true)
        .await
        .unwrap();
    // In reference order: the 2025 case first.
    assert_eq!(dry.anonymised, vec![both.clone(), due.clone()]);
    let bytes = file_bytes(dir.path());
    let removed_of_old: Vec<&str> = [at_receipt(&old), vec![&old.reason]].concat();
    let removed_of_full: Vec<&str> = [
        at_receipt(&full),
        vec![&full.reason],
        file(&full),
        handling(&full),
    ]
    .concat();
    for s in removed_of_old.iter().chain(&removed_of_full) {
        assert!(
            contains(&bytes, s),
            "a dry run changes nothing: `{s}` is gone"
        );
    }
    assert!(contains(&file_bytes(dir.path()), &request_text));

    let done = retention::run(&svc, store.as_ref(), 6, now(), false)
        .await
        .unwrap();
    assert_eq!(done.anonymised, vec![both.clone(), due.clone()]);
    assert!(done.examined >= 2);

    // The rule, case by case.
    for reference in [&due, &both] {
        let case = store.load(reference).await.unwrap().unwrap();
        assert!(retention::is_anonymised(&case), "{reference}");
        assert_eq!(case.complaint.resident, Resident::default());
        assert_eq!(case.complaint.description, REMOVED);
        assert_eq!(case.access_code_hash, None);
        assert_eq!(case.complaint.category.as_deref(), Some("repairs"));
        assert_eq!(case.history.last().unwrap().event.name(), "anonymised");
    }
    let case = store.load(&both).await.unwrap().unwrap();
    let s1 = case.stage(1).unwrap().response.as_ref().unwrap();
    assert_eq!(s1.response.outcome, Outcome::PartlyUpheld);
    assert_eq!(s1.response.summary, REMOVED);
    assert_eq!(case.stages.len(), 2);
    // The letters are still listed, which and when, but say nothing and name no one.
    assert_eq!(letters(&case).len(), 5);
    for l in letters(&case) {
        assert_eq!(
            (l.subject.as_str(), l.html.as_str(), l.text.as_str()),
            (REMOVED, REMOVED, REMOVED)
        );
        assert!(l.production_notes.is_empty());
        assert!(l
            .to
            .iter()
            .all(|a| a.name.is_none() && a.email.is_none() && a.address.is_none()));
    }
    assert!(case
        .letters
        .iter()
        .all(|l| l.subject == REMOVED && l.to.iter().all(|a| a.email.is_none())));
    // The case file keeps amounts, dates and states, not what was typed.
    let paid = case
        .compensation
        .iter()
        .find(|o| o.number == offer)
        .unwrap();
    assert_eq!((paid.amount_pence, paid.state()), (15_000, "paid"));
    assert_eq!(paid.paid.as_ref().unwrap().1, None);
    for number in [1, order] {
        let a = case.actions.iter().find(|a| a.number == number).unwrap();
        let done = a.completed.as_ref().expect("still recorded as done");
        assert_eq!(
            (a.description.as_str(), done.note.as_str()),
            (REMOVED, REMOVED)
        );
    }
    // The service request it was raised from goes with it; its date and category stay.
    let sr = store.load_service_request(&request).await.unwrap().unwrap();
    assert_eq!(sr.resident, Resident::default());
    assert_eq!(
        (sr.description.as_str(), sr.response.as_deref()),
        (REMOVED, Some(REMOVED))
    );
    assert_eq!(
        (sr.logged_at, sr.category.as_deref()),
        (at(2026, 5, 20), Some("repairs"))
    );
    for reference in [&kept, &open_case] {
        let case = store.load(reference).await.unwrap().unwrap();
        assert!(!retention::is_anonymised(&case), "{reference}");
    }

    // The old months' figures are exactly as before, and so are this month's (the month the
    // anonymisations are recorded in: they count for nothing).
    for (m, was) in months.iter().zip(&before) {
        assert_eq!(
            &figures(&store.month_records(*m).await.unwrap(), *m),
            was,
            "{m}"
        );
    }
    // The removed text is nowhere in the file or its log; what is kept still is.
    let bytes = file_bytes(dir.path());
    for s in removed_of_old.iter().chain(&removed_of_full) {
        assert!(!contains(&bytes, s), "`{s}` survived in the store's files");
    }
    assert!(!contains(&bytes, &request_text));
    for s in [at_receipt(&recent), vec![&recent.reason], file(&recent)].concat() {
        assert!(contains(&bytes, s), "`{s}` of a case still kept is gone");
    }
    for s in at_receipt(&waiting) {
        assert!(contains(&bytes, s), "`{s}` of an open case is gone");
    }

    // A second run finds nothing more to do.
    let again = retention::run(&svc, store.as_ref(), 6, now(), false)
        .await
        .unwrap();
    assert!(again.anonymised.is_empty());
}
