//! rtnetlink (Linux `NETLINK_ROUTE`): request encoders and reply parsers.
//!
//! Layouts are those of Linux's uapi headers (`linux/netlink.h`, `linux/rtnetlink.h`,
//! `linux/if_addr.h`, `linux/if_link.h`); every multi-byte field is in native byte order.
//! Requests are written into a caller's buffer; replies are read through [`Messages`], an
//! iterator that stops at the first malformed header and never reads past its input.

use crate::addr::Family;
use crate::ifname::{IfName, IFNAMSIZ};
use crate::wire::{align_up, emit_into, get, i32_at, measure, u16_at, u32_at, u64_at, Cursor};
use crate::{Encoded, Frames, Overflow, ParseError, Split};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `sizeof(struct nlmsghdr)`.
pub const NLMSG_HDRLEN: usize = 16;

/// Field offsets of the structures this module reads and writes, in bytes from the start of
/// each structure (`linux/netlink.h`, `linux/rtnetlink.h`, `linux/if_addr.h`,
/// `linux/if_link.h`, `linux/if_addrlabel.h`).
mod field {
    crate::wire::offsets! {
        /// `struct nlmsghdr`.
        nlmsghdr { LEN = 0, TYPE = 4, FLAGS = 6, SEQ = 8, PID = 12 }
        /// `struct nlmsgerr`, the payload of `NLMSG_ERROR` (and of `NLMSG_DONE`: its error alone).
        nlmsgerr { ERROR = 0 }
        /// `struct rtattr`.
        rtattr { LEN = 0, TYPE = 2 }
        /// `struct ifaddrmsg`.
        ifaddrmsg { FAMILY = 0, PREFIXLEN = 1, FLAGS = 2, SCOPE = 3, INDEX = 4 }
        /// `struct ifa_cacheinfo`.
        ifa_cacheinfo { PREFERED = 0, VALID = 4, LEN = 16 }
        /// `struct ifinfomsg`.
        ifinfomsg { FAMILY = 0, INDEX = 4, FLAGS = 8 }
        /// `struct rtmsg`.
        rtmsg { FAMILY = 0, DST_LEN = 1, TABLE = 4, PROTOCOL = 5, SCOPE = 6, TYPE = 7 }
        /// `struct ifaddrlblmsg`.
        ifaddrlblmsg { FAMILY = 0, PREFIXLEN = 2 }
        /// `struct rtnl_link_stats64`: the first eight counters, each a `__u64`.
        rtnl_link_stats64 {
            RX_PACKETS = 0, TX_PACKETS = 8, RX_BYTES = 16, TX_BYTES = 24, RX_ERRORS = 32,
            TX_ERRORS = 40, RX_DROPPED = 48, TX_DROPPED = 56,
        }
    }
}

pub const NLMSG_NOOP: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLMSG_OVERRUN: u16 = 4;

pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_MULTI: u16 = 0x02;
pub const NLM_F_ACK: u16 = 0x04;
pub const NLM_F_DUMP_INTR: u16 = 0x10;
pub const NLM_F_DUMP: u16 = 0x300;
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_GETROUTE: u16 = 26;
pub const RTM_NEWADDRLABEL: u16 = 72;
pub const RTM_DELADDRLABEL: u16 = 73;
/// `struct ifaddrlblmsg`: family, reserved, prefix length, flags, interface index, sequence.
pub const IFADDRLBLMSG_LEN: usize = 12;
pub const IFAL_ADDRESS: u16 = 1;
pub const IFAL_LABEL: u16 = 2;

pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;
pub const AF_UNSPEC: u8 = 0;

/// `struct ifaddrmsg`: family, prefixlen, flags, scope, index.
pub const IFADDRMSG_LEN: usize = 8;
pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;
pub const IFA_LABEL: u16 = 3;
pub const IFA_BROADCAST: u16 = 4;
pub const IFA_CACHEINFO: u16 = 6;
pub const IFA_FLAGS: u16 = 8;
/// The priority (metric) of the prefix route added with the address (Linux 4.18+).
pub const IFA_RT_PRIORITY: u16 = 9;

