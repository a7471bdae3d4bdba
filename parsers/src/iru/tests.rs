//! Tests in the shape of Iru's (Kandji's) audit log API
//! (`GET /api/v1/audit/events`: a page `{"count","next","previous","results"}`
//! of events), as Iru also pushes them to S3.

use super::*;

const DELETE: &str = r#"{"id":"01JNQ000000000000000000001","action":"delete","occurred_at":"2025-03-06T10:00:00.000000Z","actor_id":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","actor_type":"user","target_id":"11111111-2222-4333-8444-555555555555","target_type":"blueprint","target_component":"","new_state":{"name":"Retired Blueprint","description":null},"metadata":{}}"#;

fn parse(record: &str) -> Result<Vec<serde_json::Value>, ParseError> {
    let mut out = Vec::new();
    IruAuditParser.parse(record, &mut |e| out.push(e.to_value()))?;
    Ok(out)
}

#[test]
fn a_user_action_names_the_user_and_drops_empty_values() {
    let e = &parse(DELETE).unwrap()[0];
    assert_eq!(e["@timestamp"], "2025-03-06T10:00:00.000Z");
    assert_eq!(e["event"]["action"], "delete");
    assert_eq!(e["event"]["type"], serde_json::json!(["deletion"]));
    assert_eq!(e["event"]["category"], serde_json::json!(["configuration"]));
    assert_eq!(e["user"]["id"], "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
    assert_eq!(e["iru"]["audit"]["target"]["type"], "blueprint");
    assert!(e["iru"]["audit"]["target"].get("component").is_none());
    assert_eq!(
        e["iru"]["audit"]["new_state"],
        serde_json::json!({"name": "Retired Blueprint"})
    );
    assert!(e["iru"]["audit"].get("metadata").is_none());
    assert_eq!(e["observer"]["vendor"], "Iru");
}

#[test]
fn an_api_token_actor_is_not_a_user_and_token_changes_are_iam() {
    let record = r#"{"id":"2","action":"update","occurred_at":"2025-03-05T20:50:28.090682Z","actor_id":"a0726ca3","actor_type":"api_token","target_id":"t","target_type":"api_token","new_state":{"label":"Token"},"metadata":{}}"#;
    let e = &parse(record).unwrap()[0];
    assert_eq!(e["iru"]["audit"]["actor"]["id"], "a0726ca3");
    assert!(e.get("user").is_none());
    assert_eq!(e["event"]["category"], serde_json::json!(["iam"]));
    assert_eq!(e["event"]["type"], serde_json::json!(["admin", "change"]));
}

#[test]
fn the_admin_profile_fills_user_email_and_name() {
    let record = r#"{"id":"3","action":"create","occurred_at":"2025-03-04T16:30:14.143192Z","actor_id":"cf40","actor_type":"user","target_type":"blueprint","admin":{"id":"cf40","email":"admin@example.com","first_name":"Example","last_name":"Admin","is_active":true,"created_at":"2025-01-01T00:00:00.000000Z"}}"#;
    let e = &parse(record).unwrap()[0];
    assert_eq!(e["user"]["email"], "admin@example.com");
    assert_eq!(e["user"]["name"], "Example Admin");
    assert_eq!(
        e["event"]["type"],
        serde_json::json!(["change", "creation"])
    );
    assert_eq!(e["iru"]["audit"]["admin"]["is_active"], true);
    assert_eq!(
        e["related"]["user"],
        serde_json::json!(["cf40", "admin@example.com", "Example Admin"])
    );
}

#[test]
fn api_pages_and_arrays_yield_every_event() {
    let page =
        format!(r#"{{"count":2,"next":null,"previous":null,"results":[{DELETE},{DELETE}]}}"#);
    assert_eq!(parse(&page).unwrap().len(), 2);
    assert_eq!(parse(&format!("[{DELETE}]")).unwrap().len(), 1);
}

#[test]
fn malformed_events_are_errors() {
    for bad in [
        "nope",
        "42",
        r#"{"action":"update"}"#,
        r#"{"id":"1","occurred_at":"not a time"}"#,
        r#"[1]"#,
        r#"{"results":[1]}"#,
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}
