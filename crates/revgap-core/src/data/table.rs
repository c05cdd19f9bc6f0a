//! Block-wise reading of delimited text files, parsed on both cores.
//!
//! A file is read in blocks of whole lines; each block is cut in two at a line boundary and the
//! halves are parsed in parallel (`rayon::join`), then handed to a sequential `apply` step in
//! file order, so line numbers and "first bad row" semantics stay exact. Memory stays bounded by
//! the block size whatever the file size. A UTF-8 BOM is dropped, CRLF line ends are accepted,
//! blank lines are skipped. A quoted field containing a line break (legal CSV, but never
//! meaningful in our inputs) makes the whole file an error: skipping its first line would turn
//! the rest of the field into phantom rows. A line longer than a block is an error too.

use super::error::{DataError, Location, RowError, RowProblem};
use super::fields::{ColumnRef, Delimiter};
use csv::ByteRecord;
use std::io::Read;

/// Size of one read block, and so the longest line accepted.
const BLOCK_BYTES: usize = 8 << 20;

const LONG_LINE: &str =
    "line longer than 8 MiB without a line break; expected delimited text with one record per line";

/// How a table file is laid out, and where to report reading progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFormat {
    pub delimiter: Delimiter,
    pub has_header: bool,
    pub progress: ProgressHandle,
    /// Read as Parquet (`Some(true)`) or CSV (`Some(false)`); `None`: by the file's extension.
    pub parquet: Option<bool>,
    /// The weekly panel's id, week and spend columns.
    pub weekly_columns: [ColumnRef; 3],
    /// A chrono format for every date (`%m/%d/%Y`); `None`: ISO dates, `YYYYMMDD`, timestamps.
    pub date_format: Option<std::sync::Arc<str>>,
    /// The decimal mark of amounts: `.` (default) or `,`.
    pub decimal: u8,
}

impl Default for TableFormat {
    fn default() -> Self {
        Self {
            delimiter: Delimiter::Byte(b','),
            has_header: true,
            progress: ProgressHandle::default(),
            parquet: None,
            weekly_columns: [
                ColumnRef::Name("customer_id".into()),
                ColumnRef::Name("week_start_date".into()),
                ColumnRef::Name("weekly_spend".into()),
            ],
            date_format: None,
            decimal: b'.',
        }
    }
}

/// Bytes read so far out of a file's size, updated by the reader thread.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes_read: std::sync::atomic::AtomicU64,
    pub bytes_total: std::sync::atomic::AtomicU64,
}

impl Progress {
    /// The fraction read, 0–1.
    pub fn fraction(&self) -> f64 {
        use std::sync::atomic::Ordering::Relaxed;
        let total = self.bytes_total.load(Relaxed);
        if total == 0 {
            return 0.0;
        }
        (self.bytes_read.load(Relaxed) as f64 / total as f64).min(1.0)
    }
}

/// An optional shared progress counter (two handles are equal when they share one counter).
#[derive(Debug, Clone, Default)]
pub struct ProgressHandle(pub Option<std::sync::Arc<Progress>>);

