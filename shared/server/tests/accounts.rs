//! Staff accounts over real HTTP against a running `p3 serve`: `p3 user add` prints a one-time
//! link, the password is set through it, staff sign in with email and password to a session
//! kept on the server, and sign-out, disabling, a role change, the time-outs, repeated wrong
//! passwords and revoked tokens take effect at once.

mod support;

use std::path::Path;
use std::process::Command;

use reqwest::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use serde_json::{json, Value};
use support::*;

const PASSWORD: &str = "correct horse battery";

/// Runs `p3 ARGS…` and returns its stdout; it must succeed.
fn p3(args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).output().expect("p3 runs");
    assert!(
        out.status.success(),
        "p3 {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn dir_arg(p: &Path) -> String {
    p.to_string_lossy().to_string()
}

/// `p3 user add`: returns the set-password link it printed.
fn add_user(s: &Server, email: &str, name: &str, role: &str, extra: &[&str]) -> String {
    let dir = dir_arg(&s.data_dir);
    let mut args = vec![
        "user",
        "add",
        "--email",
        email,
        "--name",
        name,
        "--role",
        role,
        "--data-dir",
        &dir,
        "--base-url",
        &s.base,
    ];
    args.extend_from_slice(extra);
    let out = p3(&args);
    out.lines()
        .find(|l| l.starts_with(&format!("{}/staff/set-password?link=", s.base)))
        .unwrap_or_else(|| panic!("a link in {out}"))
        .trim()
        .to_string()
}

fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn cookie_value(set_cookie: &str) -> String {
    let first = set_cookie.split(';').next().unwrap();
    first.split_once('=').unwrap().1.to_string()
}

/// The value of the hidden `csrf_token` input of a page.
fn form_csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a CSRF field")
        + 25;
    html[at..].split('"').next().unwrap().to_string()
}

/// A page and the CSRF cookie and field it sets.
async fn form(c: &reqwest::Client, url: &str) -> (u16, String, String) {
    let res = c.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let cookie = set_cookie(&res, "p3_csrf").map(|v| cookie_value(&v));
    let html = res.text().await.unwrap();
    let csrf = if status == 200 {
        let field = form_csrf(&html);
        assert_eq!(cookie.as_deref(), Some(field.as_str()));
        field
    } else {
        String::new()
    };
    (status, csrf, html)
}

