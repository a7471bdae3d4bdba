//! Time and memory to build and serve a CloudWatch snapshot of 100,000
//! series (20 families of 5,000 EC2-like series with five labels each),
//! through the same collector and text encoder `/metrics` uses.
//!
//! `cargo bench --bench cloudwatch_exposition [-- SERIES]`; prints the
//! median of several runs of each step and the resident memory the snapshot adds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use loglift::cloudwatch::exposition::{family_name, CloudWatchCollector, SnapshotBuilder};
use prometheus::{Encoder, Registry, TextEncoder};

/// Resident set size of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn build(series: usize) -> loglift::cloudwatch::exposition::Snapshot {
    const FAMILIES: usize = 20;
    let per_family = series / FAMILIES;
    let region: Arc<str> = Arc::from("us-east-1");
    let account: Arc<str> = Arc::from("123456789012");
    let metrics = [
        "CPUUtilization",
        "NetworkIn",
        "NetworkOut",
        "DiskReadOps",
        "DiskWriteOps",
    ];
    let stats = ["average", "maximum", "minimum", "sum"];
    let mut b = SnapshotBuilder::default();
    for f in 0..FAMILIES {
        let name = family_name("AWS/EC2", metrics[f % 5], stats[f / 5 % 4]);
        for i in 0..per_family {
            let labels = vec![
                (
                    "dimension_InstanceId".to_string(),
                    Arc::from(format!("i-{i:017x}").as_str()),
                ),
                (
                    "tag_Name".to_string(),
                    Arc::from(format!("web-{i}").as_str()),
                ),
                (
                    "tag_env".to_string(),
                    Arc::from(if i % 3 == 0 { "prod" } else { "staging" }),
                ),
                ("region".to_string(), region.clone()),
                ("account_id".to_string(), account.clone()),
            ];
            b.add(
                &name,
                || {
                    format!(
                        "CloudWatch AWS/EC2 {} ({}).",
                        metrics[f % 5],
                        stats[f / 5 % 4]
                    )
                },
                labels,
                i as f64 * 0.5,
            );
        }
    }
    b.build()
}

fn main() {
    let series: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let runs = 7;

    let collector = Arc::new(CloudWatchCollector::default());
    let before = rss();
    collector.publish("bench", build(series));
    let held = rss().saturating_sub(before);
    let mut build_times = Vec::new();
    let mut publish_times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let s = build(series);
        build_times.push(t.elapsed());
        assert_eq!(s.series(), series);
        let t = Instant::now();
        collector.publish("bench", s);
        publish_times.push(t.elapsed());
    }

    // What `/metrics` does: the agent's registry, then the published text.
    loglift::metrics::init();
    let mut render_times = Vec::new();
    let mut bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let mut out = Vec::with_capacity(32 << 20);
        TextEncoder::new()
            .encode(&loglift::metrics::REGISTRY.gather(), &mut out)
            .expect("encoded");
        collector.render_into(&mut out);
        render_times.push(t.elapsed());
        bytes = out.len();
    }
    // For comparison: a registry gathering the collector on every scrape.
    let registry = Registry::new();
    registry
        .register(Box::new(BenchCollector(collector.clone())))
        .expect("registered");
    let mut gather_times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut out = Vec::with_capacity(32 << 20);
        TextEncoder::new()
            .encode(&registry.gather(), &mut out)
            .expect("encoded");
        gather_times.push(t.elapsed());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("series: {series}");
    println!(
        "build snapshot (poll side): median {:.1} ms",
        ms(median(build_times))
    );
    println!(
        "publish (encode once, swap; poll side): median {:.1} ms",
        ms(median(publish_times))
    );
    println!(
        "render /metrics (scrape side): median {:.2} ms, {:.1} MB of text",
        ms(median(render_times)),
        bytes as f64 / 1e6
    );
    println!(
        "render through Registry::gather on every scrape (not used): median {:.1} ms",
        ms(median(gather_times))
    );
    println!(
        "memory: {:.1} MB RSS for the published snapshot and its text (first publish)",
        held as f64 / 1e6
    );
}

/// The collector as a registry entry.
struct BenchCollector(Arc<CloudWatchCollector>);

impl prometheus::core::Collector for BenchCollector {
    fn desc(&self) -> Vec<&prometheus::core::Desc> {
        Vec::new()
    }

    fn collect(&self) -> Vec<prometheus::proto::MetricFamily> {
        prometheus::core::Collector::collect(self.0.as_ref())
    }
}
