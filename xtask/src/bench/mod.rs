//! `cargo xtask bench [--quick] [--runs N] [--write]`: ifaddr against `ocf:heartbeat:IPaddr2`,
//! in one run, in the same network namespace, on the same machine.
//!
//! Every figure is the wall time and peak RSS of one whole agent run as Pacemaker's executor
//! would start it (fork, exec, wait), measured by `launcher.c`: wall time around fork..wait4,
//! peak RSS from wait4's rusage (the largest process of the agent's tree). Medians and the
//! 10th-90th percentile spread are reported. `--write` replaces the generated section of
//! BENCHMARKS.md. `--quick` (what CI runs) only proves that the harness works.

use crate::util::{cargo, root, run};
use ifaddr_tests::{try_sh as sh, Lab};
use std::ffi::CString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const NS: &str = "ifaddr-bench";
/// The artifact cache the measured agent reads (`IFADDR_CACHE_DIR`).
const CACHE: &str = "/run/ifaddr-bench-cache";
const IPADDR2: &str = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2";

struct Opts {
    runs: usize,
    quick: bool,
    write: bool,
}

/// One measured agent run.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    rss_kib: u64,
    code: i32,
}

struct Stats {
    median: Duration,
    p10: Duration,
    p90: Duration,
    rss_kib: u64,
}

fn stats(samples: &[Sample]) -> Stats {
    let mut w: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
    w.sort();
    let mut r: Vec<u64> = samples.iter().map(|s| s.rss_kib).collect();
    r.sort();
    let at = |q: f64| w[((w.len() - 1) as f64 * q).round() as usize];
    Stats {
        median: at(0.5),
        p10: at(0.1),
        p90: at(0.9),
        rss_kib: r[r.len() / 2],
    }
}

/// Which agent, and how to call it.
#[derive(Clone, Copy, PartialEq)]
enum Agent {
    Ifaddr,
    IpAddr2,
}

struct Bench {
    bin: PathBuf,
    /// `launcher.c`, built static: runs one command, reports its peak RSS and wall time.
    launcher: PathBuf,
}

impl Bench {
    fn command(&self, agent: Agent, action: &str, env: &[(&str, &str)]) -> Command {
        let mut c = match agent {
            Agent::Ifaddr => Command::new(&self.bin),
            Agent::IpAddr2 => Command::new(IPADDR2),
        };
        c.arg(action);
        c.env_clear();
        c.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        c.env("OCF_ROOT", "/usr/lib/ocf");
        c.env("OCF_RESOURCE_INSTANCE", "bench");
        // Policies are compiled into a cache of the benchmark's own, not the machine's.
        c.env("IFADDR_CACHE_DIR", CACHE);
        c.env("HA_LOGFACILITY", "none");
        c.env("OCF_RESKEY_CRM_meta_timeout", "20000");
        for (k, v) in env {
            c.env(format!("OCF_RESKEY_{k}"), v);
        }
        c.stdout(std::process::Stdio::null());
        c.stderr(std::process::Stdio::null());
        c
    }

    fn once(&self, agent: Agent, action: &str, env: &[(&str, &str)]) -> Result<Sample, String> {
        self.launch(&self.command(agent, action, env))
    }

