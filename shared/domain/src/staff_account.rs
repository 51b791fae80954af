//! Staff accounts of a deployment without an identity provider: who may sign in, with which
//! role, how a password is first set (a one-time link), how long a session lasts, how repeated
//! wrong passwords slow an account down, and which API tokens were issued and revoked.
//!
//! Secrets (session ids, set-password links) are stored only as hashes, so a copy of the store
//! cannot be replayed as a cookie or a link. Passwords are hashed by a [`PasswordHasher`] the
//! host provides (Argon2id locally). The rules here read time from the injected clock only.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ports::{Clock, Random, StoreError};
use crate::validation::is_email;

/// The role names a staff account may have (the API's roles, least to most).
pub const ROLES: [&str; 4] = [
    "auditor",
    "officer",
    "investigating_manager",
    "senior_manager",
];

/// Fewest characters of a password: long passphrases beat composition rules.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Most characters of a password, so hashing cannot be made arbitrarily slow.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// How long a set-password link works by default.
pub const DEFAULT_LINK_HOURS: i64 = 72;

/// A member of staff who signs in with a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccount {
    /// Lower-case email: the account's key and how staff are identified on cases.
    pub email: String,
    /// Display name.
    pub name: String,
    /// One of [`ROLES`].
    pub role: String,
    /// The password's hash in PHC string form; `None` until the link has been used.
    pub password_hash: Option<String>,
    /// When the account was disabled; a disabled account cannot sign in or use its tokens.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// A one-time link to set a password, as stored: the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetPasswordLink {
    /// SHA-256 of the secret in the link ([`secret_hash`]).
    pub secret_hash: String,
    /// The account it sets the password of.
    pub email: String,
    /// After this the link is refused.
    pub expires_at: DateTime<Utc>,
}

/// A signed-in browser, as stored: the hash of its cookie's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the session id ([`secret_hash`]).
    pub id_hash: String,
    /// Whose session it is.
    pub email: String,
    /// When it began (the absolute time-out counts from here).
    pub created_at: DateTime<Utc>,
    /// When it was last used (the idle time-out counts from here).
    pub last_seen_at: DateTime<Utc>,
}

/// Wrong passwords given for one email since the last right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// How many in a row.
    pub count: u32,
    /// When the last one was.
    pub last_at: DateTime<Utc>,
}

/// An API token made with `p3 token`, as recorded: its id (`jti`) and whom it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedToken {
    /// The token's id, the `jti` claim.
    pub id: String,
    /// Lower-case email it names.
    pub email: String,
    /// Name it names.
    pub name: String,
    /// Role it grants.
    pub role: String,
    /// When it was made.
    pub issued_at: DateTime<Utc>,
    /// When it stops working on its own.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked (by id, or by disabling its account).
    pub revoked_at: Option<DateTime<Utc>>,
}

/// How long a session lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Ends a session not used for this long.
    pub idle: Duration,
    /// Ends a session this long after sign-in, however busy.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

impl SessionPolicy {
    /// True while the session has passed neither time-out at `now`.
    pub fn is_live(&self, s: &Session, now: DateTime<Utc>) -> bool {
        now < s.created_at + self.absolute && now < s.last_seen_at + self.idle
    }

    /// True when the session's last use should be written again: not on every request, but
    /// often enough (a quarter of the idle time-out, at most a minute) that the idle time-out
    /// stays accurate.
    pub fn needs_touch(&self, s: &Session, now: DateTime<Utc>) -> bool {
        let every = std::cmp::min(self.idle / 4, Duration::minutes(1));
        now - s.last_seen_at >= every
    }

    /// Seconds until the session ends at the latest (the cookie's `Max-Age`).
    pub fn max_age_seconds(&self) -> i64 {
        self.absolute.num_seconds()
    }
}

/// How repeated wrong passwords slow an email down. The same for every email typed, whether
/// or not it has an account, so the answers do not tell which exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wrong passwords allowed in a row before any wait.
    pub free: u32,
    /// The first wait; each further failure doubles it.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            free: 5,
            first_wait: Duration::seconds(30),
            max_wait: Duration::minutes(15),
        }
    }
}

impl Backoff {
    /// How long sign-in stays refused after these failures, from the last one.
    pub fn wait_after(&self, count: u32) -> Duration {
        if count < self.free {
            return Duration::zero();
        }
        let doublings = (count - self.free).min(16);
        std::cmp::min(self.first_wait * 2i32.pow(doublings), self.max_wait)
    }

    /// The time left before the next attempt is heard, if any.
    pub fn remaining(&self, f: Option<Failures>, now: DateTime<Utc>) -> Option<Duration> {
        let f = f?;
        let until = f.last_at + self.wait_after(f.count);
        (until > now).then(|| until - now)
    }
}

