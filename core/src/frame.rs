//! Announcement frames: gratuitous ARP (RFC 5227 section 3 "ARP announcement") and the ICMPv6
//! body of an unsolicited neighbour advertisement (RFC 4861 section 7.2.6).

use crate::wire::Writer;
use crate::Overflow;
use core::net::{Ipv4Addr, Ipv6Addr};

/// Length of an Ethernet frame carrying an ARP packet (without FCS or padding).
pub const ARP_FRAME_LEN: usize = 14 + 28;
/// Length of a neighbour advertisement with a target link-layer address option (Ethernet).
pub const NA_LEN: usize = 24 + 8;

pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ICMPV6_NEIGHBOR_ADVERT: u8 = 136;

/// An ARP announcement for `ip` from `mac`: an ARP request (opcode 1) with sender and target
/// protocol address both `ip`, broadcast to ff:ff:ff:ff:ff:ff, in a full Ethernet frame.
pub fn gratuitous_arp(buf: &mut [u8], mac: [u8; 6], ip: Ipv4Addr) -> Result<usize, Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&[0xff; 6])?; // destination
    w.bytes(&mac)?; // source
    w.bytes(&ETHERTYPE_ARP.to_be_bytes())?;
    w.bytes(&1u16.to_be_bytes())?; // hardware type: Ethernet
    w.bytes(&0x0800u16.to_be_bytes())?; // protocol type: IPv4
    w.bytes(&[6, 4])?; // hardware and protocol address lengths
    w.bytes(&1u16.to_be_bytes())?; // opcode: request
    w.bytes(&mac)?; // sender hardware address
    w.bytes(&ip.octets())?; // sender protocol address
    w.bytes(&[0; 6])?; // target hardware address
    w.bytes(&ip.octets())?; // target protocol address
    Ok(w.pos())
}

/// An ARP probe for `ip` (RFC 5227 section 2.1.1): a request with sender protocol address
/// 0.0.0.0, asking who has `ip`, broadcast in a full Ethernet frame. Any host that answers, or
/// any ARP packet whose sender address is `ip`, shows the address is already in use.
pub fn arp_probe(buf: &mut [u8], mac: [u8; 6], ip: Ipv4Addr) -> Result<usize, Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&[0xff; 6])?;
    w.bytes(&mac)?;
    w.bytes(&ETHERTYPE_ARP.to_be_bytes())?;
    w.bytes(&1u16.to_be_bytes())?;
    w.bytes(&0x0800u16.to_be_bytes())?;
    w.bytes(&[6, 4])?;
    w.bytes(&1u16.to_be_bytes())?;
    w.bytes(&mac)?;
    w.bytes(&[0; 4])?; // sender protocol address: unset while probing
    w.bytes(&[0; 6])?;
    w.bytes(&ip.octets())?;
    Ok(w.pos())
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
        let f = crate::wire::get::<42>(frame, 0)?;
        if u16::from_be_bytes([f[12], f[13]]) != ETHERTYPE_ARP || f[14..20] != [0, 1, 8, 0, 6, 4] {
            return None;
        }
        let mac = |o: usize| {
            let mut m = [0u8; 6];
            m.copy_from_slice(&f[o..o + 6]);
            m
        };
        let ip = |o: usize| Ipv4Addr::new(f[o], f[o + 1], f[o + 2], f[o + 3]);
        Some(ArpPacket {
            op: u16::from_be_bytes([f[20], f[21]]),
            sender_mac: mac(22),
            sender_ip: ip(28),
            target_mac: mac(32),
            target_ip: ip(38),
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
pub fn unsolicited_na(buf: &mut [u8], mac: [u8; 6], target: Ipv6Addr) -> Result<usize, Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&[ICMPV6_NEIGHBOR_ADVERT, 0, 0, 0])?; // type, code, checksum
    w.bytes(&0x2000_0000u32.to_be_bytes())?; // R=0, S=0, O=1
    w.bytes(&target.octets())?;
    w.bytes(&[2, 1])?; // option: target link-layer address, length 1 (8 bytes)
    w.bytes(&mac)?;
    Ok(w.pos())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];

    #[test]
    fn arp_announcement_layout() {
        // Expected bytes written out by hand from RFC 826 / RFC 5227 field order.
        let mut b = [0u8; 64];
        let n = gratuitous_arp(&mut b, MAC, Ipv4Addr::new(192, 0, 2, 200)).unwrap();
        assert_eq!(n, ARP_FRAME_LEN);
        let want: [u8; 42] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x08, 0x06,
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01,
            192, 0, 2, 200, 0, 0, 0, 0, 0, 0, 192, 0, 2, 200,
        ];
        assert_eq!(&b[..n], &want);
    }

    #[test]
    fn na_layout() {
        let mut b = [0u8; 64];
        let t: Ipv6Addr = "2001:db8::200".parse().unwrap();
        let n = unsolicited_na(&mut b, MAC, t).unwrap();
        assert_eq!(n, NA_LEN);
        assert_eq!(&b[..8], &[136, 0, 0, 0, 0x20, 0, 0, 0]);
        assert_eq!(&b[8..24], &t.octets());
        assert_eq!(&b[24..32], &[2, 1, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);
    }

    #[test]
    fn probe_and_reply() {
        let mut b = [0u8; 64];
        let ip = Ipv4Addr::new(192, 0, 2, 200);
        let n = arp_probe(&mut b, MAC, ip).unwrap();
        let p = ArpPacket::parse(&b[..n]).unwrap();
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

    #[test]
    fn short_buffers_are_refused() {
        let mut b = [0u8; 41];
        assert_eq!(
            gratuitous_arp(&mut b, MAC, Ipv4Addr::new(192, 0, 2, 1)),
            Err(Overflow)
        );
        let mut b = [0u8; 31];
        assert_eq!(
            unsolicited_na(&mut b, MAC, Ipv6Addr::LOCALHOST),
            Err(Overflow)
        );
    }
}
