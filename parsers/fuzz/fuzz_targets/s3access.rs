//! Fuzz `aws.s3access`: arbitrary bytes (lossy UTF-8), split into lines, must
//! never panic, and every event must serialize to valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| loglift_parsers_fuzz::fuzz_lines("aws.s3access", data));
