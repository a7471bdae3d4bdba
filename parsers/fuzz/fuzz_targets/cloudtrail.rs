//! Fuzz `aws.cloudtrail`: any bytes (as lossy UTF-8) must parse or fail
//! cleanly with every `retain` setting, and every event must serialize to
//! valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loglift_parsers::Options;

fuzz_target!(|data: &[u8]| {
    for retain in ["all", "keyword", "flattened", "minimal", "none"] {
        let options = Options::from([("retain".to_owned(), retain.to_owned())]);
        loglift_parsers_fuzz::fuzz_record_with("aws.cloudtrail", &options, data);
    }
});
