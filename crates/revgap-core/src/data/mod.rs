//! Loading and validating input, and generating sample data.
//!
//! Inputs: a customers file (attributes), and spend as either a weekly panel or a transaction
//! log. Everything lands in one [`Dataset`]. Policy: lenient by default (bad rows are skipped
//! and counted in [`LoadReport`]), strict on request (the first bad row is an error).

mod customers;
mod dataset;
mod error;
mod fields;
mod first_reading;
pub mod generate;
pub mod grid;
mod log_stream;
mod marks;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(not(feature = "parquet"))]
#[path = "parquet_missing.rs"]
pub mod parquet;
mod regroup;
mod rows;
mod table;
mod transactions;
mod weekly;

pub use customers::{CustomersFile, attach_customers, read_customers};
pub use dataset::{CustomerIndex, CustomerProfile, Dataset, ExtraValues, IdColumn};
pub use error::{DataError, LoadReport, Location, RowError, RowPolicy, RowProblem};
pub use fields::{
    ColumnRef, Delimiter, FlagValueError, check_date_format, date_of, day_number, parse_date_arg,
};
use rows::RowChunk;
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

impl LoadOptions {
    /// Registers the files this load reads, so no write of this process replaces them (see
    /// `atomic::protect`).
    pub fn protect_inputs(&self) {
        let (SpendSource::Weekly(path) | SpendSource::Transactions(path, _)) = &self.spend;
        crate::atomic::protect(path, "the spend file");
        if let Some(customers) = &self.customers {
            crate::atomic::protect(customers, "the customers file");
        }
    }
}

/// Loads spend and (if given) customer attributes; the two files are read concurrently.
pub fn load(options: &LoadOptions) -> Result<Dataset, DataError> {
    options.protect_inputs();
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
    dataset.customers_source = options
        .customers
        .as_ref()
        .map(|path| crate::text::one_line(&path.display().to_string()).into_owned());
    tracing::info!(
        customers = dataset.customer_count(),
        weeks = dataset.week_count(),
        "spend loaded"
    );
    attach_customers(&mut dataset, customers.transpose()?, options.policy)?;
    Ok(dataset)
}

/// Customers per part of a streamed panel: a part of 52 weeks is about 20 MB.
pub const STREAM_PART_CUSTOMERS: usize = 100_000;

/// What the first reading of a streamed panel found: its week grid, the file as it was then
/// (size and modification time), so a later reading can skip the checks it made, and, when
/// its customers' rows were scattered, the rows regrouped by customer, which later readings
/// read instead of the file.
#[derive(Debug, Clone)]
pub struct CheckedPanel {
    span: weekly::PanelSpan,
    stamp: (u64, Option<std::time::SystemTime>),
    regrouped: Option<std::sync::Arc<regroup::Regrouped>>,
    /// A transaction log's purchase-days, in buckets by customer.
    log: Option<std::sync::Arc<log_stream::LogBuckets>>,
}

impl PartialEq for CheckedPanel {
    fn eq(&self, other: &Self) -> bool {
        fn same<T>(one: &Option<std::sync::Arc<T>>, other: &Option<std::sync::Arc<T>>) -> bool {
            match (one, other) {
                (Some(one), Some(other)) => std::sync::Arc::ptr_eq(one, other),
                (one, other) => one.is_none() && other.is_none(),
            }
        }
        self.span == other.span
            && self.stamp == other.stamp
            && same(&self.regrouped, &other.regrouped)
            && same(&self.log, &other.log)
    }
}

impl CheckedPanel {
    /// Why the rows were regrouped by customer (`None`: they came together in the file).
    pub fn regrouped_note(&self) -> Option<&str> {
        self.regrouped
            .as_ref()
            .and_then(|regrouped| regrouped.note.as_deref())
    }
}

/// The size and modification time of `path`.
fn file_stamp(path: &str) -> Result<(u64, Option<std::time::SystemTime>), DataError> {
    let metadata = std::fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_string(),
        source,
    })?;
    Ok((metadata.len(), metadata.modified().ok()))
}

