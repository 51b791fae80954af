//! Mail through a real mail server: the real `p3 serve` sends its alerts and letters to an
//! aiosmtpd server on loopback (scripts/smtp_server.py) that offers STARTTLS (or implicit
//! TLS) with a certificate made here, from an authority given to `p3` as `ca_file`, and
//! checks a login. Each notice arrives once; a refused login or a server that is down keeps
//! them queued and retried, never recorded as sent, and they go once when it is fixed; a
//! restart with mail pending sends it once, and sends nothing twice.
//!
//! The server needs Python with aiosmtpd (`P3_PYTHON`, else `.venv/bin/python`, as
//! `scripts/setup-tools` installs it): these tests are ignored under plain `cargo test` and
//! run by `./scripts/test`.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use support::*;

const LOGIN: &str = "complaints-service@p3.example";
const PASSWORD: &str = "correct horse battery staple";

fn python() -> PathBuf {
    std::env::var_os("P3_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Clone, Copy)]
enum Mode {
    Starttls,
    Tls,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Starttls => "starttls",
            Mode::Tls => "tls",
        }
    }
}

/// Files of a test mail server: its certificate and key (signed by a test authority, whose
/// certificate `p3` is given), the accepted logins and the folder of received messages.
struct MailFiles {
    dir: PathBuf,
    port: u16,
    mode: Mode,
}

impl MailFiles {
    /// Makes a certificate authority and the server's certificate for 127.0.0.1, writes the
    /// authority's certificate where `p3`'s config will find it (`ca.pem` beside it), and
    /// accepts `LOGIN` with `password`.
    fn new(dir: &Path, port: u16, mode: Mode, password: &str) -> MailFiles {
        let mail = dir.join("mailserver");
        std::fs::create_dir_all(mail.join("received")).unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "P3 test mail authority");
        ca.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let mut leaf =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .unwrap();
        leaf.distinguished_name
            .push(rcgen::DnType::CommonName, "mail.test");
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
        std::fs::write(mail.join("cert.pem"), leaf_cert.pem()).unwrap();
        std::fs::write(mail.join("key.pem"), leaf_key.serialize_pem()).unwrap();
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        let files = MailFiles {
            dir: mail,
            port,
            mode,
        };
        files.accept_password(password);
        files
    }

    /// The server's administrator sets the mailbox's password (read at each login).
    fn accept_password(&self, password: &str) {
        let tmp = self.dir.join("users.tmp");
        std::fs::write(&tmp, format!("{LOGIN}:{password}\n")).unwrap();
        std::fs::rename(tmp, self.dir.join("users")).unwrap();
    }

    /// Starts the server; it accepts connections when this returns.
    fn start(&self) -> MailServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp_server.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &self.port.to_string()])
            .args(["--mode", self.mode.as_str()])
            .arg("--cert")
            .arg(self.dir.join("cert.pem"))
            .arg("--key")
            .arg(self.dir.join("key.pem"))
            .arg("--users")
            .arg(self.dir.join("users"))
            .arg("--maildir")
            .arg(self.dir.join("received"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} (set P3_PYTHON to a Python with aiosmtpd; scripts/setup-tools installs it): {e}",
                    python().display()
                )
            });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next().and_then(Result::ok).unwrap_or_default());
            for _ in lines {}
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let server = MailServer { child };
        assert_eq!(
            line,
            "ready",
            "the SMTP server did not start (needs aiosmtpd in {})",
            python().display()
        );
        server
    }

    /// Every message received so far, by Message-ID.
    fn received(&self) -> BTreeMap<String, Vec<Received>> {
        let mut out: BTreeMap<String, Vec<Received>> = BTreeMap::new();
        for entry in std::fs::read_dir(self.dir.join("received")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "eml") {
                let text = std::fs::read_to_string(&path).unwrap();
                let header = |name: &str| {
                    text.lines()
                        .take_while(|l| !l.is_empty())
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                        })
                        .unwrap_or_default()
                };
                let id = header("Message-ID")
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .trim_end_matches("@p3-complaints")
                    .to_string();
                out.entry(id).or_default().push(Received {
                    login: header("X-Test-Login"),
                    tls: header("X-Test-Tls") == "yes",
                });
            }
        }
        out
    }
}

#[derive(Debug)]
struct Received {
    login: String,
    tls: bool,
}

