//! Input errors and the bad-row policy.
//!
//! Every problem is one line that names the file, the 1-based line and column, and what was
//! expected. File-level problems (unreadable, empty, missing column, wrong delimiter) are always
//! fatal; row-level problems skip the row and are counted unless the policy is strict.

use std::collections::BTreeMap;
use std::fmt;

/// What to do with a bad row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowPolicy {
    /// Skip the row, count it, keep going (the default).
    #[default]
    Lenient,
    /// The first bad row is an error.
    Strict,
}

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    /// 1-based line number (the header is line 1 when there is one).
    pub line: u64,
    /// 1-based column number and its name, when the problem is in one field.
    pub column: Option<(usize, String)>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)?;
        if let Some((index, name)) = &self.column {
            write!(f, ":{index} ({name})")?;
        }
        Ok(())
    }
}

/// Why a row was rejected; the key under which skipped rows are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowProblem {
    BadNumber,
    NegativeSpend,
    BadDate,
    BadBool,
    RaggedRow,
    EmptyId,
    DuplicateRow,
    OffWeekGrid,
    Malformed,
    BadId,
    /// A quoted field runs across a line break: the rows after it cannot be trusted, so the
    /// file is refused whatever the policy.
    MultilineField,
}

impl RowProblem {
    pub fn key(self) -> &'static str {
        match self {
            Self::BadNumber => "bad_number",
            Self::NegativeSpend => "negative_spend",
            Self::BadDate => "bad_date",
            Self::BadBool => "bad_bool",
            Self::RaggedRow => "ragged_row",
            Self::EmptyId => "empty_id",
            Self::DuplicateRow => "duplicate_row",
            Self::OffWeekGrid => "off_week_grid",
            Self::Malformed => "malformed",
            Self::BadId => "bad_id",
            Self::MultilineField => "multiline_field",
        }
    }

    /// Problems that make the whole file unusable, whatever the policy.
    pub fn is_fatal(self) -> bool {
        self == Self::MultilineField
    }
}

/// A problem with one row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub location: Location,
    pub problem: RowProblem,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// An input that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: empty file; expected a header line with {expected}")]
    Empty { path: String, expected: String },
    #[error(
        "{path}:1: missing column '{column}'; expected a header with {expected}, found: {found}{hint}"
    )]
    MissingColumn {
        path: String,
        column: String,
        expected: String,
        found: String,
        hint: String,
    },
    #[error("{0}")]
    Row(RowError),
    #[error("{path}: no usable data rows{why}; expected rows of {expected}")]
    NoRows {
        path: String,
        /// Why, when rows were skipped: the most common reasons with an example each.
        why: String,
        expected: String,
    },
    #[error("{0}")]
    Invalid(String),
    /// A temporary file of a streamed reading (in `$TMPDIR`) failed: a full or missing
    /// directory, not the input.
    #[error(
        "a temporary file in {dir} cannot be written or read: {0}",
        dir = std::env::temp_dir().display()
    )]
    Temporary(#[source] std::io::Error),
}

impl DataError {
    /// The process exit code for this error (documented in the README).
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Io { .. } => 66,
            Self::Temporary(_) => 73,
            _ => 65,
        }
    }
}

/// Counts of what loading skipped, filled in or netted, reported in every output.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LoadReport {
    /// Data rows read from the spend file (header excluded).
    pub rows_read: u64,
    /// Rows skipped as bad, in total and by reason.
    pub skipped_rows: u64,
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Bad rows in the customers file (skipped; their customers get unknown attributes).
    pub skipped_customer_rows: u64,
    /// The customers file's skipped rows by reason.
    pub skipped_customer_rows_by_reason: BTreeMap<String, u64>,
    /// The first few problems of each file by line, as one-line messages, so a lenient run
    /// still shows them (the spend file's, then the customers file's).
    pub first_problems: Vec<String>,
    /// Where each of the first problems is, in step with them (the file, 0 for spend and 1
    /// for customers, and the line): the earliest are kept however the rows were read (in
    /// parallel chunks, in parts, regrouped).
    #[serde(skip)]
    pub first_problem_lines: Vec<(u8, u64)>,
    /// The first problem of each kind (its line and message), so a summary can show an
    /// example per reason.
    #[serde(skip)]
    pub example_by_reason: BTreeMap<String, (u64, String)>,
    /// (customer, week) cells absent from a weekly panel, counted as zero spend.
    pub missing_weeks_filled: u64,
    /// Transaction-log rows with a negative amount (returns), netted into their week.
    pub returns_netted: u64,
    /// Weeks whose net spend after returns was negative and was floored at zero.
    pub weeks_floored_at_zero: u64,
    /// Rows dated after the as-of date, left out by design (not errors).
    pub rows_after_as_of: u64,
    /// Customers with spend but no attribute row (analysed with unknown attributes).
    pub customers_without_attributes: u64,
    /// Customers with an attribute row but no spend rows (not analysed).
    pub customers_without_spend: u64,
}

