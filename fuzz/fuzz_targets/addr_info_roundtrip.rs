//! `AddrInfo::emit` then `AddrInfo::parse` gives back the same value (an address of another
//! family than the header's is dropped, as the parser documents), for arbitrary values and
//! buffer sizes; emit fails only when the buffer is too short and never writes outside it.
#![no_main]

use arbitrary::Arbitrary;
use core::net::IpAddr;
use ifaddr_core::linux::{AddrInfo, AF_INET, AF_INET6};
use ifaddr_fuzz::guarded;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    len: u8,
    #[arbitrary(with = ifaddr_fuzz::arb::addr_info)]
    info: AddrInfo,
}

fuzz_target!(|input: Input| {
    let Input { len, info } = input;
    let full = info.buffer_len();
    assert!(full <= 128, "an AddrInfo of {full} bytes");
    let (r, buf) = guarded(usize::from(len), |b| info.emit(b));
    let n = match r {
        Ok(n) => n,
        Err(_) => {
            assert!(usize::from(len) < full);
            return;
        }
    };
    assert_eq!(n, full);
    let mut want = info.clone();
    want.ip = info.ip.filter(|ip| match ip {
        IpAddr::V4(_) => info.family == AF_INET,
        IpAddr::V6(_) => info.family == AF_INET6,
    });
    assert_eq!(AddrInfo::parse(&buf[..n]), Ok(want));
});
