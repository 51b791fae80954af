//! The case file's notes and correspondence log (domain.md, "Records"): internal notes are
//! never edited, a correction is a new note naming the one it corrects; what was sent or said
//! outside our letters is logged with its direction, channel, time and summary.

use chrono::{DateTime, Utc};
use p3_domain::case::{Actor, Case, Command, CommandError, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::correspondence::{CorrespondenceChannel, Direction, NewCorrespondence};
use p3_domain::event::CaseEvent;
use p3_domain::policy::HOUSING;
use p3_domain::retention::{self, REMOVED};

const OFFICER: &str = "officer@p3housing.org.uk";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn open(at: &str) -> Case {
    let details = ComplaintDetails {
        resident: Resident {
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.org".into()),
            ..Default::default()
        },
        representative: None,
        channel: Channel::Phone,
        category: None,
        description: "The lift has been broken for a month".into(),
        desired_outcome: None,
        tenure: Tenure::LowCostRental,
    };
    let new = NewCase {
        procedure: HOUSING.into(),
        complaint: details,
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: None,
    };
    Case::open("CMP-2026-00001", new, &actor(at), &Rules::default()).unwrap()
}

fn actor(at: &str) -> Actor {
    Actor {
        by: OFFICER.into(),
        at: t(at),
        now: t(at),
    }
}

fn run(case: &Case, command: Command, at: &str) -> Result<Case, CommandError> {
    case.execute(command, &actor(at), &Rules::default())
        .map(|(c, _)| c)
}

fn note(text: &str, corrects: Option<u64>) -> Command {
    Command::AddNote {
        text: text.into(),
        corrects,
    }
}

fn fields(e: CommandError) -> Vec<String> {
    match e {
        CommandError::Invalid(v) => v.errors.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a field error, got {other}"),
    }
}

fn logged(summary: &str, attachments: Vec<String>) -> Command {
    Command::LogCorrespondence(NewCorrespondence {
        direction: Direction::Inbound,
        channel: CorrespondenceChannel::Phone,
        summary: summary.into(),
        attachments,
    })
}

#[test]
fn a_correction_is_a_new_note_and_the_first_stays_as_written() {
    let case = open("2026-06-01T09:00:00Z");
    let case = run(
        &case,
        note("  Resident called about the lift  ", None),
        "2026-06-01T10:00:00Z",
    )
    .unwrap();
    let first = case.notes[0].number;
    assert_eq!(case.notes[0].text, "Resident called about the lift");
    let case = run(
        &case,
        note("It was the stairs, not the lift", Some(first)),
        "2026-06-01T11:00:00Z",
    )
    .unwrap();
    assert_eq!(case.notes.len(), 2);
    assert_eq!(case.notes[0].text, "Resident called about the lift");
    assert_eq!(case.notes[0].corrected_by, vec![case.notes[1].number]);
    assert_eq!(case.notes[1].corrects, Some(first));
    assert_eq!(
        case.history.len(),
        3,
        "received and two notes, nothing rewritten"
    );
}

#[test]
fn a_note_must_say_something_and_correct_only_a_note_of_the_case() {
    let case = open("2026-06-01T09:00:00Z");
    let e = run(&case, note("   ", None), "2026-06-01T10:00:00Z").unwrap_err();
    assert_eq!(fields(e), ["text"]);
    let e = run(
        &case,
        note(&"x".repeat(10_001), None),
        "2026-06-01T10:00:00Z",
    )
    .unwrap_err();
    assert_eq!(fields(e), ["text"]);
    // Event 1 is the receipt, not a note.
    let e = run(&case, note("A correction", Some(1)), "2026-06-01T10:00:00Z").unwrap_err();
    assert_eq!(fields(e), ["corrects"]);
    let e = run(
        &case,
        note("A correction", Some(99)),
        "2026-06-01T10:00:00Z",
    )
    .unwrap_err();
    assert_eq!(fields(e), ["corrects"]);
}

#[test]
fn correspondence_is_logged_with_when_it_happened() {
    let case = open("2026-06-01T09:00:00Z");
    let mut a = actor("2026-06-01T09:30:00Z");
    a.now = t("2026-06-01T12:00:00Z");
    let (case, _) = case
        .execute(
            logged(" Rang to ask for an update ", vec![]),
            &a,
            &Rules::default(),
        )
        .unwrap();
    let entry = &case.correspondence[0];
    assert_eq!(entry.summary, "Rang to ask for an update");
    assert_eq!(entry.direction, Direction::Inbound);
    assert_eq!(entry.channel, CorrespondenceChannel::Phone);
    assert_eq!(entry.at, t("2026-06-01T09:30:00Z"));
    assert_eq!(entry.recorded_at, t("2026-06-01T12:00:00Z"));
}

#[test]
fn correspondence_needs_a_summary_and_names_only_attachments_the_case_holds() {
    let case = open("2026-06-01T09:00:00Z");
    let e = run(&case, logged("", vec![]), "2026-06-01T10:00:00Z").unwrap_err();
    assert_eq!(fields(e), ["summary"]);
    let e = run(
        &case,
        logged("An email with photos", vec!["att-1".into()]),
        "2026-06-01T10:00:00Z",
    )
    .unwrap_err();
    assert_eq!(fields(e), ["attachments"]);
    let e = run(
        &case,
        logged("", vec!["att-1".into()]),
        "2026-06-01T10:00:00Z",
    )
    .unwrap_err();
    assert_eq!(
        fields(e),
        ["summary", "attachments"],
        "every field at fault at once"
    );
}

#[test]
fn retention_removes_notes_and_summaries_and_keeps_what_they_were() {
    let case = open("2019-06-03T09:00:00Z");
    let case = run(
        &case,
        Command::Withdraw { reason: None },
        "2019-06-04T09:00:00Z",
    )
    .unwrap();
    let case = run(
        &case,
        note("Ada's neighbour is her carer", None),
        "2019-06-05T09:00:00Z",
    )
    .unwrap();
    let case = run(
        &case,
        logged("Ada emailed a photo", vec![]),
        "2019-06-05T10:00:00Z",
    )
    .unwrap();
    let done = retention::anonymise(&case, &Rules::default(), 6, t("2026-06-01T09:00:00Z"))
        .unwrap()
        .expect("closed more than six years ago");
    assert_eq!(done.notes[0].text, REMOVED);
    assert_eq!(done.correspondence[0].summary, REMOVED);
    assert_eq!(done.correspondence[0].channel, CorrespondenceChannel::Phone);
    let json = serde_json::to_string(&done.history).unwrap();
    assert!(!json.contains("carer") && !json.contains("photo"), "{json}");
    let e = run(&done, note("More", None), "2026-06-02T09:00:00Z").unwrap_err();
    assert!(matches!(e, CommandError::NotAllowed(_)), "{e}");
    assert!(done
        .history
        .iter()
        .any(|e| matches!(e.event, CaseEvent::NoteAdded { .. })));
}
