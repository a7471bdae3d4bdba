//! `loglift check`: validates the configuration, then tests for real what
//! every input and output will need, and prints one verdict per check.
//!
//! Each input gets its credentials resolved the way `loglift run` resolves
//! them (static keys, profile, default chain), its identity asked of STS, its
//! role assumed (with the external id) when one is configured, and then the
//! calls the input makes: `GetQueueAttributes` and a zero-wait receive with
//! visibility 0 on a queue (nothing is consumed), `ListObjectsV2` and
//! `HeadObject` on a bucket. A failure names the AWS error code and, when
//! the cause is a missing permission, the IAM action to grant
//! (`sqs:ReceiveMessage`, `s3:GetObject`, `sts:AssumeRole`).
//!
//! One function per kind of input, output and module ([`check_input`],
//! [`check_output`], [`check_module`]): a new kind adds its own function
//! there, writing its verdicts to the same [`Report`].
//!
//! Exit code: 0 when every check passed (warnings and skipped checks do not
//! fail), 1 when one failed, 2 when the configuration is invalid.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};

use crate::aws::{self, ErrorInfo};
use crate::cli::UsageError;
use crate::config::{
    AwsSettings, Config, ElasticsearchOutputConfig, FileOutputConfig, InputConfig, Module,
    ModuleFile, OutputConfig, S3PollInputConfig, SqsInputConfig,
};
use crate::dataset::Registry;
use crate::input::notification::{self, Notification};
use crate::output::elasticsearch::client::Client;

/// Longest wait for one AWS call (retries included).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Session name of the role assumed by `check`, as CloudTrail shows it.
const SESSION_NAME: &str = "loglift-check";

/// Runs `loglift check`.
pub fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let path = config.map_or_else(super::run::default_config_path, Path::to_path_buf);
    let config = Config::load(&path).map_err(|e| UsageError(e.to_string()))?;
    let modules = config
        .modules(&path)
        .map_err(|e| UsageError(e.to_string()))?;
    let registry =
        Registry::from_config(&config, &modules).map_err(|e| UsageError(e.to_string()))?;
    if config.inputs.is_empty() {
        return Err(UsageError(format!("{}: no inputs configured", path.display())).into());
    }
    if config.outputs.is_empty() {
        return Err(UsageError(format!("{}: no outputs configured", path.display())).into());
    }
    let mut report = Report::default();
    report.section(format_args!("configuration {}", path.display()));
    report.record(
        "valid",
        Outcome::Pass(format!(
            "{} input(s), {} output(s), {} module file(s), datasets enabled: {}",
            config.inputs.len(),
            config.outputs.len(),
            modules.len(),
            registry.names().join(", ")
        )),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        for input in &config.inputs {
            check_input(&mut report, input, &config.aws).await;
        }
        for output in &config.outputs {
            check_output(&mut report, output).await;
        }
        for module in modules.iter().filter(|m| m.enabled) {
            check_module(&mut report, module, &config.aws).await;
        }
        check_http(&mut report, &config.http.listen);
    });
    check_geoip(&mut report, &config.geoip.paths(&path));
    println!();
    println!("{}", report.summary());
    if report.failed > 0 {
        anyhow::bail!(
            "{} of {} checks failed",
            report.failed,
            report.passed + report.failed + report.warned + report.skipped
        );
    }
    Ok(())
}

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It works; what was seen.
    Pass(String),
    /// It does not; why, and what to do.
    Fail(String),
    /// It works, but something deserves attention.
    Warn(String),
    /// It was not tested, and why (never counted as passed).
    Skip(String),
}

/// The verdicts so far, printed as they come.
#[derive(Debug, Default)]
pub struct Report {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Checks that passed with a warning.
    pub warned: usize,
    /// Checks that were not run.
    pub skipped: usize,
}

impl Report {
    /// Starts the checks of one input, output or module.
    pub fn section(&mut self, title: impl std::fmt::Display) {
        println!("{title}");
    }

