//! `aws.firewall_logs` parse + serialize throughput.
//!
//! Input: the file named by `FIREWALL_BENCH_FILE` (one record per line), else
//! 100k records generated here like Network Firewall's own: netflow records and some alerts.
//! Every record is parsed and its event written as JSON into one reused buffer.
//! Reported per byte (MB/s) and per record (records/s).

use std::hint::black_box;
use std::io;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loglift_parsers::framing::Record;
use loglift_parsers::network_firewall::NetworkFirewallParser;
use loglift_parsers::{Framing, Parser};

mod common;
use common::Rng;

const RECORDS: usize = 100_000;

fn generate(n: usize) -> Vec<u8> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(n * 500);
    for i in 0..n {
        let (src, dst) = (r.ip(), r.ip());
        let (sport, dport) = (1024 + r.below(60000), r.pick(&["80", "443", "53", "22"]));
        let body = if r.below(5) == 0 {
            r#""event_type":"alert","app_proto":"http","alert":{"action":"blocked","signature_id":1000003,"rev":1,"signature":"Deny all other TCP traffic","category":"","severity":3},"http":{"hostname":"example.com","url":"/","http_user_agent":"curl/8.5.0","http_method":"GET","protocol":"HTTP/1.1","length":0}"#.to_string()
        } else {
            format!(
                r#""event_type":"netflow","netflow":{{"pkts":{},"bytes":{},"start":"2024-03-05T10:04:57.070479+0000","end":"2024-03-05T10:04:58.070479+0000","age":1,"min_ttl":64,"max_ttl":64}},"tcp":{{"tcp_flags":"1b","syn":true}}"#,
                1 + r.below(100),
                40 + r.below(100_000)
            )
        };
        out.push_str(&format!(
            concat!(
                r#"{{"firewall_name":"egress-fw","availability_zone":"us-east-1b","event_timestamp":"{}","event":{{"#,
                r#""timestamp":"2024-03-05T10:{:02}:{:02}.006481+0000","flow_id":{},"src_ip":"{}","src_port":{},"dest_ip":"{}","dest_port":{},"proto":"TCP",{}}}}}"#,
                "\n"
            ),
            1_709_633_101 + i,
            (i / 60) % 60,
            i % 60,
            r.next() >> 14,
            src,
            sport,
            dst,
            dport,
            body,
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
    let data = input("FIREWALL_BENCH_FILE", generate);
    let mut out = Vec::with_capacity(8192);
    let mut parser = NetworkFirewallParser;
    let records = run(&data, &mut parser, &mut out);
    let mut group = c.benchmark_group("firewall_logs");
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
