//! `aws.cloudtrail` throughput: bytes of a CloudTrail log file to NDJSON
//! events (framing of `{"Records":[…]}`, parsing, serializing).
//!
//! Input: the file named by `CLOUDTRAIL_BENCH_FILE` (e.g. made with
//! `python3 /work/shared/tools/gen_logs.py cloudtrail 100000 /tmp/ct.json`),
//! else 100k records generated here in the same shape. Every record is
//! framed, parsed and its event written as JSON into one reused buffer.
//! Reported per byte (MB/s) and per record (records/s).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loglift_parsers::cloudtrail::{CloudTrail, Retain};
use loglift_parsers::Framing;

mod common;
use common::Rng;

const AGENTS: &[&str] = &[
    "curl/8.5.0",
    "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/123.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0 Safari/537.36",
];

/// `{"Records":[…]}` like `gen_logs.py cloudtrail`.
fn generate(n: usize) -> Vec<u8> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(n * 700);
    out.push_str("{\"Records\": [");
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        let ip = r.ip();
        out.push_str(&format!(
            concat!(
                "{{\"eventVersion\": \"1.09\", \"userIdentity\": {{\"type\": \"IAMUser\", \"principalId\": \"AIDA{:012X}\", ",
                "\"arn\": \"arn:aws:iam::123456789012:user/u{}\", \"accountId\": \"123456789012\", \"userName\": \"u{}\"}}, ",
                "\"eventTime\": \"2024-04-02T09:{:02}:{:02}Z\", \"eventSource\": \"{}\", \"eventName\": \"{}\", \"awsRegion\": \"eu-west-1\", ",
                "\"sourceIPAddress\": \"{}\", \"userAgent\": \"{}\", \"requestParameters\": {{\"bucketName\": \"b\", \"key\": \"k/{}\"}}, ",
                "\"responseElements\": null, \"requestID\": \"{:016X}\", \"eventID\": \"{:016x}{:016x}\", \"readOnly\": true, ",
                "\"eventType\": \"AwsApiCall\", \"managementEvent\": false, \"recipientAccountId\": \"123456789012\"}}"
            ),
            r.next() & 0xffff_ffff_ffff,
            r.below(50),
            r.below(50),
            (i / 60) % 60,
            i % 60,
            r.pick(&["s3.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com"]),
            r.pick(&["GetObject", "DescribeInstances", "ListUsers", "PutObject"]),
            ip,
            r.pick(AGENTS),
            i,
            r.next(),
            r.next(),
            r.next(),
        ));
    }
    out.push_str("]}");
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let data = common::input("CLOUDTRAIL_BENCH_FILE", generate);
    let framing = Framing::JsonRecords {
        field: "Records".into(),
    };
    let mut out = Vec::with_capacity(8192);
    let records = common::run(&data, &framing, &mut CloudTrail::new(Retain::All), &mut out);
    let mut group = common::group(c, "cloudtrail");
    group.throughput(Throughput::Bytes(data.len() as u64));
    for retain in [Retain::All, Retain::None] {
        let mut parser = CloudTrail::new(retain);
        group.bench_function(format!("bytes_to_ndjson/retain={retain:?}"), |b| {
            b.iter(|| common::run(black_box(&data), &framing, &mut parser, &mut out))
        });
    }
    group.throughput(Throughput::Elements(records as u64));
    let mut parser = CloudTrail::new(Retain::All);
    group.bench_function("records", |b| {
        b.iter(|| common::run(black_box(&data), &framing, &mut parser, &mut out))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
