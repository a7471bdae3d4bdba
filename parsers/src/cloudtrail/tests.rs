//! Behaviour of the CloudTrail parser, on events shaped like the examples in
//! AWS's CloudTrail documentation and Elastic's pipeline tests.

use super::*;
use serde_json::{json, Value as Json};

fn parser(retain: Retain) -> CloudTrail {
    CloudTrail::new(retain)
}

/// Every event of `record`, as the JSON the serializer writes.
fn events_with(retain: Retain, record: &str) -> Result<Vec<Json>, ParseError> {
    let mut out = Vec::new();
    parser(retain).parse(record, &mut |event| {
        let mut buf = Vec::new();
        event.write_json(&mut buf);
        out.push(serde_json::from_slice(&buf).expect("valid JSON"));
    })?;
    Ok(out)
}

/// The one event of `record`, with the default `retain`.
fn event(record: &str) -> Json {
    let mut events = events_with(Retain::All, record).expect("parses");
    assert_eq!(events.len(), 1);
    events.remove(0)
}

fn at<'j>(event: &'j Json, path: &str) -> &'j Json {
    path.split('.').fold(event, |v, k| &v[k])
}

/// A JSON list of strings, sorted, for order-insensitive comparisons.
fn sorted(v: &Json) -> Vec<String> {
    let mut items: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items
}

const IAM_CREATE_USER: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAJ45Q7YFFAREXAMPLE","arn":"arn:aws:iam::123456789012:user/Alice","accountId":"123456789012","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"Alice"},"eventTime":"2023-07-19T21:25:09Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.0","userAgent":"aws-cli/2.13.5 Python/3.11.4 Linux/4.14.255-314-253.539.amzn2.x86_64 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off command/iam.create-user","requestParameters":{"userName":"Jane"},"responseElements":{"user":{"path":"/","arn":"arn:aws:iam::123456789012:user/Jane","userId":"AIDACKCEVSQ6C2EXAMPLE","createDate":"Jul 19, 2023 9:25:09 PM","userName":"Jane"}},"requestID":"2d528c76-329e-410b-9516-EXAMPLE565dc","eventID":"ba0801a1-87ec-4d26-be87-EXAMPLE75bbb","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"iam.amazonaws.com"},"sessionCredentialFromConsole":"true"}"#;

