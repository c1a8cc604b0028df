//! `cargo xtask dist --target T [--target T2 ...]`: a release binary for `T` in
//! `dist/ifaddr-<version>-<T>.tar.gz`, with the man page, the docs, the FreeBSD smoke test
//! and the example policies when they have been built.
//!
//! Targets: x86_64/aarch64 `unknown-linux-gnu` and `unknown-freebsd`, and
//! `x86_64-unknown-linux-musl`: one static, non-PIE executable for minimal Linux images,
//! and the build `cargo xtask bench` measures (no dynamic loader, no glibc start-up: its peak
//! RSS is about 40% of the glibc build's). The musl build uses rustup's target when it is
//! installed, and otherwise Debian's toolchain with `-Zbuild-std`, `musl-gcc` (musl-tools)
//! and LLVM's libunwind (libunwind-14-dev); either way it links through xtask, which puts what
//! an agent run touches first (`linkorder.rs`). The host target is a
//! plain `cargo build`; others are linked by zig through `cargo-zigbuild` (both from PyPI,
//! pinned in `freebsd.rs`), with the standard library from rustup when rustup has the target,
//! and otherwise built from source by Debian's toolchain (`rustc-web`, `cargo-web`,
//! `rust-web-src`): `RUSTC_BOOTSTRAP=1 CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc
//! cargo-zigbuild build -Zbuild-std=std,panic_abort ...` into `target/freebsd`.

use crate::freebsd::{ensure_pip, ensure_zig, python, ZIGBUILD_VERSION};
use crate::util::{built_policies, cargo, root, run, rustup_has_target};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-gnu",
    MUSL,
    "aarch64-unknown-linux-gnu",
    "x86_64-unknown-freebsd",
    "aarch64-unknown-freebsd",
];

/// Debian's toolchain, which can build the standard library for any target.
pub const DEBIAN_CARGO: &str = "/usr/bin/cargo";
pub const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

pub fn run_dist(args: &[String]) -> Result<(), String> {
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => targets.push(it.next().ok_or("--target needs a value")?.clone()),
            "--all" => targets.extend(TARGETS.iter().map(|t| t.to_string())),
            // What CI runs to prove the targets link: the runtime-only build (no Cranelift),
            // without LTO, so two cross builds fit in CI's time.
            "--ci" => CI.store(true, std::sync::atomic::Ordering::Relaxed),
            // The build for minimal images: wasmtime's runtime without Cranelift; policies
            // are compiled beforehand by a default build (`ifaddr policy compile`).
            "--runtime-only" => RUNTIME_ONLY.store(true, std::sync::atomic::Ordering::Relaxed),
            other => return Err(format!("dist: unknown argument `{other}`")),
        }
    }
    if targets.is_empty() {
        return Err(format!(
            "dist: give --target T (one of {}) or --all",
            TARGETS.join(", ")
        ));
    }
    for t in &targets {
        if !TARGETS.contains(&t.as_str()) {
            return Err(format!(
                "dist: unsupported target {t} (one of {})",
                TARGETS.join(", ")
            ));
        }
    }
    for t in &targets {
        let bin = build(t)?;
        let tarball = package(t, &bin)?;
        eprintln!("dist: {}", tarball.display());
    }
    Ok(())
}

fn host_target() -> String {
    Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        })
        .unwrap_or_default()
}

/// The `cargo-zigbuild` executable pip installed (on PATH, or in Python's scripts directory).
fn zigbuild() -> Result<Command, String> {
    ensure_zig()?;
    ensure_pip("cargo-zigbuild", ZIGBUILD_VERSION)?;
    let on_path = Command::new("cargo-zigbuild")
        .arg("--version")
        .output()
        .is_ok();
    let exe = if on_path {
        PathBuf::from("cargo-zigbuild")
    } else {
        let out = python()
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_path('scripts'))",
            ])
            .output()
            .map_err(|e| format!("python3: {e}"))?;
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("cargo-zigbuild")
    };
    let mut c = Command::new(exe);
    c.current_dir(root());
    Ok(c)
}

static CI: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static RUNTIME_ONLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The cargo arguments of the runtime-only build.
pub const RUNTIME_ONLY_ARGS: [&str; 3] = ["--no-default-features", "--features", "policy-runtime"];