pub const IFA_F_SECONDARY: u32 = 0x01;
pub const IFA_F_NODAD: u32 = 0x02;
pub const IFA_F_OPTIMISTIC: u32 = 0x04;
pub const IFA_F_DADFAILED: u32 = 0x08;
pub const IFA_F_DEPRECATED: u32 = 0x20;
pub const IFA_F_TENTATIVE: u32 = 0x40;
pub const IFA_F_PERMANENT: u32 = 0x80;
/// Add no prefix route for the address.
pub const IFA_F_NOPREFIXROUTE: u32 = 0x200;

pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_LINK: u8 = 253;
pub const RT_SCOPE_HOST: u8 = 254;

/// `struct ifinfomsg`: family, pad, type, index, flags, change.
pub const IFINFOMSG_LEN: usize = 16;
pub const IFLA_ADDRESS: u16 = 1;
pub const IFLA_IFNAME: u16 = 3;
pub const IFLA_MTU: u16 = 4;
pub const IFLA_OPERSTATE: u16 = 16;
pub const IFLA_STATS64: u16 = 23;
pub const IFLA_EXT_MASK: u16 = 29;
pub const IFLA_CARRIER: u16 = 33;
pub const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;

pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_RUNNING: u32 = 0x40;
pub const IFF_NOARP: u32 = 0x80;
pub const IFF_LOWER_UP: u32 = 0x1_0000;

/// `struct rtmsg`: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
pub const RTMSG_LEN: usize = 12;
pub const RTA_DST: u16 = 1;
pub const RTA_OIF: u16 = 4;
pub const RTA_GATEWAY: u16 = 5;
pub const RTA_PRIORITY: u16 = 6;
pub const RTA_MULTIPATH: u16 = 9;
pub const RTA_TABLE: u16 = 15;
pub const RTA_VIA: u16 = 18;
pub const RT_TABLE_MAIN: u32 = 254;
pub const RTN_UNICAST: u8 = 1;

/// `sizeof(struct rtattr)`.
const RTA_HDRLEN: usize = 4;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// The one attribute writer: `struct rtattr` then `value`, padded to 4 bytes. Every value
/// this module sends is an array of at most 16 bytes, so its length is a constant checked at
/// compile time, not a conversion that could cut it.
fn attr<const N: usize>(c: &mut Cursor<'_>, ty: u16, value: &[u8; N]) {
    let len: u16 = const {
        assert!(RTA_HDRLEN + N <= 20);
        (RTA_HDRLEN + N) as u16
    };
    rtattr(c, len, ty, value);
}

fn rtattr(c: &mut Cursor<'_>, len: u16, ty: u16, value: &[u8]) {
    use field::rtattr as f;
    let mut h = [0u8; RTA_HDRLEN];
    h[f::LEN..f::LEN + 2].copy_from_slice(&len.to_ne_bytes());
    h[f::TYPE..f::TYPE + 2].copy_from_slice(&ty.to_ne_bytes());
    c.put(&h);
    c.put(value);
    c.pad_to(4);
}

/// An address attribute: 4 bytes for IPv4, 16 for IPv6.
fn attr_ip(c: &mut Cursor<'_>, ty: u16, ip: &IpAddr) {
    match ip {
        IpAddr::V4(a) => attr(c, ty, &a.octets()),
        IpAddr::V6(a) => attr(c, ty, &a.octets()),
    }
}

/// A NUL-terminated name attribute (`IFLA_IFNAME`, `IFA_LABEL`).
fn attr_name(c: &mut Cursor<'_>, ty: u16, name: &Name) {
    let value = &name.c[..usize::from(name.len) + 1];
    rtattr(c, RTA_HDRLEN as u16 + u16::from(name.len) + 1, ty, value);
}

