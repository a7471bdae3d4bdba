//! `aws.firewall_logs`: AWS Network Firewall logs (alert, flow and TLS),
//! mapped as Elastic's AWS integration maps them.
//!
//! Network Firewall writes one JSON record per line to
//! `AWSLogs/<account>/network-firewall/<alert|flow|tls>/YYYY/MM/DD/HH/`
//! (framing [`Framing::Ndjson`](crate::Framing::Ndjson)). A record wraps a
//! Suricata EVE event: `{"firewall_name", "availability_zone",
//! "event_timestamp", "event": {…}}`. Alert and flow events carry
//! `event_type` (`alert`, `netflow`); TLS log events carry none, but `sni`,
//! `tls_error` or `revocation_check`.
//!
//! | record | event |
//! |---|---|
//! | `event.timestamp` (else `event_timestamp`) | `@timestamp` |
//! | `availability_zone` | `cloud.availability_zone`, and `cloud.region` (the zone less its letter) |
//! | `firewall_name` | `observer.name` (with `observer.vendor: AWS`, `observer.product: Network Firewall`, `observer.type: firewall`) |
//! | `event_type` | `event.kind` (`alert` for alerts, else `event`) |
//! | `src_ip`, `src_port`, `dest_ip`, `dest_port` | `source.*`, `destination.*`, `related.ip`, `network.type` |
//! | `proto`, `app_proto` | `network.transport` (lower case), `network.protocol` (`unknown` when absent) and `network.community_id` |
//! | `alert` | `event.type` (`connection` plus `denied` for blocked, else the action), `rule.id`, `rule.name`, `rule.category`, `rule.version`, `event.severity`, and (as Elastic does) `message` = the category |
//! | `http` | `destination.domain`, `url.*`, `http.request.method`, `http.version`, `http.response.status_code`, `user_agent.*`, `related.hosts` |
//! | `tls` (alerts), `sni` (TLS logs) | `tls.*`, `destination.domain` |
//! | `tls_error`, `revocation_check` (TLS logs) | `aws.firewall.tls.*`; a revocation check's DROP/REJECT is `event.type: denied` |
//! | `netflow`, `flow_id` | `aws.firewall.flow.*` |
//! | `tcp.tcp_flags` | `aws.firewall.tcp_flags`, `aws.firewall.tcp_flags_array` |
//!
//! Where Elastic's pipeline has mistakes (see `fields/aws.firewall_logs.yml`),
//! this mapping does what the pipeline evidently meant.
//!
//! ```
//! use loglift_parsers::{network_firewall, Options};
//! let mut parser = network_firewall::build(&Options::new()).unwrap();
//! let record = r#"{"firewall_name":"firewall","availability_zone":"us-east-1b","event_timestamp":"1601587565","event":{"timestamp":"2020-10-01T21:26:05.007515+0000","flow_id":1770453319291727,"event_type":"netflow","src_ip":"45.129.33.153","src_port":47047,"dest_ip":"172.31.16.139","dest_port":16463,"proto":"TCP","netflow":{"pkts":1,"bytes":60,"start":"2020-10-01T21:25:04.070479+0000","end":"2020-10-01T21:25:04.070479+0000","age":0,"min_ttl":237,"max_ttl":237},"tcp":{"tcp_flags":"02","syn":true}}}"#;
//! let mut events = Vec::new();
//! parser.parse(record, &mut |e| events.push(e)).unwrap();
//! assert_eq!(events[0].get("cloud.region").and_then(|v| v.as_str()), Some("us-east-1"));
//! assert_eq!(events[0].get("aws.firewall.flow.pkts"), Some(&1i64.into()));
//! ```

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::json_record::{parse_decimal, JsonStr};
use crate::loose_json::{self, int, non_empty_text, present, text};
use crate::network::{community_id_v1, parse_ip};
use crate::s3access::UrlParts;
use crate::{user_agent, Event, OptionError, Options, ParseError, Parser, Timestamp, Value};

