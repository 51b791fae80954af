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

/// The page's form, without JavaScript: its fields and files in one multipart post.
pub fn page_body(fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        b.extend_from_slice(bytes);
        b.extend(b"\r\n");
    }
    b.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
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

/// The SHA-256 of `bytes`, lowercase hex, as the API gives it.
pub fn sha(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The fields a problem+json names, in order.
pub fn fields_at_fault(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str().map(str::to_string))
        .collect()
}

/// The slots with a file waiting in the local upload inbox (the data dir's `incoming/`).
pub fn waiting(s: &super::Server) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(s.data_dir.join("incoming"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with(".name"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
