//! The real-cluster lab shared by `cargo xtask demo` and `cargo xtask e2e`.
//!
//! Layout (all of it lives in network namespaces made for the lab; only
//! 192.0.2.0/24 and 2001:db8::/64, the documentation ranges, are used):
//!
//! ```text
//!   lab-switch: bridge br0 ── node1 ── lab-node1: eth0 192.0.2.11  2001:db8::11
//!                          ── node2 ── lab-node2: eth0 192.0.2.12  2001:db8::12
//!                          ── node3 ── lab-node3: eth0 192.0.2.13  2001:db8::13
//!                          ── client ─ lab-client: eth0 192.0.2.100 2001:db8::100
//! ```
//!
//! Each node also has its own mount, UTS, IPC and PID namespaces: its first process
//! (`xtask/fixtures/cluster/node-init.sh`, PID 1 there) mounts private state directories, then
//! Corosync and Pacemaker are started inside with `nsenter`. Killing that first process
//! ends the whole node, which is how a node is "powered off" (after its cable, the
//! veth, is cut).
//!
//! Everything is removed by [`Lab`]'s `Drop` (on success, error, panic and Ctrl-C),
//! and leftovers of an earlier run that was killed are removed before a new lab is made.

use std::collections::HashSet;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{SocketAddr, UnixListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::util::{cargo, root, run, show};

/// The cluster nodes, as named in corosync.conf and by their hostnames.
pub const NODES: [&str; 3] = ["node1", "node2", "node3"];
pub const SWITCH: &str = "lab-switch";
const CLIENT: &str = "lab-client";
pub const BRIDGE: &str = "br0";

const COROSYNC_CONF: &str = include_str!("../fixtures/cluster/corosync.conf");
const CIB_XML: &str = include_str!("../fixtures/cluster/cib.xml");
const NODE_INIT: &str = include_str!("../fixtures/cluster/node-init.sh");

/// The network namespace of node `i` (0-based).
pub fn netns(i: usize) -> String {
    format!("lab-{}", NODES[i])
}

fn all_netns() -> Vec<String> {
    let mut v: Vec<String> = (0..NODES.len()).map(netns).collect();
    v.push(CLIENT.into());
    v.push(SWITCH.into());
    v
}

/// Where the lab keeps its files (configuration, node logs, the agent under test).
/// One place per machine, like the namespace names: there is one lab at a time.
pub fn lab_dir() -> PathBuf {
    PathBuf::from("/tmp/ifaddr-lab")
}

/// One lab at a time on a machine (the namespace names are fixed): held while a lab
/// is being made, used or removed. An abstract socket name, so that it goes away with
/// the process and leaves no file behind.
pub struct LabLock(#[allow(dead_code)] UnixListener);

pub fn lock_lab(say: &mut dyn FnMut(&str)) -> Result<LabLock, String> {
    let addr = SocketAddr::from_abstract_name(b"ifaddr-xtask-lab")
        .map_err(|e| format!("cannot make the lab lock's name: {e}"))?;
    let mut told = false;
    wait_for(
        "another lab run on this machine to finish",
        Duration::from_secs(20 * 60),
        Duration::from_millis(500),
        || match UnixListener::bind_addr(&addr) {
            Ok(l) => Ok(Some(LabLock(l))),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                if !told {
                    say("another `cargo xtask demo` or `e2e` is using the lab on this machine: waiting for it");
                    told = true;
                }
                Ok(None)
            }
            Err(e) => Err(format!("cannot take the lab lock: {e}")),
        },
    )
}

// ---------------------------------------------------------------------------------
// Address families and agents

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
    /// The floating address the cluster moves around.
    pub fn vip(self) -> &'static str {
        match self {
            Family::V4 => "192.0.2.200",
            Family::V6 => "2001:db8::200",
        }
    }
    pub fn prefix_len(self) -> u8 {
        match self {
            Family::V4 => 24,
            Family::V6 => 64,
        }
    }
    fn node_addr(self, i: usize) -> String {
        match self {
            Family::V4 => format!("192.0.2.{}", 11 + i),
            Family::V6 => format!("2001:db8::{}", 11 + i),
        }
    }
    fn client_addr(self) -> &'static str {
        match self {
            Family::V4 => "192.0.2.100",
            Family::V6 => "2001:db8::100",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agent {
    Ifaddr,
    Ipaddr2,
}

impl Agent {
    pub fn parse(s: &str) -> Result<Agent, String> {
        match s.to_ascii_lowercase().as_str() {
            "ifaddr" | "vip" | "ocf:ifaddr:vip" => Ok(Agent::Ifaddr),
            "ipaddr2" | "ocf:heartbeat:ipaddr2" => Ok(Agent::Ipaddr2),
            _ => Err(format!("unknown agent `{s}` (expected ifaddr or ipaddr2)")),
        }
    }
    /// The agent as Pacemaker names it.
    pub fn ocf(self) -> &'static str {
        match self {
            Agent::Ifaddr => "ocf:ifaddr:vip",
            Agent::Ipaddr2 => "ocf:heartbeat:IPaddr2",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Agent::Ifaddr => "ifaddr",
            Agent::Ipaddr2 => "IPaddr2",
        }
    }
}

