//! Records the Ombudsman can trust, over real HTTP against a running `p3 serve`: the role a
//! staff action needs is judged on the case as the action changes it (a slow request cannot
//! carry a Stage 1 role into Stage 2), and an action's `at` may go back only so far.

mod support;

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use support::*;

fn complaint() -> Value {
    json!({
        "name": "Ada Resident",
        "email": "ada.resident@example.org",
        "description": "Water has been coming through the kitchen ceiling for three weeks.",
        "desired_outcome": "Fix the leak and repair the ceiling.",
        "category": "repairs"
    })
}

/// A complaint from the public form, acknowledged and answered at Stage 1: its reference and
/// the resident's access code.
async fn answered_at_stage1(s: &Server, t: &Staffs, c: &reqwest::Client) -> (String, String) {
    let (status, created, _) = post_json(c, &s.url("/complaints"), None, &complaint()).await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap().to_string();
    let code = created["access_code"].as_str().unwrap().to_string();
    let url = |p: &str| s.url(&format!("/staff/complaints/{reference}/{p}"));
    let (status, v, _) = post_json(
        c,
        &url("acknowledgement"),
        Some(&t.officer),
        &json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Leak not fixed"]}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let (status, v, _) = post_json(
        c,
        &url("stage1-response"),
        Some(&t.im),
        &json!({"outcome": "not_upheld", "summary": "The leak was fixed on our first visit.",
                "point_decisions": [{"point": "Leak not fixed", "decision": "not_upheld", "reason": "Fixed on our first visit"}]}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    (reference, code)
}

/// The status code and body of a raw HTTP/1.1 answer.
fn status_and_body(raw: &str) -> (u16, Value) {
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_extension_begun_at_stage1_is_refused_when_the_resident_asks_for_stage2_before_its_body_ends(
) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (reference, code) = answered_at_stage1(&s, &t, &c).await;

    // The Investigating Manager starts an extension while the case is at Stage 1: the
    // headers and half the body, then a pause.
    let body =
        json!({"working_days": 10, "reason": "Waiting for the roofer's report."}).to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut slow = TcpStream::connect(&addr).unwrap();
    let head = format!(
        "POST /staff/complaints/{reference}/extension HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        t.im,
        body.len()
    );
    slow.write_all(head.as_bytes()).unwrap();
    slow.write_all(first).unwrap();
    slow.flush().unwrap();
    tokio::time::sleep(StdDuration::from_millis(500)).await;

    // Meanwhile the resident asks for Stage 2, which only a senior manager may extend.
    let (status, view, _) = post_json(
        &c,
        &s.url(&format!("/complaints/{reference}/stage2?code={code}")),
        None,
        &json!({"reason": "The ceiling is still damaged."}),
    )
    .await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["status"], "stage2_requested");

    // The body completes: the extension would now be a Stage 2 one, so it is refused.
    slow.write_all(rest).unwrap();
    let mut answer = String::new();
    slow.read_to_string(&mut answer).unwrap();
    let (status, problem) = status_and_body(&answer);
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("senior_manager")),
        "{problem}"
    );

    // Nothing was extended: Stage 2 has no extension and Stage 1's stands as answered.
    let (status, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(case["status"], "stage2_requested");
    assert!(
        !case["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "extended"),
        "{case}"
    );

    // A senior manager may make that Stage 2 extension.
    let (status, v, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/extension")),
        Some(&t.senior),
        &json!({"working_days": 10, "reason": "Waiting for the roofer's report."}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
}

/// GET with a bearer token: the status and the body as text.
async fn get_text(c: &reqwest::Client, url: &str, token: &str) -> (u16, String) {
    let res = c
        .get(url)
        .bearer_auth(token)
        .header("accept", "text/html")
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn an_action_dated_further_back_than_two_working_days_needs_a_senior_manager_and_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    // Received at noon UTC ten days ago (six or more working days), recorded now: a receipt is
    // not limited.
    let then = (Utc::now() - Duration::days(10))
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let month = then.format("%Y-%m").to_string();
    let mut body = complaint();
    body["channel"] = json!("phone");
    body["received_at"] = json!(then.to_rfc3339());
    let (status, created, _) =
        post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &body).await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap().to_string();
    let ack = s.url(&format!("/staff/complaints/{reference}/acknowledgement"));
    let ack_body = |reason: Option<&str>| {
        let mut b = json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Leak"], "at": then.to_rfc3339()});
        if let Some(r) = reason {
            b["backdate_reason"] = json!(r);
        }
        b
    };

    // An officer, even with a reason, and an Investigating Manager may not go back so far.
    for (token, reason) in [(&t.officer, Some("Forgot")), (&t.im, None)] {
        let (status, problem, headers) = post_json(&c, &ack, Some(token), &ack_body(reason)).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(problem["errors"][0]["field"], "at", "{problem}");
    }
    // A senior manager must say why.
    let (status, problem, _) = post_json(&c, &ack, Some(&t.senior), &ack_body(None)).await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["at", "backdate_reason"], "{problem}");
    let reason = "Acknowledged by letter on the day; the system was down";
    let (status, case, _) = post_json(&c, &ack, Some(&t.senior), &ack_body(Some(reason))).await;
    assert_eq!(status, 200, "{case}");
    let acked = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "acknowledged")
        .expect("acknowledged")
        .clone();
    assert_eq!(acked["recorded_late"], true, "{acked}");
    assert_eq!(acked["backdate_reason"], reason, "{acked}");
    assert_eq!(case["history"][0]["recorded_late"], true, "the receipt too");

    // Within two working days nobody needs a reason, and a same-day action is not late.
    let (status, case, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/needs")),
        Some(&t.officer),
        &json!({"adjustments": "Large print letters", "consent": true, "review_on": (Utc::now() + Duration::days(90)).date_naive(),
                "at": (Utc::now() - Duration::minutes(5)).to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    let needs = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "needs_recorded")
        .expect("needs");
    assert_eq!(needs["recorded_late"], false, "{needs}");
    assert!(needs.get("backdate_reason").is_none(), "{needs}");

    // The staff case page and the evidence pack say so.
    let (status, page) =
        get_text(&c, &s.url(&format!("/staff/cases/{reference}")), &t.auditor).await;
    assert_eq!(status, 200);
    assert!(page.contains("recorded late: recorded on"), "{page}");
    assert!(
        page.contains("reason for the date: Acknowledged by letter"),
        "{page}"
    );
    let (status, pack) = get_text(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/evidence")),
        &t.senior,
    )
    .await;
    assert_eq!(status, 200);
    assert!(pack.contains("recorded late: recorded on"), "{pack}");
    assert!(pack.contains("reason for the date: Acknowledged by letter"));

    // The month's report counts the receipt and the acknowledgement as recorded late at Stage 1.
    let (status, report) = get_json(
        &c,
        &s.url(&format!("/staff/reports/monthly?month={month}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["stage1"]["recorded_late"], 2, "{report}");
    assert_eq!(report["stage2"]["recorded_late"], 0, "{report}");
}