#[test]
fn maps_an_iam_user_call_as_elastic_does() {
    let e = event(IAM_CREATE_USER);
    assert_eq!(e["@timestamp"], "2023-07-19T21:25:09.000Z");
    assert_eq!(at(&e, "event.action"), "CreateUser");
    assert_eq!(at(&e, "event.provider"), "iam.amazonaws.com");
    assert_eq!(at(&e, "event.id"), "ba0801a1-87ec-4d26-be87-EXAMPLE75bbb");
    assert_eq!(at(&e, "event.outcome"), "success");
    assert_eq!(at(&e, "event.category"), &json!(["iam"]));
    assert_eq!(at(&e, "event.type"), &json!(["user", "creation"]));
    assert_eq!(at(&e, "cloud.region"), "us-east-1");
    assert_eq!(at(&e, "cloud.account.id"), "123456789012");
    assert_eq!(at(&e, "cloud.service.name"), "iam");
    assert_eq!(at(&e, "source.address"), "192.0.2.0");
    assert_eq!(at(&e, "source.ip"), "192.0.2.0");
    assert_eq!(at(&e, "related.ip"), &json!(["192.0.2.0"]));
    assert_eq!(at(&e, "user.name"), "Alice");
    assert_eq!(at(&e, "user.id"), "AIDAJ45Q7YFFAREXAMPLE");
    assert_eq!(at(&e, "user.target.name"), "Jane");
    assert_eq!(at(&e, "user.target.id"), "AIDACKCEVSQ6C2EXAMPLE");
    assert_eq!(
        sorted(at(&e, "related.user")),
        [
            "AIDACKCEVSQ6C2EXAMPLE",
            "AIDAJ45Q7YFFAREXAMPLE",
            "Alice",
            "Jane"
        ]
    );
    assert!(at(&e, "user_agent.original")
        .as_str()
        .unwrap()
        .starts_with("aws-cli/2.13.5"));
    let ct = at(&e, "aws.cloudtrail");
    assert_eq!(ct["event_version"], "1.08");
    assert_eq!(ct["event_type"], "AwsApiCall");
    assert_eq!(ct["event_category"], "Management");
    assert_eq!(ct["request_id"], "2d528c76-329e-410b-9516-EXAMPLE565dc");
    assert_eq!(ct["recipient_account_id"], "123456789012");
    assert_eq!(ct["read_only"], false);
    assert_eq!(ct["management_event"], "true");
    assert_eq!(ct["session_credential_from_console"], "true");
    assert_eq!(
        ct["user_identity"],
        json!({"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/Alice", "access_key_id": "AKIAIOSFODNN7EXAMPLE"})
    );
    assert_eq!(ct["request_parameters"], "{userName=Jane}");
    assert_eq!(
        ct["response_elements"],
        // `arn` and `userName` share a bucket: the one written first comes first.
        "{user={path=/, arn=arn:aws:iam::123456789012:user/Jane, userName=Jane, userId=AIDACKCEVSQ6C2EXAMPLE, createDate=Jul 19, 2023 9:25:09 PM}}"
    );
    assert_eq!(
        ct["flattened"]["request_parameters"],
        json!({"userName": "Jane"})
    );
    assert_eq!(
        ct["flattened"]["response_elements"]["user"]["userId"],
        "AIDACKCEVSQ6C2EXAMPLE"
    );
    assert_eq!(at(&e, "tls.version"), "1.2");
    assert_eq!(at(&e, "tls.version_protocol"), "tls");
    assert_eq!(at(&e, "tls.cipher"), "ECDHE-RSA-AES128-GCM-SHA256");
    assert_eq!(at(&e, "tls.client.server_name"), "iam.amazonaws.com");
}

#[test]
fn maps_the_actor_and_the_target_entities() {
    let e = event(IAM_CREATE_USER);
    assert_eq!(
        at(&e, "actor.entity.id"),
        &json!(["arn:aws:iam::123456789012:user/Alice"])
    );
    assert_eq!(
        at(&e, "user.entity.id"),
        &json!(["arn:aws:iam::123456789012:user/Alice"])
    );
    assert_eq!(at(&e, "target.entity.id"), &json!(["Jane"]));
    assert_eq!(at(&e, "entity.target.id"), &json!(["Jane"]));
    assert_eq!(
        sorted(at(&e, "related.entity")),
        [
            "AIDACKCEVSQ6C2EXAMPLE",
            "AKIAIOSFODNN7EXAMPLE",
            "Alice",
            "Jane",
            "arn:aws:iam::123456789012:user/Alice",
            "arn:aws:iam::123456789012:user/Jane"
        ]
    );
}

#[test]
fn assumed_role_is_named_by_its_session_issuer_and_an_email_session_gives_user_email() {
    let e = event(
        r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAIDPPEZS35WEXAMPLE:alice@example.com","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com","accountId":"123456789012","accessKeyId":"ASIAIOSFODNN7EXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAIDPPEZS35WEXAMPLE","arn":"arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123","accountId":"123456789012","userName":"AWSReservedSSO_Admin_0123"},"webIdFederationData":{},"attributes":{"creationDate":"2023-07-19T21:11:57Z","mfaAuthenticated":"false"}}},"eventTime":"2023-07-19T21:33:26Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"2001:db8::1","userAgent":"console.amazonaws.com","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]},"filterSet":{}},"responseElements":null,"eventID":"e1","recipientAccountId":"123456789012"}"#,
    );
    assert_eq!(at(&e, "user.name"), "AWSReservedSSO_Admin_0123");
    assert_eq!(at(&e, "user.id"), "AROAIDPPEZS35WEXAMPLE:alice@example.com");
    assert_eq!(at(&e, "user.email"), "alice@example.com");
    assert_eq!(
        sorted(at(&e, "related.user")),
        [
            "AROAIDPPEZS35WEXAMPLE:alice@example.com",
            "AWSReservedSSO_Admin_0123",
            "alice",
            "alice@example.com"
        ]
    );
    let sc = at(&e, "aws.cloudtrail.user_identity.session_context");
    assert_eq!(sc["creation_date"], "2023-07-19T21:11:57.000Z");
    assert_eq!(sc["mfa_authenticated"], "false");
    assert_eq!(
        sc["session_issuer"],
        json!({"type": "Role", "principal_id": "AROAIDPPEZS35WEXAMPLE", "arn": "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123", "account_id": "123456789012"})
    );
    assert_eq!(at(&e, "source.ip"), "2001:db8::1");
    assert_eq!(at(&e, "event.category"), &json!(["host"]));
    assert_eq!(
        at(&e, "user.entity.id"),
        &json!([
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com"
        ])
    );
    assert!(sorted(at(&e, "related.entity")).contains(&"i-0123456789abcdef0".to_owned()));
    // Empty members are dropped before the text form is made.
    assert_eq!(
        at(&e, "aws.cloudtrail.request_parameters"),
        "{instancesSet={items=[{instanceId=i-0123456789abcdef0}]}}"
    );
}

