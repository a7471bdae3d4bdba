//! S3 event notifications as SQS delivers them: direct, wrapped in an SNS
//! notification, or as an EventBridge `Object Created` event.

use serde::Deserialize;
use serde_json::Value;

/// An object to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    /// Bucket name.
    pub bucket: String,
    /// Object key, URL-decoded.
    pub key: String,
    /// Size in bytes, when the notification says.
    pub size: Option<u64>,
    /// ETag, when the notification says.
    pub etag: Option<String>,
    /// Version id, for versioned buckets.
    pub version_id: Option<String>,
    /// Region of the bucket, when the notification says.
    pub region: Option<String>,
}

/// What a message body announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// Objects to read, and how many records of other event types were ignored.
    Objects {
        /// The created objects.
        objects: Vec<ObjectRef>,
        /// Records that were not `ObjectCreated:*` (e.g. `ObjectRemoved:Delete`).
        ignored: usize,
    },
    /// `s3:TestEvent`, sent when notifications are configured: nothing to read.
    TestEvent,
}

/// A body that is not an S3 notification in any known shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an S3 event notification: {0}")]
pub struct NotificationError(pub String);

/// Parses an SQS message body.
pub fn parse(body: &str) -> Result<Notification, NotificationError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| NotificationError(format!("invalid JSON ({e})")))?;
    parse_value(&value, 0)
}

fn parse_value(value: &Value, depth: u8) -> Result<Notification, NotificationError> {
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Notification::TestEvent);
    }
    if let Some(records) = value.get("Records") {
        let records: Vec<S3Record> = serde_json::from_value(records.clone())
            .map_err(|e| NotificationError(format!("bad Records ({e})")))?;
        return Ok(from_records(records));
    }
    // SNS: {"Type":"Notification","Message":"<the S3 event as a JSON string>"}
    if value.get("Type").and_then(Value::as_str) == Some("Notification") && depth == 0 {
        let message = value
            .get("Message")
            .and_then(Value::as_str)
            .ok_or_else(|| NotificationError("SNS notification without Message".into()))?;
        let inner: Value = serde_json::from_str(message)
            .map_err(|e| NotificationError(format!("SNS Message is not JSON ({e})")))?;
        return parse_value(&inner, depth + 1);
    }
    // EventBridge: {"detail-type":"Object Created","source":"aws.s3","detail":{...}}
    if let Some(detail_type) = value.get("detail-type").and_then(Value::as_str) {
        if value.get("source").and_then(Value::as_str) != Some("aws.s3") {
            return Err(NotificationError(format!(
                "EventBridge event from {:?}",
                value.get("source")
            )));
        }
        if detail_type != "Object Created" {
            return Ok(Notification::Objects {
                objects: Vec::new(),
                ignored: 1,
            });
        }
        let event: EventBridgeDetail =
            serde_json::from_value(value.get("detail").cloned().unwrap_or(Value::Null))
                .map_err(|e| NotificationError(format!("bad EventBridge detail ({e})")))?;
        let region = value
            .get("region")
            .and_then(Value::as_str)
            .map(str::to_string);
        return Ok(Notification::Objects {
            objects: vec![ObjectRef {
                bucket: event.bucket.name,
                // EventBridge keys are not URL-encoded.
                key: event.object.key,
                size: event.object.size,
                etag: event.object.etag,
                version_id: event.object.version_id,
                region,
            }],
            ignored: 0,
        });
    }
    Err(NotificationError(
        "no Records, SNS Message or EventBridge detail".into(),
    ))
}

fn from_records(records: Vec<S3Record>) -> Notification {
    let mut objects = Vec::new();
    let mut ignored = 0;
    for r in records {
        let created = r
            .event_name
            .as_deref()
            .is_some_and(|n| n.starts_with("ObjectCreated:"));
        match (created, r.s3) {
            (true, Some(s3)) => objects.push(ObjectRef {
                bucket: s3.bucket.name,
                key: decode_key(&s3.object.key),
                size: s3.object.size,
                etag: s3.object.e_tag,
                version_id: s3.object.version_id,
                region: r.aws_region,
            }),
            _ => ignored += 1,
        }
    }
    Notification::Objects { objects, ignored }
}

