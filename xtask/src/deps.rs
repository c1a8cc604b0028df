//! Installing what the tests need on a fresh Debian machine, idempotently: Debian packages,
//! PyPI tools and cargo tools. Each step says what it installs before doing it.

use crate::util::run;
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
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        run(Command::new("apt-get").args(["update", "-qq"]))?;
    }
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing))
}

#[allow(dead_code)] // used by the FreeBSD header check
/// Install a pinned PyPI package (`name==version`) unless that version is present.
pub fn pip(spec: &str) -> Result<(), String> {
    let (name, version) = spec.split_once("==").unwrap_or((spec, ""));
    let have = Command::new("python3")
        .args(["-m", "pip", "show", name])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).lines().any(|l| {
                l == format!("Version: {version}")
                    || (version.is_empty() && l.starts_with("Version:"))
            })
        })
        .unwrap_or(false);
    if have {
        return Ok(());
    }
    eprintln!("xtask: installing {spec} from PyPI");
    run(Command::new("python3").args(["-m", "pip", "install", "-q", spec]))
}

/// Everything `cargo xtask ci` needs.
pub fn ensure_ci() -> Result<(), String> {
    apt(APT)
}
