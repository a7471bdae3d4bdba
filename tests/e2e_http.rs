//! The HTTP endpoints over HTTP, against a running agent on moto:
//! `/healthz` answers 200 when healthy and 503 with the reason when an input
//! keeps failing; `/status` is JSON with the version, uptime, per-input
//! counters, in-flight objects and the last error, and no secret of the
//! configuration; `/metrics` parses with a real Prometheus text parser (and
//! `promtool check metrics` when it is installed), with HELP for every family.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use common::*;

const SECRET_KEY: &str = "s3cr3t-never-in-status-9c1d";
const SESSION_TOKEN: &str = "t0ken-never-in-status-77ab";

/// GET over loopback: the status code and the body.
fn get(port: u16, path: &str) -> (u16, String) {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or(("", ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, body.to_string())
}

fn config(endpoint: &str, queue_url: &str, out: &Path) -> String {
    format!(
        "aws:\n  region: {REGION}\n  endpoint: {endpoint}\n  force_path_style: true\n  access_key_id: {KEY_ID}\n  secret_access_key: {SECRET_KEY}\n  session_token: {SESSION_TOKEN}\ninputs:\n  - type: sqs\n    queue_url: {queue_url}\n    wait_time: 1s\noutputs:\n  - type: file\n    path: {}\nhttp:\n  listen: {{http}}\n",
        out.display()
    )
}

/// Writes a note to the real stderr, past the test harness's capture, so
/// that a check that was not run is visible in the test command's output.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "note: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_status_and_metrics_answer_over_http() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let clients = moto.clients().await;
    let queue = clients.bucket_with_queue("logs", 5, false).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");
    let agent = Agent::start(
        &dir.path().join("agent"),
        &config(&moto.endpoint, &queue.url, &out),
    );
    let port = agent.http_port;
    wait_until(Duration::from_secs(30), "/healthz 200", || {
        get(port, "/healthz") == (200, "ok\n".to_string())
    })
    .await;

    let key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/flows.log.gz";
    clients.put("logs", key, gzip(&vpcflow_lines(0, 25))).await;
    let paths = [out.clone()];
    wait_until(Duration::from_secs(60), "25 events", || {
        count_lines(&paths) >= 25
    })
    .await;
    wait_until(Duration::from_secs(30), "the message deleted", || {
        metric(&agent.metrics(), "loglift_sqs_messages_deleted_total") >= 1.0
    })
    .await;

    // /status: JSON with the version, uptime, counters, in-flight objects, no secrets.
    let (code, body) = get(port, "/status");
    assert_eq!(code, 200, "{body}");
    assert!(
        !body.contains(SECRET_KEY) && !body.contains(SESSION_TOKEN),
        "no secret in /status: {body}"
    );
    let status: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert!(status["uptime_seconds"].as_u64().is_some(), "{body}");
    assert_eq!(status["healthy"], true, "{body}");
    let input = &status["inputs"][0];
    assert_eq!(input["type"], "sqs");
    assert_eq!(input["name"], queue.url.as_str());
    assert_eq!(input["objects_read"], 1, "{body}");
    assert_eq!(input["events"], 25, "{body}");
    assert_eq!(input["in_flight_objects"], 0, "{body}");
    assert!(input["messages_received"].as_u64().unwrap() >= 1, "{body}");
    assert!(input["last_error"].is_null(), "{body}");
    assert_eq!(status["outputs"][0]["name"], "file", "{body}");

    // /metrics: a real Prometheus text parser, HELP for every loglift_* family.
    let (code, text) = get(port, "/metrics");
    assert_eq!(code, 200);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("Prometheus text format");
    // A histogram's samples are `<family>_bucket`, `_sum` and `_count`.
    let families: std::collections::BTreeSet<String> = scrape
        .samples
        .iter()
        .map(|s| s.metric.as_str())
        .filter(|m| m.starts_with("loglift_"))
        .map(|m| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| m.strip_suffix(suffix))
                .filter(|base| scrape.docs.contains_key(*base) && !scrape.docs.contains_key(m))
                .unwrap_or(m)
                .to_string()
        })
        .collect();
    for expected in [
        "loglift_build_info",
        "loglift_sqs_messages_received_total",
        "loglift_sqs_messages_deleted_total",
        "loglift_s3_objects_total",
        "loglift_s3_bytes_total",
        "loglift_events_total",
        "loglift_output_events_total",
        "loglift_output_latency_seconds",
        "loglift_objects_in_flight",
        "loglift_output_queued_batches",
        "loglift_event_lag_seconds",
    ] {
        assert!(
            families.contains(expected),
            "{expected} missing: {families:?}"
        );
    }
    let queued: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "loglift_output_queued_batches")
        .map(|s| match s.value {
            prometheus_parse::Value::Gauge(v) => v,
            _ => f64::NAN,
        })
        .collect();
    assert_eq!(queued, [0.0], "one output, its queue drained");
    for family in &families {
        let help = scrape.docs.get(family).map(String::as_str).unwrap_or("");
        assert!(!help.trim().is_empty(), "no HELP text for {family}");
    }
    let events: f64 = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "loglift_events_total")
        .filter(|s| {
            s.labels.get("dataset") == Some("aws.vpcflow") && s.labels.get("outcome") == Some("ok")
        })
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum();
    assert_eq!(events, 25.0, "{text}");

    promtool_check(&text);
}

/// `promtool check metrics` on the exposition when promtool is installed
/// (`scripts/setup-emulators.sh` installs Debian's `prometheus` package);
/// otherwise says so.
fn promtool_check(text: &str) {
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        note("promtool is not installed: /metrics was checked with the Rust parser (prometheus-parse) only, not with `promtool check metrics`");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    note("promtool check metrics: /metrics passed");
}

#[tokio::test(flavor = "multi_thread")]
async fn healthz_answers_503_with_the_reason_when_the_queue_does_not_exist() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("{}/123456789012/no-such-queue", moto.endpoint);
    let agent = Agent::start(
        &dir.path().join("agent"),
        &config(&moto.endpoint, &missing, &dir.path().join("events.ndjson")),
    );
    let port = agent.http_port;
    // Three failed receives in a row (1 s, 2 s backoff between them).
    wait_until(Duration::from_secs(30), "/healthz 503", || {
        get(port, "/healthz").0 == 503
    })
    .await;
    let (_, body) = get(port, "/healthz");
    assert!(body.starts_with("unhealthy\n"), "{body}");
    assert!(body.contains(&format!("input sqs {missing}")), "{body}");
    assert!(
        body.contains("NonExistentQueue") || body.contains("QueueDoesNotExist"),
        "the AWS error: {body}"
    );
    let (code, status) = get(port, "/status");
    assert_eq!(code, 200);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["healthy"], false);
    let input = &status["inputs"][0];
    assert_eq!(input["healthy"], false);
    assert!(input["consecutive_errors"].as_u64().unwrap() >= 3);
    assert!(
        input["last_error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("ReceiveMessage: "),
        "{input}"
    );
    assert!(!status.to_string().contains(SECRET_KEY));
}
