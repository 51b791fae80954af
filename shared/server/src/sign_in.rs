//! `[sign_in]`: staff sign in through the organisation's identity provider (OpenID Connect),
//! with the same flow and the same claims as the staff pages on AWS (`p3-oidc`). Password
//! accounts and pasted tokens keep working beside it.
//!
//! After the provider's sign-in the session is its ID token in the staff cookie, checked on
//! every request (signature against the provider's keys, issuer, audience, expiry, role
//! claim), as on AWS: the provider stays the one place such staff are managed. Sign-out clears
//! the cookie and ends the provider's own session; the token ends at its expiry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use p3_api::auth::{AuthError, Authenticator, Staff};
use p3_oidc::{acceptable_url, ClaimNames, OidcProvider, OidcSettings, ProviderAuthenticator};
use serde::Deserialize;

/// The environment variable the client secret may come from instead of `client_secret_file`.
pub const SECRET_VAR: &str = "P3_OIDC_CLIENT_SECRET";

/// `[sign_in]`: the identity provider. The client secret is never in this file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInConfig {
    /// The issuer, exactly as in its tokens; its `/.well-known/openid-configuration` gives the
    /// endpoints.
    pub issuer: String,
    /// The client (application) id registered with the provider: the tokens' audience.
    pub client_id: String,
    /// A file holding the client secret (its first line), relative to the config file, for a
    /// confidential client; or `P3_OIDC_CLIENT_SECRET`; neither for a public client (PKCE).
    pub client_secret_file: Option<PathBuf>,
    /// The scopes asked for (default `openid email profile`).
    pub scopes: Option<String>,
    /// The claim holding the email (default `email`).
    pub email_claim: Option<String>,
    /// The claim holding the role (default `cognito:groups`; `roles` on Microsoft Entra ID).
    pub role_claim: Option<String>,
    /// The claim holding the display name (default `name`).
    pub name_claim: Option<String>,
    /// The provider's sign-out address, if its discovery document has none.
    pub logout_url: Option<String>,
    /// Refused: a secret written in the config itself.
    #[serde(default, rename = "client_secret")]
    pub secret_in_config: Option<toml::Value>,
    /// The secret as read from `client_secret_file` or the environment (not a setting).
    #[serde(skip)]
    pub client_secret: Option<String>,
}

/// Checks `[sign_in]` as written; `base_url` is where the provider sends browsers back.
pub fn check(c: &SignInConfig, base_url: Option<&str>) -> Result<(), String> {
    if c.secret_in_config.is_some() {
        return Err(format!(
            "sign_in.client_secret: the secret is not kept in the config; put it in a file named by client_secret_file, or in {SECRET_VAR}"
        ));
    }
    if !acceptable_url(c.issuer.trim()) {
        return Err(format!(
            "sign_in.issuer: `{}` must be an https:// address",
            c.issuer
        ));
    }
    if c.client_id.trim().is_empty() {
        return Err("sign_in.client_id: must not be empty".into());
    }
    if let Some(u) = &c.logout_url {
        if !acceptable_url(u.trim()) {
            return Err(format!(
                "sign_in.logout_url: `{u}` must be an https:// address"
            ));
        }
    }
    if let Some(s) = &c.scopes {
        if !s.split_whitespace().any(|s| s == "openid") {
            return Err("sign_in.scopes: must include openid".into());
        }
    }
    if let Some(b) = base_url {
        if !acceptable_url(b) {
            return Err(format!(
                "base_url: `{b}` must be an https:// address for [sign_in] (the provider sends browsers back to it)"
            ));
        }
    }
    Ok(())
}

/// Reads the client secret: `client_secret_file` (relative to `base`), else `env_secret`.
pub fn resolve(
    c: &mut SignInConfig,
    base: &Path,
    env_secret: Option<String>,
) -> Result<(), String> {
    c.client_secret = match &c.client_secret_file {
        Some(file) => {
            let full = base.join(file);
            let text = std::fs::read_to_string(&full).map_err(|e| {
                format!(
                    "sign_in.client_secret_file: cannot read {}: {e}",
                    full.display()
                )
            })?;
            let first = text.lines().next().unwrap_or("").trim().to_string();
            if first.is_empty() {
                return Err(format!(
                    "sign_in.client_secret_file: {} is empty",
                    full.display()
                ));
            }
            Some(first)
        }
        None => env_secret
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    };
    Ok(())
}

/// The provider's settings for a server whose pages are at `base_url`. The attempt cookie's
/// key is made afresh at each start (a sign-in under way across a restart starts again).
pub fn settings_of(c: &SignInConfig, base_url: &str) -> anyhow::Result<OidcSettings> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let d = ClaimNames::default();
    let claim = |v: &Option<String>, default: String| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map_or(default, str::to_string)
    };
    Ok(OidcSettings {
        issuer: c.issuer.trim().to_string(),
        client_id: c.client_id.trim().to_string(),
        client_secret: c.client_secret.clone(),
        redirect_url: format!("{}/staff/auth/callback", base_url.trim_end_matches('/')),
        scopes: c
            .scopes
            .clone()
            .unwrap_or_else(|| "openid email profile".into()),
        authorize_url: None,
        token_url: None,
        jwks_url: None,
        logout_url: c.logout_url.as_ref().map(|u| u.trim().to_string()),
        cookie_key: key.iter().map(|b| format!("{b:02x}")).collect(),
        claims: ClaimNames {
            email_claim: claim(&c.email_claim, d.email_claim),
            role_claim: claim(&c.role_claim, d.role_claim),
            name_claim: claim(&c.name_claim, d.name_claim),
        },
    })
}

/// The provider's tokens (by their issuer) checked against its keys, any other token by the
/// local key (`p3 token`).
pub struct LocalOrProvider<A> {
    /// The local server's own tokens.
    pub local: A,
    /// The provider's.
    pub provider: ProviderAuthenticator,
}

impl<A: Authenticator> Authenticator for LocalOrProvider<A> {
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        now: DateTime<Utc>,
    ) -> Result<Staff, AuthError> {
        match ProviderAuthenticator::token_of(parts) {
            Ok(token) if self.provider.claims_to_be_ours(&token) => {
                self.provider.staff_of(&token, now)
            }
            _ => self.local.authenticate(parts, now),
        }
    }
}

/// Middleware: fetches the provider's keys first when a request's token is the provider's and
/// names a key not yet known (the authenticator cannot wait for the network).
pub async fn keys_for_session(
    State(provider): State<Arc<OidcProvider>>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    if let Ok(token) = ProviderAuthenticator::token_of(&parts) {
        if provider.authenticator().claims_to_be_ours(&token) {
            provider.ensure_keys_for(&token).await;
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> SignInConfig {
        toml::from_str(text).expect("a [sign_in] table")
    }

    #[test]
    fn a_secret_in_the_config_or_a_plain_http_issuer_is_refused() {
        let c =
            config("issuer = \"https://id.example\"\nclient_id = \"p3\"\nclient_secret = \"s\"");
        assert!(check(&c, None)
            .unwrap_err()
            .starts_with("sign_in.client_secret:"));
        let c = config("issuer = \"http://id.example\"\nclient_id = \"p3\"");
        assert!(check(&c, None).unwrap_err().starts_with("sign_in.issuer:"));
        let c = config("issuer = \"https://id.example\"\nclient_id = \"p3\"");
        assert_eq!(check(&c, Some("https://complaints.p3.example")), Ok(()));
        assert!(check(&c, Some("http://complaints.p3.example"))
            .unwrap_err()
            .starts_with("base_url:"));
    }
}
