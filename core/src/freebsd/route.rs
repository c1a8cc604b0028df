//! The routing socket (`PF_ROUTE`) and `sysctl NET_RT_IFLIST`: the `RTM_GET` request that
//! nic detection sends, and total parsers for the replies.
//!
//! Every message starts with `u_short msglen; u_char version; u_char type`, then a
//! type-specific header, then one socket address for each bit set in the header's `addrs`
//! mask, in `RTAX_*` order, each taking `SA_SIZE(sa)` bytes (its `sa_len` rounded up to
//! `sizeof(long)`, 8 here; a zero `sa_len` still takes 8). `NET_RT_IFLIST` returns, for each
//! interface, one `RTM_IFINFO` (`struct if_msghdr` + the interface's `sockaddr_dl`) followed by
//! one `RTM_NEWADDR` (`struct ifa_msghdr` + netmask, address, broadcast) per address.
//!
//! Parsers never trust a length: a message is read only within its `msglen`, which must lie
//! within the input; a socket address only within its message; iteration always advances.

use super::{sockaddr_in, sockaddr_in6, AF_INET, AF_INET6};
use crate::addr::Family;
use crate::ifname::IfName;
use crate::wire::{emit_into, get, i32_at, measure, u16_at, u32_at, u64_at, Cursor};
use crate::{Encoded, Frames, Overflow, ParseError, Split};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const AF_LINK: u8 = 18;
pub const PF_ROUTE: i32 = 17;
pub const CTL_NET: i32 = 4;
pub const NET_RT_IFLIST: i32 = 3;

pub const RTM_VERSION: u8 = 5;
pub const RTM_GET: u8 = 0x4;
pub const RTM_NEWADDR: u8 = 0xc;
pub const RTM_DELADDR: u8 = 0xd;
pub const RTM_IFINFO: u8 = 0xe;

pub const RTA_DST: i32 = 0x1;
pub const RTA_GATEWAY: i32 = 0x2;
pub const RTA_NETMASK: i32 = 0x4;
pub const RTA_GENMASK: i32 = 0x8;
pub const RTA_IFP: i32 = 0x10;
pub const RTA_IFA: i32 = 0x20;
pub const RTA_AUTHOR: i32 = 0x40;
pub const RTA_BRD: i32 = 0x80;
/// Number of `RTAX_*` slots.
pub const RTAX_MAX: u32 = 8;
pub const RTAX_DST: u32 = 0;
pub const RTAX_GATEWAY: u32 = 1;
pub const RTAX_NETMASK: u32 = 2;
pub const RTAX_IFP: u32 = 4;
pub const RTAX_IFA: u32 = 5;
pub const RTAX_BRD: u32 = 7;

pub const RTF_UP: i32 = 0x1;
pub const RTF_GATEWAY: i32 = 0x2;
pub const RTF_HOST: i32 = 0x4;
pub const RTF_REJECT: i32 = 0x8;
pub const RTF_DONE: i32 = 0x40;
pub const RTF_STATIC: i32 = 0x800;
pub const RTF_BLACKHOLE: i32 = 0x1000;
pub const RTF_PINNED: i32 = 0x10_0000;
pub const RTF_LOCAL: i32 = 0x20_0000;

/// `<net/if.h>` interface flags (`ifm_flags`).
pub const IFF_UP: u32 = 0x1;
pub const IFF_BROADCAST: u32 = 0x2;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_RUNNING: u32 = 0x40;
pub const IFF_MULTICAST: u32 = 0x8000;

pub const LINK_STATE_UNKNOWN: u8 = 0;
pub const LINK_STATE_DOWN: u8 = 1;
pub const LINK_STATE_UP: u8 = 2;

/// `sizeof(long)`: the alignment of socket addresses in routing messages (LP64).
const LONG: usize = 8;
pub const RT_MSGHDR_LEN: usize = 152;
pub const IF_MSGHDR_LEN: usize = 168;
pub const IFA_MSGHDR_LEN: usize = 20;
pub const IF_DATA_LEN: usize = 152;
pub const SOCKADDR_DL_LEN: usize = 54;

