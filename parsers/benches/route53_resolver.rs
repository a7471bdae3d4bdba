//! `aws.route53_resolver_logs` parse + serialize throughput.
//!
//! Input: the file named by `ROUTE53_BENCH_FILE` (one record per line), else
//! 100k records generated here like Resolver's own: A, AAAA and PTR queries with answers.
//! Every record is parsed and its event written as JSON into one reused buffer.
//! Reported per byte (MB/s) and per record (records/s).

use std::hint::black_box;
use std::io;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loglift_parsers::framing::Record;
use loglift_parsers::route53_resolver::Route53ResolverParser;
use loglift_parsers::{Framing, Parser};

mod common;
use common::Rng;

const RECORDS: usize = 100_000;

fn generate(n: usize) -> Vec<u8> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(n * 450);
    for i in 0..n {
        let name = r.pick(&[
            "api.github.com.",
            "bucket.s3.us-east-1.amazonaws.com.",
            "www.example.co.uk.",
            "0.amazon.pool.ntp.org.",
            "instance-data.",
        ]);
        let answer = r.ip();
        out.push_str(&format!(
            concat!(
                r#"{{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-0a1b2c3d4e5f60718","#,
                r#""query_timestamp":"2024-03-05T10:{:02}:{:02}Z","query_name":"{}","query_type":"A","query_class":"IN","rcode":"NOERROR","#,
                r#""answers":[{{"Rdata":"{}","Type":"A","Class":"IN"}}],"srcaddr":"{}","srcport":"{}","transport":"UDP","#,
                r#""srcids":{{"instance":"i-0123456789abcdef0"}}}}"#,
                "\n"
            ),
            (i / 60) % 60,
            i % 60,
            name,
            answer,
            r.ip(),
            1024 + r.below(60000),
        ));
    }
    out.into_bytes()
}

fn input(var: &str, generate: fn(usize) -> Vec<u8>) -> Vec<u8> {
    match std::env::var_os(var) {
        Some(path) => std::fs::read(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.to_string_lossy())),
        None => generate(RECORDS),
    }
}

fn run(data: &[u8], parser: &mut dyn Parser, out: &mut Vec<u8>) -> usize {
    let mut records = 0;
    Framing::Ndjson
        .for_each_record(data, |record: Record<'_>| -> io::Result<()> {
            records += 1;
            let text = std::str::from_utf8(record.bytes).unwrap_or_default();
            let _ = parser.parse(text, &mut |event| {
                out.clear();
                event.write_json(out);
                black_box(&out);
            });
            Ok(())
        })
        .expect("input frames");
    records
}

fn bench(c: &mut Criterion) {
    let data = input("ROUTE53_BENCH_FILE", generate);
    let mut out = Vec::with_capacity(8192);
    let mut parser = Route53ResolverParser;
    let records = run(&data, &mut parser, &mut out);
    let mut group = c.benchmark_group("route53_resolver_logs");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("bytes_to_ndjson", |b| {
        b.iter(|| run(black_box(&data), &mut parser, &mut out))
    });
    group.throughput(Throughput::Elements(records as u64));
    group.bench_function("records", |b| {
        b.iter(|| run(black_box(&data), &mut parser, &mut out))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
