//! The staff pages that take complaints and service requests in, over real HTTP against a
//! running `p3 serve`: a complaint made by letter (with a representative) is logged from
//! `/staff/complaints/new` and opens its case page; a service request is logged from
//! `/staff/service-requests/new`; both work as plain HTML forms, with errors next to their
//! fields and the values kept; an auditor sees no form and cannot post one.

mod support;

use serde_json::Value;
use support::pages::{csrf, page, post_form};
use support::*;

async fn open_cases(s: &Server, c: &reqwest::Client, token: &str) -> Value {
    get_json(c, &s.url("/staff/complaints"), Some(token))
        .await
        .1["count"]
        .clone()
}

#[tokio::test]
async fn a_complaint_made_by_letter_is_logged_from_its_page_and_opens_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let url = s.url("/staff/complaints/new");
    let (status, html) = page(&c, &url, &t.officer).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1 class=\"heading-xl\">Log a complaint</h1>"));
    assert!(html.contains("<option value=\"letter\">Letter</option>"));
    let token = csrf(&html);

    // No channel and no description: the form again, each error linked to its field, the
    // name typed kept, and nothing logged.
    let (status, _, html) = post_form(
        &c,
        &url,
        &t.officer,
        &[
            ("csrf_token", &token),
            ("name", "Cy Writer"),
            ("email", "cy@example.org"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("<title>Error: Log a complaint"));
    assert!(html.contains("href=\"#complaint-channel\""), "{html}");
    assert!(html.contains("href=\"#complaint-description\""), "{html}");
    assert!(html.contains("id=\"complaint-description-error\""));
    assert!(html.contains("value=\"Cy Writer\""), "the name kept");
    assert_eq!(open_cases(&s, &c, &t.auditor).await, 0);

    // A representative's email that is not one: the API's check, shown by the field.
    let (status, _, html) = post_form(
        &c,
        &url,
        &t.officer,
        &[
            ("csrf_token", &token),
            ("channel", "letter"),
            ("name", "Cy Writer"),
            ("email", "cy@example.org"),
            (
                "description",
                "Nobody has answered my letters about the damp bedroom wall.",
            ),
            ("representative_name", "Rita Advocate"),
            ("representative_email", "not-an-email"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("href=\"#complaint-representative_email\""),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"letter\" selected>"),
        "the channel kept"
    );

    // Complete: logged as received when the letter came, and on to its case page.
    let (status, location, _) = post_form(
        &c,
        &url,
        &t.officer,
        &[
            ("csrf_token", &token),
            ("idempotency_key", "abc123"),
            ("channel", "letter"),
            ("received_at", "2026-01-05T09:15"),
            ("name", "Cy Writer"),
            ("email", "cy@example.org"),
            (
                "description",
                "Nobody has answered my letters about the damp bedroom wall.",
            ),
            ("category", "damp_and_mould"),
            ("representative_name", "Rita Advocate"),
            ("representative_relationship", "advocate"),
            ("representative_authorised", "true"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let reference = location
        .strip_prefix("/staff/cases/")
        .expect("on to the case page")
        .to_string();
    let (status, html) = page(&c, &s.url(&location), &t.officer).await;
    assert_eq!(status, 200);
    assert!(html.contains(&reference));
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}")),
        Some(&t.auditor),
    )
    .await;
    let text = case.to_string();
    assert!(text.contains("\"channel\":\"letter\""), "{text}");
    assert!(text.contains("Rita Advocate"), "{text}");
    assert!(
        text.contains("2026-01-05T09:15:00Z"),
        "received then: {text}"
    );
    assert_eq!(open_cases(&s, &c, &t.auditor).await, 1);
}

#[tokio::test]
async fn a_service_request_is_logged_from_its_page() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let url = s.url("/staff/service-requests/new");
    let (status, html) = page(&c, &url, &t.officer).await;
    assert_eq!(status, 200);
    let token = csrf(&html);

    let (status, _, html) = post_form(
        &c,
        &url,
        &t.officer,
        &[
            ("csrf_token", &token),
            ("description", "The bathroom extractor fan does not work."),
            ("name", "Di Tenant"),
            ("email", "not-an-email"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#service-request-email\""), "{html}");
    assert!(
        html.contains("The bathroom extractor fan does not work."),
        "kept"
    );

    let (status, location, _) = post_form(
        &c,
        &url,
        &t.officer,
        &[
            ("csrf_token", &token),
            ("description", "The bathroom extractor fan does not work."),
            ("category", "repairs"),
            ("name", "Di Tenant"),
            ("phone", "07700 900123"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let id = location
        .strip_prefix("/staff/service-requests/new?logged=")
        .expect("back to the form with what was logged")
        .to_string();
    assert!(id.starts_with("SR-"), "{id}");
    let (_, html) = page(&c, &s.url(&location), &t.officer).await;
    assert!(html.contains(&format!("Service request <strong>{id}</strong> logged")));
}

#[tokio::test]
async fn an_auditor_sees_no_intake_form_and_cannot_post_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let url = s.url("/staff/complaints/new");
    let (status, html) = page(&c, &url, &t.auditor).await;
    assert_eq!(status, 200);
    assert!(html.contains("Log a complaint: needs the officer role."));
    assert!(!html.contains("<form id=\"complaint\""));
    // A session's token from another page, posted anyway: refused, nothing logged.
    let (_, cases) = page(&c, &s.url("/staff/cases"), &t.auditor).await;
    let (status, _, _) = post_form(
        &c,
        &url,
        &t.auditor,
        &[
            ("csrf_token", &csrf(&cases)),
            ("channel", "phone"),
            ("name", "Ed Caller"),
            ("phone", "07700 900789"),
            ("description", "The caretaker was rude to me on the stairs."),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(open_cases(&s, &c, &t.auditor).await, 0);
    // Signed out: to sign in, and back here after.
    let res = c.get(&url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("next=%2Fstaff%2Fcomplaints%2Fnew"));
}
