//! User-agent strings to `user_agent.*` fields (name, version, OS, device),
//! the way Elasticsearch's `user_agent` ingest processor reports them for
//! the user agents AWS logs are full of.
//!
//! Elasticsearch runs the ua-parser (uap-core) regular-expression database:
//! three ordered rule lists (agent, OS, device), the first matching rule of
//! each list wins. This module keeps the *order* and the *output conventions*
//! of that database but only the rules that matter for AWS access logs and
//! audit trails, each written as a few byte searches instead of a regex:
//!
//! - agents: HTTP libraries (`Go-http-client`, `Apache-HttpClient`,
//!   `okhttp`, …), AWS clients (`aws-cli`, `aws-sdk-java`, `Boto3`, …),
//!   crawlers, Opera, Samsung Internet, Chrome Mobile (WebView, iOS), Edge,
//!   Chrome, Mobile Safari, Safari, IE, Firefox, `python-requests`, `curl`,
//!   `Wget`, Java, S3 tools (Cyberduck, S3 Browser, rclone);
//! - OS: Windows (NT versions mapped to marketing names), Android, Mac OS X,
//!   iOS, Chrome OS, Debian, Ubuntu, Fedora, Red Hat, Linux (with kernel
//!   version);
//! - device: `Spider` (crawlers, and every agent whose first 100 characters
//!   contain `bot`: `botocore` makes the AWS CLI v1 a spider, as in
//!   Elasticsearch), `iPhone`, `iPad`, `iPod`, Android models,
//!   `Generic Smartphone`, `Mac`.
//!
//! Anything else gets `user_agent.name: "Other"` and `user_agent.device.name:
//! "Other"`, and no `user_agent.os`, exactly as Elasticsearch does for an
//! unknown agent. Two Elasticsearch quirks are kept on purpose because
//! Elastic's own expected output carries them: Firefox's version ends in a
//! dot (`24.0.` — the rule's optional patch group matches empty) and the OS
//! rules see `Linux` in the kernel-version form `Linux 4.9.137`.
//!
//! Analysing a string only records *where* each value is (spans of the
//! input, or fixed replacement strings), so the result can be cached and
//! re-applied to the next identical user agent without allocating: see
//! [`Cache`]. Values borrow from the record whenever the input holds them
//! verbatim.
//!
//! ```
//! use loglift_parsers::{user_agent, Event};
//! let mut event = Event::new();
//! user_agent::insert(&mut event, "aws-cli/1.16.248 Python/3.4.7 Linux/4.9.184-0.1.ac.235.83.329.metal1.x86_64 botocore/1.12.239");
//! assert_eq!(event.get("user_agent.name").and_then(|v| v.as_str()), Some("aws-cli"));
//! assert_eq!(event.get("user_agent.version").and_then(|v| v.as_str()), Some("1.16.248"));
//! assert_eq!(event.get("user_agent.os.full").and_then(|v| v.as_str()), Some("Linux 4.9.184"));
//! assert_eq!(event.get("user_agent.device.name").and_then(|v| v.as_str()), Some("Spider"));
//! ```

use std::borrow::Cow;

use memchr::memmem;

use crate::Event;

/// Sets `user_agent.original` and the fields that can be derived from it.
/// Does nothing for an empty or `-` agent.
///
/// Logs repeat the same few agents, so each thread remembers the analysis of
/// its most recent distinct agents (see [`Cache`]).
pub fn insert<'a>(event: &mut Event<'a>, original: &'a str) {
    thread_local! {
        static RECENT: std::cell::RefCell<Cache> = std::cell::RefCell::new(Cache::new());
    }
    RECENT.with(|cache| cache.borrow_mut().insert(event, original));
}

/// Remembers the analysis of the last few distinct user agents, so that a
/// parser seeing the same agents over and over (S3 access logs, ALB logs)
/// analyses each once. Results are identical to [`insert`].
#[derive(Debug, Default)]
pub struct Cache {
    entries: Vec<(Box<str>, Analysis)>,
    next: usize,
}

impl Cache {
    /// How many distinct agents are remembered.
    const CAPACITY: usize = 32;

    /// An empty cache.
    pub fn new() -> Self {
        Cache {
            entries: Vec::with_capacity(Self::CAPACITY),
            next: 0,
        }
    }

    /// Like [`insert`], analysing `original` only if it is not remembered.
    pub fn insert<'a>(&mut self, event: &mut Event<'a>, original: &'a str) {
        if original.is_empty() || original == "-" {
            return;
        }
        if let Some((_, analysis)) = self
            .entries
            .iter()
            .find(|(ua, _)| ua.len() == original.len() && ua.as_ref() == original)
        {
            apply(event, original, analysis);
            return;
        }
        let analysis = Analysis::of(original);
        apply(event, original, &analysis);
        let entry = (Box::from(original), analysis);
        if self.entries.len() < Self::CAPACITY {
            self.entries.push(entry);
        } else {
            self.entries[self.next] = entry;
            self.next = (self.next + 1) % Self::CAPACITY;
        }
    }
}

/// A user agent's fields, as [`insert`] would set them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent<'a> {
    /// `user_agent.name` (`Other` when unknown).
    pub name: Cow<'a, str>,
    /// `user_agent.version`.
    pub version: Option<Cow<'a, str>>,
    /// `user_agent.os.name`.
    pub os_name: Option<Cow<'a, str>>,
    /// `user_agent.os.version`.
    pub os_version: Option<Cow<'a, str>>,
    /// `user_agent.os.full` (name and version).
    pub os_full: Option<Cow<'a, str>>,
    /// `user_agent.device.name` (`Other` when unknown).
    pub device: Cow<'a, str>,
}

/// Parses a user-agent string into its fields.
///
/// ```
/// let ua = loglift_parsers::user_agent::parse("curl/7.46.0");
/// assert_eq!((ua.name.as_ref(), ua.version.as_deref()), ("curl", Some("7.46.0")));
/// assert_eq!(ua.device, "Other");
/// ```
pub fn parse(original: &str) -> UserAgent<'_> {
    let a = Analysis::of(original);
    let os = a.os.as_ref();
    let os_version = os.and_then(|o| version(original, &o.v));
    UserAgent {
        name: a
            .agent
            .as_ref()
            .and_then(|n| n.name.get(original))
            .map_or(Cow::Borrowed("Other"), Cow::Borrowed),
        version: a.agent.as_ref().and_then(|n| version(original, &n.v)),
        os_name: os.and_then(|o| o.name.get(original)).map(Cow::Borrowed),
        os_full: os.and_then(|o| full(original, o, os_version.as_ref()?)),
        os_version,
        device: a.device.text(original),
    }
}

/// Sets the fields in the order the serializer sorts them into.
fn apply<'a>(event: &mut Event<'a>, ua: &'a str, a: &Analysis) {
    event.insert("user_agent.device.name", a.device.text(ua));
    match a.agent.as_ref().and_then(|n| n.name.get(ua)) {
        Some(name) => event.insert("user_agent.name", name),
        None => event.insert("user_agent.name", "Other"),
    }
    event.insert("user_agent.original", ua);
    if let Some(os) = &a.os {
        if let Some(name) = os.name.get(ua) {
            let version = version(ua, &os.v);
            if let Some(f) = version.as_ref().and_then(|v| full(ua, os, v)) {
                event.insert("user_agent.os.full", f);
            }
            event.insert("user_agent.os.name", name);
            if let Some(v) = version {
                event.insert("user_agent.os.version", v);
            }
        }
    }
    if let Some(v) = a.agent.as_ref().and_then(|n| version(ua, &n.v)) {
        event.insert("user_agent.version", v);
    }
}

/// A piece of output text: a span of the user agent, a fixed string, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum T {
    No,
    Span(usize, usize),
    Lit(&'static str),
}

impl T {
    fn get(self, ua: &str) -> Option<&str> {
        match self {
            T::No => None,
            T::Span(s, e) => ua.get(s..e),
            T::Lit(l) => Some(l),
        }
    }
}

/// A name and up to four version parts (major, minor, patch, build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Named {
    name: T,
    v: [T; 4],
}

impl Named {
    fn lit(name: &'static str, v: [T; 4]) -> Self {
        Named {
            name: T::Lit(name),
            v,
        }
    }
}

/// The device: an optional fixed prefix and a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Device {
    prefix: &'static str,
    name: T,
}

impl Device {
    const OTHER: Device = Device {
        prefix: "",
        name: T::Lit("Other"),
    };

    fn lit(name: &'static str) -> Option<Device> {
        Some(Device {
            prefix: "",
            name: T::Lit(name),
        })
    }

    fn text<'a>(&self, ua: &'a str) -> Cow<'a, str> {
        match (self.prefix, self.name.get(ua)) {
            (_, None) => Cow::Borrowed("Other"),
            ("", Some(n)) => Cow::Borrowed(n),
            (p, Some(n)) => Cow::Owned(format!("{p}{n}")),
        }
    }
}

/// Where the fields of one user agent are; cheap to copy and to cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Analysis {
    agent: Option<Named>,
    os: Option<Named>,
    device: Device,
}

impl Analysis {
    fn of(ua: &str) -> Analysis {
        let b = ua.as_bytes();
        Analysis {
            agent: agent(b),
            os: os(b),
            device: device(b).unwrap_or(Device::OTHER),
        }
    }
}

