//! rtnetlink vectors: requests compared with what iproute2 sends, replies captured from a real
//! kernel (see `vectors/README.md`).

use super::*;
use std::vec::Vec;

const SEQ: u32 = 0x6b06_fcc9;

const ADDR_DUMP_V4: &[u8] = include_bytes!("vectors/addr_dump_v4.bin");
const ADDR_DUMP_V6: &[u8] = include_bytes!("vectors/addr_dump_v6.bin");
const ROUTE_DUMP_V4: &[u8] = include_bytes!("vectors/route_dump_v4.bin");
const LINK_V1: &[u8] = include_bytes!("vectors/link_v1.bin");
const ERR_EEXIST: &[u8] = include_bytes!("vectors/err_eexist.bin");

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The longest request: every attribute of `RTM_NEWADDR`.
fn longest() -> AddrRequest {
    AddrRequest {
        index: u32::MAX,
        ip: "2001:db8::200".parse().unwrap(),
        prefix: 128,
        broadcast: Some(Ipv4Addr::BROADCAST),
        flags: u32::MAX,
        label: Some(Label::new("abcdefghijklmno").unwrap()),
        lifetimes: Some((1, 2)),
        metric: Some(3),
    }
}

#[test]
fn buffer_len_is_what_emit_and_encode_write() {
    let big = longest();
    let name = crate::ifname::IfName::parse("abcdefghijklmno").unwrap();
    let a: Ipv6Addr = "2001:db8::1".parse().unwrap();
    let requests = [
        Request::NewAddr(&big),
        Request::DelAddr {
            index: 1,
            ip: v4("192.0.2.1"),
            prefix: 24,
        },
        Request::AddrLabel {
            add: true,
            ip: a,
            label: 7,
        },
        Request::GetAddrs {
            family: Family::V4,
            index: 0,
        },
        Request::GetAddrV6 { index: 2, ip: a },
        Request::GetLink(LinkRef::Index(3)),
        Request::GetLink(LinkRef::Name(&name)),
        Request::GetRoutes { family: Family::V6 },
    ];
    for r in requests {
        let n = r.buffer_len();
        assert!(n <= REQUEST_MAX, "{r:?}");
        let mut buf = std::vec![0xaau8; n];
        assert_eq!(r.emit(SEQ, &mut buf), Ok(n));
        assert_eq!(r.encode(SEQ).as_bytes(), &buf[..], "{r:?}");
        let mut short = std::vec![0xaau8; n - 1];
        assert_eq!(r.emit(SEQ, &mut short), Err(Overflow));
        assert!(
            short.iter().all(|&b| b == 0xaa),
            "a refused emit writes nothing"
        );
    }
    assert_eq!(Request::NewAddr(&big).buffer_len(), REQUEST_MAX);
}

#[test]
fn get_link_sends_the_whole_name() {
    let name = crate::ifname::IfName::parse("abcdefghijklmno").unwrap();
    let req = Request::GetLink(LinkRef::Name(&name)).encode(SEQ);
    let m = Messages::new(&req).next().unwrap().unwrap();
    let l = LinkInfo::parse(m.payload).unwrap();
    assert_eq!((l.index, l.name), (0, Some(name)));
}

#[test]
fn labels_that_do_not_fit_are_refused() {
    let nic = crate::ifname::IfName::parse("eth0").unwrap();
    assert_eq!(Label::alias(&nic, "vip").unwrap().as_bytes(), b"eth0:vip");
    assert_eq!(
        Label::alias(&nic, "0123456789").unwrap().as_bytes(),
        b"eth0:0123456789"
    );
    assert_eq!(Label::alias(&nic, "01234567890"), Err(Overflow));
    assert_eq!(Label::new("a\0b"), Err(Overflow));
    assert_eq!(Label::new("0123456789abcdef"), Err(Overflow));
}

#[test]
fn new_addr_v4_matches_iproute2() {
    let want: [u8; 48] = [
        0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x06, 0xc9, 0xfc, 0x06, 0x6b, 0x00, 0x00, 0x00,
        0x00, //
        0x02, 0x18, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0xc0, 0x00, 0x02,
        0xc8, //
        0x08, 0x00, 0x04, 0x00, 0xc0, 0x00, 0x02, 0xff, 0x08, 0x00, 0x01, 0x00, 0xc0, 0x00, 0x02,
        0xc8,
    ];
    let req = AddrRequest {
        index: 6,
        ip: v4("192.0.2.200"),
        prefix: 24,
        broadcast: Some(Ipv4Addr::new(192, 0, 2, 255)),
        flags: 0,
        label: None,
        lifetimes: None,
        metric: None,
    };
    let mut buf = [0u8; 128];
    let n = Request::NewAddr(&req).emit(SEQ, &mut buf).unwrap();
    assert_eq!(&buf[..n], &want);
}

