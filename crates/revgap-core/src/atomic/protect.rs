//! The files this process reads or keeps (data, customers, contacts, config, the ledger and
//! its journal files, snapshots), so that no write of this process replaces one of them. Every
//! loader registers what it opens; every atomic write checks its target here first. "The same
//! file" is judged after resolving links: the same device and inode when both exist (hard links
//! too), else the same resolved path (a ledger that is about to be created).
//!
//! Owns only the registry; it may use nothing of revgap but `text` (to show a path safely).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One registered file.
#[derive(Debug, Clone)]
struct Kept {
    /// What it is, for the message ("the spend file", "the ledger").
    role: &'static str,
    shown: PathBuf,
    resolved: PathBuf,
}

static KEPT: Mutex<Vec<Kept>> = Mutex::new(Vec::new());

/// The (device, inode) of an existing file, following links.
fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The path with links resolved; for a file that does not exist yet, its resolved directory
/// and its name.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(directory), Some(name)) => directory.join(name),
        _ => path.to_path_buf(),
    }
}

/// Registers `path` as a file this process reads or keeps (`role` names it in messages).
pub fn protect(path: &Path, role: &'static str) {
    let kept = Kept {
        role,
        shown: path.to_path_buf(),
        resolved: resolved(path),
    };
    let mut registry = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !registry.iter().any(|k| k.resolved == kept.resolved) {
        registry.push(kept);
    }
}

/// Registers a SQLite database and the journal files SQLite keeps beside it.
pub fn protect_database(path: &Path, role: &'static str) {
    protect(path, role);
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        protect(Path::new(&name), role);
    }
}

/// Why `target` may not be written: it is one of the registered files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{target} is {role} this command reads ({kept}); refusing to overwrite it, expected a different output path"
)]
pub struct WouldOverwrite {
    pub target: String,
    pub role: &'static str,
    pub kept: String,
}

/// Refuses `target` when it is (after resolving links) a file this process reads or keeps.
pub fn check_target(target: &Path) -> Result<(), WouldOverwrite> {
    let target_identity = identity(target);
    let target_resolved = resolved(target);
    let registry = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Identities are read now, not when registered: a file made since (a new ledger) is
    // seen, and an inode freed and reused since is not mistaken for it.
    let same = |kept: &&Kept| match (target_identity, identity(&kept.resolved)) {
        (Some(a), Some(b)) => a == b,
        _ => kept.resolved == target_resolved,
    };
    match registry.iter().find(same) {
        Some(kept) => Err(WouldOverwrite {
            target: crate::text::one_line(&target.display().to_string()).into_owned(),
            role: kept.role,
            kept: crate::text::one_line(&kept.shown.display().to_string()).into_owned(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_file_is_refused_through_links_and_other_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("spend.csv");
        std::fs::write(&data, "x").unwrap();
        protect(&data, "the spend file");
        let link = dir.path().join("link.csv");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&data, &link).unwrap();
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&data, &hard).unwrap();
        let dotted = dir.path().join(".").join("spend.csv");
        for target in [&data, &link, &hard, &dotted] {
            let refused = check_target(target).unwrap_err();
            assert_eq!(refused.role, "the spend file");
            assert!(
                refused.to_string().contains("refusing to overwrite"),
                "{refused}"
            );
        }
        assert!(check_target(&dir.path().join("report.md")).is_ok());
    }

    #[test]
    fn a_database_that_does_not_exist_yet_and_its_journal_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.sqlite");
        protect_database(&ledger, "the ledger");
        assert!(check_target(&ledger).is_err());
        assert!(check_target(&dir.path().join("ledger.sqlite-wal")).is_err());
        // Created after it was registered: still the same file.
        std::fs::write(&ledger, "").unwrap();
        assert!(check_target(&ledger).is_err());
    }
}
