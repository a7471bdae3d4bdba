//! Configuration: one typed tree, documented in place (DESIGN §6).
//!
//! The file is YAML with `${ENV_VAR}` (and `${ENV_VAR:-default}`)
//! substitution. Unknown keys are errors, so a typo is reported with its
//! file and line instead of silently becoming a default. Every option here is
//! also shown, with its default, in `config/loglift.yml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cloudwatch::module::{MetricsModuleConfig, ModulePlan};

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// AWS settings shared by every input (each input may override any key).
    #[serde(default)]
    pub aws: AwsSettings,
    /// Where objects come from.
    #[serde(default)]
    pub inputs: Vec<InputConfig>,
    /// User-defined datasets; their selectors are tried before the built-in routing.
    #[serde(default)]
    pub datasets: Vec<CustomDatasetConfig>,
    /// Directory of module files, relative to the configuration file.
    #[serde(default = "default_modules_dir")]
    pub modules_dir: PathBuf,
    /// Where events go.
    #[serde(default)]
    pub outputs: Vec<OutputConfig>,
    /// The HTTP server for `/metrics`, `/healthz` and `/status`.
    #[serde(default)]
    pub http: HttpConfig,
    /// `data_stream.namespace` of every event.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Settings of the CloudWatch poller shared by every metrics module.
    #[serde(default)]
    pub cloudwatch: CloudWatchConfig,
    /// GeoIP/ASN enrichment at the edge.
    #[serde(default)]
    pub geoip: GeoIpConfig,
}

/// GeoIP enrichment: MaxMind-format databases (`.mmdb`: GeoLite2/GeoIP2
/// City, Country and ASN, or DB-IP's), whose kind is read from each file.
/// No databases: no enrichment, no cost.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoIpConfig {
    /// Database files, relative to the configuration file's directory.
    #[serde(default)]
    pub databases: Vec<PathBuf>,
    /// How often to look for a replaced file (geoipupdate replaces them weekly).
    #[serde(default = "default_geoip_reload_interval", with = "humantime_serde")]
    pub reload_interval: Duration,
}

impl Default for GeoIpConfig {
    fn default() -> Self {
        GeoIpConfig {
            databases: Vec::new(),
            reload_interval: default_geoip_reload_interval(),
        }
    }
}

fn default_geoip_reload_interval() -> Duration {
    Duration::from_secs(60)
}

impl GeoIpConfig {
    /// The database paths, relative ones resolved against the directory of
    /// the configuration file at `config_path`.
    pub fn paths(&self, config_path: &Path) -> Vec<PathBuf> {
        let base = config_path.parent().unwrap_or(Path::new("."));
        self.databases.iter().map(|p| base.join(p)).collect()
    }
}

/// The CloudWatch poller's shared settings: request limits (AWS throttles
/// per account and region, so they apply to all metrics modules together),
/// batching and metric events.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchConfig {
    /// Requests in flight at once (all APIs).
    #[serde(default = "default_cw_concurrency")]
    pub concurrency: usize,
    /// Requests started per second at most (all APIs); 0 means no limit.
    #[serde(default = "default_cw_rate")]
    pub requests_per_second: f64,
    /// Retries of a throttled or failed request.
    #[serde(default = "default_cw_retries")]
    pub max_retries: u32,
    /// First wait before a retry; doubles with each retry (at most 20 s), with jitter.
    #[serde(default = "default_cw_backoff", with = "humantime_serde")]
    pub retry_backoff: Duration,
    /// Queries per GetMetricData call (1–500).
    #[serde(default = "default_cw_queries")]
    pub queries_per_call: usize,
    /// Send each poll's values as metric events to the outputs too.
    #[serde(default = "default_cw_events")]
    pub events: bool,
}

impl Default for CloudWatchConfig {
    fn default() -> Self {
        CloudWatchConfig {
            concurrency: default_cw_concurrency(),
            requests_per_second: default_cw_rate(),
            max_retries: default_cw_retries(),
            retry_backoff: default_cw_backoff(),
            queries_per_call: default_cw_queries(),
            events: default_cw_events(),
        }
    }
}

fn default_cw_concurrency() -> usize {
    5
}
fn default_cw_rate() -> f64 {
    10.0
}
fn default_cw_retries() -> u32 {
    5
}
fn default_cw_backoff() -> Duration {
    Duration::from_millis(500)
}
fn default_cw_queries() -> usize {
    500
}
fn default_cw_events() -> bool {
    true
}

fn default_modules_dir() -> PathBuf {
    PathBuf::from("modules.d")
}

