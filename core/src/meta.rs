//! The parameter table: the one source of meta-data (OCF 1.0 and 1.1) and of the `ifaddr(8)`
//! man page, so the two cannot drift.

use ufmt::uWrite;

/// Which operating systems a parameter means something on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Any,
    Linux,
    FreeBsd,
}

/// One resource parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub required: bool,
    pub unique: bool,
    /// OCF 1.1: a change takes effect without restarting the resource.
    pub reloadable: bool,
    /// `string`, `integer` or `boolean`.
    pub ty: &'static str,
    pub default: Option<&'static str>,
    pub os: Os,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
}

const fn param(
    name: &'static str,
    ty: &'static str,
    default: Option<&'static str>,
    shortdesc: &'static str,
    longdesc: &'static str,
) -> Param {
    Param {
        name,
        required: false,
        unique: false,
        reloadable: false,
        ty,
        default,
        os: Os::Any,
        shortdesc,
        longdesc,
    }
}

/// Every parameter, in the order meta-data lists them.
pub const PARAMS: &[Param] = &[
    Param {
        required: true,
        unique: true,
        ..param(
            "ip",
            "string",
            None,
            "IPv4 or IPv6 address",
            "The virtual address to manage, in any valid text form (192.0.2.200, 2001:db8::200). \
             Loopback, multicast, IPv4 link-local, unspecified and IPv4-mapped addresses are \
             refused. An IPv6 link-local address (fe80::/10, a floating gateway address) is \
             accepted together with nic, on whose link it lives.",
        )
    },
    param(
        "cidr_netmask",
        "string",
        None,
        "Prefix length or netmask",
        "The prefix length (0-32 for IPv4, 0-128 for IPv6) or an IPv4 dotted netmask such as \
         255.255.255.0. When unset, the prefix of the connected route that covers ip is used.",
    ),
    param(
        "nic",
        "string",
        None,
        "Network interface",
        "The interface to put the address on (eth0, vlan100, igb0, epair0a, em0.100). When unset, \
         the interface of the longest-prefix connected route that covers ip; ties go to the lowest \
         metric, then the lowest interface index, so every node decides the same way. \
         IPaddr2's legacy form nic:label sets the label as iflabel does (Linux, IPv4).",
    ),
    Param {
        os: Os::Linux,
        ..param(
            "iflabel",
            "string",
            None,
            "Interface label (Linux, IPv4)",
            "Label the address as nic:iflabel, for tools that still read labels. IPv4 only.",
        )
    },
    param(
        "broadcast",
        "string",
        Some("+"),
        "Broadcast address (IPv4)",
        "The IPv4 broadcast address: an address, + to compute it from the prefix, or - for none.",
    ),
    param(
        "run_arping",
        "boolean",
        Some("false"),
        "Duplicate check before adding (IPv4)",
        "Before adding an IPv4 address, send an ARP probe for it and listen arp_probe \
         milliseconds for an answer; if another host answers, start fails and nothing is \
         added. Off by default, as in IPaddr2. IPv6 uses duplicate address detection instead \
         (see nodad).",
    ),
    param(
        "arp_probe",
        "integer",
        Some("50"),
        "Duplicate check wait (IPv4, ms)",
        "How long the run_arping check listens for another host's answer, 0 to 5000 \
         milliseconds (0 skips it). Only with run_arping=true.",
    ),
    Param {
        reloadable: true,
        ..param(
            "arp_count",
            "integer",
            Some("5"),
            "Announcements after start",
            "How many gratuitous ARPs (IPv4) or unsolicited neighbour advertisements (IPv6) to send \
             after start, 0 to 100, the first at once. Each goes out only while the address is on \
             its interface, and stop ends the sender before it removes the address.",
        )
    },
    Param {
        reloadable: true,
        ..param(
            "arp_bg",
            "boolean",
            Some("true"),
            "Announce in the background",
            "true: a background process sends the arp_count announcements and start returns at \
             once. false: start returns after the last one. (IPaddr2 defaults to false for IPv6; \
             ifaddr to true for both families.)",
        )
    },
    Param {
        reloadable: true,
        ..param(
            "arp_count_refresh",
            "integer",
            Some("0"),
            "Announcements on each monitor",
            "How many announcements each recurring monitor sends when it finds the address \
             healthy, 0 to 100, arp_interval apart, to correct neighbours whose caches went stale \
             (after a split brain, say). The monitor sends the first itself and leaves the rest \
             to a background process, so it never waits for more than one. Probes send none. \
             IPv4 and IPv6 (IPaddr2: IPv4 only).",
        )
    },
    Param {
        reloadable: true,
        ..param(
            "arp_interval",
            "integer",
            Some("200"),
            "Milliseconds between announcements",
            "Milliseconds between two announcements, 1 to 10000.",
        )
    },
    param(
        "nodad",
        "boolean",
        Some("false"),
        "Skip duplicate address detection (IPv6)",
        "Add the IPv6 address without duplicate address detection, so it is usable at once. \
         By default start waits for detection to finish and fails if the address is in use.",
    ),
    param(
        "preferred_lft",
        "string",
        Some("forever"),
        "Preferred lifetime (IPv6)",
        "The preferred lifetime of the IPv6 address in seconds, or forever. 0 keeps the address \
         from being chosen as a source address.",
    ),
    Param {
        reloadable: true,
        ..param(
            "conflict_wait",
            "integer",
            Some("50"),
            "Split-brain check wait (monitor depth 20, ms)",
            "How long a monitor at depth 20 (OCF_CHECK_LEVEL=20) listens for another host that \
             answers for the address, 1 to 5000 milliseconds: it sends an ARP probe (IPv4, \
             sender 0.0.0.0) or a duplicate-address-detection neighbour solicitation (IPv6, \
             from ::), which disturb no neighbour cache, and fails if a host with another \
             hardware address answers. The monitor takes about this long plus a millisecond; \
             depths 0 and 10 send nothing.",
        )
    },
    Param {
        os: Os::Linux,
        ..param(
            "noprefixroute",
            "boolean",
            Some("false"),
            "Add no prefix route (Linux)",
            "Add the address without the route to its subnet that the kernel would otherwise add \
             with it (IFA_F_NOPREFIXROUTE). IPv4 and IPv6.",
        )
    },
    Param {
        os: Os::Linux,
        ..param(
            "metric",
            "integer",
            None,
            "Metric of the prefix route (Linux)",
            "The metric (priority) of the prefix route added with the address, 0 to 4294967295 \
             (IFA_RT_PRIORITY; Linux 4.18 or newer). Unset: the kernel's default. Not with \
             noprefixroute=true.",
        )
    },
    param(
        "check_link_status",
        "boolean",
        Some("true"),
        "Require the interface to be up",
        "true: start fails and monitor reports a failure when the interface is down, and a \
         monitor at depth 10 also when it has no carrier. false: the link state is not looked \
         at; only the address itself is checked.",
    ),
    Param {
        os: Os::Linux,
        ..param(
            "flush_routes",
            "boolean",
            Some("false"),
            "Flush the routing cache after stop (Linux)",
            "After stop has removed the address, flush the kernel's cached routes (IPv4 and \
             IPv6), so that local connections stop taking a shortcut through the address at \
             once.",
        )
    },
    Param {
        os: Os::Linux,
        ..param(
            "proto",
            "string",
            None,
            "Route protocol for detection (Linux)",
            "When nic or cidr_netmask is detected from the routing table, consider only routes \
             of this protocol: kernel, boot, static, ra, dhcp or a number 0-255.",
        )
    },
    param(
        "lvs_support",
        "boolean",
        Some("false"),
        "LVS direct routing (IPv4)",
        "For LVS-DR directors that are also real servers: if ip/32 is on the loopback \
         interface, start takes it off there before adding ip to nic, and stop puts it back \
         on the loopback interface after removing ip from nic, so the node keeps accepting \
         the address's traffic without answering ARP for it. IPv4 only.",
    ),
    param(
        "lvs_ipv6_addrlabel",
        "boolean",
        Some("false"),
        "Address label for LVS-DR (IPv6)",
        "While the address is started, give ip/128 the address-selection label \
         lvs_ipv6_addrlabel_value in the RFC 6724 policy table (Linux: RTM_NEWADDRLABEL; \
         FreeBSD: the ip6addrctl table, precedence 40), so that it is not chosen as the source \
         of connections from this node, and remove the label on stop. IPv6 only. IPaddr2's \
         main branch defaults to true.",
    ),
    param(
        "lvs_ipv6_addrlabel_value",
        "integer",
        Some("99"),
        "Label for lvs_ipv6_addrlabel",
        "The label lvs_ipv6_addrlabel gives, 0 to 4294967294; pick one that no other entry of \
         the policy table uses. Without lvs_ipv6_addrlabel=true it has no effect.",
    ),
    Param {
        os: Os::Linux,
        ..param(
            "network_namespace",
            "string",
            None,
            "Network namespace (Linux)",
            "Manage the address inside the named network namespace (/run/netns/NAME).",
        )
    },
    Param {
        os: Os::FreeBsd,
        ..param(
            "carp_vhid",
            "integer",
            None,
            "CARP vhid (FreeBSD)",
            "Bind the address to this existing CARP virtual host id on nic, 1 to 255. The carp \
             module must be loaded and the vhid configured on the interface.",
        )
    },
    Param {
        os: Os::FreeBsd,
        ..param(
            "jail",
            "string",
            None,
            "VNET jail (FreeBSD)",
            "Manage the address inside this VNET jail, given by name or JID. Not combined \
             with policy: in the jail, files belong to the jail's root.",
        )
    },
    Param {
        reloadable: true,
        ..param(
            "policy",
            "string",
            None,
            "WebAssembly health policy",
            "Absolute path of a WebAssembly module that decides what healthy means in monitor. \
             It must be a regular file owned by root and not writable by group or others. The \
             agent does not compile modules: run `ifaddrc compile PATH` as root once on each \
             node (or at image build), or every action that needs the policy answers 5.",
        )
    },
    Param {
        reloadable: true,
        ..param(
            "policy_args",
            "string",
            None,
            "Arguments for the policy",
            "A short string (at most 255 bytes) the policy can read, so that one module serves \
             many resources.",
        )
    },
];

