//! Issue 4, WebAssembly health policies, on a real kernel: the three example policies
//! (built from policies/ for wasm32) change the monitor's verdict when the veth peer goes
//! down or the interface's error counters grow; the state blob survives between monitors;
//! misbehaving modules get their documented outcome within a time bound, through the binary.
//!
//! Error counters: a VXLAN device whose remote has no route counts every frame it cannot
//! send in `tx_errors` (the kernel's vxlan_xmit error path), so broadcast pings out of it
//! raise the error counter at will.
//!
//! Modules are compiled by `ifaddrc`, as on a node; the agent only loads their artifacts.
//! `cargo test -p ifaddr-tests --test policy`, as root (the default build, with the policy
//! runtime).
#![cfg(feature = "policy")]

use ifaddr_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Build the example policies (as `cargo xtask policies` does) once per test run, and return
/// the directory holding `policy_*.wasm`.
fn wasm_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .join("policies");
        let out = wasm32_build(&ws).output().expect("run cargo for policies/");
        assert!(
            out.status.success(),
            "building policies/ failed (see DEVELOPERS.md, Building policies):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ws.join("target").join(WASM32).join("release")
    })
}

/// Per-test state and cache directories, removed on drop.
struct Dirs {
    root: PathBuf,
}

impl Dirs {
    fn new(tag: &str) -> Dirs {
        let root = std::env::temp_dir().join(format!("ifaddr-ptest-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Dirs { root }
    }
    fn rsctmp(&self) -> String {
        self.root.join("rsc").to_str().unwrap().to_owned()
    }
    fn cache(&self) -> String {
        self.root.join("cache").to_str().unwrap().to_owned()
    }
    fn state_file(&self, instance: &str) -> PathBuf {
        self.root
            .join(format!("rsc/ifaddr/policy-{instance}.state"))
    }
    /// Write a policy module with mode 0644 and return its path.
    fn module(&self, name: &str, bytes: &[u8]) -> String {
        use std::os::unix::fs::PermissionsExt;
        let p = self.root.join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        p.to_str().unwrap().to_owned()
    }
    /// `ifaddrc compile` the module at `path` into this cache, as root does on a node.
    fn compiled(&self, path: String) -> String {
        if let Err(e) = ifaddrc::compile(Path::new(&path), Path::new(&self.cache())) {
            panic!("ifaddrc compile {path}: {e}");
        }
        path
    }
}

impl Drop for Dirs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn example(name: &str) -> String {
    wasm_dir()
        .join(format!("policy_{name}.wasm"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The environment of one resource with a policy, as Pacemaker would pass it (OCF 1.1).
fn env<'a>(d: &'a Dirs, extra: &[(&'a str, &'a str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        ("OCF_RA_VERSION_MAJOR".into(), "1".into()),
        ("OCF_RA_VERSION_MINOR".into(), "1".into()),
        ("OCF_RESKEY_CRM_meta_interval".into(), "10000".into()),
        ("OCF_RESKEY_arp_count".into(), "0".into()),
        ("HA_RSCTMP".into(), d.rsctmp()),
        ("IFADDR_CACHE_DIR".into(), d.cache()),
    ];
    for (k, val) in extra {
        v.retain(|(k2, _)| k2 != k);
        v.push(((*k).into(), (*val).into()));
    }
    v
}

fn run(lab: &Lab, action: &str, e: &[(String, String)]) -> Run {
    let kv: Vec<(&str, &str)> = e.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    lab.run(action, &kv)
}

/// Wait until `v1` in the lab namespace has (or has lost) carrier.
fn wait_carrier(lab: &Lab, want: bool) {
    let t = Instant::now();
    loop {
        let out = must(&format!("ip -n {} link show v1", lab.ns));
        let has = out.contains("LOWER_UP") && !out.contains("NO-CARRIER");
        if has == want {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "carrier never became {want}: {out}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn peer_link(lab: &Lab, up: bool) {
    must(&format!(
        "ip -n {} link set v1p {}",
        lab.peer,
        if up { "up" } else { "down" }
    ));
    wait_carrier(lab, up);
}

#[test]
fn strict_follows_the_peer() {
    let lab = Lab::new("ps");
    let d = Dirs::new("strict");
    let policy = d.compiled(example("strict"));
    let e = env(
        &d,
        &[
            ("OCF_RESKEY_ip", "192.0.2.60"),
            ("OCF_RESKEY_cidr_netmask", "24"),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESOURCE_INSTANCE", "strict"),
            ("OCF_RESKEY_policy", &policy),
        ],
    );
    let r = run(&lab, "validate-all", &e);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&lab, "start", &e);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 0, "{r:?}");
    peer_link(&lab, false);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.reason(),
        "policy policy_strict.wasm: failed (no-carrier): interface has no carrier"
    );
    peer_link(&lab, true);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 0, "{r:?}");
    // Our own side down: the agent's builtin check and the policy agree.
    must(&format!("ip -n {} link set v1 down", lab.ns));
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains("failed (link-down)"), "{r:?}");
    must(&format!("ip -n {} link set v1 up", lab.ns));
    wait_carrier(&lab, true);
    // An absent address is not running, without asking the policy.
    must(&format!("ip -n {} addr del 192.0.2.60/24 dev v1", lab.ns));
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 7, "{r:?}");
    assert_eq!(run(&lab, "stop", &e).code, 0);
}

/// ABI 1.1: a depth-20 monitor hands the split-brain check to the policy; `strict` fails
/// on another host answering for the address and names its MAC. At depth 0 nothing is
/// probed, so the policy sees no conflict.
#[test]
fn strict_fails_on_split_brain() {
    let lab = Lab::new("pb");
    let d = Dirs::new("splitbrain");
    let policy = d.compiled(example("strict"));
    let mut e = env(
        &d,
        &[
            ("OCF_RESKEY_ip", "192.0.2.61"),
            ("OCF_RESKEY_cidr_netmask", "24"),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESOURCE_INSTANCE", "splitbrain"),
            ("OCF_RESKEY_policy", &policy),
            ("OCF_CHECK_LEVEL", "20"),
        ],
    );
    assert_eq!(run(&lab, "start", &e).code, 0);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 0, "{r:?}");
    let peer_mac = lab
        .peer_sh("cat /sys/class/net/v1p/address")
        .trim()
        .to_owned();
    lab.peer_sh("ip addr add 192.0.2.61/24 dev v1p");
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.reason(),
        format!(
            "policy policy_strict.wasm: failed (address-conflict): split brain: {peer_mac} also answers for the address"
        )
    );
    e.retain(|(k, _)| k != "OCF_CHECK_LEVEL");
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 0, "depth 0 does not look: {r:?}");
    assert_eq!(run(&lab, "stop", &e).code, 0);
}

