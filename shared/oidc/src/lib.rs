//! Staff sign-in through an identity provider that speaks OpenID Connect (Amazon Cognito,
//! Microsoft Entra ID, Keycloak, ...), for any host of the staff pages: the `cases` Lambda
//! function (`p3-aws`) and the local server (`p3 serve`).
//!
//! - `/staff/sign-in` begins the authorization-code flow with PKCE: a fresh `state`, `nonce` and
//!   code verifier go into a short-lived attempt cookie, signed with a key of the host
//!   ([`OidcSettings::cookie_key`]), and the browser goes to the provider;
//! - `/staff/auth/callback` checks the attempt (signature, age, `state`), exchanges the code at
//!   the token endpoint with the verifier, and checks the ID token: RS256 against the
//!   provider's published keys (JWKS), issuer, audience (the client id), expiry and `nonce`,
//!   then the staff role from the configured claim ([`ClaimNames`]);
//! - the ID token becomes the session cookie, and every page request checks it again
//!   ([`ProviderAuthenticator`]) against the cached keys. Keys are fetched when a token names
//!   one not yet known (so a rotation is picked up), at most once a minute
//!   ([`OidcProvider::ensure_keys_for`], which the host calls before authenticating).
//!
//! No client secret is needed (PKCE, a public client: Cognito); one is sent if set (Entra ID's
//! web platform requires it).
//!
//! The crypto (and TLS to the provider) is `ring`, on both hosts: the Lambda functions' AWS SDK
//! client is built on ring too, so no package links a second crypto library.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ring as crypto;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use crypto::{digest, hmac, signature};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use p3_api::auth::{self, AuthError, Authenticator, Staff};
use p3_api::sign_in::{IdentityProvider, SignInDone, SignInError, SignInStart, SESSION_COOKIE};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use subtle::ConstantTimeEq;

mod claims;
mod fetch;
mod tokens;
pub use claims::{claim_text, role_from_claim, ClaimNames};
use fetch::{Failure, Fetch};
pub use tokens::{ProviderAuthenticator, TokenVerifier};

/// A setting of the identity provider that is missing or not usable; `name` is the setting
/// as the host's environment spells it (`OIDC_ISSUER`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A required setting is not set.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A setting's value cannot be used.
    #[error("{name} {reason}")]
    Invalid {
        /// The setting.
        name: &'static str,
        /// Why not (a phrase that follows the name).
        reason: String,
    },
}

/// How long a sign-in may take between leaving for the provider and coming back.
pub const ATTEMPT_SECONDS: i64 = 600;
/// Browsers drop cookies over 4096 bytes; a token longer than this cannot be the session.
const MAX_SESSION_TOKEN: usize = 3800;
/// How often the provider's keys may be fetched again when a token names an unknown one.
const KEYS_REFRESH_EVERY: Duration = Duration::from_secs(60);
/// Each call to the provider (discovery, keys, token) must answer within this.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);

/// The identity provider's settings (on AWS from the environment, see `infra/template.yaml`;
/// in `p3 serve` from the configuration's `[sign_in]`).
#[derive(Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// `OIDC_ISSUER`: the issuer, exactly as in its tokens (Cognito:
    /// `https://cognito-idp.<region>.amazonaws.com/<pool-id>`; Entra ID:
    /// `https://login.microsoftonline.com/<tenant-id>/v2.0`). Setting it turns sign-in on.
    pub issuer: String,
    /// `OIDC_CLIENT_ID`: the app client (Cognito) or application (Entra ID) id: the audience.
    pub client_id: String,
    /// `OIDC_CLIENT_SECRET` (optional): only for a confidential client (Entra ID's web
    /// platform). On AWS read from Secrets Manager at init (the secret named by
    /// `OIDC_CLIENT_SECRET_ID`, `p3_aws::secrets`), never an environment variable.
    pub client_secret: Option<String>,
    /// `OIDC_REDIRECT_URL` (default `BASE_URL` + `/staff/auth/callback`): registered with the
    /// provider as the callback.
    pub redirect_url: String,
    /// `OIDC_SCOPES` (default `openid email profile`).
    pub scopes: String,
    /// `OIDC_AUTHORIZE_URL`, `OIDC_TOKEN_URL`, `OIDC_JWKS_URL` (optional): the provider's
    /// endpoints; any not set come from the issuer's `/.well-known/openid-configuration`.
    pub authorize_url: Option<String>,
    /// See `authorize_url`.
    pub token_url: Option<String>,
    /// See `authorize_url`.
    pub jwks_url: Option<String>,
    /// `OIDC_LOGOUT_URL` (optional): the provider's sign-out (Cognito: `https://<domain>/logout`);
    /// else the discovery document's `end_session_endpoint` (Entra ID), else none.
    pub logout_url: Option<String>,
    /// `OIDC_COOKIE_KEY`: signs the attempt cookie, the same on every instance (on AWS
    /// generated by the template in Secrets Manager and read at init, by
    /// `OIDC_COOKIE_KEY_SECRET_ID`). At least 32 characters.
    pub cookie_key: String,
    /// `EMAIL_CLAIM`, `ROLE_CLAIM`, `NAME_CLAIM`: the claims the staff are read from.
    pub claims: ClaimNames,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("jwks_url", &self.jwks_url)
            .field("logout_url", &self.logout_url)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// True for an address the provider may be reached at: HTTPS, or plain HTTP on a loopback