fn default_namespace() -> String {
    "default".to_string()
}

/// AWS connection and credential settings. None set means the standard
/// AWS default chain (environment, profile, web identity, container, instance metadata).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    /// Region (e.g. `us-east-1`).
    pub region: Option<String>,
    /// Endpoint override: MinIO, LocalStack, moto, any S3-compatible store.
    pub endpoint: Option<String>,
    /// Path-style S3 addressing (`http://host/bucket/key`), needed by most S3-compatible stores.
    pub force_path_style: Option<bool>,
    /// Static access key id.
    pub access_key_id: Option<String>,
    /// Static secret access key.
    pub secret_access_key: Option<String>,
    /// Session token for temporary static credentials.
    pub session_token: Option<String>,
    /// Named profile of the shared credentials/config files.
    pub credential_profile_name: Option<String>,
    /// Path of the shared credentials file.
    pub shared_credential_file: Option<PathBuf>,
    /// Role to assume (cross-account access).
    pub role_arn: Option<String>,
    /// External id presented when assuming `role_arn`.
    pub external_id: Option<String>,
    /// Use FIPS endpoints.
    pub fips: Option<bool>,
}

impl AwsSettings {
    /// These settings with every unset key taken from `defaults`.
    pub fn or(&self, defaults: &AwsSettings) -> AwsSettings {
        macro_rules! pick {
            ($($f:ident),*) => { AwsSettings { $($f: self.$f.clone().or_else(|| defaults.$f.clone()),)* } };
        }
        pick!(
            region,
            endpoint,
            force_path_style,
            access_key_id,
            secret_access_key,
            session_token,
            credential_profile_name,
            shared_credential_file,
            role_arn,
            external_id,
            fips
        )
    }
}

/// One input.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputConfig {
    /// Objects announced by S3 event notifications on an SQS queue.
    Sqs(SqsInputConfig),
    /// Objects found by listing a bucket.
    S3Poll(S3PollInputConfig),
}

/// The `sqs` input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqsInputConfig {
    /// Queue URL.
    pub queue_url: String,
    /// Objects processed concurrently.
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// Messages per ReceiveMessage call (1–10).
    #[serde(default = "default_max_messages")]
    pub max_messages: i32,
    /// Long-polling wait.
    #[serde(default = "default_wait_time", with = "humantime_serde")]
    pub wait_time: Duration,
    /// Visibility timeout requested on receive; the heartbeat extends it at half this period.
    #[serde(default = "default_visibility_timeout", with = "humantime_serde")]
    pub visibility_timeout: Duration,
    /// First delay before a failed message is visible again; doubles with each receive (at most 15 min).
    #[serde(default = "default_retry_backoff", with = "humantime_serde")]
    pub retry_backoff: Duration,
    /// AWS settings for this input; unset keys come from the top-level `aws`.
    #[serde(default)]
    pub aws: AwsSettings,
}

fn default_workers() -> usize {
    4
}
fn default_max_messages() -> i32 {
    10
}
fn default_wait_time() -> Duration {
    Duration::from_secs(20)
}
fn default_retry_backoff() -> Duration {
    Duration::from_secs(10)
}
fn default_visibility_timeout() -> Duration {
    Duration::from_secs(300)
}

/// The `s3_poll` input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3PollInputConfig {
    /// Bucket to list.
    pub bucket: String,
    /// Only keys with this prefix.
    #[serde(default)]
    pub prefix: String,
    /// Time between listings.
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
    /// Directory of the durable state.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// Skip objects last modified longer ago than this.
    #[serde(default, with = "humantime_serde")]
    pub ignore_older: Option<Duration>,
    /// Start listing after this key.
    #[serde(default)]
    pub start_after: Option<String>,
    /// Failed attempts at one object before it is given up and recorded in
    /// the dead-letter file beside the state (as an SQS queue's
    /// `maxReceiveCount`); 0 retries for ever. Failures of the outputs do
    /// not count: only an object that cannot be fetched or read.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Objects processed concurrently.
    #[serde(default = "default_workers")]
    pub workers: usize,
    /// AWS settings for this input; unset keys come from the top-level `aws`.
    #[serde(default)]
    pub aws: AwsSettings,
}

fn default_interval() -> Duration {
    Duration::from_secs(60)
}
fn default_max_attempts() -> u32 {
    5
}
fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/loglift")
}

/// How the objects of a user-defined dataset are split into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomFraming {
    /// One record per line.
    Lines,
    /// A JSON array, or an object whose `records_field` array holds the records.
    Json,
    /// One JSON value per line.
    Ndjson,
}

