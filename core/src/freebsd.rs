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

use crate::ifname::IfName;
use core::marker::PhantomData;
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

/// Field offsets of the ioctl structures, checked against the headers by
/// xtask/fixtures/freebsd-headers/layout.c. (A field an encoder leaves zero is named for the tests.)
#[cfg_attr(not(test), allow(dead_code))]
mod field {
    crate::wire::offsets! {
        /// `struct sockaddr_in`.
        sockaddr_in { LEN = 0, FAMILY = 1, ADDR = 4 }
        /// `struct sockaddr_in6`.
        sockaddr_in6 { LEN = 0, FAMILY = 1, ADDR = 8 }
        /// `struct ifreq` and `struct in6_ifreq`: the name, then a union.
        ifreq {
            NAME = 0, ADDR = 16, FLAGS = 16, FLAGSHIGH = 18,
            /// `ifru_flags6` of `struct in6_ifreq`.
            FLAGS6 = 16,
        }
        /// `struct in_aliasreq`.
        in_aliasreq { NAME = 0, ADDR = 16, BROADADDR = 32, MASK = 48, VHID = 64 }
        /// `struct in6_aliasreq`.
        in6_aliasreq {
            NAME = 0, ADDR = 16,
            /// Left all zero: no destination (`AF_UNSPEC`).
            DSTADDR = 44,
            PREFIXMASK = 72, FLAGS = 100,
            /// `struct in6_addrlifetime`: `time_t expire, preferred` (left zero, the kernel
            /// computes them), then `u_int32_t vltime, pltime`.
            LIFETIME = 104,
            VLTIME = 120, PLTIME = 124, VHID = 128,
        }
        /// `struct in6_addrpolicy`.
        in6_addrpolicy {
            ADDR = 0, ADDRMASK = 28, PRECED = 56, LABEL = 60,
            /// `use`: a counter the kernel keeps, zero in requests.
            USE = 64,
        }
    }
}

/// A structure an ioctl takes as its argument, `LEN` bytes long.
pub trait IoctlArg {
    /// `sizeof` the structure: part of the request number, and what the kernel copies.
    const LEN: usize;
}

/// An ioctl request number tied to the one argument type `T` it takes, so that a request
/// cannot be issued with another structure. `SIOCDIFADDR` takes an [`IfreqAddr`], which only a
/// [`Target`] builds; a name-only [`Ifreq`] is a type error there:
///
/// ```
/// # use ifaddr_core::freebsd::*;
/// # use ifaddr_core::ifname::IfName;
/// fn issue<T: IoctlArg>(request: Ioctl<T>, arg: &mut T) -> u32 {
///     request.number()
/// }
/// let em0 = IfName::parse("em0").unwrap();
/// let ip = Target::v4("192.0.2.1".parse().unwrap()).unwrap();
/// issue(SIOCDIFADDR, &mut IfreqAddr::new(&em0, ip));
/// issue(SIOCGIFFLAGS, &mut Ifreq::new(&em0));
/// ```
///
/// ```compile_fail,E0308
/// # use ifaddr_core::freebsd::*;
/// # use ifaddr_core::ifname::IfName;
/// fn issue<T: IoctlArg>(request: Ioctl<T>, arg: &mut T) -> u32 {
///     request.number()
/// }
/// let em0 = IfName::parse("em0").unwrap();
/// // On FreeBSD this would delete em0's first address.
/// issue(SIOCDIFADDR, &mut Ifreq::new(&em0));
/// ```
pub struct Ioctl<T> {
    number: u32,
    arg: PhantomData<fn(&mut T)>,
}

impl<T> Ioctl<T> {
    /// The number to pass to `ioctl(2)`.
    pub const fn number(self) -> u32 {
        self.number
    }
}

impl<T: IoctlArg> Ioctl<T> {
    /// `_IOW(group, num, T)`.
    pub(crate) const fn w(group: u8, num: u8) -> Self {
        Ioctl {
            number: iow(group, num, T::LEN),
            arg: PhantomData,
        }
    }

    /// `_IOR(group, num, T)`.
    pub(crate) const fn r(group: u8, num: u8) -> Self {
        Ioctl {
            number: ior(group, num, T::LEN),
            arg: PhantomData,
        }
    }

    /// `_IOWR(group, num, T)`.
    const fn wr(group: u8, num: u8) -> Self {
        Ioctl {
            number: iowr(group, num, T::LEN),
            arg: PhantomData,
        }
    }
}

/// A C `u_int`.
impl IoctlArg for u32 {
    const LEN: usize = 4;
}

impl<T> Clone for Ioctl<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Ioctl<T> {}

impl<T> core::fmt::Debug for Ioctl<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Ioctl({:#x})", self.number)
    }
}

