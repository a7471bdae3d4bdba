//! Metric modules: what a `modules.d/aws.<module>_metrics.yml` file may say
//! ([`MetricsModuleConfig`]), the built-in catalog of modules (namespaces,
//! default metrics and statistics, how a resource's ARN maps to a
//! dimension), and the effective plan of one module ([`ModulePlan`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::config::AwsSettings;

/// The built-in metric modules (`metrics:` in a module file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleKind {
    /// `AWS/EC2` instances.
    Ec2,
    /// Load balancers: `AWS/ApplicationELB`, `AWS/NetworkELB`, `AWS/ELB` (classic).
    Elb,
    /// `AWS/SQS` queues.
    Sqs,
    /// `AWS/S3` request metrics (needs a request metrics filter on the bucket).
    S3Request,
    /// `AWS/S3` daily storage metrics.
    S3DailyStorage,
    /// `AWS/Lambda` functions.
    Lambda,
    /// `AWS/RDS` database instances.
    Rds,
    /// `AWS/DynamoDB` tables.
    Dynamodb,
    /// `AWS/EBS` volumes.
    Ebs,
    /// `AWS/SNS` topics.
    Sns,
    /// `AWS/NATGateway`.
    Natgateway,
    /// `AWS/TransitGateway`.
    Transitgateway,
    /// `AWS/VPN` connections.
    Vpn,
    /// `AWS/Usage`: API call counts and resource counts.
    Usage,
    /// `AWS/Billing` estimated charges (published in us-east-1 only).
    Billing,
    /// Any namespaces the user lists.
    Cloudwatch,
}

impl ModuleKind {
    /// The module's name as written in module files (`s3_request`).
    pub fn name(self) -> &'static str {
        match self {
            ModuleKind::Ec2 => "ec2",
            ModuleKind::Elb => "elb",
            ModuleKind::Sqs => "sqs",
            ModuleKind::S3Request => "s3_request",
            ModuleKind::S3DailyStorage => "s3_daily_storage",
            ModuleKind::Lambda => "lambda",
            ModuleKind::Rds => "rds",
            ModuleKind::Dynamodb => "dynamodb",
            ModuleKind::Ebs => "ebs",
            ModuleKind::Sns => "sns",
            ModuleKind::Natgateway => "natgateway",
            ModuleKind::Transitgateway => "transitgateway",
            ModuleKind::Vpn => "vpn",
            ModuleKind::Usage => "usage",
            ModuleKind::Billing => "billing",
            ModuleKind::Cloudwatch => "cloudwatch",
        }
    }

    /// `event.dataset` of the module's metric events (`aws.ec2`).
    pub fn dataset(self) -> String {
        format!("aws.{}", self.name())
    }

    /// Every module, in catalog order.
    pub const ALL: [ModuleKind; 16] = [
        ModuleKind::Ec2,
        ModuleKind::Elb,
        ModuleKind::Sqs,
        ModuleKind::S3Request,
        ModuleKind::S3DailyStorage,
        ModuleKind::Lambda,
        ModuleKind::Rds,
        ModuleKind::Dynamodb,
        ModuleKind::Ebs,
        ModuleKind::Sns,
        ModuleKind::Natgateway,
        ModuleKind::Transitgateway,
        ModuleKind::Vpn,
        ModuleKind::Usage,
        ModuleKind::Billing,
        ModuleKind::Cloudwatch,
    ];
}

/// Whether `dataset` is the dataset of a metrics module (`aws.ec2`, `aws.cloudwatch`).
pub fn is_metrics_dataset(dataset: &str) -> bool {
    ModuleKind::ALL.iter().any(|k| {
        dataset
            .strip_prefix("aws.")
            .is_some_and(|rest| rest == k.name())
    })
}

/// A CloudWatch statistic: a basic one, or a percentile (`p99`, `p99.9`),
/// which GetMetricData takes in the same `Stat` field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum Statistic {
    /// Mean of the period's values.
    Average,
    /// Sum of the period's values.
    Sum,
    /// Lowest value.
    Minimum,
    /// Highest value.
    Maximum,
    /// Number of values.
    SampleCount,
    /// A percentile, as written (`p99`, `p99.9`): 0 < N ≤ 100, at most two decimals.
    Percentile(String),
}

impl TryFrom<String> for Statistic {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        Statistic::parse(&s)
    }
}

