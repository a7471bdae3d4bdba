//! `aws.cloudtrail`: AWS CloudTrail events, mapped as Elastic's AWS
//! integration maps them.
//!
//! One record is one CloudTrail event, a JSON object: an element of the
//! `Records` array of a log file, or one line of a file of events (see
//! [`Framing::JsonRecords`](crate::Framing::JsonRecords)). The event is read
//! in one validating pass into borrowed structs: strings borrow from the
//! record unless they hold escapes, members the mapping does not use are
//! skipped without being built, and the free-form members
//! (`requestParameters`, `responseElements`, `additionalEventData`,
//! `serviceEventDetails`, `insightDetails`, `resources`) become a small
//! borrowed tree. Fields are emitted in the serializer's order, so writing
//! the event needs no real sort.
//!
//! What comes out:
//!
//! - ECS: `@timestamp` (`eventTime`), `event.action` (`eventName`),
//!   `event.provider` (`eventSource`), `event.id`, `event.outcome` (failure
//!   when `errorCode`/`errorMessage` is set; a console login's own result),
//!   `event.category`/`event.type` from Elastic's table by `eventName`,
//!   `cloud.region`, `cloud.account.id`, `cloud.service.name`,
//!   `source.address` (`sourceIPAddress`, which may be a service name) and
//!   `source.ip` when it is an address, `user_agent.*`, `user.*` from every
//!   `userIdentity` type (IAM users, assumed roles with their session issuer,
//!   root, AWS services, federated and Identity Center users), `tls.*`,
//!   `group.*`, `related.*`, and the actor/target entities
//!   (`actor.entity.id`, `target.entity.id`, `related.entity`, …).
//! - `aws.cloudtrail.*`: the event's own fields, and the free-form members as
//!   Elastic keeps them, controlled by the `retain` option:
//!
//! | `retain` | `request_parameters` & co. (Java `toString()` text) | `flattened.*` (structured) |
//! |---|---|---|
//! | `all` (default) | yes | yes |
//! | `keyword` | yes | no |
//! | `flattened` | no | yes |
//! | `minimal` | yes | only the few fields detection rules use |
//! | `none` | no | no |
//!
//! CloudTrail digest files (records with `digestStartTime`/`logFiles`) yield
//! no event and no error; Insights events are parsed like any other.
//!
//! ```
//! use loglift_parsers::{cloudtrail, Options};
//! let mut parser = cloudtrail::build(&Options::new()).unwrap();
//! let record = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/Alice","accountId":"123456789012","userName":"Alice"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"Bob"},"responseElements":null,"eventID":"e1"}"#;
//! let mut events = Vec::new();
//! parser.parse(record, &mut |e| events.push(e)).unwrap();
//! assert_eq!(events[0].get("event.action").and_then(|v| v.as_str()), Some("CreateUser"));
//! assert_eq!(events[0].get("user.target.name").and_then(|v| v.as_str()), Some("Bob"));
//! ```

mod category;
mod entity;
mod java;
mod tree;

use std::borrow::Cow;
use std::net::IpAddr;

use crate::event::{write_str, Event, Value};
use crate::time::Timestamp;
use crate::{check_options, OptionError, Options, ParseError, Parser};
use entity::Entities;
use tree::{Node, Reader};

/// Dataset name.
pub const DATASET: &str = "aws.cloudtrail";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "retain";

/// How much of `requestParameters`, `responseElements`, `additionalEventData`
/// and `serviceEventDetails` an event keeps (option `retain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retain {
    /// The text form and the structured `flattened.*` form.
    #[default]
    All,
    /// Only the text form (`aws.cloudtrail.request_parameters`, …).
    Keyword,
    /// Only the structured form (`aws.cloudtrail.flattened.*`).
    Flattened,
    /// The text form, and of the structured form only the fields detection
    /// rules use.
    Minimal,
    /// Neither.
    None,
}

impl Retain {
    fn keeps_text(self) -> bool {
        matches!(self, Retain::All | Retain::Keyword | Retain::Minimal)
    }

    fn keeps_flattened(self) -> bool {
        matches!(self, Retain::All | Retain::Flattened | Retain::Minimal)
    }
}

impl std::str::FromStr for Retain {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "" | "all" => Ok(Retain::All),
            "keyword" => Ok(Retain::Keyword),
            "flattened" => Ok(Retain::Flattened),
            "minimal" => Ok(Retain::Minimal),
            "none" => Ok(Retain::None),
            other => Err(format!(
                "`{other}` is not one of all, keyword, flattened, minimal, none"
            )),
        }
    }
}

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    check_options(DATASET, options, OPTIONS)?;
    let retain = match options.get("retain") {
        Some(value) => value.parse().map_err(|reason| OptionError::Invalid {
            dataset: DATASET,
            key: "retain".into(),
            reason,
        })?,
        None => Retain::default(),
    };
    Ok(Box::new(CloudTrail { retain }))
}

