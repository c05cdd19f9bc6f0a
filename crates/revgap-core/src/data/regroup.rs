//! Regrouping a streamed panel whose customers' rows are scattered through the file: one
//! reading sorts every valid row into buckets on the temporary disk by a hash of its customer
//! id (`spill::Buckets`), so each bucket holds every row of its customers; a bucket is read
//! back with each customer's rows together, in the order of the file, as chunks of rows the
//! part maker takes as it takes a grouped file's.
//!
//! A bucket holds about a part's customers, so regrouping needs a bucket's rows in memory
//! (compactly encoded: a row is a few bytes), not the panel's. Customers come out bucket by
//! bucket, in the order each first appears within its bucket: the same order on every run,
//! since the hash has no random key.

use super::customers::{CustomersFile, scan_customers};
use super::dataset::{CustomerProfile, ExtraValues};
use super::error::{DataError, LoadReport, RowPolicy};
use super::fields::Amount;
use super::rows::RowChunk;
use crate::spill::{self, Buckets};
use rustc_hash::FxHashMap;
use std::hash::Hasher;

/// Most buckets (each has a buffer of its own while rows are sorted into them).
const MAX_BUCKETS: usize = 4096;
/// Memory for every bucket's buffer together while rows are sorted into them.
const BUFFERS_BYTES: usize = 32 << 20;
/// Rows in a chunk read back from a bucket.
const CHUNK_ROWS: usize = 1 << 16;

/// A panel's valid rows, regrouped by customer on the disk.
#[derive(Debug)]
pub(super) struct Regrouped {
    buckets: Buckets,
    /// What the reading counted (rows read, rows skipped): handed on with the first chunk.
    report: LoadReport,
    /// Why the rows were regrouped, when they were scattered, for the user.
    pub(super) note: Option<String>,
    /// The customers file, in buckets by the same hash: bucket `k`'s customers are all in
    /// the panel's bucket `k`, so the two join a bucket at a time.
    pub(super) customers: Option<CustomerBuckets>,
}

/// A customers file's valid rows in buckets on the disk, by the hash of their id.
#[derive(Debug)]
pub(super) struct CustomerBuckets {
    buckets: Buckets,
    path: String,
    extra_columns: Vec<String>,
    /// What reading the file skipped: handed on with the rows of bucket 0.
    report: LoadReport,
}

impl CustomerBuckets {
    /// Reads the customers file at `path` into `count` buckets: each row as the id's length
    /// and bytes, its line, age and household size (0 unknown, else the number + 1), loyalty
    /// (0 unknown, 1 no, 2 yes), and the extra values' length and text.
    pub(super) fn write(path: &str, policy: RowPolicy, count: usize) -> Result<Self, DataError> {
        let mut buckets = Buckets::new(count, block_bytes(count));
        let mut out = Vec::new();
        let known = |value: Option<u32>| value.map_or(0, |value| u64::from(value) + 1);
        let (extra_columns, report) = scan_customers(path, policy, |line, id, profile| {
            out.clear();
            spill::put_varint(id.len() as u64, &mut out);
            out.extend_from_slice(id.as_bytes());
            spill::put_varint(line, &mut out);
            spill::put_varint(known(profile.age), &mut out);
            spill::put_varint(known(profile.household_size), &mut out);
            out.push(
                profile
                    .loyalty_member
                    .map_or(0, |member| 1 + u8::from(member)),
            );
            let extra = profile.extra.joined().as_bytes();
            spill::put_varint(extra.len() as u64, &mut out);
            out.extend_from_slice(extra);
            buckets
                .push(bucket_of(id.as_bytes(), count), &out)
                .map_err(DataError::Temporary)
        })?;
        buckets.finish().map_err(DataError::Temporary)?;
        Ok(Self {
            buckets,
            path: path.to_string(),
            extra_columns,
            report,
        })
    }

