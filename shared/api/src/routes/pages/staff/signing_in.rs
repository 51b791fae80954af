//! Signing in and out of the staff pages: pasting a token, or through an identity provider.

use super::*;
use crate::routes::pages::layout::{respond, Chrome};
use crate::routes::pages::staff::accounts;
use crate::staff_session::{is_session_id, store_unavailable, StaffAccounts};

#[derive(Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
    /// `token`: the token form, where the host keeps staff accounts.
    with: Option<String>,
    /// Set after a password was set through its link.
    password_set: Option<String>,
}

/// The sign-in page (`templates/staff/sign_in.html`).
#[derive(askama::Template)]
#[template(path = "staff/sign_in.html")]
struct SignInPage<'a> {
    chrome: Chrome<'a>,
    /// (element id, message) for the error summary.
    errors: Vec<(String, String)>,
    signed_out: bool,
    csrf: &'a str,
    next: &'a str,
    token_field: Field<'a>,
}

pub(super) fn sign_in_response(
    st: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    error: Option<&str>,
    signed_out: bool,
) -> Response {
    let csrf = csrf_of(headers);
    let title = if error.is_some() {
        "Error: Sign in"
    } else {
        "Sign in"
    };
    let page = SignInPage {
        chrome: Chrome::new(title, &st.service.settings.landlord, &Header::Staff(None)),
        errors: error
            .map(|e| vec![("#token".to_string(), e.to_string())])
            .unwrap_or_default(),
        signed_out,
        csrf: &csrf,
        next,
        token_field: Field {
            hint: "Paste the token you were given. On this server, an administrator makes one with: p3 token --user NAME --email EMAIL --role ROLE",
            error,
            control: Control::Input("password"),
            autocomplete: "off",
            attrs: "spellcheck=\"false\" autocapitalize=\"none\"",
            ..Field::new("token", "token", "Staff token")
        },
    };
    let mut res = respond(status, &page);
    set_csrf_cookie(st, headers, &mut res, &csrf);
    res
}

pub(super) fn authenticate_token(st: &AppState, token: &str) -> Result<Staff, auth::AuthError> {
    let req = http::Request::builder()
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .map_err(|_| auth::AuthError::Malformed)?;
    let (parts, ()) = req.into_parts();
    st.auth.authenticate(&parts, st.service.clock.now())
}

/// `GET /staff`: the open complaints when signed in, else the sign-in page.
pub(crate) async fn staff_home(
    State(st): State<AppState>,
    provider: Option<Extension<StaffSignIn>>,
    staff_accounts: Option<Extension<StaffAccounts>>,
    parts: http::request::Parts,
) -> Response {
    if st.auth.authenticate(&parts, st.service.clock.now()).is_ok() {
        return Redirect::to("/staff/cases").into_response();
    }
    if provider.is_some() || staff_accounts.is_some() {
        return Redirect::to("/staff/sign-in").into_response();
    }
    sign_in_response(
        &st,
        &parts.headers,
        StatusCode::OK,
        "/staff/cases",
        None,
        false,
    )
}

/// `GET /staff/sign-in`.
pub(crate) async fn sign_in_page(
    State(st): State<AppState>,
    provider: Option<Extension<StaffSignIn>>,
    staff_accounts: Option<Extension<StaffAccounts>>,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if let Some(Extension(StaffAccounts(a))) = &staff_accounts {
        let any = a.store.accounts().await.map(|v| !v.is_empty());
        // `with=provider`: the identity provider's sign-in, when the host has one too.
        let with_provider = provider.is_some() && q.with.as_deref() == Some("provider");
        if q.with.as_deref() != Some("token") && !with_provider && any.unwrap_or(true) {
            let notice = if q.password_set.is_some() {
                Some("Your password is set: sign in with it")
            } else {
                q.signed_out.as_ref().map(|_| "Signed out")
            };
            return accounts::password_page(
                &st,
                &headers,
                StatusCode::OK,
                &accounts::PasswordForm {
                    next: &next,
                    email: "",
                    error: None,
                    notice,
                    provider: provider.is_some(),
                },
            );
        }
    }
    if let Some(Extension(StaffSignIn(provider))) = provider {
        if q.signed_out.is_some() {
            return provider_page(&st, StatusCode::OK, None);
        }
        return match provider.begin(&next, st.service.clock.now()).await {
            Ok(start) => {
                let mut res = private_page(Redirect::to(&start.authorize_url).into_response());
                if let Some(v) = lax_cookie(
                    ATTEMPT_COOKIE,
                    &start.attempt,
                    CALLBACK_PREFIX,
                    start.max_age,
                ) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
                res
            }
            Err(e) => sign_in_failed(&st, &e),
        };
    }
    sign_in_response(
        &st,
        &headers,
        StatusCode::OK,
        &next,
        None,
        q.signed_out.is_some(),
    )
}

