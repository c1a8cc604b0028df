//! `explain`: what the agent would do with these parameters, and why, in plain text. It
//! changes nothing: it reads links, addresses and routes, and checks a policy file without
//! loading it. The interface and prefix are [`Agent::resolve`]'s own decision, reported with
//! where each came from; the list of candidate routes is the backend's, in the order
//! [`Backend::route`] picks from.

use super::{broadcast_for, mac_text, Agent, Origin, Target};
use crate::outcome;
use crate::sys::{Backend, Candidate, LinkRef};
use ifaddr_core::addr::{Broadcast, Family};
use ifaddr_core::ocf::Exit;
use std::fmt::Write;
use std::net::IpAddr;

impl<B: Backend> Agent<'_, B> {
    /// Print the explanation on standard output; the outcome is validate-all's.
    pub fn explain(&mut self) -> outcome::Result {
        let mut out = String::new();
        let r = self.explain_into(&mut out);
        let _ = writeln!(out, "{}", outcome::explain_line(&r));
        print!("{out}");
        r
    }

    fn explain_into(&mut self, out: &mut String) -> outcome::Result {
        let ip = self.p.ip;
        let fam = self.p.family();
        let _ = writeln!(out, "ip: {ip} ({})", fam.name());
        self.check_os()?;
        let t = match self.target() {
            Ok(t) => t,
            Err(f) => {
                // Show what the routing table offers, to help see why.
                self.explain_routes(out, None, None)?;
                return Err(f);
            }
        };
        let name = t.link.name.as_str().to_owned();
        match t.nic_from {
            Origin::Param => {
                let _ = writeln!(
                    out,
                    "nic: {name} (index {}), given by the nic parameter",
                    t.link.index
                );
            }
            Origin::Route(r) => {
                let _ = writeln!(
                    out,
                    "nic: {name} (index {}), from the connected route {} (nic is not set)",
                    t.link.index,
                    net(&ip, r.prefix)
                );
            }
        }
        // The candidates resolve chose among: all connected routes without nic, the ones on
        // nic when it is set and the prefix comes from a route.
        match (t.nic_from, t.prefix_from) {
            (Origin::Route(r), _) => self.explain_routes(out, None, Some(r))?,
            (Origin::Param, Origin::Route(r)) => {
                self.explain_routes(out, Some(t.link.index), Some(r))?
            }
            (Origin::Param, Origin::Param) => {
                out.push_str("routes: not consulted (nic and cidr_netmask are both set)\n");
            }
        }
        match t.prefix_from {
            Origin::Param => {
                let _ = writeln!(out, "prefix: /{}, given by cidr_netmask", t.prefix);
            }
            Origin::Route(r) => {
                let _ = writeln!(
                    out,
                    "prefix: /{}, from the connected route {} on {name} (cidr_netmask is not set)",
                    t.prefix,
                    net(&ip, r.prefix)
                );
            }
        }
        let brd = broadcast_for(self.p, t.prefix);
        match (fam, self.p.broadcast, brd) {
            (Family::V6, _, _) => out.push_str("broadcast: none (IPv6)\n"),
            (_, Broadcast::Addr(_), Some(b)) => {
                let _ = writeln!(out, "broadcast: {b}, given by the broadcast parameter");
            }
            (_, Broadcast::Auto, Some(b)) => {
                let _ = writeln!(
                    out,
                    "broadcast: {b}, computed from the prefix /{} (broadcast=+)",
                    t.prefix
                );
            }
            (_, Broadcast::Auto, None) => {
                let _ = writeln!(
                    out,
                    "broadcast: none, a /{} has no broadcast address",
                    t.prefix
                );
            }
            _ => out.push_str("broadcast: none (broadcast=-)\n"),
        }
        self.explain_start(out, &t, brd)?;
        let _ = writeln!(
            out,
            "stop: would remove {ip} from {name} (under every prefix it has there); succeeds when it is not there"
        );
        self.explain_monitor(out, &t);
        self.explain_policy(out)?;
        Ok(Exit::Success)
    }

    /// The connected routes covering `ip` (on interface `index` when given), best first,
    /// with why each one after the first lost to it; `chosen` is resolve's.
    fn explain_routes(
        &mut self,
        out: &mut String,
        index: Option<u32>,
        chosen: Option<crate::sys::Route>,
    ) -> outcome::Result<()> {
        let ip = self.p.ip;
        let all = self.sys.routes(&ip, index)?;
        let on = match index {
            Some(i) => format!(" on {}", self.link_name(i)),
            None => String::new(),
        };
        if all.is_empty() {
            let _ = writeln!(out, "routes: no connected route{on} covers {ip}");
            return Ok(());
        }
        let _ = writeln!(
            out,
            "routes: connected routes{on} covering {ip}, in the order nic detection ranks them (longest prefix, then lowest metric, then lowest interface index):"
        );
        let first = all[0];
        for (i, c) in all.iter().enumerate() {
            let metric = c
                .metric
                .map_or_else(String::new, |m| format!(" metric {m}"));
            let verdict = if i == 0 {
                match chosen {
                    Some(r) if r.index == c.index && r.prefix == c.prefix => "chosen".to_owned(),
                    Some(_) => "first (but resolve chose another; see above)".to_owned(),
                    None => "first".to_owned(),
                }
            } else {
                format!("loses: {}", lost(c, &first))
            };
            let _ = writeln!(
                out,
                "  {}/{} dev {} (index {}){metric}: {verdict}",
                c.dst,
                c.prefix,
                self.link_name(c.index),
                c.index
            );
        }
        Ok(())
    }

    fn link_name(&mut self, index: u32) -> String {
        match self.sys.link(LinkRef::Index(index)) {
            Ok(Some(l)) => l.name.as_str().to_owned(),
            _ => format!("#{index}"),
        }
    }

    fn explain_start(
        &mut self,
        out: &mut String,
        t: &Target,
        brd: Option<std::net::Ipv4Addr>,
    ) -> outcome::Result<()> {
        let ip = self.p.ip;
        let name = t.link.name.as_str();
        let mut what = format!("{ip}/{}", t.prefix);
        if let Some(b) = brd {
            let _ = write!(what, " broadcast {b}");
        }
        if let Some(l) = &self.p.iflabel {
            let _ = write!(what, " label {name}:{}", l.as_str());
        }
        if let Some(pl) = self.p.preferred_lft {
            let _ = write!(what, " preferred_lft {pl}");
        }
        let now = match self.sys.addr_with_prefix(&ip, t.link.index, t.prefix)? {
            Some(a) => Some(a),
            None => self.sys.addr(&ip, Some(t.link.index))?,
        };
        match now {
            Some(a) if a.prefix == t.prefix && !a.duplicated => {
                let _ = writeln!(
                    out,
                    "start: {ip}/{} is already on {name}: start would change nothing",
                    a.prefix
                );
                return Ok(());
            }
            Some(a) => {
                let _ = writeln!(
                    out,
                    "start: would replace {ip}/{}{} on {name} with {what}",
                    a.prefix,
                    if a.duplicated {
                        " (failed duplicate address detection)"
                    } else {
                        ""
                    }
                );
            }
            None => {
                let _ = writeln!(out, "start: would add {what} to {name}");
            }
        }
        if let Some(elsewhere) = self.sys.addr(&ip, None)? {
            if elsewhere.index != t.link.index {
                let _ = writeln!(
                    out,
                    "  note: {ip} is on {} now; start adds it to {name} regardless",
                    self.link_name(elsewhere.index)
                );
            }
        }
        if !t.link.up {
            let _ = writeln!(out, "  but {name} is down now: start would fail (exit 1)");
        }
        match (self.p.family(), self.p.arp_probe_ms) {
            (Family::V4, 0) => out.push_str(
                "  before adding: no duplicate check (run_arping is off, as in IPaddr2)\n",
            ),
            (Family::V4, ms) => {
                let _ = writeln!(
                    out,
                    "  before adding: an ARP probe for {ip}, listening {ms} ms (run_arping, arp_probe); an answer fails start and adds nothing"
                );
            }
            (Family::V6, _) if self.p.nodad => {
                out.push_str("  after adding: no duplicate address detection (nodad)\n")
            }
            (Family::V6, _) => out.push_str(
                "  after adding: waits for the kernel's duplicate address detection; a duplicate fails start and the address is removed\n",
            ),
        }
        let kind = match self.p.family() {
            Family::V4 => "gratuitous ARPs",
            Family::V6 => "unsolicited neighbour advertisements",
        };
        match (self.p.arp_count, t.link.mac) {
            (0, _) => out.push_str("  announces: nothing (arp_count=0)\n"),
            (_, None) => {
                let _ = writeln!(out, "  announces: nothing ({name} has no Ethernet address)");
            }
            (n, Some(mac)) => {
                let _ = writeln!(
                    out,
                    "  announces: {n} {kind} from {}, {} ms apart, from a background process (arp_count, arp_interval)",
                    mac_text(&mac),
                    self.p.arp_interval_ms
                );
            }
        }
        Ok(())
    }

    fn explain_monitor(&mut self, out: &mut String, t: &Target) {
        let ip = self.p.ip;
        let name = t.link.name.as_str();
        let _ = writeln!(
            out,
            "monitor depth 0: {ip} on {name} with prefix /{}, not failed duplicate address detection, {name} up (now: {}); 7 when the address is absent",
            t.prefix,
            if t.link.up { "up" } else { "down" }
        );
        let _ = writeln!(
            out,
            "monitor depth 10: also carrier on {name} (now: {})",
            if t.link.carrier {
                "carrier"
            } else {
                "no carrier"
            }
        );
        let probe = match self.p.family() {
            Family::V4 => "an ARP probe for it from 0.0.0.0",
            Family::V6 => "a duplicate-address-detection neighbour solicitation for it from ::",
        };
        if t.link.mac.is_some() {
            let _ = writeln!(
                out,
                "monitor depth 20: also {probe} on {name}, listening {} ms (conflict_wait): an answer from another MAC fails it (split brain)",
                self.p.conflict_wait_ms
            );
        } else {
            let _ = writeln!(
                out,
                "monitor depth 20: as depth 10 ({name} has no Ethernet address to probe from)"
            );
        }
    }

    fn explain_policy(&mut self, out: &mut String) -> outcome::Result<()> {
        let Some(path) = self.p.policy.as_ref().map(|s| s.as_str()) else {
            out.push_str("policy: none (the built-in checks above decide)\n");
            return Ok(());
        };
        let _ = writeln!(
            out,
            "policy: {path} would run on every monitor that finds the address, with policy_args \"{}\"; it decides instead of the built-in checks",
            self.p.policy_args.as_str()
        );
        // The file checks validate-all makes first; the module itself is not loaded (in the
        // default build that would compile it and write the artifact cache).
        match crate::policy::trust::read(
            std::path::Path::new(path),
            crate::policy::MODULE_MAX,
            false,
        ) {
            Ok(b) => {
                let _ = writeln!(
                    out,
                    "  module file: {} bytes, owner and mode acceptable (not loaded here)",
                    b.len()
                );
                Ok(())
            }
            Err(r) => Err(outcome::policy(&crate::policy::Failure::File(r), path)),
        }
    }
}

/// `ip/prefix`'s network as text.
fn net(ip: &IpAddr, prefix: u8) -> String {
    format!("{}/{prefix}", crate::sys::network(ip, prefix))
}

/// Why candidate `c` ranks after `first`.
fn lost(c: &Candidate, first: &Candidate) -> String {
    if c.prefix < first.prefix {
        format!("shorter prefix (/{} < /{})", c.prefix, first.prefix)
    } else if c.metric > first.metric {
        format!(
            "same prefix, higher metric ({} > {})",
            c.metric.unwrap_or(0),
            first.metric.unwrap_or(0)
        )
    } else if c.index > first.index {
        format!(
            "same prefix and metric, higher interface index ({} > {})",
            c.index, first.index
        )
    } else {
        "ties with the first (same prefix, metric and interface)".to_owned()
    }
}