/// A user-defined dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDatasetConfig {
    /// Dataset name (`event.dataset`), e.g. `iru.activity`.
    pub name: String,
    /// Regular expression on the object key.
    pub selector: String,
    /// Framing of the objects.
    pub framing: CustomFraming,
    /// For `framing: json`, the member holding the records (`Records`); unset means a top-level array.
    #[serde(default)]
    pub records_field: Option<String>,
    /// Parse each record as JSON into `<name>.*` (default: true for json/ndjson framings).
    #[serde(default)]
    pub parse_json: Option<bool>,
    /// Dotted path of the record's time field.
    #[serde(default)]
    pub timestamp_field: Option<String>,
    /// Format of that field: `rfc3339`, `unix`, `unix_ms`, or a strftime pattern.
    #[serde(default)]
    pub timestamp_format: Option<String>,
    /// Address fields to enrich by GeoIP (`source.ip` → `source.geo`, `source.as`).
    #[serde(default)]
    pub geoip_fields: Vec<String>,
    /// For `lines`: an Elasticsearch dissect pattern splitting each line into
    /// keys (`%{ts} %{host} acmefw[%{pid}]: %{verdict} …`).
    #[serde(default)]
    pub dissect: Option<String>,
    /// Text between the parts of an appended key (`%{+name}`); default empty.
    #[serde(default)]
    pub append_separator: Option<String>,
    /// Values copied, converted, into ECS fields.
    #[serde(default)]
    pub fields: Vec<FieldMapConfig>,
    /// Constant fields set on every event (`observer.vendor: Acme`).
    #[serde(default, rename = "static")]
    pub static_fields: BTreeMap<String, serde_norway::Value>,
}

/// One `fields:` entry of a user-defined dataset.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMapConfig {
    /// A dissect key, or a dotted path into the record's JSON object.
    pub from: String,
    /// The ECS field it goes to (defined in `fields/ecs.yml`), or a field
    /// under the dataset's own name.
    pub to: String,
    /// keyword, long, integer, double, boolean, ip or date; unset copies the value.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// For `type: date`: rfc3339, unix, unix_ms or a strftime pattern.
    #[serde(default)]
    pub format: Option<String>,
}

/// One output.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
// Read once at start: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum OutputConfig {
    /// NDJSON on standard output.
    Stdout {},
    /// NDJSON to a file, rotated by size.
    File(FileOutputConfig),
    /// Documents into Elasticsearch or OpenSearch data streams (bulk API).
    Elasticsearch(ElasticsearchOutputConfig),
}

/// The `file` output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileOutputConfig {
    /// Path of the current file.
    pub path: PathBuf,
    /// Rotate when the file reaches this size in bytes; 0 (the default) never rotates.
    #[serde(default = "default_rotate_bytes")]
    pub rotate_bytes: u64,
    /// Rotated files kept (`path.1` … `path.N`).
    #[serde(default = "default_keep_files")]
    pub keep_files: usize,
}

fn default_rotate_bytes() -> u64 {
    0
}
fn default_keep_files() -> usize {
    7
}

/// A secret configuration value (password, API key): never shown by
/// `Debug`, so neither logs nor error messages can print it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret holding `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Compression of request bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// gzip (`Content-Encoding: gzip`), fastest level.
    #[default]
    Gzip,
    /// Bodies sent as they are.
    None,
}

/// TLS settings of an HTTPS connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file of the certificate authorities to trust instead of the system's.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// PEM file of a client certificate (chain) to present; needs `key`.
    #[serde(default)]
    pub certificate: Option<PathBuf>,
    /// PEM file of the client certificate's private key.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// Verify the server's certificate and name (default true). `false` is for tests only.
    #[serde(default = "default_true")]
    pub verify: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            ca: None,
            certificate: None,
            key: None,
            verify: true,
        }
    }
}

fn default_true() -> bool {
    true
}

