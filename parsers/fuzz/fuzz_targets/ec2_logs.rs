//! Fuzz `aws.ec2_logs`: arbitrary bytes (lossy UTF-8), split into lines, must
//! never panic, and every event must serialize to valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loglift_parsers::{dataset, error_event, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let info = dataset("aws.ec2_logs").expect("dataset exists");
    let mut parser = info.build(&Options::new()).expect("default options");
    let mut out = Vec::new();
    for line in text.split('\n') {
        let mut check = |mut event: loglift_parsers::Event<'_>| {
            out.clear();
            event.write_json(&mut out);
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
                panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out));
            }
        };
        if let Err(error) = parser.parse(line, &mut check) {
            check(error_event(line, &error));
        }
    }
});