/// Extra cargo arguments for `--ci` and `--runtime-only`.
fn ci_args() -> Vec<&'static str> {
    let mut v = Vec::new();
    let ci = CI.load(std::sync::atomic::Ordering::Relaxed);
    if ci || RUNTIME_ONLY.load(std::sync::atomic::Ordering::Relaxed) {
        v.extend(RUNTIME_ONLY_ARGS);
    }
    if ci {
        v.extend([
            "--config",
            "profile.release.lto=false",
            "--config",
            "profile.release.codegen-units=16",
        ]);
    }
    v
}

/// The static Linux target.
pub const MUSL: &str = "x86_64-unknown-linux-musl";

/// Static and at a fixed address: no dynamic loader and no start-up relocation, which is most
/// of what a one-shot process of this size spends memory and time on.
const MUSL_RUSTFLAGS: &str = "-C target-feature=+crt-static -C relocation-model=static";

/// Build the static musl binary (see the module docs); returns its path.
pub fn build_musl(extra: &[&str]) -> Result<PathBuf, String> {
    let root = root();
    let flags_var = "CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS";
    if rustup_has_target(MUSL) {
        run(ordered_link(&mut cargo(), "cc")?
            .env(flags_var, MUSL_RUSTFLAGS)
            .args(["build", "--release", "-p", "ifaddr", "--target", MUSL])
            .args(["--target-dir", "target/musl"])
            .args(extra))?;
    } else {
        if !Path::new(DEBIAN_CARGO).exists() || !Path::new(DEBIAN_RUSTC).exists() {
            return Err(format!(
                "no standard library for {MUSL}: `rustup target add {MUSL}`, or install \
                 Debian's rustc-web, cargo-web and rust-web-src to build it from source"
            ));
        }
        crate::deps::apt(&["musl-tools", "libunwind-14-dev"])?;
        let mut debian = Command::new(DEBIAN_CARGO);
        debian.current_dir(&root);
        run(ordered_link(&mut debian, "musl-gcc")?
            .env("RUSTC_BOOTSTRAP", "1")
            .env("RUSTC", DEBIAN_RUSTC)
            // Debian's musl has its own crt files; std's unwinder links LLVM's libunwind.
            .env(
                flags_var,
                format!("-C link-self-contained=no -L /usr/lib/llvm-14/lib {MUSL_RUSTFLAGS}"),
            )
            .args([
                "build",
                "--release",
                "-Zbuild-std=std,panic_abort",
                "-p",
                "ifaddr",
                "--target",
                MUSL,
                "--target-dir",
                "target/musl",
            ])
            .args(extra))?;
    }
    let bin = root.join("target/musl").join(MUSL).join("release/ifaddr");
    crate::linkorder::check(&bin)?;
    Ok(bin)
}

/// Link through xtask (`linkorder.rs`), which places what an agent run touches first and
/// then runs `real`, the linker the build would otherwise use.
fn ordered_link<'a>(c: &'a mut Command, real: &str) -> Result<&'a mut Command, String> {
    let me = std::env::current_exe().map_err(|e| format!("xtask's own path: {e}"))?;
    Ok(c.env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER", me)
        .env(crate::linkorder::REAL_LINKER_ENV, real)
        .env(
            crate::linkorder::ORDER_ENV,
            root().join(crate::linkorder::ORDER_FILE),
        ))
}

/// Build the release binary for `target`; returns its path.
fn build(target: &str) -> Result<PathBuf, String> {
    let root = root();
    if target == MUSL {
        return build_musl(&ci_args());
    }
    if target == host_target() {
        run(cargo()
            .args(["build", "--release", "-p", "ifaddr", "--target", target])
            .args(ci_args()))?;
        return Ok(root.join("target").join(target).join("release/ifaddr"));
    }
    if rustup_has_target(target) {
        run(zigbuild()?
            .args(["build", "--release", "-p", "ifaddr", "--target", target])
            .args(ci_args()))?;
        return Ok(root.join("target").join(target).join("release/ifaddr"));
    }
    if !Path::new(DEBIAN_CARGO).exists() || !Path::new(DEBIAN_RUSTC).exists() {
        return Err(format!(
            "no standard library for {target}: `rustup target add {target}`, or install \
             Debian's rustc-web, cargo-web and rust-web-src to build it from source"
        ));
    }
    let mut c = zigbuild()?;
    c.env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO", DEBIAN_CARGO)
        .env("RUSTC", DEBIAN_RUSTC)
        .args([
            "build",
            "--release",
            "-Zbuild-std=std,panic_abort",
            "-p",
            "ifaddr",
        ])
        .args(["--target", target, "--target-dir", "target/freebsd"])
        .args(ci_args());
    run(&mut c)?;
    Ok(root
        .join("target/freebsd")
        .join(target)
        .join("release/ifaddr"))
}

