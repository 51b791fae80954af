//! [`StaffAccountStore`] on SQLite: accounts, set-password links, sessions, wrong-password
//! counts and issued tokens (schema version 3). Disabling an account ends its sessions, drops
//! its links and revokes its tokens in the same transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use p3_domain::ports::StoreError;
use p3_domain::staff_account::{
    Failures, IssuedToken, Session, SetPasswordLink, StaffAccount, StaffAccountStore,
};
use rusqlite::{params, OptionalExtension, Row};

use crate::fault::{is_constraint, parse_ts, ts, Fault};
use crate::SqliteStore;

const ACCOUNT_COLUMNS: &str = "email, name, role, password_hash, disabled_at, created_at";

fn account_of(r: &Row, at: usize) -> rusqlite::Result<[Option<String>; 6]> {
    Ok([
        r.get(at)?,
        r.get(at + 1)?,
        r.get(at + 2)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        r.get(at + 5)?,
    ])
}

fn account_from(c: [Option<String>; 6]) -> Result<StaffAccount, StoreError> {
    let [email, name, role, password_hash, disabled_at, created_at] = c;
    Ok(StaffAccount {
        email: email.unwrap_or_default(),
        name: name.unwrap_or_default(),
        role: role.unwrap_or_default(),
        password_hash,
        disabled_at: disabled_at.as_deref().map(parse_ts).transpose()?,
        created_at: parse_ts(created_at.as_deref().unwrap_or_default())?,
    })
}

