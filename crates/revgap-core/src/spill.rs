//! Sorted runs on disk: records too many to hold at once are sorted a batch at a time, each
//! batch written to one unnamed temporary file as a run, and the runs merged back in order.
//! Memory stays one batch plus a small read buffer per run, whatever the count; a count that
//! fits one batch never touches the disk. The file has no name, so it goes away with the
//! process, however that ends.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;

/// A fixed-size record.
pub trait Record: Copy {
    const BYTES: usize;
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(bytes: &[u8]) -> Self;
}

/// Records of the merge order: one source of truth for how they sort.
pub type Order<R> = fn(&R, &R) -> Ordering;

/// Records taken in, to be merged back in `order`.
pub struct Spill<R: Record> {
    file: Option<std::fs::File>,
    /// Where each run starts, in records.
    runs: Vec<(u64, u64)>,
    written: u64,
    batch: Vec<R>,
    batch_records: usize,
    order: Order<R>,
}

/// Bytes read from a run at a time.
const RUN_BUFFER_BYTES: usize = 64 << 10;

impl<R: Record> Spill<R> {
    /// Holds up to `batch_records` records in memory before writing a run.
    pub fn new(batch_records: usize, order: Order<R>) -> Self {
        Self {
            file: None,
            runs: Vec::new(),
            written: 0,
            batch: Vec::new(),
            batch_records: batch_records.max(1),
            order,
        }
    }

    pub fn push(&mut self, record: R) -> io::Result<()> {
        self.batch.push(record);
        if self.batch.len() >= self.batch_records {
            self.write_run()?;
        }
        Ok(())
    }

    /// Records taken in.
    pub fn len(&self) -> u64 {
        self.written + self.batch.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs written to disk so far.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn write_run(&mut self) -> io::Result<()> {
        let order = self.order;
        self.batch.sort_unstable_by(order);
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(tempfile::tempfile()?),
        };
        let mut out = io::BufWriter::with_capacity(RUN_BUFFER_BYTES, &*file);
        let mut bytes = Vec::with_capacity(R::BYTES);
        for record in &self.batch {
            bytes.clear();
            record.encode(&mut bytes);
            out.write_all(&bytes)?;
        }
        out.flush()?;
        let records = self.batch.len() as u64;
        self.runs.push((self.written, records));
        self.written += records;
        self.batch.clear();
        Ok(())
    }

    /// Every record taken in, in order.
    pub fn merge(mut self) -> io::Result<Merge<R>> {
        let order = self.order;
        self.batch.sort_unstable_by(order);
        let mut sources: Vec<Source<R>> = self
            .runs
            .iter()
            .map(|(start, records)| Source::Run {
                next: *start,
                end: start + records,
                buffer: Vec::new(),
                position: 0,
            })
            .collect();
        sources.push(Source::Memory(std::mem::take(&mut self.batch).into_iter()));
        let mut merge = Merge {
            file: self.file,
            sources,
            heap: BinaryHeap::new(),
            order,
        };
        for source in 0..merge.sources.len() {
            merge.refill(source)?;
        }
        Ok(merge)
    }
}

/// Where merged records come from: a run on disk, or the last batch, never written.
enum Source<R> {
    Run {
        /// The next record to read into the buffer, and the run's end, in records.
        next: u64,
        end: u64,
        buffer: Vec<u8>,
        position: usize,
    },
    Memory(std::vec::IntoIter<R>),
}

/// A source's next record, ordered for a min-heap on the merge order.
struct Head<R> {
    record: R,
    source: usize,
    order: Order<R>,
}

impl<R> PartialEq for Head<R> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<R> Eq for Head<R> {}