    /// The customers file's rows of buckets `range`, in the file's order within each bucket
    /// (what was skipped reading it comes with bucket 0).
    pub(super) fn file_of(
        &self,
        range: std::ops::Range<usize>,
    ) -> Result<CustomersFile, DataError> {
        let report = match range.start {
            0 => self.report.clone(),
            _ => LoadReport::default(),
        };
        let mut file = CustomersFile::new(&self.path, self.extra_columns.clone(), report);
        let mut bytes = Vec::new();
        let number = |value: u64| u32::try_from(value).map_err(|_| damaged());
        for bucket in range {
            self.buckets
                .read(bucket, &mut bytes)
                .map_err(DataError::Temporary)?;
            let mut at = 0;
            while at < bytes.len() {
                let id = text_at(&bytes, &mut at)?;
                let line = take(&bytes, &mut at)?;
                let [age, household_size] = [take(&bytes, &mut at)?, take(&bytes, &mut at)?]
                    .map(|value| value.checked_sub(1).map(number).transpose());
                let loyalty = *bytes.get(at).ok_or_else(damaged)?;
                at += 1;
                let extra = text_at(&bytes, &mut at)?;
                let profile = CustomerProfile {
                    age: age?,
                    household_size: household_size?,
                    loyalty_member: loyalty.checked_sub(1).map(|member| member == 1),
                    extra: ExtraValues::from_joined(extra),
                };
                file.push(line, id, profile);
            }
        }
        Ok(file)
    }

    pub(super) fn count(&self) -> usize {
        self.buckets.count()
    }
}

/// The text at `bytes[*at..]`, its length first.
fn text_at<'a>(bytes: &'a [u8], at: &mut usize) -> Result<&'a str, DataError> {
    let length = take(bytes, at)? as usize;
    let text = bytes.get(*at..*at + length).ok_or_else(damaged)?;
    *at += length;
    std::str::from_utf8(text).map_err(|_| damaged())
}

/// How many buckets hold `customers` (in `runs` runs of one customer's rows) about a part's
/// worth each: a scattered file has many runs a customer, so a bucket holds about a part's
/// runs too, a few per customer, and its index stays small.
pub(super) fn bucket_count((customers, runs): (u64, u64), part_customers: usize) -> usize {
    let wanted = customers
        .max(runs / 8)
        .div_ceil(part_customers.max(1) as u64);
    (wanted as usize).clamp(1, MAX_BUCKETS)
}

/// The block each of `count` buckets writes at a time: their buffers share `BUFFERS_BYTES`.
pub(super) fn block_bytes(count: usize) -> usize {
    (BUFFERS_BYTES / count.max(1)).clamp(4 << 10, 1 << 20)
}

/// A bucket for an id: FxHash, mixed (splitmix64's finish) so every bit counts, then scaled
/// to the bucket count.
pub(super) fn bucket_of(id: &[u8], buckets: usize) -> usize {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(id);
    let mut mixed = hasher.finish();
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    mixed ^= mixed >> 31;
    ((u128::from(mixed) * buckets as u128) >> 64) as usize
}

/// How a run of one customer's rows is written to its bucket: the id's length and bytes,
/// the rows' encoded length, then each row as the change of line from the
/// last (the first from 0), the change of day (zigzag), and the amount. Whole cents are
/// `zigzag(cents) << 1`; any other amount (or cents too large for that) is `1` and a
/// marker byte (0 cents, 1 a double) and its eight bytes.
fn encode_run(id: &[u8], rows: &[super::rows::DatedRow], out: &mut Vec<u8>, body: &mut Vec<u8>) {
    body.clear();
    let (mut line, mut day) = (0u64, 0i64);
    for row in rows {
        spill::put_varint(row.line - line, body);
        spill::put_varint(spill::zigzag(i64::from(row.day) - day), body);
        (line, day) = (row.line, i64::from(row.day));
        match row.amount {
            Amount::Cents(cents) if spill::zigzag(cents) >> 63 == 0 => {
                spill::put_varint(spill::zigzag(cents) << 1, body);
            }
            Amount::Cents(cents) => {
                body.extend_from_slice(&[1, 0]);
                body.extend_from_slice(&cents.to_le_bytes());
            }
            Amount::Value(value) => {
                body.extend_from_slice(&[1, 1]);
                body.extend_from_slice(&value.to_bits().to_le_bytes());
            }
        }
    }
    out.clear();
    spill::put_varint(id.len() as u64, out);
    out.extend_from_slice(id);
    spill::put_varint(body.len() as u64, out);
    out.extend_from_slice(body);
}

