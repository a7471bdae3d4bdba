//! `wallarm.hits`: security hits that Wallarm exports to S3 or MinIO.
//!
//! Wallarm's S3/MinIO integrations write, every ten minutes, one object of
//! the hits detected since the last one ("a hit is a serialized malicious
//! request"). Three shapes exist, all handled here; the framing hands over
//! one hit object per record (a whole array is accepted too):
//!
//! - `wallarm_hits_<ts>.json`: a JSON array of hits; `wallarm_hits_<ts>.jsonl`
//!   and `hitlogs-<ts>.ndjson`: one hit per line; `hitlogs-<ts>.json`: a JSON
//!   array. A hit has `time` (Unix seconds, a number or a numeric string),
//!   `request_id`, `ip`, `datacenter`, `proxy_type`, `tor`, `remote_country`,
//!   `application_id`, `domain`, `method`, `uri`, `port`, `protocol`,
//!   `status_code`, `attack_type`, `block_status`, `payload`, `point` and
//!   `tags` (`lom_id`, `libproton_version`, `brute_counter`, `wallarm_mode`,
//!   `final_wallarm_mode`).
//! - `hitlogs-<ts>.ocsf`: Open Cybersecurity Schema Framework documents (Wallarm
//!   documents a `class_id: 3001` "Web Request" shape; OCSF's own HTTP Activity
//!   class 4002 is read too): `time` (OCSF milliseconds; seconds in Wallarm's
//!   example), `src_endpoint`, `http_request` (`method`/`http_method`, `url` as
//!   a string or an object `{hostname, path, query_string, url_string}`,
//!   `user_agent`, `uid`), `http_response` (`status_code`/`code`), `metadata`
//!   (`uid`, `product` as a name or an object, `version`) and Wallarm's own
//!   hit fields under `extensions` (or `unmapped`).
//!
//! The ECS mapping (field definitions and the reasons for each choice are in
//! `fields/wallarm.hits.yml`):
//!
//! | hit | event |
//! |---|---|
//! | `time` | `@timestamp` (seconds, or ms/µs/ns when the number is too large to be seconds) |
//! | `request_id` / `http_request.uid` / `metadata.uid` | `event.id` |
//! | `ip` / `src_endpoint.ip` | `source.ip`, `related.ip` |
//! | `port` / `src_endpoint.port` | `source.port` |
//! | `remote_country` / `src_endpoint.country` | `source.geo.country_iso_code`, `wallarm.remote_country` |
//! | `domain` / `url.hostname` | `url.domain` |
//! | `uri` / `url.url_string` | `url.original`, split into `url.path` and `url.query` |
//! | `method` | `http.request.method` |
//! | `status_code` / `http_response.code` | `http.response.status_code` |
//! | `block_status` | `event.action` (`blocked`, `monitored`, …), `event.type` (`denied` when blocked, else `allowed`) |
//! | `attack_type` | `wallarm.attack_type`, `event.category` (`intrusion_detection`, `web`, plus `authentication` for brute force and credential attacks) |
//! | everything else | `wallarm.*` |
//!
//! Every hit also gets `event.kind: alert` and `observer.vendor: Wallarm`.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::json_record::parse_decimal;
use crate::{time::Timestamp, Event, OptionError, Options, ParseError, Parser, Value};

/// Dataset name.
pub const DATASET: &str = "wallarm.hits";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    crate::build_default::<WallarmHitsParser>(DATASET, options)
}

/// The `wallarm.hits` parser; stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct WallarmHitsParser;

impl Parser for WallarmHitsParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let json = record.trim_matches(|c: char| c.is_ascii_whitespace());
        match json.as_bytes().first() {
            Some(b'{') => {
                let hit: Hit<'a> = serde_json::from_str(json).map_err(|e| invalid(&e))?;
                emit(hit_event(hit)?);
                Ok(())
            }
            Some(b'[') => {
                let hits: Vec<Hit<'a>> = serde_json::from_str(json).map_err(|e| invalid(&e))?;
                for hit in hits {
                    emit(hit_event(hit)?);
                }
                Ok(())
            }
            _ => Err(ParseError::new(
                DATASET,
                "record is not a JSON object (a Wallarm hit)",
            )),
        }
    }
}

fn invalid(e: &serde_json::Error) -> ParseError {
    crate::loose_json::invalid(DATASET, "Wallarm hit", e)
}

/// A JSON value of a type the exporter does not pin down (`time` is a number
/// or a string, `application_id` a number, a list or null, …). Strings borrow
/// from the record when they hold no escapes; objects are skipped.
#[derive(Debug, Clone, PartialEq)]
enum Loose<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    List(Vec<Loose<'a>>),
    Object,
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor(std::marker::PhantomData))
    }
}

struct LooseVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for LooseVisitor<'a> {
    type Value = Loose<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Loose::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Loose::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Loose::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Loose::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Loose::Float(v as f64), Loose::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Loose::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Loose::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element::<Loose<'a>>()? {
            items.push(item);
        }
        Ok(Loose::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Object)
    }
}

