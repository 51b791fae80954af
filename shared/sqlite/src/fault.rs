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

/// Maps an SQLite error by whether trying again can help. The file or the machine failing
/// (full disk, I/O error, cannot open, read-only, busy, locked, out of memory, interrupted) is
/// `Unavailable`: the same write can succeed once the fault clears, so the client is told to
/// retry. Damaged files and unreadable values are `Corrupt`. Everything else (a statement
/// SQLite cannot run, a value too big, a constraint no caller expected, a misuse of the API) is
/// `Refused`: it fails the same way every time, and a retry would only repeat it.
pub fn sql_error(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                StoreError::Corrupt(e.to_string())
            }
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::OutOfMemory
            | ErrorCode::OperationInterrupted
            | ErrorCode::OperationAborted
            | ErrorCode::FileLockingProtocolFailed
            | ErrorCode::SchemaChanged
            | ErrorCode::PermissionDenied
            | ErrorCode::NoLargeFileSupport => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Refused(e.to_string()),
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Refused(e.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn only_faults_that_can_clear_are_unavailable() {
        use rusqlite::ffi;
        for code in [
            ffi::SQLITE_FULL,
            ffi::SQLITE_IOERR_WRITE,
            ffi::SQLITE_IOERR_FSYNC,
            ffi::SQLITE_BUSY,
            ffi::SQLITE_LOCKED,
            ffi::SQLITE_CANTOPEN,
            ffi::SQLITE_READONLY,
            ffi::SQLITE_NOMEM,
        ] {
            assert!(
                matches!(sql_error(failure(code)), StoreError::Unavailable(_)),
                "{code}"
            );
        }
        for code in [ffi::SQLITE_CORRUPT, ffi::SQLITE_NOTADB] {
            assert!(
                matches!(sql_error(failure(code)), StoreError::Corrupt(_)),
                "{code}"
            );
        }
        for code in [
            ffi::SQLITE_ERROR,
            ffi::SQLITE_TOOBIG,
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
            ffi::SQLITE_MISUSE,
            ffi::SQLITE_RANGE,
        ] {
            assert!(
                matches!(sql_error(failure(code)), StoreError::Refused(_)),
                "{code}"
            );
        }
        assert!(matches!(
            sql_error(rusqlite::Error::InvalidParameterCount(1, 2)),
            StoreError::Refused(_)
        ));
    }

    #[test]
    fn a_statement_sqlite_cannot_run_is_refused_not_unavailable() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let e = conn
            .execute("INSERT INTO no_such_table VALUES (1)", [])
            .unwrap_err();
        assert!(matches!(sql_error(e), StoreError::Refused(_)));
    }
}
