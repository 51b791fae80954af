//! Every error the API gives is an `application/problem+json` body (RFC 9457); validation
//! errors list each field at fault.

use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};
use p3_domain::case::CommandError;
use p3_domain::service::ServiceError;
use p3_domain::validation::{FieldError, ValidationErrors};
use serde::Serialize;

/// An RFC 9457 problem detail.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong in this case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Fields at fault, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait, for 429 and 503.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem with a status, a type slug and a detail.
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://p3housing.invalid/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: Some(detail.into()),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 400: the body is not well-formed.
    pub fn malformed(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "malformed", detail)
    }

    /// 422: well-formed but invalid, with the fields at fault.
    pub fn invalid(errors: ValidationErrors) -> Problem {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Some fields need correcting",
        );
        p.errors = errors.errors;
        p
    }

    /// 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Problem {
        Problem::invalid(ValidationErrors::one(field, message))
    }

    /// 404, worded the same whatever the reason, so it reveals nothing.
    pub fn not_found() -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No complaint was found with those details",
        )
    }

    /// 401.
    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 409: the action is not valid for the case's state.
    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "invalid-state", detail)
    }

    /// 503 with Retry-After.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        let mut p = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail);
        p.retry_after = Some(5);
        p
    }

    /// 429 with Retry-After.
    pub fn too_many(retry_after: u64) -> Problem {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests; please wait and try again",
        );
        p.retry_after = Some(retry_after.max(1));
        p
    }

    /// The problem as a JSON string.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// The media type of problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, self.to_json()).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body is never read, so the connection cannot carry another
            // request: say so, or a client reusing it sees its next request cut off.
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

impl From<CommandError> for Problem {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Invalid(v) => Problem::invalid(v),
            CommandError::InFuture { .. } => Problem::field("at", "must not be in the future"),
            CommandError::BeforePreviousEvent { previous, .. } => Problem::field(
                "at",
                format!(
                    "must not be before the case's previous event ({})",
                    previous.to_rfc3339()
                ),
            ),
            CommandError::Forbidden { needed, role } => Problem::forbidden(format!(
                "This needs the {} role; you have {}",
                needed.as_str(),
                role.as_str()
            )),
            CommandError::NotAllowed(m) => Problem::conflict(m),
            CommandError::UnknownProcedure(p) => {
                Problem::unavailable(format!("procedure `{p}` is not configured"))
            }
            CommandError::Letter(m) => {
                tracing::error!(error = %m, "a letter template failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "letter-template",
                    "the letter this change sends could not be written; nothing was saved. The letter templates need fixing.",
                )
            }
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => Problem::not_found(),
            ServiceError::StaleVersion { .. } => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                e.to_string(),
            ),
            ServiceError::Command(c) => c.into(),
            ServiceError::KeyReused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                e.to_string(),
            ),
            ServiceError::Unavailable(m) => {
                tracing::error!(error = %m, "dependency unavailable");
                Problem::unavailable(
                    "The service is temporarily unavailable; please try again shortly",
                )
            }
            // No Retry-After: the same request would fail the same way.
            ServiceError::Internal(m) => {
                tracing::error!(error = %m, "internal failure");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Something went wrong on our side; it has been logged",
                )
            }
        }
    }
}
