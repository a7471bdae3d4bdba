//! Conversions of text values to typed field values, for user-defined field
//! mappings (`fields: [{from, to, type, format}]`).
//!
//! The rules follow Elasticsearch's `convert` processor, so a mapping
//! behaves here as it would in an ingest pipeline:
//!
//! | type | accepts | gives |
//! |---|---|---|
//! | `keyword` (`string`) | anything | the text, unchanged |
//! | `long`, `integer` | an optional sign and decimal digits; `0x…`/`-0x…` hexadecimal; no spaces | [`Value::Int`] (`integer`: 32-bit range) |
//! | `double` (`float`) | a decimal number, optional exponent, surrounding spaces ignored | [`Value::Float`]; `NaN` and infinities are refused (JSON has no such numbers) |
//! | `boolean` | `true` or `false`, any case | [`Value::Bool`] |
//! | `ip` | an IPv4 or IPv6 address | the text, unchanged |
//! | `date` | a timestamp in the mapping's `format` ([`TimestampFormat`], RFC 3339 by default) | [`Value::Time`] |
//!
//! ```
//! use loglift_parsers::convert::Conversion;
//! use loglift_parsers::Value;
//! let long = Conversion::parse("long", None).unwrap();
//! assert_eq!(long.convert("0x1F").unwrap(), Value::Int(31));
//! assert!(long.convert("12 ").is_err());
//! let date = Conversion::parse("date", Some("%d/%b/%Y:%H:%M:%S %z")).unwrap();
//! assert_eq!(date.convert("06/Feb/2019:00:00:38 +0000").unwrap().kind(), loglift_parsers::event::ValueKind::Time);
//! ```

use std::fmt;
use std::net::IpAddr;

use crate::json_record::TimestampFormat;
use crate::Value;

/// A target type for a field mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversion {
    /// Text, unchanged.
    Keyword,
    /// A 64-bit signed integer.
    Long,
    /// A 32-bit signed integer.
    Integer,
    /// A 64-bit float.
    Double,
    /// `true` or `false`.
    Boolean,
    /// An IPv4 or IPv6 address (kept as text).
    Ip,
    /// An instant, read with the given format.
    Date(TimestampFormat),
}

/// Why a value could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert `{value}` to {target}")]
pub struct ConvertError {
    /// The value (cut to 64 characters).
    pub value: String,
    /// The target, as configured (`long`, `date (rfc3339)`).
    pub target: String,
}

impl Conversion {
    /// The type names accepted by [`Conversion::parse`].
    pub const NAMES: &'static str =
        "keyword, string, long, integer, double, float, boolean, ip, date";

    /// Reads a type name from configuration, with the `format` option that
    /// only `date` takes.
    pub fn parse(type_name: &str, format: Option<&str>) -> Result<Self, String> {
        let conversion = match type_name {
            "keyword" | "string" => Conversion::Keyword,
            "long" => Conversion::Long,
            "integer" => Conversion::Integer,
            "double" | "float" => Conversion::Double,
            "boolean" => Conversion::Boolean,
            "ip" => Conversion::Ip,
            "date" => {
                return Ok(Conversion::Date(match format {
                    Some(f) => TimestampFormat::parse(f)?,
                    None => TimestampFormat::Rfc3339,
                }))
            }
            other => return Err(format!("unknown type `{other}` (known: {})", Self::NAMES)),
        };
        match format {
            Some(_) => Err(format!("`format` applies to type date, not {type_name}")),
            None => Ok(conversion),
        }
    }

    /// Converts `value`; text results borrow from it.
    pub fn convert<'a>(&self, value: &'a str) -> Result<Value<'a>, ConvertError> {
        let converted = match self {
            Conversion::Keyword => Some(Value::from(value)),
            Conversion::Long => parse_long(value).map(Value::Int),
            Conversion::Integer => parse_long(value)
                .filter(|n| i32::try_from(*n).is_ok())
                .map(Value::Int),
            Conversion::Double => parse_double(value).map(Value::Float),
            Conversion::Boolean => {
                if value.eq_ignore_ascii_case("true") {
                    Some(Value::Bool(true))
                } else if value.eq_ignore_ascii_case("false") {
                    Some(Value::Bool(false))
                } else {
                    None
                }
            }
            Conversion::Ip => value.parse::<IpAddr>().ok().map(|_| Value::from(value)),
            Conversion::Date(format) => format.parse_str(value).map(Value::Time),
        };
        converted.ok_or_else(|| ConvertError {
            value: value.chars().take(64).collect(),
            target: self.to_string(),
        })
    }
}

impl fmt::Display for Conversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conversion::Keyword => f.write_str("keyword"),
            Conversion::Long => f.write_str("long"),
            Conversion::Integer => f.write_str("integer"),
            Conversion::Double => f.write_str("double"),
            Conversion::Boolean => f.write_str("boolean"),
            Conversion::Ip => f.write_str("ip"),
            Conversion::Date(format) => write!(f, "date ({format})"),
        }
    }
}

