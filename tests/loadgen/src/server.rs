//! Running `p3` as a child process: start it, read its address, stop it, read its memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// Finds the `p3` binary: the given path if it exists, else next to this executable.
pub fn find_p3(given: &Path) -> anyhow::Result<PathBuf> {
    if given.is_file() {
        return Ok(given.to_path_buf());
    }
    if let Some(dir) = std::env::current_exe()?.parent() {
        let beside = dir.join("p3");
        if beside.is_file() {
            return Ok(beside);
        }
    }
    bail!(
        "no p3 binary at {} (build it with `cargo build --release -p p3`, or pass --p3)",
        given.display()
    )
}

/// A running `p3 serve`.
pub struct Server {
    /// The child (killed if dropped while running).
    pub child: Child,
    /// Its process id.
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// From spawn to its first stdout line.
    pub first_line_after: Duration,
    /// When it was spawned.
    pub spawned_at: Instant,
}

/// Starts `p3 serve --port 0` on `data_dir`, waits for its first stdout line and reads the
/// address from it. Stderr (the logs) goes to `log` if given, else nowhere.
pub async fn start(
    p3: &Path,
    data_dir: &Path,
    config: Option<&Path>,
    log: Option<&Path>,
) -> anyhow::Result<Server> {
    let mut cmd = Command::new(p3);
    cmd.arg("serve")
        .arg("--port")
        .arg("0")
        .arg("--data-dir")
        .arg(data_dir);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let stderr = match log {
        Some(path) => Stdio::from(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Stdio::null(),
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true);
    let spawned_at = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", p3.display()))?;
    let pid = child.id().ok_or_else(|| anyhow!("p3 exited at once"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .map_err(|_| anyhow!("p3 printed nothing within 60 s"))??;
    let first_line_after = spawned_at.elapsed();
    let Some(first) = first else {
        let status = child.wait().await?;
        bail!("p3 serve exited ({status}) before printing its address");
    };
    let base = parse_address(&first)
        .ok_or_else(|| anyhow!("unexpected first line from p3 serve: {first:?}"))?;
    // Keep reading stdout so the server never blocks on a full pipe.
    tokio::spawn(drain(lines));
    Ok(Server {
        child,
        pid,
        base,
        first_line_after,
        spawned_at,
    })
}

async fn drain(mut lines: tokio::io::Lines<BufReader<ChildStdout>>) {
    while let Ok(Some(_)) = lines.next_line().await {}
}

/// `p3 listening on http://127.0.0.1:PORT (data in DIR)` → `http://127.0.0.1:PORT`.
pub fn parse_address(line: &str) -> Option<String> {
    let rest = line.strip_prefix("p3 listening on ")?;
    let url = rest.split_whitespace().next()?;
    url.starts_with("http://")
        .then(|| url.trim_end_matches('/').to_string())
}

impl Server {
    /// Sends SIGTERM and waits (up to 30 s) for a clean exit.
    pub async fn stop(mut self) -> anyhow::Result<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .await
            .context("cannot run kill")?;
        if !sent.success() {
            bail!("kill -TERM {} failed", self.pid);
        }
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => Ok(status?),
            Err(_) => {
                let _ = self.child.kill().await;
                bail!("p3 did not stop within 30 s of SIGTERM; killed")
            }
        }
    }
}

/// A `kB` field (`VmRSS`, `VmHWM`) of `/proc/<pid>/status`, in bytes.
pub fn proc_status_bytes(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat` (Linux clock
/// ticks of 1/100 s); `pid` 0 reads this process.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let path = if pid == 0 {
        "/proc/self/stat".to_string()
    } else {
        format!("/proc/{pid}/stat")
    };
    let text = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// CPU seconds (user, system) used so far by each thread of a process, keyed by thread id,
/// with its name.
pub fn thread_cpu(pid: u32) -> std::collections::HashMap<u32, (String, f64, f64)> {
    let mut out = std::collections::HashMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
            continue;
        };
        let name = text[open + 1..close].to_string();
        let f: Vec<&str> = text[close + 1..].split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        out.insert(tid, (name, ticks(11) / 100.0, ticks(12) / 100.0));
    }
    out
}

/// Runs `p3 token` and returns its last line (the token).
pub async fn token(p3: &Path, data_dir: &Path, role: &str) -> anyhow::Result<String> {
    let out = Command::new(p3)
        .args([
            "token",
            "--user",
            "Load Test Auditor",
            "--email",
            "loadgen.auditor@p3housing.example",
            "--role",
            role,
            "--data-dir",
        ])
        .arg(data_dir)
        .output()
        .await
        .context("cannot run p3 token")?;
    if !out.status.success() {
        bail!(
            "p3 token failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8(out.stdout)?;
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .ok_or_else(|| anyhow!("p3 token printed nothing"))
}

/// The last `n` lines of a log file, for diagnostics.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_is_read_from_the_first_line() {
        assert_eq!(
            parse_address("p3 listening on http://127.0.0.1:4123 (data in /tmp/x)").as_deref(),
            Some("http://127.0.0.1:4123")
        );
        assert_eq!(parse_address("something else"), None);
    }
}
