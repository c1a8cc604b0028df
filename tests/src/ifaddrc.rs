//! The policy compiler for tests: `ifaddrc`, built by cargo for this workspace (a no-op when
//! `cargo test --workspace` built it already), and a compile into a given cache directory as
//! a node's root would run it. Shared by the unit and the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `ifaddrc` executable of this workspace's debug build.
pub fn ifaddrc() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| crate::cargo_build("ifaddrc", "ifaddrc", &[]))
}

/// `ifaddrc compile MODULE --cache-dir CACHE`: the artifact's path, or ifaddrc's complaint.
pub fn compile(module: &Path, cache: &Path) -> Result<PathBuf, String> {
    let out = Command::new(ifaddrc())
        .arg("compile")
        .arg(module)
        .arg("--cache-dir")
        .arg(cache)
        .output()
        .expect("run ifaddrc");
    if out.status.success() {
        Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    } else {
        Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