    /// Run `inner` under the launcher.
    fn launch(&self, inner: &Command) -> Result<Sample, String> {
        let mut c = Command::new(&self.launcher);
        c.arg(inner.get_program()).args(inner.get_args());
        copy_env(inner, &mut c);
        c.stdout(std::process::Stdio::piped());
        let out = c.output().map_err(|e| format!("launcher: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let f: Vec<i64> = text
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        let [rss, ns, code] = f[..] else {
            return Err(format!("launcher printed {text:?}"));
        };
        Ok(Sample {
            wall: Duration::from_nanos(ns as u64),
            rss_kib: rss as u64,
            code: code as i32,
        })
    }

    /// The exec floor: `n` runs of a static program that does nothing, under the same
    /// launcher, linked as the agent is (musl, static: glibc's static start-up alone takes
    /// about 1 ms here).
    fn floor(&self, n: usize) -> Result<Stats, String> {
        let src = root().join("target/bench-noop.c");
        let exe = root().join("target/bench-noop");
        std::fs::write(&src, "int main(void) { return 0; }\n").map_err(|e| e.to_string())?;
        crate::deps::apt(&["musl-tools"])?;
        run(Command::new("musl-gcc")
            .args(["-static", "-O2", "-o"])
            .arg(&exe)
            .arg(&src))?;
        let noop = Command::new(&exe);
        self.launch(&noop)?;
        let v = (0..n)
            .map(|_| self.launch(&noop))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(stats(&v))
    }

    /// Run `action` `n` times, each run expected to exit with `want`.
    fn measure(
        &self,
        agent: Agent,
        action: &str,
        env: &[(&str, &str)],
        want: i32,
        n: usize,
    ) -> Result<Stats, String> {
        let mut v = Vec::with_capacity(n);
        // One unmeasured run warms the page cache (and the policy cache for ifaddr).
        self.once(agent, action, env)?;
        for _ in 0..n {
            let s = self.once(agent, action, env)?;
            if s.code != want {
                return Err(format!(
                    "{} {action} {env:?} exited {}, expected {want}",
                    name(agent),
                    s.code
                ));
            }
            v.push(s);
        }
        Ok(stats(&v))
    }

    /// Monitor with environment `a` and with `b` alternately, `n` times each (both expected
    /// to exit 0): a difference of medians that drifts with the machine as little as can be.
    fn monitor_pair(
        &self,
        a: &[(&str, &str)],
        b: &[(&str, &str)],
        n: usize,
    ) -> Result<(Stats, Stats), String> {
        let mut va = Vec::with_capacity(n);
        let mut vb = Vec::with_capacity(n);
        self.once(Agent::Ifaddr, "monitor", a)?;
        self.once(Agent::Ifaddr, "monitor", b)?;
        for _ in 0..n {
            for (env, v) in [(a, &mut va), (b, &mut vb)] {
                let s = self.once(Agent::Ifaddr, "monitor", env)?;
                if s.code != 0 {
                    return Err(format!("ifaddr monitor {env:?} exited {}", s.code));
                }
                v.push(s);
            }
        }
        Ok((stats(&va), stats(&vb)))
    }

    /// Start and stop alternately, measuring each.
    fn start_stop(
        &self,
        agent: Agent,
        env: &[(&str, &str)],
        n: usize,
    ) -> Result<(Stats, Stats), String> {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let s = self.once(agent, "start", env)?;
            if s.code != 0 {
                return Err(format!("{} start {env:?} exited {}", name(agent), s.code));
            }
            a.push(s);
            // Stop as Pacemaker usually runs it: after start's announcements (5, 200 ms
            // apart, the default for both agents) have ended. A stop that comes while they
            // still run ends them first (BENCHMARKS.md).
            std::thread::sleep(Duration::from_millis(900));
            let s = self.once(agent, "stop", env)?;
            if s.code != 0 {
                return Err(format!("{} stop {env:?} exited {}", name(agent), s.code));
            }
            b.push(s);
        }
        // Let background announcers finish before the next measurement.
        std::thread::sleep(Duration::from_millis(300));

        Ok((stats(&a), stats(&b)))
    }
}

fn name(a: Agent) -> &'static str {
    match a {
        Agent::Ifaddr => "ifaddr",
        Agent::IpAddr2 => "IPaddr2",
    }
}

