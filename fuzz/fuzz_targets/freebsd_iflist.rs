//! FreeBSD `NET_RT_IFLIST` replies as arbitrary bytes: `Iflist` (and the `Messages` and
//! `Sockaddrs` under it) stays within its input and stops at the first malformed message, and
//! `find_addr`, `find_link` and `connected_from_iflist` agree with the messages it decodes.
#![no_main]

use core::net::{IpAddr, Ipv4Addr};
use ifaddr_core::freebsd::route::{IfMsg, Iflist};
use ifaddr_fuzz::iflist::{check_queries, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut n = 0;
    let mut failed = false;
    for m in Iflist::new(data) {
        assert!(!failed, "a message after an error");
        n += 1;
        assert!(n <= data.len() / 4 + 1, "runaway iterator");
        match m {
            Err(_) => failed = true,
            Ok(IfMsg::Link(l)) => {
                if let Some(name) = l.name() {
                    // The name is the sockaddr_dl's, up to a NUL if it holds one.
                    let raw = l.link.expect("a name without a sockaddr_dl").name;
                    assert_eq!(Some(name.as_bytes()), raw.split(|&c| c == 0).next());
                }
                if let Some(a) = l.link {
                    assert!(a.name.len() <= 255 && a.addr.len() <= 255);
                }
            }
            Ok(IfMsg::Addr(a)) => {
                if let (Some(ip), Some(p)) = (a.addr, a.prefix) {
                    assert!(p <= ifaddr_core::addr::Family::of(&ip).max_prefix());
                } else {
                    assert_eq!(a.prefix, None);
                }
            }
            Ok(IfMsg::Other(_)) => {}
        }
    }
    let msgs = decode(data);
    // A probe address from the input's last bytes, so that misses are tried too.
    let tail: [u8; 4] = data
        .get(data.len().saturating_sub(4)..)
        .and_then(|t| t.try_into().ok())
        .unwrap_or([192, 0, 2, 1]);
    check_queries(data, &msgs, &IpAddr::V4(Ipv4Addr::from(tail)));
});
