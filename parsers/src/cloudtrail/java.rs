//! Java's `toString()` of a parsed JSON value, which is what Elastic keeps as
//! text in `aws.cloudtrail.request_parameters` and friends:
//! `{userName=Bob, groupName=admin}`.
//!
//! Elasticsearch parses JSON objects into `java.util.HashMap`s, so members
//! come out in hash-bucket order, not as written. That order is reproduced
//! here: a key's bucket is `(h ^ (h >>> 16)) & (capacity - 1)` with `h` the
//! key's `String.hashCode()`, the capacity is the smallest power of two ≥ 16
//! that holds the object's keys at load factor 0.75, and keys sharing a
//! bucket keep their insertion order. (A `HashMap` also resizes when nine
//! keys share one bucket of a small table; with real key names that does not
//! happen and is not modelled.)
//!
//! Scalars print as Java prints the boxed values Jackson creates: strings
//! raw, integers as written, other numbers as `Double.toString` (`2.0`,
//! `1.0E-4`), booleans `true`/`false`; lists as `[a, b]`.

use super::tree::{Node, Obj};

/// Appends the Java `toString()` of `node` to `out`.
pub(crate) fn write_to_string(node: &Node<'_>, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Num(n) => write_number(n, out),
        Node::Str(s) => out.push_str(s),
        Node::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_to_string(item, out);
            }
            out.push(']');
        }
        Node::Obj(obj) if obj.members.len() == 1 => {
            let (key, value) = &obj.members[0];
            out.push('{');
            out.push_str(key);
            out.push('=');
            write_to_string(value, out);
            out.push('}');
        }
        Node::Obj(obj) => {
            out.push('{');
            for (i, &m) in hash_order(obj).iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let (key, value) = &obj.members[m];
                out.push_str(key);
                out.push('=');
                write_to_string(value, out);
            }
            out.push('}');
        }
    }
}

/// Length of the Java `toString()` in UTF-16 code units (Java's
/// `String.length()`), as Elastic compares it with 32766.
pub(crate) fn java_length(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// Indices of `obj.members` in the order a `java.util.HashMap` iterates them.
pub(crate) fn hash_order(obj: &Obj<'_>) -> Vec<usize> {
    let mut capacity = 16usize;
    while obj.inserted.max(obj.members.len()) > capacity / 4 * 3 {
        capacity *= 2;
    }
    let mask = (capacity - 1) as u32;
    let mut order: Vec<(u32, usize)> = obj
        .members
        .iter()
        .enumerate()
        .map(|(i, (key, _))| {
            let h = string_hash(key);
            ((h ^ (h >> 16)) & mask, i)
        })
        .collect();
    // Stable: members of one bucket keep their insertion order.
    order.sort_by_key(|&(bucket, _)| bucket);
    order.into_iter().map(|(_, i)| i).collect()
}

/// Java's `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units.
pub(crate) fn string_hash(s: &str) -> u32 {
    if s.is_ascii() {
        return s
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    }
    let mut h = 0u32;
    let mut units = [0u16; 2];
    for c in s.chars() {
        for &u in c.encode_utf16(&mut units).iter() {
            h = h.wrapping_mul(31).wrapping_add(u32::from(u));
        }
    }
    h
}

/// A JSON number token as Java prints what Jackson makes of it: integers
/// (`Integer`, `Long`, `BigInteger`) as written, anything with a fraction or
/// exponent as a `Double`.
fn write_number(token: &str, out: &mut String) {
    if token.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        if token.trim_start_matches('-').bytes().all(|b| b == b'0') {
            out.push('0');
        } else {
            out.push_str(token);
        }
        return;
    }
    match token.parse::<f64>() {
        Ok(d) => write_double(d, out),
        Err(_) => out.push_str(token),
    }
}

