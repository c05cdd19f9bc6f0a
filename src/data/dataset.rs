//! The in-memory dataset: a dense customers × weeks spend grid plus customer attributes.
//!
//! The grid is one contiguous `Vec<f64>`, customer-major (each customer's weeks are
//! contiguous), so per-customer analysis is a slice and 1M × 52 is 416 MB.

use super::error::LoadReport;
use chrono::NaiveDate;
use rustc_hash::FxHashMap;

/// Attributes of one customer from the customers file; `None` fields were absent or unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerProfile {
    pub age: Option<u32>,
    pub household_size: Option<u32>,
    pub loyalty_member: Option<bool>,
    /// Values of the extra columns, in the order of `Dataset::extra_columns`.
    pub extra: Vec<String>,
}

/// Spend per customer per week, with attributes and what loading skipped.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Where the spend came from, for display.
    pub source: String,
    /// First day of each week, ascending, one week apart.
    pub week_starts: Vec<NaiveDate>,
    /// Customer ids in first-seen order.
    pub customer_ids: Vec<String>,
    /// `customer_ids.len() × week_starts.len()` spend values, customer-major.
    pub spend: Vec<f64>,
    /// One entry per customer; `None` when the customer has no attribute row.
    pub profiles: Vec<Option<CustomerProfile>>,
    /// Names of the customers file's extra columns (e.g. name, region).
    pub extra_columns: Vec<String>,
    /// Counts of skipped, filled and netted input.
    pub load: LoadReport,
    /// The last day covered by the data (the as-of date).
    pub as_of: Option<NaiveDate>,
}

impl Dataset {
    pub fn customer_count(&self) -> usize {
        self.customer_ids.len()
    }

    pub fn week_count(&self) -> usize {
        self.week_starts.len()
    }

    /// The weekly spend of customer `index`, oldest week first.
    pub fn weeks_of(&self, index: usize) -> &[f64] {
        let weeks = self.week_count();
        &self.spend[index * weeks..(index + 1) * weeks]
    }

    /// Builds a dataset from explicit rows (tests and the generator use this).
    pub fn from_rows(week_starts: Vec<NaiveDate>, rows: Vec<(String, Vec<f64>)>) -> Self {
        let weeks = week_starts.len();
        let mut dataset = Dataset {
            source: "in-memory".into(),
            as_of: week_starts.last().map(|d| *d + chrono::Days::new(6)),
            week_starts,
            ..Default::default()
        };
        for (id, values) in rows {
            assert_eq!(
                values.len(),
                weeks,
                "row for {id} has the wrong number of weeks"
            );
            dataset.customer_ids.push(id);
            dataset.spend.extend(values);
            dataset.profiles.push(None);
        }
        dataset
    }
}

/// Assigns dense indices to customer ids as they are first seen.
#[derive(Default)]
pub struct CustomerIndex {
    by_id: FxHashMap<Box<[u8]>, u32>,
    pub ids: Vec<String>,
}

impl CustomerIndex {
    /// The index of `id`, inserting it when new; `true` when it was inserted.
    pub fn index_of(&mut self, id: &[u8]) -> (usize, bool) {
        if let Some(index) = self.by_id.get(id) {
            return (*index as usize, false);
        }
        let index = self.ids.len();
        self.by_id.insert(id.into(), index as u32);
        self.ids.push(String::from_utf8_lossy(id).into_owned());
        (index, true)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
}