/// `SIOCAIFADDR` is declared with `struct ifaliasreq`, the same size as `struct in_aliasreq`.
pub const SIOCAIFADDR: Ioctl<InAliasreq> = Ioctl::w(b'i', 43);
pub const SIOCDIFADDR: Ioctl<IfreqAddr> = Ioctl::w(b'i', 25);
pub const SIOCGIFFLAGS: Ioctl<Ifreq> = Ioctl::wr(b'i', 17);
pub const SIOCAIFADDR_IN6: Ioctl<In6Aliasreq> = Ioctl::w(b'i', 27);
pub const SIOCDIFADDR_IN6: Ioctl<In6Ifreq> = Ioctl::w(b'i', 25);
pub const SIOCGIFAFLAG_IN6: Ioctl<In6Ifreq> = Ioctl::wr(b'i', 73);
pub const SIOCAADDRCTL_POLICY: Ioctl<In6Addrpolicy> = Ioctl::w(b'u', 108);
pub const SIOCDADDRCTL_POLICY: Ioctl<In6Addrpolicy> = Ioctl::w(b'u', 109);
/// `BIOCSETIF`: bind a bpf descriptor to an interface (`struct ifreq`, name only).
pub const BIOCSETIF: Ioctl<Ifreq> = Ioctl::w(b'B', 108);
/// The precedence ifaddr's policy entries carry: that of the default entry `::/0` (RFC 6724),
/// so that only the label differs from what the address had without an entry.
pub const ADDRPOLICY_PRECEDENCE: i32 = 40;
pub use bpf::BIOCSHDRCMPLT;

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

/// A `struct sockaddr_in` for `a`.
pub(crate) fn sockaddr_in(a: Ipv4Addr) -> [u8; SOCKADDR_IN_LEN] {
    use field::sockaddr_in as f;
    let mut sa: [u8; SOCKADDR_IN_LEN] = build(&[(f::ADDR, &a.octets())]);
    sa[f::LEN] = SOCKADDR_IN_LEN as u8;
    sa[f::FAMILY] = AF_INET;
    sa
}

/// A `struct sockaddr_in6` for `a`, scope id 0.
pub(crate) fn sockaddr_in6(a: Ipv6Addr) -> [u8; SOCKADDR_IN6_LEN] {
    use field::sockaddr_in6 as f;
    let mut sa: [u8; SOCKADDR_IN6_LEN] = build(&[(f::ADDR, &a.octets())]);
    sa[f::LEN] = SOCKADDR_IN6_LEN as u8;
    sa[f::FAMILY] = AF_INET6;
    sa
}

/// A structure of `N` bytes: zeros, with each `(offset, bytes)` of `fields` written over them
/// (the offsets are the constants of `field`, which fit their structures).
fn build<const N: usize>(fields: &[(usize, &[u8])]) -> [u8; N] {
    let mut b = [0u8; N];
    for &(off, value) in fields {
        b[off..off + value.len()].copy_from_slice(value);
    }
    b
}

macro_rules! request {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        #[repr(transparent)]
        pub struct $name([u8; $len]);

        impl IoctlArg for $name {
            const LEN: usize = $len;
        }

        impl $name {
            /// The structure's bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&&self.0[..]).finish()
            }
        }
    };
}

request!(
    /// `struct in_aliasreq` for [`SIOCAIFADDR`].
    InAliasreq,
    IN_ALIASREQ_LEN
);
request!(
    /// `struct in6_aliasreq` for [`SIOCAIFADDR_IN6`].
    In6Aliasreq,
    IN6_ALIASREQ_LEN
);
request!(
    /// `struct ifreq` with only the name set, for [`SIOCGIFFLAGS`] and [`BIOCSETIF`].
    Ifreq,
    IFREQ_LEN
);
request!(
    /// `struct ifreq` naming one IPv4 address, for [`SIOCDIFADDR`].
    IfreqAddr,
    IFREQ_LEN
);
request!(
    /// `struct in6_ifreq` naming one IPv6 address, for [`SIOCDIFADDR_IN6`] and
    /// [`SIOCGIFAFLAG_IN6`].
    In6Ifreq,
    IN6_IFREQ_LEN
);
request!(
    /// `struct in6_addrpolicy`, for [`SIOCAADDRCTL_POLICY`] and [`SIOCDADDRCTL_POLICY`].
    In6Addrpolicy,
    IN6_ADDRPOLICY_LEN
);

impl InAliasreq {
    /// `broadcast: None` leaves the field zero, and the kernel then computes the directed
    /// broadcast itself on broadcast interfaces.
    pub fn new(
        name: &IfName,
        addr: Ipv4Addr,
        prefix: u8,
        broadcast: Option<Ipv4Addr>,
        vhid: u8,
    ) -> InAliasreq {
        use field::in_aliasreq as f;
        let broadcast = broadcast.map_or([0; SOCKADDR_IN_LEN], sockaddr_in);
        let mask = sockaddr_in(crate::addr::v4_mask(prefix));
        InAliasreq(build(&[
            (f::NAME, &name.to_c()),
            (f::ADDR, &sockaddr_in(addr)),
            (f::BROADADDR, &broadcast),
            (f::MASK, &mask),
            (f::VHID, &i32::from(vhid).to_ne_bytes()),
        ]))
    }
}

