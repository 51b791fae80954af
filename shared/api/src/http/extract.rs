//! The query and path extractors every handler uses. They are axum's, except that a rejection
//! is a problem+json naming the parameter at fault, never axum's plain-text 400: a client (or a
//! resident's browser) always gets the same kind of error, whichever part of the request was
//! wrong.

use axum::extract::{FromRequestParts, RawPathParams};
use http::request::Parts;
use http::StatusCode;
use p3_domain::validation::ValidationErrors;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// 400 naming the query or path parameter at fault.
pub fn bad_parameter(name: &str, message: impl Into<String>) -> Problem {
    let mut p = Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-parameter",
        format!("The parameter `{name}` is not usable"),
    );
    p.errors = ValidationErrors::one(name, message).errors;
    p
}

/// The query string, deserialised: a repeated or undecodable parameter is a 400 naming it.
#[derive(Debug, Clone, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or("")).map(Query)
    }
}

/// Parses a query string into `T`, naming the parameter at fault.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, Problem> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // serde names a repeated field in the message ("duplicate field `code`") and reports
        // it at the parent.
        let name = message
            .split('`')
            .nth(1)
            .filter(|_| path == "." || path.is_empty())
            .map(str::to_string)
            .unwrap_or(path);
        let message = if message.starts_with("duplicate field") {
            "must be given once".to_string()
        } else {
            message
        };
        bad_parameter(&name, message)
    })
}

/// One path segment (`{reference}`, `{id}`) or several, as text: a segment that does not decode
/// to UTF-8 is a 400 naming it.
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

/// Path parameters that can be read from the route's raw segments.
pub trait FromSegments: Sized {
    /// Builds the value from the decoded `(name, value)` pairs, in route order.
    fn from_segments(segments: Vec<(String, String)>) -> Option<Self>;
}

impl FromSegments for String {
    fn from_segments(segments: Vec<(String, String)>) -> Option<Self> {
        segments.into_iter().next().map(|(_, v)| v)
    }
}

impl FromSegments for (String, String) {
    fn from_segments(segments: Vec<(String, String)>) -> Option<Self> {
        let mut it = segments.into_iter().map(|(_, v)| v);
        Some((it.next()?, it.next()?))
    }
}

impl<T: FromSegments, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                // axum names the segment in its message ("Invalid UTF-8 in `reference`").
                let text = e.body_text();
                let name = text.split('`').nth(1).unwrap_or("(path)").to_string();
                bad_parameter(&name, "must be percent-encoded UTF-8 text")
            })?;
        let segments = raw
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        T::from_segments(segments)
            .map(Path)
            .ok_or_else(|| bad_parameter("(path)", "is missing a segment"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Q {
        code: Option<String>,
        limit: Option<String>,
    }

    #[test]
    fn a_repeated_parameter_is_named() {
        let p = parse_query::<Q>("code=a&code=b").unwrap_err();
        assert_eq!(p.status, 400);
        assert_eq!(p.errors[0].field, "code");
        assert_eq!(p.errors[0].message, "must be given once");
        assert!(parse_query::<Q>("code=a&limit=3&other=x").is_ok());
        assert!(parse_query::<Q>("%FF=%FE&&=&code").is_ok());
    }
}
