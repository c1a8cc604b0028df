//! Address, prefix and broadcast text: parsing and classification.
//!
//! Text forms are those of `core::net` (RFC 4291 for IPv6; dotted quads without leading zeros
//! for IPv4). Prefixes are decimal without sign, leading zeros or spaces; an IPv4 mask may also
//! be written as a contiguous dotted mask (`255.255.255.0`).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(ip: &IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// Longest prefix for the family.
    pub fn max_prefix(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// Why an `ip` value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpError {
    /// Not an address in any valid text form.
    Syntax,
    /// `%zone` suffixes are not accepted; the interface is given by `nic`.
    Zone,
    Unspecified,
    Loopback,
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 0.0.0.0/8, "this network".
    ThisNetwork,
    /// 169.254.0.0/16 or fe80::/10.
    LinkLocal,
    /// ::ffff:0:0/96 and the deprecated ::a.b.c.d form.
    V4Mapped,
}

impl IpError {
    pub fn message(self) -> &'static str {
        match self {
            IpError::Syntax => "is not an IPv4 or IPv6 address",
            IpError::Zone => "has a %zone suffix; give the interface with nic instead",
            IpError::Unspecified => "is the unspecified address",
            IpError::Loopback => {
                "is a loopback address, which reaches no other host; for LVS direct routing give \
                 the service address with lvs_support=true"
            }
            IpError::Multicast => "is a multicast address",
            IpError::Broadcast => "is the limited broadcast address",
            IpError::ThisNetwork => "is in 0.0.0.0/8 (this network)",
            IpError::LinkLocal => "is a link-local address, which cannot float between nodes",
            IpError::V4Mapped => "is an IPv4-mapped IPv6 address; give the IPv4 address itself",
        }
    }
}

/// Parse and classify the `ip` parameter.
pub fn parse_ip(s: &str) -> Result<IpAddr, IpError> {
    if s.contains('%') {
        return Err(IpError::Zone);
    }
    let ip: IpAddr = s.parse().map_err(|_| IpError::Syntax)?;
    check_ip(&ip)?;
    Ok(ip)
}

/// The classification part of [`parse_ip`].
pub fn check_ip(ip: &IpAddr) -> Result<(), IpError> {
    match ip {
        IpAddr::V4(a) => check_v4(a),
        IpAddr::V6(a) => check_v6(a),
    }
}

fn check_v4(a: &Ipv4Addr) -> Result<(), IpError> {
    let o = a.octets();
    if a.is_unspecified() {
        Err(IpError::Unspecified)
    } else if o[0] == 0 {
        Err(IpError::ThisNetwork)
    } else if a.is_loopback() {
        Err(IpError::Loopback)
    } else if a.is_multicast() {
        Err(IpError::Multicast)
    } else if a.is_broadcast() {
        Err(IpError::Broadcast)
    } else if a.is_link_local() {
        Err(IpError::LinkLocal)
    } else {
        Ok(())
    }
}

fn check_v6(a: &Ipv6Addr) -> Result<(), IpError> {
    let s = a.segments();
    if a.is_unspecified() {
        Err(IpError::Unspecified)
    } else if a.is_loopback() {
        Err(IpError::Loopback)
    } else if a.is_multicast() {
        Err(IpError::Multicast)
    } else if s[0] & 0xffc0 == 0xfe80 {
        Err(IpError::LinkLocal)
    } else if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (deprecated compatible form).
        Err(IpError::V4Mapped)
    } else {
        Ok(())
    }
}

/// Why a `cidr_netmask` value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixError {
    Syntax,
    /// Longer than the family allows.
    Range,
    /// A dotted mask whose ones are not contiguous.
    NonContiguous,
    /// A dotted mask for an IPv6 address.
    DottedV6,
}

impl PrefixError {
    pub fn message(self) -> &'static str {
        match self {
            PrefixError::Syntax => "is not a prefix length or a dotted netmask",
            PrefixError::Range => "is out of range for the address family",
            PrefixError::NonContiguous => "is a netmask whose one bits are not contiguous",
            PrefixError::DottedV6 => "is a dotted netmask, which IPv6 does not use",
        }
    }
}

/// Parse a strict unsigned decimal: digits only, no sign, no leading zero (except "0").
pub fn parse_decimal(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 19 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    Some(n)
}

