//! `aws.elb_logs` throughput: parse every ALB line of a file and serialize
//! each event with `write_json` into one reused buffer, as the agent does.
//!
//! Input: the file named by `LOGLIFT_BENCH_ELB` (default `/tmp/elb.log`), made with
//! `python3 /work/shared/tools/gen_logs.py alb 100000 /tmp/elb.log`; when it is
//! missing, 100,000 similar lines are generated here.
//!
//! `cargo bench -p loglift-parsers --bench elb` reports MB/s (`bytes`) and
//! lines/s (`lines`).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use loglift_parsers::{elb, Options};

const LINES: usize = 100_000;

fn input() -> String {
    let path = std::env::var("LOGLIFT_BENCH_ELB").unwrap_or_else(|_| "/tmp/elb.log".to_string());
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.is_empty() => text,
        _ => generate(LINES),
    }
}

/// Lines shaped like `gen_logs.py alb`: http/https/h2, a spread of status
/// codes, paths, user agents and client addresses.
fn generate(n: usize) -> String {
    const PATHS: [&str; 7] = [
        "/",
        "/api/v1/orders",
        "/cart?item=42&qty=1",
        "/static/app.js",
        "/login",
        "/health",
        "/search?q=rust+logs",
    ];
    const UAS: [&str; 4] = [
        "curl/8.5.0",
        "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/123.0",
        "python-requests/2.31.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0 Safari/537.36",
    ];
    const STATUS: [u32; 7] = [200, 200, 200, 301, 404, 500, 503];
    let mut seed = 42u64;
    let mut rnd = move |m: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    let mut out = String::with_capacity(n * 520);
    for i in 0..n {
        let status = STATUS[rnd(7) as usize];
        let (proto, scheme, port, tls) = match rnd(3) {
            0 => ("http", "http", 80, "- -"),
            1 => ("https", "https", 443, "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2"),
            _ => ("h2", "https", 443, "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2"),
        };
        let (m, s) = ((i / 60) % 60, i % 60);
        out.push_str(&format!(
            "{proto} 2024-03-05T10:{m:02}:{s:02}.{:06}Z app/shop-prod/50dc6c495c0c9188 {}.{}.{}.{}:{} 10.1.{}.{}:8080 0.001 0.0{} 0.000 \
             {status} {status} {} {} \"GET {scheme}://shop.example.com:{port}{} HTTP/1.1\" \"{}\" {tls} \
             arn:aws:elasticloadbalancing:eu-central-1:210987654321:targetgroup/shop-web/73e2d6bc24d8a067 \
             \"Root=1-65e6f0a0-{:012x}{:012x}\" \"shop.example.com\" \"-\" 3 2024-03-05T10:{m:02}:{s:02}.000000Z \
             \"forward\" \"-\" \"-\" \"10.1.2.3:8080\" \"{status}\" \"-\" \"-\"\n",
            rnd(1_000_000),
            1 + rnd(222),
            rnd(256),
            rnd(256),
            1 + rnd(254),
            1024 + rnd(64_000),
            rnd(256),
            rnd(256),
            10 + rnd(89),
            100 + rnd(1900),
            100 + rnd(89_900),
            PATHS[rnd(7) as usize],
            UAS[rnd(4) as usize],
            rnd(1 << 48),
            rnd(1 << 48),
        ));
    }
    out
}

fn bench_elb(c: &mut Criterion) {
    let text = input();
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let bytes: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
    let mut parser = elb::build(&Options::new()).expect("elb parser");
    let mut out = Vec::with_capacity(4096);

    let mut group = c.benchmark_group("aws.elb_logs");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    for (unit, throughput) in [
        ("bytes", Throughput::Bytes(bytes)),
        ("lines", Throughput::Elements(lines.len() as u64)),
    ] {
        group.throughput(throughput);
        group.bench_function(BenchmarkId::new("alb_parse_serialize", unit), |b| {
            b.iter(|| {
                let mut written = 0usize;
                for line in &lines {
                    parser
                        .parse(line, &mut |event| {
                            out.clear();
                            event.write_json(&mut out);
                            written += out.len();
                        })
                        .expect("bench lines parse");
                }
                written
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_elb);
criterion_main!(benches);
