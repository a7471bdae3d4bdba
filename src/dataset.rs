//! Datasets the agent can read: the built-in ones from `loglift-parsers`,
//! with their options, and the user-defined ones from the configuration.

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;

use loglift_parsers::{framing::Framing, DatasetInfo, OptionError, Options, Parser};

use loglift_parsers::dissect::Dissector;
use loglift_parsers::json_record::{CustomDataset, TimestampFormat};
use loglift_parsers::mapping::FieldMapping;
use loglift_parsers::Value;

use crate::config::{Config, CustomDatasetConfig, CustomFraming, Module, ModuleFile};
use crate::geoip::{Enricher, GeoIp, GeoRule};
use crate::route::{Route, Router, Selector};

/// Builds a fresh parser for one object.
pub type ParserFactory = Arc<dyn Fn() -> Result<Box<dyn Parser>, OptionError> + Send + Sync>;

/// A dataset ready to parse objects: name, framing and parser factory.
#[derive(Clone)]
pub struct DatasetSpec {
    /// `event.dataset`.
    pub name: String,
    /// `event.module`.
    pub module: String,
    /// How objects are split into records.
    pub framing: Framing,
    factory: ParserFactory,
    /// Which address fields GeoIP enrichment looks up, and where it writes.
    geoip_rules: Arc<[GeoRule]>,
    /// The GeoIP databases, when enrichment is configured.
    geoip: Option<Arc<GeoIp>>,
}

impl std::fmt::Debug for DatasetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetSpec")
            .field("name", &self.name)
            .field("framing", &self.framing)
            .finish()
    }
}

impl DatasetSpec {
    /// A built-in dataset with `options`; fails when an option is unknown or invalid.
    pub fn builtin(info: &'static DatasetInfo, options: Options) -> Result<Self, OptionError> {
        info.build(&options)?; // validate once, up front
        Ok(DatasetSpec {
            name: info.name.to_string(),
            module: info.module.to_string(),
            framing: info.framing.clone(),
            factory: Arc::new(move || info.build(&options)),
            geoip_rules: crate::schema::geoip_rules(info.name).into(),
            geoip: None,
        })
    }

    /// A dataset from any parser factory (user-defined datasets), whose
    /// GeoIP enrichment follows `geoip_rules`.
    pub fn custom(
        name: &str,
        module: &str,
        framing: Framing,
        factory: ParserFactory,
        geoip_rules: Vec<GeoRule>,
    ) -> Self {
        DatasetSpec {
            name: name.to_string(),
            module: module.to_string(),
            framing,
            factory,
            geoip_rules: geoip_rules.into(),
            geoip: None,
        }
    }

    /// The same dataset, enriched from `geoip` (or not, with `None`).
    pub fn with_geoip(mut self, geoip: Option<Arc<GeoIp>>) -> Self {
        self.geoip = geoip;
        self
    }

    /// A new parser for one object.
    pub fn parser(&self) -> Result<Box<dyn Parser>, OptionError> {
        (self.factory)()
    }

    /// A new GeoIP enricher for one object (or one block of a large one);
    /// `None` when enrichment is not configured or the dataset has no
    /// address to enrich.
    pub fn enricher(&self) -> Option<Enricher<'_>> {
        match (&self.geoip, self.geoip_rules.is_empty()) {
            (Some(geoip), false) => Some(geoip.enricher(&self.geoip_rules)),
            _ => None,
        }
    }
}

/// The datasets an agent reads, and the routing of keys to them.
#[derive(Debug, Clone)]
pub struct Registry {
    router: Router,
    datasets: HashMap<String, DatasetSpec>,
}

/// A dataset configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A module file names a dataset that does not exist.
    #[error("{path}: unknown dataset `{dataset}`")]
    UnknownDataset {
        /// The module file.
        path: String,
        /// The name it gives.
        dataset: String,
    },
    /// A module file's options are invalid.
    #[error("{path}: {source}")]
    Options {
        /// The module file.
        path: String,
        /// Why.
        #[source]
        source: OptionError,
    },
    /// A user-defined dataset is invalid.
    #[error("dataset {name}: {reason}")]
    Custom {
        /// Its name.
        name: String,
        /// Why.
        reason: String,
    },
}

impl Registry {
    /// Every built-in dataset with default options, and the built-in routing.
    pub fn builtin() -> Self {
        let datasets = loglift_parsers::DATASETS
            .iter()
            .map(|info| {
                (
                    info.name.to_string(),
                    DatasetSpec::builtin(info, Options::new()).expect("defaults are valid"),
                )
            })
            .collect();
        Registry {
            router: Router::default(),
            datasets,
        }
    }

