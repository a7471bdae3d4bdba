//! `aws.cloudwatch_logs`: CloudWatch Logs data delivered to S3.
//!
//! Three record shapes reach this parser:
//!
//! 1. **Subscription-filter payloads**, as Kinesis Data Firehose writes them
//!    to S3 (one gzip'd object holding JSON objects back to back; the
//!    framing hands over one object per record):
//!
//!    ```json
//!    {"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/lambda/f",
//!     "logStream":"2024/01/01/[$LATEST]abc","subscriptionFilters":["to-firehose"],
//!     "logEvents":[{"id":"3683…","timestamp":1704067200000,"message":"START RequestId: …"}]}
//!    ```
//!
//!    Every entry of `logEvents` becomes one event: `@timestamp` (the entry's
//!    milliseconds), `message`, `event.id`, `aws.cloudwatch.log_group`,
//!    `aws.cloudwatch.log_stream`, `aws.cloudwatch.subscription_filters` and
//!    `cloud.account.id` (the `owner`). A `CONTROL_MESSAGE` (CloudWatch's
//!    reachability probe) yields no event and no error. Members this parser
//!    does not know (`policyLevel`, `extractedFields`, …) are ignored.
//!
//! 2. **`create-export-task` lines**: `<RFC 3339 timestamp> <message>`. One
//!    event per line, `@timestamp` from the leading timestamp. `message` keeps
//!    the whole line, timestamp included, exactly as Elastic's integration
//!    does for the same input (its pipeline test `test-cloudwatch-ec2.log`).
//!
//! 3. **Any other text line**: one event whose `message` is the line.
//!
//! Strings borrow from the record unless JSON escapes had to be decoded.

use serde::Deserialize;

use crate::json_record::JsonStr;
use crate::{time::Timestamp, Event, OptionError, Options, ParseError, Parser, Value};

/// Dataset name.
pub const DATASET: &str = "aws.cloudwatch_logs";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    crate::build_default::<CloudWatchLogsParser>(DATASET, options)
}

/// The `aws.cloudwatch_logs` parser; stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct CloudWatchLogsParser;

/// A subscription-filter payload (the members this parser uses).
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "messageType", borrow, default)]
    message_type: Option<JsonStr<'a>>,
    #[serde(borrow, default)]
    owner: Option<JsonStr<'a>>,
    #[serde(rename = "logGroup", borrow, default)]
    log_group: Option<JsonStr<'a>>,
    #[serde(rename = "logStream", borrow, default)]
    log_stream: Option<JsonStr<'a>>,
    #[serde(rename = "subscriptionFilters", borrow, default)]
    subscription_filters: Option<Vec<JsonStr<'a>>>,
    #[serde(rename = "logEvents", borrow, default)]
    log_events: Option<Vec<LogEvent<'a>>>,
}

/// One entry of `logEvents`.
#[derive(Deserialize)]
struct LogEvent<'a> {
    #[serde(borrow, default)]
    id: Option<JsonStr<'a>>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(borrow, default)]
    message: Option<JsonStr<'a>>,
}

impl Parser for CloudWatchLogsParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let trimmed = record.trim_matches(|c: char| c.is_ascii_whitespace());
        if trimmed.starts_with('{') {
            return parse_payload(trimmed, emit);
        }
        let line = record.strip_suffix('\r').unwrap_or(record);
        if line.is_empty() {
            return Ok(());
        }
        let mut event = Event::new();
        if let Some(ts) = export_timestamp(line) {
            event.push("@timestamp", ts);
        }
        event.push("message", line);
        emit(event);
        Ok(())
    }
}

/// The timestamp that starts a `create-export-task` line
/// (`2020-02-20T07:01:01.000Z <message>`), if the line has one.
fn export_timestamp(line: &str) -> Option<Timestamp> {
    let end = line.find(' ')?;
    // An RFC 3339 instant is 20 to 35 bytes long; skip the parse otherwise.
    if !(20..=35).contains(&end) {
        return None;
    }
    Timestamp::parse_rfc3339(&line[..end])
}

