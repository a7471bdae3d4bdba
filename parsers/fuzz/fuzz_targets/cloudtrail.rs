//! Fuzz `aws.cloudtrail`: any bytes (as lossy UTF-8) must parse or fail
//! cleanly with every `retain` setting, and every event must serialize to
//! valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loglift_parsers::{dataset, Options};

fuzz_target!(|data: &[u8]| {
    let record = String::from_utf8_lossy(data);
    for retain in ["all", "keyword", "flattened", "minimal", "none"] {
        let options = Options::from([("retain".to_owned(), retain.to_owned())]);
        let mut parser = dataset("aws.cloudtrail").unwrap().build(&options).unwrap();
        let mut out = Vec::new();
        let _ = parser.parse(&record, &mut |event| {
            out.clear();
            event.write_json(&mut out);
            serde_json::from_slice::<serde::de::IgnoredAny>(&out)
                .expect("write_json produced invalid JSON");
        });
    }
});
