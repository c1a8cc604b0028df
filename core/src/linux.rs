//! rtnetlink (Linux `NETLINK_ROUTE`): request encoders and reply parsers.
//!
//! Layouts are those of Linux's uapi headers (`linux/netlink.h`, `linux/rtnetlink.h`,
//! `linux/if_addr.h`, `linux/if_link.h`); every multi-byte field is in native byte order.
//! Requests are written into a caller's buffer; replies are read through [`Messages`], an
//! iterator that stops at the first malformed header and never reads past its input.

use crate::addr::Family;
use crate::wire::{align_up, get, i32_at, u16_at, u32_at, u64_at, Writer};
use crate::{Overflow, ParseError};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `struct nlmsghdr`: len, type, flags, seq, pid.
pub const NLMSG_HDRLEN: usize = 16;
mod nlfield {
    pub const LEN: usize = 0;
    pub const TYPE: usize = 4;
    pub const FLAGS: usize = 6;
    pub const SEQ: usize = 8;
    pub const PID: usize = 12;
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

/// `struct rtattr` header: len, type.
const RTA_HDRLEN: usize = 4;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// A request under construction: header, fixed part, then attributes.
struct Builder<'a> {
    w: Writer<'a>,
}

impl<'a> Builder<'a> {
    fn new(buf: &'a mut [u8], ty: u16, flags: u16, seq: u32) -> Result<Self, Overflow> {
        let mut w = Writer::new(buf);
        w.zeros(NLMSG_HDRLEN)?;
        w.patch(nlfield::TYPE, &ty.to_ne_bytes())?;
        w.patch(nlfield::FLAGS, &flags.to_ne_bytes())?;
        w.patch(nlfield::SEQ, &seq.to_ne_bytes())?;
        Ok(Builder { w })
    }

    fn attr(&mut self, ty: u16, data: &[u8]) -> Result<(), Overflow> {
        let len = u16::try_from(RTA_HDRLEN + data.len()).map_err(|_| Overflow)?;
        self.w.bytes(&len.to_ne_bytes())?;
        self.w.bytes(&ty.to_ne_bytes())?;
        self.w.bytes(data)?;
        self.w.pad_to(4)
    }

    fn finish(mut self) -> Result<usize, Overflow> {
        let len = self.w.pos();
        self.w.patch(nlfield::LEN, &(len as u32).to_ne_bytes())?;
        Ok(len)
    }
}

fn family_byte(f: Family) -> u8 {
    match f {
        Family::V4 => AF_INET,
        Family::V6 => AF_INET6,
    }
}