/// Dataset name.
pub const DATASET: &str = "aws.firewall_logs";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    crate::build_default::<NetworkFirewallParser>(DATASET, options)
}

/// The `aws.firewall_logs` parser; stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct NetworkFirewallParser;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    #[serde(borrow)]
    firewall_name: Option<JsonStr<'a>>,
    #[serde(borrow)]
    availability_zone: Option<JsonStr<'a>>,
    #[serde(borrow)]
    event_timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    aws_category: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow)]
    event: Option<Eve<'a>>,
}

/// The Suricata EVE event (or TLS log event) inside a record.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Eve<'a> {
    #[serde(borrow)]
    timestamp: Option<JsonStr<'a>>,
    #[serde(borrow)]
    flow_id: Option<&'a RawValue>,
    #[serde(borrow)]
    event_type: Option<JsonStr<'a>>,
    #[serde(borrow)]
    src_ip: Option<JsonStr<'a>>,
    #[serde(borrow)]
    src_port: Option<&'a RawValue>,
    #[serde(borrow)]
    dest_ip: Option<JsonStr<'a>>,
    #[serde(borrow)]
    dest_port: Option<&'a RawValue>,
    #[serde(borrow)]
    proto: Option<JsonStr<'a>>,
    #[serde(borrow)]
    app_proto: Option<JsonStr<'a>>,
    #[serde(borrow)]
    alert: Option<Alert<'a>>,
    #[serde(borrow)]
    http: Option<Http<'a>>,
    #[serde(borrow)]
    tls: Option<Tls<'a>>,
    #[serde(borrow)]
    netflow: Option<Netflow<'a>>,
    #[serde(borrow)]
    tcp: Option<Tcp<'a>>,
    #[serde(borrow)]
    sni: Option<JsonStr<'a>>,
    #[serde(borrow)]
    tls_error: Option<TlsError<'a>>,
    #[serde(borrow)]
    revocation_check: Option<RevocationCheck<'a>>,
    tls_inspected: Option<bool>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Alert<'a> {
    #[serde(borrow)]
    action: Option<JsonStr<'a>>,
    #[serde(borrow)]
    signature_id: Option<&'a RawValue>,
    #[serde(borrow)]
    rev: Option<&'a RawValue>,
    #[serde(borrow)]
    signature: Option<JsonStr<'a>>,
    #[serde(borrow)]
    category: Option<&'a RawValue>,
    #[serde(borrow)]
    severity: Option<&'a RawValue>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Http<'a> {
    #[serde(borrow)]
    hostname: Option<JsonStr<'a>>,
    #[serde(borrow)]
    url: Option<JsonStr<'a>>,
    #[serde(borrow)]
    http_user_agent: Option<JsonStr<'a>>,
    #[serde(borrow)]
    http_method: Option<JsonStr<'a>>,
    #[serde(borrow)]
    protocol: Option<JsonStr<'a>>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Tls<'a> {
    #[serde(borrow)]
    sni: Option<JsonStr<'a>>,
    #[serde(borrow)]
    version: Option<JsonStr<'a>>,
    #[serde(borrow)]
    subject: Option<JsonStr<'a>>,
    #[serde(borrow)]
    issuerdn: Option<JsonStr<'a>>,
    #[serde(borrow)]
    serial: Option<JsonStr<'a>>,
    #[serde(borrow)]
    fingerprint: Option<JsonStr<'a>>,
    #[serde(borrow)]
    notbefore: Option<JsonStr<'a>>,
    #[serde(borrow)]
    notafter: Option<JsonStr<'a>>,
    #[serde(borrow)]
    certificate: Option<JsonStr<'a>>,
    #[serde(borrow)]
    chain: Option<Vec<JsonStr<'a>>>,
    #[serde(borrow)]
    ja3: Option<Ja3<'a>>,
    #[serde(borrow)]
    ja3s: Option<Ja3<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Ja3<'a> {
    #[serde(borrow)]
    hash: Option<JsonStr<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Netflow<'a> {
    #[serde(borrow)]
    pkts: Option<&'a RawValue>,
    #[serde(borrow)]
    bytes: Option<&'a RawValue>,
    #[serde(borrow)]
    start: Option<JsonStr<'a>>,
    #[serde(borrow)]
    end: Option<JsonStr<'a>>,
    #[serde(borrow)]
    age: Option<&'a RawValue>,
    #[serde(borrow)]
    min_ttl: Option<&'a RawValue>,
    #[serde(borrow)]
    max_ttl: Option<&'a RawValue>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Tcp<'a> {
    #[serde(borrow)]
    tcp_flags: Option<JsonStr<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TlsError<'a> {
    #[serde(borrow)]
    error_message: Option<JsonStr<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RevocationCheck<'a> {
    #[serde(borrow)]
    leaf_cert_fpr: Option<JsonStr<'a>>,
    #[serde(borrow)]
    status: Option<JsonStr<'a>>,
    #[serde(borrow)]
    action: Option<JsonStr<'a>>,
}

impl Parser for NetworkFirewallParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let r: Record<'a> = loose_json::object(DATASET, "Network Firewall log", record)?;
        let empty = r.event.as_ref().is_none_or(|e| {
            e.timestamp.is_none()
                && e.event_type.is_none()
                && e.src_ip.is_none()
                && e.dest_ip.is_none()
        });
        if empty {
            return Err(ParseError::new(
                DATASET,
                "not a Network Firewall log record: no `event` with a timestamp, type or address",
            ));
        }
        emit(event(r));
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(*self))
    }
}

