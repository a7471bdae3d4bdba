//! Fuzz `aws.elb_logs`: any bytes (as lossy UTF-8) must parse or fail
//! cleanly, and every event must serialize to valid JSON. Inputs that start
//! like a real ALB, NLB, Classic or connection log line reach deep into the
//! parser; the fuzzer finds those prefixes quickly from the seed corpus
//! (`tests/fixtures/aws.elb_logs/elb.log`, one line per file).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loglift_parsers::{dataset, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parser = dataset("aws.elb_logs")
        .expect("aws.elb_logs is a built-in dataset")
        .build(&Options::new())
        .expect("no options needed");
    let mut out = Vec::new();
    for record in text.split('\n') {
        let _ = parser.parse(record, &mut |mut event| {
            out.clear();
            event.write_json(&mut out);
            serde_json::from_slice::<serde::de::IgnoredAny>(&out)
                .expect("write_json produced invalid JSON");
        });
    }
});
