//! Per-customer repeat-purchase summaries for the probability models, with the standard
//! definitions: x = repeat purchases (distinct purchase days after the first; same-day
//! purchases merged, their amounts summed), t_x = time of the last purchase after the first,
//! T = time from the first purchase to the calibration end, mean repeat spend = average of the
//! repeat purchases' amounts (first purchase excluded). Time unit: weeks (days / 7).

use serde::Serialize;

/// One summary row; `weight` counts identical rows after compression.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rfm {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
    pub weight: f64,
}

/// A customer's summary with spend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CustomerSummary {
    pub x: u32,
    pub t_x: f64,
    pub t: f64,
    /// Mean amount of the repeat purchases (0 when x = 0).
    pub mean_repeat_spend: f64,
    /// Total spend in the calibration period, first purchase included.
    pub calibration_spend: f64,
    /// Purchase days in the holdout (after the calibration end), for backtests.
    pub holdout_purchases: u32,
    pub holdout_spend: f64,
}

/// Summaries from purchase days: `purchases` holds (day, amount) per customer, in any order;
/// days after `calibration_end` count as holdout. Customers whose first purchase is after the
/// calibration end get `None`.
pub fn summarize(purchases: &mut [(i32, f64)], calibration_end: i32) -> Option<CustomerSummary> {
    summarize_until(purchases, calibration_end, i32::MAX)
}

/// As [`summarize`], counting holdout purchases only up to `holdout_end` (a day number).
pub fn summarize_until(
    purchases: &mut [(i32, f64)],
    calibration_end: i32,
    holdout_end: i32,
) -> Option<CustomerSummary> {
    purchases.sort_unstable_by_key(|p| p.0);
    let mut days: Vec<(i32, f64)> = Vec::with_capacity(purchases.len());
    for (day, amount) in purchases.iter() {
        match days.last_mut() {
            Some(last) if last.0 == *day => last.1 += amount,
            _ => days.push((*day, *amount)),
        }
    }
    let first = days.first()?.0;
    if first > calibration_end {
        return None;
    }
    let calibration: Vec<&(i32, f64)> = days.iter().filter(|d| d.0 <= calibration_end).collect();
    let holdout: Vec<&(i32, f64)> = days
        .iter()
        .filter(|d| d.0 > calibration_end && d.0 <= holdout_end)
        .collect();
    let repeats = &calibration[1..];
    let last = calibration.last().map_or(first, |d| d.0);
    Some(CustomerSummary {
        x: repeats.len() as u32,
        t_x: if repeats.is_empty() {
            0.0
        } else {
            f64::from(last - first) / 7.0
        },
        t: f64::from(calibration_end - first) / 7.0,
        mean_repeat_spend: if repeats.is_empty() {
            0.0
        } else {
            repeats.iter().map(|d| d.1).sum::<f64>() / repeats.len() as f64
        },
        calibration_spend: calibration.iter().map(|d| d.1).sum(),
        holdout_purchases: holdout.len() as u32,
        holdout_spend: holdout.iter().map(|d| d.1).sum(),
    })
}

/// Compresses identical (x, t_x, T) rows into weights (order of first appearance irrelevant).
pub fn compress(rows: impl IntoIterator<Item = (f64, f64, f64)>) -> Vec<Rfm> {
    use rayon::slice::ParallelSliceMut;
    let mut all: Vec<(f64, f64, f64)> = rows.into_iter().collect();
    all.par_sort_unstable_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.total_cmp(&b.2))
    });
    let mut compressed: Vec<Rfm> = Vec::new();
    for (x, t_x, t) in all {
        match compressed.last_mut() {
            Some(last) if last.x == x && last.t_x == t_x && last.t == t => last.weight += 1.0,
            _ => compressed.push(Rfm {
                x,
                t_x,
                t,
                weight: 1.0,
            }),
        }
    }
    compressed
}

/// Every customer's purchase days: day-level transactions when the data has them (grouped
/// once; same-day purchases merged, returns netted into their day), else read from the
/// weekly grid on demand (a week with spend > 0 is one purchase, dated at its start), which
/// costs no memory beyond the grid. Each customer's days are sorted. Summaries at any cut, and
/// cohorts, are read from this without grouping again.
#[derive(Debug, Clone)]
pub enum Purchases<'a> {
    Grouped {
        starts: Vec<usize>,
        days: Vec<(i32, f64)>,
    },
    Weekly {
        dataset: &'a crate::data::Dataset,
        week_days: Vec<i32>,
    },
}

impl<'a> Purchases<'a> {
    pub fn of(dataset: &'a crate::data::Dataset) -> Self {
        match &dataset.transactions {
            Some(transactions) => {
                let (starts, days) = group(transactions, dataset.customer_count());
                Self::Grouped { starts, days }
            }
            None => Self::Weekly {
                dataset,
                week_days: dataset
                    .week_starts
                    .iter()
                    .map(|d| crate::data::day_number(*d))
                    .collect(),
            },
        }
    }

