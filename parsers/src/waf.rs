//! `aws.waf`: AWS WAF (v2) web ACL traffic logs, mapped as Elastic's AWS
//! integration maps them.
//!
//! WAF delivers its logs to S3 under
//! `AWSLogs/<account>/WAFLogs/<region>/<web-acl>/YYYY/MM/DD/HH/mm/`, one JSON
//! record per line (framing [`Framing::Ndjson`](crate::Framing::Ndjson)).
//! A record is read in one validating pass; strings borrow from it unless
//! they hold escapes.
//!
//! | record | event |
//! |---|---|
//! | `timestamp` (ms) | `@timestamp` |
//! | `webaclId` | `aws.waf.arn`; its parts `cloud.service.name`, `cloud.region`, `cloud.account.id`, `aws.waf.id` |
//! | `action` | `event.action`; `event.type` `access` plus `allowed` (ALLOW) or `denied` (BLOCK) |
//! | `terminatingRuleId`, `terminatingRuleType` | `rule.id`, `rule.ruleset` |
//! | `httpSourceName`, `httpSourceId` | `aws.waf.source.name`, `aws.waf.source.id` |
//! | `httpRequest.clientIp` | `source.ip`, `related.ip` |
//! | `httpRequest.country` | `source.geo.country_iso_code` (GeoIP, when enabled, takes precedence) |
//! | `httpRequest.httpMethod`, `requestId` | `http.request.method`, `http.request.id` |
//! | `httpRequest.httpVersion` (`HTTP/1.1`) | `network.protocol` (`http`), `http.version` (`1.1`), `network.transport` (`tcp`) |
//! | `httpRequest.uri`, `args` | `url.path`, `url.query` |
//! | `httpRequest.headers` | `aws.waf.request.headers` (name → value) |
//! | `terminatingRuleMatchDetails`, `ruleGroupList`, `rateBasedRuleList`, `nonTerminatingMatchingRules` | `aws.waf.*` as written, nulls and empty members dropped |
//!
//! Beyond Elastic's mapping: `labels` (`aws.waf.labels`), `ja3Fingerprint`
//! (`tls.client.ja3`), `ja4Fingerprint`, `responseCodeSent`, `clientAsn`,
//! and `httpRequest.host`/`scheme`/`fragment` (`url.*`). As in Elastic's
//! pipeline, empty values and `-` are treated as absent.
//!
//! ```
//! use loglift_parsers::{waf, Options};
//! let mut parser = waf::build(&Options::new()).unwrap();
//! let record = r#"{"timestamp":1576280412771,"formatVersion":1,"webaclId":"arn:aws:wafv2:ap-southeast-2:111122223333:regional/webacl/STMTest/1EXAMPLE","terminatingRuleId":"Default_Action","terminatingRuleType":"REGULAR","action":"ALLOW","httpSourceName":"ALB","httpSourceId":"alb","httpRequest":{"clientIp":"1.1.1.1","country":"AU","headers":[{"name":"Host","value":"localhost:1989"}],"uri":"/","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"rid"}}"#;
//! let mut events = Vec::new();
//! parser.parse(record, &mut |e| events.push(e)).unwrap();
//! assert_eq!(events[0].get("cloud.account.id").and_then(|v| v.as_str()), Some("111122223333"));
//! assert_eq!(events[0].get("http.version").and_then(|v| v.as_str()), Some("1.1"));
//! ```

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::json_record::JsonStr;
use crate::loose_json::{self, int, non_empty_text, present, Prune};
use crate::network::parse_ip;
use crate::{Event, OptionError, Options, ParseError, Parser, Timestamp, Value};

/// Dataset name.
pub const DATASET: &str = "aws.waf";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    crate::build_default::<WafParser>(DATASET, options)
}

/// The `aws.waf` parser; stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct WafParser;

/// What Elastic's pipeline drops from WAF records: `null`, `""`, `-` and
/// empty containers (in objects, not in arrays).
const PRUNE: Prune = Prune {
    empty: true,
    dash: true,
    in_arrays: false,
};

