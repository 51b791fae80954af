//! A browser without JavaScript on the resident's files step: a page as it gets it, the step's
//! upload form (an inbox form) posted as it posts it, the form that follows sent as it sends
//! it, and the files waiting in the local inbox.

use super::files::*;
use super::*;

/// A page as a browser without JavaScript gets it.
pub struct Page {
    pub status: u16,
    pub html: String,
    pub headers: reqwest::header::HeaderMap,
    pub cookie: Option<String>,
}

pub async fn page(c: &reqwest::Client, url: &str) -> Page {
    let res = c
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let cookie = headers
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    Page {
        status,
        html: res.text().await.unwrap(),
        headers,
        cookie,
    }
}

pub fn header(p: &Page, name: &str) -> String {
    p.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// `&amp;` and the other entities the templates write, back to text.
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x2b;", "+")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The values of an attribute `attr="…"` following `marker` in `html`.
pub fn attr_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let key = format!("{attr}=\"");
    let start = rest.find(&key)? + key.len();
    Some(unescape(&rest[start..start + rest[start..].find('"')?]))
}

/// The step's upload form: where it posts and its hidden fields, in order.
pub fn upload_form(html: &str) -> (String, Vec<(String, String)>) {
    let start = html
        .find("<form method=\"post\" action=\"")
        .expect("an upload form");
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let action = attr_after(form, "<form", "action").unwrap();
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find("<input type=\"hidden\"") {
        let input = &rest[at..at + rest[at..].find('>').unwrap()];
        fields.push((
            attr_after(input, "<input", "name").unwrap(),
            attr_after(input, "<input", "value").unwrap(),
        ));
        rest = &rest[at + 1..];
    }
    // The file input comes after every field, and is named `file`.
    let file_at = form
        .find("name=\"file\" type=\"file\"")
        .expect("a file input");
    assert!(form.rfind("type=\"hidden\"").unwrap() < file_at);
    (action, fields)
}

/// Posts `bytes` as `name` with an upload form's fields, the file last, as a browser does
/// (`accept`: its `text/html`) or an API client (`None`): the answer as a [`Page`].
pub async fn send_upload(
    c: &reqwest::Client,
    action: &str,
    fields: &[(String, String)],
    name: &str,
    bytes: &[u8],
    accept: Option<&str>,
) -> Page {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    b.extend_from_slice(bytes);
    b.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let mut req = c.post(action).header(
        "content-type",
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = req.body(b).send().await.unwrap();
    Page {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        cookie: None,
        html: res.text().await.unwrap(),
    }
}

/// A refusal as a browser's form post gets it: an HTML page with `status`, its heading, and
/// one way on, to `back`; the service's page style and policy, as every page.
pub fn refusal_page(p: &Page, status: u16, heading: &str, back: &str) {
    assert_eq!(p.status, status, "{}", p.html);
    assert!(
        header(p, "content-type").starts_with("text/html"),
        "{:?}",
        p.headers
    );
    assert!(p.html.starts_with("<!DOCTYPE html>"), "{}", p.html);
    assert!(p.html.contains("<html lang=\"en"), "{}", p.html);
    assert!(
        p.html
            .contains(&format!("<h1 class=\"heading-xl\">{heading}</h1>")),
        "{}",
        p.html
    );
    assert!(p.html.contains("href=\"/assets/app.css\""), "{}", p.html);
    let html = unescape(&p.html);
    assert!(html.contains(&format!("<a href=\"{back}\">")), "{html}");
    assert!(header(p, "content-security-policy").contains("default-src 'none'"));
    assert_eq!(header(p, "x-content-type-options"), "nosniff");
    assert!(header(p, "cache-control").contains("no-store"));
}

/// A 6 MB photo: PNG by its content.
pub fn big_png() -> Vec<u8> {
    let mut b = png();
    b.resize(6 * 1024 * 1024 + 123, 7);
    b
}

/// A 6.5 MB PDF.
pub fn big_pdf() -> Vec<u8> {
    pdf_of(6 * 1024 * 1024 + 512 * 1024)
}

/// A PDF of about `size` bytes (a few more: its end marker).
pub fn pdf_of(size: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
    b.resize(size, b' ');
    b.extend(b"\n%%EOF\n");
    b
}

/// The page's policy lets its forms post to the inbox (locally our own origin) and runs no
/// script; no page sends its address on as a referrer.
pub fn posts_only_to_the_inbox(p: &Page, base: &str) {
    let csp = header(p, "content-security-policy");
    assert!(
        csp.contains(&format!(
            "form-action 'self' {};",
            base.trim_end_matches('/')
        )),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");
    assert!(!p.html.contains("<script"));
    assert_eq!(header(p, "referrer-policy"), "no-referrer");
    assert!(header(p, "cache-control").contains("no-store"));
}

/// Goes through the files step at `step` (a path) with `files`, one at a time, as a browser
/// without JavaScript: each form posted to the inbox, each redirect followed. The address
/// "Continue" leads to.
pub async fn through_the_step(
    s: &Server,
    c: &reqwest::Client,
    step: &str,
    files: &[(&str, Vec<u8>)],
) -> String {
    let mut at = step.to_string();
    for (n, (name, bytes)) in files.iter().enumerate() {
        let p = page(c, &s.url(&at)).await;
        assert_eq!(p.status, 200, "{}", p.html);
        posts_only_to_the_inbox(&p, &s.base);
        let (action, fields) = upload_form(&p.html);
        assert!(action.starts_with(&s.url("/uploads/")), "{action}");
        let sent = send_upload(c, &action, &fields, name, bytes, Some("text/html")).await;
        assert_eq!(sent.status, 303, "{}", sent.html);
        let location = header(&sent, "location");
        assert!(!location.contains(name), "no file name in an address");
        assert_eq!(
            location.matches("attachments=").count(),
            n + 1,
            "{location}"
        );
        at = location;
    }
    let p = page(c, &s.url(&at)).await;
    assert_eq!(p.status, 200);
    for (name, _) in files {
        assert!(p.html.contains(name), "{name} is listed: {}", p.html);
    }
    assert!(
        p.html.contains("6.0 MB") || p.html.contains("6.5 MB"),
        "{}",
        p.html
    );
    attr_after(&p.html, "<a class=\"button\"", "href").expect("Continue")
}

/// The page's form as a browser without JavaScript sends it with no file chosen: its text
/// fields, its hidden `attachments`, and an empty file part.
pub fn text_only_form(fields: &[(&str, &str)], html: &str) -> Vec<u8> {
    let mut all: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut rest = html;
    while let Some(at) = rest.find("name=\"attachments\" value=\"") {
        let v = &rest[at + 26..];
        all.push(("attachments".into(), v[..v.find('"').unwrap()].to_string()));
        rest = &rest[at + 1..];
    }
    let mut b = Vec::new();
    for (k, v) in &all {
        b.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

pub async fn post_page(
    c: &reqwest::Client,
    url: &str,
    cookie: &str,
    body: Vec<u8>,
) -> (u16, String, String) {
    let res = c
        .post(url)
        .header("cookie", cookie)
        .header("accept", "text/html")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}