impl Statistic {
    /// Parses `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount`, `pNN` or `pNN.NN`.
    pub fn parse(s: &str) -> Result<Statistic, String> {
        Ok(match s {
            "Average" => Statistic::Average,
            "Sum" => Statistic::Sum,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            "SampleCount" => Statistic::SampleCount,
            p if p.starts_with('p') => {
                let number = &p[1..];
                let (int, frac) = number.split_once('.').unwrap_or((number, ""));
                let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
                let valid = !int.is_empty()
                    && int.len() <= 3
                    && digits(int)
                    && digits(frac)
                    && frac.len() <= 2
                    && !(number.contains('.') && frac.is_empty())
                    && number
                        .parse::<f64>()
                        .is_ok_and(|v| v > 0.0 && v <= 100.0);
                if !valid {
                    return Err(format!(
                        "invalid percentile statistic `{s}`: expected pNN or pNN.NN with 0 < NN <= 100"
                    ));
                }
                Statistic::Percentile(p.to_string())
            }
            other => {
                return Err(format!(
                    "unknown statistic `{other}`: expected Average, Sum, Minimum, Maximum, SampleCount, pNN or pNN.NN"
                ))
            }
        })
    }

    /// The `Stat` of a GetMetricData query (`Average`, `p99.9`).
    pub fn request_name(&self) -> &str {
        match self {
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
            Statistic::SampleCount => "SampleCount",
            Statistic::Percentile(p) => p,
        }
    }

    /// The suffix of the Prometheus gauge (`average`, `sample_count`, `p99_9`).
    pub fn prometheus_suffix(&self) -> String {
        match self {
            Statistic::Average => "average".into(),
            Statistic::Sum => "sum".into(),
            Statistic::Minimum => "minimum".into(),
            Statistic::Maximum => "maximum".into(),
            Statistic::SampleCount => "sample_count".into(),
            Statistic::Percentile(p) => p.replace('.', "_"),
        }
    }

    /// The last key of the event field (`avg`, `max`, `count`, `p99_9`), as
    /// Metricbeat names them; a percentile's dot becomes `_` so that it does
    /// not nest.
    pub fn event_key(&self) -> String {
        match self {
            Statistic::Average => "avg".into(),
            Statistic::Sum => "sum".into(),
            Statistic::Minimum => "min".into(),
            Statistic::Maximum => "max".into(),
            Statistic::SampleCount => "count".into(),
            Statistic::Percentile(p) => p.replace('.', "_"),
        }
    }
}

/// A tag value filter: one value or any of several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum TagValues {
    /// Exactly this value.
    One(String),
    /// Any of these values.
    Any(Vec<String>),
}

impl TagValues {
    /// Whether `value` is accepted.
    pub fn accepts(&self, value: &str) -> bool {
        match self {
            TagValues::One(v) => v == value,
            TagValues::Any(vs) => vs.iter().any(|v| v == value),
        }
    }

    /// The accepted values.
    pub fn values(&self) -> Vec<String> {
        match self {
            TagValues::One(v) => vec![v.clone()],
            TagValues::Any(vs) => vs.clone(),
        }
    }
}

/// A dimension a series must have (with this value, when given): generic `cloudwatch` module.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionFilter {
    /// Dimension name (`QueueName`).
    pub name: String,
    /// Required value; unset means any value.
    #[serde(default)]
    pub value: Option<String>,
}

/// One namespace of the generic `cloudwatch` module.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceConfig {
    /// The CloudWatch namespace (`AWS/SQS`, `MyApp/Orders`).
    pub namespace: String,
    /// Metric names; empty means every metric ListMetrics finds in the namespace.
    #[serde(default)]
    pub metric_names: Vec<String>,
    /// Dimensions a series must have (and their values, when given); empty means any.
    #[serde(default)]
    pub dimensions: Vec<DimensionFilter>,
    /// Statistics for this namespace; empty means the module's `statistics` (default `Average`).
    #[serde(default)]
    pub statistics: Vec<Statistic>,
}

/// A metrics module file (`modules.d/aws.ec2_metrics.yml`). Every key but
/// `metrics` is optional; unset keys take the module's defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsModuleConfig {
    /// Which module (`ec2`, `elb`, …, `cloudwatch`).
    pub metrics: ModuleKind,
    /// Regions to poll; default: the region of the `aws` settings (billing: always `us-east-1`).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Granularity of the datapoints (`Period` of each query), a multiple of 60 s.
    #[serde(default, with = "humantime_serde")]
    pub period: Option<Duration>,
    /// How far behind now the window ends, since CloudWatch publishes late.
    #[serde(default, with = "humantime_serde")]
    pub delay: Option<Duration>,
    /// Length of the window each poll asks for; the newest datapoint in it is kept.
    #[serde(default, with = "humantime_serde")]
    pub length: Option<Duration>,
    /// Time between polls; default: `period`.
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    /// Statistics of every metric; default: each metric's own defaults.
    #[serde(default)]
    pub statistics: Vec<Statistic>,
    /// Metric names, replacing the module's default list (not for `cloudwatch`, which lists them per namespace).
    #[serde(default)]
    pub metric_names: Vec<String>,
    /// The namespaces of the generic `cloudwatch` module.
    #[serde(default)]
    pub namespaces: Vec<NamespaceConfig>,
    /// Only resources with these tags (AND across keys, any listed value per key).
    #[serde(default)]
    pub tags_filter: BTreeMap<String, TagValues>,
    /// Tag keys exported as `tag_<Key>` labels.
    #[serde(default)]
    pub export_tags: Vec<String>,
    /// How long ListMetrics and resource (tag, instance) results are reused.
    #[serde(default, with = "humantime_serde")]
    pub discovery_ttl: Option<Duration>,
    /// AWS settings for this module; unset keys come from the top-level `aws`.
    #[serde(default)]
    pub aws: AwsSettings,
}

