//! Reading one S3 object: GetObject streamed into the pipeline on a blocking
//! thread, batches handed to the outputs, and the object's acknowledgement
//! once every batch is stored.

use std::sync::Arc;

use aws_sdk_s3::Client;
use tokio::sync::{mpsc, oneshot};
use tokio_util::io::SyncIoBridge;
use tracing::{debug, warn};

use super::notification::ObjectRef;
use crate::dataset::Registry;
use crate::metrics;
use crate::output::Delivery;
use crate::pipeline::{process_object, ObjectStats, Origin, ProcessError};
use crate::route::Route;
use crate::status::InputStatus;

/// Size of the NDJSON batches an object is cut into.
pub const BATCH_BYTES: usize = 1 << 20;

/// What reading an object ended in, when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectOutcome {
    /// Every event is stored.
    Delivered(ObjectStats),
    /// A known kind of object that holds no events (a CloudTrail digest).
    Skipped(&'static str),
    /// No dataset matches the key; nothing was read (counted and logged).
    Unrouted,
    /// The object was deleted before it could be read (counted and logged).
    Missing,
}

/// Why an object failed; its message is left for redelivery.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// GetObject failed.
    #[error("GetObject s3://{bucket}/{key}: {reason}")]
    Get {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// The AWS error.
        reason: String,
    },
    /// Reading or decompressing the object failed.
    #[error("s3://{bucket}/{key}: {reason}")]
    Process {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// What failed.
        reason: String,
    },
    /// The object was read, but the outputs did not store all its events:
    /// the fault is downstream, not in the object.
    #[error("s3://{bucket}/{key}: delivery failed: {reason}")]
    Delivery {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
        /// What the outputs reported.
        reason: String,
    },
}

impl ObjectError {
    /// Whether the object itself is at fault (it could not be fetched or
    /// read), rather than the outputs.
    pub fn is_object_fault(&self) -> bool {
        !matches!(self, ObjectError::Delivery { .. })
    }
}

/// Everything an object reader needs, shared by all workers.
pub struct ObjectReader {
    /// S3 client of the input.
    pub s3: Client,
    /// Datasets and routing.
    pub registry: Arc<Registry>,
    /// Into the outputs.
    pub outputs: mpsc::Sender<Delivery>,
    /// `data_stream.namespace`.
    pub namespace: String,
    /// The input's entry in `/status`.
    pub status: Arc<InputStatus>,
}

impl ObjectReader {
    /// Reads `object` and returns once all its events are stored.
    pub async fn read(&self, object: &ObjectRef) -> Result<ObjectOutcome, ObjectError> {
        let _in_flight = self.status.object_started();
        let result = self.read_object(object).await;
        match &result {
            Ok(ObjectOutcome::Delivered(stats)) => self.status.object_read(stats.events),
            Ok(_) => {}
            Err(e) => self.status.object_failed(e.to_string()),
        }
        result
    }

    /// The dataset label of `key` in metrics (`none` when no dataset matches).
    pub fn dataset_label(&self, key: &str) -> String {
        match self.registry.route(key) {
            Route::Dataset(name) => name,
            Route::Skip(_) | Route::Unknown => "none".to_string(),
        }
    }