/// How many problem messages a lenient load keeps for display, of each file.
const KEPT_PROBLEMS: usize = 5;
/// The files problems are in, in the order they are shown.
const SPEND_FILE: u8 = 0;
const CUSTOMERS_FILE: u8 = 1;

impl LoadReport {
    /// Applies the policy to a bad row: strict → error, lenient → counted.
    pub fn reject(&mut self, policy: RowPolicy, error: RowError) -> Result<(), DataError> {
        if policy == RowPolicy::Strict || error.problem.is_fatal() {
            return Err(DataError::Row(error));
        }
        self.count_skip(error.problem, 1);
        let line = error.location.line;
        self.keep_example(error.problem.key(), line, error.to_string());
        self.keep_problem((SPEND_FILE, line), error.to_string());
        Ok(())
    }

    /// Keeps a problem if it is among its file's first few by line.
    fn keep_problem(&mut self, at: (u8, u64), message: String) {
        let position = self.first_problem_lines.partition_point(|kept| *kept <= at);
        self.first_problem_lines.insert(position, at);
        self.first_problems.insert(position, message);
        // Over the limit, the file's last kept problem goes.
        let end = self
            .first_problem_lines
            .partition_point(|kept| kept.0 <= at.0);
        let start = self
            .first_problem_lines
            .partition_point(|kept| kept.0 < at.0);
        if end - start > KEPT_PROBLEMS {
            self.first_problem_lines.remove(end - 1);
            self.first_problems.remove(end - 1);
        }
    }

    /// Keeps the customers file's first problems (read into a report of their own).
    pub fn keep_customer_problems(&mut self, customers: LoadReport) {
        for ((_, line), problem) in customers
            .first_problem_lines
            .into_iter()
            .zip(customers.first_problems)
        {
            self.keep_problem((CUSTOMERS_FILE, line), problem);
        }
    }

    /// Keeps a problem as its kind's example if it is the earliest of its kind.
    fn keep_example(&mut self, reason: &str, line: u64, message: String) {
        match self.example_by_reason.get_mut(reason) {
            Some(kept) if kept.0 <= line => {}
            Some(kept) => *kept = (line, message),
            None => {
                self.example_by_reason
                    .insert(reason.to_string(), (line, message));
            }
        }
    }

    /// " (2400 skipped: bad_date 2400, e.g. f.csv:2:2 (date): expected …)": why no row was
    /// usable, the most common reasons first with one example each; empty when none skipped.
    pub fn why_none_usable(&self) -> String {
        if self.skipped_rows == 0 {
            return String::new();
        }
        let mut reasons: Vec<(&String, &u64)> = self.skipped_by_reason.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = reasons
            .iter()
            .take(3)
            .map(
                |(reason, count)| match self.example_by_reason.get(*reason) {
                    Some((_, example)) => format!("{reason} {count}, e.g. {example}"),
                    None => format!("{reason} {count}"),
                },
            )
            .collect();
        format!(" ({} skipped: {})", self.skipped_rows, shown.join("; "))
    }

    /// Counts `count` skipped rows of one kind.
    pub fn count_skip(&mut self, problem: RowProblem, count: u64) {
        self.skipped_rows += count;
        *self
            .skipped_by_reason
            .entry(problem.key().to_string())
            .or_insert(0) += count;
    }

    /// "bad_number 3, ragged_row 1; customers file: bad_bool 1": the skipped rows by reason
    /// and file, for messages.
    pub fn reasons(&self) -> String {
        let list = |counts: &BTreeMap<String, u64>| {
            counts
                .iter()
                .map(|(reason, count)| format!("{reason} {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.skipped_by_reason.is_empty() {
            parts.push(list(&self.skipped_by_reason));
        }
        if !self.skipped_customer_rows_by_reason.is_empty() {
            parts.push(format!(
                "customers file: {}",
                list(&self.skipped_customer_rows_by_reason)
            ));
        }
        parts.join("; ")
    }

    /// Folds the counts of another partial report (from a parallel chunk, or a part of a
    /// streamed panel) into this one.
    pub fn absorb(&mut self, other: LoadReport) {
        self.rows_read += other.rows_read;
        self.skipped_rows += other.skipped_rows;
        for (key, count) in other.skipped_by_reason {
            *self.skipped_by_reason.entry(key).or_insert(0) += count;
        }
        for (at, problem) in other
            .first_problem_lines
            .into_iter()
            .zip(other.first_problems)
        {
            self.keep_problem(at, problem);
        }
        for (reason, (line, example)) in other.example_by_reason {
            self.keep_example(&reason, line, example);
        }
        self.skipped_customer_rows += other.skipped_customer_rows;
        for (key, count) in other.skipped_customer_rows_by_reason {
            *self.skipped_customer_rows_by_reason.entry(key).or_insert(0) += count;
        }
        self.missing_weeks_filled += other.missing_weeks_filled;
        self.returns_netted += other.returns_netted;
        self.weeks_floored_at_zero += other.weeks_floored_at_zero;
        self.rows_after_as_of += other.rows_after_as_of;
        self.customers_without_attributes += other.customers_without_attributes;
        self.customers_without_spend += other.customers_without_spend;
    }
}
