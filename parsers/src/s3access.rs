//! `aws.s3access`: Amazon S3 server access logs.
//!
//! One record per line, space-separated fields in a fixed order; a field AWS
//! has no value for is `-`. Three fields are quoted and may hold spaces (the
//! request line, the referrer, the user agent) and the time is bracketed:
//!
//! ```text
//! 79a59df9…f2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df9…f2be 3E57427F3EXAMPLE
//! REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -
//! s9lzHYrFp76ZVxRc…1234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com
//! TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1
//! ```
//!
//! The fields, in order (AWS has appended to this list over the years, so
//! older records simply stop earlier; at least the first ten are required,
//! and fields after the last known one are ignored):
//!
//! | # | field | emitted as |
//! |---|---|---|
//! | 1 | bucket owner | `aws.s3access.bucket_owner`, `related.user` |
//! | 2 | bucket | `aws.s3access.bucket` |
//! | 3 | time | `@timestamp` |
//! | 4 | remote IP | `aws.s3access.remote_ip`, `client.ip`, `client.address`, `related.ip` |
//! | 5 | requester (canonical id, IAM ARN, `svc:…` or `-`) | `aws.s3access.requester`, `client.user.id` |
//! | 6 | request id | `aws.s3access.request_id`, `event.id` |
//! | 7 | operation | `aws.s3access.operation`, `event.action` |
//! | 8 | key | `aws.s3access.key` |
//! | 9 | request URI | `aws.s3access.request_uri`, `http.request.method`, `url.*`, `http.version` |
//! | 10 | HTTP status | `aws.s3access.http_status`, `http.response.status_code` |
//! | 11 | error code | `aws.s3access.error_code`, `event.code`, `event.outcome` |
//! | 12 | bytes sent | `aws.s3access.bytes_sent`, `http.response.body.bytes` |
//! | 13 | object size | `aws.s3access.object_size` |
//! | 14 | total time (ms) | `aws.s3access.total_time`, `event.duration` (ns) |
//! | 15 | turn-around time (ms) | `aws.s3access.turn_around_time` |
//! | 16 | referer | `aws.s3access.referrer`, `http.request.referrer` |
//! | 17 | user agent | `aws.s3access.user_agent`, `user_agent.*` |
//! | 18 | version id | `aws.s3access.version_id` |
//! | 19 | host id | `aws.s3access.host_id` |
//! | 20 | signature version | `aws.s3access.signature_version` |
//! | 21 | cipher suite | `aws.s3access.cipher_suite`, `tls.cipher` |
//! | 22 | authentication type | `aws.s3access.authentication_type` |
//! | 23 | host header | `aws.s3access.host_header`, `cloud.region` |
//! | 24 | TLS version | `aws.s3access.tls_version`, `tls.version`, `tls.version_protocol` |
//! | 25 | access point ARN | `aws.s3access.access_point_arn` |
//! | 26 | ACL required | `aws.s3access.acl_required` (`true` when `Yes`) |
//! | 27 | source region | `aws.s3access.source_region` |
//!
//! Field names and derived ECS fields follow Elastic's AWS integration;
//! where it is wrong (the region of `s3.amazonaws.com` comes out as
//! `amazonaws`) this parser leaves the field out, see `fields/aws.s3access.yml`.
//!
//! The record is split by hand over bytes and every value borrows from it;
//! only percent-decoded URL parts and user-agent strings that need joining
//! allocate.

use std::borrow::Cow;
use std::net::IpAddr;

use memchr::{memchr, memchr_iter};

use crate::time::Timestamp;
use crate::{user_agent, Event, OptionError, Options, ParseError, Parser, Value};

/// Dataset name.
pub const DATASET: &str = "aws.s3access";
/// Options this dataset accepts (comma separated): none.
pub const OPTIONS: &str = "";

/// Fewest fields a record may have (through the HTTP status).
const MIN_FIELDS: usize = 10;

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    crate::build_default::<S3AccessParser>(DATASET, options)
}

/// Parses S3 server access log lines; remembers recent user agents.
#[derive(Debug, Default)]
pub struct S3AccessParser {
    agents: user_agent::Cache,
}

impl Parser for S3AccessParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let line = record.trim_end_matches([' ', '\r', '\n', '\t']);
        if line.trim_start().is_empty() {
            return Ok(());
        }
        let record = Record::split(line).map_err(|reason| ParseError::new(DATASET, reason))?;
        emit(record.into_event(&mut self.agents)?);
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(S3AccessParser::default()))
    }
}

/// The raw fields of one record, borrowed; `None` past the end of a short record.
#[derive(Debug, Default)]
struct Record<'a> {
    bucket_owner: &'a str,
    bucket: &'a str,
    time: &'a str,
    remote_ip: &'a str,
    requester: &'a str,
    request_id: &'a str,
    operation: &'a str,
    key: &'a str,
    request_uri: &'a str,
    http_status: &'a str,
    tail: [Option<&'a str>; 17],
}

