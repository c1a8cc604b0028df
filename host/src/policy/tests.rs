//! The policy engine in-process: every misbehaviour of a module has a defined outcome within
//! bounded time, and well-behaved modules' verdicts and state blobs come through. Modules are
//! compiled by `ifaddrc`, as on a node; the agent only loads their artifacts.

pub(super) use ifaddr_tests::ifaddrc;

use super::*;
use crate::sys::Counters;
use ifaddr_core::ifname::IfName;
use ifaddr_core::params::Source;
use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

struct Env(Vec<(String, Vec<u8>)>);

impl Source for Env {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }
}

struct Fx {
    dir: PathBuf,
    dirs: Dirs,
}

impl Drop for Fx {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fx(name: &str) -> Fx {
    let dir = std::env::temp_dir().join(format!("ifaddr-policy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dirs = Dirs {
        state: dir.join("state"),
        cache: dir.join("cache"),
    };
    Fx { dir, dirs }
}

/// A policy module whose `evaluate` body is `body`; `$verdict(code)` writes a minimal verdict
/// and returns its length. The exchange buffer is at 1024, so the observation's state blob is
/// at 1432 (length at 1170) and the verdict at 3072.
fn module(extra: &str, body: &str) -> String {
    format!(
        r#"(module
  (memory (export "memory") 1)
  (func (export "ifaddr_policy_abi") (result i32) (i32.const 0x10000))
  (func (export "ifaddr_policy_buffer") (result i32) (i32.const 1024))
  (func $verdict (param $code i32) (result i32)
    (i32.store (i32.const 3072) (i32.const 0x10000))
    (i32.store (i32.const 3076) (i32.const 408))
    (i32.store (i32.const 3080) (local.get $code))
    (i32.const 408))
  {extra}
  (func (export "ifaddr_policy_evaluate") (param $len i32) (result i32)
    {body}))"#
    )
}

impl Fx {
    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        p.to_str().unwrap().to_owned()
    }

    /// Write the module and compile it into the cache, as `ifaddrc compile` on a node.
    fn wat(&self, name: &str, text: &str) -> String {
        let p = self.write(name, &wat::parse_str(text).unwrap());
        if let Err(e) = ifaddrc::compile(Path::new(&p), &self.dirs.cache) {
            panic!("ifaddrc compile {p}: {e}");
        }
        p
    }

    /// Write the module, which `ifaddrc compile` must refuse; the path and ifaddrc's reason.
    fn refused(&self, name: &str, bytes: &[u8]) -> (String, String) {
        let p = self.write(name, bytes);
        let e = ifaddrc::compile(Path::new(&p), &self.dirs.cache).unwrap_err();
        assert!(e.starts_with("exit Some(5): "), "{e}");
        (p, e)
    }

    fn params(&self, policy: &str, args: &str) -> (Params, OpContext) {
        let mut env = vec![
            ("OCF_RESKEY_ip".to_owned(), b"192.0.2.10".to_vec()),
            ("OCF_RESKEY_policy".to_owned(), policy.as_bytes().to_vec()),
            ("OCF_RESOURCE_INSTANCE".to_owned(), b"vip-test".to_vec()),
            ("OCF_RESKEY_CRM_meta_interval".to_owned(), b"10000".to_vec()),
        ];
        if !args.is_empty() {
            env.push((
                "OCF_RESKEY_policy_args".to_owned(),
                args.as_bytes().to_vec(),
            ));
        }
        let env = Env(env);
        (Params::parse(&env).unwrap(), OpContext::parse(&env))
    }

    /// One monitor with a healthy link; the outcome and how long it took.
    fn eval(&self, policy: &str, api11: bool) -> (Outcome, Duration) {
        self.eval_link(policy, "", api11, &link(true, true), Exit::Success)
    }

    fn eval_link(
        &self,
        policy: &str,
        args: &str,
        api11: bool,
        l: &Link,
        builtin: Exit,
    ) -> (Outcome, Duration) {
        let (p, ctx) = self.params(policy, args);
        let api = if api11 {
            ApiVersion { major: 1, minor: 1 }
        } else {
            ApiVersion { major: 1, minor: 0 }
        };
        let a = Addr {
            index: 3,
            prefix: 24,
            tentative: false,
            duplicated: false,
            deprecated: false,
        };
        let t = Instant::now();
        let o = evaluate_in(
            &self.dirs,
            &LIMITS,
            &Seen {
                p: &p,
                ctx: &ctx,
                api,
                link: Some(l),
                addr: Some(&a),
                builtin,
                conflict: None,
            },
            false,
        );
        (o, t.elapsed())
    }
}

