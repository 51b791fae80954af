//! `p3 import` against the real binary: a valid file, a file with errors (row and column
//! named, nothing written), a re-run, a dry run, an import while `p3 serve` runs (the case
//! served at once, its alert timer firing in the server), and the reports counting imported
//! cases by their dates.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{bin, client, get_json, Server};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn p3(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("p3 runs")
}

fn import(data_dir: &Path, file: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.arg("import")
        .arg("--data-dir")
        .arg(data_dir)
        .arg(file)
        .args(extra);
    cmd.output().expect("p3 import runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// The cases in a data dir's store (0 when there is no store).
fn case_count(data_dir: &Path) -> i64 {
    let db = data_dir.join("p3.db");
    if !db.exists() {
        return 0;
    }
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap()
}

/// Three complaints of the old system: one answered at Stage 1 then reviewed at Stage 2 (with
/// an extension), one acknowledged, one just received without a reference of its own.
const VALID: &str = "\
reference,received_at,channel,category,name,email,phone,address,postcode,description,desired_outcome,stage1_acknowledged_at,investigating_manager,stage1_extension_working_days,stage1_extension_reason,stage1_responded_at,stage1_outcome,stage2_requested_at,stage2_acknowledged_at,reviewer,stage2_responded_at,stage2_outcome,withdrawn_at
OLD-0001,2025-10-06T10:00:00Z,phone,repairs,Ada Resident,ada@example.org,,,,The boiler has failed.,A new boiler,2025-10-08T10:00:00Z,ian@p3.example,5,Waiting for a surveyor,2025-11-03T15:00:00Z,partly_upheld,2025-11-05T09:00:00Z,2025-11-06T09:00:00Z,hannah@p3.example,2025-11-28T12:00:00Z,upheld,
OLD-0002,2025-10-20T09:30:00+01:00,email,damp_and_mould,Bob Resident,bob@example.org,,,,Mould in the bathroom.,,2025-10-21T11:00:00Z,ian@p3.example,,,,,,,,,,
,2025-10-28T16:00:00Z,letter,,Cy Resident,,,\"1 High Street, Anytown\",AN1 1AA,Noise from next door.,,,,,,,,,,,,,
";

#[test]
fn a_valid_file_imports_once_and_a_rerun_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = write(dir.path(), "old.csv", VALID);

    let dry = import(&data, &file, &["--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(
        text(&dry.stdout).contains("would import 3 case(s)"),
        "{}",
        text(&dry.stdout)
    );
    assert_eq!(case_count(&data), 0, "a dry run writes nothing");

    let first = import(&data, &file, &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("imported 3 case(s)"),
        "{}",
        text(&first.stdout)
    );
    assert_eq!(case_count(&data), 3);

    let again = import(&data, &file, &[]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("imported 0 case(s); 3 already imported"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(case_count(&data), 3, "a re-run adds nothing");

    // The cases as staff see them: references kept (or derived), steps on their dates,
    // every event marked imported, no letters issued.
    let server = Server::start(&data);
    let auditor = server.token("Audrey Auditor", "audrey@p3.example", "auditor");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = client();
        let (status, case) = get_json(
            &c,
            &server.url("/staff/complaints/OLD-0001"),
            Some(&auditor),
        )
        .await;
        assert_eq!(status, 200, "{case}");
        assert_eq!(case["status"], "closed", "{case}");
        let history = case["history"].as_array().unwrap();
        assert!(history.len() >= 7, "{case}");
        assert!(history.iter().all(|e| e["imported"] == true), "{case}");
        assert!(
            history.iter().all(|e| e["type"] != "letter_issued"),
            "no letters for imported steps: {case}"
        );
        assert_eq!(
            case["letters"].as_array().map(|l| l.len()),
            Some(0),
            "{case}"
        );
        let (status, case) = get_json(
            &c,
            &server.url("/staff/complaints/OLD-0002"),
            Some(&auditor),
        )
        .await;
        assert_eq!(status, 200, "{case}");
        assert_eq!(case["status"], "acknowledged", "{case}");
        assert_eq!(case["owner"], "ian@p3.example", "{case}");
        // The row without a reference got one derived from it, found again on the re-run.
        let (status, list) = get_json(
            &c,
            &server.url("/staff/complaints?status=received"),
            Some(&auditor),
        )
        .await;
        assert_eq!(status, 200, "{list}");
        let refs: Vec<&str> = list
            .as_array()
            .or_else(|| list["cases"].as_array())
            .unwrap()
            .iter()
            .filter_map(|c| c["reference"].as_str())
            .collect();
        assert!(refs.iter().any(|r| r.starts_with("IMP-2025-")), "{list}");
    });
}

#[test]
fn a_file_with_errors_names_row_and_column_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = write(
        dir.path(),
        "bad.csv",
        "\
received_at,channel,name,email,description,stage1_acknowledged_at,investigating_manager,stage1_responded_at,stage1_outcome,stage1_extension_working_days,stage1_extension_reason
2025-10-06T10:00:00Z,phone,Ada,ada@example.org,Boiler.,2025-10-08T10:00:00Z,ian@p3.example,2025-10-15T10:00:00Z,upheld,,
2025-10-06T10:00:00Z,phone,Bob,bob@example.org,Damp.,2025-10-08T10:00:00Z,ian@p3.example,,upheld,,
2025-10-06T10:00:00Z,pigeon,Cy,cy@example.org,Noise.,,,,,,
2025-10-06T10:00:00Z,phone,Di,di@example.org,Leak.,2025-10-03T10:00:00Z,ian@p3.example,,,,
2025-10-06T10:00:00Z,phone,Ed,ed@example.org,Roof.,2025-10-08T10:00:00Z,ian@p3.example,,,11,Long wait
",
    );
    let out = import(&data, &file, &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("row 3, stage1_outcome"), "{err}");
    assert!(err.contains("row 4, channel"), "{err}");
    assert!(err.contains("row 5, stage1_acknowledged_at"), "{err}");
    assert!(
        err.contains("row 6, stage1_extension_working_days"),
        "{err}"
    );
    assert!(!err.contains("row 2,"), "the good row has no error: {err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(case_count(&data), 0, "not even the valid row is written");

    let unknown = write(
        dir.path(),
        "unknown.csv",
        "received_at,colour\n2025-10-06T10:00:00Z,red\n",
    );
    let out = import(&data, &unknown, &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("row 1, colour"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn imported_cases_count_in_the_reports_by_their_dates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = write(dir.path(), "old.csv", VALID);
    assert!(import(&data, &file, &[]).status.success());
    let month = |m: &str| -> Value {
        let out = p3(&["report", "--month", m, "--data-dir", data.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let oct = month("2025-10");
    assert_eq!(oct["stage1"]["received"], 3, "{oct}");
    assert_eq!(oct["stage1"]["acknowledged"], 2, "{oct}");
    assert_eq!(oct["stage1"]["responded"], 0, "{oct}");
    assert_eq!(oct["stage1"]["extensions"], 1, "{oct}");
    let nov = month("2025-11");
    assert_eq!(nov["stage1"]["received"], 0, "{nov}");
    assert_eq!(nov["stage1"]["responded"], 1, "{nov}");
    assert_eq!(nov["stage2"]["received"], 1, "{nov}");
    assert_eq!(nov["stage2"]["responded"], 1, "{nov}");
    assert_eq!(nov["outcomes"]["upheld"], 1, "{nov}");
    assert_eq!(nov["outcomes"]["partly_upheld"], 1, "{nov}");
}

/// `p3 serve` on a clock that starts at `now` (a test hook, like `--exports-now`).
fn serve_at(data_dir: &Path, now: &str) -> Server {
    std::fs::create_dir_all(data_dir).unwrap();
    let log = data_dir.join("server.log");
    let log_file = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(bin())
        .args(["serve", "--port", "0", "--now", now, "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("an address")
        .to_string();
    Server {
        child,
        base,
        data_dir: data_dir.to_path_buf(),
        log,
    }
}

#[test]
fn an_import_while_serving_is_served_at_once_and_its_timer_fires() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Monday 7 December 2026, seconds before 09:00 London: the acknowledgement of a complaint
    // received on Monday 30 November is due today; its reminder (Thursday) has passed.
    let server = serve_at(&data, "2026-12-07T08:59:45Z");
    // The server's clock is days ahead of the real one: a token valid that long.
    let out = p3(&[
        "token",
        "--user",
        "Olive Officer",
        "--email",
        "olive@p3.example",
        "--role",
        "officer",
        "--hours",
        "744",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    let officer = text(&out.stdout).lines().last().unwrap().trim().to_string();
    let file = write(
        dir.path(),
        "live.csv",
        "reference,received_at,channel,name,email,description\n\
         OLD-LIVE,2026-11-30T10:00:00Z,phone,Ada Resident,ada@example.org,The boiler has failed.\n",
    );
    let out = import(&data, &file, &["--now", "2026-12-07T08:59:46Z"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("OLD-LIVE"),
        "the passed reminder is listed: {stdout}"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = client();
        let (status, case) = get_json(
            &c,
            &server.url("/staff/complaints/OLD-LIVE"),
            Some(&officer),
        )
        .await;
        assert_eq!(status, 200, "served at once: {case}");
        assert_eq!(case["history"][0]["imported"], true, "{case}");
    });

    // One summary to the complaints team instead of the passed reminder, then the "due today"
    // alert from the running server's timer loop at 09:00.
    let summary: Vec<(String, String)> = server
        .outbox()
        .into_iter()
        .filter(|(n, _)| n.starts_with("import-"))
        .collect();
    assert_eq!(summary.len(), 1, "{:?}", server.outbox());
    assert!(summary[0].1.contains("OLD-LIVE"), "{}", summary[0].1);
    let due_today = "OLD-LIVE.stage1_acknowledgement.20261207.due_today.eml";
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !server.outbox().iter().any(|(n, _)| n == due_today) {
        assert!(
            std::time::Instant::now() < deadline,
            "the imported case's alert never fired: {:?}\n{}",
            server.outbox(),
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        !server
            .outbox()
            .iter()
            .any(|(n, _)| n.starts_with("OLD-LIVE") && n.contains("reminder")),
        "the passed reminder is not sent on its own: {:?}",
        server.outbox()
    );
}
