//! One test per rule of domain.md that the domain crate implements. Every expected date below
//! was counted by hand from the rules and the published 2026/2027 England and Wales bank
//! holidays (Good Friday 3 Apr 2026, Easter Monday 6 Apr 2026, early May 4 May, spring 25 May,
//! summer 31 Aug, Christmas Fri 25 Dec, Boxing Day substitute Mon 28 Dec, New Year Fri 1 Jan 2027),
//! never by asking the code under test.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Europe::London;
use p3_domain::alert::{self, Alert, AlertAddresses, AlertKind, Skip};
use p3_domain::case::{
    Actor, Case, CaseStatus, Command, CommandError, FirstContactResolution, NewCase, Rules,
};
use p3_domain::complaint::{Channel, ComplaintDetails, Representative, Resident, Tenure};
use p3_domain::deadline::{self, Deadline, DeadlineKind, DeadlineStatus, DeadlineStep};
use p3_domain::event::{ExclusionGround, Outcome, PointDecision, RequestedThrough, StageResponse};
use p3_domain::letter::LetterKind;
use p3_domain::policy::{Policy, HOUSING, SUPPORT_SERVICES};
use p3_domain::retention;

// ----- fixtures -----

static RULES: LazyLock<Rules> = LazyLock::new(Rules::default);

const REF: &str = "CMP-2026-00001";
const OFFICER: &str = "officer@p3housing.org.uk";
const IM: &str = "im@p3housing.org.uk";
const DEPUTY: &str = "deputy@p3housing.org.uk";
const REVIEWER: &str = "hts@p3housing.org.uk";

const RESIDENT_NAME: &str = "Ada Lovelace";
const RESIDENT_EMAIL: &str = "ada.lovelace@example.org";
const RESIDENT_PHONE: &str = "07700 900123";
const RESIDENT_ADDRESS: &str = "12 Acacia Avenue, Tooting";
const RESIDENT_POSTCODE: &str = "SW17 0RG";
const TENANCY: &str = "TEN-778812";
const DESCRIPTION: &str = "Black mould has covered the back bedroom wall since February";
const DESIRED: &str = "Treat the mould and pay for a new mattress";
const REPRESENTATIVE: &str = "Councillor Grace Hopper";

/// An instant written with its London offset, e.g. `2026-06-01T10:00:00+01:00`.
fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn details() -> ComplaintDetails {
    ComplaintDetails {
        resident: Resident {
            name: Some(RESIDENT_NAME.into()),
            email: Some(RESIDENT_EMAIL.into()),
            phone: Some(RESIDENT_PHONE.into()),
            address: Some(RESIDENT_ADDRESS.into()),
            postcode: Some(RESIDENT_POSTCODE.into()),
            tenancy_reference: Some(TENANCY.into()),
        },
        representative: Some(Representative {
            name: REPRESENTATIVE.into(),
            relationship: Some("councillor".into()),
            email: None,
            address: None,
            authorised_copies: false,
        }),
        channel: Channel::Representative,
        category: Some("damp_and_mould".into()),
        description: DESCRIPTION.into(),
        desired_outcome: Some(DESIRED.into()),
        tenure: Tenure::LowCostRental,
    }
}

fn new_case(procedure: &str, fcr: Option<FirstContactResolution>) -> NewCase {
    NewCase {
        procedure: procedure.into(),
        complaint: details(),
        service_request: None,
        access_code_hash: None,
        first_contact_resolution: fcr,
    }
}

fn actor(by: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Actor {
    Actor {
        by: by.into(),
        at,
        now,
    }
}

/// A housing complaint received and recorded at `at`.
fn open(at: &str) -> Case {
    open_recorded(at, at)
}

/// A housing complaint received at `at` and recorded at `now`.
fn open_recorded(at: &str, now: &str) -> Case {
    Case::open(
        REF,
        new_case(HOUSING, None),
        &actor(OFFICER, t(at), t(now)),
        &RULES,
    )
    .expect("case opens")
}

fn try_do(case: &Case, command: Command, by: &str, at: &str) -> Result<Case, CommandError> {
    case.execute(command, &actor(by, t(at), t(at)), &RULES)
        .map(|(c, _)| c)
}

fn done(case: &Case, command: Command, by: &str, at: &str) -> Case {
    let what = format!("{command:?} at {at}");
    try_do(case, command, by, at).unwrap_or_else(|e| panic!("{what} was refused: {e}"))
}

fn ack1(im: &str) -> Command {
    Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: Some(im.into()),
        reviewer: None,
        complaint_points: vec!["Mould not treated".into(), "Repair visits missed".into()],
    }
}

fn ack_review(reviewer: &str) -> Command {
    Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: None,
        reviewer: Some(reviewer.into()),
        complaint_points: vec!["Stage 1 remedy not enough".into()],
    }
}

fn response() -> StageResponse {
    StageResponse {
        outcome: Outcome::PartlyUpheld,
        summary: "We found the repair visits were missed and apologise.".into(),
        remedy: Some("Apology and £150 compensation".into()),
        point_decisions: vec![
            PointDecision {
                point: "Mould not treated".into(),
                decision: Outcome::NotUpheld,
                reason: Some("The survey found condensation, treated in March".into()),
            },
            PointDecision {
                point: "Repair visits missed".into(),
                decision: Outcome::Upheld,
                reason: Some("No visit was booked".into()),
            },
        ],
        actions: vec![],
        compensation_pence: None,
        learning: None,
    }
}

/// The response of a stage: it decides that stage's points (see `ack1` and `ack_review`).
fn respond(stage: u8) -> Command {
    let mut response = response();
    if stage > 1 {
        response.point_decisions = vec![PointDecision {
            point: "Stage 1 remedy not enough".into(),
            decision: Outcome::PartlyUpheld,
            reason: Some("The compensation left out the damaged carpet".into()),
        }];
    }
    Command::Respond { stage, response }
}

fn extend(working_days: u32) -> Command {
    Command::Extend {
        working_days,
        reason: "Waiting for the damp survey report".into(),
    }
}

fn request_next() -> Command {
    Command::RequestNextStage {
        reason: Some("The compensation is too low".into()),
        through: RequestedThrough::Resident,
    }
}

fn withdraw() -> Command {
    Command::Withdraw {
        reason: Some("Sorted out with the repairs team".into()),
    }
}

fn kind(stage: u8, step: DeadlineStep) -> DeadlineKind {
    DeadlineKind::new(stage, step)
}

fn policy(case: &Case) -> &'static Policy {
    RULES.policy_of(case).expect("known procedure")
}

fn deadlines_on(case: &Case, today: NaiveDate) -> Vec<Deadline> {
    deadline::deadlines(case, policy(case), &RULES.calendar, today)
}

fn deadline_on(case: &Case, stage: u8, step: DeadlineStep, today: NaiveDate) -> Deadline {
    deadlines_on(case, today)
        .into_iter()
        .find(|x| x.kind == kind(stage, step))
        .unwrap_or_else(|| panic!("no stage{stage} {step:?} deadline"))
}

/// The due date of a deadline (independent of the day it is looked at).
fn due(case: &Case, stage: u8, step: DeadlineStep) -> NaiveDate {
    deadline_on(case, stage, step, case.received_on()).due
}

fn plan_on(case: &Case, today: NaiveDate) -> Vec<Alert> {
    alert::plan(&case.reference, &deadlines_on(case, today), &RULES.calendar)
}

fn status_on(case: &Case, today: NaiveDate) -> CaseStatus {
    case.status(policy(case), &RULES.calendar, today)
}

fn invalid_field(result: Result<Case, CommandError>, field: &str) {
    match result {
        Err(CommandError::Invalid(e)) => assert!(
            e.message_for(field).is_some(),
            "expected {field} at fault, got {e}"
        ),
        other => panic!("expected {field} to be invalid, got {other:?}"),
    }
}

fn not_allowed(result: Result<Case, CommandError>) {
    assert!(
        matches!(result, Err(CommandError::NotAllowed(_))),
        "expected NotAllowed, got {result:?}"
    );
}

use DeadlineStep::{
    Acknowledgement as Ack, RequestWindow as Window, Response as Resp, ResponseCode as Code,
};

/// Received Monday 1 June 2026 10:00 BST (no bank holidays until 31 August).
/// Stage 1 acknowledgement due Mon 8 June; P3 response due Mon 15 June.
const MON_1_JUNE: &str = "2026-06-01T10:00:00+01:00";

/// Acknowledged Wed 3 June by the officer naming the IM; responded Fri 12 June by the IM.
/// The Stage 2 window (10 working days from Fri 12 June) closes Fri 26 June.
fn stage1_responded() -> Case {
    let c = open(MON_1_JUNE);
    let c = done(&c, ack1(IM), OFFICER, "2026-06-03T10:00:00+01:00");
    done(&c, respond(1), IM, "2026-06-12T15:00:00+01:00")
}

// ----- working days and receipt dates -----

#[test]
fn received_saturday_counts_monday_as_day_one() {
    // Sat 6 June 2026: day 1 is Mon 8 June, day 5 Fri 12 June, day 10 Fri 19 June.
    for at in ["2026-06-06T11:00:00+01:00", "2026-06-07T23:30:00+01:00"] {
        let c = open(at);
        assert_eq!(due(&c, 1, Ack), d(2026, 6, 12), "received {at}");
        assert_eq!(due(&c, 1, Resp), d(2026, 6, 19), "received {at}");
    }
    // Received on the Friday before, Friday is day 0 and the same Friday is day 5.
    assert_eq!(
        due(&open("2026-06-05T16:00:00+01:00"), 1, Ack),
        d(2026, 6, 12)
    );
}

#[test]
fn stage1_acknowledgement_due_five_working_days_after_receipt() {
    let c = open(MON_1_JUNE);
    // Tue 2 (1), Wed 3 (2), Thu 4 (3), Fri 5 (4), Mon 8 (5).
    assert_eq!(due(&c, 1, Ack), d(2026, 6, 8));
    assert_eq!(
        deadline_on(&c, 1, Ack, d(2026, 6, 1)).status,
        DeadlineStatus::Pending
    );
    assert_eq!(
        deadline_on(&c, 1, Ack, d(2026, 6, 8)).status,
        DeadlineStatus::Pending
    );
    assert_eq!(
        deadline_on(&c, 1, Ack, d(2026, 6, 9)).status,
        DeadlineStatus::Breached
    );
}