/// `struct nlmsghdr` with the message's total length `len`.
fn header(c: &mut Cursor<'_>, len: usize, ty: u16, flags: u16, seq: u32) {
    use field::nlmsghdr as f;
    // A request is at most REQUEST_MAX bytes; the sender's port id stays 0 (the kernel's).
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    let mut h = [0u8; NLMSG_HDRLEN];
    h[f::LEN..f::LEN + 4].copy_from_slice(&len.to_ne_bytes());
    h[f::TYPE..f::TYPE + 2].copy_from_slice(&ty.to_ne_bytes());
    h[f::FLAGS..f::FLAGS + 2].copy_from_slice(&flags.to_ne_bytes());
    h[f::SEQ..f::SEQ + 4].copy_from_slice(&seq.to_ne_bytes());
    c.put(&h);
}

/// `struct ifaddrmsg`.
fn ifaddrmsg(c: &mut Cursor<'_>, family: u8, prefix: u8, flags: u8, scope: u8, index: u32) {
    use field::ifaddrmsg as f;
    let mut m = [0u8; IFADDRMSG_LEN];
    m[f::FAMILY] = family;
    m[f::PREFIXLEN] = prefix;
    m[f::FLAGS] = flags;
    m[f::SCOPE] = scope;
    m[f::INDEX..f::INDEX + 4].copy_from_slice(&index.to_ne_bytes());
    c.put(&m);
}

/// `struct ifa_cacheinfo` with the two lifetimes (the time stamps are the kernel's).
fn cacheinfo(preferred: u32, valid: u32) -> [u8; field::ifa_cacheinfo::LEN] {
    use field::ifa_cacheinfo as f;
    let mut ci = [0u8; f::LEN];
    ci[f::PREFERED..f::PREFERED + 4].copy_from_slice(&preferred.to_ne_bytes());
    ci[f::VALID..f::VALID + 4].copy_from_slice(&valid.to_ne_bytes());
    ci
}

fn family_byte(f: Family) -> u8 {
    match f {
        Family::V4 => AF_INET,
        Family::V6 => AF_INET6,
    }
}

/// A name of at most 15 bytes as the kernel takes it: NUL-terminated in `char[IFNAMSIZ]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name {
    c: [u8; IFNAMSIZ],
    /// The name's length (at most 15), without the NUL.
    len: u8,
}

impl Name {
    fn of(name: &IfName) -> Name {
        let c = name.to_c();
        // An interface name is 1 to 15 bytes without a NUL; the 16th byte is always 0.
        let len = c.iter().fold(0u8, |n, &b| n + u8::from(b != 0));
        Name { c, len }
    }
}

/// An IPv4 address label (`IFA_LABEL`, `nic:label` by convention): at most 15 bytes, like an
/// interface name, and never cut to fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(Name);

impl Label {
    /// `s` as a label; `Err(Overflow)` when it is longer than 15 bytes or holds a NUL.
    pub fn new(s: &str) -> Result<Label, Overflow> {
        let b = s.as_bytes();
        if b.len() >= IFNAMSIZ || b.contains(&0) {
            return Err(Overflow);
        }
        let mut c = [0u8; IFNAMSIZ];
        c[..b.len()].copy_from_slice(b);
        let len = u8::try_from(b.len()).map_err(|_| Overflow)?;
        Ok(Label(Name { c, len }))
    }

    /// `nic:label`, the label `ip addr add ... label` gives an address on `nic`.
    pub fn alias(nic: &IfName, label: &str) -> Result<Label, Overflow> {
        let mut s = heapless::String::<15>::new();
        s.push_str(nic.as_str()).map_err(|_| Overflow)?;
        s.push(':').map_err(|_| Overflow)?;
        s.push_str(label).map_err(|_| Overflow)?;
        Label::new(&s)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0.c[..usize::from(self.0.len)]
    }
}