#[test]
fn a_service_name_as_source_address_gives_no_source_ip_and_the_service_is_the_actor() {
    let e = event(
        r#"{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},"eventTime":"2024-10-08T10:15:32Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"ec2.amazonaws.com","userAgent":"ec2.amazonaws.com","requestParameters":{"roleArn":"arn:aws:iam::111111111111:role/ec2-instance-role","roleSessionName":"i-0123456789abcdef0"},"responseElements":{"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE:i-0123456789abcdef0","arn":"arn:aws:sts::111111111111:assumed-role/ec2-instance-role/i-0123456789abcdef0"}},"eventID":"b3d7f1a2","resources":[{"accountId":"111111111111","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111111111111:role/ec2-instance-role"}],"eventType":"AwsApiCall","recipientAccountId":"111111111111"}"#,
    );
    assert_eq!(at(&e, "source.address"), "ec2.amazonaws.com");
    assert!(e["source"].get("ip").is_none());
    assert!(e["related"].get("ip").is_none());
    assert_eq!(at(&e, "actor.entity.id"), &json!(["ec2.amazonaws.com"]));
    assert_eq!(at(&e, "service.entity.id"), &json!(["ec2.amazonaws.com"]));
    assert_eq!(at(&e, "service.name"), "ec2.amazonaws.com");
    assert_eq!(
        at(&e, "user.target.entity.id"),
        &json!(["arn:aws:iam::111111111111:role/ec2-instance-role"])
    );
    assert_eq!(at(&e, "cloud.account.id"), "111111111111");
    assert_eq!(
        at(&e, "aws.cloudtrail.user_identity.invoked_by"),
        "ec2.amazonaws.com"
    );
    assert_eq!(at(&e, "event.category"), &json!(["authentication"]));
    assert_eq!(
        at(&e, "aws.cloudtrail.resources"),
        &json!([{"account_id": "111111111111", "arn": "arn:aws:iam::111111111111:role/ec2-instance-role", "type": "AWS::IAM::Role"}])
    );
    assert!(e["user"].get("name").is_none());
}

