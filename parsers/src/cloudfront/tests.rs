//! Tests from the example log file of AWS's CloudFront developer guide
//! ("Standard logging reference": `#Version`/`#Fields` header, tab-separated
//! records), with the documentation addresses of RFC 5737.

use super::*;

const HEADER: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

const HIT: &str = "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-";

const ERROR: &str = "2019-12-13\t22:36:27\tSEA19-C1\t900\t192.0.2.200\tGET\td111111abcdef8.cloudfront.net\t/favicon.ico\t502\thttp://www.example.com/\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tError\t1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==\twww.example.com\thttp\t675\t0.102\t-\t-\t-\tError\tHTTP/1.1\t-\t-\t25260\t0.102\tOriginDnsError\ttext/html\t507\t-\t-";

fn parse_all(lines: &[&str]) -> Result<Vec<serde_json::Value>, ParseError> {
    let mut parser = CloudFrontParser::new();
    let mut out = Vec::new();
    for line in lines {
        parser.parse(line, &mut |e| out.push(e.to_value()))?;
    }
    Ok(out)
}

#[test]
fn header_lines_yield_no_event_and_records_follow_the_fields_line() {
    let events = parse_all(&["#Version: 1.0", HEADER, HIT]).unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["@timestamp"], "2019-12-04T21:02:31.000Z");
    assert_eq!(e["aws"]["cloudfront"]["edge_location"], "LAX1");
    assert_eq!(e["aws"]["cloudfront"]["edge_result_type"], "Hit");
    assert_eq!(e["aws"]["cloudfront"]["content_type"], "text/html");
    assert_eq!(e["aws"]["cloudfront"]["time_to_first_byte"], 0.001);
    assert_eq!(e["http"]["response"]["bytes"], 392);
    assert_eq!(e["http"]["response"]["body"]["bytes"], 78);
    assert_eq!(e["http"]["response"]["status_code"], 200);
    assert_eq!(e["http"]["request"]["bytes"], 23);
    assert_eq!(e["http"]["version"], "2.0");
    assert_eq!(e["event"]["outcome"], "success");
    assert_eq!(e["event"]["duration"], 1_000_000);
    assert_eq!(
        e["event"]["id"],
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ=="
    );
    assert_eq!(e["source"]["ip"], "192.0.2.100");
    assert_eq!(e["source"]["port"], 11040);
    assert_eq!(e["network"]["type"], "ipv4");
    assert_eq!(e["tls"]["version"], "1.2");
    assert_eq!(e["tls"]["version_protocol"], "tls");
    assert_eq!(
        e["url"]["full"],
        "https://d111111abcdef8.cloudfront.net/index.html"
    );
    assert_eq!(e["url"]["extension"], "html");
    assert_eq!(e["url"]["registered_domain"], "cloudfront.net");
    assert_eq!(e["url"]["subdomain"], "d111111abcdef8");
    assert_eq!(e["url"]["top_level_domain"], "net");
    assert_eq!(e["user_agent"]["name"], "Chrome");
    assert_eq!(
        e["user_agent"]["original"],
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36"
    );
    assert_eq!(
        e["related"]["hosts"],
        serde_json::json!(["d111111abcdef8.cloudfront.net"])
    );
}

#[test]
fn an_origin_error_is_a_failure_with_the_host_header_as_destination() {
    let events = parse_all(&[HEADER, ERROR]).unwrap();
    let e = &events[0];
    assert_eq!(e["event"]["outcome"], "failure");
    assert_eq!(e["http"]["response"]["status_code"], 502);
    assert_eq!(e["http"]["request"]["referrer"], "http://www.example.com/");
    assert_eq!(e["destination"]["domain"], "www.example.com");
    assert_eq!(e["url"]["full"], "http://www.example.com/favicon.ico");
    assert_eq!(e["url"]["subdomain"], "www");
    assert_eq!(
        e["aws"]["cloudfront"]["edge_detailed_result_type"],
        "OriginDnsError"
    );
    assert!(e.get("tls").is_none());
    assert_eq!(
        e["related"]["hosts"],
        serde_json::json!(["www.example.com", "d111111abcdef8.cloudfront.net"])
    );
}

#[test]
fn without_a_header_the_documented_order_applies() {
    let events = parse_all(&[HIT]).unwrap();
    assert_eq!(events[0]["source"]["ip"], "192.0.2.100");
    assert_eq!(events[0]["aws"]["cloudfront"]["content_type"], "text/html");
}

