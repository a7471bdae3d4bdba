//! Field mappings of user-defined datasets: copying a record's values into
//! ECS fields, converted ([`Conversion`]), and checking that the fields a
//! dataset sets can all live in one nested event.
//!
//! A value that fails its conversion is not lost: the dataset keeps the raw
//! value under its own name and adds `error.message` saying which field
//! could not be converted. This is Elasticsearch's `convert` processor with
//! `ignore_failure: false`, except that the event is kept instead of failing
//! the whole document. Empty strings and JSON nulls are missing values: they
//! are not mapped (as `ignore_missing` does) and raise no error.

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::convert::Conversion;
use crate::json_record::JsonStr;
use crate::{Event, Value};

/// One entry of a dataset's `fields:` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMapping {
    /// Where the value comes from: a key of the dissect pattern, or a dotted
    /// path into the record's JSON object (`user.id`).
    pub from: String,
    /// The field it goes to (`source.ip`).
    pub to: String,
    /// The conversion; `None` copies the value as it is (text from a dissect
    /// key; any JSON value, objects included, from a JSON record).
    pub convert: Option<Conversion>,
}

impl FieldMapping {
    /// A mapping read from configuration: `type` and `format` as in
    /// [`Conversion::parse`] (no `type` copies the value).
    pub fn new(
        from: impl Into<String>,
        to: impl Into<String>,
        type_name: Option<&str>,
        format: Option<&str>,
    ) -> Result<Self, String> {
        let convert = match (type_name, format) {
            (Some(t), f) => Some(Conversion::parse(t, f)?),
            (None, Some(_)) => return Err("`format` needs `type: date`".into()),
            (None, None) => None,
        };
        Ok(FieldMapping {
            from: from.into(),
            to: to.into(),
            convert,
        })
    }
}

/// Whether `path` is a dotted field path with a name between every two dots.
pub(crate) fn is_field_path(path: &str) -> bool {
    !path.is_empty() && !path.split('.').any(str::is_empty)
}

/// Finds two fields of `names` that cannot both be set: the same name, or
/// one inside the other (`source` and `source.ip`). Each name comes with a
/// description of where it is set, for the message.
pub(crate) fn find_conflict(names: &mut [(String, String)]) -> Option<String> {
    // Sorted with `.` first, a name is directly followed by the names inside it.
    names.sort_by(|a, b| a.0.bytes().map(dot_first).cmp(b.0.bytes().map(dot_first)));
    names.windows(2).find_map(|pair| {
        let ((a, where_a), (b, where_b)) = (&pair[0], &pair[1]);
        if a == b {
            Some(format!("`{a}` is set twice ({where_a} and {where_b})"))
        } else if b.starts_with(a.as_str()) && b.as_bytes()[a.len()] == b'.' {
            Some(format!(
                "`{b}` ({where_b}) cannot be set inside `{a}` ({where_a}), which holds a value"
            ))
        } else {
            None
        }
    })
}

fn dot_first(b: u8) -> u8 {
    if b == b'.' {
        0
    } else {
        b
    }
}

/// Converts a text value; the result borrows from the record when the text does.
pub(crate) fn convert_text<'a>(
    conversion: &Conversion,
    value: &Cow<'a, str>,
) -> Result<Value<'a>, String> {
    match value {
        Cow::Borrowed(s) => conversion.convert(s),
        Cow::Owned(s) => conversion.convert(s).map(Value::into_owned),
    }
    .map_err(|e| e.to_string())
}

/// The value a mapping takes from a JSON value: `Ok(None)` for a missing
/// value (null, empty string), an error when the conversion fails.
pub(crate) fn convert_json<'a>(
    conversion: Option<&Conversion>,
    raw: &'a RawValue,
) -> Result<Option<Value<'a>>, String> {
    let text = raw.get();
    match text.as_bytes().first() {
        None | Some(b'n') => Ok(None),
        Some(b'"') => {
            let JsonStr(s) =
                serde_json::from_str::<JsonStr<'a>>(text).map_err(|e| e.to_string())?;
            if s.is_empty() {
                return Ok(None);
            }
            match conversion {
                None => Ok(Some(Value::Str(s))),
                Some(c) => convert_text(c, &s).map(Some),
            }
        }
        Some(b'{') => match conversion {
            None => Ok(Some(Value::Json(Cow::Borrowed(text)))),
            Some(c) => Err(format!("cannot convert an object to {c}")),
        },
        Some(b'[') => match conversion {
            None => Ok(Some(Value::Json(Cow::Borrowed(text)))),
            // As Elasticsearch's convert: every element is converted.
            Some(c) => {
                let items: Vec<&'a RawValue> =
                    serde_json::from_str(text).map_err(|e| e.to_string())?;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if matches!(item.get().as_bytes().first(), Some(b'[' | b'{')) {
                        return Err(format!("cannot convert a nested array or object to {c}"));
                    }
                    if let Some(v) = convert_json(Some(c), item)? {
                        out.push(v);
                    }
                }
                Ok((!out.is_empty()).then_some(Value::List(out)))
            }
        },
        // A number or a boolean: its literal text.
        Some(_) => match conversion {
            None => Ok(Some(Value::Json(Cow::Borrowed(text)))),
            Some(Conversion::Date(format)) => format
                .parse_number(text)
                .map(|t| Some(Value::Time(t)))
                .ok_or_else(|| format!("cannot convert `{text}` to date ({format})")),
            Some(c) => convert_text(c, &Cow::Borrowed(text)).map(Some),
        },
    }
}