#[test]
fn del_addr_v4_matches_iproute2() {
    let want: [u8; 40] = [
        0x28, 0x00, 0x00, 0x00, 0x15, 0x00, 0x05, 0x00, 0xc9, 0xfc, 0x06, 0x6b, 0x00, 0x00, 0x00,
        0x00, //
        0x02, 0x18, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0xc0, 0x00, 0x02,
        0xc8, //
        0x08, 0x00, 0x01, 0x00, 0xc0, 0x00, 0x02, 0xc8,
    ];
    let mut buf = [0u8; 64];
    let n = Request::DelAddr {
        index: 6,
        ip: v4("192.0.2.200"),
        prefix: 24,
    }
    .emit(SEQ, &mut buf)
    .unwrap();
    assert_eq!(&buf[..n], &want);
}

#[test]
fn new_addr_v6_nodad_matches_iproute2() {
    let mut want = Vec::new();
    want.extend_from_slice(&[
        0x40, 0, 0, 0, 0x14, 0, 0x05, 0x06, 0xc9, 0xfc, 0x06, 0x6b, 0, 0, 0, 0,
    ]);
    want.extend_from_slice(&[0x0a, 0x40, 0x02, 0x00, 0x06, 0, 0, 0]);
    let a: Ipv6Addr = "2001:db8::200".parse().unwrap();
    want.extend_from_slice(&[0x14, 0, 0x02, 0]);
    want.extend_from_slice(&a.octets());
    want.extend_from_slice(&[0x14, 0, 0x01, 0]);
    want.extend_from_slice(&a.octets());
    let req = AddrRequest {
        index: 6,
        ip: IpAddr::V6(a),
        prefix: 64,
        broadcast: None,
        flags: IFA_F_NODAD,
        label: None,
        lifetimes: None,
        metric: None,
    };
    let mut buf = [0u8; 128];
    let n = Request::NewAddr(&req).emit(SEQ, &mut buf).unwrap();
    assert_eq!(&buf[..n], &want[..]);
}

#[test]
fn requests_refuse_short_buffers() {
    let req = AddrRequest {
        index: 6,
        ip: v4("192.0.2.200"),
        prefix: 24,
        broadcast: None,
        flags: 0x100,
        label: Some(Label::new("v1:vip").unwrap()),
        lifetimes: Some((0, u32::MAX)),
        metric: None,
    };
    let mut big = [0u8; 256];
    let full = Request::NewAddr(&req).emit(1, &mut big).unwrap();
    for len in 0..full {
        let mut buf = [0u8; 256];
        assert_eq!(
            Request::NewAddr(&req).emit(1, &mut buf[..len]),
            Err(Overflow),
            "len {len}"
        );
    }
    // The label is NUL-terminated inside its attribute.
    let m = Messages::new(&big[..full]).next().unwrap().unwrap();
    let label = Attrs::new(&m.payload[IFADDRMSG_LEN..])
        .find(|(t, _)| *t == IFA_LABEL)
        .unwrap()
        .1;
    assert_eq!(label, b"v1:vip\0");
}

fn addrs(buf: &[u8]) -> Vec<AddrInfo> {
    Messages::new(buf)
        .map(Result::unwrap)
        .filter(|m| m.ty == RTM_NEWADDR)
        .map(|m| AddrInfo::parse(m.payload).unwrap())
        .collect()
}

#[test]
fn addr_dump_v4() {
    let a = addrs(ADDR_DUMP_V4);
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].ip, Some(v4("192.0.2.1")));
    assert_eq!((a[0].prefix, a[0].index, a[0].family), (24, 6, AF_INET));
    assert_eq!(a[0].flags & IFA_F_SECONDARY, 0);
    assert_eq!(a[1].ip, Some(v4("192.0.2.200")));
    assert_eq!(a[1].flags, IFA_F_SECONDARY | IFA_F_PERMANENT);
    assert_eq!(a[1].broadcast, Some(Ipv4Addr::new(192, 0, 2, 255)));
    assert_eq!(a[1].lifetimes, Some((u32::MAX, u32::MAX)));
}

