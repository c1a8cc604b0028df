//! The OCF environment (`OCF_RESKEY_*`, `OCF_CHECK_LEVEL`, `OCF_RESKEY_CRM_meta_*`) turned into
//! validated values. Everything here is a property of the text alone; whether a value can be
//! used on this host (the nic exists, the family is compiled in) is the host's business.

use crate::addr::{self, Broadcast, Family};
use crate::ifname::IfName;
use core::net::IpAddr;
use heapless::String;

/// Where parameters come from: the process environment in the agent, a table in tests.
pub trait Source {
    /// The raw bytes of environment variable `name`, if set.
    fn get(&self, name: &str) -> Option<&[u8]>;
}

/// Longest accepted `policy` path.
pub const PATH_MAX: usize = 255;
/// Longest accepted `policy_args`.
pub const POLICY_ARGS_MAX: usize = 255;
/// Longest accepted `jail` / `network_namespace` name.
pub const NS_NAME_MAX: usize = 63;
/// Longest accepted resource instance name (used in log tags and state file names).
pub const INSTANCE_MAX: usize = 127;

/// A parameter the agent refused, and why: the message is one line and never contains the
/// value itself unescaped (see [`escape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's name without `OCF_RESKEY_`.
    pub name: &'static str,
    pub reason: &'static str,
}

/// The validated resource parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub ip: IpAddr,
    /// `cidr_netmask`; `None` means "from the route that covers `ip`".
    pub prefix: Option<u8>,
    /// `nic`; `None` means "from the route that covers `ip`".
    pub nic: Option<IfName>,
    /// `iflabel` (Linux, IPv4): the address label becomes `nic:iflabel`.
    pub iflabel: Option<String<15>>,
    pub broadcast: Broadcast,
    /// IPv4: milliseconds to wait for an answer to an ARP probe before adding; 0 skips it.
    pub arp_probe_ms: u32,
    pub arp_count: u32,
    pub arp_interval_ms: u32,
    pub nodad: bool,
    /// `preferred_lft` in seconds; `None` is "forever".
    pub preferred_lft: Option<u32>,
    /// `conflict_wait`: how long a depth-20 monitor listens for another host that answers
    /// for the address, in milliseconds.
    pub conflict_wait_ms: u32,
    /// Linux: the named network namespace (`/run/netns/NAME`) to act in.
    pub network_namespace: Option<String<NS_NAME_MAX>>,
    /// FreeBSD: the CARP vhid to bind the address to.
    pub carp_vhid: Option<u8>,
    /// FreeBSD: the VNET jail (name or JID) to act in.
    pub jail: Option<String<NS_NAME_MAX>>,
    /// Absolute path of a WebAssembly health policy.
    pub policy: Option<String<PATH_MAX>>,
    pub policy_args: String<POLICY_ARGS_MAX>,
}

impl Params {
    pub fn family(&self) -> Family {
        Family::of(&self.ip)
    }

