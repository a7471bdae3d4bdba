//! What the agent is doing, per input and output, for `/status` (JSON) and
//! `/healthz`: counters, in-flight objects, the last error, and health.
//!
//! Inputs and outputs update their own entry with atomics (no lock on the
//! event path: an object updates it once, when it ends); the HTTP handlers
//! read a snapshot. Nothing here holds a secret: inputs are named by their
//! queue URL or bucket and prefix.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Instant, SystemTime};

use serde::Serialize;

use crate::lock;

/// Consecutive failed receive or list calls after which an input is unhealthy.
pub const UNHEALTHY_AFTER: u32 = 3;

/// The agent's status.
pub struct Status {
    started: Instant,
    inputs: Mutex<Vec<Arc<InputStatus>>>,
    outputs: Mutex<Vec<Arc<OutputStatus>>>,
}

static STATUS: LazyLock<Status> = LazyLock::new(|| Status {
    started: Instant::now(),
    inputs: Mutex::new(Vec::new()),
    outputs: Mutex::new(Vec::new()),
});

/// The process-wide status.
pub fn global() -> &'static Status {
    &STATUS
}

impl Status {
    /// Adds an input (`kind` is `sqs` or `s3_poll`; `name` its queue URL or `s3://bucket/prefix`).
    pub fn add_input(&self, kind: &'static str, name: String) -> Arc<InputStatus> {
        let input = Arc::new(InputStatus {
            kind,
            name,
            ..InputStatus::default()
        });
        lock(&self.inputs).push(input.clone());
        input
    }

    /// Adds an output.
    pub fn add_output(&self, name: &'static str) -> Arc<OutputStatus> {
        let output = Arc::new(OutputStatus {
            name,
            healthy: AtomicBool::new(true),
            last_error: Mutex::new(None),
        });
        lock(&self.outputs).push(output.clone());
        output
    }

    /// A snapshot for `/status`.
    pub fn report(&self) -> Report {
        let inputs: Vec<InputReport> = lock(&self.inputs).iter().map(|i| i.report()).collect();
        let outputs: Vec<OutputReport> = lock(&self.outputs).iter().map(|o| o.report()).collect();
        Report {
            version: env!("CARGO_PKG_VERSION"),
            uptime_seconds: self.started.elapsed().as_secs(),
            healthy: inputs.iter().all(|i| i.healthy) && outputs.iter().all(|o| o.healthy),
            inputs,
            outputs,
        }
    }

    /// Why the agent is unhealthy, one reason per unhealthy input or output
    /// (empty when healthy).
    pub fn problems(&self) -> Vec<String> {
        let report = self.report();
        let inputs = report.inputs.iter().filter(|i| !i.healthy).map(|i| {
            let error = i.last_error.as_ref().map_or("", |e| e.message.as_str());
            format!("input {} {}: {error}", i.kind, i.name)
        });
        let outputs = report.outputs.iter().filter(|o| !o.healthy).map(|o| {
            let error = o.last_error.as_ref().map_or("", |e| e.message.as_str());
            format!("output {}: {error}", o.name)
        });
        inputs.chain(outputs).collect()
    }
}

/// An error and when it happened.
#[derive(Debug, Clone, Serialize)]
pub struct LastError {
    /// Seconds since the Unix epoch.
    pub at: u64,
    /// What went wrong (an AWS error code and message, or an object's error).
    pub message: String,
}

impl LastError {
    fn now(message: String) -> LastError {
        let at = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        LastError { at, message }
    }
}

/// One input's counters and health.
#[derive(Default)]
pub struct InputStatus {
    kind: &'static str,
    name: String,
    messages: AtomicU64,
    objects_read: AtomicU64,
    objects_failed: AtomicU64,
    events: AtomicU64,
    in_flight: AtomicI64,
    consecutive_errors: AtomicU32,
    last_error: Mutex<Option<LastError>>,
}

impl InputStatus {
    /// A receive or list call succeeded.
    pub fn polled(&self, messages: u64) {
        self.consecutive_errors.store(0, Ordering::Relaxed);
        self.messages.fetch_add(messages, Ordering::Relaxed);
    }

    /// A receive or list call failed.
    pub fn poll_failed(&self, error: String) {
        self.consecutive_errors.fetch_add(1, Ordering::Relaxed);
        *lock(&self.last_error) = Some(LastError::now(error));
    }

    /// An object started; it counts as in flight until the guard drops.
    pub fn object_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// An object's events were all delivered.
    pub fn object_read(&self, events: u64) {
        self.objects_read.fetch_add(1, Ordering::Relaxed);
        self.events.fetch_add(events, Ordering::Relaxed);
    }

    /// An object failed (it will be retried).
    pub fn object_failed(&self, error: String) {
        self.objects_failed.fetch_add(1, Ordering::Relaxed);
        *lock(&self.last_error) = Some(LastError::now(error));
    }