/// An address to add (`RTM_NEWADDR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrRequest {
    pub index: u32,
    pub ip: IpAddr,
    pub prefix: u8,
    pub broadcast: Option<Ipv4Addr>,
    /// `IFA_F_*` flags (for example [`IFA_F_NODAD`]).
    pub flags: u32,
    /// `nic:label`, IPv4 only.
    pub label: Option<Label>,
    /// (preferred, valid) lifetimes in seconds; `None` is forever.
    pub lifetimes: Option<(u32, u32)>,
    /// The prefix route's metric (`IFA_RT_PRIORITY`); `None` is the kernel's default.
    pub metric: Option<u32>,
}

/// The interface an `RTM_GETLINK` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRef<'a> {
    Index(u32),
    Name(&'a IfName),
}

/// The longest request [`Request`] builds (an `RTM_NEWADDR` with every attribute).
pub const REQUEST_MAX: usize = 128;

/// An rtnetlink request. [`Request::buffer_len`] is its exact length; [`Request::emit`]
/// writes it into a caller's buffer and [`Request::encode`] into a [`Encoded`] of
/// [`REQUEST_MAX`] bytes, which cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// `RTM_NEWADDR` with `NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK`: fails with `EEXIST` rather
    /// than touching an address that is already there.
    NewAddr(&'a AddrRequest),
    /// `RTM_DELADDR` for exactly `ip/prefix` on interface `index`. The kernel matches the local
    /// address, the prefix length and the interface, so no other address can be removed.
    DelAddr { index: u32, ip: IpAddr, prefix: u8 },
    /// An IPv6 address-selection label (RFC 6724 policy table) for exactly `ip/128` on every
    /// interface: `RTM_NEWADDRLABEL` (`add`, with `NLM_F_CREATE | NLM_F_EXCL`: `EEXIST` when
    /// the prefix has a label already) or `RTM_DELADDRLABEL` (the kernel matches prefix, length
    /// and interface; `label` must be given but is not compared). As `ip addrlabel add|del
    /// prefix IP label N` sends them.
    AddrLabel { add: bool, ip: Ipv6Addr, label: u32 },
    /// `RTM_GETADDR` dump of one family; with strict checking on, `index` (when non-zero)
    /// makes the kernel return only that interface's addresses.
    GetAddrs { family: Family, index: u32 },
    /// `RTM_GETADDR` for one IPv6 address on interface `index` (not a dump): the kernel
    /// answers with that address alone, or `EADDRNOTAVAIL`. IPv4 has no such request.
    GetAddrV6 { index: u32, ip: Ipv6Addr },
    /// `RTM_GETLINK` for one interface, by index or by name; statistics included. The kernel
    /// answers with the link, then an acknowledgement.
    GetLink(LinkRef<'a>),
    /// `RTM_GETROUTE` dump of the main table of one family.
    GetRoutes { family: Family },
}

impl Request<'_> {
    /// The message's exact length in bytes (at most [`REQUEST_MAX`]).
    pub fn buffer_len(&self) -> usize {
        measure(|c, len| self.write(c, len, 0))
    }

    /// Write the message with sequence number `seq` into `buf`; returns its length.
    /// `Overflow` only when `buf` is shorter than [`Request::buffer_len`] (nothing is written
    /// then).
    pub fn emit(&self, seq: u32, buf: &mut [u8]) -> Result<usize, Overflow> {
        emit_into(buf, |c, len| self.write(c, len, seq))
    }

    /// The message with sequence number `seq`.
    pub fn encode(&self, seq: u32) -> Encoded<REQUEST_MAX> {
        Encoded::build(|c, len| self.write(c, len, seq))
    }

    fn write(&self, c: &mut Cursor<'_>, len: usize, seq: u32) {
        const ACK: u16 = NLM_F_REQUEST | NLM_F_ACK;
        const CREATE: u16 = ACK | NLM_F_CREATE | NLM_F_EXCL;
        const DUMP: u16 = NLM_F_REQUEST | NLM_F_DUMP;
        match *self {
            Request::NewAddr(r) => {
                header(c, len, RTM_NEWADDR, CREATE, seq);
                let family = family_byte(Family::of(&r.ip));
                // The ifaddrmsg flags byte holds only the low eight flag bits; IFA_FLAGS
                // carries all 32.
                let low = r.flags.to_le_bytes()[0];
                ifaddrmsg(c, family, r.prefix, low, RT_SCOPE_UNIVERSE, r.index);
                // Attribute order as iproute2 sends it, so the request is byte-for-byte what
                // `ip addr add` sends (see the test vectors).
                attr_ip(c, IFA_LOCAL, &r.ip);
                if let Some(bc) = r.broadcast {
                    attr(c, IFA_BROADCAST, &bc.octets());
                }
                attr_ip(c, IFA_ADDRESS, &r.ip);
                if let Some(l) = &r.label {
                    attr_name(c, IFA_LABEL, &l.0);
                }
                if let Some((pref, valid)) = r.lifetimes {
                    attr(c, IFA_CACHEINFO, &cacheinfo(pref, valid));
                }
                // Flags that fit the header byte travel there only (as iproute2 does); the
                // kernel reads IFA_FLAGS when present and the byte otherwise.
                if let Some(m) = r.metric {
                    attr(c, IFA_RT_PRIORITY, &m.to_ne_bytes());
                }
                if r.flags > 0xff {
                    attr(c, IFA_FLAGS, &r.flags.to_ne_bytes());
                }
            }
            Request::DelAddr { index, ip, prefix } => {
                header(c, len, RTM_DELADDR, ACK, seq);
                ifaddrmsg(c, family_byte(Family::of(&ip)), prefix, 0, 0, index);
                attr_ip(c, IFA_LOCAL, &ip);
                attr_ip(c, IFA_ADDRESS, &ip);
            }
            Request::AddrLabel { add, ip, label } => {
                if add {
                    header(c, len, RTM_NEWADDRLABEL, CREATE, seq);
                } else {
                    header(c, len, RTM_DELADDRLABEL, ACK, seq);
                }
                // struct ifaddrlblmsg: interface 0 (every interface), no flags, and a
                // sequence number unused in requests.
                let mut m = [0u8; IFADDRLBLMSG_LEN];
                m[field::ifaddrlblmsg::FAMILY] = AF_INET6;
                m[field::ifaddrlblmsg::PREFIXLEN] = 128;
                c.put(&m);
                // Attribute order as iproute2 sends it.
                attr(c, IFAL_LABEL, &label.to_ne_bytes());
                attr(c, IFAL_ADDRESS, &ip.octets());
            }
            Request::GetAddrs { family, index } => {
                header(c, len, RTM_GETADDR, DUMP, seq);
                ifaddrmsg(c, family_byte(family), 0, 0, 0, index);
            }
            Request::GetAddrV6 { index, ip } => {
                header(c, len, RTM_GETADDR, ACK, seq);
                ifaddrmsg(c, AF_INET6, 0, 0, 0, index);
                attr(c, IFA_ADDRESS, &ip.octets());
            }
            Request::GetLink(which) => {
                header(c, len, RTM_GETLINK, ACK, seq);
                let index = match which {
                    LinkRef::Index(i) => i,
                    LinkRef::Name(_) => 0,
                };
                // struct ifinfomsg: no type, flags or change mask.
                use field::ifinfomsg as f;
                let mut m = [0u8; IFINFOMSG_LEN];
                m[f::FAMILY] = AF_UNSPEC;
                m[f::INDEX..f::INDEX + 4].copy_from_slice(&index.to_ne_bytes());
                c.put(&m);
                if let LinkRef::Name(n) = which {
                    attr_name(c, IFLA_IFNAME, &Name::of(n));
                }
            }
            Request::GetRoutes { family } => {
                header(c, len, RTM_GETROUTE, DUMP, seq);
                // struct rtmsg: only the family and the table are set.
                let mut m = [0u8; RTMSG_LEN];
                m[field::rtmsg::FAMILY] = family_byte(family);
                m[field::rtmsg::TABLE] = RT_TABLE_MAIN.to_le_bytes()[0];
                c.put(&m);
            }
        }
    }
}

