//! The event: a flat list of dotted ECS field names and borrowed values,
//! serialized straight into nested JSON.
//!
//! Parsers push fields in whatever order is natural for their format; the
//! serializer sorts them so that fields sharing a prefix are contiguous and
//! writes the nested object in one pass, without building an intermediate
//! tree. Values borrow from the input record wherever they can.

use std::borrow::Cow;

use crate::time::Timestamp;

/// One field value. Strings borrow from the record when no unescaping was needed.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// A string (ECS `keyword`, `text`, `ip`, `wildcard`).
    Str(Cow<'a, str>),
    /// A signed integer (ECS `long`, `integer`).
    Int(i64),
    /// A floating-point number (ECS `float`, `double`, `scaled_float`).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An instant, serialized as RFC 3339 in UTC.
    Time(Timestamp),
    /// An array of values.
    List(Vec<Value<'a>>),
    /// A JSON text (object, array or scalar) inserted verbatim; must be valid JSON.
    Json(Cow<'a, str>),
}

impl<'a> Value<'a> {
    /// The JSON kind of this value, as the field definitions name it.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Str(_) => ValueKind::String,
            Value::Int(_) => ValueKind::Integer,
            Value::Float(_) => ValueKind::Float,
            Value::Bool(_) => ValueKind::Bool,
            Value::Time(_) => ValueKind::Time,
            Value::List(items) => items.first().map_or(ValueKind::String, Value::kind),
            Value::Json(_) => ValueKind::Json,
        }
    }

    /// Converts into a value that owns its data.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::Bool(b) => Value::Bool(b),
            Value::Time(t) => Value::Time(t),
            Value::List(l) => Value::List(l.into_iter().map(Value::into_owned).collect()),
            Value::Json(j) => Value::Json(Cow::Owned(j.into_owned())),
        }
    }

    /// The string content, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The JSON kinds a value can have; used to check emitted fields against `fields/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// JSON string.
    String,
    /// JSON integer.
    Integer,
    /// JSON number with a fraction.
    Float,
    /// JSON boolean.
    Bool,
    /// RFC 3339 date string.
    Time,
    /// Raw JSON (object or flattened).
    Json,
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }
}
impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Str(Cow::Owned(s))
    }
}
impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Value::Str(s)
    }
}
impl From<i64> for Value<'_> {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<u32> for Value<'_> {
    fn from(i: u32) -> Self {
        Value::Int(i64::from(i))
    }
}
impl From<u16> for Value<'_> {
    fn from(i: u16) -> Self {
        Value::Int(i64::from(i))
    }
}
impl From<f64> for Value<'_> {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}
impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Timestamp> for Value<'_> {
    fn from(t: Timestamp) -> Self {
        Value::Time(t)
    }
}

