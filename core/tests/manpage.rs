//! docs/ifaddr.8 is the man page `meta::write_manpage` generates from the parameter table.
//! An integration test, because it reads (and with `IFADDR_BLESS=1` writes) that file, which
//! the `no_std` library's own unit tests do not do.

use ifaddr_core::meta::{write_manpage, PARAMS};
use ufmt::uWrite;

struct S(String);
impl uWrite for S {
    type Error = core::convert::Infallible;
    fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
        self.0.push_str(s);
        Ok(())
    }
}

#[test]
fn manpage_is_current() {
    let mut s = S(String::new());
    write_manpage(&mut s).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ifaddr.8");
    if std::env::var_os("IFADDR_BLESS").is_some() {
        std::fs::write(path, &s.0).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == s.0,
        "docs/ifaddr.8 is not the generated man page; run \
         IFADDR_BLESS=1 cargo test -p ifaddr-core manpage"
    );
    for p in PARAMS {
        assert!(s.0.contains(&format!(".It Va {} ", p.name)));
    }
    // No line may start with a character roff would take as a request by accident.
    for line in s.0.lines() {
        assert!(!line.starts_with('\''), "{line}");
    }
}
