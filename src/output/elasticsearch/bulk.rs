//! The bulk API's wire format: NDJSON events turned into `create`
//! action/source pairs, and bulk responses read item by item.
//!
//! Pure functions over bytes: no I/O, so every rule here is unit tested.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::value::RawValue;

/// One event of a bulk body: where its original NDJSON line and its
/// action/source pair are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The event as received (without its newline), in [`Prepared::events`].
    pub event: Range<usize>,
    /// Its action line and source line (both with their newline), in [`Prepared::bulk`].
    pub lines: Range<usize>,
    /// Bytes of the data stream name in [`Prepared::bulk`] (within `lines`).
    pub index: Range<usize>,
}

/// Events made ready for the bulk API.
#[derive(Debug, Default)]
pub struct Prepared {
    /// The original NDJSON events, for the dead-letter file.
    pub events: Vec<u8>,
    /// Every item's action and source lines, in order.
    pub bulk: Vec<u8>,
    /// One per event.
    pub items: Vec<Item>,
}

/// The members of an event that decide where it goes.
#[derive(Deserialize)]
struct Routing<'a> {
    #[serde(borrow, default)]
    data_stream: Option<DataStream<'a>>,
    #[serde(borrow, default)]
    event: Option<EventDataset<'a>>,
    #[serde(rename = "@metadata", borrow, default)]
    metadata: Option<Metadata<'a>>,
}

#[derive(Deserialize)]
struct DataStream<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dataset: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    namespace: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EventDataset<'a> {
    #[serde(borrow, default)]
    dataset: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Metadata<'a> {
    #[serde(rename = "_id", borrow, default)]
    id: Option<Cow<'a, str>>,
}

/// Why an event cannot be sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a JSON object: {0}")]
pub struct NotAnObject(pub String);

impl Prepared {
    /// Adds the events of `ndjson` (one JSON object per line). Each becomes
    /// `{"create":{"_index":…,"_id":…}}` plus the event without `@metadata`.
    /// Lines that are not JSON objects (the pipeline never writes one) cannot
    /// be sent: they are returned with the reason.
    pub fn add(&mut self, ndjson: &[u8]) -> Vec<(Vec<u8>, NotAnObject)> {
        let mut unsendable = Vec::new();
        for line in ndjson.split(|b| *b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let (bulk, events) = (self.bulk.len(), self.events.len());
            if let Err(e) = self.add_event(line) {
                self.bulk.truncate(bulk);
                self.events.truncate(events);
                unsendable.push((line.to_vec(), e));
            }
        }
        unsendable
    }

    fn add_event(&mut self, line: &[u8]) -> Result<(), NotAnObject> {
        let not_object = |e: &dyn std::fmt::Display| {
            NotAnObject(format!(
                "{e}: {}",
                String::from_utf8_lossy(&line[..line.len().min(200)])
            ))
        };
        let routing: Routing<'_> = match scan::routing(line) {
            Some(r) => r,
            None => serde_json::from_slice(line).map_err(|e| not_object(&e))?,
        };
        let start = self.bulk.len();
        self.bulk.extend_from_slice(b"{\"create\":{\"_index\":\"");
        let index_start = self.bulk.len();
        let (kind, dataset, namespace) = names(&routing);
        push_name(&mut self.bulk, &kind);
        self.bulk.push(b'-');
        push_name(&mut self.bulk, &dataset);
        self.bulk.push(b'-');
        push_name(&mut self.bulk, &namespace);
        let index = index_start..self.bulk.len();
        self.bulk.push(b'"');
        let id = routing.metadata.as_ref().and_then(|m| m.id.as_deref());
        if let Some(id) = id {
            self.bulk.extend_from_slice(b",\"_id\":");
            serde_json::to_writer(&mut self.bulk, id).expect("writing to a Vec");
        }
        self.bulk.extend_from_slice(b"}}\n");
        if routing.metadata.is_some() {
            write_without_metadata(&mut self.bulk, line).map_err(|e| not_object(&e))?;
        } else {
            self.bulk.extend_from_slice(line);
        }
        self.bulk.push(b'\n');
        let event_start = self.events.len();
        self.events.extend_from_slice(line);
        self.items.push(Item {
            event: event_start..self.events.len(),
            lines: start..self.bulk.len(),
            index,
        });
        Ok(())
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no event.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The original event of item `i`.
    pub fn event(&self, i: usize) -> &[u8] {
        &self.events[self.items[i].event.clone()]
    }

