//! Metric events, shaped like Metricbeat's aws module documents: one event
//! per resource (namespace and dimensions) and timestamp, holding every
//! metric and statistic fetched for it as
//! `aws.<namespace>.metrics.<Metric>.<stat>`, plus `aws.dimensions.*`,
//! `aws.tags.*`, `cloud.*` and, for EC2, the instance's metadata.

use std::borrow::Cow;
use std::collections::BTreeMap;

use loglift_parsers::{Event, Timestamp, Value};
use xxhash_rust::xxh3::xxh3_128;

use super::discovery::Resource;
use super::exposition::namespace_prefix;
use crate::pipeline::Batch;

/// The datapoints of one resource at one timestamp.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricGroup<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Dimensions, sorted.
    pub dimensions: &'a [(String, String)],
    /// The resource, when known.
    pub resource: Option<&'a Resource>,
    /// Datapoint time, Unix seconds.
    pub timestamp: i64,
    /// `(metric, statistic event key, value)`.
    pub values: Vec<(&'a str, String, f64)>,
}

/// What every event of a poll shares.
#[derive(Debug, Clone)]
pub struct EventContext<'a> {
    /// `event.dataset` (`aws.ec2`).
    pub dataset: &'a str,
    /// Module name (`ec2`), `metricset.name`.
    pub module: &'a str,
    /// `data_stream.namespace`.
    pub data_stream_namespace: &'a str,
    /// Region.
    pub region: &'a str,
    /// Account id (may be empty when unknown).
    pub account_id: &'a str,
    /// Period in seconds (`metricset.period` is in milliseconds, as Metricbeat's).
    pub period_secs: u64,
}

