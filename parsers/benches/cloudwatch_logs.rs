//! `aws.cloudwatch_logs`: parse and serialize CloudWatch Logs subscription
//! payloads, as Firehose delivers them (one JSON object per record, many log
//! events each).
//!
//! Input: `LOGLIFT_BENCH_CLOUDWATCH_LOGS=FILE` (one payload per line), else a
//! generated set of 2,000 payloads × 50 log events = 100,000 events mixing
//! Lambda platform lines, JSON application logs (escaped, so decoded into
//! owned strings) and VPC flow records. Reports events/s and MB/s.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loglift_parsers::{dataset, Options};

fn generate() -> Vec<String> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut payloads = Vec::with_capacity(2000);
    let mut ts = 1_709_287_200_000i64;
    for p in 0..2000 {
        let mut events = Vec::with_capacity(50);
        for e in 0..50 {
            ts += (next() % 40) as i64;
            let r = next();
            let message = match (p + e) % 4 {
                0 => format!("START RequestId: {:08x}-2b1e-4d8c-9e57-{:012x} Version: $LATEST\\n", r as u32, r >> 16),
                1 => format!(
                    "2024-03-01T10:00:00.012Z\\t{:08x}-2b1e-4d8c-9e57-0a3f1b2c4d5e\\tINFO\\t{{\\\"level\\\":\\\"info\\\",\\\"msg\\\":\\\"order accepted\\\",\\\"orderId\\\":\\\"A-{}\\\",\\\"items\\\":{}}}\\n",
                    r as u32,
                    r % 100_000,
                    r % 9
                ),
                2 => format!(
                    "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.{}.{} 10.0.2.{} {} 443 6 {} {} 1709287200 1709287260 ACCEPT OK",
                    r % 255,
                    (r >> 8) % 255,
                    (r >> 16) % 255,
                    1024 + (r >> 24) % 60000,
                    r % 50,
                    r % 100_000
                ),
                _ => format!(
                    "REPORT RequestId: {:08x}-2b1e-4d8c-9e57-0a3f1b2c4d5e\\tDuration: {}.{} ms\\tBilled Duration: {} ms\\tMemory Size: 128 MB\\tMax Memory Used: 71 MB\\t\\n",
                    r as u32,
                    r % 900,
                    r % 100,
                    r % 900 + 1
                ),
            };
            events.push(format!(
                r#"{{"id":"{:056}","timestamp":{ts},"message":"{message}"}}"#,
                (r as u128) * 1_000_003
            ));
        }
        payloads.push(format!(
            r#"{{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/orders-{}","logStream":"2024/03/01/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0","subscriptionFilters":["cwl-to-firehose"],"logEvents":[{}]}}"#,
            p % 7,
            events.join(",")
        ));
    }
    payloads
}

fn bench(c: &mut Criterion) {
    let payloads: Vec<String> = match std::env::var("LOGLIFT_BENCH_CLOUDWATCH_LOGS") {
        Ok(path) => std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {path}: {e}"))
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        Err(_) => generate(),
    };
    let info = dataset("aws.cloudwatch_logs").expect("dataset is registered");
    let mut parser = info.build(&Options::new()).expect("no options");
    let bytes: usize = payloads.iter().map(String::len).sum();
    let mut events = 0u64;
    for p in &payloads {
        parser
            .parse(p, &mut |_| events += 1)
            .expect("payload parses");
    }

    let mut out = Vec::with_capacity(1 << 20);
    let mut run = |out: &mut Vec<u8>| {
        for p in &payloads {
            parser
                .parse(p, &mut |e| {
                    out.clear();
                    e.write_json(out);
                })
                .expect("payload parses");
        }
        out.len()
    };

    let mut group = c.benchmark_group("cloudwatch_logs");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function("subscription_payloads/events", |b| b.iter(|| run(&mut out)));
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("subscription_payloads/bytes", |b| b.iter(|| run(&mut out)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
