//! `p3 serve` put into service, against the real binary over real sockets: where it listens,
//! built-in HTTPS (a certificate made here, swapped on SIGHUP while a connection stays open),
//! who the client is behind a trusted proxy (and not behind an untrusted one), limits on
//! access-code guesses that never lock out the right code, and `/healthz` on a full disk.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

fn write(path: &Path, text: &str) {
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap();
}

/// A self-signed certificate for `localhost`: (certificate PEM, key PEM, DER).
fn certificate() -> (String, String, CertificateDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    (
        made.cert.pem(),
        made.key_pair.serialize_pem(),
        made.cert.der().clone(),
    )
}

fn connector(trusted: &[&CertificateDer<'static>]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in trusted {
        roots.add((*c).clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn tls_connect(connector: &TlsConnector, base: &str) -> TlsStream<TcpStream> {
    let addr = base.trim_start_matches("https://");
    let tcp = TcpStream::connect(addr).await.unwrap();
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("a TLS handshake with a certificate we trust")
}

fn peer_certificate(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    stream.get_ref().1.peer_certificates().unwrap()[0].clone()
}

/// One HTTP/1.1 request on a kept-alive connection: (status, headers in lower case, body).
async fn request(stream: &mut TlsStream<TcpStream>, path: &str) -> (u16, String, String) {
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.unwrap();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .expect("a status line")
        .parse()
        .unwrap();
    let mut headers = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        headers.push_str(&lower);
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.unwrap();
    (status, headers, String::from_utf8(body).unwrap())
}

fn hangup(s: &Server) {
    let status = Command::new("kill")
        .arg("-HUP")
        .arg(s.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn https_serves_the_certificate_with_hsts_and_a_hangup_swaps_it_without_dropping_a_connection(
) {
    let dir = tempfile::tempdir().unwrap();
    let conf_dir = dir.path().join("conf");
    std::fs::create_dir_all(&conf_dir).unwrap();
    let (cert_a, key_a, der_a) = certificate();
    let (cert_b, key_b, der_b) = certificate();
    write(&conf_dir.join("cert.pem"), &cert_a);
    write(&conf_dir.join("key.pem"), &key_a);
    // Paths relative to the config file, which is not the working directory.
    let config = conf_dir.join("p3.toml");
    write(
        &config,
        "[server.tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n[http]\nheader_read_timeout_seconds = 120\n",
    );
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    assert!(
        s.base.starts_with("https://127.0.0.1:"),
        "the start-up line gives the https URL: {}",
        s.base
    );
    let tls = connector(&[&der_a, &der_b]);

    let mut kept = tls_connect(&tls, &s.base).await;
    assert_eq!(peer_certificate(&kept), der_a);
    let (status, headers, body) = request(&mut kept, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        headers.contains("strict-transport-security: max-age="),
        "HSTS over TLS: {headers}"
    );

    // The certificate is renewed: new handshakes get the new one, the open connection goes on.
    write(&conf_dir.join("cert.pem"), &cert_b);
    write(&conf_dir.join("key.pem"), &key_b);
    hangup(&s);
    let mut swapped = false;
    for _ in 0..100 {
        let fresh = tls_connect(&tls, &s.base).await;
        if peer_certificate(&fresh) == der_b {
            swapped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        swapped,
        "new connections get the new certificate after SIGHUP"
    );
    let (status, _, body) = request(&mut kept, "/healthz").await;
    assert_eq!(
        status, 200,
        "the connection open across the swap still answers: {body}"
    );
    assert_eq!(peer_certificate(&kept), der_a);

    // A broken certificate is logged and the one in service kept.
    write(&conf_dir.join("cert.pem"), "not a certificate");
    hangup(&s);
    eventually("the bad certificate to be logged", 10, || {
        s.logs().contains("TLS certificate not changed")
    })
    .await;
    let mut after = tls_connect(&tls, &s.base).await;
    assert_eq!(peer_certificate(&after), der_b);
    let (status, _, _) = request(&mut after, "/healthz").await;
    assert_eq!(status, 200);
    let (status, _, _) = request(&mut kept, "/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn serve_refuses_a_certificate_it_cannot_use_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_a, _, _) = certificate();
    let (_, key_b, _) = certificate();
    write(&dir.path().join("cert.pem"), &cert_a);
    write(&dir.path().join("key.pem"), &key_b);
    let config = dir.path().join("p3.toml");
    write(
        &config,
        "[server.tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n",
    );
    let out = Command::new(bin())
        .arg("check")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success(), "p3 check finds it too");
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.tls"));
    let out = Command::new(bin())
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("server.tls") && err.contains("cert.pem"),
        "the error names the setting and the file: {err}"
    );
}

#[tokio::test]
async fn listens_on_the_address_given_by_flag_or_config_and_refuses_two_ports() {
    let dir = tempfile::tempdir().unwrap();
    let c = client();

    let s = Server::start_args(&dir.path().join("a"), None, &["--listen", "127.0.0.2:0"]);
    assert!(s.base.starts_with("http://127.0.0.2:"), "{}", s.base);
    let (status, body) = get_json(&c, &s.url("/healthz"), None).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    // A reload (SIGHUP) of a server without TLS is logged; it does not stop it.
    hangup(&s);
    eventually("the hangup to be logged", 10, || {
        s.logs().contains("no TLS certificate to re-read")
    })
    .await;
    let (status, _) = get_json(&c, &s.url("/healthz"), None).await;
    assert_eq!(status, 200);
    drop(s);

    // IPv6 loopback, where the machine has it (some containers have no IPv6 at all).
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let s = Server::start_args(&dir.path().join("b"), None, &["--listen", "[::1]:0"]);
        assert!(s.base.starts_with("http://[::1]:"), "{}", s.base);
        let (status, _) = get_json(&c, &s.url("/healthz"), None).await;
        assert_eq!(status, 200);
        drop(s);
    } else {
        eprintln!("no IPv6 loopback here: [::1] not tried");
    }

    let config = dir.path().join("p3.toml");
    write(&config, "[server]\nlisten = \"127.0.0.3:0\"\n");
    let s = Server::start_args(&dir.path().join("c"), Some(&config), &[]);
    assert!(s.base.starts_with("http://127.0.0.3:"), "{}", s.base);
    drop(s);
    // The command line wins over the config file; --port keeps 127.0.0.1.
    let s = Server::start_args(&dir.path().join("d"), Some(&config), &["--port", "0"]);
    assert!(s.base.starts_with("http://127.0.0.1:"), "{}", s.base);
    drop(s);

    let out = Command::new(bin())
        .args(["serve", "--port", "3000", "--listen", "127.0.0.1:3001"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--listen") && err.contains("--port"),
        "the refusal names both flags: {err}"
    );
}

fn complaint() -> Value {
    json!({
        "name": "Rhiannon Resident",
        "email": "rhiannon@example.org",
        "address": "4 Lift Lane",
        "postcode": "AB1 2CD",
        "description": "The lift has been broken for a month.",
        "desired_outcome": "Repair the lift."
    })
}

async fn post_complaint(c: &reqwest::Client, s: &Server, from: Option<&str>) -> reqwest::Response {
    let mut r = c.post(s.url("/complaints")).json(&complaint());
    if let Some(ip) = from {
        r = r.header("x-forwarded-for", ip);
    }
    r.send().await.unwrap()
}

fn proxy_config(dir: &Path, trusted: &str, per_hour: u32) -> std::path::PathBuf {
    let config = dir.join("p3.toml");
    write(
        &config,
        &format!("[server]\ntrusted_proxies = [{trusted}]\n[public_form]\nrate_limit_per_hour = {per_hour}\n"),
    );
    config
}

async fn form_cookie(c: &reqwest::Client, s: &Server, proto: &str) -> String {
    let res = c
        .get(s.url("/"))
        .header("x-forwarded-proto", proto)
        .send()
        .await
        .unwrap();
    res.headers()["set-cookie"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_the_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let config = proxy_config(dir.path(), "\"10.0.0.0/8\", \"127.0.0.1/32\"", 2);
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    let c = client();
    // The proxy appends the address it saw; what the client wrote to the left is not believed.
    let alice = "6.6.6.6, 203.0.113.1, 10.0.0.7";
    for _ in 0..2 {
        assert_eq!(post_complaint(&c, &s, Some(alice)).await.status(), 201);
    }
    let limited = post_complaint(&c, &s, Some("1.1.1.1, 203.0.113.1")).await;
    assert_eq!(limited.status(), 429, "the same client behind the proxy");
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        post_complaint(&c, &s, Some("203.0.113.2")).await.status(),
        201,
        "another resident behind the same proxy has a limit of their own"
    );
    assert!(
        s.logs().contains("203.0.113.1"),
        "the log names the client over the limit"
    );
    // An IPv6 client is its /64: other addresses of it do not buy a new limit.
    for from in ["2001:db8:1:2::1", "2001:db8:1:2::ffff"] {
        assert_eq!(post_complaint(&c, &s, Some(from)).await.status(), 201);
    }
    let res = post_complaint(&c, &s, Some("2001:db8:1:2:abcd::9")).await;
    assert_eq!(res.status(), 429, "the same /64");
    let res = post_complaint(&c, &s, Some("[2001:db8:1:3::1]:4711")).await;
    assert_eq!(res.status(), 201, "the next /64 is another client");

    // Over the limit, the form in a browser gets a page, not JSON.
    let page = c
        .post(s.url("/complaints"))
        .header("x-forwarded-for", "203.0.113.1")
        .header("accept", "text/html")
        .form(&[("name", "Rhiannon"), ("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 429);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Too many attempts"));

    // https as the proxy says: HSTS and Secure cookies; plain http: neither.
    let res = c
        .get(s.url("/healthz"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("strict-transport-security"));
    let res = c.get(s.url("/healthz")).send().await.unwrap();
    assert!(!res.headers().contains_key("strict-transport-security"));
    assert!(form_cookie(&c, &s, "https").await.contains("Secure"));
    assert!(!form_cookie(&c, &s, "http").await.contains("Secure"));
    let res = c
        .get(s.url("/healthz"))
        .header("forwarded", "for=198.51.100.9;proto=https")
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn an_untrusted_peer_cannot_choose_its_address_or_scheme() {
    let dir = tempfile::tempdir().unwrap();
    // The proxies trusted are elsewhere: the test, on 127.0.0.1, is a client like any other.
    let config = proxy_config(dir.path(), "\"10.0.0.0/8\"", 2);
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    let c = client();
    assert_eq!(
        post_complaint(&c, &s, Some("203.0.113.1")).await.status(),
        201
    );
    assert_eq!(
        post_complaint(&c, &s, Some("203.0.113.2")).await.status(),
        201
    );
    let res = post_complaint(&c, &s, Some("203.0.113.3")).await;
    assert_eq!(
        res.status(),
        429,
        "a forged X-Forwarded-For does not buy a new limit"
    );
    let res = c
        .get(s.url("/healthz"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("strict-transport-security"));
    assert!(!form_cookie(&c, &s, "https").await.contains("Secure"));
}

async fn open_case(
    c: &reqwest::Client,
    s: &Server,
    reference: &str,
    code: &str,
    from: &str,
    accept: &str,
) -> reqwest::Response {
    c.get(s.url(&format!("/complaints/{reference}?code={code}")))
        .header("x-forwarded-for", from)
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

const WRONG: &str = "0000-0000-0000-0000";

#[tokio::test]
async fn the_right_code_always_opens_its_case_and_wrong_guesses_are_limited() {
    let dir = tempfile::tempdir().unwrap();
    let config = proxy_config(dir.path(), "\"127.0.0.1/32\"", 100);
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    let c = client();
    let mut cases = Vec::new();
    for _ in 0..2 {
        let res = post_complaint(&c, &s, Some("192.0.2.1")).await;
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        cases.push((
            v["reference"].as_str().unwrap().to_string(),
            v["access_code"].as_str().unwrap().to_string(),
        ));
    }
    let (reference, code) = &cases[0];
    let json = "application/json";

    // One client guesses wrong until it is stopped: 404 at first, then 429.
    let guesser = "203.0.113.66";
    let mut statuses = Vec::new();
    for _ in 0..31 {
        statuses.push(
            open_case(&c, &s, reference, WRONG, guesser, json)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses[0], 404);
    assert_eq!(statuses[30], 429, "{statuses:?}");
    let res = open_case(&c, &s, reference, WRONG, guesser, json).await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = open_case(&c, &s, reference, WRONG, guesser, "text/html").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.unwrap().contains("Too many attempts"));

    // The resident, from anywhere (the guesser's address too), opens the case with the code.
    for from in ["198.51.100.20", guesser] {
        let res = open_case(&c, &s, reference, code, from, json).await;
        assert_eq!(res.status(), 200, "from {from}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["reference"], *reference);
        let res = open_case(&c, &s, reference, code, from, "text/html").await;
        assert_eq!(res.status(), 200, "the page from {from}");
    }

    // Wrong guesses on this reference from anyone are now over its own limit (30 an hour),
    // but another case is not, and the right code still opens this one.
    let res = open_case(&c, &s, reference, WRONG, "198.51.100.21", json).await;
    assert_eq!(res.status(), 429, "the reference's limit");
    let (other, other_code) = &cases[1];
    let res = open_case(&c, &s, other, WRONG, "198.51.100.21", json).await;
    assert_eq!(
        res.status(),
        404,
        "another reference has a limit of its own"
    );
    let res = open_case(&c, &s, reference, code, "198.51.100.22", json).await;
    assert_eq!(res.status(), 200);

    // Many clients, one guess each, on the other case: the reference's limit stops them all.
    let mut statuses = Vec::new();
    for n in 0..31 {
        let from = format!("198.18.0.{n}");
        statuses.push(
            open_case(&c, &s, other, WRONG, &from, json)
                .await
                .status()
                .as_u16(),
        );
    }
    // One wrong guess was made on it above: 29 more are answered, the rest are stopped.
    assert!(statuses[..29].iter().all(|s| *s == 404), "{statuses:?}");
    assert_eq!(&statuses[29..], [429, 429], "{statuses:?}");
    let res = open_case(&c, &s, other, other_code, "198.18.1.1", json).await;
    assert_eq!(res.status(), 200, "the resident still gets in");
}

/// Sets the running server's soft file-size limit, as tests/faults.rs does.
fn file_size_limit(s: &Server, limit: &str) {
    let status = Command::new("prlimit")
        .arg(format!("--pid={}", s.child.id()))
        .arg(format!("--fsize={limit}:"))
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(status.success(), "prlimit failed");
}

#[tokio::test]
async fn healthz_is_ok_while_the_store_writes_and_503_on_a_full_disk() {
    // SAFETY: setting a signal's disposition to ignored, before any server is spawned.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let (status, body) = get_json(&c, &s.url("/healthz"), None).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));

    file_size_limit(&s, "1");
    let res = c.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body = res.text().await.unwrap();
    for secret in ["p3.db", "EFBIG", "too large", "counters"] {
        assert!(
            !body.contains(secret),
            "the answer reveals {secret}: {body}"
        );
    }

    file_size_limit(&s, "unlimited");
    let mut ok = false;
    for _ in 0..50 {
        if c.get(s.url("/healthz")).send().await.unwrap().status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        ok,
        "healthy again once the disk has room, without a restart"
    );
}
