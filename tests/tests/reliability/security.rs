//! Security: the agent runs no other program, its delete requests name exactly the configured
//! address (Linux, checked on the wire and in the kernel), and a FreeBSD delete request cannot
//! be built for the unset address.

use super::faults::which;
use super::*;
use ifaddr_core::freebsd::{self, Target};
use ifaddr_core::ifname::IfName;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// A PATH full of traps: every program an IP agent might be tempted to run, each leaving a
/// mark if it ever runs.
fn trap_dir(tag: &str) -> (PathBuf, PathBuf) {
    let dir = PathBuf::from(format!("/tmp/ifaddr-trap-{tag}-{}", std::process::id()));
    let mark = dir.join("MARK");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for prog in [
        "ip",
        "ifconfig",
        "arping",
        "send_arp",
        "ndisc6",
        "sh",
        "bash",
        "dash",
        "sysctl",
        "ipv6",
        "route",
        "iptables",
        "ping",
        "ping6",
        "logger",
        "systemctl",
        "crm_resource",
        "true",
    ] {
        let p = dir.join(prog);
        std::fs::write(
            &p,
            format!("#!/bin/sh\necho {prog} >> {}\n", mark.display()),
        )
        .unwrap();
        must(&format!("chmod 755 {}", p.display()));
    }
    (dir, mark)
}

/// Every action and path through the agent, under `strace -f`: exactly one execve (the agent
/// itself), with a PATH that would reveal any attempt to run a helper.
#[test]
fn never_executes_another_program() {
    let (lab, _) = settled_lab("sx");
    let (dir, mark) = trap_dir(&lab.ns);
    let path = format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", dir.display());
    let trace = format!("/tmp/{}-exec.trace", lab.ns);
    let v4 = [
        ("ip", "192.0.2.200"),
        ("arp_count", "3"),
        ("arp_interval", "10"),
    ];
    let v6 = [
        ("ip", "2001:db8::200"),
        ("arp_count", "2"),
        ("arp_interval", "10"),
    ];
    let runs: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("meta-data", vec![]),
        ("usage", vec![]),
        ("no-such-action", v4.to_vec()),
        ("validate-all", v4.to_vec()),
        ("monitor", v4.to_vec()),
        ("start", v4.to_vec()),
        ("start", v4.to_vec()),
        (
            "monitor",
            [
                &v4[..],
                &[("OCF_CHECK_LEVEL", "10"), ("CRM_meta_interval", "10000")],
            ]
            .concat(),
        ),
        ("stop", v4.to_vec()),
        ("stop", v4.to_vec()),
        ("start", v6.to_vec()),
        ("monitor", v6.to_vec()),
        ("stop", v6.to_vec()),
        ("start", vec![("ip", "192.0.2.200"), ("nic", "v1;reboot")]),
        ("start", vec![("ip", "192.0.2.200"), ("nic", "nonexistent")]),
        ("start", vec![("ip", "192.0.2.2")]),
        (
            "start",
            vec![("ip", "192.0.2.200"), ("policy", "/nonexistent/p.wasm")],
        ),
        (
            "monitor",
            vec![("ip", "192.0.2.200"), ("policy", "/nonexistent/p.wasm")],
        ),
        (
            "stop",
            vec![("ip", "192.0.2.200"), ("policy", "/nonexistent/p.wasm")],
        ),
        (
            "validate-all",
            vec![("ip", "192.0.2.200"), ("network_namespace", "nope")],
        ),
    ];
    for (action, kv) in &runs {
        let mut c = Command::new(which("ip"));
        c.args([
            "netns",
            "exec",
            &lab.ns,
            &which("strace"),
            "-f",
            "-qq",
            "-o",
            &trace,
        ])
        .args(["-e", "trace=execve,execveat", bin(), action]);
        let mut e = env(kv);
        e.push(("HA_LOGFACILITY".into(), "daemon".into()));
        c.env_clear();
        for (k, v) in &e {
            c.env(k, v);
        }
        c.env("PATH", &path);
        let out = c.output().unwrap();
        // The background announcer outlives start; let it finish before reading the trace.
        std::thread::sleep(Duration::from_millis(100));
        let t = std::fs::read_to_string(&trace).unwrap();
        let execs: Vec<&str> = t.lines().filter(|l| l.contains("execve")).collect();
        assert!(
            execs.len() == 1 && execs[0].contains(bin()),
            "{action} {kv:?} executed: {execs:?} ({out:?})"
        );
        assert!(
            !mark.exists(),
            "{action} {kv:?} ran {}",
            std::fs::read_to_string(&mark).unwrap()
        );
    }
    let _ = std::fs::remove_file(&trace);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("exec checks: {} runs", runs.len());
}

