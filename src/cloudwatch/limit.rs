//! Every CloudWatch, tagging, EC2 and STS request of the poller goes through
//! [`Limits::call`]: at most `concurrency` requests at once, at most
//! `requests_per_second` started per second, each attempt counted in
//! `loglift_cloudwatch_requests_total{api}`, each failed one in
//! `loglift_cloudwatch_request_errors_total{api}`, and throttling or
//! transient failures retried with exponential backoff and jitter. The
//! SDK's own retries are off for these clients, so that every attempt is
//! seen and counted here.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_cloudwatch::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::{Mutex, Semaphore};
use tracing::warn;

use crate::metrics;

/// Error codes AWS services use for throttling.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Request limits shared by every poller of the agent (AWS throttles per
/// account and region, not per module).
#[derive(Debug)]
pub struct Limits {
    concurrency: Semaphore,
    /// When the next request may start.
    next_start: Mutex<Instant>,
    spacing: Duration,
    max_retries: u32,
    backoff: Duration,
}

impl Limits {
    /// Limits of `concurrency` requests at once, `requests_per_second`
    /// starts per second, `max_retries` retries starting at `backoff`.
    pub fn new(
        concurrency: usize,
        requests_per_second: f64,
        max_retries: u32,
        backoff: Duration,
    ) -> Self {
        let spacing = if requests_per_second > 0.0 {
            Duration::from_secs_f64(1.0 / requests_per_second)
        } else {
            Duration::ZERO
        };
        Limits {
            concurrency: Semaphore::new(concurrency.max(1)),
            next_start: Mutex::new(Instant::now()),
            spacing,
            max_retries,
            backoff,
        }
    }

    /// Waits for the next start slot.
    async fn pace(&self) {
        if self.spacing.is_zero() {
            return;
        }
        let at = {
            let mut next = self.next_start.lock().await;
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + self.spacing;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }

    /// Runs `request` (one attempt per call) within the limits, retrying
    /// throttling and transient errors; `api` names it in the metrics (`GetMetricData`).
    pub async fn call<T, E, R, F, Fut>(
        &self,
        api: &'static str,
        mut request: F,
    ) -> Result<T, SdkError<E, R>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let mut attempt = 0u32;
        loop {
            let result = {
                let _permit = self
                    .concurrency
                    .acquire()
                    .await
                    .expect("semaphore never closed");
                self.pace().await;
                metrics::CLOUDWATCH_REQUESTS.with_label_values(&[api]).inc();
                request().await
            };
            match result {
                Ok(v) => return Ok(v),
                Err(e) => {
                    metrics::CLOUDWATCH_REQUEST_ERRORS
                        .with_label_values(&[api])
                        .inc();
                    if attempt >= self.max_retries || !retryable(&e) {
                        return Err(e);
                    }
                    let wait = backoff(self.backoff, attempt);
                    warn!(api, attempt = attempt + 1, wait_ms = wait.as_millis() as u64, error = %crate::aws::error_summary(&e), "request failed; retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }
}

/// Whether an error is worth retrying: throttling, a server error, a
/// timeout or a connection failure.
pub fn retryable<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(e) => {
            let code = e.err().code().unwrap_or_default();
            THROTTLING_CODES.contains(&code)
                || code == "InternalFailure"
                || code == "ServiceUnavailable"
                || code == "InternalError"
        }
        _ => false,
    }
}

/// Whether an error is throttling.
pub fn is_throttling(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// The wait before retry `attempt` (0-based): `base`·2^attempt, at most
/// 20 s, with jitter between half and all of it.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let full = base
        .saturating_mul(1u32 << attempt.min(16))
        .min(Duration::from_secs(20));
    // Jitter from the clock's low bits: no randomness crate needed for this.
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let fraction = 0.5 + f64::from(nanos % 1000) / 2000.0;
    full.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let first = backoff(base, 0);
        assert!(first >= Duration::from_millis(50) && first <= base);
        let fifth = backoff(base, 4);
        assert!(fifth >= Duration::from_millis(800) && fifth <= Duration::from_millis(1600));
        assert!(backoff(base, 30) <= Duration::from_secs(20));
        assert!(is_throttling("Throttling") && !is_throttling("AccessDenied"));
    }

    #[tokio::test]
    async fn requests_are_paced() {
        let limits = Limits::new(5, 20.0, 0, Duration::ZERO);
        let start = Instant::now();
        for _ in 0..5 {
            limits.pace().await;
        }
        // Five starts at 20/s: the fifth no earlier than 200 ms after the first.
        assert!(
            start.elapsed() >= Duration::from_millis(190),
            "{:?}",
            start.elapsed()
        );
    }
}
