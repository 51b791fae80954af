//! The monthly report over a fixture month, October 2025, built through `Case::open` and
//! `Case::execute` with the default rules. Every expected figure was counted by hand from the
//! rules (no bank holidays fall in September to November 2025; Wednesday 1 October 2025; the
//! clocks went back on Sunday 26 October 2025), never by asking the code under test.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use p3_domain::case::{Actor, Case, Command, FirstContactResolution, NewCase, Rules};
use p3_domain::complaint::{Channel, ComplaintDetails, Resident, Tenure};
use p3_domain::event::{ExclusionGround, Outcome, PointDecision, RequestedThrough, StageResponse};
use p3_domain::london::Month;
use p3_domain::policy::{HOUSING, SUPPORT_SERVICES};
use p3_domain::report::{self, Homes, MonthlyReport};
use p3_domain::service_request::ServiceRequest;
use serde_json::{json, Value};

static RULES: LazyLock<Rules> = LazyLock::new(Rules::default);

const OFFICER: &str = "officer@p3housing.org.uk";
const IM: &str = "im@p3housing.org.uk";
const REVIEWER: &str = "hts@p3housing.org.uk";
const NOW: &str = "2025-12-15T12:00:00Z";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .with_timezone(&Utc)
}

fn actor(by: &str, at: &str) -> Actor {
    Actor {
        by: by.into(),
        at: t(at),
        now: t(NOW),
    }
}

struct Spec {
    procedure: &'static str,
    channel: Channel,
    category: Option<&'static str>,
    tenure: Tenure,
    service_request: Option<&'static str>,
    fcr: Option<Outcome>,
}

fn spec(channel: Channel, category: Option<&'static str>) -> Spec {
    Spec {
        procedure: HOUSING,
        channel,
        category,
        tenure: Tenure::LowCostRental,
        service_request: None,
        fcr: None,
    }
}

fn open(reference: &str, s: Spec, at: &str) -> Case {
    let new = NewCase {
        procedure: s.procedure.into(),
        complaint: ComplaintDetails {
            resident: Resident {
                name: Some("Ada Resident".into()),
                email: Some("ada@example.org".into()),
                ..Default::default()
            },
            representative: None,
            channel: s.channel,
            category: s.category.map(Into::into),
            description: "The boiler has not worked for three weeks.".into(),
            desired_outcome: None,
            tenure: s.tenure,
        },
        service_request: s.service_request.map(Into::into),
        access_code_hash: None,
        first_contact_resolution: s.fcr.map(|outcome| FirstContactResolution {
            outcome,
            summary: "Repair booked with the resident's agreement".into(),
        }),
    };
    Case::open(reference, new, &actor(OFFICER, at), &RULES).expect("open")
}

fn run(case: Case, command: Command, by: &str, at: &str) -> Case {
    case.execute(command, &actor(by, at), &RULES)
        .unwrap_or_else(|e| panic!("{} at {at}: {e}", case.reference))
        .0
}

fn ack(case: Case, at: &str) -> Case {
    let stage2 = case.current_stage().number == 2;
    let command = Command::Acknowledge {
        responsible_for: None,
        not_responsible_for: None,
        investigating_manager: (!stage2).then(|| IM.into()),
        reviewer: stage2.then(|| REVIEWER.into()),
        complaint_points: vec!["The boiler".into()],
    };
    run(case, command, OFFICER, at)
}

fn respond(case: Case, outcome: Outcome, at: &str) -> Case {
    let stage = case.current_stage().number;
    let by = if stage == 1 { IM } else { REVIEWER };
    let response = StageResponse {
        outcome,
        summary: "Our decision and the reasons for it".into(),
        remedy: None,
        point_decisions: vec![PointDecision {
            point: "The boiler".into(),
            decision: outcome,
            reason: Some("The reasons for it".into()),
        }],
        actions: vec![],
        compensation_pence: None,
        learning: None,
    };
    run(case, Command::Respond { stage, response }, by, at)
}

