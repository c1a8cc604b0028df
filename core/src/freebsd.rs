//! FreeBSD: ioctl requests for adding, deleting and inspecting interface addresses.
//!
//! Layouts are those of FreeBSD 13/14 `<net/if.h>`, `<netinet/in_var.h>`,
//! `<netinet6/in6_var.h>` and `<sys/ioccom.h>` on LP64 targets (amd64, aarch64); the header
//! check in `tests/freebsd-headers` compiles C assertions against the real headers and compares
//! the bytes built here with those the C side builds.

use crate::ifname::{IfName, IFNAMSIZ};
use crate::wire::Writer;
use crate::Overflow;
use core::net::{Ipv4Addr, Ipv6Addr};

pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 28;

/// `<sys/ioccom.h>`
pub const IOC_VOID: u32 = 0x2000_0000;
pub const IOC_OUT: u32 = 0x4000_0000;
pub const IOC_IN: u32 = 0x8000_0000;
pub const IOC_INOUT: u32 = IOC_IN | IOC_OUT;
pub const IOCPARM_MASK: u32 = 0x1fff;

/// `_IOC(inout, group, num, len)`.
pub const fn ioc(inout: u32, group: u8, num: u8, len: usize) -> u32 {
    inout | (((len as u32) & IOCPARM_MASK) << 16) | ((group as u32) << 8) | num as u32
}
pub const fn iow(group: u8, num: u8, len: usize) -> u32 {
    ioc(IOC_IN, group, num, len)
}
pub const fn iowr(group: u8, num: u8, len: usize) -> u32 {
    ioc(IOC_INOUT, group, num, len)
}

pub const SOCKADDR_IN_LEN: usize = 16;
pub const SOCKADDR_IN6_LEN: usize = 28;
/// `struct ifreq`: name plus a 16-byte union.
pub const IFREQ_LEN: usize = 32;
/// `struct in_aliasreq`: name, addr, broadaddr, mask, vhid.
pub const IN_ALIASREQ_LEN: usize = 68;
/// `struct in6_aliasreq`: name, addr, dstaddr, prefixmask, flags, lifetime, vhid (+4 padding).
pub const IN6_ALIASREQ_LEN: usize = 136;
/// `struct in6_ifreq`: name plus a union whose largest member is `struct icmp6_ifstat`.
pub const IN6_IFREQ_LEN: usize = 288;

pub const SIOCAIFADDR: u32 = iow(b'i', 43, IN_ALIASREQ_LEN);
pub const SIOCDIFADDR: u32 = iow(b'i', 25, IFREQ_LEN);
pub const SIOCGIFFLAGS: u32 = iowr(b'i', 17, IFREQ_LEN);
pub const SIOCAIFADDR_IN6: u32 = iow(b'i', 27, IN6_ALIASREQ_LEN);
pub const SIOCDIFADDR_IN6: u32 = iow(b'i', 25, IN6_IFREQ_LEN);
pub const SIOCGIFAFLAG_IN6: u32 = iowr(b'i', 73, IN6_IFREQ_LEN);

/// `<netinet6/in6_var.h>` address flags.
pub const IN6_IFF_ANYCAST: u32 = 0x01;
pub const IN6_IFF_TENTATIVE: u32 = 0x02;
pub const IN6_IFF_DUPLICATED: u32 = 0x04;
pub const IN6_IFF_DETACHED: u32 = 0x08;
pub const IN6_IFF_DEPRECATED: u32 = 0x10;
pub const IN6_IFF_NODAD: u32 = 0x20;
/// `ND6_INFINITE_LIFETIME`.
pub const INFINITE_LIFETIME: u32 = 0xffff_ffff;

/// A unicast address that a delete request may name. It cannot be unspecified: FreeBSD's
/// `SIOCDIFADDR` with an unset (zero) address deletes the interface's *first* address, so the
/// only way to build a delete request is through a value that has passed this check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<A>(A);

impl Target<Ipv4Addr> {
    pub fn v4(a: Ipv4Addr) -> Option<Self> {
        (!a.is_unspecified()).then_some(Target(a))
    }
}

