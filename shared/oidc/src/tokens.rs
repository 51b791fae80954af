//! Tokens and keys: the provider's ID tokens checked (RS256 over its published keys, issuer,
//! audience, expiry), and the staff identity they carry on each request.

use super::*;

/// An RSA key of the provider's JWKS, as big-endian bytes without leading zeros.
#[derive(Debug, Clone)]
pub(crate) struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

pub(crate) fn unsigned(bytes: Vec<u8>) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

/// Checks the provider's ID tokens: RS256 over the cached JWKS, issuer, audience, expiry.
#[derive(Debug)]
pub struct TokenVerifier {
    issuer: String,
    client_id: String,
    keys: RwLock<HashMap<String, RsaKey>>,
}

/// The JOSE header's `kid`, if the token has a readable header.
pub(crate) fn kid_of(token: &str) -> Option<Option<String>> {
    let header = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
    Some(
        header
            .get("kid")
            .and_then(Value::as_str)
            .map(str::to_string),
    )
}

impl TokenVerifier {
    /// A verifier for tokens of `issuer` meant for `client_id`, with no keys yet.
    pub fn new(issuer: &str, client_id: &str) -> TokenVerifier {
        TokenVerifier {
            issuer: issuer.to_string(),
            client_id: client_id.to_string(),
            keys: RwLock::new(HashMap::new()),
        }
    }

    /// Replaces the keys with the RSA signing keys of a JWKS document; answers how many.
    pub fn set_keys(&self, jwks: &Value) -> usize {
        let mut keys = HashMap::new();
        for k in jwks["keys"].as_array().into_iter().flatten() {
            let text = |name: &str| k.get(name).and_then(Value::as_str);
            if text("kty") != Some("RSA")
                || text("use").is_some_and(|u| u != "sig")
                || text("alg").is_some_and(|a| a != "RS256")
            {
                continue;
            }
            let decoded = |name: &str| text(name).and_then(|v| B64.decode(v).ok()).map(unsigned);
            if let (Some(n), Some(e)) = (decoded("n"), decoded("e")) {
                if !n.is_empty() && !e.is_empty() {
                    keys.insert(text("kid").unwrap_or("").to_string(), RsaKey { n, e });
                }
            }
        }
        let count = keys.len();
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        count
    }

    /// True when the token's key is known (or the token is unreadable: fetching keys again
    /// would not help it).
    pub fn knows_key_of(&self, token: &str) -> bool {
        match kid_of(token) {
            None => true,
            Some(kid) => {
                let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
                match kid {
                    Some(kid) => keys.contains_key(&kid),
                    None => keys.len() == 1,
                }
            }
        }
    }

    /// Checks a token and answers its claims: the header must say RS256 (never `none` or
    /// HS256 with the public key as secret), the signature must verify with the provider's key
    /// it names, the issuer and audience must be the configured ones, it must not have expired
    /// (nor be issued in the future), and a Cognito `token_use` must be `id`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Map<String, Value>, AuthError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let header: Value = B64
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(AuthError::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(AuthError::BadSignature);
        }
        let sig = B64.decode(s).map_err(|_| AuthError::BadSignature)?;
        let key = {
            let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
            match header.get("kid").and_then(Value::as_str) {
                Some(kid) => keys.get(kid).cloned(),
                None if keys.len() == 1 => keys.values().next().cloned(),
                None => None,
            }
        }
        .ok_or(AuthError::BadSignature)?;
        signature::RsaPublicKeyComponents {
            n: key.n.as_slice(),
            e: key.e.as_slice(),
        }
        .verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{h}.{p}").as_bytes(),
            &sig,
        )
        .map_err(|_| AuthError::BadSignature)?;
        let claims: Map<String, Value> = B64
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(AuthError::Malformed)?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(AuthError::WrongAudience);
        }
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !audiences.contains(&self.client_id.as_str()) {
            return Err(AuthError::WrongAudience);
        }
        if audiences.len() > 1
            && claims
                .get("azp")
                .and_then(Value::as_str)
                .is_some_and(|azp| azp != self.client_id)
        {
            return Err(AuthError::WrongAudience);
        }
        if claims
            .get("token_use")
            .and_then(Value::as_str)
            .is_some_and(|u| u != "id")
        {
            return Err(AuthError::WrongAudience);
        }
        let time = |name: &str| claims.get(name).and_then(Value::as_i64);
        let now = now.timestamp();
        match time("exp") {
            Some(exp) if exp > now => {}
            _ => return Err(AuthError::Expired),
        }
        if time("nbf").is_some_and(|nbf| nbf > now + 60)
            || time("iat").is_some_and(|iat| iat > now + 300)
        {
            return Err(AuthError::Expired);
        }
        Ok(claims)
    }
}

/// Staff identity from the provider's ID token, in a bearer header or the session cookie,
/// checked against the cached keys (the host fetches missing ones first with
/// [`OidcProvider::ensure_keys_for`]).
#[derive(Debug, Clone)]
pub struct ProviderAuthenticator {
    pub(crate) claims: ClaimNames,
    pub(crate) verifier: Arc<TokenVerifier>,
}

impl ProviderAuthenticator {
    /// The provider's token of the request: a bearer header, else the session cookie.
    pub fn token_of(parts: &http::request::Parts) -> Result<String, AuthError> {
        match auth::bearer(parts) {
            Ok(t) => Ok(t.to_string()),
            Err(AuthError::Missing) => {
                auth::cookie(parts, SESSION_COOKIE).ok_or(AuthError::Missing)
            }
            Err(e) => Err(e),
        }
    }

    /// True when `token` claims to be this provider's (its issuer), whatever else it holds: a
    /// host that also signs tokens of its own tells them apart by this.
    pub fn claims_to_be_ours(&self, token: &str) -> bool {
        let issuer = token
            .split('.')
            .nth(1)
            .and_then(|p| B64.decode(p).ok())
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_string));
        issuer.as_deref() == Some(self.verifier.issuer.as_str())
    }

    /// Checks `token` and reads the staff member from its claims.
    pub fn staff_of(&self, token: &str, now: DateTime<Utc>) -> Result<Staff, AuthError> {
        let claims = self.verifier.verify(token, now)?;
        self.claims
            .staff_from(|name| claims.get(name).and_then(claim_text))
    }
}

impl Authenticator for ProviderAuthenticator {
    fn authenticate(
        &self,
        parts: &http::request::Parts,
        now: DateTime<Utc>,
    ) -> Result<Staff, AuthError> {
        self.staff_of(&Self::token_of(parts)?, now)
    }
}
