//! Parsers that turn AWS log records into normalized ECS events.
//!
//! This crate is pure: no I/O beyond `std::io::Read`, no async, no AWS types.
//! The agent hands it decompressed bytes; it hands back events.
//!
//! The pieces, in the order data flows through them:
//!
//! - [`framing`] splits a decompressed object into records (lines, JSON
//!   array elements, `{"Records":[…]}` elements, concatenated JSON values),
//!   streaming, with the byte offset of each record.
//! - A [`Parser`] per dataset turns one record into zero or more [`Event`]s,
//!   borrowing from the record wherever it can. Datasets are listed in
//!   [`DATASETS`]; [`dataset`] finds one by name.
//! - [`Event::write_json`](event::Event::write_json) serializes an event as
//!   one nested JSON object straight into a reusable buffer.
//!
//! ```
//! use loglift_parsers::{dataset, Options};
//! let info = dataset("aws.vpcflow").unwrap();
//! let mut parser = info.build(&Options::new()).unwrap();
//! let line = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
//! let mut events = Vec::new();
//! parser.parse(line, &mut |e| events.push(e)).unwrap();
//! assert_eq!(events[0].get("source.port"), Some(&20641u16.into()));
//! ```

#![warn(missing_docs)]

use std::collections::BTreeMap;

pub mod convert;
pub mod dissect;
pub mod event;
pub mod framing;
pub mod network;
pub mod public_suffix;
pub mod time;
pub mod user_agent;

pub mod cloudfront;
pub mod cloudtrail;
pub mod cloudwatch_logs;
pub mod ec2_logs;
pub mod elb;
pub mod guardduty;
pub mod iru;
pub mod json_record;
mod loose_json;
pub mod mapping;
pub mod network_firewall;
pub mod route53_resolver;
pub mod s3access;
pub mod vpcflow;
pub mod waf;
pub mod wallarm;

pub use event::{Event, Value};
pub use framing::Framing;
pub use time::Timestamp;

/// Dataset options, as given in a module file or with `--set KEY=VALUE`.
pub type Options = BTreeMap<String, String>;

/// Why a record could not be turned into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{dataset}: {reason}")]
pub struct ParseError {
    /// The dataset whose parser refused the record.
    pub dataset: &'static str,
    /// What was wrong, for `error.message`.
    pub reason: String,
}

impl ParseError {
    /// A parse error of `dataset` with `reason`.
    pub fn new(dataset: &'static str, reason: impl Into<String>) -> Self {
        ParseError {
            dataset,
            reason: reason.into(),
        }
    }
}

/// Why a parser could not be built from its options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// The dataset has no option by that name.
    #[error("unknown option `{key}` for dataset {dataset} (known: {known})")]
    Unknown {
        /// Dataset name.
        dataset: &'static str,
        /// The option given.
        key: String,
        /// The options the dataset accepts.
        known: &'static str,
    },
    /// The option's value is not valid.
    #[error("invalid value for option `{key}` of dataset {dataset}: {reason}")]
    Invalid {
        /// Dataset name.
        dataset: &'static str,
        /// The option given.
        key: String,
        /// What is wrong with the value.
        reason: String,
    },
}

/// Turns one record of a dataset into events.
///
/// A parser may keep state between records of one object (a VPC flow log's
/// header line sets the field order of the lines after it), so a new parser
/// is built for every object.
pub trait Parser: Send {
    /// Parses `record` (one line, or one JSON value, without its terminator)
    /// and passes every event it yields to `emit`. A record may yield no event
    /// (a header line, a control message) or several (a CloudWatch Logs
    /// subscription payload).
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError>;

    /// A parser in the same state, to parse later parts of the same object on
    /// another thread (a VPC flow log's header, once seen, holds for every
    /// line after it). `None`, the default, keeps the object on one thread.
    fn fork(&self) -> Option<Box<dyn Parser>> {
        None
    }
}

/// A dataset the parsers know: its name, how its objects are framed, and how
/// to build its parser.
pub struct DatasetInfo {
    /// Dataset name, as in `event.dataset` (`aws.vpcflow`).
    pub name: &'static str,
    /// `event.module` (`aws`).
    pub module: &'static str,
    /// One line for `loglift datasets`.
    pub description: &'static str,
    /// How objects of this dataset are split into records.
    pub framing: Framing,
    /// Option names the dataset accepts, comma separated (for messages).
    pub options: &'static str,
    build: fn(&Options) -> Result<Box<dyn Parser>, OptionError>,
}

impl DatasetInfo {
    /// Builds a parser for one object, with `options`.
    pub fn build(&self, options: &Options) -> Result<Box<dyn Parser>, OptionError> {
        (self.build)(options)
    }
}

impl std::fmt::Debug for DatasetInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetInfo")
            .field("name", &self.name)
            .field("framing", &self.framing)
            .finish()
    }
}