/// One run in a bucket's bytes: where its id and its encoded rows are.
struct Run {
    id: std::ops::Range<usize>,
    rows: std::ops::Range<usize>,
}

/// The runs of a bucket's bytes, in the order written.
fn runs_of(bytes: &[u8], runs: &mut Vec<Run>) -> Result<(), DataError> {
    runs.clear();
    let mut at = 0;
    while at < bytes.len() {
        let id_length = take(bytes, &mut at)? as usize;
        let id = at..at + id_length;
        at += id_length;
        let body = take(bytes, &mut at)? as usize;
        let rows = at..at + body;
        at += body;
        if at > bytes.len() {
            return Err(damaged());
        }
        runs.push(Run { id, rows });
    }
    Ok(())
}

/// A bucket's bytes cut short or malformed: only a damaged temporary file does this.
pub(super) fn damaged() -> DataError {
    DataError::Temporary(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "a regrouped bucket was damaged on the disk",
    ))
}

/// The varint at `bytes[*at..]`.
pub(super) fn take(bytes: &[u8], at: &mut usize) -> Result<u64, DataError> {
    spill::take_varint(bytes, at).ok_or_else(damaged)
}

/// Decodes a run's rows, pushing each onto `chunk` as `id`'s.
fn decode_rows(id: &[u8], rows: &[u8], chunk: &mut RowChunk) -> Result<(), DataError> {
    let (mut at, mut line, mut day) = (0, 0u64, 0i64);
    while at < rows.len() {
        line += take(rows, &mut at)?;
        day += spill::unzigzag(take(rows, &mut at)?);
        let amount = match take(rows, &mut at)? {
            1 => {
                let bytes = rows.get(at..at + 9).ok_or_else(damaged)?;
                at += 9;
                let mut word = [0; 8];
                word.copy_from_slice(&bytes[1..]);
                match bytes[0] {
                    0 => Amount::Cents(i64::from_le_bytes(word)),
                    _ => Amount::Value(f64::from_bits(u64::from_le_bytes(word))),
                }
            }
            cents => Amount::Cents(spill::unzigzag(cents >> 1)),
        };
        let day = i32::try_from(day).map_err(|_| damaged())?;
        chunk.push(id, day, amount, line);
    }
    Ok(())
}