/// One netlink message in a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
    /// Everything after the 16-byte header, up to the header's length.
    pub payload: &'a [u8],
}

/// The messages in one `recv` of a netlink socket. Yields `Err` once, then stops, when a
/// header is truncated or its length is impossible.
pub type Messages<'a> = Frames<'a, Message<'a>>;

/// A `struct nlmsghdr` whose length covers the message; messages are aligned to 4 bytes.
impl<'a> Split<'a> for Message<'a> {
    fn split(b: &'a [u8]) -> Result<(Self, usize), ParseError> {
        use field::nlmsghdr as f;
        let t = ParseError::Truncated;
        let len = usize::try_from(u32_at(b, f::LEN).ok_or(t)?).unwrap_or(usize::MAX);
        if len < NLMSG_HDRLEN {
            return Err(ParseError::BadLength);
        }
        let m = Message {
            ty: u16_at(b, f::TYPE).ok_or(t)?,
            flags: u16_at(b, f::FLAGS).ok_or(t)?,
            seq: u32_at(b, f::SEQ).ok_or(t)?,
            pid: u32_at(b, f::PID).ok_or(t)?,
            payload: b.get(NLMSG_HDRLEN..len).ok_or(t)?,
        };
        Ok((m, align_up(len, 4).unwrap_or(len)))
    }
}

