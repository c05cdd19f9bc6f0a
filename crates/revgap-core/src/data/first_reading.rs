//! The first reading of a streamed file (`stream_weekly`): every row's checks, the days its
//! rows fall on (a panel's week grid, a log's first and last day), and the runs of each
//! customer's rows: whether they come together, the earliest row whose customer comes back,
//! and how many customers there are.

use super::error::{DataError, LoadReport};
use super::fields::{self, date_of};
use super::rows::RowChunk;
use super::weekly::{EXPECTED_WEEKLY, PanelSpan};
use crate::spill::{Counted, Spill};
use chrono::NaiveDate;
use rustc_hash::FxHashMap;

/// Counts rows by day on a first reading, for the week grid (checking each row as the
/// loader does), and notes where each run of a customer's rows starts, to check that each
/// customer's rows come together.
pub(super) struct SpanCount<'a> {
    path: &'a str,
    rows_by_day: FxHashMap<i32, u64>,
    report: LoadReport,
    /// (hash of the id, line) of every run of one customer's rows, sorted on disk a batch at
    /// a time (`spill`): memory stays a batch whatever the customer count. SipHash with a
    /// random key, so two ids collide by accident about once in 10^12 runs at 10M customers.
    runs: Spill<Counted>,
    /// The ids (hashes) of the first customers, up to a few batches of them: a run of one
    /// of them again is a return, so every run after it is too late to be the earliest and
    /// need not go to the disk (a file sorted by week, every row a run, stops spilling once
    /// its first customer's second week comes).
    first_customers: rustc_hash::FxHashSet<u64>,
    first_customers_limit: usize,
    /// A return seen: the runs on the disk end there.
    returned: bool,
    /// Runs read, and the customers among them (estimated once the runs stop going to disk).
    run_count: u64,
    customers: crate::stats::distinct::DistinctSketch,
    hasher: std::hash::RandomState,
    /// The customer of the last row read (their rows may go on in the next chunk).
    current: Vec<u8>,
}

impl<'a> SpanCount<'a> {
    /// Holds up to a few `batch`es of run starts in memory at a time.
    pub(super) fn new(path: &'a str, batch: usize) -> Self {
        // A file sorted by week has a run a row: sorted in batches of a few weeks' rows.
        let batch = batch.saturating_mul(8);
        Self {
            path,
            rows_by_day: FxHashMap::default(),
            report: LoadReport::default(),
            runs: Spill::new(batch, Counted::by_owner),
            first_customers: rustc_hash::FxHashSet::default(),
            first_customers_limit: batch,
            returned: false,
            run_count: 0,
            customers: Default::default(),
            hasher: std::hash::RandomState::new(),
            current: Vec::new(),
        }
    }

    /// Notes a run of `owner`'s rows starting at `line`.
    fn note_run(&mut self, owner: u64, line: u64) -> Result<(), DataError> {
        self.run_count += 1;
        self.customers.add(owner);
        if self.returned {
            return Ok(());
        }
        self.runs
            .push(Counted { owner, count: line })
            .map_err(DataError::Temporary)?;
        if self.first_customers.contains(&owner) {
            // A return: the earliest is this one or one before it, all on the disk.
            self.returned = true;
        } else if self.first_customers.len() < self.first_customers_limit {
            self.first_customers.insert(owner);
        }
        Ok(())
    }

    pub(super) fn feed(&mut self, chunk: &RowChunk) -> Result<(), DataError> {
        use std::hash::BuildHasher;
        let mut previous_run = u32::MAX;
        for row in &chunk.rows {
            if row.run == previous_run {
                continue;
            }
            previous_run = row.run;
            let id = chunk.run_id(row.run as usize);
            if id == self.current.as_slice() {
                continue;
            }
            self.note_run(self.hasher.hash_one(id), row.line)?;
            self.current.clear();
            self.current.extend_from_slice(id);
        }
        // Rows come in runs of one day: count runs, not rows, in the map.
        let mut run: Option<(i32, u64)> = None;
        for row in &chunk.rows {
            match &mut run {
                Some((day, count)) if *day == row.day => *count += 1,
                _ => {
                    if let Some((day, count)) = run {
                        *self.rows_by_day.entry(day).or_default() += count;
                    }
                    run = Some((row.day, 1));
                }
            }
        }
        if let Some((day, count)) = run {
            *self.rows_by_day.entry(day).or_default() += count;
        }
        chunk.close(&mut self.report)
    }