/// Joins version parts the way Elasticsearch does: `major[.minor[.patch[.build]]]`,
/// stopping at the first missing part (an empty part still counts).
fn version<'a>(ua: &'a str, v: &[T; 4]) -> Option<Cow<'a, str>> {
    let n = v.iter().take_while(|t| **t != T::No).count();
    if n == 0 {
        return None;
    }
    // Borrow when the parts are one dotted run of the input.
    if let T::Span(start, mut end) = v[0] {
        let mut contiguous = true;
        for t in &v[1..n] {
            match *t {
                T::Span(s, e) if s == end + 1 && ua.as_bytes().get(end) == Some(&b'.') => end = e,
                _ => {
                    contiguous = false;
                    break;
                }
            }
        }
        if contiguous {
            return ua.get(start..end).map(Cow::Borrowed);
        }
    }
    if n == 1 {
        if let T::Lit(l) = v[0] {
            return Some(Cow::Borrowed(l));
        }
    }
    let mut out = String::with_capacity(16);
    for (i, t) in v[..n].iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(t.get(ua).unwrap_or(""));
    }
    Some(Cow::Owned(out))
}

/// `os.full`: name, a space, version; borrowed when the input reads exactly so.
fn full<'a>(ua: &'a str, os: &Named, v: &Cow<'a, str>) -> Option<Cow<'a, str>> {
    if let (T::Span(s, e), T::Span(vs, _), Cow::Borrowed(vb)) = (os.name, os.v[0], v) {
        if vs == e + 1 && ua.as_bytes().get(e) == Some(&b' ') {
            return ua.get(s..vs + vb.len()).map(Cow::Borrowed);
        }
    }
    Some(Cow::Owned(format!("{} {}", os.name.get(ua)?, v)))
}

// ---------------------------------------------------------------------------
// Matching helpers: small pieces of regex semantics on bytes.

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `\b` before position `i` when the byte at `i` is a word byte.
fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word(b[i - 1])
}

/// End of the run of ASCII digits starting at `i`, if there is at least one.
fn digits(b: &[u8], i: usize) -> Option<usize> {
    let n = b
        .get(i..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    (n > 0).then_some(i + n)
}

/// `(\d+)(?:\.(\d+))…`: between `min` and `max` (≤ 4) dot-separated numbers
/// starting at `i`. Returns the parts and the end of the match.
fn dotted(b: &[u8], i: usize, min: usize, max: usize) -> Option<([T; 4], usize)> {
    let mut v = [T::No; 4];
    let mut end = digits(b, i)?;
    v[0] = T::Span(i, end);
    let mut n = 1;
    while n < max && b.get(end) == Some(&b'.') {
        match digits(b, end + 1) {
            Some(e) => {
                v[n] = T::Span(end + 1, e);
                end = e;
                n += 1;
            }
            None => break,
        }
    }
    (n >= min).then_some((v, end))
}

/// Every position of `needle` in `hay`, non-overlapping, as `memmem::find_iter`.
fn find_all<'h>(hay: &'h [u8], needle: &'h [u8]) -> impl Iterator<Item = usize> + 'h {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let at = pos + find(hay.get(pos..)?, needle)?;
        pos = at + needle.len().max(1);
        Some(at)
    })
}

/// The first position of `needle` in `hay`. User agents are short and every
/// one is searched for dozens of needles: `memmem::find` builds a searcher
/// (prefilter tables) per call, which costs more than the search itself, so
/// short haystacks are scanned for the needle's first byte instead.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    if hay.len() > 512 {
        return memmem::find(hay, needle);
    }
    let mut from = 0;
    while let Some(p) = memchr::memchr(first, hay.get(from..)?) {
        let at = from + p;
        if hay[at + 1..].starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    Some(from + find(hay.get(from..)?, needle)?)
}

/// `NAME/` + dotted version at every occurrence of `NAME/`; the first that matches.
fn name_slash_version(
    b: &[u8],
    name: &'static str,
    min: usize,
    max: usize,
) -> Option<(usize, [T; 4])> {
    let pat = name.as_bytes();
    find_all(b, pat).find_map(|p| {
        let at = p + pat.len();
        if b.get(at) != Some(&b'/') {
            return None;
        }
        dotted(b, at + 1, min, max).map(|(v, _)| (p, v))
    })
}

/// The earliest of several alternatives, as a regex alternation would find it.
fn earliest<I: IntoIterator<Item = Option<(usize, Named)>>>(alternatives: I) -> Option<Named> {
    alternatives
        .into_iter()
        .flatten()
        .min_by_key(|(p, _)| *p)
        .map(|(_, n)| n)
}

/// `NAME(?:[ /](\d+)(?:\.(\d+)|)(?:\.(\d+)|)|)` for each name; the earliest
/// occurrence (at a word start when `word` is set) wins, the version is optional.
fn optional_version(b: &[u8], names: &[&'static str], word: bool) -> Option<Named> {
    earliest(names.iter().map(|name| {
        let pat = name.as_bytes();
        find_all(b, pat)
            .find(|&p| !word || word_start(b, p))
            .map(|p| {
                let at = p + pat.len();
                let v = match b.get(at) {
                    Some(b' ' | b'/') => dotted(b, at + 1, 1, 3).map_or([T::No; 4], |(v, _)| v),
                    _ => [T::No; 4],
                };
                (
                    p,
                    Named {
                        name: T::Span(p, at),
                        v,
                    },
                )
            })
    }))
}

// ---------------------------------------------------------------------------
// Agents, in uap-core's order.

fn agent(b: &[u8]) -> Option<Named> {
    http_library(b)
        .or_else(|| facebook_bot(b))
        .or_else(|| aws_client(b))
        .or_else(|| bot(b))
        .or_else(|| early_firefox(b))
        .or_else(|| opera(b))
        .or_else(|| samsung_internet(b))
        .or_else(|| chrome_mobile(b))
        .or_else(|| yandex(b))
        .or_else(|| vivaldi_edge_chrome(b))
        .or_else(|| mobile_safari(b))
        .or_else(|| safari(b))
        .or_else(|| trident(b))
        .or_else(|| apple_mail(b))
        .or_else(|| firefox(b))
        .or_else(|| msie(b))
        .or_else(|| python_requests(b))
        .or_else(|| command_line_tool(b))
        .or_else(|| java(b))
        .or_else(|| storage_tool(b))
}

/// uap's "Downloader" rule: HTTP client libraries, version optional.
fn http_library(b: &[u8]) -> Option<Named> {
    const NAMES: &[&str] = &[
        "Google-HTTP-Java-Client",
        "Apache-HttpClient",
        "Go-http-client",
        "scalaj-http",
        "http%20client",
        "Python-urllib",
        "HttpMonitor",
        "TLSProber",
        "WinHTTP",
        "JNLP",
        "okhttp",
        "aihttp",
        "reqwest",
    ];
    optional_version(b, NAMES, false)
}

fn facebook_bot(b: &[u8]) -> Option<Named> {
    name_slash_version(b, "facebookexternalhit", 2, 2).map(|(_, v)| Named::lit("FacebookBot", v))
}

/// `\b(Boto3?|JetS3t|aws-(?:cli|sdk-(?:cpp|go|java|nodejs|ruby2?|dotnet-(?:\d{1,2}|core)))|s3fs)/(\d+)\.(\d+)(?:\.(\d+)|)`
fn aws_client(b: &[u8]) -> Option<Named> {
    let at = |p: usize, len: usize| -> Option<(usize, Named)> {
        if !word_start(b, p) || b.get(p + len) != Some(&b'/') {
            return None;
        }
        let (v, _) = dotted(b, p + len + 1, 2, 3)?;
        Some((
            p,
            Named {
                name: T::Span(p, p + len),
                v,
            },
        ))
    };
    let boto = find_all(b, b"Boto").find_map(|p| {
        let len = if b.get(p + 4) == Some(&b'3') { 5 } else { 4 };
        at(p, len)
    });
    let jets3t = find_all(b, b"JetS3t").find_map(|p| at(p, 6));
    let s3fs = find_all(b, b"s3fs").find_map(|p| at(p, 4));
    let aws = find_all(b, b"aws-").find_map(|p| {
        let rest = &b[p + 4..];
        let len = if rest.starts_with(b"cli") {
            3
        } else if let Some(sdk) = rest.strip_prefix(b"sdk-") {
            4 + [&b"cpp"[..], b"go", b"java", b"nodejs", b"ruby2", b"ruby"]
                .iter()
                .find(|l| sdk.starts_with(l) && sdk.get(l.len()) == Some(&b'/'))
                .map(|l| l.len())
                .or_else(|| {
                    let dotnet = sdk.strip_prefix(b"dotnet-")?;
                    let n = if dotnet.starts_with(b"core") {
                        4
                    } else {
                        let d = dotnet.iter().take_while(|c| c.is_ascii_digit()).count();
                        if d == 0 || d > 2 {
                            return None;
                        }
                        d
                    };
                    Some(7 + n)
                })?
        } else {
            return None;
        };
        at(p, 4 + len)
    });
    earliest([boto, jets3t, s3fs, aws])
}

/// Crawlers: a word ending in `bot`/`Bot` (not `CUBOT`), or containing
/// `spider`/`crawl`, optionally followed by `/version` — uap's three generic
/// bot rules folded into one.
fn bot(b: &[u8]) -> Option<Named> {
    let name_chars = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'!');
    let candidate = |p: usize, len: usize| -> Option<(usize, Named)> {
        // The token around the keyword.
        let mut start = p;
        while start > 0 && name_chars(b[start - 1]) {
            start -= 1;
        }
        let mut end = p + len;
        while end < b.len() && name_chars(b[end]) && b[end] != b'-' {
            end += 1;
        }
        if end > p + len && b[p + len..end].iter().all(u8::is_ascii_digit) {
            end = p + len;
        }
        let v = match b.get(end) {
            Some(b'/' | b' ') => dotted(b, end + 1, 1, 3).map_or([T::No; 4], |(v, _)| v),
            _ => [T::No; 4],
        };
        Some((
            start,
            Named {
                name: T::Span(start, end),
                v,
            },
        ))
    };
    let ends_bot = |p: usize| -> Option<(usize, Named)> {
        // `[^C][^Uu][Bb]ot\b`: a word boundary after `bot`, not part of CUBOT.
        if b.get(p + 3).is_some_and(|&c| is_word(c))
            || p < 2
            || b[p - 2] == b'C'
            || matches!(b[p - 1], b'U' | b'u')
        {
            return None;
        }
        candidate(p, 3)
    };
    let bots = find_all(b, b"bot")
        .chain(find_all(b, b"Bot"))
        .filter_map(ends_bot)
        .min_by_key(|(p, _)| *p);
    let spiders = [&b"spider"[..], b"Spider", b"crawl", b"Crawl"]
        .iter()
        .filter_map(|k| find(b, k).and_then(|p| candidate(p, k.len())))
        .min_by_key(|(p, _)| *p);
    earliest([bots, spiders])
}

