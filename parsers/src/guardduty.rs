//! `aws.guardduty`: Amazon GuardDuty findings, as GuardDuty exports them to
//! S3 (`AWSLogs/<account>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz`,
//! SSE-KMS encrypted: the reader needs `kms:Decrypt` on the export's key).
//!
//! Each line is one finding in GuardDuty's finding format (`schemaVersion`
//! 2.0: `accountId`, `id`, `type`, `severity`, `createdAt`, `updatedAt`,
//! `resource`, `service`, …). A `{"findings":[…]}` document (the
//! `GetFindings` API shape) is read too; an empty one yields no event.
//!
//! The events match Elastic's AWS integration (`guardduty` data stream):
//! the finding is kept under `aws.guardduty.*` with Elastic's snake-case
//! names (some of which are not plain snake case: `iaminstance_profile`,
//! `accesskey_id`, `rdsdb_instance_details`, `asnorg`; see
//! `fields/aws.guardduty.yml`), and ECS fields are derived from it:
//! `@timestamp` (`updatedAt`), `event.*`, `rule.*` (from the finding type
//! `ThreatPurpose:ResourceType/Family.Variant!Artifact`), `cloud.*`,
//! `host.*`, `source.*`/`destination.*` and `network.*` from the action's
//! remote and local details, `user.*`, `dns.question.name` and `related.*`.
//! `source.geo.*` and `source.as.*` come from the finding's own
//! `remoteIpDetails`, not from a GeoIP lookup.
//!
//! A finding is a deep tree whose every member is renamed, so it is read
//! into a `serde_json::Value` rather than borrowed piece by piece.

use std::borrow::Cow;

use serde_json::{Map, Value as Json};

use crate::loose_json;
use crate::network::parse_ip;
use crate::{build_default, Event, OptionError, Options, ParseError, Parser, Timestamp, Value};

/// Dataset name.
pub const DATASET: &str = "aws.guardduty";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    build_default::<GuardDutyParser>(DATASET, options)
}

/// The GuardDuty findings parser; stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct GuardDutyParser;

fn error(reason: impl Into<String>) -> ParseError {
    ParseError::new(DATASET, reason)
}

impl Parser for GuardDutyParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let Json::Object(map) = loose_json::value(DATASET, "GuardDuty finding", record)? else {
            return Err(error("record is not a JSON object (a GuardDuty finding)"));
        };
        if let Some(findings) = map.get("findings") {
            let Json::Array(findings) = findings else {
                return Err(error("`findings` is not an array"));
            };
            for f in findings {
                let Json::Object(f) = f else {
                    return Err(error("an element of `findings` is not an object"));
                };
                emit(finding_event(f)?);
            }
            return Ok(());
        }
        emit(finding_event(&map)?);
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(*self))
    }
}

/// The member `path` (dot separated, camelCase as in the finding).
fn at<'j>(f: &'j Map<String, Json>, path: &str) -> Option<&'j Json> {
    let mut parts = path.split('.');
    let mut cur = f.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    (!cur.is_null()).then_some(cur)
}

fn str_at<'j>(f: &'j Map<String, Json>, path: &str) -> Option<&'j str> {
    at(f, path).and_then(Json::as_str).filter(|s| !s.is_empty())
}

/// A date from an ISO 8601 string or epoch seconds (EKS `createdAt`).
fn date_of(v: &Json) -> Option<Timestamp> {
    match v {
        Json::String(s) => Timestamp::parse_rfc3339(s),
        Json::Number(n) => {
            let secs = n.as_f64()?;
            (secs.is_finite() && secs.abs() < 9.0e9)
                .then(|| Timestamp::from_unix_nanos((secs * 1e3).round() as i64 * 1_000_000))
        }
        _ => None,
    }
}

