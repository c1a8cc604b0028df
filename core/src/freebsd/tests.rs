//! FreeBSD encoders and parsers against `vectors.rs`: bytes and numbers the C compiler built
//! from FreeBSD's own headers (xtask/fixtures/freebsd-headers/vectors.c, regenerated and
//! checked against the headers by `cargo xtask freebsd-check`). Each test uses the inputs
//! written next to the matching object in vectors.c.

use super::route::*;
use super::vectors as v;
use super::*;
use crate::addr::Family;
use crate::ParseError;
use core::net::IpAddr;
use std::vec::Vec;

fn name(s: &str) -> IfName {
    IfName::parse(s).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];

#[test]
fn constants_match_the_headers() {
    let k = |x: u32| u64::from(x);
    assert_eq!(k(SIOCAIFADDR.number()), v::SIOCAIFADDR);
    assert_eq!(k(SIOCDIFADDR.number()), v::SIOCDIFADDR);
    assert_eq!(k(SIOCGIFFLAGS.number()), v::SIOCGIFFLAGS);
    assert_eq!(k(SIOCAIFADDR_IN6.number()), v::SIOCAIFADDR_IN6);
    assert_eq!(k(SIOCDIFADDR_IN6.number()), v::SIOCDIFADDR_IN6);
    assert_eq!(k(SIOCGIFAFLAG_IN6.number()), v::SIOCGIFAFLAG_IN6);
    assert_eq!(k(BIOCSETIF.number()), v::BIOCSETIF);
    assert_eq!(k(BIOCSHDRCMPLT.number()), v::BIOCSHDRCMPLT);
    assert_eq!(u64::from(AF_INET), v::AF_INET);
    assert_eq!(u64::from(AF_INET6), v::AF_INET6);
    assert_eq!(u64::from(AF_LINK), v::AF_LINK);
    assert_eq!(PF_ROUTE as u64, v::PF_ROUTE);
    assert_eq!(CTL_NET as u64, v::CTL_NET);
    assert_eq!(NET_RT_IFLIST as u64, v::NET_RT_IFLIST);
    assert_eq!(k(IN6_IFF_TENTATIVE), v::IN6_IFF_TENTATIVE);
    assert_eq!(k(IN6_IFF_DUPLICATED), v::IN6_IFF_DUPLICATED);
    assert_eq!(k(IN6_IFF_DEPRECATED), v::IN6_IFF_DEPRECATED);
    assert_eq!(k(IN6_IFF_NODAD), v::IN6_IFF_NODAD);
    assert_eq!(k(INFINITE_LIFETIME), v::ND6_INFINITE_LIFETIME);
    assert_eq!(u64::from(RTM_VERSION), v::RTM_VERSION);
    assert_eq!(u64::from(RTM_GET), v::RTM_GET);
    assert_eq!(u64::from(RTM_NEWADDR), v::RTM_NEWADDR);
    assert_eq!(u64::from(RTM_IFINFO), v::RTM_IFINFO);
    for (ours, theirs) in [
        (RTA_DST, v::RTA_DST),
        (RTA_GATEWAY, v::RTA_GATEWAY),
        (RTA_NETMASK, v::RTA_NETMASK),
        (RTA_IFP, v::RTA_IFP),
        (RTA_IFA, v::RTA_IFA),
        (RTA_BRD, v::RTA_BRD),
        (RTF_UP, v::RTF_UP),
        (RTF_GATEWAY, v::RTF_GATEWAY),
        (RTF_HOST, v::RTF_HOST),
        (RTF_REJECT, v::RTF_REJECT),
        (RTF_BLACKHOLE, v::RTF_BLACKHOLE),
        (RTF_LOCAL, v::RTF_LOCAL),
        (JAIL_SYS_NEW, v::JAIL_SYS_NEW),
    ] {
        assert_eq!(ours as u64, theirs);
    }
    assert_eq!(k(IFF_UP), v::IFF_UP);
    assert_eq!(k(IFF_LOOPBACK), v::IFF_LOOPBACK);
    assert_eq!(k(IFF_RUNNING), v::IFF_RUNNING);
    assert_eq!(u64::from(LINK_STATE_UP), v::LINK_STATE_UP);
    assert_eq!(u64::from(LINK_STATE_DOWN), v::LINK_STATE_DOWN);
}

