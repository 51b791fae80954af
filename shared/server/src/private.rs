//! Owner-only files: the data dir is 0700 and everything `p3 serve` writes in it 0600 (the
//! store and its write-ahead log, the signing key, the outbox), created so from the first
//! byte, never widened afterwards. A signing key others can read stops start-up: anyone who
//! could read it could sign themselves a staff token.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Mode of the folders `p3` keeps personal data in.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the files in them.
pub const FILE_MODE: u32 = 0o600;

/// Makes every file and folder this process creates from now on owner-only, whatever mode
/// the code creating it asks for (exports, backups, SQLite's own files).
pub fn owner_only_from_now() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file mode creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` (and any missing parent) owner-only; an existing one is narrowed to
/// owner-only (a folder someone else owns is left as it is, with a warning: the files in it
/// are owner-only either way).
pub fn create_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    if let Err(e) = narrow(dir, DIR_MODE) {
        tracing::warn!(error = %format!("{e:#}"), "data folder left open to other users");
    }
    Ok(())
}

/// Creates (or truncates) a file that only its owner can read or write.
pub fn create_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A file that existed keeps its mode through `open`: set it.
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

/// Narrows an existing file or folder to `mode` if group or others have any access to it
/// (a data dir made by an earlier version); a missing one is left alone.
pub fn narrow(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).with_context(
                || {
                    format!(
                        "{} can be read by other users and cannot be made owner-only",
                        path.display()
                    )
                },
            )?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Prepares the data dir: owner-only, the store's files too (SQLite gives its write-ahead log
/// and shared-memory files the mode of the store itself, so the store is created 0600 before
/// SQLite opens it).
pub fn prepare_data_dir(data_dir: &Path, store: &Path) -> anyhow::Result<()> {
    create_dir(data_dir)?;
    if !store.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
        match options.open(store) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", store.display())),
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = store.as_os_str().to_owned();
        name.push(suffix);
        narrow(Path::new(&name), FILE_MODE)?;
    }
    Ok(())
}

/// Reads the signing key from the data dir, creating it on first use: written to a temporary
/// file created owner-only (never readable by others, not even for a moment), synced, then
/// renamed into place. A key that group or others may read stops `p3` with a message naming
/// the file.
pub fn signing_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    create_dir(data_dir)?;
    let path = data_dir.join("signing.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            refuse_if_shared(&path)?;
            let text = text.trim();
            let key: Vec<u8> = (0..text.len() / 2)
                .filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            anyhow::ensure!(
                key.len() >= 32,
                "{} is not a valid signing key; delete it to make a new one",
                path.display()
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("randomness: {e}"))?;
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            let tmp = data_dir.join("signing.key.tmp");
            let mut file =
                create_file(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
            file.write_all(hex.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            Ok(key.to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Stops with a clear message when a secret file can be read by anyone but its owner.
fn refuse_if_shared(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .permissions()
            .mode();
        anyhow::ensure!(
            mode & 0o077 == 0,
            "{} can be read by other users (mode {:o}); anyone who reads it can sign staff \
             tokens. Make it owner-only (chmod 600 {}) and consider deleting it to make a new \
             key, which signs out every token issued so far",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_key_is_owner_only_and_a_shared_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let key = signing_key(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("signing.key")), 0o600);
        assert_eq!(signing_key(&data).unwrap(), key);
        std::fs::set_permissions(
            data.join("signing.key"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        let e = signing_key(&data).unwrap_err().to_string();
        assert!(e.contains("signing.key") && e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn a_data_dir_open_to_others_is_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let store = data.join("p3.db");
        prepare_data_dir(&data, &store).unwrap();
        assert_eq!((mode(&data), mode(&store)), (0o700, 0o600));
    }
}
