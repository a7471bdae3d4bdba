//! The `elasticsearch` output: events into Elasticsearch or OpenSearch data
//! streams with the bulk API.
//!
//! - **Where.** Each event goes to `logs-<dataset>-<namespace>` (from its
//!   `data_stream.*` fields) as a `create` action whose `_id` is its
//!   deterministic id (`@metadata._id`, DESIGN §4); `@metadata` is dropped
//!   from the document. A redelivered object therefore never duplicates a
//!   document: its `create` gets a 409 conflict, which counts as delivered.
//! - **How.** The output thread hands over the events of a group of batches
//!   ([`ElasticsearchOutput::write`]); [`ElasticsearchOutput::commit`] cuts
//!   them into bulk requests (`bulk_max_size`, `bulk_max_bytes`), sends
//!   `workers` of them at once on a small runtime of its own, and returns
//!   once every event is stored or dead-lettered.
//! - **Retries.** A request answered 429 or 5xx, or lost to a connection
//!   error or timeout, is sent again after an exponential backoff with
//!   jitter (on the next healthy host). In a 200 response, items are handled
//!   one by one: 429/5xx items are sent again, 409s count as stored, and the
//!   rest (mapping errors, 400) go to the dead-letter file
//!   ([`dead_letter`]). After `max_retries` the group fails and its inputs
//!   deliver it again later; nothing is acknowledged before it is stored.

pub mod bulk;
pub mod client;
pub mod dead_letter;

use std::time::Duration;

use bytes::Bytes;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use self::bulk::{ItemOutcome, Prepared};
use self::client::{Client, ClientError, RequestError, Response};
use self::dead_letter::{DeadLetter, DeadLetterFile};
use crate::config::ElasticsearchOutputConfig;
use crate::metrics;

/// The output's name in logs, metrics and `/status`.
pub const NAME: &str = "elasticsearch";

/// Why the output could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// TLS files or settings.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The dead-letter file.
    #[error("dead-letter file {path}: {source}")]
    DeadLetter {
        /// Its path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Why a group of events was not delivered (its inputs deliver it again).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The cluster refused a whole request for a reason retrying does not
    /// fix (401, 403, a 400 on the request itself).
    #[error("bulk request refused: {0}")]
    Refused(String),
    /// Events still failing after every retry.
    #[error("{events} events not stored after {retries} retries; last error: {last}")]
    Exhausted {
        /// Events not stored.
        events: usize,
        /// Retries made.
        retries: u32,
        /// The last error seen.
        last: String,
    },
    /// The dead-letter file could not be written.
    #[error("dead-letter file {path}: {source}")]
    DeadLetter {
        /// Its path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// How the events of one commit ended, when they all did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Created now.
    pub created: u64,
    /// Already there (409 on `create`).
    pub duplicates: u64,
    /// Refused and written to the dead-letter file.
    pub dead_lettered: u64,
}

/// An open `elasticsearch` output.
pub struct ElasticsearchOutput {
    config: ElasticsearchOutputConfig,
    client: Client,
    dead_letters: DeadLetterFile,
    /// Built on the output thread at the first commit (a runtime must not
    /// be dropped inside another's async context, where outputs are opened).
    runtime: Option<tokio::runtime::Runtime>,
    pending: Prepared,
    unsendable: Vec<DeadLetter>,
}

impl ElasticsearchOutput {
    /// Checks the TLS files, builds the client and opens the dead-letter file.
    pub fn open(config: &ElasticsearchOutputConfig) -> Result<ElasticsearchOutput, OpenError> {
        let client = Client::new(config)?;
        let dead_letters = DeadLetterFile::open(&config.dead_letter_path).map_err(|source| {
            OpenError::DeadLetter {
                path: config.dead_letter_path.display().to_string(),
                source,
            }
        })?;
        Ok(ElasticsearchOutput {
            config: config.clone(),
            client,
            dead_letters,
            runtime: None,
            pending: Prepared::default(),
            unsendable: Vec::new(),
        })
    }

    /// How long a batch may wait for more events, and how many events (or
    /// bytes) fill a bulk request.
    pub fn linger(&self) -> (Duration, usize, usize) {
        (
            self.config.flush_interval,
            self.config.bulk_max_size,
            self.config.bulk_max_bytes,
        )
    }

    /// Takes the events of `ndjson` for the next commit.
    pub fn write(&mut self, ndjson: &[u8]) {
        for (event, reason) in self.pending.add(ndjson) {
            self.unsendable.push(DeadLetter {
                index: String::new(),
                status: 0,
                error: reason.to_string(),
                event,
            });
        }
    }

    /// Sends every event written since the last commit and returns once each
    /// is stored or dead-lettered (the dead-letter file fsynced).
    pub fn commit(&mut self) -> Result<Report, DeliveryError> {
        let prepared = std::mem::take(&mut self.pending);
        let mut letters = std::mem::take(&mut self.unsendable);
        if prepared.is_empty() && letters.is_empty() {
            return Ok(Report::default());
        }
        let runtime = self.runtime.get_or_insert_with(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_name("loglift-es")
                .build()
                .expect("a runtime for the elasticsearch output")
        });
        let mut report =
            runtime.block_on(deliver(&self.client, &self.config, prepared, &mut letters))?;
        report.dead_lettered = letters.len() as u64;
        if !letters.is_empty() {
            warn!(events = letters.len(), path = %self.dead_letters.path().display(), "events refused by elasticsearch written to the dead-letter file");
        }
        self.dead_letters
            .append(&letters)
            .map_err(|source| DeliveryError::DeadLetter {
                path: self.dead_letters.path().display().to_string(),
                source,
            })?;
        Ok(report)
    }
}

