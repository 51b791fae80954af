//! Attachments in tests: a small PNG, a multipart/form-data body, an upload over HTTP and the
//! files kept in a data dir.

use serde_json::Value;

/// A small PNG (its signature and the start of a header chunk) and its SHA-256.
pub fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    b.extend(0u8..64);
    b
}
pub const PNG_SHA256: &str = "30f2ca196f0d6cee2ae687f76e545e342e0e569dee74865f0d4d5a58ada8d006";

pub const BOUNDARY: &str = "p3-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart/form-data body with one file and a description.
pub fn form(filename: &str, bytes: &[u8], description: &str) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n{description}\r\n").as_bytes());
    b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(bytes);
    b.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

pub async fn upload(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut r = c
        .post(url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
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

/// Every file under the data dir's attachments folder, as paths relative to it.
pub fn stored_files(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, d: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(d) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let root = dir.join("attachments");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}
