//! Fuzz `wallarm.hits`: any bytes (as lossy UTF-8) must parse or fail
//! cleanly, and every event must serialize to valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loglift_parsers::{dataset, Options};

fuzz_target!(|data: &[u8]| {
    let record = String::from_utf8_lossy(data);
    let mut parser = dataset("wallarm.hits")
        .unwrap()
        .build(&Options::new())
        .unwrap();
    let mut out = Vec::new();
    let _ = parser.parse(&record, &mut |mut event| {
        out.clear();
        event.write_json(&mut out);
        // A grammar check: raw JSON passed through verbatim may hold lone surrogate escapes
        // (`"\ud800"`), which RFC 8259 allows and serde_json::Value refuses.
        serde_json::from_slice::<serde::de::IgnoredAny>(&out)
            .expect("write_json produced invalid JSON");
    });
});
