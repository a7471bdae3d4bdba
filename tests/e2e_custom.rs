//! User-defined datasets end to end, against a real moto server: a line
//! format split by a dissect pattern and a vendor JSON export, both routed by
//! selector, arrive with their values mapped and converted into ECS fields.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const DATASETS: &str = r#"datasets:
  - name: acme.firewall
    selector: '^acme/'
    framing: lines
    dissect: '%{ts} %{host} acmefw[%{pid}]: %{verdict} %{src}:%{sport} -> %{dst}:%{dport}'
    fields:
      - {from: host, to: host.name}
      - {from: verdict, to: event.action}
      - {from: src, to: source.ip, type: ip}
      - {from: sport, to: source.port, type: long}
      - {from: dst, to: destination.ip, type: ip}
      - {from: dport, to: destination.port, type: long}
    static:
      observer.vendor: Acme
    timestamp_field: ts
  - name: vendor.activity
    selector: '^activity/'
    framing: ndjson
    fields:
      - {from: actor.ip, to: source.ip, type: ip}
      - {from: actor.login, to: user.name}
      - {from: action, to: event.action}
    timestamp_field: occurred_at
    timestamp_format: unix_ms
"#;

#[tokio::test(flavor = "multi_thread")]
async fn dissected_lines_and_vendor_json_arrive_with_mapped_ecs_fields() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 3, false).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.ndjson");

    let lines = "2024-03-05T10:00:00Z fw-1 acmefw[311]: DENY 89.160.20.128:51234 -> 10.0.0.5:22\n\
                 2024-03-05T10:00:01Z fw-1 acmefw[311]: ALLOW 10.0.0.7:40000 -> 10.0.0.5:abc\n\
                 this line is not from the firewall\n";
    aws.put("logs", "acme/fw-1/2024-03-05.log.gz", gzip(lines))
        .await;
    let ndjson = r#"{"action":"login","occurred_at":1709632800000,"actor":{"login":"ann","ip":"81.2.69.142"}}
{"action":"logout","occurred_at":1709632860000,"actor":{"login":"bob","ip":"not-an-ip"}}
"#;
    aws.put(
        "logs",
        "activity/2024-03-05.ndjson",
        ndjson.as_bytes().to_vec(),
    )
    .await;

    let config = sqs_config(&moto.endpoint, &queue.url, &out, "") + DATASETS;
    let agent = Agent::start(dir.path(), &config);
    wait_until(Duration::from_secs(60), "5 events", || {
        count_lines(std::slice::from_ref(&out)) >= 5
    })
    .await;
    wait_until(Duration::from_secs(30), "the queue to drain", || {
        block(aws.depth(&queue.url)) == (0, 0)
    })
    .await;
    let events: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 5, "log:\n{}", agent.log());
    let find = |dataset: &str, offset: u64| {
        events
            .iter()
            .find(|e| e["event"]["dataset"] == dataset && e["log"]["offset"] == offset)
            .unwrap_or_else(|| panic!("{dataset} at {offset}"))
            .clone()
    };

    let deny = find("acme.firewall", 0);
    assert_eq!(deny["@timestamp"], "2024-03-05T10:00:00.000Z");
    assert_eq!(
        deny["source"],
        json!({"ip": "89.160.20.128", "port": 51234})
    );
    assert_eq!(deny["destination"], json!({"ip": "10.0.0.5", "port": 22}));
    assert_eq!(deny["host"]["name"], "fw-1");
    assert_eq!(deny["event"]["action"], "DENY");
    assert_eq!(deny["observer"]["vendor"], "Acme");
    assert_eq!(deny["acme"]["firewall"]["pid"], "311");
    assert!(deny.get("error").is_none(), "{deny}");
    // A value that does not convert: kept raw, and said so.
    let allow = events
        .iter()
        .find(|e| e["event"]["action"] == "ALLOW")
        .expect("the ALLOW line");
    assert_eq!(allow["acme"]["firewall"]["dport"], "abc");
    assert!(allow["destination"].get("port").is_none());
    assert!(
        allow["error"]["message"].to_string().contains("dport"),
        "{allow}"
    );
    // A line the pattern does not match: an error event with the original text.
    let unmatched = events
        .iter()
        .find(|e| e["event"]["kind"] == "pipeline_error")
        .expect("the unmatched line");
    assert_eq!(
        unmatched["event"]["original"],
        "this line is not from the firewall"
    );

    let login = find("vendor.activity", 0);
    assert_eq!(login["@timestamp"], "2024-03-05T10:00:00.000Z");
    assert_eq!(login["source"]["ip"], "81.2.69.142");
    assert_eq!(login["user"]["name"], "ann");
    assert_eq!(login["event"]["action"], "login");
    assert_eq!(login["vendor"]["activity"]["actor"]["login"], "ann");
    let metrics = agent.metrics();
    assert_eq!(
        metric(
            &metrics,
            "loglift_parse_errors_total{dataset=\"acme.firewall\"}"
        ),
        1.0
    );
}