fn rfc3339(t: Timestamp) -> String {
    let mut out = Vec::with_capacity(24);
    t.write_rfc3339(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Elastic's name for a member `key` of an object that is the member
/// `parent` of its own parent; may hold dots (nested objects).
fn rename(parent: &str, key: &str) -> Cow<'static, str> {
    let fixed = match (parent, key) {
        (_, "resourceType" | "actionType") => "type",
        ("accessKeyDetails", "accessKeyId") => "accesskey_id",
        ("accessKeyDetails", "userName") => "user.name",
        ("accessKeyDetails", "userType") => "user.type",
        ("instanceDetails", "instanceId") => "instance.id",
        ("instanceDetails", "instanceType") => "instance.type",
        ("instanceDetails", "instanceState") => "instance.state",
        ("instanceDetails", "imageId") => "image.id",
        ("instanceDetails", "imageDescription") => "image.description",
        (_, "iamInstanceProfile") => "iaminstance_profile",
        (_, "productCodeId") => "product_code.id",
        (_, "productCodeType") => "product_code.type",
        (_, "privateDnsName") => "private.dns_name",
        (_, "privateIpAddress") => "private.ip_address",
        (_, "privateIpAddresses") => "private.ip_addresses",
        (_, "publicDnsName") => "public.dns_name",
        (_, "publicIp") => "public.ip",
        (_, "groupId") => "group.id",
        (_, "groupName") => "group.name",
        ("eksClusterDetails", "vpcId") => "vpcid",
        (_, "rdsDbInstanceDetails") => "rdsdb_instance_details",
        (_, "rdsDbUserDetails") => "rdsdb_user_details",
        (_, "dbInstanceIdentifier") => "instance_identifier",
        (_, "dbClusterIdentifier") => "cluster_identifier",
        (_, "dbInstanceArn") => "instance_arn",
        ("kubernetesUserDetails", "username") => "user_name",
        ("city", "cityName") | ("country", "countryName") => "name",
        ("country", "countryCode") => "code",
        (_, "asnOrg") => "asnorg",
        (_, "eventFirstSeen") => "event.first_seen",
        (_, "eventLastSeen") => "event.last_seen",
        (_, "threatListName") => "threat.list_name",
        (_, "threatNames") => "threat.names",
        (_, "definitionArn") => "definitionarn",
        (_, "volumeArn") => "volume.arn",
        (_, "volumeType") => "volume.type",
        (_, "volumeSizeInGB") => "volume.size_in_gb",
        (_, "kmsKeyArn") => "kmskey_arn",
        (_, "image") if matches!(parent, "containerDetails" | "containers") => "image.value",
        (_, "imagePrefix") => "image.prefix",
        _ => return Cow::Owned(snake_case(key)),
    };
    Cow::Borrowed(fixed)
}

/// `camelCase` to `snake_case`; an upper-case run is one word (`sourceIPs`
/// → `source_ips`, `ipAddressV4` → `ip_address_v4`).
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// Whether a value carries nothing (Elastic's pipeline drops these).
fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Converts a finding subtree: members renamed, empty values dropped,
/// dates normalized. `parent` is the camelCase name of the member holding `v`.
fn convert(parent: &str, v: &Json) -> Json {
    match v {
        Json::Object(map) => Json::Object(convert_map(parent, map)),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|i| convert(parent, i))
                .filter(|i| !is_empty(i))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// [`convert`] of an object's members.
fn convert_map(parent: &str, map: &Map<String, Json>) -> Map<String, Json> {
    let mut out = Map::new();
    for (k, child) in map {
        // Kept as GuardDuty writes it (`threatListName`, `unusualBehavior`…).
        let converted = if k == "additionalInfo" {
            prune(child)
        } else {
            convert(k, child)
        };
        if is_empty(&converted) {
            continue;
        }
        let converted = match k.as_str() {
            "createdAt" | "launchTime" | "startedAt" | "updatedAt" => match date_of(&converted) {
                Some(t) => Json::String(rfc3339(t)),
                None => converted,
            },
            _ => converted,
        };
        insert_dotted(&mut out, &rename(parent, k), converted);
    }
    out
}

/// `v` without its empty members, names unchanged.
fn prune(v: &Json) -> Json {
    match v {
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, c)| (k.clone(), prune(c)))
                .filter(|(_, c)| !is_empty(c))
                .collect(),
        ),
        Json::Array(items) => {
            Json::Array(items.iter().map(prune).filter(|c| !is_empty(c)).collect())
        }
        other => other.clone(),
    }
}

fn insert_dotted(out: &mut Map<String, Json>, key: &str, value: Json) {
    match key.split_once('.') {
        None => {
            out.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let slot = out
                .entry(head.to_string())
                .or_insert_with(|| Json::Object(Map::new()));
            if !slot.is_object() {
                *slot = Json::Object(Map::new());
            }
            if let Json::Object(inner) = slot {
                insert_dotted(inner, rest, value);
            }
        }
    }
}

/// Pushes the leaves of `v` under `prefix`: objects are walked, arrays of
/// scalars become lists, arrays holding objects are kept as JSON (keys sorted).
/// `prefix` is the dotted path of `v`'s parent; `key` its member name (the
/// buffer is extended for the walk and restored on return).
fn push_tree(e: &mut Event<'_>, prefix: &mut String, key: &str, v: &Json) {
    let len = prefix.len();
    prefix.push('.');
    prefix.push_str(key);
    push_leaves(e, prefix, v);
    prefix.truncate(len);
}

