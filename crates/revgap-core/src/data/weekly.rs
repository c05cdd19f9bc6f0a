//! Loader for the original's weekly panel: `customer_id,week_start_date,weekly_spend`.
//!
//! Weeks are ordered by date, not by text. The week grid runs from the earliest to the latest
//! week start in 7-day steps; a week absent for a customer (or for everyone) is zero spend and
//! counted in `missing_weeks_filled`. A week start off that 7-day grid is a bad row. A second
//! row for the same (customer, week) is rejected as `duplicate_row` rather than summed: in a
//! weekly panel a repeat is an export error, and summing it would double-count revenue.

use super::dataset::{CustomerIndex, Dataset};
use super::error::{DataError, LoadReport, Location, RowError, RowPolicy, RowProblem};
use super::fields::{self, date_of};
use super::grid::SpendGrid;
use super::rows::{RowChunk, RowLayout, ValueRule, scan_rows};
use super::table::{TableFormat, open_table};
use chrono::NaiveDate;
use rustc_hash::FxHashMap;

/// The shortest possible data row, `1,20250906,0\n`, bounds the number of cells.
const MIN_ROW_BYTES: usize = 13;

pub const EXPECTED_WEEKLY: &str = "customer_id,week_start_date,weekly_spend";

/// Loads a weekly panel.
pub fn load_weekly(
    path: &str,
    format: &TableFormat,
    policy: RowPolicy,
    as_of: Option<NaiveDate>,
) -> Result<Dataset, DataError> {
    // Reserve for the most cells the file could hold (untouched capacity costs no memory),
    // so the grid never reallocates and copies while it grows.
    let file_bytes = std::fs::metadata(path).map_or(0, |m| m.len()) as usize;
    let mut grid = PanelGrid::with_capacity(file_bytes / MIN_ROW_BYTES);
    let mut report = LoadReport::default();
    scan_weekly(path, format, policy, |chunk| {
        grid.apply(path, chunk, policy, &mut report)
    })?;
    grid.finish(path, policy, as_of, report)
}

/// Parses a weekly panel CSV block by block (on every core), handing each chunk of rows to
/// `apply` in file order.
pub(super) fn scan_weekly(
    path: &str,
    format: &TableFormat,
    policy: RowPolicy,
    apply: impl FnMut(&RowChunk) -> Result<(), DataError> + Send,
) -> Result<(), DataError> {
    let (stream, header) = open_table(path, format, EXPECTED_WEEKLY)?;
    let [id, week, spend] = &format.weekly_columns;
    let layout = RowLayout::resolve(
        path,
        header.as_deref(),
        id,
        week,
        Some(spend),
        ValueRule::NonNegative,
        EXPECTED_WEEKLY,
    )?;
    scan_rows(stream, path, format, layout, policy, apply)
}

/// Builds the panel from chunks of rows however they were read (Parquet batches); `rows` is
/// how many the source holds, to size the grid once.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
pub(super) fn panel_from_chunks(
    path: &str,
    policy: RowPolicy,
    as_of: Option<NaiveDate>,
    rows: usize,
    chunks: impl Iterator<Item = Result<RowChunk, DataError>>,
) -> Result<Dataset, DataError> {
    let mut grid = PanelGrid::with_capacity(rows);
    let mut report = LoadReport::default();
    for chunk in chunks {
        grid.apply(path, &chunk?, policy, &mut report)?;
    }
    grid.finish(path, policy, as_of, report)
}

/// The week grid of a whole panel, found by a first reading: every part of a streamed panel
/// is laid out on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PanelSpan {
    pub(super) grid_weekday: i32,
    pub(super) first_day: i32,
    pub(super) last_day: i32,
}

impl PanelSpan {
    /// The weeks of a transaction log, which end on `last_day`.
    pub(super) fn of_log((first_day, last_day): (i32, i32)) -> Self {
        Self {
            grid_weekday: (last_day + 1).rem_euclid(7),
            first_day,
            last_day,
        }
    }
}

/// Lays rows out part by part: a part is finished (on the whole panel's weeks) once it holds
/// `part_customers` customers and the next customer begins, handed on, and dropped. Each
/// customer's rows come together (`SpanCount` checked it), so no customer is split in two.
pub(super) struct PanelParts<'a, F> {
    path: &'a str,
    policy: RowPolicy,
    as_of: Option<NaiveDate>,
    span: PanelSpan,
    part_customers: usize,
    grid: PanelGrid,
    report: LoadReport,
    each: F,
}