#[test]
fn stage1_response_p3_promise_is_ten_working_days_from_receipt() {
    let c = open(MON_1_JUNE);
    // Days 6..10: Tue 9, Wed 10, Thu 11, Fri 12, Mon 15.
    assert_eq!(due(&c, 1, Resp), d(2026, 6, 15));
    // A late acknowledgement does not move P3's promise: it counts from receipt.
    let late = done(&c, ack1(IM), OFFICER, "2026-06-10T10:00:00+01:00");
    assert_eq!(due(&late, 1, Resp), d(2026, 6, 15));
}

#[test]
fn stage1_response_code_counts_from_the_actual_acknowledgement() {
    let c = open(MON_1_JUNE);
    // Acknowledged Wed 3 June: Thu 4 (1), Fri 5, Mon 8, Tue 9, Wed 10 (5), Thu 11, Fri 12,
    // Mon 15, Tue 16, Wed 17 (10).
    let early = done(&c, ack1(IM), OFFICER, "2026-06-03T10:00:00+01:00");
    assert_eq!(due(&early, 1, Code), d(2026, 6, 17));
    assert_eq!(
        due(&early, 1, Resp),
        d(2026, 6, 15),
        "P3's promise is unchanged"
    );
    // Acknowledged late, Wed 10 June: 11, 12, 15, 16, 17, 18, 19, 22, 23, Wed 24 June.
    let late = done(&c, ack1(IM), OFFICER, "2026-06-10T10:00:00+01:00");
    assert_eq!(due(&late, 1, Code), d(2026, 6, 24));
}

#[test]
fn stage1_response_code_counts_from_acknowledgement_due_date_until_acknowledged() {
    let c = open(MON_1_JUNE);
    // Acknowledgement due Mon 8 June; 10 working days later: 9, 10, 11, 12, 15, 16, 17, 18, 19, Mon 22.
    assert_eq!(due(&c, 1, Code), d(2026, 6, 22));
    let d1 = deadline_on(&c, 1, Code, d(2026, 6, 22));
    assert_eq!(d1.status, DeadlineStatus::Pending);
    assert_eq!(
        deadline_on(&c, 1, Code, d(2026, 6, 23)).status,
        DeadlineStatus::Breached
    );
}

// ----- extensions -----

#[test]
fn extension_moves_both_response_deadlines_by_n_working_days() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    assert_eq!(
        (due(&c, 1, Resp), due(&c, 1, Code)),
        (d(2026, 6, 15), d(2026, 6, 17))
    );
    // +5 from Mon 15 June: 16, 17, 18, 19, Mon 22. +5 from Wed 17 June: 18, 19, 22, 23, Wed 24.
    let c = done(&c, extend(5), IM, "2026-06-12T10:00:00+01:00");
    assert_eq!(due(&c, 1, Resp), d(2026, 6, 22));
    assert_eq!(due(&c, 1, Code), d(2026, 6, 24));
    assert_eq!(deadline_on(&c, 1, Resp, d(2026, 6, 12)).extended_by, 5);
    assert_eq!(
        due(&c, 1, Ack),
        d(2026, 6, 8),
        "the acknowledgement deadline is not extended"
    );
    // A second extension of 5, agreed on the (new) due date: Mon 22 -> 23, 24, 25, 26, Mon 29;
    // Wed 24 -> 25, 26, 29, 30, Wed 1 July.
    let c = done(&c, extend(5), IM, "2026-06-22T16:00:00+01:00");
    assert_eq!(due(&c, 1, Resp), d(2026, 6, 29));
    assert_eq!(due(&c, 1, Code), d(2026, 7, 1));
    assert_eq!(c.stage(1).unwrap().extended_by(), 10);
    // A response within the extension is within timescale.
    let c = done(&c, respond(1), IM, "2026-06-29T17:00:00+01:00");
    assert_eq!(
        deadline_on(&c, 1, Resp, d(2026, 7, 2)).status,
        DeadlineStatus::Met
    );
    assert_eq!(
        deadline_on(&c, 1, Code, d(2026, 7, 2)).status,
        DeadlineStatus::Met
    );
}

#[test]
fn extension_requires_a_reason() {
    let c = open(MON_1_JUNE);
    let blank = Command::Extend {
        working_days: 5,
        reason: "   ".into(),
    };
    invalid_field(try_do(&c, blank, IM, "2026-06-03T10:00:00+01:00"), "reason");
    let c = done(&c, extend(3), IM, "2026-06-03T10:00:00+01:00");
    let ext = &c.stage(1).unwrap().extensions[0];
    assert_eq!(
        (ext.working_days, ext.reason.as_str(), ext.by.as_str()),
        (3, "Waiting for the damp survey report", IM)
    );
}

#[test]
fn extension_beyond_ten_working_days_at_stage1_is_refused() {
    let c = open(MON_1_JUNE);
    let at = "2026-06-03T10:00:00+01:00";
    invalid_field(try_do(&c, extend(11), IM, at), "working_days");
    invalid_field(try_do(&c, extend(0), IM, at), "working_days");
    done(&c, extend(10), IM, at);
    let c = done(&c, extend(6), IM, at);
    invalid_field(try_do(&c, extend(5), IM, at), "working_days");
    // A huge number must not wrap around the limit.
    invalid_field(try_do(&c, extend(u32::MAX), IM, at), "working_days");
    invalid_field(try_do(&c, extend(u32::MAX - 5), IM, at), "working_days");
    let c = done(&c, extend(4), IM, at);
    assert_eq!(c.stage(1).unwrap().extended_by(), 10);
    invalid_field(try_do(&c, extend(1), IM, at), "working_days");
}

#[test]
fn extension_beyond_twenty_working_days_at_stage2_is_refused() {
    let c = done(
        &stage1_responded(),
        request_next(),
        "resident",
        "2026-06-22T10:00:00+01:00",
    );
    let c = done(
        &c,
        ack_review(REVIEWER),
        OFFICER,
        "2026-06-24T10:00:00+01:00",
    );
    let at = "2026-06-25T10:00:00+01:00";
    invalid_field(try_do(&c, extend(21), REVIEWER, at), "working_days");
    let c = done(&c, extend(20), REVIEWER, at);
    // Stage 2 response due Wed 22 July (see below) + 20: Thu 23 ... Wed 19 August 2026.
    assert_eq!(due(&c, 2, Resp), d(2026, 8, 19));
    invalid_field(try_do(&c, extend(1), REVIEWER, at), "working_days");
}

#[test]
fn extension_after_the_deadline_has_passed_is_refused() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    // P3's response deadline is Mon 15 June.
    not_allowed(try_do(&c, extend(5), IM, "2026-06-16T09:00:00+01:00"));
    // 00:30 BST on Tue 16 June is still Monday in UTC, but the London date is past the deadline.
    not_allowed(try_do(&c, extend(5), IM, "2026-06-16T00:30:00+01:00"));
    // After an extension, the deadline it extends is the new one.
    let c = done(&c, extend(3), IM, "2026-06-15T10:00:00+01:00");
    assert_eq!(due(&c, 1, Resp), d(2026, 6, 18));
    done(&c, extend(2), IM, "2026-06-18T12:00:00+01:00");
    not_allowed(try_do(&c, extend(2), IM, "2026-06-19T08:00:00+01:00"));
}

#[test]
fn extension_on_the_due_date_is_allowed() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    let c = done(&c, extend(5), IM, "2026-06-15T23:59:00+01:00");
    assert_eq!(due(&c, 1, Resp), d(2026, 6, 22));
}

// ----- Stage 2 window and escalation -----

#[test]
fn stage2_request_after_window_is_accepted_and_flagged() {
    let c = stage1_responded();
    // Window: 10 working days from Fri 12 June = Fri 26 June.
    assert_eq!(due(&c, 2, Window), d(2026, 6, 26));
    let in_time = done(&c, request_next(), "resident", "2026-06-26T23:30:00+01:00");
    assert!(!in_time.stage(2).unwrap().request.as_ref().unwrap().late);
    assert_eq!(
        deadline_on(&in_time, 2, Window, d(2026, 7, 1)).status,
        DeadlineStatus::Met
    );

    let late = done(&c, request_next(), "resident", "2026-06-29T10:00:00+01:00");
    let req = late.stage(2).unwrap().request.as_ref().unwrap();
    assert!(req.late, "lateness is flagged");
    assert_eq!(req.through, RequestedThrough::Resident);
    assert_eq!(
        status_on(&late, d(2026, 6, 29)),
        CaseStatus::StageRequested(2)
    );
    assert_eq!(
        deadline_on(&late, 2, Window, d(2026, 7, 1)).status,
        DeadlineStatus::MetLate
    );
    // Long after the window too: still accepted.
    let very_late = done(&c, request_next(), OFFICER, "2026-11-02T10:00:00+00:00");
    assert!(very_late.stage(2).unwrap().request.as_ref().unwrap().late);
}

#[test]
fn stage2_request_window_is_never_breached_it_expires() {
    let c = stage1_responded();
    let on = |today| deadline_on(&c, 2, Window, today).status;
    assert_eq!(on(d(2026, 6, 26)), DeadlineStatus::Pending);
    assert_eq!(on(d(2026, 6, 29)), DeadlineStatus::Expired);
    assert_eq!(on(d(2027, 6, 1)), DeadlineStatus::Expired);
    assert!(!kind(2, Window).is_alerted());
    assert!(deadlines_on(&c, d(2027, 6, 1))
        .iter()
        .all(|x| x.status != DeadlineStatus::Breached));
}

#[test]
fn case_closes_after_stage1_when_window_expires() {
    let c = stage1_responded();
    assert_eq!(status_on(&c, d(2026, 6, 12)), CaseStatus::Responded);
    assert_eq!(status_on(&c, d(2026, 6, 26)), CaseStatus::Responded);
    assert_eq!(status_on(&c, d(2026, 6, 27)), CaseStatus::Closed);
    assert_eq!(status_on(&c, d(2026, 6, 29)), CaseStatus::Closed);
    not_allowed(try_do(
        &c,
        withdraw(),
        "resident",
        "2026-06-29T10:00:00+01:00",
    ));
}

