//! `LinkInfo::parse` on an arbitrary `RTM_NEWLINK` payload: the header fields are read as they
//! are, and every optional field holds what the kernel layout allows.
#![no_main]

use ifaddr_core::ifname::IfName;
use ifaddr_core::linux::LinkInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let l = match LinkInfo::parse(data) {
        Ok(l) => l,
        Err(_) => {
            assert!(data.len() < 16);
            return;
        }
    };
    assert_eq!(l.index, u32::from_ne_bytes(data[4..8].try_into().unwrap()));
    assert_eq!(l.flags, u32::from_ne_bytes(data[8..12].try_into().unwrap()));
    if let Some(n) = &l.name {
        // A name from the kernel is one the agent could have been given.
        assert_eq!(IfName::parse(n.as_str()).as_ref(), Ok(n));
    }
    assert!(l.hwaddr.len() <= 32);
    assert_eq!(l, LinkInfo::parse(data).unwrap(), "not deterministic");
});