fn link(up: bool, carrier: bool) -> Link {
    Link {
        index: 3,
        name: IfName::parse("veth-t").unwrap(),
        up,
        carrier,
        loopback: false,
        mtu: 1500,
        mac: None,
        counters: Some(Counters {
            rx_errors: 5,
            ..Counters::default()
        }),
    }
}

/// Assert the exit code, that the reason contains `needle`, and the time bound.
#[track_caller]
fn expect(r: (Outcome, Duration), exit: Exit, needle: &str, bound: Duration) {
    let (o, took) = r;
    assert_eq!(o.exit, exit, "{o:?}");
    let reason = o.reason.unwrap_or_default();
    assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
    assert!(took < bound, "took {took:?}, bound {bound:?}");
}

/// Generous bound for a run in a debug build (loading the artifact included).
const BOUND: Duration = Duration::from_secs(5);

#[test]
fn running_from_the_artifact_only() {
    let f = fx("running");
    let p = f.wat("ok.wasm", &module("", "(call $verdict (i32.const 0))"));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let arts: Vec<_> = std::fs::read_dir(&f.dirs.cache).unwrap().collect();
    assert_eq!(arts.len(), 1);
    let art = arts[0].as_ref().unwrap().path();
    assert_eq!(mode(&art), 0o600);
    assert_eq!(mode(&f.dirs.cache), 0o700);
    let ok = Outcome {
        exit: Exit::Success,
        reason: None,
    };
    assert_eq!(f.eval(&p, true).0, ok);
    assert!(validate_in(&f.dirs, &f.params(&p, "").0).is_ok());
    let fix = format!(
        "run `ifaddrc compile {p} --cache-dir {}`",
        f.dirs.cache.display()
    );
    // Every artifact the agent cannot trust or load answers 5 with the command that fixes it,
    // and is left alone: the agent never writes the cache.
    let broken: [(&str, &dyn Fn()); 4] = [
        ("is writable by group or others", &|| {
            std::fs::set_permissions(&art, std::fs::Permissions::from_mode(0o664)).unwrap()
        }),
        ("is unusable", &|| {
            std::fs::write(&art, b"not an artifact").unwrap()
        }),
        ("is a symbolic link", &|| {
            let copy = f.dir.join("copy.cwasm");
            std::fs::rename(&art, &copy).unwrap();
            std::os::unix::fs::symlink(&copy, &art).unwrap();
        }),
        ("is unusable", &|| std::fs::write(&art, b"").unwrap()),
    ];
    for (needle, damage) in broken {
        damage();
        let (o, _) = f.eval(&p, true);
        assert_eq!(o.exit, Exit::ErrInstalled, "{needle}: {o:?}");
        let r = o.reason.unwrap();
        assert!(r.contains(needle) && r.ends_with(&fix), "{needle}: {r}");
        assert_eq!(
            validate_in(&f.dirs, &f.params(&p, "").0)
                .unwrap_err()
                .reason
                .unwrap(),
            r
        );
        // What the reason says fixes it.
        let _ = std::fs::remove_file(&art);
        assert_eq!(ifaddrc::compile(Path::new(&p), &f.dirs.cache).unwrap(), art);
        assert_eq!(f.eval(&p, true).0, ok);
    }
    // No artifact at all.
    std::fs::remove_file(&art).unwrap();
    let r = f.eval(&p, true).0.reason.unwrap();
    assert!(
        r.contains("no precompiled artifact") && r.ends_with(&fix),
        "{r}"
    );
    // An artifact of the same module for another engine (another ifaddr or wasmtime).
    let other = art.with_file_name(format!(
        "{}-0123456789abcdef.cwasm",
        art.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .split('-')
            .next()
            .unwrap()
    ));
    std::fs::write(&other, b"old").unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = f.eval(&p, true).0.reason.unwrap();
    assert!(
        r.contains("was made by another ifaddr or wasmtime") && r.ends_with(&fix),
        "{r}"
    );
    // Compiling again replaces it.
    ifaddrc::compile(Path::new(&p), &f.dirs.cache).unwrap();
    assert!(!other.exists());
    assert_eq!(f.eval(&p, true).0, ok);
}

