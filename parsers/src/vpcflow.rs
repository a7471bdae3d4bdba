//! `aws.vpcflow`: Amazon VPC flow logs (and transit gateway flow logs) in
//! plain-text form, as delivered to S3.
//!
//! A flow log record is one line of space-separated values; `-` marks a value
//! that does not apply. Which field sits at which position depends on the
//! flow log's format:
//!
//! - **Header line.** S3 deliveries start every object with a line naming the
//!   fields (`version account-id interface-id srcaddr …`). That line yields no
//!   event; it sets the field order of the lines after it. A parser lives for
//!   one object, so the header applies to that object only.
//! - **`format` option.** For objects without a header (CloudWatch exports,
//!   re-packed files), the format the flow log was created with, as AWS
//!   writes it (`${version} ${vpc-id} ${subnet-id} …`) or as plain names.
//! - **Field count.** Otherwise the layouts Elastic's integration recognises
//!   are told apart by their number of fields: the default v2 format (14),
//!   the NAT gateway example (6), the transit gateway example (17), the TCP
//!   flag sequence example (21), all v5 fields (29), transit gateway flow logs
//!   (36), all v7 fields with ECS metadata (39) and all v8 fields (40).
//!
//! Every documented field of versions 2 to 8 is known (plus transit gateway
//! flow log fields and the newer `resource-id` and `encryption-status`). The
//! values of fields a header names that this parser does not know are kept
//! in `aws.vpcflow.other_fields`, an object keyed by the header's names.
//!
//! The events match Elastic's AWS integration (`aws.vpcflow` data stream),
//! including its quirks: `cloud.region` and `cloud.availability_zone` keep a
//! `-` value, an absent sublocation leaves `aws.vpcflow.sublocation: {}`, and
//! `related.ip` lists source and destination even when they are equal.
//!
//! The hot path does no allocation beyond the event itself, the community ID
//! string and the two-element `related.ip` list: values borrow from the line,
//! constant lists are pre-serialized JSON.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::OnceLock;

use crate::network::{community_id_v1, parse_ip, transport_name, ICMP, ICMPV6};
use crate::{check_options, Event, OptionError, Options, ParseError, Parser, Timestamp, Value};

/// Dataset name.
pub const DATASET: &str = "aws.vpcflow";
/// Options this dataset accepts (comma separated).
pub const OPTIONS: &str = "format";

/// Builds the parser. Option `format` (optional) gives the field order of
/// records in objects without a header line.
pub fn build(options: &Options) -> Result<Box<dyn Parser>, OptionError> {
    check_options(DATASET, options, OPTIONS)?;
    let configured = match options.get("format") {
        Some(format) => {
            Some(
                Layout::parse(format, true).map_err(|reason| OptionError::Invalid {
                    dataset: DATASET,
                    key: "format".to_string(),
                    reason,
                })?,
            )
        }
        None => None,
    };
    Ok(Box::new(VpcFlowParser {
        configured,
        header: None,
    }))
}

/// The VPC flow log parser of one object.
#[derive(Debug, Clone, Default)]
pub struct VpcFlowParser {
    /// Layout from the `format` option.
    configured: Option<Layout>,
    /// Layout from the object's header line; wins over `configured`.
    header: Option<Layout>,
}

impl VpcFlowParser {
    /// A parser that recognises layouts by header line or field count only.
    pub fn new() -> Self {
        VpcFlowParser::default()
    }

    /// A parser for records in `format` (field names separated by spaces,
    /// bare or as `${name}`).
    pub fn with_format(format: &str) -> Result<Self, String> {
        Ok(VpcFlowParser {
            configured: Some(Layout::parse(format, true)?),
            header: None,
        })
    }
}

impl Parser for VpcFlowParser {
    fn parse<'a>(
        &mut self,
        record: &'a str,
        emit: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), ParseError> {
        let line = unwrap_message(record.trim_matches(is_separator_char));
        if line.is_empty() {
            return Ok(());
        }
        if is_header(line) {
            let layout = Layout::parse(line, false).map_err(|e| ParseError::new(DATASET, e))?;
            self.header = Some(layout);
            return Ok(());
        }
        let mut fields = [""; MAX_FIELDS];
        let count = split_fields(line, &mut fields)
            .ok_or_else(|| error(format!("a record has at most {MAX_FIELDS} fields")))?;
        let fields = &fields[..count];
        let layout = match (&self.header, &self.configured) {
            (Some(layout), _) | (None, Some(layout)) => layout,
            (None, None) => auto_layout(count).ok_or_else(|| {
                ParseError::new(
                    DATASET,
                    format!(
                        "a record of {count} fields matches no known VPC flow log layout \
                             (set the `format` option, or keep the object's header line)"
                    ),
                )
            })?,
        };
        emit(parse_record(layout, fields)?);
        Ok(())
    }

    fn fork(&self) -> Option<Box<dyn Parser>> {
        Some(Box::new(self.clone()))
    }
}

fn is_separator_char(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

/// Adds a string field unless the value is absent (`""`: not in the format)
/// or `-`; inlined so that the many fields a format lacks cost one compare.
#[inline(always)]
fn put<'a>(e: &mut Event<'a>, key: &'static str, value: &'a str) {
    if !value.is_empty() && value != "-" {
        e.push(key, value);
    }
}

/// Elastic's pipeline accepts a record wrapped as `{"message":"…"}`; so do we.
fn unwrap_message(line: &str) -> &str {
    line.strip_prefix("{\"message\":\"")
        .and_then(|rest| rest.strip_suffix("\"}"))
        .map_or(line, |inner| inner.trim_matches(is_separator_char))
}

/// Whether `line` names fields rather than holding values: its first word is
/// a known field name, every word looks like a name, and at least half of
/// them are known names. Values hardly ever pass (versions are numbers, ids
/// carry a prefix and digits such as `eni-0a1b`, the rest are addresses,
/// numbers or `-`); a user-chosen ECS service name is the one exception the
/// last two conditions guard against.
fn is_header(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'$' => {}
        _ => return false,
    }
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    let first = words.next().unwrap_or("");
    if first.bytes().any(|c| c.is_ascii_digit()) || field_by_name(first).is_none() {
        return false;
    }
    let (mut total, mut known) = (1usize, 1usize);
    for word in words {
        let name = bare_name(word);
        if name.is_empty()
            || !name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return false;
        }
        total += 1;
        known += usize::from(field_by_name(word).is_some());
    }
    known * 2 >= total
}

/// Most fields a record (and so a format) may have.
const MAX_FIELDS: usize = 96;

/// Splits `line` into its space-separated values (runs of spaces count as one
/// separator) into `out`; `None` when there are more than `MAX_FIELDS`.
#[inline]
fn split_fields<'a>(line: &'a str, out: &mut [&'a str; MAX_FIELDS]) -> Option<usize> {
    let mut n = 0;
    let mut start = 0;
    for end in memchr::memchr_iter(b' ', line.as_bytes()).chain(std::iter::once(line.len())) {
        if end > start {
            // Ends at a space or the end of the line: always a char boundary.
            let field = line.get(start..end)?;
            *out.get_mut(n)? = field;
            n += 1;
        }
        start = end + 1;
    }
    Some(n)
}

