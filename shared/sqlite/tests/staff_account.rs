//! Staff accounts on the SQLite store: a link sets a password once, disabling ends sessions and
//! revokes tokens in one write, and a version 2 store gains the tables keeping its data.

use chrono::{DateTime, Duration, TimeZone, Utc};
use p3_domain::staff_account::{
    secret_hash, IssuedToken, Session, SetPasswordLink, StaffAccount, StaffAccountStore,
};
use p3_sqlite::SqliteStore;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn olive() -> StaffAccount {
    StaffAccount {
        email: "olive@p3.example".into(),
        name: "Olive".into(),
        role: "officer".into(),
        password_hash: None,
        disabled_at: None,
        created_at: t0(),
    }
}

fn link(secret: &str, hours: i64) -> SetPasswordLink {
    SetPasswordLink {
        secret_hash: secret_hash(secret),
        email: "olive@p3.example".into(),
        expires_at: t0() + Duration::hours(hours),
    }
}

#[tokio::test]
async fn a_link_sets_the_password_once_and_not_after_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("p3.db")).unwrap();
    store
        .add_account(&olive(), &link("first", 1))
        .await
        .unwrap();
    assert!(store.add_link(&link("second", 1)).await.unwrap());
    assert_eq!(
        store.add_account(&olive(), &link("third", 1)).await,
        Err(p3_domain::ports::StoreError::DuplicateKey)
    );

    // Expired: refused, nothing set.
    let late = t0() + Duration::hours(2);
    assert_eq!(
        store
            .use_link(&secret_hash("first"), "h1", late)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .account("olive@p3.example")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        None
    );

    let now = t0() + Duration::minutes(5);
    assert_eq!(
        store
            .use_link(&secret_hash("first"), "h1", now)
            .await
            .unwrap(),
        Some("olive@p3.example".to_string())
    );
    // Used: neither it nor the account's other link works again.
    assert_eq!(
        store
            .use_link(&secret_hash("first"), "h2", now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .use_link(&secret_hash("second"), "h2", now)
            .await
            .unwrap(),
        None
    );
    let a = store.account("olive@p3.example").await.unwrap().unwrap();
    assert_eq!(a.password_hash.as_deref(), Some("h1"));
}

#[tokio::test]
async fn disabling_ends_the_sessions_and_revokes_the_tokens_in_one_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("p3.db")).unwrap();
    store.add_account(&olive(), &link("l", 1)).await.unwrap();
    let session = Session {
        id_hash: secret_hash("s"),
        email: "olive@p3.example".into(),
        created_at: t0(),
        last_seen_at: t0(),
    };
    store.add_session(&session).await.unwrap();
    let token = |id: &str, email: &str| IssuedToken {
        id: id.into(),
        email: email.into(),
        name: "X".into(),
        role: "officer".into(),
        issued_at: t0(),
        expires_at: t0() + Duration::hours(12),
        revoked_at: None,
    };
    store
        .add_token(&token("t1", "olive@p3.example"))
        .await
        .unwrap();
    store
        .add_token(&token("t2", "ian@p3.example"))
        .await
        .unwrap();
    assert!(store.session(&secret_hash("s")).await.unwrap().is_some());

    assert!(store.disable("olive@p3.example", t0()).await.unwrap());
    assert!(!store.disable("nobody@p3.example", t0()).await.unwrap());
    assert!(store.session(&secret_hash("s")).await.unwrap().is_none());
    assert!(store
        .token("t1")
        .await
        .unwrap()
        .unwrap()
        .revoked_at
        .is_some());
    assert!(store
        .token("t2")
        .await
        .unwrap()
        .unwrap()
        .revoked_at
        .is_none());
    assert!(!store.add_link(&link("again", 1)).await.unwrap());
}

#[tokio::test]
async fn a_version_2_store_gains_the_account_tables_and_keeps_its_counters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p3.db");
    drop(SqliteStore::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE staff_sessions; DROP TABLE staff_links; DROP TABLE staff_accounts;
             DROP TABLE sign_in_failures; DROP TABLE staff_tokens; DROP TABLE annual_records;
             DROP INDEX service_requests_status; ALTER TABLE service_requests DROP COLUMN status;
             INSERT INTO counters (name, value) VALUES ('case:2026', 41);
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    store.add_account(&olive(), &link("l", 1)).await.unwrap();
    assert_eq!(store.accounts().await.unwrap().len(), 1);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (version, counter): (i64, i64) = (
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap(),
        conn.query_row(
            "SELECT value FROM counters WHERE name = 'case:2026'",
            [],
            |r| r.get(0),
        )
        .unwrap(),
    );
    assert_eq!((version, counter), (p3_sqlite::SCHEMA_VERSION, 41));
}

