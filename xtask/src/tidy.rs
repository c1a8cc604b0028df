//! Rules of the source tree that no compiler checks, as tests (`cargo test` runs them):
//! every Rust file opens with a `//!` line saying what it is; `unsafe` appears only in the
//! files listed in [`UNSAFE_ALLOWED`], and every `unsafe` block there has a `// SAFETY:`
//! comment right above it (or on its line).

/// The only files that may hold `unsafe` code: the agent's system-call and allocator layers,
/// the policy engine's wasmtime calls, the guest SDK's exports, and test and benchmark
/// harnesses that set up processes and signals. `core` forbids it outright.
pub const UNSAFE_ALLOWED: &[&str] = &[
    "host/src/announcer.rs",
    "host/src/lib.rs",
    "host/src/main.rs",
    "host/src/policy.rs",
    "host/src/policy/engine.rs",
    "host/src/policy/tests.rs",
    "host/src/policy/trust.rs",
    "host/src/sys/mod.rs",
    "host/src/sys/linux.rs",
    "host/src/sys/freebsd.rs",
    "policies/sdk/src/lib.rs",
    "tests/src/capture.rs",
    "xtask/src/bench/mod.rs",
    "xtask/src/lab.rs",
];

/// What is wrong with one file's text, as `path:line: complaint` lines.
pub fn check(path: &str, text: &str) -> Vec<String> {
    let mut v = Vec::new();
    if !text.starts_with("//!") {
        v.push(format!(
            "{path}:1: does not open with a `//!` line saying what the file is"
        ));
    }
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if !has_unsafe(code) {
            continue;
        }
        if !UNSAFE_ALLOWED.contains(&path) {
            v.push(format!(
                "{path}:{}: `unsafe` outside the files listed in xtask/src/tidy.rs",
                i + 1
            ));
            continue;
        }
        let block = code.contains("unsafe {") || code.trim_end().ends_with("unsafe");
        if block && !documented(&lines, i) {
            v.push(format!(
                "{path}:{}: `unsafe` block without a `// SAFETY:` comment above it",
                i + 1
            ));
        }
    }
    v
}

/// Whether line `i` has a `// SAFETY:` comment: on the line, or in the comments right above
/// the statement that holds it (lines that do not end a statement may stand in between).
fn documented(lines: &[&str], i: usize) -> bool {
    if lines[i].contains("SAFETY:") {
        return true;
    }
    for line in lines[..i].iter().rev() {
        let t = line.trim();
        if t.starts_with("//") {
            if t.contains("SAFETY:") {
                return true;
            }
        } else if t.is_empty() || t.ends_with(';') || t.ends_with('{') || t.ends_with('}') {
            return false;
        }
    }
    false
}

/// Whether `code` uses the keyword `unsafe` (not `unsafe_code` or a longer name).
fn has_unsafe(code: &str) -> bool {
    code.match_indices("unsafe").any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + "unsafe".len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after) && !in_string(&code[..at])
    })
}

/// Whether a position after `prefix` is inside a string literal (an odd number of quotes).
fn in_string(prefix: &str) -> bool {
    prefix.matches('"').count() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::root;

    /// The tracked Rust files and the untracked ones git does not ignore, with their text.
    fn sources() -> Vec<(String, String)> {
        let out = std::process::Command::new("git")
            .args([
                "ls-files",
                "--cached",
                "--others",
                "--exclude-standard",
                "*.rs",
            ])
            .current_dir(root())
            .output()
            .expect("git ls-files");
        assert!(out.status.success(), "git ls-files failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|p| {
                let text = std::fs::read_to_string(root().join(p)).ok()?;
                Some((p.to_owned(), text))
            })
            .collect()
    }

    #[test]
    fn the_tree_keeps_the_rules() {
        let files = sources();
        assert!(files.len() > 50, "only {} Rust files found", files.len());
        let problems: Vec<String> = files.iter().flat_map(|(p, t)| check(p, t)).collect();
        assert!(problems.is_empty(), "\n{}", problems.join("\n"));
        for allowed in UNSAFE_ALLOWED {
            assert!(
                files.iter().any(|(p, _)| p == allowed),
                "{allowed} is listed in UNSAFE_ALLOWED but does not exist"
            );
        }
    }

    #[test]
    fn the_rules_catch_what_they_are_for() {
        let ok = "//! A file.\n// SAFETY: nothing to uphold.\nunsafe { f() };\n";
        assert!(check("host/src/sys/linux.rs", ok).is_empty());
        assert_eq!(
            check("host/src/agent.rs", ok),
            ["host/src/agent.rs:3: `unsafe` outside the files listed in xtask/src/tidy.rs"]
        );
        let undocumented = "//! A file.\n// SAFETY: for the line above.\nf();\nfn f() {\n    let x = unsafe { g() };\n}\n";
        assert_eq!(
            check("host/src/sys/linux.rs", undocumented),
            ["host/src/sys/linux.rs:5: `unsafe` block without a `// SAFETY:` comment above it"]
        );
        assert_eq!(
            check("core/src/x.rs", "fn f() {}\n"),
            ["core/src/x.rs:1: does not open with a `//!` line saying what the file is"]
        );
        // Names, comments and strings are not the keyword.
        let words = "//! A file.\n#![forbid(unsafe_code)]\n// unsafe { }\nlet s = \"unsafe {\";\n";
        assert!(check("core/src/lib.rs", words).is_empty());
    }
}
