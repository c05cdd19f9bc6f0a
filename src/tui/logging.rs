//! The explorer logs to a file, never to the terminal it draws on.
//!
//! File: `$REVGAP_LOG_FILE`, else `revgap.log` in the user cache directory
//! (`~/.cache/revgap/` on Linux). Level: `$REVGAP_LOG` (default `info`).

use std::path::PathBuf;

/// Where the log goes.
pub fn log_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REVGAP_LOG_FILE") {
        return Some(PathBuf::from(path));
    }
    directories::ProjectDirs::from("", "", "revgap").map(|dirs| dirs.cache_dir().join("revgap.log"))
}

/// Starts file logging; returns the path used (None when no file could be opened, in which
/// case nothing is logged rather than anything reaching the screen).
pub fn init() -> Option<PathBuf> {
    let path = log_path()?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::atomic::private_dir(parent).ok()?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path).ok()?;
    #[cfg(unix)]
    {
        // A log created by an older revgap may be world-readable.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    let filter = std::env::var("REVGAP_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(path)
}
