//! Address, prefix, netmask and broadcast text: `addr::parse_ip`, `parse_prefix`,
//! `parse_broadcast` and `parse_decimal`, checked against the standard library's parsers and
//! against each other.
#![no_main]

use core::net::{IpAddr, Ipv4Addr};
use ifaddr_core::addr::{self, Broadcast, Family, IpError, PrefixError};
use libfuzzer_sys::fuzz_target;

fn ip(s: &str) {
    let std_ip = s.parse::<IpAddr>();
    match addr::parse_ip(s) {
        Ok(a) => {
            assert_eq!(std_ip, Ok(a));
            assert_eq!(addr::check_ip(&a), Ok(()));
            // The canonical text form parses back to the same address.
            assert_eq!(addr::parse_ip(&a.to_string()), Ok(a));
        }
        Err(IpError::Zone) => assert!(s.contains('%')),
        Err(IpError::Syntax) => assert!(std_ip.is_err()),
        Err(e) => {
            let a = std_ip.expect("classified an address std does not parse");
            assert_eq!(addr::check_ip(&a), Err(e));
        }
    }
}

fn prefix(s: &str) {
    for family in [Family::V4, Family::V6] {
        match addr::parse_prefix(s, family) {
            Ok(p) => {
                assert!(p <= family.max_prefix());
                if s.contains('.') {
                    assert_eq!(family, Family::V4);
                    assert_eq!(s.parse::<Ipv4Addr>(), Ok(addr::v4_mask(p)));
                } else {
                    assert_eq!(p.to_string(), s);
                }
            }
            Err(PrefixError::DottedV6) => assert!(family == Family::V6 && s.contains('.')),
            Err(PrefixError::Range) => {
                let n: u64 = s.parse().expect("range error on a non-number");
                assert!(n > u64::from(family.max_prefix()));
            }
            Err(PrefixError::NonContiguous) => {
                let m: u32 = s.parse::<Ipv4Addr>().expect("not a dotted mask").into();
                assert_ne!(m.leading_ones() + m.trailing_zeros(), 32);
            }
            Err(PrefixError::Syntax) => {}
        }
    }
}

fn decimal(s: &str) {
    match addr::parse_decimal(s) {
        Some(n) => assert_eq!(n.to_string(), s),
        None => {
            // Only the canonical form of a number is accepted, up to 19 digits.
            if let Ok(n) = s.parse::<u64>() {
                assert!(n.to_string() != s || s.len() > 19, "refused {s:?}");
            }
        }
    }
}

fn broadcast(s: &str) {
    match addr::parse_broadcast(s) {
        Some(Broadcast::Auto) => assert!(s.is_empty() || s == "+"),
        Some(Broadcast::None) => assert_eq!(s, "-"),
        Some(Broadcast::Addr(a)) => assert_eq!(a.to_string(), s),
        None => assert!(s.parse::<Ipv4Addr>().is_err()),
    }
}

/// Masks, broadcast and `covers` agree with each other for every address and prefix.
fn arithmetic(data: &[u8]) {
    if data.len() < 5 {
        return;
    }
    let a = Ipv4Addr::new(data[0], data[1], data[2], data[3]);
    let p = data[4];
    let m = u32::from(addr::v4_mask(p));
    assert_eq!(m.count_ones(), u32::from(p.min(32)));
    assert_eq!(m.leading_ones(), u32::from(p.min(32)));
    let m6 = u128::from(addr::v6_mask(p));
    assert_eq!(m6.leading_ones(), u32::from(p.min(128)));
    assert_eq!(m6.count_ones(), u32::from(p.min(128)));
    let net = IpAddr::V4(a);
    match addr::v4_broadcast(a, p) {
        Some(b) => {
            assert!(p < 31);
            assert!(addr::covers(&net, p, &IpAddr::V4(b)));
            assert_eq!(u32::from(b) | m, u32::MAX);
        }
        None => assert!(p >= 31),
    }
    assert!(addr::covers(&net, p, &net));
    assert!(addr::covers(&net, 0, &IpAddr::V4(Ipv4Addr::BROADCAST)));
}

fuzz_target!(|data: &[u8]| {
    arithmetic(data);
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    ip(s);
    prefix(s);
    decimal(s);
    broadcast(s);
});
