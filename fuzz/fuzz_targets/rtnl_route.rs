//! `RouteInfo::parse` on an arbitrary `RTM_NEWROUTE` payload, and the two decisions made from
//! routes: `is_connected_cover` and the `better_route` order used by nic detection.
#![no_main]

use core::net::IpAddr;
use ifaddr_core::linux::{better_route, RouteInfo, AF_INET, AF_INET6, RTMSG_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Two payloads: the input split at its first byte's value.
    let (cut, data) = match data.split_first() {
        Some((&c, rest)) => (usize::from(c).min(rest.len()), rest),
        None => return,
    };
    let (x, y) = data.split_at(cut);
    let routes: Vec<RouteInfo> = [x, y]
        .into_iter()
        .filter_map(|p| match RouteInfo::parse(p) {
            Ok(r) => Some((p, r)),
            Err(_) => {
                assert!(p.len() < RTMSG_LEN);
                None
            }
        })
        .map(|(p, r)| {
            assert_eq!(
                (r.family, r.dst_len, r.scope, r.kind),
                (p[0], p[1], p[6], p[7])
            );
            match r.dst {
                Some(IpAddr::V4(_)) => assert_eq!(r.family, AF_INET),
                Some(IpAddr::V6(_)) => assert_eq!(r.family, AF_INET6),
                None => {}
            }
            r
        })
        .collect();
    for r in &routes {
        assert!(!better_route(r, r), "better_route is not irreflexive");
        if let Some(dst) = r.dst {
            if r.is_connected_cover(&dst) {
                assert!(!r.via_gateway && r.oif.is_some() && r.dst_len > 0);
            }
        }
    }
    if let [a, b] = &routes[..] {
        assert!(
            !(better_route(a, b) && better_route(b, a)),
            "better_route is not antisymmetric"
        );
    }
});