/// Reads a weekly panel (CSV or Parquet) part by part, without holding it whole: the file is
/// read first for its week grid (and every row's checks, and whether each customer's rows
/// come together) unless `checked` says a reading already did, then in parts of about
/// `part_customers` customers, each a dataset on the whole panel's weeks handed to `each` and
/// dropped. A file whose customers' rows are scattered is regrouped by customer on the
/// temporary disk once (`regroup`), and its parts are read from there. Customer attributes
/// are not attached. Returns what the checks found, for the next reading of the same file.
pub fn stream_weekly(
    options: &LoadOptions,
    part_customers: usize,
    checked: Option<&CheckedPanel>,
    mut each: impl FnMut(Dataset) -> Result<(), DataError> + Send,
) -> Result<CheckedPanel, DataError> {
    let path = match &options.spend {
        SpendSource::Weekly(path) => path,
        SpendSource::Transactions(path, columns) => {
            return stream_log(options, path, columns, part_customers, checked, each);
        }
    };
    let path = &path.display().to_string();
    let parquet = parquet::is_parquet(std::path::Path::new(path), options.format.parquet);
    let read = |apply: &mut (dyn FnMut(&RowChunk) -> Result<(), DataError> + Send)| {
        if parquet {
            // Decoding runs on a thread of its own, a few batches ahead of the grid.
            let (sender, chunks) = std::sync::mpsc::sync_channel(4);
            std::thread::scope(|scope| {
                scope.spawn(move || {
                    let decoded = parquet::weekly_chunks(path, &options.format, options.policy);
                    match decoded {
                        Ok((_, decoded)) => {
                            for chunk in decoded {
                                // The receiver stopped (an error): stop decoding.
                                if sender.send(chunk).is_err() {
                                    break;
                                }
                            }
                        }
                        Err(error) => {
                            let _ = sender.send(Err(error));
                        }
                    }
                });
                for chunk in chunks {
                    apply(&chunk?)?;
                }
                Ok(())
            })
        } else {
            weekly::scan_weekly(path, &options.format, options.policy, |chunk| apply(chunk))
        }
    };
    let stamp = file_stamp(path)?;
    let (span, regrouped) = match checked {
        Some(checked) if checked.stamp == stamp => (checked.span, checked.regrouped.clone()),
        Some(_) => return Err(changed(path)),
        None => check_panel(path, options, part_customers, &read)?,
    };
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    let source = crate::text::one_line(path).into_owned();
    let attributes = regrouped
        .as_ref()
        .and_then(|regrouped| regrouped.customers.as_ref());
    // With a customers file, a part is whole buckets: those of the customers file rows of
    // buckets `attached..through` join it.
    let (attached, through) = (AtomicUsize::new(0), AtomicUsize::new(usize::MAX));
    let mut parts = weekly::PanelParts::new(
        path,
        options.policy,
        options.as_of,
        span,
        match attributes {
            Some(_) => usize::MAX,
            None => part_customers.max(1),
        },
        |mut part: Dataset| {
            part.source.clone_from(&source);
            let file = attributes.map(|customers| {
                let buckets = attached.load(Relaxed)..through.load(Relaxed).min(customers.count());
                attached.store(buckets.end, Relaxed);
                customers.file_of(buckets)
            });
            attach_customers(&mut part, file.transpose()?, options.policy)?;
            each(part)
        },
    );
    match &regrouped {
        Some(regrouped) if attributes.is_some() => {
            // Cut once a part holds enough customers and the next bucket with rows begins,
            // so every bucket's customers file rows join some part, the last ones the last.
            let mut full = false;
            regrouped.chunks(&mut |bucket, chunk, last| {
                if full && !chunk.rows.is_empty() {
                    through.store(bucket, Relaxed);
                    parts.cut()?;
                    full = false;
                }
                parts.feed(chunk)?;
                full |= last && parts.customer_count() >= part_customers.max(1);
                Ok(())
            })?;
            through.store(usize::MAX, Relaxed);
        }
        Some(regrouped) => regrouped.chunks(&mut |_, chunk, _| parts.feed(chunk))?,
        None => read(&mut |chunk| parts.feed(chunk))?,
    }
    parts.end()?;
    Ok(CheckedPanel {
        span,
        stamp,
        regrouped,
        log: None,
    })
}

/// A file read again that is not as it was read first.
fn changed(path: &str) -> DataError {
    DataError::Invalid(format!(
        "{path}: the panel changed while it was being read (its size or modification time); expected it unchanged until the report is written"
    ))
}

