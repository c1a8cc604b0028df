//! Announcement frames: gratuitous ARP (RFC 5227 section 3 "ARP announcement") and the ICMPv6
//! body of an unsolicited neighbour advertisement (RFC 4861 section 7.2.6); probes: the ARP
//! probe (RFC 5227 section 2.1.1) and the duplicate-address-detection neighbour solicitation
//! (RFC 4862 section 5.4.2) as full Ethernet frames, and the parsers for their answers.

use core::net::{Ipv4Addr, Ipv6Addr};

/// Length of an Ethernet frame carrying an ARP packet (without FCS or padding).
pub const ARP_FRAME_LEN: usize = 14 + 28;
/// Length of a neighbour advertisement with a target link-layer address option (Ethernet).
pub const NA_LEN: usize = 24 + 8;

pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ICMPV6_NEIGHBOR_SOLICIT: u8 = 135;
pub const ICMPV6_NEIGHBOR_ADVERT: u8 = 136;
/// Length of an Ethernet frame carrying a DAD neighbour solicitation (no options: RFC 4861
/// section 4.3 forbids the source link-layer address option when the source is `::`).
pub const NS_FRAME_LEN: usize = 14 + 40 + 24;

/// Field offsets in an Ethernet frame carrying an Ethernet/IPv4 ARP packet (RFC 826).
mod arp {
    crate::wire::offsets! {
        ranges: ETH_DST = 0..6, ETH_SRC = 6..12, ETH_TYPE = 12..14,
        /// Hardware type, protocol type, hardware and protocol address lengths.
        FORMAT = 14..20,
        OP = 20..22, SENDER_MAC = 22..28, SENDER_IP = 28..32, TARGET_MAC = 32..38,
        TARGET_IP = 38..42,
    }
}

/// Ethernet (1), IPv4 (0x0800), 6-byte hardware and 4-byte protocol addresses.
const ARP_FORMAT: [u8; 6] = [0, 1, 0x08, 0x00, 6, 4];
const ARP_REQUEST: u16 = 1;

/// An ARP request from `mac`, broadcast to ff:ff:ff:ff:ff:ff, with an unset target hardware
/// address.
fn arp_request(mac: [u8; 6], sender: Ipv4Addr, target: Ipv4Addr) -> [u8; ARP_FRAME_LEN] {
    let mut f = [0u8; ARP_FRAME_LEN];
    f[arp::ETH_DST].fill(0xff);
    f[arp::ETH_SRC].copy_from_slice(&mac);
    f[arp::ETH_TYPE].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
    f[arp::FORMAT].copy_from_slice(&ARP_FORMAT);
    f[arp::OP].copy_from_slice(&ARP_REQUEST.to_be_bytes());
    f[arp::SENDER_MAC].copy_from_slice(&mac);
    f[arp::SENDER_IP].copy_from_slice(&sender.octets());
    f[arp::TARGET_IP].copy_from_slice(&target.octets());
    f
}

/// An ARP announcement for `ip` from `mac`: an ARP request (opcode 1) with sender and target
/// protocol address both `ip`, broadcast to ff:ff:ff:ff:ff:ff, in a full Ethernet frame.
pub fn gratuitous_arp(mac: [u8; 6], ip: Ipv4Addr) -> [u8; ARP_FRAME_LEN] {
    arp_request(mac, ip, ip)
}

/// An ARP probe for `ip` (RFC 5227 section 2.1.1): a request with sender protocol address
/// 0.0.0.0, asking who has `ip`, broadcast in a full Ethernet frame. Any host that answers, or
/// any ARP packet whose sender address is `ip`, shows the address is already in use.
pub fn arp_probe(mac: [u8; 6], ip: Ipv4Addr) -> [u8; ARP_FRAME_LEN] {
    arp_request(mac, Ipv4Addr::UNSPECIFIED, ip)
}

/// An Ethernet/IPv4 ARP packet read from an Ethernet frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpPacket {
    /// 1 request, 2 reply.
    pub op: u16,
    pub sender_mac: [u8; 6],
    pub sender_ip: Ipv4Addr,
    pub target_mac: [u8; 6],
    pub target_ip: Ipv4Addr,
}

