//! Announcements end with the address: a capture on the peer counts the gratuitous ARPs and
//! unsolicited neighbour advertisements for the address that arrive after stop returned (or
//! after the address left by other means). There must be none.

use ifaddr_tests::capture::{now_ns, Capture};
use ifaddr_tests::*;
use std::net::IpAddr;
use std::time::{Duration, Instant};

const V4: &str = "192.0.2.200";
const V6: &str = "2001:db8::200";

fn env<'a>(ip: &'a str, count: &'a str, interval: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut e = vec![
        ("OCF_RESKEY_ip", ip),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_arp_count", count),
        ("OCF_RESKEY_arp_interval", interval),
    ];
    if ip.contains(':') {
        e.push(("OCF_RESKEY_cidr_netmask", "64"));
        e.push(("OCF_RESKEY_nodad", "true"));
    } else {
        e.push(("OCF_RESKEY_cidr_netmask", "24"));
    }
    e
}

/// Start, wait `after_start`, stop; return (announcements before stop returned, after it).
fn start_then_stop(
    lab: &Lab,
    ip: &str,
    count: &str,
    interval: &str,
    after_start: Duration,
) -> (usize, usize) {
    let e = env(ip, count, interval);
    let cap = Capture::start(&lab.peer, "v1p", ip.parse::<IpAddr>().unwrap());
    let r = lab.run("start", &e);
    assert_eq!(r.code, 0, "start: {r:?}");
    std::thread::sleep(after_start);
    let r = lab.run("stop", &e);
    let stopped = now_ns();
    assert_eq!(r.code, 0, "stop: {r:?}");
    // Longer than the interval: anything still announcing would be seen.
    let linger = Duration::from_millis(interval.parse::<u64>().unwrap() * 3 + 300);
    std::thread::sleep(linger);
    let seen = cap.finish();
    let after = seen.iter().filter(|s| s.at_ns > stopped).count();
    (seen.len() - after, after)
}

fn no_announcement_after_stop(tag: &str, ip: &str, count: &str, interval: &str, after_ms: u64) {
    let lab = Lab::new(tag);
    let (before, after) =
        start_then_stop(&lab, ip, count, interval, Duration::from_millis(after_ms));
    eprintln!("{ip} arp_count={count} arp_interval={interval} stop after {after_ms} ms: {before} before stop returned, {after} after");
    assert!(before >= 1, "the capture saw no announcement at all");
    assert_eq!(
        after, 0,
        "{after} announcements for {ip} after stop returned ({before} before)"
    );
}

#[test]
fn v4_long_interval_ends_with_stop() {
    no_announcement_after_stop("A", V4, "30", "100", 250);
}

#[test]
fn v6_long_interval_ends_with_stop() {
    no_announcement_after_stop("B", V6, "30", "100", 250);
}

#[test]
fn v4_short_interval_ends_with_stop() {
    no_announcement_after_stop("C", V4, "50", "20", 100);
}

#[test]
fn v6_short_interval_ends_with_stop() {
    no_announcement_after_stop("D", V6, "50", "20", 100);
}

/// Stop while announcements go out back to back (1 ms apart): whenever stop lands, even in the
/// middle of a send, nothing arrives after it returned.
fn stop_races_a_send(tag: &str, ip: &str) {
    let lab = Lab::new(tag);
    let mut total_after = 0;
    for (i, delay) in [0u64, 1, 2, 3, 5, 8, 13, 21].into_iter().enumerate() {
        let (before, after) = start_then_stop(&lab, ip, "100", "1", Duration::from_millis(delay));
        eprintln!("{ip} round {i}: stop {delay} ms after start: {before} before, {after} after");
        total_after += after;
    }
    assert_eq!(
        total_after, 0,
        "{total_after} announcements for {ip} after stop returned"
    );
}

#[test]
fn v4_stop_races_a_send() {
    stop_races_a_send("E", V4);
}

#[test]
fn v6_stop_races_a_send() {
    stop_races_a_send("F", V6);
}

/// The address leaves by other means (an administrator, another tool): the announcer notices
/// before its next send and sends nothing more for it.
fn removed_behind_the_agents_back(tag: &str, ip: &str, prefix: &str) {
    let lab = Lab::new(tag);
    let e = env(ip, "30", "50");
    let cap = Capture::start(&lab.peer, "v1p", ip.parse::<IpAddr>().unwrap());
    let r = lab.run("start", &e);
    assert_eq!(r.code, 0, "start: {r:?}");
    std::thread::sleep(Duration::from_millis(120));
    must(&format!("ip -n {} addr del {ip}/{prefix} dev v1", lab.ns));
    let gone = now_ns();
    std::thread::sleep(Duration::from_millis(400));
    let seen = cap.finish();
    let after = seen.iter().filter(|s| s.at_ns > gone).count();
    eprintln!("{ip}: {} before removal, {after} after", seen.len() - after);
    assert_eq!(
        after, 0,
        "{after} announcements for {ip} after it left the interface"
    );
}

