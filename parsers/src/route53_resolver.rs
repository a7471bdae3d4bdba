//! `aws.route53_resolver_logs`: Route 53 (VPC) Resolver query logs, DNS
//! Firewall matches included, mapped as Elastic's AWS integration maps them.
//!
//! Resolver writes one JSON record per line to
//! `AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/YYYY/MM/DD/` (framing
//! [`Framing::Ndjson`](crate::Framing::Ndjson)). A record is read in one
//! validating pass; strings borrow from it unless they hold escapes or lose
//! their trailing dot.
//!
//! | record | event |
//! |---|---|
//! | `query_timestamp` | `@timestamp` |
//! | `account_id`, `region` | `cloud.account.id`, `cloud.region` |
//! | `vpc_id`, `srcids.instance` | `aws.vpc_id`, `aws.instance_id` and `cloud.instance.id` |
//! | `query_name` (trailing dot removed) | `dns.question.name`, `related.hosts` (not for PTR), and `dns.question.registered_domain`/`top_level_domain`/`subdomain` (not for reverse-lookup names) |
//! | `query_class`, `query_type`, `rcode` | `dns.question.class`, `dns.question.type`, `dns.response_code`; `event.outcome` success for `NOERROR`, else failure |
//! | `answers` | `dns.answers` (`class`, `type`, `data` without its trailing dot, and `name` for CNAME answers); A/AAAA data into `related.ip`, CNAME/PTR data into `related.hosts` |
//! | `srcaddr`, `srcport` | `source.address`, `source.ip`, `source.port`, `related.ip`, `network.type` |
//! | `transport` | `network.transport` (lower case), `network.iana_number` |
//! | PTR `query_name` (`…in-addr.arpa`, `…ip6.arpa`) | the address looked up, into `related.ip` |
//! | `firewall_rule_action`, `firewall_rule_group_id`, `firewall_domain_list_id` | `aws.route53.firewall.*` |
//!
//! Every event has `event.kind: event`, `event.category: [network]`,
//! `event.type: [protocol]` and `network.protocol: dns`.
//!
//! ```
//! use loglift_parsers::{route53_resolver, Options};
//! let mut parser = route53_resolver::build(&Options::new()).unwrap();
//! let record = r#"{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-7example","query_timestamp":"2021-02-04T17:51:55Z","query_name":"www.example.com.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"192.0.2.44","Type":"A","Class":"IN"}],"srcaddr":"10.0.0.5","srcport":"56067","transport":"UDP","srcids":{"instance":"i-0d15cd0d3example"}}"#;
//! let mut events = Vec::new();
//! parser.parse(record, &mut |e| events.push(e)).unwrap();
//! assert_eq!(events[0].get("dns.question.registered_domain").and_then(|v| v.as_str()), Some("example.com"));
//! ```

use std::borrow::Cow;
use std::net::IpAddr;

use serde_json::value::RawValue;

use crate::json_record::JsonStr;
use crate::loose_json::{self, int, non_empty, non_empty_text};
use crate::network::parse_ip;
use crate::public_suffix::registered_domain;
use crate::{Event, OptionError, Options, ParseError, Parser, Timestamp, Value};

/// Dataset name.
pub const DATASET: &str = "aws.route53_resolver_logs";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    crate::build_default::<Route53ResolverParser>(DATASET, options)
}

/// The `aws.route53_resolver_logs` parser; stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct Route53ResolverParser;

