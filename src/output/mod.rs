//! Outputs: where NDJSON batches of events go, and the acknowledgements that
//! tell the inputs a batch is stored.
//!
//! Every batch goes to every output; its acknowledgement fires once all of
//! them have stored it (for the file output: written and fsynced; for
//! Elasticsearch: every event created, already there, or dead-lettered).
//! The channel into the outputs is bounded, so a slow output slows intake.

pub mod elasticsearch;
pub mod file;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tracing::{error, info};

use crate::config::OutputConfig;
use crate::metrics;
use crate::pipeline::Batch;
use crate::status::{self, OutputStatus};

/// A batch on its way to the outputs, with the acknowledgement to fire once stored.
#[derive(Debug)]
pub struct Delivery {
    /// The events.
    pub batch: Batch,
    /// Fired with `Ok` when every output stored the batch, `Err` when one failed.
    pub ack: oneshot::Sender<Result<(), String>>,
}

/// One configured output.
pub enum Output {
    /// NDJSON on standard output.
    Stdout(std::io::Stdout),
    /// NDJSON to a rotated file.
    File(file::FileOutput),
    /// Documents into Elasticsearch data streams.
    Elasticsearch(Box<elasticsearch::ElasticsearchOutput>),
}

/// Why an output could not be opened or could not store a group of batches.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Writing a file or standard output.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Opening the Elasticsearch output.
    #[error(transparent)]
    ElasticsearchOpen(#[from] elasticsearch::OpenError),
    /// Delivering to Elasticsearch.
    #[error(transparent)]
    Elasticsearch(#[from] elasticsearch::DeliveryError),
}

/// How the events of a stored group ended up, beyond plainly stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Events the store already held (Elasticsearch 409 on `create`).
    pub duplicates: u64,
    /// Events the store refused, kept in its dead-letter file.
    pub dead_lettered: u64,
}

/// How long a batch may wait on the output thread for more batches, and
/// how many events or bytes make waiting pointless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linger {
    /// The longest wait, from the first batch of a group.
    pub interval: Duration,
    /// Events that fill a request.
    pub events: usize,
    /// Bytes that fill a request.
    pub bytes: usize,
}

