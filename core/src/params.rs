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
    /// `arp_bg`: start's announcements from a background process (true) or before start
    /// returns (false).
    pub arp_bg: bool,
    /// `arp_count_refresh`: announcements on each recurring monitor that finds the address
    /// healthy (the monitor waits for the first only).
    pub arp_count_refresh: u32,
    /// `check_link_status`: start and monitor require the interface to be up (and monitor at
    /// depth 10 its carrier). False: the link state is not looked at.
    pub check_link_status: bool,
    /// `noprefixroute`: add the address without its prefix route.
    pub noprefixroute: bool,
    /// `metric`: the priority of the address's prefix route.
    pub metric: Option<u32>,
    /// `flush_routes` (Linux): flush the routing cache after stop.
    pub flush_routes: bool,
    /// `proto` (Linux): nic and prefix detection consider only routes of this protocol.
    pub proto: Option<u8>,
    /// `lvs_support` (IPv4): an ip/32 on the loopback interface is taken off it for the time
    /// the address is started, and put back by stop (LVS direct routing).
    pub lvs_support: bool,
    /// `lvs_ipv6_addrlabel` + `lvs_ipv6_addrlabel_value` (IPv6): the address-selection label
    /// given to ip/128 while started, so that it is not picked as a source address.
    pub lvs_ipv6_addrlabel: Option<u32>,
}

impl Params {
    pub fn family(&self) -> Family {
        Family::of(&self.ip)
    }

