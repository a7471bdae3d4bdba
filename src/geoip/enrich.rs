//! One worker's enrichment of events: which IP fields to look up (the
//! dataset's rules), the databases it holds, and its cache.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use loglift_parsers::{Event, Value};
use serde::{Deserialize, Serialize};

use super::record::{as_json, geo_json};
use super::Loaded;
use crate::metrics;

/// Where one IP field's enrichment goes, as `fields/<dataset>.yml` declares
/// it under `geoip:` (or a user-defined dataset's `geoip_fields:` makes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoRule {
    /// The field holding the address (`source.ip`).
    pub ip: String,
    /// Where the City/Country properties go (`[source.geo]`; S3 access logs
    /// also copy them to the top-level `geo`, as Elastic's pipeline does).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub geo: Vec<String>,
    /// Where the ASN properties go (`source.as`), if anywhere.
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub asn: Option<String>,
}

impl GeoRule {
    /// The rule of a user-defined dataset's `geoip_fields:` entry:
    /// `client.ip` enriches into `client.geo` and `client.as`.
    pub fn for_ip_field(field: &str) -> Self {
        let endpoint = field.strip_suffix(".ip").unwrap_or(field);
        GeoRule {
            ip: field.to_string(),
            geo: vec![format!("{endpoint}.geo")],
            asn: Some(format!("{endpoint}.as")),
        }
    }
}

/// Addresses remembered per worker (direct-mapped: a new address takes its
/// slot over; no eviction bookkeeping on the hot path).
const CACHE_SLOTS: usize = 4096;
/// Decoded records remembered per worker and database; the map is cleared
/// when it grows past this (records are few next to addresses).
const MAX_RECORDS: usize = 4096;

/// What the databases say of one address: JSON text ready to insert.
#[derive(Debug)]
struct Answer {
    geo: Option<Arc<str>>,
    asn: Option<Arc<str>>,
}

/// Lookups counted locally and added to the metrics when the enricher is
/// dropped, so the hot path touches no shared counter.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LookupCounts {
    /// Addresses a database has data for.
    pub hit: u64,
    /// Public addresses a database has no data for.
    pub miss: u64,
    /// Private, loopback, link-local and other non-public addresses (not looked up).
    pub private: u64,
    /// Lookups answered from the worker's cache.
    pub cached: u64,
}

/// One database as a worker holds it.
#[derive(Debug)]
struct Held {
    label: String,
    loaded: Arc<Loaded>,
    /// Decoded records by data offset: many addresses share one record.
    records: HashMap<usize, Option<Arc<str>>>,
    counts: LookupCounts,
}

impl Held {
    /// The JSON text of `ip`'s record in this database, if it has one.
    fn lookup(
        &mut self,
        ip: IpAddr,
        decode: fn(&maxminddb::LookupResult<'_, maxminddb::Mmap>) -> Option<String>,
    ) -> Option<Arc<str>> {
        let result = match self.loaded.reader.lookup(ip) {
            Ok(r) => r,
            Err(_) => {
                self.counts.miss += 1;
                return None;
            }
        };
        let Some(offset) = result.offset() else {
            self.counts.miss += 1;
            return None;
        };
        if self.records.len() >= MAX_RECORDS {
            self.records.clear();
        }
        let loaded = &self.loaded;
        let text = self
            .records
            .entry(offset)
            .or_insert_with(|| loaded.decoded(offset, || decode(&result)))
            .clone();
        if text.is_some() {
            self.counts.hit += 1;
        } else {
            self.counts.miss += 1;
        }
        text
    }
}

fn decode_geo(result: &maxminddb::LookupResult<'_, maxminddb::Mmap>) -> Option<String> {
    result
        .decode::<maxminddb::geoip2::City<'_>>()
        .ok()
        .flatten()
        .and_then(|city| geo_json(&city))
}

fn decode_asn(result: &maxminddb::LookupResult<'_, maxminddb::Mmap>) -> Option<String> {
    result
        .decode::<maxminddb::geoip2::Asn<'_>>()
        .ok()
        .flatten()
        .and_then(|asn| as_json(&asn))
}

/// A worker's enrichment: the dataset's rules, the databases as they were
/// when it was made, and its caches. Made per object (or per block of a
/// large object), so a reloaded database is used from the next one on.
#[derive(Debug)]
pub struct Enricher<'r> {
    rules: &'r [GeoRule],
    geo: Option<Held>,
    asn: Option<Held>,
    /// Recent addresses and what is known of them (`None`: nothing, the
    /// common case for a public address, stored without allocating).
    cache: Vec<Option<(IpAddr, Option<Arc<Answer>>)>>,
    private: u64,
    cached: u64,
}

impl<'r> Enricher<'r> {
    pub(super) fn new(
        rules: &'r [GeoRule],
        geo: Option<(String, Arc<Loaded>)>,
        asn: Option<(String, Arc<Loaded>)>,
    ) -> Self {
        let held = |(label, loaded): (String, Arc<Loaded>)| Held {
            label,
            loaded,
            records: HashMap::new(),
            counts: LookupCounts::default(),
        };
        Enricher {
            rules,
            geo: geo.map(held),
            asn: asn.map(held),
            cache: Vec::new(),
            private: 0,
            cached: 0,
        }
    }