impl ArpPacket {
    /// Parse a full Ethernet frame; `None` unless it is an Ethernet/IPv4 ARP packet.
    pub fn parse(frame: &[u8]) -> Option<ArpPacket> {
        let f = frame.get(..ARP_FRAME_LEN)?;
        if f[arp::ETH_TYPE] != ETHERTYPE_ARP.to_be_bytes() || f[arp::FORMAT] != ARP_FORMAT {
            return None;
        }
        let ip = |r| array::<4>(&f[r]).map(Ipv4Addr::from);
        Some(ArpPacket {
            op: u16::from_be_bytes(array(&f[arp::OP])?),
            sender_mac: array(&f[arp::SENDER_MAC])?,
            sender_ip: ip(arp::SENDER_IP)?,
            target_mac: array(&f[arp::TARGET_MAC])?,
            target_ip: ip(arp::TARGET_IP)?,
        })
    }

    /// Whether this packet, seen while probing for `ip` from `our_mac`, shows that another
    /// host uses `ip`: it claims `ip` as its sender address, or it probes for `ip` too.
    pub fn conflicts(&self, ip: Ipv4Addr, our_mac: [u8; 6]) -> bool {
        self.sender_mac != our_mac
            && (self.sender_ip == ip
                || (self.op == 1 && self.sender_ip.is_unspecified() && self.target_ip == ip))
    }
}

/// The ICMPv6 part of an unsolicited neighbour advertisement for `target` with the Override
/// flag and a target link-layer address option. The checksum is left zero: raw ICMPv6 sockets
/// have the kernel fill it in (RFC 3542 section 3.1).
pub fn unsolicited_na(mac: [u8; 6], target: Ipv6Addr) -> [u8; NA_LEN] {
    let mut m = [0u8; NA_LEN];
    nd_message(&mut m, ICMPV6_NEIGHBOR_ADVERT, ND_OVERRIDE, target);
    let o = field::ND_OPTIONS - field::ICMP;
    // Option: target link-layer address, length 1 (8 bytes).
    m[o..o + 2].copy_from_slice(&[OPT_TARGET_LLADDR, 1]);
    m[o + 2..o + 8].copy_from_slice(&mac);
    m
}

/// The all-nodes multicast group (RFC 4291 section 2.7.1), where unsolicited advertisements
/// go.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// The Override flag of an advertisement (RFC 4861 section 4.4); R and S stay clear.
const ND_OVERRIDE: u32 = 0x2000_0000;

/// A solicitation or advertisement for `target` (type, code 0, checksum 0, flags, target) at
/// the start of `m`, which is the ICMPv6 message.
fn nd_message(m: &mut [u8], kind: u8, flags: u32, target: Ipv6Addr) {
    let at = |r: core::ops::Range<usize>| r.start - field::ICMP..r.end - field::ICMP;
    m[field::ICMP_TYPE - field::ICMP] = kind;
    m[at(field::ND_FLAGS)].copy_from_slice(&flags.to_be_bytes());
    m[at(field::ND_TARGET)].copy_from_slice(&target.octets());
}

/// Field offsets in an Ethernet frame carrying IPv6 neighbour discovery.
mod field {
    use core::ops::Range;
    pub const ETH_DST: Range<usize> = 0..6;
    pub const ETH_SRC: Range<usize> = 6..12;
    pub const ETH_TYPE: Range<usize> = 12..14;
    /// The IPv6 header follows the Ethernet header.
    pub const IP6: usize = 14;
    pub const IP6_VER_TC_FLOW: Range<usize> = IP6..IP6 + 4;
    pub const IP6_PAYLOAD_LEN: Range<usize> = IP6 + 4..IP6 + 6;
    pub const IP6_NEXT_HEADER: usize = IP6 + 6;
    pub const IP6_HOP_LIMIT: usize = IP6 + 7;
    pub const IP6_SRC: Range<usize> = IP6 + 8..IP6 + 24;
    pub const IP6_DST: Range<usize> = IP6 + 24..IP6 + 40;
    /// The ICMPv6 message follows the IPv6 header (no extension headers in ND).
    pub const ICMP: usize = IP6 + 40;
    pub const ICMP_TYPE: usize = ICMP;
    pub const ICMP_CODE: usize = ICMP + 1;
    pub const ICMP_CHECKSUM: Range<usize> = ICMP + 2..ICMP + 4;
    pub const ND_FLAGS: Range<usize> = ICMP + 4..ICMP + 8;
    pub const ND_TARGET: Range<usize> = ICMP + 8..ICMP + 24;
    /// Neighbour discovery options start after the target.
    pub const ND_OPTIONS: usize = ICMP + 24;
}