/// Adds `message` to the event's `error.message` (a list once there are several).
pub(crate) fn add_error(event: &mut Event<'_>, message: String) {
    match event.remove("error.message") {
        None => event.push("error.message", message),
        Some(Value::List(mut list)) => {
            list.push(message.into());
            event.push("error.message", Value::List(list));
        }
        Some(first) => event.push("error.message", Value::List(vec![first, message.into()])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> &RawValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn conflicts_are_duplicates_or_values_with_fields_inside() {
        let mut names = vec![
            ("source.port".to_string(), "fields[1].to".to_string()),
            ("source-x".to_string(), "static".to_string()),
            ("source".to_string(), "static".to_string()),
        ];
        assert_eq!(
            find_conflict(&mut names).unwrap(),
            "`source.port` (fields[1].to) cannot be set inside `source` (static), which holds a value"
        );
        let mut names = vec![
            ("a.b".to_string(), "x".to_string()),
            ("a.b".to_string(), "y".to_string()),
        ];
        assert!(find_conflict(&mut names).unwrap().contains("set twice"));
        let mut names = vec![
            ("a.b".to_string(), "x".to_string()),
            ("a.bc".to_string(), "y".to_string()),
            ("a-b.c".to_string(), "y".to_string()),
        ];
        assert_eq!(find_conflict(&mut names), None);
    }

    #[test]
    fn json_values_convert_by_kind() {
        let long = Conversion::Long;
        assert_eq!(
            convert_json(Some(&long), raw("42")),
            Ok(Some(Value::Int(42)))
        );
        assert_eq!(
            convert_json(Some(&long), raw(r#""0x10""#)),
            Ok(Some(Value::Int(16)))
        );
        assert_eq!(convert_json(Some(&long), raw("null")), Ok(None));
        assert_eq!(convert_json(Some(&long), raw(r#""""#)), Ok(None));
        assert!(convert_json(Some(&long), raw("1.5")).is_err());
        assert!(convert_json(Some(&long), raw(r#"{"a":1}"#)).is_err());
        assert_eq!(
            convert_json(Some(&long), raw(r#"["1", 2, null]"#)),
            Ok(Some(Value::List(vec![Value::Int(1), Value::Int(2)])))
        );
        assert!(convert_json(Some(&long), raw("[[1]]")).is_err());
        assert_eq!(
            convert_json(Some(&Conversion::Keyword), raw("true")),
            Ok(Some(Value::from("true")))
        );
        assert_eq!(
            convert_json(Some(&Conversion::Boolean), raw("true")),
            Ok(Some(Value::Bool(true)))
        );
        assert_eq!(
            convert_json(None, raw(r#"{"a": [1]}"#)),
            Ok(Some(Value::Json(Cow::Borrowed(r#"{"a": [1]}"#))))
        );
        assert_eq!(
            convert_json(None, raw(r#""a\"b""#)),
            Ok(Some(Value::from("a\"b")))
        );
        let date = Conversion::parse("date", Some("unix")).unwrap();
        assert_eq!(
            convert_json(Some(&date), raw("1.5")),
            Ok(Some(Value::Time(crate::Timestamp::from_unix_millis(1500))))
        );
    }

    #[test]
    fn errors_accumulate_in_a_list() {
        let mut e = Event::new();
        add_error(&mut e, "one".into());
        assert_eq!(e.get("error.message"), Some(&Value::from("one")));
        add_error(&mut e, "two".into());
        add_error(&mut e, "three".into());
        assert_eq!(
            e.get("error.message"),
            Some(&Value::List(vec![
                "one".into(),
                "two".into(),
                "three".into()
            ]))
        );
    }

    #[test]
    fn mappings_read_type_and_format() {
        let m = FieldMapping::new("ts", "event.created", Some("date"), Some("unix")).unwrap();
        assert!(matches!(m.convert, Some(Conversion::Date(_))));
        assert!(FieldMapping::new("a", "b", None, Some("unix")).is_err());
        assert!(FieldMapping::new("a", "b", Some("nope"), None).is_err());
        assert_eq!(
            FieldMapping::new("a", "b", None, None).unwrap().convert,
            None
        );
    }
}
