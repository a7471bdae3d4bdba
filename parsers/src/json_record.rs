//! User-defined datasets: a record's raw text, or its parsed JSON object, and a
//! timestamp taken from one of its fields.
//!
//! A user-defined dataset (DESIGN §3, `datasets:` in `loglift.yml`) has a
//! name, a key selector and a framing; this module is its parser. It is built
//! from a [`CustomDataset`]:
//!
//! - `parse_json: false` (the default): every record becomes one event whose
//!   `message` is the record's text.
//! - `parse_json: true`: a record that is a JSON object is kept, verbatim, under
//!   the dataset's name (dataset `iru.activity` → `iru.activity.*` fields; the
//!   object is written as nested JSON, so its own keys become sub-fields). A
//!   record that is not a JSON object falls back to `message`.
//! - `timestamp_field` (a dotted path into the JSON object, `meta.ts`) and
//!   `timestamp_format` ([`TimestampFormat`]) set `@timestamp`. A value that
//!   does not parse leaves `@timestamp` unset (the agent then uses the read
//!   time) and sets `error.message`; the record is not lost.
//!
//! ```
//! use loglift_parsers::json_record::{CustomDataset, TimestampFormat};
//! let dataset = CustomDataset {
//!     name: "iru.activity".into(),
//!     parse_json: true,
//!     timestamp_field: Some("meta.ts".into()),
//!     timestamp_format: TimestampFormat::parse("%d/%b/%Y:%H:%M:%S %z").unwrap(),
//! };
//! let mut parser = dataset.build();
//! let mut out = Vec::new();
//! parser
//!     .parse(r#"{"user":"ann","meta":{"ts":"06/Feb/2019:00:00:38 +0000"}}"#, &mut |mut e| e.write_json(&mut out))
//!     .unwrap();
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     r#"{"@timestamp":"2019-02-06T00:00:38.000Z","iru":{"activity":{"user":"ann","meta":{"ts":"06/Feb/2019:00:00:38 +0000"}}}}"#
//! );
//! ```

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::time::{days_in_month, month_from_abbrev, Timestamp};
use crate::{Event, OptionError, Options, ParseError, Parser, Value};

/// Option names a user-defined dataset accepts (`--set KEY=VALUE`, or the
/// keys of its `datasets:` entry).
pub const OPTIONS: &str = "parse_json,timestamp_field,timestamp_format";

/// The configuration of one user-defined dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDataset {
    /// Dataset name (`event.dataset`); the parsed JSON object is put under it.
    pub name: String,
    /// Whether records are JSON objects to parse (else only `message` is set).
    pub parse_json: bool,
    /// Dotted path of the field holding the event time (`time`, `meta.ts`).
    pub timestamp_field: Option<String>,
    /// How that field is written.
    pub timestamp_format: TimestampFormat,
}

/// How a timestamp field is written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimestampFormat {
    /// RFC 3339 / ISO 8601 (`2019-08-01T12:00:00.5Z`, `2019-08-01 12:00:00+02:00`).
    #[default]
    Rfc3339,
    /// Seconds since the Unix epoch, a JSON number or a numeric string, with an optional fraction.
    Unix,
    /// Milliseconds since the Unix epoch, a JSON number or a numeric string.
    UnixMs,
    /// A `strftime`-like pattern (see [`TimestampFormat::parse`]).
    Pattern(Pattern),
}

