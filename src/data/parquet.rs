//! Parquet input: the weekly panel read batch by batch, only its three columns (projection),
//! into the same grid and the same checks as the CSV loader. Ids may be text or integers,
//! dates a date, a timestamp or ISO text, spend any number type. A bad value is a bad row
//! named by file, row and column, like a CSV line.

use super::dataset::Dataset;
use super::error::{DataError, Location, RowError, RowPolicy, RowProblem};
use super::fields::ColumnRef;
use super::rows::RowChunk;
use super::weekly::{EXPECTED_WEEKLY, panel_from_chunks};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use chrono::NaiveDate;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Rows per batch: large enough to amortise the decoding, small enough to stay a few MB.
const BATCH_ROWS: usize = 65_536;
/// `fields::day_number` of 1970-01-01, the epoch of Parquet's DATE.
const EPOCH_DAY_NUMBER: i32 = 719_163;

/// Whether `path` is read as Parquet: `--input-format`, else its extension.
pub fn is_parquet(path: &std::path::Path, forced: Option<bool>) -> bool {
    forced.unwrap_or_else(|| {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
    })
}

fn invalid(path: &str, why: impl std::fmt::Display) -> DataError {
    DataError::Invalid(format!("{path}: {why}"))
}

/// Loads a weekly panel stored as Parquet.
pub fn load_weekly_parquet(
    path: &str,
    format: &super::table::TableFormat,
    policy: RowPolicy,
    as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: path.to_string(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| invalid(path, format!("not a readable Parquet file ({e})")))?;
    let rows = builder.metadata().file_metadata().num_rows().max(0) as usize;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut positions = Vec::new();
    for column in &format.weekly_columns {
        let found = match column {
            ColumnRef::Name(name) => names.iter().position(|n| n == name),
            ColumnRef::Index(number) => number.checked_sub(1).filter(|i| *i < names.len()),
        };
        match found {
            Some(position) => positions.push(position),
            None => {
                let wanted = match column {
                    ColumnRef::Name(name) => format!("{name:?}"),
                    ColumnRef::Index(number) => format!("number {number}"),
                };
                return Err(invalid(
                    path,
                    format!(
                        "expected columns {EXPECTED_WEEKLY}; column {wanted} is missing (found {})",
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    let columns: [(usize, String); 3] =
        std::array::from_fn(|i| (positions[i] + 1, names[positions[i]].clone()));
    let mask = ProjectionMask::roots(builder.parquet_schema(), positions.clone());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| invalid(path, e))?;
    let mut first_row = 1u64;
    let chunks = reader.map(|batch| {
        let batch = batch.map_err(|e| invalid(path, format!("cannot read a row group ({e})")))?;
        let chunk = chunk_of(path, &batch, &columns, first_row, policy)?;
        first_row += batch.num_rows() as u64;
        Ok(chunk)
    });
    panel_from_chunks(path, policy, as_of, rows, chunks)
}

/// One batch as a chunk of dated rows; bad values are rejected as the policy says.
fn chunk_of(
    path: &str,
    batch: &RecordBatch,
    [
        (id_number, id_column),
        (week_number, week_column),
        (spend_number, spend_column),
    ]: &[(usize, String); 3],
    first_row: u64,
    policy: RowPolicy,
) -> Result<RowChunk, DataError> {
    // The projection keeps the file's column order: find each by name.
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .ok_or_else(|| invalid(path, format!("column {name:?} is missing")))
    };
    let cast = |name: &str, to: &DataType| -> Result<std::sync::Arc<dyn Array>, DataError> {
        let found = column(name)?;
        arrow_cast::cast::cast(found, to).map_err(|e| {
            invalid(
                path,
                format!(
                    "column {name:?} is {}, expected {to} ({e})",
                    found.data_type()
                ),
            )
        })
    };
    let ids = cast(id_column, &DataType::Utf8)?;
    let ids = ids.as_string::<i32>();
    // Text (ISO dates), timestamps and dates all become days.
    let days = cast(week_column, &DataType::Date32)?;
    let days = days.as_primitive::<Date32Type>();
    let values = cast(spend_column, &DataType::Float64)?;
    let values = values.as_primitive::<Float64Type>();
    let original_days = column(week_column)?;
    let original_values = column(spend_column)?;
    let mut chunk = RowChunk::default();
    for row in 0..batch.num_rows() {
        let line = first_row + row as u64;
        chunk.report.rows_read += 1;
        let problem = |column: usize, name: &str, problem: RowProblem, expected: &str| RowError {
            location: Location {
                path: path.to_string(),
                line,
                column: Some((column, name.to_string())),
            },
            problem,
            message: format!("expected {expected}"),
        };
        let id = if ids.is_null(row) { "" } else { ids.value(row) };
        let error = if id.trim().is_empty() {
            Some(problem(
                *id_number,
                id_column,
                RowProblem::EmptyId,
                "a customer id",
            ))
        } else if days.is_null(row) {
            let found = if original_days.is_null(row) {
                "nothing"
            } else {
                "a value that is not a date"
            };
            Some(problem(
                *week_number,
                week_column,
                RowProblem::BadDate,
                &format!("a date (YYYY-MM-DD), found {found}"),
            ))
        } else if values.is_null(row) || !values.value(row).is_finite() {
            let found = if original_values.is_null(row) {
                "nothing"
            } else {
                "a value that is not a finite number"
            };
            Some(problem(
                *spend_number,
                spend_column,
                RowProblem::BadNumber,
                &format!("a number, found {found}"),
            ))
        } else if values.value(row) < 0.0 {
            Some(problem(
                *spend_number,
                spend_column,
                RowProblem::NegativeSpend,
                &format!("a spend of 0 or more, found {}", values.value(row)),
            ))
        } else {
            None
        };
        match error {
            Some(error) => {
                chunk.reject(policy, error);
                if chunk.stopped.is_some() {
                    break;
                }
            }
            None => chunk.push(
                id.as_bytes(),
                EPOCH_DAY_NUMBER + days.value(row),
                values.value(row),
                line,
            ),
        }
    }
    Ok(chunk)
}
