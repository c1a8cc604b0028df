//! `cargo xtask ocft`: resource-agents' own ocft cases for IPaddr2 (configs `IPaddr2`,
//! `IPaddr2v4`, `IPaddr2v6`, as Debian's `resource-agents` ships them) run against ifaddr.
//!
//! The configs are converted when the command runs (they are not copied into this repository):
//! the agent becomes `vip` in a scratch agent root, and IPaddr2v4's private addresses become
//! documentation ones (see [`CONVERT`]). Each case runs alone, in fresh network namespaces
//! with `eth0` and `eth1` (veth pairs whose peers sit in a second namespace), between the
//! config's own SETUP-AGENT and CLEANUP-AGENT: a case that fails leaves nothing behind for
//! the next one, so no failure is a cascade.
//!
//! The cases ifaddr fails are listed in [`EXPECTED`] with the reason (README, "Migrating from
//! IPaddr2"); the command fails when another case fails, or when a listed one passes.

use crate::deps;
use crate::util::{cargo, root, run};
use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIGS: &[&str] = &["IPaddr2", "IPaddr2v4", "IPaddr2v6"];
const SOURCE: &str = "/usr/share/resource-agents/ocft/configs";
const CASES_DIR: &str = "/var/lib/resource-agents/ocft/cases";
const NS: &str = "ifaocft";
const PEER: &str = "ifaocftp";

/// Text substitutions, in order. IPaddr2v4 and IPaddr2 use 192.168.144.0/24, forced prefixes
/// /16 and /28 and a "wrong" 192.168.120.1; here the base network is 192.0.2.0/25 and the
/// wider forced prefix /24, so that every address and route stays inside 192.0.2.0/24 (the
/// cases keep their meaning: a forced prefix wider and one narrower than the base's).
/// IPaddr2v6 already uses 2001:db8::/32.
const CONVERT: &[(&str, &str)] = &[
    ("\tAgent IPaddr2\n", "\tAgent vip\n"),
    ("192.168.144.1/24", "192.0.2.1/25"),
    ("192.168.144.2/24", "192.0.2.2/25"),
    ("192.168.144.255", "192.0.2.127"),
    ("192.168.144.", "192.0.2."),
    ("192.168.120.1", "198.51.100.1"),
    ("192.168.255.255", "192.0.2.255"),
    ("OCFT_target_prefix=24\n", "OCFT_target_prefix=25\n"),
    ("OCFT_force_prefix=16\n", "OCFT_force_prefix=24\n"),
    // IPaddr2's "set 'OCF_RESKEY_cidr_netmask'" case gives the base network's prefix.
    (
        "OCF_RESKEY_cidr_netmask=24\n",
        "OCF_RESKEY_cidr_netmask=25\n",
    ),
];