/// Records what it was asked to check; a password matches a hash `hash:<password>`.
#[derive(Default)]
struct CountingHasher {
    checks: std::sync::Mutex<Vec<Option<String>>>,
}

#[async_trait::async_trait]
impl p3_domain::staff_account::PasswordHasher for CountingHasher {
    async fn hash(&self, password: &str) -> Result<String, p3_domain::ports::StoreError> {
        Ok(format!("hash:{password}"))
    }
    async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        self.checks.lock().unwrap().push(hash.map(str::to_string));
        hash == Some(format!("hash:{password}").as_str())
    }
}

struct Fixed;

impl p3_domain::ports::Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        t0()
    }
}

struct Counter(std::sync::atomic::AtomicU8);

impl p3_domain::ports::Random for Counter {
    fn bytes10(&self) -> [u8; 10] {
        [self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed); 10]
    }
}

#[tokio::test]
async fn an_unknown_disabled_or_passwordless_email_is_checked_against_the_dummy_hash_and_refused_alike(
) {
    use p3_domain::staff_account::{Accounts, Backoff, SessionPolicy, SignInRefused};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("p3.db")).unwrap());
    let hasher = Arc::new(CountingHasher::default());
    let accounts = Accounts {
        store: store.clone(),
        hasher: hasher.clone(),
        clock: Arc::new(Fixed),
        random: Arc::new(Counter(0.into())),
        sessions: SessionPolicy::default(),
        backoff: Backoff::default(),
    };
    let pw = "correct horse battery";
    let olive = accounts
        .add("olive@p3.example", "Olive", "officer", Duration::hours(1))
        .await
        .unwrap();
    accounts
        .add("ian@p3.example", "Ian", "officer", Duration::hours(1))
        .await
        .unwrap();
    accounts
        .add("dee@p3.example", "Dee", "officer", Duration::hours(1))
        .await
        .unwrap();
    accounts.set_password(&olive, pw).await.unwrap();
    let (id, who) = accounts.sign_in("Olive@P3.example", pw).await.unwrap();
    assert_eq!(who.email, "olive@p3.example");
    assert!(store.session(&secret_hash(&id)).await.unwrap().is_some());
    accounts.disable("olive@p3.example").await.unwrap();
    hasher.checks.lock().unwrap().clear();

    // Disabled (with a password), never given a password, and unknown: each is one check
    // against the dummy hash, and the same refusal.
    for email in ["olive@p3.example", "ian@p3.example", "nobody@p3.example"] {
        assert_eq!(
            accounts.sign_in(email, pw).await,
            Err(SignInRefused::WrongCredentials),
            "{email}"
        );
    }
    assert_eq!(*hasher.checks.lock().unwrap(), vec![None, None, None]);
    assert_eq!(accounts.session(&id).await.unwrap(), None);
}

#[tokio::test]
async fn a_purge_deletes_ended_sessions_and_expired_links_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("p3.db")).unwrap();
    store.add_account(&olive(), &link("old", 1)).await.unwrap();
    assert!(store.add_link(&link("new", 48)).await.unwrap());
    for (id, begun, seen) in [("idle", 0, 0), ("long", -20, 0), ("live", 0, 60)] {
        store
            .add_session(&Session {
                id_hash: secret_hash(id),
                email: "olive@p3.example".into(),
                created_at: t0() + Duration::hours(begun),
                last_seen_at: t0() + Duration::minutes(seen),
            })
            .await
            .unwrap();
    }
    store.record_failure("e", t0()).await.unwrap();
    let now = t0() + Duration::minutes(70);
    let n = store
        .purge(
            now - Duration::minutes(30),
            now - Duration::hours(12),
            now - Duration::days(1),
            now + Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert!(store.session(&secret_hash("live")).await.unwrap().is_some());
    assert!(store.session(&secret_hash("idle")).await.unwrap().is_none());
    assert!(store.session(&secret_hash("long")).await.unwrap().is_none());
    assert!(store.link(&secret_hash("new")).await.unwrap().is_some());
    assert!(store.failures("e").await.unwrap().is_some());
}
