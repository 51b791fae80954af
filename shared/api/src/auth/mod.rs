//! Staff identity: a signed bearer token (JWT, HS256) locally; on AWS the API's JWT authorizer
//! has already checked the token and the claims arrive with the request. Either way a handler
//! sees a [`Staff`] with an email and a role, or the request is refused.

pub mod sign_in;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What a member of staff may do: a domain rule (see [`p3_domain::role`]).
pub use p3_domain::role::Role;

/// An authenticated member of staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// Display name.
    pub name: String,
    /// Email: how staff are identified on cases.
    pub email: String,
    /// Role.
    pub role: Role,
}

/// The claims of a local staff token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's name.
    pub sub: String,
    /// The user's email.
    pub email: String,
    /// The user's role.
    pub role: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// The token's id, by which `p3 token revoke` refuses it (absent from tokens made before
    /// ids existed, which are accepted until they expire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No Authorization header, or not `Bearer`.
    #[error("a bearer token is required")]
    Missing,
    /// Not a well-formed JWT.
    #[error("the token is malformed")]
    Malformed,
    /// Wrong algorithm (including `none`) or wrong signature.
    #[error("the token's signature is not valid")]
    BadSignature,
    /// Expired or not yet valid.
    #[error("the token has expired")]
    Expired,
    /// Issued for another audience or by another issuer.
    #[error("the token was not issued for this service")]
    WrongAudience,
    /// Unknown role or missing email.
    #[error("the token does not name a known role and an email")]
    BadClaims,
    /// A revoked token, a disabled account's, or a session that has ended.
    #[error("the session has ended or the token was revoked; sign in again")]
    Revoked,
}

/// Issues and checks HS256 tokens with the local signing key.
#[derive(Clone)]
pub struct TokenKey {
    key: Vec<u8>,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// Issuer of local tokens.
pub const LOCAL_ISSUER: &str = "p3-local";
/// Audience of staff tokens.
pub const STAFF_AUDIENCE: &str = "p3-staff";

impl TokenKey {
    /// A key with the local issuer and staff audience.
    pub fn new(key: Vec<u8>) -> TokenKey {
        TokenKey {
            key,
            issuer: LOCAL_ISSUER.into(),
            audience: STAFF_AUDIENCE.into(),
        }
    }

    /// A key for another issuer and audience (an identity provider's, or a test's wrong one).
    pub fn with_issuer_audience(key: Vec<u8>, issuer: &str, audience: &str) -> TokenKey {
        TokenKey {
            key,
            issuer: issuer.into(),
            audience: audience.into(),
        }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    /// Signs a token for a member of staff, valid for `ttl`.
    pub fn issue(
        &self,
        name: &str,
        email: &str,
        role: Role,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> String {
        self.issue_with_id(name, email, role, now, ttl, None)
    }

    /// Signs a token carrying an id (`jti`), so it can be listed and revoked.
    pub fn issue_with_id(
        &self,
        name: &str,
        email: &str,
        role: Role,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
        id: Option<&str>,
    ) -> String {
        let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = Claims {
            sub: name.into(),
            email: email.to_ascii_lowercase(),
            role: role.as_str().into(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            jti: id.map(str::to_string),
        };
        let payload = B64.encode(serde_json::to_vec(&claims).expect("claims serialize"));
        let signing_input = format!("{header}.{payload}");
        let sig = B64.encode(self.mac(signing_input.as_bytes()));
        format!("{signing_input}.{sig}")
    }

    /// Checks a token: HS256 only, the signature in constant time, expiry, issuer and audience.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Staff, AuthError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let header: serde_json::Value =
            serde_json::from_slice(&B64.decode(h).map_err(|_| AuthError::Malformed)?)
                .map_err(|_| AuthError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(AuthError::BadSignature);
        }
        let sig = B64.decode(s).map_err(|_| AuthError::BadSignature)?;
        let expected = self.mac(format!("{h}.{p}").as_bytes());
        if !crate::http::compare::same_secret(&sig, &expected) {
            return Err(AuthError::BadSignature);
        }
        let claims: Claims =
            serde_json::from_slice(&B64.decode(p).map_err(|_| AuthError::Malformed)?)
                .map_err(|_| AuthError::BadClaims)?;
        if claims.exp <= now.timestamp() || claims.iat > now.timestamp() + 300 {
            return Err(AuthError::Expired);
        }
        if claims.aud != self.audience || claims.iss != self.issuer {
            return Err(AuthError::WrongAudience);
        }
        let role = Role::parse(&claims.role).ok_or(AuthError::BadClaims)?;
        if !p3_domain::validation::is_email(&claims.email) {
            return Err(AuthError::BadClaims);
        }
        Ok(Staff {
            name: claims.sub,
            email: claims.email.to_ascii_lowercase(),
            role,
        })
    }
}

/// The id (`jti`) and email a token claims, read without checking it: only to look up whether
/// it was revoked, before (not instead of) the signature check. Any token with an `email`
/// claim: the local server's own, or an identity provider's (whose staff a disabled account of
/// the same email refuses too).
pub fn claimed_id_and_email(token: &str) -> Option<(Option<String>, String)> {
    #[derive(Deserialize)]
    struct IdAndEmail {
        jti: Option<String>,
        email: String,
    }
    let payload = token.split('.').nth(1)?;
    let claims: IdAndEmail = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
    Some((claims.jti, claims.email))
}

/// How the edge learns who is calling: the local HS256 key, or claims already verified by an
/// API gateway authorizer.
pub trait Authenticator: Send + Sync {
    /// Authenticates the request from its headers and extensions.
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        now: DateTime<Utc>,
    ) -> Result<Staff, AuthError>;
}

/// Reads the bearer token from the Authorization header.
pub fn bearer(parts: &http::request::Parts) -> Result<&str, AuthError> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token.trim())
}

