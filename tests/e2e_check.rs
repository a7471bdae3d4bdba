//! `loglift check` against a real moto server: every check passes on a
//! working setup (and nothing is consumed from the queue), and a wrong queue
//! URL, a missing bucket, a missing permission or a role that cannot be
//! assumed each gets its own clear line and a non-zero exit.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn check(dir: &Path, config: &str) -> (i32, String) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("loglift.yml");
    std::fs::write(&path, config).unwrap();
    let out: Output = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .expect("run loglift check");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The verdict line of `check` (`PASS`, `FAIL`, ...) for the check named `name`
/// in the section whose title contains `section`.
fn line<'a>(text: &'a str, section: &str, name: &str) -> &'a str {
    let mut in_section = false;
    for l in text.lines() {
        if !l.starts_with(' ') {
            in_section = l.contains(section);
        } else if in_section && l.split_whitespace().nth(1) == Some(name) {
            return l;
        }
    }
    panic!("no `{name}` line under `{section}` in:\n{text}")
}

fn config(endpoint: &str, aws_extra: &str, inputs: &str, out: &Path) -> String {
    format!(
        "aws:\n  region: {REGION}\n  endpoint: {endpoint}\n  force_path_style: true\n{aws_extra}inputs:\n{inputs}outputs:\n  - type: file\n    path: {}\nhttp:\n  listen: 127.0.0.1:{}\n",
        out.display(),
        free_port()
    )
}

const KEYS: &str = "  access_key_id: testing\n  secret_access_key: testing\n";