/// What became of one bulk request.
enum Sent {
    /// Items to send again, and why.
    Retry(Vec<usize>, String),
    /// The body was too large (413): send again in smaller requests.
    Split(Vec<usize>),
}

/// Sends `prepared` until every event is stored or refused (refused ones are
/// added to `letters`).
async fn deliver(
    client: &Client,
    config: &ElasticsearchOutputConfig,
    prepared: Prepared,
    letters: &mut Vec<DeadLetter>,
) -> Result<Report, DeliveryError> {
    let Prepared {
        events,
        bulk,
        items,
    } = prepared;
    let bulk = Bytes::from(bulk);
    let view = Prepared {
        events,
        bulk: Vec::new(),
        items,
    };
    let letter = |i: usize, status: u16, error: String| DeadLetter {
        index: String::from_utf8_lossy(&bulk[view.items[i].index.clone()]).into_owned(),
        status,
        error,
        event: view.event(i).to_vec(),
    };
    let mut report = Report::default();
    let mut todo: Vec<usize> = (0..view.items.len()).collect();
    let (mut max_items, mut max_bytes) = (config.bulk_max_size, config.bulk_max_bytes);
    let mut retries = 0u32;
    while !todo.is_empty() {
        let chunks = bulk::chunks(&view, &todo, max_items, max_bytes);
        let mut again = Vec::new();
        let mut last_error = None;
        let mut split = false;
        for (chunk, result) in send_all(client, &bulk, &view, chunks, config.workers).await {
            match handle(chunk, result, &mut report, letters, &letter) {
                Ok(None) => {}
                Ok(Some(Sent::Retry(items, why))) => {
                    again.extend(items);
                    last_error = Some(why);
                }
                Ok(Some(Sent::Split(items))) => {
                    max_items = (items.len() / 2).max(1);
                    let bytes: usize = items.iter().map(|&i| view.items[i].lines.len()).sum();
                    max_bytes = max_bytes.min(bytes / 2).max(1);
                    again.extend(items);
                    split = true;
                }
                Err(e) => return Err(e),
            }
        }
        again.sort_unstable();
        todo = again;
        if todo.is_empty() {
            break;
        }
        let Some(why) = last_error else {
            debug_assert!(split);
            continue; // only 413 splits: no backoff, no retry counted
        };
        if retries >= config.max_retries {
            return Err(DeliveryError::Exhausted {
                events: todo.len(),
                retries,
                last: why,
            });
        }
        retries += 1;
        let delay = backoff(config.backoff_init, config.backoff_max, retries);
        warn!(events = todo.len(), retry = retries, delay = ?delay, error = %why, "elasticsearch bulk failed; retrying");
        tokio::time::sleep(delay).await;
        let resent = bulk::chunks(&view, &todo, max_items, max_bytes).len();
        metrics::OUTPUT_RETRIES
            .with_label_values(&[NAME])
            .inc_by(resent as u64);
    }
    Ok(report)
}

