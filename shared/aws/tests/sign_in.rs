//! Staff sign-in to the pages on AWS, through an identity provider, over real HTTP: a stand-in
//! OpenID Connect provider (discovery, authorize, token and JWKS endpoints, RSA keys of its
//! own) and the `pages` function's app as the function builds it (`pages::pages_app`, over a
//! SQLite store instead of DynamoDB), each served on a loopback port. Nothing of ours is
//! replaced: the browser's part is played by an HTTP client that keeps cookies and follows no
//! redirect by itself, so each step is seen. The sample events of the page routes are then
//! served by the same app as Lambda receives them. Needs nothing external.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD as B64_STANDARD, URL_SAFE_NO_PAD as B64};
use base64::Engine;
use chrono::Utc;
use http::StatusCode;
use p3_aws::pages::pages_app;
use p3_aws::wiring::{self, AwsSettings, WiringError};
use p3_domain::alert::{AlertAddresses, AlertEmail};
use p3_domain::attachment::NoAttachments;
use p3_domain::calendar::Calendar;
use p3_domain::case::Rules;
use p3_domain::policy::Procedures;
use p3_domain::ports::{CaseStore, Notifier, NotifyError, SystemClock};
use p3_domain::service::{Service, Settings};
use p3_sqlite::SqliteStore;
use serde_json::{json, Value};

const CLIENT_ID: &str = "p3-staff-pages";
const REFERENCE: &str = "CMP-2026-00042";

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
    kid: String,
    key: RsaKeyPair,
    other_key: RsaKeyPair,
    grants: Mutex<HashMap<String, Grant>>,
    next_token: Mutex<NextToken>,
    jwks_served: AtomicUsize,
}

/// How the provider's next token differs from a good one.
#[derive(Clone, Default)]
struct NextToken {
    /// Claims replacing the good token's (a null removes one).
    claims: Value,
    /// Signed with a key the provider does not publish.
    other_key: bool,
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
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": B64.encode(n), "e": B64.encode(e),
        }]})
    }

    /// A good ID token for Olive Officer, with `changes` applied, signed as RS256.
    fn token(&self, nonce: &str, changes: &NextToken) -> String {
        let now = Utc::now().timestamp();
        let mut claims = json!({
            "iss": self.issuer, "aud": CLIENT_ID, "sub": "0f6c2b8e",
            "email": "olive@p3.example", "name": "Olive Officer",
            "cognito:groups": ["complaints", "Officer"],
            "iat": now, "exp": now + 3600, "token_use": "id", "nonce": nonce,
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
        let header = B64.encode(json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}).to_string());
        let input = format!("{header}.{}", B64.encode(claims.to_string()));
        let key = if changes.other_key {
            &self.other_key
        } else {
            &self.key
        };
        let mut sig = vec![0; key.public_modulus_len()];
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
    let verifier_hash = B64.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
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
    idp.jwks_served.fetch_add(1, Ordering::Relaxed);
    Json(idp.jwks())
}

async fn serve(listener: tokio::net::TcpListener, app: Router) {
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
}

async fn loopback() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

// ---------------------------------------------------------------- the pages function

struct NoMail;

#[async_trait]
impl Notifier for NoMail {
    async fn send(&self, _email: &AlertEmail) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// The function's environment as the template sets it, with the provider's issuer.
fn environment(issuer: &str, base_url: &str) -> HashMap<&'static str, String> {
    HashMap::from([
        ("TABLE_NAME", "p3-complaints-test".to_string()),
        ("QUEUE_URL", "http://127.0.0.1:1/queue".into()),
        ("QUEUE_ARN", "arn:aws:sqs:eu-west-2:123456789012:q".into()),
        ("DLQ_ARN", "arn:aws:sqs:eu-west-2:123456789012:dlq".into()),
        ("SCHEDULE_GROUP", "p3-test".into()),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/s".into(),
        ),
        ("MAIL_FROM", "complaints-service@p3.example".into()),
        ("EXPORT_BUCKET", "p3-exports".into()),
        ("BASE_URL", base_url.into()),
        ("LANDLORD", "P3 Housing".into()),
        ("ROLE_CLAIM", "cognito:groups".into()),
        ("OIDC_ISSUER", issuer.into()),
        ("OIDC_CLIENT_ID", CLIENT_ID.into()),
        ("OIDC_COOKIE_KEY", "k".repeat(40)),
    ])
}

fn settings_from(vars: &HashMap<&'static str, String>) -> Result<AwsSettings, WiringError> {
    AwsSettings::from_lookup(|k| vars.get(k).cloned())
}