/// Every field a VPC or transit gateway flow log record can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum F {
    Version,
    AccountId,
    InterfaceId,
    SrcAddr,
    DstAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    VpcId,
    SubnetId,
    InstanceId,
    TcpFlags,
    Type,
    PktSrcAddr,
    PktDstAddr,
    Region,
    AzId,
    SublocationType,
    SublocationId,
    PktSrcAwsService,
    PktDstAwsService,
    FlowDirection,
    TrafficPath,
    ResourceType,
    TgwId,
    TgwAttachmentId,
    TgwSrcVpcAccountId,
    TgwDstVpcAccountId,
    TgwSrcVpcId,
    TgwDstVpcId,
    TgwSrcSubnetId,
    TgwDstSubnetId,
    TgwSrcEni,
    TgwDstEni,
    TgwSrcAzId,
    TgwDstAzId,
    TgwPairAttachmentId,
    PacketsLostNoRoute,
    PacketsLostBlackhole,
    PacketsLostMtuExceeded,
    PacketsLostTtlExpired,
    EcsClusterArn,
    EcsClusterName,
    EcsContainerInstanceArn,
    EcsContainerInstanceId,
    EcsContainerId,
    EcsSecondContainerId,
    EcsServiceName,
    EcsTaskDefinitionArn,
    EcsTaskArn,
    EcsTaskId,
    RejectReason,
    ResourceId,
    EncryptionStatus,
}

const FIELD_COUNT: usize = F::EncryptionStatus as usize + 1;

/// Field names as AWS spells them in formats and header lines.
static FIELD_NAMES: [(&str, F); FIELD_COUNT] = [
    ("version", F::Version),
    ("account-id", F::AccountId),
    ("interface-id", F::InterfaceId),
    ("srcaddr", F::SrcAddr),
    ("dstaddr", F::DstAddr),
    ("srcport", F::SrcPort),
    ("dstport", F::DstPort),
    ("protocol", F::Protocol),
    ("packets", F::Packets),
    ("bytes", F::Bytes),
    ("start", F::Start),
    ("end", F::End),
    ("action", F::Action),
    ("log-status", F::LogStatus),
    ("vpc-id", F::VpcId),
    ("subnet-id", F::SubnetId),
    ("instance-id", F::InstanceId),
    ("tcp-flags", F::TcpFlags),
    ("type", F::Type),
    ("pkt-srcaddr", F::PktSrcAddr),
    ("pkt-dstaddr", F::PktDstAddr),
    ("region", F::Region),
    ("az-id", F::AzId),
    ("sublocation-type", F::SublocationType),
    ("sublocation-id", F::SublocationId),
    ("pkt-src-aws-service", F::PktSrcAwsService),
    ("pkt-dst-aws-service", F::PktDstAwsService),
    ("flow-direction", F::FlowDirection),
    ("traffic-path", F::TrafficPath),
    ("resource-type", F::ResourceType),
    ("tgw-id", F::TgwId),
    ("tgw-attachment-id", F::TgwAttachmentId),
    ("tgw-src-vpc-account-id", F::TgwSrcVpcAccountId),
    ("tgw-dst-vpc-account-id", F::TgwDstVpcAccountId),
    ("tgw-src-vpc-id", F::TgwSrcVpcId),
    ("tgw-dst-vpc-id", F::TgwDstVpcId),
    ("tgw-src-subnet-id", F::TgwSrcSubnetId),
    ("tgw-dst-subnet-id", F::TgwDstSubnetId),
    ("tgw-src-eni", F::TgwSrcEni),
    ("tgw-dst-eni", F::TgwDstEni),
    ("tgw-src-az-id", F::TgwSrcAzId),
    ("tgw-dst-az-id", F::TgwDstAzId),
    ("tgw-pair-attachment-id", F::TgwPairAttachmentId),
    ("packets-lost-no-route", F::PacketsLostNoRoute),
    ("packets-lost-blackhole", F::PacketsLostBlackhole),
    ("packets-lost-mtu-exceeded", F::PacketsLostMtuExceeded),
    ("packets-lost-ttl-expired", F::PacketsLostTtlExpired),
    ("ecs-cluster-arn", F::EcsClusterArn),
    ("ecs-cluster-name", F::EcsClusterName),
    ("ecs-container-instance-arn", F::EcsContainerInstanceArn),
    ("ecs-container-instance-id", F::EcsContainerInstanceId),
    ("ecs-container-id", F::EcsContainerId),
    ("ecs-second-container-id", F::EcsSecondContainerId),
    ("ecs-service-name", F::EcsServiceName),
    ("ecs-task-definition-arn", F::EcsTaskDefinitionArn),
    ("ecs-task-arn", F::EcsTaskArn),
    ("ecs-task-id", F::EcsTaskId),
    ("reject-reason", F::RejectReason),
    ("resource-id", F::ResourceId),
    ("encryption-status", F::EncryptionStatus),
];

/// A field name as written in a format or header (`${log-status}`,
/// `log-status`, `log_status`), compared to the known names.
fn field_by_name(word: &str) -> Option<F> {
    let name = bare_name(word);
    if name.len() > 32 {
        return None;
    }
    let mut buf = [0u8; 32];
    for (slot, &c) in buf.iter_mut().zip(name.as_bytes()) {
        *slot = if c == b'_' {
            b'-'
        } else {
            c.to_ascii_lowercase()
        };
    }
    let normalized = &buf[..name.len()];
    FIELD_NAMES
        .iter()
        .find(|(n, _)| n.as_bytes() == normalized)
        .map(|&(_, f)| f)
}

fn bare_name(word: &str) -> &str {
    word.strip_prefix("${")
        .and_then(|w| w.strip_suffix('}'))
        .unwrap_or(word)
}

/// The field order of the records of one format.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    /// Number of fields of a record.
    len: usize,
    /// Position of every known field in a record, `ABSENT` if not in the format.
    pos: [u8; FIELD_COUNT],
    /// Positions of the fields this parser does not know, with their names.
    others: Vec<(u8, String)>,
    /// How to emit the `aws.vpcflow.*` fields of the format, in key order.
    aws_ops: Vec<AwsOp>,
}

/// One `aws.vpcflow.*` output of a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AwsOp {
    key: &'static str,
    /// Position of the field in a record.
    pos: u8,
    field: F,
    kind: AwsKind,
}

/// How a field lands under `aws.vpcflow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AwsKind {
    /// The value as written.
    Str,
    /// A count (`long`).
    Count,
    /// `tcp_flags` as written, and `tcp_flags_array`.
    TcpFlags,
    /// `sublocation.type` and `sublocation.id`, or Elastic's `sublocation: {}`.
    Sublocation,
    /// `other_fields`: the fields this parser does not know.
    Other,
}

