//! Helpers shared by the integration tests.
#![allow(dead_code)]

use revgap::config::Config;
use revgap::data::{self, Dataset, LoadOptions, RowPolicy, SpendSource, TableFormat};
use std::path::{Path, PathBuf};

/// A file from `../shared` (reference data). In CI (`CI=true`) a missing file fails the
/// test; elsewhere the test is skipped with a printed notice.
pub fn shared_file(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(relative);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("reference file missing in CI: {}", path.display());
    }
    eprintln!("SKIPPED: reference file {} not found", path.display());
    None
}

/// The original's own data (200 customers × 12 weeks), if present.
pub fn seed_dataset() -> Option<Dataset> {
    let weekly = shared_file("data/seed/retail_weekly_sales.csv")?;
    let customers = shared_file("data/seed/retail_customers.csv")?;
    let options = LoadOptions {
        customers: Some(customers),
        spend: SpendSource::Weekly(weekly),
        format: TableFormat::default(),
        policy: RowPolicy::Strict,
        as_of: None,
    };
    Some(data::load(&options).expect("seed data loads strictly"))
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

pub fn config() -> Config {
    Config::default()
}

/// Path of the built binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_revgap"))
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