#[test]
fn decisions_map_to_ocf_codes() {
    let f = fx("decisions");
    for (code, api11, exit) in [
        (1, true, Exit::ErrGeneric),
        (7, true, Exit::NotRunning),
        (190, true, Exit::Degraded),
        (190, false, Exit::Success),
    ] {
        let p = f.wat(
            &format!("d{code}.wasm"),
            &module("", &format!("(call $verdict (i32.const {code}))")),
        );
        let (o, _) = f.eval(&p, api11);
        assert_eq!(o.exit, exit, "code {code}");
        if exit != Exit::Success {
            assert!(o
                .reason
                .unwrap()
                .starts_with(&format!("policy d{code}.wasm: ")));
        }
    }
}

#[test]
fn message_and_reason_are_reported_cleanly() {
    let f = fx("message");
    // reason 6 (link-down), message "bad\nline" (the newline must not survive).
    let body = r#"
      (i32.store (i32.const 3084) (i32.const 6))
      (i32.store16 (i32.const 3088) (i32.const 8))
      (i64.store (i32.const 3096) (i64.const 0x656e696c0a646162))
      (call $verdict (i32.const 1))"#;
    let p = f.wat("m.wasm", &module("", body));
    let (o, _) = f.eval(&p, true);
    assert_eq!(o.exit, Exit::ErrGeneric);
    assert_eq!(
        o.reason.unwrap(),
        "policy m.wasm: failed (link-down): bad?line"
    );
}

#[test]
fn state_blob_survives_between_monitors_and_start_resets_it() {
    let f = fx("state");
    // Next state = [previous first byte + 1]; degraded when it reaches 3.
    let body = r#"
      (local $n i32)
      (local.set $n (i32.add (i32.load8_u (i32.const 1432)) (i32.const 1)))
      (i32.store8 (i32.const 3224) (local.get $n))
      (i32.store16 (i32.const 3090) (i32.const 1))
      (call $verdict (select (i32.const 190) (i32.const 0) (i32.ge_u (local.get $n) (i32.const 3))))"#;
    let p = f.wat("s.wasm", &module("", body));
    let (params, ctx) = f.params(&p, "");
    on_start_in(&f.dirs, &params, &ctx);
    let codes: Vec<Exit> = (0..4).map(|_| f.eval(&p, true).0.exit).collect();
    assert_eq!(
        codes,
        [Exit::Success, Exit::Success, Exit::Degraded, Exit::Degraded]
    );
    let st = state::load(&state::path_in(&f.dirs.state, "vip-test"));
    assert_eq!((st.monitors, st.blob.as_slice()), (4, &[4u8][..]));
    assert!(st.start_ms.is_some());
    on_start_in(&f.dirs, &params, &ctx);
    assert_eq!(f.eval(&p, true).0.exit, Exit::Success);
    on_stop_in(&f.dirs, &params, &ctx);
    assert!(!state::path_in(&f.dirs.state, "vip-test").exists());
    // A trap leaves the state alone.
    on_start_in(&f.dirs, &params, &ctx);
    f.eval(&p, true);
    let trap = f.wat("s.wasm", &module("", "unreachable"));
    assert_eq!(f.eval(&trap, true).0.exit, Exit::ErrGeneric);
    let st = state::load(&state::path_in(&f.dirs.state, "vip-test"));
    assert_eq!((st.monitors, st.blob.as_slice()), (1, &[1u8][..]));
}

