//! A support-services complaint through its three stages over real HTTP against `p3 serve`:
//! the Stage 3 routes (staff and resident), their refusals on a housing complaint, the final
//! response's Ombudsman details, the resident's page, and the reports' support-services section
//! beside the housing figures and the TSMs.

mod support;

use serde_json::{json, Value};
use support::files::*;
use support::nojs::{attr_after, page, pdf_of, post_page};
use support::*;

fn complaint(procedure: &str, category: &str) -> Value {
    json!({
        "name": "Ada Resident",
        "email": "ada.resident@example.org",
        "phone": "07700 900123",
        "description": "My support worker has missed four visits in a row.",
        "channel": "phone",
        "category": category,
        "procedure": procedure
    })
}

fn response(point: &str, outcome: &str) -> Value {
    json!({"outcome": outcome, "summary": format!("We looked at: {point}."),
           "point_decisions": [{"point": point, "decision": outcome, "reason": "The visit log shows it."}]})
}

struct Api<'a> {
    s: &'a Server,
    c: reqwest::Client,
}

impl Api<'_> {
    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let (status, v, _) = post_json(&self.c, &self.s.url(path), Some(token), &body).await;
        (status, v)
    }

    /// Posts `body` to `path` as `token`, which must succeed (200): the answer.
    async fn ok(&self, token: &str, path: &str, body: Value) -> Value {
        let (status, v) = self.post(token, path, body).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// Reads `path` as `token`, which must succeed (200): the answer.
    async fn read(&self, token: &str, path: &str) -> Value {
        let (status, v) = get_json(&self.c, &self.s.url(path), Some(token)).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// Opens a case, acknowledges and answers Stage 1: answers its reference and access code.
    async fn answered_at_stage1(
        &self,
        t: &Staffs,
        procedure: &str,
        category: &str,
    ) -> (String, String) {
        let (status, v) = self
            .post(
                &t.officer,
                "/staff/complaints",
                complaint(procedure, category),
            )
            .await;
        assert_eq!(status, 201, "{v}");
        let r = v["reference"].as_str().unwrap().to_string();
        let code = v["access_code"].as_str().unwrap().to_string();
        let points = json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Missed visits"]});
        let path = format!("/staff/complaints/{r}");
        self.ok(&t.officer, &format!("{path}/acknowledgement"), points)
            .await;
        let answer = response("Missed visits", "not_upheld");
        self.ok(&t.im, &format!("{path}/stage1-response"), answer)
            .await;
        (r, code)
    }

    /// Takes the case `r`, answered at Stage 1, through Stage 2 to its response: answers the
    /// response's view.
    async fn answered_at_stage2(&self, t: &Staffs, r: &str) -> Value {
        let path = format!("/staff/complaints/{r}");
        self.ok(&t.officer, &format!("{path}/stage2"), json!({}))
            .await;
        let points =
            json!({"reviewer": "hannah@p3.example", "complaint_points": ["Visits still missed"]});
        self.ok(&t.officer, &format!("{path}/acknowledgement"), points)
            .await;
        let answer = response("Visits still missed", "partly_upheld");
        self.ok(&t.senior, &format!("{path}/stage2-response"), answer)
            .await
    }
}

#[tokio::test]
async fn a_support_services_complaint_goes_through_stage_3_and_a_housing_one_never_does() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let other_senior = s.token("Sam Senior", "sam@p3.example", "senior_manager");
    let api = Api { s: &s, c: client() };

    // A housing complaint answered at Stage 1 cannot be taken to Stage 3: 409, never a 500.
    let (h, h_code) = api.answered_at_stage1(&t, "housing", "repairs").await;
    let (status, p) = api
        .post(
            &t.officer,
            &format!("/staff/complaints/{h}/stage3"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("no Stage 3"), "{p}");
    let (status, p, _) = post_json(
        &api.c,
        &s.url(&format!("/complaints/{h}/stage3?code={h_code}")),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(status, 409, "{p}");
    let (status, p) = api
        .post(
            &t.senior,
            &format!("/staff/complaints/{h}/stage3-response"),
            response("Missed visits", "upheld"),
        )
        .await;
    assert_eq!(status, 409, "{p}");
    // Its own /stage2 still works as before.
    let (status, v) = api
        .post(
            &t.officer,
            &format!("/staff/complaints/{h}/stage2"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "stage2_requested");

    // A support-services complaint: Stage 3 cannot be asked for before Stage 2's response.
    let (r, code) = api
        .answered_at_stage1(&t, "support_services", "support_services")
        .await;
    let (status, p) = api
        .post(
            &t.officer,
            &format!("/staff/complaints/{r}/stage3"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("at Stage 1"), "{p}");
    let v = api.answered_at_stage2(&t, &r).await;
    assert_eq!(
        v["status"], "responded",
        "a support complaint stays open for Stage 3: {v}"
    );

    // The resident's page offers the final review, posting to /stage3 without JavaScript.
    let page = api
        .c
        .get(s.url(&format!("/complaints/{r}?code={code}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Ask for a final review (Stage 3)"), "{page}");
    assert!(
        page.contains(&format!("/complaints/{r}/stage3?code=")),
        "{page}"
    );

    // The resident asks for Stage 3 over the API; staff may not answer it before acknowledging.
    let (status, v, _) = post_json(
        &api.c,
        &s.url(&format!("/complaints/{r}/stage3?code={code}")),
        None,
        &json!({"reason": "The visits are still being missed."}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["status"], "stage3_requested");
    let (status, p) = api
        .post(
            &t.officer,
            &format!("/staff/complaints/{r}/stage3"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "asked twice: {p}");
    let (status, v) = api
        .post(&t.officer, &format!("/staff/complaints/{r}/acknowledgement"),
            json!({"reviewer": "sam@p3.example", "complaint_points": ["Visits missed after the review"]}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "stage3_acknowledged");

    // The Stage 3 response needs a senior manager who has not handled an earlier stage.
    let final_answer = response("Visits missed after the review", "upheld");
    let (status, _) = api
        .post(
            &t.im,
            &format!("/staff/complaints/{r}/stage3-response"),
            final_answer.clone(),
        )
        .await;
    assert_eq!(status, 403);
    let (status, p) = api
        .post(
            &t.senior,
            &format!("/staff/complaints/{r}/stage3-response"),
            final_answer.clone(),
        )
        .await;
    assert_eq!(status, 409, "{p}");
    let (status, p) = api
        .post(
            &other_senior,
            &format!("/staff/complaints/{r}/stage3-response"),
            json!({"outcome": "upheld"}),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    let (status, v) = api
        .post(
            &other_senior,
            &format!("/staff/complaints/{r}/stage3-response"),
            final_answer,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "closed");
    assert!(
        v["housing_ombudsman"]
            .as_str()
            .unwrap()
            .contains("PO Box 152"),
        "{v}"
    );
    let letters: Vec<&str> = v["letters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["subject"].as_str().unwrap())
        .collect();
    assert!(letters.iter().any(|l| l.contains("Stage 3")), "{letters:?}");

    // The reports count it in their support-services section, never in the housing figures or
    // the TSMs.
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let report = api
        .read(&t.auditor, &format!("/staff/reports/monthly?month={month}"))
        .await;
    let ss = &report["support_services"];
    assert_eq!(ss["stage1"]["received"], 1, "{ss}");
    assert_eq!(ss["stage2"]["received"], 1, "{ss}");
    assert_eq!(ss["stage3"]["received"], 1, "{ss}");
    assert_eq!(ss["stage3"]["responded"], 1, "{ss}");
    assert_eq!(ss["stage3"]["acknowledged_within_timescale"], 1, "{ss}");
    assert_eq!(ss["escalations"], 2, "{ss}");
    assert_eq!(report["stage1"]["received"], 1, "housing only: {report}");
    assert_eq!(report["stage2"]["received"], 1, "housing only: {report}");
    assert_eq!(report["outcomes"]["upheld"], 0, "housing only: {report}");
    let html = api
        .c
        .get(s.url(&format!("/staff/reports/monthly?month={month}&format=html")))
        .bearer_auth(&t.auditor)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h2>Support services</h2>"), "{html}");
    assert!(html.contains("<th class=\"n\">Stage 3</th>"), "{html}");
}

#[tokio::test]
async fn without_javascript_a_three_megabyte_pdf_goes_with_the_stage3_request_and_is_on_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let api = Api { s: &s, c: client() };
    let (r, code) = api
        .answered_at_stage1(&t, "support_services", "support_services")
        .await;
    api.answered_at_stage2(&t, &r).await;

    // The Stage 3 page's form, as a browser without JavaScript sends it: the reason and a file
    // over axum's 2 MB default body limit (well within the 10 MB a file may be), in one post.
    let url = s.url(&format!("/complaints/{r}/stage3?code={code}"));
    let form = page(&api.c, &url).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(form.html.contains("enctype=\"multipart/form-data\""));
    let csrf = attr_after(&form.html, "name=\"csrf_token\"", "value").unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("reason", "The visits are still being missed."),
    ];
    let pdf = pdf_of(3 * 1024 * 1024);
    let (status, location, body) = post_page(
        &api.c,
        &url,
        form.cookie.as_deref().unwrap(),
        page_body(&fields, &[("visit log.pdf", pdf.clone())]),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert!(
        location.starts_with(&format!("/complaints/{r}")),
        "{location}"
    );

    // The request is made and the file is on the case, unchanged.
    let case = api
        .read(&t.officer, &format!("/staff/complaints/{r}"))
        .await;
    assert_eq!(case["status"], "stage3_requested", "{case}");
    let files = case["attachments"].as_array().expect("attachments");
    assert_eq!(files.len(), 1, "{case}");
    assert_eq!(files[0]["filename"], "visit log.pdf");
    assert_eq!(files[0]["size"], pdf.len());
    assert_eq!(files[0]["sha256"], sha(&pdf));
}