fn escalate(case: Case, at: &str) -> Case {
    let command = Command::RequestNextStage {
        reason: Some("Not resolved".into()),
        through: RequestedThrough::Resident,
    };
    run(case, command, "resident", at)
}

fn service_request(id: &str, logged_at: &str) -> ServiceRequest {
    ServiceRequest {
        id: id.into(),
        description: "Fix the boiler".into(),
        category: Some("repairs".into()),
        resident: Resident::default(),
        response: None,
        logged_at: t(logged_at),
        recorded_at: t(logged_at),
        logged_by: OFFICER.into(),
        complaint: None,
        closed: None,
    }
}

/// The fixture. Dates are London dates; "WD" = working days, day 0 = the date counted from.
fn fixture() -> (Vec<Case>, Vec<ServiceRequest>) {
    use Channel::*;
    use Outcome::*;
    let mut cases = Vec::new();

    // A: received 00:30 BST Wed 1 Oct (23:30 UTC on 30 Sep): an October complaint.
    // Ack due 1 Oct + 5 WD = Wed 8 Oct; acked Fri 3 (within). P3 due 1 Oct + 10 WD = Wed 15;
    // Code due 3 Oct + 10 WD = Fri 17. Responded Wed 15: within both; 10 WD; upheld.
    // Stage 2 asked Mon 20 Oct (window to Wed 29: in time); ack due 20 Oct + 5 WD = Mon 27,
    // acked Tue 21 (within); response due 21 Oct + 20 WD = Tue 18 Nov: open, not overdue, at
    // the end of October; open and overdue at the end of November.
    let a = open("A", spec(Web, Some("repairs")), "2025-09-30T23:30:00Z");
    let a = ack(a, "2025-10-03T10:00:00+01:00");
    let a = respond(a, Upheld, "2025-10-15T16:00:00+01:00");
    let a = escalate(a, "2025-10-20T10:00:00+01:00");
    let a = ack(a, "2025-10-21T10:00:00+01:00");
    cases.push(a);

    // B: late acknowledgement. Received Thu 2 Oct; ack due Thu 9, acked Mon 13 (late).
    // P3 due 2 Oct + 10 WD = Thu 16; Code due 13 Oct + 10 WD = Mon 27. Responded Mon 20:
    // outside P3, within the Code; 12 WD; partly upheld.
    let b = open(
        "B",
        spec(Phone, Some("damp_and_mould")),
        "2025-10-02T10:00:00+01:00",
    );
    let b = ack(b, "2025-10-13T10:00:00+01:00");
    let b = respond(b, PartlyUpheld, "2025-10-20T15:00:00+01:00");
    cases.push(b);

    // C: response within an agreed extension. Received Mon 6 Oct; ack due Mon 13, acked Tue 7.
    // P3 due Mon 20, Code due 7 Oct + 10 WD = Tue 21. Extended by 5 WD on Fri 17 (before the
    // deadline): P3 due 6 Oct + 15 WD = Mon 27, Code due 7 Oct + 15 WD = Tue 28. Responded at
    // 23:30 GMT Mon 27 Oct (after the clock change: still Monday): within both; 15 WD; not upheld.
    let c = open(
        "C",
        spec(Email, Some("repairs")),
        "2025-10-06T09:00:00+01:00",
    );
    let c = ack(c, "2025-10-07T10:00:00+01:00");
    let c = run(
        c,
        Command::Extend {
            working_days: 5,
            reason: "Waiting for the contractor's report".into(),
        },
        IM,
        "2025-10-17T10:00:00+01:00",
    );
    let c = respond(c, NotUpheld, "2025-10-27T23:30:00Z");
    cases.push(c);

    // D: response after the Code's limit. Received Tue 7 Oct; ack due Tue 14, acked Wed 8.
    // P3 due Tue 21, Code due 8 Oct + 10 WD = Wed 22. Responded Thu 23: outside both; 12 WD; upheld.
    let d = open(
        "D",
        spec(Web, Some("communication")),
        "2025-10-07T11:00:00+01:00",
    );
    let d = ack(d, "2025-10-08T10:00:00+01:00");
    let d = respond(d, Upheld, "2025-10-23T10:00:00+01:00");
    cases.push(d);

    // E: Stage 1 in September (received Mon 1 Sep, ack Tue 2, responded Fri 5: 4 WD; upheld).
    // Window to ask for Stage 2: 5 Sep + 10 WD = Fri 19 Sep. Asked Wed 1 Oct: late, still a
    // Stage 2 received in October. Ack due Wed 8, acked Thu 2 (within). Response due
    // 2 Oct + 20 WD = Thu 30 Oct; responded Wed 29: within; 20 WD; partly upheld.
    // Referred to the Ombudsman Fri 31 Oct; determination Thu 20 Nov.
    let e = open(
        "E",
        spec(Web, Some("staff_conduct")),
        "2025-09-01T10:00:00+01:00",
    );
    let e = ack(e, "2025-09-02T10:00:00+01:00");
    let e = respond(e, Upheld, "2025-09-05T10:00:00+01:00");
    let e = escalate(e, "2025-10-01T10:00:00+01:00");
    assert!(e.current_stage().request.as_ref().unwrap().late);
    let e = ack(e, "2025-10-02T10:00:00+01:00");
    let e = respond(e, PartlyUpheld, "2025-10-29T10:00:00Z");
    let e = run(
        e,
        Command::Ombudsman {
            determination: false,
            detail: "Referred by the resident".into(),
        },
        OFFICER,
        "2025-10-31T12:00:00Z",
    );
    let e = run(
        e,
        Command::Ombudsman {
            determination: true,
            detail: "No maladministration".into(),
        },
        OFFICER,
        "2025-11-20T12:00:00Z",
    );
    cases.push(e);

    // G: withdrawn. Received Wed 8 Oct, withdrawn Fri 10 before acknowledgement.
    let g = open(
        "G",
        spec(Letter, Some("neighbourhood")),
        "2025-10-08T14:00:00+01:00",
    );
    let g = run(
        g,
        Command::Withdraw { reason: None },
        OFFICER,
        "2025-10-10T10:00:00+01:00",
    );
    cases.push(g);

    // H: first contact resolution on Thu 9 Oct: received, acknowledged and responded (within
    // both) that day; 0 WD; upheld.
    let h = open(
        "H",
        Spec {
            fcr: Some(Upheld),
            ..spec(Phone, Some("repairs"))
        },
        "2025-10-09T12:00:00+01:00",
    );
    cases.push(h);

    // I: open and overdue. Received Mon 13 Oct, linked to a service request; ack due Mon 20,
    // acked Tue 14. P3 due 13 Oct + 10 WD = Mon 27; never responded.
    let i = open(
        "I",
        Spec {
            service_request: Some("SR-2025-00001"),
            ..spec(Web, Some("damp_and_mould"))
        },
        "2025-10-13T10:00:00+01:00",
    );
    let i = ack(i, "2025-10-14T10:00:00+01:00");
    cases.push(i);

    // J: received in October, responded in November. Received Mon 20 Oct (no category);
    // ack due Mon 27, acked Tue 21. P3 due 20 Oct + 10 WD = Mon 3 Nov; Code due 21 Oct + 10 WD
    // = Tue 4 Nov. Open, not overdue, at the end of October. Responded Mon 3 Nov: within both;
    // 10 WD; upheld.
    let j = open("J", spec(Email, None), "2025-10-20T10:00:00+01:00");
    let j = ack(j, "2025-10-21T10:00:00+01:00");
    let j = respond(j, Upheld, "2025-11-03T10:00:00Z");
    cases.push(j);

    // L: Stage 2 open with its deadline as it stood. Stage 1 in September (received Mon 1 Sep,
    // ack Tue 2, responded Wed 3: 2 WD; not upheld); Stage 2 asked Thu 4 Sep; ack due Thu 11
    // Sep, not acknowledged until Mon 3 Nov (late). At the end of October the response was due
    // 20 WD from the ack due date = Thu 9 Oct: open and overdue. At the end of September: open,
    // not overdue. Once acknowledged, due 3 Nov + 20 WD = Mon 1 Dec: open, not overdue at the
    // end of November.
    let l = open(
        "L",
        spec(Phone, Some("repairs")),
        "2025-09-01T11:00:00+01:00",
    );
    let l = ack(l, "2025-09-02T10:00:00+01:00");
    let l = respond(l, NotUpheld, "2025-09-03T10:00:00+01:00");
    let l = escalate(l, "2025-09-04T10:00:00+01:00");
    let l = ack(l, "2025-11-03T10:00:00Z");
    cases.push(l);

    // M: low-cost home ownership. Received Wed 22 Oct; ack due Wed 29, acked Thu 23.
    // Responded Fri 24: within both; 2 WD; not upheld.
    let m = open(
        "M",
        Spec {
            tenure: Tenure::LowCostHomeOwnership,
            ..spec(Web, Some("repairs"))
        },
        "2025-10-22T10:00:00+01:00",
    );
    let m = ack(m, "2025-10-23T10:00:00+01:00");
    let m = respond(m, NotUpheld, "2025-10-24T10:00:00+01:00");
    cases.push(m);

    // R: refused. Received Thu 16 Oct, refused Fri 17 (legal proceedings).
    let r = open(
        "R",
        spec(Phone, Some("rent_and_charges")),
        "2025-10-16T10:00:00+01:00",
    );
    let r = run(
        r,
        Command::Refuse {
            ground: ExclusionGround::LegalProceedings,
            explanation: "Court proceedings about the arrears have started".into(),
        },
        OFFICER,
        "2025-10-17T10:00:00+01:00",
    );
    cases.push(r);

    // S: a support services complaint received in October: a separate procedure, never counted.
    let s = open(
        "S",
        Spec {
            procedure: SUPPORT_SERVICES,
            ..spec(Web, Some("support_services"))
        },
        "2025-10-15T10:00:00+01:00",
    );
    let s = ack(s, "2025-10-16T10:00:00+01:00");
    cases.push(s);

    let requests = vec![
        // 00:30 BST on Wed 1 Oct: October.
        service_request("SR-2025-00001", "2025-09-30T23:30:00Z"),
        // 23:30 BST on Tue 30 Sep: September.
        service_request("SR-2025-00002", "2025-09-30T22:30:00Z"),
        // 23:30 GMT on Fri 31 Oct: October.
        service_request("SR-2025-00003", "2025-10-31T23:30:00Z"),
    ];
    (cases, requests)
}