/// A measurement's table cells: median, p10-p90 (ms), peak RSS (KiB).
fn cells(s: &Stats) -> String {
    format!(
        "{} | {}-{} | {}",
        ms(s.median),
        ms(s.p10),
        ms(s.p90),
        s.rss_kib
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Enter the benchmark namespace in this process, so the agents start directly in it (no
/// `ip netns exec` in the measured path).
fn enter_netns(name: &str) -> Result<(), String> {
    let path = CString::new(format!("/run/netns/{name}")).unwrap();
    // SAFETY: path is a valid C string; the descriptor is closed below.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(format!("open netns: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: fd is an open namespace file.
    let r = unsafe { libc::setns(fd, libc::CLONE_NEWNET) };
    // SAFETY: fd is ours to close.
    unsafe { libc::close(fd) };
    if r < 0 {
        return Err(format!("setns: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// The lab of the integration tests (a veth pair between two namespaces), under the
/// benchmark's name; what an earlier, killed run left under that name goes first.
fn make_lab() -> Result<Lab, String> {
    let _ = sh(&format!(
        "ip netns del {NS} 2>/dev/null; ip netns del {NS}p 2>/dev/null"
    ));
    Lab::named(NS)
}

/// Run `ip -batch` lines in the benchmark namespace.
fn batch(lines: &str) -> Result<(), String> {
    let f = std::env::temp_dir().join("ifaddr-bench.batch");
    std::fs::write(&f, lines).map_err(|e| e.to_string())?;
    sh(&format!("ip -n {NS} -batch {}", f.display()))?;
    let _ = std::fs::remove_file(f);
    Ok(())
}

/// `ip -batch` lines adding addresses 2001:db8:1::`from` ..= ::`to` to v1 (IPv6: the only
/// documentation range with room for ten thousand).
fn addr_lines(from: usize, to: usize) -> String {
    (from..=to)
        .map(|i| format!("addr add 2001:db8:1::{i:x}/64 dev v1 nodad\n"))
        .collect()
}

fn many_routes(n: usize) -> String {
    (1..=n)
        .map(|i| format!("route add 2001:db8:2:{i:x}::/64 dev v1\n"))
        .collect()
}

/// Count processes and system calls of one run under strace.
fn trace_counts(cmd: &Command) -> Result<(usize, usize), String> {
    let dir = std::env::temp_dir();
    let procs = dir.join("ifaddr-bench.procs");
    let calls = dir.join("ifaddr-bench.calls");
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-o"]).arg(&procs);
    c.args(["-e", "trace=execve,clone,clone3,fork,vfork"]);
    c.arg(cmd.get_program()).args(cmd.get_args());
    copy_env(cmd, &mut c);
    c.output().map_err(|e| e.to_string())?;
    let t = std::fs::read_to_string(&procs).map_err(|e| e.to_string())?;
    let forks = t
        .lines()
        .filter(|l| (l.contains("clone") || l.contains("fork")) && !l.contains("= -1"))
        .filter(|l| !l.contains("resumed>") || l.contains("= "))
        .filter(|l| l.contains("= ") && !l.contains("<unfinished"))
        .count();
    let mut c = Command::new("strace");
    c.args(["-f", "-c", "-o"]).arg(&calls);
    c.arg(cmd.get_program()).args(cmd.get_args());
    copy_env(cmd, &mut c);
    c.output().map_err(|e| e.to_string())?;
    let t = std::fs::read_to_string(&calls).map_err(|e| e.to_string())?;
    let total = t
        .lines()
        .find(|l| l.trim_end().ends_with("total"))
        .and_then(|l| {
            // "100.00    0.000123           1       123         4 total": calls is the 4th
            // column.
            l.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(0);
    let _ = std::fs::remove_file(procs);
    let _ = std::fs::remove_file(calls);
    Ok((forks + 1, total))
}

fn copy_env(from: &Command, to: &mut Command) {
    to.env_clear();
    for (k, v) in from.get_envs() {
        if let Some(v) = v {
            to.env(k, v);
        }
    }
    to.stdout(std::process::Stdio::null());
    to.stderr(std::process::Stdio::null());
}

fn stripped_size(path: &Path) -> Result<u64, String> {
    let tmp = std::env::temp_dir().join("ifaddr-bench.stripped");
    std::fs::copy(path, &tmp).map_err(|e| format!("{}: {e}", path.display()))?;
    sh(&format!("strip {}", tmp.display()))?;
    let n = std::fs::metadata(&tmp).map_err(|e| e.to_string())?.len();
    let _ = std::fs::remove_file(tmp);
    Ok(n)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = sh("uname -r").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, Linux {}", kernel.trim())
}

/// How many times the usual number of runs a policy's cost is measured with.
const POLICY_RUNS: usize = 10;

pub fn run_bench(args: &[String]) -> Result<(), String> {
    let mut o = Opts {
        runs: 51,
        quick: false,
        write: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => {
                o.quick = true;
                o.runs = 3;
            }
            "--write" => o.write = true,
            "--runs" => {
                o.runs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--runs takes a number")?
            }
            other => return Err(format!("bench: unknown argument {other}")),
        }
    }
    crate::deps::apt(&["resource-agents", "iproute2", "strace", "binutils"])?;
    // --quick proves the harness works with the debug build the tests already made; figures
    // come from the static release build that `cargo xtask dist`, `cargo xtask install` and
    // the packages ship for Linux, with the glibc build (a plain `cargo build --release`,
    // for development) measured beside it. Policies are compiled by `ifaddrc` into the
    // agent's cache, as on a node.
    let (bin, glibc) = if o.quick {
        run(cargo().args(["build", "-p", "ifaddr"]))?;
        (root().join("target/debug/ifaddr"), None)
    } else {
        run(cargo().args(["build", "--release", "-p", "ifaddr"]))?;
        let musl = crate::dist::build(crate::dist::MUSL, "ifaddr", false)?;
        crate::dist::check_agent(crate::dist::MUSL, &musl)?;
        (musl, Some(root().join("target/release/ifaddr")))
    };
    let policies = crate::util::built_policies();
    let ifaddrc = crate::dist::host_ifaddrc()?;
    let mut out = String::new();
    let n = o.runs;
    let lab = make_lab()?;
    enter_netns(NS)?;
    let launcher = build_launcher()?;
    let b = Bench {
        bin: bin.clone(),
        launcher,
    };
    let agents = [Agent::Ifaddr, Agent::IpAddr2];

    writeln!(
        out,
        "Machine: {}. Runs per figure: {n} (after one warm-up run).\n",
        machine()
    )
    .unwrap();
    writeln!(
        out,
        "| operation | agent | median ms | p10-p90 ms | peak RSS KiB |"
    )
    .unwrap();
    writeln!(out, "| --- | --- | ---: | ---: | ---: |").unwrap();
    let mut ratios: Vec<(String, f64, f64)> = Vec::new();
    let row = |out: &mut String, op: &str, a: Agent, s: &Stats| {
        writeln!(out, "| {op} | {} | {} |", name(a), cells(s)).unwrap();
    };
    let nic = [("ip", "192.0.2.200"), ("nic", "v1"), ("cidr_netmask", "24")];
    let auto = [("ip", "192.0.2.200")];
    let mut pair = |out: &mut String,
                    op: &str,
                    act: &str,
                    env: &[(&str, &str)],
                    want: i32|
     -> Result<(), String> {
        let mut med = [0.0; 2];
        let mut rss = [0.0; 2];
        for (i, a) in agents.iter().enumerate() {
            let s = b.measure(*a, act, env, want, n)?;
            row(out, op, *a, &s);
            med[i] = s.median.as_secs_f64();
            rss[i] = s.rss_kib as f64;
        }
        ratios.push((op.to_owned(), med[1] / med[0], rss[1] / rss[0]));
        Ok(())
    };
    // The exec floor: the same launcher running a static program that does nothing.
    let floor = b.floor(n)?;
    writeln!(
        out,
        "| exec floor (static musl do-nothing program) | - | {} | {}-{} | {} |",
        ms(floor.median),
        ms(floor.p10),
        ms(floor.p90),
        floor.rss_kib
    )
    .unwrap();
    pair(&mut out, "monitor, absent, nic given", "monitor", &nic, 7)?;
    pair(
        &mut out,
        "monitor, absent, nic detected",
        "monitor",
        &auto,
        7,
    )?;
    sh(&format!("ip -n {NS} addr add 192.0.2.200/24 dev v1"))?;
    pair(&mut out, "monitor, present, nic given", "monitor", &nic, 0)?;
    pair(
        &mut out,
        "monitor, present, nic detected",
        "monitor",
        &auto,
        0,
    )?;
    sh(&format!("ip -n {NS} addr del 192.0.2.200/24 dev v1"))?;
    let probe = [
        ("ip", "192.0.2.200"),
        ("nic", "v1"),
        ("cidr_netmask", "24"),
        ("run_arping", "true"),
    ];
    for (op, env) in [
        ("start/stop, nic given", &nic[..]),
        ("start/stop, nic given, run_arping=true", &probe[..]),
    ] {
        let mut med = [[0.0; 2]; 2];
        let mut rss = [[0.0; 2]; 2];
        for (i, a) in agents.iter().enumerate() {
            if *a == Agent::IpAddr2 && env.len() == 4 {
                continue;
            }
            // IPaddr2's run_arping runs arping for seconds; only ifaddr is run with the check.
            let (s1, s2) = b.start_stop(*a, env, n)?;
            row(&mut out, &op.replace("start/stop", "start"), *a, &s1);
            row(&mut out, &op.replace("start/stop", "stop"), *a, &s2);
            med[i] = [s1.median.as_secs_f64(), s2.median.as_secs_f64()];
            rss[i] = [s1.rss_kib as f64, s2.rss_kib as f64];
        }
        if env.len() == 3 {
            ratios.push(("start".into(), med[1][0] / med[0][0], rss[1][0] / rss[0][0]));
            ratios.push(("stop".into(), med[1][1] / med[0][1], rss[1][1] / rss[0][1]));
        }
    }
    // Policies: ifaddr only, against the same build without a policy, runs alternating, for
    // the static build and (with --write) the glibc build.
    sh(&format!("ip -n {NS} addr add 192.0.2.200/24 dev v1"))?;
    let mut policy_rows = String::new();
    let g = glibc.as_ref().map(|glibc| Bench {
        bin: glibc.clone(),
        launcher: b.launcher.clone(),
    });
    for (build, other) in [("glibc build (dynamic)", &g)] {
        let Some(other) = other else { continue };
        for (op, env) in [("nic given", &nic[..]), ("nic detected", &auto[..])] {
            let s = other.measure(Agent::Ifaddr, "monitor", env, 0, n)?;
            row(
                &mut out,
                &format!("monitor, present, {op}, {build}"),
                Agent::Ifaddr,
                &s,
            );
        }
    }
    if !policies.is_empty() {
        let dir = std::env::temp_dir().join("ifaddr-bench-policies");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut builds = vec![("static", &b)];
        if let Some(g) = &g {
            builds.push(("glibc", g));
        }
        for p in &policies {
            let dest = dir.join(p.file_name().unwrap());
            std::fs::copy(p, &dest).map_err(|e| e.to_string())?;
            sh(&format!("chmod 0644 {}", dest.display()))?;
            crate::dist::compile_policy(&ifaddrc, &dest, Path::new(CACHE), crate::dist::MUSL)?;
            let pol = dest.to_string_lossy().into_owned();
            let args = if pol.contains("error") {
                "rate=1000"
            } else {
                ""
            };
            let mut env = nic.to_vec();
            env.push(("policy", &pol));
            if !args.is_empty() {
                env.push(("policy_args", args));
            }
            let stem = p.file_stem().unwrap().to_string_lossy();
            for (build, bench) in &builds {
                // Ten times the runs, alternating with the baseline: the difference is small
                // next to the spread between runs (each run is only a millisecond or two).
                let (base, s) = bench.monitor_pair(&nic, &env, POLICY_RUNS * n)?;
                let label = if g.is_some() {
                    format!("{stem}, {build} build")
                } else {
                    stem.to_string()
                };
                row(
                    &mut out,
                    &format!("monitor, present, policy {label}"),
                    Agent::Ifaddr,
                    &s,
                );
                writeln!(
                    policy_rows,
                    "| {label} | {} | {} | {} |",
                    ms(base.median),
                    ms(s.median),
                    ms(s.median.saturating_sub(base.median))
                )
                .unwrap();
            }
        }
    }
    sh(&format!("ip -n {NS} addr del 192.0.2.200/24 dev v1"))?;

    // Growth: addresses on the interface, routes in the table (IPv6, nic given / detected).
    let mut growth = String::from(
        "| operation | agent | median ms | p10-p90 ms | peak RSS KiB |\n| --- | --- | ---: | ---: | ---: |\n",
    );
    let v6 = [
        ("ip", "2001:db8::200"),
        ("nic", "v1"),
        ("cidr_netmask", "64"),
        ("nodad", "true"),
    ];
    let v6auto = [("ip", "2001:db8::200"), ("nodad", "true")];
    sh(&format!(
        "ip -n {NS} addr add 2001:db8::200/64 dev v1 nodad"
    ))?;
    let steps: &[usize] = if o.quick {
        &[1, 100]
    } else {
        &[1, 1000, 10000]
    };
    let mut have = 1; // 2001:db8::1 is there already
    for &count in steps {
        if count > have {
            batch(&addr_lines(have, count - 1))?;
            have = count;
        }
        for a in agents {
            let s = b.measure(
                a,
                "monitor",
                &v6,
                0,
                n.min(if count > 1000 { 21 } else { n }),
            )?;
            writeln!(
                growth,
                "| monitor, {count} addresses on the interface | {} | {} |",
                name(a),
                cells(&s)
            )
            .unwrap();
        }
    }
    let rsteps: &[usize] = if o.quick { &[100] } else { &[10000] };
    for &count in rsteps {
        batch(&many_routes(count))?;
        for a in agents {
            let s = b.measure(a, "monitor", &v6auto, 0, n.min(21))?;
            writeln!(
                growth,
                "| monitor, nic detected among {count} routes (+{have} addresses) | {} | {} |",
                name(a),
                cells(&s)
            )
            .unwrap();
        }
    }
    sh(&format!("ip -n {NS} addr flush dev v1 && ip -n {NS} addr add 192.0.2.1/24 dev v1 && ip -n {NS} -6 route flush dev v1"))?;

    // Processes and system calls per monitor.
    sh(&format!("ip -n {NS} addr add 192.0.2.200/24 dev v1"))?;
    let mut counts = String::new();
    for a in agents {
        for (label, env) in [("nic given", &nic[..]), ("nic detected", &auto[..])] {
            let (procs, calls) = trace_counts(&b.command(a, "monitor", env))?;
            writeln!(
                counts,
                "| {} | monitor, present, {label} | {procs} | {calls} |",
                name(a)
            )
            .unwrap();
        }
    }
    drop(lab);

    // Sizes.
    let mut sizes = String::new();
    writeln!(
        sizes,
        "| the agent{} | {} |",
        if glibc.is_some() {
            ", static (musl), the one measured above"
        } else {
            ""
        },
        kib(stripped_size(&bin)?)
    )
    .unwrap();
    if let Some(glibc) = &glibc {
        writeln!(
            sizes,
            "| the agent, glibc (dynamic) | {} |",
            kib(stripped_size(glibc)?)
        )
        .unwrap();
    }
    if !o.quick {
        let rt_dir = root().join("target/bench-sizes");
        let ifaddrc = crate::dist::build(crate::dist::MUSL, "ifaddrc", false)?;
        writeln!(
            sizes,
            "| the policy compiler `ifaddrc`, static (musl; not on any agent path) | {} |",
            kib(stripped_size(&ifaddrc)?)
        )
        .unwrap();
        run(cargo()
            .args([
                "build",
                "--release",
                "-p",
                "ifaddr",
                "--no-default-features",
                "--target-dir",
            ])
            .arg(&rt_dir))?;
        let size = stripped_size(&rt_dir.join("release/ifaddr"))?;
        writeln!(
            sizes,
            "| the agent without policy support, glibc (core + host + std) | {} |",
            kib(size)
        )
        .unwrap();
        let core_bytes = core_text_bytes(&rt_dir)?;
        writeln!(
            sizes,
            "| `core` alone (its functions' code in that binary) | {} |",
            kib(core_bytes)
        )
        .unwrap();
    }

    let mut summary = String::new();
    writeln!(
        summary,
        "| operation | IPaddr2 / ifaddr, median wall time | IPaddr2 / ifaddr, peak RSS |"
    )
    .unwrap();
    writeln!(summary, "| --- | ---: | ---: |").unwrap();
    for (op, t, r) in &ratios {
        writeln!(summary, "| {op} | {t:.1}x | {r:.1}x |").unwrap();
    }

    let mut report = String::new();
    writeln!(report, "{out}\n{growth}").unwrap();
    let mut full = String::new();
    writeln!(
        full,
        "Command: `cargo xtask bench{}` (as root).\n",
        if o.quick { " --quick" } else { " --write" }
    )
    .unwrap();
    writeln!(full, "### Ratios\n\n{summary}").unwrap();
    writeln!(full, "### Wall time and memory\n\n{report}").unwrap();
    if !policy_rows.is_empty() {
        writeln!(full, "### Cost of a policy (monitor, present, nic given; medians of {POLICY_RUNS}x the runs, alternating with the baseline)\n\n| policy | without ms | with ms | added ms |\n| --- | ---: | ---: | ---: |\n{policy_rows}").unwrap();
    }
    writeln!(full, "### Processes and system calls per monitor (strace -f)\n\n| agent | operation | processes | system calls |\n| --- | --- | ---: | ---: |\n{counts}").unwrap();
    writeln!(
        full,
        "### Binary sizes (stripped, x86_64)\n\n| build | size |\n| --- | ---: |\n{sizes}"
    )
    .unwrap();
    println!("{full}");
    if o.write {
        crate::util::replace_section(&root().join("BENCHMARKS.md"), "bench", &full)?;
        eprintln!("xtask bench: BENCHMARKS.md updated");
    }
    Ok(())
}

/// Compile the measuring launcher (static, so its own RSS, inherited by the child across
/// execve, stays small).
fn build_launcher() -> Result<PathBuf, String> {
    let out = root().join("target/bench-launcher");
    let src = root().join("xtask/src/bench/launcher.c");
    run(Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(&out)
        .arg(&src))?;
    Ok(out)
}

fn kib(n: u64) -> String {
    format!(
        "{:.0} KiB ({:.2} MiB)",
        n as f64 / 1024.0,
        n as f64 / 1048576.0
    )
}

/// Bytes of machine code from `ifaddr_core` in an unstripped build: the sum of the sizes of
/// its function symbols.
fn core_text_bytes(target_dir: &Path) -> Result<u64, String> {
    let dir = target_dir.join("core-size");
    run(cargo()
        .args([
            "rustc",
            "--release",
            "-p",
            "ifaddr",
            "--bin",
            "ifaddr",
            "--no-default-features",
            "--target-dir",
        ])
        .arg(&dir)
        .args(["--", "-C", "strip=none", "-C", "debuginfo=0"]))?;
    let out = sh(&format!(
        "nm --size-sort -C -t d {} | grep -i ' t ' | grep ifaddr_core",
        dir.join("release/ifaddr").display()
    ))
    .unwrap_or_default();
    Ok(out
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .sum())
}
