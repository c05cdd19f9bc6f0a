//! Parsing of (customer id, date, value) rows, the shape shared by the weekly panel and the
//! transaction log. Runs on one half-block at a time (see `table`), so it owns its output.

use super::error::{DataError, LoadReport, RowError, RowPolicy, RowProblem};
use super::fields::{
    self, Amount, ColumnRef, Delimiter, EXPECTED_AMOUNT, EXPECTED_DATE, EXPECTED_SPEND,
    field_error, parse_amount, parse_day,
};
use super::marks::Marks;
use super::table::{TableFormat, TableStream, for_each_record, ragged};
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
#[derive(Debug, PartialEq)]
pub struct DatedRow {
    pub run: u32,
    pub day: i32,
    pub amount: Amount,
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
    pub(super) fn push(&mut self, id: &[u8], day: i32, amount: Amount, line: u64) {
        let same = self.continues_run(id);
        self.push_known(same, id, day, amount, line);
    }

    /// True when `id` is the customer of the last row pushed.
    #[inline]
    fn continues_run(&self, id: &[u8]) -> bool {
        let start = match self.run_ends.len() {
            0 => return false,
            1 => 0,
            runs => self.run_ends[runs - 2],
        };
        same_short(&self.id_bytes[start..], id)
    }

    /// `push`, told whether the row continues the last run.
    fn push_known(&mut self, same: bool, id: &[u8], day: i32, amount: Amount, line: u64) {
        if !same {
            self.id_bytes.extend_from_slice(id);
            self.run_ends.push(self.id_bytes.len());
        }
        self.rows.push(DatedRow {
            run: (self.run_ends.len() - 1) as u32,
            day,
            amount,
            line,
        });
    }

    pub(super) fn reject(&mut self, policy: RowPolicy, error: RowError) {
        if let Err(DataError::Row(error)) = self.report.reject(policy, error) {
            self.stopped = Some(error);
        }
    }

    /// Counts the chunk's skipped rows into `report` once its rows are applied (in one or
    /// more ranges), and stops at its first bad row (strict mode).
    pub(super) fn close(&self, report: &mut LoadReport) -> Result<(), DataError> {
        report.absorb(self.report.clone());
        match &self.stopped {
            Some(error) => Err(DataError::Row(error.clone())),
            None => Ok(()),
        }
    }