impl TimestampFormat {
    /// Reads a format from configuration: `rfc3339` (also `iso8601`), `unix`,
    /// `unix_ms`, or a pattern holding `%` directives. Supported directives:
    /// `%Y` (year), `%y` (two-digit year, 1969–2068), `%m`, `%d`, `%e`
    /// (space-padded day), `%H`, `%M`, `%S`, `%f` (fraction of a second, 1–9
    /// digits), `%b`/`%h` (month abbreviation), `%B` (month name), `%z`
    /// (`Z`, `+hhmm`, `+hh:mm`), `%T` (`%H:%M:%S`), `%F` (`%Y-%m-%d`), `%%`.
    /// Without `%z` the time is UTC. Other characters must match exactly.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "rfc3339" | "RFC3339" | "iso8601" | "ISO8601" => Ok(TimestampFormat::Rfc3339),
            "unix" | "UNIX" | "epoch" => Ok(TimestampFormat::Unix),
            "unix_ms" | "UNIX_MS" | "epoch_ms" => Ok(TimestampFormat::UnixMs),
            _ if s.contains('%') => Pattern::compile(s).map(TimestampFormat::Pattern),
            _ => Err(format!(
                "unknown timestamp format `{s}` (use rfc3339, unix, unix_ms or a %-pattern)"
            )),
        }
    }

    /// Parses a timestamp written as a JSON string.
    pub fn parse_str(&self, s: &str) -> Option<Timestamp> {
        let s = s.trim();
        match self {
            TimestampFormat::Rfc3339 => Timestamp::parse_rfc3339(s),
            TimestampFormat::Unix => parse_decimal(s, 1_000_000_000),
            TimestampFormat::UnixMs => parse_decimal(s, 1_000_000),
            TimestampFormat::Pattern(p) => p.parse(s),
        }
    }

    /// Parses a timestamp written as a JSON number (its literal text).
    pub fn parse_number(&self, literal: &str) -> Option<Timestamp> {
        match self {
            TimestampFormat::Unix => parse_decimal(literal, 1_000_000_000),
            TimestampFormat::UnixMs => parse_decimal(literal, 1_000_000),
            // `%s`-less patterns and RFC 3339 cannot be numbers; try the text anyway.
            other => other.parse_str(literal),
        }
    }
}

impl fmt::Display for TimestampFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimestampFormat::Rfc3339 => f.write_str("rfc3339"),
            TimestampFormat::Unix => f.write_str("unix"),
            TimestampFormat::UnixMs => f.write_str("unix_ms"),
            TimestampFormat::Pattern(p) => f.write_str(&p.source),
        }
    }
}

/// Parses a decimal number (`1687241470`, `-1.5`, `1.6e9`) of units, each
/// `nanos_per_unit` nanoseconds long.
pub(crate) fn parse_decimal(s: &str, nanos_per_unit: i64) -> Option<Timestamp> {
    let s = s.trim();
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        let whole: i64 = int.parse().ok()?;
        let mut nanos = whole.checked_mul(nanos_per_unit)?;
        let mut scale = nanos_per_unit / 10;
        for d in frac.bytes() {
            if scale == 0 {
                break;
            }
            nanos = nanos.checked_add(i64::from(d - b'0') * scale)?;
            scale /= 10;
        }
        return Some(Timestamp::from_unix_nanos(if neg { -nanos } else { nanos }));
    }
    // Exponent notation and other float spellings.
    let f: f64 = s.parse().ok()?;
    let nanos = f * nanos_per_unit as f64;
    if !nanos.is_finite() || nanos.abs() >= i64::MAX as f64 {
        return None;
    }
    Some(Timestamp::from_unix_nanos(nanos.round() as i64))
}

/// A compiled `strftime`-like pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(char),
    Year,
    Year2,
    Month,
    MonthAbbrev,
    MonthName,
    Day,
    DaySpace,
    Hour,
    Minute,
    Second,
    Fraction,
    Zone,
}