#[test]
fn flap_damping_counts_in_the_state_blob() {
    let lab = Lab::new("pf");
    let d = Dirs::new("flap");
    let policy = d.compiled(example("flap_damping"));
    let e = env(
        &d,
        &[
            ("OCF_RESKEY_ip", "192.0.2.61"),
            ("OCF_RESKEY_cidr_netmask", "24"),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESOURCE_INSTANCE", "flap"),
            ("OCF_RESKEY_policy", &policy),
            ("OCF_RESKEY_policy_args", "bad=3"),
            ("OCF_CHECK_LEVEL", "10"),
        ],
    );
    assert_eq!(run(&lab, "start", &e).code, 0);
    let state = d.state_file("flap");
    assert!(state.exists(), "start records the state file");
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 0, "{r:?}");
    peer_link(&lab, false);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 190, "{r:?}");
    assert_eq!(
        r.reason(),
        "policy policy_flap_damping.wasm: degraded (flapping): bad 1/3: interface has no carrier"
    );
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 190, "{r:?}");
    assert!(
        r.reason().ends_with("bad 2/3: interface has no carrier"),
        "{r:?}"
    );
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.reason(),
        "policy policy_flap_damping.wasm: failed (no-carrier): bad 3/3: interface has no carrier"
    );
    // The state file is private and survives between processes.
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(&state).unwrap();
        assert_eq!((m.mode() & 0o777, m.uid()), (0o600, 0));
        let dm = std::fs::metadata(state.parent().unwrap()).unwrap();
        assert_eq!(dm.mode() & 0o777, 0o700);
    }
    peer_link(&lab, true);
    assert_eq!(run(&lab, "monitor", &e).code, 0);
    // The count starts over after a good observation.
    peer_link(&lab, false);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 190, "{r:?}");
    assert!(r.reason().contains("bad 1/3"), "{r:?}");
    // A caller without OCF 1.1 gets running for degraded, and the warning in the log.
    let mut e10 = e.clone();
    e10.retain(|(k, _)| !k.starts_with("OCF_RA_VERSION"));
    let r = run(&lab, "monitor", &e10);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.reasons().is_empty());
    assert!(r.stderr.contains("reported as running"), "{r:?}");
    // That monitor still counted: the third bad observation fails.
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 1, "{r:?}");
    // A restart forgets the count.
    peer_link(&lab, true);
    assert_eq!(run(&lab, "stop", &e).code, 0);
    assert!(!state.exists(), "stop removes the state file");
    assert_eq!(run(&lab, "start", &e).code, 0);
    peer_link(&lab, false);
    let r = run(&lab, "monitor", &e);
    assert!(r.reason().contains("bad 1/3"), "{r:?}");
    peer_link(&lab, true);
    assert_eq!(run(&lab, "stop", &e).code, 0);
}