// ---------------------------------------------------------------------------------
// Ctrl-C

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on, Ctrl-C (and SIGTERM, SIGHUP) only sets a flag: the lab's waits notice
/// it and return an error, and the [`Lab`] guard removes everything on the way out.
pub fn catch_interrupts() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

pub fn check_interrupt() -> Result<(), String> {
    if interrupted() {
        Err("interrupted by a signal (Ctrl-C?)".into())
    } else {
        Ok(())
    }
}

/// Sleep, but wake up for Ctrl-C.
pub fn pause(d: Duration) -> Result<(), String> {
    let end = Instant::now() + d;
    loop {
        check_interrupt()?;
        let now = Instant::now();
        if now >= end {
            return Ok(());
        }
        thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

/// Poll `f` every `every` until it returns `Some`, for at most `timeout`.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut f: impl FnMut() -> Result<Option<T>, String>,
) -> Result<T, String> {
    let end = Instant::now() + timeout;
    loop {
        check_interrupt()?;
        if let Some(v) = f()? {
            return Ok(v);
        }
        if Instant::now() >= end {
            return Err(format!(
                "timed out after {:.0?} waiting for {what}",
                timeout
            ));
        }
        pause(every)?;
    }
}

// ---------------------------------------------------------------------------------
// Commands

/// Run a command quietly; its standard output on success, an error that shows the
/// command and everything it printed otherwise.
pub fn output(cmd: &mut Command) -> Result<String, String> {
    let out = output_unchecked(cmd);
    check_interrupt()?;
    out
}

/// [`output`] that goes on after Ctrl-C (for tearing down).
fn output_unchecked(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", show(cmd)))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "{} failed ({}):\n{}{}",
            show(cmd),
            out.status,
            indent(&strip_ansi(&stdout)),
            indent(&strip_ansi(&stderr))
        ))
    }
}

/// Like [`output`], with standard error appended to standard output.
pub fn output_all(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", show(cmd)))?;
    check_interrupt()?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let text = strip_ansi(&text);
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "{} failed ({}):\n{}",
            show(cmd),
            out.status,
            indent(&text)
        ))
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    output(Command::new("ip").args(args)).map(drop)
}

/// Remove terminal colour sequences (crmsh prints them even into pipes).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Indent every line by four spaces (for command output under a progress line).
pub fn indent(s: &str) -> String {
    let mut out = String::new();
    for line in s.lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Seconds since the epoch, as ping's `-D` prints them.
pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

// ---------------------------------------------------------------------------------
// Prerequisites

/// Root, and the cluster stack: install it from Debian when missing (saying so first).
pub fn ensure_prerequisites() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("the lab needs root (network namespaces, mounts): run it as root".into());
    }
    let wanted: [(&str, &str); 9] = [
        ("crm", "crmsh"),
        // IPaddr2's run_arping (the CTS-like measurements' killed start) needs it.
        ("arping", "iputils-arping"),
        ("corosync", "corosync"),
        ("corosync-keygen", "corosync"),
        ("pacemakerd", "pacemaker"),
        ("ping", "iputils-ping"),
        ("ip", "iproute2"),
        ("unshare", "util-linux"),
        ("nsenter", "util-linux"),
    ];
    let mut missing: Vec<&str> = Vec::new();
    let mut packages: Vec<&str> = Vec::new();
    for (tool, package) in wanted {
        if find_tool(tool).is_none() {
            missing.push(tool);
            if !packages.contains(&package) {
                packages.push(package);
            }
        }
    }
    if !Path::new("/usr/lib/ocf/resource.d/heartbeat/IPaddr2").exists() {
        missing.push("ocf:heartbeat:IPaddr2");
        packages.push("resource-agents");
    }
    if packages.is_empty() {
        return Ok(());
    }
    // The cluster packages come together; ask for all of them when one is missing.
    if packages
        .iter()
        .any(|p| ["crmsh", "corosync", "pacemaker", "resource-agents"].contains(p))
    {
        for p in ["pacemaker", "corosync", "crmsh", "resource-agents"] {
            if !packages.contains(&p) {
                packages.push(p);
            }
        }
    }
    println!(
        "The lab needs {} which this machine lacks: installing the Debian packages {} with apt-get.",
        missing.join(", "),
        packages.join(" ")
    );
    crate::deps::apt(&packages)?;
    for tool in missing {
        if !tool.starts_with("ocf:") && find_tool(tool).is_none() {
            return Err(format!("`{tool}` is still missing after apt-get install"));
        }
    }
    Ok(())
}

/// A program in PATH or in the sbin directories (which a non-login PATH may lack).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    found
}

