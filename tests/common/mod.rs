//! Shared end-to-end test harness: a real moto server on a free loopback
//! port, AWS clients pointed at it, and the real `loglift` binary run as a
//! child process against it.
//!
//! moto is installed into a project-local venv by `scripts/setup-emulators.sh`
//! (the test command runs it); a test fails, never skips, when it is missing.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;

pub mod bulk;
pub mod iam;

/// Credentials moto accepts.
pub const KEY_ID: &str = "testing";
/// Secret of [`KEY_ID`].
pub const SECRET: &str = "testing";
/// Region of every test resource.
pub const REGION: &str = "us-east-1";

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The emulator virtualenv.
pub fn venv() -> PathBuf {
    std::env::var_os("LOGLIFT_EMULATOR_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-emulators"))
}

/// A running moto server, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl Moto {
    /// Starts moto; `env` adds environment variables (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`).
    pub fn start(env: &[(&str, &str)]) -> Moto {
        let bin = venv().join("bin/moto_server");
        assert!(
            bin.exists(),
            "{} is missing: run scripts/setup-emulators.sh (the test command does)",
            bin.display()
        );
        let port = free_port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_for_port(port, &endpoint);
        Moto { child, endpoint }
    }

    /// SDK configuration for this server with the test credentials.
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        self.sdk_as(KEY_ID, SECRET).await
    }

    /// SDK configuration for this server with the given access key.
    pub async fn sdk_as(&self, key_id: &str, secret: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_credential_types::Credentials::new(
                key_id, secret, None, None, "test",
            ))
            .load()
            .await
    }

    /// Test clients.
    pub async fn clients(&self) -> Clients {
        let sdk = self.sdk().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        Clients {
            s3,
            sqs: aws_sdk_sqs::Client::new(&sdk),
            endpoint: self.endpoint.clone(),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// ministack's virtualenv (a venv of its own: it pins its own botocore).
pub fn ministack_venv() -> PathBuf {
    std::env::var_os("LOGLIFT_MINISTACK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-ministack"))
}

/// Access key of the CloudWatch tests: ministack takes a 12-digit access
/// key as the account id.
pub const MINISTACK_ACCOUNT: &str = "123456789012";

/// A running ministack server (CloudWatch over Smithy RPC v2 CBOR, EC2, SQS,
/// STS, tagging), killed on drop.
pub struct Ministack {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// Its port.
    pub port: u16,
}

impl Ministack {
    /// Starts ministack on a free port and waits for `/_ministack/health`.
    pub fn start() -> Ministack {
        let bin = ministack_venv().join("bin/ministack");
        assert!(
            bin.exists(),
            "{} is missing: run scripts/setup-emulators.sh (the test command does)",
            bin.display()
        );
        let port = free_port();
        let child = Command::new(&bin)
            .env("BIND_HOST", "127.0.0.1")
            .env("GATEWAY_PORT", port.to_string())
            .env("MINISTACK_REGION", REGION)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ministack");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !http_get(port, "/_ministack/health").contains("services") {
            assert!(
                Instant::now() < deadline,
                "ministack did not become ready on {endpoint}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Ministack {
            child,
            endpoint,
            port,
        }
    }

    /// SDK configuration for this server (account [`MINISTACK_ACCOUNT`]).
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_credential_types::Credentials::new(
                MINISTACK_ACCOUNT,
                SECRET,
                None,
                None,
                "test",
            ))
            .load()
            .await
    }
}

impl Drop for Ministack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tools directory where `scripts/setup-emulators.sh` installs `s3s-fs`.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LOGLIFT_TOOLS") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").expect("HOME is set");
    Path::new(&home).join(".cache/loglift/tools")
}

/// A running `s3s-fs`: a second, independent S3 implementation (MinIO-style,
/// objects as files under a directory) with real SigV4 checking, killed on drop.
pub struct S3sFs {
    child: Child,
    _root: tempfile::TempDir,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl S3sFs {
    /// Access key the server accepts.
    pub const ACCESS_KEY: &'static str = "loglift-access";
    /// Secret of [`S3sFs::ACCESS_KEY`].
    pub const SECRET_KEY: &'static str = "loglift-secret-key";

    /// Starts `s3s-fs` on a free port over an empty directory.
    pub fn start() -> S3sFs {
        let bin = tools_dir().join("bin/s3s-fs");
        assert!(
            bin.exists(),
            "{} is missing: run scripts/setup-emulators.sh (the test command does)",
            bin.display()
        );
        let root = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                Self::ACCESS_KEY,
                "--secret-key",
                Self::SECRET_KEY,
            ])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        let endpoint = format!("http://127.0.0.1:{port}");
        wait_for_port(port, &endpoint);
        S3sFs {
            child,
            _root: root,
            endpoint,
        }
    }

    /// An S3 client for this server (path-style, its credentials).
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_credential_types::Credentials::new(
                Self::ACCESS_KEY,
                Self::SECRET_KEY,
                None,
                None,
                "test",
            ))
            .load()
            .await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        )
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until something listens on `port` (30 s at most).
fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// AWS clients of a test.
#[derive(Clone)]
pub struct Clients {
    /// S3.
    pub s3: aws_sdk_s3::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// Endpoint they talk to.
    pub endpoint: String,
}

