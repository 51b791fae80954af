//! The Head of Tenant Services' review of service requests over real HTTP against a running
//! `p3 serve` (issue 16 item 5): listed by status with their age in working days, closed with
//! a note (by a senior manager only, once), escalated when a complaint is raised from one.

mod support;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::*;

async fn log(s: &Server, c: &reqwest::Client, token: &str, what: &str, days_ago: i64) -> String {
    let (status, sr, _) = post_json(
        c,
        &s.url("/staff/service-requests"),
        Some(token),
        &json!({
            "description": what,
            "name": "Di Tenant",
            "phone": "07700 900123",
            "at": (Utc::now() - Duration::days(days_ago)).to_rfc3339(),
        }),
    )
    .await;
    assert_eq!(status, 201, "{sr}");
    sr["id"].as_str().unwrap().to_string()
}

async fn listed(s: &Server, c: &reqwest::Client, token: &str, status: &str) -> Vec<Value> {
    let (code, list) = get_json(
        c,
        &s.url(&format!("/staff/service-requests?status={status}")),
        Some(token),
    )
    .await;
    assert_eq!(code, 200, "{list}");
    list["service_requests"].as_array().unwrap().clone()
}

fn ids(list: &[Value]) -> Vec<&str> {
    list.iter().map(|r| r["id"].as_str().unwrap()).collect()
}

fn fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn service_requests_are_listed_by_status_with_their_age_closed_and_escalated() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let fan = log(&s, &c, &t.officer, "The extractor fan does not work.", 14).await;
    let tap = log(&s, &c, &t.officer, "The kitchen tap drips.", 0).await;
    let door = log(&s, &c, &t.officer, "The front door sticks.", 7).await;

    // Open, oldest first, each with its age in working days (0 on the day it came in).
    let open = listed(&s, &c, &t.auditor, "open").await;
    assert_eq!(ids(&open), [fan.as_str(), door.as_str(), tap.as_str()]);
    assert!(open[0]["age_working_days"].as_i64().unwrap() >= 8);
    assert!(open[1]["age_working_days"].as_i64().unwrap() >= 3);
    assert_eq!(open[2]["age_working_days"], 0);
    assert!(open.iter().all(|r| r["status"] == "open"));

    // Only the Head of Tenant Services (a senior manager) closes one, with a note.
    let close = s.url(&format!("/staff/service-requests/{fan}/closure"));
    let (status, _, _) = post_json(&c, &close, Some(&t.officer), &json!({"note": "Done"})).await;
    assert_eq!(status, 403);
    let (status, problem, _) = post_json(&c, &close, Some(&t.senior), &json!({})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), ["note"]);
    let (status, closed, _) = post_json(
        &c,
        &close,
        Some(&t.senior),
        &json!({"note": "Fan replaced on 3 December."}),
    )
    .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["closed"]["note"], "Fan replaced on 3 December.");
    assert_eq!(closed["closed"]["by"], "hannah@p3.example");
    let (status, problem, _) =
        post_json(&c, &close, Some(&t.senior), &json!({"note": "Again"})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), ["status"]);
    assert_eq!(
        ids(&listed(&s, &c, &t.auditor, "closed").await),
        [fan.as_str()]
    );

    // The resident is dissatisfied with the door's response: a complaint raised from it
    // escalates it, naming the complaint.
    let (status, case, _) = post_json(
        &c,
        &s.url(&format!("/staff/service-requests/{door}/dissatisfaction")),
        Some(&t.officer),
        &json!({"description": "Nobody came to fix the door."}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let escalated = listed(&s, &c, &t.auditor, "escalated").await;
    assert_eq!(ids(&escalated), [door.as_str()]);
    assert_eq!(escalated[0]["complaint"], case["reference"]);
    assert_eq!(
        ids(&listed(&s, &c, &t.auditor, "open").await),
        [tap.as_str()]
    );

    // Every one without a status; a status that does not exist is named.
    let (_, all) = get_json(&c, &s.url("/staff/service-requests"), Some(&t.auditor)).await;
    assert_eq!(all["count"], 3);
    let (status, problem) = get_json(
        &c,
        &s.url("/staff/service-requests?status=pending"),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), ["status"]);
}