impl PartialEq for ProgressHandle {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Eq for ProgressHandle {}

/// Calls `each(line, record)` for every non-blank record in `text`, whose first line is
/// `first_line`. A row the CSV reader cannot split, or whose quote runs across a line break
/// (none of our fields may hold one), is passed as an `Err` for its first line, and reading
/// resumes on the next line, so one broken quote never swallows the rows after it.
pub fn for_each_record(
    path: &str,
    text: &[u8],
    first_line: u64,
    delimiter: Delimiter,
    mut each: impl FnMut(u64, Result<&[&[u8]], RowError>),
) {
    let malformed = |line: u64, message: String| RowError {
        location: Location {
            path: path.to_string(),
            line,
            column: None,
        },
        problem: RowProblem::Malformed,
        message,
    };
    let unquoted = memchr::memchr(b'"', text).is_none();
    match delimiter {
        Delimiter::Whitespace => {
            let mut fields: Vec<&[u8]> = Vec::with_capacity(8);
            for (offset, line) in text.split(|b| *b == b'\n').enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                fields.clear();
                fields.extend(
                    line.split(|b| *b == b' ' || *b == b'\t')
                        .filter(|f| !f.is_empty()),
                );
                if !fields.is_empty() {
                    each(first_line + offset as u64, Ok(&fields));
                }
            }
        }
        // Without a quote anywhere, a row is a line and a field is what lies between
        // delimiters: split directly, several times faster than the general CSV reader.
        Delimiter::Byte(byte) if unquoted => {
            let mut fields: Vec<&[u8]> = Vec::with_capacity(8);
            let mut line_start = 0;
            let mut line_number = first_line;
            while line_start < text.len() {
                let line_end = memchr::memchr(b'\n', &text[line_start..])
                    .map_or(text.len(), |p| line_start + p);
                let line = &text[line_start..line_end];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if !line.trim_ascii().is_empty() {
                    fields.clear();
                    // Lines are short: a plain scan beats a vectorised search per field.
                    let mut field_start = 0;
                    for (position, candidate) in line.iter().enumerate() {
                        if *candidate == byte {
                            fields.push(&line[field_start..position]);
                            field_start = position + 1;
                        }
                    }
                    fields.push(&line[field_start..]);
                    each(line_number, Ok(&fields));
                }
                line_start = line_end + 1;
                line_number += 1;
            }
        }
        Delimiter::Byte(byte) => {
            let mut start = 0;
            let mut start_line = first_line;
            'restart: while start < text.len() {
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(byte)
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(&text[start..]);
                let mut record = ByteRecord::new();
                loop {
                    let outcome = reader.read_byte_record(&mut record);
                    let position = match &outcome {
                        Ok(_) => record.position().cloned(),
                        Err(error) => error.position().cloned(),
                    };
                    let line = position.as_ref().map_or(1, |p| p.line()) + start_line - 1;
                    let record_start = start + position.as_ref().map_or(0, |p| p.byte() as usize);
                    let spans_lines = matches!(outcome, Ok(true))
                        && memchr::memchr(b'\n', record.as_slice()).is_some();
                    match outcome {
                        Ok(false) => break 'restart,
                        Ok(true) if !spans_lines => {
                            if record.len() == 1 && record[0].trim_ascii().is_empty() {
                                continue;
                            }
                            let fields: Vec<&[u8]> = record.iter().collect();
                            each(line, Ok(&fields));
                            continue;
                        }
                        Ok(true) => each(
                            line,
                            Err(RowError {
                                problem: RowProblem::MultilineField,
                                ..malformed(
                                    line,
                                    "a quoted field runs across a line break (or its quote is never closed); expected one record per line, with each quote closed on its line".into(),
                                )
                            }),
                        ),
                        Err(error) => each(
                            line,
                            Err(malformed(
                                line,
                                format!("expected a well-formed delimited row: {error}"),
                            )),
                        ),
                    }
                    // Resume on the line after the broken row's first line.
                    match memchr::memchr(b'\n', &text[record_start..]) {
                        Some(end) => {
                            start = record_start + end + 1;
                            start_line = line + 1;
                            continue 'restart;
                        }
                        None => break 'restart,
                    }
                }
            }
        }
    }
}

/// An open table positioned after its header.
pub struct TableStream {
    path: String,
    progress: ProgressHandle,
    delimiter: Delimiter,
    file: std::fs::File,
    buffer: Vec<u8>,
    eof: bool,
    next_line: u64,
}

/// Opens `path`, drops a BOM, rejects an empty file and reads the header (if the format has
/// one). `expected` describes the wanted columns for error messages.
pub fn open_table(
    path: &str,
    format: &TableFormat,
    expected: &str,
) -> Result<(TableStream, Option<Vec<String>>), DataError> {
    let io_error = |source| DataError::Io {
        path: path.to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let mut buffer: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + 4096);
    let eof = fill(&mut file, &mut buffer, BLOCK_BYTES).map_err(io_error)?;
    if buffer.starts_with(b"\xEF\xBB\xBF") {
        buffer.drain(..3);
    }
    let leading_blank = buffer
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    if leading_blank == buffer.len() {
        return Err(DataError::Empty {
            path: path.to_string(),
            expected: expected.to_string(),
        });
    }
    let mut next_line: u64 = 1;
    let mut header = None;
    if format.has_header {
        // The header is the first non-blank line.
        let start = buffer[..leading_blank]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1);
        let blank_lines = buffer[..start].iter().filter(|b| **b == b'\n').count() as u64;
        let end = match memchr::memchr(b'\n', &buffer[start..]) {
            Some(p) => start + p + 1,
            None if !eof => {
                let line = buffer[..start].iter().filter(|b| **b == b'\n').count() + 1;
                return Err(DataError::Invalid(format!("{path}:{line}: {LONG_LINE}")));
            }
            None => buffer.len(),
        };
        let mut fields = Vec::new();
        for_each_record(
            path,
            &buffer[start..end],
            1,
            format.delimiter,
            |_, record| {
                if let Ok(record) = record {
                    fields = record
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).trim().to_string())
                        .collect()
                }
            },
        );
        header = Some(fields);
        next_line = blank_lines + 2;
        buffer.drain(..end);
    }
    if let Some(progress) = &format.progress.0 {
        let total = file.metadata().map_or(0, |m| m.len());
        progress
            .bytes_total
            .store(total, std::sync::atomic::Ordering::Relaxed);
        progress
            .bytes_read
            .store(0, std::sync::atomic::Ordering::Relaxed);
    }
    let stream = TableStream {
        path: path.to_string(),
        progress: format.progress.clone(),
        delimiter: format.delimiter,
        file,
        buffer,
        eof,
        next_line,
    };
    Ok((stream, header))
}

impl TableStream {
    pub fn delimiter(&self) -> Delimiter {
        self.delimiter
    }

