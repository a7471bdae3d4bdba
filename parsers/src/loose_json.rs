//! Helpers for JSON log records whose members are loosely typed (a port
//! written as `"443"` in one log type and `443` in another) or free-form
//! (WAF rule lists, DNS answers), shared by the JSON datasets.
//!
//! Loosely typed members are read as borrowed [`RawValue`]s and interpreted
//! here; free-form members are rewritten once into normalized JSON: members
//! that Elastic's pipelines drop (`null`, empty strings, empty containers,
//! optionally `-`) removed, object keys in byte order so equal values always
//! serialize the same way.
//!
//! The record itself is read with [`object`] (one JSON object a record,
//! borrowed) or [`value`] (a whole `serde_json::Value` tree), which word
//! their errors alike for every dataset.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::write_str;
use crate::json_record::JsonStr;
use crate::ParseError;

/// The error for a record that is not valid JSON: `invalid <what> JSON: …`,
/// `what` naming the record (`"WAF log"`, `"GuardDuty finding"`).
pub(crate) fn invalid(dataset: &'static str, what: &str, e: &serde_json::Error) -> ParseError {
    ParseError::new(dataset, format!("invalid {what} JSON: {e}"))
}

/// `record`, one JSON object (ASCII white space around it allowed),
/// deserialized into `T`, borrowing from the record. A record that does not
/// start with `{` is refused as `record is not a JSON object (a <what>
/// record)`; invalid JSON as [`invalid`].
pub(crate) fn object<'a, T: Deserialize<'a>>(
    dataset: &'static str,
    what: &str,
    record: &'a str,
) -> Result<T, ParseError> {
    let json = record.trim_matches(|c: char| c.is_ascii_whitespace());
    if !json.starts_with('{') {
        return Err(ParseError::new(
            dataset,
            format!("record is not a JSON object (a {what} record)"),
        ));
    }
    serde_json::from_str(json).map_err(|e| invalid(dataset, what, &e))
}

/// `record` (white space around it allowed) read as a JSON value of any
/// type; invalid JSON is refused as [`invalid`].
pub(crate) fn value(
    dataset: &'static str,
    what: &str,
    record: &str,
) -> Result<serde_json::Value, ParseError> {
    serde_json::from_str(record.trim()).map_err(|e| invalid(dataset, what, &e))
}

/// A string member unless it is absent or empty.
pub(crate) fn non_empty(s: Option<JsonStr<'_>>) -> Option<Cow<'_, str>> {
    s.map(|s| s.0).filter(|s| !s.is_empty())
}

/// A string member unless it is absent, empty or `-` (which AWS logs write
/// for "no value").
pub(crate) fn present(s: Option<JsonStr<'_>>) -> Option<Cow<'_, str>> {
    non_empty(s).filter(|s| s != "-")
}

/// The text of a JSON string (unescaped; borrowed when it held no escapes), or
/// the literal of a number or boolean. `None` for `null`, objects and arrays.
pub(crate) fn text(raw: &RawValue) -> Option<Cow<'_, str>> {
    let literal = raw.get().trim();
    match literal.as_bytes().first()? {
        b'"' => serde_json::from_str::<JsonStr<'_>>(literal)
            .ok()
            .map(|s| s.0),
        b'-' | b'0'..=b'9' | b't' | b'f' if literal != "null" => Some(Cow::Borrowed(literal)),
        _ => None,
    }
}

/// The text of a JSON string or number, `None` when empty.
pub(crate) fn non_empty_text(raw: &RawValue) -> Option<Cow<'_, str>> {
    text(raw).filter(|s| !s.is_empty())
}

