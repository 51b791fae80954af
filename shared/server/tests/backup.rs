//! `p3 backup` and `p3 restore` against the real binary: a backup taken under concurrent
//! intake holds every complaint acknowledged before it began, with its alert timers and the
//! signing key; a restore refuses a data dir in use or an existing store; nightly backups are
//! written at their time and the oldest pruned.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{bin, client, get_json, post_json, Server};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(bin()).args(args).output().expect("p3 runs")
}

fn backup(data: &Path, file: &Path) -> Output {
    run(&[
        "backup".as_ref(),
        "--data-dir".as_ref(),
        data.as_os_str(),
        file.as_os_str(),
    ])
}

fn restore(data: &Path, file: &Path, force: bool) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "restore".as_ref(),
        "--data-dir".as_ref(),
        data.as_os_str(),
        file.as_os_str(),
    ];
    if force {
        args.push("--force".as_ref());
    }
    run(&args)
}

/// Every alert timer in a data dir's store, by case reference.
fn timers(data: &Path) -> HashMap<String, BTreeSet<String>> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("p3.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT reference, alert_id FROM timers")
        .unwrap();
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (reference, id) = row.unwrap();
        out.entry(reference).or_default().insert(id);
    }
    out
}

fn config(dir: &Path, extra: &str) -> PathBuf {
    let p = dir.join("p3.toml");
    std::fs::write(
        &p,
        format!("[public_form]\nrate_limit_per_hour = 0\n{extra}"),
    )
    .unwrap();
    p
}

#[test]
fn a_backup_under_write_load_restores_every_acknowledged_complaint_with_its_timers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("live");
    let cfg = config(dir.path(), "");
    let server = Server::start_with(&data, Some(&cfg));
    let officer = server.token("Olive Officer", "olive@p3.example", "officer");
    let file = dir.path().join("backups/p3.p3backup");

    // Sixteen clients send complaints without pause, half through the public form's JSON,
    // half through the staff API; each answer is noted with the moment it came.
    let answered: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut clients = Vec::new();
    for n in 0..16 {
        let (answered, stop) = (answered.clone(), stop.clone());
        let (base, officer) = (server.base.clone(), officer.clone());
        clients.push(rt.spawn(async move {
            let c = client();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let body = json!({
                    "name": format!("Resident {n}-{i}"),
                    "email": format!("r{n}.{i}@example.org"),
                    "description": format!("Complaint {i} from client {n}: the repair was not done."),
                    "channel": "phone",
                });
                let (url, token) = if n % 2 == 0 {
                    (format!("{base}/complaints"), None)
                } else {
                    (format!("{base}/staff/complaints"), Some(officer.as_str()))
                };
                let (status, case, _) = post_json(&c, &url, token, &body).await;
                if status == 201 {
                    let reference = case["reference"].as_str().unwrap().to_string();
                    answered.lock().unwrap().push((reference, Instant::now()));
                }
            }
        }));
    }
    let enough = Instant::now() + Duration::from_secs(60);
    while answered.lock().unwrap().len() < 300 {
        assert!(
            Instant::now() < enough,
            "the server answers too few complaints"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let began = Instant::now();
    let out = backup(&data, &file);
    let after = answered.lock().unwrap().len();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Intake went on while the backup ran, and afterwards.
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    rt.block_on(async {
        for c in clients {
            c.await.unwrap();
        }
    });
    let all = answered.lock().unwrap().clone();
    let before: Vec<String> = all
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(r, _)| r.clone())
        .collect();
    assert!(
        all.len() > after.max(before.len()),
        "writes went on during and after the backup"
    );
    let live_timers = timers(&data);
    server.stop();

    // Restored into a new data dir and served from there.
    let restored = dir.path().join("restored");
    let out = restore(&restored, &file, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read(restored.join("signing.key")).unwrap(),
        std::fs::read(data.join("signing.key")).unwrap(),
        "the signing key comes back"
    );
    let server = Server::start_with(&restored, Some(&cfg));
    rt.block_on(async {
        let c = client();
        for r in &before {
            // The token signed before the backup still opens the restored service.
            let (status, case) = get_json(
                &c,
                &server.url(&format!("/staff/complaints/{r}")),
                Some(&officer),
            )
            .await;
            assert_eq!(
                status, 200,
                "{r} was acknowledged before the backup began: {case}"
            );
        }
    });
    let restored_timers = timers(&restored);
    for r in &before {
        let t = restored_timers.get(r).cloned().unwrap_or_default();
        assert!(!t.is_empty(), "{r} has no alert timers after the restore");
        assert_eq!(Some(&t), live_timers.get(r), "{r}'s timers as they were");
    }

    // A data dir in use is refused, and so is an existing store without --force.
    let out = restore(&restored, &file, true);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("in use"),
        "{}",
        text(&out.stderr)
    );
    server.stop();
    let out = restore(&restored, &file, false);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--force"),
        "{}",
        text(&out.stderr)
    );
    let out = restore(&restored, &file, true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let aside: Vec<String> = std::fs::read_dir(&restored)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("before-restore-"))
        .collect();
    assert_eq!(aside.len(), 1, "the replaced store is kept aside");
    assert!(restored.join(&aside[0]).join("p3.db").exists());
}

