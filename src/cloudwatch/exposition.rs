//! CloudWatch values as Prometheus gauges, YACE's convention (DESIGN §8):
//! `aws_<namespace>_<metric>_<statistic>` in snake case, labels
//! `dimension_<Name>`, `tag_<Key>`, `region` and `account_id`, the same
//! label names on every series of a family.
//!
//! Each poll of a module builds a [`Snapshot`] and [publishes](CloudWatchCollector::publish)
//! it: one pointer swap under a lock, so a scrape sees either the previous
//! poll or the new one, never a mix, and never calls AWS.
//!
//! [`CloudWatchCollector`] is a `prometheus` [`Collector`]. Publishing also
//! encodes the snapshot once with the `prometheus` text encoder, so that a
//! scrape of `/metrics` ([`CloudWatchCollector::render_into`]) copies that
//! text instead of rebuilding and re-encoding every series: with 100,000
//! series a scrape costs a few milliseconds, paid by no AWS call.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, LazyLock, RwLock};

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Gauge, LabelPair, Metric, MetricFamily, MetricType};

/// `CamelCase` and anything else to `snake_case` (YACE's rule): `_` where a
/// lower-case letter or digit meets an upper-case one, every character that
/// may not appear in a metric name becomes `_`, runs of `_` collapse.
/// `CPUUtilization` → `cpuutilization`, `NumberOfMessagesSent` → `number_of_messages_sent`.
pub fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut previous: Option<char> = None;
    for c in s.chars() {
        if c.is_ascii_uppercase()
            && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            out.push('_');
        }
        let mapped = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        };
        if !(mapped == '_' && out.ends_with('_')) {
            out.push(mapped);
        }
        previous = Some(c);
    }
    out.trim_matches('_').to_string()
}

/// The namespace part of a family name: `AWS/EC2` → `ec2`,
/// `AWS/ApplicationELB` → `applicationelb` (AWS namespaces: `AWS/` dropped,
/// lower case); other namespaces in snake case (`MyApp/Orders` → `my_app_orders`).
pub fn namespace_prefix(namespace: &str) -> String {
    match namespace.strip_prefix("AWS/") {
        Some(service) => sanitize(&service.to_ascii_lowercase()),
        None => snake_case(namespace),
    }
}

/// `s` with every character outside `[a-zA-Z0-9_]` replaced by `_`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The gauge name of a namespace's metric and statistic suffix
/// (`aws_ec2_cpuutilization_average`).
pub fn family_name(namespace: &str, metric: &str, statistic_suffix: &str) -> String {
    let mut name = format!(
        "aws_{}_{}_{}",
        namespace_prefix(namespace),
        snake_case(metric),
        statistic_suffix
    );
    // A metric name starting with a digit (`4xxErrors`) is fine after the prefix.
    name.retain(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    name
}

/// A label name: `prefix` and `raw` with invalid characters as `_`
/// (`dimension_InstanceId`, `tag_aws_cloudformation_stack_name`).
pub fn label_name(prefix: &str, raw: &str) -> String {
    format!("{prefix}{}", sanitize(raw))
}

/// One series: label values in the family's label order, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Values of [`Family::labels`], in order (`""` where the series lacks the label).
    pub values: Vec<Arc<str>>,
    /// The newest datapoint.
    pub value: f64,
}

/// One gauge family.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Metric name.
    pub name: String,
    /// HELP text.
    pub help: String,
    /// Label names, sorted.
    pub labels: Vec<String>,
    /// Its series.
    pub series: Vec<Series>,
}

/// The values of one poll of one module, ready to serve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Families, sorted by name.
    pub families: Vec<Family>,
}

impl Snapshot {
    /// Number of series.
    pub fn series(&self) -> usize {
        self.families.iter().map(|f| f.series.len()).sum()
    }
}

/// Collects the series of one poll and gives every family one label set.
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    families: BTreeMap<String, FamilyBuilder>,
}

#[derive(Debug, Default)]
struct FamilyBuilder {
    help: String,
    labels: BTreeSet<String>,
    series: Vec<(Labels, f64)>,
}

/// Label names and values of one series.
pub type Labels = Vec<(String, Arc<str>)>;

