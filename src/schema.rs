//! Field definitions: the `fields/*.yml` files, embedded at build time.
//!
//! They are the single source of truth for what an event may carry: the
//! schema tests check emitted events against them, `loglift fields` prints
//! them, and the Elasticsearch index templates are generated from them.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use loglift_parsers::event::ValueKind;
use serde::{Deserialize, Serialize};

use crate::geoip::GeoRule;

include!(concat!(env!("OUT_DIR"), "/fields.rs"));

/// One field definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Dotted field name (`source.ip`).
    pub name: String,
    /// Elasticsearch mapping type (`keyword`, `long`, `ip`, `date`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// What the field holds.
    pub description: String,
    /// An example value.
    #[serde(default)]
    pub example: Option<serde_norway::Value>,
}

/// The definitions of one file: `ecs` or a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSet {
    /// `ecs`, or the dataset name.
    pub dataset: String,
    /// The fields.
    pub fields: Vec<FieldDef>,
    /// The IP fields enriched by GeoIP lookups, and where their `geo` and
    /// `as` objects go (the targets' fields are ECS fields, in `ecs.yml`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub geoip: Vec<GeoRule>,
}

/// Errors reading the embedded field files.
#[derive(Debug, thiserror::Error)]
#[error("fields/{file}.yml: {source}")]
pub struct SchemaError {
    file: String,
    #[source]
    source: serde_norway::Error,
}

/// All field sets, `ecs` first.
pub fn field_sets() -> Result<Vec<FieldSet>, SchemaError> {
    let mut sets = FIELD_FILES
        .iter()
        .map(|(file, text)| {
            serde_norway::from_str::<FieldSet>(text).map_err(|source| SchemaError {
                file: file.to_string(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    sets.sort_by_key(|s| (s.dataset != "ecs", s.dataset.clone()));
    Ok(sets)
}

/// The fields an event of `dataset` may carry: ECS fields plus the dataset's own.
pub fn fields_for(dataset: &str) -> Result<BTreeMap<String, FieldDef>, SchemaError> {
    let mut out = BTreeMap::new();
    for set in field_sets()? {
        if set.dataset == "ecs" || set.dataset == dataset {
            for f in set.fields {
                out.insert(f.name.clone(), f);
            }
        }
    }
    Ok(out)
}

/// The GeoIP rules of a built-in dataset (none for an unknown name).
pub fn geoip_rules(dataset: &str) -> &'static [GeoRule] {
    static RULES: LazyLock<BTreeMap<String, Vec<GeoRule>>> = LazyLock::new(|| {
        field_sets()
            .map(|sets| sets.into_iter().map(|s| (s.dataset, s.geoip)).collect())
            .unwrap_or_default()
    });
    RULES.get(dataset).map_or(&[], Vec::as_slice)
}

/// Whether a value of `kind` may be stored in a field of mapping type `mapping`.
pub fn kind_fits(kind: ValueKind, mapping: &str) -> bool {
    match kind {
        ValueKind::String => matches!(
            mapping,
            "keyword"
                | "constant_keyword"
                | "wildcard"
                | "text"
                | "match_only_text"
                | "ip"
                | "version"
                | "date"
        ),
        ValueKind::Integer => matches!(
            mapping,
            "long"
                | "integer"
                | "short"
                | "byte"
                | "unsigned_long"
                | "float"
                | "double"
                | "scaled_float"
                | "keyword"
        ),
        ValueKind::Float => matches!(mapping, "float" | "double" | "scaled_float" | "half_float"),
        ValueKind::Bool => mapping == "boolean",
        ValueKind::Time => mapping == "date",
        ValueKind::Json => matches!(mapping, "flattened" | "object" | "nested" | "keyword"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_file_parses_and_names_are_unique_per_file() {
        let sets = field_sets().unwrap();
        assert!(sets.iter().any(|s| s.dataset == "ecs"));
        for set in &sets {
            let mut seen = std::collections::HashSet::new();
            for f in &set.fields {
                assert!(
                    seen.insert(&f.name),
                    "{}: duplicate field {}",
                    set.dataset,
                    f.name
                );
                assert!(
                    !f.description.is_empty(),
                    "{}: {} has no description",
                    set.dataset,
                    f.name
                );
            }
        }
    }
}