/// How a resource's ARN yields the value of the dimension that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArnId {
    /// The text after the last `/` (`…:instance/i-0abc` → `i-0abc`).
    AfterSlash,
    /// The text after the last `:` (`arn:aws:sqs:…:orders` → `orders`).
    AfterColon,
    /// The text after `loadbalancer/` (`…:loadbalancer/app/web/50dc` → `app/web/50dc`).
    LoadBalancer,
}

impl ArnId {
    /// The dimension value named by `arn`.
    pub fn extract(self, arn: &str) -> Option<&str> {
        let id = match self {
            ArnId::AfterSlash => arn.rsplit_once('/')?.1,
            ArnId::AfterColon => arn.rsplit_once(':')?.1,
            ArnId::LoadBalancer => arn.split_once(":loadbalancer/")?.1,
        };
        (!id.is_empty()).then_some(id)
    }
}

/// The resources behind a namespace's series, found with the tagging API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceDef {
    /// `ResourceTypeFilters` entry of GetResources (`ec2:instance`).
    pub type_filter: &'static str,
    /// The dimension naming the resource (`InstanceId`).
    pub dimension: &'static str,
    /// How its value is taken from the ARN.
    pub id: ArnId,
    /// Only ARNs whose resource part starts with this (`loadbalancer/app/`), if set.
    pub arn_contains: Option<&'static str>,
}

/// A metric and its default statistics.
type MetricDefault = (&'static str, &'static [Statistic]);

/// A namespace of a built-in module.
#[derive(Debug, Clone, Copy)]
pub struct NamespaceDef {
    /// The CloudWatch namespace.
    pub namespace: &'static str,
    /// Its resources, if they can be tagged.
    pub resource: Option<ResourceDef>,
    /// Default metrics and statistics.
    pub metrics: &'static [MetricDefault],
}

const AVG: &[Statistic] = &[Statistic::Average];
const AVG_MAX: &[Statistic] = &[Statistic::Average, Statistic::Maximum];
const SUM: &[Statistic] = &[Statistic::Sum];
const MAX: &[Statistic] = &[Statistic::Maximum];

const fn res(
    type_filter: &'static str,
    dimension: &'static str,
    id: ArnId,
    arn_contains: Option<&'static str>,
) -> Option<ResourceDef> {
    Some(ResourceDef {
        type_filter,
        dimension,
        id,
        arn_contains,
    })
}

static EC2: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/EC2",
    resource: res("ec2:instance", "InstanceId", ArnId::AfterSlash, None),
    metrics: &[
        ("CPUUtilization", AVG_MAX),
        ("NetworkIn", SUM),
        ("NetworkOut", SUM),
        ("NetworkPacketsIn", SUM),
        ("NetworkPacketsOut", SUM),
        ("DiskReadBytes", SUM),
        ("DiskWriteBytes", SUM),
        ("DiskReadOps", SUM),
        ("DiskWriteOps", SUM),
        ("EBSReadBytes", SUM),
        ("EBSWriteBytes", SUM),
        ("StatusCheckFailed", MAX),
        ("StatusCheckFailed_Instance", MAX),
        ("StatusCheckFailed_System", MAX),
        ("CPUCreditUsage", SUM),
        ("CPUCreditBalance", AVG),
    ],
}];

