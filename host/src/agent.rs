//! The OCF actions, written once over [`Backend`]: what "started", "stopped" and "healthy"
//! mean for a virtual address, independent of the kernel that holds it.

use crate::announcer;
use crate::log;
use crate::outcome::{self, fail, Outcome};
use crate::sys::{self, Addr, Backend, Link, LinkRef, Route};
use crate::Fork;
use ifaddr_core::addr::{self, Broadcast, Family};
use ifaddr_core::ifname::{self, IfName};
use ifaddr_core::ocf::{Action, ApiVersion, Exit};
use ifaddr_core::params::{OpContext, Params};
use std::net::IpAddr;
use std::time::{Duration, Instant};

mod explain;

/// Everything an action needs.
pub struct Agent<'a, B: Backend> {
    pub sys: &'a mut B,
    pub p: &'a Params,
    pub ctx: &'a OpContext,
    pub api: ApiVersion,
    /// When the action began; its deadline is `started + timeout`.
    pub started: Instant,
}

/// Where the address belongs: the interface and the prefix.
#[derive(Debug, Clone)]
pub struct Target {
    pub link: Link,
    pub prefix: u8,
    /// Why `link`: the `nic` parameter, or the connected route nic detection chose.
    pub nic_from: Origin,
    /// Why `prefix`: `cidr_netmask`, or the connected route (on `link`) that covers `ip`.
    pub prefix_from: Origin,
}

/// Where [`Agent::resolve`] took a value from (what `explain` reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The parameter.
    Param,
    /// A connected route covering `ip`.
    Route(Route),
}

/// Where the parameters and the routing table say the address belongs, as far as they say:
/// [`Agent::resolve`]'s answer, which start refuses or takes as its [`Target`]
/// ([`Agent::target`]) and which monitor and stop look for the address by.
enum Decision {
    /// `nic` names no interface.
    NoNic(IfName),
    /// nic detection: no connected route covers `ip`.
    NoRoute,
    /// nic detection: the interface of the route vanished between the two questions.
    RouteGone,
    /// The interface, and the prefix when `cidr_netmask` or a route on it gives one.
    Link {
        link: Link,
        nic_from: Origin,
        prefix: Option<(u8, Origin)>,
    },
}

/// Where the address is now: what monitor and stop act on.
enum Place {
    /// Not on the interface it belongs to; with nic detection and no route to go by, nowhere.
    Absent,
    /// What held it is gone, and the address with it (the text says what).
    Gone(String),
    /// On `link`; `expected` is the prefix it should have, where that is known.
    Present {
        link: Link,
        addr: Addr,
        expected: Option<u8>,
    },
}