    /// Parse every parameter from `src`. The first error wins.
    pub fn parse(src: &impl Source) -> Result<Params, ParamError> {
        let ip = match text(src, "ip")? {
            None => return Err(err("ip", "is required")),
            Some(s) => addr::parse_ip(s).map_err(|e| err("ip", e.message()))?,
        };
        let family = Family::of(&ip);
        let prefix = match text(src, "cidr_netmask")? {
            None => None,
            Some(s) => {
                Some(addr::parse_prefix(s, family).map_err(|e| err("cidr_netmask", e.message()))?)
            }
        };
        if let (IpAddr::V4(v4), Some(p)) = (ip, prefix) {
            if p <= 30 {
                let net = u32::from(addr::v4_mask(p)) & u32::from(v4);
                if u32::from(v4) == net || Some(v4) == addr::v4_broadcast(v4, p) {
                    return Err(err(
                        "ip",
                        "is the network or broadcast address of its cidr_netmask subnet",
                    ));
                }
            }
        }
        let nic = match text(src, "nic")? {
            None => None,
            Some(s) => Some(IfName::parse(s).map_err(|e| err("nic", e.message()))?),
        };
        let iflabel = match text(src, "iflabel")? {
            None => None,
            Some(s) => {
                if family == Family::V6 {
                    return Err(err("iflabel", "applies to IPv4 addresses only"));
                }
                let ok = s
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
                if !ok {
                    return Err(err("iflabel", "has a character outside A-Z a-z 0-9 _ . -"));
                }
                let nic_len = nic.as_ref().map_or(0, |n| n.as_str().len());
                // The kernel label is "nic:label", at most 15 bytes.
                if nic_len + 1 + s.len() > 15 {
                    return Err(err("iflabel", "makes nic:iflabel longer than 15 bytes"));
                }
                let mut l = String::new();
                l.push_str(s)
                    .map_err(|_| err("iflabel", "is longer than 14 bytes"))?;
                Some(l)
            }
        };
        let broadcast = match text(src, "broadcast")? {
            None => Broadcast::Auto,
            Some(s) => {
                if family == Family::V6 {
                    return Err(err("broadcast", "applies to IPv4 addresses only"));
                }
                addr::parse_broadcast(s)
                    .ok_or(err("broadcast", "is not an IPv4 address, '+' or '-'"))?
            }
        };
        if let (Broadcast::Addr(b), Some(p)) = (broadcast, prefix) {
            if let IpAddr::V4(v4) = ip {
                if addr::v4_broadcast(v4, p).is_some() && !addr::covers(&IpAddr::V4(b), p, &ip) {
                    return Err(err("broadcast", "is not in the subnet of ip/cidr_netmask"));
                }
            }
        }
        // IPaddr2's `run_arping` turns the duplicate check on (off by default, as there);
        // `arp_probe` is how long it listens for an answer.
        let run_arping = boolean(src, "run_arping", false)?;
        let arp_probe = number(src, "arp_probe", 50, 0, 5_000)? as u32;
        if !run_arping && arp_probe > 0 && text(src, "arp_probe")?.is_some() {
            return Err(err("arp_probe", "only takes effect with run_arping=true"));
        }
        let arp_probe_ms = if run_arping { arp_probe } else { 0 };
        let arp_count = number(src, "arp_count", 5, 0, 100)? as u32;
        let arp_interval_ms = number(src, "arp_interval", 200, 1, 10_000)? as u32;
        let nodad = boolean(src, "nodad", false)?;
        let preferred_lft = match text(src, "preferred_lft")? {
            None | Some("forever") => None,
            Some(s) => Some(
                addr::parse_decimal(s)
                    .filter(|&n| n < u64::from(u32::MAX))
                    .ok_or(err(
                        "preferred_lft",
                        "is not 'forever' or a number of seconds",
                    ))? as u32,
            ),
        };
        let conflict_wait_ms = number(src, "conflict_wait", 50, 1, 5_000)? as u32;
        if family == Family::V6 && run_arping {
            return Err(err(
                "run_arping",
                "applies to IPv4 addresses only (IPv6 uses duplicate address detection, see nodad)",
            ));
        }
        if family == Family::V4 {
            if nodad {
                return Err(err("nodad", "applies to IPv6 addresses only"));
            }
            if preferred_lft.is_some() {
                return Err(err("preferred_lft", "applies to IPv6 addresses only"));
            }
        }
        let network_namespace = ns_name(src, "network_namespace")?;
        let jail = ns_name(src, "jail")?;
        if network_namespace.is_some() && jail.is_some() {
            return Err(err("jail", "cannot be combined with network_namespace"));
        }
        let carp_vhid = match text(src, "carp_vhid")? {
            None => None,
            Some(s) => Some(
                addr::parse_decimal(s)
                    .filter(|n| (1..=255).contains(n))
                    .ok_or(err("carp_vhid", "is not a number from 1 to 255"))?
                    as u8,
            ),
        };
        let policy = match text(src, "policy")? {
            None => None,
            Some(s) => {
                if !s.starts_with('/') {
                    return Err(err("policy", "is not an absolute path"));
                }
                if s.bytes().any(|c| c.is_ascii_control()) {
                    return Err(err("policy", "has a control character"));
                }
                if s.split('/').any(|c| c == "..") {
                    return Err(err("policy", "has a '..' component"));
                }
                let mut p = String::new();
                p.push_str(s)
                    .map_err(|_| err("policy", "is longer than 255 bytes"))?;
                // In a jail the agent runs under the jail's root directory, whose files the
                // jail's own root controls: neither a module nor a cached artifact from there
                // may run in the agent.
                if jail.is_some() {
                    return Err(err("policy", "cannot be combined with jail"));
                }
                Some(p)
            }
        };
        let policy_args = match text(src, "policy_args")? {
            None => String::new(),
            Some(s) => {
                if policy.is_none() {
                    return Err(err("policy_args", "is set but policy is not"));
                }
                if s.bytes().any(|c| c.is_ascii_control()) {
                    return Err(err("policy_args", "has a control character"));
                }
                let mut a = String::new();
                a.push_str(s)
                    .map_err(|_| err("policy_args", "is longer than 255 bytes"))?;
                a
            }
        };
        Ok(Params {
            ip,
            prefix,
            nic,
            iflabel,
            broadcast,
            arp_probe_ms,
            arp_count,
            arp_interval_ms,
            nodad,
            preferred_lft,
            conflict_wait_ms,
            network_namespace,
            carp_vhid,
            jail,
            policy,
            policy_args,
        })
    }
}