impl Regrouped {
    /// Sorts the rows `read` gives into buckets of about `part_customers` of the `customers`
    /// (`runs`: how many runs of one customer's rows the file has, which also bounds a
    /// bucket's size), and the customers file of `attributes`, if any, by the same hash.
    /// `return_line` is the first row whose customer came back, if one did: the note names
    /// its customer.
    pub(super) fn write(
        path: &str,
        read: &super::ReadPanel<'_>,
        (customers, runs): (u64, u64),
        part_customers: usize,
        return_line: Option<u64>,
        attributes: Option<(&str, RowPolicy)>,
    ) -> Result<Self, DataError> {
        let count = bucket_count((customers, runs), part_customers);
        let mut buckets = Buckets::new(count, block_bytes(count));
        let mut report = LoadReport::default();
        let mut returned: Option<String> = None;
        let (mut out, mut body) = (Vec::new(), Vec::new());
        read(&mut |chunk| {
            if let Some(line) = return_line
                && returned.is_none()
                && let Some(row) = chunk.rows.iter().find(|row| row.line == line)
            {
                let id = String::from_utf8_lossy(chunk.run_id(row.run as usize));
                returned = Some(crate::text::one_line(&id).into_owned());
            }
            let mut start = 0;
            while start < chunk.rows.len() {
                let run = chunk.rows[start].run;
                let end = start
                    + chunk.rows[start..]
                        .iter()
                        .position(|row| row.run != run)
                        .unwrap_or(chunk.rows.len() - start);
                let id = chunk.run_id(run as usize);
                encode_run(id, &chunk.rows[start..end], &mut out, &mut body);
                buckets
                    .push(bucket_of(id, count), &out)
                    .map_err(DataError::Temporary)?;
                start = end;
            }
            chunk.close(&mut report)
        })?;
        buckets.finish().map_err(DataError::Temporary)?;
        let scattered_megabytes = buckets.disk_bytes() as f64 / 1e6;
        // A grouped file (regrouped to join a customers file) has a run a customer already.
        if return_line.is_some() {
            buckets = compact(&buckets)?;
        }
        let megabytes = buckets.disk_bytes() as f64 / 1e6;
        tracing::info!(
            buckets = count,
            scattered_megabytes,
            megabytes,
            "regrouped a panel by customer"
        );
        let customers = attributes
            .map(|(path, policy)| CustomerBuckets::write(path, policy, count))
            .transpose()?;
        let note = return_line.map(|line| {
            let customer = returned.unwrap_or_else(|| "?".into());
            format!(
                "{path}: row {line}: customer '{customer}' appears again after other customers; the rows were regrouped by customer on the temporary disk ({scattered_megabytes:.1} MB while regrouping, {megabytes:.1} MB kept; a file sorted by customer needs no regrouping)"
            )
        });
        Ok(Self {
            buckets,
            report,
            note,
            customers,
        })
    }

    /// Hands every customer's rows to `apply` as chunks, each customer's rows together and
    /// in the order of the file, with their bucket and whether it is the bucket's last
    /// chunk (every bucket has one, with rows or not); the reading's counts come with the
    /// first chunk.
    pub(super) fn chunks(
        &self,
        apply: &mut dyn FnMut(usize, &RowChunk, bool) -> Result<(), DataError>,
    ) -> Result<(), DataError> {
        let mut chunk = RowChunk::default();
        chunk.report = self.report.clone();
        let (mut bytes, mut runs) = (Vec::new(), Vec::new());
        for bucket in 0..self.buckets.count() {
            self.buckets
                .read(bucket, &mut bytes)
                .map_err(DataError::Temporary)?;
            runs_of(&bytes, &mut runs)?;
            // Compacted: one run a customer.
            for Run { id, rows } in &runs {
                decode_rows(&bytes[id.clone()], &bytes[rows.clone()], &mut chunk)?;
                if chunk.rows.len() >= CHUNK_ROWS {
                    apply(bucket, &chunk, false)?;
                    chunk.clear();
                }
            }
            apply(bucket, &chunk, true)?;
            chunk.clear();
        }
        Ok(())
    }
}