fn month(s: &str) -> Month {
    s.parse().unwrap()
}

fn report_for(m: &str, homes: &Homes) -> MonthlyReport {
    let (cases, requests) = fixture();
    report::monthly(&cases, &requests, month(m), &RULES, homes)
}

const NO_HOMES: Homes = Homes {
    low_cost_rental: None,
    low_cost_home_ownership: None,
};

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn october_2025_every_figure_counted_by_hand() {
    let homes = Homes {
        low_cost_rental: Some(2_800),
        low_cost_home_ownership: Some(300),
    };
    let mut got = serde_json::to_value(report_for("2025-10", &homes)).unwrap();
    // The support-services section is checked on its own (below and in its own test).
    let support = got
        .as_object_mut()
        .unwrap()
        .remove("support_services")
        .unwrap();
    let expected = json!({
        "month": "2025-10",
        "stage1": {
            // A (1 Oct, 00:30 BST), B, C, D, G, H, I, J, M, R; not E, L (September), not S.
            "received": 10,
            // A, B, C, D, H (first contact), I, J, M.
            "acknowledged": 8,
            // all but B.
            "acknowledged_within_timescale": 7,
            // A, B, C, D, H, M (J responds in November).
            "responded": 6,
            // A, C (extension), H, M; not B, D.
            "responded_within_p3_standard": 4,
            // A, B, C, H, M; not D.
            "responded_within_code": 5,
            // C's.
            "extensions": 1,
            // Everything is recorded on 15 December: every action dated in October at
            // Stage 1, letters apart: A received, acked, responded; B, C, D ×3 and C's
            // extension; G received, withdrawn; H received, resolved; I, J received, acked;
            // M ×3; R received, refused.
            "recorded_late": 26,
            // I and J (responded 3 Nov); G withdrawn, R refused.
            "open_at_month_end": 2,
            // I (due 27 Oct); J is due 3 Nov.
            "open_overdue": 1,
            // (A 10 + B 12 + C 15 + D 12 + H 0 + M 2) / 6 = 51 / 6 = 8.5.
            "average_working_days_to_respond": 8.5
        },
        "stage2": {
            // E (late), A.
            "received": 2,
            "acknowledged": 2,
            "acknowledged_within_timescale": 2,
            // E.
            "responded": 1,
            "responded_within_p3_standard": 1,
            "responded_within_code": 1,
            "extensions": 0,
            // A asked and acked; E asked, acked, responded and referred to the Ombudsman.
            "recorded_late": 6,
            // A (due 18 Nov) and L (due 9 Oct as it stood: not acknowledged until November).
            "open_at_month_end": 2,
            "open_overdue": 1,
            "average_working_days_to_respond": 20.0
        },
        "first_contact_resolutions": 1,
        // SR-1 (00:30 BST 1 Oct) and SR-3 (23:30 GMT 31 Oct).
        "service_requests_logged": 2,
        // I.
        "service_requests_escalated": 1,
        // E.
        "stage2_requests_late": 1,
        // G.
        "withdrawn": 1,
        // R.
        "refused": { "over_12_months": 0, "legal_proceedings": 1, "already_considered": 0 },
        // A, D, H upheld; B, E (Stage 2) partly; C, M not upheld.
        "outcomes": { "upheld": 3, "partly_upheld": 2, "not_upheld": 2 },
        "by_category": {
            "repairs": 4, // A, C, H, M
            "damp_and_mould": 2, // B, I
            "communication": 1, // D
            "neighbourhood": 1, // G
            "rent_and_charges": 1, // R
            "uncategorised": 1 // J
        },
        "by_channel": {
            "web": 4, // A, D, I, M
            "phone": 3, // B, H, R
            "email": 2, // C, J
            "letter": 1 // G
        },
        // E.
        "ombudsman_referrals": 1,
        "ombudsman_determinations": 0,
        "tsm": {
            // Low-cost rental: 9 Stage 1 (all but M) × 1000 / 2800 = 3.214… → 3.2.
            "ch01_stage1_per_1000_homes": 3.2,
            // 2 Stage 2 (E, A) × 1000 / 2800 = 0.714… → 0.7.
            "ch01_stage2_per_1000_homes": 0.7,
            // Stage 1 responded: A, B, C, D, H; within the Code A, B, C, H: 4 / 5 = 80 %.
            "ch02_stage1_within_code_pct": 80.0,
            // E: 1 / 1.
            "ch02_stage2_within_code_pct": 100.0
        },
        "tsm_low_cost_home_ownership": {
            // M: 1 × 1000 / 300 = 3.333… → 3.3.
            "ch01_stage1_per_1000_homes": 3.3,
            // none received, but homes are configured: a real zero.
            "ch01_stage2_per_1000_homes": 0.0,
            // M within: 1 / 1.
            "ch02_stage1_within_code_pct": 100.0,
            // nothing responded at Stage 2: cannot be computed.
            "ch02_stage2_within_code_pct": null
        }
    });
    assert_eq!(got, expected, "\n got: {got:#}\n");
    // S alone: received and acknowledged at Stage 1 of its own procedure.
    assert_eq!(support["stage1"]["received"], 1, "{support}");
    assert_eq!(support["stage1"]["acknowledged"], 1, "{support}");
    assert_eq!(support["stage2"]["received"], 0, "{support}");
    assert_eq!(support["stage3"]["received"], 0, "{support}");
}