/// Build the agent under test and check that it answers `meta-data`.
/// Returns the binary to install as `ocf:ifaddr:vip`.
///
/// The release build by default; `IFADDR_LAB_PROFILE=debug` (what `cargo xtask ci` sets)
/// uses the debug build the tests already made, so CI does not link a second, optimized
/// wasmtime.
pub fn build_ifaddr() -> Result<PathBuf, String> {
    let debug = std::env::var("IFADDR_LAB_PROFILE").is_ok_and(|p| p == "debug");
    let mut cmd = cargo();
    cmd.args(["build", "-p", "ifaddr"]);
    // IFADDR_LAB_FEATURES=none: the agent without the policy engine (no wasmtime to build),
    // for scenarios that use no policy (`--migration`).
    if std::env::var("IFADDR_LAB_FEATURES").is_ok_and(|f| f == "none") {
        cmd.arg("--no-default-features");
    }
    if !debug {
        cmd.arg("--release");
    }
    run(&mut cmd).map_err(|e| {
        format!("{e}\nthe ifaddr agent does not build; `--agent ipaddr2` runs the lab with ocf:heartbeat:IPaddr2 instead")
    })?;
    let bin = root().join(if debug {
        "target/debug/ifaddr"
    } else {
        "target/release/ifaddr"
    });
    let out = Command::new(&bin)
        .arg("meta-data")
        .env("OCF_ROOT", "/usr/lib/ocf")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !text.contains("<resource-agent") {
        return Err(format!(
            "`{} meta-data` does not describe an OCF agent ({}):\n{}{}\n\
             `--agent ipaddr2` runs the lab with ocf:heartbeat:IPaddr2 instead",
            bin.display(),
            out.status,
            indent(&text),
            indent(&String::from_utf8_lossy(&out.stderr))
        ));
    }
    Ok(bin)
}

// ---------------------------------------------------------------------------------
// The lab

struct NodeProc {
    /// The node's first process, as the host sees it; `nsenter -t PID -a` enters the node.
    pid: u32,
    /// `unshare`, parent of `pid`.
    child: Child,
}

pub struct Lab {
    _lock: LabLock,
    dir: PathBuf,
    nodes: Vec<Option<NodeProc>>,
    keep: bool,
    torn_down: bool,
}

impl Lab {
    /// Make the lab: namespaces, bridge, cables, and the three nodes with Corosync and
    /// Pacemaker running. `agent` is the binary installed as `ocf:ifaddr:vip`, if any.
    /// `say` gets one line per stage.
    pub fn create(agent: Option<&Path>, say: &mut dyn FnMut(&str)) -> Result<Lab, String> {
        let lock = lock_lab(say)?;
        let dir = lab_dir();
        if leftovers_exist(&dir) {
            say("removing the leftovers of an earlier lab");
            let errors = teardown(&dir, &mut []);
            if !errors.is_empty() {
                return Err(format!(
                    "cannot remove the earlier lab:\n{}",
                    errors.join("\n")
                ));
            }
        }
        let mut lab = Lab {
            _lock: lock,
            dir: dir.clone(),
            nodes: (0..NODES.len()).map(|_| None).collect(),
            keep: false,
            torn_down: false,
        };
        lab.write_files(agent)?;
        lab.make_network()?;
        say(&format!(
            "network: bridge {BRIDGE} in netns {SWITCH}, {} and {CLIENT} cabled to it",
            (0..NODES.len()).map(netns).collect::<Vec<_>>().join(", ")
        ));
        for (i, node) in NODES.iter().enumerate() {
            lab.start_node(i)?;
            say(&format!(
                "{node}: own netns, mount, uts, ipc and pid namespaces; corosync and pacemakerd started (nsenter -t {} -a)",
                lab.pid(i)?
            ));
        }
        Ok(lab)
    }