/// A field name part without dots (a dot would nest).
fn key_part(s: &str) -> Cow<'_, str> {
    if s.contains('.') {
        Cow::Owned(s.replace('.', "_"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The event of one group.
pub fn event<'a>(ctx: &EventContext<'a>, group: &MetricGroup<'a>) -> Event<'a> {
    let mut e = Event::new();
    e.push("@timestamp", Timestamp::from_unix_seconds(group.timestamp));
    e.push("event.dataset", ctx.dataset);
    e.push("event.module", "aws");
    e.push("event.kind", "metric");
    e.push("metricset.name", ctx.module);
    e.push(
        "metricset.period",
        Value::Int(i64::try_from(ctx.period_secs.saturating_mul(1000)).unwrap_or(i64::MAX)),
    );
    e.push("data_stream.type", "metrics");
    e.push("data_stream.dataset", ctx.dataset);
    e.push("data_stream.namespace", ctx.data_stream_namespace);
    e.push("cloud.provider", "aws");
    e.push("cloud.region", ctx.region);
    if !ctx.account_id.is_empty() {
        e.push("cloud.account.id", ctx.account_id);
    }
    e.push("aws.cloudwatch.namespace", group.namespace);
    for (name, value) in group.dimensions {
        e.insert(format!("aws.dimensions.{}", key_part(name)), value.as_str());
    }
    let prefix = namespace_prefix(group.namespace);
    for (metric, stat, value) in &group.values {
        e.insert(
            format!("aws.{prefix}.metrics.{}.{stat}", key_part(metric)),
            Value::Float(*value),
        );
    }
    if let Some(resource) = group.resource {
        for (k, v) in &resource.tags {
            e.insert(format!("aws.tags.{}", key_part(k)), v.as_str());
        }
        if let Some(i) = &resource.instance {
            e.push("cloud.instance.id", i.id.as_str());
            let opt = |e: &mut Event<'a>, key: &'static str, v: &'a Option<String>| {
                if let Some(v) = v {
                    e.push(key, v.as_str());
                }
            };
            opt(&mut e, "cloud.instance.name", &i.name);
            opt(&mut e, "cloud.machine.type", &i.instance_type);
            opt(&mut e, "cloud.availability_zone", &i.availability_zone);
            opt(&mut e, "aws.ec2.instance.state.name", &i.state);
            opt(&mut e, "aws.ec2.instance.private.ip", &i.private_ip);
            opt(&mut e, "aws.ec2.instance.image.id", &i.image_id);
        }
    }
    e.push("@metadata._id", event_id(ctx, group));
    e
}

/// A deterministic id: the same resource, time and dataset give the same
/// id, so a store that deduplicates by id keeps one copy of a re-polled datapoint.
fn event_id(ctx: &EventContext<'_>, group: &MetricGroup<'_>) -> String {
    let mut identity = Vec::with_capacity(128);
    for part in [ctx.dataset, ctx.region, ctx.account_id, group.namespace] {
        identity.extend_from_slice(part.as_bytes());
        identity.push(0);
    }
    for (n, v) in group.dimensions {
        identity.extend_from_slice(n.as_bytes());
        identity.push(1);
        identity.extend_from_slice(v.as_bytes());
        identity.push(0);
    }
    identity.extend_from_slice(&group.timestamp.to_le_bytes());
    format!("{:032x}", xxh3_128(&identity))
}

/// Groups `(series key, timestamp)` datapoints and serializes their events
/// as NDJSON batches of about `batch_bytes`.
pub fn batches<'a>(
    ctx: &EventContext<'a>,
    groups: BTreeMap<(usize, i64), MetricGroup<'a>>,
    batch_bytes: usize,
) -> Vec<Batch> {
    let mut out = Vec::new();
    let mut batch = Batch::default();
    for group in groups.values() {
        event(ctx, group).write_json(&mut batch.ndjson);
        batch.ndjson.push(b'\n');
        batch.events += 1;
        if batch.ndjson.len() >= batch_bytes {
            out.push(std::mem::take(&mut batch));
        }
    }
    if batch.events > 0 {
        out.push(batch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::discovery::Instance;
    use super::*;

    #[test]
    fn an_event_holds_every_statistic_of_its_resource() {
        let dims = vec![("InstanceId".to_string(), "i-1".to_string())];
        let resource = Resource {
            arn: "arn:aws:ec2:us-east-1:123456789012:instance/i-1".into(),
            tags: [("env".to_string(), "prod".to_string())].into(),
            instance: Some(Instance {
                id: "i-1".into(),
                name: Some("web".into()),
                instance_type: Some("t3.micro".into()),
                availability_zone: Some("us-east-1a".into()),
                state: Some("running".into()),
                private_ip: Some("10.0.0.5".into()),
                image_id: None,
            }),
        };
        let ctx = EventContext {
            dataset: "aws.ec2",
            module: "ec2",
            data_stream_namespace: "default",
            region: "us-east-1",
            account_id: "123456789012",
            period_secs: 300,
        };
        let group = MetricGroup {
            namespace: "AWS/EC2",
            dimensions: &dims,
            resource: Some(&resource),
            timestamp: 1_700_000_100,
            values: vec![
                ("CPUUtilization", "avg".into(), 12.5),
                ("CPUUtilization", "p99_9".into(), 80.0),
            ],
        };
        let mut out = Vec::new();
        event(&ctx, &group).write_json(&mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["aws"]["ec2"]["metrics"]["CPUUtilization"]["avg"], 12.5);
        assert_eq!(v["aws"]["ec2"]["metrics"]["CPUUtilization"]["p99_9"], 80.0);
        assert_eq!(v["aws"]["dimensions"]["InstanceId"], "i-1");
        assert_eq!(v["aws"]["tags"]["env"], "prod");
        assert_eq!(v["cloud"]["instance"]["name"], "web");
        assert_eq!(v["cloud"]["account"]["id"], "123456789012");
        assert_eq!(v["event"]["dataset"], "aws.ec2");
        assert_eq!(v["data_stream"]["type"], "metrics");
        assert_eq!(v["metricset"]["period"], 300_000);
        assert_eq!(v["@timestamp"], "2023-11-14T22:15:00.000Z");
        assert_eq!(v["@metadata"]["_id"].as_str().unwrap().len(), 32);
    }
}
