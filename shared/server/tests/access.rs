//! Every staff route against no token, malformed and forged tokens, the wrong role and the
//! right role, over real HTTP.

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chrono::{Duration, Utc};
use p3_api::auth::{Role, TokenKey, LOCAL_ISSUER, STAFF_AUDIENCE};
use serde_json::{json, Value};
use support::*;

fn key_of(dir: &std::path::Path) -> Vec<u8> {
    let hex = std::fs::read_to_string(dir.join("signing.key")).unwrap();
    let hex = hex.trim();
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn every_staff_route_refuses_missing_forged_expired_and_foreign_tokens_and_the_wrong_role() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let key = TokenKey::new(key_of(dir.path()));
    let now = Utc::now();
    let tok = |role: Role| {
        key.issue(
            "Test User",
            &format!("{}@p3.example", role.as_str()),
            role,
            now,
            Duration::hours(1),
        )
    };

    // A case at Stage 1 and one at Stage 2, and a service request, to aim the routes at.
    let officer = tok(Role::Officer);
    let body = json!({"name": "R", "email": "r@example.org", "description": "Broken lift", "channel": "phone"});
    let (_, case1, _) = post_json(&c, &s.url("/staff/complaints"), Some(&officer), &body).await;
    let r1 = case1["reference"].as_str().unwrap().to_string();
    let (_, sr, _) = post_json(
        &c,
        &s.url("/staff/service-requests"),
        Some(&officer),
        &json!({"description": "Fix the lift", "email": "r@example.org"}),
    )
    .await;
    let sr = sr["id"].as_str().unwrap().to_string();
    // A third case, acknowledged (letter 1) and with the Ombudsman's determination, for the
    // case-file routes.
    let (_, case2, _) = post_json(&c, &s.url("/staff/complaints"), Some(&officer), &body).await;
    let r2 = case2["reference"].as_str().unwrap().to_string();
    let senior = tok(Role::SeniorManager);
    for (path, b) in [
        (
            "acknowledgement",
            json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Lift"]}),
        ),
        ("ombudsman", json!({"event": "referred", "detail": "Ref 1"})),
        (
            "ombudsman",
            json!({"event": "determination", "detail": "Orders"}),
        ),
    ] {
        let (status, _, _) = post_json(
            &c,
            &s.url(&format!("/staff/complaints/{r2}/{path}")),
            Some(&senior),
            &b,
        )
        .await;
        assert!(status < 300, "{path}: {status}");
    }
    let due = (p3_domain::london::london_date(now) + Duration::days(30)).to_string();

    let forged_none = {
        let payload = B64.encode(serde_json::to_vec(&json!({"sub": "x", "email": "x@p3.example", "role": "senior_manager", "iss": LOCAL_ISSUER, "aud": STAFF_AUDIENCE, "iat": now.timestamp(), "exp": now.timestamp() + 3600})).unwrap());
        format!(
            "{}.{payload}.",
            B64.encode(br#"{"alg":"none","typ":"JWT"}"#)
        )
    };
    let bad_tokens: Vec<(&str, String)> = vec![
        ("malformed", "not-a-jwt".into()),
        ("alg none", forged_none),
        (
            "wrong key",
            TokenKey::new(vec![9; 32]).issue(
                "x",
                "x@p3.example",
                Role::SeniorManager,
                now,
                Duration::hours(1),
            ),
        ),
        (
            "expired",
            key.issue(
                "x",
                "x@p3.example",
                Role::SeniorManager,
                now - Duration::hours(3),
                Duration::hours(1),
            ),
        ),
        (
            "wrong audience",
            TokenKey::with_issuer_audience(key_of(dir.path()), LOCAL_ISSUER, "another-service")
                .issue(
                    "x",
                    "x@p3.example",
                    Role::SeniorManager,
                    now,
                    Duration::hours(1),
                ),
        ),
        (
            "wrong issuer",
            TokenKey::with_issuer_audience(key_of(dir.path()), "someone-else", STAFF_AUDIENCE)
                .issue(
                    "x",
                    "x@p3.example",
                    Role::SeniorManager,
                    now,
                    Duration::hours(1),
                ),
        ),
    ];

    // (method, path, body, the least role allowed, a role that must be refused)
    let routes: Vec<(&str, String, Value, Role, Option<Role>)> = vec![
        (
            "POST",
            "/staff/complaints".into(),
            body.clone(),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "GET",
            "/staff/complaints".into(),
            Value::Null,
            Role::Auditor,
            None,
        ),
        (
            "GET",
            format!("/staff/complaints/{r1}"),
            Value::Null,
            Role::Auditor,
            None,
        ),
        (
            "POST",
            format!("/staff/complaints/{r1}/extension"),
            json!({"working_days": 2, "reason": "Survey"}),
            Role::InvestigatingManager,
            Some(Role::Officer),
        ),
        (
            "POST",
            format!("/staff/complaints/{r1}/acknowledgement"),
            json!({"investigating_manager": "investigating_manager@p3.example", "complaint_points": ["Lift"]}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/complaints/{r1}/stage1-response"),
            json!({"outcome": "upheld", "summary": "Fixed",
                   "point_decisions": [{"point": "Lift", "decision": "upheld", "reason": "Out for a week"}]}),
            Role::InvestigatingManager,
            Some(Role::Officer),
        ),
        (
            "POST",
            format!("/staff/complaints/{r1}/stage2"),
            json!({"reason": "Still broken"}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/complaints/{r1}/acknowledgement"),
            json!({"reviewer": "senior_manager@p3.example", "complaint_points": ["Stairs"]}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/complaints/{r1}/stage2-response"),
            json!({"outcome": "upheld", "summary": "Upheld",
                   "point_decisions": [{"point": "Stairs", "decision": "upheld", "reason": "Unlit"}]}),
            Role::SeniorManager,
            Some(Role::InvestigatingManager),
        ),
        (
            "POST",
            format!("/staff/complaints/{r1}/ombudsman"),
            json!({"event": "referred", "detail": "Referred"}),
            Role::SeniorManager,
            Some(Role::InvestigatingManager),
        ),
        (
            "POST",
            "/staff/service-requests".into(),
            json!({"description": "Fix the door", "phone": "01632 960001"}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/service-requests/{sr}/dissatisfaction"),
            json!({"description": "Still not fixed"}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            "/staff/complaints/CMP-2000-00001/withdrawal".into(),
            json!({}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            "/staff/complaints/CMP-2000-00001/refusal".into(),
            json!({"ground": "over_12_months", "explanation": "x"}),
            Role::SeniorManager,
            Some(Role::InvestigatingManager),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/points"),
            json!({"complaint_points": ["Lift", "Stairs"], "reason": "Agreed"}),
            Role::InvestigatingManager,
            Some(Role::Officer),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/reassignment"),
            json!({"handler": "ivy@p3.example", "reason": "Leave"}),
            Role::SeniorManager,
            Some(Role::InvestigatingManager),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/needs"),
            json!({"adjustments": "Large print", "consent": true, "review_on": due}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/contact-preferences"),
            json!({"method": "post", "format": "large_print"}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/representative"),
            json!({"name": "Bob", "email": "bob@example.org", "authorised_copies": true}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/compensation"),
            json!({"amount_pence": 1000, "reason": "Delay"}),
            Role::InvestigatingManager,
            Some(Role::Officer),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/compensation/1/answer"),
            json!({"accepted": true}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/compensation/1/payment"),
            json!({"payment_reference": "FIN-1"}),
            Role::SeniorManager,
            Some(Role::InvestigatingManager),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/ombudsman/orders"),
            json!({"description": "Apologise", "due": due, "owner": "sam@p3.example"}),
            Role::SeniorManager,
            Some(Role::InvestigatingManager),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/actions/1/completion"),
            json!({"note": "Apology sent"}),
            Role::InvestigatingManager,
            Some(Role::Officer),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/notes"),
            json!({"text": "Rang the resident"}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "POST",
            format!("/staff/complaints/{r2}/correspondence"),
            json!({"direction": "inbound", "channel": "phone", "summary": "Asked for an update"}),
            Role::Officer,
            Some(Role::Auditor),
        ),
        (
            "GET",
            format!("/staff/complaints/{r2}/letters/1"),
            Value::Null,
            Role::Auditor,
            None,
        ),
    ];

    let send = |method: &str, path: &str, body: &Value, token: Option<&str>| {
        let mut r = if method == "GET" {
            c.get(s.url(path))
        } else {
            c.post(s.url(path)).json(body)
        };
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let mut checked = 0;
    for (method, path, body, least, refused) in &routes {
        let res = send(method, path, body, None).await.unwrap();
        assert_eq!(
            res.status().as_u16(),
            401,
            "{method} {path} without a token"
        );
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        checked += 1;
        for (what, t) in &bad_tokens {
            let res = send(method, path, body, Some(t)).await.unwrap();
            assert_eq!(
                res.status().as_u16(),
                401,
                "{method} {path} with a {what} token"
            );
            checked += 1;
        }
        if let Some(role) = refused {
            assert!(
                !role.includes(*least),
                "{} is meant to be refused",
                role.as_str()
            );
        }
        // The least role allowed first (it may change the case), then every other role: the
        // ones below it are refused, the ones above it pass the door (the case may since have
        // moved on, so a 409 or 422 is theirs to get, never a 401 or 403).
        let res = send(method, path, body, Some(&tok(*least))).await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert!(
            status < 300 || (path.contains("CMP-2000") && status == 404),
            "{method} {path} as {}: {status} {text}",
            least.as_str()
        );
        checked += 1;
        for role in ROLES {
            if role == *least {
                continue;
            }
            let status = send(method, path, body, Some(&tok(role)))
                .await
                .unwrap()
                .status()
                .as_u16();
            if role.includes(*least) {
                assert!(
                    status != 401 && status != 403,
                    "{method} {path} as {}: {status}",
                    role.as_str()
                );
            } else {
                assert_eq!(status, 403, "{method} {path} as {}", role.as_str());
            }
            checked += 1;
        }
    }
    // Every route: no token, six bad tokens and each of the four roles.
    println!(
        "role matrix: {} routes x {} credentials = {checked} requests",
        routes.len(),
        1 + bad_tokens.len() + ROLES.len()
    );
    assert_eq!(checked, routes.len() * (1 + bad_tokens.len() + ROLES.len()));
}

const ROLES: [Role; 4] = [
    Role::Auditor,
    Role::Officer,
    Role::InvestigatingManager,
    Role::SeniorManager,
];