    /// Prints and counts one verdict.
    pub fn record(&mut self, check: &str, outcome: Outcome) {
        let (label, detail) = match &outcome {
            Outcome::Pass(d) => {
                self.passed += 1;
                ("PASS", d)
            }
            Outcome::Fail(d) => {
                self.failed += 1;
                ("FAIL", d)
            }
            Outcome::Warn(d) => {
                self.warned += 1;
                ("WARN", d)
            }
            Outcome::Skip(d) => {
                self.skipped += 1;
                ("SKIP", d)
            }
        };
        println!("  {label}  {check:<27} {detail}");
    }

    /// The last line: counts per verdict.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} passed, {} failed, {} warnings, {} skipped",
            if self.failed == 0 { "ok" } else { "FAILED" },
            self.passed,
            self.failed,
            self.warned,
            self.skipped
        )
    }
}

/// The checks of one input.
pub async fn check_input(report: &mut Report, input: &InputConfig, defaults: &AwsSettings) {
    match input {
        InputConfig::Sqs(c) => check_sqs(report, c, &c.aws.or(defaults)).await,
        InputConfig::S3Poll(c) => check_s3_poll(report, c, &c.aws.or(defaults)).await,
    }
}

/// The checks of one output.
pub async fn check_output(report: &mut Report, output: &OutputConfig) {
    match output {
        OutputConfig::Stdout {} => {
            report.section("output stdout");
            report.record("writable", Outcome::Pass("standard output".into()));
        }
        OutputConfig::File(c) => check_file_output(report, c),
        OutputConfig::Elasticsearch(c) => check_elasticsearch(report, c).await,
    }
}

/// Every host of an Elasticsearch output answers `GET /` with the
/// configured credentials (a 401 or 403 means they were refused).
async fn check_elasticsearch(report: &mut Report, config: &ElasticsearchOutputConfig) {
    report.section("output elasticsearch");
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            report.record("client", Outcome::Fail(e.to_string()));
            return;
        }
    };
    for _ in 0..client.hosts() {
        let outcome = match client.get("/").await {
            Ok(r) if r.status.is_success() => {
                Outcome::Pass(format!("{}: HTTP {}", r.host, r.status))
            }
            Ok(r) if r.status.as_u16() == 401 || r.status.as_u16() == 403 => Outcome::Fail(format!(
                "{}: HTTP {}: the credentials were refused: check username/password or api_key ({})",
                r.host,
                r.status,
                r.excerpt()
            )),
            Ok(r) => Outcome::Fail(format!("{}: HTTP {}: {}", r.host, r.status, r.excerpt())),
            Err(e) => Outcome::Fail(e.to_string()),
        };
        report.record("GET /", outcome);
    }
}

/// The checks of one enabled module file: for a metrics module, its
/// credentials and a `ListMetrics` call (one page) per region on its first
/// namespace, what every poll starts with.
pub async fn check_module(report: &mut Report, module: &ModuleFile, defaults: &AwsSettings) {
    let Module::Metrics { name, plan, .. } = &module.module else {
        // Log modules need nothing beyond their inputs' access.
        return;
    };
    report.section(format_args!(
        "module {} (metrics: {name})",
        module.path.display()
    ));
    let settings = plan.aws.or(defaults);
    let Some(sdk) = credentials(report, &settings).await else {
        skip_all(
            report,
            &["cloudwatch:ListMetrics"],
            "not run: no usable credentials (see above)",
        );
        return;
    };
    let regions = plan.regions_or_default(&sdk);
    let Some(namespace) = plan.namespaces.first().map(|n| n.namespace.as_str()) else {
        report.record(
            "cloudwatch:ListMetrics",
            Outcome::Skip("not run: the module names no namespace".into()),
        );
        return;
    };
    for region in regions {
        let client = aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&sdk)
                .region(aws_sdk_cloudwatch::config::Region::new(region.clone()))
                .build(),
        );
        let outcome = match call(client.list_metrics().namespace(namespace).send()).await {
            Ok(out) => Outcome::Pass(format!(
                "{region}: {} metrics in {namespace} on the first page",
                out.metrics().len()
            )),
            Err(info) => Outcome::Fail(explain(&info, "cloudwatch:ListMetrics", "*")),
        };
        report.record("cloudwatch:ListMetrics", outcome);
    }
}

