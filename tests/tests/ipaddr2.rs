//! IPaddr2 parity on a real kernel: every IPaddr2 parameter is either advertised and works with
//! IPaddr2's meaning, or refused with exit 6 and a reason that names it.

use ifaddr_tests::capture::{now_ns, Capture};
use ifaddr_tests::*;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Every parameter of ocf:heartbeat:IPaddr2: resource-agents 4.12 (Debian 12's
/// /usr/lib/ocf/resource.d/heartbeat/IPaddr2 meta-data), plus those the main branch added
/// since (`proto`, ClusterLabs/resource-agents#1980; `check_link_status`, #2056) and `metric`
/// (#2210, proposed). With, for each, a value that turns it on.
const IPADDR2: &[(&str, &str)] = &[
    ("ip", "192.0.2.200"),
    ("nic", "v1"),
    ("cidr_netmask", "24"),
    ("broadcast", "192.0.2.255"),
    ("iflabel", "web"),
    ("lvs_support", "true"),
    ("lvs_ipv6_addrlabel", "true"),
    ("lvs_ipv6_addrlabel_value", "99"),
    ("mac", "01:00:5e:00:00:01"),
    ("clusterip_hash", "sourceip-sourceport"),
    ("unique_clone_address", "true"),
    ("arp_interval", "200"),
    ("arp_count", "5"),
    ("arp_count_refresh", "1"),
    ("arp_bg", "false"),
    ("arp_sender", "iputils_arping"),
    ("send_arp_opts", "-A"),
    ("flush_routes", "true"),
    ("run_arping", "true"),
    ("nodad", "true"),
    ("noprefixroute", "true"),
    ("preferred_lft", "0"),
    ("network_namespace", "NS"),
    ("check_link_status", "false"),
    ("proto", "kernel"),
    ("metric", "100"),
];

fn advertised() -> Vec<String> {
    let out = std::process::Command::new(bin())
        .arg("meta-data")
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<parameter name=\""))
        .map(|l| l.split('"').next().unwrap().to_owned())
        .collect()
}

/// Each IPaddr2 parameter, set to a value that asks for its feature: either meta-data lists it
/// and validate-all accepts it, or validate-all refuses it with 6 and a reason naming it.
#[test]
fn every_ipaddr2_parameter_is_answered() {
    let lab = Lab::new("P");
    // network_namespace names the lab's own namespace (it must exist).
    let listed = advertised();
    let mut answers = Vec::new();
    for (name, value) in IPADDR2 {
        let value = if *name == "network_namespace" {
            lab.ns.as_str()
        } else {
            value
        };
        let v6 = matches!(*name, "nodad" | "preferred_lft" | "lvs_ipv6_addrlabel");
        let mut env = vec![(
            "OCF_RESKEY_ip",
            if v6 { "2001:db8::200" } else { "192.0.2.200" },
        )];
        let key = format!("OCF_RESKEY_{name}");
        if *name != "ip" {
            env.push((key.as_str(), value));
        }
        if *name == "noprefixroute" || *name == "proto" || *name == "iflabel" {
            env.push(("OCF_RESKEY_nic", "v1"));
        }
        let r = lab.run("validate-all", &env);
        if listed.iter().any(|l| l == name) {
            assert_eq!(r.code, 0, "{name}={value} is advertised but refused: {r:?}");
            answers.push(format!("{name}: implemented"));
        } else {
            assert_eq!(
                r.code, 6,
                "{name}={value} is neither advertised nor refused: {r:?}"
            );
            let reason = r.reason();
            assert!(
                reason.contains(name),
                "{name}: the reason does not name it: {reason}"
            );
            answers.push(format!("{name}: refused: {reason}"));
        }
    }
    eprintln!("{}", answers.join("\n"));
}

fn cap(lab: &Lab, ip: &str) -> Capture {
    Capture::start(&lab.peer, "v1p", ip.parse::<IpAddr>().unwrap())
}