/// Sends the chunks, `workers` at a time; results come back in any order.
async fn send_all(
    client: &Client,
    bulk: &Bytes,
    view: &Prepared,
    chunks: Vec<Vec<usize>>,
    workers: usize,
) -> Vec<(Vec<usize>, Result<Response, RequestError>)> {
    let mut results = Vec::with_capacity(chunks.len());
    let mut chunks = chunks.into_iter();
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.len() < workers {
            let Some(chunk) = chunks.next() else { break };
            let body = match bulk::contiguous(view, &chunk) {
                Some(range) => bulk.slice(range),
                None => {
                    let mut body = Vec::new();
                    for &i in &chunk {
                        body.extend_from_slice(&bulk[view.items[i].lines.clone()]);
                    }
                    Bytes::from(body)
                }
            };
            let client = client.clone();
            in_flight.spawn(async move {
                let started = std::time::Instant::now();
                let result = client.bulk(body).await;
                debug!(items = chunk.len(), took = ?started.elapsed(), "bulk request");
                (chunk, result)
            });
        }
        match in_flight.join_next().await {
            Some(done) => results.push(done.expect("a bulk request task does not panic")),
            None => return results,
        }
    }
}

/// Sorts the items of one answered (or failed) request into the report,
/// the dead letters, and what to send again.
fn handle(
    chunk: Vec<usize>,
    result: Result<Response, RequestError>,
    report: &mut Report,
    letters: &mut Vec<DeadLetter>,
    letter: &dyn Fn(usize, u16, String) -> DeadLetter,
) -> Result<Option<Sent>, DeliveryError> {
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            metrics::OUTPUT_BULK_REQUESTS
                .with_label_values(&["error"])
                .inc();
            return Ok(Some(Sent::Retry(chunk, e.to_string())));
        }
    };
    metrics::OUTPUT_BULK_REQUESTS
        .with_label_values(&[response.status.as_str()])
        .inc();
    let status = response.status.as_u16();
    let what = |r: &Response| format!("{}: HTTP {}: {}", r.host, r.status, r.excerpt());
    match status {
        200 => {}
        413 if chunk.len() > 1 => return Ok(Some(Sent::Split(chunk))),
        413 => {
            let error = serde_json::to_string(&what(&response)).expect("a string");
            letters.push(letter(chunk[0], status, error));
            return Ok(None);
        }
        429 | 500..=599 => return Ok(Some(Sent::Retry(chunk, what(&response)))),
        _ => return Err(DeliveryError::Refused(what(&response))),
    }
    let items = match bulk::read_response(&response.body, chunk.len()) {
        Ok(items) => items,
        Err(e) => return Ok(Some(Sent::Retry(chunk, format!("{}: {e}", response.host)))),
    };
    let Some(items) = items else {
        report.created += chunk.len() as u64;
        return Ok(None);
    };
    let mut retry = Vec::new();
    let mut why = None;
    for (&i, item) in chunk.iter().zip(items) {
        match ItemOutcome::of(item.status) {
            ItemOutcome::Stored => report.created += 1,
            ItemOutcome::Duplicate => report.duplicates += 1,
            ItemOutcome::Retry => {
                why.get_or_insert_with(|| {
                    format!(
                        "{}: item status {}: {}",
                        response.host,
                        item.status,
                        item.error.as_deref().unwrap_or("")
                    )
                });
                retry.push(i);
            }
            ItemOutcome::Reject => letters.push(letter(
                i,
                item.status,
                item.error.unwrap_or_else(|| "null".into()),
            )),
        }
    }
    Ok(why.map(|why| Sent::Retry(retry, why)))
}

/// The delay before retry number `attempt` (1-based): `init` doubled each
/// time up to `max`, then drawn between half of it and all of it (jitter,
/// so that agents that failed together do not retry together).
pub fn backoff(init: Duration, max: Duration, attempt: u32) -> Duration {
    let full = init
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(max);
    let half = full / 2;
    half + half.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_maximum_with_jitter() {
        let (init, max) = (Duration::from_millis(100), Duration::from_secs(2));
        for attempt in 1..30 {
            let full = Duration::from_millis(100 * (1u64 << (attempt - 1).min(20))).min(max);
            let d = backoff(init, max, attempt);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
    }
}