/// Every built-in dataset.
pub static DATASETS: &[DatasetInfo] = &[
    DatasetInfo {
        name: "aws.cloudtrail",
        module: "aws",
        description: "AWS CloudTrail events ({\"Records\":[…]} documents or one record per line)",
        framing: Framing::JsonRecords {
            field: std::borrow::Cow::Borrowed("Records"),
        },
        options: cloudtrail::OPTIONS,
        build: cloudtrail::build,
    },
    DatasetInfo {
        name: "aws.cloudfront_logs",
        module: "aws",
        description: "Amazon CloudFront standard access logs (W3C, `#Fields` header decides the columns)",
        framing: Framing::Lines,
        options: cloudfront::OPTIONS,
        build: cloudfront::build,
    },
    DatasetInfo {
        name: "aws.cloudwatch_logs",
        module: "aws",
        description: "CloudWatch Logs subscription deliveries (Firehose) and export-task files",
        framing: Framing::ConcatenatedJson,
        options: cloudwatch_logs::OPTIONS,
        build: cloudwatch_logs::build,
    },
    DatasetInfo {
        name: "aws.ec2_logs",
        module: "aws",
        description: "EC2 system logs (syslog lines) exported from CloudWatch Logs",
        framing: Framing::Lines,
        options: ec2_logs::OPTIONS,
        build: ec2_logs::build,
    },
    DatasetInfo {
        name: "aws.elb_logs",
        module: "aws",
        description: "Elastic Load Balancing access logs: ALB, NLB and Classic",
        framing: Framing::Lines,
        options: elb::OPTIONS,
        build: elb::build,
    },
    DatasetInfo {
        name: "aws.guardduty",
        module: "aws",
        description: "Amazon GuardDuty findings exported to S3 (one finding per line)",
        framing: Framing::Ndjson,
        options: guardduty::OPTIONS,
        build: guardduty::build,
    },
    DatasetInfo {
        name: "aws.s3access",
        module: "aws",
        description: "Amazon S3 server access logs",
        framing: Framing::Lines,
        options: s3access::OPTIONS,
        build: s3access::build,
    },
    DatasetInfo {
        name: "aws.vpcflow",
        module: "aws",
        description: "VPC flow logs, default and custom formats v2–v8",
        framing: Framing::Lines,
        options: vpcflow::OPTIONS,
        build: vpcflow::build,
    },
    DatasetInfo {
        name: "aws.waf",
        module: "aws",
        description: "AWS WAF (v2) web ACL traffic logs",
        framing: Framing::Ndjson,
        options: waf::OPTIONS,
        build: waf::build,
    },
    DatasetInfo {
        name: "aws.route53_resolver_logs",
        module: "aws",
        description: "Route 53 Resolver query logs, DNS Firewall matches included",
        framing: Framing::Ndjson,
        options: route53_resolver::OPTIONS,
        build: route53_resolver::build,
    },
    DatasetInfo {
        name: "aws.firewall_logs",
        module: "aws",
        description: "AWS Network Firewall logs: alert, flow (netflow) and TLS",
        framing: Framing::Ndjson,
        options: network_firewall::OPTIONS,
        build: network_firewall::build,
    },
    DatasetInfo {
        name: "iru.audit",
        module: "iru",
        description: "Iru Endpoint (Kandji) audit events pushed to S3 (NDJSON, JSON array or {\"results\":[…]} page)",
        framing: Framing::JsonRecords {
            field: std::borrow::Cow::Borrowed("results"),
        },
        options: iru::OPTIONS,
        build: iru::build,
    },
    DatasetInfo {
        name: "wallarm.hits",
        module: "wallarm",
        description: "Wallarm security hits exported to S3 (JSON array, NDJSON or OCSF)",
        framing: Framing::JsonAuto,
        options: wallarm::OPTIONS,
        build: wallarm::build,
    },
];

/// The built-in dataset called `name`.
pub fn dataset(name: &str) -> Option<&'static DatasetInfo> {
    DATASETS.iter().find(|d| d.name == name)
}

/// Checks that `options` only holds keys from `known` (comma separated).
pub fn check_options(
    dataset: &'static str,
    options: &Options,
    known: &'static str,
) -> Result<(), OptionError> {
    match options
        .keys()
        .find(|k| !known.split(',').map(str::trim).any(|n| n == k.as_str()))
    {
        Some(key) => Err(OptionError::Unknown {
            dataset,
            key: key.clone(),
            known: if known.is_empty() { "none" } else { known },
        }),
        None => Ok(()),
    }
}

/// Builds a parser that takes no options: checks that `options` is empty,
/// then makes a default `P`.
pub fn build_default<P: Parser + Default + 'static>(
    dataset: &'static str,
    options: &Options,
) -> Result<Box<dyn Parser>, OptionError> {
    check_options(dataset, options, "")?;
    Ok(Box::<P>::default())
}

/// The event for a record that did not parse: the dataset's error, the
/// original text, and nothing invented.
pub fn error_event<'a>(record: &'a str, error: &ParseError) -> Event<'a> {
    let mut event = Event::new();
    event.push("error.message", error.to_string());
    event.push("event.original", record);
    event
}
