//! End to end with the `elasticsearch` output: objects in S3 (moto) announce
//! themselves on SQS, the real `loglift run` ships their events to the test
//! bulk server, and a message is deleted only once the server has stored
//! every event of its object. Also `loglift setup elasticsearch`.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use common::bulk::BulkServer;
use common::*;

fn es_config(
    endpoint: &str,
    queue_url: &str,
    server: &BulkServer,
    dir: &std::path::Path,
    extra: &str,
) -> String {
    format!(
        "aws:\n  region: {REGION}\n  endpoint: {endpoint}\n  force_path_style: true\n  access_key_id: {KEY_ID}\n  secret_access_key: {SECRET}\ninputs:\n  - type: sqs\n    queue_url: {queue_url}\n    wait_time: 1s\n    visibility_timeout: 10s\noutputs:\n  - type: elasticsearch\n    hosts: [{}]\n    api_key: ${{LOGLIFT_TEST_ES_KEY:-id1:key1}}\n    dead_letter_path: {}\n    backoff_init: 100ms\n    backoff_max: 1s\n{extra}http:\n  listen: {{http}}\n",
        server.url(),
        dir.join("dead-letter.ndjson").display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn deletes_messages_only_after_the_bulk_server_stored_every_event() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 3, false).await;
    let dir = tempfile::tempdir().unwrap();
    let server = BulkServer::start();
    server.require_auth("ApiKey aWQxOmtleTE=");
    server.hold();

    let (objects, per_object) = (3, 4000);
    for i in 0..objects {
        let key = format!("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/flows_{i}.log.gz");
        aws.put(
            "logs",
            &key,
            gzip(&vpcflow_lines(i * per_object, per_object)),
        )
        .await;
    }
    let total = objects * per_object;
    // One group gathers every batch (a long flush interval, large requests),
    // so the server stores everything while its responses are held.
    let extra =
        "    flush_interval: 3s\n    bulk_max_size: 100000\n    bulk_max_bytes: 104857600\n";
    let mut agent = Agent::start(
        dir.path(),
        &es_config(&moto.endpoint, &queue.url, &server, dir.path(), extra),
    );
    wait_until(
        Duration::from_secs(60),
        "every event stored, responses held",
        || server.count() >= total,
    )
    .await;
    // Stored, but not yet acknowledged by the server: nothing deleted,
    // every message still in flight (and kept so by the heartbeat).
    for _ in 0..3 {
        assert_eq!(
            aws.depth(&queue.url).await,
            (0, objects as u64),
            "log:\n{}",
            agent.log()
        );
        assert_eq!(
            metric(&agent.metrics(), "loglift_sqs_messages_deleted_total"),
            0.0
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    server.release();
    wait_until(Duration::from_secs(60), "the queue to drain", || {
        block(aws.depth(&queue.url)) == (0, 0)
    })
    .await;

    let docs = server.docs();
    let ids: BTreeSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(docs.len(), total, "every event once; log:\n{}", agent.log());
    assert_eq!(ids.len(), total);
    assert!(docs.iter().all(|d| d.index == "logs-aws.vpcflow-default"));
    assert!(docs.iter().all(|d| d.source.get("@metadata").is_none()));
    let keys: BTreeSet<&str> = docs
        .iter()
        .map(|d| d.source["aws"]["s3"]["object"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), objects);
    assert_eq!(aws.depth(&queue.dlq_url).await, (0, 0));
    let metrics = agent.metrics();
    assert_eq!(
        metric(&metrics, "loglift_sqs_messages_deleted_total"),
        objects as f64
    );
    assert_eq!(
        metric(
            &metrics,
            "loglift_output_events_total{outcome=\"acked\",output=\"elasticsearch\"}"
        ),
        total as f64
    );
    assert!(
        metric(
            &metrics,
            "loglift_output_bulk_requests_total{status=\"200\"}"
        ) >= 1.0
    );
    let status = http_get(agent.http_port, "/status");
    assert!(
        status.contains("\"elasticsearch\"") && !status.contains("key1"),
        "{status}"
    );
    assert!(!agent.log().contains("key1"), "no secret in the log");
    assert!(agent.stop().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_elasticsearch_installs_the_templates_built_from_fields() {
    let server = BulkServer::start();
    server.require_auth("Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loglift.yml");
    std::fs::write(
        &config,
        format!(
            "outputs:\n  - type: elasticsearch\n    hosts: [{}]\n    username: elastic\n    password: changeme\n    dead_letter_path: {}\n",
            server.url(),
            dir.path().join("dlq.ndjson").display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["setup", "elasticsearch", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["fields", "--format", "es-template"])
        .output()
        .unwrap();
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&expected.stdout).unwrap();
    let installed = server.templates();
    assert!(installed.contains_key("logs-aws.vpcflow"));
    assert_eq!(installed.len(), expected.len());
    for (name, template) in &expected {
        assert_eq!(installed.get(name), Some(template), "{name}");
    }
    assert!(server
        .requests()
        .iter()
        .all(|r| r.request.starts_with("PUT /_index_template/")));

    // No elasticsearch output: a usage error.
    std::fs::write(&config, "outputs:\n  - type: stdout\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["setup", "elasticsearch", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_each_host_and_refused_credentials() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 3, false).await;
    let server = BulkServer::start();
    server.require_auth("Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loglift.yml");
    let write = |password: &str| {
        std::fs::write(
            &config,
            format!(
                "aws:\n  region: {REGION}\n  endpoint: {}\n  force_path_style: true\n  access_key_id: {KEY_ID}\n  secret_access_key: {SECRET}\ninputs:\n  - type: sqs\n    queue_url: {}\noutputs:\n  - type: elasticsearch\n    hosts: [{}]\n    username: elastic\n    password: {password}\n    dead_letter_path: {}\nhttp:\n  listen: 127.0.0.1:{}\n",
                moto.endpoint,
                queue.url,
                server.url(),
                dir.path().join("dlq.ndjson").display(),
                free_port()
            ),
        )
        .unwrap()
    };
    let check = || {
        let out = Command::new(env!("CARGO_BIN_EXE_loglift"))
            .args(["check", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    write("changeme");
    let (code, stdout) = check();
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("PASS  GET /") && stdout.contains("HTTP 200"),
        "{stdout}"
    );

    write("not-the-password");
    let (code, stdout) = check();
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  GET /") && stdout.contains("the credentials were refused"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("not-the-password"),
        "the password is never printed: {stdout}"
    );
}