/// `POST /staff/sign-in`: checks the token as the API would, then keeps it in an HttpOnly,
/// SameSite=Strict cookie (Secure over HTTPS) for the staff area.
pub(crate) async fn sign_in(
    State(st): State<AppState>,
    staff_accounts: Option<Extension<StaffAccounts>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    let next = safe_next(get(&fields, "next"));
    if let (Some(Extension(a)), Some(_)) = (&staff_accounts, get(&fields, "email")) {
        return Ok(accounts::password_sign_in(&st, a, &headers, &fields, &next).await);
    }
    let token_field = get(&fields, "csrf_token").unwrap_or("");
    if !form_matches_cookie(&headers, token_field) {
        return Ok(sign_in_response(
            &st,
            &headers,
            StatusCode::FORBIDDEN,
            &next,
            Some("Your sign-in form had expired. Paste your token again and sign in."),
            false,
        ));
    }
    let token = get(&fields, "token").unwrap_or("").trim();
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token)
        .trim();
    if token.is_empty() {
        return Ok(sign_in_response(
            &st,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &next,
            Some("Enter your staff token"),
            false,
        ));
    }
    let valid_chars = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let mut staff = if valid_chars {
        authenticate_token(&st, token)
    } else {
        Err(auth::AuthError::Malformed)
    };
    if let (Ok(s), Some(Extension(StaffAccounts(a)))) = (&staff, &staff_accounts) {
        let id = auth::claimed_id_and_email(token).and_then(|(id, _)| id);
        match a.token_refused(id.as_deref(), &s.email).await {
            Ok(false) => {}
            Ok(true) => staff = Err(auth::AuthError::Revoked),
            Err(e) => return Err(store_unavailable(&e)),
        }
    }
    match staff {
        Ok(staff) => {
            tracing::info!(role = staff.role.as_str(), "staff signed in to the pages");
            let mut res = Redirect::to(&next).into_response();
            if let Some(v) = cookie_header(&st, &headers, SESSION_COOKIE, token, "/staff", None) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(e) => Ok(sign_in_response(
            &st,
            &headers,
            StatusCode::UNAUTHORIZED,
            &next,
            Some(&format!(
                "That token cannot be used: {e}. Check you copied all of it, or ask for a new one."
            )),
            false,
        )),
    }
}

/// `POST /staff/sign-out`: forgets the session cookie.
pub(crate) async fn sign_out(
    State(st): State<AppState>,
    provider: Option<Extension<StaffSignIn>>,
    staff_accounts: Option<Extension<StaffAccounts>>,
    who: SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    if !same(get(&fields, "csrf_token").unwrap_or(""), &who.csrf) {
        return Err(Problem::forbidden(
            "The form has expired; reload the page and try again",
        ));
    }
    if let Some(Extension(StaffAccounts(a))) = &staff_accounts {
        match auth::cookie_from(&headers, SESSION_COOKIE) {
            Some(id) if is_session_id(&id) => {
                a.sign_out(&id).await.map_err(|e| store_unavailable(&e))?
            }
            _ => {}
        }
    }
    let provider_sign_out = match provider {
        Some(Extension(StaffSignIn(p))) => p.sign_out_url().await,
        None => None,
    };
    let target = provider_sign_out.unwrap_or_else(|| "/staff/sign-in?signed_out=1".into());
    let mut res = Redirect::to(&target).into_response();
    if let Some(v) = cookie_header(&st, &headers, SESSION_COOKIE, "", "/staff", Some(0)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

// ---------------------------------------------------------------- through an identity provider

/// A cookie of the identity provider's sign-in. Always `Secure`: the provider sends browsers
/// back over HTTPS (browsers keep Secure cookies on loopback addresses too, for testing).
/// `SameSite=Lax`, not Strict like the token sign-in's: the browser arrives at the callback
/// from the provider's site, and a Strict cookie would be neither sent there nor on the
/// redirect that follows it. Every form still carries a CSRF token, and Lax cookies are not
/// sent with another site's POST.
pub(super) fn lax_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
) -> Option<header::HeaderValue> {
    header::HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax"
    ))
    .ok()
}