    /// Parse every parameter from `src`. The first error wins.
    pub fn parse(src: &impl Source) -> Result<Params, ParamError> {
        let (ip, link_local) = match text(src, "ip")? {
            None => return Err(err("ip", "is required")),
            Some(s) => match addr::parse_ip(s) {
                Ok(ip) => (ip, false),
                // An IPv6 link-local address floats on one link (a VRRPv3-style gateway
                // address): accepted with nic, which scopes it (checked below).
                Err(addr::IpError::LinkLocal) => match s.parse::<core::net::Ipv6Addr>() {
                    Ok(v6) => (IpAddr::V6(v6), true),
                    Err(_) => return Err(err("ip", addr::IpError::LinkLocal.message())),
                },
                Err(e) => return Err(err("ip", e.message())),
            },
        };
        let family = Family::of(&ip);
        let prefix = match text(src, "cidr_netmask")? {
            None => None,
            Some(s) => {
                Some(addr::parse_prefix(s, family).map_err(|e| err("cidr_netmask", e.message()))?)
            }
        };
        if let (IpAddr::V4(v4), Some(p)) = (ip, prefix) {
            if addr::is_network_or_broadcast(v4, p) {
                return Err(err(
                    "ip",
                    "is the network or broadcast address of its cidr_netmask subnet",
                ));
            }
        }
        // The legacy `nic=eth0:label` form is IPaddr2's: the part after the colon is the
        // label, and it takes precedence over iflabel.
        let (nic_text, nic_label) = match text(src, "nic")? {
            None => (None, None),
            Some(s) => match s.split_once(':') {
                None => (Some(s), None),
                Some((n, l)) => {
                    if l.is_empty() {
                        return Err(err("nic", "has an empty label after ':' (use nic=NAME)"));
                    }
                    (Some(n), Some(l))
                }
            },
        };
        let nic = match nic_text {
            None => None,
            Some(s) => Some(IfName::parse(s).map_err(|e| err("nic", e.message()))?),
        };
        if link_local && nic.is_none() {
            return Err(err(
                "ip",
                "is a link-local address; an IPv6 one is accepted with nic (it belongs to one link)",
            ));
        }
        let (label_name, label_text) = match nic_label {
            Some(l) => ("nic", Some(l)),
            None => ("iflabel", text(src, "iflabel")?),
        };
        let iflabel = match label_text {
            None => None,
            Some(s) => {
                let name = label_name;
                if family == Family::V6 {
                    return Err(err(
                        name,
                        "sets a label, which applies to IPv4 addresses only",
                    ));
                }
                let ok = s
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
                if !ok {
                    return Err(err(name, "has a character outside A-Z a-z 0-9 _ . -"));
                }
                // Without nic, the detected one is checked by the agent.
                let nic = nic.as_ref().map_or("", |n| n.as_str());
                if !crate::ifname::label_fits(nic, s) {
                    return Err(err(name, "makes nic:iflabel longer than 15 bytes"));
                }
                let mut l = String::new();
                l.push_str(s)
                    .map_err(|_| err(name, "is longer than 14 bytes"))?;
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
        let arp_bg = boolean(src, "arp_bg", true)?;
        let arp_count_refresh = number(src, "arp_count_refresh", 0, 0, 100)? as u32;
        let check_link_status = boolean(src, "check_link_status", true)?;
        let noprefixroute = boolean(src, "noprefixroute", false)?;
        let metric = match text(src, "metric")? {
            None => None,
            Some(s) => Some(
                addr::parse_decimal(s)
                    .filter(|&n| n <= u64::from(u32::MAX))
                    .ok_or(err("metric", "is not a number from 0 to 4294967295"))?
                    as u32,
            ),
        };
        if metric.is_some() && noprefixroute {
            return Err(err(
                "metric",
                "sets the prefix route's metric, but noprefixroute=true adds no prefix route",
            ));
        }
        let flush_routes = boolean(src, "flush_routes", false)?;
        let proto = match text(src, "proto")? {
            None => None,
            Some(s) => Some(parse_proto(s).ok_or(err(
                "proto",
                "is not a route protocol (kernel, boot, static, ra, dhcp or a number 0-255)",
            ))?),
        };
        refuse_unsupported(src)?;
        let lvs_support = boolean(src, "lvs_support", false)?;
        if lvs_support && family == Family::V6 {
            return Err(err(
                "lvs_support",
                "applies to IPv4 addresses only (IPv6 LVS-DR uses lvs_ipv6_addrlabel)",
            ));
        }
        let label_on = boolean(src, "lvs_ipv6_addrlabel", false)?;
        if label_on && family == Family::V4 {
            return Err(err("lvs_ipv6_addrlabel", "applies to IPv6 addresses only"));
        }
        let label_value = match text(src, "lvs_ipv6_addrlabel_value")? {
            None => 99,
            Some(s) => addr::parse_decimal(s)
                .filter(|&n| n < u64::from(u32::MAX))
                .ok_or(err(
                    "lvs_ipv6_addrlabel_value",
                    "is not a label number from 0 to 4294967294",
                ))? as u32,
        };
        let lvs_ipv6_addrlabel = label_on.then_some(label_value);
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
            arp_bg,
            arp_count_refresh,
            check_link_status,
            noprefixroute,
            metric,
            flush_routes,
            proto,
            lvs_support,
            lvs_ipv6_addrlabel,
        })
    }
}

/// Route protocol names as iproute2 knows them (`/etc/iproute2/rt_protos`), or a number.
pub fn parse_proto(s: &str) -> Option<u8> {
    Some(match s {
        "redirect" => 1,
        "kernel" => 2,
        "boot" => 3,
        "static" => 4,
        "ra" => 9,
        "dhcp" => 16,
        _ => {
            return addr::parse_decimal(s)
                .filter(|&n| n <= 255)
                .map(|n| n as u8)
        }
    })
}

/// IPaddr2 parameters for features this agent does not have (not in its meta-data). Each is
/// refused (exit 6) when it asks for the feature, with what to do instead; set to its "off"
/// value it is accepted, since it then means nothing in IPaddr2 either.
pub const UNSUPPORTED: &[&str] = &[
    "mac",
    "clusterip_hash",
    "unique_clone_address",
    "arp_sender",
    "send_arp_opts",
];

