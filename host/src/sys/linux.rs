//! Linux backend: rtnetlink for addresses, links and routes; a packet socket for gratuitous
//! ARP; a raw ICMPv6 socket for unsolicited neighbour advertisements.

use super::{Addr, Backend, Candidate, Counters, Link, LinkRef, Result, Route, SysError};
use crate::agent::broadcast_for;
use ifaddr_core::addr::Family;
use ifaddr_core::linux::{self as nl, AddrInfo, LinkInfo, Messages, RouteInfo};
use ifaddr_core::params::Params;
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Size of the receive buffer: large enough for any single netlink message batch the kernel
/// sends in one datagram (dumps are split by the kernel to fit).
const RECV_BUF: usize = 64 * 1024;

pub struct Sys {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
    /// The socket announcements go out on, kept across rounds (see `prepare_announce`):
    /// the interface index and, for ARP, the packet socket and its destination; for neighbour
    /// advertisements, the ICMPv6 socket.
    announcer: Option<(u32, Announcer)>,
    /// `proto`: nic detection considers only routes of this protocol.
    proto: Option<u8>,
}

enum Announcer {
    Arp(OwnedFd, libc::sockaddr_ll),
    Na(OwnedFd),
}

fn socket(domain: i32, ty: i32, proto: i32, op: &'static str) -> Result<OwnedFd> {
    // SAFETY: socket takes no pointers; a non-negative result is a fresh descriptor we own.
    let fd = unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, proto) };
    if fd < 0 {
        return Err(SysError::last(op));
    }
    // SAFETY: fd was just returned by socket and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn setsockopt_int(
    fd: &OwnedFd,
    level: i32,
    name: i32,
    value: i32,
) -> std::result::Result<(), SysError> {
    // SAFETY: the option value points at a live i32 and its exact size is passed.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if r < 0 {
        Err(SysError::last("setsockopt"))
    } else {
        Ok(())
    }
}

/// Enter the named network namespace (`/run/netns/NAME`, as `ip netns` creates them).
fn enter_netns(name: &str) -> Result<()> {
    let path = format!("/run/netns/{name}");
    let f = std::fs::File::open(&path)
        .map_err(|e| SysError::new("open /run/netns", e.raw_os_error().unwrap_or(libc::ENOENT)))?;
    // SAFETY: f is an open namespace file; setns does not retain the descriptor.
    let r = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    if r < 0 {
        return Err(SysError::last("setns"));
    }
    Ok(())
}

fn netlink() -> Result<OwnedFd> {
    let fd = socket(
        libc::AF_NETLINK,
        libc::SOCK_RAW,
        libc::NETLINK_ROUTE,
        "netlink socket",
    )?;
    // Have the kernel filter dumps by interface (Linux 4.20+); older kernels ignore the
    // request and we filter ourselves anyway.
    let _ = setsockopt_int(&fd, libc::SOL_NETLINK, libc::NETLINK_GET_STRICT_CHK, 1);
    Ok(fd)
}

