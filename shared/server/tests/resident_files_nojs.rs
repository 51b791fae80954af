//! Residents' files without JavaScript, over real HTTP against a running `p3 serve` (issue 15
//! items 5 and 7): the files step posts each file straight into the upload inbox with a form
//! that IS an inbox form (its fields hidden, the file last), the inbox sends the browser back
//! to the step, which lists what arrived, and "Continue" carries the slots to the complaint
//! form or the review request form, which then post only text and slot names. Files of 6 MB
//! go through, more than the service takes in a request on AWS. Then the resident downloads
//! the files they sent from their case page, by their access code only, never staff's files;
//! and an upload form past its expiry is refused. A refusal is a page with a way back for a
//! browser, problem+json for an API client.

mod support;

use serde_json::json;
use support::files::*;
use support::nojs::*;
use support::*;

/// What a browser sends as `Accept` when it posts a form.
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The answer as an API client gets it: problem+json with `status` and a detail saying `what`.
fn refusal_problem(p: &Page, status: u16, what: &str) {
    assert_eq!(p.status, status, "{}", p.html);
    assert_eq!(header(p, "content-type"), "application/problem+json");
    let problem: serde_json::Value = serde_json::from_str(&p.html).unwrap();
    assert_eq!(problem["status"], status);
    assert!(p.html.contains(what), "{}", p.html);
}