/// Broadcast pings out of vx0: every one is a transmit error.
fn raise_errors(lab: &Lab, n: u32) {
    let _ = sh(&format!(
        "ip netns exec {} ping -b -q -c {n} -i 0.002 -W 1 198.51.100.255",
        lab.ns
    ));
}

fn tx_errors(lab: &Lab) -> u64 {
    let out = must(&format!("ip -n {} -s -s link show vx0", lab.ns));
    // "TX: bytes packets errors dropped carrier collsns" then the numbers.
    let mut lines = out
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("TX:"));
    lines.next();
    let nums: Vec<u64> = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    nums.get(2).copied().unwrap_or(0)
}

#[test]
fn error_rate_follows_tx_errors() {
    let lab = Lab::new("pe");
    let d = Dirs::new("erate");
    // The remote has no route from this namespace: frames out of vx0 fail in the kernel.
    // IPv6 is off on vx0 so that no neighbour discovery adds errors of its own.
    must(&format!(
        "ip -n {ns} link add vx0 type vxlan id 42 remote 2001:db8:ffff::99 dstport 4789 && \
         ip netns exec {ns} sysctl -qw net.ipv6.conf.vx0.disable_ipv6=1 && \
         ip -n {ns} link set vx0 up",
        ns = lab.ns
    ));
    let policy = d.compiled(example("error_rate"));
    let e = env(
        &d,
        &[
            ("OCF_RESKEY_ip", "198.51.100.10"),
            ("OCF_RESKEY_cidr_netmask", "24"),
            ("OCF_RESKEY_nic", "vx0"),
            ("OCF_RESOURCE_INSTANCE", "erate"),
            ("OCF_RESKEY_policy", &policy),
            ("OCF_RESKEY_policy_args", "degrade=1 fail=50"),
        ],
    );
    let r = run(&lab, "start", &e);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&lab, "monitor", &e); // baseline
    assert_eq!(r.code, 0, "{r:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(run(&lab, "monitor", &e).code, 0, "no errors, running");
    // A few errors over a second or more: 1/s <= rate < 50/s.
    let before = tx_errors(&lab);
    raise_errors(&lab, 10);
    std::thread::sleep(Duration::from_millis(1100));
    assert!(
        tx_errors(&lab) >= before + 10,
        "vxlan did not count tx errors"
    );
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 190, "{r:?}");
    assert!(
        r.reason()
            .starts_with("policy policy_error_rate.wasm: degraded (error-rate): +"),
        "{r:?}"
    );
    // Hundreds in well under a second: rate >= 50/s.
    raise_errors(&lab, 300);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains("failed (error-rate)"), "{r:?}");
    // Quiet again.
    std::thread::sleep(Duration::from_millis(300));
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(run(&lab, "stop", &e).code, 0);
}

