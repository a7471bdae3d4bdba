//! Dissect throughput on syslog-style appliance lines.
//!
//! Input: 100k lines generated here, shaped like a firewall appliance's
//! syslog (`<ts> <host> acmefw[<pid>]: <verdict> <src>:<sport> -> <dst>:<dport> <rule>`).
//! Two measurements: the matcher alone (`Dissector::dissect`), and the whole
//! user-defined dataset (dissect, conversions into ECS fields, a static
//! field, `@timestamp`, and the event written as JSON into one reused buffer).
//! Reported per line (lines/s) and per byte (MB/s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loglift_parsers::dissect::Dissector;
use loglift_parsers::json_record::{CustomDataset, TimestampFormat};
use loglift_parsers::mapping::FieldMapping;
use loglift_parsers::Parser;

mod common;
use common::Rng;

const LINES: usize = 100_000;
const PATTERN: &str =
    "%{ts} %{host} acmefw[%{pid}]: %{verdict} %{src}:%{sport} -> %{dst}:%{dport} rule=%{rule}";

fn generate(n: usize) -> String {
    let mut r = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = String::with_capacity(n * 110);
    for i in 0..n {
        let secs = i / 40;
        out.push_str(&format!(
            "2024-03-01T{:02}:{:02}:{:02}Z fw{} acmefw[{}]: {} {}:{} -> {}:{} rule={}\n",
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60,
            r.below(4),
            1000 + r.below(30000),
            r.pick(&["ALLOW", "ALLOW", "DENY", "DROP"]),
            r.ip(),
            1024 + r.below(64000),
            r.ip(),
            r.pick(&["22", "80", "443", "3306", "53"]),
            r.pick(&["default-deny", "allow-web", "allow-dns", "block-scan"]),
        ));
    }
    out
}

fn dataset() -> CustomDataset {
    CustomDataset {
        dissect: Some(Dissector::new(PATTERN).unwrap()),
        fields: vec![
            FieldMapping::new("src", "source.ip", Some("ip"), None).unwrap(),
            FieldMapping::new("sport", "source.port", Some("long"), None).unwrap(),
            FieldMapping::new("dst", "destination.ip", Some("ip"), None).unwrap(),
            FieldMapping::new("dport", "destination.port", Some("long"), None).unwrap(),
            FieldMapping::new("verdict", "event.action", None, None).unwrap(),
        ],
        static_fields: vec![("observer.vendor".into(), "Acme".into())],
        timestamp_field: Some("ts".into()),
        timestamp_format: TimestampFormat::Rfc3339,
        ..CustomDataset::new("acme.firewall")
    }
}

fn dissect_only(d: &Dissector, text: &str) -> usize {
    let mut matched = 0;
    for line in text.lines() {
        if let Ok(m) = d.dissect(line) {
            matched += m.values().len();
            black_box(&m);
        }
    }
    matched
}

fn parse_and_write(parser: &mut dyn Parser, text: &str, out: &mut Vec<u8>) -> usize {
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
    let text = generate(LINES);
    let lines = text.lines().count() as u64;
    let dissector = Dissector::new(PATTERN).unwrap();
    let mut parser = dataset().compile().unwrap();
    let mut out = Vec::with_capacity(4096);
    assert_eq!(
        dissect_only(&dissector, &text) as u64,
        lines * 9,
        "every line matches"
    );
    assert_eq!(parse_and_write(&mut parser, &text, &mut out) as u64, lines);

    for (group, throughput) in [
        ("dissect_lines", Throughput::Elements(lines)),
        ("dissect_bytes", Throughput::Bytes(text.len() as u64)),
    ] {
        let mut g = c.benchmark_group(group);
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3))
            .throughput(throughput);
        g.bench_function("matcher", |b| {
            b.iter(|| dissect_only(&dissector, black_box(&text)))
        });
        g.bench_function("dataset_to_json", |b| {
            b.iter(|| parse_and_write(&mut parser, black_box(&text), &mut out))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
