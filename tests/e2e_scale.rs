//! End to end against moto: scaling out (several agents on one queue) and
//! polling mode (bucket listing with durable state), against moto and against
//! s3s-fs, a second S3 implementation.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn three_agents_on_one_queue_deliver_every_object_once() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 5, false).await;
    let dir = tempfile::tempdir().unwrap();
    let objects = 200;
    let per_object = 250;
    for i in 0..objects {
        let key =
            format!("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/part-{i:04}.log.gz");
        aws.put(
            "logs",
            &key,
            gzip(&vpcflow_lines(i * per_object, per_object)),
        )
        .await;
    }
    let outs: Vec<_> = (0..3)
        .map(|n| dir.path().join(format!("agent-{n}.ndjson")))
        .collect();
    let agents: Vec<Agent> = outs
        .iter()
        .enumerate()
        .map(|(n, out)| {
            Agent::start(
                &dir.path().join(format!("a{n}")),
                &sqs_config(&moto.endpoint, &queue.url, out, "    workers: 2\n"),
            )
        })
        .collect();
    let total = objects * per_object;
    wait_until(Duration::from_secs(240), "every event", || {
        count_lines(&outs) >= total
    })
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let depth = aws.depth(&queue.url).await;
        if depth == (0, 0) {
            break;
        }
        if std::time::Instant::now() > deadline {
            let logs: Vec<String> = agents.iter().map(|a| a.log()).collect();
            panic!(
                "queue not drained: {depth:?}; events {}; logs:\n{}",
                count_lines(&outs),
                logs.join("\n----\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    let events = Events::read(&outs);
    assert_eq!(events.len(), total, "every event exactly once");
    assert!(events.duplicate_ids().is_empty());
    // Each object was completed by exactly one agent.
    let mut owner = std::collections::HashMap::<String, usize>::new();
    for (n, out) in outs.iter().enumerate() {
        for (key, _, _) in Events::read(std::slice::from_ref(out)).all {
            let previous = owner.insert(key.clone(), n);
            assert!(
                previous.is_none() || previous == Some(n),
                "{key} delivered by two agents"
            );
        }
    }
    assert_eq!(owner.len(), objects);
    let busy = (0..3).filter(|n| owner.values().any(|o| o == n)).count();
    assert!(busy >= 2, "work spread over the agents");
    drop(agents);
}

fn poll_config(
    endpoint: &str,
    bucket: &str,
    prefix: &str,
    state_dir: &std::path::Path,
    out: &std::path::Path,
    credentials: (&str, &str),
) -> String {
    format!(
        "inputs:\n  - type: s3_poll\n    bucket: {bucket}\n    prefix: {prefix}\n    interval: 1s\n    workers: 8\n    state_dir: {}\n    aws:\n      region: {REGION}\n      endpoint: {endpoint}\n      force_path_style: true\n      access_key_id: {}\n      secret_access_key: {}\ndatasets:\n  - name: test.lines\n    selector: '^{prefix}'\n    framing: lines\noutputs:\n  - type: file\n    path: {}\n    rotate_bytes: 100000000000\nhttp:\n  listen: {{http}}\n",
        state_dir.display(),
        credentials.0,
        credentials.1,
        out.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn polling_reads_each_object_once_across_pages_and_restarts() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let s3 = moto.clients().await.s3;
    polls_each_object_once(&moto.endpoint, &s3, (KEY_ID, SECRET)).await;
}

/// The same contract against a second, independent S3 implementation
/// (MinIO-style, with real SigV4 checks): s3s-fs.
#[tokio::test(flavor = "multi_thread")]
async fn polling_an_s3_compatible_store_reads_each_object_once() {
    let _serial = serial().await;
    let store = S3sFs::start();
    let s3 = store.s3().await;
    polls_each_object_once(&store.endpoint, &s3, (S3sFs::ACCESS_KEY, S3sFs::SECRET_KEY)).await;
}

/// Polls a bucket of 1,050 objects under a prefix (two list pages and more)
/// plus one outside it: every object under the prefix is read once; after a
/// restart only the 20 new objects are read.
async fn polls_each_object_once(
    endpoint: &str,
    s3: &aws_sdk_s3::Client,
    credentials: (&str, &str),
) {
    s3.create_bucket().bucket("exports").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");
    let state = dir.path().join("state");
    put_lines(s3, 0..1_050).await;
    put(s3, "elsewhere/ignored.log", "not under the prefix\n".into()).await;
    let config = poll_config(endpoint, "exports", "hitlogs/", &state, &out, credentials);
    let paths = [out.clone()];
    let mut agent = Agent::start(&dir.path().join("a"), &config);
    wait_until(Duration::from_secs(240), "every object", || {
        count_lines(&paths) >= 2_100
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(agent.stop().success());
    assert_eq!(count_lines(&paths), 2_100, "no object read twice");

    put_lines(s3, 1_050..1_070).await;
    let _agent = Agent::start(&dir.path().join("b"), &config);
    wait_until(Duration::from_secs(60), "the new objects", || {
        count_lines(&paths) >= 2_140
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let events = Events::read(&paths);
    assert_eq!(
        events.len(),
        2_140,
        "the restart resumed without reprocessing"
    );
    assert!(events.duplicate_ids().is_empty());
    assert!(events.all.iter().all(|(k, _, _)| k.starts_with("hitlogs/")));
}

/// A polled object that cannot be read (a truncated gzip) is retried, then
/// given up after `max_attempts`: recorded in the dead-letter file, counted,
/// and passed by the watermark, while every other object is delivered and
/// the state stays small.
#[tokio::test(flavor = "multi_thread")]
async fn polling_gives_up_a_broken_object_into_the_dead_letter_file() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let s3 = moto.clients().await.s3;
    s3.create_bucket().bucket("exports").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");
    let state = dir.path().join("state");
    put_lines(&s3, 0..6).await;
    let whole = gzip(
        "a line that will never be read whole\n"
            .repeat(200)
            .as_str(),
    );
    let truncated = &whole[..whole.len() / 2];
    s3.put_object()
        .bucket("exports")
        .key("hitlogs/00002-broken.log")
        .body(aws_sdk_s3::primitives::ByteStream::from(truncated.to_vec()))
        .send()
        .await
        .unwrap();
    let config = poll_config(
        &moto.endpoint,
        "exports",
        "hitlogs/",
        &state,
        &out,
        (KEY_ID, SECRET),
    )
    .replace("    workers: 8\n", "    workers: 8\n    max_attempts: 3\n");
    let paths = [out.clone()];
    let agent = Agent::start(&dir.path().join("a"), &config);
    let dead_letter = |state: &std::path::Path| {
        std::fs::read_dir(state)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(".dead-letter.ndjson"))
    };
    wait_until(
        Duration::from_secs(60),
        "the broken object given up",
        || dead_letter(&state).is_some(),
    )
    .await;
    wait_until(Duration::from_secs(30), "every good object", || {
        count_lines(&paths) >= 12
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let text = std::fs::read_to_string(dead_letter(&state).unwrap()).unwrap();
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "given up once: {text}");
    assert_eq!(entries[0]["key"], "hitlogs/00002-broken.log");
    assert_eq!(entries[0]["bucket"], "exports");
    assert_eq!(entries[0]["attempts"], 3);
    assert!(
        entries[0]["error"]
            .as_str()
            .unwrap()
            .contains("00002-broken"),
        "{text}"
    );
    let events = Events::read(&paths);
    assert_eq!(events.len(), 12, "every good object, once");
    assert!(events.duplicate_ids().is_empty());
    let log = agent.log();
    assert_eq!(
        log.matches("object failed; retried on the next pass")
            .count(),
        2,
        "two retries before giving up: {log}"
    );
    assert_eq!(
        metric(
            &agent.metrics(),
            r#"loglift_s3_objects_total{dataset="test.lines",outcome="dead_lettered"}"#
        ),
        1.0
    );
    let state_file = std::fs::read_dir(&state)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    assert_eq!(saved["watermark"], "hitlogs/00005.log", "{saved}");
    assert_eq!(saved["done_above"], serde_json::json!([]), "{saved}");
    assert!(saved.get("attempts").is_none(), "{saved}");
}

/// Uploads `hitlogs/<i>.log` (two lines each) for every `i`, 16 at a time.
async fn put_lines(s3: &aws_sdk_s3::Client, range: std::ops::Range<usize>) {
    let mut uploads = tokio::task::JoinSet::new();
    for i in range {
        if uploads.len() == 16 {
            uploads.join_next().await.unwrap().unwrap();
        }
        let s3 = s3.clone();
        uploads.spawn(async move {
            let body = format!("line one of {i}\nline two of {i}\n");
            put(&s3, &format!("hitlogs/{i:05}.log"), body).await
        });
    }
    while let Some(done) = uploads.join_next().await {
        done.unwrap();
    }
}

async fn put(s3: &aws_sdk_s3::Client, key: &str, body: String) {
    s3.put_object()
        .bucket("exports")
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(body.into_bytes()))
        .send()
        .await
        .unwrap();
}
