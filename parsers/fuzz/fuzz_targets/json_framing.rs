//! Fuzz the JSON framings: on any bytes every framing must end without
//! panicking, every record it hands out must be exactly the input's bytes at
//! the record's offset, in increasing offset order, and the records must not
//! depend on how the input arrives (one slice, or reads of a few bytes that
//! split it anywhere).
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use loglift_parsers::framing::Record;
use loglift_parsers::Framing;

/// A record as handed out: offset, bytes, why it is malformed.
type Seen = (u64, Vec<u8>, Option<&'static str>);

/// A reader that hands out at most `step` bytes per read.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn records(framing: &Framing, input: impl Read) -> Vec<Seen> {
    let mut seen = Vec::new();
    framing
        .for_each_record(input, |record: Record<'_>| -> io::Result<()> {
            seen.push((record.offset, record.bytes.to_vec(), record.malformed));
            Ok(())
        })
        .expect("reading from memory cannot fail");
    seen
}

fuzz_target!(|data: &[u8]| {
    let framings = [
        Framing::JsonRecords {
            field: "Records".into(),
        },
        Framing::JsonArray,
        Framing::Ndjson,
        Framing::ConcatenatedJson,
        Framing::JsonAuto,
    ];
    // Read sizes from the input itself, so the fuzzer explores the splits.
    let step = 1 + usize::from(data.first().copied().unwrap_or(0) % 41);
    for framing in &framings {
        let whole = records(framing, data);
        let mut last_end = 0u64;
        for (offset, bytes, _) in &whole {
            let start = usize::try_from(*offset).expect("offset fits");
            let end = start + bytes.len();
            assert!(end <= data.len(), "{framing:?}: record past the input");
            assert_eq!(
                &data[start..end],
                bytes.as_slice(),
                "{framing:?}: record bytes differ from the input"
            );
            assert!(
                *offset >= last_end,
                "{framing:?}: records overlap or go backwards"
            );
            last_end = end as u64;
        }
        let trickled = records(framing, Trickle { data, step });
        assert_eq!(whole, trickled, "{framing:?}: reads of {step} bytes differ");
    }
});