    /// The data stream item `i` goes to.
    pub fn data_stream(&self, i: usize) -> &str {
        std::str::from_utf8(&self.bulk[self.items[i].index.clone()]).unwrap_or("")
    }
}

/// `(type, dataset, namespace)` of an event: its `data_stream.*`, else
/// `logs`, its `event.dataset` (else `generic`) and `default`.
fn names<'a>(r: &'a Routing<'a>) -> (Cow<'a, str>, Cow<'a, str>, Cow<'a, str>) {
    let ds = r.data_stream.as_ref();
    let kind = ds
        .and_then(|d| d.kind.clone())
        .unwrap_or(Cow::Borrowed("logs"));
    let dataset = ds
        .and_then(|d| d.dataset.clone())
        .or_else(|| r.event.as_ref().and_then(|e| e.dataset.clone()))
        .unwrap_or(Cow::Borrowed("generic"));
    let namespace = ds
        .and_then(|d| d.namespace.clone())
        .unwrap_or(Cow::Borrowed("default"));
    (kind, dataset, namespace)
}

/// Writes one part of a data stream name as Elasticsearch allows it:
/// lower case, and `_` for `-` (the parts' separator), spaces, quotes and
/// the characters index names forbid (`\ / * ? " < > | , # :`).
fn push_name(out: &mut Vec<u8>, part: &str) {
    let part = if part.is_empty() { "generic" } else { part };
    let mut buf = [0u8; 4];
    for c in part.chars().flat_map(char::to_lowercase) {
        let bad = c.is_control()
            || c.is_whitespace()
            || matches!(
                c,
                '-' | '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ',' | '#' | ':'
            );
        let text: &str = if bad { "_" } else { c.encode_utf8(&mut buf) };
        out.extend_from_slice(text.as_bytes());
    }
}

/// Writes the JSON object `line` without its top-level `@metadata` member.
///
/// The pipeline writes keys in sorted order, so `@metadata` (holding only
/// `_id`) comes first: the common case is cutting a known prefix (or
/// suffix); any other layout is rewritten member by member.
fn write_without_metadata(out: &mut Vec<u8>, line: &[u8]) -> Result<(), serde_json::Error> {
    const FIRST: &[u8] = b"{\"@metadata\":{\"_id\":\"";
    if let Some(rest) = line.strip_prefix(FIRST) {
        if let Some(quote) = memchr::memchr2(b'"', b'\\', rest) {
            if rest[quote] == b'"' {
                let after = &rest[quote + 1..];
                if let Some(members) = after.strip_prefix(b"},") {
                    out.push(b'{');
                    out.extend_from_slice(members);
                    return Ok(());
                }
            }
        }
    }
    const KEY: &[u8] = b",\"@metadata\":{\"_id\":\"";
    let trimmed = line.trim_ascii_end();
    if let Some(at) = memchr::memmem::rfind(trimmed, KEY) {
        let tail = &trimmed[at + KEY.len()..];
        if let Some(id) = tail.strip_suffix(b"\"}}") {
            if !id.iter().any(|b| matches!(b, b'"' | b'\\')) {
                out.extend_from_slice(&trimmed[..at]);
                out.push(b'}');
                return Ok(());
            }
        }
    }
    let members: members::Members<'_> = serde_json::from_slice(line)?;
    out.push(b'{');
    let mut first = true;
    for (key, value) in members.0 {
        if key == "@metadata" {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut *out, &key)?;
        out.push(b':');
        out.extend_from_slice(value.get().as_bytes());
    }
    out.push(b'}');
    Ok(())
}

mod scan {
    //! A quick walk over the top-level members of an event: only the few
    //! that route it are parsed; the others are skipped bracket by bracket
    //! (strings with `memchr`). Anything unexpected returns `None`, and the
    //! caller parses the line in full instead.

    use super::{EventDataset, Metadata, Routing};