/// Java's `Long.parseLong`, or `Long.decode` for `0x`/`-0x` hexadecimal, as
/// Elasticsearch's convert processor uses them.
fn parse_long(s: &str) -> Option<i64> {
    let (negative, hex) = if let Some(hex) = s.strip_prefix("0x") {
        (false, hex)
    } else if let Some(hex) = s.strip_prefix("-0x") {
        (true, hex)
    } else {
        return s.parse().ok();
    };
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // Parsed with its sign, so that -0x8000000000000000 fits.
    let signed = if negative {
        format!("-{hex}")
    } else {
        hex.to_owned()
    };
    i64::from_str_radix(&signed, 16).ok()
}

/// A finite decimal number, surrounding whitespace ignored (as Java's
/// `Double.parseDouble`); `NaN` and `Infinity` refused.
fn parse_double(s: &str) -> Option<f64> {
    let s = s.trim_matches(|c: char| c <= ' ');
    let numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !numeric {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert<'a>(ty: &str, v: &'a str) -> Result<Value<'a>, ConvertError> {
        Conversion::parse(ty, None).unwrap().convert(v)
    }

    #[test]
    fn longs_take_a_sign_and_digits_or_lowercase_hex() {
        assert_eq!(convert("long", "42"), Ok(Value::Int(42)));
        assert_eq!(convert("long", "-42"), Ok(Value::Int(-42)));
        assert_eq!(convert("long", "+42"), Ok(Value::Int(42)));
        assert_eq!(convert("long", "0x1F"), Ok(Value::Int(31)));
        assert_eq!(convert("long", "-0xff"), Ok(Value::Int(-255)));
        assert_eq!(
            convert("long", "-0x8000000000000000"),
            Ok(Value::Int(i64::MIN))
        );
        assert_eq!(
            convert("long", "9223372036854775807"),
            Ok(Value::Int(i64::MAX))
        );
        for bad in [
            "",
            "-",
            " 1",
            "1 ",
            "1.0",
            "1e3",
            "0X1F",
            "+0x1F",
            "0x",
            "0x-1",
            "0x+1",
            "0xg",
            "9223372036854775808",
            "0x8000000000000000",
            "abc",
        ] {
            assert!(convert("long", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn integers_are_longs_in_the_32_bit_range() {
        assert_eq!(convert("integer", "2147483647"), Ok(Value::Int(2147483647)));
        assert_eq!(
            convert("integer", "-0x80000000"),
            Ok(Value::Int(-2147483648))
        );
        assert!(convert("integer", "2147483648").is_err());
    }

    #[test]
    fn doubles_are_finite_decimals() {
        assert_eq!(convert("double", "242.15"), Ok(Value::Float(242.15)));
        assert_eq!(convert("double", " -1.5e3 "), Ok(Value::Float(-1500.0)));
        assert_eq!(convert("double", "7"), Ok(Value::Float(7.0)));
        assert_eq!(convert("float", ".5"), Ok(Value::Float(0.5)));
        for bad in [
            "", "NaN", "Infinity", "inf", "1,5", "1.5.1", "0x10", "1e999", "one",
        ] {
            assert!(convert("double", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn booleans_are_true_or_false_in_any_case() {
        assert_eq!(convert("boolean", "true"), Ok(Value::Bool(true)));
        assert_eq!(convert("boolean", "FALSE"), Ok(Value::Bool(false)));
        assert_eq!(convert("boolean", "TrUe"), Ok(Value::Bool(true)));
        for bad in ["", "yes", "1", "t", " true"] {
            assert!(convert("boolean", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ips_are_validated_and_kept_as_written() {
        for ok in [
            "10.0.0.1",
            "::1",
            "2001:db8::8a2e:370:7334",
            "::ffff:192.0.2.1",
        ] {
            assert_eq!(convert("ip", ok), Ok(Value::from(ok)), "{ok}");
        }
        for bad in [
            "",
            "10.0.0",
            "10.0.0.256",
            "01.2.3.4",
            "[::1]",
            "1.2.3.4:80",
            "host",
        ] {
            assert!(convert("ip", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keywords_borrow_the_text() {
        let v = convert("keyword", "any thing").unwrap();
        assert!(matches!(
            v,
            Value::Str(std::borrow::Cow::Borrowed("any thing"))
        ));
        assert_eq!(convert("string", ""), Ok(Value::from("")));
    }

    #[test]
    fn dates_use_the_mapping_format() {
        let rfc = convert("date", "2024-03-01T10:00:00+01:00").unwrap();
        assert_eq!(
            rfc,
            Value::Time(crate::Timestamp::from_unix_seconds(1_709_283_600))
        );
        let unix = Conversion::parse("date", Some("unix_ms")).unwrap();
        assert_eq!(
            unix.convert("1687241470123").unwrap(),
            Value::Time(crate::Timestamp::from_unix_millis(1_687_241_470_123))
        );
        let err = convert("date", "yesterday").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot convert `yesterday` to date (rfc3339)"
        );
    }

    #[test]
    fn reads_type_names_and_formats() {
        assert_eq!(Conversion::parse("float", None), Ok(Conversion::Double));
        assert!(Conversion::parse("long", Some("unix"))
            .unwrap_err()
            .contains("format"));
        assert!(Conversion::parse("date", Some("%Q")).is_err());
        assert!(Conversion::parse("text", None)
            .unwrap_err()
            .contains("unknown type `text`"));
    }

    #[test]
    fn errors_cut_long_values() {
        let long = "9".repeat(200);
        let err = convert("long", &long).unwrap_err();
        assert_eq!(err.value.len(), 64);
    }
}