fn err(name: &'static str, reason: &'static str) -> ParamError {
    ParamError { name, reason }
}

/// `OCF_RESKEY_<name>` as text: unset and empty are both `None` (Pacemaker passes unset
/// parameters as absent; crm may pass empty ones).
fn text<'a>(src: &'a impl Source, name: &'static str) -> Result<Option<&'a str>, ParamError> {
    let mut key: String<48> = String::new();
    // Parameter names are short constants; both pushes fit.
    let _ = key.push_str("OCF_RESKEY_");
    let _ = key.push_str(name);
    match src.get(&key) {
        None => Ok(None),
        Some([]) => Ok(None),
        Some(b) => {
            if b.contains(&0) {
                return Err(err(name, "contains a NUL byte"));
            }
            core::str::from_utf8(b)
                .map(Some)
                .map_err(|_| err(name, "is not valid UTF-8"))
        }
    }
}

fn number(
    src: &impl Source,
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ParamError> {
    match text(src, name)? {
        None => Ok(default),
        Some(s) => addr::parse_decimal(s)
            .filter(|n| (min..=max).contains(n))
            .ok_or(err(name, range_reason(name))),
    }
}

fn range_reason(name: &str) -> &'static str {
    match name {
        "arp_count" => "is not a number from 0 to 100",
        "arp_interval" => "is not a number of milliseconds from 1 to 10000",
        "arp_probe" => "is not a number of milliseconds from 0 to 5000",
        "conflict_wait" => "is not a number of milliseconds from 1 to 5000",
        _ => "is out of range",
    }
}

/// ocf-shellfuncs' `ocf_is_true` words, plus their negations.
fn boolean(src: &impl Source, name: &'static str, default: bool) -> Result<bool, ParamError> {
    match text(src, name)? {
        None => Ok(default),
        Some(s) => parse_bool(s).ok_or(err(
            name,
            "is not a boolean (true/false, yes/no, 1/0, on/off)",
        )),
    }
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "true" | "TRUE" | "True" | "yes" | "YES" | "Yes" | "on" | "ON" | "On" | "ja" => {
            Some(true)
        }
        "0" | "false" | "FALSE" | "False" | "no" | "NO" | "No" | "off" | "OFF" | "Off" | "nein" => {
            Some(false)
        }
        _ => None,
    }
}

fn ns_name<const N: usize>(
    src: &impl Source,
    name: &'static str,
) -> Result<Option<String<N>>, ParamError> {
    match text(src, name)? {
        None => Ok(None),
        Some(s) => {
            let ok = s
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
                && !s.starts_with(['.', '-']);
            if !ok {
                return Err(err(
                    name,
                    "has a character outside A-Z a-z 0-9 _ . - (or starts with . or -)",
                ));
            }
            let mut n = String::new();
            n.push_str(s)
                .map_err(|_| err(name, "is longer than 63 bytes"))?;
            Ok(Some(n))
        }
    }
}