#[test]
fn observation_reaches_the_guest() {
    let f = fx("observe");
    // Fails unless: flags has LINK_UP (bit 5) but not LINK_CARRIER (bit 7), rx_errors == 5,
    // builtin == 1, args_len == 3, interval == 10000.
    let body = r#"
      (if (result i32)
        (i32.and
          (i32.and
            (i32.eq (i32.and (i32.load (i32.const 1068)) (i32.const 0xa0)) (i32.const 0x20))
            (i64.eq (i64.load (i32.const 1104)) (i64.const 5)))
          (i32.and
            (i32.and
              (i32.eq (i32.load8_u (i32.const 1086)) (i32.const 1))
              (i32.eq (i32.load16_u (i32.const 1168)) (i32.const 3)))
            (i64.eq (i64.load (i32.const 1048)) (i64.const 10000))))
        (then (call $verdict (i32.const 0)))
        (else (call $verdict (i32.const 7))))"#;
    let p = f.wat("o.wasm", &module("", body));
    let (o, _) = f.eval_link(&p, "a=b", true, &link(true, false), Exit::ErrGeneric);
    assert_eq!(o.exit, Exit::Success, "{o:?}");
}

// ---- misbehaviour: each has a defined outcome, a clear reason and a time bound ----

#[test]
fn trap() {
    let f = fx("trap");
    let p = f.wat("t.wasm", &module("", "unreachable"));
    expect(
        f.eval(&p, true),
        Exit::ErrGeneric,
        "trapped: wasm `unreachable`",
        BOUND,
    );
    let p = f.wat(
        "div.wasm",
        &module("", "(i32.div_u (i32.const 1) (i32.const 0))"),
    );
    expect(
        f.eval(&p, true),
        Exit::ErrGeneric,
        "trapped: integer divide by zero",
        BOUND,
    );
    let p = f.wat("oob.wasm", &module("", "(i32.load (i32.const 0x7ffffff0))"));
    expect(
        f.eval(&p, true),
        Exit::ErrGeneric,
        "trapped: out of bounds memory access",
        BOUND,
    );
}

#[test]
fn infinite_loop_hits_fuel() {
    let f = fx("loop");
    let p = f.wat("l.wasm", &module("", "(loop $l (br $l)) (i32.const 0)"));
    // Warm the cache so the bound measures the run, not the compile.
    let _ = validate_in(&f.dirs, &f.params(&p, "").0);
    expect(
        f.eval(&p, true),
        Exit::ErrGeneric,
        "used up its fuel",
        Duration::from_millis(500),
    );
}

#[test]
fn wall_clock_limit() {
    let f = fx("wall");
    let p = f.wat("w.wasm", &module("", "(loop $l (br $l)) (i32.const 0)"));
    let (params, ctx) = f.params(&p, "");
    let _ = validate_in(&f.dirs, &params);
    // Fuel that would last for minutes: the wall clock must stop it.
    let limits = Limits {
        fuel: u64::MAX / 4,
        ..LIMITS
    };
    let a = Addr {
        index: 3,
        prefix: 24,
        tentative: false,
        duplicated: false,
        deprecated: false,
    };
    let t = Instant::now();
    let o = evaluate_in(
        &f.dirs,
        &limits,
        &Seen {
            p: &params,
            ctx: &ctx,
            api: ApiVersion::default(),
            link: Some(&link(true, true)),
            addr: Some(&a),
            builtin: Exit::Success,
            conflict: None,
        },
        false,
    );
    expect(
        (o, t.elapsed()),
        Exit::ErrGeneric,
        "ran past its 1000 ms time limit",
        LIMITS.wall + Duration::from_millis(600),
    );
    assert!(t.elapsed() >= LIMITS.wall);
}

/// The clock stops runs in several threads at once: one that has `SIGALRM` blocked, and one on
/// the agent's path, which leaves the engine to the process exit.
#[test]
fn wall_clock_limit_in_parallel_runs() {
    let f = fx("wall-par");
    let p = f.wat("w.wasm", &module("", "(loop $l (br $l)) (i32.const 0)"));
    let (params, ctx) = f.params(&p, "");
    let _ = validate_in(&f.dirs, &params);
    let limits = Limits {
        fuel: u64::MAX / 4,
        ..LIMITS
    };
    let t = Instant::now();
    let runs: Vec<(Outcome, Duration)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..3)
            .map(|i| {
                let (f, params, ctx, limits) = (&f, &params, &ctx, &limits);
                s.spawn(move || {
                    if i == 0 {
                        // SAFETY: the set is initialised before use; only this thread's mask
                        // changes.
                        unsafe {
                            let mut set: libc::sigset_t = std::mem::zeroed();
                            libc::sigemptyset(&mut set);
                            libc::sigaddset(&mut set, libc::SIGALRM);
                            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                        }
                    }
                    let a = Addr {
                        index: 3,
                        prefix: 24,
                        tentative: false,
                        duplicated: false,
                        deprecated: false,
                    };
                    let o = evaluate_in(
                        &f.dirs,
                        limits,
                        &Seen {
                            p: params,
                            ctx,
                            api: ApiVersion::default(),
                            link: Some(&link(true, true)),
                            addr: Some(&a),
                            builtin: Exit::Success,
                            conflict: None,
                        },
                        i == 2,
                    );
                    (o, t.elapsed())
                })
            })
            .collect();
        threads.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in runs {
        assert!(r.1 >= LIMITS.wall);
        expect(
            r,
            Exit::ErrGeneric,
            "ran past its 1000 ms time limit",
            LIMITS.wall + Duration::from_millis(900),
        );
    }
}

