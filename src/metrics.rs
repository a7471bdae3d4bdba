//! The agent's own metrics (`loglift_*`, DESIGN §8), each declared once here
//! with its HELP text, in one registry that `/metrics` serves, followed by
//! the CloudWatch values of [`crate::cloudwatch::exposition`].

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// The registry of every agent metric.
pub static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

fn register<C: prometheus::core::Collector + Clone + 'static>(c: C) -> C {
    REGISTRY
        .register(Box::new(c.clone()))
        .expect("metric registered once");
    c
}

fn counter(name: &str, help: &str) -> IntCounter {
    register(IntCounter::new(name, help).expect("valid metric"))
}

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"))
}

/// SQS messages received.
pub static SQS_RECEIVED: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "loglift_sqs_messages_received_total",
        "SQS messages received.",
    )
});
/// SQS messages deleted after every event of their objects was acknowledged.
pub static SQS_DELETED: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "loglift_sqs_messages_deleted_total",
        "SQS messages deleted after all their events were acknowledged.",
    )
});
/// SQS messages that failed and were left for redelivery, by reason.
pub static SQS_FAILED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_sqs_messages_failed_total",
        "SQS messages left for redelivery (and eventually the dead-letter queue), by reason.",
        &["reason"],
    )
});
/// Visibility-timeout extensions (heartbeats).
pub static SQS_VISIBILITY_EXTENDED: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "loglift_sqs_visibility_extended_total",
        "ChangeMessageVisibility calls that extended in-flight messages.",
    )
});
/// Notification records that were not ObjectCreated.
pub static SQS_RECORDS_IGNORED: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "loglift_sqs_records_ignored_total",
        "S3 notification records ignored (not ObjectCreated, or s3:TestEvent).",
    )
});
/// Objects read, by dataset and outcome.
pub static S3_OBJECTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_s3_objects_total",
        "S3 objects processed, by dataset and outcome.",
        &["dataset", "outcome"],
    )
});
/// Decompressed bytes read, by dataset.
pub static S3_BYTES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_s3_bytes_total",
        "Decompressed bytes read from S3 objects, by dataset.",
        &["dataset"],
    )
});
/// Events produced, by dataset and outcome (`ok`, `error`).
pub static EVENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_events_total",
        "Events produced, by dataset and outcome (ok, error).",
        &["dataset", "outcome"],
    )
});
/// Records that did not parse, by dataset.
pub static PARSE_ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_parse_errors_total",
        "Records that did not parse (each became an error event).",
        &["dataset"],
    )
});
/// Events handed to outputs, by output and outcome: `acked` (stored),
/// `duplicate` (already stored: Elasticsearch 409 on create),
/// `dead_lettered` (refused, kept in the dead-letter file), `failed` (left
/// to the inputs' redelivery).
pub static OUTPUT_EVENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_output_events_total",
        "Events handed to outputs, by output and outcome (acked, duplicate, dead_lettered, failed).",
        &["output", "outcome"],
    )
});
/// Elasticsearch bulk requests answered, by HTTP status (`error`: no answer).
pub static OUTPUT_BULK_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_output_bulk_requests_total",
        "Elasticsearch bulk requests, by HTTP status of the answer (error: connection error or timeout).",
        &["status"],
    )
});
/// Requests sent again after a 429, a 5xx, a connection error or retryable items.
pub static OUTPUT_RETRIES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_output_retries_total",
        "Requests sent again (after a 429, a 5xx, a connection error, or with the retryable items of a response), by output.",
        &["output"],
    )
});
/// Batches written, by output.
pub static OUTPUT_BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_output_batches_total",
        "Batches written, by output.",
        &["output"],
    )
});
/// Output write latency per group of batches.
pub static OUTPUT_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "loglift_output_latency_seconds",
                "Time to write and commit a group of batches (for elasticsearch: until every event is stored or dead-lettered), by output.",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                300.0,
            ]),
            &["output"],
        )
        .expect("valid metric"),
    )
});
/// Objects being read right now.
pub static OBJECTS_IN_FLIGHT: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new(
            "loglift_objects_in_flight",
            "S3 objects being read right now.",
        )
        .expect("valid metric"),
    )
});
/// Batches waiting in an output's queue, by output: the slowest output
/// fills its queue first (16 batches), then slows intake.
pub static OUTPUT_QUEUED: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register(
        IntGaugeVec::new(
            Opts::new(
                "loglift_output_queued_batches",
                "Batches (about 1 MiB each) waiting in an output's queue, by output; a full queue slows intake.",
            ),
            &["output"],
        )
        .expect("valid metric"),
    )
});
/// Seconds between an event's @timestamp and its processing, newest value per dataset.
pub static EVENT_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register(
        IntGaugeVec::new(
            Opts::new(
                "loglift_event_lag_seconds",
                "Now minus the @timestamp of the newest event of the last object, by dataset.",
            ),
            &["dataset"],
        )
        .expect("valid metric"),
    )
});
/// CloudWatch poller requests (every attempt), by API.
pub static CLOUDWATCH_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_cloudwatch_requests_total",
        "Requests of the CloudWatch poller (every attempt, retries included), by API: GetMetricData, ListMetrics, GetResources, DescribeInstances, GetCallerIdentity.",
        &["api"],
    )
});
/// CloudWatch poller requests that failed (throttled, refused, unreachable), by API.
pub static CLOUDWATCH_REQUEST_ERRORS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_cloudwatch_request_errors_total",
        "Requests of the CloudWatch poller that failed (throttling included; retried with backoff), by API.",
        &["api"],
    )
});
/// Metrics requested with GetMetricData (what AWS bills).
pub static CLOUDWATCH_METRICS_REQUESTED: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "loglift_cloudwatch_metrics_requested_total",
        "Metrics (series x statistic) requested with GetMetricData: what AWS bills.",
    )
});
/// Duration of CloudWatch polls, by module.
pub static CLOUDWATCH_POLL_DURATION: LazyLock<HistogramVec> =
    LazyLock::new(|| {
        register(
        HistogramVec::new(
            HistogramOpts::new(
                "loglift_cloudwatch_poll_duration_seconds",
                "Time of one CloudWatch poll (discovery, GetMetricData, publishing), by module.",
            )
            .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0]),
            &["module"],
        )
        .expect("valid metric"),
    )
    });