#[test]
fn root_federated_and_identity_center_users_are_mapped() {
    let root = event(
        r#"{"eventVersion":"1.05","userIdentity":{"type":"Root","principalId":"555555555555","arn":"arn:aws:iam::555555555555:root","accountId":"555555555555","accessKeyId":"AKIAEXAMPLE","sessionContext":{"attributes":{"mfaAuthenticated":"true","creationDate":"2019-06-11T16:43:07Z"}},"invokedBy":"signin.amazonaws.com"},"eventTime":"2019-06-11T16:54:03Z","eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"signin.amazonaws.com","requestParameters":{"userName":"sampleuser","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"},"responseElements":null,"eventID":"bdcc7610","eventType":"AwsApiCall","recipientAccountId":"555555555555"}"#,
    );
    assert_eq!(at(&root, "user.id"), "555555555555");
    assert!(root["user"].get("name").is_none());
    assert_eq!(
        at(&root, "user.entity.id"),
        &json!(["arn:aws:iam::555555555555:root"])
    );
    assert_eq!(
        sorted(at(&root, "target.entity.id")),
        ["arn:aws:iam::aws:policy/AdministratorAccess", "sampleuser"]
    );
    assert_eq!(
        at(&root, "service.target.entity.id"),
        &json!(["arn:aws:iam::aws:policy/AdministratorAccess"])
    );
    assert_eq!(at(&root, "event.type"), &json!(["user", "change"]));

    let federated = event(
        r#"{"eventVersion":"1.08","userIdentity":{"type":"FederatedUser","principalId":"123456789012:bob","arn":"arn:aws:sts::123456789012:federated-user/bob","accountId":"123456789012","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/broker","accountId":"123456789012","userName":"broker"}}},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","eventID":"f1","recipientAccountId":"123456789012"}"#,
    );
    assert_eq!(at(&federated, "user.name"), "broker");
    assert!(sorted(at(&federated, "related.user")).contains(&"bob".to_owned()));
    assert_eq!(at(&federated, "entity.target.id"), &json!(["123456789012"]));

    let center = event(
        r#"{"eventVersion":"1.09","userIdentity":{"type":"IdentityCenterUser","accountId":"123456789012","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1","identityStoreArn":"arn:aws:identitystore::123456789012:identitystore/d-9067642ac7"},"credentialId":"EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"},"eventTime":"2023-12-13T22:58:46Z","eventSource":"sso.amazonaws.com","eventName":"ListApplicationAssignments","awsRegion":"us-west-2","sourceIPAddress":"192.0.2.10","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":null,"eventID":"c1","recipientAccountId":"123456789012"}"#,
    );
    assert_eq!(
        at(&center, "user.id"),
        "544894e8-80c1-707f-60e3-3ba6510dfac1"
    );
    assert_eq!(
        at(&center, "actor.entity.id"),
        &json!(["544894e8-80c1-707f-60e3-3ba6510dfac1"])
    );
    assert_eq!(
        at(&center, "entity.id"),
        &json!(["544894e8-80c1-707f-60e3-3ba6510dfac1"])
    );
    assert_eq!(
        at(&center, "related.entity"),
        &json!(["arn:aws:identitystore::123456789012:identitystore/d-9067642ac7"])
    );
}

const CONSOLE_LOGIN_FAILED: &str = r#"{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","accountId":"111122223333","accessKeyId":"","userName":"JaneDoe"},"eventTime":"2014-07-08T17:35:27Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-2","sourceIPAddress":"192.0.2.100","userAgent":"Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0","errorMessage":"Failed authentication","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MobileVersion":"No","LoginTo":"https://console.aws.amazon.com/sns","MFAUsed":"No"},"eventID":"11ea990b-4678-4bcd-8fbe-625EXAMPLE","recipientAccountId":"111122223333"}"#;

#[test]
fn failed_console_login_is_a_failure_with_its_login_details() {
    let e = event(CONSOLE_LOGIN_FAILED);
    assert_eq!(at(&e, "event.outcome"), "failure");
    assert_eq!(at(&e, "event.category"), &json!(["authentication"]));
    assert_eq!(
        at(&e, "aws.cloudtrail.error_message"),
        "Failed authentication"
    );
    assert_eq!(
        at(&e, "aws.cloudtrail.console_login.additional_eventdata"),
        &json!({"login_to": "https://console.aws.amazon.com/sns", "mfa_used": false, "mobile_version": false})
    );
    assert_eq!(
        at(&e, "aws.cloudtrail.additional_eventdata"),
        "{LoginTo=https://console.aws.amazon.com/sns, MobileVersion=No, MFAUsed=No}"
    );
    assert_eq!(at(&e, "target.entity.id"), &json!(["111122223333"]));
    // An empty accessKeyId is no value.
    assert!(e["aws"]["cloudtrail"]["user_identity"]
        .get("access_key_id")
        .is_none());
}