/// The cases ifaddr fails, on purpose: (config, case number, case name, reason). A case that
/// is not here must pass; one that is here must fail. The README's migration section lists
/// the same cases.
pub const EXPECTED: &[(&str, u32, &str, &str)] = &[
    (
        "IPaddr2",
        8,
        "check base env: set invalid 'OCF_RESKEY_nic'",
        "a nic missing on this node is exit 2 (unusable here: bans this node only), not 6",
    ),
    (
        "IPaddr2",
        16,
        "Attachment to loopback interface",
        "loopback addresses (127.0.0.3) are refused with 6: nothing floats on lo",
    ),
    (
        "IPaddr2v4",
        8,
        "error params with wrong ip",
        "no connected route covers ip on this node: 2, not 1",
    ),
    (
        "IPaddr2v4",
        9,
        "params with force nic",
        "no connected route on the given nic covers ip (set cidr_netmask to force it): 2, not 1",
    ),
    (
        "IPaddr2v4",
        10,
        "params with force cidr_netmask (base netmask > assigned netmask)",
        "cidr_netmask wider than the connected route, without nic: 2, not 1",
    ),
    (
        "IPaddr2v4",
        12,
        "error params with wrong ip and nic (not exist base_ip)",
        "no connected route on nic covers ip: 2, not 1",
    ),
    (
        "IPaddr2v4",
        15,
        "error params with wrong ip and cidr_netmask (not exist base_ip)",
        "no connected route covers ip: 2, not 1",
    ),
    (
        "IPaddr2v4",
        19,
        "params with broadcast, no nic, no cidr_netmask",
        "no connected route covers ip: 2, not 1",
    ),
    (
        "IPaddr2v4",
        21,
        "force to use the specified nic and cidr_netmask",
        "a broadcast address outside ip/cidr_netmask's subnet is refused with 6; IPaddr2 \
         configures it",
    ),
    (
        "IPaddr2v6",
        6,
        "error params with wrong ip",
        "no connected route covers ip on this node: 2, not 1",
    ),
    (
        "IPaddr2v6",
        10,
        "error params with wrong ip and nic (not exist base_ip)",
        "no connected route on nic covers ip: 2, not 1",
    ),
    (
        "IPaddr2v6",
        11,
        "params with force nic",
        "no connected route on the given nic covers ip (set cidr_netmask to force it): 2, not 1",
    ),
    (
        "IPaddr2v6",
        13,
        "params with force cidr_netmask (base netmask < assigned netmask)",
        "a cidr_netmask narrower than the connected route is accepted (0) for IPv6 as for \
         IPv4 (the case wants 1 here, its IPv4 twin 0)",
    ),
    (
        "IPaddr2v6",
        14,
        "params with force cidr_netmask (base netmask > assigned netmask)",
        "cidr_netmask wider than the connected route, without nic: 2, not 1",
    ),
    (
        "IPaddr2v6",
        15,
        "params with cidr_netmask",
        "no connected route covers ip (base address removed): 2, not 1",
    ),
];

fn sh(cmd: &str) -> std::process::Output {
    Command::new("sh")
        .args(["-c", cmd])
        .output()
        .unwrap_or_else(|e| panic!("sh: {e}"))
}

fn namespaces_down() {
    let _ = sh(&format!(
        "ip netns del {NS} 2>/dev/null; ip netns del {PEER} 2>/dev/null"
    ));
}