#[test]
fn without_homes_configured_per_1000_figures_and_home_ownership_tsm_are_null() {
    let got = serde_json::to_value(report_for("2025-10", &NO_HOMES)).unwrap();
    assert_eq!(
        got["tsm"],
        json!({
            "ch01_stage1_per_1000_homes": null,
            "ch01_stage2_per_1000_homes": null,
            "ch02_stage1_within_code_pct": 80.0,
            "ch02_stage2_within_code_pct": 100.0
        })
    );
    assert_eq!(got["tsm_low_cost_home_ownership"], Value::Null);
    // Homes configured as zero cannot divide: null too.
    let zero = Homes {
        low_cost_rental: Some(0),
        low_cost_home_ownership: None,
    };
    let got = serde_json::to_value(report_for("2025-10", &zero)).unwrap();
    assert_eq!(got["tsm"]["ch01_stage1_per_1000_homes"], Value::Null);
}

#[test]
fn the_json_has_exactly_the_keys_of_the_contract() {
    let got = serde_json::to_value(report_for("2025-10", &NO_HOMES)).unwrap();
    // The keys of issue 5, plus the two added ones (added, never renamed).
    assert_eq!(
        keys(&got),
        set(&[
            "month",
            "stage1",
            "stage2",
            "first_contact_resolutions",
            "service_requests_logged",
            "service_requests_escalated",
            "withdrawn",
            "refused",
            "outcomes",
            "by_category",
            "by_channel",
            "ombudsman_referrals",
            "tsm",
            "tsm_low_cost_home_ownership",
            // added
            "ombudsman_determinations",
            "stage2_requests_late",
            "support_services",
        ])
    );
    let stage = set(&[
        "received",
        "acknowledged",
        "acknowledged_within_timescale",
        "responded",
        "responded_within_p3_standard",
        "responded_within_code",
        "extensions",
        "recorded_late",
        "open_at_month_end",
        "open_overdue",
        "average_working_days_to_respond",
    ]);
    assert_eq!(keys(&got["stage1"]), stage);
    assert_eq!(keys(&got["stage2"]), stage);
    assert_eq!(
        keys(&got["refused"]),
        set(&["over_12_months", "legal_proceedings", "already_considered"])
    );
    assert_eq!(
        keys(&got["outcomes"]),
        set(&["upheld", "partly_upheld", "not_upheld"])
    );
    let tsm = set(&[
        "ch01_stage1_per_1000_homes",
        "ch01_stage2_per_1000_homes",
        "ch02_stage1_within_code_pct",
        "ch02_stage2_within_code_pct",
    ]);
    assert_eq!(keys(&got["tsm"]), tsm);
    let homes = Homes {
        low_cost_rental: Some(1),
        low_cost_home_ownership: Some(1),
    };
    let with = serde_json::to_value(report_for("2025-10", &homes)).unwrap();
    assert_eq!(keys(&with["tsm_low_cost_home_ownership"]), tsm);
    // The JSON reads back into the same report.
    let back: MonthlyReport = serde_json::from_value(with.clone()).unwrap();
    assert_eq!(serde_json::to_value(back).unwrap(), with);
}