#[test]
fn the_fields_line_decides_the_columns_of_older_and_custom_files() {
    // An older file: 24 fields, no c-port and later.
    let older = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version";
    let line = HIT.split('\t').take(24).collect::<Vec<_>>().join("\t");
    let events = parse_all(&[older, &line]).unwrap();
    assert!(events[0]["source"].get("port").is_none());
    assert_eq!(events[0]["http"]["version"], "2.0");
    // A v2 selection in another order, with a field this parser does not know.
    let custom = "#Fields: timestamp(ms) c-ip sc-status cs-uri-stem x-host-header cs-protocol c-country asn sr-reason";
    let line = "1733097600123\t2001:db8::1\t403\t/a/b.js\twww.example.com\thttps\tFR\t64496\tGeo";
    let events = parse_all(&[custom, line]).unwrap();
    let e = &events[0];
    assert_eq!(e["@timestamp"], "2024-12-02T00:00:00.123Z");
    assert_eq!(e["network"]["type"], "ipv6");
    assert_eq!(e["url"]["extension"], "js");
    assert_eq!(e["aws"]["cloudfront"]["country"], "FR");
    assert_eq!(e["aws"]["cloudfront"]["asn"], 64496);
    assert_eq!(e["aws"]["cloudfront"]["other_fields"]["sr-reason"], "Geo");
    assert_eq!(e["event"]["outcome"], "failure");
}

#[test]
fn forwarded_addresses_are_split_trimmed_and_related() {
    let fields: Vec<String> = HIT
        .split('\t')
        .enumerate()
        .map(|(i, f)| {
            if i == 19 {
                "198.51.100.7,\\x20203.0.113.9".to_string()
            } else {
                f.to_string()
            }
        })
        .collect();
    let events = parse_all(&[HEADER, &fields.join("\t")]).unwrap();
    assert_eq!(
        events[0]["network"]["forwarded_ip"],
        serde_json::json!(["198.51.100.7", "203.0.113.9"])
    );
    assert_eq!(
        events[0]["related"]["ip"],
        serde_json::json!(["198.51.100.7", "203.0.113.9", "192.0.2.100"])
    );
}

#[test]
fn space_separated_records_rejoin_a_forwarded_list() {
    let line = HIT
        .split('\t')
        .enumerate()
        .map(|(i, f)| {
            if i == 19 {
                "198.51.100.7, 203.0.113.9"
            } else {
                f
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let events = parse_all(&[HEADER, &line]).unwrap();
    assert_eq!(events[0]["source"]["port"], 11040);
    assert_eq!(
        events[0]["network"]["forwarded_ip"],
        serde_json::json!(["198.51.100.7", "203.0.113.9"])
    );
}

#[test]
fn the_path_is_decoded_once_and_an_invalid_host_gives_no_domain() {
    let fields: Vec<&str> = HIT.split('\t').collect();
    let mut f = fields.clone();
    f[7] = "/https/www.foo.test.com%252Ftest%2520baz.gif";
    let events = parse_all(&[HEADER, &f.join("\t")]).unwrap();
    assert_eq!(
        events[0]["url"]["path"],
        "/https/www.foo.test.com%2Ftest%20baz.gif"
    );
    assert_eq!(events[0]["url"]["extension"], "gif");
    let mut f = fields;
    f[15] = ".0.0/ch.swisstopo";
    let events = parse_all(&[HEADER, &f.join("\t")]).unwrap();
    assert!(events[0]["url"].get("domain").is_none());
    assert_eq!(events[0]["url"]["path"], "/ch.swisstopo/index.html");
}

#[test]
fn status_000_is_a_failure() {
    let f: Vec<&str> = HIT
        .split('\t')
        .enumerate()
        .map(|(i, f)| if i == 8 { "000" } else { f })
        .collect();
    let events = parse_all(&[HEADER, &f.join("\t")]).unwrap();
    assert_eq!(events[0]["http"]["response"]["status_code"], 0);
    assert_eq!(events[0]["event"]["outcome"], "failure");
}

#[test]
fn malformed_records_are_errors() {
    for bad in [
        "garbage",
        "2019-13-45\t21:02:31\tLAX1",
        "2019-12-04\t21:02:31\tLAX1\tnot-a-number",
        "-\t-\t-",
    ] {
        assert!(parse_all(&[HEADER, bad]).is_err(), "{bad:?}");
    }
}

#[test]
fn registered_domains_split_at_the_icann_suffix() {
    let rd = registered_domain("www.example.co.uk").unwrap();
    assert_eq!(
        (rd.registered, rd.suffix, rd.subdomain),
        ("example.co.uk", "co.uk", Some("www"))
    );
    assert_eq!(registered_domain("test.com").unwrap().subdomain, None);
    assert!(registered_domain("localhost").is_none());
    assert!(registered_domain("192.0.2.1").is_none());
}

#[test]
fn arbitrary_input_never_panics() {
    let alphabet = [
        "\t",
        " ",
        "-",
        ",",
        "%",
        "%2",
        "#Fields: ",
        "date",
        "time",
        "c-ip",
        "é",
        "2019-12-04",
        "21:02:31",
        "1",
        "::1",
        "\\x20",
        "/",
        ".",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..3000 {
        let mut s = String::new();
        for _ in 0..(seed % 30) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        let mut p = CloudFrontParser::new();
        let _ = p.parse(&s, &mut |_| {});
        let _ = p.parse(HIT, &mut |_| {});
    }
}