/// arp_bg=false: start returns after the last announcement, and none follows it.
#[test]
fn arp_bg_false_announces_before_start_returns() {
    let lab = Lab::new("Q");
    for (ip, extra) in [
        ("192.0.2.200", ("OCF_RESKEY_cidr_netmask", "24")),
        ("2001:db8::200", ("OCF_RESKEY_nodad", "true")),
    ] {
        let env = [
            ("OCF_RESKEY_ip", ip),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESKEY_arp_count", "4"),
            ("OCF_RESKEY_arp_interval", "50"),
            ("OCF_RESKEY_arp_bg", "false"),
            extra,
        ];
        let c = cap(&lab, ip);
        let t = Instant::now();
        let r = lab.run("start", &env);
        let took = t.elapsed();
        let returned = now_ns();
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            took >= Duration::from_millis(150),
            "{ip}: start took {took:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
        let seen = c.finish();
        let after = seen.iter().filter(|s| s.at_ns > returned).count();
        assert_eq!(
            (seen.len(), after),
            (4, 0),
            "{ip}: (announcements, after start)"
        );
        assert_eq!(lab.run("stop", &env).code, 0);
    }
}

/// arp_count_refresh: a recurring monitor that finds the address healthy announces it; it waits
/// for the first announcement only, a probe sends none, and stop ends the rest.
#[test]
fn arp_count_refresh_on_recurring_monitors() {
    let lab = Lab::new("R");
    for (ip, extra) in [
        ("192.0.2.200", ("OCF_RESKEY_cidr_netmask", "24")),
        ("2001:db8::200", ("OCF_RESKEY_nodad", "true")),
    ] {
        let mut env = vec![
            ("OCF_RESKEY_ip", ip),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESKEY_arp_count", "0"),
            ("OCF_RESKEY_arp_count_refresh", "3"),
            ("OCF_RESKEY_arp_interval", "400"),
            extra,
        ];
        assert_eq!(lab.run("start", &env).code, 0);
        // A probe: no announcement.
        let c = cap(&lab, ip);
        assert_eq!(lab.run("monitor", &env).code, 0);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(c.finish().len(), 0, "{ip}: a probe announced");
        // A recurring monitor: the first before it returns, well before the second is due.
        env.push(("OCF_RESKEY_CRM_meta_interval", "10000"));
        let c = cap(&lab, ip);
        let t = Instant::now();
        let r = lab.run("monitor", &env);
        let took = t.elapsed();
        let returned = now_ns();
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            took < Duration::from_millis(300),
            "{ip}: monitor took {took:?}"
        );
        std::thread::sleep(Duration::from_millis(1000));
        let seen = c.finish();
        let before = seen.iter().filter(|s| s.at_ns <= returned).count();
        assert_eq!(
            (before, seen.len()),
            (1, 3),
            "{ip}: (before monitor returned, all)"
        );
        // Stop in the middle of a refresh: nothing after it.
        let c = cap(&lab, ip);
        assert_eq!(lab.run("monitor", &env).code, 0);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(lab.run("stop", &env).code, 0);
        let stopped = now_ns();
        std::thread::sleep(Duration::from_millis(1000));
        let seen = c.finish();
        let after = seen.iter().filter(|s| s.at_ns > stopped).count();
        assert_eq!((seen.len(), after), (1, 0), "{ip}: (all, after stop)");
    }
}

#[test]
fn check_link_status_false_ignores_the_link_state() {
    let lab = Lab::new("S");
    let base = [
        ("OCF_RESKEY_ip", "192.0.2.200"),
        ("OCF_RESKEY_nic", "v1"),
        // A down interface loses its connected routes: the prefix cannot be detected then.
        ("OCF_RESKEY_cidr_netmask", "24"),
        ("OCF_RESKEY_arp_count", "0"),
        ("OCF_CHECK_LEVEL", "10"),
        ("OCF_RESKEY_CRM_meta_interval", "10000"),
    ];
    let mut off = base.to_vec();
    off.push(("OCF_RESKEY_check_link_status", "false"));
    assert_eq!(lab.run("start", &base).code, 0);
    // No carrier (the peer is down), then administratively down.
    lab.peer_sh("ip link set v1p down");
    assert_eq!(lab.run("monitor", &base).code, 1);
    assert_eq!(lab.run("monitor", &off).code, 0);
    lab.sh("ip link set v1 down");
    let r = lab.run("monitor", &base);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains("down"), "{r:?}");
    assert_eq!(lab.run("monitor", &off).code, 0);
    // Start on a down interface: refused by default, done with check_link_status=false.
    assert_eq!(lab.run("stop", &base).code, 0);
    let r = lab.run("start", &base);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains("check_link_status"), "{r:?}");
    assert!(!lab.has("v1", "192.0.2.200/24"));
    assert_eq!(lab.run("start", &off).code, 0);
    assert!(lab.has("v1", "192.0.2.200/24"));
    assert_eq!(lab.run("stop", &off).code, 0);
}