/// Borrowed text of `s` for the event, or an owned copy when `s` is owned.
fn same_lifetime<'a>(whole: &Cow<'a, str>, part: &str) -> Cow<'a, str> {
    match whole {
        Cow::Borrowed(b) => {
            let start = part.as_ptr() as usize - b.as_ptr() as usize;
            Cow::Borrowed(&b[start..start + part.len()])
        }
        Cow::Owned(_) => Cow::Owned(part.to_owned()),
    }
}

/// Runs `f` on `s` and copies what it adds into `e`: for the helpers that
/// borrow their input (`url.*`, `user_agent.*`) when `s` had to be unescaped.
fn add_with<'a>(e: &mut Event<'a>, s: Cow<'a, str>, f: impl for<'b> Fn(&mut Event<'b>, &'b str)) {
    match s {
        Cow::Borrowed(b) => f(e, b),
        Cow::Owned(o) => {
            let mut tmp = Event::new();
            f(&mut tmp, &o);
            for (k, v) in tmp.fields() {
                e.insert(k.to_owned(), v.clone().into_owned());
            }
        }
    }
}

fn event(r: Record<'_>) -> Event<'_> {
    let mut e = Event::new();
    let eve = r.event.unwrap_or_default();
    let ts = eve
        .timestamp
        .as_ref()
        .and_then(|t| Timestamp::parse_rfc3339(&t.0))
        .or_else(|| {
            r.event_timestamp
                .and_then(text)
                .and_then(|t| parse_decimal(&t, 1_000_000_000))
        });
    if let Some(t) = ts {
        e.push("@timestamp", t);
    }
    if let Some(az) = present(r.availability_zone) {
        // The zone less its trailing letters: us-east-2a → us-east-2.
        let region = az.trim_end_matches(|c: char| c.is_ascii_lowercase());
        if region.len() < az.len() && !region.is_empty() {
            e.push("cloud.region", same_lifetime(&az, region));
        }
        e.push("cloud.availability_zone", az);
    }
    if let Some(name) = present(r.firewall_name) {
        e.push("observer.name", name);
    }
    e.push("observer.type", "firewall");
    e.push("observer.vendor", "AWS");
    e.push("observer.product", "Network Firewall");
    let categories: Vec<Value<'_>> = r
        .aws_category
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| present(Some(c)).map(Value::Str))
        .collect();
    if !categories.is_empty() {
        e.push("aws.firewall.aws_category", Value::List(categories));
    }
    if let Some(b) = eve.tls_inspected {
        e.push("aws.firewall.tls_inspected", b);
    }

    let kind = match present(eve.event_type).as_deref() {
        Some("alert") => "alert",
        _ => "event",
    };
    e.push("event.kind", kind);
    e.push("event.category", Value::List(vec![Value::from("network")]));
    let mut types = vec![Value::from("connection")];

    // Endpoints.
    let src = present(eve.src_ip).filter(|ip| parse_ip(ip).is_some());
    let dst = present(eve.dest_ip).filter(|ip| parse_ip(ip).is_some());
    let sport = eve
        .src_port
        .and_then(int)
        .and_then(|p| u16::try_from(p).ok());
    let dport = eve
        .dest_port
        .and_then(int)
        .and_then(|p| u16::try_from(p).ok());
    let transport = present(eve.proto).map(|p| p.to_ascii_lowercase());
    if let (Some(s), Some(d), Some(t)) = (&src, &dst, &transport) {
        if let Some(id) = community_id(s, d, t, sport, dport) {
            e.push("network.community_id", id);
        }
    }
    let mut related_ip: Vec<Value<'_>> = Vec::with_capacity(2);
    if let Some(ip) = src {
        e.push(
            "network.type",
            if ip.contains(':') { "ipv6" } else { "ipv4" },
        );
        e.push("source.address", ip.clone());
        e.push("source.ip", ip.clone());
        related_ip.push(Value::Str(ip));
    }
    if let Some(p) = sport {
        e.push("source.port", p);
    }
    if let Some(ip) = dst {
        e.push("destination.address", ip.clone());
        e.push("destination.ip", ip.clone());
        let ip = Value::Str(ip);
        if !related_ip.contains(&ip) {
            related_ip.push(ip);
        }
    }
    if let Some(p) = dport {
        e.push("destination.port", p);
    }
    if !related_ip.is_empty() {
        e.push("related.ip", Value::List(related_ip));
    }
    if let Some(t) = transport {
        e.push("network.transport", t);
    }
    match present(eve.app_proto) {
        Some(p) if p != "failed" => e.push("network.protocol", p),
        _ => e.push("network.protocol", "unknown"),
    }

    if let Some(a) = eve.alert {
        alert(&mut e, a, &mut types);
    }
    let mut domain: Option<Cow<'_, str>> = None;
    if let Some(mut h) = eve.http {
        domain = present(h.hostname.take());
        http(&mut e, h);
    }
    if let Some(t) = eve.tls {
        if let Some(sni) = tls(&mut e, t) {
            domain = Some(sni);
        }
    }
    if let Some(sni) = present(eve.sni) {
        e.push("tls.client.server_name", sni.clone());
        domain = Some(sni);
    }
    if let Some(d) = domain {
        e.push("destination.domain", d);
    }
    if let Some(m) = present(eve.tls_error.and_then(|t| t.error_message)) {
        e.push("aws.firewall.tls.error_message", m);
    }
    if let Some(rc) = eve.revocation_check {
        if let Some(v) = present(rc.leaf_cert_fpr) {
            e.push("aws.firewall.tls.revocation_check.leaf_cert_fpr", v);
        }
        if let Some(v) = present(rc.status) {
            e.push("aws.firewall.tls.revocation_check.status", v);
        }
        if let Some(v) = present(rc.action) {
            match v.as_ref() {
                "DROP" | "REJECT" => types.push(Value::from("denied")),
                "PASS" => types.push(Value::from("allowed")),
                _ => {}
            }
            e.push("aws.firewall.tls.revocation_check.action", v);
        }
    }
    e.push("event.type", Value::List(types));

    if let Some(flags) = present(eve.tcp.and_then(|t| t.tcp_flags)) {
        if let Ok(bits) = u8::from_str_radix(&flags, 16) {
            let names: Vec<Value<'_>> = [
                (0x01, "fin"),
                (0x02, "syn"),
                (0x04, "rst"),
                (0x08, "psh"),
                (0x10, "ack"),
                (0x20, "urg"),
            ]
            .into_iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, name)| Value::from(name))
            .collect();
            e.push("aws.firewall.tcp_flags_array", Value::List(names));
        }
        e.push("aws.firewall.tcp_flags", flags);
    }
    if let Some(id) = eve.flow_id.and_then(non_empty_text) {
        e.push("aws.firewall.flow.id", id);
    }
    if let Some(n) = eve.netflow {
        for (key, v) in [
            ("aws.firewall.flow.pkts", n.pkts),
            ("aws.firewall.flow.bytes", n.bytes),
            ("aws.firewall.flow.age", n.age),
            ("aws.firewall.flow.min_ttl", n.min_ttl),
            ("aws.firewall.flow.max_ttl", n.max_ttl),
        ] {
            if let Some(v) = v.and_then(int) {
                e.push(key, v);
            }
        }
        if let Some(v) = present(n.start) {
            e.push("aws.firewall.flow.start", v);
        }
        if let Some(v) = present(n.end) {
            e.push("aws.firewall.flow.end", v);
        }
    }
    e
}

