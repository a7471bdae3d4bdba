//! `aws.waf` parse + serialize throughput.
//!
//! Input: the file named by `WAF_BENCH_FILE` (one record per line), else
//! 100k records generated here like WAF's own: allowed and blocked requests with a few headers and rule matches.
//! Every record is parsed and its event written as JSON into one reused buffer.
//! Reported per byte (MB/s) and per record (records/s).

use criterion::{criterion_group, criterion_main, Criterion};
use loglift_parsers::waf::WafParser;

mod common;
use common::Rng;

fn generate(n: usize) -> Vec<u8> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(n * 900);
    for i in 0..n {
        let blocked = r.below(10) == 0;
        let (action, rule, details) = if blocked {
            (
                "BLOCK",
                "AWS-AWSManagedRulesSQLiRuleSet",
                r#"[{"conditionType":"SQL_INJECTION","location":"QUERY_STRING","matchedData":["UNION","SELECT"]}]"#,
            )
        } else {
            ("ALLOW", "Default_Action", "[]")
        };
        out.push_str(&format!(
            concat!(
                r#"{{"timestamp":{},"formatVersion":1,"webaclId":"arn:aws:wafv2:us-east-1:111122223333:regional/webacl/shop-acl/a1b2c3d4","#,
                r#""terminatingRuleId":"{}","terminatingRuleType":"REGULAR","action":"{}","terminatingRuleMatchDetails":{},"#,
                r#""httpSourceName":"ALB","httpSourceId":"111122223333-app/shop-alb/0123456789abcdef","ruleGroupList":[],"rateBasedRuleList":[],"#,
                r#""nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":null,"httpRequest":{{"clientIp":"{}","country":"{}","#,
                r#""headers":[{{"name":"Host","value":"shop.example.com"}},{{"name":"User-Agent","value":"{}"}},{{"name":"Accept","value":"*/*"}}],"#,
                r#""uri":"/products/{}","args":"ref=home","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"1-{:016x}"}},"labels":[]}}"#,
                "\n"
            ),
            1_709_633_412_771u64 + i as u64,
            rule,
            action,
            details,
            r.ip(),
            r.pick(&["US", "DE", "FR", "JP", "-"]),
            r.pick(&["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"]),
            r.below(1000),
            r.next(),
        ));
    }
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    common::ndjson(c, "waf", "WAF_BENCH_FILE", generate, WafParser);
}

criterion_group!(benches, bench);
criterion_main!(benches);
