//! Staff sign-in through an identity provider (`[sign_in]`) over real HTTP against a running
//! `p3 serve`: a stand-in OpenID Connect provider (discovery, authorize, token and JWKS
//! endpoints, RSA keys of its own, served in the test on a loopback port; the same as the AWS
//! pages' test in shared/aws/tests/sign_in.rs) and the real binary. The browser's part is
//! played by an HTTP client that keeps cookies and follows no redirect by itself, so each step
//! is seen. Password accounts and pasted tokens keep working beside it; `p3 check` reports a
//! bad `[sign_in]`.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};
use support::{bin, Server};

const CLIENT_ID: &str = "p3-staff-pages";

// ---------------------------------------------------------------- the stand-in provider

/// What the provider was asked to authorize, kept until its code is redeemed (once).
struct Grant {
    redirect_uri: String,
    nonce: String,
    challenge: String,
}

/// The stand-in identity provider: its keys, the codes it gave out, and what the next token it
/// issues says (the tests make it issue bad ones too).
struct Idp {
    issuer: String,
    key: RsaKeyPair,
    unpublished_key: RsaKeyPair,
    grants: Mutex<HashMap<String, Grant>>,
    next_token: Mutex<NextToken>,
}

/// How the provider's next token differs from a good one.
#[derive(Clone, Default)]
struct NextToken {
    /// Claims replacing the good token's (a null removes one).
    claims: Value,
    /// Signed with a key the provider does not publish.
    unpublished_key: bool,
}

/// `n` and `e` of a PKCS#1 `RSAPublicKey` (DER: a SEQUENCE of two INTEGERs).
fn rsa_components(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn item(der: &[u8], tag: u8) -> (&[u8], &[u8]) {
        assert_eq!(der[0], tag, "DER tag");
        let (len, start) = match der[1] {
            l if l < 0x80 => (l as usize, 2),
            l => {
                let n = (l & 0x7f) as usize;
                let len = der[2..2 + n]
                    .iter()
                    .fold(0usize, |a, b| a << 8 | *b as usize);
                (len, 2 + n)
            }
        };
        (&der[start..start + len], &der[start + len..])
    }
    let (seq, _) = item(der, 0x30);
    let (n, rest) = item(seq, 0x02);
    let (e, _) = item(rest, 0x02);
    let strip = |v: &[u8]| v.iter().skip_while(|b| **b == 0).copied().collect();
    (strip(n), strip(e))
}

impl Idp {
    fn jwks(&self) -> Value {
        let (n, e) = rsa_components(self.key.public_key().as_ref());
        json!({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": "stand-in-1",
            "n": B64.encode(n), "e": B64.encode(e),
        }]})
    }

    /// A good ID token for Ivan, an investigating manager, with `changes` applied, as RS256.
    fn token(&self, nonce: &str, changes: &NextToken) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": self.issuer, "aud": CLIENT_ID, "sub": "0f6c2b8e",
            "email": "ivan@p3.example", "name": "Ivan Manager",
            "roles": ["complaints", "Investigating-Manager"],
            "iat": now, "exp": now + 3600, "nonce": nonce,
        });
        if let Value::Object(changes) = &changes.claims {
            for (k, v) in changes {
                if v.is_null() {
                    claims.as_object_mut().unwrap().remove(k);
                } else {
                    claims[k] = v.clone();
                }
            }
        }
        let header =
            B64.encode(json!({"alg": "RS256", "typ": "JWT", "kid": "stand-in-1"}).to_string());
        let input = format!("{header}.{}", B64.encode(claims.to_string()));
        let key = if changes.unpublished_key {
            &self.unpublished_key
        } else {
            &self.key
        };
        let mut sig = vec![0; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .expect("signs");
        format!("{input}.{}", B64.encode(sig))
    }
}

