//! Link-layer frames: `gratuitous_arp`, `arp_probe` and `unsolicited_na` for arbitrary
//! addresses and buffer sizes (each fails only when the buffer is too short, never writes
//! outside it, and decodes field by field, per RFC 826 / RFC 5227 / RFC 4861, back to what was
//! asked for), and `ArpPacket::parse` / `conflicts` on arbitrary frames from the wire.
#![no_main]

use arbitrary::Arbitrary;
use core::net::{Ipv4Addr, Ipv6Addr};
use ifaddr_core::frame::{
    arp_probe, gratuitous_arp, unsolicited_na, ArpPacket, ARP_FRAME_LEN, NA_LEN,
};
use ifaddr_fuzz::guarded;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    mac: [u8; 6],
    v4: Ipv4Addr,
    v6: Ipv6Addr,
    len: u8,
    #[arbitrary(with = ifaddr_fuzz::arb::arp_packet)]
    packet: ArpPacket,
    frame: &'a [u8],
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
    let len = usize::from(i.len);
    let (r, b) = guarded(len, |b| gratuitous_arp(b, i.mac, i.v4));
    match r {
        Err(_) => assert!(len < ARP_FRAME_LEN),
        Ok(n) => {
            assert_eq!(n, ARP_FRAME_LEN);
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
        }
    }
    let (r, b) = guarded(len, |b| arp_probe(b, i.mac, i.v4));
    match r {
        Err(_) => assert!(len < ARP_FRAME_LEN),
        Ok(n) => {
            assert_eq!(n, ARP_FRAME_LEN);
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
        }
    }
    let (r, b) = guarded(len, |b| unsolicited_na(b, i.mac, i.v6));
    match r {
        Err(_) => assert!(len < NA_LEN),
        Ok(n) => {
            assert_eq!(n, NA_LEN);
            assert_eq!(&b[0..4], &[136, 0, 0, 0]);
            // Router and Solicited clear, Override set, reserved bits zero.
            assert_eq!(u32::from_be_bytes(b[4..8].try_into().unwrap()), 0x2000_0000);
            assert_eq!(
                Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).unwrap()),
                i.v6
            );
            assert_eq!(&b[24..26], &[2, 1]);
            assert_eq!(&b[26..32], &i.mac);
        }
    }
});
