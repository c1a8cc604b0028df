//! Installing what the tests need on a fresh Debian machine, idempotently: Debian packages,
//! PyPI tools and cargo tools. Each step says what it installs before doing it.

use crate::util::run;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

/// Debian packages the test suite uses: the cluster stack and IPaddr2 to compare against,
/// iproute2 for network namespaces, xmllint for the DTD check, strace for the no-exec check,
/// the Debian Rust toolchain that builds other targets (wasm32, FreeBSD) with std sources,
/// and the packaging tools.
pub const APT: &[&str] = &[
    "iproute2",
    "iputils-ping",
    "procps",
    "util-linux",
    "libxml2-utils",
    "strace",
    "pacemaker",
    "pacemaker-cli-utils",
    "corosync",
    "crmsh",
    "resource-agents",
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "lld",
    "python3-pip",
    "file",
    // The packages: checked with lintian and rpmlint, the .rpm made by rpmbuild (rpm).
    "lintian",
    "rpm",
    "rpmlint",
];

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Install the Debian packages in `pkgs` that are missing.
pub fn apt(pkgs: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    // Packages must not start services on the host (corosync, pacemaker): only the lab's
    // namespaces run them.
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let made_policy = !policy.exists();
    if made_policy {
        std::fs::write(
            policy,
            "#!/bin/sh\n# written by cargo xtask for one apt-get run\nexit 101\n",
        )
        .map_err(|e| format!("cannot write {}: {e}", policy.display()))?;
        std::fs::set_permissions(policy, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot chmod {}: {e}", policy.display()))?;
    }
    let result = if APT_UPDATED.swap(true, Ordering::SeqCst) {
        Ok(())
    } else {
        run(Command::new("apt-get").args(["update", "-qq"]))
    }
    .and_then(|()| {
        run(Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing))
    });
    if made_policy {
        let _ = std::fs::remove_file(policy);
    }
    result
}

/// `python3`, or `$PYTHON`.
pub fn python() -> Command {
    Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
}

fn pip_version(package: &str) -> Option<String> {
    let out = python()
        .args([
            "-c",
            &format!("import importlib.metadata as m; print(m.version('{package}'))"),
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Install `package==version` with pip unless that version is already there.
pub fn ensure_pip(package: &str, version: &str) -> Result<(), String> {
    if pip_version(package).as_deref() == Some(version) {
        return Ok(());
    }
    let spec = format!("{package}=={version}");
    run(python().args(["-m", "pip", "install", "--quiet", &spec])).map_err(|e| {
        format!(
            "{e}\n(installing {spec} needs PyPI; install it by hand where that is not reachable)"
        )
    })
}

/// Everything `cargo xtask ci` needs.
pub fn ensure_ci() -> Result<(), String> {
    apt(APT)
}
