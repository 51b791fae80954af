//! The resident's routes when a rate limit refuses or cannot be counted (its store is down, as
//! DynamoDB may be on AWS): the right access code always opens its case, a wrong one is refused
//! (fail closed), and the public form still takes complaints (fail open).

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::Router;
use http::{header, Request};
use p3_api::limit::{Allowance, Limiter, LimiterUnavailable};
use serde_json::{json, Value};
use tower::ServiceExt;

/// A limit whose count is unavailable.
struct Unavailable;

#[async_trait::async_trait]
impl Limiter for Unavailable {
    async fn take(&self, _key: &str) -> Result<Allowance, LimiterUnavailable> {
        Err(LimiterUnavailable("the table is not there".into()))
    }
}

/// A limit every client is over.
struct Exhausted;

#[async_trait::async_trait]
impl Limiter for Exhausted {
    async fn take(&self, _key: &str) -> Result<Allowance, LimiterUnavailable> {
        Ok(Allowance::Refused { wait: 1200 })
    }
}

async fn send(app: &Router, req: Request<Body>) -> (u16, Option<String>, Value) {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("the body");
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn file(app: &Router) -> (u16, Option<String>, Value) {
    let body = json!({"name": "Ada Resident", "email": "ada@example.org",
                      "description": "The boiler has failed."});
    let req = Request::post("/complaints")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(app, req).await
}

async fn open(app: &Router, reference: &str, code: &str) -> (u16, Option<String>, Value) {
    let req = Request::get(format!("/complaints/{reference}?code={code}"))
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    send(app, req).await
}

#[tokio::test]
async fn the_right_code_opens_its_case_when_wrong_guesses_are_over_their_limit() {
    let (mut st, _dir) = support::state();
    st.code_limit = Arc::new(Exhausted);
    let app = p3_api::router(st);
    let (status, _, case) = file(&app).await;
    assert_eq!(status, 201);
    let reference = case["reference"].as_str().unwrap();
    let code = case["access_code"].as_str().unwrap();

    let (status, retry, _) = open(&app, reference, "WRONG-CODE-0000-0000").await;
    assert_eq!((status, retry.as_deref()), (429, Some("1200")));
    let (status, _, view) = open(&app, reference, code).await;
    assert_eq!(
        status, 200,
        "the right code is never counted against a limit"
    );
    assert_eq!(view["reference"], reference);
}

#[tokio::test]
async fn an_uncounted_limit_lets_complaints_in_and_refuses_wrong_codes() {
    let (mut st, _dir) = support::state();
    st.form_limit = Arc::new(Unavailable);
    st.code_limit = Arc::new(Unavailable);
    let app = p3_api::router(st);
    let (status, _, case) = file(&app).await;
    assert_eq!(status, 201, "the form fails open: {case}");
    let reference = case["reference"].as_str().unwrap();
    let code = case["access_code"].as_str().unwrap();

    let (status, retry, problem) = open(&app, reference, "WRONG-CODE-0000-0000").await;
    assert_eq!(status, 429, "wrong codes fail closed: {problem}");
    assert_eq!(retry.as_deref(), Some("60"));
    let (status, _, _) = open(&app, "CMP-2099-99999", "WRONG-CODE-0000-0000").await;
    assert_eq!(status, 429, "an unknown reference is a wrong guess too");
    let (status, _, view) = open(&app, reference, code).await;
    assert_eq!(status, 200);
    assert_eq!(view["reference"], reference);
}
