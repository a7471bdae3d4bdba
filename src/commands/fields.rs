//! `loglift fields`: field definitions as Markdown, JSON, or Elasticsearch
//! composable index templates.

use serde_json::{json, Map, Value};

use crate::cli::{FieldsFormat, UsageError};
use crate::config::Config;
use crate::schema::{field_sets, FieldDef, FieldSet};

/// Runs `loglift fields`.
pub fn run(
    dataset: Option<&str>,
    format: FieldsFormat,
    config: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let mut sets = field_sets()?;
    if let Some(path) = config {
        let config = Config::load(path).map_err(|e| UsageError(e.to_string()))?;
        sets.extend(custom_sets(&config, &sets));
    }
    let chosen = choose(&sets, dataset)?;
    let out = match format {
        FieldsFormat::Markdown => chosen
            .iter()
            .map(|s| markdown(s))
            .collect::<Vec<_>>()
            .join("\n"),
        FieldsFormat::Json => serde_json::to_string_pretty(&chosen)?,
        FieldsFormat::EsTemplate => {
            let templates: Map<String, Value> = es_templates(&sets, dataset)?.into_iter().collect();
            match (dataset, templates.len()) {
                (Some(_), 1) => {
                    serde_json::to_string_pretty(templates.values().next().expect("one template"))?
                }
                _ => serde_json::to_string_pretty(&templates)?,
            }
        }
    };
    println!("{out}");
    Ok(())
}

/// The field sets of the configuration's user-defined datasets: each ECS
/// field its `fields:` and `static:` set (with ECS's definition), and its
/// own `<name>` object for the record's unmapped keys.
pub fn custom_sets(config: &Config, sets: &[FieldSet]) -> Vec<FieldSet> {
    let ecs: Vec<&FieldDef> = sets
        .iter()
        .filter(|s| s.dataset == "ecs")
        .flat_map(|s| &s.fields)
        .collect();
    config
        .datasets
        .iter()
        .map(|d| {
            let mut fields: Vec<FieldDef> = d
                .fields
                .iter()
                .map(|f| f.to.as_str())
                .chain(d.static_fields.keys().map(String::as_str))
                .filter_map(|name| ecs.iter().find(|f| f.name == name).map(|f| (*f).clone()))
                .collect();
            fields.sort_by(|a, b| a.name.cmp(&b.name));
            fields.dedup_by(|a, b| a.name == b.name);
            fields.push(FieldDef {
                name: d.name.clone(),
                kind: "object".into(),
                description: format!(
                    "The record's own keys (JSON members or dissect keys) that no `fields:` entry maps, under the dataset's name ({}).",
                    d.selector
                ),
                example: None,
            });
            FieldSet {
                dataset: d.name.clone(),
                fields,
                geoip: d
                    .geoip_fields
                    .iter()
                    .map(|f| crate::geoip::GeoRule::for_ip_field(f))
                    .collect(),
            }
        })
        .collect()
}

/// The index template of every dataset of `sets` (or only of `dataset`),
/// each with its name (`logs-aws.vpcflow`): what `loglift fields --format
/// es-template` prints and `loglift setup elasticsearch` installs.
pub fn es_templates(
    sets: &[FieldSet],
    dataset: Option<&str>,
) -> anyhow::Result<Vec<(String, Value)>> {
    let no_ecs = FieldSet {
        dataset: "ecs".into(),
        fields: vec![],
        geoip: vec![],
    };
    let ecs = sets.iter().find(|s| s.dataset == "ecs").unwrap_or(&no_ecs);
    Ok(choose(sets, dataset)?
        .iter()
        .filter(|s| s.dataset != "ecs")
        .map(|s| {
            (
                template_name(&s.dataset),
                index_template(&s.dataset, &ecs.fields, &s.fields),
            )
        })
        .collect())
}

/// The field sets of `dataset`, or all of them.
fn choose<'s>(sets: &'s [FieldSet], dataset: Option<&str>) -> anyhow::Result<Vec<&'s FieldSet>> {
    Ok(match dataset {
        Some(name) => {
            let set = sets.iter().find(|s| s.dataset == name).ok_or_else(|| {
                let known: Vec<_> = sets
                    .iter()
                    .filter(|s| s.dataset != "ecs")
                    .map(|s| s.dataset.as_str())
                    .collect();
                UsageError(format!(
                    "no field definitions for dataset `{name}` (known: {})",
                    known.join(", ")
                ))
            })?;
            vec![set]
        }
        None => sets.iter().collect(),
    })
}

