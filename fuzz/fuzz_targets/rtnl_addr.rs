//! `AddrInfo::parse` on an arbitrary `RTM_NEWADDR` payload. What it returns must be consistent
//! (an address of the header's family, the header's prefix and index), and emitting it then
//! parsing again must give the same value.
#![no_main]

use core::net::IpAddr;
use ifaddr_core::linux::{AddrInfo, AF_INET, AF_INET6};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let a = match AddrInfo::parse(data) {
        Ok(a) => a,
        Err(_) => {
            assert!(data.len() < 8);
            return;
        }
    };
    assert_eq!((a.family, a.prefix, a.scope), (data[0], data[1], data[3]));
    assert_eq!(a.index, u32::from_ne_bytes(data[4..8].try_into().unwrap()));
    match a.ip {
        Some(IpAddr::V4(_)) => assert_eq!(a.family, AF_INET),
        Some(IpAddr::V6(_)) => assert_eq!(a.family, AF_INET6),
        None => {}
    }
    let mut buf = [0u8; 128];
    let n = a
        .emit(&mut buf)
        .expect("an AddrInfo always fits in 128 bytes");
    assert_eq!(AddrInfo::parse(&buf[..n]), Ok(a));
});
