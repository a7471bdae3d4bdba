//! What every fuzz target checks: no input makes a parser panic, and every
//! event it yields (error events included) serializes to valid JSON.

use loglift_parsers::{dataset, error_event, Event, Options, Parser};

/// Asserts that `event` serializes to valid JSON (a grammar check: raw JSON
/// passed through verbatim may hold lone surrogate escapes such as
/// `"\ud800"`, which RFC 8259 allows and `serde_json::Value` refuses).
pub fn check_json(event: &Event<'_>, out: &mut Vec<u8>) {
    out.clear();
    event.write_json(out);
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(out) {
        panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(out));
    }
}

/// The built-in parser of `name`, built with `options`; `None` when the
/// options are refused.
pub fn parser(name: &str, options: &Options) -> Option<Box<dyn Parser>> {
    dataset(name)
        .expect("a built-in dataset")
        .build(options)
        .ok()
}

/// Feeds each of `records` to `parser`, as the framing would: every event
/// and every error event must serialize to valid JSON.
pub fn parse_all<'a>(parser: &mut dyn Parser, records: impl IntoIterator<Item = &'a str>) {
    let mut out = Vec::new();
    for record in records {
        let mut check = |event: Event<'_>| check_json(&event, &mut out);
        if let Err(error) = parser.parse(record, &mut check) {
            check(error_event(record, &error));
        }
    }
}

/// Fuzzes the line-framed dataset `name` with default options: `data` as
/// lossy UTF-8, split into lines.
pub fn fuzz_lines(name: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parser = parser(name, &Options::new()).expect("default options");
    parse_all(parser.as_mut(), text.split('\n'));
}

/// Fuzzes the JSON dataset `name` with default options: `data` as lossy
/// UTF-8, one record.
pub fn fuzz_record(name: &str, data: &[u8]) {
    fuzz_record_with(name, &Options::new(), data);
}

/// [`fuzz_record`] with `options`.
pub fn fuzz_record_with(name: &str, options: &Options, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parser = parser(name, options).expect("valid options");
    parse_all(parser.as_mut(), [text.as_ref()]);
}