#[tokio::test]
async fn without_javascript_two_six_megabyte_files_go_through_the_inbox_with_the_complaint() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();

    // The form offers the files step before anything is typed.
    let form = page(&c, &s.url("/")).await;
    assert!(
        form.html.contains("href=\"/complaints/files\""),
        "{}",
        form.html
    );

    let (png, pdf) = (big_png(), big_pdf());
    let next = through_the_step(
        &s,
        &c,
        "/complaints/files",
        &[("bathroom.png", png.clone()), ("survey.pdf", pdf.clone())],
    )
    .await;
    assert!(next.starts_with("/?attachments="), "{next}");
    assert_eq!(waiting(&s).len(), 2);

    // The form carries both, by name and size, as hidden slots.
    let form = page(&c, &s.url(&next)).await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("Files you are sending"), "{}", form.html);
    assert!(form.html.contains("bathroom.png (6.0 MB)"), "{}", form.html);
    assert_eq!(
        form.html.matches("name=\"attachments\" value=\"").count(),
        2
    );
    let cookie = form.cookie.clone().unwrap();
    let csrf = attr_after(&form.html, "name=\"csrf_token\"", "value").unwrap();
    let key = attr_after(&form.html, "name=\"idempotency_key\"", "value").unwrap();

    // Sent with a field missing: the error is named, the files still carried.
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("description", "Mould in the bathroom."),
    ];
    let body = text_only_form(&fields, &form.html);
    assert!(body.len() < 10_000, "the form posts text and slots only");
    let (status, _, again) = post_page(&c, &s.url("/complaints"), &cookie, body).await;
    assert_eq!(status, 422, "{again}");
    assert!(again.contains("href=\"#email\""), "{again}");
    assert!(again.contains("Mould in the bathroom."));
    assert_eq!(
        again.matches("name=\"attachments\" value=\"").count(),
        2,
        "{again}"
    );

    let fields = [
        ("csrf_token", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("description", "Mould in the bathroom."),
        ("email", "ada@example.org"),
    ];
    let (status, location, body) = post_page(
        &c,
        &s.url("/complaints"),
        &cookie,
        text_only_form(&fields, &again),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(waiting(&s).len(), 0, "the inbox gave up both files");
    let r = location
        .trim_start_matches("/complaints/")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    let files = case["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{case}");
    assert_eq!(files[0]["filename"], "bathroom.png");
    assert_eq!(files[0]["size"], png.len());
    assert_eq!(files[0]["sha256"], sha(&png));
    assert_eq!(files[1]["filename"], "survey.pdf");
    assert_eq!(files[1]["content_type"], "application/pdf");
    assert_eq!(files[1]["sha256"], sha(&pdf));
    assert!(
        !s.logs().contains("bathroom.png") && !s.logs().contains("survey.pdf"),
        "no file name in the logs"
    );
}

#[tokio::test]
async fn the_files_step_lists_drops_and_refuses_what_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let next = through_the_step(
        &s,
        &c,
        "/complaints/files",
        &[
            ("notes.pdf", big_pdf()),
            ("program.pdf", b"MZ\x90\0 not a pdf".to_vec()),
        ],
    )
    .await;
    let slots: Vec<&str> = next
        .split("attachments=")
        .skip(1)
        .map(|s| s.trim_end_matches('&'))
        .collect();
    assert_eq!(slots.len(), 2);

    // A slot never handed out, and the same slot twice, are dropped from the list; "Remove"
    // leaves a file out.
    let p = page(
        &c,
        &s.url(&format!(
            "/complaints/files?attachments={}&attachments={}&attachments=..%2Fetc",
            slots[0], slots[0]
        )),
    )
    .await;
    assert_eq!(p.status, 200);
    assert_eq!(p.html.matches("Remove<span").count(), 1, "{}", p.html);
    let remove = attr_after(&p.html, "<dd class=\"summary-list__value\"><a", "href").unwrap();
    assert_eq!(remove, "/complaints/files");

    // S3's redirect adds the object's key (which ends with the file's name): the step sends the
    // browser on to its own address without it.
    let p = page(
        &c,
        &s.url(&format!(
            "/complaints/files?attachments={}&bucket=b&key=incoming%2F{}%2Fnotes.pdf&etag=%22x%22",
            slots[0], slots[0]
        )),
    )
    .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        header(&p, "location"),
        format!("/complaints/files?attachments={}", slots[0])
    );

    // The file whose content is not what its name says is refused when the form is sent,
    // named on the file input ("File 2"); the other stays carried, nothing is written.
    let form = page(&c, &s.url(&next)).await;
    let cookie = form.cookie.clone().unwrap();
    let csrf = attr_after(&form.html, "name=\"csrf_token\"", "value").unwrap();
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("description", "Damp."),
        ("email", "ada@example.org"),
    ];
    let (status, _, again) = post_page(
        &c,
        &s.url("/complaints"),
        &cookie,
        text_only_form(&fields, &form.html),
    )
    .await;
    assert_eq!(status, 422, "{again}");
    assert!(again.contains("id=\"attachments-error\""), "{again}");
    assert!(again.contains("File 2: "), "{again}");
    assert_eq!(again.matches("name=\"attachments\" value=\"").count(), 1);
    assert!(again.contains(slots[0]) && !again.contains(slots[1]));
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());

    // A file over 10 MB is refused by the inbox itself (413): a browser, once it has sent it
    // all, gets a page linking back to the step the form came from (its `redirect`); an API
    // client problem+json. Nothing is kept; an empty file is refused too.
    let p = page(&c, &s.url("/complaints/files")).await;
    let (action, fields) = upload_form(&p.html);
    let back = &fields.iter().find(|(k, _)| k == "redirect").unwrap().1;
    let huge = vec![b'a'; 11 * 1024 * 1024];
    let refused = send_upload(&c, &action, &fields, "huge.pdf", &huge, Some(BROWSER)).await;
    refusal_page(&refused, 413, "Your file is too large", back);
    assert!(
        refused.html.contains("10 MB or smaller"),
        "{}",
        refused.html
    );
    let over = &huge[..10 * 1024 * 1024 + 1];
    let refused = send_upload(&c, &action, &fields, "huge.pdf", over, None).await;
    refusal_problem(&refused, 413, "10 MB or smaller");
    // A body declaring far more is read to its end too, so the client sees the 413.
    let far_over = vec![b'a'; 30 * 1024 * 1024];
    let refused = send_upload(&c, &action, &fields, "huge.pdf", &far_over, None).await;
    refusal_problem(&refused, 413, "10 MB or smaller");
    let refused = send_upload(&c, &action, &fields, "empty.pdf", b"", Some(BROWSER)).await;
    refusal_page(&refused, 422, "The file you chose is empty", back);
    assert!(waiting(&s).len() == 2, "only the two files sent before");
}

