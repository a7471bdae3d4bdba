//! Discovery: which series exist (ListMetrics), which resources they belong
//! to and their tags (Resource Groups Tagging API GetResources), and, for
//! EC2, instance metadata (DescribeInstances). Every call is paginated to
//! the end and goes through the shared [`Limits`]; the poller caches the
//! results for the module's `discovery_ttl`.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_cloudwatch::types::RecentlyActive;
use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::limit::Limits;
use super::module::TagValues;
use crate::aws::error_summary;

/// A failed discovery or collection request.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{api} in {region}: {message}")]
pub struct ApiError {
    /// The API (`ListMetrics`).
    pub api: &'static str,
    /// The region asked.
    pub region: String,
    /// The error code and message.
    pub message: String,
}

/// The AWS clients of one module in one region.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Region of every client.
    pub region: String,
    /// CloudWatch (ListMetrics, GetMetricData).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Resource Groups Tagging API (GetResources).
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    /// EC2 (DescribeInstances).
    pub ec2: aws_sdk_ec2::Client,
    /// STS (GetCallerIdentity, for `account_id`).
    pub sts: aws_sdk_sts::Client,
}

/// A metric series as ListMetrics names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricRef {
    /// Namespace (`AWS/EC2`).
    pub namespace: Arc<str>,
    /// Metric name (`CPUUtilization`).
    pub name: Arc<str>,
    /// Dimensions, sorted by name.
    pub dimensions: Vec<(String, String)>,
}

/// EC2 instance metadata (for the ec2 module's events).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instance {
    /// `i-0abc…`.
    pub id: String,
    /// The `Name` tag.
    pub name: Option<String>,
    /// `t3.micro`.
    pub instance_type: Option<String>,
    /// `us-east-1a`.
    pub availability_zone: Option<String>,
    /// `running`, `stopped`, …
    pub state: Option<String>,
    /// Private IPv4 address.
    pub private_ip: Option<String>,
    /// AMI id.
    pub image_id: Option<String>,
}

/// A tagged resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    /// Its ARN.
    pub arn: String,
    /// All its tags.
    pub tags: BTreeMap<String, String>,
    /// Instance metadata (EC2 instances only).
    pub instance: Option<Instance>,
}

fn api_error<E, R>(
    api: &'static str,
    region: &str,
    e: &aws_sdk_cloudwatch::error::SdkError<E, R>,
) -> ApiError
where
    E: aws_sdk_cloudwatch::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    ApiError {
        api,
        region: region.to_string(),
        message: error_summary(e),
    }
}

/// The token of the next page of a paginated AWS call: `None` (the last
/// page) when the response has none, or an empty one, as some servers send.
pub fn next_page(token: Option<&str>) -> Option<String> {
    token.filter(|t| !t.is_empty()).map(str::to_string)
}

/// Every series of `namespace` (all pages); only those active in the last
/// three hours when `recently_active`.
pub async fn list_metrics(
    clients: &Clients,
    limits: &Limits,
    namespace: &str,
    recently_active: bool,
) -> Result<Vec<MetricRef>, ApiError> {
    let ns: Arc<str> = Arc::from(namespace);
    let mut names: BTreeMap<String, Arc<str>> = BTreeMap::new();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = limits
            .call("ListMetrics", || {
                let mut req = clients
                    .cloudwatch
                    .list_metrics()
                    .namespace(namespace)
                    .set_next_token(token.clone());
                if recently_active {
                    req = req.recently_active(RecentlyActive::Pt3H);
                }
                req.send()
            })
            .await
            .map_err(|e| api_error("ListMetrics", &clients.region, &e))?;
        for m in page.metrics() {
            let Some(name) = m.metric_name() else {
                continue;
            };
            let name = names
                .entry(name.to_string())
                .or_insert_with(|| Arc::from(name))
                .clone();
            let mut dimensions: Vec<(String, String)> = m
                .dimensions()
                .iter()
                .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                .collect();
            dimensions.sort();
            out.push(MetricRef {
                namespace: ns.clone(),
                name,
                dimensions,
            });
        }
        token = next_page(page.next_token());
        if token.is_none() {
            break;
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every resource of `type_filters` with its tags (all pages); with a
/// `tags_filter`, only matching ones (filtered by the API).
pub async fn tagged_resources(
    clients: &Clients,
    limits: &Limits,
    type_filters: &[&str],
    tags_filter: &BTreeMap<String, TagValues>,
) -> Result<Vec<Resource>, ApiError> {
    let filters: Vec<TagFilter> = tags_filter
        .iter()
        .map(|(k, v)| {
            TagFilter::builder()
                .key(k)
                .set_values(Some(v.values()))
                .build()
        })
        .collect();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = limits
            .call("GetResources", || {
                clients
                    .tagging
                    .get_resources()
                    .set_resource_type_filters(Some(
                        type_filters.iter().map(|s| s.to_string()).collect(),
                    ))
                    .set_tag_filters((!filters.is_empty()).then(|| filters.clone()))
                    .set_pagination_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| api_error("GetResources", &clients.region, &e))?;
        for mapping in page.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn() else {
                continue;
            };
            let tags = mapping
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            out.push(Resource {
                arn: arn.to_string(),
                tags,
                instance: None,
            });
        }
        token = next_page(page.pagination_token());
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Every EC2 instance of the region (all pages) as a resource: its tags and metadata.
pub async fn instances(
    clients: &Clients,
    limits: &Limits,
    account: &str,
) -> Result<Vec<Resource>, ApiError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = limits
            .call("DescribeInstances", || {
                clients
                    .ec2
                    .describe_instances()
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| api_error("DescribeInstances", &clients.region, &e))?;
        for reservation in page.reservations() {
            for i in reservation.instances() {
                let Some(id) = i.instance_id() else { continue };
                let tags: BTreeMap<String, String> = i
                    .tags()
                    .iter()
                    .filter_map(|t| {
                        Some((
                            t.key()?.to_string(),
                            t.value().unwrap_or_default().to_string(),
                        ))
                    })
                    .collect();
                let instance = Instance {
                    id: id.to_string(),
                    name: tags.get("Name").cloned(),
                    instance_type: i.instance_type().map(|t| t.as_str().to_string()),
                    availability_zone: i
                        .placement()
                        .and_then(|p| p.availability_zone())
                        .map(str::to_string),
                    state: i
                        .state()
                        .and_then(|s| s.name())
                        .map(|n| n.as_str().to_string()),
                    private_ip: i.private_ip_address().map(str::to_string),
                    image_id: i.image_id().map(str::to_string),
                };
                out.push(Resource {
                    arn: format!("arn:aws:ec2:{}:{account}:instance/{id}", clients.region),
                    tags,
                    instance: Some(instance),
                });
            }
        }
        token = next_page(page.next_token());
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// The account the credentials belong to.
pub async fn account_id(clients: &Clients, limits: &Limits) -> Result<String, ApiError> {
    let out = limits
        .call("GetCallerIdentity", || {
            clients.sts.get_caller_identity().send()
        })
        .await
        .map_err(|e| api_error("GetCallerIdentity", &clients.region, &e))?;
    Ok(out.account().unwrap_or_default().to_string())
}
