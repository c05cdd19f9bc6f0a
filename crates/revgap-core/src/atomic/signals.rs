//! The temporary files of atomic writes under way, removed when SIGINT, SIGTERM or SIGHUP ends
//! the process: a report interrupted half-way leaves neither a damaged target nor a stray
//! `.revgap-*.tmp` beside it. A watcher thread (signal-hook's iterator: nothing runs inside
//! the signal handler itself) is started with the first atomic write; it removes the
//! registered files and then ends the process as the signal would have, unless a front end
//! that handles ending signals itself (the explorer, which restores the terminal first) has
//! said so, in which case it only removes the files.
//!
//! Owns the registry of temporary paths and the watcher; uses nothing else of revgap.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

static UNDER_WAY: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static WATCHER: Once = Once::new();
static ENDING_HANDLED_ELSEWHERE: AtomicBool = AtomicBool::new(false);

const ENDING: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

/// The explorer ends on these signals itself (restoring the terminal): the watcher only
/// removes temporary files then.
pub fn ending_signals_handled_elsewhere() {
    ENDING_HANDLED_ELSEWHERE.store(true, Ordering::SeqCst);
}

fn registry() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    UNDER_WAY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A temporary file registered for removal on an ending signal; unregistered when dropped
/// (after the write renamed or removed it).
pub struct Registered(PathBuf);

impl Registered {
    /// Makes a temporary file with `create` and registers it; the registry is held while it
    /// is made, so an ending signal in between still finds (and removes) it.
    pub fn create<T>(
        create: impl FnOnce() -> std::io::Result<T>,
        path_of: impl Fn(&T) -> &Path,
    ) -> std::io::Result<(Self, T)> {
        WATCHER.call_once(start_watcher);
        let mut paths = registry();
        let made = create()?;
        let path = path_of(&made).to_path_buf();
        paths.push(path.clone());
        // The registration is declared first so it is dropped last: the file is removed
        // (or renamed) before it leaves the registry.
        Ok((Self(path), made))
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut paths = registry();
        if let Some(at) = paths.iter().position(|p| *p == self.0) {
            paths.swap_remove(at);
        }
    }
}

fn start_watcher() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new(ENDING) else {
        tracing::warn!("cannot watch for ending signals: temporary files may stay on a kill");
        return;
    };
    let started = std::thread::Builder::new()
        .name("revgap-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                // The lock is held to the end: a write cannot register a new file after the
                // sweep and before the process ends.
                let paths = registry();
                for path in paths.iter() {
                    let _ = std::fs::remove_file(path);
                }
                if ENDING_HANDLED_ELSEWHERE.load(Ordering::SeqCst) {
                    continue;
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                // Not reached for these signals (their default ends the process); kept so an
                // ignored one still ends the run with the shell's code for it.
                signal_hook::low_level::exit(128 + signal);
            }
        });
    if started.is_err() {
        tracing::warn!("cannot start the signal watcher: temporary files may stay on a kill");
    }
}
