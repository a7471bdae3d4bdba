//! Fuzz `aws.elb_logs`: any bytes (as lossy UTF-8) must parse or fail
//! cleanly, and every event must serialize to valid JSON. Inputs that start
//! like a real ALB, NLB, Classic or connection log line reach deep into the
//! parser; the fuzzer finds those prefixes quickly from the seed corpus
//! (`tests/fixtures/aws.elb_logs/elb.log`, one line per file).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| loglift_parsers_fuzz::fuzz_lines("aws.elb_logs", data));