fn routes(lab: &Lab, family: &str) -> String {
    must(&format!("ip -n {} {family} route show dev v1", lab.ns))
}

#[test]
fn noprefixroute_and_metric() {
    let lab = Lab::new("T");
    for (ip, prefix, net, family) in [
        ("198.51.100.200", "24", "198.51.100.0/24", "-4"),
        ("2001:db8:1::200", "64", "2001:db8:1::/64", "-6"),
    ] {
        let env = |extra: (&'static str, &'static str)| {
            vec![
                ("OCF_RESKEY_ip", ip),
                ("OCF_RESKEY_nic", "v1"),
                ("OCF_RESKEY_cidr_netmask", prefix),
                ("OCF_RESKEY_nodad", if family == "-6" { "true" } else { "" }),
                ("OCF_RESKEY_arp_count", "0"),
                extra,
            ]
        };
        let e = env(("OCF_RESKEY_noprefixroute", "true"));
        assert_eq!(lab.run("start", &e).code, 0);
        assert!(lab.has("v1", &format!("{ip}/{prefix}")));
        assert!(
            !routes(&lab, family).contains(net),
            "{}",
            routes(&lab, family)
        );
        assert_eq!(lab.run("monitor", &e).code, 0);
        assert_eq!(lab.run("stop", &e).code, 0);
        let e = env(("OCF_RESKEY_metric", "321"));
        assert_eq!(lab.run("start", &e).code, 0);
        let r = routes(&lab, family);
        assert!(
            r.lines()
                .any(|l| l.starts_with(net) && l.contains("metric 321")),
            "{r}"
        );
        assert_eq!(lab.run("monitor", &e).code, 0);
        assert_eq!(lab.run("stop", &e).code, 0);
        assert!(!routes(&lab, family).contains(net));
    }
}

#[test]
fn proto_restricts_detection_to_that_protocol() {
    let lab = Lab::new("U");
    // A static route (no address) covers 198.51.100.0/24 on v1.
    lab.sh("ip route add 198.51.100.0/24 dev v1 proto static");
    let env = |proto: &'static str| {
        vec![
            ("OCF_RESKEY_ip", "198.51.100.200"),
            ("OCF_RESKEY_arp_count", "0"),
            ("OCF_RESKEY_proto", proto),
        ]
    };
    let r = lab.run("validate-all", &env("kernel"));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.reason().contains("no connected route"), "{r:?}");
    assert!(!lab.has("v1", "198.51.100.200/24"));
    assert_eq!(lab.run("start", &env("static")).code, 0);
    assert!(lab.has("v1", "198.51.100.200/24"));
    assert_eq!(lab.run("stop", &env("static")).code, 0);
}

