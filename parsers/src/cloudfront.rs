//! `aws.cloudfront_logs`: Amazon CloudFront standard access logs (legacy
//! standard logging, and the W3C output of standard logging v2), as
//! delivered to S3 in `[<prefix>/]<distribution-id>.YYYY-MM-DD-HH.<id>.gz`.
//!
//! An object is W3C extended log format: a `#Version:` line, a `#Fields:`
//! line naming the columns, then one tab-separated record per request; `-`
//! marks an empty value. The `#Fields` line decides which column holds
//! what: older files have fewer fields, standard logging v2 lets the
//! distribution owner pick fields and their order, and appends `origin-fbl`,
//! `origin-lbl`, `asn`, `c-country` and `cache-behavior-path-pattern` to the
//! legacy 33. Header lines yield no event. A parser lives for one object, so
//! the header applies to that object only; without one, the 33 legacy fields
//! (then the five v2 ones) are assumed, in AWS's documented order.
//!
//! Records whose fields are separated by single spaces instead of tabs (as
//! Elastic's pipeline tests write them) are accepted too: a value holding a
//! space (`x-forwarded-for` as `a, b`) is rejoined when the line has more
//! words than the header has columns.
//!
//! The events match Elastic's AWS integration (`cloudfront_logs` data
//! stream): see `fields/aws.cloudfront_logs.yml` for every field and the
//! deviations. `source.geo.*`/`source.as.*` are not set here: they come from
//! the agent's GeoIP enrichment of `source.ip`.
//!
//! Values borrow from the line; only a percent-encoded user agent or path
//! and the assembled `url.full` are allocated.

use std::borrow::Cow;
use std::sync::Arc;

use crate::network::parse_ip;
use crate::{
    build_default, user_agent, Event, OptionError, Options, ParseError, Parser, Timestamp, Value,
};

/// Dataset name.
pub const DATASET: &str = "aws.cloudfront_logs";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    build_default::<CloudFrontParser>(DATASET, options)
}

/// The CloudFront access log parser of one object.
#[derive(Debug, Clone, Default)]
pub struct CloudFrontParser {
    /// Columns from the object's `#Fields` line; `None` before one is seen.
    header: Option<Arc<[Column]>>,
}

impl CloudFrontParser {
    /// A parser that has seen no header yet (the documented legacy order applies).
    pub fn new() -> Self {
        CloudFrontParser::default()
    }
}

/// A column of a CloudFront log, by its W3C field name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Known(K),
    /// A field this parser does not know: kept under `aws.cloudfront.other_fields`.
    Other(Box<str>),
}

/// Known fields; the discriminant indexes the per-record value array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Date,
    Time,
    EdgeLocation,
    ScBytes,
    CIp,
    CsMethod,
    CsHost,
    CsUriStem,
    ScStatus,
    CsReferer,
    CsUserAgent,
    CsUriQuery,
    CsCookie,
    EdgeResultType,
    EdgeRequestId,
    HostHeader,
    CsProtocol,
    CsBytes,
    TimeTaken,
    ForwardedFor,
    SslProtocol,
    SslCipher,
    EdgeResponseResultType,
    CsProtocolVersion,
    FleStatus,
    FleEncryptedFields,
    CPort,
    TimeToFirstByte,
    EdgeDetailedResultType,
    ScContentType,
    ScContentLen,
    ScRangeStart,
    ScRangeEnd,
    OriginFbl,
    OriginLbl,
    Asn,
    CCountry,
    CacheBehaviorPathPattern,
    Timestamp,
    TimestampMs,
    DistributionId,
}

/// Number of [`K`] variants.
const KNOWN: usize = K::DistributionId as usize + 1;

