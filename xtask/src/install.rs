//! `cargo xtask install [--ocf-root DIR] [--bin PATH]`: install the agent as
//! `$OCF_ROOT/resource.d/ifaddr/vip`, mode 0755.

use crate::util::{cargo, root, run};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

pub fn run_install(args: &[String]) -> Result<(), String> {
    let mut ocf_root = std::env::var("OCF_ROOT").ok().map(PathBuf::from);
    let mut bin = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--ocf-root" => ocf_root = it.next().map(PathBuf::from),
            "--bin" => bin = it.next().map(PathBuf::from),
            other => return Err(format!("install: unknown argument {other}")),
        }
    }
    let ocf_root = ocf_root.unwrap_or_else(|| {
        PathBuf::from(if cfg!(target_os = "freebsd") {
            "/usr/local/lib/ocf"
        } else {
            "/usr/lib/ocf"
        })
    });
    let bin = match bin {
        Some(b) => b,
        None => {
            run(cargo().args(["build", "--release", "-p", "ifaddr"]))?;
            root().join("target/release/ifaddr")
        }
    };
    let dir = ocf_root.join("resource.d/ifaddr");
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let dest = dir.join("vip");
    // Copy to a temporary name and rename, so a running cluster never sees half a binary.
    let tmp = dir.join(".vip.new");
    std::fs::copy(&bin, &tmp).map_err(|e| format!("copy {}: {e}", bin.display()))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("chmod {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &dest).map_err(|e| format!("rename to {}: {e}", dest.display()))?;
    eprintln!(
        "installed {} as {} (ocf:ifaddr:vip)",
        bin.display(),
        dest.display()
    );
    Ok(())
}