impl SnapshotBuilder {
    /// Adds a series of family `name` (created with `help` on first use).
    pub fn add(
        &mut self,
        name: &str,
        help: impl FnOnce() -> String,
        labels: Vec<(String, Arc<str>)>,
        value: f64,
    ) {
        let family = match self.families.get_mut(name) {
            Some(f) => f,
            None => self
                .families
                .entry(name.to_string())
                .or_insert_with(|| FamilyBuilder {
                    help: help(),
                    ..FamilyBuilder::default()
                }),
        };
        for (label, _) in &labels {
            if !family.labels.contains(label) {
                family.labels.insert(label.clone());
            }
        }
        family.series.push((labels, value));
    }

    /// The snapshot: each family's label names are the union of its series'
    /// names, and a series without one of them has it empty.
    pub fn build(self) -> Snapshot {
        let empty: Arc<str> = Arc::from("");
        let families = self
            .families
            .into_iter()
            .map(|(name, f)| {
                let labels: Vec<String> = f.labels.into_iter().collect();
                let series = f
                    .series
                    .into_iter()
                    .map(|(mut pairs, value)| {
                        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                        let mut values = Vec::with_capacity(labels.len());
                        let mut it = pairs.into_iter().peekable();
                        for label in &labels {
                            match it.peek() {
                                Some((l, _)) if l == label => {
                                    values.push(it.next().expect("peeked").1);
                                }
                                _ => values.push(empty.clone()),
                            }
                        }
                        Series { values, value }
                    })
                    .collect();
                Family {
                    name,
                    help: f.help,
                    labels,
                    series,
                }
            })
            .collect();
        Snapshot { families }
    }
}

/// A published snapshot and its text exposition.
#[derive(Debug)]
struct Published {
    snapshot: Snapshot,
    text: Vec<u8>,
}

/// The collector of every module's newest snapshot; `/metrics` serves it
/// after the agent's own metrics.
#[derive(Debug, Default)]
pub struct CloudWatchCollector {
    snapshots: RwLock<BTreeMap<String, Arc<Published>>>,
}

/// The process-wide collector.
pub static COLLECTOR: LazyLock<Arc<CloudWatchCollector>> =
    LazyLock::new(|| Arc::new(CloudWatchCollector::default()));

impl CloudWatchCollector {
    /// Replaces the snapshot of `source` (a module and region) with `snapshot`.
    pub fn publish(&self, source: &str, snapshot: Snapshot) {
        let families: Vec<MetricFamily> = snapshot.families.iter().map(to_proto).collect();
        let text = encode(&families);
        drop(families);
        let snapshot = Arc::new(Published { snapshot, text });
        let old = self
            .snapshots
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(source.to_string(), snapshot);
        // The previous snapshot is freed here, outside the lock.
        drop(old);
    }

