//! The in-memory dataset: a dense customers × weeks spend grid plus customer attributes.
//!
//! The grid is one contiguous vector, customer-major (each customer's weeks are contiguous),
//! of whole cents in `i32` while that is exact (`grid::SpendGrid`): 1M × 52 is 208 MB.

use super::error::LoadReport;
use chrono::NaiveDate;

/// Attributes of one customer from the customers file; `None` fields were absent or unknown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerProfile {
    pub age: Option<u32>,
    pub household_size: Option<u32>,
    pub loyalty_member: Option<bool>,
    /// Values of the extra columns, in the order of `Dataset::extra_columns`.
    pub extra: ExtraValues,
}

/// The extra attribute values of one customer in a single allocation (a million customers
/// with a few text columns each would otherwise cost millions of small strings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtraValues(Box<str>);

/// Separates values inside `ExtraValues`; the ASCII unit separator never occurs in CSV text
/// that means anything, and is replaced if it does.
const UNIT_SEPARATOR: char = '\u{1f}';

impl ExtraValues {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut joined = String::new();
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                joined.push(UNIT_SEPARATOR);
            }
            // Attribute text is untrusted: escapes, controls and bidi overrides never reach
            // a report, a spreadsheet or the screen.
            joined.extend(
                crate::text::one_line(value)
                    .chars()
                    .map(|c| if c == UNIT_SEPARATOR { ' ' } else { c }),
            );
        }
        Self(joined.into_boxed_str())
    }

    /// The values as stored, joined (to be stored elsewhere and read back by `from_joined`).
    pub(super) fn joined(&self) -> &str {
        &self.0
    }

    /// Values as `joined` gave them.
    pub(super) fn from_joined(joined: &str) -> Self {
        Self(joined.into())
    }

    /// Reads the first byte (see `Dataset::warm`).
    pub fn warm(&self) -> u64 {
        u64::from(self.0.as_bytes().first().copied().unwrap_or(0))
    }

    /// The values in column order (none when there are no extra columns).
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let empty = self.0.is_empty();
        self.0.split(UNIT_SEPARATOR).filter(move |_| !empty)
    }
}

/// One purchase (or return) after parsing; consecutive rows of one customer and day are one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transaction {
    pub customer: u32,
    pub day: i32,
    pub amount: f64,
}

/// Spend per customer per week, with attributes and what loading skipped.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Where the spend came from, for display.
    pub source: String,
    /// Where the customer attributes came from, for display (none without a customers file).
    pub customers_source: Option<String>,
    /// First day of each week, ascending, one week apart.
    pub week_starts: Vec<NaiveDate>,
    /// Customer ids in first-seen order.
    pub customer_ids: IdColumn,
    /// `customer_ids.len() × week_starts.len()` spend values, customer-major, in whole
    /// cents while that is exact (see `grid`).
    pub spend: super::grid::SpendGrid,
    /// One entry per customer; `None` when the customer has no attribute row.
    pub profiles: Vec<Option<CustomerProfile>>,
    /// Names of the customers file's extra columns (e.g. name, region).
    pub extra_columns: Vec<String>,
    /// Counts of skipped, filled and netted input.
    pub load: LoadReport,
    /// The last day covered by the data (the as-of date).
    pub as_of: Option<NaiveDate>,
    /// The id → index lookup the loader built, reused to match the customers file (rebuilt
    /// from `customer_ids` when absent).
    pub index: Option<CustomerIndex>,
    /// What the spend values count: money, or purchases for a log read without amounts.
    pub unit: crate::text::ValueUnit,
    /// Day-level purchases, kept when the spend came from a transaction log (the probability
    /// models work at day resolution); `None` for a weekly panel.
    pub transactions: Option<Vec<Transaction>>,
}

impl Dataset {
    pub fn customer_count(&self) -> usize {
        self.customer_ids.len()
    }

    pub fn week_count(&self) -> usize {
        self.week_starts.len()
    }

