//! Every field an event carries is defined in `fields/`, with a type that
//! fits its value: parses every sample under `tests/fixtures/<dataset>/`
//! through the real pipeline and checks each emitted field.

use std::path::Path;

use std::sync::Arc;

use loglift::dataset::DatasetSpec;
use loglift::geoip::GeoIp;
use loglift::pipeline::{process_object, Origin};
use loglift::schema::{fields_for, FieldDef};
use serde_json::Value;

fn check(
    path: &str,
    value: &Value,
    defs: &std::collections::BTreeMap<String, FieldDef>,
    problems: &mut Vec<String>,
) {
    if path == "@metadata" {
        return;
    }
    if let Some(def) = defs.get(path) {
        let fits = match value {
            Value::Array(items) => items.iter().all(|v| leaf_fits(v, &def.kind)),
            v => leaf_fits(v, &def.kind),
        };
        if !fits {
            problems.push(format!(
                "{path}: value {value} does not fit type {}",
                def.kind
            ));
        }
        return;
    }
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                check(&child, v, defs, problems);
            }
        }
        _ => problems.push(format!("{path}: not defined in fields/ (value {value})")),
    }
}

fn leaf_fits(v: &Value, kind: &str) -> bool {
    match v {
        Value::String(_) => {
            loglift::schema::kind_fits(loglift_parsers::event::ValueKind::String, kind)
        }
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            loglift::schema::kind_fits(loglift_parsers::event::ValueKind::Integer, kind)
        }
        Value::Number(_) => {
            loglift::schema::kind_fits(loglift_parsers::event::ValueKind::Float, kind)
        }
        Value::Bool(_) => kind == "boolean",
        Value::Object(o) if kind == "geo_point" => o.contains_key("lat") && o.contains_key("lon"),
        Value::Object(_) | Value::Array(_) => matches!(kind, "flattened" | "object" | "nested"),
        Value::Null => true,
    }
}

/// MaxMind's test databases (City and ASN).
fn test_geoip() -> Arc<GeoIp> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/geoip");
    Arc::new(
        GeoIp::open(&[
            dir.join("GeoLite2-City-Test.mmdb"),
            dir.join("GeoLite2-ASN-Test.mmdb"),
        ])
        .expect("test databases open"),
    )
}

/// Every field GeoIP enrichment may write for a dataset is defined for it.
#[test]
fn every_geoip_target_is_defined() {
    let geo = [
        "city_name",
        "continent_name",
        "country_iso_code",
        "country_name",
        "location",
        "region_iso_code",
        "region_name",
    ];
    let mut rules = 0;
    for set in loglift::schema::field_sets().unwrap() {
        let defs = fields_for(&set.dataset).unwrap();
        for rule in &set.geoip {
            rules += 1;
            assert!(defs.contains_key(&rule.ip), "{}: {}", set.dataset, rule.ip);
            let leaves = rule
                .geo
                .iter()
                .flat_map(|t| geo.iter().map(move |g| format!("{t}.{g}")))
                .chain(
                    rule.asn
                        .iter()
                        .flat_map(|t| [format!("{t}.number"), format!("{t}.organization.name")]),
                );
            for leaf in leaves {
                assert!(
                    defs.contains_key(&leaf),
                    "{}: {leaf} not defined",
                    set.dataset
                );
            }
        }
    }
    assert!(rules >= 5, "the AWS datasets declare their GeoIP rules");
}

#[test]
fn every_emitted_field_is_defined_with_a_fitting_type() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut problems = Vec::new();
    let mut checked = 0;
    for info in loglift_parsers::DATASETS {
        let dir = root.join(info.name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let defs = fields_for(info.name).expect("field files parse");
        let spec = DatasetSpec::builtin(info, Default::default())
            .expect("default options are valid")
            .with_geoip(Some(test_geoip()));
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let file = std::fs::File::open(&path).expect("fixture readable");
            let origin = Origin::s3(
                "fixtures",
                &path.to_string_lossy(),
                Some("v1"),
                Some("us-east-1"),
            );
            let mut events = Vec::new();
            process_object(file, &spec, "default", &origin, 1 << 20, 1, |batch| {
                events.extend_from_slice(&batch.ndjson);
                Ok(())
            })
            .expect("fixture processes");
            for line in events.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let event: Value = serde_json::from_slice(line).expect("valid JSON");
                check("", &event, &defs, &mut problems);
                checked += 1;
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked > 0, "no fixture events were checked");
}