impl<'a> Loose<'a> {
    /// A non-empty string, or a number written as a string.
    fn into_str(self) -> Option<Cow<'a, str>> {
        match self {
            Loose::Str(s) if !s.is_empty() && s != "-" => Some(s),
            Loose::Int(i) => Some(Cow::Owned(i.to_string())),
            Loose::Float(f) => Some(Cow::Owned(f.to_string())),
            Loose::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
            Loose::List(items) if items.len() == 1 => {
                items.into_iter().next().and_then(Loose::into_str)
            }
            _ => None,
        }
    }

    /// An integer, from a number or a numeric string.
    fn as_i64(&self) -> Option<i64> {
        match self {
            Loose::Int(i) => Some(*i),
            Loose::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            Loose::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A float, from a number or a numeric string.
    fn as_f64(&self) -> Option<f64> {
        match self {
            Loose::Int(i) => Some(*i as f64),
            Loose::Float(f) => Some(*f),
            Loose::Str(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
            _ => None,
        }
    }

    /// Strings (numbers written as text), flattening nested lists; `None` when empty.
    fn into_strings(self) -> Option<Value<'a>> {
        let mut out = Vec::new();
        self.collect_strings(&mut out);
        (!out.is_empty()).then_some(Value::List(out))
    }

    fn collect_strings(self, out: &mut Vec<Value<'a>>) {
        match self {
            Loose::List(items) => items.into_iter().for_each(|i| i.collect_strings(out)),
            other => {
                if let Some(s) = other.into_str() {
                    out.push(Value::Str(s));
                }
            }
        }
    }

    /// Integers, flattening nested lists; `None` when empty.
    fn into_ints(self) -> Option<Value<'a>> {
        let items: Vec<Value<'a>> = match self {
            Loose::List(items) => items
                .iter()
                .filter_map(Loose::as_i64)
                .map(Value::Int)
                .collect(),
            other => other.as_i64().map(Value::Int).into_iter().collect(),
        };
        (!items.is_empty()).then_some(Value::List(items))
    }
}