async fn answered_stage1(s: &Server, c: &reqwest::Client, t: &Staffs) -> (String, String) {
    let (status, created, _) = post_json(
        c,
        &s.url("/complaints"),
        None,
        &json!({"email": "ada@example.org", "description": "Damp in the back bedroom."}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let r = created["reference"].as_str().unwrap().to_string();
    let code = created["access_code"].as_str().unwrap().to_string();
    for (path, token, body) in [
        (
            "acknowledgement",
            &t.officer,
            json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Damp"]}),
        ),
        (
            "stage1-response",
            &t.im,
            json!({"outcome": "not_upheld", "summary": "The damp was treated.",
                   "point_decisions": [{"point": "Damp", "decision": "not_upheld", "reason": "Treated in November."}]}),
        ),
    ] {
        let (status, answer, _) = post_json(
            c,
            &s.url(&format!("/staff/complaints/{r}/{path}")),
            Some(token),
            &body,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    (r, code)
}

#[tokio::test]
async fn without_javascript_a_six_megabyte_file_goes_with_a_stage2_request_and_the_resident_downloads_it(
) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (r, code) = answered_stage1(&s, &c, &t).await;

    // The request form links to its files step; a wrong code opens neither.
    let own = page(&c, &s.url(&format!("/complaints/{r}/stage2?code={code}"))).await;
    let step = format!("/complaints/{r}/stage2/files?code={code}");
    assert!(
        own.html.contains(&step.replace('&', "&amp;")) || own.html.contains(&step),
        "{}",
        own.html
    );
    let wrong = page(
        &c,
        &s.url(&format!("/complaints/{r}/stage2/files?code=WRONG-CODE")),
    )
    .await;
    assert_eq!(wrong.status, 404);

    let photo = big_png();
    let next = through_the_step(&s, &c, &step, &[("window.png", photo.clone())]).await;
    let next = unescape(&next);
    assert!(
        next.starts_with(&format!("/complaints/{r}/stage2?code={code}&attachments=")),
        "{next}"
    );
    let request = page(&c, &s.url(&next)).await;
    assert!(
        request.html.contains("window.png (6.0 MB)"),
        "{}",
        request.html
    );
    let cookie = request.cookie.clone().unwrap();
    let csrf = attr_after(&request.html, "name=\"csrf_token\"", "value").unwrap();
    let fields = [("csrf_token", csrf.as_str()), ("reason", "Still damp.")];
    let (status, location, body) = post_page(
        &c,
        &s.url(&format!("/complaints/{r}/stage2?code={code}")),
        &cookie,
        text_only_form(&fields, &request.html),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert!(location.starts_with(&format!("/complaints/{r}?code=")));

    // A file of staff's on the same case.
    let (status, staff_file, _) = upload(
        &c,
        &s.url(&format!("/staff/complaints/{r}/attachments")),
        Some(&t.officer),
        form("inspection.png", &png(), "Inspection photo"),
    )
    .await;
    assert_eq!(status, 201, "{staff_file}");

    // The case page links the resident's own file, and only it; the link downloads it.
    let case_page = page(&c, &s.url(&format!("/complaints/{r}?code={code}"))).await;
    assert!(case_page.html.contains("window.png"));
    assert!(!case_page.html.contains("inspection.png"));
    let link = unescape(&attr_after(&case_page.html, "Files you sent us", "href").unwrap());
    assert!(
        link.starts_with(&format!("/complaints/{r}/files/")),
        "{link}"
    );
    let res = c.get(s.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert!(h["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"window.png\""));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h["cache-control"].to_str().unwrap().contains("no-store"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());

    // A wrong code cannot download it; staff's file is not the resident's, whatever the code.
    let id = link
        .split("/files/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let res = c
        .get(s.url(&format!(
            "/complaints/{r}/files/{id}?code=AAAA-BBBB-CCCC-DDDD"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let staff_id = staff_file["id"].as_str().unwrap();
    let res = c
        .get(s.url(&format!("/complaints/{r}/files/{staff_id}?code={code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = c
        .get(s.url(&format!("/complaints/{r}/files/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "no code, no file");

    // Once the review is asked for, the step sends the browser to the request page, which says why.
    let p = page(&c, &s.url(&step)).await;
    assert_eq!(p.status, 303);
    assert_eq!(
        unescape(&header(&p, "location")),
        format!("/complaints/{r}/stage2?code={code}")
    );
}

#[tokio::test]
async fn an_upload_form_past_its_expiry_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let handed_out = "2026-06-01T10:00:00Z";
    let s = Server::start_args(dir.path(), None, &["--port", "0", "--now", handed_out]);
    let c = client();
    let p = page(&c, &s.url("/complaints/files")).await;
    let (action, fields) = upload_form(&p.html);
    let expires: i64 = fields
        .iter()
        .find(|(k, _)| k == "expires")
        .unwrap()
        .1
        .parse()
        .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(handed_out)
        .unwrap()
        .timestamp();
    assert_eq!(
        expires - at,
        30 * 60,
        "FORM_LIFETIME_MINUTES after it was handed out"
    );
    s.stop();

    // The same data dir (and signing key), 31 minutes later.
    let s = Server::start_args(
        dir.path(),
        None,
        &["--port", "0", "--now", "2026-06-01T10:31:00Z"],
    );
    let slot_path = action.split("/uploads/").nth(1).unwrap();
    let inbox = s.url(&format!("/uploads/{slot_path}"));
    // A browser gets a page saying so, with a link back to the files step the form came from
    // (its `redirect`); an API client gets problem+json.
    let back = &fields.iter().find(|(k, _)| k == "redirect").unwrap().1;
    assert!(back.starts_with("/complaints/files?attachments="), "{back}");
    let late = send_upload(&c, &inbox, &fields, "late.png", &png(), Some(BROWSER)).await;
    refusal_page(&late, 403, "This upload form has expired", back);
    assert!(late.html.contains("30 minutes"), "{}", late.html);
    let late = send_upload(&c, &inbox, &fields, "late.png", &png(), None).await;
    refusal_problem(&late, 403, "This upload form has expired");
    assert_eq!(waiting(&s).len(), 0, "nothing was kept");

    // A form whose `redirect` was changed to another site is refused as forged, and its page
    // never links there: only to the start.
    for elsewhere in [
        "https://evil.example/files",
        "//evil.example/files",
        "/\\evil.example",
    ] {
        let forged: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| match k.as_str() {
                "redirect" => (k.clone(), elsewhere.to_string()),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        let p = send_upload(&c, &inbox, &forged, "late.png", &png(), Some(BROWSER)).await;
        refusal_page(&p, 403, "This upload form cannot be used", "/");
        assert!(!p.html.contains("evil.example"), "{}", p.html);
    }

    // Within its lifetime the same form is taken.
    s.stop();
    let s = Server::start_args(
        dir.path(),
        None,
        &["--port", "0", "--now", "2026-06-01T10:29:00Z"],
    );
    let inbox = s.url(&format!("/uploads/{slot_path}"));
    let taken = send_upload(&c, &inbox, &fields, "late.png", &png(), Some(BROWSER)).await;
    assert_eq!(taken.status, 303, "{}", taken.html);
    assert!(header(&taken, "location").starts_with("/complaints/files?attachments="));
}
