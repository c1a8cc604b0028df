//! The command line: `ifaddrc check` and `ifaddrc compile`.

use crate::{artifact, compile, compile_file, engine_for};
use ifaddr::policy::engine::{self, Triple, DEFAULT_CACHE, HOST};
use ifaddr::policy::{
    hex, io_text, now_ms, sample_observation, sha256, trust, verdict_text, Failure, LIMITS,
    MODULE_MAX,
};
use ifaddr_core::ocf::Exit;
use ifaddr_core::params::POLICY_ARGS_MAX;
use ifaddr_core::policy::Decision;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

pub const USAGE: &str = "\
usage: ifaddrc check FILE.wasm [--args ARGS]
       ifaddrc compile FILE.wasm [--cache-dir DIR] [--target TRIPLE]

check    validate a policy module, list its exports and run it once on a sample
         observation (healthy interface, address present) with ARGS as policy_args;
         writes nothing
compile  compile a policy module ahead of time and store the artifact where the agent
         loads it: DIR (default $IFADDR_CACHE_DIR or /var/cache/ifaddr), root-only; run it
         as root on each node, or at image build with --target for another machine
         (e.g. aarch64-unknown-linux-musl, x86_64-unknown-freebsd)
";

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Check {
        file: PathBuf,
        args: String,
    },
    Compile {
        file: PathBuf,
        cache: PathBuf,
        target: Triple,
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
    if !matches!(cmd.as_str(), "check" | "compile") {
        return Err(format!("unknown command {cmd}"));
    }
    let mut file = None;
    let mut opt_args = None;
    let mut cache = None;
    let mut target = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--args" if cmd == "check" => opt_args = Some(value("--args")?),
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
        return Ok(Command::Check { file, args });
    }
    Ok(Command::Compile {
        file,
        cache: cache.unwrap_or_else(default_cache),
        target: target.unwrap_or(HOST),
    })
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
        Command::Check { file, args } => {
            let r = check(&file, &args);
            (file, r)
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

/// `ifaddrc check`: report on the module and run it once on the sample observation.
pub fn check(path: &Path, args: &str) -> Result<(), Failure> {
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
    let mut o = sample_observation(now_ms());
    o.set_args(args.as_bytes());
    let started = std::time::Instant::now();
    let v = engine::run(&engine, &module, &o, &LIMITS)?;
    let d = v.decision().unwrap_or(Decision::Failed);
    println!("abi:      {}.{}", v.abi >> 16, v.abi & 0xffff);
    println!(
        "sample:   {} in {} us (healthy interface, address present, args {:?})",
        verdict_text(
            &path.file_name().unwrap_or_default().to_string_lossy(),
            d,
            &v
        ),
        started.elapsed().as_micros(),
        args
    );
    // The artifact for this machine must load in the agent's own engine.
    let _ = artifact(&wasm, &HOST)?;
    println!("ok");
    Ok(())
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
                args: "x=1".into()
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