const IPPROTO_ICMPV6: u8 = 58;
/// Neighbour discovery messages carry hop limit 255 (RFC 4861 section 7.1), so a router
/// cannot have forwarded them.
const ND_HOP_LIMIT: u8 = 255;
/// ND option: target link-layer address (RFC 4861 section 4.6.1).
const OPT_TARGET_LLADDR: u8 = 2;

/// The solicited-node multicast address of `ip` (RFC 4291 section 2.7.1): ff02::1:ff00:0/104
/// with the low 24 bits of `ip`.
pub fn solicited_node(ip: Ipv6Addr) -> Ipv6Addr {
    let t = ip.octets();
    Ipv6Addr::from([
        0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15],
    ])
}

/// The Ethernet address an IPv6 multicast address maps to (RFC 2464 section 7).
pub fn multicast_mac(group: Ipv6Addr) -> [u8; 6] {
    let g = group.octets();
    [0x33, 0x33, g[12], g[13], g[14], g[15]]
}

/// The ICMPv6 checksum (RFC 4443 section 2.3) of `msg` between `src` and `dst`, computed
/// over the pseudo-header of RFC 8200 section 8.1. `msg`'s own checksum field counts as it
/// is: a message whose field holds the right value sums to zero here.
pub fn icmpv6_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, msg: &[u8]) -> u16 {
    fn add(sum: u32, b: &[u8]) -> u32 {
        let mut sum = sum;
        let mut chunks = b.chunks_exact(2);
        for c in &mut chunks {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
            sum = (sum & 0xffff) + (sum >> 16);
        }
        if let [last] = chunks.remainder() {
            sum += u32::from(*last) << 8;
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum
    }
    let mut sum = add(0, &src.octets());
    sum = add(sum, &dst.octets());
    // Upper-layer length (32 bits) and next header (32 bits, zero-padded); an ND message is
    // far shorter than 4 GiB, and a longer slice cannot exist on the targets we build for.
    let len = u32::try_from(msg.len()).unwrap_or(u32::MAX);
    sum = add(sum, &len.to_be_bytes());
    sum = add(sum, &[0, 0, 0, IPPROTO_ICMPV6]);
    sum = add(sum, msg);
    !(sum as u16)
}

/// A duplicate-address-detection neighbour solicitation for `target` (RFC 4862 section
/// 5.4.2) in a full Ethernet frame from `mac`: source `::`, destination the target's
/// solicited-node group, hop limit 255, no options, checksum filled in. A host that has
/// `target` answers with a neighbour advertisement to all nodes (ff02::1); a host that is
/// itself detecting `target` gives it up. Sent from the unspecified address, it leaves every
/// neighbour cache as it was, our own address included.
pub fn dad_ns(mac: [u8; 6], target: Ipv6Addr) -> [u8; NS_FRAME_LEN] {
    const NS_LEN: usize = NS_FRAME_LEN - field::ICMP;
    let group = solicited_node(target);
    let mut f = [0u8; NS_FRAME_LEN];
    f[field::ETH_DST].copy_from_slice(&multicast_mac(group));
    f[field::ETH_SRC].copy_from_slice(&mac);
    f[field::ETH_TYPE].copy_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
    // Version 6, traffic class 0, flow label 0.
    f[field::IP6_VER_TC_FLOW].copy_from_slice(&0x6000_0000u32.to_be_bytes());
    f[field::IP6_PAYLOAD_LEN].copy_from_slice(&(NS_LEN as u16).to_be_bytes());
    f[field::IP6_NEXT_HEADER] = IPPROTO_ICMPV6;
    f[field::IP6_HOP_LIMIT] = ND_HOP_LIMIT;
    // The source stays the unspecified address.
    f[field::IP6_DST].copy_from_slice(&group.octets());
    let mut msg = [0u8; NS_LEN];
    nd_message(&mut msg, ICMPV6_NEIGHBOR_SOLICIT, 0, target);
    let sum = icmpv6_checksum(&Ipv6Addr::UNSPECIFIED, &group, &msg);
    let c = field::ICMP_CHECKSUM;
    msg[c.start - field::ICMP..c.end - field::ICMP].copy_from_slice(&sum.to_be_bytes());
    f[field::ICMP..].copy_from_slice(&msg);
    f
}

/// A neighbour solicitation or advertisement read from an Ethernet frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NdPacket {
    /// [`ICMPV6_NEIGHBOR_SOLICIT`] or [`ICMPV6_NEIGHBOR_ADVERT`].
    pub kind: u8,
    /// The Ethernet source: the host that sent it.
    pub src_mac: [u8; 6],
    pub src_ip: Ipv6Addr,
    pub dst_ip: Ipv6Addr,
    /// The R, S and O bits of an advertisement (the top byte of the flags word).
    pub flags: u8,
    pub target: Ipv6Addr,
    /// The target link-layer address option of an advertisement, when present.
    pub target_mac: Option<[u8; 6]>,
}

