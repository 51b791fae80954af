//! Attachments over real HTTP against a running `p3 serve`: staff add a file to a case
//! (multipart) and download it back with safe headers; the type is told from the content, not
//! the name; a file over 10 MB is refused with 413 without the server taking it in; a name
//! whose extension does not match the content is a 422 naming `file`; the file is stored by
//! id, never by its name; sign-in and roles are checked; the correspondence log names real
//! attachments.

mod support;

use serde_json::json;
use support::files::*;
use support::*;

async fn complaint(s: &Server, c: &reqwest::Client) -> String {
    let (status, created, _) = post_json(
        c,
        &s.url("/complaints"),
        None,
        &json!({
            "name": "Ada Resident",
            "email": "ada.resident@example.org",
            "description": "Damp and black mould in the back bedroom since October.",
            "category": "repairs"
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created["reference"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn staff_add_a_file_and_download_it_back_with_safe_headers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = complaint(&s, &c).await;
    let url = s.url(&format!("/staff/complaints/{r}/attachments"));

    let name = "../../damp bedroom; \u{e9}t\u{e9}.png";
    let (status, added, _) = upload(
        &c,
        &url,
        Some(&t.officer),
        form(name, &png(), "Photo taken at the inspection"),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let id = added["id"].as_str().unwrap().to_string();
    assert_eq!(
        added,
        json!({
            "id": id,
            "filename": "damp bedroom; \u{e9}t\u{e9}.png",
            "content_type": "image/png",
            "size": png().len(),
            "sha256": PNG_SHA256,
        })
    );
    // Stored by its id under the case, never by the name it came with.
    assert_eq!(stored_files(dir.path()), vec![format!("{r}/{id}")]);

    // Any staff role that reads the case downloads it.
    let res = c
        .get(format!("{url}/{id}"))
        .bearer_auth(&t.auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"damp bedroom_ _t_.png\"; filename*=UTF-8''damp%20bedroom%3B%20%C3%A9t%C3%A9.png"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), png());

    // The case records it: who added it, when, and what it is.
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    let a = &case["attachments"][0];
    assert_eq!(a["id"], id.as_str());
    assert_eq!(a["by"], "olive@p3.example");
    assert_eq!(a["description"], "Photo taken at the inspection");
    let event = case["history"].as_array().unwrap().last().unwrap();
    assert_eq!(event["type"], "attachment_added", "{event}");
    assert_eq!(event["sha256"], PNG_SHA256);

    // The staff case page lists it with a download link.
    let page = c
        .get(s.url(&format!("/staff/cases/{r}")))
        .header("accept", "text/html")
        .bearer_auth(&t.auditor)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let section = &page[page
        .find("id=\"case-attachments\"")
        .expect("an Attachments section")..];
    assert!(
        section.contains(&format!("href=\"/staff/complaints/{r}/attachments/{id}\" download>damp bedroom; \u{e9}t\u{e9}.png</a>")),
        "{section}"
    );
    assert!(section.contains("Photo taken at the inspection"));
    assert!(section.contains("image/png") && section.contains("by olive@p3.example"));

    // An id the case does not hold is 404, as is another case's file.
    let other = complaint(&s, &c).await;
    for u in [
        format!("{url}/00000000000000000000"),
        format!("{url}/..%2F..%2Fp3.db"),
        s.url(&format!("/staff/complaints/{other}/attachments/{id}")),
    ] {
        let res = c.get(&u).bearer_auth(&t.officer).send().await.unwrap();
        assert_eq!(res.status(), 404, "{u}");
    }
}

#[tokio::test]
async fn a_file_over_10_mb_is_refused_with_413_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = complaint(&s, &c).await;
    let url = s.url(&format!("/staff/complaints/{r}/attachments"));

    let mut big = png();
    big.resize(10 * 1024 * 1024 + 1, 0);
    // Within the body's limit (the file and the form's fields) but one byte over for the file:
    // refused as the file's part arrives.
    let (status, problem, headers) =
        upload(&c, &url, Some(&t.officer), form("big.png", &big, "x")).await;
    assert_eq!(status, 413, "{problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(problem["detail"].as_str().unwrap().contains("10 MB"));
    // A body that says it is far larger is refused without keeping any of it, and read to
    // its end first so that a client writing it all before reading the answer gets the 413,
    // not a broken connection.
    big.resize(30 * 1024 * 1024, 0);
    let (status, problem, _) = upload(&c, &url, Some(&t.officer), form("big.png", &big, "x")).await;
    assert_eq!(status, 413, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("10 MB"));
    assert!(stored_files(dir.path()).is_empty());

    // Exactly 10 MB is taken.
    big.truncate(10 * 1024 * 1024);
    let (status, added, _) = upload(&c, &url, Some(&t.officer), form("big.png", &big, "")).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["size"], 10 * 1024 * 1024);
}

#[tokio::test]
async fn the_type_is_told_from_the_content_and_a_mismatch_is_refused_naming_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = complaint(&s, &c).await;
    let url = s.url(&format!("/staff/complaints/{r}/attachments"));

    // A PNG named as a PDF.
    let (status, problem, _) =
        upload(&c, &url, Some(&t.officer), form("report.pdf", &png(), "")).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["file"]);
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("PDF") && message.contains("PNG"),
        "{message}"
    );

    // Kinds not taken, whatever they are called.
    for (name, bytes) in [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()),
        (
            "archive.zip",
            b"PK\x03\x04\x14\x00\x00\x00some.txt".to_vec(),
        ),
        ("no-extension", png()),
    ] {
        let (status, problem, _) = upload(&c, &url, Some(&t.officer), form(name, &bytes, "")).await;
        assert_eq!(status, 422, "{name}: {problem}");
        assert_eq!(fields_at_fault(&problem), ["file"], "{name}");
    }

    // The client's Content-Type is not believed: the content decides what is served.
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n".to_vec();
    let (status, added, _) = upload(&c, &url, Some(&t.officer), form("Report.PDF", &pdf, "")).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["content_type"], "application/pdf");
    let email = b"From: Ada <ada@example.org>\r\nTo: complaints@p3.example\r\nSubject: Mould\r\n\r\nIt is back.\r\n".to_vec();
    let (status, added, _) = upload(&c, &url, Some(&t.officer), form("mail.eml", &email, "")).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["content_type"], "message/rfc822");
    let (status, problem, _) = upload(
        &c,
        &url,
        Some(&t.officer),
        form("mail.eml", b"just words", ""),
    )
    .await;
    assert_eq!(status, 422, "{problem}");

    // No file at all, or another media type.
    let empty = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nx\r\n--{BOUNDARY}--\r\n");
    let (status, problem, _) = upload(&c, &url, Some(&t.officer), empty.into_bytes()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields_at_fault(&problem), ["file"]);
    // JSON names a file in the upload inbox (staff_uploads.rs), in `upload`, never the file.
    let (status, _, _) = post_json(&c, &url, Some(&t.officer), &json!({"file": "x"})).await;
    assert_eq!(status, 422);
    let res = c
        .post(&url)
        .bearer_auth(&t.officer)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(
        stored_files(dir.path()).len(),
        2,
        "only the two files taken are kept"
    );
}

