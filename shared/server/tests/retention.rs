//! Retention through the real binary: `p3 retention --dry-run` lists a case closed more than
//! six years ago and changes nothing; `p3 serve` anonymises it in its run at start-up (then
//! daily), and any files of its left behind; `p3 retention --now` does the same on demand, beside a
//! running server. A case that is still open is never touched.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use support::files::{form, png, stored_files, upload};
use support::{bin, client, get_json, post_json, Server};

const REMOVED: &str = "[removed: retention period ended]";

fn retention(data_dir: &Path, flag: &str) -> String {
    let out = Command::new(bin())
        .args(["retention", flag, "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("p3 retention runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A complaint received and withdrawn in January 2019: closed more than six years ago.
async fn old_withdrawn(server: &Server, token: &str, name: &str) -> String {
    let c = client();
    let (status, case, _) = post_json(
        &c,
        &server.url("/staff/complaints"),
        Some(token),
        &json!({"name": name, "email": "old.resident@example.org", "channel": "phone",
                "description": format!("{name}'s damp bedroom"),
                "received_at": "2019-01-07T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let reference = case["reference"].as_str().unwrap().to_string();
    // Only a senior manager may record a withdrawal years after it happened, with a reason.
    let senior = server.token("Hannah Head", "hannah@p3.example", "senior_manager");
    let (status, body, _) = post_json(
        &c,
        &server.url(&format!("/staff/complaints/{reference}/withdrawal")),
        Some(&senior),
        &json!({"reason": format!("{name} moved away"), "at": "2019-01-10T10:00:00Z",
                "backdate_reason": "Recorded from the paper file"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    reference
}

async fn case(server: &Server, token: &str, reference: &str) -> Value {
    let (status, case) = get_json(
        &client(),
        &server.url(&format!("/staff/complaints/{reference}")),
        Some(token),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    case
}

#[tokio::test(flavor = "multi_thread")]
async fn old_closed_cases_are_anonymised_by_the_command_and_by_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let token = server.token("Olive Officer", "olive@p3.example", "officer");
    let first = old_withdrawn(&server, &token, "Ada Oldcase").await;
    let (status, open, _) = post_json(
        &client(),
        &server.url("/staff/complaints"),
        Some(&token),
        &json!({"name": "Bea Waiting", "email": "bea@example.org", "channel": "phone",
                "description": "Still no answer", "received_at": "2019-01-07T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201);
    let open = open["reference"].as_str().unwrap().to_string();
    // The open case has a photo; the old case's folder holds a file as if a run had stopped
    // between anonymising it and deleting its files (a file added now would keep the case out
    // of retention for another six years: it is a new event).
    let url = server.url(&format!("/staff/complaints/{open}/attachments"));
    let (status, body, _) = upload(
        &client(),
        &url,
        Some(&token),
        form("damp.png", &png(), "Damp"),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let left = data.join("attachments").join(&first);
    std::fs::create_dir_all(&left).unwrap();
    std::fs::write(left.join("0123456789abcdef0123"), png()).unwrap();
    assert_eq!(stored_files(&data).len(), 2);
    server.stop();

    let listed = retention(&data, "--dry-run");
    assert!(
        listed.starts_with("1 of 1 cases examined due for anonymisation"),
        "{listed}"
    );
    assert!(listed.contains(&first), "{listed}");

    // The server's run at start-up anonymises it.
    let server = Server::start(&data);
    support::eventually("the start-up retention run", 10, || {
        std::fs::read_to_string(&server.log)
            .unwrap_or_default()
            .contains("personal data removed")
    })
    .await;
    let c = case(&server, &token, &first).await;
    assert_eq!(c["description"], REMOVED, "{c}");
    assert_eq!(c["name"], Value::Null, "{c}");
    assert_eq!(c["status"], "withdrawn");
    assert_eq!(
        c["history"].as_array().unwrap().last().unwrap()["type"],
        "anonymised"
    );
    assert_eq!(
        case(&server, &token, &open).await["description"],
        "Still no answer"
    );
    let kept = stored_files(&data);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].starts_with(&format!("{open}/")), "{kept:?}");

    // On demand, beside the running server.
    let second = old_withdrawn(&server, &token, "Cal Oldcase").await;
    let done = retention(&data, "--now");
    assert!(
        done.starts_with("1 of 1 cases examined anonymised"),
        "{done}"
    );
    assert!(done.contains(&second), "{done}");
    assert_eq!(case(&server, &token, &second).await["description"], REMOVED);
    // No names in the logs, only references.
    let logs = server.logs();
    assert!(!logs.contains("Oldcase"), "{logs}");
    server.stop();
}
