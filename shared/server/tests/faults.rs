//! Faults in the store or the mail, against the real `p3 serve`: while a dependency fails,
//! requests get 503 with `Retry-After` as problem+json and nothing is half-written; an alert
//! stays unsent (never recorded as sent) and is retried; when the fault clears, the same
//! process carries on by itself, without a restart.
//!
//! The store's fault is a real one of its real file: the server's file-size limit
//! (`RLIMIT_FSIZE`, set on the running process with `prlimit`) drops below the file sizes, so
//! every write SQLite makes fails with `EFBIG` as on a full disk. SIGXFSZ is ignored (inherited
//! from the test), as a full disk sends no signal. The mail's faults: the outbox folder replaced
//! by a file, and an SMTP relay on a port where nothing listens (then a relay that answers).

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use support::*;

fn complaint(n: usize) -> Value {
    json!({
        "name": "Fay Fault",
        "email": "fay.fault@example.org",
        "phone": "07700 900456",
        "postcode": "L33 7WQ",
        "description": format!("Fault test complaint {n}: the lift is broken."),
        "category": "repairs",
        "channel": "email",
    })
}

/// Complaint `n` from staff, with its own idempotency key.
async fn post_complaint(
    c: &reqwest::Client,
    url: &str,
    officer: &str,
    n: usize,
) -> reqwest::Response {
    c.post(url)
        .bearer_auth(officer)
        .header("idempotency-key", format!("fault-{n}"))
        .json(&complaint(n))
        .send()
        .await
        .unwrap()
}

/// Row counts of every table a write touches, read from the file itself.
fn rows(data_dir: &Path) -> Vec<(&'static str, i64)> {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("p3.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    [
        "cases",
        "events",
        "timers",
        "idempotency",
        "sent_alerts",
        "case_spans",
    ]
    .into_iter()
    .map(|t| {
        let n = conn
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        (t, n)
    })
    .collect()
}

/// Sets the running server's soft file-size limit (`unlimited` to clear it; the hard limit
/// stays as it was, so raising it again needs no privilege).
fn file_size_limit(s: &Server, limit: &str) {
    let status = Command::new("prlimit")
        .arg(format!("--pid={}", s.child.id()))
        .arg(format!("--fsize={limit}:"))
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success(), "prlimit failed");
}

/// Asserts a 503 with `Retry-After` as problem+json.
async fn assert_unavailable(res: reqwest::Response, what: &str) {
    assert_eq!(res.status().as_u16(), 503, "{what}");
    let headers = res.headers().clone();
    let retry_after: u64 = headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry_after >= 1, "{what}");
    assert_eq!(
        headers["content-type"], "application/problem+json",
        "{what}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 503, "{body}");
    assert!(body["type"].as_str().unwrap().ends_with("/unavailable"));
    for secret in ["Fay", "fay.fault", "EFBIG", "p3.db", "File too large"] {
        assert!(
            !body.to_string().contains(secret),
            "{what}: the problem reveals {secret}: {body}"
        );
    }
}