/// The CloudTrail parser.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudTrail {
    retain: Retain,
}

impl CloudTrail {
    /// A parser keeping `retain` of the free-form members.
    pub fn new(retain: Retain) -> Self {
        CloudTrail { retain }
    }
}

impl Parser for CloudTrail {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let raw = Raw::read(record)?;
        if raw.digest {
            // A digest file: integrity metadata, not activity.
            return Ok(());
        }
        if raw.event_time.is_none()
            && raw.event_name.is_none()
            && raw.event_source.is_none()
            && raw.event_id.is_none()
        {
            return Err(ParseError::new(
                DATASET,
                "not a CloudTrail event: no eventTime, eventName, eventSource or eventID",
            ));
        }
        emit(self.event(&raw));
        Ok(())
    }

    /// Records are independent: any number of copies may parse one object.
    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(*self))
    }
}

/// A CloudTrail event as written: the members the mapping uses.
#[derive(Default)]
struct Raw<'a> {
    event_version: Option<Cow<'a, str>>,
    identity: Identity<'a>,
    event_time: Option<Cow<'a, str>>,
    event_source: Option<Cow<'a, str>>,
    event_name: Option<Cow<'a, str>>,
    aws_region: Option<Cow<'a, str>>,
    source_ip_address: Option<Cow<'a, str>>,
    user_agent: Option<Cow<'a, str>>,
    error_code: Option<Cow<'a, str>>,
    error_message: Option<Cow<'a, str>>,
    /// `requestParameters`, `responseElements`, `additionalEventData`,
    /// `serviceEventDetails`, as in [`FREE_FORM`].
    free_form: [Option<Node<'a>>; 4],
    insight_details: Option<Node<'a>>,
    resources: Option<Node<'a>>,
    request_id: Option<Cow<'a, str>>,
    event_id: Option<Cow<'a, str>>,
    event_type: Option<Cow<'a, str>>,
    api_version: Option<Cow<'a, str>>,
    management_event: Option<Cow<'a, str>>,
    read_only: Option<Cow<'a, str>>,
    recipient_account_id: Option<Cow<'a, str>>,
    shared_event_id: Option<Cow<'a, str>>,
    vpc_endpoint_id: Option<Cow<'a, str>>,
    event_category: Option<Cow<'a, str>>,
    tls_version: Option<Cow<'a, str>>,
    tls_cipher_suite: Option<Cow<'a, str>>,
    tls_host_header: Option<Cow<'a, str>>,
    session_credential_from_console: Option<Cow<'a, str>>,
    source_identity: Option<Cow<'a, str>>,
    /// A digest file's record (`digestStartTime`, `logFiles`).
    digest: bool,
}

/// `userIdentity`.
#[derive(Default)]
struct Identity<'a> {
    kind: Option<Cow<'a, str>>,
    principal_id: Option<Cow<'a, str>>,
    arn: Option<Cow<'a, str>>,
    account_id: Option<Cow<'a, str>>,
    access_key_id: Option<Cow<'a, str>>,
    user_name: Option<Cow<'a, str>>,
    invoked_by: Option<Cow<'a, str>>,
    mfa_authenticated: Option<Cow<'a, str>>,
    creation_date: Option<Cow<'a, str>>,
    ec2_role_delivery: Option<Cow<'a, str>>,
    issuer_type: Option<Cow<'a, str>>,
    issuer_principal_id: Option<Cow<'a, str>>,
    issuer_arn: Option<Cow<'a, str>>,
    issuer_account_id: Option<Cow<'a, str>>,
    issuer_user_name: Option<Cow<'a, str>>,
    on_behalf_user_id: Option<Cow<'a, str>>,
    identity_store_arn: Option<Cow<'a, str>>,
}

/// Reads the object at the cursor with `member`, or skips a value of another kind.
fn object_or_skip<'a>(
    r: &mut Reader<'a>,
    member: impl FnMut(&mut Reader<'a>, Cow<'a, str>) -> Option<()>,
) -> Option<()> {
    if r.peek()? == b'{' {
        r.members(member)
    } else {
        r.skip(0)
    }
}