/// The `elasticsearch` output (Elasticsearch or OpenSearch).
///
/// Events go with the bulk API to the data stream
/// `<data_stream.type>-<data_stream.dataset>-<data_stream.namespace>`
/// (`logs-aws.vpcflow-default`), as `create` actions whose `_id` is the
/// event's deterministic id, so a redelivered object never duplicates a
/// document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticsearchOutputConfig {
    /// Base URLs (`https://es1.example.com:9200`), used in turn; a failing one is skipped for `host_cooldown`.
    pub hosts: Vec<String>,
    /// User of HTTP basic authentication (with `password`).
    #[serde(default)]
    pub username: Option<String>,
    /// Password of `username`.
    #[serde(default)]
    pub password: Option<Secret>,
    /// API key: `id:api_key`, or the base64 `encoded` form Elasticsearch returns.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// TLS settings for `https://` hosts.
    #[serde(default)]
    pub tls: TlsConfig,
    /// Compression of request bodies.
    #[serde(default)]
    pub compression: Compression,
    /// Most events in one bulk request.
    #[serde(default = "default_bulk_max_size")]
    pub bulk_max_size: usize,
    /// Most bytes (uncompressed) in one bulk request.
    #[serde(default = "default_bulk_max_bytes")]
    pub bulk_max_bytes: usize,
    /// Longest a batch waits for more events to fill a bulk request; 0 sends at once.
    #[serde(default = "default_flush_interval", with = "humantime_serde")]
    pub flush_interval: Duration,
    /// Bulk requests in flight at once.
    #[serde(default = "default_es_workers")]
    pub workers: usize,
    /// Time limit of one request.
    #[serde(default = "default_es_timeout", with = "humantime_serde")]
    pub timeout: Duration,
    /// Retries of a failing request or item (429, 5xx, connection errors)
    /// before its batch fails and is left to its input's redelivery.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// First delay before a retry; doubles with each retry, with jitter.
    #[serde(default = "default_backoff_init", with = "humantime_serde")]
    pub backoff_init: Duration,
    /// Longest delay between retries.
    #[serde(default = "default_backoff_max", with = "humantime_serde")]
    pub backoff_max: Duration,
    /// How long a host that failed (connection error, 5xx) is skipped while others are left.
    #[serde(default = "default_host_cooldown", with = "humantime_serde")]
    pub host_cooldown: Duration,
    /// NDJSON file of the events Elasticsearch refused (e.g. mapping errors), each with the error.
    #[serde(default = "default_dead_letter_path")]
    pub dead_letter_path: PathBuf,
}

fn default_bulk_max_size() -> usize {
    5000
}
fn default_bulk_max_bytes() -> usize {
    10 << 20
}
fn default_flush_interval() -> Duration {
    Duration::from_secs(1)
}
fn default_es_workers() -> usize {
    2
}
fn default_es_timeout() -> Duration {
    Duration::from_secs(90)
}
fn default_max_retries() -> u32 {
    10
}
fn default_backoff_init() -> Duration {
    Duration::from_secs(1)
}
fn default_backoff_max() -> Duration {
    Duration::from_secs(60)
}
fn default_host_cooldown() -> Duration {
    Duration::from_secs(30)
}
fn default_dead_letter_path() -> PathBuf {
    PathBuf::from("/var/lib/loglift/elasticsearch-dead-letter.ndjson")
}

impl ElasticsearchOutputConfig {
    /// A configuration with every default, sending to `hosts`.
    pub fn new(hosts: Vec<String>) -> Self {
        ElasticsearchOutputConfig {
            hosts,
            username: None,
            password: None,
            api_key: None,
            tls: TlsConfig::default(),
            compression: Compression::default(),
            bulk_max_size: default_bulk_max_size(),
            bulk_max_bytes: default_bulk_max_bytes(),
            flush_interval: default_flush_interval(),
            workers: default_es_workers(),
            timeout: default_es_timeout(),
            max_retries: default_max_retries(),
            backoff_init: default_backoff_init(),
            backoff_max: default_backoff_max(),
            host_cooldown: default_host_cooldown(),
            dead_letter_path: default_dead_letter_path(),
        }
    }

    /// Why this configuration cannot work, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.hosts.is_empty() {
            return Some("elasticsearch output: `hosts` needs at least one URL".into());
        }
        for host in &self.hosts {
            let uri: Result<http::Uri, _> = host.parse();
            let ok = uri.as_ref().is_ok_and(|u| {
                matches!(u.scheme_str(), Some("http" | "https"))
                    && u.host().is_some()
                    && u.query().is_none()
            });
            if !ok {
                return Some(format!(
                    "elasticsearch output: host `{host}` is not an http:// or https:// URL"
                ));
            }
            if uri.is_ok_and(|u| u.authority().is_some_and(|a| a.as_str().contains('@'))) {
                return Some("elasticsearch output: put credentials in `username`/`password` or `api_key`, not in a host URL".into());
            }
        }
        if self.username.is_some() != self.password.is_some() {
            return Some("elasticsearch output: `username` and `password` go together".into());
        }
        if self.api_key.is_some() && self.username.is_some() {
            return Some(
                "elasticsearch output: set `api_key` or `username`/`password`, not both".into(),
            );
        }
        if self.tls.certificate.is_some() != self.tls.key.is_some() {
            return Some(
                "elasticsearch output: `tls.certificate` and `tls.key` go together".into(),
            );
        }
        if self.workers == 0 || self.bulk_max_size == 0 || self.bulk_max_bytes == 0 {
            return Some(
                "elasticsearch output: `workers`, `bulk_max_size` and `bulk_max_bytes` must be at least 1"
                    .into(),
            );
        }
        None
    }
}