/// Rewrites each bucket with every customer's rows as one run, customers in the order of
/// their first row: done once, so later readings decode in order, with no index, and
/// each id is stored once. The scattered buckets are dropped.
fn compact(scattered: &Buckets) -> Result<Buckets, DataError> {
    let count = scattered.count();
    let mut compacted = Buckets::new(count, BUFFERS_BYTES / count);
    let (mut bytes, mut runs, mut order) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rows, mut out, mut body) = (RowChunk::default(), Vec::new(), Vec::new());
    for bucket in 0..count {
        scattered
            .read(bucket, &mut bytes)
            .map_err(DataError::Temporary)?;
        runs_of(&bytes, &mut runs)?;
        // Each customer's runs linked in the order written; customers in order of their
        // first run.
        let mut next = vec![u32::MAX; runs.len()];
        order.clear();
        let mut last_of: FxHashMap<&[u8], u32> = FxHashMap::default();
        for (number, run) in runs.iter().enumerate() {
            let number = number as u32;
            match last_of.insert(&bytes[run.id.clone()], number) {
                Some(last) => next[last as usize] = number,
                None => order.push(number),
            }
        }
        drop(last_of);
        for first in &order {
            rows.clear();
            let id = &bytes[runs[*first as usize].id.clone()];
            let mut run = *first;
            while run != u32::MAX {
                decode_rows(id, &bytes[runs[run as usize].rows.clone()], &mut rows)?;
                run = next[run as usize];
            }
            encode_run(id, &rows.rows, &mut out, &mut body);
            compacted.push(bucket, &out).map_err(DataError::Temporary)?;
        }
        // Written: this bucket's blocks are not read again.
        compacted
            .finish_bucket(bucket)
            .map_err(DataError::Temporary)?;
    }
    Ok(compacted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::rows::DatedRow;

    fn row(line: u64, day: i32, amount: Amount) -> DatedRow {
        DatedRow {
            run: 0,
            day,
            amount,
            line,
        }
    }

    #[test]
    fn a_run_decodes_to_the_rows_encoded() {
        let rows = [
            row(2, 20_000, Amount::Cents(1_250)),
            row(9, 19_993, Amount::Cents(0)),
            row(10, -40, Amount::Cents(-7)),
            row(1 << 40, i32::MAX, Amount::Cents(i64::MAX)),
            row((1 << 40) + 1, i32::MIN, Amount::Cents(i64::MIN)),
            row((1 << 40) + 2, 0, Amount::Value(0.1 + 0.2)),
            row((1 << 40) + 3, 7, Amount::Value(-0.0)),
        ];
        let (mut out, mut body) = (Vec::new(), Vec::new());
        encode_run(b"C-17", &rows, &mut out, &mut body);
        let mut runs = Vec::new();
        runs_of(&out, &mut runs).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(&out[runs[0].id.clone()], b"C-17");
        let mut chunk = RowChunk::default();
        decode_rows(b"C-17", &out[runs[0].rows.clone()], &mut chunk).unwrap();
        let bits = |amount: Amount| match amount {
            Amount::Cents(cents) => (0, cents as u64),
            Amount::Value(value) => (1, value.to_bits()),
        };
        let decoded: Vec<_> = chunk
            .rows
            .iter()
            .map(|r| (r.line, r.day, bits(r.amount)))
            .collect();
        let expected: Vec<_> = rows
            .iter()
            .map(|r| (r.line, r.day, bits(r.amount)))
            .collect();
        assert_eq!(decoded, expected);
        // Cut short anywhere: an error, never a wrong row.
        for cut in 0..out.len() {
            let mut runs = Vec::new();
            let parsed = runs_of(&out[..cut], &mut runs).and_then(|()| {
                let mut chunk = RowChunk::default();
                for run in &runs {
                    decode_rows(b"", &out[run.rows.clone()], &mut chunk)?;
                }
                Ok(chunk.rows.len())
            });
            assert!(
                matches!(parsed, Err(DataError::Temporary(_)) | Ok(0)),
                "cut at {cut}: {parsed:?}"
            );
        }
    }

    #[test]
    fn ids_spread_over_every_bucket_the_same_way_on_every_run() {
        let count = 64;
        let mut sizes = vec![0u32; count];
        for id in 0..64_000 {
            sizes[bucket_of(format!("C{id:07}").as_bytes(), count)] += 1;
        }
        // 1,000 expected in each: far from empty or doubled.
        assert!(
            sizes.iter().all(|size| (850..1_150).contains(size)),
            "{sizes:?}"
        );
        assert_eq!(bucket_of(b"C0000042", count), bucket_of(b"C0000042", count));
        assert_eq!(bucket_of(b"anything", 1), 0);
    }
}
