//! Parquet input: the weekly panel or a transaction log, read batch by batch, only the columns
//! needed (projection), into the same grid and the same checks as the CSV loaders. Ids may be text or integers,
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

/// A Parquet file opened for reading only `wanted` columns: the batch reader, each column's
/// (1-based number, name) in `wanted` order, and the file's row count.
type Opened = (
    parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    Vec<(usize, String)>,
    usize,
);

type Builder = ParquetRecordBatchReaderBuilder<std::fs::File>;

/// Opens `path` and reads its column names (the footer only).
fn open(path: &str) -> Result<(Builder, Vec<String>), DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: path.to_string(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| invalid(path, format!("not a readable Parquet file ({e})")))?;
    let names = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    Ok((builder, names))
}

/// Each of `wanted` among `names`: (1-based number, name), or the error a missing one is.
fn find_columns(
    path: &str,
    names: &[String],
    wanted: &[&ColumnRef],
    expected: &str,
) -> Result<Vec<(usize, String)>, DataError> {
    wanted
        .iter()
        .map(|column| {
            let found = match column {
                ColumnRef::Name(name) => names.iter().position(|n| n == name),
                ColumnRef::Index(number) => number.checked_sub(1).filter(|i| *i < names.len()),
            };
            found.map(|p| (p + 1, names[p].clone())).ok_or_else(|| {
                let missing = match column {
                    ColumnRef::Name(name) => format!("{name:?}"),
                    ColumnRef::Index(number) => format!("number {number}"),
                };
                invalid(
                    path,
                    format!(
                        "expected columns {expected}; column {missing} is missing (found {})",
                        names.join(", ")
                    ),
                )
            })
        })
        .collect()
}

/// Record batches handed over in memory (a Python reader's, a cluster partition's), with the
/// column names of their schema; `name` stands for the file in messages.
pub struct Batches<'a, I> {
    pub name: &'a str,
    pub names: Vec<String>,
    pub batches: I,
}

/// A weekly panel from record batches, read as a Parquet file's batches are: the columns
/// `format.weekly_columns` names, the same checks, the same bad-row policy and counts.
pub fn weekly_from_batches<I>(
    input: Batches<'_, I>,
    format: &super::table::TableFormat,
    policy: RowPolicy,
    as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError>
where
    I: Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>,
{
    let Batches {
        name,
        names,
        batches,
    } = input;
    let wanted: Vec<&ColumnRef> = format.weekly_columns.iter().collect();
    let fields = Fields {
        columns: find_columns(name, &names, &wanted, EXPECTED_WEEKLY)?,
        signed: false,
    };
    let chunks = chunks(name, batches, fields, policy, "a batch");
    panel_from_chunks(name, policy, as_of, 0, chunks)
}

/// A transaction log from record batches, read as a Parquet log is (id, date and an amount
/// when there is one; a negative amount is a return).
pub fn transactions_from_batches<I>(
    input: Batches<'_, I>,
    columns: &super::transactions::TransactionColumns,
    policy: RowPolicy,
    as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError>
where
    I: Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>,
{
    let Batches {
        name,
        names,
        batches,
    } = input;
    let expected = super::transactions::describe(columns);
    let default_amount = ColumnRef::Name("amount".into());
    let wanted = log_columns(columns, &names, &default_amount);
    let fields = Fields {
        columns: find_columns(name, &names, &wanted, &expected)?,
        signed: true,
    };
    let amounts = fields.value().is_some();
    let mut sink = super::transactions::TransactionSink::new(as_of);
    for chunk in chunks(name, batches, fields, policy, "a batch") {
        sink.absorb(&chunk?)?;
    }
    sink.finish(name, &expected, amounts)
}

/// The columns a log is read from among `names`: id, date, and the amount when it is asked
/// for or the default one (`default_amount`) is there; without one every row counts one.
fn log_columns<'c>(
    columns: &'c super::transactions::TransactionColumns,
    names: &[String],
    default_amount: &'c ColumnRef,
) -> Vec<&'c ColumnRef> {
    let amount = if columns.count_only {
        None
    } else {
        match &columns.amount {
            Some(column) => Some(column),
            None => names
                .iter()
                .any(|n| n == "amount")
                .then_some(default_amount),
        }
    };
    let mut wanted = vec![&columns.id, &columns.date];
    wanted.extend(amount);
    wanted
}

/// The chunks of rows of `batches` (a file's row groups or batches handed over: `unit` names
/// them in errors), each checked as the policy says, rows numbered from 1 across them.
fn chunks<'a, E: std::fmt::Display>(
    name: &'a str,
    batches: impl Iterator<Item = Result<RecordBatch, E>> + 'a,
    fields: Fields,
    policy: RowPolicy,
    unit: &'static str,
) -> impl Iterator<Item = Result<RowChunk, DataError>> + 'a {
    let mut first_row = 1u64;
    batches.map(move |batch| {
        let batch = batch.map_err(|e| invalid(name, format!("cannot read {unit} ({e})")))?;
        let chunk = chunk_of(name, &batch, &fields, first_row, policy)?;
        first_row += batch.num_rows() as u64;
        Ok(chunk)
    })
}