    /// The weekly spend of customer `index`, oldest week first.
    pub fn weeks_of(&self, index: usize) -> std::borrow::Cow<'_, [f64]> {
        let weeks = self.week_count();
        self.spend.row(index * weeks, weeks)
    }

    /// Reads a little of everything held about customer `index` (id, weeks, attributes) and
    /// returns something of it. Reports list customers in rank order, which is random in
    /// memory: reading a batch ahead this way lets the processor fetch many customers' memory
    /// at once instead of stalling on each in turn.
    pub fn warm(&self, index: usize) -> u64 {
        let weeks = self.week_count();
        let profile = self.profiles.get(index).and_then(Option::as_ref);
        self.customer_ids.warm(index)
            ^ self.spend.warm(index * weeks, weeks)
            ^ profile.map_or(0, |p| p.extra.warm())
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
            dataset.customer_ids.push(&id);
            dataset.spend.extend(&values);
            dataset.profiles.push(None);
        }
        dataset
    }
}

/// Customer ids stored as one text buffer plus end offsets: one allocation for a million ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdColumn {
    text: String,
    ends: Vec<usize>,
}

impl IdColumn {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(&self.text[start..end])
    }

    /// The id's bytes: what lookups compare (no character-boundary checks on the hot path).
    fn bytes(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text.as_bytes()[start..self.ends[index]]
    }

    /// Reads the id's end and first byte (see `Dataset::warm`).
    pub fn warm(&self, index: usize) -> u64 {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.ends[index] as u64 ^ u64::from(self.text.as_bytes().get(start).copied().unwrap_or(0))
    }

    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// Index of `id` by linear search (tests and one-off lookups).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.iter().position(|candidate| candidate == id)
    }
}

impl std::ops::Index<usize> for IdColumn {
    type Output = str;

    fn index(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..self.ends[index]]
    }
}

impl<S: AsRef<str>> FromIterator<S> for IdColumn {
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> Self {
        let mut column = Self::default();
        for item in items {
            column.push(item.as_ref());
        }
        column
    }
}

/// Assigns dense indices to customer ids as they are first seen, without an allocation per id.
#[derive(Default, Clone)]
pub struct CustomerIndex {
    table: hashbrown::HashTable<u32>,
    hasher: rustc_hash::FxBuildHasher,
    pub ids: IdColumn,
}

impl std::fmt::Debug for CustomerIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomerIndex({} ids)", self.ids.len())
    }
}

impl CustomerIndex {
    fn hash(&self, id: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(id)
    }

    /// The index of `id`, inserting it when new; `true` when it was inserted.
    pub fn index_of(&mut self, id: &[u8]) -> (usize, bool) {
        let hash = self.hash(id);
        let ids = &self.ids;
        // Stored ids are valid UTF-8, so equal bytes mean an equal (already valid) id.
        if let Some(found) = self.table.find(hash, |i| ids.bytes(*i as usize) == id) {
            return (*found as usize, false);
        }
        let text = String::from_utf8_lossy(id);
        let hash = self.hash(text.as_bytes());
        if let std::borrow::Cow::Owned(_) = text {
            // Invalid UTF-8 is stored as its lossy text: it may be there under that.
            let ids = &self.ids;
            if let Some(found) = self
                .table
                .find(hash, |i| ids.bytes(*i as usize) == text.as_bytes())
            {
                return (*found as usize, false);
            }
        }
        let index = self.ids.len();
        self.ids.push(&text);
        let (ids, hasher) = (&self.ids, &self.hasher);
        self.table.insert_unique(hash, index as u32, |i| {
            use std::hash::BuildHasher;
            hasher.hash_one(ids[*i as usize].as_bytes())
        });
        (index, true)
    }

    /// The index of an id already seen.
    pub fn find(&self, id: &str) -> Option<usize> {
        let hash = self.hash(id.as_bytes());
        self.table
            .find(hash, |i| &self.ids[*i as usize] == id)
            .map(|i| *i as usize)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Builds the index of an existing id column.
    pub fn of(ids: &IdColumn) -> Self {
        let mut index = Self::default();
        for id in ids.iter() {
            index.index_of(id.as_bytes());
        }
        index
    }
}
