//! `loglift datasets`: the datasets, their routing rules and state.

use std::path::Path;

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
    ("aws.ec2_logs", "configured selector"),
    ("aws.elb_logs", "key contains /elasticloadbalancing/"),
    ("aws.s3access", "file name YYYY-mm-DD-HH-MM-SS-<16 hex>"),
    ("aws.vpcflow", "key contains /vpcflowlogs/"),
    (
        "wallarm.hits",
        "file name wallarm_hits_*.json or hitlogs-*.{json,ndjson,ocsf}",
    ),
];

/// Runs `loglift datasets`.
pub fn run(_config: Option<&Path>) -> anyhow::Result<()> {
    println!("{:<22} {:<8} {:<10} ROUTING", "DATASET", "MODULE", "STATE");
    for info in loglift_parsers::DATASETS {
        let rule = RULES
            .iter()
            .find(|(n, _)| *n == info.name)
            .map_or("configured selector", |(_, r)| r);
        println!(
            "{:<22} {:<8} {:<10} {}",
            info.name, info.module, "available", rule
        );
    }
    Ok(())
}