#[test]
fn successful_console_login_takes_its_outcome_from_the_response() {
    let e = event(
        &CONSOLE_LOGIN_FAILED
            .replace("\"errorMessage\":\"Failed authentication\",", "")
            .replace("Failure", "Success"),
    );
    assert_eq!(at(&e, "event.outcome"), "success");
}

#[test]
fn an_error_code_makes_the_outcome_failure() {
    let e = event(&IAM_CREATE_USER.replace(
        "\"eventName\":\"CreateUser\",",
        "\"eventName\":\"CreateUser\",\"errorCode\":\"EntityAlreadyExists\",",
    ));
    assert_eq!(at(&e, "event.outcome"), "failure");
    assert_eq!(at(&e, "aws.cloudtrail.error_code"), "EntityAlreadyExists");
}

#[test]
fn unknown_event_names_are_info_without_category() {
    let e = event(
        r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"foo.amazonaws.com","eventName":"DoSomething","eventID":"x"}"#,
    );
    assert_eq!(at(&e, "event.type"), &json!(["info"]));
    assert!(e["event"].get("category").is_none());
    // Nothing to keep in `flattened`: an empty object, as Elastic shows it.
    assert_eq!(at(&e, "aws.cloudtrail.flattened"), &json!({}));
}

#[test]
fn digest_records_yield_no_event_and_no_error() {
    let digest = r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z","digestS3Bucket":"S3-bucket-name","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz","newestEventTime":"2015-08-17T14:52:27Z","oldestEventTime":"2015-08-17T14:42:27Z","previousDigestS3Bucket":"S3-bucket-name","previousDigestHashValue":"97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d","previousDigestHashAlgorithm":"SHA-256","publicKeyFingerprint":"50e2478c2f2d86c1a1fdc5b7ffbbbe3d","digestSignatureAlgorithm":"SHA256withRSA","logFiles":[{"s3Bucket":"S3-bucket-name","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz","hashValue":"9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6","hashAlgorithm":"SHA-256","newestEventTime":"2015-08-17T14:52:27Z","oldestEventTime":"2015-08-17T14:42:27Z"}]}"#;
    assert_eq!(events_with(Retain::All, digest).unwrap().len(), 0);
}

#[test]
fn insight_events_are_parsed_with_their_details_flattened() {
    let e = event(
        r#"{"eventVersion":"1.07","eventTime":"2020-09-09T23:00:00Z","awsRegion":"us-east-1","eventID":"41ed77ca-d659-b45a-8e9a-74e504300007","eventType":"AwsCloudTrailInsight","recipientAccountId":"123456789012","sharedEventID":"e672c2b1-e71a-4779-f96c-02da7bb30d2e","insightDetails":{"state":"End","eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.0},"insight":{"average":2.0},"insightDuration":1,"baselineDuration":11459},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::123456789012:user/Alice","average":2.0}],"baseline":[]}]}},"eventCategory":"Insight"}"#,
    );
    assert_eq!(at(&e, "event.id"), "41ed77ca-d659-b45a-8e9a-74e504300007");
    assert_eq!(at(&e, "event.type"), &json!(["info"]));
    assert!(e["event"].get("action").is_none());
    assert_eq!(at(&e, "aws.cloudtrail.event_category"), "Insight");
    assert_eq!(
        at(&e, "aws.cloudtrail.shared_event_id"),
        "e672c2b1-e71a-4779-f96c-02da7bb30d2e"
    );
    let details = at(&e, "aws.cloudtrail.flattened.insight_details");
    assert_eq!(details["insightType"], "ApiCallRateInsight");
    assert_eq!(
        details["insightContext"]["statistics"]["insight"]["average"],
        2.0
    );
    // Empty lists are dropped, and objects in lists have sorted keys.
    assert_eq!(
        details["insightContext"]["attributions"],
        json!([{"attribute": "userIdentityArn", "insight": [{"average": 2.0, "value": "arn:aws:iam::123456789012:user/Alice"}]}])
    );
    assert_eq!(at(&e, "cloud.account.id"), "123456789012");
}

