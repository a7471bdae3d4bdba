//! Registered domains, as Elasticsearch's `registered_domain` ingest
//! processor splits a host name: `top_level_domain` (the public suffix),
//! `registered_domain` (one label more) and `subdomain` (the rest).
//!
//! The rules are Mozilla's [Public Suffix List](https://publicsuffix.org/),
//! embedded from `parsers/data/public_suffix_list.dat` (MPL 2.0; its header
//! says so) and indexed on first use. The matching follows Apache
//! HttpClient's `PublicSuffixMatcher`, which Elasticsearch uses, including
//! its treatment of the list's PRIVATE section: a name under a private
//! suffix gets the suffix itself as its registered domain
//! (`x.us-east-1.amazonaws.com` → registered domain `us-east-1.amazonaws.com`,
//! top-level domain `amazonaws.com`), where ICANN suffixes get one label
//! more (`www.example.com` → `example.com`, `com`).
//!
//! Names are matched in lower case. Rules written in Unicode (IDN top-level
//! domains) do not match their `xn--` spelling.
//!
//! ```
//! use loglift_parsers::public_suffix::registered_domain;
//! let d = registered_domain("www.example.co.uk").unwrap();
//! assert_eq!((d.registered_domain, d.top_level_domain, d.subdomain), ("example.co.uk", "co.uk", Some("www")));
//! assert!(registered_domain("localhost").is_none());
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

/// The list as published, embedded.
const LIST: &str = include_str!("../data/public_suffix_list.dat");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Icann,
    Private,
}

struct Rules {
    rules: HashMap<&'static str, Section>,
    exceptions: HashMap<&'static str, Section>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut r = Rules {
            rules: HashMap::with_capacity(10_000),
            exceptions: HashMap::new(),
        };
        let mut section = None;
        for line in LIST.lines() {
            let line = line.trim();
            if let Some(comment) = line.strip_prefix("//") {
                if comment.contains("===BEGIN ICANN DOMAINS===") {
                    section = Some(Section::Icann);
                } else if comment.contains("===BEGIN PRIVATE DOMAINS===") {
                    section = Some(Section::Private);
                } else if comment.contains("===END ") {
                    section = None;
                }
                continue;
            }
            let (Some(s), Some(rule)) = (section, line.split_whitespace().next()) else {
                continue;
            };
            match rule.strip_prefix('!') {
                Some(exception) => r.exceptions.insert(exception, s),
                None => r.rules.insert(rule, s),
            };
        }
        r
    })
}

/// A host name split at its public suffix; every part borrows from the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainParts<'a> {
    /// The public suffix (`co.uk`); for a name under a private suffix, the
    /// registered domain less its first label.
    pub top_level_domain: &'a str,
    /// The registered domain (`example.co.uk`).
    pub registered_domain: &'a str,
    /// What comes before the registered domain (`www`), if anything.
    pub subdomain: Option<&'a str>,
}

/// Splits `name` (no trailing dot) as Elasticsearch's `registered_domain`
/// processor does; `None` when it has no known public suffix (`localhost`,
/// `example.invalid`) or is one itself.
pub fn registered_domain(name: &str) -> Option<DomainParts<'_>> {
    if name.is_empty() || name.starts_with('.') {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let root_len = domain_root(&lower)?;
    let registered = &name[name.len() - root_len..];
    let dot = registered.find('.')?;
    let top_level_domain = &registered[dot + 1..];
    if top_level_domain.is_empty() {
        return None;
    }
    let subdomain = name
        .len()
        .checked_sub(root_len + 1)
        .filter(|&end| end > 0 && name.as_bytes()[end] == b'.')
        .map(|end| &name[..end]);
    Some(DomainParts {
        top_level_domain,
        registered_domain: registered,
        subdomain,
    })
}

/// Length of the domain root (registered domain) of the lower-case `name`,
/// walking from the full name towards the top-level label as HttpClient does.
fn domain_root(name: &str) -> Option<usize> {
    let r = rules();
    let mut result: Option<&str> = None;
    let mut segment = Some(name);
    while let Some(seg) = segment {
        if r.exceptions.contains_key(seg) {
            return Some(seg.len());
        }
        if let Some(section) = r.rules.get(seg) {
            return match section {
                Section::Private => Some(seg.len()),
                Section::Icann => result.map(str::len),
            };
        }
        let next = seg.find('.').map(|i| &seg[i + 1..]);
        if let Some(next) = next {
            let wildcard = format!("*.{next}");
            if let Some(section) = r.rules.get(wildcard.as_str()) {
                return match section {
                    Section::Private => Some(seg.len()),
                    Section::Icann => result.map(str::len),
                };
            }
        }
        result = Some(seg);
        segment = next;
    }
    result.map(str::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(name: &str) -> Option<(&str, &str, Option<&str>)> {
        registered_domain(name).map(|d| (d.registered_domain, d.top_level_domain, d.subdomain))
    }

    #[test]
    fn splits_icann_names() {
        assert_eq!(
            split("does-not-exist.abc.com"),
            Some(("abc.com", "com", Some("does-not-exist")))
        );
        assert_eq!(
            split("1.amazon.pool.ntp.org"),
            Some(("ntp.org", "org", Some("1.amazon.pool")))
        );
        assert_eq!(split("example.com"), Some(("example.com", "com", None)));
        assert_eq!(split("a.b.ck"), Some(("a.b.ck", "b.ck", None)));
        assert_eq!(split("www.ck"), Some(("www.ck", "ck", None)));
        assert_eq!(
            split("WWW.Example.COM"),
            Some(("Example.COM", "COM", Some("WWW")))
        );
    }

    #[test]
    fn private_suffixes_are_their_own_registered_domain() {
        assert_eq!(
            split("ec2-instance-connect.us-east-1.amazonaws.com"),
            Some((
                "us-east-1.amazonaws.com",
                "amazonaws.com",
                Some("ec2-instance-connect")
            ))
        );
        assert_eq!(
            split("amazonlinux-2-repos-us-east-1.s3.dualstack.us-east-1.amazonaws.com"),
            Some((
                "s3.dualstack.us-east-1.amazonaws.com",
                "dualstack.us-east-1.amazonaws.com",
                Some("amazonlinux-2-repos-us-east-1")
            ))
        );
        assert_eq!(
            split("s3-r-w.dualstack.us-east-1.amazonaws.com"),
            Some((
                "us-east-1.amazonaws.com",
                "amazonaws.com",
                Some("s3-r-w.dualstack")
            ))
        );
    }

    #[test]
    fn unknown_suffixes_and_bare_suffixes_have_no_registered_domain() {
        for name in [
            "instance-data",
            "example.invalid",
            "x.ec2.internal",
            "com",
            "",
            ".com",
        ] {
            assert_eq!(split(name), None, "{name}");
        }
    }
}