#[tokio::test]
async fn adding_needs_sign_in_and_a_role_that_changes_cases_reading_any_staff_role() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = complaint(&s, &c).await;
    let url = s.url(&format!("/staff/complaints/{r}/attachments"));

    let (status, _, _) = upload(&c, &url, None, form("a.png", &png(), "")).await;
    assert_eq!(status, 401);
    let (status, _, _) = upload(&c, &url, Some(&t.auditor), form("a.png", &png(), "")).await;
    assert_eq!(status, 403);
    let missing = s.url("/staff/complaints/CMP-2020-99999/attachments");
    let (status, _, _) = upload(&c, &missing, Some(&t.officer), form("a.png", &png(), "")).await;
    assert_eq!(status, 404);
    assert!(stored_files(dir.path()).is_empty());

    for token in [&t.officer, &t.im, &t.senior] {
        let (status, added, _) = upload(&c, &url, Some(token), form("a.png", &png(), "")).await;
        assert_eq!(status, 201, "{added}");
    }
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    let id = case["attachments"][0]["id"].as_str().unwrap().to_string();
    let res = c.get(format!("{url}/{id}")).send().await.unwrap();
    assert_eq!(res.status(), 401, "no sign-in, no file");
}

#[tokio::test]
async fn the_correspondence_log_names_the_case_s_real_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = complaint(&s, &c).await;
    let other = complaint(&s, &c).await;
    let (_, added, _) = upload(
        &c,
        &s.url(&format!("/staff/complaints/{r}/attachments")),
        Some(&t.officer),
        form("letter.png", &png(), "Scan of the resident's letter"),
    )
    .await;
    let id = added["id"].as_str().unwrap();
    let (_, elsewhere, _) = upload(
        &c,
        &s.url(&format!("/staff/complaints/{other}/attachments")),
        Some(&t.officer),
        form("other.png", &png(), ""),
    )
    .await;
    let log = s.url(&format!("/staff/complaints/{r}/correspondence"));
    let entry = |attachments: Vec<&str>| json!({"direction": "inbound", "channel": "letter", "summary": "Letter about the mould", "attachments": attachments});

    let (status, problem, _) = post_json(
        &c,
        &log,
        Some(&t.officer),
        &entry(vec![elsewhere["id"].as_str().unwrap()]),
    )
    .await;
    assert_eq!(status, 422, "another case's file: {problem}");
    assert_eq!(fields_at_fault(&problem), ["attachments"]);
    let (status, case, _) = post_json(&c, &log, Some(&t.officer), &entry(vec![id])).await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["correspondence"][0]["attachments"], json!([id]));
}