/// Parse `cidr_netmask` for an address of `family`.
pub fn parse_prefix(s: &str, family: Family) -> Result<u8, PrefixError> {
    if s.contains('.') {
        if family == Family::V6 {
            return Err(PrefixError::DottedV6);
        }
        let m: Ipv4Addr = s.parse().map_err(|_| PrefixError::Syntax)?;
        let bits = u32::from(m);
        let ones = bits.leading_ones();
        if bits.checked_shl(ones).unwrap_or(0) != 0 {
            return Err(PrefixError::NonContiguous);
        }
        return Ok(ones as u8);
    }
    let n = parse_decimal(s).ok_or(PrefixError::Syntax)?;
    if n > u64::from(family.max_prefix()) {
        return Err(PrefixError::Range);
    }
    Ok(n as u8)
}

/// The IPv4 netmask of a prefix length (clamped to 32).
pub fn v4_mask(prefix: u8) -> Ipv4Addr {
    let p = u32::from(prefix.min(32));
    Ipv4Addr::from(u32::MAX.checked_shl(32 - p).unwrap_or(0))
}

/// The IPv6 netmask of a prefix length (clamped to 128).
pub fn v6_mask(prefix: u8) -> Ipv6Addr {
    let p = u32::from(prefix.min(128));
    Ipv6Addr::from(u128::MAX.checked_shl(128 - p).unwrap_or(0))
}

/// The directed broadcast address of `ip/prefix` (IPv4). `None` for /31 and /32, which have none.
pub fn v4_broadcast(ip: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
    if prefix >= 31 {
        return None;
    }
    Some(Ipv4Addr::from(u32::from(ip) | !u32::from(v4_mask(prefix))))
}

/// Whether `ip` is the network or the broadcast address of its `/prefix` subnet, which a host
/// cannot hold (only subnets of 4 addresses or more, /30 and wider, have them as such).
pub fn is_network_or_broadcast(ip: Ipv4Addr, prefix: u8) -> bool {
    prefix <= 30
        && (u32::from(ip) & u32::from(v4_mask(prefix)) == u32::from(ip)
            || Some(ip) == v4_broadcast(ip, prefix))
}

/// Whether `ip` lies in `net/prefix`.
pub fn covers(net: &IpAddr, prefix: u8, ip: &IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let m = u32::from(v4_mask(prefix));
            u32::from(*n) & m == u32::from(*a) & m
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let m = u128::from(v6_mask(prefix));
            u128::from(*n) & m == u128::from(*a) & m
        }
        _ => false,
    }
}

/// The `broadcast` parameter (IPv4 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    /// Computed from the prefix (`+`, or unset).
    Auto,
    /// No broadcast address (`-`).
    None,
    /// This address.
    Addr(Ipv4Addr),
}