impl<'a, F: FnMut(Dataset) -> Result<(), DataError>> PanelParts<'a, F> {
    pub(super) fn new(
        path: &'a str,
        policy: RowPolicy,
        as_of: Option<NaiveDate>,
        span: PanelSpan,
        part_customers: usize,
        each: F,
    ) -> Self {
        Self {
            path,
            policy,
            as_of,
            span,
            part_customers,
            grid: PanelGrid::with_capacity(part_customers.saturating_mul(64).min(1 << 24)),
            report: LoadReport::default(),
            each,
        }
    }

    pub(super) fn feed(&mut self, chunk: &RowChunk) -> Result<(), DataError> {
        let mut start = 0;
        let mut previous_run = u32::MAX;
        for (position, row) in chunk.rows.iter().enumerate() {
            if row.run == previous_run {
                continue;
            }
            previous_run = row.run;
            // The customers so far are laid out before the next one is judged.
            self.grid.apply_rows(
                self.path,
                chunk,
                start..position,
                self.policy,
                &mut self.report,
            )?;
            start = position;
            let id = String::from_utf8_lossy(chunk.run_id(row.run as usize));
            if self.grid.customers.len() >= self.part_customers
                && self.grid.customers.find(&id).is_none()
            {
                self.finish_part()?;
            }
        }
        self.grid.apply_rows(
            self.path,
            chunk,
            start..chunk.rows.len(),
            self.policy,
            &mut self.report,
        )?;
        chunk.close(&mut self.report)
    }

    /// Customers in the part being laid out.
    pub(super) fn customer_count(&self) -> usize {
        self.grid.customers.len()
    }

    /// Hands on the part laid out so far (if it has customers), whatever its size.
    pub(super) fn cut(&mut self) -> Result<(), DataError> {
        self.finish_part()
    }

    fn finish_part(&mut self) -> Result<(), DataError> {
        let grid = std::mem::replace(
            &mut self.grid,
            PanelGrid::with_capacity(self.part_customers.saturating_mul(64).min(1 << 24)),
        );
        if grid.customers.is_empty() {
            return Ok(());
        }
        let report = std::mem::take(&mut self.report);
        let part = grid.finish_on(self.path, self.policy, self.as_of, report, Some(&self.span))?;
        (self.each)(part)
    }

    /// Hands on the last part.
    pub(super) fn end(mut self) -> Result<(), DataError> {
        self.finish_part()
    }
}

/// A customers × week-slots grid that grows as new customers and dates appear; slots are
/// numbered in order of first appearance and sorted into weeks at the end.
#[derive(Default)]
struct PanelGrid {
    customers: CustomerIndex,
    stride: usize,
    values: SpendGrid,
    present: Vec<u64>,
    /// Customer rows laid out in `values` (the vectors are longer: zeroed spare capacity).
    laid_out: usize,
    slot_of_day: FxHashMap<i32, usize>,
    slot_days: Vec<i32>,
    slot_rows: Vec<u64>,
    slot_first_line: Vec<u64>,
    next_slot: usize,
}

impl PanelGrid {
    fn with_capacity(cells: usize) -> Self {
        Self {
            // Zeroed up front: the allocator hands out untouched zero pages, so a missing week
            // costs nothing and no pass clears memory before it is written.
            values: SpendGrid::zeroed(cells),
            present: vec![0; cells.div_ceil(64)],
            ..Default::default()
        }
    }

    fn apply(
        &mut self,
        path: &str,
        chunk: &RowChunk,
        policy: RowPolicy,
        report: &mut LoadReport,
    ) -> Result<(), DataError> {
        self.apply_rows(path, chunk, 0..chunk.rows.len(), policy, report)?;
        chunk.close(report)
    }

