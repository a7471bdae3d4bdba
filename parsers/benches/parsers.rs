//! Parse-and-serialize throughput per dataset (filled in per parser).
use criterion::{criterion_group, criterion_main, Criterion};

fn benches(_c: &mut Criterion) {}

criterion_group!(parsers, benches);
criterion_main!(parsers);