static ELB: &[NamespaceDef] = &[
    NamespaceDef {
        namespace: "AWS/ApplicationELB",
        resource: res(
            "elasticloadbalancing:loadbalancer",
            "LoadBalancer",
            ArnId::LoadBalancer,
            Some(":loadbalancer/app/"),
        ),
        metrics: &[
            ("RequestCount", SUM),
            ("ActiveConnectionCount", SUM),
            ("NewConnectionCount", SUM),
            ("ProcessedBytes", SUM),
            ("TargetResponseTime", AVG_MAX),
            ("HTTPCode_Target_2XX_Count", SUM),
            ("HTTPCode_Target_4XX_Count", SUM),
            ("HTTPCode_Target_5XX_Count", SUM),
            ("HTTPCode_ELB_4XX_Count", SUM),
            ("HTTPCode_ELB_5XX_Count", SUM),
            ("HealthyHostCount", AVG),
            ("UnHealthyHostCount", AVG),
            ("ConsumedLCUs", SUM),
        ],
    },
    NamespaceDef {
        namespace: "AWS/NetworkELB",
        resource: res(
            "elasticloadbalancing:loadbalancer",
            "LoadBalancer",
            ArnId::LoadBalancer,
            Some(":loadbalancer/net/"),
        ),
        metrics: &[
            ("ActiveFlowCount", AVG_MAX),
            ("NewFlowCount", SUM),
            ("ProcessedBytes", SUM),
            ("TCP_Client_Reset_Count", SUM),
            ("TCP_ELB_Reset_Count", SUM),
            ("TCP_Target_Reset_Count", SUM),
            ("HealthyHostCount", AVG),
            ("UnHealthyHostCount", AVG),
            ("ConsumedLCUs", SUM),
        ],
    },
    NamespaceDef {
        namespace: "AWS/ELB",
        resource: res(
            "elasticloadbalancing:loadbalancer",
            "LoadBalancerName",
            ArnId::AfterSlash,
            None,
        ),
        metrics: &[
            ("RequestCount", SUM),
            ("Latency", AVG_MAX),
            ("HTTPCode_Backend_2XX", SUM),
            ("HTTPCode_Backend_3XX", SUM),
            ("HTTPCode_Backend_4XX", SUM),
            ("HTTPCode_Backend_5XX", SUM),
            ("HTTPCode_ELB_4XX", SUM),
            ("HTTPCode_ELB_5XX", SUM),
            ("BackendConnectionErrors", SUM),
            ("SurgeQueueLength", MAX),
            ("SpilloverCount", SUM),
            ("HealthyHostCount", AVG),
            ("UnHealthyHostCount", AVG),
        ],
    },
];

static SQS: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/SQS",
    resource: res("sqs", "QueueName", ArnId::AfterColon, None),
    metrics: &[
        ("ApproximateNumberOfMessagesVisible", AVG_MAX),
        ("ApproximateNumberOfMessagesNotVisible", AVG),
        ("ApproximateNumberOfMessagesDelayed", AVG),
        ("ApproximateAgeOfOldestMessage", MAX),
        ("NumberOfMessagesSent", SUM),
        ("NumberOfMessagesReceived", SUM),
        ("NumberOfMessagesDeleted", SUM),
        ("NumberOfEmptyReceives", SUM),
        ("SentMessageSize", AVG),
    ],
}];

static S3_REQUEST: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/S3",
    resource: res("s3", "BucketName", ArnId::AfterColon, None),
    metrics: &[
        ("AllRequests", SUM),
        ("GetRequests", SUM),
        ("PutRequests", SUM),
        ("DeleteRequests", SUM),
        ("HeadRequests", SUM),
        ("ListRequests", SUM),
        ("BytesDownloaded", SUM),
        ("BytesUploaded", SUM),
        ("4xxErrors", SUM),
        ("5xxErrors", SUM),
        ("FirstByteLatency", AVG),
        ("TotalRequestLatency", AVG),
    ],
}];

static S3_DAILY_STORAGE: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/S3",
    resource: res("s3", "BucketName", ArnId::AfterColon, None),
    metrics: &[("BucketSizeBytes", AVG), ("NumberOfObjects", AVG)],
}];

static LAMBDA: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/Lambda",
    resource: res("lambda:function", "FunctionName", ArnId::AfterColon, None),
    metrics: &[
        ("Invocations", SUM),
        ("Errors", SUM),
        ("Throttles", SUM),
        ("Duration", AVG_MAX),
        ("ConcurrentExecutions", MAX),
        ("IteratorAge", MAX),
        ("DeadLetterErrors", SUM),
        ("ProvisionedConcurrencyUtilization", MAX),
    ],
}];

static RDS: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/RDS",
    resource: res("rds:db", "DBInstanceIdentifier", ArnId::AfterColon, None),
    metrics: &[
        ("CPUUtilization", AVG_MAX),
        ("DatabaseConnections", AVG),
        ("FreeableMemory", AVG),
        ("FreeStorageSpace", AVG),
        ("ReadIOPS", AVG),
        ("WriteIOPS", AVG),
        ("ReadLatency", AVG),
        ("WriteLatency", AVG),
        ("ReadThroughput", AVG),
        ("WriteThroughput", AVG),
        ("DiskQueueDepth", AVG),
        ("ReplicaLag", AVG),
        ("NetworkReceiveThroughput", AVG),
        ("NetworkTransmitThroughput", AVG),
    ],
}];

static DYNAMODB: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/DynamoDB",
    resource: res("dynamodb:table", "TableName", ArnId::AfterSlash, None),
    metrics: &[
        ("ConsumedReadCapacityUnits", SUM),
        ("ConsumedWriteCapacityUnits", SUM),
        ("ProvisionedReadCapacityUnits", AVG),
        ("ProvisionedWriteCapacityUnits", AVG),
        ("ReadThrottleEvents", SUM),
        ("WriteThrottleEvents", SUM),
        ("ThrottledRequests", SUM),
        ("SuccessfulRequestLatency", AVG_MAX),
        ("SystemErrors", SUM),
        ("UserErrors", SUM),
        ("ReturnedItemCount", AVG),
    ],
}];

