//! End to end, the CloudWatch metrics poller against ministack (CloudWatch
//! over Smithy RPC v2 CBOR, as the Rust SDK speaks it, plus EC2, SQS, STS
//! and the tagging API): metric data put for EC2 instances created with
//! RunInstances, SQS queues and a custom namespace; the real `loglift run`
//! polls them; `/metrics` is scraped over HTTP and parsed with a Prometheus
//! text-format parser; metric events reach the file output and fit `fields/`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A sample of a scrape.
#[derive(Debug, Clone)]
struct Sample {
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape parsed with `prometheus-parse`.
struct Scrape {
    families: BTreeMap<String, Vec<Sample>>,
    help: BTreeMap<String, String>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let lines = text.lines().map(|l| Ok(l.to_string()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text");
        let mut families: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
        for s in scrape.samples {
            let value = match s.value {
                prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => continue,
            };
            let labels = s
                .labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            families
                .entry(s.metric)
                .or_default()
                .push(Sample { labels, value });
        }
        Scrape {
            families,
            help: scrape.docs.into_iter().collect(),
        }
    }

    fn family(&self, name: &str) -> &[Sample] {
        self.families.get(name).map_or(&[], Vec::as_slice)
    }

    /// The value of the one sample of `name` whose labels include `want`.
    fn value(&self, name: &str, want: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<_> = self
            .family(name)
            .iter()
            .filter(|s| {
                want.iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        assert!(found.len() <= 1, "{name} {want:?}: {} samples", found.len());
        found.first().map(|s| s.value)
    }

    fn total(&self, name: &str, want: &[(&str, &str)]) -> f64 {
        self.family(name)
            .iter()
            .filter(|s| {
                want.iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }
}

fn dimension(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

fn minutes_ago(m: u64) -> DateTime {
    DateTime::from(SystemTime::now() - Duration::from_secs(m * 60))
}

/// Puts `value` (one datapoint per value, all `minutes` ago) for a series.
async fn put(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    metric: &str,
    dims: &[(&str, &str)],
    values: &[f64],
    minutes: u64,
) {
    let data: Vec<MetricDatum> = values
        .iter()
        .map(|v| {
            MetricDatum::builder()
                .metric_name(metric)
                .set_dimensions(Some(dims.iter().map(|(n, v)| dimension(n, v)).collect()))
                .value(*v)
                .timestamp(minutes_ago(minutes))
                .build()
        })
        .collect();
    cw.put_metric_data()
        .namespace(namespace)
        .set_metric_data(Some(data))
        .send()
        .await
        .unwrap();
}

/// Launches one instance with `tags`; returns its id.
async fn instance(ec2: &aws_sdk_ec2::Client, tags: &[(&str, &str)]) -> String {
    use aws_sdk_ec2::types::{InstanceType, ResourceType, Tag, TagSpecification};
    let spec = TagSpecification::builder()
        .resource_type(ResourceType::Instance)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .build();
    let out = ec2
        .run_instances()
        .image_id("ami-12345678")
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .tag_specifications(spec)
        .send()
        .await
        .unwrap();
    out.instances()[0].instance_id().unwrap().to_string()
}

/// Writes a module file into `dir/modules.d/`.
fn module(dir: &Path, name: &str, text: &str) {
    let modules = dir.join("modules.d");
    std::fs::create_dir_all(&modules).unwrap();
    std::fs::write(modules.join(name), text).unwrap();
}

/// An agent config with metrics modules only (no log inputs), events to `out`.
fn metrics_config(endpoint: &str, out: &Path, cloudwatch: &str) -> String {
    format!(
        "aws:\n  region: {REGION}\n  endpoint: {endpoint}\n  access_key_id: {MINISTACK_ACCOUNT}\n  secret_access_key: {SECRET}\ncloudwatch:\n{cloudwatch}outputs:\n  - type: file\n    path: {}\nhttp:\n  listen: {{http}}\n",
        out.display()
    )
}

/// Waits until the agent's `/metrics` satisfies `check`; returns that scrape.
async fn scrape_until(
    agent: &Agent,
    what: &str,
    timeout: Duration,
    mut check: impl FnMut(&Scrape) -> bool,
) -> Scrape {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let text = agent.metrics();
        if !text.is_empty() {
            let scrape = Scrape::parse(&text);
            if check(&scrape) {
                return scrape;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; log:\n{}\nmetrics:\n{text}",
            agent.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every field of `event` is defined in `fields/` for its dataset, with a fitting type.
fn check_fields(event: &serde_json::Value, problems: &mut Vec<String>) {
    let dataset = event["event"]["dataset"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let defs = loglift::schema::fields_for(&dataset).unwrap();
    fn walk(
        path: &str,
        v: &serde_json::Value,
        defs: &BTreeMap<String, loglift::schema::FieldDef>,
        problems: &mut Vec<String>,
    ) {
        if path == "@metadata" {
            return;
        }
        if let Some(def) = defs.get(path) {
            let fits = match v {
                serde_json::Value::Object(_) => def.kind == "object",
                serde_json::Value::String(_) => {
                    loglift::schema::kind_fits(loglift_parsers::event::ValueKind::String, &def.kind)
                }
                serde_json::Value::Number(n) if n.is_i64() => loglift::schema::kind_fits(
                    loglift_parsers::event::ValueKind::Integer,
                    &def.kind,
                ),
                serde_json::Value::Number(_) => {
                    loglift::schema::kind_fits(loglift_parsers::event::ValueKind::Float, &def.kind)
                }
                _ => true,
            };
            if !fits {
                problems.push(format!("{path}: {v} does not fit {}", def.kind));
            }
            return;
        }
        match v {
            serde_json::Value::Object(map) => {
                for (k, child) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(&p, child, defs, problems);
                }
            }
            _ => problems.push(format!("{path}: not defined in fields/ (value {v})")),
        }
    }
    let mut event = event.clone();
    if dataset == "aws.cloudwatch" {
        // A custom namespace's values sit under a path from the configuration
        // (documented as dynamic in fields/aws.cloudwatch.yml).
        let ns = event["aws"]["cloudwatch"]["namespace"]
            .as_str()
            .unwrap_or_default();
        let prefix = loglift::cloudwatch::exposition::namespace_prefix(ns);
        assert!(event["aws"][&prefix]["metrics"].is_object(), "{event}");
        event["aws"].as_object_mut().unwrap().remove(&prefix);
    }
    walk("", &event, &defs, problems);
}

fn read_events(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudwatch_values_become_gauges_and_events_filtered_by_tags() {
    let _serial = serial().await;
    let ms = Ministack::start();
    let sdk = ms.sdk().await;
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);

    let web1 = instance(&ec2, &[("env", "prod"), ("Name", "web-1")]).await;
    let web2 = instance(&ec2, &[("env", "prod"), ("Name", "web-2")]).await;
    let dev = instance(&ec2, &[("env", "dev"), ("Name", "dev-1")]).await;
    for (queue, env) in [("orders", "prod"), ("audit", "dev")] {
        sqs.create_queue()
            .queue_name(queue)
            .tags("env", env)
            .send()
            .await
            .unwrap();
    }
    for (id, cpu) in [(&web1, 10.0), (&web2, 20.0), (&dev, 30.0)] {
        put(
            &cw,
            "AWS/EC2",
            "CPUUtilization",
            &[("InstanceId", id)],
            &[cpu, cpu + 10.0],
            2,
        )
        .await;
        put(
            &cw,
            "AWS/EC2",
            "NetworkIn",
            &[("InstanceId", id)],
            &[1000.0, 500.0],
            2,
        )
        .await;
    }
    // A series of no instance (an Auto Scaling group aggregate): left out by the tag filter.
    put(
        &cw,
        "AWS/EC2",
        "CPUUtilization",
        &[("AutoScalingGroupName", "web")],
        &[50.0],
        2,
    )
    .await;
    put(
        &cw,
        "AWS/SQS",
        "NumberOfMessagesSent",
        &[("QueueName", "orders")],
        &[2.0, 3.0],
        2,
    )
    .await;
    put(
        &cw,
        "AWS/SQS",
        "NumberOfMessagesSent",
        &[("QueueName", "audit")],
        &[7.0],
        2,
    )
    .await;
    put(
        &cw,
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        &[("QueueName", "orders")],
        &[4.0],
        2,
    )
    .await;
    let latencies: Vec<f64> = (1..=10).map(f64::from).collect();
    put(
        &cw,
        "MyApp/Orders",
        "OrderLatency",
        &[("Shop", "eu")],
        &latencies,
        2,
    )
    .await;
    put(
        &cw,
        "MyApp/Orders",
        "OrderLatency",
        &[("Shop", "us")],
        &[100.0],
        2,
    )
    .await;
    put(
        &cw,
        "MyApp/Orders",
        "OrderLatency",
        &[("Shop", "eu"), ("Canary", "yes")],
        &[1.0],
        2,
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");
    let timing = "period: 60s\ndelay: 0s\nlength: 10m\ninterval: 2s\ndiscovery_ttl: 1s\n";
    module(
        dir.path(),
        "aws.ec2_metrics.yml",
        &format!("metrics: ec2\n{timing}tags_filter:\n  env: prod\nexport_tags: [env, Name]\nmetric_names: [CPUUtilization, NetworkIn]\n"),
    );
    module(
        dir.path(),
        "aws.sqs_metrics.yml",
        &format!("metrics: sqs\n{timing}export_tags: [env]\n"),
    );
    module(
        dir.path(),
        "aws.cloudwatch_metrics.yml",
        &format!("metrics: cloudwatch\n{timing}namespaces:\n  - namespace: MyApp/Orders\n    metric_names: [OrderLatency]\n    dimensions: [{{name: Shop}}]\n    statistics: [Average, Maximum, SampleCount, p90]\n"),
    );
    // A disabled module is not polled.
    module(
        dir.path(),
        "aws.billing_metrics.yml.disabled",
        "metrics: billing\n",
    );
    let config = metrics_config(&ms.endpoint, &out, "  retry_backoff: 50ms\n");
    let mut agent = Agent::start(dir.path(), &config);

    let scrape = scrape_until(
        &agent,
        "every module's gauges",
        Duration::from_secs(60),
        |s| {
            s.family("aws_ec2_cpuutilization_average").len() == 2
                && s.family("aws_sqs_number_of_messages_sent_sum").len() == 2
                && !s.family("aws_my_app_orders_order_latency_p90").is_empty()
        },
    )
    .await;

    // EC2: only the prod instances, with their exported tags, region and account.
    let cpu = "aws_ec2_cpuutilization_average";
    let web1_labels = [
        ("dimension_InstanceId", web1.as_str()),
        ("tag_env", "prod"),
        ("tag_Name", "web-1"),
        ("region", REGION),
        ("account_id", MINISTACK_ACCOUNT),
    ];
    assert_eq!(scrape.value(cpu, &web1_labels), Some(15.0));
    assert_eq!(
        scrape.value(cpu, &[("dimension_InstanceId", &web2)]),
        Some(25.0)
    );
    assert_eq!(
        scrape.value(cpu, &[("dimension_InstanceId", &dev)]),
        None,
        "dev is filtered out"
    );
    assert_eq!(
        scrape.value(cpu, &[("dimension_AutoScalingGroupName", "web")]),
        None
    );
    assert_eq!(
        scrape.value(
            "aws_ec2_cpuutilization_maximum",
            &[("dimension_InstanceId", &web1)]
        ),
        Some(20.0)
    );
    assert_eq!(
        scrape.value("aws_ec2_network_in_sum", &[("dimension_InstanceId", &web2)]),
        Some(1500.0)
    );
    assert!(
        scrape.help[cpu].contains("AWS/EC2 CPUUtilization (Average)"),
        "{:?}",
        scrape.help.get(cpu)
    );

    // SQS: no filter, so both queues, each with its tag.
    let sent = "aws_sqs_number_of_messages_sent_sum";
    assert_eq!(
        scrape.value(
            sent,
            &[("dimension_QueueName", "orders"), ("tag_env", "prod")]
        ),
        Some(5.0)
    );
    assert_eq!(
        scrape.value(
            sent,
            &[("dimension_QueueName", "audit"), ("tag_env", "dev")]
        ),
        Some(7.0)
    );
    assert_eq!(
        scrape.value(
            "aws_sqs_approximate_number_of_messages_visible_maximum",
            &[("dimension_QueueName", "orders")]
        ),
        Some(4.0)
    );

    // The custom namespace, percentile included; the series with the extra
    // Canary dimension passes the `Shop` filter too, and every series of the
    // family has the same label names.
    let avg = "aws_my_app_orders_order_latency_average";
    assert_eq!(
        scrape.value(avg, &[("dimension_Shop", "eu"), ("dimension_Canary", "")]),
        Some(5.5)
    );
    assert_eq!(scrape.value(avg, &[("dimension_Shop", "us")]), Some(100.0));
    assert_eq!(scrape.value(avg, &[("dimension_Canary", "yes")]), Some(1.0));
    assert_eq!(
        scrape.value(
            "aws_my_app_orders_order_latency_maximum",
            &[("dimension_Shop", "eu"), ("dimension_Canary", "")]
        ),
        Some(10.0)
    );
    assert_eq!(
        scrape.value(
            "aws_my_app_orders_order_latency_sample_count",
            &[("dimension_Shop", "eu"), ("dimension_Canary", "")]
        ),
        Some(10.0)
    );
    let p90 = scrape
        .value(
            "aws_my_app_orders_order_latency_p90",
            &[("dimension_Shop", "eu"), ("dimension_Canary", "")],
        )
        .unwrap();
    assert!((9.0..=10.0).contains(&p90), "{p90}");
    for (name, samples) in &scrape.families {
        if !name.starts_with("aws_") {
            continue;
        }
        let sets: BTreeSet<Vec<&String>> =
            samples.iter().map(|s| s.labels.keys().collect()).collect();
        assert_eq!(sets.len(), 1, "{name}: label sets {sets:?}");
        let any = &samples[0].labels;
        assert!(
            any.contains_key("region") && any.contains_key("account_id"),
            "{name}"
        );
    }

    // Self metrics: requests per API, what AWS bills, poll durations.
    assert!(
        scrape.total(
            "loglift_cloudwatch_requests_total",
            &[("api", "GetMetricData")]
        ) >= 3.0
    );
    assert!(
        scrape.total(
            "loglift_cloudwatch_requests_total",
            &[("api", "ListMetrics")]
        ) >= 3.0
    );
    assert!(
        scrape.total(
            "loglift_cloudwatch_requests_total",
            &[("api", "DescribeInstances")]
        ) >= 1.0
    );
    assert!(
        scrape.total(
            "loglift_cloudwatch_requests_total",
            &[("api", "GetResources")]
        ) >= 1.0
    );
    // One poll of each module: ec2 2 instances x (2 + 1), sqs 2 + 2, custom 3 series x 4.
    assert!(scrape.total("loglift_cloudwatch_metrics_requested_total", &[]) >= 6.0 + 4.0 + 12.0);
    assert_eq!(
        scrape.total("loglift_cloudwatch_request_errors_total", &[]),
        0.0
    );
    assert!(
        scrape.total(
            "loglift_cloudwatch_poll_duration_seconds_count",
            &[("module", "ec2")]
        ) >= 1.0
    );

    // Metric events reached the file output, Metricbeat-shaped, within fields/.
    wait_until(Duration::from_secs(30), "metric events", || {
        let events = read_events(&out);
        ["aws.ec2", "aws.sqs", "aws.cloudwatch"]
            .iter()
            .all(|d| events.iter().any(|e| e["event"]["dataset"] == *d))
    })
    .await;
    assert!(agent.stop().success(), "clean exit; log:\n{}", agent.log());
    let events = read_events(&out);
    let web1_event = events
        .iter()
        .find(|e| e["cloud"]["instance"]["id"] == web1.as_str())
        .expect("an event for web-1");
    assert_eq!(
        web1_event["aws"]["ec2"]["metrics"]["CPUUtilization"]["avg"],
        15.0
    );
    assert_eq!(
        web1_event["aws"]["ec2"]["metrics"]["CPUUtilization"]["max"],
        20.0
    );
    assert_eq!(
        web1_event["aws"]["ec2"]["metrics"]["NetworkIn"]["sum"],
        1500.0
    );
    assert_eq!(web1_event["aws"]["dimensions"]["InstanceId"], web1.as_str());
    assert_eq!(web1_event["aws"]["tags"]["env"], "prod");
    assert_eq!(web1_event["cloud"]["instance"]["name"], "web-1");
    assert_eq!(web1_event["cloud"]["machine"]["type"], "t3.micro");
    assert_eq!(web1_event["cloud"]["account"]["id"], MINISTACK_ACCOUNT);
    assert_eq!(
        web1_event["aws"]["ec2"]["instance"]["state"]["name"],
        "running"
    );
    assert!(web1_event["aws"]["ec2"]["instance"]["private"]["ip"].is_string());
    assert!(web1_event["cloud"]["availability_zone"].is_string());
    assert_eq!(web1_event["data_stream"]["type"], "metrics");
    assert!(!events
        .iter()
        .any(|e| e["cloud"]["instance"]["id"] == dev.as_str()));
    let orders = events
        .iter()
        .find(|e| {
            e["event"]["dataset"] == "aws.sqs" && e["aws"]["dimensions"]["QueueName"] == "orders"
        })
        .expect("an event for the orders queue");
    assert_eq!(
        orders["aws"]["sqs"]["metrics"]["NumberOfMessagesSent"]["sum"],
        5.0
    );
    let custom = events
        .iter()
        .find(|e| {
            e["event"]["dataset"] == "aws.cloudwatch" && e["aws"]["dimensions"]["Shop"] == "us"
        })
        .expect("an event for the us shop");
    assert_eq!(
        custom["aws"]["my_app_orders"]["metrics"]["OrderLatency"]["avg"],
        100.0
    );
    assert_eq!(custom["aws"]["cloudwatch"]["namespace"], "MyApp/Orders");
    let mut problems = Vec::new();
    for e in &events {
        check_fields(e, &mut problems);
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Puts `n` series of one custom metric, 100 per call.
async fn put_series(cw: &aws_sdk_cloudwatch::Client, namespace: &str, n: usize) {
    for start in (0..n).step_by(100) {
        let data: Vec<MetricDatum> = (start..(start + 100).min(n))
            .map(|i| {
                MetricDatum::builder()
                    .metric_name("Value")
                    .dimensions(dimension("Series", &format!("s{i:04}")))
                    .value(i as f64)
                    .timestamp(minutes_ago(2))
                    .build()
            })
            .collect();
        cw.put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(data))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_hundred_series_take_three_get_metric_data_calls() {
    let _serial = serial().await;
    let ms = Ministack::start();
    let cw = aws_sdk_cloudwatch::Client::new(&ms.sdk().await);
    put_series(&cw, "Loglift/Batch", 1200).await;

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");
    module(
        dir.path(),
        "aws.cloudwatch_metrics.yml",
        "metrics: cloudwatch\nperiod: 60s\ndelay: 0s\nlength: 10m\ninterval: 1h\nnamespaces:\n  - namespace: Loglift/Batch\n    statistics: [Average]\n",
    );
    let mut agent = Agent::start(
        dir.path(),
        &metrics_config(&ms.endpoint, &out, "  events: false\n"),
    );
    let scrape = scrape_until(&agent, "1,200 series", Duration::from_secs(60), |s| {
        s.family("aws_loglift_batch_value_average").len() == 1200
    })
    .await;
    assert_eq!(
        scrape.total(
            "loglift_cloudwatch_requests_total",
            &[("api", "GetMetricData")]
        ),
        3.0
    );
    assert_eq!(
        scrape.total("loglift_cloudwatch_metrics_requested_total", &[]),
        1200.0
    );
    assert_eq!(
        scrape.value(
            "aws_loglift_batch_value_average",
            &[("dimension_Series", "s1199")]
        ),
        Some(1199.0)
    );
    assert!(agent.stop().success());
    assert!(
        read_events(&out).is_empty(),
        "events: false sends no metric events"
    );
}

/// A loopback HTTP proxy to `upstream` that answers the first `throttle`
/// GetMetricData requests with CloudWatch's `Throttling` error (Smithy RPC
/// v2 CBOR, as the SDK expects it) and forwards everything else.
async fn throttling_proxy(upstream: u16, throttle: usize) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let throttled = Arc::new(AtomicUsize::new(0));
    let count = throttled.clone();
    tokio::spawn(async move {
        // Bounded: the test ends long before this many connections.
        for _ in 0..10_000 {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let _ = proxy_connection(client, upstream, throttle, &count).await;
            });
        }
    });
    (port, throttled)
}

/// Reads one HTTP/1.1 message (head and `content-length` body).
async fn read_message(
    stream: &mut tokio::net::TcpStream,
) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some((head, body)))
}

/// CBOR text string.
fn cbor_text(out: &mut Vec<u8>, s: &str) {
    assert!(s.len() < 24);
    out.push(0x60 | s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

async fn proxy_connection(
    mut client: tokio::net::TcpStream,
    upstream: u16,
    throttle: usize,
    throttled: &AtomicUsize,
) -> std::io::Result<()> {
    while let Some((head, body)) = read_message(&mut client).await? {
        let get_metric_data = head
            .lines()
            .next()
            .unwrap_or_default()
            .contains("/operation/GetMetricData");
        if get_metric_data && throttled.load(Ordering::SeqCst) < throttle {
            throttled.fetch_add(1, Ordering::SeqCst);
            let mut error = vec![0xa2];
            cbor_text(&mut error, "__type");
            cbor_text(&mut error, "Throttling");
            cbor_text(&mut error, "message");
            cbor_text(&mut error, "Rate exceeded");
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/cbor\r\nsmithy-protocol: rpc-v2-cbor\r\nx-amzn-query-error: Throttling;Sender\r\ncontent-length: {}\r\n\r\n",
                error.len()
            );
            client.write_all(response.as_bytes()).await?;
            client.write_all(&error).await?;
            continue;
        }
        let mut upstream_stream = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await?;
        upstream_stream.write_all(head.as_bytes()).await?;
        upstream_stream.write_all(&body).await?;
        let Some((response_head, response_body)) = read_message(&mut upstream_stream).await? else {
            return Ok(());
        };
        client.write_all(response_head.as_bytes()).await?;
        client.write_all(&response_body).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_get_metric_data_is_retried_with_backoff_and_counted() {
    let _serial = serial().await;
    let ms = Ministack::start();
    let cw = aws_sdk_cloudwatch::Client::new(&ms.sdk().await);
    put_series(&cw, "Loglift/Throttled", 10).await;
    let (proxy, throttled) = throttling_proxy(ms.port, 3).await;

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");
    module(
        dir.path(),
        "aws.cloudwatch_metrics.yml",
        "metrics: cloudwatch\nperiod: 60s\ndelay: 0s\nlength: 10m\ninterval: 1h\nnamespaces:\n  - namespace: Loglift/Throttled\n",
    );
    let endpoint = format!("http://127.0.0.1:{proxy}");
    let mut agent = Agent::start(
        dir.path(),
        &metrics_config(
            &endpoint,
            &out,
            "  retry_backoff: 100ms\n  max_retries: 5\n",
        ),
    );
    let started = std::time::Instant::now();
    let scrape = scrape_until(
        &agent,
        "values after throttling",
        Duration::from_secs(60),
        |s| s.family("aws_loglift_throttled_value_average").len() == 10,
    )
    .await;
    assert_eq!(throttled.load(Ordering::SeqCst), 3);
    assert_eq!(
        scrape.total(
            "loglift_cloudwatch_request_errors_total",
            &[("api", "GetMetricData")]
        ),
        3.0
    );
    assert_eq!(
        scrape.total(
            "loglift_cloudwatch_requests_total",
            &[("api", "GetMetricData")]
        ),
        4.0
    );
    // Backoff: 50–100 ms, then 100–200, then 200–400 before the fourth attempt.
    assert!(started.elapsed() >= Duration::from_millis(350));
    assert!(agent.log().contains("retrying"), "{}", agent.log());
    assert!(
        agent.child.try_wait().unwrap().is_none(),
        "throttling is not fatal"
    );
    assert!(agent.stop().success());
}