/// The zip's files by name, as bytes.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut raw = Vec::new();
            f.read_to_end(&mut raw).expect("reads back, CRC checked");
            (f.name().to_string(), raw)
        })
        .collect()
}

#[tokio::test]
async fn the_evidence_zip_holds_each_file_with_the_sha256_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let r = complaint(&s, &c).await;
    let url = s.url(&format!("/staff/complaints/{r}/attachments"));
    let notes = b"Inspection 3 March: damp reading 38% in the back bedroom.\n".repeat(50);
    let mut ids = Vec::new();
    for (name, bytes) in [
        ("../damp; bedroom.png", png()),
        ("inspection.txt", notes.clone()),
    ] {
        let (status, added, _) = upload(&c, &url, Some(&t.officer), form(name, &bytes, "")).await;
        assert_eq!(status, 201, "{added}");
        ids.push(added["id"].as_str().unwrap().to_string());
    }
    let evidence = s.url(&format!("/staff/complaints/{r}/evidence?format=zip"));
    let res = c
        .get(&evidence)
        .bearer_auth(&t.senior)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let files = unzip(&res.bytes().await.unwrap());
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let png_name = format!("attachments/{}-damp_ bedroom.png", ids[0]);
    let txt_name = format!("attachments/{}-inspection.txt", ids[1]);
    assert_eq!(
        names,
        [
            format!("{r}-evidence.html").as_str(),
            format!("{r}-evidence.pdf").as_str(),
            png_name.as_str(),
            txt_name.as_str(),
            "SHA256SUMS",
        ]
    );
    assert_eq!(files[2].1, png());
    assert_eq!(files[3].1, notes);
    assert!(files[1].1.starts_with(b"%PDF-"));

    // SHA256SUMS lists every other file with its SHA-256, each as computed from what the zip
    // holds; an attachment's is the one recorded when it was added.
    let sums = String::from_utf8(files[4].1.clone()).unwrap();
    let listed: Vec<(String, String)> = sums
        .lines()
        .map(|l| {
            let (sum, name) = l.split_once("  ").expect("`sum  name` lines");
            (sum.to_string(), name.to_string())
        })
        .collect();
    assert_eq!(listed.len(), 4);
    for ((sum, name), (file, bytes)) in listed.iter().zip(&files) {
        assert_eq!(name, file);
        assert_eq!(sum, &p3_domain::attachment::sha256_hex(bytes), "{name}");
    }
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(
        listed[2].0,
        case["attachments"][0]["sha256"].as_str().unwrap()
    );
    assert_eq!(listed[2].0, PNG_SHA256);
    assert_eq!(
        listed[3].0,
        case["attachments"][1]["sha256"].as_str().unwrap()
    );

    // A kept file that no longer matches its record is never packed.
    std::fs::write(
        dir.path().join("attachments").join(&r).join(&ids[1]),
        b"changed",
    )
    .unwrap();
    let res = c
        .get(&evidence)
        .bearer_auth(&t.senior)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert_ne!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/zip"
    );
}
