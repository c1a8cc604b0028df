//! rtnetlink request encoders round-trip: an arbitrary request is built into a buffer of
//! arbitrary size; it must fail with `Overflow` exactly when the buffer is shorter than its
//! `buffer_len`, never write outside the buffer or past that length, agree with `encode`, and
//! the bytes must parse back (with `Messages` and the payload parsers) to what was asked for.
#![no_main]

use arbitrary::Arbitrary;
use core::net::IpAddr;
use ifaddr_core::addr::Family;
use ifaddr_core::ifname::IfName;
use ifaddr_core::linux::*;
use ifaddr_core::Overflow;
use ifaddr_fuzz::guarded;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Req {
    NewAddr(#[arbitrary(with = ifaddr_fuzz::arb::addr_request)] AddrRequest),
    DelAddr {
        index: u32,
        ip: IpAddr,
        prefix: u8,
    },
    GetAddrs {
        #[arbitrary(with = ifaddr_fuzz::arb::family)]
        family: Family,
        index: u32,
    },
    GetLink {
        index: u32,
        #[arbitrary(with = ifaddr_fuzz::arb::opt_if_name)]
        name: Option<IfName>,
    },
    GetRoutes {
        #[arbitrary(with = ifaddr_fuzz::arb::family)]
        family: Family,
    },
    GetAddrV6 {
        index: u32,
        ip: core::net::Ipv6Addr,
    },
    AddrLabel {
        add: bool,
        ip: core::net::Ipv6Addr,
        label: u32,
    },
}

#[derive(Debug, Arbitrary)]
struct Input {
    seq: u32,
    len: u8,
    req: Req,
}

fn request(req: &Req) -> Request<'_> {
    match req {
        Req::NewAddr(r) => Request::NewAddr(r),
        Req::DelAddr { index, ip, prefix } => Request::DelAddr {
            index: *index,
            ip: *ip,
            prefix: *prefix,
        },
        Req::GetAddrs { family, index } => Request::GetAddrs {
            family: *family,
            index: *index,
        },
        Req::GetLink { index, name } => Request::GetLink(match name {
            Some(n) => LinkRef::Name(n),
            None => LinkRef::Index(*index),
        }),
        Req::GetRoutes { family } => Request::GetRoutes { family: *family },
        Req::GetAddrV6 { index, ip } => Request::GetAddrV6 {
            index: *index,
            ip: *ip,
        },
        Req::AddrLabel { add, ip, label } => Request::AddrLabel {
            add: *add,
            ip: *ip,
            label: *label,
        },
    }
}

fn family_byte(ip: &IpAddr) -> u8 {
    match ip {
        IpAddr::V4(_) => AF_INET,
        IpAddr::V6(_) => AF_INET6,
    }
}

fn fam(f: Family) -> u8 {
    match f {
        Family::V4 => AF_INET,
        Family::V6 => AF_INET6,
    }
}

