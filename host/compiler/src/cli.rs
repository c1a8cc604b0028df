//! The command line: `ifaddrc check`, `ifaddrc compile` and `ifaddrc new`.

use crate::{artifact, compile, compile_file, engine_for, scaffold};
use ifaddr::policy::engine::{self, Triple, DEFAULT_CACHE, HOST};
use ifaddr::policy::{
    hex, io_text, now_ms, sha256, trust, verdict_text, Failure, LIMITS, MODULE_MAX,
};
use ifaddr_core::ocf::Exit;
use ifaddr_core::params::POLICY_ARGS_MAX;
use ifaddr_core::policy::{text, Decision, Observation, Verdict};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

pub const USAGE: &str = "\
usage: ifaddrc check FILE.wasm [--args ARGS] [--set KEY=VALUE]... [--replay FILE]
       ifaddrc compile FILE.wasm [--cache-dir DIR] [--target TRIPLE]
       ifaddrc new NAME [DIR] [--sdk DIR]

check    validate a policy module, list its exports and run it once on a sample
         observation (healthy interface with zero counters, address present) with ARGS as
         policy_args, changed by each --set (e.g. --set link_carrier=0 --set rx_dropped=10);
         with --replay, run it on each observation of FILE in turn, one per line as
         key=value changes to the previous one, each step given the previous verdict's
         state, and print every step's verdict and state; writes nothing
compile  compile a policy module ahead of time and store the artifact where the agent
         loads it: DIR (default $IFADDR_CACHE_DIR or /var/cache/ifaddr), root-only; run it
         as root on each node, or at image build with --target for another machine
         (e.g. aarch64-unknown-linux-musl, x86_64-unknown-freebsd)
new      write a new policy crate NAME into DIR (default ./NAME): Cargo.toml, the wasm32
         stack setting, a decide function, a native test, a README with the build
         commands and a replay file; --sdk DIR builds it against the ifaddr-policy SDK in
         DIR (policies/sdk of a checkout) instead of crates.io's

keys (--set, --replay): flags addr_present addr_tentative addr_duplicated addr_deprecated
link_present link_up link_running link_carrier link_loopback counters start_known probe
degraded_supported conflict_checked conflict (0 or 1); numbers now_ms since_start_ms
interval_ms timeout_ms depth monitors mtu ifindex prefix builtin rx_packets tx_packets
rx_errors tx_errors rx_dropped tx_dropped; ip, ifname, args (no spaces), state (hex),
conflict_mac (02:00:5e:00:00:01)
";

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Check {
        file: PathBuf,
        args: String,
        /// `--set` words, applied in order to the sample observation.
        set: Vec<String>,
        /// `--replay FILE`.
        replay: Option<PathBuf>,
    },
    Compile {
        file: PathBuf,
        cache: PathBuf,
        target: Triple,
    },
    New {
        name: String,
        dir: PathBuf,
        sdk: Option<PathBuf>,
    },
}

/// The cache directory the agent reads: `$IFADDR_CACHE_DIR`, else [`DEFAULT_CACHE`].
pub fn default_cache() -> PathBuf {
    std::env::var_os("IFADDR_CACHE_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CACHE))
}

/// Parse the arguments after the program name; `Err` is a one-line complaint.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let (cmd, rest) = args.split_first().ok_or("no command given")?;
    if matches!(cmd.as_str(), "-h" | "--help" | "help") {
        return Ok(Command::Help);
    }
    if !matches!(cmd.as_str(), "check" | "compile" | "new") {
        return Err(format!("unknown command {cmd}"));
    }
    if cmd == "new" {
        return parse_new(rest);
    }
    let mut file = None;
    let mut opt_args = None;
    let mut cache = None;
    let mut target = None;
    let mut set = Vec::new();
    let mut replay = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--args" if cmd == "check" => opt_args = Some(value("--args")?),
            "--set" if cmd == "check" => {
                let words = value("--set")?;
                text::apply(&mut text::sample(0), &words).map_err(|e| format!("--set {e}"))?;
                set.push(words);
            }
            "--replay" if cmd == "check" => replay = Some(PathBuf::from(value("--replay")?)),
            "--cache-dir" if cmd == "compile" => cache = Some(PathBuf::from(value("--cache-dir")?)),
            "--target" if cmd == "compile" => {
                let t = value("--target")?;
                target = Some(
                    Triple::from_str(&t)
                        .map_err(|e| format!("--target {t} is not a target: {e}"))?,
                );
            }
            s if file.is_none() && !s.starts_with("--") => file = Some(PathBuf::from(s)),
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    let file = file.ok_or("no module file given")?;
    if cmd == "check" {
        let args = opt_args.unwrap_or_default();
        if args.len() > POLICY_ARGS_MAX {
            return Err(format!(
                "--args is {} bytes, more than policy_args' {POLICY_ARGS_MAX}",
                args.len()
            ));
        }
        return Ok(Command::Check {
            file,
            args,
            set,
            replay,
        });
    }
    Ok(Command::Compile {
        file,
        cache: cache.unwrap_or_else(default_cache),
        target: target.unwrap_or(HOST),
    })
}

