//! `aws.ec2_logs`: EC2 system logs (syslog lines) exported from CloudWatch Logs.
//!
//! A CloudWatch Logs export writes each log event as its RFC 3339 ingestion
//! time, a space, and the message; for an instance's system log the message
//! is a syslog line:
//!
//! ```text
//! 2020-02-20T07:02:37.000Z Feb 20 07:02:37 ip-172-31-81-156 dhclient[2898]: DHCPACK from 172.31.80.1 (xid=0x4575af22)
//! ```
//!
//! | part | emitted as |
//! |---|---|
//! | export timestamp | `@timestamp` |
//! | syslog timestamp (`Feb 20 07:02:37`, no year) | not emitted: the export time is the same instant with a year |
//! | host | `aws.ec2.ip_address` (Elastic's name; it is the host name) |
//! | program and pid, up to the first `: ` | `process.name` (`dhclient[2898]`, as Elastic reports it), `process.pid` (`2898`) |
//! | the rest | `message` |
//!
//! Elastic's pipeline means to split the pid off `process.name` but its
//! pattern never matches, so its `process.name` keeps the `[pid]`; this
//! parser reports the same `process.name` for compatibility and adds the
//! pid as `process.pid`.
//!
//! Lines Elastic would reject are still kept: a line without the export
//! timestamp (a raw syslog line) yields everything but `@timestamp`; an
//! export line whose message is not syslog yields `@timestamp` and the whole
//! message; a syslog line without `program: ` yields the host and message.

use crate::time::Timestamp;
use crate::{time, Event, OptionError, Options, ParseError, Parser};

/// Dataset name.
pub const DATASET: &str = "aws.ec2_logs";
/// Options this dataset accepts (comma separated): none.
pub const OPTIONS: &str = "";

/// Builds the parser.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    crate::build_default::<Ec2LogsParser>(DATASET, options)
}

/// Parses exported EC2 syslog lines; stateless.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ec2LogsParser;

impl Parser for Ec2LogsParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let line = record.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            return Ok(());
        }
        let mut event = Event::new();
        let mut rest = line;
        if let Some((first, after)) = line.split_once(' ') {
            if let Some(ts) = Timestamp::parse_rfc3339(first) {
                event.push("@timestamp", ts);
                rest = after;
            }
        }
        let exported = event.contains("@timestamp");
        match syslog_header(rest) {
            Some((host, after_host)) => {
                event.push("aws.ec2.ip_address", host);
                match after_host.split_once(": ") {
                    Some((program, message)) if !program.is_empty() => {
                        event.push("process.name", program);
                        if let Some(pid) = pid(program) {
                            event.push("process.pid", pid);
                        }
                        event.push("message", message);
                    }
                    _ => event.push("message", after_host),
                }
            }
            None if exported => event.push("message", rest),
            None => {
                return Err(ParseError::new(
                    DATASET,
                    "expected an RFC 3339 export timestamp or a syslog header (`Feb 20 07:01:01 host program: message`)",
                ))
            }
        }
        emit(event);
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(*self))
    }
}

/// `MMM [ d]d HH:MM:SS host ` at the start of `s`: the host and what follows it.
fn syslog_header(s: &str) -> Option<(&str, &str)> {
    let (month, rest) = s.split_once(' ')?;
    let month_ok = month.len() >= 3
        && time::month_from_abbrev(&month.as_bytes()[..3]).is_some()
        && month.bytes().all(|c| c.is_ascii_alphabetic());
    if !month_ok {
        return None;
    }
    let rest = rest.trim_start_matches(' ');
    let (day, rest) = rest.split_once(' ')?;
    if day.is_empty() || day.len() > 2 || !day.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (clock, rest) = rest.split_once(' ')?;
    let b = clock.as_bytes();
    let clock_ok = b.len() >= 8
        && b[2] == b':'
        && b[5] == b':'
        && b.iter().enumerate().all(|(i, c)| {
            if i == 2 || i == 5 {
                *c == b':'
            } else {
                c.is_ascii_digit() || (i >= 8 && (*c == b'.' || *c == b','))
            }
        });
    if !clock_ok {
        return None;
    }
    let rest = rest.trim_start_matches(' ');
    let (host, after) = match rest.split_once(' ') {
        Some((h, a)) => (h, a),
        None => (rest, ""),
    };
    (!host.is_empty()).then_some((host, after))
}