fn parse_payload<'a>(json: &'a str, emit: &mut dyn FnMut(Event<'a>)) -> Result<(), ParseError> {
    let payload: Payload<'a> = serde_json::from_str(json).map_err(|e| {
        ParseError::new(
            DATASET,
            format!("invalid CloudWatch Logs subscription payload: {e}"),
        )
    })?;
    if payload
        .message_type
        .as_ref()
        .is_some_and(|t| t.0 == "CONTROL_MESSAGE")
    {
        return Ok(());
    }
    let Some(log_events) = payload.log_events else {
        return Err(ParseError::new(
            DATASET,
            "JSON object is not a CloudWatch Logs subscription payload (no logEvents)",
        ));
    };
    let filters = payload
        .subscription_filters
        .filter(|f| !f.is_empty())
        .map(|f| f.into_iter().map(|s| Value::Str(s.0)).collect::<Vec<_>>());
    for entry in log_events {
        let mut event = Event::new();
        if let Some(ms) = entry.timestamp {
            event.push("@timestamp", Timestamp::from_unix_millis(ms));
        }
        if let Some(message) = entry.message {
            event.push("message", message.0);
        }
        if let Some(id) = entry.id.filter(|id| !id.0.is_empty()) {
            event.push("event.id", id.0);
        }
        push_cow(&mut event, "aws.cloudwatch.log_group", &payload.log_group);
        push_cow(&mut event, "aws.cloudwatch.log_stream", &payload.log_stream);
        if let Some(filters) = &filters {
            event.push(
                "aws.cloudwatch.subscription_filters",
                Value::List(filters.clone()),
            );
        }
        push_cow(&mut event, "cloud.account.id", &payload.owner);
        emit(event);
    }
    Ok(())
}