fn array<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
    b.try_into().ok()
}

impl NdPacket {
    /// Parse a full Ethernet frame; `None` unless it is an IPv6 neighbour solicitation or
    /// advertisement that passes the checks of RFC 4861 sections 7.1.1 and 7.1.2 (hop limit
    /// 255, code 0, at least 24 bytes, a correct checksum, no zero-length option) with no
    /// extension header. Bytes after the IPv6 payload (Ethernet padding) are ignored.
    pub fn parse(frame: &[u8]) -> Option<NdPacket> {
        if frame.get(field::ETH_TYPE)? != ETHERTYPE_IPV6.to_be_bytes()
            || frame.get(field::IP6_VER_TC_FLOW)?[0] >> 4 != 6
            || *frame.get(field::IP6_NEXT_HEADER)? != IPPROTO_ICMPV6
            || *frame.get(field::IP6_HOP_LIMIT)? != ND_HOP_LIMIT
        {
            return None;
        }
        let payload = usize::from(u16::from_be_bytes(array(
            frame.get(field::IP6_PAYLOAD_LEN)?,
        )?));
        let msg = frame.get(field::ICMP..field::ICMP.checked_add(payload)?)?;
        let kind = *frame.get(field::ICMP_TYPE)?;
        if !(kind == ICMPV6_NEIGHBOR_SOLICIT || kind == ICMPV6_NEIGHBOR_ADVERT)
            || *frame.get(field::ICMP_CODE)? != 0
            || msg.len() < 24
        {
            return None;
        }
        let src_ip = Ipv6Addr::from(array::<16>(frame.get(field::IP6_SRC)?)?);
        let dst_ip = Ipv6Addr::from(array::<16>(frame.get(field::IP6_DST)?)?);
        if icmpv6_checksum(&src_ip, &dst_ip, msg) != 0 {
            return None;
        }
        let mut target_mac = None;
        let mut opts = msg.get(field::ND_OPTIONS - field::ICMP..)?;
        while !opts.is_empty() {
            let (ty, units) = (*opts.first()?, usize::from(*opts.get(1)?));
            if units == 0 {
                return None;
            }
            let opt = opts.get(..units * 8)?;
            if ty == OPT_TARGET_LLADDR && kind == ICMPV6_NEIGHBOR_ADVERT && units == 1 {
                target_mac = array(opt.get(2..8)?);
            }
            opts = &opts[opt.len()..];
        }
        Some(NdPacket {
            kind,
            src_mac: array(frame.get(field::ETH_SRC)?)?,
            src_ip,
            dst_ip,
            flags: frame.get(field::ND_FLAGS)?[0],
            target: Ipv6Addr::from(array::<16>(frame.get(field::ND_TARGET)?)?),
            target_mac,
        })
    }

