//! FreeBSD: ioctl requests for adding, deleting and inspecting interface addresses, and (in
//! [`route`]) routing-socket requests and the parsers for routing-socket and
//! `sysctl NET_RT_IFLIST` replies.
//!
//! Layouts are those of FreeBSD 13/14 `<net/if.h>`, `<netinet/in_var.h>`,
//! `<netinet6/in6_var.h>`, `<net/route.h>` and `<sys/ioccom.h>` on LP64 targets (amd64,
//! aarch64). `cargo xtask freebsd-check` compiles `_Static_assert`s on every size, offset and
//! number used here against the real headers for both targets, and regenerates
//! [`vectors`](self) (the bytes the C compiler builds from the real structs for the same inputs
//! the tests use); the tests compare the encoders byte for byte with them.
//!
//! FreeBSD quirks the encoders encode:
//! * `SIOCAIFADDR` / `SIOCAIFADDR_IN6` on an address the interface already has *replaces* it
//!   (the kernel deletes and re-adds); they never fail with `EEXIST`. The host checks first.
//! * `SIOCDIFADDR` whose `sockaddr_in` is not well formed deletes the interface's *first*
//!   address; [`Target`] makes a delete request without a real address unbuildable.
//! * An IPv6 valid lifetime of 0 makes the kernel silently add nothing: it is always infinite.

use crate::ifname::{IfName, IFNAMSIZ};
use crate::wire::Writer;
use crate::Overflow;
use core::net::{Ipv4Addr, Ipv6Addr};

pub mod bpf;
pub mod route;

#[cfg(test)]
mod tests;
#[cfg(test)]
#[rustfmt::skip]
mod vectors;

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
/// `_IOW(group, num, type)` with `len = sizeof(type)`.
pub const fn iow(group: u8, num: u8, len: usize) -> u32 {
    ioc(IOC_IN, group, num, len)
}
/// `_IOR(group, num, type)` with `len = sizeof(type)`.
pub const fn ior(group: u8, num: u8, len: usize) -> u32 {
    ioc(IOC_OUT, group, num, len)
}
/// `_IOWR(group, num, type)` with `len = sizeof(type)`.
pub const fn iowr(group: u8, num: u8, len: usize) -> u32 {
    ioc(IOC_INOUT, group, num, len)
}

pub const SOCKADDR_IN_LEN: usize = 16;
pub const SOCKADDR_IN6_LEN: usize = 28;
/// `struct ifreq`: name plus a 16-byte union.
pub const IFREQ_LEN: usize = 32;
/// `struct in_aliasreq` (and `struct ifaliasreq`): name, addr, broadaddr, mask, vhid.
pub const IN_ALIASREQ_LEN: usize = 68;
/// `struct in6_aliasreq`: name, addr, dstaddr, prefixmask, flags, lifetime, vhid (+4 padding).
pub const IN6_ALIASREQ_LEN: usize = 136;
/// `struct in6_ifreq`: name plus a union whose largest member is `struct icmp6_ifstat`.
pub const IN6_IFREQ_LEN: usize = 288;
/// `struct in6_addrpolicy` (`<netinet6/in6_var.h>`): an entry of the address-selection policy
/// table (RFC 6724), as `ip6addrctl(8)` adds and deletes them.
pub const IN6_ADDRPOLICY_LEN: usize = 72;

/// `struct in_aliasreq` field offsets.
mod in_aliasreq {
    pub const ADDR: usize = 16;
    pub const BROADADDR: usize = 32;
    pub const MASK: usize = 48;
    pub const VHID: usize = 64;
}
/// `struct in6_aliasreq` field offsets.
mod in6_aliasreq {
    pub const ADDR: usize = 16;
    pub const DSTADDR: usize = 44;
    pub const PREFIXMASK: usize = 72;
    pub const FLAGS: usize = 100;
    /// `struct in6_addrlifetime`: `time_t expire, preferred; u_int32_t vltime, pltime`.
    pub const LIFETIME: usize = 104;
    pub const VLTIME: usize = 120;
    pub const PLTIME: usize = 124;
    pub const VHID: usize = 128;
}
/// The union after the name in `struct ifreq` / `struct in6_ifreq`.
const IFR_IFRU: usize = IFNAMSIZ;