/// Credentials as `loglift run` gets them: resolved, asked of STS, and the
/// role assumed when configured. `None` when the input cannot get any (the
/// failure is reported).
async fn credentials(report: &mut Report, settings: &AwsSettings) -> Option<SdkConfig> {
    use aws_credential_types::provider::ProvideCredentials;
    let source = aws::credential_source(settings);
    let base = aws::base_sdk_config(settings).await;
    let Some(provider) = base.credentials_provider() else {
        report.record(
            "credentials",
            Outcome::Fail(format!("no credentials provider for {source}")),
        );
        return None;
    };
    match tokio::time::timeout(CALL_TIMEOUT, provider.provide_credentials()).await {
        Ok(Ok(_)) => report.record("credentials", Outcome::Pass(source)),
        Ok(Err(e)) => {
            report.record(
                "credentials",
                Outcome::Fail(format!(
                    "cannot obtain credentials ({source}): {}",
                    aws::with_causes(&e)
                )),
            );
            return None;
        }
        Err(_) => {
            report.record(
                "credentials",
                Outcome::Fail(format!(
                    "no credentials ({source}) within {}s",
                    CALL_TIMEOUT.as_secs()
                )),
            );
            return None;
        }
    }
    let sts = aws_sdk_sts::Client::new(&base);
    let caller = match call(sts.get_caller_identity().send()).await {
        Ok(out) => {
            let arn = out.arn().unwrap_or("(no arn)").to_string();
            report.record("sts:GetCallerIdentity", Outcome::Pass(arn.clone()));
            Some(arn)
        }
        Err(info) if is_refused_credentials(&info) => {
            report.record(
                "sts:GetCallerIdentity",
                Outcome::Fail(format!(
                    "{}: the credentials were refused: check the access key, secret, session token or profile",
                    head(&info)
                )),
            );
            return None;
        }
        Err(info) if settings.endpoint.is_some() => {
            // MinIO-style stores have no STS; the calls below test the credentials.
            report.record(
                "sts:GetCallerIdentity",
                Outcome::Skip(format!(
                    "the endpoint does not answer it ({}); the calls below test the credentials",
                    head(&info)
                )),
            );
            None
        }
        Err(info) => {
            report.record(
                "sts:GetCallerIdentity",
                Outcome::Fail(explain(&info, "sts:GetCallerIdentity", "STS")),
            );
            return None;
        }
    };
    let Some(role_arn) = &settings.role_arn else {
        return Some(base);
    };
    let mut assume = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(SESSION_NAME);
    if let Some(id) = &settings.external_id {
        assume = assume.external_id(id);
    }
    match call(assume.send()).await {
        Ok(out) => {
            let user = out
                .assumed_role_user()
                .map_or(role_arn.as_str(), |u| u.arn());
            let with_id = if settings.external_id.is_some() {
                " with the external id"
            } else {
                ""
            };
            report.record(
                "sts:AssumeRole",
                Outcome::Pass(format!("{role_arn}{with_id}: {user}")),
            );
        }
        Err(info) => {
            let who = caller.as_deref().unwrap_or("these credentials");
            let condition = if settings.external_id.is_some() {
                " with the condition sts:ExternalId equal to `external_id`"
            } else {
                " (no `external_id` is configured: if the trust policy has an sts:ExternalId condition, set it)"
            };
            let why = if is_access_denied(&info) {
                format!(
                    "{}: missing permission sts:AssumeRole: {who} needs sts:AssumeRole on {role_arn} in its policy, and the role's trust policy must allow it{condition}",
                    head(&info)
                )
            } else {
                explain(&info, "sts:AssumeRole", role_arn)
            };
            report.record("sts:AssumeRole", Outcome::Fail(why));
            return None;
        }
    }
    // The calls below use the role exactly as `loglift run` does.
    Some(aws::sdk_config(settings).await)
}