#[test]
fn retain_controls_the_text_and_flattened_copies() {
    let record = r#"{"eventTime":"2024-10-08T12:24:16Z","eventSource":"s3.amazonaws.com","eventName":"CopyObject","requestParameters":{"bucketName":"b","key":"k","policyArn":"p"},"responseElements":{"x-amz-server-side-encryption":"AES256"},"additionalEventData":{"SSEApplied":"Default_SSE_S3","bytesTransferredIn":0},"eventID":"e"}"#;
    let one = |retain| events_with(retain, record).unwrap().remove(0)["aws"]["cloudtrail"].clone();

    let all = one(Retain::All);
    assert_eq!(
        all["request_parameters"],
        "{policyArn=p, bucketName=b, key=k}"
    );
    assert_eq!(
        all["flattened"]["request_parameters"],
        json!({"bucketName": "b", "key": "k", "policyArn": "p"})
    );
    assert_eq!(
        all["flattened"]["additional_eventdata"]["bytesTransferredIn"],
        0
    );

    let keyword = one(Retain::Keyword);
    assert_eq!(keyword["request_parameters"], all["request_parameters"]);
    assert_eq!(
        keyword["response_elements"],
        "{x-amz-server-side-encryption=AES256}"
    );
    assert!(keyword.get("flattened").is_none());

    let flattened = one(Retain::Flattened);
    assert!(
        flattened.get("request_parameters").is_none()
            && flattened.get("additional_eventdata").is_none()
    );
    assert_eq!(flattened["flattened"], all["flattened"]);

    let minimal = one(Retain::Minimal);
    assert_eq!(minimal["additional_eventdata"], all["additional_eventdata"]);
    assert_eq!(
        minimal["flattened"],
        json!({"additional_eventdata": {"SSEApplied": "Default_SSE_S3"}, "request_parameters": {"policyArn": "p"}})
    );

    let none = one(Retain::None);
    assert!(
        none.get("request_parameters").is_none()
            && none.get("flattened").is_none()
            && none.get("response_elements").is_none()
    );
}

#[test]
fn a_text_form_over_the_term_limit_is_not_flattened() {
    let big = "x".repeat(40_000);
    let record = format!(
        r#"{{"eventTime":"2024-01-01T00:00:00Z","eventName":"PutThing","requestParameters":{{"blob":"{big}"}},"responseElements":{{"ok":true}},"eventID":"e"}}"#
    );
    let e = event(&record);
    assert_eq!(
        at(&e, "aws.cloudtrail.request_parameters")
            .as_str()
            .map(str::len),
        Some(40_007)
    );
    assert!(e["aws"]["cloudtrail"]["flattened"]
        .get("request_parameters")
        .is_none());
    assert_eq!(
        at(&e, "aws.cloudtrail.flattened.response_elements"),
        &json!({"ok": true})
    );
}

#[test]
fn resources_are_renamed_and_deduplicated() {
    let e = event(
        r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"DisableKey","eventID":"e","resources":[{"ARN":"arn:aws:kms:us-east-1:1:key/k","accountId":"1","type":"AWS::KMS::Key"},{"accountId":"1","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:1:key/k"},{"arn":"arn:aws:ec2:r:1:instance/i-1","type":"AWS::EC2::Instance"},"not-an-object"]}"#,
    );
    assert_eq!(
        at(&e, "aws.cloudtrail.resources"),
        &json!([
            {"account_id": "1", "arn": "arn:aws:kms:us-east-1:1:key/k", "type": "AWS::KMS::Key"},
            {"arn": "arn:aws:ec2:r:1:instance/i-1", "type": "AWS::EC2::Instance"}
        ])
    );
    // Only upper-case `ARN`s name related entities, as in Elastic's pipeline.
    assert_eq!(
        at(&e, "target.entity.id"),
        &json!(["arn:aws:kms:us-east-1:1:key/k"])
    );
    assert_eq!(
        at(&e, "service.target.entity.id"),
        &json!(["arn:aws:kms:us-east-1:1:key/k"])
    );
}