#[test]
fn in_aliasreq_matches_c() {
    let a = Ipv4Addr::new(192, 0, 2, 200);
    let b = InAliasreq::new(
        &name("vlan100"),
        a,
        24,
        Some(Ipv4Addr::new(192, 0, 2, 255)),
        3,
    );
    assert_eq!(b.as_bytes(), &v::IN_ALIASREQ_BRD);
    let b = InAliasreq::new(&name("em0"), Ipv4Addr::new(198, 51, 100, 7), 32, None, 0);
    assert_eq!(b.as_bytes(), &v::IN_ALIASREQ_HOST);
}

#[test]
fn in6_aliasreq_matches_c() {
    let b = In6Aliasreq::new(
        &name("epair0a"),
        "2001:db8::200".parse().unwrap(),
        64,
        IN6_IFF_NODAD,
        Some(0),
        0,
    );
    assert_eq!(b.as_bytes(), &v::IN6_ALIASREQ_NODAD);
    let b = In6Aliasreq::new(
        &name("lagg0"),
        "2001:db8:1::5".parse().unwrap(),
        128,
        0,
        None,
        7,
    );
    assert_eq!(b.as_bytes(), &v::IN6_ALIASREQ_CARP);
    // No destination, and the kernel computes the expiry times from the lifetimes.
    use field::in6_aliasreq as f;
    assert_eq!(&b.as_bytes()[f::DSTADDR..f::PREFIXMASK], &[0; 28]);
    assert_eq!(&b.as_bytes()[f::LIFETIME..f::VLTIME], &[0; 16]);
}

#[test]
fn ifreqs_match_c() {
    let b = IfreqAddr::new(
        &name("em0"),
        Target::v4(Ipv4Addr::new(192, 0, 2, 200)).unwrap(),
    );
    assert_eq!(b.as_bytes(), &v::IFREQ_DEL);
    assert_eq!(Ifreq::new(&name("em0")).as_bytes(), &v::IFREQ_NAME);
    let b = In6Ifreq::new(
        &name("epair0a"),
        Target::v6("2001:db8::200".parse().unwrap()).unwrap(),
    );
    assert_eq!(b.as_bytes(), &v::IN6_IFREQ);
    // Each request's number carries the size of the structure it is tied to.
    fn tied<T: IoctlArg>(request: Ioctl<T>) -> bool {
        let size = (request.number() >> 16) & IOCPARM_MASK;
        size as usize == T::LEN && T::LEN == core::mem::size_of::<T>()
    }
    assert!(tied(SIOCDIFADDR) && tied(SIOCGIFFLAGS) && tied(BIOCSETIF));
    assert!(tied(SIOCAIFADDR) && tied(SIOCAIFADDR_IN6));
    assert!(tied(SIOCDIFADDR_IN6) && tied(SIOCGIFAFLAG_IN6));
    assert!(tied(SIOCAADDRCTL_POLICY) && tied(SIOCDADDRCTL_POLICY));
    assert!(tied(bpf::BIOCSHDRCMPLT) && tied(bpf::BIOCGBLEN) && tied(bpf::BIOCIMMEDIATE));
}

#[test]
fn ifreq_reply_fields() {
    let mut b = [0u8; IFREQ_LEN];
    b[16..18].copy_from_slice(&0x8843u16.to_ne_bytes());
    b[18..20].copy_from_slice(&0x0002u16.to_ne_bytes());
    assert_eq!(ifreq_flags(&b), 0x0002_8843);
    let mut b = [0u8; IN6_IFREQ_LEN];
    b[16..20].copy_from_slice(&(IN6_IFF_TENTATIVE | IN6_IFF_NODAD).to_ne_bytes());
    assert_eq!(in6_ifreq_flags(&b), IN6_IFF_TENTATIVE | IN6_IFF_NODAD);
}

#[test]
fn delete_target_cannot_be_unset() {
    assert!(Target::v4(Ipv4Addr::UNSPECIFIED).is_none());
    assert!(Target::v6(Ipv6Addr::UNSPECIFIED).is_none());
    assert_eq!(
        Target::v4(Ipv4Addr::new(192, 0, 2, 1)).unwrap().get(),
        Ipv4Addr::new(192, 0, 2, 1)
    );
}