/// One query log record: the members the mapping uses.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    #[serde(borrow)]
    account_id: Option<&'a RawValue>,
    #[serde(borrow)]
    region: Option<JsonStr<'a>>,
    #[serde(borrow)]
    vpc_id: Option<JsonStr<'a>>,
    #[serde(borrow)]
    query_timestamp: Option<JsonStr<'a>>,
    #[serde(borrow)]
    query_name: Option<JsonStr<'a>>,
    #[serde(borrow)]
    query_type: Option<JsonStr<'a>>,
    #[serde(borrow)]
    query_class: Option<JsonStr<'a>>,
    #[serde(borrow)]
    rcode: Option<JsonStr<'a>>,
    #[serde(borrow)]
    answers: Option<Vec<Answer<'a>>>,
    #[serde(borrow)]
    srcaddr: Option<JsonStr<'a>>,
    #[serde(borrow)]
    srcport: Option<&'a RawValue>,
    #[serde(borrow)]
    transport: Option<JsonStr<'a>>,
    #[serde(borrow)]
    srcids: Option<SrcIds<'a>>,
    #[serde(borrow)]
    firewall_rule_action: Option<JsonStr<'a>>,
    #[serde(borrow)]
    firewall_rule_group_id: Option<JsonStr<'a>>,
    #[serde(borrow)]
    firewall_domain_list_id: Option<JsonStr<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Answer<'a> {
    #[serde(borrow, rename = "Rdata")]
    rdata: Option<&'a RawValue>,
    #[serde(borrow, rename = "Type")]
    kind: Option<JsonStr<'a>>,
    #[serde(borrow, rename = "Class")]
    class: Option<JsonStr<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SrcIds<'a> {
    #[serde(borrow)]
    instance: Option<JsonStr<'a>>,
}

/// `s` without one trailing dot.
fn strip_dot(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.strip_suffix('.').unwrap_or(b)),
        Cow::Owned(mut o) => {
            if o.ends_with('.') {
                o.pop();
            }
            Cow::Owned(o)
        }
    }
}

impl Parser for Route53ResolverParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let r: Record<'a> = loose_json::object(DATASET, "Resolver query log", record)?;
        if r.query_timestamp.is_none() && r.query_name.is_none() {
            return Err(ParseError::new(
                DATASET,
                "not a Resolver query log record: no query_timestamp or query_name",
            ));
        }
        emit(event(r));
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(*self))
    }
}

