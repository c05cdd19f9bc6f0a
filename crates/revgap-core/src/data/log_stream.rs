//! Streaming a transaction log (`analyze --stream --transactions LOG`) in bounded memory.
//!
//! The first reading finds the log's weeks (they end on the as-of date, else the latest
//! row, and start with the week of the earliest row on or before it), checks every row and
//! counts the customers. The second merges consecutive rows of one customer and day into
//! purchase-days exactly as the whole load does (across chunks too) and puts each customer's
//! purchase-days in buckets on the temporary disk by a hash of the id (`regroup`'s hash, so a
//! customers file joins bucket by bucket). A part is then a few whole buckets' customers,
//! summed into their weeks in the order of the file, as the whole load sums them.

use super::customers::attach_customers;
use super::dataset::{CustomerIndex, Dataset};
use super::error::{DataError, LoadReport};
use super::regroup::{CustomerBuckets, bucket_count, bucket_of, damaged, take};
use super::rows::RowChunk;
use super::transactions::{Transaction, part_of_log};
use super::{LoadOptions, fields};
use crate::spill::{self, Buckets};

/// A log's purchase-days in buckets by customer, and what reading it found.
#[derive(Debug)]
pub(super) struct LogBuckets {
    buckets: Buckets,
    /// The log's weeks: the first and last day.
    days: (i32, i32),
    /// What the reading counted (rows read, skipped, returns): handed on with the first part.
    report: LoadReport,
    /// Every row counted as one purchase (no amount column).
    purchases: bool,
    customers: Option<CustomerBuckets>,
}

/// A customer's purchase-days as read: one run, flushed to its bucket when the next
/// customer's row comes.
#[derive(Default)]
struct Pending {
    id: Vec<u8>,
    days: Vec<(i32, f64)>,
}

impl Pending {
    /// Writes the run as the id's length and bytes, the count of purchase-days, then each as
    /// the change of day (zigzag) and the amount's eight bytes.
    fn flush(&mut self, buckets: &mut Buckets, out: &mut Vec<u8>) -> Result<(), DataError> {
        if self.days.is_empty() {
            return Ok(());
        }
        out.clear();
        spill::put_varint(self.id.len() as u64, out);
        out.extend_from_slice(&self.id);
        spill::put_varint(self.days.len() as u64, out);
        let mut previous = 0i64;
        for (day, amount) in &self.days {
            spill::put_varint(spill::zigzag(i64::from(*day) - previous), out);
            previous = i64::from(*day);
            out.extend_from_slice(&amount.to_bits().to_le_bytes());
        }
        buckets
            .push(bucket_of(&self.id, buckets.count()), out)
            .map_err(DataError::Temporary)?;
        self.days.clear();
        Ok(())
    }
}

/// Reads the log at `path` twice (see the module's comment): its weeks and counts, then its
/// purchase-days into buckets of about `part_customers` customers.
pub(super) fn write(
    path: &str,
    options: &LoadOptions,
    read: &super::ReadPanel<'_>,
    part_customers: usize,
) -> Result<LogBuckets, DataError> {
    let mut count = super::first_reading::SpanCount::new(path, part_customers.max(1));
    read(&mut |chunk| count.feed(chunk))?;
    let runs = count.runs();
    let (_, customers) = count.first_return()?;
    let days = count.log_days(options.as_of)?;
    let buckets_wanted = bucket_count((customers, runs), part_customers);
    let mut buckets = Buckets::new(buckets_wanted, super::regroup::block_bytes(buckets_wanted));
    let mut report = LoadReport::default();
    // Returns are counted as read, up to the cut like the rows (as the whole load does).
    let last_counted_day = options.as_of.map_or(i32::MAX, fields::day_number);
    let (mut pending, mut out) = (Pending::default(), Vec::new());
    read(&mut |chunk: &RowChunk| {
        let mut current_run = usize::MAX;
        for row in &chunk.rows {
            if row.run as usize != current_run {
                current_run = row.run as usize;
                let id = chunk.run_id(current_run);
                if id != pending.id.as_slice() {
                    pending.flush(&mut buckets, &mut out)?;
                    pending.id.clear();
                    pending.id.extend_from_slice(id);
                }
            }
            let value = row.amount.value();
            if value < 0.0 && row.day <= last_counted_day {
                report.returns_netted += 1;
            }
            match pending.days.last_mut() {
                Some((day, amount)) if *day == row.day => *amount += value,
                _ => pending.days.push((row.day, value)),
            }
        }
        chunk.close(&mut report)
    })?;
    pending.flush(&mut buckets, &mut out)?;
    buckets.finish().map_err(DataError::Temporary)?;
    tracing::info!(
        buckets = buckets.count(),
        megabytes = buckets.disk_bytes() as f64 / 1e6,
        "put a transaction log in buckets by customer"
    );
    let customers = options
        .customers
        .as_ref()
        .map(|file| {
            CustomerBuckets::write(&file.display().to_string(), options.policy, buckets.count())
        })
        .transpose()?;
    Ok(LogBuckets {
        buckets,
        days,
        report,
        purchases: false,
        customers,
    })
}