/// Field offsets of the routing-socket structures (`<net/route.h>`, `<net/if.h>`,
/// `<net/if_dl.h>`), checked against the headers by xtask/fixtures/freebsd-headers/layout.c.
mod field {
    crate::wire::offsets! {
        /// `struct rt_msghdr`.
        rt_msghdr {
            MSGLEN = 0, VERSION = 2, TYPE = 3, INDEX = 4, FLAGS = 8, ADDRS = 12, PID = 16,
            SEQ = 20, ERRNO = 24,
        }
        /// `struct if_msghdr`.
        if_msghdr { ADDRS = 4, FLAGS = 8, INDEX = 12, DATA = 16 }
        /// `struct ifa_msghdr`.
        ifa_msghdr { ADDRS = 4, FLAGS = 8, INDEX = 12 }
        /// `struct if_data`.
        if_data {
            TYPE = 0, LINK_STATE = 4, MTU = 8, IPACKETS = 24, IERRORS = 32, OPACKETS = 40,
            OERRORS = 48, IQDROPS = 96, OQDROPS = 104,
        }
        /// `struct sockaddr_dl`.
        sockaddr_dl { LEN = 0, FAMILY = 1, INDEX = 2, TYPE = 4, NLEN = 5, ALEN = 6, DATA = 8 }
        /// `struct sockaddr_in`.
        sockaddr_in { ADDR = 4 }
        /// `struct sockaddr_in6`.
        sockaddr_in6 { ADDR = 8 }
    }
}
use field::sockaddr_dl as sdl;
use field::{if_data as ifi, if_msghdr as ifm, ifa_msghdr as ifam, rt_msghdr as rtm};

/// `SA_SIZE()`: the bytes a socket address of length `sa_len` takes in a routing message.
pub const fn sa_size(sa_len: u8) -> usize {
    if sa_len == 0 {
        LONG
    } else {
        1 + ((sa_len as usize - 1) | (LONG - 1))
    }
}

/// The `sysctl` name for `NET_RT_IFLIST`: every interface (`index` 0) or one, with addresses
/// of one family or all (`family` `None`).
pub fn iflist_mib(family: Option<Family>, index: u32) -> [i32; 6] {
    let af = match family {
        None => 0,
        Some(Family::V4) => i32::from(AF_INET),
        Some(Family::V6) => i32::from(AF_INET6),
    };
    [CTL_NET, PF_ROUTE, 0, af, NET_RT_IFLIST, index as i32]
}

/// Longest `RTM_GET` request [`RtmGet`] builds.
pub const RTM_GET_MAX: usize = RT_MSGHDR_LEN + 32 + 56;

/// An `RTM_GET` request for the route the kernel would use to reach `dst` (longest prefix
/// match), asking with `RTA_IFP` (an empty `sockaddr_dl`) for the interface's name and address
/// in the reply, as `route -n get` does. The kernel fills in `rtm_pid`; replies are matched by
/// `seq` and pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtmGet {
    pub dst: IpAddr,
    pub seq: i32,
}

impl RtmGet {
    /// The message's exact length (at most [`RTM_GET_MAX`]).
    pub fn buffer_len(&self) -> usize {
        measure(|c, len| self.write(c, len))
    }

    /// Write the message into `buf`; returns its length. `Overflow` only when `buf` is shorter
    /// than [`RtmGet::buffer_len`] (nothing is written then).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Overflow> {
        emit_into(buf, |c, len| self.write(c, len))
    }

    /// The message.
    pub fn encode(&self) -> Encoded<RTM_GET_MAX> {
        Encoded::build(|c, len| self.write(c, len))
    }

    fn write(&self, c: &mut Cursor<'_>, len: usize) {
        let mut h = [0u8; RT_MSGHDR_LEN];
        // At most RTM_GET_MAX bytes.
        let len = u16::try_from(len).unwrap_or(u16::MAX);
        h[rtm::MSGLEN..rtm::MSGLEN + 2].copy_from_slice(&len.to_ne_bytes());
        h[rtm::VERSION] = RTM_VERSION;
        h[rtm::TYPE] = RTM_GET;
        h[rtm::FLAGS..rtm::FLAGS + 4].copy_from_slice(&(RTF_UP | RTF_HOST).to_ne_bytes());
        h[rtm::ADDRS..rtm::ADDRS + 4].copy_from_slice(&(RTA_DST | RTA_IFP).to_ne_bytes());
        h[rtm::SEQ..rtm::SEQ + 4].copy_from_slice(&self.seq.to_ne_bytes());
        c.put(&h);
        match self.dst {
            IpAddr::V4(a) => c.put(&sockaddr_in(a)),
            IpAddr::V6(a) => c.put(&sockaddr_in6(a)),
        }
        c.pad_to(LONG);
        let mut ifp = [0u8; SOCKADDR_DL_LEN];
        ifp[sdl::LEN] = SOCKADDR_DL_LEN as u8;
        ifp[sdl::FAMILY] = AF_LINK;
        c.put(&ifp);
        c.pad_to(LONG);
    }
}