/// Every RTM_DELADDR the agent sends, as strace decodes it, names the configured address on
/// the configured interface, in both IFA_LOCAL and IFA_ADDRESS. Without IFA_LOCAL the kernel
/// would delete the interface's first address.
fn deletes_in(trace: &str) -> Vec<String> {
    std::fs::read_to_string(trace)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("RTM_DELADDR"))
        .map(str::to_owned)
        .collect()
}

fn traced(lab: &Lab, action: &str, e: &Env, trace: &str) -> Run {
    let mut c = Command::new(which("ip"));
    c.args([
        "netns",
        "exec",
        &lab.ns,
        &which("strace"),
        "-qq",
        "-s",
        "256",
        "-v",
        "-o",
        trace,
    ])
    .args(["-e", "trace=sendto", bin(), action]);
    run_env(c, e)
}

fn check_delete(line: &str, ip: &str, prefix: u8) {
    let addr = if ip.contains(':') {
        format!("inet_pton(AF_INET6, \"{ip}\")")
    } else {
        format!("inet_addr(\"{ip}\")")
    };
    assert!(line.contains(&format!("ifa_prefixlen={prefix},")), "{line}");
    assert!(line.contains("ifa_index=if_nametoindex(\"v1\")"), "{line}");
    assert!(
        line.contains(&format!("nla_type=IFA_LOCAL}}, {addr}")),
        "{line}"
    );
    assert!(
        line.contains(&format!("nla_type=IFA_ADDRESS}}, {addr}")),
        "{line}"
    );
    let others = line.matches("inet_addr(").count() + line.matches("inet_pton(").count();
    assert_eq!(others, 2, "{line}");
}

/// Stop in a crowd: the interface holds many addresses near the configured one (textual
/// prefixes of it, the same subnet, the same address elsewhere). Stop removes exactly the
/// configured address, and when it is absent sends no delete at all.
#[test]
fn stop_removes_only_the_configured_address() {
    let (lab, _) = settled_lab("sd");
    lab.sh(
        "ip link add v2 type veth peer name v2p && ip link set v2 up && ip link set v2p up && \
         ip addr add 192.0.2.20/24 dev v1 && ip addr add 192.0.2.2/32 dev v1 && \
         ip addr add 192.0.2.201/24 dev v1 && ip addr add 192.0.2.199/24 dev v1 && \
         ip addr add 2001:db8::20/64 dev v1 nodad && ip addr add 2001:db8::2001/64 dev v1 nodad && \
         ip addr add 2001:db8::200/128 dev v2 nodad && ip addr add 192.0.2.200/24 dev v2",
    );
    settle(&lab);
    let crowd = kernel_state(&lab);
    let trace = format!("/tmp/{}-del.trace", lab.ns);
    let mut deletes = 0;
    for (ip, prefix) in [("192.0.2.200", 24u8), ("2001:db8::200", 64)] {
        let e = env(&[
            ("ip", ip),
            ("nic", "v1"),
            ("nodad", if ip.contains(':') { "1" } else { "" }),
        ]);
        // Absent from v1 (present on v2): nothing to delete, nothing deleted.
        let r = traced(&lab, "stop", &e, &trace);
        assert_eq!(r.code, 0, "{r:?}");
        assert!(deletes_in(&trace).is_empty(), "{:?}", deletes_in(&trace));
        assert_eq!(kernel_state(&lab), crowd);
        // Present: exactly one delete, naming it.
        assert_eq!(run(&lab, "start", &e).code, 0);
        let r = traced(&lab, "stop", &e, &trace);
        assert_eq!(r.code, 0, "{r:?}");
        let d = deletes_in(&trace);
        assert_eq!(d.len(), 1, "{d:?}");
        check_delete(&d[0], ip, prefix);
        deletes += 1;
        assert_eq!(
            kernel_state(&lab),
            crowd,
            "stop of {ip} touched another address"
        );
    }
    let _ = std::fs::remove_file(&trace);
    assert_eq!(deletes, 2);
}