#[tokio::test(flavor = "multi_thread")]
async fn every_check_passes_on_a_working_setup_and_nothing_is_consumed() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let clients = moto.clients().await;
    let queue = clients.bucket_with_queue("logs", 5, false).await;
    let key = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/flows.log.gz";
    clients.put("logs", key, gzip(&vpcflow_lines(0, 3))).await;
    let dir = tempfile::tempdir().unwrap();
    let inputs = format!(
        "  - type: sqs\n    queue_url: {}\n  - type: s3_poll\n    bucket: logs\n    prefix: AWSLogs/\n    state_dir: {}\n",
        queue.url,
        dir.path().join("state").display()
    );
    let (code, text) = check(
        dir.path(),
        &config(
            &moto.endpoint,
            KEYS,
            &inputs,
            &dir.path().join("out/events.ndjson"),
        ),
    );
    assert_eq!(code, 0, "{text}");
    for (section, name) in [
        ("input sqs", "credentials"),
        ("input sqs", "sqs:GetQueueAttributes"),
        ("input sqs", "sqs:ReceiveMessage"),
        ("input sqs", "sqs:ChangeMessageVisibility"),
        ("input sqs", "s3:GetObject"),
        ("input s3_poll", "s3:ListBucket"),
        ("input s3_poll", "s3:GetObject"),
        ("input s3_poll", "state_dir"),
        ("output file", "writable"),
    ] {
        assert!(
            line(&text, section, name).trim_start().starts_with("PASS"),
            "{section} {name}:\n{text}"
        );
    }
    assert!(
        line(&text, "input sqs", "s3:GetObject").contains(key),
        "{text}"
    );
    assert!(text.contains("ok: "), "{text}");
    assert!(!text.contains("secret_access_key"), "{text}");
    // The zero-wait receive with visibility 0 left the notification in the queue.
    assert_eq!(clients.depth(&queue.url).await, (1, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_queue_url_and_a_missing_bucket_each_get_their_own_line() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let clients = moto.clients().await;
    clients.bucket_with_queue("logs", 5, false).await;
    let dir = tempfile::tempdir().unwrap();
    let wrong_queue = format!("{}/123456789012/no-such-queue", moto.endpoint);
    let inputs = format!(
        "  - type: sqs\n    queue_url: {wrong_queue}\n  - type: s3_poll\n    bucket: no-such-bucket\n    state_dir: {}\n",
        dir.path().join("state").display()
    );
    let (code, text) = check(
        dir.path(),
        &config(
            &moto.endpoint,
            KEYS,
            &inputs,
            &dir.path().join("events.ndjson"),
        ),
    );
    assert_eq!(code, 1, "{text}");
    let queue = line(&text, "input sqs", "sqs:GetQueueAttributes");
    assert!(
        queue.trim_start().starts_with("FAIL") && queue.contains("the queue does not exist"),
        "{text}"
    );
    assert!(
        queue.contains("NonExistentQueue") || queue.contains("QueueDoesNotExist"),
        "the AWS error code: {text}"
    );
    let bucket = line(&text, "input s3_poll", "s3:ListBucket");
    assert!(
        bucket.trim_start().starts_with("FAIL")
            && bucket.contains("NoSuchBucket")
            && bucket.contains("the bucket does not exist"),
        "{text}"
    );
    assert!(text.contains("FAILED: "), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_configuration_exits_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = check(dir.path(), "aws:\n  region: us-east-1\n  regoin: x\n");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("loglift.yml:3:") && text.contains("regoin"),
        "{text}"
    );
}

/// Within moto's unauthenticated requests, an admin; as the admin, the
/// bucket and queue, the agent's user (allowed only to assume roles), and
/// two roles trusting it with an external id: one that may read everything
/// the inputs need, one that may not get objects.
async fn iam_world(moto: &Moto) -> (String, String, String, String) {
    let (admin, agent) = iam::admin_and_agent(moto).await;
    let iam = aws_sdk_iam::Client::new(&admin);
    let trust = iam::trust_with_external_id(&agent.arn, "ext-7f3a");
    let mut roles = Vec::new();
    for (name, actions) in [
        ("loglift-reader", r#"["s3:GetObject","s3:ListBucket"]"#),
        ("loglift-lister", r#"["s3:ListBucket"]"#),
    ] {
        let role = iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(&trust)
            .send()
            .await
            .unwrap()
            .role
            .unwrap();
        iam.put_role_policy()
            .role_name(name)
            .policy_name("read")
            .policy_document(iam::allow(actions))
            .send()
            .await
            .unwrap();
        roles.push(role.arn().to_string());
    }
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&admin)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("logs").send().await.unwrap();
    s3.put_object()
        .bucket("logs")
        .key("exports/hitlogs-1.json")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"[]"))
        .send()
        .await
        .unwrap();
    (
        agent.key_id,
        agent.secret,
        roles[0].clone(),
        roles[1].clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_cannot_be_assumed_and_a_missing_permission_are_named() {
    let _serial = serial().await;
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")]);
    let (key, secret, reader, lister) = iam_world(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let poll = |role: &str, external_id: &str| {
        format!(
            "  - type: s3_poll\n    bucket: logs\n    state_dir: {}\n    aws:\n      role_arn: {role}\n      external_id: {external_id}\n",
            dir.path().join("state").display()
        )
    };
    let keys = format!("  access_key_id: {key}\n  secret_access_key: {secret}\n");
    let out = dir.path().join("events.ndjson");

    // The right role and external id: the role can list and read.
    let (code, text) = check(
        &dir.path().join("right"),
        &config(&moto.endpoint, &keys, &poll(&reader, "ext-7f3a"), &out),
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        line(&text, "input s3_poll", "sts:AssumeRole").contains("PASS"),
        "{text}"
    );
    assert!(
        line(&text, "input s3_poll", "s3:GetObject").contains("PASS"),
        "{text}"
    );

    // A wrong external id: the role cannot be assumed.
    let (code, text) = check(
        &dir.path().join("wrong-id"),
        &config(&moto.endpoint, &keys, &poll(&reader, "not-the-id"), &out),
    );
    assert_eq!(code, 1, "{text}");
    let assume = line(&text, "input s3_poll", "sts:AssumeRole");
    assert!(
        assume.contains("FAIL")
            && assume.contains("AccessDenied")
            && assume.contains("missing permission sts:AssumeRole")
            && assume.contains("sts:ExternalId"),
        "{text}"
    );
    assert!(
        line(&text, "input s3_poll", "s3:ListBucket").contains("SKIP"),
        "{text}"
    );
    assert!(
        !text.contains(&secret) && !text.contains("not-the-id"),
        "no secrets: {text}"
    );

    // A role without s3:GetObject: listing works, reading does not.
    let (code, text) = check(
        &dir.path().join("lister"),
        &config(&moto.endpoint, &keys, &poll(&lister, "ext-7f3a"), &out),
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        line(&text, "input s3_poll", "s3:ListBucket").contains("PASS"),
        "{text}"
    );
    let get = line(&text, "input s3_poll", "s3:GetObject");
    assert!(
        get.contains("FAIL")
            && get.contains(
                "missing permission s3:GetObject on arn:aws:s3:::logs/exports/hitlogs-1.json"
            ),
        "{text}"
    );
}
