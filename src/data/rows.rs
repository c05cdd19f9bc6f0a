//! Parsing of (customer id, date, value) rows, the shape shared by the weekly panel and the
//! transaction log. Runs on one half-block at a time (see `table`), so it owns its output.

use super::error::{DataError, LoadReport, RowError, RowPolicy, RowProblem};
use super::fields::{
    self, ColumnRef, Delimiter, EXPECTED_AMOUNT, EXPECTED_DATE, EXPECTED_SPEND, field_error,
    parse_day, parse_finite,
};
use super::table::{for_each_record, ragged};
use rustc_hash::FxHashMap;

/// What a value column may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// Weekly spend: finite and ≥ 0.
    NonNegative,
    /// A transaction amount: finite, negative for a return.
    Signed,
    /// No value column: every row counts as 1 (count-only data).
    CountOne,
}

/// Where the id, date and value fields are, and how to check them.
pub struct RowLayout {
    pub id: (usize, String),
    pub date: (usize, String),
    pub value: Option<(usize, String)>,
    pub rule: ValueRule,
    /// Number of header fields; every row must have exactly this many. Without a header a
    /// row needs at least enough fields to reach the last wanted column.
    pub header_width: Option<usize>,
    /// `--date-format`: every date in this chrono format.
    pub date_format: Option<std::sync::Arc<str>>,
    /// The decimal mark of amounts (`.` or `,`).
    pub decimal: u8,
}

impl RowLayout {
    /// Resolves the wanted columns against the header.
    pub fn resolve(
        path: &str,
        header: Option<&[String]>,
        id: &ColumnRef,
        date: &ColumnRef,
        value: Option<&ColumnRef>,
        rule: ValueRule,
        expected: &str,
    ) -> Result<Self, DataError> {
        let mut wanted = vec![id, date];
        wanted.extend(value);
        let found = fields::resolve_columns(path, header, &wanted, expected)?;
        let name = |position: usize, column: &ColumnRef| match (header, column) {
            (Some(names), _) => names.get(position).cloned().unwrap_or_default(),
            (None, ColumnRef::Name(name)) => name.clone(),
            (None, ColumnRef::Index(index)) => format!("column {index}"),
        };
        Ok(Self {
            id: (found[0], name(found[0], id)),
            date: (found[1], name(found[1], date)),
            value: value.map(|column| (found[2], name(found[2], column))),
            rule: if value.is_some() {
                rule
            } else {
                ValueRule::CountOne
            },
            header_width: header.map(<[String]>::len),
            date_format: None,
            decimal: b'.',
        })
    }

    /// Exactly three columns, id, date, value, in that order, with a header of three.
    fn is_three_columns_in_order(&self) -> bool {
        self.header_width == Some(3)
            && self.id.0 == 0
            && self.date.0 == 1
            && self.value.as_ref().is_some_and(|v| v.0 == 2)
    }

    fn needed_width(&self) -> usize {
        let last = self.id.0.max(self.date.0);
        self.value.as_ref().map_or(last, |v| last.max(v.0)) + 1
    }
}

/// One valid row; `run` indexes the chunk's runs of identical consecutive customer ids.
pub struct DatedRow {
    pub run: u32,
    pub day: i32,
    pub value: f64,
    pub line: u64,
}

/// The parsed rows of one half-block.
#[derive(Default)]
pub struct RowChunk {
    id_bytes: Vec<u8>,
    run_ends: Vec<usize>,
    pub rows: Vec<DatedRow>,
    pub report: LoadReport,
    /// Strict mode: the first bad row, after which the chunk stopped.
    pub stopped: Option<RowError>,
}

impl RowChunk {
    pub(super) fn push(&mut self, id: &[u8], day: i32, value: f64, line: u64) {
        let same = self
            .run_ends
            .last()
            .is_some_and(|_| self.run_id(self.run_ends.len() - 1) == id);
        if !same {
            self.id_bytes.extend_from_slice(id);
            self.run_ends.push(self.id_bytes.len());
        }
        self.rows.push(DatedRow {
            run: (self.run_ends.len() - 1) as u32,
            day,
            value,
            line,
        });
    }

