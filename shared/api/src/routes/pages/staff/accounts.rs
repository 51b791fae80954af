//! The pages of staff accounts kept by the host ([`StaffAccounts`]): sign in with an email and
//! a password at `/staff/sign-in` (once any account exists; the token form stays at
//! `/staff/sign-in?with=token`), and set a password through a one-time link at
//! `/staff/set-password?link=…`. Both forms carry the public double-submit CSRF token.
//! Nothing personal is logged: not the email typed, not whether it has an account.

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use p3_domain::staff_account::{AccountError, SignInRefused, MIN_PASSWORD_CHARS};
use serde::Deserialize;

use super::{capitalised, fields_of, get, same};
use crate::auth;
use crate::extract::Query;
use crate::html::{urlencode, Control, Field, Header};
use crate::http::cookies::cookie_header;
use crate::http::csrf::{csrf_of as csrf_cookie_value, CSRF_COOKIE};
use crate::problem::Problem;
use crate::routes::pages::layout::{respond, Chrome};
use crate::sign_in::SESSION_COOKIE;
use crate::staff_session::{store_unavailable, StaffAccounts};
use crate::{body, AppState};

/// A field at fault and what to say.
type FieldError<'a> = (&'a str, String);

/// What the password sign-in page shows.
pub(crate) struct PasswordForm<'a> {
    pub next: &'a str,
    pub email: &'a str,
    pub error: Option<FieldError<'a>>,
    pub notice: Option<&'a str>,
    /// The host has an identity provider too: offer it.
    pub provider: bool,
}

fn with_csrf_cookie(st: &AppState, headers: &HeaderMap, mut res: Response, csrf: &str) -> Response {
    if let Some(v) = cookie_header(st, headers, CSRF_COOKIE, csrf, "/", None) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The sign-in page with email and password (`templates/staff/password_sign_in.html`).
#[derive(Template)]
#[template(path = "staff/password_sign_in.html")]
struct PasswordPage<'a> {
    chrome: Chrome<'a>,
    /// (element id, message) for the error summary.
    errors: Vec<(String, String)>,
    /// A banner's title above the form (signed out, password set).
    notice: Option<&'a str>,
    csrf: &'a str,
    next: &'a str,
    /// `next`, percent-encoded for the other sign-in links.
    next_url: String,
    email_field: Field<'a>,
    password_field: Field<'a>,
    provider: bool,
}

/// The error summary's one item, for a form with one error at most.
fn summary_of(error: &Option<FieldError>) -> Vec<(String, String)> {
    error
        .iter()
        .map(|(field, msg)| (format!("#{field}"), msg.clone()))
        .collect()
}

/// The message of the field named `name`, when it is the one at fault.
fn error_on<'a>(error: &'a Option<FieldError>, name: &str) -> Option<&'a str> {
    error
        .as_ref()
        .filter(|(field, _)| *field == name)
        .map(|(_, m)| m.as_str())
}

/// The sign-in page with email and password.
pub(crate) fn password_page(
    st: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    f: &PasswordForm,
) -> Response {
    let csrf = csrf_cookie_value(headers);
    let title = if f.error.is_some() {
        "Error: Sign in"
    } else {
        "Sign in"
    };
    let page = PasswordPage {
        chrome: Chrome::new(title, &st.service.settings.landlord, &Header::Staff(None)),
        errors: summary_of(&f.error),
        notice: f.notice,
        csrf: &csrf,
        next: f.next,
        next_url: urlencode(f.next),
        email_field: Field {
            value: f.email,
            error: error_on(&f.error, "email"),
            control: Control::Input("email"),
            autocomplete: "username",
            attrs: "spellcheck=\"false\" autocapitalize=\"none\"",
            ..Field::new("email", "email", "Email address")
        },
        password_field: Field {
            error: error_on(&f.error, "password"),
            control: Control::Input("password"),
            autocomplete: "current-password",
            ..Field::new("password", "password", "Password")
        },
        provider: f.provider,
    };
    with_csrf_cookie(st, headers, respond(status, &page), &csrf)
}