/// Parse `broadcast`: `+`, `-`, or a dotted quad.
pub fn parse_broadcast(s: &str) -> Option<Broadcast> {
    match s {
        "" | "+" => Some(Broadcast::Auto),
        "-" => Some(Broadcast::None),
        _ => s.parse().ok().map(Broadcast::Addr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_and_broadcast() {
        let a = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert!(is_network_or_broadcast(a("192.0.2.0"), 24));
        assert!(is_network_or_broadcast(a("192.0.2.255"), 24));
        assert!(!is_network_or_broadcast(a("192.0.2.1"), 24));
        assert!(is_network_or_broadcast(a("192.0.2.3"), 30));
        // /31 and /32 have neither.
        assert!(!is_network_or_broadcast(a("192.0.2.0"), 31));
        assert!(!is_network_or_broadcast(a("192.0.2.255"), 32));
    }

    #[test]
    fn ip_forms() {
        assert_eq!(parse_ip("192.0.2.10"), Ok("192.0.2.10".parse().unwrap()));
        assert_eq!(parse_ip("2001:db8::1"), Ok("2001:db8::1".parse().unwrap()));
        assert_eq!(
            parse_ip("2001:DB8:0:0:0:0:0:1"),
            Ok("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_ip("192.0.2.010"), Err(IpError::Syntax));
        assert_eq!(parse_ip(" 192.0.2.1"), Err(IpError::Syntax));
        assert_eq!(parse_ip("192.0.2.1/24"), Err(IpError::Syntax));
        assert_eq!(parse_ip("fe80::1%eth0"), Err(IpError::Zone));
        assert_eq!(parse_ip("0.0.0.0"), Err(IpError::Unspecified));
        assert_eq!(parse_ip("0.1.2.3"), Err(IpError::ThisNetwork));
        assert_eq!(parse_ip("127.0.0.3"), Err(IpError::Loopback));
        assert_eq!(parse_ip("224.0.0.1"), Err(IpError::Multicast));
        assert_eq!(parse_ip("255.255.255.255"), Err(IpError::Broadcast));
        assert_eq!(parse_ip("169.254.1.1"), Err(IpError::LinkLocal));
        assert_eq!(parse_ip("::"), Err(IpError::Unspecified));
        assert_eq!(parse_ip("::1"), Err(IpError::Loopback));
        assert_eq!(parse_ip("ff02::1"), Err(IpError::Multicast));
        assert_eq!(parse_ip("fe80::2"), Err(IpError::LinkLocal));
        assert_eq!(parse_ip("febf::2"), Err(IpError::LinkLocal));
        assert_eq!(parse_ip("::ffff:192.0.2.1"), Err(IpError::V4Mapped));
        assert_eq!(parse_ip("::192.0.2.1"), Err(IpError::V4Mapped));
    }

    #[test]
    fn prefixes() {
        assert_eq!(parse_prefix("24", Family::V4), Ok(24));
        assert_eq!(parse_prefix("0", Family::V4), Ok(0));
        assert_eq!(parse_prefix("32", Family::V4), Ok(32));
        assert_eq!(parse_prefix("33", Family::V4), Err(PrefixError::Range));
        assert_eq!(parse_prefix("128", Family::V6), Ok(128));
        assert_eq!(parse_prefix("129", Family::V6), Err(PrefixError::Range));
        assert_eq!(parse_prefix("024", Family::V4), Err(PrefixError::Syntax));
        assert_eq!(parse_prefix("+24", Family::V4), Err(PrefixError::Syntax));
        assert_eq!(parse_prefix("", Family::V4), Err(PrefixError::Syntax));
        assert_eq!(
            parse_prefix("99999999999999999999999", Family::V4),
            Err(PrefixError::Syntax)
        );
        assert_eq!(parse_prefix("255.255.255.0", Family::V4), Ok(24));
        assert_eq!(parse_prefix("255.255.255.255", Family::V4), Ok(32));
        assert_eq!(parse_prefix("0.0.0.0", Family::V4), Ok(0));
        assert_eq!(
            parse_prefix("255.0.255.0", Family::V4),
            Err(PrefixError::NonContiguous)
        );
        assert_eq!(
            parse_prefix("255.255.255.0", Family::V6),
            Err(PrefixError::DottedV6)
        );
    }

    #[test]
    fn masks_and_broadcast() {
        assert_eq!(v4_mask(24), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(v4_mask(0), Ipv4Addr::new(0, 0, 0, 0));
        assert_eq!(v4_mask(32), Ipv4Addr::new(255, 255, 255, 255));
        assert_eq!(
            v6_mask(64),
            "ffff:ffff:ffff:ffff::".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(v6_mask(0), Ipv6Addr::UNSPECIFIED);
        assert_eq!(
            v4_broadcast(Ipv4Addr::new(192, 0, 2, 200), 24),
            Some(Ipv4Addr::new(192, 0, 2, 255))
        );
        assert_eq!(v4_broadcast(Ipv4Addr::new(192, 0, 2, 200), 31), None);
        let net: IpAddr = "192.0.2.0".parse().unwrap();
        assert!(covers(&net, 24, &"192.0.2.77".parse().unwrap()));
        assert!(!covers(&net, 24, &"192.0.3.77".parse().unwrap()));
        assert!(covers(&net, 0, &"198.51.100.1".parse().unwrap()));
        assert!(!covers(&net, 24, &"2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn broadcast_param() {
        assert_eq!(parse_broadcast("+"), Some(Broadcast::Auto));
        assert_eq!(parse_broadcast("-"), Some(Broadcast::None));
        assert_eq!(
            parse_broadcast("192.0.2.255"),
            Some(Broadcast::Addr(Ipv4Addr::new(192, 0, 2, 255)))
        );
        assert_eq!(parse_broadcast("not_broadcast"), None);
    }
}
