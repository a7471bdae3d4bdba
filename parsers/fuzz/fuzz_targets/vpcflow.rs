//! Feeds arbitrary bytes to the `aws.vpcflow` parser, line by line as the
//! framing would (so header lines set the layout of the lines after them):
//! no input may panic, and every event must serialize to valid JSON.
//!
//! The first byte picks the parser: odd builds it with a `format` option (the
//! second line of the input, which may well be invalid), even without.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loglift_parsers::Options;
use loglift_parsers_fuzz::{parse_all, parser};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let mut options = Options::new();
    if data.first().is_some_and(|b| b & 1 == 1) {
        if let Some(format) = lines.next() {
            options.insert("format".to_string(), format.to_string());
        }
    }
    if let Some(mut parser) = parser("aws.vpcflow", &options) {
        parse_all(parser.as_mut(), lines);
    }
});
