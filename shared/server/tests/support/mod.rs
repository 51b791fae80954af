//! Starts a real `p3 serve` on a temporary data dir and a free port, and talks to it over HTTP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod files;
pub mod nojs;
pub mod pages;

pub struct Server {
    pub child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_p3")
}

impl Server {
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, None)
    }

    pub fn start_with(data_dir: &Path, config: Option<&Path>) -> Server {
        Server::start_args(data_dir, config, &["--port", "0"])
    }

    /// Starts `p3 serve` with these arguments besides `--data-dir` and `--config` (say where it
    /// listens: `--port 0` or `--listen ADDR:0`); `base` is the URL its start-up line gives.
    pub fn start_args(data_dir: &Path, config: Option<&Path>, args: &[&str]) -> Server {
        std::fs::create_dir_all(data_dir).unwrap();
        let log = data_dir.join("server.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut cmd = Command::new(bin());
        cmd.arg("serve").args(args).arg("--data-dir").arg(data_dir);
        if let Some(c) = config {
            cmd.arg("--config").arg(c);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("p3 starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("p3 prints its address");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .expect("an address")
            .to_string();
        Server {
            child,
            base,
            data_dir: data_dir.to_path_buf(),
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(Instant::now() < deadline, "p3 did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn token(&self, name: &str, email: &str, role: &str) -> String {
        token(&self.data_dir, name, email, role)
    }

    pub fn outbox(&self) -> Vec<(String, String)> {
        outbox(&self.data_dir)
    }
}

pub fn outbox(data_dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(data_dir.join("outbox")) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".eml") {
                out.push((name, std::fs::read_to_string(e.path()).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn token(data_dir: &Path, name: &str, email: &str, role: &str) -> String {
    let out = Command::new(bin())
        .args([
            "token",
            "--user",
            name,
            "--email",
            email,
            "--role",
            role,
            "--data-dir",
        ])
        .arg(data_dir)
        .output()
        .expect("p3 token runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn post_json(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut r = c.post(url).json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let res = r.send().await.expect("request sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    )
}

pub async fn get_json(c: &reqwest::Client, url: &str, token: Option<&str>) -> (u16, Value) {
    let mut r = c.get(url).header("accept", "application/json");
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let res = r.send().await.expect("request sent");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn deadline<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["deadlines"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind} deadline in {case}"))
}

/// Waits until `f` is true or the time runs out.
pub async fn eventually(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Tokens for one member of staff in each role.
pub struct Staffs {
    pub officer: String,
    pub im: String,
    pub senior: String,
    pub auditor: String,
}

/// Signs a token for each role on a server started with `--now` at `now` (RFC 3339).
pub fn staffs_at(s: &Server, now: &str) -> Staffs {
    let token = |name: &str, email: &str, role: &str| {
        let out = Command::new(bin())
            .args(["token", "--user", name, "--email", email, "--role", role])
            .args(["--now", now, "--data-dir"])
            .arg(&s.data_dir)
            .output()
            .expect("p3 token runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines().last().unwrap().trim().to_string()
    };
    Staffs {
        officer: token("Olive Officer", "olive@p3.example", "officer"),
        im: token("Ian Manager", "ian@p3.example", "investigating_manager"),
        senior: token("Hannah Head", "hannah@p3.example", "senior_manager"),
        auditor: token("Audrey Auditor", "audrey@p3.example", "auditor"),
    }
}

/// Writes a config that lets staff date actions up to `working_days` back (`[records]`), for
/// tests that build a history weeks or months old through the API.
pub fn backdating_config(dir: &Path, working_days: u32) -> PathBuf {
    let path = dir.join("backdating.toml");
    std::fs::write(
        &path,
        format!("[records]\nbackdate_working_days = {working_days}\n"),
    )
    .unwrap();
    path
}

/// Signs a token for each role on a running server.
pub fn staffs(s: &Server) -> Staffs {
    Staffs {
        officer: s.token("Olive Officer", "olive@p3.example", "officer"),
        im: s.token("Ian Manager", "ian@p3.example", "investigating_manager"),
        senior: s.token("Hannah Head", "hannah@p3.example", "senior_manager"),
        auditor: s.token("Audrey Auditor", "audrey@p3.example", "auditor"),
    }
}