/// address only (a provider on the same machine, in tests).
pub fn acceptable_url(url: &str) -> bool {
    if let Some(rest) = url.strip_prefix("https://") {
        return !rest.is_empty() && !rest.starts_with('/');
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|after| after.is_empty() || after.starts_with([':', '/']))
    })
}

impl OidcSettings {
    /// The settings through `get`, or `None` when `OIDC_ISSUER` is not set (no sign-in).
    pub fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
        base_url: &str,
    ) -> Result<Option<OidcSettings>, SettingsError> {
        let opt = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let url = |k: &'static str| -> Result<Option<String>, SettingsError> {
            match opt(k) {
                Some(u) if !acceptable_url(&u) => Err(SettingsError::Invalid {
                    name: k,
                    reason: "must be an https:// address".into(),
                }),
                other => Ok(other),
            }
        };
        let Some(issuer) = url("OIDC_ISSUER")? else {
            return Ok(None);
        };
        let client_id = opt("OIDC_CLIENT_ID").ok_or(SettingsError::Missing("OIDC_CLIENT_ID"))?;
        let cookie_key = opt("OIDC_COOKIE_KEY").ok_or(SettingsError::Missing("OIDC_COOKIE_KEY"))?;
        if cookie_key.len() < 32 {
            return Err(SettingsError::Invalid {
                name: "OIDC_COOKIE_KEY",
                reason: "must be at least 32 characters".into(),
            });
        }
        let redirect_url = match url("OIDC_REDIRECT_URL")? {
            Some(u) => u,
            None if acceptable_url(base_url) => {
                format!("{}/staff/auth/callback", base_url.trim_end_matches('/'))
            }
            None => return Err(SettingsError::Missing("OIDC_REDIRECT_URL")),
        };
        let scopes = opt("OIDC_SCOPES").unwrap_or_else(|| "openid email profile".into());
        if !scopes.split_whitespace().any(|s| s == "openid") {
            return Err(SettingsError::Invalid {
                name: "OIDC_SCOPES",
                reason: "must include openid".into(),
            });
        }
        Ok(Some(OidcSettings {
            issuer,
            client_id,
            client_secret: opt("OIDC_CLIENT_SECRET"),
            redirect_url,
            scopes,
            authorize_url: url("OIDC_AUTHORIZE_URL")?,
            token_url: url("OIDC_TOKEN_URL")?,
            jwks_url: url("OIDC_JWKS_URL")?,
            logout_url: url("OIDC_LOGOUT_URL")?,
            cookie_key,
            claims: ClaimNames::from_lookup(get),
        }))
    }

    /// The signed-out page, on the same site as the callback: where the provider's sign-out
    /// sends the browser back (registered with the provider as a sign-out URL).
    pub fn signed_out_url(&self) -> String {
        let origin_end = self
            .redirect_url
            .find("://")
            .map(|i| i + 3)
            .and_then(|start| {
                self.redirect_url[start..]
                    .find('/')
                    .map(|slash| start + slash)
            })
            .unwrap_or(self.redirect_url.len());
        format!(
            "{}/staff/sign-in?signed_out=1",
            &self.redirect_url[..origin_end]
        )
    }
}

/// The provider's endpoints, from the settings or its discovery document.
#[derive(Debug, Clone)]
struct Endpoints {
    authorize: String,
    token: String,
    jwks: String,
    logout: Option<String>,
}

/// What the attempt cookie holds, signed.
#[derive(Debug, Serialize, Deserialize)]
struct Attempt {
    /// `state`.
    s: String,
    /// `nonce`.
    n: String,
    /// The PKCE code verifier.
    v: String,
    /// The staff page to go to.
    next: String,
    /// When the attempt stops being accepted (seconds since the epoch).
    exp: i64,
}

fn random_b64(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("the operating system provides randomness");
    B64.encode(b)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// `url` with the query parameters `params` added.
fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", q.finish())
}