    /// Customer `customer`'s purchase days, sorted, one entry per day.
    pub fn of_customer(&self, customer: usize) -> std::borrow::Cow<'_, [(i32, f64)]> {
        match self {
            Self::Grouped { starts, days } => {
                std::borrow::Cow::Borrowed(&days[starts[customer]..starts[customer + 1]])
            }
            Self::Weekly { dataset, week_days } => std::borrow::Cow::Owned(
                dataset
                    .weeks_of(customer)
                    .iter()
                    .zip(week_days)
                    .filter(|(spend, _)| **spend > 0.0)
                    .map(|(spend, day)| (*day, *spend))
                    .collect(),
            ),
        }
    }

    /// Every `step`-th customer's days (`step` ≥ 1), as a grouped copy: checks that need a
    /// fair sample of the customers, not all of them.
    pub fn every(&self, step: usize) -> Purchases<'static> {
        let step = step.max(1);
        let mut starts = vec![0];
        let mut days = Vec::new();
        for customer in (0..self.customers()).step_by(step) {
            days.extend_from_slice(&self.of_customer(customer));
            starts.push(days.len());
        }
        Purchases::Grouped { starts, days }
    }

    pub fn customers(&self) -> usize {
        match self {
            Self::Grouped { starts, .. } => starts.len() - 1,
            Self::Weekly { dataset, .. } => dataset.customer_count(),
        }
    }

    /// Every customer's summary at `calibration_end`, holdout purchases up to `holdout_end`.
    pub fn summaries(
        &self,
        calibration_end: i32,
        holdout_end: i32,
    ) -> Vec<Option<CustomerSummary>> {
        use rayon::prelude::*;
        (0..self.customers())
            .into_par_iter()
            .map(|customer| {
                summary_of_days(&self.of_customer(customer), calibration_end, holdout_end)
            })
            .collect()
    }
}

/// Groups transactions by customer (a counting sort), then sorts each customer's days and
/// merges same-day purchases in parallel: (start of each customer's run, the days).
fn group(
    transactions: &[crate::data::Transaction],
    customers: usize,
) -> (Vec<usize>, Vec<(i32, f64)>) {
    use rayon::prelude::*;
    let mut starts = vec![0usize; customers + 1];
    for t in transactions {
        starts[t.customer as usize + 1] += 1;
    }
    for i in 0..customers {
        starts[i + 1] += starts[i];
    }
    let mut next = starts.clone();
    let mut days = vec![(0, 0.0); transactions.len()];
    for t in transactions {
        let slot = &mut next[t.customer as usize];
        days[*slot] = (t.day, t.amount);
        *slot += 1;
    }
    let mut slices: Vec<&mut [(i32, f64)]> = Vec::with_capacity(customers);
    let mut rest: &mut [(i32, f64)] = &mut days;
    for customer in 0..customers {
        let (head, tail) = rest.split_at_mut(starts[customer + 1] - starts[customer]);
        slices.push(head);
        rest = tail;
    }
    let merged: Vec<usize> = slices
        .into_par_iter()
        .map(|slice| {
            slice.sort_unstable_by_key(|p| p.0);
            let mut kept = 0;
            for read in 0..slice.len() {
                if kept > 0 && slice[kept - 1].0 == slice[read].0 {
                    slice[kept - 1].1 += slice[read].1;
                } else {
                    slice[kept] = slice[read];
                    kept += 1;
                }
            }
            kept
        })
        .collect();
    // Close the gaps the merging left.
    let mut write = 0;
    let mut compact_starts = vec![0usize; customers + 1];
    for customer in 0..customers {
        let start = starts[customer];
        for offset in 0..merged[customer] {
            days[write] = days[start + offset];
            write += 1;
        }
        compact_starts[customer + 1] = write;
    }
    days.truncate(write);
    (compact_starts, days)
}

/// The summary of sorted, merged purchase days (see [`summarize_until`]).
fn summary_of_days(
    days: &[(i32, f64)],
    calibration_end: i32,
    holdout_end: i32,
) -> Option<CustomerSummary> {
    let &(first, first_amount) = days.first()?;
    if first > calibration_end {
        return None;
    }
    let (mut repeats, mut repeat_spend, mut last) = (0u32, 0.0, first);
    let (mut holdout_purchases, mut holdout_spend) = (0u32, 0.0);
    for &(day, amount) in &days[1..] {
        if day <= calibration_end {
            repeats += 1;
            repeat_spend += amount;
            last = day;
        } else if day <= holdout_end {
            holdout_purchases += 1;
            holdout_spend += amount;
        }
    }
    Some(CustomerSummary {
        x: repeats,
        t_x: if repeats == 0 {
            0.0
        } else {
            f64::from(last - first) / 7.0
        },
        t: f64::from(calibration_end - first) / 7.0,
        mean_repeat_spend: if repeats == 0 {
            0.0
        } else {
            repeat_spend / f64::from(repeats)
        },
        calibration_spend: first_amount + repeat_spend,
        holdout_purchases,
        holdout_spend,
    })
}

/// Summaries of every dataset customer at `calibration_end` (a day number); `None` for
/// customers with no calibration purchase.
pub fn from_dataset(
    dataset: &crate::data::Dataset,
    calibration_end: i32,
    holdout_end: i32,
) -> Vec<Option<CustomerSummary>> {
    Purchases::of(dataset).summaries(calibration_end, holdout_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_day_purchases_merge_and_first_purchase_is_not_a_repeat() {
        // Days 0 (twice), 14, 14, 28; calibration ends on day 35; day 40 is holdout.
        let mut purchases = vec![
            (14, 5.0),
            (0, 10.0),
            (28, 7.0),
            (0, 2.0),
            (14, 3.0),
            (40, 9.0),
        ];
        let summary = summarize(&mut purchases, 35).unwrap();
        assert_eq!(summary.x, 2);
        assert_eq!(summary.t_x, 4.0);
        assert_eq!(summary.t, 5.0);
        assert_eq!(summary.mean_repeat_spend, (8.0 + 7.0) / 2.0);
        assert_eq!((summary.holdout_purchases, summary.holdout_spend), (1, 9.0));
    }

    #[test]
    fn compression_counts_identical_rows() {
        let rows = compress([(0.0, 0.0, 30.0), (1.0, 2.0, 30.0), (0.0, 0.0, 30.0)]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].weight, 2.0);
    }
}