/// `new NAME [DIR] [--sdk DIR]`.
fn parse_new(rest: &[String]) -> Result<Command, String> {
    let mut words = Vec::new();
    let mut sdk = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--sdk" => {
                sdk = Some(PathBuf::from(
                    it.next().ok_or("--sdk needs a value")?.as_str(),
                ))
            }
            s if words.len() < 2 && !s.starts_with("--") => words.push(s.to_owned()),
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    let name = words.first().ok_or("no policy name given")?.clone();
    scaffold::check_name(&name)?;
    let dir = PathBuf::from(words.get(1).unwrap_or(&name));
    Ok(Command::New { name, dir, sdk })
}

/// The steps of a replay file: its lines that are not blank or comments, each checked, as
/// (line number, text). `Err` names the file, the line and the key.
pub fn read_replay(path: &Path) -> Result<Vec<(usize, String)>, String> {
    let body =
        std::fs::read(path).map_err(|e| format!("--replay {}: {}", path.display(), io_text(&e)))?;
    let body = String::from_utf8(body)
        .map_err(|_| format!("--replay {}: not UTF-8 text", path.display()))?;
    let mut steps = Vec::new();
    for (i, line) in body.lines().enumerate() {
        match text::apply(&mut text::sample(0), line) {
            Ok(0) => {}
            Ok(_) => steps.push((i + 1, line.to_owned())),
            Err(e) => return Err(format!("--replay {} line {}: {e}", path.display(), i + 1)),
        }
    }
    if steps.is_empty() {
        return Err(format!(
            "--replay {}: no observations in it",
            path.display()
        ));
    }
    Ok(steps)
}

/// The whole program.
pub fn main(args: &[String]) -> ExitCode {
    let cmd = match parse(args) {
        Ok(c) => c,
        Err(e) => {
            eprint!("ifaddrc: {e}\n{USAGE}");
            return ExitCode::from(Exit::ErrArgs.code());
        }
    };
    let (file, r) = match cmd {
        Command::Help => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Command::Check {
            file,
            args,
            set,
            replay,
        } => {
            let steps = match replay.as_deref().map(read_replay).transpose() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("ifaddrc: {e}");
                    return ExitCode::from(Exit::ErrArgs.code());
                }
            };
            let r = check(&file, &args, &set, steps.as_deref());
            (file, r)
        }
        Command::New { name, dir, sdk } => {
            return match scaffold::write(&name, &dir, sdk.as_deref()) {
                Ok(files) => {
                    println!("created policy {name} in {}:", dir.display());
                    for f in files {
                        println!("  {}", f.display());
                    }
                    let m = format!(
                        "target/wasm32-unknown-unknown/release/{}.wasm",
                        scaffold::crate_name(&name)
                    );
                    println!("next, in {}:", dir.display());
                    println!("  cargo test                      # the native test");
                    println!(
                        "  cargo build --release --target wasm32-unknown-unknown   \
                         # rustup; Debian's toolchain: see README.md"
                    );
                    println!("  ifaddrc check {m} --replay replay.txt");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("ifaddrc: {e}");
                    ExitCode::from(Exit::ErrArgs.code())
                }
            };
        }
        Command::Compile {
            file,
            cache,
            target,
        } => {
            let r = compile_file(&file, &cache, &target).map(|art| println!("{}", art.display()));
            (file, r)
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("ifaddrc: {}", f.describe(&file.display().to_string()));
            ExitCode::from(f.exit().code())
        }
    }
}