impl Output {
    /// Opens the output `config` describes.
    pub fn open(config: &OutputConfig) -> Result<Output, OutputError> {
        Ok(match config {
            OutputConfig::Stdout {} => Output::Stdout(std::io::stdout()),
            OutputConfig::File(f) => Output::File(file::FileOutput::open(f)?),
            OutputConfig::Elasticsearch(es) => {
                Output::Elasticsearch(Box::new(elasticsearch::ElasticsearchOutput::open(es)?))
            }
        })
    }

    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Output::Stdout(_) => "stdout",
            Output::File(_) => "file",
            Output::Elasticsearch(_) => elasticsearch::NAME,
        }
    }

    /// Whether batches should wait for more before this output stores them.
    pub fn linger(&self) -> Option<Linger> {
        match self {
            Output::Elasticsearch(es) => {
                let (interval, events, bytes) = es.linger();
                (!interval.is_zero()).then_some(Linger {
                    interval,
                    events,
                    bytes,
                })
            }
            Output::Stdout(_) | Output::File(_) => None,
        }
    }

    fn write(&mut self, ndjson: &[u8]) -> Result<(), OutputError> {
        match self {
            Output::Stdout(s) => s.lock().write_all(ndjson)?,
            Output::File(f) => f.write(ndjson)?,
            Output::Elasticsearch(es) => es.write(ndjson),
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<Stored, OutputError> {
        match self {
            Output::Stdout(s) => s.lock().flush()?,
            Output::File(f) => f.commit()?,
            Output::Elasticsearch(es) => {
                let report = es.commit()?;
                return Ok(Stored {
                    duplicates: report.duplicates,
                    dead_lettered: report.dead_lettered,
                });
            }
        }
        Ok(Stored::default())
    }
}

/// Most batches written between two commits (fsyncs): about 16 MiB.
pub const GROUP: usize = 16;

/// Runs the outputs on a dedicated thread until every sender is gone:
/// writes each batch to every output, commits (fsync, bulk requests) after
/// each group of batches that were waiting, then acknowledges the group.
///
/// When an output asks to [linger](Output::linger), a group that would not
/// fill one of its requests waits up to that long for more batches.
pub fn spawn(
    mut outputs: Vec<Output>,
    capacity: usize,
) -> (mpsc::Sender<Delivery>, std::thread::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Delivery>(capacity);
    let statuses: Vec<_> = outputs
        .iter()
        .map(|o| status::global().add_output(o.name()))
        .collect();
    let linger = outputs
        .iter()
        .filter_map(Output::linger)
        .reduce(|a, b| Linger {
            interval: a.interval.max(b.interval),
            events: a.events.max(b.events),
            bytes: a.bytes.max(b.bytes),
        });
    let handle = std::thread::Builder::new()
        .name("loglift-outputs".into())
        .spawn(move || {
            // Only to wait for batches with a time limit.
            let waiter = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a timer runtime for the output thread");
            let mut group = Vec::with_capacity(GROUP);
            while let Some(first) = waiter.block_on(rx.recv()) {
                let deadline = linger.map(|l| Instant::now() + l.interval);
                group.push(first);
                loop {
                    while group.len() < GROUP {
                        match rx.try_recv() {
                            Ok(d) => group.push(d),
                            Err(_) => break,
                        }
                    }
                    let (Some(linger), Some(deadline)) = (linger, deadline) else {
                        break;
                    };
                    let events: usize = group.iter().map(|d| d.batch.events).sum();
                    let bytes: usize = group.iter().map(|d| d.batch.ndjson.len()).sum();
                    if group.len() >= GROUP || events >= linger.events || bytes >= linger.bytes {
                        break;
                    }
                    let next = waiter.block_on(async {
                        tokio::time::timeout_at(deadline.into(), rx.recv()).await
                    });
                    match next {
                        Ok(Some(d)) => group.push(d),
                        Ok(None) | Err(_) => break,
                    }
                }
                let result = store(&mut outputs, &statuses, &group);
                if let Err(e) = &result {
                    error!(error = %e, batches = group.len(), "output failed; batches will be retried by their inputs");
                }
                for delivery in group.drain(..) {
                    let _ = delivery.ack.send(result.clone());
                }
            }
            for o in &mut outputs {
                if let Err(e) = o.commit().map(drop) {
                    error!(output = o.name(), error = %e, "final flush failed");
                }
            }
            info!("outputs closed");
        })
        .expect("spawn output thread");
    (tx, handle)
}

fn store(
    outputs: &mut [Output],
    statuses: &[Arc<OutputStatus>],
    group: &[Delivery],
) -> Result<(), String> {
    let events: usize = group.iter().map(|d| d.batch.events).sum();
    for (output, status) in outputs.iter_mut().zip(statuses) {
        let name = output.name();
        let timer = metrics::OUTPUT_LATENCY
            .with_label_values(&[name])
            .start_timer();
        let result = group
            .iter()
            .try_for_each(|d| output.write(&d.batch.ndjson))
            .and_then(|()| output.commit());
        timer.observe_duration();
        let count = |outcome: &str, n: u64| {
            metrics::OUTPUT_EVENTS
                .with_label_values(&[name, outcome])
                .inc_by(n)
        };
        match &result {
            Ok(stored) => {
                let plain =
                    (events as u64).saturating_sub(stored.duplicates + stored.dead_lettered);
                count("acked", plain);
                if stored.duplicates > 0 {
                    count("duplicate", stored.duplicates);
                }
                if stored.dead_lettered > 0 {
                    count("dead_lettered", stored.dead_lettered);
                }
            }
            Err(_) => count("failed", events as u64),
        }
        metrics::OUTPUT_BATCHES
            .with_label_values(&[name])
            .inc_by(group.len() as u64);
        let result = result.map(drop).map_err(|e| format!("{name}: {e}"));
        status.stored(&result);
        result?;
    }
    Ok(())
}