fn event(r: Record<'_>) -> Event<'_> {
    let mut e = Event::new();
    if let Some(t) = r
        .query_timestamp
        .as_ref()
        .and_then(|t| Timestamp::parse_rfc3339(&t.0))
    {
        e.push("@timestamp", t);
    }
    e.push("event.kind", "event");
    e.push("event.category", Value::List(vec![Value::from("network")]));
    e.push("event.type", Value::List(vec![Value::from("protocol")]));
    if let Some(v) = r.account_id.and_then(non_empty_text) {
        e.push("cloud.account.id", v);
    }
    if let Some(v) = non_empty(r.region) {
        e.push("cloud.region", v);
    }
    if let Some(v) = non_empty(r.vpc_id) {
        e.push("aws.vpc_id", v);
    }
    if let Some(v) = non_empty(r.srcids.and_then(|s| s.instance)) {
        e.push("cloud.instance.id", v.clone());
        e.push("aws.instance_id", v);
    }
    for (key, v) in [
        ("aws.route53.firewall.action", r.firewall_rule_action),
        (
            "aws.route53.firewall.rule_group.id",
            r.firewall_rule_group_id,
        ),
        (
            "aws.route53.firewall.domain_list.id",
            r.firewall_domain_list_id,
        ),
    ] {
        if let Some(v) = non_empty(v) {
            e.push(key, v);
        }
    }

    let question_type = non_empty(r.query_type);
    let is_ptr = question_type.as_deref() == Some("PTR");
    let name = r
        .query_name
        .map(|n| strip_dot(n.0))
        .filter(|n| !n.is_empty());
    let mut related_ip: Vec<Value<'_>> = Vec::new();
    let mut related_hosts: Vec<Value<'_>> = Vec::new();

    if let Some(name) = &name {
        let reverse = name.ends_with("in-addr.arpa") || name.ends_with("ip6.arpa");
        if !reverse {
            if let Some(d) = registered_domain(name) {
                let (reg, tld, sub) = (
                    d.registered_domain.len(),
                    d.top_level_domain.len(),
                    d.subdomain.map(str::len),
                );
                let n = name.len();
                let part = |from: usize, to: usize| -> Cow<'_, str> {
                    match name {
                        Cow::Borrowed(b) => Cow::Borrowed(&b[from..to]),
                        Cow::Owned(o) => Cow::Owned(o[from..to].to_owned()),
                    }
                };
                e.push("dns.question.registered_domain", part(n - reg, n));
                e.push("dns.question.top_level_domain", part(n - tld, n));
                if let Some(sub) = sub {
                    e.push("dns.question.subdomain", part(0, sub));
                }
            }
        }
    }
    if let Some(v) = non_empty(r.query_class) {
        e.push("dns.question.class", v);
    }
    if let Some(v) = question_type {
        e.push("dns.question.type", v);
    }
    let rcode = non_empty(r.rcode);
    e.push(
        "event.outcome",
        if rcode.as_deref() == Some("NOERROR") {
            "success"
        } else {
            "failure"
        },
    );
    if let Some(v) = rcode {
        e.push("dns.response_code", v);
    }
    if let Some(answers) = r.answers {
        if let Some(json) = answers_json(answers, &mut related_ip, &mut related_hosts) {
            e.push("dns.answers", Value::Json(Cow::Owned(json)));
        }
    }

    if let Some(t) = non_empty(r.transport) {
        let t = t.to_ascii_lowercase();
        match t.as_str() {
            "tcp" => e.push("network.iana_number", "6"),
            "udp" => e.push("network.iana_number", "17"),
            _ => {}
        }
        e.push("network.transport", t);
    }
    e.push("network.protocol", "dns");
    if let Some(port) = r.srcport.and_then(int) {
        e.push("source.port", port);
    }
    if let Some(addr) = non_empty(r.srcaddr) {
        if parse_ip(&addr).is_some() {
            e.push(
                "network.type",
                if addr.contains(':') { "ipv6" } else { "ipv4" },
            );
            e.push("source.ip", addr.clone());
            related_ip.push(Value::Str(addr.clone()));
        }
        e.push("source.address", addr);
    }
    if let Some(name) = &name {
        if is_ptr {
            if let Some(ip) = reverse_lookup_address(name) {
                let ip = Value::from(ip);
                if !related_ip.contains(&ip) {
                    related_ip.push(ip);
                }
            }
        } else {
            related_hosts.push(Value::Str(name.clone()));
        }
        e.push("dns.question.name", name.clone());
    }
    if !related_ip.is_empty() {
        e.push("related.ip", Value::List(related_ip));
    }
    if !related_hosts.is_empty() {
        e.push("related.hosts", Value::List(related_hosts));
    }
    e
}

/// The answers as a JSON array of `{class, data, name, type}` objects (keys
/// in byte order; `name` only for CNAME answers, as Elastic sets it), and
/// their addresses and host names into `related`. Answers left with no
/// member are dropped; `None` when none is left.
fn answers_json<'a>(
    answers: Vec<Answer<'a>>,
    related_ip: &mut Vec<Value<'a>>,
    related_hosts: &mut Vec<Value<'a>>,
) -> Option<String> {
    let mut out = Vec::with_capacity(64 * answers.len());
    out.push(b'[');
    let mut count = 0;
    for a in answers {
        let class = non_empty(a.class);
        let kind = non_empty(a.kind);
        let data = a
            .rdata
            .and_then(crate::loose_json::text)
            .map(strip_dot)
            .filter(|d| !d.is_empty());
        if class.is_none() && kind.is_none() && data.is_none() {
            continue;
        }
        if count > 0 {
            out.push(b',');
        }
        count += 1;
        out.push(b'{');
        let mut first = true;
        let mut member = |out: &mut Vec<u8>, key: &str, v: &str| {
            if !first {
                out.push(b',');
            }
            first = false;
            crate::event::write_str(out, key);
            out.push(b':');
            crate::event::write_str(out, v);
        };
        if let Some(c) = &class {
            member(&mut out, "class", c);
        }
        if let Some(d) = &data {
            member(&mut out, "data", d);
            if kind.as_deref() == Some("CNAME") {
                member(&mut out, "name", d);
            }
        }
        if let Some(k) = &kind {
            member(&mut out, "type", k);
        }
        out.push(b'}');
        if let Some(d) = data {
            match kind.as_deref() {
                Some("A" | "AAAA") if parse_ip(&d).is_some() => related_ip.push(Value::Str(d)),
                Some("CNAME" | "PTR") => related_hosts.push(Value::Str(d)),
                _ => {}
            }
        }
    }
    out.push(b']');
    if count == 0 {
        return None;
    }
    String::from_utf8(out).ok()
}