    fn write_files(&self, agent: Option<&Path>) -> Result<(), String> {
        let d = &self.dir;
        let err = |what: &str, e: std::io::Error| format!("cannot write {what}: {e}");
        fs::create_dir_all(d.join("agent")).map_err(|e| err("the lab directory", e))?;
        // Remember whether `ip netns` has to create its own /run/netns mount, so that
        // teardown can remove it again.
        let state = match (
            Path::new("/run/netns").exists(),
            is_mountpoint("/run/netns"),
        ) {
            (false, _) => "made-dir\n",
            (true, false) => "made-mount\n",
            (true, true) => "existed\n",
        };
        let marker = d.join("run-netns");
        if !marker.exists() {
            fs::write(&marker, state).map_err(|e| err("run-netns", e))?;
        }
        fs::write(d.join("corosync.conf"), COROSYNC_CONF).map_err(|e| err("corosync.conf", e))?;
        fs::write(d.join("cib.xml"), CIB_XML).map_err(|e| err("cib.xml", e))?;
        fs::write(d.join("node-init.sh"), NODE_INIT).map_err(|e| err("node-init.sh", e))?;
        let mut key = vec![0u8; 256];
        fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut key))
            .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
        fs::write(d.join("authkey"), key).map_err(|e| err("authkey", e))?;
        fs::set_permissions(d.join("authkey"), fs::Permissions::from_mode(0o400))
            .map_err(|e| err("authkey", e))?;
        if let Some(bin) = agent {
            let dest = d.join("agent").join("vip");
            fs::copy(bin, &dest).map_err(|e| err("the agent", e))?;
            fs::set_permissions(&dest, fs::Permissions::from_mode(0o755))
                .map_err(|e| err("the agent", e))?;
        }
        Ok(())
    }

    fn make_network(&self) -> Result<(), String> {
        for ns in all_netns() {
            ip(&["netns", "add", &ns])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        }
        // No IPv6 on the switch itself: it is a plain L2 bridge.
        output(Command::new("ip").args([
            "netns",
            "exec",
            SWITCH,
            "sysctl",
            "-qw",
            "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1",
        ]))?;
        ip(&["-n", SWITCH, "link", "add", BRIDGE, "type", "bridge"])?;
        ip(&["-n", SWITCH, "link", "set", BRIDGE, "up"])?;
        for (i, node) in NODES.iter().enumerate() {
            self.plug(
                &netns(i),
                node,
                &[Family::V4.node_addr(i), Family::V6.node_addr(i)],
            )?;
        }
        self.plug(
            CLIENT,
            "client",
            &[
                Family::V4.client_addr().into(),
                Family::V6.client_addr().into(),
            ],
        )?;
        Ok(())
    }

    /// Cable a namespace to the bridge: veth `port` on the switch, `eth0` inside.
    fn plug(&self, ns: &str, port: &str, addrs: &[String]) -> Result<(), String> {
        ip(&[
            "-n", SWITCH, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns,
        ])?;
        ip(&["-n", SWITCH, "link", "set", port, "master", BRIDGE, "up"])?;
        for a in addrs {
            let plen = if a.contains(':') { "64" } else { "24" };
            let cidr = format!("{a}/{plen}");
            let mut args = vec!["-n", ns, "addr", "add", &cidr, "dev", "eth0"];
            if a.contains(':') {
                args.push("nodad");
            }
            ip(&args)?;
        }
        ip(&["-n", ns, "link", "set", "eth0", "up"])
    }

    /// Start node `i`: its namespaces and first process, then corosync and pacemakerd.
    fn start_node(&mut self, i: usize) -> Result<(), String> {
        let name = NODES[i];
        let ndir = self.dir.join(name);
        fs::create_dir_all(&ndir).map_err(|e| format!("cannot create {}: {e}", ndir.display()))?;
        let ready = ndir.join("ready");
        let _ = fs::remove_file(&ready);
        let log_path = ndir.join("init.log");
        let log =
            fs::File::create(&log_path).map_err(|e| format!("cannot create init.log: {e}"))?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &netns(i)])
            .args(["unshare", "--mount", "--uts", "--ipc", "--pid", "--fork"])
            .args([
                "--mount-proc",
                "--kill-child",
                "--propagation",
                "private",
                "sh",
            ])
            .arg(self.dir.join("node-init.sh"))
            .arg(name)
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        // A session of its own: Ctrl-C (or a closed terminal) is for xtask, which then
        // tears the lab down; with --keep the nodes outlive xtask.
        // SAFETY: setsid is async-signal-safe and touches no memory.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", show(&cmd)))?;
        let started = wait_for(
            &format!("{name} to set up its namespaces"),
            Duration::from_secs(15),
            Duration::from_millis(20),
            || {
                if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                    return Err(format!(
                        "{name}: its first process exited ({status}):\n{}",
                        indent(&fs::read_to_string(&log_path).unwrap_or_default())
                    ));
                }
                Ok(ready.exists().then_some(()))
            },
        );
        let pid = started.and_then(|()| first_child(child.id()));
        let pid = match pid {
            Ok(p) => p,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let _ = fs::write(ndir.join("pid"), format!("{pid}\n"));
        self.nodes[i] = Some(NodeProc { pid, child });
        output_all(self.node_cmd(i, "sh")?.args([
            "-c",
            "corosync </dev/null >/var/log/corosync/corosync.out 2>&1",
        ]))
        .map_err(|e| {
            format!(
                "{name}: corosync does not start: {e}\n{}",
                self.diagnostics()
            )
        })?;
        // pacemakerd stays in the foreground: start it in the background of a shell that
        // exits, so that it belongs to the node's PID 1 and nothing here waits for it.
        output_all(self.node_cmd(i, "sh")?.args([
            "-c",
            "pacemakerd </dev/null >/var/log/pacemaker/pacemakerd.out 2>&1 &",
        ]))
        .map_err(|e| format!("{name}: pacemakerd does not start: {e}"))?;
        Ok(())
    }

    /// The host PID of node `i`'s first process (for `nsenter -t PID -a`).
    pub fn pid(&self, i: usize) -> Result<u32, String> {
        self.nodes[i]
            .as_ref()
            .map(|n| n.pid)
            .ok_or_else(|| format!("{} is powered off", NODES[i]))
    }

    pub fn is_up(&self, i: usize) -> bool {
        self.nodes[i].is_some()
    }

    /// A command that runs inside node `i` (all its namespaces).
    pub fn node_cmd(&self, i: usize, program: &str) -> Result<Command, String> {
        let mut c = Command::new("nsenter");
        c.args(["-t", &self.pid(i)?.to_string(), "-a", program]);
        Ok(c)
    }

    /// `crm ARGS` on node `i`; its output (colours removed), or an error with it.
    pub fn crm(&self, i: usize, args: &[&str]) -> Result<String, String> {
        output_all(self.node_cmd(i, "crm")?.args(args))
    }

    /// The first node that is up (to run cluster-wide commands on).
    pub fn any_up(&self) -> Result<usize, String> {
        (0..NODES.len())
            .find(|&i| self.is_up(i))
            .ok_or_else(|| "no node is up".into())
    }

    /// Nodes that node `i` sees online, and whether it knows a DC.
    pub fn membership(&self, i: usize) -> Result<(Vec<usize>, bool), String> {
        let xml = output(self.node_cmd(i, "crm_mon")?.args(["-1", "--output-as=xml"]))?;
        let mut online = Vec::new();
        for tag in xml.split('<').filter(|t| t.starts_with("node ")) {
            if tag.contains("online=\"true\"") {
                if let Some(n) = NODES
                    .iter()
                    .position(|n| tag.contains(&format!("name=\"{n}\"")))
                {
                    online.push(n);
                }
            }
        }
        let dc = xml.contains("<current_dc present=\"true\"");
        Ok((online, dc))
    }

    /// Wait until every node that is up sees exactly the nodes that are up, with a DC.
    pub fn wait_online(&self, timeout: Duration) -> Result<(), String> {
        let up: Vec<usize> = (0..NODES.len()).filter(|&i| self.is_up(i)).collect();
        wait_for(
            "the cluster to see every running node online",
            timeout,
            Duration::from_millis(300),
            || {
                for &i in &up {
                    match self.membership(i) {
                        Ok((online, true)) if online == up => {}
                        _ => return Ok(None),
                    }
                }
                Ok(Some(()))
            },
        )
        .map_err(|e| format!("{e}\n{}", self.diagnostics()))
    }

    /// Which nodes have `vip` on an interface right now (from the kernel, not Pacemaker).
    pub fn holders(&self, vip: &str) -> Vec<usize> {
        holders(vip)
    }

    /// `ping -c COUNT VIP` from the client; its output.
    pub fn client_ping(&self, vip: &str, count: u32) -> Result<String, String> {
        output_all(Command::new("ip").args([
            "netns",
            "exec",
            CLIENT,
            "ping",
            "-n",
            "-c",
            &count.to_string(),
            "-i",
            "0.2",
            "-W",
            "1",
            vip,
        ]))
    }

    /// Whether the client gets an answer from `vip` within a few seconds.
    pub fn client_reaches(&self, vip: &str) -> Result<(), String> {
        wait_for(
            &format!("the client to reach {vip}"),
            Duration::from_secs(8),
            Duration::from_millis(100),
            || Ok(self.client_ping(vip, 1).ok().map(drop)),
        )
    }

    /// Cut node `i`'s cable and kill everything running on it.
    pub fn power_off(&mut self, i: usize) -> Result<(), String> {
        ip(&["-n", SWITCH, "link", "del", NODES[i]])?;
        if let Some(mut n) = self.nodes[i].take() {
            kill_netns_processes(&[netns(i)]);
            let _ = n.child.kill();
            let _ = n.child.wait();
        }
        Ok(())
    }

    /// Reconnect node `i` and boot it again (fresh state, as after a reboot).
    pub fn power_on(&mut self, i: usize) -> Result<(), String> {
        if self.is_up(i) {
            return Ok(());
        }
        self.plug(
            &netns(i),
            NODES[i],
            &[Family::V4.node_addr(i), Family::V6.node_addr(i)],
        )?;
        self.start_node(i)
    }

    /// Start watching `vip` from the client (fast ping) and on the nodes (who holds it).
    pub fn watch(&self, vip: &str) -> Result<Watch, String> {
        let prober = Prober::start(vip)?;
        let sampler = Sampler::start(vip);
        // Let the first replies and samples come in before anything happens.
        pause(Duration::from_millis(300))?;
        Ok(Watch { prober, sampler })
    }

    /// The last lines of each node's logs, for error messages (none after Ctrl-C).
    pub fn diagnostics(&self) -> String {
        if interrupted() {
            return String::new();
        }
        let mut out = String::from("last log lines of the nodes:\n");
        for n in NODES {
            for log in [
                "log/pacemaker/pacemaker.log",
                "log/corosync/corosync.log",
                "init.log",
            ] {
                let p = self.dir.join(n).join(log);
                if let Ok(text) = fs::read_to_string(&p) {
                    let lines: Vec<&str> = text.lines().collect();
                    let tail = &lines[lines.len().saturating_sub(8)..];
                    out.push_str(&format!("  {n} {log}:\n"));
                    for l in tail {
                        out.push_str(&format!("    {l}\n"));
                    }
                }
            }
        }
        out
    }

    /// Leave the lab running when this guard is dropped.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// Remove the lab now (the guard's drop does the same).
    pub fn teardown(&mut self) -> Result<(), String> {
        if self.torn_down {
            return Ok(());
        }
        self.torn_down = true;
        let errors = teardown(&self.dir, &mut self.nodes);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "the lab was not removed completely:\n{}",
                errors.join("\n")
            ))
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if self.torn_down {
            return;
        }
        if self.keep && !interrupted() {
            // The nodes' `unshare` processes go on without us; they are re-parented.
            return;
        }
        eprintln!("removing the lab (namespaces, processes, files)...");
        if let Err(e) = self.teardown() {
            eprintln!("{e}");
        }
    }
}