/// Refuses what [`UNSUPPORTED`] lists.
fn refuse_unsupported(src: &impl Source) -> Result<(), ParamError> {
    if text(src, "mac")?.is_some() {
        return Err(err(
            "mac",
            "sets IPaddr2's Cluster IP (CLUSTERIP clone) MAC address; ifaddr has no clone mode: \
             remove it and run one primitive per address",
        ));
    }
    if text(src, "clusterip_hash")?.is_some() {
        return Err(err(
            "clusterip_hash",
            "belongs to IPaddr2's Cluster IP (CLUSTERIP clone) mode, which ifaddr does not \
             have: remove it and run one primitive per address",
        ));
    }
    if boolean(src, "unique_clone_address", false)? {
        return Err(err(
            "unique_clone_address",
            "derives addresses for clone instances; ifaddr has no clone mode: configure one \
             primitive per address instead",
        ));
    }
    match text(src, "arp_sender")? {
        None | Some("send_arp") => {}
        Some("iputils_arping" | "libnet_arping") => {
            return Err(err(
                "arp_sender",
                "names an external arping program, which ifaddr never runs: remove it (ifaddr \
                 sends the gratuitous ARPs itself; arp_count and arp_interval shape them)",
            ))
        }
        Some("ipoibarping") => {
            return Err(err(
                "arp_sender",
                "asks for InfiniBand announcements, which ifaddr does not send: use IPaddr2 on \
                 InfiniBand interfaces",
            ))
        }
        Some(_) => {
            return Err(err(
                "arp_sender",
                "is not send_arp, iputils_arping, libnet_arping or ipoibarping",
            ))
        }
    }
    if text(src, "send_arp_opts")?.is_some() {
        return Err(err(
            "send_arp_opts",
            "passes options to an external ARP program, which ifaddr never runs: remove it \
             (arp_count and arp_interval shape the announcements)",
        ));
    }
    Ok(())
}

fn err(name: &'static str, reason: &'static str) -> ParamError {
    ParamError { name, reason }
}

/// `OCF_RESKEY_<name>` as text: unset and empty are both `None` (Pacemaker passes unset
/// parameters as absent; crm may pass empty ones).
fn text<'a>(src: &'a impl Source, name: &'static str) -> Result<Option<&'a str>, ParamError> {
    let mut key: String<48> = String::new();
    key.push_str("OCF_RESKEY_")
        .and_then(|()| key.push_str(name))
        .map_err(|()| err(name, "is too long a parameter name"))?;
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
        "arp_count_refresh" => "is not a number from 0 to 100",
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

/// The operation context Pacemaker passes alongside the parameters. It never fails an action:
/// a value that is not usable is replaced by its default and listed in `ignored`, for the host
/// to log as a warning (a stop that failed over a timeout's spelling would get its node fenced).
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
    /// The values replaced by their defaults, each with why (at most one per value read).
    pub ignored: heapless::Vec<ParamError, 3>,
}

pub const DEFAULT_TIMEOUT_MS: u64 = 20_000;