#[test]
fn v4_announcer_stops_when_the_address_leaves() {
    removed_behind_the_agents_back("G", V4, "24");
}

#[test]
fn v6_announcer_stops_when_the_address_leaves() {
    removed_behind_the_agents_back("H", V6, "64");
}

/// A start that fails after adding the address (IPv6 duplicate address detection fails: the
/// peer already has it) announces nothing, then or later.
#[test]
fn failed_start_announces_nothing() {
    let lab = Lab::new("I");
    lab.peer_sh("ip addr add 2001:db8::200/64 dev v1p nodad");
    let e = [
        ("OCF_RESKEY_ip", V6),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_cidr_netmask", "64"),
        ("OCF_RESKEY_arp_count", "30"),
        ("OCF_RESKEY_arp_interval", "20"),
    ];
    let cap = Capture::start(&lab.peer, "v1p", V6.parse::<IpAddr>().unwrap());
    let r = lab.run("start", &e);
    assert_eq!(r.code, 1, "start: {r:?}");
    assert!(!lab.has("v1", "2001:db8::200/64"));
    std::thread::sleep(Duration::from_millis(300));
    let seen = cap.finish();
    assert_eq!(seen.len(), 0, "a failed start announced {V6}");
}

/// Stop returns promptly even when the announcer sleeps for long intervals: it ends the
/// announcer rather than waiting for it.
#[test]
fn stop_does_not_wait_for_the_interval() {
    let lab = Lab::new("J");
    let e = env(V4, "5", "10000");
    let r = lab.run("start", &e);
    assert_eq!(r.code, 0, "start: {r:?}");
    let t = Instant::now();
    let r = lab.run("stop", &e);
    assert_eq!(r.code, 0, "stop: {r:?}");
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        t.elapsed()
    );
}

/// The announcer is named in `${HA_RSCTMP}/ifaddr/announce-*` while it runs; stop ends it (the
/// process is gone, or a zombie waiting for its reaper) and the file goes with it. An announcer
/// that finishes by itself removes its file too.
#[test]
fn stop_ends_the_announcer_process_and_its_file() {
    let lab = Lab::new("K");
    let rsctmp = format!("/tmp/{}-rsctmp", lab.ns);
    // HA_RSCTMP exists (Pacemaker makes it); the agent makes only its own directory in it.
    std::fs::create_dir_all(&rsctmp).unwrap();
    let mut e = env(V4, "100", "100");
    e.push(("HA_RSCTMP", &rsctmp));
    let r = lab.run("start", &e);
    assert_eq!(r.code, 0, "start: {r:?}");
    let dir = std::path::Path::new(&rsctmp).join("ifaddr");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|d| d.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("announce-net") && name.ends_with("-192.0.2.200"),
        "{name}"
    );
    let pid: u32 = std::fs::read_to_string(&files[0])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let alive = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map(|s| !s.contains("State:\tZ"))
            .unwrap_or(false)
    };
    assert!(alive(pid), "announcer {pid} is not running");
    let r = lab.run("stop", &e);
    assert_eq!(r.code, 0, "stop: {r:?}");
    // Its lock is released when the kernel closes its files on exit, a moment before it
    // becomes a zombie: it can send nothing then, but give the exit a moment to finish.
    let t = Instant::now();
    while alive(pid) && t.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!alive(pid), "announcer {pid} survived stop");
    assert!(!files[0].exists(), "{} left behind", files[0].display());
    // One that finishes by itself.
    let mut e = env(V4, "2", "10");
    e.push(("HA_RSCTMP", &rsctmp));
    let r = lab.run("start", &e);
    assert_eq!(r.code, 0, "start: {r:?}");
    std::thread::sleep(Duration::from_millis(300));
    let left = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(left, 0, "files left in {}", dir.display());
    let _ = std::fs::remove_dir_all(&rsctmp);
}

/// A start that finds the address already there (added by hand, or left by a split brain that
/// Pacemaker just resolved) announces it all the same, so clients that learnt another node's
/// hardware address for it come back: IPv4 and IPv6.
#[test]
fn start_on_an_address_already_there_announces_it() {
    for (tag, ip, cidr) in [("G", V4, "24"), ("H", V6, "64")] {
        let lab = Lab::new(tag);
        lab.sh(&format!("ip addr add {ip}/{cidr} dev v1 nodad"));
        let e = env(ip, "2", "50");
        let cap = Capture::start(&lab.peer, "v1p", ip.parse::<IpAddr>().unwrap());
        let r = lab.run("start", &e);
        assert_eq!(r.code, 0, "start: {r:?}");
        std::thread::sleep(Duration::from_millis(400));
        let seen = cap.finish();
        assert_eq!(seen.len(), 2, "{ip}: {} announcements, not 2", seen.len());
        assert_eq!(lab.run("stop", &e).code, 0);
    }
}
