//! The agent on a real kernel: every action for IPv4 and IPv6, with the nic given and detected,
//! idempotency, changes behind the agent's back, vanished interfaces and bad parameters.
//! Kernel state is read back with iproute2, not with the agent's own code.

use ifaddr_tests::*;

const V4: &str = "192.0.2.200";
const V6: &str = "2001:db8::200";

fn ip(v: &str) -> (&'static str, &str) {
    ("OCF_RESKEY_ip", v)
}

const RECURRING: (&str, &str) = ("OCF_RESKEY_CRM_meta_interval", "10000");

#[test]
fn v4_lifecycle_with_nic() {
    let lab = Lab::new("a");
    let env = [
        ip(V4),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_cidr_netmask", "24"),
    ];
    let before = lab.addrs("v1");
    assert_eq!(lab.run("monitor", &env).code, 7);
    let r = lab.run("start", &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.reasons().is_empty());
    let after = lab.addrs("v1");
    assert!(
        after.iter().any(|l| l.starts_with("inet 192.0.2.200/24 brd 192.0.2.255 scope global secondary v1")),
        "{after:?}"
    );
    assert_eq!(lab.run("monitor", &env).code, 0);
    assert_eq!(
        lab.run("monitor", &[env[0], env[1], env[2], RECURRING])
            .code,
        0
    );
    assert_eq!(lab.run("start", &env).code, 0, "start is idempotent");
    assert_eq!(lab.addrs("v1"), after, "a second start changes nothing");
    assert_eq!(lab.run("stop", &env).code, 0);
    assert_eq!(lab.addrs("v1"), before, "stop removes exactly the address");
    assert_eq!(lab.run("stop", &env).code, 0, "stop is idempotent");
    assert_eq!(lab.run("monitor", &env).code, 7);
}

#[test]
fn v4_nic_and_prefix_detected() {
    let lab = Lab::new("b");
    let env = [ip(V4)];
    assert_eq!(lab.run("validate-all", &env).code, 0);
    assert_eq!(lab.run("start", &env).code, 0);
    assert!(lab.has("v1", "192.0.2.200/24"), "{:?}", lab.addrs("v1"));
    assert_eq!(lab.run("monitor", &env).code, 0);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab.has("v1", "192.0.2.200/24"));
    assert_eq!(lab.run("monitor", &env).code, 7);
}

#[test]
fn nic_detection_takes_the_longest_prefix() {
    let lab = Lab::new("c");
    lab.sh("ip link add v2 type veth peer name v2p && ip link set v2 up && ip link set v2p up && ip addr add 192.0.2.129/25 dev v2");
    let env = [ip(V4)];
    assert_eq!(lab.run("start", &env).code, 0);
    assert!(lab.has("v2", "192.0.2.200/25"), "{:?}", lab.addrs("v2"));
    assert!(!lab.has("v1", "192.0.2.200/24"));
    assert_eq!(lab.run("monitor", &env).code, 0);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab.has("v2", "192.0.2.200/25"));
}

#[test]
fn v4_dotted_netmask_and_explicit_broadcast() {
    let lab = Lab::new("d");
    let env = [
        ip(V4),
        ("OCF_RESKEY_cidr_netmask", "255.255.255.0"),
        ("OCF_RESKEY_broadcast", "192.0.2.255"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    assert!(lab
        .addrs("v1")
        .iter()
        .any(|l| l.contains("192.0.2.200/24 brd 192.0.2.255")));
    assert_eq!(lab.run("stop", &env).code, 0);
}

#[test]
fn v4_label() {
    let lab = Lab::new("e");
    let env = [
        ip(V4),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_iflabel", "vip"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    assert!(
        lab.addrs("v1")
            .iter()
            .any(|l| l.contains("192.0.2.200/24") && l.contains(" v1:vip")),
        "{:?}",
        lab.addrs("v1")
    );
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab.has("v1", "192.0.2.200/24"));
}

#[test]
fn v6_lifecycle_waits_for_dad() {
    let lab = Lab::new("f");
    let env = [ip(V6), ("OCF_RESKEY_nic", "v1")];
    assert_eq!(lab.run("monitor", &env).code, 7);
    let r = lab.run("start", &env);
    assert_eq!(r.code, 0, "{r:?}");
    let line = lab
        .addrs("v1")
        .into_iter()
        .find(|l| l.contains("2001:db8::200/64"))
        .expect("added");
    assert!(
        !line.contains("tentative"),
        "start returned before DAD finished: {line}"
    );
    assert_eq!(lab.run("monitor", &env).code, 0);
    assert_eq!(lab.run("start", &env).code, 0);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab.has("v1", "2001:db8::200/64"));
    assert_eq!(lab.run("stop", &env).code, 0);
    assert_eq!(lab.run("monitor", &env).code, 7);
}

