//! GeoIP enrichment end to end, against a real moto server: objects read
//! from S3 carry the geo and AS fields of MaxMind's test databases, and a
//! database replaced under the running agent is used for the next objects.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use serde_json::Value;

fn geoip_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/geoip")
        .join(name)
}

/// The events of `path`, parsed.
fn events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The agent's configuration with `databases` (relative to its directory).
fn config(endpoint: &str, queue_url: &str, out: &Path, databases: &[&str]) -> String {
    let mut yaml = sqs_config(endpoint, queue_url, out, "");
    yaml.push_str("geoip:\n  reload_interval: 1s\n  databases:\n");
    for db in databases {
        yaml.push_str(&format!("    - {db}\n"));
    }
    yaml
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_access_and_vpc_flow_events_carry_geo_and_as_fields() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 3, false).await;
    let dir = tempfile::tempdir().unwrap();
    for db in ["GeoLite2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb"] {
        std::fs::copy(geoip_fixture(db), dir.path().join(db)).unwrap();
    }
    let out = dir.path().join("events.ndjson");

    // S3 access: a London client and a private one.
    let s3access = s3access_lines(0, 2)
        .lines()
        .zip(["81.2.69.142", "10.1.2.3"])
        .map(|(line, ip)| {
            let mut fields: Vec<&str> = line.split(' ').collect();
            fields[4] = ip; // remote IP (after the two-field [timestamp])
            fields.join(" ") + "\n"
        })
        .collect::<String>();
    aws.put(
        "logs",
        "access/2019-02-06-00-00-38-5E5FDEADBEEF1234",
        s3access.into_bytes(),
    )
    .await;
    // VPC flow: from a private address to Linköping (AS29518).
    let flow = "2 123456789010 eni-1235b8ca123456789 10.0.0.5 89.160.20.128 49152 443 6 10 840 1700000000 1700000060 ACCEPT OK\n";
    aws.put(
        "logs",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/flow.log.gz",
        gzip(flow),
    )
    .await;

    let agent = Agent::start(
        dir.path(),
        &config(
            &moto.endpoint,
            &queue.url,
            &out,
            &["GeoLite2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb"],
        ),
    );
    wait_until(Duration::from_secs(60), "3 events", || {
        count_lines(std::slice::from_ref(&out)) >= 3
    })
    .await;
    let events = events(&out);
    let by_ip = |field: &str, ip: &str| {
        events
            .iter()
            .find(|e| e.pointer(field).and_then(Value::as_str) == Some(ip))
            .unwrap_or_else(|| panic!("no event with {field} = {ip}; log:\n{}", agent.log()))
            .clone()
    };
    let london = by_ip("/client/ip", "81.2.69.142");
    assert_eq!(london["client"]["geo"]["city_name"], "London");
    assert_eq!(london["client"]["geo"]["region_iso_code"], "GB-ENG");
    assert_eq!(
        london["geo"], london["client"]["geo"],
        "copied to top-level geo"
    );
    let private = by_ip("/client/ip", "10.1.2.3");
    assert!(private["client"].get("geo").is_none() && private.get("geo").is_none());
    let flow = by_ip("/destination/ip", "89.160.20.128");
    assert_eq!(
        flow["destination"]["as"],
        serde_json::json!({"number": 29518, "organization": {"name": "Bredband2 AB"}})
    );
    assert_eq!(flow["destination"]["geo"]["country_iso_code"], "SE");
    assert!(flow["source"].get("geo").is_none(), "private source");

    let metrics = agent.metrics();
    assert!(
        metric(
            &metrics,
            "loglift_geoip_lookups_total{database=\"GeoLite2-City-Test.mmdb\",outcome=\"hit\"}"
        ) >= 2.0
    );
    assert!(
        metric(
            &metrics,
            "loglift_geoip_lookups_total{database=\"GeoLite2-ASN-Test.mmdb\",outcome=\"private\"}"
        ) >= 2.0
    );
    assert!(
        metric(
            &metrics,
            "loglift_geoip_database_build_timestamp_seconds{database=\"GeoLite2-City-Test.mmdb\"}"
        ) > 1.5e9
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_replaced_under_the_running_agent_is_used_for_the_next_objects() {
    let _serial = serial().await;
    let moto = Moto::start(&[]);
    let aws = moto.clients().await;
    let queue = aws.bucket_with_queue("logs", 3, false).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("GeoLite2-City.mmdb");
    std::fs::copy(geoip_fixture("GeoLite2-City-Test.mmdb"), &db).unwrap();
    let out = dir.path().join("events.ndjson");
    let flow = |n: u32| {
        gzip(&format!(
            "2 123456789010 eni-1235b8ca123456789 89.160.20.128 10.0.0.5 {n} 443 6 10 840 1700000000 1700000060 ACCEPT OK\n"
        ))
    };
    let key =
        |n: u32| format!("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/flow-{n}.log.gz");

    let agent = Agent::start(
        dir.path(),
        &config(&moto.endpoint, &queue.url, &out, &["GeoLite2-City.mmdb"]),
    );
    aws.put("logs", &key(1), flow(1)).await;
    wait_until(Duration::from_secs(60), "the first event", || {
        count_lines(std::slice::from_ref(&out)) >= 1
    })
    .await;
    assert_eq!(events(&out)[0]["source"]["geo"]["city_name"], "Linköping");

    // A broken download first: logged and counted, the database in use stays.
    let aside = dir.path().join("GeoLite2-City.mmdb.tmp");
    std::fs::write(&aside, b"truncated").unwrap();
    std::fs::rename(&aside, &db).unwrap();
    wait_until(
        Duration::from_secs(30),
        "the failed reload to be counted",
        || {
            metric(
                &agent.metrics(),
                "loglift_geoip_reloads_total{database=\"GeoLite2-City.mmdb\",outcome=\"failed\"}",
            ) >= 1.0
        },
    )
    .await;
    aws.put("logs", &key(2), flow(2)).await;
    wait_until(Duration::from_secs(60), "the second event", || {
        count_lines(std::slice::from_ref(&out)) >= 2
    })
    .await;
    assert_eq!(events(&out)[1]["source"]["geo"]["city_name"], "Linköping");

    // Then a good new version, as geoipupdate writes it (here the Country
    // test database: the same country, no city).
    std::fs::copy(geoip_fixture("GeoLite2-Country-Test.mmdb"), &aside).unwrap();
    std::fs::rename(&aside, &db).unwrap();
    wait_until(Duration::from_secs(30), "the reload", || {
        metric(
            &agent.metrics(),
            "loglift_geoip_reloads_total{database=\"GeoLite2-City.mmdb\",outcome=\"ok\"}",
        ) >= 1.0
    })
    .await;
    aws.put("logs", &key(3), flow(3)).await;
    wait_until(Duration::from_secs(60), "the third event", || {
        count_lines(std::slice::from_ref(&out)) >= 3
    })
    .await;
    let third = &events(&out)[2];
    assert_eq!(third["source"]["geo"]["country_iso_code"], "SE");
    assert!(
        third["source"]["geo"].get("city_name").is_none(),
        "the new database has no cities: {third}"
    );
    assert_eq!(
        agent.log().matches("GeoIP database not reloaded").count(),
        1,
        "a broken file is reported once"
    );
}
