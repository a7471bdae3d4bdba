//! The CloudWatch metrics poller (DESIGN §1, §8): per metric module and
//! region, discover series and resources, fetch the newest datapoints with
//! batched GetMetricData calls on the module's own timer, publish them as
//! Prometheus gauges and send them as metric events to the outputs.
//!
//! A scrape of `/metrics` only reads the last published snapshot: it never
//! calls AWS, so it costs nothing however often it happens.
//!
//! - [`module`]: module files, the catalog of modules, the effective plan;
//! - [`discovery`]: ListMetrics, GetResources, DescribeInstances, STS;
//! - [`collect`]: the aligned window, queries, GetMetricData batches;
//! - [`limit`]: concurrency, request rate, retries, request metrics;
//! - [`exposition`]: names, snapshots and the Prometheus collector;
//! - [`events`]: Metricbeat-like metric events.

pub mod collect;
pub mod discovery;
pub mod events;
pub mod exposition;
pub mod limit;
pub mod module;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::metrics;
use crate::output::Delivery;
use crate::status::InputStatus;
use collect::{QuerySpec, Window};
use discovery::{ApiError, Clients, MetricRef, Resource};
use exposition::{family_name, label_name, SnapshotBuilder, COLLECTOR};
use module::{ModuleKind, ModulePlan, Statistic};

/// Size of the NDJSON batches of metric events.
const EVENT_BATCH_BYTES: usize = 1 << 20;

impl Clients {
    /// Clients for `region` from `sdk`, with the SDK's retries off
    /// ([`limit::Limits`] retries and counts every attempt).
    pub fn new(sdk: &SdkConfig, region: &str) -> Clients {
        let sdk = sdk
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .region(aws_config::Region::new(region.to_string()))
            .build();
        Clients {
            region: region.to_string(),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&sdk),
            tagging: aws_sdk_resourcegroupstagging::Client::new(&sdk),
            ec2: aws_sdk_ec2::Client::new(&sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
        }
    }
}

/// Settings shared by every poller.
#[derive(Debug, Clone)]
pub struct PollerSettings {
    /// Queries per GetMetricData call (at most 500).
    pub queries_per_call: usize,
    /// `data_stream.namespace` of the events.
    pub data_stream_namespace: String,
}

/// The resources of one namespace by the value of the dimension that names them.
type ResourceIndex = HashMap<String, Arc<Resource>>;

/// Series of the same namespace and dimensions share one event group.
type GroupKey<'a> = (&'a str, &'a [(String, String)]);

/// A cached discovery result.
#[derive(Debug)]
struct Cached<T> {
    at: Instant,
    value: T,
}

/// A series to fetch: what ListMetrics found, its statistics, its resource.
#[derive(Debug)]
struct Target<'a> {
    metric: &'a MetricRef,
    statistics: Arc<[Statistic]>,
    resource: Option<Arc<Resource>>,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Series (metric and dimensions) polled.
    pub series: usize,
    /// Queries (series × statistics) sent.
    pub queries: usize,
    /// Gauges published (queries with a datapoint).
    pub values: usize,
    /// Metric events sent.
    pub events: usize,
}

/// One metrics module polling one region.
pub struct Poller {
    plan: Arc<ModulePlan>,
    clients: Clients,
    limits: Arc<limit::Limits>,
    settings: PollerSettings,
    outputs: Option<mpsc::Sender<Delivery>>,
    status: Arc<InputStatus>,
    /// Key of this poller's snapshot (module file and region).
    source: String,
    dataset: String,
    account: Option<String>,
    /// ListMetrics results per namespace.
    metrics_cache: HashMap<String, Cached<Vec<MetricRef>>>,
    /// Resources per namespace (index of the plan's namespaces), by dimension value.
    resources_cache: Option<Cached<Vec<ResourceIndex>>>,
}

impl Poller {
    /// A poller of `plan` in `clients.region`; `outputs` receives its metric
    /// events (none: gauges only); `source` names it (module file).
    pub fn new(
        plan: Arc<ModulePlan>,
        clients: Clients,
        limits: Arc<limit::Limits>,
        settings: PollerSettings,
        outputs: Option<mpsc::Sender<Delivery>>,
        status: Arc<InputStatus>,
        source: &str,
    ) -> Self {
        let dataset = plan.kind.dataset();
        Poller {
            source: format!("{source} {}", clients.region),
            plan,
            clients,
            limits,
            settings,
            outputs,
            status,
            dataset,
            account: None,
            metrics_cache: HashMap::new(),
            resources_cache: None,
        }
    }