#[test]
fn stage2_reviewer_must_differ_from_stage1_investigating_manager() {
    let c = done(
        &stage1_responded(),
        request_next(),
        "resident",
        "2026-06-22T10:00:00+01:00",
    );
    let at = "2026-06-23T10:00:00+01:00";
    invalid_field(try_do(&c, ack_review(IM), OFFICER, at), "reviewer");
    invalid_field(
        try_do(&c, ack_review("IM@P3Housing.org.uk"), OFFICER, at),
        "reviewer",
    );
    let ok = done(&c, ack_review(REVIEWER), OFFICER, at);
    assert_eq!(ok.reviewer(), Some(REVIEWER));
    assert_eq!(ok.owner(), Some(IM));
}

#[test]
fn stage2_reviewer_must_differ_from_stage1_responder() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    let c = done(&c, respond(1), DEPUTY, "2026-06-12T15:00:00+01:00");
    let c = done(&c, request_next(), "resident", "2026-06-22T10:00:00+01:00");
    invalid_field(
        try_do(&c, ack_review(DEPUTY), OFFICER, "2026-06-23T10:00:00+01:00"),
        "reviewer",
    );
    let c = done(
        &c,
        ack_review(REVIEWER),
        OFFICER,
        "2026-06-23T10:00:00+01:00",
    );
    // Nor may the Stage 1 people issue the Stage 2 response.
    not_allowed(try_do(&c, respond(2), IM, "2026-07-01T10:00:00+01:00"));
    not_allowed(try_do(&c, respond(2), DEPUTY, "2026-07-01T10:00:00+01:00"));
    done(&c, respond(2), REVIEWER, "2026-07-01T10:00:00+01:00");
}

#[test]
fn stage2_response_due_twenty_working_days_from_actual_acknowledgement() {
    let c = done(
        &stage1_responded(),
        request_next(),
        "resident",
        "2026-06-22T10:00:00+01:00",
    );
    // Stage 2 acknowledgement: 5 working days from the request (Mon 22 June): Mon 29 June.
    assert_eq!(due(&c, 2, Ack), d(2026, 6, 29));
    // Until acknowledged, 20 working days from the acknowledgement's due date:
    // Tue 30 June (1) ... Fri 10 July (9), Mon 13 (10) ... Fri 24 (19), Mon 27 July (20).
    assert_eq!(due(&c, 2, Resp), d(2026, 7, 27));
    // Acknowledged Wed 24 June: Thu 25 (1) ... Fri 3 July (7), ... Fri 17 (17), Mon 20, Tue 21, Wed 22 July (20).
    let c = done(
        &c,
        ack_review(REVIEWER),
        OFFICER,
        "2026-06-24T10:00:00+01:00",
    );
    assert_eq!(due(&c, 2, Resp), d(2026, 7, 22));
    assert!(
        deadlines_on(&c, d(2026, 6, 24))
            .iter()
            .all(|x| x.kind != kind(2, Code)),
        "Stage 2 has one response limit"
    );
    let c = done(&c, respond(2), REVIEWER, "2026-07-22T18:00:00+01:00");
    assert_eq!(
        deadline_on(&c, 2, Resp, d(2026, 7, 23)).status,
        DeadlineStatus::Met
    );
    assert_eq!(status_on(&c, d(2026, 7, 23)), CaseStatus::Closed);
}

#[test]
fn housing_procedure_has_no_third_stage() {
    let c = done(
        &stage1_responded(),
        request_next(),
        "resident",
        "2026-06-22T10:00:00+01:00",
    );
    let c = done(
        &c,
        ack_review(REVIEWER),
        OFFICER,
        "2026-06-24T10:00:00+01:00",
    );
    let c = done(&c, respond(2), REVIEWER, "2026-07-10T10:00:00+01:00");
    assert_eq!(Policy::housing().last_stage(), 2);
    not_allowed(try_do(
        &c,
        request_next(),
        "resident",
        "2026-07-13T10:00:00+01:00",
    ));
    assert!(deadlines_on(&c, d(2026, 7, 13))
        .iter()
        .all(|x| x.kind != kind(3, Window)));
}

// ----- order of actions, withdrawal, refusal -----

#[test]
fn responding_before_acknowledging_is_rejected() {
    let c = open(MON_1_JUNE);
    not_allowed(try_do(&c, respond(1), IM, "2026-06-02T10:00:00+01:00"));
    let c = done(&c, ack1(IM), OFFICER, "2026-06-03T10:00:00+01:00");
    not_allowed(try_do(&c, respond(2), IM, "2026-06-04T10:00:00+01:00"));
    let c = done(&c, respond(1), IM, "2026-06-04T10:00:00+01:00");
    let c = done(&c, request_next(), "resident", "2026-06-05T10:00:00+01:00");
    not_allowed(try_do(
        &c,
        respond(2),
        REVIEWER,
        "2026-06-08T10:00:00+01:00",
    ));
}

#[test]
fn acknowledgement_names_a_staff_email_and_happens_once() {
    let c = open(MON_1_JUNE);
    let nobody = Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: None,
        reviewer: None,
        complaint_points: vec![],
    };
    invalid_field(
        try_do(&c, nobody, OFFICER, "2026-06-02T10:00:00+01:00"),
        "investigating_manager",
    );
    invalid_field(
        try_do(&c, ack1("Jo Bloggs"), OFFICER, "2026-06-02T10:00:00+01:00"),
        "investigating_manager",
    );
    let c = done(&c, ack1(IM), OFFICER, "2026-06-02T10:00:00+01:00");
    not_allowed(try_do(
        &c,
        ack1(DEPUTY),
        OFFICER,
        "2026-06-02T11:00:00+01:00",
    ));
}

#[test]
fn acting_on_a_withdrawn_case_is_rejected() {
    let c = done(
        &open(MON_1_JUNE),
        withdraw(),
        "resident",
        "2026-06-02T10:00:00+01:00",
    );
    assert_eq!(status_on(&c, d(2026, 6, 2)), CaseStatus::Withdrawn);
    let at = "2026-06-03T10:00:00+01:00";
    not_allowed(try_do(&c, ack1(IM), OFFICER, at));
    not_allowed(try_do(&c, extend(2), IM, at));
    not_allowed(try_do(&c, respond(1), IM, at));
    not_allowed(try_do(&c, withdraw(), "resident", at));
    let refuse = Command::Refuse {
        ground: ExclusionGround::LegalProceedings,
        explanation: "Court case".into(),
    };
    not_allowed(try_do(&c, refuse, OFFICER, at));
    // It is kept, and reported as withdrawn.
    assert_eq!(
        c.withdrawal.as_ref().unwrap().reason.as_deref(),
        Some("Sorted out with the repairs team")
    );
    assert_eq!(c.history.last().unwrap().event.name(), "withdrawn");
}

#[test]
fn command_at_in_the_future_is_rejected() {
    let now = t("2026-06-01T10:00:00+01:00");
    let later = t("2026-06-01T10:00:01+01:00");
    let e = Case::open(
        REF,
        new_case(HOUSING, None),
        &actor(OFFICER, later, now),
        &RULES,
    )
    .unwrap_err();
    assert_eq!(e, CommandError::InFuture { at: later });
    let c = open(MON_1_JUNE);
    let e = c.execute(
        ack1(IM),
        &actor(
            OFFICER,
            t("2026-06-03T10:00:00+01:00"),
            t("2026-06-02T10:00:00+01:00"),
        ),
        &RULES,
    );
    assert!(matches!(e, Err(CommandError::InFuture { .. })), "{e:?}");
}

#[test]
fn command_at_before_previous_event_is_rejected() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    let e = c
        .execute(
            extend(2),
            &actor(
                IM,
                t("2026-06-02T10:00:00+01:00"),
                t("2026-06-04T10:00:00+01:00"),
            ),
            &RULES,
        )
        .unwrap_err();
    assert_eq!(
        e,
        CommandError::BeforePreviousEvent {
            at: t("2026-06-02T10:00:00+01:00"),
            previous: t("2026-06-03T10:00:00+01:00")
        }
    );
    // The same instant as the previous event is fine.
    done(&c, extend(2), IM, "2026-06-03T10:00:00+01:00");
}

#[test]
fn first_contact_resolution_counts_as_acknowledged_and_responded_on_receipt_and_opens_stage2_window(
) {
    let at = t("2026-06-01T14:00:00+01:00");
    let fcr = FirstContactResolution {
        outcome: Outcome::Upheld,
        summary: "Repair booked for tomorrow, agreed by phone".into(),
    };
    let c = Case::open(
        REF,
        new_case(HOUSING, Some(fcr)),
        &actor(OFFICER, at, at),
        &RULES,
    )
    .unwrap();
    assert!(c.resolved_at_first_contact());
    let s1 = c.stage(1).unwrap();
    assert_eq!(s1.acknowledgement.as_ref().unwrap().at, at);
    let r = s1.response.as_ref().unwrap();
    assert_eq!(
        (r.at, r.first_contact, r.response.outcome),
        (at, true, Outcome::Upheld)
    );
    assert_eq!(
        r.response.summary,
        "Repair booked for tomorrow, agreed by phone"
    );
    let today = d(2026, 6, 1);
    for step in [Ack, Resp, Code] {
        let x = deadline_on(&c, 1, step, today);
        assert_eq!(
            (x.status, x.met_at),
            (DeadlineStatus::Met, Some(at)),
            "{step:?}"
        );
    }
    // Window: 10 working days from Mon 1 June = Mon 15 June.
    let w = deadline_on(&c, 2, Window, today);
    assert_eq!((w.due, w.status), (d(2026, 6, 15), DeadlineStatus::Pending));
    assert_eq!(status_on(&c, today), CaseStatus::Responded);
    // Received, resolved at first contact, and the written response the Code requires.
    let names: Vec<&str> = c.history.iter().map(|e| e.event.name()).collect();
    assert_eq!(
        names,
        ["received", "resolved_at_first_contact", "letter_issued"]
    );
    assert_eq!(c.version, 3);
    assert_eq!(c.letters.len(), 1);
    assert_eq!(
        (c.letters[0].number, c.letters[0].kind, c.letters[0].stage),
        (1, LetterKind::StageResponse, 1)
    );
    assert!(plan_on(&c, today).is_empty());
    let c = done(&c, request_next(), "resident", "2026-06-15T20:00:00+01:00");
    assert!(!c.stage(2).unwrap().request.as_ref().unwrap().late);

    // Without a written summary it is not a resolution.
    let blank = FirstContactResolution {
        outcome: Outcome::Upheld,
        summary: " ".into(),
    };
    let e = Case::open(
        REF,
        new_case(HOUSING, Some(blank)),
        &actor(OFFICER, at, at),
        &RULES,
    )
    .unwrap_err();
    assert!(
        matches!(&e, CommandError::Invalid(v) if v.message_for("resolution_summary").is_some()),
        "{e:?}"
    );
}

