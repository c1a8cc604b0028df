//! Faults on a real kernel: interfaces that vanish, addresses changed behind the agent's back,
//! links going down, duplicates on the segment, absurd timeouts, and the agent killed with
//! SIGKILL before and after every request it sends to the kernel.

use super::*;
use std::process::{Child, Stdio};

const RECURRING: (&str, &str) = ("CRM_meta_interval", "10000");

/// A second veth pair inside the lab namespace: `v2` (198.51.100.1/24, 2001:db8:2::1/64) and
/// its peer `v2p`, both up.
fn add_v2(lab: &Lab) {
    lab.sh(
        "ip link add v2 type veth peer name v2p && ip link set v2 up && ip link set v2p up && \
         ip addr add 198.51.100.1/24 dev v2 && ip addr add 2001:db8:2::1/64 dev v2 nodad",
    );
}

fn with(base: &[(&str, &str)], more: &[(&str, &str)]) -> Env {
    let mut v = base.to_vec();
    v.extend_from_slice(more);
    env(&v)
}

#[track_caller]
fn expect(r: &Run, code: i32, reason: &str) {
    assert_eq!(r.code, code, "{r:?}");
    if let Err(e) = check_reason(r, reason) {
        panic!("{e}: {r:?}");
    }
}

#[test]
fn fault_interface_deleted_while_started() {
    let lab = Lab::new("fd");
    let cases: [(&[(&str, &str)], &str); 3] = [
        (
            &[("ip", "198.51.100.200"), ("nic", "v2"), ("arp_count", "1")],
            "198.51.100.200/24",
        ),
        (
            &[("ip", "2001:db8:2::200"), ("nic", "v2"), ("nodad", "1")],
            "2001:db8:2::200/64",
        ),
        (
            &[("ip", "198.51.100.200"), ("arp_count", "1")],
            "198.51.100.200/24",
        ),
    ];
    for (params, cidr) in cases {
        add_v2(&lab);
        settle(&lab);
        let before = kernel_state(&lab);
        let e = env(params);
        expect(&run(&lab, "start", &e), 0, "");
        assert!(lab.has("v2", cidr));
        lab.sh("ip link del v2");
        let nic_given = params.iter().any(|(k, _)| *k == "nic");
        expect(&run(&lab, "monitor", &e), 7, "");
        let r = run(&lab, "monitor", &with(params, &[RECURRING]));
        if nic_given {
            // A recurring monitor must not call a vanished nic "stopped": that is a failure.
            expect(&r, 1, "nic v2 does not exist");
        } else {
            // With nic detection the address is simply nowhere.
            expect(&r, 7, "");
        }
        expect(&run(&lab, "stop", &e), 0, "");
        let r = run(&lab, "start", &e);
        let want = if nic_given {
            "nic v2 does not exist"
        } else {
            "no connected route covers"
        };
        expect(&r, 2, want);
        expect(&run(&lab, "validate-all", &e), 2, want);
        assert_eq!(count_anywhere(&lab, cidr), 0);
        // Everything but v2 is exactly as before.
        let now = kernel_state(&lab);
        let strip = |s: &str| {
            s.lines()
                .filter(|l| !l.contains("v2"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&now), strip(&before));
    }
}

#[test]
fn fault_address_removed_behind_the_agents_back() {
    let (lab, before) = settled_lab("fr");
    for (params, cidr) in [
        (
            &[("ip", "192.0.2.200"), ("nic", "v1"), ("arp_count", "1")][..],
            "192.0.2.200/24",
        ),
        (
            &[("ip", "192.0.2.200"), ("arp_count", "1")][..],
            "192.0.2.200/24",
        ),
        (
            &[("ip", "2001:db8::200"), ("nic", "v1"), ("nodad", "1")][..],
            "2001:db8::200/64",
        ),
        (
            &[("ip", "2001:db8::200"), ("arp_count", "1")][..],
            "2001:db8::200/64",
        ),
    ] {
        let e = env(params);
        expect(&run(&lab, "start", &e), 0, "");
        assert!(lab.has("v1", cidr));
        lab.sh(&format!("ip addr del {cidr} dev v1"));
        expect(&run(&lab, "monitor", &with(params, &[RECURRING])), 7, "");
        expect(&run(&lab, "monitor", &e), 7, "");
        expect(&run(&lab, "stop", &e), 0, "");
        assert_eq!(kernel_state(&lab), before);
        // Recovery: start puts it back.
        expect(&run(&lab, "start", &e), 0, "");
        assert!(lab.has("v1", cidr));
        expect(&run(&lab, "monitor", &e), 0, "");
        expect(&run(&lab, "stop", &e), 0, "");
        assert_eq!(kernel_state(&lab), before);
    }
}

#[test]
fn fault_prefix_replaced_behind_the_agents_back() {
    let (lab, before) = settled_lab("fp");
    for (params, mine, other) in [
        (
            &[
                ("ip", "192.0.2.200"),
                ("nic", "v1"),
                ("cidr_netmask", "24"),
                ("arp_count", "1"),
            ][..],
            "192.0.2.200/24",
            "192.0.2.200/25",
        ),
        (
            &[
                ("ip", "2001:db8::200"),
                ("nic", "v1"),
                ("cidr_netmask", "64"),
                ("nodad", "1"),
            ][..],
            "2001:db8::200/64",
            "2001:db8::200/80",
        ),
    ] {
        let e = env(params);
        expect(&run(&lab, "start", &e), 0, "");
        let nodad = if mine.contains(':') { " nodad" } else { "" };
        lab.sh(&format!(
            "ip addr del {mine} dev v1 && ip addr add {other} dev v1{nodad}"
        ));
        let want = format!(
            "with prefix /{}, expected /{}",
            &other[other.len() - 2..],
            &mine[mine.len() - 2..]
        );
        expect(&run(&lab, "monitor", &with(params, &[RECURRING])), 1, &want);
        // start puts the configured prefix back in place of the other.
        expect(&run(&lab, "start", &e), 0, "");
        assert!(
            lab.has("v1", mine) && !lab.has("v1", other),
            "{:?}",
            lab.cidrs("v1")
        );
        expect(&run(&lab, "monitor", &e), 0, "");
        // And stop, faced with the other prefix, removes it: the kernel ends as it began.
        lab.sh(&format!(
            "ip addr del {mine} dev v1 && ip addr add {other} dev v1{nodad}"
        ));
        expect(&run(&lab, "stop", &e), 0, "");
        assert_eq!(kernel_state(&lab), before);
    }
}

/// The address moved to another interface: for an agent configured with v1 (or detecting v1)
/// it is not running, and stop leaves the other interface's copy alone.
#[test]
fn fault_address_moved_to_another_interface() {
    let lab = Lab::new("fm");
    add_v2(&lab);
    settle(&lab);
    let before = kernel_state(&lab);
    for params in [
        &[("ip", "192.0.2.200"), ("nic", "v1"), ("arp_count", "1")][..],
        &[("ip", "192.0.2.200"), ("arp_count", "1")][..],
    ] {
        let e = env(params);
        expect(&run(&lab, "start", &e), 0, "");
        lab.sh("ip addr del 192.0.2.200/24 dev v1 && ip addr add 192.0.2.200/24 dev v2");
        expect(&run(&lab, "monitor", &with(params, &[RECURRING])), 7, "");
        expect(&run(&lab, "stop", &e), 0, "");
        assert!(
            lab.has("v2", "192.0.2.200/24"),
            "stop removed another interface's address"
        );
        lab.sh("ip addr del 192.0.2.200/24 dev v2");
        assert_eq!(kernel_state(&lab), before);
    }
}

#[test]
fn fault_link_down() {
    let (lab, _) = settled_lab("fl");
    let v4 = |lab: &Lab| must(&format!("ip -n {} -4 -o addr show", lab.ns));
    let before = v4(&lab);
    let e = env(&[
        ("ip", "192.0.2.200"),
        ("nic", "v1"),
        ("cidr_netmask", "24"),
        ("arp_count", "1"),
    ]);
    expect(&run(&lab, "start", &e), 0, "");
    lab.sh("ip link set v1 down");
    expect(&run(&lab, "monitor", &e), 1, "interface v1 is down");
    expect(
        &run(
            &lab,
            "monitor",
            &with(&[("ip", "192.0.2.200"), ("nic", "v1")], &[RECURRING]),
        ),
        1,
        "interface v1 is down",
    );
    expect(&run(&lab, "stop", &e), 0, "");
    assert_eq!(v4(&lab), before, "stop on a down link removes the address");
    let r = run(&lab, "start", &e);
    expect(&r, 1, "interface v1 is down");
    assert_eq!(v4(&lab), before, "start on a down link adds nothing");
    // IPv6: the kernel flushes IPv6 addresses of a link that goes down.
    lab.sh("ip link set v1 up");
    let e6 = env(&[
        ("ip", "2001:db8::200"),
        ("nic", "v1"),
        ("cidr_netmask", "64"),
        ("nodad", "1"),
    ]);
    expect(&run(&lab, "start", &e6), 0, "");
    lab.sh("ip link set v1 down");
    expect(&run(&lab, "monitor", &e6), 7, "");
    expect(&run(&lab, "stop", &e6), 0, "");
    expect(&run(&lab, "start", &e6), 1, "interface v1 is down");
    assert_eq!(count_anywhere(&lab, "2001:db8::200/64"), 0);
    lab.sh("ip link set v1 up");
    expect(&run(&lab, "start", &e), 0, "");
    expect(&run(&lab, "monitor", &e), 0, "");
    expect(&run(&lab, "stop", &e), 0, "");
    assert_eq!(v4(&lab), before);
}

#[test]
fn fault_duplicate_ipv4_refused_by_arp_probe() {
    let (lab, _) = settled_lab("fa");
    lab.peer_sh("ip addr add 192.0.2.200/24 dev v1p");
    settle(&lab);
    let before = kernel_state(&lab);
    let peer_mac = lab
        .peer_sh("cat /sys/class/net/v1p/address")
        .trim()
        .to_owned();
    let my_mac = lab.sh("cat /sys/class/net/v1/address").trim().to_owned();
    for params in [
        &[("ip", "192.0.2.200"), ("nic", "v1"), ("run_arping", "true")][..],
        &[("ip", "192.0.2.200"), ("run_arping", "yes")][..],
        &[
            ("ip", "192.0.2.200"),
            ("run_arping", "true"),
            ("arp_probe", "1000"),
        ][..],
    ] {
        let r = run(&lab, "start", &env(params));
        expect(&r, 1, "duplicate address");
        let reason = r.reason();
        assert!(
            reason.contains(&peer_mac) && reason.contains("run_arping=false"),
            "{reason}"
        );
        assert_eq!(
            kernel_state(&lab),
            before,
            "a refused start changed the kernel"
        );
        expect(&run(&lab, "monitor", &env(params)), 7, "");
    }
    // The probe did not teach the peer that 192.0.2.200 is at our MAC.
    let neigh = lab.peer_sh("ip neigh show 192.0.2.200");
    assert!(
        !neigh.contains(&my_mac),
        "the probe poisoned the peer's cache: {neigh}"
    );
    // Not told to check (the default, as in IPaddr2), or told to listen 0 ms: start adds it.
    for params in [
        &[("ip", "192.0.2.200"), ("nic", "v1"), ("arp_count", "0")][..],
        &[
            ("ip", "192.0.2.200"),
            ("nic", "v1"),
            ("run_arping", "true"),
            ("arp_probe", "0"),
            ("arp_count", "0"),
        ][..],
    ] {
        let e = env(params);
        expect(&run(&lab, "start", &e), 0, "");
        assert!(lab.has("v1", "192.0.2.200/24"));
        expect(&run(&lab, "stop", &e), 0, "");
        assert_eq!(kernel_state(&lab), before);
    }
    // Nobody answers: start waits the probe time, then adds.
    lab.peer_sh("ip addr del 192.0.2.200/24 dev v1p");
    let e = env(&[
        ("ip", "192.0.2.200"),
        ("run_arping", "true"),
        ("arp_probe", "300"),
        ("arp_count", "0"),
    ]);
    let t0 = Instant::now();
    expect(&run(&lab, "start", &e), 0, "");
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
    expect(&run(&lab, "stop", &e), 0, "");
}

#[test]
fn fault_duplicate_ipv6_refused_by_dad() {
    let (lab, _) = settled_lab("f6");
    lab.peer_sh("ip addr add 2001:db8::200/64 dev v1p nodad");
    let before = kernel_state(&lab);
    for params in [
        &[("ip", "2001:db8::200"), ("nic", "v1")][..],
        &[("ip", "2001:db8::200")][..],
    ] {
        let r = run(&lab, "start", &env(params));
        expect(
            &r,
            1,
            "duplicate address detected: another host on v1 already uses 2001:db8::200",
        );
        assert_eq!(
            kernel_state(&lab),
            before,
            "a refused start changed the kernel"
        );
        expect(&run(&lab, "monitor", &env(params)), 7, "");
    }
    // Told not to check: nodad adds it.
    let e = env(&[
        ("ip", "2001:db8::200"),
        ("nodad", "true"),
        ("arp_count", "0"),
    ]);
    expect(&run(&lab, "start", &e), 0, "");
    assert!(lab.has("v1", "2001:db8::200/64"));
    expect(&run(&lab, "monitor", &e), 0, "");
    expect(&run(&lab, "stop", &e), 0, "");
    assert_eq!(kernel_state(&lab), before);
}

/// Timeouts too short for duplicate address detection: start fails with the reason and
/// leaves nothing behind.
#[test]
fn fault_absurd_timeouts() {
    let (lab, before) = settled_lab("ft");
    for t in ["0", "1", "999"] {
        let e = env(&[
            ("ip", "2001:db8::200"),
            ("nic", "v1"),
            ("CRM_meta_timeout", t),
        ]);
        let r = run(&lab, "start", &e);
        expect(&r, 1, "did not finish within the 1000 ms timeout");
        assert_eq!(kernel_state(&lab), before, "timeout {t}");
    }
}

/// SIGKILL while start waits for duplicate address detection.
#[test]
fn fault_sigkill_during_dad() {
    let (lab, before) = settled_lab("fk");
    let e = env(&[("ip", "2001:db8::200"), ("nic", "v1"), ("arp_count", "1")]);
    for round in 0..3 {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &lab.ns, bin(), "start"]);
        c.env_clear().env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (k, v) in &e {
            c.env(k, v);
        }
        let mut child = c
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the tentative address, then kill.
        let t0 = Instant::now();
        while !lab
            .addrs("v1")
            .iter()
            .any(|l| l.contains("2001:db8::200/64") && l.contains("tentative"))
        {
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "no tentative address"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100 * round));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "start finished before the kill"
        );
        match round {
            // Pacemaker's answer to a failed start: stop, which must remove it.
            0 => {
                expect(&run(&lab, "stop", &e), 0, "");
            }
            // A probe, then a new start that must wait for DAD, then stop.
            1 => {
                let r = run(&lab, "monitor", &e);
                assert!(r.code == 0, "monitor of a present address: {r:?}");
                expect(&run(&lab, "start", &e), 0, "");
                let line = lab
                    .addrs("v1")
                    .into_iter()
                    .find(|l| l.contains("2001:db8::200/64"))
                    .unwrap();
                assert!(!line.contains("tentative"), "{line}");
                expect(&run(&lab, "stop", &e), 0, "");
            }
            _ => {
                std::thread::sleep(Duration::from_millis(1500));
                expect(
                    &run(
                        &lab,
                        "monitor",
                        &with(&[("ip", "2001:db8::200"), ("nic", "v1")], &[RECURRING]),
                    ),
                    0,
                    "",
                );
                expect(&run(&lab, "stop", &e), 0, "");
            }
        }
        assert_eq!(kernel_state(&lab), before, "round {round}");
        expect(&run(&lab, "monitor", &e), 7, "");
    }
}

