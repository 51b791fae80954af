//! How long the staff pages take to render at scale: the case list with 1,000 open cases and a
//! case page with 200 events. A measurement, not a check (it asserts only that the pages render):
//! `cargo test --release -p p3-api --test render_timing -- --ignored --nocapture`.

mod support;

use std::time::{Duration as Elapsed, Instant};

use axum::body::Body;
use axum::Router;
use chrono::{Duration, Utc};
use http::{header, Request};
use p3_api::auth::{Role, TokenKey};
use serde_json::{json, Value};
use tower::ServiceExt;

fn token(role: Role) -> String {
    TokenKey::new(support::KEY.to_vec()).issue(
        "Test User",
        &format!("{}@p3.example", role.as_str()),
        role,
        Utc::now(),
        Duration::hours(1),
    )
}

async fn send(app: &Router, req: Request<Body>) -> (u16, String) {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("the body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn post(app: &Router, path: &str, role: Role, body: Value) -> Value {
    let (status, text) = send(
        app,
        Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", token(role)))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("a request"),
    )
    .await;
    assert!(status < 300, "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The median of `runs` renders of a page, and its size.
async fn time_page(app: &Router, path: &str, runs: usize) -> (Elapsed, usize) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let req = Request::get(path)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", token(Role::Auditor)),
            )
            .body(Body::empty())
            .expect("a request");
        let start = Instant::now();
        let (status, text) = send(app, req).await;
        times.push(start.elapsed());
        assert_eq!(status, 200, "{path}");
        size = text.len();
    }
    times.sort();
    (times[runs / 2], size)
}

fn complaint(n: usize) -> Value {
    json!({
        "name": format!("Resident {n}"),
        "phone": "07700 900123",
        "postcode": "L1 8JQ",
        "description": "The lift has been out of order for a fortnight.",
        "desired_outcome": "Repair the lift.",
        "category": "repairs",
        "channel": "phone"
    })
}

#[tokio::test]
#[ignore = "a measurement: run with --release -- --ignored --nocapture"]
async fn staff_pages_render_1000_cases_and_200_events() {
    let (state, _dir) = support::state();
    let app = p3_api::router(state);
    let mut first = String::new();
    for n in 0..1000 {
        let c = post(&app, "/staff/complaints", Role::Officer, complaint(n)).await;
        if n == 0 {
            first = c["reference"].as_str().expect("a reference").to_string();
        }
    }
    let case = format!("/staff/complaints/{first}");
    post(
        &app,
        &format!("{case}/acknowledgement"),
        Role::Officer,
        json!({"investigating_manager": "ian@p3.example", "complaint_points": ["The lift"]}),
    )
    .await;
    let mut events = 3;
    while events < 200 {
        post(
            &app,
            &format!("{case}/points"),
            Role::InvestigatingManager,
            json!({"complaint_points": [format!("The lift, revision {events}")], "reason": "The resident explained more."}),
        )
        .await;
        events += 1;
    }
    let (list, list_size) = time_page(&app, "/staff/cases?limit=1000", 21).await;
    let (page, page_size) = time_page(&app, &format!("/staff/cases/{first}"), 21).await;
    println!(
        "case list of 1000 open cases: {:.1} ms median ({list_size} bytes); case page with {events} events: {:.1} ms median ({page_size} bytes)",
        list.as_secs_f64() * 1000.0,
        page.as_secs_f64() * 1000.0
    );
}
