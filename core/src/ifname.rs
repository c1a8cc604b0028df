//! Interface names.
//!
//! Both kernels limit names to `IFNAMSIZ - 1` = 15 bytes. Linux accepts almost any byte; FreeBSD
//! names are a driver name and a unit (`em0`, `vlan100`, `epair0a`, `em0.100`, `lagg0`). The agent
//! accepts the portable subset `[A-Za-z0-9_.-]` (plus `@` is *not* accepted: it is `ip`'s display
//! notation, not part of a name), not starting with `-` or `.`, so that no value can be mistaken
//! for an option or a path, and refuses everything else with a reason.

use heapless::String;

/// `IFNAMSIZ` on Linux and FreeBSD, including the terminating NUL.
pub const IFNAMSIZ: usize = 16;

/// A validated interface name (1 to 15 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IfName(String<15>);

/// Why a `nic` value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfNameError {
    Empty,
    TooLong,
    /// A byte outside `[A-Za-z0-9_.-]`.
    BadChar,
    /// Starts with `-` or `.`.
    BadStart,
    /// `eth0:label` alias notation: use `iflabel`.
    Alias,
}

impl IfNameError {
    pub fn message(self) -> &'static str {
        match self {
            IfNameError::Empty => "is empty",
            IfNameError::TooLong => "is longer than 15 bytes",
            IfNameError::BadChar => "has a character outside A-Z a-z 0-9 _ . -",
            IfNameError::BadStart => "starts with '-' or '.'",
            IfNameError::Alias => "uses the nic:label notation; give the label with iflabel",
        }
    }
}

/// Whether the Linux address label `nic:label` fits in an interface name (15 bytes).
pub fn label_fits(nic: &str, label: &str) -> bool {
    nic.len() + 1 + label.len() < IFNAMSIZ
}

impl IfName {
    pub fn parse(s: &str) -> Result<IfName, IfNameError> {
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(IfNameError::Empty);
        }
        if b.contains(&b':') {
            return Err(IfNameError::Alias);
        }
        if b.len() >= IFNAMSIZ {
            return Err(IfNameError::TooLong);
        }
        if !b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        {
            return Err(IfNameError::BadChar);
        }
        if matches!(b[0], b'-' | b'.') {
            return Err(IfNameError::BadStart);
        }
        let mut n = String::new();
        n.push_str(s).map_err(|_| IfNameError::TooLong)?;
        Ok(IfName(n))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The name as a NUL-padded `char[IFNAMSIZ]`.
    pub fn to_c(&self) -> [u8; IFNAMSIZ] {
        let mut out = [0u8; IFNAMSIZ];
        out[..self.0.len()].copy_from_slice(self.0.as_bytes());
        out
    }

    /// Read a name the kernel reported (NUL-terminated or not); `None` if it is not one we
    /// could have been given.
    pub fn from_kernel(b: &[u8]) -> Option<IfName> {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        let s = core::str::from_utf8(&b[..end]).ok()?;
        IfName::parse(s).ok()
    }
}

impl ufmt::uDisplay for IfName {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> Result<(), W::Error> {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert!(label_fits("eth0", "vip"));
        assert!(label_fits("eth0", "0123456789"));
        assert!(!label_fits("eth0", "01234567890"));
        assert!(label_fits("", "01234567890123"));
    }

    #[test]
    fn accepts_real_names() {
        for n in [
            "eth0",
            "vlan100",
            "igb10",
            "epair0a",
            "em0.100",
            "veth_n1-a",
            "enp0s31f6",
            "lagg0",
        ] {
            assert_eq!(IfName::parse(n).unwrap().as_str(), n);
        }
        assert_eq!(IfName::parse("abcdefghijklmno").unwrap().as_str().len(), 15);
    }

    #[test]
    fn refuses_hostile_names() {
        assert_eq!(IfName::parse(""), Err(IfNameError::Empty));
        assert_eq!(IfName::parse("abcdefghijklmnop"), Err(IfNameError::TooLong));
        assert_eq!(IfName::parse("eth0:1"), Err(IfNameError::Alias));
        assert_eq!(IfName::parse("eth0;reboot"), Err(IfNameError::BadChar));
        assert_eq!(IfName::parse("../etc"), Err(IfNameError::BadChar));
        assert_eq!(IfName::parse("-eth0"), Err(IfNameError::BadStart));
        assert_eq!(IfName::parse(".."), Err(IfNameError::BadStart));
        assert_eq!(IfName::parse("eth 0"), Err(IfNameError::BadChar));
        assert_eq!(IfName::parse("eth0\u{0}"), Err(IfNameError::BadChar));
        assert_eq!(IfName::parse("é0"), Err(IfNameError::BadChar));
    }

    /// Found by the `ifname` and `rtnl_link` fuzz targets: `from_kernel` returned an empty
    /// name for an empty `IFLA_IFNAME`, and names `parse` refuses, breaking `IfName`'s invariant.
    #[test]
    fn from_kernel_refuses_what_parse_refuses() {
        for b in [
            &b""[..],
            b"\0eth0",
            b"eth0:1\0",
            b"eth 0",
            b"-eth0",
            b"..",
            b"eth0\n",
            b"abcdefghijklmnop",
            b"\xc3\xa90",
        ] {
            assert_eq!(IfName::from_kernel(b), None, "{b:?}");
        }
        assert_eq!(
            IfName::from_kernel(b"abcdefghijklmno").unwrap().as_str(),
            "abcdefghijklmno"
        );
    }

    #[test]
    fn c_layout() {
        let n = IfName::parse("em0").unwrap();
        let c = n.to_c();
        assert_eq!(&c[..4], b"em0\0");
        assert!(c[3..].iter().all(|&b| b == 0));
        assert_eq!(IfName::from_kernel(&c), Some(n));
    }
}