impl Pattern {
    fn compile(source: &str) -> Result<Self, String> {
        let mut items = Vec::new();
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                items.push(Item::Literal(c));
                continue;
            }
            match chars.next() {
                Some('Y') => items.push(Item::Year),
                Some('y') => items.push(Item::Year2),
                Some('m') => items.push(Item::Month),
                Some('b' | 'h') => items.push(Item::MonthAbbrev),
                Some('B') => items.push(Item::MonthName),
                Some('d') => items.push(Item::Day),
                Some('e') => items.push(Item::DaySpace),
                Some('H') => items.push(Item::Hour),
                Some('M') => items.push(Item::Minute),
                Some('S') => items.push(Item::Second),
                Some('f') => items.push(Item::Fraction),
                Some('z') => items.push(Item::Zone),
                Some('T') => items.extend([
                    Item::Hour,
                    Item::Literal(':'),
                    Item::Minute,
                    Item::Literal(':'),
                    Item::Second,
                ]),
                Some('F') => items.extend([
                    Item::Year,
                    Item::Literal('-'),
                    Item::Month,
                    Item::Literal('-'),
                    Item::Day,
                ]),
                Some('%') => items.push(Item::Literal('%')),
                Some(other) => {
                    return Err(format!(
                        "unsupported directive `%{other}` in timestamp format `{source}`"
                    ))
                }
                None => return Err(format!("timestamp format `{source}` ends with a lone `%`")),
            }
        }
        if !items.iter().any(|i| matches!(i, Item::Year | Item::Year2))
            || !items
                .iter()
                .any(|i| matches!(i, Item::Month | Item::MonthAbbrev | Item::MonthName))
        {
            return Err(format!(
                "timestamp format `{source}` needs a year (%Y or %y) and a month (%m, %b or %B)"
            ));
        }
        Ok(Pattern {
            source: source.to_owned(),
            items,
        })
    }

    /// Parses `s` with this pattern; the whole string must match.
    pub fn parse(&self, s: &str) -> Option<Timestamp> {
        let mut rest = s.as_bytes();
        let (mut year, mut month, mut day, mut hour, mut minute, mut second, mut nanos, mut offset) =
            (1970i64, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32, 0i64);
        for item in &self.items {
            match item {
                Item::Literal(c) => {
                    let mut buf = [0u8; 4];
                    let lit = c.encode_utf8(&mut buf).as_bytes();
                    rest = rest.strip_prefix(lit)?;
                }
                Item::Year => {
                    let (neg, r) = match rest.first() {
                        Some(b'-') => (true, &rest[1..]),
                        _ => (false, rest),
                    };
                    let (v, r) = take_digits(r, 4, 4)?;
                    year = if neg { -i64::from(v) } else { i64::from(v) };
                    rest = r;
                }
                Item::Year2 => {
                    let (v, r) = take_digits(rest, 2, 2)?;
                    year = if v < 69 {
                        2000 + i64::from(v)
                    } else {
                        1900 + i64::from(v)
                    };
                    rest = r;
                }
                Item::Month => (month, rest) = take_digits(rest, 1, 2)?,
                Item::MonthAbbrev => {
                    month = month_from_abbrev(rest.get(..3)?)?;
                    rest = &rest[3..];
                }
                Item::MonthName => {
                    let len = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
                    let (name, r) = rest.split_at(len);
                    month = month_from_name(name)?;
                    rest = r;
                }
                Item::Day => (day, rest) = take_digits(rest, 1, 2)?,
                Item::DaySpace => {
                    let r = rest.strip_prefix(b" ").unwrap_or(rest);
                    (day, rest) = take_digits(r, 1, 2)?;
                }
                Item::Hour => (hour, rest) = take_digits(rest, 1, 2)?,
                Item::Minute => (minute, rest) = take_digits(rest, 1, 2)?,
                Item::Second => (second, rest) = take_digits(rest, 1, 2)?,
                Item::Fraction => {
                    let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                    if n == 0 {
                        return None;
                    }
                    let mut scale = 100_000_000u32;
                    nanos = 0;
                    for &d in &rest[..n.min(9)] {
                        nanos += u32::from(d - b'0') * scale;
                        scale /= 10;
                    }
                    rest = &rest[n..];
                }
                Item::Zone => (offset, rest) = take_zone(rest)?,
            }
        }
        if !rest.is_empty() || day > days_in_month(year, month) {
            return None;
        }
        let t = Timestamp::from_civil(year, month, day, hour, minute, second, nanos)?;
        Some(Timestamp::from_unix_nanos(
            t.unix_nanos()
                .checked_sub(offset.checked_mul(1_000_000_000)?)?,
        ))
    }
}

fn take_digits(b: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let n = b
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n < min {
        return None;
    }
    let v = b[..n]
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    Some((v, &b[n..]))
}

fn take_zone(b: &[u8]) -> Option<(i64, &[u8])> {
    match b.first()? {
        b'Z' | b'z' => Some((0, &b[1..])),
        sign @ (b'+' | b'-') => {
            let (h, r) = take_digits(&b[1..], 2, 2)?;
            let r = r.strip_prefix(b":").unwrap_or(r);
            let (m, r) = take_digits(r, 2, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h) * 3600 + i64::from(m) * 60;
            Some((if *sign == b'-' { -secs } else { secs }, r))
        }
        _ => None,
    }
}

