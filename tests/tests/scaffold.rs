//! Issue 19, a policy written outside this repository: `ifaddrc new` writes a crate into a
//! temporary directory; it builds for wasm32 (with rustup's target or Debian's toolchain, as
//! DEVELOPERS.md describes), its native test passes, `ifaddrc compile` accepts the module and
//! `ifaddrc check --replay` drives it through every branch of its `decide` with the state
//! handed on between steps.
//!
//! The crate depends on `ifaddr-policy = "0.1"`; `--sdk` points it at this checkout's
//! `policies/sdk` (the documented override). Builds go to `target/tmp/scaffold-*`, kept
//! between runs: the first wasm32 build with Debian's toolchain compiles `core` from source.
//! `cargo test -p ifaddr-tests --test scaffold` (as root: `ifaddrc compile` wants a root-owned
//! module and cache).

use ifaddr_tests::{cargo_in, wasm32_build, WASM32};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn ifaddrc() -> Command {
    Command::new(ifaddr_tests::ifaddrc::ifaddrc())
}

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn ok(what: &str, out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The wasm32 build of the crate in `dir` (with rustup's target if installed, else Debian's
/// toolchain, as the generated README says), into `target_dir`.
fn build_wasm(dir: &Path, target_dir: &Path) -> Output {
    wasm32_build(dir)
        .arg("--target-dir")
        .arg(target_dir)
        .output()
        .unwrap()
}

#[test]
fn scaffold_builds_tests_compiles_and_replays() {
    let tmp = std::env::temp_dir().join(format!("ifaddrc-scaffold-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let dir = tmp.join("drops");
    let sdk = checkout().join("policies/sdk");
    let out = ok(
        "ifaddrc new",
        ifaddrc()
            .args(["new", "drops"])
            .arg(&dir)
            .arg("--sdk")
            .arg(&sdk)
            .output()
            .unwrap(),
    );
    assert!(out.contains("ifaddrc check target/wasm32-unknown-unknown/release/drops.wasm"));
    for f in [
        "Cargo.toml",
        ".cargo/config.toml",
        "src/lib.rs",
        "README.md",
        "replay.txt",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    // Not over an existing crate.
    let again = ifaddrc().args(["new", "drops"]).arg(&dir).output().unwrap();
    assert_eq!(again.status.code(), Some(2));

    // What it writes is rustfmt-clean.
    ok(
        "cargo fmt --check in the scaffold",
        cargo_in(env!("CARGO"), &dir)
            .args(["fmt", "--check"])
            .output()
            .unwrap(),
    );

    let builds = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let t = Instant::now();
    let test = ok(
        "cargo test in the scaffold",
        cargo_in(env!("CARGO"), &dir)
            .arg("test")
            .arg("--target-dir")
            .arg(builds.join("scaffold-native"))
            .output()
            .unwrap(),
    );
    assert!(
        test.contains("test tests::carrier_and_drops ... ok"),
        "{test}"
    );
    assert!(test.contains("1 passed"), "{test}");
    eprintln!("native test: {:.1} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let wasm_target = builds.join("scaffold-wasm");
    ok(
        "wasm32 build of the scaffold",
        build_wasm(&dir, &wasm_target),
    );
    eprintln!("wasm32 build: {:.1} s", t.elapsed().as_secs_f64());
    let built = wasm_target.join(WASM32).join("release/drops.wasm");
    let module = tmp.join("drops.wasm");
    std::fs::copy(&built, &module).unwrap();
    let size = std::fs::metadata(&module).unwrap().len();
    assert!(size < 64 * 1024, "{size} bytes");

    let cache = tmp.join("cache");
    let art = ok(
        "ifaddrc compile",
        ifaddrc()
            .arg("compile")
            .arg(&module)
            .arg("--cache-dir")
            .arg(&cache)
            .output()
            .unwrap(),
    );
    assert!(Path::new(art.trim()).is_file(), "{art}");

    let check = |extra: &[&str]| {
        ifaddrc()
            .arg("check")
            .arg(&module)
            .args(extra)
            .env("IFADDR_CACHE_DIR", &cache)
            .output()
            .unwrap()
    };
    let out = ok(
        "check --replay",
        check(&["--replay", dir.join("replay.txt").to_str().unwrap()]),
    );
    assert!(out.contains("(compiled)"), "{out}");
    let steps: Vec<&str> = out.lines().filter(|l| l.starts_with("step ")).collect();
    // The count of drops rides in the state: [1, rx+tx dropped] as little-endian words.
    let state = |dropped: u8| format!("state=0100000000000000{dropped:02x}00000000000000");
    let want = [
        format!("step 1 (line 4): 0 running (ok) {} message=\"\"", state(0)),
        format!(
            "step 2 (line 5): 190 degraded (drop-rate) {} message=\"dropped packets grew\"",
            state(5)
        ),
        format!("step 3 (line 6): 0 running (ok) {} message=\"\"", state(5)),
        "step 4 (line 7): 1 failed (no-carrier) state= message=\"interface has no carrier\""
            .to_owned(),
        // After a state-less verdict the count starts again: a new baseline.
        format!("step 5 (line 8): 0 running (ok) {} message=\"\"", state(5)),
        format!(
            "step 6 (line 9): 190 degraded (drop-rate) {} message=\"dropped packets grew\"",
            state(6)
        ),
    ];
    assert_eq!(steps, want, "{out}");

    // One observation from flags.
    let out = ok("check --set", check(&["--set", "link_carrier=0"]));
    assert!(
        out.contains(": failed (no-carrier): interface has no carrier"),
        "{out}"
    );
    // A bad replay line is a command-line error naming the line and the key, before any run.
    let bad = tmp.join("bad.txt");
    std::fs::write(&bad, "-\nrx_dropped=12 carrier=0\n").unwrap();
    let out = check(&["--replay", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: unknown key `carrier`"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("step 1"));
    std::fs::remove_dir_all(&tmp).unwrap();
}