    /// Empties the chunk, keeping its memory for the next rows.
    pub(super) fn clear(&mut self) {
        self.id_bytes.clear();
        self.run_ends.clear();
        self.rows.clear();
        self.report = LoadReport::default();
        self.stopped = None;
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
struct ChunkPool(std::sync::Mutex<Vec<RowChunk>>);

impl ChunkPool {
    fn take(&self) -> RowChunk {
        let reused = self.0.lock().ok().and_then(|mut pool| pool.pop());
        let mut chunk = reused.unwrap_or_default();
        chunk.clear();
        chunk
    }

    /// Returns a chunk whose rows have been applied.
    fn give_back(&self, chunk: RowChunk) {
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

    #[inline]
    pub fn day_of(&mut self, field: &[u8]) -> Option<i32> {
        if let Some((text, day)) = self.seen.get(self.next)
            && same_short(text, field)
        {
            self.next += 1;
            return *day;
        }
        // A file sorted by date repeats the last date instead.
        if let Some((text, day)) = self
            .next
            .checked_sub(1)
            .and_then(|last| self.seen.get(last))
            && same_short(text, field)
        {
            return *day;
        }
        self.look_up(field)
    }

    /// A date out of the expected sequence: seen before, or parsed now.
    #[inline(never)]
    fn look_up(&mut self, field: &[u8]) -> Option<i32> {
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

/// Reads the rest of `stream` as rows of `layout`, with `format`'s date format and decimal
/// mark, parsed on every core and handed to `apply` chunk by chunk in file order.
pub fn scan_rows(
    stream: TableStream,
    path: &str,
    format: &TableFormat,
    mut layout: RowLayout,
    policy: RowPolicy,
    mut apply: impl FnMut(&RowChunk) -> Result<(), DataError> + Send,
) -> Result<(), DataError> {
    layout.date_format = format.date_format.clone();
    layout.decimal = format.decimal;
    let delimiter = stream.delimiter();
    let pool = ChunkPool::default();
    stream.scan(
        |text, first_line| parse_rows(&pool, path, text, first_line, delimiter, &layout, policy),
        |chunk| {
            let applied = apply(&chunk);
            pool.give_back(chunk);
            applied
        },
    )
}

/// Parses the rows of `text` (first line number `first_line`).
fn parse_rows(
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
    let reading = Reading {
        path,
        first_line,
        layout,
        policy,
    };
    if let Delimiter::Byte(separator) = delimiter
        && layout.is_three_columns_in_order()
        && !matches!(separator, b'\n' | b'\r')
        && memchr::memchr(b'"', text).is_none()
    {
        scan_three_fields(&reading, text, separator, &mut chunk, &mut day_cache);
    } else {
        scan_records(&reading, text, delimiter, &mut chunk, &mut day_cache);
    }
    chunk
}

/// What the rows of a half-block are read against.
#[derive(Clone, Copy)]
struct Reading<'a> {
    path: &'a str,
    /// The line number of the half-block's first line.
    first_line: u64,
    layout: &'a RowLayout,
    policy: RowPolicy,
}

/// Any layout: records as the CSV rules split them, every row checked by `check_row`.
fn scan_records(
    &Reading {
        path,
        first_line,
        layout,
        policy,
    }: &Reading,
    text: &[u8],
    delimiter: Delimiter,
    chunk: &mut RowChunk,
    day_cache: &mut DayCache,
) {
    let needed = layout.needed_width();
    for_each_record(path, text, first_line, delimiter, |line, record| {
        if chunk.stopped.is_some() {
            return;
        }
        chunk.report.rows_read += 1;
        let checked = record.and_then(|record| {
            check_row(path, line, record, layout, needed, day_cache).map(|ok| (ok, record))
        });
        match checked {
            Ok(((day, amount), record)) => {
                chunk.push(record[layout.id.0].trim_ascii(), day, amount, line)
            }
            Err(error) => chunk.reject(policy, error),
        }
    });
}

/// The common case, a plain `id,date,value` file: each line is cut at its two separators,
/// found with the line's end in one pass over the text (`Marks`), without building a field
/// list. Any line that is not exactly that (wrong field count, bad value, …) goes through
/// `check_row`, so every message is the general one.
fn scan_three_fields(
    &Reading {
        path,
        first_line,
        layout,
        policy,
    }: &Reading,
    text: &[u8],
    separator: u8,
    chunk: &mut RowChunk,
    day_cache: &mut DayCache,
) {
    let needed = layout.needed_width();
    let mut marks = Marks::new(text, separator);
    let mut start = 0;
    let mut line_number = first_line;
    while start < text.len() && chunk.stopped.is_none() {
        let mut separators = [0; 2];
        let mut separator_count = 0;
        let end = loop {
            match marks.next() {
                None => break text.len(),
                Some(position) if text[position] == b'\n' => break position,
                Some(position) => {
                    if let Some(slot) = separators.get_mut(separator_count) {
                        *slot = position - start;
                    }
                    separator_count += 1;
                }
            }
        };
        let line = &text[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let this_line = line_number;
        start = end + 1;
        line_number += 1;
        let fast = match (separator_count, separators) {
            (2, [first, second]) => {
                let id = line[..first].trim_ascii();
                let continues = chunk.continues_run(id);
                let day = day_cache.day_of(&line[first + 1..second]);
                // A decimal comma always takes the general path (`12.500` is twelve thousand).
                let amount = (layout.decimal == b'.')
                    .then(|| parse_amount(&line[second + 1..]))
                    .flatten();
                let sign_ok = |a: Amount| a.value() >= 0.0 || layout.rule == ValueRule::Signed;
                // The run's id passed these checks on its first row.
                let id_ok = || {
                    continues
                        || (!id.is_empty()
                            && id.len() <= fields::MAX_ID_BYTES
                            && fields::id_is_clean(id))
                };
                match (day, amount) {
                    (Some(day), Some(amount)) if sign_ok(amount) && id_ok() => {
                        Some((continues, id, day, amount))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match fast {
            Some((continues, id, day, amount)) => {
                chunk.report.rows_read += 1;
                chunk.push_known(continues, id, day, amount, this_line)
            }
            None if line.trim_ascii().is_empty() => {}
            None => {
                chunk.report.rows_read += 1;
                let fields: Vec<&[u8]> = line.split(|b| *b == separator).collect();
                match check_row(path, this_line, &fields, layout, needed, day_cache) {
                    Ok((day, amount)) => {
                        chunk.push(fields[layout.id.0].trim_ascii(), day, amount, this_line)
                    }
                    Err(error) => chunk.reject(policy, error),
                }
            }
        }
    }
}

/// `a == b` for the short ids and dates of rows, without a library call per row.
#[inline]
fn same_short(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        4..8 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

fn check_row(
    path: &str,
    line: u64,
    record: &[&[u8]],
    layout: &RowLayout,
    needed: usize,
    day_cache: &mut DayCache,
) -> Result<(i32, Amount), RowError> {
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
        return Ok((day, Amount::Cents(100)));
    };
    let field = &record[value_column.0];
    let expected = match layout.rule {
        ValueRule::NonNegative => EXPECTED_SPEND,
        _ => EXPECTED_AMOUNT,
    };
    let amount = if layout.decimal == b'.' {
        parse_amount(field).or_else(|| fields::parse_written_amount(field, b'.').map(Amount::Value))
    } else {
        fields::parse_written_amount(field, layout.decimal).map(Amount::Value)
    };
    match amount {
        Some(amount) if amount.value() < 0.0 && layout.rule == ValueRule::NonNegative => {
            Err(field_error(
                path,
                line,
                column(value_column),
                RowProblem::NegativeSpend,
                expected,
                field,
            ))
        }
        Some(amount) => Ok((day, amount)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn layout() -> RowLayout {
        RowLayout {
            id: (0, "customer_id".into()),
            date: (1, "week_start_date".into()),
            value: Some((2, "weekly_spend".into())),
            rule: ValueRule::NonNegative,
            header_width: Some(3),
            date_format: None,
            decimal: b'.',
        }
    }

    /// The fast scanner and the general one read `text` alike: the same rows, runs, counts and
    /// errors, in both policies.
    fn both_paths_agree(text: &[u8]) {
        for policy in [RowPolicy::Lenient, RowPolicy::Strict] {
            let read = |fast: bool| {
                let mut chunk = RowChunk::default();
                let mut days = DayCache::default();
                let layout = layout();
                let reading = Reading {
                    path: "p.csv",
                    first_line: 2,
                    layout: &layout,
                    policy,
                };
                if fast {
                    scan_three_fields(&reading, text, b',', &mut chunk, &mut days);
                } else {
                    scan_records(&reading, text, Delimiter::Byte(b','), &mut chunk, &mut days);
                }
                let runs: Vec<Vec<u8>> = (0..chunk.run_ends.len())
                    .map(|r| chunk.run_id(r).to_vec())
                    .collect();
                (
                    chunk.rows,
                    runs,
                    chunk.report,
                    chunk.stopped.map(|e| e.to_string()),
                )
            };
            let fast = read(true);
            assert_eq!(fast, read(false), "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn the_fast_scanner_reads_every_line_as_the_general_one_does() {
        both_paths_agree(b"1,2025-09-06,38.98\n1,2025-09-13,0\n2,2025-09-06,12.5\n");
        // CRLF, blank and blank-looking lines, no final line break.
        both_paths_agree(b"1,2025-09-06,38.98\r\n\n  \r\n1,2025-09-13,1.\r\n2 , 2025-09-06 ,7");
        // Too few and too many fields, a bad date, a bad and a negative spend, an empty id,
        // a control character in an id, a duplicate-looking row, -0, a decimal comma.
        both_paths_agree(
            b"1,2025-09-06\n1,2025-09-06,1,2\n1,2025-13-01,3\n1,2025-09-20,x\n1,2025-09-27,-4\n\
              ,2025-09-06,1\n\x1b[31m,2025-09-06,1\n3,2025-09-06,-0\n3,2025-09-13,1e3\n3,2025-09-20,1,5\n",
        );
        // Lines longer than a 64-byte window, and a separator right at a window's edge.
        let long_id = "9".repeat(70);
        let edge_id = "8".repeat(63);
        both_paths_agree(
            format!("{long_id},2025-09-06,1.25\n{edge_id},2025-09-06,2\n{long_id},2025-09-13,3\n")
                .as_bytes(),
        );
        // Random lines from pieces that are valid, nearly valid and broken.
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(11);
        let pieces: [&[u8]; 12] = [
            b"1",
            b"22",
            b",",
            b"2025-09-06",
            b"2025-09-13",
            b"12.34",
            b"-1",
            b"\r",
            b" ",
            b"\n",
            b"0.5",
            b"\t",
        ];
        for _ in 0..300 {
            let text: Vec<u8> = (0..rng.random_range(0..120))
                .flat_map(|_| pieces[rng.random_range(0..pieces.len())].iter().copied())
                .collect();
            both_paths_agree(&text);
        }
    }
}