// ---- misbehaving modules through the binary: outcome, reason and time bound ----

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap()
}

/// A module with the policy exports whose `evaluate` runs `body` (the exchange buffer is at
/// 1024 and `$ok` writes a "running" verdict at 3072).
fn fixture(body: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module
  (memory (export "memory") 1)
  (func (export "ifaddr_policy_abi") (result i32) (i32.const 0x10000))
  (func (export "ifaddr_policy_buffer") (result i32) (i32.const 1024))
  (func $ok (result i32)
    (i32.store (i32.const 3072) (i32.const 0x10000))
    (i32.store (i32.const 3076) (i32.const 408))
    (i32.const 408))
  (func (export "ifaddr_policy_evaluate") (param i32) (result i32) {body}))"#
    ))
}

struct Case {
    name: &'static str,
    bytes: Option<Vec<u8>>,
    /// Exit code of monitor and validate-all.
    monitor: i32,
    validate: i32,
    needle: &'static str,
}

#[test]
fn misbehaving_policies() {
    let lab = Lab::new("pm");
    let d = Dirs::new("misbehave");
    let cases = vec![
        Case {
            name: "ok",
            bytes: Some(fixture("(call $ok)")),
            monitor: 0,
            validate: 0,
            needle: "",
        },
        Case {
            name: "trap",
            bytes: Some(fixture("unreachable")),
            monitor: 1,
            validate: 0,
            needle: "trapped: wasm `unreachable` instruction executed",
        },
        Case {
            name: "loop",
            bytes: Some(fixture("(loop $l (br $l)) (i32.const 0)")),
            monitor: 1,
            validate: 0,
            needle: "used up its fuel",
        },
        Case {
            name: "grow",
            bytes: Some(fixture("(drop (memory.grow (i32.const 100))) (call $ok)")),
            monitor: 1,
            validate: 0,
            needle: "past the 1024 KiB limit",
        },
        Case {
            name: "recurse",
            bytes: Some(wat(r#"(module (memory (export "memory") 1)
            (func (export "ifaddr_policy_abi") (result i32) (i32.const 0x10000))
            (func (export "ifaddr_policy_buffer") (result i32) (i32.const 1024))
            (func $r (param i32) (result i32) (call $r (local.get 0)))
            (func (export "ifaddr_policy_evaluate") (param i32) (result i32) (call $r (local.get 0))))"#)),
            monitor: 1,
            validate: 0,
            needle: "overflowed its 256 KiB stack",
        },
        Case {
            name: "garbage",
            bytes: Some(fixture(
                "(drop (call $ok)) (i32.store (i32.const 3080) (i32.const 42)) (i32.const 408)",
            )),
            monitor: 1,
            validate: 0,
            needle: "returned garbage: verdict code 42",
        },
        Case {
            name: "abi",
            bytes: Some(wat(r#"(module (memory (export "memory") 1)
            (func (export "ifaddr_policy_abi") (result i32) (i32.const 0x10000)))"#)),
            monitor: 5,
            validate: 5,
            needle: "does not export ifaddr_policy_buffer",
        },
        Case {
            name: "wasi",
            bytes: Some(wat(
                r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))"#,
            )),
            monitor: 5,
            validate: 5,
            needle: "imports wasi_snapshot_preview1::proc_exit",
        },
        Case {
            name: "corrupt",
            bytes: Some(b"\0asm\x01\0\0\0\x0a\xff".to_vec()),
            monitor: 5,
            validate: 5,
            needle: "is not a valid WebAssembly module",
        },
        Case {
            name: "missing",
            bytes: None,
            monitor: 5,
            validate: 5,
            needle: "does not exist",
        },
    ];
    let mut start_env = env(
        &d,
        &[
            ("OCF_RESKEY_ip", "192.0.2.62"),
            ("OCF_RESKEY_cidr_netmask", "24"),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESOURCE_INSTANCE", "bad"),
        ],
    );
    assert_eq!(run(&lab, "start", &start_env).code, 0);
    for c in &cases {
        let path = match &c.bytes {
            Some(b) => d.module(&format!("{}.wasm", c.name), b),
            None => d.root.join("missing.wasm").to_str().unwrap().to_owned(),
        };
        // What ifaddrc refuses to compile, the agent has no artifact for.
        let mut needle = c.needle;
        if c.bytes.is_some() {
            match ifaddrc::compile(Path::new(&path), Path::new(&d.cache())) {
                Ok(_) => {}
                Err(e) => {
                    assert!(e.contains(c.needle), "{}: ifaddrc said {e}", c.name);
                    needle = "no precompiled artifact";
                }
            }
        }
        let e = env(
            &d,
            &[
                ("OCF_RESKEY_ip", "192.0.2.62"),
                ("OCF_RESKEY_cidr_netmask", "24"),
                ("OCF_RESKEY_nic", "v1"),
                ("OCF_RESOURCE_INSTANCE", "bad"),
                ("OCF_RESKEY_policy", &path),
            ],
        );
        // validate-all loads the artifact (and never runs the module).
        let t = Instant::now();
        let r = run(&lab, "validate-all", &e);
        assert_eq!(r.code, c.validate, "{}: {r:?}", c.name);
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{}: validate took {:?}",
            c.name,
            t.elapsed()
        );
        let t = Instant::now();
        let r = run(&lab, "monitor", &e);
        let took = t.elapsed();
        assert_eq!(r.code, c.monitor, "{}: {r:?}", c.name);
        if c.monitor != 0 {
            assert!(r.reason().contains(needle), "{}: {r:?}", c.name);
            assert!(r.stderr.contains(needle), "{}: logged: {r:?}", c.name);
        }
        // From the cache: process start, load, run and the limits; 1 s is far above all.
        assert!(
            took < Duration::from_secs(1),
            "{}: monitor took {took:?}",
            c.name
        );
    }
    // Files the agent must not trust.
    let good = d.compiled(d.module("good.wasm", &fixture("(call $ok)")));
    let link = d.root.join("link.wasm");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    let gw = d.module("gw.wasm", &fixture("(call $ok)"));
    let nr = d.module("nr.wasm", &fixture("(call $ok)"));
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gw, std::fs::Permissions::from_mode(0o664)).unwrap();
        std::os::unix::fs::lchown(&nr, Some(65534), Some(65534)).unwrap();
    }
    for (path, needle) in [
        (link.to_str().unwrap(), "is a symbolic link (not followed)"),
        (gw.as_str(), "is writable by group or others (mode 664)"),
        (nr.as_str(), "is owned by uid 65534, not root"),
    ] {
        start_env.retain(|(k, _)| k != "OCF_RESKEY_policy");
        start_env.push(("OCF_RESKEY_policy".into(), path.to_owned()));
        for action in ["validate-all", "monitor"] {
            let t = Instant::now();
            let r = run(&lab, action, &start_env);
            assert_eq!(r.code, 5, "{path} {action}: {r:?}");
            assert!(r.reason().contains(needle), "{path} {action}: {r:?}");
            assert!(t.elapsed() < Duration::from_secs(1));
        }
    }
}

