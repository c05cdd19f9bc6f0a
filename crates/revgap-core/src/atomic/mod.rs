//! Every file revgap writes goes through here: streamed into a temporary file in the target's
//! own directory, synced, then renamed over the target. A kill, a crash or a full disk at any
//! moment leaves either the old file or the new one, never a mixture, and the temporary file is
//! removed on every error path and on SIGINT, SIGTERM and SIGHUP (`signals`). A target that is
//! one of the files the process reads or keeps (`protect`) is refused before anything is
//! written. A replaced file keeps its mode; a new one gets what the umask allows of 0644
//! (reports) or 0600 (files that may hold customer data or generated text).

pub mod protect;
pub mod signals;

pub use protect::{WouldOverwrite, check_target, protect, protect_database};
pub use signals::ending_signals_handled_elsewhere;

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Who may read a new file (a replaced file keeps the mode it had).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The owner only (0600, less what the umask takes): caches, logs, exports of customer
    /// data.
    Private,
    /// 0644 less what the umask takes (0666 & !umask): reports and samples the user asked for
    /// with `--out`.
    Shared,
}

/// Writes `path` atomically from what `fill` streams into the writer.
pub fn write_with(
    path: &Path,
    access: Access,
    fill: impl FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
) -> io::Result<()> {
    check_target(path).map_err(|refused| io::Error::new(io::ErrorKind::InvalidInput, refused))?;
    let kept_mode = match std::fs::metadata(path) {
        // A device or a pipe (`--out /dev/stdout`, a FIFO) is written to, never replaced:
        // renaming over /dev/null would turn it into a file.
        Ok(meta) if !meta.is_file() => {
            let file = std::fs::OpenOptions::new().write(true).open(path)?;
            let mut writer = BufWriter::with_capacity(1 << 20, file);
            fill(&mut writer)?;
            return writer.flush();
        }
        // Through a symlink the file it points to is replaced, and the link stays a link.
        Ok(meta) => {
            if let Ok(real) = std::fs::canonicalize(path)
                && real != path
            {
                return write_with(&real, access, fill);
            }
            Some(meta.permissions())
        }
        Err(_) => None,
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".revgap-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(new_file_permissions(access));
    #[cfg(not(unix))]
    let _ = access;
    let (_registered, temporary) = signals::Registered::create(
        || {
            builder
                .tempfile_in(directory)
                .map_err(|error| match error.kind() {
                    io::ErrorKind::NotFound => io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("the directory {} does not exist", directory.display()),
                    ),
                    kind => io::Error::from(kind),
                })
        },
        |file| file.path(),
    )?;
    if let Some(permissions) = kept_mode {
        std::fs::set_permissions(temporary.path(), permissions)?;
    }
    {
        let behind = WriteBehind::new(temporary.as_file());
        let mut writer = BufWriter::with_capacity(1 << 20, behind);
        fill(&mut writer)?;
        writer.flush()?;
    }
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    // The rename itself survives a crash only once the directory is synced.
    if let Ok(dir) = std::fs::File::open(directory) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// How much written data may wait in the page cache before its writeback is started.
const WRITE_BEHIND_BYTES: u64 = 32 << 20;

/// A file whose written data starts going to disk as it is written (Linux: `sync_file_range`
/// every `WRITE_BEHIND_BYTES`), so the closing sync waits for the last few megabytes, not for
/// the whole report: a gigabyte report's sync would otherwise start only after the last byte.
/// It changes when data reaches the disk, never what is written or whether the sync happens.
struct WriteBehind<'f> {
    file: &'f std::fs::File,
    written: u64,
    started: u64,
}

impl<'f> WriteBehind<'f> {
    fn new(file: &'f std::fs::File) -> Self {
        Self {
            file,
            written: 0,
            started: 0,
        }
    }

    fn start_writeback(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: the descriptor is the open file borrowed for the writer's life; the call
            // only starts writeback of a range already written and reads no memory of ours.
            // Its failure costs nothing but the overlap: the closing sync still syncs it all.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    self.started as libc::off64_t,
                    (self.written - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        self.started = self.written;
    }
}

impl Write for WriteBehind<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = (&mut &*self.file).write(bytes)?;
        self.written += written as u64;
        if self.written - self.started >= WRITE_BEHIND_BYTES {
            self.start_writeback();
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&mut &*self.file).flush()
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, access: Access, bytes: &[u8]) -> io::Result<()> {
    write_with(path, access, |writer| writer.write_all(bytes))
}

/// Creates `directory` (and parents) owner-only (0700) when it does not exist.
pub fn private_dir(directory: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(directory)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(directory)
    }
}

/// The mode a new file is created with (the umask then takes its part, as for any file).
#[cfg(unix)]
fn new_file_permissions(access: Access) -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(match access {
        Access::Private => 0o600,
        Access::Shared => 0o666,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.json");
        std::fs::write(&target, "old").unwrap();
        let failed = write_with(&target, Access::Shared, |writer| {
            writer.write_all(b"half of the new")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
        write(&target, Access::Shared, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_written_to_and_links_stay_links() {
        let null = Path::new("/dev/null");
        write(null, Access::Shared, b"report").unwrap();
        let meta = std::fs::metadata(null).unwrap();
        assert!(!meta.is_file(), "/dev/null is still a device");
        let full = write(Path::new("/dev/full"), Access::Shared, b"report");
        assert!(full.is_err(), "a full device reports the error");
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.md");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.md");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write(&link, Access::Shared, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let missing = write(&dir.path().join("no/such/dir/r.md"), Access::Shared, b"x");
        let message = missing.unwrap_err().to_string();
        assert!(
            message.contains("does not exist") && !message.contains(".revgap-"),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn private_files_and_directories_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("cache/llm");
        private_dir(&nested).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&nested), 0o700);
        let file = nested.join("entry.json");
        write(&file, Access::Private, b"{}").unwrap();
        assert_eq!(mode(&file), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        for (kept, access) in [
            (0o600, Access::Shared),
            (0o640, Access::Shared),
            (0o644, Access::Private),
        ] {
            let report = dir.path().join(format!("report-{kept:o}.md"));
            std::fs::write(&report, "old").unwrap();
            std::fs::set_permissions(&report, std::fs::Permissions::from_mode(kept)).unwrap();
            write(&report, access, b"new").unwrap();
            assert_eq!(mode(&report), kept, "{kept:o}");
            assert_eq!(std::fs::read_to_string(&report).unwrap(), "new");
        }
    }

    #[test]
    fn a_file_the_process_reads_is_never_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("weekly_spend.csv");
        std::fs::write(&data, "customer_id,week_start_date,weekly_spend\n").unwrap();
        protect(&data, "the spend file");
        let refused = write(&data, Access::Shared, b"# report").unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
        assert!(
            refused.to_string().contains("is the spend file"),
            "{refused}"
        );
        assert_eq!(
            std::fs::read_to_string(&data).unwrap(),
            "customer_id,week_start_date,weekly_spend\n"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
