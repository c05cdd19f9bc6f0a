//! Hand-off you can trust (issue 26), items 1–5 and 15: no command writes over a file it
//! reads or keeps, written files keep their mode or get the umask's, an interrupted write
//! leaves no temporary file, readers never create or change a ledger, and `generate` and
//! `backtest` refuse what they cannot do. Every case runs the binary with its default places
//! (ledger, state, cache) in a temporary home.

mod common;

use common::isolated;
use std::path::{Path, PathBuf};
use std::process::Output;

fn run(home: &Path, cwd: &Path, args: &[&str]) -> Output {
    isolated(home)
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A copy of the bundled sample as `data/` in a fresh directory (the working directory of
/// a run with no data flags).
fn sample_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for name in ["weekly_spend.csv", "customers.csv", "contacts.csv"] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("data")
                .join(name),
            data.join(name),
        )
        .unwrap();
    }
    let cwd = dir.path().to_path_buf();
    (dir, cwd)
}

/// A campaign in a ledger of `home`: (ledger path, campaign id).
fn campaign(home: &Path, cwd: &Path) -> (PathBuf, String) {
    let db = home.join("ledger.sqlite");
    let created = run(
        home,
        cwd,
        &[
            "campaign",
            "create",
            "--name",
            "Safety",
            "--top",
            "150",
            "--control",
            "0.3",
            "--format",
            "json",
            "--db",
            db.to_str().unwrap(),
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let document: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    (db, document["campaign_id"].to_string())
}

fn assert_refused(output: &Output, names: &str) {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    let message = stderr(output);
    assert!(
        message.contains("refusing to overwrite") && message.contains(names),
        "{message}"
    );
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
}

#[test]
fn item_01_no_command_writes_over_a_file_it_reads_or_keeps() {
    let home = tempfile::tempdir().unwrap();
    let (_dir, cwd) = sample_copy();
    let spend = cwd.join("data/weekly_spend.csv");
    let before = std::fs::read(&spend).unwrap();
    // No data flags: the default data/ files are inputs too.
    let out = run(
        home.path(),
        &cwd,
        &["analyze", "--out", "data/weekly_spend.csv"],
    );
    assert_refused(&out, "the spend file");
    let out = run(
        home.path(),
        &cwd,
        &["segments", "--out", "data/customers.csv"],
    );
    assert_refused(&out, "the customers file");
    let out = run(
        home.path(),
        &cwd,
        &["cohorts", "--out", "./data/../data/weekly_spend.csv"],
    );
    assert_refused(&out, "the spend file");
    // Through a link, and the config.
    #[cfg(unix)]
    std::os::unix::fs::symlink(&spend, cwd.join("link.csv")).unwrap();
    let out = run(home.path(), &cwd, &["analyze", "--out", "link.csv"]);
    assert_refused(&out, "the spend file");
    std::fs::write(cwd.join("c.toml"), "[report]\ntop_customers = 5\n").unwrap();
    let out = run(
        home.path(),
        &cwd,
        &["analyze", "--config", "c.toml", "--out", "c.toml"],
    );
    assert_refused(&out, "the config file");
    assert_eq!(std::fs::read(&spend).unwrap(), before);

    // The ledger: analyze reads it, export and simulate-outcome read it.
    let (db, id) = campaign(home.path(), &cwd);
    let ledger_bytes = std::fs::read(&db).unwrap();
    let db_text = db.to_str().unwrap();
    for args in [
        vec!["analyze", "--db", db_text, "--out", db_text],
        vec!["campaign", "export", &id, "--db", db_text, "--out", db_text],
        vec![
            "campaign",
            "simulate-outcome",
            &id,
            "--db",
            db_text,
            "--out",
            db_text,
        ],
        vec!["tune", "--db", db_text, "--out", db_text],
    ] {
        let out = run(home.path(), &cwd, &args);
        assert_refused(&out, "the ledger");
    }
    // The default ledger, when no --db is given.
    let default_ledger = home.path().join("data/revgap/ledger.sqlite");
    let out = run(
        home.path(),
        &cwd,
        &["analyze", "--out", default_ledger.to_str().unwrap()],
    );
    assert_refused(&out, "the ledger");
    assert!(!default_ledger.exists());
    assert_eq!(std::fs::read(&db).unwrap(), ledger_bytes);
    let listed = run(
        home.path(),
        &cwd,
        &["campaign", "list", "--db", db_text, "--format", "json"],
    );
    assert!(listed.status.success(), "{}", stderr(&listed));
    // Nothing half-written was left beside the files either.
    for dir in [cwd.clone(), cwd.join("data"), home.path().to_path_buf()] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name();
            assert!(
                !name.to_string_lossy().ends_with(".tmp"),
                "{name:?} in {dir:?}"
            );
        }
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
#[test]
fn item_02_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umasks() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("report.md");
    let run_with_umask = |umask: u32, target: &Path| {
        let mut command = isolated(home.path());
        command.args(["analyze", "--out", target.to_str().unwrap()]);
        // SAFETY: umask is async-signal-safe; it only sets the child's file mode mask.
        unsafe {
            command.pre_exec(move || {
                libc::umask(umask as libc::mode_t);
                Ok(())
            });
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    };
    run_with_umask(0o077, &out);
    assert_eq!(mode(&out), 0o600, "a new report under umask 077");
    let shared = home.path().join("shared.md");
    run_with_umask(0o022, &shared);
    assert_eq!(mode(&shared), 0o644, "a new report under umask 022");
    // Replaced: the mode the file had, whatever the umask.
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
    run_with_umask(0o022, &out);
    assert_eq!(mode(&out), 0o600, "a 0600 report stays 0600");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
    run_with_umask(0o000, &shared);
    assert_eq!(mode(&shared), 0o640);
}

/// Starts `generate` of a large sample, waits for its first temporary file, sends `signal`,
/// and returns what is left in the output directory and how the process ended.
#[cfg(unix)]
fn interrupted_generate(signal: i32) -> (Vec<String>, std::process::ExitStatus) {
    use std::os::unix::process::ExitStatusExt;
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("sample");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("weekly_spend.csv"), "old").unwrap();
    let mut child = isolated(home.path())
        .args([
            "generate",
            "--customers",
            "400000",
            "--weeks",
            "52",
            "--out",
            out.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let temporary = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tmp"))
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while temporary(&out) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no temporary file appeared"
        );
        assert!(child.try_wait().unwrap().is_none(), "generate ended early");
        std::thread::yield_now();
    }
    // SAFETY: kill only sends a signal to the child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(signal), "{status:?}");
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        std::fs::read_to_string(out.join("weekly_spend.csv")).unwrap(),
        "old"
    );
    (left, status)
}