/// Firefox builds uap checks before the browsers: alpha/beta, mobile, iOS.
fn early_firefox(b: &[u8]) -> Option<Named> {
    for p in find_all(b, b"Firefox/") {
        if let Some((mut v, end)) = dotted(b, p + 8, 2, 2) {
            let suffix = |tag: u8| -> Option<usize> {
                let r = b.get(end..)?;
                if r.first() != Some(&tag) {
                    return None;
                }
                let d = digits(b, end + 1)?;
                Some(d + b[d..].iter().take_while(|c| c.is_ascii_lowercase()).count())
            };
            if let Some(e) = suffix(b'a') {
                v[2] = T::Span(end, e);
                return Some(Named::lit("Firefox Alpha", v));
            }
            if let Some(e) = suffix(b'b') {
                v[2] = T::Span(end, e);
                return Some(Named::lit("Firefox Beta", v));
            }
        }
    }
    // `(?:Mobile|Tablet);.*(Firefox)/(\d+)\.(\d+)`
    let mobile = find(b, b"Mobile;").or_else(|| find(b, b"Tablet;"));
    if let Some(m) = mobile {
        if let Some(p) = find_from(b, b"Firefox/", m) {
            if let Some((v, _)) = dotted(b, p + 8, 2, 2) {
                return Some(Named::lit("Firefox Mobile", v));
            }
        }
    }
    // `(FxiOS)/(\d+)\.(\d+)(\.(\d+)|)(\.(\d+)|)`: the third group keeps its dot.
    if let Some(p) = find(b, b"FxiOS/") {
        if let Some((mut v, end)) = dotted(b, p + 6, 2, 2) {
            v[2] = T::Lit("");
            if b.get(end) == Some(&b'.') {
                if let Some(e) = digits(b, end + 1) {
                    v[2] = T::Span(end, e);
                    v[3] = T::Span(end + 1, e);
                }
            }
            return Some(Named::lit("Firefox iOS", v));
        }
    }
    None
}

fn opera(b: &[u8]) -> Option<Named> {
    // `(Opera)/9.80.*Version/(\d+)\.(\d+)(?:\.(\d+)|)`
    if let Some(p) = find(b, b"Opera/9.80") {
        if let Some(q) = find_from(b, b"Version/", p) {
            if let Some((v, _)) = dotted(b, q + 8, 2, 3) {
                return Some(Named::lit("Opera", v));
            }
        }
    }
    let opr = |after: &[u8], name: &'static str| -> Option<Named> {
        let start = find(b, after)?;
        find_all(b, b"OPR/")
            .filter(|&p| p > start)
            .find_map(|p| dotted(b, p + 4, 3, 3).map(|(v, _)| Named::lit(name, v)))
    };
    opr(b"Mobile Safari", "Opera Mobile").or_else(|| opr(b"Chrome", "Opera"))
}

fn samsung_internet(b: &[u8]) -> Option<Named> {
    name_slash_version(b, "SamsungBrowser", 2, 2).map(|(_, v)| Named::lit("Samsung Internet", v))
}

/// Chrome on phones and in Android web views (4-part versions).
fn chrome_mobile(b: &[u8]) -> Option<Named> {
    let chrome4 = |from: usize| -> Option<([T; 4], usize)> {
        find_all(b, b"Chrome/")
            .filter(|&p| p >= from)
            .find_map(|p| dotted(b, p + 7, 4, 4))
    };
    if let Some(p) = find(b, b"Version/") {
        if let Some((v, _)) = chrome4(p + 8) {
            return Some(Named::lit("Chrome Mobile WebView", v));
        }
    }
    if let Some(p) = find(b, b"; wv)") {
        if let Some((v, _)) = chrome4(p + 5) {
            return Some(Named::lit("Chrome Mobile WebView", v));
        }
    }
    if let Some((_, v)) = name_slash_version(b, "CrMo", 4, 4) {
        return Some(Named::lit("Chrome Mobile", v));
    }
    if let Some((_, v)) = name_slash_version(b, "CriOS", 4, 4) {
        return Some(Named::lit("Chrome Mobile iOS", v));
    }
    // `(Chrome)/(\d+)\.(\d+)\.(\d+)\.(\d+) Mobile(?:[ /]|$)`
    for p in find_all(b, b"Chrome/") {
        if let Some((v, end)) = dotted(b, p + 7, 4, 4) {
            if b[end..].starts_with(b" Mobile")
                && matches!(b.get(end + 7), None | Some(b' ' | b'/'))
            {
                return Some(Named::lit("Chrome Mobile", v));
            }
        }
    }
    // ` Mobile .*(Chrome)/(\d+)\.(\d+)\.(\d+)\.(\d+)`
    if let Some(p) = find(b, b" Mobile ") {
        if let Some((v, _)) = chrome4(p + 8) {
            return Some(Named::lit("Chrome Mobile", v));
        }
    }
    None
}

fn yandex(b: &[u8]) -> Option<Named> {
    name_slash_version(b, "YaBrowser", 3, 3).map(|(_, v)| Named::lit("Yandex Browser", v))
}

fn vivaldi_edge_chrome(b: &[u8]) -> Option<Named> {
    if let Some((p, v)) = name_slash_version(b, "Vivaldi", 3, 3) {
        return Some(Named {
            name: T::Span(p, p + 7),
            v,
        });
    }
    // `(Edge?)/(\d+)(?:\.(\d+)|)(?:\.(\d+)|)(?:\.(\d+)|)` → Edge
    let edge = find_all(b, b"Edg").find_map(|p| {
        let at = if b.get(p + 3) == Some(&b'e') {
            p + 4
        } else {
            p + 3
        };
        if b.get(at) != Some(&b'/') {
            return None;
        }
        dotted(b, at + 1, 1, 4).map(|(v, _)| Named::lit("Edge", v))
    });
    if edge.is_some() {
        return edge;
    }
    // `(HeadlessChrome)(?:/(\d+)\.(\d+)\.(\d+)|)`
    if let Some(p) = find(b, b"HeadlessChrome") {
        let v = match b.get(p + 14) {
            Some(b'/') => dotted(b, p + 15, 3, 3).map_or([T::No; 4], |(v, _)| v),
            _ => [T::No; 4],
        };
        return Some(Named {
            name: T::Span(p, p + 14),
            v,
        });
    }
    // `(Chromium|Chrome)/(\d+)\.(\d+)(?:\.(\d+)|)(?:\.(\d+)|)`
    find_all(b, b"Chrom").find_map(|p| {
        let len = if b[p..].starts_with(b"Chromium/") {
            8
        } else if b[p..].starts_with(b"Chrome/") {
            6
        } else {
            return None;
        };
        dotted(b, p + len + 1, 2, 4).map(|(v, _)| Named {
            name: T::Span(p, p + len),
            v,
        })
    })
}

/// Safari and web views on iPhone, iPad and iPod.
fn mobile_safari(b: &[u8]) -> Option<Named> {
    let device = [&b"iPod"[..], b"iPhone", b"iPad"]
        .iter()
        .filter_map(|d| find(b, d).map(|p| (p, d.len())))
        .min();
    let (dp, dlen) = device?;
    let safari_after = |p: usize| {
        find_from(b, b"Safari", p).is_some_and(|q| q > 0 && matches!(b[q - 1], b' ' | b'+'))
    };
    // `(iPod|iPhone|iPad).+Version/(\d+)\.(\d+)(?:\.(\d+)|)(.*[ +]Safari)?`
    if let Some(q) = find_from(b, b"Version/", dp + dlen + 1) {
        if let Some((v, end)) = dotted(b, q + 8, 2, 3) {
            let name = if safari_after(end) {
                "Mobile Safari"
            } else {
                "Mobile Safari UI/WKWebView"
            };
            return Some(Named::lit(name, v));
        }
    }
    // `(iPod|iPod touch|iPhone|iPad);.*CPU.*OS[ +](\d+)_(\d+)(?:_(\d+)|).*Mobile(.*[ +]Safari)?`
    if b.get(dp + dlen) == Some(&b';') || b[dp + dlen..].starts_with(b" touch;") {
        if let Some(cpu) = find_from(b, b"CPU", dp) {
            let os = find_all(&b[cpu..], b"OS").map(|i| cpu + i).find_map(|o| {
                if !matches!(b.get(o + 2), Some(b' ' | b'+')) {
                    return None;
                }
                let mut v = [T::No; 4];
                let e1 = digits(b, o + 3)?;
                v[0] = T::Span(o + 3, e1);
                if b.get(e1) != Some(&b'_') {
                    return None;
                }
                let mut end = digits(b, e1 + 1)?;
                v[1] = T::Span(e1 + 1, end);
                if b.get(end) == Some(&b'_') {
                    if let Some(e3) = digits(b, end + 1) {
                        v[2] = T::Span(end + 1, e3);
                        end = e3;
                    }
                }
                Some((v, end))
            });
            if let Some((v, end)) = os {
                if let Some(m) = find_from(b, b"Mobile", end) {
                    let name = if safari_after(m) {
                        "Mobile Safari"
                    } else {
                        "Mobile Safari UI/WKWebView"
                    };
                    return Some(Named::lit(name, v));
                }
            }
        }
    }
    // `(iPod|iPhone|iPad).* Safari`, then the device alone.
    let name = if find_from(b, b" Safari", dp + dlen).is_some() {
        "Mobile Safari"
    } else {
        "Mobile Safari UI/WKWebView"
    };
    Some(Named::lit(name, [T::No; 4]))
}

