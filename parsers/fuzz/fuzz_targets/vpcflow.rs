//! Feeds arbitrary bytes to the `aws.vpcflow` parser, line by line as the
//! framing would (so header lines set the layout of the lines after them):
//! no input may panic, and every event must serialize to valid JSON.
//!
//! The first byte picks the parser: odd builds it with a `format` option (the
//! second line of the input, which may well be invalid), even without.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loglift_parsers::{dataset, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let mut options = Options::new();
    if data.first().is_some_and(|b| b & 1 == 1) {
        if let Some(format) = lines.next() {
            options.insert("format".to_string(), format.to_string());
        }
    }
    let info = dataset("aws.vpcflow").expect("dataset exists");
    let Ok(mut parser) = info.build(&options) else {
        return;
    };
    let mut out = Vec::new();
    for line in lines {
        let _ = parser.parse(line, &mut |mut event| {
            out.clear();
            event.write_json(&mut out);
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
                panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out));
            }
        });
    }
});
