//! Case notes and the correspondence log over real HTTP against a running `p3 serve`: a note
//! is kept for staff (their JSON, the case page, the evidence pack) and never reaches the
//! resident; a correction names the note it corrects; every bad field of a log entry is a 422
//! naming it; a retry with the same `Idempotency-Key` answers the same; and both forms of the
//! case page work as plain HTML forms (no script), with errors next to their fields.

mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::files::fields_at_fault;
use support::pages::{csrf, page};
use support::*;

const NOTE: &str = "Resident's neighbour says the leak comes from flat 4";
const CALL: &str = "Ada rang: the ceiling fell in at 7am, asked for an emergency visit";

/// A complaint made by a resident through the public API: its reference and access code.
async fn complaint(s: &Server, c: &reqwest::Client) -> (String, String) {
    let (status, created, _) = post_json(
        c,
        &s.url("/complaints"),
        None,
        &json!({
            "name": "Ada Resident",
            "email": "ada.resident@example.org",
            "description": "Water has been coming through the kitchen ceiling for three weeks.",
            "category": "repairs"
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    (
        created["reference"].as_str().unwrap().to_string(),
        created["access_code"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_note_is_kept_for_staff_and_never_shown_to_the_resident() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (r, code) = complaint(&s, &c).await;
    let notes = s.url(&format!("/staff/complaints/{r}/notes"));

    let (status, case, headers) = post_json(
        &c,
        &notes,
        Some(&t.officer),
        &json!({"text": format!("  {NOTE}  ")}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(headers["etag"], format!("\"{}\"", case["version"]).as_str());
    let note = &case["notes"][0];
    assert_eq!(note["text"], NOTE, "kept trimmed");
    assert_eq!(note["by"], "olive@p3.example");
    let number = note["number"].as_u64().unwrap();
    let event = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "note_added")
        .expect("the note is in the history");
    assert_eq!(event["sequence"], number);
    assert_eq!(event["text"], NOTE);

    // A correction is a new note naming the first; the first stays as written.
    let (status, case, _) = post_json(
        &c,
        &notes,
        Some(&t.im),
        &json!({"text": "Correction: it is flat 6, not flat 4", "corrects": number}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["notes"][0]["text"], NOTE);
    assert_eq!(case["notes"][0]["corrected_by"], json!([number + 1]));
    assert_eq!(case["notes"][1]["corrects"], number);
    // Event 1 is the receipt, not a note; 99 is nothing at all.
    for not_a_note in [1, 99] {
        let (status, problem, _) = post_json(
            &c,
            &notes,
            Some(&t.officer),
            &json!({"text": "Correction", "corrects": not_a_note}),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(fields_at_fault(&problem), ["corrects"], "{problem}");
    }
    for bad in [
        json!({"text": "   "}),
        json!({"text": "x".repeat(10_001)}),
        json!({}),
    ] {
        let (status, problem, _) = post_json(&c, &notes, Some(&t.officer), &bad).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(fields_at_fault(&problem), ["text"], "{problem}");
    }
    // Auditors read; they write nothing.
    let (status, _, _) = post_json(&c, &notes, Some(&t.auditor), &json!({"text": "x"})).await;
    assert_eq!(status, 403);

    // Staff see it on the case page and in the evidence pack.
    let (status, html) = page(&c, &s.url(&format!("/staff/cases/{r}")), &t.officer).await;
    assert_eq!(status, 200);
    assert!(html.contains("flat 4"), "the note on the case page");
    assert!(html.contains("Correction: it is flat 6"));
    let (status, pack) = page(
        &c,
        &s.url(&format!("/staff/complaints/{r}/evidence")),
        &t.senior,
    )
    .await;
    assert_eq!(status, 200);
    assert!(pack.contains("<h2 id=\"notes\">10. Internal notes</h2>"));
    assert!(pack.contains("flat 4") && pack.contains(&format!("Corrected by note {}", number + 1)));

    // The resident sees neither note: not in their JSON, not on their page.
    let (status, theirs) =
        get_json(&c, &s.url(&format!("/complaints/{r}?code={code}")), None).await;
    assert_eq!(status, 200, "{theirs}");
    let (status, their_page) = {
        let res = c
            .get(s.url(&format!("/complaints/{r}?code={code}")))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    assert_eq!(status, 200);
    assert!(their_page.contains(&r), "it is their case page");
    for shown in [theirs.to_string(), their_page] {
        assert!(
            !shown.contains("flat 4") && !shown.contains("flat 6"),
            "{shown}"
        );
        assert!(!shown.contains("note_added"), "{shown}");
    }
}

#[tokio::test]
async fn correspondence_is_logged_and_every_bad_field_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (r, code) = complaint(&s, &c).await;
    let url = s.url(&format!("/staff/complaints/{r}/correspondence"));
    // Logged a little after it happened: when the complaint came in, a moment ago.
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    let happened = case["received_at"].as_str().unwrap().to_string();

    let good = json!({"direction": "inbound", "channel": "phone", "summary": CALL});
    let refused = [
        ("direction", json!({"direction": "sideways"})),
        ("direction", json!({"direction": null})),
        ("channel", json!({"channel": "fax"})),
        ("summary", json!({"summary": "  "})),
        ("summary", json!({"summary": "x".repeat(10_001)})),
        ("at", json!({"at": "yesterday"})),
        (
            "at",
            json!({"at": (Utc::now() + Duration::days(1)).to_rfc3339()}),
        ),
        ("at", json!({"at": "2000-01-01T00:00:00Z"})),
        ("attachments", json!({"attachments": ["att-1"]})),
        ("attachments", json!({"attachments": "att-1"})),
    ];
    for (field, change) in refused {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, problem, _) = post_json(&c, &url, Some(&t.officer), &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(fields_at_fault(&problem), [field], "{body}: {problem}");
    }
    for missing in ["direction", "channel", "summary"] {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(missing);
        let (status, problem, _) = post_json(&c, &url, Some(&t.officer), &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(fields_at_fault(&problem), [missing], "{body}: {problem}");
    }

    let mut body = good.clone();
    body["at"] = json!(happened);
    body["attachments"] = json!([]);
    let (status, case, _) = post_json(&c, &url, Some(&t.officer), &body).await;
    assert_eq!(status, 201, "{case}");
    let entry = &case["correspondence"][0];
    assert_eq!(entry["direction"], "inbound");
    assert_eq!(entry["channel"], "phone");
    assert_eq!(entry["summary"], CALL);
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(entry["at"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&happened).unwrap(),
        "when it happened, as given"
    );
    assert_ne!(entry["at"], entry["recorded_at"]);
    let last = case["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "correspondence_logged");
    assert_eq!(last["channel"], "phone");

    // Staff only: the resident's view does not carry it.
    let (_, theirs) = get_json(&c, &s.url(&format!("/complaints/{r}?code={code}")), None).await;
    assert!(!theirs.to_string().contains("emergency visit"), "{theirs}");
    let (status, pack) = page(
        &c,
        &s.url(&format!("/staff/complaints/{r}/evidence")),
        &t.auditor,
    )
    .await;
    assert_eq!(status, 200);
    assert!(pack.contains("<h2 id=\"correspondence\">11. Correspondence</h2>"));
    assert!(pack.contains("emergency visit"));
}

#[tokio::test]
async fn a_retry_with_the_same_key_answers_the_same_and_records_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (r, _) = complaint(&s, &c).await;
    for (route, body) in [
        ("notes", json!({"text": NOTE})),
        (
            "correspondence",
            json!({"direction": "outbound", "channel": "email", "summary": "Told Ada the visit is on Friday"}),
        ),
    ] {
        let url = s.url(&format!("/staff/complaints/{r}/{route}"));
        let send = || {
            c.post(&url)
                .bearer_auth(&t.officer)
                .header("idempotency-key", format!("retry-{route}"))
                .json(&body)
                .send()
        };
        let first = send().await.unwrap();
        let first = (first.status().as_u16(), first.text().await.unwrap());
        let again = send().await.unwrap();
        let again = (again.status().as_u16(), again.text().await.unwrap());
        assert_eq!(first.0, 201, "{}", first.1);
        assert_eq!(first, again, "{route}: the retry answers the same");
    }
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(case["notes"].as_array().unwrap().len(), 1);
    assert_eq!(case["correspondence"].as_array().unwrap().len(), 1);

    // If-Match names the version the change was made from: an old one is refused.
    let res = c
        .post(s.url(&format!("/staff/complaints/{r}/notes")))
        .bearer_auth(&t.officer)
        .header("if-match", "\"1\"")
        .json(&json!({"text": "Made from an old copy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 412);
}

#[tokio::test]
async fn the_case_page_adds_a_note_and_logs_correspondence_without_script() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (r, _) = complaint(&s, &c).await;
    let case_page = s.url(&format!("/staff/cases/{r}"));
    let (_, html) = page(&c, &case_page, &t.officer).await;
    assert!(html.contains("action=\"/staff/cases/"), "{html}");
    assert!(html.contains(&format!("/staff/cases/{r}/note\"")));
    assert!(html.contains(&format!("/staff/cases/{r}/correspondence\"")));
    let token = csrf(&html);
    let post = |action: &str, form: Vec<(&str, String)>| {
        c.post(s.url(&format!("/staff/cases/{r}/{action}")))
            .bearer_auth(&t.officer)
            .form(&form)
            .send()
    };

    // A note: back to the case (post, redirect, get), which shows it.
    let res = post(
        "note",
        vec![("csrf_token", token.clone()), ("text", NOTE.to_string())],
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/staff/cases/{r}?done=note").as_str()
    );
    let (_, html) = page(&c, &format!("{case_page}?done=note"), &t.officer).await;
    assert!(html.contains("Note added"));
    assert!(html.contains("flat 4"));

    // Correspondence with no summary: the page again, the error next to the field, the
    // values kept.
    let res = post(
        "correspondence",
        vec![
            ("csrf_token", token.clone()),
            ("direction", "inbound".into()),
            ("channel", "letter".into()),
            ("summary", "".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("<title>Error: "), "the title says so");
    assert!(
        html.contains("href=\"#correspondence-summary\""),
        "the error summary links to it"
    );
    assert!(
        html.contains("id=\"correspondence-summary-error\""),
        "the message by the field"
    );
    assert!(html.contains("<details class=\"details\" id=\"correspondence\" open>"));
    assert!(
        html.contains("<option value=\"letter\" selected>"),
        "the channel kept"
    );

    // Then with a summary and when it came: logged.
    let res = post(
        "correspondence",
        vec![
            ("csrf_token", token.clone()),
            ("direction", "inbound".into()),
            ("channel", "letter".into()),
            (
                "summary",
                "Letter from Ada's councillor asking for a visit".into(),
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(case["notes"][0]["text"], NOTE);
    assert_eq!(case["correspondence"][0]["channel"], "letter");
    assert_eq!(
        case["correspondence"][0]["summary"],
        "Letter from Ada's councillor asking for a visit"
    );

    // Without the session's CSRF token, nothing is recorded.
    let res = post(
        "note",
        vec![("csrf_token", "forged".into()), ("text", "Forged".into())],
    )
    .await
    .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(case["notes"].as_array().unwrap().len(), 1);
}