impl Sys {
    pub fn open(p: &Params) -> Result<Sys> {
        if let Some(ns) = &p.network_namespace {
            enter_netns(ns)?;
        }
        Ok(Sys {
            fd: netlink()?,
            seq: std::process::id().wrapping_mul(1000),
            buf: vec![0; RECV_BUF],
            announcer: None,
            proto: p.proto,
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Send `req` and feed every reply message to `each`, until the kernel's acknowledgement
    /// or the end of a dump. A negative errno in the reply becomes an error for `op`.
    fn transact(
        &mut self,
        req: &[u8],
        seq: u32,
        op: &'static str,
        mut each: impl FnMut(&nl::Message<'_>),
    ) -> Result<()> {
        let mut sa: libc::sockaddr_nl = unsafe_zeroed_nl();
        sa.nl_family = libc::AF_NETLINK as u16;
        // SAFETY: req is a live buffer of req.len() bytes; sa is a valid sockaddr_nl.
        let n = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                req.as_ptr().cast(),
                req.len(),
                0,
                (&sa as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if n < 0 {
            return Err(SysError::last(op));
        }
        loop {
            // SAFETY: buf is a live, writable buffer of buf.len() bytes.
            let n = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    0,
                )
            };
            if n < 0 {
                let e = SysError::last(op);
                if e.is(libc::EINTR) {
                    continue;
                }
                return Err(e);
            }
            let data = &self.buf[..n as usize];
            for m in Messages::new(data) {
                let m = m.map_err(|_| SysError::new(op, libc::EBADMSG))?;
                if m.seq != seq {
                    continue;
                }
                match m.ty {
                    nl::NLMSG_ERROR => {
                        let code = nl::error_code(m.payload)
                            .map_err(|_| SysError::new(op, libc::EBADMSG))?;
                        return if code == 0 {
                            Ok(())
                        } else {
                            Err(SysError::new(op, -code))
                        };
                    }
                    nl::NLMSG_DONE => {
                        let code = nl::error_code(m.payload).unwrap_or(0);
                        return if code >= 0 {
                            Ok(())
                        } else {
                            Err(SysError::new(op, -code))
                        };
                    }
                    nl::NLMSG_NOOP | nl::NLMSG_OVERRUN => {}
                    _ => each(&m),
                }
            }
        }
    }

    fn link_info(&mut self, which: LinkRef<'_>) -> Result<Option<LinkInfo>> {
        let seq = self.next_seq();
        let req = nl::Request::GetLink(match which {
            LinkRef::Name(n) => nl::LinkRef::Name(n),
            LinkRef::Index(i) => nl::LinkRef::Index(i),
        })
        .encode(seq);
        let mut found = None;
        let r = self.transact(&req, seq, "RTM_GETLINK", |m| {
            if m.ty == nl::RTM_NEWLINK {
                if let Ok(l) = LinkInfo::parse(m.payload) {
                    found = Some(l);
                }
            }
        });
        match r {
            Ok(()) => Ok(found),
            Err(e) if e.is(libc::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn addrs(&mut self, family: Family, index: u32, mut each: impl FnMut(&AddrInfo)) -> Result<()> {
        let seq = self.next_seq();
        let req = nl::Request::GetAddrs { family, index }.encode(seq);
        self.transact(&req, seq, "RTM_GETADDR", |m| {
            if m.ty == nl::RTM_NEWADDR {
                if let Ok(a) = AddrInfo::parse(m.payload) {
                    if index == 0 || a.index == index {
                        each(&a);
                    }
                }
            }
        })
    }

    /// `Ok(Some(answer))` from a single-address `RTM_GETADDR`; `Ok(None)` when the kernel
    /// does not support that request (then the caller dumps).
    fn addr_v6(&mut self, ip: &std::net::Ipv6Addr, index: u32) -> Result<Option<Option<Addr>>> {
        let seq = self.next_seq();
        let req = nl::Request::GetAddrV6 { index, ip: *ip }.encode(seq);
        let mut found = None;
        let want = IpAddr::V6(*ip);
        let r = self.transact(&req, seq, "RTM_GETADDR", |m| {
            if m.ty == nl::RTM_NEWADDR {
                if let Ok(a) = AddrInfo::parse(m.payload) {
                    if a.ip == Some(want) && a.index == index {
                        found = Some(to_addr(&a));
                    }
                }
            }
        });
        match r {
            Ok(()) => Ok(Some(found)),
            Err(e) if e.is(libc::EADDRNOTAVAIL) || e.is(libc::ENODEV) => Ok(Some(None)),
            Err(e) if e.is(libc::EOPNOTSUPP) || e.is(libc::EINVAL) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Linux deletes every secondary address of a subnet with its primary unless
    /// `promote_secondaries` is set. Before removing a primary that has secondaries, turn the
    /// promotion on for that interface so that exactly one address goes.
    fn protect_secondaries(&mut self, link: &Link, ip: &IpAddr, prefix: u8) -> Result<()> {
        let IpAddr::V4(_) = ip else { return Ok(()) };
        let mut ours_primary = false;
        self.addrs(Family::V4, link.index, |a| {
            if a.ip == Some(*ip) && a.prefix == prefix {
                ours_primary = a.flags & nl::IFA_F_SECONDARY == 0;
            }
        })?;
        // Turned on whenever ours is a primary, not only when secondaries exist now: one
        // added between this look and the delete would otherwise go with it.
        if ours_primary {
            let path = format!(
                "/proc/sys/net/ipv4/conf/{}/promote_secondaries",
                link.name.as_str()
            );
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current.trim() != "1" {
                crate::log::info(&format!(
                    "{ip} is the primary address of its subnet on {}; enabling promote_secondaries there so its secondaries stay",
                    link.name.as_str()
                ));
                std::fs::write(&path, "1").map_err(|e| {
                    SysError::new(
                        "write promote_secondaries",
                        e.raw_os_error().unwrap_or(libc::EIO),
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// An all-zero `sockaddr_nl` (pid 0 = the kernel, no groups).
fn unsafe_zeroed_nl() -> libc::sockaddr_nl {
    // SAFETY: sockaddr_nl is plain old data for which all-zero bytes are a valid value.
    unsafe { std::mem::zeroed() }
}

fn to_addr(a: &AddrInfo) -> Addr {
    Addr {
        index: a.index,
        prefix: a.prefix,
        tentative: a.flags & nl::IFA_F_TENTATIVE != 0,
        duplicated: a.flags & nl::IFA_F_DADFAILED != 0,
        deprecated: a.flags & nl::IFA_F_DEPRECATED != 0,
    }
}

fn to_link(l: LinkInfo) -> Option<Link> {
    let name = l.name?;
    Some(Link {
        index: l.index,
        name,
        up: l.flags & nl::IFF_UP != 0,
        carrier: l.flags & nl::IFF_LOWER_UP != 0 && l.flags & nl::IFF_RUNNING != 0,
        loopback: l.flags & nl::IFF_LOOPBACK != 0,
        mtu: l.mtu.unwrap_or(0),
        mac: (l.hwaddr.len() == 6
            && l.flags & nl::IFF_NOARP == 0
            && l.hwaddr.iter().any(|&b| b != 0))
        .then(|| {
            let mut m = [0u8; 6];
            m.copy_from_slice(&l.hwaddr);
            m
        }),
        counters: l.stats.map(|s| Counters {
            rx_packets: s.rx_packets,
            tx_packets: s.tx_packets,
            rx_errors: s.rx_errors,
            tx_errors: s.tx_errors,
            rx_dropped: s.rx_dropped,
            tx_dropped: s.tx_dropped,
        }),
    })
}

impl Backend for Sys {
    fn link(&mut self, which: LinkRef<'_>) -> Result<Option<Link>> {
        Ok(self.link_info(which)?.and_then(to_link))
    }

    fn addr(&mut self, ip: &IpAddr, index: Option<u32>) -> Result<Option<Addr>> {
        // IPv6 on a known interface: ask for the one address instead of dumping them all
        // (what keeps monitor flat with thousands of addresses on the interface).
        if let (IpAddr::V6(v6), Some(i)) = (ip, index) {
            if let Some(found) = self.addr_v6(v6, i)? {
                return Ok(found);
            }
        }
        let mut found = None;
        self.addrs(Family::of(ip), index.unwrap_or(0), |a| {
            if a.ip.as_ref() == Some(ip) && found.is_none() {
                found = Some(to_addr(a));
            }
        })?;
        Ok(found)
    }

    fn addr_with_prefix(&mut self, ip: &IpAddr, index: u32, prefix: u8) -> Result<Option<Addr>> {
        let mut found = None;
        self.addrs(Family::of(ip), index, |a| {
            if a.ip.as_ref() == Some(ip) && a.prefix == prefix && found.is_none() {
                found = Some(to_addr(a));
            }
        })?;
        Ok(found)
    }

    fn route(&mut self, ip: &IpAddr, index: Option<u32>) -> Result<Option<Route>> {
        let seq = self.next_seq();
        let family = Family::of(ip);
        let req = nl::Request::GetRoutes { family }.encode(seq);
        let mut best: Option<RouteInfo> = None;
        let proto = self.proto;
        self.transact(&req, seq, "RTM_GETROUTE", |m| {
            if m.ty != nl::RTM_NEWROUTE {
                return;
            }
            let Ok(r) = RouteInfo::parse(m.payload) else {
                return;
            };
            if !r.is_connected_cover(ip) || index.is_some_and(|i| r.oif != Some(i)) {
                return;
            }
            if proto.is_some_and(|p| r.protocol != p) {
                return;
            }
            if best.as_ref().is_none_or(|b| nl::better_route(&r, b)) {
                best = Some(r);
            }
        })?;
        Ok(best.and_then(|r| {
            Some(Route {
                index: r.oif?,
                prefix: r.dst_len,
            })
        }))
    }

    fn routes(&mut self, ip: &IpAddr, index: Option<u32>) -> Result<Vec<Candidate>> {
        let seq = self.next_seq();
        let family = Family::of(ip);
        let req = nl::Request::GetRoutes { family }.encode(seq);
        let mut all: Vec<RouteInfo> = Vec::new();
        self.transact(&req, seq, "RTM_GETROUTE", |m| {
            if m.ty != nl::RTM_NEWROUTE {
                return;
            }
            let Ok(r) = RouteInfo::parse(m.payload) else {
                return;
            };
            if r.is_connected_cover(ip) && index.is_none_or(|i| r.oif == Some(i)) {
                all.push(r);
            }
        })?;
        // The order `route` picks in: its choice comes first.
        all.sort_by(|a, b| {
            if nl::better_route(a, b) {
                std::cmp::Ordering::Less
            } else if nl::better_route(b, a) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        Ok(all
            .iter()
            .filter_map(|r| {
                Some(Candidate {
                    dst: r.dst?,
                    prefix: r.dst_len,
                    index: r.oif?,
                    metric: Some(r.priority),
                })
            })
            .collect())
    }

    fn add(&mut self, link: &Link, p: &Params, prefix: u8) -> Result<()> {
        let mut flags = 0;
        if p.nodad {
            flags |= nl::IFA_F_NODAD;
        }
        if p.noprefixroute {
            flags |= nl::IFA_F_NOPREFIXROUTE;
        }
        let label = match &p.iflabel {
            None => None,
            Some(l) => Some(
                nl::Label::alias(&link.name, l)
                    .map_err(|_| SysError::new("iflabel too long", libc::ENAMETOOLONG))?,
            ),
        };
        let req = nl::AddrRequest {
            index: link.index,
            ip: p.ip,
            prefix,
            broadcast: broadcast_for(p, prefix),
            flags,
            label,
            lifetimes: p.preferred_lft.map(|pl| (pl, u32::MAX)),
            metric: p.metric,
        };
        let seq = self.next_seq();
        let buf = nl::Request::NewAddr(&req).encode(seq);
        self.transact(&buf, seq, "RTM_NEWADDR", |_| {})
    }

    fn del(&mut self, link: &Link, ip: &IpAddr, prefix: u8) -> Result<()> {
        self.protect_secondaries(link, ip, prefix)?;
        let seq = self.next_seq();
        let index = link.index;
        let buf = nl::Request::DelAddr {
            index,
            ip: *ip,
            prefix,
        }
        .encode(seq);
        self.transact(&buf, seq, "RTM_DELADDR", |_| {})
    }

    fn probe(
        &mut self,
        link: &Link,
        ip: std::net::Ipv4Addr,
        wait: Duration,
    ) -> Result<Option<[u8; 6]>> {
        match link.mac {
            Some(mac) => probe_arp(link, mac, ip, wait),
            None => Ok(None),
        }
    }

    fn addr_label(&mut self, add: bool, ip: &std::net::Ipv6Addr, label: u32) -> Result<()> {
        let seq = self.next_seq();
        let op = if add {
            "RTM_NEWADDRLABEL"
        } else {
            "RTM_DELADDRLABEL"
        };
        let buf = nl::Request::AddrLabel {
            add,
            ip: *ip,
            label,
        }
        .encode(seq);
        self.transact(&buf, seq, op, |_| {})
    }

    fn detach(&mut self) -> Result<()> {
        self.fd = netlink()?;
        self.announcer = None;
        Ok(())
    }

    fn flush_route_cache(&mut self) -> Result<()> {
        // What `ip route flush cache` does: the kernel flushes on any write to these files.
        for fam in ["ipv4", "ipv6"] {
            let path = format!("/proc/sys/net/{fam}/route/flush");
            match std::fs::write(&path, "1") {
                Ok(()) => {}
                // IPv6 compiled out or disabled: nothing cached there.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(SysError::new(
                        "write route/flush",
                        e.raw_os_error().unwrap_or(libc::EIO),
                    ))
                }
            }
        }
        Ok(())
    }

    fn prepare_announce(&mut self, link: &Link, ip: &IpAddr) -> Result<()> {
        let fresh = match ip {
            IpAddr::V4(_) => {
                let (fd, to) = arp_socket(link)?;
                Announcer::Arp(fd, to)
            }
            IpAddr::V6(v6) => Announcer::Na(na_socket(link, *v6)?),
        };
        self.announcer = Some((link.index, fresh));
        Ok(())
    }

    fn probe_v6(
        &mut self,
        link: &Link,
        ip: std::net::Ipv6Addr,
        wait: Duration,
    ) -> Result<Option<[u8; 6]>> {
        match link.mac {
            Some(mac) => probe_nd(link, mac, ip, wait),
            None => Ok(None),
        }
    }

    fn announce(&mut self, link: &Link, ip: &IpAddr) -> Result<()> {
        let Some(mac) = link.mac else { return Ok(()) };
        let ready = match (&self.announcer, ip) {
            (Some((i, Announcer::Arp(..))), IpAddr::V4(_)) => *i == link.index,
            (Some((i, Announcer::Na(_))), IpAddr::V6(_)) => *i == link.index,
            _ => false,
        };
        if !ready {
            self.prepare_announce(link, ip)?;
        }
        match (&self.announcer, ip) {
            (Some((_, Announcer::Arp(fd, to))), IpAddr::V4(v4)) => send_arp(fd, to, mac, *v4),
            (Some((_, Announcer::Na(fd))), IpAddr::V6(v6)) => {
                super::send_na(fd.as_fd(), link.index, mac, *v6)
            }
            _ => Err(SysError::new("announce", libc::EINVAL)),
        }
    }
}

/// A packet socket for frames of `ethertype` on `link`, bound to it so that only its frames
/// are received; the bound address.
fn packet_socket(link: &Link, ethertype: u16) -> Result<(OwnedFd, libc::sockaddr_ll)> {
    // Protocol 0: the socket receives nothing until bound. Created with the protocol, it
    // would be hooked to every interface at once, and binding it to one would unhook it
    // first, waiting for an RCU grace period (10 ms or more on a busy machine).
    let fd = socket(libc::AF_PACKET, libc::SOCK_RAW, 0, "packet socket")?;
    // SAFETY: sockaddr_ll is plain old data; all-zero is valid before we fill it in.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = ethertype.to_be();
    sll.sll_ifindex = link.index as i32;
    // SAFETY: sll is a valid sockaddr_ll of the size passed.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(SysError::last("bind packet socket"));
    }
    Ok((fd, sll))
}

/// A packet socket for ARP on `link`, and the address to send broadcasts to.
fn arp_socket(link: &Link) -> Result<(OwnedFd, libc::sockaddr_ll)> {
    let (fd, mut sll) = packet_socket(link, ifaddr_core::frame::ETHERTYPE_ARP)?;
    sll.sll_halen = 6;
    sll.sll_addr[..6].copy_from_slice(&[0xff; 6]);
    Ok((fd, sll))
}

fn send_frame(fd: &OwnedFd, to: &libc::sockaddr_ll, frame: &[u8], op: &'static str) -> Result<()> {
    // SAFETY: frame and `to` are live for the call and their exact sizes are passed.
    let r = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            frame.as_ptr().cast(),
            frame.len(),
            0,
            (to as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(SysError::last(op));
    }
    Ok(())
}

fn send_arp(
    fd: &OwnedFd,
    to: &libc::sockaddr_ll,
    mac: [u8; 6],
    ip: std::net::Ipv4Addr,
) -> Result<()> {
    let frame = ifaddr_core::frame::gratuitous_arp(mac, ip);
    send_frame(fd, to, &frame, "send gratuitous ARP")
}

fn probe_arp(
    link: &Link,
    mac: [u8; 6],
    ip: std::net::Ipv4Addr,
    wait: Duration,
) -> Result<Option<[u8; 6]>> {
    let frame = ifaddr_core::frame::arp_probe(mac, ip);
    let (fd, to) = arp_socket(link)?;
    let fd = CloseLater(fd);
    send_frame(&fd, &to, &frame, "send ARP probe")?;
    listen(&fd, wait, |pkt| {
        ifaddr_core::frame::ArpPacket::parse(pkt)
            .filter(|p| p.conflicts(ip, mac))
            .map(|p| p.sender_mac)
    })
}

/// Listen on packet socket `fd` for `wait`: the first hardware address `answer` finds in a
/// frame that came in (not one we sent).
fn listen(
    fd: &OwnedFd,
    wait: Duration,
    answer: impl Fn(&[u8]) -> Option<[u8; 6]>,
) -> Result<Option<[u8; 6]>> {
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 2048];
    loop {
        if !super::wait_readable(fd.as_fd(), deadline)? {
            return Ok(None);
        }
        // SAFETY: sockaddr_ll is plain old data; the kernel fills it in.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut from_len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: buf and from are live, writable and their sizes are passed.
        let got = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut from_len,
            )
        };
        if got < 0 || from.sll_pkttype == libc::PACKET_OUTGOING {
            continue;
        }
        let got = (got as usize).min(buf.len());
        if let Some(m) = answer(&buf[..got]) {
            return Ok(Some(m));
        }
    }
}

/// A packet socket for IPv6 frames on `link`, bound to it. Frames we send through it go out
/// on the link only: the local IPv6 stack never sees them, so our own address is not
/// disturbed by our own solicitation (the kernel would answer one it received, and a
/// tentative address of ours would fail its detection).
fn ipv6_packet_socket(link: &Link) -> Result<OwnedFd> {
    packet_socket(link, ifaddr_core::frame::ETHERTYPE_IPV6).map(|(fd, _)| fd)
}

/// Closing the last reference to a packet socket waits for an RCU grace period
/// (`packet_release` calls `synchronize_net`), 10 ms or more on a busy machine. A probe's
/// socket is handed to a short-lived background process, which holds it past our close and
/// pays that wait instead, so the monitor reports at the end of its listening window.
struct CloseLater(OwnedFd);

impl std::ops::Deref for CloseLater {
    type Target = OwnedFd;
    fn deref(&self) -> &OwnedFd {
        &self.0
    }
}

impl Drop for CloseLater {
    fn drop(&mut self) {
        // The child keeps its copy of the descriptor until well after ours is closed (when
        // this returns), then exits; if forking fails, we pay the wait ourselves.
        if let crate::Fork::Child = crate::background() {
            std::thread::sleep(Duration::from_millis(200));
            crate::exit_now(0);
        }
    }
}

/// Send a DAD neighbour solicitation for `ip` and listen `wait` for a neighbour discovery
/// packet from another host that claims it.
fn probe_nd(
    link: &Link,
    mac: [u8; 6],
    ip: std::net::Ipv6Addr,
    wait: Duration,
) -> Result<Option<[u8; 6]>> {
    use ifaddr_core::frame;
    let ns = frame::dad_ns(mac, ip);
    let fd = CloseLater(ipv6_packet_socket(link)?);
    // The frame is complete (SOCK_RAW); the address only names the interface.
    // SAFETY: sockaddr_ll is plain old data; all-zero is valid before we fill it in.
    let mut to: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    to.sll_family = libc::AF_PACKET as u16;
    to.sll_protocol = frame::ETHERTYPE_IPV6.to_be();
    to.sll_ifindex = link.index as i32;
    to.sll_halen = 6;
    to.sll_addr[..6].copy_from_slice(&ns[..6]);
    send_frame(&fd, &to, &ns, "send neighbour solicitation")?;
    listen(&fd, wait, |pkt| {
        frame::NdPacket::parse(pkt)
            .filter(|p| p.conflicts(ip, mac))
            .map(|p| p.src_mac)
    })
}

/// A raw ICMPv6 socket for neighbour advertisements on `link`, bound to `ip` where the kernel
/// allows it (not while tentative).
fn na_socket(link: &Link, ip: std::net::Ipv6Addr) -> Result<OwnedFd> {
    let fd = socket(
        libc::AF_INET6,
        libc::SOCK_RAW,
        libc::IPPROTO_ICMPV6,
        "ICMPv6 socket",
    )?;
    setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS, 255)?;
    setsockopt_int(
        &fd,
        libc::IPPROTO_IPV6,
        libc::IPV6_MULTICAST_IF,
        link.index as i32,
    )?;
    // SAFETY: sockaddr_in6 is plain old data; all-zero is valid before we fill it in.
    let mut src: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    src.sin6_family = libc::AF_INET6 as u16;
    src.sin6_addr.s6_addr = ip.octets();
    // SAFETY: src is a valid sockaddr_in6 of the size passed.
    let _ = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&src as *const libc::sockaddr_in6).cast(),
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        )
    };
    Ok(fd)
}