/// GeoIP lookups, by database file and outcome: `hit` (the database has
/// data for the address), `miss` (a public address it has no data for),
/// `private` (a non-public address, not looked up).
pub static GEOIP_LOOKUPS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_geoip_lookups_total",
        "GeoIP lookups, by database and outcome (hit, miss, private).",
        &["database", "outcome"],
    )
});
/// GeoIP lookups answered from a worker's cache of recent addresses.
pub static GEOIP_CACHE_HITS: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "loglift_geoip_cache_hits_total",
        "GeoIP lookups answered from a worker's cache of recent addresses.",
    )
});
/// Reloads of replaced GeoIP database files, by outcome (`ok`, `failed`).
pub static GEOIP_RELOADS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "loglift_geoip_reloads_total",
        "Reloads of replaced GeoIP database files, by database and outcome (ok, failed: the previous version stays in use).",
        &["database", "outcome"],
    )
});
/// Build time of the GeoIP database version in use.
pub static GEOIP_BUILD_TIME: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register(
        IntGaugeVec::new(
            Opts::new(
                "loglift_geoip_database_build_timestamp_seconds",
                "Build time of the GeoIP database version in use (Unix seconds).",
            ),
            &["database"],
        )
        .expect("valid metric"),
    )
});
/// Build information.
pub static BUILD_INFO: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register(
        IntGaugeVec::new(
            Opts::new("loglift_build_info", "Build information; always 1."),
            &["version"],
        )
        .expect("valid metric"),
    )
});

/// Makes every metric visible from the start (zero values) and sets build info.
pub fn init() {
    BUILD_INFO
        .with_label_values(&[env!("CARGO_PKG_VERSION")])
        .set(1);
    LazyLock::force(&SQS_RECEIVED);
    LazyLock::force(&SQS_DELETED);
    LazyLock::force(&SQS_FAILED);
    LazyLock::force(&SQS_VISIBILITY_EXTENDED);
    LazyLock::force(&SQS_RECORDS_IGNORED);
    LazyLock::force(&S3_OBJECTS);
    LazyLock::force(&S3_BYTES);
    LazyLock::force(&EVENTS);
    LazyLock::force(&PARSE_ERRORS);
    LazyLock::force(&OUTPUT_EVENTS);
    LazyLock::force(&OUTPUT_BATCHES);
    LazyLock::force(&OUTPUT_LATENCY);
    LazyLock::force(&OUTPUT_BULK_REQUESTS);
    LazyLock::force(&OUTPUT_RETRIES);
    LazyLock::force(&OBJECTS_IN_FLIGHT);
    LazyLock::force(&OUTPUT_QUEUED);
    LazyLock::force(&EVENT_LAG);
    LazyLock::force(&CLOUDWATCH_REQUESTS);
    LazyLock::force(&CLOUDWATCH_REQUEST_ERRORS);
    LazyLock::force(&CLOUDWATCH_METRICS_REQUESTED);
    LazyLock::force(&CLOUDWATCH_POLL_DURATION);
    LazyLock::force(&GEOIP_LOOKUPS);
    LazyLock::force(&GEOIP_CACHE_HITS);
    LazyLock::force(&GEOIP_RELOADS);
    LazyLock::force(&GEOIP_BUILD_TIME);
}

/// The Prometheus text exposition of every agent metric, followed by the
/// CloudWatch values of the metrics modules (encoded when they were polled).
pub fn render() -> String {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&REGISTRY.gather(), &mut out)
        .expect("text encoding cannot fail");
    crate::cloudwatch::exposition::COLLECTOR.render_into(&mut out);
    String::from_utf8(out).expect("text exposition is UTF-8")
}