/// W3C names of the known fields, in AWS's documented order (the default
/// layout is the first 38 of them).
const NAMES: [(&str, K); KNOWN] = [
    ("date", K::Date),
    ("time", K::Time),
    ("x-edge-location", K::EdgeLocation),
    ("sc-bytes", K::ScBytes),
    ("c-ip", K::CIp),
    ("cs-method", K::CsMethod),
    ("cs(Host)", K::CsHost),
    ("cs-uri-stem", K::CsUriStem),
    ("sc-status", K::ScStatus),
    ("cs(Referer)", K::CsReferer),
    ("cs(User-Agent)", K::CsUserAgent),
    ("cs-uri-query", K::CsUriQuery),
    ("cs(Cookie)", K::CsCookie),
    ("x-edge-result-type", K::EdgeResultType),
    ("x-edge-request-id", K::EdgeRequestId),
    ("x-host-header", K::HostHeader),
    ("cs-protocol", K::CsProtocol),
    ("cs-bytes", K::CsBytes),
    ("time-taken", K::TimeTaken),
    ("x-forwarded-for", K::ForwardedFor),
    ("ssl-protocol", K::SslProtocol),
    ("ssl-cipher", K::SslCipher),
    ("x-edge-response-result-type", K::EdgeResponseResultType),
    ("cs-protocol-version", K::CsProtocolVersion),
    ("fle-status", K::FleStatus),
    ("fle-encrypted-fields", K::FleEncryptedFields),
    ("c-port", K::CPort),
    ("time-to-first-byte", K::TimeToFirstByte),
    ("x-edge-detailed-result-type", K::EdgeDetailedResultType),
    ("sc-content-type", K::ScContentType),
    ("sc-content-len", K::ScContentLen),
    ("sc-range-start", K::ScRangeStart),
    ("sc-range-end", K::ScRangeEnd),
    ("origin-fbl", K::OriginFbl),
    ("origin-lbl", K::OriginLbl),
    ("asn", K::Asn),
    ("c-country", K::CCountry),
    ("cache-behavior-path-pattern", K::CacheBehaviorPathPattern),
    ("timestamp", K::Timestamp),
    ("timestamp(ms)", K::TimestampMs),
    ("DistributionId", K::DistributionId),
];

/// Columns of a file without a `#Fields` line: legacy 33, then the v2 additions.
const DEFAULT_COLUMNS: usize = 38;

fn column_named(name: &str) -> Column {
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or_else(|| Column::Other(name.into()), |(_, k)| Column::Known(*k))
}

fn default_columns() -> &'static [Column] {
    static DEFAULT: std::sync::OnceLock<Vec<Column>> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(|| {
        NAMES[..DEFAULT_COLUMNS]
            .iter()
            .map(|(_, k)| Column::Known(*k))
            .collect()
    })
}

/// Most values a record may have.
const MAX_FIELDS: usize = 128;

fn error(reason: impl Into<String>) -> ParseError {
    ParseError::new(DATASET, reason)
}

impl Parser for CloudFrontParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let line = record.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            return Ok(());
        }
        if let Some(directive) = line.strip_prefix('#') {
            if let Some(fields) = directive.strip_prefix("Fields:") {
                let columns: Vec<Column> = fields.split_whitespace().map(column_named).collect();
                if columns.is_empty() {
                    return Err(error("#Fields line names no field"));
                }
                if columns.len() > MAX_FIELDS {
                    return Err(error(format!(
                        "#Fields names more than {MAX_FIELDS} fields"
                    )));
                }
                self.header = Some(columns.into());
            }
            // `#Version:` and any other directive: nothing to emit.
            return Ok(());
        }
        let columns: &[Column] = match &self.header {
            Some(h) => h,
            None => default_columns(),
        };
        let mut fields = [""; MAX_FIELDS];
        let count = split_record(line, columns.len(), &mut fields)
            .ok_or_else(|| error(format!("a record has at most {MAX_FIELDS} fields")))?;
        if count < 2 {
            return Err(error(
                "not a CloudFront access log record (expected tab-separated fields)",
            ));
        }
        emit(build_event(columns, &fields[..count])?);
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(self.clone()))
    }
}

/// Splits a record into `out`: on tabs when it has any, else on single
/// spaces, rejoining a value that continues after `,` while there are more
/// words than `columns`. Returns the number of values.
fn split_record<'a>(
    line: &'a str,
    columns: usize,
    out: &mut [&'a str; MAX_FIELDS],
) -> Option<usize> {
    let sep = if line.contains('\t') { b'\t' } else { b' ' };
    let mut n = 0;
    let mut spans = [(0usize, 0usize); MAX_FIELDS];
    let mut start = 0;
    for end in memchr::memchr_iter(sep, line.as_bytes()).chain(std::iter::once(line.len())) {
        *spans.get_mut(n)? = (start, end);
        n += 1;
        start = end + 1;
    }
    if sep == b' ' {
        // `81.2.69.142, 216.160.83.56` in a space-separated line.
        let mut i = 0;
        while n > columns && i + 1 < n {
            if line[spans[i].0..spans[i].1].ends_with(',') {
                spans[i].1 = spans[i + 1].1;
                spans.copy_within(i + 2..n, i + 1);
                n -= 1;
            } else {
                i += 1;
            }
        }
    }
    for (slot, &(a, b)) in out.iter_mut().zip(&spans[..n]) {
        *slot = line.get(a..b)?;
    }
    Some(n)
}

