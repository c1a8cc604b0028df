//! `cargo xtask ci`: the whole test suite, as `.ci/run` and the README run it.
//!
//! Steps, in order; the first failure stops the run:
//! 1. install what is missing (Debian packages; each later step installs its own tools);
//! 2. `cargo fmt --check`, clippy with warnings denied;
//! 3. the example policies: built for wasm32 and unit-tested natively;
//! 4. unit and integration tests: `cargo test` (the default members: the unit tests, and the
//!    integration-test crate `tests/`, whose agent under test is built on its own, without the
//!    compiler's Cranelift) and `cargo test -p ifaddrc` (the compiler's unit tests): the agent
//!    on a real kernel in network namespaces, ocf-tester, hostile input, faults, concurrency,
//!    policies compiled by `ifaddrc`, a scaffolded policy crate built end to end;
//! 5. `core` built for a target without `std` or `alloc` (`x86_64-unknown-none`), which
//!    fails if it, or a dependency of it, pulls either in;
//!    `cargo publish --dry-run` of the crates meant for crates.io, `ifaddr-core` and the
//!    policy SDK `ifaddr-policy` (packaged, then built from the package);
//!    FreeBSD: the header check (layouts, ioctl numbers and request bytes against FreeBSD's
//!    own headers, amd64 and aarch64), and the release tarballs for both (`cargo xtask dist
//!    --ci`: the agent and `ifaddrc` linked as FreeBSD 14 binaries; the port's pkg-plist
//!    checked against each tarball's contents);
//!    then the static Linux release (`cargo xtask dist --ci`), whose agent then runs the
//!    example policies from the artifacts `ifaddrc` put in the tarball, with its `.deb` and
//!    `.rpm` (checked against the tarball's tree, lintian, rpmlint); then those packages
//!    installed (`apt-get install ./ifaddr_*.deb`, `rpm --root` into a scratch root):
//!    ocf-tester and the example policies against the installed agent, then purged
//!    (xtask/src/packages.rs);
//! 6. every fuzz target for a short fixed time;
//! 7. the three-node Pacemaker cluster, IPv4 and IPv6, ifaddr and IPaddr2 (`cargo xtask e2e`);
//! 8. the benchmark harness, once, to prove it works (`cargo xtask bench --quick`).
//!
//! `--quick` stops after step 4. Every dist step checks that the agent holds no code
//! generator and is at most 2 MiB. CI's builds are without LTO (`dist --ci`); release
//! tarballs come from `cargo xtask dist`.

use crate::deps;
use crate::util::{cargo, root, run};
use std::process::Command;
use std::time::Instant;

const FREEBSD: [&str; 2] = ["x86_64-unknown-freebsd", "aarch64-unknown-freebsd"];

/// The static release runs: meta-data, a bad parameter refused with OCF_ERR_CONFIGURED, and,
/// in a network namespace, a monitor with each example policy loaded from the artifacts that
/// `ifaddrc` compiled into the staged tree (the agent of the release cannot compile).
fn static_release_runs() -> Result<(), String> {
    let stage = std::fs::read_dir(root().join("target/dist"))
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(crate::dist::MUSL))
        .ok_or("no staged static release in target/dist")?;
    let bin = stage.join("usr/lib/ocf/resource.d/ifaddr/vip");
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
    let agent = |action: &str, env: &[(&str, &str)]| -> Result<i32, String> {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", "ifaddr-ci-static"])
            .arg(&bin)
            .arg(action)
            .env_clear()
            .env("OCF_ROOT", "/usr/lib/ocf")
            .env("HA_LOGFACILITY", "none")
            .env("IFADDR_CACHE_DIR", stage.join("var/cache/ifaddr"))
            .stderr(std::process::Stdio::inherit());
        for (k, v) in env {
            c.env(format!("OCF_RESKEY_{k}"), v);
        }
        let st = c.status().map_err(|e| e.to_string())?;
        Ok(st.code().unwrap_or(-1))
    };
    run(Command::new("sh").args([
        "-c",
        "ip netns del ifaddr-ci-static 2>/dev/null; ip netns add ifaddr-ci-static && \
         ip -n ifaddr-ci-static link add v1 type veth peer name v1p && \
         ip -n ifaddr-ci-static link set v1 up && ip -n ifaddr-ci-static link set v1p up && \
         ip -n ifaddr-ci-static addr add 192.0.2.1/24 dev v1",
    ]))?;
    let mut result = Ok(());
    let bad = agent("validate-all", &[("ip", "300.1.1.1")])?;
    if bad != 6 {
        result = Err(format!("validate-all of ip=300.1.1.1 gave {bad}, not 6"));
    }
    let policies = stage.join("usr/lib/ifaddr/policies");
    for p in ["strict", "flap-damping", "error-rate"] {
        let module = policies.join(format!("{p}.wasm"));
        let module = module.to_string_lossy();
        let env = [
            ("ip", "192.0.2.1"),
            ("nic", "v1"),
            ("cidr_netmask", "24"),
            ("policy", &*module),
            (
                "policy_args",
                if p == "error-rate" { "rate=1000" } else { "" },
            ),
        ];
        for action in ["validate-all", "monitor"] {
            let code = agent(action, &env)?;
            if code != 0 && result.is_ok() {
                result = Err(format!("{action} with policy {p} gave {code}, not 0"));
            }
        }
    }
    let _ = Command::new("ip")
        .args(["netns", "del", "ifaddr-ci-static"])
        .status();
    result
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