#[test]
fn september_2025_does_not_see_the_complaint_received_at_0030_bst_on_1_october() {
    let mut got = serde_json::to_value(report_for("2025-09", &NO_HOMES)).unwrap();
    // The support-services section is checked on its own (below and in its own test).
    let support = got
        .as_object_mut()
        .unwrap()
        .remove("support_services")
        .unwrap();
    let expected = json!({
        "month": "2025-09",
        "stage1": {
            // E, L (A is 1 October in London though 30 September in UTC).
            "received": 2,
            "acknowledged": 2,
            // ack due 1 Sep + 5 WD = Mon 8 Sep; both acked Tue 2.
            "acknowledged_within_timescale": 2,
            "responded": 2,
            "responded_within_p3_standard": 2,
            "responded_within_code": 2,
            "extensions": 0,
            // E and L received, acked, responded (all recorded on 15 December).
            "recorded_late": 6,
            // A is not yet received at 23:59:59 on 30 September.
            "open_at_month_end": 0,
            "open_overdue": 0,
            // (E 4 + L 2) / 2.
            "average_working_days_to_respond": 3.0
        },
        "stage2": {
            // L (asked 4 Sep).
            "received": 1,
            "acknowledged": 0,
            "acknowledged_within_timescale": 0,
            "responded": 0,
            "responded_within_p3_standard": 0,
            "responded_within_code": 0,
            "extensions": 0,
            // L asked on 4 September.
            "recorded_late": 1,
            // L, due 9 Oct as it stood: not overdue yet.
            "open_at_month_end": 1,
            "open_overdue": 0,
            "average_working_days_to_respond": null
        },
        "first_contact_resolutions": 0,
        // SR-2 (23:30 BST on 30 Sep).
        "service_requests_logged": 1,
        "service_requests_escalated": 0,
        "stage2_requests_late": 0,
        "withdrawn": 0,
        "refused": { "over_12_months": 0, "legal_proceedings": 0, "already_considered": 0 },
        // E upheld, L not upheld.
        "outcomes": { "upheld": 1, "partly_upheld": 0, "not_upheld": 1 },
        "by_category": { "staff_conduct": 1, "repairs": 1 },
        "by_channel": { "web": 1, "phone": 1 },
        "ombudsman_referrals": 0,
        "ombudsman_determinations": 0,
        "tsm": {
            "ch01_stage1_per_1000_homes": null,
            "ch01_stage2_per_1000_homes": null,
            "ch02_stage1_within_code_pct": 100.0,
            // nothing responded at Stage 2.
            "ch02_stage2_within_code_pct": null
        },
        "tsm_low_cost_home_ownership": null
    });
    assert_eq!(got, expected, "\n got: {got:#}\n");
    assert_eq!(support["stage1"]["received"], 0, "{support}");
}

