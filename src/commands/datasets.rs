//! `loglift datasets`: the datasets, their routing rules and state.

use std::path::Path;

use crate::cli::UsageError;
use crate::config::{Config, CustomFraming, Module};
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
    ("aws.waf", "key contains /WAFLogs/"),
    (
        "aws.route53_resolver_logs",
        "key contains /vpcdnsquerylogs/",
    ),
    ("aws.firewall_logs", "key contains /network-firewall/"),
    ("aws.guardduty", "key contains /GuardDuty/"),
    (
        "aws.cloudfront_logs",
        "file name <distribution-id>.YYYY-MM-DD-HH.<id>[.gz]",
    ),
    (
        "iru.audit",
        "`selector:` in its module file (no fixed layout)",
    ),
    (
        "wallarm.hits",
        "file name wallarm_hits_*.json or hitlogs-*.{json,ndjson,ocsf}",
    ),
];

/// Runs `loglift datasets`: every built-in dataset with its state (from
/// its module file: `<name>.yml` enabled, `<name>.yml.disabled` disabled, no
/// file enabled with defaults) and every user-defined dataset. Without
/// `--config`, the default configuration file is read when it exists.
pub fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let path = config.map(Path::to_path_buf).or_else(|| {
        let default = super::run::default_config_path();
        default.exists().then_some(default)
    });
    let (registry, custom, modules) = match &path {
        Some(path) => {
            let config = Config::load(path).map_err(|e| UsageError(e.to_string()))?;
            let modules = config
                .modules(path)
                .map_err(|e| UsageError(e.to_string()))?;
            let registry =
                Registry::from_config(&config, &modules).map_err(|e| UsageError(e.to_string()))?;
            println!("configuration {}", path.display());
            (registry, config.datasets, modules)
        }
        None => {
            println!("no configuration file: built-in datasets with default options");
            (Registry::builtin(), Vec::new(), Vec::new())
        }
    };
    println!(
        "{:<26} {:<8} {:<9} {:<34} ROUTING",
        "DATASET", "MODULE", "STATE", "SOURCE"
    );
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
        let file = modules
            .iter()
            .find(|m| matches!(&m.module, Module::Logs { dataset, .. } if dataset == info.name));
        let source = file.map_or_else(
            || "defaults (no module file)".to_string(),
            |m| {
                m.path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            },
        );
        let selector = file.and_then(|m| match &m.module {
            Module::Logs { options, .. } => options.get("selector").cloned(),
            Module::Metrics { .. } => None,
        });
        let routing = match selector {
            Some(s) => format!("key matches {s} (module file selector)"),
            None => rule.to_string(),
        };
        println!(
            "{:<26} {:<8} {:<9} {:<34} {}",
            info.name, info.module, state, source, routing
        );
    }
    for d in custom {
        let module = d.name.split('.').next().unwrap_or(&d.name).to_string();
        let framing = match d.framing {
            CustomFraming::Lines => "lines",
            CustomFraming::Json => "json",
            CustomFraming::Ndjson => "ndjson",
        };
        let mut parsing = format!("framing {framing}");
        if let Some(pattern) = &d.dissect {
            parsing.push_str(&format!(", dissect '{pattern}'"));
        }
        if !d.fields.is_empty() {
            let mapped: Vec<&str> = d.fields.iter().map(|f| f.to.as_str()).collect();
            parsing.push_str(&format!(", maps to {}", mapped.join(", ")));
        }
        println!(
            "{:<26} {:<8} {:<9} {:<34} key matches {}; {parsing}",
            d.name, module, "enabled", "user-defined (datasets:)", d.selector
        );
    }
    Ok(())
}
