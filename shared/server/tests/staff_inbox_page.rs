//! The staff case page's "Add a file" straight into the upload inbox, without JavaScript, over
//! real HTTP against a running `p3 serve` (issues 15 items 5 and 7, 17 item 9): the form the
//! case page renders posts the file to the inbox (`POST /uploads/{slot}` here, S3 on AWS),
//! which sends the browser to the confirm page; that page shows the file and asks what it is,
//! and its POST keeps the file with the case. What a browser does is done here by hand: read
//! the page's form, post its fields and the file, follow the redirect, post the next form.

mod support;

use serde_json::{json, Value};
use support::files::*;
use support::pages::{csrf, page, post_form};
use support::*;

/// A PDF of about 6 MB: more than a Lambda request may carry, within the 10 MB a file may be.
fn large_pdf() -> Vec<u8> {
    let mut b = b"%PDF-1.7\n1 0 obj\n<<>>\nstream\n".to_vec();
    let mut x: u32 = 88172645;
    while b.len() < 6 * 1024 * 1024 + 512 * 1024 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b.extend_from_slice(&x.to_le_bytes());
    }
    b.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
    b
}

async fn new_case(s: &Server, c: &reqwest::Client, officer: &str) -> String {
    let (status, case, _) = post_json(
        c,
        &s.url("/staff/complaints"),
        Some(officer),
        &json!({"name": "Ada Resident", "email": "ada@example.org",
                "description": "Damp in the back bedroom", "channel": "phone"}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    case["reference"].as_str().unwrap().to_string()
}

/// The "Add a file" form of a case page: its action and its named inputs in order (hidden
/// ones with their values, the file input as `("file", "")`).
fn file_form(html: &str) -> (String, Vec<(String, String)>) {
    let start = html.find("id=\"attachment\"").expect("the Add a file form");
    let form = &html[start..];
    let form = &form[form.find("<form").unwrap()..form.find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!("{name}=\"");
        tag.find(&marker).map(|at| {
            let v = &tag[at + marker.len()..];
            v[..v.find('"').unwrap()]
                .replace("&amp;", "&")
                .replace("&#x2F;", "/")
        })
    };
    let action = attr(&form[..form.find('>').unwrap()], "action").unwrap();
    let mut inputs = Vec::new();
    for tag in form.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap()];
        if let Some(name) = attr(tag, "name") {
            let value = attr(tag, "value").unwrap_or_default();
            inputs.push((name, value));
        }
    }
    (action, inputs)
}