#[test]
fn check_command_lists_exports_and_runs_a_sample() {
    for name in ["strict", "flap_damping", "error_rate"] {
        let out = Command::new(ifaddrc::ifaddrc())
            .args(["check", &example(name), "--args", "bad=2"])
            .env("IFADDR_CACHE_DIR", "/nonexistent-ifaddr-cache")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for needle in [
            "ifaddr_policy_abi        func () -> (i32)",
            "ifaddr_policy_buffer     func () -> (i32)",
            "ifaddr_policy_evaluate   func (i32) -> (i32)",
            "imports:  none",
            "abi:      1.1",
            ": running (ok)",
        ] {
            assert!(
                text.contains(needle),
                "{name}: {needle:?} missing from\n{text}"
            );
        }
    }
    let out = Command::new(ifaddrc::ifaddrc())
        .args(["check", "/nonexistent.wasm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn compile_command_fills_the_cache() {
    let d = Dirs::new("compile");
    let cache = d.root.join("c");
    let out = Command::new(ifaddrc::ifaddrc())
        .args(["compile", &example("strict"), "--cache-dir"])
        .arg(&cache)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let art = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(art.starts_with(&cache) && art.exists(), "{art:?}");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&art).unwrap().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&cache).unwrap().mode() & 0o777, 0o700);
}