/// The error code of an `NLMSG_ERROR` payload: 0 is an acknowledgement, otherwise a negative
/// errno.
pub fn error_code(payload: &[u8]) -> Result<i32, ParseError> {
    i32_at(payload, field::nlmsgerr::ERROR).ok_or(ParseError::Truncated)
}

/// The attributes of a message, after its fixed part.
#[derive(Debug, Clone)]
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Attrs { rest: buf }
    }
}

impl<'a> Iterator for Attrs<'a> {
    /// (type without the nested/byte-order bits, value)
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.rest;
        let len = usize::from(u16_at(b, field::rtattr::LEN)?);
        let ty = u16_at(b, field::rtattr::TYPE)? & NLA_TYPE_MASK;
        if len < RTA_HDRLEN || len > b.len() {
            self.rest = &[];
            return None;
        }
        let val = &b[RTA_HDRLEN..len];
        let next = align_up(len, 4).unwrap_or(b.len()).min(b.len());
        self.rest = &b[next..];
        Some((ty, val))
    }
}

fn ip_from(family: u8, v: &[u8]) -> Option<IpAddr> {
    match family {
        AF_INET => get::<4>(v, 0)
            .filter(|_| v.len() == 4)
            .map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        AF_INET6 => get::<16>(v, 0)
            .filter(|_| v.len() == 16)
            .map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        _ => None,
    }
}

/// An address from an `RTM_NEWADDR` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    pub family: u8,
    pub prefix: u8,
    pub scope: u8,
    pub index: u32,
    /// All `IFA_F_*` flags (the 32-bit `IFA_FLAGS` attribute when present).
    pub flags: u32,
    /// The interface's own address: `IFA_LOCAL` when present (IPv4), else `IFA_ADDRESS`.
    pub ip: Option<IpAddr>,
    pub broadcast: Option<Ipv4Addr>,
    /// (preferred, valid) lifetimes in seconds.
    pub lifetimes: Option<(u32, u32)>,
}

