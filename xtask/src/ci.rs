//! `cargo xtask ci`: the whole test suite, as `.ci/run` and the README run it.
//!
//! Steps, in order (each stops the run on failure):
//! 1. install what is missing (Debian packages, pinned PyPI tools, cargo tools);
//! 2. `cargo fmt --check`, clippy with warnings denied;
//! 3. unit and integration tests (`cargo test --workspace`), the integration tests running the
//!    agent on a real kernel in network namespaces, with ocf-tester;
//! 4. the host crate checked for x86_64 and aarch64 FreeBSD.

use crate::deps;
use crate::util::{cargo, root, run};
use std::process::Command;

pub fn run_ci(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    deps::ensure_ci()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    run(cargo().args(["test", "--workspace"]))?;
    if !quick {
        for target in ["x86_64-unknown-freebsd", "aarch64-unknown-freebsd"] {
            freebsd_check(target)?;
        }
    }
    eprintln!("xtask ci: all steps passed");
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
        .args(["check", "-Zbuild-std=std,panic_abort", "-p", "ifaddr", "--target", target])
        .arg("--target-dir")
        .arg(&target_dir))
}