/// `SIOCAIFADDR` is declared with `struct ifaliasreq`, the same size as `struct in_aliasreq`.
pub const SIOCAIFADDR: u32 = iow(b'i', 43, IN_ALIASREQ_LEN);
pub const SIOCDIFADDR: u32 = iow(b'i', 25, IFREQ_LEN);
pub const SIOCGIFFLAGS: u32 = iowr(b'i', 17, IFREQ_LEN);
pub const SIOCAIFADDR_IN6: u32 = iow(b'i', 27, IN6_ALIASREQ_LEN);
pub const SIOCDIFADDR_IN6: u32 = iow(b'i', 25, IN6_IFREQ_LEN);
pub const SIOCGIFAFLAG_IN6: u32 = iowr(b'i', 73, IN6_IFREQ_LEN);
pub const SIOCAADDRCTL_POLICY: u32 = iow(b'u', 108, IN6_ADDRPOLICY_LEN);
pub const SIOCDADDRCTL_POLICY: u32 = iow(b'u', 109, IN6_ADDRPOLICY_LEN);
/// The precedence ifaddr's policy entries carry: that of the default entry `::/0` (RFC 6724),
/// so that only the label differs from what the address had without an entry.
pub const ADDRPOLICY_PRECEDENCE: i32 = 40;
pub use bpf::{BIOCSETIF, BIOCSHDRCMPLT};

/// `<netinet6/in6_var.h>` address flags.
pub const IN6_IFF_ANYCAST: u32 = 0x01;
pub const IN6_IFF_TENTATIVE: u32 = 0x02;
pub const IN6_IFF_DUPLICATED: u32 = 0x04;
pub const IN6_IFF_DETACHED: u32 = 0x08;
pub const IN6_IFF_DEPRECATED: u32 = 0x10;
pub const IN6_IFF_NODAD: u32 = 0x20;
/// `ND6_INFINITE_LIFETIME`.
pub const INFINITE_LIFETIME: u32 = 0xffff_ffff;

/// `<netinet6/in6.h>` socket options for sending neighbour advertisements.
pub const IPV6_MULTICAST_IF: i32 = 9;
pub const IPV6_MULTICAST_HOPS: i32 = 10;

/// `<sys/jail.h>`: the value of the `vnet` jail parameter for a jail with its own stack.
pub const JAIL_SYS_NEW: i32 = 1;

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

impl<A: Copy> Target<A> {
    pub fn get(&self) -> A {
        self.0
    }
}

/// A `struct sockaddr_in` (16 bytes) for `a`.
pub(crate) fn sockaddr_in(w: &mut Writer<'_>, a: Ipv4Addr) -> Result<(), Overflow> {
    w.bytes(&[SOCKADDR_IN_LEN as u8, AF_INET, 0, 0])?; // len, family, port
    w.bytes(&a.octets())?;
    w.zeros(8) // sin_zero
}

/// A `struct sockaddr_in6` (28 bytes) for `a`, scope id 0.
pub(crate) fn sockaddr_in6(w: &mut Writer<'_>, a: Ipv6Addr) -> Result<(), Overflow> {
    w.bytes(&[SOCKADDR_IN6_LEN as u8, AF_INET6, 0, 0])?; // len, family, port
    w.zeros(4)?; // flowinfo
    w.bytes(&a.octets())?;
    w.zeros(4) // scope id
}