static EBS: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/EBS",
    resource: res("ec2:volume", "VolumeId", ArnId::AfterSlash, None),
    metrics: &[
        ("VolumeReadBytes", SUM),
        ("VolumeWriteBytes", SUM),
        ("VolumeReadOps", SUM),
        ("VolumeWriteOps", SUM),
        ("VolumeTotalReadTime", SUM),
        ("VolumeTotalWriteTime", SUM),
        ("VolumeIdleTime", SUM),
        ("VolumeQueueLength", AVG),
        ("BurstBalance", AVG),
    ],
}];

static SNS: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/SNS",
    resource: res("sns", "TopicName", ArnId::AfterColon, None),
    metrics: &[
        ("NumberOfMessagesPublished", SUM),
        ("NumberOfNotificationsDelivered", SUM),
        ("NumberOfNotificationsFailed", SUM),
        ("NumberOfNotificationsFilteredOut", SUM),
        ("PublishSize", AVG),
    ],
}];

static NATGATEWAY: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/NATGateway",
    resource: res("ec2:natgateway", "NatGatewayId", ArnId::AfterSlash, None),
    metrics: &[
        ("ActiveConnectionCount", MAX),
        ("BytesInFromDestination", SUM),
        ("BytesInFromSource", SUM),
        ("BytesOutToDestination", SUM),
        ("BytesOutToSource", SUM),
        ("ConnectionAttemptCount", SUM),
        ("ConnectionEstablishedCount", SUM),
        ("ErrorPortAllocation", SUM),
        ("IdleTimeoutCount", SUM),
        ("PacketsDropCount", SUM),
        ("PacketsInFromDestination", SUM),
        ("PacketsInFromSource", SUM),
        ("PacketsOutToDestination", SUM),
        ("PacketsOutToSource", SUM),
    ],
}];

static TRANSITGATEWAY: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/TransitGateway",
    resource: res(
        "ec2:transit-gateway",
        "TransitGateway",
        ArnId::AfterSlash,
        None,
    ),
    metrics: &[
        ("BytesIn", SUM),
        ("BytesOut", SUM),
        ("PacketsIn", SUM),
        ("PacketsOut", SUM),
        ("PacketDropCountBlackhole", SUM),
        ("PacketDropCountNoRoute", SUM),
    ],
}];

static VPN: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/VPN",
    resource: res("ec2:vpn-connection", "VpnId", ArnId::AfterSlash, None),
    metrics: &[
        ("TunnelState", AVG_MAX),
        ("TunnelDataIn", SUM),
        ("TunnelDataOut", SUM),
    ],
}];

static USAGE: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/Usage",
    resource: None,
    metrics: &[("CallCount", SUM), ("ResourceCount", MAX)],
}];

static BILLING: &[NamespaceDef] = &[NamespaceDef {
    namespace: "AWS/Billing",
    resource: None,
    metrics: &[("EstimatedCharges", MAX)],
}];

/// Default timing of a module: (period, delay, length).
fn default_timing(kind: ModuleKind) -> (Duration, Duration, Duration) {
    const MIN: u64 = 60;
    match kind {
        // Daily metrics, stamped at midnight UTC: look two days back.
        ModuleKind::S3DailyStorage => (
            Duration::from_secs(86_400),
            Duration::ZERO,
            Duration::from_secs(2 * 86_400),
        ),
        // Published a few times a day.
        ModuleKind::Billing => (
            Duration::from_secs(6 * 3600),
            Duration::ZERO,
            Duration::from_secs(86_400),
        ),
        // One-minute metrics: 2 minutes late by default, a 5-minute window.
        ModuleKind::Usage | ModuleKind::S3Request => (
            Duration::from_secs(MIN),
            Duration::from_secs(2 * MIN),
            Duration::from_secs(5 * MIN),
        ),
        // Five-minute (basic monitoring) metrics.
        _ => (
            Duration::from_secs(5 * MIN),
            Duration::from_secs(2 * MIN),
            Duration::from_secs(10 * MIN),
        ),
    }
}

/// The catalog entry of a built-in module (empty for `cloudwatch`).
pub fn namespaces(kind: ModuleKind) -> &'static [NamespaceDef] {
    match kind {
        ModuleKind::Ec2 => EC2,
        ModuleKind::Elb => ELB,
        ModuleKind::Sqs => SQS,
        ModuleKind::S3Request => S3_REQUEST,
        ModuleKind::S3DailyStorage => S3_DAILY_STORAGE,
        ModuleKind::Lambda => LAMBDA,
        ModuleKind::Rds => RDS,
        ModuleKind::Dynamodb => DYNAMODB,
        ModuleKind::Ebs => EBS,
        ModuleKind::Sns => SNS,
        ModuleKind::Natgateway => NATGATEWAY,
        ModuleKind::Transitgateway => TRANSITGATEWAY,
        ModuleKind::Vpn => VPN,
        ModuleKind::Usage => USAGE,
        ModuleKind::Billing => BILLING,
        ModuleKind::Cloudwatch => &[],
    }
}