#[test]
fn hex_digits() {
    assert_eq!(hex(&[0x00, 0x09, 0xa0, 0xff]), "0009a0ff");
    assert_eq!(hex(&[]), "");
}

#[test]
fn bulk_memory_work_is_bounded() {
    let f = fx("bulk");
    // memory.fill of 64 KiB in a loop: fuel or the wall clock stops it, whichever first.
    let body = "(loop $l (memory.fill (i32.const 0) (i32.const 0) (i32.const 65536)) (br $l)) (i32.const 0)";
    let p = f.wat("b.wasm", &module("", body));
    let _ = validate_in(&f.dirs, &f.params(&p, "").0);
    let (o, took) = f.eval(&p, true);
    assert_eq!(o.exit, Exit::ErrGeneric);
    let r = o.reason.unwrap();
    assert!(
        r.contains("used up its fuel") || r.contains("time limit"),
        "{r}"
    );
    assert!(took < LIMITS.wall + Duration::from_millis(600), "{took:?}");
}

#[test]
fn loop_in_start_function_is_bounded_too() {
    let f = fx("start");
    let p = f.wat(
        "st.wasm",
        &module("(func $s (loop $l (br $l))) (start $s)", "(i32.const 0)"),
    );
    // validate does not run the module, so it cannot hang.
    let t = Instant::now();
    assert!(validate_in(&f.dirs, &f.params(&p, "").0).is_ok());
    assert!(t.elapsed() < BOUND);
    expect(
        f.eval(&p, true),
        Exit::ErrGeneric,
        "used up its fuel",
        Duration::from_millis(500),
    );
}

#[test]
fn memory_growth_past_the_limit() {
    let f = fx("grow");
    let p = f.wat(
        "g.wasm",
        &module(
            "",
            "(drop (memory.grow (i32.const 64))) (call $verdict (i32.const 0))",
        ),
    );
    expect(
        f.eval(&p, true),
        Exit::ErrGeneric,
        "past the 1024 KiB limit",
        BOUND,
    );
    // Growing within the limit is fine.
    let p = f.wat(
        "g2.wasm",
        &module(
            "",
            "(drop (memory.grow (i32.const 8))) (call $verdict (i32.const 0))",
        ),
    );
    expect(f.eval(&p, true), Exit::Success, "", BOUND);
}

#[test]
fn stack_overflow() {
    let f = fx("stack");
    let p = f.wat(
        "r.wasm",
        &module(
            "(func $r (param i64) (result i64) (call $r (local.get 0)))",
            "(drop (call $r (i64.const 1))) (i32.const 0)",
        ),
    );
    expect(
        f.eval(&p, true),
        Exit::ErrGeneric,
        "overflowed its 256 KiB stack",
        BOUND,
    );
}

