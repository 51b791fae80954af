//! The Content-Security-Policy of the resident's pages that take files (the complaint form, the
//! case page with its review request, the review request's own page). Every other page keeps
//! the strict policy of `security_headers` (no script at all). These pages run one script of
//! our own, `/assets/upload.js`, which posts each chosen file straight into the upload inbox:
//! so they allow scripts from our origin only (never inline, never eval) and connections to
//! our origin and the inbox's (the attachments bucket on AWS), and nothing else.

use axum::response::Response;
use http::{header, HeaderValue};
use p3_domain::inbox::UploadInbox;

/// The policy of every page, with `script-src 'self'` and `connect-src` added.
const BASE: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The origin (`scheme://host[:port]`, lower-cased) of an absolute `http(s)` URL; `None` for
/// anything else, or anything a policy could not carry safely.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let ok = !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// The policy of a page that runs the upload script, posting to `inbox_origin` (if any).
pub fn upload_page_policy(inbox_origin: Option<&str>) -> String {
    let mut connect = "'self'".to_string();
    if let Some(o) = inbox_origin.and_then(origin_of) {
        connect.push(' ');
        connect.push_str(&o);
    }
    format!("{BASE}; script-src 'self'; connect-src {connect}")
}

/// The policy of a page whose form posts a file straight into the upload inbox at
/// `inbox_origin` without a script (the staff case page's "Add a file"): the strict policy
/// with that origin, and only it, added to `form-action`.
pub fn inbox_form_policy(inbox_origin: &str) -> String {
    match origin_of(inbox_origin) {
        Some(o) => BASE.replace("form-action 'self'", &format!("form-action 'self' {o}")),
        None => BASE.to_string(),
    }
}

/// Sets [`inbox_form_policy`] on `res`, unless a handler set a policy of its own.
pub(crate) fn allow_form_posts_to(mut res: Response, inbox_origin: &str) -> Response {
    if res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        return res;
    }
    if let Ok(v) = HeaderValue::from_str(&inbox_form_policy(inbox_origin)) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// Sets the upload pages' policy on `res` (the security headers then leave it as it is).
pub(crate) fn allow_upload_script(mut res: Response, inbox: &dyn UploadInbox) -> Response {
    let policy = upload_page_policy(inbox.origin().as_deref());
    if let Ok(v) = HeaderValue::from_str(&policy) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// The policy of a page whose forms post a file straight into the upload inbox, without
/// JavaScript (the files step, `routes/public/file_step.rs`): the strict policy, no script,
/// with `form-action` allowing the inbox's origin (the attachments bucket on AWS) and only it.
pub fn inbox_form_page_policy(inbox_origin: Option<&str>) -> String {
    let mut action = "form-action 'self'".to_string();
    if let Some(o) = inbox_origin.and_then(origin_of) {
        action.push(' ');
        action.push_str(&o);
    }
    BASE.replace("form-action 'self'", &action)
}

/// Sets the files step's policy on `res` (the security headers then leave it as it is).
pub(crate) fn allow_inbox_forms(mut res: Response, inbox: &dyn UploadInbox) -> Response {
    let policy = inbox_form_page_policy(inbox.origin().as_deref());
    if let Ok(v) = HeaderValue::from_str(&policy) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_files_step_may_post_forms_to_the_bucket_and_nowhere_else_and_runs_no_script() {
        let p = inbox_form_page_policy(Some("https://files-1.s3.eu-west-2.amazonaws.com/"));
        assert!(
            p.contains("form-action 'self' https://files-1.s3.eu-west-2.amazonaws.com;"),
            "{p}"
        );
        assert!(
            !p.contains("script-src") && !p.contains("connect-src"),
            "{p}"
        );
        assert!(inbox_form_page_policy(Some("javascript:x")).contains("form-action 'self';"));
    }

    use super::*;

    #[test]
    fn the_bucket_origin_is_the_only_other_place_the_script_may_post_to() {
        let p = upload_page_policy(Some("https://files-1.s3.eu-west-2.amazonaws.com/"));
        assert!(p.ends_with(
            "script-src 'self'; connect-src 'self' https://files-1.s3.eu-west-2.amazonaws.com"
        ));
        assert!(!p.contains("unsafe"));
        assert_eq!(
            origin_of("http://127.0.0.1:5000/bucket/x?y"),
            Some("http://127.0.0.1:5000".into())
        );
    }

    #[test]
    fn a_page_posting_into_the_bucket_may_post_forms_there_and_nowhere_else() {
        let p = inbox_form_policy("https://files-1.s3.eu-west-2.amazonaws.com/");
        assert!(p.contains("form-action 'self' https://files-1.s3.eu-west-2.amazonaws.com;"));
        assert!(!p.contains("script-src"));
        assert_eq!(inbox_form_policy("javascript:x"), BASE);
    }

    #[test]
    fn a_url_that_is_not_plain_http_adds_no_origin() {
        for bad in [
            "javascript:alert(1)",
            "//x.example",
            "https://",
            "https://a b",
            "https://a;b",
        ] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
        assert!(upload_page_policy(Some("ftp://x")).ends_with("connect-src 'self'"));
    }
}
