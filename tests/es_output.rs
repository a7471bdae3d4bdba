//! The `elasticsearch` output against the test bulk server
//! (`common/bulk.rs`): what goes on the wire (framing, ids, data streams,
//! gzip, credentials, TLS) and what survives faults (429 bursts, a server
//! down for 10 s, per-item 400s and 409s): every event stored once or
//! dead-lettered, never lost, never duplicated.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::bulk::{vpcflow_events, BulkServer, TestPki};
use loglift::config::{Compression, ElasticsearchOutputConfig, OutputConfig, Secret};
use loglift::output::{self, Delivery, Output};
use loglift::pipeline::Batch;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// A fast-retrying output configuration for `server`.
fn config(server: &BulkServer, dir: &Path) -> ElasticsearchOutputConfig {
    let mut c = ElasticsearchOutputConfig::new(vec![server.url()]);
    c.compression = Compression::None;
    c.flush_interval = Duration::ZERO;
    c.backoff_init = Duration::from_millis(50);
    c.backoff_max = Duration::from_millis(500);
    c.timeout = Duration::from_secs(10);
    c.dead_letter_path = dir.join("dead-letter.ndjson");
    c
}

/// The output thread around one `elasticsearch` output.
struct Outputs {
    tx: Option<mpsc::Sender<Delivery>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Outputs {
    fn open(config: &ElasticsearchOutputConfig) -> Outputs {
        let output = Output::open(&OutputConfig::Elasticsearch(config.clone())).unwrap();
        let (tx, thread) = output::spawn(vec![output], 8);
        Outputs {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Hands `ndjson` over in batches of `per_batch` events and waits for
    /// every acknowledgement; a failed batch is handed over again (as an
    /// input's redelivery would), up to `tries` times. Returns the errors seen.
    async fn deliver(&self, ndjson: &[u8], per_batch: usize, tries: usize) -> Vec<String> {
        let lines: Vec<&[u8]> = ndjson
            .split_inclusive(|b| *b == b'\n')
            .filter(|l| l.len() > 1)
            .collect();
        let mut todo: Vec<Vec<u8>> = lines.chunks(per_batch).map(|c| c.concat()).collect();
        let mut errors = Vec::new();
        for _ in 0..tries {
            let mut acks = Vec::new();
            for ndjson in todo.drain(..) {
                let (ack, rx) = oneshot::channel();
                let events = ndjson.iter().filter(|b| **b == b'\n').count();
                let batch = Batch {
                    ndjson: ndjson.clone(),
                    events,
                    errors: 0,
                };
                self.tx
                    .as_ref()
                    .unwrap()
                    .send(Delivery { batch, ack })
                    .await
                    .unwrap();
                acks.push((ndjson, rx));
            }
            for (ndjson, rx) in acks {
                if let Err(e) = rx.await.unwrap() {
                    errors.push(e);
                    todo.push(ndjson);
                }
            }
            if todo.is_empty() {
                break;
            }
        }
        assert!(todo.is_empty(), "batches never stored: {errors:?}");
        errors
    }

    fn close(mut self) {
        drop(self.tx.take());
        self.thread.take().unwrap().join().unwrap();
    }
}

fn ids_of(ndjson: &[u8]) -> Vec<String> {
    ndjson
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: Value = serde_json::from_slice(l).unwrap();
            v["@metadata"]["_id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Asserts the store holds exactly the events with `ids`, once each, in
/// the VPC flow data stream, without `@metadata`.
fn assert_stored_once(server: &BulkServer, ids: &BTreeSet<String>) {
    let docs = server.docs();
    let stored: BTreeSet<String> = docs.iter().map(|d| d.id.clone()).collect();
    assert_eq!(docs.len(), stored.len(), "no document twice");
    assert_eq!(&stored, ids, "exactly the expected documents");
    for d in &docs {
        assert_eq!(d.index, "logs-aws.vpcflow-default");
        assert!(d.source.get("@metadata").is_none(), "@metadata is dropped");
        assert_eq!(d.source["data_stream"]["dataset"], "aws.vpcflow");
    }
}

fn metric(name: &str) -> f64 {
    common::metric(&loglift::metrics::render(), name)
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_bodies_are_create_pairs_with_event_ids_into_data_streams() {
    let _serial = common::serial().await;
    let server = BulkServer::start();
    let dir = tempfile::tempdir().unwrap();
    let events = vpcflow_events(0, 2000);
    let ids = ids_of(&events);
    let mut c = config(&server, dir.path());
    c.bulk_max_size = 300;
    let outputs = Outputs::open(&c);
    assert!(outputs.deliver(&events, 1000, 1).await.is_empty());
    outputs.close();

    assert_stored_once(&server, &ids.iter().cloned().collect());
    let requests = server.requests();
    // 300 a request: 4 each when the two batches of 1000 are sent one by
    // one, 7 when the output thread found both queued and sent them as one
    // group (a loaded machine); never a request over 300 events.
    assert!(
        [7, 8].contains(&requests.len()),
        "2 batches of 1000, 300 a request: {} requests",
        requests.len()
    );
    let mut sent_ids = Vec::new();
    for r in &requests {
        assert_eq!(r.request, "POST /_bulk");
        assert_eq!(r.content_encoding, None);
        assert_eq!(r.authorization, None);
        assert_eq!(r.status, 200);
        let text = std::str::from_utf8(&r.body).unwrap();
        assert!(text.ends_with('\n'));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() % 2 == 0 && lines.len() <= 600);
        for pair in lines.chunks(2) {
            let action: Value = serde_json::from_str(pair[0]).unwrap();
            let create = action["create"].as_object().expect("a create action");
            assert_eq!(create.len(), 2, "{create:?}");
            assert_eq!(create["_index"], "logs-aws.vpcflow-default");
            sent_ids.push(create["_id"].as_str().unwrap().to_string());
            let doc: Value = serde_json::from_str(pair[1]).unwrap();
            assert!(doc.get("@metadata").is_none());
            assert!(doc.get("@timestamp").is_some());
        }
    }
    // Requests go two at a time: compare as sorted lists (each id once).
    let mut expected = ids.clone();
    sent_ids.sort();
    expected.sort();
    assert!(sent_ids == expected, "every event once, with its own id");
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_bodies_are_sent_compressed() {
    let _serial = common::serial().await;
    let server = BulkServer::start();
    let dir = tempfile::tempdir().unwrap();
    let events = vpcflow_events(0, 3000);
    let mut c = config(&server, dir.path());
    c.compression = Compression::Gzip;
    let outputs = Outputs::open(&c);
    assert!(outputs.deliver(&events, 1500, 1).await.is_empty());
    outputs.close();
    assert_stored_once(&server, &ids_of(&events).into_iter().collect());
    for r in server.requests() {
        assert_eq!(r.content_encoding.as_deref(), Some("gzip"));
        assert!(
            r.wire_bytes * 4 < r.body.len(),
            "{} bytes sent for {}",
            r.wire_bytes,
            r.body.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_and_api_key_credentials_are_sent_and_a_refusal_fails_the_batch() {
    let _serial = common::serial().await;
    let server = BulkServer::start();
    let dir = tempfile::tempdir().unwrap();
    let events = vpcflow_events(0, 100);

    server.require_auth("Basic ZWxhc3RpYzpzM2NyM3Q=");
    let mut c = config(&server, dir.path());
    c.username = Some("elastic".into());
    c.password = Some(Secret::new("s3cr3t"));
    let outputs = Outputs::open(&c);
    assert!(outputs.deliver(&events, 100, 1).await.is_empty());
    outputs.close();
    assert_eq!(server.count(), 100);

    // id:key is encoded; the encoded form is sent as it is.
    server.require_auth("ApiKey aWQxOmtleTE=");
    let mut c = config(&server, dir.path());
    c.api_key = Some(Secret::new("id1:key1"));
    let outputs = Outputs::open(&c);
    let more = vpcflow_events(100, 100);
    assert!(outputs.deliver(&more, 100, 1).await.is_empty());
    outputs.close();
    assert_eq!(server.count(), 200);

    // A wrong key: refused (401), not retried, the batch fails; no secret in the error.
    c.api_key = Some(Secret::new("aWQxOndyb25n"));
    let outputs = Outputs::open(&c);
    let tx = outputs.tx.clone().unwrap();
    let (ack, rx) = oneshot::channel();
    let batch = Batch {
        ndjson: vpcflow_events(200, 10),
        events: 10,
        errors: 0,
    };
    tx.send(Delivery { batch, ack }).await.unwrap();
    let error = rx.await.unwrap().unwrap_err();
    assert!(
        error.contains("401") && error.contains("refused"),
        "{error}"
    );
    assert!(!error.contains("aWQxOndyb25n"), "{error}");
    drop(tx);
    outputs.close();
    assert_eq!(server.count(), 200);
    let status = serde_json::to_string(&loglift::status::global().report()).unwrap();
    assert!(
        !status.contains("s3cr3t") && !status.contains("key1"),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_with_a_self_signed_ca_and_a_client_certificate() {
    let _serial = common::serial().await;
    let pki = TestPki::generate();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, pem: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    let ca = file("ca.pem", &pki.ca);
    let cert = file("client.pem", &pki.client_cert);
    let key = file("client.key", &pki.client_key);
    let server = BulkServer::start_tls(&pki.server_cert, &pki.server_key, Some(&pki.ca));
    assert!(server.url().starts_with("https://localhost:"));
    let events = vpcflow_events(0, 500);

    let mut c = config(&server, dir.path());
    c.tls.ca = Some(ca);
    c.tls.certificate = Some(cert.clone());
    c.tls.key = Some(key.clone());
    let outputs = Outputs::open(&c);
    assert!(outputs.deliver(&events, 250, 1).await.is_empty());
    outputs.close();
    assert_stored_once(&server, &ids_of(&events).into_iter().collect());

    // Trusting another authority only: the handshake fails.
    let mut untrusting = config(&server, dir.path());
    untrusting.max_retries = 1;
    untrusting.tls.ca = Some(file("other-ca.pem", &TestPki::generate().ca));
    untrusting.tls.certificate = Some(cert);
    untrusting.tls.key = Some(key);
    let outputs = Outputs::open(&untrusting);
    let (ack, rx) = oneshot::channel();
    let batch = Batch {
        ndjson: vpcflow_events(500, 5),
        events: 5,
        errors: 0,
    };
    outputs
        .tx
        .as_ref()
        .unwrap()
        .send(Delivery { batch, ack })
        .await
        .unwrap();
    let error = rx.await.unwrap().unwrap_err();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    outputs.close();
    assert_eq!(server.count(), 500);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_429s_is_retried_until_every_event_is_stored_once() {
    let _serial = common::serial().await;
    let server = BulkServer::start();
    let dir = tempfile::tempdir().unwrap();
    let events = vpcflow_events(0, 4000);
    let ids: BTreeSet<String> = ids_of(&events).into_iter().collect();
    server.fail_next(6, 429);
    server.reject_next_items(700);
    let retries_before = metric("loglift_output_retries_total{output=\"elasticsearch\"}");
    let mut c = config(&server, dir.path());
    c.bulk_max_size = 500;
    let outputs = Outputs::open(&c);
    let errors = outputs.deliver(&events, 1000, 1).await;
    outputs.close();
    assert!(errors.is_empty(), "retried, not failed: {errors:?}");
    assert_stored_once(&server, &ids);
    let statuses: BTreeMap<u16, usize> =
        server.requests().iter().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r.status).or_default() += 1;
            m
        });
    assert_eq!(statuses.get(&429), Some(&6), "{statuses:?}");
    assert!(
        metric("loglift_output_retries_total{output=\"elasticsearch\"}") > retries_before + 6.0
    );
    assert!(metric("loglift_output_bulk_requests_total{status=\"429\"}") >= 6.0);
    assert_eq!(
        std::fs::read(&c.dead_letter_path).unwrap(),
        b"",
        "nothing dead-lettered"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_down_for_ten_seconds_loses_and_duplicates_nothing() {
    let _serial = common::serial().await;
    let server = Arc::new(BulkServer::start());
    let dir = tempfile::tempdir().unwrap();
    let events = vpcflow_events(0, 6000);
    let ids: BTreeSet<String> = ids_of(&events).into_iter().collect();
    // A second host that never answers: skipped while it cools down.
    let dead = format!("http://127.0.0.1:{}", common::free_port());
    let mut c = config(&server, dir.path());
    c.hosts.push(dead);
    c.backoff_max = Duration::from_secs(2);
    c.max_retries = 30;
    c.host_cooldown = Duration::from_secs(5);
    let outputs = Outputs::open(&c);
    // Some events before the outage, the rest during it.
    let cut = events[..events.len() / 3]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    assert!(outputs.deliver(&events[..cut], 500, 1).await.is_empty());
    let started = Instant::now();
    server.down_for(Duration::from_secs(10));
    let errors = outputs.deliver(&events[cut..], 500, 3).await;
    let took = started.elapsed();
    outputs.close();
    assert!(
        took >= Duration::from_secs(10),
        "acknowledged during the outage? {took:?}"
    );
    assert!(took < Duration::from_secs(25), "recovered late: {took:?}");
    assert!(errors.is_empty(), "retries covered the outage: {errors:?}");
    assert_stored_once(&server, &ids);
    assert!(metric("loglift_output_bulk_requests_total{status=\"error\"}") > 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn per_item_400s_are_dead_lettered_and_409s_count_as_stored() {
    let _serial = common::serial().await;
    let server = BulkServer::start();
    let dir = tempfile::tempdir().unwrap();
    let events = vpcflow_events(0, 3000);
    // Every 7th event carries a field the cluster's mapping refuses.
    let mut marked = Vec::new();
    let mut bad = BTreeSet::new();
    let mut good = BTreeSet::new();
    for (n, line) in events
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let id = ids_of(line).remove(0);
        if n % 7 == 0 {
            marked.extend_from_slice(b"{\"loglift_test_bad\":\"x\",");
            marked.extend_from_slice(&line[1..]);
            bad.insert(id);
        } else {
            marked.extend_from_slice(line);
            good.insert(id);
        }
        marked.push(b'\n');
    }
    server.reject_field("loglift_test_bad");
    let mut c = config(&server, dir.path());
    c.bulk_max_size = 400;
    let outputs = Outputs::open(&c);
    // A first delivery of a third (its 400s dead-lettered too) ...
    let third: Vec<&[u8]> = marked.split_inclusive(|b| *b == b'\n').take(1000).collect();
    assert!(outputs.deliver(&third.concat(), 250, 1).await.is_empty());
    let first_letters = std::fs::read_to_string(&c.dead_letter_path)
        .unwrap()
        .lines()
        .count();
    // ... then everything, as a redelivered object would be, with some 429 items mixed in.
    server.reject_next_items(150);
    let duplicates_before =
        metric("loglift_output_events_total{outcome=\"duplicate\",output=\"elasticsearch\"}");
    assert!(
        outputs.deliver(&marked, 500, 1).await.is_empty(),
        "never blocked"
    );
    outputs.close();

    assert_stored_once(&server, &good);
    let duplicates =
        metric("loglift_output_events_total{outcome=\"duplicate\",output=\"elasticsearch\"}")
            - duplicates_before;
    let good_in_third = third
        .iter()
        .filter(|l| !l.starts_with(b"{\"loglift_test_bad\""))
        .count();
    assert_eq!(
        duplicates, good_in_third as f64,
        "the second delivery's 409s"
    );
    let text = std::fs::read_to_string(&c.dead_letter_path).unwrap();
    let letters: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bad_in_third = third.len() - good_in_third;
    assert_eq!(first_letters, bad_in_third);
    assert_eq!(
        letters.len(),
        bad_in_third + bad.len(),
        "each refusal recorded, nothing else"
    );
    let mut lettered = BTreeSet::new();
    for l in &letters[first_letters..] {
        assert_eq!(l["status"], 400);
        assert_eq!(l["error"]["type"], "mapper_parsing_exception");
        assert_eq!(l["index"], "logs-aws.vpcflow-default");
        assert_eq!(l["event"]["loglift_test_bad"], "x", "the original event");
        lettered.insert(l["event"]["@metadata"]["_id"].as_str().unwrap().to_string());
    }
    assert_eq!(lettered, bad, "the dead-letter file holds exactly the 400s");
}

#[tokio::test(flavor = "multi_thread")]
async fn small_batches_wait_up_to_the_flush_interval_to_fill_a_request() {
    let _serial = common::serial().await;
    let server = BulkServer::start();
    let dir = tempfile::tempdir().unwrap();
    let events = vpcflow_events(0, 400);
    let mut c = config(&server, dir.path());
    c.flush_interval = Duration::from_millis(500);
    let outputs = Outputs::open(&c);
    assert!(outputs.deliver(&events, 10, 1).await.is_empty());
    outputs.close();
    assert_eq!(server.count(), 400);
    let requests = server.requests().len();
    assert!(requests <= 5, "40 batches of 10 in {requests} requests");
}

/// A `file` output writing `events.ndjson` under `dir`, and that path.
fn file_output(dir: &Path) -> (Output, std::path::PathBuf) {
    let path = dir.join("events.ndjson");
    let config = loglift::config::FileOutputConfig {
        path: path.clone(),
        rotate_bytes: 0,
        keep_files: 1,
    };
    (Output::open(&OutputConfig::File(config)).unwrap(), path)
}

/// Hands `events` (NDJSON) to the outputs as one batch; returns its acknowledgement.
async fn send_batch(
    tx: &mpsc::Sender<Delivery>,
    events: &[u8],
) -> oneshot::Receiver<Result<(), String>> {
    let (ack, acked) = oneshot::channel();
    let batch = Batch {
        ndjson: events.to_vec(),
        events: events.iter().filter(|b| **b == b'\n').count(),
        errors: 0,
    };
    tx.send(Delivery { batch, ack }).await.unwrap();
    acked
}

/// Outputs run side by side: a `file` output beside an Elasticsearch output
/// that lingers (`flush_interval`) and then waits on a held server stores its
/// batch at once, while the batch's acknowledgement waits for both.
#[tokio::test(flavor = "multi_thread")]
async fn each_output_stores_on_its_own_and_the_ack_waits_for_all() {
    let _serial = common::serial().await;
    let server = BulkServer::start();
    server.hold();
    let dir = tempfile::tempdir().unwrap();
    let mut es = config(&server, dir.path());
    es.flush_interval = Duration::from_secs(2);
    let (file, path) = file_output(dir.path());
    let outputs = vec![
        Output::open(&OutputConfig::Elasticsearch(es)).unwrap(),
        file,
    ];
    let (tx, thread) = output::spawn(outputs, 8);
    let events = vpcflow_events(0, 100);
    let sent = Instant::now();
    let mut acked = send_batch(&tx, &events).await;

    let deadline = Instant::now() + Duration::from_secs(1);
    while std::fs::read(&path).unwrap_or_default() != events {
        assert!(
            Instant::now() < deadline,
            "the file output waited for the other output"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        acked.try_recv().is_err(),
        "not acknowledged while Elasticsearch has not answered"
    );
    server.release();
    let result = tokio::time::timeout(Duration::from_secs(10), acked)
        .await
        .expect("acknowledged once both stored")
        .unwrap();
    assert_eq!(result, Ok(()));
    assert!(
        sent.elapsed() >= Duration::from_secs(2),
        "Elasticsearch lingered"
    );
    assert_stored_once(&server, &ids_of(&events).into_iter().collect());
    drop(tx);
    thread.join().unwrap();
}

/// A batch one output fails is acknowledged as failed (its input delivers it
/// again) even though the other output stored it.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_fails_when_any_output_fails() {
    let _serial = common::serial().await;
    let server = BulkServer::start();
    server.down();
    let dir = tempfile::tempdir().unwrap();
    let mut es = config(&server, dir.path());
    es.max_retries = 0;
    let (file, path) = file_output(dir.path());
    let outputs = vec![
        file,
        Output::open(&OutputConfig::Elasticsearch(es)).unwrap(),
    ];
    let (tx, thread) = output::spawn(outputs, 8);
    let events = vpcflow_events(0, 10);
    let acked = send_batch(&tx, &events).await;
    let result = tokio::time::timeout(Duration::from_secs(30), acked)
        .await
        .expect("acknowledged")
        .unwrap();
    let error = result.expect_err("elasticsearch was down");
    assert!(error.starts_with("elasticsearch: "), "{error}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        events,
        "the file output stored it"
    );
    drop(tx);
    thread.join().unwrap();
}
