//! Link-layer frames: `gratuitous_arp`, `arp_probe` and `unsolicited_na` for arbitrary
//! addresses (each decodes field by field, per RFC 826 / RFC 5227 / RFC 4861, back to what was
//! asked for), and `ArpPacket::parse` / `conflicts` on arbitrary frames from the wire; the
//! IPv6 probe `dad_ns` likewise, and `NdPacket::parse` / `conflicts` on arbitrary frames and
//! on arbitrary frames given a valid IPv6/ICMPv6 header and checksum (so that the option walk
//! is reached on every run).
#![no_main]

use arbitrary::Arbitrary;
use core::net::{Ipv4Addr, Ipv6Addr};
use ifaddr_core::frame::{
    arp_probe, dad_ns, gratuitous_arp, icmpv6_checksum, multicast_mac, solicited_node,
    unsolicited_na, ArpPacket, NdPacket, ARP_FRAME_LEN, ICMPV6_NEIGHBOR_ADVERT,
    ICMPV6_NEIGHBOR_SOLICIT, NS_FRAME_LEN,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    mac: [u8; 6],
    v4: Ipv4Addr,
    v6: Ipv6Addr,
    #[arbitrary(with = ifaddr_fuzz::arb::arp_packet)]
    packet: ArpPacket,
    frame: &'a [u8],
    advert: bool,
}

fn v6_at(b: &[u8], off: usize) -> Ipv6Addr {
    Ipv6Addr::from(<[u8; 16]>::try_from(&b[off..off + 16]).unwrap())
}

/// `NdPacket::parse` on `f`: what it accepts has the fixed fields it checks, a correct
/// checksum, and the addresses and target of the frame.
fn nd(f: &[u8], i: &Input<'_>) -> Option<NdPacket> {
    let p = NdPacket::parse(f)?;
    assert!(f.len() >= NS_FRAME_LEN);
    assert_eq!(be16(f, 12), 0x86dd);
    assert_eq!((f[14] >> 4, f[20], f[21]), (6, 58, 255));
    let len = usize::from(be16(f, 18));
    assert!(len >= 24 && 54 + len <= f.len());
    assert!(p.kind == ICMPV6_NEIGHBOR_SOLICIT || p.kind == ICMPV6_NEIGHBOR_ADVERT);
    assert_eq!((f[54], f[55]), (p.kind, 0));
    assert_eq!(icmpv6_checksum(&p.src_ip, &p.dst_ip, &f[54..54 + len]), 0);
    assert_eq!(&p.src_mac[..], &f[6..12]);
    assert_eq!((p.src_ip, p.dst_ip), (v6_at(f, 22), v6_at(f, 38)));
    assert_eq!((p.flags, p.target), (f[58], v6_at(f, 62)));
    if p.target_mac.is_some() {
        assert_eq!(p.kind, ICMPV6_NEIGHBOR_ADVERT);
    }
    if p.conflicts(i.v6, i.mac) {
        assert_ne!(p.src_mac, i.mac);
        assert_eq!(p.target, i.v6);
    }
    Some(p)
}

/// `i.frame` made into an IPv6 neighbour discovery frame: header fields that `parse` checks
/// set, the payload length covering the rest, the checksum computed.
fn repaired(i: &Input<'_>) -> Vec<u8> {
    let mut f = i.frame.to_vec();
    if f.len() < NS_FRAME_LEN {
        f.resize(NS_FRAME_LEN, 0);
    }
    f.truncate(54 + usize::from(u16::MAX));
    f[12..14].copy_from_slice(&0x86ddu16.to_be_bytes());
    f[14] = 0x60 | (f[14] & 0x0f);
    let len = f.len() - 54;
    f[18..20].copy_from_slice(&(len as u16).to_be_bytes());
    f[20] = 58;
    f[21] = 255;
    f[54] = if i.advert {
        ICMPV6_NEIGHBOR_ADVERT
    } else {
        ICMPV6_NEIGHBOR_SOLICIT
    };
    f[55] = 0;
    f[56..58].copy_from_slice(&[0, 0]);
    let sum = icmpv6_checksum(&v6_at(&f, 22), &v6_at(&f, 38), &f[54..]);
    f[56..58].copy_from_slice(&sum.to_be_bytes());
    f
}

/// An Ethernet/IPv4 ARP frame holding `p`, written here independently of the encoders.
fn arp_frame(p: &ArpPacket) -> [u8; ARP_FRAME_LEN] {
    let mut f = [0u8; ARP_FRAME_LEN];
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&p.sender_mac);
    f[12..20].copy_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4]);
    f[20..22].copy_from_slice(&p.op.to_be_bytes());
    f[22..28].copy_from_slice(&p.sender_mac);
    f[28..32].copy_from_slice(&p.sender_ip.octets());
    f[32..38].copy_from_slice(&p.target_mac);
    f[38..42].copy_from_slice(&p.target_ip.octets());
    f
}

