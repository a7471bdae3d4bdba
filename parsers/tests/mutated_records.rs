//! Real records, damaged at random (bytes replaced, cut short, spliced),
//! never panic a parser, and whatever a parser emits serializes as valid
//! JSON. The records are the repository's samples (`tests/fixtures/`); the
//! long runs of the same idea are the `cargo fuzz` targets in `fuzz/`.

use loglift_parsers::{dataset, Options};
use proptest::prelude::*;

/// (dataset, header lines fed first, a real record).
fn samples() -> Vec<(&'static str, Vec<String>, String)> {
    let first_json = |text: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with('{'))
            .expect("a JSON line")
            .to_string()
    };
    let cloudfront = include_str!(
        "../../tests/fixtures/aws.cloudfront_logs/E2K2LNL5N3WR51.2024-01-01-10.a1b2c3d4"
    );
    let header: Vec<String> = cloudfront
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let record = cloudfront
        .lines()
        .find(|l| !l.starts_with('#'))
        .unwrap()
        .to_string();
    vec![
        ("aws.cloudfront_logs", header, record),
        (
            "aws.guardduty",
            vec![],
            first_json(include_str!("../../tests/fixtures/aws.guardduty/5a1b2c3d-0e1f-4a5b-8c9d-0e1f2a3b4c5d.jsonl")),
        ),
        (
            "iru.audit",
            vec![],
            first_json(include_str!("../../tests/fixtures/iru.audit/audit-2025-03-04T16.ndjson")),
        ),
        (
            "aws.waf",
            vec![],
            first_json(include_str!("../../tests/fixtures/aws.waf/111122223333_waflogs_us-east-1_shop-acl_20240305T1010Z_5f3c1a2b.log")),
        ),
        (
            "aws.route53_resolver_logs",
            vec![],
            first_json(include_str!("../../tests/fixtures/aws.route53_resolver_logs/111122223333_vpcdnsquerylogs_111122223333_20240305T1015Z_0a1b2c3d.log")),
        ),
        (
            "aws.firewall_logs",
            vec![],
            first_json(include_str!("../../tests/fixtures/aws.firewall_logs/111122223333_network-firewall_alert_us-east-1_egress-fw_202403051000_1a2b3c4d.log")),
        ),
    ]
}

/// One damage to a record: replace, delete or insert bytes at positions
/// given as fractions of its length.
#[derive(Debug, Clone)]
enum Damage {
    Replace(f64, u8),
    Cut(f64),
    Splice(f64, f64),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0.0..1.0f64, any::<u8>()).prop_map(|(at, b)| Damage::Replace(at, b)),
        (0.0..1.0f64).prop_map(Damage::Cut),
        (0.0..1.0f64, 0.0..1.0f64).prop_map(|(a, b)| Damage::Splice(a, b)),
    ]
}

fn apply(record: &str, damages: &[Damage]) -> String {
    let mut bytes = record.as_bytes().to_vec();
    for d in damages {
        let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        match *d {
            Damage::Replace(f, b) if !bytes.is_empty() => {
                let i = at(f, bytes.len() - 1);
                bytes[i] = b;
            }
            Damage::Cut(f) => bytes.truncate(at(f, bytes.len())),
            Damage::Splice(a, b) => {
                let (i, j) = (at(a, bytes.len()), at(b, bytes.len()));
                let copy = bytes[i.min(j)..i.max(j)].to_vec();
                bytes.splice(i..i, copy);
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #[test]
    fn damaged_records_never_panic_and_serialize_as_json(
        which in 0usize..6,
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let (name, header, record) = samples().swap_remove(which);
        let mut parser = dataset(name).expect("dataset").build(&Options::new()).unwrap();
        let mut check = |e: loglift_parsers::Event<'_>| {
            let mut out = Vec::new();
            e.write_json(&mut out);
            serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
        };
        for line in &header {
            parser.parse(line, &mut check).expect("header line");
        }
        let damaged = apply(&record, &damages);
        let _ = parser.parse(&damaged, &mut check);
        // The undamaged record still parses after a damaged one.
        parser.parse(&record, &mut check).expect("the real record");
    }
}
