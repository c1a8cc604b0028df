//! `cargo xtask ci`: the whole test suite, as `.ci/run` and the README run it.
//!
//! Steps, in order; the first failure stops the run:
//! 1. install what is missing (Debian packages; each later step installs its own tools);
//! 2. `cargo fmt --check`, clippy with warnings denied;
//! 3. the example policies: built for wasm32 and unit-tested natively;
//! 4. unit and integration tests (`cargo test --workspace`): the agent on a real kernel in
//!    network namespaces, ocf-tester, hostile input, faults, concurrency, policies;
//! 5. `core` built for a target without `std` or `alloc` (`x86_64-unknown-none`), which
//!    fails if it, or a dependency of it, pulls either in;
//!    FreeBSD: the header check (layouts, ioctl numbers and request bytes against FreeBSD's
//!    own headers, amd64 and aarch64), `cargo check` of the agent for both, and linked
//!    FreeBSD 14 binaries for both (`cargo xtask dist`);
//!    Then the static Linux (musl) binary links (`cargo xtask dist --ci`), through xtask's
//!    link order (`linkorder.rs`; the step fails if the placed sections are missing);
//! 6. every fuzz target for a short fixed time;
//! 7. the three-node Pacemaker cluster, IPv4 and IPv6, ifaddr and IPaddr2 (`cargo xtask e2e`);
//! 8. the benchmark harness, once, to prove it works (`cargo xtask bench --quick`).
//!
//! `--quick` stops after step 4. The FreeBSD binaries in CI are the runtime-only build without
//! LTO (`dist --ci`); release tarballs come from `cargo xtask dist`.

use crate::deps;
use crate::util::{cargo, root, run};
use std::process::Command;
use std::time::Instant;

const FREEBSD: [&str; 2] = ["x86_64-unknown-freebsd", "aarch64-unknown-freebsd"];

/// The static binary, linked in the link order's layout, still runs: meta-data, and a bad
/// parameter refused with OCF_ERR_CONFIGURED.
fn static_binary_runs() -> Result<(), String> {
    let bin = root()
        .join("target/musl")
        .join(crate::dist::MUSL)
        .join("release/ifaddr");
    let out = Command::new(&bin)
        .arg("meta-data")
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let xml = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !xml.contains("<resource-agent name=\"vip\"") {
        return Err(format!(
            "static binary: meta-data gave {} and {xml:?}",
            out.status
        ));
    }
    let st = Command::new(&bin)
        .arg("validate-all")
        .env("OCF_ROOT", "/usr/lib/ocf")
        .env("OCF_RESKEY_ip", "300.1.1.1")
        .env("HA_LOGFACILITY", "none")
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if st.code() != Some(6) {
        return Err(format!(
            "static binary: validate-all of ip=300.1.1.1 gave {st}, not 6"
        ));
    }
    Ok(())
}

/// Build `ifaddr-core` where only `core` exists: with rustup's `x86_64-unknown-none` when
/// installed, else with Debian's toolchain building `core` from source.
fn core_no_std() -> Result<(), String> {
    const TARGET: &str = "x86_64-unknown-none";
    let build = [
        "build",
        "-p",
        "ifaddr-core",
        "--target",
        TARGET,
        "--target-dir",
    ];
    let dir = root().join("target/no-std");
    if crate::util::rustup_has_target(TARGET) {
        return run(cargo().args(build).arg(&dir));
    }
    run(Command::new(crate::dist::DEBIAN_CARGO)
        .current_dir(root())
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTC", crate::dist::DEBIAN_RUSTC)
        .args(build)
        .arg(&dir)
        .arg("-Zbuild-std=core"))
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

pub fn run_ci(argv: &[String]) -> Result<(), String> {
    let quick = argv.iter().any(|a| a == "--quick");
    let t0 = Instant::now();
    let mut done: Vec<(String, f64)> = Vec::new();
    let mut step = |name: &str, f: &mut dyn FnMut() -> Result<(), String>| -> Result<(), String> {
        eprintln!("\n==> xtask ci: {name}");
        let t = Instant::now();
        f().map_err(|e| format!("{name}: {e}"))?;
        done.push((name.to_owned(), t.elapsed().as_secs_f64()));
        Ok(())
    };
    step("install dependencies", &mut || deps::ensure_ci())?;
    step("rustfmt", &mut || {
        run(cargo().args(["fmt", "--all", "--check"]))
    })?;
    step("clippy", &mut || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("policies (wasm32 build, native tests)", &mut || {
        crate::policies::run_policies(&args(&["--test"]))
    })?;
    step("unit and integration tests", &mut || {
        run(cargo().args(["test", "--workspace"]))
    })?;
    if !quick {
        step(
            "core without std or alloc (x86_64-unknown-none)",
            &mut || core_no_std(),
        )?;
        step("FreeBSD header check", &mut || {
            crate::freebsd::run_check(&[])
        })?;
        // Linking both FreeBSD targets also checks the agent for them; `--freebsd-check`
        // adds `cargo check` with the default features (Cranelift), which CI's time does not
        // leave room for.
        if argv.iter().any(|a| a == "--freebsd-check") {
            for t in FREEBSD {
                step(&format!("cargo check --target {t}"), &mut || {
                    freebsd_check(t)
                })?;
            }
        }
        step("FreeBSD binaries (dist --ci)", &mut || {
            crate::dist::run_dist(&args(&[
                "--ci", "--target", FREEBSD[0], "--target", FREEBSD[1],
            ]))
        })?;
        step("static Linux binary (dist --ci)", &mut || {
            crate::dist::run_dist(&args(&["--ci", "--target", crate::dist::MUSL]))?;
            static_binary_runs()
        })?;
        step("fuzz smoke run", &mut || crate::fuzz::run(&args(&["--ci"])))?;
        step("resource-agents' IPaddr2 ocft cases", &mut || {
            crate::ocft::run_ocft(&[])
        })?;
        step("cluster end-to-end", &mut || {
            std::env::set_var("IFADDR_LAB_PROFILE", "debug");
            crate::e2e::run(&[])
        })?;
        step("bench harness", &mut || {
            crate::bench::run_bench(&args(&["--quick"]))
        })?;
    }
    eprintln!(
        "\nxtask ci: all {} steps passed in {:.0} s",
        done.len(),
        t0.elapsed().as_secs_f64()
    );
    for (name, secs) in &done {
        eprintln!("  {secs:>7.1} s  {name}");
    }
    Ok(())
}

/// `cargo check` of the agent for a FreeBSD target: with rustup's target when installed,
/// otherwise with Debian's toolchain building std from source.
pub fn freebsd_check(target: &str) -> Result<(), String> {
    let target_dir = root().join("target/freebsd");
    if crate::util::rustup_has_target(target) {
        return run(cargo()
            .args(["check", "-p", "ifaddr", "--target", target])
            .arg("--target-dir")
            .arg(&target_dir));
    }
    run(Command::new("/usr/bin/cargo")
        .current_dir(root())
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTC", "/usr/bin/rustc")
        .env_remove("RUSTUP_TOOLCHAIN")
        .args([
            "check",
            "-Zbuild-std=std,panic_abort",
            "-p",
            "ifaddr",
            "--target",
            target,
        ])
        .arg("--target-dir")
        .arg(&target_dir))
}