fn ip_bytes(ip: &IpAddr, out: &mut [u8; 16]) -> usize {
    match ip {
        IpAddr::V4(a) => {
            out[..4].copy_from_slice(&a.octets());
            4
        }
        IpAddr::V6(a) => {
            *out = a.octets();
            16
        }
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
    pub label: Option<heapless::String<15>>,
    /// (preferred, valid) lifetimes in seconds; `None` is forever.
    pub lifetimes: Option<(u32, u32)>,
    /// The prefix route's metric (`IFA_RT_PRIORITY`); `None` is the kernel's default.
    pub metric: Option<u32>,
}

/// `RTM_NEWADDR` with `NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK`: fails with `EEXIST` rather than
/// touching an address that is already there.
pub fn new_addr(buf: &mut [u8], seq: u32, r: &AddrRequest) -> Result<usize, Overflow> {
    let family = family_byte(Family::of(&r.ip));
    let mut b = Builder::new(
        buf,
        RTM_NEWADDR,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        seq,
    )?;
    // The ifaddrmsg flags byte holds only the low eight flag bits; IFA_FLAGS carries all 32.
    b.w.bytes(&[family, r.prefix, (r.flags & 0xff) as u8, RT_SCOPE_UNIVERSE])?;
    b.w.bytes(&r.index.to_ne_bytes())?;
    let mut a = [0u8; 16];
    let n = ip_bytes(&r.ip, &mut a);
    // Attribute order as iproute2 sends it, so the request is byte-for-byte what `ip addr add`
    // sends (see the test vectors).
    b.attr(IFA_LOCAL, &a[..n])?;
    if let Some(bc) = r.broadcast {
        b.attr(IFA_BROADCAST, &bc.octets())?;
    }
    b.attr(IFA_ADDRESS, &a[..n])?;
    if let Some(l) = &r.label {
        let mut lb = [0u8; 16];
        lb[..l.len()].copy_from_slice(l.as_bytes());
        b.attr(IFA_LABEL, &lb[..l.len() + 1])?;
    }
    if let Some((pref, valid)) = r.lifetimes {
        let mut ci = [0u8; 16];
        ci[0..4].copy_from_slice(&pref.to_ne_bytes());
        ci[4..8].copy_from_slice(&valid.to_ne_bytes());
        b.attr(IFA_CACHEINFO, &ci)?;
    }
    // Flags that fit the header byte travel there only (as iproute2 does); the kernel reads
    // IFA_FLAGS when present and the byte otherwise.
    if let Some(m) = r.metric {
        b.attr(IFA_RT_PRIORITY, &m.to_ne_bytes())?;
    }
    if r.flags > 0xff {
        b.attr(IFA_FLAGS, &r.flags.to_ne_bytes())?;
    }
    b.finish()
}

/// `RTM_DELADDR` for exactly `ip/prefix` on interface `index`. The kernel matches the local
/// address, the prefix length and the interface, so no other address can be removed.
pub fn del_addr(
    buf: &mut [u8],
    seq: u32,
    index: u32,
    ip: &IpAddr,
    prefix: u8,
) -> Result<usize, Overflow> {
    let family = family_byte(Family::of(ip));
    let mut b = Builder::new(buf, RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq)?;
    b.w.bytes(&[family, prefix, 0, 0])?;
    b.w.bytes(&index.to_ne_bytes())?;
    let mut a = [0u8; 16];
    let n = ip_bytes(ip, &mut a);
    b.attr(IFA_LOCAL, &a[..n])?;
    b.attr(IFA_ADDRESS, &a[..n])?;
    b.finish()
}

/// An IPv6 address-selection label (RFC 6724 policy table) for exactly `ip/128` on every
/// interface: `RTM_NEWADDRLABEL` (`add`, with `NLM_F_CREATE | NLM_F_EXCL`: `EEXIST` when the
/// prefix has a label already) or `RTM_DELADDRLABEL` (the kernel matches prefix, length and
/// interface; `label` must be given but is not compared). As `ip addrlabel add|del prefix
/// IP label N` sends them.
pub fn addr_label(
    buf: &mut [u8],
    seq: u32,
    add: bool,
    ip: &core::net::Ipv6Addr,
    label: u32,
) -> Result<usize, Overflow> {
    let (ty, flags) = if add {
        (
            RTM_NEWADDRLABEL,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )
    } else {
        (RTM_DELADDRLABEL, NLM_F_REQUEST | NLM_F_ACK)
    };
    let mut b = Builder::new(buf, ty, flags, seq)?;
    b.w.bytes(&[AF_INET6, 0, 128, 0])?;
    b.w.bytes(&0u32.to_ne_bytes())?; // every interface
    b.w.bytes(&0u32.to_ne_bytes())?; // ifal_seq, unused in requests
                                     // Attribute order as iproute2 sends it.
    b.attr(IFAL_LABEL, &label.to_ne_bytes())?;
    b.attr(IFAL_ADDRESS, &ip.octets())?;
    b.finish()
}

/// `RTM_GETADDR` dump of one family; with strict checking on, `index` (when non-zero) makes
/// the kernel return only that interface's addresses.
pub fn get_addrs(buf: &mut [u8], seq: u32, family: Family, index: u32) -> Result<usize, Overflow> {
    let mut b = Builder::new(buf, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq)?;
    b.w.bytes(&[family_byte(family), 0, 0, 0])?;
    b.w.bytes(&index.to_ne_bytes())?;
    b.finish()
}

/// `RTM_GETADDR` for one IPv6 address on interface `index` (not a dump): the kernel answers
/// with that address alone, or `EADDRNOTAVAIL`. IPv4 has no such request.
pub fn get_addr_v6(buf: &mut [u8], seq: u32, index: u32, ip: &Ipv6Addr) -> Result<usize, Overflow> {
    let mut b = Builder::new(buf, RTM_GETADDR, NLM_F_REQUEST | NLM_F_ACK, seq)?;
    b.w.bytes(&[AF_INET6, 0, 0, 0])?;
    b.w.bytes(&index.to_ne_bytes())?;
    b.attr(IFA_ADDRESS, &ip.octets())?;
    b.finish()
}

/// `RTM_GETLINK` for one interface, by index (non-zero) or by name; statistics included. The
/// kernel answers with the link, then an acknowledgement.
pub fn get_link(
    buf: &mut [u8],
    seq: u32,
    index: u32,
    name: Option<&str>,
) -> Result<usize, Overflow> {
    let mut b = Builder::new(buf, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq)?;
    b.w.bytes(&[AF_UNSPEC, 0, 0, 0])?;
    b.w.bytes(&(index as i32).to_ne_bytes())?;
    b.w.bytes(&0u32.to_ne_bytes())?;
    b.w.bytes(&0u32.to_ne_bytes())?;
    if let Some(n) = name {
        let mut nb = [0u8; 16];
        let l = n.len().min(15);
        nb[..l].copy_from_slice(&n.as_bytes()[..l]);
        b.attr(IFLA_IFNAME, &nb[..l + 1])?;
    }
    b.finish()
}

/// `RTM_GETROUTE` dump of the main table of one family.
pub fn get_routes(buf: &mut [u8], seq: u32, family: Family) -> Result<usize, Overflow> {
    let mut b = Builder::new(buf, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, seq)?;
    b.w.bytes(&[family_byte(family), 0, 0, 0, RT_TABLE_MAIN as u8, 0, 0, 0])?;
    b.w.bytes(&0u32.to_ne_bytes())?;
    b.finish()
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
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    rest: &'a [u8],
}

impl<'a> Messages<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Messages { rest: buf }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let b = self.rest;
        let parsed = (|| {
            let len = u32_at(b, nlfield::LEN).ok_or(ParseError::Truncated)? as usize;
            if len < NLMSG_HDRLEN {
                return Err(ParseError::BadLength);
            }
            if len > b.len() {
                return Err(ParseError::Truncated);
            }
            let m = Message {
                ty: u16_at(b, nlfield::TYPE).ok_or(ParseError::Truncated)?,
                flags: u16_at(b, nlfield::FLAGS).ok_or(ParseError::Truncated)?,
                seq: u32_at(b, nlfield::SEQ).ok_or(ParseError::Truncated)?,
                pid: u32_at(b, nlfield::PID).ok_or(ParseError::Truncated)?,
                payload: &b[NLMSG_HDRLEN..len],
            };
            let next = align_up(len, 4).unwrap_or(b.len()).min(b.len());
            Ok((m, next))
        })();
        match parsed {
            Ok((m, next)) => {
                self.rest = &b[next..];
                Some(Ok(m))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// The error code of an `NLMSG_ERROR` payload: 0 is an acknowledgement, otherwise a negative
/// errno.
pub fn error_code(payload: &[u8]) -> Result<i32, ParseError> {
    i32_at(payload, 0).ok_or(ParseError::Truncated)
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
        let len = u16_at(b, 0)? as usize;
        let ty = u16_at(b, 2)? & NLA_TYPE_MASK;
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
        let h = get::<IFADDRMSG_LEN>(payload, 0).ok_or(ParseError::Truncated)?;
        let mut a = AddrInfo {
            family: h[0],
            prefix: h[1],
            scope: h[3],
            index: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            flags: u32::from(h[2]),
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
                    if let (Some(p), Some(vl)) = (u32_at(v, 0), u32_at(v, 4)) {
                        a.lifetimes = Some((p, vl));
                    }
                }
                _ => {}
            }
        }
        a.ip = local.or(address);
        Ok(a)
    }

    /// Emit as the payload of an `RTM_NEWADDR` message (the inverse of [`AddrInfo::parse`] for
    /// the fields it keeps); used by tests and round-trip fuzzing.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Overflow> {
        let mut w = Writer::new(buf);
        w.bytes(&[
            self.family,
            self.prefix,
            (self.flags & 0xff) as u8,
            self.scope,
        ])?;
        w.bytes(&self.index.to_ne_bytes())?;
        let attr = |w: &mut Writer<'_>, ty: u16, data: &[u8]| -> Result<(), Overflow> {
            w.bytes(&((RTA_HDRLEN + data.len()) as u16).to_ne_bytes())?;
            w.bytes(&ty.to_ne_bytes())?;
            w.bytes(data)?;
            w.pad_to(4)
        };
        if let Some(ip) = &self.ip {
            let mut a = [0u8; 16];
            let n = ip_bytes(ip, &mut a);
            attr(&mut w, IFA_LOCAL, &a[..n])?;
        }
        if let Some(b) = self.broadcast {
            attr(&mut w, IFA_BROADCAST, &b.octets())?;
        }
        if let Some((p, v)) = self.lifetimes {
            let mut ci = [0u8; 16];
            ci[0..4].copy_from_slice(&p.to_ne_bytes());
            ci[4..8].copy_from_slice(&v.to_ne_bytes());
            attr(&mut w, IFA_CACHEINFO, &ci)?;
        }
        attr(&mut w, IFA_FLAGS, &self.flags.to_ne_bytes())?;
        Ok(w.pos())
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
        let h = get::<IFINFOMSG_LEN>(payload, 0).ok_or(ParseError::Truncated)?;
        let mut l = LinkInfo {
            index: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            flags: u32::from_ne_bytes([h[8], h[9], h[10], h[11]]),
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
                IFLA_STATS64 => {
                    let f = |i: usize| u64_at(v, i * 8);
                    if let (
                        Some(a),
                        Some(b),
                        Some(c),
                        Some(d),
                        Some(e),
                        Some(g),
                        Some(h),
                        Some(k),
                    ) = (f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7))
                    {
                        l.stats = Some(LinkStats {
                            rx_packets: a,
                            tx_packets: b,
                            rx_bytes: c,
                            tx_bytes: d,
                            rx_errors: e,
                            tx_errors: g,
                            rx_dropped: h,
                            tx_dropped: k,
                        });
                    }
                }
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
        let h = get::<RTMSG_LEN>(payload, 0).ok_or(ParseError::Truncated)?;
        let mut r = RouteInfo {
            family: h[0],
            dst_len: h[1],
            table: u32::from(h[4]),
            kind: h[7],
            scope: h[6],
            dst: None,
            oif: None,
            via_gateway: false,
            priority: 0,
            protocol: h[5],
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