impl In6Aliasreq {
    /// Lifetimes are always set: a zero valid lifetime makes the kernel silently not add the
    /// address, so `valid` is infinite and `preferred` is `None` (infinite) or the given
    /// seconds. The destination stays unset and the expiry times are the kernel's to compute.
    pub fn new(
        name: &IfName,
        addr: Ipv6Addr,
        prefix: u8,
        flags: u32,
        preferred: Option<u32>,
        vhid: u8,
    ) -> In6Aliasreq {
        use field::in6_aliasreq as f;
        let pltime = preferred.unwrap_or(INFINITE_LIFETIME);
        let mut b: [u8; IN6_ALIASREQ_LEN] = build(&[
            (f::NAME, &name.to_c()),
            (f::ADDR, &sockaddr_in6(addr)),
            (f::PREFIXMASK, &sockaddr_in6(crate::addr::v6_mask(prefix))),
        ]);
        let words = [
            (f::FLAGS, flags),
            (f::VLTIME, INFINITE_LIFETIME),
            (f::PLTIME, pltime),
            (f::VHID, u32::from(vhid)),
        ];
        for (off, v) in words {
            b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        }
        In6Aliasreq(b)
    }
}

impl In6Addrpolicy {
    /// The entry for exactly `addr`/128 with `label`: [`SIOCAADDRCTL_POLICY`] fails with
    /// `EEXIST` when the prefix has an entry, [`SIOCDADDRCTL_POLICY`] matches by prefix and
    /// mask. The label is a C `int`; -1 means "no label" to the kernel and is refused by it.
    /// The use count stays zero.
    pub fn new(addr: Ipv6Addr, label: u32) -> In6Addrpolicy {
        use field::in6_addrpolicy as f;
        let host = sockaddr_in6(crate::addr::v6_mask(128));
        In6Addrpolicy(build(&[
            (f::ADDR, &sockaddr_in6(addr)),
            (f::ADDRMASK, &host),
            (f::PRECED, &ADDRPOLICY_PRECEDENCE.to_ne_bytes()),
            (f::LABEL, &label.to_ne_bytes()),
        ]))
    }
}

/// A `struct ifreq` or `struct in6_ifreq` naming one address (a socket address's bytes).
fn ifreq_naming<const N: usize>(name: &IfName, sockaddr: &[u8]) -> [u8; N] {
    build(&[
        (field::ifreq::NAME, &name.to_c()),
        (field::ifreq::ADDR, sockaddr),
    ])
}

impl IfreqAddr {
    pub fn new(name: &IfName, addr: Target<Ipv4Addr>) -> IfreqAddr {
        IfreqAddr(ifreq_naming(name, &sockaddr_in(addr.0)))
    }
}

impl Ifreq {
    pub fn new(name: &IfName) -> Ifreq {
        Ifreq(build(&[(field::ifreq::NAME, &name.to_c())]))
    }

    /// The interface flags after [`SIOCGIFFLAGS`].
    pub fn flags(&self) -> u32 {
        ifreq_flags(&self.0)
    }
}

impl In6Ifreq {
    pub fn new(name: &IfName, addr: Target<Ipv6Addr>) -> In6Ifreq {
        In6Ifreq(ifreq_naming(name, &sockaddr_in6(addr.0)))
    }

    /// The address flags (`IN6_IFF_*`) after [`SIOCGIFAFLAG_IN6`].
    pub fn flags6(&self) -> u32 {
        in6_ifreq_flags(&self.0)
    }
}

/// The interface flags from a `SIOCGIFFLAGS` reply (`ifr_flags` low 16 bits, `ifr_flagshigh`
/// high 16 bits).
pub fn ifreq_flags(buf: &[u8; IFREQ_LEN]) -> u32 {
    use field::ifreq as f;
    let lo = u16::from_ne_bytes([buf[f::FLAGS], buf[f::FLAGS + 1]]);
    let hi = u16::from_ne_bytes([buf[f::FLAGSHIGH], buf[f::FLAGSHIGH + 1]]);
    u32::from(lo) | (u32::from(hi) << 16)
}

/// `ifru_flags6` from a `SIOCGIFAFLAG_IN6` reply.
pub fn in6_ifreq_flags(buf: &[u8; IN6_IFREQ_LEN]) -> u32 {
    let f = field::ifreq::FLAGS6;
    u32::from_ne_bytes([buf[f], buf[f + 1], buf[f + 2], buf[f + 3]])
}
