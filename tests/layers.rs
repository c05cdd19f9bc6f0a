//! The workspace's floors, as the compiler and Cargo see them: `revgap-core` carries none of
//! the terminal, the network, SQLite or the command line, even transitively; `revgap-llm`
//! knows nothing of the ledger or the terminal; `revgap-campaign` nothing of the terminal or
//! the command line; the Python package stands on the core alone; no library crate depends on
//! the binary package.

use std::process::Command;

/// The crates `package` pulls in through normal dependencies (build and dev ones aside).
fn normal_dependencies(package: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn assert_without(package: &str, forbidden: &[&str]) {
    let found = normal_dependencies(package);
    assert!(found.iter().any(|name| name == package), "{found:?}");
    let present: Vec<&&str> = forbidden
        .iter()
        .filter(|name| found.iter().any(|dependency| dependency == *name))
        .collect();
    assert!(
        present.is_empty(),
        "{package} depends on {present:?}, which its floor must not carry"
    );
}

#[test]
fn the_core_carries_no_terminal_network_sqlite_or_command_line() {
    assert_without(
        "revgap-core",
        &[
            "ratatui",
            "crossterm",
            "tokio",
            "reqwest",
            "async-openai",
            "hyper",
            "rusqlite",
            "libsqlite3-sys",
            "lettre",
            "clap",
            "revgap-llm",
            "revgap-campaign",
            "revgap",
        ],
    );
}

#[test]
fn the_llm_crate_knows_no_ledger_or_terminal() {
    assert_without(
        "revgap-llm",
        &[
            "ratatui",
            "crossterm",
            "rusqlite",
            "lettre",
            "clap",
            "revgap-campaign",
            "revgap",
        ],
    );
}

#[test]
fn the_campaign_crate_knows_no_terminal_or_command_line() {
    assert_without(
        "revgap-campaign",
        &["ratatui", "crossterm", "clap", "revgap"],
    );
}

#[test]
fn the_python_package_stands_on_the_core_alone() {
    assert_without(
        "revgap-py",
        &[
            "ratatui",
            "crossterm",
            "tokio",
            "reqwest",
            "async-openai",
            "rusqlite",
            "lettre",
            "clap",
            "revgap-llm",
            "revgap-campaign",
            "revgap",
        ],
    );
    assert!(normal_dependencies("revgap-py").contains(&"revgap-core".to_string()));
}
