//! `loglift run`: wires inputs, the CloudWatch pollers, the pipeline and
//! outputs together and runs them until SIGINT or SIGTERM, then shuts down gracefully (DESIGN §7):
//! stop receiving, finish in-flight objects, flush outputs, exit.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::cli::UsageError;
use crate::cloudwatch::discovery::Clients;
use crate::cloudwatch::limit::Limits;
use crate::cloudwatch::module::ModulePlan;
use crate::cloudwatch::{Poller, PollerSettings};
use crate::config::{Config, InputConfig, Module};
use crate::dataset::Registry;
use crate::geoip::GeoIp;
use crate::input::object::ObjectReader;
use crate::input::s3_poll::S3PollInput;
use crate::input::sqs::SqsInput;
use crate::output::{self, Output};
use crate::{aws, http, metrics, status};

/// Batches (about 1 MiB each) that may wait in each output's queue before
/// intake slows down. With an output's group of [`output::GROUP`] batches
/// taken from it, this bounds the events held in memory to about 32 MiB,
/// whatever the objects' size; the outputs share the batches, so a second
/// output adds no copies.
const OUTPUT_QUEUE: usize = 16;

/// Runs the agent described by the configuration at `path`.
pub async fn run(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path).map_err(|e| UsageError(e.to_string()))?;
    let modules = config
        .modules(path)
        .map_err(|e| UsageError(e.to_string()))?;
    let geoip = GeoIp::open_configured(&config.geoip, Some(path), &[])
        .map_err(|e| UsageError(format!("{}: geoip: {e}", path.display())))?;
    if let Some(geoip) = &geoip {
        geoip.watch(config.geoip.reload_interval);
    }
    let registry = Arc::new(
        Registry::from_config(&config, &modules)
            .map_err(|e| UsageError(e.to_string()))?
            .with_geoip(geoip),
    );
    let metric_modules: Vec<(String, Arc<ModulePlan>)> = modules
        .iter()
        .filter(|m| m.enabled)
        .filter_map(|m| match &m.module {
            Module::Metrics { plan, .. } => {
                Some((m.path.display().to_string(), Arc::new((**plan).clone())))
            }
            Module::Logs { .. } => None,
        })
        .collect();
    if config.inputs.is_empty() && metric_modules.is_empty() {
        return Err(UsageError(format!(
            "{}: no inputs configured and no metrics module enabled",
            path.display()
        ))
        .into());
    }
    let metric_events = !metric_modules.is_empty() && config.cloudwatch.events;
    if config.outputs.is_empty() && (!config.inputs.is_empty() || metric_events) {
        return Err(UsageError(format!("{}: no outputs configured", path.display())).into());
    }
    metrics::init();
    let outputs = config
        .outputs
        .iter()
        .map(|o| Output::open(o).with_context(|| format!("opening output {o:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (deliveries, output_thread) = output::spawn(outputs, OUTPUT_QUEUE);
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    let http = http::serve(&config.http.listen, shutdown.clone()).await?;
    info!(datasets = ?registry.names(), inputs = config.inputs.len(), metrics_modules = metric_modules.len(), "loglift started");

    let mut inputs = tokio::task::JoinSet::new();
    for input in &config.inputs {
        match input {
            InputConfig::Sqs(c) => {
                let settings = c.aws.or(&config.aws);
                let sdk = aws::sdk_config(&settings).await;
                aws::check_credentials(&format!("sqs {}", c.queue_url), &sdk, &settings).await;
                let reader = Arc::new(ObjectReader {
                    s3: aws::s3_client(&sdk, &settings),
                    registry: registry.clone(),
                    outputs: deliveries.clone(),
                    namespace: config.namespace.clone(),
                    status: status::global().add_input("sqs", c.queue_url.clone()),
                });
                let input = Arc::new(SqsInput::new(c.clone(), aws::sqs_client(&sdk), reader));
                inputs.spawn(input.run(shutdown.clone()));
            }
            InputConfig::S3Poll(c) => {
                let settings = c.aws.or(&config.aws);
                let sdk = aws::sdk_config(&settings).await;
                aws::check_credentials(
                    &format!("s3_poll s3://{}/{}", c.bucket, c.prefix),
                    &sdk,
                    &settings,
                )
                .await;
                let reader = Arc::new(ObjectReader {
                    s3: aws::s3_client(&sdk, &settings),
                    registry: registry.clone(),
                    outputs: deliveries.clone(),
                    namespace: config.namespace.clone(),
                    status: status::global()
                        .add_input("s3_poll", format!("s3://{}/{}", c.bucket, c.prefix)),
                });
                let input = Arc::new(S3PollInput::new(
                    c.clone(),
                    aws::s3_client(&sdk, &settings),
                    reader,
                    settings.region.clone(),
                ));
                inputs.spawn(input.run(shutdown.clone()));
            }
        }
    }
    let cw = &config.cloudwatch;
    let limits = Arc::new(Limits::new(
        cw.concurrency,
        cw.requests_per_second,
        cw.max_retries,
        cw.retry_backoff,
    ));
    for (file, plan) in &metric_modules {
        let settings = plan.aws.or(&config.aws);
        let sdk = aws::sdk_config(&settings).await;
        let regions = plan.regions_or_default(&sdk);
        aws::check_credentials(&format!("metrics {file}"), &sdk, &settings).await;
        for region in regions {
            let poller = Poller::new(
                plan.clone(),
                Clients::new(&sdk, &region),
                limits.clone(),
                PollerSettings {
                    queries_per_call: cw.queries_per_call,
                    data_stream_namespace: config.namespace.clone(),
                },
                metric_events.then(|| deliveries.clone()),
                status::global()
                    .add_input("cloudwatch", format!("{} {region}", plan.kind.dataset())),
                file,
            );
            inputs.spawn(poller.run(shutdown.clone()));
        }
    }
    drop(deliveries);
    while inputs.join_next().await.is_some() {}
    info!("inputs stopped; flushing outputs");
    tokio::task::spawn_blocking(move || output_thread.join())
        .await
        .ok();
    http.abort();
    info!("loglift stopped");
    Ok(())
}

async fn wait_for_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    info!("shutdown requested");
    shutdown.cancel();
}