#[test]
fn flush_routes_on_stop() {
    let lab = Lab::new("V");
    let env = [
        ("OCF_RESKEY_ip", "192.0.2.200"),
        ("OCF_RESKEY_arp_count", "0"),
        ("OCF_RESKEY_flush_routes", "true"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    let trace = format!("/tmp/{}-flush.trace", lab.ns);
    let mut c = std::process::Command::new("ip");
    c.args([
        "netns",
        "exec",
        &lab.ns,
        "strace",
        "-qq",
        "-o",
        &trace,
        "-e",
        "trace=openat",
        bin(),
        "stop",
    ]);
    let r = run_cmd(c, &env);
    assert_eq!(r.code, 0, "{r:?}");
    let t = std::fs::read_to_string(&trace).unwrap();
    let _ = std::fs::remove_file(&trace);
    assert!(t.contains("/proc/sys/net/ipv4/route/flush"), "{t}");
    assert!(t.contains("/proc/sys/net/ipv6/route/flush"), "{t}");
    assert!(!lab.has("v1", "192.0.2.200/24"));
}

#[test]
fn legacy_nic_label_form() {
    let lab = Lab::new("W");
    let env = [
        ("OCF_RESKEY_ip", "192.0.2.200"),
        ("OCF_RESKEY_nic", "v1:web"),
        ("OCF_RESKEY_arp_count", "0"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    let a = lab.addrs("v1");
    assert!(
        a.iter()
            .any(|l| l.contains("192.0.2.200/24") && l.contains("v1:web")),
        "{a:?}"
    );
    assert_eq!(lab.run("monitor", &env).code, 0);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab.has("v1", "192.0.2.200/24"));
}

#[test]
fn lvs_support_moves_the_loopback_copy_out_and_back() {
    let lab = Lab::new("X");
    // An LVS-DR real server's copy of the VIP on lo.
    lab.sh("ip addr add 192.0.2.200/32 dev lo");
    let env = [
        ("OCF_RESKEY_ip", "192.0.2.200"),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_arp_count", "0"),
        ("OCF_RESKEY_lvs_support", "true"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    assert!(lab.has("v1", "192.0.2.200/24"));
    assert!(!lab.has("lo", "192.0.2.200/32"));
    assert_eq!(lab.run("monitor", &env).code, 0);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab.has("v1", "192.0.2.200/24"));
    assert!(lab.has("lo", "192.0.2.200/32"), "{:?}", lab.addrs("lo"));
    // Without a loopback copy, nothing appears on lo.
    lab.sh("ip addr del 192.0.2.200/32 dev lo");
    assert_eq!(lab.run("start", &env).code, 0);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab.has("lo", "192.0.2.200/32"));
    // A start that fails after taking it off lo puts it back.
    lab.sh("ip addr add 192.0.2.200/32 dev lo");
    lab.peer_sh("ip addr add 192.0.2.200/24 dev v1p");
    let mut probing = env.to_vec();
    probing.push(("OCF_RESKEY_run_arping", "true"));
    let r = lab.run("start", &probing);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(!lab.has("v1", "192.0.2.200/24"));
    assert!(lab.has("lo", "192.0.2.200/32"), "{:?}", lab.addrs("lo"));
}

#[test]
fn lvs_ipv6_addrlabel_labels_the_address_while_started() {
    let lab = Lab::new("Y");
    let env = [
        ("OCF_RESKEY_ip", "2001:db8::200"),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_nodad", "true"),
        ("OCF_RESKEY_arp_count", "0"),
        ("OCF_RESKEY_lvs_ipv6_addrlabel", "true"),
        ("OCF_RESKEY_lvs_ipv6_addrlabel_value", "77"),
    ];
    let labels = || must(&format!("ip -n {} addrlabel list", lab.ns));
    assert_eq!(lab.run("start", &env).code, 0);
    assert!(
        labels().contains("prefix 2001:db8::200/128 label 77"),
        "{}",
        labels()
    );
    // Idempotent.
    assert_eq!(lab.run("start", &env).code, 0);
    assert_eq!(lab.run("monitor", &env).code, 0);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!labels().contains("2001:db8::200"), "{}", labels());
    assert_eq!(lab.run("stop", &env).code, 0);
    // A start that fails (duplicate address) leaves no label behind.
    lab.peer_sh("ip addr add 2001:db8::200/64 dev v1p nodad");
    let dad: Vec<_> = env
        .iter()
        .filter(|(k, _)| *k != "OCF_RESKEY_nodad")
        .copied()
        .collect();
    let r = lab.run("start", &dad);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(!labels().contains("2001:db8::200"), "{}", labels());
}

/// An IPv6 link-local address with nic (a floating gateway address, as VRRPv3 routers use):
/// added, announced, monitored and removed on that interface; without nic, refused with 6.
#[test]
fn ipv6_link_local_with_nic() {
    let lab = Lab::new("Z");
    let env = [
        ("OCF_RESKEY_ip", "fe80::2"),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_arp_count", "2"),
        ("OCF_RESKEY_arp_interval", "20"),
    ];
    let on_v1 = || must(&format!("ip -n {} -6 addr show dev v1", lab.ns));
    let c = cap(&lab, "fe80::2");
    let r = lab.run("start", &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        on_v1().contains("inet6 fe80::2/64 scope link"),
        "{}",
        on_v1()
    );
    let r = lab.run("monitor", &env);
    assert_eq!(r.code, 0, "{r:?}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(c.finish().len(), 2, "neighbour advertisements for fe80::2");
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!on_v1().contains("fe80::2/"), "{}", on_v1());
    let r = lab.run("validate-all", &[("OCF_RESKEY_ip", "fe80::2")]);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(r.reason().contains("nic"), "{r:?}");
}
