//! Backups of the store: one self-contained SQLite file holding a consistent copy of the store
//! (`VACUUM INTO`, which reads one snapshot while writers carry on) and, in two extra tables,
//! when it was made and the other files of the data dir the host hands over (the signing key,
//! the outbox, the monthly exports). Restoring copies it, takes those files out and drops the
//! two tables, so what is left is the store as it was.

use std::path::Path;

use chrono::{DateTime, Utc};
use p3_domain::ports::StoreError;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::fault::sql_error;
use crate::schema::SCHEMA_VERSION;

/// The table of the data dir's other files in a backup.
const FILES: &str = "p3_backup_files";
/// The table of facts about a backup (when, which schema).
const ABOUT: &str = "p3_backup";

/// A file of the data dir to put in a backup: its path relative to the data dir (with `/`),
/// its permission bits and where to read it now.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// Relative path, `/`-separated, e.g. `outbox/CMP-2026-00001.....eml`.
    pub name: String,
    /// Unix permission bits to restore (e.g. 0o600).
    pub mode: u32,
    /// Where it is now.
    pub source: std::path::PathBuf,
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// The store's schema version.
    pub schema_version: i64,
    /// Cases in it.
    pub cases: i64,
    /// Other files of the data dir in it.
    pub files: i64,
}

fn io(what: &str, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("{what}: {e}"))
}

fn sync_file(path: &Path) -> Result<(), StoreError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(&format!("cannot sync {}", path.display()), e))
}

/// Writes a backup of the store at `db` to `out` (which must not exist yet: the caller writes
/// to a temporary name and renames it once this returns). The store may be in use: the copy is
/// the state of one instant, whatever is committed meanwhile.
pub fn write_backup(
    db: &Path,
    out: &Path,
    files: &[DataFile],
    created_at: DateTime<Utc>,
) -> Result<BackupInfo, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let source = Connection::open_with_flags(db, flags).map_err(sql_error)?;
    source
        .busy_timeout(std::time::Duration::from_secs(30))
        .map_err(sql_error)?;
    let target = out
        .to_str()
        .ok_or_else(|| StoreError::Refused(format!("{} is not a UTF-8 path", out.display())))?;
    source
        .execute("VACUUM INTO ?1", [target])
        .map_err(sql_error)?;
    drop(source);

    let conn = Connection::open(out).map_err(sql_error)?;
    let _: String = conn
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(sql_error)?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL;
         BEGIN;
         CREATE TABLE {ABOUT} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
         CREATE TABLE {FILES} (name TEXT PRIMARY KEY NOT NULL, mode INTEGER NOT NULL, content BLOB NOT NULL);"
    ))
    .map_err(sql_error)?;
    {
        let mut put = conn
            .prepare(&format!(
                "INSERT INTO {FILES} (name, mode, content) VALUES (?1, ?2, ?3)"
            ))
            .map_err(sql_error)?;
        for f in files {
            // A file that went away since it was listed (an outbox file sent on) is left out.
            let bytes = match std::fs::read(&f.source) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&format!("cannot read {}", f.source.display()), e)),
            };
            put.execute(params![f.name, f.mode, bytes])
                .map_err(sql_error)?;
        }
        let mut about = conn
            .prepare(&format!("INSERT INTO {ABOUT} (key, value) VALUES (?1, ?2)"))
            .map_err(sql_error)?;
        about
            .execute(params![
                "created_at",
                created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ])
            .map_err(sql_error)?;
        about
            .execute(params!["p3_version", env!("CARGO_PKG_VERSION")])
            .map_err(sql_error)?;
    }
    conn.execute_batch("COMMIT").map_err(sql_error)?;
    let info = info_of(&conn)?;
    drop(conn);
    sync_file(out)?;
    Ok(info)
}

fn info_of(conn: &Connection) -> Result<BackupInfo, StoreError> {
    let not_backup = || StoreError::Corrupt("this file is not a p3 backup".into());
    let has_about: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [ABOUT],
            |r| r.get(0),
        )
        .map_err(|_| not_backup())?;
    if !has_about {
        return Err(not_backup());
    }
    let created_at: Option<String> = conn
        .query_row(
            &format!("SELECT value FROM {ABOUT} WHERE key = 'created_at'"),
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_error)?;
    let schema_version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql_error)?;
    let cases: i64 = conn
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .map_err(|_| not_backup())?;
    let files: i64 = conn
        .query_row(&format!("SELECT count(*) FROM {FILES}"), [], |r| r.get(0))
        .map_err(|_| not_backup())?;
    Ok(BackupInfo {
        created_at: created_at.ok_or_else(not_backup)?,
        schema_version,
        cases,
        files,
    })
}

/// Checks a backup file without changing it: a p3 backup, whole (`PRAGMA integrity_check`),
/// of a schema this build can open.
pub fn check_backup(file: &Path) -> Result<BackupInfo, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(file, flags).map_err(sql_error)?;
    let ok: String = conn
        .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
        .map_err(|e| StoreError::Corrupt(format!("cannot read the backup: {e}")))?;
    if ok != "ok" {
        return Err(StoreError::Corrupt(format!("the backup is damaged: {ok}")));
    }
    let info = info_of(&conn)?;
    if info.schema_version > SCHEMA_VERSION {
        return Err(StoreError::Refused(format!(
            "the backup has schema version {}; this build understands up to {SCHEMA_VERSION}",
            info.schema_version
        )));
    }
    Ok(info)
}

/// Where [`unpack_backup`] hands each file: its name, mode and content.
pub type PutFile<'a> = dyn FnMut(&str, u32, &[u8]) -> std::io::Result<()> + 'a;

/// Turns a copy of a backup (at `db`, already checked) into a store: hands each of the data
/// dir's files to `put` (name, mode, content) and drops the backup's own tables.
pub fn unpack_backup(db: &Path, put: &mut PutFile<'_>) -> Result<(), StoreError> {
    let conn = Connection::open(db).map_err(sql_error)?;
    {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT name, mode, content FROM {FILES} ORDER BY name"
            ))
            .map_err(sql_error)?;
        let mut rows = stmt.query([]).map_err(sql_error)?;
        while let Some(row) = rows.next().map_err(sql_error)? {
            let name: String = row.get(0).map_err(sql_error)?;
            let mode: u32 = row.get(1).map_err(sql_error)?;
            let content: Vec<u8> = row.get(2).map_err(sql_error)?;
            put(&name, mode, &content).map_err(|e| io(&format!("cannot restore {name}"), e))?;
        }
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL; BEGIN; DROP TABLE {FILES}; DROP TABLE {ABOUT}; COMMIT;"
    ))
    .map_err(sql_error)?;
    drop(conn);
    sync_file(db)
}
