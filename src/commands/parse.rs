//! `loglift parse`: parse local files and print their events as NDJSON.

use std::fs::File;
use std::io::{self, Read, Write};

use anyhow::Context;
use loglift_parsers::Options;
use prometheus::core::Collector;

use crate::cli::{ParseArgs, UsageError};
use crate::config::{Config, GeoIpConfig};
use crate::dataset::DatasetSpec;
use crate::dataset::Registry;
use crate::geoip::GeoIp;
use crate::pipeline::{process_object, Origin, ProcessError};
use crate::route::Route;

const BATCH_BYTES: usize = 1 << 20;

/// Runs `loglift parse`.
pub fn run(args: &ParseArgs) -> anyhow::Result<()> {
    let options = parse_sets(&args.set)?;
    let (registry, geoip) = match &args.config {
        Some(path) => {
            let config = Config::load(path).map_err(|e| UsageError(e.to_string()))?;
            let modules = config
                .modules(path)
                .map_err(|e| UsageError(e.to_string()))?;
            let geoip = GeoIp::open_configured(&config.geoip, Some(path), &args.geoip_databases)
                .map_err(|e| UsageError(format!("geoip: {e}")))?;
            let registry =
                Registry::from_config(&config, &modules).map_err(|e| UsageError(e.to_string()))?;
            (registry, geoip)
        }
        None => {
            let geoip =
                GeoIp::open_configured(&GeoIpConfig::default(), None, &args.geoip_databases)
                    .map_err(|e| UsageError(format!("geoip: {e}")))?;
            (Registry::builtin(), geoip)
        }
    };
    let registry = registry.with_geoip(geoip.clone());
    let resolve =
        |name: &str| resolve(&registry, name, &options).map(|spec| spec.with_geoip(geoip.clone()));
    let fixed = if args.dataset == "auto" {
        None
    } else {
        Some(resolve(&args.dataset)?)
    };
    // Open everything first: an unreadable file is a usage error, reported before any output.
    let mut inputs = Vec::new();
    for path in &args.files {
        let name = path.to_string_lossy().into_owned();
        let reader: Box<dyn Read + Send> = if name == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(File::open(path).map_err(|e| UsageError(format!("cannot read {name}: {e}")))?)
        };
        let dataset = match &fixed {
            Some(d) => Some(d.clone()),
            None => match registry.route(&name) {
                Route::Dataset(ds) => Some(resolve(&ds)?),
                Route::Skip(_) => None,
                Route::Unknown => {
                    return Err(UsageError(format!(
                        "{name}: no dataset matches this path; give --dataset"
                    ))
                    .into())
                }
            },
        };
        inputs.push((name, reader, dataset));
    }
    // A large file is parsed on every core, its events still written in order.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let stdout = io::stdout();
    for (name, reader, dataset) in inputs {
        let Some(dataset) = dataset else { continue };
        let origin = Origin::local(&name);
        let result = process_object(
            reader,
            &dataset,
            &args.namespace,
            &origin,
            BATCH_BYTES,
            threads,
            |batch| {
                stdout
                    .lock()
                    .write_all(&batch.ndjson)
                    .map_err(|e| e.to_string())
            },
        );
        match result {
            Ok(_) => {}
            // A closed stdout (`| head`) is not a failure of ours.
            Err(ProcessError::Sink(e)) if e.contains("Broken pipe") => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("parsing {name}")),
        }
    }
    stdout.lock().flush().ok();
    if geoip.is_some() {
        log_geoip_counts();
    }
    Ok(())
}

/// Logs (at debug level) how the GeoIP lookups of this run went, from the
/// counters the enrichers added to when they finished.
fn log_geoip_counts() {
    let outcome = |name: &str| -> u64 {
        crate::metrics::GEOIP_LOOKUPS
            .collect()
            .iter()
            .flat_map(|family| family.get_metric())
            .filter(|m| m.get_label().iter().any(|l| l.value() == name))
            .map(|m| m.get_counter().get_value() as u64)
            .sum()
    };
    let (hit, miss) = (outcome("hit"), outcome("miss"));
    let cached = crate::metrics::GEOIP_CACHE_HITS.get();
    tracing::debug!(
        database_hits = hit,
        database_misses = miss,
        private = outcome("private"),
        cache_hits = cached,
        "GeoIP lookups (per database; cache hits are per address)"
    );
}

/// Resolves a dataset name to a ready dataset, or a usage error: `--set`
/// options build a built-in dataset afresh; otherwise the configured one
/// (module options, user-defined datasets) is used.
fn resolve(registry: &Registry, name: &str, options: &Options) -> anyhow::Result<DatasetSpec> {
    if let (false, Some(info)) = (options.is_empty(), loglift_parsers::dataset(name)) {
        return DatasetSpec::builtin(info, options.clone())
            .map_err(|e| UsageError(e.to_string()).into());
    }
    registry.get(name).cloned().ok_or_else(|| {
        UsageError(format!(
            "unknown or disabled dataset `{name}` (known: {}, auto)",
            registry.names().join(", ")
        ))
        .into()
    })
}

/// `KEY=VALUE` pairs of `--set`.
fn parse_sets(sets: &[String]) -> Result<Options, UsageError> {
    sets.iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| UsageError(format!("--set {s}: expected KEY=VALUE")))
        })
        .collect()
}
