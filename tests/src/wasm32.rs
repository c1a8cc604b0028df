//! Cargo runs for crates outside this workspace: the example policies (policies/) and policy
//! crates written by `ifaddrc new`, built for wasm32 as DEVELOPERS.md ("Building policies")
//! describes: with rustup's target when it is installed, else with Debian's toolchain.

use std::path::Path;
use std::process::Command;

pub const WASM32: &str = "wasm32-unknown-unknown";

/// `program` (a cargo) in the crate or workspace `dir`, without the outer cargo's settings: a
/// `RUSTFLAGS` would replace a policy crate's `-zstack-size`, and the outer target directory
/// and target are not the inner crate's.
pub fn cargo_in(program: &str, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    c
}

/// `cargo build --release --target wasm32-unknown-unknown` in `dir`, with rustup's target if
/// installed, else Debian's toolchain (`-Zbuild-std`).
pub fn wasm32_build(dir: &Path) -> Command {
    let rustup = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(dir)
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == WASM32)
        })
        .unwrap_or(false);
    let mut c;
    if rustup {
        c = cargo_in(env!("CARGO"), dir);
        c.args(["build", "--release", "--target", WASM32]);
    } else {
        c = cargo_in("/usr/bin/cargo", dir);
        c.args([
            "build",
            "--release",
            "--target",
            WASM32,
            "-Zbuild-std=core,panic_abort",
        ])
        .env("RUSTC", "/usr/bin/rustc")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC_WRAPPER")
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", "wasm-ld");
    }
    c
}