impl AddrInfo {
    pub fn parse(payload: &[u8]) -> Result<AddrInfo, ParseError> {
        use field::ifaddrmsg as f;
        let h = get::<IFADDRMSG_LEN>(payload, 0).ok_or(ParseError::Truncated)?;
        let mut a = AddrInfo {
            family: h[f::FAMILY],
            prefix: h[f::PREFIXLEN],
            scope: h[f::SCOPE],
            index: u32_at(&h, f::INDEX).ok_or(ParseError::Truncated)?,
            flags: u32::from(h[f::FLAGS]),
            ip: None,
            broadcast: None,
            lifetimes: None,
        };
        let mut address = None;
        let mut local = None;
        for (ty, v) in Attrs::new(&payload[IFADDRMSG_LEN..]) {
            match ty {
                IFA_ADDRESS => address = ip_from(a.family, v),
                IFA_LOCAL => local = ip_from(a.family, v),
                IFA_BROADCAST => {
                    if let Some(IpAddr::V4(b)) = ip_from(AF_INET, v) {
                        a.broadcast = Some(b);
                    }
                }
                IFA_FLAGS => {
                    if let Some(f) = u32_at(v, 0) {
                        a.flags = f;
                    }
                }
                IFA_CACHEINFO => {
                    use field::ifa_cacheinfo as ci;
                    if let (Some(p), Some(vl)) = (u32_at(v, ci::PREFERED), u32_at(v, ci::VALID)) {
                        a.lifetimes = Some((p, vl));
                    }
                }
                _ => {}
            }
        }
        a.ip = local.or(address);
        Ok(a)
    }

    /// The length of [`AddrInfo::emit`]'s output.
    pub fn buffer_len(&self) -> usize {
        measure(|c, _| self.write(c))
    }

    /// Emit as the payload of an `RTM_NEWADDR` message (the inverse of [`AddrInfo::parse`] for
    /// the fields it keeps); used by tests and round-trip fuzzing. `Overflow` only when `buf`
    /// is shorter than [`AddrInfo::buffer_len`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Overflow> {
        emit_into(buf, |c, _| self.write(c))
    }

    fn write(&self, c: &mut Cursor<'_>) {
        let low = self.flags.to_le_bytes()[0];
        ifaddrmsg(c, self.family, self.prefix, low, self.scope, self.index);
        if let Some(ip) = &self.ip {
            attr_ip(c, IFA_LOCAL, ip);
        }
        if let Some(b) = self.broadcast {
            attr(c, IFA_BROADCAST, &b.octets());
        }
        if let Some((p, v)) = self.lifetimes {
            attr(c, IFA_CACHEINFO, &cacheinfo(p, v));
        }
        attr(c, IFA_FLAGS, &self.flags.to_ne_bytes());
    }
}

/// Interface counters from `IFLA_STATS64` (`struct rtnl_link_stats64`, first eight fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkStats {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
}

impl LinkStats {
    /// `None` when the attribute is shorter than the eight counters.
    fn parse(v: &[u8]) -> Option<LinkStats> {
        use field::rtnl_link_stats64 as f;
        Some(LinkStats {
            rx_packets: u64_at(v, f::RX_PACKETS)?,
            tx_packets: u64_at(v, f::TX_PACKETS)?,
            rx_bytes: u64_at(v, f::RX_BYTES)?,
            tx_bytes: u64_at(v, f::TX_BYTES)?,
            rx_errors: u64_at(v, f::RX_ERRORS)?,
            tx_errors: u64_at(v, f::TX_ERRORS)?,
            rx_dropped: u64_at(v, f::RX_DROPPED)?,
            tx_dropped: u64_at(v, f::TX_DROPPED)?,
        })
    }
}

/// An interface from an `RTM_NEWLINK` reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkInfo {
    pub index: u32,
    /// `IFF_*` flags.
    pub flags: u32,
    pub name: Option<crate::ifname::IfName>,
    pub mtu: Option<u32>,
    /// Hardware address (6 bytes for Ethernet), zero-length when none.
    pub hwaddr: heapless::Vec<u8, 32>,
    pub operstate: Option<u8>,
    pub carrier: Option<bool>,
    pub stats: Option<LinkStats>,
}