/// `POST /staff/sign-in` with an email: checks the password and starts a server-side session.
pub(crate) async fn password_sign_in(
    st: &AppState,
    StaffAccounts(accounts): &StaffAccounts,
    headers: &HeaderMap,
    fields: &[(String, String)],
    next: &str,
) -> Response {
    let email = get(fields, "email").unwrap_or("").trim();
    let password = get(fields, "password").unwrap_or("");
    let page = |status, error: FieldError| {
        password_page(
            st,
            headers,
            status,
            &PasswordForm {
                next,
                email,
                error: Some(error),
                notice: None,
                provider: false,
            },
        )
    };
    let cookie = auth::cookie_from(headers, CSRF_COOKIE).unwrap_or_default();
    if !same(get(fields, "csrf_token").unwrap_or(""), &cookie) {
        return page(
            StatusCode::FORBIDDEN,
            (
                "email",
                "Your sign-in form had expired. Enter your email and password again.".into(),
            ),
        );
    }
    if email.is_empty() {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            ("email", "Enter your email address".into()),
        );
    }
    if password.is_empty() {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            ("password", "Enter your password".into()),
        );
    }
    match accounts.sign_in(email, password).await {
        Ok((id, staff)) => {
            tracing::info!(
                role = staff.role.as_str(),
                "staff signed in with a password"
            );
            let mut res = Redirect::to(next).into_response();
            if let Some(v) = cookie_header(st, headers, SESSION_COOKIE, &id, "/staff", None) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(SignInRefused::WrongCredentials) => {
            tracing::info!("a staff sign-in was refused: wrong email or password");
            page(
                StatusCode::UNAUTHORIZED,
                (
                    "email",
                    "The email address or password is not right. Check them and try again.".into(),
                ),
            )
        }
        Err(SignInRefused::Wait(wait)) => {
            tracing::info!("a staff sign-in was refused: too many wrong passwords");
            let seconds = wait.num_seconds().max(1);
            let minutes = (seconds + 59) / 60;
            let mut res = page(
                StatusCode::TOO_MANY_REQUESTS,
                (
                    "email",
                    format!(
                        "There have been too many wrong passwords for this email address. Wait {minutes} minute{} and try again.",
                        if minutes == 1 { "" } else { "s" }
                    ),
                ),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            res
        }
        Err(SignInRefused::Store(e)) => store_unavailable(&e).into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    link: Option<String>,
}

/// A page that only says something, with a link to sign in (`templates/staff/message.html`).
#[derive(Template)]
#[template(path = "staff/message.html")]
struct MessagePage<'a> {
    chrome: Chrome<'a>,
    text: &'a str,
}

fn plain_page(st: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    let page = MessagePage {
        chrome: Chrome::new(title, &st.service.settings.landlord, &Header::Staff(None)),
        text,
    };
    respond(status, &page)
}

fn no_accounts(st: &AppState) -> Response {
    plain_page(
        st,
        StatusCode::NOT_FOUND,
        "Page not found",
        "This service does not keep staff passwords.",
    )
}

fn bad_link(st: &AppState) -> Response {
    plain_page(
        st,
        StatusCode::GONE,
        "This link cannot be used",
        "This link has been used or has expired. Ask an administrator for a new one.",
    )
}

struct SetPasswordForm<'a> {
    link: &'a str,
    email: &'a str,
    error: Option<FieldError<'a>>,
}

/// The form to set a password (`templates/staff/set_password.html`).
#[derive(Template)]
#[template(path = "staff/set_password.html")]
struct SetPasswordPage<'a> {
    chrome: Chrome<'a>,
    /// (element id, message) for the error summary.
    errors: Vec<(String, String)>,
    /// Whose account it is.
    email: &'a str,
    csrf: &'a str,
    link: &'a str,
    password_field: Field<'a>,
    confirm_field: Field<'a>,
}