#[test]
fn wrong_abi() {
    let f = fx("abi");
    let v2 = module("", "(call $verdict (i32.const 0))").replace(
        "(i32.const 0x10000))\n  (func (export \"ifaddr_policy_buffer\")",
        "(i32.const 0x20000))\n  (func (export \"ifaddr_policy_buffer\")",
    );
    let p = f.wat("v2.wasm", &v2);
    expect(
        f.eval(&p, true),
        Exit::ErrInstalled,
        "speaks ABI 2.0",
        BOUND,
    );
    // Modules without the policy exports are refused when they are compiled, so the agent
    // never has an artifact for them.
    let sig = module("", "(call $verdict (i32.const 0))")
        .replace(
            "(param $len i32) (result i32)",
            "(param $len i64) (result i32)",
        )
        .replace("(call $verdict", "(drop (local.get $len)) (call $verdict");
    let imp = module("", "(call $verdict (i32.const 0))").replacen(
        "(module",
        "(module (import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32 i32) (result i32)))",
        1,
    );
    let big = module("", "(call $verdict (i32.const 0))").replace(
        "(memory (export \"memory\") 1)",
        "(memory (export \"memory\") 17)",
    );
    let cases = [
        (
            "noeval.wasm",
            r#"(module (memory (export "memory") 1)
        (func (export "ifaddr_policy_abi") (result i32) (i32.const 0x10000))
        (func (export "ifaddr_policy_buffer") (result i32) (i32.const 0)))"#
                .to_owned(),
            "does not export ifaddr_policy_evaluate",
        ),
        (
            "nomem.wasm",
            r#"(module
        (func (export "ifaddr_policy_abi") (result i32) (i32.const 0x10000)))"#
                .to_owned(),
            "does not export memory",
        ),
        (
            "sig.wasm",
            sig,
            "export ifaddr_policy_evaluate has the wrong signature",
        ),
        ("imp.wasm", imp, "imports wasi_snapshot_preview1::fd_write"),
        ("big.wasm", big, "more than the 1024 KiB limit"),
    ];
    for (name, text, needle) in cases {
        let (p, e) = f.refused(name, &wat::parse_str(&text).unwrap());
        assert!(e.contains(needle), "{name}: {e}");
        expect(
            f.eval(&p, true),
            Exit::ErrInstalled,
            "no precompiled artifact",
            BOUND,
        );
        assert_eq!(
            validate_in(&f.dirs, &f.params(&p, "").0).unwrap_err().exit,
            Exit::ErrInstalled
        );
    }
}

#[test]
fn missing_and_corrupt_files() {
    let f = fx("files");
    let missing = f.dir.join("none.wasm");
    expect(
        f.eval(missing.to_str().unwrap(), true),
        Exit::ErrInstalled,
        "does not exist",
        Duration::from_secs(1),
    );
    for (name, bytes) in [
        ("junk.wasm", &b"\0asm\x01\0\0\0\x01\xff\xff\xff"[..]),
        ("text.wasm", b"hello, world"),
        ("empty.wasm", b""),
    ] {
        let (p, e) = f.refused(name, bytes);
        assert!(e.contains("is not a valid WebAssembly module"), "{e}");
        expect(
            f.eval(&p, true),
            Exit::ErrInstalled,
            "no precompiled artifact",
            BOUND,
        );
    }
    let p = f.write("huge.wasm", &vec![0u8; MODULE_MAX as usize + 1]);
    expect(f.eval(&p, true), Exit::ErrInstalled, "is too large", BOUND);
    let (p, _) = f.params(missing.to_str().unwrap(), "");
    assert_eq!(
        validate_in(&f.dirs, &p).unwrap_err().exit,
        Exit::ErrInstalled
    );
}

#[test]
fn untrusted_files() {
    let f = fx("trust");
    let good = f.wat("good.wasm", &module("", "(call $verdict (i32.const 0))"));
    let link = f.dir.join("link.wasm");
    std::os::unix::fs::symlink(&good, &link).unwrap();
    expect(
        f.eval(link.to_str().unwrap(), true),
        Exit::ErrInstalled,
        "is a symbolic link",
        Duration::from_secs(1),
    );
    let gw = f.wat("gw.wasm", &module("", "(call $verdict (i32.const 0))"));
    std::fs::set_permissions(&gw, std::fs::Permissions::from_mode(0o664)).unwrap();
    expect(
        f.eval(&gw, true),
        Exit::ErrInstalled,
        "is writable by group or others (mode 664)",
        Duration::from_secs(1),
    );
    std::fs::set_permissions(&gw, std::fs::Permissions::from_mode(0o646)).unwrap();
    expect(
        f.eval(&gw, true),
        Exit::ErrInstalled,
        "is writable by group or others",
        Duration::from_secs(1),
    );
    if trust::trusted_uid() == 0 {
        let nr = f.wat("nr.wasm", &module("", "(call $verdict (i32.const 0))"));
        std::os::unix::fs::lchown(&nr, Some(65534), None).unwrap();
        expect(
            f.eval(&nr, true),
            Exit::ErrInstalled,
            "is owned by uid 65534, not root",
            Duration::from_secs(1),
        );
    }
    let d = f.dir.join("dir.wasm");
    std::fs::create_dir(&d).unwrap();
    expect(
        f.eval(d.to_str().unwrap(), true),
        Exit::ErrInstalled,
        "is not a regular file",
        Duration::from_secs(1),
    );
}