    /// Reads the rest of the file block by block.
    ///
    /// A reader thread fills blocks of whole lines while the caller's cores parse: `parse(text,
    /// first_line)` runs in parallel on the two halves of each block and must not depend on
    /// order; `apply(result)` then runs on each half in file order and may fail. Applying
    /// block k overlaps with parsing block k + 1.
    pub fn scan<R: Send>(
        self,
        parse: impl Fn(&[u8], u64) -> R + Sync,
        mut apply: impl FnMut(R) -> Result<(), DataError> + Send,
    ) -> Result<(), DataError> {
        let TableStream {
            path,
            progress,
            mut file,
            buffer,
            eof,
            mut next_line,
            ..
        } = self;
        let io_error = |source| DataError::Io {
            path: path.clone(),
            source,
        };
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
        let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::scope(|scope| {
            scope
                .spawn(move || read_blocks(&mut file, buffer, eof, &progress, &full_tx, &empty_rx));
            let mut pending: Option<(R, R)> = None;
            let mut apply_pair = |pair: Option<(R, R)>| -> Result<(), DataError> {
                if let Some((first, second)) = pair {
                    apply(first)?;
                    apply(second)?;
                }
                Ok(())
            };
            for block in full_rx {
                let block = block.map_err(|error| {
                    // Every earlier block has arrived, so the long line is the next one.
                    if error.kind() == std::io::ErrorKind::InvalidData {
                        DataError::Invalid(format!("{path}:{next_line}: {error}"))
                    } else {
                        io_error(error)
                    }
                })?;
                let middle = block.len() / 2;
                let cut =
                    memchr::memchr(b'\n', &block[middle..]).map_or(block.len(), |p| middle + p + 1);
                let (first, second) = block.split_at(cut);
                let first_lines = memchr::memchr_iter(b'\n', first).count() as u64;
                let second_lines = memchr::memchr_iter(b'\n', second).count() as u64;
                let line = next_line;
                let previous = pending.take();
                let (parsed, applied) = rayon::join(
                    || rayon::join(|| parse(first, line), || parse(second, line + first_lines)),
                    || apply_pair(previous),
                );
                applied?;
                pending = Some(parsed);
                next_line += first_lines + second_lines;
                let _ = empty_tx.send(block);
            }
            apply_pair(pending)
        })
    }
}

/// The reader thread: sends blocks that end on a line boundary (the last may not), reusing
/// buffers that come back. Stops at the end of the file, at a line longer than a block (an
/// endless line such as `/dev/zero` must not be read into memory), or when the receiver is gone.
fn read_blocks(
    file: &mut std::fs::File,
    mut carry: Vec<u8>,
    mut eof: bool,
    progress: &ProgressHandle,
    full: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
    empty: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut block = empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BLOCK_BYTES + 4096));
        block.clear();
        block.extend_from_slice(&carry);
        carry.clear();
        if !eof {
            let target = block.len() + BLOCK_BYTES;
            let before = block.len();
            match fill(file, &mut block, target) {
                Ok(ended) => {
                    eof = ended;
                    if let Some(progress) = &progress.0 {
                        let read = (block.len() - before) as u64;
                        progress
                            .bytes_read
                            .fetch_add(read, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                Err(error) => {
                    let _ = full.send(Err(error));
                    return;
                }
            }
            let last_line_start = memchr::memrchr(b'\n', &block).map_or(0, |p| p + 1);
            if block.len() - last_line_start > BLOCK_BYTES {
                // Also at the end of the file: a line is never longer than a block.
                let _ = full.send(Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    LONG_LINE,
                )));
                return;
            }
            match memchr::memrchr(b'\n', &block) {
                Some(last) => {
                    carry.extend_from_slice(&block[last + 1..]);
                    block.truncate(last + 1);
                }
                None if !eof => {
                    let _ = full.send(Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        LONG_LINE,
                    )));
                    return;
                }
                None => {}
            }
        }
        if !block.is_empty() && full.send(Ok(block)).is_err() {
            return;
        }
        if eof && carry.is_empty() {
            return;
        }
    }
}

/// Reads until `buffer` holds `target` bytes or the file ends; returns whether it ended.
fn fill(file: &mut std::fs::File, buffer: &mut Vec<u8>, target: usize) -> std::io::Result<bool> {
    let wanted = target.saturating_sub(buffer.len());
    // Reads into the spare capacity as it is: zeroing a block first cost a pass over it.
    let read = file.take(wanted as u64).read_to_end(buffer)?;
    Ok(read < wanted)
}

/// A row whose field count does not match what the loader needs.
pub fn ragged(path: &str, line: u64, needed: usize, found: usize, header: bool) -> RowError {
    let why = if header { " (as in the header)" } else { "" };
    RowError {
        location: Location {
            path: path.to_string(),
            line,
            column: None,
        },
        problem: RowProblem::RaggedRow,
        message: format!("expected {needed} fields{why}, found {found}"),
    }
}