#[test]
fn ec2_calls_relate_their_instances_groups_and_rules() {
    let e = event(
        r#"{"eventTime":"2024-10-14T14:11:38Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","eventID":"e","requestParameters":{"groupId":"sg-0f63fecfa17ef4fee","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"groups":{},"ipRanges":{"items":[{"cidrIp":"203.0.113.0/24"}]}}]}},"responseElements":{"requestId":"8ee0","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"000000000","groupId":"sg-0f63fecfa17ef4fee","securityGroupRuleId":"sgr-027eb7c59241731e0","isEgress":false}]}}}"#,
    );
    assert_eq!(
        sorted(at(&e, "target.entity.id")),
        ["sg-0f63fecfa17ef4fee", "sgr-027eb7c59241731e0"]
    );
    assert_eq!(
        sorted(at(&e, "service.target.entity.id")),
        ["sg-0f63fecfa17ef4fee", "sgr-027eb7c59241731e0"]
    );
    assert_eq!(at(&e, "event.category"), &json!(["network"]));
    assert_eq!(at(&e, "event.type"), &json!(["access"]));
    assert_eq!(
        at(&e, "aws.cloudtrail.request_parameters"),
        "{groupId=sg-0f63fecfa17ef4fee, ipPermissions={items=[{ipRanges={items=[{cidrIp=203.0.113.0/24}]}, fromPort=22, toPort=22, ipProtocol=tcp}]}}"
    );
    assert_eq!(
        at(&e, "aws.cloudtrail.flattened.response_elements._return"),
        true
    );
}

#[test]
fn group_and_renamed_user_fields_come_from_the_request() {
    let e = event(
        r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"UpdateUser","eventID":"e","userIdentity":{"type":"IAMUser","userName":"admin"},"requestParameters":{"userName":"old","newUserName":"new","groupName":"devs"},"responseElements":{"group":{"groupId":"AGPAEXAMPLE"}}}"#,
    );
    assert_eq!(at(&e, "user.changes.name"), "new");
    assert_eq!(at(&e, "user.target.name"), "old");
    assert_eq!(at(&e, "group.name"), "devs");
    assert_eq!(at(&e, "group.id"), "AGPAEXAMPLE");
    assert_eq!(sorted(at(&e, "related.user")), ["admin", "new", "old"]);
}

#[test]
fn escaped_strings_numbers_and_booleans_in_text_fields_are_read() {
    let e = event(
        r#"{"eventTime":"2024-01-01T00:00:00Z","eventName":"Get\u0054hing","eventSource":"x.amazonaws.com","eventID":"e","userAgent":"agent \"quoted\"","userIdentity":{"type":"IAMUser","accountId":123456789012,"userName":"a\/b"},"readOnly":"true","managementEvent":false,"tlsDetails":{"tlsVersion":"unknown"}}"#,
    );
    assert_eq!(at(&e, "event.action"), "GetThing");
    assert_eq!(at(&e, "user_agent.original"), "agent \"quoted\"");
    assert_eq!(at(&e, "user_agent.name"), "Other");
    // An escaped agent is still analysed.
    let cli = event(
        r#"{"eventTime":"2024-01-01T00:00:00Z","eventID":"e","userAgent":"aws-cli\/2.15.0 Python\/3.11.6 Linux\/6.1.0 botocore\/2.0.0"}"#,
    );
    assert_eq!(
        at(&cli, "user_agent.original"),
        "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 botocore/2.0.0"
    );
    assert_eq!(at(&cli, "user_agent.name"), "aws-cli");
    assert_eq!(at(&cli, "user_agent.version"), "2.15.0");
    assert_eq!(at(&e, "cloud.account.id"), "123456789012");
    assert_eq!(at(&e, "user.name"), "a/b");
    assert_eq!(at(&e, "aws.cloudtrail.read_only"), true);
    assert_eq!(at(&e, "aws.cloudtrail.management_event"), "false");
    assert_eq!(at(&e, "tls.version"), "unknown");
}

#[test]
fn members_of_unexpected_types_are_ignored_not_fatal() {
    let e = event(
        r#"{"eventTime":"2024-01-01T00:00:00Z","eventName":{"nested":1},"eventID":"e","userIdentity":"weird","tlsDetails":[1,2],"awsRegion":["us-east-1"],"resources":{"a":1}}"#,
    );
    assert!(e["event"].get("action").is_none());
    assert!(e.get("cloud").is_none());
    assert_eq!(at(&e, "event.id"), "e");
}

