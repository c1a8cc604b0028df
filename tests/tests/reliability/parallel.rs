//! Concurrency: many agents at once on one interface, as Pacemaker runs them for many
//! resources; and the same resource acted on by overlapping runs.

use super::*;
use std::sync::{Barrier, Mutex};

pub const N: usize = 50;

/// One round: `N` threads, each start → monitor → stop for its own address. With `barriers`,
/// every thread waits for all starts (and the main thread checks that all `N` addresses are
/// there exactly once) before monitoring, and for all monitors before stopping; without, the
/// three steps of different threads interleave freely. Returns the number of agent runs.
fn round(lab: &Lab, addrs: &[(String, String)], extra: &[(&str, &str)], barriers: bool) -> usize {
    let failures = Mutex::new(Vec::new());
    let gate = Barrier::new(addrs.len() + 1);
    std::thread::scope(|s| {
        for (ip, _) in addrs {
            let (failures, gate) = (&failures, &gate);
            s.spawn(move || {
                let mut kv = vec![("ip", ip.as_str())];
                kv.extend_from_slice(extra);
                let e = env(&kv);
                let mut recurring = e.clone();
                recurring.push(("OCF_RESKEY_CRM_meta_interval".into(), "10000".into()));
                let step = |action: &str, e: &Env, want: i32| {
                    let r = run(lab, action, e);
                    if r.code != want || check_reason(&r, "").is_err() {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{ip} {action}: {r:?}"));
                    }
                };
                step("start", &e, 0);
                if barriers {
                    gate.wait();
                    gate.wait();
                }
                step("monitor", &recurring, 0);
                if barriers {
                    gate.wait();
                }
                step("stop", &e, 0);
            });
        }
        if barriers {
            gate.wait();
            let out = must(&format!("ip -n {} -o addr show", lab.ns));
            for (ip, cidr) in addrs {
                let n = out
                    .lines()
                    .filter(|l| l.split_whitespace().nth(3) == Some(cidr.as_str()))
                    .count();
                if n != 1 {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{ip}: {n} copies after all starts"));
                }
            }
            gate.wait();
            gate.wait();
        }
    });
    let f = failures.into_inner().unwrap();
    assert!(f.is_empty(), "{} failures:\n{}", f.len(), f.join("\n"));
    addrs.len() * 3
}

fn v4(net: &str) -> Vec<(String, String)> {
    (10..10 + N)
        .map(|i| (format!("{net}.{i}"), format!("{net}.{i}/24")))
        .collect()
}

fn v6() -> Vec<(String, String)> {
    (0x10..0x10 + N)
        .map(|i| (format!("2001:db8::{i:x}"), format!("2001:db8::{i:x}/64")))
        .collect()
}

#[test]
fn parallel_fifty_addresses_on_one_interface() {
    let (lab, before) = settled_lab("pa");
    let quick = [("arp_count", "1")];
    let mut runs = 0;
    let t0 = Instant::now();
    // Free interleaving, nic and prefix given.
    runs += round(
        &lab,
        &v4("192.0.2"),
        &[("nic", "v1"), ("cidr_netmask", "24"), quick[0]],
        false,
    );
    assert_eq!(kernel_state(&lab), before, "round 1 left something behind");
    // In step, nic and prefix detected.
    runs += round(&lab, &v4("192.0.2"), &quick, true);
    assert_eq!(kernel_state(&lab), before, "round 2 left something behind");
    // IPv6 with duplicate address detection, in step.
    runs += round(&lab, &v6(), &quick, true);
    assert_eq!(kernel_state(&lab), before, "round 3 left something behind");
    // A subnet with no address yet: the first started becomes the primary, and stopping it
    // while the others run must not take them along (promote_secondaries off, as on a host
    // without systemd's sysctl defaults).
    lab.sh(
        "sysctl -qw net.ipv4.conf.all.promote_secondaries=0 net.ipv4.conf.v1.promote_secondaries=0",
    );
    runs += round(
        &lab,
        &v4("198.51.100"),
        &[("nic", "v1"), ("cidr_netmask", "24"), quick[0]],
        false,
    );
    assert_eq!(kernel_state(&lab), before, "round 4 left something behind");
    eprintln!("parallel: {runs} agent runs in {:?}", t0.elapsed());
}