/// One hit. Classic hits, OCSF documents and their `extensions` all read
/// into this struct; members absent from a shape stay `None`, unknown ones
/// are ignored.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Hit<'a> {
    // Classic hit fields (also found in OCSF `extensions`).
    #[serde(borrow)]
    time: Option<Loose<'a>>,
    #[serde(borrow)]
    request_id: Option<Loose<'a>>,
    #[serde(borrow)]
    ip: Option<Loose<'a>>,
    #[serde(borrow)]
    remote_addr: Option<Loose<'a>>,
    #[serde(borrow)]
    remote_addr4: Option<Loose<'a>>,
    #[serde(borrow)]
    remote_addr6: Option<Loose<'a>>,
    #[serde(borrow)]
    port: Option<Loose<'a>>,
    #[serde(borrow)]
    remote_port: Option<Loose<'a>>,
    #[serde(borrow)]
    datacenter: Option<Loose<'a>>,
    #[serde(borrow)]
    proxy_type: Option<Loose<'a>>,
    #[serde(borrow)]
    tor: Option<Loose<'a>>,
    #[serde(borrow)]
    remote_country: Option<Loose<'a>>,
    #[serde(borrow)]
    application_id: Option<Loose<'a>>,
    #[serde(borrow)]
    domain: Option<Loose<'a>>,
    #[serde(borrow)]
    method: Option<Loose<'a>>,
    #[serde(borrow)]
    uri: Option<Loose<'a>>,
    #[serde(borrow)]
    protocol: Option<Loose<'a>>,
    #[serde(borrow)]
    status_code: Option<Loose<'a>>,
    #[serde(borrow)]
    response_status: Option<Loose<'a>>,
    #[serde(borrow)]
    attack_type: Option<Loose<'a>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Loose<'a>>,
    #[serde(borrow)]
    block_status: Option<Loose<'a>>,
    #[serde(borrow)]
    payload: Option<Loose<'a>>,
    #[serde(borrow)]
    payloads: Option<Loose<'a>>,
    #[serde(borrow)]
    point: Option<Loose<'a>>,
    #[serde(borrow)]
    parameter: Option<Loose<'a>>,
    #[serde(borrow)]
    tags: Option<&'a RawValue>,
    #[serde(borrow)]
    known_attack: Option<Loose<'a>>,
    #[serde(borrow)]
    probability: Option<Loose<'a>>,
    #[serde(borrow)]
    id: Option<Loose<'a>>,
    #[serde(borrow)]
    stamps: Option<Loose<'a>>,
    // OCSF members.
    #[serde(borrow)]
    class_uid: Option<Loose<'a>>,
    #[serde(borrow)]
    class_id: Option<Loose<'a>>,
    #[serde(borrow)]
    class_name: Option<Loose<'a>>,
    #[serde(borrow)]
    activity_name: Option<Loose<'a>>,
    #[serde(borrow)]
    severity: Option<Loose<'a>>,
    #[serde(borrow)]
    severity_id: Option<Loose<'a>>,
    #[serde(borrow)]
    status: Option<Loose<'a>>,
    #[serde(borrow)]
    action: Option<Loose<'a>>,
    #[serde(borrow)]
    action_id: Option<Loose<'a>>,
    #[serde(borrow)]
    disposition: Option<Loose<'a>>,
    #[serde(borrow)]
    start_time: Option<Loose<'a>>,
    #[serde(borrow)]
    end_time: Option<Loose<'a>>,
    #[serde(borrow)]
    src_endpoint: Option<Endpoint<'a>>,
    #[serde(borrow)]
    http_request: Option<HttpRequest<'a>>,
    #[serde(borrow)]
    http_response: Option<HttpResponse<'a>>,
    #[serde(borrow)]
    metadata: Option<Metadata<'a>>,
    #[serde(borrow)]
    extensions: Option<&'a RawValue>,
    #[serde(borrow)]
    unmapped: Option<&'a RawValue>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Endpoint<'a> {
    #[serde(borrow)]
    ip: Option<Loose<'a>>,
    #[serde(borrow)]
    port: Option<Loose<'a>>,
    #[serde(borrow)]
    country: Option<Loose<'a>>,
    #[serde(borrow)]
    domain: Option<Loose<'a>>,
    #[serde(borrow)]
    location: Option<Location<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Location<'a> {
    #[serde(borrow)]
    country: Option<Loose<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HttpRequest<'a> {
    #[serde(borrow)]
    method: Option<Loose<'a>>,
    #[serde(borrow)]
    http_method: Option<Loose<'a>>,
    #[serde(borrow)]
    url: Option<&'a RawValue>,
    #[serde(borrow)]
    user_agent: Option<Loose<'a>>,
    #[serde(borrow)]
    uid: Option<Loose<'a>>,
    #[serde(borrow)]
    referrer: Option<Loose<'a>>,
    #[serde(borrow)]
    version: Option<Loose<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct OcsfUrl<'a> {
    #[serde(borrow)]
    hostname: Option<Loose<'a>>,
    #[serde(borrow)]
    path: Option<Loose<'a>>,
    #[serde(borrow)]
    query_string: Option<Loose<'a>>,
    #[serde(borrow)]
    url_string: Option<Loose<'a>>,
    #[serde(borrow)]
    scheme: Option<Loose<'a>>,
    #[serde(borrow)]
    port: Option<Loose<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HttpResponse<'a> {
    #[serde(borrow)]
    code: Option<Loose<'a>>,
    #[serde(borrow)]
    status_code: Option<Loose<'a>>,
    #[serde(borrow)]
    bytes: Option<Loose<'a>>,
    #[serde(borrow)]
    length: Option<Loose<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Metadata<'a> {
    #[serde(borrow)]
    uid: Option<Loose<'a>>,
    #[serde(borrow)]
    product: Option<&'a RawValue>,
    #[serde(borrow)]
    product_version: Option<Loose<'a>>,
    #[serde(borrow)]
    version: Option<Loose<'a>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Product<'a> {
    #[serde(borrow)]
    name: Option<Loose<'a>>,
    #[serde(borrow)]
    version: Option<Loose<'a>>,
}

/// The first present value of several candidates.
macro_rules! first {
    ($($e:expr),+ $(,)?) => { None$(.or($e))+ };
}

fn str_of(v: Option<Loose<'_>>) -> Option<Cow<'_, str>> {
    v.and_then(Loose::into_str)
}

/// Attack types of Wallarm's list that are about credentials and sessions.
const AUTH_ATTACKS: &[&str] = &[
    "brute",
    "credential_stuffing",
    "account_takeover",
    "weak_auth",
    "bola",
    "idor",
    "session_hijacking",
];

fn hit_event<'a>(mut hit: Hit<'a>) -> Result<Event<'a>, ParseError> {
    // Wallarm's own hit fields of an OCSF document live in `extensions` (or `unmapped`).
    let mut ext = Hit::default();
    for raw in [hit.extensions, hit.unmapped].into_iter().flatten() {
        if raw.get().starts_with('{') {
            let more: Hit<'a> = serde_json::from_str(raw.get()).map_err(|e| invalid(&e))?;
            ext = merge(ext, more);
        }
    }
    let mut req = hit.http_request.take().unwrap_or_default();
    let resp = hit.http_response.take().unwrap_or_default();
    let mut src = hit.src_endpoint.take().unwrap_or_default();
    let meta = hit.metadata.take().unwrap_or_default();

    let mut e = Event::new();
    let mut mapped = 0usize;
    let mut put = |e: &mut Event<'a>, key: &'static str, v: Option<Value<'a>>| {
        if let Some(v) = v {
            e.push(key, v);
            mapped += 1;
        }
    };

    // Time.
    let time = first!(hit.time.take(), ext.time.take());
    put(
        &mut e,
        "@timestamp",
        time.as_ref().and_then(epoch_auto).map(Value::Time),
    );
    put(
        &mut e,
        "event.start",
        hit.start_time
            .as_ref()
            .and_then(epoch_auto)
            .map(Value::Time),
    );
    put(
        &mut e,
        "event.end",
        hit.end_time.as_ref().and_then(epoch_auto).map(Value::Time),
    );

    // Identity of the request.
    let id = first!(
        str_of(hit.request_id.take()),
        str_of(req.uid.take()),
        str_of(ext.request_id.take()),
        str_of(meta.uid.clone())
    );
    put(&mut e, "event.id", id.map(Value::Str));

    // Source.
    let ip = first!(
        str_of(hit.ip.take()),
        str_of(src.ip.take()),
        str_of(hit.remote_addr.take()),
        str_of(hit.remote_addr4.take()),
        str_of(hit.remote_addr6.take()),
        str_of(ext.ip.take()),
        str_of(ext.remote_addr.take()),
        str_of(ext.remote_addr4.take()),
        str_of(ext.remote_addr6.take()),
    );
    if let Some(ip) = ip {
        if ip.trim().parse::<IpAddr>().is_ok() {
            e.append_unique("related.ip", Value::Str(ip.clone()));
            put(&mut e, "source.ip", Some(Value::Str(ip)));
        } else {
            put(&mut e, "source.address", Some(Value::Str(ip)));
        }
    }
    let port = first!(
        hit.port.as_ref(),
        hit.remote_port.as_ref(),
        src.port.as_ref(),
        ext.remote_port.as_ref()
    )
    .and_then(Loose::as_i64);
    put(
        &mut e,
        "source.port",
        port.filter(|p| (1..=65535).contains(p)).map(Value::Int),
    );
    let country = first!(
        str_of(hit.remote_country.take()),
        str_of(src.country.take()),
        str_of(src.location.take().and_then(|l| l.country)),
        str_of(ext.remote_country.take()),
    );
    if let Some(c) = country {
        if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
            put(
                &mut e,
                "source.geo.country_iso_code",
                Some(Value::Str(c.clone())),
            );
        }
        put(&mut e, "wallarm.remote_country", Some(Value::Str(c)));
    }

    // URL and HTTP.
    let mut url = req.url.map(parse_url).transpose()?.unwrap_or_default();
    let domain = first!(
        str_of(hit.domain.take()),
        str_of(url.hostname.take()),
        str_of(src.domain.take()),
        str_of(ext.domain.take())
    );
    put(&mut e, "url.domain", domain.map(Value::Str));
    let original = first!(
        str_of(hit.uri.take()),
        str_of(url.url_string.take()),
        str_of(ext.uri.take())
    );
    let (mut path, mut query) = (str_of(url.path.take()), str_of(url.query_string.take()));
    if let Some(original) = original {
        if path.is_none() && query.is_none() {
            (path, query) = split_uri(&original);
        }
        put(&mut e, "url.original", Some(Value::Str(original)));
    } else if let Some(p) = &path {
        let rebuilt = match &query {
            Some(q) => Cow::Owned(format!("{p}?{q}")),
            None => p.clone(),
        };
        put(&mut e, "url.original", Some(Value::Str(rebuilt)));
    }
    put(&mut e, "url.path", path.map(Value::Str));
    put(&mut e, "url.query", query.map(Value::Str));
    put(
        &mut e,
        "url.scheme",
        str_of(url.scheme.take()).map(Value::Str),
    );
    put(
        &mut e,
        "url.port",
        url.port
            .as_ref()
            .and_then(Loose::as_i64)
            .filter(|p| (1..=65535).contains(p))
            .map(Value::Int),
    );
    let method = first!(
        str_of(hit.method.take()),
        str_of(req.http_method.take()),
        str_of(req.method.take()),
        str_of(ext.method.take())
    );
    put(&mut e, "http.request.method", method.map(Value::Str));
    put(
        &mut e,
        "http.request.referrer",
        str_of(req.referrer.take()).map(Value::Str),
    );
    put(
        &mut e,
        "http.version",
        str_of(req.version.take()).map(Value::Str),
    );
    let status = first!(
        hit.status_code.as_ref(),
        resp.code.as_ref(),
        resp.status_code.as_ref(),
        hit.response_status.as_ref(),
        ext.status_code.as_ref(),
        ext.response_status.as_ref(),
    )
    .and_then(Loose::as_i64);
    put(
        &mut e,
        "http.response.status_code",
        status.filter(|s| *s > 0).map(Value::Int),
    );
    put(
        &mut e,
        "http.response.bytes",
        first!(resp.bytes.as_ref(), resp.length.as_ref())
            .and_then(Loose::as_i64)
            .map(Value::Int),
    );
    match str_of(req.user_agent.take()) {
        Some(Cow::Borrowed(ua)) => crate::user_agent::insert(&mut e, ua),
        Some(Cow::Owned(ua)) => e.insert("user_agent.original", ua),
        None => {}
    }

    // What Wallarm decided.
    let attack = first!(
        hit.attack_type.take(),
        hit.kind.take(),
        ext.attack_type.take(),
        ext.kind.take()
    )
    .and_then(attack_types);
    let block_status = first!(
        str_of(hit.block_status.take()),
        str_of(ext.block_status.take())
    );
    let ocsf_verdict = first!(
        str_of(hit.action.clone()),
        str_of(hit.disposition.clone()),
        str_of(hit.status.clone())
    );
    let blocked = match (&block_status, &ocsf_verdict) {
        (Some(b), _) => b.to_ascii_lowercase().starts_with("block"),
        (None, Some(v)) => matches!(
            v.to_ascii_lowercase().as_str(),
            "blocked" | "denied" | "dropped" | "rejected"
        ),
        (None, None) => hit.action_id.as_ref().and_then(Loose::as_i64) == Some(2),
    };
    let action: Cow<'a, str> = match &block_status {
        Some(b) if b.bytes().all(|c| !c.is_ascii_uppercase()) => b.clone(),
        Some(b) => Cow::Owned(b.to_ascii_lowercase()),
        None if blocked => Cow::Borrowed("blocked"),
        None => Cow::Borrowed("monitored"),
    };
    e.push("event.kind", "alert");
    e.push("event.action", action);
    e.push(
        "event.type",
        Value::List(vec![Value::from(if blocked {
            "denied"
        } else {
            "allowed"
        })]),
    );
    let mut categories = vec![Value::from("intrusion_detection"), Value::from("web")];
    if let Some(Value::List(types)) = &attack {
        if types
            .iter()
            .any(|t| t.as_str().is_some_and(|t| AUTH_ATTACKS.contains(&t)))
        {
            categories.push(Value::from("authentication"));
        }
    }
    e.push("event.category", Value::List(categories));
    put(
        &mut e,
        "event.severity",
        hit.severity_id
            .as_ref()
            .and_then(Loose::as_i64)
            .map(Value::Int),
    );
    put(&mut e, "wallarm.attack_type", attack);
    put(&mut e, "wallarm.block_status", block_status.map(Value::Str));

    // Wallarm's hit details.
    put(
        &mut e,
        "wallarm.payload",
        first!(
            hit.payload.take(),
            hit.payloads.take(),
            ext.payload.take(),
            ext.payloads.take()
        )
        .and_then(Loose::into_strings),
    );
    put(
        &mut e,
        "wallarm.point",
        first!(hit.point.take(), ext.point.take()).and_then(Loose::into_strings),
    );
    put(
        &mut e,
        "wallarm.parameter",
        str_of(first!(hit.parameter.take(), ext.parameter.take())).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.tags",
        first!(hit.tags, ext.tags)
            .filter(|t| t.get().starts_with('{'))
            .map(|t| Value::Json(Cow::Borrowed(t.get()))),
    );
    put(
        &mut e,
        "wallarm.datacenter",
        str_of(first!(hit.datacenter.take(), ext.datacenter.take())).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.proxy_type",
        str_of(first!(hit.proxy_type.take(), ext.proxy_type.take())).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.tor",
        str_of(first!(hit.tor.take(), ext.tor.take())).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.application_id",
        first!(hit.application_id.take(), ext.application_id.take()).and_then(Loose::into_ints),
    );
    put(
        &mut e,
        "wallarm.protocol",
        str_of(first!(hit.protocol.take(), ext.protocol.take())).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.known_attack",
        str_of(first!(hit.known_attack.take(), ext.known_attack.take())).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.probability",
        first!(hit.probability.as_ref(), ext.probability.as_ref())
            .and_then(Loose::as_f64)
            .map(Value::Float),
    );
    put(
        &mut e,
        "wallarm.hit_id",
        first!(hit.id.take(), ext.id.take()).and_then(Loose::into_strings),
    );
    put(
        &mut e,
        "wallarm.stamps",
        first!(hit.stamps.take(), ext.stamps.take()).and_then(Loose::into_ints),
    );

    // OCSF envelope.
    let class_uid = first!(hit.class_uid.as_ref(), hit.class_id.as_ref()).and_then(Loose::as_i64);
    put(&mut e, "wallarm.ocsf.class_uid", class_uid.map(Value::Int));
    put(
        &mut e,
        "wallarm.ocsf.class_name",
        str_of(hit.class_name.take()).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.ocsf.activity_name",
        str_of(hit.activity_name.take()).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.ocsf.severity",
        str_of(hit.severity.take()).map(Value::Str),
    );
    put(
        &mut e,
        "wallarm.ocsf.status",
        str_of(hit.status.take()).map(Value::Str),
    );
    put(&mut e, "wallarm.ocsf.uid", str_of(meta.uid).map(Value::Str));
    put(
        &mut e,
        "wallarm.extensions",
        hit.extensions
            .filter(|r| r.get().starts_with('{'))
            .map(|r| Value::Json(Cow::Borrowed(r.get()))),
    );
    put(
        &mut e,
        "wallarm.unmapped",
        hit.unmapped
            .filter(|r| r.get().starts_with('{'))
            .map(|r| Value::Json(Cow::Borrowed(r.get()))),
    );
    let (product, product_version) = match meta.product {
        Some(raw) if raw.get().starts_with('{') => {
            let p: Product<'a> = serde_json::from_str(raw.get()).map_err(|e| invalid(&e))?;
            (str_of(p.name), str_of(p.version))
        }
        Some(raw) => (
            serde_json::from_str::<Loose<'a>>(raw.get())
                .ok()
                .and_then(Loose::into_str),
            None,
        ),
        None => (None, None),
    };
    // In OCSF, `metadata.version` is the schema's version, not the product's.
    put(
        &mut e,
        "wallarm.ocsf.version",
        str_of(meta.version)
            .filter(|_| class_uid.is_some())
            .map(Value::Str),
    );
    let observer_version = first!(product_version, str_of(meta.product_version));

    if mapped == 0 {
        return Err(ParseError::new(
            DATASET,
            "JSON object has none of the fields of a Wallarm hit",
        ));
    }
    e.push("observer.vendor", "Wallarm");
    e.push("observer.type", "waf");
    e.push(
        "observer.product",
        product.unwrap_or(Cow::Borrowed("Wallarm")),
    );
    if let Some(v) = observer_version {
        e.push("observer.version", v);
    }
    Ok(e)
}