fn safari(b: &[u8]) -> Option<Named> {
    // `(Version)/(\d+)\.(\d+)(?:\.(\d+)|).*Safari/`
    for p in find_all(b, b"Version/") {
        if let Some((v, end)) = dotted(b, p + 8, 2, 3) {
            if find_from(b, b"Safari/", end).is_some() {
                return Some(Named::lit("Safari", v));
            }
        }
    }
    // `(Safari)/\d+`
    find_all(b, b"Safari/")
        .find(|&p| digits(b, p + 7).is_some())
        .map(|p| Named {
            name: T::Span(p, p + 6),
            v: [T::No; 4],
        })
}

/// `(Trident)/(7|8)\.(0)` and older: IE by its engine version.
fn trident(b: &[u8]) -> Option<Named> {
    find_all(b, b"Trident/").find_map(|p| {
        let major = match (b.get(p + 8), b.get(p + 9), b.get(p + 10)) {
            (Some(b'7' | b'8'), Some(b'.'), Some(b'0')) => "11",
            (Some(b'6'), Some(b'.'), Some(b'0')) => "10",
            (Some(b'5'), Some(b'.'), Some(b'0')) => "9",
            (Some(b'4'), Some(b'.'), Some(b'0')) => "8",
            _ => return None,
        };
        Some(Named::lit(
            "IE",
            [T::Lit(major), T::Span(p + 10, p + 11), T::No, T::No],
        ))
    })
}

fn apple_mail(b: &[u8]) -> Option<Named> {
    name_slash_version(b, "AppleWebKit", 3, 3).map(|(_, v)| Named::lit("Apple Mail", v))
}

/// `(Firefox)/(\d+)\.(\d+)\.(\d+)`, then `(Firefox)/(\d+)\.(\d+)(pre|[ab]\d+[a-z]*|)`
/// whose empty third group gives Elasticsearch's `89.0.`.
fn firefox(b: &[u8]) -> Option<Named> {
    if let Some((p, v)) = name_slash_version(b, "Firefox", 3, 3) {
        return Some(Named {
            name: T::Span(p, p + 7),
            v,
        });
    }
    find_all(b, b"Firefox/").find_map(|p| {
        let (mut v, end) = dotted(b, p + 8, 2, 2)?;
        v[2] = if b[end..].starts_with(b"pre") {
            T::Span(end, end + 3)
        } else {
            T::Lit("")
        };
        Some(Named {
            name: T::Span(p, p + 7),
            v,
        })
    })
}

/// `([MS]?IE) (\d+)\.(\d+)` → IE
fn msie(b: &[u8]) -> Option<Named> {
    find_all(b, b"IE ").find_map(|p| dotted(b, p + 3, 2, 2).map(|(v, _)| Named::lit("IE", v)))
}

fn python_requests(b: &[u8]) -> Option<Named> {
    name_slash_version(b, "python-requests", 2, 2).map(|(_, v)| Named::lit("Python Requests", v))
}

/// uap's "headless user-agents": download tools, version optional.
fn command_line_tool(b: &[u8]) -> Option<Named> {
    const NAMES: &[&str] = &[
        "Windows-Update-Agent",
        "Microsoft-CryptoAPI",
        "Debian APT-HTTP",
        "Ubuntu APT-HTTP",
        "libcurl-agent",
        "libwww-perl",
        "urlgrabber",
        "curl",
        "PycURL",
        "Wget",
        "aria2",
        "lftp",
        "insomnia",
    ];
    optional_version(b, NAMES, true)
}