/// The pid in `program[pid]`.
fn pid(program: &str) -> Option<i64> {
    let inner = program.strip_suffix(']')?;
    let open = inner.rfind('[')?;
    inner[open + 1..].parse().ok().filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Vec<serde_json::Value>, ParseError> {
        let mut p = build(&Options::new()).unwrap();
        let mut out = Vec::new();
        p.parse(line, &mut |e| {
            let mut buf = Vec::new();
            e.write_json(&mut buf);
            out.push(serde_json::from_slice(&buf).expect("valid JSON"));
        })?;
        Ok(out)
    }

    fn one(line: &str) -> serde_json::Value {
        let mut v = parse(line).expect("parses");
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    #[test]
    fn parses_exported_syslog_line_with_pid() {
        let v = one("2020-02-20T07:02:18.000Z Feb 20 07:02:18 ip-172-31-81-156 dhclient[3000]: XMT: Solicit on eth0, interval 125240ms.");
        assert_eq!(v["@timestamp"], "2020-02-20T07:02:18.000Z");
        assert_eq!(v["aws"]["ec2"]["ip_address"], "ip-172-31-81-156");
        assert_eq!(v["process"]["name"], "dhclient[3000]");
        assert_eq!(v["process"]["pid"], 3000);
        assert_eq!(v["message"], "XMT: Solicit on eth0, interval 125240ms.");
    }

    #[test]
    fn parses_program_without_pid() {
        let v = one("2020-02-20T07:01:01.000Z Feb 20 07:01:01 ip-172-31-81-156 systemd: Stopping User Slice of root.");
        assert_eq!(v["process"]["name"], "systemd");
        assert!(v["process"].get("pid").is_none());
        assert_eq!(v["message"], "Stopping User Slice of root.");
    }

    #[test]
    fn message_keeps_later_colons_and_urls() {
        let v = one("2020-02-20T07:02:37.000Z Feb 20 07:02:37 ip-172-31-81-156 ec2net: [get_meta] Trying to get http://169.254.169.254/latest/meta-data/network/interfaces/macs/12:e2:a9:95:8b:97/local-ipv4s");
        assert_eq!(v["process"]["name"], "ec2net");
        assert_eq!(
            v["message"],
            "[get_meta] Trying to get http://169.254.169.254/latest/meta-data/network/interfaces/macs/12:e2:a9:95:8b:97/local-ipv4s"
        );
    }

    #[test]
    fn single_digit_day_is_padded_with_a_space() {
        let v = one("2021-03-05T10:00:00.123Z Mar  5 10:00:00 ip-10-0-0-1 kernel: [    0.000000] Linux version 5.10.0");
        assert_eq!(v["@timestamp"], "2021-03-05T10:00:00.123Z");
        assert_eq!(v["process"]["name"], "kernel");
        assert_eq!(v["message"], "[    0.000000] Linux version 5.10.0");
    }

    #[test]
    fn raw_syslog_line_without_export_time_has_no_timestamp() {
        let v = one("Feb 20 07:02:37 ip-172-31-81-156 sshd[1234]: Accepted publickey for ec2-user");
        assert!(v.get("@timestamp").is_none());
        assert_eq!(v["process"]["pid"], 1234);
        assert_eq!(v["message"], "Accepted publickey for ec2-user");
    }

    #[test]
    fn export_line_without_syslog_header_keeps_the_message() {
        let v = one("2024-01-02T03:04:05.000Z Cloud-init v. 22.2.2 finished at Tue, 02 Jan 2024 03:04:05 +0000.");
        assert_eq!(v["@timestamp"], "2024-01-02T03:04:05.000Z");
        assert_eq!(
            v["message"],
            "Cloud-init v. 22.2.2 finished at Tue, 02 Jan 2024 03:04:05 +0000."
        );
        assert!(v.get("process").is_none());
    }

    #[test]
    fn syslog_line_without_program_keeps_host_and_message() {
        let v = one("2024-01-02T03:04:05.000Z Jan  2 03:04:05 ip-10-0-0-1 --- MARK ---");
        assert_eq!(v["aws"]["ec2"]["ip_address"], "ip-10-0-0-1");
        assert_eq!(v["message"], "--- MARK ---");
    }

    #[test]
    fn malformed_line_is_an_error_not_a_panic() {
        for line in [
            "hello world",
            "Feb",
            "Foo 20 07:02:37 host x: y",
            "Feb 200 07:02:37 host x: y",
            "Feb 20 7:2:37 host x: y",
        ] {
            let e = parse(line).unwrap_err();
            assert_eq!(e.dataset, DATASET);
        }
        assert!(parse("").unwrap().is_empty());
        assert!(parse("  \r").unwrap().is_empty());
    }

    #[test]
    fn fixture_lines_parse() {
        let text = include_str!("../../tests/fixtures/aws.ec2_logs/ec2.log");
        for line in text.lines() {
            let v = one(line);
            assert!(v.get("@timestamp").is_some(), "{line}");
            assert!(v.get("message").is_some(), "{line}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,200}") {
            let _ = parse(&s);
        }
    }
}