/// One WAF log record: the members the mapping uses.
#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Record<'a> {
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    webacl_id: Option<JsonStr<'a>>,
    #[serde(borrow)]
    terminating_rule_id: Option<JsonStr<'a>>,
    #[serde(borrow)]
    terminating_rule_type: Option<JsonStr<'a>>,
    #[serde(borrow)]
    action: Option<JsonStr<'a>>,
    #[serde(borrow)]
    terminating_rule_match_details: Option<&'a RawValue>,
    #[serde(borrow)]
    http_source_name: Option<JsonStr<'a>>,
    #[serde(borrow)]
    http_source_id: Option<JsonStr<'a>>,
    #[serde(borrow)]
    rule_group_list: Option<&'a RawValue>,
    #[serde(borrow)]
    rate_based_rule_list: Option<&'a RawValue>,
    #[serde(borrow)]
    non_terminating_matching_rules: Option<&'a RawValue>,
    #[serde(borrow)]
    response_code_sent: Option<&'a RawValue>,
    #[serde(borrow)]
    http_request: Option<HttpRequest<'a>>,
    #[serde(borrow)]
    labels: Option<Vec<Label<'a>>>,
    #[serde(borrow)]
    ja3_fingerprint: Option<JsonStr<'a>>,
    #[serde(borrow)]
    ja4_fingerprint: Option<JsonStr<'a>>,
    #[serde(borrow, alias = "ClientASN")]
    client_asn: Option<&'a RawValue>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct HttpRequest<'a> {
    #[serde(borrow)]
    client_ip: Option<JsonStr<'a>>,
    #[serde(borrow)]
    country: Option<JsonStr<'a>>,
    #[serde(borrow)]
    headers: Option<Vec<Header<'a>>>,
    #[serde(borrow)]
    uri: Option<JsonStr<'a>>,
    #[serde(borrow)]
    args: Option<JsonStr<'a>>,
    #[serde(borrow)]
    http_version: Option<JsonStr<'a>>,
    #[serde(borrow)]
    http_method: Option<JsonStr<'a>>,
    #[serde(borrow)]
    request_id: Option<JsonStr<'a>>,
    #[serde(borrow)]
    host: Option<JsonStr<'a>>,
    #[serde(borrow)]
    scheme: Option<JsonStr<'a>>,
    #[serde(borrow)]
    fragment: Option<JsonStr<'a>>,
    #[serde(borrow)]
    client_asn: Option<&'a RawValue>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Header<'a> {
    #[serde(borrow)]
    name: Option<JsonStr<'a>>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Label<'a> {
    #[serde(borrow)]
    name: Option<JsonStr<'a>>,
}

impl Parser for WafParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let r: Record<'a> = loose_json::object(DATASET, "WAF log", record)?;
        if r.timestamp.is_none() && r.webacl_id.is_none() && r.http_request.is_none() {
            return Err(ParseError::new(
                DATASET,
                "not a WAF log record: no timestamp, webaclId or httpRequest",
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
    if let Some(ts) = r
        .timestamp
        .and_then(int)
        .and_then(|ms| ms.checked_mul(1_000_000))
    {
        e.push("@timestamp", Timestamp::from_unix_nanos(ts));
    }
    e.push("event.kind", "event");
    e.push("event.category", Value::List(vec![Value::from("web")]));
    let action = present(r.action);
    let mut types = vec![Value::from("access")];
    match action.as_deref() {
        Some("ALLOW") => types.push(Value::from("allowed")),
        Some("BLOCK") => types.push(Value::from("denied")),
        _ => {}
    }
    e.push("event.type", Value::List(types));
    if let Some(a) = action {
        e.push("event.action", a);
    }

    if let Some(arn) = present(r.webacl_id) {
        push_arn(&mut e, arn.clone());
        e.push("aws.waf.arn", arn);
    }
    if let Some(v) = present(r.terminating_rule_id) {
        e.push("rule.id", v);
    }
    if let Some(v) = present(r.terminating_rule_type) {
        e.push("rule.ruleset", v);
    }
    if let Some(v) = present(r.http_source_name) {
        e.push("aws.waf.source.name", v);
    }
    if let Some(v) = present(r.http_source_id) {
        e.push("aws.waf.source.id", v);
    }
    for (key, raw) in [
        (
            "aws.waf.terminating_rule_match_details",
            r.terminating_rule_match_details,
        ),
        ("aws.waf.rule_group_list", r.rule_group_list),
        ("aws.waf.rate_based_rule_list", r.rate_based_rule_list),
        (
            "aws.waf.non_terminating_matching_rules",
            r.non_terminating_matching_rules,
        ),
    ] {
        if let Some(json) = raw.and_then(|raw| loose_json::normalize(raw, PRUNE)) {
            e.push(key, Value::Json(Cow::Owned(json)));
        }
    }
    if let Some(code) = r.response_code_sent.and_then(int) {
        e.push("aws.waf.response_code_sent", code);
    }
    let labels: Vec<Value<'_>> = r
        .labels
        .unwrap_or_default()
        .into_iter()
        .filter_map(|l| present(l.name).map(Value::Str))
        .collect();
    if !labels.is_empty() {
        e.push("aws.waf.labels", Value::List(labels));
    }
    if let Some(v) = present(r.ja3_fingerprint) {
        e.push("tls.client.ja3", v);
    }
    if let Some(v) = present(r.ja4_fingerprint) {
        e.push("aws.waf.ja4_fingerprint", v);
    }

    let mut asn = r.client_asn.and_then(int);
    if let Some(req) = r.http_request {
        asn = asn.or_else(|| req.client_asn.and_then(int));
        request(&mut e, req);
    }
    if let Some(n) = asn {
        e.push("source.as.number", n);
    }
    e
}

/// `arn:<partition>:<service>:<region>:<account>:<id>` into its parts, as
/// Elastic's dissect pattern splits it (the id keeps any further `:`).
fn push_arn<'a>(e: &mut Event<'a>, arn: Cow<'a, str>) {
    const KEYS: [&str; 4] = [
        "cloud.service.name",
        "cloud.region",
        "cloud.account.id",
        "aws.waf.id",
    ];
    fn parts(arn: &str) -> Option<[&str; 4]> {
        let mut p = arn.splitn(6, ':');
        if p.next()? != "arn" {
            return None;
        }
        p.next()?;
        Some([p.next()?, p.next()?, p.next()?, p.next()?])
    }
    let usable = |v: &&str| !v.is_empty() && *v != "-";
    match arn {
        Cow::Borrowed(b) => {
            for (key, v) in KEYS.into_iter().zip(parts(b).unwrap_or_default()) {
                if usable(&v) {
                    e.push(key, v);
                }
            }
        }
        Cow::Owned(o) => {
            for (key, v) in KEYS.into_iter().zip(parts(&o).unwrap_or_default()) {
                if usable(&v) {
                    e.push(key, v.to_owned());
                }
            }
        }
    }
}

fn request<'a>(e: &mut Event<'a>, req: HttpRequest<'a>) {
    if let Some(ip) = present(req.client_ip) {
        if parse_ip(&ip).is_some() {
            e.push("related.ip", Value::List(vec![Value::Str(ip.clone())]));
        }
        e.push("source.ip", ip);
    }
    if let Some(c) = present(req.country) {
        e.push("source.geo.country_iso_code", c);
    }
    if let Some(v) = present(req.request_id) {
        e.push("http.request.id", v);
    }
    if let Some(v) = present(req.http_method) {
        e.push("http.request.method", v);
    }
    if let Some(version) = present(req.http_version) {
        // `HTTP/1.1` → network.protocol `http`, http.version `1.1`.
        if let Some((proto, ver)) = version.split_once('/') {
            let proto = proto.to_ascii_lowercase();
            if !ver.is_empty() {
                let ver: Cow<'a, str> = match &version {
                    Cow::Borrowed(b) => Cow::Borrowed(&b[proto.len() + 1..]),
                    Cow::Owned(o) => Cow::Owned(o[proto.len() + 1..].to_owned()),
                };
                e.push("http.version", ver);
            }
            if !proto.is_empty() {
                if proto == "http" {
                    e.push("network.transport", "tcp");
                }
                e.push("network.protocol", proto);
            }
        }
    }
    if let Some(v) = present(req.uri) {
        e.push("url.path", v);
    }
    if let Some(v) = present(req.args) {
        e.push("url.query", v);
    }
    if let Some(v) = present(req.host) {
        e.push("url.domain", v);
    }
    if let Some(v) = present(req.scheme) {
        e.push("url.scheme", v);
    }
    if let Some(v) = present(req.fragment) {
        e.push("url.fragment", v);
    }
    if let Some(headers) = req.headers {
        if let Some(json) = headers_json(&headers) {
            e.push("aws.waf.request.headers", Value::Json(Cow::Owned(json)));
        }
    }
}

/// The headers as one JSON object, name → value: a repeated name keeps its
/// first position and its last value (a map's put); values that are null,
/// empty or `-` are dropped, as Elastic's pipeline drops them.
fn headers_json(headers: &[Header<'_>]) -> Option<String> {
    let mut map: Vec<(&str, Option<Cow<'_, str>>)> = Vec::with_capacity(headers.len());
    for h in headers {
        let Some(name) = h.name.as_ref().map(|n| n.0.as_ref()) else {
            continue;
        };
        let value = h.value.and_then(non_empty_text).filter(|v| v != "-");
        match map.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => map.push((name, value)),
        }
    }
    let mut out = Vec::with_capacity(64 * map.len());
    out.push(b'{');
    let mut first = true;
    for (name, value) in &map {
        let Some(value) = value else { continue };
        if !first {
            out.push(b',');
        }
        first = false;
        crate::event::write_str(&mut out, name);
        out.push(b':');
        crate::event::write_str(&mut out, value);
    }
    out.push(b'}');
    if first {
        return None;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(record: &str) -> serde_json::Value {
        let mut parser = WafParser;
        let mut out = Vec::new();
        parser
            .parse(record, &mut |e| e.write_json(&mut out))
            .expect("parses");
        serde_json::from_slice(&out).expect("valid JSON")
    }

    /// AWS WAF Developer Guide, "Log examples for web ACL traffic": a request
    /// blocked by a rate-based rule with a custom key (abridged to the members
    /// this test checks).
    const RATE_BASED: &str = r#"{"timestamp":1683355579981,"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-1:111122223333:regional/webacl/RateBasedTestACL/7b17fd30-EXAMPLE","terminatingRuleId":"RateBasedRule","terminatingRuleType":"RATE_BASED","action":"BLOCK","terminatingRuleMatchDetails":[],"httpSourceName":"APIGW","httpSourceId":"EXAMPLE11:rjvegx5guh:CanaryTest","ruleGroupList":[],"rateBasedRuleList":[{"rateBasedRuleId":"arn:aws:wafv2:us-east-1:111122223333:regional/ipset/3484cc2d-EXAMPLE","rateBasedRuleName":"RateBasedRule","limitKey":"CUSTOMKEYS","maxRateAllowed":100,"evaluationWindowSec":"120","customValues":[{"key":"HEADER","name":"dogname","value":"ella"}]}],"nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":null,"httpRequest":{"clientIp":"52.46.82.45","country":"FR","headers":[{"name":"X-Forwarded-For","value":"52.46.82.45"},{"name":"X-Forwarded-Proto","value":"https"},{"name":"X-Forwarded-Port","value":"443"},{"name":"Host","value":"rjvegx5guh.execute-api.eu-west-3.amazonaws.com"},{"name":"dogname","value":"ella"}],"uri":"/CanaryTest","args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"Ed0AiHF_CGYF-DA="},"labels":[{"name":"awswaf:111122223333:rulegroup:RateBasedRule"}]}"#;

    #[test]
    fn maps_a_request_blocked_by_a_rate_based_rule() {
        let v = parse(RATE_BASED);
        assert_eq!(v["@timestamp"], "2023-05-06T06:46:19.981Z");
        assert_eq!(v["event"]["action"], "BLOCK");
        assert_eq!(v["event"]["type"], serde_json::json!(["access", "denied"]));
        assert_eq!(v["event"]["category"], serde_json::json!(["web"]));
        assert_eq!(v["cloud"]["service"]["name"], "wafv2");
        assert_eq!(v["cloud"]["region"], "us-east-1");
        assert_eq!(v["cloud"]["account"]["id"], "111122223333");
        assert_eq!(
            v["aws"]["waf"]["id"],
            "regional/webacl/RateBasedTestACL/7b17fd30-EXAMPLE"
        );
        assert_eq!(v["rule"]["ruleset"], "RATE_BASED");
        assert_eq!(v["aws"]["waf"]["source"]["name"], "APIGW");
        assert_eq!(
            v["aws"]["waf"]["rate_based_rule_list"][0]["customValues"][0]["value"],
            "ella"
        );
        // Empty lists and nulls are dropped, as Elastic drops them.
        assert!(v["aws"]["waf"].get("rule_group_list").is_none());
        assert!(v["aws"]["waf"]
            .get("terminating_rule_match_details")
            .is_none());
        assert!(v["aws"]["waf"].get("response_code_sent").is_none());
        assert_eq!(v["aws"]["waf"]["request"]["headers"]["dogname"], "ella");
        assert_eq!(v["source"]["ip"], "52.46.82.45");
        assert_eq!(v["source"]["geo"]["country_iso_code"], "FR");
        assert_eq!(v["related"]["ip"], serde_json::json!(["52.46.82.45"]));
        assert_eq!(v["http"]["request"]["id"], "Ed0AiHF_CGYF-DA=");
        assert_eq!(v["http"]["version"], "1.1");
        assert_eq!(v["network"]["protocol"], "http");
        assert_eq!(v["network"]["transport"], "tcp");
        assert_eq!(v["url"]["path"], "/CanaryTest");
        assert!(v["url"].get("query").is_none());
        assert_eq!(
            v["aws"]["waf"]["labels"],
            serde_json::json!(["awswaf:111122223333:rulegroup:RateBasedRule"])
        );
    }

    #[test]
    fn nested_rule_lists_drop_nulls_and_sort_keys() {
        let v = parse(
            r#"{"timestamp":1592361810888,"webaclId":"arn:aws:wafv2:us-east-1:123456789012:global/webacl/hello-world/5933d6d9","action":"BLOCK","ruleGroupList":[{"ruleGroupId":"rg","terminatingRule":{"ruleId":"RuleA-XSS","action":"BLOCK","ruleMatchDetails":null},"nonTerminatingMatchingRules":[],"excludedRules":null}],"httpRequest":{"clientIp":"10.0.0.1","country":"-","headers":[],"uri":"","args":"a=1","httpVersion":"HTTP/2.0","httpMethod":"POST","requestId":"null"}}"#,
        );
        let mut out = Vec::new();
        let mut e = Event::new();
        e.push(
            "x",
            Value::Json(Cow::Owned(
                serde_json::to_string(&v["aws"]["waf"]["rule_group_list"]).unwrap(),
            )),
        );
        e.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"x":[{"ruleGroupId":"rg","terminatingRule":{"action":"BLOCK","ruleId":"RuleA-XSS"}}]}"#
        );
        assert!(v["aws"]["waf"].get("request").is_none());
        assert!(v.get("source").unwrap().get("geo").is_none());
        assert_eq!(v["http"]["version"], "2.0");
        assert_eq!(v["http"]["request"]["id"], "null");
        assert_eq!(v["url"]["query"], "a=1");
        assert!(v["url"].get("path").is_none());
    }

    #[test]
    fn repeated_headers_keep_the_last_value() {
        let v = parse(
            r#"{"timestamp":1,"httpRequest":{"headers":[{"name":"a","value":"1"},{"name":"b","value":""},{"name":"a","value":"2"},{"name":"c.d","value":"3"}]}}"#,
        );
        assert_eq!(
            v["aws"]["waf"]["request"]["headers"],
            serde_json::json!({"a": "2", "c.d": "3"})
        );
    }

    #[test]
    fn malformed_records_are_errors() {
        let mut parser = WafParser;
        for bad in [
            "",
            "not json",
            "[1,2]",
            r#"{"timestamp":1"#,
            r#"{"formatVersion":1}"#,
            r#"{"webaclId":5}"#,
        ] {
            assert!(
                parser.parse(bad, &mut |_| {}).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn arbitrary_records_never_panic(s in r#"\{[ -~]{0,80}\}"#) {
            let mut parser = WafParser;
            let _ = parser.parse(&s, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                serde_json::from_slice::<serde::de::IgnoredAny>(&out).expect("valid JSON");
            });
        }
    }
}
