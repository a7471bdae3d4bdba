//! Outputs: where NDJSON batches of events go, and the acknowledgements that
//! tell the inputs a batch is stored.
//!
//! Every batch goes to every output; its acknowledgement fires once all of
//! them have stored it (for the file output: written and fsynced; for
//! Elasticsearch: every event created, already there, or dead-lettered).
//! Each output runs on a thread of its own behind a bounded queue, so a slow
//! output slows intake without holding up the others' writes.

pub mod elasticsearch;
pub mod file;

use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus::IntGauge;
use tokio::sync::{mpsc, oneshot};
use tracing::{error, info};

use crate::config::OutputConfig;
use crate::lock;
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

/// Runs every output on a thread of its own until every sender is gone, and
/// returns the sender of batches and the handle to join once it is dropped.
///
/// A dispatcher thread hands each batch (shared, not copied) to every
/// output's queue of `capacity` batches; each output writes the batches
/// that were waiting as one group, commits (fsync, bulk requests), and
/// reports. A batch is acknowledged once every output stored it, or failed
/// as soon as all have reported and one failed. Outputs work side by side: a
/// slow one delays the acknowledgements and, once its queue is full, intake,
/// but not the others' writes.
///
/// When an output asks to [linger](Output::linger), its group waits up to
/// that long for more batches unless it would already fill a request; the
/// other outputs do not wait with it.
pub fn spawn(
    outputs: Vec<Output>,
    capacity: usize,
) -> (mpsc::Sender<Delivery>, std::thread::JoinHandle<()>) {
    // The dispatcher forwards at once: the batches wait in the outputs' queues.
    let (tx, mut rx) = mpsc::channel::<Delivery>(1);
    let workers: Vec<_> = outputs
        .into_iter()
        .map(|output| {
            let status = status::global().add_output(output.name());
            let queued = metrics::OUTPUT_QUEUED.with_label_values(&[output.name()]);
            let (queue, batches) = std::sync::mpsc::sync_channel::<Shared>(capacity.max(1));
            let name = format!("loglift-out-{}", output.name());
            let worker_queued = queued.clone();
            let handle = std::thread::Builder::new()
                .name(name)
                .spawn(move || run_output(output, &status, &batches, &worker_queued))
                .expect("spawn output thread");
            (queue, queued, handle)
        })
        .collect();
    let handle = std::thread::Builder::new()
        .name("loglift-outputs".into())
        .spawn(move || {
            let outputs = workers.len();
            while let Some(Delivery { batch, ack }) = rx.blocking_recv() {
                if outputs == 0 {
                    // Nowhere to store it: nothing is lost by saying so.
                    let _ = ack.send(Ok(()));
                    continue;
                }
                let shared = Shared {
                    batch: Arc::new(batch),
                    ack: Arc::new(PendingAck::new(ack, outputs)),
                };
                for (queue, queued, _) in &workers {
                    queued.inc();
                    if queue.send(shared.clone()).is_err() {
                        queued.dec();
                        shared.ack.report(Err("output thread stopped".into()));
                    }
                }
            }
            for (queue, _, handle) in workers {
                drop(queue);
                let _ = handle.join();
            }
            info!("outputs closed");
        })
        .expect("spawn output dispatcher");
    (tx, handle)
}

/// A batch on its way to one output, and the acknowledgement it shares with the others.
#[derive(Clone)]
struct Shared {
    batch: Arc<Batch>,
    ack: Arc<PendingAck>,
}

/// The acknowledgement of one batch, fired once every output reported.
struct PendingAck(Mutex<AckState>);

struct AckState {
    /// Outputs yet to report.
    remaining: usize,
    first_error: Option<String>,
    ack: Option<oneshot::Sender<Result<(), String>>>,
}

impl PendingAck {
    fn new(ack: oneshot::Sender<Result<(), String>>, outputs: usize) -> Self {
        PendingAck(Mutex::new(AckState {
            remaining: outputs,
            first_error: None,
            ack: Some(ack),
        }))
    }

    /// One output's result; the last one fires the acknowledgement.
    fn report(&self, result: Result<(), String>) {
        let mut state = lock(&self.0);
        if let Err(e) = result {
            state.first_error.get_or_insert(e);
        }
        state.remaining -= 1;
        if state.remaining == 0 {
            let result = state.first_error.take().map_or(Ok(()), Err);
            if let Some(ack) = state.ack.take() {
                // The input may have given up waiting (shutdown): nothing to tell.
                let _ = ack.send(result);
            }
        }
    }
}

/// One output's thread: groups the waiting batches (lingering if the output
/// asks to), stores each group and reports it, until its queue closes.
fn run_output(
    mut output: Output,
    status: &Arc<OutputStatus>,
    batches: &Receiver<Shared>,
    queued: &IntGauge,
) {
    let linger = output.linger();
    let mut group: Vec<Shared> = Vec::with_capacity(GROUP);
    let take = |group: &mut Vec<Shared>, batch: Shared| {
        queued.dec();
        group.push(batch);
    };
    while let Ok(first) = batches.recv() {
        let deadline = linger.map(|l| Instant::now() + l.interval);
        take(&mut group, first);
        loop {
            while group.len() < GROUP {
                match batches.try_recv() {
                    Ok(b) => take(&mut group, b),
                    Err(_) => break,
                }
            }
            let (Some(linger), Some(deadline)) = (linger, deadline) else {
                break;
            };
            let events: usize = group.iter().map(|b| b.batch.events).sum();
            let bytes: usize = group.iter().map(|b| b.batch.ndjson.len()).sum();
            if group.len() >= GROUP || events >= linger.events || bytes >= linger.bytes {
                break;
            }
            let wait = deadline.saturating_duration_since(Instant::now());
            match batches.recv_timeout(wait) {
                Ok(b) => take(&mut group, b),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        let result = store(&mut output, status, &group);
        if let Err(e) = &result {
            error!(error = %e, batches = group.len(), "output failed; batches will be retried by their inputs");
        }
        for shared in group.drain(..) {
            shared.ack.report(result.clone());
        }
    }
    if let Err(e) = output.commit().map(drop) {
        error!(output = output.name(), error = %e, "final flush failed");
    }
}

/// Writes `group` to `output` and commits it, with metrics and status.
fn store(output: &mut Output, status: &OutputStatus, group: &[Shared]) -> Result<(), String> {
    let events: usize = group.iter().map(|b| b.batch.events).sum();
    let name = output.name();
    let timer = metrics::OUTPUT_LATENCY
        .with_label_values(&[name])
        .start_timer();
    let result = group
        .iter()
        .try_for_each(|b| output.write(&b.batch.ndjson))
        .and_then(|()| output.commit());
    timer.observe_duration();
    let count = |outcome: &str, n: u64| {
        metrics::OUTPUT_EVENTS
            .with_label_values(&[name, outcome])
            .inc_by(n)
    };
    match &result {
        Ok(stored) => {
            let plain = (events as u64).saturating_sub(stored.duplicates + stored.dead_lettered);
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
    result
}