    /// Runs of one customer's rows read so far.
    pub(super) fn runs(&self) -> u64 {
        self.run_count
    }

    /// The first row whose customer's rows began before, after other customers' (`None`:
    /// every customer's rows come together), and how many customers there are (exact when
    /// they do, estimated otherwise).
    pub(super) fn first_return(&mut self) -> Result<(Option<u64>, u64), DataError> {
        let runs = std::mem::replace(&mut self.runs, Spill::new(1, Counted::by_owner));
        let mut previous: Option<u64> = None;
        let mut first: Option<u64> = None;
        let mut customers = 0;
        // Sorted by customer, then line: a customer's second run is the earliest return.
        for run in runs.merge().map_err(DataError::Temporary)? {
            let run = run.map_err(DataError::Temporary)?;
            if previous == Some(run.owner) {
                first = Some(first.map_or(run.count, |line| line.min(run.count)));
            } else {
                customers += 1;
            }
            previous = Some(run.owner);
        }
        if self.returned {
            // The runs after the return were not kept: their customers are estimated.
            customers = self.customers.estimate();
        }
        self.first_customers = Default::default();
        Ok((first, customers))
    }

    /// A transaction log's days: the last is `as_of` (else the latest row's), the first the
    /// earliest row's on or before it.
    pub(super) fn log_days(&self, as_of: Option<NaiveDate>) -> Result<(i32, i32), DataError> {
        let path = self.path;
        let latest = self.rows_by_day.keys().max().copied();
        let last_day = match (as_of, latest) {
            (Some(date), _) => fields::day_number(date),
            (None, Some(day)) => day,
            (None, None) => {
                return Err(DataError::NoRows {
                    path: path.to_string(),
                    why: self.report.why_none_usable(),
                    expected: "customer_id,date[,amount]".into(),
                });
            }
        };
        let first_day = self
            .rows_by_day
            .keys()
            .filter(|day| **day <= last_day)
            .min();
        let Some(first_day) = first_day.copied() else {
            return Err(DataError::Invalid(format!(
                "{path}: no rows on or before --as-of {} (the latest is {}); expected an as-of date inside the data",
                date_of(last_day),
                date_of(latest.unwrap_or(last_day)),
            )));
        };
        super::transactions::check_span(path, first_day, last_day, as_of)?;
        Ok((first_day, last_day))
    }

    /// The grid: the weekday most rows use, the first and last week on or before `as_of`.
    pub(super) fn span(self, as_of: Option<NaiveDate>) -> Result<PanelSpan, DataError> {
        let path = self.path;
        let as_of_day = as_of.map(fields::day_number);
        let mut rows_by_weekday = [0u64; 7];
        for (day, rows) in &self.rows_by_day {
            rows_by_weekday[day.rem_euclid(7) as usize] += rows;
        }
        let grid_weekday = (0..7)
            .max_by_key(|w| (rows_by_weekday[*w], 7 - *w))
            .unwrap_or(0) as i32;
        let kept = self.rows_by_day.keys().filter(|day| {
            day.rem_euclid(7) == grid_weekday && as_of_day.is_none_or(|cut| **day <= cut)
        });
        let (Some(first_day), Some(last_day)) = (kept.clone().min(), kept.max()) else {
            return Err(DataError::NoRows {
                path: path.to_string(),
                why: self.report.why_none_usable(),
                expected: EXPECTED_WEEKLY.to_string(),
            });
        };
        Ok(PanelSpan {
            grid_weekday,
            first_day: *first_day,
            last_day: *last_day,
        })
    }
}
