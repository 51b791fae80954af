//! The resident's pages with JavaScript (issue 15 items 5 and 7), over real HTTP against a
//! running `p3 serve`: the pages load our own upload script under a policy that lets it run and
//! post only to our origin and the inbox's; the script posts each file into the inbox and sends
//! the page's form with the slots (text fields `attachments`) instead of the files. These tests
//! send what the script sends, and check the page handlers take it as the JSON API does: the
//! files on the case in the same write, the type told from the content, a refused file shown
//! next to the file input with nothing written and the file still waiting in the inbox.

mod support;

use serde_json::json;
use support::files::*;
use support::*;

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec()
}

/// A page as a browser gets it: its body, its policy and the cookie it sets (if any).
struct Page {
    status: u16,
    html: String,
    csp: String,
    cookie: Option<String>,
}

async fn page(c: &reqwest::Client, url: &str) -> Page {
    let res = c
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let csp = res
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let cookie = res.headers().get("set-cookie").map(|v| {
        let v = v.to_str().unwrap();
        v.split(';').next().unwrap().to_string()
    });
    Page {
        status,
        html: res.text().await.unwrap(),
        csp,
        cookie,
    }
}

impl Page {
    fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.html.find(&marker).expect(name) + marker.len();
        self.html[start..start + self.html[start..].find('"').unwrap()].to_string()
    }

    /// The policy lets our own script run and post to our origin only (locally the inbox is
    /// ours), never inline script or eval.
    fn runs_the_upload_script(&self, base: &str) {
        assert!(
            self.html
                .contains("<script src=\"/assets/upload.js\" defer></script>"),
            "{}",
            self.html
        );
        assert!(self.csp.contains("default-src 'none'"), "{}", self.csp);
        assert!(self.csp.contains("script-src 'self'"), "{}", self.csp);
        assert!(
            self.csp.contains(&format!(
                "connect-src 'self' {}",
                base.trim_end_matches('/')
            )),
            "{} ({base})",
            self.csp
        );
        assert!(self.csp.contains("form-action 'self'"), "{}", self.csp);
        assert!(!self.csp.contains("unsafe"), "{}", self.csp);
    }
}

/// One upload form per file from the JSON API, each file posted into its slot as the script
/// does: the slots, in order.
async fn into_inbox(s: &Server, c: &reqwest::Client, files: &[(&str, Vec<u8>)]) -> Vec<String> {
    let (status, body, _) = post_json(
        c,
        &s.url("/complaints/uploads"),
        None,
        &json!({"count": files.len()}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mut slots = Vec::new();
    for (form, (name, bytes)) in body["forms"].as_array().unwrap().iter().zip(files) {
        let mut b = Vec::new();
        for pair in form["fields"].as_array().unwrap() {
            b.extend(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
                    pair[0].as_str().unwrap(),
                    pair[1].as_str().unwrap()
                )
                .as_bytes(),
            );
        }
        b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        b.extend_from_slice(bytes);
        b.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let (status, answer, _) = upload(c, form["url"].as_str().unwrap(), None, b).await;
        assert_eq!(status, 204, "{answer}");
        slots.push(form["slot"].as_str().unwrap().to_string());
    }
    slots
}

/// The page's form as the script sends it: multipart, its text fields and one `attachments`
/// field a slot, and no file part.
fn form_with_slots(fields: &[(&str, &str)], slots: &[String]) -> Vec<u8> {
    let mut b = Vec::new();
    let slot_fields = slots.iter().map(|s| ("attachments", s.as_str()));
    for (k, v) in fields.iter().copied().chain(slot_fields) {
        b.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    assert!(!String::from_utf8_lossy(&b).contains("filename="));
    b
}

async fn post_page(
    c: &reqwest::Client,
    url: &str,
    cookie: &str,
    body: Vec<u8>,
) -> (u16, String, Option<String>) {
    let res = c
        .post(url)
        .header("cookie", cookie)
        .header("accept", "text/html")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, res.text().await.unwrap(), location)
}

/// The files waiting in the local inbox (ignoring their names' companions).
fn waiting(s: &Server) -> usize {
    std::fs::read_dir(s.data_dir.join("incoming"))
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().ends_with(".name"))
                .count()
        })
        .unwrap_or(0)
}

async fn case_count(s: &Server, c: &reqwest::Client, auditor: &str) -> u64 {
    let (status, list) = get_json(c, &s.url("/staff/complaints?limit=1000"), Some(auditor)).await;
    assert_eq!(status, 200, "{list}");
    list["count"].as_u64().unwrap()
}