/// A free-form member as a tree, with empty values pruned (`None` if nothing is left).
fn free_form<'a>(r: &mut Reader<'a>) -> Option<Option<Node<'a>>> {
    let mut node = r.node()?;
    Some((!node.prune()).then_some(node))
}

impl<'a> Raw<'a> {
    fn read(record: &'a str) -> Result<Raw<'a>, ParseError> {
        let mut raw = Raw::default();
        let mut r = Reader::new(record);
        if r.peek() != Some(b'{') {
            return Err(ParseError::new(
                DATASET,
                "not a CloudTrail event: not a JSON object",
            ));
        }
        let read = r.members(|r, key| {
            match key.as_ref() {
                "eventVersion" => raw.event_version = r.text()?,
                "userIdentity" => object_or_skip(r, |r, key| raw.identity.read_member(r, key))?,
                "eventTime" => raw.event_time = r.text()?,
                "eventSource" => raw.event_source = r.text()?,
                "eventName" => raw.event_name = r.text()?,
                "awsRegion" => raw.aws_region = r.text()?,
                "sourceIPAddress" => raw.source_ip_address = r.text()?,
                "userAgent" => raw.user_agent = r.text()?,
                "errorCode" => raw.error_code = r.text()?,
                "errorMessage" => raw.error_message = r.text()?,
                "requestParameters" => raw.free_form[REQUEST] = free_form(r)?,
                "responseElements" => raw.free_form[RESPONSE] = free_form(r)?,
                "additionalEventData" => raw.free_form[ADDITIONAL] = free_form(r)?,
                "serviceEventDetails" => raw.free_form[SERVICE_DETAILS] = free_form(r)?,
                "insightDetails" => raw.insight_details = free_form(r)?,
                "resources" => raw.resources = free_form(r)?,
                "requestID" => raw.request_id = r.text()?,
                "eventID" => raw.event_id = r.text()?,
                "eventType" => raw.event_type = r.text()?,
                "apiVersion" => raw.api_version = r.text()?,
                "managementEvent" => raw.management_event = r.text()?,
                "readOnly" => raw.read_only = r.text()?,
                "recipientAccountId" => raw.recipient_account_id = r.text()?,
                "sharedEventID" | "sharedEventId" => raw.shared_event_id = r.text()?,
                "vpcEndpointId" => raw.vpc_endpoint_id = r.text()?,
                "eventCategory" => raw.event_category = r.text()?,
                "tlsDetails" => object_or_skip(r, |r, key| {
                    match key.as_ref() {
                        "tlsVersion" => raw.tls_version = r.text()?,
                        "cipherSuite" => raw.tls_cipher_suite = r.text()?,
                        "clientProvidedHostHeader" => raw.tls_host_header = r.text()?,
                        _ => r.skip(0)?,
                    }
                    Some(())
                })?,
                "sessionCredentialFromConsole" => raw.session_credential_from_console = r.text()?,
                "sourceIdentity" => raw.source_identity = r.text()?,
                "digestStartTime" | "logFiles" => {
                    raw.digest = true;
                    r.skip(0)?;
                }
                _ => r.skip(0)?,
            }
            Some(())
        });
        if read.is_none() || !r.at_end() {
            return Err(ParseError::new(
                DATASET,
                format!(
                    "not a CloudTrail event: invalid JSON at byte {}",
                    r.position()
                ),
            ));
        }
        Ok(raw)
    }
}

impl<'a> Identity<'a> {
    fn read_member(&mut self, r: &mut Reader<'a>, key: Cow<'a, str>) -> Option<()> {
        match key.as_ref() {
            "type" => self.kind = r.text()?,
            "principalId" => self.principal_id = r.text()?,
            "arn" => self.arn = r.text()?,
            "accountId" => self.account_id = r.text()?,
            "accessKeyId" => self.access_key_id = r.text()?,
            "userName" => self.user_name = r.text()?,
            "invokedBy" => self.invoked_by = r.text()?,
            "sessionContext" => object_or_skip(r, |r, key| {
                match key.as_ref() {
                    "attributes" => object_or_skip(r, |r, key| {
                        match key.as_ref() {
                            "mfaAuthenticated" => self.mfa_authenticated = r.text()?,
                            "creationDate" => self.creation_date = r.text()?,
                            _ => r.skip(0)?,
                        }
                        Some(())
                    })?,
                    "sessionIssuer" => object_or_skip(r, |r, key| {
                        match key.as_ref() {
                            "type" => self.issuer_type = r.text()?,
                            "principalId" => self.issuer_principal_id = r.text()?,
                            "arn" => self.issuer_arn = r.text()?,
                            "accountId" => self.issuer_account_id = r.text()?,
                            "userName" => self.issuer_user_name = r.text()?,
                            _ => r.skip(0)?,
                        }
                        Some(())
                    })?,
                    "ec2RoleDelivery" => self.ec2_role_delivery = r.text()?,
                    _ => r.skip(0)?,
                }
                Some(())
            })?,
            "onBehalfOf" => object_or_skip(r, |r, key| {
                match key.as_ref() {
                    "userId" => self.on_behalf_user_id = r.text()?,
                    "identityStoreArn" => self.identity_store_arn = r.text()?,
                    _ => r.skip(0)?,
                }
                Some(())
            })?,
            _ => r.skip(0)?,
        }
        Some(())
    }
}

/// The free-form members: text field, `flattened` field.
const FREE_FORM: [(&str, &str); 4] = [
    (
        "aws.cloudtrail.request_parameters",
        "aws.cloudtrail.flattened.request_parameters",
    ),
    (
        "aws.cloudtrail.response_elements",
        "aws.cloudtrail.flattened.response_elements",
    ),
    (
        "aws.cloudtrail.additional_eventdata",
        "aws.cloudtrail.flattened.additional_eventdata",
    ),
    (
        "aws.cloudtrail.service_event_details",
        "aws.cloudtrail.flattened.service_event_details",
    ),
];
const REQUEST: usize = 0;
const RESPONSE: usize = 1;
const ADDITIONAL: usize = 2;
const SERVICE_DETAILS: usize = 3;

/// Elastic's `minimal` retention keeps these `flattened` fields only
/// (member index in [`FREE_FORM`], key).
const MINIMAL_FIELDS: [(usize, &str); 9] = [
    (ADDITIONAL, "SSEApplied"),
    (REQUEST, "cidrIp"),
    (REQUEST, "dryRun"),
    (REQUEST, "fromPort"),
    (REQUEST, "includeDeprecated"),
    (REQUEST, "policyArn"),
    (REQUEST, "serialNumber"),
    (REQUEST, "withDecryption"),
    (REQUEST, "x-amz-server-side-encryption-customer-algorithm"),
];

/// Elastic indexes the structured copy only while the text stays under
/// Lucene's term limit.
const MAX_FLATTENED_TEXT: usize = 32766;

/// The free-form members as kept by `retain`.
#[derive(Default)]
struct Kept {
    /// Java `toString()` text per member of [`FREE_FORM`].
    text: [Option<String>; 4],
    /// `flattened` JSON per member of [`FREE_FORM`], then `insight_details`.
    flattened: [Option<String>; 5],
    /// `retain` keeps `flattened` but there is nothing to put in it.
    empty_flattened: bool,
}

impl Kept {
    fn new<'a>(
        retain: Retain,
        members: &[Option<Node<'a>>; 4],
        insight: Option<&Node<'a>>,
    ) -> Self {
        let mut kept = Kept::default();
        let (keep_text, keep_flattened) = (retain.keeps_text(), retain.keeps_flattened());
        if !keep_text && !keep_flattened {
            return kept;
        }
        let mut flat: [Option<&Node<'a>>; 4] = [None; 4];
        for (i, member) in members.iter().enumerate() {
            let Some(node) = member else { continue };
            let mut s = String::new();
            java::write_to_string(node, &mut s);
            if keep_flattened && java::java_length(&s) < MAX_FLATTENED_TEXT {
                flat[i] = Some(node);
            }
            if keep_text {
                kept.text[i] = Some(s);
            }
        }
        if !keep_flattened {
            return kept;
        }
        if retain == Retain::Minimal {
            for (i, node) in flat.iter().enumerate() {
                let mut out = Vec::new();
                for &(_, field) in MINIMAL_FIELDS.iter().filter(|(m, _)| *m == i) {
                    if let Some(value) = node.and_then(|n| n.member(field)) {
                        out.push(if out.is_empty() { b'{' } else { b',' });
                        write_str(&mut out, field);
                        out.push(b':');
                        value.write_sorted_json(&mut out);
                    }
                }
                if !out.is_empty() {
                    out.push(b'}');
                    kept.flattened[i] = String::from_utf8(out).ok();
                }
            }
        } else {
            for (i, node) in flat.iter().enumerate() {
                kept.flattened[i] = node.map(sorted_json);
            }
            kept.flattened[4] = insight.map(sorted_json);
        }
        kept.empty_flattened = kept.flattened.iter().all(Option::is_none);
        kept
    }
}

fn sorted_json(node: &Node<'_>) -> String {
    let mut out = Vec::with_capacity(64);
    node.write_sorted_json(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Adds `value` to a list unless it is empty or already there.
fn add_unique<'a>(list: &mut Vec<Value<'a>>, value: Option<&Cow<'a, str>>) {
    if let Some(v) = value {
        if !v.is_empty() && !list.iter().any(|item| item.as_str() == Some(v)) {
            list.push(Value::Str(v.clone()));
        }
    }
}

fn str_list<'a>(items: impl IntoIterator<Item = Cow<'a, str>>) -> Value<'a> {
    Value::List(items.into_iter().map(Value::Str).collect())
}

/// Pushes a string field when present.
fn put<'a>(event: &mut Event<'a>, key: &'static str, value: Option<&Cow<'a, str>>) {
    if let Some(v) = value {
        event.push(key, Value::Str(v.clone()));
    }
}

