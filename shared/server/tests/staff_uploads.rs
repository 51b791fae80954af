//! Staff files through the upload inbox over real HTTP against a running `p3 serve` (issue 15
//! item 5): on AWS a request to the service carries at most about 4.5 MB of a file, so staff
//! ask for a form (`POST /staff/complaints/{reference}/attachments/uploads`), post the file
//! into its slot, then name the slot (`POST /staff/complaints/{reference}/attachments` with
//! JSON). The answer is the multipart form's; the type is told from the content; the slot is
//! emptied once the file is kept, and a refused request keeps neither the file nor loses it.

mod support;

use serde_json::{json, Value};
use support::files::*;
use support::*;

/// A PDF of about 6 MB: more than a Lambda request may carry, within the 10 MB a file may be.
fn large_pdf() -> Vec<u8> {
    let mut b = b"%PDF-1.7\n1 0 obj\n<<>>\nstream\n".to_vec();
    let mut x: u32 = 2463534242;
    while b.len() < 6 * 1024 * 1024 {
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

/// One upload form for the case, asked by `token`.
async fn form_for(s: &Server, c: &reqwest::Client, r: &str, token: &str) -> Value {
    let (status, body, headers) = post_json(
        c,
        &s.url(&format!("/staff/complaints/{r}/attachments/uploads")),
        Some(token),
        &json!({"count": 1}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(headers["cache-control"], "no-store, private");
    let forms = body["forms"].as_array().unwrap();
    assert_eq!(forms.len(), 1);
    forms[0].clone()
}

/// Posts a file with its form, as a browser or a client does; the status.
async fn post_into(c: &reqwest::Client, form: &Value, filename: &str, bytes: &[u8]) -> u16 {
    let mut b = Vec::new();
    for pair in form["fields"].as_array().unwrap() {
        let (k, v) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        b.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(bytes);
    b.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    upload(c, form["url"].as_str().unwrap(), None, b).await.0
}

fn slot(form: &Value) -> String {
    form["slot"].as_str().unwrap().to_string()
}

async fn add_from(
    s: &Server,
    c: &reqwest::Client,
    r: &str,
    token: &str,
    body: &Value,
) -> (u16, Value) {
    let (status, answer, _) = post_json(
        c,
        &s.url(&format!("/staff/complaints/{r}/attachments")),
        Some(token),
        body,
    )
    .await;
    (status, answer)
}

#[tokio::test]
async fn a_file_posted_into_the_inbox_is_added_by_naming_its_slot_and_answers_as_the_multipart_form(
) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = new_case(&s, &c, &t.officer).await;

    // The multipart form, as before, for the shape of the answer.
    let (status, multipart, _) = upload(
        &c,
        &s.url(&format!("/staff/complaints/{r}/attachments")),
        Some(&t.officer),
        form("window.png", &png(), "Mould by the window"),
    )
    .await;
    assert_eq!(status, 201, "{multipart}");

    // A 6 MB inspection report through the inbox.
    let f = form_for(&s, &c, &r, &t.officer).await;
    assert!(f["url"].as_str().unwrap().starts_with(&s.base), "{f}");
    let pdf = large_pdf();
    assert_eq!(post_into(&c, &f, "inspection report.pdf", &pdf).await, 204);
    assert_eq!(waiting(&s), vec![slot(&f)]);
    let (status, added) = add_from(
        &s,
        &c,
        &r,
        &t.officer,
        &json!({"upload": slot(&f), "description": "Surveyor's inspection report"}),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&added), keys(&multipart));
    assert_eq!(added["filename"], "inspection report.pdf");
    assert_eq!(added["content_type"], "application/pdf");
    assert_eq!(added["size"], pdf.len());
    assert_eq!(added["sha256"], sha(&pdf));
    // The slot is emptied once the file is kept with the case.
    assert_eq!(waiting(&s), Vec::<String>::new());

    // On the case, with its description and who added it; downloaded unchanged.
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    let attachments = case["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{case}");
    let kept = attachments.iter().find(|a| a["id"] == added["id"]).unwrap();
    assert_eq!(kept["description"], "Surveyor's inspection report");
    let id = added["id"].as_str().unwrap();
    let res = c
        .get(s.url(&format!("/staff/complaints/{r}/attachments/{id}")))
        .bearer_auth(&t.auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(sha(&res.bytes().await.unwrap()), sha(&pdf));
    assert_eq!(stored_files(dir.path()).len(), 2);

    // The slot cannot be named again: nothing is there any more.
    let (status, problem) = add_from(&s, &c, &r, &t.officer, &json!({"upload": slot(&f)})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["upload"]);
    assert_eq!(stored_files(dir.path()).len(), 2);
}

#[tokio::test]
async fn a_refused_file_is_not_kept_and_stays_in_its_slot_and_only_staff_who_may_change_the_case_add_one(
) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = new_case(&s, &c, &t.officer).await;

    // A PNG named as a PDF: refused naming `upload`; nothing kept, the file still waits.
    let f = form_for(&s, &c, &r, &t.officer).await;
    assert_eq!(post_into(&c, &f, "report.pdf", &png()).await, 204);
    let (status, problem) = add_from(&s, &c, &r, &t.officer, &json!({"upload": slot(&f)})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["upload"]);
    assert!(problem.to_string().contains("PNG"), "{problem}");
    // A description too long: named, the file still waits.
    let (status, problem) = add_from(
        &s,
        &c,
        &r,
        &t.officer,
        &json!({"upload": slot(&f), "description": "x".repeat(1001)}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        fields_at_fault(&problem).contains(&"description".to_string()),
        "{problem}"
    );
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
    assert_eq!(waiting(&s), vec![slot(&f)]);

    // Not a slot the service names, or a field the route does not take: refused.
    let (status, problem) =
        add_from(&s, &c, &r, &t.officer, &json!({"upload": "../../p3.db"})).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["upload"]);
    let (status, problem) = add_from(&s, &c, &r, &t.officer, &json!({"file": slot(&f)})).await;
    assert!(status == 400 || status == 422, "{status} {problem}");

    // An auditor may neither ask for a form nor add a file; an unknown case is 404.
    let (status, _, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}/attachments/uploads")),
        Some(&t.auditor),
        &json!({"count": 1}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = add_from(&s, &c, &r, &t.auditor, &json!({"upload": slot(&f)})).await;
    assert_eq!(status, 403);
    let (status, _) = add_from(
        &s,
        &c,
        "CMP-2026-99999",
        &t.officer,
        &json!({"upload": slot(&f)}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = post_json(
        &c,
        &s.url("/staff/complaints/CMP-2026-99999/attachments/uploads"),
        Some(&t.officer),
        &json!({"count": 1}),
    )
    .await;
    assert_eq!(status, 404);
    // No token at all: 401.
    let (status, _, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}/attachments/uploads")),
        None,
        &json!({}),
    )
    .await;
    assert_eq!(status, 401);
    // At most five forms at once; a count sent as null is not one left out (api-fuzz).
    for count in [json!(6), json!(null), json!("2")] {
        let (status, problem, _) = post_json(
            &c,
            &s.url(&format!("/staff/complaints/{r}/attachments/uploads")),
            Some(&t.officer),
            &json!({ "count": count }),
        )
        .await;
        assert_eq!(status, 422, "{count}: {problem}");
        assert_eq!(fields_at_fault(&problem), ["count"]);
    }
    assert_eq!(stored_files(dir.path()), Vec::<String>::new());
    assert_eq!(waiting(&s), vec![slot(&f)]);

    // The right file in a new slot is taken.
    let g = form_for(&s, &c, &r, &t.officer).await;
    assert_eq!(post_into(&c, &g, "mould.png", &png()).await, 204);
    let (status, added) = add_from(&s, &c, &r, &t.officer, &json!({"upload": slot(&g)})).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["content_type"], "image/png");
    assert_eq!(added["sha256"], PNG_SHA256);
    assert_eq!(stored_files(dir.path()).len(), 1);
    assert_eq!(waiting(&s), vec![slot(&f)]);
}