/// Posts the page's form as a browser does, the file in the part named `file`.
async fn send_file(
    c: &reqwest::Client,
    action: &str,
    inputs: &[(String, String)],
    filename: &str,
    bytes: &[u8],
) -> (u16, String) {
    let mut b = Vec::new();
    for (k, v) in inputs.iter().filter(|(k, _)| k != "file") {
        b.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(bytes);
    b.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let (status, _, headers) = upload(c, action, None, b).await;
    let location = headers
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    // The local inbox sends the browser to the page by its path, S3 by its full address: the
    // address the browser follows, on the inbox's origin.
    let origin = &action[..action.find("/uploads/").expect("the inbox's address")];
    let location = match location.strip_prefix('/') {
        Some(path) => format!("{origin}/{path}"),
        None => location,
    };
    (status, location)
}

/// The case page's form, the file sent through it: the confirm page's URL the inbox sent the
/// browser to.
async fn through_the_case_page(
    s: &Server,
    c: &reqwest::Client,
    r: &str,
    token: &str,
    filename: &str,
    bytes: &[u8],
) -> String {
    let (status, html) = page(c, &s.url(&format!("/staff/cases/{r}")), token).await;
    assert_eq!(status, 200);
    let (action, inputs) = file_form(&html);
    let (status, location) = send_file(c, &action, &inputs, filename, bytes).await;
    assert_eq!(status, 303, "{location}");
    location
}

async fn attachments(s: &Server, c: &reqwest::Client, r: &str, token: &str) -> Vec<Value> {
    let (status, case) = get_json(c, &s.url(&format!("/staff/complaints/{r}")), Some(token)).await;
    assert_eq!(status, 200, "{case}");
    case["attachments"].as_array().cloned().unwrap_or_default()
}

fn slot_of(confirm_url: &str) -> String {
    confirm_url.split("slot=").nth(1).unwrap()[..20].to_string()
}

#[tokio::test]
async fn a_file_over_6_mb_goes_from_the_case_page_into_the_inbox_and_the_confirm_page_adds_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = new_case(&s, &c, &t.officer).await;

    // The case page's form is the inbox's: it posts to the inbox, with the inbox's fields as
    // hidden inputs and the file last, says how long it lasts, and the page may post there.
    let res = c
        .get(s.url(&format!("/staff/cases/{r}")))
        .bearer_auth(&t.officer)
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = res.text().await.unwrap();
    let (action, inputs) = file_form(&html);
    assert!(action.starts_with(&s.url("/uploads/")), "{action}");
    assert_eq!(inputs.last().unwrap().0, "file", "{inputs:?}");
    let names: Vec<&str> = inputs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["expires", "redirect", "signature", "file"]);
    assert!(html.contains("This form lasts 30 minutes"), "{html}");
    assert!(html.contains("reload this page and choose the file again"));
    assert!(
        csp.contains(&format!("form-action 'self' {};", s.base)),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");

    // The browser posts 6.5 MB to the inbox and is sent to the confirm page.
    let pdf = large_pdf();
    let (status, to) = send_file(&c, &action, &inputs, "inspection report.pdf", &pdf).await;
    assert_eq!(status, 303, "{to}");
    assert!(
        to.starts_with(&s.url(&format!("/staff/cases/{r}/attachments/new?slot="))),
        "{to}"
    );
    let slot = slot_of(&to);
    assert_eq!(waiting(&s), vec![slot.clone()]);
    assert!(attachments(&s, &c, &r, &t.officer).await.is_empty());

    // The confirm page shows the file's name, size and kind, and asks what it is.
    let (status, confirm) = page(&c, &to, &t.officer).await;
    assert_eq!(status, 200, "{confirm}");
    assert!(confirm.contains("inspection report.pdf"), "{confirm}");
    assert!(confirm.contains("6.5 MB"), "{confirm}");
    assert!(confirm.contains("PDF"), "{confirm}");
    assert!(confirm.contains("name=\"description\""));
    let token = csrf(&confirm);
    let post_to = s.url(&format!("/staff/cases/{r}/attachments/new"));

    // A forged form (another site's, without the session's token) keeps nothing.
    let (status, _, again) = post_form(
        &c,
        &post_to,
        &t.officer,
        &[
            ("csrf_token", "0000"),
            ("slot", &slot),
            ("description", "x"),
        ],
    )
    .await;
    assert_eq!(status, 403, "{again}");
    assert!(again.contains("This form had expired"));
    assert!(attachments(&s, &c, &r, &t.officer).await.is_empty());

    // Added: the case page again with its banner, the file kept whole, the slot emptied.
    let (status, location, _) = post_form(
        &c,
        &post_to,
        &t.officer,
        &[
            ("csrf_token", &token),
            ("slot", &slot),
            ("description", "Surveyor's inspection report"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/staff/cases/{r}?done=attachment"));
    let files = attachments(&s, &c, &r, &t.officer).await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["filename"], "inspection report.pdf");
    assert_eq!(files[0]["content_type"], "application/pdf");
    assert_eq!(files[0]["size"], pdf.len());
    assert_eq!(files[0]["sha256"], sha(&pdf));
    assert_eq!(files[0]["description"], "Surveyor's inspection report");
    assert!(waiting(&s).is_empty());
    let (_, done) = page(&c, &s.url(&location), &t.officer).await;
    assert!(done.contains("File added"));
    let id = files[0]["id"].as_str().unwrap();
    let got = c
        .get(s.url(&format!("/staff/complaints/{r}/attachments/{id}")))
        .bearer_auth(&t.officer)
        .send()
        .await
        .unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), pdf.as_slice());

    // The confirm page again (the back button): the file is no longer waiting, nothing to add.
    let (status, gone) = page(&c, &to, &t.officer).await;
    assert_eq!(status, 422);
    assert!(gone.contains("has not arrived"), "{gone}");
    assert!(!gone.contains("name=\"description\""));
    let (status, _, _) = post_form(
        &c,
        &post_to,
        &t.officer,
        &[("csrf_token", &token), ("slot", &slot), ("description", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(attachments(&s, &c, &r, &t.officer).await.len(), 1);

    // The multipart form of a page opened before (or a host without an inbox) still works.
    let (status, _, headers) = upload(
        &c,
        &s.url(&format!("/staff/cases/{r}/attachments")),
        Some(&t.officer),
        {
            let mut b = Vec::new();
            b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n").as_bytes());
            b.extend(form("window.png", &png(), "Mould by the window"));
            b
        },
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        headers["location"].to_str().unwrap(),
        format!("/staff/cases/{r}?done=attachment")
    );
    assert_eq!(attachments(&s, &c, &r, &t.officer).await.len(), 2);
}

#[tokio::test]
async fn a_refused_file_is_shown_on_the_confirm_page_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = new_case(&s, &c, &t.officer).await;
    let post_to = s.url(&format!("/staff/cases/{r}/attachments/new"));

    // A PDF named .png: the confirm page says why, offers no form, and another file may be
    // chosen; posted anyway, it is refused and the file still waits (nothing is lost).
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec();
    let to = through_the_case_page(&s, &c, &r, &t.officer, "mould.png", &pdf).await;
    let slot = slot_of(&to);
    let (status, confirm) = page(&c, &to, &t.officer).await;
    assert_eq!(status, 422, "{confirm}");
    assert!(confirm.contains("mould.png"));
    assert!(
        confirm.contains("its content is a PDF document"),
        "{confirm}"
    );
    assert!(confirm.contains("href=\"#attachment-file\""), "{confirm}");
    assert!(!confirm.contains("name=\"description\""));
    assert!(confirm.contains("Choose another file"));
    let token = csrf(&confirm);
    let (status, _, again) = post_form(
        &c,
        &post_to,
        &t.officer,
        &[("csrf_token", &token), ("slot", &slot), ("description", "")],
    )
    .await;
    assert_eq!(status, 422, "{again}");
    assert!(again.contains("its content is a PDF document"));
    assert!(attachments(&s, &c, &r, &t.officer).await.is_empty());
    assert_eq!(waiting(&s), vec![slot]);

    // A description over 1,000 characters: named on its field, kept as typed, the file waits.
    let to = through_the_case_page(&s, &c, &r, &t.officer, "photo.png", &png()).await;
    let slot = slot_of(&to);
    let long = "d".repeat(1001);
    let (status, _, again) = post_form(
        &c,
        &post_to,
        &t.officer,
        &[
            ("csrf_token", &token),
            ("slot", &slot),
            ("description", &long),
        ],
    )
    .await;
    assert_eq!(status, 422, "{again}");
    assert!(
        again.contains("href=\"#attachment-description\""),
        "{again}"
    );
    assert!(
        again.contains("1000 characters or fewer") || again.contains("1,000 characters or fewer")
    );
    assert!(again.contains(&long));
    assert!(waiting(&s).contains(&slot));
    assert!(attachments(&s, &c, &r, &t.officer).await.is_empty());

    // A slot the service could not have named.
    let (status, bad) = page(
        &c,
        &s.url(&format!(
            "/staff/cases/{r}/attachments/new?slot=../../attachments"
        )),
        &t.officer,
    )
    .await;
    assert_eq!(status, 422);
    assert!(bad.contains("not an upload the service handed out"));

    // An unknown case: 404, whatever the slot.
    let (status, _, _) = post_form(
        &c,
        &s.url("/staff/cases/CMP-2026-99999/attachments/new"),
        &t.officer,
        &[("csrf_token", &token), ("slot", &slot), ("description", "")],
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn only_a_role_that_may_add_files_gets_the_form_and_no_session_is_sent_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = new_case(&s, &c, &t.officer).await;
    let to = through_the_case_page(&s, &c, &r, &t.officer, "photo.png", &png()).await;
    let slot = slot_of(&to);
    let post_to = s.url(&format!("/staff/cases/{r}/attachments/new"));

    // An auditor's case page has no inbox form, and its policy posts nowhere but here.
    let res = c
        .get(s.url(&format!("/staff/cases/{r}")))
        .bearer_auth(&t.auditor)
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("form-action 'self';"));
    let html = res.text().await.unwrap();
    assert!(html.contains("Add a file: needs the officer role."));
    assert!(!html.contains("/uploads/"));

    // The confirm page and its POST: 403 for the auditor, saying which role; nothing kept.
    let (status, refused) = page(&c, &to, &t.auditor).await;
    assert_eq!(status, 403);
    assert!(refused.contains("officer"), "{refused}");
    assert!(!refused.contains("name=\"description\""));
    let token = csrf(&refused);
    let (status, _, refused) = post_form(
        &c,
        &post_to,
        &t.auditor,
        &[("csrf_token", &token), ("slot", &slot), ("description", "")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(refused.contains("officer"));
    assert!(attachments(&s, &c, &r, &t.officer).await.is_empty());
    assert_eq!(waiting(&s), vec![slot.clone()]);

    // No session: the confirm page sends the browser to sign in and back; the POST to sign in.
    let res = c.get(&to).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/staff/sign-in?next="), "{location}");
    assert!(location.contains("attachments%2Fnew"), "{location}");
    let res = c
        .post(&post_to)
        .form(&[("slot", slot.as_str()), ("description", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/staff/sign-in");
    assert!(attachments(&s, &c, &r, &t.officer).await.is_empty());

    // The officer, meanwhile, adds it.
    let (_, confirm) = page(&c, &to, &t.officer).await;
    let (status, _, _) = post_form(
        &c,
        &post_to,
        &t.officer,
        &[
            ("csrf_token", &csrf(&confirm)),
            ("slot", &slot),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(attachments(&s, &c, &r, &t.officer).await.len(), 1);
}
