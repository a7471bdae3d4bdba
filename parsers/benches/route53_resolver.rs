//! `aws.route53_resolver_logs` parse + serialize throughput.
//!
//! Input: the file named by `ROUTE53_BENCH_FILE` (one record per line), else
//! 100k records generated here like Resolver's own: A, AAAA and PTR queries with answers.
//! Every record is parsed and its event written as JSON into one reused buffer.
//! Reported per byte (MB/s) and per record (records/s).

use criterion::{criterion_group, criterion_main, Criterion};
use loglift_parsers::route53_resolver::Route53ResolverParser;

mod common;
use common::Rng;

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

fn bench(c: &mut Criterion) {
    common::ndjson(
        c,
        "route53_resolver_logs",
        "ROUTE53_BENCH_FILE",
        generate,
        Route53ResolverParser,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