/// Where a known field goes under `aws.vpcflow`, if it does.
fn aws_output(f: F) -> Option<(&'static str, AwsKind)> {
    use AwsKind::{Count, Str, Sublocation, TcpFlags};
    Some(match f {
        F::Version => ("aws.vpcflow.version", Str),
        F::AccountId => ("aws.vpcflow.account_id", Str),
        F::InterfaceId => ("aws.vpcflow.interface_id", Str),
        F::Action => ("aws.vpcflow.action", Str),
        F::LogStatus => ("aws.vpcflow.log_status", Str),
        F::VpcId => ("aws.vpcflow.vpc_id", Str),
        F::SubnetId => ("aws.vpcflow.subnet_id", Str),
        F::InstanceId => ("aws.vpcflow.instance_id", Str),
        F::TcpFlags => ("aws.vpcflow.tcp_flags", TcpFlags),
        F::Type => ("aws.vpcflow.type", Str),
        F::PktSrcAddr => ("aws.vpcflow.pkt_srcaddr", Str),
        F::PktDstAddr => ("aws.vpcflow.pkt_dstaddr", Str),
        F::SublocationType | F::SublocationId => ("aws.vpcflow.sublocation", Sublocation),
        F::PktSrcAwsService => ("aws.vpcflow.pkt_src_service", Str),
        F::PktDstAwsService => ("aws.vpcflow.pkt_dst_service", Str),
        F::TrafficPath => ("aws.vpcflow.traffic_path", Str),
        F::ResourceType => ("aws.vpcflow.resource_type", Str),
        F::TgwId => ("aws.vpcflow.tgw_id", Str),
        F::TgwAttachmentId => ("aws.vpcflow.tgw_attachment_id", Str),
        F::TgwSrcVpcAccountId => ("aws.vpcflow.tgw_src_vpc_account_id", Str),
        F::TgwDstVpcAccountId => ("aws.vpcflow.tgw_dst_vpc_account_id", Str),
        F::TgwSrcVpcId => ("aws.vpcflow.tgw_src_vpc_id", Str),
        F::TgwDstVpcId => ("aws.vpcflow.tgw_dst_vpc_id", Str),
        F::TgwSrcSubnetId => ("aws.vpcflow.tgw_src_subnet_id", Str),
        F::TgwDstSubnetId => ("aws.vpcflow.tgw_dst_subnet_id", Str),
        F::TgwSrcEni => ("aws.vpcflow.tgw_src_eni", Str),
        F::TgwDstEni => ("aws.vpcflow.tgw_dst_eni", Str),
        F::TgwSrcAzId => ("aws.vpcflow.tgw_src_az_id", Str),
        F::TgwDstAzId => ("aws.vpcflow.tgw_dst_az_id", Str),
        F::TgwPairAttachmentId => ("aws.vpcflow.tgw_pair_attachment_id", Str),
        F::PacketsLostNoRoute => ("aws.vpcflow.packets_lost_no_route", Count),
        F::PacketsLostBlackhole => ("aws.vpcflow.packets_lost_blackhole", Count),
        F::PacketsLostMtuExceeded => ("aws.vpcflow.packets_lost_mtu_exceeded", Count),
        F::PacketsLostTtlExpired => ("aws.vpcflow.packets_lost_ttl_expired", Count),
        F::EcsClusterArn => ("aws.vpcflow.ecs_cluster_arn", Str),
        F::EcsContainerId => ("aws.vpcflow.ecs_container_id", Str),
        F::EcsSecondContainerId => ("aws.vpcflow.ecs_second_container_id", Str),
        F::EcsTaskDefinitionArn => ("aws.vpcflow.ecs_task_definition_arn", Str),
        F::EcsTaskArn => ("aws.vpcflow.ecs_task_arn", Str),
        F::EcsTaskId => ("aws.vpcflow.ecs_task_id", Str),
        F::ResourceId => ("aws.vpcflow.resource_id", Str),
        F::EncryptionStatus => ("aws.vpcflow.encryption_status", Str),
        // Mapped to ECS fields only.
        F::SrcAddr
        | F::DstAddr
        | F::SrcPort
        | F::DstPort
        | F::Protocol
        | F::Packets
        | F::Bytes
        | F::Start
        | F::End
        | F::Region
        | F::AzId
        | F::FlowDirection
        | F::EcsClusterName
        | F::EcsContainerInstanceArn
        | F::EcsContainerInstanceId
        | F::EcsServiceName
        | F::RejectReason => return None,
    })
}

/// Orders dotted keys as `Event::write_json` does (`.` before any other byte).
fn cmp_dotted(a: &str, b: &str) -> std::cmp::Ordering {
    let map = |c: u8| if c == b'.' { 0 } else { c };
    a.bytes().map(map).cmp(b.bytes().map(map))
}

/// `Layout::pos` of a field the format lacks.
const ABSENT: u8 = u8::MAX;

impl Default for Layout {
    fn default() -> Self {
        Layout {
            len: 0,
            pos: [ABSENT; FIELD_COUNT],
            others: Vec::new(),
            aws_ops: Vec::new(),
        }
    }
}

impl Layout {
    /// Parses a field list: names separated by spaces, bare or as `${name}`.
    /// `strict` (the `format` option) refuses unknown and repeated names;
    /// otherwise (a header line) the values of unknown names are kept in
    /// `aws.vpcflow.other_fields` and repeats are ignored.
    fn parse(text: &str, strict: bool) -> Result<Layout, String> {
        let mut layout = Layout::default();
        let mut seen = [false; FIELD_COUNT];
        for word in text.split_ascii_whitespace() {
            if layout.len == MAX_FIELDS {
                return Err(format!("a format has at most {MAX_FIELDS} fields"));
            }
            // Fewer than MAX_FIELDS (< ABSENT) positions: fits a u8.
            let at = layout.len as u8;
            layout.len += 1;
            match field_by_name(word) {
                Some(f) if seen[f as usize] => {
                    if strict {
                        return Err(format!("field `{}` is listed twice", bare_name(word)));
                    }
                    // A repeat is ignored: the first position wins.
                }
                Some(f) => {
                    seen[f as usize] = true;
                    layout.pos[f as usize] = at;
                }
                None => {
                    let name = bare_name(word);
                    let valid = !name.is_empty()
                        && name
                            .bytes()
                            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
                    if !valid {
                        return Err(format!("`{word}` is not a VPC flow log field name"));
                    }
                    if strict {
                        return Err(format!("unknown VPC flow log field `{name}`"));
                    }
                    if !layout.others.iter().any(|(_, n)| n == name) {
                        layout.others.push((at, name.to_string()));
                    }
                }
            }
        }
        if layout.len == 0 {
            return Err("the field list is empty".to_string());
        }
        for &(_, f) in &FIELD_NAMES {
            let pos = layout.pos[f as usize];
            if pos == ABSENT {
                continue;
            }
            if let Some((key, kind)) = aws_output(f) {
                // Both sublocation fields share one output.
                if !layout.aws_ops.iter().any(|op| op.key == key) {
                    layout.aws_ops.push(AwsOp {
                        key,
                        pos,
                        field: f,
                        kind,
                    });
                }
            }
        }
        if let Some(&(pos, _)) = layout.others.first() {
            layout.aws_ops.push(AwsOp {
                key: "aws.vpcflow.other_fields",
                pos,
                field: F::Version,
                kind: AwsKind::Other,
            });
        }
        layout.aws_ops.sort_by(|a, b| cmp_dotted(a.key, b.key));
        Ok(layout)
    }
}

/// The formats Elastic's integration recognises by field count.
static AUTO_FORMATS: [&str; 8] = [
    // NAT gateway example of the AWS documentation.
    "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr",
    // Default format (version 2).
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
    // Transit gateway example of the AWS documentation.
    "version interface-id account-id vpc-id subnet-id instance-id srcaddr dstaddr srcport dstport protocol tcp-flags \
     type pkt-srcaddr pkt-dstaddr action log-status",
    // TCP flag sequence example of the AWS documentation.
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr \
     pkt-dstaddr protocol bytes packets start end action tcp-flags log-status",
    // All fields up to version 5, in documentation order.
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status \
     vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id \
     pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path",
    // Transit gateway flow logs (version 6), all fields.
    "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id \
     tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id \
     tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status \
     type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags \
     region flow-direction pkt-src-aws-service pkt-dst-aws-service",
    // All fields up to version 7 (ECS metadata).
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status \
     vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id \
     pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name \
     ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name \
     ecs-task-definition-arn ecs-task-arn ecs-task-id",
    // All fields up to version 8 (reject reason).
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status \
     vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id \
     pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name \
     ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name \
     ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason",
];