/// The service the function builds, over a SQLite store instead of DynamoDB.
fn service_on(store: Arc<SqliteStore>, settings: &AwsSettings) -> Service {
    Service {
        store: store.clone(),
        scheduler: store,
        notifier: Arc::new(NoMail),
        clock: Arc::new(SystemClock),
        random: Arc::new(wiring::OsRandom),
        rules: Arc::new(Rules {
            procedures: Procedures::default(),
            calendar: Calendar::default(),
            letters: Default::default(),
            backdate: Default::default(),
            updates: Default::default(),
        }),
        settings: Arc::new(Settings {
            landlord: settings.config.landlord.clone(),
            categories: vec!["repairs".into()],
            addresses: AlertAddresses::default(),
            base_url: settings.base_url.clone(),
        }),
    }
}

/// The provider and the function, served; one complaint in the store.
struct Site {
    base: String,
    idp: Arc<Idp>,
    app: Router,
    /// The `documents` function over the same store, as it starts (its own settings).
    documents: Router,
    /// The `report-pages` function over the same store, as it starts (its own settings).
    report_pages: Router,
    /// The `case-files` function over the same store, as it starts (its own settings).
    case_files: Router,
    _dir: tempfile::TempDir,
}

async fn site() -> Site {
    let (idp_listener, issuer) = loopback().await;
    let idp = Arc::new(Idp {
        issuer: issuer.clone(),
        kid: "stand-in-1".into(),
        key: RsaKeyPair::generate(KeySize::Rsa2048).expect("an RSA key"),
        other_key: RsaKeyPair::generate(KeySize::Rsa2048).expect("an RSA key"),
        grants: Mutex::new(HashMap::new()),
        next_token: Mutex::new(NextToken::default()),
        jwks_served: AtomicUsize::new(0),
    });
    let idp_app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/jwks", get(jwks))
        .with_state(idp.clone());
    serve(idp_listener, idp_app).await;

    let (listener, base) = loopback().await;
    let settings = settings_from(&environment(&issuer, &base)).expect("good settings");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(SqliteStore::open(&dir.path().join("p3.db")).expect("a new store"));
    let case = p3_store_contract::new_case(REFERENCE);
    store
        .save(p3_store_contract::create(&case))
        .await
        .expect("a complaint");
    let reporting = p3_api::reports::Reporting {
        source: store.clone(),
        homes: Default::default(),
        lessons_learned_file: None,
        records: Some(store.clone()),
    };
    let service = service_on(store, &settings);
    let mut vars = environment(&issuer, &base);
    vars.remove("OIDC_COOKIE_KEY");
    let documents_settings = p3_aws::documents::documents_settings(|k| vars.get(k).cloned())
        .expect("the documents function needs no cookie key");
    let documents = p3_aws::documents::documents_app(
        service.clone(),
        &documents_settings,
        Arc::new(NoAttachments),
    )
    .expect("the documents app");
    let report_settings = p3_aws::report_pages::report_pages_settings(|k| vars.get(k).cloned())
        .expect("the report-pages function needs no cookie key");
    let report_pages = p3_aws::report_pages::report_pages_app(
        service.clone(),
        &report_settings,
        reporting.clone(),
    )
    .expect("the report-pages app");
    let case_files_settings = p3_aws::case_files::case_files_settings(|k| vars.get(k).cloned())
        .expect("the case-files function needs no cookie key");
    let case_files = p3_aws::case_files::case_files_app(
        service.clone(),
        &case_files_settings,
        Arc::new(NoAttachments),
        Arc::new(p3_domain::inbox::NoInbox),
    )
    .expect("the case-files app");
    // As `pages::pages` does on AWS: the annual cycle's forms read and write the store.
    let app = pages_app(service, &settings, Arc::new(NoAttachments))
        .expect("the pages app")
        .layer(axum::Extension(reporting));
    serve(listener, app.clone()).await;
    Site {
        base,
        idp,
        app,
        documents,
        report_pages,
        case_files,
        _dir: dir,
    }
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

    /// A query parameter of the redirect's address.
    fn location_param(&self, name: &str) -> Option<String> {
        let query = self.location.split_once('?')?.1;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
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
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
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
        let status = res.status();
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

/// From the sign-in page to the provider and back: the provider's answer to the authorize
/// request, which sends the browser to the callback.
async fn to_the_provider(site: &Site, browser: &Browser, next: &str) -> Answer {
    let start = browser
        .get(&format!("{}/staff/sign-in?next={next}", site.base))
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{start:?}");
    browser.get(&start.location).await
}

async fn sign_in(site: &Site, browser: &Browser) -> Answer {
    let back = to_the_provider(site, browser, "%2Fstaff%2Fcases").await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{back:?}");
    browser.get(&back.location).await
}

/// The open complaints page asked for with `token` as the session cookie.
async fn cases_page_with(site: &Site, token: &str) -> Answer {
    let browser = Browser::new();
    browser.set("p3_staff", token);
    browser.get(&format!("{}/staff/cases", site.base)).await
}

/// The acknowledgement form of the case page, filled in and sent.
async fn acknowledge(site: &Site, browser: &Browser, case_page: &Answer) -> Answer {
    browser
        .post(
            &format!("{}/staff/cases/{REFERENCE}/acknowledge", site.base),
            &[
                ("csrf_token", &csrf_of(&case_page.text)),
                ("version", "1"),
                ("investigating_manager", "ivan@p3.example"),
                ("complaint_points", "The boiler has failed."),
            ],
        )
        .await
}

// ---------------------------------------------------------------- the tests

#[tokio::test]
async fn staff_sign_in_through_the_identity_provider_see_the_cases_and_sign_out() {
    let site = site().await;
    let browser = Browser::new();

    // Not signed in: a staff page sends the browser to sign in, and sign-in to the provider.
    let page = browser.get(&format!("{}/staff/cases", site.base)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/staff/sign-in?next=%2Fstaff%2Fcases");
    let start = browser
        .get(&format!("{}{}", site.base, page.location))
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{start:?}");
    assert!(
        start
            .location
            .starts_with(&format!("{}/authorize?", site.idp.issuer)),
        "{}",
        start.location
    );
    let param = |k: &str| start.location_param(k).unwrap_or_default();
    assert_eq!(param("response_type"), "code");
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(
        param("redirect_uri"),
        format!("{}/staff/auth/callback", site.base)
    );
    assert_eq!(param("scope"), "openid email profile");
    assert_eq!(param("code_challenge_method"), "S256");
    assert_eq!(param("code_challenge").len(), 43, "a SHA-256, base64url");
    assert!(param("state").len() >= 22 && param("nonce").len() >= 22);
    // The attempt is remembered in a short-lived, HttpOnly, Secure, Lax cookie for the callback
    // only.
    let attempt = start.cookie("p3_sign_in").expect("an attempt cookie");
    for attr in [
        "Path=/staff/auth",
        "Max-Age=600",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
    ] {
        assert!(attempt.contains(attr), "{attr}: {attempt}");
    }

    // The provider signs her in and sends her back; the callback keeps the token as the session.
    let back = browser.get(&start.location).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{back:?}");
    assert!(back
        .location
        .starts_with(&format!("{}/staff/auth/callback?code=", site.base)));
    let signed_in = browser.get(&back.location).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{signed_in:?}");
    assert_eq!(signed_in.location, "/staff/cases");
    let session = signed_in.cookie("p3_staff").expect("a session cookie");
    for attr in ["Path=/staff", "HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(session.contains(attr), "{attr}: {session}");
    }
    assert!(
        signed_in
            .cookie("p3_sign_in")
            .is_some_and(|c| c.contains("Max-Age=0")),
        "the attempt is over"
    );
    assert_eq!(site.idp.jwks_served.load(Ordering::Relaxed), 1);

    // The open complaints, and a case, with her name; the keys were fetched once.
    let list = browser.get(&format!("{}/staff/cases", site.base)).await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    assert!(list.text.contains("Olive Officer"), "{}", list.text);
    assert!(list.text.contains(REFERENCE), "{}", list.text);
    let case = browser
        .get(&format!("{}/staff/cases/{REFERENCE}", site.base))
        .await;
    assert_eq!(case.status, StatusCode::OK, "{case:?}");
    assert_eq!(site.idp.jwks_served.load(Ordering::Relaxed), 1);

    // A page action goes through the API's handler with her identity: she acknowledges it.
    let done = acknowledge(&site, &browser, &case).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    assert!(done
        .location
        .starts_with(&format!("/staff/cases/{REFERENCE}")));

    // Signing out clears the session and goes through the provider's sign-out, which comes
    // back to the signed-out page; that page does not sign in again by itself.
    let out = browser
        .post(
            &format!("{}/staff/sign-out", site.base),
            &[("csrf_token", &csrf_of(&list.text))],
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{out:?}");
    assert!(out
        .cookie("p3_staff")
        .is_some_and(|c| c.contains("Max-Age=0")));
    assert!(out
        .location
        .starts_with(&format!("{}/logout?", site.idp.issuer)));
    let back_to = format!("{}/staff/sign-in?signed_out=1", site.base);
    assert_eq!(
        out.location_param("post_logout_redirect_uri"),
        Some(back_to.clone())
    );
    assert_eq!(out.location_param("logout_uri"), Some(back_to.clone()));
    assert!(browser.cookie("p3_staff").is_none());
    let signed_out = browser.get(&back_to).await;
    assert_eq!(signed_out.status, StatusCode::OK);
    assert!(signed_out.text.contains("Signed out"));
    assert!(signed_out.cookie("p3_sign_in").is_none());
    let page = browser.get(&format!("{}/staff/cases", site.base)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_callback_this_browser_did_not_start_is_refused() {
    let site = site().await;
    let refused = |a: &Answer| {
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{a:?}");
        assert!(a.cookie("p3_staff").is_none(), "{a:?}");
        assert!(a.text.contains("Sign-in did not work"), "{}", a.text);
    };

    // A wrong state.
    let browser = Browser::new();
    let back = to_the_provider(&site, &browser, "%2Fstaff%2Fcases").await;
    let code = back.location_param("code").unwrap();
    let wrong = format!(
        "{}/staff/auth/callback?code={code}&state=not-the-state",
        site.base
    );
    refused(&browser.get(&wrong).await);

    // The right state, without the attempt cookie (another browser).
    let browser = Browser::new();
    let back = to_the_provider(&site, &browser, "%2Fstaff%2Fcases").await;
    let stranger = Browser::new();
    refused(&stranger.get(&back.location).await);

    // The right state with an attempt cookie altered (its PKCE verifier or page swapped).
    let attempt = browser.cookie("p3_sign_in").unwrap();
    let (payload, tag) = attempt.split_once('.').unwrap();
    let mut fields: Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
    fields["next"] = json!("/staff/cases/CMP-2026-99999");
    let forged = format!("{}.{tag}", B64.encode(fields.to_string()));
    browser.set("p3_sign_in", &forged);
    refused(&browser.get(&back.location).await);

    // No code or state at all.
    refused(
        &Browser::new()
            .get(&format!("{}/staff/auth/callback", site.base))
            .await,
    );

    // The provider said no: told, not signed in.
    let denied = Browser::new()
        .get(&format!(
            "{}/staff/auth/callback?error=access_denied&state=x",
            site.base
        ))
        .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    assert!(denied.text.contains("access_denied"));
    assert!(denied.cookie("p3_staff").is_none());

    // A code used twice: the provider refuses it the second time.
    let browser = Browser::new();
    let back = to_the_provider(&site, &browser, "%2Fstaff%2Fcases").await;
    let attempt = browser.cookie("p3_sign_in").unwrap();
    let first = browser.get(&back.location).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{first:?}");
    let replay = Browser::new();
    replay.set("p3_sign_in", &attempt);
    let again = replay.get(&back.location).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{again:?}");
    assert!(again.cookie("p3_staff").is_none());
}

#[tokio::test]
async fn tokens_of_another_key_issuer_or_audience_expired_or_without_a_role_are_refused() {
    let site = site().await;
    let now = Utc::now().timestamp();
    let cases = [
        ("another key", json!({}), true, StatusCode::UNAUTHORIZED),
        (
            "expired",
            json!({"exp": now - 5, "iat": now - 3605}),
            false,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "another audience",
            json!({"aud": "someone-else"}),
            false,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "another issuer",
            json!({"iss": "https://idp.invalid"}),
            false,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an access token",
            json!({"token_use": "access"}),
            false,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "no known role",
            json!({"cognito:groups": ["tenant"]}),
            false,
            StatusCode::FORBIDDEN,
        ),
        (
            "no role",
            json!({"cognito:groups": null}),
            false,
            StatusCode::FORBIDDEN,
        ),
        (
            "another nonce",
            json!({"nonce": "replayed"}),
            false,
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (what, claims, other_key, status) in cases {
        let next = NextToken { claims, other_key };
        // Through the callback: the provider issues it, the callback refuses it.
        *site.idp.next_token.lock().unwrap() = next.clone();
        let browser = Browser::new();
        let answer = sign_in(&site, &browser).await;
        assert_eq!(answer.status, status, "{what}: {answer:?}");
        assert!(answer.cookie("p3_staff").is_none(), "{what}");
        assert!(answer.text.contains("Sign-in did not work"), "{what}");
        // As a session cookie (minted straight away): the pages refuse it. (A nonce binds a
        // token to its sign-in only: such a token is otherwise good.)
        if what == "another nonce" {
            continue;
        }
        let page = cases_page_with(&site, &site.idp.token("n", &next)).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{what}: {page:?}");
        assert!(page.location.starts_with("/staff/sign-in"), "{what}");
    }
    // Unsigned, or HS256 with the published key: refused.
    let good = site.idp.token("n", &NextToken::default());
    let payload = good.split('.').nth(1).unwrap();
    for alg in ["none", "HS256"] {
        let header = B64.encode(json!({"alg": alg, "kid": "stand-in-1"}).to_string());
        let page = cases_page_with(&site, &format!("{header}.{payload}.c2ln")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{alg}");
    }
    // Tokens naming unknown keys make the function fetch the keys at most once a minute.
    let served = site.idp.jwks_served.load(Ordering::Relaxed);
    for kid in ["made-up-1", "made-up-2", "made-up-3"] {
        let header = B64.encode(json!({"alg": "RS256", "kid": kid}).to_string());
        cases_page_with(&site, &format!("{header}.{payload}.c2ln")).await;
    }
    assert!(site.idp.jwks_served.load(Ordering::Relaxed) <= served + 1);
    // And the good token is still taken.
    *site.idp.next_token.lock().unwrap() = NextToken::default();
    let browser = Browser::new();
    assert_eq!(sign_in(&site, &browser).await.status, StatusCode::SEE_OTHER);
    let page = browser.get(&format!("{}/staff/cases", site.base)).await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn an_auditor_signed_in_reads_the_cases_and_cannot_act_on_them() {
    let site = site().await;
    *site.idp.next_token.lock().unwrap() = NextToken {
        claims: json!({"cognito:groups": ["auditor"], "name": "Audrey Auditor", "email": "audrey@p3.example"}),
        other_key: false,
    };
    let browser = Browser::new();
    assert_eq!(sign_in(&site, &browser).await.status, StatusCode::SEE_OTHER);
    let case = browser
        .get(&format!("{}/staff/cases/{REFERENCE}", site.base))
        .await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(case.text.contains("Audrey Auditor"));
    let act = acknowledge(&site, &browser, &case).await;
    assert_eq!(act.status, StatusCode::FORBIDDEN, "{act:?}");
}

// ---------------------------------------------------------------- as Lambda receives them

fn sample(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events/pages")
        .join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A sample event with its placeholders replaced, answered by the app in the HTTP API's format.
async fn lambda(app: &Router, file: &str, subs: &[(&str, &str)]) -> Value {
    let mut text = sample(file).to_string();
    for (from, to) in subs {
        text = text.replace(from, to);
    }
    let request = serde_json::from_str(&text).expect("an HTTP API event");
    wiring::answer_http(app.clone(), request)
        .await
        .expect("answered")
}

#[tokio::test]
async fn the_sample_events_of_the_staff_pages_are_served_by_the_pages_function() {
    let site = site().await;
    let app = &site.app;
    let token = site.idp.token("n", &NextToken::default());
    let session = [("SAMPLE-ID-TOKEN", token.as_str())];

    let home = lambda(app, "get-staff-home.json", &session).await;
    assert_eq!(home["statusCode"], 303, "{home}");
    assert_eq!(home["headers"]["location"], "/staff/cases");

    let start = lambda(app, "get-sign-in.json", &[]).await;
    assert_eq!(start["statusCode"], 303, "{start}");
    let to = start["headers"]["location"].as_str().unwrap();
    assert!(
        to.starts_with(&format!("{}/authorize?", site.idp.issuer)),
        "{to}"
    );
    let cookies = start["cookies"]
        .as_array()
        .expect("cookies in the v2 answer");
    assert!(cookies
        .iter()
        .any(|c| c.as_str().unwrap().starts_with("p3_sign_in=")));

    let callback = lambda(app, "get-auth-callback.json", &[]).await;
    assert_eq!(
        callback["statusCode"], 400,
        "the sample's state is not this browser's"
    );

    let list = lambda(app, "get-cases-page.json", &session).await;
    assert_eq!(list["statusCode"], 200, "{list}");
    assert!(list["body"].as_str().unwrap().contains(REFERENCE));
    let page = lambda(app, "get-case-page.json", &session).await;
    assert_eq!(page["statusCode"], 200, "{page}");
    let csrf = csrf_of(page["body"].as_str().unwrap());

    // The monthly report the pages link to is the report-pages function's (below).
    let report = lambda(
        app,
        "../report-pages/get-monthly-report-page.json",
        &session,
    )
    .await;
    assert_eq!(report["statusCode"], 404, "{report}");

    let subs = [
        ("SAMPLE-ID-TOKEN", token.as_str()),
        ("SAMPLE-CSRF", csrf.as_str()),
    ];
    let done = lambda(app, "post-case-action.json", &subs).await;
    assert_eq!(done["statusCode"], 303, "{done}");
    let out = lambda(app, "post-sign-out.json", &subs).await;
    assert_eq!(out["statusCode"], 303, "{out}");
    assert!(out["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c.as_str().unwrap().starts_with("p3_staff=;")));
}

/// The annual cycle's pages (issue 16 items 7, 8) are the pages function's, through the
/// session cookie: the self-assessment's commentary and the governing body's response written
/// from their forms by a senior manager, read back; the printable reports (the monthly report,
/// the quarterly summary, the annual report, the self-assessment with its evidence) are the
/// report-pages function's, through the same session.
#[tokio::test]
async fn the_annual_cycle_pages_are_written_through_the_pages_and_printed_by_report_pages() {
    let site = site().await;
    let app = &site.app;
    let as_role = |role: &str| {
        site.idp.token(
            "n",
            &NextToken {
                claims: json!({"cognito:groups": [role]}),
                ..NextToken::default()
            },
        )
    };
    let manager = as_role("senior_manager");
    let session = [("SAMPLE-ID-TOKEN", manager.as_str())];
    let page = lambda(app, "get-self-assessment-page.json", &session).await;
    assert_eq!(page["statusCode"], 200, "{page}");
    let body = page["body"].as_str().unwrap();
    assert!(body.contains("Requirement 5.6"), "{body}");
    let csrf = csrf_of(body);
    let subs = [
        ("SAMPLE-ID-TOKEN", manager.as_str()),
        ("SAMPLE-CSRF", csrf.as_str()),
    ];
    let saved = lambda(app, "post-self-assessment-page.json", &subs).await;
    assert_eq!(saved["statusCode"], 303, "{saved}");
    let again = lambda(app, "get-self-assessment-page.json", &session).await;
    assert!(again["body"]
        .as_str()
        .unwrap()
        .contains("Every acknowledgement sets out the points."));

    let recorded = lambda(app, "post-governing-body-response-page.json", &subs).await;
    assert_eq!(recorded["statusCode"], 303, "{recorded}");
    let gb = lambda(app, "get-governing-body-response-page.json", &session).await;
    assert_eq!(gb["statusCode"], 200, "{gb}");
    assert!(gb["body"]
        .as_str()
        .unwrap()
        .contains("The board accepted the report."));

    // An auditor reads them but writes nothing.
    let auditor = as_role("auditor");
    let seen = lambda(
        app,
        "get-self-assessment-page.json",
        &[("SAMPLE-ID-TOKEN", auditor.as_str())],
    )
    .await;
    assert_eq!(seen["statusCode"], 200, "{seen}");
    let auditor_csrf = csrf_of(seen["body"].as_str().unwrap());
    let subs = [
        ("SAMPLE-ID-TOKEN", auditor.as_str()),
        ("SAMPLE-CSRF", auditor_csrf.as_str()),
    ];
    let refused = lambda(app, "post-self-assessment-page.json", &subs).await;
    assert_eq!(refused["statusCode"], 403, "{refused}");

    // The printable reports are the report-pages function's, through the same session cookie
    // (no Authorization header, which the API's JWT authorizer on /staff/reports/* would need).
    let reports = &site.report_pages;
    for (file, expected) in [
        ("get-monthly-report-page.json", "May 2026"),
        ("get-quarterly-report-page.json", "Complaints"),
        (
            "get-annual-report-page.json",
            "The board accepted the report.",
        ),
        // The self-assessment with the evidence the table holds and what was written.
        (
            "get-self-assessment-evidence.json",
            "Every acknowledgement sets out the points.",
        ),
    ] {
        let file = format!("../report-pages/{file}");
        let printed = lambda(reports, &file, &session).await;
        assert_eq!(printed["statusCode"], 200, "{file}: {printed}");
        assert!(
            printed["headers"]["content-type"]
                .as_str()
                .unwrap()
                .starts_with("text/html"),
            "{file}"
        );
        assert!(
            printed["body"].as_str().unwrap().contains(expected),
            "{file}: no {expected:?}"
        );
        // No session, or a token of another key: to the sign-in page, not the report.
        let anonymous = lambda(reports, &file, &[]).await;
        assert_eq!(anonymous["statusCode"], 303, "{file}: {anonymous}");
        let forged = site.idp.token(
            "n",
            &NextToken {
                other_key: true,
                ..NextToken::default()
            },
        );
        let refused = lambda(reports, &file, &[("SAMPLE-ID-TOKEN", forged.as_str())]).await;
        assert_eq!(refused["statusCode"], 303, "{file}: {refused}");
        // The pages function no longer serves them.
        let pages = lambda(app, &file, &session).await;
        assert_eq!(pages["statusCode"], 404, "{file}: {pages}");
    }
    // Nor does the report-pages function serve the forms.
    let form = lambda(reports, "get-self-assessment-page.json", &session).await;
    assert_eq!(form["statusCode"], 404, "{form}");
    let anonymous = lambda(app, "get-self-assessment-page.json", &[]).await;
    assert_eq!(anonymous["statusCode"], 303, "{anonymous}");
}

/// The documents the pages open, served by the `documents` function: the same session as the
/// pages, the same roles; as HTML and as PDF.
#[tokio::test]
async fn the_documents_function_checks_the_pages_session() {
    let site = site().await;
    let app = &site.documents;
    let as_role = |role: &str| {
        site.idp.token(
            "n",
            &NextToken {
                claims: json!({"cognito:groups": [role]}),
                ..NextToken::default()
            },
        )
    };
    let auditor = as_role("auditor");
    let pdf = [
        ("SAMPLE-ID-TOKEN", auditor.as_str()),
        (
            "\"rawQueryString\":\"\"",
            "\"rawQueryString\":\"format=pdf\"",
        ),
    ];
    let pack = lambda(app, "../documents/get-evidence.json", &pdf).await;
    assert_eq!(pack["statusCode"], 200, "{pack}");
    assert_eq!(pack["headers"]["content-type"], "application/pdf");
    let bytes = B64_STANDARD
        .decode(pack["body"].as_str().unwrap())
        .expect("a binary body, base64");
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let html = lambda(
        app,
        "../documents/get-evidence.json",
        &[("SAMPLE-ID-TOKEN", auditor.as_str())],
    )
    .await;
    assert_eq!(html["statusCode"], 200, "{html}");
    assert!(html["body"].as_str().unwrap().contains(REFERENCE));

    // An officer may not have the pack; a token of another key or none is no session.
    let officer = as_role("officer");
    let refused = lambda(
        app,
        "../documents/get-evidence.json",
        &[("SAMPLE-ID-TOKEN", officer.as_str())],
    )
    .await;
    assert_eq!(refused["statusCode"], 403, "{refused}");
    let forged = site.idp.token(
        "n",
        &NextToken {
            other_key: true,
            ..NextToken::default()
        },
    );
    let refused = lambda(
        app,
        "../documents/get-letter.json",
        &[("SAMPLE-ID-TOKEN", forged.as_str())],
    )
    .await;
    assert_eq!(refused["statusCode"], 401, "{refused}");
    let refused = lambda(app, "../documents/get-letter.json", &[]).await;
    assert_eq!(refused["statusCode"], 401, "{refused}");
    // The pages are not the documents function's, nor the documents the pages'.
    let page = lambda(
        app,
        "get-cases-page.json",
        &[("SAMPLE-ID-TOKEN", auditor.as_str())],
    )
    .await;
    assert_eq!(page["statusCode"], 404, "{page}");
    let pages = &site.app;
    let pack = lambda(
        pages,
        "../documents/get-evidence.json",
        &[("SAMPLE-ID-TOKEN", auditor.as_str())],
    )
    .await;
    assert_eq!(pack["statusCode"], 404, "{pack}");
}

/// The case page's files, served by the `case-files` function: the same session as the pages
/// (a token of the provider in the session cookie), the officer role to add a file; no session
/// or a forged one is sent to sign in, and the pages do not serve these routes.
#[tokio::test]
async fn the_case_files_function_checks_the_pages_session() {
    let site = site().await;
    let app = &site.case_files;
    let as_role = |role: &str| {
        site.idp.token(
            "n",
            &NextToken {
                claims: json!({"cognito:groups": [role]}),
                ..NextToken::default()
            },
        )
    };
    let confirm = "../case-files/get-attachment-confirm.json";
    // Signed in as an officer: the confirm page itself (here no file has arrived in the slot).
    let officer = as_role("officer");
    let page = lambda(app, confirm, &[("SAMPLE-ID-TOKEN", officer.as_str())]).await;
    assert_eq!(page["statusCode"], 422, "{page}");
    let body = page["body"].as_str().unwrap();
    assert!(body.contains("has not arrived"), "{body}");
    assert!(body.contains("Add a file to complaint"), "{body}");
    // An auditor may not add files.
    let auditor = as_role("auditor");
    let refused = lambda(app, confirm, &[("SAMPLE-ID-TOKEN", auditor.as_str())]).await;
    assert_eq!(refused["statusCode"], 403, "{refused}");
    // No session, or a token of another key: sent to sign in (the pages' sign-in).
    let forged = site.idp.token(
        "n",
        &NextToken {
            other_key: true,
            ..NextToken::default()
        },
    );
    for subs in [vec![], vec![("SAMPLE-ID-TOKEN", forged.as_str())]] {
        let out = lambda(app, confirm, &subs).await;
        assert_eq!(out["statusCode"], 303, "{out}");
        let to = out["headers"]["location"].as_str().unwrap();
        assert!(to.starts_with("/staff/sign-in"), "{to}");
        let post = lambda(app, "../case-files/post-attachment-confirm.json", &subs).await;
        assert_eq!(post["statusCode"], 303, "{post}");
        assert_eq!(post["headers"]["location"], "/staff/sign-in");
    }
    // The pages are not this function's, nor these routes the pages'.
    let page = lambda(
        app,
        "get-cases-page.json",
        &[("SAMPLE-ID-TOKEN", officer.as_str())],
    )
    .await;
    assert_eq!(page["statusCode"], 404, "{page}");
    let here = lambda(&site.app, confirm, &[("SAMPLE-ID-TOKEN", officer.as_str())]).await;
    assert_eq!(here["statusCode"], 404, "{here}");
}

#[test]
fn the_pages_function_does_not_start_without_an_identity_provider() {
    // No one could sign in to its pages: it stops at start and says which setting is missing.
    let mut vars = environment("https://idp.example", "https://complaints.example");
    vars.remove("OIDC_ISSUER");
    let settings = settings_from(&vars).expect("settings without sign-in");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(SqliteStore::open(&dir.path().join("p3.db")).expect("a new store"));
    let refused = pages_app(
        service_on(store, &settings),
        &settings,
        Arc::new(NoAttachments),
    )
    .err();
    assert_eq!(refused, Some(WiringError::Missing("OIDC_ISSUER")));
}

#[test]
fn the_provider_settings_are_checked_at_start_up() {
    let vars = environment(
        "https://login.microsoftonline.com/t/v2.0",
        "https://complaints.example",
    );
    let s = settings_from(&vars)
        .unwrap()
        .staff_sign_in
        .expect("sign-in on");
    assert_eq!(
        s.redirect_url,
        "https://complaints.example/staff/auth/callback"
    );
    assert_eq!(
        s.signed_out_url(),
        "https://complaints.example/staff/sign-in?signed_out=1"
    );
    assert_eq!(s.claims.role_claim, "cognito:groups");
    assert!(!format!("{s:?}").contains("kkkk"), "the key is not in logs");

    let without = |k: &str| {
        let mut v = vars.clone();
        v.remove(k);
        settings_from(&v)
    };
    assert!(without("OIDC_ISSUER").unwrap().staff_sign_in.is_none());
    assert_eq!(
        without("OIDC_CLIENT_ID").unwrap_err(),
        WiringError::Missing("OIDC_CLIENT_ID")
    );
    assert_eq!(
        without("OIDC_COOKIE_KEY").unwrap_err(),
        WiringError::Missing("OIDC_COOKIE_KEY")
    );
    let with = |k: &'static str, value: &str| {
        let mut v = vars.clone();
        v.insert(k, value.into());
        settings_from(&v)
    };
    for (k, value) in [
        ("OIDC_ISSUER", "http://idp.example"),
        ("OIDC_TOKEN_URL", "http://127.0.0.1.evil.example/token"),
        ("OIDC_COOKIE_KEY", "short"),
        ("OIDC_SCOPES", "email profile"),
    ] {
        assert!(
            matches!(with(k, value), Err(WiringError::Invalid { name, .. }) if name == k),
            "{k}={value}"
        );
    }
    assert!(with("OIDC_TOKEN_URL", "http://127.0.0.1:9000/token").is_ok());
}