/// Sets a password through a link: the status of the POST (and its Location).
async fn set_password(c: &reqwest::Client, s: &Server, link: &str, pw: &str) -> (u16, String) {
    let (status, csrf, _) = form(c, link).await;
    if status != 200 {
        return (status, String::new());
    }
    let secret = link.split("link=").nth(1).unwrap();
    let res = c
        .post(s.url("/staff/set-password"))
        .header(COOKIE, format!("p3_csrf={csrf}"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("link", secret),
            ("password", pw),
            ("confirm", pw),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location)
}

struct SignIn {
    status: u16,
    /// The whole `Set-Cookie` of the session, when one was set.
    cookie: Option<String>,
    retry_after: Option<String>,
    html: String,
}

impl SignIn {
    fn session(&self) -> String {
        cookie_value(self.cookie.as_deref().expect("a session cookie"))
    }
}

async fn sign_in(c: &reqwest::Client, s: &Server, email: &str, pw: &str) -> SignIn {
    let (_, csrf, _) = form(c, &s.url("/staff/sign-in")).await;
    let res = c
        .post(s.url("/staff/sign-in"))
        .header(COOKIE, format!("p3_csrf={csrf}"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("next", "/staff/cases"),
            ("email", email),
            ("password", pw),
        ])
        .send()
        .await
        .unwrap();
    SignIn {
        status: res.status().as_u16(),
        cookie: set_cookie(&res, "p3_staff"),
        retry_after: res
            .headers()
            .get(RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_string()),
        html: res.text().await.unwrap(),
    }
}

/// A staff page with the session cookie: its status, and its body when 200.
async fn page(c: &reqwest::Client, url: &str, session: &str) -> (u16, String) {
    let res = c
        .get(url)
        .header(COOKIE, format!("p3_staff={session}"))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The staff JSON list with the session cookie.
async fn list_with_session(c: &reqwest::Client, s: &Server, session: &str) -> u16 {
    c.get(s.url("/staff/complaints"))
        .header("accept", "application/json")
        .header(COOKIE, format!("p3_staff={session}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn create_with_session(c: &reqwest::Client, s: &Server, session: &str) -> (u16, Value) {
    let res = c
        .post(s.url("/staff/complaints"))
        .header(COOKIE, format!("p3_staff={session}"))
        .json(&json!({
            "channel": "phone",
            "name": "Ada Resident",
            "phone": "07700 900123",
            "description": "The boiler has not worked for a week.",
        }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A member of staff with a password set, signed in: the session id.
async fn signed_in(c: &reqwest::Client, s: &Server, email: &str, name: &str, role: &str) -> String {
    let link = add_user(s, email, name, role, &[]);
    assert_eq!(set_password(c, s, &link, PASSWORD).await.0, 303);
    let signed = sign_in(c, s, email, PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    signed.session()
}

fn with_config(toml: &str) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p3.toml");
    std::fs::write(&config, toml).unwrap();
    let s = Server::start_with(&dir.path().join("data"), Some(&config));
    (dir, s)
}

#[tokio::test]
async fn a_member_of_staff_added_on_the_command_line_sets_a_password_signs_in_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();

    // Before any account exists, the sign-in page is the token form, as it always was.
    let (_, _, html) = form(&c, &s.url("/staff/sign-in")).await;
    assert!(html.contains("Staff token") && !html.contains("Email address"));

    let link = add_user(&s, "Olive@P3.example", "Olive Officer", "officer", &[]);
    let listed = p3(&["user", "list", "--data-dir", &dir_arg(dir.path())]);
    assert!(
        listed.contains("olive@p3.example\tOlive Officer\tofficer\tpassword not set yet"),
        "{listed}"
    );

    // The link's page names the account; a short password is refused and the link still works.
    let (status, _, html) = form(&c, &link).await;
    assert_eq!(status, 200);
    assert!(html.contains("olive@p3.example"));
    assert_eq!(set_password(&c, &s, &link, "too short").await.0, 422);
    assert_eq!(
        set_password(&c, &s, &link, PASSWORD).await,
        (303, "/staff/sign-in?password_set=1".to_string())
    );
    // Single use.
    assert_eq!(form(&c, &link).await.0, 410);
    assert_eq!(
        set_password(&c, &s, &link, "another good password").await.0,
        410
    );

    // Now the sign-in page asks for an email and password; the token form is a link away.
    let (_, _, html) = form(&c, &s.url("/staff/sign-in")).await;
    assert!(html.contains("Email address") && html.contains("current-password"));
    let (_, _, html) = form(&c, &s.url("/staff/sign-in?with=token")).await;
    assert!(html.contains("Staff token"));

    assert_eq!(
        sign_in(&c, &s, "olive@p3.example", "not the password")
            .await
            .status,
        401
    );
    let signed = sign_in(&c, &s, "OLIVE@p3.example", PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    let cookie = signed.cookie.clone().unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/staff"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let session = signed.session();

    // The store keeps neither the session id nor the password, only their hashes.
    {
        let db = rusqlite::Connection::open(dir.path().join("p3.db")).unwrap();
        let ids: Vec<String> = db
            .prepare("SELECT id_hash FROM staff_sessions")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(ids.len(), 1);
        assert_ne!(ids[0], session);
        let hash: String = db
            .query_row("SELECT password_hash FROM staff_accounts", [], |r| r.get(0))
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
    }

    // A staff page and the staff JSON routes work with the session.
    let (status, html) = page(&c, &s.url("/staff/cases"), &session).await;
    assert_eq!(status, 200);
    assert!(html.contains("Olive Officer"));
    assert_eq!(list_with_session(&c, &s, &session).await, 200);
    let res = c
        .get(s.url("/staff"))
        .header(COOKIE, format!("p3_staff={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[LOCATION], "/staff/cases");
    let (status, created) = create_with_session(&c, &s, &session).await;
    assert_eq!(status, 201, "{created}");

    // Sign out ends the session on the server: the same cookie no longer works.
    let res = c
        .post(s.url("/staff/sign-out"))
        .header(COOKIE, format!("p3_staff={session}"))
        .form(&[("csrf_token", form_csrf(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (status, _) = page(&c, &s.url("/staff/cases"), &session).await;
    assert_eq!(status, 303);
    assert_eq!(list_with_session(&c, &s, &session).await, 401);

    // A link that has expired is refused.
    let link = add_user(
        &s,
        "ian@p3.example",
        "Ian Manager",
        "investigating_manager",
        &["--link-seconds", "1"],
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(form(&c, &link).await.0, 410);
    assert_eq!(
        sign_in(&c, &s, "ian@p3.example", PASSWORD).await.status,
        401
    );
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_refuses_its_tokens_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let session = signed_in(&c, &s, "olive@p3.example", "Olive Officer", "officer").await;
    let token = s.token("Olive Officer", "olive@p3.example", "officer");
    let other = s.token("Ian Manager", "ian@p3.example", "investigating_manager");
    assert_eq!(list_with_session(&c, &s, &session).await, 200);
    let list = s.url("/staff/complaints");
    assert_eq!(get_json(&c, &list, Some(&token)).await.0, 200);

    p3(&[
        "user",
        "disable",
        "--email",
        "olive@p3.example",
        "--data-dir",
        &dir_arg(dir.path()),
    ]);
    assert_eq!(list_with_session(&c, &s, &session).await, 401);
    assert_eq!(page(&c, &s.url("/staff/cases"), &session).await.0, 303);
    let (status, body) = get_json(&c, &list, Some(&token)).await;
    assert_eq!(status, 401, "{body}");
    // Someone else's token still works; the disabled account cannot sign in again.
    assert_eq!(get_json(&c, &list, Some(&other)).await.0, 200);
    assert_eq!(
        sign_in(&c, &s, "olive@p3.example", PASSWORD).await.status,
        401
    );
    let listed = p3(&["user", "list", "--data-dir", &dir_arg(dir.path())]);
    assert!(listed.contains("olive@p3.example\tOlive Officer\tofficer\tdisabled"));
    let tokens = p3(&["token", "list", "--data-dir", &dir_arg(dir.path())]);
    let olive = tokens
        .lines()
        .find(|l| l.contains("olive@p3.example"))
        .unwrap();
    assert!(olive.contains("revoked"), "{tokens}");
}

#[tokio::test]
async fn a_role_change_applies_to_a_signed_in_session_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let session = signed_in(&c, &s, "audrey@p3.example", "Audrey", "auditor").await;
    assert_eq!(create_with_session(&c, &s, &session).await.0, 403);
    p3(&[
        "user",
        "role",
        "--email",
        "audrey@p3.example",
        "--role",
        "officer",
        "--data-dir",
        &dir_arg(dir.path()),
    ]);
    let (status, created) = create_with_session(&c, &s, &session).await;
    assert_eq!(status, 201, "{created}");
}

/// The error summary's words on a sign-in page.
fn summary(html: &str) -> String {
    let at = html.find("error-summary__list").expect("an error summary");
    html[at..].split("</ul>").next().unwrap().to_string()
}

#[tokio::test]
async fn repeated_wrong_passwords_slow_that_email_down_and_unknown_emails_answer_alike() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let link = add_user(&s, "olive@p3.example", "Olive Officer", "officer", &[]);
    assert_eq!(set_password(&c, &s, &link, PASSWORD).await.0, 303);
    let _ = signed_in(&c, &s, "ian@p3.example", "Ian", "officer").await;

    for (i, email) in ["olive@p3.example", "nobody@p3.example"].iter().enumerate() {
        let mut answers = Vec::new();
        for _ in 0..5 {
            let r = sign_in(&c, &s, email, "a wrong password").await;
            assert_eq!(r.status, 401, "{email}");
            answers.push(summary(&r.html));
        }
        // Then even the right password waits: the account is slowed down.
        let r = sign_in(&c, &s, email, PASSWORD).await;
        assert_eq!(r.status, 429, "{email} attempt {i}");
        let wait: u64 = r.retry_after.as_deref().unwrap().parse().unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(r.cookie.is_none());
        answers.push(summary(&r.html));
        if i == 0 {
            std::fs::write(dir.path().join("known.txt"), answers.join("\n")).unwrap();
        } else {
            let known = std::fs::read_to_string(dir.path().join("known.txt")).unwrap();
            assert_eq!(known, answers.join("\n"), "an unknown email answers alike");
        }
    }
    // Another account is not slowed down.
    assert_eq!(
        sign_in(&c, &s, "ian@p3.example", PASSWORD).await.status,
        303
    );
    assert!(
        !s.logs().contains("olive@p3.example") && !s.logs().contains("nobody@p3.example"),
        "no email in the logs"
    );
}

#[tokio::test]
async fn a_session_unused_for_the_idle_time_out_has_ended() {
    let (_dir, s) = with_config("[sessions]\nidle_timeout_seconds = 1\n");
    let c = client();
    let session = signed_in(&c, &s, "olive@p3.example", "Olive", "officer").await;
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(list_with_session(&c, &s, &session).await, 401);
    assert_eq!(page(&c, &s.url("/staff/cases"), &session).await.0, 303);
}

#[tokio::test]
async fn a_session_ends_after_the_absolute_time_out_however_busy() {
    let (_dir, s) =
        with_config("[sessions]\nidle_timeout_seconds = 3600\nabsolute_timeout_seconds = 2\n");
    let c = client();
    let session = signed_in(&c, &s, "olive@p3.example", "Olive", "officer").await;
    for _ in 0..6 {
        let _ = list_with_session(&c, &s, &session).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(list_with_session(&c, &s, &session).await, 401);
}

#[tokio::test]
async fn tokens_carry_an_id_are_listed_and_a_revoked_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let c = client();
    let d = dir_arg(dir.path());
    let out = p3(&[
        "token",
        "--user",
        "Olive Officer",
        "--email",
        "olive@p3.example",
        "--role",
        "officer",
        "--data-dir",
        &d,
    ]);
    // The token is still the last line; the first names its id.
    let token = out.lines().last().unwrap().trim().to_string();
    let id = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("Staff token ")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let other = s.token("Ian Manager", "ian@p3.example", "investigating_manager");
    let list = s.url("/staff/complaints");
    assert_eq!(get_json(&c, &list, Some(&token)).await.0, 200);

    let listed = p3(&["token", "list", "--data-dir", &d]);
    let line = listed.lines().find(|l| l.starts_with(&id)).unwrap();
    assert!(
        line.contains("olive@p3.example\tofficer\tvalid until"),
        "{line}"
    );

    let revoked = p3(&["token", "revoke", "--id", &id, "--data-dir", &d]);
    assert!(revoked.contains(&id));
    let (status, body) = get_json(&c, &list, Some(&token)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(get_json(&c, &list, Some(&other)).await.0, 200);
    let listed = p3(&["token", "list", "--data-dir", &d]);
    assert!(listed
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap()
        .contains("revoked"));

    // A revoked token in the cookie opens no page, and the token form refuses it.
    let res = c
        .get(s.url("/staff/cases"))
        .header(COOKIE, format!("p3_staff={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (_, csrf, _) = form(&c, &s.url("/staff/sign-in")).await;
    let res = c
        .post(s.url("/staff/sign-in"))
        .header(COOKIE, format!("p3_csrf={csrf}"))
        .form(&[("csrf_token", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert!(res.text().await.unwrap().contains("revoked"));

    let unknown = Command::new(bin())
        .args(["token", "revoke", "--id", "no-such-id", "--data-dir", &d])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}
