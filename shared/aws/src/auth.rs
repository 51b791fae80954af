//! Staff identity on AWS: the HTTP API's JWT authorizer has already checked the token's
//! signature, issuer, audience and expiry before the function runs, and passes its claims in
//! the request context. This reads them; it never sees or checks a token itself, and a request
//! that did not pass the authorizer (a public route) has no claims, so it is refused. The staff
//! pages, whose routes have no authorizer, check the identity provider's token themselves
//! ([`crate::oidc`]), reading the same claims through [`ClaimsAuthenticator::staff_from`].

use chrono::{DateTime, Utc};
use lambda_http::request::RequestContext;
use p3_api::auth::{AuthError, Authenticator, Staff};
use p3_oidc::ClaimNames;

/// Reads [`Staff`] from the JWT authorizer's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsAuthenticator {
    /// The claim holding the email (`email`).
    pub email_claim: String,
    /// The claim holding the role (`cognito:groups` on Cognito, the default; `roles` on
    /// Microsoft Entra ID).
    pub role_claim: String,
    /// The claim holding the display name (`name`); the email when absent.
    pub name_claim: String,
}

impl Default for ClaimsAuthenticator {
    fn default() -> Self {
        ClaimNames::default().into()
    }
}

impl From<ClaimNames> for ClaimsAuthenticator {
    fn from(c: ClaimNames) -> Self {
        ClaimsAuthenticator {
            email_claim: c.email_claim,
            role_claim: c.role_claim,
            name_claim: c.name_claim,
        }
    }
}

impl ClaimsAuthenticator {
    /// Claim names from `EMAIL_CLAIM`, `ROLE_CLAIM` and `NAME_CLAIM`, defaulting to `email`,
    /// `cognito:groups` and `name`.
    pub fn from_env() -> ClaimsAuthenticator {
        ClaimsAuthenticator::from_lookup(|k| std::env::var(k).ok())
    }

    /// The same, through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> ClaimsAuthenticator {
        ClaimNames::from_lookup(get).into()
    }

    /// [`Staff`] from claims, whoever checked the token they came in: the JWT authorizer (its
    /// claims flattened to strings) or the staff pages' own check ([`crate::oidc`]), so both
    /// read the same claim names the same way ([`ClaimNames::staff_from`]).
    pub fn staff_from(&self, claim: impl Fn(&str) -> Option<String>) -> Result<Staff, AuthError> {
        ClaimNames {
            email_claim: self.email_claim.clone(),
            role_claim: self.role_claim.clone(),
            name_claim: self.name_claim.clone(),
        }
        .staff_from(claim)
    }
}

/// True when the request passed the HTTP API's JWT authorizer (its claims are in the context).
pub fn has_authorizer_claims(parts: &http::request::Parts) -> bool {
    parts
        .extensions
        .get::<RequestContext>()
        .and_then(|c| c.authorizer())
        .is_some_and(|a| a.jwt.is_some())
}

pub use p3_oidc::role_from_claim;

impl Authenticator for ClaimsAuthenticator {
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        _now: DateTime<Utc>,
    ) -> Result<Staff, AuthError> {
        let claims = parts
            .extensions
            .get::<RequestContext>()
            .and_then(|c| c.authorizer())
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims)
            .ok_or(AuthError::Missing)?;
        self.staff_from(|name| claims.get(name).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_api::auth::Role;

    #[test]
    fn the_strongest_known_role_in_a_claim_wins() {
        assert_eq!(role_from_claim("officer"), Some(Role::Officer));
        assert_eq!(
            role_from_claim("[auditor investigating_manager]"),
            Some(Role::InvestigatingManager)
        );
        assert_eq!(role_from_claim("Senior-Manager"), Some(Role::SeniorManager));
        assert_eq!(role_from_claim("admin"), None);
        assert_eq!(role_from_claim(""), None);
    }

    #[test]
    fn a_request_without_authorizer_claims_is_refused() {
        let (parts, _) = http::Request::new(()).into_parts();
        assert_eq!(
            ClaimsAuthenticator::default().authenticate(&parts, Utc::now()),
            Err(AuthError::Missing)
        );
    }
}