#[test]
fn november_2025_counts_the_october_complaint_responded_in_november() {
    let mut got = serde_json::to_value(report_for("2025-11", &NO_HOMES)).unwrap();
    // The support-services section is checked on its own (below and in its own test).
    let support = got
        .as_object_mut()
        .unwrap()
        .remove("support_services")
        .unwrap();
    let expected = json!({
        "month": "2025-11",
        "stage1": {
            "received": 0,
            "acknowledged": 0,
            "acknowledged_within_timescale": 0,
            // J, Mon 3 Nov: within both (due 3 and 4 Nov); 10 WD.
            "responded": 1,
            "responded_within_p3_standard": 1,
            "responded_within_code": 1,
            "extensions": 0,
            // J's response.
            "recorded_late": 1,
            // I, still unanswered, due 27 Oct.
            "open_at_month_end": 1,
            "open_overdue": 1,
            "average_working_days_to_respond": 10.0
        },
        "stage2": {
            "received": 0,
            // L, Mon 3 Nov, due Thu 11 Sep: late.
            "acknowledged": 1,
            "acknowledged_within_timescale": 0,
            "responded": 0,
            "responded_within_p3_standard": 0,
            "responded_within_code": 0,
            "extensions": 0,
            // L acked; E's Ombudsman determination (at Stage 2).
            "recorded_late": 2,
            // A (due Tue 18 Nov: overdue) and L (due Mon 1 Dec once acknowledged).
            "open_at_month_end": 2,
            "open_overdue": 1,
            "average_working_days_to_respond": null
        },
        "first_contact_resolutions": 0,
        "service_requests_logged": 0,
        "service_requests_escalated": 0,
        "stage2_requests_late": 0,
        "withdrawn": 0,
        "refused": { "over_12_months": 0, "legal_proceedings": 0, "already_considered": 0 },
        // J.
        "outcomes": { "upheld": 1, "partly_upheld": 0, "not_upheld": 0 },
        "by_category": {},
        "by_channel": {},
        "ombudsman_referrals": 0,
        // E, 20 Nov.
        "ombudsman_determinations": 1,
        "tsm": {
            "ch01_stage1_per_1000_homes": null,
            "ch01_stage2_per_1000_homes": null,
            "ch02_stage1_within_code_pct": 100.0,
            "ch02_stage2_within_code_pct": null
        },
        "tsm_low_cost_home_ownership": null
    });
    assert_eq!(got, expected, "\n got: {got:#}\n");
    assert_eq!(support["stage1"]["received"], 0, "{support}");
}

