//! Residents' files over real HTTP against a running `p3 serve` (issue 15 item 5): the JSON API
//! hands out upload forms, the browser posts each file into the local inbox with its form, and
//! the complaint or Stage 2 request names the slots; the files are then on the resident's case,
//! downloadable by staff unchanged. At most five; the type told from the content; 413 past
//! 10 MB; a form only writes its own slot, until it expires; a refused request writes nothing.

mod support;

use serde_json::{json, Value};
use support::files::*;
use support::*;

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec()
}

fn complaint_body(attachments: &[&str]) -> Value {
    json!({
        "name": "Ada Resident",
        "email": "ada.resident@example.org",
        "description": "Damp and black mould in the back bedroom since October.",
        "category": "repairs",
        "attachments": attachments,
    })
}

/// `n` upload forms from the JSON API.
async fn forms(s: &Server, c: &reqwest::Client, n: usize) -> Vec<Value> {
    let (status, body, _) =
        post_json(c, &s.url("/complaints/uploads"), None, &json!({"count": n})).await;
    assert_eq!(status, 201, "{body}");
    let forms = body["forms"].as_array().unwrap().clone();
    assert_eq!(forms.len(), n);
    forms
}

/// The multipart body a browser sends for `form`: its fields in order, the file last.
fn inbox_body(fields: &[(String, String)], filename: &str, bytes: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(bytes);
    b.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

fn fields_of(form: &Value) -> Vec<(String, String)> {
    form["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Posts a file with its form; the status and the answer.
async fn send(c: &reqwest::Client, form: &Value, filename: &str, bytes: &[u8]) -> (u16, Value) {
    let (status, body, _) = upload(
        c,
        form["url"].as_str().unwrap(),
        None,
        inbox_body(&fields_of(form), filename, bytes),
    )
    .await;
    (status, body)
}

fn slot(form: &Value) -> &str {
    form["slot"].as_str().unwrap()
}

async fn case_count(s: &Server, c: &reqwest::Client, auditor: &str) -> u64 {
    let (status, list) = get_json(c, &s.url("/staff/complaints?limit=1000"), Some(auditor)).await;
    assert_eq!(status, 200, "{list}");
    list["count"].as_u64().unwrap()
}

#[tokio::test]
async fn a_png_and_a_pdf_sent_with_the_complaint_are_on_the_case_and_staff_download_them_unchanged()
{
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let f = forms(&s, &c, 2).await;
    assert!(f[0]["url"].as_str().unwrap().starts_with(&s.base));
    assert_ne!(slot(&f[0]), slot(&f[1]));
    assert_eq!(send(&c, &f[0], "damp bedroom.png", &png()).await.0, 204);
    assert_eq!(
        send(&c, &f[1], "../../etc/inspection.pdf", &pdf()).await.0,
        204
    );
    // Kept by slot, never by the name it came with.
    let mut slots = vec![slot(&f[0]).to_string(), slot(&f[1]).to_string()];
    slots.sort();
    assert_eq!(waiting(&s), slots);

    let (status, created, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &complaint_body(&[slot(&f[0]), slot(&f[1])]),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let r = created["reference"].as_str().unwrap();
    let code = created["access_code"].as_str().unwrap();
    let files = created["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{created}");
    assert_eq!(files[0]["filename"], "damp bedroom.png");
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["size"], png().len());
    assert!(files[0]["added_at"].is_string());
    assert_eq!(files[1]["filename"], "inspection.pdf");
    assert_eq!(files[1]["content_type"], "application/pdf");
    // Taken out of the inbox once kept with the case.
    assert_eq!(waiting(&s), Vec::<String>::new());

    // The resident sees them on their case.
    let (status, view) = get_json(&c, &s.url(&format!("/complaints/{r}?code={code}")), None).await;
    assert_eq!(status, 200);
    assert_eq!(view["files"], created["files"]);

    // Staff download each with the same SHA-256; the case records the resident sent them.
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    let attachments = case["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{case}");
    for (a, bytes) in attachments.iter().zip([png(), pdf()]) {
        assert_eq!(a["sha256"], sha(&bytes));
        let id = a["id"].as_str().unwrap();
        let res = c
            .get(s.url(&format!("/staff/complaints/{r}/attachments/{id}")))
            .bearer_auth(&t.auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(sha(&res.bytes().await.unwrap()), sha(&bytes));
    }
    assert_eq!(stored_files(dir.path()).len(), 2);

    // The evidence pack's zip holds both, unchanged, with their SHA-256 in SHA256SUMS.
    let res = c
        .get(s.url(&format!("/staff/complaints/{r}/evidence?format=zip")))
        .bearer_auth(&t.senior)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let zipped = res.bytes().await.unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zipped.as_ref())).expect("a zip");
    let mut sums = String::new();
    std::io::Read::read_to_string(&mut z.by_name("SHA256SUMS").unwrap(), &mut sums).unwrap();
    for (a, bytes) in attachments.iter().zip([png(), pdf()]) {
        let id = a["id"].as_str().unwrap();
        let name = (0..z.len())
            .map(|i| z.by_index(i).unwrap().name().to_string())
            .find(|n| n.starts_with(&format!("attachments/{id}-")))
            .expect("the file is in the zip");
        let mut kept = Vec::new();
        std::io::Read::read_to_end(&mut z.by_name(&name).unwrap(), &mut kept).unwrap();
        assert_eq!(kept, bytes);
        assert!(sums.contains(&format!("{}  {name}", sha(&bytes))), "{sums}");
    }
}

#[tokio::test]
async fn more_than_five_files_are_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (status, problem, _) = post_json(
        &c,
        &s.url("/complaints/uploads"),
        None,
        &json!({"count": 6}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["count"]);

    let f = forms(&s, &c, 5).await;
    let more = forms(&s, &c, 1).await;
    for form in f.iter().chain(&more) {
        assert_eq!(send(&c, form, "photo.png", &png()).await.0, 204);
    }
    let mut six: Vec<&str> = f.iter().map(slot).collect();
    six.push(slot(&more[0]));
    let (status, problem, _) =
        post_json(&c, &s.url("/complaints"), None, &complaint_body(&six)).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["attachments"]);
    assert_eq!(case_count(&s, &c, &t.auditor).await, 0);
    assert_eq!(waiting(&s).len(), 6, "a refused complaint loses no file");

    // Five go with the complaint; a sixth with the Stage 2 request is refused.
    let (status, created, _) =
        post_json(&c, &s.url("/complaints"), None, &complaint_body(&six[..5])).await;
    assert_eq!(status, 201, "{created}");
    let r = created["reference"].as_str().unwrap().to_string();
    let code = created["access_code"].as_str().unwrap().to_string();
    respond_to_stage1(&s, &c, &t, &r).await;
    let (status, problem, _) = post_json(
        &c,
        &s.url(&format!("/complaints/{r}/stage2?code={code}")),
        None,
        &json!({"reason": "Still damp.", "attachments": [six[5]]}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["attachments"]);
    let (_, view) = get_json(&c, &s.url(&format!("/complaints/{r}?code={code}")), None).await;
    assert_eq!(view["status"], "responded", "the request was not recorded");
    assert_eq!(view["files"].as_array().unwrap().len(), 5);
    assert_eq!(stored_files(dir.path()).len(), 5);
    assert_eq!(waiting(&s), vec![six[5].to_string()]);
}

async fn respond_to_stage1(s: &Server, c: &reqwest::Client, t: &Staffs, r: &str) {
    let (status, body, _) = post_json(
        c,
        &s.url(&format!("/staff/complaints/{r}/acknowledgement")),
        Some(&t.officer),
        &json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Damp"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = post_json(
        c,
        &s.url(&format!("/staff/complaints/{r}/stage1-response")),
        Some(&t.im),
        &json!({"outcome": "not_upheld", "summary": "The damp was treated.",
                "point_decisions": [{"point": "Damp", "decision": "not_upheld", "reason": "Treated in November."}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_file_sent_with_the_stage2_request_is_on_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (status, created, _) =
        post_json(&c, &s.url("/complaints"), None, &complaint_body(&[])).await;
    assert_eq!(status, 201, "{created}");
    // Without files the answer reads as it always has: no `files`.
    assert!(created.get("files").is_none(), "{created}");
    let r = created["reference"].as_str().unwrap().to_string();
    let code = created["access_code"].as_str().unwrap().to_string();
    respond_to_stage1(&s, &c, &t, &r).await;
    let f = forms(&s, &c, 1).await;
    assert_eq!(send(&c, &f[0], "still damp.pdf", &pdf()).await.0, 204);
    let (status, view, _) = post_json(
        &c,
        &s.url(&format!("/complaints/{r}/stage2?code={code}")),
        None,
        &json!({"reason": "Still damp.", "attachments": [slot(&f[0])]}),
    )
    .await;
    assert_eq!(status, 201, "{view}");
    assert_eq!(view["status"], "stage2_requested");
    assert_eq!(view["files"][0]["filename"], "still damp.pdf");
    assert_eq!(waiting(&s), Vec::<String>::new());
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(case["attachments"][0]["sha256"], sha(&pdf()));
}

#[tokio::test]
async fn a_pdf_named_png_is_refused_with_a_clear_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let f = forms(&s, &c, 2).await;
    assert_eq!(send(&c, &f[0], "photo.png", &png()).await.0, 204);
    assert_eq!(send(&c, &f[1], "photo2.png", &pdf()).await.0, 204);
    let (status, problem, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &complaint_body(&[slot(&f[0]), slot(&f[1])]),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["attachments[1]"]);
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("PNG") && message.contains("PDF"),
        "{message}"
    );
    assert_eq!(case_count(&s, &c, &t.auditor).await, 0);
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
    assert_eq!(waiting(&s).len(), 2);

    // A slot with nothing in it, or not one the service named, is refused as well.
    let empty = forms(&s, &c, 1).await;
    let (status, problem, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &complaint_body(&[slot(&f[0]), slot(&empty[0]), "../../p3.db"]),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["attachments[2]"]);
    let (status, problem, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &complaint_body(&[slot(&f[0]), slot(&empty[0])]),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["attachments[1]"]);

    // A complaint refused for its own fields keeps no file and opens no case.
    let mut body = complaint_body(&[slot(&f[0])]);
    body["description"] = json!("");
    let (status, problem, _) = post_json(&c, &s.url("/complaints"), None, &body).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(case_count(&s, &c, &t.auditor).await, 0);
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_file_over_10_mb_is_refused_413_and_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let f = forms(&s, &c, 1).await;
    let mut big = png();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let (status, problem) = send(&c, &f[0], "huge.png", &big).await;
    assert_eq!(status, 413, "{problem}");
    assert_eq!(waiting(&s), Vec::<String>::new());
    // Exactly 10 MB is taken.
    big.truncate(10 * 1024 * 1024);
    assert_eq!(send(&c, &f[0], "big.png", &big).await.0, 204);
}

#[tokio::test]
async fn a_tampered_or_reused_form_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let f = forms(&s, &c, 2).await;
    let base = fields_of(&f[0]);
    let post = |url: String, fields: Vec<(String, String)>| {
        let c = c.clone();
        async move {
            upload(&c, &url, None, inbox_body(&fields, "photo.png", &png()))
                .await
                .0
        }
    };
    // Another slot's URL with this form.
    let other = f[1]["url"].as_str().unwrap().to_string();
    assert_eq!(post(other, base.clone()).await, 403);
    // A later expiry.
    let mut later = base.clone();
    later[0].1 = (later[0].1.parse::<i64>().unwrap() + 3600).to_string();
    assert_eq!(post(f[0]["url"].as_str().unwrap().into(), later).await, 403);
    // A redirect elsewhere.
    let mut away = base.clone();
    away.insert(1, ("redirect".into(), "https://evil.example/".into()));
    assert_eq!(post(f[0]["url"].as_str().unwrap().into(), away).await, 403);
    // A slot that is not one.
    let url = f[0]["url"]
        .as_str()
        .unwrap()
        .replace(slot(&f[0]), "..%2F..%2Fp3.db");
    assert_eq!(post(url, base.clone()).await, 404);
    assert_eq!(waiting(&s), Vec::<String>::new());
    // The form itself works once; it does not overwrite its slot.
    assert_eq!(send(&c, &f[0], "photo.png", &png()).await.0, 204);
    assert_eq!(send(&c, &f[0], "other.pdf", &pdf()).await.0, 409);
    assert_eq!(waiting(&s), vec![slot(&f[0]).to_string()]);
}

#[tokio::test]
async fn an_expired_form_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let early = Server::start_args(
        dir.path(),
        None,
        &["--port", "0", "--now", "2026-03-02T10:00:00Z"],
    );
    let c = client();
    let f = forms(&early, &c, 1).await;
    assert!(f[0]["expires_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-02T10:3"));
    early.stop();
    let later = Server::start_args(
        dir.path(),
        None,
        &["--port", "0", "--now", "2026-03-02T10:31:00Z"],
    );
    // The same form, on the server as it now runs.
    let mut form = f[0].clone();
    form["url"] = json!(later.url(&format!("/uploads/{}", slot(&f[0]))));
    let (status, problem) = send(&c, &form, "photo.png", &png()).await;
    assert_eq!(status, 403, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("expired"));
    assert_eq!(waiting(&later), Vec::<String>::new());
}

#[tokio::test]
async fn the_complaint_page_takes_files_without_javascript_and_shows_them_on_the_case_page() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let res = c.get(s.url("/")).send().await.unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = res.text().await.unwrap();
    assert!(page.contains("enctype=\"multipart/form-data\""));
    assert!(page.contains("type=\"file\""));
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).unwrap() + marker.len();
        page[start..start + page[start..].find('"').unwrap()].to_string()
    };
    let csrf = hidden("csrf_token");
    let key = hidden("idempotency_key");
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("email", "ada@example.org"),
        ("description", "Mould in the bathroom."),
    ];
    let post = |body: Vec<u8>| {
        c.post(s.url("/complaints"))
            .header("cookie", &cookie)
            .header("accept", "text/html")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
    };
    // A PDF named .png comes back with the error next to the file input, and no case.
    let res = post(page_body(&fields, &[("mould.png", pdf())]))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let again = res.text().await.unwrap();
    assert!(again.contains("id=\"attachments-error\""), "{again}");
    assert!(again.contains("File 1: "), "{again}");
    assert!(
        again.contains("href=\"#attachments\""),
        "the summary links to the input"
    );
    assert_eq!(case_count(&s, &c, &t.auditor).await, 0);
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());

    let res = post(page_body(
        &fields,
        &[("mould.png", png()), ("report.pdf", pdf())],
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let confirmation = res.headers()["location"].to_str().unwrap().to_string();
    let case_url = confirmation.replace("/confirmation", "");
    let case_page = c
        .get(s.url(&case_url))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case_page.contains("Files you sent us"), "{case_page}");
    assert!(case_page.contains("mould.png"));
    assert!(case_page.contains("report.pdf"));
    assert_eq!(stored_files(dir.path()).len(), 2);
}