/// A value unless it is empty or `-`.
fn present(v: &str) -> Option<&str> {
    (!v.is_empty() && v != "-").then_some(v)
}

fn build_event<'a>(columns: &[Column], fields: &[&'a str]) -> Result<Event<'a>, ParseError> {
    let mut v: [&'a str; KNOWN] = [""; KNOWN];
    let mut other: Vec<(&str, &'a str)> = Vec::new();
    for (column, &value) in columns.iter().zip(fields) {
        match column {
            Column::Known(k) => v[*k as usize] = value,
            Column::Other(name) => {
                if present(value).is_some() {
                    other.push((name, value));
                }
            }
        }
    }
    let get = |k: K| present(v[k as usize]);
    let mut e = Event::new();

    // Time: `date` + `time`, else v2's `timestamp` (seconds) or `timestamp(ms)`.
    let timestamp = match (get(K::Date), get(K::Time)) {
        (Some(date), Some(time)) => Some(
            Timestamp::parse_rfc3339(&format!("{date}T{time}Z"))
                .ok_or_else(|| error(format!("invalid date and time `{date} {time}`")))?,
        ),
        _ => match (get(K::Timestamp), get(K::TimestampMs)) {
            (Some(s), _) => Some(
                parse_epoch(s, 1_000_000_000)
                    .ok_or_else(|| error(format!("invalid timestamp `{s}`")))?,
            ),
            (None, Some(ms)) => Some(
                parse_epoch(ms, 1_000_000)
                    .ok_or_else(|| error(format!("invalid timestamp(ms) `{ms}`")))?,
            ),
            _ => None,
        },
    };
    let Some(timestamp) = timestamp else {
        return Err(error("record has no date and time"));
    };
    e.push("@timestamp", timestamp);
    e.push("event.kind", "event");
    e.push("event.category", Value::Json(Cow::Borrowed(r#"["web"]"#)));
    e.push("event.type", Value::Json(Cow::Borrowed(r#"["access"]"#)));

    // aws.cloudfront.*
    let put = |e: &mut Event<'a>, key: &'static str, k: K| {
        if let Some(x) = get(k) {
            e.push(key, x);
        }
    };
    put(&mut e, "aws.cloudfront.edge_location", K::EdgeLocation);
    put(&mut e, "aws.cloudfront.domain", K::CsHost);
    put(&mut e, "aws.cloudfront.cookies", K::CsCookie);
    put(&mut e, "aws.cloudfront.edge_result_type", K::EdgeResultType);
    put(
        &mut e,
        "aws.cloudfront.edge_response_result_type",
        K::EdgeResponseResultType,
    );
    put(
        &mut e,
        "aws.cloudfront.edge_detailed_result_type",
        K::EdgeDetailedResultType,
    );
    put(&mut e, "aws.cloudfront.fle_status", K::FleStatus);
    put(
        &mut e,
        "aws.cloudfront.fle_encrypted_fields",
        K::FleEncryptedFields,
    );
    put(&mut e, "aws.cloudfront.content_type", K::ScContentType);
    put(&mut e, "aws.cloudfront.country", K::CCountry);
    put(
        &mut e,
        "aws.cloudfront.cache_behavior_path_pattern",
        K::CacheBehaviorPathPattern,
    );
    put(&mut e, "aws.cloudfront.distribution_id", K::DistributionId);
    let float = |k: K| -> Result<Option<f64>, ParseError> {
        get(k)
            .map(|s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| error(format!("invalid number `{s}` in {}", name_of(k))))
            })
            .transpose()
    };
    let int = |k: K| -> Result<Option<i64>, ParseError> {
        get(k)
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| error(format!("invalid integer `{s}` in {}", name_of(k))))
            })
            .transpose()
    };
    if let Some(f) = float(K::TimeToFirstByte)? {
        e.push("aws.cloudfront.time_to_first_byte", f);
    }
    for (key, k) in [
        ("aws.cloudfront.range_start", K::ScRangeStart),
        ("aws.cloudfront.range_end", K::ScRangeEnd),
    ] {
        if let Some(x) = int(k)? {
            e.push(key, x);
        }
    }
    for (key, k) in [
        ("aws.cloudfront.origin_fbl", K::OriginFbl),
        ("aws.cloudfront.origin_lbl", K::OriginLbl),
    ] {
        if let Some(x) = float(k)? {
            e.push(key, x);
        }
    }
    if let Some(asn) = int(K::Asn)? {
        e.push("aws.cloudfront.asn", asn);
    }
    if !other.is_empty() {
        let mut json = Vec::with_capacity(64);
        json.push(b'{');
        for (i, (name, value)) in other.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            crate::event::write_str(&mut json, name);
            json.push(b':');
            crate::event::write_str(&mut json, value);
        }
        json.push(b'}');
        let json = String::from_utf8(json).map_err(|_| error("invalid UTF-8"))?;
        e.push("aws.cloudfront.other_fields", Value::Json(Cow::Owned(json)));
    }

    // http.*
    if let Some(n) = int(K::ScBytes)? {
        e.push("http.response.bytes", n);
    }
    if let Some(n) = int(K::CsBytes)? {
        e.push("http.request.bytes", n);
    }
    if let Some(n) = int(K::ScContentLen)? {
        e.push("http.response.body.bytes", n);
    }
    put(&mut e, "http.request.method", K::CsMethod);
    put(&mut e, "http.request.referrer", K::CsReferer);
    put(&mut e, "http.request.id", K::EdgeRequestId);
    put(&mut e, "event.id", K::EdgeRequestId);
    let status = int(K::ScStatus)?;
    if let Some(status) = status {
        e.push("http.response.status_code", status);
        // `000`: the viewer closed the connection before the response.
        let outcome = if (1..400).contains(&status) {
            "success"
        } else {
            "failure"
        };
        e.push("event.outcome", outcome);
    }
    if let Some(version) = get(K::CsProtocolVersion).and_then(|p| p.split_once('/')) {
        if !version.1.is_empty() {
            e.push("http.version", version.1);
        }
    }
    if let Some(secs) = float(K::TimeTaken)? {
        e.push("event.duration", (secs * 1e9).round() as i64);
    }

    // tls.*
    if let Some(p) = get(K::SslProtocol) {
        let (proto, version) = match p.find(|c: char| c == 'v' || c.is_ascii_digit()) {
            Some(i) => (&p[..i], p[i..].trim_start_matches('v')),
            None => (p, ""),
        };
        if !proto.is_empty() {
            e.push("tls.version_protocol", proto.to_ascii_lowercase());
        }
        if !version.is_empty() {
            e.push("tls.version", version);
        }
    }
    put(&mut e, "tls.cipher", K::SslCipher);

    // source.*, network.*, related.ip
    let mut related_ip: Vec<Value<'a>> = Vec::new();
    if let Some(forwarded) = get(K::ForwardedFor) {
        let mut ips: Vec<Value<'a>> = Vec::new();
        for item in forwarded.split(',') {
            let item = item.trim().trim_start_matches("\\x20").trim();
            let item = item
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .unwrap_or(item);
            if parse_ip(item).is_some() && !ips.iter().any(|v| v.as_str() == Some(item)) {
                ips.push(item.into());
            } else if item.starts_with("localhost") {
                ips.push("127.0.0.1".into());
            }
        }
        related_ip.extend(ips.iter().cloned());
        if !ips.is_empty() {
            e.push("network.forwarded_ip", Value::List(ips));
        }
    }
    if let Some(client) = get(K::CIp) {
        e.push("source.address", client);
        if let Some(ip) = parse_ip(client) {
            e.push("source.ip", client);
            e.push("network.type", if ip.is_ipv6() { "ipv6" } else { "ipv4" });
            if !related_ip.iter().any(|v| v.as_str() == Some(client)) {
                related_ip.push(client.into());
            }
        }
    }
    if !related_ip.is_empty() {
        e.push("related.ip", Value::List(related_ip));
    }
    if let Some(port) = int(K::CPort)? {
        e.push("source.port", port);
    }
    put(&mut e, "network.protocol", K::CsProtocol);

    // destination.*, related.hosts
    let host = get(K::HostHeader);
    let mut hosts: Vec<Value<'a>> = Vec::new();
    if let Some(h) = host {
        e.push("destination.address", h);
        e.push("destination.domain", h);
        hosts.push(h.into());
    }
    if let Some(d) = get(K::CsHost) {
        if host != Some(d) {
            hosts.push(d.into());
        }
    }
    if !hosts.is_empty() {
        e.push("related.hosts", Value::List(hosts));
    }

    // url.*: from the URL the request asked for (scheme, host header, path, query).
    push_url(
        &mut e,
        get(K::CsProtocol),
        host,
        get(K::CsUriStem),
        get(K::CsUriQuery),
    );

    // user_agent.*: percent-encoded in the log.
    if let Some(ua) = get(K::CsUserAgent) {
        insert_user_agent(&mut e, ua);
    }
    Ok(e)
}

fn name_of(k: K) -> &'static str {
    NAMES.iter().find(|(_, x)| *x == k).map_or("?", |(n, _)| n)
}