    fn current(&self) -> Vec<Arc<Published>> {
        self.snapshots
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Number of series published.
    pub fn series(&self) -> usize {
        self.current().iter().map(|p| p.snapshot.series()).sum()
    }

    /// Appends the text exposition of every snapshot to `out`: the text
    /// encoded at publishing, or, when two modules publish families of the
    /// same name, those families merged and encoded now.
    pub fn render_into(&self, out: &mut Vec<u8>) {
        let current = self.current();
        let mut names = HashSet::new();
        let unique = current
            .iter()
            .flat_map(|p| &p.snapshot.families)
            .all(|f| names.insert(f.name.as_str()));
        if unique {
            for p in &current {
                out.extend_from_slice(&p.text);
            }
        } else {
            out.extend_from_slice(&encode(&self.families()));
        }
    }

    /// The families of every snapshot; families of the same name from
    /// several modules are merged under the union of their label names.
    pub fn families(&self) -> Vec<MetricFamily> {
        let snapshots = self.current();
        let mut by_name: BTreeMap<&str, Vec<&Family>> = BTreeMap::new();
        for s in &snapshots {
            for f in &s.snapshot.families {
                by_name.entry(&f.name).or_default().push(f);
            }
        }
        by_name
            .into_values()
            .map(|parts| {
                if let [one] = parts.as_slice() {
                    to_proto(one)
                } else {
                    to_proto(&merge(&parts))
                }
            })
            .collect()
    }
}

/// One family from several (the same name from two modules).
fn merge(parts: &[&Family]) -> Family {
    let labels: Vec<String> = parts
        .iter()
        .flat_map(|f| f.labels.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let empty: Arc<str> = Arc::from("");
    let mut seen = HashSet::new();
    let mut series = Vec::new();
    for f in parts {
        let positions: Vec<Option<usize>> = labels
            .iter()
            .map(|l| f.labels.iter().position(|x| x == l))
            .collect();
        for s in &f.series {
            let values: Vec<Arc<str>> = positions
                .iter()
                .map(|p| p.map_or_else(|| empty.clone(), |i| s.values[i].clone()))
                .collect();
            if seen.insert(values.clone()) {
                series.push(Series {
                    values,
                    value: s.value,
                });
            }
        }
    }
    Family {
        name: parts[0].name.clone(),
        help: parts[0].help.clone(),
        labels,
        series,
    }
}

/// Prometheus text of `families`.
fn encode(families: &[MetricFamily]) -> Vec<u8> {
    let mut out = Vec::new();
    prometheus::Encoder::encode(&prometheus::TextEncoder::new(), families, &mut out)
        .expect("text encoding into memory cannot fail");
    out
}

fn to_proto(f: &Family) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(f.name.clone());
    family.set_help(f.help.clone());
    family.set_field_type(MetricType::GAUGE);
    let metrics = f
        .series
        .iter()
        .map(|s| {
            let mut m = Metric::default();
            m.set_label(
                f.labels
                    .iter()
                    .zip(&s.values)
                    .map(|(name, value)| {
                        let mut pair = LabelPair::default();
                        pair.set_name(name.clone());
                        pair.set_value(value.to_string());
                        pair
                    })
                    .collect(),
            );
            let mut g = Gauge::default();
            g.set_value(s.value);
            m.set_gauge(g);
            m
        })
        .collect();
    family.set_metric(metrics);
    family
}

impl Collector for CloudWatchCollector {
    /// No fixed descriptors: the families depend on what CloudWatch holds
    /// (an "unchecked" collector).
    fn desc(&self) -> Vec<&Desc> {
        Vec::new()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.families()
    }
}

/// Registers [`COLLECTOR`] with `registry`, for a program that gathers its
/// own registry. The agent does not: its `/metrics` appends
/// [`CloudWatchCollector::render_into`] to its registry's text, so that a
/// scrape does not rebuild every series.
pub fn register(registry: &prometheus::Registry) -> prometheus::Result<()> {
    registry.register(Box::new(SharedCollector(COLLECTOR.clone())))
}

/// The shared collector as a boxed registry entry.
struct SharedCollector(Arc<CloudWatchCollector>);

impl Collector for SharedCollector {
    fn desc(&self) -> Vec<&Desc> {
        Vec::new()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.0.families()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_yace_convention() {
        assert_eq!(snake_case("CPUUtilization"), "cpuutilization");
        assert_eq!(
            snake_case("ApproximateNumberOfMessagesVisible"),
            "approximate_number_of_messages_visible"
        );
        assert_eq!(
            snake_case("HTTPCode_Target_5XX_Count"),
            "httpcode_target_5_xx_count"
        );
        assert_eq!(
            snake_case("StatusCheckFailed_Instance"),
            "status_check_failed_instance"
        );
        assert_eq!(snake_case("MyApp/Orders"), "my_app_orders");
        assert_eq!(snake_case("order-latency.ms"), "order_latency_ms");
        assert_eq!(namespace_prefix("AWS/EC2"), "ec2");
        assert_eq!(namespace_prefix("AWS/ApplicationELB"), "applicationelb");
        assert_eq!(namespace_prefix("MyApp/Orders"), "my_app_orders");
        assert_eq!(
            family_name("AWS/EC2", "CPUUtilization", "average"),
            "aws_ec2_cpuutilization_average"
        );
        assert_eq!(
            family_name("AWS/S3", "4xxErrors", "sum"),
            "aws_s3_4xx_errors_sum"
        );
        assert_eq!(
            label_name("tag_", "aws:cloudformation:stack-name"),
            "tag_aws_cloudformation_stack_name"
        );
        assert_eq!(
            label_name("dimension_", "InstanceId"),
            "dimension_InstanceId"
        );
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, Arc<str>)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Arc::from(*v)))
            .collect()
    }

    #[test]
    fn every_series_of_a_family_has_the_same_label_names() {
        let mut b = SnapshotBuilder::default();
        let help = || "help".to_string();
        b.add(
            "aws_ec2_cpuutilization_average",
            help,
            labels(&[("region", "us-east-1"), ("dimension_InstanceId", "i-1")]),
            1.5,
        );
        b.add(
            "aws_ec2_cpuutilization_average",
            help,
            labels(&[
                ("region", "us-east-1"),
                ("dimension_AutoScalingGroupName", "asg"),
            ]),
            2.0,
        );
        let s = b.build();
        let f = &s.families[0];
        assert_eq!(
            f.labels,
            [
                "dimension_AutoScalingGroupName",
                "dimension_InstanceId",
                "region"
            ]
        );
        assert_eq!(
            f.series[0]
                .values
                .iter()
                .map(|v| v.as_ref())
                .collect::<Vec<_>>(),
            ["", "i-1", "us-east-1"]
        );
        assert_eq!(
            f.series[1]
                .values
                .iter()
                .map(|v| v.as_ref())
                .collect::<Vec<_>>(),
            ["asg", "", "us-east-1"]
        );
    }

    #[test]
    fn published_snapshots_are_served_and_merged_by_name() {
        let c = CloudWatchCollector::default();
        let mut a = SnapshotBuilder::default();
        a.add(
            "aws_sqs_x_sum",
            || "from a".into(),
            labels(&[("region", "r1")]),
            1.0,
        );
        c.publish("a", a.build());
        let mut b = SnapshotBuilder::default();
        b.add(
            "aws_sqs_x_sum",
            || "from b".into(),
            labels(&[("region", "r2"), ("dimension_QueueName", "q")]),
            2.0,
        );
        b.add(
            "aws_sqs_y_sum",
            || "y".into(),
            labels(&[("region", "r2")]),
            3.0,
        );
        c.publish("b", b.build());
        let families = c.collect();
        assert_eq!(families.len(), 2);
        let x = &families[0];
        assert_eq!(x.name(), "aws_sqs_x_sum");
        assert_eq!(x.get_metric().len(), 2);
        for m in x.get_metric() {
            assert_eq!(m.get_label().len(), 2, "same label names on every series");
        }
        // A new poll replaces the module's snapshot whole.
        c.publish("b", Snapshot::default());
        assert_eq!(c.collect().len(), 1);
        let registry = prometheus::Registry::new();
        registry.register(Box::new(c)).unwrap();
        let mut text = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &registry.gather(),
            &mut text,
        )
        .unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("# TYPE aws_sqs_x_sum gauge"), "{text}");
        assert!(text.contains("aws_sqs_x_sum{region=\"r1\"} 1"), "{text}");
    }

    #[test]
    fn scrape_text_is_the_encoders_text_and_merges_shared_families() {
        let c = CloudWatchCollector::default();
        let mut a = SnapshotBuilder::default();
        a.add(
            "aws_ec2_cpuutilization_average",
            || "cpu".into(),
            labels(&[("region", "r1"), ("dimension_InstanceId", "i-\"1\"")]),
            0.25,
        );
        a.add(
            "aws_ec2_network_in_sum",
            || "net".into(),
            labels(&[("region", "r1")]),
            1e9,
        );
        c.publish("a", a.build());
        let mut fast = Vec::new();
        c.render_into(&mut fast);
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            String::from_utf8(encode(&c.families())).unwrap()
        );
        // Another module publishing the same family: one family in the text.
        let mut b = SnapshotBuilder::default();
        b.add(
            "aws_ec2_network_in_sum",
            || "net".into(),
            labels(&[("region", "r2")]),
            2.0,
        );
        c.publish("b", b.build());
        let mut merged = Vec::new();
        c.render_into(&mut merged);
        let merged = String::from_utf8(merged).unwrap();
        assert_eq!(
            merged
                .matches("# TYPE aws_ec2_network_in_sum gauge")
                .count(),
            1,
            "{merged}"
        );
        assert!(
            merged.contains("aws_ec2_network_in_sum{region=\"r2\"} 2"),
            "{merged}"
        );
        assert_eq!(c.series(), 3);
    }
}
