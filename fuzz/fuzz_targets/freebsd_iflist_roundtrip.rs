//! FreeBSD `NET_RT_IFLIST` round trip: arbitrary interfaces and addresses, encoded in the
//! kernel's layout (by `ifaddr_fuzz::iflist`, independently of core), decode with `Iflist` to
//! the same values, and the lookups find what the model says they should.
#![no_main]

use arbitrary::Arbitrary;
use core::net::IpAddr;
use ifaddr_core::freebsd::route::IfMsg;
use ifaddr_fuzz::iflist::{check_queries, decode, encode, expected, Iface};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    ifaces: Vec<Iface>,
    probe: IpAddr,
}

fuzz_target!(|i: Input| {
    let buf = encode(&i.ifaces);
    let msgs = decode(&buf);
    let want = expected(&i.ifaces);
    assert_eq!(msgs.len(), want.len(), "not every message decoded");
    let links = i.ifaces.iter();
    let mut links = links.peekable();
    for (got, want) in msgs.iter().zip(&want) {
        match (got, want) {
            (IfMsg::Link(g), IfMsg::Link(w)) => {
                let model = links.next().unwrap();
                assert_eq!(g.name(), model.name);
                assert_eq!(g.mac(), model.mac);
                let mut g = *g;
                g.link = None;
                assert_eq!(&g, w);
            }
            (g, w) => assert_eq!(g, w),
        }
    }
    check_queries(&buf, &msgs, &i.probe);
});