/// How to enter the nodes of a running lab: one line per node that is up.
pub fn access_lines() -> Vec<String> {
    let dir = lab_dir();
    let mut lines = Vec::new();
    for node in NODES {
        let Some(pid) = fs::read_to_string(dir.join(node).join("pid"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            lines.push(format!(
                "{node}: shell `nsenter -t {pid} -a bash`, cluster status `nsenter -t {pid} -a crm status`"
            ));
        }
    }
    lines.push(format!(
        "client: `ip netns exec {CLIENT} ping 192.0.2.200` (or 2001:db8::200)"
    ));
    lines.push(format!("logs: {}/NODE/log/", dir.display()));
    lines.push("remove the lab: `cargo xtask demo --down`".into());
    lines
}

/// Whether a lab (or part of one) exists: namespaces or its directory.
pub fn leftovers_exist(dir: &Path) -> bool {
    dir.exists()
        || all_netns()
            .iter()
            .any(|ns| Path::new("/run/netns").join(ns).exists())
}

/// Remove a lab that an earlier `--keep` (or a killed run) left behind.
pub fn remove_leftovers() -> Result<bool, String> {
    let _lock = lock_lab(&mut |line| println!("{line}"))?;
    let dir = lab_dir();
    if !leftovers_exist(&dir) {
        return Ok(false);
    }
    let errors = teardown(&dir, &mut []);
    if errors.is_empty() {
        Ok(true)
    } else {
        Err(format!(
            "the lab was not removed completely:\n{}",
            errors.join("\n")
        ))
    }
}

/// Kill every process of the lab, delete its namespaces and files. Best effort:
/// goes on after errors and returns them.
fn teardown(dir: &Path, nodes: &mut [Option<NodeProc>]) -> Vec<String> {
    let mut errors = Vec::new();
    let names: Vec<String> = all_netns()
        .into_iter()
        .filter(|ns| Path::new("/run/netns").join(ns).exists())
        .collect();
    if !kill_netns_processes(&names) {
        errors.push("some lab processes did not die".into());
    }
    for n in nodes.iter_mut() {
        if let Some(mut n) = n.take() {
            let _ = n.child.kill();
            let _ = n.child.wait();
        }
    }
    for ns in &names {
        if let Err(e) = output_unchecked(Command::new("ip").args(["netns", "del", ns])) {
            errors.push(e);
        }
    }
    let run_netns_state = fs::read_to_string(dir.join("run-netns")).unwrap_or_default();
    if dir.exists() {
        if let Err(e) = fs::remove_dir_all(dir) {
            errors.push(format!("cannot remove {}: {e}", dir.display()));
        }
    }
    // `ip netns add` made /run/netns a mount point; undo that if it was us and nobody
    // else has a namespace there now.
    let run_netns = Path::new("/run/netns");
    let empty = fs::read_dir(run_netns)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    let state = run_netns_state.trim();
    if empty && (state == "made-dir" || state == "made-mount") {
        if is_mountpoint("/run/netns") {
            if let Err(e) = output_unchecked(Command::new("umount").arg(run_netns)) {
                errors.push(e);
            }
        }
        if state == "made-dir" {
            let _ = fs::remove_dir(run_netns);
        }
    }
    errors
}

fn is_mountpoint(path: &str) -> bool {
    fs::read_to_string("/proc/self/mountinfo")
        .map(|m| m.lines().any(|l| l.split(' ').nth(4) == Some(path)))
        .unwrap_or(false)
}

/// SIGKILL every process whose network namespace is one of `names` (under /run/netns),
/// until none is left. Whether they are all gone.
fn kill_netns_processes(names: &[String]) -> bool {
    let inodes: HashSet<u64> = names
        .iter()
        .filter_map(|ns| fs::metadata(Path::new("/run/netns").join(ns)).ok())
        .map(|m| m.ino())
        .collect();
    if inodes.is_empty() {
        return true;
    }
    let me = std::process::id();
    for _ in 0..100 {
        let pids = pids_in_netns(&inodes, me);
        if pids.is_empty() {
            return true;
        }
        for pid in pids {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

fn pids_in_netns(inodes: &HashSet<u64>, me: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return pids;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(link) = fs::read_link(e.path().join("ns/net")) else {
            continue;
        };
        let link = link.to_string_lossy();
        let ino = link
            .strip_prefix("net:[")
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.parse::<u64>().ok());
        if ino.is_some_and(|i| inodes.contains(&i)) {
            // Zombies are already dead; they go when their parent reaps them.
            let state = fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let zombie = state
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            if !zombie {
                pids.push(pid);
            }
        }
    }
    pids
}

/// The single child of process `pid` (unshare's forked child: the node's PID 1).
fn first_child(pid: u32) -> Result<u32, String> {
    let path = format!("/proc/{pid}/task/{pid}/children");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    text.split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("process {pid} has no child"))
}

fn holders(vip: &str) -> Vec<usize> {
    let needle = format!(" {vip}/");
    // Ask all nodes at once, so that one round is (nearly) one instant: asked one after
    // the other, an address moving from node1 to node2 between the two questions would
    // look held twice.
    let children: Vec<(usize, Option<Child>)> = (0..NODES.len())
        .map(|i| {
            let c = Command::new("ip")
                .args(["-n", &netns(i), "-o", "addr", "show"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok();
            (i, c)
        })
        .collect();
    children
        .into_iter()
        .filter_map(|(i, c)| {
            let out = c?.wait_with_output().ok()?;
            String::from_utf8_lossy(&out.stdout)
                .contains(&needle)
                .then_some(i)
        })
        .collect()
}

/// Node names, e.g. "node1, node3", or "nobody".
pub fn names(nodes: &[usize]) -> String {
    if nodes.is_empty() {
        "nobody".into()
    } else {
        nodes
            .iter()
            .map(|&i| NODES[i])
            .collect::<Vec<_>>()
            .join(", ")
    }
}

// ---------------------------------------------------------------------------------
// Watching a transition: the client's view and the nodes' view

/// A fast ping from the client (every 10 ms, with receive timestamps).
struct Prober {
    child: Child,
    reader: Option<JoinHandle<()>>,
    /// Receive times of the answers so far (seconds since the epoch).
    replies: Arc<Mutex<Vec<f64>>>,
    start: f64,
}

impl Drop for Prober {
    fn drop(&mut self) {
        // Stopped already, or dropped on the way out after an error.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prober {
    fn start(vip: &str) -> Result<Prober, String> {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns", "exec", CLIENT, "ping", "-D", "-n", "-i", "0.01", vip,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
        let start = now_secs();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", show(&cmd)))?;
        let stdout = child.stdout.take().expect("piped");
        let replies = Arc::new(Mutex::new(Vec::new()));
        let sink = replies.clone();
        let reader = thread::spawn(move || {
            // ping writes a line per answer as it comes, e.g.
            // [1700000000.123456] 64 bytes from 192.0.2.200: icmp_seq=1 ttl=64 time=0.1 ms
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains(" bytes from ") {
                    if let Some(t) = line
                        .strip_prefix('[')
                        .and_then(|l| l.split(']').next())
                        .and_then(|t| t.parse::<f64>().ok())
                    {
                        sink.lock().unwrap_or_else(|e| e.into_inner()).push(t);
                    }
                }
            }
        });
        Ok(Prober {
            child,
            reader: Some(reader),
            replies,
            start,
        })
    }

    /// The time of the latest answer, if any.
    fn last_reply(&self) -> Option<f64> {
        self.replies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last()
            .copied()
    }

    fn stop(mut self) -> Probe {
        let end = now_secs();
        // SIGINT: ping flushes its output and exits.
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let replies = std::mem::take(&mut *self.replies.lock().unwrap_or_else(|e| e.into_inner()));
        Probe {
            replies,
            start: self.start,
            end,
        }
    }
}

/// What the client saw.
pub struct Probe {
    pub replies: Vec<f64>,
    pub start: f64,
    pub end: f64,
}

impl Probe {
    /// The longest time without an answer, in milliseconds, and when it began.
    /// An error if the client got nothing, or no longer gets answers at the end.
    pub fn outage_ms(&self) -> Result<f64, String> {
        let (Some(&first), Some(&last)) = (self.replies.first(), self.replies.last()) else {
            return Err("the client got no answer at all".into());
        };
        if self.end - last > 0.5 {
            return Err(format!(
                "the client has had no answer for the last {:.0} ms",
                (self.end - last) * 1000.0
            ));
        }
        let mut worst = (first - self.start).max(0.0);
        for w in self.replies.windows(2) {
            worst = worst.max(w[1] - w[0]);
        }
        Ok(worst * 1000.0)
    }
}

/// Samples which nodes hold the address, as fast as `ip` allows.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Samples>>,
}

impl Drop for Sampler {
    fn drop(&mut self) {
        // Also on the way out after an error: no sampling during teardown.
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the nodes showed during a transition.
pub struct Samples {
    /// How many times all nodes were looked at.
    pub rounds: usize,
    /// The most nodes seen holding the address in two consecutive rounds, and which: each of
    /// them held it throughout the time between the rounds. (One round alone cannot tell: it
    /// asks the nodes a few milliseconds apart, more on a loaded machine, and an address that
    /// moves from one to the other in between looks held by both.)
    pub most: Vec<usize>,
    /// Every change: seconds since the start, and who held the address from then on.
    pub changes: Vec<(f64, Vec<usize>)>,
    /// When sampling started (seconds since the epoch, as the client's reply times).
    pub start: f64,
}

impl Samples {
    /// The holders, in order, e.g. "node1 -> nobody -> node3".
    pub fn story(&self) -> String {
        self.changes
            .iter()
            .map(|(_, h)| names(h))
            .collect::<Vec<_>>()
            .join(" -> ")
    }
}

impl Sampler {
    fn start(vip: &str) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let vip = vip.to_string();
        let thread = thread::spawn(move || {
            let t0 = Instant::now();
            let mut s = Samples {
                rounds: 0,
                most: Vec::new(),
                changes: Vec::new(),
                start: now_secs(),
            };
            let mut prev: Vec<usize> = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                let h = holders(&vip);
                s.rounds += 1;
                let both: Vec<usize> = h.iter().copied().filter(|i| prev.contains(i)).collect();
                if both.len() > s.most.len() {
                    s.most = both;
                }
                if s.changes.last().map(|(_, last)| last != &h).unwrap_or(true) {
                    s.changes.push((t0.elapsed().as_secs_f64(), h.clone()));
                }
                prev = h;
            }
            s
        });
        Sampler {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> Samples {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or(Samples {
                rounds: 0,
                most: Vec::new(),
                changes: Vec::new(),
                start: now_secs(),
            })
    }
}

/// A transition being watched from the client and on the nodes.
pub struct Watch {
    prober: Prober,
    sampler: Sampler,
}

impl Watch {
    /// Wait until the client gets answers again: one received now or later, and
    /// answers still coming `settle` after it. Call once the address is in place.
    pub fn wait_answers(&self, timeout: Duration, settle: Duration) -> Result<(), String> {
        let since = now_secs();
        wait_for(
            "the client to get answers again",
            timeout,
            Duration::from_millis(10),
            || Ok(self.prober.last_reply().filter(|&t| t >= since).map(drop)),
        )?;
        pause(settle)?;
        match self.prober.last_reply() {
            Some(t) if now_secs() - t < 0.5 => Ok(()),
            _ => Err("the client got an answer, then none again".into()),
        }
    }

    pub fn finish(self) -> (Probe, Samples) {
        let samples = self.sampler.stop();
        let probe = self.prober.stop();
        (probe, samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_is_the_longest_gap_between_answers() {
        let p = Probe {
            replies: vec![10.00, 10.01, 10.02, 10.52, 10.53],
            start: 9.995,
            end: 10.6,
        };
        let ms = p.outage_ms().unwrap();
        assert!((ms - 500.0).abs() < 0.5, "{ms}");
    }

    #[test]
    fn no_answer_at_the_end_is_an_error() {
        let p = Probe {
            replies: vec![10.0, 10.01],
            start: 10.0,
            end: 12.0,
        };
        assert!(p
            .outage_ms()
            .unwrap_err()
            .contains("no answer for the last"));
        let none = Probe {
            replies: vec![],
            start: 10.0,
            end: 12.0,
        };
        assert!(none.outage_ms().is_err());
    }

    #[test]
    fn colours_are_stripped() {
        assert_eq!(
            strip_ansi("\u{1b}[33mWARNING\u{1b}[0m: blind faith"),
            "WARNING: blind faith"
        );
    }

    #[test]
    fn names_and_agents() {
        assert_eq!(names(&[]), "nobody");
        assert_eq!(names(&[0, 2]), "node1, node3");
        assert_eq!(Agent::parse("IPaddr2").unwrap(), Agent::Ipaddr2);
        assert_eq!(Agent::parse("ifaddr").unwrap().ocf(), "ocf:ifaddr:vip");
        assert!(Agent::parse("carp").is_err());
        assert_eq!(netns(1), "lab-node2");
    }

    #[test]
    fn lab_uses_documentation_addresses_only() {
        for f in [Family::V4, Family::V6] {
            for a in (0..NODES.len())
                .map(|i| f.node_addr(i))
                .chain([f.client_addr().to_string(), f.vip().to_string()])
            {
                assert!(
                    a.starts_with("192.0.2.") || a.starts_with("2001:db8::"),
                    "{a}"
                );
            }
        }
        assert!(COROSYNC_CONF
            .lines()
            .filter(|l| l.contains("ring0_addr"))
            .all(|l| l.contains("192.0.2.")));
    }
}
