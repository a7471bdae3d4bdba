//! What the benches share: a small deterministic generator (xorshift), so
//! that runs compare, and the addresses it draws; the input (a file named
//! in the environment, else generated records) and the parse + serialize
//! loop with its criterion group.

#![allow(dead_code)]

use std::hint::black_box;
use std::io;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use loglift_parsers::framing::Record;
use loglift_parsers::{Framing, Parser};

/// How many records a bench generates when no input file is named.
pub const RECORDS: usize = 100_000;

/// The bench input: the file named by the environment variable `var`, else
/// [`RECORDS`] records from `generate`.
pub fn input(var: &str, generate: fn(usize) -> Vec<u8>) -> Vec<u8> {
    match std::env::var_os(var) {
        Some(path) => std::fs::read(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.to_string_lossy())),
        None => generate(RECORDS),
    }
}

/// Frames `data` with `framing`, parses every record with `parser` and
/// writes each event as JSON into `out` (cleared for each); returns the
/// number of records.
pub fn run<P: Parser + ?Sized>(
    data: &[u8],
    framing: &Framing,
    parser: &mut P,
    out: &mut Vec<u8>,
) -> usize {
    let mut records = 0;
    framing
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

/// The criterion group `name` with the settings every dataset bench uses:
/// ten samples, one second of warm-up, eight of measurement.
pub fn group<'c>(
    c: &'c mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group
}

/// Benchmarks `parser` on NDJSON input (the file named by `var`, else
/// generated): the group `name` with `bytes_to_ndjson`, reported per byte,
/// and `records`, reported per record.
pub fn ndjson<P: Parser>(
    c: &mut Criterion,
    name: &str,
    var: &str,
    generate: fn(usize) -> Vec<u8>,
    mut parser: P,
) {
    let data = input(var, generate);
    let framing = Framing::Ndjson;
    let mut out = Vec::with_capacity(8192);
    let records = run(&data, &framing, &mut parser, &mut out);
    let mut group = group(c, name);
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("bytes_to_ndjson", |b| {
        b.iter(|| run(black_box(&data), &framing, &mut parser, &mut out))
    });
    group.throughput(Throughput::Elements(records as u64));
    group.bench_function("records", |b| {
        b.iter(|| run(black_box(&data), &framing, &mut parser, &mut out))
    });
    group.finish();
}

/// A xorshift generator.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `items`.
    pub fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.below(items.len() as u64) as usize]
    }

    /// An IPv4 address: a third each in 10/8, 172.31/16 and public space.
    pub fn ip(&mut self) -> String {
        match self.below(3) {
            0 => format!(
                "10.{}.{}.{}",
                self.below(256),
                self.below(256),
                1 + self.below(254)
            ),
            1 => format!("172.31.{}.{}", self.below(256), 1 + self.below(254)),
            _ => format!(
                "{}.{}.{}.{}",
                1 + self.below(222),
                self.below(256),
                self.below(256),
                1 + self.below(254)
            ),
        }
    }
}
