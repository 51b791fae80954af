//! Reading request bodies safely: a size limit enforced before reading the rest (413), the
//! media type checked (415), malformed JSON (400) told apart from well-formed but invalid
//! input (422, naming the field).

use axum::body::Body;
use http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::problem::Problem;

/// Largest body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// The kinds of body a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// Which kind of body the request says it carries, if one the API accepts.
pub fn kind_of(headers: &HeaderMap) -> Option<BodyKind> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mime = ct.split(';').next()?.trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => Some(BodyKind::Json),
        m if m.starts_with("application/") && m.ends_with("+json") => Some(BodyKind::Json),
        "application/x-www-form-urlencoded" => Some(BodyKind::Form),
        _ => None,
    }
}

/// Whether the client asks for HTML (`Accept` naming `text/html`, as a browser does when it
/// posts a form or opens a page): it gets a page, an API client problem+json.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The error a host's request body gives when the client took too long to send it (a slow
/// client holding the connection): the read is answered 408 and the connection closed.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the client took too long to send the request body")]
pub struct BodyTimedOut;

fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<BodyTimedOut>() || err.to_string() == BodyTimedOut.to_string() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Reads the whole body up to [`MAX_BODY`]; a larger body is refused without reading the rest,
/// and one the client is too slow to send (see [`BodyTimedOut`]) is 408.
pub async fn read_limited(headers: &HeaderMap, body: Body) -> Result<bytes::Bytes, Problem> {
    let too_large = || {
        Problem::new(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("The request body must be {} KiB or less", MAX_BODY / 1024),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > MAX_BODY {
            return Err(too_large());
        }
    }
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        let e = e.into_inner();
        if timed_out(e.as_ref()) {
            Problem::new(
                http::StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "The request body took too long to arrive",
            )
        } else {
            too_large()
        }
    })
}

/// Parses a JSON body, mapping syntax errors to 400 and type or field errors to 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    if bytes.is_empty() {
        return Err(Problem::malformed(
            "The request body is empty; send a JSON object",
        ));
    }
    // Every body is a JSON object. serde would also build a struct from an array of its
    // fields in order (`[null, "reason"]`), which no client means: refuse anything else.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(_) => Err(Problem::field("(body)", "must be a JSON object")),
            Err(e) => Err(Problem::malformed(format!("Malformed JSON: {e}"))),
        };
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(v) => {
            de.end()
                .map_err(|e| Problem::malformed(format!("Malformed JSON: {e}")))?;
            Ok(v)
        }
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            match inner.classify() {
                // serde_json reports a value of the wrong kind for an enum (`"ground": null`,
                // `"direction": 3`) as a syntax error; well-formed JSON is the field's fault.
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof
                    if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() =>
                {
                    Err(Problem::field(
                        &field_name(&path, ""),
                        "has a value of the wrong kind here".to_string(),
                    ))
                }
                serde_json::error::Category::Syntax
                | serde_json::error::Category::Eof
                | serde_json::error::Category::Io => {
                    Err(Problem::malformed(format!("Malformed JSON: {inner}")))
                }
                serde_json::error::Category::Data => Err(Problem::field(
                    &field_name(&path, &inner.to_string()),
                    clean_message(&inner.to_string()),
                )),
            }
        }
    }
}

/// Parses a form-encoded body; every value is text, so only unknown or repeated fields fail.
pub fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        Problem::field(&field_name(&path, &msg), clean_message(&msg))
    })
}

fn field_name(path: &str, message: &str) -> String {
    // serde reports a missing or unknown field at the parent; name the field itself.
    let named = |marker: &str| {
        message
            .split(marker)
            .nth(1)
            .and_then(|rest| rest.split('`').nth(1))
            .map(|f| f.to_string())
    };
    let leaf = named("unknown field").or_else(|| named("missing field"));
    match (path, leaf) {
        (".", Some(f)) | ("", Some(f)) => f,
        (p, Some(f)) if p == f || p.ends_with(&format!(".{f}")) => p.to_string(),
        (p, Some(f)) => format!("{p}.{f}"),
        (".", None) | ("", None) => "(body)".into(),
        (p, None) => p.to_string(),
    }
}

fn clean_message(message: &str) -> String {
    // Drop serde_json's "at line 1 column 5" suffix: the field name says where.
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Hash of a request (method, path, body) so an idempotency key reused for a different request is refused.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        working_days: u32,
        reason: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Ground {
        OutOfTime,
        Legal,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct WithEnum {
        ground: Ground,
        reason: Option<String>,
    }

    #[test]
    fn a_wrong_kind_of_value_for_a_choice_is_422_naming_the_field_not_malformed() {
        for body in [
            &br#"{"ground": null, "reason": "r"}"#[..],
            br#"{"ground": 3}"#,
            br#"{"ground": [], "reason": "r"}"#,
            br#"{"ground": "never"}"#,
        ] {
            let p = parse_json::<WithEnum>(body).unwrap_err();
            assert_eq!(
                (p.status, p.errors[0].field.as_str()),
                (422, "ground"),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // Truly malformed JSON stays a 400.
        assert_eq!(
            parse_json::<WithEnum>(br#"{"ground": nul"#)
                .unwrap_err()
                .status,
            400
        );
        assert!(parse_json::<WithEnum>(br#"{"ground": "legal"}"#).is_ok());
    }

    #[test]
    fn malformed_json_is_400_and_a_wrong_type_is_422_naming_the_field() {
        assert_eq!(
            parse_json::<T>(b"{\"working_days\": 3,")
                .unwrap_err()
                .status,
            400
        );
        let p = parse_json::<T>(br#"{"working_days": "x", "reason": "r"}"#).unwrap_err();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors[0].field, "working_days");
        let p = parse_json::<T>(br#"{"working_days": 3}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "reason");
        let p = parse_json::<T>(br#"{"working_days": 3, "reason": "r", "colour": 1}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "colour");
        assert_eq!(parse_json::<T>(b"").unwrap_err().status, 400);
        let p = parse_json::<T>(br#"[3, "r"]"#).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "(body)"));
        assert_eq!(parse_json::<T>(b"[3, ").unwrap_err().status, 400);
        assert_eq!(
            parse_json::<T>(br#"{"working_days": 3, "reason": "r"} x"#)
                .unwrap_err()
                .status,
            400
        );
    }
}
