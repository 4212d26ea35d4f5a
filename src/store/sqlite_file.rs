//! The SQLite database file holds password hashes and token digests: it is created
//! readable and writable by its owner only (0600). SQLite gives its `-wal` and `-shm`
//! files the mode of the database file, so they are private too. A file that already
//! exists keeps its mode (the operator may have chosen it), with a warning when others can
//! read it.

use std::path::Path;

use super::OpenError;

/// Creates the database file of a `sqlite:` URL with mode 0600 if it does not exist yet
/// (unless the URL opens it in memory or says how to open it with `mode=`).
pub fn create_private(url: &str) -> Result<(), OpenError> {
    let Some(path) = file_path(url) else {
        return Ok(());
    };
    let path = Path::new(path);
    if path.exists() {
        warn_if_readable_by_others(path);
        return Ok(());
    }
    create_owner_only(path).map_err(|source| OpenError::CreateFile {
        path: path.display().to_string(),
        source,
    })
}

/// The file a `sqlite:` URL names, if it names one that may be created.
pub(crate) fn file_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || query.contains("mode=memory");
    if in_memory || query.contains("mode=") {
        return None;
    }
    Some(path)
}

#[cfg(unix)]
pub(crate) fn create_owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

#[cfg(not(unix))]
pub(crate) fn create_owner_only(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            file = %path.display(),
            "the SQLite database holds password hashes and token digests but others may \
             read it; make it private with `chmod 600` (and its -wal and -shm files)"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_url_is_found_unless_memory_or_a_mode_is_given() {
        assert_eq!(file_path("sqlite://openpxl.db"), Some("openpxl.db"));
        assert_eq!(
            file_path("sqlite:///var/lib/a.db?x=1"),
            Some("/var/lib/a.db")
        );
        assert_eq!(file_path("sqlite:a.db"), Some("a.db"));
        assert_eq!(file_path("sqlite::memory:"), None);
        assert_eq!(file_path("sqlite://a.db?mode=ro"), None);
        assert_eq!(file_path("postgres://h/db"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        create_private(&format!("sqlite://{}", path.display())).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