fn set_password_form(
    st: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    f: &SetPasswordForm,
) -> Response {
    let csrf = csrf_cookie_value(headers);
    let hint = format!("At least {MIN_PASSWORD_CHARS} characters. A few words you will remember make a good password.");
    let title = if f.error.is_some() {
        "Error: Set your password"
    } else {
        "Set your password"
    };
    let page = SetPasswordPage {
        chrome: Chrome::new(title, &st.service.settings.landlord, &Header::Staff(None)),
        errors: summary_of(&f.error),
        email: f.email,
        csrf: &csrf,
        link: f.link,
        password_field: Field {
            hint: &hint,
            error: error_on(&f.error, "password"),
            control: Control::Input("password"),
            autocomplete: "new-password",
            ..Field::new("password", "password", "New password")
        },
        confirm_field: Field {
            error: error_on(&f.error, "confirm"),
            control: Control::Input("password"),
            autocomplete: "new-password",
            ..Field::new("confirm", "confirm", "Type the password again")
        },
    };
    with_csrf_cookie(st, headers, respond(status, &page), &csrf)
}

/// `GET /staff/set-password?link=…`: the form, while the link can be used.
pub(crate) async fn set_password_page(
    State(st): State<AppState>,
    accounts: Option<Extension<StaffAccounts>>,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Response {
    let Some(Extension(StaffAccounts(accounts))) = accounts else {
        return no_accounts(&st);
    };
    let link = q.link.unwrap_or_default();
    match accounts.link_email(&link).await {
        Ok(email) => set_password_form(
            &st,
            &headers,
            StatusCode::OK,
            &SetPasswordForm {
                link: &link,
                email: &email,
                error: None,
            },
        ),
        Err(AccountError::Store(e)) => store_unavailable(&e).into_response(),
        Err(_) => bad_link(&st),
    }
}

/// `POST /staff/set-password`: sets the password once, then on to sign in.
pub(crate) async fn set_password(
    State(st): State<AppState>,
    accounts: Option<Extension<StaffAccounts>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let Some(Extension(StaffAccounts(accounts))) = accounts else {
        return Ok(no_accounts(&st));
    };
    let raw = body::read_limited(&headers, body).await?;
    let fields = fields_of(&raw);
    let link = get(&fields, "link").unwrap_or("");
    if link.is_empty() {
        // Not a set-password form at all: a malformed request, not a spent link.
        return Ok(plain_page(
            &st,
            StatusCode::BAD_REQUEST,
            "This link cannot be used",
            "Open the link you were sent to set your password, then fill in the form.",
        ));
    }
    let email = match accounts.link_email(link).await {
        Ok(email) => email,
        Err(AccountError::Store(e)) => return Err(store_unavailable(&e)),
        Err(_) => return Ok(bad_link(&st)),
    };
    let form = |status, error: FieldError| {
        set_password_form(
            &st,
            &headers,
            status,
            &SetPasswordForm {
                link,
                email: &email,
                error: Some(error),
            },
        )
    };
    let cookie = auth::cookie_from(&headers, CSRF_COOKIE).unwrap_or_default();
    if !same(get(&fields, "csrf_token").unwrap_or(""), &cookie) {
        return Ok(form(
            StatusCode::FORBIDDEN,
            (
                "password",
                "The form had expired. Enter your new password again.".into(),
            ),
        ));
    }
    let password = get(&fields, "password").unwrap_or("");
    if password.is_empty() {
        return Ok(form(
            StatusCode::UNPROCESSABLE_ENTITY,
            ("password", "Enter a new password".into()),
        ));
    }
    if get(&fields, "confirm").unwrap_or("") != password {
        return Ok(form(
            StatusCode::UNPROCESSABLE_ENTITY,
            ("confirm", "The two passwords are not the same".into()),
        ));
    }
    match accounts.set_password(link, password).await {
        Ok(_) => {
            tracing::info!("a staff password was set through its link");
            Ok(Redirect::to("/staff/sign-in?password_set=1").into_response())
        }
        Err(AccountError::Password(e)) => Ok(form(
            StatusCode::UNPROCESSABLE_ENTITY,
            ("password", capitalised(&e.to_string())),
        )),
        Err(AccountError::Store(e)) => Err(store_unavailable(&e)),
        Err(_) => Ok(bad_link(&st)),
    }
}
