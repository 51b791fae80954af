//! The `report-pages` function against the emulator: the printable reports the staff pages
//! link to, each sample event of `events/report-pages/` answered from a DynamoDB table (moto)
//! through the table's month indexes, for staff with a session, and to no one without one. The
//! session cookie itself is checked in `tests/sign_in.rs`; here the staff's claims come as an
//! authorizer would pass them on, which the function reads as the pages' session.

mod support;

use std::collections::HashMap;

use p3_aws::dynamo::{create_table, DynamoStore};
use p3_aws::wiring;
use p3_domain::ports::CaseStore;
use serde_json::Value;
use support::{dynamo, endpoint, repo};

const REFERENCE: &str = "CMP-2026-00042";

fn sample(file: &str) -> Value {
    let path = repo().join("events").join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `file` with the claims of a complaints officer as the authorizer passes them on (the
/// function takes them as a session), its query replaced by `query` when given.
fn as_staff(file: &str, query: Option<&str>) -> Value {
    let mut e = sample(file);
    e["requestContext"]["authorizer"] =
        sample("cases/get-case.json")["requestContext"]["authorizer"].clone();
    if let Some(query) = query {
        e["rawQueryString"] = Value::from(query);
        let params: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
            .collect();
        e["queryStringParameters"] = Value::Object(params);
    }
    e
}

/// The status, the content type and the body the function answered.
async fn answer(app: &axum::Router, event: Value) -> (i64, String, String) {
    let request = serde_json::from_value(event).expect("an HTTP API event");
    let out = wiring::answer_http(app.clone(), request)
        .await
        .expect("answered");
    (
        out["statusCode"].as_i64().unwrap(),
        out["headers"]["content-type"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        out["body"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
#[ignore = "needs the moto AWS emulator (P3_MOTO_ENDPOINT); run by ./scripts/test"]
async fn the_report_pages_function_serves_each_printable_report_from_the_table() {
    let endpoint = endpoint();
    let sdk = support::moto_sdk(&endpoint).await;
    let table = dynamo::unique_table();
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    create_table(&client, &table, &dynamo::definition())
        .await
        .expect("create the table from the template");
    // One complaint, received on 2 March 2026 (a repairs complaint, by phone).
    let store = DynamoStore::new(client, table.clone());
    let case = p3_store_contract::new_case(REFERENCE);
    store
        .save(p3_store_contract::create(&case))
        .await
        .expect("a complaint in the table");

    // The function as it starts: its own settings (no cookie key, no secret).
    let vars: HashMap<&str, String> = HashMap::from([
        ("TABLE_NAME", table.clone()),
        ("QUEUE_URL", "https://sqs.example/q".into()),
        ("QUEUE_ARN", "arn:aws:sqs:eu-west-2:123456789012:q".into()),
        ("DLQ_ARN", "arn:aws:sqs:eu-west-2:123456789012:d".into()),
        ("SCHEDULE_GROUP", "g".into()),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/r".into(),
        ),
        ("MAIL_FROM", "complaints@p3housing.example".into()),
        ("EXPORT_BUCKET", "exports".into()),
        ("BASE_URL", "https://complaints.p3housing.example".into()),
        ("AWS_ENDPOINT_URL", endpoint.clone()),
        ("OIDC_ISSUER", "https://idp.p3housing.example".into()),
        ("OIDC_CLIENT_ID", "p3-staff-pages".into()),
    ]);
    let settings = p3_aws::report_pages::report_pages_settings(|k| vars.get(k).cloned())
        .expect("the function's settings, without a cookie key");
    assert!(settings.staff_sign_in.is_some(), "the session is checked");
    let app = p3_aws::report_pages::report_pages_over(&settings, &sdk)
        .await
        .expect("the report-pages app");

    // Every sample event is answered with its printable report.
    for (file, heading) in [
        ("report-pages/get-monthly-report-page.json", "May 2026"),
        ("report-pages/get-quarterly-report-page.json", "Complaints"),
        ("report-pages/get-annual-report-page.json", "Complaints"),
        (
            "report-pages/get-self-assessment-evidence.json",
            "Complaint Handling Code self-assessment",
        ),
    ] {
        let (status, kind, body) = answer(&app, as_staff(file, None)).await;
        assert_eq!(status, 200, "{file}: {body}");
        assert!(kind.starts_with("text/html"), "{file}: {kind}");
        assert!(body.contains(heading), "{file}: no {heading:?}");
        // Without a session: the sign-in page, never the report.
        let (status, _, body) = answer(&app, sample(file)).await;
        assert_ne!(status, 200, "{file} without a session: {body}");
        assert!(!body.contains(heading), "{file} without a session");
    }
    // The month's figures come from the table: March 2026 counts the repairs complaint, May
    // none.
    let march = as_staff(
        "report-pages/get-monthly-report-page.json",
        Some("month=2026-03"),
    );
    let (status, _, body) = answer(&app, march).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("March 2026"), "{body}");
    assert!(body.to_lowercase().contains("repairs"), "{body}");
    let (_, _, may) = answer(
        &app,
        as_staff("report-pages/get-monthly-report-page.json", None),
    )
    .await;
    assert!(!may.to_lowercase().contains("<td>repairs"), "{may}");
    // A month that cannot be is refused naming the field.
    let bad = as_staff(
        "report-pages/get-monthly-report-page.json",
        Some("month=2026-13"),
    );
    let (status, kind, body) = answer(&app, bad).await;
    assert_eq!(status, 422, "{body}");
    assert!(kind.starts_with("application/problem+json"), "{kind}");
    assert!(body.contains("month"), "{body}");

    // The pages are not this function's, nor the API's reports.
    for file in ["pages/get-cases-page.json", "reporting/get-report.json"] {
        let (status, _, body) = answer(&app, as_staff(file, None)).await;
        assert_eq!(status, 404, "{file}: {body}");
    }
}
