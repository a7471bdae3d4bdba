//! Dissect patterns: Elastic's dissect syntax, compiled once into a matcher
//! that splits a line on literal delimiters, with no regular expressions.
//!
//! A pattern alternates keys and the literal text between them:
//! `%{ts} %{host} acmefw[%{pid}]: %{msg}` reads `ts` up to the first space,
//! `host` up to ` acmefw[`, `pid` up to `]: `, and `msg` to the end of the line.
//! The semantics are those of Elasticsearch's dissect processor:
//!
//! | key | meaning |
//! |---|---|
//! | `%{name}` | the text up to the next delimiter; a dotted name (`source.ip`) is a nested field |
//! | `%{}`, `%{?name}` | matched, then dropped |
//! | `%{+name}` | appended to the other values of `name`, joined by the append separator (default empty) |
//! | `%{+name/2}` | appended in the order given after `/` (values without an order come first, left to right) |
//! | `%{*k} … %{&k}` | a pair: the value of `*k` is the *name* of a field whose value is that of `&k` |
//! | `%{name->}` | repeats of the delimiter right after the key are skipped (padding) |
//!
//! Matching walks the line once, left to right: the text before the first
//! key must begin the line; each key's value runs to the first occurrence of
//! its delimiter (searched with a [`memchr::memmem::Finder`] built once per
//! delimiter); the last key takes the rest of the line unless the pattern
//! ends with a delimiter, in which case whatever follows that delimiter is
//! ignored. Values are slices of the line; only appended values are copied.
//!
//! Where Elasticsearch's own implementation is ambiguous or surprising,
//! this one chooses (and the tests pin down):
//!
//! - Two keys with no text between them (`%{a}%{b}`) are a pattern error:
//!   Elasticsearch accepts the pattern but can never match a line with it.
//! - An empty value between repeated delimiters belongs to the key whose
//!   delimiter it is (`%{a},%{b},%{c}` on `x,,y` gives `b = ""`, `c = y`),
//!   as Elasticsearch does since its fix for issue 119264; the last key takes
//!   the rest of the line even when it starts with delimiters.
//! - Key names are trimmed of surrounding spaces (`%{+name ->}` is `name`),
//!   and a modifier must come before the name (`%{some?thing}` is an error).
//! - A name used for a reference pair cannot also name a plain or appended
//!   key; a reference whose name collides with another key at match time
//!   is a match error (Elasticsearch's result would silently lose a value).
//!
//! ```
//! use loglift_parsers::dissect::Dissector;
//! let d = Dissector::new("%{ts} %{+ts} %{host} %{prog}[%{pid}]: %{msg}").unwrap().append_separator(" ");
//! let m = d.dissect("Mar 16 evita postfix[1713]: connect").unwrap();
//! assert_eq!(m.get(&d, "ts"), Some("Mar 16"));
//! assert_eq!(m.get(&d, "pid"), Some("1713"));
//! assert!(d.dissect("Mar 16 evita postfix: no pid").is_err());
//! ```

use std::borrow::Cow;
use std::fmt;

use memchr::memmem::Finder;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_until};
use nom::character::complete::{digit1, one_of};
use nom::combinator::{opt, peek, rest, verify};
use nom::sequence::{preceded, terminated};
use nom::{IResult, Parser as _};

/// A compiled dissect pattern.
#[derive(Clone)]
pub struct Dissector {
    source: Box<str>,
    separator: Box<str>,
    /// Text the line must start with.
    leading: Box<str>,
    steps: Vec<Step>,
    /// Output key names, in the order of their first appearance.
    keys: Vec<Box<str>>,
    /// Where each output key's value comes from.
    sources: Vec<Source>,
    /// Reference pairs: the steps holding the name and the value.
    pairs: Vec<(usize, usize)>,
}

/// One key of the pattern and the delimiter after it.
#[derive(Clone)]
struct Step {
    /// The key as written (`%{+a/2}`), for messages.
    text: Box<str>,
    /// The text after the key; `None` for a last key that takes the rest.
    delimiter: Option<Delimiter>,
    /// `->`: skip repeats of the delimiter.
    right_pad: bool,
}

#[derive(Clone)]
struct Delimiter {
    text: Box<str>,
    finder: Finder<'static>,
}

/// Where an output key's value comes from.
#[derive(Clone, Debug)]
enum Source {
    /// One step (the last one with this name: a repeated plain key overwrites).
    Single(usize),
    /// Several steps, already in append order.
    Append(Vec<usize>),
}

/// Why a pattern could not be compiled: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dissect pattern `{pattern}`, column {column}: {reason}")]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
    /// Column (1-based, in characters) of the offending part.
    pub column: usize,
    /// What is wrong.
    pub reason: String,
}

/// Why a line did not match a pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// The line does not start with the text before the pattern's first key.
    #[error("line does not start with `{expected}`")]
    Leading {
        /// The text the pattern starts with.
        expected: String,
    },
    /// The line is empty, or holds only the text before the first key.
    #[error("no text to dissect after the pattern's leading text")]
    Empty,
    /// A delimiter was not found after the key before it.
    #[error("delimiter `{delimiter}` after {key} not found from byte {at}")]
    Delimiter {
        /// The delimiter searched for.
        delimiter: String,
        /// The key it ends (`%{pid}`).
        key: String,
        /// Byte offset in the line where the search started.
        at: usize,
    },
    /// A reference pair named a field that another key of the line also sets.
    #[error("reference key name `{name}` collides with another key")]
    Reference {
        /// The name taken from the line.
        name: String,
    },
}

/// The values a line yields: one per [`Dissector::keys`] entry, plus the
/// fields of reference pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dissection<'a> {
    values: Vec<Cow<'a, str>>,
    references: Vec<(&'a str, &'a str)>,
}

impl<'a> Dissection<'a> {
    /// The values of the dissector's [`keys`](Dissector::keys), index for index.
    pub fn values(&self) -> &[Cow<'a, str>] {
        &self.values
    }

    /// Takes the values out (index for index with the keys).
    pub fn into_parts(self) -> (Vec<Cow<'a, str>>, Vec<(&'a str, &'a str)>) {
        (self.values, self.references)
    }

    /// Fields named by the line itself (`%{*k}` → name, `%{&k}` → value), in
    /// the order of their `*` keys.
    pub fn references(&self) -> &[(&'a str, &'a str)] {
        &self.references
    }