// Indexes into `Record::tail` (fields 11 to 27).
const ERROR_CODE: usize = 0;
const BYTES_SENT: usize = 1;
const OBJECT_SIZE: usize = 2;
const TOTAL_TIME: usize = 3;
const TURN_AROUND_TIME: usize = 4;
const REFERRER: usize = 5;
const USER_AGENT: usize = 6;
const VERSION_ID: usize = 7;
const HOST_ID: usize = 8;
const SIGNATURE_VERSION: usize = 9;
const CIPHER_SUITE: usize = 10;
const AUTHENTICATION_TYPE: usize = 11;
const HOST_HEADER: usize = 12;
const TLS_VERSION: usize = 13;
const ACCESS_POINT_ARN: usize = 14;
const ACL_REQUIRED: usize = 15;
const SOURCE_REGION: usize = 16;

/// A cursor over the fields of a line.
struct Fields<'a> {
    s: &'a str,
    pos: usize,
    count: usize,
}

impl<'a> Fields<'a> {
    fn skip_spaces(&mut self) {
        let b = self.s.as_bytes();
        while self.pos < b.len() && b[self.pos] == b' ' {
            self.pos += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_spaces();
        self.pos >= self.s.len()
    }

    /// The next space-delimited field.
    fn word(&mut self) -> Option<&'a str> {
        if self.at_end() {
            return None;
        }
        let b = self.s.as_bytes();
        let end = memchr(b' ', &b[self.pos..]).map_or(b.len(), |i| self.pos + i);
        let field = &self.s[self.pos..end];
        self.pos = end;
        self.count += 1;
        Some(field)
    }

    /// `[...]`: the text inside the brackets (it holds a space).
    fn bracketed(&mut self) -> Result<Option<&'a str>, String> {
        if self.at_end() {
            return Ok(None);
        }
        let b = self.s.as_bytes();
        if b[self.pos] != b'[' {
            return Ok(self.word());
        }
        let close = memchr(b']', &b[self.pos..]).ok_or("the time has no closing `]`")? + self.pos;
        let field = &self.s[self.pos + 1..close];
        self.pos = close + 1;
        self.count += 1;
        Ok(Some(field))
    }

    /// A field that is either `-` or `"…"` (which may hold spaces and quotes).
    /// `closing` picks the closing quote among the candidates: the quotes
    /// followed by a space or the end of the line, in order.
    fn quoted(
        &mut self,
        closing: impl Fn(&[usize], &[u8]) -> Option<usize>,
    ) -> Result<Option<&'a str>, String> {
        if self.at_end() {
            return Ok(None);
        }
        let b = self.s.as_bytes();
        if b[self.pos] != b'"' {
            return Ok(self.word());
        }
        let open = self.pos;
        let mut candidates = [0usize; 16];
        let mut n = 0;
        for i in memchr_iter(b'"', &b[open + 1..]).map(|i| open + 1 + i) {
            if matches!(b.get(i + 1), None | Some(b' ')) {
                candidates[n] = i;
                n += 1;
                if n == candidates.len() {
                    break;
                }
            }
        }
        let close = closing(&candidates[..n], b).ok_or("a quoted field has no closing quote")?;
        self.pos = close + 1;
        self.count += 1;
        Ok(Some(&self.s[open + 1..close]))
    }
}

/// The request line ends at the first quote followed by something that looks
/// like the HTTP status (`200 `, `- `), else at the first plausible quote.
fn request_uri_close(candidates: &[usize], b: &[u8]) -> Option<usize> {
    let looks_like_status = |i: usize| {
        let rest = b.get(i + 2..).unwrap_or(&[]);
        let n = rest
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'-')
            .count();
        n > 0 && matches!(rest.get(n), None | Some(b' '))
    };
    candidates
        .iter()
        .copied()
        .find(|&i| looks_like_status(i))
        .or_else(|| candidates.first().copied())
}

/// The referrer ends at the first quote followed by the user agent (`"…` or `-`).
fn referrer_close(candidates: &[usize], b: &[u8]) -> Option<usize> {
    let next_is_agent = |i: usize| matches!(b.get(i + 2), None | Some(b'"' | b'-'));
    candidates
        .iter()
        .copied()
        .find(|&i| next_is_agent(i))
        .or_else(|| candidates.first().copied())
}

/// The user agent may itself hold `" `; none of the ten fields that can
/// follow it holds a quote, so it ends at the first candidate quote after
/// which ten fields go by without one (a quoted field AWS might add later
/// would come after those).
fn user_agent_close(candidates: &[usize], b: &[u8]) -> Option<usize> {
    const FOLLOWING: usize = 10;
    let clean_after = |c: usize| {
        let rest = &b[c + 1..];
        let end = memchr_iter(b' ', rest).nth(FOLLOWING).unwrap_or(rest.len());
        memchr(b'"', &rest[..end]).is_none()
    };
    candidates
        .iter()
        .copied()
        .find(|&c| clean_after(c))
        .or_else(|| candidates.first().copied())
}

