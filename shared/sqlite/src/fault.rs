//! How SQLite and JSON failures become the domain's `StoreError`.

use chrono::{DateTime, SecondsFormat, Utc};
use p3_domain::ports::StoreError;
use rusqlite::ErrorCode;

/// A failure inside a job or a read: a decision about this one job (conflict, duplicate key,
/// unreadable JSON) or an SQLite fault that may have lost the transaction.
#[derive(Debug)]
pub enum Fault {
    /// Only this job fails; the batch goes on.
    Logical(StoreError),
    /// SQLite failed; the batch is abandoned.
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for Fault {
    fn from(e: rusqlite::Error) -> Self {
        Fault::Sql(e)
    }
}

impl From<StoreError> for Fault {
    fn from(e: StoreError) -> Self {
        Fault::Logical(e)
    }
}

impl From<Fault> for StoreError {
    fn from(f: Fault) -> Self {
        match f {
            Fault::Logical(e) => e,
            Fault::Sql(e) => sql_error(e),
        }
    }
}

/// Maps an SQLite error: damaged files and unreadable values are `Corrupt`, everything else
/// (full disk, I/O error, cannot open, read-only, busy, closed) is `Unavailable`.
pub fn sql_error(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) =>
        {
            StoreError::Corrupt(e.to_string())
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Unavailable(e.to_string()),
    }
}

/// True for a UNIQUE / PRIMARY KEY clash.
pub fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

/// Parses stored JSON; a failure means the file holds data this build cannot read.
pub fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Serialises a value for storage.
pub fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A fixed-width RFC 3339 instant (nanoseconds, `Z`), so text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Reads an instant written by [`ts`].
pub fn parse_ts(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("instant `{text}`: {e}")))
}
