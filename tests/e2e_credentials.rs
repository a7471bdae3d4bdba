//! Credentials checked for real: moto enforces IAM after its first requests
//! (`INITIAL_NO_AUTH_ACTION_COUNT`), so a role assumed with the right external
//! id works, and a wrong external id or a wrong secret is refused with a
//! clear error while the agent keeps running.

mod common;

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use common::*;

/// What the setup created: the queue, and the agent's own (assume-only) user.
struct World {
    queue_url: String,
    agent_key: (String, String),
    role_arn: String,
    s3: aws_sdk_s3::Client,
}

/// Within moto's unauthenticated requests: an admin user and key; then, as
/// that admin, the bucket, queue, notification, a role trusting the agent's
/// user with an external id, and the agent's user, allowed only to assume it.
async fn build_world(moto: &Moto) -> World {
    let (admin, agent) = iam::admin_and_agent(moto).await;
    let iam = aws_sdk_iam::Client::new(&admin);
    let trust = iam::trust_with_external_id(&agent.arn, "ext-7f3a");
    let role = iam
        .create_role()
        .role_name("loglift-reader")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","sqs:ReceiveMessage","sqs:DeleteMessage","sqs:ChangeMessageVisibility","sqs:GetQueueAttributes"],"Resource":"*"}]}"#;
    iam.put_role_policy()
        .role_name("loglift-reader")
        .policy_name("read")
        .policy_document(read)
        .send()
        .await
        .unwrap();

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&admin)
            .force_path_style(true)
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::new(&admin);
    let queue_url = sqs
        .create_queue()
        .queue_name("logs")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = format!("arn:aws:sqs:{REGION}:123456789012:logs");
    s3.create_bucket().bucket("logs").send().await.unwrap();
    let config = aws_sdk_s3::types::NotificationConfiguration::builder()
        .queue_configurations(
            aws_sdk_s3::types::QueueConfiguration::builder()
                .queue_arn(arn)
                .events(aws_sdk_s3::types::Event::S3ObjectCreated)
                .build()
                .unwrap(),
        )
        .build();
    s3.put_bucket_notification_configuration()
        .bucket("logs")
        .notification_configuration(config)
        .send()
        .await
        .unwrap();
    World {
        queue_url,
        agent_key: (agent.key_id, agent.secret),
        role_arn: role.arn().to_string(),
        s3,
    }
}

fn config(endpoint: &str, queue_url: &str, out: &std::path::Path, aws_extra: &str) -> String {
    format!(
        "aws:\n  region: {REGION}\n  endpoint: {endpoint}\n  force_path_style: true\n{aws_extra}inputs:\n  - type: sqs\n    queue_url: {queue_url}\n    wait_time: 1s\noutputs:\n  - type: file\n    path: {}\nhttp:\n  listen: {{http}}\n",
        out.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn assumes_a_role_with_its_external_id_and_refuses_wrong_credentials_clearly() {
    let _serial = serial().await;
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")]);
    let world = build_world(&moto).await;
    let dir = tempfile::tempdir().unwrap();
    let (key, secret) = &world.agent_key;

    // A wrong external id: AssumeRole is refused, the agent says so and keeps running.
    let wrong_id = dir.path().join("wrong-id.ndjson");
    let extra = format!("  access_key_id: {key}\n  secret_access_key: {secret}\n  role_arn: {}\n  external_id: not-the-id\n", world.role_arn);
    let mut agent = Agent::start(
        &dir.path().join("wrong-id"),
        &config(&moto.endpoint, &world.queue_url, &wrong_id, &extra),
    );
    wait_until(
        Duration::from_secs(60),
        "the assume-role refusal in the log",
        || agent.log().contains("ReceiveMessage failed"),
    )
    .await;
    assert!(
        agent.child.try_wait().unwrap().is_none(),
        "the agent keeps running"
    );
    let log = agent.log();
    assert!(
        log.contains(&world.queue_url)
            && log.contains("cannot obtain AWS credentials (assuming role"),
        "a clear error naming the input:\n{log}"
    );
    assert!(
        !log.contains(secret.as_str()),
        "secrets never reach the log"
    );
    agent.stop();

    // A wrong secret: refused before any role is assumed.
    let extra = format!("  access_key_id: {key}\n  secret_access_key: wrong{secret}\n  role_arn: {}\n  external_id: ext-7f3a\n", world.role_arn);
    let mut agent = Agent::start(
        &dir.path().join("wrong-secret"),
        &config(&moto.endpoint, &world.queue_url, &wrong_id, &extra),
    );
    wait_until(
        Duration::from_secs(60),
        "the signature refusal in the log",
        || agent.log().contains("ReceiveMessage failed"),
    )
    .await;
    assert!(agent.child.try_wait().unwrap().is_none(), "no crash loop");
    assert!(
        agent.log().contains("cannot obtain AWS credentials"),
        "{}",
        agent.log()
    );
    agent.stop();

    // The right external id, with the agent's key in a shared credentials file under a profile.
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!("[loglift]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    let out = dir.path().join("events.ndjson");
    let extra = format!(
        "  credential_profile_name: loglift\n  shared_credential_file: {}\n  role_arn: {}\n  external_id: ext-7f3a\n",
        credentials.display(),
        world.role_arn
    );
    let agent = Agent::start(
        &dir.path().join("right"),
        &config(&moto.endpoint, &world.queue_url, &out, &extra),
    );
    let key_name = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/flows.log";
    world
        .s3
        .put_object()
        .bucket("logs")
        .key(key_name)
        .body(ByteStream::from(vpcflow_lines(0, 25).into_bytes()))
        .send()
        .await
        .unwrap();
    let paths = [out.clone()];
    wait_until(
        Duration::from_secs(60),
        "events read through the assumed role",
        || count_lines(&paths) >= 25,
    )
    .await;
    assert_eq!(Events::read(&paths).len(), 25, "log:\n{}", agent.log());
    assert!(
        count_lines(&[wrong_id]) == 0,
        "nothing was read with wrong credentials"
    );
}