fn alert<'a>(e: &mut Event<'a>, a: Alert<'a>, types: &mut Vec<Value<'a>>) {
    if let Some(action) = present(a.action) {
        types.push(if action == "blocked" {
            Value::from("denied")
        } else {
            Value::Str(action)
        });
    }
    // Elastic's pipeline copies the category to `message`, even when empty.
    if let Some(category) = a.category.and_then(text) {
        if !category.is_empty() {
            e.push("rule.category", category.clone());
        }
        e.push("message", category);
    }
    let id = a.signature_id.and_then(non_empty_text);
    match present(a.signature) {
        Some(name) => e.push("rule.name", name),
        None => {
            if let Some(id) = &id {
                e.push("rule.name", id.clone());
            }
        }
    }
    if let Some(id) = id {
        e.push("rule.id", id);
    }
    if let Some(rev) = a.rev.and_then(non_empty_text) {
        e.push("rule.version", rev);
    }
    if let Some(s) = a.severity.and_then(int) {
        e.push("event.severity", s);
    }
}

fn http<'a>(e: &mut Event<'a>, h: Http<'a>) {
    if let Some(url) = present(h.url) {
        add_with(e, url, |e, u| UrlParts::parse(u).push_into(e));
        if let Some(d) = e.get("url.domain").cloned() {
            e.push("related.hosts", Value::List(vec![d]));
        }
    }
    if let Some(m) = present(h.http_method) {
        e.push("http.request.method", m);
    }
    if let Some(status) = h.status.and_then(int) {
        e.push("http.response.status_code", status);
    }
    if let Some(p) = present(h.protocol) {
        if let Some(v) = p.strip_prefix("HTTP/").filter(|v| !v.is_empty()) {
            e.push("http.version", same_lifetime(&p, v));
        }
    }
    if let Some(ua) = present(h.http_user_agent) {
        add_with(e, ua, user_agent::insert);
    }
}