/// Takes every field of `b` that `a` lacks.
fn merge<'a>(mut a: Hit<'a>, b: Hit<'a>) -> Hit<'a> {
    macro_rules! fill {
        ($($f:ident),*) => { $( if a.$f.is_none() { a.$f = b.$f; } )* };
    }
    fill!(
        time,
        request_id,
        ip,
        remote_addr,
        remote_addr4,
        remote_addr6,
        port,
        remote_port,
        datacenter,
        proxy_type,
        tor,
        remote_country,
        application_id,
        domain,
        method,
        uri,
        protocol,
        status_code,
        response_status,
        attack_type,
        kind,
        block_status,
        payload,
        payloads,
        point,
        parameter,
        tags,
        known_attack,
        probability,
        id,
        stamps
    );
    a
}

/// An OCSF `url`: an object, or (in Wallarm's example) the URL as a string.
fn parse_url<'a>(raw: &'a RawValue) -> Result<OcsfUrl<'a>, ParseError> {
    let text = raw.get();
    if text.starts_with('{') {
        return serde_json::from_str(text).map_err(|e| invalid(&e));
    }
    let value: Loose<'a> = serde_json::from_str(text).map_err(|e| invalid(&e))?;
    Ok(OcsfUrl {
        url_string: Some(value),
        ..OcsfUrl::default()
    })
}