/// S3 notifications URL-encode keys, with `+` for spaces.
pub fn decode_key(key: &str) -> String {
    let plus_decoded = key.replace('+', " ");
    urlencoding::decode(&plus_decoded)
        .map(|k| k.into_owned())
        .unwrap_or(plus_decoded)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Record {
    event_name: Option<String>,
    aws_region: Option<String>,
    s3: Option<S3Entity>,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: Bucket,
    object: S3Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Object {
    key: String,
    size: Option<u64>,
    e_tag: Option<String>,
    version_id: Option<String>,
}

#[derive(Deserialize)]
struct EventBridgeDetail {
    bucket: Bucket,
    object: EventBridgeObject,
}

#[derive(Deserialize)]
struct EventBridgeObject {
    key: String,
    size: Option<u64>,
    etag: Option<String>,
    #[serde(rename = "version-id")]
    version_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIRECT: &str = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-01-01T00:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","configurationId":"c","bucket":{"name":"logs","arn":"arn:aws:s3:::logs"},"object":{"key":"AWSLogs/1/a+b%3Ac.log.gz","size":42,"eTag":"abc","sequencer":"0"}}},{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"logs"},"object":{"key":"x"}}}]}"#;

    #[test]
    fn reads_direct_notifications_and_decodes_keys() {
        let Notification::Objects { objects, ignored } = parse(DIRECT).unwrap() else {
            panic!("objects")
        };
        assert_eq!(ignored, 1);
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].key, "AWSLogs/1/a b:c.log.gz");
        assert_eq!(objects[0].bucket, "logs");
        assert_eq!(objects[0].size, Some(42));
        assert_eq!(objects[0].etag.as_deref(), Some("abc"));
        assert_eq!(objects[0].region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn unwraps_sns_notifications() {
        let body = serde_json::json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": DIRECT}).to_string();
        let Notification::Objects { objects, .. } = parse(&body).unwrap() else {
            panic!("objects")
        };
        assert_eq!(objects[0].key, "AWSLogs/1/a b:c.log.gz");
        let test = serde_json::json!({"Type": "Notification", "Message": r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"logs"}"#}).to_string();
        assert_eq!(parse(&test).unwrap(), Notification::TestEvent);
    }

    #[test]
    fn reads_eventbridge_object_created() {
        let body = r#"{"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3","account":"1","time":"2024-01-01T00:00:00Z","region":"eu-west-1","resources":["arn:aws:s3:::logs"],"detail":{"version":"0","bucket":{"name":"logs"},"object":{"key":"dir/with space.json","size":7,"etag":"e","sequencer":"1"},"request-id":"r","requester":"1","reason":"PutObject"}}"#;
        let Notification::Objects { objects, ignored } = parse(body).unwrap() else {
            panic!("objects")
        };
        assert_eq!(
            (
                objects[0].key.as_str(),
                objects[0].region.as_deref(),
                ignored
            ),
            ("dir/with space.json", Some("eu-west-1"), 0)
        );
        let deleted = body.replace("Object Created", "Object Deleted");
        assert_eq!(
            parse(&deleted).unwrap(),
            Notification::Objects {
                objects: vec![],
                ignored: 1
            }
        );
    }

    #[test]
    fn recognizes_test_events_and_rejects_garbage() {
        assert_eq!(
            parse(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"t","Bucket":"b"}"#)
                .unwrap(),
            Notification::TestEvent
        );
        assert!(parse("hello").is_err());
        assert!(parse(r#"{"foo":1}"#).is_err());
        assert!(parse(r#"{"Records":"nope"}"#).is_err());
        assert!(parse(r#"{"detail-type":"Object Created","source":"aws.ec2"}"#).is_err());
    }
}