fn push_leaves(e: &mut Event<'_>, prefix: &mut String, v: &Json) {
    match v {
        Json::Object(map) => {
            for (k, child) in map {
                push_tree(e, prefix, k, child);
            }
        }
        Json::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            e.insert(prefix.to_string(), Value::Json(Cow::Owned(v.to_string())));
        }
        Json::Array(items) => {
            let list: Vec<Value<'static>> = items.iter().filter_map(scalar).collect();
            e.insert(prefix.to_string(), Value::List(list));
        }
        other => {
            if let Some(s) = scalar(other) {
                e.insert(prefix.to_string(), s);
            }
        }
    }
}

fn scalar(v: &Json) -> Option<Value<'static>> {
    match v {
        Json::String(s) => Some(Value::Str(Cow::Owned(s.clone()))),
        Json::Bool(b) => Some(Value::Bool(*b)),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| n.as_f64().map(Value::Float)),
        _ => None,
    }
}

/// GuardDuty's severity label for a severity number.
fn severity_label(code: f64) -> &'static str {
    if code >= 9.0 {
        "Critical"
    } else if code >= 7.0 {
        "High"
    } else if code >= 4.0 {
        "Medium"
    } else {
        "Low"
    }
}

/// Unique values in first-seen order.
#[derive(Default)]
struct Set(Vec<String>);

impl Set {
    fn add(&mut self, v: &str) {
        if !v.is_empty() && !self.0.iter().any(|x| x == v) {
            self.0.push(v.to_string());
        }
    }
    fn push_to(self, e: &mut Event<'_>, key: &'static str) {
        if !self.0.is_empty() {
            e.push(
                key,
                Value::List(self.0.into_iter().map(Value::from).collect()),
            );
        }
    }
}

/// `source.*` from a `remoteIpDetails` object: the address, and the
/// location and network GuardDuty attached to it.
#[derive(Default)]
struct Remote {
    address: Set,
    ip: Set,
    city: Set,
    country: Set,
    country_code: Set,
    location: Vec<String>,
    asn: Vec<i64>,
    as_org: Set,
}

impl Remote {
    fn add(&mut self, d: &Map<String, Json>, related_ip: &mut Set) {
        let ip = str_at(d, "ipAddressV4").or_else(|| str_at(d, "ipAddressV6"));
        if let Some(ip) = ip {
            self.address.add(ip);
            if parse_ip(ip).is_some() {
                self.ip.add(ip);
                related_ip.add(ip);
            }
        }
        if let Some(c) = str_at(d, "city.cityName") {
            self.city.add(c);
        }
        if let Some(c) = str_at(d, "country.countryName") {
            self.country.add(c);
        }
        if let Some(c) = str_at(d, "country.countryCode") {
            self.country_code.add(c);
        }
        if let (Some(lat), Some(lon)) = (at(d, "geoLocation.lat"), at(d, "geoLocation.lon")) {
            if lat.is_number() && lon.is_number() {
                let loc = format!("{{\"lat\":{lat},\"lon\":{lon}}}");
                if !self.location.contains(&loc) {
                    self.location.push(loc);
                }
            }
        }
        if let Some(asn) = at(d, "organization.asn").and_then(|a| match a {
            Json::String(s) => s.parse().ok(),
            Json::Number(n) => n.as_i64(),
            _ => None,
        }) {
            if !self.asn.contains(&asn) {
                self.asn.push(asn);
            }
        }
        if let Some(o) = str_at(d, "organization.asnOrg") {
            self.as_org.add(o);
        }
    }

    fn push(self, e: &mut Event<'_>, side: Side) {
        let (addr, ip, city, country, code, loc, asn, org) = match side {
            Side::Source => (
                "source.address",
                "source.ip",
                "source.geo.city_name",
                "source.geo.country_name",
                "source.geo.country_iso_code",
                "source.geo.location",
                "source.as.number",
                "source.as.organization.name",
            ),
            Side::Destination => (
                "destination.address",
                "destination.ip",
                "destination.geo.city_name",
                "destination.geo.country_name",
                "destination.geo.country_iso_code",
                "destination.geo.location",
                "destination.as.number",
                "destination.as.organization.name",
            ),
        };
        self.address.push_to(e, addr);
        self.ip.push_to(e, ip);
        self.city.push_to(e, city);
        self.country.push_to(e, country);
        self.country_code.push_to(e, code);
        if !self.location.is_empty() {
            e.push(
                loc,
                Value::Json(Cow::Owned(format!("[{}]", self.location.join(",")))),
            );
        }
        if !self.asn.is_empty() {
            e.push(
                asn,
                Value::List(self.asn.into_iter().map(Value::Int).collect()),
            );
        }
        self.as_org.push_to(e, org);
    }
}