async fn discovery(State(idp): State<Arc<Idp>>) -> Json<Value> {
    let base = &idp.issuer;
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "end_session_endpoint": format!("{base}/logout"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

/// Signs the user in at once and sends the browser back with a code, as a provider does when
/// its own session is open. Refuses requests a real provider would refuse.
async fn authorize(
    State(idp): State<Arc<Idp>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let p = |k: &str| q.get(k).cloned().unwrap_or_default();
    if p("response_type") != "code"
        || p("client_id") != CLIENT_ID
        || p("code_challenge_method") != "S256"
        || p("code_challenge").len() != 43
        || !p("scope").split(' ').any(|s| s == "openid")
        || p("state").is_empty()
        || p("nonce").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let code = format!("code-{}", idp.grants.lock().unwrap().len() + 1);
    let back = format!(
        "{}?code={code}&state={}",
        p("redirect_uri"),
        form_urlencoded::byte_serialize(p("state").as_bytes()).collect::<String>()
    );
    idp.grants.lock().unwrap().insert(
        code,
        Grant {
            redirect_uri: p("redirect_uri"),
            nonce: p("nonce"),
            challenge: p("code_challenge"),
        },
    );
    Redirect::to(&back).into_response()
}

/// Redeems a code once, for the client, redirect URI and PKCE verifier it was given for.
async fn token(State(idp): State<Arc<Idp>>, Form(f): Form<HashMap<String, String>>) -> Response {
    let p = |k: &str| f.get(k).cloned().unwrap_or_default();
    let grant = idp.grants.lock().unwrap().remove(&p("code"));
    let verifier_hash = B64.encode(ring::digest::digest(
        &ring::digest::SHA256,
        p("code_verifier").as_bytes(),
    ));
    match grant {
        Some(g)
            if p("grant_type") == "authorization_code"
                && p("client_id") == CLIENT_ID
                && p("redirect_uri") == g.redirect_uri
                && verifier_hash == g.challenge =>
        {
            let next = idp.next_token.lock().unwrap().clone();
            Json(json!({
                "id_token": idp.token(&g.nonce, &next),
                "access_token": "opaque-access-token",
                "token_type": "Bearer",
                "expires_in": 3600,
            }))
            .into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response(),
    }
}

async fn jwks(State(idp): State<Arc<Idp>>) -> Json<Value> {
    Json(idp.jwks())
}

/// The provider, served on a loopback port.
async fn provider() -> Arc<Idp> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("a loopback port");
    let key = |der: &[u8]| RsaKeyPair::from_der(der).expect("an RSA key");
    let idp = Arc::new(Idp {
        issuer: format!("http://{}", listener.local_addr().unwrap()),
        key: key(include_bytes!("oidc_keys/provider.der")),
        unpublished_key: key(include_bytes!("oidc_keys/unpublished.der")),
        grants: Mutex::new(HashMap::new()),
        next_token: Mutex::new(NextToken::default()),
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/jwks", get(jwks))
        .with_state(idp.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
    idp
}

/// `p3 serve` with `[sign_in]` for `idp` (and `extra` config lines).
fn server(dir: &Path, idp: &Idp, extra: &str) -> Server {
    let config = dir.join("p3.toml");
    std::fs::write(
        &config,
        format!(
            "{extra}\n[sign_in]\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nrole_claim = \"roles\"\n",
            idp.issuer
        ),
    )
    .unwrap();
    Server::start_with(&dir.join("data"), Some(&config))
}

// ---------------------------------------------------------------- the browser

/// What a request answered.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    location: String,
    set_cookies: Vec<String>,
    text: String,
}

impl Answer {
    /// The `Set-Cookie` header for `name`, if one was sent.
    fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .map(String::as_str)
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

/// The CSRF token of the session, from a page's forms.
fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf_token\" value=\"").expect("a form") + 25;
    page[at..].split('"').next().unwrap().to_string()
}

/// A browser: keeps the cookies it is given (by name; paths aside), follows nothing by itself.
struct Browser {
    client: reqwest::Client,
    cookies: Mutex<HashMap<String, String>>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            client: support::client(),
            cookies: Mutex::new(HashMap::new()),
        }
    }

    fn set(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.into(), value.into());
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let jar = self.cookies.lock().unwrap().clone();
        let header: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let req = if header.is_empty() {
            req
        } else {
            req.header("cookie", header.join("; "))
        };
        let res = req.send().await.expect("an answer");
        let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let set_cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        for c in &set_cookies {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if attrs.contains("Max-Age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.into(), v.into());
            }
        }
        let text = res.text().await.unwrap_or_default();
        Answer {
            status,
            location,
            set_cookies,
            text,
        }
    }

    async fn get(&self, url: &str) -> Answer {
        self.send(self.client.get(url)).await
    }

    async fn post(&self, url: &str, form: &[(&str, &str)]) -> Answer {
        self.send(self.client.post(url).form(form)).await
    }
}

/// Through the provider from `start` (a sign-in address): the callback's answer.
async fn through_the_provider(s: &Server, browser: &Browser, start: &str) -> Answer {
    let start = browser.get(&s.url(start)).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{start:?}");
    assert!(start.location.contains("/authorize?"), "{}", start.location);
    let back = browser.get(&start.location).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{back:?}");
    assert!(
        back.location
            .starts_with(&s.url("/staff/auth/callback?code=")),
        "{}",
        back.location
    );
    browser.get(&back.location).await
}

