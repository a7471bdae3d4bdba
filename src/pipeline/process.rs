//! Processing one object: decompress, frame, parse, normalize, serialize.
//!
//! Runs on a blocking thread: it is CPU work over a `Read`. Events leave in
//! NDJSON batches of bounded size, so memory stays flat whatever the object
//! size, and a slow consumer of batches slows the read.

use std::borrow::Cow;
use std::io::{self, Read};

use loglift_parsers::framing::{Framing, Record};
use loglift_parsers::{error_event, Event, ParseError, Parser, Value};

use super::normalize::{Normalizer, Origin};
use crate::dataset::DatasetSpec;
use crate::decompress::decompressed;
use crate::geoip::Enricher;

/// Events of one object, serialized as NDJSON (one event per line).
#[derive(Debug, Default)]
pub struct Batch {
    /// The events, each followed by `\n`.
    pub ndjson: Vec<u8>,
    /// Number of events in `ndjson`.
    pub events: usize,
    /// How many of them are parse-error events.
    pub errors: usize,
}

/// What processing an object found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ObjectStats {
    /// Records framed.
    pub records: u64,
    /// Events produced (including error events).
    pub events: u64,
    /// Records that did not parse (each became an error event).
    pub errors: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// The newest `@timestamp` among the events (for the event-lag metric).
    pub newest: Option<loglift_parsers::Timestamp>,
}

/// Why an object could not be processed to the end.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Reading or decompressing the object failed.
    #[error("reading {path}: {source}")]
    Read {
        /// `log.file.path` of the object.
        path: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The dataset's options are invalid.
    #[error(transparent)]
    Options(#[from] loglift_parsers::OptionError),
    /// The consumer of batches gave up (output closed, shutdown).
    #[error("batch consumer stopped: {0}")]
    Sink(String),
}

/// Internal error of the record walk: an I/O error or the sink's refusal.
enum WalkError {
    Io(io::Error),
    Sink(String),
}

impl From<io::Error> for WalkError {
    fn from(e: io::Error) -> Self {
        WalkError::Io(e)
    }
}

/// Processes one object read from `reader` and hands its events to `sink`
/// in batches of about `batch_bytes`; no empty batch is ever sent.
///
/// With `threads` > 1, a line-framed object whose parser can
/// [fork](loglift_parsers::Parser::fork) is cut into blocks of whole lines
/// parsed on that many threads; batches still reach `sink` in object order.
pub fn process_object<R, F>(
    reader: R,
    dataset: &DatasetSpec,
    namespace: &str,
    origin: &Origin,
    batch_bytes: usize,
    threads: usize,
    mut sink: F,
) -> Result<ObjectStats, ProcessError>
where
    R: Read + Send,
    F: FnMut(Batch) -> Result<(), String>,
{
    let read_error = |source| ProcessError::Read {
        path: origin.path.clone(),
        source,
    };
    let (_, reader) = decompressed(reader).map_err(read_error)?;
    let mut counted = CountingReader {
        inner: reader,
        bytes: 0,
    };
    let mut parser = dataset.parser()?;
    let normalizer = Normalizer::new(&dataset.name, &dataset.module, namespace, origin);
    let stages = Stages {
        dataset,
        normalizer: &normalizer,
        batch_bytes,
    };
    let mut stats = ObjectStats::default();
    let walk = if threads > 1 && dataset.framing == Framing::Lines {
        parallel::walk_blocks(
            &mut counted,
            &mut parser,
            stages,
            threads,
            &mut stats,
            &mut sink,
        )
    } else {
        let mut walker = stages.walker();
        let walk = dataset.framing.for_each_record(&mut counted, |record| {
            walker.record(parser.as_mut(), record, 0, &mut sink)
        });
        walk.and_then(|()| walker.finish(&mut sink))
            .map(|()| stats.add(&walker.stats))
    };
    stats.bytes = counted.bytes;
    match walk {
        Ok(()) => Ok(stats),
        Err(WalkError::Io(e)) => Err(read_error(e)),
        Err(WalkError::Sink(e)) => Err(ProcessError::Sink(e)),
    }
}

impl ObjectStats {
    fn add(&mut self, other: &ObjectStats) {
        self.records += other.records;
        self.events += other.events;
        self.errors += other.errors;
        self.bytes += other.bytes;
        self.newest = self.newest.max(other.newest);
    }
}

/// What the walkers of one object share: its dataset (for a new GeoIP
/// enricher per walker), its normalizer and the batch size.
#[derive(Clone, Copy)]
struct Stages<'n, 'o> {
    dataset: &'n DatasetSpec,
    normalizer: &'n Normalizer<'o>,
    batch_bytes: usize,
}

impl<'n, 'o> Stages<'n, 'o> {
    /// A walker for one object, or one block of a large one.
    fn walker(&self) -> Walker<'n, 'o> {
        Walker::new(self.normalizer, self.dataset.enricher(), self.batch_bytes)
    }
}

/// Turns records into events in NDJSON batches.
struct Walker<'n, 'o> {
    normalizer: &'n Normalizer<'o>,
    enricher: Option<Enricher<'n>>,
    batch_bytes: usize,
    batch: Batch,
    stats: ObjectStats,
}

impl<'n, 'o> Walker<'n, 'o> {
    fn new(
        normalizer: &'n Normalizer<'o>,
        enricher: Option<Enricher<'n>>,
        batch_bytes: usize,
    ) -> Self {
        Walker {
            normalizer,
            enricher,
            batch_bytes,
            batch: Walker::empty_batch(batch_bytes),
            stats: ObjectStats::default(),
        }
    }

    fn empty_batch(batch_bytes: usize) -> Batch {
        Batch {
            ndjson: Vec::with_capacity(batch_bytes + 64 * 1024),
            ..Batch::default()
        }
    }

    /// Parses one record (at `base` + its offset in the object) and hands a
    /// full batch to `sink`.
    fn record(
        &mut self,
        parser: &mut dyn Parser,
        record: Record<'_>,
        base: u64,
        sink: &mut dyn FnMut(Batch) -> Result<(), String>,
    ) -> Result<(), WalkError> {
        self.stats.records += 1;
        let text = utf8_lossy(record.bytes);
        let offset = base + record.offset;
        let mut index = 0u32;
        let normalizer = self.normalizer;
        let enricher = &mut self.enricher;
        let batch = &mut self.batch;
        let newest = &mut self.stats.newest;
        let mut emit = for_record(|mut event: Event<'_>| {
            normalizer.finish(&mut event, offset, index);
            if let Some(enricher) = enricher {
                enricher.enrich(&mut event);
            }
            if let Some(Value::Time(t)) = event.get("@timestamp") {
                *newest = (*newest).max(Some(*t));
            }
            index += 1;
            event.write_json(&mut batch.ndjson);
            batch.ndjson.push(b'\n');
            batch.events += 1;
        });
        let outcome = match record.malformed {
            Some(reason) => Err(ParseError::new("framing", reason)),
            None => parser.parse(&text, &mut emit),
        };
        let failed = outcome.is_err();
        if let Err(error) = outcome {
            let mut event = error_event(&text, &error);
            Normalizer::mark_error(&mut event);
            emit(event);
        }
        if failed {
            self.stats.errors += 1;
            self.batch.errors += 1;
        }
        self.stats.events += u64::from(index);
        if self.batch.ndjson.len() >= self.batch_bytes {
            let full = std::mem::replace(&mut self.batch, Walker::empty_batch(self.batch_bytes));
            sink(full).map_err(WalkError::Sink)?;
        }
        Ok(())
    }

    /// Hands the last, partly filled batch to `sink`.
    fn finish(
        &mut self,
        sink: &mut dyn FnMut(Batch) -> Result<(), String>,
    ) -> Result<(), WalkError> {
        if self.batch.events > 0 {
            let last = std::mem::take(&mut self.batch);
            sink(last).map_err(WalkError::Sink)?;
        }
        Ok(())
    }
}