struct MailServer {
    child: Child,
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `p3`'s config for the server: TLS as `mode`, the login, its password in a file beside the
/// config, the test authority as `ca_file`.
fn config(dir: &Path, port: u16, mode: Mode, password: &str) -> PathBuf {
    std::fs::write(dir.join("smtp.password"), format!("{password}\n")).unwrap();
    let path = dir.join("p3.toml");
    std::fs::write(
        &path,
        format!(
            "mail_from = \"complaints@p3.example\"\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{}\"\n\
             username = \"{LOGIN}\"\npassword_file = \"smtp.password\"\nca_file = \"ca.pem\"\n",
            mode.as_str()
        ),
    )
    .unwrap();
    path
}

fn complaint(email: Option<&str>, days_ago: i64) -> Value {
    let mut body = json!({
        "name": "Mona Mailer",
        "phone": "07700 900456",
        "address": "9 Relay Road, Leeds",
        "postcode": "LS1 4DL",
        "description": "The boiler has failed twice this winter.",
        "category": "repairs",
        "channel": "phone",
        "received_at": (Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339(),
    });
    if let Some(e) = email {
        body["email"] = json!(e);
    }
    body
}

/// A complaint received six weeks ago: its two breach alerts are due at once.
async fn overdue_case(s: &Server) -> String {
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    let (status, case, _) = post_json(
        &client(),
        &s.url("/staff/complaints"),
        Some(&officer),
        &complaint(None, 40),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    case["reference"].as_str().unwrap().to_string()
}

/// A complaint from a resident with an email address, acknowledged today: its letter is
/// emailed to them.
async fn acknowledged_case(s: &Server) -> String {
    let c = client();
    let officer = s.token("Olive Officer", "olive@p3.example", "officer");
    let (status, case, _) = post_json(
        &c,
        &s.url("/staff/complaints"),
        Some(&officer),
        &complaint(Some("mona@example.org"), 0),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let reference = case["reference"].as_str().unwrap().to_string();
    let (status, case, _) = post_json(
        &c,
        &s.url(&format!("/staff/complaints/{reference}/acknowledgement")),
        Some(&officer),
        &json!({"investigating_manager": "ian@p3.example", "complaint_points": ["Boiler failed"]}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    reference
}

/// Notices recorded as sent, and each waiting timer with its attempts.
fn queue(data_dir: &Path) -> (Vec<String>, Vec<(String, i64)>) {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("p3.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let sent = conn
        .prepare("SELECT alert_id FROM sent_alerts ORDER BY alert_id")
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

/// Waits until every waiting notice has failed at least once; none recorded as sent.
async fn until_failed_once(data_dir: &Path, waiting: usize) {
    eventually("the notices to fail once", 30, || {
        let (sent, timers) = queue(data_dir);
        assert!(
            sent.is_empty(),
            "recorded as sent though not sent: {sent:?}"
        );
        timers.len() == waiting && timers.iter().all(|(_, attempts)| *attempts >= 1)
    })
    .await;
}

/// Checks every message arrived once, over TLS, sent with the login.
fn assert_once_each(mail: &MailFiles, ids: &[String]) {
    let received = mail.received();
    assert_eq!(
        received.keys().cloned().collect::<Vec<_>>(),
        {
            let mut ids = ids.to_vec();
            ids.sort();
            ids
        },
        "{received:?}"
    );
    for (id, copies) in &received {
        assert_eq!(copies.len(), 1, "{id} arrived {} times", copies.len());
        assert!(copies[0].tls, "{id} went without TLS");
        assert_eq!(copies[0].login, LOGIN, "{id}");
    }
}

fn breach_alerts(data_dir: &Path, reference: &str) -> Vec<String> {
    let (sent, timers) = queue(data_dir);
    sent.into_iter()
        .chain(timers.into_iter().map(|(id, _)| id))
        .filter(|id| id.starts_with(&format!("{reference}.")))
        .collect()
}

#[tokio::test]
#[ignore = "needs Python with aiosmtpd (P3_PYTHON); run by ./scripts/test"]
async fn alerts_and_letters_arrive_once_through_starttls_with_a_login_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mail = MailFiles::new(dir.path(), port, Mode::Starttls, PASSWORD);
    let _server = mail.start();
    let config = config(dir.path(), port, Mode::Starttls, PASSWORD);
    let data = dir.path().join("data");
    let s = Server::start_with(&data, Some(&config));

    let acknowledged = acknowledged_case(&s).await;
    let overdue = overdue_case(&s).await;
    let letter = format!("{acknowledged}.letter1.copy1");
    eventually("the letter and both alerts to arrive", 30, || {
        mail.received().len() == 3
    })
    .await;
    eventually("all three recorded as sent", 10, || {
        queue(&data).0.len() == 3
    })
    .await;
    let mut ids = queue(&data).0;
    assert!(ids.contains(&letter), "{ids:?}");
    assert_eq!(
        ids.iter().filter(|id| id.starts_with(&overdue)).count(),
        2,
        "{ids:?}"
    );
    assert_once_each(&mail, &ids);
    let logs = s.logs();
    assert!(logs.contains("security=starttls with a login"), "{logs}");
    assert!(!logs.contains(PASSWORD), "the password is in the logs");

    // After a restart, a new case's alerts go; nothing sent before goes again.
    assert!(s.stop().success());
    let s = Server::start_with(&data, Some(&config));
    let later = overdue_case(&s).await;
    eventually("the new case's alerts to arrive", 30, || {
        mail.received().len() == 5
    })
    .await;
    ids.extend(breach_alerts(&data, &later));
    assert_eq!(ids.len(), 5, "{ids:?}");
    assert_once_each(&mail, &ids);
    drop(s);
}

#[tokio::test]
#[ignore = "needs Python with aiosmtpd (P3_PYTHON); run by ./scripts/test"]
async fn alerts_arrive_once_through_implicit_tls() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mail = MailFiles::new(dir.path(), port, Mode::Tls, PASSWORD);
    let _server = mail.start();
    let config = config(dir.path(), port, Mode::Tls, PASSWORD);
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    let reference = overdue_case(&s).await;
    eventually("both alerts to arrive", 30, || mail.received().len() == 2).await;
    eventually("both recorded as sent", 10, || {
        queue(&s.data_dir).0.len() == 2
    })
    .await;
    assert_once_each(&mail, &breach_alerts(&s.data_dir, &reference));
}

#[tokio::test]
#[ignore = "needs Python with aiosmtpd (P3_PYTHON); run by ./scripts/test"]
async fn a_refused_login_keeps_the_mail_queued_and_retried_until_the_login_works() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The mailbox's password was changed; `p3` still has the old one.
    let mail = MailFiles::new(dir.path(), port, Mode::Starttls, "the new password");
    let _server = mail.start();
    let config = config(dir.path(), port, Mode::Starttls, PASSWORD);
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    let reference = overdue_case(&s).await;

    until_failed_once(&s.data_dir, 2).await;
    assert!(mail.received().is_empty());
    assert!(s.outbox().is_empty(), "nothing recorded as delivered");
    let logs = s.logs();
    assert!(logs.contains("alert not sent; will retry"), "{logs}");
    assert!(logs.contains("reply code 535"), "{logs}");
    assert!(!logs.contains(PASSWORD), "the password is in the logs");

    // The administrator sets the password `p3` has: the next attempt (30 s back-off)
    // delivers both, once each, without a restart.
    mail.accept_password(PASSWORD);
    eventually("both alerts to arrive", 60, || mail.received().len() == 2).await;
    eventually("both recorded as sent", 10, || {
        let (sent, waiting) = queue(&s.data_dir);
        sent.len() == 2 && waiting.is_empty()
    })
    .await;
    assert_once_each(&mail, &breach_alerts(&s.data_dir, &reference));
}

#[tokio::test]
#[ignore = "needs Python with aiosmtpd (P3_PYTHON); run by ./scripts/test"]
async fn mail_pending_while_the_server_is_down_goes_once_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mail = MailFiles::new(dir.path(), port, Mode::Starttls, PASSWORD);
    let config = config(dir.path(), port, Mode::Starttls, PASSWORD);
    let data = dir.path().join("data");
    let s = Server::start_with(&data, Some(&config));
    let reference = overdue_case(&s).await;

    // Nothing listens on the mail server's port: both alerts fail and stay queued.
    until_failed_once(&data, 2).await;
    assert!(s.logs().contains("alert not sent; will retry"));
    assert!(s.stop().success());

    // The mail server is back, and so is `p3`: the queued alerts go, once each.
    let _server = mail.start();
    let s = Server::start_with(&data, Some(&config));
    eventually("both alerts to arrive", 60, || mail.received().len() == 2).await;
    eventually("both recorded as sent", 10, || {
        let (sent, waiting) = queue(&data);
        sent.len() == 2 && waiting.is_empty()
    })
    .await;
    let first = breach_alerts(&data, &reference);
    assert_once_each(&mail, &first);

    // Another restart sends nothing again: a new case's alerts are the only new mail.
    assert!(s.stop().success());
    let s = Server::start_with(&data, Some(&config));
    let later = overdue_case(&s).await;
    eventually("the new case's alerts to arrive", 30, || {
        mail.received().len() == 4
    })
    .await;
    let mut all = first;
    all.extend(breach_alerts(&data, &later));
    assert_once_each(&mail, &all);
    drop(s);
}

#[test]
fn a_password_written_in_the_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p3.toml");
    std::fs::write(
        &config,
        "[smtp]\nhost = \"smtp.example\"\nsecurity = \"starttls\"\nusername = \"u@p3.example\"\npassword = \"hunter2\"\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let runs: [Vec<&std::ffi::OsStr>; 2] = [
        vec!["check".as_ref(), "--config".as_ref(), config.as_os_str()],
        vec![
            "serve".as_ref(),
            "--port".as_ref(),
            "0".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
            "--data-dir".as_ref(),
            data.as_os_str(),
        ],
    ];
    for args in runs {
        let out = Command::new(bin()).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("smtp.password") && err.contains("password_file"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}