/// The operation context Pacemaker passes alongside the parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpContext {
    /// `OCF_RESKEY_CRM_meta_interval` in ms; 0 (or unset) for a probe or a one-shot action.
    pub interval_ms: u64,
    /// `OCF_RESKEY_CRM_meta_timeout` in ms, clamped to [1 s, 24 h]; 20 s when unset.
    pub timeout_ms: u64,
    /// `OCF_CHECK_LEVEL` (0 when unset).
    pub depth: u32,
    /// `OCF_RESOURCE_INSTANCE`, escaped to a safe subset; "default" when unset.
    pub instance: String<INSTANCE_MAX>,
}

pub const DEFAULT_TIMEOUT_MS: u64 = 20_000;

impl OpContext {
    pub fn parse(src: &impl Source) -> Result<OpContext, ParamError> {
        let ms = |key: &str, name: &'static str| -> Result<Option<u64>, ParamError> {
            match src.get(key) {
                None => Ok(None),
                Some([]) => Ok(None),
                Some(b) => core::str::from_utf8(b)
                    .ok()
                    .and_then(addr::parse_decimal)
                    .map(Some)
                    .ok_or(err(name, "is not a number of milliseconds")),
            }
        };
        let interval_ms = ms("OCF_RESKEY_CRM_meta_interval", "CRM_meta_interval")?.unwrap_or(0);
        let timeout_ms = ms("OCF_RESKEY_CRM_meta_timeout", "CRM_meta_timeout")?
            .unwrap_or(DEFAULT_TIMEOUT_MS)
            .clamp(1_000, 86_400_000);
        let depth = match src.get("OCF_CHECK_LEVEL") {
            None => 0,
            Some([]) => 0,
            Some(b) => core::str::from_utf8(b)
                .ok()
                .and_then(addr::parse_decimal)
                .filter(|&n| n <= 1000)
                .ok_or(err("OCF_CHECK_LEVEL", "is not a number from 0 to 1000"))?
                as u32,
        };
        let mut instance = String::new();
        match src.get("OCF_RESOURCE_INSTANCE") {
            Some(b) if !b.is_empty() => escape(b, &mut instance),
            _ => {
                let _ = instance.push_str("default");
            }
        }
        Ok(OpContext {
            interval_ms,
            timeout_ms,
            depth,
            instance,
        })
    }

    /// A probe is a monitor with no interval.
    pub fn is_probe(&self) -> bool {
        self.interval_ms == 0
    }
}

