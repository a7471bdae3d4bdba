//! Tests from the finding format of AWS's GuardDuty user guide ("Finding
//! format", and the sample findings GuardDuty generates: values prefixed
//! `GeneratedFinding`), with documentation addresses.

use super::*;

/// An inbound SSH brute-force finding (`networkConnectionAction`).
const SSH_BRUTE_FORCE: &str = r#"{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws","id":"16afba5c5c43e07c9e3e5e2e544e95df","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/123456789012abcdef/finding/16afba5c5c43e07c9e3e5e2e544e95df","type":"UnauthorizedAccess:EC2/SSHBruteForce","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-99999999","instanceType":"m3.xlarge","launchTime":"2016-08-02T02:05:06.000Z","platform":null,"networkInterfaces":[{"networkInterfaceId":"eni-bfcffe88","privateIpAddress":"10.0.0.1","privateIpAddresses":[{"privateDnsName":"GeneratedFindingPrivateName","privateIpAddress":"10.0.0.1"}],"publicIp":"198.51.100.1","subnetId":"GeneratedFindingSubnetId","vpcId":"GeneratedFindingVPCId","securityGroups":[{"groupName":"GeneratedFindingSecurityGroupName","groupId":"GeneratedFindingSecurityId"}],"ipv6Addresses":[]}],"tags":[{"key":"GeneratedFindingInstaceTag1","value":"GeneratedFindingInstaceValue1"}],"instanceState":"running","availabilityZone":"us-east-1a","imageId":"ami-99999999"}},"service":{"serviceName":"guardduty","detectorId":"123456789012abcdef","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"INBOUND","remoteIpDetails":{"ipAddressV4":"203.0.113.10","organization":{"asn":"64496","asnOrg":"GeneratedFindingASNOrg","isp":"GeneratedFindingISP","org":"GeneratedFindingORG"},"country":{"countryName":"GeneratedFindingCountryName"},"city":{"cityName":"GeneratedFindingCityName"},"geoLocation":{"lat":47.6,"lon":-122.3}},"remotePortDetails":{"port":32794,"portName":"Unknown"},"localPortDetails":{"port":22,"portName":"SSH"},"protocol":"TCP","blocked":false}},"resourceRole":"TARGET","additionalInfo":{"sample":true},"eventFirstSeen":"2024-01-01T10:00:00.000Z","eventLastSeen":"2024-01-01T10:20:00.000Z","archived":false,"count":4},"severity":2,"createdAt":"2024-01-01T10:05:00.123Z","updatedAt":"2024-01-01T10:25:00.456Z","title":"198.51.100.1 is performing SSH brute force attacks against i-99999999.","description":"198.51.100.1 is performing SSH brute force attacks against i-99999999. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password."}"#;

fn parse(record: &str) -> Result<Vec<serde_json::Value>, ParseError> {
    let mut out = Vec::new();
    GuardDutyParser.parse(record, &mut |e| out.push(e.to_value()))?;
    Ok(out)
}

#[test]
fn an_inbound_connection_has_the_remote_end_as_source() {
    let e = &parse(SSH_BRUTE_FORCE).unwrap()[0];
    assert_eq!(e["@timestamp"], "2024-01-01T10:25:00.456Z");
    assert_eq!(e["event"]["created"], "2024-01-01T10:05:00.123Z");
    assert_eq!(e["event"]["start"], "2024-01-01T10:00:00.000Z");
    assert_eq!(e["event"]["action"], "NETWORK_CONNECTION");
    assert_eq!(e["event"]["severity"], 2);
    assert_eq!(e["network"]["direction"], "inbound");
    assert_eq!(e["network"]["transport"], serde_json::json!(["tcp"]));
    assert_eq!(e["source"]["ip"], serde_json::json!(["203.0.113.10"]));
    assert_eq!(e["source"]["port"], 32794);
    assert_eq!(e["destination"]["port"], 22);
    assert_eq!(e["source"]["as"]["number"], serde_json::json!([64496]));
    assert_eq!(
        e["source"]["geo"]["location"],
        serde_json::json!([{"lat": 47.6, "lon": -122.3}])
    );
    assert_eq!(e["rule"]["category"], "UnauthorizedAccess");
    assert_eq!(e["rule"]["ruleset"], "UnauthorizedAccess:EC2");
    assert_eq!(e["cloud"]["instance"]["id"], "i-99999999");
    assert_eq!(e["host"]["type"], "m3.xlarge");
    assert_eq!(
        e["related"]["ip"],
        serde_json::json!(["10.0.0.1", "198.51.100.1", "203.0.113.10"])
    );
    let g = &e["aws"]["guardduty"];
    assert_eq!(g["severity"]["value"], "Low");
    assert_eq!(g["resource"]["type"], "Instance");
    assert_eq!(
        g["resource"]["instance_details"]["instance"]["state"],
        "running"
    );
    assert_eq!(
        g["resource"]["instance_details"]["network_interfaces"][0]["security_groups"][0]["group"]
            ["id"],
        "GeneratedFindingSecurityId"
    );
    assert_eq!(
        g["service"]["action"]["network_connection_action"]["remote_ip_details"]["organization"]
            ["asnorg"],
        "GeneratedFindingASNOrg"
    );
    assert_eq!(
        g["service"]["event"]["last_seen"],
        "2024-01-01T10:20:00.000Z"
    );
    assert_eq!(g["service"]["additional_info"]["sample"], true);
    assert!(g["resource"]["instance_details"].get("platform").is_none());
}