#[test]
fn v6_detected_nodad_and_preferred_lifetime() {
    let lab = Lab::new("g");
    let env = [
        ip(V6),
        ("OCF_RESKEY_nodad", "true"),
        ("OCF_RESKEY_preferred_lft", "0"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    let line = lab
        .addrs("v1")
        .into_iter()
        .find(|l| l.contains("2001:db8::200/64"))
        .expect("added");
    assert!(line.contains("deprecated"), "{line}");
    assert!(!line.contains("tentative"), "{line}");
    assert_eq!(lab.run("monitor", &env).code, 0);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab.has("v1", "2001:db8::200/64"));
}

#[test]
fn v6_duplicate_is_refused_and_removed() {
    let lab = Lab::new("h");
    lab.peer_sh("ip addr add 2001:db8::200/64 dev v1p nodad");
    let before = lab.addrs("v1");
    let r = lab.run("start", &[ip(V6), ("OCF_RESKEY_nic", "v1")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains("duplicate address"), "{r:?}");
    assert_eq!(
        lab.addrs("v1"),
        before,
        "a failed start leaves nothing behind"
    );
}

#[test]
fn address_removed_behind_the_agents_back() {
    let lab = Lab::new("i");
    let env = [ip(V4), ("OCF_RESKEY_nic", "v1")];
    assert_eq!(lab.run("start", &env).code, 0);
    lab.sh("ip addr del 192.0.2.200/24 dev v1");
    assert_eq!(lab.run("monitor", &[env[0], env[1], RECURRING]).code, 7);
    assert_eq!(lab.run("stop", &env).code, 0);
    assert_eq!(lab.run("start", &env).code, 0);
    assert!(lab.has("v1", "192.0.2.200/24"));
}

#[test]
fn prefix_replaced_behind_the_agents_back() {
    let lab = Lab::new("j");
    let env = [
        ip(V4),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_cidr_netmask", "24"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    lab.sh("ip addr del 192.0.2.200/24 dev v1 && ip addr add 192.0.2.200/25 dev v1");
    let r = lab.run("monitor", &env);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains("/25"), "{r:?}");
    // start replaces it with the configured prefix.
    assert_eq!(lab.run("start", &env).code, 0);
    assert!(lab.has("v1", "192.0.2.200/24"));
    assert!(!lab.has("v1", "192.0.2.200/25"));
    assert_eq!(lab.run("stop", &env).code, 0);
    assert!(!lab
        .cidrs("v1")
        .iter()
        .any(|c| c.starts_with("192.0.2.200/")));
}

#[test]
fn vanished_interface() {
    let lab = Lab::new("k");
    let env = [ip(V4), ("OCF_RESKEY_nic", "v1")];
    assert_eq!(lab.run("start", &env).code, 0);
    lab.sh("ip link del v1");
    assert_eq!(lab.run("monitor", &env).code, 7, "a probe sees it stopped");
    let r = lab.run("monitor", &[env[0], env[1], RECURRING]);
    assert_eq!(r.code, 1, "a recurring monitor fails: {r:?}");
    assert!(r.reason().contains("v1"), "{r:?}");
    assert_eq!(
        lab.run("stop", &env).code,
        0,
        "a vanished interface means stopped"
    );
    let r = lab.run("start", &env);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(lab.run("validate-all", &env).code, 2);
}

/// A network namespace that does not exist, like a vanished nic: the address is gone with it.
/// Stop succeeds, a probe finds it stopped, a recurring monitor fails, start cannot work.
#[test]
fn vanished_network_namespace() {
    let lab = Lab::new("g");
    let ns = format!("{}gone", lab.ns);
    let env = [ip(V4), ("OCF_RESKEY_network_namespace", ns.as_str())];
    let why = format!("network namespace {ns} does not exist");
    let r = lab.run("stop", &env);
    assert_eq!((r.code, r.reasons().len()), (0, 0), "{r:?}");
    let r = lab.run("monitor", &env);
    assert_eq!((r.code, r.reasons().len()), (7, 0), "{r:?}");
    let r = lab.run("monitor", &[env[0], env[1], RECURRING]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains(&why), "{r:?}");
    for action in ["start", "validate-all"] {
        let r = lab.run(action, &env);
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.reason().contains(&why), "{r:?}");
    }
}

/// Pacemaker's own values (`CRM_meta_*`, `OCF_CHECK_LEVEL`, `HA_*`) never fail an action:
/// one that is malformed is replaced by its default, with a warning naming it. Above all stop
/// still removes the address (a failed stop gets the node fenced).
#[test]
fn junk_pacemaker_values_fall_back_to_their_defaults() {
    let lab = Lab::new("j");
    let junk: &[(&str, &str)] = &[
        ("OCF_RESKEY_CRM_meta_timeout", "soon"),
        ("OCF_RESKEY_CRM_meta_timeout", "-1"),
        ("OCF_RESKEY_CRM_meta_interval", "10s"),
        ("OCF_CHECK_LEVEL", "deep"),
        ("OCF_CHECK_LEVEL", "1001"),
        ("HA_debug", "perhaps"),
        ("HA_LOGFACILITY", "nowhere"),
        ("HA_RSCTMP", "relative/dir"),
        ("HA_LOGFILE", "/nonexistent/dir/ifaddr.log"),
    ];
    let name = |k: &str| k.trim_start_matches("OCF_RESKEY_").to_owned();
    // Each alone with IPv4, then all at once with IPv6 (waiting for its duplicate address
    // detection under the default timeout).
    type Set<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);
    let mut sets: Vec<Set> = junk
        .iter()
        .map(|kv| (V4, "192.0.2.200/24", vec![*kv]))
        .collect();
    let mut all: Vec<(&str, &str)> = Vec::new();
    for kv in junk {
        if !all.iter().any(|(k, _)| k == &kv.0) {
            all.push(*kv);
        }
    }
    sets.push((V6, "2001:db8::200/64", all));
    for (addr, cidr, extra) in &sets {
        let mut env = vec![
            ip(addr),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESKEY_arp_count", "1"),
        ];
        env.extend(extra.iter().copied());
        let warned = |r: &Run| extra.iter().all(|(k, _)| r.stderr.contains(&name(k)));
        let r = lab.run("start", &env);
        assert_eq!(
            (r.code, r.reasons().len()),
            (0, 0),
            "start {extra:?}: {r:?}"
        );
        assert!(warned(&r), "start {extra:?} without a warning: {r:?}");
        assert!(
            lab.has("v1", cidr),
            "start {extra:?}: {:?}",
            lab.addrs("v1")
        );
        for more in [None, Some(RECURRING)] {
            let mut e = env.clone();
            e.extend(more);
            let r = lab.run("monitor", &e);
            assert_eq!((r.code, r.reasons().len()), (0, 0), "monitor {e:?}: {r:?}");
        }
        let r = lab.run("validate-all", &env);
        assert_eq!(
            (r.code, r.reasons().len()),
            (0, 0),
            "validate-all {extra:?}: {r:?}"
        );
        let r = lab.run("stop", &env);
        assert_eq!((r.code, r.reasons().len()), (0, 0), "stop {extra:?}: {r:?}");
        assert!(warned(&r), "stop {extra:?} without a warning: {r:?}");
        assert!(
            !lab.has("v1", cidr),
            "stop {extra:?}: {:?}",
            lab.addrs("v1")
        );
        let r = lab.run("monitor", &env);
        assert_eq!(r.code, 7, "after stop {extra:?}: {r:?}");
    }
}