/// The page of the provider's sign-in: after signing out, or when signing in did not work
/// (`problem`), with a way to sign in again. It never starts a sign-in by itself, so signing
/// out is not undone by the provider's still-open session.
pub(super) fn provider_page(st: &AppState, status: StatusCode, problem: Option<&str>) -> Response {
    let title = if problem.is_some() {
        "Sign-in did not work"
    } else {
        "Signed out"
    };
    let page = ProviderPage {
        chrome: Chrome::new(title, &st.service.settings.landlord, &Header::Staff(None)),
        problem: problem.map(capitalised),
    };
    respond(status, &page)
}

/// The identity provider's sign-in page (`templates/staff/provider.html`).
#[derive(askama::Template)]
#[template(path = "staff/provider.html")]
struct ProviderPage<'a> {
    chrome: Chrome<'a>,
    /// What went wrong, as a sentence without its full stop; none after signing out.
    problem: Option<String>,
}

pub(super) fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

pub(super) fn sign_in_failed(st: &AppState, e: &SignInError) -> Response {
    let (status, kind) = match e {
        SignInError::NotThisBrowser => (StatusCode::BAD_REQUEST, "not_this_browser"),
        SignInError::Refused(_) => (StatusCode::UNAUTHORIZED, "refused"),
        SignInError::Token(auth::AuthError::BadClaims) => (StatusCode::FORBIDDEN, "claims"),
        SignInError::Token(_) => (StatusCode::UNAUTHORIZED, "token"),
        SignInError::Provider(_) => (StatusCode::BAD_GATEWAY, "provider"),
    };
    tracing::warn!(kind, "staff sign-in through the identity provider failed");
    provider_page(st, status, Some(&e.to_string()))
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /staff/auth/callback`: the identity provider sends the browser back here with a code;
/// the provider exchanges it and checks the token, and the token becomes the session cookie
/// (`SameSite=Lax`, see [`lax_cookie`]). The attempt cookie is cleared whatever happens. With
/// no provider (the local server) there is nothing to complete: to the sign-in page.
pub(crate) async fn sign_in_callback(
    State(st): State<AppState>,
    provider: Option<Extension<StaffSignIn>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(Extension(StaffSignIn(provider))) = provider else {
        return Redirect::to("/staff/sign-in").into_response();
    };
    let attempt = auth::cookie_from(&headers, ATTEMPT_COOKIE);
    let done = match (q.error, q.code, q.state) {
        (Some(error), _, _) => Err(SignInError::Refused(
            error
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect(),
        )),
        (None, Some(code), Some(state)) => {
            provider
                .complete(&code, &state, attempt.as_deref(), st.service.clock.now())
                .await
        }
        _ => Err(SignInError::NotThisBrowser),
    };
    let mut res = match done {
        Ok(done) => {
            tracing::info!(
                role = done.staff.role.as_str(),
                "staff signed in through the identity provider"
            );
            let mut res = private_page(Redirect::to(&safe_next(Some(&done.next))).into_response());
            if let Some(v) = lax_cookie(SESSION_COOKIE, &done.session, "/staff", done.max_age) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => sign_in_failed(&st, &e),
    };
    if let Some(v) = lax_cookie(ATTEMPT_COOKIE, "", CALLBACK_PREFIX, 0) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
