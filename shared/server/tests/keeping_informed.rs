//! Keeping the resident informed, adjustments and restrictions over real HTTP against a
//! running `p3 serve`: the update interval (its reminder alert reaches the handler's inbox
//! through the timer loop; an update letter restarts it), a promised action moved and
//! completed (each an update letter), a restriction recorded and reviewed (senior managers
//! only; a letter each time; it never stops a complaint being logged), every bad field a 422
//! naming it, and the case page's forms working without script.

mod support;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::files::fields_at_fault;
use support::pages::csrf;
use support::*;

fn resident() -> Value {
    json!({
        "name": "Ada Resident",
        "email": "ada.resident@example.org",
        "description": "Water has been coming through the kitchen ceiling for three weeks.",
        "category": "repairs"
    })
}

/// A complaint logged by staff as received `days_ago`, acknowledged then with Ian as its
/// Investigating Manager: its reference.
async fn acknowledged(s: &Server, c: &reqwest::Client, t: &Staffs, days_ago: i64) -> String {
    let mut body = resident();
    body["channel"] = json!("phone");
    let at = Utc::now() - Duration::days(days_ago) - Duration::hours(2);
    body["received_at"] = json!(at.to_rfc3339());
    let (status, case, _) =
        post_json(c, &s.url("/staff/complaints"), Some(&t.officer), &body).await;
    assert_eq!(status, 201, "{case}");
    let r = case["reference"].as_str().unwrap().to_string();
    let (status, case, _) = post_json(
        c,
        &s.url(&format!("/staff/complaints/{r}/acknowledgement")),
        Some(&t.officer),
        &json!({"investigating_manager": "ian@p3.example", "complaint_points": ["The leak"],
                "at": (at + Duration::hours(1)).to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    r
}

#[tokio::test]
async fn an_agreed_interval_reminds_the_handler_and_an_update_letter_restarts_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = backdating_config(dir.path(), 40);
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    let t = staffs(&s);
    let c = client();
    let r = acknowledged(&s, &c, &t, 14).await;
    let url = |p: &str| s.url(&format!("/staff/complaints/{r}/{p}"));

    // No interval yet: the case reads as it always has.
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert!(case.get("next_update_due").is_none(), "{case}");
    assert!(case.get("update_interval_working_days").is_none());

    for (body, field) in [
        (json!({"working_days": 0}), "working_days"),
        (json!({"working_days": 61}), "working_days"),
        (json!({"working_days": "ten"}), "working_days"),
    ] {
        let (status, problem, _) =
            post_json(&c, &url("update-interval"), Some(&t.officer), &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(fields_at_fault(&problem), [field], "{problem}");
    }
    let (status, _, _) = post_json(
        &c,
        &url("update-interval"),
        Some(&t.auditor),
        &json!({"working_days": 2}),
    )
    .await;
    assert_eq!(status, 403);

    // Two working days after an acknowledgement a fortnight ago: overdue, so the reminder goes
    // at once, to the Investigating Manager, with no personal data.
    let (status, case, _) = post_json(
        &c,
        &url("update-interval"),
        Some(&t.officer),
        &json!({"working_days": 2}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["update_interval_working_days"], 2);
    let due = case["next_update_due"].as_str().unwrap().to_string();
    assert!(due < Utc::now().date_naive().to_string(), "{due}");
    eventually("the update reminder", 20, || {
        s.outbox()
            .iter()
            .any(|(name, _)| name.contains(".stage1_update."))
    })
    .await;
    let (_, mail) = s
        .outbox()
        .into_iter()
        .find(|(name, _)| name.contains(".stage1_update."))
        .unwrap();
    assert!(mail.contains("ian@p3.example"), "{mail}");
    assert!(mail.contains("Update to the resident"), "{mail}");
    assert!(!mail.contains("Ada") && !mail.contains("kitchen"), "{mail}");

    // The update: a letter of kind `update`, emailed to the resident; the next one is due later.
    let (status, problem, _) = post_json(
        &c,
        &url("updates"),
        Some(&t.officer),
        &json!({"message": " "}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields_at_fault(&problem), ["message"]);
    let (status, case, _) = post_json(
        &c,
        &url("updates"),
        Some(&t.officer),
        &json!({"message": "The roofer comes on Thursday."}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    let letter = case["letters"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(letter["kind"], "update", "{letter}");
    assert!(case["next_update_due"].as_str().unwrap() > due.as_str());
    assert!(case["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "update_given"));
    eventually("the update letter's email", 20, || {
        s.outbox()
            .iter()
            .any(|(_, text)| text.contains("The roofer comes on Thursday."))
    })
    .await;
}

#[tokio::test]
async fn a_promised_action_moved_or_done_is_an_update_letter() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = acknowledged(&s, &c, &t, 0).await;
    let url = |p: &str| s.url(&format!("/staff/complaints/{r}/{p}"));
    let due = (Utc::now() + Duration::days(20)).date_naive();
    let (status, case, _) = post_json(
        &c,
        &url("stage1-response"),
        Some(&t.im),
        &json!({"outcome": "upheld", "summary": "We were too slow.",
                "point_decisions": [{"point": "The leak", "decision": "upheld", "reason": "Three weeks"}],
                "actions": [{"description": "Repair the roof", "due": due}]}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    let letters = case["letters"].as_array().unwrap().len();

    let later = due + Duration::days(7);
    for (body, field) in [
        (json!({"due": "not a date", "reason": "Parts"}), "due"),
        (json!({"due": "2001-01-01", "reason": "Parts"}), "due"),
        (json!({"due": later, "reason": ""}), "reason"),
    ] {
        let (status, problem, _) = post_json(&c, &url("actions/1/due"), Some(&t.im), &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(fields_at_fault(&problem), [field], "{problem}");
    }
    let (status, _, _) = post_json(
        &c,
        &url("actions/1/due"),
        Some(&t.officer),
        &json!({"due": later, "reason": "Parts"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, case, _) = post_json(
        &c,
        &url("actions/1/due"),
        Some(&t.im),
        &json!({"due": later, "reason": "The roofer is ill."}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["actions"][0]["due"], later.to_string());
    assert_eq!(case["letters"].as_array().unwrap().len(), letters + 1);
    assert_eq!(case["letters"][letters]["kind"], "update");

    let (status, case, _) = post_json(
        &c,
        &url("actions/1/completion"),
        Some(&t.im),
        &json!({"note": "Roof repaired and checked."}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["letters"].as_array().unwrap().len(), letters + 2);
    assert_eq!(case["letters"][letters + 1]["kind"], "update");
    eventually("both update letters emailed", 20, || {
        let mails = s.outbox();
        mails.iter().any(|(_, m)| m.contains("The roofer is ill."))
            && mails
                .iter()
                .any(|(_, m)| m.contains("Roof repaired and checked."))
    })
    .await;
}

#[tokio::test]
async fn a_restriction_is_for_senior_managers_told_to_the_resident_and_never_stops_a_complaint() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = acknowledged(&s, &c, &t, 0).await;
    let url = |p: &str| s.url(&format!("/staff/complaints/{r}/{p}"));
    let review_on = (Utc::now() + Duration::days(60)).date_naive();
    let body = json!({"reason": "Abusive calls to the repairs team",
                      "restricted": "Contact by email only",
                      "review_on": review_on});
    for who in [&t.officer, &t.im] {
        let (status, _, _) = post_json(&c, &url("restriction"), Some(who), &body).await;
        assert_eq!(status, 403);
    }
    for (bad, field) in [
        (
            json!({"reason": "x", "restricted": "y", "review_on": "soon"}),
            "review_on",
        ),
        (
            json!({"reason": "x", "restricted": "y", "review_on": "2001-01-01"}),
            "review_on",
        ),
        (
            json!({"reason": "x", "restricted": " ", "review_on": review_on}),
            "restricted",
        ),
    ] {
        let (status, problem, _) = post_json(&c, &url("restriction"), Some(&t.senior), &bad).await;
        assert_eq!(status, 422, "{bad}: {problem}");
        assert_eq!(fields_at_fault(&problem), [field], "{problem}");
    }
    let (status, case, _) = post_json(&c, &url("restriction"), Some(&t.senior), &body).await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["restriction"]["restricted"], "Contact by email only");
    assert_eq!(case["restriction"]["review_on"], review_on.to_string());
    assert_eq!(
        case["letters"].as_array().unwrap().last().unwrap()["kind"],
        "restriction"
    );
    eventually("the restriction letter", 20, || {
        s.outbox().iter().any(|(_, m)| {
            m.contains("Contact by email only")
                && m.contains("does not stop you making a complaint")
        })
    })
    .await;

    // The same resident complains again, online and by phone: both are logged.
    let (status, created, _) = post_json(&c, &s.url("/complaints"), None, &resident()).await;
    assert_eq!(status, 201, "{created}");
    let mut by_phone = resident();
    by_phone["channel"] = json!("phone");
    let (status, created, _) =
        post_json(&c, &s.url("/staff/complaints"), Some(&t.officer), &by_phone).await;
    assert_eq!(status, 201, "{created}");
    // And this complaint goes on: the Stage 1 response is still given.
    let (status, case, _) = post_json(
        &c,
        &url("stage1-response"),
        Some(&t.im),
        &json!({"outcome": "not_upheld", "summary": "No fault found.",
                "point_decisions": [{"point": "The leak", "decision": "not_upheld", "reason": "Dry"}]}),
    )
    .await;
    assert_eq!(status, 200, "{case}");

    let review = url("restriction/review");
    let (status, problem, _) =
        post_json(&c, &review, Some(&t.senior), &json!({"outcome": "kept"})).await;
    assert_eq!(status, 422);
    assert_eq!(fields_at_fault(&problem), ["review_on"]);
    let (status, problem, _) = post_json(
        &c,
        &review,
        Some(&t.senior),
        &json!({"outcome": "forgotten"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields_at_fault(&problem), ["outcome"]);
    let (status, case, _) =
        post_json(&c, &review, Some(&t.senior), &json!({"outcome": "lifted"})).await;
    assert_eq!(status, 200, "{case}");
    assert!(case["restriction"]["lifted_at"].is_string(), "{case}");
    let (status, _, _) =
        post_json(&c, &review, Some(&t.senior), &json!({"outcome": "lifted"})).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn the_case_page_agrees_an_interval_and_records_a_restriction_without_script() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = acknowledged(&s, &c, &t, 0).await;
    let case_page = s.url(&format!("/staff/cases/{r}"));
    let page = |token: String| {
        let c = c.clone();
        let url = case_page.clone();
        async move {
            c.get(url)
                .header("accept", "text/html")
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let html = page(t.officer.clone()).await;
    assert!(html.contains("Keeping the resident informed"));
    assert!(html.contains(&format!("/staff/cases/{r}/interval\"")));
    assert!(
        !html.contains(&format!("/staff/cases/{r}/restriction\"")),
        "officers cannot"
    );
    let html = page(t.senior.clone()).await;
    assert!(html.contains(&format!("/staff/cases/{r}/restriction\"")));
    let token = csrf(&html);
    let post = |action: &str, form: Vec<(&str, String)>| {
        c.post(s.url(&format!("/staff/cases/{r}/{action}")))
            .bearer_auth(&t.senior)
            .form(&form)
            .send()
    };
    let res = post(
        "interval",
        vec![
            ("csrf_token", token.clone()),
            ("working_days", "ten".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"interval-working_days-error\""),
        "{html}"
    );
    let res = post(
        "interval",
        vec![("csrf_token", token.clone()), ("working_days", "5".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let html = page(t.senior.clone()).await;
    assert!(
        html.contains("5 working days (agreed with the resident)"),
        "{html}"
    );

    let review_on = (Utc::now() + Duration::days(30)).date_naive().to_string();
    let res = post(
        "restriction",
        vec![
            ("csrf_token", token.clone()),
            ("reason", "Threats to staff".into()),
            ("restricted", "Contact in writing only".into()),
            ("review_on", review_on),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let html = page(t.senior.clone()).await;
    assert!(html.contains("Contact in writing only"));
    assert!(html.contains(&format!("/staff/cases/{r}/restriction-review\"")));
}