#[test]
fn a_month_with_nothing_in_it_has_zeros_and_nulls() {
    let got = report_for("2025-06", &NO_HOMES).figures;
    assert_eq!(got.stage1.received, 0);
    assert_eq!(got.stage1.open_at_month_end, 0);
    assert_eq!(got.stage1.average_working_days_to_respond, None);
    assert_eq!(got.tsm.ch02_stage1_within_code_pct, None);
}

#[test]
fn financial_year_runs_april_to_march() {
    let months = report::months_of_financial_year(2025);
    assert_eq!(months.len(), 12);
    assert_eq!(months[0].to_string(), "2025-04");
    assert_eq!(months[8].to_string(), "2025-12");
    assert_eq!(months[11].to_string(), "2026-03");
}

#[test]
fn annual_totals_sum_the_months_and_snapshot_open_cases_at_the_end_of_march() {
    let (cases, requests) = fixture();
    let homes = Homes {
        low_cost_rental: Some(2_800),
        low_cost_home_ownership: None,
    };
    let year = report::annual(&cases, &requests, 2025, &RULES, &homes);
    assert_eq!(
        (year.from.as_str(), year.to.as_str()),
        ("2025-04", "2026-03")
    );
    assert_eq!(year.months.len(), 12);
    assert_eq!(year.months[6].month, "2025-10");
    assert_eq!(
        year.months[6],
        report::monthly(&cases, &requests, month("2025-10"), &RULES, &homes)
    );
    let t = &year.totals;
    // Stage 1 received: September 2 + October 10 = 12; responded 2 + 6 + 1 = 9.
    assert_eq!(t.stage1.received, 12);
    assert_eq!(t.stage1.responded, 9);
    // Within the Code: 2 + 5 + 1 = 8.
    assert_eq!(t.stage1.responded_within_code, 8);
    // Working days: September 4 + 2, October 51, November 10 = 67 over 9 → 7.4.
    assert_eq!(t.stage1.average_working_days_to_respond, Some(7.4));
    // Open at 31 March 2026: I at Stage 1; A and L at Stage 2, all overdue by then.
    assert_eq!((t.stage1.open_at_month_end, t.stage1.open_overdue), (1, 1));
    assert_eq!((t.stage2.open_at_month_end, t.stage2.open_overdue), (2, 2));
    // TSM for the year: 11 low-cost rental Stage 1 (all but M) × 1000 / 2800 = 3.93 → 3.9;
    // CH02(1): low-cost rental responded 8 (9 less M), within the Code 7 → 87.5 %.
    assert_eq!(t.tsm.ch01_stage1_per_1000_homes, Some(3.9));
    assert_eq!(t.tsm.ch02_stage1_within_code_pct, Some(87.5));
    assert_eq!(t.service_requests_logged, 3);
    assert_eq!(t.ombudsman_referrals + t.ombudsman_determinations, 2);
}

#[test]
fn a_support_services_case_changes_the_support_figures_and_never_the_housing_ones_or_tsm() {
    let homes = Homes {
        low_cost_rental: Some(2800),
        low_cost_home_ownership: Some(300),
    };
    let (cases, requests) = fixture();
    let with = report::monthly(&cases, &requests, month("2025-10"), &RULES, &homes);
    let housing_only: Vec<_> = cases
        .iter()
        .filter(|c| c.procedure != SUPPORT_SERVICES)
        .cloned()
        .collect();
    assert!(
        housing_only.len() < cases.len(),
        "the fixture has a support case"
    );
    let without = report::monthly(&housing_only, &requests, month("2025-10"), &RULES, &homes);
    assert_eq!(with.figures.support_services.stage1.received, 1);
    assert_eq!(without.figures.support_services.stage1.received, 0);
    assert_eq!(with.figures.tsm, without.figures.tsm);
    assert_eq!(
        with.figures.tsm_low_cost_home_ownership,
        without.figures.tsm_low_cost_home_ownership
    );
    let mut housing = with.figures.clone();
    housing.support_services = Default::default();
    assert_eq!(housing, without.figures);
}