#[test]
fn link_down_and_carrier() {
    let lab = Lab::new("l");
    let env = [ip(V4), ("OCF_RESKEY_nic", "v1")];
    assert_eq!(lab.run("start", &env).code, 0);
    // Peer down: v1 stays up but loses carrier. Depth 0 passes, depth 10 fails.
    lab.peer_sh("ip link set v1p down");
    assert_eq!(lab.run("monitor", &env).code, 0);
    let r = lab.run("monitor", &[env[0], env[1], ("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains("carrier"), "{r:?}");
    lab.peer_sh("ip link set v1p up");
    // Administratively down: a failure at any depth.
    lab.sh("ip link set v1 down");
    let r = lab.run("monitor", &env);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.reason().contains("down"), "{r:?}");
    assert_eq!(lab.run("stop", &env).code, 0);
}

#[test]
fn stopping_a_primary_keeps_its_secondaries() {
    let lab = Lab::new("m");
    lab.sh("ip addr flush dev v1");
    let env = [
        ip(V4),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_cidr_netmask", "24"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    lab.sh("ip addr add 192.0.2.1/24 dev v1 && ip addr add 192.0.2.3/24 dev v1");
    assert_eq!(lab.run("stop", &env).code, 0);
    let c = lab.cidrs("v1");
    assert!(
        c.contains(&"192.0.2.1/24".to_string()) && c.contains(&"192.0.2.3/24".to_string()),
        "{c:?}"
    );
    assert!(!c.contains(&"192.0.2.200/24".to_string()));
}

#[test]
fn network_namespace_parameter() {
    let lab = Lab::new("n");
    let env = [ip(V4), ("OCF_RESKEY_network_namespace", lab.ns.as_str())];
    let mut c = std::process::Command::new(bin());
    c.arg("start");
    assert_eq!(run_cmd(c, &env).code, 0);
    assert!(lab.has("v1", "192.0.2.200/24"));
    let mut c = std::process::Command::new(bin());
    c.arg("stop");
    assert_eq!(run_cmd(c, &env).code, 0);
    assert!(!lab.has("v1", "192.0.2.200/24"));
}

#[test]
fn announcements_update_the_neighbours() {
    let lab = Lab::new("o");
    let mac = lab.sh("cat /sys/class/net/v1/address").trim().to_owned();
    // The peer holds stale entries pointing elsewhere; announcements must override them.
    lab.peer_sh("ip neigh replace 192.0.2.200 lladdr 02:00:00:00:00:99 dev v1p nud stale && ip neigh replace 2001:db8::200 lladdr 02:00:00:00:00:99 dev v1p nud stale");
    let t0 = std::time::Instant::now();
    let r = lab.run(
        "start",
        &[
            ip(V4),
            ("OCF_RESKEY_arp_count", "5"),
            ("OCF_RESKEY_arp_interval", "200"),
        ],
    );
    let took = t0.elapsed();
    assert_eq!(r.code, 0, "{r:?}");
    // Five announcements 200 ms apart would take 800 ms; a background process sends them.
    assert!(
        took < std::time::Duration::from_millis(400),
        "start waited {took:?}"
    );
    // The first goes out at once: the peer's entry is corrected well before the second.
    let updated = |what: &str| {
        let t = std::time::Instant::now();
        loop {
            let n = lab.peer_sh(&format!("ip neigh show {what} dev v1p"));
            if n.contains(&mac) {
                return;
            }
            assert!(
                t.elapsed() < std::time::Duration::from_millis(150),
                "peer still has {n}, want {mac}"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    updated("192.0.2.200");
    let r = lab.run(
        "start",
        &[
            ip(V6),
            ("OCF_RESKEY_nodad", "1"),
            ("OCF_RESKEY_arp_count", "1"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    updated("2001:db8::200");
}

/// (environment, action, expected exit code, text the reason must contain)
type Case = (
    &'static [(&'static str, &'static str)],
    &'static str,
    i32,
    &'static str,
);

const BAD: &[Case] = &[
    (&[], "start", 6, "ip is required"),
    (
        &[("OCF_RESKEY_ip", "not_ip_address")],
        "start",
        6,
        "ip='not_ip_address'",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_cidr_netmask", "not_netmask"),
        ],
        "start",
        6,
        "cidr_netmask",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_cidr_netmask", "33"),
        ],
        "validate-all",
        6,
        "out of range",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_broadcast", "not_broadcast"),
        ],
        "start",
        6,
        "broadcast",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_nic", "v1;reboot"),
        ],
        "start",
        6,
        "nic",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_nic", "not_nic"),
        ],
        "start",
        2,
        "not_nic does not exist",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_nic", "not_nic"),
        ],
        "validate-all",
        2,
        "not_nic",
    ),
    (
        &[("OCF_RESKEY_ip", "198.51.100.9")],
        "start",
        2,
        "no connected route",
    ),
    (
        &[("OCF_RESKEY_ip", "198.51.100.9")],
        "validate-all",
        2,
        "no connected route",
    ),
    (&[("OCF_RESKEY_ip", "127.0.0.3")], "start", 6, "loopback"),
    (&[("OCF_RESKEY_ip", "fe80::2")], "start", 6, "link-local"),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_nodad", "true"),
        ],
        "start",
        6,
        "IPv6 addresses only",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_arp_count", "1000"),
        ],
        "start",
        6,
        "arp_count",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_carp_vhid", "3"),
        ],
        "start",
        2,
        "FreeBSD only",
    ),
    (
        &[("OCF_RESKEY_ip", "192.0.2.200"), ("OCF_RESKEY_jail", "web")],
        "validate-all",
        2,
        "FreeBSD only",
    ),
    (
        &[
            ("OCF_RESKEY_ip", "192.0.2.200"),
            ("OCF_RESKEY_cidr_netmask", "16"),
        ],
        "start",
        2,
        "wider than the connected route",
    ),
];

