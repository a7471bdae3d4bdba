//! A small borrowed JSON tree for the free-form members of a CloudTrail event
//! (`requestParameters`, `responseElements`, `additionalEventData`, …).
//!
//! Strings and numbers borrow from the record; only strings with escapes are
//! copied. The tree keeps what Elastic's pipeline needs to reproduce its
//! output: member order as written (for Java's `HashMap` order), how many
//! distinct keys an object had before empty values were dropped (it decides
//! the `HashMap`'s capacity), and number tokens as written.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::event::write_str;

/// A JSON value borrowed from the record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    /// A number token as written (`3600`, `2.0`, `1e5`).
    Num(&'a str),
    Str(Cow<'a, str>),
    Arr(Vec<Node<'a>>),
    Obj(Obj<'a>),
}

/// A JSON object: members in the order written, duplicate keys merged the
/// way a Java `HashMap` merges them (first position, last value).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Obj<'a> {
    pub(crate) members: Vec<(Cow<'a, str>, Node<'a>)>,
    /// Distinct keys inserted, before empty values were pruned.
    pub(crate) inserted: usize,
}

/// Deepest nesting accepted (as serde_json's default).
const MAX_DEPTH: usize = 128;

impl<'a> Node<'a> {
    #[cfg(test)]
    /// Parses one JSON value (the whole of `text`, surrounding whitespace
    /// allowed). `None` when it is not valid JSON.
    pub(crate) fn parse(text: &'a str) -> Option<Node<'a>> {
        let mut reader = Reader::new(text);
        let node = reader.node()?;
        reader.at_end().then_some(node)
    }

    /// Drops `null`, `""` and containers left empty, recursively, as Elastic's
    /// pipeline does first; returns whether this node itself is to be dropped.
    pub(crate) fn prune(&mut self) -> bool {
        match self {
            Node::Null => true,
            Node::Str(s) => s.is_empty(),
            Node::Bool(_) | Node::Num(_) => false,
            Node::Arr(items) => {
                items.retain_mut(|n| !n.prune());
                items.is_empty()
            }
            Node::Obj(obj) => {
                obj.members.retain_mut(|(_, n)| !n.prune());
                obj.members.is_empty()
            }
        }
    }

    /// The member at a dotted `path` of nested objects.
    pub(crate) fn get(&self, path: &str) -> Option<&Node<'a>> {
        let mut node = self;
        let mut rest = path;
        loop {
            match rest.as_bytes().iter().position(|&b| b == b'.') {
                Some(i) => {
                    node = node.member(&rest[..i])?;
                    rest = &rest[i + 1..];
                }
                None => return node.member(rest),
            }
        }
    }

    /// The member `key` of an object.
    pub(crate) fn member(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Obj(obj) => obj.members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The items of an array (none for anything else).
    pub(crate) fn items(&self) -> &[Node<'a>] {
        match self {
            Node::Arr(items) => items,
            _ => &[],
        }
    }

    /// A scalar as text: strings as they are, numbers as written, booleans
    /// as `true`/`false`; `None` for null, empty strings and containers.
    pub(crate) fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Node::Str(s) if !s.is_empty() => Some(s.clone()),
            Node::Num(n) => Some(Cow::Borrowed(n)),
            Node::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// Writes the value as JSON with object keys sorted, as Elasticsearch
    /// returns a `flattened` field (and as Elastic's expected documents show
    /// objects inside arrays).
    pub(crate) fn write_sorted_json(&self, out: &mut Vec<u8>) {
        match self {
            Node::Null => out.extend_from_slice(b"null"),
            Node::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Node::Num(n) => out.extend_from_slice(n.as_bytes()),
            Node::Str(s) => write_str(out, s),
            Node::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_sorted_json(out);
                }
                out.push(b']');
            }
            Node::Obj(obj) => {
                out.push(b'{');
                if obj.members.windows(2).all(|w| w[0].0 <= w[1].0) {
                    write_members(obj.members.iter(), out);
                } else {
                    let mut order: Vec<&(Cow<'a, str>, Node<'a>)> = obj.members.iter().collect();
                    order.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                    write_members(order.into_iter(), out);
                }
                out.push(b'}');
            }
        }
    }
}

/// Writes `"key":value` pairs separated by commas.
fn write_members<'n, 'a: 'n>(
    members: impl Iterator<Item = &'n (Cow<'a, str>, Node<'a>)>,
    out: &mut Vec<u8>,
) {
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        value.write_sorted_json(out);
    }
}

