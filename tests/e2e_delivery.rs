//! End to end against a real moto server: objects uploaded to S3 announce
//! themselves on SQS, and the agent delivers every event exactly once,
//! draining the queue.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn delivers_every_event_of_every_dataset_once_and_drains_the_queue() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 3, false).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");

    let mut expected = std::collections::BTreeMap::<&str, usize>::new();
    let mut objects = 0;
    for i in 0..20 {
        let key = format!("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/123456789012_vpcflowlogs_us-east-1_fl-1_20240101T0000Z_{i}.log.gz");
        aws.put("logs", &key, gzip(&vpcflow_lines(i * 3000, 3000)))
            .await;
        *expected.entry("aws.vpcflow").or_default() += 3000;
        objects += 1;
    }
    for i in 0..15 {
        let key = format!("AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/03/05/123456789012_elasticloadbalancing_us-east-1_app.shop_{i}.log.gz");
        aws.put("logs", &key, gzip(&alb_lines(i * 2000, 2000)))
            .await;
        *expected.entry("aws.elb_logs").or_default() += 2000;
        objects += 1;
    }
    for i in 0..10 {
        let key = format!("s3-access/2024-01-01-00-00-{i:02}-5E5FDEADBEEF12{i:02}");
        aws.put("logs", &key, s3access_lines(i * 1000, 1000).into_bytes())
            .await;
        *expected.entry("aws.s3access").or_default() += 1000;
        objects += 1;
    }
    for i in 0..6 {
        let key = format!("AWSLogs/123456789012/CloudTrail/us-east-1/2024/04/02/123456789012_CloudTrail_us-east-1_20240402T0900Z_{i}.json.gz");
        aws.put("logs", &key, gzip(&cloudtrail_document(i * 500, 500)))
            .await;
        *expected.entry("aws.cloudtrail").or_default() += 500;
        objects += 1;
    }
    // A digest file: skipped, no events, no error.
    aws.put(
        "logs",
        "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/04/02/digest.json.gz",
        gzip(r#"{"digestStartTime":"x","logFiles":[]}"#),
    )
    .await;
    objects += 1;
    let total: usize = expected.values().sum();
    assert!(objects >= 50 && total >= 100_000);

    let agent = Agent::start(
        dir.path(),
        &sqs_config(&moto.endpoint, &queue.url, &out, "    workers: 4\n"),
    );
    let paths = [out.clone()];
    wait_until(Duration::from_secs(300), "every event", || {
        count_lines(&paths) >= total
    })
    .await;
    wait_until(Duration::from_secs(60), "the queue to drain", || {
        block(aws.depth(&queue.url)) == (0, 0)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let events = Events::read(&paths);
    assert_eq!(
        events.len(),
        total,
        "every event exactly once; log:\n{}",
        agent.log()
    );
    assert!(events.duplicate_ids().is_empty());
    for (dataset, n) in &expected {
        assert_eq!(
            events.per_dataset.get(*dataset),
            Some(n),
            "events of {dataset}"
        );
    }
    assert_eq!(
        aws.depth(&queue.dlq_url).await,
        (0, 0),
        "nothing dead-lettered"
    );
    let metrics = agent.metrics();
    assert_eq!(
        metric(&metrics, "loglift_sqs_messages_deleted_total"),
        objects as f64
    );
    let counted: f64 = expected
        .keys()
        .map(|d| {
            metric(
                &metrics,
                &format!("loglift_events_total{{dataset=\"{d}\",outcome=\"ok\"}}"),
            )
        })
        .sum();
    assert_eq!(counted, total as f64, "metrics count every event");
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_sns_and_eventbridge_bodies_odd_keys_and_ignores_test_and_removal_events() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    // Keep moto's s3:TestEvent in the queue: the agent must delete it quietly.
    let queue = aws.bucket_with_queue("logs", 3, true).await;
    aws.s3.create_bucket().bucket("other").send().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");

    let odd = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/with space:and+plus.log";
    aws.put("logs", odd, vpcflow_lines(0, 10).into_bytes())
        .await;
    // Objects in a bucket without notifications, announced by hand-made SNS and EventBridge bodies.
    let sns_key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/sns.log";
    let eb_key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/eventbridge file.log";
    aws.put("other", sns_key, vpcflow_lines(100, 20).into_bytes())
        .await;
    aws.put("other", eb_key, vpcflow_lines(200, 30).into_bytes())
        .await;
    let s3_event = serde_json::json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "other"}, "object": {"key": sns_key, "size": 1}}}]});
    let sns = serde_json::json!({"Type": "Notification", "MessageId": "1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:logs", "Message": s3_event.to_string()});
    let eventbridge = serde_json::json!({"version": "0", "id": "2", "detail-type": "Object Created", "source": "aws.s3", "account": "123456789012",
        "region": "us-east-1", "detail": {"bucket": {"name": "other"}, "object": {"key": eb_key, "size": 1}}});
    for body in [sns.to_string(), eventbridge.to_string()] {
        aws.sqs
            .send_message()
            .queue_url(&queue.url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    let agent = Agent::start(
        dir.path(),
        &sqs_config(&moto.endpoint, &queue.url, &out, ""),
    );
    let paths = [out.clone()];
    wait_until(Duration::from_secs(60), "events of three objects", || {
        count_lines(&paths) >= 60
    })
    .await;
    // A removal is announced too, and ignored.
    aws.s3
        .delete_object()
        .bucket("logs")
        .key(odd)
        .send()
        .await
        .unwrap();
    wait_until(Duration::from_secs(60), "the queue to drain", || {
        block(aws.depth(&queue.url)) == (0, 0)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let events = Events::read(&paths);
    assert_eq!(events.len(), 60, "log:\n{}", agent.log());
    let keys: std::collections::BTreeSet<&str> =
        events.all.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(keys, [odd, sns_key, eb_key].into_iter().collect());
    assert_eq!(aws.depth(&queue.dlq_url).await, (0, 0));
    let metrics = agent.metrics();
    assert!(
        metric(&metrics, "loglift_sqs_records_ignored_total") >= 2.0,
        "test event and removal ignored:\n{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            "loglift_sqs_messages_failed_total{reason=\"invalid_body\"}"
        ),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_object_and_a_garbage_message_end_in_the_dead_letter_queue() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 2, false).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");

    let mut truncated = gzip(&vpcflow_lines(0, 20_000));
    truncated.truncate(truncated.len() / 2);
    aws.put(
        "logs",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/truncated.log.gz",
        truncated,
    )
    .await;
    aws.sqs
        .send_message()
        .queue_url(&queue.url)
        .message_body("this is not a notification")
        .send()
        .await
        .unwrap();
    aws.put(
        "logs",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/good.log.gz",
        gzip(&vpcflow_lines(0, 500)),
    )
    .await;

    let config = sqs_config(
        &moto.endpoint,
        &queue.url,
        &out,
        "    visibility_timeout: 2s\n    retry_backoff: 1s\n",
    );
    let agent = Agent::start(dir.path(), &config);
    wait_until(
        Duration::from_secs(120),
        "two messages in the dead-letter queue",
        || block(aws.depth(&queue.dlq_url)).0 == 2,
    )
    .await;
    wait_until(Duration::from_secs(30), "the queue to drain", || {
        block(aws.depth(&queue.url)) == (0, 0)
    })
    .await;
    let events = Events::read(std::slice::from_ref(&out));
    let good = events
        .all
        .iter()
        .filter(|(k, _, _)| k.ends_with("good.log.gz"))
        .count();
    assert_eq!(
        good,
        500,
        "the good object is delivered; log:\n{}",
        agent.log()
    );
    let metrics = agent.metrics();
    assert!(
        metric(
            &metrics,
            "loglift_sqs_messages_failed_total{reason=\"invalid_body\"}"
        ) >= 2.0,
        "{metrics}"
    );
    assert!(
        metric(
            &metrics,
            "loglift_sqs_messages_failed_total{reason=\"object_failed\"}"
        ) >= 2.0,
        "{metrics}"
    );
}