    /// Whether this packet, seen while probing for `ip` from `our_mac`, shows that another
    /// host uses `ip`: an advertisement for it, or another host's detection of it (a
    /// solicitation for it from `::`). Our own frames never count.
    pub fn conflicts(&self, ip: Ipv6Addr, our_mac: [u8; 6]) -> bool {
        self.src_mac != our_mac
            && self.target == ip
            && (self.kind == ICMPV6_NEIGHBOR_ADVERT
                || (self.kind == ICMPV6_NEIGHBOR_SOLICIT && self.src_ip.is_unspecified()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];

    #[test]
    fn arp_announcement_layout() {
        // Expected bytes written out by hand from RFC 826 / RFC 5227 field order.
        let b = gratuitous_arp(MAC, Ipv4Addr::new(192, 0, 2, 200));
        let want: [u8; 42] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x08, 0x06,
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01,
            192, 0, 2, 200, 0, 0, 0, 0, 0, 0, 192, 0, 2, 200,
        ];
        assert_eq!(b, want);
    }

    #[test]
    fn na_layout() {
        let t: Ipv6Addr = "2001:db8::200".parse().unwrap();
        let b = unsolicited_na(MAC, t);
        assert_eq!(&b[..8], &[136, 0, 0, 0, 0x20, 0, 0, 0]);
        assert_eq!(&b[8..24], &t.octets());
        assert_eq!(&b[24..32], &[2, 1, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);
    }

    #[test]
    fn probe_and_reply() {
        let ip = Ipv4Addr::new(192, 0, 2, 200);
        let b = arp_probe(MAC, ip);
        let p = ArpPacket::parse(&b).unwrap();
        assert_eq!(p.op, 1);
        assert_eq!(p.sender_ip, Ipv4Addr::UNSPECIFIED);
        assert_eq!(p.target_ip, ip);
        // Our own probe is no conflict; the same probe from another host is.
        assert!(!p.conflicts(ip, MAC));
        assert!(p.conflicts(ip, [2, 0, 0, 0, 0, 0x99]));
        // A reply as Linux sends it (bytes written out from RFC 826 field order): 192.0.2.200
        // is-at 02:00:00:00:00:99, to our probe.
        let reply: [u8; 42] = [
            0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x02, 0, 0, 0, 0, 0x99, 0x08, 0x06, 0, 1, 8, 0, 6,
            4, 0, 2, 0x02, 0, 0, 0, 0, 0x99, 192, 0, 2, 200, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0,
            0, 0, 0,
        ];
        let r = ArpPacket::parse(&reply).unwrap();
        assert_eq!((r.op, r.sender_ip), (2, ip));
        assert!(r.conflicts(ip, MAC));
        assert!(!r.conflicts(Ipv4Addr::new(192, 0, 2, 201), MAC));
        // Anything shorter, or not Ethernet/IPv4 ARP, is not a packet.
        for len in 0..42 {
            assert_eq!(ArpPacket::parse(&reply[..len]), None);
        }
        let mut ipv4 = reply;
        ipv4[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(ArpPacket::parse(&ipv4), None);
    }

    /// A duplicate-address-detection solicitation for 2001:db8::200 from 02:00:5e:10:00:01,
    /// captured with tcpdump from Linux 6.18 (`enhanced_dad=0`, so without a nonce option)
    /// adding the address on a veth.
    const LINUX_DAD_NS: [u8; 78] = [
        0x33, 0x33, 0xff, 0x00, 0x02, 0x00, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x86, 0xdd, 0x60,
        0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x02, 0x00, 0x87, 0x00, 0x48, 0xef, 0x00, 0x00,
        0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x00,
    ];

    /// The answer, captured in the same run: Linux 6.18 holding 2001:db8::200 on
    /// 02:00:00:00:00:99 advertises it to ff02::1 (Override set, target link-layer option).
    const LINUX_NA_REPLY: [u8; 86] = [
        0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x99, 0x86, 0xdd, 0x60,
        0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0xf4, 0x94, 0x20, 0x00,
        0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x00, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x99,
    ];

    const PEER: [u8; 6] = [0x02, 0, 0, 0, 0, 0x99];

    #[test]
    fn dad_ns_is_what_linux_sends() {
        let t: Ipv6Addr = "2001:db8::200".parse().unwrap();
        assert_eq!(
            solicited_node(t),
            "ff02::1:ff00:200".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(
            multicast_mac(solicited_node(t)),
            [0x33, 0x33, 0xff, 0, 2, 0]
        );
        assert_eq!(dad_ns(MAC, t), LINUX_DAD_NS);
        // Our own solicitation parses, and is no conflict for us; the same from another
        // host (detecting the address at the same moment) is.
        let p = NdPacket::parse(&LINUX_DAD_NS).unwrap();
        assert_eq!(p.kind, ICMPV6_NEIGHBOR_SOLICIT);
        assert_eq!(
            (p.src_mac, p.src_ip, p.target),
            (MAC, Ipv6Addr::UNSPECIFIED, t)
        );
        assert_eq!(p.target_mac, None);
        assert!(!p.conflicts(t, MAC));
        assert!(p.conflicts(t, PEER));
    }

    #[test]
    fn na_reply_parses_and_conflicts() {
        let t: Ipv6Addr = "2001:db8::200".parse().unwrap();
        let p = NdPacket::parse(&LINUX_NA_REPLY).unwrap();
        assert_eq!(p.kind, ICMPV6_NEIGHBOR_ADVERT);
        assert_eq!((p.src_mac, p.src_ip, p.target), (PEER, t, t));
        assert_eq!(p.dst_ip, "ff02::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!((p.flags, p.target_mac), (0x20, Some(PEER)));
        assert!(p.conflicts(t, MAC));
        assert!(!p.conflicts(t, PEER), "our own answer does not count");
        assert!(!p.conflicts("2001:db8::201".parse().unwrap(), MAC));
        // Ethernet padding after the payload is ignored.
        let mut padded = [0u8; 100];
        padded[..86].copy_from_slice(&LINUX_NA_REPLY);
        assert_eq!(NdPacket::parse(&padded), Some(p));
        // Every prefix is refused, and so is every single-bit change after the Ethernet
        // header (the version, hop limit, type or checksum check catches it), except in the
        // traffic class and flow label, which are not checked.
        for len in 0..LINUX_NA_REPLY.len() {
            assert_eq!(NdPacket::parse(&LINUX_NA_REPLY[..len]), None, "len {len}");
        }
        for i in 14..LINUX_NA_REPLY.len() {
            if (15..18).contains(&i) || i == 14 {
                continue; // traffic class and flow label are not checked
            }
            for bit in 0..8 {
                let mut f = LINUX_NA_REPLY;
                f[i] ^= 1 << bit;
                assert_eq!(NdPacket::parse(&f), None, "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn nd_options_are_walked_safely() {
        // An advertisement whose option has length 0 (RFC 4861 7.1.2: discard), and one
        // whose option runs past the message: both refused, with a correct checksum.
        let t: Ipv6Addr = "2001:db8::200".parse().unwrap();
        let src = t;
        let dst: Ipv6Addr = "ff02::1".parse().unwrap();
        let frame = |opt: &[u8]| {
            let mut f = [0u8; 128];
            f[..62].copy_from_slice(&LINUX_NA_REPLY[..62]);
            let len = 24 + opt.len();
            f[18..20].copy_from_slice(&(len as u16).to_be_bytes());
            f[78..78 + opt.len()].copy_from_slice(opt);
            f[56..58].copy_from_slice(&[0, 0]);
            let sum = icmpv6_checksum(&src, &dst, &f[54..54 + len]);
            f[56..58].copy_from_slice(&sum.to_be_bytes());
            (f, 54 + len)
        };
        let (f, n) = frame(&[]);
        assert_eq!(NdPacket::parse(&f[..n]).unwrap().target_mac, None);
        let (f, n) = frame(&[2, 0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(NdPacket::parse(&f[..n]), None);
        let (f, n) = frame(&[2, 2, 1, 2, 3, 4, 5, 6]);
        assert_eq!(NdPacket::parse(&f[..n]), None);
        // An unknown option is skipped; the link-layer option after it is read.
        let (f, n) = frame(&[14, 1, 0, 0, 0, 0, 0, 0, 2, 1, 0x02, 0, 0, 0, 0, 0x77]);
        assert_eq!(
            NdPacket::parse(&f[..n]).unwrap().target_mac,
            Some([0x02, 0, 0, 0, 0, 0x77])
        );
    }
}