/// A validating reader over JSON text: builds [`Node`]s, reads scalars as
/// text, walks object members and skips values without building them.
pub(crate) struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    /// Byte offset of the next unread byte (for error messages).
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Calls `member` with each key of the object at the cursor; `member`
    /// must read or skip the value. `None` if this is not a well-formed object.
    pub(crate) fn members(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            member(self, key)?;
            if self.eat(b',') {
                continue;
            }
            return self.eat(b'}').then_some(());
        }
    }

    /// A scalar as text (strings unescaped, numbers as written, booleans as
    /// `true`/`false`); `Some(None)` for null, `""` and containers (skipped).
    pub(crate) fn text(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => self.string().map(|s| (!s.is_empty()).then_some(s)),
            b'{' | b'[' | b'n' => self.skip(0).map(|()| None),
            _ => self.value(MAX_DEPTH).map(|n| n.text()),
        }
    }

    /// The value at the cursor as a tree.
    pub(crate) fn node(&mut self) -> Option<Node<'a>> {
        self.value(0)
    }

    /// Skips the value at the cursor, checking that it is well-formed.
    pub(crate) fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.members(|r, _| r.skip(depth + 1)),
            b'[' => {
                self.pos += 1;
                if self.eat(b']') {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    if self.eat(b',') {
                        continue;
                    }
                    return self.eat(b']').then_some(());
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => self.value(depth).map(|_| ()),
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Some(Node::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b',') {
                        continue;
                    }
                    return self.eat(b']').then_some(Node::Arr(items));
                }
            }
            b'"' => self.string().map(Node::Str),
            b't' => self.literal("true", Node::Bool(true)),
            b'f' => self.literal("false", Node::Bool(false)),
            b'n' => self.literal("null", Node::Null),
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') =
                    self.bytes.get(self.pos)
                {
                    self.pos += 1;
                }
                let token = self.text.get(start..self.pos)?;
                is_number(token).then_some(Node::Num(token))
            }
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, node: Node<'a>) -> Option<Node<'a>> {
        if self.bytes.get(self.pos..self.pos + word.len())? == word.as_bytes() {
            self.pos += word.len();
            Some(node)
        } else {
            None
        }
    }

    fn object(&mut self, depth: usize) -> Option<Node<'a>> {
        let mut obj = Obj::default();
        // Index of keys, built only for objects with many members.
        let mut index: Option<HashMap<Cow<'a, str>, usize>> = None;
        self.members(|r, key| {
            let value = r.value(depth + 1)?;
            let existing = match &index {
                Some(map) => map.get(&key).copied(),
                None => obj.members.iter().position(|(k, _)| *k == key),
            };
            match existing {
                Some(i) => obj.members[i].1 = value,
                None => {
                    if let Some(map) = &mut index {
                        map.insert(key.clone(), obj.members.len());
                    }
                    obj.members.push((key, value));
                    if index.is_none() && obj.members.len() > 32 {
                        index = Some(
                            obj.members
                                .iter()
                                .enumerate()
                                .map(|(i, (k, _))| (k.clone(), i))
                                .collect(),
                        );
                    }
                }
            }
            Some(())
        })?;
        obj.inserted = obj.members.len();
        Some(Node::Obj(obj))
    }

    /// A string literal at the cursor; borrowed unless it holds escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.pos;
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            let k = crate::framing::json::find_either(self.bytes.get(i..)?, b'"', b'\\')?;
            i += k;
            if self.bytes[i] == b'\\' {
                escaped = true;
                i += 2;
            } else {
                break;
            }
        }
        self.pos = i + 1;
        if escaped {
            serde_json::from_str::<String>(self.text.get(start..self.pos)?)
                .ok()
                .map(Cow::Owned)
        } else {
            self.text.get(start + 1..i).map(Cow::Borrowed)
        }
    }
}

/// Whether `token` is a JSON number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_number(token: &str) -> bool {
    let b = token.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(text: &str) -> String {
        let mut node = Node::parse(text).unwrap();
        node.prune();
        let mut out = Vec::new();
        node.write_sorted_json(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn parses_borrowing_unescaped_strings_and_keeping_number_tokens() {
        let text = r#" {"a": "x", "b": "q\"uote\u00e9", "n": [1, -2.50, 1e5], "t": true} "#;
        let node = Node::parse(text).unwrap();
        assert!(matches!(node.get("a"), Some(Node::Str(Cow::Borrowed("x")))));
        assert_eq!(
            node.get("b").and_then(Node::text).as_deref(),
            Some("q\"uoteé")
        );
        let nums: Vec<_> = node
            .get("n")
            .unwrap()
            .items()
            .iter()
            .filter_map(Node::text)
            .collect();
        assert_eq!(nums, ["1", "-2.50", "1e5"]);
        assert_eq!(node.get("t").and_then(Node::text).as_deref(), Some("true"));
    }

    #[test]
    fn prune_drops_nulls_empty_strings_and_emptied_containers() {
        assert_eq!(
            sorted(r#"{"z":1,"a":{"x":null,"y":""},"l":[{},[],"",null,0],"m":"v"}"#),
            r#"{"l":[0],"m":"v","z":1}"#
        );
    }

    #[test]
    fn duplicate_keys_keep_the_first_position_and_the_last_value() {
        let node = Node::parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        let Node::Obj(obj) = &node else { panic!() };
        assert_eq!(obj.members.len(), 2);
        assert_eq!(obj.inserted, 2);
        assert_eq!(obj.members[0], (Cow::Borrowed("a"), Node::Num("3")));
        let many: String = (0..100).map(|i| format!("\"k{}\":{i},", i % 40)).collect();
        let text = format!("{{{}\"end\":0}}", many);
        let node = Node::parse(&text).unwrap();
        let Node::Obj(obj) = &node else { panic!() };
        assert_eq!(obj.members.len(), 41);
        assert_eq!(node.get("k0").and_then(Node::text).as_deref(), Some("80"));
    }

    #[test]
    fn rejects_what_is_not_json() {
        for bad in [
            "",
            "{",
            "{\"a\"}",
            "[1,]",
            "tru",
            "{\"a\":1}x",
            "\"open",
            "{1:2}",
            "-",
            "[1 2]",
            "01",
            "1.",
            "1e",
            "--1",
            "{\"a\":1,}",
        ] {
            assert!(Node::parse(bad).is_none(), "{bad}");
        }
        let deep = "[".repeat(500) + &"]".repeat(500);
        assert!(Node::parse(&deep).is_none());
    }
}
