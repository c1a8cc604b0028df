//! FreeBSD backend: `SIOCAIFADDR`/`SIOCDIFADDR` (and the `_IN6` forms) on datagram sockets,
//! `sysctl NET_RT_IFLIST` for interfaces and addresses, `SIOCGIFAFLAG_IN6` for DAD state, a
//! routing-socket `RTM_GET` for nic detection, bpf(4) for gratuitous ARP and a raw ICMPv6
//! socket for unsolicited neighbour advertisements. Works on FreeBSD 13 and 14 (nothing here
//! needs `SIOCGIFALIAS` or netlink). Every request and reply is built and parsed by
//! `ifaddr_core::freebsd`; this file only moves bytes.
//!
//! With `jail`, [`Sys::open`] attaches the process to that VNET jail (`jail_attach(2)`, which
//! also changes its root directory to the jail's), so every later socket, sysctl and ioctl acts
//! on the jail's network stack. The bpf device is opened before attaching, because a jail's
//! devfs ruleset usually hides it; the interface is bound later and is looked up in the jail.

use super::{Addr, Backend, Counters, Link, LinkRef, Result, Route, SysError};
use crate::agent::broadcast_for;
use ifaddr_core::addr::Family;
use ifaddr_core::frame;
use ifaddr_core::freebsd::{self as bsd, bpf, route as rt, Target};
use ifaddr_core::ifname::IfName;
use ifaddr_core::params::Params;
use std::ffi::c_void;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// FreeBSD's ABI note (`NT_FREEBSD_ABI_TAG`, as FreeBSD's csu/common/crtbrand.S writes it):
/// owner "FreeBSD", the `__FreeBSD_version` the binary was built for. The C runtime zig links
/// keeps its copy in a COMDAT group, which the linker's `--gc-sections` drops from Rust
/// binaries; without any, the kernel runs the binary with `p_osrel` 0 (pre-5.x compatibility
/// behaviour) and `file` names no FreeBSD version. 1400097 is 14.0-RELEASE, the oldest libc
/// whose symbol versions (`FBSD_1.7`) a zig-linked binary needs.
#[repr(C)]
struct AbiNote {
    namesz: u32,
    descsz: u32,
    ty: u32,
    name: [u8; 8],
    desc: u32,
}

#[used]
#[link_section = ".note.tag"]
static FREEBSD_ABI_TAG: AbiNote = AbiNote {
    namesz: 8,
    descsz: 4,
    ty: 1,
    name: *b"FreeBSD\0",
    desc: 1_400_097,
};

pub struct Sys {
    inet: Option<OwnedFd>,
    inet6: Option<OwnedFd>,
    route: Option<OwnedFd>,
    icmp6: Option<OwnedFd>,
    /// The bpf descriptor and the interface it is bound to, if bound.
    bpf: Option<(OwnedFd, Option<IfName>)>,
    /// Why opening bpf before `jail_attach` failed, to report at the first announcement.
    bpf_error: Option<SysError>,
    /// The address is a CARP address: carp(4) announces it when it becomes master.
    carp: bool,
    seq: i32,
    pid: i32,
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

/// `ioctl(fd, req, arg)` for a request core ties to its argument's type.
fn ioctl_arg<T: bsd::IoctlArg>(
    fd: &OwnedFd,
    req: bsd::Ioctl<T>,
    arg: &mut T,
    op: &'static str,
) -> Result<()> {
    const { assert!(std::mem::size_of::<T>() == T::LEN) };
    ioctl(fd, req.number(), arg, op)
}

/// `ioctl(fd, req, arg)` where `arg` is the request's whole structure.
fn ioctl<T>(fd: &OwnedFd, req: u32, arg: &mut T, op: &'static str) -> Result<()> {
    // SAFETY: arg is a live, exclusively borrowed buffer of exactly the size encoded in `req`
    // (the encoders and the header check guarantee the two agree); the kernel reads and
    // writes at most that many bytes.
    let r = unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            req as libc::c_ulong,
            (arg as *mut T).cast::<c_void>(),
        )
    };
    if r < 0 {
        return Err(SysError::last(op));
    }
    Ok(())
}