/// `stream_weekly` of a transaction log (CSV or Parquet): its purchase-days go to buckets by
/// customer on the first readings (`log_stream`), and every reading makes its parts from
/// them.
fn stream_log(
    options: &LoadOptions,
    path: &std::path::Path,
    columns: &TransactionColumns,
    part_customers: usize,
    checked: Option<&CheckedPanel>,
    mut each: impl FnMut(Dataset) -> Result<(), DataError> + Send,
) -> Result<CheckedPanel, DataError> {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let path = &path.display().to_string();
    let parquet = parquet::is_parquet(std::path::Path::new(path), options.format.parquet);
    let purchases = AtomicBool::new(false);
    let read = |apply: &mut (dyn FnMut(&RowChunk) -> Result<(), DataError> + Send)| {
        let (_, amounts) = if parquet {
            parquet::scan_log_parquet(path, columns, options.policy, |chunk| apply(chunk))?
        } else {
            transactions::scan_log(path, &options.format, columns, options.policy, |chunk| {
                apply(chunk)
            })?
        };
        purchases.store(!amounts, Relaxed);
        Ok(())
    };
    let stamp = file_stamp(path)?;
    let log = match checked.map(|checked| (checked.stamp == stamp, &checked.log)) {
        Some((true, Some(log))) => log.clone(),
        Some(_) => return Err(changed(path)),
        None => std::sync::Arc::new(
            log_stream::write(path, options, &read, part_customers)?
                .with_purchases(purchases.load(Relaxed)),
        ),
    };
    log.parts(path, options, part_customers, &mut each)?;
    Ok(CheckedPanel {
        span: weekly::PanelSpan::of_log(log.days()),
        stamp,
        regrouped: None,
        log: Some(log),
    })
}

/// Reads a panel once, handing every chunk of rows to the function given.
type ReadPanel<'a> = dyn Fn(&mut (dyn FnMut(&RowChunk) -> Result<(), DataError> + Send)) -> Result<(), DataError>
    + 'a;

/// The first reading of a streamed panel: its week grid, every row's checks, and whether each
/// customer's rows come together; if not, or to join a customers file, a second reading
/// regroups them by customer (`regroup`).
fn check_panel(
    path: &str,
    options: &LoadOptions,
    part_customers: usize,
    read: &ReadPanel<'_>,
) -> Result<
    (
        weekly::PanelSpan,
        Option<std::sync::Arc<regroup::Regrouped>>,
    ),
    DataError,
> {
    let mut count = first_reading::SpanCount::new(path, part_customers.max(1));
    read(&mut |chunk| count.feed(chunk))?;
    let runs = count.runs();
    let (first_return, customers) = count.first_return()?;
    let span = count.span(options.as_of)?;
    // A customers file joins the panel a bucket at a time: both go to buckets by id.
    let attributes = options
        .customers
        .as_ref()
        .map(|path| (path.display().to_string(), options.policy));
    if first_return.is_none() && attributes.is_none() {
        return Ok((span, None));
    }
    let regrouped = regroup::Regrouped::write(
        path,
        read,
        (customers, runs),
        part_customers,
        first_return,
        attributes
            .as_ref()
            .map(|(path, policy)| (path.as_str(), *policy)),
    )?;
    Ok((span, Some(std::sync::Arc::new(regrouped))))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_panel_read_again_skips_its_checks_unless_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("weekly.csv");
        let rows =
            "customer_id,week_start_date,weekly_spend\na,2025-01-06,1.00\nb,2025-01-06,2.00\n";
        std::fs::write(&path, rows).unwrap();
        let options = LoadOptions {
            customers: None,
            spend: SpendSource::Weekly(path.clone()),
            format: TableFormat::default(),
            policy: RowPolicy::Strict,
            as_of: None,
        };
        let read = |checked: Option<&CheckedPanel>| {
            let mut ids = Vec::new();
            let result = stream_weekly(&options, 1, checked, |part| {
                ids.extend(part.customer_ids.iter().map(str::to_string));
                Ok(())
            });
            (result, ids)
        };
        let (checked, ids) = read(None);
        let checked = checked.unwrap();
        assert_eq!(ids, ["a", "b"]);
        let (again, ids) = read(Some(&checked));
        assert_eq!(
            (again.unwrap(), ids),
            (checked.clone(), vec!["a".into(), "b".into()])
        );
        // Grown since: refused, never read as the checks found it.
        std::fs::write(&path, format!("{rows}c,2025-01-06,3.00\n")).unwrap();
        let (changed, ids) = read(Some(&checked));
        let error = changed.unwrap_err().to_string();
        assert!(
            error.ends_with("the panel changed while it was being read (its size or modification time); expected it unchanged until the report is written"),
            "{error}"
        );
        assert!(ids.is_empty());
    }
}