impl<'a> Record<'a> {
    fn split(line: &'a str) -> Result<Self, String> {
        let mut f = Fields {
            s: line,
            pos: 0,
            count: 0,
        };
        let short = |f: &Fields<'_>| {
            format!(
                "the record ends after {} fields; at least {MIN_FIELDS} are expected",
                f.count
            )
        };
        let mut r = Record::default();
        macro_rules! req {
            ($e:expr) => {
                match $e {
                    Some(v) => v,
                    None => return Err(short(&f)),
                }
            };
        }
        r.bucket_owner = req!(f.word());
        r.bucket = req!(f.word());
        r.time = req!(f.bracketed()?);
        r.remote_ip = req!(f.word());
        r.requester = req!(f.word());
        r.request_id = req!(f.word());
        r.operation = req!(f.word());
        r.key = req!(f.word());
        r.request_uri = req!(f.quoted(request_uri_close)?);
        r.http_status = req!(f.word());
        for (i, slot) in r.tail.iter_mut().enumerate() {
            *slot = match i {
                REFERRER => f.quoted(referrer_close)?,
                USER_AGENT => f.quoted(user_agent_close)?,
                _ => f.word(),
            };
            if slot.is_none() {
                break;
            }
        }
        Ok(r)
    }

    fn get(&self, i: usize) -> &'a str {
        self.tail[i].unwrap_or("-")
    }

    /// Converts the raw fields into the event. Fields are pushed in the
    /// order the serializer sorts them into (`.` before any other byte), so
    /// its sort finds one run instead of reordering ~50 entries.
    fn into_event(self, agents: &mut user_agent::Cache) -> Result<Event<'a>, ParseError> {
        let err = |reason: String| ParseError::new(DATASET, reason);
        let opt = |s: &'a str| is_value(s).then_some(s);

        let ts = Timestamp::parse_clf(self.time)
            .ok_or_else(|| err(format!("invalid time `{}`", self.time)))?;
        let status = number("http_status", self.http_status).map_err(err)?;
        let bytes_sent = number("bytes_sent", self.get(BYTES_SENT)).map_err(err)?;
        let object_size = number("object_size", self.get(OBJECT_SIZE)).map_err(err)?;
        let total_time = number("total_time", self.get(TOTAL_TIME)).map_err(err)?;
        let turn_around = number("turn_around_time", self.get(TURN_AROUND_TIME)).map_err(err)?;

        let bucket_owner = opt(self.bucket_owner);
        let remote_ip = opt(self.remote_ip).filter(|ip| ip.parse::<IpAddr>().is_ok());
        let requester = opt(self.requester);
        let request_id = opt(self.request_id);
        let operation = opt(self.operation);
        let request_uri = opt(self.request_uri);
        let error_code = opt(self.get(ERROR_CODE));
        let referrer = opt(self.get(REFERRER));
        let agent = opt(self.get(USER_AGENT));
        let cipher = opt(self.get(CIPHER_SUITE));
        let host = opt(self.get(HOST_HEADER));
        let tls = opt(self.get(TLS_VERSION));
        let request = request_uri.and_then(RequestLine::parse);

        let mut e = Event::new();
        e.push("@timestamp", ts);

        e.push_str("aws.s3access.access_point_arn", self.get(ACCESS_POINT_ARN));
        if self.get(ACL_REQUIRED).eq_ignore_ascii_case("yes") {
            e.push("aws.s3access.acl_required", true);
        }
        e.push_str(
            "aws.s3access.authentication_type",
            self.get(AUTHENTICATION_TYPE),
        );
        e.push_str("aws.s3access.bucket", self.bucket);
        e.push_str("aws.s3access.bucket_owner", self.bucket_owner);
        if let Some(n) = bytes_sent {
            e.push("aws.s3access.bytes_sent", n);
        }
        e.push_str("aws.s3access.cipher_suite", self.get(CIPHER_SUITE));
        e.push_str("aws.s3access.error_code", self.get(ERROR_CODE));
        e.push_str("aws.s3access.host_header", self.get(HOST_HEADER));
        e.push_str("aws.s3access.host_id", self.get(HOST_ID));
        if let Some(n) = status {
            e.push("aws.s3access.http_status", n);
        }
        e.push_str("aws.s3access.key", self.key);
        if let Some(n) = object_size {
            e.push("aws.s3access.object_size", n);
        }
        e.push_str("aws.s3access.operation", self.operation);
        e.push_str("aws.s3access.referrer", self.get(REFERRER));
        if let Some(ip) = remote_ip {
            e.push("aws.s3access.remote_ip", ip);
        }
        e.push_str("aws.s3access.request_id", self.request_id);
        e.push_str("aws.s3access.request_uri", self.request_uri);
        e.push_str("aws.s3access.requester", self.requester);
        e.push_str(
            "aws.s3access.signature_version",
            self.get(SIGNATURE_VERSION),
        );
        e.push_str("aws.s3access.source_region", self.get(SOURCE_REGION));
        e.push_str("aws.s3access.tls_version", self.get(TLS_VERSION));
        if let Some(n) = total_time {
            e.push("aws.s3access.total_time", n);
        }
        if let Some(n) = turn_around {
            e.push("aws.s3access.turn_around_time", n);
        }
        e.push_str("aws.s3access.user_agent", self.get(USER_AGENT));
        e.push_str("aws.s3access.version_id", self.get(VERSION_ID));

        if let Some(ip) = remote_ip {
            e.push("client.address", ip);
            e.push("client.ip", ip);
        }
        if let Some(r) = requester {
            e.push("client.user.id", r);
        }
        if let Some(region) = host.and_then(region_from_host) {
            e.push("cloud.region", region);
        }

        if let Some(op) = operation {
            e.push("event.action", op);
        }
        e.push("event.category", Value::List(vec![Value::from("web")]));
        if let Some(code) = error_code {
            e.push("event.code", code);
        }
        if let Some(ns) = total_time.and_then(|ms| ms.checked_mul(1_000_000)) {
            e.push("event.duration", ns);
        }
        if let Some(id) = request_id {
            e.push("event.id", id);
        }
        e.push(
            "event.outcome",
            if error_code.is_some() {
                "failure"
            } else {
                "success"
            },
        );
        e.push("event.type", Value::List(vec![Value::from("access")]));

        if let Some(r) = &request {
            e.push("http.request.method", r.method);
        }
        if let Some(r) = referrer {
            e.push("http.request.referrer", r);
        }
        if let Some(n) = bytes_sent {
            e.push("http.response.body.bytes", n);
        }
        if let Some(n) = status {
            e.push("http.response.status_code", n);
        }
        if let Some(v) = request.as_ref().and_then(|r| r.version) {
            e.push("http.version", v);
        }

        if let Some(ip) = remote_ip {
            e.push("related.ip", Value::List(vec![Value::from(ip)]));
        }
        if let Some(owner) = bucket_owner {
            e.push("related.user", Value::List(vec![Value::from(owner)]));
        }

        if let Some(c) = cipher {
            e.push("tls.cipher", c);
        }
        if let Some((protocol, version)) = tls.and_then(tls_parts) {
            e.push("tls.version", version);
            e.push("tls.version_protocol", protocol);
        }

        if let Some(r) = request {
            r.url.push_into(&mut e);
        }
        if let Some(a) = agent {
            agents.insert(&mut e, a);
        }
        Ok(e)
    }
}