fn month_from_name(name: &[u8]) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let name = std::str::from_utf8(name).ok()?;
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name))
        .map(|i| i as u32 + 1)
}

impl CustomDataset {
    /// A dataset with only a name: raw `message`, no JSON, no timestamp field.
    pub fn new(name: impl Into<String>) -> Self {
        CustomDataset {
            name: name.into(),
            parse_json: false,
            timestamp_field: None,
            timestamp_format: TimestampFormat::Rfc3339,
        }
    }

    /// A dataset configured from `options` (keys in [`OPTIONS`]:
    /// `parse_json=true|false`, `timestamp_field=PATH`, `timestamp_format=FORMAT`).
    pub fn from_options(name: &str, options: &Options) -> Result<Self, OptionError> {
        let dataset = intern(name);
        crate::check_options(dataset, options, OPTIONS)?;
        let invalid = |key: &str, reason: String| OptionError::Invalid {
            dataset,
            key: key.to_owned(),
            reason,
        };
        let mut out = CustomDataset::new(name);
        if let Some(v) = options.get("parse_json") {
            out.parse_json = match v.as_str() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => return Err(invalid("parse_json", format!("`{v}` is not true or false"))),
            };
        }
        if let Some(v) = options.get("timestamp_field") {
            if v.is_empty() || v.split('.').any(str::is_empty) {
                return Err(invalid(
                    "timestamp_field",
                    format!("`{v}` is not a dotted field path"),
                ));
            }
            out.timestamp_field = Some(v.clone());
        }
        if let Some(v) = options.get("timestamp_format") {
            out.timestamp_format =
                TimestampFormat::parse(v).map_err(|e| invalid("timestamp_format", e))?;
        }
        Ok(out)
    }

    /// Builds the parser for one object.
    pub fn build(&self) -> Box<dyn Parser> {
        Box::new(JsonRecordParser {
            name: intern(&self.name),
            parse_json: self.parse_json,
            path: self
                .timestamp_field
                .as_deref()
                .map(|p| p.split('.').map(str::to_owned).collect())
                .unwrap_or_default(),
            format: self.timestamp_format.clone(),
        })
    }
}

/// Dataset names as `&'static str`, leaked once per distinct name (the set of
/// configured datasets is small and fixed), so that events and errors can use
/// them as keys without an allocation per record.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[derive(Clone)]
struct JsonRecordParser {
    name: &'static str,
    parse_json: bool,
    path: Vec<String>,
    format: TimestampFormat,
}

impl Parser for JsonRecordParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let mut event = Event::new();
        let trimmed = record.trim_matches(|c: char| c.is_ascii_whitespace());
        if self.parse_json && trimmed.starts_with('{') {
            // Validates the whole object and finds the timestamp field in one pass.
            if let Ok(found) = find_path(trimmed, &self.path) {
                event.push(self.name, Value::Json(Cow::Borrowed(trimmed)));
                if !self.path.is_empty() {
                    match found.map(|raw| timestamp_of(raw, &self.format)) {
                        Some(Some(ts)) => event.push("@timestamp", ts),
                        Some(None) => event.push(
                            "error.message",
                            format!(
                                "{}: field `{}` is not a {} timestamp",
                                self.name,
                                self.path.join("."),
                                self.format
                            ),
                        ),
                        None => {}
                    }
                }
                emit(event);
                return Ok(());
            }
        }
        let line = record.strip_suffix('\r').unwrap_or(record);
        event.push("message", line);
        emit(event);
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(self.clone()))
    }
}

/// The timestamp a JSON value holds, written as `format`.
pub(crate) fn timestamp_of(raw: &RawValue, format: &TimestampFormat) -> Option<Timestamp> {
    let text = raw.get();
    match text.as_bytes().first()? {
        b'"' => {
            let s: Cow<'_, str> = serde_json::from_str(text).ok()?;
            format.parse_str(&s)
        }
        b'-' | b'0'..=b'9' => format.parse_number(text),
        _ => None,
    }
}

/// Validates the JSON object `json` and returns the value at `path` (a list
/// of member names), if present. An empty path validates only.
pub(crate) fn find_path<'a>(
    json: &'a str,
    path: &[String],
) -> Result<Option<&'a RawValue>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let found = PathSeed { path }.deserialize(&mut de)?;
    de.end()?;
    Ok(found)
}

