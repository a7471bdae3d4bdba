//! Events per second through the `elasticsearch` output into the test bulk
//! server, with gzip off and on, and the output's CPU time per 100k events.
//!
//! ```sh
//! cargo bench --profile ci --bench elasticsearch          # 1M events
//! ES_BENCH_EVENTS=200000 cargo bench --profile ci --bench elasticsearch
//! ```
//!
//! The events are 1M parsed VPC flow log events (`loglift parse` of
//! generated lines) in a file, read into 1 MiB batches before timing. The
//! bulk server runs in a child process (this binary with `serve`), so the
//! CPU time measured here (user + system, from `/proc/self/stat`) is the
//! output's own: preparing bulk bodies, gzip, HTTP, reading responses.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use loglift::config::{Compression, ElasticsearchOutputConfig, OutputConfig};
use loglift::output::{self, Delivery, Output};
use loglift::pipeline::Batch;
use tokio::sync::oneshot;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        serve();
        return;
    }
    let n: usize = std::env::var("ES_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    make_events(&file, n);
    let batches = read_batches(&file);
    let bytes: usize = batches.iter().map(|b| b.len()).sum();
    println!(
        "{n} events, {:.0} MB of NDJSON, {} batches of about 1 MiB",
        bytes as f64 / 1e6,
        batches.len()
    );
    // The output's first step alone: events into action/source pairs.
    let cpu0 = cpu_seconds();
    let mut prepared = loglift::output::elasticsearch::bulk::Prepared::default();
    for b in &batches {
        prepared.add(b);
    }
    let prepare = cpu_seconds() - cpu0;
    assert_eq!(prepared.len(), n);
    drop(prepared);
    println!(
        "preparing bulk bodies alone: {:.3} CPU s per 100k events",
        prepare / (n as f64 / 100_000.0)
    );
    println!("| compression | events/s | MB/s (NDJSON) | CPU s per 100k events | wall s |");
    println!("|---|---|---|---|---|");
    for compression in [Compression::None, Compression::Gzip] {
        let run = run(&batches, n, compression, dir.path());
        println!(
            "| {:?} | {:.0} | {:.1} | {:.3} | {:.2} |",
            compression,
            n as f64 / run.wall,
            bytes as f64 / 1e6 / run.wall,
            run.cpu / (n as f64 / 100_000.0),
            run.wall
        );
    }
}

struct Run {
    wall: f64,
    cpu: f64,
}

fn run(batches: &[Vec<u8>], n: usize, compression: Compression, dir: &std::path::Path) -> Run {
    let exe = std::env::current_exe().unwrap();
    let mut server = Command::new(exe)
        .arg("serve")
        .env("ES_BENCH_STORED", dir.join("stored"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let mut config =
        ElasticsearchOutputConfig::new(vec![format!("http://127.0.0.1:{}", port.trim())]);
    config.compression = compression;
    config.dead_letter_path = dir.join(format!("dlq-{compression:?}.ndjson"));
    config.timeout = Duration::from_secs(120);
    let out = Output::open(&OutputConfig::Elasticsearch(config)).unwrap();
    let (cpu0, started) = (cpu_seconds(), Instant::now());
    let (tx, thread) = output::spawn(vec![out], 32);
    let mut acks = Vec::with_capacity(batches.len());
    for ndjson in batches {
        let (ack, rx) = oneshot::channel();
        let events = ndjson.iter().filter(|b| **b == b'\n').count();
        let batch = Batch {
            ndjson: ndjson.clone(),
            events,
            errors: 0,
        };
        tx.blocking_send(Delivery { batch, ack }).unwrap();
        acks.push(rx);
    }
    for rx in acks {
        rx.blocking_recv().unwrap().expect("stored");
    }
    let (wall, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
    drop(tx);
    thread.join().unwrap();
    // The server reports what it stored when its stdin closes.
    drop(server.stdin.take());
    let status = server.wait().unwrap();
    assert!(status.success());
    let stored: usize = std::fs::read_to_string(dir.join("stored"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(stored, n, "every event stored once");
    Run { wall, cpu }
}

/// The child process: a light bulk server; prints its port, and when its
/// stdin closes writes the number of stored documents to `$ES_BENCH_STORED`.
fn serve() {
    let server = common::bulk::BulkServer::start();
    server.light();
    println!("{}", server.port);
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {
        line.clear();
    }
    let path = std::env::var("ES_BENCH_STORED").expect("ES_BENCH_STORED is set");
    std::fs::write(path, server.count().to_string()).unwrap();
}

fn make_events(path: &std::path::Path, n: usize) {
    let lines = path.with_extension("log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&lines).unwrap());
    for start in (0..n).step_by(100_000) {
        f.write_all(common::vpcflow_lines(start, 100_000.min(n - start)).as_bytes())
            .unwrap();
    }
    drop(f);
    let out = std::fs::File::create(path).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["parse", "--dataset", "aws.vpcflow"])
        .arg(&lines)
        .stdout(out)
        .status()
        .unwrap();
    assert!(status.success());
}

fn read_batches(path: &std::path::Path) -> Vec<Vec<u8>> {
    let data = std::fs::read(path).unwrap();
    let mut batches = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let end = (start + (1 << 20)).min(data.len());
        let end = match memchr::memrchr(b'\n', &data[start..end]) {
            Some(nl) if end < data.len() => start + nl + 1,
            _ => data.len(),
        };
        batches.push(data[start..end].to_vec());
        start = end;
    }
    batches
}

/// User + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name), in clock ticks.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}
