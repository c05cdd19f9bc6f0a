//! End to end: the real binary in tmux, driven with send-keys and read with capture-pane, as
//! a person would use it. Each step waits (with a deadline) until the screen shows what it
//! should. `.ci/run` installs tmux and points REVGAP_E2E_BIN at the release build; on a machine
//! without tmux the tests show as ignored with that reason (see build.rs).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    std::env::var_os("REVGAP_E2E_BIN").map_or_else(common::binary, PathBuf::from)
}

/// A tmux session name no other test of this run uses (tests run in parallel).
fn unique_name(kind: &str, width: u16) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("revgap-e2e-{}-{kind}-{width}-{n}", std::process::id())
}

/// A home under `dir` for the session's default places (the ledger, cache, config): the
/// tmux server's environment is the user's, and a session must not read or write their files.
fn home_exports(dir: &std::path::Path) -> String {
    let home = dir.join("home");
    format!(
        "HOME='{}' XDG_DATA_HOME='{}' XDG_STATE_HOME='{}' XDG_CACHE_HOME='{}' XDG_CONFIG_HOME='{}' REVGAP_CACHE_DIR='{}' ",
        home.display(),
        home.join("data").display(),
        home.join("state").display(),
        home.join("cache").display(),
        home.join("config").display(),
        home.join("cache").join("revgap").display()
    )
}

/// One tmux session running the explorer; killed on drop.
struct Session {
    name: String,
}

impl Session {
    /// The explorer with these arguments, no user config, logging into `dir`.
    fn start_with_args(width: u16, height: u16, dir: &std::path::Path, args: &str) -> Self {
        let command = format!(
            "env {}REVGAP_LOG_FILE='{}' REVGAP_CONFIG='{}' REVGAP_STATE_DIR='{}' '{}' {args}; echo \"revgap exited with $?\"; sleep 30",
            home_exports(dir),
            dir.join("revgap.log").display(),
            dir.join("none.toml").display(),
            dir.join("state").display(),
            binary().display()
        );
        Self::launch(unique_name("args", width), width, height, dir, &command)
    }

    fn start(width: u16, height: u16, dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let mut exports = String::new();
        for (key, value) in env {
            exports.push_str(&format!("{key}='{value}' "));
        }
        let command = format!(
            "env {}{exports} '{}'; echo \"revgap exited with $?\"; sleep 30",
            home_exports(dir),
            binary().display()
        );
        Self::launch(unique_name("explorer", width), width, height, dir, &command)
    }