/// Overlapping runs for one resource (a probe racing a start, a stop retried): every run
/// succeeds and the address ends up there exactly once, then nowhere.
#[test]
fn parallel_runs_for_the_same_address() {
    let (lab, before) = settled_lab("ps");
    for ip_ in ["192.0.2.200", "2001:db8::200"] {
        let e = env(&[("ip", ip_), ("nic", "v1"), ("arp_count", "1")]);
        let cidr = if ip_.contains(':') {
            format!("{ip_}/64")
        } else {
            format!("{ip_}/24")
        };
        for (action, want, copies) in [("start", 0, 1), ("monitor", 0, 1), ("stop", 0, 0)] {
            let codes: Vec<Run> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..10).map(|_| s.spawn(|| run(&lab, action, &e))).collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for r in &codes {
                assert_eq!(r.code, want, "{ip_} concurrent {action}: {r:?}");
            }
            assert_eq!(
                count_anywhere(&lab, &cidr),
                copies,
                "{ip_} after concurrent {action}"
            );
        }
    }
    assert_eq!(kernel_state(&lab), before);
}

/// The primary address of a subnet is stopped while another resource adds an address in the
/// same subnet, between stop's look at the secondaries and its delete. The kernel deletes the
/// secondaries of a removed primary unless promote_secondaries is on; the newcomer must
/// survive. (The delete is held back with strace so the window is certain.)
#[test]
fn race_primary_stopped_while_a_secondary_is_added() {
    let (lab, before) = settled_lab("pr");
    lab.sh(
        "sysctl -qw net.ipv4.conf.all.promote_secondaries=0 net.ipv4.conf.v1.promote_secondaries=0",
    );
    let a = env(&[
        ("ip", "198.51.100.10"),
        ("nic", "v1"),
        ("cidr_netmask", "24"),
        ("arp_count", "0"),
    ]);
    let b = env(&[
        ("ip", "198.51.100.11"),
        ("nic", "v1"),
        ("cidr_netmask", "24"),
        ("arp_count", "0"),
        ("arp_probe", "0"),
    ]);
    assert_eq!(run(&lab, "start", &a).code, 0);
    // Which sendto of stop is the RTM_DELADDR?
    let trace = format!("/tmp/{}-race.trace", lab.ns);
    let strace = super::faults::which("strace");
    let mut c = Command::new("ip");
    c.args([
        "netns",
        "exec",
        &lab.ns,
        &strace,
        "-qq",
        "-o",
        &trace,
        "-e",
        "trace=sendto",
        bin(),
        "stop",
    ]);
    assert_eq!(run_env(c, &a).code, 0);
    let calls = std::fs::read_to_string(&trace).unwrap();
    let k = calls
        .lines()
        .position(|l| l.contains("RTM_DELADDR"))
        .expect("stop sent RTM_DELADDR")
        + 1;
    assert_eq!(run(&lab, "start", &a).code, 0);
    std::fs::remove_file(&trace).unwrap();
    // Hold stop's delete for 2 s; add b meanwhile.
    let mut c = Command::new("ip");
    c.args([
        "netns",
        "exec",
        &lab.ns,
        &strace,
        "-qq",
        "-o",
        &trace,
        "-e",
        "trace=sendto",
        "-e",
    ])
    .arg(format!("inject=sendto:delay_enter=2000000:when={k}"))
    .args([bin(), "stop"]);
    let stopper = std::thread::spawn(move || run_env(c, &a));
    let t0 = Instant::now();
    while !std::fs::read_to_string(&trace)
        .unwrap_or_default()
        .contains("RTM_DELADDR")
    {
        assert!(t0.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(run(&lab, "start", &b).code, 0);
    assert!(lab.has("v1", "198.51.100.11/24"));
    let r = stopper.join().unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    let _ = std::fs::remove_file(&trace);
    let after = lab.cidrs("v1");
    let r = run(&lab, "monitor", &b);
    let _ = run(&lab, "stop", &b);
    assert!(
        after.contains(&"198.51.100.11/24".to_owned()) && r.code == 0,
        "stopping the primary 198.51.100.10 took 198.51.100.11 with it: {after:?}, monitor {r:?}"
    );
    assert_eq!(kernel_state(&lab), before);
}