/// The same address added again under another prefix behind the agent's back (the kernel
/// lists it before ours): stop must still succeed and leave none of that address on the nic,
/// and nothing else touched.
#[test]
fn stop_with_the_same_address_under_another_prefix() {
    let (lab, before) = settled_lab("sp");
    let e = env(&[
        ("ip", "192.0.2.200"),
        ("nic", "v1"),
        ("cidr_netmask", "24"),
        ("arp_count", "0"),
    ]);
    assert_eq!(run(&lab, "start", &e).code, 0);
    lab.sh("ip addr add 192.0.2.200/25 dev v1");
    let r = run(&lab, "stop", &e);
    let left = lab.cidrs("v1");
    assert!(
        r.code == 0 && !left.iter().any(|c| c.starts_with("192.0.2.200/")),
        "stop with 192.0.2.200/24 (ours) and /25 on v1: {r:?}, left {left:?}"
    );
    assert_eq!(kernel_state(&lab), before);
}

/// Linux: every delete request core builds names its address in IFA_LOCAL and IFA_ADDRESS,
/// with the given prefix and interface; no input yields a request without them.
#[test]
fn linux_delete_request_always_names_the_address() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut checked = 0;
    for i in 0..20_000 {
        let ip: IpAddr = if i % 2 == 0 {
            Ipv4Addr::from(next() as u32).into()
        } else {
            Ipv6Addr::from((u128::from(next()) << 64) | u128::from(next())).into()
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = (next() % (max + 1)) as u8;
        let index = (next() as u32).max(1);
        let req = ifaddr_core::linux::Request::DelAddr { index, ip, prefix }.encode(7);
        let (m, n) = (&req[..], req.len());
        assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()) as usize, n);
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), 21, "RTM_DELADDR");
        assert_eq!(m[17], prefix);
        assert_eq!(u32::from_ne_bytes(m[20..24].try_into().unwrap()), index);
        let want: Vec<u8> = match ip {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        let mut attrs = Vec::new();
        let mut off = 24;
        while off + 4 <= n {
            let len = usize::from(u16::from_ne_bytes([m[off], m[off + 1]]));
            let ty = u16::from_ne_bytes([m[off + 2], m[off + 3]]);
            attrs.push((ty, m[off + 4..off + len].to_vec()));
            off += (len + 3) & !3;
        }
        // IFA_ADDRESS = 1, IFA_LOCAL = 2, and nothing else.
        attrs.sort();
        assert_eq!(attrs, vec![(1, want.clone()), (2, want)], "{ip}/{prefix}");
        checked += 1;
    }
    assert_eq!(checked, 20_000);
}

/// FreeBSD: `SIOCDIFADDR` with an unset address deletes the interface's first address. A
/// delete request can only be built from a `Target`, and no `Target` holds the unset address:
/// the constructors refuse it (checked here), and safe code outside `ifaddr-core` cannot make
/// one any other way (checked by compiling the attempts: each must fail with its error).
#[test]
fn freebsd_delete_request_cannot_name_the_unset_address() {
    assert!(Target::v4(Ipv4Addr::UNSPECIFIED).is_none());
    assert!(Target::v6(Ipv6Addr::UNSPECIFIED).is_none());
    let name = IfName::parse("em0").unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..100_000u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Every 1000th: an address with a single bit, the closest to zero there is.
        let a4 = if i % 1000 == 0 {
            Ipv4Addr::from(1u32 << (i / 1000 % 32))
        } else {
            Ipv4Addr::from(seed as u32)
        };
        if let Some(t) = Target::v4(a4) {
            let b = *freebsd::IfreqAddr::new(&name, t).as_bytes();
            // A well-formed sockaddr_in (length 16, AF_INET) holding the address.
            assert_eq!(&b[16..18], &[16, 2]);
            assert_eq!(&b[20..24], &a4.octets());
            assert_ne!(&b[20..24], &[0; 4]);
        } else {
            assert!(a4.is_unspecified());
        }
        let a6 = Ipv6Addr::from(u128::from(seed) << (i % 64));
        let t = Target::v6(a6).expect("only :: is refused");
        let b = *freebsd::In6Ifreq::new(&name, t).as_bytes();
        assert_eq!(&b[16..18], &[28, 28]);
        assert_eq!(&b[24..40], &a6.octets());
    }
    compile_fail_attempts();
}