/// SHA-256 (hex) of a secret: what the store keeps of session ids and link secrets, and of an
/// email typed at sign-in (so failed attempts at unknown addresses keep no address).
pub fn secret_hash(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a password cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("a password can have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

/// Checks a new password's length (in characters, not bytes).
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else if n > MAX_PASSWORD_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

/// Hashes and checks passwords (Argon2id locally). Slow on purpose, so async: the host runs
/// it off the request threads.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string of the password with a fresh salt.
    async fn hash(&self, password: &str) -> Result<String, StoreError>;
    /// True when `password` matches `hash`. With `None`, checks against a fixed dummy hash
    /// and answers false, taking as long as a real check (unknown emails answer alike).
    async fn verify(&self, password: &str, hash: Option<&str>) -> bool;
}

/// Where accounts, links, sessions, failures and tokens are kept. Each call is one
/// all-or-nothing write or one read.
#[async_trait]
pub trait StaffAccountStore: Send + Sync {
    /// Adds an account and its first link; `DuplicateKey` when the email has an account.
    async fn add_account(
        &self,
        account: &StaffAccount,
        link: &SetPasswordLink,
    ) -> Result<(), StoreError>;
    /// Every account, by email.
    async fn accounts(&self) -> Result<Vec<StaffAccount>, StoreError>;
    /// One account by (lower-case) email.
    async fn account(&self, email: &str) -> Result<Option<StaffAccount>, StoreError>;
    /// Changes an account's role; false when there is no such account.
    async fn set_role(&self, email: &str, role: &str) -> Result<bool, StoreError>;
    /// Disables an account and, in the same write, ends its sessions, drops its links and
    /// revokes its tokens; false when there is no such account.
    async fn disable(&self, email: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Adds another link for an existing, enabled account; false otherwise.
    async fn add_link(&self, link: &SetPasswordLink) -> Result<bool, StoreError>;
    /// A link by the hash of its secret.
    async fn link(&self, secret_hash: &str) -> Result<Option<SetPasswordLink>, StoreError>;
    /// Uses a link once: when it exists, is unexpired at `now` and its account is enabled,
    /// sets the password, deletes the account's links and ends its sessions, and returns the
    /// email; otherwise `None` and nothing changes.
    async fn use_link(
        &self,
        secret_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError>;
    /// Keeps a new session.
    async fn add_session(&self, session: &Session) -> Result<(), StoreError>;
    /// A session and its account, by the hash of its id.
    async fn session(&self, id_hash: &str) -> Result<Option<(Session, StaffAccount)>, StoreError>;
    /// Records a session's use.
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Ends a session.
    async fn end_session(&self, id_hash: &str) -> Result<(), StoreError>;
    /// Wrong passwords in a row for an email's hash.
    async fn failures(&self, email_hash: &str) -> Result<Option<Failures>, StoreError>;
    /// Counts one more wrong password for an email's hash.
    async fn record_failure(&self, email_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Forgets the wrong passwords of an email's hash (after a right one).
    async fn clear_failures(&self, email_hash: &str) -> Result<(), StoreError>;
    /// Records an issued API token.
    async fn add_token(&self, token: &IssuedToken) -> Result<(), StoreError>;
    /// Every recorded token, newest first.
    async fn tokens(&self) -> Result<Vec<IssuedToken>, StoreError>;
    /// One recorded token.
    async fn token(&self, id: &str) -> Result<Option<IssuedToken>, StoreError>;
    /// Revokes a token; false when no token has that id.
    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Deletes sessions last seen before `seen_before` or begun before `begun_before`, links
    /// expired at `now`, and wrong-password counts last added to before `failed_before`;
    /// returns how many rows went.
    async fn purge(
        &self,
        seen_before: DateTime<Utc>,
        begun_before: DateTime<Utc>,
        failed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// Why an account command or a link was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Not an email address.
    #[error("the email is not an email address")]
    BadEmail,
    /// An empty name.
    #[error("the name is empty")]
    NoName,
    /// Not one of [`ROLES`].
    #[error("the role must be one of {}", ROLES.join(", "))]
    BadRole,
    /// The email already has an account.
    #[error("that email already has an account")]
    Exists,
    /// No account with that email (or it is disabled).
    #[error("no enabled account has that email")]
    NoAccount,
    /// The link is unknown, used or expired.
    #[error("this link has been used or has expired; ask for a new one")]
    BadLink,
    /// The new password breaks the length rule.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a sign-in was refused. Neither says whether the email has an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInRefused {
    /// The email and password do not match an enabled account.
    #[error("the email or password is not right")]
    WrongCredentials,
    /// Too many wrong passwords for this email: wait this long.
    #[error("too many wrong passwords for this email; try again later")]
    Wait(Duration),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who a live session or token belongs to, as the account says now (so a role change applies
/// at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInStaff {
    /// Lower-case email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role name, one of [`ROLES`].
    pub role: String,
}

/// The account rules over their ports.
#[derive(Clone)]
pub struct Accounts {
    /// Where accounts live.
    pub store: Arc<dyn StaffAccountStore>,
    /// How passwords are hashed.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Where secrets come from.
    pub random: Arc<dyn Random>,
    /// Session time-outs.
    pub sessions: SessionPolicy,
    /// Slowing down wrong passwords.
    pub backoff: Backoff,
}

/// Lower-cases and trims an email as typed.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

fn check_role(role: &str) -> Result<(), AccountError> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(AccountError::BadRole)
    }
}

impl Accounts {
    /// A new unguessable secret: 40 random bytes in hex.
    fn secret(&self) -> String {
        (0..4)
            .flat_map(|_| self.random.bytes10())
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Adds an account; returns the secret of its set-password link, valid for `link_ttl`.
    pub async fn add(
        &self,
        email: &str,
        name: &str,
        role: &str,
        link_ttl: Duration,
    ) -> Result<String, AccountError> {
        let email = normalise_email(email);
        if !is_email(&email) {
            return Err(AccountError::BadEmail);
        }
        if name.trim().is_empty() {
            return Err(AccountError::NoName);
        }
        check_role(role)?;
        let now = self.clock.now();
        let secret = self.secret();
        let account = StaffAccount {
            email: email.clone(),
            name: name.trim().to_string(),
            role: role.to_string(),
            password_hash: None,
            disabled_at: None,
            created_at: now,
        };
        let link = SetPasswordLink {
            secret_hash: secret_hash(&secret),
            email,
            expires_at: now + link_ttl,
        };
        match self.store.add_account(&account, &link).await {
            Ok(()) => Ok(secret),
            Err(StoreError::DuplicateKey) => Err(AccountError::Exists),
            Err(e) => Err(e.into()),
        }
    }

    /// A new set-password link for an enabled account (a forgotten password).
    pub async fn new_link(&self, email: &str, link_ttl: Duration) -> Result<String, AccountError> {
        let secret = self.secret();
        let link = SetPasswordLink {
            secret_hash: secret_hash(&secret),
            email: normalise_email(email),
            expires_at: self.clock.now() + link_ttl,
        };
        if self.store.add_link(&link).await? {
            Ok(secret)
        } else {
            Err(AccountError::NoAccount)
        }
    }

    /// The email a link sets the password of, while it can be used.
    pub async fn link_email(&self, secret: &str) -> Result<String, AccountError> {
        match self.store.link(&secret_hash(secret)).await? {
            Some(l) if l.expires_at > self.clock.now() => Ok(l.email),
            _ => Err(AccountError::BadLink),
        }
    }

    /// Sets the password through a link, once; returns the email.
    pub async fn set_password(&self, secret: &str, password: &str) -> Result<String, AccountError> {
        check_password(password)?;
        self.link_email(secret).await?;
        let hash = self.hasher.hash(password).await?;
        self.store
            .use_link(&secret_hash(secret), &hash, self.clock.now())
            .await?
            .ok_or(AccountError::BadLink)
    }

    /// Signs in with an email and password; returns the new session's id (for the cookie
    /// only: the store keeps its hash) and who signed in.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
    ) -> Result<(String, SignedInStaff), SignInRefused> {
        let email = normalise_email(email);
        let key = secret_hash(&email);
        let now = self.clock.now();
        if let Some(wait) = self
            .backoff
            .remaining(self.store.failures(&key).await?, now)
        {
            return Err(SignInRefused::Wait(wait));
        }
        let account = self
            .store
            .account(&email)
            .await?
            .filter(|a| a.disabled_at.is_none());
        let hash = account.as_ref().and_then(|a| a.password_hash.as_deref());
        let ok = self.hasher.verify(password, hash).await && hash.is_some();
        let Some(account) = account.filter(|_| ok) else {
            self.store.record_failure(&key, now).await?;
            return Err(SignInRefused::WrongCredentials);
        };
        self.store.clear_failures(&key).await?;
        let id = self.secret();
        self.store
            .add_session(&Session {
                id_hash: secret_hash(&id),
                email: account.email.clone(),
                created_at: now,
                last_seen_at: now,
            })
            .await?;
        Ok((
            id,
            SignedInStaff {
                email: account.email,
                name: account.name,
                role: account.role,
            },
        ))
    }

    /// Who a session id belongs to while it is live and its account enabled; a session past
    /// a time-out is ended.
    pub async fn session(&self, id: &str) -> Result<Option<SignedInStaff>, StoreError> {
        let id_hash = secret_hash(id);
        let Some((session, account)) = self.store.session(&id_hash).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if account.disabled_at.is_some() || !self.sessions.is_live(&session, now) {
            self.store.end_session(&id_hash).await?;
            return Ok(None);
        }
        if self.sessions.needs_touch(&session, now) {
            self.store.touch_session(&id_hash, now).await?;
        }
        Ok(Some(SignedInStaff {
            email: account.email,
            name: account.name,
            role: account.role,
        }))
    }

    /// Deletes what can no longer be used: ended sessions, expired links, and wrong-password
    /// counts a day older than the longest wait.
    pub async fn purge(&self) -> Result<u64, StoreError> {
        let now = self.clock.now();
        self.store
            .purge(
                now - self.sessions.idle,
                now - self.sessions.absolute,
                now - self.backoff.max_wait - Duration::days(1),
                now,
            )
            .await
    }

    /// Ends a session (signing out).
    pub async fn sign_out(&self, id: &str) -> Result<(), StoreError> {
        self.store.end_session(&secret_hash(id)).await
    }

    /// Changes a role; it applies to the account's sessions at their next request.
    pub async fn set_role(&self, email: &str, role: &str) -> Result<(), AccountError> {
        check_role(role)?;
        if self.store.set_role(&normalise_email(email), role).await? {
            Ok(())
        } else {
            Err(AccountError::NoAccount)
        }
    }

    /// Disables an account: its sessions end and its tokens are refused at once.
    pub async fn disable(&self, email: &str) -> Result<(), AccountError> {
        if self
            .store
            .disable(&normalise_email(email), self.clock.now())
            .await?
        {
            Ok(())
        } else {
            Err(AccountError::NoAccount)
        }
    }

    /// True when an API token must be refused although its signature and expiry are good:
    /// its id was revoked, or its email's account is disabled (tokens made before ids
    /// existed included).
    pub async fn token_refused(&self, id: Option<&str>, email: &str) -> Result<bool, StoreError> {
        if let Some(id) = id {
            if let Some(t) = self.store.token(id).await? {
                if t.revoked_at.is_some() {
                    return Ok(true);
                }
            }
        }
        Ok(self
            .store
            .account(&normalise_email(email))
            .await?
            .is_some_and(|a| a.disabled_at.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn session(created: i64, seen: i64) -> Session {
        Session {
            id_hash: "h".into(),
            email: "ann@p3.example".into(),
            created_at: at(created),
            last_seen_at: at(seen),
        }
    }

    #[test]
    fn a_session_ends_after_thirty_idle_minutes_or_twelve_hours_whatever_its_use() {
        let p = SessionPolicy::default();
        assert!(p.is_live(&session(0, 0), at(29)));
        assert!(!p.is_live(&session(0, 0), at(30)));
        assert!(p.is_live(&session(0, 700), at(719)));
        assert!(!p.is_live(&session(0, 719), at(720)));
    }

    #[test]
    fn a_session_use_is_written_at_most_once_a_minute() {
        let p = SessionPolicy::default();
        assert!(!p.needs_touch(&session(0, 0), at(0) + Duration::seconds(59)));
        assert!(p.needs_touch(&session(0, 0), at(1)));
    }

    #[test]
    fn five_wrong_passwords_are_free_then_the_wait_doubles_up_to_fifteen_minutes() {
        let b = Backoff::default();
        assert_eq!(b.wait_after(4), Duration::zero());
        assert_eq!(b.wait_after(5), Duration::seconds(30));
        assert_eq!(b.wait_after(6), Duration::seconds(60));
        assert_eq!(b.wait_after(40), Duration::minutes(15));
        let f = Failures {
            count: 5,
            last_at: at(0),
        };
        assert_eq!(b.remaining(Some(f), at(0)), Some(Duration::seconds(30)));
        assert_eq!(b.remaining(Some(f), at(1)), None);
        assert_eq!(b.remaining(None, at(0)), None);
    }

    #[test]
    fn a_password_needs_twelve_characters_counted_as_characters() {
        assert_eq!(check_password("short"), Err(PasswordError::TooShort));
        assert_eq!(check_password("ééééééééééé"), Err(PasswordError::TooShort));
        assert!(check_password("correct horse").is_ok());
        assert_eq!(
            check_password(&"x".repeat(257)),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn secrets_are_kept_as_their_sha256() {
        assert_eq!(
            secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