/// Splits a request URI into its path and query (without `?`), borrowing
/// when the URI itself is borrowed. A `#fragment` is dropped.
fn split_uri<'a>(uri: &Cow<'a, str>) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
    fn parts(s: &str) -> (&str, Option<&str>) {
        let s = s.split_once('#').map_or(s, |(before, _)| before);
        let s = match s.find("://") {
            // An absolute URI: the path starts at the first `/` after the authority.
            Some(i) if !s[..i].contains(['/', '?']) => {
                s[i + 3..].find('/').map_or("", |j| &s[i + 3 + j..])
            }
            _ => s,
        };
        match s.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (s, None),
        }
    }
    let nonempty = |s: &str| !s.is_empty();
    match uri {
        Cow::Borrowed(u) => {
            let (p, q) = parts(u);
            (
                Some(p).filter(|s| nonempty(s)).map(Cow::Borrowed),
                q.filter(|s| nonempty(s)).map(Cow::Borrowed),
            )
        }
        Cow::Owned(u) => {
            let (p, q) = parts(u);
            (
                Some(p)
                    .filter(|s| nonempty(s))
                    .map(|s| Cow::Owned(s.to_owned())),
                q.filter(|s| nonempty(s)).map(|s| Cow::Owned(s.to_owned())),
            )
        }
    }
}