/// Maps an alert's `tls` object; returns the SNI.
fn tls<'a>(e: &mut Event<'a>, t: Tls<'a>) -> Option<Cow<'a, str>> {
    let sni = present(t.sni);
    if let Some(s) = &sni {
        e.push("tls.client.server_name", s.clone());
    }
    if let Some(v) = present(t.version).filter(|v| v != "UNDETERMINED") {
        // `TLS 1.2` → version_protocol `tls`, version `1.2`.
        if let Some((proto, ver)) = v.split_once(' ') {
            if !proto.is_empty() && !ver.is_empty() {
                e.push("tls.version_protocol", proto.to_ascii_lowercase());
                e.push("tls.version", same_lifetime(&v, ver));
            }
        }
    }
    if let Some(h) = present(t.ja3.and_then(|j| j.hash)) {
        e.push("tls.client.ja3", h);
    }
    if let Some(h) = present(t.ja3s.and_then(|j| j.hash)) {
        e.push("tls.server.ja3s", h);
    }
    if let Some(c) = present(t.certificate) {
        e.push("tls.server.certificate", c);
    }
    let chain: Vec<Value<'_>> = t
        .chain
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| present(Some(c)).map(Value::Str))
        .collect();
    if !chain.is_empty() {
        e.push("tls.server.certificate_chain", Value::List(chain));
    }
    if let Some(f) = present(t.fingerprint) {
        let hex: String = f
            .chars()
            .filter(|c| *c != ':')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        e.push("tls.server.hash.sha1", hex);
    }
    if let Some(s) = present(t.serial) {
        let serial: String = s.chars().filter(|c| *c != ':').collect();
        e.push("tls.server.x509.serial_number", serial);
    }
    if let Some(s) = present(t.subject) {
        e.push("tls.server.x509.subject.distinguished_name", s);
    }
    if let Some(s) = present(t.issuerdn) {
        e.push("tls.server.x509.issuer.distinguished_name", s);
    }
    for (key, v) in [
        ("tls.server.x509.not_before", t.notbefore),
        ("tls.server.x509.not_after", t.notafter),
    ] {
        if let Some(ts) = present(v).and_then(|v| Timestamp::parse_rfc3339(&v)) {
            e.push(key, ts);
        }
    }
    sni
}

