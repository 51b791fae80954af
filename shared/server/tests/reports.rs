//! The monthly and annual reports end to end: a fixture month (October 2025) built through the
//! HTTP API of a running `p3 serve`, its figures counted by hand, and the same report from the
//! API, from `p3 report` and from the schedule's export files.
//!
//! The cases are those of `shared/domain/tests/report.rs` (same instants, same hand-counted
//! figures): no bank holidays fall in September to November 2025; Wednesday 1 October 2025;
//! the clocks went back on Sunday 26 October 2025. "WD" = working days.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use support::*;

const FORMULA: &str = "=HYPERLINK(\"http://x\")";

/// Homes as in the domain's fixture; one formula-like category (used in December only); the
/// landlord's lessons learned with markup in it; staff may date actions back to the fixture's
/// months (`[records]`).
fn write_config(dir: &Path) -> std::path::PathBuf {
    std::fs::write(
        dir.join("lessons.md"),
        "# What we learned\n\nRepairs <b>must</b> be booked at first contact & confirmed.\n",
    )
    .unwrap();
    let categories: Vec<String> = [
        "repairs",
        "damp_and_mould",
        "anti_social_behaviour",
        "staff_conduct",
        "communication",
        "rent_and_charges",
        "neighbourhood",
        "support_services",
        "other",
        FORMULA,
    ]
    .iter()
    .map(|c| format!("{:?}", c))
    .collect();
    let path = dir.join("p3.toml");
    std::fs::write(
        &path,
        format!(
            "categories = [{}]\n\n[homes]\nlow_cost_rental = 2800\nlow_cost_home_ownership = 300\n\n[reports]\nlessons_learned_file = \"lessons.md\"\n\n[records]\nbackdate_working_days = 1000\n",
            categories.join(", ")
        ),
    )
    .unwrap();
    path
}

struct Api<'a> {
    s: &'a Server,
    c: reqwest::Client,
    t: Staffs,
}