fn markdown(set: &FieldSet) -> String {
    let mut out = format!(
        "### {}\n\n| field | type | description | example |\n|---|---|---|---|\n",
        set.dataset
    );
    for f in &set.fields {
        let example = f.example.as_ref().map(|e| match e {
            serde_norway::Value::String(s) => s.clone(),
            other => serde_json::to_string(other).unwrap_or_default(),
        });
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            f.name,
            f.kind,
            f.description.replace('|', "\\|").replace('\n', " "),
            example
                .map(|e| format!("`{}`", e.replace('|', "\\|")))
                .unwrap_or_default()
        ));
    }
    for rule in &set.geoip {
        let targets: Vec<String> = rule
            .geo
            .iter()
            .chain(&rule.asn)
            .map(|t| format!("`{t}.*`"))
            .collect();
        out.push_str(&format!(
            "\nGeoIP (with `geoip.databases` set): `{}` → {} (ECS fields).\n",
            rule.ip,
            targets.join(", ")
        ));
    }
    out
}

/// The data stream type of `dataset`: `metrics` for the CloudWatch metric
/// modules' datasets, `logs` for the rest.
fn stream_type(dataset: &str) -> &'static str {
    if crate::cloudwatch::module::is_metrics_dataset(dataset) {
        "metrics"
    } else {
        "logs"
    }
}

/// Name of the index template of `dataset` (`logs-aws.vpcflow`, `metrics-aws.ec2`).
pub fn template_name(dataset: &str) -> String {
    format!("{}-{dataset}", stream_type(dataset))
}

/// A composable index template for the data stream `logs-<dataset>-*` (or
/// `metrics-<dataset>-*`), with
/// mappings for the ECS fields and the dataset's own.
pub fn index_template(dataset: &str, ecs: &[FieldDef], own: &[FieldDef]) -> Value {
    let mut properties = Map::new();
    for f in ecs.iter().chain(own) {
        insert_mapping(&mut properties, &f.name, mapping(f));
    }
    json!({
        "index_patterns": [format!("{}-{dataset}-*", stream_type(dataset))],
        "data_stream": {},
        "priority": 200,
        "template": {
            "settings": {"index": {"mapping": {"total_fields": {"limit": 10000}}}},
            "mappings": {"dynamic": true, "properties": properties}
        },
        "_meta": {"managed_by": "loglift", "description": format!("ECS mappings for {dataset}")}
    })
}

fn mapping(f: &FieldDef) -> Value {
    match f.kind.as_str() {
        "object" => json!({"type": "object"}),
        "keyword" => json!({"type": "keyword", "ignore_above": 1024}),
        "date" => json!({"type": "date"}),
        "scaled_float" => json!({"type": "scaled_float", "scaling_factor": 1000}),
        other => json!({"type": other}),
    }
}

/// Puts `mapping` at the dotted `name` inside nested `properties`.
fn insert_mapping(properties: &mut Map<String, Value>, name: &str, mapping: Value) {
    match name.split_once('.') {
        None => {
            // A leaf never replaces an object that already holds sub-fields.
            let has_children = properties
                .get(name)
                .and_then(|v| v.get("properties"))
                .is_some();
            if !has_children {
                properties.insert(name.to_string(), mapping);
            }
        }
        Some((head, rest)) => {
            let entry = properties
                .entry(head.to_string())
                .or_insert_with(|| json!({"properties": {}}));
            if entry.get("properties").is_none() {
                *entry = json!({"properties": {}});
            }
            if let Some(Value::Object(children)) = entry.get_mut("properties") {
                insert_mapping(children, rest, mapping);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, kind: &str) -> FieldDef {
        FieldDef {
            name: name.into(),
            kind: kind.into(),
            description: "d".into(),
            example: None,
        }
    }

    #[test]
    fn template_nests_properties_and_targets_the_data_stream() {
        let t = index_template(
            "aws.vpcflow",
            &[def("source.ip", "ip"), def("@timestamp", "date")],
            &[def("aws.vpcflow.version", "keyword")],
        );
        assert_eq!(t["index_patterns"][0], "logs-aws.vpcflow-*");
        assert_eq!(
            t["template"]["mappings"]["properties"]["source"]["properties"]["ip"]["type"],
            "ip"
        );
        assert_eq!(
            t["template"]["mappings"]["properties"]["aws"]["properties"]["vpcflow"]["properties"]
                ["version"]["type"],
            "keyword"
        );
        assert!(t["data_stream"].is_object());
    }
}
