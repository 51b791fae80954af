//! The letters and the evidence pack as PDFs (`?format=pdf`) over real HTTP against a running
//! `p3 serve`, read back with lopdf: a PDF, tagged (a structure tree, marked content), A4 with
//! the landlord's name, the reference and "Page n of m" on every page; a long letter runs to
//! more pages; a large print letter is set larger (and so runs longer); the evidence pack of a
//! whole lifecycle holds every event; any other format is a 400 naming `format`, as the pack's
//! other formats are.

mod support;

use lopdf::content::Content;
use lopdf::{Document, Object};
use serde_json::{json, Value};
use support::*;

/// A long list of points, so the acknowledgement runs past one page.
fn points() -> Vec<String> {
    (1..=30)
        .map(|i| format!("Point {i}: the repair to the kitchen ceiling was booked late and nobody called back"))
        .collect()
}

async fn ok(c: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let (status, v, _) = post_json(c, url, Some(token), &body).await;
    assert!(status == 200 || status == 201, "{url}: {v}");
    v
}

/// A complaint logged by staff (posted letters), acknowledged with [`points`]; large print
/// when asked. Its reference.
async fn acknowledged(s: &Server, t: &Staffs, large: bool) -> String {
    let c = client();
    let created = ok(
        &c,
        &s.url("/staff/complaints"),
        &t.officer,
        json!({
            "name": "Percy Print",
            "address": "4 Post Lane, Liverpool",
            "postcode": "L33 7WQ",
            "description": "Water has been coming through the kitchen ceiling for a month.",
            "category": "repairs",
            "channel": "phone",
        }),
    )
    .await;
    let reference = created["reference"].as_str().unwrap().to_string();
    let url = |p: &str| s.url(&format!("/staff/complaints/{reference}/{p}"));
    if large {
        ok(
            &c,
            &url("contact-preferences"),
            &t.officer,
            json!({"method": "post", "format": "large_print"}),
        )
        .await;
    }
    ok(
        &c,
        &url("acknowledgement"),
        &t.officer,
        json!({"investigating_manager": "ian@p3.example", "complaint_points": points()}),
    )
    .await;
    reference
}