impl Api<'_> {
    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let (status, v, _) = post_json(&self.c, &self.s.url(path), Some(token), &body).await;
        assert!(status == 200 || status == 201, "{path}: {status} {v}");
        v
    }

    /// Logs a complaint; the reference.
    async fn open(&self, received_at: &str, extra: Value) -> String {
        let mut body = json!({
            "name": "Ada Resident",
            "email": "ada.resident@example.org",
            "phone": "07700 900123",
            "description": "=HYPERLINK(\"http://evil.example\",\"The boiler has not worked for three weeks\")",
            "channel": "web",
            "received_at": received_at,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let v = self.post(&self.t.officer, "/staff/complaints", body).await;
        v["reference"].as_str().unwrap().to_string()
    }

    async fn ack(&self, r: &str, at: &str) {
        self.post(
            &self.t.officer,
            &format!("/staff/complaints/{r}/acknowledgement"),
            json!({"investigating_manager": "ian@p3.example", "complaint_points": ["The boiler"], "at": at}),
        )
        .await;
    }

    async fn ack2(&self, r: &str, at: &str) {
        self.post(
            &self.t.officer,
            &format!("/staff/complaints/{r}/acknowledgement"),
            json!({"reviewer": "hannah@p3.example", "complaint_points": ["The boiler still fails"], "at": at}),
        )
        .await;
    }

    async fn respond1(&self, r: &str, outcome: &str, at: &str) {
        self.post(
            &self.t.im,
            &format!("/staff/complaints/{r}/stage1-response"),
            json!({"outcome": outcome, "summary": "Our decision and the reasons for it", "at": at,
                   "point_decisions": [{"point": "The boiler", "decision": outcome, "reason": "The reasons"}]}),
        )
        .await;
    }

    async fn respond2(&self, r: &str, outcome: &str, at: &str) {
        self.post(
            &self.t.senior,
            &format!("/staff/complaints/{r}/stage2-response"),
            json!({"outcome": outcome, "summary": "Our review and the reasons for it", "at": at,
                   "point_decisions": [{"point": "The boiler still fails", "decision": outcome, "reason": "The reasons"}]}),
        )
        .await;
    }

    async fn escalate(&self, r: &str, at: &str) -> Value {
        self.post(
            &self.t.officer,
            &format!("/staff/complaints/{r}/stage2"),
            json!({"reason": "Not resolved", "at": at}),
        )
        .await
    }
}

/// C: a response within an agreed extension. Received Mon 6, acked Tue 7, extended by 5 WD
/// on Fri 17 (P3 due Mon 27, Code due Tue 28). An extension counts as made in time only when
/// it is recorded in time, so this is recorded on a server whose clock stands at Fri 17
/// October 2025, stopped before the rest of the fixture is built; the reference.
async fn extended_in_time(data: &Path, config: &Path) -> String {
    const NOW: &str = "2025-10-17T10:30:00+01:00";
    let s = Server::start_args(data, Some(config), &["--port", "0", "--now", NOW]);
    let api = Api {
        s: &s,
        c: client(),
        t: staffs_at(&s, NOW),
    };
    let c = api
        .open(
            "2025-10-06T09:00:00+01:00",
            json!({"category": "repairs", "channel": "email"}),
        )
        .await;
    api.ack(&c, "2025-10-07T10:00:00+01:00").await;
    api.post(
        &api.t.im,
        &format!("/staff/complaints/{c}/extension"),
        json!({"working_days": 5, "reason": "Waiting for the contractor's report", "at": "2025-10-17T10:00:00+01:00"}),
    )
    .await;
    assert!(s.stop().success());
    c
}

/// The fixture month, through the API (see `shared/domain/tests/report.rs` for each case's
/// dates counted out); `c` is the case [`extended_in_time`] began.
async fn build_fixture(api: &Api<'_>, c: &str) {
    // Service requests: 00:30 BST on Wed 1 Oct (October), 23:30 BST on Tue 30 Sep
    // (September), 23:30 GMT on Fri 31 Oct (October).
    let mut requests = Vec::new();
    for at in [
        "2025-09-30T23:30:00Z",
        "2025-09-30T22:30:00Z",
        "2025-10-31T23:30:00Z",
    ] {
        let v = api
            .post(
                &api.t.officer,
                "/staff/service-requests",
                json!({"description": "Fix the boiler", "category": "repairs", "name": "Ada Resident", "email": "ada.resident@example.org", "at": at}),
            )
            .await;
        requests.push(v["id"].as_str().unwrap().to_string());
    }

    // A: received at 00:30 BST on Wed 1 Oct (23:30 UTC on 30 Sep): an October complaint.
    // Acked Fri 3 (within), responded Wed 15 (within both; 10 WD; upheld). Stage 2 asked
    // Mon 20 (in time), acked Tue 21 (within): open, not overdue at the end of October.
    let a = api
        .open("2025-09-30T23:30:00Z", json!({"category": "repairs"}))
        .await;
    api.ack(&a, "2025-10-03T10:00:00+01:00").await;
    api.respond1(&a, "upheld", "2025-10-15T16:00:00+01:00")
        .await;
    api.escalate(&a, "2025-10-20T10:00:00+01:00").await;
    api.ack2(&a, "2025-10-21T10:00:00+01:00").await;

    // B: late acknowledgement (due Thu 9, acked Mon 13). Responded Mon 20: outside P3's
    // standard (due Thu 16), within the Code (due Mon 27); 12 WD; partly upheld.
    let b = api
        .open(
            "2025-10-02T10:00:00+01:00",
            json!({"category": "damp_and_mould", "channel": "phone"}),
        )
        .await;
    api.ack(&b, "2025-10-13T10:00:00+01:00").await;
    api.respond1(&b, "partly_upheld", "2025-10-20T15:00:00+01:00")
        .await;

    // C (opened, acknowledged and extended by `extended_in_time`) responded 23:30 GMT Mon 27:
    // within both; 15 WD; not upheld.
    api.respond1(c, "not_upheld", "2025-10-27T23:30:00Z").await;

    // D: a response after the Code's limit. Received Tue 7, acked Wed 8; P3 due Tue 21, Code
    // due Wed 22; responded Thu 23: outside both; 12 WD; upheld.
    let d = api
        .open(
            "2025-10-07T11:00:00+01:00",
            json!({"category": "communication"}),
        )
        .await;
    api.ack(&d, "2025-10-08T10:00:00+01:00").await;
    api.respond1(&d, "upheld", "2025-10-23T10:00:00+01:00")
        .await;

    // E: Stage 1 in September (responded Fri 5 Sep; window to Fri 19 Sep). A Stage 2 request
    // after the window on Wed 1 Oct (late, still received in October); acked Thu 2;
    // responded Wed 29 (within; 20 WD; partly upheld). Referred to the Ombudsman Fri 31 Oct;
    // determination Thu 20 Nov.
    let e = api
        .open(
            "2025-09-01T10:00:00+01:00",
            json!({"category": "staff_conduct"}),
        )
        .await;
    api.ack(&e, "2025-09-02T10:00:00+01:00").await;
    api.respond1(&e, "upheld", "2025-09-05T10:00:00+01:00")
        .await;
    let late = api.escalate(&e, "2025-10-01T10:00:00+01:00").await;
    assert_eq!(
        deadline(&late, "stage2_request_window")["status"],
        "met_late",
        "{late}"
    );
    api.ack2(&e, "2025-10-02T10:00:00+01:00").await;
    api.respond2(&e, "partly_upheld", "2025-10-29T10:00:00Z")
        .await;
    for (event, at) in [
        ("referred", "2025-10-31T12:00:00Z"),
        ("determination", "2025-11-20T12:00:00Z"),
    ] {
        api.post(
            &api.t.senior,
            &format!("/staff/complaints/{e}/ombudsman"),
            json!({"event": event, "detail": "Housing Ombudsman", "at": at}),
        )
        .await;
    }

    // G: a withdrawal. Received Wed 8, withdrawn Fri 10 before acknowledgement.
    let g = api
        .open(
            "2025-10-08T14:00:00+01:00",
            json!({"category": "neighbourhood", "channel": "letter"}),
        )
        .await;
    api.post(
        &api.t.officer,
        &format!("/staff/complaints/{g}/withdrawal"),
        json!({"at": "2025-10-10T10:00:00+01:00"}),
    )
    .await;

    // H: a first contact resolution on Thu 9: received, acknowledged and responded within
    // both that day; 0 WD; upheld.
    api.open(
        "2025-10-09T12:00:00+01:00",
        json!({"category": "repairs", "channel": "phone", "resolved_at_first_contact": true,
               "resolution_summary": "Repair booked with the resident's agreement", "outcome": "upheld"}),
    )
    .await;

    // I: open and overdue. Received Mon 13, linked to the first service request; acked
    // Tue 14; P3 due Mon 27; never responded.
    let i = api
        .open(
            "2025-10-13T10:00:00+01:00",
            json!({"category": "damp_and_mould", "service_request": requests[0]}),
        )
        .await;
    api.ack(&i, "2025-10-14T10:00:00+01:00").await;

    // J: received Mon 20 (no category), acked Tue 21, responded Mon 3 Nov: open, not
    // overdue (due 3 Nov) at the end of October.
    let j = api
        .open("2025-10-20T10:00:00+01:00", json!({"channel": "email"}))
        .await;
    api.ack(&j, "2025-10-21T10:00:00+01:00").await;
    api.respond1(&j, "upheld", "2025-11-03T10:00:00Z").await;

    // L: Stage 1 in September (responded Wed 3 Sep); Stage 2 asked Thu 4 Sep, not acknowledged
    // until Mon 3 Nov: at the end of October its response was due 20 WD from the
    // acknowledgement's due date (Thu 11 Sep) = Thu 9 Oct: open and overdue.
    let l = api
        .open(
            "2025-09-01T11:00:00+01:00",
            json!({"category": "repairs", "channel": "phone"}),
        )
        .await;
    api.ack(&l, "2025-09-02T10:00:00+01:00").await;
    api.respond1(&l, "not_upheld", "2025-09-03T10:00:00+01:00")
        .await;
    api.escalate(&l, "2025-09-04T10:00:00+01:00").await;
    api.ack2(&l, "2025-11-03T10:00:00Z").await;

    // M: low-cost home ownership. Received Wed 22, acked Thu 23, responded Fri 24: within
    // both; 2 WD; not upheld.
    let m = api
        .open(
            "2025-10-22T10:00:00+01:00",
            json!({"category": "repairs", "tenure": "low_cost_home_ownership"}),
        )
        .await;
    api.ack(&m, "2025-10-23T10:00:00+01:00").await;
    api.respond1(&m, "not_upheld", "2025-10-24T10:00:00+01:00")
        .await;

    // R: refused. Received Thu 16, refused Fri 17 (legal proceedings).
    let r = api
        .open(
            "2025-10-16T10:00:00+01:00",
            json!({"category": "rent_and_charges", "channel": "phone"}),
        )
        .await;
    api.post(
        &api.t.senior,
        &format!("/staff/complaints/{r}/refusal"),
        json!({"ground": "legal_proceedings", "explanation": "Court proceedings about the arrears have started", "at": "2025-10-17T10:00:00+01:00"}),
    )
    .await;

    // S: a support services complaint: a separate procedure, never counted.
    let s = api
        .open(
            "2025-10-15T10:00:00+01:00",
            json!({"category": "support_services", "procedure": "support_services"}),
        )
        .await;
    api.ack(&s, "2025-10-16T10:00:00+01:00").await;

    // X: December, with a formula-like category: for the exports' escaping.
    api.open("2025-12-02T10:00:00Z", json!({"category": FORMULA}))
        .await;
}

/// October 2025, counted by hand (as in `shared/domain/tests/report.rs`).
fn expected_october() -> Value {
    json!({
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
            // Every action dated in October and recorded since, but C's extension (recorded
            // on the day): A received, acked, responded; B ×3; C received, acked (both
            // recorded on 17 Oct), responded; D ×3; G received, withdrawn; H received and
            // resolved; I received, acked; J received, acked; M ×3; R received, refused.
            "recorded_late": 25,
            // I and J; G withdrawn, R refused.
            "open_at_month_end": 2,
            // I (due 27 Oct); J is due 3 Nov.
            "open_overdue": 1,
            // (10 + 12 + 15 + 12 + 0 + 2) / 6 = 8.5.
            "average_working_days_to_respond": 8.5
        },
        "stage2": {
            "received": 2,
            "acknowledged": 2,
            "acknowledged_within_timescale": 2,
            "responded": 1,
            "responded_within_p3_standard": 1,
            "responded_within_code": 1,
            "extensions": 0,
            // A asked and acked; E asked, acked, responded and referred to the Ombudsman.
            "recorded_late": 6,
            // A (due 18 Nov) and L (due 9 Oct as it stood).
            "open_at_month_end": 2,
            "open_overdue": 1,
            "average_working_days_to_respond": 20.0
        },
        "first_contact_resolutions": 1,
        "service_requests_logged": 2,
        "service_requests_escalated": 1,
        "stage2_requests_late": 1,
        "withdrawn": 1,
        "refused": { "over_12_months": 0, "legal_proceedings": 1, "already_considered": 0 },
        "outcomes": { "upheld": 3, "partly_upheld": 2, "not_upheld": 2 },
        "by_category": {
            "repairs": 4, "damp_and_mould": 2, "communication": 1, "neighbourhood": 1,
            "rent_and_charges": 1, "uncategorised": 1
        },
        "by_channel": { "web": 4, "phone": 3, "email": 2, "letter": 1 },
        "ombudsman_referrals": 1,
        "ombudsman_determinations": 0,
        // S alone, in its own procedure's section: received 15 Oct, acknowledged 16 Oct (both
        // recorded since, so late), open and past its 10-working-day response at month end.
        "support_services": {
            "stage1": {"received": 1, "acknowledged": 1, "acknowledged_within_timescale": 1, "responded": 0, "responded_within_p3_standard": 0, "responded_within_code": 0, "extensions": 0, "recorded_late": 2, "open_at_month_end": 1, "open_overdue": 1, "average_working_days_to_respond": null},
            "stage2": {"received": 0, "acknowledged": 0, "acknowledged_within_timescale": 0, "responded": 0, "responded_within_p3_standard": 0, "responded_within_code": 0, "extensions": 0, "recorded_late": 0, "open_at_month_end": 0, "open_overdue": 0, "average_working_days_to_respond": null},
            "stage3": {"received": 0, "acknowledged": 0, "acknowledged_within_timescale": 0, "responded": 0, "responded_within_p3_standard": 0, "responded_within_code": 0, "extensions": 0, "recorded_late": 0, "open_at_month_end": 0, "open_overdue": 0, "average_working_days_to_respond": null},
            "escalations": 0,
            "escalations_late": 0,
            "withdrawn": 0,
            "refused": 0,
            "outcomes": { "upheld": 0, "partly_upheld": 0, "not_upheld": 0 }
        },
        "tsm": {
            // 9 × 1000 / 2800 = 3.2; 2 × 1000 / 2800 = 0.7; 4 / 5 = 80 %; 1 / 1.
            "ch01_stage1_per_1000_homes": 3.2,
            "ch01_stage2_per_1000_homes": 0.7,
            "ch02_stage1_within_code_pct": 80.0,
            "ch02_stage2_within_code_pct": 100.0
        },
        "tsm_low_cost_home_ownership": {
            // M: 1 × 1000 / 300 = 3.3.
            "ch01_stage1_per_1000_homes": 3.3,
            "ch01_stage2_per_1000_homes": 0.0,
            "ch02_stage1_within_code_pct": 100.0,
            "ch02_stage2_within_code_pct": null
        }
    })
}