fn is_value(s: &str) -> bool {
    !s.is_empty() && s != "-"
}

/// A numeric field: `-` is no value, anything else must be an integer.
fn number(name: &str, s: &str) -> Result<Option<i64>, String> {
    if !is_value(s) {
        return Ok(None);
    }
    s.parse::<i64>()
        .map(Some)
        .map_err(|_| format!("{name} is not a number: `{s}`"))
}

/// `GET /bucket/key?query HTTP/1.1`: method, target and protocol version.
struct RequestLine<'a> {
    method: &'a str,
    version: Option<&'a str>,
    url: UrlParts<'a>,
}

impl<'a> RequestLine<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let (method, rest) = line.split_once(' ')?;
        let rest = rest.trim_start_matches(' ');
        // The protocol is the last word when it reads `HTTP/…` in any case.
        let (target, version) = match rest.rfind(' ') {
            Some(i)
                if rest
                    .as_bytes()
                    .get(i + 1..i + 6)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"http/")) =>
            {
                (rest[..i].trim_end_matches(' '), Some(&rest[i + 6..]))
            }
            _ => (rest, None),
        };
        if method.is_empty() || target.is_empty() {
            return None;
        }
        Some(RequestLine {
            method,
            version: version.filter(|v| !v.is_empty()),
            url: UrlParts::parse(target),
        })
    }
}

/// `url.*` from a request target, as Elasticsearch's `uri_parts` processor
/// reports them (java.net.URI): path, query and fragment percent-decoded,
/// the extension taken from the last path segment.
#[derive(Default)]
pub(crate) struct UrlParts<'a> {
    original: &'a str,
    scheme: Option<&'a str>,
    pub(crate) domain: Option<&'a str>,
    port: Option<i64>,
    path: Option<Cow<'a, str>>,
    extension: Option<Cow<'a, str>>,
    query: Option<Cow<'a, str>>,
    fragment: Option<Cow<'a, str>>,
}

impl<'a> UrlParts<'a> {
    /// Splits a request target or absolute URL.
    pub(crate) fn parse(target: &'a str) -> Self {
        let mut u = UrlParts {
            original: target,
            ..UrlParts::default()
        };
        let mut rest = target;
        if let Some((scheme, after)) = split_scheme(target) {
            if let Some(authority_and_more) = after.strip_prefix("//") {
                u.scheme = Some(scheme);
                let end = authority_and_more
                    .find(['/', '?', '#'])
                    .unwrap_or(authority_and_more.len());
                let authority = &authority_and_more[..end];
                let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                let (host, port) = split_port(host_port);
                u.domain = (!host.is_empty()).then_some(host);
                u.port = port;
                rest = &authority_and_more[end..];
            }
        }
        let (before_fragment, fragment) = match rest.split_once('#') {
            Some((a, f)) => (a, Some(f)),
            None => (rest, None),
        };
        let (path, query) = match before_fragment.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (before_fragment, None),
        };
        if !path.is_empty() {
            let decoded = percent_decode(path);
            u.extension = extension(&decoded);
            u.path = Some(decoded);
        }
        u.query = query.filter(|q| !q.is_empty()).map(percent_decode);
        u.fragment = fragment.filter(|f| !f.is_empty()).map(percent_decode);
        u
    }

    /// Pushes the parts in sorted key order.
    pub(crate) fn push_into(self, e: &mut Event<'a>) {
        if let Some(d) = self.domain {
            e.push("url.domain", d);
        }
        if let Some(x) = self.extension {
            e.push("url.extension", x);
        }
        if let Some(f) = self.fragment {
            e.push("url.fragment", f);
        }
        e.push("url.original", self.original);
        if let Some(p) = self.path {
            e.push("url.path", p);
        }
        if let Some(p) = self.port {
            e.push("url.port", p);
        }
        if let Some(q) = self.query {
            e.push("url.query", q);
        }
        if let Some(s) = self.scheme {
            e.push("url.scheme", s);
        }
    }
}

/// `scheme:` as RFC 3986 defines it.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    let mut chars = scheme.bytes();
    let ok = chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    ok.then_some((scheme, rest))
}