    /// Adds the geo and AS fields of every rule whose address field `event`
    /// has and a database knows.
    pub fn enrich<'a>(&mut self, event: &mut Event<'a>)
    where
        'r: 'a,
    {
        let rules = self.rules;
        for rule in rules {
            let Some(ip) = event
                .get(&rule.ip)
                .and_then(Value::as_str)
                .and_then(parse_ip)
            else {
                continue;
            };
            if !is_public(ip) {
                self.private += 1;
                continue;
            }
            let Some(answer) = self.answer(ip) else {
                continue;
            };
            if let Some(geo) = &answer.geo {
                for target in &rule.geo {
                    put_object(event, target, geo);
                }
            }
            if let (Some(asn), Some(target)) = (&answer.asn, &rule.asn) {
                put_object(event, target, asn);
            }
        }
    }

    /// What the databases say of a public address, from the cache when it
    /// was looked up before.
    fn answer(&mut self, ip: IpAddr) -> Option<Arc<Answer>> {
        if self.cache.is_empty() {
            self.cache = vec![None; CACHE_SLOTS];
        }
        let slot = slot_of(ip);
        if let Some((cached_ip, answer)) = &self.cache[slot] {
            if *cached_ip == ip {
                self.cached += 1;
                return answer.clone();
            }
        }
        let geo = self.geo.as_mut().and_then(|h| h.lookup(ip, decode_geo));
        let asn = self.asn.as_mut().and_then(|h| h.lookup(ip, decode_asn));
        let answer = (geo.is_some() || asn.is_some()).then(|| Arc::new(Answer { geo, asn }));
        self.cache[slot] = Some((ip, answer.clone()));
        answer
    }

    /// Lookups so far: per database (geo first, then ASN) and in all.
    pub fn counts(&self) -> LookupCounts {
        let mut total = LookupCounts {
            private: self.private,
            cached: self.cached,
            ..LookupCounts::default()
        };
        for held in [&self.geo, &self.asn].into_iter().flatten() {
            total.hit += held.counts.hit;
            total.miss += held.counts.miss;
        }
        total
    }
}

impl Drop for Enricher<'_> {
    fn drop(&mut self) {
        for held in [&self.geo, &self.asn].into_iter().flatten() {
            let c = held.counts;
            for (outcome, n) in [("hit", c.hit), ("miss", c.miss), ("private", self.private)] {
                if n > 0 {
                    metrics::GEOIP_LOOKUPS
                        .with_label_values(&[held.label.as_str(), outcome])
                        .inc_by(n);
                }
            }
        }
        if self.cached > 0 {
            metrics::GEOIP_CACHE_HITS.inc_by(self.cached);
        }
    }
}

/// Sets `target` to the JSON object `json`. Fields the record itself put
/// under `target` (WAF's country and ASN) are replaced: as in Elastic's
/// pipelines, the database's answer wins and the record's values are only
/// the fallback for addresses the database does not know.
fn put_object<'a>(event: &mut Event<'a>, target: &'a str, json: &str) {
    let under_target = |key: &str| {
        key.strip_prefix(target)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    };
    let own: Vec<String> = event
        .fields()
        .filter(|(key, _)| under_target(key))
        .map(|(key, _)| key.to_string())
        .collect();
    for key in own {
        event.remove(&key);
    }
    event.insert(target, Value::Json(Cow::Owned(json.to_string())));
}

/// An address from its text: dotted-quad IPv4 by hand (most addresses in
/// AWS logs; the standard parser costs several times more), anything else
/// by the standard parser.
fn parse_ip(text: &str) -> Option<IpAddr> {
    let bytes = text.as_bytes();
    if bytes.len() <= 15 && !bytes.contains(&b':') {
        let mut octets = [0u8; 4];
        let mut parts = bytes.split(|b| *b == b'.');
        for octet in &mut octets {
            let part = parts.next()?;
            if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
                return None;
            }
            let mut value = 0u16;
            for &digit in part {
                if !digit.is_ascii_digit() {
                    return None;
                }
                value = value * 10 + u16::from(digit - b'0');
            }
            *octet = u8::try_from(value).ok()?;
        }
        return parts.next().is_none().then(|| IpAddr::from(octets));
    }
    text.parse().ok()
}

/// The cache slot of an address (a multiplicative hash of its bits).
fn slot_of(ip: IpAddr) -> usize {
    let bits = match ip {
        IpAddr::V4(v4) => u64::from(u32::from(v4)),
        IpAddr::V6(v6) => {
            let b = u128::from(v6);
            (b as u64) ^ ((b >> 64) as u64)
        }
    };
    (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize % CACHE_SLOTS
}

/// Whether an address can have a place on the map: not private, loopback,
/// link-local, shared (CGNAT), unspecified, broadcast, multicast or
/// reserved. These are not looked up and get nothing.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space, RFC 6598
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80) // link-local
}

#[cfg(test)]
mod tests {
    use super::parse_ip;

    #[test]
    fn parses_addresses_as_the_standard_parser_does() {
        for text in [
            "1.2.3.4",
            "255.255.255.255",
            "0.0.0.0",
            "10.0.0.1",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..2.3",
            "",
            "a.b.c.d",
            "1.2.3.4 ",
            "::1",
            "2a02:cf40::",
            "::ffff:1.2.3.4",
            "-",
            "1.2.3.999",
            "12345.1.1.1",
        ] {
            assert_eq!(parse_ip(text), text.parse().ok(), "{text:?}");
        }
    }
}