impl LinkInfo {
    pub fn parse(payload: &[u8]) -> Result<LinkInfo, ParseError> {
        use field::ifinfomsg as f;
        let h = get::<IFINFOMSG_LEN>(payload, 0).ok_or(ParseError::Truncated)?;
        let mut l = LinkInfo {
            index: u32_at(&h, f::INDEX).ok_or(ParseError::Truncated)?,
            flags: u32_at(&h, f::FLAGS).ok_or(ParseError::Truncated)?,
            ..LinkInfo::default()
        };
        for (ty, v) in Attrs::new(&payload[IFINFOMSG_LEN..]) {
            match ty {
                IFLA_IFNAME => l.name = crate::ifname::IfName::from_kernel(v),
                IFLA_MTU => l.mtu = u32_at(v, 0),
                IFLA_ADDRESS => {
                    l.hwaddr = heapless::Vec::from_slice(v).unwrap_or_default();
                }
                IFLA_OPERSTATE => l.operstate = v.first().copied(),
                IFLA_CARRIER => l.carrier = v.first().map(|&c| c != 0),
                IFLA_STATS64 => l.stats = LinkStats::parse(v),
                _ => {}
            }
        }
        Ok(l)
    }
}

/// A route from an `RTM_NEWROUTE` reply, reduced to what nic detection needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub family: u8,
    pub dst_len: u8,
    pub table: u32,
    pub kind: u8,
    pub scope: u8,
    /// `None` for the default route (no `RTA_DST`).
    pub dst: Option<IpAddr>,
    pub oif: Option<u32>,
    /// A gateway (`RTA_GATEWAY`/`RTA_VIA`) or several next hops (`RTA_MULTIPATH`).
    pub via_gateway: bool,
    pub priority: u32,
    /// `rtm_protocol`: who added the route (2 kernel, 3 boot, 4 static, ...).
    pub protocol: u8,
}

impl RouteInfo {
    pub fn parse(payload: &[u8]) -> Result<RouteInfo, ParseError> {
        use field::rtmsg as f;
        let h = get::<RTMSG_LEN>(payload, 0).ok_or(ParseError::Truncated)?;
        let mut r = RouteInfo {
            family: h[f::FAMILY],
            dst_len: h[f::DST_LEN],
            table: u32::from(h[f::TABLE]),
            kind: h[f::TYPE],
            scope: h[f::SCOPE],
            dst: None,
            oif: None,
            via_gateway: false,
            priority: 0,
            protocol: h[f::PROTOCOL],
        };
        for (ty, v) in Attrs::new(&payload[RTMSG_LEN..]) {
            match ty {
                RTA_DST => r.dst = ip_from(r.family, v),
                RTA_OIF => r.oif = u32_at(v, 0),
                RTA_GATEWAY | RTA_VIA | RTA_MULTIPATH => r.via_gateway = true,
                RTA_PRIORITY => r.priority = u32_at(v, 0).unwrap_or(0),
                RTA_TABLE => r.table = u32_at(v, 0).unwrap_or(r.table),
                _ => {}
            }
        }
        Ok(r)
    }

    /// Whether this is a connected (on-link) route of the main table that covers `ip`.
    pub fn is_connected_cover(&self, ip: &IpAddr) -> bool {
        let Some(dst) = &self.dst else { return false };
        self.table == RT_TABLE_MAIN
            && self.kind == RTN_UNICAST
            && !self.via_gateway
            && self.dst_len > 0
            && self.oif.is_some()
            && crate::addr::covers(dst, self.dst_len, ip)
    }
}

/// Pick nic-detection's answer among routes: the longest prefix, then the lowest metric, then
/// the lowest interface index. Deterministic for any order the kernel dumps routes in.
pub fn better_route(a: &RouteInfo, b: &RouteInfo) -> bool {
    (
        a.dst_len,
        core::cmp::Reverse(a.priority),
        core::cmp::Reverse(a.oif),
    ) > (
        b.dst_len,
        core::cmp::Reverse(b.priority),
        core::cmp::Reverse(b.oif),
    )
}

#[cfg(test)]
mod tests;
