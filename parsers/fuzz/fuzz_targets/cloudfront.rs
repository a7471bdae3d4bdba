//! Fuzz `aws.cloudfront_logs`: any bytes, split into lines (so a `#Fields`
//! header can set the columns of the lines after it), must parse or fail
//! cleanly, and every event must serialize to valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| loglift_parsers_fuzz::fuzz_lines("aws.cloudfront_logs", data));