/// Seconds or milliseconds since the epoch (digits, optional fraction),
/// exactly; `scale` is the number of nanoseconds per unit.
fn parse_epoch(s: &str, scale: i64) -> Option<Timestamp> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    let mut nanos = whole.checked_mul(scale)?;
    let mut unit = scale;
    for d in frac.bytes() {
        unit /= 10;
        if unit == 0 {
            break;
        }
        nanos = nanos.checked_add(i64::from(d - b'0') * unit)?;
    }
    Some(Timestamp::from_unix_nanos(nanos))
}

/// Sets `user_agent.*`, decoding the `%20`-style escapes CloudFront writes.
fn insert_user_agent<'a>(e: &mut Event<'a>, raw: &'a str) {
    match percent_decode(raw) {
        Cow::Borrowed(ua) => user_agent::insert(e, ua),
        Cow::Owned(ua) => {
            let parsed = user_agent::parse(&ua);
            e.push("user_agent.device.name", parsed.device.into_owned());
            e.push("user_agent.name", parsed.name.into_owned());
            if let Some(v) = parsed.version {
                e.push("user_agent.version", v.into_owned());
            }
            if let Some(v) = parsed.os_name {
                e.push("user_agent.os.name", v.into_owned());
            }
            if let Some(v) = parsed.os_version {
                e.push("user_agent.os.version", v.into_owned());
            }
            if let Some(v) = parsed.os_full {
                e.push("user_agent.os.full", v.into_owned());
            }
            e.push("user_agent.original", ua);
        }
    }
}