/// `(Java)[/ ]{0,1}\d+\.(\d+)\.(\d+)[_-]*([a-zA-Z0-9]+|)`: the major version
/// is skipped (`Java/1.8.0_151` is Java `8.0.151`).
fn java(b: &[u8]) -> Option<Named> {
    find_all(b, b"Java").find_map(|p| {
        let mut i = p + 4;
        if matches!(b.get(i), Some(b'/' | b' ')) {
            i += 1;
        }
        let e0 = digits(b, i)?;
        if b.get(e0) != Some(&b'.') {
            return None;
        }
        let e1 = digits(b, e0 + 1)?;
        if b.get(e1) != Some(&b'.') {
            return None;
        }
        let e2 = digits(b, e1 + 1)?;
        let mut s = e2;
        while matches!(b.get(s), Some(b'_' | b'-')) {
            s += 1;
        }
        let e3 = s + b[s..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        Some(Named {
            name: T::Span(p, p + 4),
            v: [
                T::Span(e0 + 1, e1),
                T::Span(e1 + 1, e2),
                T::Span(s, e3),
                T::No,
            ],
        })
    })
}

/// Cloud storage tools anchored at the start: Cyberduck, S3 Browser, rclone.
fn storage_tool(b: &[u8]) -> Option<Named> {
    if b.starts_with(b"Cyberduck/") {
        return dotted(b, 10, 3, 3).map(|(v, _)| Named {
            name: T::Span(0, 9),
            v,
        });
    }
    if b.starts_with(b"S3 Browser ") {
        // `(S3 Browser) (\d+)-(\d+)-(\d+)`
        let e0 = digits(b, 11)?;
        (b.get(e0) == Some(&b'-')).then_some(())?;
        let e1 = digits(b, e0 + 1)?;
        (b.get(e1) == Some(&b'-')).then_some(())?;
        let e2 = digits(b, e1 + 1)?;
        return Some(Named {
            name: T::Span(0, 10),
            v: [
                T::Span(11, e0),
                T::Span(e0 + 1, e1),
                T::Span(e1 + 1, e2),
                T::No,
            ],
        });
    }
    if b.starts_with(b"rclone/v") {
        return dotted(b, 8, 2, 2).map(|(v, _)| Named {
            name: T::Span(0, 6),
            v,
        });
    }
    None
}

// ---------------------------------------------------------------------------
// Operating systems, in uap-core's order.

fn os(b: &[u8]) -> Option<Named> {
    windows_phone(b)
        .or_else(|| android(b))
        .or_else(|| windows(b))
        .or_else(|| mac_os_x(b))
        .or_else(|| ios(b))
        .or_else(|| chrome_os(b))
        .or_else(|| debian(b))
        .or_else(|| distribution_with_version(b))
        .or_else(|| bare_os(b))
        .or_else(|| linux(b))
}

fn windows_phone(b: &[u8]) -> Option<Named> {
    // `(Windows Phone) (?:OS[ /])?(\d+)\.(\d+)`
    find_all(b, b"Windows Phone ").find_map(|p| {
        let mut i = p + 14;
        if b[i..].starts_with(b"OS") && matches!(b.get(i + 2), Some(b' ' | b'/')) {
            i += 3;
        }
        dotted(b, i, 2, 2).map(|(v, _)| Named {
            name: T::Span(p, p + 13),
            v,
        })
    })
}

/// `(Android)[ \-/](\d+)(?:\.(\d+)|)(?:[.\-]([a-z0-9]+)|)`
fn android(b: &[u8]) -> Option<Named> {
    find_all(b, b"Android").find_map(|p| {
        if !matches!(b.get(p + 7), Some(b' ' | b'-' | b'/')) {
            return None;
        }
        let mut v = [T::No; 4];
        let s = p + 8;
        let mut end = digits(b, s)?;
        v[0] = T::Span(s, end);
        if b.get(end) == Some(&b'.') {
            if let Some(e) = digits(b, end + 1) {
                v[1] = T::Span(end + 1, e);
                end = e;
            }
        }
        if matches!(b.get(end), Some(b'.' | b'-')) {
            let n = b[end + 1..]
                .iter()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                .count();
            if n > 0 {
                v[2] = T::Span(end + 1, end + 1 + n);
            }
        }
        Some(Named {
            name: T::Span(p, p + 7),
            v,
        })
    })
}

/// Windows NT kernel versions to marketing names, in uap's rule order.
fn windows(b: &[u8]) -> Option<Named> {
    const RULES: &[(&str, &str, Option<&str>)] = &[
        ("Windows 10", "10", None),
        ("Windows NT 5.2", "XP", None),
        ("Windows NT 5.1", "XP", None),
        ("Windows NT 6.1", "7", None),
        ("Windows NT 6.0", "Vista", None),
        ("Win 9x 4.90", "ME", None),
        ("Windows NT 6.2; ARM;", "RT", None),
        ("Windows NT 6.2", "8", None),
        ("Windows NT 6.3; ARM;", "RT 8", Some("1")),
        ("Windows NT 6.3", "8", Some("1")),
        ("Windows NT 6.4", "10", None),
        ("Windows NT 10.0", "10", None),
        ("Windows NT 5.0", "2000", None),
        ("WinNT4.0", "NT 4.0", None),
        ("Windows CE", "CE", None),
        ("WindowsCE", "CE", None),
    ];
    let lit = |v1: &'static str, v2: Option<&'static str>| {
        Named::lit(
            "Windows",
            [T::Lit(v1), v2.map_or(T::No, T::Lit), T::No, T::No],
        )
    };
    // "Windows NT 5.2" covers "Windows (?:NT 5\.2|NT 5\.1)" as one rule: the earliest wins.
    if let Some(r) = RULES
        .iter()
        .find(|(pat, ..)| find(b, pat.as_bytes()).is_some())
    {
        return Some(lit(r.1, r.2));
    }
    // `Win(?:dows)? ?(95|98|3.1|NT|ME|2000|XP|Vista|7|CE)` → Windows $1
    const TAILS: &[&str] = &[
        "95", "98", "3.1", "NT", "ME", "2000", "XP", "Vista", "7", "CE",
    ];
    let tail = find_all(b, b"Win").find_map(|p| {
        let mut i = p + 3;
        if b[i..].starts_with(b"dows") {
            i += 4;
        }
        let try_at = |i: usize| {
            TAILS
                .iter()
                .find(|t| b[i..].starts_with(t.as_bytes()))
                .map(|t| (i, t.len()))
        };
        let hit = if b.get(i) == Some(&b' ') {
            try_at(i + 1).or_else(|| try_at(i))
        } else {
            try_at(i)
        };
        hit.map(|(s, len)| Named::lit("Windows", [T::Span(s, s + len), T::No, T::No, T::No]))
    });
    if tail.is_some() {
        return tail;
    }
    if find(b, b"Win16").is_some() {
        return Some(lit("3.1", None));
    }
    if find(b, b"Win32").is_some() {
        return Some(lit("95", None));
    }
    None
}

/// `((?:Mac[ +]?|; )OS[ +]X)[\s+/](?:(\d+)[_.](\d+)(?:[_.](\d+)|)|Mach-O)`,
/// then `(?:PPC|Intel) (Mac OS X)` without a version.
fn mac_os_x(b: &[u8]) -> Option<Named> {
    let versioned = find_all(b, b"OS").find_map(|p| {
        let pre_ok = b[..p].ends_with(b"Mac")
            || b[..p].ends_with(b"Mac ")
            || b[..p].ends_with(b"Mac+")
            || b[..p].ends_with(b"; ");
        if !pre_ok || !matches!(b.get(p + 2), Some(b' ' | b'+')) || b.get(p + 3) != Some(&b'X') {
            return None;
        }
        let sep = *b.get(p + 4)?;
        if !(sep.is_ascii_whitespace() || sep == b'+' || sep == b'/') {
            return None;
        }
        let i = p + 5;
        if b[i..].starts_with(b"Mach-O") {
            return Some(Named::lit("Mac OS X", [T::No; 4]));
        }
        let e0 = digits(b, i)?;
        if !matches!(b.get(e0), Some(b'_' | b'.')) {
            return None;
        }
        let e1 = digits(b, e0 + 1)?;
        let mut v = [T::Span(i, e0), T::Span(e0 + 1, e1), T::No, T::No];
        if matches!(b.get(e1), Some(b'_' | b'.')) {
            if let Some(e2) = digits(b, e1 + 1) {
                v[2] = T::Span(e1 + 1, e2);
            }
        }
        Some(Named::lit("Mac OS X", v))
    });
    if versioned.is_some() {
        return versioned;
    }
    if find(b, b"PPC Mac OS X").is_some() || find(b, b"Intel Mac OS X").is_some() {
        return Some(Named::lit("Mac OS X", [T::No; 4]));
    }
    None
}

fn ios(b: &[u8]) -> Option<Named> {
    // `(CPU[ +]OS|iPhone[ +]OS|CPU[ +]iPhone|CPU IPhone OS)[ +]+(\d+)[_\.](\d+)(?:[_\.](\d+)|)`
    const LEADS: &[&str] = &[
        "CPU OS",
        "CPU+OS",
        "iPhone OS",
        "iPhone+OS",
        "CPU iPhone",
        "CPU+iPhone",
        "CPU IPhone OS",
    ];
    let mut best: Option<(usize, Named)> = None;
    for lead in LEADS {
        for p in find_all(b, lead.as_bytes()) {
            let mut i = p + lead.len();
            let spaces = b[i..]
                .iter()
                .take_while(|c| matches!(c, b' ' | b'+'))
                .count();
            if spaces == 0 {
                continue;
            }
            i += spaces;
            let Some(e0) = digits(b, i) else { continue };
            if !matches!(b.get(e0), Some(b'_' | b'.')) {
                continue;
            }
            let Some(e1) = digits(b, e0 + 1) else {
                continue;
            };
            let mut v = [T::Span(i, e0), T::Span(e0 + 1, e1), T::No, T::No];
            if matches!(b.get(e1), Some(b'_' | b'.')) {
                if let Some(e2) = digits(b, e1 + 1) {
                    v[2] = T::Span(e1 + 1, e2);
                }
            }
            if best.as_ref().is_none_or(|(bp, _)| p < *bp) {
                best = Some((p, Named::lit("iOS", v)));
            }
            break;
        }
    }
    if let Some((_, n)) = best {
        return Some(n);
    }
    // CFNetwork apps on iOS (uap maps Darwin versions; the generic rule has no version).
    if let Some(p) = find(b, b"CFNetwork/") {
        if find_from(b, b" Darwin/", p).is_some() {
            return Some(Named::lit("iOS", [T::No; 4]));
        }
    }
    // iOS apps: `\b(iOS[ /]|iOS; )(\d{1,2})[_\.](\d{1,2})(?:[_\.](\d+)|)`
    let app = find_all(b, b"iOS").find_map(|p| {
        if !word_start(b, p) {
            return None;
        }
        let i = match b.get(p + 3) {
            Some(b' ' | b'/') => p + 4,
            Some(b';') if b.get(p + 4) == Some(&b' ') => p + 5,
            _ => return None,
        };
        let e0 = digits(b, i).filter(|e| e - i <= 2)?;
        if !matches!(b.get(e0), Some(b'_' | b'.')) {
            return None;
        }
        let e1 = digits(b, e0 + 1).filter(|e| e - e0 - 1 <= 2)?;
        let mut v = [T::Span(i, e0), T::Span(e0 + 1, e1), T::No, T::No];
        if matches!(b.get(e1), Some(b'_' | b'.')) {
            if let Some(e2) = digits(b, e1 + 1) {
                v[2] = T::Span(e1 + 1, e2);
            }
        }
        Some(Named::lit("iOS", v))
    });
    if app.is_some() {
        return app;
    }
    if find(b, b"iPod").is_some() || find(b, b"iPhone").is_some() || find(b, b"iPad").is_some() {
        return Some(Named::lit("iOS", [T::No; 4]));
    }
    None
}

/// `(CrOS) [a-z0-9_]+ (\d+)\.(\d+)(?:\.(\d+)|)`
fn chrome_os(b: &[u8]) -> Option<Named> {
    find_all(b, b"CrOS ").find_map(|p| {
        let i = p + 5;
        let n = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || **c == b'_')
            .count();
        if n == 0 || b.get(i + n) != Some(&b' ') {
            return None;
        }
        dotted(b, i + n + 1, 2, 3).map(|(v, _)| Named::lit("Chrome OS", v))
    })
}

fn debian(b: &[u8]) -> Option<Named> {
    (find(b, b"Debian").is_some() || find(b, b"debian").is_some())
        .then(|| Named::lit("Debian", [T::No; 4]))
}

/// `(Fedora|Red Hat|Ubuntu|Lubuntu|Slackware|FreeBSD|OpenBSD|NetBSD)[/ ](\d+)\.(\d+)…`
fn distribution_with_version(b: &[u8]) -> Option<Named> {
    const NAMES: &[&str] = &[
        "Fedora",
        "Red Hat",
        "Ubuntu",
        "Lubuntu",
        "Slackware",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
    ];
    earliest(NAMES.iter().map(|name| {
        let pat = name.as_bytes();
        find_all(b, pat).find_map(|p| {
            let at = p + pat.len();
            if !matches!(b.get(at), Some(b'/' | b' ')) {
                return None;
            }
            dotted(b, at + 1, 2, 4).map(|(v, _)| {
                (
                    p,
                    Named {
                        name: T::Span(p, at),
                        v,
                    },
                )
            })
        })
    }))
}

/// OS names alone: `(Windows|Android|…)`, then `(Ubuntu|Kubuntu|Arch Linux|CentOS|…)`.
fn bare_os(b: &[u8]) -> Option<Named> {
    let first = |names: &[&'static str]| {
        earliest(names.iter().map(|n| {
            find(b, n.as_bytes()).map(|p| {
                (
                    p,
                    Named {
                        name: T::Span(p, p + n.len()),
                        v: [T::No; 4],
                    },
                )
            })
        }))
    };
    first(&["Windows", "Android"]).or_else(|| {
        first(&[
            "Ubuntu",
            "Kubuntu",
            "Arch Linux",
            "CentOS",
            "Slackware",
            "Gentoo",
            "openSUSE",
            "SUSE",
            "Red Hat",
            "Fedora",
            "Mageia",
            "FreeBSD",
            "OpenBSD",
            "NetBSD",
        ])
    })
}