async fn check_sqs(report: &mut Report, c: &SqsInputConfig, settings: &AwsSettings) {
    report.section(format_args!("input sqs {}", c.queue_url));
    let calls = [
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "s3:GetObject",
    ];
    let Some(sdk) = credentials(report, settings).await else {
        skip_all(report, &calls, "not run: no usable credentials (see above)");
        return;
    };
    let sqs = aws::sqs_client(&sdk);
    let mut arn = queue_arn(&c.queue_url, settings.region.as_deref());
    let attributes = call(
        sqs.get_queue_attributes()
            .queue_url(&c.queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send(),
    )
    .await;
    match attributes {
        Ok(out) => {
            let attrs = out.attributes.unwrap_or_default();
            let get = |k: QueueAttributeName| attrs.get(&k).cloned().unwrap_or_default();
            if let Some(a) = attrs.get(&QueueAttributeName::QueueArn) {
                arn = a.clone();
            }
            let detail = format!(
                "{arn}: {} visible, {} in flight",
                get(QueueAttributeName::ApproximateNumberOfMessages),
                get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            );
            let redrive = get(QueueAttributeName::RedrivePolicy);
            if redrive.is_empty() {
                report.record(
                    "sqs:GetQueueAttributes",
                    Outcome::Warn(format!(
                        "{detail}; no redrive policy: a message that keeps failing is retried forever (give the queue a dead-letter queue)"
                    )),
                );
            } else {
                report.record(
                    "sqs:GetQueueAttributes",
                    Outcome::Pass(format!("{detail}; dead-letter queue configured")),
                );
            }
        }
        Err(info) => {
            let missing = is_missing_queue(&info);
            report.record(
                "sqs:GetQueueAttributes",
                Outcome::Fail(explain(&info, "sqs:GetQueueAttributes", &arn)),
            );
            if missing {
                skip_all(report, &calls[1..], "not run: the queue does not exist");
                return;
            }
        }
    }
    // Visibility 0: a message received stays visible to the agents (its
    // receive count grows by one); at most one message is touched.
    let received = call(
        sqs.receive_message()
            .queue_url(&c.queue_url)
            .max_number_of_messages(1)
            .wait_time_seconds(0)
            .visibility_timeout(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send(),
    )
    .await;
    let message = match received {
        Ok(out) => {
            let message = out.messages.unwrap_or_default().into_iter().next();
            let detail = if message.is_some() {
                "one message received and left visible (visibility 0)"
            } else {
                "the queue is empty"
            };
            report.record("sqs:ReceiveMessage", Outcome::Pass(detail.into()));
            message
        }
        Err(info) => {
            report.record(
                "sqs:ReceiveMessage",
                Outcome::Fail(explain(&info, "sqs:ReceiveMessage", &arn)),
            );
            skip_all(report, &calls[2..], "not run: nothing was received");
            return;
        }
    };
    let Some(message) = message else {
        skip_all(
            report,
            &calls[2..],
            "not tested: the queue is empty (it needs a message)",
        );
        return;
    };
    if let Some(receipt) = message.receipt_handle() {
        let reset = call(
            sqs.change_message_visibility()
                .queue_url(&c.queue_url)
                .receipt_handle(receipt)
                .visibility_timeout(0)
                .send(),
        )
        .await;
        report.record(
            "sqs:ChangeMessageVisibility",
            match reset {
                Ok(_) => Outcome::Pass("visibility of the received message set to 0".into()),
                Err(info) => Outcome::Fail(explain(&info, "sqs:ChangeMessageVisibility", &arn)),
            },
        );
    }
    let s3 = aws::s3_client(&sdk, settings);
    match notification::parse(message.body().unwrap_or_default()) {
        Ok(Notification::Objects { objects, .. }) if !objects.is_empty() => {
            let object = &objects[0];
            let outcome = head_object(&s3, &object.bucket, &object.key).await;
            report.record("s3:GetObject", outcome);
        }
        Ok(_) => report.record(
            "s3:GetObject",
            Outcome::Skip("not tested: the message received names no object (s3:TestEvent?)".into()),
        ),
        Err(e) => report.record(
            "s3:GetObject",
            Outcome::Warn(format!(
                "not tested: the message received is not an S3 notification ({e}); the agent leaves such messages for the dead-letter queue"
            )),
        ),
    }
}

async fn check_s3_poll(report: &mut Report, c: &S3PollInputConfig, settings: &AwsSettings) {
    report.section(format_args!("input s3_poll s3://{}/{}", c.bucket, c.prefix));
    check_state_dir(report, &c.state_dir);
    let calls = ["s3:ListBucket", "s3:GetObject"];
    let Some(sdk) = credentials(report, settings).await else {
        skip_all(report, &calls, "not run: no usable credentials (see above)");
        return;
    };
    let s3 = aws::s3_client(&sdk, settings);
    let mut list = s3.list_objects_v2().bucket(&c.bucket).max_keys(1);
    if !c.prefix.is_empty() {
        list = list.prefix(&c.prefix);
    }
    let first = match call(list.send()).await {
        Ok(out) => {
            let first = out
                .contents()
                .first()
                .and_then(|o| o.key())
                .map(str::to_string);
            let detail = match &first {
                Some(key) => format!(
                    "ListObjectsV2 s3://{}/{}: first key {key}",
                    c.bucket, c.prefix
                ),
                None => format!(
                    "ListObjectsV2 s3://{}/{}: no objects yet",
                    c.bucket, c.prefix
                ),
            };
            report.record("s3:ListBucket", Outcome::Pass(detail));
            first
        }
        Err(info) => {
            let resource = format!("arn:aws:s3:::{}", c.bucket);
            report.record(
                "s3:ListBucket",
                Outcome::Fail(explain(&info, "s3:ListBucket", &resource)),
            );
            report.record(
                "s3:GetObject",
                Outcome::Skip("not run: the listing failed".into()),
            );
            return;
        }
    };
    match first {
        Some(key) => {
            let outcome = head_object(&s3, &c.bucket, &key).await;
            report.record("s3:GetObject", outcome);
        }
        None => report.record(
            "s3:GetObject",
            Outcome::Skip("not tested: no object under the prefix".into()),
        ),
    }
}

/// `HeadObject`, which needs `s3:GetObject` (what reading the object needs);
/// for an SSE-KMS object (GuardDuty exports are), a one-byte `GetObject`
/// too, which also needs `kms:Decrypt` on the object's key.
async fn head_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Outcome {
    let head = match call(s3.head_object().bucket(bucket).key(key).send()).await {
        Ok(out) => out,
        Err(info) => {
            return Outcome::Fail(format!(
                "HeadObject s3://{bucket}/{key}: {}",
                explain(
                    &info,
                    "s3:GetObject",
                    &format!("arn:aws:s3:::{bucket}/{key}")
                )
            ))
        }
    };
    let seen = format!(
        "HeadObject s3://{bucket}/{key}: {} bytes",
        head.content_length().unwrap_or(0)
    );
    let kms_key = match head.server_side_encryption() {
        Some(sse) if sse.as_str().starts_with("aws:kms") => head
            .ssekms_key_id()
            .unwrap_or("the bucket's KMS key")
            .to_string(),
        _ => return Outcome::Pass(seen),
    };
    let get = s3.get_object().bucket(bucket).key(key).range("bytes=0-0");
    match call(get.send()).await {
        Ok(_) => Outcome::Pass(format!("{seen}, SSE-KMS, decrypted with {kms_key}")),
        Err(info) => Outcome::Fail(format!(
            "GetObject s3://{bucket}/{key} (SSE-KMS): {}",
            explain_kms(&info, &kms_key)
        )),
    }
}

/// Why reading an SSE-KMS object failed: access denied there is nearly
/// always the reader's missing `kms:Decrypt` on the object's key.
fn explain_kms(info: &ErrorInfo, kms_key: &str) -> String {
    if is_access_denied(info) || info.code.as_deref().is_some_and(|c| c.starts_with("KMS.")) {
        format!(
            "{}: missing permission kms:Decrypt on {kms_key} (the object is SSE-KMS encrypted; \
             the key policy must also allow the reader's role)",
            head(info)
        )
    } else {
        explain(info, "s3:GetObject", "the object")
    }
}

fn check_file_output(report: &mut Report, c: &FileOutputConfig) {
    report.section(format_args!("output file {}", c.path.display()));
    let dir = c
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let outcome = match writable_dir(dir) {
        Err(e) => Outcome::Fail(e),
        Ok(detail) if c.path.exists() => {
            match std::fs::OpenOptions::new().append(true).open(&c.path) {
                Ok(_) => {
                    Outcome::Pass(format!("{detail}; the file exists and opens for appending"))
                }
                Err(e) => Outcome::Fail(format!(
                    "{} exists but cannot be opened for appending: {e}",
                    c.path.display()
                )),
            }
        }
        Ok(detail) => Outcome::Pass(detail),
    };
    report.record("writable", outcome);
}

/// Databases older than this get a warning: MaxMind publishes weekly.
const GEOIP_STALE: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// Opens each GeoIP database: its kind and build date, a warning when it is
/// older than 30 days (the updater may have stopped).
fn check_geoip(report: &mut Report, paths: &[std::path::PathBuf]) {
    for path in paths {
        report.section(format_args!("geoip database {}", path.display()));
        let outcome = match crate::geoip::Loaded::open(path) {
            Err(e) => Outcome::Fail(e.to_string()),
            Ok(db) => {
                let what = format!(
                    "{} ({} database), built {}",
                    db.database_type(),
                    db.kind(),
                    db.build_date()
                );
                let age = std::time::SystemTime::now()
                    .duration_since(db.build_time())
                    .unwrap_or_default();
                if age > GEOIP_STALE {
                    Outcome::Warn(format!(
                        "{what}: {} days old; is geoipupdate (or your updater) still running?",
                        age.as_secs() / 86_400
                    ))
                } else {
                    Outcome::Pass(what)
                }
            }
        };
        report.record("opens", outcome);
    }
}

fn check_state_dir(report: &mut Report, dir: &Path) {
    report.record(
        "state_dir writable",
        match writable_dir(dir) {
            Ok(detail) => Outcome::Pass(detail),
            Err(e) => Outcome::Fail(format!(
                "{e} (the agent's user needs write access; the systemd unit's StateDirectory is /var/lib/loglift)"
            )),
        },
    );
}

/// Whether files can be created in `dir`, or in its nearest existing
/// ancestor when it does not exist yet (the agent creates it). Creates and
/// removes a probe file.
fn writable_dir(dir: &Path) -> Result<String, String> {
    let mut existing: PathBuf = dir.to_path_buf();
    while !existing.exists() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p.to_path_buf(),
            _ => {
                existing = PathBuf::from(".");
                break;
            }
        }
    }
    if !existing.is_dir() {
        return Err(format!("{} is not a directory", existing.display()));
    }
    let probe = existing.join(format!(".loglift-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            if existing == dir {
                Ok(format!("{} is writable", dir.display()))
            } else {
                Ok(format!(
                    "{} does not exist; it will be created in {}, which is writable",
                    dir.display(),
                    existing.display()
                ))
            }
        }
        Err(e) => Err(format!(
            "cannot create files in {}: {e}",
            existing.display()
        )),
    }
}