/// One routing message: its type, version and all of its bytes (header included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub version: u8,
    pub ty: u8,
    pub bytes: &'a [u8],
}

/// The messages in a buffer read from a routing socket or `NET_RT_IFLIST`. Yields an error
/// once, then stops, at the first message whose length does not fit.
pub type Messages<'a> = Frames<'a, Message<'a>>;

/// `u_short msglen; u_char version; u_char type`, `msglen` covering the whole message.
impl<'a> Split<'a> for Message<'a> {
    fn split(b: &'a [u8]) -> Result<(Self, usize), ParseError> {
        let t = ParseError::Truncated;
        let len = usize::from(u16_at(b, rtm::MSGLEN).ok_or(t)?);
        let (&version, &ty) = (b.get(rtm::VERSION).ok_or(t)?, b.get(rtm::TYPE).ok_or(t)?);
        if len < 4 {
            return Err(ParseError::BadLength);
        }
        let bytes = b.get(..len).ok_or(t)?;
        Ok((Message { version, ty, bytes }, len))
    }
}

/// The socket addresses that follow a header: `(RTAX_* index, the address's bytes)`. The
/// bytes are the address's `sa_len` bytes, or fewer where the message ends first.
#[derive(Debug, Clone)]
pub struct Sockaddrs<'a> {
    rest: &'a [u8],
    addrs: u32,
    next: u32,
}

impl<'a> Sockaddrs<'a> {
    pub fn new(after_header: &'a [u8], addrs: i32) -> Self {
        Sockaddrs {
            rest: after_header,
            addrs: addrs as u32,
            next: 0,
        }
    }
}

impl<'a> Iterator for Sockaddrs<'a> {
    type Item = (u32, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < RTAX_MAX {
            let i = self.next;
            self.next += 1;
            if self.addrs & (1 << i) == 0 {
                continue;
            }
            let sa_len = *self.rest.first()?;
            let sa = &self.rest[..usize::from(sa_len).min(self.rest.len())];
            self.rest = self.rest.get(sa_size(sa_len)..).unwrap_or(&[]);
            return Some((i, sa));
        }
        None
    }
}

/// A `sockaddr_dl`: an interface's index, type, name and link-level address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkAddr<'a> {
    pub index: u16,
    pub ty: u8,
    pub name: &'a [u8],
    pub addr: &'a [u8],
}

impl LinkAddr<'_> {
    pub fn ifname(&self) -> Option<IfName> {
        if self.name.is_empty() {
            return None;
        }
        IfName::from_kernel(self.name)
    }

    /// The Ethernet address, when the link-level address is 6 bytes.
    pub fn mac(&self) -> Option<[u8; 6]> {
        self.addr.try_into().ok()
    }
}

/// One decoded socket address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sockaddr<'a> {
    Inet(Ipv4Addr),
    Inet6(Ipv6Addr),
    Link(LinkAddr<'a>),
    /// Another family, or an address too short for its family.
    Other(u8),
}

impl Sockaddr<'_> {
    pub fn ip(&self) -> Option<IpAddr> {
        match *self {
            Sockaddr::Inet(a) => Some(IpAddr::V4(a)),
            Sockaddr::Inet6(a) => Some(IpAddr::V6(a)),
            _ => None,
        }
    }
}

/// Decode a socket address from its bytes (as [`Sockaddrs`] yields them).
pub fn sockaddr(sa: &[u8]) -> Sockaddr<'_> {
    let family = sa.get(1).copied().unwrap_or(0);
    match family {
        AF_INET => match get::<4>(sa, field::sockaddr_in::ADDR) {
            Some(a) => Sockaddr::Inet(Ipv4Addr::from(a)),
            None => Sockaddr::Other(family),
        },
        AF_INET6 => match get::<16>(sa, field::sockaddr_in6::ADDR) {
            Some(a) => Sockaddr::Inet6(Ipv6Addr::from(a)),
            None => Sockaddr::Other(family),
        },
        AF_LINK => {
            let (Some(index), Some(&ty), Some(&nlen), Some(&alen)) = (
                u16_at(sa, sdl::INDEX),
                sa.get(sdl::TYPE),
                sa.get(sdl::NLEN),
                sa.get(sdl::ALEN),
            ) else {
                return Sockaddr::Other(family);
            };
            let data = sa.get(sdl::DATA..).unwrap_or(&[]);
            let nlen = usize::from(nlen);
            let (Some(name), Some(addr)) =
                (data.get(..nlen), data.get(nlen..nlen + usize::from(alen)))
            else {
                return Sockaddr::Other(family);
            };
            Sockaddr::Link(LinkAddr {
                index,
                ty,
                name,
                addr,
            })
        }
        f => Sockaddr::Other(f),
    }
}