#[test]
fn invalid_json_is_an_error_not_a_panic() {
    for bad in [
        "",
        "not json",
        "[1,2]",
        "\"string\"",
        "{\"eventName\":\"A\"",
        "{\"eventName\":\"A\"}}",
        "{\"eventName\":\"A\",}",
        "{\"eventName\":01}",
        "{\"requestParameters\":{\"a\":tru},\"eventName\":\"A\"}",
    ] {
        let err = events_with(Retain::All, bad).unwrap_err();
        assert_eq!(err.dataset, DATASET);
        assert!(
            err.reason.starts_with("not a CloudTrail event"),
            "{bad}: {}",
            err.reason
        );
    }
}

#[test]
fn an_object_without_any_event_field_is_an_error() {
    let err = events_with(Retain::All, r#"{"foo":"bar"}"#).unwrap_err();
    assert!(err.reason.contains("no eventTime"));
}

#[test]
fn every_prefix_and_mangling_of_a_record_parses_or_fails_cleanly() {
    let record = IAM_CREATE_USER;
    for end in 0..=record.len() {
        if let Some(prefix) = record.get(..end) {
            let _ = events_with(Retain::All, prefix);
        }
    }
    for (i, c) in record.char_indices().step_by(7) {
        for replacement in ["\"", "\\", "{", "]", "", "\u{0}", "é"] {
            let mut mangled = String::from(&record[..i]);
            mangled.push_str(replacement);
            mangled.push_str(&record[i + c.len_utf8()..]);
            if let Ok(events) = events_with(Retain::Minimal, &mangled) {
                assert!(events.len() <= 1);
            }
        }
    }
}

/// The serializer's key order (dotted names, `.` before any other byte).
fn dotted_order(a: &str, b: &str) -> std::cmp::Ordering {
    let map = |c: u8| if c == b'.' { 0 } else { c };
    a.bytes().map(map).cmp(b.bytes().map(map))
}

#[test]
fn fields_are_emitted_in_the_serializers_order() {
    let records = [IAM_CREATE_USER.to_owned(), CONSOLE_LOGIN_FAILED.to_owned(), IAM_CREATE_USER.replace("\"eventName\":\"CreateUser\",", "\"errorCode\":\"X\",\"eventName\":\"AddPermission20150331v2\",\"eventSource\":\"lambda.amazonaws.com\",")];
    for retain in [Retain::All, Retain::Minimal] {
        for record in &records {
            let mut keys = Vec::new();
            parser(retain)
                .parse(record, &mut |event| {
                    keys.extend(event.fields().map(|(k, _)| k.to_owned()))
                })
                .unwrap();
            for pair in keys.windows(2) {
                assert_eq!(
                    dotted_order(&pair[0], &pair[1]),
                    std::cmp::Ordering::Less,
                    "{} then {}",
                    pair[0],
                    pair[1]
                );
            }
        }
    }
}

#[test]
fn options_are_checked() {
    let build_with =
        |key: &str, value: &str| build(&Options::from([(key.to_owned(), value.to_owned())]));
    assert!(build_with("retain", "minimal").is_ok());
    assert!(build_with("retain", "all").is_ok());
    assert!(matches!(
        build_with("retain", "everything"),
        Err(OptionError::Invalid { .. })
    ));
    assert!(matches!(
        build_with("format", "x"),
        Err(OptionError::Unknown { .. })
    ));
    assert!(build(&Options::new()).is_ok());
}

#[test]
fn forks_parse_like_the_original() {
    let original = parser(Retain::Minimal);
    let mut fork = original.fork().expect("stateless parser forks");
    let mut a = Vec::new();
    fork.parse(IAM_CREATE_USER, &mut |e| e.write_json(&mut a))
        .unwrap();
    let mut b = Vec::new();
    parser(Retain::Minimal)
        .parse(IAM_CREATE_USER, &mut |e| e.write_json(&mut b))
        .unwrap();
    assert_eq!(a, b);
}
