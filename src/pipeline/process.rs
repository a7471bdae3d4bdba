//! Processing one object: decompress, frame, parse, normalize, serialize.
//!
//! Runs on a blocking thread: it is CPU work over a `Read`. Events leave in
//! NDJSON batches of bounded size, so memory stays flat whatever the object
//! size, and a slow consumer of batches slows the read.

use std::io::{self, Read};

use loglift_parsers::framing::Record;
use loglift_parsers::{error_event, Event, ParseError};

use super::normalize::{Normalizer, Origin};
use crate::dataset::DatasetSpec;
use crate::decompress::decompressed;

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
pub fn process_object<R, F>(
    reader: R,
    dataset: &DatasetSpec,
    namespace: &str,
    origin: &Origin,
    batch_bytes: usize,
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
    let mut stats = ObjectStats::default();
    let mut batch = Batch {
        ndjson: Vec::with_capacity(batch_bytes + 64 * 1024),
        ..Batch::default()
    };

    let walk = dataset.framing.for_each_record(
        &mut counted,
        |record: Record<'_>| -> Result<(), WalkError> {
            stats.records += 1;
            let text = String::from_utf8_lossy(record.bytes);
            let mut index = 0u32;
            let mut emit = for_record(|mut event: Event<'_>| {
                normalizer.finish(&mut event, record.offset, index);
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
                stats.errors += 1;
                batch.errors += 1;
            }
            stats.events += u64::from(index);
            if batch.ndjson.len() >= batch_bytes {
                let full = std::mem::replace(
                    &mut batch,
                    Batch {
                        ndjson: Vec::with_capacity(batch_bytes + 64 * 1024),
                        ..Batch::default()
                    },
                );
                sink(full).map_err(WalkError::Sink)?;
            }
            Ok(())
        },
    );
    stats.bytes = counted.bytes;
    match walk {
        Ok(()) => {}
        Err(WalkError::Io(e)) => return Err(read_error(e)),
        Err(WalkError::Sink(e)) => return Err(ProcessError::Sink(e)),
    }
    if batch.events > 0 {
        sink(batch).map_err(ProcessError::Sink)?;
    }
    Ok(stats)
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