async fn get_raw(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut r = c.get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let res = r.send().await.expect("request sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn cli_report(data_dir: &Path, config: &Path, args: &[&str]) -> (Vec<u8>, String) {
    let out = Command::new(bin())
        .arg("report")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--config")
        .arg(config)
        .output()
        .expect("p3 report runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "p3 report {args:?}: {stderr}");
    (out.stdout, stderr)
}

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a valid zip");
    let mut out = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut s = String::new();
        if f.read_to_string(&mut s).is_ok() {
            out.insert(f.name().to_string(), s);
        }
    }
    out
}

#[tokio::test]
async fn the_fixture_month_is_the_same_report_from_the_api_the_cli_and_the_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = write_config(dir.path());
    let c_ref = extended_in_time(&data, &config).await;
    let s = Server::start_with(&data, Some(&config));
    let api = Api {
        s: &s,
        c: client(),
        t: staffs(&s),
    };
    build_fixture(&api, &c_ref).await;
    let c = &api.c;
    let auditor = api.t.auditor.clone();
    let monthly = |q: &str| s.url(&format!("/staff/reports/monthly?{q}"));

    // The figures, for an auditor (any role may read reports).
    let (status, h, api_json) = get_raw(c, &monthly("month=2025-10"), Some(&auditor)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&api_json));
    assert_eq!(header(&h, "content-type"), "application/json");
    let got: Value = serde_json::from_slice(&api_json).unwrap();
    assert_eq!(got, expected_october(), "\n got: {got:#}\n");

    // The other formats, with their media types and file names.
    let mut api_files = vec![("complaints-2025-10.json".to_string(), api_json.clone())];
    for (format, ctype, disposition) in [
        (
            "csv",
            "text/csv; charset=utf-8",
            "attachment; filename=\"complaints-2025-10.csv\"",
        ),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "attachment; filename=\"complaints-2025-10.xlsx\"",
        ),
        (
            "html",
            "text/html; charset=utf-8",
            "inline; filename=\"complaints-2025-10.html\"",
        ),
    ] {
        let (status, h, body) = get_raw(
            c,
            &monthly(&format!("month=2025-10&format={format}")),
            Some(&api.t.officer),
        )
        .await;
        assert_eq!(status, 200, "{format}");
        assert_eq!(header(&h, "content-type"), ctype);
        assert_eq!(header(&h, "content-disposition"), disposition);
        api_files.push((format!("complaints-2025-10.{format}"), body));
    }
    let csv = String::from_utf8(api_files[1].1.clone()).unwrap();
    // One row per October case (A, B, C, D, E, G, H, I, J, L, M, R, S), no contact details.
    assert_eq!(csv.lines().count(), 1 + 13, "{csv}");
    assert!(!csv.contains("Ada") && !csv.contains("07700") && !csv.contains("evil.example"));
    assert!(api_files[2].1.starts_with(b"PK"), "xlsx is a zip");
    let html = String::from_utf8(api_files[3].1.clone()).unwrap();
    assert!(html.contains("Complaints performance: October 2025"));
    assert_eq!(html.matches("<svg").count(), 3);
    // What was recorded late, in every format: C (recorded first, as CMP-2025-00001) has its
    // receipt, acknowledgement and response recorded late at Stage 1, not its extension.
    let head = csv.lines().next().unwrap();
    assert!(
        head.ends_with(",stage1_recorded_late,stage2_recorded_late"),
        "{head}"
    );
    let c_row = csv
        .lines()
        .find(|l| l.starts_with(&c_ref))
        .expect("C's row");
    assert!(c_row.ends_with(",3,0"), "{c_row}");
    assert!(html.contains("Recorded more than one working day late"));
    let workbook = unzip(&api_files[2].1);
    assert!(
        workbook
            .values()
            .any(|x| x.contains("Recorded more than one working day late")),
        "the workbook's summary has the row"
    );

    // The CLI on the same store gives the same bytes (after the server has stopped).
    s.stop();
    let (cli_json, stats) = cli_report(&data, &config, &["--month", "2025-10", "--stats"]);
    assert_eq!(cli_json, api_json, "CLI JSON = API JSON");
    assert!(stats.contains("rows read"), "{stats}");
    for (i, format) in ["csv", "xlsx", "html"].iter().enumerate() {
        let out = dir.path().join(format!("cli.{format}"));
        cli_report(
            &data,
            &config,
            &[
                "--month",
                "2025-10",
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(
            std::fs::read(&out).unwrap(),
            api_files[i + 1].1,
            "CLI {format} = API {format}"
        );
    }

    // The schedule: started as if at 06:00:05 London on Sat 1 Nov 2025 (GMT), it writes
    // October's export, the same files.
    let exports = data.join("exports");
    let _ = std::fs::remove_dir_all(&exports);
    let s = {
        let log = std::fs::File::create(dir.path().join("serve2.log")).unwrap();
        let mut child = Command::new(bin())
            .args([
                "serve",
                "--port",
                "0",
                "--exports-now",
                "2025-11-01T06:00:05Z",
                "--data-dir",
            ])
            .arg(&data)
            .arg("--config")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let folder = exports.join("2025-10");
        eventually("the October export", 60, || folder.exists()).await;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let _ = child.wait();
        folder
    };
    let mut names: Vec<String> = std::fs::read_dir(&s)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let mut expected_names: Vec<String> = api_files.iter().map(|(n, _)| n.clone()).collect();
    expected_names.sort();
    assert_eq!(names, expected_names);
    for (name, bytes) in &api_files {
        assert_eq!(
            &std::fs::read(s.join(name)).unwrap(),
            bytes,
            "export {name} = API"
        );
    }
    // Only the month due then was written.
    let folders: Vec<String> = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(folders, ["2025-10"]);
}

#[tokio::test]
async fn the_annual_report_bad_parameters_and_formula_injection() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = write_config(dir.path());
    let c = extended_in_time(&data, &config).await;
    let s = Server::start_with(&data, Some(&config));
    let api = Api {
        s: &s,
        c: client(),
        t: staffs(&s),
    };
    build_fixture(&api, &c).await;
    let c = &api.c.clone();
    let t = &api.t.auditor.clone();

    // No token: 401; bad parameters: 422 naming the field.
    let (status, _, _) = get_raw(c, &s.url("/staff/reports/monthly?month=2025-10"), None).await;
    assert_eq!(status, 401);
    for (q, field) in [
        ("monthly?month=2025-13", "month"),
        ("monthly?month=October", "month"),
        ("monthly", "month"),
        ("monthly?month=2025-10&format=pdf", "format"),
        ("annual?year=twenty", "year"),
        ("annual", "year"),
        ("annual?year=2025&format=csv", "format"),
    ] {
        let (status, h, body) = get_raw(c, &s.url(&format!("/staff/reports/{q}")), Some(t)).await;
        assert_eq!(status, 422, "{q}");
        assert_eq!(header(&h, "content-type"), "application/problem+json");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["errors"][0]["field"], field, "{q}: {v}");
    }

    // The financial year April 2025 to March 2026: October's figures as the month's report.
    let (status, _, body) = get_raw(c, &s.url("/staff/reports/annual?year=2025"), Some(t)).await;
    assert_eq!(status, 200);
    let annual: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(annual["from"], "2025-04");
    assert_eq!(annual["to"], "2026-03");
    assert_eq!(annual["months"][6], expected_october());
    // Received in the year: Stage 1 = E, L (Sept) + October's 10 + X (Dec) = 13; Stage 2 = L
    // (Sept) + A, E (Oct) = 3.
    assert_eq!(annual["totals"]["stage1"]["received"], 13);
    assert_eq!(annual["totals"]["stage2"]["received"], 3);
    s.stop();
    let (cli, _) = cli_report(&data, &config, &["--year", "2025"]);
    assert_eq!(cli, body, "CLI annual JSON = API annual JSON");
    let s = Server::start_with(&data, Some(&config));
    let (status, h, html) = get_raw(
        c,
        &s.url("/staff/reports/annual?year=2025&format=html"),
        Some(t),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8");
    let csp = header(&h, "content-security-policy");
    assert!(
        csp.contains("style-src 'unsafe-inline'"),
        "the report's own styles may apply: {csp}"
    );
    assert!(!csp.contains("script-src"), "and still no script: {csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("Annual Complaints Performance and Service Improvement Report 2025/26"));
    assert!(
        html.contains(
            "Repairs &lt;b&gt;must&lt;/b&gt; be booked at first contact &amp; confirmed."
        ),
        "the lessons learned, escaped"
    );

    // December: the formula-like category is made inert in the CSV and the workbook.
    let (status, _, csv) = get_raw(
        c,
        &s.url("/staff/reports/monthly?month=2025-12&format=csv"),
        Some(t),
    )
    .await;
    assert_eq!(status, 200);
    let mut r = csv::Reader::from_reader(csv.as_slice());
    let headers = r.headers().unwrap().clone();
    let col = headers.iter().position(|h| h == "category").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    let cell = rows
        .iter()
        .map(|row| row[col].to_string())
        .find(|c| c.contains("HYPERLINK"))
        .expect("December's case");
    assert_eq!(cell, format!("'{FORMULA}"));
    let (_, _, xlsx) = get_raw(
        c,
        &s.url("/staff/reports/monthly?month=2025-12&format=xlsx"),
        Some(t),
    )
    .await;
    let files = unzip(&xlsx);
    assert!(files.contains_key("xl/worksheets/sheet1.xml"));
    assert!(files.contains_key("xl/worksheets/sheet2.xml"));
    let strings = &files["xl/sharedStrings.xml"];
    assert!(
        strings.contains("<t>'=HYPERLINK(\"http://x\")</t>"),
        "{strings}"
    );
    assert!(!strings.contains("<t>=HYPERLINK"));
}

/// `p3 report` keeps the reports' one rule for periods (`p3_domain::report_period`): the last
/// reportable month is written in every format, the month after it and the financial years
/// past either end are refused with a message naming the option, and nothing is written.
#[tokio::test]
async fn the_cli_accepts_the_same_months_and_years_as_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = write_config(dir.path());
    // A store with one complaint in it, made by the service itself.
    let s = Server::start_with(&data, Some(&config));
    let (status, _, _) = post_json(
        &client(),
        &s.url("/complaints"),
        None,
        &json!({"name": "Ada Resident", "email": "ada@example.org", "description": "The boiler has failed."}),
    )
    .await;
    assert_eq!(status, 201);
    s.stop();
    for format in ["json", "csv", "xlsx", "html"] {
        let (bytes, _) = cli_report(&data, &config, &["--month", "9998-12", "--format", format]);
        assert!(!bytes.is_empty(), "{format}");
    }
    let out = dir.path().join("refused.xlsx");
    for (args, option) in [
        (vec!["--month", "9999-12", "--format", "xlsx"], "--month"),
        (vec!["--month", "1899-12"], "--month"),
        (vec!["--year", "9998"], "--year"),
        (vec!["--year", "1899", "--format", "html"], "--year"),
    ] {
        let res = Command::new(bin())
            .arg("report")
            .args(&args)
            .arg("--out")
            .arg(&out)
            .arg("--data-dir")
            .arg(&data)
            .arg("--config")
            .arg(&config)
            .output()
            .expect("p3 report runs");
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert!(!res.status.success(), "{args:?} was accepted");
        assert!(
            stderr.contains(option) && stderr.contains("outside"),
            "{args:?}: {stderr}"
        );
        assert!(!out.exists(), "{args:?} wrote a file");
    }
}