#[test]
fn deadline_met_by_action_any_time_on_due_date() {
    let c = open(MON_1_JUNE);
    // Acknowledgement due Mon 8 June.
    let on_time = done(&c, ack1(IM), OFFICER, "2026-06-08T23:59:00+01:00");
    assert_eq!(
        deadline_on(&on_time, 1, Ack, d(2026, 6, 9)).status,
        DeadlineStatus::Met
    );
    // 00:30 BST on Tue 9 June is 23:30 UTC on Mon 8 June, but late in London.
    let late = done(&c, ack1(IM), OFFICER, "2026-06-09T00:30:00+01:00");
    assert_eq!(
        late.stage(1).unwrap().acknowledgement.as_ref().unwrap().at,
        t("2026-06-08T23:30:00Z")
    );
    assert_eq!(
        deadline_on(&late, 1, Ack, d(2026, 6, 9)).status,
        DeadlineStatus::MetLate
    );
    // The response, due Mon 15 June, likewise.
    let r = done(&on_time, respond(1), IM, "2026-06-15T23:59:59+01:00");
    assert_eq!(
        deadline_on(&r, 1, Resp, d(2026, 6, 16)).status,
        DeadlineStatus::Met
    );
    let r = done(&on_time, respond(1), IM, "2026-06-16T00:00:00+01:00");
    assert_eq!(
        deadline_on(&r, 1, Resp, d(2026, 6, 16)).status,
        DeadlineStatus::MetLate
    );
}

#[test]
fn withdrawal_cancels_pending_deadlines() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    let w = done(&c, withdraw(), "resident", "2026-06-11T10:00:00+01:00");
    let today = d(2026, 6, 18);
    assert_eq!(deadline_on(&w, 1, Ack, today).status, DeadlineStatus::Met);
    assert_eq!(
        deadline_on(&w, 1, Resp, today).status,
        DeadlineStatus::Cancelled
    );
    assert_eq!(
        deadline_on(&w, 1, Code, today).status,
        DeadlineStatus::Cancelled
    );
    assert!(plan_on(&w, today).is_empty());
    assert!(deadline::next_landlord_deadline(&deadlines_on(&w, today)).is_none());
    // Withdrawn on the due date itself: still cancelled, not breached.
    let w = done(&c, withdraw(), "resident", "2026-06-15T23:00:00+01:00");
    assert_eq!(
        deadline_on(&w, 1, Resp, today).status,
        DeadlineStatus::Cancelled
    );
    // A window still open when the resident withdraws is cancelled too.
    let w = done(
        &stage1_responded(),
        withdraw(),
        "resident",
        "2026-06-15T10:00:00+01:00",
    );
    assert_eq!(
        deadline_on(&w, 2, Window, d(2026, 7, 1)).status,
        DeadlineStatus::Cancelled
    );
}

#[test]
fn refusal_requires_an_exclusion_ground_and_explanation() {
    let c = open(MON_1_JUNE);
    let at = "2026-06-02T10:00:00+01:00";
    let blank = Command::Refuse {
        ground: ExclusionGround::Over12Months,
        explanation: "  ".into(),
    };
    invalid_field(try_do(&c, blank, OFFICER, at), "explanation");
    let explanation = "The leak was repaired in 2024, more than 12 months ago. You can ask the Housing Ombudsman to look at this.";
    let refuse = |ground| Command::Refuse {
        ground,
        explanation: explanation.into(),
    };
    let r = done(&c, refuse(ExclusionGround::Over12Months), OFFICER, at);
    let refusal = r.refusal.as_ref().unwrap();
    assert_eq!(
        (refusal.stage, refusal.ground, refusal.explanation.as_str()),
        (1, ExclusionGround::Over12Months, explanation)
    );
    assert_eq!(status_on(&r, d(2026, 6, 2)), CaseStatus::Refused);
    assert_eq!(
        deadline_on(&r, 1, Resp, d(2026, 7, 1)).status,
        DeadlineStatus::Cancelled
    );
    not_allowed(try_do(
        &r,
        refuse(ExclusionGround::AlreadyConsidered),
        OFFICER,
        at,
    ));
    // The resident can still go to the Ombudsman.
    let om = Command::Ombudsman {
        determination: false,
        detail: "Resident referred the refusal".into(),
    };
    done(&r, om, OFFICER, "2026-06-05T10:00:00+01:00");

    // Refusing to escalate: only while the requested stage is unanswered.
    let s2 = done(
        &stage1_responded(),
        request_next(),
        "resident",
        "2026-06-22T10:00:00+01:00",
    );
    let r2 = done(
        &s2,
        refuse(ExclusionGround::AlreadyConsidered),
        OFFICER,
        "2026-06-23T10:00:00+01:00",
    );
    assert_eq!(r2.refusal.as_ref().unwrap().stage, 2);
    not_allowed(try_do(
        &stage1_responded(),
        refuse(ExclusionGround::LegalProceedings),
        OFFICER,
        "2026-06-15T10:00:00+01:00",
    ));
    assert_eq!(ExclusionGround::Over12Months.as_str(), "over_12_months");
    assert_eq!(
        serde_json::to_string(&ExclusionGround::LegalProceedings).unwrap(),
        "\"legal_proceedings\""
    );
}

#[test]
fn ombudsman_determination_needs_a_referral_first() {
    let c = done(
        &stage1_responded(),
        request_next(),
        "resident",
        "2026-06-22T10:00:00+01:00",
    );
    let c = done(
        &c,
        ack_review(REVIEWER),
        OFFICER,
        "2026-06-24T10:00:00+01:00",
    );
    let c = done(&c, respond(2), REVIEWER, "2026-07-10T10:00:00+01:00");
    let om = |determination: bool, detail: &str| Command::Ombudsman {
        determination,
        detail: detail.into(),
    };
    not_allowed(try_do(
        &c,
        om(true, "Maladministration"),
        OFFICER,
        "2026-08-03T10:00:00+01:00",
    ));
    invalid_field(
        try_do(&c, om(false, " "), OFFICER, "2026-08-03T10:00:00+01:00"),
        "detail",
    );
    let c = done(
        &c,
        om(false, "Referred by the resident"),
        OFFICER,
        "2026-08-03T10:00:00+01:00",
    );
    not_allowed(try_do(
        &c,
        om(false, "Again"),
        OFFICER,
        "2026-08-04T10:00:00+01:00",
    ));
    let c = done(
        &c,
        om(true, "Maladministration; £300 ordered"),
        OFFICER,
        "2026-11-02T10:00:00+00:00",
    );
    not_allowed(try_do(
        &c,
        om(true, "Again"),
        OFFICER,
        "2026-11-03T10:00:00+00:00",
    ));
    let events: Vec<&str> = c.ombudsman.iter().map(|o| o.event.as_str()).collect();
    assert_eq!(events, ["referred", "determination"]);
}

// ----- a complete complaint (Code 5.6, 6.7, 6.18) -----

#[test]
fn an_acknowledgement_defines_at_least_one_point_and_records_what_the_landlord_is_responsible_for()
{
    let c = open(MON_1_JUNE);
    let ack = |points: Vec<String>| Command::Acknowledge {
        investigating_manager: Some(IM.into()),
        reviewer: None,
        complaint_points: points,
        responsible_for: Some("  The repairs to the bedroom wall  ".into()),
        not_responsible_for: Some("The neighbour's leaking gutter: the council's".into()),
    };
    invalid_field(
        try_do(&c, ack(vec![]), OFFICER, "2026-06-02T10:00:00+01:00"),
        "complaint_points",
    );
    let c = done(
        &c,
        ack(vec!["Mould not treated".into()]),
        OFFICER,
        "2026-06-02T10:00:00+01:00",
    );
    let a = c.stage(1).unwrap().acknowledgement.as_ref().unwrap();
    assert_eq!(
        a.responsible_for.as_deref(),
        Some("The repairs to the bedroom wall")
    );
    assert_eq!(
        a.not_responsible_for.as_deref(),
        Some("The neighbour's leaking gutter: the council's")
    );
}

/// The errors of a refused command, as `field: message` lines.
fn errors_of(result: Result<Case, CommandError>) -> Vec<String> {
    match result {
        Err(CommandError::Invalid(e)) => e
            .errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect(),
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn a_response_decides_every_point_with_reasons_and_its_outcome_follows_the_decisions() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-02T10:00:00+01:00",
    );
    let at = "2026-06-05T10:00:00+01:00";
    let with = |change: &dyn Fn(&mut StageResponse)| {
        let mut r = response();
        change(&mut r);
        Command::Respond {
            stage: 1,
            response: r,
        }
    };
    // The second point undecided: named by its place among the points, with its text.
    let errors = errors_of(try_do(
        &c,
        with(&|r| {
            r.point_decisions.truncate(1);
        }),
        IM,
        at,
    ));
    assert_eq!(
        errors,
        ["point_decisions[1]: Decide point 2, “Repair visits missed”: upheld, partly upheld or not upheld, with the reasons"]
    );
    // Nothing decided: every point is named.
    let errors = errors_of(try_do(&c, with(&|r| r.point_decisions.clear()), IM, at));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("point_decisions[0]: Decide point 1, “Mould not treated”"));
    // A decision without reasons, one on a point that is not the complaint's, one twice.
    let errors = errors_of(try_do(
        &c,
        with(&|r| {
            r.point_decisions[0].reason = Some(" ".into());
            r.point_decisions.push(PointDecision {
                point: "The rent".into(),
                decision: Outcome::Upheld,
                reason: Some("Too high".into()),
            });
            r.point_decisions.push(r.point_decisions[1].clone());
        }),
        IM,
        at,
    ));
    assert_eq!(
        errors,
        [
            "point_decisions[0].reason: Give the reasons for the decision on “Mould not treated”",
            "point_decisions[2].point: is not one of the complaint's points at this stage: decide the points as they now stand",
            "point_decisions[3].point: point 2 is decided twice",
        ]
    );
    // One point upheld and one not: the complaint is partly upheld, not upheld outright.
    let errors = errors_of(try_do(&c, with(&|r| r.outcome = Outcome::Upheld), IM, at));
    assert_eq!(
        errors,
        ["outcome: The decisions on the points make the complaint partly upheld: choose that outcome, or change a decision"]
    );
    let c = done(&c, respond(1), IM, at);
    let decided = &c
        .stage(1)
        .unwrap()
        .response
        .as_ref()
        .unwrap()
        .response
        .point_decisions;
    assert_eq!(decided.len(), 2);
}