/// One action as advertised in meta-data.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub timeout: &'static str,
    pub interval: Option<&'static str>,
    pub depth: Option<&'static str>,
    /// Only advertised when OCF 1.1 is announced.
    pub ocf_1_1: bool,
}

const fn act(name: &'static str, timeout: &'static str) -> ActionSpec {
    ActionSpec {
        name,
        timeout,
        interval: None,
        depth: None,
        ocf_1_1: false,
    }
}

pub const ACTIONS: &[ActionSpec] = &[
    act("start", "20s"),
    act("stop", "20s"),
    ActionSpec {
        interval: Some("10s"),
        depth: Some("0"),
        ..act("monitor", "20s")
    },
    ActionSpec {
        interval: Some("30s"),
        depth: Some("10"),
        ..act("monitor", "20s")
    },
    ActionSpec {
        interval: Some("60s"),
        depth: Some("20"),
        ..act("monitor", "20s")
    },
    act("validate-all", "20s"),
    act("meta-data", "5s"),
    ActionSpec {
        ocf_1_1: true,
        ..act("reload-agent", "20s")
    },
    // Not an OCF 1.0 action name (ra-api-1.dtd lists them): advertised with OCF 1.1 only.
    ActionSpec {
        ocf_1_1: true,
        ..act("explain", "20s")
    },
];

