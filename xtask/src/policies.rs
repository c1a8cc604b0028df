//! `cargo xtask policies [--test]`: build the example WebAssembly policies (policies/) for
//! `wasm32-unknown-unknown` and copy them to `policies/target/dist/NAME.wasm`.
//!
//! Two toolchains are tried, in order (DEVELOPERS.md, "Building policies"):
//! 1. rustup with the `wasm32-unknown-unknown` target installed: a plain `cargo build`;
//! 2. Debian's `rustc-web`, `cargo-web`, `rust-web-src` and `lld`: `/usr/bin/cargo` with
//!    `-Zbuild-std=core,panic_abort` (core is built from source, so no prebuilt wasm32
//!    standard library is needed) and `wasm-ld` as the linker.
//!
//! `--test` also runs the policies' unit tests natively.

use crate::util::{self, root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// (crate directory, cdylib file stem).
const POLICIES: &[(&str, &str)] = &[
    ("strict", "policy_strict"),
    ("flap-damping", "policy_flap_damping"),
    ("error-rate", "policy_error_rate"),
];

const TARGET: &str = "wasm32-unknown-unknown";

pub fn run_policies(args: &[String]) -> Result<(), String> {
    let mut test = false;
    for a in args {
        match a.as_str() {
            "--test" => test = true,
            other => return Err(format!("policies: unknown argument `{other}`")),
        }
    }
    let dir = root().join("policies");
    if test {
        util::run(cargo_host().current_dir(&dir).arg("test"))?;
    }
    let mut cmd = build_command()?;
    util::run(cmd.current_dir(&dir))?;
    let out = dir.join("target").join(TARGET).join("release");
    let dist = dir.join("target").join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
    for (name, stem) in POLICIES {
        let from = out.join(format!("{stem}.wasm"));
        let to = dist.join(format!("{name}.wasm"));
        std::fs::copy(&from, &to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
        let size = std::fs::metadata(&to).map(|m| m.len()).unwrap_or(0);
        println!("{} ({size} bytes)", to.display());
    }
    Ok(())
}

pub use run_policies as run;

/// The cargo that runs xtask, for host builds.
fn cargo_host() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Whether rustup has the wasm32 standard library for the active toolchain.
fn rustup_has_target() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root().join("policies"))
        .output()
        .map(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .any(|l| l.trim() == TARGET)
        })
        .unwrap_or(false)
}

fn on_path(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

/// The build command for whichever toolchain is available.
fn build_command() -> Result<Command, String> {
    if rustup_has_target() {
        let mut c = cargo_host();
        c.args(["build", "--release", "--target", TARGET]);
        return Ok(c);
    }
    let cargo = Path::new("/usr/bin/cargo");
    let rustc = Path::new("/usr/bin/rustc");
    let src = Path::new("/usr/lib/rustlib/src/rust/library");
    let linker = on_path("wasm-ld");
    match (cargo.is_file() && rustc.is_file(), src.is_dir(), linker) {
        (true, true, Some(linker)) => {
            let mut c = Command::new(cargo);
            c.args([
                "build",
                "--release",
                "--target",
                TARGET,
                "-Zbuild-std=core,panic_abort",
            ])
            // Debian's toolchain, not rustup's proxies (which come first on PATH).
            .env("RUSTC", rustc)
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("RUSTC_WRAPPER")
            // build-std is unstable; Debian's stable compiler allows it this way.
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", linker);
            Ok(c)
        }
        _ => Err(format!(
            "no toolchain for {TARGET}: either `rustup target add {TARGET}`, or install \
             Debian's rustc-web cargo-web rust-web-src lld (see DEVELOPERS.md, \"Building \
             policies\")"
        )),
    }
}