/// `ifaddrc check`: report on the module and run it once on the sample observation changed
/// by `set`, or on each step of a replay (checked by [`read_replay`]).
pub fn check(
    path: &Path,
    args: &str,
    set: &[String],
    replay: Option<&[(usize, String)]>,
) -> Result<(), Failure> {
    // Report a refusal but go on: `check` is also for modules not yet installed.
    let wasm = match trust::read(path, MODULE_MAX, false) {
        Ok(w) => w,
        Err(r @ (trust::Refused::NotRootOwned(_) | trust::Refused::Writable(_))) => {
            println!("warning: the agent would refuse this file: it {r}");
            std::fs::read(path).map_err(|e| Failure::File(trust::Refused::Io(io_text(&e))))?
        }
        Err(e) => return Err(Failure::File(e)),
    };
    let digest = sha256(&wasm);
    let engine = engine_for(&HOST)?;
    let module = compile(&engine, &wasm)?;
    println!("file:     {}", path.display());
    println!("size:     {} bytes", wasm.len());
    println!("sha256:   {}", hex(&digest));
    let (exports, imports) = engine::describe(&module);
    println!("exports:");
    for e in &exports {
        println!("  {:<24} {}", e.name, e.kind);
    }
    if imports.is_empty() {
        println!("imports:  none");
    } else {
        println!("imports:");
        for i in &imports {
            println!("  {i}");
        }
    }
    let art = engine::artifact_path(&default_cache(), &digest);
    println!(
        "artifact: {} ({})",
        art.display(),
        if art.exists() {
            "compiled"
        } else {
            "not compiled: the agent answers 5 until `ifaddrc compile` stores it"
        }
    );
    engine::check_abi(&module)?;
    let mut o = text::sample(now_ms());
    o.set_args(args.as_bytes())
        .map_err(|e| Failure::Engine(format!("--args is {e}")))?;
    for words in set {
        // Checked when the command line was parsed.
        text::apply(&mut o, words).map_err(|e| Failure::Engine(format!("--set {e}")))?;
    }
    let started = std::time::Instant::now();
    let v = engine::run(&engine, &module, &o, &LIMITS)?;
    let d = v.decision().unwrap_or(Decision::Failed);
    println!("abi:      {}.{}", v.abi >> 16, v.abi & 0xffff);
    let changed = if set.is_empty() {
        String::new()
    } else {
        format!(", changed by {}", set.join(" "))
    };
    println!(
        "sample:   {} in {} us (healthy interface, address present{changed}, args {:?})",
        verdict_text(
            &path.file_name().unwrap_or_default().to_string_lossy(),
            d,
            &v
        ),
        started.elapsed().as_micros(),
        args
    );
    if let Some(steps) = replay {
        replay_steps(&engine, &module, o, steps)?;
    }
    // The artifact for this machine must load in the agent's own engine.
    let _ = artifact(&wasm, &HOST)?;
    println!("ok");
    Ok(())
}

/// Run a replay: step 1 changes `base` (the sample with `--set`), each later step the
/// previous observation after [`text::advance`]. One line per step:
/// `step N (line L): CODE DECISION (REASON) state=HEX message="..."`.
fn replay_steps(
    engine: &wasmtime::Engine,
    module: &wasmtime::Module,
    base: Observation,
    steps: &[(usize, String)],
) -> Result<(), Failure> {
    println!("replay:   {} steps", steps.len());
    let mut o = base;
    let mut last: Option<Verdict> = None;
    for (n, (line, words)) in steps.iter().enumerate() {
        if let Some(prev) = &last {
            text::advance(&mut o, prev);
        }
        // Checked by read_replay.
        text::apply(&mut o, words).map_err(|e| Failure::Engine(format!("replay: {e}")))?;
        let v = engine::run(engine, module, &o, &LIMITS).inspect_err(|_| {
            println!("step {} (line {line}): no verdict", n + 1);
        })?;
        println!("{}", step_line(n + 1, *line, &v));
        last = Some(v);
    }
    Ok(())
}