/// The prefix length of a netmask socket address for an address of `family`. The kernel may
/// send masks trimmed after their last non-zero byte (even to length 0) and with any family;
/// missing bytes count as zero. `None` for a mask whose ones are not contiguous.
pub fn mask_prefix(sa: &[u8], family: Family) -> Option<u8> {
    let (off, n) = match family {
        Family::V4 => (field::sockaddr_in::ADDR, 4),
        Family::V6 => (field::sockaddr_in6::ADDR, 16),
    };
    let mut bits = 0u32;
    let mut seen_zero = false;
    for i in 0..n {
        let byte = sa.get(off + i).copied().unwrap_or(0);
        if seen_zero {
            if byte != 0 {
                return None;
            }
            continue;
        }
        let ones = byte.leading_ones();
        if byte.checked_shl(ones).unwrap_or(0) != 0 {
            return None;
        }
        bits += ones;
        if ones < 8 {
            seen_zero = true;
        }
    }
    Some(bits as u8)
}

/// What an `RTM_GET` reply says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteReply<'a> {
    pub ty: u8,
    pub index: u16,
    pub flags: i32,
    pub pid: i32,
    pub seq: i32,
    pub errno: i32,
    pub dst: Option<IpAddr>,
    /// From `RTA_NETMASK`; the full length for a host route without one.
    pub prefix: Option<u8>,
    pub gateway: Option<Sockaddr<'a>>,
    pub ifp: Option<LinkAddr<'a>>,
    pub ifa: Option<IpAddr>,
}

impl RouteReply<'_> {
    /// A usable route to a directly attached network: up, no gateway, not reject/blackhole,
    /// not the host route of a local address (those point at `lo0`).
    pub fn is_connected(&self) -> bool {
        self.flags & RTF_UP != 0
            && self.flags & (RTF_GATEWAY | RTF_REJECT | RTF_BLACKHOLE | RTF_HOST | RTF_LOCAL) == 0
    }
}

/// Parse one message read from a routing socket as an `RTM_GET`-style reply
/// (`struct rt_msghdr` + addresses). Other message types parse too (check `ty`, `pid`, `seq`).
pub fn parse_route_reply(msg: &[u8]) -> Result<RouteReply<'_>, ParseError> {
    let len = usize::from(u16_at(msg, rtm::MSGLEN).ok_or(ParseError::Truncated)?);
    let msg = msg.get(..len).ok_or(ParseError::Truncated)?;
    if len < RT_MSGHDR_LEN {
        return Err(ParseError::BadLength);
    }
    if msg[rtm::VERSION] != RTM_VERSION {
        return Err(ParseError::BadValue);
    }
    let field = |off| i32_at(msg, off).ok_or(ParseError::Truncated);
    let flags = field(rtm::FLAGS)?;
    let addrs = field(rtm::ADDRS)?;
    let mut r = RouteReply {
        ty: msg[rtm::TYPE],
        index: u16_at(msg, rtm::INDEX).ok_or(ParseError::Truncated)?,
        flags,
        pid: field(rtm::PID)?,
        seq: field(rtm::SEQ)?,
        errno: field(rtm::ERRNO)?,
        dst: None,
        prefix: None,
        gateway: None,
        ifp: None,
        ifa: None,
    };
    let mut mask: Option<&[u8]> = None;
    for (i, sa) in Sockaddrs::new(&msg[RT_MSGHDR_LEN..], addrs) {
        match i {
            RTAX_DST => r.dst = sockaddr(sa).ip(),
            RTAX_GATEWAY => r.gateway = Some(sockaddr(sa)),
            RTAX_NETMASK => mask = Some(sa),
            RTAX_IFP => {
                if let Sockaddr::Link(l) = sockaddr(sa) {
                    r.ifp = Some(l);
                }
            }
            RTAX_IFA => r.ifa = sockaddr(sa).ip(),
            _ => {}
        }
    }
    if let Some(dst) = r.dst {
        let family = Family::of(&dst);
        r.prefix = match mask {
            Some(m) => mask_prefix(m, family),
            None if flags & RTF_HOST != 0 => Some(family.max_prefix()),
            None => None,
        };
    }
    Ok(r)
}