fn split_port(host_port: &str) -> (&str, Option<i64>) {
    if host_port.starts_with('[') {
        // [IPv6]:port
        return match host_port.find(']') {
            Some(i) => (
                &host_port[..=i],
                host_port[i + 1..]
                    .strip_prefix(':')
                    .and_then(|p| p.parse().ok()),
            ),
            None => (host_port, None),
        };
    }
    match host_port.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) => {
            (h, p.parse().ok())
        }
        Some((h, "")) => (h, None),
        _ => (host_port, None),
    }
}

/// The extension of the last path segment, without the dot.
fn extension<'a>(path: &Cow<'a, str>) -> Option<Cow<'a, str>> {
    let seg_start = path.rfind('/').map_or(0, |i| i + 1);
    let dot = path[seg_start..].rfind('.')? + seg_start;
    if dot + 1 >= path.len() {
        return None;
    }
    Some(match path {
        Cow::Borrowed(p) => Cow::Borrowed(&p[dot + 1..]),
        Cow::Owned(p) => Cow::Owned(p[dot + 1..].to_owned()),
    })
}

/// Decodes `%XX` escapes as UTF-8 (invalid sequences become U+FFFD), as
/// java.net.URI's getters do. Text with a malformed escape is kept as is.
fn percent_decode(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let Some(first) = memchr(b'%', b) else {
        return Cow::Borrowed(s);
    };
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..first]);
    let mut i = first;
    while i < b.len() {
        if b[i] == b'%' {
            match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => return Cow::Borrowed(s),
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// `TLSv1.2` → (`tls`, `1.2`): lower-cased and split at its only `v`.
fn tls_parts(s: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let mut vs = s
        .bytes()
        .enumerate()
        .filter(|(_, c)| c.eq_ignore_ascii_case(&b'v'));
    let (i, _) = vs.next()?;
    if vs.next().is_some() {
        return None;
    }
    let protocol = match &s[..i] {
        "TLS" | "tls" => Cow::Borrowed("tls"),
        "SSL" | "ssl" => Cow::Borrowed("ssl"),
        other => lower(other),
    };
    Some((protocol, lower(&s[i + 1..])))
}

fn lower(t: &str) -> Cow<'_, str> {
    if t.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(t.to_ascii_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// The AWS region in an S3 endpoint host name: the first region-shaped
/// label after the `s3` (or `s3-…`) label, or the region glued to it in the
/// legacy dash forms (`s3-us-west-2`, `s3-website-eu-west-1`). The global
/// endpoint `s3.amazonaws.com` names no region.
fn region_from_host(host: &str) -> Option<&str> {
    let mut labels = host.split('.');
    for label in labels.by_ref() {
        if label == "s3" {
            break;
        }
        if let Some(rest) = label.strip_prefix("s3-") {
            let glued = std::iter::once(rest)
                .chain(rest.match_indices('-').map(|(i, _)| &rest[i + 1..]))
                .find(|r| is_region(r));
            if glued.is_some() {
                return glued;
            }
            break;
        }
    }
    labels
        .take_while(|l| *l != "amazonaws")
        .find(|l| is_region(l))
}

/// `[a-z]{2}(-[a-z]+)+-[0-9]+`: `us-east-1`, `us-gov-west-1`, `ap-southeast-2`.
fn is_region(s: &str) -> bool {
    let mut parts = s.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    if first.len() != 2 || !first.bytes().all(|c| c.is_ascii_lowercase()) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    match rest.split_last() {
        Some((last, middle)) => {
            !middle.is_empty()
                && !last.is_empty()
                && last.bytes().all(|c| c.is_ascii_digit())
                && middle
                    .iter()
                    .all(|m| !m.is_empty() && m.bytes().all(|c| c.is_ascii_lowercase()))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Vec<Event<'_>>, ParseError> {
        let mut p = build(&Options::new()).unwrap();
        let mut out = Vec::new();
        p.parse(line, &mut |e| out.push(e))?;
        Ok(out)
    }

    fn one(line: &str) -> serde_json::Value {
        let events = parse(line).expect("parses");
        assert_eq!(events.len(), 1);
        let mut buf = Vec::new();
        events[0].write_json(&mut buf);
        serde_json::from_slice(&buf).expect("valid JSON")
    }

    /// AWS documentation, first example record (all fields through the source region).
    const DOC_FULL: &str = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes us-east-1"#;

    #[test]
    fn parses_documented_record_with_every_field() {
        let v = one(DOC_FULL);
        let a = &v["aws"]["s3access"];
        assert_eq!(v["@timestamp"], "2019-02-06T00:00:38.000Z");
        assert_eq!(
            a["bucket_owner"],
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
        );
        assert_eq!(a["bucket"], "amzn-s3-demo-bucket1");
        assert_eq!(a["remote_ip"], "192.0.2.3");
        assert_eq!(
            a["requester"],
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
        );
        assert_eq!(a["request_id"], "3E57427F3EXAMPLE");
        assert_eq!(a["operation"], "REST.GET.VERSIONING");
        assert!(a.get("key").is_none());
        assert_eq!(
            a["request_uri"],
            "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1"
        );
        assert_eq!(a["http_status"], 200);
        assert_eq!(a["bytes_sent"], 113);
        assert_eq!(a["total_time"], 7);
        assert!(
            a.get("object_size").is_none()
                && a.get("turn_around_time").is_none()
                && a.get("referrer").is_none()
        );
        assert_eq!(a["user_agent"], "S3Console/0.4");
        assert_eq!(
            a["host_id"],
            "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234="
        );
        assert_eq!(a["signature_version"], "SigV4");
        assert_eq!(a["cipher_suite"], "ECDHE-RSA-AES128-GCM-SHA256");
        assert_eq!(a["authentication_type"], "AuthHeader");
        assert_eq!(
            a["host_header"],
            "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com"
        );
        assert_eq!(a["tls_version"], "TLSV1.2");
        assert_eq!(
            a["access_point_arn"],
            "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP"
        );
        assert_eq!(a["acl_required"], true);
        assert_eq!(a["source_region"], "us-east-1");

        assert_eq!(v["client"]["ip"], "192.0.2.3");
        assert_eq!(v["client"]["address"], "192.0.2.3");
        assert_eq!(
            v["client"]["user"]["id"],
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
        );
        assert_eq!(v["related"]["ip"], serde_json::json!(["192.0.2.3"]));
        assert_eq!(
            v["related"]["user"],
            serde_json::json!(["79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"])
        );
        assert_eq!(v["event"]["id"], "3E57427F3EXAMPLE");
        assert_eq!(v["event"]["action"], "REST.GET.VERSIONING");
        assert_eq!(v["event"]["outcome"], "success");
        assert_eq!(v["event"]["duration"], 7_000_000);
        assert_eq!(v["event"]["category"], serde_json::json!(["web"]));
        assert_eq!(v["event"]["type"], serde_json::json!(["access"]));
        assert_eq!(v["http"]["request"]["method"], "GET");
        assert_eq!(v["http"]["version"], "1.1");
        assert_eq!(v["http"]["response"]["status_code"], 200);
        assert_eq!(v["http"]["response"]["body"]["bytes"], 113);
        assert_eq!(v["url"]["original"], "/amzn-s3-demo-bucket1?versioning");
        assert_eq!(v["url"]["path"], "/amzn-s3-demo-bucket1");
        assert_eq!(v["url"]["query"], "versioning");
        assert_eq!(v["tls"]["cipher"], "ECDHE-RSA-AES128-GCM-SHA256");
        assert_eq!(v["tls"]["version"], "1.2");
        assert_eq!(v["tls"]["version_protocol"], "tls");
        assert_eq!(v["cloud"]["region"], "us-west-1");
        assert_eq!(v["user_agent"]["original"], "S3Console/0.4");
        assert_eq!(v["user_agent"]["name"], "Other");
        assert_eq!(v["user_agent"]["device"]["name"], "Other");
        assert!(
            v.get("event").and_then(|e| e.get("kind")).is_none(),
            "the normalizer sets event.kind"
        );
    }

    #[test]
    fn error_code_makes_the_outcome_a_failure() {
        let line = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be A1206F460EXAMPLE REST.GET.BUCKETPOLICY - "GET /amzn-s3-demo-bucket1?policy HTTP/1.1" 404 NoSuchBucketPolicy 297 - 38 - "-" "S3Console/0.4" - BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 - Yes"#;
        let v = one(line);
        assert_eq!(v["event"]["outcome"], "failure");
        assert_eq!(v["event"]["code"], "NoSuchBucketPolicy");
        assert_eq!(v["aws"]["s3access"]["error_code"], "NoSuchBucketPolicy");
        assert_eq!(v["http"]["response"]["status_code"], 404);
        assert!(v["aws"]["s3access"].get("access_point_arn").is_none());
        assert_eq!(v["aws"]["s3access"]["acl_required"], true);
    }

    #[test]
    fn parses_older_record_without_the_newer_fields() {
        // Before signature version, cipher, auth type, host header and TLS version were added.
        let line = r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be mybucket [06/Feb/2014:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.OBJECT photos/2014/08/puppy.jpg "GET /mybucket/photos/2014/08/puppy.jpg?x-foo=bar HTTP/1.1" 200 - 2662992 3462992 70 10 "http://www.amazon.com/webservices" "curl/7.15.1" -"#;
        let v = one(line);
        let a = &v["aws"]["s3access"];
        assert_eq!(a["key"], "photos/2014/08/puppy.jpg");
        assert_eq!(a["object_size"], 3_462_992);
        assert_eq!(a["turn_around_time"], 10);
        assert_eq!(a["referrer"], "http://www.amazon.com/webservices");
        assert!(a.get("host_id").is_none() && a.get("tls_version").is_none());
        assert_eq!(
            v["http"]["request"]["referrer"],
            "http://www.amazon.com/webservices"
        );
        assert_eq!(v["url"]["extension"], "jpg");
        assert_eq!(v["url"]["query"], "x-foo=bar");
        assert_eq!(v["user_agent"]["name"], "curl");
        assert_eq!(v["user_agent"]["version"], "7.15.1");
        assert!(v.get("cloud").is_none() && v.get("tls").is_none());
    }

    #[test]
    fn parses_oldest_record_ending_at_the_user_agent() {
        let line = r#"314133b3fb2dd0a8ab61e05b1ffba7e48d9e1d1e1f4ec91a2fa6e4d2f1e5a7c4 examplebucket [19/Feb/2010:09:21:43 +0000] 203.0.113.10 - 3E57427F3EXAMPLE REST.GET.OBJECT index.html "GET /examplebucket/index.html HTTP/1.1" 304 - - 1029 10 - "-" "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US) Gecko/20100115 Firefox/3.6 (.NET CLR 3.5.30729)""#;
        let v = one(line);
        assert!(
            v.get("client").and_then(|c| c.get("user")).is_none(),
            "anonymous requester"
        );
        assert_eq!(v["aws"]["s3access"]["user_agent"], "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US) Gecko/20100115 Firefox/3.6 (.NET CLR 3.5.30729)");
        assert_eq!(v["user_agent"]["name"], "Firefox");
        assert_eq!(v["user_agent"]["os"]["full"], "Windows XP");
        assert!(v["http"]["response"].get("body").is_none());
    }

    #[test]
    fn record_shorter_than_the_status_is_an_error() {
        let e = parse(
            "owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQID REST.GET.OBJECT key",
        )
        .unwrap_err();
        assert_eq!(e.dataset, DATASET);
        assert!(e.reason.contains("ends after 8 fields"), "{}", e.reason);
    }

    #[test]
    fn malformed_line_is_an_error_not_a_panic() {
        for line in [
            "garbage",
            "a b [06/Feb/2019:00:00:38 +0000",
            "a b [not a time] 1.2.3.4 - R OP k \"GET / HTTP/1.1\" 200",
            "a b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - R OP k \"GET / HTTP/1.1 200",
            "a b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - R OP k \"GET / HTTP/1.1\" abc",
            "a b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - R OP k - 200 - x",
            "a b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - R OP k - 200 - 1 2 3 4 \"unterminated",
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
    }

    #[test]
    fn blank_line_yields_nothing() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("   \r").unwrap().is_empty());
    }

    #[test]
    fn quoted_fields_may_hold_spaces_and_quotes() {
        let line = r#"owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQ REST.GET.OBJECT a%20b "GET /bucket/a b "c".txt HTTP/1.1" 200 - 10 10 1 1 "https://example.com/a b" "Agent "quoted" (with spaces)" - hostid SigV4 - QueryString bucket.s3.amazonaws.com -"#;
        let v = one(line);
        let a = &v["aws"]["s3access"];
        assert_eq!(a["request_uri"], r#"GET /bucket/a b "c".txt HTTP/1.1"#);
        assert_eq!(a["referrer"], "https://example.com/a b");
        assert_eq!(a["user_agent"], r#"Agent "quoted" (with spaces)"#);
        assert_eq!(a["authentication_type"], "QueryString");
        assert_eq!(v["url"]["original"], r#"/bucket/a b "c".txt"#);
        assert_eq!(v["url"]["extension"], "txt");
        assert_eq!(v["http"]["version"], "1.1");
        assert!(
            v.get("cloud").is_none(),
            "the global endpoint names no region"
        );
        assert!(v.get("tls").is_none());
    }

    #[test]
    fn requester_may_be_an_arn_a_canonical_id_or_a_service() {
        for requester in [
            "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com",
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
            "svc:delivery.logs.amazonaws.com",
        ] {
            let line = format!("owner bucket [06/Feb/2019:00:00:38 +0000] - {requester} REQ REST.PUT.OBJECT k - 200 -");
            let v = one(&line);
            assert_eq!(v["client"]["user"]["id"], requester);
            assert_eq!(v["aws"]["s3access"]["requester"], requester);
            assert!(v.get("related").and_then(|r| r.get("ip")).is_none());
        }
    }

    #[test]
    fn unknown_trailing_fields_are_ignored() {
        let v = one(&format!(
            "{DOC_FULL} future-field another \"quoted future\""
        ));
        assert_eq!(v["aws"]["s3access"]["source_region"], "us-east-1");
        assert_eq!(v["aws"]["s3access"]["user_agent"], "S3Console/0.4");
    }

    #[test]
    fn percent_encoded_paths_are_decoded_like_uri_parts() {
        let line = r#"owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQ REST.GET.OBJECT caf%C3%A9.tar.gz "GET /bucket/caf%C3%A9.tar.gz?prefix=a%2Fb&x=1#frag HTTP/1.1" 200 -"#;
        let v = one(line);
        assert_eq!(v["url"]["path"], "/bucket/café.tar.gz");
        assert_eq!(v["url"]["extension"], "gz");
        assert_eq!(v["url"]["query"], "prefix=a/b&x=1");
        assert_eq!(v["url"]["fragment"], "frag");
        assert_eq!(v["aws"]["s3access"]["key"], "caf%C3%A9.tar.gz");
    }

    #[test]
    fn absolute_request_targets_give_scheme_domain_and_port() {
        let line = r#"owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - REQ REST.GET.OBJECT k "GET https://bucket.s3.eu-west-3.amazonaws.com:443/k.json HTTP/2.0" 200 -"#;
        let v = one(line);
        assert_eq!(v["url"]["scheme"], "https");
        assert_eq!(v["url"]["domain"], "bucket.s3.eu-west-3.amazonaws.com");
        assert_eq!(v["url"]["port"], 443);
        assert_eq!(v["url"]["path"], "/k.json");
        assert_eq!(v["url"]["extension"], "json");
        assert_eq!(v["http"]["version"], "2.0");
    }

    #[test]
    fn region_comes_from_the_endpoint_host() {
        for (host, region) in [
            ("s3.ap-southeast-1.amazonaws.com", Some("ap-southeast-1")),
            (
                "flow-log-test.s3.us-gov-west-1.amazonaws.com",
                Some("us-gov-west-1"),
            ),
            (
                "bucket.s3.dualstack.eu-central-1.amazonaws.com",
                Some("eu-central-1"),
            ),
            ("bucket.s3-us-west-2.amazonaws.com", Some("us-west-2")),
            (
                "bucket.s3-website-us-east-1.amazonaws.com",
                Some("us-east-1"),
            ),
            (
                "bucket.s3-website.eu-west-1.amazonaws.com",
                Some("eu-west-1"),
            ),
            (
                "ap-111122223333.s3-accesspoint.us-east-2.amazonaws.com",
                Some("us-east-2"),
            ),
            ("s3.backup.s3.us-east-1.amazonaws.com", Some("us-east-1")),
            ("bucket.s3.cn-north-1.amazonaws.com.cn", Some("cn-north-1")),
            ("s3.amazonaws.com", None),
            ("bucket.s3.amazonaws.com", None),
            ("bucket.s3-accelerate.amazonaws.com", None),
            ("s3-external-1.amazonaws.com", None),
            ("files.example.com", None),
        ] {
            assert_eq!(region_from_host(host), region, "{host}");
        }
    }

    #[test]
    fn tls_version_splits_into_protocol_and_version() {
        assert_eq!(
            tls_parts("TLSv1.2"),
            Some((Cow::Borrowed("tls"), Cow::Borrowed("1.2")))
        );
        assert_eq!(
            tls_parts("TLSV1.3"),
            Some((Cow::Borrowed("tls"), Cow::Borrowed("1.3")))
        );
        assert_eq!(tls_parts("1.2"), None);
    }

    #[test]
    fn batch_delete_without_request_line() {
        let line = "36c1f05b76016b78528454e6e0c60e2b7ff7aa20c0a5e4c748276e5b0a2debd2 jsoriano-s3-test [10/Sep/2019:15:11:07 +0000] 89.160.20.156 arn:aws:iam::123456:user/test@elastic.co 8CD7A4A71E2E5C9E BATCH.DELETE.OBJECT jolokia-war-1.5.0.war - 204 - - 344017 - - - - - IeDW5I3wefFxU8iHOcAzi5qr+O+1bdRlcQ0AO2WGjFh7JwYM6qCoKq+1TrUshrXMlBxPFtg97Vk= SigV4 ECDHE-RSA-AES128-SHA AuthHeader s3.eu-central-1.amazonaws.com TLSv1.2";
        let v = one(line);
        assert!(v.get("url").is_none() && v.get("user_agent").is_none());
        assert!(v["http"].get("request").is_none());
        assert_eq!(v["http"]["response"]["status_code"], 204);
        assert_eq!(v["aws"]["s3access"]["object_size"], 344_017);
        assert_eq!(v["cloud"]["region"], "eu-central-1");
    }

    #[test]
    fn multibyte_text_in_the_request_line_is_not_split() {
        let line = "owner bucket [06/Feb/2019:00:00:38 +0000] 1.2.3.4 - R OP k \"GET / HTTP/0b9\u{e5}acf8f (KHT\u{f3}\" 200 -";
        let v = one(line);
        assert_eq!(v["http"]["request"]["method"], "GET");
    }

    #[test]
    fn values_borrow_from_the_record() {
        let events = parse(DOC_FULL).unwrap();
        for key in [
            "aws.s3access.bucket",
            "aws.s3access.request_uri",
            "url.path",
            "client.ip",
            "user_agent.original",
        ] {
            assert!(
                matches!(events[0].get(key), Some(Value::Str(Cow::Borrowed(_)))),
                "{key}"
            );
        }
    }

    #[test]
    fn fields_are_pushed_in_serialization_order() {
        let key = |k: &str| {
            k.bytes()
                .map(|c| if c == b'.' { 0 } else { c })
                .collect::<Vec<u8>>()
        };
        for line in include_str!("../../tests/fixtures/aws.s3access/s3access.log").lines() {
            let events = parse(line).unwrap();
            let keys: Vec<Vec<u8>> = events[0].fields().map(|(k, _)| key(k)).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{line}");
        }
    }

    #[test]
    fn rejects_unknown_options() {
        let mut o = Options::new();
        o.insert("format".into(), "x".into());
        assert!(build(&o).is_err());
    }

    #[test]
    fn conformance_fixture_lines_parse() {
        let text = include_str!("../../tests/fixtures/aws.s3access/s3access.log");
        let mut p = build(&Options::new()).unwrap();
        let mut n = 0;
        for line in text.lines() {
            p.parse(line, &mut |e| {
                let mut buf = Vec::new();
                e.write_json(&mut buf);
                serde_json::from_slice::<serde_json::Value>(&buf).expect("valid JSON");
                n += 1;
            })
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        }
        assert!(n >= 10);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn mutated_records_never_panic(cut in 0usize..600, insert in "[ \"\\[\\]%-]{0,3}") {
            let mut line = DOC_FULL.to_string();
            let at = cut.min(line.len());
            if line.is_char_boundary(at) {
                line.insert_str(at, &insert);
            }
            let _ = parse(&line);
            let _ = parse(&line[..at.min(line.len())]);
        }
    }
}
