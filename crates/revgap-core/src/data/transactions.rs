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
use super::rows::{RowLayout, ValueRule, scan_rows};
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

pub use super::dataset::Transaction;

/// Loads a transaction log and aggregates it to weekly spend.
pub fn load_transactions(
    path: &str,
    format: &TableFormat,
    columns: &TransactionColumns,
    policy: crate::data::RowPolicy,
    as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError> {
    let mut sink = TransactionSink::new(as_of);
    let (expected, amounts) = scan_log(path, format, columns, policy, |chunk| sink.absorb(chunk))?;
    sink.finish(path, &expected, amounts)
}

/// Parses a transaction log CSV block by block (on every core), handing each chunk of rows to
/// `apply` in file order; returns the columns expected (for messages) and whether amounts
/// were read (or every row counts one purchase).
pub(super) fn scan_log(
    path: &str,
    format: &TableFormat,
    columns: &TransactionColumns,
    policy: crate::data::RowPolicy,
    apply: impl FnMut(&super::rows::RowChunk) -> Result<(), DataError> + Send,
) -> Result<(String, bool), DataError> {
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
    let with_amounts = layout.value.is_some();
    scan_rows(stream, path, format, layout, policy, apply)?;
    Ok((expected, with_amounts))
}

/// Parsed rows, chunk by chunk, into merged purchase-days: what a log of any format becomes
/// before the weekly grid.
pub struct TransactionSink {
    customers: CustomerIndex,
    transactions: Vec<Transaction>,
    report: LoadReport,
    as_of: Option<NaiveDate>,
    /// Returns are counted as read (merging hides them later), up to the cut like the rows.
    last_counted_day: i32,
}

impl TransactionSink {
    pub fn new(as_of: Option<NaiveDate>) -> Self {
        Self {
            customers: CustomerIndex::default(),
            transactions: Vec::new(),
            report: LoadReport::default(),
            as_of,
            last_counted_day: as_of.map_or(i32::MAX, day_number),
        }
    }

    /// Takes one chunk's rows in; a chunk that stopped (strict mode) ends the load.
    pub fn absorb(&mut self, chunk: &super::rows::RowChunk) -> Result<(), DataError> {
        let mut current_run = usize::MAX;
        let mut customer = 0;
        for row in &chunk.rows {
            if row.run as usize != current_run {
                current_run = row.run as usize;
                customer = self.customers.index_of(chunk.run_id(current_run)).0 as u32;
            }
            let value = row.amount.value();
            if value < 0.0 && row.day <= self.last_counted_day {
                self.report.returns_netted += 1;
            }
            // Lines of one basket arrive together: one purchase-day for everything
            // downstream (the weekly grid sums them, the models merge a day's purchases), so
            // they are merged as read, which keeps a line-level log's memory small.
            match self.transactions.last_mut() {
                Some(last) if last.customer == customer && last.day == row.day => {
                    last.amount += value;
                }
                _ => self.transactions.push(Transaction {
                    customer,
                    day: row.day,
                    amount: value,
                }),
            }
        }
        chunk.close(&mut self.report)
    }

    /// The weekly grid; `amounts` false when every row counted as one purchase.
    pub fn finish(
        mut self,
        path: &str,
        expected: &str,
        amounts: bool,
    ) -> Result<Dataset, DataError> {
        if self.transactions.is_empty() {
            return Err(DataError::NoRows {
                path: path.to_string(),
                why: self.report.why_none_usable(),
                expected: expected.to_string(),
            });
        }
        let mut dataset = weekly_from_transactions(
            path,
            self.customers.ids,
            self.transactions,
            self.as_of,
            &mut self.report,
        )?;
        dataset.load = self.report;
        if !amounts {
            dataset.unit = crate::text::ValueUnit::Purchases;
        }
        Ok(dataset)
    }
}

pub(super) fn describe(columns: &TransactionColumns) -> String {
    let name = |c: &ColumnRef| match c {
        ColumnRef::Name(n) => n.clone(),
        ColumnRef::Index(i) => format!("column {i}"),
    };
    let amount = columns.amount.as_ref().map_or("[amount]".to_string(), name);
    format!("{},{},{}", name(&columns.id), name(&columns.date), amount)
}

/// The longest span of weeks a dataset may cover (20 years): the grid is customers × weeks,
/// so one row dated 0001-01-01 must not make it 2,000 years wide.
pub const MAX_SPAN_WEEKS: usize = 1044;

/// Checks that `first_day..=last_day` fits in [`MAX_SPAN_WEEKS`]; the message names the dates
/// and what to do.
pub fn check_span(
    path: &str,
    first_day: i32,
    last_day: i32,
    cut: Option<NaiveDate>,
) -> Result<usize, DataError> {
    let weeks = ((i64::from(last_day) - i64::from(first_day)) / 7 + 1) as usize;
    if weeks <= MAX_SPAN_WEEKS {
        return Ok(weeks);
    }
    let cause = match cut {
        Some(date) if day_number(date) == last_day => {
            format!(" (--as-of {date} is far after the data)")
        }
        _ => " (an outlier date? check the earliest and latest rows, or cut with --as-of)"
            .to_string(),
    };
    Err(DataError::Invalid(format!(
        "{path}: the data spans {} to {} ({weeks} weeks), more than the {MAX_SPAN_WEEKS}-week (20-year) limit{cause}",
        date_of(first_day),
        date_of(last_day),
    )))
}

/// Aggregates transactions into weeks ending on the as-of date. Only customers with a
/// purchase on or before that date exist in the result (a customer's history starts at their
/// first purchase); rows after it are counted and dropped, and customer indices renumbered.
pub fn weekly_from_transactions(
    path: &str,
    customer_ids: super::dataset::IdColumn,
    mut transactions: Vec<Transaction>,
    as_of: Option<NaiveDate>,
    report: &mut LoadReport,
) -> Result<Dataset, DataError> {
    let latest = transactions.iter().map(|t| t.day).max();
    let last_day = match (as_of, latest) {
        (Some(date), _) => day_number(date),
        (None, Some(day)) => day,
        (None, None) => {
            return Err(DataError::NoRows {
                path: path.to_string(),
                why: report.why_none_usable(),
                expected: "customer_id,date[,amount]".into(),
            });
        }
    };
    let before = transactions.len();
    transactions.retain(|t| t.day <= last_day);
    report.rows_after_as_of += (before - transactions.len()) as u64;
    let Some(first_day) = transactions.iter().map(|t| t.day).min() else {
        let earliest = transactions_earliest(latest, report);
        return Err(DataError::Invalid(format!(
            "{path}: no rows on or before --as-of {}{earliest}; expected an as-of date inside the data",
            date_of(last_day)
        )));
    };
    let weeks = check_span(path, first_day, last_day, as_of)?;
    Ok(grid_of(
        path,
        &customer_ids,
        transactions,
        (first_day, last_day),
        weeks,
        report,
    ))
}

/// Some customers' share of a log whose weeks are known (a part of a streamed log): the
/// weeks `first_day..=last_day` of the whole log, whatever these customers' own dates. Rows
/// after `last_day` are counted and dropped as the whole log's are.
pub(super) fn part_of_log(
    path: &str,
    customer_ids: &super::dataset::IdColumn,
    mut transactions: Vec<Transaction>,
    (first_day, last_day): (i32, i32),
    report: &mut LoadReport,
) -> Dataset {
    let before = transactions.len();
    transactions.retain(|t| t.day <= last_day);
    report.rows_after_as_of += (before - transactions.len()) as u64;
    let weeks = ((last_day - first_day) / 7 + 1) as usize;
    grid_of(
        path,
        customer_ids,
        transactions,
        (first_day, last_day),
        weeks,
        report,
    )
}

/// The weekly grid of `weeks` weeks ending on `last_day` from transactions on or before it,
/// of the customers that have one (renumbered in first-seen order).
fn grid_of(
    path: &str,
    customer_ids: &super::dataset::IdColumn,
    mut transactions: Vec<Transaction>,
    (first_day, last_day): (i32, i32),
    weeks: usize,
    report: &mut LoadReport,
) -> Dataset {
    debug_assert!(
        transactions
            .iter()
            .all(|t| (first_day..=last_day).contains(&t.day))
    );
    // Renumber the customers that exist by the as-of date, in first-seen order.
    let mut renumbered = vec![u32::MAX; customer_ids.len()];
    for t in &transactions {
        renumbered[t.customer as usize] = 0;
    }
    let mut kept_ids = super::dataset::IdColumn::default();
    for (old, slot) in renumbered.iter_mut().enumerate() {
        if *slot == 0 {
            *slot = kept_ids.len() as u32;
            kept_ids.push(&customer_ids[old]);
        }
    }
    for t in &mut transactions {
        t.customer = renumbered[t.customer as usize];
    }
    let week_of = |day: i32| weeks - 1 - ((last_day - day) / 7) as usize;
    let customers = kept_ids.len();
    let mut spend = vec![0.0; customers * weeks];
    for transaction in &transactions {
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
    Dataset {
        source: path.to_string(),
        customers_source: None,
        week_starts: (0..weeks)
            .map(|w| date_of(first_start + 7 * w as i32))
            .collect(),
        profiles: vec![None; customers],
        customer_ids: kept_ids,
        spend: super::grid::SpendGrid::from_values(spend),
        extra_columns: Vec::new(),
        load: LoadReport::default(),
        as_of: Some(date_of(last_day)),
        index: None,
        unit: crate::text::ValueUnit::Currency,
        transactions: Some(transactions),
    }
}

/// "; the data starts …" when the earliest row is known.
fn transactions_earliest(latest: Option<i32>, report: &LoadReport) -> String {
    match latest {
        Some(day) => format!(
            " ({} row(s) are all later; the latest is {})",
            report.rows_after_as_of,
            date_of(day)
        ),
        None => String::new(),
    }
}