/// The identity provider of the staff pages, over OpenID Connect.
pub struct OidcProvider {
    settings: OidcSettings,
    fetch: Fetch,
    endpoints: tokio::sync::OnceCell<Endpoints>,
    verifier: Arc<TokenVerifier>,
    keys_fetched: Mutex<Option<Instant>>,
    attempt_key: hmac::Key,
}

impl OidcProvider {
    /// The provider for `settings`. Nothing is fetched yet: the discovery document at the first
    /// sign-in, the keys when a token names one not yet known.
    pub fn new(settings: OidcSettings) -> Result<OidcProvider, SettingsError> {
        let fetch = Fetch::new().map_err(|e| SettingsError::Invalid {
            name: "OIDC_ISSUER",
            reason: format!("no TLS configuration to reach it: {e}"),
        })?;
        Ok(OidcProvider {
            verifier: Arc::new(TokenVerifier::new(&settings.issuer, &settings.client_id)),
            attempt_key: hmac::Key::new(hmac::HMAC_SHA256, settings.cookie_key.as_bytes()),
            fetch,
            endpoints: tokio::sync::OnceCell::new(),
            keys_fetched: Mutex::new(None),
            settings,
        })
    }

    /// The settings it was made with.
    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// The authenticator of the host that serves the pages (see [`ProviderAuthenticator`]).
    pub fn authenticator(&self) -> ProviderAuthenticator {
        ProviderAuthenticator {
            claims: self.settings.claims.clone(),
            verifier: self.verifier.clone(),
        }
    }

    async fn endpoints(&self) -> Result<&Endpoints, SignInError> {
        self.endpoints
            .get_or_try_init(|| async {
                let s = &self.settings;
                if let (Some(authorize), Some(token), Some(jwks)) =
                    (&s.authorize_url, &s.token_url, &s.jwks_url)
                {
                    return Ok(Endpoints {
                        authorize: authorize.clone(),
                        token: token.clone(),
                        jwks: jwks.clone(),
                        logout: s.logout_url.clone(),
                    });
                }
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    s.issuer.trim_end_matches('/')
                );
                let doc = self.fetch.get(&url).await.map_err(|f| {
                    SignInError::Provider(format!("its discovery document: {}", f.what))
                })?;
                if doc.get("issuer").and_then(Value::as_str) != Some(s.issuer.as_str()) {
                    return Err(SignInError::Provider(
                        "its discovery document names another issuer".into(),
                    ));
                }
                let pick = |given: &Option<String>, field: &str| -> Result<String, SignInError> {
                    given
                        .clone()
                        .or_else(|| doc.get(field).and_then(Value::as_str).map(str::to_string))
                        .filter(|u| acceptable_url(u))
                        .ok_or_else(|| {
                            SignInError::Provider(format!("its discovery document has no {field}"))
                        })
                };
                Ok(Endpoints {
                    authorize: pick(&s.authorize_url, "authorization_endpoint")?,
                    token: pick(&s.token_url, "token_endpoint")?,
                    jwks: pick(&s.jwks_url, "jwks_uri")?,
                    logout: s.logout_url.clone().or_else(|| {
                        doc.get("end_session_endpoint")
                            .and_then(Value::as_str)
                            .filter(|u| acceptable_url(u))
                            .map(str::to_string)
                    }),
                })
            })
            .await
    }

    /// Fetches the provider's keys if `token` names one not yet known and they were not fetched
    /// in the last minute (so forged tokens naming made-up keys cannot make us fetch on every
    /// request). A failure is logged; the token is then refused as unverifiable.
    pub async fn ensure_keys_for(&self, token: &str) {
        if self.verifier.knows_key_of(token) {
            return;
        }
        {
            let mut fetched = self.keys_fetched.lock().unwrap_or_else(|e| e.into_inner());
            if fetched.is_some_and(|t| t.elapsed() < KEYS_REFRESH_EVERY) {
                return;
            }
            *fetched = Some(Instant::now());
        }
        let result = match self.endpoints().await {
            Ok(ep) => self
                .fetch
                .get(&ep.jwks)
                .await
                .map_err(|f| f.what)
                .map(|jwks| self.verifier.set_keys(&jwks)),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(count) => tracing::info!(keys = count, "fetched the identity provider's keys"),
            Err(error) => {
                tracing::warn!(%error, "could not fetch the identity provider's keys")
            }
        }
    }

    fn seal(&self, attempt: &Attempt) -> String {
        let payload = B64.encode(serde_json::to_vec(attempt).expect("an attempt serializes"));
        let tag = hmac::sign(&self.attempt_key, format!("attempt.{payload}").as_bytes());
        format!("{payload}.{}", B64.encode(tag.as_ref()))
    }

    fn open(&self, cookie: &str, now: DateTime<Utc>) -> Result<Attempt, SignInError> {
        let (payload, tag) = cookie.split_once('.').ok_or(SignInError::NotThisBrowser)?;
        let tag = B64.decode(tag).map_err(|_| SignInError::NotThisBrowser)?;
        hmac::verify(
            &self.attempt_key,
            format!("attempt.{payload}").as_bytes(),
            &tag,
        )
        .map_err(|_| SignInError::NotThisBrowser)?;
        let attempt: Attempt = B64
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(SignInError::NotThisBrowser)?;
        if attempt.exp <= now.timestamp() {
            return Err(SignInError::NotThisBrowser);
        }
        Ok(attempt)
    }

    async fn exchange(
        &self,
        ep: &Endpoints,
        code: &str,
        verifier: &str,
    ) -> Result<String, SignInError> {
        let s = &self.settings;
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &s.redirect_url)
            .append_pair("client_id", &s.client_id)
            .append_pair("code_verifier", verifier)
            .finish();
        let mut req = http::Request::post(&ep.token)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json");
        if let Some(secret) = &s.client_secret {
            // RFC 6749 2.3.1: both form-encoded, then Basic.
            let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            let basic = STANDARD.encode(format!("{}:{}", enc(&s.client_id), enc(secret)));
            req = req.header(http::header::AUTHORIZATION, format!("Basic {basic}"));
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| SignInError::Provider("its token endpoint is not valid".into()))?;
        let answer = self.fetch.json(req).await.map_err(Failure::into_sign_in)?;
        answer
            .get("id_token")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| SignInError::Provider("its token endpoint gave no ID token".into()))
    }
}