    /// The value of `name`, a key of `dissector` or a reference name.
    pub fn get<'s>(&'s self, dissector: &Dissector, name: &str) -> Option<&'s str> {
        match dissector.keys.iter().position(|k| &**k == name) {
            Some(i) => self.values.get(i).map(|v| &**v),
            None => self
                .references
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| *v),
        }
    }

    /// Every field as `(name, value)`: the keys in order, then the references.
    pub fn pairs<'s>(
        &'s self,
        dissector: &'s Dissector,
    ) -> impl Iterator<Item = (&'s str, &'s str)> {
        dissector
            .keys
            .iter()
            .map(|k| &**k)
            .zip(self.values.iter().map(|v| &**v))
            .chain(self.references.iter().copied())
    }
}

impl Dissector {
    /// Compiles `pattern`. Errors name the column: an unclosed `%{`, two
    /// keys without text between them, a bad modifier or append order, a
    /// `*key` without its `&key`, or a pattern with no key to output.
    pub fn new(pattern: &str) -> Result<Self, PatternError> {
        let err = |at: &str, reason: String| PatternError {
            pattern: pattern.to_owned(),
            column: pattern[..pattern.len() - at.len()].chars().count() + 1,
            reason,
        };
        let tokens = tokenize(pattern).map_err(|(at, reason)| err(at, reason))?;

        // Keys with the literal text after each; the text before the first key leads.
        let mut leading = "";
        let mut raw: Vec<(RawKey<'_>, &str, Option<&str>)> = Vec::new();
        for token in &tokens {
            match *token {
                Token::Literal(text) if raw.is_empty() => leading = text,
                Token::Literal(text) => {
                    if let Some(last) = raw.last_mut() {
                        last.2 = Some(text);
                    }
                }
                Token::Key { at, body } => {
                    if let Some((prev, _, None)) = raw.last() {
                        return Err(err(
                            at,
                            format!(
                                "`%{{{}}}` follows `%{{{}}}` with no text between them; \
                                 dissect needs a delimiter after every key but the last",
                                body, prev.body
                            ),
                        ));
                    }
                    let key = parse_key(body).map_err(|(pos, reason)| {
                        err(
                            &pattern[body.as_ptr() as usize - pattern.as_ptr() as usize + pos..],
                            reason,
                        )
                    })?;
                    raw.push((key, at, None));
                }
            }
        }
        if raw.is_empty() {
            return Err(err("", "the pattern has no `%{key}`".into()));
        }

        let mut steps = Vec::with_capacity(raw.len());
        let mut keys: Vec<Box<str>> = Vec::new();
        let mut sources: Vec<Source> = Vec::new();
        // Appended pieces per output key: (order, step).
        let mut pieces: Vec<Vec<(i64, usize)>> = Vec::new();
        let mut implicit = i64::from(i32::MIN);
        let appended: Vec<&str> = raw
            .iter()
            .filter(|(k, _, _)| k.modifier == Modifier::Append)
            .map(|(k, _, _)| k.name)
            .collect();
        let mut refs: Vec<(&str, Option<usize>, Option<usize>, &str)> = Vec::new();
        for (index, (key, at, delimiter)) in raw.iter().enumerate() {
            steps.push(Step {
                text: format!("%{{{}}}", key.body).into(),
                delimiter: delimiter.map(|d| Delimiter {
                    text: d.into(),
                    finder: Finder::new(d).into_owned(),
                }),
                right_pad: key.right_pad,
            });
            let output = match key.modifier {
                Modifier::Skip => continue,
                Modifier::None if key.name.is_empty() => continue,
                Modifier::Reference | Modifier::Referent => {
                    let slot = match refs.iter().position(|r| r.0 == key.name) {
                        Some(i) => i,
                        None => {
                            refs.push((key.name, None, None, at));
                            refs.len() - 1
                        }
                    };
                    let side = if key.modifier == Modifier::Reference {
                        &mut refs[slot].1
                    } else {
                        &mut refs[slot].2
                    };
                    if side.is_some() {
                        return Err(err(
                            at,
                            format!("`%{{{}}}` appears twice; a reference pair is one `*{}` and one `&{}`", key.body, key.name, key.name),
                        ));
                    }
                    *side = Some(index);
                    continue;
                }
                Modifier::None | Modifier::Append => key.name,
            };
            check_field_name(output).map_err(|reason| err(at, reason))?;
            let slot = match keys.iter().position(|k| &**k == output) {
                Some(i) => i,
                None => {
                    keys.push(output.into());
                    sources.push(Source::Single(index));
                    pieces.push(Vec::new());
                    keys.len() - 1
                }
            };
            if appended.contains(&output) {
                let order = match key.order {
                    Some(n) => i64::from(n),
                    None => {
                        implicit += 1;
                        implicit
                    }
                };
                pieces[slot].push((order, index));
            } else {
                sources[slot] = Source::Single(index);
            }
        }
        for (slot, mut list) in pieces.into_iter().enumerate() {
            if !list.is_empty() {
                list.sort_by_key(|(order, _)| *order);
                sources[slot] = Source::Append(list.into_iter().map(|(_, s)| s).collect());
            }
        }
        let mut pairs = Vec::with_capacity(refs.len());
        for (name, reference, referent, at) in refs {
            match (reference, referent) {
                (Some(r), Some(v)) => {
                    if keys.iter().any(|k| &**k == name) {
                        return Err(err(
                            at,
                            format!("`{name}` names both a reference pair and a field"),
                        ));
                    }
                    pairs.push((r, v));
                }
                (Some(_), None) => {
                    return Err(err(
                        at,
                        format!("`%{{*{name}}}` has no matching `%{{&{name}}}`"),
                    ))
                }
                _ => {
                    return Err(err(
                        at,
                        format!("`%{{&{name}}}` has no matching `%{{*{name}}}`"),
                    ))
                }
            }
        }
        if keys.is_empty() && pairs.is_empty() {
            return Err(err(
                "",
                "every key of the pattern is skipped; nothing to extract".into(),
            ));
        }
        Ok(Dissector {
            source: pattern.into(),
            separator: "".into(),
            leading: leading.into(),
            steps,
            keys,
            sources,
            pairs,
        })
    }

    /// Sets the text put between appended values (`%{+key}`); empty by default.
    pub fn append_separator(mut self, separator: &str) -> Self {
        self.separator = separator.into();
        self
    }

    /// The pattern as given.
    pub fn pattern(&self) -> &str {
        &self.source
    }

    /// The separator between appended values.
    pub fn separator(&self) -> &str {
        &self.separator
    }

    /// The names of the fields every match yields (skipped keys and
    /// reference pairs excluded), in the order they first appear.
    pub fn keys(&self) -> &[Box<str>] {
        &self.keys
    }

    /// Splits `line` by the pattern. On success every key has a value (maybe
    /// empty); values borrow from `line` except appended ones.
    pub fn dissect<'a>(&self, line: &'a str) -> Result<Dissection<'a>, MatchError> {
        let mut spans = Vec::with_capacity(self.steps.len());
        self.match_spans(line, &mut spans)?;
        let text = |i: usize| {
            let (start, end) = spans[i];
            &line[start..end]
        };
        let values = self
            .sources
            .iter()
            .map(|source| match source {
                Source::Single(i) => Cow::Borrowed(text(*i)),
                Source::Append(steps) => {
                    let mut out = String::new();
                    for (n, &i) in steps.iter().enumerate() {
                        if n > 0 {
                            out.push_str(&self.separator);
                        }
                        out.push_str(text(i));
                    }
                    Cow::Owned(out)
                }
            })
            .collect();
        let references: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|&(n, v)| (text(n), text(v)))
            .collect();
        for (i, (name, _)) in references.iter().enumerate() {
            if self.keys.iter().any(|k| &**k == *name)
                || references[..i].iter().any(|(other, _)| other == name)
            {
                return Err(MatchError::Reference {
                    name: (*name).to_owned(),
                });
            }
        }
        Ok(Dissection { values, references })
    }

    /// The byte span of every step's value.
    fn match_spans(&self, line: &str, spans: &mut Vec<(usize, usize)>) -> Result<(), MatchError> {
        let bytes = line.as_bytes();
        if !line.starts_with(&*self.leading) {
            return Err(MatchError::Leading {
                expected: self.leading.to_string(),
            });
        }
        // As Elasticsearch: a line must hold more than the leading text.
        if line.len() == self.leading.len() {
            return Err(MatchError::Empty);
        }
        let mut at = self.leading.len();
        for step in &self.steps {
            let Some(delimiter) = &step.delimiter else {
                spans.push((at, bytes.len()));
                at = bytes.len();
                continue;
            };
            let Some(found) = delimiter.finder.find(&bytes[at..]) else {
                return Err(MatchError::Delimiter {
                    delimiter: delimiter.text.to_string(),
                    key: step.text.to_string(),
                    at,
                });
            };
            spans.push((at, at + found));
            at += found + delimiter.text.len();
            if step.right_pad {
                while bytes[at..].starts_with(delimiter.text.as_bytes()) {
                    at += delimiter.text.len();
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Dissector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dissector")
            .field("pattern", &self.source)
            .field("append_separator", &self.separator)
            .field("keys", &self.keys)
            .finish()
    }
}

/// Two dissectors are equal when built from the same pattern and separator.
impl PartialEq for Dissector {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.separator == other.separator
    }
}
impl Eq for Dissector {}

/// A part of a pattern.
enum Token<'p> {
    Literal(&'p str),
    /// A key: where it starts (`%{`) in the pattern, and the text between the braces.
    Key {
        at: &'p str,
        body: &'p str,
    },
}

/// Splits a pattern into literal text and keys; on error, the rest of the
/// pattern where it went wrong and why.
fn tokenize(pattern: &str) -> Result<Vec<Token<'_>>, (&str, String)> {
    fn key(input: &str) -> IResult<&str, &str> {
        preceded(tag("%{"), terminated(take_until("}"), tag("}"))).parse(input)
    }
    fn literal(input: &str) -> IResult<&str, &str> {
        verify(alt((take_until("%{"), rest)), |s: &str| !s.is_empty()).parse(input)
    }
    let mut tokens = Vec::new();
    let mut input = pattern;
    while !input.is_empty() {
        if let Ok((after, body)) = key(input) {
            if let Some(inner) = body.find("%{") {
                return Err((
                    &input[2 + inner..],
                    "`%{` inside a key; is a `}` missing?".into(),
                ));
            }
            tokens.push(Token::Key { at: input, body });
            input = after;
        } else if let Ok((after, text)) = literal(input) {
            tokens.push(Token::Literal(text));
            input = after;
        } else {
            return Err((input, "`%{` is never closed by `}`".into()));
        }
    }
    Ok(tokens)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modifier {
    None,
    Append,
    Skip,
    /// `*`: the value names the field.
    Reference,
    /// `&`: the value of the field named by the `*` key.
    Referent,
}

#[derive(Debug)]
struct RawKey<'p> {
    body: &'p str,
    modifier: Modifier,
    name: &'p str,
    order: Option<u16>,
    right_pad: bool,
}

