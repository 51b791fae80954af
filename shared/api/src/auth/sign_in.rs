//! Signing staff in through an identity provider (OpenID Connect on AWS) instead of pasting a
//! token. The staff pages need only these calls; the provider's protocol, its keys and the
//! checks of its tokens live with the host that has one (`p3-aws`), so the local server, which
//! signs its own tokens, carries none of it. A host with a provider adds [`StaffSignIn`] to the
//! router as an extension; without it the pages keep the token sign-in form.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::auth::{AuthError, Staff};

/// The staff session cookie of the pages (path `/staff`, HttpOnly): the token itself, checked
/// on every request by the host's authenticator.
pub const SESSION_COOKIE: &str = "p3_staff";

/// A sign-in begun: where to send the browser, and what it must bring back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInStart {
    /// The provider's authorization address with this attempt's parameters (state, nonce,
    /// PKCE challenge).
    pub authorize_url: String,
    /// The attempt cookie's value (state, nonce, PKCE verifier and the page to go to, made
    /// tamper-proof by the provider), kept by the browser only until the callback.
    pub attempt: String,
    /// How long the attempt may take, in seconds (the cookie's `Max-Age`).
    pub max_age: i64,
}

/// A sign-in completed: the provider's token has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInDone {
    /// What to keep in the staff session cookie: a token the host's
    /// [`crate::auth::Authenticator`] checks again on every request.
    pub session: String,
    /// Who signed in.
    pub staff: Staff,
    /// The staff page to go to (already checked to be one of ours).
    pub next: String,
    /// Seconds until the token expires (the session cookie's `Max-Age`).
    pub max_age: i64,
}

/// Why a sign-in could not be completed. Each is shown to the person signing in in plain words
/// and logged by kind only (no personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The callback does not belong to a sign-in this browser started: no attempt cookie, a
    /// cookie that was altered or is too old, or a `state` (or token `nonce`) that differs.
    #[error("this sign-in was not started in this browser, or took too long")]
    NotThisBrowser,
    /// The provider sent the browser back with an error (`error=access_denied`, ...).
    #[error("the identity provider did not sign you in ({0})")]
    Refused(String),
    /// The provider's token cannot be used: signature, issuer, audience, expiry or claims.
    #[error("the identity provider's token cannot be used: {0}")]
    Token(AuthError),
    /// The provider could not be reached, or answered with something unusable.
    #[error("the identity provider could not be reached: {0}")]
    Provider(String),
}

/// An identity provider the staff pages sign in through.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Begins a sign-in that will come back to `next` (a staff page).
    async fn begin(&self, next: &str, now: DateTime<Utc>) -> Result<SignInStart, SignInError>;

    /// Completes a sign-in from the callback's `code` and `state` and the attempt cookie.
    async fn complete(
        &self,
        code: &str,
        state: &str,
        attempt: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<SignInDone, SignInError>;

    /// Where to send the browser after the session cookie is cleared (the provider's own
    /// sign-out, which comes back to the signed-out page), if it has one.
    async fn sign_out_url(&self) -> Option<String>;
}

/// The identity provider of the staff pages, as a router extension set by the host.
#[derive(Clone)]
pub struct StaffSignIn(pub Arc<dyn IdentityProvider>);