fn put_owned<'a>(event: &mut Event<'a>, key: &'static str, value: Option<String>) {
    if let Some(v) = value {
        event.push(key, Value::Str(Cow::Owned(v)));
    }
}

fn put_json<'a>(event: &mut Event<'a>, key: &'static str, value: Option<String>) {
    if let Some(v) = value {
        event.push(key, Value::Json(Cow::Owned(v)));
    }
}

impl CloudTrail {
    /// Maps one event. Fields are pushed in the order the serializer writes
    /// them (dotted names, `.` first), which keeps its sort linear.
    fn event<'a>(&self, raw: &Raw<'a>) -> Event<'a> {
        let id = &raw.identity;
        let [request, response, additional, _] = &raw.free_form;
        let identity_type = id.kind.as_deref();
        let event_name = raw.event_name.as_deref();
        let req = |path: &str| {
            request
                .as_ref()
                .and_then(|n| n.get(path))
                .and_then(Node::text)
        };
        let resp = |path: &str| {
            response
                .as_ref()
                .and_then(|n| n.get(path))
                .and_then(Node::text)
        };

        let mut entities = Entities::map(&entity::Facts {
            identity_type,
            arn: id.arn.as_ref(),
            invoked_by: id.invoked_by.as_ref(),
            access_key_id: id.access_key_id.as_ref(),
            user_name: id.user_name.as_ref(),
            issuer_arn: id.issuer_arn.as_ref(),
            issuer_user_name: id.issuer_user_name.as_ref(),
            on_behalf_user_id: id.on_behalf_user_id.as_ref(),
            identity_store_arn: id.identity_store_arn.as_ref(),
            source_identity: raw.source_identity.as_ref(),
            recipient_account_id: raw.recipient_account_id.as_ref(),
            event_source: raw.event_source.as_deref(),
            event_name,
            request: request.as_ref(),
            response: response.as_ref(),
            additional: additional.as_ref(),
            resources: raw.resources.as_ref(),
        });
        let kept = Kept::new(self.retain, &raw.free_form, raw.insight_details.as_ref());

        // The user: an assumed role or federated user is named by its
        // session issuer, and its session name may be an email address.
        let role_session = matches!(identity_type, Some("AssumedRole" | "FederatedUser"));
        let mut user_name = id.user_name.clone();
        if role_session && id.issuer_user_name.is_some() {
            user_name = id.issuer_user_name.clone();
        }
        if user_name.is_none() && event_name == Some("UserAuthentication") {
            user_name = additional
                .as_ref()
                .and_then(|a| a.get("UserName"))
                .and_then(Node::text);
        }
        let mut user_id = id.principal_id.clone();
        if user_id.is_none() && identity_type == Some("IdentityCenterUser") {
            user_id = id.on_behalf_user_id.clone();
        }
        let mut related_user: Vec<Value<'a>> = Vec::with_capacity(8);
        let mut email: Option<Cow<'a, str>> = None;
        if role_session {
            if let Some(session_name) = id.arn.as_ref().and_then(role_session_name) {
                add_unique(&mut related_user, Some(&session_name));
                if let Some((prefix, _)) = session_name.split_once('@') {
                    if !prefix.is_empty() {
                        add_unique(&mut related_user, Some(&Cow::Owned(prefix.to_owned())));
                        email = Some(session_name);
                    }
                }
            }
        }
        let target_user_name = req("userName");
        let new_user_name = req("newUserName");
        let target_user_id = resp("user.userId");
        for value in [
            &target_user_name,
            &new_user_name,
            &target_user_id,
            &user_id,
            &user_name,
        ] {
            add_unique(&mut related_user, value.as_ref());
        }
        if email.is_none() {
            email = user_name
                .clone()
                .filter(|n| n.find('@').is_some_and(|i| i > 0));
        }
        let source_ip = raw
            .source_ip_address
            .as_ref()
            .filter(|a| a.parse::<IpAddr>().is_ok());

        let mut event = Event::new();
        if let Some(t) = raw.event_time.as_deref().and_then(Timestamp::parse_rfc3339) {
            event.push("@timestamp", t);
        }
        if let Some((actor, _)) = &entities.actor {
            event.push("actor.entity.id", str_list([actor.clone()]));
        }

        // aws.cloudtrail.*
        put_owned(
            &mut event,
            FREE_FORM[ADDITIONAL].0,
            kept.text[ADDITIONAL].clone(),
        );
        put(
            &mut event,
            "aws.cloudtrail.api_version",
            raw.api_version.as_ref(),
        );
        if event_name == Some("ConsoleLogin") {
            if let Some(additional) = additional {
                console_login(&mut event, additional);
            }
        }
        put(
            &mut event,
            "aws.cloudtrail.error_code",
            raw.error_code.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.error_message",
            raw.error_message.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.event_category",
            raw.event_category.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.event_type",
            raw.event_type.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.event_version",
            raw.event_version.as_ref(),
        );
        if kept.empty_flattened {
            // As Elastic's documents show it: an empty object.
            event.push("aws.cloudtrail.flattened", Value::Json(Cow::Borrowed("{}")));
        }
        let [flat_request, flat_response, flat_additional, flat_service, flat_insight] =
            kept.flattened;
        put_json(&mut event, FREE_FORM[ADDITIONAL].1, flat_additional);
        put_json(
            &mut event,
            "aws.cloudtrail.flattened.insight_details",
            flat_insight,
        );
        put_json(&mut event, FREE_FORM[REQUEST].1, flat_request);
        put_json(&mut event, FREE_FORM[RESPONSE].1, flat_response);
        put_json(&mut event, FREE_FORM[SERVICE_DETAILS].1, flat_service);
        put(
            &mut event,
            "aws.cloudtrail.management_event",
            raw.management_event.as_ref(),
        );
        match raw.read_only.as_deref() {
            Some("true") => event.push("aws.cloudtrail.read_only", true),
            Some("false") => event.push("aws.cloudtrail.read_only", false),
            _ => {}
        }
        put(
            &mut event,
            "aws.cloudtrail.recipient_account_id",
            raw.recipient_account_id.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.request_id",
            raw.request_id.as_ref(),
        );
        let [text_request, text_response, _, text_service] = kept.text;
        put_owned(&mut event, FREE_FORM[REQUEST].0, text_request);
        if let Some(resources) = &raw.resources {
            put_json(
                &mut event,
                "aws.cloudtrail.resources",
                resources_json(resources),
            );
        }
        put_owned(&mut event, FREE_FORM[RESPONSE].0, text_response);
        put_owned(&mut event, FREE_FORM[SERVICE_DETAILS].0, text_service);
        put(
            &mut event,
            "aws.cloudtrail.session_credential_from_console",
            raw.session_credential_from_console.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.shared_event_id",
            raw.shared_event_id.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.access_key_id",
            id.access_key_id.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.arn",
            id.arn.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.invoked_by",
            id.invoked_by.as_ref(),
        );
        if let Some(t) = id
            .creation_date
            .as_deref()
            .and_then(Timestamp::parse_rfc3339)
        {
            event.push(
                "aws.cloudtrail.user_identity.session_context.creation_date",
                t,
            );
        }
        put(
            &mut event,
            "aws.cloudtrail.user_identity.session_context.ec2_role_delivery",
            id.ec2_role_delivery.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.session_context.mfa_authenticated",
            id.mfa_authenticated.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.session_context.session_issuer.account_id",
            id.issuer_account_id.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.session_context.session_issuer.arn",
            id.issuer_arn.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.session_context.session_issuer.principal_id",
            id.issuer_principal_id.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.session_context.session_issuer.type",
            id.issuer_type.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.user_identity.type",
            id.kind.as_ref(),
        );
        put(
            &mut event,
            "aws.cloudtrail.vpc_endpoint_id",
            raw.vpc_endpoint_id.as_ref(),
        );

        // cloud.*
        put(
            &mut event,
            "cloud.account.id",
            id.account_id.as_ref().or(raw.recipient_account_id.as_ref()),
        );
        put(&mut event, "cloud.region", raw.aws_region.as_ref());
        put(
            &mut event,
            "cloud.service.name",
            raw.event_source.as_ref().and_then(service_name).as_ref(),
        );

        // entity.*
        if let Some((actor, "entity.id")) = &entities.actor {
            event.push("entity.id", str_list([actor.clone()]));
        }
        entities.push_targets(&mut event, entity::OTHER);

        // event.*
        put(&mut event, "event.action", raw.event_name.as_ref());
        let (categories, types) = category::categorize(event_name);
        if let Some(list) = categories {
            event.push("event.category", Value::Json(Cow::Borrowed(list)));
        }
        put(&mut event, "event.id", raw.event_id.as_ref());
        event.push("event.outcome", outcome(raw, event_name, response.as_ref()));
        put(&mut event, "event.provider", raw.event_source.as_ref());
        if let Some(list) = types {
            event.push("event.type", Value::Json(Cow::Borrowed(list)));
        }

        // group.*, host.*
        put(&mut event, "group.id", resp("group.groupId").as_ref());
        put(&mut event, "group.name", req("groupName").as_ref());
        if let Some((actor, "host.entity.id")) = &entities.actor {
            event.push("host.entity.id", str_list([actor.clone()]));
        }
        entities.push_targets(&mut event, entity::HOST);

        // related.*
        if !entities.related.is_empty() {
            event.push(
                "related.entity",
                str_list(std::mem::take(&mut entities.related)),
            );
        }
        if let Some(ip) = source_ip {
            event.push("related.ip", str_list([ip.clone()]));
        }
        if !related_user.is_empty() {
            event.push("related.user", Value::List(related_user));
        }

        // service.*, source.*, target.*, tls.*
        if let Some((actor, "service.entity.id")) = &entities.actor {
            event.push("service.entity.id", str_list([actor.clone()]));
        }
        if identity_type == Some("AWSService") {
            put(&mut event, "service.name", id.invoked_by.as_ref());
        }
        entities.push_targets(&mut event, entity::SERVICE);
        put(&mut event, "source.address", raw.source_ip_address.as_ref());
        put(&mut event, "source.ip", source_ip);
        if !entities.targets.is_empty() {
            event.push(
                "target.entity.id",
                str_list(std::mem::take(&mut entities.targets)),
            );
        }
        put(&mut event, "tls.cipher", raw.tls_cipher_suite.as_ref());
        put(
            &mut event,
            "tls.client.server_name",
            raw.tls_host_header.as_ref(),
        );
        if let Some(version) = &raw.tls_version {
            // `TLSv1.3` → `tls.version: 1.3`, `tls.version_protocol: tls`.
            match version.split_once('v') {
                Some((protocol, number)) => {
                    if !number.is_empty() {
                        event.push("tls.version", Value::Str(Cow::Owned(number.to_owned())));
                    }
                    if !protocol.is_empty() {
                        event.push(
                            "tls.version_protocol",
                            Value::Str(Cow::Owned(protocol.to_lowercase())),
                        );
                    }
                }
                None => event.push("tls.version", Value::Str(version.clone())),
            }
        }

        // user.*
        put(&mut event, "user.changes.name", new_user_name.as_ref());
        put(&mut event, "user.email", email.as_ref());
        if let Some((actor, "user.entity.id")) = &entities.actor {
            event.push("user.entity.id", str_list([actor.clone()]));
        }
        put(&mut event, "user.id", user_id.as_ref());
        put(&mut event, "user.name", user_name.as_ref());
        entities.push_targets(&mut event, entity::USER);
        put(&mut event, "user.target.id", target_user_id.as_ref());
        put(&mut event, "user.target.name", target_user_name.as_ref());
        match &raw.user_agent {
            Some(Cow::Borrowed(ua)) => crate::user_agent::insert(&mut event, ua),
            Some(Cow::Owned(ua)) => push_owned_user_agent(&mut event, ua),
            None => {}
        }
        event
    }
}