#[test]
fn stage2_decides_its_points_as_revised_at_stage2() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-02T10:00:00+01:00",
    );
    let c = done(&c, respond(1), IM, "2026-06-05T10:00:00+01:00");
    let c = done(&c, request_next(), "resident", "2026-06-08T10:00:00+01:00");
    let c = done(
        &c,
        ack_review(REVIEWER),
        OFFICER,
        "2026-06-09T10:00:00+01:00",
    );
    let revise = Command::RevisePoints {
        complaint_points: vec!["The carpet was left out of the remedy".into()],
        reason: "The resident explained on the phone".into(),
    };
    let c = done(&c, revise, REVIEWER, "2026-06-10T10:00:00+01:00");
    // The point as acknowledged no longer stands: deciding it decides nothing.
    let errors = errors_of(try_do(
        &c,
        respond(2),
        REVIEWER,
        "2026-06-11T10:00:00+01:00",
    ));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("point_decisions[0].point: is not one of"));
    assert!(errors[1].starts_with(
        "point_decisions[0]: Decide point 1, “The carpet was left out of the remedy”"
    ));
    let Command::Respond { mut response, .. } = respond(2) else {
        unreachable!()
    };
    response.point_decisions[0].point = "The carpet was left out of the remedy".into();
    let c = done(
        &c,
        Command::Respond { stage: 2, response },
        REVIEWER,
        "2026-06-11T10:00:00+01:00",
    );
    assert!(c.stage(2).unwrap().response.is_some());
}

// ----- records -----

#[test]
fn version_grows_with_every_event() {
    let c = open(MON_1_JUNE);
    assert_eq!(c.version, 1);
    let (c2, events) = c
        .execute(
            ack1(IM),
            &actor(
                OFFICER,
                t("2026-06-03T10:00:00+01:00"),
                t("2026-06-03T10:00:00+01:00"),
            ),
            &RULES,
        )
        .unwrap();
    assert_eq!(
        (c.version, c2.version),
        (1, 3),
        "execute leaves the original case unchanged"
    );
    // The acknowledgement and its letter, in one write.
    let names: Vec<&str> = events.iter().map(|e| e.event.name()).collect();
    assert_eq!(names, ["acknowledged", "letter_issued"]);
    assert_eq!(
        events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [2, 3]
    );
    let c = done(&c2, extend(2), IM, "2026-06-05T10:00:00+01:00");
    let c = done(&c, respond(1), IM, "2026-06-12T10:00:00+01:00");
    // Asking for Stage 2 is the resident's step: no letter.
    let c = done(&c, request_next(), "resident", "2026-06-15T10:00:00+01:00");
    assert_eq!(c.version, 8);
    let seq: Vec<u64> = c.history.iter().map(|e| e.sequence).collect();
    assert_eq!(seq, [1, 2, 3, 4, 5, 6, 7, 8]);
    let names: Vec<&str> = c.history.iter().map(|e| e.event.name()).collect();
    assert_eq!(
        names,
        [
            "received",
            "acknowledged",
            "letter_issued",
            "extended",
            "letter_issued",
            "responded",
            "letter_issued",
            "escalation_requested",
        ]
    );
    let kinds: Vec<(u16, LetterKind)> = c.letters.iter().map(|l| (l.number, l.kind)).collect();
    assert_eq!(
        kinds,
        [
            (1, LetterKind::Acknowledgement),
            (2, LetterKind::Extension),
            (3, LetterKind::StageResponse)
        ]
    );
    // A refused command adds nothing.
    assert!(try_do(&c, respond(1), IM, "2026-06-16T10:00:00+01:00").is_err());
    assert_eq!(Case::from_history(REF, c.history.clone()), c);
}

#[test]
fn history_keeps_who_when_and_recorded_at() {
    let c = open_recorded(MON_1_JUNE, "2026-06-01T11:30:00+01:00");
    let first = &c.history[0];
    assert_eq!(
        (first.by.as_str(), first.at, first.recorded_at),
        (OFFICER, t(MON_1_JUNE), t("2026-06-01T11:30:00+01:00"))
    );
    assert_eq!(first.event.name(), "received");
    // Acknowledged by phone on Wednesday, typed up on Friday.
    let (c, _) = c
        .execute(
            ack1(IM),
            &actor(
                OFFICER,
                t("2026-06-03T10:00:00+01:00"),
                t("2026-06-05T16:00:00+01:00"),
            ),
            &RULES,
        )
        .unwrap();
    // The acknowledgement, then its letter, both by the same person at the same moments.
    let [.., last, letter] = c.history.as_slice() else {
        panic!("acknowledging adds two events")
    };
    assert_eq!(last.by, OFFICER);
    assert_eq!(last.at, t("2026-06-03T10:00:00+01:00"));
    assert_eq!(last.recorded_at, t("2026-06-05T16:00:00+01:00"));
    assert_eq!(last.event.name(), "acknowledged");
    assert_eq!(letter.event.name(), "letter_issued");
    assert_eq!(
        (letter.by.as_str(), letter.at, letter.recorded_at),
        (
            OFFICER,
            t("2026-06-03T10:00:00+01:00"),
            t("2026-06-05T16:00:00+01:00")
        )
    );
    // Deadlines judge the action by when it happened, not when it was recorded.
    assert_eq!(
        deadline_on(&c, 1, Ack, d(2026, 6, 10)).met_at,
        Some(t("2026-06-03T10:00:00+01:00"))
    );
    // The record survives a round trip through JSON.
    let json = serde_json::to_value(last).unwrap();
    assert_eq!(json["by"], OFFICER);
    assert_eq!(json["type"], "acknowledged");
    assert!(json["recorded_at"].is_string() && json["at"].is_string());
}