/// Which metrics of a namespace a module polls.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricSelection {
    /// These metrics, each with its statistics.
    Listed(Vec<(String, Arc<[Statistic]>)>),
    /// Every metric of the namespace, each with these statistics.
    All(Arc<[Statistic]>),
}

/// One namespace of a module's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespacePlan {
    /// The CloudWatch namespace.
    pub namespace: String,
    /// Its tagged resources, if any.
    pub resource: Option<ResourceDef>,
    /// Metrics to poll.
    pub metrics: MetricSelection,
    /// Dimensions a series must have.
    pub dimensions: Vec<DimensionFilter>,
}

impl NamespacePlan {
    /// The statistics of `metric`, or `None` when the metric is not polled.
    pub fn statistics(&self, metric: &str) -> Option<Arc<[Statistic]>> {
        match &self.metrics {
            MetricSelection::All(stats) => Some(stats.clone()),
            MetricSelection::Listed(list) => list
                .iter()
                .find(|(name, _)| name == metric)
                .map(|(_, s)| s.clone()),
        }
    }

    /// Whether a series with `dimensions` passes the dimension filters.
    pub fn accepts_dimensions(&self, dimensions: &[(String, String)]) -> bool {
        self.dimensions.iter().all(|f| {
            dimensions
                .iter()
                .any(|(n, v)| *n == f.name && f.value.as_ref().is_none_or(|want| want == v))
        })
    }
}

/// The effective settings of one module file: its defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ModulePlan {
    /// Which module.
    pub kind: ModuleKind,
    /// Regions polled (at least one; empty means the default region of the AWS settings).
    pub regions: Vec<String>,
    /// Datapoint granularity.
    pub period: Duration,
    /// Window end behind now.
    pub delay: Duration,
    /// Window length.
    pub length: Duration,
    /// Time between polls.
    pub interval: Duration,
    /// Namespaces and their metrics.
    pub namespaces: Vec<NamespacePlan>,
    /// Tag filter (empty: every resource).
    pub tags_filter: BTreeMap<String, TagValues>,
    /// Tags exported as labels.
    pub export_tags: Vec<String>,
    /// Reuse of discovery results.
    pub discovery_ttl: Duration,
    /// The module's own AWS settings (unset keys from the top level).
    pub aws: AwsSettings,
}

/// A module file that cannot be used: the key at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// The top-level key at fault (for the line number).
    pub key: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn fail<T>(key: &'static str, reason: String) -> Result<T, PlanError> {
    Err(PlanError { key, reason })
}