/// Copy `value` into `out` for a log line or a reason: printable ASCII is kept, every other
/// byte becomes `?`, and the result is cut to `out`'s capacity (with a trailing `~` if cut).
pub fn escape<const N: usize>(value: &[u8], out: &mut String<N>) {
    let room = N.saturating_sub(out.len());
    let cut = value.len() > room;
    let take = if cut {
        room.saturating_sub(1)
    } else {
        value.len()
    };
    for &c in &value[..take] {
        let ch = if (0x20..0x7f).contains(&c) {
            c as char
        } else {
            '?'
        };
        let _ = out.push(ch);
    }
    if cut {
        let _ = out.push('~');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Env<'a>(&'a [(&'a str, &'a [u8])]);
    impl Source for Env<'_> {
        fn get(&self, name: &str) -> Option<&[u8]> {
            self.0.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        }
    }

    fn p(kv: &[(&str, &[u8])]) -> Result<Params, ParamError> {
        Params::parse(&Env(kv))
    }

    #[test]
    fn minimal_v4() {
        let r = p(&[("OCF_RESKEY_ip", b"192.0.2.200")]).unwrap();
        assert_eq!(r.ip, "192.0.2.200".parse::<IpAddr>().unwrap());
        assert_eq!(r.prefix, None);
        assert_eq!(r.nic, None);
        assert_eq!(r.broadcast, Broadcast::Auto);
        assert_eq!((r.arp_count, r.arp_interval_ms), (5, 200));
        assert!(!r.nodad);
    }

    #[test]
    fn conflict_wait() {
        let w = |kv: &[(&str, &[u8])]| p(kv).map(|r| r.conflict_wait_ms);
        for ip in [&b"192.0.2.200"[..], b"2001:db8::200"] {
            assert_eq!(w(&[("OCF_RESKEY_ip", ip)]), Ok(50));
            assert_eq!(
                w(&[("OCF_RESKEY_ip", ip), ("OCF_RESKEY_conflict_wait", b"200")]),
                Ok(200)
            );
            for bad in [&b"0"[..], b"5001", b"-1", b"50ms"] {
                let e = w(&[("OCF_RESKEY_ip", ip), ("OCF_RESKEY_conflict_wait", bad)]);
                assert_eq!(
                    e,
                    Err(err(
                        "conflict_wait",
                        "is not a number of milliseconds from 1 to 5000"
                    ))
                );
            }
        }
    }

    #[test]
    fn duplicate_check_is_off_unless_run_arping() {
        let ip: (&str, &[u8]) = ("OCF_RESKEY_ip", b"192.0.2.200");
        let probe = |kv: &[(&str, &[u8])]| p(kv).map(|r| r.arp_probe_ms);
        assert_eq!(probe(&[ip]), Ok(0));
        assert_eq!(probe(&[ip, ("OCF_RESKEY_run_arping", b"true")]), Ok(50));
        assert_eq!(
            probe(&[
                ip,
                ("OCF_RESKEY_run_arping", b"yes"),
                ("OCF_RESKEY_arp_probe", b"200")
            ]),
            Ok(200)
        );
        assert_eq!(
            probe(&[
                ip,
                ("OCF_RESKEY_run_arping", b"true"),
                ("OCF_RESKEY_arp_probe", b"0")
            ]),
            Ok(0)
        );
        assert_eq!(probe(&[ip, ("OCF_RESKEY_arp_probe", b"0")]), Ok(0));
        assert_eq!(probe(&[ip, ("OCF_RESKEY_run_arping", b"false")]), Ok(0));
        // A wait without the check would be silently ignored: refused instead.
        let e = probe(&[ip, ("OCF_RESKEY_arp_probe", b"200")]).unwrap_err();
        assert_eq!(
            (e.name, e.reason),
            ("arp_probe", "only takes effect with run_arping=true")
        );
        let e = probe(&[ip, ("OCF_RESKEY_run_arping", b"maybe")]).unwrap_err();
        assert_eq!(e.name, "run_arping");
        let e = probe(&[
            ("OCF_RESKEY_ip", b"2001:db8::200"),
            ("OCF_RESKEY_run_arping", b"true"),
        ])
        .unwrap_err();
        assert_eq!(e.name, "run_arping");
    }

    #[test]
    fn policy_is_refused_with_jail() {
        let e = p(&[
            ("OCF_RESKEY_ip", b"192.0.2.200"),
            ("OCF_RESKEY_jail", b"web"),
            ("OCF_RESKEY_policy", b"/usr/local/lib/ifaddr/strict.wasm"),
        ])
        .unwrap_err();
        assert_eq!(
            (e.name, e.reason),
            ("policy", "cannot be combined with jail")
        );
        for one in [
            ("OCF_RESKEY_jail", &b"web"[..]),
            ("OCF_RESKEY_policy", b"/usr/local/lib/ifaddr/strict.wasm"),
        ] {
            assert!(p(&[("OCF_RESKEY_ip", b"192.0.2.200"), one]).is_ok());
        }
    }

    #[test]
    fn full_v6() {
        let r = p(&[
            ("OCF_RESKEY_ip", b"2001:db8::200"),
            ("OCF_RESKEY_cidr_netmask", b"64"),
            ("OCF_RESKEY_nic", b"vlan100"),
            ("OCF_RESKEY_nodad", b"yes"),
            ("OCF_RESKEY_preferred_lft", b"0"),
            ("OCF_RESKEY_arp_count", b"0"),
        ])
        .unwrap();
        assert_eq!(r.prefix, Some(64));
        assert_eq!(r.nic.unwrap().as_str(), "vlan100");
        assert!(r.nodad);
        assert_eq!(r.preferred_lft, Some(0));
        assert_eq!(r.arp_count, 0);
    }

    #[test]
    fn errors_name_the_parameter() {
        type Case<'a> = (&'a [(&'a str, &'a [u8])], &'a str);
        let cases: &[Case] = &[
            (&[], "ip"),
            (&[("OCF_RESKEY_ip", b"not_ip_address")], "ip"),
            (&[("OCF_RESKEY_ip", b"192.0.2.1\0")], "ip"),
            (&[("OCF_RESKEY_ip", b"\xff\xfe")], "ip"),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_cidr_netmask", b"not_netmask"),
                ],
                "cidr_netmask",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_broadcast", b"not_broadcast"),
                ],
                "broadcast",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_nic", b"eth0;ls"),
                ],
                "nic",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_arp_count", b"-1"),
                ],
                "arp_count",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_arp_interval", b"0"),
                ],
                "arp_interval",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_nodad", b"true"),
                ],
                "nodad",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"2001:db8::1"),
                    ("OCF_RESKEY_nodad", b"maybe"),
                ],
                "nodad",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"2001:db8::1"),
                    ("OCF_RESKEY_broadcast", b"+"),
                ],
                "broadcast",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_carp_vhid", b"0"),
                ],
                "carp_vhid",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_policy", b"rel/p.wasm"),
                ],
                "policy",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_policy", b"/a/../p.wasm"),
                ],
                "policy",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_policy_args", b"x"),
                ],
                "policy_args",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_jail", b"j1"),
                    ("OCF_RESKEY_network_namespace", b"n1"),
                ],
                "jail",
            ),
            (
                &[
                    ("OCF_RESKEY_ip", b"192.0.2.1"),
                    ("OCF_RESKEY_cidr_netmask", b"24"),
                    ("OCF_RESKEY_broadcast", b"198.51.100.255"),
                ],
                "broadcast",
            ),
        ];
        for (env, name) in cases {
            assert_eq!(p(env).unwrap_err().name, *name, "{env:?}");
        }
    }

    #[test]
    fn subnet_network_and_broadcast_are_not_host_addresses() {
        for ip in [&b"192.0.2.255"[..], b"192.0.2.0"] {
            let e = p(&[("OCF_RESKEY_ip", ip), ("OCF_RESKEY_cidr_netmask", b"24")]).unwrap_err();
            assert_eq!(e.name, "ip");
        }
        // /31 and /32 have no network or broadcast address.
        assert!(p(&[
            ("OCF_RESKEY_ip", b"192.0.2.0"),
            ("OCF_RESKEY_cidr_netmask", b"31")
        ])
        .is_ok());
        assert!(p(&[
            ("OCF_RESKEY_ip", b"192.0.2.255"),
            ("OCF_RESKEY_cidr_netmask", b"32")
        ])
        .is_ok());
    }

    #[test]
    fn op_context() {
        let c = OpContext::parse(&Env(&[])).unwrap();
        assert!(c.is_probe());
        assert_eq!(c.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(c.instance.as_str(), "default");
        let c = OpContext::parse(&Env(&[
            ("OCF_RESKEY_CRM_meta_interval", b"10000"),
            ("OCF_RESKEY_CRM_meta_timeout", b"99999999999999"),
            ("OCF_CHECK_LEVEL", b"10"),
            ("OCF_RESOURCE_INSTANCE", b"IP\n;x"),
        ]))
        .unwrap();
        assert!(!c.is_probe());
        assert_eq!(c.timeout_ms, 86_400_000);
        assert_eq!(c.depth, 10);
        assert_eq!(c.instance.as_str(), "IP?;x");
        assert!(OpContext::parse(&Env(&[("OCF_RESKEY_CRM_meta_timeout", b"20s")])).is_err());
    }

    #[test]
    fn escape_cuts_and_replaces() {
        let mut s: String<8> = String::new();
        escape(b"ab\x01cdefghijkl", &mut s);
        assert_eq!(s.as_str(), "ab?cdef~");
        let mut s: String<8> = String::new();
        escape(b"abc", &mut s);
        assert_eq!(s.as_str(), "abc");
    }
}
