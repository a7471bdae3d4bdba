//! The `sqs` input: S3 event notifications from an SQS queue, with
//! at-least-once delivery (DESIGN §7).
//!
//! A message is deleted only once every event of every object it names is
//! acknowledged by the outputs. While its objects are read, its visibility
//! is extended every half timeout (the heartbeat), so a slow object is never
//! handed to another agent. On failure the message is made visible again
//! after a backoff that grows with its receive count; the queue's redrive
//! policy moves it to the dead-letter queue after `maxReceiveCount`.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use aws_sdk_sqs::Client;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use super::notification::{self, Notification, ObjectRef};
use super::object::{ObjectError, ObjectOutcome, ObjectReader};
use crate::config::SqsInputConfig;
use crate::metrics;

/// How long in-flight messages may take to finish after a shutdown request.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// A running `sqs` input.
pub struct SqsInput {
    config: SqsInputConfig,
    sqs: Client,
    reader: Arc<ObjectReader>,
    objects: Arc<Semaphore>,
}

impl SqsInput {
    /// An input on `config.queue_url`, reading objects with `reader`.
    pub fn new(config: SqsInputConfig, sqs: Client, reader: Arc<ObjectReader>) -> Self {
        let objects = Arc::new(Semaphore::new(config.workers));
        SqsInput {
            config,
            sqs,
            reader,
            objects,
        }
    }

    /// Receives and processes messages until `shutdown` is cancelled, then
    /// lets in-flight messages finish (up to a grace period).
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        info!(queue = %self.config.queue_url, workers = self.config.workers, "sqs input started");
        // One message slot per worker: never hold more messages than can be worked on.
        let slots = Arc::new(Semaphore::new(self.config.workers));
        let mut tasks = JoinSet::new();
        let mut failures = 0u32;
        loop {
            while tasks.try_join_next().is_some() {}
            let first = tokio::select! {
                p = slots.clone().acquire_owned() => p.expect("semaphore never closed"),
                () = shutdown.cancelled() => break,
            };
            let mut permits = vec![first];
            while permits.len() < self.config.max_messages as usize {
                match slots.clone().try_acquire_owned() {
                    Ok(p) => permits.push(p),
                    Err(_) => break,
                }
            }
            let receive = self
                .sqs
                .receive_message()
                .queue_url(&self.config.queue_url)
                .max_number_of_messages(permits.len() as i32)
                .wait_time_seconds(self.config.wait_time.as_secs().min(20) as i32)
                .visibility_timeout(self.visibility_secs())
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send();
            let response = tokio::select! {
                r = receive => r,
                () = shutdown.cancelled() => break,
            };
            match response {
                Ok(out) => {
                    failures = 0;
                    let messages = out.messages.unwrap_or_default();
                    self.reader.status.polled(messages.len() as u64);
                    for message in messages {
                        let Some(permit) = permits.pop() else { break };
                        metrics::SQS_RECEIVED.inc();
                        tasks.spawn(self.clone().handle(message, permit));
                    }
                }
                Err(e) => {
                    failures += 1;
                    let delay = Duration::from_millis(500 * 2u64.pow(failures.min(6)));
                    let error = crate::aws::error_summary(&e);
                    error!(queue = %self.config.queue_url, error = %error, retry_in = ?delay, "ReceiveMessage failed");
                    self.reader
                        .status
                        .poll_failed(format!("ReceiveMessage: {error}"));
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        info!(queue = %self.config.queue_url, in_flight = tasks.len(), "sqs input stopping; finishing in-flight messages");
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
            warn!("in-flight messages did not finish in time; they become visible again after their visibility timeout");
        }
    }

    fn visibility_secs(&self) -> i32 {
        self.config.visibility_timeout.as_secs().clamp(1, 43_200) as i32
    }

    /// Processes one message; the permit frees its slot when done.
    async fn handle(self: Arc<Self>, message: Message, _slot: OwnedSemaphorePermit) {
        let id = message.message_id.clone().unwrap_or_default();
        let Some(receipt) = message.receipt_handle.clone() else {
            return;
        };
        let receive_count: u32 = message
            .attributes
            .as_ref()
            .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        let body = message.body.as_deref().unwrap_or_default();
        match notification::parse(body) {
            Ok(Notification::TestEvent) => {
                debug!(message_id = %id, "s3:TestEvent deleted");
                metrics::SQS_RECORDS_IGNORED.inc();
                self.delete(&id, &receipt).await;
            }
            Ok(Notification::Objects { objects, ignored }) => {
                metrics::SQS_RECORDS_IGNORED.inc_by(ignored as u64);
                let result = self.read_with_heartbeat(&receipt, objects).await;
                match result {
                    Ok(()) => self.delete(&id, &receipt).await,
                    Err(e) => {
                        warn!(message_id = %id, receive_count, error = %e, "message failed; it will be retried");
                        metrics::SQS_FAILED
                            .with_label_values(&["object_failed"])
                            .inc();
                        self.release(&receipt, receive_count).await;
                    }
                }
            }
            Err(e) => {
                warn!(message_id = %id, receive_count, error = %e, "message is not an S3 notification; left for the dead-letter queue");
                metrics::SQS_FAILED
                    .with_label_values(&["invalid_body"])
                    .inc();
                self.release(&receipt, receive_count).await;
            }
        }
    }

    /// Reads every object of a message, extending the message's visibility
    /// every half timeout until they are all delivered or one failed.
    async fn read_with_heartbeat(
        &self,
        receipt: &str,
        objects: Vec<ObjectRef>,
    ) -> Result<(), ObjectError> {
        let mut reads = JoinSet::new();
        for object in objects {
            let reader = self.reader.clone();
            let permits = self.objects.clone();
            reads.spawn(async move {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .expect("semaphore never closed");
                reader.read(&object).await
            });
        }
        let half = Duration::from_secs_f64((f64::from(self.visibility_secs()) / 2.0).max(0.5));
        let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + half, half);
        let mut failure = None;
        loop {
            tokio::select! {
                next = reads.join_next() => match next {
                    None => break,
                    Some(Ok(Ok(outcome))) => {
                        if let ObjectOutcome::Delivered(stats) = outcome {
                            debug!(events = stats.events, "object delivered");
                        }
                    }
                    Some(Ok(Err(e))) => {
                        failure.get_or_insert(e);
                    }
                    Some(Err(join)) => {
                        failure.get_or_insert(ObjectError::Process { bucket: String::new(), key: String::new(), reason: join.to_string() });
                    }
                },
                _ = heartbeat.tick() => self.extend(receipt).await,
            }
        }
        failure.map_or(Ok(()), Err)
    }