#[test]
fn rtm_get_matches_c() {
    let v4 = RtmGet {
        dst: ip("192.0.2.200"),
        seq: 42,
    };
    assert_eq!(v4.encode().as_bytes(), &v::RTM_GET_V4[..]);
    assert_eq!(v4.buffer_len(), v::RTM_GET_V4.len());
    let v6 = RtmGet {
        dst: ip("2001:db8::200"),
        seq: 43,
    };
    let mut b = [0xaau8; RTM_GET_MAX];
    let n = v6.emit(&mut b).unwrap();
    assert_eq!(&b[..n], &v::RTM_GET_V6[..]);
    assert_eq!((n, v6.buffer_len()), (RTM_GET_MAX, RTM_GET_MAX));
    let mut small = [0xaau8; RTM_GET_MAX - 1];
    assert_eq!(v6.emit(&mut small), Err(crate::Overflow));
    assert_eq!(
        small,
        [0xaa; RTM_GET_MAX - 1],
        "a refused emit writes nothing"
    );
}

#[test]
fn route_reply_v4() {
    let r = parse_route_reply(&v::RTM_REPLY_V4).unwrap();
    assert_eq!(
        (r.ty, r.index, r.pid, r.seq, r.errno),
        (RTM_GET, 2, 1234, 42, 0)
    );
    assert_eq!(r.dst, Some(ip("192.0.2.0")));
    assert_eq!(r.prefix, Some(24));
    assert_eq!(r.ifa, Some(ip("192.0.2.10")));
    let ifp = r.ifp.unwrap();
    assert_eq!(
        (ifp.index, ifp.name, ifp.mac()),
        (2, &b"em0"[..], Some(MAC))
    );
    assert_eq!(ifp.ifname(), Some(name("em0")));
    match r.gateway {
        Some(Sockaddr::Link(l)) => assert_eq!((l.index, l.name, l.addr), (2, &[][..], &[][..])),
        other => panic!("gateway {other:?}"),
    }
    assert!(r.is_connected());
}

#[test]
fn route_reply_v6() {
    let r = parse_route_reply(&v::RTM_REPLY_V6).unwrap();
    assert_eq!((r.index, r.seq), (5, 43));
    assert_eq!(r.dst, Some(ip("2001:db8::")));
    assert_eq!(r.prefix, Some(64));
    assert_eq!(r.ifa, Some(ip("2001:db8::10")));
    assert_eq!(r.ifp.unwrap().ifname(), Some(name("vlan100")));
    assert!(r.is_connected());
}

#[test]
fn route_reply_flags_decide_connected() {
    let mut b = v::RTM_REPLY_V4;
    for (flags, connected) in [
        (RTF_UP, true),
        (RTF_UP | RTF_GATEWAY, false),
        (RTF_UP | RTF_HOST | RTF_LOCAL, false),
        (RTF_UP | RTF_REJECT, false),
        (0, false),
    ] {
        b[8..12].copy_from_slice(&flags.to_ne_bytes());
        assert_eq!(
            parse_route_reply(&b).unwrap().is_connected(),
            connected,
            "{flags:#x}"
        );
    }
}

#[test]
fn route_reply_rejects_bad_headers() {
    let r = &v::RTM_REPLY_V4;
    assert_eq!(parse_route_reply(&r[..100]), Err(ParseError::Truncated));
    assert_eq!(parse_route_reply(&[]), Err(ParseError::Truncated));
    let mut b = *r;
    b[2] = 4; // version
    assert_eq!(parse_route_reply(&b), Err(ParseError::BadValue));
    let mut b = *r;
    b[0..2].copy_from_slice(&100u16.to_ne_bytes());
    assert_eq!(parse_route_reply(&b), Err(ParseError::BadLength));
    // A length that cuts the addresses short still parses what fits.
    let mut b = *r;
    b[0..2].copy_from_slice(&170u16.to_ne_bytes());
    let p = parse_route_reply(&b).unwrap();
    assert_eq!(p.dst, Some(ip("192.0.2.0")));
    assert_eq!(p.ifp, None);
}

