//! Staff identity on AWS: the HTTP API's JWT authorizer has already checked the token's
//! signature, issuer, audience and expiry before the function runs, and passes its claims in
//! the request context. This reads them; it never sees or checks a token itself, and a request
//! that did not pass the authorizer (a public route) has no claims, so it is refused. The staff
//! pages, whose routes have no authorizer, check the identity provider's token themselves
//! ([`crate::oidc`]), reading the same claims through [`ClaimsAuthenticator::staff_from`].

use chrono::{DateTime, Utc};
use lambda_http::request::RequestContext;
use p3_api::auth::{AuthError, Authenticator, Role, Staff};

/// Reads [`Staff`] from the JWT authorizer's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimsAuthenticator {
    /// The claim holding the email (`email`).
    pub email_claim: String,
    /// The claim holding the role (`custom:role` on Cognito, `roles` on Microsoft Entra ID).
    pub role_claim: String,
    /// The claim holding the display name (`name`); the email when absent.
    pub name_claim: String,
}

impl Default for ClaimsAuthenticator {
    fn default() -> Self {
        ClaimsAuthenticator {
            email_claim: "email".into(),
            role_claim: "custom:role".into(),
            name_claim: "name".into(),
        }
    }
}

impl ClaimsAuthenticator {
    /// Claim names from `EMAIL_CLAIM`, `ROLE_CLAIM` and `NAME_CLAIM`, defaulting to `email`,
    /// `custom:role` and `name`.
    pub fn from_env() -> ClaimsAuthenticator {
        ClaimsAuthenticator::from_lookup(|k| std::env::var(k).ok())
    }

    /// The same, through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> ClaimsAuthenticator {
        let d = ClaimsAuthenticator::default();
        let var = |k: &str, default: String| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or(default)
        };
        ClaimsAuthenticator {
            email_claim: var("EMAIL_CLAIM", d.email_claim),
            role_claim: var("ROLE_CLAIM", d.role_claim),
            name_claim: var("NAME_CLAIM", d.name_claim),
        }
    }

    /// [`Staff`] from claims, whoever checked the token they came in: the JWT authorizer (its
    /// claims flattened to strings) or the staff pages' own check ([`crate::oidc`]), so both
    /// read the same claim names the same way.
    pub fn staff_from(&self, claim: impl Fn(&str) -> Option<String>) -> Result<Staff, AuthError> {
        let email = claim(&self.email_claim)
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .ok_or(AuthError::Missing)?;
        let role_value = claim(&self.role_claim).ok_or(AuthError::Missing)?;
        let role = role_from_claim(&role_value).ok_or(AuthError::BadClaims)?;
        if !p3_domain::validation::is_email(&email) {
            return Err(AuthError::BadClaims);
        }
        let name = claim(&self.name_claim)
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.clone());
        Ok(Staff { name, email, role })
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

/// The strongest known role in a claim value. API Gateway flattens a list claim into one
/// string (`[officer auditor]`), identity providers write names in various cases and
/// separators (`Investigating-Manager`); an unknown name is ignored.
pub fn role_from_claim(value: &str) -> Option<Role> {
    value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '"'))
        .filter(|s| !s.is_empty())
        .filter_map(|s| Role::parse(&s.to_ascii_lowercase().replace(['-', ' '], "_")))
        .max()
}

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
