//! Hostile input: parameter sets and environments, each with its documented exit code and
//! reason, and the kernel exactly as before.

use super::*;

const IP: &str = "192.0.2.200";
const V6: &str = "2001:db8::200";
/// A file the shell-metacharacter values would create if anything ever ran them.
const PWNED: &str = "/tmp/ifaddr-reliability-pwned";

/// One hostile set: the environment, the (action, code) pairs it must produce, and the texts
/// every failing run's one reason line must contain.
pub struct Case {
    pub env: Env,
    pub expect: Vec<(&'static str, i32)>,
    pub reason: Vec<String>,
}

const ALL: [&str; 4] = ["start", "stop", "monitor", "validate-all"];

/// `ip=192.0.2.200` unless the set names `ip` itself.
fn with_ip(mut e: Env) -> Env {
    if !e.iter().any(|(k, _)| k == "OCF_RESKEY_ip") {
        e.insert(0, (OsString::from("OCF_RESKEY_ip"), OsString::from(IP)));
    }
    e
}

fn parts(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| (*s).to_owned()).collect()
}

/// Invalid in itself: 6 from every action.
fn invalid_env(e: Env, reason: &[&str]) -> Case {
    Case {
        env: with_ip(e),
        expect: ALL.iter().map(|a| (*a, 6)).collect(),
        reason: parts(reason),
    }
}

fn invalid(kv: &[(&str, &str)], reason: &[&str]) -> Case {
    invalid_env(env(kv), reason)
}

/// `name=value` alone refused with `why`: the reason reads "parameter NAME='VALUE' WHY".
fn refused(name: &str, value: &str, why: &str) -> Case {
    invalid(&[(name, value)], &[&format!("parameter {name}='"), why])
}

/// Valid in itself but unusable here: start and validate-all 2, stop 0, a probe 7.
fn unusable(kv: &[(&str, &str)], reason: &str) -> Case {
    Case {
        env: with_ip(env(kv)),
        expect: vec![
            ("start", 2),
            ("validate-all", 2),
            ("stop", 0),
            ("monitor", 7),
        ],
        reason: parts(&[reason]),
    }
}

/// Odd but valid (an empty value means unset): validate-all succeeds. Only validate-all and a
/// probe run, so the kernel stays untouched.
fn valid(kv: &[(&str, &str)]) -> Case {
    Case {
        env: with_ip(env(kv)),
        expect: vec![("validate-all", 0), ("monitor", 7)],
        reason: Vec::new(),
    }
}