/// `(Linux)(?:[ /](\d+)\.(\d+)(?:\.(\d+)|)|)`, `SunOS`, then lower-case `linux`.
fn linux(b: &[u8]) -> Option<Named> {
    if let Some(p) = find(b, b"Linux") {
        let v = match b.get(p + 5) {
            Some(b' ' | b'/') => dotted(b, p + 6, 2, 3).map_or([T::No; 4], |(v, _)| v),
            _ => [T::No; 4],
        };
        return Some(Named {
            name: T::Span(p, p + 5),
            v,
        });
    }
    if find(b, b"SunOS").is_some() {
        return Some(Named::lit("Solaris", [T::No; 4]));
    }
    find(b, b"linux").map(|_| Named::lit("Linux", [T::No; 4]))
}

// ---------------------------------------------------------------------------
// Devices, in uap-core's order.

fn device(b: &[u8]) -> Option<Device> {
    mobile_spider(b)
        .or_else(|| apple_device(b))
        .or_else(|| android_device(b))
        .or_else(|| generic_smartphone(b))
        .or_else(|| spider(b))
        .or_else(|| find(b, b"Mac OS").and_then(|_| Device::lit("Mac")))
}

/// Lower-cases up to `N` leading bytes into a stack buffer.
fn lowercase_prefix<const N: usize>(b: &[u8]) -> ([u8; N], usize) {
    let mut buf = [0u8; N];
    let n = b.len().min(N);
    for (d, s) in buf.iter_mut().zip(&b[..n]) {
        *d = s.to_ascii_lowercase();
    }
    (buf, n)
}

/// Crawlers announcing a phone: `(iPhone|Windows CE|Windows Phone|Android).*(bot-mobile|bots?/\d|bot.html|…)`.
fn mobile_spider(b: &[u8]) -> Option<Device> {
    let (buf, n) = lowercase_prefix::<512>(b);
    let l = &buf[..n];
    let phone = [&b"iphone"[..], b"windows ce", b"windows phone", b"android"]
        .iter()
        .filter_map(|k| find(l, k))
        .min()?;
    let rest = &l[phone..];
    let hit = [
        &b"bot-mobile"[..],
        b"yeti-mobile",
        b"yrspider",
        b"bingpreview",
        b"bot.html",
        b"spider.html",
        b"google-inspectiontool",
    ]
    .iter()
    .any(|k| find(rest, k).is_some())
        || [&b"bot/"[..], b"bots/"].iter().any(|k| {
            find_all(rest, k).any(|p| rest.get(p + k.len()).is_some_and(u8::is_ascii_digit))
        });
    hit.then_some(Device {
        prefix: "",
        name: T::Lit("Spider"),
    })
}

fn apple_device(b: &[u8]) -> Option<Device> {
    if find(b, b"iPad").is_some() {
        return Device::lit("iPad");
    }
    if find(b, b"iPod").is_some() {
        return Device::lit("iPod");
    }
    if find(b, b"iPhone").is_some() {
        return Device::lit("iPhone");
    }
    None
}

/// `Android \d+(?:\.\d+)*; (MODEL)(?: Build|\) AppleWebKit)`: the model, with
/// Samsung's `SM-` models prefixed by the brand as uap does.
fn android_device(b: &[u8]) -> Option<Device> {
    find_all(b, b"Android ").find_map(|p| {
        let mut i = digits(b, p + 8)?;
        while b.get(i) == Some(&b'.') {
            i = digits(b, i + 1)?;
        }
        if !b[i..].starts_with(b"; ") {
            return None;
        }
        let s = i + 2;
        let window = &b[s..b.len().min(s + 101)];
        let build = find(window, b" Build").unwrap_or(usize::MAX);
        let webkit = find(window, b") AppleWebKit").unwrap_or(usize::MAX);
        let e = build.min(webkit);
        if e == 0 || e == usize::MAX || window[..e].contains(&b';') {
            return None;
        }
        // Samsung models read `SM-…` or `SAMSUNG SM-…`; uap names them `Samsung SM-…`.
        let brand = [&b"SAMSUNG "[..], b"Samsung "]
            .iter()
            .find(|b| window[..e].starts_with(b) && window[b.len()..e].starts_with(b"SM-"))
            .map_or(0, |b| b.len());
        let prefix = if window[brand..e].starts_with(b"SM-") {
            "Samsung "
        } else {
            ""
        };
        Some(Device {
            prefix,
            name: T::Span(s + brand, s + e),
        })
    })
}

fn generic_smartphone(b: &[u8]) -> Option<Device> {
    [
        &b"Android"[..],
        b"iPhone OS",
        b"Windows Phone",
        b"Windows CE",
        b"Symbian",
        b"Opera Mobi",
        b"MobileSafari",
    ]
    .iter()
    .any(|k| find(b, k).is_some())
    .then_some(Device {
        prefix: "",
        name: T::Lit("Generic Smartphone"),
    })
}

/// uap's catch-all crawler rule: any of these words (case-insensitive)
/// starting within the first 100 characters makes the device a `Spider`.
fn spider(b: &[u8]) -> Option<Device> {
    const WINDOW: usize = 100;
    let (buf, n) = lowercase_prefix::<160>(b);
    let l = &buf[..n];
    let anchored = [&b"ning"[..], b"java/", b"jnlp/", b"voyager"]
        .iter()
        .any(|k| l.starts_with(k));
    let hit = anchored
        || (0..n.min(WINDOW + 1)).any(|i| {
            let at = &l[i..];
            spider_words(l[i])
                .iter()
                .any(|w| at.starts_with(w.as_bytes()))
                || (l[i] == b'g'
                    && at.starts_with(b"google")
                    && find(&at[6..], b"/+/web/snippet").is_some())
        });
    hit.then_some(Device {
        prefix: "",
        name: T::Lit("Spider"),
    })
}