    pub(super) fn reject(&mut self, policy: RowPolicy, error: RowError) {
        if let Err(DataError::Row(error)) = self.report.reject(policy, error) {
            self.stopped = Some(error);
        }
    }

    /// The customer id of run `run`.
    pub fn run_id(&self, run: usize) -> &[u8] {
        let start = if run == 0 { 0 } else { self.run_ends[run - 1] };
        &self.id_bytes[start..self.run_ends[run]]
    }
}

/// Finished chunks handed back for reuse, so parsing does not fault in fresh pages for
/// every block (that cost more than the parsing itself on large files).
#[derive(Default)]
pub struct ChunkPool(std::sync::Mutex<Vec<RowChunk>>);

impl ChunkPool {
    fn take(&self) -> RowChunk {
        let reused = self.0.lock().ok().and_then(|mut pool| pool.pop());
        let mut chunk = reused.unwrap_or_default();
        chunk.id_bytes.clear();
        chunk.run_ends.clear();
        chunk.rows.clear();
        chunk.report = LoadReport::default();
        chunk.stopped = None;
        chunk
    }

    /// Returns a chunk whose rows have been applied.
    pub fn give_back(&self, chunk: RowChunk) {
        if let Ok(mut pool) = self.0.lock() {
            pool.push(chunk);
        }
    }
}

/// Remembers the day number of each distinct date text: a panel repeats a few dozen dates
/// millions of times, usually in the same order for every customer, so the next expected date
/// is checked first and a hash lookup happens only when the sequence breaks.
#[derive(Default)]
pub struct DayCache {
    seen: Vec<(Box<[u8]>, Option<i32>)>,
    index: FxHashMap<Box<[u8]>, usize>,
    next: usize,
    format: Option<std::sync::Arc<str>>,
}

impl DayCache {
    /// Dates as `layout` reads them.
    pub fn for_layout(layout: &RowLayout) -> Self {
        Self {
            format: layout.date_format.clone(),
            ..Self::default()
        }
    }

    pub fn day_of(&mut self, field: &[u8]) -> Option<i32> {
        if let Some((text, day)) = self.seen.get(self.next)
            && **text == *field
        {
            self.next += 1;
            return *day;
        }
        let position = match self.index.get(field) {
            Some(position) => *position,
            None => {
                let day = match &self.format {
                    Some(format) => fields::parse_day_as(field, format),
                    None => parse_day(field),
                };
                self.seen.push((field.into(), day));
                self.index.insert(field.into(), self.seen.len() - 1);
                self.seen.len() - 1
            }
        };
        self.next = position + 1;
        self.seen[position].1
    }
}

/// Parses the rows of `text` (first line number `first_line`).
pub fn parse_rows(
    pool: &ChunkPool,
    path: &str,
    text: &[u8],
    first_line: u64,
    delimiter: Delimiter,
    layout: &RowLayout,
    policy: RowPolicy,
) -> RowChunk {
    let mut chunk = pool.take();
    chunk.rows.reserve(text.len() / 16);
    let mut day_cache = DayCache::for_layout(layout);
    let needed = layout.needed_width();
    if let Delimiter::Byte(separator) = delimiter
        && layout.is_three_columns_in_order()
        && memchr::memchr(b'"', text).is_none()
    {
        scan_three_fields(
            path,
            text,
            first_line,
            separator,
            layout,
            policy,
            &mut chunk,
            &mut day_cache,
        );
        return chunk;
    }
    for_each_record(path, text, first_line, delimiter, |line, record| {
        if chunk.stopped.is_some() {
            return;
        }
        chunk.report.rows_read += 1;
        let checked = record.and_then(|record| {
            check_row(path, line, record, layout, needed, &mut day_cache).map(|ok| (ok, record))
        });
        match checked {
            Ok(((day, value), record)) => {
                chunk.push(record[layout.id.0].trim_ascii(), day, value, line)
            }
            Err(error) => chunk.reject(policy, error),
        }
    });
    chunk
}