/// Interface counters from `struct if_data`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IfStats {
    pub ipackets: u64,
    pub ierrors: u64,
    pub opackets: u64,
    pub oerrors: u64,
    pub iqdrops: u64,
    pub oqdrops: u64,
}

/// An `RTM_IFINFO` message from `NET_RT_IFLIST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkInfo<'a> {
    pub index: u16,
    /// `IFF_*`.
    pub flags: u32,
    /// `IFT_*`.
    pub ty: u8,
    /// `LINK_STATE_*`.
    pub link_state: u8,
    pub mtu: u32,
    pub stats: IfStats,
    /// The interface's own `sockaddr_dl` (name and link-level address).
    pub link: Option<LinkAddr<'a>>,
}

impl LinkInfo<'_> {
    pub fn name(&self) -> Option<IfName> {
        self.link.as_ref().and_then(LinkAddr::ifname)
    }

    pub fn mac(&self) -> Option<[u8; 6]> {
        self.link.as_ref().and_then(LinkAddr::mac)
    }

    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }

    pub fn is_loopback(&self) -> bool {
        self.flags & IFF_LOOPBACK != 0
    }

    /// Carrier: the driver is running and does not report the link down (many virtual
    /// interfaces report no link state at all).
    pub fn has_carrier(&self) -> bool {
        self.flags & IFF_RUNNING != 0 && self.link_state != LINK_STATE_DOWN
    }
}

/// An `RTM_NEWADDR` message from `NET_RT_IFLIST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrInfo {
    pub index: u16,
    /// `IFA_*` (not the IPv6 `IN6_IFF_*` flags, which need `SIOCGIFAFLAG_IN6`).
    pub flags: i32,
    pub addr: Option<IpAddr>,
    /// From the netmask; `None` when there is none or it is not contiguous.
    pub prefix: Option<u8>,
    pub broadcast: Option<IpAddr>,
}

/// One `NET_RT_IFLIST` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMsg<'a> {
    Link(LinkInfo<'a>),
    Addr(AddrInfo),
    /// Another type or version: skipped.
    Other(u8),
}

/// The messages of a `NET_RT_IFLIST` buffer. Stops after the first malformed one.
#[derive(Debug, Clone)]
pub struct Iflist<'a> {
    msgs: Messages<'a>,
}

impl<'a> Iflist<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Iflist {
            msgs: Messages::new(buf),
        }
    }
}

impl<'a> Iterator for Iflist<'a> {
    type Item = Result<IfMsg<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let m = match self.msgs.next()? {
            Ok(m) => m,
            Err(e) => return Some(Err(e)),
        };
        let r = match (m.version, m.ty) {
            (RTM_VERSION, RTM_IFINFO) => link_info(m.bytes).map(IfMsg::Link),
            (RTM_VERSION, RTM_NEWADDR) => addr_info(m.bytes).map(IfMsg::Addr),
            (_, ty) => Ok(IfMsg::Other(ty)),
        };
        if r.is_err() {
            self.msgs = Messages::new(&[]);
        }
        Some(r)
    }
}

fn link_info(b: &[u8]) -> Result<LinkInfo<'_>, ParseError> {
    if b.len() < IF_MSGHDR_LEN {
        return Err(ParseError::BadLength);
    }
    let t = ParseError::Truncated;
    let d = ifm::DATA;
    let c = |off| u64_at(b, d + off).ok_or(t);
    let addrs = i32_at(b, ifm::ADDRS).ok_or(t)?;
    let link = Sockaddrs::new(&b[IF_MSGHDR_LEN..], addrs)
        .find(|&(i, _)| i == RTAX_IFP)
        .and_then(|(_, sa)| match sockaddr(sa) {
            Sockaddr::Link(l) => Some(l),
            _ => None,
        });
    Ok(LinkInfo {
        index: u16_at(b, ifm::INDEX).ok_or(t)?,
        flags: u32_at(b, ifm::FLAGS).ok_or(t)?,
        ty: b[d + ifi::TYPE],
        link_state: b[d + ifi::LINK_STATE],
        mtu: u32_at(b, d + ifi::MTU).ok_or(t)?,
        stats: IfStats {
            ipackets: c(ifi::IPACKETS)?,
            ierrors: c(ifi::IERRORS)?,
            opackets: c(ifi::OPACKETS)?,
            oerrors: c(ifi::OERRORS)?,
            iqdrops: c(ifi::IQDROPS)?,
            oqdrops: c(ifi::OQDROPS)?,
        },
        link,
    })
}

