//! revgap for Python (the `revgap` package's native module, built by maturin): a partition of
//! the customers, handed over as Arrow record batches without copying, analysed apart into a
//! partial, and the exact merge of partials — what a Spark or Dask worker and its driver need.
//!
//! Owns the Python surface only: converting Python arguments (readers, configurations given as
//! a path or a dict, column names) and errors. The analysis, the partial file format and the
//! merge are `revgap-core`'s (`data::parquet::*_from_batches`, `engine::partial_file`,
//! `report::merged`); this crate depends on nothing else of revgap.

use arrow_array::RecordBatch;
use arrow_array::ffi_stream::RecordBatchStreamReader;
use arrow_pyarrow::PyArrowType;
use pyo3::exceptions::{PyNotImplementedError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use revgap_core::config::Config;
use revgap_core::data::{self, ColumnRef, DataError, Dataset, RowPolicy};
use revgap_core::engine::partial_file::{self, PartialFile};
use revgap_core::engine::partition;
use std::collections::HashMap;

/// The name a partition has in error messages (it is no file).
const PARTITION: &str = "partition";

/// The configuration: none (the defaults), a path to a revgap TOML file, or a dict of the
/// same tables (`{"model": {"churn_model": "rules"}}`); checked for meaning as the CLI checks.
fn config_of(config: Option<&Bound<'_, PyAny>>) -> PyResult<Config> {
    let Some(config) = config else {
        return Ok(Config::default());
    };
    if config.is_instance_of::<PyDict>() {
        let json = config
            .py()
            .import("json")?
            .call_method1("dumps", (config,))?
            .extract::<String>()?;
        let parsed: Config = serde_json::from_str(&json)
            .map_err(|e| PyValueError::new_err(format!("config: {e}")))?;
        return parsed
            .validated()
            .map_err(|e| PyValueError::new_err(format!("config: {e}")));
    }
    let path: std::path::PathBuf = config.extract().map_err(|_| {
        PyValueError::new_err("config: expected a path to a revgap TOML file or a dict")
    })?;
    Config::from_toml_file(&path).map_err(|e| match e {
        revgap_core::config::ConfigError::Read { .. } => PyOSError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    })
}

/// The rows' columns by role, with the names given in `columns` instead of the defaults.
fn column(columns: &HashMap<String, String>, role: &str) -> ColumnRef {
    ColumnRef::Name(
        columns
            .get(role)
            .cloned()
            .unwrap_or_else(|| role.to_string()),
    )
}

fn data_error(error: DataError) -> PyErr {
    match error {
        DataError::Io { .. } | DataError::Temporary(_) => PyOSError::new_err(error.to_string()),
        _ => PyValueError::new_err(error.to_string()),
    }
}

/// The batches of `reader`, read while the interpreter is held (a reader may be Python code).
fn read_all(reader: RecordBatchStreamReader) -> PyResult<(Vec<String>, Vec<RecordBatch>)> {
    use arrow_array::RecordBatchReader;
    let names = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PyValueError::new_err(format!("{PARTITION}: cannot read a batch ({e})")))?;
    Ok((names, batches))
}