/// The common case, a plain `id,date,value` file: each line is split at its two separators
/// directly, without building a field list. Any line that is not exactly that (wrong field
/// count, bad value, …) goes through `check_row`, so every message is the general one.
#[allow(clippy::too_many_arguments)]
fn scan_three_fields(
    path: &str,
    text: &[u8],
    first_line: u64,
    separator: u8,
    layout: &RowLayout,
    policy: RowPolicy,
    chunk: &mut RowChunk,
    day_cache: &mut DayCache,
) {
    let needed = layout.needed_width();
    let mut start = 0;
    let mut line_number = first_line;
    while start < text.len() && chunk.stopped.is_none() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |p| start + p);
        let line = &text[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let this_line = line_number;
        start = end + 1;
        line_number += 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        chunk.report.rows_read += 1;
        let first = memchr::memchr(separator, line);
        let second =
            first.and_then(|f| memchr::memchr(separator, &line[f + 1..]).map(|p| f + 1 + p));
        let fast = match (first, second) {
            (Some(first), Some(second))
                if memchr::memchr(separator, &line[second + 1..]).is_none() =>
            {
                let id = line[..first].trim_ascii();
                let day = day_cache.day_of(&line[first + 1..second]);
                // A decimal comma always takes the general path (`12.500` is twelve thousand).
                let value = (layout.decimal == b'.')
                    .then(|| parse_finite(&line[second + 1..]))
                    .flatten();
                let sign_ok = |v: f64| v >= 0.0 || layout.rule == ValueRule::Signed;
                match (day, value) {
                    (Some(day), Some(value))
                        if !id.is_empty()
                            && id.len() <= fields::MAX_ID_BYTES
                            && fields::id_is_clean(id)
                            && sign_ok(value) =>
                    {
                        Some((id, day, value))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match fast {
            Some((id, day, value)) => chunk.push(id, day, value, this_line),
            None => {
                let fields: Vec<&[u8]> = line.split(|b| *b == separator).collect();
                match check_row(path, this_line, &fields, layout, needed, day_cache) {
                    Ok((day, value)) => {
                        chunk.push(fields[layout.id.0].trim_ascii(), day, value, this_line)
                    }
                    Err(error) => chunk.reject(policy, error),
                }
            }
        }
    }
}

fn check_row(
    path: &str,
    line: u64,
    record: &[&[u8]],
    layout: &RowLayout,
    needed: usize,
    day_cache: &mut DayCache,
) -> Result<(i32, f64), RowError> {
    let width_ok = match layout.header_width {
        Some(width) => record.len() == width,
        None => record.len() >= needed,
    };
    if !width_ok {
        let want = layout.header_width.unwrap_or(needed);
        return Err(ragged(
            path,
            line,
            want,
            record.len(),
            layout.header_width.is_some(),
        ));
    }
    fn column(c: &(usize, String)) -> (usize, &str) {
        (c.0, c.1.as_str())
    }
    fields::check_id(
        path,
        line,
        column(&layout.id),
        record[layout.id.0].trim_ascii(),
    )?;
    let date = &record[layout.date.0];
    let day = day_cache.day_of(date).ok_or_else(|| {
        field_error(
            path,
            line,
            column(&layout.date),
            RowProblem::BadDate,
            &layout
                .date_format
                .as_ref()
                .map_or_else(|| EXPECTED_DATE.to_string(), |f| format!("a date as {f}")),
            date,
        )
    })?;
    let Some(value_column) = &layout.value else {
        return Ok((day, 1.0));
    };
    let field = &record[value_column.0];
    let expected = match layout.rule {
        ValueRule::NonNegative => EXPECTED_SPEND,
        _ => EXPECTED_AMOUNT,
    };
    let value = if layout.decimal == b'.' {
        parse_finite(field).or_else(|| fields::parse_written_amount(field, b'.'))
    } else {
        fields::parse_written_amount(field, layout.decimal)
    };
    match value {
        Some(value) if value < 0.0 && layout.rule == ValueRule::NonNegative => Err(field_error(
            path,
            line,
            column(value_column),
            RowProblem::NegativeSpend,
            expected,
            field,
        )),
        Some(value) => Ok((day, value)),
        None => Err(field_error(
            path,
            line,
            column(value_column),
            RowProblem::BadNumber,
            expected,
            field,
        )),
    }
}
