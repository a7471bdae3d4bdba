//! Known answers of MaxMind's public test databases (tests/fixtures/geoip,
//! see its README), shaped as Elasticsearch's GeoIP processor shapes them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use loglift_parsers::{Event, Value};
use serde_json::json;

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/geoip")
        .join(name)
}

fn city_and_asn() -> GeoIp {
    GeoIp::open(&[
        fixture("GeoLite2-City-Test.mmdb"),
        fixture("GeoLite2-ASN-Test.mmdb"),
    ])
    .unwrap()
}

fn source_rule() -> Vec<GeoRule> {
    vec![GeoRule::for_ip_field("source.ip")]
}

/// The event `ip` becomes under `rules`, as JSON.
fn enriched(geoip: &GeoIp, rules: &[GeoRule], field: &str, ip: &str) -> serde_json::Value {
    let mut enricher = geoip.enricher(rules);
    let mut event = Event::new();
    event.insert(field.to_string(), Value::Str(ip.to_string().into()));
    enricher.enrich(&mut event);
    let mut out = Vec::new();
    event.write_json(&mut out);
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn reads_each_kind_from_the_metadata() {
    let geoip = GeoIp::open(&[
        fixture("GeoLite2-City-Test.mmdb"),
        fixture("GeoLite2-ASN-Test.mmdb"),
        fixture("GeoLite2-Country-Test.mmdb"),
    ])
    .unwrap();
    let kinds: Vec<_> = geoip.databases().map(|(_, d)| d.kind()).collect();
    assert_eq!(
        kinds,
        [DatabaseKind::City, DatabaseKind::Asn, DatabaseKind::Country]
    );
    let (_, city) = geoip.databases().next().unwrap();
    assert_eq!(city.database_type(), "GeoLite2-City");
    assert!(city.build_time() > UNIX_EPOCH + Duration::from_secs(1_500_000_000));
}

#[test]
fn city_and_asn_of_a_known_address() {
    let event = enriched(
        &city_and_asn(),
        &source_rule(),
        "source.ip",
        "89.160.20.128",
    );
    assert_eq!(
        event["source"],
        json!({
            "ip": "89.160.20.128",
            "geo": {
                "city_name": "Linköping",
                "continent_name": "Europe",
                "country_iso_code": "SE",
                "country_name": "Sweden",
                "location": {"lat": 58.4167, "lon": 15.6167},
                "region_iso_code": "SE-E",
                "region_name": "Östergötland County"
            },
            "as": {"number": 29518, "organization": {"name": "Bredband2 AB"}}
        })
    );
}

#[test]
fn partial_records_give_what_they_hold() {
    let geoip = city_and_asn();
    // Country-level record: no city, no region.
    let bhutan = enriched(&geoip, &source_rule(), "source.ip", "67.43.156.20");
    assert_eq!(bhutan["source"]["geo"]["country_iso_code"], "BT");
    assert!(bhutan["source"]["geo"].get("city_name").is_none());
    assert!(bhutan["source"]["geo"].get("region_iso_code").is_none());
    assert_eq!(bhutan["source"]["as"]["number"], 35908);
    // ASN only.
    let telstra = enriched(&geoip, &source_rule(), "source.ip", "1.128.0.0");
    assert!(telstra["source"].get("geo").is_none());
    assert_eq!(
        telstra["source"]["as"],
        json!({"number": 1221, "organization": {"name": "Telstra Pty Ltd"}})
    );
    // IPv6.
    let norway = enriched(&geoip, &source_rule(), "source.ip", "2a02:cf40::");
    assert_eq!(norway["source"]["geo"]["country_name"], "Norway");
    let london = enriched(&geoip, &source_rule(), "source.ip", "81.2.69.142");
    assert_eq!(london["source"]["geo"]["city_name"], "London");
    assert_eq!(london["source"]["geo"]["region_iso_code"], "GB-ENG");
}

#[test]
fn private_unknown_and_invalid_addresses_get_nothing() {
    let geoip = city_and_asn();
    for ip in [
        "10.0.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "100.64.0.1",
        "fd00::1",
        "fe80::1",
        "not-an-ip",
        "-",
    ] {
        let event = enriched(&geoip, &source_rule(), "source.ip", ip);
        assert_eq!(event["source"], json!({"ip": ip}), "{ip}");
    }
    // Public, but not in the test databases.
    let event = enriched(&geoip, &source_rule(), "source.ip", "8.8.4.4");
    assert_eq!(event["source"], json!({"ip": "8.8.4.4"}));
    let rules = source_rule();
    let mut enricher = geoip.enricher(&rules);
    for ip in ["10.1.1.1", "8.8.4.4", "89.160.20.128", "89.160.20.128"] {
        let mut event = Event::new();
        event.insert("source.ip", ip);
        enricher.enrich(&mut event);
    }
    let counts = enricher.counts();
    assert_eq!(counts.private, 1);
    assert_eq!(
        counts.cached, 1,
        "the repeated address comes from the cache"
    );
    // City and ASN: a hit in both for Linköping, a miss in both for 8.8.4.4.
    assert_eq!((counts.hit, counts.miss), (2, 2));
}

#[test]
fn a_rule_may_write_several_geo_targets_and_no_as() {
    let rules = vec![GeoRule {
        ip: "client.ip".into(),
        geo: vec!["client.geo".into(), "geo".into()],
        asn: None,
    }];
    let event = enriched(&city_and_asn(), &rules, "client.ip", "216.160.83.56");
    assert_eq!(event["client"]["geo"]["city_name"], "Milton");
    assert_eq!(event["geo"], event["client"]["geo"]);
    assert!(event["client"].get("as").is_none());
}

#[test]
fn the_database_answer_replaces_the_records_own_geo_which_stays_as_fallback() {
    let geoip = city_and_asn();
    let rules = source_rule();
    let mut enricher = geoip.enricher(&rules);
    let own = |ip: &'static str| {
        let mut event = Event::new();
        event.insert("source.ip", ip);
        event.insert("source.geo.country_iso_code", "AU");
        event.insert("source.as.number", Value::Int(64500));
        event
    };
    let mut known = own("89.160.20.128");
    enricher.enrich(&mut known);
    let mut out = Vec::new();
    known.write_json(&mut out);
    let known: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(known["source"]["geo"]["country_iso_code"], "SE");
    assert_eq!(known["source"]["as"]["number"], 29518);
    let mut unknown = own("8.8.4.4");
    enricher.enrich(&mut unknown);
    assert_eq!(
        unknown
            .get("source.geo.country_iso_code")
            .and_then(Value::as_str),
        Some("AU")
    );
    assert_eq!(unknown.get("source.as.number"), Some(&Value::Int(64500)));
}

