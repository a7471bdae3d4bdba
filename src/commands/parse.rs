//! `loglift parse`: parse local files and print their events as NDJSON.

use std::fs::File;
use std::io::{self, Read, Write};

use anyhow::Context;
use loglift_parsers::Options;

use crate::cli::{ParseArgs, UsageError};
use crate::config::Config;
use crate::dataset::DatasetSpec;
use crate::dataset::Registry;
use crate::pipeline::{process_object, Origin, ProcessError};
use crate::route::Route;

const BATCH_BYTES: usize = 1 << 20;

/// Runs `loglift parse`.
pub fn run(args: &ParseArgs) -> anyhow::Result<()> {
    let options = parse_sets(&args.set)?;
    let registry = match &args.config {
        Some(path) => {
            let config = Config::load(path).map_err(|e| UsageError(e.to_string()))?;
            let modules = config
                .modules(path)
                .map_err(|e| UsageError(e.to_string()))?;
            Registry::from_config(&config, &modules).map_err(|e| UsageError(e.to_string()))?
        }
        None => Registry::builtin(),
    };
    let fixed = if args.dataset == "auto" {
        None
    } else {
        Some(resolve(&registry, &args.dataset, &options)?)
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
                Route::Dataset(ds) => Some(resolve(&registry, &ds, &options)?),
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
    Ok(())
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