#[test]
fn an_outbound_connection_has_the_remote_end_as_destination() {
    let record = SSH_BRUTE_FORCE.replace("INBOUND", "OUTBOUND");
    let e = &parse(&record).unwrap()[0];
    assert_eq!(e["destination"]["ip"], serde_json::json!(["203.0.113.10"]));
    assert_eq!(e["destination"]["port"], 32794);
    assert_eq!(e["source"]["port"], 22);
}

#[test]
fn kubernetes_and_access_key_users_become_ecs_users() {
    let record = r#"{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","id":"43b6","type":"Discovery:Kubernetes/TorIPCaller","resource":{"resourceType":"EKSCluster","eksClusterDetails":{"name":"GeneratedFindingEKSClusterName","createdAt":1635962410.342,"vpcId":"vpc-1"},"kubernetesDetails":{"kubernetesUserDetails":{"username":"GeneratedFindingUserName","uid":"GeneratedFindingUID","groups":["GeneratedFindingUserGroup"]}},"accessKeyDetails":{"accessKeyId":"GeneratedFindingAccessKeyId","principalId":"GeneratedFindingPrincipalId","userType":"Role","userName":"GeneratedFindingUserName"}},"service":{"action":{"actionType":"KUBERNETES_API_CALL","kubernetesApiCallAction":{"requestUri":"/api","sourceIPs":["203.0.113.7"],"userAgent":"","remoteIpDetails":{"ipAddressV4":"203.0.113.7"}}}},"severity":5,"createdAt":"2022-11-17T09:33:19.228Z","updatedAt":"2022-11-22T12:22:20.938Z"}"#;
    let e = &parse(record).unwrap()[0];
    assert_eq!(
        e["user"]["id"],
        serde_json::json!(["GeneratedFindingPrincipalId", "GeneratedFindingUID"])
    );
    assert_eq!(
        e["user"]["name"],
        serde_json::json!(["GeneratedFindingUserName"])
    );
    assert_eq!(
        e["user"]["roles"],
        serde_json::json!(["GeneratedFindingUserGroup"])
    );
    let g = &e["aws"]["guardduty"]["resource"];
    assert_eq!(
        g["eks_cluster_details"]["created_at"],
        "2021-11-03T18:00:10.342Z"
    );
    assert_eq!(g["eks_cluster_details"]["vpcid"], "vpc-1");
    assert_eq!(
        g["access_key_details"]["accesskey_id"],
        "GeneratedFindingAccessKeyId"
    );
    assert_eq!(g["access_key_details"]["user"]["type"], "Role");
    let action = &e["aws"]["guardduty"]["service"]["action"]["kubernetes_api_call_action"];
    assert_eq!(action["source_ips"], serde_json::json!(["203.0.113.7"]));
    assert!(action.get("user_agent").is_none());
    assert_eq!(e["aws"]["guardduty"]["severity"]["value"], "Medium");
}

#[test]
fn a_findings_document_yields_each_finding_and_an_empty_one_nothing() {
    assert!(parse(r#"{"findings":[]}"#).unwrap().is_empty());
    let doc = format!(r#"{{"findings":[{SSH_BRUTE_FORCE},{SSH_BRUTE_FORCE}]}}"#);
    assert_eq!(parse(&doc).unwrap().len(), 2);
}

#[test]
fn malformed_findings_are_errors() {
    for bad in [
        "not json",
        "[1,2]",
        r#"{"id":"x"}"#,
        r#"{"id":"x","type":"A:B/C","updatedAt":"yesterday"}"#,
        r#"{"findings":{"a":1}}"#,
        r#"{"id":"x","type":"A:B/C","severity":"high"}"#,
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn snake_case_keeps_upper_case_runs_together() {
    assert_eq!(snake_case("sourceIPs"), "source_ips");
    assert_eq!(snake_case("ipAddressV4"), "ip_address_v4");
    assert_eq!(snake_case("dnsRequestAction"), "dns_request_action");
}
