//! Personal data kept only as long as needed, through the real `p3 serve`: the store never
//! holds a resident's access code in clear (a retry with the same `Idempotency-Key` still gets
//! it back), idempotency records are purged once expired, a purged case's outbox copies go
//! with it, everything in the data dir is owner-only, and a signing key others can read stops
//! start-up.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use support::*;

fn resident() -> Value {
    json!({
        "name": "Priya Private",
        "email": "priya.private@example.org",
        "phone": "07700 900321",
        "postcode": "L33 7WQ",
        "description": "The front door lock has been broken since October.",
        "category": "repairs"
    })
}

async fn submit(s: &Server, key: &str) -> Value {
    let res = client()
        .post(s.url("/complaints"))
        .header("idempotency-key", key)
        .json(&resident())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    res.json().await.unwrap()
}

/// True when any of the store's files holds `needle` (the store, its write-ahead log).
fn store_holds(data_dir: &Path, needle: &str) -> bool {
    ["p3.db", "p3.db-wal", "p3.db-shm"].iter().any(|name| {
        let bytes = std::fs::read(data_dir.join(name)).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn idempotency_rows(data_dir: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("p3.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let rows = conn
        .prepare("SELECT key, body FROM idempotency ORDER BY created_at")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

#[tokio::test]
async fn the_store_never_holds_an_access_code_in_clear_yet_a_retry_gets_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let key = "2f6c1e9a-privacy-test-key";
    let first = submit(&s, key).await;
    let code = first["access_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 19, "{first}");

    // The retry answers as the first time did, code included, and makes no second case.
    let again = submit(&s, key).await;
    assert_eq!(again["reference"], first["reference"]);
    assert_eq!(again["access_code"].as_str(), Some(code.as_str()));

    // Neither the code (as shown or as typed without hyphens) nor the client's key is in
    // the store's files, while it runs or after it stops.
    let bare = code.replace('-', "");
    let rows = idempotency_rows(dir.path());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(!rows[0].0.contains(key) && !rows[0].1.contains(&code));
    for needle in [code.as_str(), bare.as_str(), key] {
        assert!(!store_holds(dir.path(), needle), "the store holds {needle}");
    }
    assert!(s.stop().success());
    for needle in [code.as_str(), bare.as_str(), key] {
        assert!(!store_holds(dir.path(), needle), "the store holds {needle}");
    }

    // The code opens the case.
    let s = Server::start(dir.path());
    let reference = first["reference"].as_str().unwrap();
    let (status, case) = get_json(
        &client(),
        &s.url(&format!("/complaints/{reference}?code={code}")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{case}");
}

#[tokio::test]
async fn idempotency_records_past_their_day_and_older_unsealed_ones_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let fresh = submit(&s, "fresh-key").await;
    assert!(s.stop().success());

    // A record written 25 hours ago, and one an earlier version kept in clear.
    {
        let conn = rusqlite::Connection::open(dir.path().join("p3.db")).unwrap();
        let day_ago = (chrono::Utc::now() - chrono::Duration::hours(25))
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let (_, sealed) = idempotency_rows(dir.path()).remove(0);
        conn.execute(
            "INSERT INTO idempotency (key, fingerprint, status, body, content_type, created_at)
             VALUES ('old', 'f', 201, ?1, 'application/json', ?2)",
            [sealed.as_str(), day_ago.as_str()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO idempotency (key, fingerprint, status, body, content_type, created_at)
             VALUES ('public POST /complaints legacy', 'f', 201,
                     '{\"access_code\":\"AAAA-BBBB-CCCC-DDDD\"}', 'application/json', ?1)",
            [chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)],
        )
        .unwrap();
    }
    assert_eq!(idempotency_rows(dir.path()).len(), 3);

    // `p3 serve` purges at start-up: only the fresh record is left, and it still answers.
    let s = Server::start(dir.path());
    eventually("the purge at start-up", 20, || {
        idempotency_rows(dir.path()).len() == 1
    })
    .await;
    let again = submit(&s, "fresh-key").await;
    assert_eq!(again["access_code"], fresh["access_code"]);
}

#[tokio::test]
async fn idempotency_records_expire_after_the_configured_hours() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p3.toml");
    std::fs::write(&config, "[retention]\nidempotency_hours = 1\n").unwrap();
    let data = dir.path().join("data");
    let s = Server::start_with(&data, Some(&config));
    submit(&s, "hour-key").await;
    assert!(s.stop().success());
    {
        // The record is made 61 minutes old.
        let conn = rusqlite::Connection::open(data.join("p3.db")).unwrap();
        let earlier = (chrono::Utc::now() - chrono::Duration::minutes(61))
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        conn.execute("UPDATE idempotency SET created_at = ?1", [earlier])
            .unwrap();
    }
    let _s = Server::start_with(&data, Some(&config));
    eventually("the purge at start-up", 20, || {
        idempotency_rows(&data).is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_purged_case_takes_its_outbox_copies_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    // Only a senior manager may record a withdrawal years after it happened, with a reason.
    let senior = s.token("Hannah Head", "hannah@p3.example", "senior_manager");
    let c = client();
    let mut refs = Vec::new();
    for (received, withdrawn) in [
        ("2019-01-07T10:00:00Z", "2019-01-10T10:00:00Z"),
        ("2026-01-07T10:00:00Z", "2026-01-10T10:00:00Z"),
    ] {
        let (status, case, _) = post_json(
            &c,
            &s.url("/staff/complaints"),
            Some(&officer),
            &json!({"name": "Otto Old", "email": "otto@example.org", "channel": "phone",
                    "description": "Damp bedroom", "received_at": received}),
        )
        .await;
        assert_eq!(status, 201, "{case}");
        let reference = case["reference"].as_str().unwrap().to_string();
        let (status, body, _) = post_json(
            &c,
            &s.url(&format!("/staff/complaints/{reference}/withdrawal")),
            Some(&senior),
            &json!({"reason": "Moved away", "at": withdrawn,
                    "backdate_reason": "Recorded from the paper file"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        refs.push(reference);
    }
    assert!(s.stop().success());
    // The emails the service sent about both cases, as the outbox keeps them.
    let outbox = dir.path().join("outbox");
    for reference in &refs {
        for id in ["letter1.copy1", "2019-01-21.stage1_acknowledgement.breach"] {
            std::fs::write(
                outbox.join(format!("{reference}.{id}.eml")),
                "Subject: about Otto Old\r\n\r\nDamp bedroom\r\n",
            )
            .unwrap();
        }
    }
    let files_of = |reference: &str| {
        outbox_names(&outbox)
            .into_iter()
            .filter(|n| n.starts_with(&format!("{reference}.")))
            .count()
    };

    let out = Command::new(bin())
        .args(["retention", "--now", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&refs[0]));
    assert_eq!(files_of(&refs[0]), 0, "{:?}", outbox_names(&outbox));
    assert!(files_of(&refs[1]) >= 2, "the recent case keeps its copies");

    // A run stopped after anonymising a case but before deleting its copies: the next run
    // deletes them (they are older than the retention period), and only them.
    let seven_years_ago =
        std::time::SystemTime::now() - Duration::from_secs(7 * 365 * 24 * 60 * 60);
    for reference in &refs {
        let path = outbox.join(format!("{reference}.letter2.copy1.eml"));
        std::fs::write(&path, "Subject: about Otto Old\r\n\r\nDamp bedroom\r\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(seven_years_ago)
            .unwrap();
    }
    let out = Command::new(bin())
        .args(["retention", "--now", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(files_of(&refs[0]), 0, "{:?}", outbox_names(&outbox));
    assert!(
        files_of(&refs[1]) >= 3,
        "the recently closed case keeps its copies"
    );
}

fn outbox_names(outbox: &Path) -> Vec<String> {
    std::fs::read_dir(outbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn the_data_dir_and_everything_in_it_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    let (status, case, _) = post_json(
        &client(),
        &s.url("/staff/complaints"),
        Some(&officer),
        &json!({"name": "Otto Owner", "email": "otto@example.org", "channel": "phone",
                "description": "Damp bedroom",
                "received_at": (chrono::Utc::now() - chrono::Duration::days(40)).to_rfc3339()}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    eventually("the alerts in the outbox", 20, || s.outbox().len() >= 2).await;

    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("outbox")), 0o700);
    for name in ["p3.db", "p3.db-wal", "p3.db-shm", "signing.key"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    for (name, _) in s.outbox() {
        assert_eq!(mode(&data.join("outbox").join(&name)), 0o600, "{name}");
    }
}

#[test]
fn a_signing_key_others_can_read_stops_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The first run makes the key, owner-only.
    let out = Command::new(bin())
        .args([
            "token",
            "--user",
            "A",
            "--email",
            "a@p3.example",
            "--role",
            "officer",
        ])
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let key = data.join("signing.key");
    assert_eq!(mode(&key), 0o600);

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(bin())
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&key.display().to_string()) && err.contains("chmod 600"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "it never listened");
}