/// `user_agent.*` of an agent string that had JSON escapes (so cannot be
/// borrowed from the record): the same fields as [`crate::user_agent::insert`].
fn push_owned_user_agent(event: &mut Event<'_>, ua: &str) {
    let parsed = crate::user_agent::parse(ua);
    let owned = |s: Cow<'_, str>| Value::Str(Cow::Owned(s.into_owned()));
    event.push("user_agent.device.name", owned(parsed.device));
    event.push("user_agent.name", owned(parsed.name));
    event.push("user_agent.original", Value::Str(Cow::Owned(ua.to_owned())));
    for (key, value) in [
        ("user_agent.os.full", parsed.os_full),
        ("user_agent.os.name", parsed.os_name),
        ("user_agent.os.version", parsed.os_version),
        ("user_agent.version", parsed.version),
    ] {
        if let Some(v) = value {
            event.push(key, owned(v));
        }
    }
}

/// `event.outcome`: failure when the call returned an error; a console
/// sign-in's own result.
fn outcome<'a>(raw: &Raw<'a>, event_name: Option<&str>, response: Option<&Node<'a>>) -> Value<'a> {
    if event_name == Some("ConsoleLogin") {
        if let Some(result) = response
            .and_then(|r| r.get("ConsoleLogin"))
            .and_then(Node::text)
        {
            return Value::Str(Cow::Owned(result.to_lowercase()));
        }
    }
    let failed = raw.error_code.is_some() || raw.error_message.is_some();
    Value::Str(Cow::Borrowed(if failed { "failure" } else { "success" }))
}

