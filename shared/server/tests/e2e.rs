//! End to end over real HTTP against a running `p3 serve` on a temporary data dir.

mod support;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::*;

fn resident() -> Value {
    json!({
        "name": "Ada Resident",
        "email": "ada.resident@example.org",
        "phone": "07700 900123",
        "postcode": "L33 7WQ",
        "description": "Water has been coming through the kitchen ceiling for three weeks.",
        "desired_outcome": "Fix the leak and repair the ceiling.",
        "category": "repairs"
    })
}

#[tokio::test]
async fn full_lifecycle_through_both_stages_with_every_deadline_kind() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();

    // A resident complains through the public API.
    let (status, created, _) = post_json(&c, &s.url("/complaints"), None, &resident()).await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap().to_string();
    let code = created["access_code"].as_str().unwrap().to_string();
    assert!(reference.starts_with("CMP-"), "{reference}");
    assert_eq!(code.replace('-', "").len(), 16, "80-bit code: {code}");
    assert_eq!(created["status"], "received");

    // Staff see it, with its deadlines, and acknowledge it naming the Investigating Manager.
    let (status, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(case["email"], "ada.resident@example.org");
    assert_eq!(
        deadline(&case, "stage1_acknowledgement")["status"],
        "pending"
    );
    let ack_url = s.url(&format!("/staff/complaints/{reference}/acknowledgement"));
    let (status, case, headers) = post_json(
        &c,
        &ack_url,
        Some(&t.officer),
        &json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Leak not fixed", "No reply to calls"]}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "acknowledged");
    assert_eq!(case["owner"], "ian@p3.example");
    // Version 3: the acknowledgement and the letter it issued.
    assert_eq!(headers["etag"], "\"3\"");
    assert_eq!(deadline(&case, "stage1_acknowledgement")["status"], "met");
    assert!(case["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["kind"] == "stage1_response_code"));

    // Responding twice, or at the wrong stage, is refused; the Stage 1 response is issued.
    let resp1 = json!({
        "outcome": "partly_upheld",
        "summary": "We found the repair was booked late.",
        "remedy": "Apology and £50 compensation.",
        "point_decisions": [{"point": "Leak not fixed", "decision": "upheld", "reason": "The repair was booked late."}, {"point": "No reply to calls", "decision": "not_upheld", "reason": "Our call log shows three calls back."}],
        "actions": [{"description": "Repair ceiling", "due": "2030-01-10"}]
    });
    // A response that leaves a point undecided is refused, naming the point.
    let mut undecided = resp1.clone();
    undecided["point_decisions"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    undecided["outcome"] = json!("not_upheld");
    let (status, problem, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/stage1-response")),
        Some(&t.im),
        &undecided,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["errors"],
        json!([{"field": "point_decisions[0]",
                "message": "Decide point 1, “Leak not fixed”: upheld, partly upheld or not upheld, with the reasons"}])
    );
    let (status, _, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/stage2-response")),
        Some(&t.senior),
        &resp1,
    )
    .await;
    assert_eq!(status, 409);
    let (status, case, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/stage1-response")),
        Some(&t.im),
        &resp1,
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "responded");
    assert_eq!(deadline(&case, "stage1_response")["status"], "met");
    assert_eq!(
        deadline(&case, "stage2_request_window")["status"],
        "pending"
    );
    assert!(case["responses"][0]["housing_ombudsman"]
        .as_str()
        .unwrap()
        .contains("0300 111 3000"));

    // The resident reads their case with the code and asks for Stage 2.
    let (status, view) = get_json(
        &c,
        &s.url(&format!("/complaints/{reference}?code={code}")),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(view["can_request_stage2"], true);
    assert!(
        view.get("email").is_none(),
        "the resident view shows no contact details"
    );
    let (status, view, _) = post_json(
        &c,
        &s.url(&format!("/complaints/{reference}/stage2?code={code}")),
        None,
        &json!({"reason": "The ceiling is still damaged."}),
    )
    .await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["status"], "stage2_requested");

    // The reviewer must differ from the Stage 1 Investigating Manager.
    let (status, problem, _) = post_json(
        &c,
        &ack_url,
        Some(&t.officer),
        &json!({"reviewer": "ian@p3.example"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "reviewer");
    let (status, case, _) = post_json(
        &c,
        &ack_url,
        Some(&t.officer),
        &json!({"reviewer": "hannah@p3.example", "complaint_points": ["The ceiling is still damaged"],
                "responsible_for": "The ceiling under the flat's bathroom"}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "stage2_acknowledged");
    assert_eq!(case["reviewer"], "hannah@p3.example");

    // An investigating manager may not answer Stage 2; the senior manager does.
    let resp2 = json!({"outcome": "upheld", "summary": "On review we uphold the complaint in full.",
        "point_decisions": [{"point": "The ceiling is still damaged", "decision": "upheld", "reason": "The plaster is still wet."}]});
    let (status, _, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/stage2-response")),
        Some(&t.im),
        &resp2,
    )
    .await;
    assert_eq!(status, 403);
    let (status, case, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/stage2-response")),
        Some(&t.senior),
        &resp2,
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "closed");
    assert!(case["housing_ombudsman"]
        .as_str()
        .unwrap()
        .contains("PO Box 152"));
    for kind in [
        "stage1_acknowledgement",
        "stage1_response",
        "stage1_response_code",
        "stage2_request_window",
        "stage2_acknowledgement",
        "stage2_response",
    ] {
        assert_eq!(deadline(&case, kind)["status"], "met", "{kind}");
    }
    let history: Vec<&str> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        [
            "received",
            "acknowledged",
            "letter_issued",
            "responded",
            "letter_issued",
            "escalation_requested",
            "acknowledged",
            "letter_issued",
            "responded",
            "letter_issued"
        ]
    );
    assert!(case["history"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["at"].is_string() && e["recorded_at"].is_string() && e["by"].is_string()));
    assert!(!case.to_string().contains("access_code_hash"));

    // The Ombudsman referral and determination are recorded.
    let om = s.url(&format!("/staff/complaints/{reference}/ombudsman"));
    let (status, _, _) = post_json(
        &c,
        &om,
        Some(&t.senior),
        &json!({"event": "determination", "detail": "x"}),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _, _) = post_json(
        &c,
        &om,
        Some(&t.senior),
        &json!({"event": "referred", "detail": "Resident referred on 1 May"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, case, _) = post_json(
        &c,
        &om,
        Some(&t.senior),
        &json!({"event": "determination", "detail": "Maladministration; £200 ordered"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(case["ombudsman"].as_array().unwrap().len(), 2);

    // Each acknowledgement and response went to the resident as a letter by email, once.
    let letters = |s: &Server| -> Vec<(String, String)> {
        s.outbox()
            .into_iter()
            .filter(|(n, _)| n.starts_with(&format!("{reference}.letter")))
            .collect()
    };
    eventually("four letters emailed", 20, || letters(&s).len() >= 4).await;
    let names: Vec<String> = letters(&s).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        (1..=4)
            .map(|n| format!("{reference}.letter{n}.copy1.eml"))
            .collect::<Vec<_>>()
    );
    for (name, mail) in letters(&s) {
        assert!(
            mail.contains("To: ada.resident@example.org"),
            "{name}: {mail}"
        );
        assert!(mail.contains(&reference), "{name}");
    }

    // Nothing personal in the logs.
    let logs = s.logs();
    for secret in [
        "Ada Resident",
        "ada.resident@example.org",
        "07700 900123",
        "kitchen ceiling",
    ] {
        assert!(!logs.contains(secret), "logs contain {secret}");
    }
    assert!(logs.contains(&reference), "logs name the reference");
}

#[tokio::test]
async fn extension_withdrawal_refusal_and_first_contact_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let mut body = resident();
    body["channel"] = json!("phone");
    let (status, case, _) =
        post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &body).await;
    assert_eq!(status, 201, "{case}");
    let reference = case["reference"].as_str().unwrap().to_string();
    let before = deadline(&case, "stage1_response")["due"]
        .as_str()
        .unwrap()
        .to_string();

    // An officer may not extend; an investigating manager may, within 10 working days in all.
    let ext = s.url(&format!("/staff/complaints/{reference}/extension"));
    let (status, _, _) = post_json(
        &c,
        &ext,
        Some(&t.officer),
        &json!({"working_days": 5, "reason": "Contractor report awaited"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, case, _) = post_json(
        &c,
        &ext,
        Some(&t.im),
        &json!({"working_days": 5, "reason": "Contractor report awaited"}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    let after = deadline(&case, "stage1_response")["due"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(after > before, "{before} -> {after}");
    let (status, problem, _) = post_json(
        &c,
        &ext,
        Some(&t.im),
        &json!({"working_days": 6, "reason": "More time"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "working_days");

    // Withdrawn: kept, reported as withdrawn, no more actions.
    let (status, case, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/withdrawal")),
        Some(&t.officer),
        &json!({"reason": "Resolved privately"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(case["status"], "withdrawn");
    assert_eq!(
        deadline(&case, "stage1_acknowledgement")["status"],
        "cancelled"
    );
    let (status, _, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/acknowledgement")),
        Some(&t.officer),
        &json!({"investigating_manager": "ian@p3.example"}),
    )
    .await;
    assert_eq!(status, 409);

    // Refusal needs a senior manager and a recorded ground.
    let (_, case, _) = post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &body).await;
    let r2 = case["reference"].as_str().unwrap().to_string();
    let refusal = s.url(&format!("/staff/complaints/{r2}/refusal"));
    let (status, _, _) = post_json(
        &c,
        &refusal,
        Some(&t.im),
        &json!({"ground": "legal_proceedings", "explanation": "Court case started"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, problem, _) = post_json(
        &c,
        &refusal,
        Some(&t.senior),
        &json!({"ground": "too_tedious", "explanation": "x"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "ground");
    let (status, case, _) = post_json(
        &c,
        &refusal,
        Some(&t.senior),
        &json!({"ground": "legal_proceedings", "explanation": "Court proceedings began in March."}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(case["status"], "refused");
    assert!(case["refusal"]["housing_ombudsman"].is_string());

    // A first contact resolution: acknowledged and responded on receipt, Stage 2 window open.
    let mut fcr = body.clone();
    fcr["resolved_at_first_contact"] = json!(true);
    let (status, problem, _) =
        post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &fcr).await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "resolution_summary");
    fcr["resolution_summary"] = json!("Repair booked for tomorrow; resident agreed.");
    let (status, case, _) =
        post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &fcr).await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["status"], "responded");
    assert_eq!(case["resolved_at_first_contact"], true);
    assert_eq!(deadline(&case, "stage1_response")["status"], "met");
    assert_eq!(
        deadline(&case, "stage2_request_window")["status"],
        "pending"
    );
}

#[tokio::test]
async fn a_complaint_received_weeks_ago_and_never_acknowledged_sends_one_breach_alert_even_after_restart(
) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let mut body = resident();
    body["channel"] = json!("letter");
    body["received_at"] = json!((Utc::now() - Duration::days(40)).to_rfc3339());
    let (status, case, _) =
        post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &body).await;
    assert_eq!(status, 201, "{case}");
    let reference = case["reference"].as_str().unwrap().to_string();
    assert_eq!(
        deadline(&case, "stage1_acknowledgement")["status"],
        "breached"
    );
    assert_eq!(deadline(&case, "stage1_response")["status"], "breached");

    // One breach alert for each breached deadline, and nothing stale before it.
    eventually("two breach alerts", 20, || s.outbox().len() >= 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mails = s.outbox();
    assert_eq!(
        mails.len(),
        2,
        "{:?}",
        mails.iter().map(|m| &m.0).collect::<Vec<_>>()
    );
    for (name, text) in &mails {
        assert!(name.ends_with("breach.eml"), "{name}");
        assert!(text.contains(&reference), "subject names the reference");
        assert!(text.contains("BREACH"), "{text}");
        assert!(
            text.contains("complaints-team@p3housing.invalid"),
            "unassigned: to the complaints team"
        );
        assert!(
            text.contains("head-of-tenant-services@p3housing.invalid"),
            "escalated to the Head of Tenant Services"
        );
        for secret in ["Ada", "ada.resident@example.org", "07700", "kitchen"] {
            assert!(
                !text.contains(secret),
                "alert carries personal data: {secret}"
            );
        }
    }
    assert!(mails
        .iter()
        .any(|(n, _)| n.contains("stage1_acknowledgement")));
    assert!(mails.iter().any(|(n, _)| n.contains("stage1_response.")));

    // After a restart, nothing is sent again.
    let status = s.stop();
    assert!(status.success(), "clean shutdown on SIGTERM: {status}");
    let s = Server::start(dir.path());
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(s.outbox().len(), 2);
}

#[tokio::test]
async fn kill_9_and_restart_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    let c = client();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let c = c.clone();
        let url = s.url("/staff/complaints");
        let officer = officer.clone();
        tasks.push(tokio::spawn(async move {
            let mut body = resident();
            body["channel"] = json!("email");
            body["description"] = json!(format!("Complaint number {i}"));
            let res = c
                .post(&url)
                .bearer_auth(&officer)
                .header("idempotency-key", format!("k-{i}"))
                .json(&body)
                .send()
                .await
                .ok()?;
            if res.status().as_u16() != 201 {
                return None;
            }
            let v: Value = res.json().await.ok()?;
            Some((i, v["reference"].as_str()?.to_string()))
        }));
    }
    let mut acknowledged = Vec::new();
    for t in tasks {
        if let Ok(Some(x)) = t.await {
            acknowledged.push(x);
        }
    }
    assert_eq!(acknowledged.len(), 40);
    s.kill9();

    let s = Server::start(dir.path());
    let auditor = s.token("Audrey Auditor", "audrey@p3.example", "auditor");
    for (i, reference) in &acknowledged {
        let (status, case) = get_json(
            &c,
            &s.url(&format!("/staff/complaints/{reference}")),
            Some(&auditor),
        )
        .await;
        assert_eq!(status, 200, "{reference} lost");
        assert_eq!(case["description"], format!("Complaint number {i}"));
    }
    // Retrying with the same key answers as the first time: no duplicate.
    let (i, reference) = &acknowledged[0];
    let mut body = resident();
    body["channel"] = json!("email");
    body["description"] = json!(format!("Complaint number {i}"));
    let res = c
        .post(s.url("/staff/complaints"))
        .bearer_auth(&officer)
        .header("idempotency-key", format!("k-{i}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(&v["reference"], reference);
    let (_, list) = get_json(&c, &s.url("/staff/complaints?limit=1000"), Some(&auditor)).await;
    assert_eq!(list["count"], 40);
}

#[tokio::test]
async fn bad_input_gets_a_clear_problem_never_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let url = s.url("/complaints");

    // Malformed JSON: 400; wrong media type: 415; invalid: 422 listing each field.
    let res = c
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"description\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = c
        .post(&url)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    let (status, p, _) = post_json(
        &c,
        &url,
        None,
        &json!({"email": "nope", "phone": "12", "postcode": "XYZ"}),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["description", "email", "phone", "postcode"] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    let (status, p, _) = post_json(
        &c,
        &url,
        None,
        &json!({"description": 42, "email": "a@b.org"}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "description");

    // Too large: 413.
    let big = "x".repeat(70 * 1024);
    let res = c
        .post(&url)
        .header("content-type", "application/json")
        .body(format!("{{\"description\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(
        res.headers()["connection"],
        "close",
        "the unread connection is not reused"
    );

    // Unknown fields are refused on the staff API; `at` in the future is refused.
    let mut body = resident();
    body["channel"] = json!("phone");
    body["colour"] = json!("blue");
    let (status, p, _) = post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &body).await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["field"], "colour");
    body.as_object_mut().unwrap().remove("colour");
    body["received_at"] = json!((Utc::now() + Duration::days(1)).to_rfc3339());
    let (status, p, _) = post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &body).await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["field"], "at");

    // Unknown reference: 404; a wrong code looks exactly like an unknown reference.
    let (status, _) = get_json(
        &c,
        &s.url("/staff/complaints/CMP-2026-99999"),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(status, 404);
    let (_, created, _) = post_json(&c, &url, None, &resident()).await;
    let reference = created["reference"].as_str().unwrap();
    let (s1, b1) = get_json(
        &c,
        &s.url(&format!("/complaints/{reference}?code=0000-0000-0000-0000")),
        None,
    )
    .await;
    let (s2, b2) = get_json(
        &c,
        &s.url("/complaints/CMP-2026-99999?code=0000-0000-0000-0000"),
        None,
    )
    .await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(b1, b2);

    // Stale If-Match: 412.
    let res = c
        .post(s.url(&format!("/staff/complaints/{reference}/acknowledgement")))
        .bearer_auth(&t.officer)
        .header("if-match", "\"7\"")
        .json(&json!({"investigating_manager": "ian@p3.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 412);
}

#[tokio::test]
async fn the_html_form_posts_with_its_csrf_token_and_a_double_click_makes_one_complaint() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let res = c
        .get(s.url("/"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = res.text().await.unwrap();
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).unwrap() + marker.len();
        page[start..start + page[start..].find('"').unwrap()].to_string()
    };
    let form = [
        ("csrf_token", hidden("csrf_token")),
        ("idempotency_key", hidden("idempotency_key")),
        ("name", "Ada <b>Resident</b>".to_string()),
        ("email", "ada@example.org".to_string()),
        (
            "description",
            "<script>alert(1)</script> The lift is broken.".to_string(),
        ),
    ];
    // Without the cookie the post is refused.
    let res = c
        .post(s.url("/complaints"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let first = c
        .post(s.url("/complaints"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status().as_u16(), 303);
    let second = c
        .post(s.url("/complaints"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status().as_u16(), 303);
    let loc1 = first.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        loc1,
        second.headers()["location"].to_str().unwrap(),
        "a double click makes one complaint"
    );
    let page = c
        .get(s.url(&loc1))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("CMP-"),
        "the confirmation shows the reference"
    );

    // A form with errors comes back with the summary and the values kept, escaped.
    let bad = [
        ("csrf_token", hidden("csrf_token")),
        ("name", "<b>Bold</b>".to_string()),
        ("email", "nope".to_string()),
    ];
    let res = c
        .post(s.url("/complaints"))
        .header("cookie", &cookie)
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("There is a problem"));
    assert!(page.contains("href=\"#description\""));
    assert!(page.contains("&lt;b&gt;Bold&lt;/b&gt;"));
    assert!(!page.contains("<b>Bold</b>"));
}

#[tokio::test]
async fn an_alert_links_to_the_case_page_staff_read_not_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let mut body = resident();
    body["channel"] = json!("letter");
    body["received_at"] = json!((Utc::now() - Duration::days(40)).to_rfc3339());
    let (status, case, _) = post_json(
        &client(),
        &s.url("/staff/complaints"),
        Some(&t.officer),
        &body,
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let reference = case["reference"].as_str().unwrap().to_string();

    eventually("a breach alert", 20, || !s.outbox().is_empty()).await;
    let page = s.url(&format!("/staff/cases/{reference}"));
    for (name, text) in s.outbox() {
        assert!(
            text.contains(&format!("Open the case: {page}")),
            "{name}: {text}"
        );
        assert!(!text.contains("/staff/complaints/"), "{name}: {text}");
    }
}

/// An `Idempotency-Key` that is sent empty (or blank, or over 200 characters) is refused
/// naming it, on the public form's JSON post as on the staff routes, and nothing is written:
/// found by the API fuzzer, which had the public route take it as no key at all.
#[tokio::test]
async fn an_empty_idempotency_key_is_refused_naming_it_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let auditor = staffs(&s).auditor;
    let c = client();
    for key in ["", "   ", &"k".repeat(201)] {
        let res = c
            .post(s.url("/complaints"))
            .header("idempotency-key", key)
            .json(&resident())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 422, "key {key:?}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["field"], "Idempotency-Key",
            "{problem}"
        );
    }
    let (_, list) = get_json(&c, &s.url("/staff/complaints"), Some(&auditor)).await;
    assert_eq!(list["count"], 0, "nothing was written: {list}");
    // A key of 1 to 200 characters is taken, as before.
    let res = c
        .post(s.url("/complaints"))
        .header("idempotency-key", "k-1")
        .json(&resident())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
}