#[tokio::test]
async fn a_store_that_cannot_write_answers_503_writes_nothing_and_recovers_without_restart() {
    // Ignored signals are inherited by the server: a write past the limit fails with EFBIG
    // instead of killing the process, as a write to a full disk fails with ENOSPC.
    // SAFETY: setting a signal's disposition to ignored, before any server is spawned.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    let c = client();
    let url = s.url("/staff/complaints");

    let (status, case, _) = post_json(&c, &url, Some(&officer), &complaint(0)).await;
    assert_eq!(status, 201, "{case}");
    let reference = case["reference"].as_str().unwrap().to_string();
    let before = rows(dir.path());

    // The disk is "full": every write fails; reads go on.
    file_size_limit(&s, "1");
    for n in 1..=3 {
        let res = post_complaint(&c, &url, &officer, n).await;
        assert_unavailable(res, "a new complaint").await;
    }
    let res = c
        .post(s.url("/complaints"))
        .json(&complaint(9))
        .send()
        .await
        .unwrap();
    assert_unavailable(res, "the public form").await;
    let res = c
        .post(s.url(&format!("/staff/complaints/{reference}/acknowledgement")))
        .bearer_auth(&officer)
        .json(&json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Lift"]}))
        .send()
        .await
        .unwrap();
    assert_unavailable(res, "a staff action").await;
    let (status, read) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}")),
        Some(&officer),
    )
    .await;
    assert_eq!(status, 200, "reads go on: {read}");
    assert_eq!(read["status"], "received");
    assert_eq!(rows(dir.path()), before, "nothing half-written");

    // The space comes back: the same process answers normally, and a retried key is honoured.
    file_size_limit(&s, "unlimited");
    let mut recovered = None;
    for _ in 0..50 {
        let res = post_complaint(&c, &url, &officer, 1).await;
        if res.status().as_u16() == 201 {
            recovered = Some(res.json::<Value>().await.unwrap());
            break;
        }
        assert_eq!(res.status().as_u16(), 503);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let created = recovered.expect("the server recovers by itself");
    let again = post_complaint(&c, &url, &officer, 1).await;
    assert_eq!(again.status().as_u16(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["reference"], created["reference"]);
    let (status, acked, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/acknowledgement")),
        Some(&officer),
        &json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Lift"]}),
    )
    .await;
    assert_eq!(status, 200, "{acked}");

    // What was written after the fault is durable and the file is sound.
    s.kill9();
    let conn = rusqlite::Connection::open(dir.path().join("p3.db")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let cases: i64 = conn
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cases, 2, "the first case and the one made after the fault");
    let logs = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    for secret in ["Fay", "fay.fault@example.org", "07700", "lift is broken"] {
        assert!(!logs.contains(secret), "the logs carry {secret}");
    }
}

/// A complaint received weeks ago, so its breach alerts are due at once.
async fn overdue_case(s: &Server) -> String {
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    let mut body = complaint(0);
    body["received_at"] = json!((Utc::now() - chrono::Duration::days(40)).to_rfc3339());
    let (status, case, _) = post_json(
        &client(),
        &s.url("/staff/complaints"),
        Some(&officer),
        &body,
    )
    .await;
    assert_eq!(status, 201, "{case}");
    case["reference"].as_str().unwrap().to_string()
}

/// The alert ids recorded as sent, and each waiting timer's attempts, read from the file.
fn alert_state(data_dir: &Path) -> (BTreeSet<String>, Vec<(String, i64)>) {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("p3.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let sent = conn
        .prepare("SELECT alert_id FROM sent_alerts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let timers = conn
        .prepare("SELECT alert_id, attempts FROM timers ORDER BY alert_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (sent, timers)
}

/// Waits until every due alert has failed at least once; checks none was recorded as sent.
async fn until_failed_once(data_dir: &Path) {
    eventually("the alerts to fail once", 20, || {
        let (sent, timers) = alert_state(data_dir);
        assert!(sent.is_empty(), "marked sent though not sent: {sent:?}");
        !timers.is_empty() && timers.iter().all(|(_, attempts)| *attempts >= 1)
    })
    .await;
}

#[tokio::test]
async fn an_outbox_that_cannot_be_written_keeps_the_alert_unsent_until_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    // The folder is replaced by a file: no email can be written there.
    let outbox = dir.path().join("outbox");
    std::fs::remove_dir_all(&outbox).unwrap();
    std::fs::write(&outbox, "not a folder").unwrap();
    let reference = overdue_case(&s).await;

    until_failed_once(dir.path()).await;
    let (_, due) = alert_state(dir.path());
    assert!(due.iter().all(|(id, _)| id.starts_with(&reference)));
    assert_eq!(
        due.len(),
        2,
        "two breach alerts waiting, nothing else: {due:?}"
    );
    assert!(s.logs().contains("alert not sent; will retry"));

    // The folder is back: the next attempt (30 s back-off) sends both, once each.
    std::fs::remove_file(&outbox).unwrap();
    std::fs::create_dir(&outbox).unwrap();
    eventually("both alerts sent", 45, || s.outbox().len() == 2).await;
    eventually("both recorded sent", 5, || {
        let (sent, due) = alert_state(dir.path());
        sent.len() == 2 && due.is_empty()
    })
    .await;
    let (sent, _) = alert_state(dir.path());
    for (name, _) in s.outbox() {
        assert!(sent.contains(name.trim_end_matches(".eml")), "{name}");
    }
}

/// A minimal SMTP relay that accepts every message, on its own threads; counts what it took.
fn smtp_relay(listener: std::net::TcpListener) -> Arc<Mutex<usize>> {
    let accepted = Arc::new(Mutex::new(0usize));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || relay_session(stream, &count));
        }
    });
    accepted
}

fn relay_session(stream: std::net::TcpStream, count: &Mutex<usize>) -> std::io::Result<()> {
    let mut write = stream.try_clone()?;
    write.write_all(b"220 relay.test ESMTP\r\n")?;
    let mut in_data = false;
    for line in BufReader::new(stream).lines() {
        let line = line?;
        let reply: &[u8] = if in_data {
            if line != "." {
                continue;
            }
            in_data = false;
            *count.lock().unwrap() += 1;
            b"250 queued\r\n"
        } else {
            match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                "DATA" => {
                    in_data = true;
                    b"354 go ahead\r\n"
                }
                "QUIT" => return write.write_all(b"221 bye\r\n"),
                _ => b"250 relay.test\r\n",
            }
        };
        write.write_all(reply)?;
    }
    Ok(())
}

#[tokio::test]
async fn an_smtp_relay_that_is_down_keeps_the_alert_unsent_until_it_is_up() {
    // A port where nothing listens yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p3.toml");
    std::fs::write(
        &config,
        format!("[smtp]\nhost = \"127.0.0.1\"\nport = {port}\n"),
    )
    .unwrap();
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    overdue_case(&s).await;

    until_failed_once(&s.data_dir).await;
    assert!(s.outbox().is_empty(), "nothing recorded as delivered");

    // The relay comes up on that port: the next attempt relays both, once each.
    let relay = smtp_relay(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    eventually("both alerts relayed", 45, || s.outbox().len() == 2).await;
    eventually("both recorded sent", 5, || {
        alert_state(&s.data_dir).0.len() == 2
    })
    .await;
    assert_eq!(*relay.lock().unwrap(), 2);
}