fn insert_link(conn: &rusqlite::Connection, link: &SetPasswordLink) -> Result<(), Fault> {
    conn.prepare_cached(
        "INSERT INTO staff_links (secret_hash, email, expires_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![link.secret_hash, link.email, ts(link.expires_at)])?;
    Ok(())
}

type TokenRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn token_from(t: TokenRow) -> Result<IssuedToken, StoreError> {
    Ok(IssuedToken {
        id: t.0,
        email: t.1,
        name: t.2,
        role: t.3,
        issued_at: parse_ts(&t.4)?,
        expires_at: parse_ts(&t.5)?,
        revoked_at: t.6.as_deref().map(parse_ts).transpose()?,
    })
}

const TOKEN_COLUMNS: &str = "id, email, name, role, issued_at, expires_at, revoked_at";

fn token_row(r: &Row) -> rusqlite::Result<TokenRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

#[async_trait]
impl StaffAccountStore for SqliteStore {
    async fn add_account(
        &self,
        account: &StaffAccount,
        link: &SetPasswordLink,
    ) -> Result<(), StoreError> {
        let (a, link) = (account.clone(), link.clone());
        self.write(Box::new(move |conn| {
            let inserted = conn
                .prepare_cached(&format!(
                    "INSERT INTO staff_accounts ({ACCOUNT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                ))?
                .execute(params![
                    a.email,
                    a.name,
                    a.role,
                    a.password_hash,
                    a.disabled_at.map(ts),
                    ts(a.created_at)
                ]);
            match inserted {
                Ok(_) => {}
                Err(e) if is_constraint(&e) => {
                    return Err(Fault::Logical(StoreError::DuplicateKey))
                }
                Err(e) => return Err(e.into()),
            }
            insert_link(conn, &link)?;
            Ok(1)
        }))
        .await
        .map(|_| ())
    }

    async fn accounts(&self) -> Result<Vec<StaffAccount>, StoreError> {
        let rows = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM staff_accounts ORDER BY email"
                ))?;
                let rows = stmt.query_map([], |r| account_of(r, 0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        rows.into_iter().map(account_from).collect()
    }

    async fn account(&self, email: &str) -> Result<Option<StaffAccount>, StoreError> {
        let email = email.to_string();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM staff_accounts WHERE email = ?1"
                    ))?
                    .query_row([email], |r| account_of(r, 0))
                    .optional()?)
            })
            .await?;
        row.map(account_from).transpose()
    }

    async fn set_role(&self, email: &str, role: &str) -> Result<bool, StoreError> {
        let (email, role) = (email.to_string(), role.to_string());
        let n = self
            .write(Box::new(move |conn| {
                Ok(conn
                    .prepare_cached("UPDATE staff_accounts SET role = ?2 WHERE email = ?1")?
                    .execute(params![email, role])? as i64)
            }))
            .await?;
        Ok(n > 0)
    }

    async fn disable(&self, email: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let email = email.to_string();
        let n = self
            .write(Box::new(move |conn| {
                let n = conn
                    .prepare_cached(
                        "UPDATE staff_accounts SET disabled_at = ifnull(disabled_at, ?2)
                         WHERE email = ?1",
                    )?
                    .execute(params![email, ts(at)])?;
                if n == 0 {
                    return Ok(0);
                }
                conn.prepare_cached("DELETE FROM staff_sessions WHERE email = ?1")?
                    .execute([&email])?;
                conn.prepare_cached("DELETE FROM staff_links WHERE email = ?1")?
                    .execute([&email])?;
                conn.prepare_cached(
                    "UPDATE staff_tokens SET revoked_at = ?2
                     WHERE email = ?1 AND revoked_at IS NULL",
                )?
                .execute(params![email, ts(at)])?;
                Ok(1)
            }))
            .await?;
        Ok(n > 0)
    }

    async fn add_link(&self, link: &SetPasswordLink) -> Result<bool, StoreError> {
        let link = link.clone();
        let n = self
            .write(Box::new(move |conn| {
                let enabled = conn
                    .prepare_cached(
                        "SELECT 1 FROM staff_accounts WHERE email = ?1 AND disabled_at IS NULL",
                    )?
                    .query_row([&link.email], |_| Ok(()))
                    .optional()?;
                if enabled.is_none() {
                    return Ok(0);
                }
                insert_link(conn, &link)?;
                Ok(1)
            }))
            .await?;
        Ok(n > 0)
    }

    async fn link(&self, secret_hash: &str) -> Result<Option<SetPasswordLink>, StoreError> {
        let key = secret_hash.to_string();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT secret_hash, email, expires_at FROM staff_links
                         WHERE secret_hash = ?1",
                    )?
                    .query_row([key], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })
                    .optional()?)
            })
            .await?;
        row.map(|(secret_hash, email, expires)| {
            Ok(SetPasswordLink {
                secret_hash,
                email,
                expires_at: parse_ts(&expires)?,
            })
        })
        .transpose()
    }

    async fn use_link(
        &self,
        secret_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let Some(link) = self.link(secret_hash).await? else {
            return Ok(None);
        };
        let (key, hash, email) = (
            secret_hash.to_string(),
            password_hash.to_string(),
            link.email.clone(),
        );
        let n = self
            .write(Box::new(move |conn| {
                // Deleting the link is what makes it single use: only the job that deletes
                // it (the row still there, unexpired) sets the password.
                let used = conn
                    .prepare_cached(
                        "DELETE FROM staff_links WHERE secret_hash = ?1 AND expires_at > ?2",
                    )?
                    .execute(params![key, ts(now)])?;
                if used == 0 {
                    return Ok(0);
                }
                let set = conn
                    .prepare_cached(
                        "UPDATE staff_accounts SET password_hash = ?2
                         WHERE email = ?1 AND disabled_at IS NULL",
                    )?
                    .execute(params![email, hash])?;
                if set == 0 {
                    return Ok(0);
                }
                conn.prepare_cached("DELETE FROM staff_links WHERE email = ?1")?
                    .execute([&email])?;
                conn.prepare_cached("DELETE FROM staff_sessions WHERE email = ?1")?
                    .execute([&email])?;
                Ok(1)
            }))
            .await?;
        Ok((n > 0).then_some(link.email))
    }

    async fn add_session(&self, s: &Session) -> Result<(), StoreError> {
        let s = s.clone();
        self.write(Box::new(move |conn| {
            conn.prepare_cached(
                "INSERT INTO staff_sessions (id_hash, email, created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                s.id_hash,
                s.email,
                ts(s.created_at),
                ts(s.last_seen_at)
            ])?;
            Ok(1)
        }))
        .await
        .map(|_| ())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<(Session, StaffAccount)>, StoreError> {
        let key = id_hash.to_string();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT s.id_hash, s.created_at, s.last_seen_at,
                                a.email, a.name, a.role, a.password_hash, a.disabled_at, a.created_at
                         FROM staff_sessions AS s JOIN staff_accounts AS a ON a.email = s.email
                         WHERE s.id_hash = ?1",
                    )?
                    .query_row([key], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            account_of(r, 3)?,
                        ))
                    })
                    .optional()?)
            })
            .await?;
        let Some((id_hash, created, seen, account)) = row else {
            return Ok(None);
        };
        let account = account_from(account)?;
        Ok(Some((
            Session {
                id_hash,
                email: account.email.clone(),
                created_at: parse_ts(&created)?,
                last_seen_at: parse_ts(&seen)?,
            },
            account,
        )))
    }

    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let key = id_hash.to_string();
        self.write(Box::new(move |conn| {
            Ok(conn
                .prepare_cached(
                    "UPDATE staff_sessions SET last_seen_at = max(last_seen_at, ?2)
                     WHERE id_hash = ?1",
                )?
                .execute(params![key, ts(at)])? as i64)
        }))
        .await
        .map(|_| ())
    }

    async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let key = id_hash.to_string();
        self.write(Box::new(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM staff_sessions WHERE id_hash = ?1")?
                .execute([key])? as i64)
        }))
        .await
        .map(|_| ())
    }

    async fn failures(&self, email_hash: &str) -> Result<Option<Failures>, StoreError> {
        let key = email_hash.to_string();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT failures, last_at FROM sign_in_failures WHERE email_hash = ?1",
                    )?
                    .query_row([key], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                    .optional()?)
            })
            .await?;
        row.map(|(count, last)| {
            Ok(Failures {
                count: count.clamp(0, u32::MAX as i64) as u32,
                last_at: parse_ts(&last)?,
            })
        })
        .transpose()
    }

    async fn record_failure(&self, email_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let key = email_hash.to_string();
        self.write(Box::new(move |conn| {
            Ok(conn
                .prepare_cached(
                    "INSERT INTO sign_in_failures (email_hash, failures, last_at) VALUES (?1, 1, ?2)
                     ON CONFLICT (email_hash) DO UPDATE
                     SET failures = failures + 1, last_at = excluded.last_at",
                )?
                .execute(params![key, ts(at)])? as i64)
        }))
        .await
        .map(|_| ())
    }

    async fn clear_failures(&self, email_hash: &str) -> Result<(), StoreError> {
        let key = email_hash.to_string();
        self.write(Box::new(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM sign_in_failures WHERE email_hash = ?1")?
                .execute([key])? as i64)
        }))
        .await
        .map(|_| ())
    }

    async fn add_token(&self, t: &IssuedToken) -> Result<(), StoreError> {
        let t = t.clone();
        self.write(Box::new(move |conn| {
            conn.prepare_cached(&format!(
                "INSERT INTO staff_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))?
            .execute(params![
                t.id,
                t.email,
                t.name,
                t.role,
                ts(t.issued_at),
                ts(t.expires_at),
                t.revoked_at.map(ts)
            ])?;
            Ok(1)
        }))
        .await
        .map(|_| ())
    }

    async fn tokens(&self) -> Result<Vec<IssuedToken>, StoreError> {
        let rows = self
            .read(|conn| {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM staff_tokens ORDER BY issued_at DESC, id"
                ))?;
                let rows = stmt.query_map([], token_row)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        rows.into_iter().map(token_from).collect()
    }

    async fn token(&self, id: &str) -> Result<Option<IssuedToken>, StoreError> {
        let id = id.to_string();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!(
                        "SELECT {TOKEN_COLUMNS} FROM staff_tokens WHERE id = ?1"
                    ))?
                    .query_row([id], token_row)
                    .optional()?)
            })
            .await?;
        row.map(token_from).transpose()
    }

    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let id = id.to_string();
        let n = self
            .write(Box::new(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "UPDATE staff_tokens SET revoked_at = ifnull(revoked_at, ?2) WHERE id = ?1",
                    )?
                    .execute(params![id, ts(at)])? as i64)
            }))
            .await?;
        Ok(n > 0)
    }

    async fn purge(
        &self,
        seen_before: DateTime<Utc>,
        begun_before: DateTime<Utc>,
        failed_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let n = self
            .write(Box::new(move |conn| {
                let sessions = conn
                    .prepare_cached(
                        "DELETE FROM staff_sessions WHERE last_seen_at < ?1 OR created_at < ?2",
                    )?
                    .execute(params![ts(seen_before), ts(begun_before)])?;
                let links = conn
                    .prepare_cached("DELETE FROM staff_links WHERE expires_at <= ?1")?
                    .execute([ts(now)])?;
                let failures = conn
                    .prepare_cached("DELETE FROM sign_in_failures WHERE last_at < ?1")?
                    .execute([ts(failed_before)])?;
                Ok((sessions + links + failures) as i64)
            }))
            .await?;
        Ok(n as u64)
    }
}