/// A normalized event: dotted field names (`source.ip`) mapped to values.
///
/// ```
/// use loglift_parsers::event::Event;
/// let mut e = Event::new();
/// e.insert("source.ip", "10.0.0.1");
/// e.insert("source.port", 443u16);
/// e.insert("event.kind", "event");
/// let mut out = Vec::new();
/// e.write_json(&mut out);
/// assert_eq!(out, br#"{"event":{"kind":"event"},"source":{"ip":"10.0.0.1","port":443}}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event<'a> {
    fields: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a> Event<'a> {
    /// An empty event.
    pub fn new() -> Self {
        Event {
            fields: Vec::with_capacity(48),
        }
    }

    /// Sets `key` to `value`, replacing an earlier value of the same key.
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: impl Into<Value<'a>>) {
        let key = key.into();
        let value = value.into();
        if let Some(slot) = self
            .fields
            .iter_mut()
            .find(|(k, _)| same_key(k.as_bytes(), key.as_bytes()))
        {
            slot.1 = value;
        } else {
            self.fields.push((key, value));
        }
    }

    /// Appends `key` without checking for an earlier value; the caller guarantees
    /// the key is new (parsers that emit each field once use this for speed).
    pub fn push(&mut self, key: &'static str, value: impl Into<Value<'a>>) {
        self.fields.push((Cow::Borrowed(key), value.into()));
    }

    /// Sets `key` to a string unless it is empty or `-` (AWS's "no value").
    pub fn push_str(&mut self, key: &'static str, value: &'a str) {
        if !value.is_empty() && value != "-" {
            self.fields
                .push((Cow::Borrowed(key), Value::Str(Cow::Borrowed(value))));
        }
    }

    /// Sets `key` to a string unless the key is already present.
    pub fn insert_if_absent(&mut self, key: impl Into<Cow<'a, str>>, value: impl Into<Value<'a>>) {
        let key = key.into();
        if !self.contains(&key) {
            self.fields.push((key, value.into()));
        }
    }

    /// Appends `value` to the list at `key` unless it is already in it.
    pub fn append_unique(&mut self, key: &'static str, value: impl Into<Value<'a>>) {
        let value = value.into();
        match self
            .fields
            .iter_mut()
            .find(|(k, _)| same_key(k.as_bytes(), key.as_bytes()))
        {
            Some((_, Value::List(items))) => {
                if !items.contains(&value) {
                    items.push(value);
                }
            }
            Some((_, other)) => {
                if *other != value {
                    let first = std::mem::replace(other, Value::Bool(false));
                    *other = Value::List(vec![first, value]);
                }
            }
            None => self
                .fields
                .push((Cow::Borrowed(key), Value::List(vec![value]))),
        }
    }

    /// The value at `key`, if set.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.fields
            .iter()
            .find(|(k, _)| same_key(k.as_bytes(), key.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Whether `key` is set.
    pub fn contains(&self, key: &str) -> bool {
        self.fields
            .iter()
            .any(|(k, _)| same_key(k.as_bytes(), key.as_bytes()))
    }

    /// Removes `key` and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value<'a>> {
        let pos = self
            .fields
            .iter()
            .position(|(k, _)| same_key(k.as_bytes(), key.as_bytes()))?;
        Some(self.fields.remove(pos).1)
    }

    /// All fields in insertion order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.fields.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Converts into an event that owns all of its data.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            fields: self
                .fields
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                .collect(),
        }
    }

    /// The event as a `serde_json` value (tests compare events this way).
    #[cfg(test)]
    pub(crate) fn to_value(&self) -> serde_json::Value {
        let mut out = Vec::new();
        self.write_json(&mut out);
        serde_json::from_slice(&out).expect("the serializer writes valid JSON")
    }

    /// Writes the event as one nested JSON object (no trailing newline).
    ///
    /// The structure of the output (which objects open and close between
    /// two values, and the key names) depends only on the event's keys, and
    /// consecutive events of a dataset nearly always have the same keys. So
    /// the structure is computed once per distinct key list (a [`Shape`]) and
    /// remembered per thread; writing an event is then one pass that
    /// interleaves the shape's fragments with the values.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        SHAPES.with(|shapes| {
            let mut shapes = shapes.borrow_mut();
            // Most recently used last: consecutive events nearly always
            // share the shape of the one before.
            let last = shapes.len().wrapping_sub(1);
            let hit = match shapes.get(last) {
                Some(s) if s.fits(&self.fields) => Some(last),
                _ => shapes.iter().position(|s| s.fits(&self.fields)),
            };
            let index = match hit {
                Some(i) => {
                    shapes[i..].rotate_left(1);
                    last
                }
                None => {
                    if shapes.len() == MAX_SHAPES {
                        shapes.remove(0);
                    }
                    shapes.push(Shape::of(&self.fields));
                    shapes.len() - 1
                }
            };
            let shape = &shapes[index];
            let mut at = 0usize;
            for (field, &end) in shape.order.iter().zip(&shape.fragment_ends) {
                out.extend_from_slice(&shape.fragments[at..end as usize]);
                at = end as usize;
                write_value(out, &self.fields[*field as usize].1);
            }
            out.extend_from_slice(&shape.fragments[at..]);
        });
    }
}

