//! Slow clients against the real `p3 serve` over raw TCP, with short limits from the config
//! (`[http]`, 1 second each): a client that trickles its headers is cut off, one that trickles
//! its body gets 408 problem+json and is cut off, one that sends nothing is cut off too, and
//! the server goes on answering everyone else meanwhile.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::Server;

fn start() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p3.toml");
    std::fs::write(
        &config,
        "[http]\nheader_read_timeout_seconds = 1\nbody_read_timeout_seconds = 1\n",
    )
    .unwrap();
    let server = Server::start_with(&dir.path().join("data"), Some(&config));
    (server, dir)
}

fn connect(server: &Server) -> TcpStream {
    let addr = server.base.trim_start_matches("http://").to_string();
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    s
}

/// Sends `bytes` one at a time, `gap` apart, until the server closes the connection or the
/// bytes run out; then reads what the server said. Returns the answer and when it ended.
fn trickle(s: &mut TcpStream, bytes: &[u8], gap: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let mut closed = false;
    for b in bytes {
        if s.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(gap);
        match s.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    if !closed {
        // Everything sent: wait (at most 5 s) for the answer and the close.
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

fn still_answers(server: &Server) {
    let mut s = connect(server);
    s.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.80}");
}

#[test]
fn a_client_that_connects_and_sends_nothing_is_cut_off() {
    let (server, _dir) = start();
    let mut idle = connect(&server);
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let n = idle.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the server said something");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    still_answers(&server);
}

#[test]
fn a_client_trickling_its_headers_is_cut_off() {
    let (server, _dir) = start();
    let mut slow = connect(&server);
    // Thirty seconds' worth of headers at 300 ms a byte.
    let headers = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(100)
    );
    let (answer, took) = trickle(&mut slow, headers.as_bytes(), Duration::from_millis(300));
    assert!(
        took < Duration::from_secs(5),
        "still connected after {took:?}"
    );
    assert!(!answer.contains("200 OK"), "{answer}");
    still_answers(&server);
}

#[test]
fn a_client_trickling_its_body_gets_408_problem_json_and_is_cut_off() {
    let (server, _dir) = start();
    let mut slow = connect(&server);
    let body = r#"{"name":"Ada Resident","email":"ada@example.org","description":"The boiler has failed and it is very cold in here"}"#;
    let head = format!(
        "POST /complaints HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).unwrap();
    let (answer, took) = trickle(&mut slow, body.as_bytes(), Duration::from_millis(300));
    assert!(
        took < Duration::from_secs(5),
        "still connected after {took:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    still_answers(&server);
    // Nothing was recorded from the cut-off request.
    let token = server.token("Olive Officer", "olive@p3.example", "officer");
    let (status, list) = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(support::get_json(
            &support::client(),
            &server.url("/staff/complaints"),
            Some(&token),
        ));
    assert_eq!(status, 200);
    assert_eq!(list["count"], 0);
}
