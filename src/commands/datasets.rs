//! `loglift datasets`: the datasets, their routing rules and state.

use std::path::Path;

use crate::cli::UsageError;
use crate::config::Config;
use crate::dataset::Registry;

/// Built-in routing rules, as documentation for `loglift datasets`.
const RULES: &[(&str, &str)] = &[
    (
        "aws.cloudtrail",
        "key contains /CloudTrail/ or /CloudTrail-Insight/ (/CloudTrail-Digest/ is skipped)",
    ),
    (
        "aws.cloudwatch_logs",
        "configured selector (Firehose and export-task keys have no fixed shape)",
    ),
    ("aws.ec2_logs", "`selector:` in its module file"),
    ("aws.elb_logs", "key contains /elasticloadbalancing/"),
    ("aws.s3access", "file name YYYY-mm-DD-HH-MM-SS-<16 hex>"),
    ("aws.vpcflow", "key contains /vpcflowlogs/"),
    (
        "wallarm.hits",
        "file name wallarm_hits_*.json or hitlogs-*.{json,ndjson,ocsf}",
    ),
];

/// Runs `loglift datasets`: every built-in dataset with its state (a
/// disabled module file disables it) and every user-defined dataset.
pub fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let (registry, custom) = match config {
        Some(path) => {
            let config = Config::load(path).map_err(|e| UsageError(e.to_string()))?;
            let modules = config
                .modules(path)
                .map_err(|e| UsageError(e.to_string()))?;
            let registry =
                Registry::from_config(&config, &modules).map_err(|e| UsageError(e.to_string()))?;
            (registry, config.datasets)
        }
        None => (Registry::builtin(), Vec::new()),
    };
    println!("{:<22} {:<8} {:<9} ROUTING", "DATASET", "MODULE", "STATE");
    for info in loglift_parsers::DATASETS {
        let rule = RULES
            .iter()
            .find(|(n, _)| *n == info.name)
            .map_or("configured selector", |(_, r)| r);
        let state = if registry.get(info.name).is_some() {
            "enabled"
        } else {
            "disabled"
        };
        println!("{:<22} {:<8} {:<9} {}", info.name, info.module, state, rule);
    }
    for d in custom {
        let module = d.name.split('.').next().unwrap_or(&d.name).to_string();
        println!(
            "{:<22} {:<8} {:<9} key matches {} (user-defined)",
            d.name, module, "enabled", d.selector
        );
    }
    Ok(())
}