fn auto_layout(count: usize) -> Option<&'static Layout> {
    static LAYOUTS: OnceLock<Vec<Layout>> = OnceLock::new();
    LAYOUTS
        .get_or_init(|| {
            AUTO_FORMATS
                .iter()
                .filter_map(|f| Layout::parse(f, true).ok())
                .collect()
        })
        .iter()
        .find(|l| l.len == count)
}

fn error(reason: String) -> ParseError {
    ParseError::new(DATASET, reason)
}

/// Digits only, at most 18 of them (fits an `i64`).
#[inline]
fn parse_digits(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut n = 0u64;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + u64::from(d);
    }
    Some(n)
}

/// A value that is present (not `-`).
#[inline]
fn present(s: &str) -> Option<&str> {
    if s.is_empty() || s == "-" {
        None
    } else {
        Some(s)
    }
}

fn number<T: TryFrom<u64>>(name: &str, value: &str, what: &str) -> Result<Option<T>, ParseError> {
    match present(value) {
        None => Ok(None),
        Some(v) => parse_digits(v)
            .and_then(|n| T::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| error(format!("field `{name}` is not {what}: `{v}`"))),
    }
}

fn address(name: &str, value: &str) -> Result<Option<IpAddr>, ParseError> {
    match present(value) {
        None => Ok(None),
        Some(v) => parse_ip(v)
            .map(Some)
            .ok_or_else(|| error(format!("field `{name}` is not an IP address: `{v}`"))),
    }
}

/// `aws.vpcflow.tcp_flags_array` for every combination of the six flags
/// Elastic decodes (FIN, SYN, RST, PSH, ACK, URG), as JSON arrays.
fn tcp_flags_json(flags: u64) -> &'static str {
    static TABLE: OnceLock<Vec<String>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        const NAMES: [&str; 6] = ["fin", "syn", "rst", "psh", "ack", "urg"];
        (0..64u32)
            .map(|bits| {
                let names: Vec<String> = NAMES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, n)| format!("\"{n}\""))
                    .collect();
                format!("[{}]", names.join(","))
            })
            .collect()
    });
    table
        .get((flags & 0x3f) as usize)
        .map_or("[]", String::as_str)
}

const CATEGORY: &str = r#"["network"]"#;
const TYPE_CONNECTION: &str = r#"["connection"]"#;
const TYPE_ALLOWED: &str = r#"["connection","allowed"]"#;
const TYPE_DENIED: &str = r#"["connection","denied"]"#;

/// Elastic keeps `-` in the top-level `cloud.region` and
/// `cloud.availability_zone` (its pipeline only drops `-` under `aws.*`);
/// reproduced for conformance, see fields/aws.vpcflow.yml.
const KEEP_DASH_IN_CLOUD_FIELDS: bool = true;

/// Turns one record into an event, with `layout` giving the field order.
fn parse_record<'a>(layout: &Layout, fields: &[&'a str]) -> Result<Event<'a>, ParseError> {
    if fields.len() != layout.len {
        return Err(error(format!(
            "expected {} fields, found {} (the record does not match its format)",
            layout.len,
            fields.len()
        )));
    }
    // The value of a field, `""` when the format lacks it.
    let g = |f: F| -> &'a str {
        fields
            .get(usize::from(layout.pos[f as usize]))
            .copied()
            .unwrap_or("")
    };

    // Validate and convert everything first: a malformed record yields an
    // error, never half an event.
    let src = address("srcaddr", g(F::SrcAddr))?;
    let dst = address("dstaddr", g(F::DstAddr))?;
    address("pkt-srcaddr", g(F::PktSrcAddr))?;
    address("pkt-dstaddr", g(F::PktDstAddr))?;
    let sport: Option<u16> = number("srcport", g(F::SrcPort), "a port number")?;
    let dport: Option<u16> = number("dstport", g(F::DstPort), "a port number")?;
    let protocol: Option<u8> = number("protocol", g(F::Protocol), "an IANA protocol number")?;
    let packets: Option<i64> = number("packets", g(F::Packets), "a count")?;
    let bytes: Option<i64> = number("bytes", g(F::Bytes), "a count")?;
    let start: Option<i64> = number("start", g(F::Start), "a Unix time")?;
    let end: Option<i64> = number("end", g(F::End), "a Unix time")?;
    let tcp_flags: Option<u64> = number("tcp-flags", g(F::TcpFlags), "a TCP flags bitmask")?;
    // Fields are pushed in the order `Event::write_json` sorts them into, so
    // its sort finds them (nearly) sorted already.
    let mut e = Event::new();
    if let Some(end) = end {
        e.push("@timestamp", Timestamp::from_unix_seconds(end));
    }
    let action = present(g(F::Action));
    for op in &layout.aws_ops {
        let value = fields.get(usize::from(op.pos)).copied().unwrap_or("");
        match op.kind {
            AwsKind::Str => put(&mut e, op.key, value),
            AwsKind::Count => {
                let name = FIELD_NAMES[op.field as usize].0;
                if let Some(n) = number::<i64>(name, value, "a count")? {
                    e.push(op.key, n);
                }
            }
            AwsKind::TcpFlags => {
                if let Some(flags) = tcp_flags {
                    e.push("aws.vpcflow.tcp_flags", value);
                    let array = Value::Json(Cow::Borrowed(tcp_flags_json(flags)));
                    e.push("aws.vpcflow.tcp_flags_array", array);
                }
            }
            AwsKind::Sublocation => {
                let (kind, id) = (g(F::SublocationType), g(F::SublocationId));
                if present(kind).is_none() && present(id).is_none() {
                    // Elastic drops the `-` values and keeps the emptied object.
                    e.push("aws.vpcflow.sublocation", Value::Json(Cow::Borrowed("{}")));
                } else {
                    put(&mut e, "aws.vpcflow.sublocation.id", id);
                    put(&mut e, "aws.vpcflow.sublocation.type", kind);
                }
            }
            AwsKind::Other => {
                if let Some(json) = other_fields_json(layout, fields) {
                    e.push(op.key, Value::Json(Cow::Owned(json)));
                }
            }
        }
    }

    put(&mut e, "cloud.account.id", g(F::AccountId));
    push_cloud(&mut e, "cloud.availability_zone", g(F::AzId));
    put(&mut e, "cloud.instance.id", g(F::InstanceId));
    push_cloud(&mut e, "cloud.region", g(F::Region));

    if dst.is_some() {
        e.push("destination.address", g(F::DstAddr));
        e.push("destination.ip", g(F::DstAddr));
    }
    if let Some(port) = dport {
        e.push("destination.port", port);
    }

    if let Some(action) = action {
        e.push("event.action", action);
    }
    e.push("event.category", Value::Json(Cow::Borrowed(CATEGORY)));
    if let Some(end) = end {
        e.push("event.end", Timestamp::from_unix_seconds(end));
    }
    match action {
        Some("ACCEPT") => e.push("event.outcome", "success"),
        Some("REJECT") => e.push("event.outcome", "failure"),
        _ => {}
    }
    put(&mut e, "event.reason", g(F::RejectReason));
    if let Some(start) = start {
        e.push("event.start", Timestamp::from_unix_seconds(start));
    }
    let event_type = match action {
        Some("ACCEPT") => TYPE_ALLOWED,
        Some("REJECT") => TYPE_DENIED,
        _ => TYPE_CONNECTION,
    };
    e.push("event.type", Value::Json(Cow::Borrowed(event_type)));

    if let Some(bytes) = bytes {
        e.push("network.bytes", bytes);
    }
    if let (Some(s), Some(d)) = (src, dst) {
        // Elasticsearch's community_id processor: TCP/UDP/SCTP ports default
        // to 0 when absent; VPC flow logs carry no ICMP type and code (their
        // port fields are 0), so ICMP hashes type 0 and code 0.
        if let Some(p) = protocol {
            let (a, b) = if p == ICMP || p == ICMPV6 {
                (0, 0)
            } else {
                (sport.unwrap_or(0), dport.unwrap_or(0))
            };
            if let Some(id) = community_id_v1(s, d, p, a, b, 0) {
                e.push("network.community_id", id);
            }
        }
    }
    put(&mut e, "network.direction", g(F::FlowDirection));
    if protocol.is_some() {
        e.push("network.iana_number", g(F::Protocol));
    }
    if let Some(packets) = packets {
        e.push("network.packets", packets);
    }
    if let Some(name) = protocol.and_then(transport_name) {
        e.push("network.transport", name);
    }
    if src.is_some() {
        // As Elastic: from the text of the source address.
        let s = g(F::SrcAddr);
        let kind = if s.contains(':') { "ipv6" } else { "ipv4" };
        e.push("network.type", kind);
    }

    put(&mut e, "orchestrator.cluster.id", g(F::EcsClusterArn));
    put(&mut e, "orchestrator.cluster.name", g(F::EcsClusterName));
    put(
        &mut e,
        "orchestrator.resource.id",
        g(F::EcsContainerInstanceId),
    );
    put(
        &mut e,
        "orchestrator.resource.name",
        g(F::EcsContainerInstanceArn),
    );

    if src.is_some() && dst.is_some() {
        // Elastic appends both, duplicates included.
        let list = vec![Value::from(g(F::SrcAddr)), Value::from(g(F::DstAddr))];
        e.push("related.ip", Value::List(list));
    }

    put(&mut e, "service.name", g(F::EcsServiceName));

    if src.is_some() {
        e.push("source.address", g(F::SrcAddr));
    }
    if let Some(bytes) = bytes {
        e.push("source.bytes", bytes);
    }
    if src.is_some() {
        e.push("source.ip", g(F::SrcAddr));
    }
    if let Some(packets) = packets {
        e.push("source.packets", packets);
    }
    if let Some(port) = sport {
        e.push("source.port", port);
    }
    Ok(e)
}

