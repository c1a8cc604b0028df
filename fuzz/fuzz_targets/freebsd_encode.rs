//! FreeBSD encoders: every ioctl structure's fields decode back to the request (offsets
//! written out here, independently of core's); the readers of ioctl replies (`ifreq_flags`,
//! `in6_ifreq_flags`) take arbitrary arrays; the routing-socket `RTM_GET` request fails only
//! when its buffer is shorter than its `buffer_len`, stays within it, agrees with `encode`,
//! and parses back (with core's own reply parser) to the route query that was asked for.
#![no_main]

use arbitrary::Arbitrary;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use ifaddr_core::addr::{v4_mask, v6_mask};
use ifaddr_core::freebsd::route::{self, LinkAddr, RtmGet, RTM_GET_MAX};
use ifaddr_core::freebsd::*;
use ifaddr_core::ifname::IfName;
use ifaddr_fuzz::guarded;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    #[arbitrary(with = ifaddr_fuzz::arb::if_name)]
    name: IfName,
    v4: Ipv4Addr,
    v6: Ipv6Addr,
    prefix: u8,
    broadcast: Option<Ipv4Addr>,
    flags: u32,
    preferred: Option<u32>,
    vhid: u8,
    reply: [u8; IN6_IFREQ_LEN],
    dst: IpAddr,
    seq: i32,
    len: u8,
}

fn route_get(i: &Input) {
    let req = RtmGet {
        dst: i.dst,
        seq: i.seq,
    };
    let full = req.buffer_len();
    assert!(full <= RTM_GET_MAX);
    let len = usize::from(i.len);
    let (r, b) = guarded(len, |b| req.emit(b));
    let n = match r {
        Err(_) => {
            assert!(len < full);
            return;
        }
        Ok(n) => n,
    };
    assert_eq!(n, full);
    assert_eq!(req.encode().as_bytes(), &b[..n], "encode and emit differ");
    assert_eq!(n % 8, 0, "routing message not long-aligned");
    let msgs: Vec<_> = route::Messages::new(&b[..n]).collect();
    assert_eq!(msgs.len(), 1);
    let m = msgs[0].unwrap();
    assert_eq!(
        (m.version, m.ty, m.bytes.len()),
        (route::RTM_VERSION, route::RTM_GET, n)
    );
    let r = route::parse_route_reply(m.bytes).expect("own RTM_GET does not parse");
    assert_eq!(
        (r.ty, r.seq, r.pid, r.errno, r.index),
        (route::RTM_GET, i.seq, 0, 0, 0)
    );
    assert_eq!(r.flags, route::RTF_UP | route::RTF_HOST);
    assert_eq!(r.dst, Some(i.dst));
    // A host query: no netmask, so the full length.
    let max = ifaddr_core::addr::Family::of(&i.dst).max_prefix();
    assert_eq!(r.prefix, Some(max));
    assert_eq!((r.gateway, r.ifa), (None, None));
    // RTA_IFP: an empty sockaddr_dl asking for the interface.
    assert_eq!(
        r.ifp,
        Some(LinkAddr {
            index: 0,
            ty: 0,
            name: &[],
            addr: &[],
        })
    );
}

fn sin(b: &[u8], a: Ipv4Addr) {
    assert_eq!(&b[..4], &[16, AF_INET, 0, 0]);
    assert_eq!(&b[4..8], &a.octets());
    assert_eq!(&b[8..16], &[0; 8]);
}

fn sin6(b: &[u8], a: Ipv6Addr) {
    assert_eq!(&b[..4], &[28, AF_INET6, 0, 0]);
    assert_eq!(&b[4..8], &[0; 4]);
    assert_eq!(&b[8..24], &a.octets());
    assert_eq!(&b[24..28], &[0; 4]);
}

fn ne32(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes(b[off..off + 4].try_into().unwrap())
}

fuzz_target!(|i: Input| {
    route_get(&i);
    let c = i.name.to_c();

    let b = InAliasreq::new(&i.name, i.v4, i.prefix, i.broadcast, i.vhid);
    let b = b.as_bytes();
    assert_eq!(&b[..16], &c);
    sin(&b[16..32], i.v4);
    match i.broadcast {
        Some(bc) => sin(&b[32..48], bc),
        None => assert_eq!(&b[32..48], &[0; 16]),
    }
    sin(&b[48..64], v4_mask(i.prefix));
    assert_eq!(ne32(b, 64), u32::from(i.vhid));

    let b = In6Aliasreq::new(&i.name, i.v6, i.prefix, i.flags, i.preferred, i.vhid);
    let b = b.as_bytes();
    assert_eq!(&b[..16], &c);
    sin6(&b[16..44], i.v6);
    assert_eq!(&b[44..72], &[0; 28]);
    sin6(&b[72..100], v6_mask(i.prefix));
    assert_eq!(ne32(b, 100), i.flags);
    assert_eq!(&b[104..120], &[0; 16]);
    // The valid lifetime is never zero (a zero one makes the kernel drop the address).
    assert_eq!(ne32(b, 120), INFINITE_LIFETIME);
    assert_eq!(ne32(b, 124), i.preferred.unwrap_or(INFINITE_LIFETIME));
    assert_eq!(ne32(b, 128), u32::from(i.vhid));
    assert_eq!(&b[132..136], &[0; 4]);

    // The address-selection policy entry: ip/128, precedence 40, the label, no use count.
    let b = In6Addrpolicy::new(i.v6, i.flags);
    let b = b.as_bytes();
    sin6(&b[0..28], i.v6);
    sin6(&b[28..56], v6_mask(128));
    assert_eq!(ne32(b, 56), ADDRPOLICY_PRECEDENCE as u32);
    assert_eq!(ne32(b, 60), i.flags);
    assert_eq!(&b[64..], &[0; 8]);

    match Target::v4(i.v4) {
        None => assert!(i.v4.is_unspecified()),
        Some(t) => {
            let r = IfreqAddr::new(&i.name, t);
            assert_eq!(&r.as_bytes()[..16], &c);
            sin(&r.as_bytes()[16..32], i.v4);
        }
    }
    match Target::v6(i.v6) {
        None => assert!(i.v6.is_unspecified()),
        Some(t) => {
            let r = In6Ifreq::new(&i.name, t);
            let r = r.as_bytes();
            assert_eq!(&r[..16], &c);
            sin6(&r[16..44], i.v6);
            assert!(r[44..].iter().all(|&x| x == 0));
        }
    }
    let r = Ifreq::new(&i.name);
    assert_eq!(&r.as_bytes()[..16], &c);
    assert_eq!(&r.as_bytes()[16..], &[0; 16]);

    // Replies.
    let reply = &i.reply;
    let mut ifr = [0u8; IFREQ_LEN];
    ifr.copy_from_slice(&reply[..IFREQ_LEN]);
    let lo = u16::from_ne_bytes([ifr[16], ifr[17]]);
    let hi = u16::from_ne_bytes([ifr[18], ifr[19]]);
    assert_eq!(ifreq_flags(&ifr), u32::from(lo) | u32::from(hi) << 16);
    assert_eq!(in6_ifreq_flags(reply), ne32(reply, 16));
});