/// Decodes `%XX` escapes once; invalid escapes and invalid UTF-8 results are
/// left as they are.
pub(crate) fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(_) => Cow::Borrowed(s),
    }
}

/// Sets `url.full` (`<protocol>://<host><path>?<query>`) and the parts of it
/// Elasticsearch's `uri_parts` and `registered_domain` processors derive:
/// `url.scheme`, `url.domain` (when the host is a valid name), `url.path`
/// (percent-decoded once), `url.extension`, `url.query`, and
/// `url.registered_domain`, `url.subdomain`, `url.top_level_domain`.
fn push_url<'a>(
    e: &mut Event<'a>,
    scheme: Option<&'a str>,
    host: Option<&'a str>,
    path: Option<&'a str>,
    query: Option<&'a str>,
) {
    let mut full = String::new();
    if let Some(s) = scheme {
        full.push_str(s);
        full.push_str("://");
    }
    if let Some(h) = host {
        full.push_str(h);
    }
    if let Some(p) = path {
        full.push_str(p);
    }
    if let Some(q) = query {
        full.push('?');
        full.push_str(q);
    }
    if full.is_empty() {
        return;
    }
    // Split the assembled URL again, as a URL parser would: the authority
    // ends at the first `/`, `?` or `#` after the scheme.
    let (url_scheme, rest) = match full.split_once("://") {
        Some((s, r)) => (Some(s.to_string()), r),
        None => (None, full.as_str()),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let after = &rest[authority_end..];
    let (raw_path, url_query) = match after.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (after, None),
    };
    let hostname = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let hostname = match hostname.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => hostname,
    };
    let domain = valid_hostname(hostname).then(|| hostname.to_string());
    let url_path = percent_decode(raw_path).into_owned();
    let extension = url_path
        .rsplit_once('/')
        .map_or(url_path.as_str(), |(_, last)| last)
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_string())
        .filter(|x| !x.is_empty());
    if let Some(d) = &domain {
        if let Some(rd) = registered_domain(d) {
            e.push("url.registered_domain", rd.registered.to_string());
            e.push("url.top_level_domain", rd.suffix.to_string());
            if let Some(sub) = rd.subdomain {
                e.push("url.subdomain", sub.to_string());
            }
        }
        e.push("url.domain", d.clone());
    }
    if let Some(x) = extension {
        e.push("url.extension", x);
    }
    if !url_path.is_empty() {
        e.push("url.path", url_path);
    }
    if let Some(q) = url_query.filter(|q| !q.is_empty()) {
        e.push("url.query", q.to_string());
    }
    if let Some(s) = url_scheme {
        e.push("url.scheme", s);
    }
    e.push("url.full", full);
}