#[async_trait]
impl IdentityProvider for OidcProvider {
    async fn begin(&self, next: &str, now: DateTime<Utc>) -> Result<SignInStart, SignInError> {
        let ep = self.endpoints().await?;
        let attempt = Attempt {
            s: random_b64(16),
            n: random_b64(16),
            v: random_b64(32),
            next: next.to_string(),
            exp: now.timestamp() + ATTEMPT_SECONDS,
        };
        let challenge = B64.encode(digest::digest(&digest::SHA256, attempt.v.as_bytes()));
        let s = &self.settings;
        let authorize_url = with_query(
            &ep.authorize,
            &[
                ("response_type", "code"),
                ("client_id", &s.client_id),
                ("redirect_uri", &s.redirect_url),
                ("scope", &s.scopes),
                ("state", &attempt.s),
                ("nonce", &attempt.n),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        );
        Ok(SignInStart {
            authorize_url,
            attempt: self.seal(&attempt),
            max_age: ATTEMPT_SECONDS,
        })
    }

    async fn complete(
        &self,
        code: &str,
        state: &str,
        attempt: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<SignInDone, SignInError> {
        let attempt = self.open(attempt.ok_or(SignInError::NotThisBrowser)?, now)?;
        if !same(&attempt.s, state) {
            return Err(SignInError::NotThisBrowser);
        }
        let ep = self.endpoints().await?;
        let token = self.exchange(ep, code, &attempt.v).await?;
        self.ensure_keys_for(&token).await;
        let claims = self
            .verifier
            .verify(&token, now)
            .map_err(SignInError::Token)?;
        let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !same(nonce, &attempt.n) {
            return Err(SignInError::NotThisBrowser);
        }
        let staff = self
            .settings
            .claims
            .staff_from(|name| claims.get(name).and_then(claim_text))
            .map_err(|e| {
                SignInError::Token(match e {
                    AuthError::Missing => AuthError::BadClaims,
                    other => other,
                })
            })?;
        if token.len() > MAX_SESSION_TOKEN {
            return Err(SignInError::Provider(
                "its ID token is too large to keep in a cookie (leave out claims the service does not read)".into(),
            ));
        }
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        Ok(SignInDone {
            session: token,
            staff,
            next: attempt.next,
            max_age: (exp - now.timestamp()).max(1),
        })
    }

    async fn sign_out_url(&self) -> Option<String> {
        let logout = match &self.settings.logout_url {
            Some(u) => u.clone(),
            None => self.endpoints().await.ok()?.logout.clone()?,
        };
        let back = self.settings.signed_out_url();
        Some(with_query(
            &logout,
            &[
                ("client_id", &self.settings.client_id),
                // Cognito's name for it, then the OpenID Connect one (Entra ID).
                ("logout_uri", &back),
                ("post_logout_redirect_uri", &back),
            ],
        ))
    }
}