impl MetricsModuleConfig {
    /// The module's effective plan, or what is wrong with the file.
    pub fn plan(&self) -> Result<ModulePlan, PlanError> {
        let kind = self.metrics;
        let (period0, delay0, length0) = default_timing(kind);
        let period = self.period.unwrap_or(period0);
        let secs = period.as_secs();
        if period.subsec_nanos() != 0
            || !(secs % 60 == 0 && secs > 0 || [1, 5, 10, 30].contains(&secs))
        {
            return fail(
                "period",
                format!("period must be 1s, 5s, 10s, 30s or a multiple of 60s, not {period:?}"),
            );
        }
        let length = self.length.unwrap_or(length0.max(period));
        if length < period {
            return fail("length", "length must be at least the period".into());
        }
        let delay = self.delay.unwrap_or(delay0);
        let interval = self.interval.unwrap_or(period);
        if interval.is_zero() {
            return fail("interval", "interval must be positive".into());
        }
        let mut regions = self.regions.clone();
        if kind == ModuleKind::Billing {
            if regions.iter().any(|r| r != "us-east-1") {
                return fail("regions", "billing metrics exist in us-east-1 only".into());
            }
            regions = vec!["us-east-1".into()];
        }
        let namespaces = if kind == ModuleKind::Cloudwatch {
            if self.namespaces.is_empty() {
                return fail(
                    "namespaces",
                    "the cloudwatch module needs `namespaces:` (each with `namespace:`)".into(),
                );
            }
            if !self.metric_names.is_empty() {
                return fail(
                    "metric_names",
                    "the cloudwatch module lists metric_names per namespace".into(),
                );
            }
            let module_stats: Arc<[Statistic]> = if self.statistics.is_empty() {
                AVG.into()
            } else {
                self.statistics.clone().into()
            };
            self.namespaces
                .iter()
                .map(|n| {
                    if n.namespace.is_empty() {
                        return fail("namespaces", "a namespace name is empty".into());
                    }
                    let stats: Arc<[Statistic]> = if n.statistics.is_empty() {
                        module_stats.clone()
                    } else {
                        n.statistics.clone().into()
                    };
                    let metrics = if n.metric_names.is_empty() {
                        MetricSelection::All(stats)
                    } else {
                        MetricSelection::Listed(
                            n.metric_names
                                .iter()
                                .map(|m| (m.clone(), stats.clone()))
                                .collect(),
                        )
                    };
                    Ok(NamespacePlan {
                        namespace: n.namespace.clone(),
                        resource: None,
                        metrics,
                        dimensions: n.dimensions.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        } else {
            if !self.namespaces.is_empty() {
                return fail(
                    "namespaces",
                    format!(
                        "`namespaces` is for the cloudwatch module; the {} module has fixed namespaces",
                        kind.name()
                    ),
                );
            }
            let global: Option<Arc<[Statistic]>> =
                (!self.statistics.is_empty()).then(|| self.statistics.clone().into());
            namespaces(kind)
                .iter()
                .map(|def| {
                    let stats_of = |defaults: &'static [Statistic]| {
                        global.clone().unwrap_or_else(|| defaults.into())
                    };
                    let listed = if self.metric_names.is_empty() {
                        def.metrics
                            .iter()
                            .map(|(name, stats)| (name.to_string(), stats_of(stats)))
                            .collect()
                    } else {
                        self.metric_names
                            .iter()
                            .map(|name| {
                                let defaults = def
                                    .metrics
                                    .iter()
                                    .find(|(n, _)| n == name)
                                    .map_or(AVG, |(_, s)| *s);
                                (name.clone(), stats_of(defaults))
                            })
                            .collect()
                    };
                    NamespacePlan {
                        namespace: def.namespace.to_string(),
                        resource: def.resource,
                        metrics: MetricSelection::Listed(listed),
                        dimensions: Vec::new(),
                    }
                })
                .collect()
        };
        let taggable = namespaces.iter().any(|n| n.resource.is_some());
        if !taggable && (!self.tags_filter.is_empty() || !self.export_tags.is_empty()) {
            let key = if self.tags_filter.is_empty() {
                "export_tags"
            } else {
                "tags_filter"
            };
            return fail(
                key,
                format!(
                    "the {} module's metrics have no tagged resources; `{key}` cannot apply",
                    kind.name()
                ),
            );
        }
        Ok(ModulePlan {
            kind,
            regions,
            period,
            delay,
            length,
            interval,
            namespaces,
            tags_filter: self.tags_filter.clone(),
            export_tags: self.export_tags.clone(),
            discovery_ttl: self.discovery_ttl.unwrap_or(Duration::from_secs(600)),
            aws: self.aws.clone(),
        })
    }
}

impl ModulePlan {
    /// The regions to poll: the module's own, else the default region of
    /// `sdk` (its AWS settings), else `us-east-1`.
    pub fn regions_or_default(&self, sdk: &aws_config::SdkConfig) -> Vec<String> {
        if self.regions.is_empty() {
            vec![sdk
                .region()
                .map_or_else(|| "us-east-1".to_string(), |r| r.to_string())]
        } else {
            self.regions.clone()
        }
    }

    /// Whether ListMetrics may ask for recently active metrics only
    /// (`RecentlyActive=PT3H`): when the whole window lies within the last three hours.
    pub fn recently_active(&self) -> bool {
        self.delay + self.length <= Duration::from_secs(3 * 3600)
    }

    /// Whether resources with `tags` pass the tag filter.
    pub fn tags_match(&self, tags: &BTreeMap<String, String>) -> bool {
        self.tags_filter
            .iter()
            .all(|(k, want)| tags.get(k).is_some_and(|v| want.accepts(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> MetricsModuleConfig {
        serde_norway::from_str(yaml).unwrap()
    }

    #[test]
    fn statistics_parse_basic_and_percentiles() {
        assert_eq!(Statistic::parse("Average"), Ok(Statistic::Average));
        for p in ["p99", "p99.9", "p50", "p100", "p0.01", "p99.99"] {
            let s = Statistic::parse(p).unwrap();
            assert_eq!(s.request_name(), p);
        }
        for bad in [
            "p", "p0", "p101", "p99.", "p99.999", "p-1", "pabc", "avg", "P99",
        ] {
            assert!(Statistic::parse(bad).is_err(), "{bad}");
        }
        let p = Statistic::parse("p99.9").unwrap();
        assert_eq!(p.prometheus_suffix(), "p99_9");
        assert_eq!(p.event_key(), "p99_9");
        assert_eq!(Statistic::SampleCount.prometheus_suffix(), "sample_count");
        assert_eq!(Statistic::Average.event_key(), "avg");
    }

    #[test]
    fn builtin_module_takes_its_defaults() {
        let plan = config("metrics: ec2\n").plan().unwrap();
        assert_eq!(plan.period, Duration::from_secs(300));
        assert!(plan.delay >= Duration::from_secs(120));
        assert_eq!(plan.interval, plan.period);
        assert!(plan.recently_active());
        let ns = &plan.namespaces[0];
        assert_eq!(ns.namespace, "AWS/EC2");
        assert_eq!(
            ns.statistics("CPUUtilization").unwrap().as_ref(),
            &[Statistic::Average, Statistic::Maximum]
        );
        assert!(ns.statistics("Nope").is_none());
        let elb = config("metrics: elb\n").plan().unwrap();
        let names: Vec<_> = elb
            .namespaces
            .iter()
            .map(|n| n.namespace.as_str())
            .collect();
        assert_eq!(names, ["AWS/ApplicationELB", "AWS/NetworkELB", "AWS/ELB"]);
        let billing = config("metrics: billing\n").plan().unwrap();
        assert_eq!(billing.regions, ["us-east-1"]);
        let daily = config("metrics: s3_daily_storage\n").plan().unwrap();
        assert_eq!(daily.period, Duration::from_secs(86_400));
        for kind in ModuleKind::ALL {
            if kind != ModuleKind::Cloudwatch {
                assert!(!namespaces(kind).is_empty(), "{kind:?}");
            }
        }
    }

    #[test]
    fn overrides_apply_to_every_metric() {
        let plan = config(
            "metrics: sqs\nstatistics: [Sum, p99.9]\nmetric_names: [NumberOfMessagesSent]\nperiod: 60s\ndelay: 0s\nlength: 5m\ninterval: 10s\ntags_filter: {env: [prod, staging], team: core}\nexport_tags: [env]\n",
        )
        .plan()
        .unwrap();
        let ns = &plan.namespaces[0];
        assert_eq!(
            ns.metrics,
            MetricSelection::Listed(vec![(
                "NumberOfMessagesSent".into(),
                vec![Statistic::Sum, Statistic::Percentile("p99.9".into())].into()
            )])
        );
        assert_eq!(plan.interval, Duration::from_secs(10));
        let tags = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(plan.tags_match(&tags(&[("env", "staging"), ("team", "core")])));
        assert!(!plan.tags_match(&tags(&[("env", "dev"), ("team", "core")])));
        assert!(!plan.tags_match(&tags(&[("env", "prod")])));
    }

    #[test]
    fn generic_module_needs_namespaces_and_filters_dimensions() {
        let err = config("metrics: cloudwatch\n").plan().unwrap_err();
        assert_eq!(err.key, "namespaces");
        let plan = config(
            "metrics: cloudwatch\nstatistics: [Maximum]\nnamespaces:\n  - namespace: MyApp/Orders\n    dimensions: [{name: Shop, value: eu}]\n  - namespace: AWS/SQS\n    metric_names: [NumberOfMessagesSent]\n    statistics: [Sum]\n",
        )
        .plan()
        .unwrap();
        assert_eq!(
            plan.namespaces[0].metrics,
            MetricSelection::All(vec![Statistic::Maximum].into())
        );
        let dims = |v: &str| vec![("Shop".to_string(), v.to_string())];
        assert!(plan.namespaces[0].accepts_dimensions(&dims("eu")));
        assert!(!plan.namespaces[0].accepts_dimensions(&dims("us")));
        assert!(!plan.namespaces[0].accepts_dimensions(&[]));
        assert_eq!(
            plan.namespaces[1]
                .statistics("NumberOfMessagesSent")
                .unwrap()
                .as_ref(),
            &[Statistic::Sum]
        );
    }

    #[test]
    fn invalid_settings_name_their_key() {
        let cases = [
            ("metrics: ec2\nperiod: 90s\n", "period"),
            ("metrics: ec2\nperiod: 300s\nlength: 60s\n", "length"),
            ("metrics: billing\nregions: [eu-west-1]\n", "regions"),
            ("metrics: usage\ntags_filter: {env: prod}\n", "tags_filter"),
            ("metrics: ec2\nnamespaces: [{namespace: X}]\n", "namespaces"),
        ];
        for (yaml, key) in cases {
            assert_eq!(config(yaml).plan().unwrap_err().key, key, "{yaml}");
        }
        assert!(serde_norway::from_str::<MetricsModuleConfig>("metrics: ec3\n").is_err());
        assert!(
            serde_norway::from_str::<MetricsModuleConfig>("metrics: ec2\nstatistics: [Avg]\n")
                .is_err()
        );
        assert!(
            serde_norway::from_str::<MetricsModuleConfig>("metrics: ec2\nperiood: 60s\n").is_err()
        );
    }

    #[test]
    fn arn_ids() {
        assert_eq!(
            ArnId::AfterSlash.extract("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"),
            Some("i-0abc")
        );
        assert_eq!(
            ArnId::AfterColon.extract("arn:aws:sqs:us-east-1:123456789012:orders"),
            Some("orders")
        );
        assert_eq!(
            ArnId::AfterColon.extract("arn:aws:s3:::my-bucket"),
            Some("my-bucket")
        );
        assert_eq!(
            ArnId::LoadBalancer.extract(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
            ),
            Some("app/web/50dc6c495c0c9188")
        );
    }
}
