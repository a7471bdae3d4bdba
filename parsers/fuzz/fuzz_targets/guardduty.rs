//! Fuzz `aws.guardduty`: any bytes (as lossy UTF-8) must parse or fail
//! cleanly, and every event must serialize to valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| loglift_parsers_fuzz::fuzz_record("aws.guardduty", data));
