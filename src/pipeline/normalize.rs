//! Normalization: the fields every event carries (DESIGN §4), added to what
//! a dataset's parser produced.

use loglift_parsers::{Event, Timestamp, Value};
use xxhash_rust::xxh3::xxh3_128;

/// Where the events of one object come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// `log.file.path`: `s3://bucket/key`, or a local path.
    pub path: String,
    /// Bucket, for objects read from S3.
    pub bucket: Option<String>,
    /// Key, for objects read from S3.
    pub key: Option<String>,
    /// Region of the bucket, when known.
    pub region: Option<String>,
    /// Identity of this version of the object (ETag or version id), part of
    /// the event ids: a new version of an object yields new ids.
    pub version: Option<String>,
}

impl Origin {
    /// An origin for a local file (`-` for standard input).
    pub fn local(path: &str) -> Self {
        Origin {
            path: path.to_string(),
            ..Origin::default()
        }
    }

    /// An origin for an S3 object.
    pub fn s3(bucket: &str, key: &str, version: Option<&str>, region: Option<&str>) -> Self {
        Origin {
            path: format!("s3://{bucket}/{key}"),
            bucket: Some(bucket.to_string()),
            key: Some(key.to_string()),
            region: region.map(str::to_string),
            version: version.map(str::to_string),
        }
    }

    /// The seed of the deterministic event ids of this object.
    fn id_seed(&self) -> u128 {
        let mut identity = Vec::with_capacity(self.path.len() + 40);
        identity.extend_from_slice(self.path.as_bytes());
        identity.push(0);
        identity.extend_from_slice(self.version.as_deref().unwrap_or("").as_bytes());
        xxh3_128(&identity)
    }
}

/// Adds the common fields to the events of one object.
#[derive(Debug)]
pub struct Normalizer<'o> {
    dataset: &'o str,
    module: &'o str,
    namespace: &'o str,
    origin: &'o Origin,
    /// `aws.s3.bucket.arn`, made once per object rather than per event.
    bucket_arn: Option<String>,
    id_seed: u128,
    read_time: Timestamp,
}

impl<'o> Normalizer<'o> {
    /// A normalizer for the events of `dataset` read from `origin`.
    pub fn new(dataset: &'o str, module: &'o str, namespace: &'o str, origin: &'o Origin) -> Self {
        Normalizer {
            dataset,
            module,
            namespace,
            origin,
            bucket_arn: origin.bucket.as_ref().map(|b| format!("arn:aws:s3:::{b}")),
            id_seed: origin.id_seed(),
            read_time: Timestamp::now(),
        }
    }

    /// The deterministic id of the `index`-th event of the record at `offset`:
    /// the same object version always yields the same ids.
    pub fn event_id(&self, offset: u64, index: u32) -> String {
        let mut buf = [0u8; 28];
        buf[..16].copy_from_slice(&self.id_seed.to_le_bytes());
        buf[16..24].copy_from_slice(&offset.to_le_bytes());
        buf[24..].copy_from_slice(&index.to_le_bytes());
        let h = xxh3_128(&buf);
        let mut out = String::with_capacity(32);
        for b in h.to_be_bytes() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xf) as usize] as char);
        }
        out
    }

    /// Adds the common fields to `event`, the `index`-th event of the record
    /// at byte `offset` of the object.
    pub fn finish<'a>(&'a self, event: &mut Event<'a>, offset: u64, index: u32)
    where
        'o: 'a,
    {
        if !event.contains("@timestamp") {
            event.push("@timestamp", self.read_time);
        }
        event.insert_if_absent("event.kind", "event");
        event.push("event.dataset", self.dataset);
        event.push("event.module", self.module);
        event.push("data_stream.type", "logs");
        event.push("data_stream.dataset", self.dataset);
        event.push("data_stream.namespace", self.namespace);
        event.insert_if_absent("cloud.provider", "aws");
        if let (None, Some(region)) = (event.get("cloud.region"), self.origin.region.as_deref()) {
            event.push("cloud.region", region);
        }
        event.push("log.file.path", self.origin.path.as_str());
        event.push(
            "log.offset",
            Value::Int(i64::try_from(offset).unwrap_or(i64::MAX)),
        );
        if let (Some(bucket), Some(arn)) = (&self.origin.bucket, &self.bucket_arn) {
            event.push("aws.s3.bucket.name", bucket.as_str());
            event.push("aws.s3.bucket.arn", arn.as_str());
        }
        if let Some(key) = &self.origin.key {
            event.push("aws.s3.object.key", key.as_str());
        }
        event.push("@metadata._id", self.event_id(offset, index));
    }

    /// Marks `event` as the result of a record that failed to parse.
    pub fn mark_error(event: &mut Event<'_>) {
        event.insert("event.kind", "pipeline_error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_deterministic_and_distinct() {
        let origin = Origin::s3("b", "k", Some("etag1"), None);
        let a = Normalizer::new("aws.vpcflow", "aws", "default", &origin);
        let b = Normalizer::new("aws.vpcflow", "aws", "default", &origin);
        assert_eq!(a.event_id(10, 0), b.event_id(10, 0));
        assert_ne!(a.event_id(10, 0), a.event_id(10, 1));
        assert_ne!(a.event_id(10, 0), a.event_id(11, 0));
        let other = Origin::s3("b", "k", Some("etag2"), None);
        assert_ne!(
            a.event_id(10, 0),
            Normalizer::new("aws.vpcflow", "aws", "default", &other).event_id(10, 0)
        );
    }

    #[test]
    fn adds_common_fields_without_overriding_the_parser() {
        let origin = Origin::s3("logs", "AWSLogs/x.gz", None, Some("eu-west-1"));
        let n = Normalizer::new("aws.vpcflow", "aws", "default", &origin);
        let mut e = Event::new();
        e.push("event.kind", "alert");
        n.finish(&mut e, 5, 0);
        assert_eq!(e.get("event.kind").and_then(Value::as_str), Some("alert"));
        assert_eq!(
            e.get("cloud.region").and_then(Value::as_str),
            Some("eu-west-1")
        );
        assert_eq!(
            e.get("log.file.path").and_then(Value::as_str),
            Some("s3://logs/AWSLogs/x.gz")
        );
        assert_eq!(e.get("log.offset"), Some(&Value::Int(5)));
        assert_eq!(
            e.get("aws.s3.bucket.arn").and_then(Value::as_str),
            Some("arn:aws:s3:::logs")
        );
        assert!(e.contains("@timestamp") && e.contains("@metadata._id"));
    }
}
