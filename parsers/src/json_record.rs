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
//! - `dissect` ([`Dissector`], for line records): each line is split by the
//!   pattern; key `k` becomes `<name>.k` (`acme.firewall.k`), and `message`
//!   keeps the line. A line that does not match is a [`ParseError`] (the
//!   agent then emits it with `error.message` and `event.original`).
//!   `timestamp_field` may name a key of the pattern.
//! - `fields` ([`FieldMapping`]): values copied into other fields, converted
//!   ([`Conversion`](crate::convert::Conversion)). `from` is a key of the
//!   pattern, or a dotted path into the JSON object. A mapped dissect key is
//!   not also set under the dataset's name, unless its conversion fails: then
//!   the raw value stays there and `error.message` says which field failed.
//! - `static_fields`: constant fields on every event.
//!
//! [`CustomDataset::compile`] checks all of it once, at configuration load.
//!
//! ```
//! use loglift_parsers::dissect::Dissector;
//! use loglift_parsers::json_record::CustomDataset;
//! use loglift_parsers::mapping::FieldMapping;
//! use loglift_parsers::Parser;
//! let dataset = CustomDataset {
//!     dissect: Some(Dissector::new("%{ts} %{host} acmefw[%{pid}]: %{verdict} %{src}:%{sport}").unwrap()),
//!     fields: vec![
//!         FieldMapping::new("src", "source.ip", Some("ip"), None).unwrap(),
//!         FieldMapping::new("sport", "source.port", Some("long"), None).unwrap(),
//!     ],
//!     static_fields: vec![("observer.vendor".into(), "Acme".into())],
//!     timestamp_field: Some("ts".into()),
//!     ..CustomDataset::new("acme.firewall")
//! };
//! let mut parser = dataset.compile().unwrap();
//! let mut out = Vec::new();
//! parser
//!     .parse("2024-03-01T10:00:00Z fw1 acmefw[42]: DENY 10.0.0.1:5000", &mut |e| e.write_json(&mut out))
//!     .unwrap();
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     concat!(
//!         r#"{"@timestamp":"2024-03-01T10:00:00.000Z","#,
//!         r#""acme":{"firewall":{"host":"fw1","pid":"42","ts":"2024-03-01T10:00:00Z","verdict":"DENY"}},"#,
//!         r#""message":"2024-03-01T10:00:00Z fw1 acmefw[42]: DENY 10.0.0.1:5000","#,
//!         r#""observer":{"vendor":"Acme"},"source":{"ip":"10.0.0.1","port":5000}}"#
//!     )
//! );
//! ```
//!
//! ```
//! use loglift_parsers::json_record::{CustomDataset, TimestampFormat};
//! let dataset = CustomDataset {
//!     name: "iru.activity".into(),
//!     parse_json: true,
//!     timestamp_field: Some("meta.ts".into()),
//!     timestamp_format: TimestampFormat::parse("%d/%b/%Y:%H:%M:%S %z").unwrap(),
//!     ..CustomDataset::new("iru.activity")
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
use std::sync::{Arc, Mutex, OnceLock};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::convert::Conversion;
use crate::dissect::Dissector;
use crate::mapping::{
    add_error, convert_json, convert_text, find_conflict, is_field_path, FieldMapping,
};
use crate::time::{days_in_month, month_from_abbrev, Timestamp};
use crate::{Event, OptionError, Options, ParseError, Parser, Value};

/// Option names a user-defined dataset accepts (`--set KEY=VALUE`, or the
/// keys of its `datasets:` entry).
pub const OPTIONS: &str = "parse_json,timestamp_field,timestamp_format,dissect,append_separator";

/// The configuration of one user-defined dataset.
///
/// Validate it with [`CustomDataset::compile`] when the configuration is
/// loaded: every mistake (a bad path, a `fields` source that is not a key of
/// the pattern, two mappings to one field) is reported there, with the
/// option it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomDataset {
    /// Dataset name (`event.dataset`); the parsed JSON object is put under it.
    pub name: String,
    /// Whether records are JSON objects to parse (else only `message` is set).
    pub parse_json: bool,
    /// The field holding the event time: a dotted path into the JSON object
    /// (`time`, `meta.ts`), or a key of the dissect pattern.
    pub timestamp_field: Option<String>,
    /// How that field is written.
    pub timestamp_format: TimestampFormat,
    /// For line records: the dissect pattern that splits each line into
    /// keys, set as `<name>.<key>` unless mapped by [`fields`](Self::fields).
    /// A line that does not match is a parse error.
    pub dissect: Option<Dissector>,
    /// Values copied, converted, into other fields (ECS fields, typically).
    /// A dissect key that is mapped is not also set under the dataset's name
    /// unless its conversion fails (see [`crate::mapping`]).
    pub fields: Vec<FieldMapping>,
    /// Constant fields set on every event (`observer.vendor: Acme`).
    pub static_fields: Vec<(String, Value<'static>)>,
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
            dissect: None,
            fields: Vec::new(),
            static_fields: Vec::new(),
        }
    }

    /// A dataset configured from `options` (keys in [`OPTIONS`]:
    /// `parse_json=true|false`, `timestamp_field=PATH`, `timestamp_format=FORMAT`,
    /// `dissect=PATTERN`, `append_separator=TEXT`).
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
            out.timestamp_field = Some(v.clone());
        }
        if let Some(v) = options.get("timestamp_format") {
            out.timestamp_format =
                TimestampFormat::parse(v).map_err(|e| invalid("timestamp_format", e))?;
        }
        if let Some(v) = options.get("dissect") {
            let separator = options.get("append_separator").map_or("", String::as_str);
            out.dissect = Some(
                Dissector::new(v)
                    .map_err(|e| invalid("dissect", e.to_string()))?
                    .append_separator(separator),
            );
        } else if options.contains_key("append_separator") {
            return Err(invalid(
                "append_separator",
                "needs a `dissect` pattern".into(),
            ));
        }
        out.compile()?;
        Ok(out)
    }

    /// Checks the configuration and compiles the parser, once: clones of
    /// the result parse objects (one clone per object, cheap to make).
    pub fn compile(&self) -> Result<CustomParser, OptionError> {
        let name = intern(&self.name);
        let invalid = |key: &str, reason: String| OptionError::Invalid {
            dataset: name,
            key: key.to_owned(),
            reason,
        };
        // Every field the dataset may set, and where it comes from.
        let mut names: Vec<(String, String)> = vec![
            ("@timestamp".into(), "the event time".into()),
            ("message".into(), "the record".into()),
            ("error.message".into(), "errors".into()),
        ];
        for (i, m) in self.fields.iter().enumerate() {
            if !is_field_path(&m.to) {
                return Err(invalid(
                    &format!("fields[{i}].to"),
                    format!("`{}` is not a dotted field name", m.to),
                ));
            }
            names.push((m.to.clone(), format!("fields[{i}].to")));
        }
        for (key, _) in &self.static_fields {
            if !is_field_path(key) {
                return Err(invalid(
                    "static",
                    format!("`{key}` is not a dotted field name"),
                ));
            }
            names.push((key.clone(), "static".into()));
        }
        if let Some(ts) = &self.timestamp_field {
            if !is_field_path(ts) {
                return Err(invalid(
                    "timestamp_field",
                    format!("`{ts}` is not a dotted field path"),
                ));
            }
        }
        let mode =
            match (&self.dissect, self.parse_json) {
                (Some(_), true) => return Err(invalid(
                    "dissect",
                    "a dissect pattern splits text lines; it cannot be combined with parse_json"
                        .into(),
                )),
                (Some(dissector), false) => {
                    let position = |key: &str| dissector.keys().iter().position(|k| &**k == key);
                    let mut keys: Vec<KeyPlan> = dissector
                        .keys()
                        .iter()
                        .map(|k| KeyPlan {
                            raw: intern(&format!("{name}.{k}")),
                            mappings: Vec::new(),
                        })
                        .collect();
                    for key in &keys {
                        names.push((key.raw.to_owned(), "the dissect pattern".into()));
                    }
                    for (i, m) in self.fields.iter().enumerate() {
                        let Some(at) = position(&m.from) else {
                            return Err(invalid(
                                &format!("fields[{i}].from"),
                                format!(
                                    "`{}` is not a key of the dissect pattern (keys: {})",
                                    m.from,
                                    dissector.keys().join(", ")
                                ),
                            ));
                        };
                        keys[at]
                            .mappings
                            .push((m.from.clone(), intern(&m.to), m.convert.clone()));
                    }
                    let timestamp = match &self.timestamp_field {
                        None => None,
                        Some(ts) => Some(position(ts).ok_or_else(|| {
                            invalid(
                                "timestamp_field",
                                format!(
                                    "`{ts}` is not a key of the dissect pattern (keys: {})",
                                    dissector.keys().join(", ")
                                ),
                            )
                        })?),
                    };
                    Mode::Dissect {
                        dissector: dissector.clone(),
                        keys,
                        timestamp,
                    }
                }
                (None, true) => {
                    names.push((name.to_owned(), "the JSON record".into()));
                    let mut paths: Vec<Vec<String>> = Vec::new();
                    let mut slot = |path: &str| {
                        let path: Vec<String> = path.split('.').map(str::to_owned).collect();
                        match paths.iter().position(|p| *p == path) {
                            Some(i) => i,
                            None => {
                                paths.push(path);
                                paths.len() - 1
                            }
                        }
                    };
                    let timestamp = self.timestamp_field.as_deref().map(&mut slot);
                    let mut mappings = Vec::with_capacity(self.fields.len());
                    for (i, m) in self.fields.iter().enumerate() {
                        if !is_field_path(&m.from) {
                            return Err(invalid(
                                &format!("fields[{i}].from"),
                                format!("`{}` is not a dotted path into the record", m.from),
                            ));
                        }
                        mappings.push(JsonMapping {
                            from: m.from.clone(),
                            slot: slot(&m.from),
                            to: intern(&m.to),
                            convert: m.convert.clone(),
                        });
                    }
                    Mode::Json {
                        trie: Trie::of(&paths),
                        slots: paths.len(),
                        timestamp,
                        mappings,
                    }
                }
                (None, false) => {
                    if self.timestamp_field.is_some() {
                        return Err(invalid(
                            "timestamp_field",
                            "needs parse_json or a dissect pattern to read the field from".into(),
                        ));
                    }
                    if !self.fields.is_empty() {
                        return Err(invalid(
                            "fields",
                            "need parse_json or a dissect pattern to read values from".into(),
                        ));
                    }
                    Mode::Raw
                }
            };
        if let Some(conflict) = find_conflict(&mut names) {
            return Err(invalid("fields", conflict));
        }
        Ok(CustomParser {
            plan: Arc::new(Plan {
                name,
                format: self.timestamp_format.clone(),
                statics: self
                    .static_fields
                    .iter()
                    .map(|(k, v)| (intern(k), v.clone()))
                    .collect(),
                mode,
            }),
        })
    }

    /// Builds the parser for one object. A configuration that
    /// [`compile`](Self::compile) refuses yields a parser that turns every
    /// record into a parse error saying why.
    pub fn build(&self) -> Box<dyn Parser> {
        match self.compile() {
            Ok(parser) => Box::new(parser),
            Err(e) => Box::new(Misconfigured(intern(&self.name), e.to_string())),
        }
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

/// The parser of a user-defined dataset, compiled by [`CustomDataset::compile`].
#[derive(Clone, Debug)]
pub struct CustomParser {
    plan: Arc<Plan>,
}

#[derive(Debug)]
struct Plan {
    name: &'static str,
    format: TimestampFormat,
    statics: Vec<(&'static str, Value<'static>)>,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    /// `message` only.
    Raw,
    /// The JSON object under the dataset's name; values found by path.
    Json {
        trie: Trie,
        slots: usize,
        timestamp: Option<usize>,
        mappings: Vec<JsonMapping>,
    },
    /// `message`, and the dissected keys.
    Dissect {
        dissector: Dissector,
        /// One per key of the dissector, index for index.
        keys: Vec<KeyPlan>,
        timestamp: Option<usize>,
    },
}

#[derive(Debug)]
struct JsonMapping {
    from: String,
    slot: usize,
    to: &'static str,
    convert: Option<Conversion>,
}

#[derive(Debug)]
struct KeyPlan {
    /// `<dataset>.<key>`.
    raw: &'static str,
    /// (from, to, conversion).
    mappings: Vec<(String, &'static str, Option<Conversion>)>,
}

impl Parser for CustomParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let plan = &*self.plan;
        let mut event = Event::new();
        for (key, value) in &plan.statics {
            event.push(key, value.clone());
        }
        match &plan.mode {
            Mode::Raw => {}
            Mode::Json {
                trie,
                slots,
                timestamp,
                mappings,
            } => {
                let trimmed = record.trim_matches(|c: char| c.is_ascii_whitespace());
                let mut found = vec![None; *slots];
                if trimmed.starts_with('{') && extract(trimmed, trie, &mut found).is_ok() {
                    event.push(plan.name, Value::Json(Cow::Borrowed(trimmed)));
                    if let Some(raw) = timestamp.and_then(|slot| found[slot]) {
                        set_timestamp(&mut event, plan, timestamp_of(raw, &plan.format));
                    }
                    for m in mappings {
                        let Some(raw) = found[m.slot] else { continue };
                        match convert_json(m.convert.as_ref(), raw) {
                            Ok(Some(value)) => event.push(m.to, value),
                            Ok(None) => {}
                            Err(e) => add_error(
                                &mut event,
                                format!("{}: field `{}`: {e}", plan.name, m.from),
                            ),
                        }
                    }
                    emit(event);
                    return Ok(());
                }
            }
            Mode::Dissect {
                dissector,
                keys,
                timestamp,
            } => {
                let line = record.strip_suffix('\r').unwrap_or(record);
                let dissection = dissector.dissect(line).map_err(|e| {
                    ParseError::new(
                        plan.name,
                        format!("line does not match the dissect pattern: {e}"),
                    )
                })?;
                let (values, references) = dissection.into_parts();
                if let Some(at) = timestamp {
                    let text = &values[*at];
                    set_timestamp(&mut event, plan, plan.format.parse_str(text));
                }
                for (key, value) in keys.iter().zip(values) {
                    set_key(&mut event, plan.name, key, value);
                }
                for (name, value) in references {
                    let field = format!("{}.{name}", plan.name);
                    let clash = keys
                        .iter()
                        .any(|k| nested(k.raw, &field) || nested(&field, k.raw));
                    if !is_field_path(name) || clash {
                        return Err(ParseError::new(
                            plan.name,
                            format!("reference key name `{name}` is not a usable field name"),
                        ));
                    }
                    event.insert(field, value);
                }
                event.push("message", line);
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

/// Whether `inner` is `outer` or a field inside it.
fn nested(outer: &str, inner: &str) -> bool {
    inner.starts_with(outer) && matches!(inner.as_bytes().get(outer.len()), None | Some(b'.'))
}

/// Sets `@timestamp`, or says why the field's value is not a timestamp.
fn set_timestamp(event: &mut Event<'_>, plan: &Plan, parsed: Option<Timestamp>) {
    match parsed {
        Some(ts) => event.push("@timestamp", ts),
        None => add_error(
            event,
            format!(
                "{}: field `{}` is not a {} timestamp",
                plan.name,
                plan_timestamp_field(plan),
                plan.format
            ),
        ),
    }
}

fn plan_timestamp_field(plan: &Plan) -> String {
    match &plan.mode {
        Mode::Dissect {
            dissector,
            timestamp: Some(at),
            ..
        } => dissector.keys()[*at].to_string(),
        Mode::Json {
            trie,
            timestamp: Some(slot),
            ..
        } => trie.path_of(*slot).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Sets a dissected key: under the dataset's name, or into its mapped
/// fields; a value that fails a conversion stays under the dataset's name.
fn set_key<'a>(event: &mut Event<'a>, dataset: &str, key: &KeyPlan, value: Cow<'a, str>) {
    if key.mappings.is_empty() {
        event.push(key.raw, value);
        return;
    }
    if value.is_empty() {
        return;
    }
    let mut failed = false;
    for (from, to, conversion) in &key.mappings {
        match conversion {
            None => event.push(to, value.clone()),
            Some(c) => match convert_text(c, &value) {
                Ok(v) => event.push(to, v),
                Err(e) => {
                    failed = true;
                    add_error(event, format!("{dataset}: field `{from}`: {e}"));
                }
            },
        }
    }
    if failed {
        event.push(key.raw, value);
    }
}

/// The parser of a dataset whose configuration is invalid: every record is
/// a parse error that says why.
struct Misconfigured(&'static str, String);

impl Parser for Misconfigured {
    fn parse<'a>(&mut self, _: &'a str, _: &mut dyn FnMut(Event<'a>)) -> Result<(), ParseError> {
        Err(ParseError::new(self.0, self.1.clone()))
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

/// The member paths wanted from a JSON object, as a tree: each node's
/// children by member name, and the slot a path ending there fills.
#[derive(Debug, Default)]
struct Trie {
    slot: Option<usize>,
    children: Vec<(String, Trie)>,
}

impl Trie {
    fn of(paths: &[Vec<String>]) -> Trie {
        let mut root = Trie::default();
        for (slot, path) in paths.iter().enumerate() {
            let mut node = &mut root;
            for segment in path {
                let at = match node.children.iter().position(|(k, _)| k == segment) {
                    Some(i) => i,
                    None => {
                        node.children.push((segment.clone(), Trie::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[at].1;
            }
            node.slot = Some(slot);
        }
        root
    }

    /// The dotted path of `slot`, for messages.
    fn path_of(&self, slot: usize) -> Option<String> {
        if self.slot == Some(slot) {
            return Some(String::new());
        }
        self.children.iter().find_map(|(k, child)| {
            child.path_of(slot).map(|rest| {
                if rest.is_empty() {
                    k.clone()
                } else {
                    format!("{k}.{rest}")
                }
            })
        })
    }
}

/// Validates the JSON object `json` and fills `found` with the value of every
/// path of `trie` that is present (the first, if a member is repeated).
fn extract<'a>(
    json: &'a str,
    trie: &Trie,
    found: &mut [Option<&'a RawValue>],
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    TrieSeed { trie, found }.deserialize(&mut de)?;
    de.end()
}

struct TrieSeed<'t, 'f, 'a> {
    trie: &'t Trie,
    found: &'f mut [Option<&'a RawValue>],
}

impl<'de> DeserializeSeed<'de> for TrieSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.trie.children.is_empty() {
            d.deserialize_ignored_any(IgnoredAny)?;
            Ok(())
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for TrieSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(JsonStr(key)) = map.next_key::<JsonStr<'de>>()? {
            let child = self
                .trie
                .children
                .iter()
                .find(|(k, _)| k.as_str() == key)
                .map(|(_, c)| c);
            match child {
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
                Some(child) => match child.slot {
                    Some(slot) if self.found[slot].is_none() => {
                        let raw = map.next_value::<&'de RawValue>()?;
                        self.found[slot] = Some(raw);
                        if !child.children.is_empty() && raw.get().starts_with('{') {
                            // Paths inside a value that is itself wanted.
                            let _ = extract(raw.get(), child, self.found);
                        }
                    }
                    Some(_) => {
                        map.next_value::<IgnoredAny>()?;
                    }
                    None => map.next_value_seed(TrieSeed {
                        trie: child,
                        found: &mut *self.found,
                    })?,
                },
            }
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
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
            ..CustomDataset::new("iru.activity")
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
                timestamp_format: TimestampFormat::UnixMs,
                ..CustomDataset::new("my.ds")
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

    fn acme() -> CustomDataset {
        CustomDataset {
            dissect: Some(
                Dissector::new(
                    "%{ts} %{host} acmefw[%{pid}]: %{verdict} %{src}:%{sport} -> %{dst}:%{dport}",
                )
                .unwrap(),
            ),
            fields: vec![
                FieldMapping::new("src", "source.ip", Some("ip"), None).unwrap(),
                FieldMapping::new("sport", "source.port", Some("long"), None).unwrap(),
                FieldMapping::new("dst", "destination.ip", Some("ip"), None).unwrap(),
                FieldMapping::new("dport", "destination.port", Some("long"), None).unwrap(),
                FieldMapping::new("verdict", "event.action", None, None).unwrap(),
            ],
            static_fields: vec![
                ("observer.vendor".into(), "Acme".into()),
                ("event.severity".into(), Value::Int(3)),
            ],
            timestamp_field: Some("ts".into()),
            timestamp_format: TimestampFormat::parse("%Y-%m-%dT%H:%M:%S%z").unwrap(),
            ..CustomDataset::new("acme.firewall")
        }
    }

    fn try_run(ds: &CustomDataset, record: &str) -> Result<serde_json::Value, ParseError> {
        let mut parser = ds.compile().unwrap();
        let mut out = Vec::new();
        parser.parse(record, &mut |e| e.write_json(&mut out))?;
        Ok(serde_json::from_slice(&out).expect("valid JSON"))
    }

    #[test]
    fn dissected_lines_map_keys_into_ecs_fields() {
        let line = "2024-03-01T10:00:00+0100 fw1 acmefw[42]: DENY 10.0.0.1:5000 -> 10.0.0.2:443";
        let v = run(&acme(), &format!("{line}\r"));
        assert_eq!(
            v,
            serde_json::json!({
                "@timestamp": "2024-03-01T09:00:00.000Z",
                "acme": {"firewall": {"ts": "2024-03-01T10:00:00+0100", "host": "fw1", "pid": "42"}},
                "message": line,
                "event": {"action": "DENY", "severity": 3},
                "observer": {"vendor": "Acme"},
                "source": {"ip": "10.0.0.1", "port": 5000},
                "destination": {"ip": "10.0.0.2", "port": 443},
            })
        );
    }

    #[test]
    fn a_failed_conversion_keeps_the_raw_value_and_says_why() {
        let v = run(
            &acme(),
            "2024-03-01T10:00:00Z fw1 acmefw[42]: DENY 10.0.0.1:http -> not-an-ip:443",
        );
        assert_eq!(v["acme"]["firewall"]["sport"], "http");
        assert_eq!(v["acme"]["firewall"]["dst"], "not-an-ip");
        assert!(v["source"].get("port").is_none());
        assert_eq!(v["source"]["ip"], "10.0.0.1");
        assert_eq!(v["destination"]["port"], 443);
        assert_eq!(
            v["error"]["message"],
            serde_json::json!([
                "acme.firewall: field `sport`: cannot convert `http` to long",
                "acme.firewall: field `dst`: cannot convert `not-an-ip` to ip",
            ])
        );
    }

    #[test]
    fn a_bad_timestamp_key_sets_an_error_and_keeps_the_event() {
        let v = run(
            &acme(),
            "yesterday fw1 acmefw[42]: DENY 10.0.0.1:1 -> 10.0.0.2:2",
        );
        assert!(v.get("@timestamp").is_none());
        assert_eq!(v["acme"]["firewall"]["ts"], "yesterday");
        assert_eq!(
            v["error"]["message"],
            "acme.firewall: field `ts` is not a %Y-%m-%dT%H:%M:%S%z timestamp"
        );
    }

    #[test]
    fn a_line_that_does_not_match_is_a_parse_error() {
        let line = "2024-03-01T10:00:00Z fw1 otherd: hello";
        let err = try_run(&acme(), line).unwrap_err();
        assert_eq!(
            err.to_string(),
            "acme.firewall: line does not match the dissect pattern: \
             delimiter ` acmefw[` after %{host} not found from byte 21"
        );
        let mut out = Vec::new();
        crate::error_event(line, &err).write_json(&mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["event"]["original"], line);
    }

    #[test]
    fn empty_values_are_not_mapped_and_unmapped_keys_keep_them() {
        let ds = CustomDataset {
            dissect: Some(Dissector::new("%{a},%{b},%{c}").unwrap()),
            fields: vec![FieldMapping::new("b", "x.count", Some("long"), None).unwrap()],
            ..CustomDataset::new("app.csv")
        };
        let v = run(&ds, "1,,");
        assert_eq!(
            v,
            serde_json::json!({"app": {"csv": {"a": "1", "c": ""}}, "message": "1,,"})
        );
    }

    #[test]
    fn appended_keys_and_reference_pairs_land_under_the_dataset_name() {
        let ds = CustomDataset {
            dissect: Some(
                Dissector::new("%{+when} %{+when} %{+when} %{*k}=%{&k} %{msg}")
                    .unwrap()
                    .append_separator(" "),
            ),
            fields: vec![FieldMapping::new(
                "when",
                "event.created",
                Some("date"),
                Some("%b %d %Y"),
            )
            .unwrap()],
            ..CustomDataset::new("app.kv")
        };
        let v = run(&ds, "Mar 05 2024 user=ann logged in");
        assert_eq!(
            v["app"]["kv"],
            serde_json::json!({"user": "ann", "msg": "logged in"})
        );
        assert_eq!(v["event"]["created"], "2024-03-05T00:00:00.000Z");
        let err = try_run(&ds, "Mar 05 2024 msg=x y").unwrap_err();
        assert!(err.reason.contains("reference key name `msg`"), "{err}");
    }

    #[test]
    fn json_records_map_nested_paths() {
        let ds = CustomDataset {
            parse_json: true,
            fields: vec![
                FieldMapping::new("client.addr", "source.ip", Some("ip"), None).unwrap(),
                FieldMapping::new("client", "related.client", None, None).unwrap(),
                FieldMapping::new("n", "x.n", Some("long"), None).unwrap(),
                FieldMapping::new("ok", "x.ok", Some("boolean"), None).unwrap(),
                FieldMapping::new("missing.path", "x.m", None, None).unwrap(),
            ],
            static_fields: vec![("observer.vendor".into(), "Iru".into())],
            timestamp_field: Some("client.at".into()),
            timestamp_format: TimestampFormat::Unix,
            ..CustomDataset::new("iru.activity")
        };
        let record = r#"{"n":"12","client":{"addr":"10.1.2.3","at":5},"ok":"True"}"#;
        let v = run(&ds, record);
        assert_eq!(v["source"]["ip"], "10.1.2.3");
        assert_eq!(
            v["related"]["client"],
            serde_json::json!({"addr": "10.1.2.3", "at": 5})
        );
        assert_eq!(v["x"], serde_json::json!({"n": 12, "ok": true}));
        assert_eq!(v["@timestamp"], "1970-01-01T00:00:05.000Z");
        assert_eq!(v["observer"]["vendor"], "Iru");
        assert_eq!(v["iru"]["activity"]["n"], "12");
        let v = run(&ds, r#"{"n":"twelve","client":{"addr":"10.1.2.3","at":5}}"#);
        assert_eq!(
            v["error"]["message"],
            "iru.activity: field `n`: cannot convert `twelve` to long"
        );
        assert!(v["x"].get("n").is_none());
        assert_eq!(v["iru"]["activity"]["n"], "twelve");
    }

    #[test]
    fn configuration_mistakes_are_reported_with_their_option() {
        let message = |ds: &CustomDataset| ds.compile().unwrap_err().to_string();
        let mut ds = acme();
        ds.fields[1].from = "port".into();
        assert!(
            message(&ds).contains("`fields[1].from`"),
            "{}",
            message(&ds)
        );
        assert!(message(&ds).contains("not a key of the dissect pattern (keys: ts, host, pid"));
        let mut ds = acme();
        ds.timestamp_field = Some("time".into());
        assert!(message(&ds).contains("`timestamp_field`"));
        let mut ds = acme();
        ds.parse_json = true;
        assert!(message(&ds).contains("cannot be combined with parse_json"));
        let mut ds = acme();
        ds.static_fields.push(("source".into(), "x".into()));
        assert!(
            message(&ds).contains("cannot be set inside `source` (static)"),
            "{}",
            message(&ds)
        );
        let mut ds = acme();
        ds.fields[4].to = "source.ip".into();
        assert!(
            message(&ds).contains("`source.ip` is set twice"),
            "{}",
            message(&ds)
        );
        let mut ds = acme();
        ds.fields[0].to = "source..ip".into();
        assert!(message(&ds).contains("`fields[0].to`"));
        let ds = CustomDataset {
            dissect: Some(Dissector::new("%{a} %{a.b}").unwrap()),
            ..CustomDataset::new("x.y")
        };
        assert!(message(&ds).contains("`x.y.a.b`"), "{}", message(&ds));
        let ds = CustomDataset {
            fields: vec![FieldMapping::new("a", "b", None, None).unwrap()],
            ..CustomDataset::new("x.y")
        };
        assert!(message(&ds).contains("need parse_json or a dissect pattern"));
        let ds = CustomDataset {
            parse_json: true,
            fields: vec![FieldMapping::new("a", "x.y.z", None, None).unwrap()],
            ..CustomDataset::new("x.y")
        };
        assert!(
            message(&ds).contains("cannot be set inside `x.y`"),
            "{}",
            message(&ds)
        );
        // An unchecked, invalid dataset still parses nothing silently.
        let mut parser = ds.build();
        let err = parser.parse("{}", &mut |_| {}).unwrap_err();
        assert!(err.reason.contains("cannot be set inside"), "{err}");
    }

    #[test]
    fn dissect_from_options() {
        let mut o = Options::new();
        o.insert("dissect".into(), "%{+a} %{+a} %{b}".into());
        o.insert("append_separator".into(), "-".into());
        o.insert("timestamp_field".into(), "b".into());
        o.insert("timestamp_format".into(), "unix".into());
        let ds = CustomDataset::from_options("my.lines", &o).unwrap();
        let v = run(&ds, "x y 5");
        assert_eq!(v["my"]["lines"]["a"], "x-y");
        assert_eq!(v["@timestamp"], "1970-01-01T00:00:05.000Z");
        o.insert("dissect".into(), "%{a}%{b}".into());
        let err = CustomDataset::from_options("my.lines", &o)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("option `dissect`") && err.contains("column 5"),
            "{err}"
        );
        o.remove("dissect");
        assert!(CustomDataset::from_options("my.lines", &o).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn arbitrary_lines_through_a_dissect_dataset_never_panic(line in r"[ -~é\[\]:>]{0,80}") {
            let mut parser = acme().compile().unwrap();
            let _ = parser.parse(&line, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                serde_json::from_slice::<IgnoredAny>(&out).expect("valid JSON");
            });
        }
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