/// A queue (and its dead-letter queue) that a bucket notifies.
pub struct Queue {
    /// Queue URL.
    pub url: String,
    /// Dead-letter queue URL.
    pub dlq_url: String,
}

impl Clients {
    /// Creates `bucket`, a queue with a DLQ after `max_receive` receives, and
    /// S3→SQS notifications for created (and removed) objects. Drains the
    /// `s3:TestEvent` unless `keep_test_event`.
    pub async fn bucket_with_queue(
        &self,
        bucket: &str,
        max_receive: u32,
        keep_test_event: bool,
    ) -> Queue {
        let dlq_url = self
            .sqs
            .create_queue()
            .queue_name(format!("{bucket}-dlq"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let dlq_arn = self.queue_arn(&dlq_url).await;
        let redrive =
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_receive}"}}"#);
        let url = self
            .sqs
            .create_queue()
            .queue_name(format!("{bucket}-queue"))
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                redrive,
            )
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let arn = self.queue_arn(&url).await;
        self.s3.create_bucket().bucket(bucket).send().await.unwrap();
        let config = aws_sdk_s3::types::NotificationConfiguration::builder()
            .queue_configurations(
                aws_sdk_s3::types::QueueConfiguration::builder()
                    .queue_arn(arn)
                    .events(aws_sdk_s3::types::Event::S3ObjectCreated)
                    .events(aws_sdk_s3::types::Event::S3ObjectRemoved)
                    .build()
                    .unwrap(),
            )
            .build();
        self.s3
            .put_bucket_notification_configuration()
            .bucket(bucket)
            .notification_configuration(config)
            .send()
            .await
            .unwrap();
        if !keep_test_event {
            self.drain(&url).await;
        }
        Queue { url, dlq_url }
    }

    async fn queue_arn(&self, url: &str) -> String {
        let attrs = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap();
        attrs.attributes.unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone()
    }

    /// Deletes every message currently visible.
    pub async fn drain(&self, url: &str) {
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return;
            }
            for m in messages {
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle.unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }

    /// Messages in the queue: (visible, in flight).
    pub async fn depth(&self, url: &str) -> (u64, u64) {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap();
        let attrs = out.attributes.unwrap_or_default();
        let n = |k: &A| attrs.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
        (
            n(&A::ApproximateNumberOfMessages),
            n(&A::ApproximateNumberOfMessagesNotVisible),
        )
    }

    /// Uploads `body` as `bucket/key`.
    pub async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
    }
}

/// gzip of `text`.
pub fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

/// A running agent, killed on drop.
pub struct Agent {
    /// The process.
    pub child: Child,
    /// Its working directory (config, output, log).
    pub dir: PathBuf,
    /// Port of its HTTP server.
    pub http_port: u16,
}

impl Agent {
    /// Starts `loglift run` with `config` (YAML; `{http}` is replaced by a free listen address).
    pub fn start(dir: &Path, config: &str) -> Agent {
        Agent::start_with(dir, config, Stdio::null())
    }