/// The HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address.
    #[serde(default = "default_listen")]
    pub listen: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:9090".to_string()
}

/// A module file of `modules.d/`.
#[derive(Debug, Clone, PartialEq)]
pub enum Module {
    /// A log dataset and its options (`dataset: aws.vpcflow`, `format: …`).
    Logs {
        /// Dataset name.
        dataset: String,
        /// Dataset options, as strings.
        options: BTreeMap<String, String>,
    },
    /// A CloudWatch metrics module (`metrics: ec2`) and its settings.
    Metrics {
        /// Module name.
        name: String,
        /// The file's settings.
        settings: Box<MetricsModuleConfig>,
        /// The effective plan (defaults filled in, validated).
        plan: Box<ModulePlan>,
    },
}

/// A module file and whether it is enabled.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleFile {
    /// Path of the file.
    pub path: PathBuf,
    /// `<name>.yml` is enabled, `<name>.yml.disabled` is not.
    pub enabled: bool,
    /// What it configures.
    pub module: Module,
}

/// A configuration error, with the file and line when known.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid configuration.
    #[error("{path}:{line}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Config {
    /// Reads and validates the configuration at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_yaml(&text, path)
    }

    /// Parses configuration text; `path` is used in messages.
    pub fn from_yaml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let text = substitute_env(text, path)?;
        let config: Config = serde_norway::from_str(&text).map_err(|e| yaml_error(path, &e))?;
        config.validate(path)?;
        config.check_mapped_fields(path, &text)?;
        Ok(config)
    }

    /// Every field a user-defined dataset maps or sets (`fields:` `to`,
    /// `static:`) is an ECS field of `fields/ecs.yml` or lies under the
    /// dataset's own name: a typo is an error with its line, never a silent
    /// new field.
    fn check_mapped_fields(&self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let ecs = crate::schema::fields_for("ecs").map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: 0,
            reason: e.to_string(),
        })?;
        for d in &self.datasets {
            let own = format!("{}.", d.name);
            let targets = d
                .fields
                .iter()
                .map(|f| f.to.as_str())
                .chain(d.static_fields.keys().map(String::as_str));
            for name in targets {
                if name.starts_with(&own) || ecs.contains_key(name) {
                    continue;
                }
                let line = text
                    .lines()
                    .position(|l| l.contains(name))
                    .map_or(0, |i| i + 1);
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    line,
                    reason: format!(
                        "dataset {}: `{name}` is not an ECS field of fields/ecs.yml (`loglift fields --dataset ecs` lists them); use an ECS name or one under `{own}*`",
                        d.name
                    ),
                });
            }
        }
        Ok(())
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: 0,
            reason,
        };
        for d in &self.datasets {
            regex::Regex::new(&d.selector)
                .map_err(|e| invalid(format!("dataset {}: invalid selector: {e}", d.name)))?;
            if d.name.is_empty() || d.name.contains(char::is_whitespace) {
                return Err(invalid(format!(
                    "dataset name `{}` must be non-empty without spaces",
                    d.name
                )));
            }
        }
        let cw = &self.cloudwatch;
        if !(1..=500).contains(&cw.queries_per_call) {
            return Err(invalid(
                "cloudwatch: queries_per_call must be 1..=500".into(),
            ));
        }
        if cw.concurrency == 0 {
            return Err(invalid("cloudwatch: concurrency must be at least 1".into()));
        }
        if !(cw.requests_per_second >= 0.0 && cw.requests_per_second.is_finite()) {
            return Err(invalid(
                "cloudwatch: requests_per_second must be 0 (no limit) or positive".into(),
            ));
        }
        for output in &self.outputs {
            if let OutputConfig::Elasticsearch(es) = output {
                if let Some(problem) = es.problem() {
                    return Err(invalid(problem));
                }
            }
        }
        for input in &self.inputs {
            if let InputConfig::Sqs(s) = input {
                if !(1..=10).contains(&s.max_messages) {
                    return Err(invalid(format!(
                        "sqs input {}: max_messages must be 1..=10",
                        s.queue_url
                    )));
                }
                if s.workers == 0 {
                    return Err(invalid(format!(
                        "sqs input {}: workers must be at least 1",
                        s.queue_url
                    )));
                }
            }
        }
        Ok(())
    }

    /// The module files of `modules_dir` (relative to `config_path`'s directory).
    pub fn modules(&self, config_path: &Path) -> Result<Vec<ModuleFile>, ConfigError> {
        let dir = config_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&self.modules_dir);
        read_modules(&dir)
    }
}

