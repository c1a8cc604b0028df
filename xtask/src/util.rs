//! Small helpers shared by the xtask commands.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Run a command, echoing it first; error if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("$ {}", show(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", show(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed: {status}", show(cmd)))
    }
}

/// A command as a shell-like line, for progress output.
pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// `cargo`, as the running cargo would invoke itself.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Whether rustup has the standard library for `target` installed.
pub fn rustup_has_target(target: &str) -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == target)
        })
        .unwrap_or(false)
}

/// The example policies built by `cargo xtask policies` (`NAME.wasm`), if any.
pub fn built_policies() -> Vec<PathBuf> {
    let dir = root().join("policies/target/dist");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Replace the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in `file` (the
/// markers are added at the end when missing).
pub fn replace_section(file: &Path, name: &str, body: &str) -> Result<(), String> {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let new = match (text.find(&begin), text.find(&end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{begin}\n{body}\n{}", &text[..b], &text[e..])
        }
        _ => format!("{text}\n{begin}\n{body}\n{end}\n"),
    };
    std::fs::write(file, new).map_err(|e| format!("write {}: {e}", file.display()))
}