async fn get(c: &reqwest::Client, url: &str, token: &str) -> (u16, String, Vec<u8>) {
    let res = c
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

/// The number of the case's last letter.
async fn last_letter(s: &Server, t: &Staffs, reference: &str) -> u64 {
    let (_, case) = get_json(
        &client(),
        &s.url(&format!("/staff/complaints/{reference}")),
        Some(&t.auditor),
    )
    .await;
    case["letters"].as_array().unwrap().last().unwrap()["number"]
        .as_u64()
        .unwrap()
}

/// A PDF read back: its pages' text, and the sizes its text is set in.
struct Read {
    pages: Vec<String>,
    sizes: Vec<f32>,
}

fn read(bytes: &[u8]) -> Read {
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let doc = Document::load_mem(bytes).expect("the PDF parses");
    let catalog = doc.catalog().unwrap();
    assert!(catalog.has(b"StructTreeRoot"), "tagged: a structure tree");
    let marked = catalog
        .get(b"MarkInfo")
        .and_then(|m| doc.dereference(m).map(|(_, o)| o.clone()))
        .and_then(|m| m.as_dict().cloned())
        .and_then(|m| m.get(b"Marked").and_then(Object::as_bool))
        .expect("MarkInfo present");
    assert!(marked, "MarkInfo says the content is marked");
    let mut pages = Vec::new();
    let mut sizes = Vec::new();
    for (n, id) in doc.get_pages() {
        let media = doc
            .get_dictionary(id)
            .unwrap()
            .get(b"MediaBox")
            .unwrap()
            .as_array()
            .unwrap()
            .clone();
        let w = media[2].as_float().unwrap();
        let h = media[3].as_float().unwrap();
        assert!(
            (w - 595.28).abs() < 1.0 && (h - 841.89).abs() < 1.0,
            "A4: {w} x {h}"
        );
        pages.push(doc.extract_text(&[n]).expect("the text extracts"));
        let content = Content::decode(&doc.get_page_content(id)).unwrap();
        for op in content.operations.iter().filter(|o| o.operator == "Tf") {
            sizes.push(op.operands[1].as_float().unwrap());
        }
    }
    Read { pages, sizes }
}

/// The size most of the text is set in.
fn body_size(sizes: &[f32]) -> f32 {
    let mut counts: Vec<(i32, usize)> = Vec::new();
    for s in sizes {
        let k = (s * 10.0).round() as i32;
        match counts.iter_mut().find(|(x, _)| *x == k) {
            Some((_, n)) => *n += 1,
            None => counts.push((k, 1)),
        }
    }
    counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    counts[0].0 as f32 / 10.0
}

/// The words of `text` with all runs of whitespace as one space.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn letters_are_tagged_a4_pdfs_with_the_landlord_reference_and_page_numbers_on_each_page() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let standard = acknowledged(&s, &t, false).await;
    let large = acknowledged(&s, &t, true).await;

    let letter = |r: &str, n: u64, q: &str| s.url(&format!("/staff/complaints/{r}/letters/{n}{q}"));
    let n = last_letter(&s, &t, &standard).await;
    let (status, kind, html) = get(&c, &letter(&standard, n, ""), &t.auditor).await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/html; charset=utf-8"),
        "HTML still by default"
    );
    assert!(String::from_utf8(html).unwrap().contains("Point 30"));
    let (status, kind, body) = get(&c, &letter(&standard, n, "?format=pdf"), &t.auditor).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    let pdf = read(&body);
    assert!(
        pdf.pages.len() >= 2,
        "30 points run past one page: {} pages",
        pdf.pages.len()
    );
    let total = pdf.pages.len();
    for (i, page) in pdf.pages.iter().enumerate() {
        let page = squash(page);
        assert!(
            page.contains("P3 Housing"),
            "the landlord on page {}: {page}",
            i + 1
        );
        assert!(page.contains(&standard), "the reference on page {}", i + 1);
        assert!(
            page.contains(&format!("Page {} of {total}", i + 1)),
            "page number {}: {page}",
            i + 1
        );
    }
    let all = squash(&pdf.pages.concat());
    assert!(all.contains("Percy Print"), "addressed to the resident");
    assert!(
        all.contains("4 Post Lane, Liverpool") || all.contains("4 Post Lane"),
        "{all}"
    );
    for p in points() {
        assert!(all.contains(&p), "the letter holds {p}");
    }

    let n = last_letter(&s, &t, &large).await;
    let (status, _, body) = get(&c, &letter(&large, n, "?format=pdf"), &t.auditor).await;
    assert_eq!(status, 200);
    let big = read(&body);
    let (small_size, large_size) = (body_size(&pdf.sizes), body_size(&big.sizes));
    assert!(
        large_size >= 16.0,
        "large print body text is at least 16pt: {large_size}"
    );
    assert!(large_size > small_size, "{large_size} > {small_size}");
    assert!(big.pages.len() > pdf.pages.len(), "large print runs longer");
    assert!(squash(&big.pages.concat()).contains("Point 30"));

    for q in ["?format=docx", "?format=pdf&format=html"] {
        let (status, v) = get_json(&c, &letter(&standard, 1, q), Some(&t.auditor)).await;
        assert_eq!(status, 400, "{q}: {v}");
        assert!(v.to_string().contains("format"), "{v}");
    }
    let (status, _, _) = get(&c, &letter(&standard, 99, "?format=pdf"), &t.auditor).await;
    assert_eq!(status, 404);
    let res = c
        .get(letter(&standard, 1, "?format=pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401, "staff only");
}

/// A case through its whole lifecycle: received, acknowledged, answered at Stage 1, escalated,
/// acknowledged and answered at Stage 2, referred to the Ombudsman, with a note.
async fn lifecycle(s: &Server, t: &Staffs) -> String {
    let c = client();
    let reference = acknowledged(s, t, false).await;
    let url = |p: &str| s.url(&format!("/staff/complaints/{reference}/{p}"));
    ok(
        &c,
        &url("notes"),
        &t.officer,
        json!({"text": "Neighbour says the leak comes from flat 4"}),
    )
    .await;
    // Every point decided: the first upheld, the others not, so partly upheld overall.
    let decisions: Vec<Value> = points()
        .into_iter()
        .enumerate()
        .map(|(i, point)| {
            let decision = if i == 0 { "upheld" } else { "not_upheld" };
            json!({"point": point, "decision": decision, "reason": "From the repair log."})
        })
        .collect();
    ok(
        &c,
        &url("stage1-response"),
        &t.im,
        json!({"outcome": "partly_upheld", "summary": "The repair was booked late.",
               "remedy": "An apology.", "point_decisions": decisions}),
    )
    .await;
    ok(
        &c,
        &url("stage2"),
        &t.officer,
        json!({"reason": "The ceiling is still damaged."}),
    )
    .await;
    ok(
        &c,
        &url("acknowledgement"),
        &t.officer,
        json!({"reviewer": "hannah@p3.example",
               "complaint_points": ["The ceiling is still damaged"]}),
    )
    .await;
    ok(
        &c,
        &url("stage2-response"),
        &t.senior,
        json!({"outcome": "upheld", "summary": "On review we uphold it.",
               "point_decisions": [{"point": "The ceiling is still damaged",
                                    "decision": "upheld", "reason": "The plaster is wet."}]}),
    )
    .await;
    ok(
        &c,
        &url("ombudsman"),
        &t.senior,
        json!({"event": "referred", "detail": "Referred on the Ombudsman's form"}),
    )
    .await;
    reference
}

#[tokio::test]
async fn the_evidence_pack_pdf_of_a_whole_lifecycle_holds_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let reference = lifecycle(&s, &t).await;
    let evidence = s.url(&format!("/staff/complaints/{reference}/evidence"));
    let (status, kind, body) = get(&c, &format!("{evidence}?format=pdf"), &t.senior).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    let pdf = read(&body);
    let total = pdf.pages.len();
    for (i, page) in pdf.pages.iter().enumerate() {
        let page = squash(page);
        assert!(
            page.contains("P3 Housing") && page.contains(&reference),
            "page {}",
            i + 1
        );
        assert!(
            page.contains(&format!("Page {} of {total}", i + 1)),
            "page {}",
            i + 1
        );
    }
    let all = squash(&pdf.pages.concat());
    assert!(all.contains(&format!(
        "Evidence pack for the Housing Ombudsman: complaint {reference}"
    )));
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}")),
        Some(&t.auditor),
    )
    .await;
    let history = case["history"].as_array().unwrap();
    assert!(history.len() >= 8, "{}", history.len());
    // A long word in a narrow column breaks across lines: compared without any spaces.
    let unbroken: String = all.split_whitespace().collect();
    for e in history {
        let kind = e["type"].as_str().unwrap();
        assert!(
            unbroken.contains(kind),
            "the pack holds event {} ({kind})",
            e["sequence"]
        );
    }
    for text in [
        "Neighbour says the leak comes from flat 4",
        "On review we uphold it.",
        "Referred on the Ombudsman's form",
    ] {
        assert!(all.contains(text), "{text}");
    }
    let (status, v) = get_json(&c, &format!("{evidence}?format=txt"), Some(&t.senior)).await;
    assert_eq!(status, 400);
    assert!(v.to_string().contains("html, zip or pdf"), "{v}");
    let (status, _, _) = get(&c, &format!("{evidence}?format=pdf"), &t.officer).await;
    assert_eq!(status, 403, "officers get no pack, as PDF or HTML");
}