/// Whether `h` is a DNS name or an IP address a URL parser accepts as host.
fn valid_hostname(h: &str) -> bool {
    if h.is_empty() {
        return false;
    }
    if h.starts_with('[') && h.ends_with(']') {
        return parse_ip(&h[1..h.len() - 1]).is_some();
    }
    !h.starts_with('.')
        && !h.starts_with('-')
        && !h.contains("..")
        && h.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_')
}

/// A domain split at its public suffix.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RegisteredDomain<'d> {
    /// The label before the suffix, and the suffix (`example.co.uk`).
    pub registered: &'d str,
    /// The public suffix (`co.uk`, `com`).
    pub suffix: &'d str,
    /// Labels before the registered domain (`www`), if any.
    pub subdomain: Option<&'d str>,
}

/// Second-level public suffixes under country-code TLDs that are common in
/// logs (ICANN section of the Public Suffix List); any other name's suffix is
/// its last label, as for `.com` or `.net`.
const TWO_LABEL_SUFFIXES: &[&str] = &[
    "ac.jp", "ac.uk", "co.id", "co.il", "co.in", "co.jp", "co.kr", "co.nz", "co.th", "co.uk",
    "co.za", "com.ar", "com.au", "com.br", "com.cn", "com.hk", "com.mx", "com.my", "com.sg",
    "com.tr", "com.tw", "edu.au", "gov.au", "gov.uk", "ltd.uk", "me.uk", "ne.jp", "net.au",
    "net.br", "net.cn", "or.jp", "org.au", "org.br", "org.uk", "plc.uk",
];

/// Splits `domain` at its public suffix, as Elasticsearch's
/// `registered_domain` processor does with the ICANN suffixes (private
/// suffixes such as `cloudfront.net` are not suffixes there). `None` for an
/// IP address or a name with a single label.
pub(crate) fn registered_domain(domain: &str) -> Option<RegisteredDomain<'_>> {
    let d = domain.trim_end_matches('.');
    if parse_ip(d).is_some() || !d.contains('.') {
        return None;
    }
    let last_dot = d.rfind('.')?;
    let mut suffix_start = last_dot + 1;
    if let Some(prev) = d[..last_dot].rfind('.').map(|i| i + 1).or(Some(0)) {
        let two = &d[prev..];
        if TWO_LABEL_SUFFIXES
            .iter()
            .any(|s| s.eq_ignore_ascii_case(two))
        {
            suffix_start = prev;
        }
    }
    if suffix_start == 0 {
        return None;
    }
    let head = &d[..suffix_start - 1];
    let label_start = head.rfind('.').map_or(0, |i| i + 1);
    if head[label_start..].is_empty() {
        return None;
    }
    Some(RegisteredDomain {
        registered: &d[label_start..],
        suffix: &d[suffix_start..],
        subdomain: (label_start > 0).then(|| &d[..label_start - 1]),
    })
}

#[cfg(test)]
mod tests;
