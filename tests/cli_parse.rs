//! `loglift parse` as a user runs it: routing by path, compression sniffing,
//! standard input, user-defined datasets, and exit codes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn loglift(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run loglift");
    // A command that fails early (exit 2) may close stdin before reading it.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn events(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect()
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) -> String {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

const VPC: &str = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n";
const ALB: &str = "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.46.0\" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"-\" \"-\" 0 2018-07-02T22:22:48.364000Z \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\"\n";

#[test]
fn auto_routes_each_file_by_its_path_and_sniffs_compression() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let trail = r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userIdentity":{"type":"Root","accountId":"123456789012"},"eventID":"e1","recipientAccountId":"123456789012"}]}"#;
    let files = [
        write(d, "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/a.json.gz", &gzip(trail.as_bytes())),
        write(d, "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/01/01/d.json.gz", &gzip(br#"{"digestStartTime":"x","logFiles":[]}"#)),
        write(d, "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/01/x.log.gz", &gzip(ALB.as_bytes())),
        write(d, "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/x.log.zst", &zstd::encode_all(VPC.as_bytes(), 3).unwrap()),
        write(d, "exports/wallarm_hits_1700000000.json", br#"[{"time":1700000000,"ip":"1.2.3.4","request_id":"r1","domain":"example.com","path":"/x","method":"GET","statuscode":403,"attack_type":"sqli","block_status":"blocked"}]"#),
    ];
    let args: Vec<&str> = ["parse", "--dataset", "auto"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let out = loglift(&args, b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let datasets: Vec<String> = events(&out)
        .iter()
        .map(|e| e["event"]["dataset"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        datasets,
        [
            "aws.cloudtrail",
            "aws.elb_logs",
            "aws.vpcflow",
            "wallarm.hits"
        ]
    );
}

#[test]
fn configured_selectors_route_user_defined_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = write(d, "loglift.yml", b"datasets:\n  - name: iru.activity\n    selector: 'activity/'\n    framing: ndjson\n    timestamp_field: ts\n    timestamp_format: unix\noutputs:\n  - type: stdout\n");
    let file = write(
        d,
        "activity/2024/01/01/part-0.ndjson",
        b"{\"ts\":1700000000,\"user\":\"ann\"}\n{\"ts\":1700000060,\"user\":\"bob\"}\n",
    );
    let out = loglift(
        &["parse", "--config", &config, "--dataset", "auto", &file],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = events(&out);
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["event"]["dataset"], "iru.activity");
    assert_eq!(events[1]["iru"]["activity"]["user"], "bob");
    assert_eq!(events[0]["@timestamp"], "2023-11-14T22:13:20.000Z");
}

#[test]
fn reads_standard_input_and_keeps_malformed_lines_as_error_events() {
    let input = format!("{VPC}this is not a flow log\n");
    let out = loglift(
        &["parse", "--dataset", "aws.vpcflow", "-"],
        input.as_bytes(),
    );
    assert!(out.status.success());
    let events = events(&out);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["source"]["port"], 20641);
    assert_eq!(events[1]["event"]["original"], "this is not a flow log");
    assert_eq!(events[1]["event"]["kind"], "pipeline_error");
    assert!(events[1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("aws.vpcflow"));
}

#[test]
fn bad_usage_exits_2_with_one_line() {
    let unknown = loglift(&["parse", "--dataset", "aws.nope", "-"], b"");
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&unknown.stderr).lines().count(), 1);
    let missing = loglift(
        &["parse", "--dataset", "aws.vpcflow", "/nonexistent/file.log"],
        b"",
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.log"));
    let bad_option = loglift(
        &["parse", "--dataset", "aws.vpcflow", "--set", "nope=1", "-"],
        b"",
    );
    assert_eq!(bad_option.status.code(), Some(2));
}

#[test]
fn a_large_file_parsed_on_several_threads_keeps_its_order_and_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..60_000)
        .map(|i| VPC.replace("20641", &(1000 + i % 60000).to_string()))
        .collect();
    let file = write(dir.path(), "flows.log", lines.as_bytes());
    let out = loglift(&["parse", "--dataset", "aws.vpcflow", &file], b"");
    assert!(out.status.success());
    let events = events(&out);
    assert_eq!(events.len(), 60_000);
    let mut offset = 0u64;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["source"]["port"], 1000 + i as u64 % 60000);
        assert_eq!(e["log"]["offset"], offset);
        offset += VPC.len() as u64 - 5 + (1000 + i as u64 % 60000).to_string().len() as u64;
    }
}