/// The record as text: borrowed when it is valid UTF-8 (checked with SIMD),
/// with U+FFFD for invalid bytes otherwise.
fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

mod parallel {
    //! Line-framed objects parsed on several threads, in blocks of whole lines.

    use std::collections::BTreeMap;
    use std::io::{self, Read};
    use std::sync::{mpsc, Mutex};

    use loglift_parsers::framing::Framing;
    use loglift_parsers::Parser;

    use super::{Batch, ObjectStats, Stages, WalkError};

    /// Bytes of input per block.
    const BLOCK: usize = 1 << 20;

    type BlockResult = Result<(Vec<Batch>, ObjectStats), WalkError>;

    /// Cuts `reader` into blocks of whole lines: the first is parsed here (so
    /// a header line sets the parser's state), the rest by `threads` forks of
    /// the parser; batches go to `sink` in object order.
    pub(super) fn walk_blocks(
        reader: &mut dyn Read,
        parser: &mut Box<dyn Parser>,
        stages: Stages<'_, '_>,
        threads: usize,
        stats: &mut ObjectStats,
        sink: &mut dyn FnMut(Batch) -> Result<(), String>,
    ) -> Result<(), WalkError> {
        let mut blocks = Blocks {
            reader,
            carry: Vec::new(),
            base: 0,
            done: false,
        };
        let Some((base, first)) = blocks.next_block()? else {
            return Ok(());
        };
        let (batches, first_stats) = walk_block(parser.as_mut(), stages, &first, base)?;
        stats.add(&first_stats);
        for b in batches {
            sink(b).map_err(WalkError::Sink)?;
        }
        let forks: Option<Vec<Box<dyn Parser>>> = (0..threads).map(|_| parser.fork()).collect();
        let Some(forks) = forks else {
            // The parser keeps its state to itself: the rest on this thread.
            while let Some((base, block)) = blocks.next_block()? {
                let (batches, s) = walk_block(parser.as_mut(), stages, &block, base)?;
                stats.add(&s);
                for b in batches {
                    sink(b).map_err(WalkError::Sink)?;
                }
            }
            return Ok(());
        };
        let (job_tx, job_rx) = mpsc::sync_channel::<(u64, u64, Vec<u8>)>(threads);
        let job_rx = Mutex::new(job_rx);
        let (result_tx, result_rx) = mpsc::channel::<(u64, BlockResult)>();
        std::thread::scope(|scope| {
            for mut fork in forks {
                let (job_rx, result_tx) = (&job_rx, result_tx.clone());
                scope.spawn(move || loop {
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, base, block))) = job else {
                        return;
                    };
                    let result = walk_block(fork.as_mut(), stages, &block, base);
                    if result_tx.send((seq, result)).is_err() {
                        return;
                    }
                });
            }
            drop(result_tx);
            let outcome = feed_and_collect(&mut blocks, job_tx, &result_rx, threads, stats, sink);
            // Unblock the workers whatever happened, then let the scope join them.
            drop(job_rx.lock().map(|rx| while rx.try_recv().is_ok() {}));
            outcome
        })
    }

    /// Sends blocks to the workers (at most `2 × threads` in flight) and
    /// hands their batches to `sink` in block order.
    fn feed_and_collect(
        blocks: &mut Blocks<'_>,
        job_tx: mpsc::SyncSender<(u64, u64, Vec<u8>)>,
        results: &mpsc::Receiver<(u64, BlockResult)>,
        threads: usize,
        stats: &mut ObjectStats,
        sink: &mut dyn FnMut(Batch) -> Result<(), String>,
    ) -> Result<(), WalkError> {
        let mut pending: BTreeMap<u64, (Vec<Batch>, ObjectStats)> = BTreeMap::new();
        let (mut sent, mut next) = (0u64, 0u64);
        let mut input_done = false;
        loop {
            while !input_done && sent - next < 2 * threads as u64 {
                match blocks.next_block()? {
                    Some((base, block)) => {
                        job_tx
                            .send((sent, base, block))
                            .map_err(|_| WalkError::Sink("parser thread stopped".into()))?;
                        sent += 1;
                    }
                    None => input_done = true,
                }
            }
            if next == sent {
                return Ok(());
            }
            let (seq, result) = results
                .recv()
                .map_err(|_| WalkError::Sink("parser thread stopped".into()))?;
            pending.insert(seq, result?);
            while let Some((batches, s)) = pending.remove(&next) {
                stats.add(&s);
                for b in batches {
                    sink(b).map_err(WalkError::Sink)?;
                }
                next += 1;
            }
        }
    }

    fn walk_block(
        parser: &mut dyn Parser,
        stages: Stages<'_, '_>,
        block: &[u8],
        base: u64,
    ) -> BlockResult {
        let mut batches = Vec::new();
        let mut keep = |b: Batch| -> Result<(), String> {
            batches.push(b);
            Ok(())
        };
        let mut walker = stages.walker();
        Framing::Lines.for_each_record(block, |record| {
            walker.record(parser, record, base, &mut keep)
        })?;
        walker.finish(&mut keep)?;
        Ok((batches, walker.stats))
    }

    /// Blocks of whole lines read from a stream.
    struct Blocks<'r> {
        reader: &'r mut dyn Read,
        carry: Vec<u8>,
        base: u64,
        done: bool,
    }

    impl Blocks<'_> {
        /// The next block and its offset in the stream, ending at a line end
        /// (or the end of the stream).
        fn next_block(&mut self) -> io::Result<Option<(u64, Vec<u8>)>> {
            let mut block = std::mem::take(&mut self.carry);
            block.reserve(BLOCK);
            while !self.done && (block.len() < BLOCK || memchr::memrchr(b'\n', &block).is_none()) {
                let start = block.len();
                block.resize(start + BLOCK, 0);
                let n = loop {
                    match self.reader.read(&mut block[start..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                block.truncate(start + n);
                self.done = n == 0;
            }
            if block.is_empty() {
                return Ok(None);
            }
            if !self.done {
                if let Some(nl) = memchr::memrchr(b'\n', &block) {
                    self.carry = block.split_off(nl + 1);
                }
            }
            let base = self.base;
            self.base += block.len() as u64;
            Ok(Some((base, block)))
        }
    }
}

/// Pins an emit closure to one record's lifetime (instead of every lifetime),
/// so it may add fields borrowed from the normalizer.
fn for_record<'a, F: FnMut(Event<'a>)>(f: F) -> F {
    f
}

struct CountingReader<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}