/// Shapes remembered per thread (one per dataset and variant in practice).
const MAX_SHAPES: usize = 16;

thread_local! {
    static SHAPES: std::cell::RefCell<Vec<Shape>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The JSON structure of events with one list of keys: the order in which
/// to write their values, and the text to write before each value (commas,
/// object openings and closings, key names) and after the last one.
#[derive(Debug)]
struct Shape {
    /// The keys, in insertion order, that this shape is for.
    keys: Vec<Box<str>>,
    /// Index of the field whose value comes next, in output order.
    order: Vec<u32>,
    /// All fragments back to back.
    fragments: Vec<u8>,
    /// End of the fragment written before each value (output order); the
    /// rest of `fragments` is written after the last value.
    fragment_ends: Vec<u32>,
}

impl Shape {
    /// Whether events with these fields have this shape.
    fn fits(&self, fields: &[(Cow<'_, str>, Value<'_>)]) -> bool {
        self.keys.len() == fields.len()
            && self
                .keys
                .iter()
                .zip(fields)
                .all(|(k, (f, _))| same_key(k.as_bytes(), f.as_bytes()))
    }

    fn of(fields: &[(Cow<'_, str>, Value<'_>)]) -> Shape {
        let mut order: Vec<u32> = (0..fields.len() as u32).collect();
        order.sort_by(|a, b| cmp_dotted(&fields[*a as usize].0, &fields[*b as usize].0));
        let mut fragments = Vec::with_capacity(fields.len() * 16);
        let mut fragment_ends = Vec::with_capacity(fields.len());
        fragments.push(b'{');
        // Path segments of the objects currently open.
        let mut open: Vec<&str> = Vec::with_capacity(8);
        let mut first_in_object = true;
        for &index in &order {
            let key: &str = &fields[index as usize].0;
            let (parent, leaf) = match key.rfind('.') {
                Some(i) => (&key[..i], &key[i + 1..]),
                None => ("", key),
            };
            let mut segments = parent.split('.').filter(|s| !s.is_empty()).peekable();
            let mut common = 0;
            while common < open.len() && segments.peek() == Some(&open[common]) {
                segments.next();
                common += 1;
            }
            while open.len() > common {
                open.pop();
                fragments.push(b'}');
                first_in_object = false;
            }
            for segment in segments {
                if !first_in_object {
                    fragments.push(b',');
                }
                write_str(&mut fragments, segment);
                fragments.extend_from_slice(b":{");
                open.push(segment);
                first_in_object = true;
            }
            if !first_in_object {
                fragments.push(b',');
            }
            write_str(&mut fragments, leaf);
            fragments.push(b':');
            fragment_ends.push(fragments.len() as u32);
            first_in_object = false;
        }
        fragments.resize(fragments.len() + open.len() + 1, b'}');
        Shape {
            keys: fields.iter().map(|(k, _)| Box::from(k.as_ref())).collect(),
            order,
            fragments,
            fragment_ends,
        }
    }
}

/// Whether two keys are equal: eight bytes at a time, inline (keys are short,
/// where a call to `memcmp` costs more than the comparison).
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let mut i = 0;
    while i + 8 <= a.len() {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    a[i..].iter().zip(&b[i..]).all(|(x, y)| x == y)
}

/// Orders dotted keys so that every key sharing a prefix path is contiguous:
/// byte order, with `.` sorting before every other byte.
fn cmp_dotted(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len().min(b.len());
    // First differing byte, eight at a time.
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap_or([0; 8]));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        if x != y {
            i += ((x ^ y).trailing_zeros() / 8) as usize;
            break;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    let map = |c: u8| if c == b'.' { 0 } else { c };
    match (a.get(i), b.get(i)) {
        (Some(&x), Some(&y)) => map(x).cmp(&map(y)),
        (x, y) => x.is_some().cmp(&y.is_some()),
    }
}

fn write_value(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Str(s) => write_str(out, s),
        Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::Float(f) => {
            if f.is_finite() {
                out.extend_from_slice(ryu::Buffer::new().format_finite(*f).as_bytes());
            } else {
                out.extend_from_slice(b"null");
            }
        }
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Time(t) => {
            out.push(b'"');
            t.write_rfc3339(out);
            out.push(b'"');
        }
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Json(raw) => write_raw_json(out, raw),
    }
}