#[test]
fn a_file_that_is_not_a_backup_is_refused_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.p3backup");
    std::fs::write(&bogus, b"not a backup at all").unwrap();
    let data = dir.path().join("data");
    let out = restore(&data, &bogus, false);
    assert!(!out.status.success());
    assert!(!data.join("p3.db").exists());
}

#[test]
fn nightly_backups_come_at_their_time_and_the_oldest_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backups = dir.path().join("nightly");
    std::fs::create_dir_all(&backups).unwrap();
    for old in [
        "p3-backup-2026-11-30-0230.p3backup",
        "p3-backup-2026-12-01-0230.p3backup",
    ] {
        std::fs::write(backups.join(old), b"old").unwrap();
    }
    let cfg = config(
        dir.path(),
        "[backup]\ndir = \"nightly\"\nkeep = 2\nat = \"02:30\"\n",
    );
    // Seconds before 02:30 London on 3 December 2026 (GMT).
    std::fs::create_dir_all(&data).unwrap();
    let mut child = Command::new(bin())
        .args([
            "serve",
            "--port",
            "0",
            "--now",
            "2026-12-03T02:29:57Z",
            "--config",
        ])
        .arg(&cfg)
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let tonight = backups.join("p3-backup-2026-12-03-0230.p3backup");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tonight.exists() {
        assert!(Instant::now() < deadline, "no nightly backup was written");
        std::thread::sleep(Duration::from_millis(100));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while backups.join("p3-backup-2026-11-30-0230.p3backup").exists() {
        assert!(
            Instant::now() < deadline,
            "the oldest backup was not pruned"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(backups.join("p3-backup-2026-12-01-0230.p3backup").exists());
    let out = restore(&dir.path().join("again"), &tonight, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_backup_holds_the_attachments_and_a_restore_brings_them_back() {
    use support::files::{form, png, stored_files, upload, PNG_SHA256};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let t = support::staffs(&s);
    let c = client();
    let (status, created, _) = post_json(
        &c,
        &s.url("/complaints"),
        None,
        &json!({
            "name": "Ada Resident",
            "email": "ada.resident@example.org",
            "description": "Damp and black mould in the back bedroom since October.",
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let r = created["reference"].as_str().unwrap().to_string();
    let files_url = s.url(&format!("/staff/complaints/{r}/attachments"));
    let (status, added, _) = upload(
        &c,
        &files_url,
        Some(&t.officer),
        form("damp.png", &png(), "Photo"),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let id = added["id"].as_str().unwrap().to_string();
    // An upload cut short leaves its temporary file: a backup leaves it out.
    std::fs::write(data.join("attachments").join(&r).join(".abc.part"), b"half").unwrap();

    // Taken while the server runs.
    let file = dir.path().join("with-files.p3backup");
    let out = backup(&data, &file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    s.stop();

    let restored = dir.path().join("restored");
    let out = restore(&restored, &file, false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(stored_files(&restored), vec![format!("{r}/{id}")]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(restored.join("attachments").join(&r).join(&id))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "owner-only, as it was: {mode:o}");
    }

    // The restored service serves the file, byte for byte, with the SHA-256 it recorded.
    let s = Server::start(&restored);
    let res = c
        .get(s.url(&format!("/staff/complaints/{r}/attachments/{id}")))
        .bearer_auth(&t.auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), png());
    let (_, case) = get_json(
        &c,
        &s.url(&format!("/staff/complaints/{r}")),
        Some(&t.auditor),
    )
    .await;
    assert_eq!(case["attachments"][0]["sha256"], PNG_SHA256);
}
