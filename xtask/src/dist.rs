//! `cargo xtask dist --target T [--target T2 ...] [--ci]`: the release tarball for `T` in
//! `dist/ifaddr-<version>-<T>.tar.gz`, and its staged tree in `target/dist/` (what the
//! packages are made from).
//!
//! The tarball mirrors the file system from `/` (Linux under `usr/`, FreeBSD under
//! `usr/local/`): the agent at `<prefix>/lib/ocf/resource.d/ifaddr/vip`, the policy compiler
//! at `<prefix>/bin/ifaddrc`, the example policies at `<prefix>/lib/ifaddr/policies/`, their
//! artifacts compiled for T in `var/cache/ifaddr/` (root-only, where the agent loads them, so
//! a node needs no compile step for them), the man page and the docs. Both programs are plain
//! `cargo build --release` builds.
//!
//! Targets: `x86_64-unknown-linux-musl` and `aarch64-unknown-linux-musl` (static, non-PIE:
//! no dynamic loader and no start-up relocation, which is most of what a one-shot process of
//! this size spends memory and time on), `x86_64-unknown-freebsd` and
//! `aarch64-unknown-freebsd`. x86_64 musl uses rustup's target when it is installed, and
//! otherwise Debian's toolchain with `-Zbuild-std` and `musl-gcc` (musl-tools, with LLVM's
//! libunwind from libunwind-14-dev). The others are linked by zig through `cargo-zigbuild`
//! (both from PyPI, pinned in `freebsd.rs`), with the standard library from rustup when
//! rustup has the target and otherwise built from source by Debian's toolchain (`rustc-web`,
//! `cargo-web`, `rust-web-src`) into `target/cross`.
//!
//! `--ci` (what CI runs to prove the targets build) turns LTO off, so the cross builds fit in
//! CI's time; `--agent-only` builds and checks the agent alone (no
//! tarball).

use crate::deps::{ensure_pip, python};
use crate::freebsd::{ensure_zig, ZIGBUILD_VERSION};
use crate::util::{built_policies, cargo, root, run, rustup_has_target};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The static Linux target of this machine's architecture.
pub const MUSL: &str = "x86_64-unknown-linux-musl";

pub const TARGETS: [&str; 4] = [
    MUSL,
    "aarch64-unknown-linux-musl",
    "x86_64-unknown-freebsd",
    "aarch64-unknown-freebsd",
];

/// The agent's default artifact cache (`IFADDR_CACHE_DIR` unset).
pub const CACHE: &str = "/var/cache/ifaddr";

/// The two programs a release carries.
pub const PROGRAMS: [&str; 2] = ["ifaddr", "ifaddrc"];

/// Debian's toolchain, which can build the standard library for any target.
pub const DEBIAN_CARGO: &str = "/usr/bin/cargo";
pub const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// The agent's largest allowed size, stripped, on every target (issue 14's target).
pub const AGENT_MAX_BYTES: u64 = 2 << 20;

pub fn run_dist(args: &[String]) -> Result<(), String> {
    let mut targets = Vec::new();
    let mut ci = false;
    let mut agent_only = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => targets.push(it.next().ok_or("--target needs a value")?.clone()),
            "--all" => targets.extend(TARGETS.iter().map(|t| t.to_string())),
            "--ci" => ci = true,
            // CI proves a second target's agent builds without paying for its compiler.
            "--agent-only" => agent_only = true,
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
        if agent_only {
            check_agent(t, &build(t, "ifaddr", ci)?)?;
            continue;
        }
        let bins = PROGRAMS
            .iter()
            .map(|p| build(t, p, ci))
            .collect::<Result<Vec<_>, _>>()?;
        check_agent(t, &bins[0])?;
        let stage = stage(t, &bins[0], &bins[1])?;
        let tarball = tarball(&stage)?;
        eprintln!("dist: {}", tarball.display());
        if t.contains("freebsd") {
            crate::packages::check_freebsd_plist(&tarball)?;
        } else {
            let p = crate::packages::build(t, &stage)?;
            eprintln!("dist: {}\ndist: {}", p.deb.display(), p.rpm.display());
        }
    }
    Ok(())
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

/// Static and at a fixed address (see the module docs).
const STATIC_RUSTFLAGS: &str = "-C target-feature=+crt-static -C relocation-model=static";

/// `CARGO_TARGET_<TRIPLE>_RUSTFLAGS`.
fn rustflags_var(target: &str) -> String {
    format!(
        "CARGO_TARGET_{}_RUSTFLAGS",
        target.to_uppercase().replace('-', "_")
    )
}