/// The address a reverse-lookup name asks about: `4.3.2.1.in-addr.arpa` →
/// `1.2.3.4`; `b.a.9.8.…ip6.arpa` → `89ab:…` (groups of four nibbles, as
/// Elastic's pipeline writes them). `None` when the result is not an address.
fn reverse_lookup_address(name: &str) -> Option<String> {
    let ip = if let Some(v4) = name.strip_suffix(".in-addr.arpa") {
        let mut parts: Vec<&str> = v4.split('.').collect();
        parts.reverse();
        parts.join(".")
    } else if let Some(v6) = name.strip_suffix(".ip6.arpa") {
        let nibbles: Vec<&str> = v6.split('.').rev().collect();
        let mut s = String::with_capacity(39);
        for (i, n) in nibbles.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                s.push(':');
            }
            s.push_str(n);
        }
        s
    } else {
        return None;
    };
    matches!(parse_ip(&ip), Some(IpAddr::V4(_) | IpAddr::V6(_))).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(record: &str) -> serde_json::Value {
        let mut parser = Route53ResolverParser;
        let mut out = Vec::new();
        parser
            .parse(record, &mut |e| e.write_json(&mut out))
            .expect("parses");
        serde_json::from_slice(&out).expect("valid JSON")
    }

    /// Route 53 Developer Guide, "Route 53 VPC Resolver query log example":
    /// a PTR query blocked by a DNS Firewall rule.
    const AWS_EXAMPLE: &str = r#"{"srcaddr":"4.5.64.102","vpc_id":"vpc-7example","answers":[{"Rdata":"203.0.113.9","Type":"PTR","Class":"IN"}],"firewall_rule_group_id":"rslvr-frg-01234567890abcdef","firewall_rule_action":"BLOCK","query_name":"15.3.4.32.in-addr.arpa.","firewall_domain_list_id":"rslvr-fdl-01234567890abcdef","query_class":"IN","srcids":{"instance":"i-0d15cd0d3example"},"rcode":"NOERROR","query_type":"PTR","transport":"UDP","version":"1.100000","account_id":"111122223333","srcport":"56067","query_timestamp":"2021-02-04T17:51:55Z","region":"us-east-1"}"#;

    #[test]
    fn maps_the_documented_firewall_example() {
        let v = parse(AWS_EXAMPLE);
        assert_eq!(v["@timestamp"], "2021-02-04T17:51:55.000Z");
        assert_eq!(v["cloud"]["account"]["id"], "111122223333");
        assert_eq!(v["cloud"]["region"], "us-east-1");
        assert_eq!(v["cloud"]["instance"]["id"], "i-0d15cd0d3example");
        assert_eq!(v["aws"]["instance_id"], "i-0d15cd0d3example");
        assert_eq!(v["aws"]["vpc_id"], "vpc-7example");
        assert_eq!(v["aws"]["route53"]["firewall"]["action"], "BLOCK");
        assert_eq!(
            v["aws"]["route53"]["firewall"]["rule_group"]["id"],
            "rslvr-frg-01234567890abcdef"
        );
        assert_eq!(
            v["aws"]["route53"]["firewall"]["domain_list"]["id"],
            "rslvr-fdl-01234567890abcdef"
        );
        assert_eq!(v["dns"]["question"]["name"], "15.3.4.32.in-addr.arpa");
        assert!(v["dns"]["question"].get("registered_domain").is_none());
        assert_eq!(v["dns"]["question"]["type"], "PTR");
        assert_eq!(
            v["dns"]["answers"],
            serde_json::json!([{"class": "IN", "data": "203.0.113.9", "type": "PTR"}])
        );
        assert_eq!(v["event"]["outcome"], "success");
        assert_eq!(v["network"]["transport"], "udp");
        assert_eq!(v["network"]["iana_number"], "17");
        assert_eq!(v["network"]["type"], "ipv4");
        assert_eq!(v["source"]["port"], 56067);
        assert_eq!(
            v["related"]["ip"],
            serde_json::json!(["4.5.64.102", "32.4.3.15"])
        );
        // PTR data is a host name for Elastic, whatever it holds.
        assert_eq!(v["related"]["hosts"], serde_json::json!(["203.0.113.9"]));
    }

    #[test]
    fn cname_answers_get_a_name_and_addresses_keep_duplicates() {
        let v = parse(
            r#"{"account_id":"1","query_timestamp":"2021-12-11T22:46:26Z","query_name":"a.s3.us-east-1.amazonaws.com.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"s3-r-w.us-east-1.amazonaws.com.","Type":"CNAME","Class":"IN"},{"Rdata":"67.43.156.12","Type":"A","Class":"IN"},{"Rdata":"67.43.156.12","Type":"A","Class":"IN"}],"srcaddr":"67.43.156.12","srcport":"43312","transport":"TCP","srcids":{}}"#,
        );
        assert_eq!(
            v["dns"]["answers"][0],
            serde_json::json!({"class": "IN", "data": "s3-r-w.us-east-1.amazonaws.com", "name": "s3-r-w.us-east-1.amazonaws.com", "type": "CNAME"})
        );
        assert_eq!(
            v["dns"]["question"]["registered_domain"],
            "us-east-1.amazonaws.com"
        );
        assert_eq!(v["dns"]["question"]["top_level_domain"], "amazonaws.com");
        assert_eq!(v["dns"]["question"]["subdomain"], "a.s3");
        assert_eq!(v["related"]["ip"].as_array().unwrap().len(), 3);
        assert_eq!(
            v["related"]["hosts"],
            serde_json::json!([
                "s3-r-w.us-east-1.amazonaws.com",
                "a.s3.us-east-1.amazonaws.com"
            ])
        );
        assert_eq!(v["network"]["iana_number"], "6");
        assert!(v.get("cloud").unwrap().get("instance").is_none());
    }

    #[test]
    fn failed_queries_and_ipv6_reverse_lookups() {
        let v = parse(
            r#"{"query_timestamp":"2021-12-11T22:46:39Z","query_name":"b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa.","query_type":"PTR","rcode":"NXDOMAIN","answers":[],"srcaddr":"2001:db8::1","srcport":"59464","transport":"UDP"}"#,
        );
        assert_eq!(v["event"]["outcome"], "failure");
        assert_eq!(v["network"]["type"], "ipv6");
        assert!(v["dns"].get("answers").is_none());
        assert_eq!(
            v["related"]["ip"],
            serde_json::json!(["2001:db8::1", "4321:0000:0001:0002:0003:0004:0567:89ab"])
        );
        assert!(v.get("related").unwrap().get("hosts").is_none());
    }

    #[test]
    fn malformed_records_are_errors() {
        let mut parser = Route53ResolverParser;
        for bad in [
            "",
            "garbage",
            r#"{"query_name":"a.com."#,
            r#"{"version":"1.1"}"#,
            r#"{"query_name":5}"#,
            r#"{"query_name":"a.","answers":{}}"#,
        ] {
            assert!(parser.parse(bad, &mut |_| {}).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn arbitrary_names_never_panic(name in r#"[a-z0-9.\-*!]{0,40}"#) {
            let record = format!(r#"{{"query_timestamp":"x","query_name":"{name}","query_type":"PTR","answers":[{{"Rdata":"{name}","Type":"CNAME"}}]}}"#);
            let mut parser = Route53ResolverParser;
            parser.parse(&record, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                serde_json::from_slice::<serde::de::IgnoredAny>(&out).expect("valid JSON");
            }).unwrap();
            let _ = registered_domain(&name);
        }
    }
}
