//! Staff sign-in to the pages on AWS, through the identity provider (Amazon Cognito or Microsoft
//! Entra ID; both speak OpenID Connect). The provider's protocol and the checks of its tokens
//! are `p3-oidc`'s (shared with `p3 serve`), on ring, as the AWS SDK's client here is;
//! what is AWS's own is here.
//!
//! The HTTP API's JWT authorizer reads only the `Authorization` header, which a browser
//! following links does not send, so the page routes have no authorizer and the `pages`
//! function checks the staff themselves ([`OidcAuthenticator`]): the authorizer's claims when a
//! request has them, else the provider's ID token from the session cookie (or a bearer header).

use chrono::{DateTime, Utc};
use p3_api::auth::{AuthError, Authenticator, Staff};
pub use p3_oidc::{
    acceptable_url, claim_text, OidcProvider, OidcSettings, ProviderAuthenticator, SettingsError,
    TokenVerifier, ATTEMPT_SECONDS,
};

use crate::auth::ClaimsAuthenticator;
use crate::wiring::WiringError;

impl From<SettingsError> for WiringError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Missing(name) => WiringError::Missing(name),
            SettingsError::Invalid { name, reason } => WiringError::Invalid { name, reason },
        }
    }
}

/// Staff identity in the `pages` function, whose routes have no authorizer: the provider's ID
/// token from the session cookie (or a bearer header), checked here; the JWT authorizer's
/// claims if a request has them. Both read the same claims.
pub struct OidcAuthenticator {
    claims: ClaimsAuthenticator,
    provider: ProviderAuthenticator,
}

impl OidcAuthenticator {
    /// The authenticator of the function that serves the pages through `provider`.
    pub fn new(provider: &OidcProvider) -> OidcAuthenticator {
        OidcAuthenticator {
            claims: provider.settings().claims.clone().into(),
            provider: provider.authenticator(),
        }
    }
}

impl Authenticator for OidcAuthenticator {
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        now: DateTime<Utc>,
    ) -> Result<Staff, AuthError> {
        if crate::auth::has_authorizer_claims(parts) {
            return self.claims.authenticate(parts, now);
        }
        self.provider.authenticate(parts, now)
    }
}
