//! Loader for a transaction log (one purchase per row), aggregated to weekly spend.
//!
//! Week boundaries: weeks are 7-day periods that *end on the as-of date* (default: the latest
//! transaction date), so the most recent week is always complete; `week_start_date` is the first
//! day of each period, and the first period is the one holding the earliest transaction.
//! Rows after the as-of date are left out and counted. A negative amount is a return: it is
//! netted into its week, a week whose net is negative is floored at zero, and both are counted.
//! Without an amount column every row counts as one purchase (spend = purchases).

use super::dataset::{CustomerIndex, Dataset};
use super::error::{DataError, LoadReport};
use super::fields::{ColumnRef, date_of, day_number};
use super::rows::{ChunkPool, RowLayout, ValueRule, parse_rows};
use super::table::{TableFormat, open_table};
use chrono::NaiveDate;

/// Which columns hold the id, date and amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionColumns {
    pub id: ColumnRef,
    pub date: ColumnRef,
    /// `None`: use an `amount` column if the header has one, else count purchases.
    pub amount: Option<ColumnRef>,
    /// Ignore any amount column and count purchases.
    pub count_only: bool,
}

impl Default for TransactionColumns {
    fn default() -> Self {
        Self {
            id: ColumnRef::Name("customer_id".into()),
            date: ColumnRef::Name("date".into()),
            amount: None,
            count_only: false,
        }
    }
}

/// Below this magnitude a netted week is a rounding residue.
const RESIDUE: f64 = 1e-9;

/// One purchase (or return) after parsing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transaction {
    pub customer: u32,
    pub day: i32,
    pub amount: f64,
}

/// Loads a transaction log and aggregates it to weekly spend.
pub fn load_transactions(
    path: &str,
    format: &TableFormat,
    columns: &TransactionColumns,
    policy: crate::data::RowPolicy,
    as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError> {
    let expected = describe(columns);
    let (stream, header) = open_table(path, format, &expected)?;
    let default_amount = ColumnRef::Name("amount".into());
    let amount = if columns.count_only {
        None
    } else {
        match (&columns.amount, header.as_deref()) {
            (Some(column), _) => Some(column),
            (None, Some(names)) if names.iter().any(|n| n.eq_ignore_ascii_case("amount")) => {
                Some(&default_amount)
            }
            (None, _) => None,
        }
    };
    let layout = RowLayout::resolve(
        path,
        header.as_deref(),
        &columns.id,
        &columns.date,
        amount,
        ValueRule::Signed,
        &expected,
    )?;
    let delimiter = stream.delimiter();
    let pool = ChunkPool::default();
    let mut customers = CustomerIndex::default();
    let mut transactions: Vec<Transaction> = Vec::new();
    let mut report = LoadReport::default();
    stream.scan(
        |text, first_line| parse_rows(&pool, path, text, first_line, delimiter, &layout, policy),
        |chunk| {
            let mut current_run = usize::MAX;
            let mut customer = 0;
            for row in &chunk.rows {
                if row.run as usize != current_run {
                    current_run = row.run as usize;
                    customer = customers.index_of(chunk.run_id(current_run)).0 as u32;
                }
                transactions.push(Transaction {
                    customer,
                    day: row.day,
                    amount: row.value,
                });
            }
            let stopped = chunk.stopped.clone();
            report.absorb(chunk.report.clone());
            pool.give_back(chunk);
            stopped.map_or(Ok(()), |error| Err(DataError::Row(error)))
        },
    )?;
    let mut dataset = weekly_from_transactions(customers.ids, &transactions, as_of, &mut report)
        .ok_or_else(|| DataError::NoRows {
            path: path.to_string(),
            skipped: report.skipped_rows,
            expected: expected.clone(),
        })?;
    dataset.source = path.to_string();
    dataset.load = report;
    dataset.transactions = Some(transactions);
    Ok(dataset)
}

fn describe(columns: &TransactionColumns) -> String {
    let name = |c: &ColumnRef| match c {
        ColumnRef::Name(n) => n.clone(),
        ColumnRef::Index(i) => format!("column {i}"),
    };
    let amount = columns.amount.as_ref().map_or("[amount]".to_string(), name);
    format!("{},{},{}", name(&columns.id), name(&columns.date), amount)
}

/// Aggregates transactions into weeks ending on the as-of date. `None` when nothing is left.
pub fn weekly_from_transactions(
    customer_ids: super::dataset::IdColumn,
    transactions: &[Transaction],
    as_of: Option<NaiveDate>,
    report: &mut LoadReport,
) -> Option<Dataset> {
    let last_day = match as_of {
        Some(date) => day_number(date),
        None => transactions.iter().map(|t| t.day).max()?,
    };
    let kept = || transactions.iter().filter(move |t| t.day <= last_day);
    report.rows_after_as_of += (transactions.len() - kept().count()) as u64;
    let first_day = kept().map(|t| t.day).min()?;
    let weeks = ((last_day - first_day) / 7 + 1) as usize;
    let week_of = |day: i32| weeks - 1 - ((last_day - day) / 7) as usize;
    let customers = customer_ids.len();
    let mut spend = vec![0.0; customers * weeks];
    for transaction in kept() {
        if transaction.amount < 0.0 {
            report.returns_netted += 1;
        }
        spend[transaction.customer as usize * weeks + week_of(transaction.day)] +=
            transaction.amount;
    }
    for cell in spend.iter_mut().filter(|v| **v < 0.0) {
        // Netting in floating point can leave a -1e-17 residue; that is a zero, not a floor.
        if *cell < -RESIDUE {
            report.weeks_floored_at_zero += 1;
        }
        *cell = 0.0;
    }
    let first_start = last_day - 7 * weeks as i32 + 1;
    Some(Dataset {
        source: String::new(),
        week_starts: (0..weeks)
            .map(|w| date_of(first_start + 7 * w as i32))
            .collect(),
        profiles: vec![None; customers],
        customer_ids,
        spend,
        extra_columns: Vec::new(),
        load: LoadReport::default(),
        as_of: Some(date_of(last_day)),
        index: None,
        transactions: None,
    })
}
