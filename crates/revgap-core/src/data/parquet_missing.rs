//! Parquet input in a build without the `parquet` feature: the same functions, each refusing
//! with one line that says what the build lacks (a `.parquet` file is never read as CSV).

use super::dataset::Dataset;
use super::error::{DataError, RowPolicy};
use super::rows::RowChunk;
use chrono::NaiveDate;

fn missing(path: &str) -> DataError {
    DataError::Invalid(format!(
        "{path}: Parquet input needs revgap built with the parquet feature (this build has none)"
    ))
}

/// Whether `path` is read as Parquet: `--input-format`, else its extension.
pub fn is_parquet(path: &std::path::Path, forced: Option<bool>) -> bool {
    forced.unwrap_or_else(|| {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
    })
}

pub fn load_weekly_parquet(
    path: &str,
    _format: &super::table::TableFormat,
    _policy: RowPolicy,
    _as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError> {
    Err(missing(path))
}

pub(super) fn weekly_chunks(
    path: &str,
    _format: &super::table::TableFormat,
    _policy: RowPolicy,
) -> Result<(usize, std::iter::Empty<Result<RowChunk, DataError>>), DataError> {
    Err(missing(path))
}

pub fn load_transactions_parquet(
    path: &str,
    _columns: &super::transactions::TransactionColumns,
    _policy: RowPolicy,
    _as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError> {
    Err(missing(path))
}

pub(super) fn scan_log_parquet(
    path: &str,
    _columns: &super::transactions::TransactionColumns,
    _policy: RowPolicy,
    _apply: impl FnMut(&RowChunk) -> Result<(), DataError>,
) -> Result<(String, bool), DataError> {
    Err(missing(path))
}