/// The FreeBSD backend (compiled only on FreeBSD, so read as text here) issues the delete
/// ioctls in exactly one place each, on a buffer just built from a `Target`. A new delete path
/// fails this check and has to be looked at.
#[test]
fn freebsd_backend_deletes_only_through_a_target() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../host/src/sys/freebsd.rs"
    ))
    .expect("host/src/sys/freebsd.rs");
    let lines: Vec<&str> = src.lines().collect();
    for (ioctl, builder, target) in [
        ("bsd::SIOCDIFADDR,", "bsd::IfreqAddr::new(", "Target::v4("),
        (
            "bsd::SIOCDIFADDR_IN6,",
            "bsd::In6Ifreq::new(",
            "Target::v6(",
        ),
    ] {
        let uses: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].contains(ioctl))
            .collect();
        assert_eq!(uses.len(), 1, "{ioctl} used at lines {uses:?}");
        let before = lines[uses[0].saturating_sub(6)..uses[0]].join("\n");
        assert!(
            before.contains(builder) && before.contains(target),
            "{ioctl} not on a buffer from {builder} with a {target}..): {before}"
        );
    }
}

/// Compile snippets against the `ifaddr-core` this test was built with: a control that must
/// compile, and attempts to forge a `Target` that must each fail with the expected error.
fn compile_fail_attempts() {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let mut rlibs: Vec<PathBuf> = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("libifaddr_core-") && n.ends_with(".rlib")
        })
        .collect();
    rlibs.sort_by_key(|p| std::cmp::Reverse(p.metadata().and_then(|m| m.modified()).ok()));
    // The rustc beside the cargo running the tests (the one that built ifaddr-core).
    let rustc = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|c| c.parent().map(|d| d.join("rustc")))
        .filter(|r| r.exists())
        .unwrap_or_else(|| PathBuf::from("rustc"));
    let dir = PathBuf::from(format!("/tmp/ifaddr-forge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prelude = "use ifaddr_core::freebsd::{self, Target};\nuse ifaddr_core::ifname::IfName;\n\
                   use std::net::Ipv4Addr;\n#[allow(unused)]\npub fn f() {\n\
                   let name = IfName::parse(\"em0\").unwrap();\n";
    let compile = |rlib: &Path, body: &str| -> (bool, String) {
        let src = dir.join("forge.rs");
        std::fs::write(
            &src,
            format!("{prelude}{body}\nlet _ = freebsd::IfreqAddr::new(&name, t);\n}}\n"),
        )
        .unwrap();
        let out = Command::new(&rustc)
            .args([
                "--edition",
                "2021",
                "--crate-type",
                "lib",
                "--emit",
                "metadata",
                "--crate-name",
                "forge",
            ])
            .arg("--out-dir")
            .arg(&dir)
            .arg("--extern")
            .arg(format!("ifaddr_core={}", rlib.display()))
            .arg("-L")
            .arg(format!("dependency={}", deps.display()))
            .arg(&src)
            .output()
            .expect("rustc");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let control = "let t = Target::v4(Ipv4Addr::new(192, 0, 2, 200)).unwrap();";
    let rlib = rlibs
        .iter()
        .find(|r| compile(r, control).0)
        .unwrap_or_else(|| {
            panic!(
                "no ifaddr_core rlib in {} compiles the control: {rlibs:?}",
                deps.display()
            )
        });
    for (attempt, error) in [
        ("let t = Target(Ipv4Addr::UNSPECIFIED);", "E0423"),
        ("let t: Target<Ipv4Addr> = Target { 0: Ipv4Addr::UNSPECIFIED };", "E0451"),
        ("let mut t = Target::v4(Ipv4Addr::new(192, 0, 2, 200)).unwrap(); t.0 = Ipv4Addr::UNSPECIFIED;", "E0616"),
        ("let t: Target<Ipv4Addr> = Default::default();", "E0277"),
        ("let t: Target<Ipv4Addr> = Ipv4Addr::UNSPECIFIED.into();", "E0277"),
        ("let t = Target::<Ipv4Addr>::new(Ipv4Addr::UNSPECIFIED);", "E0599"),
        ("let t = Ipv4Addr::UNSPECIFIED;", "E0308"),
    ] {
        let (ok, stderr) = compile(rlib, attempt);
        assert!(!ok, "forging a Target compiled: {attempt}");
        assert!(stderr.contains(&format!("error[{error}]")), "{attempt}: expected {error}:\n{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