fn geoip_db(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/geoip")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn geoip_databases_enrich_the_addresses_of_the_dataset() {
    let (city, asn) = (
        geoip_db("GeoLite2-City-Test.mmdb"),
        geoip_db("GeoLite2-ASN-Test.mmdb"),
    );
    let line = "2 123456789010 eni-1 89.160.20.128 10.0.0.1 443 49152 6 1 40 1418530010 1418530070 ACCEPT OK\n";
    let args = [
        "parse",
        "--dataset",
        "aws.vpcflow",
        "--geoip-database",
        &city,
        "--geoip-database",
        &asn,
        "-",
    ];
    let out = loglift(&args, line.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let event = &events(&out)[0];
    assert_eq!(event["source"]["geo"]["city_name"], "Linköping");
    assert_eq!(event["source"]["as"]["number"], 29518);
    assert!(event["destination"].get("geo").is_none(), "private address");
    // Without databases: nothing.
    let plain = loglift(&["parse", "--dataset", "aws.vpcflow", "-"], line.as_bytes());
    assert!(events(&plain)[0]["source"].get("geo").is_none());
    // A file that is not a database is a usage error naming it.
    let bad = loglift(
        &[
            "parse",
            "--dataset",
            "aws.vpcflow",
            "--geoip-database",
            "Cargo.toml",
            "-",
        ],
        line.as_bytes(),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Cargo.toml"));
}

#[test]
fn logs_are_plain_text_off_a_terminal_and_json_on_request() {
    let city = geoip_db("GeoLite2-City-Test.mmdb");
    let run = |format: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_loglift"));
        cmd.args([
            "parse",
            "--dataset",
            "aws.vpcflow",
            "--geoip-database",
            &city,
            "-",
        ])
        .env("LOGLIFT_LOG", "debug")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        if let Some(f) = format {
            cmd.env("LOGLIFT_LOG_FORMAT", f);
        }
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(VPC.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let text = run(None);
    assert!(text.contains("GeoIP lookups"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes off a terminal: {text:?}"
    );
    let json = run(Some("json"));
    let record: serde_json::Value = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("one JSON object per line"))
        .find(|r| {
            r["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("GeoIP lookups"))
        })
        .expect("the lookups record");
    assert_eq!(record["level"], "DEBUG");
    assert_eq!(record["fields"]["private"], 2);
    // The flag wins over the variable; a bad variable is a usage error.
    let bad = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["datasets"])
        .env("LOGLIFT_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let flag = Command::new(env!("CARGO_BIN_EXE_loglift"))
        .args(["--log-format", "text", "datasets"])
        .env("LOGLIFT_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(flag.status.success());
}

const ACME: &str = r#"datasets:
  - name: acme.firewall
    selector: '^acme/'
    framing: lines
    dissect: '%{ts} %{host} acmefw[%{pid}]: %{verdict} %{src}:%{sport} -> %{dst}:%{dport}'
    fields:
      - {from: src, to: source.ip, type: ip}
      - {from: sport, to: source.port, type: long}
    static:
      observer.vendor: Acme
    timestamp_field: ts
"#;

#[test]
fn a_user_defined_dissect_dataset_runs_locally_and_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "loglift.yml", ACME.as_bytes());
    let line = "2024-03-05T10:00:00Z fw-1 acmefw[311]: DENY 89.160.20.128:51234 -> 10.0.0.5:22\n";
    let out = loglift(
        &[
            "parse",
            "--config",
            &config,
            "--dataset",
            "acme.firewall",
            "-",
        ],
        line.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let event = &events(&out)[0];
    assert_eq!(
        event["source"],
        serde_json::json!({"ip": "89.160.20.128", "port": 51234})
    );
    assert_eq!(event["acme"]["firewall"]["verdict"], "DENY");
    assert_eq!(event["observer"]["vendor"], "Acme");

    let listed = loglift(&["datasets", "--config", &config], b"");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("dissect '%{ts} %{host} acmefw[%{pid}]"),
        "{listed}"
    );
    assert!(listed.contains("framing lines"), "{listed}");

    let template = loglift(
        &[
            "fields",
            "--config",
            &config,
            "--dataset",
            "acme.firewall",
            "--format",
            "es-template",
        ],
        b"",
    );
    assert!(
        template.status.success(),
        "{}",
        String::from_utf8_lossy(&template.stderr)
    );
    let template: serde_json::Value = serde_json::from_slice(&template.stdout).unwrap();
    let text = template.to_string();
    assert!(text.contains("\"ip\""), "source.ip is mapped as ip: {text}");
    assert!(text.contains("logs-acme.firewall-*"), "{text}");
}

#[test]
fn an_unknown_ecs_name_in_a_mapping_is_a_config_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "loglift.yml",
        ACME.replace("to: source.ip,", "to: source.ipp,").as_bytes(),
    );
    let out = loglift(&["datasets", "--config", &config], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("loglift.yml:7:") && err.contains("source.ipp"),
        "{err}"
    );
    let bad_pattern = ACME.replace("%{verdict} %{src}", "%{verdict}%{src}");
    let config = write(dir.path(), "bad.yml", bad_pattern.as_bytes());
    let out = loglift(&["datasets", "--config", &config], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dissect"));
}
