//! `ifaddrc new NAME [DIR]`: a policy crate that builds for wasm32 and tests natively as it
//! is written. The files are `host/compiler/template/`, with `{{name}}` (the package),
//! `{{crate}}` (the library, `-` as `_`) and `{{patch}}` (the `--sdk` override) filled in.

use std::io::Write;
use std::path::{Path, PathBuf};

/// (path in the new crate, template).
pub const FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../template/Cargo.toml.tpl")),
    (
        ".cargo/config.toml",
        include_str!("../template/config.toml.tpl"),
    ),
    ("src/lib.rs", include_str!("../template/lib.rs.tpl")),
    ("README.md", include_str!("../template/README.md.tpl")),
    ("replay.txt", include_str!("../template/replay.txt.tpl")),
    (".gitignore", include_str!("../template/gitignore.tpl")),
];

/// Names cargo or rustc refuse for a package or library.
const RESERVED: &[&str] = &[
    "alloc",
    "core",
    "std",
    "test",
    "proc_macro",
    "ifaddr_policy",
    "ifaddr_core",
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "yield",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "gen",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
];

/// Check a policy's package name: lower-case ASCII letters, digits, `-` and `_`, starting
/// with a letter, at most 64 bytes, not a name cargo or Rust reserves.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_');
    if name.is_empty() || name.len() > 64 || !ok_chars || !name.as_bytes()[0].is_ascii_lowercase() {
        return Err(format!(
            "policy name {name:?} is not 1-64 of a-z 0-9 - _ starting with a letter"
        ));
    }
    if RESERVED.contains(&crate_name(name).as_str()) {
        return Err(format!("policy name {name:?} is reserved by cargo or Rust"));
    }
    Ok(())
}

/// The library's name (`-` becomes `_`), and so the module's file stem.
pub fn crate_name(name: &str) -> String {
    name.replace('-', "_")
}

/// The files of policy `name`; `sdk` is a directory holding the `ifaddr-policy` SDK to
/// build against instead of crates.io's.
pub fn render(name: &str, sdk: Option<&Path>) -> Vec<(&'static str, String)> {
    let patch = match sdk {
        None => String::new(),
        Some(dir) => format!(
            "\n# ifaddrc new --sdk: the SDK from a checkout instead of crates.io.\n\
             [patch.crates-io]\nifaddr-policy = {{ path = {:?} }}\n",
            dir.display().to_string()
        ),
    };
    FILES
        .iter()
        .map(|(path, tpl)| {
            let text = tpl
                .replace("{{name}}", name)
                .replace("{{crate}}", &crate_name(name))
                .replace("{{patch}}\n", &patch);
            (*path, text)
        })
        .collect()
}

/// Write policy `name` into `dir` (created; an existing directory must be empty). Returns the
/// files written.
pub fn write(name: &str, dir: &Path, sdk: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    check_name(name)?;
    let sdk = match sdk {
        None => None,
        Some(s) => {
            let abs = std::fs::canonicalize(s)
                .map_err(|e| format!("--sdk {}: {}", s.display(), ifaddr::policy::io_text(&e)))?;
            if !abs.join("Cargo.toml").is_file() {
                return Err(format!(
                    "--sdk {}: no Cargo.toml there (the SDK is policies/sdk in an ifaddr checkout)",
                    s.display()
                ));
            }
            Some(abs)
        }
    };
    let fail = |what: &Path, e: std::io::Error| {
        format!(
            "cannot write {}: {}",
            what.display(),
            ifaddr::policy::io_text(&e)
        )
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!(
                    "{} exists and is not empty: give a new directory",
                    dir.display()
                ));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?
        }
        Err(e) => return Err(fail(dir, e)),
    }
    let mut written = Vec::new();
    for (path, text) in render(name, sdk.as_deref()) {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| fail(&p, e))?;
        written.push(p);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["drops", "my-policy", "p2", "a_b-c"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Drops",
            "2p",
            "-p",
            "a b",
            "a/b",
            "é",
            "core",
            "fn",
            "ifaddr-policy",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn templates_are_filled_in() {
        let files = render("my-drops", None);
        let get = |name: &str| &files.iter().find(|(p, _)| *p == name).unwrap().1;
        for (path, text) in &files {
            assert!(!text.contains("{{"), "{path} keeps a placeholder");
        }
        assert!(get("Cargo.toml").contains("name = \"my-drops\""));
        assert!(get("Cargo.toml").contains("ifaddr-policy = \"0.1\""));
        assert!(get("Cargo.toml").contains("crate-type = [\"cdylib\", \"rlib\"]"));
        assert!(!get("Cargo.toml").contains("[patch.crates-io]"));
        assert!(get(".cargo/config.toml").contains("link-arg=-zstack-size=32768"));
        assert!(get("README.md").contains("release/my_drops.wasm"));
        let files = render("p", Some(Path::new("/src/ifaddr/policies/sdk")));
        let toml = &files[0].1;
        assert!(
            toml.contains(
                "[patch.crates-io]\nifaddr-policy = { path = \"/src/ifaddr/policies/sdk\" }"
            ),
            "{toml}"
        );
    }

    #[test]
    fn writes_only_into_an_empty_directory() {
        let dir = std::env::temp_dir().join(format!("ifaddrc-scaffold-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files = write("p", &dir.join("p"), None).unwrap();
        assert_eq!(files.len(), FILES.len());
        assert!(dir.join("p/.cargo/config.toml").is_file());
        let e = write("p", &dir.join("p"), None).unwrap_err();
        assert!(e.contains("exists and is not empty"), "{e}");
        let e = write("p", &dir.join("q"), Some(&dir.join("nowhere"))).unwrap_err();
        assert!(e.starts_with("--sdk "), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