    /// Polls every `interval` until `shutdown` is cancelled.
    pub async fn run(mut self, shutdown: CancellationToken) {
        info!(module = self.plan.kind.name(), region = %self.clients.region, period_s = self.plan.period.as_secs(), interval_s = self.plan.interval.as_secs_f64(), "cloudwatch poller started");
        let mut ticks = tokio::time::interval(self.plan.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = shutdown.cancelled() => break,
            }
            let started = Instant::now();
            let result = tokio::select! {
                r = self.poll_once() => r,
                () = shutdown.cancelled() => break,
            };
            metrics::CLOUDWATCH_POLL_DURATION
                .with_label_values(&[self.plan.kind.name()])
                .observe(started.elapsed().as_secs_f64());
            match result {
                Ok(stats) => {
                    self.status.polled(stats.events as u64);
                    info!(module = self.plan.kind.name(), region = %self.clients.region, series = stats.series, queries = stats.queries, values = stats.values, events = stats.events, seconds = started.elapsed().as_secs_f64(), "cloudwatch poll done");
                }
                Err(e) => {
                    warn!(module = self.plan.kind.name(), error = %e, "cloudwatch poll failed; retrying at the next interval");
                    self.status.poll_failed(e.to_string());
                }
            }
        }
        info!(module = self.plan.kind.name(), region = %self.clients.region, "cloudwatch poller stopped");
    }

    /// One poll: discovery (cached), GetMetricData, publish, events.
    pub async fn poll_once(&mut self) -> Result<PollStats, ApiError> {
        if self.account.is_none() {
            match discovery::account_id(&self.clients, &self.limits).await {
                Ok(a) => self.account = Some(a),
                Err(e) => {
                    warn!(error = %e, "cannot learn the account id; account_id stays empty until it can")
                }
            }
        }
        let account = self.account.clone().unwrap_or_default();
        self.refresh_metrics().await?;
        self.refresh_resources(&account).await?;
        let plan = self.plan.clone();
        let resources = &self.resources_cache.as_ref().expect("refreshed").value;
        let mut targets = Vec::new();
        for (i, ns) in plan.namespaces.iter().enumerate() {
            let Some(found) = self.metrics_cache.get(&ns.namespace) else {
                continue;
            };
            for metric in &found.value {
                let Some(statistics) = ns.statistics(&metric.name) else {
                    continue;
                };
                if !ns.accepts_dimensions(&metric.dimensions) {
                    continue;
                }
                let resource = ns.resource.and_then(|def| {
                    metric
                        .dimensions
                        .iter()
                        .find(|(n, _)| n == def.dimension)
                        .and_then(|(_, v)| resources[i].get(v).cloned())
                });
                if !plan.tags_filter.is_empty() && resource.is_none() {
                    continue;
                }
                targets.push(Target {
                    metric,
                    statistics,
                    resource,
                });
            }
        }
        let window = Window::aligned(SystemTime::now(), plan.period, plan.delay, plan.length);
        let mut specs = Vec::new();
        for (t, target) in targets.iter().enumerate() {
            for s in target.statistics.iter() {
                specs.push((t, s));
            }
        }
        let points = self.fetch(&targets, &specs, window).await?;
        let account_label: Arc<str> = Arc::from(account.as_str());
        let region_label: Arc<str> = Arc::from(self.clients.region.as_str());
        let mut builder = SnapshotBuilder::default();
        let mut groups: BTreeMap<(usize, i64), events::MetricGroup<'_>> = BTreeMap::new();
        let mut group_ids: HashMap<GroupKey<'_>, usize> = HashMap::new();
        let mut values = 0;
        for ((t, stat), point) in specs.iter().zip(&points) {
            let Some((timestamp, value)) = *point else {
                continue;
            };
            values += 1;
            let target = &targets[*t];
            let m = target.metric;
            let name = family_name(&m.namespace, &m.name, &stat.prometheus_suffix());
            let mut labels = Vec::with_capacity(m.dimensions.len() + plan.export_tags.len() + 2);
            for (d, v) in &m.dimensions {
                labels.push((label_name("dimension_", d), Arc::from(v.as_str())));
            }
            for key in &plan.export_tags {
                let v = target
                    .resource
                    .as_ref()
                    .and_then(|r| r.tags.get(key))
                    .map_or_else(|| Arc::from(""), |v| Arc::from(v.as_str()));
                labels.push((label_name("tag_", key), v));
            }
            labels.push(("region".to_string(), region_label.clone()));
            labels.push(("account_id".to_string(), account_label.clone()));
            builder.add(
                &name,
                || {
                    format!(
                        "CloudWatch {} {} ({}): newest datapoint of each series, period {}s.",
                        m.namespace,
                        m.name,
                        stat.request_name(),
                        plan.period.as_secs()
                    )
                },
                labels,
                value,
            );
            if self.outputs.is_some() {
                let next = group_ids.len();
                let gid = *group_ids
                    .entry((&m.namespace, m.dimensions.as_slice()))
                    .or_insert(next);
                groups
                    .entry((gid, timestamp))
                    .or_insert_with(|| events::MetricGroup {
                        namespace: &m.namespace,
                        dimensions: &m.dimensions,
                        resource: target.resource.as_deref(),
                        timestamp,
                        values: Vec::new(),
                    })
                    .values
                    .push((&m.name, stat.event_key(), value));
            }
        }
        // Building and encoding 100,000 series takes a fraction of a second of
        // CPU: off the async workers.
        let source = self.source.clone();
        tokio::task::spawn_blocking(move || COLLECTOR.publish(&source, builder.build()))
            .await
            .expect("publishing does not panic");
        let mut stats = PollStats {
            series: targets.len(),
            queries: specs.len(),
            values,
            events: 0,
        };
        if let Some(outputs) = &self.outputs {
            let ctx = events::EventContext {
                dataset: &self.dataset,
                module: plan.kind.name(),
                data_stream_namespace: &self.settings.data_stream_namespace,
                region: &self.clients.region,
                account_id: &account,
                period_secs: plan.period.as_secs(),
            };
            let batches = events::batches(&ctx, groups, EVENT_BATCH_BYTES);
            stats.events = send(outputs, &self.dataset, batches).await;
        }
        Ok(stats)
    }

    /// Fetches every query in batches of `queries_per_call`, the batches
    /// concurrently (within the shared limits).
    async fn fetch(
        &self,
        targets: &[Target<'_>],
        specs: &[(usize, &Statistic)],
        window: Window,
    ) -> Result<Vec<Option<(i64, f64)>>, ApiError> {
        let per_call = self
            .settings
            .queries_per_call
            .clamp(1, collect::MAX_QUERIES_PER_CALL);
        let mut tasks = tokio::task::JoinSet::new();
        for (b, chunk) in specs.chunks(per_call).enumerate() {
            let first = b * per_call;
            let queries: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(j, (t, stat))| {
                    let m = targets[*t].metric;
                    collect::query(
                        first + j,
                        &QuerySpec {
                            namespace: &m.namespace,
                            metric: &m.name,
                            dimensions: &m.dimensions,
                            statistic: stat,
                        },
                        self.plan.period,
                    )
                })
                .collect();
            let clients = self.clients.clone();
            let limits = self.limits.clone();
            tasks.spawn(async move {
                collect::fetch_batch(&clients, &limits, queries, first, window)
                    .await
                    .map(|points| (first, points))
            });
        }
        let mut out = vec![None; specs.len()];
        while let Some(joined) = tasks.join_next().await {
            let (first, points) = joined.expect("fetch task does not panic")?;
            for (i, p) in points.into_iter().enumerate() {
                out[first + i] = p;
            }
        }
        Ok(out)
    }

    /// ListMetrics for every namespace whose cached result is older than the TTL.
    async fn refresh_metrics(&mut self) -> Result<(), ApiError> {
        let ttl = self.plan.discovery_ttl;
        for ns in &self.plan.namespaces {
            if self
                .metrics_cache
                .get(&ns.namespace)
                .is_some_and(|c| c.at.elapsed() < ttl)
            {
                continue;
            }
            match discovery::list_metrics(
                &self.clients,
                &self.limits,
                &ns.namespace,
                self.plan.recently_active(),
            )
            .await
            {
                Ok(found) => {
                    self.metrics_cache.insert(
                        ns.namespace.clone(),
                        Cached {
                            at: Instant::now(),
                            value: found,
                        },
                    );
                }
                // A stale list is better than none.
                Err(e) if self.metrics_cache.contains_key(&ns.namespace) => {
                    warn!(error = %e, "ListMetrics failed; using the previous result");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Tagged resources (and EC2 instances) when the cached ones are older than the TTL.
    async fn refresh_resources(&mut self, account: &str) -> Result<(), ApiError> {
        if self
            .resources_cache
            .as_ref()
            .is_some_and(|c| c.at.elapsed() < self.plan.discovery_ttl)
        {
            return Ok(());
        }
        match self.discover_resources(account).await {
            Ok(value) => {
                self.resources_cache = Some(Cached {
                    at: Instant::now(),
                    value,
                });
                Ok(())
            }
            Err(e) if self.resources_cache.is_some() => {
                warn!(error = %e, "resource discovery failed; using the previous result");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn discover_resources(&self, account: &str) -> Result<Vec<ResourceIndex>, ApiError> {
        let plan = &self.plan;
        let mut index = vec![HashMap::new(); plan.namespaces.len()];
        let needs_tags = !plan.tags_filter.is_empty() || !plan.export_tags.is_empty();
        let mut filters: Vec<&str> = plan
            .namespaces
            .iter()
            .filter_map(|n| n.resource.map(|r| r.type_filter))
            .collect();
        filters.sort_unstable();
        filters.dedup();
        if filters.is_empty() {
            return Ok(index);
        }
        let mut resources: Vec<Resource> = if needs_tags {
            discovery::tagged_resources(&self.clients, &self.limits, &filters, &plan.tags_filter)
                .await?
        } else {
            Vec::new()
        };
        if plan.kind == ModuleKind::Ec2 {
            // Instance metadata, and tags for instances the tagging API did not return.
            let instances = discovery::instances(&self.clients, &self.limits, account).await?;
            let mut by_id: HashMap<String, usize> = resources
                .iter()
                .enumerate()
                .filter_map(|(i, r)| Some((r.arn.rsplit_once('/')?.1.to_string(), i)))
                .collect();
            for mut instance in instances {
                let id = instance
                    .instance
                    .as_ref()
                    .map(|i| i.id.clone())
                    .unwrap_or_default();
                match by_id.get(&id) {
                    Some(&i) => {
                        let tagged = &mut resources[i];
                        for (k, v) in std::mem::take(&mut instance.tags) {
                            tagged.tags.entry(k).or_insert(v);
                        }
                        tagged.instance = instance.instance;
                    }
                    None => {
                        by_id.insert(id, resources.len());
                        resources.push(instance);
                    }
                }
            }
        }
        for resource in resources {
            if !plan.tags_match(&resource.tags) {
                continue;
            }
            let resource = Arc::new(resource);
            for (i, ns) in plan.namespaces.iter().enumerate() {
                let Some(def) = ns.resource else { continue };
                if def.arn_contains.is_some_and(|c| !resource.arn.contains(c)) {
                    continue;
                }
                if let Some(id) = def.id.extract(&resource.arn) {
                    index[i].insert(id.to_string(), resource.clone());
                }
            }
        }
        Ok(index)
    }
}

/// Sends metric event batches through the outputs' bounded channel and
/// waits for their acknowledgements; returns the events stored.
async fn send(
    outputs: &mpsc::Sender<Delivery>,
    dataset: &str,
    batches: Vec<crate::pipeline::Batch>,
) -> usize {
    let mut acks = Vec::new();
    for batch in batches {
        let events = batch.events;
        let (ack, stored) = oneshot::channel();
        if outputs.send(Delivery { batch, ack }).await.is_err() {
            warn!(dataset, "outputs closed; metric events dropped");
            break;
        }
        acks.push((events, stored));
    }
    let mut sent = 0;
    for (events, stored) in acks {
        match stored.await {
            Ok(Ok(())) => {
                sent += events;
                metrics::EVENTS
                    .with_label_values(&[dataset, "ok"])
                    .inc_by(events as u64);
            }
            Ok(Err(e)) => warn!(dataset, error = %e, events, "metric events not stored"),
            Err(_) => warn!(
                dataset,
                events, "outputs stopped before storing metric events"
            ),
        }
    }
    sent
}
