//! The `s3_poll` input: lists a bucket every `interval` and reads each new
//! object once, for buckets without notifications (e.g. a MinIO bucket).
//!
//! Progress is kept in a small durable state (see [`super::state`]) that is
//! committed only after an object's events are acknowledged, so a restart
//! resumes where it stopped. Listing starts after the watermark, so done
//! objects are not even listed again. Keys are expected to grow over time
//! (as log keys with dates do); an object written later under a key below
//! the watermark is not seen.
//!
//! An object that cannot be fetched or read is retried on the next passes;
//! after `max_attempts` it is given up: recorded in the dead-letter file
//! beside the state, logged, counted (`loglift_s3_objects_total` with
//! outcome `dead_lettered`), and passed by the watermark.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::notification::ObjectRef;
use super::object::ObjectReader;
use super::state::{DeadLetter, PollState, StateFile};
use crate::config::S3PollInputConfig;
use crate::metrics;

/// A running `s3_poll` input.
pub struct S3PollInput {
    config: S3PollInputConfig,
    s3: Client,
    reader: Arc<ObjectReader>,
    state_file: StateFile,
    region: Option<String>,
}

impl S3PollInput {
    /// An input listing `config.bucket`.
    pub fn new(
        config: S3PollInputConfig,
        s3: Client,
        reader: Arc<ObjectReader>,
        region: Option<String>,
    ) -> Self {
        let state_file = StateFile::new(&config.state_dir, &config.bucket, &config.prefix);
        S3PollInput {
            config,
            s3,
            reader,
            state_file,
            region,
        }
    }

    /// Polls until `shutdown` is cancelled.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut state = match self.state_file.load() {
            Ok(s) => s,
            Err(e) => {
                error!(bucket = %self.config.bucket, error = %e, "cannot read poll state; input stopped");
                return;
            }
        };
        info!(bucket = %self.config.bucket, prefix = %self.config.prefix, state = %self.state_file.path().display(), "s3_poll input started");
        loop {
            match self.poll_once(&mut state, &shutdown).await {
                Ok(()) => self.reader.status.polled(0),
                Err(e) => {
                    error!(bucket = %self.config.bucket, error = %e, "listing failed; retrying next interval");
                    self.reader.status.poll_failed(e);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.interval) => {}
                () = shutdown.cancelled() => break,
            }
        }
        info!(bucket = %self.config.bucket, "s3_poll input stopped");
    }

    /// One pass over the bucket: every page of the listing, each page's new
    /// objects read with `workers` concurrency before the next page.
    pub async fn poll_once(
        &self,
        state: &mut PollState,
        shutdown: &CancellationToken,
    ) -> Result<(), String> {
        let start_after = state
            .watermark
            .clone()
            .or_else(|| self.config.start_after.clone());
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.config.bucket)
            .prefix(&self.config.prefix)
            .set_start_after(start_after)
            .into_paginator()
            .send();
        // Keys that failed in this pass: they hold the watermark back.
        let mut failed: BTreeSet<String> = BTreeSet::new();
        while let Some(page) = pages.next().await {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let page = page.map_err(|e| {
                format!(
                    "ListObjectsV2 s3://{}/{}: {}",
                    self.config.bucket,
                    self.config.prefix,
                    crate::aws::error_summary(&e)
                )
            })?;
            let mut todo = Vec::new();
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                if state.is_done(key) {
                    continue;
                }
                if let (Some(max_age), Some(modified)) =
                    (self.config.ignore_older, object.last_modified())
                {
                    let modified =
                        SystemTime::UNIX_EPOCH + Duration::from_secs(modified.secs().max(0) as u64);
                    if SystemTime::now()
                        .duration_since(modified)
                        .unwrap_or_default()
                        > max_age
                    {
                        continue;
                    }
                }
                todo.push(ObjectRef {
                    bucket: self.config.bucket.clone(),
                    key: key.to_string(),
                    size: object.size().map(|s| s.max(0) as u64),
                    etag: object.e_tag().map(str::to_string),
                    version_id: None,
                    region: self.region.clone(),
                });
            }
            self.read_page(todo, state, &mut failed).await?;
        }
        Ok(())
    }

    async fn read_page(
        &self,
        todo: Vec<ObjectRef>,
        state: &mut PollState,
        failed: &mut BTreeSet<String>,
    ) -> Result<(), String> {
        let mut pending: BTreeSet<String> = todo.iter().map(|o| o.key.clone()).collect();
        pending.extend(failed.iter().cloned());
        let permits = Arc::new(Semaphore::new(self.config.workers.max(1)));
        let mut reads = JoinSet::new();
        for object in todo {
            let reader = self.reader.clone();
            let permits = permits.clone();
            reads.spawn(async move {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .expect("semaphore never closed");
                let result = reader.read(&object).await;
                (object, result)
            });
        }
        while let Some(joined) = reads.join_next().await {
            let (object, result) = joined.map_err(|e| format!("reader task failed: {e}"))?;
            let key = &object.key;
            match result {
                Ok(_) => {
                    pending.remove(key);
                    state.complete(key, &pending);
                }
                Err(e) if e.is_object_fault() => {
                    let attempts = state.failed(key);
                    let limit = self.config.max_attempts;
                    if limit > 0 && attempts >= limit {
                        self.give_up(&object, attempts, &e.to_string())?;
                        pending.remove(key);
                        state.complete(key, &pending);
                    } else {
                        warn!(error = %e, attempts, "object failed; retried on the next pass");
                        failed.insert(key.clone());
                    }
                }
                Err(e) => {
                    warn!(error = %e, "object not delivered; retried on the next pass");
                    failed.insert(key.clone());
                }
            }
            self.save(state)?;
        }
        Ok(())
    }

    fn save(&self, state: &PollState) -> Result<(), String> {
        self.state_file
            .save(state)
            .map_err(|e| format!("saving {}: {e}", self.state_file.path().display()))
    }

    /// Records `object` in the dead-letter file, so the watermark may pass it.
    fn give_up(&self, object: &ObjectRef, attempts: u32, error: &str) -> Result<(), String> {
        let entry = DeadLetter {
            timestamp: loglift_parsers::Timestamp::now().to_string(),
            bucket: &object.bucket,
            key: &object.key,
            etag: object.etag.as_deref(),
            attempts,
            error: error.to_string(),
        };
        let path = self.state_file.dead_letter_path();
        self.state_file
            .dead_letter(&entry)
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        metrics::S3_OBJECTS
            .with_label_values(&[&self.reader.dataset_label(&object.key), "dead_lettered"])
            .inc();
        error!(bucket = %object.bucket, key = %object.key, attempts, error, dead_letter = %path.display(), "object given up after repeated failures");
        Ok(())
    }
}