/// Reads every `*.yml` and `*.yml.disabled` file of `dir` (none if it does not exist).
pub fn read_modules(dir: &Path) -> Result<Vec<ModuleFile>, ConfigError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ConfigError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let enabled = if name.ends_with(".yml") {
            true
        } else if name.ends_with(".yml.disabled") {
            false
        } else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let module = parse_module(&substitute_env(&text, &path)?, &path)?;
        out.push(ModuleFile {
            path,
            enabled,
            module,
        });
    }
    Ok(out)
}

fn parse_module(text: &str, path: &Path) -> Result<Module, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: 0,
        reason,
    };
    let mut map: serde_norway::Mapping =
        serde_norway::from_str(text).map_err(|e| yaml_error(path, &e))?;
    let take = |map: &mut serde_norway::Mapping, key: &str| {
        map.remove(key).and_then(|v| v.as_str().map(str::to_string))
    };
    if let Some(dataset) = take(&mut map, "dataset") {
        let mut options = BTreeMap::new();
        for (k, v) in map {
            let key = k
                .as_str()
                .ok_or_else(|| invalid("option names must be strings".into()))?
                .to_string();
            let value = match v {
                serde_norway::Value::String(s) => s,
                serde_norway::Value::Bool(b) => b.to_string(),
                serde_norway::Value::Number(n) => n.to_string(),
                other => {
                    return Err(invalid(format!(
                        "option `{key}`: expected a scalar, found {other:?}"
                    )))
                }
            };
            options.insert(key, value);
        }
        Ok(Module::Logs { dataset, options })
    } else if map.contains_key("metrics") {
        let settings: MetricsModuleConfig =
            serde_norway::from_str(text).map_err(|e| yaml_error(path, &e))?;
        let plan = settings.plan().map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: key_line(text, e.key),
            reason: format!("{}: {}", e.key, e.reason),
        })?;
        Ok(Module::Metrics {
            name: settings.metrics.name().to_string(),
            settings: Box::new(settings),
            plan: Box::new(plan),
        })
    } else {
        Err(invalid(
            "a module file needs `dataset: <name>` or `metrics: <module>`".into(),
        ))
    }
}

/// The 1-based line where the top-level `key` is set in `text` (0 when absent).
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map_or(0, |i| i + 1)
}

fn yaml_error(path: &Path, e: &serde_norway::Error) -> ConfigError {
    let line = e.location().map_or(0, |l| l.line());
    let reason = e.to_string();
    // serde_norway appends " at line L column C"; the line is already in the prefix.
    let reason = reason
        .split(" at line ")
        .next()
        .unwrap_or(&reason)
        .to_string();
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        reason,
    }
}

/// Replaces `${VAR}` and `${VAR:-default}` with environment values; a
/// missing variable without a default is an error naming it and its line.
/// Only upper-case names are variables (see [`is_env_name`]).
pub fn substitute_env(text: &str, path: &Path) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split_inclusive('\n').enumerate() {
        // Comments are copied as written: a commented-out `${VAR}` needs no variable.
        let (line, comment) = line.split_at(comment_start(line));
        let mut rest = line;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| ConfigError::Invalid {
                path: path.to_path_buf(),
                line: n + 1,
                reason: "unterminated ${".into(),
            })?;
            let expr = &after[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (expr, None),
            };
            if !is_env_name(name) {
                // `${srcaddr}`, `${vpc-id}`: VPC flow log format fields, kept as written.
                out.push_str(&rest[start..start + 2 + end + 1]);
                rest = &after[end + 1..];
                continue;
            }
            match (std::env::var(name), default) {
                (Ok(v), _) => out.push_str(&v),
                (Err(_), Some(d)) => out.push_str(d),
                (Err(_), None) => {
                    return Err(ConfigError::Invalid {
                        path: path.to_path_buf(),
                        line: n + 1,
                        reason: format!("environment variable {name} is not set"),
                    })
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out.push_str(comment);
    }
    Ok(out)
}

