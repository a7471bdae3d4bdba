//! `aws.firewall_logs` parse + serialize throughput.
//!
//! Input: the file named by `FIREWALL_BENCH_FILE` (one record per line), else
//! 100k records generated here like Network Firewall's own: netflow records and some alerts.
//! Every record is parsed and its event written as JSON into one reused buffer.
//! Reported per byte (MB/s) and per record (records/s).

use criterion::{criterion_group, criterion_main, Criterion};
use loglift_parsers::network_firewall::NetworkFirewallParser;

mod common;
use common::Rng;

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

fn bench(c: &mut Criterion) {
    common::ndjson(
        c,
        "firewall_logs",
        "FIREWALL_BENCH_FILE",
        generate,
        NetworkFirewallParser,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