/// The agent never compiles: without an artifact, or with one made by another engine, every
/// action that would run the policy answers 5 with the command that fixes it, and changes
/// nothing; after that command, it runs.
#[test]
fn missing_or_stale_artifact_is_not_installed() {
    let lab = Lab::new("pa");
    let d = Dirs::new("artifact");
    let policy = example("strict");
    let e = env(
        &d,
        &[
            ("OCF_RESKEY_ip", "192.0.2.63"),
            ("OCF_RESKEY_cidr_netmask", "24"),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESOURCE_INSTANCE", "art"),
            ("OCF_RESKEY_policy", &policy),
        ],
    );
    let fix = format!("run `ifaddrc compile {policy} --cache-dir {}`", d.cache());
    let expect_5 = |what: &str, needle: &str| {
        for action in ["validate-all", "start", "monitor"] {
            let r = run(&lab, action, &e);
            let want = if action == "monitor" { 7 } else { 5 };
            assert_eq!(r.code, want, "{what} {action}: {r:?}");
            if action != "monitor" {
                assert!(
                    r.reason().contains(needle) && r.reason().ends_with(&fix),
                    "{what} {action}: {r:?}"
                );
            }
        }
        assert!(
            !lab.has("v1", "192.0.2.63/24"),
            "{what}: start added the address"
        );
    };
    expect_5("missing", "no precompiled artifact");
    // The same module's artifact under another engine key.
    d.compiled(policy.clone());
    let art = std::fs::read_dir(d.cache())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let name = art.file_name().unwrap().to_str().unwrap().to_owned();
    let stale = art.with_file_name(format!("{}-0000000000000000.cwasm", &name[..64]));
    std::fs::rename(&art, &stale).unwrap();
    expect_5("stale", "was made by another ifaddr or wasmtime");
    // An artifact for another architecture (`ifaddrc compile --target`, as for an image):
    // wasmtime refuses it, and the agent says what to run.
    let out = Command::new(ifaddrc::ifaddrc())
        .args(["compile", &policy, "--cache-dir", &d.cache()])
        .args(["--target", "aarch64-unknown-linux-musl"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!stale.exists(), "ifaddrc left the stale artifact");
    let r = run(&lab, "validate-all", &e);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.reason()
            .contains("is unusable: Module was compiled for architecture 'aarch64'")
            && r.reason().ends_with(&fix),
        "{r:?}"
    );
    d.compiled(policy.clone());
    assert_eq!(run(&lab, "start", &e).code, 0);
    assert_eq!(run(&lab, "monitor", &e).code, 0);
    assert_eq!(run(&lab, "stop", &e).code, 0);
}