fn custom(kv: &[(&str, &str)], expect: &[(&'static str, i32)], reason: &str) -> Case {
    Case {
        env: with_ip(env(kv)),
        expect: expect.to_vec(),
        reason: parts(&[reason]),
    }
}

/// Every parameter the agent reads, with a value it must accept (used to build the
/// generated families of hostile values).
const PARAMS: &[(&str, &str)] = &[
    ("ip", IP),
    ("cidr_netmask", "24"),
    ("nic", "v1"),
    ("iflabel", "vip"),
    ("broadcast", "+"),
    ("run_arping", "true"),
    ("arp_probe", "50"),
    ("arp_count", "5"),
    ("arp_interval", "200"),
    ("nodad", "false"),
    ("preferred_lft", "forever"),
    ("network_namespace", "ns"),
    ("carp_vhid", "3"),
    ("jail", "web"),
    ("policy", "/usr/local/lib/ifaddr/strict.wasm"),
    ("policy_args", "x"),
];

/// Families generated for every parameter: non-UTF-8 bytes (two kinds), an over-long value,
/// shell metacharacters (two kinds) and whitespace around an otherwise valid value.
fn generated() -> Vec<Case> {
    let mut v = Vec::new();
    for (name, good) in PARAMS {
        // policy_args needs a policy, or its own check ("is set but policy is not") comes first.
        let base: &[(&str, &str)] = if *name == "policy_args" {
            &[("policy", "/usr/local/lib/ifaddr/strict.wasm")]
        } else {
            &[]
        };
        let with = |value: &[u8]| {
            let mut e = env(base);
            e.push((
                OsString::from(key(name)),
                OsStr::from_bytes(value).to_owned(),
            ));
            e
        };
        let named = format!("parameter {name}='");
        // Non-UTF-8: a lone 0xff in the middle of a valid value; an overlong encoding of "..".
        let mut bad = good.as_bytes().to_vec();
        bad.insert(bad.len() / 2, 0xff);
        v.push(invalid_env(with(&bad), &[&named, "is not valid UTF-8"]));
        v.push(invalid_env(
            with(b"\xc0\xae\xc0\xae"),
            &[&named, "is not valid UTF-8"],
        ));
        // Over-long: about 100 000 bytes (execve allows 128 KiB per string).
        let long = good.repeat(100_000 / good.len() + 1);
        v.push(invalid_env(with(long.as_bytes()), &[&named]));
        // Shell metacharacters around a valid value. policy_args is an opaque string for the
        // policy and a policy path may hold ';': those reach the engine (see policy_cases).
        if *name != "policy_args" {
            let meta = format!("$(touch {PWNED}){good}");
            v.push(invalid_env(with(meta.as_bytes()), &[&named]));
            if *name != "policy" {
                let meta = format!("{good};touch {PWNED}");
                v.push(invalid_env(with(meta.as_bytes()), &[&named]));
            }
        }
        // Whitespace around a valid value.
        let padded = format!(" {good}\n");
        v.push(invalid_env(with(padded.as_bytes()), &[&named]));
    }
    v
}

/// Shell metacharacter values that *are* valid (policy_args is an opaque string for the policy;
/// a policy path may contain them) are in the policy cases below.
fn ip_cases() -> Vec<Case> {
    let mut v = vec![invalid(&[("ip", "")], &["parameter ip is required"])];
    v.push(Case {
        env: env(&[("cidr_netmask", "24")]),
        expect: ALL.iter().map(|a| (*a, 6)).collect(),
        reason: parts(&["parameter ip is required"]),
    });
    let syntax = "is not an IPv4 or IPv6 address";
    for s in [
        " 192.0.2.200",
        "192.0.2.200 ",
        "\t192.0.2.200",
        "192.0.2.200\n",
        "192.0.2.200\r",
        "192.0.2. 200",
        "192.0.2.020",
        "0192.0.2.200",
        "192.000.002.200",
        "0xc0.0.2.200",
        "0300.0.2.200",
        "3221226184",
        "192.0.2",
        "192.0.712",
        "192.0.2.200.1",
        "192.0.2.256",
        "192.0.2.-1",
        "999.0.2.1",
        "192.0.2.200/24",
        "192.0.2.200:80",
        "[2001:db8::200]",
        "2001:db8::200/64",
        "2001:db8:::200",
        "2001:db8::200::1",
        "1:2:3:4:5:6:7:8:9",
        "2001:db8::g",
        "12345::1",
        ":::",
        "2001:db8::00200",
        "\u{0661}\u{0669}\u{0662}.0.2.1",
        "\u{ff11}\u{ff19}\u{ff12}.0.2.200",
        "192.0.2.200;reboot",
        "$(touch /tmp/ifaddr-reliability-pwned)",
        "`touch /tmp/ifaddr-reliability-pwned`",
        "192.0.2.200|cat",
        "192.0.2.200&&id",
        "'192.0.2.200'",
        "\"192.0.2.200\"",
        "localhost",
        "-h",
        "--help",
        "*",
        "192.0.2.200\\",
    ] {
        v.push(refused("ip", s, syntax));
    }
    let zone = "has a %zone suffix";
    for s in [
        "2001:db8::200%v1",
        "fe80::1%v1",
        "192.0.2.200%v1",
        "2001:db8::200%25v1",
        "%",
    ] {
        v.push(refused("ip", s, zone));
    }
    for (why, list) in [
        (
            "is the unspecified address",
            &["0.0.0.0", "::", "0:0:0:0:0:0:0:0", "0::0"][..],
        ),
        ("is in 0.0.0.0/8", &["0.1.2.3", "0.0.0.1"][..]),
        (
            "is a loopback address",
            &[
                "127.0.0.1",
                "127.1.2.3",
                "127.255.255.254",
                "::1",
                "0:0:0:0:0:0:0:1",
            ][..],
        ),
        (
            "is a multicast address",
            &[
                "224.0.0.1",
                "224.0.0.251",
                "239.255.255.250",
                "233.252.0.1",
                "ff02::1",
                "ff02::1:ff00:200",
                "ff05::2",
                "ff0e::db8:1",
                "FF02::1",
            ][..],
        ),
        ("is the limited broadcast address", &["255.255.255.255"][..]),
        (
            "is a link-local address",
            &[
                "169.254.0.1",
                "169.254.169.254",
                "169.254.255.255",
                "fe80::1",
                "fe80::200:5eff:fe00:200",
                "febf:ffff::1",
                "FE80::1",
            ][..],
        ),
        (
            "is an IPv4-mapped IPv6 address",
            &[
                "::ffff:192.0.2.200",
                "::ffff:c000:2c8",
                "0:0:0:0:0:ffff:c000:2c8",
                "::192.0.2.200",
                "::ffff:0:0",
                "::ffff:127.0.0.1",
            ][..],
        ),
    ] {
        for s in list {
            v.push(refused("ip", s, why));
        }
    }
    // Other spellings of valid addresses: accepted.
    for s in ["2001:DB8::200", "2001:db8:0:0:0:0:0:200", "2001:0db8::0200"] {
        v.push(valid(&[("ip", s)]));
    }
    // No connected route covers the address, and no nic says where it goes.
    v.push(unusable(
        &[("ip", "198.51.100.9")],
        "no connected route covers 198.51.100.9",
    ));
    v.push(unusable(
        &[("ip", "2001:db8:1::9")],
        "no connected route covers",
    ));
    v
}

fn prefix_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let syntax = "is not a prefix length or a dotted netmask";
    for s in [
        "-1",
        "+24",
        "024",
        "00",
        " 24",
        "24 ",
        "24\n",
        "2 4",
        "24.0",
        "0x18",
        "1e1",
        "24/",
        "/24",
        "\u{ff12}\u{ff14}",
        "24;reboot",
        "$(touch /tmp/ifaddr-reliability-pwned)",
        "18446744073709551640",
        "99999999999999999999999",
        "255.255.255.256",
        "255.255.255",
        "255.255.255.0.0",
        "255.255.0255.0",
        "ffff:ffff::",
        "::/64",
    ] {
        v.push(refused("cidr_netmask", s, syntax));
    }
    let range = "is out of range for the address family";
    for s in ["33", "64", "128", "256", "280", "4294967320"] {
        v.push(refused("cidr_netmask", s, range));
    }
    v.push(invalid(&[("ip", V6), ("cidr_netmask", "129")], &[range]));
    v.push(invalid(&[("ip", V6), ("cidr_netmask", "65536")], &[range]));
    let nc = "whose one bits are not contiguous";
    for s in [
        "255.255.255.1",
        "255.0.255.0",
        "0.255.255.255",
        "128.0.0.1",
        "255.255.254.255",
    ] {
        v.push(refused("cidr_netmask", s, nc));
    }
    v.push(invalid(
        &[("ip", V6), ("cidr_netmask", "255.255.255.0")],
        &["is a dotted netmask, which IPv6 does not use"],
    ));
    // Wider than the route that picked the interface: unusable, not invalid.
    for s in ["16", "0", "0.0.0.0", "255.255.0.0"] {
        v.push(unusable(
            &[("cidr_netmask", s)],
            "is wider than the connected route",
        ));
    }
    v.push(unusable(
        &[("ip", V6), ("cidr_netmask", "48")],
        "is wider than the connected route",
    ));
    // The edges of the ranges, with the nic given: valid.
    for s in ["0", "32", "255.255.255.255", "0.0.0.0"] {
        v.push(valid(&[("nic", "v1"), ("cidr_netmask", s)]));
    }
    v.push(valid(&[("ip", V6), ("nic", "v1"), ("cidr_netmask", "128")]));
    v
}

fn nic_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let bad = "has a character outside A-Z a-z 0-9 _ . -";
    for s in [
        "v 1",
        "v1;reboot",
        "v1|id",
        "v1&id",
        "v1&&id",
        "$(id)",
        "`id`",
        "v1$IFS",
        "${IFS}",
        "v1>x",
        "v1<x",
        "v1*",
        "v?",
        "[v]1",
        "v1'",
        "v1\"",
        "v1\\",
        "~root",
        "../v1",
        "v1/../v1",
        "/etc/passwd",
        "/dev/null",
        "v1@v1p",
        "v1%",
        "%v1",
        "\u{475}1",
        "v1\u{200b}",
        "\u{2174}1",
    ] {
        v.push(refused("nic", s, bad));
    }
    for s in ["..", ".", ".v1", "-v1", "--help", "-"] {
        v.push(refused("nic", s, "starts with '-' or '.'"));
    }
    // IPaddr2's legacy nic:label form is accepted (tests/tests/ipaddr2.rs); its label must be
    // a label.
    for s in [":", "v1:"] {
        v.push(refused("nic", s, "has an empty label after ':'"));
    }
    for s in ["v1:a b", "v1:a:b", "v1:\u{475}", "v1:$(id)"] {
        v.push(refused(
            "nic",
            s,
            "has a character outside A-Z a-z 0-9 _ . -",
        ));
    }
    for s in ["abcdefghijklmnop", &"v".repeat(4096)] {
        v.push(refused("nic", s, "is longer than 15 bytes"));
    }
    // Valid names that are not here.
    for s in [
        "abcdefghijklmno",
        "v1p",
        "all",
        "default",
        "V1",
        "eth0",
        "0",
    ] {
        v.push(unusable(&[("nic", s)], &format!("nic {s} does not exist")));
    }
    v.push(unusable(
        &[("nic", "lo"), ("cidr_netmask", "8")],
        "lo is a loopback interface",
    ));
    v
}

