//! Every field an event carries is defined in `fields/`, with a type that
//! fits its value: parses every sample under `tests/fixtures/<dataset>/`
//! through the real pipeline and checks each emitted field.

use std::path::Path;

use loglift::dataset::DatasetSpec;
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
        Value::Object(_) | Value::Array(_) => {
            matches!(kind, "flattened" | "object" | "nested" | "geo_point")
        }
        Value::Null => true,
    }
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
        let spec =
            DatasetSpec::builtin(info, Default::default()).expect("default options are valid");
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