    /// The routing members of the JSON object `line`.
    pub(super) fn routing(line: &[u8]) -> Option<Routing<'_>> {
        let mut routing = Routing {
            data_stream: None,
            event: None,
            metadata: None,
        };
        let mut i = ws(line, 0);
        if line.get(i) != Some(&b'{') {
            return None;
        }
        i = ws(line, i + 1);
        if line.get(i) == Some(&b'}') {
            return (ws(line, i + 1) == line.len()).then_some(routing);
        }
        loop {
            if line.get(i) != Some(&b'"') {
                return None;
            }
            let key_end = string(line, i)?;
            let key = &line[i + 1..key_end - 1];
            i = ws(line, key_end);
            if line.get(i) != Some(&b':') {
                return None;
            }
            let start = ws(line, i + 1);
            let end = value(line, start)?;
            let raw = &line[start..end];
            match key {
                b"data_stream" => routing.data_stream = Some(serde_json::from_slice(raw).ok()?),
                b"event" => {
                    routing.event = Some(serde_json::from_slice::<EventDataset<'_>>(raw).ok()?)
                }
                b"@metadata" => {
                    routing.metadata = Some(serde_json::from_slice::<Metadata<'_>>(raw).ok()?)
                }
                _ => {}
            }
            i = ws(line, end);
            match line.get(i) {
                Some(b',') => i = ws(line, i + 1),
                Some(b'}') => return (ws(line, i + 1) == line.len()).then_some(routing),
                _ => return None,
            }
        }
    }

    fn ws(b: &[u8], mut i: usize) -> usize {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    }

    /// The index after the string starting at `i` (a `"`).
    fn string(b: &[u8], i: usize) -> Option<usize> {
        let mut j = i + 1;
        loop {
            let k = j + memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
            if b[k] == b'"' {
                return Some(k + 1);
            }
            j = k + 2;
        }
    }

    /// The index after the value starting at `i`.
    fn value(b: &[u8], i: usize) -> Option<usize> {
        match *b.get(i)? {
            b'"' => string(b, i),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'"' => {
                            j = string(b, j)?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(j + 1);
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                None
            }
            _ => {
                let mut j = i;
                while j < b.len()
                    && !matches!(b[j], b',' | b'}' | b']')
                    && !b[j].is_ascii_whitespace()
                {
                    j += 1;
                }
                (j > i).then_some(j)
            }
        }
    }
}

mod members {
    //! A JSON object read as its members in order, values left as raw JSON.

    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde_json::value::RawValue;

    pub(super) struct Members<'a>(pub Vec<(Cow<'a, str>, &'a RawValue)>);

    impl<'de> Deserialize<'de> for Members<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Members<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Members<'de>, A::Error> {
                    let mut out = Vec::new();
                    while let Some(entry) = map.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                        out.push(entry);
                    }
                    Ok(Members(out))
                }
            }
            d.deserialize_map(V)
        }
    }
}

/// What became of one item, from its status in the bulk response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Created (201) or otherwise stored (2xx).
    Stored,
    /// A document with this `_id` already exists (409 on `create`): stored before.
    Duplicate,
    /// Worth sending again: 429 (rejected, queue full) or 5xx.
    Retry,
    /// Refused for good (a mapping error, 400): goes to the dead-letter file.
    Reject,
}

impl ItemOutcome {
    /// The outcome of an item with HTTP status `status`.
    pub fn of(status: u16) -> ItemOutcome {
        match status {
            200..=299 => ItemOutcome::Stored,
            409 => ItemOutcome::Duplicate,
            429 | 500..=599 => ItemOutcome::Retry,
            _ => ItemOutcome::Reject,
        }
    }
}

/// One item of a bulk response.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemResult {
    /// Its status.
    pub status: u16,
    /// Its `error` object, as raw JSON, when it failed.
    pub error: Option<String>,
}

/// Why a bulk response could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    /// Not the bulk response's JSON.
    #[error("unreadable bulk response: {0}")]
    Json(#[from] serde_json::Error),
    /// A different number of items than were sent.
    #[error("bulk response has {got} items for {sent} sent")]
    Count {
        /// Items in the response.
        got: usize,
        /// Items sent.
        sent: usize,
    },
}

#[derive(Deserialize)]
struct Summary {
    errors: bool,
    items: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct Detailed<'a> {
    #[serde(borrow)]
    items: Vec<Op<'a>>,
}