/// Byte index where a YAML comment starts in `line` (a `#` at the start or
/// after whitespace, outside quotes), or the line's length.
fn comment_start(line: &str) -> usize {
    let (mut single, mut double) = (false, false);
    let mut previous = b' ';
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && previous.is_ascii_whitespace() => return i,
            _ => {}
        }
        previous = b;
    }
    line.len()
}

/// Environment variable names are upper case (`ES_API_KEY`); anything else in
/// `${…}` (VPC flow log fields such as `${srcaddr}`) is left alone.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_yaml(text, Path::new("loglift.yml"))
    }

    #[test]
    fn parses_the_documented_shape() {
        std::env::set_var("LOGLIFT_TEST_EXTERNAL_ID", "ext-1");
        let c = parse(
            "aws:\n  region: us-east-1\n  external_id: ${LOGLIFT_TEST_EXTERNAL_ID}\ninputs:\n  - type: sqs\n    queue_url: https://q\n    workers: 8\n    wait_time: 20s\n    visibility_timeout: 300s\n    aws:\n      region: eu-west-1\n  - type: s3_poll\n    bucket: b\n    prefix: hitlogs-\n    interval: 60s\n    state_dir: /tmp/x\ndatasets:\n  - name: iru.activity\n    selector: '^activity/'\n    framing: ndjson\noutputs:\n  - type: file\n    path: /tmp/e.ndjson\n  - type: stdout\nhttp:\n  listen: 127.0.0.1:9091\n",
        )
        .unwrap();
        assert_eq!(c.aws.external_id.as_deref(), Some("ext-1"));
        let InputConfig::Sqs(sqs) = &c.inputs[0] else {
            panic!("sqs first")
        };
        assert_eq!(sqs.workers, 8);
        assert_eq!(sqs.visibility_timeout, Duration::from_secs(300));
        assert_eq!(sqs.aws.or(&c.aws).region.as_deref(), Some("eu-west-1"));
        assert_eq!(sqs.aws.or(&c.aws).external_id.as_deref(), Some("ext-1"));
        assert_eq!(c.datasets[0].framing, CustomFraming::Ndjson);
        assert_eq!(c.http.listen, "127.0.0.1:9091");
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let err = parse("aws:\n  region: us-east-1\n  regoin: x\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("loglift.yml:3:"), "{err}");
        assert!(err.contains("regoin"), "{err}");
    }

    #[test]
    fn missing_environment_variable_names_itself() {
        let err = parse("aws:\n  role_arn: ${LOGLIFT_SURELY_UNSET_VAR}\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "loglift.yml:2: environment variable LOGLIFT_SURELY_UNSET_VAR is not set"
        );
        assert_eq!(
            substitute_env("a: ${LOGLIFT_SURELY_UNSET_VAR:-x}", Path::new("f")).unwrap(),
            "a: x"
        );
        let commented = "a: 1 # ${LOGLIFT_SURELY_UNSET_VAR}\n# b: ${LOGLIFT_SURELY_UNSET_VAR}\nc: '#${LOGLIFT_SURELY_UNSET_VAR:-x}'\n";
        assert_eq!(
            substitute_env(commented, Path::new("f")).unwrap(),
            "a: 1 # ${LOGLIFT_SURELY_UNSET_VAR}\n# b: ${LOGLIFT_SURELY_UNSET_VAR}\nc: '#x'\n"
        );
    }

    #[test]
    fn elasticsearch_output_has_defaults_and_hides_its_secrets() {
        let c = parse(
            "outputs:\n  - type: elasticsearch\n    hosts: [https://es1:9200, http://es2:9200/prefix]\n    username: loglift\n    password: hunter2\n    tls:\n      ca: /etc/ca.pem\n",
        )
        .unwrap();
        let OutputConfig::Elasticsearch(es) = &c.outputs[0] else {
            panic!("elasticsearch output")
        };
        assert_eq!(es.hosts.len(), 2);
        assert_eq!(es.compression, Compression::Gzip);
        assert_eq!(es.bulk_max_size, 5000);
        assert!(es.tls.verify);
        assert_eq!(es.password.as_ref().map(Secret::expose), Some("hunter2"));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn the_documented_elasticsearch_output_parses_with_every_option() {
        // The commented block of config/loglift.yml, uncommented.
        let doc = include_str!("../config/loglift.yml");
        let block: String = doc
            .lines()
            .skip_while(|l| !l.starts_with("  #- type: elasticsearch"))
            .take_while(|l| l.starts_with("  #"))
            .filter(|l| !l.trim_start_matches("  #").trim_start().starts_with('#'))
            // The credentials are alternatives: keep username/password.
            .filter(|l| !l.contains("api_key:"))
            .map(|l| format!("  {}\n", &l[3..]).replace("${LOGLIFT_ES_PASSWORD:-}", "secret"))
            .collect();
        assert!(block.contains("dead_letter_path"), "{block}");
        let c = parse(&format!("outputs:\n{block}")).unwrap();
        let OutputConfig::Elasticsearch(es) = &c.outputs[0] else {
            panic!("elasticsearch output")
        };
        let d = ElasticsearchOutputConfig::new(es.hosts.clone());
        assert_eq!(
            (
                es.bulk_max_size,
                es.bulk_max_bytes,
                es.workers,
                es.max_retries
            ),
            (d.bulk_max_size, d.bulk_max_bytes, d.workers, d.max_retries)
        );
        assert_eq!(
            (
                es.flush_interval,
                es.timeout,
                es.backoff_init,
                es.backoff_max,
                es.host_cooldown
            ),
            (
                d.flush_interval,
                d.timeout,
                d.backoff_init,
                d.backoff_max,
                d.host_cooldown
            )
        );
        assert_eq!(
            (es.compression, es.tls.verify),
            (d.compression, d.tls.verify)
        );
        assert_eq!(es.dead_letter_path, d.dead_letter_path);
    }

    #[test]
    fn elasticsearch_output_is_checked() {
        for (yaml, why) in [
            ("hosts: []", "at least one"),
            ("hosts: [es:9200]", "not an http"),
            ("hosts: ['https://u:p@es:9200']", "not in a host URL"),
            ("hosts: [http://es]\n    username: u", "go together"),
            (
                "hosts: [http://es]\n    api_key: k\n    username: u\n    password: p",
                "not both",
            ),
            ("hosts: [http://es]\n    compresion: gzip", "unknown field"),
        ] {
            let err = parse(&format!("outputs:\n  - type: elasticsearch\n    {yaml}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{yaml}: {err}");
        }
    }

    #[test]
    fn invalid_selector_is_reported() {
        let err = parse("datasets:\n  - name: a\n    selector: '('\n    framing: lines\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid selector"), "{err}");
    }

    #[test]
    fn reads_enabled_and_disabled_modules() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("aws.vpcflow.yml"),
            "dataset: aws.vpcflow\nformat: ${version} ${srcaddr}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("aws.ec2_metrics.yml.disabled"),
            "metrics: ec2\nperiod: 300s\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("README"), "ignored").unwrap();
        let modules = read_modules(dir.path()).unwrap();
        assert_eq!(modules.len(), 2);
        assert!(
            !modules[0].enabled
                && matches!(&modules[0].module, Module::Metrics { name, .. } if name == "ec2")
        );
        assert!(modules[1].enabled);
        let Module::Logs { dataset, options } = &modules[1].module else {
            panic!("logs module")
        };
        assert_eq!(dataset, "aws.vpcflow");
        assert_eq!(options["format"], "${version} ${srcaddr}");
    }

    #[test]
    fn shipped_module_files_parse_and_metrics_modules_ship_disabled() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/modules.d");
        let modules = read_modules(&dir).unwrap();
        let metrics: Vec<_> = modules
            .iter()
            .filter(|m| matches!(m.module, Module::Metrics { .. }))
            .collect();
        assert_eq!(metrics.len(), 16);
        assert!(metrics.iter().all(|m| !m.enabled));
        let config = Config::load(&dir.parent().unwrap().join("loglift.yml")).unwrap();
        assert_eq!(config.cloudwatch, CloudWatchConfig::default());
    }

    #[test]
    fn metrics_module_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aws.ec2_metrics.yml");
        let check = |text: &str, want: &str| {
            std::fs::write(&path, text).unwrap();
            let err = read_modules(dir.path()).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
            assert!(err.contains("aws.ec2_metrics.yml:"), "{err}");
        };
        check(
            "metrics: ec2\nperiod: 300s\nperiood: 60s\n",
            ":3: unknown field `periood`",
        );
        check("metrics: ec3\n", ":1: metrics: unknown variant `ec3`");
        check(
            "metrics: ec2\n\nperiod: 90s\n",
            ":3: period: period must be",
        );
        check(
            "metrics: ec2\nstatistics: [Average, p101]\n",
            "invalid percentile statistic `p101`",
        );
    }
}