fn setsockopt<T>(fd: &OwnedFd, level: i32, name: i32, value: &T, op: &'static str) -> Result<()> {
    // SAFETY: value points at a live T and its exact size is passed.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(SysError::last(op));
    }
    Ok(())
}

/// `struct bpf_program` (`<net/bpf.h>`): the argument of `BIOCSETF`.
#[repr(C)]
struct BpfProgram {
    len: u32,
    insns: *const [u8; bpf::BPF_INSN_LEN],
}
const _: () = assert!(std::mem::size_of::<BpfProgram>() == bpf::BPF_PROGRAM_LEN);

/// Open a bpf(4) descriptor (the cloning `/dev/bpf`).
fn open_bpf() -> Result<OwnedFd> {
    // SAFETY: the path is a NUL-terminated literal; a non-negative result is ours.
    let fd = unsafe { libc::open(c"/dev/bpf".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(SysError::last("open /dev/bpf"));
    }
    // SAFETY: fd was just returned by open and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The JID of jail `j` (a name, or a JID in decimal) and whether it has its own network stack
/// (`vnet=new`), through `jail_get(2)` as libjail's `jail_getid` does.
fn jail_lookup(j: &str) -> Result<(i32, bool)> {
    let numeric = j.bytes().all(|c| c.is_ascii_digit());
    let mut jid: i32 = if numeric {
        j.parse()
            .map_err(|_| SysError::new("jail: JID out of range", libc::EINVAL))?
    } else {
        0
    };
    let mut name: Vec<u8> = j.bytes().chain([0]).collect();
    let mut key: Vec<u8> = if numeric {
        b"jid\0".to_vec()
    } else {
        b"name\0".to_vec()
    };
    let mut vnet_key = b"vnet\0".to_vec();
    let mut vnet: i32 = 0;
    let value = if numeric {
        libc::iovec {
            iov_base: (&mut jid as *mut i32).cast(),
            iov_len: std::mem::size_of::<i32>(),
        }
    } else {
        libc::iovec {
            iov_base: name.as_mut_ptr().cast(),
            iov_len: name.len(),
        }
    };
    let mut iov = [
        libc::iovec {
            iov_base: key.as_mut_ptr().cast(),
            iov_len: key.len(),
        },
        value,
        libc::iovec {
            iov_base: vnet_key.as_mut_ptr().cast(),
            iov_len: vnet_key.len(),
        },
        libc::iovec {
            iov_base: (&mut vnet as *mut i32).cast(),
            iov_len: std::mem::size_of::<i32>(),
        },
    ];
    // SAFETY: every iovec points at a live buffer of the stated length (the key and string
    // buffers NUL-terminated, the integers 4 bytes) that outlives the call.
    let r = unsafe { libc::jail_get(iov.as_mut_ptr(), iov.len() as libc::c_uint, 0) };
    if r < 0 {
        let e = SysError::last("jail_get");
        if e.is(libc::ENOENT) {
            return Err(SysError::new("jail: no such jail", libc::ENOENT));
        }
        return Err(e);
    }
    Ok((r, vnet == bsd::JAIL_SYS_NEW))
}

impl Sys {
    /// Send `frame` through bpf on `link` and listen `wait` for a packet that passes `filter`
    /// and that `answer` takes for another host's claim to the address: its hardware address.
    fn bpf_probe(
        &mut self,
        link: &Link,
        filter: &[[u8; 8]],
        frame: &[u8],
        what: &'static str,
        wait: Duration,
        answer: impl Fn(&[u8]) -> Option<[u8; 6]>,
    ) -> Result<Option<[u8; 6]>> {
        let fd = self.bpf_for(&link.name)?;
        let mut one: u32 = 1;
        ioctl_arg(fd, bpf::BIOCIMMEDIATE, &mut one, "BIOCIMMEDIATE")?;
        let mut prog = BpfProgram {
            len: filter.len() as u32,
            insns: filter.as_ptr(),
        };
        ioctl(fd, bpf::BIOCSETF, &mut prog, "BIOCSETF")?;
        let mut blen: u32 = 0;
        ioctl_arg(fd, bpf::BIOCGBLEN, &mut blen, "BIOCGBLEN")?;
        let mut buf = vec![0u8; blen as usize];
        // SAFETY: frame is a live slice of the length passed.
        if unsafe { libc::write(fd.as_raw_fd(), frame.as_ptr().cast(), frame.len()) } < 0 {
            return Err(SysError::last(what));
        }
        let deadline = Instant::now() + wait;
        loop {
            if !super::wait_readable(fd.as_fd(), deadline)? {
                return Ok(None);
            }
            // SAFETY: buf is a live buffer of exactly the size BIOCGBLEN asked for.
            let got = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if got < 0 {
                let e = SysError::last("bpf read");
                if e.is(libc::EINTR) || e.is(libc::EAGAIN) {
                    continue;
                }
                return Err(e);
            }
            if let Some(m) = bpf::Records::new(&buf[..got as usize]).find_map(&answer) {
                return Ok(Some(m));
            }
        }
    }

    /// Prepare the backend; with `jail`, attach this process to that VNET jail first.
    pub fn open(p: &Params) -> Result<Sys> {
        let carp = p.carp_vhid.is_some();
        let mut bpf = None;
        let mut bpf_error = None;
        if let Some(j) = &p.jail {
            let (jid, vnet) = jail_lookup(j)?;
            if !vnet {
                return Err(SysError::new(
                    "jail: not a VNET jail (vnet=new); its addresses belong to the host",
                    libc::EINVAL,
                ));
            }
            if p.family() == Family::V4 && (p.arp_count > 0 || p.arp_probe_ms > 0) && !carp {
                match open_bpf() {
                    Ok(fd) => bpf = Some((fd, None)),
                    Err(e) => bpf_error = Some(e),
                }
            }
            // SAFETY: jail_attach takes no pointers.
            if unsafe { libc::jail_attach(jid) } < 0 {
                return Err(SysError::last("jail_attach"));
            }
        }
        Ok(Sys {
            inet: None,
            inet6: None,
            route: None,
            icmp6: None,
            bpf,
            bpf_error,
            carp,
            seq: 0,
            // SAFETY: getpid has no preconditions and cannot fail.
            pid: unsafe { libc::getpid() },
        })
    }

    fn inet(&mut self) -> Result<&OwnedFd> {
        if self.inet.is_none() {
            self.inet = Some(socket(
                libc::AF_INET,
                libc::SOCK_DGRAM,
                0,
                "AF_INET socket",
            )?);
        }
        Ok(self.inet.as_ref().expect("set above"))
    }

    fn inet6(&mut self) -> Result<&OwnedFd> {
        if self.inet6.is_none() {
            self.inet6 = Some(socket(
                libc::AF_INET6,
                libc::SOCK_DGRAM,
                0,
                "AF_INET6 socket",
            )?);
        }
        Ok(self.inet6.as_ref().expect("set above"))
    }

    /// `sysctl {CTL_NET, PF_ROUTE, 0, af, NET_RT_IFLIST, index}`: the interface list, with the
    /// addresses of `family` (all when `None`), of one interface or (index 0) all.
    fn iflist(&mut self, family: Option<Family>, index: u32) -> Result<Vec<u8>> {
        let mib = rt::iflist_mib(family, index);
        for _ in 0..8 {
            let mut len: libc::size_t = 0;
            // SAFETY: mib is a live array of 6 ints; a null old pointer asks only for the size,
            // written to len.
            let r = unsafe {
                libc::sysctl(
                    mib.as_ptr(),
                    mib.len() as libc::c_uint,
                    std::ptr::null_mut(),
                    &mut len,
                    std::ptr::null(),
                    0,
                )
            };
            if r < 0 {
                let e = SysError::last("sysctl NET_RT_IFLIST");
                return if e.is(libc::ENOENT) {
                    Ok(Vec::new())
                } else {
                    Err(e)
                };
            }
            // Room for interfaces and addresses that appear between the two calls.
            let mut buf = vec![0u8; len + len / 2 + 4096];
            let mut got: libc::size_t = buf.len();
            // SAFETY: buf is a live buffer of `got` bytes; the kernel writes at most that many
            // and stores the count written in got.
            let r = unsafe {
                libc::sysctl(
                    mib.as_ptr(),
                    mib.len() as libc::c_uint,
                    buf.as_mut_ptr().cast(),
                    &mut got,
                    std::ptr::null(),
                    0,
                )
            };
            if r == 0 {
                buf.truncate(got.min(buf.len()));
                return Ok(buf);
            }
            let e = SysError::last("sysctl NET_RT_IFLIST");
            if e.is(libc::ENOENT) {
                return Ok(Vec::new());
            }
            if !e.is(libc::ENOMEM) {
                return Err(e);
            }
        }
        Err(SysError::new(
            "sysctl NET_RT_IFLIST (list keeps growing)",
            libc::ENOMEM,
        ))
    }

    /// The IPv6 address flags (`IN6_IFF_*`) of `ip` on `name`.
    fn in6_flags(&mut self, name: &IfName, ip: Ipv6Addr) -> Result<u32> {
        let target = Target::v6(ip).ok_or(SysError::new("SIOCGIFAFLAG_IN6", libc::EINVAL))?;
        let mut req = bsd::In6Ifreq::new(name, target);
        ioctl_arg(
            self.inet6()?,
            bsd::SIOCGIFAFLAG_IN6,
            &mut req,
            "SIOCGIFAFLAG_IN6",
        )?;
        Ok(req.flags6())
    }

    /// Ask the routing table for the route to `ip`: `(interface index, flags, prefix)`, or
    /// `None` when there is no route.
    fn rtm_get(&mut self, ip: &IpAddr) -> Result<Option<(u32, bool, Option<u8>)>> {
        if self.route.is_none() {
            let fd = socket(libc::PF_ROUTE, libc::SOCK_RAW, 0, "routing socket")?;
            let tv = libc::timeval {
                tv_sec: 2,
                tv_usec: 0,
            };
            setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv, "SO_RCVTIMEO")?;
            self.route = Some(fd);
        }
        let fd = self.route.as_ref().expect("set above");
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let req = rt::RtmGet { dst: *ip, seq }.encode();
        // SAFETY: req is a live buffer of req.len() initialised bytes.
        let w = unsafe { libc::write(fd.as_raw_fd(), req.as_ptr().cast(), req.len()) };
        if w < 0 {
            let e = SysError::last("RTM_GET");
            // ESRCH: no route at all (not even a default route).
            return if e.is(libc::ESRCH) { Ok(None) } else { Err(e) };
        }
        let mut buf = vec![0u8; 4096];
        // Other processes' routing messages arrive on the same socket; skip them (bounded).
        for _ in 0..256 {
            // SAFETY: buf is a live buffer of buf.len() bytes.
            let r = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if r < 0 {
                let e = SysError::last("RTM_GET reply");
                if e.is(libc::EINTR) {
                    continue;
                }
                if e.is(libc::EAGAIN) {
                    return Err(SysError::new("RTM_GET reply", libc::ETIMEDOUT));
                }
                return Err(e);
            }
            let Ok(reply) = rt::parse_route_reply(&buf[..r as usize]) else {
                continue;
            };
            if reply.ty != rt::RTM_GET || reply.seq != seq || reply.pid != self.pid {
                continue;
            }
            if reply.errno != 0 {
                return Ok(None);
            }
            return Ok(Some((
                u32::from(reply.index),
                reply.is_connected(),
                reply.prefix,
            )));
        }
        Err(SysError::new("RTM_GET reply", libc::ETIMEDOUT))
    }

    /// Bind the bpf descriptor to `name` (opening it first when not in a jail).
    fn bpf_for(&mut self, name: &IfName) -> Result<&OwnedFd> {
        if self.bpf.is_none() {
            if let Some(e) = self.bpf_error.clone() {
                return Err(e);
            }
            self.bpf = Some((open_bpf()?, None));
        }
        let (fd, bound) = self.bpf.as_mut().expect("set above");
        if bound.as_ref() != Some(name) {
            let mut req = bsd::Ifreq::new(name);
            ioctl_arg(fd, bsd::BIOCSETIF, &mut req, "BIOCSETIF")?;
            // Keep the source address we write (the kernel would otherwise fill it in).
            let mut one: u32 = 1;
            ioctl_arg(fd, bsd::BIOCSHDRCMPLT, &mut one, "BIOCSHDRCMPLT")?;
            *bound = Some(name.clone());
        }
        Ok(&self.bpf.as_ref().expect("set above").0)
    }

    fn send_na(&mut self, link: &Link, mac: [u8; 6], ip: Ipv6Addr) -> Result<()> {
        if self.icmp6.is_none() {
            let fd = socket(
                libc::AF_INET6,
                libc::SOCK_RAW,
                libc::IPPROTO_ICMPV6,
                "ICMPv6 socket",
            )?;
            // Neighbour discovery messages must carry hop limit 255 (RFC 4861 section 7.1.2).
            let hops: i32 = 255;
            setsockopt(
                &fd,
                libc::IPPROTO_IPV6,
                bsd::IPV6_MULTICAST_HOPS,
                &hops,
                "IPV6_MULTICAST_HOPS",
            )?;
            self.icmp6 = Some(fd);
        }
        let fd = self.icmp6.as_ref().expect("set above");
        let index: u32 = link.index;
        setsockopt(
            fd,
            libc::IPPROTO_IPV6,
            bsd::IPV6_MULTICAST_IF,
            &index,
            "IPV6_MULTICAST_IF",
        )?;
        super::send_na(fd.as_fd(), link.index, mac, ip)
    }
}

/// The error of an add with `carp_vhid`, named after what carp(4) means by it.
fn carp_error(errno: i32) -> SysError {
    let op = match errno {
        libc::EPROTONOSUPPORT => "carp_vhid: the carp module is not loaded (kldload carp)",
        libc::ENOPROTOOPT => "carp_vhid: nic has no CARP configured (ifconfig NIC vhid N ...)",
        libc::ENOENT => "carp_vhid: nic has no CARP virtual host with this vhid",
        _ => "add address with carp_vhid",
    };
    SysError::new(op, errno)
}

fn to_link(l: &rt::LinkInfo<'_>) -> Option<Link> {
    Some(Link {
        index: u32::from(l.index),
        name: l.name()?,
        up: l.is_up(),
        carrier: l.has_carrier(),
        loopback: l.is_loopback(),
        mtu: l.mtu,
        mac: l.mac(),
        counters: Some(Counters {
            rx_packets: l.stats.ipackets,
            tx_packets: l.stats.opackets,
            rx_errors: l.stats.ierrors,
            tx_errors: l.stats.oerrors,
            rx_dropped: l.stats.iqdrops,
            tx_dropped: l.stats.oqdrops,
        }),
    })
}

impl Backend for Sys {
    fn link(&mut self, which: LinkRef<'_>) -> Result<Option<Link>> {
        let (index, name) = match which {
            LinkRef::Index(i) => (i, None),
            LinkRef::Name(n) => {
                let c: Vec<u8> = n.as_bytes().iter().copied().chain([0]).collect();
                // SAFETY: c is NUL-terminated and outlives the call.
                let i = unsafe { libc::if_nametoindex(c.as_ptr().cast()) };
                if i == 0 {
                    return Ok(None);
                }
                (i, Some(n))
            }
        };
        if index == 0 {
            return Ok(None);
        }
        // The interface's own message comes whatever the family; IPv4 keeps the list short.
        let buf = self.iflist(Some(Family::V4), index)?;
        Ok(rt::find_link(&buf, Some(index), name)
            .as_ref()
            .and_then(to_link))
    }

    fn addr(&mut self, ip: &IpAddr, index: Option<u32>) -> Result<Option<Addr>> {
        let family = Family::of(ip);
        let buf = self.iflist(Some(family), index.unwrap_or(0))?;
        let Some(found) = rt::find_addr(&buf, ip, index) else {
            return Ok(None);
        };
        let mut a = Addr {
            index: found.index,
            prefix: found.prefix.unwrap_or(family.max_prefix()),
            tentative: false,
            duplicated: false,
            deprecated: false,
        };
        if let (IpAddr::V6(v6), Some(name)) = (ip, &found.name) {
            match self.in6_flags(name, *v6) {
                Ok(f) => {
                    a.tentative = f & bsd::IN6_IFF_TENTATIVE != 0;
                    a.duplicated = f & bsd::IN6_IFF_DUPLICATED != 0;
                    a.deprecated = f & bsd::IN6_IFF_DEPRECATED != 0;
                }
                // Removed between the two requests.
                Err(e) if e.is(libc::EADDRNOTAVAIL) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Ok(Some(a))
    }

    fn route(&mut self, ip: &IpAddr, index: Option<u32>) -> Result<Option<Route>> {
        if index.is_none() {
            if let Some((idx, true, Some(prefix))) = self.rtm_get(ip)? {
                return Ok(Some(Route { index: idx, prefix }));
            }
        }
        // The routing table answered with a host route (ip is local already), a gateway or
        // nothing, or one interface was asked about: use the interfaces' own prefixes.
        let buf = self.iflist(Some(Family::of(ip)), 0)?;
        Ok(rt::connected_from_iflist(&buf, ip, index)
            .map(|(index, prefix)| Route { index, prefix }))
    }

    fn add(&mut self, link: &Link, p: &Params, prefix: u8) -> Result<()> {
        // SIOCAIFADDR on an existing address replaces it instead of failing: check first.
        if self.addr(&p.ip, Some(link.index))?.is_some() {
            return Err(SysError::new("add address", libc::EEXIST));
        }
        let vhid = p.carp_vhid.unwrap_or(0);
        let r = match p.ip {
            IpAddr::V4(v4) => {
                let broadcast = broadcast_for(p, prefix);
                let mut req = bsd::InAliasreq::new(&link.name, v4, prefix, broadcast, vhid);
                ioctl_arg(self.inet()?, bsd::SIOCAIFADDR, &mut req, "SIOCAIFADDR")
            }
            IpAddr::V6(v6) => {
                let flags = if p.nodad { bsd::IN6_IFF_NODAD } else { 0 };
                let mut req =
                    bsd::In6Aliasreq::new(&link.name, v6, prefix, flags, p.preferred_lft, vhid);
                ioctl_arg(
                    self.inet6()?,
                    bsd::SIOCAIFADDR_IN6,
                    &mut req,
                    "SIOCAIFADDR_IN6",
                )
            }
        };
        match r {
            Err(e) if vhid != 0 => Err(carp_error(e.errno)),
            r => r,
        }
    }

    fn del(&mut self, link: &Link, ip: &IpAddr, _prefix: u8) -> Result<()> {
        // FreeBSD deletes by address; the prefix is not part of the request.
        let unset = || SysError::new("refusing to delete the unspecified address", libc::EINVAL);
        match *ip {
            IpAddr::V4(v4) => {
                let mut req = bsd::IfreqAddr::new(&link.name, Target::v4(v4).ok_or_else(unset)?);
                ioctl_arg(self.inet()?, bsd::SIOCDIFADDR, &mut req, "SIOCDIFADDR")
            }
            IpAddr::V6(v6) => {
                let mut req = bsd::In6Ifreq::new(&link.name, Target::v6(v6).ok_or_else(unset)?);
                ioctl_arg(
                    self.inet6()?,
                    bsd::SIOCDIFADDR_IN6,
                    &mut req,
                    "SIOCDIFADDR_IN6",
                )
            }
        }
    }

    fn probe(&mut self, link: &Link, ip: Ipv4Addr, wait: Duration) -> Result<Option<[u8; 6]>> {
        // A CARP address is expected to answer from the master; carp(4) arbitrates instead.
        let Some(mac) = link.mac.filter(|_| !self.carp) else {
            return Ok(None);
        };
        let f = frame::arp_probe(mac, ip);
        self.bpf_probe(link, &bpf::ARP_FILTER, &f, "ARP probe", wait, |pkt| {
            frame::ArpPacket::parse(pkt)
                .filter(|a| a.conflicts(ip, mac))
                .map(|a| a.sender_mac)
        })
    }

    fn addr_label(&mut self, add: bool, ip: &Ipv6Addr, label: u32) -> Result<()> {
        // The address-selection policy table (ip6addrctl(8)), per VNET.
        let mut req = bsd::In6Addrpolicy::new(*ip, label);
        let (cmd, op) = if add {
            (bsd::SIOCAADDRCTL_POLICY, "SIOCAADDRCTL_POLICY")
        } else {
            (bsd::SIOCDADDRCTL_POLICY, "SIOCDADDRCTL_POLICY")
        };
        ioctl_arg(self.inet6()?, cmd, &mut req, op)
    }

    fn prepare_announce(&mut self, link: &Link, ip: &IpAddr) -> Result<()> {
        if self.carp {
            return Ok(());
        }
        // Bind bpf now, so that each announcement is one write right after the agent has
        // checked that the address is still there.
        if ip.is_ipv4() {
            self.bpf_for(&link.name)?;
        }
        Ok(())
    }

    fn probe_v6(&mut self, link: &Link, ip: Ipv6Addr, wait: Duration) -> Result<Option<[u8; 6]>> {
        // As for IPv4: carp(4) arbitrates a CARP address.
        let Some(mac) = link.mac.filter(|_| !self.carp) else {
            return Ok(None);
        };
        let f = frame::dad_ns(mac, ip);
        // bpf writes go out on the link only, not into the local stack, so our own address
        // is not disturbed by our own solicitation.
        self.bpf_probe(
            link,
            &bpf::ND_FILTER,
            &f,
            "neighbour solicitation",
            wait,
            |pkt| {
                frame::NdPacket::parse(pkt)
                    .filter(|p| p.conflicts(ip, mac))
                    .map(|p| p.src_mac)
            },
        )
    }

    fn announce(&mut self, link: &Link, ip: &IpAddr) -> Result<()> {
        if self.carp {
            // carp(4) sends its own announcements when this node becomes master; one from a
            // backup would steal the address.
            return Ok(());
        }
        let mac = link.mac.ok_or(SysError::new(
            "announce: interface has no Ethernet address",
            libc::EINVAL,
        ))?;
        match *ip {
            IpAddr::V4(v4) => {
                let f = frame::gratuitous_arp(mac, v4);
                let fd = self.bpf_for(&link.name)?;
                // SAFETY: f is a live frame of f.len() initialised bytes.
                let w = unsafe { libc::write(fd.as_raw_fd(), f.as_ptr().cast(), f.len()) };
                if w < 0 {
                    return Err(SysError::last("bpf write"));
                }
                Ok(())
            }
            IpAddr::V6(v6) => self.send_na(link, mac, v6),
        }
    }
}