pub const AGENT_NAME: &str = "vip";
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

pub const SHORTDESC: &str = "Floating IPv4/IPv6 address, no shell, no external commands";
pub const LONGDESC: &str = "Manages one IPv4 or IPv6 address on one network interface with direct \
kernel requests (rtnetlink on Linux, ioctl and the routing socket on FreeBSD); it runs no other \
program. monitor depth 0 checks that the address is on the expected interface with the expected \
prefix and that the interface is up; depth 10 also requires carrier; depth 20 also asks the \
link whether another host answers for the address (split brain), which costs conflict_wait \
milliseconds (50 by default) and sends one probe frame. An optional WebAssembly policy decides \
what healthy means. The explain action prints, in plain text and without changing anything, \
what the agent would do with the given parameters and why.";

/// Write `s` with the five XML special characters escaped.
pub fn xml_text<W: uWrite + ?Sized>(w: &mut W, s: &str) -> Result<(), W::Error> {
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '<' => "&lt;",
            '>' => "&gt;",
            '&' => "&amp;",
            '"' => "&quot;",
            '\'' => "&apos;",
            _ => continue,
        };
        w.write_str(&s[last..i])?;
        w.write_str(rep)?;
        last = i + 1;
    }
    w.write_str(&s[last..])
}

/// Write the agent's meta-data. Without `ocf_1_1` it is OCF 1.0 and validates against
/// `ra-api-1.dtd` (what ocf-tester checks); with it, the 1.1 additions are included.
pub fn write_metadata<W: uWrite + ?Sized>(w: &mut W, ocf_1_1: bool) -> Result<(), W::Error> {
    w.write_str("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n")?;
    w.write_str("<resource-agent name=\"")?;
    w.write_str(AGENT_NAME)?;
    w.write_str("\" version=\"")?;
    w.write_str(AGENT_VERSION)?;
    w.write_str("\">\n<version>")?;
    w.write_str(if ocf_1_1 { "1.1" } else { "1.0" })?;
    w.write_str("</version>\n<longdesc lang=\"en\">")?;
    xml_text(w, LONGDESC)?;
    w.write_str("</longdesc>\n<shortdesc lang=\"en\">")?;
    xml_text(w, SHORTDESC)?;
    w.write_str("</shortdesc>\n<parameters>\n")?;
    for p in PARAMS {
        w.write_str("<parameter name=\"")?;
        w.write_str(p.name)?;
        w.write_str("\"")?;
        if p.required {
            w.write_str(" required=\"1\"")?;
        }
        if p.unique {
            w.write_str(" unique=\"1\"")?;
        }
        if ocf_1_1 && p.reloadable {
            w.write_str(" reloadable=\"1\"")?;
        }
        w.write_str(">\n<longdesc lang=\"en\">")?;
        xml_text(w, p.longdesc)?;
        w.write_str("</longdesc>\n<shortdesc lang=\"en\">")?;
        xml_text(w, p.shortdesc)?;
        w.write_str("</shortdesc>\n<content type=\"")?;
        w.write_str(p.ty)?;
        w.write_str("\"")?;
        if let Some(d) = p.default {
            w.write_str(" default=\"")?;
            xml_text(w, d)?;
            w.write_str("\"")?;
        }
        w.write_str("/>\n</parameter>\n")?;
    }
    w.write_str("</parameters>\n<actions>\n")?;
    for a in ACTIONS {
        if a.ocf_1_1 && !ocf_1_1 {
            continue;
        }
        w.write_str("<action name=\"")?;
        w.write_str(a.name)?;
        w.write_str("\" timeout=\"")?;
        w.write_str(a.timeout)?;
        w.write_str("\"")?;
        if let Some(i) = a.interval {
            w.write_str(" interval=\"")?;
            w.write_str(i)?;
            w.write_str("\"")?;
        }
        if let Some(d) = a.depth {
            w.write_str(" depth=\"")?;
            w.write_str(d)?;
            w.write_str("\"")?;
        }
        w.write_str("/>\n")?;
    }
    w.write_str("</actions>\n</resource-agent>\n")
}