#[test]
fn addr_dump_v6() {
    let msgs: Vec<_> = Messages::new(ADDR_DUMP_V6).map(Result::unwrap).collect();
    assert_eq!(msgs.last().unwrap().ty, NLMSG_DONE);
    let a = addrs(ADDR_DUMP_V6);
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].ip, Some("2001:db8::200".parse().unwrap()));
    assert_eq!(a[0].flags, IFA_F_NODAD | IFA_F_PERMANENT);
    assert_eq!(a[1].ip, Some("2001:db8::1".parse().unwrap()));
    assert_eq!(a[2].scope, RT_SCOPE_LINK);
    assert!(a.iter().all(|x| x.prefix == 64 && x.index == 6));
}

#[test]
fn route_dump_v4() {
    let r: Vec<RouteInfo> = Messages::new(ROUTE_DUMP_V4)
        .map(Result::unwrap)
        .map(|m| RouteInfo::parse(m.payload).unwrap())
        .collect();
    assert_eq!(r.len(), 2);
    assert_eq!(
        (r[0].dst, r[0].dst_len, r[0].oif),
        (Some(v4("192.0.2.0")), 24, Some(6))
    );
    assert!(!r[0].via_gateway);
    assert!(r[0].is_connected_cover(&v4("192.0.2.200")));
    assert!(!r[0].is_connected_cover(&v4("198.51.100.7")));
    assert_eq!((r[1].dst_len, r[1].priority), (24, 5));
    assert!(r[1].via_gateway);
    assert!(!r[1].is_connected_cover(&v4("198.51.100.7")));
}

#[test]
fn link_reply() {
    let m = Messages::new(LINK_V1).next().unwrap().unwrap();
    assert_eq!(m.ty, RTM_NEWLINK);
    let l = LinkInfo::parse(m.payload).unwrap();
    assert_eq!(l.index, 6);
    assert_eq!(l.name.as_ref().unwrap().as_str(), "v1");
    assert_eq!(l.flags, IFF_UP | 0x2 | IFF_RUNNING | 0x1000 | IFF_LOWER_UP);
    assert_eq!(l.mtu, Some(1500));
    assert_eq!(&l.hwaddr[..], &[0x96, 0xfb, 0x9e, 0xbb, 0x42, 0x4d]);
    assert_eq!(l.carrier, Some(true));
    let s = l.stats.unwrap();
    assert_eq!(
        (s.rx_packets, s.tx_packets, s.rx_bytes, s.tx_bytes),
        (9, 50, 726, 4016)
    );
}

#[test]
fn error_reply() {
    let m = Messages::new(ERR_EEXIST).next().unwrap().unwrap();
    assert_eq!(m.ty, NLMSG_ERROR);
    assert_eq!(error_code(m.payload), Ok(-17));
}

#[test]
fn every_truncation_is_handled() {
    for v in [
        ADDR_DUMP_V4,
        ADDR_DUMP_V6,
        ROUTE_DUMP_V4,
        LINK_V1,
        ERR_EEXIST,
    ] {
        for len in 0..v.len() {
            for m in Messages::new(&v[..len]).flatten() {
                let _ = AddrInfo::parse(m.payload);
                let _ = RouteInfo::parse(m.payload);
                let _ = LinkInfo::parse(m.payload);
                let _ = error_code(m.payload);
            }
        }
    }
    // A header claiming less than itself, or more than the buffer, is an error, not a loop.
    let mut bad = [0u8; 16];
    bad[0] = 8;
    assert_eq!(
        Messages::new(&bad).collect::<Vec<_>>(),
        [Err(ParseError::BadLength)]
    );
    bad[0] = 200;
    assert_eq!(
        Messages::new(&bad).collect::<Vec<_>>(),
        [Err(ParseError::Truncated)]
    );
}

#[test]
fn addr_info_round_trip() {
    for a in addrs(ADDR_DUMP_V4).into_iter().chain(addrs(ADDR_DUMP_V6)) {
        let mut buf = [0u8; 128];
        let n = a.emit(&mut buf).unwrap();
        assert_eq!(AddrInfo::parse(&buf[..n]).unwrap(), a);
    }
}

#[test]
fn route_choice_is_deterministic() {
    let mk = |len, prio, oif| RouteInfo {
        family: AF_INET,
        dst_len: len,
        table: RT_TABLE_MAIN,
        kind: RTN_UNICAST,
        scope: RT_SCOPE_LINK,
        dst: Some(v4("192.0.2.0")),
        oif: Some(oif),
        via_gateway: false,
        priority: prio,
        protocol: 2,
    };
    assert!(better_route(&mk(25, 100, 9), &mk(24, 0, 1)));
    assert!(better_route(&mk(24, 0, 9), &mk(24, 100, 1)));
    assert!(better_route(&mk(24, 0, 1), &mk(24, 0, 9)));
    assert!(!better_route(&mk(24, 0, 9), &mk(24, 0, 1)));
}