fn addr_info(b: &[u8]) -> Result<AddrInfo, ParseError> {
    if b.len() < IFA_MSGHDR_LEN {
        return Err(ParseError::BadLength);
    }
    let t = ParseError::Truncated;
    let addrs = i32_at(b, ifam::ADDRS).ok_or(t)?;
    let mut a = AddrInfo {
        index: u16_at(b, ifam::INDEX).ok_or(t)?,
        flags: i32_at(b, ifam::FLAGS).ok_or(t)?,
        addr: None,
        prefix: None,
        broadcast: None,
    };
    let mut mask: Option<&[u8]> = None;
    for (i, sa) in Sockaddrs::new(&b[IFA_MSGHDR_LEN..], addrs) {
        match i {
            RTAX_NETMASK => mask = Some(sa),
            RTAX_IFA => a.addr = sockaddr(sa).ip(),
            RTAX_BRD => a.broadcast = sockaddr(sa).ip(),
            _ => {}
        }
    }
    if let (Some(addr), Some(m)) = (a.addr, mask) {
        a.prefix = mask_prefix(m, Family::of(&addr));
    }
    Ok(a)
}

/// `ip` as found in a `NET_RT_IFLIST` buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundAddr {
    pub index: u32,
    /// The name from the interface's `RTM_IFINFO` (for `SIOCGIFAFLAG_IN6`).
    pub name: Option<IfName>,
    pub prefix: Option<u8>,
}

/// Find `ip` on interface `index` (or on any interface). Malformed input ends the search.
pub fn find_addr(buf: &[u8], ip: &IpAddr, index: Option<u32>) -> Option<FoundAddr> {
    let mut name: Option<(u16, IfName)> = None;
    for m in Iflist::new(buf) {
        match m.ok()? {
            IfMsg::Link(l) => name = l.name().map(|n| (l.index, n)),
            IfMsg::Addr(a) if a.addr.as_ref() == Some(ip) => {
                if index.is_some_and(|i| i != u32::from(a.index)) {
                    continue;
                }
                return Some(FoundAddr {
                    index: u32::from(a.index),
                    name: name
                        .as_ref()
                        .filter(|(i, _)| *i == a.index)
                        .map(|(_, n)| n.clone()),
                    prefix: a.prefix,
                });
            }
            _ => {}
        }
    }
    None
}

/// The interface with `index`, or named `name`, from a `NET_RT_IFLIST` buffer.
pub fn find_link<'a>(
    buf: &'a [u8],
    index: Option<u32>,
    name: Option<&IfName>,
) -> Option<LinkInfo<'a>> {
    Iflist::new(buf)
        .map_while(Result::ok)
        .filter_map(|m| match m {
            IfMsg::Link(l) => Some(l),
            _ => None,
        })
        .find(|l| {
            index.is_none_or(|i| i == u32::from(l.index))
                && name.is_none_or(|n| l.link.is_some_and(|a| a.name == n.as_bytes()))
        })
}

/// The connected network covering `ip` from interface addresses, as nic detection needs it
/// when the routing table cannot say (the address is local already, or an interface is
/// given): among the addresses of up, non-loopback interfaces (on `index` when given) whose
/// prefix covers `ip`, other than `ip` itself, the longest prefix, then the lowest interface
/// index. Returns `(index, prefix)`.
pub fn connected_from_iflist(buf: &[u8], ip: &IpAddr, index: Option<u32>) -> Option<(u32, u8)> {
    let mut link: Option<(u16, bool)> = None; // (index, usable)
    let mut best: Option<(u32, u8)> = None;
    for m in Iflist::new(buf) {
        match m.ok()? {
            IfMsg::Link(l) => link = Some((l.index, l.is_up() && !l.is_loopback())),
            IfMsg::Addr(a) => {
                let usable = link.is_some_and(|(i, ok)| i == a.index && ok);
                let (Some(addr), Some(prefix)) = (a.addr, a.prefix) else {
                    continue;
                };
                let idx = u32::from(a.index);
                if !usable
                    || addr == *ip
                    || index.is_some_and(|i| i != idx)
                    || !crate::addr::covers(&addr, prefix, ip)
                {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((bi, bp)) => prefix > bp || (prefix == bp && idx < bi),
                };
                if better {
                    best = Some((idx, prefix));
                }
            }
            IfMsg::Other(_) => {}
        }
    }
    best
}