fn check_http(report: &mut Report, listen: &str) {
    report.section(format_args!("http {listen}"));
    let outcome = match std::net::TcpListener::bind(listen) {
        Ok(_) => Outcome::Pass("the address can be bound".into()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Outcome::Warn(format!(
            "{listen} is in use (by a running agent?); `loglift run` would fail to start next to it"
        )),
        Err(e) => Outcome::Fail(format!("cannot listen on {listen}: {e}")),
    };
    report.record("listen", outcome);
}

fn skip_all(report: &mut Report, checks: &[&str], why: &str) {
    for check in checks {
        report.record(check, Outcome::Skip(why.into()));
    }
}

/// Runs one AWS call with a time limit, as [`ErrorInfo`] on failure.
async fn call<T, E>(
    request: impl Future<
        Output = Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
    >,
) -> Result<T, ErrorInfo>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match tokio::time::timeout(CALL_TIMEOUT, request).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(aws::error_info(&e)),
        Err(_) => Err(ErrorInfo {
            code: None,
            message: format!("no answer within {}s", CALL_TIMEOUT.as_secs()),
            status: None,
        }),
    }
}

/// `Code: message`; when the response had no code (S3's HEAD responses
/// have no body), the one its status stands for: `AccessDenied (HTTP 403)`.
fn head(info: &ErrorInfo) -> String {
    let message = match info.message.as_str() {
        "" | "(no message)" => None,
        m => Some(m),
    };
    let code = match (&info.code, info.status) {
        (Some(code), _) => code.clone(),
        (None, Some(403)) => "AccessDenied (HTTP 403)".to_string(),
        (None, Some(404)) => "NotFound (HTTP 404)".to_string(),
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => return info.message.clone(),
    };
    match message {
        Some(m) => format!("{code}: {m}"),
        None => code,
    }
}