/// The reader of only the `wanted` columns of an opened file.
fn project(
    path: &str,
    (builder, names): (Builder, Vec<String>),
    wanted: &[&ColumnRef],
    expected: &str,
) -> Result<Opened, DataError> {
    let rows = builder.metadata().file_metadata().num_rows().max(0) as usize;
    let columns = find_columns(path, &names, wanted, expected)?;
    let positions: Vec<usize> = columns.iter().map(|(number, _)| number - 1).collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), positions);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| invalid(path, e))?;
    Ok((reader, columns, rows))
}

/// Loads a weekly panel stored as Parquet.
pub fn load_weekly_parquet(
    path: &str,
    format: &super::table::TableFormat,
    policy: RowPolicy,
    as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError> {
    let (rows, chunks) = weekly_chunks(path, format, policy)?;
    panel_from_chunks(path, policy, as_of, rows, chunks)
}

/// A weekly panel stored as Parquet as chunks of rows, batch by batch, and its row count.
pub(super) fn weekly_chunks<'a>(
    path: &'a str,
    format: &super::table::TableFormat,
    policy: RowPolicy,
) -> Result<
    (
        usize,
        impl Iterator<Item = Result<RowChunk, DataError>> + 'a,
    ),
    DataError,
> {
    let wanted: Vec<&ColumnRef> = format.weekly_columns.iter().collect();
    let (reader, columns, rows) = project(path, open(path)?, &wanted, EXPECTED_WEEKLY)?;
    let fields = Fields {
        columns,
        signed: false,
    };
    let chunks = chunks(path, reader, fields, policy, "a row group");
    Ok((rows, chunks))
}

/// Loads a transaction log stored as Parquet (id, date and, when there is one, amount; a
/// negative amount is a return), batch by batch into merged purchase-days, as the CSV log.
pub fn load_transactions_parquet(
    path: &str,
    columns: &super::transactions::TransactionColumns,
    policy: RowPolicy,
    as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError> {
    let mut sink = super::transactions::TransactionSink::new(as_of);
    let (expected, amounts) = scan_log_parquet(path, columns, policy, |chunk| sink.absorb(chunk))?;
    sink.finish(path, &expected, amounts)
}

/// Reads a transaction log stored as Parquet batch by batch, handing each chunk of rows to
/// `apply`; returns the columns expected (for messages) and whether amounts were read (or
/// every row counts one purchase).
pub(super) fn scan_log_parquet(
    path: &str,
    columns: &super::transactions::TransactionColumns,
    policy: RowPolicy,
    mut apply: impl FnMut(&super::rows::RowChunk) -> Result<(), DataError>,
) -> Result<(String, bool), DataError> {
    let expected = super::transactions::describe(columns);
    let opened = open(path)?;
    let default_amount = ColumnRef::Name("amount".into());
    let wanted = log_columns(columns, &opened.1, &default_amount);
    let (reader, found, _) = project(path, opened, &wanted, &expected)?;
    let fields = Fields {
        columns: found,
        signed: true,
    };
    let amounts = fields.value().is_some();
    for chunk in chunks(path, reader, fields, policy, "a row group") {
        apply(&chunk?)?;
    }
    Ok((expected, amounts))
}

/// The columns a chunk is read from: (1-based number, name) each of the id, the date and,
/// when there is one, the value (without one every row counts one); `signed` lets values be
/// negative (returns).
struct Fields {
    columns: Vec<(usize, String)>,
    signed: bool,
}

impl Fields {
    fn id(&self) -> &(usize, String) {
        &self.columns[0]
    }

    fn date(&self) -> &(usize, String) {
        &self.columns[1]
    }

    fn value(&self) -> Option<&(usize, String)> {
        self.columns.get(2)
    }
}

/// One batch as a chunk of dated rows; bad values are rejected as the policy says.
fn chunk_of(
    path: &str,
    batch: &RecordBatch,
    fields: &Fields,
    first_row: u64,
    policy: RowPolicy,
) -> Result<RowChunk, DataError> {
    let (id_number, id_column) = fields.id();
    let (week_number, week_column) = fields.date();
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
    // Without a value column every row is one purchase.
    let counted = (0..batch.num_rows())
        .map(|_| 1.0)
        .collect::<arrow_array::Float64Array>();
    let counted: std::sync::Arc<dyn Array> = std::sync::Arc::new(counted);
    let (spend_number, spend_column) = match fields.value() {
        Some((number, name)) => (*number, name.as_str()),
        None => (0, ""),
    };
    let original_values = match fields.value() {
        Some(_) => column(spend_column)?.clone(),
        None => counted.clone(),
    };
    let values = match fields.value() {
        Some(_) => cast(spend_column, &DataType::Float64)?,
        None => counted,
    };
    let values = values.as_primitive::<Float64Type>();
    let original_days = column(week_column)?;
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
                spend_number,
                spend_column,
                RowProblem::BadNumber,
                &format!("a number, found {found}"),
            ))
        } else if values.value(row) < 0.0 && !fields.signed {
            Some(problem(
                spend_number,
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
                super::fields::Amount::Value(values.value(row)),
                line,
            ),
        }
    }
    Ok(chunk)
}