/// The Community ID of a flow, for the protocols Elasticsearch's processor
/// hashes without ICMP type/code: TCP, UDP and SCTP (with ports) and IGMP,
/// GRE, EIGRP, OSPF, PIM (addresses only).
fn community_id(
    src: &str,
    dst: &str,
    transport: &str,
    sport: Option<u16>,
    dport: Option<u16>,
) -> Option<crate::network::CommunityId> {
    let (number, ports) = match transport {
        "tcp" => (6, true),
        "udp" => (17, true),
        "sctp" => (132, true),
        "igmp" => (2, false),
        "gre" => (47, false),
        "eigrp" => (88, false),
        "ospf" => (89, false),
        "pim" => (103, false),
        _ => return None,
    };
    let (sport, dport) = if ports { (sport?, dport?) } else { (0, 0) };
    community_id_v1(parse_ip(src)?, parse_ip(dst)?, number, sport, dport, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(record: &str) -> serde_json::Value {
        let mut parser = NetworkFirewallParser;
        let mut out = Vec::new();
        parser
            .parse(record, &mut |e| e.write_json(&mut out))
            .expect("parses");
        serde_json::from_slice(&out).expect("valid JSON")
    }

    /// Network Firewall Developer Guide, "Contents of a Network Firewall
    /// log": an alert for an allowed connection.
    const AWS_ALERT: &str = r#"{"firewall_name":"test-firewall","availability_zone":"us-east-1b","event_timestamp":"1602627001","event":{"timestamp":"2020-10-13T22:10:01.006481+0000","flow_id":1582438383425873,"event_type":"alert","src_ip":"203.0.113.4","src_port":55555,"dest_ip":"192.0.2.16","dest_port":111,"proto":"TCP","alert":{"action":"allowed","signature_id":5,"rev":0,"signature":"test_tcp","category":"","severity":1}}}"#;

    /// Same guide: a netflow record.
    const AWS_NETFLOW: &str = r#"{"firewall_name":"test-firewall","availability_zone":"us-east-1b","event_timestamp":"1602627001","event":{"timestamp":"2020-10-13T22:10:01.006481+0000","flow_id":1582438383425873,"event_type":"netflow","src_ip":"203.0.113.4","src_port":55555,"dest_ip":"192.0.2.16","dest_port":111,"proto":"TCP","netflow":{"pkts":1,"bytes":60,"start":"2020-10-13T22:09:59.965419+0000","end":"2020-10-13T22:09:59.965419+0000","age":0,"min_ttl":64,"max_ttl":64},"tcp":{"tcp_flags":"1b","syn":true,"fin":true,"psh":true,"ack":true}}}"#;

    /// Network Firewall Developer Guide, "Logging for TLS inspection": a TLS
    /// error and a failed certificate revocation check.
    const AWS_TLS_ERROR: &str = r#"{"firewall_name":"firewall-tls-test","availability_zone":"us-east-1d","event_timestamp":1719943304,"event":{"timestamp":"2024-07-02T18:01:44.412778Z","src_ip":"10.0.2.53","src_port":"59844","dest_ip":"10.0.1.27","dest_port":"443","sni":"-","tls_error":{"error_message":"Server name is not found in client hello."}}}"#;
    const AWS_REVOKED: &str = r#"{"firewall_name":"egress-fw","availability_zone":"us-east-1d","event_timestamp":1708361189,"event":{"src_ip":"10.0.2.53","src_port":"55930","revocation_check":{"leaf_cert_fpr":"1234567890EXAMPLE0987654321","status":"REVOKED","action":"DROP"},"dest_ip":"54.92.160.72","dest_port":"443","timestamp":"2024-02-19T16:46:29.441824Z","sni":"revoked-rsa-dv.ssl.com"}}"#;

    #[test]
    fn maps_an_alert() {
        let v = parse(AWS_ALERT);
        assert_eq!(v["@timestamp"], "2020-10-13T22:10:01.006481Z");
        assert_eq!(v["cloud"]["region"], "us-east-1");
        assert_eq!(v["cloud"]["availability_zone"], "us-east-1b");
        assert_eq!(v["observer"]["name"], "test-firewall");
        assert_eq!(v["observer"]["product"], "Network Firewall");
        assert_eq!(v["event"]["kind"], "alert");
        assert_eq!(
            v["event"]["type"],
            serde_json::json!(["connection", "allowed"])
        );
        assert_eq!(v["event"]["severity"], 1);
        assert_eq!(v["rule"]["id"], "5");
        assert_eq!(v["rule"]["name"], "test_tcp");
        assert_eq!(v["rule"]["version"], "0");
        assert!(v["rule"].get("category").is_none());
        assert_eq!(v["message"], "");
        assert_eq!(v["source"]["port"], 55555);
        assert_eq!(v["destination"]["ip"], "192.0.2.16");
        assert_eq!(v["network"]["transport"], "tcp");
        assert_eq!(v["network"]["protocol"], "unknown");
        assert!(v["network"]["community_id"]
            .as_str()
            .unwrap()
            .starts_with("1:"));
        assert_eq!(v["aws"]["firewall"]["flow"]["id"], "1582438383425873");
    }

    #[test]
    fn maps_a_netflow_record_with_hex_tcp_flags() {
        let v = parse(AWS_NETFLOW);
        assert_eq!(v["event"]["kind"], "event");
        assert_eq!(v["event"]["type"], serde_json::json!(["connection"]));
        let flow = &v["aws"]["firewall"]["flow"];
        assert_eq!(flow["pkts"], 1);
        assert_eq!(flow["bytes"], 60);
        assert_eq!(flow["min_ttl"], 64);
        assert_eq!(flow["start"], "2020-10-13T22:09:59.965419+0000");
        assert_eq!(v["aws"]["firewall"]["tcp_flags"], "1b");
        assert_eq!(
            v["aws"]["firewall"]["tcp_flags_array"],
            serde_json::json!(["fin", "syn", "psh", "ack"])
        );
    }

    #[test]
    fn maps_tls_log_records() {
        let v = parse(AWS_TLS_ERROR);
        assert_eq!(v["event"]["kind"], "event");
        assert_eq!(v["source"]["port"], 59844);
        assert_eq!(v["destination"]["port"], 443);
        assert!(v.get("tls").is_none());
        assert_eq!(
            v["aws"]["firewall"]["tls"]["error_message"],
            "Server name is not found in client hello."
        );
        let v = parse(AWS_REVOKED);
        assert_eq!(v["@timestamp"], "2024-02-19T16:46:29.441824Z");
        assert_eq!(v["tls"]["client"]["server_name"], "revoked-rsa-dv.ssl.com");
        assert_eq!(v["destination"]["domain"], "revoked-rsa-dv.ssl.com");
        assert_eq!(
            v["aws"]["firewall"]["tls"]["revocation_check"]["status"],
            "REVOKED"
        );
        assert_eq!(
            v["event"]["type"],
            serde_json::json!(["connection", "denied"])
        );
    }

    #[test]
    fn maps_http_and_tls_details_of_alerts() {
        let v = parse(
            r#"{"firewall_name":"fw","availability_zone":"eu-west-1a","event":{"timestamp":"2021-11-08T14:22:12.637611+0000","event_type":"alert","src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":443,"proto":"TCP","app_proto":"tls","alert":{"action":"blocked","signature_id":7,"signature":"","category":"Bad","severity":2},"http":{"hostname":"h.example","url":"http:\/\/h.example\/a\/b.php?x=1","http_user_agent":"curl\/8.0","http_method":"GET","protocol":"HTTP/2","status":403},"tls":{"sni":"tls.example","version":"TLS 1.3","subject":"CN=tls.example","issuerdn":"CN=CA","serial":"0A:1B","fingerprint":"aa:bb","notbefore":"2024-01-01T00:00:00","notafter":"2025-01-01T00:00:00","ja3":{"hash":"j3"},"ja3s":{"hash":"j3s"}}}}"#,
        );
        assert_eq!(
            v["event"]["type"],
            serde_json::json!(["connection", "denied"])
        );
        assert_eq!(v["rule"]["name"], "7");
        assert_eq!(v["rule"]["category"], "Bad");
        assert_eq!(v["message"], "Bad");
        assert_eq!(v["url"]["domain"], "h.example");
        assert_eq!(v["url"]["path"], "/a/b.php");
        assert_eq!(v["url"]["extension"], "php");
        assert_eq!(v["related"]["hosts"], serde_json::json!(["h.example"]));
        assert_eq!(v["user_agent"]["original"], "curl/8.0");
        assert_eq!(v["http"]["version"], "2");
        assert_eq!(v["http"]["response"]["status_code"], 403);
        assert_eq!(v["destination"]["domain"], "tls.example");
        assert_eq!(v["tls"]["version"], "1.3");
        assert_eq!(v["tls"]["version_protocol"], "tls");
        assert_eq!(v["tls"]["client"]["ja3"], "j3");
        assert_eq!(v["tls"]["server"]["ja3s"], "j3s");
        assert_eq!(v["tls"]["server"]["x509"]["serial_number"], "0A1B");
        assert_eq!(v["tls"]["server"]["hash"]["sha1"], "AABB");
        assert_eq!(
            v["tls"]["server"]["x509"]["not_after"],
            "2025-01-01T00:00:00.000Z"
        );
        assert_eq!(v["network"]["protocol"], "tls");
    }

    #[test]
    fn malformed_records_are_errors() {
        let mut parser = NetworkFirewallParser;
        for bad in [
            "",
            "nope",
            r#"{"firewall_name":"fw"}"#,
            r#"{"event":{"src_port":1"#,
            r#"{"event":[]}"#,
            r#"{"event":{"src_ip":4}}"#,
        ] {
            assert!(parser.parse(bad, &mut |_| {}).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn arbitrary_fields_never_panic(az in "[ -~]{0,12}", flags in "[0-9a-z]{0,4}", url in "[ -~]{0,30}") {
            let record = serde_json::json!({"availability_zone": az, "event": {"src_ip": "1.2.3.4", "dest_ip": "::1", "proto": "UDP", "tcp": {"tcp_flags": flags}, "http": {"url": url, "protocol": url, "http_user_agent": url}, "tls": {"version": url}}}).to_string();
            let mut parser = NetworkFirewallParser;
            parser.parse(&record, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                serde_json::from_slice::<serde::de::IgnoredAny>(&out).expect("valid JSON");
            }).unwrap();
        }
    }
}
