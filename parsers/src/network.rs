//! Network helpers shared by datasets: IP parsing, transport names from IANA
//! protocol numbers, and [Community ID](https://github.com/corelight/community-id-spec)
//! flow hashes computed the way Elasticsearch's `community_id` ingest
//! processor computes them.
//!
//! ```
//! use loglift_parsers::network::{community_id_v1, parse_ip, transport_name};
//! let src = parse_ip("10.0.0.1").unwrap();
//! let dst = parse_ip("10.0.0.2").unwrap();
//! assert_eq!(transport_name(6), Some("tcp"));
//! assert_eq!(community_id_v1(src, dst, 6, 1024, 443, 0).unwrap().len(), 30);
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sha1::{Digest, Sha1};

/// IANA protocol number of ICMP.
pub const ICMP: u8 = 1;
/// IANA protocol number of TCP.
pub const TCP: u8 = 6;
/// IANA protocol number of UDP.
pub const UDP: u8 = 17;
/// IANA protocol number of ICMP for IPv6.
pub const ICMPV6: u8 = 58;
/// IANA protocol number of SCTP.
pub const SCTP: u8 = 132;

/// The ECS `network.transport` name of an IANA protocol number: the IANA
/// keyword in lower case (`tcp`, `udp`, `ipv6-icmp`, `esp`, …), or `None`
/// for unassigned, experimental and reserved numbers.
///
/// For the numbers Elastic's AWS pipelines name (0, 1, 2, 6, 8, 17, 47, 50,
/// 58, 112, 132) the names are the same as theirs.
pub fn transport_name(protocol: u8) -> Option<&'static str> {
    IANA_PROTOCOLS.get(usize::from(protocol)).copied().flatten()
}

/// IANA "Assigned Internet Protocol Numbers", keyword column in lower case
/// (spaces replaced: `isis` for "ISIS over IPv4", `mobility-header`).
static IANA_PROTOCOLS: [Option<&str>; 146] = [
    Some("hopopt"),          // 0
    Some("icmp"),            // 1
    Some("igmp"),            // 2
    Some("ggp"),             // 3
    Some("ipv4"),            // 4
    Some("st"),              // 5
    Some("tcp"),             // 6
    Some("cbt"),             // 7
    Some("egp"),             // 8
    Some("igp"),             // 9
    Some("bbn-rcc-mon"),     // 10
    Some("nvp-ii"),          // 11
    Some("pup"),             // 12
    Some("argus"),           // 13
    Some("emcon"),           // 14
    Some("xnet"),            // 15
    Some("chaos"),           // 16
    Some("udp"),             // 17
    Some("mux"),             // 18
    Some("dcn-meas"),        // 19
    Some("hmp"),             // 20
    Some("prm"),             // 21
    Some("xns-idp"),         // 22
    Some("trunk-1"),         // 23
    Some("trunk-2"),         // 24
    Some("leaf-1"),          // 25
    Some("leaf-2"),          // 26
    Some("rdp"),             // 27
    Some("irtp"),            // 28
    Some("iso-tp4"),         // 29
    Some("netblt"),          // 30
    Some("mfe-nsp"),         // 31
    Some("merit-inp"),       // 32
    Some("dccp"),            // 33
    Some("3pc"),             // 34
    Some("idpr"),            // 35
    Some("xtp"),             // 36
    Some("ddp"),             // 37
    Some("idpr-cmtp"),       // 38
    Some("tp++"),            // 39
    Some("il"),              // 40
    Some("ipv6"),            // 41
    Some("sdrp"),            // 42
    Some("ipv6-route"),      // 43
    Some("ipv6-frag"),       // 44
    Some("idrp"),            // 45
    Some("rsvp"),            // 46
    Some("gre"),             // 47
    Some("dsr"),             // 48
    Some("bna"),             // 49
    Some("esp"),             // 50
    Some("ah"),              // 51
    Some("i-nlsp"),          // 52
    Some("swipe"),           // 53
    Some("narp"),            // 54
    Some("min-ipv4"),        // 55
    Some("tlsp"),            // 56
    Some("skip"),            // 57
    Some("ipv6-icmp"),       // 58
    Some("ipv6-nonxt"),      // 59
    Some("ipv6-opts"),       // 60
    None,                    // 61 any host internal protocol
    Some("cftp"),            // 62
    None,                    // 63 any local network
    Some("sat-expak"),       // 64
    Some("kryptolan"),       // 65
    Some("rvd"),             // 66
    Some("ippc"),            // 67
    None,                    // 68 any distributed file system
    Some("sat-mon"),         // 69
    Some("visa"),            // 70
    Some("ipcv"),            // 71
    Some("cpnx"),            // 72
    Some("cphb"),            // 73
    Some("wsn"),             // 74
    Some("pvp"),             // 75
    Some("br-sat-mon"),      // 76
    Some("sun-nd"),          // 77
    Some("wb-mon"),          // 78
    Some("wb-expak"),        // 79
    Some("iso-ip"),          // 80
    Some("vmtp"),            // 81
    Some("secure-vmtp"),     // 82
    Some("vines"),           // 83
    Some("iptm"),            // 84 (also TTP)
    Some("nsfnet-igp"),      // 85
    Some("dgp"),             // 86
    Some("tcf"),             // 87
    Some("eigrp"),           // 88
    Some("ospfigp"),         // 89
    Some("sprite-rpc"),      // 90
    Some("larp"),            // 91
    Some("mtp"),             // 92
    Some("ax.25"),           // 93
    Some("ipip"),            // 94
    Some("micp"),            // 95
    Some("scc-sp"),          // 96
    Some("etherip"),         // 97
    Some("encap"),           // 98
    None,                    // 99 any private encryption scheme
    Some("gmtp"),            // 100
    Some("ifmp"),            // 101
    Some("pnni"),            // 102
    Some("pim"),             // 103
    Some("aris"),            // 104
    Some("scps"),            // 105
    Some("qnx"),             // 106
    Some("a/n"),             // 107
    Some("ipcomp"),          // 108
    Some("snp"),             // 109
    Some("compaq-peer"),     // 110
    Some("ipx-in-ip"),       // 111
    Some("vrrp"),            // 112
    Some("pgm"),             // 113
    None,                    // 114 any 0-hop protocol
    Some("l2tp"),            // 115
    Some("ddx"),             // 116
    Some("iatp"),            // 117
    Some("stp"),             // 118
    Some("srp"),             // 119
    Some("uti"),             // 120
    Some("smp"),             // 121
    Some("sm"),              // 122
    Some("ptp"),             // 123
    Some("isis"),            // 124 ISIS over IPv4
    Some("fire"),            // 125
    Some("crtp"),            // 126
    Some("crudp"),           // 127
    Some("sscopmce"),        // 128
    Some("iplt"),            // 129
    Some("sps"),             // 130
    Some("pipe"),            // 131
    Some("sctp"),            // 132
    Some("fc"),              // 133
    Some("rsvp-e2e-ignore"), // 134
    Some("mobility-header"), // 135
    Some("udplite"),         // 136
    Some("mpls-in-ip"),      // 137
    Some("manet"),           // 138
    Some("hip"),             // 139
    Some("shim6"),           // 140
    Some("wesp"),            // 141
    Some("rohc"),            // 142
    Some("ethernet"),        // 143
    Some("aggfrag"),         // 144
    Some("nsh"),             // 145
];