    /// The datasets of a configuration: built-ins with the options of their
    /// module files (a disabled module disables its dataset), and the
    /// user-defined datasets, whose selectors route before the built-in rules.
    pub fn from_config(config: &Config, modules: &[ModuleFile]) -> Result<Self, RegistryError> {
        let mut registry = Registry::builtin();
        let mut selectors = Vec::new();
        for file in modules {
            let Module::Logs { dataset, options } = &file.module else {
                continue;
            };
            let path = file.path.display().to_string();
            // `selector:` routes matching keys to this dataset (for datasets
            // without a standard path, such as CloudWatch Logs deliveries).
            let mut options = options.clone();
            if let (Some(selector), true) = (options.remove("selector"), file.enabled) {
                let pattern = Regex::new(&selector).map_err(|e| RegistryError::Custom {
                    name: dataset.clone(),
                    reason: format!("{path}: invalid selector: {e}"),
                })?;
                selectors.push(Selector {
                    pattern,
                    dataset: dataset.clone(),
                });
            }
            let info =
                loglift_parsers::dataset(dataset).ok_or_else(|| RegistryError::UnknownDataset {
                    path: path.clone(),
                    dataset: dataset.clone(),
                })?;
            if file.enabled {
                let spec = DatasetSpec::builtin(info, options)
                    .map_err(|source| RegistryError::Options { path, source })?;
                registry.datasets.insert(info.name.to_string(), spec);
            } else {
                registry.datasets.remove(info.name);
            }
        }
        for custom in &config.datasets {
            let pattern = Regex::new(&custom.selector).map_err(|e| RegistryError::Custom {
                name: custom.name.clone(),
                reason: e.to_string(),
            })?;
            selectors.push(Selector {
                pattern,
                dataset: custom.name.clone(),
            });
            registry
                .datasets
                .insert(custom.name.clone(), custom_spec(custom)?);
        }
        registry.router = Router::new(selectors);
        Ok(registry)
    }

    /// Enriches every dataset's events from `geoip` (GeoIP databases).
    pub fn with_geoip(mut self, geoip: Option<Arc<GeoIp>>) -> Self {
        for spec in self.datasets.values_mut() {
            spec.geoip = geoip.clone();
        }
        self
    }

    /// The route of an object key.
    pub fn route(&self, key: &str) -> Route {
        self.router.route(key)
    }

    /// The enabled dataset called `name`.
    pub fn get(&self, name: &str) -> Option<&DatasetSpec> {
        self.datasets.get(name)
    }

    /// Names of the enabled datasets, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.datasets.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// Builds a user-defined dataset: its framing, and the generic record parser
/// (raw `message`; the record's JSON, or its dissected keys, under
/// `<name>.*`; `fields:` mapped and converted into ECS fields; `static:`
/// fields; `@timestamp` from one of its fields), compiled once here.
fn custom_spec(custom: &CustomDatasetConfig) -> Result<DatasetSpec, RegistryError> {
    let invalid = |reason: String| RegistryError::Custom {
        name: custom.name.clone(),
        reason,
    };
    let framing = match (custom.framing, &custom.records_field) {
        (CustomFraming::Lines, _) => Framing::Lines,
        (CustomFraming::Ndjson, _) => Framing::Ndjson,
        (CustomFraming::Json, Some(field)) => Framing::JsonRecords {
            field: field.clone().into(),
        },
        (CustomFraming::Json, None) => Framing::JsonAuto,
    };
    let mut dataset = CustomDataset::new(custom.name.clone());
    dataset.parse_json = custom
        .parse_json
        .unwrap_or(custom.framing != CustomFraming::Lines);
    dataset.timestamp_field = custom.timestamp_field.clone();
    if let Some(format) = &custom.timestamp_format {
        dataset.timestamp_format = TimestampFormat::parse(format)
            .map_err(|e| invalid(format!("timestamp_format: {e}")))?;
    }
    if let Some(pattern) = &custom.dissect {
        if custom.framing != CustomFraming::Lines {
            return Err(invalid("dissect: only for `framing: lines`".into()));
        }
        let dissector = Dissector::new(pattern).map_err(|e| invalid(format!("dissect: {e}")))?;
        dataset.dissect = Some(match &custom.append_separator {
            Some(separator) => dissector.append_separator(separator),
            None => dissector,
        });
    } else if custom.append_separator.is_some() {
        return Err(invalid(
            "append_separator: needs a `dissect` pattern".into(),
        ));
    }
    dataset.fields = custom
        .fields
        .iter()
        .map(|f| {
            FieldMapping::new(&f.from, &f.to, f.kind.as_deref(), f.format.as_deref())
                .map_err(|e| invalid(format!("fields: {} -> {}: {e}", f.from, f.to)))
        })
        .collect::<Result<_, _>>()?;
    dataset.static_fields = custom
        .static_fields
        .iter()
        .map(|(name, value)| {
            static_value(value)
                .map(|v| (name.clone(), v))
                .ok_or_else(|| invalid(format!("static: {name}: a string, number or boolean")))
        })
        .collect::<Result<_, _>>()?;
    let parser = dataset.compile().map_err(|e| invalid(e.to_string()))?;
    let module = custom
        .name
        .split('.')
        .next()
        .unwrap_or(&custom.name)
        .to_string();
    Ok(DatasetSpec::custom(
        &custom.name,
        &module,
        framing,
        Arc::new(move || Ok(Box::new(parser.clone()) as Box<dyn Parser>)),
        custom
            .geoip_fields
            .iter()
            .map(|field| GeoRule::for_ip_field(field))
            .collect(),
    ))
}

/// A `static:` value from YAML: text, a number or a boolean.
fn static_value(value: &serde_norway::Value) -> Option<Value<'static>> {
    Some(match value {
        serde_norway::Value::String(s) => Value::from(s.clone()),
        serde_norway::Value::Bool(b) => Value::Bool(*b),
        serde_norway::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64()?),
        },
        _ => return None,
    })
}
