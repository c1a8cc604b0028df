//! FreeBSD `NET_RT_IFLIST` for the fuzz targets: an arbitrary model of interfaces and
//! addresses, its encoding in the kernel's layout (written here from `<net/if.h>` and
//! `<net/route.h>`, independently of core's parsers), and the checks that relate core's
//! `find_addr`, `find_link` and `connected_from_iflist` to the messages `Iflist` decodes.

use arbitrary::Arbitrary;
use core::net::IpAddr;
use ifaddr_core::addr::{self, Family};
use ifaddr_core::freebsd::route::*;
use ifaddr_core::freebsd::{AF_INET, AF_INET6};
use ifaddr_core::ifname::IfName;

#[derive(Debug, Clone, Arbitrary)]
pub struct Iface {
    pub index: u16,
    pub flags: u32,
    pub ty: u8,
    pub link_state: u8,
    pub mtu: u32,
    pub stats: [u64; 6],
    /// With neither a name nor a link-level address, the `sockaddr_dl` is left out.
    #[arbitrary(with = crate::arb::opt_if_name)]
    pub name: Option<IfName>,
    pub mac: Option<[u8; 6]>,
    pub addrs: Vec<Addr>,
}

#[derive(Debug, Clone, Arbitrary)]
pub struct Addr {
    pub flags: i32,
    pub ip: Option<IpAddr>,
    pub prefix: Option<u8>,
    /// Send the netmask trimmed after its last non-zero byte, as the kernel may.
    pub trim: bool,
    pub broadcast: Option<IpAddr>,
}

fn put_sockaddr(out: &mut Vec<u8>, sa: &[u8]) {
    out.extend_from_slice(sa);
    let size = sa_size(sa.first().copied().unwrap_or(0));
    out.resize(out.len() + size - sa.len(), 0);
}

fn sockaddr_ip(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => {
            let mut s = vec![16, AF_INET, 0, 0];
            s.extend_from_slice(&a.octets());
            s.resize(16, 0);
            s
        }
        IpAddr::V6(a) => {
            let mut s = vec![28, AF_INET6, 0, 0, 0, 0, 0, 0];
            s.extend_from_slice(&a.octets());
            s.resize(28, 0);
            s
        }
    }
}

fn sockaddr_mask(family: Family, prefix: u8, trim: bool) -> Vec<u8> {
    let (mut s, bytes) = match family {
        Family::V4 => (
            vec![16, AF_INET, 0, 0],
            addr::v4_mask(prefix).octets().to_vec(),
        ),
        Family::V6 => (
            vec![28, AF_INET6, 0, 0, 0, 0, 0, 0],
            addr::v6_mask(prefix).octets().to_vec(),
        ),
    };
    s.extend_from_slice(&bytes);
    if trim {
        while s.len() > 2 && *s.last().unwrap() == 0 {
            s.pop();
        }
        s[0] = s.len() as u8;
    } else {
        s.resize(usize::from(s[0]), 0);
    }
    s
}

fn finish(out: &mut [u8], start: usize) {
    let len = (out.len() - start) as u16;
    out[start..start + 2].copy_from_slice(&len.to_ne_bytes());
}

/// The `NET_RT_IFLIST` bytes for `ifaces`: per interface an `RTM_IFINFO`, then one
/// `RTM_NEWADDR` per address.
pub fn encode(ifaces: &[Iface]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in ifaces {
        let start = out.len();
        let with_dl = i.name.is_some() || i.mac.is_some();
        out.extend_from_slice(&[0, 0, RTM_VERSION, RTM_IFINFO]);
        out.extend_from_slice(&(if with_dl { RTA_IFP } else { 0 }).to_ne_bytes());
        out.extend_from_slice(&i.flags.to_ne_bytes());
        out.extend_from_slice(&i.index.to_ne_bytes());
        out.extend_from_slice(&[0, 0]);
        let mut data = [0u8; IF_DATA_LEN];
        data[0] = i.ty;
        data[4] = i.link_state;
        data[8..12].copy_from_slice(&i.mtu.to_ne_bytes());
        for (off, v) in [24, 32, 40, 48, 96, 104].into_iter().zip(i.stats) {
            data[off..off + 8].copy_from_slice(&v.to_ne_bytes());
        }
        out.extend_from_slice(&data);
        if with_dl {
            let name = i.name.as_ref().map_or(&[][..], |n| n.as_bytes());
            let mac = i.mac.as_ref().map_or(&[][..], |m| &m[..]);
            let mut sdl = vec![0, AF_LINK];
            sdl.extend_from_slice(&i.index.to_ne_bytes());
            sdl.extend_from_slice(&[i.ty, name.len() as u8, mac.len() as u8, 0]);
            sdl.extend_from_slice(name);
            sdl.extend_from_slice(mac);
            sdl.resize(sdl.len().max(SOCKADDR_DL_LEN), 0);
            sdl[0] = sdl.len() as u8;
            put_sockaddr(&mut out, &sdl);
        }
        finish(&mut out, start);
        for a in &i.addrs {
            let start = out.len();
            let family = a.ip.as_ref().map_or(Family::V4, Family::of);
            let mut addrs = 0;
            let mut sas = Vec::new();
            if let Some(p) = a.prefix {
                addrs |= RTA_NETMASK;
                put_sockaddr(&mut sas, &sockaddr_mask(family, p, a.trim));
            }
            if let Some(ip) = &a.ip {
                addrs |= RTA_IFA;
                put_sockaddr(&mut sas, &sockaddr_ip(ip));
            }
            if let Some(b) = &a.broadcast {
                addrs |= RTA_BRD;
                put_sockaddr(&mut sas, &sockaddr_ip(b));
            }
            out.extend_from_slice(&[0, 0, RTM_VERSION, RTM_NEWADDR]);
            out.extend_from_slice(&addrs.to_ne_bytes());
            out.extend_from_slice(&a.flags.to_ne_bytes());
            out.extend_from_slice(&i.index.to_ne_bytes());
            out.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&sas);
            finish(&mut out, start);
        }
    }
    out
}

