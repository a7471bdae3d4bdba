//! Outputs: where NDJSON batches of events go, and the acknowledgements that
//! tell the inputs a batch is stored.
//!
//! Every batch goes to every output; its acknowledgement fires once all of
//! them have stored it (for the file output: written and fsynced). The
//! channel into the outputs is bounded, so a slow output slows intake.

pub mod file;

use std::io::Write;
use std::sync::Arc;

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
}

impl Output {
    /// Opens the output `config` describes.
    pub fn open(config: &OutputConfig) -> std::io::Result<Output> {
        Ok(match config {
            OutputConfig::Stdout {} => Output::Stdout(std::io::stdout()),
            OutputConfig::File(f) => Output::File(file::FileOutput::open(f)?),
        })
    }

    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Output::Stdout(_) => "stdout",
            Output::File(_) => "file",
        }
    }

    fn write(&mut self, ndjson: &[u8]) -> std::io::Result<()> {
        match self {
            Output::Stdout(s) => s.lock().write_all(ndjson),
            Output::File(f) => f.write(ndjson),
        }
    }

    fn commit(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(s) => s.lock().flush(),
            Output::File(f) => f.commit(),
        }
    }
}

/// Most batches written between two commits (fsyncs).
const GROUP: usize = 64;

/// Runs the outputs on a dedicated thread until every sender is gone:
/// writes each batch to every output, commits (fsync) after each group of
/// batches that were waiting, then acknowledges the group.
pub fn spawn(
    mut outputs: Vec<Output>,
    capacity: usize,
) -> (mpsc::Sender<Delivery>, std::thread::JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Delivery>(capacity);
    let statuses: Vec<_> = outputs
        .iter()
        .map(|o| status::global().add_output(o.name()))
        .collect();
    let handle = std::thread::Builder::new()
        .name("loglift-outputs".into())
        .spawn(move || {
            let mut group = Vec::with_capacity(GROUP);
            while let Some(first) = rx.blocking_recv() {
                group.push(first);
                while group.len() < GROUP {
                    match rx.try_recv() {
                        Ok(d) => group.push(d),
                        Err(_) => break,
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
                if let Err(e) = o.commit() {
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
        let outcome = if result.is_ok() { "acked" } else { "failed" };
        metrics::OUTPUT_EVENTS
            .with_label_values(&[name, outcome])
            .inc_by(events as u64);
        metrics::OUTPUT_BATCHES
            .with_label_values(&[name])
            .inc_by(group.len() as u64);
        let result = result.map_err(|e| format!("{name}: {e}"));
        status.stored(&result);
        result?;
    }
    Ok(())
}
