//! End to end against moto: the delivery guarantees under stress — a slow
//! output (the visibility heartbeat) and an agent killed mid-object.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn heartbeat_keeps_a_slow_message_from_being_redelivered() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 5, false).await;
    let dir = tempfile::tempdir().unwrap();
    let lines = 40_000;
    aws.put(
        "logs",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/slow.log.gz",
        gzip(&vpcflow_lines(0, lines)),
    )
    .await;

    // The output is the agent's stdout, read slowly here: the object takes
    // well over three visibility timeouts (5 s) to deliver.
    let config = format!(
        "aws:\n  region: {REGION}\n  endpoint: {}\n  force_path_style: true\n  access_key_id: {KEY_ID}\n  secret_access_key: {SECRET}\ninputs:\n  - type: sqs\n    queue_url: {}\n    wait_time: 1s\n    visibility_timeout: 5s\noutputs:\n  - type: stdout\nhttp:\n  listen: {{http}}\n",
        moto.endpoint, queue.url
    );
    let mut agent = Agent::start_with(dir.path(), &config, Stdio::piped());
    let mut stdout = agent.child.stdout.take().unwrap();
    let started = Instant::now();
    let reader = std::thread::spawn(move || {
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut newlines = 0;
        while newlines < lines {
            let n = stdout.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            newlines += buf[..n].iter().filter(|b| **b == b'\n').count();
            received.extend_from_slice(&buf[..n]);
            std::thread::sleep(Duration::from_millis(40));
        }
        received
    });
    let received = tokio::task::spawn_blocking(move || reader.join().unwrap())
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(
        took > Duration::from_secs(15),
        "the slow output took only {took:?}; make it slower"
    );
    wait_until(Duration::from_secs(30), "the queue to drain", || {
        block(aws.depth(&queue.url)) == (0, 0)
    })
    .await;
    let events = received
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(events, lines, "each event once");
    let metrics = agent.metrics();
    assert_eq!(
        metric(&metrics, "loglift_sqs_messages_received_total"),
        1.0,
        "never redelivered:\n{metrics}"
    );
    assert!(
        metric(&metrics, "loglift_sqs_visibility_extended_total") >= 4.0,
        "heartbeats sent:\n{metrics}"
    );
    assert_eq!(metric(&metrics, "loglift_sqs_messages_deleted_total"), 1.0);
    agent.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_killed_mid_object_loses_nothing_after_restart() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 10, false).await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let out = dir.join("events.ndjson");
    let big = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/big.log.gz";
    let lines = 300_000;
    aws.put("logs", big, gzip(&vpcflow_lines(0, lines))).await;
    for i in 0..5 {
        aws.put(
            "logs",
            &format!("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/small-{i}.log"),
            vpcflow_lines(i * 100, 100).into_bytes(),
        )
        .await;
    }
    let total = lines + 500;
    let config = sqs_config(
        &moto.endpoint,
        &queue.url,
        &out,
        "    visibility_timeout: 4s\n    workers: 2\n",
    );
    let paths = [out.clone()];

    let mut first = Agent::start(&dir.join("a"), &config);
    wait_until(
        Duration::from_secs(120),
        "the big object to be half read",
        || count_lines(&paths) > 20_000,
    )
    .await;
    first.kill();
    let after_kill = count_lines(&paths);
    assert!(
        after_kill < total,
        "killed too late to interrupt the object"
    );

    let second = Agent::start(&dir.join("b"), &config);
    wait_until(Duration::from_secs(180), "the queue to drain", || {
        count_lines(&paths) >= total && block(aws.depth(&queue.url)) == (0, 0)
    })
    .await;

    let events = Events::read(&paths);
    let mut ids_by_position =
        std::collections::HashMap::<(String, u64), std::collections::BTreeSet<String>>::new();
    for (key, offset, id) in &events.all {
        ids_by_position
            .entry((key.clone(), *offset))
            .or_default()
            .insert(id.clone());
    }
    assert_eq!(
        ids_by_position.len(),
        total,
        "no event lost; log:\n{}",
        second.log()
    );
    assert!(
        ids_by_position.values().all(|ids| ids.len() == 1),
        "a redelivered event keeps its id"
    );
    let mut seen = std::collections::HashMap::<(&str, u64), usize>::new();
    for (key, offset, _) in &events.all {
        *seen.entry((key.as_str(), *offset)).or_default() += 1;
    }
    let repeated: std::collections::BTreeSet<&str> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|((k, _), _)| *k)
        .collect();
    assert!(
        repeated.iter().all(|k| *k == big),
        "only the interrupted object may repeat: {repeated:?}"
    );
    assert_eq!(aws.depth(&queue.dlq_url).await, (0, 0));
}
