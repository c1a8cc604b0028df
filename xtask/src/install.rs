//! `cargo xtask install [--ocf-root DIR] [--prefix DIR]`: install a release on this machine,
//! as root: the static agent as `$OCF_ROOT/resource.d/ifaddr/vip`, the policy compiler as
//! `PREFIX/bin/ifaddrc`, the example policies in `PREFIX/lib/ifaddr/policies/`, compiled
//! into the agent's cache (`/var/cache/ifaddr`), and the man page.
//!
//! On Linux the agent is the static build `cargo xtask dist` ships (x86_64 musl); elsewhere
//! a plain `cargo build --release` of this machine's target.

use crate::dist::{compile_policy, example_policies, install_file, CACHE, MUSL};
use crate::util::{cargo, root, run};
use std::path::PathBuf;

pub fn run_install(args: &[String]) -> Result<(), String> {
    let freebsd = cfg!(target_os = "freebsd");
    let mut ocf_root = std::env::var("OCF_ROOT").ok().map(PathBuf::from);
    let mut prefix = PathBuf::from("/usr/local");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--ocf-root" => ocf_root = Some(it.next().ok_or("--ocf-root needs a value")?.into()),
            "--prefix" => prefix = it.next().ok_or("--prefix needs a value")?.into(),
            other => return Err(format!("install: unknown argument {other}")),
        }
    }
    let ocf_root = ocf_root.unwrap_or_else(|| {
        PathBuf::from(if freebsd {
            "/usr/local/lib/ocf"
        } else {
            "/usr/lib/ocf"
        })
    });
    let (agent, compiler) = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        let agent = crate::dist::build(MUSL, "ifaddr", false)?;
        crate::dist::check_agent(MUSL, &agent)?;
        (agent, crate::dist::build(MUSL, "ifaddrc", false)?)
    } else {
        run(cargo().args(["build", "--release", "-p", "ifaddr", "-p", "ifaddrc"]))?;
        (
            root().join("target/release/ifaddr"),
            root().join("target/release/ifaddrc"),
        )
    };
    // Each file is copied to a temporary name and renamed, so a running cluster never sees
    // half a binary.
    let put = |from: &PathBuf, to: PathBuf, mode: u32| -> Result<(), String> {
        let tmp = to.with_extension("new");
        install_file(from, &tmp, mode)?;
        std::fs::rename(&tmp, &to).map_err(|e| format!("rename to {}: {e}", to.display()))?;
        eprintln!("installed {}", to.display());
        Ok(())
    };
    put(&agent, ocf_root.join("resource.d/ifaddr/vip"), 0o755)?;
    let ifaddrc = prefix.join("bin/ifaddrc");
    put(&compiler, ifaddrc.clone(), 0o755)?;
    put(
        &root().join("docs/ifaddr.8"),
        prefix.join("share/man/man8/ifaddr.8"),
        0o644,
    )?;
    let triple = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        MUSL.to_owned()
    } else {
        format!(
            "{}-unknown-{}",
            std::env::consts::ARCH,
            std::env::consts::OS
        )
    };
    for wasm in example_policies()? {
        let module = prefix
            .join("lib/ifaddr/policies")
            .join(wasm.file_name().unwrap());
        put(&wasm, module.clone(), 0o644)?;
        compile_policy(&ifaddrc, &module, std::path::Path::new(CACHE), &triple)?;
        eprintln!("compiled {} into {CACHE}", module.display());
    }
    eprintln!(
        "ocf:ifaddr:vip is {}",
        ocf_root.join("resource.d/ifaddr/vip").display()
    );
    Ok(())
}