/// Build `package` (its binary of the same name) for `target` in release mode; returns the
/// binary's path.
pub fn build(target: &str, package: &str, ci: bool) -> Result<PathBuf, String> {
    let mut args: Vec<&str> = vec!["build", "--release", "-p", package, "--target", target];
    if ci {
        args.extend([
            "--config",
            "profile.release.lto=false",
            "--config",
            "profile.release.codegen-units=16",
        ]);
    }
    let dir = if target == MUSL {
        "target/musl"
    } else {
        "target/cross"
    };
    let have_std = rustup_has_target(target);
    let mut flags = String::new();
    let mut c = if target == MUSL && have_std {
        cargo()
    } else if target == MUSL {
        crate::deps::apt(&["musl-tools", "libunwind-14-dev"])?;
        let mut c = Command::new(DEBIAN_CARGO);
        debian_toolchain(&mut c, target)?;
        // Debian's musl has its own crt files; std's unwinder links LLVM's libunwind.
        c.env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER", "musl-gcc");
        flags.push_str("-C link-self-contained=no -L /usr/lib/llvm-14/lib ");
        c
    } else {
        let mut c = zigbuild()?;
        if !have_std {
            debian_toolchain(&mut c, target)?;
            c.env("CARGO", DEBIAN_CARGO);
            if target.contains("musl") {
                // A standard library built from source has no self-contained musl start
                // files (crt1.o, ...) in its sysroot: zig's musl brings its own.
                flags.push_str("-C link-self-contained=no ");
            }
        }
        c
    };
    if target.contains("linux") {
        flags.push_str(STATIC_RUSTFLAGS);
    }
    if !flags.is_empty() {
        c.env(rustflags_var(target), flags);
    }
    if !have_std {
        args.push("-Zbuild-std=std,panic_abort");
    }
    run(c.args(&args).args(["--target-dir", dir]))?;
    Ok(root().join(dir).join(target).join("release").join(package))
}

/// Make `c` (cargo, or cargo-zigbuild) use Debian's cargo and rustc, which build the standard
/// library for `target` from source.
fn debian_toolchain(c: &mut Command, target: &str) -> Result<(), String> {
    if !Path::new(DEBIAN_CARGO).exists() || !Path::new(DEBIAN_RUSTC).exists() {
        return Err(format!(
            "no standard library for {target}: `rustup target add {target}`, or install \
             Debian's rustc-web, cargo-web and rust-web-src to build it from source"
        ));
    }
    c.current_dir(root())
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTC", DEBIAN_RUSTC)
        .env_remove("RUSTUP_TOOLCHAIN");
    Ok(())
}

/// The agent is what its target expects (`file`), at most [`AGENT_MAX_BYTES`], and holds no
/// code generator: Cranelift's crates leave their names in any binary that links them.
pub fn check_agent(target: &str, bin: &Path) -> Result<(), String> {
    let bytes = std::fs::read(bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    for needle in [
        "cranelift-codegen",
        "cranelift_codegen",
        "wasmtime-cranelift",
    ] {
        if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            return Err(format!(
                "{}: the agent links the compiler (found \"{needle}\"): it must carry \
                 wasmtime's runtime only",
                bin.display()
            ));
        }
    }
    let size = bytes.len() as u64;
    if size > AGENT_MAX_BYTES {
        return Err(format!(
            "{}: the agent is {size} bytes, more than {AGENT_MAX_BYTES}",
            bin.display()
        ));
    }
    let what = Command::new("file")
        .arg("-b")
        .arg(bin)
        .output()
        .map_err(|e| format!("file: {e}"))?;
    let what = String::from_utf8_lossy(&what.stdout).trim().to_string();
    // "for FreeBSD 14.0 (1400097)" comes from the ABI note (host/src/sys/freebsd.rs).
    let want = if target.contains("freebsd") {
        "for FreeBSD"
    } else {
        "statically linked"
    };
    if !what.contains("ELF 64-bit LSB") || !what.contains(want) {
        return Err(format!(
            "{target}: `file` does not say \"{want}\" of the agent: {what}"
        ));
    }
    eprintln!("dist: {target}: the agent is {size} bytes, no compiler: {what}");
    Ok(())
}

pub fn version() -> Result<String, String> {
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

/// Copy `from` to `to` with `mode`, creating the directories.
pub fn install_file(from: &Path, to: &Path, mode: u32) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    }
    std::fs::copy(from, to)
        .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod {}: {e}", to.display()))
}