    /// A detached tmux session of this size running `command` in `dir`.
    fn launch(name: String, width: u16, height: u16, dir: &std::path::Path, command: &str) -> Self {
        // Tests start sessions in parallel; when no tmux server runs yet, two first sessions
        // race to create it and one can fail. Starting again then finds the server.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let started = Command::new("tmux")
                .args([
                    "new-session",
                    "-d",
                    "-s",
                    &name,
                    "-x",
                    &width.to_string(),
                    "-y",
                    &height.to_string(),
                ])
                .arg("-c")
                .arg(dir)
                .arg(command)
                .status()
                .expect("tmux runs");
            if started.success() {
                return Self { name };
            }
            assert!(attempts < 6, "tmux new-session failed {attempts} times");
        }
    }

    /// The explorer in `dir`, logging to `dir/revgap.log`, with no user config unless `env`
    /// names one; `env` entries come last, so they win.
    fn explorer(width: u16, height: u16, dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        // The explorer reads `data/` in its working directory, as from a clone.
        let data = dir.join("data");
        if !data.exists() {
            std::os::unix::fs::symlink(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data"),
                &data,
            )
            .unwrap();
        }
        let log = dir.join("revgap.log");
        let missing = dir.join("none.toml");
        let state = dir.join("state");
        let mut all = vec![
            ("REVGAP_LOG_FILE", log.to_str().unwrap_or_default()),
            ("REVGAP_CONFIG", missing.to_str().unwrap_or_default()),
            ("REVGAP_STATE_DIR", state.to_str().unwrap_or_default()),
        ];
        all.extend_from_slice(env);
        Self::start(width, height, dir, &all)
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen satisfies `test`; panics with the screen after 15 s.
    fn wait_for(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if test(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A tmux format value of the pane, e.g. `alternate_on` or `cursor_flag`.
    fn pane(&self, format: &str) -> String {
        let output = Command::new("tmux")
            .args([
                "display-message",
                "-p",
                "-t",
                &self.name,
                &format!("#{{{format}}}"),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// The explorer's process id (the pane's shell runs it as its only child).
    fn explorer_pid(&self) -> String {
        let shell = self.pane("pane_pid");
        let output = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
        let pid = String::from_utf8_lossy(&output.stdout).trim().to_string();
        assert!(
            !pid.is_empty() && !pid.contains('\n'),
            "one child of {shell}: {pid:?}"
        );
        pid
    }

    /// After the explorer exits: main screen, visible cursor, cooked mode, no frame left.
    fn assert_terminal_restored(&self) {
        assert_eq!(self.pane("alternate_on"), "0", "left the alternate screen");
        assert_eq!(self.pane("cursor_flag"), "1", "cursor visible");
        assert_eq!(self.pane("mouse_any_flag"), "0", "the mouse given back");
        let screen = self.screen();
        assert!(
            !screen.contains("┏"),
            "no frame left on the screen:\n{screen}"
        );
    }

    fn wait_text(&self, text: &str) -> String {
        self.wait_for(text, |screen| screen.contains(text))
    }

    fn resize(&self, width: u16, height: u16) {
        let status = Command::new("tmux")
            .args([
                "resize-window",
                "-t",
                &self.name,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn a_person_finds_reads_filters_tunes_exports_and_quits() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(120, 40, dir.path(), &[]);
    // Start: the ranked list with the top customer selected, and why.
    let screen = session.wait_text("customers with gaps");
    assert!(screen.contains("> 1 "), "top customer selected:\n{screen}");
    let screen = session.wait_text("Next step:");
    assert!(
        screen.contains("Primary:") && screen.contains("priority"),
        "{screen}"
    );
    // Move.
    session.keys(&["j"]);
    session.wait_text("> 2 ");
    // Filter to zero-spend customers.
    session.keys(&["/", "z", "e", "r", "o", "Enter"]);
    let screen = session.wait_text("filter \"zero\"");
    assert!(screen.contains("matches"));
    // Help overlay from the key table, then close it.
    session.keys(&["h"]);
    session.wait_text("(j/k scroll, any other key closes)");
    session.keys(&["j"]);
    session.wait_text("Keys, rows 2–");
    session.keys(&["Escape"]);
    session.wait_for("help closed", |s| !s.contains("any other key closes"));
    // Tune a threshold and apply: the analysis re-runs in place.
    session.keys(&["t"]);
    session.wait_text("Tune thresholds and weights");
    session.keys(&["l", "Enter"]);
    session.wait_text("analysis updated with the new settings");
    // Export the view as CSV.
    session.keys(&["e"]);
    session.wait_text("Write the current view");
    session.keys(&["c"]);
    session.wait_text("exported");
    let exported: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".csv"))
        .collect();
    assert_eq!(exported.len(), 1, "one CSV written");
    // Resize to 80×24: panes collapse, the list stays usable.
    session.resize(80, 24);
    let screen = session.wait_text("(Tab: next pane)");
    assert!(screen.lines().all(|l| l.chars().count() <= 80));
    session.keys(&["j"]);
    // Quit: the process exits and the shell's screen is back.
    session.keys(&["q"]);
    let screen = session.wait_text("revgap exited with 0");
    assert!(
        !screen.contains("customers with gaps"),
        "alternate screen left:\n{screen}"
    );
    let log_text = std::fs::read_to_string(dir.path().join("revgap.log")).unwrap();
    assert!(
        log_text.contains("first frame"),
        "logs go to the file:\n{log_text}"
    );
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn broken_user_config_is_reported_on_screen_and_defaults_apply() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[keys\nq = ").unwrap();
    let session = Session::explorer(
        100,
        30,
        dir.path(),
        &[("REVGAP_CONFIG", config.to_str().unwrap())],
    );
    session.wait_text("invalid config");
    session.keys(&["j"]);
    session.wait_for("notice dismissed", |s| !s.contains("invalid config"));
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn ctrl_c_quits_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(90, 30, dir.path(), &[]);
    session.wait_text("customers with gaps");
    session.keys(&["C-c"]);
    session.wait_text("revgap exited with 0");
    // The log may hold customer ids: owner-only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("revgap.log"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn ctrl_z_suspends_and_fg_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("revgap.log");
    let missing = dir.path().join("none.toml");
    // An interactive shell, so job control (Ctrl-Z, fg) works as for a person.
    let name = format!("revgap-e2e-{}-suspend", std::process::id());
    let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let session = Session::launch(name, 100, 30, repository, "bash --norc -i");
    let line = format!(
        "REVGAP_CONFIG='{}' REVGAP_LOG_FILE='{}' '{}'",
        missing.display(),
        log.display(),
        binary().display()
    );
    session.keys(&[&line, "Enter"]);
    session.wait_text("customers with gaps");
    session.keys(&["C-z"]);
    session.wait_text("Stopped");
    session.keys(&["fg", "Enter"]);
    session.wait_for("explorer back", |s| {
        s.contains("customers with gaps") && !s.contains("Stopped")
    });
    session.keys(&["q"]);
    session.wait_for("shell back", |s| !s.contains("customers with gaps"));
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn a_panic_restores_the_terminal_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(
        100,
        30,
        dir.path(),
        &[
            ("REVGAP_PANIC_AFTER_FIRST_FRAME", "1"),
            ("RUST_BACKTRACE", "0"),
        ],
    );
    let screen = session.wait_text("revgap exited with");
    assert!(
        screen.contains("deliberate panic"),
        "the panic is reported:\n{screen}"
    );
    assert!(
        !screen.contains("┏"),
        "no frame left on the restored screen:\n{screen}"
    );
    // The terminal is out of raw mode: a typed line echoes normally.
    session.keys(&["echo restored-ok", "Enter"]);
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn with_the_server_down_r_shows_the_fallback_and_why() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: the request is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let session = Session::explorer(
        120,
        40,
        dir.path(),
        &[
            ("OPENAI_BASE_URL", &base),
            ("REVGAP_CACHE_DIR", dir.path().to_str().unwrap()),
        ],
    );
    session.wait_text("customers with gaps");
    session.keys(&["r"]);
    let screen = session.wait_text("[rule_based fallback: cannot connect to");
    assert!(
        screen.contains("Next step:"),
        "the rule-based text stays:\n{screen}"
    );
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn no_color_keeps_the_selection_visible_without_colours() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(100, 30, dir.path(), &[("NO_COLOR", "1")]);
    session.wait_text("customers with gaps");
    let output = Command::new("tmux")
        .args(["capture-pane", "-p", "-e", "-t", &session.name])
        .output()
        .unwrap();
    let styled = String::from_utf8_lossy(&output.stdout);
    // Reverse video (SGR 7) marks the selection; no colour is ever set (39/49, the terminal's
    // own defaults, are fine).
    let mut reversed = false;
    for sequence in styled.split('\u{1b}').skip(1) {
        let Some(body) = sequence.strip_prefix('[') else {
            continue;
        };
        let Some(end) = body.find('m') else { continue };
        for parameter in body[..end].split(';').filter_map(|p| p.parse::<u32>().ok()) {
            reversed |= parameter == 7;
            let colour = matches!(parameter, 30..=38 | 40..=48 | 90..=97 | 100..=107);
            assert!(!colour, "colour SGR {parameter} in:\n{styled}");
        }
    }
    assert!(reversed, "reversed selection:\n{styled}");
    assert!(session.screen().contains("> 1 "));
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// SIGTERM, SIGHUP and SIGQUIT end the explorer with the screen, cursor and tty restored and
/// the conventional exit status (128 + the signal).
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn ending_signals_restore_the_terminal() {
    for (signal, status) in [("TERM", 143), ("HUP", 129), ("QUIT", 131)] {
        let dir = tempfile::tempdir().unwrap();
        let session = Session::explorer(100, 30, dir.path(), &[]);
        session.wait_text("customers with gaps");
        assert_eq!(session.pane("alternate_on"), "1");
        let pid = session.explorer_pid();
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        session.wait_text(&format!("revgap exited with {status}"));
        session.assert_terminal_restored();
        // The tty is back in cooked mode: the shell echoes what is typed.
        drop(session);
    }
}

/// Quit while the data is still loading ends at once: the load here can never finish (a FIFO
/// that stays open), so a quit that waited for it would hang.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn quit_while_loading_is_immediate() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("endless.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // Read-write: opening does not wait for the reader, and the pipe never reaches its end.
    let mut writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    use std::io::Write;
    writer
        .write_all(b"customer_id,week_start_date,weekly_spend\n1,2025-01-04,5\n")
        .unwrap();
    for key in ["q", "C-c"] {
        let session = Session::start_with_args(
            100,
            30,
            dir.path(),
            &format!("tui --weekly '{}'", fifo.display()),
        );
        session.wait_text("loading data");
        let asked = Instant::now();
        session.keys(&[key]);
        session.wait_text("revgap exited with 0");
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "{key} took {:?}",
            asked.elapsed()
        );
        session.assert_terminal_restored();
    }
    drop(writer);
}

/// A load error stays on screen (a progress message queued behind it once reset it to
/// "loading… 0 %" forever).
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn a_load_error_shows_the_error_view() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "customer_id,week,weekly_spend\n1,2025-01-04,5\n").unwrap();
    let session = Session::start_with_args(
        110,
        30,
        dir.path(),
        &format!("tui --weekly '{}'", broken.display()),
    );
    let screen = session.wait_text("Could not load the data:");
    assert!(screen.contains("missing column"), "{screen}");
    assert!(!screen.contains("loading data"), "{screen}");
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// The pivot view as a person uses it: F, read the table, Tab to another dimension, Enter to
/// see that segment's customers, x to clear.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn pivot_by_segment_and_drill_in() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(110, 32, dir.path(), &[]);
    session.wait_text("customers with gaps");
    session.keys(&["F"]);
    let screen = session.wait_text("Pivot: value tier");
    assert!(
        screen.contains("medium") && screen.contains("high"),
        "{screen}"
    );
    session.keys(&["Tab"]);
    session.wait_text("Pivot: lifecycle");
    session.keys(&["Enter"]);
    // One frame both sets the filter and closes the pivot; a capture can fall between the
    // header's bytes and the rest of that frame, so wait for the whole of it.
    session.wait_for("the pivot closed and the segment's filter set", |s| {
        s.contains("filter \"lifecycle:") && !s.contains("Pivot:")
    });
    session.keys(&["?", "?"]);
    session.wait_text("Keys, rows 1–");
    // Any key but a scrolling one closes the help (Escape then q would arrive as Alt-q).
    session.keys(&["z"]);
    session.wait_for("help closed", |s| !s.contains("Keys, rows"));
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// The cohort heatmap on CDNOW: monthly cohorts, then quarterly with Tab.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn cohort_heatmap_on_a_transaction_log() {
    let dir = tempfile::tempdir().unwrap();
    let cdnow = common::fixture("cdnow/CDNOW_sample.txt");
    let args = format!(
        "tui --transactions '{}' {}",
        cdnow.display(),
        common::CDNOW_FLAGS.join(" ")
    );
    let session = Session::start_with_args(110, 30, dir.path(), &args);
    session.wait_text("customers with gaps");
    session.keys(&["C"]);
    let screen = session.wait_text("1997-01 (781)");
    assert!(
        screen.contains("Cohorts by first-purchase month"),
        "{screen}"
    );
    assert!(screen.contains("100%"), "{screen}");
    session.keys(&["Tab"]);
    session.wait_text("1997-Q1 (2,357)");
    session.keys(&["q"]);
    session.wait_for("heatmap closed", |s| !s.contains("Cohorts by"));
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// `:` jumps to any customer, with or without a gap; a filter expression narrows the list.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn go_to_and_filter_expressions() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(120, 34, dir.path(), &[]);
    session.wait_text("customers with gaps");
    session.keys(&[":"]);
    session.wait_text("go to customer:");
    session.keys(&["3", "Enter"]);
    let screen = session.wait_text("has no gap");
    assert!(screen.contains("Customer 3 "), "{screen}");
    session.keys(&["a", "/"]);
    session.keys(&["gap>150 sev:high", "Enter"]);
    let screen = session.wait_text("filter \"gap>150 sev:high\"");
    assert!(screen.contains("match"), "{screen}");
    session.keys(&["x", "/"]);
    session.keys(&["gap>abc", "Enter"]);
    session.wait_text("expected a number after gap>");
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// `y` puts the selected id on the clipboard through OSC 52 (tmux, with set-clipboard on,
/// keeps it as a paste buffer, as a terminal at the far end of SSH would set its clipboard).
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn y_copies_the_selected_id_over_osc_52() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(120, 34, dir.path(), &[]);
    session.wait_text("customers with gaps");
    let on = Command::new("tmux")
        .args([
            "set-option",
            "-t",
            &session.name,
            "-s",
            "set-clipboard",
            "on",
        ])
        .status()
        .unwrap();
    assert!(on.success());
    session.keys(&[":"]);
    session.keys(&["42", "Enter"]);
    session.wait_text("Customer 42 ");
    session.keys(&["y"]);
    session.wait_text("copied id 42");
    let deadline = Instant::now() + Duration::from_secs(10);
    let buffer = loop {
        let output = Command::new("tmux").args(["show-buffer"]).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout).to_string();
        if text == "42" || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(buffer, "42");
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// The "done when" of campaigns from the explorer: mark three customers with Space, press A,
/// name the campaign, and it is in `campaign list`; its members are exactly those three
/// (treated, control or excluded by reason); its drafts show in the explorer.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn a_campaign_made_in_the_explorer_is_in_campaign_list() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data"),
        dir.path().join("data"),
    )
    .unwrap();
    let db = dir.path().join("ledger.sqlite");
    // A campaign needs control members to be measured: every listed customer, with the small
    // campaigns' minimum (the default minimum is tested in campaign_safety.rs).
    let session = Session::start_with_args(
        120,
        34,
        dir.path(),
        &format!(
            "tui --db '{}' --config '{}'",
            db.display(),
            common::SMALL_CAMPAIGNS[1]
        ),
    );
    session.wait_text("customers with gaps");
    session.keys(&["*"]);
    session.wait_text("198 marked");
    session.keys(&["A"]);
    session.wait_text("campaign of 198 customers, name:");
    session.keys(&["Made in the explorer"]);
    session.keys(&["Enter"]);
    let screen = session.wait_text("campaign 1 \"Made in the explorer\"");
    assert!(screen.contains("treated"), "{screen}");
    // The first customer's campaign line, then its drafts.
    session.keys(&["g"]);
    session.wait_text("Campaign #1 \"Made in the explorer\"");
    session.keys(&["L"]);
    session.wait_text("follow-up");
    session.keys(&["Escape"]);
    // Esc and q sent together read as Alt-q: wait for the view to close first.
    session.wait_for("the campaigns view to close", |screen| {
        !screen.contains("follow-up")
    });
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");

    let output = common::command()
        .args(["campaign", "list", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && listed.contains("Made in the explorer"),
        "{listed}"
    );
    let output = common::command()
        .args(["campaign", "show", "1", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let members = shown["members"].as_array().unwrap().len() as i64;
    let excluded: i64 = shown["excluded"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum();
    assert_eq!(members + excluded, 198, "{shown}");
}

/// Two loads of one data file with different data in between: the second marks customers new
/// (+), worsened (▲) or recovered (✓), says so in the header, filters on `changed:new`, and
/// `W` shows the counts and the trend across the runs.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn what_changed_marks_across_two_data_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let generate = |seed: &str| {
        let status = common::command()
            .args([
                "generate",
                "--customers",
                "400",
                "--weeks",
                "16",
                "--seed",
                seed,
            ])
            .arg("--out")
            .arg(&data)
            .status()
            .unwrap();
        assert!(status.success());
    };
    let weekly = data.join("weekly_spend.csv");
    let args = format!("tui --weekly '{}'", weekly.display());
    generate("1");
    let first = Session::start_with_args(120, 34, dir.path(), &args);
    first.wait_text("customers with gaps");
    first.keys(&["W"]);
    first.wait_text("this one is the baseline");
    first.keys(&["x", "q"]);
    first.wait_text("revgap exited with 0");
    drop(first);

    generate("2");
    let second = Session::start_with_args(120, 34, dir.path(), &args);
    let screen = second.wait_text("since last: +");
    assert!(screen.contains('▲') || screen.contains('+'), "{screen}");
    second.keys(&["/"]);
    second.keys(&["changed:new", "Enter"]);
    // The header and the rows arrive in one frame; a capture can fall between them, so wait
    // for the whole frame: only new customers (`+`) listed.
    second.wait_for("only new customers listed under changed:new", |screen| {
        let listed: Vec<&str> = screen
            .lines()
            .filter(|line| line.contains("$") && line.contains('%') && line.starts_with('┃'))
            .collect();
        screen.contains("filter \"changed:new\"")
            && !listed.is_empty()
            && listed.iter().all(|line| line.contains('+'))
    });
    second.keys(&["x", "W"]);
    // The overlay's lines arrive in one frame; a capture can fall inside it: wait for the
    // line asked about itself.
    let screen = second.wait_text("customers with gaps, 2 runs:");
    assert!(screen.contains("What changed"), "{screen}");
    second.keys(&["x", "q"]);
    second.wait_text("revgap exited with 0");
}

/// The customer list's header line.
fn list_header(screen: &str) -> String {
    screen
        .lines()
        .find(|line| line.contains(" id ") && line.contains("score"))
        .unwrap_or_default()
        .to_string()
}

/// The view is remembered per data source: sort, filter, columns and pane size come back in
/// the next run; a named view saved in one run is recalled in another; `--no-remember`
/// starts from the defaults and leaves what was remembered alone.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn the_view_is_remembered_across_runs_and_named_views_recall() {
    let dir = tempfile::tempdir().unwrap();
    let first = Session::explorer(120, 34, dir.path(), &[]);
    first.wait_text("customers with gaps");
    first.keys(&["s", "s", "s"]);
    first.wait_text("sort: severity");
    first.keys(&["/"]);
    first.keys(&["sev:high", "Enter"]);
    first.wait_text("filter \"sev:high\"");
    // Columns: add revenue (the seventh in the popup).
    first.keys(&["o", "j", "j", "j", "j", "j", "j", "Space", "z"]);
    // It does not fit beside the others until the list pane is wider.
    first.keys(&[">", ">"]);
    first.wait_for("the revenue column", |s| list_header(s).contains("revenue"));
    first.keys(&["V", "s"]);
    first.wait_text("save the current view as:");
    first.keys(&["highs", "Enter"]);
    first.wait_text("view \"highs\" saved");
    first.keys(&["z", "x", "q"]);
    first.wait_text("revgap exited with 0");
    drop(first);

    let second = Session::explorer(120, 34, dir.path(), &[]);
    let screen = second.wait_text("customers with gaps");
    assert!(screen.contains("sort: severity"), "{screen}");
    assert!(
        !screen.contains("filter \""),
        "x cleared the filter before quitting:\n{screen}"
    );
    assert!(list_header(&screen).contains("revenue"), "{screen}");
    second.keys(&["V"]);
    second.wait_text("highs");
    second.keys(&["Enter"]);
    let screen = second.wait_text("view \"highs\" recalled");
    assert!(screen.contains("filter \"sev:high\""), "{screen}");
    second.keys(&["q"]);
    second.wait_text("revgap exited with 0");
    drop(second);

    let fresh = Session::start_with_args(120, 34, dir.path(), "tui --no-remember");
    let screen = fresh.wait_text("customers with gaps");
    assert!(screen.contains("sort: rank"), "{screen}");
    assert!(!list_header(&screen).contains("revenue"), "{screen}");
    fresh.keys(&["q"]);
    fresh.wait_text("revgap exited with 0");
    let remembered = std::fs::read_dir(dir.path().join("state/views"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<Vec<_>>();
    assert_eq!(
        remembered.len(),
        2,
        "one data source and the named views: {remembered:?}"
    );
}

/// The user config's `[data]` names the files `revgap` opens when the command line names none.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn the_user_config_names_the_default_data_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("elsewhere");
    let status = common::command()
        .args(["generate", "--customers", "321", "--weeks", "12", "--out"])
        .arg(&data)
        .status()
        .unwrap();
    assert!(status.success());
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[data]\nweekly = '{}'\ncustomers = '{}'\n",
            data.join("weekly_spend.csv").display(),
            data.join("customers.csv").display()
        ),
    )
    .unwrap();
    let session = Session::start(
        120,
        34,
        dir.path(),
        &[
            ("REVGAP_CONFIG", config.to_str().unwrap()),
            (
                "REVGAP_STATE_DIR",
                dir.path().join("state").to_str().unwrap(),
            ),
        ],
    );
    let screen = session.wait_text("customers with gaps");
    assert!(screen.contains("of 321 customers"), "{screen}");
    assert!(screen.contains("elsewhere/weekly_spend.csv"), "{screen}");
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// Clicks and the wheel, sent as the SGR mouse sequences a terminal sends: a row click
/// selects, a header click sorts (again: reverses), the wheel moves the list, a click on a
/// pane focuses it; the mouse is given back on quit. `ui.mouse = false` leaves it alone.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn mouse_clicks_select_sort_scroll_and_focus() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(120, 34, dir.path(), &[]);
    session.wait_text("customers with gaps");
    assert_eq!(
        session.pane("mouse_sgr_flag"),
        "1",
        "the explorer asked for the mouse"
    );
    // Column 20, row 7 (1-based): the fourth customer row under the border and header.
    let click = |column: u16, row: u16| {
        session.keys(&["-l", &format!("\u{1b}[<0;{column};{row}M")]);
    };
    click(20, 7);
    let screen = session.wait_for("row 4 selected", |s| s.contains("┃> 4 "));
    assert!(screen.contains("Customer 295 "), "{screen}");
    // The gap $/wk header (x 45 on the header row, 3): sort by it, then reverse.
    // Largest gap first: the arrow points down the falling values; reversed, up.
    click(45, 3);
    let screen = session.wait_text("sort: gap $ ↓");
    assert!(screen.contains("gap $/wk↓"), "{screen}");
    click(45, 3);
    let screen = session.wait_text("sort: gap $ ↑");
    assert!(screen.contains("gap $/wk↑"), "{screen}");
    session.keys(&["-l", "\u{1b}[<65;20;10M"]);
    session.wait_for("the wheel moved the list", |s| !s.contains("┃> 4 "));
    click(80, 25);
    session.wait_text("▶ Scores");
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
    session.assert_terminal_restored();
    drop(session);

    let config = dir.path().join("no-mouse.toml");
    std::fs::write(&config, "[ui]\nmouse = false\n").unwrap();
    let session = Session::explorer(
        120,
        34,
        dir.path(),
        &[("REVGAP_CONFIG", config.to_str().unwrap())],
    );
    session.wait_text("customers with gaps");
    assert_eq!(session.pane("mouse_any_flag"), "0");
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// `analyze` on a terminal shows how far the load has got (bytes read, rate, time left) while
/// it reads; here a pipe that never ends keeps it reading.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn analyze_shows_a_progress_bar_while_loading_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("endless.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    use std::io::Write;
    writer
        .write_all(b"customer_id,week_start_date,weekly_spend\n1,2025-01-04,5\n")
        .unwrap();
    let session = Session::start_with_args(
        100,
        10,
        dir.path(),
        &format!("analyze --no-snapshot --weekly '{}'", fifo.display()),
    );
    let screen = session.wait_text("loading");
    assert!(screen.contains("B/s"), "{screen}");
    session.keys(&["C-c"]);
    drop(writer);
}

/// Campaign drill-in: from the campaigns view (`L`), Enter opens a campaign with every member's
/// arm, channel, offer, draft verdict and delivery state (a failed delivery with its reason),
/// and its measured result with the interval; `e` writes what is shown.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn a_campaign_opens_from_the_campaigns_view_and_exports_what_it_shows() {
    use common::receiver::{Answer, Receiver};
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data"),
        dir.path().join("data"),
    )
    .unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db_text = db.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut command = common::command();
        let output = command
            .args(args)
            .current_dir(dir.path())
            .env("REVGAP_WEBHOOK_SECRET", "drill-in-test-secret")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&[
        "campaign",
        "create",
        "--name",
        "Drill-in",
        "--top",
        "150",
        "--control",
        "0.3",
        "--db",
        db_text,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    // A receiver that redirects: each treated member's delivery fails, with its reason.
    let elsewhere = Receiver::start(|_| Answer::status("200 OK"));
    let target = elsewhere.url.clone();
    let redirecting = Receiver::start(move |_| {
        Answer::status("301 Moved Permanently").header("Location", target.clone())
    });
    let (code, stderr) = run(&[
        "campaign",
        "send",
        "1",
        "--webhook",
        &redirecting.url,
        "--attempts",
        "2",
        "--db",
        db_text,
    ]);
    assert_eq!(code, Some(75), "{stderr}");
    // Handed off by file as well, so it can be measured.
    let (code, stderr) = run(&[
        "campaign",
        "export",
        "1",
        "--preset",
        "klaviyo",
        "--out",
        "klaviyo.csv",
        "--db",
        db_text,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = run(&[
        "campaign",
        "simulate-outcome",
        "1",
        "--effect",
        "12",
        "--weeks",
        "8",
        "--seed",
        "4",
        "--out",
        "follow.csv",
        "--db",
        db_text,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = run(&[
        "campaign",
        "measure",
        "1",
        "--weekly",
        "follow.csv",
        "--windows",
        "8",
        "--db",
        db_text,
    ]);
    assert_eq!(code, Some(0), "{stderr}");

    let session = Session::start_with_args(100, 30, dir.path(), &format!("tui --db '{db_text}'"));
    session.wait_text("customers with gaps");
    session.keys(&["L"]);
    session.wait_text("Enter open");
    session.keys(&["Enter"]);
    let screen = session.wait_text("Campaign 1 \"Drill-in\"");
    assert!(
        screen.contains("measured 20")
            && screen.contains(", 8 weeks (CUPED-adjusted): ")
            && screen.contains("a week per treated member (95 % interval $"),
        "the measured result with its interval: {screen}"
    );
    assert!(screen.contains("90 treated, 39 control"), "{screen}");
    assert!(
        screen.contains("not delivered after 1 attempt: redirected (30"),
        "the failed delivery's reason: {screen}"
    );
    assert!(screen.contains("passed"), "the draft verdict: {screen}");
    session.keys(&["e"]);
    let screen = session.wait_text("exported 129 members of campaign 1 to");
    let exported: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("revgap-campaign-1-"))
        })
        .collect();
    assert_eq!(exported.len(), 1, "{screen}");
    let text = std::fs::read_to_string(&exported[0]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("# campaign 1 \"Drill-in\": measured "),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "customer_id,arm,channel,offer,delivery,draft");
    assert_eq!(lines.len(), 2 + 129);
    assert_eq!(lines.iter().filter(|l| l.contains(",control,")).count(), 39);
    assert!(
        lines
            .iter()
            .filter(|l| l.contains(",treated,"))
            .all(|l| l.contains("not delivered after 1 attempt: redirected (301)")),
        "{text}"
    );
    // Esc goes back to the list of campaigns, then closes it; nothing quits.
    session.keys(&["Escape"]);
    session.wait_text("Enter open");
    session.keys(&["Escape"]);
    session.wait_for("the campaigns view to close", |s| !s.contains("Enter open"));
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}

/// The explorer forgives at 80×24: Esc with nothing open does nothing; q with marked customers
/// asks once; a long filter keeps its match count on the header line; the sort arrow points
/// down a column sorted largest first.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn esc_forgives_q_asks_and_the_header_keeps_its_count_at_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let session = Session::explorer(80, 24, dir.path(), &[]);
    session.wait_text("customers with gaps");
    // Esc with nothing open says so (a key sent right after an Esc would read as Alt-key:
    // wait for the answer first).
    session.keys(&["Escape"]);
    session.wait_text("nothing to close (q quits)");
    session.keys(&["j"]);
    let screen = session.wait_for("the second row selected", |s| s.contains("┃> 2 "));
    assert!(!screen.contains("revgap exited"), "{screen}");
    // A filter longer than the header has room for: the count stays on the line.
    session.keys(&["/"]);
    session.keys(&["-l", "sev:high type:zero lifecycle:lapsed"]);
    session.keys(&["Enter"]);
    let screen = session.wait_text("match");
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains("filter \"sev:high type:zero lifecycl…\": ")
            && (header.contains(" matches") || header.contains(" match ")),
        "{header}"
    );
    session.keys(&["x"]);
    // Sorted by gap $, largest first: the arrow points down.
    for _ in 0..4 {
        session.keys(&["s"]);
    }
    session.wait_text("sort: gap $ ↓");
    // Marks would be lost: q asks, Esc answers no, q then y quits.
    session.keys(&["Space", "Space"]);
    session.wait_text("2 marked");
    session.keys(&["q"]);
    session.wait_text("quit? 2 marked customers will be forgotten");
    session.keys(&["Escape"]);
    session.wait_text("not quitting");
    session.keys(&["q"]);
    session.wait_text("quit? 2 marked customers");
    session.keys(&["y"]);
    session.wait_text("revgap exited with 0");
}

/// Long ids never push the churn column out silently: the id column shrinks and cuts them
/// with an ellipsis.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed (.ci/run installs it)")]
fn long_ids_give_way_to_the_churn_column() {
    let dir = tempfile::tempdir().unwrap();
    let generated = common::command()
        .args([
            "generate",
            "--customers",
            "60",
            "--weeks",
            "30",
            "--seed",
            "5",
            "--out",
        ])
        .arg(dir.path().join("plain"))
        .output()
        .unwrap();
    assert!(generated.status.success());
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let prefix = "loyalty-account-0000000000-";
    for file in ["weekly_spend.csv", "customers.csv"] {
        let text = std::fs::read_to_string(dir.path().join("plain").join(file)).unwrap();
        let renamed: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(n, line)| {
                if n == 0 {
                    line.to_string()
                } else {
                    format!("{prefix}{line}")
                }
            })
            .collect();
        std::fs::write(
            dir.path().join("data").join(file),
            renamed.join("\n") + "\n",
        )
        .unwrap();
    }
    // At 120 columns the list shares the screen with the detail: too narrow for 14-wide ids
    // and every default column, so the ids give way.
    let session = Session::explorer(120, 40, dir.path(), &[]);
    let screen = session.wait_text("customers with gaps");
    // The list pane's rows: what lies between its two borders.
    let list: String = screen
        .lines()
        .filter_map(|line| line.split('┃').nth(1))
        .collect::<Vec<_>>()
        .join("\n");
    let list_header = list
        .lines()
        .find(|l| l.contains("score") && l.contains("sev"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(list_header.contains("churn"), "{screen}");
    assert!(list.contains("loya…"), "{screen}");
    assert!(list.contains('…'), "ids are cut with an ellipsis: {screen}");
    assert!(
        !list.contains(prefix),
        "an id is never shown cut without saying so: {screen}"
    );
    session.keys(&["q"]);
    session.wait_text("revgap exited with 0");
}
