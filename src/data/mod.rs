//! Loading and validating input, and generating sample data.
//!
//! Inputs: a customers file (attributes), and spend as either a weekly panel or a transaction
//! log. Everything lands in one [`Dataset`]. Policy: lenient by default (bad rows are skipped
//! and counted in [`LoadReport`]), strict on request (the first bad row is an error).

mod customers;
mod dataset;
mod error;
mod fields;
pub mod generate;
pub mod grid;
pub mod parquet;
mod rows;
mod table;
mod transactions;
mod weekly;

pub use customers::{CustomersFile, attach_customers, read_customers};
pub use dataset::{CustomerIndex, CustomerProfile, Dataset, IdColumn};
pub use error::{DataError, LoadReport, Location, RowError, RowPolicy, RowProblem};
pub use fields::{ColumnRef, Delimiter, check_date_format, date_of, day_number, parse_date_arg};
pub use table::{Progress, ProgressHandle, TableFormat};
pub use transactions::{Transaction, TransactionColumns, load_transactions};
pub use weekly::load_weekly;

use chrono::NaiveDate;
use std::path::PathBuf;

/// Where the spend comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum SpendSource {
    Weekly(PathBuf),
    Transactions(PathBuf, TransactionColumns),
}

/// Everything needed to load a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    pub customers: Option<PathBuf>,
    pub spend: SpendSource,
    pub format: TableFormat,
    pub policy: RowPolicy,
    pub as_of: Option<NaiveDate>,
}

/// Loads spend and (if given) customer attributes; the two files are read concurrently.
pub fn load(options: &LoadOptions) -> Result<Dataset, DataError> {
    let (spend, customers) = rayon::join(
        || load_spend(options),
        || {
            options
                .customers
                .as_ref()
                .map(|path| read_customers(&path.display().to_string(), options.policy))
        },
    );
    let mut dataset = spend?;
    // A file name is shown in every report and on screen: no escapes in it.
    dataset.source = crate::text::one_line(&dataset.source).into_owned();
    tracing::info!(
        customers = dataset.customer_count(),
        weeks = dataset.week_count(),
        "spend loaded"
    );
    match customers {
        Some(file) => attach_customers(&mut dataset, file?, options.policy)?,
        None => dataset.load.customers_without_attributes = dataset.customer_count() as u64,
    }
    Ok(dataset)
}

fn load_spend(options: &LoadOptions) -> Result<Dataset, DataError> {
    match &options.spend {
        SpendSource::Weekly(path) if parquet::is_parquet(path, options.format.parquet) => {
            parquet::load_weekly_parquet(
                &path.display().to_string(),
                &options.format,
                options.policy,
                options.as_of,
            )
        }
        SpendSource::Weekly(path) => load_weekly(
            &path.display().to_string(),
            &options.format,
            options.policy,
            options.as_of,
        ),
        SpendSource::Transactions(path, columns)
            if parquet::is_parquet(path, options.format.parquet) =>
        {
            parquet::load_transactions_parquet(
                &path.display().to_string(),
                columns,
                options.policy,
                options.as_of,
            )
        }
        SpendSource::Transactions(path, columns) => load_transactions(
            &path.display().to_string(),
            &options.format,
            columns,
            options.policy,
            options.as_of,
        ),
    }
}
