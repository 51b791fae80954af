//! Who is using a data dir. `p3 serve`, `p3 import` and `p3 backup` hold a shared lock on
//! `<data-dir>/p3.lock` while they run; `p3 restore` needs it exclusively, so it refuses a
//! data dir in use, and nothing starts on a data dir while a restore is writing it. The lock
//! is the operating system's (`flock`): it goes with the process, so a server killed with
//! SIGKILL or a power cut leaves no stale lock behind. SQLite's own locks cannot tell this: a
//! server between two writes holds none.

use std::fs::File;
use std::path::Path;

/// The lock file's name in the data dir (never backed up).
pub const LOCK_FILE: &str = "p3.lock";

/// A held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it in a way that excludes us.
    #[error("in use")]
    Busy,
    /// The lock file could not be opened.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn open(dir: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(dir.join(LOCK_FILE))
}

#[cfg(unix)]
fn flock(file: &File, exclusive: bool) -> Result<(), LockError> {
    use std::os::unix::io::AsRawFd;
    let op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    } | libc::LOCK_NB;
    // SAFETY: flock on a file descriptor this `File` owns and keeps open.
    if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Err(LockError::Busy)
    } else {
        Err(LockError::Io(e))
    }
}

#[cfg(not(unix))]
fn flock(_file: &File, _exclusive: bool) -> Result<(), LockError> {
    Ok(())
}

impl DataDirLock {
    /// For work that may run beside others on the same data dir (serving, importing, backing
    /// up); `Busy` only while a restore holds it.
    pub fn shared(dir: &Path) -> Result<DataDirLock, LockError> {
        let file = open(dir)?;
        flock(&file, false)?;
        Ok(DataDirLock { _file: file })
    }

    /// For a restore: `Busy` while anything else holds it.
    pub fn exclusive(dir: &Path) -> Result<DataDirLock, LockError> {
        let file = open(dir)?;
        flock(&file, true)?;
        Ok(DataDirLock { _file: file })
    }
}

/// The shared lock, or an error saying a restore is writing the data dir.
pub fn shared_or_explain(dir: &Path) -> anyhow::Result<DataDirLock> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    match DataDirLock::shared(dir) {
        Ok(l) => Ok(l),
        Err(LockError::Busy) => anyhow::bail!(
            "{} is being restored (`p3 restore` holds it); try again when it has finished",
            dir.display()
        ),
        Err(LockError::Io(e)) => {
            anyhow::bail!("cannot lock {}: {e}", dir.join(LOCK_FILE).display())
        }
    }
}
