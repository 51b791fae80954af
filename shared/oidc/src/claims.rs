//! Who a provider's token names: the staff member's email, role and name, read from claims
//! whose names the deployment chooses (Cognito's `cognito:groups`, Entra ID's `roles`, ...).

use p3_api::auth::{AuthError, Role, Staff};
use serde_json::Value;

/// The claims staff are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    /// The claim holding the email (`email`).
    pub email_claim: String,
    /// The claim holding the role: one staff cannot edit themselves (`cognito:groups` on
    /// Cognito, the default; `roles`, app roles, on Microsoft Entra ID).
    pub role_claim: String,
    /// The claim holding the display name (`name`); the email when absent.
    pub name_claim: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        ClaimNames {
            email_claim: "email".into(),
            role_claim: "cognito:groups".into(),
            name_claim: "name".into(),
        }
    }
}

impl ClaimNames {
    /// Claim names from `EMAIL_CLAIM`, `ROLE_CLAIM` and `NAME_CLAIM` through `get` (the
    /// environment, a map in tests), defaulting to `email`, `cognito:groups` and `name`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> ClaimNames {
        let d = ClaimNames::default();
        let var = |k: &str, default: String| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or(default)
        };
        ClaimNames {
            email_claim: var("EMAIL_CLAIM", d.email_claim),
            role_claim: var("ROLE_CLAIM", d.role_claim),
            name_claim: var("NAME_CLAIM", d.name_claim),
        }
    }

    /// [`Staff`] from claims, whoever checked the token they came in (an API gateway's JWT
    /// authorizer, its claims flattened to strings, or [`crate::TokenVerifier`]), so every host
    /// reads the same claim names the same way.
    pub fn staff_from(&self, claim: impl Fn(&str) -> Option<String>) -> Result<Staff, AuthError> {
        let email = claim(&self.email_claim)
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .ok_or(AuthError::Missing)?;
        // An address the provider says it has not verified names nobody we know: a user who
        // can set their own email could otherwise take a colleague's. Providers that do not
        // send the claim (Entra ID work accounts) are trusted for the address they issue.
        if let Some(verified) = claim("email_verified") {
            if !verified.trim().eq_ignore_ascii_case("true") {
                return Err(AuthError::BadClaims);
            }
        }
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

/// A claim as text, as an API gateway's JWT authorizer passes it on: strings as they are, a
/// list as its members separated by spaces (Entra ID's `roles`), numbers and booleans written
/// out.
pub fn claim_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(claim_text)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff_with(names: &ClaimNames, claims: &[(&str, &str)]) -> Result<Staff, AuthError> {
        names.staff_from(|name| {
            claims
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn staff_of(claims: &[(&str, &str)]) -> Result<Staff, AuthError> {
        let names = ClaimNames {
            role_claim: "cognito:groups".into(),
            ..ClaimNames::default()
        };
        staff_with(&names, claims)
    }

    #[test]
    fn an_email_the_provider_has_not_verified_is_refused() {
        let base = [
            ("email", "a.officer@p3.example"),
            ("cognito:groups", "[officer]"),
        ];
        assert_eq!(staff_of(&base).unwrap().role, Role::Officer);
        for verified in ["true", "True"] {
            let mut claims = base.to_vec();
            claims.push(("email_verified", verified));
            assert!(staff_of(&claims).is_ok(), "{verified}");
        }
        for unverified in ["false", "", "0", "no"] {
            let mut claims = base.to_vec();
            claims.push(("email_verified", unverified));
            assert_eq!(
                staff_of(&claims).unwrap_err(),
                AuthError::BadClaims,
                "email_verified={unverified:?}"
            );
        }
    }

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
    fn unless_told_otherwise_the_role_comes_from_groups_not_from_an_attribute_users_can_write() {
        // A Cognito app client can write a custom attribute such as `custom:role` unless it is
        // made read-only; a deployment that leaves the claim unset must not trust one.
        let names = ClaimNames::from_lookup(|_| None);
        let read = |claims: &[(&str, &str)]| staff_with(&names, claims);
        let email = ("email", "olive@p3.example");
        assert_eq!(
            read(&[email, ("custom:role", "senior_manager")]).unwrap_err(),
            AuthError::Missing
        );
        let staff = read(&[
            email,
            ("custom:role", "senior_manager"),
            ("cognito:groups", "[officer]"),
        ])
        .unwrap();
        assert_eq!(staff.role, Role::Officer);
        // Set explicitly, another claim is read (Entra ID's app roles).
        let entra = ClaimNames::from_lookup(|k| (k == "ROLE_CLAIM").then(|| "roles".to_string()));
        assert_eq!(entra.role_claim, "roles");
    }
}