#[derive(Clone, Copy)]
enum Side {
    Source,
    Destination,
}

fn finding_event<'a>(f: &Map<String, Json>) -> Result<Event<'a>, ParseError> {
    let id = str_at(f, "id").ok_or_else(|| error("finding has no `id`"))?;
    let kind = str_at(f, "type").ok_or_else(|| error("finding has no `type`"))?;
    let updated = at(f, "updatedAt")
        .map(|v| date_of(v).ok_or_else(|| error("invalid `updatedAt`")))
        .transpose()?;
    let created = at(f, "createdAt")
        .map(|v| date_of(v).ok_or_else(|| error("invalid `createdAt`")))
        .transpose()?;
    let mut e = Event::new();
    if let Some(t) = updated.or(created) {
        e.push("@timestamp", t);
    }
    e.push("event.kind", Value::Json(Cow::Borrowed(r#"["event"]"#)));
    e.push("event.type", Value::Json(Cow::Borrowed(r#"["info"]"#)));
    e.push("event.id", id.to_string());
    if let Some(t) = created {
        e.push("event.created", t);
    }
    if let Some(t) = at(f, "service.eventFirstSeen").and_then(date_of) {
        e.push("event.start", t);
    }
    if let Some(t) = at(f, "service.eventLastSeen").and_then(date_of) {
        e.push("event.end", t);
    }
    let action = str_at(f, "service.action.actionType");
    if let Some(a) = action {
        e.push("event.action", a.to_string());
    }
    if let Some(d) = str_at(f, "description") {
        e.push("message", d.to_string());
    }

    // The finding, renamed, under aws.guardduty.*
    let mut tree = convert_map("", f);
    if let Some(sev) = tree.remove("severity") {
        let code = sev
            .as_f64()
            .ok_or_else(|| error("`severity` is not a number"))?;
        e.push("aws.guardduty.severity.code", code);
        e.push("aws.guardduty.severity.value", severity_label(code));
        e.push("event.severity", code.trunc() as i64);
    }
    let mut prefix = String::from("aws.guardduty");
    for (k, child) in &tree {
        push_tree(&mut e, &mut prefix, k, child);
    }

    // rule.*: ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact
    e.push("rule.name", kind.to_string());
    if let Some((category, _)) = kind.split_once(':') {
        e.push("rule.category", category.to_string());
    }
    if let Some((ruleset, _)) = kind.split_once('/') {
        e.push("rule.ruleset", ruleset.to_string());
    }

    // cloud.*, host.*
    if let Some(a) = str_at(f, "accountId") {
        e.push("cloud.account.id", a.to_string());
    }
    if let Some(r) = str_at(f, "region") {
        e.push("cloud.region", r.to_string());
    }
    e.push(
        "cloud.service.name",
        str_at(f, "service.serviceName")
            .unwrap_or("guardduty")
            .to_string(),
    );
    let mut related_ip = Set::default();
    let mut related_user = Set::default();
    let mut related_hosts = Set::default();
    let mut user_id = Set::default();
    let mut user_name = Set::default();
    let mut roles = Set::default();
    if let Some(instance) = at(f, "resource.instanceDetails").and_then(Json::as_object) {
        if let Some(i) = str_at(instance, "instanceId") {
            e.push("cloud.instance.id", i.to_string());
            e.push("host.id", i.to_string());
        }
        if let Some(t) = str_at(instance, "instanceType") {
            e.push("cloud.machine.type", t.to_string());
            e.push("host.type", t.to_string());
        }
        for nic in at(instance, "networkInterfaces")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_object)
        {
            for key in ["privateIpAddress", "publicIp"] {
                if let Some(ip) = str_at(nic, key).filter(|ip| parse_ip(ip).is_some()) {
                    related_ip.add(ip);
                }
            }
            for addr in at(nic, "privateIpAddresses")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(Json::as_object)
            {
                if let Some(ip) =
                    str_at(addr, "privateIpAddress").filter(|ip| parse_ip(ip).is_some())
                {
                    related_ip.add(ip);
                }
            }
            for ip in at(nic, "ipv6Addresses")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .filter(|ip| parse_ip(ip).is_some())
            {
                related_ip.add(ip);
            }
        }
    }

    // user.*: access key, Kubernetes user, RDS user.
    if let Some(p) = str_at(f, "resource.accessKeyDetails.principalId") {
        user_id.add(p);
        related_user.add(p);
    }
    if let Some(n) = str_at(f, "resource.accessKeyDetails.userName") {
        user_name.add(n);
        related_user.add(n);
    }
    if let Some(k) =
        at(f, "resource.kubernetesDetails.kubernetesUserDetails").and_then(Json::as_object)
    {
        if let Some(uid) = str_at(k, "uid") {
            user_id.add(uid);
            related_user.add(uid);
        }
        if let Some(n) = str_at(k, "username") {
            user_name.add(n);
            related_user.add(n);
        }
        for g in at(k, "groups")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            roles.add(g);
        }
    }
    if let Some(u) = str_at(f, "resource.rdsDbUserDetails.user") {
        user_name.add(u);
        related_user.add(u);
    }

    // The action: who talked to whom.
    let mut source = Remote::default();
    let mut destination = Remote::default();
    let mut transport = Set::default();
    if let Some(actions) = at(f, "service.action").and_then(Json::as_object) {
        for (name, detail) in actions {
            let Some(detail) = detail.as_object() else {
                continue;
            };
            match name.as_str() {
                "networkConnectionAction" => {
                    let direction = str_at(detail, "connectionDirection")
                        .map(str::to_ascii_lowercase)
                        .unwrap_or_default();
                    if !direction.is_empty() && direction != "unknown" {
                        e.push("network.direction", direction.clone());
                    }
                    let (remote_side, local_side) = if direction == "outbound" {
                        (Side::Destination, Side::Source)
                    } else {
                        (Side::Source, Side::Destination)
                    };
                    if let Some(r) = at(detail, "remoteIpDetails").and_then(Json::as_object) {
                        match remote_side {
                            Side::Source => source.add(r, &mut related_ip),
                            Side::Destination => destination.add(r, &mut related_ip),
                        }
                    }
                    if let Some(l) = at(detail, "localIpDetails").and_then(Json::as_object) {
                        match local_side {
                            Side::Source => source.add(l, &mut related_ip),
                            Side::Destination => destination.add(l, &mut related_ip),
                        }
                    }
                    let port = |k: &str| at(detail, k).and_then(Json::as_i64);
                    let (src_port, dst_port) = if direction == "outbound" {
                        (
                            port("localPortDetails.port"),
                            port("remotePortDetails.port"),
                        )
                    } else {
                        (
                            port("remotePortDetails.port"),
                            port("localPortDetails.port"),
                        )
                    };
                    if let Some(p) = src_port {
                        e.push("source.port", p);
                    }
                    if let Some(p) = dst_port {
                        e.push("destination.port", p);
                    }
                    if let Some(p) = str_at(detail, "protocol") {
                        if p.bytes().all(|c| c.is_ascii_digit()) {
                            if let Ok(n) = p.parse::<i64>() {
                                e.push("network.iana_number", n.to_string());
                            }
                        } else if p != "Unknown" {
                            transport.add(&p.to_ascii_lowercase());
                        }
                    }
                }
                "portProbeAction" => {
                    for probe in at(detail, "portProbeDetails")
                        .and_then(Json::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Json::as_object)
                    {
                        if let Some(r) = at(probe, "remoteIpDetails").and_then(Json::as_object) {
                            source.add(r, &mut related_ip);
                        }
                        if let Some(l) = at(probe, "localIpDetails").and_then(Json::as_object) {
                            destination.add(l, &mut related_ip);
                        }
                    }
                }
                "dnsRequestAction" => {
                    if let Some(d) = str_at(detail, "domain") {
                        e.push("dns.question.name", d.to_string());
                        related_hosts.add(d);
                    }
                    if let Some(p) = str_at(detail, "protocol") {
                        transport.add(&p.to_ascii_lowercase());
                    }
                }
                _ => {
                    // awsApiCallAction, kubernetesApiCallAction, rdsLoginAttemptAction…
                    if let Some(r) = at(detail, "remoteIpDetails").and_then(Json::as_object) {
                        source.add(r, &mut related_ip);
                    }
                }
            }
        }
    }
    source.push(&mut e, Side::Source);
    destination.push(&mut e, Side::Destination);
    transport.push_to(&mut e, "network.transport");
    user_id.push_to(&mut e, "user.id");
    user_name.push_to(&mut e, "user.name");
    roles.push_to(&mut e, "user.roles");
    related_ip.push_to(&mut e, "related.ip");
    related_user.push_to(&mut e, "related.user");
    related_hosts.push_to(&mut e, "related.hosts");
    Ok(e)
}

#[cfg(test)]
mod tests;
