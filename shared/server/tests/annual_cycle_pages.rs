//! The annual cycle's staff pages over real HTTP against a running `p3 serve` (issue 16 items 7
//! and 8): a senior manager writes the self-assessment's commentary and action plan and the
//! governing body's response from plain HTML forms; they are kept per year, shown on the page
//! and in the JSON reports; errors come back by their fields with the text kept; an auditor
//! reads them but has no form and cannot post one; the quarterly summary prints from the pages.
//! The staff navigation links to the service requests' review and the quarterly summary.

mod support;

use serde_json::Value;
use support::pages::{csrf, page, post_form};
use support::*;

fn requirement<'a>(sa: &'a Value, code: &str) -> &'a Value {
    sa["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["requirements"].as_array().unwrap())
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("requirement {code}"))
}

#[tokio::test]
async fn the_self_assessment_commentary_is_written_from_its_page_and_kept_per_year() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let url = s.url("/staff/self-assessment?year=2025");
    let (status, html) = page(&c, &url, &t.senior).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("April 2025 to March 2026"), "{html}");
    assert!(html.contains("id=\"req-5-6\""));
    assert!(html.contains("<label class=\"label\" for=\"req-5-6-commentary\">"));
    // The staff navigation reaches the service requests' review and the quarterly summary.
    assert!(html.contains("href=\"/staff/service-requests/review\""));
    assert!(html.contains("href=\"/staff/quarterly-report\""));
    let token = csrf(&html);

    // Too long an action plan: the page again, the error by its field, the text kept.
    let long = "x".repeat(20_001);
    let (status, _, html) = post_form(
        &c,
        &url,
        &t.senior,
        &[
            ("csrf_token", &token),
            ("requirement", "5.6"),
            ("commentary", "We define every complaint."),
            ("action_plan", &long),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("<title>Error: Self-assessment"));
    assert!(html.contains("href=\"#req-5-6-action_plan\""), "{html}");
    assert!(html.contains("We define every complaint."), "the text kept");

    // Saved: back to the requirement, shown there, and in the JSON report of that year only.
    let (status, location, _) = post_form(
        &c,
        &url,
        &t.senior,
        &[
            ("csrf_token", &token),
            ("requirement", "5.6"),
            ("commentary", "We define every complaint."),
            ("action_plan", "Train the new officers by June."),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/staff/self-assessment?year=2025#req-5-6");
    let (_, html) = page(&c, &url, &t.auditor).await;
    assert!(html.contains("We define every complaint."));
    assert!(html.contains("Train the new officers by June."));
    assert!(html.contains("Last written by hannah@p3.example"), "{html}");
    assert!(
        !html.contains("for=\"req-5-6-commentary\""),
        "no form for an auditor"
    );
    let (status, sa) = get_json(
        &c,
        &s.url("/staff/reports/self-assessment?year=2025"),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(status, 200, "{sa}");
    assert_eq!(
        requirement(&sa, "5.6")["commentary"],
        "We define every complaint."
    );
    let (_, other) = get_json(
        &c,
        &s.url("/staff/reports/self-assessment?year=2024"),
        Some(&t.auditor),
    )
    .await;
    assert!(
        requirement(&other, "5.6")["commentary"].is_null(),
        "{other}"
    );

    // An auditor cannot write, nor can a form without the session's token.
    let (_, html) = page(&c, &url, &t.auditor).await;
    let (status, _, _) = post_form(
        &c,
        &url,
        &t.auditor,
        &[
            ("csrf_token", &csrf(&html)),
            ("requirement", "5.6"),
            ("commentary", "Changed"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post_form(
        &c,
        &url,
        &t.senior,
        &[
            ("csrf_token", "forged"),
            ("requirement", "5.6"),
            ("commentary", "Changed"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let (_, sa) = get_json(
        &c,
        &s.url("/staff/reports/self-assessment?year=2025"),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(
        requirement(&sa, "5.6")["commentary"],
        "We define every complaint."
    );
    // A year that cannot be is a problem naming it.
    let (status, body) = page(&c, &s.url("/staff/self-assessment?year=twenty"), &t.senior).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("year"));
}

#[tokio::test]
async fn the_governing_body_response_is_recorded_from_its_page_and_shown_in_the_annual_report() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let url = s.url("/staff/governing-body-response?year=2025");
    let (status, html) = page(&c, &url, &t.senior).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("No response has been recorded for this year."));
    let token = csrf(&html);

    let (status, _, html) = post_form(
        &c,
        &url,
        &t.senior,
        &[
            ("csrf_token", &token),
            ("text", " "),
            ("given_on", "15/07/2026"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("href=\"#gb-given_on\""), "{html}");

    let (status, location, _) = post_form(
        &c,
        &url,
        &t.senior,
        &[
            ("csrf_token", &token),
            (
                "text",
                "The board accepted the report and asked for quarterly updates.",
            ),
            ("given_on", "2026-07-15"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/staff/governing-body-response?year=2025");
    let (_, html) = page(&c, &url, &t.auditor).await;
    assert!(html.contains("The board accepted the report and asked for quarterly updates."));
    assert!(html.contains("Given on Wednesday 15 July 2026."), "{html}");
    assert!(!html.contains("id=\"gb\""), "no form for an auditor");
    let (status, annual) = get_json(
        &c,
        &s.url("/staff/reports/annual?year=2025"),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        annual["governing_body_response"]["given_on"], "2026-07-15",
        "{annual}"
    );

    let (_, html) = page(&c, &url, &t.officer).await;
    let (status, _, _) = post_form(
        &c,
        &url,
        &t.officer,
        &[("csrf_token", &csrf(&html)), ("text", "Changed")],
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_quarterly_summary_prints_from_the_pages_with_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (status, html) = page(&c, &s.url("/staff/quarterly-report"), &t.auditor).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<html"), "{html}");
    let (status, html) = page(
        &c,
        &s.url("/staff/quarterly-report?year=2025&quarter=2"),
        &t.auditor,
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let (status, body) = page(
        &c,
        &s.url("/staff/quarterly-report?year=2025&quarter=5"),
        &t.auditor,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // Without a session: to the sign-in page.
    let res = c
        .get(s.url("/staff/quarterly-report?year=2025&quarter=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

#[tokio::test]
async fn the_self_assessment_with_its_evidence_prints_from_the_pages_with_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let url = s.url("/staff/self-assessment?year=2025");
    let (status, html) = page(&c, &url, &t.senior).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("href=\"/staff/self-assessment/evidence?year=2025\""),
        "the page links to the printable self-assessment: {html}"
    );
    let (status, location, _) = post_form(
        &c,
        &url,
        &t.senior,
        &[
            ("csrf_token", &csrf(&html)),
            ("requirement", "5.6"),
            ("commentary", "Every acknowledgement sets out the points."),
            ("action_plan", "Audit ten letters a quarter."),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");

    // Any role reads it (the auditor too): the Code's requirements, the evidence and what was
    // written, as the reporting route's HTML.
    let evidence = s.url("/staff/self-assessment/evidence?year=2025");
    let (status, printed) = page(&c, &evidence, &t.auditor).await;
    assert_eq!(status, 200, "{printed}");
    assert!(printed.contains("<html"), "{printed}");
    assert!(printed.contains("Every acknowledgement sets out the points."));
    assert!(printed.contains("Audit ten letters a quarter."));
    let api = c
        .get(s.url("/staff/reports/self-assessment?year=2025&format=html"))
        .bearer_auth(&t.auditor)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(printed, api, "the same HTML as the reporting route");

    let (status, body) = page(&c, &s.url("/staff/self-assessment/evidence"), &t.auditor).await;
    assert_eq!(status, 422, "the year is required: {body}");
    // A year sent empty is refused, naming it, not taken as this year (found by api-fuzz).
    for url in [
        "/staff/self-assessment?year=",
        "/staff/governing-body-response?year=",
        "/staff/quarterly-report?year=&quarter=",
    ] {
        let (status, body) = page(&c, &s.url(url), &t.auditor).await;
        assert_eq!(status, 422, "{url}: {body}");
    }
    let res = c.get(evidence).send().await.unwrap();
    assert_eq!(
        res.status().as_u16(),
        303,
        "without a session: to the sign-in page"
    );
}
