//! `cargo xtask fuzz`: build and run the cargo-fuzz targets in `fuzz/` (see FUZZING.md).
//!
//! ```text
//! cargo xtask fuzz [--time S] [--runs N] [--sanitizer address|none] [--record] [TARGET...]
//! cargo xtask fuzz --ci
//! cargo xtask fuzz --list
//! ```
//!
//! Targets run one after another, each as a single libFuzzer process (no `-jobs`), for `--time`
//! seconds (default 60) or `--runs` executions, whichever comes first. `--ci` runs every target
//! for 15 s (`policy_module`, which compiles every input with Cranelift, for 45 s) and is what
//! CI uses. A crash, a failed assertion, a leak (AddressSanitizer's leak
//! checker), an input slower than the per-input timeout or memory over the RSS limit makes the
//! target fail; the failing input is left in `fuzz/artifacts/TARGET/`. Every target's corpus
//! (`fuzz/corpus/TARGET/`, not committed) is seeded first from `fuzz/seeds/TARGET/` and from the
//! kernel test vectors, so a fresh checkout starts from real replies. `--record` writes the
//! final table, with the command that produced it, into FUZZING.md ("Long run").

use crate::util::{root, run as run_cmd, show};
use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask fuzz [--time SECONDS] [--runs N] [--sanitizer address|none] [--record]
                        [TARGET...]
       cargo xtask fuzz --ci     every target for 15 s, policy_module 45 s (what CI runs)
       cargo xtask fuzz --list   the targets";

/// Seconds per target in `--ci`.
const CI_SECONDS: u64 = 15;
/// Targets that get longer in `--ci`: `policy_module` compiles every input with Cranelift
/// and runs tens of inputs per second under AddressSanitizer, a thousandth of the others.
/// 20 targets at 15 s and this one at 45 s: 5.75 minutes of fuzzing.
const CI_SECONDS_SLOW: &[(&str, u64)] = &[("policy_module", 45)];
/// Per-input time limit (libFuzzer `-timeout`): every parser is linear in small inputs, so
/// anything close to this is a hang. A policy module's run is bounded by its 1 s wall-clock
/// limit; compiling one of at most 16 KiB takes well under a second even instrumented.
const INPUT_TIMEOUT_S: u64 = 10;
/// RSS limit (libFuzzer `-rss_limit_mb`); a single allocation over `MALLOC_LIMIT_MB` fails too.
const RSS_LIMIT_MB: u64 = 1024;
const MALLOC_LIMIT_MB: u64 = 256;

struct Options {
    time: Option<u64>,
    runs: Option<u64>,
    sanitizer: String,
    ci: bool,
    record: bool,
    targets: Vec<String>,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let mut o = Options {
        time: None,
        runs: None,
        sanitizer: "address".into(),
        ci: false,
        record: false,
        targets: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--time" => o.time = Some(number(&value("--time")?)?),
            "--runs" => o.runs = Some(number(&value("--runs")?)?),
            "--sanitizer" => o.sanitizer = value("--sanitizer")?,
            "--ci" => o.ci = true,
            "--record" => o.record = true,
            "--list" => {
                for t in all_targets()? {
                    println!("{t}");
                }
                return Ok(());
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            t if !t.starts_with('-') => o.targets.push(t.to_string()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let all = all_targets()?;
    if o.targets.is_empty() {
        o.targets = all.clone();
    }
    if let Some(bad) = o.targets.iter().find(|t| !all.contains(t)) {
        return Err(format!("no fuzz target `{bad}` (have: {})", all.join(" ")));
    }
    let time = |target: &str| {
        o.time.unwrap_or(if o.ci {
            CI_SECONDS_SLOW
                .iter()
                .find(|(t, _)| *t == target)
                .map_or(CI_SECONDS, |&(_, s)| s)
        } else {
            60
        })
    };

    ensure_cargo_fuzz()?;
    for t in &o.targets {
        seed(t)?;
    }
    let mut build = nightly();
    build.args([
        "fuzz",
        "build",
        "--debug-assertions",
        "--sanitizer",
        &o.sanitizer,
    ]);
    // Builds with another sanitizer go to their own directory, so that switching does not
    // rebuild (or replace the binaries of a run in progress).
    let target_dir = match o.sanitizer.as_str() {
        "address" => fuzz_dir().join("target"),
        other => fuzz_dir().join("target").join(format!("sanitizer-{other}")),
    };
    build.arg("--target-dir").arg(&target_dir);
    if o.targets.len() == 1 {
        build.arg(&o.targets[0]);
    }
    run_cmd(&mut build)?;

    let bin_dir = target_dir.join(host_triple()?).join("release");
    let log_dir = fuzz_dir().join("target/logs");
    fs::create_dir_all(&log_dir).map_err(|e| format!("create {}: {e}", log_dir.display()))?;
    let mut results = Vec::new();
    for t in &o.targets {
        results.push(run_target(&bin_dir, &log_dir, t, time(t), o.runs)?);
    }

    eprintln!();
    eprintln!(
        "{:<22} {:>6} {:>12} {:>9} {:>6} {:>7} {:>6}  result",
        "target", "secs", "runs", "exec/s", "cov", "ft", "corpus"
    );
    for r in &results {
        eprintln!(
            "{:<22} {:>6} {:>12} {:>9} {:>6} {:>7} {:>6}  {}",
            r.target, r.secs, r.runs, r.exec_per_sec, r.cov, r.ft, r.corpus, r.outcome
        );
    }
    if o.record {
        record(args, &results)?;
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.outcome != "ok")
        .map(|r| r.target.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz targets failed: {} (inputs in fuzz/artifacts/, logs in fuzz/target/logs/)",
            failed.join(" ")
        ))
    }
}

/// Write the results into FUZZING.md between the `fuzz-long-run` markers.
fn record(args: &[String], results: &[Outcome]) -> Result<(), String> {
    let mut body = format!(
        "`cargo xtask fuzz {}`, finished {} UTC, on {}.\n\n",
        args.join(" "),
        utc_now(),
        machine()
    );
    body.push_str("| target | seconds | executions | exec/s | cov | ft | corpus | result |\n");
    body.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for r in results {
        body.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            r.target, r.secs, r.runs, r.exec_per_sec, r.cov, r.ft, r.corpus, r.outcome
        ));
    }
    crate::util::replace_section(&root().join("FUZZING.md"), "fuzz-long-run", body.trim_end())
}