    async fn read_object(&self, object: &ObjectRef) -> Result<ObjectOutcome, ObjectError> {
        let dataset = match self.registry.route(&object.key) {
            Route::Dataset(name) => match self.registry.get(&name) {
                Some(d) => d.clone(),
                None => {
                    warn!(bucket = %object.bucket, key = %object.key, dataset = %name, "dataset is disabled; object not read");
                    metrics::S3_OBJECTS
                        .with_label_values(&[&name, "disabled"])
                        .inc();
                    return Ok(ObjectOutcome::Unrouted);
                }
            },
            Route::Skip(why) => {
                debug!(bucket = %object.bucket, key = %object.key, why, "object skipped");
                metrics::S3_OBJECTS
                    .with_label_values(&["none", "skipped"])
                    .inc();
                return Ok(ObjectOutcome::Skipped(why));
            }
            Route::Unknown => {
                warn!(bucket = %object.bucket, key = %object.key, "no dataset matches this key; object not read (add a dataset selector)");
                metrics::S3_OBJECTS
                    .with_label_values(&["none", "unrouted"])
                    .inc();
                return Ok(ObjectOutcome::Unrouted);
            }
        };
        let fail = |reason: String| ObjectError::Process {
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            reason,
        };
        let mut request = self.s3.get_object().bucket(&object.bucket).key(&object.key);
        if let Some(v) = &object.version_id {
            request = request.version_id(v);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                // Deleted before it could be read: nothing can ever be read from it.
                warn!(bucket = %object.bucket, key = %object.key, "object no longer exists; nothing to read");
                metrics::S3_OBJECTS
                    .with_label_values(&[&dataset.name, "missing"])
                    .inc();
                return Ok(ObjectOutcome::Missing);
            }
            Err(e) => {
                let mut reason = crate::aws::error_summary(&e);
                if reason.contains("AccessDenied") || reason.contains("KMS") {
                    // SSE-KMS objects (GuardDuty exports) also need kms:Decrypt.
                    reason.push_str(" (needs s3:GetObject, and kms:Decrypt on the key of an SSE-KMS encrypted object; `loglift check` tells which)");
                }
                return Err(ObjectError::Get {
                    bucket: object.bucket.clone(),
                    key: object.key.clone(),
                    reason,
                });
            }
        };
        let version = object
            .version_id
            .clone()
            .or_else(|| object.etag.clone())
            .or_else(|| response.e_tag().map(str::to_string));
        let origin = Origin::s3(
            &object.bucket,
            &object.key,
            version.as_deref(),
            object.region.as_deref(),
        );
        let body = response.body.into_async_read();
        let outputs = self.outputs.clone();
        let namespace = self.namespace.clone();
        let dataset_name = dataset.name.clone();
        metrics::OBJECTS_IN_FLIGHT.inc();
        let blocking = tokio::task::spawn_blocking(move || {
            let reader = SyncIoBridge::new(body);
            let mut acks = Vec::new();
            let stats = process_object(
                reader,
                &dataset,
                &namespace,
                &origin,
                BATCH_BYTES,
                1, // objects are parallel to each other; one thread each
                |batch| {
                    let (ack, ack_rx) = oneshot::channel();
                    outputs
                        .blocking_send(Delivery { batch, ack })
                        .map_err(|_| "outputs closed".to_string())?;
                    acks.push(ack_rx);
                    Ok(())
                },
            );
            (stats, acks)
        });
        let joined = blocking.await;
        metrics::OBJECTS_IN_FLIGHT.dec();
        let (stats, acks) = joined.map_err(|e| fail(format!("reader task failed: {e}")))?;
        // Wait for the batches already handed out even when the read failed,
        // so nothing of this object is still in flight when it is retried.
        let mut delivery_error = None;
        for ack in acks {
            match ack.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => delivery_error = Some(e),
                Err(_) => delivery_error = Some("outputs stopped before acknowledging".into()),
            }
        }
        let undelivered = |reason: String| ObjectError::Delivery {
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            reason,
        };
        let failed = |error: ObjectError| {
            metrics::S3_OBJECTS
                .with_label_values(&[&dataset_name, "failed"])
                .inc();
            Err(error)
        };
        let stats = match (stats, delivery_error) {
            (Ok(stats), None) => stats,
            (Err(ProcessError::Sink(e)), _) | (Ok(_), Some(e)) => return failed(undelivered(e)),
            (Err(e), _) => return failed(fail(e.to_string())),
        };
        metrics::S3_OBJECTS
            .with_label_values(&[&dataset_name, "ok"])
            .inc();
        metrics::S3_BYTES
            .with_label_values(&[&dataset_name])
            .inc_by(stats.bytes);
        metrics::EVENTS
            .with_label_values(&[&dataset_name, "ok"])
            .inc_by(stats.events - stats.errors);
        metrics::EVENTS
            .with_label_values(&[&dataset_name, "error"])
            .inc_by(stats.errors);
        metrics::PARSE_ERRORS
            .with_label_values(&[&dataset_name])
            .inc_by(stats.errors);
        if let Some(newest) = stats.newest {
            let lag = loglift_parsers::Timestamp::now().unix_seconds() - newest.unix_seconds();
            metrics::EVENT_LAG
                .with_label_values(&[&dataset_name])
                .set(lag);
        }
        Ok(ObjectOutcome::Delivered(stats))
    }
}
