//! Staff accounts on a host that keeps them itself (`p3 serve` without an identity provider):
//! server-side sessions behind the staff cookie, and API tokens checked against the recorded
//! revocations. The store lookups are asynchronous, the [`Authenticator`] is not, so a
//! middleware ([`resolve`]) looks the caller up first and leaves the answer in the request's
//! extensions for [`SessionAuthenticator`] to read.
//!
//! The cookie `p3_staff` holds either a session id (hex, no dot) or, as before, a pasted token
//! (a JWT, with dots): the same cookie, so every staff page and route works with either.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use p3_domain::staff_account::{Accounts, SignedInStaff};

use crate::auth::{self, AuthError, Authenticator, Role, Staff};
use crate::problem::Problem;
use crate::sign_in::SESSION_COOKIE;

/// The host's staff accounts, as a router extension (and the middleware's state): turns on
/// the email-and-password sign-in and the set-password pages.
#[derive(Clone)]
pub struct StaffAccounts(pub Arc<Accounts>);

/// The caller found by [`resolve`]: a live session's staff member, or a refusal.
#[derive(Debug, Clone)]
enum Resolved {
    Session(Staff),
    Refused,
}

/// The answer when the accounts' store cannot be read or written: the reason is logged, the
/// caller is told to try again.
pub(crate) fn store_unavailable(e: &p3_domain::ports::StoreError) -> Problem {
    tracing::error!(error = %e, "the staff accounts' store is unavailable");
    Problem::unavailable("The service is temporarily unavailable; please try again shortly")
}

/// A session cookie's value: a session id rather than a pasted token.
pub fn is_session_id(value: &str) -> bool {
    !value.is_empty() && !value.contains('.')
}

fn staff_of(s: SignedInStaff) -> Option<Staff> {
    Some(Staff {
        role: Role::parse(&s.role)?,
        name: s.name,
        email: s.email,
    })
}

/// Middleware: resolves the staff cookie's session, or checks a token's id and account
/// against the store, before the handlers authenticate.
pub async fn resolve(
    State(StaffAccounts(accounts)): State<StaffAccounts>,
    mut req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let bearer = auth::bearer(&parts).ok().map(str::to_string);
    let cookie = auth::cookie(&parts, SESSION_COOKIE);
    req = Request::from_parts(parts, body);
    let resolved = match (bearer, cookie) {
        (None, Some(c)) if is_session_id(&c) => match accounts.session(&c).await {
            Ok(Some(s)) => Some(staff_of(s).map_or(Resolved::Refused, Resolved::Session)),
            Ok(None) => Some(Resolved::Refused),
            Err(e) => return store_unavailable(&e).into_response(),
        },
        (Some(token), _) | (None, Some(token)) => match auth::claimed_id_and_email(&token) {
            Some((id, email)) => match accounts.token_refused(id.as_deref(), &email).await {
                Ok(true) => Some(Resolved::Refused),
                Ok(false) => None,
                Err(e) => return store_unavailable(&e).into_response(),
            },
            None => None,
        },
        (None, None) => None,
    };
    if let Some(r) = resolved {
        req.extensions_mut().insert(r);
    }
    next.run(req).await
}

/// Authenticates by the session [`resolve`] found, or else by the token (local HS256 key)
/// unless [`resolve`] refused it.
pub struct SessionAuthenticator<A> {
    /// How tokens are checked.
    pub tokens: A,
}

impl<A: Authenticator> Authenticator for SessionAuthenticator<A> {
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        now: DateTime<Utc>,
    ) -> Result<Staff, AuthError> {
        match parts.extensions.get::<Resolved>() {
            Some(Resolved::Session(s)) => Ok(s.clone()),
            Some(Resolved::Refused) => Err(AuthError::Revoked),
            None => self.tokens.authenticate(parts, now),
        }
    }
}