/// The path of a program, for running it without relying on PATH.
pub fn which(prog: &str) -> String {
    must(&format!("command -v {prog}")).trim().to_owned()
}

/// Run `action` under strace, delaying the `k`th `sendto` (at entry, or at exit once the kernel
/// has done it) and SIGKILLing the agent while it is held there. `None` when the agent made
/// fewer than `k` calls and finished on its own.
pub fn kill_at_sendto(lab: &Lab, action: &str, e: &Env, k: usize, at_exit: bool) -> Option<String> {
    kill_at(lab, action, e, "sendto", k, at_exit)
}

/// [`kill_at_sendto`] for any one system call.
pub fn kill_at(
    lab: &Lab,
    action: &str,
    e: &Env,
    call: &str,
    k: usize,
    at_exit: bool,
) -> Option<String> {
    let trace = format!("/tmp/{}-kill.trace", lab.ns);
    let _ = std::fs::remove_file(&trace);
    let when = if at_exit { "delay_exit" } else { "delay_enter" };
    let mut c = Command::new("ip");
    c.args([
        "netns",
        "exec",
        &lab.ns,
        &which("strace"),
        "-qq",
        "-s",
        "256",
        "-o",
        &trace,
    ])
    .args(["-e", &format!("trace={call}"), "-e"])
    .arg(format!("inject={call}:{when}=5000000:when={k}"))
    .args([bin(), action]);
    c.env_clear().env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (key, v) in e {
        c.env(key, v);
    }
    let name = format!("{call}(");
    let count = |text: &str| -> usize { text.lines().filter(|l| l.starts_with(&name)).count() };
    let mut strace: Child = c
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        if count(&text) >= k {
            // Held at entry: nothing done yet. Held at exit: give the kernel a moment.
            std::thread::sleep(Duration::from_millis(if at_exit { 100 } else { 20 }));
            let children =
                std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", strace.id()))
                    .unwrap_or_default();
            let pid = children
                .split_whitespace()
                .next()
                .expect("the agent under strace");
            must(&format!("kill -KILL {pid}"));
            // strace would sit out its delay before noticing; the agent is what matters.
            let _ = strace.kill();
            let _ = strace.wait();
            let t1 = Instant::now();
            while std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| !s.contains(") Z "))
            {
                assert!(
                    t1.elapsed() < Duration::from_secs(5),
                    "agent {pid} survived SIGKILL"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            let text = std::fs::read_to_string(&trace).unwrap_or_default();
            let call = text
                .lines()
                .filter(|l| l.starts_with(&name))
                .nth(k - 1)
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            let _ = std::fs::remove_file(&trace);
            return Some(call);
        }
        if strace.try_wait().unwrap().is_some() {
            let _ = std::fs::remove_file(&trace);
            return None;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "agent stuck before {call} #{k}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// For one action: kill the agent before and after each request it sends, then check that
/// monitor tells the truth about the kernel and that stop leaves it as it was. Returns the
/// number of kill points.
fn sweep(lab: &Lab, before: &str, action: &str, e: &Env, cidr: &str, prepare: &dyn Fn()) -> usize {
    let mut points = 0;
    for k in 1..=40 {
        let mut done = false;
        for at_exit in [false, true] {
            prepare();
            let Some(call) = kill_at_sendto(lab, action, e, k, at_exit) else {
                done = true;
                break;
            };
            points += 1;
            let present = lab.has("v1", cidr);
            let r = run(lab, "monitor", e);
            let want = if present { 0 } else { 7 };
            assert_eq!(
                r.code, want,
                "{action} killed at sendto #{k} (exit {at_exit}) [{call}]: present {present}: {r:?}"
            );
            let r = run(lab, "stop", e);
            assert_eq!(r.code, 0, "stop after {action} killed at #{k}: {r:?}");
            assert_eq!(
                kernel_state(lab),
                before,
                "{action} killed at sendto #{k} (exit {at_exit}) [{call}], then stop"
            );
        }
        if done {
            break;
        }
    }
    points
}

#[test]
fn fault_sigkill_at_every_request() {
    let (lab, before) = settled_lab("fs");
    let mut points = 0;
    let v4 = env(&[("ip", "192.0.2.200"), ("arp_count", "1")]);
    points += sweep(&lab, &before, "start", &v4, "192.0.2.200/24", &|| {});
    points += sweep(&lab, &before, "stop", &v4, "192.0.2.200/24", &|| {
        assert_eq!(run(&lab, "start", &v4).code, 0);
    });
    let v6 = env(&[
        ("ip", "2001:db8::200"),
        ("nic", "v1"),
        ("nodad", "1"),
        ("arp_count", "1"),
    ]);
    points += sweep(&lab, &before, "start", &v6, "2001:db8::200/64", &|| {});
    points += sweep(&lab, &before, "stop", &v6, "2001:db8::200/64", &|| {
        assert_eq!(run(&lab, "start", &v6).code, 0);
    });
    eprintln!("SIGKILL points: {points}");
    assert!(points >= 20, "only {points} kill points");
}
