//! The kernel backends: one per OS, behind one trait, so the agent logic in `agent.rs` is
//! written once. Requests and replies are built and parsed by `ifaddr-core`; this module only
//! moves bytes to and from the kernel.

use ifaddr_core::ifname::IfName;
use ifaddr_core::params::Params;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "linux")]
pub use linux::Sys;

#[cfg(target_os = "freebsd")]
pub mod freebsd;
#[cfg(target_os = "freebsd")]
pub use freebsd::Sys;

/// Interface counters, where the OS reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
}

/// An interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: IfName,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// Carrier present (`IFF_RUNNING` / `IFF_LOWER_UP`).
    pub carrier: bool,
    pub loopback: bool,
    pub mtu: u32,
    /// Ethernet address, when the interface has one.
    pub mac: Option<[u8; 6]>,
    pub counters: Option<Counters>,
}

/// One configured address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    pub index: u32,
    pub prefix: u8,
    pub tentative: bool,
    pub duplicated: bool,
    pub deprecated: bool,
}

/// The connected route chosen by nic detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub index: u32,
    pub prefix: u8,
}

/// A connected route covering an address, as `explain` lists the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The route's destination network.
    pub dst: IpAddr,
    pub prefix: u8,
    pub index: u32,
    /// The route's metric, where the OS has one.
    pub metric: Option<u32>,
}

/// Which interface to look at.
#[derive(Debug, Clone, Copy)]
pub enum LinkRef<'a> {
    Name(&'a IfName),
    Index(u32),
}

/// A failed system call: what was being done and the errno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysError {
    pub op: &'static str,
    pub errno: i32,
}

impl SysError {
    pub fn new(op: &'static str, errno: i32) -> SysError {
        SysError { op, errno }
    }

    pub fn last(op: &'static str) -> SysError {
        SysError::new(
            op,
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        )
    }

    pub fn is(&self, errno: i32) -> bool {
        self.errno == errno
    }
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = std::io::Error::from_raw_os_error(self.errno);
        write!(f, "{}: {}", self.op, crate::policy::io_text(&e))
    }
}

pub type Result<T> = std::result::Result<T, SysError>;

