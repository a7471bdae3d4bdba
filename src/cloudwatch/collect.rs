//! Collection: GetMetricData only (one request fetches up to 500 series and
//! statistics, and costs the same per metric as GetMetricStatistics would
//! per call). The queries of one poll share one window aligned on the
//! period, so every datapoint of a call covers the same interval; each
//! batch follows its NextToken to the end.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};

use super::discovery::{next_page, ApiError, Clients};
use super::limit::Limits;
use super::module::Statistic;
use crate::aws::error_summary;
use crate::metrics;

/// The most queries GetMetricData accepts in one request.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// The window of one poll: `[start, end)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start (inclusive).
    pub start: i64,
    /// End (exclusive).
    pub end: i64,
}

impl Window {
    /// The window ending at `now - delay` rounded down to a multiple of
    /// `period`, `length` long (rounded up to whole periods).
    pub fn aligned(now: SystemTime, period: Duration, delay: Duration, length: Duration) -> Window {
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let period = period.as_secs().max(1) as i64;
        let end = (now - delay.as_secs() as i64).div_euclid(period) * period;
        let periods = (length.as_secs() as i64 + period - 1) / period;
        Window {
            start: end - periods.max(1) * period,
            end,
        }
    }
}

/// One series and statistic to fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Metric name.
    pub metric: &'a str,
    /// Dimensions.
    pub dimensions: &'a [(String, String)],
    /// Statistic (`Stat`: basic, or a percentile such as `p99.9`).
    pub statistic: &'a Statistic,
}

/// The GetMetricData query for `spec`, identified as `q<index>` (an id must
/// start with a lower-case letter).
pub fn query(index: usize, spec: &QuerySpec<'_>, period: Duration) -> MetricDataQuery {
    let dimensions = spec
        .dimensions
        .iter()
        .map(|(n, v)| Dimension::builder().name(n).value(v).build())
        .collect();
    let metric = Metric::builder()
        .namespace(spec.namespace)
        .metric_name(spec.metric)
        .set_dimensions(Some(dimensions))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(i32::try_from(period.as_secs()).unwrap_or(i32::MAX))
        .stat(spec.statistic.request_name())
        .build();
    MetricDataQuery::builder()
        .id(format!("q{index}"))
        .metric_stat(stat)
        .return_data(true)
        .build()
}

/// The index encoded in a query id (`q17` → 17).
pub fn query_index(id: &str) -> Option<usize> {
    id.strip_prefix('q')?.parse().ok()
}

/// The newest datapoint of a result (whatever order the timestamps come in).
pub fn newest(timestamps: &[DateTime], values: &[f64]) -> Option<(i64, f64)> {
    timestamps
        .iter()
        .zip(values)
        .map(|(t, v)| (t.secs(), *v))
        .filter(|(_, v)| v.is_finite())
        .max_by_key(|(t, _)| *t)
}

/// Keeps the newer of two datapoints.
fn keep_newest(slot: &mut Option<(i64, f64)>, point: (i64, f64)) {
    if slot.is_none_or(|(t, _)| point.0 > t) {
        *slot = Some(point);
    }
}