/// Pushes a shared string (cheap for borrowed strings) unless it is empty.
fn push_cow<'a>(event: &mut Event<'a>, key: &'static str, value: &Option<JsonStr<'a>>) {
    if let Some(JsonStr(v)) = value {
        if !v.is_empty() {
            event.push(key, v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn parse(record: &str) -> Result<Vec<Event<'_>>, ParseError> {
        let mut parser = build(&Options::new()).unwrap();
        let mut events = Vec::new();
        parser.parse(record, &mut |e| events.push(e))?;
        Ok(events)
    }

    /// The DATA_MESSAGE example of the CloudWatch Logs subscription documentation (VPC flow logs to Firehose).
    const DATA_MESSAGE: &str = r#"{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"Example1","logStream":"logStream1","subscriptionFilters":["Destination"],"logEvents":[{"id":"31953106606966983378809025079804211143289615424298221568","timestamp":1432826855000,"message":"{\"eventVersion\":\"1.03\",\"userIdentity\":{\"type\":\"Root\"}"},{"id":"31953106606966983378809025079804211143289615424298221569","timestamp":1432826855000,"message":"{\"eventVersion\":\"1.03\",\"userIdentity\":{\"type\":\"Root\"}"},{"id":"31953106606966983378809025079804211143289615424298221570","timestamp":1432826855001,"message":"plain text"}]}"#;

    #[test]
    fn parses_subscription_payload_into_one_event_per_log_event() {
        let events = parse(DATA_MESSAGE).unwrap();
        assert_eq!(events.len(), 3);
        let v = events[0].to_value();
        assert_eq!(
            v,
            serde_json::json!({
                "@timestamp": "2015-05-28T15:27:35.000Z",
                "message": "{\"eventVersion\":\"1.03\",\"userIdentity\":{\"type\":\"Root\"}",
                "event": {"id": "31953106606966983378809025079804211143289615424298221568"},
                "aws": {"cloudwatch": {"log_group": "Example1", "log_stream": "logStream1", "subscription_filters": ["Destination"]}},
                "cloud": {"account": {"id": "123456789012"}},
            })
        );
        let v = events[2].to_value();
        assert_eq!(v["@timestamp"], "2015-05-28T15:27:35.001Z");
        assert_eq!(v["message"], "plain text");
    }

    #[test]
    fn unescaped_strings_borrow_from_the_record() {
        let events = parse(DATA_MESSAGE).unwrap();
        assert!(matches!(
            events[2].get("message"),
            Some(Value::Str(Cow::Borrowed(_)))
        ));
        assert!(matches!(
            events[2].get("aws.cloudwatch.log_group"),
            Some(Value::Str(Cow::Borrowed(_)))
        ));
    }

    #[test]
    fn control_message_yields_no_event_and_no_error() {
        let record = r#"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1432826855000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}"#;
        assert!(parse(record).unwrap().is_empty());
    }

    #[test]
    fn tolerates_unknown_members_such_as_policy_level() {
        let record = r#"{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"/aws/lambda/f","logStream":"s","subscriptionFilters":["f"],"policyLevel":"ACCOUNT_LEVEL_POLICY","logEvents":[{"id":"1","timestamp":0,"message":"m","extractedFields":{"a":"b"}}],"future":{"x":[1,2]}}"#;
        let events = parse(record).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].get("message").and_then(Value::as_str), Some("m"));
    }

    #[test]
    fn export_task_line_takes_its_timestamp_and_keeps_the_whole_line() {
        let line = "2020-02-20T07:02:37.000Z Feb 20 07:02:37 ip-172-31-81-156 dhclient[2898]: DHCPACK from 172.31.80.1 (xid=0x4575af22)";
        let events = parse(line).unwrap();
        let v = events[0].to_value();
        assert_eq!(v["@timestamp"], "2020-02-20T07:02:37.000Z");
        assert_eq!(v["message"], line);
    }

    #[test]
    fn plain_line_is_kept_as_message() {
        let events =
            parse("Feb 20 07:01:01 ip-172-31-81-156 systemd: Stopping User Slice of root.")
                .unwrap();
        let v = events[0].to_value();
        assert_eq!(
            v,
            serde_json::json!({"message": "Feb 20 07:01:01 ip-172-31-81-156 systemd: Stopping User Slice of root."})
        );
    }

    #[test]
    fn malformed_payload_is_an_error_not_a_panic() {
        for bad in [
            r#"{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":"nope"}"#,
            r#"{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1e400}]}"#,
            r#"{"some":"other object"}"#,
            "{",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.dataset, DATASET);
            assert!(!err.reason.is_empty());
        }
    }

    #[test]
    fn empty_log_events_yield_no_event() {
        assert!(
            parse(r#"{"messageType":"DATA_MESSAGE","owner":"1","logEvents":[]}"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn arbitrary_text_never_panics() {
        for s in [
            "",
            " ",
            "\r",
            "2020-02-20T07:01:01.000Z",
            "2020-02-20T07:01:01.000Z ",
            "9999-99-99T99:99:99Z x",
            "é{",
        ] {
            let _ = parse(s);
        }
    }

    #[test]
    fn every_prefix_of_a_payload_parses_or_errors_without_panicking() {
        for end in (0..=DATA_MESSAGE.len()).filter(|&i| DATA_MESSAGE.is_char_boundary(i)) {
            for record in [&DATA_MESSAGE[..end], &DATA_MESSAGE[end..]] {
                if let Ok(events) = parse(record) {
                    for e in events {
                        e.to_value();
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn mutated_payloads_never_panic_and_serialize_to_valid_json(seed in 0usize..2, edits in proptest::collection::vec((0usize..4096, 0u8..4, proptest::prelude::any::<char>()), 1..6)) {
            let mut record: Vec<char> = [DATA_MESSAGE, "2020-02-20T07:01:01.000Z Feb 20 07:01:01 host systemd: x"][seed].chars().collect();
            for (at, op, c) in edits {
                let at = at % (record.len() + 1);
                match op {
                    0 => record.insert(at, c),
                    1 if at < record.len() => { record.remove(at); }
                    2 if at < record.len() => record[at] = c,
                    _ => record.insert(at, ['"', '{', '}', '[', ']', ',', ':', '\\'][at % 8]),
                }
            }
            let record: String = record.into_iter().collect();
            let mut parser = build(&Options::new()).unwrap();
            let _ = parser.parse(&record, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                // Grammar check: raw JSON passed through may hold lone surrogate escapes, which
                // RFC 8259 allows and serde_json::Value refuses.
                serde_json::from_slice::<serde::de::IgnoredAny>(&out).expect("valid JSON");
            });
        }
    }
}
