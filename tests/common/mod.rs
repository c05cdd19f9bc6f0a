//! Helpers shared by the integration tests.
#![allow(dead_code)]

use revgap::config::Config;
use revgap::data::{self, Dataset, LoadOptions, RowPolicy, SpendSource, TableFormat};
use std::path::{Path, PathBuf};

/// The original's own data (200 customers × 12 weeks), kept under `tests/data/seed` so every
/// clone checks the conformance claims.
pub fn seed_dataset() -> Dataset {
    let options = LoadOptions {
        customers: Some(fixture("seed/retail_customers.csv")),
        spend: SpendSource::Weekly(fixture("seed/retail_weekly_sales.csv")),
        format: TableFormat::default(),
        policy: RowPolicy::Strict,
        as_of: None,
    };
    data::load(&options).expect("seed data loads strictly")
}
/// A dataset from literal weekly rows starting 2025-09-06.
pub fn dataset(rows: &[(&str, &[f64])]) -> Dataset {
    let weeks = rows.first().map_or(0, |r| r.1.len());
    let start = chrono::NaiveDate::from_ymd_opt(2025, 9, 6).unwrap();
    let week_starts = (0..weeks as u64)
        .map(|w| start + chrono::Days::new(7 * w))
        .collect();
    Dataset::from_rows(
        week_starts,
        rows.iter()
            .map(|(id, v)| (id.to_string(), v.to_vec()))
            .collect(),
    )
}

/// The original's mode (`churn_model = "rules"`): what conformance with the original pins.
pub fn original_config() -> Config {
    let mut config = Config::default();
    config.model.churn_model = revgap::config::ChurnModel::Rules;
    config
}

/// Path of the built binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_revgap"))
}

/// A home of this test process's own: every default place revgap uses (the ledger, state,
/// cache, user config and log) points under it, so no test reads or writes the user's files
/// and a user's populated ledger never changes what a test sees.
pub fn test_home() -> &'static Path {
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let home = std::env::temp_dir().join(format!("revgap-test-home-{}", std::process::id()));
        std::fs::create_dir_all(&home).expect("a test home");
        home
    })
}

/// Points every default place of `command` under `home` (see `test_home`).
pub fn hermetic<'a>(
    command: &'a mut std::process::Command,
    home: &Path,
) -> &'a mut std::process::Command {
    command
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("REVGAP_STATE_DIR", home.join("revgap-state"))
        .env("REVGAP_LOG_FILE", home.join("revgap.log"))
        .env_remove("REVGAP_CACHE_DIR")
        .env_remove("REVGAP_CONFIG")
}

/// The binary as a command with the test process's own home (see `test_home`).
pub fn command() -> std::process::Command {
    let mut command = std::process::Command::new(binary());
    hermetic(&mut command, test_home());
    command
}

/// Runs the binary from the repository root (where `data/` is), as a person in a clone would,
/// with the test process's own home.
pub fn revgap(args: &[&str]) -> std::process::Output {
    command()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("binary runs")
}

/// The binary as a command whose every default place (the ledger, state, cache, user config
/// and log) is under `home`, run from the repository root: a test never reads or writes the
/// user's own files.
pub fn isolated(home: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(binary());
    hermetic(&mut command, home).current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Runs the binary, expects success, and parses its stdout as JSON.
pub fn json(args: &[&str]) -> serde_json::Value {
    let output = revgap(args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("valid JSON")
}

/// A JSON report without what names the input file or the moment (`source`,
/// `generated_at`), so reports of the same data read differently can be compared.
pub fn report_json(args: &[&str]) -> serde_json::Value {
    let mut report = json(args);
    let object = report.as_object_mut().expect("a JSON object");
    object.remove("generated_at");
    object.remove("source");
    report
}

/// A fixture under tests/data.
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}
pub mod fake_llm;

/// How to read `CDNOW_sample.txt`: no header, whitespace-separated, customer id in column 2,
/// date in 3, dollars in 5.
pub const CDNOW_FLAGS: [&str; 9] = [
    "--no-header",
    "--delimiter",
    "whitespace",
    "--id-col",
    "2",
    "--date-col",
    "3",
    "--amount-col",
    "5",
];

/// Runs `analyze` with `config_text` as the configuration and expects exit 78 with a one-line
/// message containing `expected`.
pub fn assert_config_rejected(config_text: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, config_text).unwrap();
    let output = revgap(&["analyze", "--config", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(78), "{config_text}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(expected), "{config_text}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
pub mod receiver;
pub mod relay;

/// `--config` with `[outcome] min_control = 2`, for tests of other campaign behaviour that
/// make small campaigns (the default of 30 is tested in `campaign_safety.rs`).
pub const SMALL_CAMPAIGNS: [&str; 2] = [
    "--config",
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/valid/small_campaigns.toml"
    ),
];
pub mod panels;