impl LogBuckets {
    /// The log's first and last day.
    pub(super) fn days(&self) -> (i32, i32) {
        self.days
    }

    /// Records whether every row counted as one purchase.
    pub(super) fn with_purchases(mut self, purchases: bool) -> Self {
        self.purchases = purchases;
        self
    }

    /// Hands `each` the log's parts: whole buckets until a part holds `part_customers`
    /// customers, each on the whole log's weeks, with its customers' attributes when a
    /// customers file was given. With one, a part is handed on once the next is made (or the
    /// buckets end), so the customers file rows of every bucket join a part, the trailing
    /// ones the last.
    pub(super) fn parts(
        &self,
        path: &str,
        options: &LoadOptions,
        part_customers: usize,
        each: &mut dyn FnMut(Dataset) -> Result<(), DataError>,
    ) -> Result<(), DataError> {
        let mut held: Option<(Dataset, usize)> = None;
        let mut report = Some(self.report.clone());
        let mut hand_on =
            |held: Option<(Dataset, usize)>, through: usize| -> Result<(), DataError> {
                let Some((mut part, first_bucket)) = held else {
                    return Ok(());
                };
                let file = self
                    .customers
                    .as_ref()
                    .map(|customers| customers.file_of(first_bucket..through))
                    .transpose()?;
                attach_customers(&mut part, file, options.policy)?;
                each(part)
            };
        // The group's customers in first-seen order, ids stored as the whole load stores them.
        let (mut index, mut transactions) = (CustomerIndex::default(), Vec::<Transaction>::new());
        let mut first_bucket = 0;
        let mut bytes = Vec::new();
        let count = self.buckets.count();
        for bucket in 0..count {
            self.buckets
                .read(bucket, &mut bytes)
                .map_err(DataError::Temporary)?;
            let mut at = 0;
            while at < bytes.len() {
                let length = take(&bytes, &mut at)? as usize;
                let id = bytes.get(at..at + length).ok_or_else(damaged)?;
                at += length;
                let customer = index.index_of(id).0 as u32;
                let mut day = 0i64;
                for _ in 0..take(&bytes, &mut at)? {
                    day += spill::unzigzag(take(&bytes, &mut at)?);
                    let amount = bytes.get(at..at + 8).ok_or_else(damaged)?;
                    at += 8;
                    let mut word = [0; 8];
                    word.copy_from_slice(amount);
                    transactions.push(Transaction {
                        customer,
                        day: i32::try_from(day).map_err(|_| damaged())?,
                        amount: f64::from_bits(u64::from_le_bytes(word)),
                    });
                }
            }
            if index.len() < part_customers.max(1) && bucket + 1 < count {
                continue;
            }
            let mut load = report.take().unwrap_or_default();
            let mut part = part_of_log(
                path,
                &std::mem::take(&mut index).ids,
                std::mem::take(&mut transactions),
                self.days,
                &mut load,
            );
            if part.customer_count() == 0 {
                // Nobody here buys by the as-of date: what was counted goes on (to the part
                // held, after the last bucket).
                match (&mut held, bucket + 1 < count) {
                    (_, true) => report = Some(load),
                    (Some((held, _)), false) => held.load.absorb(load),
                    // The last part went on already: the counts go on in a part of their own.
                    (None, false) => {
                        part.load = load;
                        hand_on(Some((part, first_bucket)), count)?;
                    }
                }
                continue;
            }
            part.load = load;
            part.source = crate::text::one_line(path).into_owned();
            if self.purchases {
                part.unit = crate::text::ValueUnit::Purchases;
            }
            hand_on(held.take(), first_bucket)?;
            held = Some((part, first_bucket));
            first_bucket = bucket + 1;
            if self.customers.is_none() {
                // No customers file rows to wait for: on at once, to hold one part less.
                hand_on(held.take(), first_bucket)?;
            }
        }
        hand_on(held, count)
    }
}