/// Frames of an EtherType nobody handles, sent from the peer into `v1`: the kernel counts
/// each in `v1`'s `rx_dropped`.
fn drop_frames(lab: &Lab, n: u32) {
    let script = format!(
        "import socket\n\
         s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n\
         s.bind(('v1p', 0))\n\
         for _ in range({n}):\n    \
         s.send(b'\\xff' * 6 + b'\\x02\\x00\\x00\\x00\\x00\\x01' + b'\\x88\\xb5' + bytes(46))\n"
    );
    let out = Command::new("ip")
        .args(["netns", "exec", &lab.peer, "python3", "-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 19: the policy `ifaddrc new` writes, unchanged, built for wasm32 against this
/// checkout's SDK (the documented `--config` override of its crates.io dependency), compiled
/// by `ifaddrc` and run by the agent in monitors: running, degraded while `rx_dropped` grows
/// (its state carries the count between monitors), failed without carrier.
#[test]
fn scaffolded_policy_in_a_monitor() {
    let d = Dirs::new("scaffold");
    let dir = d.root.join("drops");
    let out = Command::new(ifaddrc::ifaddrc())
        .args(["new", "drops"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("policies/sdk");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-wasm");
    let out = wasm32_build(&dir)
        .arg("--config")
        .arg(format!(
            "patch.crates-io.ifaddr-policy.path={:?}",
            sdk.to_str().unwrap()
        ))
        .arg("--target-dir")
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "wasm32 build of the scaffold: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wasm = std::fs::read(target.join(WASM32).join("release/drops.wasm")).unwrap();
    let policy = d.compiled(d.module("drops.wasm", &wasm));

    let lab = Lab::new("pn");
    let e = env(
        &d,
        &[
            ("OCF_RESKEY_ip", "192.0.2.63"),
            ("OCF_RESKEY_cidr_netmask", "24"),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESOURCE_INSTANCE", "drops"),
            ("OCF_RESKEY_policy", &policy),
        ],
    );
    assert_eq!(run(&lab, "validate-all", &e).code, 0);
    assert_eq!(run(&lab, "start", &e).code, 0);
    for _ in 0..2 {
        let r = run(&lab, "monitor", &e);
        assert_eq!(r.code, 0, "{r:?}");
    }
    drop_frames(&lab, 5);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 190, "{r:?}");
    assert_eq!(
        r.reason(),
        "policy drops.wasm: degraded (drop-rate): dropped packets grew"
    );
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 0, "no new drops: {r:?}");
    peer_link(&lab, false);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.reason(),
        "policy drops.wasm: failed (no-carrier): interface has no carrier"
    );
    peer_link(&lab, true);
    let r = run(&lab, "monitor", &e);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(run(&lab, "stop", &e).code, 0);
}

/// `ifaddrc check --replay`: every step's verdict, exit 0 whatever the verdicts; a module that
/// fails at a step (here: traps from the third monitor on) stops the replay there with the
/// OCF code the agent would answer.
#[test]
fn check_replay_stops_at_a_failure() {
    let d = Dirs::new("replay");
    // `monitors` is at offset 48 of the observation, which starts at the buffer (1024).
    let module = d.module(
        "third.wasm",
        &fixture(
            "(if (i32.ge_u (i32.load (i32.const 1072)) (i32.const 3)) (then unreachable)) \
             (call $ok)",
        ),
    );
    let replay = d.root.join("replay.txt");
    std::fs::write(&replay, "# three monitors\n-\nmtu=9000\n-\n").unwrap();
    let out = Command::new(ifaddrc::ifaddrc())
        .args(["check", &module, "--replay"])
        .arg(&replay)
        .env("IFADDR_CACHE_DIR", d.cache())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("step ")).collect();
    assert_eq!(
        steps,
        [
            "step 1 (line 2): 0 running (ok) state= message=\"\"",
            "step 2 (line 3): 0 running (ok) state= message=\"\"",
            "step 3 (line 4): no verdict",
        ],
        "{stdout}"
    );
    assert!(stderr.contains("trapped: wasm `unreachable`"), "{stderr}");
    // Two monitors only: every step has a verdict, exit 0.
    std::fs::write(&replay, "-\n-\n").unwrap();
    let out = Command::new(ifaddrc::ifaddrc())
        .args(["check", &module, "--replay"])
        .arg(&replay)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}