impl Target<Ipv6Addr> {
    pub fn v6(a: Ipv6Addr) -> Option<Self> {
        (!a.is_unspecified()).then_some(Target(a))
    }
}

fn sockaddr_in(w: &mut Writer<'_>, a: Ipv4Addr) -> Result<(), Overflow> {
    w.bytes(&[SOCKADDR_IN_LEN as u8, AF_INET, 0, 0])?;
    w.bytes(&a.octets())?;
    w.zeros(8)
}

fn sockaddr_in6(w: &mut Writer<'_>, a: Ipv6Addr) -> Result<(), Overflow> {
    w.bytes(&[SOCKADDR_IN6_LEN as u8, AF_INET6, 0, 0])?;
    w.zeros(4)?; // flowinfo
    w.bytes(&a.octets())?;
    w.zeros(4) // scope id
}

/// `struct in_aliasreq` for `SIOCAIFADDR`.
pub fn in_aliasreq(
    buf: &mut [u8; IN_ALIASREQ_LEN],
    name: &IfName,
    addr: Ipv4Addr,
    prefix: u8,
    broadcast: Option<Ipv4Addr>,
    vhid: u8,
) -> Result<(), Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&name.to_c())?;
    sockaddr_in(&mut w, addr)?;
    match broadcast {
        Some(b) => sockaddr_in(&mut w, b)?,
        None => w.zeros(SOCKADDR_IN_LEN)?,
    }
    sockaddr_in(&mut w, crate::addr::v4_mask(prefix))?;
    w.bytes(&i32::from(vhid).to_ne_bytes())
}

/// `struct in6_aliasreq` for `SIOCAIFADDR_IN6`. Lifetimes are always set: a zero valid
/// lifetime makes the kernel silently not add the address, so `valid` is infinite and
/// `preferred` is `None` (infinite) or the given seconds.
pub fn in6_aliasreq(
    buf: &mut [u8; IN6_ALIASREQ_LEN],
    name: &IfName,
    addr: Ipv6Addr,
    prefix: u8,
    flags: u32,
    preferred: Option<u32>,
    vhid: u8,
) -> Result<(), Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&name.to_c())?;
    sockaddr_in6(&mut w, addr)?;
    w.zeros(SOCKADDR_IN6_LEN)?; // dstaddr: none
    sockaddr_in6(&mut w, crate::addr::v6_mask(prefix))?;
    w.bytes(&flags.to_ne_bytes())?;
    // struct in6_addrlifetime { time_t expire, preferred; u_int32_t vltime, pltime; }
    w.zeros(16)?; // expire times: computed by the kernel from the lifetimes
    w.bytes(&INFINITE_LIFETIME.to_ne_bytes())?;
    w.bytes(&preferred.unwrap_or(INFINITE_LIFETIME).to_ne_bytes())?;
    w.bytes(&i32::from(vhid).to_ne_bytes())?;
    w.zeros(4) // tail padding to the struct's 8-byte alignment
}

/// `struct ifreq` naming one IPv4 address, for `SIOCDIFADDR`.
pub fn ifreq_addr(
    buf: &mut [u8; IFREQ_LEN],
    name: &IfName,
    addr: Target<Ipv4Addr>,
) -> Result<(), Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&name.to_c())?;
    sockaddr_in(&mut w, addr.0)
}

/// `struct ifreq` with only the name set, for `SIOCGIFFLAGS`.
pub fn ifreq_name(buf: &mut [u8; IFREQ_LEN], name: &IfName) -> Result<(), Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&name.to_c())?;
    w.zeros(IFREQ_LEN - IFNAMSIZ)
}

/// The interface flags from a `SIOCGIFFLAGS` reply (`ifr_flags` low 16 bits, `ifr_flagshigh`
/// high 16 bits).
pub fn ifreq_flags(buf: &[u8; IFREQ_LEN]) -> u32 {
    let lo = u16::from_ne_bytes([buf[16], buf[17]]);
    let hi = u16::from_ne_bytes([buf[18], buf[19]]);
    u32::from(lo) | (u32::from(hi) << 16)
}