/// What the agent needs from a kernel.
pub trait Backend {
    /// An interface by name or index; `None` when it does not exist.
    fn link(&mut self, which: LinkRef<'_>) -> Result<Option<Link>>;
    /// `ip` as configured on interface `index`, or on any interface when `index` is `None`.
    fn addr(&mut self, ip: &IpAddr, index: Option<u32>) -> Result<Option<Addr>>;
    /// `ip/prefix` on interface `index`. Linux allows one address under several prefixes on
    /// one interface; this finds the wanted one wherever the kernel lists it.
    fn addr_with_prefix(&mut self, ip: &IpAddr, index: u32, prefix: u8) -> Result<Option<Addr>> {
        Ok(self.addr(ip, Some(index))?.filter(|a| a.prefix == prefix))
    }
    /// The best connected route covering `ip` (on interface `index` when given): longest
    /// prefix, then lowest metric, then lowest interface index.
    fn route(&mut self, ip: &IpAddr, index: Option<u32>) -> Result<Option<Route>>;
    /// Every connected route [`Backend::route`] chooses among, best first in its order (so the
    /// first is its answer). For `explain`; a backend that cannot list them gives the chosen
    /// one alone, without a metric.
    fn routes(&mut self, ip: &IpAddr, index: Option<u32>) -> Result<Vec<Candidate>> {
        Ok(self
            .route(ip, index)?
            .map(|r| Candidate {
                dst: network(ip, r.prefix),
                prefix: r.prefix,
                index: r.index,
                metric: None,
            })
            .into_iter()
            .collect())
    }
    /// Add `ip/prefix` to `link`. Fails with `EEXIST` if it is there already.
    fn add(&mut self, link: &Link, p: &Params, prefix: u8) -> Result<()>;
    /// Remove exactly `ip/prefix` from `link`.
    fn del(&mut self, link: &Link, ip: &IpAddr, prefix: u8) -> Result<()>;
    /// This process was forked from the one that opened the backend: get kernel sockets of
    /// its own, so that its requests and the parent's cannot take each other's replies.
    fn detach(&mut self) -> Result<()> {
        Ok(())
    }
    /// Flush the kernel's cached routes (`flush_routes`); only Linux has something to flush.
    fn flush_route_cache(&mut self) -> Result<()> {
        Ok(())
    }
    /// Add (`add`) or remove the IPv6 address-selection label of `ip`/128, on every
    /// interface (`lvs_ipv6_addrlabel`).
    fn addr_label(&mut self, _add: bool, _ip: &std::net::Ipv6Addr, _label: u32) -> Result<()> {
        Err(SysError::new("address labels", libc::EOPNOTSUPP))
    }
    /// Open (and keep) what [`Backend::announce`] sends with, so that a send right after the
    /// check that the address is still there is one system call, not a socket set-up.
    fn prepare_announce(&mut self, _link: &Link, _ip: &IpAddr) -> Result<()> {
        Ok(())
    }
    /// Send one gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6).
    fn announce(&mut self, link: &Link, ip: &IpAddr) -> Result<()>;
    /// IPv4 duplicate check: send an ARP probe for `ip` on `link` and listen for `wait`.
    /// `Some(mac)` is the hardware address of a host that already uses `ip`.
    fn probe(&mut self, link: &Link, ip: Ipv4Addr, wait: Duration) -> Result<Option<[u8; 6]>>;
    /// IPv6 counterpart of [`Backend::probe`]: send a duplicate-address-detection neighbour
    /// solicitation for `ip` (from `::`) on `link` and listen for `wait`. `Some(mac)` is the
    /// hardware address of another host that advertises `ip` (or is detecting it).
    fn probe_v6(&mut self, link: &Link, ip: Ipv6Addr, wait: Duration) -> Result<Option<[u8; 6]>>;
}

/// The network `ip/prefix` lies in.
pub fn network(ip: &IpAddr, prefix: u8) -> IpAddr {
    use ifaddr_core::addr::{v4_mask, v6_mask};
    match ip {
        IpAddr::V4(a) => IpAddr::V4((u32::from(*a) & u32::from(v4_mask(prefix))).into()),
        IpAddr::V6(a) => IpAddr::V6((u128::from(*a) & u128::from(v6_mask(prefix))).into()),
    }
}

/// Whether this process runs with root's privileges.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Wait until `fd` is readable or `deadline` passes: `Ok(true)` when there is something to
/// read, `Ok(false)` at the deadline. Used by the duplicate-address probes of both backends.
pub fn wait_readable(
    fd: std::os::fd::BorrowedFd<'_>,
    deadline: std::time::Instant,
) -> Result<bool> {
    use std::os::fd::AsRawFd;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX);
        // SAFETY: pfd is one valid pollfd and the count passed is 1.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = SysError::last("poll");
            if e.is(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        if r > 0 {
            return Ok(true);
        }
    }
}

/// Send an unsolicited neighbour advertisement (`frame::unsolicited_na`) for `ip` from `mac`
/// to all nodes (ff02::1) on interface `index`, through a raw ICMPv6 socket whose hop limit
/// is 255. Shared by both backends.
pub fn send_na(
    fd: std::os::fd::BorrowedFd<'_>,
    index: u32,
    mac: [u8; 6],
    ip: Ipv6Addr,
) -> Result<()> {
    use std::os::fd::AsRawFd;
    let msg = ifaddr_core::frame::unsolicited_na(mac, ip);
    // SAFETY: sockaddr_in6 is a plain C struct for which all zero bytes are valid.
    let mut to: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    #[cfg(target_os = "freebsd")]
    {
        to.sin6_len = std::mem::size_of::<libc::sockaddr_in6>() as u8;
    }
    to.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    to.sin6_addr.s6_addr = ifaddr_core::frame::ALL_NODES.octets();
    to.sin6_scope_id = index;
    // SAFETY: msg and `to` are live for the call and their exact sizes are passed.
    let r = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&to as *const libc::sockaddr_in6).cast(),
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(SysError::last("send neighbour advertisement"));
    }
    Ok(())
}
