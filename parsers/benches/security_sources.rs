//! Throughput of the security sources delivered to S3: `aws.cloudfront_logs`
//! (W3C lines), `aws.guardduty` (one finding per line) and `iru.audit`
//! (audit events), each record parsed and serialized with `write_json` into
//! one reused buffer, as the agent does. Inputs are generated here.
//!
//! `cargo bench -p loglift-parsers --bench security_sources` reports MB/s.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use loglift_parsers::{dataset, Options};

mod common;
use common::Rng;

const RECORDS: usize = 20_000;

fn cloudfront(n: usize) -> Vec<String> {
    let mut rng = Rng(0x5eed_c10d);
    let mut out = vec![
        "#Version: 1.0".to_string(),
        "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end".to_string(),
    ];
    for i in 0..n {
        let path = rng.pick(&[
            "/index.html",
            "/static/app.js",
            "/api/v1/items",
            "/img/logo.png",
            "/",
        ]);
        let status = rng.pick(&["200", "200", "304", "404", "502"]);
        let ua = rng.pick(&[
            "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/120.0.0.0%20Safari/537.36",
            "curl/8.5.0",
            "Mozilla/5.0%20(X11;%20Linux%20x86_64;%20rv:123.0)%20Gecko/20100101%20Firefox/123.0",
        ]);
        out.push(format!(
            "2024-01-01\t10:{:02}:{:02}\tLAX1\t{}\t{}\tGET\td111111abcdef8.cloudfront.net\t{path}\t{status}\t-\t{ua}\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_{i:08}==\twww.example.com\thttps\t{}\t0.{:03}\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t{}\t0.001\tHit\ttext/html\t{}\t-\t-",
            (i / 60) % 60,
            i % 60,
            200 + rng.below(20_000),
            rng.ip(),
            20 + rng.below(900),
            rng.below(1000),
            1024 + rng.below(60_000),
            100 + rng.below(20_000),
        ));
    }
    out
}

fn guardduty(n: usize) -> Vec<String> {
    let mut rng = Rng(0x9a4d_d07e);
    (0..n)
        .map(|i| {
            format!(
                r#"{{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws","id":"{i:032x}","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/{i:032x}","type":"UnauthorizedAccess:EC2/SSHBruteForce","resource":{{"resourceType":"Instance","instanceDetails":{{"instanceId":"i-{i:08x}","instanceType":"m5.large","networkInterfaces":[{{"networkInterfaceId":"eni-1","privateIpAddress":"{}","publicIp":"{}","securityGroups":[{{"groupName":"sg","groupId":"sg-1"}}]}}],"tags":[{{"key":"env","value":"prod"}}],"instanceState":"running"}}}},"service":{{"serviceName":"guardduty","detectorId":"d1","action":{{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{{"connectionDirection":"INBOUND","remoteIpDetails":{{"ipAddressV4":"{}","organization":{{"asn":"64496","asnOrg":"Example"}},"country":{{"countryName":"Exampleland"}},"city":{{"cityName":"Example City"}},"geoLocation":{{"lat":47.6,"lon":-122.3}}}},"remotePortDetails":{{"port":{}}},"localPortDetails":{{"port":22}},"protocol":"TCP","blocked":false}}}},"resourceRole":"TARGET","additionalInfo":{{"sample":false}},"eventFirstSeen":"2024-01-01T10:00:00.000Z","eventLastSeen":"2024-01-01T10:20:00.000Z","archived":false,"count":3}},"severity":2,"createdAt":"2024-01-01T10:05:00.123Z","updatedAt":"2024-01-01T10:25:00.456Z","title":"SSH brute force","description":"SSH brute force attacks against an instance."}}"#,
                rng.ip(),
                rng.ip(),
                rng.ip(),
                1024 + rng.below(60_000)
            )
        })
        .collect()
}

fn iru(n: usize) -> Vec<String> {
    let mut rng = Rng(0x1ee_a0d1);
    (0..n)
        .map(|i| {
            let action = rng.pick(&["create", "update", "delete"]);
            let target = rng.pick(&["blueprint", "library_item", "device", "api_token"]);
            format!(
                r#"{{"id":"01JN{i:022}","action":"{action}","occurred_at":"2025-03-04T16:29:55.253454Z","actor_id":"cf40d6e7-20cb-4da9-84a1-9ad0b7003ca5","actor_type":"user","target_id":"449ec92a-186a-44f2-9421-{i:012}","target_type":"{target}","target_component":"","new_state":{{"name":"Item {i}","active":true,"label":null}},"metadata":{{}}}}"#
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("security_sources");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for (name, records) in [
        ("aws.cloudfront_logs", cloudfront(RECORDS)),
        ("aws.guardduty", guardduty(RECORDS / 4)),
        ("iru.audit", iru(RECORDS)),
    ] {
        let info = dataset(name).expect("built-in dataset");
        let bytes: usize = records.iter().map(|r| r.len() + 1).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            let mut out = Vec::with_capacity(1 << 20);
            b.iter(|| {
                let mut parser = info.build(&Options::new()).expect("default options");
                let mut n = 0usize;
                for r in &records {
                    out.clear();
                    parser
                        .parse(r, &mut |e| {
                            e.write_json(&mut out);
                            n += 1;
                        })
                        .expect("generated records parse");
                }
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