/// `NS` with eth0 and eth1 up, their peers up in `PEER`.
fn namespaces_up() -> Result<(), String> {
    namespaces_down();
    let out = sh(&format!(
        "ip netns add {NS} && ip netns add {PEER} && \
         ip -n {NS} link add eth0 type veth peer name eth0p netns {PEER} && \
         ip -n {NS} link add eth1 type veth peer name eth1p netns {PEER} && \
         for d in lo eth0 eth1; do ip -n {NS} link set $d up || exit 1; done && \
         for d in lo eth0p eth1p; do ip -n {PEER} link set $d up || exit 1; done"
    ));
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "namespaces: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Convert one config for the agent in `agent_root`.
fn convert(config: &str, agent_root: &Path) -> Result<String, String> {
    let path = Path::new(SOURCE).join(config);
    let mut text =
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (from, to) in CONVERT {
        text = text.replace(from, to);
    }
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("AgentRoot ") {
            out.push_str(&format!("\tAgentRoot {}\n", agent_root.display()));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !out.contains("\tAgent vip\n") {
        return Err(format!("{config}: no `Agent IPaddr2` line to convert"));
    }
    Ok(out)
}

/// The numbered case scripts `ocft make` generated for `agent`, in order.
fn case_scripts(agent: &str) -> Vec<(u32, PathBuf)> {
    let suffix = format!("_{agent}.sh");
    let mut v: Vec<(u32, PathBuf)> = std::fs::read_dir(CASES_DIR)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let n = name.strip_suffix(&suffix)?.parse::<u32>().ok()?;
                    Some((n, e.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The case's name, from its script's `echo`ed header (`agent: NAME - ...`), or its number.
fn case_name(script: &Path, agent: &str, n: u32) -> String {
    let text = std::fs::read_to_string(script).unwrap_or_default();
    let tag = format!("{agent}: ");
    text.lines()
        .find_map(|l| {
            let i = l.find(&tag)?;
            let rest = &l[i + tag.len()..];
            let end = rest.find(" - ").or_else(|| rest.find('"'))?;
            Some(rest[..end].trim().to_owned())
        })
        .unwrap_or_else(|| format!("case {n}"))
}

struct Outcome {
    config: &'static str,
    number: u32,
    name: String,
    passed: bool,
    output: String,
}

pub fn run_ocft(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("ocft takes no arguments (got {a})"));
    }
    deps::apt(&["resource-agents", "iproute2"])?;
    // The agent, built apart from the test suite's builds (no policy compiler needed here).
    let target = root().join("target/ocft");
    run(cargo()
        .args([
            "build",
            "-p",
            "ifaddr",
            "--no-default-features",
            "--target-dir",
        ])
        .arg(&target))?;
    let agent_root = target.join("agent-root");
    let configs_dir = target.join("configs");
    for d in [&agent_root, &configs_dir] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    std::os::unix::fs::symlink(target.join("debug/ifaddr"), agent_root.join("vip"))
        .map_err(|e| format!("symlink: {e}"))?;
    let mut outcomes = Vec::new();
    for config in CONFIGS {
        let agent = format!("ifaddr-{config}");
        let text = convert(config, &agent_root)?;
        std::fs::write(configs_dir.join(&agent), text).map_err(|e| format!("{agent}: {e}"))?;
        run(Command::new("ocft")
            .args(["make", "-d"])
            .arg(&configs_dir)
            .arg(&agent))?;
        let scripts = case_scripts(&agent);
        if scripts.is_empty() {
            return Err(format!("ocft make generated no cases for {agent}"));
        }
        for (n, script) in scripts {
            let name = case_name(&script, &agent, n);
            namespaces_up()?;
            let out = sh(&format!(
                "cd {CASES_DIR} && ip netns exec {NS} sh -c './setup_{agent}.sh && ./{n}_{agent}.sh; rc=$?; ./cleanup_{agent}.sh >/dev/null 2>&1; exit $rc' 2>&1"
            ));
            namespaces_down();
            let output = String::from_utf8_lossy(&out.stdout).into_owned();
            let passed = out.status.success() && !output.contains("FAILED");
            eprintln!(
                "{agent} #{n} {name}: {}",
                if passed { "ok" } else { "FAILED" }
            );
            outcomes.push(Outcome {
                config,
                number: n,
                name,
                passed,
                output,
            });
        }
    }
    report(&outcomes)
}

fn report(outcomes: &[Outcome]) -> Result<(), String> {
    let expected = |o: &Outcome| {
        EXPECTED
            .iter()
            .find(|(c, n, name, _)| *c == o.config && *n == o.number && *name == o.name)
    };
    let mut problems = Vec::new();
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    println!(
        "\nocft: {} cases, {} passed, {failed} failed\n",
        outcomes.len(),
        outcomes.len() - failed
    );
    println!("| config | case | why ifaddr fails it |\n| --- | --- | --- |");
    for o in outcomes.iter().filter(|o| !o.passed) {
        match expected(o) {
            Some((_, _, _, why)) => {
                println!("| {} | {} {} | {why} |", o.config, o.number, o.name)
            }
            None => {
                println!("| {} | {} {} | (unexpected) |", o.config, o.number, o.name);
                problems.push(format!(
                    "{} #{} \"{}\" failed:\n{}",
                    o.config,
                    o.number,
                    o.name,
                    o.output.trim()
                ));
            }
        }
    }
    for (c, n, name, _) in EXPECTED {
        match outcomes.iter().find(|o| o.config == *c && o.number == *n) {
            Some(o) if o.name != *name => problems.push(format!(
                "{c} #{n} is \"{}\", not \"{name}\": renumbered configs? update EXPECTED",
                o.name
            )),
            Some(o) if o.passed => problems.push(format!(
                "{c} #{n} \"{name}\" passes now: drop it from EXPECTED in xtask/src/ocft.rs \
                 and from the README"
            )),
            Some(_) => {}
            None => problems.push(format!("{c} #{n} \"{name}\" did not run")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n\n"))
    }
}