fn wire(i: &Input<'_>) {
    // Arbitrary bytes: a packet exactly when the fixed header says Ethernet/IPv4 ARP.
    let f = i.frame;
    match ArpPacket::parse(f) {
        Some(p) => {
            assert!(f.len() >= ARP_FRAME_LEN);
            assert_eq!(&f[12..20], &[0x08, 0x06, 0, 1, 8, 0, 6, 4]);
            let mut want = arp_frame(&p);
            want[0..12].copy_from_slice(&f[0..12]);
            assert_eq!(&want[..], &f[..ARP_FRAME_LEN]);
            if p.conflicts(i.v4, i.mac) {
                assert_ne!(p.sender_mac, i.mac);
            }
        }
        None => {
            assert!(f.len() < ARP_FRAME_LEN || f[12..20] != [0x08, 0x06, 0, 1, 8, 0, 6, 4]);
        }
    }
    // An arbitrary packet survives a trip through the wire format.
    assert_eq!(ArpPacket::parse(&arp_frame(&i.packet)), Some(i.packet));
}

fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

fuzz_target!(|i: Input<'_>| {
    wire(&i);
    let _ = nd(i.frame, &i);
    let f = repaired(&i);
    // Refused only for its options: one of length zero, or one running past the message.
    if nd(&f, &i).is_none() {
        let mut o = &f[78..];
        let mut bad = false;
        while !o.is_empty() {
            let units = usize::from(*o.get(1).unwrap_or(&0));
            if units == 0 || units * 8 > o.len() {
                bad = true;
                break;
            }
            o = &o[units * 8..];
        }
        assert!(bad, "a valid ND frame was refused: {f:02x?}");
    }
    let b = gratuitous_arp(i.mac, i.v4);
    assert_eq!(&b[0..6], &[0xff; 6]);
    assert_eq!(&b[6..12], &i.mac);
    assert_eq!(be16(&b, 12), 0x0806);
    assert_eq!((be16(&b, 14), be16(&b, 16)), (1, 0x0800));
    assert_eq!((b[18], b[19]), (6, 4));
    assert_eq!(be16(&b, 20), 1);
    assert_eq!(&b[22..28], &i.mac);
    assert_eq!(&b[28..32], &i.v4.octets());
    assert_eq!(&b[32..38], &[0; 6]);
    assert_eq!(&b[38..42], &i.v4.octets());
    let p = ArpPacket::parse(&b).unwrap();
    assert_eq!((p.op, p.sender_mac, p.sender_ip), (1, i.mac, i.v4));
    assert_eq!((p.target_mac, p.target_ip), ([0; 6], i.v4));

    let b = arp_probe(i.mac, i.v4);
    assert_eq!(&b[0..6], &[0xff; 6]);
    assert_eq!(&b[6..12], &i.mac);
    let p = ArpPacket::parse(&b).unwrap();
    // RFC 5227 2.1.1: a request, sender protocol address zero, target hardware zero.
    assert_eq!((p.op, p.sender_mac), (1, i.mac));
    assert_eq!(p.sender_ip, Ipv4Addr::UNSPECIFIED);
    assert_eq!((p.target_mac, p.target_ip), ([0; 6], i.v4));
    // Our own probe never conflicts; another host's probe for the same address does.
    assert!(!p.conflicts(i.v4, i.mac));
    let mut other = i.mac;
    other[5] ^= 1;
    assert!(p.conflicts(i.v4, other));

    let b = dad_ns(i.mac, i.v6);
    let group = solicited_node(i.v6);
    assert_eq!(&b[0..6], &multicast_mac(group));
    assert_eq!(&b[6..12], &i.mac);
    // RFC 4862 5.4.2: from ::, to the solicited-node group, no options.
    let p = nd(&b, &i).expect("our own solicitation does not parse");
    assert_eq!(
        (p.kind, p.src_mac, p.target),
        (ICMPV6_NEIGHBOR_SOLICIT, i.mac, i.v6)
    );
    assert_eq!((p.src_ip, p.dst_ip), (Ipv6Addr::UNSPECIFIED, group));
    assert_eq!(p.target_mac, None);
    assert_eq!(usize::from(be16(&b, 18)), 24);
    assert!(!p.conflicts(i.v6, i.mac));
    let mut other = i.mac;
    other[0] ^= 0x80;
    assert!(p.conflicts(i.v6, other));

    let b = unsolicited_na(i.mac, i.v6);
    assert_eq!(&b[0..4], &[136, 0, 0, 0]);
    // Router and Solicited clear, Override set, reserved bits zero.
    assert_eq!(u32::from_be_bytes(b[4..8].try_into().unwrap()), 0x2000_0000);
    assert_eq!(
        Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).unwrap()),
        i.v6
    );
    assert_eq!(&b[24..26], &[2, 1]);
    assert_eq!(&b[26..32], &i.mac);
});