/// Java's `Double.toString(d)`: plain notation with at least one fraction
/// digit for 10⁻³ ≤ |d| < 10⁷, else `d.dddE±n`; shortest round-trip digits.
pub(crate) fn write_double(d: f64, out: &mut String) {
    if d.is_nan() {
        out.push_str("NaN");
        return;
    }
    if d.is_infinite() {
        out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if d.is_sign_negative() {
        out.push('-');
    }
    if d == 0.0 {
        out.push_str("0.0");
        return;
    }
    // Shortest digits and decimal exponent: d = 0.DIGITS × 10^point.
    let mut buffer = ryu::Buffer::new();
    let shortest = buffer.format_finite(d.abs());
    let (mantissa, exp) = match shortest.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (shortest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    let mut point = int_part.len() as i32 + exp;
    while digits.len() > 1 && digits[0] == b'0' {
        digits.remove(0);
        point -= 1;
    }
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    let digits = String::from_utf8(digits).unwrap_or_default();
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-point) as usize));
            out.push_str(&digits);
        } else if point as usize >= digits.len() {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point as usize]);
            out.push('.');
            out.push_str(&digits[point as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(if digits.len() > 1 { &digits[1..] } else { "0" });
        out.push('E');
        out.push_str(itoa::Buffer::new().format(point - 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn java(text: &str) -> String {
        let mut node = Node::parse(text).unwrap();
        node.prune();
        let mut out = String::new();
        write_to_string(&node, &mut out);
        out
    }

    fn double(d: f64) -> String {
        let mut out = String::new();
        write_double(d, &mut out);
        out
    }

    #[test]
    fn string_hash_matches_java() {
        // Values from `"...".hashCode()` in Java (as unsigned).
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("userName") as i32, -266_666_762);
        assert_eq!(string_hash("hello world") as i32, 1_794_106_052);
        assert_eq!(string_hash("é"), 0xe9);
        assert_eq!(string_hash("😀"), 0xd83d * 31 + 0xde00);
    }

    #[test]
    fn objects_print_in_hash_map_order_like_elastic() {
        // From Elastic's CloudTrail pipeline tests.
        assert_eq!(
            java(r#"{"userName":"Bob","groupName":"admin"}"#),
            "{groupName=admin, userName=Bob}"
        );
        assert_eq!(
            java(r#"{"action":"lambda:InvokeFunction","functionName":"f","principal":"sns.amazonaws.com","statementId":"sns"}"#),
            "{principal=sns.amazonaws.com, functionName=f, statementId=sns, action=lambda:InvokeFunction}"
        );
        assert_eq!(
            java(
                r#"{"MobileVersion":"No","LoginTo":"https://console.aws.amazon.com/s3/","MFAUsed":"No"}"#
            ),
            "{LoginTo=https://console.aws.amazon.com/s3/, MobileVersion=No, MFAUsed=No}"
        );
        assert_eq!(
            java(
                r#"{"instancesSet":{"items":[{"instanceId":"i-0"}]},"force":false,"skipOsShutdown":false}"#
            ),
            "{instancesSet={items=[{instanceId=i-0}]}, skipOsShutdown=false, force=false}"
        );
    }

    #[test]
    fn empty_members_are_dropped_before_printing() {
        assert_eq!(
            java(r#"{"ipProtocol":"tcp","fromPort":4444,"toPort":4444,"groups":{},"ipRanges":{"items":[{"cidrIp":"73.21.4.36/32"}]},"ipv6Ranges":{},"prefixListIds":{}}"#),
            "{ipRanges={items=[{cidrIp=73.21.4.36/32}]}, fromPort=4444, toPort=4444, ipProtocol=tcp}"
        );
    }

    #[test]
    fn large_objects_use_a_larger_table() {
        // 13 keys: a 32-bucket table, so the order differs from 16 buckets.
        let text: String = format!(
            "{{{}}}",
            (0..13)
                .map(|i| format!("\"key{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let node = Node::parse(&text).unwrap();
        let Node::Obj(obj) = &node else { panic!() };
        let order = hash_order(obj);
        let buckets: Vec<u32> = order
            .iter()
            .map(|&i| {
                let h = string_hash(&obj.members[i].0);
                (h ^ (h >> 16)) & 31
            })
            .collect();
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn numbers_print_like_jackson_boxed_values() {
        assert_eq!(java(r#"[3600, -7, 0, -0, 2.0, 0.0, 1.5, 1e5, 12345678.9, 0.0001, 123456789012345678901234]"#), "[3600, -7, 0, 0, 2.0, 0.0, 1.5, 100000.0, 1.23456789E7, 1.0E-4, 123456789012345678901234]");
    }

    #[test]
    fn double_to_string_matches_java() {
        assert_eq!(double(1.0), "1.0");
        assert_eq!(double(-2.5), "-2.5");
        assert_eq!(double(0.001), "0.001");
        assert_eq!(double(0.000999), "9.99E-4");
        assert_eq!(double(9_999_999.0), "9999999.0");
        assert_eq!(double(10_000_000.0), "1.0E7");
        assert_eq!(double(1e21), "1.0E21");
        assert_eq!(double(1.234e-10), "1.234E-10");
        assert_eq!(double(100.0), "100.0");
        assert_eq!(double(0.1), "0.1");
        assert_eq!(double(-0.0), "-0.0");
    }

    #[test]
    fn java_length_counts_utf16_units() {
        assert_eq!(java_length("abc"), 3);
        assert_eq!(java_length("é😀"), 3);
    }
}