/// One replay step's output line.
pub fn step_line(n: usize, line: usize, v: &Verdict) -> String {
    let d = v.decision().map_or("?", Decision::name);
    let why = match ifaddr_core::policy::reason::name(v.reason) {
        Some(r) => r.to_owned(),
        None => format!("reason {}", v.reason),
    };
    let msg = String::from_utf8_lossy(v.message_bytes());
    format!(
        "step {n} (line {line}): {} {d} ({why}) state={} message={msg:?}",
        v.code,
        hex(v.state_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_lines() {
        assert_eq!(parse(&args(&["help"])), Ok(Command::Help));
        assert_eq!(
            parse(&args(&["check", "p.wasm", "--args", "x=1"])),
            Ok(Command::Check {
                file: "p.wasm".into(),
                args: "x=1".into(),
                set: vec![],
                replay: None,
            })
        );
        assert_eq!(
            parse(&args(&[
                "check",
                "p.wasm",
                "--set",
                "link_carrier=0",
                "--set",
                "rx_dropped=10 tx_dropped=1",
                "--replay",
                "r.txt"
            ])),
            Ok(Command::Check {
                file: "p.wasm".into(),
                args: String::new(),
                set: vec!["link_carrier=0".into(), "rx_dropped=10 tx_dropped=1".into()],
                replay: Some("r.txt".into()),
            })
        );
        assert_eq!(
            parse(&args(&["new", "drops"])),
            Ok(Command::New {
                name: "drops".into(),
                dir: "drops".into(),
                sdk: None
            })
        );
        assert_eq!(
            parse(&args(&[
                "new",
                "drops",
                "/tmp/d",
                "--sdk",
                "/src/policies/sdk"
            ])),
            Ok(Command::New {
                name: "drops".into(),
                dir: "/tmp/d".into(),
                sdk: Some("/src/policies/sdk".into())
            })
        );
        assert_eq!(
            parse(&args(&[
                "compile",
                "/p.wasm",
                "--cache-dir",
                "/c",
                "--target",
                "aarch64-unknown-freebsd"
            ])),
            Ok(Command::Compile {
                file: "/p.wasm".into(),
                cache: "/c".into(),
                target: Triple::from_str("aarch64-unknown-freebsd").unwrap()
            })
        );
        for (bad, why) in [
            (&[][..], "no command"),
            (&["frobnicate", "p.wasm"][..], "unknown command"),
            (&["check"][..], "no module file"),
            (
                &["check", "a.wasm", "b.wasm"][..],
                "unexpected argument b.wasm",
            ),
            (&["check", "a.wasm", "--args"][..], "--args needs a value"),
            (
                &["check", "a.wasm", "--target", "x"][..],
                "unexpected argument --target",
            ),
            (
                &["compile", "a.wasm", "--args", "x"][..],
                "unexpected argument --args",
            ),
            (
                &["compile", "a.wasm", "--target", "nonsense-cpu-os"][..],
                "is not a target",
            ),
            (
                &["check", "a.wasm", "--set", "carrier=0"][..],
                "--set unknown key `carrier`",
            ),
            (
                &["check", "a.wasm", "--set", "prefix=300"][..],
                "--set prefix=300 does not fit: at most 255",
            ),
            (
                &["check", "a.wasm", "--replay"][..],
                "--replay needs a value",
            ),
            (
                &["compile", "a.wasm", "--set", "mtu=1"][..],
                "unexpected argument --set",
            ),
            (&["new"][..], "no policy name"),
            (&["new", "Bad"][..], "is not 1-64 of a-z"),
            (&["new", "a", "b", "c"][..], "unexpected argument c"),
            (&["new", "a", "--sdk"][..], "--sdk needs a value"),
        ] {
            let e = parse(&args(bad)).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    /// A value that does not fit is an error, not cut.
    #[test]
    fn policy_args_that_do_not_fit_are_refused() {
        let long = "a".repeat(POLICY_ARGS_MAX + 1);
        let e = parse(&args(&["check", "p.wasm", "--args", &long])).unwrap_err();
        assert!(e.contains("more than policy_args"), "{e}");
        let fits = "a".repeat(POLICY_ARGS_MAX);
        assert!(parse(&args(&["check", "p.wasm", "--args", &fits])).is_ok());
    }
}

#[cfg(test)]
mod replay_tests {
    use super::*;

    fn file(body: &str) -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "ifaddrc-replay-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn replay_files() {
        let p = file("# comment\n-\n\nlink_carrier=0  # 2\n   \nrx_dropped=3\n");
        assert_eq!(
            read_replay(&p).unwrap(),
            vec![
                (2, "-".to_owned()),
                (4, "link_carrier=0  # 2".to_owned()),
                (6, "rx_dropped=3".to_owned())
            ]
        );
        let bad = file("-\nlink_carrier=0 mtu=70000x\n");
        let e = read_replay(&bad).unwrap_err();
        assert!(
            e.ends_with("line 2: mtu: `70000x` is not a decimal number"),
            "{e}"
        );
        let e = read_replay(&file("# nothing\n\n")).unwrap_err();
        assert!(e.ends_with("no observations in it"), "{e}");
        let latin1 = file("");
        std::fs::write(&latin1, b"ifname=caf\xe9\n").unwrap();
        let e = read_replay(&latin1).unwrap_err();
        assert!(e.ends_with(": not UTF-8 text"), "{e}");
        let e = read_replay(Path::new("/nonexistent/replay.txt")).unwrap_err();
        assert!(e.starts_with("--replay /nonexistent/replay.txt: "), "{e}");
    }

    #[test]
    fn step_lines() {
        let v = Verdict::degraded(ifaddr_core::policy::reason::DROP_RATE)
            .with_message("grew \"a lot\"")
            .with_state(&[1, 0xab]);
        assert_eq!(
            step_line(2, 5, &v),
            "step 2 (line 5): 190 degraded (drop-rate) state=01ab message=\"grew \\\"a lot\\\"\""
        );
        let v = Verdict::running().with_reason(0x1001);
        assert_eq!(
            step_line(1, 1, &v),
            "step 1 (line 1): 0 running (reason 4097) state= message=\"\""
        );
    }
}