struct PathSeed<'p> {
    path: &'p [String],
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_> {
    type Value = Option<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        match self.path.split_first() {
            None => {
                d.deserialize_ignored_any(IgnoredAny)?;
                Ok(None)
            }
            Some(_) => d.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for PathSeed<'_> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some((head, tail)) = self.path.split_first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(None);
        };
        let mut found = None;
        while let Some(JsonStr(key)) = map.next_key::<JsonStr<'de>>()? {
            if found.is_none() && key == head.as_str() {
                found = if tail.is_empty() {
                    Some(map.next_value::<&'de RawValue>()?)
                } else {
                    map.next_value_seed(PathSeed { path: tail })?
                };
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A JSON string that borrows from the input when it holds no escapes.
///
/// serde's own `Cow<str>` only borrows as a direct `#[serde(borrow)]` field,
/// not inside `Option` or `Vec`; this wrapper borrows everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonStr<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = JsonStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ds: &CustomDataset, record: &str) -> serde_json::Value {
        let mut parser = ds.build();
        let mut out = Vec::new();
        let mut n = 0;
        parser
            .parse(record, &mut |e| {
                n += 1;
                e.write_json(&mut out);
            })
            .unwrap();
        assert_eq!(n, 1, "one event per record");
        serde_json::from_slice(&out).expect("valid JSON")
    }

    fn json_dataset(field: &str, format: &str) -> CustomDataset {
        CustomDataset {
            name: "iru.activity".into(),
            parse_json: true,
            timestamp_field: Some(field.into()),
            timestamp_format: TimestampFormat::parse(format).unwrap(),
        }
    }

    #[test]
    fn raw_dataset_keeps_the_line_as_message() {
        let v = run(&CustomDataset::new("app.raw"), "hello {world}\r");
        assert_eq!(v, serde_json::json!({"message": "hello {world}"}));
    }

    #[test]
    fn json_object_goes_under_the_dataset_name_with_its_timestamp() {
        let ds = json_dataset("time", "rfc3339");
        let v = run(
            &ds,
            r#" {"time":"2024-03-01T10:00:00.250+01:00","user":{"id":7},"tags":["a"]} "#,
        );
        assert_eq!(
            v,
            serde_json::json!({
                "@timestamp": "2024-03-01T09:00:00.250Z",
                "iru": {"activity": {"time": "2024-03-01T10:00:00.250+01:00", "user": {"id": 7}, "tags": ["a"]}},
            })
        );
    }

    #[test]
    fn finds_nested_timestamp_fields_and_unix_numbers() {
        let ds = json_dataset("meta.at", "unix");
        let v = run(
            &ds,
            r#"{"meta":{"x":[1,{"at":2}],"at":1687241470.5},"at":0}"#,
        );
        assert_eq!(v["@timestamp"], "2023-06-20T06:11:10.500Z");
        let v = run(&ds, r#"{"meta":{"at":"1687241470"}}"#);
        assert_eq!(v["@timestamp"], "2023-06-20T06:11:10.000Z");
        let ds = json_dataset("ts", "unix_ms");
        let v = run(&ds, r#"{"ts":1687241470123}"#);
        assert_eq!(v["@timestamp"], "2023-06-20T06:11:10.123Z");
    }

    #[test]
    fn parses_strftime_patterns() {
        let f = TimestampFormat::parse("%d/%b/%Y:%H:%M:%S %z").unwrap();
        assert_eq!(
            f.parse_str("06/Feb/2019:02:00:38 +0200")
                .unwrap()
                .to_string(),
            "2019-02-06T00:00:38.000Z"
        );
        let f = TimestampFormat::parse("%F %T.%f").unwrap();
        assert_eq!(
            f.parse_str("2019-02-06 00:00:38.123456")
                .unwrap()
                .to_string(),
            "2019-02-06T00:00:38.123456Z"
        );
        let f = TimestampFormat::parse("%B %e %y %H:%M:%S%z").unwrap();
        assert_eq!(
            f.parse_str("March  5 24 10:00:00-05:30")
                .unwrap()
                .to_string(),
            "2024-03-05T15:30:00.000Z"
        );
        assert_eq!(f.parse_str("March  5 24 10:00:00-05:30 trailing"), None);
        let f = TimestampFormat::parse("%Y-%m-%d").unwrap();
        assert_eq!(f.parse_str("2023-02-29"), None);
        assert!(TimestampFormat::parse("%Q").is_err());
        assert!(TimestampFormat::parse("%H:%M").is_err());
        assert!(TimestampFormat::parse("%Y-%m-%").is_err());
        assert!(TimestampFormat::parse("nonsense").is_err());
    }

    #[test]
    fn unparsable_timestamp_keeps_the_record_and_says_why() {
        let ds = json_dataset("time", "unix");
        let v = run(&ds, r#"{"time":"yesterday"}"#);
        assert!(v.get("@timestamp").is_none());
        assert_eq!(v["iru"]["activity"]["time"], "yesterday");
        assert!(v["error"]["message"].as_str().unwrap().contains("`time`"));
    }

    #[test]
    fn missing_timestamp_field_is_not_an_error() {
        let v = run(&json_dataset("time", "unix"), r#"{"other":1}"#);
        assert_eq!(v, serde_json::json!({"iru": {"activity": {"other": 1}}}));
    }

    #[test]
    fn non_json_record_falls_back_to_message() {
        let ds = json_dataset("time", "unix");
        for record in [
            "plain text",
            r#"{"truncated":"#,
            r#"{"a":1} trailing"#,
            "[1,2]",
            r#""str""#,
        ] {
            let v = run(&ds, record);
            assert_eq!(v, serde_json::json!({"message": record}), "{record}");
        }
    }

    #[test]
    fn escaped_keys_match_the_timestamp_path() {
        let v = run(&json_dataset("t\u{e9}", "unix"), r#"{"t\u00e9":5}"#);
        assert_eq!(v["@timestamp"], "1970-01-01T00:00:05.000Z");
    }

    #[test]
    fn configures_from_options() {
        let mut o = Options::new();
        o.insert("parse_json".into(), "true".into());
        o.insert("timestamp_field".into(), "a.b".into());
        o.insert("timestamp_format".into(), "unix_ms".into());
        let ds = CustomDataset::from_options("my.ds", &o).unwrap();
        assert_eq!(
            ds,
            CustomDataset {
                name: "my.ds".into(),
                parse_json: true,
                timestamp_field: Some("a.b".into()),
                timestamp_format: TimestampFormat::UnixMs
            }
        );
        o.insert("timestamp_format".into(), "%Q".into());
        assert!(matches!(
            CustomDataset::from_options("my.ds", &o),
            Err(OptionError::Invalid { .. })
        ));
        o.insert("typo".into(), "x".into());
        assert!(matches!(
            CustomDataset::from_options("my.ds", &o),
            Err(OptionError::Unknown { .. })
        ));
    }

    #[test]
    fn decimal_timestamps_handle_signs_fractions_and_overflow() {
        assert_eq!(
            parse_decimal("-1.5", 1_000_000_000).unwrap().unix_nanos(),
            -1_500_000_000
        );
        assert_eq!(
            parse_decimal("1.6e9", 1_000_000_000)
                .unwrap()
                .unix_seconds(),
            1_600_000_000
        );
        assert_eq!(parse_decimal("99999999999999999999", 1_000_000_000), None);
        assert_eq!(parse_decimal("1e300", 1_000_000_000), None);
        assert_eq!(parse_decimal("", 1), None);
        assert_eq!(parse_decimal("abc", 1), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn arbitrary_records_and_timestamps_never_panic(record in r#"[ -~\\{}"\[\]:,0-9.eE+-]{0,60}"#, ts in "[ -~]{0,30}") {
            let ds = json_dataset("t.u", "%d/%b/%Y:%H:%M:%S.%f %z");
            let mut parser = ds.build();
            let _ = parser.parse(&record, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                serde_json::from_slice::<IgnoredAny>(&out).expect("valid JSON");
            });
            for f in ["rfc3339", "unix", "unix_ms", "%F %T.%f%z", "%e %B %y"] {
                let _ = TimestampFormat::parse(f).unwrap().parse_str(&ts);
            }
        }
    }
}