/// The routing tables, without the kernel's own link-local entries (their DAD finishes when it
/// does).
fn routes(lab: &Lab) -> String {
    lab.sh("ip -o route show table all")
        .lines()
        .filter(|l| !l.contains("fe80:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn bad_parameters_get_their_code_and_one_reason_and_change_nothing() {
    let lab = Lab::new("p");
    let before = (lab.addrs("v1"), routes(&lab));
    for (env, action, code, text) in BAD {
        let r = lab.run(action, env);
        assert_eq!(r.code, *code, "{action} {env:?}: {r:?}");
        assert!(
            r.reason().contains(text),
            "{action} {env:?}: reason {:?} lacks {text:?}",
            r.reason()
        );
        assert_eq!(
            (lab.addrs("v1"), routes(&lab)),
            before,
            "{env:?} changed the system"
        );
    }
}

#[test]
fn actions_and_metadata() {
    let lab = Lab::new("q");
    assert_eq!(lab.run("no_cmd", &[ip(V4)]).code, 3);
    assert_eq!(
        lab.run("reload-agent", &[ip(V4)]).code,
        3,
        "reload-agent needs OCF 1.1"
    );
    let v11 = [
        ip(V4),
        ("OCF_RA_VERSION_MAJOR", "1"),
        ("OCF_RA_VERSION_MINOR", "1"),
    ];
    assert_eq!(lab.run("reload-agent", &v11).code, 0);
    assert_eq!(lab.run("usage", &[]).code, 0);
    let md = lab.run("meta-data", &[]);
    assert_eq!(md.code, 0);
    std::fs::write(format!("/tmp/{}-md.xml", lab.ns), &md.stdout).unwrap();
    must(&format!(
        "xmllint --noout --dtdvalid /usr/share/resource-agents/ra-api-1.dtd /tmp/{}-md.xml",
        lab.ns
    ));
    let md11 = lab.run("meta-data", &v11);
    assert!(md11.stdout.contains("reload-agent") && md11.stdout.contains("reloadable=\"1\""));
    assert!(!md.stdout.contains("reload-agent"));
    // explain is not an OCF 1.0 action name (the DTD lists them): advertised with 1.1 only.
    assert!(md11.stdout.contains("<action name=\"explain\""));
    assert!(!md.stdout.contains("<action name=\"explain\""));
    for m in [&md, &md11] {
        assert!(m
            .stdout
            .contains("<action name=\"monitor\" timeout=\"20s\" interval=\"60s\" depth=\"20\"/>"));
        assert!(m.stdout.contains("<parameter name=\"conflict_wait\""));
    }
}

#[test]
fn not_root_is_perm() {
    let lab = Lab::new("r");
    let mut c = std::process::Command::new("ip");
    c.args([
        "netns",
        "exec",
        &lab.ns,
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        bin(),
        "start",
    ]);
    let r = run_cmd(c, &[ip(V4)]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(!lab.has("v1", "192.0.2.200/24"));
}

#[test]
fn ocf_tester_passes() {
    let lab = Lab::new("s");
    for args in [
        &["-o", "ip=192.0.2.200", "-o", "nic=v1"][..],
        &["-o", "ip=192.0.2.200"][..],
        &["-o", "ip=2001:db8::200", "-o", "cidr_netmask=64"][..],
    ] {
        let mut c = std::process::Command::new("ip");
        c.args(["netns", "exec", &lab.ns, "ocf-tester", "-n", "IP"])
            .args(args)
            .arg(bin());
        let r = run_cmd(c, &[]);
        assert!(
            r.code == 0 && r.stdout.contains("passed all tests"),
            "ocf-tester {args:?}: {r:?}"
        );
    }
}

#[test]
fn executes_no_other_program() {
    let lab = Lab::new("t");
    let trace = format!("/tmp/{}-exec.trace", lab.ns);
    for action in ["start", "monitor", "stop"] {
        let mut c = std::process::Command::new("ip");
        c.args([
            "netns",
            "exec",
            &lab.ns,
            "strace",
            "-f",
            "-qq",
            "-o",
            &trace,
            "-e",
            "trace=execve,execveat",
            bin(),
            action,
        ]);
        let r = run_cmd(
            c,
            &[
                ip(V4),
                ("OCF_RESKEY_arp_count", "3"),
                ("OCF_RESKEY_arp_interval", "10"),
            ],
        );
        assert!(r.code == 0, "{action}: {r:?}");
        let t = std::fs::read_to_string(&trace).unwrap();
        let execs: Vec<&str> = t.lines().filter(|l| l.contains("execve")).collect();
        assert_eq!(execs.len(), 1, "{action} executed programs: {execs:?}");
        assert!(execs[0].contains(bin()), "{execs:?}");
    }
    let _ = std::fs::remove_file(trace);
}

#[test]
fn v4_duplicate_is_refused_when_asked_to_check() {
    let lab = Lab::new("u");
    lab.peer_sh("ip addr add 192.0.2.200/24 dev v1p");
    let before = lab.addrs("v1");
    let r = lab.run(
        "start",
        &[
            ip(V4),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESKEY_run_arping", "true"),
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let peer_mac = lab
        .peer_sh("cat /sys/class/net/v1p/address")
        .trim()
        .to_owned();
    assert!(
        r.reason().contains("duplicate address") && r.reason().contains(&peer_mac),
        "{r:?}"
    );
    assert_eq!(lab.addrs("v1"), before, "nothing was added");
    // Without run_arping (the default, as in IPaddr2) nothing is checked.
    let r = lab.run("start", &[ip(V4), ("OCF_RESKEY_nic", "v1")]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(lab.has("v1", "192.0.2.200/24"));
}

#[test]
fn ipv6_disabled_on_the_interface_is_not_installed() {
    let lab = Lab::new("w");
    lab.sh("sysctl -qw net.ipv6.conf.v1.disable_ipv6=1");
    let before = lab.addrs("v1");
    let env = [
        ip(V6),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_cidr_netmask", "64"),
    ];
    let r = lab.run("start", &env);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(r.reason().contains("IPv6 is disabled on v1"), "{r:?}");
    assert_eq!(lab.addrs("v1"), before);
    assert_eq!(lab.run("monitor", &env).code, 7);
}

/// `OCF_CHECK_LEVEL=20`: the monitor asks the link whether another host answers for the
/// address. A peer holding the same address (split brain) fails it, naming the peer's MAC;
/// without the peer it passes.
fn split_brain(tag: &str, vip: &str, prefix: &str) {
    let lab = Lab::new(tag);
    let env = [
        ip(vip),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_cidr_netmask", prefix),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    let depth = |d: &'static str| [env[0], env[1], env[2], RECURRING, ("OCF_CHECK_LEVEL", d)];
    for d in ["0", "10", "20"] {
        let r = lab.run("monitor", &depth(d));
        assert_eq!(r.code, 0, "depth {d} without a peer: {r:?}");
    }
    let peer_mac = lab
        .peer_sh("cat /sys/class/net/v1p/address")
        .trim()
        .to_owned();
    lab.peer_sh(&format!("ip addr add {vip}/{prefix} dev v1p nodad"));
    let r = lab.run("monitor", &depth("20"));
    assert_eq!(r.code, 1, "depth 20 with the peer holding {vip}: {r:?}");
    assert!(
        r.reason().contains("split brain")
            && r.reason().contains(vip)
            && r.reason().contains(&peer_mac),
        "{r:?}"
    );
    // The lower depths do not look, and our own address was not disturbed by the probe.
    for d in ["0", "10"] {
        assert_eq!(lab.run("monitor", &depth(d)).code, 0, "depth {d}");
    }
    assert!(lab.has("v1", &format!("{vip}/{prefix}")));
    assert!(
        !lab.addrs("v1").iter().any(|l| l.contains("dadfailed")),
        "{:?}",
        lab.addrs("v1")
    );
    lab.peer_sh(&format!("ip addr del {vip}/{prefix} dev v1p"));
    let r = lab.run("monitor", &depth("20"));
    assert_eq!(r.code, 0, "the peer gave the address up: {r:?}");
    assert_eq!(lab.run("stop", &env).code, 0);
}

#[test]
fn v4_split_brain_fails_a_depth_20_monitor() {
    split_brain("x", V4, "24");
}

#[test]
fn v6_split_brain_fails_a_depth_20_monitor() {
    split_brain("y", V6, "64");
}

#[test]
fn conflict_wait_bounds_a_depth_20_monitor_and_lower_depths_send_nothing() {
    let lab = Lab::new("z");
    let env = [
        ip(V4),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_cidr_netmask", "24"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    let trace = format!("/tmp/{}-sock.trace", lab.ns);
    for (vip, prefix) in [(V4, "24"), (V6, "64")] {
        let env = [
            ip(vip),
            ("OCF_RESKEY_nic", "v1"),
            ("OCF_RESKEY_cidr_netmask", prefix),
        ];
        if vip == V6 {
            assert_eq!(lab.run("start", &env).code, 0);
        }
        for (depth, packets) in [("0", false), ("10", false), ("20", true)] {
            let mut c = std::process::Command::new("ip");
            c.args([
                "netns",
                "exec",
                &lab.ns,
                "strace",
                "-f",
                "-qq",
                "-o",
                &trace,
                "-e",
                "trace=socket",
                bin(),
                "monitor",
            ]);
            let mut e = env.to_vec();
            e.extend([RECURRING, ("OCF_CHECK_LEVEL", depth)]);
            let t0 = std::time::Instant::now();
            let r = run_cmd(c, &e);
            let took = t0.elapsed();
            assert_eq!(r.code, 0, "{vip} depth {depth}: {r:?}");
            let t = std::fs::read_to_string(&trace).unwrap();
            let packet = t.lines().any(|l| l.contains("AF_PACKET"));
            assert_eq!(packet, packets, "{vip} depth {depth} sockets: {t}");
            if depth == "20" {
                // The default conflict_wait (50 ms), under strace.
                assert!(took.as_millis() >= 50, "{vip}: {took:?}");
            }
        }
        // A longer wait is honoured.
        let mut e = env.to_vec();
        e.extend([
            RECURRING,
            ("OCF_CHECK_LEVEL", "20"),
            ("OCF_RESKEY_conflict_wait", "300"),
        ]);
        let t0 = std::time::Instant::now();
        assert_eq!(lab.run("monitor", &e).code, 0);
        assert!(t0.elapsed().as_millis() >= 300);
    }
    let _ = std::fs::remove_file(trace);
}

/// `explain` as nobody: it needs no root to read links, addresses and routes.
fn explain(lab: &Lab, env: &[(&str, &str)]) -> Run {
    let mut c = std::process::Command::new("ip");
    c.args([
        "netns",
        "exec",
        &lab.ns,
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        bin(),
        "explain",
    ]);
    run_cmd(c, env)
}

/// The line of `explain`'s output that starts with `key`.
fn line<'a>(r: &'a Run, key: &str) -> &'a str {
    r.stdout
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key:?} line in {}", r.stdout))
}

/// Start the address, check it went where `explain` said, stop it.
fn start_lands_on(lab: &Lab, env: &[(&str, &str)], dev: &str, cidr: &str) {
    let r = lab.run("start", env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        lab.has(dev, cidr),
        "{cidr} not on {dev}: {:?}",
        lab.addrs(dev)
    );
    assert_eq!(lab.run("stop", env).code, 0);
}

/// IPaddr2's most-reported findif confusion: two connected routes of the same prefix on two
/// interfaces. The tie goes to the lower metric, then to the lower interface index; explain
/// says which and why, start agrees, and explain changes nothing.
#[test]
fn explain_equal_prefixes_tie_break_by_metric_then_ifindex() {
    let lab = Lab::new("e1");
    lab.sh("ip link add v2 type veth peer name v2p && ip link set v2 up && ip link set v2p up && ip addr add 192.0.2.129/24 dev v2");
    let env = [ip(V4)];
    let before = (lab.addrs("v1"), lab.addrs("v2"), routes(&lab));
    let r = explain(&lab, &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(line(&r, "nic: v1 ").contains("from the connected route 192.0.2.0/24"));
    assert!(
        r.stdout.contains("192.0.2.0/24 dev v1 (index ")
            && r.stdout.contains("metric 0: chosen")
            && r.stdout.contains("192.0.2.0/24 dev v2 (index ")
            && r.stdout
                .contains("loses: same prefix and metric, higher interface index"),
        "{}",
        r.stdout
    );
    line(
        &r,
        "prefix: /24, from the connected route 192.0.2.0/24 on v1",
    );
    assert_eq!(
        line(&r, "broadcast:"),
        "broadcast: 192.0.2.255, computed from the prefix /24 (broadcast=+)"
    );
    assert_eq!(
        line(&r, "start:"),
        "start: would add 192.0.2.200/24 broadcast 192.0.2.255 to v1"
    );
    assert_eq!(
        line(&r, "validate-all:"),
        "validate-all: would succeed (exit 0)"
    );
    assert_eq!(
        (lab.addrs("v1"), lab.addrs("v2"), routes(&lab)),
        before,
        "explain changed the system"
    );
    start_lands_on(&lab, &env, "v1", "192.0.2.200/24");
    // v1's route gets a worse metric: v2 wins on metric now.
    lab.sh("ip route del 192.0.2.0/24 dev v1 && ip route add 192.0.2.0/24 dev v1 metric 200 proto kernel scope link src 192.0.2.1");
    let r = explain(&lab, &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        line(&r, "nic: v2 ").contains("192.0.2.0/24"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("metric 200: loses: same prefix, higher metric (200 > 0)"),
        "{}",
        r.stdout
    );
    start_lands_on(&lab, &env, "v2", "192.0.2.200/24");
}

/// An IPv6 prefix learnt from a router advertisement on a second interface (proto ra, metric
/// 1024 as the kernel installs it) against the interface's own connected route (metric 256):
/// the metric decides, and an RA route with a lower metric wins instead.
#[test]
fn explain_ra_route_with_another_metric() {
    let lab = Lab::new("e2");
    lab.sh("ip link add v2 type veth peer name v2p && ip link set v2 up && ip link set v2p up && ip -6 route add 2001:db8::/64 dev v2 proto ra metric 1024");
    let env = [ip(V6), ("OCF_RESKEY_nodad", "true")];
    let r = explain(&lab, &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        line(&r, "nic: v1 ").contains("2001:db8::/64"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("metric 256: chosen")
            && r.stdout
                .contains("metric 1024: loses: same prefix, higher metric (1024 > 256)"),
        "{}",
        r.stdout
    );
    assert_eq!(line(&r, "broadcast:"), "broadcast: none (IPv6)");
    assert!(line(&r, "  after adding:").contains("no duplicate address detection (nodad)"));
    assert!(
        line(&r, "monitor depth 20:").contains("neighbour solicitation for it from ::"),
        "{}",
        r.stdout
    );
    start_lands_on(&lab, &env, "v1", "2001:db8::200/64");
    lab.sh("ip -6 route replace 2001:db8::/64 dev v2 proto ra metric 100");
    let r = explain(&lab, &env);
    assert!(
        line(&r, "nic: v2 ").contains("2001:db8::/64"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("metric 256: loses: same prefix, higher metric (256 > 100)"),
        "{}",
        r.stdout
    );
    start_lands_on(&lab, &env, "v2", "2001:db8::200/64");
}

/// Several addresses on one interface: the connected route of the subnet the address is in
/// gives the prefix, whichever address came first; an address already there is reported as
/// such (start would change nothing); explain changes nothing.
#[test]
fn explain_several_addresses_on_one_interface() {
    let lab = Lab::new("e3");
    lab.sh("ip addr add 198.51.100.1/25 dev v1 && ip addr add 192.0.2.50/24 dev v1");
    let env = [ip("198.51.100.100")];
    let r = explain(&lab, &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        line(&r, "nic: v1 ").contains("198.51.100.0/25"),
        "{}",
        r.stdout
    );
    assert!(
        line(&r, "prefix:")
            .starts_with("prefix: /25, from the connected route 198.51.100.0/25 on v1"),
        "{}",
        r.stdout
    );
    assert_eq!(
        line(&r, "broadcast:"),
        "broadcast: 198.51.100.127, computed from the prefix /25 (broadcast=+)"
    );
    start_lands_on(&lab, &env, "v1", "198.51.100.100/25");
    let env = [
        ip(V4),
        ("OCF_RESKEY_nic", "v1"),
        ("OCF_RESKEY_cidr_netmask", "24"),
    ];
    assert_eq!(lab.run("start", &env).code, 0);
    let before = (lab.addrs("v1"), routes(&lab));
    let r = explain(&lab, &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        line(&r, "nic:"),
        format!(
            "nic: v1 (index {}), given by the nic parameter",
            lab.sh("cat /sys/class/net/v1/ifindex").trim()
        )
    );
    assert_eq!(
        line(&r, "routes:"),
        "routes: not consulted (nic and cidr_netmask are both set)"
    );
    assert_eq!(line(&r, "prefix:"), "prefix: /24, given by cidr_netmask");
    assert_eq!(
        line(&r, "start:"),
        "start: 192.0.2.200/24 is already on v1: start would change nothing"
    );
    assert_eq!(
        line(&r, "policy:"),
        "policy: none (the built-in checks above decide)"
    );
    assert_eq!((lab.addrs("v1"), routes(&lab)), before);
}

/// explain exits with validate-all's code, with validate-all's reason in its text.
#[test]
fn explain_exits_with_validate_alls_code() {
    let lab = Lab::new("e4");
    for (env, _, _, _) in BAD {
        let v = lab.run("validate-all", env);
        let e = explain(&lab, env);
        assert_eq!(e.code, v.code, "{env:?}: {e:?} vs {v:?}");
        if v.code != 0 {
            assert_eq!(e.reason(), v.reason(), "{env:?}");
            assert!(
                line(&e, "validate-all: would fail").contains(v.reason()),
                "{env:?}: {}",
                e.stdout
            );
        }
    }
}
