//! `iru.audit`: audit events of Iru Endpoint (formerly Kandji), which Iru
//! pushes hourly into a customer's S3 bucket (through a cross-account role)
//! under the destination path the customer chose.
//!
//! An event is a record of Iru's audit log API (`GET /api/v1/audit/events`):
//! `id`, `action` (`create`, `update`, `delete`, …), `occurred_at`,
//! `actor_id`, `actor_type` (`user`, `api_token`, …), `target_id`,
//! `target_type`, `target_component`, `new_state` and `metadata` (free-form
//! objects), and optionally `admin` (the acting administrator's profile).
//! Objects hold NDJSON, a JSON array, or an API page `{"results":[…]}`; the
//! framing (`JsonRecords` on `results`) hands over one event per record
//! whatever the shape.
//!
//! The events match Elastic's Iru integration (`audit` data stream): the
//! event under `iru.audit.*` (`actor.*`, `target.*`, `new_state`,
//! `metadata`, `admin`), with null and empty values dropped, and
//! `event.action`, `event.category`/`event.type` from the action and target
//! type, `user.*` for a user actor, `observer.*`. See `fields/iru.audit.yml`.

use std::borrow::Cow;

use serde_json::{Map, Value as Json};

use crate::loose_json::{self, pruned, Prune};
use crate::{build_default, Event, OptionError, Options, ParseError, Parser, Timestamp, Value};

/// Dataset name.
pub const DATASET: &str = "iru.audit";
/// Options this dataset accepts (comma separated; `selector` is the agent's).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    build_default::<IruAuditParser>(DATASET, options)
}

/// The Iru audit event parser; stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct IruAuditParser;

fn error(reason: impl Into<String>) -> ParseError {
    ParseError::new(DATASET, reason)
}

impl Parser for IruAuditParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        match loose_json::value(DATASET, "Iru audit event", record)? {
            Json::Object(map) => {
                // A page whose `results` the framing did not unpack.
                if let Some(Json::Array(results)) = map.get("results") {
                    for r in results {
                        let Json::Object(r) = r else {
                            return Err(error("an element of `results` is not an object"));
                        };
                        emit(audit_event(r)?);
                    }
                    return Ok(());
                }
                emit(audit_event(&map)?);
                Ok(())
            }
            Json::Array(items) => {
                for item in items {
                    let Json::Object(r) = item else {
                        return Err(error("an array element is not an object"));
                    };
                    emit(audit_event(&r)?);
                }
                Ok(())
            }
            _ => Err(error("record is not a JSON object (an Iru audit event)")),
        }
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(*self))
    }
}

fn text<'j>(m: &'j Map<String, Json>, key: &str) -> Option<&'j str> {
    m.get(key).and_then(Json::as_str).filter(|s| !s.is_empty())
}

/// What is dropped from `new_state` and `metadata`: `null`,
/// empty strings and empty containers, in arrays too.
const PRUNE: Prune = Prune {
    empty: true,
    dash: false,
    in_arrays: true,
};

/// Whether `target_type` names something that grants access (category `iam`).
fn is_iam_target(target: &str) -> bool {
    matches!(
        target,
        "api_token" | "user" | "admin" | "role" | "sso" | "saml" | "identity_provider"
    )
}

fn audit_event<'a>(r: &Map<String, Json>) -> Result<Event<'a>, ParseError> {
    let id = text(r, "id").ok_or_else(|| error("audit event has no `id`"))?;
    let occurred =
        text(r, "occurred_at").ok_or_else(|| error("audit event has no `occurred_at`"))?;
    let time = Timestamp::parse_rfc3339(occurred)
        .ok_or_else(|| error(format!("invalid `occurred_at` `{occurred}`")))?;
    let mut e = Event::new();
    e.push("@timestamp", time);
    e.push("event.id", id.to_string());
    e.push("event.kind", "event");
    e.push("observer.vendor", "Iru");
    e.push("observer.product", "Iru Endpoint");

    let action = text(r, "action");
    let target_type = text(r, "target_type");
    if let Some(a) = action {
        e.push("event.action", a.to_string());
    }
    let iam = target_type.is_some_and(is_iam_target);
    let category = if iam { "iam" } else { "configuration" };
    e.push("event.category", Value::List(vec![Value::from(category)]));
    let mut types: Vec<Value<'a>> = Vec::new();
    if iam {
        types.push("admin".into());
    }
    match action.map(str::to_ascii_lowercase).as_deref() {
        Some("create" | "add" | "enroll") => {
            types.push("change".into());
            types.push("creation".into());
        }
        Some("delete" | "remove" | "unenroll") => types.push("deletion".into()),
        Some("update" | "change" | "modify" | "assign" | "unassign") => types.push("change".into()),
        _ => types.push("info".into()),
    }
    e.push("event.type", Value::List(types));

    // iru.audit.*
    let actor_id = text(r, "actor_id");
    let actor_type = text(r, "actor_type");
    if let Some(t) = actor_type {
        e.push("iru.audit.actor.type", t.to_string());
    }
    let user_actor = actor_type == Some("user");
    if let (Some(a), false) = (actor_id, user_actor) {
        e.push("iru.audit.actor.id", a.to_string());
    }
    for (key, field) in [
        ("target_id", "iru.audit.target.id"),
        ("target_type", "iru.audit.target.type"),
        ("target_component", "iru.audit.target.component"),
    ] {
        if let Some(v) = text(r, key) {
            e.push(field, v.to_string());
        }
    }
    for (key, field) in [
        ("new_state", "iru.audit.new_state"),
        ("metadata", "iru.audit.metadata"),
    ] {
        if let Some(v) = r.get(key).and_then(|v| pruned(v.clone(), PRUNE)) {
            e.push(field, Value::Json(Cow::Owned(v.to_string())));
        }
    }

    // The acting administrator, when the export carries the profile.
    let mut related_user: Vec<Value<'a>> = Vec::new();
    let mut related = |v: &str| {
        if !related_user.iter().any(|x| x.as_str() == Some(v)) {
            related_user.push(v.to_string().into());
        }
    };
    if user_actor {
        if let Some(a) = actor_id {
            e.push("user.id", a.to_string());
            related(a);
        }
    }
    if let Some(admin) = r.get("admin").and_then(Json::as_object) {
        for (k, v) in admin {
            let field = format!("iru.audit.admin.{k}");
            match v {
                Json::String(s) if s.is_empty() => {}
                Json::String(s) if k.ends_with("_at") => {
                    let t = Timestamp::parse_rfc3339(s)
                        .ok_or_else(|| error(format!("invalid `admin.{k}` `{s}`")))?;
                    e.insert(field, t);
                }
                Json::String(s) => e.insert(field, s.clone()),
                Json::Bool(b) => e.insert(field, *b),
                Json::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        e.insert(field, i);
                    } else if let Some(f) = n.as_f64() {
                        e.insert(field, f);
                    }
                }
                _ => {}
            }
        }
        if user_actor && text(admin, "id") == actor_id {
            if let Some(email) = text(admin, "email") {
                e.push("user.email", email.to_string());
                related(email);
            }
            let name = [text(admin, "first_name"), text(admin, "last_name")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            if !name.is_empty() {
                related(&name);
                e.push("user.name", name);
            }
        }
    }
    if !related_user.is_empty() {
        e.push("related.user", Value::List(related_user));
    }
    Ok(e)
}

#[cfg(test)]
mod tests;