/// Where a target's files go, relative to `/`.
pub fn prefix(target: &str) -> &'static str {
    if target.contains("freebsd") {
        "usr/local"
    } else {
        "usr"
    }
}

/// The example policies, built (`cargo xtask policies`) if they are not yet.
pub fn example_policies() -> Result<Vec<PathBuf>, String> {
    if built_policies().is_empty() {
        crate::policies::run_policies(&[])?;
    }
    Ok(built_policies())
}

/// `ifaddrc` for this machine (a debug build: its artifacts are the same bytes).
pub fn host_ifaddrc() -> Result<PathBuf, String> {
    run(cargo().args(["build", "-p", "ifaddrc"]))?;
    Ok(root().join("target/debug/ifaddrc"))
}

/// Compile `module` for `target` into `cache` with `ifaddrc`.
pub fn compile_policy(
    ifaddrc: &Path,
    module: &Path,
    cache: &Path,
    target: &str,
) -> Result<(), String> {
    run(Command::new(ifaddrc)
        .arg("compile")
        .arg(module)
        .arg("--cache-dir")
        .arg(cache)
        .args(["--target", target])
        .stdout(std::process::Stdio::null()))
}

/// Stage the release tree for `target` in `target/dist/ifaddr-<version>-<target>/`; returns
/// its path.
pub fn stage(target: &str, agent: &Path, compiler: &Path) -> Result<PathBuf, String> {
    let root = root();
    let stage = root
        .join("target/dist")
        .join(format!("ifaddr-{}-{target}", version()?));
    if stage.exists() {
        std::fs::remove_dir_all(&stage).map_err(|e| format!("rm {}: {e}", stage.display()))?;
    }
    let prefix = stage.join(prefix(target));
    install_file(agent, &prefix.join("lib/ocf/resource.d/ifaddr/vip"), 0o755)?;
    install_file(compiler, &prefix.join("bin/ifaddrc"), 0o755)?;
    // Compressed, as every distribution installs man pages (and cargo-deb, lintian and the
    // FreeBSD port expect them): `gzip -n` keeps it reproducible.
    let man = prefix.join("share/man/man8/ifaddr.8.gz");
    std::fs::create_dir_all(man.parent().unwrap()).map_err(|e| format!("mkdir: {e}"))?;
    let gz = Command::new("gzip")
        .args(["-9nc"])
        .arg(root.join("docs/ifaddr.8"))
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    if !gz.status.success() {
        return Err(format!("gzip docs/ifaddr.8: {}", gz.status));
    }
    std::fs::write(&man, gz.stdout).map_err(|e| format!("{}: {e}", man.display()))?;
    std::fs::set_permissions(&man, std::fs::Permissions::from_mode(0o644))
        .map_err(|e| format!("chmod {}: {e}", man.display()))?;
    let doc = prefix.join("share/doc/ifaddr");
    for f in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        let p = root.join(f);
        if p.exists() {
            install_file(&p, &doc.join(f), 0o644)?;
        }
    }
    let docs = std::fs::read_dir(root.join("docs")).map_err(|e| format!("docs/: {e}"))?;
    for e in docs.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "md") {
            install_file(&p, &doc.join(e.file_name()), 0o644)?;
        }
    }
    if target.contains("freebsd") {
        install_file(
            &root.join("packaging/freebsd/smoke.sh"),
            &doc.join("smoke.sh"),
            0o755,
        )?;
    }
    let ifaddrc = host_ifaddrc()?;
    let cache = stage.join(CACHE.trim_start_matches('/'));
    for wasm in example_policies()? {
        let module = prefix
            .join("lib/ifaddr/policies")
            .join(wasm.file_name().unwrap());
        install_file(&wasm, &module, 0o644)?;
        compile_policy(&ifaddrc, &module, &cache, target)?;
    }
    Ok(stage)
}

/// Pack the staged tree, reproducibly: fixed order, owner and time (SOURCE_DATE_EPOCH when
/// set).
fn tarball(stage: &Path) -> Result<PathBuf, String> {
    let dist = root().join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("mkdir dist: {e}"))?;
    let name = stage.file_name().unwrap().to_string_lossy().into_owned();
    let tarball = dist.join(format!("{name}.tar.gz"));
    let mtime = std::env::var("SOURCE_DATE_EPOCH").unwrap_or_else(|_| "0".into());
    run(Command::new("tar")
        .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
        .arg(format!("--mtime=@{mtime}"))
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(stage.parent().unwrap())
        .arg(&name))?;
    Ok(tarball)
}