#[test]
fn a_country_database_answers_geo_when_there_is_no_city_one() {
    let geoip = GeoIp::open(&[fixture("GeoLite2-Country-Test.mmdb")]).unwrap();
    let event = enriched(&geoip, &source_rule(), "source.ip", "89.160.20.128");
    assert_eq!(
        event["source"]["geo"],
        json!({"continent_name": "Europe", "country_iso_code": "SE", "country_name": "Sweden"})
    );
}

#[test]
fn unusable_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.mmdb");
    std::fs::write(&junk, b"not a database").unwrap();
    let err = GeoIp::open(&[junk]).unwrap_err();
    assert!(matches!(err, GeoIpError::Invalid { .. }), "{err}");
    let missing = GeoIp::open(&[dir.path().join("missing.mmdb")]).unwrap_err();
    assert!(matches!(missing, GeoIpError::Io { .. }), "{missing}");
    let twice = GeoIp::open(&[
        fixture("GeoLite2-ASN-Test.mmdb"),
        fixture("GeoLite2-ASN-Test.mmdb"),
    ])
    .unwrap_err();
    assert!(matches!(twice, GeoIpError::Duplicate { .. }), "{twice}");
}

/// Replaces `path` the way geoipupdate does: write aside, rename over.
fn replace(path: &Path, with: &[u8]) {
    let aside = path.with_extension("new");
    std::fs::write(&aside, with).unwrap();
    std::fs::rename(&aside, path).unwrap();
}

#[test]
fn a_replaced_file_is_swapped_in_and_a_broken_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("GeoLite2-City.mmdb");
    std::fs::copy(fixture("GeoLite2-City-Test.mmdb"), &path).unwrap();
    let geoip = Arc::new(GeoIp::open(std::slice::from_ref(&path)).unwrap());
    let rules = source_rule();
    let city = |geoip: &GeoIp| {
        enriched(geoip, &rules, "source.ip", "89.160.20.128")["source"]["geo"]
            .get("city_name")
            .cloned()
    };
    assert_eq!(city(&geoip), Some(json!("Linköping")));
    assert_eq!(geoip.reload_changed(), 0, "nothing changed");

    // A broken file: the version in use stays, reported once.
    replace(&path, b"truncated download");
    assert_eq!(geoip.reload_changed(), 0);
    assert_eq!(geoip.reload_changed(), 0);
    assert_eq!(city(&geoip), Some(json!("Linköping")));

    // A good new version (here a Country database: no city names).
    replace(
        &path,
        &std::fs::read(fixture("GeoLite2-Country-Test.mmdb")).unwrap(),
    );
    let held = geoip.enricher(&rules); // a worker started before the swap
    assert_eq!(geoip.reload_changed(), 1);
    assert_eq!(city(&geoip), None);
    assert_eq!(held.counts(), enrich::LookupCounts::default());
    drop(held);

    // An ASN database cannot take a geo database's place.
    replace(
        &path,
        &std::fs::read(fixture("GeoLite2-ASN-Test.mmdb")).unwrap(),
    );
    assert_eq!(geoip.reload_changed(), 0);
}