#[test]
fn get_addr_v6_layout() {
    // Written out from linux/rtnetlink.h and linux/if_addr.h: header, ifaddrmsg with only
    // family and index set (strict checking refuses anything else), one IFA_ADDRESS.
    let a: Ipv6Addr = "2001:db8::200".parse().unwrap();
    let req = Request::GetAddrV6 { index: 6, ip: a };
    let mut buf = [0u8; 64];
    let n = req.emit(SEQ, &mut buf).unwrap();
    assert_eq!(n, 16 + 8 + 20);
    assert_eq!(
        &buf[..16],
        &[44, 0, 0, 0, 22, 0, 0x05, 0, 0xc9, 0xfc, 0x06, 0x6b, 0, 0, 0, 0]
    );
    assert_eq!(&buf[16..24], &[10, 0, 0, 0, 6, 0, 0, 0]);
    assert_eq!(&buf[24..28], &[20, 0, 1, 0]);
    assert_eq!(&buf[28..44], &a.octets());
    for len in 0..n {
        assert_eq!(req.emit(SEQ, &mut buf[..len]), Err(Overflow));
    }
}

#[test]
fn new_addr_carries_noprefixroute_and_the_prefix_route_metric() {
    let req = AddrRequest {
        index: 6,
        ip: "2001:db8::200".parse().unwrap(),
        prefix: 64,
        broadcast: None,
        flags: IFA_F_NODAD | IFA_F_NOPREFIXROUTE,
        label: None,
        lifetimes: None,
        metric: Some(0x0102_0304),
    };
    let mut buf = [0u8; 128];
    let n = Request::NewAddr(&req).emit(SEQ, &mut buf).unwrap();
    let attrs: Vec<(u16, Vec<u8>)> = Attrs::new(&buf[16 + IFADDRMSG_LEN..n])
        .map(|(t, v)| (t, v.to_vec()))
        .collect();
    let get = |t: u16| attrs.iter().find(|(k, _)| *k == t).map(|(_, v)| v.clone());
    assert_eq!(
        get(IFA_RT_PRIORITY),
        Some(0x0102_0304u32.to_ne_bytes().to_vec())
    );
    // 0x202 does not fit the header byte: IFA_FLAGS carries it (the byte keeps the low bits).
    assert_eq!(get(IFA_FLAGS), Some(0x202u32.to_ne_bytes().to_vec()));
    assert_eq!(buf[16 + 2], 0x02);
    // Too small a buffer is an overflow, never a write past it.
    for len in 0..n {
        let mut small = std::vec![0u8; len];
        assert!(Request::NewAddr(&req).emit(SEQ, &mut small).is_err());
    }
}

#[test]
fn addr_label_matches_iproute2() {
    // `ip addrlabel add prefix 2001:db8::200 label 99` as strace decodes what iproute2 6.1
    // sends: nlmsg_len 56, NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE; ifaddrlblmsg
    // {AF_INET6, 0, 128, 0, index 0, seq 0}; IFAL_LABEL 99, then IFAL_ADDRESS.
    let ip: core::net::Ipv6Addr = "2001:db8::200".parse().unwrap();
    let mut want = Vec::new();
    want.extend_from_slice(&56u32.to_ne_bytes());
    want.extend_from_slice(&RTM_NEWADDRLABEL.to_ne_bytes());
    want.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE).to_ne_bytes());
    want.extend_from_slice(&SEQ.to_ne_bytes());
    want.extend_from_slice(&0u32.to_ne_bytes());
    want.extend_from_slice(&[10, 0, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    want.extend_from_slice(&[8, 0, 2, 0, 99, 0, 0, 0]);
    want.extend_from_slice(&[20, 0, 1, 0]);
    want.extend_from_slice(&ip.octets());
    let (add, del) = (true, false);
    let label = |add| Request::AddrLabel { add, ip, label: 99 };
    let mut buf = [0u8; 64];
    let n = label(add).emit(SEQ, &mut buf).unwrap();
    assert_eq!(&buf[..n], &want[..]);
    // The delete: same body, RTM_DELADDRLABEL, NLM_F_REQUEST|NLM_F_ACK.
    let n = label(del).emit(SEQ, &mut buf).unwrap();
    assert_eq!(&buf[4..6], &RTM_DELADDRLABEL.to_ne_bytes());
    assert_eq!(&buf[6..8], &(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    assert_eq!(&buf[8..n], &want[8..]);
    for len in 0..n {
        let mut small = std::vec![0u8; len];
        assert!(label(add).emit(SEQ, &mut small).is_err());
    }
}