#[test]
fn support_services_procedure_has_three_stages() {
    assert_eq!(Policy::support_services().stages.len(), 3);
    let at = t(MON_1_JUNE);
    let c = Case::open(
        REF,
        new_case(SUPPORT_SERVICES, None),
        &actor(OFFICER, at, at),
        &RULES,
    )
    .unwrap();
    assert_eq!(c.procedure, SUPPORT_SERVICES);
    let c = done(&c, ack1(IM), OFFICER, "2026-06-03T10:00:00+01:00");
    let c = done(&c, respond(1), IM, "2026-06-12T10:00:00+01:00");
    let c = done(&c, request_next(), "resident", "2026-06-15T10:00:00+01:00");
    let c = done(
        &c,
        ack_review("manager2@p3housing.org.uk"),
        OFFICER,
        "2026-06-16T10:00:00+01:00",
    );
    let c = done(
        &c,
        respond(2),
        "manager2@p3housing.org.uk",
        "2026-06-26T10:00:00+01:00",
    );
    assert_eq!(
        status_on(&c, d(2026, 6, 26)),
        CaseStatus::Responded,
        "Stage 2 is not the last stage here"
    );
    let c = done(&c, request_next(), "resident", "2026-06-29T10:00:00+01:00");
    assert_eq!(status_on(&c, d(2026, 6, 29)), CaseStatus::StageRequested(3));
    // Stage 3 is reviewed by someone who handled neither earlier stage.
    invalid_field(
        try_do(
            &c,
            ack_review("manager2@p3housing.org.uk"),
            OFFICER,
            "2026-06-30T10:00:00+01:00",
        ),
        "reviewer",
    );
    invalid_field(
        try_do(&c, ack_review(IM), OFFICER, "2026-06-30T10:00:00+01:00"),
        "reviewer",
    );
    let c = done(
        &c,
        ack_review("director@p3housing.org.uk"),
        OFFICER,
        "2026-06-30T10:00:00+01:00",
    );
    let kinds: Vec<String> = deadlines_on(&c, d(2026, 6, 30))
        .iter()
        .map(|x| x.kind.to_string())
        .collect();
    for k in [
        "stage3_request_window",
        "stage3_acknowledgement",
        "stage3_response",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    let c = done(
        &c,
        respond(3),
        "director@p3housing.org.uk",
        "2026-07-10T10:00:00+01:00",
    );
    assert_eq!(status_on(&c, d(2026, 7, 10)), CaseStatus::Closed);
    not_allowed(try_do(
        &c,
        request_next(),
        "resident",
        "2026-07-13T10:00:00+01:00",
    ));
}

#[test]
fn deadline_kinds_serialize_as_stage_and_step() {
    let c = done(
        &stage1_responded(),
        request_next(),
        "resident",
        "2026-06-22T10:00:00+01:00",
    );
    let names: Vec<String> = deadlines_on(&c, d(2026, 6, 22))
        .iter()
        .map(|x| {
            serde_json::to_value(x).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "stage1_acknowledgement",
            "stage1_response",
            "stage1_response_code",
            "stage2_request_window",
            "stage2_acknowledgement",
            "stage2_response"
        ]
    );
    for name in &names {
        let k: DeadlineKind = serde_json::from_str(&format!("\"{name}\"")).unwrap();
        assert_eq!(&k.to_string(), name);
    }
    assert_eq!(
        serde_json::to_string(&kind(1, Code)).unwrap(),
        "\"stage1_response_code\""
    );
    assert!(serde_json::from_str::<DeadlineKind>("\"stage0_response\"").is_err());
    assert!(serde_json::from_str::<DeadlineKind>("\"stage1_reply\"").is_err());
    let x = serde_json::to_value(deadline_on(&c, 2, Window, d(2026, 6, 22))).unwrap();
    assert_eq!(x["status"], "met");
    assert_eq!(x["due"], "2026-06-26");
}

// ----- Europe/London -----

#[test]
fn complaint_at_0030_bst_counts_on_that_london_date() {
    // 00:30 BST on Tue 2 June 2026 is 23:30 UTC on Monday 1 June.
    let c = open("2026-06-02T00:30:00+01:00");
    assert_eq!(
        c.received_at.date_naive(),
        d(2026, 6, 1),
        "still Monday in UTC"
    );
    assert_eq!(c.received_on(), d(2026, 6, 2));
    // Wed 3 (1), Thu 4, Fri 5, Mon 8, Tue 9 (5), Wed 10, Thu 11, Fri 12, Mon 15, Tue 16 (10).
    assert_eq!(due(&c, 1, Ack), d(2026, 6, 9));
    assert_eq!(due(&c, 1, Resp), d(2026, 6, 16));
}

#[test]
fn received_on_the_night_the_clocks_go_forward() {
    // Clocks go forward at 01:00 GMT on Sunday 29 March 2026. Sunday is day 0, Monday 30 day 1,
    // then Tue 31, Wed 1 Apr, Thu 2; Good Friday and Easter Monday are skipped: Tue 7 April is day 5.
    // Response: Wed 8, Thu 9, Fri 10, Mon 13, Tue 14 April (10).
    for at in [
        "2026-03-29T00:30:00+00:00",
        "2026-03-29T03:30:00+01:00",
        "2026-03-28T23:59:59+00:00",
    ] {
        let c = open(at);
        let sunday_or_saturday = c.received_on();
        assert!(
            matches!(sunday_or_saturday.weekday(), Weekday::Sat | Weekday::Sun),
            "{at}"
        );
        assert_eq!(due(&c, 1, Ack), d(2026, 4, 7), "{at}");
        assert_eq!(due(&c, 1, Resp), d(2026, 4, 14), "{at}");
    }
    // 23:30 UTC on Sunday 29 March is already 00:30 BST on Monday 30 March: Monday is day 0.
    let c = open("2026-03-29T23:30:00+00:00");
    assert_eq!(c.received_on(), d(2026, 3, 30));
    // Tue 31 (1), Wed 1, Thu 2, Tue 7, Wed 8 April (5); Thu 9, Fri 10, Mon 13, Tue 14, Wed 15 (10).
    assert_eq!(due(&c, 1, Ack), d(2026, 4, 8));
    assert_eq!(due(&c, 1, Resp), d(2026, 4, 15));
}

#[test]
fn received_on_the_night_the_clocks_go_back() {
    // Clocks go back at 02:00 BST on Sunday 25 October 2026.
    // 00:30 BST Sunday (23:30 UTC Saturday) and 23:30 GMT Sunday are both Sunday in London.
    // Mon 26 (1) ... Fri 30 October (5); Mon 2 ... Fri 6 November (10).
    for at in [
        "2026-10-25T00:30:00+01:00",
        "2026-10-25T01:30:00+00:00",
        "2026-10-25T23:30:00+00:00",
    ] {
        let c = open(at);
        assert_eq!(c.received_on(), d(2026, 10, 25), "{at}");
        assert_eq!(due(&c, 1, Ack), d(2026, 10, 30), "{at}");
        assert_eq!(due(&c, 1, Resp), d(2026, 11, 6), "{at}");
    }
    // The day before, 23:30 UTC is 00:30 BST on Sunday.
    assert_eq!(open("2026-10-24T23:30:00Z").received_on(), d(2026, 10, 25));
}

#[test]
fn received_on_good_friday_counts_from_the_tuesday_after_easter() {
    // Good Friday 3 April 2026 is day 0; Easter Monday is not a working day; Tue 7 is day 1.
    // Tue 7, Wed 8, Thu 9, Fri 10, Mon 13 (5); Tue 14, Wed 15, Thu 16, Fri 17, Mon 20 (10).
    for at in [
        "2026-04-03T11:00:00+01:00",
        "2026-04-04T11:00:00+01:00",
        "2026-04-06T11:00:00+01:00",
    ] {
        let c = open(at);
        assert_eq!(due(&c, 1, Ack), d(2026, 4, 13), "{at}");
        assert_eq!(due(&c, 1, Resp), d(2026, 4, 20), "{at}");
    }
    // Received Thursday 2 April: Tue 7 is day 1 too, so the acknowledgement is also due Mon 13;
    // received Wednesday 1 April: Thu 2 (1), Tue 7, Wed 8, Thu 9, Fri 10 (5).
    assert_eq!(
        due(&open("2026-04-02T11:00:00+01:00"), 1, Ack),
        d(2026, 4, 13)
    );
    assert_eq!(
        due(&open("2026-04-01T11:00:00+01:00"), 1, Ack),
        d(2026, 4, 10)
    );
}

#[test]
fn received_at_christmas_2026_skips_christmas_boxing_day_substitute_and_new_year() {
    // Holidays: Fri 25 Dec, Mon 28 Dec (Boxing Day substitute), Fri 1 Jan 2027.
    // From Thu 24, Fri 25, Sat 26 or Mon 28 Dec: Tue 29 (1), Wed 30, Thu 31, Mon 4 Jan, Tue 5 Jan (5);
    // Wed 6, Thu 7, Fri 8, Mon 11, Tue 12 January 2027 (10).
    for at in [
        "2026-12-24T15:00:00Z",
        "2026-12-25T10:00:00Z",
        "2026-12-26T10:00:00Z",
        "2026-12-28T10:00:00Z",
    ] {
        let c = open(at);
        assert_eq!(due(&c, 1, Ack), d(2027, 1, 5), "{at}");
        assert_eq!(due(&c, 1, Resp), d(2027, 1, 12), "{at}");
    }
    // From Wed 23 Dec: Thu 24 (1), Tue 29, Wed 30, Thu 31, Mon 4 January (5).
    assert_eq!(due(&open("2026-12-23T10:00:00Z"), 1, Ack), d(2027, 1, 4));
}

// ----- alerts -----

fn at_nine(date: NaiveDate) -> DateTime<Utc> {
    // Independent of the crate: 09:00 wall-clock in London via chrono-tz.
    date.and_hms_opt(9, 0, 0)
        .unwrap()
        .and_local_timezone(London)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn find(plan: &[Alert], stage: u8, step: DeadlineStep, kind_: AlertKind) -> &Alert {
    plan.iter()
        .find(|a| a.deadline == kind(stage, step) && a.kind == kind_)
        .unwrap_or_else(|| panic!("no {kind_:?} alert for stage{stage} {step:?} in {plan:#?}"))
}

#[test]
fn reminder_two_working_days_before_due_at_0900_london() {
    let c = open(MON_1_JUNE);
    let plan = plan_on(&c, d(2026, 6, 1));
    // Acknowledgement due Mon 8 June: Fri 5 is 1 before, Thu 4 is 2 before; 09:00 BST = 08:00 UTC.
    assert_eq!(
        find(&plan, 1, Ack, AlertKind::Reminder).at,
        t("2026-06-04T08:00:00Z")
    );
    // Response due Mon 15 June: reminder Thu 11 June.
    assert_eq!(
        find(&plan, 1, Resp, AlertKind::Reminder).at,
        t("2026-06-11T08:00:00Z")
    );

    // Received Tue 24 March 2026: acknowledgement due Tue 31 March (BST); the reminder on
    // Fri 27 March falls before the clocks change, at 09:00 GMT.
    let c = open("2026-03-24T10:00:00Z");
    assert_eq!(due(&c, 1, Ack), d(2026, 3, 31));
    let plan = plan_on(&c, d(2026, 3, 24));
    assert_eq!(
        find(&plan, 1, Ack, AlertKind::Reminder).at,
        t("2026-03-27T09:00:00Z")
    );
    assert_eq!(
        find(&plan, 1, Ack, AlertKind::DueToday).at,
        t("2026-03-31T08:00:00Z")
    );

    // Received Mon 30 March: acknowledgement due Wed 8 April; counting back skips Easter
    // Monday and Good Friday: Tue 7 (1), Thu 2 April (2).
    let c = open("2026-03-30T10:00:00+01:00");
    let plan = plan_on(&c, d(2026, 3, 30));
    assert_eq!(
        find(&plan, 1, Ack, AlertKind::Reminder).at,
        t("2026-04-02T08:00:00Z")
    );
    // Response due Wed 15 April: reminder Mon 13 April.
    assert_eq!(
        find(&plan, 1, Resp, AlertKind::Reminder).at,
        at_nine(d(2026, 4, 13))
    );
}

#[test]
fn due_today_alert_at_0900_on_due_date() {
    let plan = plan_on(&open(MON_1_JUNE), d(2026, 6, 1));
    assert_eq!(
        find(&plan, 1, Ack, AlertKind::DueToday).at,
        t("2026-06-08T09:00:00+01:00")
    );
    assert_eq!(
        find(&plan, 1, Resp, AlertKind::DueToday).at,
        t("2026-06-15T09:00:00+01:00")
    );
    // In winter 09:00 London is 09:00 UTC: Christmas Eve receipt, acknowledgement due Tue 5 Jan 2027.
    let plan = plan_on(&open("2026-12-24T15:00:00Z"), d(2026, 12, 24));
    assert_eq!(
        find(&plan, 1, Ack, AlertKind::DueToday).at,
        t("2027-01-05T09:00:00Z")
    );
    assert_eq!(
        find(&plan, 1, Resp, AlertKind::DueToday).at,
        t("2027-01-12T09:00:00Z")
    );
}

#[test]
fn breach_alert_at_0900_next_working_day() {
    let plan = plan_on(&open(MON_1_JUNE), d(2026, 6, 1));
    assert_eq!(
        find(&plan, 1, Ack, AlertKind::Breach).at,
        t("2026-06-09T08:00:00Z")
    );
    assert_eq!(
        find(&plan, 1, Resp, AlertKind::Breach).at,
        t("2026-06-16T08:00:00Z")
    );
    // Received Thu 26 March 2026: acknowledgement due Thu 2 April; the next working day after
    // Good Friday, the weekend and Easter Monday is Tue 7 April.
    let c = open("2026-03-26T10:00:00Z");
    assert_eq!(due(&c, 1, Ack), d(2026, 4, 2));
    assert_eq!(
        find(&plan_on(&c, d(2026, 3, 26)), 1, Ack, AlertKind::Breach).at,
        t("2026-04-07T08:00:00Z")
    );
    // Received Tue 22 December 2026: acknowledgement due Thu 31 December; breach Mon 4 January
    // (New Year's Day is a Friday).
    let c = open("2026-12-22T10:00:00Z");
    assert_eq!(due(&c, 1, Ack), d(2026, 12, 31));
    assert_eq!(
        find(&plan_on(&c, d(2026, 12, 22)), 1, Ack, AlertKind::Breach).at,
        t("2027-01-04T09:00:00Z")
    );
    // A breach alert is still planned while the deadline stays unmet.
    let late = plan_on(&c, d(2027, 1, 20));
    assert_eq!(
        find(&late, 1, Ack, AlertKind::Breach).at,
        t("2027-01-04T09:00:00Z")
    );
}

#[test]
fn alerts_never_at_weekends_or_bank_holidays() {
    let holidays = [
        d(2026, 4, 3),
        d(2026, 4, 6),
        d(2026, 5, 4),
        d(2026, 5, 25),
        d(2026, 8, 31),
        d(2026, 12, 25),
        d(2026, 12, 28),
        d(2027, 1, 1),
        d(2027, 3, 26),
        d(2027, 3, 29),
    ];
    // Receipts on every day around Easter, the May holidays and Christmas 2026.
    let starts = [
        d(2026, 3, 20),
        d(2026, 4, 20),
        d(2026, 5, 15),
        d(2026, 8, 17),
        d(2026, 12, 10),
        d(2027, 3, 12),
    ];
    for start in starts {
        for offset in 0..24 {
            let day = start + chrono::Days::new(offset);
            let at = day
                .and_hms_opt(13, 0, 0)
                .unwrap()
                .and_local_timezone(London)
                .single()
                .unwrap()
                .to_rfc3339();
            let c = open(&at);
            let plan = plan_on(&c, day);
            assert_eq!(plan.len(), 6, "received {day}");
            for a in plan {
                let local = a.at.with_timezone(&London);
                let date = local.date_naive();
                assert_eq!(
                    (local.hour(), local.minute(), local.second()),
                    (9, 0, 0),
                    "{a:?}"
                );
                assert!(
                    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
                    "{a:?} on a weekend"
                );
                assert!(!holidays.contains(&date), "{a:?} on a bank holiday");
            }
        }
    }
    // Received Tue 22 December 2026, by hand: acknowledgement due Thu 31 Dec: reminder Tue 29 Dec,
    // due today Thu 31 Dec, breach Mon 4 Jan; response due Fri 8 Jan 2027: reminder Wed 6 Jan,
    // due today Fri 8 Jan, breach Mon 11 Jan.
    let plan = plan_on(&open("2026-12-22T10:00:00Z"), d(2026, 12, 22));
    let ats: Vec<DateTime<Utc>> = plan.iter().map(|a| a.at).collect();
    assert_eq!(
        ats,
        [
            t("2026-12-29T09:00:00Z"),
            t("2026-12-31T09:00:00Z"),
            t("2027-01-04T09:00:00Z"),
            t("2027-01-06T09:00:00Z"),
            t("2027-01-08T09:00:00Z"),
            t("2027-01-11T09:00:00Z"),
        ]
    );
}

#[test]
fn past_alerts_collapse_to_the_latest_sent_at_once() {
    // Received Mon 1 June 2026 but only recorded on Wed 1 July: both deadlines are breached.
    let now = t("2026-07-01T12:00:00+01:00");
    let c = open_recorded(MON_1_JUNE, "2026-07-01T12:00:00+01:00");
    let plan = plan_on(&c, d(2026, 7, 1));
    assert_eq!(plan.len(), 6);
    let timers = alert::timers(&plan, now);
    assert_eq!(timers.len(), 2, "{timers:#?}");
    for tm in &timers {
        assert_eq!(tm.alert.as_alert().unwrap().kind, AlertKind::Breach);
        assert_eq!(tm.fire_at, now);
    }
    let deadlines: Vec<DeadlineKind> = timers
        .iter()
        .map(|tm| tm.alert.as_alert().unwrap().deadline)
        .collect();
    assert!(deadlines.contains(&kind(1, Ack)) && deadlines.contains(&kind(1, Resp)));

    // Recorded at noon on Mon 8 June, the acknowledgement's due date: its reminder is stale and
    // dropped, "due today" goes at once, the breach keeps its moment; the response's alerts are
    // all in the future.
    let now = t("2026-06-08T12:00:00+01:00");
    let c = open_recorded(MON_1_JUNE, "2026-06-08T12:00:00+01:00");
    let timers = alert::timers(&plan_on(&c, d(2026, 6, 8)), now);
    let got: Vec<(DeadlineStep, AlertKind, DateTime<Utc>)> = timers
        .iter()
        .map(|tm| {
            let a = tm.alert.as_alert().unwrap();
            (a.deadline.step, a.kind, tm.fire_at)
        })
        .collect();
    assert_eq!(
        got,
        [
            (Ack, AlertKind::DueToday, now),
            (Ack, AlertKind::Breach, t("2026-06-09T08:00:00Z")),
            (Resp, AlertKind::Reminder, t("2026-06-11T08:00:00Z")),
            (Resp, AlertKind::DueToday, t("2026-06-15T08:00:00Z")),
            (Resp, AlertKind::Breach, t("2026-06-16T08:00:00Z")),
        ]
    );
}

#[test]
fn no_alerts_once_deadline_met() {
    let c = open(MON_1_JUNE);
    let c = done(&c, ack1(IM), OFFICER, "2026-06-03T10:00:00+01:00");
    let plan = plan_on(&c, d(2026, 6, 3));
    assert_eq!(plan.len(), 3);
    assert!(plan.iter().all(|a| a.deadline == kind(1, Resp)));
    // Met late: no alerts either.
    let late = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-10T10:00:00+01:00",
    );
    assert!(plan_on(&late, d(2026, 6, 10))
        .iter()
        .all(|a| a.deadline != kind(1, Ack)));
    let c = done(&c, respond(1), IM, "2026-06-12T10:00:00+01:00");
    assert!(plan_on(&c, d(2026, 6, 12)).is_empty());
    assert!(alert::timers(&plan_on(&c, d(2026, 6, 12)), t("2026-06-12T10:00:00+01:00")).is_empty());
}

#[test]
fn extension_moves_the_alerts() {
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    let before = plan_on(&c, d(2026, 6, 12));
    let old_breach = find(&before, 1, Resp, AlertKind::Breach).clone();
    let c = done(&c, extend(5), IM, "2026-06-12T10:00:00+01:00");
    let plan = plan_on(&c, d(2026, 6, 12));
    // New response due date Mon 22 June: reminder Thu 18, due today Mon 22, breach Tue 23 June.
    let ats: Vec<(AlertKind, DateTime<Utc>)> = plan.iter().map(|a| (a.kind, a.at)).collect();
    assert_eq!(
        ats,
        [
            (AlertKind::Reminder, t("2026-06-18T08:00:00Z")),
            (AlertKind::DueToday, t("2026-06-22T08:00:00Z")),
            (AlertKind::Breach, t("2026-06-23T08:00:00Z")),
        ]
    );
    assert!(plan.iter().all(|a| a.due == d(2026, 6, 22)));
    // The old alerts no longer go out, even at their old moments.
    assert_eq!(
        alert::check_fired(&old_breach, &plan, t("2026-06-16T08:00:00Z")),
        Err(Skip::NoLongerPlanned)
    );
}

#[test]
fn resident_window_raises_no_alerts() {
    let c = stage1_responded();
    for today in [
        d(2026, 6, 12),
        d(2026, 6, 26),
        d(2026, 6, 29),
        d(2026, 9, 1),
    ] {
        assert!(plan_on(&c, today).is_empty(), "{today}");
    }
    assert!(deadlines_on(&c, d(2026, 6, 29))
        .iter()
        .any(|x| x.kind == kind(2, Window)));
}

#[test]
fn alert_ids_are_stable() {
    let c = open(MON_1_JUNE);
    let ids: Vec<String> = plan_on(&c, d(2026, 6, 1)).iter().map(Alert::id).collect();
    assert_eq!(
        ids,
        [
            "CMP-2026-00001.stage1_acknowledgement.20260608.reminder",
            "CMP-2026-00001.stage1_acknowledgement.20260608.due_today",
            "CMP-2026-00001.stage1_acknowledgement.20260608.breach",
            "CMP-2026-00001.stage1_response.20260615.reminder",
            "CMP-2026-00001.stage1_response.20260615.due_today",
            "CMP-2026-00001.stage1_response.20260615.breach",
        ]
    );
    // Planned again later (the acknowledgement now breached), or rebuilt from history: same ids.
    let again: Vec<String> = plan_on(&Case::from_history(REF, c.history.clone()), d(2026, 6, 10))
        .iter()
        .map(Alert::id)
        .collect();
    assert_eq!(ids, again);
    // An extension gives the moved deadline new ids.
    let c = done(&c, extend(1), IM, "2026-06-02T10:00:00+01:00");
    let moved: Vec<String> = plan_on(&c, d(2026, 6, 2)).iter().map(Alert::id).collect();
    assert!(
        moved.contains(&"CMP-2026-00001.stage1_response.20260616.breach".to_string()),
        "{moved:?}"
    );
    assert!(
        moved.contains(&ids[0]),
        "the acknowledgement's alerts keep theirs"
    );
}

#[test]
fn check_fired_sends_an_alert_that_is_due() {
    let c = open(MON_1_JUNE);
    let plan = plan_on(&c, d(2026, 6, 4));
    let reminder = find(&plan, 1, Ack, AlertKind::Reminder).clone();
    assert_eq!(
        alert::check_fired(&reminder, &plan, t("2026-06-04T08:00:00Z")),
        Ok(())
    );
    assert_eq!(
        alert::check_fired(&reminder, &plan, t("2026-06-05T17:00:00+01:00")),
        Ok(())
    );
}

#[test]
fn check_fired_refuses_an_early_alert() {
    let c = open(MON_1_JUNE);
    let plan = plan_on(&c, d(2026, 6, 4));
    let reminder = find(&plan, 1, Ack, AlertKind::Reminder).clone();
    assert_eq!(
        alert::check_fired(&reminder, &plan, t("2026-06-04T07:59:59Z")),
        Err(Skip::Early)
    );
}

#[test]
fn check_fired_skips_a_superseded_alert() {
    let c = open(MON_1_JUNE);
    let plan = plan_on(&c, d(2026, 6, 8));
    let reminder = find(&plan, 1, Ack, AlertKind::Reminder).clone();
    let due_today = find(&plan, 1, Ack, AlertKind::DueToday).clone();
    // The reminder's timer fires late, after the "due today" moment has passed too.
    assert_eq!(
        alert::check_fired(&reminder, &plan, t("2026-06-08T10:00:00+01:00")),
        Err(Skip::Superseded)
    );
    assert_eq!(
        alert::check_fired(&due_today, &plan, t("2026-06-08T10:00:00+01:00")),
        Ok(())
    );
    // Other deadlines' alerts do not supersede it.
    let resp_reminder = find(&plan, 1, Resp, AlertKind::Reminder).clone();
    assert_eq!(
        alert::check_fired(&resp_reminder, &plan, t("2026-06-11T08:00:00Z")),
        Ok(())
    );
}

#[test]
fn check_fired_skips_an_alert_no_longer_planned() {
    let c = open(MON_1_JUNE);
    let plan = plan_on(&c, d(2026, 6, 1));
    let reminder = find(&plan, 1, Ack, AlertKind::Reminder).clone();
    let c = done(&c, ack1(IM), OFFICER, "2026-06-03T10:00:00+01:00");
    let now = t("2026-06-04T08:00:00Z");
    assert_eq!(
        alert::check_fired(&reminder, &plan_on(&c, d(2026, 6, 4)), now),
        Err(Skip::NoLongerPlanned)
    );
    let w = done(&c, withdraw(), "resident", "2026-06-03T12:00:00+01:00");
    let resp_reminder = find(&plan, 1, Resp, AlertKind::Reminder).clone();
    assert_eq!(
        alert::check_fired(
            &resp_reminder,
            &plan_on(&w, d(2026, 6, 11)),
            t("2026-06-11T08:00:00Z")
        ),
        Err(Skip::NoLongerPlanned)
    );
}

fn render(case: &Case, a: &Alert, now: DateTime<Utc>) -> alert::AlertEmail {
    alert::render(
        case,
        a,
        &AlertAddresses::default(),
        &RULES.calendar,
        now,
        &format!(
            "https://complaints.p3housing.invalid/staff/cases/{}",
            case.reference
        ),
        "P3 Housing",
    )
}

#[test]
fn breach_alert_goes_to_owner_and_head_of_tenant_services() {
    let addresses = AlertAddresses::default();
    let c = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    let plan = plan_on(&c, d(2026, 6, 16));
    let breach = find(&plan, 1, Resp, AlertKind::Breach);
    let email = render(&c, breach, t("2026-06-16T08:00:00Z"));
    assert_eq!(
        email.to,
        [IM.to_string(), addresses.head_of_tenant_services.clone()]
    );
    assert_eq!(email.alert_id, breach.id());
    assert!(
        email.subject.contains(REF) && email.subject.contains("BREACH"),
        "{}",
        email.subject
    );
    assert!(
        email
            .body
            .contains("escalated to the Head of Tenant Services"),
        "{}",
        email.body
    );
    // Reminders and "due today" go to the owner alone.
    for k in [AlertKind::Reminder, AlertKind::DueToday] {
        let a = find(&plan, 1, Resp, k);
        assert_eq!(render(&c, a, a.at).to, [IM.to_string()], "{k:?}");
    }
}

#[test]
fn unassigned_case_alerts_go_to_complaints_team() {
    let addresses = AlertAddresses::default();
    let c = open(MON_1_JUNE);
    let plan = plan_on(&c, d(2026, 6, 9));
    let reminder = find(&plan, 1, Ack, AlertKind::Reminder);
    assert_eq!(
        render(&c, reminder, reminder.at).to,
        std::slice::from_ref(&addresses.complaints_team)
    );
    let breach = find(&plan, 1, Ack, AlertKind::Breach);
    assert_eq!(
        render(&c, breach, breach.at).to,
        [
            addresses.complaints_team.clone(),
            addresses.head_of_tenant_services.clone()
        ]
    );
}

#[test]
fn alert_emails_carry_no_resident_personal_data() {
    let personal = [
        RESIDENT_NAME,
        "Lovelace",
        RESIDENT_EMAIL,
        RESIDENT_PHONE,
        "07700900123",
        RESIDENT_ADDRESS,
        "Acacia",
        RESIDENT_POSTCODE,
        TENANCY,
        DESCRIPTION,
        "Black mould",
        DESIRED,
        REPRESENTATIVE,
    ];
    let unassigned = open(MON_1_JUNE);
    let assigned = done(&unassigned, ack1(IM), OFFICER, "2026-06-03T10:00:00+01:00");
    let two_stage = done(
        &stage1_responded(),
        request_next(),
        "resident",
        "2026-06-22T10:00:00+01:00",
    );
    let mut checked = 0;
    for (c, today) in [
        (&unassigned, d(2026, 6, 1)),
        (&assigned, d(2026, 6, 3)),
        (&two_stage, d(2026, 6, 22)),
    ] {
        for a in plan_on(c, today) {
            let email = render(c, &a, a.at);
            for text in [&email.subject, &email.body] {
                let lower = text.to_lowercase();
                for p in personal {
                    assert!(
                        !lower.contains(&p.to_lowercase()),
                        "`{p}` appears in an alert email:\n{text}"
                    );
                }
            }
            assert!(email.body.contains(&c.reference));
            checked += 1;
        }
    }
    assert_eq!(checked, 6 + 3 + 6);
}

// ----- retention -----

/// Every text of a case's history that someone typed about the resident or the complaint.
const TYPED: [&str; 13] = [
    RESIDENT_NAME,
    RESIDENT_EMAIL,
    RESIDENT_PHONE,
    RESIDENT_ADDRESS,
    RESIDENT_POSTCODE,
    TENANCY,
    DESCRIPTION,
    DESIRED,
    REPRESENTATIVE,
    "Mould not treated",
    "The compensation is too low",
    "Waiting for the damp survey report",
    "Apology and £150 compensation",
];

fn anonymised_on(case: &Case, at: &str) -> Option<Case> {
    retention::anonymise(case, &RULES, 6, t(at)).expect("a known procedure")
}

#[test]
fn retention_counts_from_the_end_of_the_window_when_the_next_stage_was_not_asked_for() {
    // Stage 1 answered Fri 12 June 2026; the resident's 10 working days end Fri 26 June.
    let c = stage1_responded();
    assert_eq!(
        retention::closed_on(&c, &RULES, d(2032, 7, 1)).unwrap(),
        Some(d(2026, 6, 26))
    );
    assert!(anonymised_on(&c, "2032-06-26T12:00:00+01:00").is_none());
    assert!(anonymised_on(&c, "2032-06-27T12:00:00+01:00").is_some());
}

#[test]
fn retention_never_touches_an_open_case() {
    let waiting = done(
        &open(MON_1_JUNE),
        ack1(IM),
        OFFICER,
        "2026-06-03T10:00:00+01:00",
    );
    assert_eq!(
        retention::closed_on(&waiting, &RULES, d(2046, 1, 1)).unwrap(),
        None
    );
    assert!(anonymised_on(&waiting, "2046-01-01T12:00:00Z").is_none());
}

#[test]
fn an_ombudsman_record_after_closure_restarts_the_retention_clock() {
    let c = done(
        &open(MON_1_JUNE),
        withdraw(),
        OFFICER,
        "2026-06-05T10:00:00+01:00",
    );
    let c = done(
        &c,
        Command::Ombudsman {
            determination: false,
            detail: "Referred by the resident".into(),
        },
        REVIEWER,
        "2027-03-01T10:00:00Z",
    );
    assert_eq!(
        retention::closed_on(&c, &RULES, d(2034, 1, 1)).unwrap(),
        Some(d(2027, 3, 1))
    );
    assert!(anonymised_on(&c, "2033-03-01T12:00:00Z").is_none());
    assert!(anonymised_on(&c, "2033-03-02T12:00:00Z").is_some());
}

#[test]
fn anonymising_removes_everything_typed_and_keeps_what_the_figures_count() {
    let c = stage1_responded();
    let c = done(&c, request_next(), "resident", "2026-06-22T10:00:00+01:00");
    let c = done(
        &c,
        ack_review(REVIEWER),
        OFFICER,
        "2026-06-24T10:00:00+01:00",
    );
    let c = done(&c, extend(5), REVIEWER, "2026-06-25T10:00:00+01:00");
    let c = done(&c, respond(2), REVIEWER, "2026-07-20T10:00:00+01:00");
    let before = serde_json::to_string(&c).unwrap();
    for text in TYPED {
        assert!(before.contains(text), "the fixture lacks `{text}`");
    }

    let a = anonymised_on(&c, "2033-01-04T12:00:00Z").expect("due");
    let after = serde_json::to_string(&a).unwrap();
    for text in TYPED {
        assert!(!after.contains(text), "`{text}` survived");
    }
    assert_eq!(a.history.last().unwrap().event.name(), "anonymised");
    assert_eq!(a.history.len(), c.history.len() + 1);
    assert_eq!(a.access_code_hash, None);
    // What the reports count from: the same.
    let today = d(2033, 1, 4);
    assert_eq!(deadlines_on(&a, today), deadlines_on(&c, today));
    assert_eq!(
        a.status(policy(&a), &RULES.calendar, today),
        CaseStatus::Closed
    );
    assert_eq!(a.complaint.channel, c.complaint.channel);
    assert_eq!(a.complaint.category, c.complaint.category);
    assert_eq!(a.complaint.tenure, c.complaint.tenure);
    for (x, y) in a.stages.iter().zip(&c.stages) {
        assert_eq!(x.started_at, y.started_at);
        assert_eq!(x.extended_by(), y.extended_by());
        let (rx, ry) = (x.response.as_ref().unwrap(), y.response.as_ref().unwrap());
        assert_eq!((rx.at, rx.response.outcome), (ry.at, ry.response.outcome));
    }
    // Once is enough.
    assert!(anonymised_on(&a, "2040-01-01T12:00:00Z").is_none());
}