#[derive(Deserialize)]
struct Op<'a> {
    #[serde(alias = "index", alias = "update", alias = "delete", borrow)]
    create: OpResult<'a>,
}

#[derive(Deserialize)]
struct OpResult<'a> {
    status: u16,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

/// Reads the response to a bulk request of `sent` items: `None` when every
/// item succeeded (`"errors": false`), else each item's result in order.
pub fn read_response(body: &[u8], sent: usize) -> Result<Option<Vec<ItemResult>>, ResponseError> {
    let summary: Summary = serde_json::from_slice(body)?;
    if summary.items.len() != sent {
        return Err(ResponseError::Count {
            got: summary.items.len(),
            sent,
        });
    }
    if !summary.errors {
        return Ok(None);
    }
    let detailed: Detailed<'_> = serde_json::from_slice(body)?;
    Ok(Some(
        detailed
            .items
            .into_iter()
            .map(|op| ItemResult {
                status: op.create.status,
                error: op.create.error.map(|e| e.get().to_string()),
            })
            .collect(),
    ))
}

/// Cuts `todo` (item indexes) into bulk requests of at most `max_items`
/// items and `max_bytes` bytes (an item larger than that goes alone).
pub fn chunks(
    prepared: &Prepared,
    todo: &[usize],
    max_items: usize,
    max_bytes: usize,
) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut bytes = 0;
    for &i in todo {
        let len = prepared.items[i].lines.len();
        if !current.is_empty() && (current.len() >= max_items || bytes + len > max_bytes) {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(i);
        bytes += len;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The byte range of `chunk` in [`Prepared::bulk`] when its items are
/// consecutive (a first attempt), so the body needs no copy.
pub fn contiguous(prepared: &Prepared, chunk: &[usize]) -> Option<Range<usize>> {
    let first = prepared.items[*chunk.first()?].lines.start;
    let mut end = first;
    for &i in chunk {
        let lines = &prepared.items[i].lines;
        if lines.start != end {
            return None;
        }
        end = lines.end;
    }
    Some(first..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"@timestamp":"2024-01-01T00:00:00Z","event":{"dataset":"aws.vpcflow"},"data_stream":{"type":"logs","dataset":"aws.vpcflow","namespace":"prod"},"message":"a \"quoted\" @metadata","@metadata":{"_id":"0123456789abcdef0123456789abcdef"}}"#;

    fn lines(p: &Prepared) -> Vec<&str> {
        std::str::from_utf8(&p.bulk).unwrap().lines().collect()
    }

    #[test]
    fn an_event_becomes_a_create_action_with_its_id_and_loses_its_metadata() {
        let mut p = Prepared::default();
        assert!(p.add(format!("{EVENT}\n{EVENT}\n").as_bytes()).is_empty());
        assert_eq!(p.len(), 2);
        let l = lines(&p);
        assert_eq!(
            l[0],
            r#"{"create":{"_index":"logs-aws.vpcflow-prod","_id":"0123456789abcdef0123456789abcdef"}}"#
        );
        let doc: serde_json::Value = serde_json::from_str(l[1]).unwrap();
        assert!(doc.get("@metadata").is_none());
        assert_eq!(doc["message"], "a \"quoted\" @metadata");
        assert_eq!(p.event(1), EVENT.as_bytes());
        assert_eq!(p.data_stream(0), "logs-aws.vpcflow-prod");
        assert_eq!(contiguous(&p, &[0, 1]), Some(0..p.bulk.len()));
        assert_eq!(contiguous(&p, &[1]), Some(p.items[1].lines.clone()));
    }

    #[test]
    fn metadata_first_as_the_pipeline_writes_it_is_cut_off() {
        let mut p = Prepared::default();
        let line = br#"{"@metadata":{"_id":"abc"},"@timestamp":"t","data_stream":{"dataset":"d","namespace":"n","type":"logs"},"m":"},"}"#;
        assert!(p.add(line).is_empty());
        let l = lines(&p);
        assert_eq!(l[0], r#"{"create":{"_index":"logs-d-n","_id":"abc"}}"#);
        assert_eq!(
            l[1],
            r#"{"@timestamp":"t","data_stream":{"dataset":"d","namespace":"n","type":"logs"},"m":"},"}"#
        );
    }

    #[test]
    fn metadata_anywhere_is_removed_and_names_are_made_valid() {
        let mut p = Prepared::default();
        let unsendable = p.add(
            b"{\"@metadata\":{\"_id\":\"x\\\"y\",\"other\":1},\"event\":{\"dataset\":\"My-App Logs\"},\"n\":[1,{\"@metadata\":2}]}\n[1,2]\n{\"a\":\n{\"n\":1}\n",
        );
        assert_eq!(unsendable.len(), 2);
        assert_eq!(unsendable[0].0, b"[1,2]");
        let l = lines(&p);
        assert_eq!(
            l[0],
            r#"{"create":{"_index":"logs-my_app_logs-default","_id":"x\"y"}}"#
        );
        assert_eq!(
            l[1],
            r#"{"event":{"dataset":"My-App Logs"},"n":[1,{"@metadata":2}]}"#
        );
        assert_eq!(l[2], r#"{"create":{"_index":"logs-generic-default"}}"#);
        assert_eq!(l[3], r#"{"n":1}"#);
        assert_eq!(p.len(), 2);
        assert_eq!(p.event(1), br#"{"n":1}"#);
    }

    #[test]
    fn the_quick_walk_agrees_with_a_full_parse_or_gives_up() {
        let lines = [
            EVENT,
            r#"{"@metadata":{"_id":"i"},"a":[1,{"b":"}\"]"}],"event":{"dataset":"x","k":[]},"z":null}"#,
            r#" { "data_stream" : {"dataset":"d"} , "n" : -1.5e3 } "#,
            "{}",
        ];
        for line in lines {
            let quick = scan::routing(line.as_bytes()).expect(line);
            let full: Routing<'_> = serde_json::from_str(line).unwrap();
            assert_eq!(names(&quick), names(&full), "{line}");
            let id = |r: &Routing<'_>| {
                r.metadata
                    .as_ref()
                    .and_then(|m| m.id.as_deref().map(str::to_string))
            };
            assert_eq!(id(&quick), id(&full), "{line}");
        }
        for bad in [
            "",
            "[1]",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\":1}x",
            "{\"a\" 1}",
            "{\"a\":{\"b\":\"}",
        ] {
            assert!(scan::routing(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn responses_are_read_item_by_item() {
        let ok = br#"{"took":3,"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}"#;
        assert_eq!(read_response(ok, 2).unwrap(), None);
        assert!(matches!(
            read_response(ok, 3),
            Err(ResponseError::Count { got: 2, sent: 3 })
        ));
        let mixed = br#"{"took":3,"errors":true,"items":[{"create":{"_index":"i","status":201}},{"create":{"status":409,"error":{"type":"version_conflict_engine_exception"}}},{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"x"}}},{"create":{"status":429,"error":{"type":"es_rejected_execution_exception"}}}]}"#;
        let items = read_response(mixed, 4).unwrap().unwrap();
        let outcomes: Vec<_> = items.iter().map(|i| ItemOutcome::of(i.status)).collect();
        assert_eq!(
            outcomes,
            [
                ItemOutcome::Stored,
                ItemOutcome::Duplicate,
                ItemOutcome::Reject,
                ItemOutcome::Retry
            ]
        );
        assert_eq!(
            items[2].error.as_deref(),
            Some(r#"{"type":"mapper_parsing_exception","reason":"x"}"#)
        );
        assert!(read_response(b"<html>", 1).is_err());
    }

    #[test]
    fn chunks_respect_both_limits() {
        let mut p = Prepared::default();
        for _ in 0..10 {
            p.add(EVENT.as_bytes());
        }
        let all: Vec<usize> = (0..10).collect();
        let by_count = chunks(&p, &all, 4, usize::MAX);
        assert_eq!(by_count.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
        let one = p.items[0].lines.len();
        let by_bytes = chunks(&p, &all, 100, one * 3);
        assert_eq!(
            by_bytes.iter().map(Vec::len).collect::<Vec<_>>(),
            [3, 3, 3, 1]
        );
        assert_eq!(
            chunks(&p, &all, 100, 1).len(),
            10,
            "an oversized item goes alone"
        );
        assert_eq!(contiguous(&p, &[1, 3]), None);
    }
}