/// `struct in_aliasreq` for `SIOCAIFADDR`. `broadcast: None` leaves the field zero, and the
/// kernel then computes the directed broadcast itself on broadcast interfaces.
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
    debug_assert_eq!(w.pos(), in_aliasreq::ADDR);
    sockaddr_in(&mut w, addr)?;
    debug_assert_eq!(w.pos(), in_aliasreq::BROADADDR);
    match broadcast {
        Some(b) => sockaddr_in(&mut w, b)?,
        None => w.zeros(SOCKADDR_IN_LEN)?,
    }
    debug_assert_eq!(w.pos(), in_aliasreq::MASK);
    sockaddr_in(&mut w, crate::addr::v4_mask(prefix))?;
    debug_assert_eq!(w.pos(), in_aliasreq::VHID);
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
    debug_assert_eq!(w.pos(), in6_aliasreq::ADDR);
    sockaddr_in6(&mut w, addr)?;
    debug_assert_eq!(w.pos(), in6_aliasreq::DSTADDR);
    w.zeros(SOCKADDR_IN6_LEN)?; // dstaddr: none (AF_UNSPEC)
    debug_assert_eq!(w.pos(), in6_aliasreq::PREFIXMASK);
    sockaddr_in6(&mut w, crate::addr::v6_mask(prefix))?;
    debug_assert_eq!(w.pos(), in6_aliasreq::FLAGS);
    w.bytes(&flags.to_ne_bytes())?;
    debug_assert_eq!(w.pos(), in6_aliasreq::LIFETIME);
    w.zeros(16)?; // expire and preferred times: computed by the kernel from the lifetimes
    debug_assert_eq!(w.pos(), in6_aliasreq::VLTIME);
    w.bytes(&INFINITE_LIFETIME.to_ne_bytes())?;
    debug_assert_eq!(w.pos(), in6_aliasreq::PLTIME);
    w.bytes(&preferred.unwrap_or(INFINITE_LIFETIME).to_ne_bytes())?;
    debug_assert_eq!(w.pos(), in6_aliasreq::VHID);
    w.bytes(&i32::from(vhid).to_ne_bytes())?;
    w.zeros(4) // tail padding to the struct's 8-byte alignment
}

/// Field offsets in `struct in6_addrpolicy`.
pub mod in6_addrpolicy {
    pub const ADDR: usize = 0;
    pub const ADDRMASK: usize = 28;
    pub const PRECED: usize = 56;
    pub const LABEL: usize = 60;
    pub const USE: usize = 64;
}

/// `struct in6_addrpolicy` for exactly `addr`/128 with `label`, for `SIOCAADDRCTL_POLICY`
/// (`EEXIST` when the prefix has an entry) and `SIOCDADDRCTL_POLICY` (matched by prefix and
/// mask). The label is a C `int`; -1 means "no label" to the kernel and is refused by it.
pub fn in6_addrpolicy(
    buf: &mut [u8; IN6_ADDRPOLICY_LEN],
    addr: Ipv6Addr,
    label: u32,
) -> Result<(), Overflow> {
    let mut w = Writer::new(buf);
    debug_assert_eq!(w.pos(), in6_addrpolicy::ADDR);
    sockaddr_in6(&mut w, addr)?;
    debug_assert_eq!(w.pos(), in6_addrpolicy::ADDRMASK);
    sockaddr_in6(&mut w, crate::addr::v6_mask(128))?;
    debug_assert_eq!(w.pos(), in6_addrpolicy::PRECED);
    w.bytes(&ADDRPOLICY_PRECEDENCE.to_ne_bytes())?;
    debug_assert_eq!(w.pos(), in6_addrpolicy::LABEL);
    w.bytes(&label.to_ne_bytes())?;
    debug_assert_eq!(w.pos(), in6_addrpolicy::USE);
    w.zeros(8)
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

/// `struct ifreq` with only the name set, for `SIOCGIFFLAGS` and `BIOCSETIF`.
pub fn ifreq_name(buf: &mut [u8; IFREQ_LEN], name: &IfName) -> Result<(), Overflow> {
    let mut w = Writer::new(buf);
    w.bytes(&name.to_c())?;
    w.zeros(IFREQ_LEN - IFNAMSIZ)
}

/// The interface flags from a `SIOCGIFFLAGS` reply (`ifr_flags` low 16 bits, `ifr_flagshigh`
/// high 16 bits).
pub fn ifreq_flags(buf: &[u8; IFREQ_LEN]) -> u32 {
    let lo = u16::from_ne_bytes([buf[IFR_IFRU], buf[IFR_IFRU + 1]]);
    let hi = u16::from_ne_bytes([buf[IFR_IFRU + 2], buf[IFR_IFRU + 3]]);
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
    u32::from_ne_bytes([
        buf[IFR_IFRU],
        buf[IFR_IFRU + 1],
        buf[IFR_IFRU + 2],
        buf[IFR_IFRU + 3],
    ])
}