fn policy_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for s in [
        "relative.wasm",
        "./x.wasm",
        "../x.wasm",
        "~/x.wasm",
        "file:///tmp/x.wasm",
        "$(touch /tmp/ifaddr-reliability-pwned)",
        "`id`.wasm",
        ";reboot",
        " /tmp/x.wasm",
    ] {
        v.push(refused("policy", s, "is not an absolute path"));
    }
    for s in [
        "/tmp/../etc/shadow",
        "/..",
        "/tmp/x/../../etc/shadow",
        "/tmp/..",
    ] {
        v.push(refused("policy", s, "has a '..' component"));
    }
    for s in [
        "/tmp/x.wasm\n",
        "/tmp/\tx.wasm",
        "/tmp/x\u{7f}.wasm",
        "/tmp/\u{1b}[2J.wasm",
    ] {
        v.push(refused("policy", s, "has a control character"));
    }
    let long = format!("/{}", "a".repeat(255));
    v.push(refused("policy", &long, "is longer than 255 bytes"));
    v.push(invalid(
        &[("policy_args", "x")],
        &["parameter policy_args='x' is set but policy is not"],
    ));
    for s in ["a\nb", "\u{1b}]0;x\u{7}", "a\tb"] {
        v.push(invalid(
            &[("policy", "/tmp/x.wasm"), ("policy_args", s)],
            &["has a control character"],
        ));
    }
    // Absolute paths without control characters or '..': valid in themselves, refused by the
    // policy loader (5) in validate-all; a probe of the absent address does not run it (7).
    let fifo = "/tmp/ifaddr-reliability-fifo";
    for (path, why) in [
        (
            "/tmp/x.wasm;touch /tmp/ifaddr-reliability-pwned",
            "does not exist",
        ),
        (
            "/tmp/$(touch /tmp/ifaddr-reliability-pwned).wasm",
            "does not exist",
        ),
        ("/tmp/`id`.wasm", "does not exist"),
        ("/tmp/./x.wasm", "does not exist"),
        ("/tmp/x.wasm ", "does not exist"),
        ("/etc/passwd/x.wasm", "does not exist"),
        ("/nonexistent/x.wasm", "does not exist"),
        ("/dev/zero", "is not a regular file"),
        ("/", "is not a regular file"),
        ("//", "is not a regular file"),
        ("/tmp/", "is not a regular file"),
        (fifo, "is not a regular file"),
        ("/dev/stdin", "is a symbolic link (not followed)"),
        // Readable root-owned files: no artifact was ever compiled from them.
        ("/proc/self/environ", "no precompiled artifact"),
        ("/etc/shadow", "no precompiled artifact"),
    ] {
        let why = if cfg!(feature = "policy") {
            why
        } else {
            "is set but this ifaddr was built without policy support"
        };
        let mut c = custom(
            &[("policy", path)],
            &[("validate-all", 5), ("monitor", 7)],
            why,
        );
        c.reason.push(format!("policy {path}"));
        v.push(c);
    }
    v.push(invalid(
        &[("policy", "/tmp/x.wasm"), ("policy_args", &"a".repeat(256))],
        &["is longer than 255 bytes"],
    ));
    v
}