/// The values of the fields this parser does not know, as a JSON object
/// keyed by their header names; `None` when all of them are `-`.
fn other_fields_json(layout: &Layout, fields: &[&str]) -> Option<String> {
    let mut out = Vec::new();
    for (at, name) in &layout.others {
        let Some(value) = fields.get(usize::from(*at)).copied().and_then(present) else {
            continue;
        };
        out.push(if out.is_empty() { b'{' } else { b',' });
        crate::event::write_str(&mut out, name);
        out.push(b':');
        crate::event::write_str(&mut out, value);
    }
    if out.is_empty() {
        return None;
    }
    out.push(b'}');
    String::from_utf8(out).ok()
}

fn push_cloud<'a>(e: &mut Event<'a>, key: &'static str, value: &'a str) {
    if KEEP_DASH_IN_CLOUD_FIELDS && value == "-" {
        e.push(key, value);
    } else {
        put(e, key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2_ACCEPT: &str =
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
    const V2_REJECT: &str =
        "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK";
    const V2_HEADER: &str =
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

    fn parse_all<'a>(
        parser: &mut VpcFlowParser,
        lines: &[&'a str],
    ) -> Vec<Result<Vec<Event<'a>>, ParseError>> {
        lines
            .iter()
            .map(|line| {
                let mut events = Vec::new();
                parser.parse(line, &mut |e| events.push(e)).map(|()| events)
            })
            .collect()
    }

    fn one<'a>(parser: &mut VpcFlowParser, line: &'a str) -> Event<'a> {
        let mut events = Vec::new();
        parser.parse(line, &mut |e| events.push(e)).expect("parses");
        assert_eq!(events.len(), 1, "one event for {line}");
        events.pop().unwrap()
    }

    fn s<'e>(e: &'e Event<'_>, key: &str) -> Option<&'e str> {
        e.get(key).and_then(Value::as_str)
    }

    fn err(parser: &mut VpcFlowParser, line: &str) -> String {
        parser
            .parse(line, &mut |_| panic!("no event expected for {line}"))
            .expect_err("an error")
            .reason
    }

    #[test]
    fn parses_default_v2_accepted_line_like_elastic() {
        let e = one(&mut VpcFlowParser::new(), V2_ACCEPT);
        let v = e.to_value();
        assert_eq!(
            v,
            serde_json::json!({
                "@timestamp": "2014-12-14T04:07:50.000Z",
                "aws": {"vpcflow": {
                    "account_id": "123456789010", "action": "ACCEPT", "interface_id": "eni-1235b8ca123456789",
                    "log_status": "OK", "version": "2"
                }},
                "cloud": {"account": {"id": "123456789010"}},
                "destination": {"address": "172.31.16.21", "ip": "172.31.16.21", "port": 22},
                "event": {
                    "action": "ACCEPT", "category": ["network"], "end": "2014-12-14T04:07:50.000Z",
                    "outcome": "success", "start": "2014-12-14T04:06:50.000Z", "type": ["connection", "allowed"]
                },
                "network": {
                    "bytes": 4249, "community_id": "1:78twGw5/iHs2/5/1899dIS6GfPc=", "iana_number": "6",
                    "packets": 20, "transport": "tcp", "type": "ipv4"
                },
                "related": {"ip": ["172.31.16.139", "172.31.16.21"]},
                "source": {"address": "172.31.16.139", "bytes": 4249, "ip": "172.31.16.139", "packets": 20, "port": 20641}
            })
        );
    }

    #[test]
    fn rejected_traffic_is_a_denied_failure() {
        let e = one(&mut VpcFlowParser::new(), V2_REJECT);
        assert_eq!(s(&e, "event.outcome"), Some("failure"));
        assert_eq!(
            e.get("event.type"),
            Some(&Value::Json(Cow::Borrowed(r#"["connection","denied"]"#)))
        );
        assert_eq!(s(&e, "event.action"), Some("REJECT"));
    }

    #[test]
    fn nodata_and_skipdata_records_carry_no_flow_fields() {
        let mut p = VpcFlowParser::new();
        for line in [
            "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
            "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
        ] {
            let e = one(&mut p, line);
            let v = e.to_value();
            assert_eq!(v["@timestamp"], "2015-05-10T18:02:14.000Z");
            assert_eq!(v["event"]["start"], "2015-05-10T18:01:16.000Z");
            assert_eq!(v["event"]["type"], serde_json::json!(["connection"]));
            for absent in ["source", "destination", "network", "related"] {
                assert!(v.get(absent).is_none(), "{absent} in {v}");
            }
            assert!(
                v["event"].get("outcome").is_none() && v["aws"]["vpcflow"].get("action").is_none()
            );
        }
    }

    #[test]
    fn parses_icmp_and_ipv6_records_from_the_aws_examples() {
        let mut p = VpcFlowParser::new();
        let e = one(
            &mut p,
            "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
        );
        assert_eq!(s(&e, "network.transport"), Some("icmp"));
        assert_eq!(s(&e, "network.iana_number"), Some("1"));
        assert_eq!(e.get("source.port"), Some(&Value::Int(0)));
        let e = one(
            &mut p,
            "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 \
             2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
        );
        assert_eq!(s(&e, "network.type"), Some("ipv6"));
        assert_eq!(
            s(&e, "source.ip"),
            Some("2001:db8:1234:a100:8d6e:3477:df66:f105")
        );
        assert!(
            s(&e, "network.community_id").is_some_and(|id| id.starts_with("1:") && id.len() == 30)
        );
    }

    #[test]
    fn matches_elastic_community_ids_for_its_fixtures() {
        let mut p = VpcFlowParser::new();
        let cases = [
            (
                "2 123456789010 eni-1235b8ca123456789 89.160.20.156 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
                "1:cttDCHp3UNR8SFNTOgVYpAceHf4=",
            ),
            (
                "2 123456789010 eni-1235b8ca123456789 89.160.20.156 89.160.20.156 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
                "1:va8LK/uEqYpj4NoZ9/5WRLio5rs=",
            ),
        ];
        for (line, id) in cases {
            assert_eq!(s(&one(&mut p, line), "network.community_id"), Some(id));
        }
    }

    #[test]
    fn header_line_emits_nothing_and_sets_the_field_order() {
        let mut p = VpcFlowParser::new();
        let header = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id \
                      subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags \
                      pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status";
        let line = "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 \
                    vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 \
                    ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK";
        let results = parse_all(&mut p, &[header, line]);
        assert!(results[0].as_ref().unwrap().is_empty());
        let e = &results[1].as_ref().unwrap()[0];
        assert_eq!(s(e, "source.ip"), Some("52.95.128.179"));
        assert_eq!(e.get("destination.port"), Some(&Value::Int(34210)));
        assert_eq!(s(e, "aws.vpcflow.pkt_src_service"), Some("S3"));
        assert_eq!(s(e, "network.direction"), Some("ingress"));
        assert_eq!(s(e, "cloud.region"), Some("ap-southeast-2"));
        assert_eq!(s(e, "cloud.availability_zone"), Some("apse2-az3"));
        assert_eq!(s(e, "cloud.instance.id"), Some("i-0c50d5961bcb2d47b"));
        assert_eq!(s(e, "aws.vpcflow.tcp_flags"), Some("19"));
        assert!(!e.contains("aws.vpcflow.traffic_path"));
    }

    #[test]
    fn header_beats_field_count_detection() {
        // 14 fields in a custom order: without the header it would be read as the default format.
        let mut p = VpcFlowParser::new();
        let header = "account-id version interface-id dstaddr srcaddr dstport srcport protocol bytes packets end start log-status action";
        let line = "123456789010 3 eni-1 10.0.0.2 10.0.0.1 443 50000 6 900 3 1700000060 1700000000 OK ACCEPT";
        let results = parse_all(&mut p, &[header, line]);
        let e = &results[1].as_ref().unwrap()[0];
        assert_eq!(s(e, "source.ip"), Some("10.0.0.1"));
        assert_eq!(e.get("source.port"), Some(&Value::Int(50000)));
        assert_eq!(e.get("network.bytes"), Some(&Value::Int(900)));
        assert_eq!(s(e, "aws.vpcflow.version"), Some("3"));
    }

    #[test]
    fn format_option_accepts_aws_dollar_syntax_and_plain_names() {
        let dollar = "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} \
                      ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} \
                      ${start} ${end} ${action} ${tcp-flags} ${log-status}";
        let plain = dollar.replace("${", "").replace('}', "");
        let line = "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 \
                    123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 \
                    1566848933 ACCEPT 2 OK";
        for format in [dollar, &plain] {
            let mut options = Options::new();
            options.insert("format".to_string(), format.to_string());
            let mut parser = build(&options).expect("valid format");
            let mut events = Vec::new();
            parser.parse(line, &mut |e| events.push(e)).unwrap();
            assert_eq!(
                s(&events[0], "aws.vpcflow.vpc_id"),
                Some("vpc-abcdefab012345678")
            );
            assert_eq!(events[0].get("network.bytes"), Some(&Value::Int(568)));
            assert_eq!(
                events[0].get("aws.vpcflow.tcp_flags_array"),
                Some(&Value::Json(Cow::Borrowed(r#"["syn"]"#)))
            );
        }
    }

    #[test]
    fn format_option_rejects_unknown_and_repeated_fields() {
        for bad in [
            "version srcaddr bogus-field",
            "version srcaddr srcaddr",
            "",
            "version $x",
        ] {
            let mut options = Options::new();
            options.insert("format".to_string(), bad.to_string());
            assert!(
                matches!(build(&options), Err(OptionError::Invalid { .. })),
                "{bad:?}"
            );
        }
        let mut options = Options::new();
        options.insert("layout".to_string(), "x".to_string());
        assert!(matches!(build(&options), Err(OptionError::Unknown { .. })));
    }

    #[test]
    fn unknown_header_fields_are_kept_in_other_fields() {
        let mut p = VpcFlowParser::new();
        let results = parse_all(
            &mut p,
            &[
                "version srcaddr dstaddr future-field resource-id encryption-status another_one",
                "10 10.0.0.1 10.0.0.2 some\"value nat-0a1b2c3d4e5f60718 1 -",
                "10 10.0.0.1 10.0.0.2 - - - -",
            ],
        );
        let e = results[1].as_ref().unwrap()[0].clone();
        let v = e.to_value();
        assert_eq!(
            v["aws"]["vpcflow"]["other_fields"],
            serde_json::json!({"future-field": "some\"value"})
        );
        assert_eq!(v["aws"]["vpcflow"]["resource_id"], "nat-0a1b2c3d4e5f60718");
        assert_eq!(v["aws"]["vpcflow"]["encryption_status"], "1");
        assert!(!results[2].as_ref().unwrap()[0].contains("aws.vpcflow.other_fields"));
    }

    #[test]
    fn repeated_header_fields_keep_the_first_value() {
        let mut p = VpcFlowParser::new();
        let results = parse_all(
            &mut p,
            &["version srcaddr srcaddr x x", "2 10.0.0.1 10.0.0.9 a b"],
        );
        let e = results[1].as_ref().unwrap()[0].clone();
        let v = e.to_value();
        assert_eq!(v["source"]["ip"], "10.0.0.1");
        assert_eq!(
            v["aws"]["vpcflow"]["other_fields"],
            serde_json::json!({"x": "a"})
        );
    }

    #[test]
    fn decodes_tcp_flags_like_elastic() {
        assert_eq!(tcp_flags_json(0), "[]");
        assert_eq!(tcp_flags_json(1), r#"["fin"]"#);
        assert_eq!(tcp_flags_json(18), r#"["syn","ack"]"#);
        assert_eq!(tcp_flags_json(19), r#"["fin","syn","ack"]"#);
        assert_eq!(
            tcp_flags_json(255),
            r#"["fin","syn","rst","psh","ack","urg"]"#
        );
    }

    #[test]
    fn maps_v7_ecs_fields_to_orchestrator_and_service() {
        let line = "3 000000000000 - 1.128.0.0 2a02:cf40:: 64072 22 17 46 14927 1755678619 1755678641 REJECT OK - - - - \
                    - - - - - - - - - ingress - arn:aws:ecs:us-east-1:000000000000:cluster/frontend-cluster \
                    frontend-cluster arn:aws:ecs:us-east-1:000000000000:container-instance/frontend-cluster/i-82bfd814a3c34e21a \
                    i-82bfd814a3c34e21a 574fc0af-908 816bc224-160 payments-service \
                    arn:aws:ecs:us-east-1:000000000000:task-definition/backend:3 \
                    arn:aws:ecs:us-east-1:000000000000:task/frontend-cluster/6adbd0d6-211 6adbd0d6-211";
        let e = one(&mut VpcFlowParser::new(), line);
        let arn = "arn:aws:ecs:us-east-1:000000000000:cluster/frontend-cluster";
        assert_eq!(s(&e, "aws.vpcflow.ecs_cluster_arn"), Some(arn));
        assert_eq!(s(&e, "orchestrator.cluster.id"), Some(arn));
        assert_eq!(s(&e, "orchestrator.cluster.name"), Some("frontend-cluster"));
        assert_eq!(
            s(&e, "orchestrator.resource.id"),
            Some("i-82bfd814a3c34e21a")
        );
        assert_eq!(s(&e, "service.name"), Some("payments-service"));
        assert_eq!(
            s(&e, "aws.vpcflow.ecs_second_container_id"),
            Some("816bc224-160")
        );
        assert_eq!(s(&e, "aws.vpcflow.ecs_task_id"), Some("6adbd0d6-211"));
        assert_eq!(s(&e, "network.type"), Some("ipv4"));
        assert_eq!(
            s(&e, "network.community_id"),
            Some("1:ZX5EWhrrVHm3bHzAFxZr8Hr0E/M=")
        );
        assert!(!e.contains("event.reason"));
    }

    #[test]
    fn maps_v8_reject_reason_to_event_reason() {
        let mut p = VpcFlowParser::with_format(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action \
             log-status reject-reason",
        )
        .unwrap();
        let line = "8 123456789012 eni-0e0bf7be352692297 203.0.113.50 10.0.1.17 51432 443 6 3 180 1735689600 1735689660 REJECT OK BPA";
        assert_eq!(s(&one(&mut p, line), "event.reason"), Some("BPA"));
        let line = "8 123456789012 eni-0e0bf7be352692297 203.0.113.50 10.0.1.17 51432 443 6 3 180 1735689600 1735689660 REJECT OK -";
        assert!(!one(&mut p, line).contains("event.reason"));
    }

    #[test]
    fn parses_transit_gateway_flow_logs_by_field_count() {
        let line = "6 TransitGateway 123456789123 tgw-3b86d5e89ec8ebd55 tgw-attach-3e0bbb28e9ac7e3d8 123456789123 \
                    123456789123 vpc-3620ee62fdaf70d01 vpc-3da88d2d64d3e7d16 subnet-3fbc536e360c36ca1 \
                    subnet-3abc2577ee1022895 eni-008ffff1f06bf8d10 eni-309ffff1f06bf8d99 use1-az1 use1-az2 - 10.100.8.1 \
                    10.200.8.2 43228 53 6 1 1600 1766848875 1766848933 OK IPv4 1 0 2 0 2 us-east-1 egress - -";
        let e = one(&mut VpcFlowParser::new(), line);
        assert_eq!(s(&e, "aws.vpcflow.tgw_id"), Some("tgw-3b86d5e89ec8ebd55"));
        assert_eq!(
            s(&e, "aws.vpcflow.tgw_dst_vpc_id"),
            Some("vpc-3da88d2d64d3e7d16")
        );
        assert_eq!(s(&e, "aws.vpcflow.tgw_src_az_id"), Some("use1-az1"));
        assert_eq!(
            e.get("aws.vpcflow.packets_lost_no_route"),
            Some(&Value::Int(1))
        );
        assert_eq!(
            e.get("aws.vpcflow.packets_lost_mtu_exceeded"),
            Some(&Value::Int(2))
        );
        assert_eq!(s(&e, "cloud.region"), Some("us-east-1"));
        assert_eq!(s(&e, "network.direction"), Some("egress"));
        assert!(!e.contains("event.outcome"));
    }

    #[test]
    fn parses_nat_gateway_example_by_field_count() {
        let e = one(
            &mut VpcFlowParser::new(),
            "i-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5",
        );
        assert_eq!(s(&e, "cloud.instance.id"), Some("i-01234567890123456"));
        assert_eq!(s(&e, "aws.vpcflow.pkt_dstaddr"), Some("203.0.113.5"));
        assert!(!e.contains("@timestamp") && !e.contains("network.community_id"));
        let e = one(
            &mut VpcFlowParser::new(),
            "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5",
        );
        assert!(!e.contains("cloud.instance.id"));
    }

    #[test]
    fn keeps_dash_region_and_empty_sublocation_like_elastic() {
        let line = "3 000000000000 - 81.2.69.144 81.2.69.192 63842 80 17 59 43499 1755678679 1755678730 ACCEPT OK - - - - \
                    - - - - - - - - - egress - - - - - - - - - - - BPA";
        let e = one(&mut VpcFlowParser::new(), line);
        let v = e.to_value();
        assert_eq!(v["cloud"]["region"], "-");
        assert_eq!(v["cloud"]["availability_zone"], "-");
        assert_eq!(v["aws"]["vpcflow"]["sublocation"], serde_json::json!({}));
        assert_eq!(v["event"]["reason"], "BPA");
        assert!(v.get("orchestrator").is_none() && v.get("service").is_none());
        let v5 = "5 64111117617 eni-069xxxxxb7a490 89.160.20.156 10.200.0.0 50041 33004 17 52 1 1616729292 1616729349 \
                  REJECT OK vpc-09676f97xxxxxb8a7 subnet-02d645xxxxxxxdbc0 i-0axxxxxx1ad77 1 IPv4 89.160.20.156 \
                  10.200.0.80 us-east-1 use1-az5 wavelength fake-id AMAZON CLOUDFRONT ingress 1";
        let e = one(&mut VpcFlowParser::new(), v5);
        let v = e.to_value();
        assert_eq!(
            v["aws"]["vpcflow"]["sublocation"],
            serde_json::json!({"type": "wavelength", "id": "fake-id"})
        );
    }

    #[test]
    fn related_ip_keeps_both_addresses_even_when_equal() {
        let line = "2 123456789010 eni-1 10.0.0.1 10.0.0.1 1 2 6 1 1 1 2 ACCEPT OK";
        let e = one(&mut VpcFlowParser::new(), line);
        assert_eq!(
            e.get("related.ip"),
            Some(&Value::List(vec!["10.0.0.1".into(), "10.0.0.1".into()]))
        );
    }

    #[test]
    fn record_with_wrong_field_count_is_an_error() {
        let mut p = VpcFlowParser::new();
        assert!(p.parse(V2_HEADER, &mut |_| panic!("header")).is_ok());
        let reason = err(
            &mut p,
            "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT",
        );
        assert!(reason.contains("expected 14 fields, found 13"), "{reason}");
        let reason = err(&mut p, &format!("{V2_ACCEPT} extra"));
        assert!(reason.contains("found 15"), "{reason}");
    }

    #[test]
    fn unknown_field_count_without_format_is_an_error() {
        let reason = err(&mut VpcFlowParser::new(), "2 123456789010 eni-1 10.0.0.1");
        assert!(
            reason.contains("4 fields") && reason.contains("format"),
            "{reason}"
        );
    }

    #[test]
    fn malformed_values_are_errors_naming_the_field() {
        let mut p = VpcFlowParser::new();
        let cases = [
            (
                "2 1 eni-1 10.0.0.300 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
                "srcaddr",
            ),
            ("2 1 eni-1 10.0.0.1 nope 1 2 6 1 1 1 2 ACCEPT OK", "dstaddr"),
            (
                "2 1 eni-1 10.0.0.1 10.0.0.2 70000 2 6 1 1 1 2 ACCEPT OK",
                "srcport",
            ),
            (
                "2 1 eni-1 10.0.0.1 10.0.0.2 1 -2 6 1 1 1 2 ACCEPT OK",
                "dstport",
            ),
            (
                "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 300 1 1 1 2 ACCEPT OK",
                "protocol",
            ),
            (
                "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 x 1 1 2 ACCEPT OK",
                "packets",
            ),
            (
                "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 99999999999999999999 1 2 ACCEPT OK",
                "bytes",
            ),
            (
                "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 yesterday 2 ACCEPT OK",
                "start",
            ),
            (
                "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2.5 ACCEPT OK",
                "end",
            ),
        ];
        for (line, field) in cases {
            let reason = err(&mut p, line);
            assert!(reason.contains(&format!("`{field}`")), "{line}: {reason}");
        }
    }

    #[test]
    fn malformed_line_is_an_error_not_a_panic() {
        let mut p = VpcFlowParser::new();
        for line in [
            "garbage",
            "version",
            "${",
            "{\"message\":\"\"}",
            "é ü 😀",
            "\u{0}",
            "- - - - - -",
        ] {
            let _ = p.parse(line, &mut |e| {
                let mut out = Vec::new();
                e.write_json(&mut out);
                serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
            });
        }
        assert!(p.parse("", &mut |_| panic!("blank")).is_ok());
        assert!(p.parse("   \r", &mut |_| panic!("blank")).is_ok());
    }

    #[test]
    fn unwraps_elastic_message_json_and_collapses_repeated_spaces() {
        let mut p = VpcFlowParser::new();
        let e = one(&mut p, "{\"message\":\"2 428961148399 eni-0e0bf7be352692297 - - - - - - - 1671029698 1671029728 - NODATA\"}");
        assert_eq!(s(&e, "aws.vpcflow.log_status"), Some("NODATA"));
        let e = one(
            &mut p,
            "2  123456789010 eni-1 10.0.0.1   10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK  \r",
        );
        assert_eq!(s(&e, "destination.ip"), Some("10.0.0.2"));
        assert_eq!(s(&e, "aws.vpcflow.log_status"), Some("OK"));
    }

    #[test]
    fn values_that_look_like_names_are_not_headers() {
        let mut p = VpcFlowParser::with_format("ecs-service-name action log-status").unwrap();
        let e = one(&mut p, "start ACCEPT OK");
        assert_eq!(s(&e, "service.name"), Some("start"));
        assert!(!is_header("eni-0a1b2c version"));
        assert!(is_header(V2_HEADER));
        assert!(is_header("${version} ${srcaddr}"));
    }

    #[test]
    fn field_names_are_listed_in_enum_order() {
        for (i, (_, f)) in FIELD_NAMES.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }

    #[test]
    fn emits_fields_already_in_serialization_order() {
        let mut p = VpcFlowParser::with_format(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action \
             log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id \
             sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path \
             resource-type tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id \
             tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id \
             tgw-pair-attachment-id packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded \
             packets-lost-ttl-expired ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn \
             ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name \
             ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason resource-id encryption-status",
        )
        .unwrap();
        let values: Vec<String> = (0..FIELD_COUNT)
            .map(|i| match FIELD_NAMES[i].1 {
                F::SrcAddr | F::PktSrcAddr => "10.0.0.1".to_string(),
                F::DstAddr | F::PktDstAddr => "10.0.0.2".to_string(),
                F::Action => "ACCEPT".to_string(),
                _ => format!("{}", i + 1),
            })
            .collect();
        let line = values.join(" ");
        let e = one(&mut p, &line);
        let keys: Vec<&str> = e.fields().map(|(k, _)| k).collect();
        assert!(keys.len() > 70, "{}", keys.len());
        for pair in keys.windows(2) {
            assert_eq!(
                cmp_dotted(pair[0], pair[1]),
                std::cmp::Ordering::Less,
                "{} then {}",
                pair[0],
                pair[1]
            );
        }
    }

    fn fixture_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/aws.vpcflow")
    }

    /// Field names of a `fields/*.yml` file, read without a YAML library.
    fn defined_fields(file: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fields")
            .join(file);
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- name:"))
            .map(|n| n.trim().trim_matches('"').to_string())
            .collect()
    }

    #[test]
    fn fixtures_parse_and_every_emitted_field_is_defined() {
        let mut defined = defined_fields("ecs.yml");
        defined.extend(defined_fields("aws.vpcflow.yml"));
        let mut files: Vec<_> = std::fs::read_dir(fixture_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 8);
        let mut events = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let mut p = VpcFlowParser::new();
            for line in text.lines() {
                p.parse(line, &mut |e| {
                    events += 1;
                    for (key, _) in e.fields() {
                        assert!(
                            defined.iter().any(|d| d == key),
                            "{}: {key} is not in fields/",
                            path.display()
                        );
                    }
                    let mut out = Vec::new();
                    e.write_json(&mut out);
                    serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
                })
                .unwrap_or_else(|err| panic!("{}: {line}: {err}", path.display()));
            }
        }
        assert!(events > 40, "{events}");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_input_never_panics_and_serializes_to_json(line in "\\PC{0,200}") {
            let mut p = VpcFlowParser::new();
            for record in [line.as_str(), V2_HEADER, line.as_str()] {
                let _ = p.parse(record, &mut |e| {
                    let mut out = Vec::new();
                    e.write_json(&mut out);
                    assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
                });
            }
        }

        #[test]
        fn every_default_record_parses(
            a in 0u32.., b in 0u32.., sp in 0u16.., dp in 0u16.., proto in 0u8.., pk in 0u32.., by in 0u64..1u64 << 40,
            t in 0i64..4_000_000_000, accept in proptest::bool::ANY,
        ) {
            let line = format!(
                "2 123456789010 eni-0a1b {} {} {sp} {dp} {proto} {pk} {by} {t} {} {} OK",
                std::net::Ipv4Addr::from(a), std::net::Ipv4Addr::from(b), t + 60,
                if accept { "ACCEPT" } else { "REJECT" }
            );
            let e = one(&mut VpcFlowParser::new(), &line);
            proptest::prop_assert_eq!(e.get("network.bytes"), Some(&Value::Int(by as i64)));
            proptest::prop_assert_eq!(e.contains("network.community_id"), proto != 255);
        }
    }
}