/// The dataset of a partition's rows, read as the CLI reads a Parquet file of them.
fn dataset_of(
    names: Vec<String>,
    batches: Vec<RecordBatch>,
    kind: &str,
    columns: &HashMap<String, String>,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Dataset, DataError> {
    let input = data::parquet::Batches {
        name: PARTITION,
        names,
        batches: batches.into_iter().map(Ok),
    };
    match kind {
        "weekly" => {
            let format = data::TableFormat {
                weekly_columns: [
                    column(columns, "customer_id"),
                    column(columns, "week_start_date"),
                    column(columns, "weekly_spend"),
                ],
                ..data::TableFormat::default()
            };
            data::parquet::weekly_from_batches(input, &format, RowPolicy::Lenient, as_of)
        }
        _ => {
            let columns = data::TransactionColumns {
                id: column(columns, "customer_id"),
                date: column(columns, "date"),
                amount: columns.get("amount").map(|a| ColumnRef::Name(a.clone())),
                count_only: false,
            };
            data::parquet::transactions_from_batches(input, &columns, RowPolicy::Lenient, as_of)
        }
    }
}

/// Analyses one partition (every row of its customers) and returns its partial (bytes).
///
/// `reader`: a `pyarrow.RecordBatchReader` or anything with `__arrow_c_stream__`; `kind`:
/// "weekly" or "transactions"; `columns`: the rows' column names when they are not the
/// defaults (`{"customer_id": "cust"}`). Only what depends on a customer's own weeks can be
/// analysed apart: `{"model": {"churn_model": "rules"}, "windows": {"baseline": "original"}}`
/// (or "trailing"); `as_of` ("YYYY-MM-DD") ends every partition's weeks on the same day, as
/// `--as-of` does (a transaction log's partitions otherwise end on their own last purchase);
/// `shared` (the inputs fitted once over everyone) is not built yet.
#[pyfunction]
#[pyo3(signature = (reader, config=None, kind="weekly", columns=None, as_of=None, shared=None))]
fn analyze_partition<'py>(
    py: Python<'py>,
    reader: PyArrowType<RecordBatchStreamReader>,
    config: Option<&Bound<'py, PyAny>>,
    kind: &str,
    columns: Option<HashMap<String, String>>,
    as_of: Option<&str>,
    shared: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    if shared.is_some() {
        return Err(PyNotImplementedError::new_err(
            "shared inputs (BG/NBD, the seasonal profile, the peers' medians fitted once) are not built yet; analyse with {'model': {'churn_model': 'rules'}, 'windows': {'baseline': 'original'}}",
        ));
    }
    if !["weekly", "transactions"].contains(&kind) {
        return Err(PyValueError::new_err(format!(
            "kind {kind:?}: expected \"weekly\" or \"transactions\""
        )));
    }
    let config = config_of(config)?;
    partition::check_config(&config)
        .map_err(|needed| PyValueError::new_err(format!("analyze_partition: {needed}")))?;
    let columns = columns.unwrap_or_default();
    let as_of = as_of
        .map(data::parse_date_arg)
        .transpose()
        .map_err(|e| PyValueError::new_err(format!("as_of: {e}")))?;
    let (names, batches) = read_all(reader.0)?;
    // The analysis runs without the interpreter: other Python threads go on.
    let written = py.detach(|| -> Result<Vec<u8>, PyErr> {
        let dataset = dataset_of(names, batches, kind, &columns, as_of).map_err(data_error)?;
        config
            .check_data_weeks(dataset.week_count())
            .map_err(|e| PyValueError::new_err(format!("invalid config: {e}")))?;
        let analysis = revgap_core::engine::analyze(&dataset, &config);
        partition::check_season(&analysis, dataset.week_count()).map_err(|needed| {
            // In Python the baseline is chosen in the config dict, not by a flag.
            let why = match needed {
                partition::NeedsEveryone::SeasonalBaseline { weeks } => format!(
                    "{weeks} weeks take the seasonal baseline, whose profile is everyone's; expected {{'windows': {{'baseline': 'original'}}}} or 'trailing'"
                ),
                other => other.to_string(),
            };
            PyValueError::new_err(format!("analyze_partition: {why}"))
        })?;
        let file = PartialFile::of(&analysis, &dataset.customer_ids, dataset.load.skipped_rows);
        let mut bytes = Vec::new();
        file.write(&mut bytes)
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
        Ok(bytes)
    })?;
    Ok(PyBytes::new(py, &written))
}

/// Merges the partials of one analysis: a dict with `summary` (the same as `revgap analyze
/// --format json`'s) and `top` (the best `top` customers with a gap, ranked on everyone).
#[pyfunction]
#[pyo3(signature = (partials, top=100))]
fn merge<'py>(py: Python<'py>, partials: Vec<Vec<u8>>, top: usize) -> PyResult<Bound<'py, PyAny>> {
    let json = py.detach(|| -> Result<String, String> {
        let files = partials
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                let name = format!("partial {i}");
                PartialFile::read(bytes.as_slice(), &name).map(|file| (name, file))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let merged = partial_file::merge(&files, top).map_err(|e| e.to_string())?;
        Ok(revgap_core::report::merged::json(&merged).to_string())
    });
    let json = json.map_err(PyValueError::new_err)?;
    py.import("json")?
        .call_method1("loads", (PyString::new(py, &json),))
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(analyze_partition, module)?)?;
    module.add_function(wrap_pyfunction!(merge, module)?)?;
    module.add("PARTIAL_VERSION", partial_file::VERSION)?;
    Ok(())
}
