//! Interface names: `IfName::parse` (the `nic` parameter) and `IfName::from_kernel` (a name in
//! a kernel reply). Both must only ever produce names of the documented form, and the C
//! layout must round-trip.
#![no_main]

use ifaddr_core::ifname::{IfName, IfNameError, IFNAMSIZ};
use libfuzzer_sys::fuzz_target;

/// The documented form: 1 to 15 bytes of `[A-Za-z0-9_.-]`, not starting with `-` or `.`.
fn well_formed(s: &str) -> bool {
    let b = s.as_bytes();
    (1..IFNAMSIZ).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        && !matches!(b[0], b'-' | b'.')
}

fn check(n: &IfName) {
    assert!(well_formed(n.as_str()), "ill-formed name {:?}", n.as_str());
    assert_eq!(n.as_bytes(), n.as_str().as_bytes());
    let c = n.to_c();
    let len = n.as_bytes().len();
    assert_eq!(&c[..len], n.as_bytes());
    assert!(c[len..].iter().all(|&b| b == 0), "not NUL-padded");
    assert_eq!(IfName::from_kernel(&c).as_ref(), Some(n));
    assert_eq!(IfName::from_kernel(n.as_bytes()).as_ref(), Some(n));
    let mut u = ifaddr_fuzz::Out::default();
    ufmt::uwrite!(u, "{}", n).unwrap();
    assert_eq!(u.s, n.as_str());
}

fuzz_target!(|data: &[u8]| {
    // From the kernel: any bytes, NUL-terminated or not.
    if let Some(n) = IfName::from_kernel(data) {
        check(&n);
        let end = data.iter().position(|&c| c == 0).unwrap_or(data.len());
        assert_eq!(n.as_bytes(), &data[..end]);
    }
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    match IfName::parse(s) {
        Ok(n) => {
            check(&n);
            assert_eq!(n.as_str(), s);
        }
        Err(e) => {
            assert!(!well_formed(s), "refused {s:?}: {e:?}");
            if e == IfNameError::Alias {
                assert!(s.contains(':'));
            }
        }
    }
});