#[test]
fn iflist_messages() {
    let msgs: Vec<_> = Iflist::new(&v::IFLIST).collect::<Result<_, _>>().unwrap();
    assert_eq!(msgs.len(), 5);
    let IfMsg::Link(em0) = msgs[0] else {
        panic!("{:?}", msgs[0])
    };
    assert_eq!(em0.index, 2);
    assert_eq!(em0.name(), Some(name("em0")));
    assert_eq!(em0.mac(), Some(MAC));
    assert_eq!(em0.mtu, 1500);
    assert_eq!(em0.link_state, LINK_STATE_UP);
    assert!(em0.is_up() && em0.has_carrier() && !em0.is_loopback());
    assert_eq!(
        em0.stats,
        IfStats {
            ipackets: 1001,
            ierrors: 2,
            opackets: 3003,
            oerrors: 4,
            iqdrops: 5,
            oqdrops: 6
        }
    );
    assert_eq!(
        msgs[1],
        IfMsg::Addr(AddrInfo {
            index: 2,
            flags: 0,
            addr: Some(ip("192.0.2.10")),
            prefix: Some(24),
            broadcast: Some(ip("192.0.2.255")),
        })
    );
    assert_eq!(
        msgs[2],
        IfMsg::Addr(AddrInfo {
            index: 2,
            flags: 0,
            addr: Some(ip("2001:db8::10")),
            prefix: Some(64),
            broadcast: None
        })
    );
    let IfMsg::Link(lo0) = msgs[3] else {
        panic!("{:?}", msgs[3])
    };
    assert_eq!(
        (lo0.index, lo0.name(), lo0.mac()),
        (1, Some(name("lo0")), None)
    );
    assert!(lo0.is_loopback());
    // The trimmed 5-byte netmask of 127.0.0.1 is /8.
    assert_eq!(
        msgs[4],
        IfMsg::Addr(AddrInfo {
            index: 1,
            flags: 0,
            addr: Some(ip("127.0.0.1")),
            prefix: Some(8),
            broadcast: None
        })
    );
}

#[test]
fn iflist_lookups() {
    let b = &v::IFLIST[..];
    let f = find_addr(b, &ip("192.0.2.10"), None).unwrap();
    assert_eq!(
        f,
        FoundAddr {
            index: 2,
            name: Some(name("em0")),
            prefix: Some(24)
        }
    );
    assert_eq!(
        find_addr(b, &ip("2001:db8::10"), Some(2)).unwrap().prefix,
        Some(64)
    );
    assert_eq!(find_addr(b, &ip("2001:db8::10"), Some(1)), None);
    assert_eq!(find_addr(b, &ip("192.0.2.200"), None), None);
    assert_eq!(
        find_link(b, Some(1), None).unwrap().name(),
        Some(name("lo0"))
    );
    assert_eq!(find_link(b, None, Some(&name("em0"))).unwrap().index, 2);
    assert!(find_link(b, None, Some(&name("em1"))).is_none());
    assert!(find_link(b, Some(2), Some(&name("lo0"))).is_none());
    // nic detection: 192.0.2.200 is covered by em0's /24; loopback never counts.
    assert_eq!(
        connected_from_iflist(b, &ip("192.0.2.200"), None),
        Some((2, 24))
    );
    assert_eq!(
        connected_from_iflist(b, &ip("2001:db8::200"), None),
        Some((2, 64))
    );
    assert_eq!(
        connected_from_iflist(b, &ip("2001:db8::200"), Some(1)),
        None
    );
    assert_eq!(connected_from_iflist(b, &ip("127.0.0.5"), None), None);
    assert_eq!(connected_from_iflist(b, &ip("198.51.100.1"), None), None);
    // The address itself does not make a connected network.
    assert_eq!(connected_from_iflist(b, &ip("192.0.2.10"), None), None);
}

