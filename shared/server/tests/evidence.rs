//! The evidence pack for the Housing Ombudsman, over real HTTP against a running `p3 serve`,
//! and from `p3 evidence` on the same data dir.

mod support;

use std::io::Read;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::*;

fn days_ago(n: i64) -> String {
    (Utc::now() - Duration::days(n)).to_rfc3339()
}

fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The pack without the line saying when and by whom it was produced.
fn without_produced(html: &str) -> String {
    let start = html
        .find("<p class=\"produced\">")
        .expect("the pack says who produced it");
    let end = start + html[start..].find("</p>").unwrap() + 4;
    format!("{}{}", &html[..start], &html[end..])
}

/// The table row with this id.
fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<tr id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no row {id} in the pack"));
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

async fn ok(c: &reqwest::Client, url: &str, token: &str, body: Value) -> Value {
    let (status, v, _) = post_json(c, url, Some(token), &body).await;
    assert!(status == 200 || status == 201, "{url}: {v}");
    v
}

/// The server a test of a [`two_stage_case`] reads it from, with its staff: the case's
/// history is weeks old, so staff may date actions up to 30 working days back (`[records]`).
/// An extension counts as made in time only if it is recorded in time, so the case is begun
/// (received, acknowledged, extended) on a server whose clock stands 30 days ago, stopped once
/// the letters it issued are emailed; the rest is recorded on a server on the real clock.
async fn two_stage_server(dir: &std::path::Path) -> (Server, Staffs, String) {
    let data = dir.join("data");
    let config = backdating_config(dir, 30);
    let then = (Utc::now() - Duration::days(30) + Duration::hours(1)).to_rfc3339();
    let early = Server::start_args(&data, Some(&config), &["--port", "0", "--now", &then]);
    let t = staffs_at(&early, &then);
    let c = client();
    let reference = two_stage_case_begun(&early, &t, &c).await;
    let sent = |s: &Server| {
        let log = s.data_dir.join("outbox");
        std::fs::read_dir(log).map(|d| d.count()).unwrap_or(0)
    };
    eventually("the first two letters' emails", 30, || sent(&early) >= 2).await;
    for _ in 0..300 {
        let (_, case) = get_json(
            &c,
            &early.url(&format!("/staff/complaints/{reference}")),
            Some(&t.auditor),
        )
        .await;
        let recorded = case["letters"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|l| l["to"].as_array().cloned().unwrap_or_default())
            .filter(|to| to["email_sent"] == true)
            .count();
        if recorded >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(early.stop().success());
    let s = Server::start_with(&data, Some(&config));
    let t = staffs(&s);
    two_stage_case_ended(&s, &t, &c, &reference).await;
    (s, t, reference)
}

/// A case through both stages, backdated so that its history has weeks in it, with a
/// representative who gets posted copies: received, acknowledged, extended (begun here), Stage
/// 1 response with an action (left undone, so breached) and compensation, Stage 2 asked for,
/// acknowledged and answered, referred to the Ombudsman and determined (see
/// [`two_stage_case_ended`]).
async fn two_stage_case_begun(s: &Server, t: &Staffs, c: &reqwest::Client) -> String {
    let (status, created, _) = post_json(
        c,
        &s.url("/staff/complaints"),
        Some(&t.officer),
        &json!({
            "name": "Ada Resident",
            "email": "ada.resident@example.org",
            "address": "1 Dock Road, Liverpool",
            "postcode": "L33 7WQ",
            "description": "Water has been coming through the kitchen ceiling for three weeks.",
            "desired_outcome": "Fix the leak and repair the ceiling.",
            "category": "repairs",
            "channel": "phone",
            "received_at": days_ago(40),
            "representative_name": "Rita Advocate",
            "representative_relationship": "advocate",
            "representative_address": "2 Advice Street, Liverpool L1 1AA",
            "representative_authorised": true
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap().to_string();
    let url = |p: &str| s.url(&format!("/staff/complaints/{reference}/{p}"));
    ok(c, &url("acknowledgement"), &t.officer, json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Leak not fixed", "No reply to calls"], "at": days_ago(39)})).await;
    ok(
        c,
        &url("extension"),
        &t.im,
        json!({"working_days": 5, "reason": "We are waiting for the roofer's report.", "at": days_ago(30)}),
    )
    .await;
    reference
}

/// The rest of [`two_stage_case_begun`]'s case, recorded now.
async fn two_stage_case_ended(s: &Server, t: &Staffs, c: &reqwest::Client, reference: &str) {
    let url = |p: &str| s.url(&format!("/staff/complaints/{reference}/{p}"));
    ok(c, &url("stage1-response"), &t.im, json!({
        "outcome": "partly_upheld",
        "summary": "We found the repair was booked late.",
        "remedy": "An apology and compensation.",
        "point_decisions": [{"point": "Leak not fixed", "decision": "upheld", "reason": "The repair was booked late."}, {"point": "No reply to calls", "decision": "not_upheld", "reason": "Our call log shows three calls back."}],
        "actions": [{"description": "Repair the kitchen ceiling", "due": (Utc::now() - Duration::days(15)).date_naive()}],
        "compensation_pence": 5000,
        "at": days_ago(20)
    })).await;
    ok(
        c,
        &url("stage2"),
        &t.officer,
        json!({"reason": "The ceiling is still damaged.", "at": days_ago(18)}),
    )
    .await;
    ok(
        c,
        &url("acknowledgement"),
        &t.officer,
        json!({"reviewer": "hannah@p3.example", "complaint_points": ["The ceiling is still damaged"],
               "not_responsible_for": "The roof above: the freeholder's", "at": days_ago(17)}),
    )
    .await;
    ok(
        c,
        &url("stage2-response"),
        &t.senior,
        json!({"outcome": "upheld", "summary": "On review we uphold the complaint in full.",
               "point_decisions": [{"point": "The ceiling is still damaged", "decision": "upheld", "reason": "The plaster is still wet."}],
               "at": days_ago(10)}),
    )
    .await;
    ok(
        c,
        &url("ombudsman"),
        &t.senior,
        json!({"event": "referred", "detail": "Resident referred on the Ombudsman's form", "at": days_ago(5)}),
    )
    .await;
    ok(
        c,
        &url("ombudsman"),
        &t.senior,
        json!({"event": "determination", "detail": "Maladministration; £200 ordered", "at": days_ago(1)}),
    )
    .await;
}

async fn get(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    accept: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut r = c.get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    let res = r.send().await.expect("request sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// The zip's files as text (the PDF's bytes read lossily).
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut raw = Vec::new();
        f.read_to_end(&mut raw)
            .expect("each file reads back (CRC checked)");
        out.push((
            f.name().to_string(),
            String::from_utf8_lossy(&raw).into_owned(),
        ));
    }
    out
}

#[tokio::test]
async fn the_evidence_pack_of_a_two_stage_case_holds_every_event_letter_and_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (s, t, reference) = two_stage_server(dir.path()).await;
    let c = client();

    // Each letter's email to the resident goes out (its copy to the representative is posted).
    // The outbox file is written before the mail is recorded as sent: wait for the records.
    eventually("the five letters' emails", 30, || s.outbox().len() >= 5).await;
    let mut sent = 0;
    for _ in 0..300 {
        let (_, case) = get_json(
            &c,
            &s.url(&format!("/staff/complaints/{reference}")),
            Some(&t.auditor),
        )
        .await;
        sent = case["letters"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|l| l["to"].as_array().cloned().unwrap_or_default())
            .filter(|to| to["email_sent"] == true)
            .count();
        if sent >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(sent, 5, "each of the five letters' emails recorded as sent");

    let (status, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(status, 200);
    let evidence = s.url(&format!("/staff/complaints/{reference}/evidence"));
    let (status, headers, body) = get(&c, &evidence, Some(&t.senior), None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains(&format!(
        "Evidence pack for the Housing Ombudsman: complaint {reference}"
    )));
    assert!(html.contains("by Hannah Head &lt;hannah@p3.example&gt; (senior_manager)"));
    for text in [
        "Ada Resident",
        "Water has been coming through the kitchen ceiling for three weeks.",
        "Fix the leak and repair the ceiling.",
        "Rita Advocate (advocate)",
        "Phone",
        "Repairs",
    ] {
        assert!(html.contains(text), "the complaint shows {text}");
    }

    // Every event of the history, with who and both times.
    let history = case["history"].as_array().unwrap();
    let names: Vec<&str> = history
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for kind in [
        "received",
        "acknowledged",
        "extended",
        "responded",
        "escalation_requested",
        "ombudsman_referred",
        "ombudsman_determination",
        "letter_issued",
    ] {
        assert!(
            names.contains(&kind),
            "the case has a {kind} event: {names:?}"
        );
    }
    for e in history {
        let r = row(&html, &format!("event-{}", e["sequence"]));
        assert!(
            r.contains(&format!("<code>{}</code>", e["type"].as_str().unwrap())),
            "{r}"
        );
        assert!(r.contains(&escaped(e["by"].as_str().unwrap())), "{r}");
    }
    let extended = history.iter().find(|e| e["type"] == "extended").unwrap();
    let r = row(&html, &format!("event-{}", extended["sequence"]));
    assert!(r.contains("extended by 5 working days"), "{r}");
    assert!(r.contains("waiting for the roofer"), "{r}");

    // Every letter, with its subject and the text as issued, and how each copy went.
    let letters: Vec<&Value> = history
        .iter()
        .filter(|e| e["type"] == "letter_issued")
        .map(|e| &e["letter"])
        .collect();
    assert_eq!(
        letters.len(),
        5,
        "two acknowledgements, an extension, two responses"
    );
    for l in &letters {
        assert!(html.contains(&escaped(l["subject"].as_str().unwrap())));
        assert!(
            html.contains(l["html"].as_str().unwrap()),
            "letter {} as issued",
            l["number"]
        );
    }
    assert_eq!(
        html.matches("<td>Sent</td>").count(),
        5,
        "each email marked sent"
    );
    assert_eq!(
        html.matches("<td>Printed and posted by staff</td>").count(),
        5,
        "each copy to the representative is posted"
    );

    // The deadlines, each with how it was met or missed: the undone action is breached.
    let deadlines = case["deadlines"].as_array().unwrap();
    for d in deadlines {
        let r = row(&html, &format!("deadline-{}", d["kind"].as_str().unwrap()));
        assert!(
            r.contains(&format!(
                "<strong>{}</strong>",
                d["status"].as_str().unwrap()
            )),
            "{r}"
        );
    }
    assert!(row(&html, "deadline-stage1_acknowledgement").contains("<strong>met</strong>"));
    let action = row(&html, "deadline-stage1_action1");
    assert!(action.contains("<strong>breached</strong>"), "{action}");
    assert!(row(&html, "deadline-stage1_response").contains("waiting for the roofer"));
    let action = row(&html, "action-1");
    assert!(action.contains("Repair the kitchen ceiling") && action.contains("ian@p3.example"));
    assert!(
        action.contains("breached") && action.contains("Not yet"),
        "{action}"
    );
    let offer = row(&html, "compensation-1");
    assert!(
        offer.contains("£50.00") && offer.contains("offered"),
        "{offer}"
    );
    assert!(html.contains("Maladministration; £200 ordered"));
    assert!(html.contains("Resident referred on the Ombudsman&#39;s form"));

    // The zip: the pack, one printable file per letter, the pack as PDF and the SHA-256 sums.
    let (status, headers, zip_bytes) = get(
        &c,
        &format!("{evidence}?format=zip"),
        Some(&t.auditor),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"{reference}-evidence.zip\"").as_str()
    );
    let files = unzip(&zip_bytes);
    assert_eq!(
        files.len(),
        8,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(files[0].0, format!("{reference}-evidence.html"));
    assert_eq!(without_produced(&files[0].1), without_produced(&html));
    assert!(files[0].1.contains("(auditor)"));
    for (l, (name, text)) in letters.iter().zip(&files[1..]) {
        assert!(
            name.starts_with(&format!("letter-{:02}-", l["number"].as_u64().unwrap())),
            "{name}"
        );
        assert!(text.contains(&escaped(l["subject"].as_str().unwrap())));
        assert!(text.contains(l["html"].as_str().unwrap()));
        assert!(
            text.contains("Rita Advocate"),
            "the representative's copy is addressed"
        );
    }
    if let Ok(out) = std::process::Command::new("unzip")
        .arg("-tq")
        .arg({
            let p = dir.path().join("pack.zip");
            std::fs::write(&p, &zip_bytes).unwrap();
            p
        })
        .output()
    {
        assert!(
            out.status.success(),
            "unzip -t: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let (status, headers, accept_zip) =
        get(&c, &evidence, Some(&t.auditor), Some("application/zip")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(unzip(&accept_zip).len(), 8);

    // `p3 evidence` on the same data dir writes the same pack, signed by the local user.
    let cwd = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin())
        .args(["evidence", &reference, "--data-dir"])
        .arg(&s.data_dir)
        .current_dir(cwd.path())
        .env("USER", "clara")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = format!("{reference}-evidence.zip");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), written);
    let cli_files = unzip(&std::fs::read(cwd.path().join(&written)).unwrap());
    assert_eq!(
        cli_files.iter().map(|f| &f.0).collect::<Vec<_>>(),
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(without_produced(&cli_files[0].1), without_produced(&html));
    assert!(cli_files[0].1.contains("by clara (p3 evidence"));
    // The letters are the same files (the pack, its PDF and so the sums name who produced it).
    let letters_of = |f: &[(String, String)]| -> Vec<(String, String)> {
        f.iter()
            .filter(|(n, _)| n.starts_with("letter-"))
            .cloned()
            .collect()
    };
    assert_eq!(letters_of(&cli_files), letters_of(&files));
    assert_eq!(letters_of(&files).len(), 5);

    let html_out = cwd.path().join("pack.html");
    let out = std::process::Command::new(bin())
        .args(["evidence", &reference, "--format", "html", "--out"])
        .arg(&html_out)
        .arg("--data-dir")
        .arg(&s.data_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_html = std::fs::read_to_string(&html_out).unwrap();
    assert_eq!(without_produced(&cli_html), without_produced(&html));

    let out = std::process::Command::new(bin())
        .args(["evidence", "CMP-2026-99999", "--data-dir"])
        .arg(&s.data_dir)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no complaint with the reference CMP-2026-99999"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!cwd.path().join("CMP-2026-99999-evidence.zip").exists());

    // Nothing personal in the logs.
    let logs = s.logs();
    for secret in [
        "Ada Resident",
        "ada.resident@example.org",
        "kitchen ceiling",
    ] {
        assert!(!logs.contains(secret), "logs contain {secret}");
    }
}

#[tokio::test]
async fn only_senior_managers_and_auditors_get_the_evidence_pack() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let (status, created, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &json!({"name": "Ada Resident", "email": "ada@example.org", "description": "The lift is broken.", "category": "repairs"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap();
    let url = s.url(&format!("/staff/complaints/{reference}/evidence"));

    for (who, token) in [("officer", &t.officer), ("investigating_manager", &t.im)] {
        let (status, headers, body) = get(&c, &url, Some(token), None).await;
        assert_eq!(status, 403, "{who}");
        assert_eq!(headers["content-type"], "application/problem+json");
        let p: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("senior_manager or auditor"),
            "{p}"
        );
        assert!(!String::from_utf8_lossy(&body).contains("lift is broken"));
        let (status, _, _) = get(&c, &format!("{url}?format=zip"), Some(token), None).await;
        assert_eq!(status, 403, "{who}, zip");
    }
    for token in [&t.auditor, &t.senior] {
        let (status, _, body) = get(&c, &url, Some(token), None).await;
        assert_eq!(status, 200);
        assert!(String::from_utf8_lossy(&body).contains("The lift is broken."));
    }
    let (status, headers, _) = get(&c, &url, None, None).await;
    assert_eq!(status, 401);
    assert_eq!(headers["content-type"], "application/problem+json");

    let (status, _, _) = get(
        &c,
        &s.url("/staff/complaints/CMP-2026-99999/evidence"),
        Some(&t.auditor),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, body) = get(&c, &format!("{url}?format=docx"), Some(&t.auditor), None).await;
    assert_eq!(status, 400);
    let p: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(p["errors"][0]["field"], "format", "{p}");
}

#[tokio::test]
async fn markup_and_formulas_a_resident_typed_are_inert_in_the_pack_and_its_letters() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let t = staffs(&s);
    let c = client();
    let hostile = "<script>alert(1)</script> =HYPERLINK(\"http://x\")";
    let (status, created, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &json!({
            "name": "<img src=x onerror=alert(2)>",
            "email": "ada@example.org",
            "description": hostile,
            "desired_outcome": "=HYPERLINK(\"http://x\",\"click\")",
            "category": "repairs"
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let reference = created["reference"].as_str().unwrap();
    ok(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/acknowledgement")),
        &t.officer,
        json!({"investigating_manager": "ian@p3.example", "complaint_points": ["<script>alert(3)</script>"]}),
    )
    .await;
    let url = s.url(&format!("/staff/complaints/{reference}/evidence"));
    let (status, _, body) = get(&c, &url, Some(&t.auditor), None).await;
    assert_eq!(status, 200);
    let html = String::from_utf8(body).unwrap();
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "no script tag"
    );
    assert!(!html.contains("<img"), "no image tag");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; =HYPERLINK(&quot;http://x&quot;)"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(html.contains("&lt;script&gt;alert(3)&lt;/script&gt;"));

    let (status, _, zip_bytes) =
        get(&c, &format!("{url}?format=zip"), Some(&t.auditor), None).await;
    assert_eq!(status, 200);
    let files = unzip(&zip_bytes);
    assert_eq!(
        files.len(),
        4,
        "the pack, the acknowledgement, the PDF and the sums"
    );
    for (name, text) in files.iter().filter(|(n, _)| n.ends_with(".html")) {
        assert!(!text.to_ascii_lowercase().contains("<script"), "{name}");
        assert!(!text.contains("<img"), "{name}");
    }
    assert!(files[1].1.contains("&lt;script&gt;alert(3)"));
}