/// Attack types as a list: a string (comma separated lists are split) or a list of strings.
fn attack_types(v: Loose<'_>) -> Option<Value<'_>> {
    match v {
        Loose::Str(Cow::Borrowed(s)) if s.contains(',') => {
            let items: Vec<Value<'_>> = s
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(Value::from)
                .collect();
            (!items.is_empty()).then_some(Value::List(items))
        }
        Loose::Str(Cow::Owned(s)) if s.contains(',') => {
            let items: Vec<Value<'_>> = s
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Value::from(t.to_owned()))
                .collect();
            (!items.is_empty()).then_some(Value::List(items))
        }
        other => other.into_strings(),
    }
}

/// An instant from epoch time of unknown unit: seconds unless the number is
/// too large to be (≥ 10¹¹ s is year 5138), then milliseconds, microseconds
/// or nanoseconds by magnitude. Numeric strings and RFC 3339 strings work too.
fn epoch_auto(v: &Loose<'_>) -> Option<Timestamp> {
    let text: Cow<'_, str> = match v {
        Loose::Int(i) => Cow::Owned(i.to_string()),
        Loose::Float(f) => Cow::Owned(format!("{f}")),
        Loose::Str(s) => {
            let s = s.trim();
            if s.contains(['-', ':']) && s.len() >= 19 {
                return Timestamp::parse_rfc3339(s);
            }
            Cow::Borrowed(s)
        }
        _ => return None,
    };
    let magnitude = v.as_f64().or_else(|| text.parse::<f64>().ok())?.abs();
    let unit = if magnitude < 1e11 {
        1_000_000_000
    } else if magnitude < 1e14 {
        1_000_000
    } else if magnitude < 1e17 {
        1_000
    } else {
        1
    };
    parse_decimal(&text, unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(record: &str) -> Result<Vec<serde_json::Value>, ParseError> {
        let mut parser = build(&Options::new()).unwrap();
        let mut events = Vec::new();
        parser.parse(record, &mut |e| {
            let mut out = Vec::new();
            e.write_json(&mut out);
            events.push(serde_json::from_slice(&out).expect("valid JSON"));
        })?;
        Ok(events)
    }

    fn one(record: &str) -> serde_json::Value {
        let mut events = parse(record).unwrap();
        assert_eq!(events.len(), 1);
        events.pop().unwrap()
    }

    /// The second hit of the example file in Wallarm's Amazon S3 integration documentation.
    const S3_HIT: &str = r#"{"time":1678984675,"request_id":"b457fccec9c66cdb07eab7228b34eca6","ip":"127.0.0.1","datacenter":"unknown","tor":"none","remote_country":null,"application_id":null,"domain":"localhost","method":"GET","uri":"/etc/passwd","port":45086,"protocol":"none","status_code":499,"attack_type":"ptrav","block_status":"monitored","payload":["/etc/passwd"],"point":["uri"],"tags":{"lom_id":7,"libproton_version":"4.4.11","brute_counter":"c188cd2baa2cefb3f3688cb4008a649e","wallarm_mode":"monitoring","final_wallarm_mode":"monitoring"}}"#;

    #[test]
    fn maps_the_documented_s3_export_hit() {
        let v = one(S3_HIT);
        assert_eq!(
            v,
            serde_json::json!({
                "@timestamp": "2023-03-16T16:37:55.000Z",
                "event": {"id": "b457fccec9c66cdb07eab7228b34eca6", "kind": "alert", "action": "monitored", "type": ["allowed"], "category": ["intrusion_detection", "web"]},
                "source": {"ip": "127.0.0.1", "port": 45086},
                "related": {"ip": ["127.0.0.1"]},
                "url": {"domain": "localhost", "original": "/etc/passwd", "path": "/etc/passwd"},
                "http": {"request": {"method": "GET"}, "response": {"status_code": 499}},
                "observer": {"vendor": "Wallarm", "product": "Wallarm", "type": "waf"},
                "wallarm": {
                    "attack_type": ["ptrav"],
                    "block_status": "monitored",
                    "payload": ["/etc/passwd"],
                    "point": ["uri"],
                    "tags": {"lom_id": 7, "libproton_version": "4.4.11", "brute_counter": "c188cd2baa2cefb3f3688cb4008a649e", "wallarm_mode": "monitoring", "final_wallarm_mode": "monitoring"},
                    "datacenter": "unknown",
                    "tor": "none",
                    "protocol": "none",
                },
            })
        );
    }

    #[test]
    fn reads_string_time_and_application_id_list_of_minio_hits() {
        let v = one(
            r#"{"time":"1687241470","request_id":"d2a900a6efac7a7c893a00903205071a","ip":"127.0.0.1","remote_country":"DE","application_id":[-1],"domain":"localhost","method":"GET","uri":"/etc/passwd","attack_type":"ptrav","block_status":"monitored"}"#,
        );
        assert_eq!(v["@timestamp"], "2023-06-20T06:11:10.000Z");
        assert_eq!(v["wallarm"]["application_id"], serde_json::json!([-1]));
        assert_eq!(v["source"]["geo"]["country_iso_code"], "DE");
        assert_eq!(v["wallarm"]["remote_country"], "DE");
    }

    #[test]
    fn blocked_hit_is_denied_and_auth_attacks_add_the_authentication_category() {
        let v = one(
            r#"{"time":1700000000,"ip":"2001:db8::1","uri":"/login?user=admin&x=1#frag","attack_type":"brute","block_status":"blocked"}"#,
        );
        assert_eq!(v["event"]["action"], "blocked");
        assert_eq!(v["event"]["type"], serde_json::json!(["denied"]));
        assert_eq!(
            v["event"]["category"],
            serde_json::json!(["intrusion_detection", "web", "authentication"])
        );
        assert_eq!(v["url"]["path"], "/login");
        assert_eq!(v["url"]["query"], "user=admin&x=1");
        assert_eq!(v["source"]["ip"], "2001:db8::1");
    }

    #[test]
    fn splits_comma_separated_attack_types() {
        let v = one(r#"{"time":1,"attack_type":"sqli, xss","block_status":"Blocked"}"#);
        assert_eq!(
            v["wallarm"]["attack_type"],
            serde_json::json!(["sqli", "xss"])
        );
        assert_eq!(v["event"]["action"], "blocked");
    }

    /// The OCSF example of Wallarm's MinIO integration documentation.
    const DOC_OCSF: &str = r#"{
        "class_id": 3001, "class_name": "Network Activity", "category_uid": 3, "category_name": "Network Activity", "activity_name": "Web Request",
        "time": 1603834608, "start_time": 1603834606, "severity": "Low", "severity_id": 2, "status": "Allowed",
        "src_endpoint": {"ip": "8.8.8.8", "port": 0, "country": "PL", "domain": "www.example.com"},
        "http_request": {"method": "POST", "url": "/news/some_path"},
        "http_response": {"status_code": 200, "bytes": 14},
        "metadata": {"uid": "c9ef956c-5c0e-47eb-b04b-6d4a80d882a3", "product": "Wallarm", "product_version": "5.0.1"},
        "extensions": {"heur_distance": 0.01111, "parameter": "SOME_value", "payloads": ["say ni"], "point": ["post"], "probability": 0.01,
            "remote_addr6": "", "tor": "none", "response_time": 5, "stamps": [1111], "regex": [], "stamps_hash": -22222, "regex_hash": -33333,
            "type": "sqli", "block_status": "monitored", "id": ["hits_production_999_202010_v_1", "c2dd33831a13be0d_AC9"], "object_type": "hit", "anomaly": 0}
    }"#;

    #[test]
    fn maps_wallarm_documented_ocsf_shape() {
        let v = one(DOC_OCSF);
        assert_eq!(v["@timestamp"], "2020-10-27T21:36:48.000Z");
        assert_eq!(v["event"]["start"], "2020-10-27T21:36:46.000Z");
        assert_eq!(v["event"]["id"], "c9ef956c-5c0e-47eb-b04b-6d4a80d882a3");
        assert_eq!(v["event"]["severity"], 2);
        assert_eq!(v["event"]["action"], "monitored");
        assert_eq!(v["source"]["ip"], "8.8.8.8");
        assert!(v["source"].get("port").is_none(), "port 0 is no port");
        assert_eq!(v["url"]["domain"], "www.example.com");
        assert_eq!(v["url"]["original"], "/news/some_path");
        assert_eq!(v["http"]["request"]["method"], "POST");
        assert_eq!(
            v["http"]["response"],
            serde_json::json!({"status_code": 200, "bytes": 14})
        );
        assert_eq!(v["wallarm"]["attack_type"], serde_json::json!(["sqli"]));
        assert_eq!(v["wallarm"]["payload"], serde_json::json!(["say ni"]));
        assert_eq!(v["wallarm"]["point"], serde_json::json!(["post"]));
        assert_eq!(v["wallarm"]["parameter"], "SOME_value");
        assert_eq!(v["wallarm"]["probability"], 0.01);
        assert_eq!(v["wallarm"]["stamps"], serde_json::json!([1111]));
        assert_eq!(
            v["wallarm"]["hit_id"],
            serde_json::json!(["hits_production_999_202010_v_1", "c2dd33831a13be0d_AC9"])
        );
        assert_eq!(v["wallarm"]["ocsf"]["class_uid"], 3001);
        assert_eq!(v["wallarm"]["ocsf"]["status"], "Allowed");
        assert_eq!(v["wallarm"]["extensions"]["anomaly"], 0);
        assert_eq!(v["observer"]["version"], "5.0.1");
        assert_eq!(v["observer"]["product"], "Wallarm");
    }

    #[test]
    fn maps_ocsf_http_activity_with_url_object_and_millisecond_time() {
        let v = one(
            r#"{"class_uid":4002,"class_name":"HTTP Activity","activity_name":"Post","time":1718000000123,"action":"Denied","action_id":2,
            "src_endpoint":{"ip":"203.0.113.9","port":51234,"location":{"country":"US"}},
            "http_request":{"http_method":"POST","uid":"5f1c0a0e9d3b4c1e8a7f6b5c4d3e2f1a","user_agent":"curl/8.4.0",
                "url":{"hostname":"api.example.com","path":"/v1/users","query_string":"id=1%27%20OR%201=1","url_string":"https://api.example.com/v1/users?id=1%27%20OR%201=1","scheme":"https","port":443}},
            "http_response":{"code":403},
            "metadata":{"uid":"evt-1","version":"1.1.0","product":{"name":"Wallarm Node","vendor_name":"Wallarm","version":"6.1.0"}},
            "unmapped":{"attack_type":"sqli","block_status":"blocked","application_id":3,"payload":["1' OR 1=1"],"point":[["get","id"]]}}"#,
        );
        assert_eq!(v["@timestamp"], "2024-06-10T06:13:20.123Z");
        assert_eq!(v["event"]["id"], "5f1c0a0e9d3b4c1e8a7f6b5c4d3e2f1a");
        assert_eq!(v["event"]["type"], serde_json::json!(["denied"]));
        assert_eq!(v["event"]["action"], "blocked");
        assert_eq!(
            v["source"],
            serde_json::json!({"ip": "203.0.113.9", "port": 51234, "geo": {"country_iso_code": "US"}})
        );
        assert_eq!(
            v["url"],
            serde_json::json!({"domain": "api.example.com", "original": "https://api.example.com/v1/users?id=1%27%20OR%201=1", "path": "/v1/users", "query": "id=1%27%20OR%201=1", "scheme": "https", "port": 443})
        );
        assert_eq!(v["user_agent"]["original"], "curl/8.4.0");
        assert_eq!(v["http"]["response"]["status_code"], 403);
        assert_eq!(v["wallarm"]["point"], serde_json::json!(["get", "id"]));
        assert_eq!(v["wallarm"]["application_id"], serde_json::json!([3]));
        assert_eq!(v["wallarm"]["ocsf"]["version"], "1.1.0");
        assert_eq!(v["wallarm"]["ocsf"]["uid"], "evt-1");
        assert_eq!(v["observer"]["product"], "Wallarm Node");
        assert_eq!(v["observer"]["version"], "6.1.0");
    }

    #[test]
    fn a_whole_array_yields_one_event_per_hit() {
        let events = parse(&format!("[{S3_HIT},\n{S3_HIT}]")).unwrap();
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let v = one(
            r#"{"time":1,"uri":"\/a\u00e9?q=\"x\"","payload":["<script>alert(\"x\")<\/script>"]}"#,
        );
        assert_eq!(v["url"]["path"], "/aé");
        assert_eq!(v["url"]["query"], "q=\"x\"");
        assert_eq!(v["wallarm"]["payload"][0], "<script>alert(\"x\")</script>");
    }

    #[test]
    fn malformed_hit_is_an_error_not_a_panic() {
        for bad in [
            "",
            "not json",
            "{\"time\":",
            "{\"time\":1} x",
            "{}",
            "{\"unrelated\":true}",
            "[1]",
            "{\"extensions\":{\"time\":}}",
            "{\"tags\":1,\"extensions\":[1]}",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.dataset, DATASET, "{bad}");
        }
    }

    #[test]
    fn epoch_units_are_guessed_by_magnitude() {
        let t = |v: Loose<'_>| epoch_auto(&v).map(|t| t.to_string());
        assert_eq!(
            t(Loose::Int(1_700_000_000)).as_deref(),
            Some("2023-11-14T22:13:20.000Z")
        );
        assert_eq!(
            t(Loose::Int(1_700_000_000_123)).as_deref(),
            Some("2023-11-14T22:13:20.123Z")
        );
        assert_eq!(
            t(Loose::Int(1_700_000_000_123_456)).as_deref(),
            Some("2023-11-14T22:13:20.123456Z")
        );
        assert_eq!(
            t(Loose::Float(1_700_000_000.5)).as_deref(),
            Some("2023-11-14T22:13:20.500Z")
        );
        assert_eq!(
            t(Loose::Str("2023-11-14T22:13:20Z".into())).as_deref(),
            Some("2023-11-14T22:13:20.000Z")
        );
        assert_eq!(t(Loose::Str("soon".into())), None);
        assert_eq!(t(Loose::Float(f64::MAX)), None);
        assert_eq!(t(Loose::Null), None);
    }

    #[test]
    fn invalid_ip_goes_to_source_address() {
        let v = one(r#"{"time":1,"ip":"unknown"}"#);
        assert_eq!(v["source"]["address"], "unknown");
        assert!(v.get("related").is_none());
    }

    #[test]
    fn every_prefix_of_a_hit_parses_or_errors_without_panicking() {
        for record in [S3_HIT, DOC_OCSF] {
            for end in (0..=record.len()).filter(|&i| record.is_char_boundary(i)) {
                let _ = parse(&record[..end]);
                let _ = parse(&record[end..]);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn mutated_hits_never_panic_and_serialize_to_valid_json(seed in 0usize..2, edits in proptest::collection::vec((0usize..4096, 0u8..4, proptest::prelude::any::<char>()), 1..6)) {
            let mut record: Vec<char> = [S3_HIT, DOC_OCSF][seed].chars().collect();
            for (at, op, c) in edits {
                let at = at % (record.len() + 1);
                match op {
                    0 => record.insert(at, c),
                    1 if at < record.len() => { record.remove(at); }
                    2 if at < record.len() => record[at] = c,
                    _ => record.insert(at, ['"', '{', '}', '[', ']', ',', ':', '\\'][at % 8]),
                }
            }
            let record: String = record.into_iter().collect();
            let mut parser = build(&Options::new()).unwrap();
            let _ = parser.parse(&record, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                // Grammar check: raw JSON passed through may hold lone surrogate escapes, which
                // RFC 8259 allows and serde_json::Value refuses.
                serde_json::from_slice::<serde::de::IgnoredAny>(&out).expect("valid JSON");
            });
        }
    }
}