#[test]
fn masks() {
    let m = |bytes: &[u8], f| mask_prefix(bytes, f);
    assert_eq!(
        m(
            &[16, 2, 0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            Family::V4
        ),
        Some(24)
    );
    assert_eq!(m(&[0], Family::V4), Some(0));
    assert_eq!(m(&[], Family::V6), Some(0));
    assert_eq!(m(&[7, 0, 0, 0, 255, 255, 128], Family::V4), Some(17));
    assert_eq!(m(&[8, 2, 0, 0, 255, 0, 255, 0], Family::V4), None);
    assert_eq!(m(&[8, 2, 0, 0, 254, 128, 0, 0], Family::V4), None);
    assert_eq!(m(&[8, 2, 0, 0, 255, 255, 255, 255], Family::V4), Some(32));
    let mut v6 = [0u8; 24];
    v6[8..24].fill(0xff);
    assert_eq!(m(&v6, Family::V6), Some(128));
    assert_eq!(sa_size(0), 8);
    assert_eq!(sa_size(1), 8);
    assert_eq!(sa_size(16), 16);
    assert_eq!(sa_size(28), 32);
    assert_eq!(sa_size(54), 56);
    assert_eq!(sa_size(255), 256);
}

#[test]
fn iflist_stops_at_malformed_messages() {
    let mut b = v::IFLIST;
    // Second message claims to run past the end.
    let second = 224;
    b[second..second + 2].copy_from_slice(&60_000u16.to_ne_bytes());
    let r: Vec<_> = Iflist::new(&b).collect();
    assert_eq!(r.len(), 2);
    assert_eq!(r[1], Err(ParseError::Truncated));
    // A zero length cannot loop.
    b[second..second + 2].copy_from_slice(&0u16.to_ne_bytes());
    let r: Vec<_> = Iflist::new(&b).collect();
    assert_eq!(r[1], Err(ParseError::BadLength));
    // An IFINFO too short for its header.
    let mut b = v::IFLIST;
    b[0..2].copy_from_slice(&100u16.to_ne_bytes());
    let r: Vec<_> = Iflist::new(&b).collect();
    assert_eq!(r, [Err(ParseError::BadLength)]);
    // Messages of another version are skipped, not parsed.
    let mut b = v::IFLIST;
    b[2] = 9;
    assert_eq!(Iflist::new(&b).next(), Some(Ok(IfMsg::Other(RTM_IFINFO))));
}

#[test]
fn parsers_are_total_on_every_prefix_and_mutation() {
    // Every truncation and every single-byte change of the reference messages: no panic,
    // and iteration always ends.
    for src in [&v::IFLIST[..], &v::RTM_REPLY_V4[..], &v::RTM_REPLY_V6[..]] {
        for n in 0..=src.len() {
            let _ = parse_route_reply(&src[..n]);
            assert!(Iflist::new(&src[..n]).count() <= n / 4 + 1);
        }
        let mut b = src.to_vec();
        for i in 0..b.len() {
            for x in [0u8, 1, 3, 0x7f, 0xff] {
                let old = b[i];
                b[i] = x;
                let _ = parse_route_reply(&b);
                let _ = Iflist::new(&b).count();
                let _ = find_addr(&b, &ip("192.0.2.10"), None);
                let _ = connected_from_iflist(&b, &ip("192.0.2.200"), None);
                b[i] = old;
            }
        }
    }
}

#[test]
fn bpf_matches_c() {
    use super::bpf;
    assert_eq!(u64::from(bpf::BIOCGBLEN.number()), v::BIOCGBLEN);
    assert_eq!(u64::from(bpf::BIOCSETF), v::BIOCSETF);
    assert_eq!(u64::from(bpf::BIOCIMMEDIATE.number()), v::BIOCIMMEDIATE);
    assert_eq!(bpf::ARP_FILTER.concat(), v::BPF_ARP_FILTER);
    let pkts: Vec<&[u8]> = bpf::Records::new(&v::BPF_READ).collect();
    assert_eq!(pkts.len(), 2);
    for (p, last) in pkts.iter().zip([200u8, 201]) {
        let a = crate::frame::ArpPacket::parse(p).unwrap();
        assert_eq!(a.op, 2);
        assert_eq!(a.sender_ip, Ipv4Addr::new(192, 0, 2, 99));
        assert_eq!(a.target_ip, Ipv4Addr::new(192, 0, 2, last));
        assert!(a.conflicts(Ipv4Addr::new(192, 0, 2, 99), MAC));
    }
}

#[test]
fn bpf_records_with_short_headers_and_garbage() {
    use super::bpf::Records;
    // The kernel's usual bh_hdrlen for Ethernet is 26 (SIZEOF_BPF_HDR, so that the IP header
    // lands aligned): the packet starts there, the next record at the next multiple of 8.
    let mut b = vec![0u8; 26 + 5 + 1 + 26 + 3];
    b[16..20].copy_from_slice(&5u32.to_ne_bytes());
    b[24..26].copy_from_slice(&26u16.to_ne_bytes());
    b[26..31].copy_from_slice(b"hello");
    let second = 32;
    b[second + 16..second + 20].copy_from_slice(&3u32.to_ne_bytes());
    b[second + 24..second + 26].copy_from_slice(&26u16.to_ne_bytes());
    b[second + 26..second + 29].copy_from_slice(b"abc");
    let got: Vec<&[u8]> = Records::new(&b).collect();
    assert_eq!(got, [&b"hello"[..], &b"abc"[..]]);
    // Every truncation and byte change: no panic, bounded.
    let src = v::BPF_READ;
    for n in 0..=src.len() {
        assert!(Records::new(&src[..n]).count() <= 2);
    }
    let mut m = src;
    for i in 0..m.len() {
        for x in [0u8, 0xff, 7] {
            let old = m[i];
            m[i] = x;
            assert!(Records::new(&m).count() <= src.len() / 8);
            m[i] = old;
        }
    }
}

#[test]
fn addrpolicy_entry_for_one_address() {
    // _IOW('u', 108 / 109, struct in6_addrpolicy): IOC_IN | 72 << 16 | 'u' << 8 | num; the
    // layout and numbers are asserted against FreeBSD's headers in layout.c.
    assert_eq!(SIOCAADDRCTL_POLICY.number(), 0x8048_756c);
    assert_eq!(SIOCDADDRCTL_POLICY.number(), 0x8048_756d);
    let a: Ipv6Addr = "2001:db8::200".parse().unwrap();
    let buf = *In6Addrpolicy::new(a, 99).as_bytes();
    use field::in6_addrpolicy;
    let sin6 = |off: usize| &buf[off..off + SOCKADDR_IN6_LEN];
    assert_eq!(&sin6(in6_addrpolicy::ADDR)[..2], &[28, AF_INET6]);
    assert_eq!(&sin6(in6_addrpolicy::ADDR)[8..24], &a.octets());
    assert_eq!(&sin6(in6_addrpolicy::ADDRMASK)[..2], &[28, AF_INET6]);
    assert_eq!(&sin6(in6_addrpolicy::ADDRMASK)[8..24], &[0xff; 16]);
    let at = |o: usize| [buf[o], buf[o + 1], buf[o + 2], buf[o + 3]];
    assert_eq!(at(in6_addrpolicy::PRECED), 40i32.to_ne_bytes());
    assert_eq!(at(in6_addrpolicy::LABEL), 99u32.to_ne_bytes());
    assert_eq!(&buf[in6_addrpolicy::USE..], &[0u8; 8]);
}

/// Run a classic BPF program (the few opcodes our filters use) on `pkt`: the bytes accepted.
fn run_bpf(prog: &[[u8; 8]], pkt: &[u8]) -> u32 {
    let mut a: u32 = 0;
    let mut pc = 0;
    loop {
        let i = prog[pc];
        let code = u16::from_ne_bytes([i[0], i[1]]);
        let (jt, jf) = (usize::from(i[2]), usize::from(i[3]));
        let k = u32::from_ne_bytes([i[4], i[5], i[6], i[7]]);
        pc += 1;
        match code {
            0x28 | 0x30 => {
                let at = k as usize;
                let width = if code == 0x28 { 2 } else { 1 };
                let Some(b) = pkt.get(at..at + width) else {
                    return 0; // an out-of-bounds load rejects the packet
                };
                a = b.iter().fold(0, |acc, &x| (acc << 8) | u32::from(x));
            }
            0x15 => pc += if a == k { jt } else { jf },
            0x06 => return k,
            c => panic!("opcode {c:#x} not in our filters"),
        }
    }
}

#[test]
fn nd_filter_takes_neighbour_discovery_only() {
    use super::bpf;
    use crate::frame::{arp_probe, dad_ns, NS_FRAME_LEN};
    let t: core::net::Ipv6Addr = "2001:db8::200".parse().unwrap();
    let ns: [u8; NS_FRAME_LEN] = dad_ns(MAC, t);
    assert_eq!(run_bpf(&bpf::ND_FILTER, &ns), u32::MAX);
    let mut na = ns;
    na[54] = 136;
    assert_eq!(run_bpf(&bpf::ND_FILTER, &na), u32::MAX);
    for (at, v) in [(54, 128u8), (54, 134), (54, 137), (20, 17), (12, 0x08)] {
        let mut other = ns;
        other[at] = v;
        assert_eq!(run_bpf(&bpf::ND_FILTER, &other), 0, "byte {at} = {v}");
    }
    assert_eq!(run_bpf(&bpf::ND_FILTER, &ns[..54]), 0);
    let arp = arp_probe(MAC, Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(run_bpf(&bpf::ND_FILTER, &arp), 0);
    assert_eq!(run_bpf(&bpf::ARP_FILTER, &arp), u32::MAX);
    assert_eq!(run_bpf(&bpf::ARP_FILTER, &ns), 0);
}