/// Parses the text between `%{` and `}`: `[->][modifier]name[/order][->]`.
/// On error, the byte offset in `body` and the reason.
fn parse_key(body: &str) -> Result<RawKey<'_>, (usize, String)> {
    let (inner, right_pad) = match body.strip_suffix("->") {
        Some(inner) => (inner, true),
        None => (body, false),
    };
    // Offset of a part of `body` (all the slices below point into it).
    let offset = |s: &str| s.as_ptr() as usize - body.as_ptr() as usize;
    // Elasticsearch tolerates (and ignores) `->` written before a modifier.
    let parsed: IResult<&str, (Option<&str>, Option<char>)> = (
        opt(terminated(tag("->"), peek(one_of("+?*&")))),
        opt(one_of("+?*&")),
    )
        .parse(inner);
    let Ok((after, (_, modifier))) = parsed else {
        return Err((0, "unreadable key".into()));
    };
    let name_len = after.find(['+', '?', '*', '&', '/']).unwrap_or(after.len());
    let (name, tail) = after.split_at(name_len);
    let mut order = None;
    let mut rest_after = tail;
    if let Some(slash) = tail.strip_prefix('/') {
        if modifier != Some('+') {
            return Err((
                offset(tail),
                "an append order `/n` needs the `+` modifier (`%{+name/n}`)".into(),
            ));
        }
        let number: IResult<&str, &str> = digit1(slash);
        match number {
            Ok((after_digits, digits)) => match digits.parse::<u16>() {
                Ok(n) if n <= i16::MAX as u16 => {
                    order = Some(n);
                    rest_after = after_digits;
                }
                _ => {
                    return Err((
                        offset(slash),
                        format!("append order `{digits}` is too large"),
                    ))
                }
            },
            Err(_) => {
                return Err((
                    offset(slash),
                    "an append order after `/` must be a number".into(),
                ))
            }
        }
    }
    if let Some(c) = rest_after.chars().next() {
        let reason = if modifier.is_some()
            && matches!(c, '+' | '?' | '*' | '&')
            && name.trim().is_empty()
        {
            format!("more than one modifier in `%{{{body}}}`")
        } else {
            format!("unexpected `{c}` in `%{{{body}}}`: modifiers go before the name, `/n` and `->` after it")
        };
        return Err((offset(rest_after), reason));
    }
    let name = name.trim();
    let modifier = match modifier {
        None => Modifier::None,
        Some('+') => Modifier::Append,
        Some('?') => Modifier::Skip,
        Some('*') => Modifier::Reference,
        _ => Modifier::Referent,
    };
    if name.is_empty() && !matches!(modifier, Modifier::None | Modifier::Skip) {
        return Err((0, format!("`%{{{body}}}` needs a name after its modifier")));
    }
    Ok(RawKey {
        body,
        modifier,
        name,
        order,
        right_pad,
    })
}

