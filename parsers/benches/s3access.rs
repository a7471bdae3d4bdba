//! Parse-and-serialize throughput of `aws.s3access` and `aws.ec2_logs`.
//!
//! S3 access lines come from `$LOGLIFT_BENCH_S3ACCESS`, else
//! `/tmp/s3access.log` (`python3 /work/shared/tools/gen_logs.py s3access 100000 /tmp/s3access.log`),
//! else a similar set generated here. EC2 syslog lines are generated here.
//! Every line is parsed and its event written as JSON into one reused buffer.
//! Each set is measured twice: per byte (MB/s) and per line (lines/s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loglift_parsers::{dataset, Options};

const LINES: usize = 100_000;

/// A small deterministic generator (no rand dependency in benches).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn s3access_lines() -> String {
    let path =
        std::env::var("LOGLIFT_BENCH_S3ACCESS").unwrap_or_else(|_| "/tmp/s3access.log".into());
    if let Ok(text) = std::fs::read_to_string(&path) {
        return text;
    }
    let mut r = Lcg(42);
    let agents = [
        "aws-sdk-java/1.12.500 Linux/5.10",
        "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    ];
    let mut out = String::with_capacity(LINES * 480);
    for i in 0..LINES {
        let (op, method) = [
            ("REST.GET.OBJECT", "GET"),
            ("REST.PUT.OBJECT", "PUT"),
            ("REST.HEAD.OBJECT", "HEAD"),
        ][r.next(3) as usize];
        let key = format!("data/{}/part-{}.parquet", r.next(1000), r.next(100_000));
        out.push_str(&format!(
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be media-archive [06/Feb/2024:00:{:02}:{:02} +0000] \
             10.{}.{}.{} arn:aws:iam::123456789012:user/etl {:016X} {op} {key} \"{method} /media-archive/{key} HTTP/1.1\" \
             {} - {} {} {} {} \"-\" \"{}\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 \
             ECDHE-RSA-AES128-GCM-SHA256 AuthHeader media-archive.s3.us-west-1.amazonaws.com TLSv1.2 - -\n",
            (i / 60) % 60,
            i % 60,
            r.next(256),
            r.next(256),
            r.next(254) + 1,
            r.next(u64::MAX >> 1),
            [200, 200, 403, 404][r.next(4) as usize],
            r.next(1_000_000),
            r.next(10_000_000),
            r.next(500) + 1,
            r.next(100) + 1,
            agents[r.next(agents.len() as u64) as usize],
        ));
    }
    out
}

fn ec2_lines() -> String {
    let mut r = Lcg(7);
    let programs = [
        "systemd[1]",
        "dhclient[2898]",
        "sshd[30211]",
        "kernel",
        "ec2net",
        "CROND[30302]",
        "amazon-ssm-agent[1784]",
    ];
    let messages = [
        "Started Session 1423 of user ec2-user.",
        "DHCPREQUEST on eth0 to 172.31.80.1 port 67 (xid=0x4575af22)",
        "Accepted publickey for ec2-user from 198.51.100.7 port 53122 ssh2: RSA SHA256:Xo2mLp4Nq8Rs1Tu5Vw9Yz3Ab7Cd1E",
        "[ 8143.112233] Out of memory: Killed process 4411 (java) total-vm:4194304kB, anon-rss:3145728kB",
        "[get_meta] Trying to get http://169.254.169.254/latest/meta-data/network/interfaces/macs/12:e2:a9:95:8b:97/local-ipv4s",
    ];
    let mut out = String::with_capacity(LINES * 140);
    for i in 0..LINES {
        let (h, m, s) = ((i / 3600) % 24, (i / 60) % 60, i % 60);
        out.push_str(&format!(
            "2024-03-12T{h:02}:{m:02}:{s:02}.000Z Mar 12 {h:02}:{m:02}:{s:02} ip-172-31-{}-{} {}: {}\n",
            r.next(256),
            r.next(256),
            programs[r.next(programs.len() as u64) as usize],
            messages[r.next(messages.len() as u64) as usize],
        ));
    }
    out
}

fn parse_and_serialize(name: &str, text: &str, out: &mut Vec<u8>) -> usize {
    let info = dataset(name).expect("dataset exists");
    let mut parser = info.build(&Options::new()).expect("default options");
    let mut events = 0;
    for line in text.lines() {
        let _ = parser.parse(line, &mut |e| {
            out.clear();
            e.write_json(out);
            events += 1;
        });
    }
    black_box(out.len());
    events
}

fn bench_dataset(c: &mut Criterion, name: &str, text: &str) {
    let lines = text.lines().count() as u64;
    let mut out = Vec::with_capacity(4096);
    let events = parse_and_serialize(name, text, &mut out);
    assert_eq!(events as u64, lines, "{name}: every line parses");
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse+serialize/bytes", |b| {
        b.iter(|| parse_and_serialize(name, black_box(text), &mut out))
    });
    group.throughput(Throughput::Elements(lines));
    group.bench_function("parse+serialize/lines", |b| {
        b.iter(|| parse_and_serialize(name, black_box(text), &mut out))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_dataset(c, "aws.s3access", &s3access_lines());
    bench_dataset(c, "aws.ec2_logs", &ec2_lines());
}

criterion_group! {
    name = s3access;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(s3access);