/// Whether any byte of `bytes` must be escaped in a JSON string (a control
/// character, `"` or `\\`), eight bytes at a time.
fn needs_escape(bytes: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        // Bytes below 0x20, equal to '"', equal to '\\' (bytes >= 0x80 never match).
        let below = w.wrapping_sub(LO * 0x20) & !w & HI;
        if below | has_zero(w ^ (LO * u64::from(b'"'))) | has_zero(w ^ (LO * u64::from(b'\\'))) != 0
        {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| ESCAPE[b as usize] != 0)
}

/// Writes valid JSON text on one line: line breaks in valid JSON can only be
/// whitespace between tokens (never inside strings), so they become spaces.
fn write_raw_json(out: &mut Vec<u8>, raw: &str) {
    let bytes = raw.as_bytes();
    if memchr::memchr2(b'\n', b'\r', bytes).is_none() {
        out.extend_from_slice(bytes);
    } else {
        out.extend(
            bytes
                .iter()
                .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
        );
    }
}

const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Writes `s` as a JSON string literal, escaping what JSON requires.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = ESCAPE[b as usize];
        if esc == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match esc {
            b'u' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
            c => {
                out.push(b'\\');
                out.push(c);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_dotted_keys_whatever_the_insertion_order() {
        let mut e = Event::new();
        e.push("source.port", 1u16);
        e.push("a-b", "x");
        e.push("source.ip", "1.2.3.4");
        e.push("aws.vpcflow.version", "2");
        e.push("source.geo.name", "n");
        e.push("aws.s3.bucket.name", "b");
        e.push("@timestamp", Timestamp::from_unix_seconds(0));
        let v = e.to_value();
        assert_eq!(
            v,
            serde_json::json!({
                "@timestamp": "1970-01-01T00:00:00.000Z",
                "a-b": "x",
                "aws": {"s3": {"bucket": {"name": "b"}}, "vpcflow": {"version": "2"}},
                "source": {"ip": "1.2.3.4", "port": 1, "geo": {"name": "n"}},
            })
        );
    }

    #[test]
    fn escapes_control_characters_and_quotes() {
        let mut e = Event::new();
        e.push("message", "a\"b\\c\nd\u{1}é");
        let v = e.to_value();
        assert_eq!(v["message"], "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn writes_lists_raw_json_and_non_finite_floats() {
        let mut e = Event::new();
        e.append_unique("related.ip", "1.1.1.1");
        e.append_unique("related.ip", "1.1.1.1");
        e.append_unique("related.ip", "2.2.2.2");
        e.push("x.raw", Value::Json(Cow::Borrowed(r#"{"k":[1,2]}"#)));
        e.push("x.f", f64::NAN);
        let v = e.to_value();
        assert_eq!(
            v["related"]["ip"],
            serde_json::json!(["1.1.1.1", "2.2.2.2"])
        );
        assert_eq!(v["x"]["raw"]["k"][1], 2);
        assert!(v["x"]["f"].is_null());
    }

    #[test]
    fn raw_json_stays_on_one_line() {
        let mut e = Event::new();
        e.push("x", Value::Json(Cow::Borrowed("{\n  \"a\": [1,\r\n 2]\n}")));
        let mut out = Vec::new();
        e.write_json(&mut out);
        assert!(!out.contains(&b'\n'));
        assert_eq!(e.to_value()["x"]["a"][1], 2);
    }

    #[test]
    fn insert_replaces_and_push_str_skips_dashes() {
        let mut e = Event::new();
        e.insert("a", "1");
        e.insert("a", "2");
        e.push_str("b", "-");
        e.push_str("c", "");
        assert_eq!(e.len(), 1);
        assert_eq!(e.get("a").and_then(Value::as_str), Some("2"));
    }
}