/// `YYYY-MM-DD HH:MM` (UTC), from `date`.
fn utc_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// CPU count and model, for the figures' context.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} CPUs ({model}), shared with other builds")
}

fn number(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("`{s}` is not a number"))
}

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

fn all_targets() -> Result<Vec<String>, String> {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut v: Vec<String> = fs::read_dir(&dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_string)
        })
        .collect();
    v.sort();
    Ok(v)
}

/// `cargo +nightly` through rustup, run from the workspace root (cargo-fuzz finds `fuzz/`).
fn nightly() -> Command {
    let mut c = Command::new("cargo");
    c.arg("+nightly").current_dir(root());
    // Set by the stable cargo running this xtask; they would pin the child to stable.
    for v in ["RUSTUP_TOOLCHAIN", "CARGO", "RUSTC", "RUSTDOC"] {
        c.env_remove(v);
    }
    c
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let has_nightly = nightly()
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_nightly {
        return Err(
            "fuzzing needs the nightly toolchain (rustup toolchain install nightly)".into(),
        );
    }
    let have = nightly()
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if have {
        return Ok(());
    }
    run_cmd(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))
}

fn host_triple() -> Result<String, String> {
    let out = Command::new("rustc")
        .args(["+nightly", "-vV"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .map_err(|e| format!("cannot run rustc +nightly: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .ok_or_else(|| "rustc +nightly -vV printed no host".into())
}

/// Add a seed to `dir`, named by its content so that seeding again adds nothing new.
fn add_seed(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    let path = dir.join(format!("seed-{:016x}", h.finish()));
    if !path.exists() {
        fs::write(&path, bytes).map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The rtnetlink reply vectors (`core/src/linux/vectors/*.bin`).
fn linux_vectors() -> Result<Vec<Vec<u8>>, String> {
    let dir = root().join("core/src/linux/vectors");
    let mut v = Vec::new();
    for e in fs::read_dir(&dir).map_err(|e| format!("read {}: {e}", dir.display()))? {
        let p = e.map_err(|e| e.to_string())?.path();
        if p.extension().is_some_and(|x| x == "bin") {
            v.push(fs::read(&p).map_err(|e| format!("read {}: {e}", p.display()))?);
        }
    }
    Ok(v)
}

/// The netlink messages of a reply: (type, payload).
fn netlink_payloads(buf: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = buf;
    while rest.len() >= 16 {
        let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len < 16 || len > rest.len() {
            break;
        }
        out.push((
            u16::from_ne_bytes([rest[4], rest[5]]),
            rest[16..len].to_vec(),
        ));
        rest = &rest[len.next_multiple_of(4).min(rest.len())..];
    }
    out
}

/// The `[u8; N]` constants of the generated FreeBSD vectors (`core/src/freebsd/vectors.rs`),
/// by name. Empty when the file is not there.
fn freebsd_vectors() -> Vec<(String, Vec<u8>)> {
    let Ok(text) = fs::read_to_string(root().join("core/src/freebsd/vectors.rs")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("pub const ") {
        rest = &rest[start + "pub const ".len()..];
        let Some(colon) = rest.find(':') else {
            break;
        };
        let (name, after) = rest.split_at(colon);
        let Some(after) = after.strip_prefix(": [u8;") else {
            continue;
        };
        let (Some(open), Some(close)) = (after.find("= ["), after.find("];")) else {
            continue;
        };
        let bytes: Option<Vec<u8>> = after[open + 3..close]
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| u8::from_str_radix(s.trim_start_matches("0x"), 16).ok())
            .collect();
        if let Some(b) = bytes {
            out.push((name.trim().to_string(), b));
        }
        rest = &after[close..];
    }
    out
}

/// The example policies built by `cargo xtask policies` (`policies/target/dist/*.wasm`).
/// Empty when they have not been built.
fn example_policies() -> Vec<Vec<u8>> {
    let Ok(entries) = fs::read_dir(root().join("policies/target/dist")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .filter_map(|p| fs::read(p).ok())
        .collect()
}

/// Fill `fuzz/corpus/TARGET/` with the target's seeds.
fn seed(target: &str) -> Result<(), String> {
    let dir = fuzz_dir().join("corpus").join(target);
    fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let fixed = fuzz_dir().join("seeds").join(target);
    if let Ok(entries) = fs::read_dir(&fixed) {
        for e in entries.filter_map(|e| e.ok()) {
            let p = e.path();
            add_seed(
                &dir,
                &fs::read(&p).map_err(|e| format!("read {}: {e}", p.display()))?,
            )?;
        }
    }
    const NEWADDR: u16 = 20;
    const NEWLINK: u16 = 16;
    const NEWROUTE: u16 = 24;
    let payload_type = match target {
        "rtnl_addr" => Some(NEWADDR),
        "rtnl_link" => Some(NEWLINK),
        "rtnl_route" => Some(NEWROUTE),
        _ => None,
    };
    for v in linux_vectors()? {
        if target == "rtnl_messages" {
            add_seed(&dir, &v)?;
        }
        for (ty, p) in netlink_payloads(&v) {
            if payload_type == Some(ty) {
                // rtnl_route takes two payloads: a length byte, then both.
                if target == "rtnl_route" {
                    let cut = p.len().min(255);
                    let mut two = vec![cut as u8];
                    two.extend_from_slice(&p);
                    two.extend_from_slice(&p);
                    add_seed(&dir, &two)?;
                } else {
                    add_seed(&dir, &p)?;
                }
            }
        }
    }
    if target == "policy_module" {
        for w in example_policies() {
            add_seed(&dir, &w)?;
        }
    }
    for (name, bytes) in freebsd_vectors() {
        let wanted = match target {
            "freebsd_rtsock" => name.starts_with("RTM_"),
            "freebsd_iflist" => name == "IFLIST",
            _ => false,
        };
        if wanted {
            add_seed(&dir, &bytes)?;
        }
    }
    Ok(())
}

struct Outcome {
    target: String,
    secs: u64,
    runs: String,
    exec_per_sec: String,
    cov: String,
    ft: String,
    corpus: String,
    outcome: String,
}

fn run_target(
    bin_dir: &Path,
    log_dir: &Path,
    target: &str,
    time: u64,
    runs: Option<u64>,
) -> Result<Outcome, String> {
    let artifacts = fuzz_dir().join("artifacts").join(target);
    fs::create_dir_all(&artifacts).map_err(|e| format!("create {}: {e}", artifacts.display()))?;
    let log_path = log_dir.join(format!("{target}.log"));
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let mut cmd = Command::new(bin_dir.join(target));
    cmd.arg(fuzz_dir().join("corpus").join(target))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(format!("-max_total_time={time}"))
        .arg(format!("-timeout={INPUT_TIMEOUT_S}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-malloc_limit_mb={MALLOC_LIMIT_MB}"))
        .arg("-print_final_stats=1");
    if let Some(n) = runs {
        cmd.arg(format!("-runs={n}"));
    }
    let dict = fuzz_dir().join("dict").join(format!("{target}.dict"));
    if dict.exists() {
        cmd.arg(format!("-dict={}", dict.display()));
    }
    // As cargo-fuzz runs targets: ODR checking trips on Rust's duplicated statics.
    cmd.env("ASAN_OPTIONS", "detect_odr_violation=0:detect_leaks=1")
        .current_dir(fuzz_dir())
        .stdout(Stdio::null())
        .stderr(log);
    eprintln!("$ {}  2> {}", show(&cmd), log_path.display());
    let start = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {target}: {e}"))?;
    let secs = start.elapsed().as_secs();
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let stat = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| "-".into())
    };
    // The last status line: "#N DONE cov: C ft: F corp: K/S ...".
    let last = text
        .lines()
        .rev()
        .find(|l| l.starts_with('#') && l.contains(" cov: "))
        .unwrap_or("");
    let field = |name: &str| {
        let mut words = last.split_whitespace();
        words
            .by_ref()
            .find(|w| *w == name)
            .and_then(|_| words.next())
            .map(|w| w.split('/').next().unwrap_or(w).to_string())
            .unwrap_or_else(|| "-".into())
    };
    let outcome = if status.success() {
        "ok".to_string()
    } else {
        let why = text
            .lines()
            .find(|l| l.contains("ERROR: libFuzzer") || l.contains("SUMMARY:"))
            .unwrap_or("failed")
            .trim()
            .to_string();
        eprintln!("--- {target}: last lines of {} ---", log_path.display());
        let lines: Vec<&str> = text.lines().collect();
        for l in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("{l}");
        }
        format!("FAILED ({status}): {why}")
    };
    Ok(Outcome {
        target: target.to_string(),
        secs,
        runs: stat("stat::number_of_executed_units:"),
        exec_per_sec: stat("stat::average_exec_per_sec:"),
        cov: field("cov:"),
        ft: field("ft:"),
        corpus: field("corp:"),
        outcome,
    })
}