/// Parses an IPv4 or IPv6 address in its textual form (no zone, no brackets).
///
/// IPv4 takes a hand-rolled fast path (dotted quad, no leading zeros); IPv6
/// uses the standard library.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.as_bytes().contains(&b':') {
        s.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        parse_ipv4(s.as_bytes()).map(IpAddr::V4)
    }
}

fn parse_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut part = 0usize;
    let mut value = 0u32;
    let mut digits = 0u32;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                if digits > 0 && value == 0 {
                    return None; // leading zero
                }
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
                if value > 255 {
                    return None;
                }
            }
            b'.' => {
                if digits == 0 || part == 3 {
                    return None;
                }
                octets[part] = value as u8;
                part += 1;
                value = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if digits == 0 || part != 3 {
        return None;
    }
    octets[3] = value as u8;
    Some(Ipv4Addr::from(octets))
}

/// A Community ID v1 string (`1:` + base64 of a SHA-1 digest): always 30 bytes.
pub type CommunityId = String;

/// Computes the Community ID v1 of a flow, exactly as Elasticsearch's
/// `community_id` ingest processor does (and so as Elastic's integrations
/// show it).
///
/// - The hashed tuple is `seed (2 bytes, big endian) | src ip | dst ip |
///   protocol | 0 | src port | dst port`, with the endpoints ordered so that
///   both directions of a flow hash the same: the smaller address (compared
///   as an unsigned number, so an IPv4 address sorts before most IPv6 ones),
///   or on equal addresses the smaller port, goes first.
/// - Ports are hashed for TCP, UDP and SCTP. For ICMP and ICMPv6,
///   `src_port`/`dst_port` carry the ICMP type and code: the type goes in the
///   source port slot and the code, or the type of the matching
///   request/reply message when there is one, in the destination slot; a
///   message without a counterpart is one-way and keeps its order. Other
///   protocols hash addresses and protocol only.
/// - IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are hashed as IPv4, as
///   Java's `InetAddress` does.
///
/// Returns `None` for protocol 255 (reserved), which Elasticsearch refuses.
pub fn community_id_v1(
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    src_port: u16,
    dst_port: u16,
    seed: u16,
) -> Option<CommunityId> {
    if protocol == 255 {
        return None;
    }
    let src = canonical(src);
    let dst = canonical(dst);
    let (mut sport, mut dport) = (src_port, dst_port);
    let mut one_way = false;
    let has_ports = match protocol {
        TCP | UDP | SCTP => true,
        ICMP | ICMPV6 => {
            let equivalent = icmp_counterpart(src_port, protocol == ICMPV6);
            one_way = equivalent.is_none();
            sport = src_port;
            dport = equivalent.unwrap_or(dst_port);
            true
        }
        _ => false,
    };
    // Elasticsearch leaves the ports of port-less protocols at zero, so only
    // the addresses order those flows.
    let (order_sport, order_dport) = if has_ports { (sport, dport) } else { (0, 0) };
    let (a, b) = (ip_number(src), ip_number(dst));
    let ordered = a < b || (a == b && order_sport < order_dport);
    let keep = ordered || one_way;

    let mut buf = [0u8; 2 + 16 + 16 + 2 + 4];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        buf[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    put(&seed.to_be_bytes());
    let (first, second) = if keep { (src, dst) } else { (dst, src) };
    put_ip(&mut put, first);
    put_ip(&mut put, second);
    put(&[protocol, 0]);
    if has_ports {
        let (p1, p2) = if keep { (sport, dport) } else { (dport, sport) };
        put(&p1.to_be_bytes());
        put(&p2.to_be_bytes());
    }
    let digest: [u8; 20] = Sha1::digest(&buf[..len]).into();
    Some(format_community_id(&digest))
}

/// `1:` and the standard, padded base64 of a SHA-1 digest (28 characters).
fn format_community_id(digest: &[u8; 20]) -> CommunityId {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = [0u8; 30];
    out[0] = b'1';
    out[1] = b':';
    let char_at = |v: u32, shift: u32| ALPHABET[((v >> shift) & 0x3f) as usize];
    for (chunk, slot) in digest.chunks_exact(3).zip(out[2..26].chunks_exact_mut(4)) {
        let v = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        slot.copy_from_slice(&[char_at(v, 18), char_at(v, 12), char_at(v, 6), char_at(v, 0)]);
    }
    let v = u32::from(digest[18]) << 16 | u32::from(digest[19]) << 8;
    out[26..30].copy_from_slice(&[char_at(v, 18), char_at(v, 12), char_at(v, 6), b'=']);
    // Every byte is ASCII (from ALPHABET, `1`, `:` or `=`): never fails.
    std::str::from_utf8(&out).map_or_else(|_| String::new(), str::to_owned)
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn ip_number(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn put_ip(put: &mut impl FnMut(&[u8]), ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => put(&v4.octets()),
        IpAddr::V6(v6) => put(&v6.octets()),
    }
}

/// The ICMP type of the message answering (or answered by) `icmp_type`, as
/// Elasticsearch's community ID processor pairs them.
fn icmp_counterpart(icmp_type: u16, v6: bool) -> Option<u16> {
    if v6 {
        match icmp_type {
            128 => Some(129),
            129 => Some(128),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            130 => Some(131),
            139 => Some(140),
            140 => Some(139),
            144 => Some(145),
            145 => Some(144),
            _ => None,
        }
    } else {
        match icmp_type {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            10 => Some(9),
            9 => Some(10),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        parse_ip(s).unwrap()
    }

    #[test]
    fn names_transports_like_elastic_and_iana() {
        assert_eq!(transport_name(0), Some("hopopt"));
        assert_eq!(transport_name(1), Some("icmp"));
        assert_eq!(transport_name(6), Some("tcp"));
        assert_eq!(transport_name(17), Some("udp"));
        assert_eq!(transport_name(47), Some("gre"));
        assert_eq!(transport_name(50), Some("esp"));
        assert_eq!(transport_name(58), Some("ipv6-icmp"));
        assert_eq!(transport_name(112), Some("vrrp"));
        assert_eq!(transport_name(132), Some("sctp"));
        assert_eq!(transport_name(89), Some("ospfigp"));
        assert_eq!(transport_name(61), None);
        assert_eq!(transport_name(200), None);
        assert_eq!(transport_name(255), None);
    }

    #[test]
    fn parses_ipv4_strictly_and_ipv6_with_std() {
        assert_eq!(
            parse_ip("10.0.0.1"),
            Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)))
        );
        assert_eq!(
            parse_ip("255.255.255.255"),
            Some(IpAddr::V4(Ipv4Addr::BROADCAST))
        );
        for bad in [
            "",
            "-",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.",
            "a.b.c.d",
        ] {
            assert_eq!(parse_ip(bad), None, "{bad}");
        }
        assert!(matches!(parse_ip("2001:db8::1"), Some(IpAddr::V6(_))));
        assert_eq!(parse_ip("2001:db8::zz"), None);
    }

    // Expected values from Elastic's AWS integration test fixtures
    // (vpcflow data stream), computed by Elasticsearch's community_id processor.
    #[test]
    fn matches_elasticsearch_for_tcp_and_udp() {
        let id = community_id_v1(ip("89.160.20.156"), ip("89.160.20.156"), 6, 20641, 22, 0);
        assert_eq!(id.as_deref(), Some("1:CEGBlG6oEeW2Y5LLdr9GONITz00="));
        let id = community_id_v1(ip("89.160.20.156"), ip("10.200.0.0"), 17, 50041, 33004, 0);
        assert_eq!(id.as_deref(), Some("1:+zLdyx7gcy2L5ERP4Je5AZMgl3A="));
    }

    #[test]
    fn matches_elasticsearch_for_ipv6_and_mixed_families() {
        let a = ip("2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6");
        assert_eq!(
            community_id_v1(a, a, 6, 34892, 22, 0).as_deref(),
            Some("1:3piNHoW0DjbrWkF//BeRomCaOZQ=")
        );
        let id = community_id_v1(ip("1.128.0.0"), ip("2a02:cf40::"), 6, 39464, 22, 0);
        assert_eq!(id.as_deref(), Some("1:yMxrbWtpAzdDF0dFnvIBRb/Ys5c="));
        let id = community_id_v1(ip("2a02:cf40::"), ip("1.128.0.0"), 17, 42910, 80, 0);
        assert_eq!(id.as_deref(), Some("1:6Lxpa8XQj/6l+zLv/BSTAHZoSJ0="));
    }

    #[test]
    fn matches_elasticsearch_for_icmp_without_type_and_code() {
        let id = community_id_v1(ip("89.160.20.156"), ip("172.31.16.139"), 1, 0, 0, 0);
        assert_eq!(id.as_deref(), Some("1:cttDCHp3UNR8SFNTOgVYpAceHf4="));
        let id = community_id_v1(ip("172.31.16.139"), ip("89.160.20.156"), 1, 0, 0, 0);
        assert_eq!(id.as_deref(), Some("1:XiVZKra6oEtIAPBi9QgeQL4Hp6M="));
    }

    // The specification's README example, and values checked against an
    // independent implementation of the spec (Python, hashlib).
    #[test]
    fn matches_the_specification_examples() {
        let id = community_id_v1(ip("128.232.110.120"), ip("66.35.250.204"), 6, 34855, 80, 0);
        assert_eq!(id.as_deref(), Some("1:LQU9qZlK+B5F3KDmev6m5PMibrg="));
        let id = community_id_v1(ip("66.35.250.204"), ip("128.232.110.120"), 6, 80, 34855, 0);
        assert_eq!(id.as_deref(), Some("1:LQU9qZlK+B5F3KDmev6m5PMibrg="));
        let id = community_id_v1(ip("128.232.110.120"), ip("66.35.250.204"), 6, 34855, 80, 1);
        assert_eq!(id.as_deref(), Some("1:3V71V58M3Ksw/yuFALMcW0LAHvc="));
    }

    #[test]
    fn both_directions_of_a_flow_hash_the_same() {
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        for proto in [6, 17, 132, 47] {
            assert_eq!(
                community_id_v1(a, b, proto, 1000, 53, 0),
                community_id_v1(b, a, proto, 53, 1000, 0)
            );
        }
        // ICMP echo request and its reply.
        assert_eq!(
            community_id_v1(a, b, 1, 8, 0, 0),
            community_id_v1(b, a, 1, 0, 0, 0)
        );
        assert_eq!(
            community_id_v1(a, b, 58, 128, 0, 0),
            community_id_v1(b, a, 58, 129, 0, 0)
        );
        assert_eq!(community_id_v1(a, b, 255, 1, 2, 0), None);
    }

    #[test]
    fn encodes_digests_as_padded_standard_base64() {
        use base64::Engine as _;
        for seed in 0u8..=255 {
            let digest: [u8; 20] = std::array::from_fn(|i| {
                seed.wrapping_mul(31)
                    .wrapping_add((i as u8).wrapping_mul(97))
            });
            let expected = format!(
                "1:{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            );
            assert_eq!(format_community_id(&digest), expected);
        }
    }

    #[test]
    fn hashes_ipv4_mapped_ipv6_as_ipv4() {
        let mapped = ip("::ffff:10.0.0.1");
        let plain = ip("10.0.0.1");
        let other = ip("10.0.0.9");
        assert_eq!(
            community_id_v1(mapped, other, 6, 1, 2, 0),
            community_id_v1(plain, other, 6, 1, 2, 0)
        );
    }
}