/// The date in the man page's `.Dd` line: change it when the page's content changes.
pub const MAN_DATE: &str = "December 6, 2026";

/// What each action does, for the man page.
fn action_text(name: &str) -> &'static str {
    match name {
        "start" => {
            "Add the address (waiting for IPv6 duplicate address detection unless \
                    nodad is set) and announce it. Succeeds at once when it is already there."
        }
        "stop" => "Remove the address. Succeeds when it is not there.",
        "monitor" => {
            "Report whether the address is configured as expected: 0 when it is, \
                      7 when it is not. OCF_CHECK_LEVEL=10 also requires carrier; 20 also \
                      sends one ARP probe or IPv6 neighbour solicitation for the address and \
                      fails (1) when a host with another hardware address answers within \
                      conflict_wait milliseconds."
        }
        "validate-all" => "Check the parameters and that they can work on this host.",
        "meta-data" => "Print the agent's meta-data (XML) on standard output.",
        "reload-agent" => "Apply a change of a reloadable parameter (OCF 1.1).",
        "explain" => {
            "Print in plain text what the agent would do with these parameters: the \
                      interface and the connected routes that chose it (prefix, metric, \
                      tie-breaks), the prefix and broadcast address and where they come from, \
                      what start would add and announce and stop remove, what monitor checks \
                      at each depth, which policy would run, and what is wrong if validate-all \
                      would fail. Changes nothing, needs no root where the kernel lets anyone \
                      read addresses and routes, does not load a policy module (only checks \
                      the file), and exits with validate-all's code."
        }
        _ => "",
    }
}