impl OpContext {
    pub fn parse(src: &impl Source) -> OpContext {
        let mut ignored = heapless::Vec::new();
        // A decimal at most `max`; anything else is noted and gives `None`.
        let mut number = |key: &str, name: &'static str, max: u64, reason: &'static str| {
            let b = src.get(key).filter(|b| !b.is_empty())?;
            let n = core::str::from_utf8(b)
                .ok()
                .and_then(addr::parse_decimal)
                .filter(|&n| n <= max);
            if n.is_none() {
                // Room for each of the three values read here.
                let _ = ignored.push(err(name, reason));
            }
            n
        };
        let interval_ms = number(
            "OCF_RESKEY_CRM_meta_interval",
            "CRM_meta_interval",
            u64::MAX,
            "is not a number of milliseconds; taken as 0 (a probe or a one-shot action)",
        )
        .unwrap_or(0);
        let timeout_ms = number(
            "OCF_RESKEY_CRM_meta_timeout",
            "CRM_meta_timeout",
            u64::MAX,
            "is not a number of milliseconds; the default of 20000 applies",
        )
        .unwrap_or(DEFAULT_TIMEOUT_MS)
        .clamp(1_000, 86_400_000);
        let depth = number(
            "OCF_CHECK_LEVEL",
            "OCF_CHECK_LEVEL",
            1000,
            "is not a number from 0 to 1000; depth 0 applies",
        )
        .unwrap_or(0) as u32;
        let mut instance = String::new();
        let name = match src.get("OCF_RESOURCE_INSTANCE") {
            Some(b) if !b.is_empty() => b,
            _ => b"default",
        };
        escape(name, &mut instance);
        OpContext {
            interval_ms,
            timeout_ms,
            depth,
            instance,
            ignored,
        }
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
    let printable = value[..take].iter().map(|&c| {
        if (0x20..0x7f).contains(&c) {
            c as char
        } else {
            '?'
        }
    });
    // Each char is one byte and `take` leaves room for the mark: a push fails only when `out`
    // was full already, and then nothing more fits either.
    for ch in printable.chain(cut.then_some('~')) {
        if out.push(ch).is_err() {
            break;
        }
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
    fn a_parameter_name_too_long_for_its_key_is_an_error() {
        let name = "a_name_longer_than_any_parameter_has_ever";
        let key = std::format!("OCF_RESKEY_{name}");
        let env = [(key.as_str(), &b"x"[..])];
        assert_eq!(
            text(&Env(&env), name),
            Err(err(name, "is too long a parameter name"))
        );
        assert_eq!(text(&Env(&[("OCF_RESKEY_ip", b"x")]), "ip"), Ok(Some("x")));
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
        let c = OpContext::parse(&Env(&[]));
        assert!(c.is_probe());
        assert_eq!(c.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(c.instance.as_str(), "default");
        let c = OpContext::parse(&Env(&[
            ("OCF_RESKEY_CRM_meta_interval", b"10000"),
            ("OCF_RESKEY_CRM_meta_timeout", b"99999999999999"),
            ("OCF_CHECK_LEVEL", b"10"),
            ("OCF_RESOURCE_INSTANCE", b"IP\n;x"),
        ]));
        assert!(!c.is_probe());
        assert_eq!(c.timeout_ms, 86_400_000);
        assert_eq!(c.depth, 10);
        assert_eq!(c.instance.as_str(), "IP?;x");
        assert!(c.ignored.is_empty());
    }

    #[test]
    fn op_context_junk_takes_the_defaults() {
        let c = OpContext::parse(&Env(&[
            ("OCF_RESKEY_CRM_meta_interval", b"10s"),
            ("OCF_RESKEY_CRM_meta_timeout", b"20s"),
            ("OCF_CHECK_LEVEL", b"1001"),
        ]));
        let d = OpContext::parse(&Env(&[]));
        assert_eq!(
            (c.interval_ms, c.timeout_ms, c.depth),
            (d.interval_ms, d.timeout_ms, d.depth)
        );
        let names: heapless::Vec<&str, 3> = c.ignored.iter().map(|e| e.name).collect();
        assert_eq!(
            names.as_slice(),
            ["CRM_meta_interval", "CRM_meta_timeout", "OCF_CHECK_LEVEL"]
        );
        for (k, v) in [
            ("OCF_RESKEY_CRM_meta_timeout", &b"2\xff0"[..]),
            ("OCF_RESKEY_CRM_meta_timeout", b"-1"),
            ("OCF_RESKEY_CRM_meta_timeout", b"99999999999999999999"),
            ("OCF_RESKEY_CRM_meta_interval", b"1.5"),
            ("OCF_CHECK_LEVEL", b"10 "),
            ("OCF_CHECK_LEVEL", b"1\x000"),
        ] {
            let c = OpContext::parse(&Env(&[(k, v)]));
            assert_eq!(c.ignored.len(), 1, "{k}={v:?}");
            assert_eq!((c.timeout_ms, c.depth), (DEFAULT_TIMEOUT_MS, 0));
        }
        // The reason states the default the agent uses.
        let c = OpContext::parse(&Env(&[("OCF_RESKEY_CRM_meta_timeout", b"x")]));
        assert!(c.ignored[0]
            .reason
            .contains(&std::format!("{DEFAULT_TIMEOUT_MS}")));
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

    const V4: (&str, &[u8]) = ("OCF_RESKEY_ip", b"192.0.2.200");
    const V6: (&str, &[u8]) = ("OCF_RESKEY_ip", b"2001:db8::200");

    fn refused(kv: &[(&str, &[u8])]) -> &'static str {
        match p(kv) {
            Err(e) => e.name,
            Ok(r) => panic!("accepted {kv:?}: {r:?}"),
        }
    }

    #[test]
    fn ipaddr2_parameters_default_to_ipaddr2s_meaning() {
        let r = p(&[V4]).unwrap();
        assert!(r.arp_bg && r.check_link_status);
        assert!(!r.noprefixroute && !r.flush_routes);
        assert_eq!((r.arp_count_refresh, r.metric, r.proto), (0, None, None));
        let r = p(&[
            V6,
            ("OCF_RESKEY_arp_bg", b"false"),
            ("OCF_RESKEY_arp_count_refresh", b"100"),
            ("OCF_RESKEY_check_link_status", b"no"),
            ("OCF_RESKEY_metric", b"4294967295"),
            ("OCF_RESKEY_flush_routes", b"1"),
            ("OCF_RESKEY_proto", b"kernel"),
        ])
        .unwrap();
        assert!(!r.arp_bg && !r.check_link_status && r.flush_routes);
        assert_eq!(
            (r.arp_count_refresh, r.metric, r.proto),
            (100, Some(u32::MAX), Some(2))
        );
        let r = p(&[V4, ("OCF_RESKEY_noprefixroute", b"true")]).unwrap();
        assert!(r.noprefixroute);
        for (name, num) in [
            ("static", 4),
            ("boot", 3),
            ("ra", 9),
            ("dhcp", 16),
            ("255", 255),
            ("0", 0),
        ] {
            assert_eq!(parse_proto(name), Some(num), "{name}");
        }
    }

    #[test]
    fn hostile_values_of_the_new_parameters_are_refused_by_name() {
        let cases: &[(&str, &[&[u8]])] = &[
            (
                "arp_count_refresh",
                &[
                    b"101",
                    b"-1",
                    b"1e3",
                    b" 5",
                    b"5\n",
                    b"0x5",
                    b"99999999999999999999999",
                ],
            ),
            ("arp_bg", &[b"maybe", b"2", b"true ", b"\xff", b"t\0"]),
            ("check_link_status", &[b"yes please", b"-"]),
            ("noprefixroute", &[b"nope"]),
            ("flush_routes", &[b"10"]),
            (
                "metric",
                &[
                    b"4294967296",
                    b"-1",
                    b"1.5",
                    b"0x10",
                    b" 1",
                    b"18446744073709551617",
                ],
            ),
            (
                "proto",
                &[b"256", b"kern", b"2 ", b"-2", b"kernel\n", b"\xc3\x28"],
            ),
            ("lvs_ipv6_addrlabel_value", &[b"4294967295", b"abc", b"-1"]),
        ];
        for (name, values) in cases {
            let key = format!("OCF_RESKEY_{name}");
            for v in *values {
                assert_eq!(refused(&[V6, (&key, v)]), *name, "{name}={v:?}");
            }
        }
        assert_eq!(
            refused(&[
                V4,
                ("OCF_RESKEY_noprefixroute", b"true"),
                ("OCF_RESKEY_metric", b"5")
            ]),
            "metric"
        );
    }

    #[test]
    fn legacy_nic_label_form() {
        let r = p(&[V4, ("OCF_RESKEY_nic", b"eth0:web")]).unwrap();
        assert_eq!(r.nic.as_ref().map(|n| n.as_str()), Some("eth0"));
        assert_eq!(r.iflabel.as_deref(), Some("web"));
        // The label in nic wins over iflabel, as in IPaddr2.
        let r = p(&[
            V4,
            ("OCF_RESKEY_nic", b"eth0:web"),
            ("OCF_RESKEY_iflabel", b"other"),
        ])
        .unwrap();
        assert_eq!(r.iflabel.as_deref(), Some("web"));
        for bad in [
            &b"eth0:"[..],
            b":web",
            b"eth0:a:b",
            b"eth0:a b",
            b"eth0:0123456789ab",
            b"eth0:\xff",
            b"verylongname01:x",
        ] {
            assert_eq!(refused(&[V4, ("OCF_RESKEY_nic", bad)]), "nic", "{bad:?}");
        }
        assert_eq!(refused(&[V6, ("OCF_RESKEY_nic", b"eth0:web")]), "nic");
    }

    #[test]
    fn ipv6_link_local_needs_nic() {
        let ll: (&str, &[u8]) = ("OCF_RESKEY_ip", b"fe80::2");
        let r = p(&[ll, ("OCF_RESKEY_nic", b"eth0")]).unwrap();
        assert_eq!(r.ip, "fe80::2".parse::<IpAddr>().unwrap());
        let e = p(&[ll]).unwrap_err();
        assert_eq!(e.name, "ip");
        assert!(e.reason.contains("nic"), "{e:?}");
        // IPv4 link-local stays refused; zones and junk too.
        for bad in [
            &b"169.254.1.1"[..],
            b"fe80::2%eth0",
            b"fe80::2::1",
            b"fe80:",
        ] {
            assert_eq!(
                refused(&[("OCF_RESKEY_ip", bad), ("OCF_RESKEY_nic", b"eth0")]),
                "ip"
            );
        }
    }

    #[test]
    fn lvs_parameters() {
        let r = p(&[V4, ("OCF_RESKEY_lvs_support", b"true")]).unwrap();
        assert!(r.lvs_support && r.lvs_ipv6_addrlabel.is_none());
        let r = p(&[V6, ("OCF_RESKEY_lvs_ipv6_addrlabel", b"yes")]).unwrap();
        assert_eq!(r.lvs_ipv6_addrlabel, Some(99));
        let r = p(&[
            V6,
            ("OCF_RESKEY_lvs_ipv6_addrlabel", b"1"),
            ("OCF_RESKEY_lvs_ipv6_addrlabel_value", b"4294967294"),
        ])
        .unwrap();
        assert_eq!(r.lvs_ipv6_addrlabel, Some(u32::MAX - 1));
        // The value alone changes nothing, as in IPaddr2.
        let r = p(&[V6, ("OCF_RESKEY_lvs_ipv6_addrlabel_value", b"7")]).unwrap();
        assert_eq!(r.lvs_ipv6_addrlabel, None);
        assert_eq!(
            refused(&[V6, ("OCF_RESKEY_lvs_support", b"1")]),
            "lvs_support"
        );
        assert_eq!(
            refused(&[V4, ("OCF_RESKEY_lvs_ipv6_addrlabel", b"1")]),
            "lvs_ipv6_addrlabel"
        );
        assert_eq!(
            refused(&[V4, ("OCF_RESKEY_lvs_support", b"sure")]),
            "lvs_support"
        );
    }

    #[test]
    fn ipaddr2_features_ifaddr_lacks_are_refused_by_name() {
        let on: &[(&str, &[u8])] = &[
            ("mac", b"01:02:03:04:05:06"),
            ("clusterip_hash", b"sourceip"),
            ("unique_clone_address", b"true"),
            ("arp_sender", b"iputils_arping"),
            ("arp_sender", b"libnet_arping"),
            ("arp_sender", b"ipoibarping"),
            ("arp_sender", b"/bin/sh"),
            ("send_arp_opts", b"-A"),
        ];
        for (name, v) in on {
            let key = format!("OCF_RESKEY_{name}");
            assert_eq!(refused(&[V4, (&key, v)]), *name, "{name}={v:?}");
            assert!(UNSUPPORTED.contains(name), "{name} not in UNSUPPORTED");
            assert!(
                !crate::meta::PARAMS.iter().any(|p| p.name == *name),
                "{name} in meta-data"
            );
        }
        // Families: lvs_support is IPv4's, lvs_ipv6_addrlabel IPv6's.
        assert_eq!(
            refused(&[V6, ("OCF_RESKEY_lvs_support", b"1")]),
            "lvs_support"
        );
        assert_eq!(
            refused(&[V4, ("OCF_RESKEY_lvs_ipv6_addrlabel", b"1")]),
            "lvs_ipv6_addrlabel"
        );
        // Their "off" values mean nothing in IPaddr2 either, and are accepted.
        let off: &[(&str, &[u8])] = &[
            ("unique_clone_address", b"false"),
            ("arp_sender", b"send_arp"),
        ];
        for (name, v) in off {
            let key = format!("OCF_RESKEY_{name}");
            assert!(p(&[V4, (&key, v)]).is_ok(), "{name}={v:?}");
        }
    }
}