/// Fetches one batch (≤ 500 queries, ids `q<first>`…) and returns the newest
/// datapoint per query, indexed from `first`.
pub async fn fetch_batch(
    clients: &Clients,
    limits: &Limits,
    queries: Vec<MetricDataQuery>,
    first: usize,
    window: Window,
) -> Result<Vec<Option<(i64, f64)>>, ApiError> {
    let n = queries.len();
    debug_assert!(n <= MAX_QUERIES_PER_CALL);
    // What AWS bills: each metric requested, once per call (not per page).
    metrics::CLOUDWATCH_METRICS_REQUESTED.inc_by(n as u64);
    let mut out = vec![None; n];
    let mut token: Option<String> = None;
    loop {
        let page = limits
            .call("GetMetricData", || {
                clients
                    .cloudwatch
                    .get_metric_data()
                    .set_metric_data_queries(Some(queries.clone()))
                    .start_time(DateTime::from_secs(window.start))
                    .end_time(DateTime::from_secs(window.end))
                    .scan_by(ScanBy::TimestampDescending)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| ApiError {
                api: "GetMetricData",
                region: clients.region.clone(),
                message: error_summary(&e),
            })?;
        merge_results(page.metric_data_results(), first, &mut out);
        token = next_page(page.next_token());
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Adds the datapoints of one response page to `out` (indexed from `first`).
pub fn merge_results(
    results: &[aws_sdk_cloudwatch::types::MetricDataResult],
    first: usize,
    out: &mut [Option<(i64, f64)>],
) {
    for r in results {
        let Some(index) = r.id().and_then(query_index) else {
            continue;
        };
        let Some(slot) = index.checked_sub(first).and_then(|i| out.get_mut(i)) else {
            continue;
        };
        if let Some(point) = newest(r.timestamps(), r.values()) {
            keep_newest(slot, point);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::types::MetricDataResult;

    #[test]
    fn window_is_aligned_on_the_period() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_123);
        let w = Window::aligned(
            now,
            Duration::from_secs(300),
            Duration::from_secs(120),
            Duration::from_secs(600),
        );
        assert_eq!(w.end % 300, 0);
        assert!(w.end <= 1_700_000_123 - 120);
        assert!(w.end > 1_700_000_123 - 120 - 300);
        assert_eq!(w.end - w.start, 600);
        // A length that is not whole periods is rounded up.
        let w = Window::aligned(
            now,
            Duration::from_secs(60),
            Duration::ZERO,
            Duration::from_secs(90),
        );
        assert_eq!(w.end - w.start, 120);
    }

    #[test]
    fn percentile_queries_use_the_extended_statistic_as_stat() {
        let dims = vec![("InstanceId".to_string(), "i-1".to_string())];
        let p = Statistic::parse("p99.9").unwrap();
        let q = query(
            7,
            &QuerySpec {
                namespace: "AWS/EC2",
                metric: "CPUUtilization",
                dimensions: &dims,
                statistic: &p,
            },
            Duration::from_secs(60),
        );
        assert_eq!(q.id(), Some("q7"));
        assert_eq!(query_index(q.id().unwrap()), Some(7));
        let stat = q.metric_stat().unwrap();
        assert_eq!(stat.stat(), Some("p99.9"));
        assert_eq!(stat.period(), Some(60));
        let m = stat.metric().unwrap();
        assert_eq!(m.namespace(), Some("AWS/EC2"));
        assert_eq!(m.dimensions()[0].name(), Some("InstanceId"));
        assert_eq!(q.return_data(), Some(true));
    }

    #[test]
    fn newest_datapoint_wins_across_pages_and_orders() {
        let result = |id: &str, points: &[(i64, f64)]| {
            MetricDataResult::builder()
                .id(id)
                .set_timestamps(Some(
                    points
                        .iter()
                        .map(|(t, _)| DateTime::from_secs(*t))
                        .collect(),
                ))
                .set_values(Some(points.iter().map(|(_, v)| *v).collect()))
                .build()
        };
        let mut out = vec![None; 3];
        // Ascending order (as some servers answer) and descending.
        merge_results(
            &[
                result("q10", &[(100, 1.0), (160, 2.0)]),
                result("q11", &[(220, 9.5), (160, 3.0)]),
            ],
            10,
            &mut out,
        );
        // A later page continues q10 with an older point, and carries an unknown id.
        merge_results(
            &[result("q10", &[(40, 7.0)]), result("q99", &[(500, 1.0)])],
            10,
            &mut out,
        );
        assert_eq!(out, vec![Some((160, 2.0)), Some((220, 9.5)), None]);
        assert_eq!(newest(&[], &[]), None);
    }
}
