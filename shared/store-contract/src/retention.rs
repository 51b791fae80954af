//! The retention rule on a store, driven through the service as `p3 serve`, `p3 retention`
//! and the AWS reporting function's daily job drive it: a case closed six years and a day ago
//! loses its personal data, and so does the service request it was raised from; one closed six
//! years less a day ago keeps it; an open case always keeps it; the figures of the old months
//! are the same afterwards; and the removed text is nowhere in what the store holds: not in the
//! events, not in the letters issued to the resident and their representative, not in the case
//! file (needs, contact preferences, compensation, actions, Ombudsman orders). A case whose
//! history is longer than one DynamoDB transaction holds is anonymised whole too.

mod story;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;
use p3_domain::case::Command;
use p3_domain::complaint::Resident;
use p3_domain::event::{CaseEvent, Outcome, RequestedThrough};
use p3_domain::letter::LetterKind;
use p3_domain::london::Month;
use p3_domain::ports::{CaseStore, ReportSource};
use p3_domain::report::{self, Homes};
use p3_domain::retention::{self, RetentionStore, REMOVED};

use story::*;

/// Every byte a store holds where removed text could survive: SQLite's database file and its
/// write-ahead log; every attribute of every DynamoDB item and index entry (deflated ones
/// inflated).
#[async_trait]
pub trait Held: Send + Sync {
    /// The bytes, as of now.
    async fn bytes(&self) -> Vec<u8>;
}

pub async fn personal_data_of_cases_closed_over_six_years_ago_is_removed_and_the_figures_stay<S>(
    store: Arc<S>,
    held: &dyn Held,
) where
    S: CaseStore + RetentionStore + ReportSource + 'static,
{
    let svc = service(store.clone());

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
            responsible_for: Some(format!("The walls of {}", full.address)),
            not_responsible_for: Some(format!("{}'s own furniture", full.name)),
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
            response: response(
                &full,
                &[
                    format!("Damp at {}", full.address),
                    "A leak under the sink".into(),
                ],
            ),
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
            responsible_for: None,
            not_responsible_for: None,
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
            response: response(&full, &[format!("Damp at {}", full.address)]),
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
            // The actions completed (one promised at Stage 1, the Ombudsman's order) are
            // each told to the resident in an update.
            (LetterKind::Update, 1),
            (LetterKind::Update, 2),
        ]
    );
    for l in letters(&case) {
        assert!(l.text.contains(&full.name), "{}", l.text);
        // An update names the action, not the complaint: the other letters restate the
        // complaint, with the address typed in it.
        if l.kind != LetterKind::Update {
            assert!(l.html.contains(&full.address), "{}", l.html);
        }
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
        .expect("the store answers")
    };
    let mut before = Vec::new();
    for m in &months {
        before.push(figures(&store.month_records(*m).await.unwrap(), *m));
    }

    let dry = retention::run(&svc, store.as_ref(), 6, now(), true)
        .await
        .expect("the store answers");
    // In reference order: the 2025 case first.
    assert_eq!(dry.anonymised, vec![both.clone(), due.clone()]);
    let bytes = held.bytes().await;
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
    assert!(contains(&held.bytes().await, &request_text));

    let done = retention::run(&svc, store.as_ref(), 6, now(), false)
        .await
        .expect("the store answers");
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
    assert_eq!(letters(&case).len(), 7);
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
        .expect("the store answers");
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
    let bytes = held.bytes().await;
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
        .expect("the store answers");
    assert!(again.anonymised.is_empty());
}

/// How many notes the long case gets: with its receipt and withdrawal, more events than one
/// DynamoDB transaction (100 items) can rewrite.
const NOTES: usize = 120;

/// A case with more events than one transaction holds, closed long ago, is anonymised whole:
/// every note, and what the resident typed, gone from what the store holds; a run that finds
/// nothing more to do after it.
pub async fn a_history_longer_than_one_transaction_is_anonymised_whole<S>(
    store: Arc<S>,
    held: &dyn Held,
) where
    S: CaseStore + RetentionStore + 'static,
{
    let svc = service(store.clone());
    let t = typed("L9");
    let reference = open(&svc, &t, at(2025, 1, 6)).await;
    let note = |i: usize| format!("Called {} about the damp, visit {i}", t.name);
    for i in 0..NOTES {
        let when = at(2025, 1, 6) + Duration::minutes(i as i64 + 1);
        let text = note(i);
        act(
            &svc,
            &reference,
            when,
            "officer@p3.example",
            Command::AddNote {
                text,
                corrects: None,
            },
        )
        .await;
    }
    act(
        &svc,
        &reference,
        at(2025, 2, 3),
        "officer@p3.example",
        Command::Withdraw {
            reason: Some(t.reason.clone()),
        },
    )
    .await;
    let before = store
        .load(&reference)
        .await
        .expect("the store answers")
        .expect("the case");
    assert!(before.history.len() > 100, "{}", before.history.len());

    let done = retention::run(&svc, store.as_ref(), 6, now(), false)
        .await
        .expect("the store answers");
    assert_eq!(done.anonymised, vec![reference.clone()]);
    let after = store
        .load(&reference)
        .await
        .expect("the store answers")
        .expect("the case");
    assert!(retention::is_anonymised(&after));
    assert_eq!(after.history.len(), before.history.len() + 1);
    assert_eq!(after.complaint.description, REMOVED);
    let notes: Vec<&str> = after
        .history
        .iter()
        .filter_map(|e| match &e.event {
            CaseEvent::NoteAdded { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notes, vec![REMOVED; NOTES]);
    let bytes = held.bytes().await;
    for s in [at_receipt(&t), vec![&t.reason, &note(0), &note(NOTES - 1)]].concat() {
        assert!(!contains(&bytes, s), "`{s}` survived in the store");
    }
    let again = retention::run(&svc, store.as_ref(), 6, now(), false)
        .await
        .expect("the store answers");
    assert!(again.anonymised.is_empty());
}