/// The staff member the page's header names, as "Name (role)".
fn header_user(page: &str) -> String {
    let at = page
        .find("class=\"header__user\">")
        .expect("a signed-in header")
        + 21;
    page[at..].split('<').next().unwrap().to_string()
}

// ---------------------------------------------------------------- the tests

#[tokio::test(flavor = "multi_thread")]
async fn staff_sign_in_through_the_provider_with_the_role_from_its_claims_and_sign_out_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let idp = provider().await;
    let s = server(dir.path(), &idp, "");
    let browser = Browser::new();

    // No password accounts yet: signing in goes straight to the provider, which sends her back
    // to the page she asked for.
    let page = browser.get(&s.url("/staff/cases")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/staff/sign-in?next=%2Fstaff%2Fcases");
    let signed_in = through_the_provider(&s, &browser, &page.location).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{signed_in:?}");
    assert_eq!(signed_in.location, "/staff/cases");
    let session = signed_in.cookie("p3_staff").expect("a session cookie");
    for attr in ["Path=/staff", "HttpOnly", "SameSite=Lax"] {
        assert!(session.contains(attr), "{attr}: {session}");
    }

    // The open complaints, as the investigating manager the provider's `roles` claim names.
    let cases = browser.get(&s.url("/staff/cases")).await;
    assert_eq!(cases.status, StatusCode::OK, "{}", cases.text);
    assert_eq!(
        header_user(&cases.text).to_lowercase(),
        "ivan manager (investigating manager)"
    );
    // The same session reaches the staff API.
    let api = browser.get(&s.url("/staff/complaints")).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);

    // Sign-out clears the session and ends the provider's session too, which comes back to
    // the signed-out page.
    let out = browser
        .post(
            &s.url("/staff/sign-out"),
            &[("csrf_token", &csrf_of(&cases.text))],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{out:?}");
    assert!(
        out.location.starts_with(&format!("{}/logout?", idp.issuer)),
        "{}",
        out.location
    );
    assert!(out.location.contains(&format!(
        "post_logout_redirect_uri={}",
        form_urlencoded::byte_serialize(s.url("/staff/sign-in?signed_out=1").as_bytes())
            .collect::<String>()
    )));
    assert!(out
        .cookie("p3_staff")
        .is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(browser.cookie("p3_staff"), None);
    let after = browser.get(&s.url("/staff/cases")).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location.starts_with("/staff/sign-in"));
    // Disabling a local account of the same email refuses the provider's session at once.
    let again = through_the_provider(&s, &browser, "/staff/sign-in").await;
    assert_eq!(again.location, "/staff/cases", "{again:?}");
    assert_eq!(
        browser.get(&s.url("/staff/cases")).await.status,
        StatusCode::OK
    );
    let data = dir.path().join("data");
    for args in [
        vec![
            "user",
            "add",
            "--email",
            "ivan@p3.example",
            "--name",
            "Ivan Manager",
            "--role",
            "investigating_manager",
            "--base-url",
            &s.base,
        ],
        vec!["user", "disable", "--email", "ivan@p3.example"],
    ] {
        let out = Command::new(bin())
            .args(&args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let refused = browser.get(&s.url("/staff/cases")).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(refused.location.starts_with("/staff/sign-in"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_a_bad_signature_the_wrong_audience_or_no_role_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let idp = provider().await;
    let s = server(dir.path(), &idp, "");
    let cases: [(&str, NextToken, StatusCode, &str); 4] = [
        (
            "signed with a key the provider does not publish",
            NextToken {
                unpublished_key: true,
                ..Default::default()
            },
            StatusCode::UNAUTHORIZED,
            "cannot be used",
        ),
        (
            "meant for another application",
            NextToken {
                claims: json!({"aud": "another-app"}),
                ..Default::default()
            },
            StatusCode::UNAUTHORIZED,
            "cannot be used",
        ),
        (
            "with no role",
            NextToken {
                claims: json!({"roles": null}),
                ..Default::default()
            },
            StatusCode::FORBIDDEN,
            "cannot be used",
        ),
        (
            "with no role the service knows",
            NextToken {
                claims: json!({"roles": ["complaints", "admin"]}),
                ..Default::default()
            },
            StatusCode::FORBIDDEN,
            "cannot be used",
        ),
    ];
    for (what, next, status, words) in cases {
        *idp.next_token.lock().unwrap() = next.clone();
        let browser = Browser::new();
        let answer = through_the_provider(&s, &browser, "/staff/sign-in").await;
        assert_eq!(answer.status, status, "{what}: {}", answer.text);
        assert!(answer.text.contains(words), "{what}: {}", answer.text);
        assert_eq!(browser.cookie("p3_staff"), None, "{what}: no session");
        // Nor is such a token taken as the session cookie or a bearer token.
        let token = idp.token("n", &next);
        let pasted = Browser::new();
        pasted.set("p3_staff", &token);
        let page = pasted.get(&s.url("/staff/cases")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{what}");
        let (code, _) = support::get_json(
            &support::client(),
            &s.url("/staff/complaints"),
            Some(&token),
        )
        .await;
        assert_eq!(code, 401, "{what}");
    }
    // A good token of the provider works as a bearer token too.
    let good = idp.token("n", &NextToken::default());
    let (code, _) =
        support::get_json(&support::client(), &s.url("/staff/complaints"), Some(&good)).await;
    assert_eq!(code, 200);
    assert!(
        !s.logs().contains("ivan@p3.example"),
        "no email in the logs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn password_accounts_and_pasted_tokens_keep_working_beside_the_provider() {
    let dir = tempfile::tempdir().unwrap();
    let idp = provider().await;
    let s = server(dir.path(), &idp, "");
    let data = dir.path().join("data");
    let out = Command::new(bin())
        .args([
            "user",
            "add",
            "--email",
            "olive@p3.example",
            "--name",
            "Olive Officer",
            "--role",
            "officer",
            "--base-url",
            &s.base,
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // With an account, the sign-in page asks for a password and offers the provider.
    let browser = Browser::new();
    let page = browser.get(&s.url("/staff/sign-in")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("name=\"password\""));
    assert!(page
        .text
        .contains("href=\"/staff/sign-in?with=provider&amp;next=%2Fstaff%2Fcases\""));
    let signed_in = through_the_provider(&s, &browser, "/staff/sign-in?with=provider").await;
    assert_eq!(signed_in.location, "/staff/cases", "{signed_in:?}");
    let cases = browser.get(&s.url("/staff/cases")).await;
    assert_eq!(cases.status, StatusCode::OK);

    // A token from `p3 token`, pasted or as a bearer, still signs staff in.
    let token = s.token("Olive Officer", "olive@p3.example", "officer");
    let pasted = Browser::new();
    pasted.set("p3_staff", &token);
    let page = pasted.get(&s.url("/staff/cases")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        header_user(&page.text).to_lowercase(),
        "olive officer (officer)"
    );
}

#[test]
fn p3_check_reports_a_bad_sign_in_section() {
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = Command::new(bin())
            .arg("check")
            .arg("--config")
            .arg(&path)
            .env_remove("P3_OIDC_CLIENT_SECRET")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, said) = check(
        "http.toml",
        "[sign_in]\nissuer = \"http://id.p3.example\"\nclient_id = \"p3\"\n",
    );
    assert!(!ok && said.contains("sign_in.issuer"), "{said}");
    let (ok, said) = check(
        "secret.toml",
        "[sign_in]\nissuer = \"https://id.p3.example\"\nclient_id = \"p3\"\nclient_secret = \"hunter2\"\n",
    );
    assert!(!ok && said.contains("sign_in.client_secret"), "{said}");
    assert!(
        !said.contains("hunter2"),
        "the secret is not repeated: {said}"
    );
    let (ok, said) = check(
        "nofile.toml",
        "[sign_in]\nissuer = \"https://id.p3.example\"\nclient_id = \"p3\"\nclient_secret_file = \"missing-secret\"\n",
    );
    assert!(!ok && said.contains("sign_in.client_secret_file"), "{said}");
    let (ok, said) = check(
        "typo.toml",
        "[sign_in]\nissuer = \"https://id.p3.example\"\nclient_id = \"p3\"\nrole_clam = \"roles\"\n",
    );
    assert!(!ok && said.contains("sign_in"), "{said}");
    std::fs::write(dir.path().join("secret"), "s3cret\n").unwrap();
    let (ok, said) = check(
        "good.toml",
        "base_url = \"https://complaints.p3.example\"\n[sign_in]\nissuer = \"https://id.p3.example\"\nclient_id = \"p3\"\nclient_secret_file = \"secret\"\nrole_claim = \"roles\"\n",
    );
    assert!(ok, "{said}");
}