/// `cargo publish --dry-run` of `ifaddr-core` (this workspace) and of the SDK `ifaddr-policy`
/// (the policies workspace): each is packaged and built from its package, as crates.io would
/// get it. The SDK's package depends on `ifaddr-core = "0.1"` from crates.io, where it is not
/// yet, so its build takes that version from this checkout (`--config patch`): what is
/// checked is the SDK's package against the core that is published with it.
/// `--allow-dirty`: CI runs on uncommitted trees too.
fn publish_dry_run() -> Result<(), String> {
    run(cargo()
        .args(["publish", "--dry-run", "--allow-dirty", "-p", "ifaddr-core"])
        .arg("--target-dir")
        .arg(root().join("target/package")))?;
    let core = root().join("core");
    run(cargo()
        .current_dir(root().join("policies"))
        .args([
            "publish",
            "--dry-run",
            "--allow-dirty",
            "-p",
            "ifaddr-policy",
        ])
        .arg("--config")
        .arg(format!(
            "patch.crates-io.ifaddr-core.path={:?}",
            core.to_string_lossy()
        )))
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
        run(cargo().arg("test"))?;
        run(cargo().args(["test", "-p", "ifaddrc"]))
    })?;
    if !quick {
        step(
            "core without std or alloc (x86_64-unknown-none)",
            &mut || core_no_std(),
        )?;
        step(
            "crates.io packages (publish --dry-run: ifaddr-core, ifaddr-policy)",
            &mut || publish_dry_run(),
        )?;
        step("FreeBSD header check", &mut || {
            crate::freebsd::run_check(&[])
        })?;
        // Linking both FreeBSD targets also checks the agent for them; `--freebsd-check`
        // adds a separate `cargo check` of the agent.
        if argv.iter().any(|a| a == "--freebsd-check") {
            for t in FREEBSD {
                step(&format!("cargo check --target {t}"), &mut || {
                    freebsd_check(t)
                })?;
            }
        }
        // The amd64 release (both programs, the tarball, the port's plist checked against
        // it) and the arm64 agent: the arm64 compiler is the same code for another target,
        // and building it too would cost CI ten minutes.
        step("FreeBSD releases (dist --ci)", &mut || {
            crate::dist::run_dist(&args(&["--ci", "--target", FREEBSD[0]]))?;
            crate::dist::run_dist(&args(&["--ci", "--agent-only", "--target", FREEBSD[1]]))
        })?;
        step("static Linux release (dist --ci)", &mut || {
            crate::dist::run_dist(&args(&["--ci", "--target", crate::dist::MUSL]))?;
            static_release_runs()
        })?;
        // The .deb and .rpm that step made (and checked: contents, lintian, rpmlint),
        // installed for real; aarch64 packages are made by a full `cargo xtask dist` only.
        step("packages (.deb and .rpm installed)", &mut || {
            crate::packages::test_installed(crate::dist::MUSL)
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