#[tokio::test]
async fn the_complaint_form_takes_the_slots_the_script_sent_and_the_files_are_on_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let form = page(&c, &s.url("/")).await;
    assert_eq!(form.status, 200);
    form.runs_the_upload_script(&s.base);
    let cookie = form.cookie.clone().unwrap();
    let (csrf, key) = (form.hidden("csrf_token"), form.hidden("idempotency_key"));
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("email", "ada@example.org"),
        ("description", "Mould in the bathroom."),
    ];

    // A PDF named .png, sent through the inbox: refused next to the file input, no case, and
    // the file still waits in the inbox (a refused form loses nothing).
    let bad = into_inbox(&s, &c, &[("mould.png", pdf())]).await;
    let (status, again, _) = post_page(
        &c,
        &s.url("/complaints"),
        &cookie,
        form_with_slots(&fields, &bad),
    )
    .await;
    assert_eq!(status, 422, "{again}");
    assert!(again.contains("id=\"attachments-error\""), "{again}");
    assert!(again.contains("File 1: "), "{again}");
    assert!(again.contains("href=\"#attachments\""));
    assert!(
        again.contains("Mould in the bathroom."),
        "the words typed are kept"
    );
    assert_eq!(case_count(&s, &c, &t.auditor).await, 0);
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
    assert_eq!(waiting(&s), 1);

    // A slot the service never handed out is refused the same way.
    let (status, again, _) = post_page(
        &c,
        &s.url("/complaints"),
        &cookie,
        form_with_slots(&fields, &["../../etc/passwd".to_string()]),
    )
    .await;
    assert_eq!(status, 422);
    assert!(again.contains("id=\"attachments-error\""), "{again}");
    assert_eq!(case_count(&s, &c, &t.auditor).await, 0);

    // A PNG and a PDF through the inbox: the complaint is written with both, the inbox emptied
    // of them.
    let good = into_inbox(&s, &c, &[("bathroom.png", png()), ("report.pdf", pdf())]).await;
    let (status, body, location) = post_page(
        &c,
        &s.url("/complaints"),
        &cookie,
        form_with_slots(&fields, &good),
    )
    .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        waiting(&s),
        1,
        "only the refused file is left, for the sweep"
    );
    let case_url = location.unwrap().replace("/confirmation", "");
    let case_page = page(&c, &s.url(&case_url)).await;
    assert!(case_page.html.contains("Files you sent us"));
    assert!(case_page.html.contains("bathroom.png"));
    assert!(case_page.html.contains("report.pdf"));
    let r = case_url
        .trim_start_matches("/complaints/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    let names: Vec<&str> = case["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bathroom.png", "report.pdf"]);
    assert_eq!(case["attachments"][0]["sha256"], PNG_SHA256);
    assert_eq!(stored_files(dir.path()).len(), 2);
}

async fn respond_to_stage1(s: &Server, c: &reqwest::Client, t: &Staffs, r: &str) {
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
}

#[tokio::test]
async fn the_review_request_form_takes_slots_and_refuses_a_file_not_what_its_name_says() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (status, created, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &json!({"email": "ada@example.org", "description": "Damp in the back bedroom."}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let r = created["reference"].as_str().unwrap().to_string();
    let code = created["access_code"].as_str().unwrap().to_string();
    respond_to_stage1(&s, &c, &t, &r).await;

    // Both pages that carry the request form run the script.
    let case_page = page(&c, &s.url(&format!("/complaints/{r}?code={code}"))).await;
    case_page.runs_the_upload_script(&s.base);
    let own = page(&c, &s.url(&format!("/complaints/{r}/stage2?code={code}"))).await;
    own.runs_the_upload_script(&s.base);
    let cookie = own.cookie.clone().unwrap();
    let csrf = own.hidden("csrf_token");
    let fields = [("csrf_token", csrf.as_str()), ("reason", "Still damp.")];
    let url = s.url(&format!("/complaints/{r}/stage2?code={code}"));

    let bad = into_inbox(&s, &c, &[("still damp.pdf", png())]).await;
    let (status, again, _) = post_page(&c, &url, &cookie, form_with_slots(&fields, &bad)).await;
    assert_eq!(status, 422, "{again}");
    assert!(again.contains("id=\"attachments-error\""), "{again}");
    assert!(again.contains("File 1: "), "{again}");
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert_ne!(case["status"], "stage2_requested", "nothing was written");
    assert!(
        case["attachments"].as_array().is_none_or(|a| a.is_empty()),
        "no file was kept: {case}"
    );

    let good = into_inbox(&s, &c, &[("still damp.pdf", pdf())]).await;
    let (status, body, location) =
        post_page(&c, &url, &cookie, form_with_slots(&fields, &good)).await;
    assert_eq!(status, 303, "{body}");
    assert!(location
        .unwrap()
        .starts_with(&format!("/complaints/{r}?code=")));
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(case["status"], "stage2_requested");
    assert_eq!(case["attachments"][0]["filename"], "still damp.pdf");
    assert_eq!(
        waiting(&s),
        1,
        "only the refused file is left, for the sweep"
    );
}

#[tokio::test]
async fn the_script_is_served_from_our_origin_and_other_pages_still_allow_no_script() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let res = c.get(s.url("/assets/upload.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let script = res.text().await.unwrap();
    assert!(script.contains("/complaints/uploads"));
    assert!(!script.contains("eval("), "no eval under the policy");

    let (status, created, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &json!({"email": "ada@example.org", "description": "Damp."}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let r = created["reference"].as_str().unwrap();
    let code = created["access_code"].as_str().unwrap();
    for path in [
        format!("/complaints/{r}/confirmation?code={code}"),
        "/staff/sign-in".to_string(),
    ] {
        let p = page(&c, &s.url(&path)).await;
        assert_eq!(p.status, 200, "{path}");
        assert!(!p.csp.contains("script-src"), "{path}: {}", p.csp);
        assert!(!p.html.contains("<script"), "{path}");
    }
}
