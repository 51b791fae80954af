//! Noticing commits made by another process (`p3 import` while `p3 serve` runs), so the
//! server's timer loop looks at the store again at once instead of at its next planned wake.

use std::path::Path;

use p3_domain::ports::StoreError;
use rusqlite::Connection;

use crate::fault::sql_error;
use crate::{open_reader, SqliteStore};

/// A read connection of its own that tells whether anything was committed since it last
/// looked (`PRAGMA data_version`: it moves with every commit of any other connection,
/// including other processes').
pub struct ChangeWatch {
    conn: Connection,
    last: i64,
}

impl std::fmt::Debug for ChangeWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeWatch")
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

fn version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(sql_error)
}

impl ChangeWatch {
    fn open(path: &Path) -> Result<ChangeWatch, StoreError> {
        let conn = open_reader(path).map_err(sql_error)?;
        let last = version(&conn)?;
        Ok(ChangeWatch { conn, last })
    }

    /// True when a commit happened since the last call (or since the watch was made).
    pub fn changed(&mut self) -> Result<bool, StoreError> {
        let now = version(&self.conn)?;
        let changed = now != self.last;
        self.last = now;
        Ok(changed)
    }
}

impl SqliteStore {
    /// A watch on commits to this store's file by any connection.
    pub fn change_watch(&self) -> Result<ChangeWatch, StoreError> {
        ChangeWatch::open(self.path())
    }
}