/// Checks that an output name is a usable dotted field path.
fn check_field_name(name: &str) -> Result<(), String> {
    if name.split('.').any(str::is_empty) {
        return Err(format!(
            "`{name}` is not a field name (dotted paths need a name between dots)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Asserts that `pattern` splits `input` into exactly `expected`.
    #[track_caller]
    fn matches_with(pattern: &str, separator: &str, input: &str, expected: &[(&str, &str)]) {
        let d = Dissector::new(pattern)
            .unwrap_or_else(|e| panic!("{e}"))
            .append_separator(separator);
        let m = d
            .dissect(input)
            .unwrap_or_else(|e| panic!("`{pattern}` on `{input}`: {e}"));
        let got: BTreeMap<&str, &str> = m.pairs(&d).collect();
        let want: BTreeMap<&str, &str> = expected.iter().copied().collect();
        assert_eq!(got, want, "`{pattern}` on `{input}`");
        assert_eq!(m.pairs(&d).count(), expected.len(), "no duplicate names");
    }

    #[track_caller]
    fn matches(pattern: &str, input: &str, expected: &[(&str, &str)]) {
        matches_with(pattern, "", input, expected);
    }

    #[track_caller]
    fn misses(pattern: &str, input: &str) -> MatchError {
        let d = Dissector::new(pattern).unwrap_or_else(|e| panic!("{e}"));
        match d.dissect(input) {
            Ok(m) => panic!(
                "`{pattern}` matched `{input}`: {:?}",
                m.pairs(&d).collect::<Vec<_>>()
            ),
            Err(e) => e,
        }
    }

    #[track_caller]
    fn bad(pattern: &str) -> PatternError {
        match Dissector::new(pattern) {
            Ok(d) => panic!("`{pattern}` compiled: {d:?}"),
            Err(e) => e,
        }
    }

    // The examples of Elasticsearch's dissect processor documentation.

    #[test]
    fn documentation_apache_example() {
        matches(
            r#"%{clientip} %{ident} %{auth} [%{@timestamp}] \"%{verb} %{request} HTTP/%{httpversion}\" %{status} %{size}"#,
            r#"1.2.3.4 - - [30/Apr/1998:22:00:52 +0000] \"GET /english/venues/cities/images/montpellier/18.gif HTTP/1.0\" 200 3171"#,
            &[
                ("clientip", "1.2.3.4"),
                ("ident", "-"),
                ("auth", "-"),
                ("@timestamp", "30/Apr/1998:22:00:52 +0000"),
                ("verb", "GET"),
                (
                    "request",
                    "/english/venues/cities/images/montpellier/18.gif",
                ),
                ("httpversion", "1.0"),
                ("status", "200"),
                ("size", "3171"),
            ],
        );
    }

    #[test]
    fn documentation_right_padding_examples() {
        matches(
            "%{fookey} %{barkey}",
            "foo bar",
            &[("fookey", "foo"), ("barkey", "bar")],
        );
        // Without `->` the second space belongs to the next value.
        matches(
            "%{fookey} %{barkey}",
            "foo  bar",
            &[("fookey", "foo"), ("barkey", " bar")],
        );
        for spaces in [1, 2, 10] {
            let line = format!("foo{}bar", " ".repeat(spaces));
            matches(
                "%{fookey->} %{barkey}",
                &line,
                &[("fookey", "foo"), ("barkey", "bar")],
            );
        }
        matches(
            "%{ts->} %{level}",
            "1998-08-10T17:15:42,466          WARN",
            &[("ts", "1998-08-10T17:15:42,466"), ("level", "WARN")],
        );
        matches(
            "[%{ts}]%{->}[%{level}]",
            "[1998-08-10T17:15:42,466]            [WARN]",
            &[("ts", "1998-08-10T17:15:42,466"), ("level", "WARN")],
        );
    }

    #[test]
    fn documentation_append_examples() {
        matches_with(
            "%{+name} %{+name} %{+name} %{+name}",
            " ",
            "john jacob jingleheimer schmidt",
            &[("name", "john jacob jingleheimer schmidt")],
        );
        matches_with(
            "%{+name/2} %{+name/4} %{+name/3} %{+name/1}",
            ",",
            "john jacob jingleheimer schmidt",
            &[("name", "schmidt,john,jingleheimer,jacob")],
        );
    }

    #[test]
    fn documentation_named_skip_and_reference_examples() {
        matches(
            "%{clientip} %{?ident} %{?auth} [%{@timestamp}]",
            "1.2.3.4 - - [30/Apr/1998:22:00:52 +0000]",
            &[
                ("clientip", "1.2.3.4"),
                ("@timestamp", "30/Apr/1998:22:00:52 +0000"),
            ],
        );
        matches(
            "[%{ts}] [%{level}] %{*p1}:%{&p1} %{*p2}:%{&p2}",
            "[2018-08-10T17:15:42,466] [ERR] ip:1.2.3.4 error:REFUSED",
            &[
                ("ts", "2018-08-10T17:15:42,466"),
                ("level", "ERR"),
                ("ip", "1.2.3.4"),
                ("error", "REFUSED"),
            ],
        );
    }

    // Elasticsearch's DissectParserTests and the shared specification.

    #[test]
    fn parser_javadoc_examples() {
        matches(
            "%{a} %{b},%{c}",
            "foo bar,baz",
            &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        );
        misses("%{a},%{b}:%{c}", "foo,bar,baz");
        matches(
            "%{a->} %{b} %{c}",
            "foo         bar baz",
            &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        );
        matches("%{a} %{+a} %{+a}", "foo bar baz", &[("a", "foobarbaz")]);
        matches("%{a} %{+a/2} %{+a/1}", "foo bar baz", &[("a", "foobazbar")]);
        matches(
            "%{*a} %{b} %{&a}",
            "foo bar baz",
            &[("foo", "baz"), ("b", "bar")],
        );
        matches(
            "%{a} %{} %{c}",
            "foo bar baz",
            &[("a", "foo"), ("c", "baz")],
        );
        matches(
            "%{a} %{?skipme} %{c}",
            "foo bar baz",
            &[("a", "foo"), ("c", "baz")],
        );
        matches(
            "%{a},%{b},%{c},%{d}",
            "foo,,,",
            &[("a", "foo"), ("b", ""), ("c", ""), ("d", "")],
        );
        matches("%{a->},%{b}", "foo,,,,,,bar", &[("a", "foo"), ("b", "bar")]);
    }

    #[test]
    fn logstash_specs() {
        matches(
            "%{a} %{b->} %{c}",
            "foo bar   baz",
            &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        );
        matches_with(
            "%{a} %{b} %{+b} %{z}",
            " ",
            "foo bar baz quux",
            &[("a", "foo"), ("b", "bar baz"), ("z", "quux")],
        );
        matches(
            "%{a}------->%{b}",
            "foo------->bar baz quux",
            &[("a", "foo"), ("b", "bar baz quux")],
        );
        matches(
            "%{a}------->%{}",
            "foo------->bar baz quux",
            &[("a", "foo")],
        );
        matches(
            "%{a} » %{b}»%{c}€%{d}",
            "foo » bar»baz€quux",
            &[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "quux")],
        );
        matches_with(
            "%{a} %{b} %{+a}",
            " ",
            "foo bar baz quux",
            &[("a", "foo baz quux"), ("b", "bar")],
        );
        matches_with(
            "%{+a} %{a} %{+a} %{b}",
            " ",
            "December 31 1999 quux",
            &[("a", "December 31 1999"), ("b", "quux")],
        );
        matches_with(
            "%{+a/1} %{a} %{+a/2} %{b}",
            " ",
            "December 31 1999 quux",
            &[("a", "31 December 1999"), ("b", "quux")],
        );
        matches_with(
            "%{+a/2} %{+a/4} %{+a/1} %{+a/3}",
            " ",
            "bar quux foo baz",
            &[("a", "foo bar baz quux")],
        );
        matches("%{+a} %{b}", "foo bar", &[("a", "foo"), ("b", "bar")]);
        matches_with(
            "%{+a} %{b} %{+a} %{c}",
            " ",
            "foo bar baz quux",
            &[("a", "foo baz"), ("b", "bar"), ("c", "quux")],
        );
        matches_with(
            "%{} %{syslog_timestamp} %{hostname} %{rt}: %{reason} %{+reason} %{src_ip}/%{src_port}->%{dst_ip}/%{dst_port} \
             %{polrt} %{+polrt} %{+polrt} %{from_zone} %{to_zone} %{rest}",
            " ",
            "42 2016-05-25T14:47:23Z host.name.com RT_FLOW - RT_FLOW_SESSION_DENY: session denied 2.2.2.20/60000->1.1.1.10/8090 None \
             6(0) DEFAULT-DENY ZONE-UNTRUST ZONE-DMZ UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0",
            &[
                ("syslog_timestamp", "2016-05-25T14:47:23Z"),
                ("hostname", "host.name.com"),
                ("rt", "RT_FLOW - RT_FLOW_SESSION_DENY"),
                ("reason", "session denied"),
                ("src_ip", "2.2.2.20"),
                ("src_port", "60000"),
                ("dst_ip", "1.1.1.10"),
                ("dst_port", "8090"),
                ("polrt", "None 6(0) DEFAULT-DENY"),
                ("from_zone", "ZONE-UNTRUST"),
                ("to_zone", "ZONE-DMZ"),
                ("rest", "UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0"),
            ],
        );
        bad("%{+/2}");
        bad("%{&+a_field}");
        matches(
            "%{a->}   %{b->}---%{c}",
            "foo            bar------------baz",
            &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        );
        matches("%{->}-%{a}", "-----666", &[("a", "666")]);
        matches("%{?skipme->}-%{a}", "-----666", &[("a", "666")]);
        matches(
            "%{a},%{b},%{c},%{d},%{e},%{f}",
            "111,,333,,555,666",
            &[
                ("a", "111"),
                ("b", ""),
                ("c", "333"),
                ("d", ""),
                ("e", "555"),
                ("f", "666"),
            ],
        );
        matches("%{a}.࿏.%{b}", "⟳༒.࿏.༒⟲", &[("a", "⟳༒"), ("b", "༒⟲")]);
        matches("%{a}", "子", &[("a", "子")]);
        matches("%{a}{\n}%{b}", "aaa{\n}bbb", &[("a", "aaa"), ("b", "bbb")]);
        misses("MACHINE[%{a}] %{b}", "1234567890 MACHINE[foo] bar");
        misses("%{a} %{b} %{c}", "foo:bar:baz");
        matches(
            "/var/%{key1}/log/%{key2}.log",
            "/var/foo/log/bar.log",
            &[("key1", "foo"), ("key2", "bar")],
        );
        matches(
            "%{a->}   %{b}-.-%{c}-%{d}-..-%{e}-%{f}-%{g}-%{h}",
            "foo            bar-.-baz-1111-..-22-333-4444-55555",
            &[
                ("a", "foo"),
                ("b", "bar"),
                ("c", "baz"),
                ("d", "1111"),
                ("e", "22"),
                ("f", "333"),
                ("g", "4444"),
                ("h", "55555"),
            ],
        );
    }

    #[test]
    fn unicode_values_and_delimiters() {
        matches("%{a} %{b}", "foo 子", &[("a", "foo"), ("b", "子")]);
        matches(
            "%{a}࿏%{b} %{c}",
            "⟳༒࿏༒⟲ 子",
            &[("a", "⟳༒"), ("b", "༒⟲"), ("c", "子")],
        );
        matches("%{a}࿏%{+a} %{+a}", "⟳༒࿏༒⟲ 子", &[("a", "⟳༒༒⟲子")]);
        matches("%{a}࿏%{+a/2} %{+a/1}", "⟳༒࿏༒⟲ 子", &[("a", "⟳༒子༒⟲")]);
        matches("%{a->}࿏%{b}", "⟳༒࿏࿏࿏࿏࿏༒⟲", &[("a", "⟳༒"), ("b", "༒⟲")]);
        matches("%{*a}࿏%{&a}", "⟳༒࿏༒⟲", &[("⟳༒", "༒⟲")]);
        matches("%{}࿏%{a}", "⟳༒࿏༒⟲", &[("a", "༒⟲")]);
        matches(
            "Zürich, the %{adjective} city in Switzerland",
            "Zürich, the largest city in Switzerland",
            &[("adjective", "largest")],
        );
        matches(
            "Zürich, the %{one} city in Switzerland; Zürich, the %{two} city in Switzerland",
            "Zürich, the largest city in Switzerland; Zürich, the LARGEST city in Switzerland",
            &[("one", "largest"), ("two", "LARGEST")],
        );
        // A multi-byte delimiter whose bytes also occur inside other characters.
        matches("%{a}é%{b}", "aèéb", &[("a", "aè"), ("b", "b")]);
    }

    #[test]
    fn the_last_key_takes_the_rest() {
        matches("%{a}", "foo bar the rest", &[("a", "foo bar the rest")]);
        matches(
            "%{a} %{b}",
            "foo bar the rest",
            &[("a", "foo"), ("b", "bar the rest")],
        );
        matches("%{} %{b}", "foo bar the rest", &[("b", "bar the rest")]);
        matches(
            "%{a} %{b->}",
            "foo bar the rest",
            &[("a", "foo"), ("b", "bar the rest")],
        );
        matches(
            "%{*a} %{&a}",
            "foo bar the rest",
            &[("foo", "bar the rest")],
        );
        matches_with(
            "%{a} %{+a}",
            " ",
            "foo bar the rest",
            &[("a", "foo bar the rest")],
        );
    }

    #[test]
    fn appends_and_references() {
        matches(
            "%{a} %{+a} %{b} %{+b}",
            "foo bar baz lol",
            &[("a", "foobar"), ("b", "bazlol")],
        );
        matches_with(
            "%{a} %{+a/2} %{+a/1}",
            " ",
            "foo bar baz",
            &[("a", "foo baz bar")],
        );
        matches("%{&a} %{*a}", "foo bar", &[("bar", "foo")]);
        matches(
            "%{*a} %{&a} %{*b} %{&b}",
            "foo bar baz lol",
            &[("foo", "bar"), ("baz", "lol")],
        );
        matches(
            "%{*a} %{&a} %{c} %{*b} %{&b}",
            "foo bar x baz lol",
            &[("foo", "bar"), ("baz", "lol"), ("c", "x")],
        );
        bad("%{*a} %{a}");
        bad("%{a} %{&a}");
        misses("%{*a} %{&a} {a} %{*b} %{&b}", "foo bar x baz lol");
        matches(
            "%{a} %{+a} %{*b} %{&b}",
            "foo bar baz lol",
            &[("a", "foobar"), ("baz", "lol")],
        );
        matches(
            "%{a->} %{+a/2} %{+a/1} %{*b} %{&b}",
            "foo      bar baz lol x",
            &[("a", "foobazbar"), ("lol", "x")],
        );
        matches(
            "%{+a/1},%{+a/3}-%{+a/2} %{b}",
            "foo,bar----baz lol",
            &[("a", "foo---bazbar"), ("b", "lol")],
        );
        matches(
            "%{+a/1},%{+a/3->}-%{+a/2} %{b}",
            "foo,bar----baz lol",
            &[("a", "foobazbar"), ("b", "lol")],
        );
        // Shared specification: append order with a separator.
        matches_with(
            "%{+key/3} %{+key/1} %{+key/2}",
            "::",
            "1 2 3",
            &[("key", "2::3::1")],
        );
        matches(
            "%{+key/3} %{+key/1->} %{+key/2}",
            "1 2              3",
            &[("key", "231")],
        );
        matches_with("%{key}-%{+key}-%{+key}", ",", "1-2-3", &[("key", "1,2,3")]);
    }

    #[test]
    fn a_reference_name_colliding_with_a_key_is_a_miss() {
        let e = misses("%{*r} %{&r} %{a}", "a x y");
        assert_eq!(
            e.to_string(),
            "reference key name `a` collides with another key"
        );
        misses("%{*r} %{&r} %{*s} %{&s}", "k 1 k 2");
    }

    #[test]
    fn partial_key_definitions_are_literal_text() {
        matches(
            "%{a} %%{b},%{c}",
            "foo %bar,baz",
            &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        );
        matches(
            "%{a} %{b},%%{c}",
            "foo bar,%baz",
            &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        );
        matches(
            "%%{a} %{b},%{c}",
            "%foo bar,baz",
            &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        );
        matches("%foo %{bar}", "%foo test", &[("bar", "test")]);
        matches(
            "{%{a}}{%{b}} %{rest}",
            "{c}{d} anything",
            &[("a", "c"), ("b", "d"), ("rest", "anything")],
        );
    }

    #[test]
    fn empty_and_named_skip_keys() {
        matches("%{} %{b}", "foo bar", &[("b", "bar")]);
        matches("%{a} %{}", "foo bar", &[("a", "foo")]);
        matches("%{->} %{b}", "foo        bar", &[("b", "bar")]);
        matches("%{->} %{b}", "        bar", &[("b", "bar")]);
        matches("%{a} %{->}", "foo  bar       ", &[("a", "foo")]);
        matches("%{?foo} %{b}", "foo bar", &[("b", "bar")]);
        matches("%{?} %{b}", "foo bar", &[("b", "bar")]);
        matches("%{a} %{?bar}", "foo bar", &[("a", "foo")]);
        matches("%{?foo->} %{b}", "foo        bar", &[("b", "bar")]);
        matches("%{?->} %{b}", "foo        bar", &[("b", "bar")]);
        matches("%{?foo->} %{b}", "        bar", &[("b", "bar")]);
        matches("%{a} %{->?bar}", "foo  bar       ", &[("a", "foo")]);
        matches(
            "%{a} %{?skipme} %{?skipme}",
            "foo  bar  baz",
            &[("a", "foo")],
        );
        matches("%{a} %{?} %{?}", "foo  bar  baz", &[("a", "foo")]);
    }

    #[test]
    fn consecutive_delimiters() {
        // leading
        matches("%{->},%{a}", ",,,,,foo", &[("a", "foo")]);
        matches("%{a->},%{b}", ",,,,,foo", &[("a", ""), ("b", "foo")]);
        // trailing
        matches("%{a->},", "foo,,,,,", &[("a", "foo")]);
        matches("%{a} %{b},", "foo bar,,,,,", &[("a", "foo"), ("b", "bar")]);
        matches(
            "%{a} %{b->},",
            "foo bar,,,,,",
            &[("a", "foo"), ("b", "bar")],
        );
        // middle
        matches("%{a->},%{b}", "foo,,,,,bar", &[("a", "foo"), ("b", "bar")]);
        matches("%{a->} %{b}", "foo     bar", &[("a", "foo"), ("b", "bar")]);
        matches("%{a->}x%{b}", "fooxxxxxbar", &[("a", "foo"), ("b", "bar")]);
        matches(
            "%{a->} xyz%{b}",
            "foo xyz xyz xyz xyz xyzbar",
            &[("a", "foo"), ("b", "bar")],
        );
        // empty values
        matches(
            "%{a},%{b},%{c},%{d}",
            "foo,,bar,baz",
            &[("a", "foo"), ("b", ""), ("c", "bar"), ("d", "baz")],
        );
        matches(
            "%{a},%{b},%{c},%{d}",
            "foo,,,baz",
            &[("a", "foo"), ("b", ""), ("c", ""), ("d", "baz")],
        );
        matches(
            "%{a},%{b},%{c},%{d}",
            ",bar,,baz",
            &[("a", ""), ("b", "bar"), ("c", ""), ("d", "baz")],
        );
        matches(
            "%{->},%{a->},%{b}",
            ",,,bar,,baz",
            &[("a", "bar"), ("b", "baz")],
        );
        matches(
            "%{name},%{addr1},%{addr2},%{addr3},%{city},%{zip}",
            "Jane Doe,4321 Fifth Avenue,,,New York,87432",
            &[
                ("name", "Jane Doe"),
                ("addr1", "4321 Fifth Avenue"),
                ("addr2", ""),
                ("addr3", ""),
                ("city", "New York"),
                ("zip", "87432"),
            ],
        );
        matches(
            "%{name},%{addr1->},%{city},%{zip}",
            "Jane Doe,4321 Fifth Avenue,,,New York,87432",
            &[
                ("name", "Jane Doe"),
                ("addr1", "4321 Fifth Avenue"),
                ("city", "New York"),
                ("zip", "87432"),
            ],
        );
        // Elasticsearch issue 119264: each empty value ends at its own delimiter.
        matches(
            "%{a}-%{b}",
            "foo------bar",
            &[("a", "foo"), ("b", "-----bar")],
        );
        matches("%{}|%{}|foo=%{field}", "||foo=bar", &[("field", "bar")]);
        matches(
            "%{a} %{b}:%{c}",
            "x  y:z",
            &[("a", "x"), ("b", " y"), ("c", "z")],
        );
        // The last key keeps repeated delimiters: it takes the rest.
        matches("%{a},%{b}", "x,,,", &[("a", "x"), ("b", ",,")]);
    }

    #[test]
    fn trailing_text_and_padding_at_the_end() {
        matches(
            "%{a} %{b->} ",
            "foo bar        ",
            &[("a", "foo"), ("b", "bar")],
        );
        matches(
            "%{a} %{b->}",
            "foo bar,,,,,,",
            &[("a", "foo"), ("b", "bar,,,,,,")],
        );
        matches(
            "%{a} %{b->},",
            "foo bar,,,,,,",
            &[("a", "foo"), ("b", "bar")],
        );
        matches(
            "%{id} %{function} %{server->} ",
            "00000043 ViewReceive machine-321    ",
            &[
                ("id", "00000043"),
                ("function", "ViewReceive"),
                ("server", "machine-321"),
            ],
        );
        // Text after the pattern's last delimiter is ignored.
        matches(
            r#"level=%{level} ts=%{timestamp} caller=%{caller} msg="%{message}""#,
            r#"level=info ts=2018-06-27T17:19:13.036579993Z caller=main.go:222 msg="Starting OK" version="(version=2.3.1, branch=HEAD)"}"#,
            &[
                ("level", "info"),
                ("timestamp", "2018-06-27T17:19:13.036579993Z"),
                ("caller", "main.go:222"),
                ("message", "Starting OK"),
            ],
        );
        matches("/var/%{key}/log", "/var/foobar/log", &[("key", "foobar")]);
        matches("/var/%{key}", "/var/foobar/log", &[("key", "foobar/log")]);
    }

    #[test]
    fn multi_line_values() {
        matches(
            "%{day}-%{month}-%{year} %{hour} %{severity} [%{thread_id}] %{origin} %{message}",
            "18-Apr-2018 06:53:20.411 INFO [http-nio-8080-exec-1] org.apache.Processor.service Error parsing\n Note: further\n    at x.y(Z.java:1)",
            &[
                ("day", "18"),
                ("month", "Apr"),
                ("year", "2018"),
                ("hour", "06:53:20.411"),
                ("severity", "INFO"),
                ("thread_id", "http-nio-8080-exec-1"),
                ("origin", "org.apache.Processor.service"),
                ("message", "Error parsing\n Note: further\n    at x.y(Z.java:1)"),
            ],
        );
    }

    #[test]
    fn leading_text() {
        matches(",,,%{a} %{b}", ",,,foo bar", &[("a", "foo"), ("b", "bar")]);
        matches(",%{a} %{b}", ",,foo bar", &[("a", ",foo"), ("b", "bar")]);
        matches(
            "(%{a}) [%{b}] -[%{c}]",
            "(foo) [] -[bar]",
            &[("a", "foo"), ("b", ""), ("c", "bar")],
        );
        matches("[%{a}] [%{b}]", "[] []", &[("a", ""), ("b", "")]);
        assert_eq!(
            misses("MACHINE[%{a}] %{b}", "1234567890 MACHINE[foo] bar").to_string(),
            "line does not start with `MACHINE[`"
        );
        misses("/var/log/%{key}.log", "foobar");
        // As Elasticsearch: a line holding only the leading text, or nothing, does not match.
        assert_eq!(misses("x%{a}", "x"), MatchError::Empty);
        assert_eq!(misses("%{a}", ""), MatchError::Empty);
        matches("x%{a}", "xy", &[("a", "y")]);
    }

    #[test]
    fn misses_say_which_delimiter_was_not_found_and_where() {
        misses("%{a},%{b}", "foo bar");
        misses("%{a}, %{b}", "foo,bar");
        misses("x%{a},%{b}", "foo,bar");
        misses("x%{},%{b}", "foo,bar");
        misses("leading_delimiter_long%{a}", "foo");
        misses("%{a}trailing_delimiter_long", "foo");
        misses("leading_delimiter_long%{a}trailing_delimiter_long", "foo");
        misses("%{a}x", "foo");
        misses("%{a},%{b}x", "foo,bar");
        misses("%{key1} %{key2} %{key3}", "foo bar");
        misses("/var/log/%{key}.log", "/var/log/foobar");
        let e = misses("%{ts} %{host} app[%{pid}]: %{msg}", "ts host app[12: oops");
        assert_eq!(
            e,
            MatchError::Delimiter {
                delimiter: "]: ".into(),
                key: "%{pid}".into(),
                at: 12
            }
        );
        assert_eq!(
            e.to_string(),
            "delimiter `]: ` after %{pid} not found from byte 12"
        );
    }

    #[test]
    fn pattern_errors_name_the_column() {
        let e = bad("%{a} %{b");
        assert_eq!(e.column, 6);
        assert!(e.reason.contains("never closed"), "{e}");
        let e = bad("%{a} %{b}%{c}");
        assert_eq!(e.column, 10);
        assert!(e.reason.contains("no text between"), "{e}");
        assert!(e
            .to_string()
            .starts_with("dissect pattern `%{a} %{b}%{c}`, column 10: "));
        assert_eq!(bad("%{a}%{b} %{c}").column, 5);
        assert_eq!(bad("é %{*a} %{b}").column, 3);
        assert!(bad("é %{*a} %{b}").reason.contains("no matching `%{&a}`"));
        assert!(bad("%{a} %{&b}").reason.contains("no matching `%{*b}`"));
        assert!(bad("%{*a} %{&b}").reason.contains("no matching"));
        assert!(bad("%{*a} %{*a} %{&a}").reason.contains("twice"));
        let e = bad("%{a} %{b/2}");
        assert_eq!(e.column, 9);
        assert!(e.reason.contains("needs the `+` modifier"), "{e}");
        assert!(bad("%{+b/x}").reason.contains("must be a number"));
        assert!(bad("%{+b/}").reason.contains("must be a number"));
        assert!(bad("%{+b/99999}").reason.contains("too large"));
        assert!(bad("%{++}").reason.contains("more than one modifier"));
        assert!(bad("%{some?thing}")
            .reason
            .contains("modifiers go before the name"));
        assert!(bad("%{*}").reason.contains("needs a name"));
        assert!(bad("%{a %{b}").reason.contains("`}` missing"));
        assert!(bad("").reason.contains("no `%{key}`"));
        assert!(bad("{}").reason.contains("no `%{key}`"));
        assert!(bad("anything").reason.contains("no `%{key}`"));
        assert!(bad("%{} %{?x}").reason.contains("every key"));
        assert!(bad("%{a..b}").reason.contains("not a field name"));
        assert!(bad("%{a} %{a} %{*a} %{&a}")
            .reason
            .contains("both a reference pair and a field"));
    }

    #[test]
    fn nested_names_spaces_and_repeated_plain_keys() {
        matches(
            "%{source.ip}:%{source.port} -> %{destination.ip}",
            "10.0.0.1:443 -> 10.0.0.2",
            &[
                ("source.ip", "10.0.0.1"),
                ("source.port", "443"),
                ("destination.ip", "10.0.0.2"),
            ],
        );
        matches_with("%{+name ->} %{+name}", "-", "a   b", &[("name", "a-b")]);
        // A repeated plain key keeps its last value, as Elasticsearch does.
        matches("%{a} %{a}", "x y", &[("a", "y")]);
    }

    #[test]
    fn keys_and_accessors() {
        let d = Dissector::new("%{a} %{?s} %{+b} %{*r} %{&r} %{b} %{c.d}").unwrap();
        let keys: Vec<&str> = d.keys().iter().map(|k| &**k).collect();
        assert_eq!(keys, ["a", "b", "c.d"]);
        let m = d.dissect("1 2 3 k v 4 5").unwrap();
        assert_eq!(m.get(&d, "b"), Some("34"));
        assert_eq!(m.get(&d, "k"), Some("v"));
        assert_eq!(m.get(&d, "s"), None);
        assert_eq!(m.references(), &[("k", "v")]);
        assert!(matches!(m.values()[0], Cow::Borrowed("1")));
        assert_eq!(d.pattern(), "%{a} %{?s} %{+b} %{*r} %{&r} %{b} %{c.d}");
        assert_eq!(
            Dissector::new("%{a}").unwrap(),
            Dissector::new("%{a}").unwrap()
        );
        assert_ne!(
            Dissector::new("%{a}").unwrap(),
            Dissector::new("%{a}").unwrap().append_separator(" ")
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
        #[test]
        fn no_pattern_or_line_panics(pattern in r"([a-z ,\-\]\[é]|%\{[+?*&]?[a-z]{0,2}(/[0-9])?(->)?\}|%\{|\}){0,8}", line in r"[a-z ,\-\]\[é࿏]{0,40}") {
            if let Ok(d) = Dissector::new(&pattern) {
                if let Ok(m) = d.dissect(&line) {
                    proptest::prop_assert_eq!(m.values().len(), d.keys().len());
                }
            }
        }

        #[test]
        fn generated_lines_split_back_into_their_values(values in proptest::collection::vec("[a-z0-9 ]{0,6}", 1..6)) {
            // Values never hold the delimiter, so each comes back intact.
            let pattern: Vec<String> = (0..values.len()).map(|i| format!("%{{k{i}}}")).collect();
            let d = Dissector::new(&pattern.join("|")).unwrap();
            let line = values.join("|");
            match d.dissect(&line) {
                Ok(m) => proptest::prop_assert_eq!(m.values().iter().map(|v| v.to_string()).collect::<Vec<_>>(), values),
                Err(MatchError::Empty) => proptest::prop_assert!(line.is_empty()),
                Err(e) => proptest::prop_assert!(false, "{}", e),
            }
        }
    }
}