    fn apply_rows(
        &mut self,
        path: &str,
        chunk: &RowChunk,
        rows: std::ops::Range<usize>,
        policy: RowPolicy,
        report: &mut LoadReport,
    ) -> Result<(), DataError> {
        let mut current_run = usize::MAX;
        let mut customer = 0;
        for row in &chunk.rows[rows] {
            if row.run as usize != current_run {
                current_run = row.run as usize;
                let (index, inserted) = self.customers.index_of(chunk.run_id(current_run));
                if inserted && index == 1 && self.slot_days.len() < self.stride {
                    // The first customer usually shows every week: size rows to that.
                    self.widen(self.slot_days.len());
                }
                if inserted {
                    self.laid_out += 1;
                    self.make_room(self.laid_out * self.stride);
                }
                customer = index;
            }
            let slot = self.slot(row.day, row.line);
            let cell = customer * self.stride + slot;
            let (word, bit) = (cell / 64, 1u64 << (cell % 64));
            if self.present[word] & bit != 0 {
                report.reject(
                    policy,
                    RowError {
                        location: Location {
                            path: path.to_string(),
                            line: row.line,
                            column: None,
                        },
                        problem: RowProblem::DuplicateRow,
                        message: format!(
                            "expected one row per (customer, week), found a second row for customer '{}' week {}",
                            &self.customers.ids[customer],
                            date_of(row.day)
                        ),
                    },
                )?;
                continue;
            }
            self.present[word] |= bit;
            self.values.set_amount(cell, row.amount);
            self.slot_rows[slot] += 1;
        }
        Ok(())
    }

    /// Grows the zeroed grid (doubling) so it holds `cells` cells.
    fn make_room(&mut self, cells: usize) {
        if cells > self.values.len() {
            let size = cells.max(self.values.len() * 2);
            self.values.resize(size);
            self.present.resize(size.div_ceil(64), 0);
        }
    }

    /// The slot of a day, adding a slot (and widening the grid) for a new date.
    fn slot(&mut self, day: i32, line: u64) -> usize {
        // Rows usually come in the same date order for every customer: try the next slot.
        if self.slot_days.get(self.next_slot) == Some(&day) {
            self.next_slot += 1;
            return self.next_slot - 1;
        }
        if let Some(slot) = self.slot_of_day.get(&day) {
            self.next_slot = slot + 1;
            return *slot;
        }
        let slot = self.slot_days.len();
        if slot == self.stride {
            self.widen((self.stride * 2).max(16));
        }
        self.slot_of_day.insert(day, slot);
        self.slot_days.push(day);
        self.slot_rows.push(0);
        self.slot_first_line.push(line);
        self.next_slot = slot + 1;
        slot
    }

    fn widen(&mut self, stride: usize) {
        // Rows already laid out (a customer just inserted has none yet).
        let customers = self.laid_out;
        let cells = self.values.len().max(customers * stride);
        let mut values = match &self.values {
            SpendGrid::Cents(_) => SpendGrid::zeroed(cells),
            SpendGrid::Float(_) => SpendGrid::Float(vec![0.0; cells]),
        };
        let mut present = vec![0u64; cells.div_ceil(64)];
        for customer in 0..customers {
            for slot in 0..self.slot_days.len() {
                let old = customer * self.stride + slot;
                let new = customer * stride + slot;
                values.set(new, self.values.get(old));
                if self.present[old / 64] & (1 << (old % 64)) != 0 {
                    present[new / 64] |= 1 << (new % 64);
                }
            }
        }
        self.values = values;
        self.present = present;
        self.stride = stride;
    }

    /// Sorts slots into a dense weekly grid and drops off-grid or post-as-of dates.
    fn finish(
        self,
        path: &str,
        policy: RowPolicy,
        as_of: Option<NaiveDate>,
        report: LoadReport,
    ) -> Result<Dataset, DataError> {
        self.finish_on(path, policy, as_of, report, None)
    }