impl<B: Backend> Agent<'_, B> {
    fn deadline(&self) -> Instant {
        // Leave a second for the reply to reach Pacemaker before it gives up on us.
        let budget = Duration::from_millis(self.ctx.timeout_ms.saturating_sub(1000).max(500));
        self.started + budget
    }

    /// The one place that works out the interface and the prefix, from the parameters and the
    /// routing table, for every action: nic detection takes the best connected route covering
    /// `ip` ([`Backend::route`]); a given nic takes its prefix from the best one on it.
    fn resolve(&mut self) -> sys::Result<Decision> {
        let ip = self.p.ip;
        if let Some(nic) = &self.p.nic {
            let Some(link) = self.sys.link(LinkRef::Name(nic))? else {
                return Ok(Decision::NoNic(nic.clone()));
            };
            let prefix = match self.p.prefix {
                Some(p) => Some((p, Origin::Param)),
                None => self
                    .sys
                    .route(&ip, Some(link.index))?
                    .map(|r| (r.prefix, Origin::Route(r))),
            };
            return Ok(Decision::Link {
                link,
                nic_from: Origin::Param,
                prefix,
            });
        }
        let Some(route) = self.sys.route(&ip, None)? else {
            return Ok(Decision::NoRoute);
        };
        let Some(link) = self.sys.link(LinkRef::Index(route.index))? else {
            return Ok(Decision::RouteGone);
        };
        let prefix = match self.p.prefix {
            Some(p) => (p, Origin::Param),
            None => (route.prefix, Origin::Route(route)),
        };
        Ok(Decision::Link {
            link,
            nic_from: Origin::Route(route),
            prefix: Some(prefix),
        })
    }

    /// Where start puts the address: [`Agent::resolve`]'s answer, refused when it is incomplete
    /// or unusable (a loopback interface, a prefix wider than the detected route, a label too
    /// long for the interface, the subnet's own network or broadcast address).
    pub fn target(&mut self) -> outcome::Result<Target> {
        let ip = self.p.ip;
        let (link, nic_from, prefix) = match self.resolve()? {
            Decision::NoNic(nic) => {
                return Err(fail(
                    Exit::ErrArgs,
                    format!("nic {nic} does not exist on this host", nic = nic.as_str()),
                ))
            }
            Decision::NoRoute => {
                return Err(fail(
                    Exit::ErrArgs,
                    format!("no connected route covers {ip}; set nic (and cidr_netmask)"),
                ))
            }
            Decision::RouteGone => {
                return Err(fail(
                    Exit::ErrGeneric,
                    "the interface of the route to ip vanished",
                ))
            }
            Decision::Link {
                link,
                nic_from,
                prefix,
            } => (link, nic_from, prefix),
        };
        if link.loopback {
            return Err(fail(
                Exit::ErrArgs,
                format!("{} is a loopback interface", link.name.as_str()),
            ));
        }
        let Some((prefix, prefix_from)) = prefix else {
            return Err(fail(
                Exit::ErrArgs,
                format!(
                    "no connected route on {} covers {ip}; set cidr_netmask",
                    link.name.as_str()
                ),
            ));
        };
        if let (Origin::Route(r), Origin::Param) = (nic_from, prefix_from) {
            if prefix < r.prefix {
                return Err(fail(
                    Exit::ErrArgs,
                    format!(
                        "cidr_netmask /{prefix} is wider than the connected route /{} on {}; set nic to force it",
                        r.prefix,
                        link.name.as_str()
                    ),
                ));
            }
        }
        if let Some(l) = &self.p.iflabel {
            if !ifname::label_fits(link.name.as_str(), l) {
                return Err(fail(
                    Exit::ErrArgs,
                    format!(
                        "iflabel makes the label {}:{} longer than 15 bytes",
                        link.name.as_str(),
                        l.as_str()
                    ),
                ));
            }
        }
        if let (IpAddr::V4(v4), Origin::Route(_)) = (ip, prefix_from) {
            // With cidr_netmask, Params::parse refused these already.
            if addr::is_network_or_broadcast(v4, prefix) {
                return Err(fail(
                    Exit::ErrArgs,
                    format!("{ip} is the network or broadcast address of its /{prefix} subnet"),
                ));
            }
        }
        Ok(Target {
            link,
            prefix,
            nic_from,
            prefix_from,
        })
    }

    /// Parameters that only mean something on another OS: unusable here (exit 2).
    fn check_os(&self) -> outcome::Result<()> {
        if self.p.carp_vhid.is_some() && !cfg!(target_os = "freebsd") {
            return Err(fail(
                Exit::ErrArgs,
                "carp_vhid is supported on FreeBSD only",
            ));
        }
        if self.p.jail.is_some() && !cfg!(target_os = "freebsd") {
            return Err(fail(Exit::ErrArgs, "jail is supported on FreeBSD only"));
        }
        if self.p.network_namespace.is_some() && !cfg!(target_os = "linux") {
            return Err(fail(
                Exit::ErrArgs,
                "network_namespace is supported on Linux only",
            ));
        }
        if !cfg!(target_os = "linux") {
            let linux_only = [
                ("iflabel", self.p.iflabel.is_some()),
                ("noprefixroute", self.p.noprefixroute),
                ("metric", self.p.metric.is_some()),
                ("flush_routes", self.p.flush_routes),
                ("proto", self.p.proto.is_some()),
            ];
            if let Some((name, _)) = linux_only.iter().find(|(_, set)| *set) {
                return Err(fail(
                    Exit::ErrArgs,
                    format!("{name} is supported on Linux only"),
                ));
            }
        }
        Ok(())
    }

    pub fn validate(&mut self) -> outcome::Result {
        self.check_os()?;
        self.target()?;
        crate::policy::validate(self.p)?;
        Ok(Exit::Success)
    }

    /// Where the address is now, on the interface [`Agent::resolve`] says it belongs to; with
    /// nic detection and no route to go by (the address's own subnet route may have gone with
    /// it), wherever it is.
    fn locate(&mut self) -> outcome::Result<Place> {
        let ip = self.p.ip;
        let (link, expected) = match self.resolve()? {
            Decision::NoNic(nic) => {
                return Ok(Place::Gone(format!("nic {} does not exist", nic.as_str())))
            }
            Decision::NoRoute | Decision::RouteGone => (None, self.p.prefix),
            Decision::Link { link, prefix, .. } => (Some(link), prefix.map(|(p, _)| p)),
        };
        let Some(a) = self.sys.addr(&ip, link.as_ref().map(|l| l.index))? else {
            return Ok(Place::Absent);
        };
        let link = match link {
            Some(l) => l,
            None => match self.sys.link(LinkRef::Index(a.index))? {
                Some(l) => l,
                None => return Ok(Place::Absent),
            },
        };
        let addr = self.prefer(a, expected)?;
        Ok(Place::Present {
            link,
            addr,
            expected,
        })
    }

    /// When the address is on the interface under several prefixes, the expected one.
    fn prefer(&mut self, a: Addr, expected: Option<u8>) -> outcome::Result<Addr> {
        match expected {
            Some(e) if e != a.prefix => Ok(self
                .sys
                .addr_with_prefix(&self.p.ip, a.index, e)?
                .unwrap_or(a)),
            _ => Ok(a),
        }
    }

    pub fn monitor(&mut self) -> outcome::Result {
        let ip = self.p.ip;
        let (link, a, expected) = match self.locate()? {
            Place::Present {
                link,
                addr,
                expected,
            } => (link, addr, expected),
            Place::Absent => return Ok(Exit::NotRunning),
            Place::Gone(why) => {
                return outcome::gone(Action::Monitor, self.ctx.is_probe(), &ip, &why)
            }
        };
        let name = link.name.as_str().to_owned();
        let builtin: outcome::Result<()> = (|| {
            if a.duplicated {
                return Err(fail(
                    Exit::ErrGeneric,
                    format!("{ip} on {name} failed duplicate address detection"),
                ));
            }
            if let Some(e) = expected {
                if e != a.prefix {
                    return Err(fail(
                        Exit::ErrGeneric,
                        format!("{ip} is on {name} with prefix /{}, expected /{e}", a.prefix),
                    ));
                }
            }
            if !self.p.check_link_status {
                return Ok(());
            }
            if !link.up {
                return Err(fail(Exit::ErrGeneric, format!("interface {name} is down")));
            }
            if self.ctx.depth >= 10 && !link.carrier {
                return Err(fail(
                    Exit::ErrGeneric,
                    format!("interface {name} has no carrier"),
                ));
            }
            Ok(())
        })();
        // Depth 20: ask the link whether another host answers for the address (split brain).
        // Only when it can matter: the interface is up with an Ethernet address to probe
        // from, and the answer is not already a failure unless a policy wants to see it.
        let conflict = if self.ctx.depth >= 20
            && link.up
            && link.mac.is_some()
            && (builtin.is_ok() || self.p.policy.is_some())
        {
            Some(self.conflict(&link)?)
        } else {
            None
        };
        let builtin = builtin.and_then(|()| match conflict {
            Some(Some(mac)) => Err(fail(
                Exit::ErrGeneric,
                format!(
                    "split brain: {ip} on {name} is also answered for by {} (another host holds it)",
                    mac_text(&mac)
                ),
            )),
            _ => Ok(()),
        });
        if builtin.is_ok() && self.p.arp_count_refresh > 0 && !self.ctx.is_probe() {
            // Before the policy runs: the announcer is forked, and the policy engine may start
            // threads. The monitor waits for the first announcement only.
            self.announce(&link, self.p.arp_count_refresh, 1);
        }
        if self.p.policy.is_some() {
            let builtin_exit = match &builtin {
                Ok(()) => Exit::Success,
                Err(f) => f.exit,
            };
            if let Err(Outcome {
                reason: Some(r), ..
            }) = &builtin
            {
                log::info(&format!("built-in check: {r}"));
            }
            let o = crate::policy::evaluate(&crate::policy::Seen {
                p: self.p,
                ctx: self.ctx,
                api: self.api,
                link: Some(&link),
                addr: Some(&a),
                builtin: builtin_exit,
                conflict,
            });
            return match o {
                Outcome {
                    exit: e @ (Exit::Success | Exit::Degraded),
                    reason: None,
                } => Ok(e),
                Outcome { reason: None, exit } => {
                    Err(fail(exit, format!("policy answered {}", exit.name())))
                }
                o => Err(o),
            };
        }
        builtin.map(|()| Exit::Success)
    }

    /// The depth-20 probe: an ARP probe (IPv4) or a DAD neighbour solicitation (IPv6) for the
    /// address, listening `conflict_wait` ms (less if the deadline is nearer). `Some(mac)`:
    /// another host answered.
    fn conflict(&mut self, link: &Link) -> outcome::Result<Option<[u8; 6]>> {
        let left = self.deadline().saturating_duration_since(Instant::now());
        let wait = Duration::from_millis(u64::from(self.p.conflict_wait_ms)).min(left);
        let mac = match self.p.ip {
            IpAddr::V4(v4) => self.sys.probe(link, v4, wait)?,
            IpAddr::V6(v6) => self.sys.probe_v6(link, v6, wait)?,
        };
        Ok(mac)
    }

    pub fn start(&mut self) -> outcome::Result {
        let mut undo = Undo::default();
        let r = self.start_inner(&mut undo);
        if r.is_err() {
            // Leave the system as we found it: what the LVS parameters changed goes back.
            if let (true, Some(label), IpAddr::V6(v6)) =
                (undo.label_added, self.p.lvs_ipv6_addrlabel, self.p.ip)
            {
                let _ = self.sys.addr_label(false, &v6, label);
            }
            if undo.took_off_loopback {
                self.restore_loopback();
            }
        }
        r
    }

    fn start_inner(&mut self, undo: &mut Undo) -> outcome::Result {
        if !sys::is_root() {
            return Err(fail(Exit::ErrPerm, "start must run as root"));
        }
        self.check_os()?;
        let ip = self.p.ip;
        let t = self.target()?;
        // A policy that cannot run would fail the first monitor: refuse to start instead.
        crate::policy::validate(self.p)?;
        let name = t.link.name.as_str().to_owned();
        if let (Some(label), IpAddr::V6(v6)) = (self.p.lvs_ipv6_addrlabel, ip) {
            match self.sys.addr_label(true, &v6, label) {
                Ok(()) => {
                    undo.label_added = true;
                    log::info(&format!("added address label {label} for {ip}/128"));
                }
                // Already labelled (an earlier start): fine.
                Err(e) if e.is(libc::EEXIST) => {}
                Err(e) => {
                    return Err(fail(
                        Exit::ErrGeneric,
                        format!("lvs_ipv6_addrlabel: cannot label {ip}/128: {e}"),
                    ))
                }
            }
        }
        // The address under the configured prefix if it is there under several (one lookup
        // when it is absent, the usual case).
        let existing = match self.sys.addr(&ip, Some(t.link.index))? {
            Some(a) => Some(self.prefer(a, Some(t.prefix))?),
            None => None,
        };
        if let Some(a) = existing {
            if a.prefix == t.prefix && !a.duplicated {
                if a.tentative {
                    self.wait_dad(&t)?;
                }
                log::info(&format!("{ip}/{} is already on {name}", a.prefix));
                // Announce it all the same: clients may have learnt another node's address
                // for it (a split brain just resolved, an address added by hand).
                let foreground = if self.p.arp_bg { 0 } else { self.p.arp_count };
                self.announce(&t.link, self.p.arp_count, foreground);
                return Ok(Exit::Success);
            }
            // Replace path: the same address with another prefix (or a failed DAD) goes first.
            log::info(&format!(
                "replacing {ip}/{} on {name} with {ip}/{}",
                a.prefix, t.prefix
            ));
            self.sys.del(&t.link, &ip, a.prefix)?;
        }
        if !t.link.up && self.p.check_link_status {
            return Err(fail(
                Exit::ErrGeneric,
                format!("interface {name} is down (check_link_status=false skips this check)"),
            ));
        }
        if self.p.lvs_support {
            undo.took_off_loopback = self.take_off_loopback()?;
        }
        if let IpAddr::V4(v4) = ip {
            if self.p.arp_probe_ms > 0 {
                let wait = Duration::from_millis(u64::from(self.p.arp_probe_ms));
                if let Some(mac) = self.sys.probe(&t.link, v4, wait)? {
                    let m = mac.map(|b| format!("{b:02x}")).join(":");
                    return Err(fail(
                        Exit::ErrGeneric,
                        format!(
                            "duplicate address: {ip} is already in use by {m} on {name} (run_arping=false skips this check)"
                        ),
                    ));
                }
            }
        }
        if let Err(e) = self.sys.add(&t.link, self.p, t.prefix) {
            if e.is(libc::EEXIST) {
                // Someone added it between our look and our add: fine if it is what we want.
                if let Some(a) = self.sys.addr(&ip, Some(t.link.index))? {
                    if a.prefix == t.prefix {
                        return Ok(Exit::Success);
                    }
                }
            }
            return Err(outcome::add_failed(e, self.p.family(), &name));
        }
        log::info(&format!("added {ip}/{} to {name}", t.prefix));
        if self.p.family() == Family::V6 && !self.p.nodad {
            if let Err(f) = self.wait_dad(&t) {
                // Leave the system as we found it.
                self.end_announcer();
                let _ = self.sys.del(&t.link, &ip, t.prefix);
                return Err(f);
            }
        }
        let foreground = if self.p.arp_bg { 0 } else { self.p.arp_count };
        self.announce(&t.link, self.p.arp_count, foreground);
        if self.p.policy.is_some() {
            crate::policy::on_start(self.p, self.ctx);
        }
        Ok(Exit::Success)
    }

    fn wait_dad(&mut self, t: &Target) -> outcome::Result<()> {
        let ip = self.p.ip;
        let deadline = self.deadline();
        let mut pause = Duration::from_millis(5);
        loop {
            match self.sys.addr(&ip, Some(t.link.index))? {
                None => {
                    return Err(fail(
                        Exit::ErrGeneric,
                        format!(
                            "{ip} vanished from {} during duplicate address detection",
                            t.link.name.as_str()
                        ),
                    ))
                }
                Some(a) if a.duplicated => {
                    return Err(fail(
                        Exit::ErrGeneric,
                        format!(
                            "duplicate address detected: another host on {} already uses {ip}",
                            t.link.name.as_str()
                        ),
                    ))
                }
                Some(a) if !a.tentative => return Ok(()),
                Some(_) => {}
            }
            if Instant::now() + pause > deadline {
                return Err(fail(
                    Exit::ErrGeneric,
                    format!(
                        "duplicate address detection for {ip} did not finish within the {} ms timeout",
                        self.ctx.timeout_ms
                    ),
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Send `count` announcements, the first at once: `foreground` of them from this process
    /// (before this returns), the rest from a background process, so that start (and a
    /// monitor's refresh) is not held back: not by `arp_count * arp_interval`, and not by the
    /// kernel's synchronisation when a packet socket is closed (an RCU grace period,
    /// milliseconds on Linux). Either way the sender holds the address's announcer lock, so
    /// that stop can end it (`announcer`), and any earlier announcer for the address is ended
    /// first.
    fn announce(&mut self, link: &Link, count: u32, foreground: u32) {
        let ip = self.p.ip;
        if count == 0 || link.mac.is_none() {
            return;
        }
        let path = announcer::path(&ip);
        let mut lock = match announcer::claim(&path, self.deadline()) {
            Ok(f) => Some(f),
            Err(e) => {
                log::warn(&format!(
                    "announcing {ip} without the announcer lock (stop cannot end it early): {e}"
                ));
                None
            }
        };
        let here = foreground.min(count);
        if here > 0 {
            if let Some(f) = &mut lock {
                let _ = announcer::record(f, std::process::id() as i32);
            }
            if !self.announce_rounds(link, here, false) || here == count {
                if let Some(f) = &lock {
                    announcer::release(f, &path);
                }
                return;
            }
            if let Some(f) = &lock {
                // Unnamed until the child is recorded: stop waits for the name.
                let _ = f.set_len(0);
            }
        }
        match crate::background() {
            Fork::Child => {
                if let Err(e) = self.sys.detach() {
                    log::warn(&format!("announcements for {ip} not sent: {e}"));
                } else {
                    self.announce_rounds(link, count - here, here > 0);
                }
                if let Some(f) = &lock {
                    announcer::release(f, &path);
                }
                crate::exit_now(0);
            }
            Fork::Parent(pid) => {
                if let Some(f) = &mut lock {
                    if let Err(e) = announcer::record(f, pid) {
                        // Unnamed, stop could not end it: end it now. It is our child and
                        // not yet reaped, so its process id cannot have been reused.
                        log::warn(&format!("announcements for {ip} cancelled: {e}"));
                        announcer::kill_child(pid);
                    }
                }
            }
            Fork::Failed => {
                log::warn(&format!(
                    "fork failed; sending one announcement for {ip} instead of {count}"
                ));
                if here == 0 {
                    self.announce_rounds(link, 1, false);
                }
                if let Some(f) = &lock {
                    announcer::release(f, &path);
                }
            }
        }
    }

    /// The announcements themselves. Before each send the kernel is asked whether the address
    /// is still on its interface (and usable): an announcer never sends for an address that
    /// has left.
    /// `pause_first`: wait `arp_interval` before the first (it continues earlier rounds).
    /// Returns whether the address was still there at the last check.
    fn announce_rounds(&mut self, link: &Link, count: u32, pause_first: bool) -> bool {
        let ip = self.p.ip;
        let name = link.name.as_str().to_owned();
        let interval = Duration::from_millis(u64::from(self.p.arp_interval_ms));
        if let Err(e) = self.sys.prepare_announce(link, &ip) {
            log::warn(&format!("announcements for {ip} not sent: {e}"));
            return false;
        }
        for i in 0..count {
            if i > 0 || pause_first {
                std::thread::sleep(interval);
            }
            match self.sys.addr(&ip, Some(link.index)) {
                Ok(Some(a)) if !a.duplicated && !a.tentative => {}
                Ok(_) => {
                    log::info(&format!(
                        "{ip} is no longer on {name}; its announcements end"
                    ));
                    return false;
                }
                Err(e) => {
                    log::warn(&format!(
                        "announcements for {ip} end: cannot check that it is on {name}: {e}"
                    ));
                    return false;
                }
            }
            if let Err(e) = self.sys.announce(link, &ip) {
                log::warn(&format!("announcement for {ip} failed: {e}"));
                return false;
            }
        }
        true
    }

    /// End any announcer for the address and wait until it has exited. Never fails: the
    /// announcer checks the address before each send, so one we could not end stops by
    /// itself once the address is gone.
    fn end_announcer(&mut self) {
        let path = announcer::path(&self.p.ip);
        if let Err(e) = announcer::end(&path, self.deadline()) {
            log::warn(&format!(
                "could not end the announcer for {}: {e}",
                self.p.ip
            ));
        }
    }

    pub fn stop(&mut self) -> outcome::Result {
        if !sys::is_root() {
            return Err(fail(Exit::ErrPerm, "stop must run as root"));
        }
        // First the announcer: once it has exited, nothing announces the address any more,
        // even if stop fails below.
        self.end_announcer();
        let r = self.remove();
        if r.is_ok() {
            // Once the address is off nic (or was never there): what start changed for LVS.
            if let (Some(label), IpAddr::V6(v6)) = (self.p.lvs_ipv6_addrlabel, self.p.ip) {
                match self.sys.addr_label(false, &v6, label) {
                    Ok(()) => log::info(&format!("removed the address label of {v6}/128")),
                    Err(e) if e.is(libc::ENOENT) || e.is(libc::ESRCH) => {}
                    Err(e) => log::warn(&format!("lvs_ipv6_addrlabel: {e}")),
                }
            }
            if self.p.lvs_support {
                self.restore_loopback();
            }
        }
        r
    }

    /// The loopback interface `lvs_support` works with.
    fn loopback(&mut self) -> outcome::Result<Option<Link>> {
        let name = if cfg!(target_os = "linux") {
            "lo"
        } else {
            "lo0"
        };
        let name =
            IfName::parse(name).map_err(|_| fail(Exit::ErrGeneric, "loopback interface name"))?;
        Ok(self.sys.link(LinkRef::Name(&name))?)
    }

    /// `lvs_support` at start: if the address is on the loopback interface (an LVS-DR real
    /// server's copy), record its prefix and take it off, so that stop can put it back.
    fn take_off_loopback(&mut self) -> outcome::Result<bool> {
        let ip = self.p.ip;
        let Some(lo) = self.loopback()? else {
            return Ok(false);
        };
        let Some(a) = self.sys.addr(&ip, Some(lo.index))? else {
            return Ok(false);
        };
        let path = announcer::lvs_path(&ip);
        let saved = announcer::ensure_dir(path.parent().unwrap_or(std::path::Path::new("/")))
            .and_then(|()| {
                std::fs::write(&path, format!("{}\n", a.prefix))
                    .map_err(|e| crate::policy::io_text(&e))
            });
        if let Err(e) = saved {
            return Err(fail(
                Exit::ErrGeneric,
                format!(
                    "lvs_support: cannot record {ip} on {} for stop to restore ({e}); nothing changed",
                    lo.name.as_str()
                ),
            ));
        }
        self.sys.del(&lo, &ip, a.prefix)?;
        log::info(&format!(
            "lvs_support: took {ip}/{} off {}; stop puts it back",
            a.prefix,
            lo.name.as_str()
        ));
        Ok(true)
    }

    /// `lvs_support` at stop: put back the loopback copy start took off. Never fails stop.
    fn restore_loopback(&mut self) {
        let ip = self.p.ip;
        let path = announcer::lvs_path(&ip);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let Some(prefix) = text.trim().parse::<u8>().ok().filter(|&p| p <= 32) else {
            log::warn(&format!(
                "lvs_support: {} is not a prefix length",
                path.display()
            ));
            let _ = std::fs::remove_file(&path);
            return;
        };
        let lo = match self.loopback() {
            Ok(Some(lo)) => lo,
            _ => {
                log::warn("lvs_support: no loopback interface to restore the address on");
                return;
            }
        };
        let mut p = self.p.clone();
        p.iflabel = None;
        p.broadcast = Broadcast::Auto;
        p.noprefixroute = false;
        p.metric = None;
        match self.sys.add(&lo, &p, prefix) {
            Ok(()) => log::info(&format!(
                "lvs_support: restored {ip}/{prefix} on {}",
                lo.name.as_str()
            )),
            Err(e) if e.is(libc::EEXIST) => {}
            Err(e) => {
                log::warn(&format!(
                    "lvs_support: cannot restore {ip}/{prefix} on {}: {e}",
                    lo.name.as_str()
                ));
                return;
            }
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Stop's removal of the address.
    fn remove(&mut self) -> outcome::Result {
        let ip = self.p.ip;
        let (link, a) = match self.locate()? {
            Place::Present { link, addr, .. } => (link, addr),
            Place::Absent => return Ok(Exit::Success),
            // A vanished interface means the address is gone too.
            Place::Gone(why) => return outcome::gone(Action::Stop, false, &ip, &why),
        };
        // Remove every instance of the address on its interface (Linux allows the same
        // address under several prefixes); bounded, so a kernel that keeps re-adding it gets
        // a clear failure rather than a loop.
        let mut next = Some(a);
        let mut rounds = 0;
        while let Some(a) = next {
            if rounds == 16 {
                return Err(fail(
                    Exit::ErrGeneric,
                    format!("{ip} is still on {} after removal", link.name.as_str()),
                ));
            }
            rounds += 1;
            match self.sys.del(&link, &ip, a.prefix) {
                Ok(()) => log::info(&format!(
                    "removed {ip}/{} from {}",
                    a.prefix,
                    link.name.as_str()
                )),
                Err(e) if e.is(libc::EADDRNOTAVAIL) || e.is(libc::ENODEV) || e.is(libc::ENXIO) => {}
                Err(e) => return Err(e.into()),
            }
            next = self.sys.addr(&ip, Some(link.index))?;
        }
        if self.p.flush_routes {
            if let Err(e) = self.sys.flush_route_cache() {
                log::warn(&format!("flush_routes: {e}"));
            }
        }
        if self.p.policy.is_some() {
            crate::policy::on_stop(self.p, self.ctx);
        }
        Ok(Exit::Success)
    }
}

/// What a failing start must take back.
#[derive(Default)]
struct Undo {
    label_added: bool,
    took_off_loopback: bool,
}

/// A hardware address as `02:00:5e:10:00:01`.
pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.map(|b| format!("{b:02x}")).join(":")
}

/// The IPv4 broadcast address to configure for `ip/prefix`.
pub fn broadcast_for(p: &Params, prefix: u8) -> Option<std::net::Ipv4Addr> {
    match (p.ip, p.broadcast) {
        (IpAddr::V4(v4), Broadcast::Auto) => addr::v4_broadcast(v4, prefix),
        (IpAddr::V4(_), Broadcast::Addr(b)) => Some(b),
        _ => None,
    }
}