/// `struct in6_ifreq` naming one IPv6 address, for `SIOCDIFADDR_IN6` and `SIOCGIFAFLAG_IN6`.
pub fn in6_ifreq_addr(
    buf: &mut [u8; IN6_IFREQ_LEN],
    name: &IfName,
    addr: Target<Ipv6Addr>,
) -> Result<(), Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&name.to_c())?;
    sockaddr_in6(&mut w, addr.0)?;
    w.zeros(IN6_IFREQ_LEN - IFNAMSIZ - SOCKADDR_IN6_LEN)
}

/// `ifru_flags6` from a `SIOCGIFAFLAG_IN6` reply.
pub fn in6_ifreq_flags(buf: &[u8; IN6_IFREQ_LEN]) -> u32 {
    u32::from_ne_bytes([buf[16], buf[17], buf[18], buf[19]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers() {
        // Values as printed by FreeBSD 14's headers (cross-checked by tests/freebsd-headers).
        assert_eq!(SIOCAIFADDR, 0x8044_692b);
        assert_eq!(SIOCDIFADDR, 0x8020_6919);
        assert_eq!(SIOCGIFFLAGS, 0xc020_6911);
        assert_eq!(SIOCAIFADDR_IN6, 0x8088_691b);
        assert_eq!(SIOCDIFADDR_IN6, 0x8120_6919);
        assert_eq!(SIOCGIFAFLAG_IN6, 0xc120_6949);
    }

    #[test]
    fn delete_target_cannot_be_unset() {
        assert!(Target::v4(Ipv4Addr::UNSPECIFIED).is_none());
        assert!(Target::v6(Ipv6Addr::UNSPECIFIED).is_none());
        let name = IfName::parse("em0").unwrap();
        let mut b = [0xaau8; IFREQ_LEN];
        ifreq_addr(
            &mut b,
            &name,
            Target::v4(Ipv4Addr::new(192, 0, 2, 200)).unwrap(),
        )
        .unwrap();
        assert_eq!(&b[..16], b"em0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(&b[16..24], &[16, 2, 0, 0, 192, 0, 2, 200]);
        assert_eq!(&b[24..], &[0; 8]);
    }

    #[test]
    fn aliasreq_v4() {
        let name = IfName::parse("vlan100").unwrap();
        let mut b = [0xaau8; IN_ALIASREQ_LEN];
        in_aliasreq(
            &mut b,
            &name,
            Ipv4Addr::new(192, 0, 2, 200),
            24,
            Some(Ipv4Addr::new(192, 0, 2, 255)),
            3,
        )
        .unwrap();
        assert_eq!(&b[..8], b"vlan100\0");
        assert_eq!(&b[16..24], &[16, 2, 0, 0, 192, 0, 2, 200]);
        assert_eq!(&b[32..40], &[16, 2, 0, 0, 192, 0, 2, 255]);
        assert_eq!(&b[48..56], &[16, 2, 0, 0, 255, 255, 255, 0]);
        assert_eq!(&b[64..68], &3i32.to_ne_bytes());
    }

    #[test]
    fn aliasreq_v6_lifetimes_never_zero() {
        let name = IfName::parse("epair0a").unwrap();
        let mut b = [0xaau8; IN6_ALIASREQ_LEN];
        let a: Ipv6Addr = "2001:db8::200".parse().unwrap();
        in6_aliasreq(&mut b, &name, a, 64, IN6_IFF_NODAD, Some(0), 0).unwrap();
        assert_eq!(&b[16..20], &[28, 28, 0, 0]);
        assert_eq!(&b[24..40], &a.octets());
        assert_eq!(&b[44..72], &[0; 28]);
        assert_eq!(&b[72..76], &[28, 28, 0, 0]);
        assert_eq!(&b[80..88], &[0xff; 8]);
        assert_eq!(&b[88..96], &[0; 8]);
        assert_eq!(&b[100..104], &IN6_IFF_NODAD.to_ne_bytes());
        assert_eq!(&b[120..124], &INFINITE_LIFETIME.to_ne_bytes());
        assert_eq!(&b[124..128], &0u32.to_ne_bytes());
        assert_eq!(&b[128..136], &[0; 8]);
    }
}
