//! Issue 8, reliability and security, on a real kernel: hostile parameters and environments,
//! injected faults (vanished interfaces, changes behind the agent's back, duplicates, SIGKILL at
//! every system call), parallel operation, and the security rules (no other program, stop
//! removes only the configured address). RELIABILITY.md lists what is covered, with figures.
//!
//! Every case states the exit code, the one-line reason and the kernel state afterwards, read
//! back with iproute2 rather than with the agent's own code.

#[path = "reliability/faults.rs"]
mod faults;
#[path = "reliability/hostile.rs"]
mod hostile;
#[path = "reliability/parallel.rs"]
mod parallel;
#[path = "reliability/security.rs"]
mod security;
#[cfg(feature = "policy")]
#[path = "reliability/state.rs"]
mod state;

use ifaddr_tests::*;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::process::Command;
use std::time::{Duration, Instant};

/// The environment of one run, as raw bytes (values may be non-UTF-8; NUL cannot pass execve).
pub type Env = Vec<(OsString, OsString)>;

/// `ip` becomes `OCF_RESKEY_ip`; names starting with `OCF_` or `HA_` are taken as they are.
pub fn key(k: &str) -> String {
    if k.starts_with("OCF_") || k.starts_with("HA_") {
        k.to_owned()
    } else {
        format!("OCF_RESKEY_{k}")
    }
}

pub fn env(kv: &[(&str, &str)]) -> Env {
    kv.iter()
        .map(|(k, v)| (OsString::from(key(k)), OsString::from(v)))
        .collect()
}

pub fn env_bytes(kv: &[(&str, &[u8])]) -> Env {
    kv.iter()
        .map(|(k, v)| (OsString::from(key(k)), OsStr::from_bytes(v).to_owned()))
        .collect()
}

/// Run `ifaddr ACTION` in the lab's namespace with exactly `env` (plus PATH), as `lab.run`
/// does, but with raw bytes.
pub fn run_os(lab: &Lab, action: &OsStr, env: &Env) -> Run {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", &lab.ns]).arg(bin()).arg(action);
    run_env(c, env)
}

pub fn run(lab: &Lab, action: &str, env: &Env) -> Run {
    run_os(lab, OsStr::new(action), env)
}

/// Everything an action could change: addresses, routes and links of the lab namespace, and
/// the peer's addresses (one `ip -batch` per namespace).
pub fn kernel_state(lab: &Lab) -> String {
    let batch = |ns: &str, cmds: &str| -> String {
        use std::io::Write;
        let mut c = Command::new("ip")
            .args(["-n", ns, "-o", "-batch", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("ip -batch");
        c.stdin.take().unwrap().write_all(cmds.as_bytes()).unwrap();
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "ip -n {ns} -batch failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    batch(&lab.ns, "addr show\nroute show table all\nlink show\n")
        + &batch(&lab.peer, "addr show\n")
}

/// Wait until no address in either namespace is tentative (the link-local addresses run DAD
/// for about a second after the links come up), so that state snapshots are stable.
pub fn settle(lab: &Lab) {
    let t0 = Instant::now();
    loop {
        let s = kernel_state(lab);
        if !s.contains("tentative") {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "still tentative: {s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A lab whose state is settled, with its snapshot.
pub fn settled_lab(tag: &str) -> (Lab, String) {
    let lab = Lab::new(tag);
    settle(&lab);
    let s = kernel_state(&lab);
    (lab, s)
}

/// Check the run's `ocf-exit-reason:` output: none on success or "not running", otherwise
/// exactly one short, printable line containing `want`.
pub fn check_reason(r: &Run, want: &str) -> Result<(), String> {
    let reasons = r.reasons();
    if r.code == 0 || r.code == 7 {
        return if reasons.is_empty() {
            Ok(())
        } else {
            Err(format!("success with a reason: {reasons:?}"))
        };
    }
    if reasons.len() != 1 {
        return Err(format!(
            "{} ocf-exit-reason lines: {reasons:?}",
            reasons.len()
        ));
    }
    let line = reasons[0];
    if line.len() > 400 {
        return Err(format!("reason of {} bytes", line.len()));
    }
    if line.chars().any(char::is_control) {
        return Err(format!("reason with a control character: {line:?}"));
    }
    if !line.contains(want) {
        return Err(format!("reason {line:?} lacks {want:?}"));
    }
    Ok(())
}

/// The addresses (`addr/prefix`) on `dev`, each line as iproute2 prints it.
pub fn cidrs_on(lab: &Lab, dev: &str) -> Vec<String> {
    lab.cidrs(dev)
}

/// How many times `cidr` appears on any interface of the lab namespace.
pub fn count_anywhere(lab: &Lab, cidr: &str) -> usize {
    must(&format!("ip -n {} -o addr show", lab.ns))
        .lines()
        .filter(|l| l.split_whitespace().nth(3) == Some(cidr))
        .count()
}