    fn report(&self) -> InputReport {
        let consecutive_errors = self.consecutive_errors.load(Ordering::Relaxed);
        InputReport {
            kind: self.kind,
            name: self.name.clone(),
            healthy: consecutive_errors < UNHEALTHY_AFTER,
            messages_received: self.messages.load(Ordering::Relaxed),
            objects_read: self.objects_read.load(Ordering::Relaxed),
            objects_failed: self.objects_failed.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            in_flight_objects: self.in_flight.load(Ordering::Relaxed).max(0) as u64,
            consecutive_errors,
            last_error: lock(&self.last_error).clone(),
        }
    }
}

/// Counts an object as in flight while alive.
pub struct InFlight(Arc<InputStatus>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One output's health.
pub struct OutputStatus {
    name: &'static str,
    healthy: AtomicBool,
    last_error: Mutex<Option<LastError>>,
}

impl OutputStatus {
    /// A store succeeded or failed.
    pub fn stored(&self, result: &Result<(), String>) {
        self.healthy.store(result.is_ok(), Ordering::Relaxed);
        if let Err(e) = result {
            *lock(&self.last_error) = Some(LastError::now(e.clone()));
        }
    }

    fn report(&self) -> OutputReport {
        OutputReport {
            name: self.name,
            healthy: self.healthy.load(Ordering::Relaxed),
            last_error: lock(&self.last_error).clone(),
        }
    }
}

/// The `/status` document.
#[derive(Debug, Serialize)]
pub struct Report {
    /// loglift's version.
    pub version: &'static str,
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// Whether every input and output is healthy (what `/healthz` answers).
    pub healthy: bool,
    /// Per input.
    pub inputs: Vec<InputReport>,
    /// Per output.
    pub outputs: Vec<OutputReport>,
}

/// One input in `/status`.
#[derive(Debug, Serialize)]
pub struct InputReport {
    /// `sqs` or `s3_poll`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Queue URL, or `s3://bucket/prefix`.
    pub name: String,
    /// Fewer than [`UNHEALTHY_AFTER`] receive/list calls failed in a row.
    pub healthy: bool,
    /// SQS messages received (sqs) or objects listed (s3_poll).
    pub messages_received: u64,
    /// Objects whose events were all delivered.
    pub objects_read: u64,
    /// Objects that failed (and will be retried).
    pub objects_failed: u64,
    /// Events delivered.
    pub events: u64,
    /// Objects being read now.
    pub in_flight_objects: u64,
    /// Receive/list calls failed in a row.
    pub consecutive_errors: u32,
    /// The last error, if any.
    pub last_error: Option<LastError>,
}

/// One output in `/status`.
#[derive(Debug, Serialize)]
pub struct OutputReport {
    /// Output type.
    pub name: &'static str,
    /// Whether its last store succeeded.
    pub healthy: bool,
    /// The last error, if any.
    pub last_error: Option<LastError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Status {
        Status {
            started: Instant::now(),
            inputs: Mutex::new(Vec::new()),
            outputs: Mutex::new(Vec::new()),
        }
    }

    #[test]
    fn an_input_is_unhealthy_after_consecutive_failures_and_recovers() {
        let s = status();
        let input = s.add_input("sqs", "https://q".into());
        for _ in 0..UNHEALTHY_AFTER - 1 {
            input.poll_failed("AccessDenied: no".into());
        }
        assert!(s.problems().is_empty());
        input.poll_failed("AccessDenied: no".into());
        assert_eq!(s.problems(), vec!["input sqs https://q: AccessDenied: no"]);
        assert!(!s.report().healthy);
        input.polled(2);
        assert!(s.report().healthy);
        assert_eq!(s.report().inputs[0].messages_received, 2);
        let last = s.report().inputs[0].last_error.clone().expect("kept");
        assert_eq!(last.message, "AccessDenied: no");
    }

    #[test]
    fn in_flight_objects_are_counted_until_done() {
        let s = status();
        let input = s.add_input("s3_poll", "s3://b/p".into());
        let a = input.object_started();
        let b = input.object_started();
        assert_eq!(s.report().inputs[0].in_flight_objects, 2);
        drop(a);
        input.object_read(10);
        drop(b);
        input.object_failed("GetObject: boom".into());
        let r = &s.report().inputs[0];
        assert_eq!(
            (
                r.in_flight_objects,
                r.objects_read,
                r.objects_failed,
                r.events
            ),
            (0, 1, 1, 10)
        );
    }

    #[test]
    fn a_failing_output_makes_the_agent_unhealthy_until_it_stores_again() {
        let s = status();
        let output = s.add_output("file");
        output.stored(&Err("file: disk full".into()));
        assert_eq!(s.problems(), vec!["output file: file: disk full"]);
        output.stored(&Ok(()));
        assert!(s.problems().is_empty());
    }
}