impl Authenticator for TokenKey {
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        now: DateTime<Utc>,
    ) -> Result<Staff, AuthError> {
        let token = match bearer(parts) {
            Ok(t) => t.to_string(),
            Err(AuthError::Missing) => cookie(parts, "p3_staff").ok_or(AuthError::Missing)?,
            Err(e) => return Err(e),
        };
        self.verify(&token, now)
    }
}

/// A cookie's value from the request.
pub fn cookie(parts: &http::request::Parts, name: &str) -> Option<String> {
    cookie_from(&parts.headers, name)
}

/// A cookie's value from request headers.
pub fn cookie_from(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::new(vec![7; 32])
    }

    #[test]
    fn a_token_round_trips() {
        let now = Utc::now();
        let t = key().issue(
            "Ann",
            "Ann@P3.example",
            Role::Officer,
            now,
            chrono::Duration::hours(1),
        );
        let s = key().verify(&t, now).unwrap();
        assert_eq!(s.email, "ann@p3.example");
        assert_eq!(s.role, Role::Officer);
    }

    #[test]
    fn unsigned_wrongly_signed_expired_and_foreign_tokens_are_refused() {
        let now = Utc::now();
        let t = key().issue(
            "Ann",
            "ann@p3.example",
            Role::Officer,
            now,
            chrono::Duration::hours(1),
        );
        let (_, rest) = t.split_once('.').unwrap();
        let (payload, _) = rest.split_once('.').unwrap();
        let none = format!(
            "{}.{payload}.",
            B64.encode(br#"{"alg":"none","typ":"JWT"}"#)
        );
        assert_eq!(key().verify(&none, now), Err(AuthError::BadSignature));
        assert_eq!(
            TokenKey::new(vec![8; 32]).verify(&t, now),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            key().verify(&t, now + chrono::Duration::hours(2)),
            Err(AuthError::Expired)
        );
        let mut other = key();
        other.audience = "someone-else".into();
        let foreign = other.issue(
            "Ann",
            "ann@p3.example",
            Role::Officer,
            now,
            chrono::Duration::hours(1),
        );
        assert_eq!(key().verify(&foreign, now), Err(AuthError::WrongAudience));
        assert_eq!(key().verify("abc", now), Err(AuthError::Malformed));
    }

    #[test]
    fn roles_include_the_ones_before_them_but_auditors_change_nothing() {
        assert!(Role::SeniorManager.includes(Role::Officer));
        assert!(Role::InvestigatingManager.includes(Role::Officer));
        assert!(!Role::Officer.includes(Role::InvestigatingManager));
        assert!(!Role::Auditor.includes(Role::Officer));
        assert!(Role::Officer.includes(Role::Auditor));
    }
}