/// The role session name at the end of an assumed-role or federated-user ARN
/// (`arn:aws:sts::1:assumed-role/Role/alice@example.com` → `alice@example.com`).
fn role_session_name<'a>(arn: &Cow<'a, str>) -> Option<Cow<'a, str>> {
    let start = ["arn:aws:sts:", "arn:aws-us-gov:sts:"]
        .iter()
        .find_map(|p| arn.find(p).map(|i| i + p.len()))?;
    let slash = arn[start..].rfind('/')? + start;
    let name = &arn[slash + 1..];
    if name.is_empty() {
        return None;
    }
    Some(match arn {
        Cow::Borrowed(s) => Cow::Borrowed(&s[slash + 1..]),
        Cow::Owned(_) => Cow::Owned(name.to_owned()),
    })
}

/// `iam` of `iam.amazonaws.com`.
fn service_name<'a>(source: &Cow<'a, str>) -> Option<Cow<'a, str>> {
    let end = source.find('.').unwrap_or(source.len());
    if end == 0 {
        return None;
    }
    Some(match source {
        Cow::Borrowed(s) => Cow::Borrowed(&s[..end]),
        Cow::Owned(s) => Cow::Owned(s[..end].to_owned()),
    })
}

/// `aws.cloudtrail.console_login.additional_eventdata.*` of a console sign-in.
fn console_login<'a>(event: &mut Event<'a>, additional: &Node<'a>) {
    if let Some(v) = additional.member("LoginTo").and_then(Node::text) {
        event.push(
            "aws.cloudtrail.console_login.additional_eventdata.login_to",
            Value::Str(v),
        );
    }
    if let Some(v) = additional.member("MFAUsed") {
        event.push(
            "aws.cloudtrail.console_login.additional_eventdata.mfa_used",
            v.text().as_deref() != Some("No"),
        );
    }
    if let Some(v) = additional.member("MobileVersion") {
        event.push(
            "aws.cloudtrail.console_login.additional_eventdata.mobile_version",
            v.text().as_deref() != Some("No"),
        );
    }
}