fuzz_target!(|input: Input| {
    let Input { seq, len, req } = input;
    let r = request(&req);
    let full = r.buffer_len();
    assert!(full <= REQUEST_MAX, "{full} bytes, more than REQUEST_MAX");
    let (whole, _) = guarded(REQUEST_MAX, |b| r.emit(seq, b));
    assert_eq!(whole, Ok(full));
    let encoded = r.encode(seq);
    let len = usize::from(len);
    let (r, buf) = guarded(len, |b| r.emit(seq, b));
    match r {
        Err(Overflow) => {
            assert!(
                len < full,
                "Overflow with {len} bytes for a {full}-byte request"
            );
            return;
        }
        Ok(n) => assert_eq!(n, full),
    }
    let bytes = &buf[..full];
    assert_eq!(encoded.as_bytes(), bytes, "encode and emit differ");
    assert_eq!(full % 4, 0, "message length not 4-aligned");
    let msgs: Vec<_> = Messages::new(bytes).collect();
    assert_eq!(msgs.len(), 1);
    let m = msgs[0].expect("own request does not parse");
    assert_eq!(m.seq, seq);
    assert_eq!(m.pid, 0);
    assert_eq!(m.payload.len() + NLMSG_HDRLEN, full);
    assert!(m.flags & NLM_F_REQUEST != 0);
    match &req {
        Req::NewAddr(r) => {
            assert_eq!(m.ty, RTM_NEWADDR);
            assert_eq!(
                m.flags,
                NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
            );
            let a = AddrInfo::parse(m.payload).unwrap();
            assert_eq!(a.family, family_byte(&r.ip));
            assert_eq!((a.ip, a.prefix, a.index), (Some(r.ip), r.prefix, r.index));
            assert_eq!(a.flags, r.flags);
            assert_eq!(a.broadcast, r.broadcast);
            assert_eq!(a.lifetimes, r.lifetimes);
            assert_eq!(a.scope, RT_SCOPE_UNIVERSE);
            let metric = Attrs::new(&m.payload[IFADDRMSG_LEN..])
                .find(|(t, _)| *t == IFA_RT_PRIORITY)
                .map(|(_, v)| v.to_vec());
            assert_eq!(metric, r.metric.map(|x| x.to_ne_bytes().to_vec()));
            let label = Attrs::new(&m.payload[IFADDRMSG_LEN..])
                .find(|(t, _)| *t == IFA_LABEL)
                .map(|(_, v)| v);
            match (&r.label, label) {
                (None, None) => {}
                (Some(l), Some(v)) => {
                    assert_eq!(&v[..v.len() - 1], l.as_bytes());
                    assert_eq!(v[v.len() - 1], 0, "label not NUL-terminated");
                }
                (want, got) => panic!("label {want:?} encoded as {got:?}"),
            }
        }
        Req::DelAddr { index, ip, prefix } => {
            assert_eq!(m.ty, RTM_DELADDR);
            let a = AddrInfo::parse(m.payload).unwrap();
            assert_eq!(
                (a.family, a.ip, a.prefix, a.index),
                (family_byte(ip), Some(*ip), *prefix, *index)
            );
            assert_eq!(a.flags, 0);
        }
        Req::GetAddrs { family, index } => {
            assert_eq!(m.ty, RTM_GETADDR);
            assert_eq!(m.flags, NLM_F_REQUEST | NLM_F_DUMP);
            let a = AddrInfo::parse(m.payload).unwrap();
            assert_eq!((a.family, a.index, a.ip), (fam(*family), *index, None));
        }
        Req::GetLink { index, name } => {
            assert_eq!(m.ty, RTM_GETLINK);
            let l = LinkInfo::parse(m.payload).unwrap();
            assert_eq!(l.index, if name.is_some() { 0 } else { *index });
            assert_eq!(&l.name, name);
        }
        Req::GetAddrV6 { index, ip } => {
            assert_eq!(m.ty, RTM_GETADDR);
            assert_eq!(m.flags, NLM_F_REQUEST | NLM_F_ACK);
            let a = AddrInfo::parse(m.payload).unwrap();
            assert_eq!((a.family, a.index), (AF_INET6, *index));
            assert_eq!(a.ip, Some(IpAddr::V6(*ip)));
        }
        Req::AddrLabel { add, ip, label } => {
            let (ty, flags) = if *add {
                (
                    RTM_NEWADDRLABEL,
                    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
                )
            } else {
                (RTM_DELADDRLABEL, NLM_F_REQUEST | NLM_F_ACK)
            };
            assert_eq!((m.ty, m.flags), (ty, flags));
            assert_eq!(&m.payload[..4], &[AF_INET6, 0, 128, 0]);
            let attrs: Vec<(u16, Vec<u8>)> = Attrs::new(&m.payload[IFADDRLBLMSG_LEN..])
                .map(|(t, v)| (t, v.to_vec()))
                .collect();
            assert_eq!(
                attrs,
                vec![
                    (IFAL_LABEL, label.to_ne_bytes().to_vec()),
                    (IFAL_ADDRESS, ip.octets().to_vec())
                ]
            );
        }
        Req::GetRoutes { family } => {
            assert_eq!(m.ty, RTM_GETROUTE);
            assert_eq!(m.flags, NLM_F_REQUEST | NLM_F_DUMP);
            let r = RouteInfo::parse(m.payload).unwrap();
            assert_eq!(
                (r.family, r.table, r.dst),
                (fam(*family), RT_TABLE_MAIN, None)
            );
        }
    }
});
