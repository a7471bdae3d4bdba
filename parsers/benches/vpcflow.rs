//! `aws.vpcflow` parse + serialize throughput.
//!
//! Input: the file named by `VPCFLOW_BENCH_FILE` (e.g. made with
//! `python3 /work/shared/tools/gen_logs.py vpcflow 100000 /tmp/vpcflow.log`),
//! else 100k default-format lines generated here in the same shape.
//! Every line is parsed and its event written as JSON into one reused buffer.
//! Reported per byte (MB/s) and per line (lines/s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loglift_parsers::vpcflow::VpcFlowParser;
use loglift_parsers::Parser;

mod common;
use common::Rng;

const LINES: usize = 100_000;

/// Default (v2) records like `gen_logs.py vpcflow`: 1% NODATA, the rest flows.
fn generate_default(n: usize) -> String {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(n * 110);
    for i in 0..n {
        let t = 1_700_000_000 + (i / 50) as u64;
        let eni = r.next();
        if r.below(100) == 0 {
            out.push_str(&format!(
                "2 123456789010 eni-{eni:017x} - - - - - - - {t} {} - NODATA\n",
                t + 60
            ));
            continue;
        }
        let (src, dst) = (r.ip(), r.ip());
        let dport = [22, 80, 443, 3306, 5432, 8080, 53][r.below(7) as usize];
        let proto = [6, 6, 6, 17, 1][r.below(5) as usize];
        let action = ["ACCEPT", "ACCEPT", "REJECT"][r.below(3) as usize];
        out.push_str(&format!(
            "2 123456789010 eni-{eni:017x} {src} {dst} {} {dport} {proto} {} {} {t} {} {action} OK\n",
            1 + r.below(65534),
            1 + r.below(4999),
            40 + r.below(9_000_000),
            t + 60
        ));
    }
    out
}

/// The same flows in the all-fields v8 layout (40 fields, recognised by count).
fn to_all_v8(default: &str) -> String {
    default
        .lines()
        .map(|l| {
            format!(
                "{l} vpc-0a1b2c3d4e5f60718 subnet-0a1b2c3d4e5f60718 i-0a1b2c3d4e5f60718 19 IPv4 - - us-east-1 \
                 use1-az4 - - - - ingress 1 - - - - - - - - - - -\n"
            )
        })
        .collect()
}

fn input() -> String {
    match std::env::var("VPCFLOW_BENCH_FILE") {
        Ok(path) => std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        Err(_) => generate_default(LINES),
    }
}

fn run(text: &str, out: &mut Vec<u8>) -> usize {
    let mut parser = VpcFlowParser::new();
    let mut events = 0;
    for line in text.lines() {
        let _ = parser.parse(line, &mut |event| {
            out.clear();
            event.write_json(out);
            events += 1;
        });
        black_box(&out);
    }
    events
}

fn bench(c: &mut Criterion) {
    let default = input();
    let v8 = to_all_v8(&default);
    let lines = default.lines().count() as u64;
    let mut out = Vec::with_capacity(4096);
    assert!(
        run(&default, &mut out) as u64 >= lines * 99 / 100,
        "most lines parse"
    );
    assert!(
        run(&v8, &mut out) as u64 >= lines * 99 / 100,
        "most v8 lines parse"
    );

    let mut group = c.benchmark_group("vpcflow_bytes");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Bytes(default.len() as u64));
    group.bench_function("default_v2", |b| {
        b.iter(|| run(black_box(&default), &mut out))
    });
    group.throughput(Throughput::Bytes(v8.len() as u64));
    group.bench_function("all_fields_v8", |b| {
        b.iter(|| run(black_box(&v8), &mut out))
    });
    group.finish();

    let mut group = c.benchmark_group("vpcflow_lines");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(lines));
    group.bench_function("default_v2", |b| {
        b.iter(|| run(black_box(&default), &mut out))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