/// The crawler words of uap's spider rule, by first letter (words that
/// contain `bot`, `crawl` or `spider` are covered by those three).
fn spider_words(first: u8) -> &'static [&'static str] {
    match first {
        b'a' => &["altavista", "appengine-google", "archiver"],
        b'b' => &["bot", "bubing", "borg", "bingpreview", "blogbridge"],
        b'c' => &["crawl", "cibra", "charlotte"],
        b'd' => &["daum", "dataparksearch"],
        b'f' => &["favicon", "findlinks", "facebookexternalhit"],
        b'g' => &[
            "genieo",
            "gomezagent",
            "google-http-java-client",
            "google web preview",
            "google-inspectiontool",
        ],
        b'h' => &["htdig", "heritrix", "holmes", "http%20client"],
        b'i' => &[
            "ichiro",
            "indexer",
            "icarus6j",
            "iltrovatore-setaccio",
            "internetarchive",
        ],
        b'l' => &["lycos", "larbin"],
        b'm' => &["mogimogi", "masscan"],
        b'n' => &["nutch", "netvibes", "netresearch", "newsgator"],
        b'o' => &["oegp", "ogscrper"],
        b'p' => &["pompos", "python-urllib", "pagepeeker", "pingdom"],
        b'q' => &["qwantify"],
        b'r' => &["riddler", "retreiver", "reaper", "reciperadar"],
        b's' => &[
            "spider",
            "silk",
            "slurp",
            "sogou",
            "scrapy",
            "snappy",
            "speedy",
            "scooter",
            "scraper",
            "scrubby",
            "searchsight",
            "semanticdiscovery",
            "screaming frog",
            "squrl java",
            "statuscake",
        ],
        b't' => &["teoma", "tlsprober"],
        b'v' => &["voila", "vortex"],
        b'w' => &[
            "whatweb",
            "winhttp",
            "wordpress",
            "wsr-agent",
            "webthumbnail",
            "whatsapp",
        ],
        b'x' => &["xenu"],
        b'y' => &["yahoo", "yeti"],
        b'z' => &["zao", "zeal", "zooshot"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, version, os.name, os.version, os.full, device)
    type Expected<'a> = (
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
    );

    fn check(ua: &str, want: Expected<'_>) {
        let got = parse(ua);
        let got = (
            got.name.as_ref(),
            got.version.as_deref(),
            got.os_name.as_deref(),
            got.os_version.as_deref(),
            got.os_full.as_deref(),
            got.device.as_ref(),
        );
        assert_eq!(got, want, "user agent {ua:?}");
    }

    #[test]
    fn aws_sdk_java_with_linux_kernel_as_elastic_reports_it() {
        check(
            "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590 Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64 OpenJDK_64-Bit_Server_VM/25.212-b03 java/1.8.0_212 vendor/Oracle_Corporation",
            ("aws-sdk-java", Some("1.11.590"), Some("Linux"), Some("4.9.137"), Some("Linux 4.9.137"), "Other"),
        );
    }

    #[test]
    fn aws_cli_v1_with_botocore_is_a_spider_device() {
        check(
            "aws-cli/1.16.310 Python/3.8.1 Darwin/18.7.0 botocore/1.13.46",
            ("aws-cli", Some("1.16.310"), None, None, None, "Spider"),
        );
        check(
            "aws-cli/1.16.248 Python/3.4.7 Linux/4.9.184-0.1.ac.235.83.329.metal1.x86_64 botocore/1.12.239",
            ("aws-cli", Some("1.16.248"), Some("Linux"), Some("4.9.184"), Some("Linux 4.9.184"), "Spider"),
        );
        check(
            "aws-cli/1.3.2 Python/2.7.5 Windows/7",
            (
                "aws-cli",
                Some("1.3.2"),
                Some("Windows"),
                None,
                None,
                "Other",
            ),
        );
    }

    #[test]
    fn aws_cli_v2_metadata_only_lower_case_linux_gives_an_os() {
        check(
            "[aws-cli/2.17.60 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3api.copy-object]",
            ("aws-cli", Some("2.17.60"), None, None, None, "Other"),
        );
        check(
            "aws-cli/2.18.17 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#iam.attach-user-policy",
            ("aws-cli", Some("2.18.17"), Some("Linux"), None, None, "Other"),
        );
        check(
            "aws-cli/2.14.5 Python/3.11.6 Darwin/23.6.0 exec-env/grimoire_7ea17849-045c-4e81-8a81-d0822d5c4aaf exe/x86_64 prompt/off command/ec2.run-instances",
            ("aws-cli", Some("2.14.5"), None, None, None, "Other"),
        );
    }

    #[test]
    fn aws_sdks_and_boto() {
        check(
            "aws-sdk-nodejs/2.1384.0 darwin/v20.16.0 AWS-Toolkit-For-VSCode/3.31.0 Visual-Studio-Code/1.94.2 ClientId/37f8324b-eab7-4264-9abd-4be2e6454726 promise",
            ("aws-sdk-nodejs", Some("2.1384.0"), None, None, None, "Other"),
        );
        check(
            "APN/1.0 HashiCorp/1.0 Terraform/1.11.0 (+https://www.terraform.io) terraform-provider-aws/4.61.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.232 (go1.19.7; linux; amd64)",
            ("aws-sdk-go", Some("1.44.232"), Some("Linux"), None, None, "Other"),
        );
        check(
            "Boto3/1.28.62 md/Botocore#1.31.62 ua/2.0 os/linux#5.10.0 md/arch#x86_64 lang/python#3.11.6 Botocore/1.31.62",
            ("Boto3", Some("1.28.62"), Some("Linux"), None, None, "Spider"),
        );
        check(
            "Boto/2.49.0 Python/2.7.18 Linux/5.4.0",
            (
                "Boto",
                Some("2.49.0"),
                Some("Linux"),
                Some("5.4.0"),
                Some("Linux 5.4.0"),
                "Spider",
            ),
        );
        check(
            "aws-sdk-ruby2/2.11.632 ruby/2.7.0 x86_64-linux",
            (
                "aws-sdk-ruby2",
                Some("2.11.632"),
                Some("Linux"),
                None,
                None,
                "Other",
            ),
        );
        check(
            "aws-sdk-dotnet-45/3.3.104.1 aws-sdk-dotnet-core/3.3.104.1",
            (
                "aws-sdk-dotnet-45",
                Some("3.3.104"),
                None,
                None,
                None,
                "Other",
            ),
        );
        check(
            "aws-sdk-cpp/1.9.0 Linux/5.4 x86_64",
            (
                "aws-sdk-cpp",
                Some("1.9.0"),
                Some("Linux"),
                Some("5.4"),
                Some("Linux 5.4"),
                "Other",
            ),
        );
        check(
            "JetS3t/0.9.4 (Linux/4.14; amd64; en)",
            (
                "JetS3t",
                Some("0.9.4"),
                Some("Linux"),
                Some("4.14"),
                Some("Linux 4.14"),
                "Other",
            ),
        );
        check(
            "s3fs/1.90 (commit hash 1a2b; OpenSSL)",
            ("s3fs", Some("1.90"), None, None, None, "Other"),
        );
    }

    #[test]
    fn aws_sdk_go_v2_and_unknown_sdks_are_other() {
        check(
            "aws-sdk-go-v2/1.21.0 os/linux lang/go#1.20.7",
            ("Other", None, Some("Linux"), None, None, "Other"),
        );
        check(
            "aws-sdk-php/3.281.0 OS/Linux/5.10 lang/php/8.2",
            (
                "Other",
                None,
                Some("Linux"),
                Some("5.10"),
                Some("Linux 5.10"),
                "Other",
            ),
        );
        check("S3Console/0.4", ("Other", None, None, None, None, "Other"));
    }

    #[test]
    fn unknown_agents_are_other_without_os() {
        check("Hello, world", ("Other", None, None, None, None, "Other"));
        check("AWSConsole", ("Other", None, None, None, None, "Other"));
        check(
            "signin.amazonaws.com",
            ("Other", None, None, None, None, "Other"),
        );
        check("", ("Other", None, None, None, None, "Other"));
    }

    #[test]
    fn http_libraries() {
        check(
            "Go-http-client/1.1",
            ("Go-http-client", Some("1.1"), None, None, None, "Other"),
        );
        check(
            "Apache-HttpClient/4.5.13 (Java/1.8.0_312)",
            (
                "Apache-HttpClient",
                Some("4.5.13"),
                None,
                None,
                None,
                "Other",
            ),
        );
        check(
            "okhttp/4.9.0",
            ("okhttp", Some("4.9.0"), None, None, None, "Other"),
        );
        check(
            "Python-urllib/3.8",
            ("Python-urllib", Some("3.8"), None, None, None, "Spider"),
        );
    }

    #[test]
    fn curl_wget_and_python_requests() {
        check(
            "curl/7.46.0",
            ("curl", Some("7.46.0"), None, None, None, "Other"),
        );
        check(
            "curl/8.5.0",
            ("curl", Some("8.5.0"), None, None, None, "Other"),
        );
        check(
            "Wget/1.21.2 (linux-gnu)",
            ("Wget", Some("1.21.2"), Some("Linux"), None, None, "Other"),
        );
        check(
            "python-requests/2.31.0",
            ("Python Requests", Some("2.31"), None, None, None, "Other"),
        );
        check(
            "libcurl-agent/1.0",
            ("libcurl-agent", Some("1.0"), None, None, None, "Other"),
        );
    }

    #[test]
    fn java_skips_the_leading_one() {
        check(
            "Java/1.8.0_151",
            ("Java", Some("8.0.151"), None, None, None, "Spider"),
        );
    }

    #[test]
    fn chrome_on_windows_10() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36",
            ("Chrome", Some("91.0.4472.124"), Some("Windows"), Some("10"), Some("Windows 10"), "Other"),
        );
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0 Safari/537.36",
            ("Chrome", Some("123.0"), Some("Windows"), Some("10"), Some("Windows 10"), "Other"),
        );
    }

    #[test]
    fn chrome_on_mac_is_a_mac_device() {
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.114 Safari/537.36",
            ("Chrome", Some("91.0.4472.114"), Some("Mac OS X"), Some("10.15.7"), Some("Mac OS X 10.15.7"), "Mac"),
        );
    }

    #[test]
    fn chrome_os_and_headless_chrome() {
        check(
            "Mozilla/5.0 (X11; CrOS x86_64 13904.97.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.167 Safari/537.36",
            ("Chrome", Some("91.0.4472.167"), Some("Chrome OS"), Some("13904.97.0"), Some("Chrome OS 13904.97.0"), "Other"),
        );
        check(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/91.0.4472.114 Safari/537.36",
            ("HeadlessChrome", Some("91.0.4472"), Some("Linux"), None, None, "Other"),
        );
    }

    #[test]
    fn chrome_mobile_on_android_with_model() {
        check(
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Mobile Safari/537.36",
            ("Chrome Mobile", Some("114.0.0.0"), Some("Android"), Some("10"), Some("Android 10"), "K"),
        );
        check(
            "Mozilla/5.0 (Linux; Android 11; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.120 Mobile Safari/537.36",
            ("Chrome Mobile", Some("91.0.4472.120"), Some("Android"), Some("11"), Some("Android 11"), "Samsung SM-G991B"),
        );
        check(
            "Mozilla/5.0 (Linux; Android 4.4.2; Nexus 5 Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/30.0.0.0 Mobile Safari/537.36",
            ("Chrome Mobile WebView", Some("30.0.0.0"), Some("Android"), Some("4.4.2"), Some("Android 4.4.2"), "Nexus 5"),
        );
    }

    #[test]
    fn chrome_on_ios() {
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 14_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/91.0.4472.80 Mobile/15E148 Safari/604.1",
            ("Chrome Mobile iOS", Some("91.0.4472.80"), Some("iOS"), Some("14.6"), Some("iOS 14.6"), "iPhone"),
        );
    }

    #[test]
    fn edge_chromium_and_legacy() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36 Edg/91.0.864.59",
            ("Edge", Some("91.0.864.59"), Some("Windows"), Some("10"), Some("Windows 10"), "Other"),
        );
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582",
            ("Edge", Some("18.19582"), Some("Windows"), Some("10"), Some("Windows 10"), "Other"),
        );
    }

    #[test]
    fn opera_desktop_and_mobile() {
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36 OPR/77.0.4054.203",
            ("Opera", Some("77.0.4054"), Some("Windows"), Some("10"), Some("Windows 10"), "Other"),
        );
        check(
            "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.120 Mobile Safari/537.36 OPR/63.3.3216.58675",
            ("Opera Mobile", Some("63.3.3216"), Some("Android"), Some("10"), Some("Android 10"), "VOG-L29"),
        );
        check(
            "Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18",
            (
                "Opera",
                Some("12.18"),
                Some("Windows"),
                Some("7"),
                Some("Windows 7"),
                "Other",
            ),
        );
    }

    #[test]
    fn samsung_internet_yandex_and_vivaldi() {
        check(
            "Mozilla/5.0 (Linux; Android 11; SAMSUNG SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/14.2 Chrome/87.0.4280.141 Mobile Safari/537.36",
            ("Samsung Internet", Some("14.2"), Some("Android"), Some("11"), Some("Android 11"), "Samsung SM-G991B"),
        );
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.212 YaBrowser/21.5.3.742 Yowser/2.5 Safari/537.36",
            ("Yandex Browser", Some("21.5.3"), Some("Windows"), Some("10"), Some("Windows 10"), "Other"),
        );
        check(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36 Vivaldi/4.0.2312.36",
            ("Vivaldi", Some("4.0.2312"), Some("Linux"), None, None, "Other"),
        );
    }

    #[test]
    fn firefox_version_keeps_elastics_trailing_dot() {
        check(
            "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0",
            (
                "Firefox",
                Some("24.0."),
                Some("Windows"),
                Some("7"),
                Some("Windows 7"),
                "Other",
            ),
        );
        check(
            "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/123.0",
            (
                "Firefox",
                Some("123.0."),
                Some("Linux"),
                None,
                None,
                "Other",
            ),
        );
        check(
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:89.0) Gecko/20100101 Firefox/89.0.2",
            (
                "Firefox",
                Some("89.0.2"),
                Some("Ubuntu"),
                None,
                None,
                "Other",
            ),
        );
    }

    #[test]
    fn firefox_variants() {
        check(
            "Mozilla/5.0 (Android 11; Mobile; rv:68.0) Gecko/68.0 Firefox/89.0",
            (
                "Firefox Mobile",
                Some("89.0"),
                Some("Android"),
                Some("11"),
                Some("Android 11"),
                "Generic Smartphone",
            ),
        );
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 14_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/34.1 Mobile/15E148 Safari/605.1.15",
            ("Firefox iOS", Some("34.1."), Some("iOS"), Some("14.6"), Some("iOS 14.6"), "iPhone"),
        );
        check(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:90.0) Gecko/20100101 Firefox/90.0b3",
            (
                "Firefox Beta",
                Some("90.0.b3"),
                Some("Windows"),
                Some("10"),
                Some("Windows 10"),
                "Other",
            ),
        );
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:89.0) Gecko/20100101 Firefox/89.0",
            (
                "Firefox",
                Some("89.0."),
                Some("Mac OS X"),
                Some("10.15"),
                Some("Mac OS X 10.15"),
                "Mac",
            ),
        );
    }

    #[test]
    fn safari_on_mac_and_iphone_and_ipad() {
        check(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.1 Safari/605.1.15",
            ("Safari", Some("14.1.1"), Some("Mac OS X"), Some("10.15.7"), Some("Mac OS X 10.15.7"), "Mac"),
        );
        check(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 14_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.1 Mobile/15E148 Safari/604.1",
            ("Mobile Safari", Some("14.1.1"), Some("iOS"), Some("14.6"), Some("iOS 14.6"), "iPhone"),
        );
        check(
            "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
            ("Mobile Safari UI/WKWebView", Some("12.2"), Some("iOS"), Some("12.2"), Some("iOS 12.2"), "iPad"),
        );
        check(
            "Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5 like Mac OS X)",
            (
                "Mobile Safari UI/WKWebView",
                None,
                Some("iOS"),
                Some("12.5"),
                Some("iOS 12.5"),
                "iPod",
            ),
        );
    }

    #[test]
    fn internet_explorer_by_trident_and_msie() {
        check(
            "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko",
            (
                "IE",
                Some("11.0"),
                Some("Windows"),
                Some("8.1"),
                Some("Windows 8.1"),
                "Other",
            ),
        );
        check(
            "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1)",
            (
                "IE",
                Some("8.0"),
                Some("Windows"),
                Some("XP"),
                Some("Windows XP"),
                "Other",
            ),
        );
    }

    #[test]
    fn windows_versions() {
        for (nt, v) in [
            ("6.0", "Vista"),
            ("6.2", "8"),
            ("5.0", "2000"),
            ("5.2", "XP"),
        ] {
            let ua = format!("Mozilla/5.0 (Windows NT {nt}) Gecko/20100101 Firefox/50.1.0");
            check(
                &ua,
                (
                    "Firefox",
                    Some("50.1.0"),
                    Some("Windows"),
                    Some(v),
                    Some(&format!("Windows {v}")),
                    "Other",
                ),
            );
        }
        check(
            "SomeApp/1.0 (Windows 98)",
            (
                "Other",
                None,
                Some("Windows"),
                Some("98"),
                Some("Windows 98"),
                "Other",
            ),
        );
    }

    #[test]
    fn linux_distributions() {
        check(
            "Debian APT-HTTP/1.3 (2.2.4)",
            (
                "Debian APT-HTTP",
                Some("1.3"),
                Some("Debian"),
                None,
                None,
                "Other",
            ),
        );
        check(
            "Ubuntu APT-HTTP/1.3 (2.0.6)",
            (
                "Ubuntu APT-HTTP",
                Some("1.3"),
                Some("Ubuntu"),
                None,
                None,
                "Other",
            ),
        );
        check(
            "Mozilla/5.0 (X11; Fedora/33.1 Linux x86_64)",
            (
                "Other",
                None,
                Some("Fedora"),
                Some("33.1"),
                Some("Fedora 33.1"),
                "Other",
            ),
        );
    }

    #[test]
    fn crawlers_are_bots_and_spiders() {
        check(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ("Googlebot", Some("2.1"), None, None, None, "Spider"),
        );
        check(
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            ("bingbot", Some("2.0"), None, None, None, "Spider"),
        );
        check(
            "facebookexternalhit/1.1",
            ("FacebookBot", Some("1.1"), None, None, None, "Spider"),
        );
        check(
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2272.96 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            ("Googlebot", Some("2.1"), Some("Android"), Some("6.0.1"), Some("Android 6.0.1"), "Spider"),
        );
    }

    #[test]
    fn spider_words_only_count_in_the_first_hundred_characters() {
        let far = format!("SomeTool/1.0 {} crawler", "x".repeat(120));
        assert_eq!(parse(&far).device, "Other");
        assert_eq!(parse("SomeTool/1.0 Yahoo! Slurp").device, "Spider");
    }

    #[test]
    fn s3_desktop_tools() {
        check(
            "Cyberduck/7.9.2.34863 (Mac OS X/11.4) (x86_64)",
            (
                "Cyberduck",
                Some("7.9.2"),
                Some("Mac OS X"),
                Some("11.4"),
                Some("Mac OS X 11.4"),
                "Mac",
            ),
        );
        check(
            "S3 Browser 9-5-5 https://s3browser.com",
            ("S3 Browser", Some("9.5.5"), None, None, None, "Other"),
        );
        check(
            "rclone/v1.55.1",
            ("rclone", Some("1.55"), None, None, None, "Other"),
        );
    }

    #[test]
    fn insert_sets_every_field_and_borrows_contiguous_versions() {
        let ua = "aws-sdk-java/1.11.590 Linux/4.9.137";
        let mut e = Event::new();
        insert(&mut e, ua);
        assert_eq!(
            e.get("user_agent.original").and_then(|v| v.as_str()),
            Some(ua)
        );
        assert_eq!(
            e.get("user_agent.name").and_then(|v| v.as_str()),
            Some("aws-sdk-java")
        );
        assert!(matches!(
            e.get("user_agent.version"),
            Some(crate::Value::Str(Cow::Borrowed("1.11.590")))
        ));
        assert_eq!(
            e.get("user_agent.os.full").and_then(|v| v.as_str()),
            Some("Linux 4.9.137")
        );
        assert_eq!(
            e.get("user_agent.device.name").and_then(|v| v.as_str()),
            Some("Other")
        );
    }

    #[test]
    fn insert_skips_dash_and_empty() {
        let mut e = Event::new();
        insert(&mut e, "-");
        insert(&mut e, "");
        assert!(e.is_empty());
    }

    #[test]
    fn cache_gives_the_same_fields_as_insert() {
        let uas = [
            "curl/7.46.0",
            "aws-cli/1.16.310 Python/3.8.1 Darwin/18.7.0 botocore/1.13.46",
            "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:24.0) Gecko/20100101 Firefox/24.0",
        ];
        let mut cache = Cache::new();
        for round in 0..3 {
            for (i, ua) in uas.iter().cycle().skip(round).take(20).enumerate() {
                let mut a = Event::new();
                let mut b = Event::new();
                insert(&mut a, ua);
                cache.insert(&mut b, ua);
                assert_eq!(a, b, "round {round} item {i}");
            }
        }
        // More distinct agents than the cache holds.
        for i in 0..40 {
            let ua = format!("tool{i}/1.{i}");
            let mut a = Event::new();
            let mut b = Event::new();
            insert(&mut a, &ua);
            cache.insert(&mut b, &ua);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for ua in [
            "Android",
            "Android 1",
            "Android 1.",
            "Chrome/",
            "Chrome/1.",
            "Edg/",
            "Trident/",
            "Trident/7",
            "Java/1.",
            "Win",
            "Windows ",
            "Mac OS X",
            "Mac OS X ",
            "CPU OS ",
            "CPU OS 1_",
            "iOS/",
            "CrOS ",
            "Firefox/1.0a",
            "FxiOS/1.0.",
            "OPR/1.2",
            "bot",
            "Bot/",
            "xCUbot",
            "é bot ü",
            "S3 Browser 1-",
            "Cyberduck/",
            "rclone/v",
            "aws-sdk-dotnet-",
            "aws-",
            "Boto3/1",
            "iPhone; CPU OS",
            "Android 10; ",
            "Version/1.2 Safari/",
            "\u{0}\u{ff}",
        ] {
            let _ = parse(ua);
            let mut e = Event::new();
            insert(&mut e, ua);
        }
    }
}