    async fn extend(&self, receipt: &str) {
        let result = self
            .sqs
            .change_message_visibility()
            .queue_url(&self.config.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(self.visibility_secs())
            .send()
            .await;
        match result {
            Ok(_) => metrics::SQS_VISIBILITY_EXTENDED.inc(),
            Err(e) => {
                warn!(error = %crate::aws::error_summary(&e), "could not extend message visibility")
            }
        }
    }

    async fn delete(&self, id: &str, receipt: &str) {
        match self
            .sqs
            .delete_message()
            .queue_url(&self.config.queue_url)
            .receipt_handle(receipt)
            .send()
            .await
        {
            Ok(_) => {
                metrics::SQS_DELETED.inc();
                debug!(message_id = %id, "message deleted");
            }
            Err(e) => {
                warn!(message_id = %id, error = %crate::aws::error_summary(&e), "DeleteMessage failed; the message may be delivered again")
            }
        }
    }

    /// Makes a failed message visible again after a backoff that grows with
    /// its receive count.
    async fn release(&self, receipt: &str, receive_count: u32) {
        let base = self.config.retry_backoff.as_secs_f64().max(0.0);
        let delay =
            (base * 2f64.powi(receive_count.saturating_sub(1).min(16) as i32)).min(900.0) as i32;
        let result = self
            .sqs
            .change_message_visibility()
            .queue_url(&self.config.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(delay)
            .send()
            .await;
        if let Err(e) = result {
            warn!(error = %crate::aws::error_summary(&e), "could not reset message visibility; it returns after its timeout");
        }
    }
}