/// `aws.cloudtrail.resources`: objects with `ARN`/`accountId` renamed
/// `arn`/`account_id`, deduplicated on ARN, account and type.
fn resources_json(resources: &Node<'_>) -> Option<String> {
    let mut unique: Vec<(String, Vec<(&str, &Node<'_>)>)> = Vec::new();
    for resource in resources.items() {
        let Node::Obj(obj) = resource else { continue };
        // Elastic copies the map, then moves `ARN` to `arn` and `accountId` to `account_id`.
        let mut members: Vec<(&str, &Node<'_>)> = obj
            .members
            .iter()
            .filter(|(k, _)| k != "ARN" && k != "accountId")
            .map(|(k, v)| (k.as_ref(), v))
            .collect();
        for (from, to) in [("ARN", "arn"), ("accountId", "account_id")] {
            if let Some(value) = resource.member(from) {
                match members.iter_mut().find(|(k, _)| *k == to) {
                    Some(slot) => slot.1 = value,
                    None => members.push((to, value)),
                }
            }
        }
        let field = |name: &str| {
            members
                .iter()
                .find(|(k, _)| *k == name)
                .and_then(|(_, v)| v.text())
                .unwrap_or_default()
        };
        let key = format!("{}_{}_{}", field("arn"), field("account_id"), field("type"));
        match unique.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = members,
            None => unique.push((key, members)),
        }
    }
    if unique.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(256);
    out.push(b'[');
    for (i, (_, mut members)) in unique.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        members.sort_by(|a, b| a.0.cmp(b.0));
        out.push(b'{');
        for (j, (key, value)) in members.into_iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            write_str(&mut out, key);
            out.push(b':');
            value.write_sorted_json(&mut out);
        }
        out.push(b'}');
    }
    out.push(b']');
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;
