//! Test hosts in network namespaces, and the agent run as Pacemaker runs it: what the
//! integration tests (tests/) share, and the benchmark's lab (`cargo xtask bench`).
//!
//! Each [`Lab`] is a namespace `NAME` with a veth `v1` whose peer `v1p` sits in `NAMEp`, both
//! up; addresses come only from 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32. Dropping the
//! lab deletes both namespaces. The tests need root; they fail (never skip) without it.
//!
//! The programs under test are run, never linked: [`bin`] and [`ifaddrc::ifaddrc`] build them
//! with cargo, each on its own, as they are shipped.

pub mod capture;
pub mod ifaddrc;
mod wasm32;

pub use wasm32::{cargo_in, wasm32_build, WASM32};

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The agent under test: `ifaddr` of this workspace's debug build, made by `cargo build -p
/// ifaddr` once per test process (a no-op when it is current). Built as a package of its own,
/// cargo's feature unification cannot link the policy compiler's Cranelift into it; without
/// this crate's `policy` feature it is built without the policy runtime.
pub fn bin() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| {
        let features: &[&str] = if cfg!(feature = "policy") {
            &[]
        } else {
            &["--no-default-features"]
        };
        let exe = cargo_build("ifaddr", "ifaddr", features);
        exe.into_os_string()
            .into_string()
            .expect("a UTF-8 target path")
    })
}

/// `cargo build -p PACKAGE --bin BIN ARGS` in this workspace: the executable it made.
pub fn cargo_build(package: &str, bin: &str, args: &[&str]) -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args(["build", "-p", package, "--bin", bin])
        .args(args)
        .arg("--message-format=json")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("run cargo build -p {package}: {e}"));
    assert!(
        out.status.success(),
        "cargo build -p {package} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8_lossy(&out.stdout);
    let exe = json
        .split("\"executable\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("cargo names the {bin} executable"));
    PathBuf::from(exe)
}

static NEXT: AtomicU32 = AtomicU32::new(0);

pub fn sh(cmd: &str) -> Output {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
    out
}

/// Run a shell command: its output, or which command failed and what it said.
pub fn try_sh(cmd: &str) -> Result<String, String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "`{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Run a shell command that must succeed.
pub fn must(cmd: &str) -> String {
    try_sh(cmd).unwrap_or_else(|e| panic!("{e}"))
}

pub fn require_root() {
    // SAFETY-free check: `id -u` keeps the tests free of unsafe.
    let uid = must("id -u");
    assert_eq!(
        uid.trim(),
        "0",
        "the integration tests need root (network namespaces)"
    );
}

/// A namespace with v1 (192.0.2.1/24, 2001:db8::1/64) and its peer v1p (192.0.2.2/24,
/// 2001:db8::2/64) in a second namespace.
pub struct Lab {
    pub ns: String,
    pub peer: String,
}

/// What one agent run returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The `ocf-exit-reason:` lines.
    pub fn reasons(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("ocf-exit-reason:"))
            .collect()
    }

    pub fn reason(&self) -> &str {
        let r = self.reasons();
        assert_eq!(r.len(), 1, "expected one ocf-exit-reason line: {self:?}");
        r[0]
    }
}

impl Lab {
    /// A lab named for this process, `tag` and a counter.
    pub fn new(tag: &str) -> Lab {
        require_root();
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let ns = format!("ifa{}{}{}", std::process::id() % 100_000, tag, n);
        Lab::named(&ns).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A lab under a name of the caller's: namespaces `ns` and `{ns}p`.
    pub fn named(ns: &str) -> Result<Lab, String> {
        let peer = format!("{ns}p");
        let lab = Lab {
            ns: ns.to_owned(),
            peer,
        };
        let (a, b) = (&lab.ns, &lab.peer);
        try_sh(&format!(
            "ip netns add {a} && ip netns add {b} && \
             ip -n {a} link add v1 type veth peer name v1p netns {b} && \
             ip -n {a} link set lo up && ip -n {b} link set lo up && \
             ip netns exec {a} sysctl -qw net.ipv6.conf.v1.accept_dad=1 net.ipv6.conf.v1.dad_transmits=1 net.ipv6.conf.v1.accept_ra=0 && \
             ip -n {a} link set v1 up && ip -n {b} link set v1p up && \
             ip -n {a} addr add 192.0.2.1/24 dev v1 && ip -n {b} addr add 192.0.2.2/24 dev v1p && \
             ip -n {a} addr add 2001:db8::1/64 dev v1 nodad && ip -n {b} addr add 2001:db8::2/64 dev v1p nodad"
        ))?;
        Ok(lab)
    }

    /// Run `ifaddr ACTION` inside the namespace with exactly `env` (plus PATH).
    pub fn run(&self, action: &str, env: &[(&str, &str)]) -> Run {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns, bin(), action]);
        run_cmd(c, env)
    }

    /// Shell command inside the namespace.
    pub fn sh(&self, cmd: &str) -> String {
        must(&format!("ip netns exec {} sh -c '{}'", self.ns, cmd))
    }

    pub fn peer_sh(&self, cmd: &str) -> String {
        must(&format!("ip netns exec {} sh -c '{}'", self.peer, cmd))
    }

    /// Every address on `dev` as `ip -o addr` prints it: "inet 192.0.2.1/24 ... flags".
    pub fn addrs(&self, dev: &str) -> Vec<String> {
        let out = must(&format!("ip -n {} -o addr show dev {dev}", self.ns));
        // The kernel's own link-local address finishes its DAD whenever it does; it is not
        // the agent's business and would make snapshots flaky.
        let mut v: Vec<String> = out
            .lines()
            .filter(|l| !l.contains("inet6 fe80:"))
            .map(|l| {
                l.split_whitespace()
                    .skip(2)
                    .filter(|w| !w.starts_with('\\'))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        v.sort();
        v
    }

    /// The `addr/prefix` strings on `dev`.
    pub fn cidrs(&self, dev: &str) -> Vec<String> {
        self.addrs(dev)
            .iter()
            .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_owned())
            .collect()
    }

    pub fn has(&self, dev: &str, cidr: &str) -> bool {
        self.cidrs(dev).iter().any(|c| c == cidr)
    }
}

/// Run `c` with exactly `env` (plus PATH).
pub fn run_cmd(c: Command, env: &[(&str, &str)]) -> Run {
    run_env(c, env)
}

/// Run `c` with exactly `env` (plus PATH), whose names and values may be any bytes.
pub fn run_env<K: AsRef<OsStr>, V: AsRef<OsStr>>(mut c: Command, env: &[(K, V)]) -> Run {
    c.env_clear();
    c.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run agent");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = sh(&format!(
            "ip netns del {}; ip netns del {}",
            self.ns, self.peer
        ));
    }
}