#[test]
fn garbage_verdicts() {
    let f = fx("garbage");
    let cases = [
        ("code.wasm", "(call $verdict (i32.const 2))", "verdict code 2 is not 0, 1, 7 or 190"),
        ("len.wasm", "(drop (call $verdict (i32.const 0))) (i32.const -1)", "verdict length -1 is out of range"),
        ("short.wasm", "(drop (call $verdict (i32.const 0))) (i32.const 12)", "verdict length 12 is out of range"),
        ("msg.wasm", "(i32.store16 (i32.const 3088) (i32.const 999)) (call $verdict (i32.const 0))", "verdict: a length field is out of range"),
        ("ver.wasm", "(drop (call $verdict (i32.const 0))) (i32.store (i32.const 3072) (i32.const 0x30000)) (i32.const 408)", "verdict ABI 3.0 is not 1.x"),
        ("none.wasm", "(i32.const 408)", "verdict ABI 0.0 is not 1.x"),
    ];
    for (name, body, needle) in cases {
        let p = f.wat(name, &module("", body));
        expect(f.eval(&p, true), Exit::ErrGeneric, needle, BOUND);
    }
    // The buffer pointer itself is garbage.
    let p = f.wat(
        "buf.wasm",
        &module("", "(call $verdict (i32.const 0))").replace(
            "(i32.const 1024))\n  (func $verdict",
            "(i32.const 65000))\n  (func $verdict",
        ),
    );
    expect(
        f.eval(&p, true),
        Exit::ErrGeneric,
        "exchange buffer at 0xfde8 is outside its memory",
        BOUND,
    );
}

#[test]
fn no_policy_means_builtin() {
    let f = fx("nopolicy");
    let env = Env(vec![("OCF_RESKEY_ip".to_owned(), b"192.0.2.10".to_vec())]);
    let (p, ctx) = (Params::parse(&env).unwrap(), OpContext::parse(&env));
    let o = evaluate_in(
        &f.dirs,
        &LIMITS,
        &Seen {
            p: &p,
            ctx: &ctx,
            api: ApiVersion::default(),
            link: None,
            addr: None,
            builtin: Exit::ErrGeneric,
            conflict: None,
        },
        false,
    );
    assert_eq!(o.exit, Exit::ErrGeneric);
    assert!(validate_in(&f.dirs, &p).is_ok());
}

#[test]
fn observe_carries_the_split_brain_check() {
    let env = Env(vec![("OCF_RESKEY_ip".to_owned(), b"192.0.2.10".to_vec())]);
    let (p, ctx) = (Params::parse(&env).unwrap(), OpContext::parse(&env));
    let st = state::State::empty();
    let api = ApiVersion::default();
    let l = link(true, true);
    let o = |conflict| {
        let seen = Seen {
            p: &p,
            ctx: &ctx,
            api,
            link: Some(&l),
            addr: None,
            builtin: Exit::Success,
            conflict,
        };
        observe(&seen, &st)
    };
    let none = o(None);
    assert!(!none.has(flag::CONFLICT_CHECKED) && !none.has(flag::CONFLICT));
    let clean = o(Some(None));
    assert!(clean.has(flag::CONFLICT_CHECKED) && !clean.has(flag::CONFLICT));
    assert_eq!(clean.conflict(), None);
    let mac = [0x02, 0, 0, 0, 0, 0x99];
    let hit = o(Some(Some(mac)));
    assert!(hit.has(flag::CONFLICT_CHECKED | flag::CONFLICT));
    assert_eq!(hit.conflict(), Some(mac));
    // The agent writes ABI 1.1 observations; the encoding carries the MAC at 664.
    let b = hit.encode();
    assert_eq!(&b[0..4], &0x0001_0001u32.to_le_bytes());
    assert_eq!(&b[664..670], &mac);
}