    /// `finish`, on the whole file's week grid when `span` is given (a part of a streamed
    /// panel must have the weeks of the whole, even where its own customers start later).
    fn finish_on(
        self,
        path: &str,
        policy: RowPolicy,
        as_of: Option<NaiveDate>,
        mut report: LoadReport,
        span: Option<&PanelSpan>,
    ) -> Result<Dataset, DataError> {
        if self.slot_days.is_empty() && span.is_none() {
            return Err(DataError::NoRows {
                path: path.to_string(),
                why: report.why_none_usable(),
                expected: EXPECTED_WEEKLY.to_string(),
            });
        }
        let as_of_day = as_of.map(fields::day_number);
        // The weekday that most rows use defines the grid.
        let mut rows_by_weekday = [0u64; 7];
        for (slot, day) in self.slot_days.iter().enumerate() {
            rows_by_weekday[day.rem_euclid(7) as usize] += self.slot_rows[slot];
        }
        let grid_weekday = span.map_or_else(
            || {
                (0..7)
                    .max_by_key(|w| (rows_by_weekday[*w], 7 - *w))
                    .unwrap_or(0) as i32
            },
            |span| span.grid_weekday,
        );
        let mut kept: Vec<(i32, usize)> = Vec::new();
        let mut off_grid: Vec<usize> = Vec::new();
        for (slot, day) in self.slot_days.iter().enumerate() {
            if as_of_day.is_some_and(|cut| *day > cut) {
                report.rows_after_as_of += self.slot_rows[slot];
            } else if day.rem_euclid(7) != grid_weekday {
                off_grid.push(slot);
            } else {
                kept.push((*day, slot));
            }
        }
        off_grid.sort_by_key(|slot| self.slot_first_line[*slot]);
        let first_day = span
            .map(|span| span.first_day)
            .or_else(|| kept.iter().map(|k| k.0).min());
        let Some(first_day) = first_day else {
            if let (Some(cut), true) = (as_of, report.rows_after_as_of > 0) {
                return Err(DataError::Invalid(format!(
                    "{path}: no rows on or before --as-of {cut} ({} row(s) are all later); expected an as-of date inside the data",
                    report.rows_after_as_of
                )));
            }
            return Err(DataError::NoRows {
                path: path.to_string(),
                why: report.why_none_usable(),
                expected: EXPECTED_WEEKLY.to_string(),
            });
        };
        for slot in off_grid {
            let error = RowError {
                location: Location {
                    path: path.to_string(),
                    line: self.slot_first_line[slot],
                    column: None,
                },
                problem: RowProblem::OffWeekGrid,
                message: format!(
                    "expected week_start_date on the weekly grid (a multiple of 7 days from {}), found {}",
                    date_of(first_day),
                    date_of(self.slot_days[slot])
                ),
            };
            let rows = self.slot_rows[slot];
            report.reject(policy, error)?;
            report.count_skip(RowProblem::OffWeekGrid, rows.saturating_sub(1));
        }
        let last_day = span.map_or_else(
            || kept.iter().map(|k| k.0).max().unwrap_or(first_day),
            |span| span.last_day,
        );
        if span.is_some()
            && kept
                .iter()
                .any(|(day, _)| *day < first_day || *day > last_day)
        {
            return Err(DataError::Invalid(format!(
                "{path}: the file changed while it was read (a week outside the one read first)"
            )));
        }
        let weeks = super::transactions::check_span(path, first_day, last_day, None)?;
        let customers = self.customers.len();
        // Rows in date order with every slot a kept week: the grid already is the dataset.
        let in_place = self.stride == weeks
            && kept.len() == self.slot_days.len()
            && kept
                .iter()
                .all(|(day, slot)| ((day - first_day) / 7) as usize == *slot);
        let (spend, present_cells) = if in_place {
            let present_cells = self.present.iter().map(|w| u64::from(w.count_ones())).sum();
            let mut values = self.values;
            values.resize(customers * weeks);
            values.shrink_to_fit();
            (values, present_cells)
        } else {
            let mut spend = match &self.values {
                SpendGrid::Cents(_) => SpendGrid::zeroed(customers * weeks),
                SpendGrid::Float(_) => SpendGrid::Float(vec![0.0; customers * weeks]),
            };
            let mut present_cells: u64 = 0;
            for customer in 0..customers {
                for (day, slot) in &kept {
                    let week = ((day - first_day) / 7) as usize;
                    let old = customer * self.stride + slot;
                    if self.present[old / 64] & (1 << (old % 64)) != 0 {
                        present_cells += 1;
                        spend.set(customer * weeks + week, self.values.get(old));
                    }
                }
            }
            (spend, present_cells)
        };
        report.missing_weeks_filled = (customers * weeks) as u64 - present_cells;
        let week_starts = (0..weeks)
            .map(|w| date_of(first_day + 7 * w as i32))
            .collect::<Vec<_>>();
        let data_end = date_of(last_day + 6);
        Ok(Dataset {
            source: path.to_string(),
            customers_source: None,
            week_starts,
            profiles: vec![None; customers],
            customer_ids: self.customers.ids.clone(),
            index: Some(self.customers),
            spend,
            extra_columns: Vec::new(),
            load: report,
            as_of: Some(as_of.map_or(data_end, |cut| cut.min(data_end))),
            unit: crate::text::ValueUnit::Currency,
            transactions: None,
        })
    }
}