/// Write `s` as roff text: backslashes escaped, and a leading `.` or `'` made literal.
fn roff_text<W: uWrite + ?Sized>(w: &mut W, s: &str) -> Result<(), W::Error> {
    if s.starts_with('.') || s.starts_with('\'') {
        w.write_str("\\&")?;
    }
    let mut last = 0;
    for (i, c) in s.char_indices() {
        if c == '\\' {
            w.write_str(&s[last..i])?;
            w.write_str("\\e")?;
            last = i + 1;
        }
    }
    w.write_str(&s[last..])
}

/// Write the `ifaddr(8)` man page (mdoc) from the same tables as the meta-data, so the two
/// cannot drift. `docs/ifaddr.8` is this output (checked by a test).
pub fn write_manpage<W: uWrite + ?Sized>(w: &mut W) -> Result<(), W::Error> {
    w.write_str(".\\\" Generated by ifaddr_core::meta::write_manpage from the parameter table;\n")?;
    w.write_str(
        ".\\\" do not edit. Regenerate: IFADDR_BLESS=1 cargo test -p ifaddr-core manpage\n",
    )?;
    w.write_str(".Dd ")?;
    w.write_str(MAN_DATE)?;
    w.write_str("\n.Dt IFADDR 8\n.Os\n.Sh NAME\n.Nm ifaddr\n.Nd ")?;
    roff_text(w, SHORTDESC)?;
    w.write_str("\n.Sh SYNOPSIS\n.Ev OCF_ROOT Ns Pa /resource.d/ifaddr/vip\n.Ar action\n")?;
    w.write_str(".Sh DESCRIPTION\n.Nm\nis the OCF resource agent\n.Sy ocf:ifaddr:vip .\n")?;
    roff_text(w, LONGDESC)?;
    w.write_str(
        "\n.Pp\nPacemaker runs it as\n.Pa $OCF_ROOT/resource.d/ifaddr/vip\n\
         .Po\n.Pa /usr/local/lib/ocf\non FreeBSD,\n.Pa /usr/lib/ocf\non Linux\n.Pc\n\
         with the action as its only argument and each parameter\n.Ar name\n\
         in the environment variable\n.Ev OCF_RESKEY_ Ns Ar name .\n",
    )?;
    w.write_str(".Sh ACTIONS\n.Bl -tag -width validate-all\n")?;
    let mut prev = "";
    for a in ACTIONS {
        if a.name == prev {
            continue;
        }
        prev = a.name;
        w.write_str(".It Cm ")?;
        w.write_str(a.name)?;
        w.write_str("\n")?;
        roff_text(w, action_text(a.name))?;
        w.write_str("\n")?;
    }
    w.write_str(".El\n.Sh PARAMETERS\n.Bl -tag -width Ds\n")?;
    for p in PARAMS {
        w.write_str(".It Va ")?;
        w.write_str(p.name)?;
        w.write_str(" Pq ")?;
        w.write_str(p.ty)?;
        if p.required {
            w.write_str(", required")?;
        }
        w.write_str("\n")?;
        roff_text(w, p.shortdesc)?;
        w.write_str(".\n")?;
        roff_text(w, p.longdesc)?;
        w.write_str("\n")?;
        if let Some(d) = p.default {
            w.write_str("Default:\n.Ql ")?;
            roff_text(w, d)?;
            w.write_str(" .\n")?;
        }
        match p.os {
            Os::Any => {}
            Os::Linux => w.write_str("Linux only.\n")?,
            Os::FreeBsd => w.write_str("FreeBSD only.\n")?,
        }
        if p.reloadable {
            w.write_str("Reloadable without a restart (OCF 1.1).\n")?;
        }
    }
    w.write_str(".El\n.Sh EXIT STATUS\n.Bl -tag -width Ds\n")?;
    for (code, name, text) in [
        (
            0,
            "OCF_SUCCESS",
            "The action succeeded; for monitor, the address is there.",
        ),
        (1, "OCF_ERR_GENERIC", "A kernel request failed."),
        (
            2,
            "OCF_ERR_ARGS",
            "Valid parameters that cannot work on this host.",
        ),
        (3, "OCF_ERR_UNIMPLEMENTED", "Unknown action."),
        (4, "OCF_ERR_PERM", "Not enough privilege."),
        (
            5,
            "OCF_ERR_INSTALLED",
            "A kernel facility is missing (an address family, carp), or the policy cannot be \
             used (untrusted file, not compiled with ifaddrc).",
        ),
        (6, "OCF_ERR_CONFIGURED", "Invalid parameters."),
        (
            7,
            "OCF_NOT_RUNNING",
            "monitor: the address is not configured.",
        ),
    ] {
        w.write_str(".It ")?;
        w.write_str(match code {
            0 => "0",
            1 => "1",
            2 => "2",
            3 => "3",
            4 => "4",
            5 => "5",
            6 => "6",
            _ => "7",
        })?;
        w.write_str(" Pq Dv ")?;
        w.write_str(name)?;
        w.write_str("\n")?;
        w.write_str(text)?;
        w.write_str("\n")?;
    }
    w.write_str(
        ".El\n.Sh EXAMPLES\nA virtual address managed by Pacemaker, checked every ten seconds:\n\
         .Bd -literal -offset indent\n\
         crm configure primitive IP ocf:ifaddr:vip \\e\n\
         \x20   params ip=192.0.2.200 cidr_netmask=24 \\e\n\
         \x20   op monitor interval=10s\n\
         .Ed\n.Pp\nThe same by hand:\n.Bd -literal -offset indent\n\
         env OCF_ROOT=/usr/local/lib/ocf OCF_RESKEY_ip=192.0.2.200 \\e\n\
         \x20   OCF_RESKEY_cidr_netmask=24 /usr/local/lib/ocf/resource.d/ifaddr/vip start\n\
         .Ed\n.Pp\nWith a health policy, compiled once on each node:\n.Bd -literal -offset indent\n\
         ifaddrc compile /usr/local/lib/ifaddr/policies/strict.wasm\n\
         crm configure primitive IP ocf:ifaddr:vip \\e\n\
         \x20   params ip=192.0.2.200 policy=/usr/local/lib/ifaddr/policies/strict.wasm \\e\n\
         \x20   op monitor interval=10s\n\
         .Ed\n.Sh FILES\n.Bl -tag -width Ds\n\
         .It Pa /var/cache/ifaddr\n\
         Policy artifacts written by ifaddrc compile, root-only (IFADDR_CACHE_DIR overrides it).\n\
         .El\n.Sh SEE ALSO\n.Xr carp 4 ,\n.Xr jail 8 ,\n.Xr ifconfig 8 ,\n\
         .Xr crm 8 ,\n.Xr pacemaker 8\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    struct S(String);
    impl uWrite for S {
        type Error = core::convert::Infallible;
        fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
            self.0.push_str(s);
            Ok(())
        }
    }

    fn md(v11: bool) -> String {
        let mut s = S(String::new());
        write_metadata(&mut s, v11).unwrap();
        s.0
    }

    #[test]
    fn ocf_1_0_has_no_1_1_additions() {
        let m = md(false);
        assert!(m.contains("<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">"));
        assert!(m.contains("<version>1.0</version>"));
        assert!(!m.contains("reloadable"));
        assert!(!m.contains("reload-agent"));
        assert!(m.contains("<parameter name=\"ip\" required=\"1\" unique=\"1\">"));
    }

    #[test]
    fn ocf_1_1_adds_reload() {
        let m = md(true);
        assert!(m.contains("<version>1.1</version>"));
        assert!(m.contains("<parameter name=\"arp_count\" reloadable=\"1\">"));
        assert!(m.contains("<action name=\"reload-agent\" timeout=\"20s\"/>"));
    }

    #[test]
    fn every_param_is_parsed() {
        // Each advertised name must be one Params::parse reads; a typo in either is caught here.
        struct One(&'static str);
        impl crate::params::Source for One {
            fn get(&self, name: &str) -> Option<&[u8]> {
                match name.strip_prefix("OCF_RESKEY_") {
                    Some("ip") => Some(b"192.0.2.1"),
                    Some(n) if n == self.0 => Some(b"\x01"),
                    _ => None,
                }
            }
        }
        for p in PARAMS.iter().filter(|p| p.name != "ip") {
            let e = crate::params::Params::parse(&One(p.name)).unwrap_err();
            assert_eq!(
                e.name, p.name,
                "parameter {} is not read by Params::parse",
                p.name
            );
        }
    }

    #[test]
    fn readme_documents_every_parameter() {
        let readme = include_str!("../../README.md");
        for p in PARAMS {
            let row = format!("| `{}` |", p.name);
            assert!(readme.contains(&row), "README.md has no row for {}", p.name);
        }
    }

    #[test]
    fn xml_escaping() {
        let mut s = S(String::new());
        xml_text(&mut s, "a<b & 'c'").unwrap();
        assert_eq!(s.0, "a&lt;b &amp; &apos;c&apos;");
    }
}