fn is_access_denied(info: &ErrorInfo) -> bool {
    matches!(
        info.code.as_deref(),
        Some(
            "AccessDenied"
                | "AccessDeniedException"
                | "AuthorizationError"
                | "Forbidden"
                | "UnauthorizedOperation"
                | "KMS.AccessDeniedException"
        )
    ) || (info.code.is_none() && info.status == Some(403))
}

fn is_refused_credentials(info: &ErrorInfo) -> bool {
    matches!(
        info.code.as_deref(),
        Some(
            "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "InvalidAccessKeyId"
                | "UnrecognizedClientException"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidToken"
                | "AuthFailure"
                | "InvalidSecurity"
        )
    )
}

fn is_missing_queue(info: &ErrorInfo) -> bool {
    matches!(
        info.code.as_deref(),
        Some("AWS.SimpleQueueService.NonExistentQueue" | "QueueDoesNotExist")
    )
}

/// One failure of an AWS call, with what to do about it: the missing
/// `permission` on `resource`, a resource that does not exist, refused
/// credentials, or an endpoint that cannot be reached.
fn explain(info: &ErrorInfo, permission: &str, resource: &str) -> String {
    let head = head(info);
    if is_access_denied(info) {
        return format!("{head}: missing permission {permission} on {resource}");
    }
    if is_refused_credentials(info) {
        return format!(
            "{head}: the credentials were refused: check the access key, secret, session token or profile"
        );
    }
    if is_missing_queue(info) {
        return format!(
            "{head}: the queue does not exist: check queue_url (account, region and name)"
        );
    }
    match info.code.as_deref() {
        Some("NoSuchBucket") => {
            format!("{head}: the bucket does not exist: check `bucket` (and the region)")
        }
        Some("PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException") => {
            format!("{head}: the bucket is in another region: set `region` to the bucket's")
        }
        Some(_) => head,
        None if info.status == Some(404) => {
            format!("{head}: not found (the object was deleted since it was listed or announced?)")
        }
        None if info.status.is_some() => head,
        None => format!(
            "{head}: no answer from AWS: check `endpoint`, `region` and the network (proxy, VPC endpoint)"
        ),
    }
}

