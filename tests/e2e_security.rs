//! The security sources end to end, against a real moto server: a gzip'd
//! sample of each, uploaded under the key layout AWS (or Iru) writes,
//! announced by S3 on SQS, routed by default (Iru by its module's selector),
//! parsed and delivered, the queue drained.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::*;

/// (dataset, fixture file, key it is uploaded under).
const OBJECTS: &[(&str, &str, &str)] = &[
    ("aws.waf", "111122223333_waflogs_us-east-1_shop-acl_20240305T1010Z_5f3c1a2b.log",
     "AWSLogs/111122223333/WAFLogs/us-east-1/shop-acl/2024/03/05/10/10/111122223333_waflogs_us-east-1_shop-acl_20240305T1010Z_5f3c1a2b.log.gz"),
    ("aws.cloudfront_logs", "E2K2LNL5N3WR51.2024-01-01-10.a1b2c3d4",
     "cdn/E2K2LNL5N3WR51.2024-01-01-10.a1b2c3d4.gz"),
    ("aws.cloudfront_logs", "E2K2LNL5N3WR51.2024-11-14-20.v2partitioned",
     "cf/AWSLogs/111122223333/CloudFront/E2K2LNL5N3WR51/2024/11/14/20/E2K2LNL5N3WR51.2024-11-14-20.4b9f3a1c.gz"),
    ("aws.route53_resolver_logs", "111122223333_vpcdnsquerylogs_111122223333_20240305T1015Z_0a1b2c3d.log",
     "AWSLogs/111122223333/vpcdnsquerylogs/vpc-0a1b2c3d4e5f60718/2024/03/05/111122223333_vpcdnsquerylogs_111122223333_20240305T1015Z_0a1b2c3d.log.gz"),
    ("aws.firewall_logs", "111122223333_network-firewall_alert_us-east-1_egress-fw_202403051000_1a2b3c4d.log",
     "AWSLogs/111122223333/network-firewall/alert/2024/03/05/10/111122223333_network-firewall_alert_us-east-1_egress-fw_202403051000_1a2b3c4d.log.gz"),
    ("aws.firewall_logs", "111122223333_network-firewall_flow_us-east-1_egress-fw_202403051000_5e6f7a8b.log",
     "AWSLogs/111122223333/network-firewall/flow/2024/03/05/10/111122223333_network-firewall_flow_us-east-1_egress-fw_202403051000_5e6f7a8b.log.gz"),
    ("aws.firewall_logs", "111122223333_network-firewall_tls_us-east-1_egress-fw_202403051000_9c0d1e2f.log",
     "AWSLogs/111122223333/network-firewall/tls/2024/03/05/10/111122223333_network-firewall_tls_us-east-1_egress-fw_202403051000_9c0d1e2f.log.gz"),
    ("aws.guardduty", "5a1b2c3d-0e1f-4a5b-8c9d-0e1f2a3b4c5d.jsonl",
     "AWSLogs/111122223333/GuardDuty/us-east-1/2024/03/05/5a1b2c3d-0e1f-4a5b-8c9d-0e1f2a3b4c5d.jsonl.gz"),
    ("iru.audit", "audit-2025-03-04T16.ndjson", "iru/audit/2025/03/04/audit-2025-03-04T16.ndjson.gz"),
    ("iru.audit", "audit-2025-03-06T11-page.json", "iru/audit/2025/03/06/audit-2025-03-06T11.json.gz"),
];

/// Events `loglift parse` makes of a fixture: what the agent must deliver.
fn expected_events(dataset: &str, file: &Path) -> usize {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["parse", "--dataset", dataset])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout.iter().filter(|b| **b == b'\n').count()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_security_source_routes_by_its_key_layout_and_is_delivered() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 3, false).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");

    let mut expected = BTreeMap::<&str, usize>::new();
    for (dataset, file, key) in OBJECTS {
        let path = fixtures.join(dataset).join(file);
        *expected.entry(dataset).or_default() += expected_events(dataset, &path);
        let text = std::fs::read_to_string(&path).unwrap();
        aws.put("logs", key, gzip(&text)).await;
    }
    assert!(expected.values().all(|n| *n > 0));
    let total: usize = expected.values().sum();

    // Iru has no fixed layout: its module file's selector routes it.
    let modules = dir.path().join("modules.d");
    std::fs::create_dir_all(&modules).unwrap();
    std::fs::write(
        modules.join("iru.audit.yml"),
        "dataset: iru.audit\nselector: '^iru/audit/'\n",
    )
    .unwrap();
    let agent = Agent::start(
        dir.path(),
        &sqs_config(&moto.endpoint, &queue.url, &out, "    workers: 4\n"),
    );
    let paths = [out.clone()];
    wait_until(Duration::from_secs(120), "every event", || {
        count_lines(&paths) >= total
    })
    .await;
    wait_until(Duration::from_secs(60), "the queue to drain", || {
        block(aws.depth(&queue.url)) == (0, 0)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let events = Events::read(&paths);
    assert_eq!(events.len(), total, "log:\n{}", agent.log());
    assert!(events.duplicate_ids().is_empty());
    for (dataset, n) in &expected {
        assert_eq!(
            events.per_dataset.get(*dataset),
            Some(n),
            "events of {dataset}"
        );
    }
    let metrics = agent.metrics();
    assert_eq!(
        metric(&metrics, "loglift_sqs_messages_deleted_total"),
        OBJECTS.len() as f64
    );
    assert_eq!(
        metric(
            &metrics,
            "loglift_s3_objects_total{dataset=\"none\",outcome=\"unrouted\"}"
        ),
        0.0,
        "nothing left unrouted"
    );
}