fn version() -> Result<String, String> {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).map_err(|e| e.to_string())?;
    let section = text
        .split("[workspace.package]")
        .nth(1)
        .ok_or("no [workspace.package] in Cargo.toml")?;
    section
        .lines()
        .find_map(|l| {
            let v = l.trim().strip_prefix("version")?.trim().strip_prefix('=')?;
            Some(v.trim().trim_matches('"').to_string())
        })
        .ok_or_else(|| "no workspace version in Cargo.toml".into())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
}

/// Stage the files and pack the tarball; returns its path.
fn package(target: &str, bin: &Path) -> Result<PathBuf, String> {
    let root = root();
    let suffix = if RUNTIME_ONLY.load(std::sync::atomic::Ordering::Relaxed) {
        "-runtime-only"
    } else {
        ""
    };
    let name = format!("ifaddr-{}-{target}{suffix}", version()?);
    let stage_root = root.join("target/dist");
    let stage = stage_root.join(&name);
    if stage.exists() {
        std::fs::remove_dir_all(&stage).map_err(|e| format!("rm {}: {e}", stage.display()))?;
    }
    copy(bin, &stage.join("ifaddr"))?;
    copy(&root.join("docs/ifaddr.8"), &stage.join("ifaddr.8"))?;
    for doc in [
        "README.md",
        "ARCHITECTURE.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        let p = root.join(doc);
        if p.exists() {
            copy(&p, &stage.join(doc))?;
        }
    }
    let docs = std::fs::read_dir(root.join("docs")).map_err(|e| format!("docs/: {e}"))?;
    for e in docs.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "md") {
            copy(&p, &stage.join("docs").join(e.file_name()))?;
        }
    }
    if target.contains("freebsd") {
        copy(
            &root.join("packaging/freebsd/smoke.sh"),
            &stage.join("smoke.sh"),
        )?;
    }
    for wasm in built_policies() {
        let file = wasm.file_name().expect("a file");
        copy(&wasm, &stage.join("policies").join(file))?;
    }
    let dist = root.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("mkdir dist: {e}"))?;
    let tarball = dist.join(format!("{name}.tar.gz"));
    // Reproducible: fixed order, owner and time (SOURCE_DATE_EPOCH when set).
    let mtime = std::env::var("SOURCE_DATE_EPOCH").unwrap_or_else(|_| "0".into());
    run(Command::new("tar")
        .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
        .arg(format!("--mtime=@{mtime}"))
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(&stage_root)
        .arg(&name))?;
    let size = std::fs::metadata(stage.join("ifaddr"))
        .map(|m| m.len())
        .unwrap_or(0);
    match Command::new("file")
        .arg("-b")
        .arg(stage.join("ifaddr"))
        .output()
    {
        Ok(o) => {
            let what = String::from_utf8_lossy(&o.stdout).trim().to_string();
            eprintln!("dist: {target}: ifaddr is {size} bytes: {what}");
            // "for FreeBSD 14.0 (1400097)" comes from the ABI note (host/src/sys/freebsd.rs).
            let want = if target.contains("freebsd") {
                "for FreeBSD"
            } else if target == MUSL {
                "statically linked"
            } else {
                "GNU/Linux"
            };
            if !what.contains("ELF 64-bit LSB") || !what.contains(want) {
                return Err(format!(
                    "{target}: `file` does not say \"{want}\" of the binary: {what}"
                ));
            }
        }
        Err(_) => eprintln!("dist: {target}: ifaddr is {size} bytes (no `file` to check it)"),
    }
    Ok(tarball)
}
