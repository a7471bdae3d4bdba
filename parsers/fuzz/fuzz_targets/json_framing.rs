//! Fuzz the JSON framings: on any bytes every framing must end without
//! panicking, and every record it hands out must be exactly the input's
//! bytes at the record's offset, in increasing offset order.
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use loglift_parsers::framing::Record;
use loglift_parsers::Framing;

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
    for framing in &framings {
        let mut last_end = 0u64;
        framing
            .for_each_record(data, |record: Record<'_>| -> io::Result<()> {
                let start = usize::try_from(record.offset).expect("offset fits");
                let end = start + record.bytes.len();
                assert!(end <= data.len(), "{framing:?}: record past the input");
                assert_eq!(
                    &data[start..end],
                    record.bytes,
                    "{framing:?}: record bytes differ from the input"
                );
                assert!(
                    record.offset >= last_end,
                    "{framing:?}: records overlap or go backwards"
                );
                last_end = end as u64;
                Ok(())
            })
            .expect("reading a slice cannot fail");
    }
});