/// The time to build the evidence pack PDF of a case with 200 events, and its size. Figures
/// only: `cargo nextest run -p p3 --run-ignored all -E 'test(evidence_pdf_of_200_events)'
/// --no-capture` (a release build for figures that mean anything).
#[tokio::test]
#[ignore = "figures, not a check"]
async fn evidence_pdf_of_200_events() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let reference = lifecycle(&s, &t).await;
    let url = s.url(&format!("/staff/complaints/{reference}/notes"));
    loop {
        let (_, case) = get_json(
            &c,
            &s.url(&format!("/staff/complaints/{reference}")),
            Some(&t.auditor),
        )
        .await;
        if case["history"].as_array().unwrap().len() >= 200 {
            break;
        }
        ok(
            &c,
            &url,
            &t.officer,
            json!({"text": "Called the resident; the contractor is booked for Tuesday morning."}),
        )
        .await;
    }
    let evidence = s.url(&format!("/staff/complaints/{reference}/evidence"));
    for format in ["html", "pdf"] {
        let started = std::time::Instant::now();
        let (status, _, body) = get(&c, &format!("{evidence}?format={format}"), &t.senior).await;
        assert_eq!(status, 200);
        println!(
            "evidence pack of 200 events as {format}: {} ms, {} bytes",
            started.elapsed().as_millis(),
            body.len()
        );
        if format == "pdf" {
            println!("{} pages", read(&body).pages.len());
        }
    }
}
