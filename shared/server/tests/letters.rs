//! Letters to residents through the real `p3 serve`: acknowledging a complaint emails its
//! letter to a resident who gave an email address, once, even across a restart and later
//! changes to the case; a resident without one gets no email but the letter is on the case, to
//! be posted; and while the outbox cannot be written the letter is retried and not recorded as
//! sent until it goes. (The flag to the complaints team after an hour of failures needs a
//! clock the server does not let a test move: `shared/sqlite/tests/letters.rs` checks it.)

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use support::*;

const POINTS: [&str; 2] = [
    "Leak through the kitchen ceiling not fixed",
    "No reply to three phone calls",
];

fn complaint(email: Option<&str>) -> Value {
    let mut body = json!({
        "name": "Lettie Letter",
        "phone": "07700 900789",
        "address": "4 Post Lane, Liverpool",
        "postcode": "L33 7WQ",
        "description": "Water has been coming through the kitchen ceiling for a month.",
        "category": "repairs",
        "channel": "phone",
    });
    if let Some(e) = email {
        body["email"] = json!(e);
    }
    body
}

/// Logs a complaint from staff and acknowledges it with [`POINTS`]: its reference and the
/// case as the acknowledgement answered it.
async fn acknowledged(s: &Server, email: Option<&str>) -> (String, Value) {
    let c = client();
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    let (status, case, _) = post_json(
        &c,
        &s.url("/staff/complaints"),
        Some(&officer),
        &complaint(email),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let reference = case["reference"].as_str().unwrap().to_string();
    let (status, case, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/acknowledgement")),
        Some(&officer),
        &json!({"investigating_manager": "ian@p3.example", "complaint_points": POINTS}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    (reference, case)
}

/// The text of an `.eml` file (its `text/plain` part), whatever transfer encoding it was
/// written in.
fn mail_body(eml: &str) -> String {
    p3_mail::read::parts(eml)
        .into_iter()
        .find(|p| p.media_type() == "text/plain")
        .expect("a text part")
        .text()
}

/// The text of every page of a PDF, its runs of whitespace as one space.
fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("the text extracts");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn db(data_dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("p3.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn
}

/// The ids of the timers waiting for a case, with their attempts.
fn timers(data_dir: &Path, reference: &str) -> Vec<(String, i64)> {
    db(data_dir)
        .prepare("SELECT alert_id, attempts FROM timers WHERE reference = ?1 ORDER BY alert_id")
        .unwrap()
        .query_map([reference], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The notices recorded as sent.
fn sent(data_dir: &Path) -> BTreeSet<String> {
    db(data_dir)
        .prepare("SELECT alert_id FROM sent_alerts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The letters of a case, as its `letter_issued` events keep them.
fn letters(data_dir: &Path, reference: &str) -> Vec<Value> {
    db(data_dir)
        .prepare(
            "SELECT body FROM events WHERE reference = ?1 AND type = 'letter_issued' ORDER BY sequence",
        )
        .unwrap()
        .query_map([reference], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|b| serde_json::from_str::<Value>(&b.unwrap()).unwrap()["letter"].clone())
        .collect()
}

/// The case's Stage 1 response date, as a letter writes it: "Monday 14 December 2026".
fn response_due(case: &Value) -> String {
    let due: NaiveDate = deadline(case, "stage1_response")["due"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    due.format("%A %-d %B %Y").to_string()
}

#[tokio::test]
async fn an_acknowledgement_emails_its_letter_once_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let (reference, case) = acknowledged(&s, Some("lettie@example.org")).await;
    let file = format!("{reference}.letter1.copy1.eml");
    let id = format!("{reference}.letter1.copy1");

    eventually("the letter emailed", 20, || {
        s.outbox().iter().any(|(n, _)| *n == file)
    })
    .await;
    eventually("the letter recorded sent", 5, || {
        sent(dir.path()).contains(&id)
    })
    .await;
    let mails = s.outbox();
    assert_eq!(
        mails.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        [file.as_str()],
        "one email: the letter"
    );
    let eml = &mails[0].1;
    assert!(eml.contains("To: lettie@example.org"), "{eml}");
    assert!(eml.contains("Content-Type: multipart/mixed"), "{eml}");
    let body = mail_body(eml);
    // Beside the text, the letter as a PDF, laid out as the letter route prints it.
    let files: Vec<_> = p3_mail::read::parts(eml)
        .into_iter()
        .filter(|p| p.filename().is_some())
        .collect();
    assert_eq!(files.len(), 1, "one file: the letter");
    let name = format!("{reference}-letter-1.pdf");
    assert_eq!(files[0].filename(), Some(name.as_str()));
    assert_eq!(files[0].media_type(), "application/pdf");
    let printed = pdf_text(&files[0].content);
    for expected in ["Dear Lettie Letter", POINTS[0], reference.as_str()] {
        assert!(
            printed.contains(expected),
            "the PDF has `{expected}`: {printed}"
        );
    }
    // The letter as the case keeps it: the complaint's points and when the answer is due.
    for point in POINTS {
        assert!(body.contains(point), "the letter lists `{point}`:\n{body}");
    }
    assert!(
        body.contains(&response_due(&case)),
        "the letter gives the response date {}:\n{body}",
        response_due(&case)
    );
    assert!(body.contains("Dear Lettie Letter"), "{body}");
    assert!(body.contains(&reference), "{body}");
    let kept = letters(dir.path(), &reference);
    assert_eq!(kept.len(), 1);
    let text = kept[0]["text"].as_str().unwrap();
    assert!(
        body.contains(text.trim()),
        "the email is the letter as kept"
    );
    assert!(
        timers(dir.path(), &reference)
            .iter()
            .all(|(t, _)| !t.contains(".letter")),
        "no letter timer left once sent"
    );
    // Nothing of the letter in the logs.
    let logs = s.logs();
    for secret in ["Lettie", "lettie@example.org", POINTS[0]] {
        assert!(!logs.contains(secret), "the logs carry {secret}");
    }

    // The mail is collected from the outbox; the server restarts; the case changes again (an
    // extension, with its own letter): the acknowledgement's letter is not sent again.
    std::fs::remove_file(dir.path().join("outbox").join(&file)).unwrap();
    assert!(s.stop().success());
    let s = Server::start(dir.path());
    let im = s.token("Ian Manager", "ian@p3.example", "investigating_manager");
    let (status, case, _) = post_json(
        &client(),
        &s.url(&format!("/staff/complaints/{reference}/extension")),
        Some(&im),
        &json!({"working_days": 5, "reason": "Waiting for the roofer's report"}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    let second = format!("{reference}.letter2.copy1.eml");
    eventually("the extension letter emailed", 20, || {
        s.outbox().iter().any(|(n, _)| *n == second)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let names: Vec<String> = s.outbox().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, [second], "the first letter went once");
    let body = mail_body(&s.outbox()[0].1);
    assert!(body.contains("Waiting for the roofer's report"), "{body}");
    assert!(body.contains(&response_due(&case)), "the new date:\n{body}");
}

#[tokio::test]
async fn a_resident_without_email_gets_no_email_and_the_letter_is_kept_to_post() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let (reference, _) = acknowledged(&s, None).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    assert!(s.outbox().is_empty(), "no email: {:?}", s.outbox());
    assert!(sent(dir.path()).is_empty());
    assert!(
        timers(dir.path(), &reference)
            .iter()
            .all(|(t, _)| !t.contains(".letter")),
        "no letter timer"
    );
    let kept = letters(dir.path(), &reference);
    assert_eq!(kept.len(), 1, "the letter is on the case");
    let letter = &kept[0];
    assert_eq!(letter["kind"], "acknowledgement");
    assert_eq!(letter["to"].as_array().unwrap().len(), 1);
    let to = &letter["to"][0];
    assert_eq!(
        (&to["role"], &to["delivery"], &to["email"]),
        (&json!("resident"), &json!("post"), &Value::Null)
    );
    assert_eq!(to["address"], "4 Post Lane, Liverpool\nL33 7WQ");
    assert!(letter["text"].as_str().unwrap().contains(POINTS[1]));
}

#[tokio::test]
async fn an_outbox_that_cannot_be_written_keeps_the_letter_unsent_until_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    // The folder is replaced by a file: no email can be written there.
    let outbox = dir.path().join("outbox");
    std::fs::remove_dir_all(&outbox).unwrap();
    std::fs::write(&outbox, "not a folder").unwrap();
    let (reference, _) = acknowledged(&s, Some("lettie@example.org")).await;
    let id = format!("{reference}.letter1.copy1");

    eventually("the letter to fail once", 20, || {
        assert!(sent(dir.path()).is_empty(), "recorded sent though not sent");
        timers(dir.path(), &reference)
            .iter()
            .any(|(t, attempts)| *t == id && *attempts >= 1)
    })
    .await;
    assert!(s.logs().contains("alert not sent; will retry"));

    // The folder is back: the next attempt (a 30 s back-off) sends it, once; the complaints
    // team is not told of a letter that failed for less than an hour.
    std::fs::remove_file(&outbox).unwrap();
    std::fs::create_dir(&outbox).unwrap();
    eventually("the letter sent", 45, || !s.outbox().is_empty()).await;
    eventually("the letter recorded sent", 5, || {
        sent(dir.path()).contains(&id)
            && timers(dir.path(), &reference).iter().all(|(t, _)| *t != id)
    })
    .await;
    let names: Vec<String> = s.outbox().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, [format!("{id}.eml")]);
    assert_eq!(sent(dir.path()), BTreeSet::from([id]));
}