/// `arn:aws:sqs:<region>:<account>:<name>` of a queue URL, for messages
/// (the queue URL itself when it has another shape).
fn queue_arn(url: &str, region: Option<&str>) -> String {
    let mut parts = url.trim_end_matches('/').rsplit('/');
    let (Some(name), Some(account)) = (parts.next(), parts.next()) else {
        return url.to_string();
    };
    if !account.chars().all(|c| c.is_ascii_digit()) || account.is_empty() {
        return url.to_string();
    }
    let region = region
        .map(str::to_string)
        .or_else(|| {
            url.split("://")
                .nth(1)
                .and_then(|h| h.strip_prefix("sqs."))
                .and_then(|h| h.split('.').next())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "*".into());
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(code: Option<&str>, status: Option<u16>) -> ErrorInfo {
        ErrorInfo {
            code: code.map(str::to_string),
            message: "m".into(),
            status,
        }
    }

    #[test]
    fn access_denied_names_the_missing_permission_and_resource() {
        let why = explain(
            &info(Some("AccessDenied"), Some(403)),
            "sqs:ReceiveMessage",
            "arn:aws:sqs:us-east-1:1:q",
        );
        assert_eq!(
            why,
            "AccessDenied: m: missing permission sqs:ReceiveMessage on arn:aws:sqs:us-east-1:1:q"
        );
        // HEAD responses have no body: a bare 403 is a denial too.
        let bare = ErrorInfo {
            code: None,
            message: "(no message)".into(),
            status: Some(403),
        };
        assert_eq!(
            explain(&bare, "s3:GetObject", "arn:aws:s3:::b/k"),
            "AccessDenied (HTTP 403): missing permission s3:GetObject on arn:aws:s3:::b/k"
        );
    }

    #[test]
    fn access_denied_on_an_sse_kms_object_names_kms_decrypt() {
        let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd";
        let denied = explain_kms(&info(Some("AccessDenied"), Some(403)), key);
        assert!(
            denied.contains(
                "missing permission kms:Decrypt on arn:aws:kms:us-east-1:111122223333:key/1234abcd"
            ),
            "{denied}"
        );
        let kms = explain_kms(&info(Some("KMS.DisabledException"), Some(400)), key);
        assert!(kms.contains("kms:Decrypt"), "{kms}");
        let other = explain_kms(&info(None, Some(404)), key);
        assert!(!other.contains("kms:Decrypt"), "{other}");
    }

    #[test]
    fn missing_queue_bucket_and_unreachable_endpoint_are_told_apart() {
        assert!(explain(
            &info(Some("AWS.SimpleQueueService.NonExistentQueue"), Some(400)),
            "sqs:GetQueueAttributes",
            "q"
        )
        .contains("the queue does not exist"));
        assert!(
            explain(&info(Some("NoSuchBucket"), Some(404)), "s3:ListBucket", "b")
                .contains("the bucket does not exist")
        );
        assert!(explain(&info(None, None), "s3:ListBucket", "b").contains("no answer from AWS"));
    }

    #[test]
    fn queue_arn_comes_from_the_url() {
        assert_eq!(
            queue_arn(
                "https://sqs.eu-west-1.amazonaws.com/123456789012/logs",
                None
            ),
            "arn:aws:sqs:eu-west-1:123456789012:logs"
        );
        assert_eq!(
            queue_arn("http://127.0.0.1:5000/123456789012/logs", Some("us-east-1")),
            "arn:aws:sqs:us-east-1:123456789012:logs"
        );
        assert_eq!(queue_arn("not-a-url", None), "not-a-url");
    }

    #[test]
    fn writable_dir_reports_a_directory_to_be_created() {
        let dir = tempfile::tempdir().unwrap();
        let ok = writable_dir(&dir.path().join("a/b")).unwrap();
        assert!(ok.contains("will be created"), "{ok}");
        assert!(writable_dir(dir.path()).unwrap().ends_with("is writable"));
    }
}