/// What `Iflist` must decode from `encode(ifaces)`.
pub fn expected(ifaces: &[Iface]) -> Vec<IfMsg<'static>> {
    let mut v = Vec::new();
    for i in ifaces {
        // The link address borrows from the buffer: compare it separately (see `check_decode`).
        v.push(IfMsg::Link(LinkInfo {
            index: i.index,
            flags: i.flags,
            ty: i.ty,
            link_state: i.link_state,
            mtu: i.mtu,
            stats: IfStats {
                ipackets: i.stats[0],
                ierrors: i.stats[1],
                opackets: i.stats[2],
                oerrors: i.stats[3],
                iqdrops: i.stats[4],
                oqdrops: i.stats[5],
            },
            link: None,
        }));
        for a in &i.addrs {
            let prefix = match (&a.ip, a.prefix) {
                (Some(ip), Some(p)) => Some(p.min(Family::of(ip).max_prefix())),
                _ => None,
            };
            v.push(IfMsg::Addr(AddrInfo {
                index: i.index,
                flags: a.flags,
                addr: a.ip,
                prefix,
                broadcast: a.broadcast,
            }));
        }
    }
    v
}

/// The messages of `buf` up to the first malformed one.
pub fn decode(buf: &[u8]) -> Vec<IfMsg<'_>> {
    Iflist::new(buf).map_while(Result::ok).collect()
}

/// `find_addr`, `find_link` and `connected_from_iflist` against the decoded messages: every
/// address and link that decodes is found, and what is found is there.
pub fn check_queries(buf: &[u8], msgs: &[IfMsg<'_>], probe: &IpAddr) {
    let mut ips: Vec<IpAddr> = msgs
        .iter()
        .filter_map(|m| match m {
            IfMsg::Addr(a) => a.addr,
            _ => None,
        })
        .collect();
    ips.push(*probe);
    for ip in &ips {
        // The first address equal to `ip`, with the name of the link just before it.
        let mut last_link: Option<(u16, Option<IfName>)> = None;
        let mut want = None;
        for m in msgs {
            match m {
                IfMsg::Link(l) => last_link = Some((l.index, l.name())),
                IfMsg::Addr(a) if a.addr.as_ref() == Some(ip) => {
                    let name = last_link
                        .as_ref()
                        .filter(|(i, _)| *i == a.index)
                        .and_then(|(_, n)| n.clone());
                    want = Some((u32::from(a.index), name, a.prefix));
                    break;
                }
                _ => {}
            }
        }
        let got = find_addr(buf, ip, None).map(|f| (f.index, f.name, f.prefix));
        assert_eq!(got, want, "find_addr({ip})");
        if let Some((index, ..)) = want {
            let f = find_addr(buf, ip, Some(index)).expect("not found on its own interface");
            assert_eq!(f.index, index);
        }
        check_connected(buf, msgs, ip);
    }
    for m in msgs {
        let IfMsg::Link(l) = m else { continue };
        let first = msgs.iter().find_map(|m| match m {
            IfMsg::Link(k) if k.index == l.index => Some(k),
            _ => None,
        });
        assert_eq!(
            find_link(buf, Some(u32::from(l.index)), None).as_ref(),
            first
        );
        if let Some(n) = l.name() {
            // Found by name: the first link whose sockaddr_dl name is exactly these bytes (a
            // name with a NUL inside its sdl_nlen bytes is not matched, only decoded).
            let by_name = find_link(buf, None, Some(&n));
            if l.link.is_some_and(|a| a.name == n.as_bytes()) {
                let k = by_name.expect("link not found by name");
                assert_eq!(k.link.map(|a| a.name), Some(n.as_bytes()));
                assert_eq!(k.name(), Some(n));
            }
        }
    }
}

fn check_connected(buf: &[u8], msgs: &[IfMsg<'_>], ip: &IpAddr) {
    // Candidates: addresses of up, non-loopback links (the link message just before them),
    // with a prefix that covers `ip`, other than `ip` itself.
    let mut link: Option<(u16, bool)> = None;
    let mut best: Option<(u32, u8)> = None;
    for m in msgs {
        match m {
            IfMsg::Link(l) => link = Some((l.index, l.is_up() && !l.is_loopback())),
            IfMsg::Addr(a) => {
                let (Some(addr), Some(p)) = (a.addr, a.prefix) else {
                    continue;
                };
                let usable = link.is_some_and(|(i, ok)| i == a.index && ok);
                if usable && addr != *ip && addr::covers(&addr, p, ip) {
                    let c = (u32::from(a.index), p);
                    // Longest prefix, then lowest index.
                    if best.is_none_or(|(bi, bp)| p > bp || (p == bp && c.0 < bi)) {
                        best = Some(c);
                    }
                }
            }
            IfMsg::Other(_) => {}
        }
    }
    // A malformed message anywhere makes the whole list untrusted.
    if Iflist::new(buf).any(|m| m.is_err()) {
        best = None;
    }
    assert_eq!(
        connected_from_iflist(buf, ip, None),
        best,
        "connected({ip})"
    );
    if let Some((index, p)) = best {
        assert_eq!(
            connected_from_iflist(buf, ip, Some(index)),
            Some((index, p)),
            "connected({ip}) on its own interface"
        );
    }
}