    /// As [`Agent::start`], with the agent's stdout going to `stdout`.
    pub fn start_with(dir: &Path, config: &str, stdout: Stdio) -> Agent {
        std::fs::create_dir_all(dir).unwrap();
        let http_port = free_port();
        let config = config.replace("{http}", &format!("127.0.0.1:{http_port}"));
        let path = dir.join("loglift.yml");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("agent.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_loglift"))
            .args(["run", "--config"])
            .arg(&path)
            .env("LOGLIFT_LOG", "info")
            .stdout(stdout)
            .stderr(log)
            .spawn()
            .expect("start loglift");
        Agent {
            child,
            dir: dir.to_path_buf(),
            http_port,
        }
    }

    /// The agent's `/metrics` text.
    pub fn metrics(&self) -> String {
        http_get(self.http_port, "/metrics")
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "agent did not stop after SIGTERM; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the agent with SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The agent's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("agent.log")).unwrap_or_default()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A minimal HTTP GET on loopback (the test needs no HTTP client crate).
pub fn http_get(port: u16, path: &str) -> String {
    use std::io::Read;
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// Value of an un-labelled (or fully labelled) sample in Prometheus text.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(name, _)| *name == series)
        .filter_map(|(_, v)| v.parse::<f64>().ok())
        .sum()
}

/// Events read from NDJSON files.
#[derive(Debug, Default)]
pub struct Events {
    /// Each event's (object key, offset, id).
    pub all: Vec<(String, u64, String)>,
    /// Events per dataset.
    pub per_dataset: BTreeMap<String, usize>,
}

impl Events {
    /// Reads every event of the NDJSON files `paths`.
    pub fn read(paths: &[PathBuf]) -> Events {
        let mut events = Events::default();
        for path in paths {
            let Ok(file) = std::fs::File::open(path) else {
                continue;
            };
            for line in std::io::BufReader::new(file).lines() {
                let line = line.unwrap();
                if line.is_empty() {
                    continue;
                }
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                let key = v["aws"]["s3"]["object"]["key"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let offset = v["log"]["offset"].as_u64().unwrap_or(u64::MAX);
                let id = v["@metadata"]["_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                *events
                    .per_dataset
                    .entry(
                        v["event"]["dataset"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    )
                    .or_default() += 1;
                events.all.push((key, offset, id));
            }
        }
        events
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.all.len()
    }

    /// Ids that occur more than once.
    pub fn duplicate_ids(&self) -> Vec<&str> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (_, _, id) in &self.all {
            *seen.entry(id).or_default() += 1;
        }
        seen.into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(id, _)| id)
            .collect()
    }
}

/// Counts lines of the NDJSON files `paths` (fast, for progress polling).
pub fn count_lines(paths: &[PathBuf]) -> usize {
    paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| b.iter().filter(|c| **c == b'\n').count())
        .sum()
}

/// Waits until `check` holds, or fails with `what` after `timeout`.
pub async fn wait_until<F: FnMut() -> bool>(timeout: Duration, what: &str, mut check: F) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Config for an agent on `queue_url` writing to `out`.
pub fn sqs_config(endpoint: &str, queue_url: &str, out: &Path, extra_input: &str) -> String {
    format!(
        "aws:\n  region: {REGION}\n  endpoint: {endpoint}\n  force_path_style: true\n  access_key_id: {KEY_ID}\n  secret_access_key: {SECRET}\ninputs:\n  - type: sqs\n    queue_url: {queue_url}\n    wait_time: 1s\n{extra_input}outputs:\n  - type: file\n    path: {}\n    rotate_bytes: 100000000000\nhttp:\n  listen: {{http}}\n",
        out.display()
    )
}

/// `n` default-format (v2) VPC flow log lines, numbered from `start`.
pub fn vpcflow_lines(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| {
            format!(
                "2 123456789010 eni-{:017x} 10.0.{}.{} 172.31.{}.{} {} 443 6 {} {} {} {} ACCEPT OK\n",
                i,
                i % 256,
                i % 250 + 1,
                (i / 7) % 256,
                i % 200 + 1,
                1024 + i % 60000,
                i % 100 + 1,
                i * 7 % 100_000 + 40,
                1_700_000_000 + i / 100,
                1_700_000_060 + i / 100
            )
        })
        .collect()
}

/// `n` ALB access log lines.
pub fn alb_lines(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| {
            format!(
                "https 2024-03-05T10:{:02}:{:02}.{:06}Z app/shop/50dc6c495c0c9188 192.168.{}.{}:{} 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET https://shop.example.com:443/item/{} HTTP/1.1\" \"curl/8.5.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"shop.example.com\" \"arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012\" 0 2024-03-05T10:00:00.000000Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\"\n",
                (i / 60) % 60,
                i % 60,
                i % 1_000_000,
                i % 256,
                i % 250 + 1,
                1024 + i % 60000,
                i
            )
        })
        .collect()
}

/// `n` S3 server access log lines.
pub fn s3access_lines(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| {
            format!(
                "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.{} 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.OBJECT photos/{}.jpg \"GET /awsexamplebucket1/photos/{}.jpg HTTP/1.1\" 200 - 113 113 7 6 \"-\" \"S3Console/0.4\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 - -\n",
                i % 250 + 1,
                i,
                i
            )
        })
        .collect()
}

/// A CloudTrail `{"Records":[…]}` document with `n` records.
pub fn cloudtrail_document(start: usize, n: usize) -> String {
    let records: Vec<String> = (start..start + n)
        .map(|i| {
            format!(
                r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","userName":"alice"}},"eventTime":"2024-04-02T09:00:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.{}","userAgent":"aws-cli/2.15.0","requestParameters":{{"bucketName":"b","key":"k{}"}},"responseElements":null,"requestID":"R{}","eventID":"e-{}","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012"}}"#,
                i % 60,
                i % 250 + 1,
                i,
                i,
                i
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

/// Serializes the end-to-end tests of one test binary: they measure time
/// (heartbeats, throughput) and share two cores.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// Blocks on a small future from a synchronous closure (the wait helpers poll closures).
pub fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}