fn other_param_cases() -> Vec<Case> {
    let mut v = Vec::new();
    // iflabel
    v.push(invalid(
        &[("ip", V6), ("iflabel", "vip")],
        &["applies to IPv4 addresses only"],
    ));
    for s in ["a b", "x;y", "../x", "$(id)", "vip:1", "\u{e9}"] {
        v.push(refused("iflabel", s, "has a character outside"));
    }
    v.push(invalid(
        &[("nic", "v1"), ("iflabel", "abcdefghijklm")],
        &["makes nic:iflabel longer than 15 bytes"],
    ));
    v.push(invalid(
        &[("iflabel", &"a".repeat(15))],
        &["longer than 15 bytes"],
    ));
    // broadcast
    for s in [
        "256.0.0.0",
        "++",
        "+-",
        "192.0.2",
        "0x0",
        "$(id)",
        "ff02::1",
    ] {
        v.push(refused(
            "broadcast",
            s,
            "is not an IPv4 address, '+' or '-'",
        ));
    }
    v.push(invalid(
        &[("cidr_netmask", "24"), ("broadcast", "192.0.3.255")],
        &["is not in the subnet of ip/cidr_netmask"],
    ));
    v.push(invalid(
        &[("ip", V6), ("broadcast", "+")],
        &["applies to IPv4 addresses only"],
    ));
    // numbers
    for s in [
        "-1",
        "101",
        "1000",
        "05",
        "0x5",
        "1e2",
        "5.0",
        "18446744073709551616",
    ] {
        v.push(refused("arp_count", s, "is not a number from 0 to 100"));
    }
    for s in ["0", "10001", "-1", "abc", "200ms"] {
        v.push(refused(
            "arp_interval",
            s,
            "is not a number of milliseconds from 1 to 10000",
        ));
    }
    for s in ["5001", "-1", "50ms", "1e3", "4294967346"] {
        v.push(refused(
            "arp_probe",
            s,
            "is not a number of milliseconds from 0 to 5000",
        ));
    }
    // The duplicate check: a wait without the check, and the check on IPv6.
    for s in ["1", "50", "5000"] {
        v.push(refused(
            "arp_probe",
            s,
            "only takes effect with run_arping=true",
        ));
    }
    v.push(invalid(
        &[("ip", V6), ("run_arping", "true")],
        &["parameter run_arping='true' applies to IPv4 addresses only"],
    ));
    // booleans and lifetimes
    for s in ["maybe", "2", "-1", "tru", "yes;reboot", "Y"] {
        v.push(invalid(&[("ip", V6), ("nodad", s)], &["is not a boolean"]));
    }
    v.push(invalid(
        &[("nodad", "true")],
        &["applies to IPv6 addresses only"],
    ));
    for s in [
        "-1",
        "4294967295",
        "18446744073709551616",
        "Forever",
        "infinite",
        "1.5",
    ] {
        v.push(invalid(
            &[("ip", V6), ("preferred_lft", s)],
            &["is not 'forever' or a number of seconds"],
        ));
    }
    v.push(invalid(
        &[("preferred_lft", "0")],
        &["applies to IPv6 addresses only"],
    ));
    // namespaces and jails
    let ns = "has a character outside A-Z a-z 0-9 _ . - (or starts with . or -)";
    for s in [
        "../../proc/1/ns/net",
        "/run/netns/x",
        ".hidden",
        "-n",
        "a b",
        "x;reboot",
    ] {
        v.push(refused("network_namespace", s, ns));
    }
    v.push(refused(
        "network_namespace",
        &"n".repeat(64),
        "is longer than 63 bytes",
    ));
    v.push(refused("jail", "../x", ns));
    v.push(invalid(
        &[("network_namespace", "a"), ("jail", "b")],
        &["cannot be combined with network_namespace"],
    ));
    for s in ["0", "256", "-1", "03", "abc"] {
        v.push(refused("carp_vhid", s, "is not a number from 1 to 255"));
    }
    for kv in [("carp_vhid", "3"), ("jail", "web")] {
        v.push(custom(
            &[kv],
            &[("start", 2), ("validate-all", 2)],
            "is supported on FreeBSD only",
        ));
    }
    // Empty means unset: every optional parameter, empty, is accepted.
    for (name, _) in &PARAMS[1..] {
        v.push(valid(&[(name, "")]));
    }
    v
}