impl<R> PartialOrd for Head<R> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<R> Ord for Head<R> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` pops its greatest. Equal records leave in source order.
        (self.order)(&other.record, &self.record).then(other.source.cmp(&self.source))
    }
}

/// The merged records, in order.
pub struct Merge<R: Record> {
    file: Option<std::fs::File>,
    sources: Vec<Source<R>>,
    heap: BinaryHeap<Head<R>>,
    order: Order<R>,
}

impl<R: Record> Merge<R> {
    /// Puts `source`'s next record on the heap, if it has one.
    fn refill(&mut self, source: usize) -> io::Result<()> {
        let record = match &mut self.sources[source] {
            Source::Memory(records) => records.next(),
            Source::Run {
                next,
                end,
                buffer,
                position,
            } => {
                if *position == buffer.len() && *next < *end {
                    let records = ((*end - *next) as usize).min(RUN_BUFFER_BYTES / R::BYTES);
                    buffer.resize(records * R::BYTES, 0);
                    let file = self
                        .file
                        .as_ref()
                        .ok_or_else(|| io::Error::other("a run on disk without its file"))?;
                    file.read_exact_at(buffer, *next * R::BYTES as u64)?;
                    *next += records as u64;
                    *position = 0;
                }
                if *position < buffer.len() {
                    let record = R::decode(&buffer[*position..*position + R::BYTES]);
                    *position += R::BYTES;
                    Some(record)
                } else {
                    None
                }
            }
        };
        if let Some(record) = record {
            self.heap.push(Head {
                record,
                source,
                order: self.order,
            });
        }
        Ok(())
    }
}

impl<R: Record> Iterator for Merge<R> {
    type Item = io::Result<R>;

    fn next(&mut self) -> Option<Self::Item> {
        let head = self.heap.pop()?;
        if let Err(error) = self.refill(head.source) {
            self.heap.clear();
            return Some(Err(error));
        }
        Some(Ok(head.record))
    }
}

/// A number and whose it is: `f64` by `total_cmp`, then the owner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keyed {
    pub value: f64,
    pub owner: u64,
}

/// 64-bit words, little-endian: the layout of every record (`BYTES` = 8 × the words).
pub fn encode_words<const N: usize>(words: [u64; N], out: &mut Vec<u8>) {
    for word in words {
        out.extend_from_slice(&word.to_le_bytes());
    }
}

pub fn decode_words<const N: usize>(bytes: &[u8]) -> [u64; N] {
    std::array::from_fn(|index| {
        let mut word = [0; 8];
        word.copy_from_slice(&bytes[8 * index..8 * index + 8]);
        u64::from_le_bytes(word)
    })
}

impl Record for Keyed {
    const BYTES: usize = 16;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_words([self.value.to_bits(), self.owner], out);
    }

    fn decode(bytes: &[u8]) -> Self {
        let [value, owner] = decode_words(bytes);
        Self {
            value: f64::from_bits(value),
            owner,
        }
    }
}

impl Keyed {
    /// Largest value first, then by owner.
    pub fn descending(a: &Self, b: &Self) -> Ordering {
        b.value.total_cmp(&a.value).then(a.owner.cmp(&b.owner))
    }

    /// By owner, then value.
    pub fn by_owner(a: &Self, b: &Self) -> Ordering {
        a.owner.cmp(&b.owner).then(a.value.total_cmp(&b.value))
    }
}

/// A count and whose it is, by owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub owner: u64,
    pub count: u64,
}

impl Record for Counted {
    const BYTES: usize = 16;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_words([self.owner, self.count], out);
    }

    fn decode(bytes: &[u8]) -> Self {
        let [owner, count] = decode_words(bytes);
        Self { owner, count }
    }
}

impl Counted {
    pub fn by_owner(a: &Self, b: &Self) -> Ordering {
        a.owner.cmp(&b.owner).then(a.count.cmp(&b.count))
    }
}

/// Texts written one after another and read back by their number, from the disk: for the
/// rare text a merge needs (an id that breaks a tie), not for every record.
pub struct Texts {
    bytes: io::BufWriter<std::fs::File>,
    ends: io::BufWriter<std::fs::File>,
    written: u64,
    count: u64,
}

impl Texts {
    pub fn new() -> io::Result<Self> {
        Ok(Self {
            bytes: io::BufWriter::with_capacity(RUN_BUFFER_BYTES, tempfile::tempfile()?),
            ends: io::BufWriter::with_capacity(RUN_BUFFER_BYTES, tempfile::tempfile()?),
            written: 0,
            count: 0,
        })
    }

    /// Adds `text`; its number is the count of texts before it.
    pub fn push(&mut self, text: &[u8]) -> io::Result<u64> {
        self.bytes.write_all(text)?;
        self.written += text.len() as u64;
        self.ends.write_all(&self.written.to_le_bytes())?;
        self.count += 1;
        Ok(self.count - 1)
    }

    /// Done writing: the texts, to be read by number.
    pub fn finish(self) -> io::Result<TextReader> {
        let bytes = self
            .bytes
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        let ends = self
            .ends
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        Ok(TextReader { bytes, ends })
    }
}

pub struct TextReader {
    bytes: std::fs::File,
    ends: std::fs::File,
}

impl TextReader {
    /// Text number `number`.
    pub fn get(&self, number: u64) -> io::Result<Vec<u8>> {
        let mut end = [0; 8];
        self.ends.read_exact_at(&mut end, number * 8)?;
        let end = u64::from_le_bytes(end);
        let start = match number {
            0 => 0,
            _ => {
                let mut start = [0; 8];
                self.ends.read_exact_at(&mut start, (number - 1) * 8)?;
                u64::from_le_bytes(start)
            }
        };
        let mut text = vec![0; end.saturating_sub(start) as usize];
        self.bytes.read_exact_at(&mut text, start)?;
        Ok(text)
    }
}

/// Bytes sorted into a fixed number of buckets on the disk: each bucket gathers its bytes in
/// a buffer of its own, written to one unnamed temporary file a block at a time, and is read
/// back whole, its blocks in the order written. Memory: the buffers, whatever the total.
#[derive(Debug)]
pub struct Buckets {
    file: Option<std::fs::File>,
    written: u64,
    buffers: Vec<Vec<u8>>,
    /// Each bucket's blocks on the disk: (offset, length).
    blocks: Vec<Vec<(u64, usize)>>,
    block_bytes: usize,
}

impl Buckets {
    /// `count` buckets, each writing a block once `block_bytes` have gathered.
    pub fn new(count: usize, block_bytes: usize) -> Self {
        let count = count.max(1);
        Self {
            file: None,
            written: 0,
            buffers: vec![Vec::new(); count],
            blocks: vec![Vec::new(); count],
            block_bytes: block_bytes.max(1),
        }
    }

    pub fn count(&self) -> usize {
        self.buffers.len()
    }

    /// Bytes on the disk.
    pub fn disk_bytes(&self) -> u64 {
        self.written
    }

    /// Appends `bytes` to `bucket`.
    pub fn push(&mut self, bucket: usize, bytes: &[u8]) -> io::Result<()> {
        self.buffers[bucket].extend_from_slice(bytes);
        if self.buffers[bucket].len() >= self.block_bytes {
            self.write_block(bucket)?;
        }
        Ok(())
    }

    fn write_block(&mut self, bucket: usize) -> io::Result<()> {
        let buffer = &mut self.buffers[bucket];
        if buffer.is_empty() {
            return Ok(());
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all_at(buffer, self.written)?;
        self.blocks[bucket].push((self.written, buffer.len()));
        self.written += buffer.len() as u64;
        buffer.clear();
        buffer.shrink_to_fit();
        Ok(())
    }

    /// Done writing: every buffer goes to the disk, so reading holds one bucket at a time.
    pub fn finish(&mut self) -> io::Result<()> {
        for bucket in 0..self.count() {
            self.finish_bucket(bucket)?;
        }
        Ok(())
    }

    /// Done writing `bucket`: its buffer goes to the disk.
    pub fn finish_bucket(&mut self, bucket: usize) -> io::Result<()> {
        self.write_block(bucket)
    }

    /// Everything pushed to `bucket`, in order, into `out` (emptied first).
    pub fn read(&self, bucket: usize, out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        for (offset, length) in &self.blocks[bucket] {
            let file = self
                .file
                .as_ref()
                .ok_or_else(|| io::Error::other("a bucket on disk without its file"))?;
            let start = out.len();
            out.resize(start + length, 0);
            file.read_exact_at(&mut out[start..], *offset)?;
        }
        out.extend_from_slice(&self.buffers[bucket]);
        Ok(())
    }
}

/// Unsigned LEB128: seven bits a byte, low first.
pub fn put_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The varint at `bytes[*at..]`, moving `at` past it; `None` when cut short or too long.
pub fn take_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// Small magnitudes of either sign as small unsigned numbers.
pub fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

pub fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn merged(records: &[Keyed], batch: usize, order: Order<Keyed>) -> (Vec<Keyed>, usize) {
        let mut spill = Spill::new(batch, order);
        for record in records {
            spill.push(*record).unwrap();
        }
        let runs = spill.runs();
        let out: Vec<Keyed> = spill.merge().unwrap().map(Result::unwrap).collect();
        (out, runs)
    }

    #[test]
    fn runs_on_disk_merge_back_to_the_sorted_whole() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(5);
        // Many ties, negative zero and infinities: `total_cmp` orders them all.
        let records: Vec<Keyed> = (0..50_000u64)
            .map(|owner| Keyed {
                value: match owner % 97 {
                    0 => -0.0,
                    1 => f64::INFINITY,
                    2 => f64::NEG_INFINITY,
                    _ => f64::from(rng.random_range(0..500u32)) / 4.0,
                },
                owner: owner * 7919 % 50_000,
            })
            .collect();
        for order in [Keyed::descending as Order<Keyed>, Keyed::by_owner] {
            let mut expected = records.clone();
            expected.sort_by(order);
            for batch in [1, 7, 4096, 50_000, 1 << 20] {
                let (out, runs) = merged(&records, batch, order);
                // A run each time the batch fills; the rest stays in memory.
                assert_eq!(runs, 50_000 / batch);
                let bits = |records: &[Keyed]| -> Vec<(u64, u64)> {
                    records
                        .iter()
                        .map(|r| (r.value.to_bits(), r.owner))
                        .collect()
                };
                assert_eq!(bits(&out), bits(&expected), "batch {batch}");
            }
        }
        let (none, runs) = merged(&[], 10, Keyed::descending);
        assert!(none.is_empty());
        assert_eq!(runs, 0);
    }

    #[test]
    fn buckets_read_back_what_each_was_given_in_order() {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(9);
        for (count, block) in [(1, 1), (3, 5), (7, 64), (16, 1 << 16)] {
            let mut buckets = Buckets::new(count, block);
            let mut expected = vec![Vec::new(); count];
            for _ in 0..2_000 {
                let bucket = rng.random_range(0..count);
                let bytes: Vec<u8> = (0..rng.random_range(0..20u32))
                    .map(|_| rng.random())
                    .collect();
                buckets.push(bucket, &bytes).unwrap();
                expected[bucket].extend_from_slice(&bytes);
            }
            let mut out = Vec::new();
            // Before and after the last buffers go to the disk.
            for round in 0..2 {
                for (bucket, expected) in expected.iter().enumerate() {
                    buckets.read(bucket, &mut out).unwrap();
                    assert_eq!(
                        &out, expected,
                        "{count} buckets, blocks of {block}, round {round}"
                    );
                }
                buckets.finish().unwrap();
            }
            let total: usize = expected.iter().map(Vec::len).sum();
            assert_eq!(buckets.disk_bytes(), total as u64);
        }
    }

    #[test]
    fn varints_and_zigzag_round_trip() {
        let mut bytes = Vec::new();
        let values = [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ];
        for value in values {
            put_varint(value, &mut bytes);
        }
        assert_eq!(bytes[..4], [0, 1, 127, 0x80]);
        let mut at = 0;
        for value in values {
            assert_eq!(take_varint(&bytes, &mut at), Some(value));
        }
        assert_eq!(at, bytes.len());
        assert_eq!(take_varint(&bytes, &mut at), None, "nothing left");
        assert_eq!(take_varint(&[0x80, 0x80], &mut 0), None, "cut short");
        assert_eq!(
            take_varint(&[0xff; 11], &mut 0),
            None,
            "longer than 64 bits"
        );
        for value in [0, 1, -1, 63, -64, i64::MAX, i64::MIN] {
            assert_eq!(unzigzag(zigzag(value)), value);
        }
        assert_eq!([zigzag(0), zigzag(-1), zigzag(1), zigzag(-2)], [0, 1, 2, 3]);
    }

    #[test]
    fn texts_read_back_by_number() {
        let mut texts = Texts::new().unwrap();
        let written = ["C-17", "", "ünïcode", &"9".repeat(300)];
        for (number, text) in written.iter().enumerate() {
            assert_eq!(texts.push(text.as_bytes()).unwrap(), number as u64);
        }
        let texts = texts.finish().unwrap();
        for number in [3, 0, 2, 1] {
            assert_eq!(
                texts.get(number).unwrap(),
                written[number as usize].as_bytes()
            );
        }
        assert!(texts.get(4).is_err(), "past the last text");
    }
}