#[cfg(unix)]
#[test]
fn item_03_an_interrupted_write_leaves_no_temporary_file() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let (left, _) = interrupted_generate(signal);
        assert_eq!(left, ["weekly_spend.csv"], "signal {signal}");
    }
}

#[test]
fn item_04_commands_that_only_read_never_create_a_ledger() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("typo/ledger.sqlite");
    let missing_text = missing.to_str().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for args in [
        vec!["campaign", "list", "--db", missing_text],
        vec!["campaign", "show", "1", "--db", missing_text],
        vec!["learn", "show", "--db", missing_text],
        vec!["metrics", "--no-backtest", "--db", missing_text],
        vec!["analyze", "--db", missing_text],
        vec![
            "campaign",
            "simulate-outcome",
            "1",
            "--db",
            missing_text,
            "--out",
            "/dev/null",
        ],
    ] {
        let out = run(home.path(), root, &args);
        assert_eq!(out.status.code(), Some(66), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).trim_end(),
            format!("revgap: error: no ledger at {missing_text}"),
            "{args:?}"
        );
    }
    assert!(!missing.exists() && !missing.parent().unwrap().exists());
    // No default ledger yet: the readers show nothing and make nothing.
    let listed = run(home.path(), root, &["campaign", "list", "--format", "json"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["campaigns"], serde_json::json!([]));
    for args in [
        vec!["learn", "show"],
        vec!["metrics", "--no-backtest"],
        vec!["analyze", "--top", "3"],
    ] {
        let out = run(home.path(), root, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    assert!(
        !home.path().join("data").exists(),
        "no data directory (and no ledger in it) was made"
    );
}

#[cfg(unix)]
#[test]
fn item_05_a_read_only_or_newer_ledger_is_never_changed() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let (_dir, cwd) = sample_copy();
    let (db, id) = campaign(home.path(), &cwd);
    let db_text = db.to_str().unwrap();
    let create = |name: &str| {
        run(
            home.path(),
            &cwd,
            &[
                "campaign", "create", "--name", name, "--top", "150", "--db", db_text,
            ],
        )
    };
    // A file its owner made read-only.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let bytes = std::fs::read(&db).unwrap();
    let out = create("Second");
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the ledger is read-only (mode 0444)"),
        "{}",
        stderr(&out)
    );
    for args in [
        vec![
            "campaign",
            "export",
            &id,
            "--db",
            db_text,
            "--out",
            "/dev/null",
        ],
        vec![
            "campaign",
            "send",
            &id,
            "--db",
            db_text,
            "--smtp",
            "smtp://127.0.0.1:9",
        ],
    ] {
        let out = run(home.path(), &cwd, &args);
        assert_eq!(out.status.code(), Some(77), "{args:?}: {}", stderr(&out));
    }
    // Readers still read it, without touching it.
    let shown = run(
        home.path(),
        &cwd,
        &["campaign", "show", &id, "--db", db_text],
    );
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert_eq!(mode(&db), 0o444);
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
    // A read-only directory: SQLite could not make its journal there.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir = db.parent().unwrap();
    let dir_mode = mode(dir);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = create("Third");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(dir_mode)).unwrap();
    assert_eq!(out.status.code(), Some(77), "{}", stderr(&out));
    assert!(stderr(&out).contains("has mode 0555"), "{}", stderr(&out));
    // A ledger from a newer revgap: refused, not switched to WAL, not chmod'ed.
    {
        let connection = rusqlite::Connection::open(&db).unwrap();
        connection
            .pragma_update(None, "journal_mode", "DELETE")
            .unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).unwrap();
    let bytes = std::fs::read(&db).unwrap();
    for out in [
        create("Fourth"),
        run(home.path(), &cwd, &["campaign", "list", "--db", db_text]),
    ] {
        assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("schema version 99, newer than this revgap's"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(mode(&db), 0o640);
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
    assert!(!PathBuf::from(format!("{db_text}-wal")).exists());
}
