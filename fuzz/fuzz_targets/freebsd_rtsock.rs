//! FreeBSD routing-socket replies as arbitrary bytes: `route::Messages` framing,
//! `parse_route_reply` on each message (and on the whole input), and the socket-address
//! decoders `Sockaddrs`, `sockaddr` and `mask_prefix` under them.
#![no_main]

use ifaddr_core::addr::{v4_mask, v6_mask, Family};
use ifaddr_core::freebsd::route::*;
use ifaddr_core::ParseError;
use libfuzzer_sys::fuzz_target;

fn within(outer: &[u8], inner: &[u8]) {
    if inner.is_empty() {
        return;
    }
    let o = inner.as_ptr() as usize - outer.as_ptr() as usize;
    assert!(o + inner.len() <= outer.len(), "slice escapes its input");
}

fn reply(msg: &[u8]) {
    let r = match parse_route_reply(msg) {
        Ok(r) => r,
        Err(ParseError::BadValue) => {
            assert!(msg.len() >= RT_MSGHDR_LEN && msg[2] != RTM_VERSION);
            return;
        }
        Err(_) => return,
    };
    let len = usize::from(u16::from_ne_bytes([msg[0], msg[1]]));
    assert!((RT_MSGHDR_LEN..=msg.len()).contains(&len));
    assert_eq!(msg[2], RTM_VERSION);
    assert_eq!(r.ty, msg[3]);
    match (r.dst, r.prefix) {
        (Some(d), Some(p)) => assert!(p <= Family::of(&d).max_prefix()),
        (None, p) => assert_eq!(p, None),
        _ => {}
    }
    if r.is_connected() {
        assert!(r.flags & RTF_UP != 0 && r.flags & RTF_GATEWAY == 0);
    }
    if let Some(l) = r.ifp {
        within(msg, l.name);
        within(msg, l.addr);
        if let Some(n) = l.ifname() {
            assert_eq!(Some(n.as_bytes()), l.name.split(|&c| c == 0).next());
        }
    }
}

fn sockaddrs(data: &[u8]) {
    let Some((&mask, rest)) = data.split_first() else {
        return;
    };
    let mut last = None;
    for (i, sa) in Sockaddrs::new(rest, i32::from(mask)) {
        assert!(i < RTAX_MAX && mask & (1 << i) != 0);
        assert!(last.is_none_or(|l| i > l), "slots out of order");
        last = Some(i);
        within(rest, sa);
        assert!(sa.len() <= usize::from(sa.first().copied().unwrap_or(0)));
    }
}

fn one_sockaddr(sa: &[u8]) {
    match sockaddr(sa) {
        Sockaddr::Inet(a) => assert!(sa[1] == 2 && sa[4..8] == a.octets()),
        Sockaddr::Inet6(a) => assert!(sa[1] == 28 && sa[8..24] == a.octets()),
        Sockaddr::Link(l) => {
            assert_eq!(sa[1], AF_LINK);
            within(sa, l.name);
            within(sa, l.addr);
            assert_eq!(l.name.len(), usize::from(sa[5]));
            assert_eq!(l.addr.len(), usize::from(sa[6]));
        }
        Sockaddr::Other(f) => assert_eq!(f, sa.get(1).copied().unwrap_or(0)),
    }
    for family in [Family::V4, Family::V6] {
        if let Some(p) = mask_prefix(sa, family) {
            assert!(p <= family.max_prefix());
            // The mask bytes present are those of a /p mask (missing ones are zero).
            let (off, mask) = match family {
                Family::V4 => (4, v4_mask(p).octets().to_vec()),
                Family::V6 => (8, v6_mask(p).octets().to_vec()),
            };
            for (k, m) in mask.iter().enumerate() {
                assert_eq!(sa.get(off + k).copied().unwrap_or(0), *m);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut failed = false;
    let mut n = 0;
    for m in Messages::new(data) {
        assert!(!failed, "a message after an error");
        n += 1;
        assert!(n <= data.len() / 4 + 1, "runaway iterator");
        match m {
            Ok(m) => {
                within(data, m.bytes);
                assert!(m.bytes.len() >= 4);
                assert_eq!((m.version, m.ty), (m.bytes[2], m.bytes[3]));
                reply(m.bytes);
            }
            Err(_) => failed = true,
        }
    }
    reply(data);
    sockaddrs(data);
    one_sockaddr(data);
});