/// An integer written as a JSON number or as a numeric string.
pub(crate) fn int(raw: &RawValue) -> Option<i64> {
    let s = text(raw)?;
    let s = s.trim();
    s.parse::<i64>().ok().or_else(|| {
        // `443.0` and `1.6e9` spellings of whole numbers.
        let f: f64 = s.parse().ok()?;
        (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

/// Which members [`normalize`] removes, besides `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prune {
    /// Remove empty strings and empty objects and arrays too.
    pub(crate) empty: bool,
    /// Remove the string `-` too.
    pub(crate) dash: bool,
    /// Apply the same rules to array elements (else only to object members).
    pub(crate) in_arrays: bool,
}

impl Prune {
    fn drops(self, v: &serde_json::Value) -> bool {
        use serde_json::Value as V;
        match v {
            V::Null => true,
            V::String(s) => (self.empty && s.is_empty()) || (self.dash && s == "-"),
            V::Array(a) => self.empty && a.is_empty(),
            V::Object(o) => self.empty && o.is_empty(),
            _ => false,
        }
    }

    /// Prunes `v`'s children, deepest first, so a container emptied by the
    /// pruning is itself dropped by its parent (as Elastic's scripts do).
    fn apply(self, v: &mut serde_json::Value) {
        use serde_json::Value as V;
        match v {
            V::Array(items) => {
                items.iter_mut().for_each(|i| self.apply(i));
                if self.in_arrays {
                    items.retain(|i| !self.drops(i));
                }
            }
            V::Object(members) => {
                members.values_mut().for_each(|m| self.apply(m));
                members.retain(|_, m| !self.drops(m));
            }
            _ => {}
        }
    }
}

/// `value` with `prune` applied; `None` when nothing is left (the value
/// itself is pruned).
pub(crate) fn pruned(mut value: serde_json::Value, prune: Prune) -> Option<serde_json::Value> {
    prune.apply(&mut value);
    (!prune.drops(&value)).then_some(value)
}

/// `raw` rewritten as compact JSON with `prune` applied and object keys in
/// byte order; `None` when nothing is left (the value itself is pruned) or
/// the value is not valid JSON.
pub(crate) fn normalize(raw: &RawValue, prune: Prune) -> Option<String> {
    let value = pruned(serde_json::from_str(raw.get()).ok()?, prune)?;
    let mut out = Vec::with_capacity(raw.get().len());
    write_sorted(&value, &mut out);
    String::from_utf8(out).ok()
}

/// Writes `v` as compact JSON, object keys in byte order.
pub(crate) fn write_sorted(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value as V;
    match v {
        V::Null => out.extend_from_slice(b"null"),
        V::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        V::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        V::String(s) => write_str(out, s),
        V::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        V::Object(members) => {
            let mut keys: Vec<&String> = members.keys().collect();
            keys.sort_unstable();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_sorted(&members[k], out);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> &RawValue {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn reads_strings_and_numbers_alike() {
        assert_eq!(text(raw(r#""a\"b""#)).as_deref(), Some("a\"b"));
        assert_eq!(text(raw("12")).as_deref(), Some("12"));
        assert_eq!(text(raw("null")), None);
        assert_eq!(text(raw("[1]")), None);
        assert_eq!(int(raw(r#""56067""#)), Some(56067));
        assert_eq!(int(raw("443")), Some(443));
        assert_eq!(int(raw("443.0")), Some(443));
        assert_eq!(int(raw(r#""x""#)), None);
    }

    #[test]
    fn normalizes_sorting_keys_and_pruning_deepest_first() {
        let all = Prune {
            empty: true,
            dash: true,
            in_arrays: false,
        };
        let r = raw(r#"[{"b":null,"a":{"x":"","y":[]},"c":"-","d":[null,""]}]"#);
        assert_eq!(normalize(r, all).as_deref(), Some(r#"[{"d":[null,""]}]"#));
        let arrays = Prune {
            in_arrays: true,
            ..all
        };
        assert_eq!(normalize(r, arrays), None);
        assert_eq!(
            normalize(
                raw(r#"{"z":1,"a":null,"m":""}"#),
                Prune {
                    empty: false,
                    dash: false,
                    in_arrays: false
                }
            )
            .as_deref(),
            Some(r#"{"m":"","z":1}"#)
        );
    }
}