/// Run each case's actions in one lab; the kernel must be exactly as before after each.
fn run_cases(tag: &str, cases: &[Case]) -> usize {
    let (lab, before) = settled_lab(tag);
    let mut failures = Vec::new();
    let mut runs = 0;
    for (i, c) in cases.iter().enumerate() {
        // Parameters are parsed before the action matters, so a set invalid in itself runs
        // start and stop, and monitor or validate-all in turn.
        let mut expect = c.expect.clone();
        if expect.len() == 4 && expect.iter().all(|(_, code)| *code == 6) {
            expect.remove(2 + i % 2);
        }
        for (action, code) in &expect {
            let r = run(&lab, action, &c.env);
            runs += 1;
            let label = format!("#{i} {action} {:?}", c.env);
            if r.code != *code {
                failures.push(format!("{label}: code {} want {code}: {r:?}", r.code));
                continue;
            }
            for part in &c.reason {
                if let Err(e) = check_reason(&r, part) {
                    failures.push(format!("{label}: {e}"));
                }
            }
        }
        let after = kernel_state(&lab);
        if after != before {
            failures.push(format!(
                "#{i} {:?} changed the kernel:\n{before}\n---\n{after}",
                c.env
            ));
            break;
        }
    }
    assert!(
        std::fs::metadata(PWNED).is_err(),
        "a shell metacharacter value was executed"
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    runs
}

/// All hostile parameter sets, for the count in RELIABILITY.md.
pub fn all_parameter_cases() -> Vec<Case> {
    let mut v = generated();
    v.extend(ip_cases());
    v.extend(prefix_cases());
    v.extend(nic_cases());
    v.extend(policy_cases());
    v.extend(other_param_cases());
    v
}

#[test]
fn hostile_parameter_sets_count() {
    let n = all_parameter_cases().len();
    eprintln!(
        "hostile parameter sets: {n} (generated {}, ip {}, prefix {}, nic {}, policy {}, others {})",
        generated().len(),
        ip_cases().len(),
        prefix_cases().len(),
        nic_cases().len(),
        policy_cases().len(),
        other_param_cases().len()
    );
    assert!(n >= 150, "only {n} hostile parameter sets");
}

#[test]
fn hostile_generated_values() {
    let runs = run_cases("hg", &generated());
    eprintln!("hostile generated: {runs} runs");
}

#[test]
fn hostile_ip() {
    let runs = run_cases("hi", &ip_cases());
    eprintln!("hostile ip: {runs} runs");
}

#[test]
fn hostile_prefix_and_nic() {
    let mut v = prefix_cases();
    v.extend(nic_cases());
    let runs = run_cases("hn", &v);
    eprintln!("hostile prefix and nic: {runs} runs");
}

#[test]
fn hostile_policy_and_others() {
    let fifo = "/tmp/ifaddr-reliability-fifo";
    let _ = std::fs::remove_file(fifo);
    must(&format!("mkfifo -m 644 {fifo}"));
    let mut v = policy_cases();
    v.extend(other_param_cases());
    let runs = run_cases("ho", &v);
    let _ = std::fs::remove_file(fifo);
    eprintln!("hostile policy and others: {runs} runs");
}

/// Hostile environments around valid parameters: the lifecycle still works (start, monitor,
/// stop all succeed, with no reason line) and the kernel ends as it began.
pub fn lifecycle_envs() -> Vec<Env> {
    let b = |kv: &[(&str, &[u8])]| env_bytes(kv);
    let mut v = vec![
        env(&[]),
        env(&[("OCF_ROOT", "")]),
        env(&[("OCF_ROOT", "/nonexistent")]),
        env(&[("OCF_ROOT", &format!("$(touch {PWNED})"))]),
        b(&[("OCF_ROOT", b"/usr/lib/\xff/ocf")]),
        env(&[("OCF_RESOURCE_INSTANCE", "IP\nocf-exit-reason:forged")]),
        env(&[("OCF_RESOURCE_INSTANCE", &"x".repeat(100_000))]),
        b(&[("OCF_RESOURCE_INSTANCE", b"\xff\xfe")]),
        env(&[("OCF_RESOURCE_INSTANCE", "../../../etc/passwd")]),
        env(&[("OCF_RESOURCE_INSTANCE", "%s%n%x")]),
        env(&[("OCF_RESOURCE_INSTANCE", "")]),
        env(&[("CRM_meta_timeout", "")]),
        env(&[("CRM_meta_timeout", "0")]),
        env(&[("CRM_meta_timeout", "1")]),
        env(&[("CRM_meta_timeout", "86400001")]),
        env(&[("CRM_meta_timeout", "9999999999999999999")]),
        env(&[("CRM_meta_interval", "")]),
        env(&[("CRM_meta_interval", "9999999999999999999")]),
        env(&[("OCF_CHECK_LEVEL", "")]),
        env(&[("OCF_CHECK_LEVEL", "1000")]),
        env(&[
            ("OCF_RA_VERSION_MAJOR", "99999"),
            ("OCF_RA_VERSION_MINOR", "-1"),
        ]),
        b(&[
            ("OCF_RA_VERSION_MAJOR", b"\xff"),
            ("OCF_RA_VERSION_MINOR", b"1"),
        ]),
        env(&[("HA_LOGFILE", "/dev/full")]),
        env(&[("HA_LOGFILE", "/nonexistent/dir/ifaddr.log")]),
        env(&[("HA_LOGFILE", "/")]),
        b(&[("HA_LOGFILE", b"/tmp/\xff\n.log")]),
        env(&[("HA_LOGFACILITY", "bogus")]),
        env(&[("HA_LOGFACILITY", "none")]),
        env(&[("HA_debug", "1")]),
        env(&[("HA_debug", "garbage")]),
        env(&[("HA_RSCTMP", "/nonexistent")]),
        b(&[("HA_RSCTMP", b"\xff")]),
        env(&[("CRM_meta_notify", &format!("$(touch {PWNED})"))]),
        env(&[("CRM_meta_on_node", "x\ny")]),
        env(&[
            ("CRM_meta_clone", "-1"),
            ("CRM_meta_globally_unique", "maybe"),
        ]),
        env(&[
            ("CRM_meta_name", "monitor;reboot"),
            ("CRM_meta_on_fail", "fence"),
        ]),
        b(&[("CRM_meta_record_pending", b"\xff")]),
        env(&[("not_a_parameter", &format!("`touch {PWNED}`"))]),
    ];
    // Thousands of unrelated variables.
    let mut many = Env::new();
    for i in 0..2000 {
        many.push((
            OsString::from(format!("OCF_RESKEY_junk_{i}")),
            OsString::from("x".repeat(20)),
        ));
    }
    v.push(many);
    for e in &mut v {
        *e = with_ip(std::mem::take(e));
        e.push(("OCF_RESKEY_arp_count".into(), "1".into()));
    }
    v
}

/// Malformed operation metadata: each value is replaced by its default with a warning naming
/// it (the text to find on stderr), and never fails an action (a failed stop gets the node
/// fenced).
pub fn junk_meta_envs() -> Vec<(Env, String)> {
    let mut v = Vec::new();
    let mut one = |name: &str, value: &[u8]| {
        let e = with_ip(env_bytes(&[(name, value), ("arp_count", b"1")]));
        v.push((e, format!("parameter {name}='")));
    };
    for s in [
        "-1",
        "abc",
        "20s",
        "1.5",
        " 20000",
        "020000",
        "99999999999999999999",
        "0x10",
    ] {
        one("CRM_meta_timeout", s.as_bytes());
    }
    one("CRM_meta_timeout", b"2\xff0");
    for s in ["-1", "10s", "99999999999999999999"] {
        one("CRM_meta_interval", s.as_bytes());
    }
    for s in ["1001", "-1", "abc", "10 "] {
        one("OCF_CHECK_LEVEL", s.as_bytes());
    }
    v
}

/// Action arguments that are not actions: 3, nothing touched.
pub fn bad_actions() -> Vec<OsString> {
    let mut v: Vec<OsString> = [
        "",
        "START",
        "start;reboot",
        "start ",
        " stop",
        "$(touch /tmp/ifaddr-reliability-pwned)",
        "meta-data;id",
        "--start",
        "status\n",
        "reload",
        "promote",
        "notify",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    v.push(OsStr::from_bytes(b"st\xffart").to_owned());
    v.push(OsString::from("a".repeat(100_000)));
    v
}

#[test]
fn hostile_environments() {
    let (lab, before) = settled_lab("he");
    let mut failures = Vec::new();
    let lifecycle = lifecycle_envs();
    for (i, e) in lifecycle.iter().enumerate() {
        for action in ["start", "monitor", "stop"] {
            let r = run(&lab, action, e);
            if r.code != 0 || check_reason(&r, "").is_err() {
                failures.push(format!("env #{i} {action}: {r:?}"));
            }
            if action == "start" && !lab.has("v1", "192.0.2.200/24") {
                failures.push(format!("env #{i}: start did not add the address"));
            }
        }
        if kernel_state(&lab) != before {
            failures.push(format!("env #{i} left the kernel changed"));
        }
    }
    assert!(
        std::fs::metadata("/nonexistent").is_err(),
        "a log directory was created"
    );
    let junk = junk_meta_envs();
    for (i, (e, warning)) in junk.iter().enumerate() {
        for action in ["start", "monitor", "stop", "validate-all"] {
            let r = run(&lab, action, e);
            if r.code != 0 || check_reason(&r, "").is_err() || !r.stderr.contains(warning) {
                failures.push(format!("junk meta #{i} {action}: {r:?}"));
            }
            if action == "start" && !lab.has("v1", "192.0.2.200/24") {
                failures.push(format!("junk meta #{i}: start did not add the address"));
            }
        }
        if kernel_state(&lab) != before {
            failures.push(format!("junk meta #{i} left the kernel changed"));
        }
    }
    let actions = bad_actions();
    for a in &actions {
        let r = run_os(&lab, a, &env(&[("ip", IP)]));
        if r.code != 3 {
            failures.push(format!("action {a:?}: {r:?}"));
        }
    }
    // No action at all: usage, OCF_ERR_ARGS.
    let mut c = Command::new("ip");
    c.args(["netns", "exec", &lab.ns, bin()]);
    let r = run_env(c, &env(&[("ip", IP)]));
    if r.code != 2 || !r.stderr.contains("usage") {
        failures.push(format!("no action: {r:?}"));
    }
    assert_eq!(
        kernel_state(&lab),
        before,
        "hostile environments changed the kernel"
    );
    assert!(std::fs::metadata(PWNED).is_err(), "a value was executed");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "hostile environments: {} lifecycle, {} junk metadata, {} actions",
        lifecycle.len(),
        junk.len(),
        actions.len() + 1
    );
}

/// Cases where the agent's code differs from the README's table ("2: parameters valid in
/// themselves but unusable on this host"); see the report in RELIABILITY.md.
#[test]
fn documented_codes_for_unusable_parameters() {
    let (lab, before) = settled_lab("hd");
    let mut failures = Vec::new();
    let cases = [
        // A nic is given but no connected route on it covers ip, and cidr_netmask is unset.
        unusable(
            &[("ip", "198.51.100.9"), ("nic", "v1")],
            "no connected route on v1",
        ),
        // The loopback refusal must not depend on whether cidr_netmask is set.
        unusable(&[("nic", "lo")], "lo is a loopback interface"),
        // A network namespace that does not exist on this node: the address cannot be running
        // there (stop succeeds, a probe says not running), and start cannot work (2).
        unusable(
            &[("network_namespace", "ifaddr-no-such-ns")],
            "ifaddr-no-such-ns",
        ),
        // nic:iflabel must fit in 15 bytes with the detected nic too; today the label is
        // silently dropped and the address added without it.
        unusable(&[("iflabel", "abcdefghijklm")], "iflabel"),
    ];
    for (i, c) in cases.iter().enumerate() {
        for (action, code) in &c.expect {
            let r = run(&lab, action, &c.env);
            if r.code != *code {
                failures.push(format!(
                    "#{i} {action} {:?}: code {} want {code}: {r:?}",
                    c.env, r.code
                ));
            } else if let Err(e) = check_reason(&r, &c.reason[0]) {
                failures.push(format!("#{i} {action} {:?}: {e}", c.env));
            }
        }
        if kernel_state(&lab) != before {
            failures.push(format!("#{i} {:?} changed the kernel", c.env));
            let _ = run(&lab, "stop", &env(&[("ip", IP), ("nic", "v1")]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// NUL bytes cannot reach the agent through execve (each variable is a C string; the standard
/// library refuses to build one with a NUL), so the parser's own NUL check is exercised in
/// process, with the agent's parser, for every parameter; in the operation metadata a NUL
/// makes the value junk, replaced by its default.
#[test]
fn nul_bytes_are_refused() {
    use ifaddr_core::params::{OpContext, Params, Source};
    struct Table(Vec<(String, Vec<u8>)>);
    impl Source for Table {
        fn get(&self, name: &str) -> Option<&[u8]> {
            self.0
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_slice())
        }
    }
    let spawn = Command::new(bin())
        .env("OCF_RESKEY_ip", OsStr::from_bytes(b"192.0.2.200\0;reboot"))
        .arg("validate-all")
        .output();
    assert!(spawn.is_err(), "a NUL byte passed execve: {spawn:?}");
    let mut sets = 0;
    for (name, good) in PARAMS {
        let mut t = vec![("OCF_RESKEY_ip".to_owned(), IP.as_bytes().to_vec())];
        if *name == "policy_args" {
            t.push(("OCF_RESKEY_policy".into(), b"/x.wasm".to_vec()));
        }
        let mut bad = good.as_bytes().to_vec();
        bad.insert(1, 0);
        t.retain(|(k, _)| *k != key(name));
        t.push((key(name), bad));
        let e = Params::parse(&Table(t)).expect_err(name);
        assert_eq!((e.name, e.reason), (*name, "contains a NUL byte"));
        sets += 1;
    }
    for k in [
        "OCF_RESKEY_CRM_meta_timeout",
        "OCF_RESKEY_CRM_meta_interval",
        "OCF_CHECK_LEVEL",
    ] {
        let t = Table(vec![(k.to_owned(), b"10\x000".to_vec())]);
        let (c, d) = (OpContext::parse(&t), OpContext::parse(&Table(Vec::new())));
        assert_eq!(c.ignored.len(), 1, "{k}");
        assert_eq!(
            (c.interval_ms, c.timeout_ms, c.depth),
            (d.interval_ms, d.timeout_ms, d.depth),
            "{k}: not the defaults"
        );
        sets += 1;
    }
    eprintln!("NUL sets: {sets}");
}
