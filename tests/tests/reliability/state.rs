//! Policy state files under `${HA_RSCTMP}/ifaddr/`: a state directory that is missing,
//! read-only (a read-only tmpfs) or full (a tiny tmpfs); state and policy files replaced by
//! symbolic links; many resources and overlapping monitors at once; SIGKILL while the state is
//! being saved. The defined outcome (docs/policies.md): state failures are logged, never
//! fatal, and a state file is either a complete old one, a complete new one, or absent.
//!
//! The policy is a counter written here in WebAssembly text: every monitor stores
//! `previous + 1` in its state blob, so the file shows which monitors were saved.

use super::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

const COUNTER: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "ifaddr_policy_abi") (result i32) (i32.const 0x10000))
  (func (export "ifaddr_policy_buffer") (result i32) (i32.const 1024))
  (func (export "ifaddr_policy_evaluate") (param $len i32) (result i32)
    (local $n i64)
    ;; observation state_len at 1024 + 146, state at 1024 + 408
    (if (i32.ge_u (i32.load16_u (i32.const 1170)) (i32.const 8))
      (then (local.set $n (i64.load (i32.const 1432)))))
    ;; verdict at 1024 + 2048: abi, size, code 0, reason 0, message_len 0, state_len 8
    (i64.store (i32.const 3224) (i64.add (local.get $n) (i64.const 1)))
    (i32.store (i32.const 3072) (i32.const 0x10000))
    (i32.store (i32.const 3076) (i32.const 408))
    (i32.store (i32.const 3080) (i32.const 0))
    (i32.store16 (i32.const 3090) (i32.const 8))
    (i32.const 408)))"#;

/// A scratch directory with the counter policy (root-owned, 0644), a private artifact cache
/// and tmpfs mounts that are unmounted on drop.
struct Fx {
    root: PathBuf,
    policy: String,
    mounts: Vec<PathBuf>,
}

impl Fx {
    fn new(tag: &str) -> Fx {
        let root = PathBuf::from(format!(
            "/tmp/ifaddr-rel-state-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let policy = root.join("counter.wasm");
        std::fs::write(&policy, wat::parse_str(COUNTER).unwrap()).unwrap();
        std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o644)).unwrap();
        // As on a node: the agent loads only what `ifaddrc compile` stored.
        ifaddr_tests::ifaddrc::compile(&policy, &root.join("cache")).unwrap();
        Fx {
            policy: policy.to_str().unwrap().to_owned(),
            root,
            mounts: Vec::new(),
        }
    }

    /// A tmpfs at `root/name` with mount options `opts`.
    fn tmpfs(&mut self, name: &str, opts: &str) -> PathBuf {
        let d = self.root.join(name);
        std::fs::create_dir_all(&d).unwrap();
        must(&format!(
            "mount -t tmpfs -o {opts} ifaddr-rel {}",
            d.display()
        ));
        self.mounts.push(d.clone());
        d
    }

    fn remount(&self, d: &Path, opts: &str) {
        must(&format!("mount -o remount,{opts} {}", d.display()));
    }

    /// The environment of resource `instance` with its state under `rsctmp`.
    fn env(&self, ip: &str, instance: &str, rsctmp: &Path) -> Env {
        let mut e = env(&[
            ("ip", ip),
            ("nic", "v1"),
            ("cidr_netmask", "24"),
            ("arp_count", "0"),
            ("arp_probe", "0"),
            ("policy", &self.policy),
            ("OCF_RESOURCE_INSTANCE", instance),
        ]);
        e.push(("HA_RSCTMP".into(), rsctmp.into()));
        e.push(("IFADDR_CACHE_DIR".into(), self.root.join("cache").into()));
        e
    }
}

impl Drop for Fx {
    fn drop(&mut self) {
        for m in self.mounts.iter().rev() {
            let _ = sh(&format!("umount {}", m.display()));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn state_path(rsctmp: &Path, instance: &str) -> PathBuf {
    rsctmp
        .join("ifaddr")
        .join(format!("policy-{instance}.state"))
}

/// A state file, checked from the outside: two slots of 296 bytes, each with magic `IFPS`,
/// version 2, a sequence number and an FNV-1a checksum over the rest; the valid slot with the
/// higher sequence number is the state. Returns (monitor count, counter in the blob).
fn decode(path: &Path) -> Result<(u32, u64), String> {
    const SLOT: usize = 296;
    let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if b.len() != 2 * SLOT {
        return Err(format!(
            "{}: not a state file: {} bytes",
            path.display(),
            b.len()
        ));
    }
    let mut best: Option<(u64, u32, u64)> = None;
    for s in b.chunks(SLOT) {
        let le = |r: std::ops::Range<usize>| {
            let mut a = [0u8; 8];
            a[..r.len()].copy_from_slice(&s[r]);
            u64::from_le_bytes(a)
        };
        let sum = s[..SLOT - 8]
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, &c| {
                (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        if &s[..4] != b"IFPS" || le(4..8) != 2 || le(SLOT - 8..SLOT) != sum || le(8..16) == 0 {
            continue;
        }
        let blob_len = le(28..30) as usize;
        let counter = if blob_len >= 8 { le(32..40) } else { 0 };
        let seq = le(8..16);
        if best.is_none_or(|(q, _, _)| seq > q) {
            best = Some((seq, le(24..28) as u32, counter));
        }
    }
    best.map(|(_, m, c)| (m, c))
        .ok_or_else(|| format!("{}: no valid slot (bad checksum)", path.display()))
}

/// Leftover temporary files in the state directory.
fn temps(rsctmp: &Path) -> Vec<String> {
    std::fs::read_dir(rsctmp.join("ifaddr"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

#[track_caller]
fn ok(r: &Run) {
    assert!(r.code == 0 && r.reasons().is_empty(), "{r:?}");
}

#[test]
fn policy_state_dir_missing() {
    let (lab, before) = settled_lab("sm");
    let fx = Fx::new("missing");
    let rsctmp = fx.root.join("not/there/yet");
    let e = fx.env("192.0.2.200", "vip1", &rsctmp);
    let st = state_path(&rsctmp, "vip1");
    ok(&run(&lab, "start", &e));
    assert_eq!(decode(&st), Ok((0, 0)), "start writes a fresh state");
    let meta = std::fs::metadata(rsctmp.join("ifaddr")).unwrap();
    assert_eq!((meta.mode() & 0o777, meta.uid()), (0o700, 0));
    assert_eq!(std::fs::metadata(&st).unwrap().mode() & 0o777, 0o600);
    for n in 1..=3 {
        ok(&run(&lab, "monitor", &e));
        assert_eq!(decode(&st), Ok((n, n.into())));
    }
    // The directory vanishes while the resource runs: the next monitor starts afresh.
    std::fs::remove_dir_all(&rsctmp).unwrap();
    ok(&run(&lab, "monitor", &e));
    assert_eq!(decode(&st).map(|s| s.1), Ok(1));
    ok(&run(&lab, "stop", &e));
    assert!(!st.exists());
    assert!(temps(&rsctmp).is_empty());
    assert_eq!(kernel_state(&lab), before);
}

#[test]
fn policy_state_dir_read_only() {
    let (lab, before) = settled_lab("so");
    let mut fx = Fx::new("ro");
    let rsctmp = fx.tmpfs("ro", "size=64k");
    let e = fx.env("192.0.2.200", "vip1", &rsctmp);
    let st = state_path(&rsctmp, "vip1");
    ok(&run(&lab, "start", &e));
    ok(&run(&lab, "monitor", &e));
    let saved = std::fs::read(&st).unwrap();
    fx.remount(&rsctmp, "ro");
    // Monitors still answer; the state is not saved, and says so.
    for _ in 0..2 {
        let r = run(&lab, "monitor", &e);
        ok(&r);
        assert!(r.stderr.contains("not saved"), "{r:?}");
        assert_eq!(std::fs::read(&st).unwrap(), saved);
    }
    // Stop removes the address even though the state cannot be removed.
    let r = run(&lab, "stop", &e);
    ok(&r);
    assert!(r.stderr.contains("not removed"), "{r:?}");
    assert_eq!(kernel_state(&lab), before);
    // Start works without saving.
    let r = run(&lab, "start", &e);
    ok(&r);
    assert!(r.stderr.contains("not saved"), "{r:?}");
    ok(&run(&lab, "monitor", &e));
    assert_eq!(decode(&st), Ok((1, 1)), "the old state is intact");
    fx.remount(&rsctmp, "rw");
    ok(&run(&lab, "stop", &e));
    assert!(!st.exists());
    assert!(temps(&rsctmp).is_empty());
    assert_eq!(kernel_state(&lab), before);
}

#[test]
fn policy_state_dir_full() {
    let (lab, before) = settled_lab("sf");
    let mut fx = Fx::new("full");
    let rsctmp = fx.tmpfs("full", "size=64k,nr_inodes=64");
    let e = fx.env("192.0.2.200", "vip1", &rsctmp);
    let st = state_path(&rsctmp, "vip1");
    ok(&run(&lab, "start", &e));
    ok(&run(&lab, "monitor", &e));
    ok(&run(&lab, "monitor", &e));
    let fill = || {
        let _ = sh(&format!(
            "dd if=/dev/zero of={}/filler bs=1k 2>/dev/null",
            rsctmp.display()
        ));
    };
    fill();
    // The file is already allocated: a save overwrites a slot in place, which needs no new
    // blocks, so monitors go on saving. Whatever happens, the file stays a whole state file
    // that either advanced by exactly one or (if a save failed, and then says so) is unchanged.
    let mut prev = decode(&st).unwrap();
    assert_eq!(prev, (2, 2));
    for _ in 0..2 {
        let r = run(&lab, "monitor", &e);
        ok(&r);
        let got = decode(&st);
        let Ok(now) = got else {
            panic!("a full disk corrupted the state file: {got:?} {r:?}");
        };
        if now == prev {
            assert!(r.stderr.contains("not saved"), "lost silently: {r:?}");
        } else {
            assert_eq!(now, (prev.0 + 1, prev.1 + 1), "{r:?}");
            assert!(!r.stderr.contains("not saved"), "saved, yet: {r:?}");
        }
        assert_eq!(std::fs::metadata(&st).unwrap().len(), 592);
        assert!(temps(&rsctmp).is_empty(), "{:?}", temps(&rsctmp));
        prev = now;
    }
    std::fs::remove_file(rsctmp.join("filler")).unwrap();
    ok(&run(&lab, "monitor", &e));
    assert_eq!(
        decode(&st),
        Ok((prev.0 + 1, prev.1 + 1)),
        "saving resumes from the intact state"
    );
    ok(&run(&lab, "stop", &e));
    assert!(!st.exists());
    // Full before a new resource's state file exists: creating it fails (ENOSPC). Start and
    // monitors still succeed and say "not saved"; what is left is no file or one that is
    // treated as empty (a short file), never a state that decodes to something wrong.
    fill();
    let e2 = fx.env("192.0.2.201", "vip2", &rsctmp);
    let st2 = state_path(&rsctmp, "vip2");
    let r = run(&lab, "start", &e2);
    ok(&r);
    assert!(r.stderr.contains("not saved"), "{r:?}");
    for _ in 0..2 {
        let r = run(&lab, "monitor", &e2);
        ok(&r);
        assert!(r.stderr.contains("not saved"), "{r:?}");
        match std::fs::metadata(&st2) {
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}"),
            Ok(m) if m.len() < 592 => {}
            Ok(_) => panic!("{:?} with a full disk: {:?}", st2, decode(&st2)),
        }
        assert!(temps(&rsctmp).is_empty(), "{:?}", temps(&rsctmp));
    }
    // With room again, the next monitor starts from an empty state and saves it.
    std::fs::remove_file(rsctmp.join("filler")).unwrap();
    ok(&run(&lab, "monitor", &e2));
    assert_eq!(decode(&st2).map(|s| s.1), Ok(1));
    ok(&run(&lab, "stop", &e2));
    assert!(!st2.exists());
    assert!(temps(&rsctmp).is_empty(), "{:?}", temps(&rsctmp));
    assert_eq!(kernel_state(&lab), before);
}

/// Symbolic links where the state file, the state directory or the policy should be: never
/// followed, and what they point at is never read, written or removed.
#[test]
fn policy_state_and_policy_symlinks() {
    let (lab, before) = settled_lab("sl");
    let fx = Fx::new("links");
    let rsctmp = fx.root.join("run");
    let e = fx.env("192.0.2.200", "vip1", &rsctmp);
    let st = state_path(&rsctmp, "vip1");
    // A valid, root-owned, private state file with counter 1000: one the agent wrote for
    // another resource, with the counter and checksum patched.
    let forged = fx.root.join("forged");
    let fe = fx.env("192.0.2.201", "forged", &forged);
    let forged_file = fx.root.join("forged.state");
    ok(&run(&lab, "start", &fe));
    ok(&run(&lab, "monitor", &fe));
    let mut b = std::fs::read(state_path(&forged, "forged")).unwrap();
    assert_eq!(b.len(), 2 * 296, "not a two-slot state file");
    // Patch the blob counter (slot bytes 32..40) of the newest valid slot, then its checksum
    // (FNV-1a over slot bytes 0..288, at 288..296).
    let fnv = |s: &[u8]| {
        s.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| {
            (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let newest = b
        .chunks(296)
        .enumerate()
        .filter(|(_, s)| &s[..4] == b"IFPS" && s[288..] == fnv(&s[..288]).to_le_bytes())
        .max_by_key(|(_, s)| u64::from_le_bytes(s[8..16].try_into().unwrap()))
        .map(|(i, _)| i * 296)
        .expect("a valid slot");
    let slot = &mut b[newest..newest + 296];
    slot[32..40].copy_from_slice(&1000u64.to_le_bytes());
    let sum = fnv(&slot[..288]);
    slot[288..].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(&forged_file, &b).unwrap();
    std::fs::set_permissions(&forged_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(&run(&lab, "stop", &fe));
    assert_eq!(decode(&forged_file).map(|s| s.1), Ok(1000));
    let victim = fx.root.join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let relink = |to: &Path| {
        let _ = std::fs::remove_file(&st);
        std::os::unix::fs::symlink(to, &st).unwrap();
    };

    let forged_bytes = std::fs::read(&forged_file).unwrap();

    ok(&run(&lab, "start", &e));
    // The state file is a link to a valid state: not read (the count restarts) and not
    // written through. Saving opens with O_NOFOLLOW, so the save fails ("not saved") and the
    // link stays; should it be replaced by a regular file instead, that must hold count 1.
    relink(&forged_file);
    let r = run(&lab, "monitor", &e);
    ok(&r);
    assert!(r.stderr.contains("symbolic link"), "{r:?}");
    if std::fs::symlink_metadata(&st)
        .unwrap()
        .file_type()
        .is_symlink()
    {
        assert!(r.stderr.contains("not saved"), "{r:?}");
    } else {
        assert_eq!(decode(&st).map(|s| s.1), Ok(1), "the link was followed");
    }
    assert_eq!(
        std::fs::read(&forged_file).unwrap(),
        forged_bytes,
        "written through the link"
    );
    assert_eq!(decode(&forged_file).map(|s| s.1), Ok(1000));
    // A link to another file: never written through.
    relink(&victim);
    ok(&run(&lab, "monitor", &e));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    // Stop removes the link, not its target.
    relink(&victim);
    ok(&run(&lab, "stop", &e));
    assert!(std::fs::symlink_metadata(&st).is_err());
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");

    // The policy itself is a link: refused with 5, not followed.
    let link = fx.root.join("link.wasm");
    std::os::unix::fs::symlink(&fx.policy, &link).unwrap();
    let mut le = e.clone();
    for (k, v) in &mut le {
        if k == "OCF_RESKEY_policy" {
            *v = link.clone().into();
        }
    }
    let r = run(&lab, "validate-all", &le);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        check_reason(&r, "is a symbolic link (not followed)").is_ok(),
        "{r:?}"
    );
    // Start validates the policy first (a policy that cannot run would fail the first
    // monitor), so it refuses too, before adding the address.
    let r = run(&lab, "start", &le);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        check_reason(&r, "is a symbolic link (not followed)").is_ok(),
        "{r:?}"
    );
    assert_eq!(kernel_state(&lab), before, "start added the address anyway");
    // Started with the real policy, a monitor through the link refuses with 5.
    ok(&run(&lab, "start", &e));
    let r = run(&lab, "monitor", &le);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        check_reason(&r, "is a symbolic link (not followed)").is_ok(),
        "{r:?}"
    );
    ok(&run(&lab, "stop", &le));
    assert_eq!(kernel_state(&lab), before);
}

/// The state directory `ifaddr` itself replaced by a link to another directory holding a
/// valid-looking state file: the agent neither reads, writes nor removes through it.
#[test]
fn policy_state_directory_symlink() {
    let (lab, before) = settled_lab("sy");
    let fx = Fx::new("dirlink");
    let rsctmp = fx.root.join("run");
    let e = fx.env("192.0.2.200", "vip1", &rsctmp);
    let st = state_path(&rsctmp, "vip1");
    // A real state with a few monitors, then moved aside and linked to.
    ok(&run(&lab, "start", &e));
    for _ in 0..3 {
        ok(&run(&lab, "monitor", &e));
    }
    let elsewhere = fx.root.join("elsewhere");
    std::fs::rename(rsctmp.join("ifaddr"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, rsctmp.join("ifaddr")).unwrap();
    let target = elsewhere.join("policy-vip1.state");
    let saved = std::fs::read(&target).unwrap();
    let r = run(&lab, "monitor", &e);
    ok(&r);
    assert_eq!(
        std::fs::read(&target).unwrap(),
        saved,
        "written through the link"
    );
    ok(&run(&lab, "stop", &e));
    let left = std::fs::read(&target);
    assert!(
        left.ok().as_deref() == Some(&saved[..]),
        "stop removed or changed {} through the linked state directory",
        target.display()
    );
    assert!(!st.exists() || std::fs::symlink_metadata(rsctmp.join("ifaddr")).is_ok());
    assert_eq!(kernel_state(&lab), before);
}

/// 50 resources with policies, each started, monitored twice and stopped, ten at a time in
/// parallel; then 10 overlapping monitors of one resource. Every state file stays whole.
#[test]
fn policy_state_parallel() {
    let (lab, before) = settled_lab("sq");
    let fx = Fx::new("par");
    let rsctmp = fx.root.join("run");
    // The artifact loads (Fx compiled it), outside the race.
    let warm = fx.env("192.0.2.9", "warm", &rsctmp);
    assert_eq!(run(&lab, "validate-all", &warm).code, 0);
    let failures = std::sync::Mutex::new(Vec::new());
    // In waves of ten: the policy's 100 ms wall-clock limit must not be what is tested here.
    for wave in 0..5 {
        std::thread::scope(|s| {
            for i in 10 + wave * 10..20 + wave * 10 {
                let (lab, fx, rsctmp, failures) = (&lab, &fx, &rsctmp, &failures);
                s.spawn(move || {
                    let inst = format!("vip{i}");
                    let e = fx.env(&format!("192.0.2.{i}"), &inst, rsctmp);
                    let st = state_path(rsctmp, &inst);
                    for (action, want) in [
                        ("start", Ok((0, 0))),
                        ("monitor", Ok((1, 1))),
                        ("monitor", Ok((2, 2))),
                    ] {
                        let r = run(lab, action, &e);
                        let got = decode(&st);
                        if r.code != 0 || got != want {
                            failures
                                .lock()
                                .unwrap()
                                .push(format!("{inst} {action}: {got:?} {r:?}"));
                        }
                    }
                    let r = run(lab, "stop", &e);
                    if r.code != 0 || st.exists() {
                        failures.lock().unwrap().push(format!("{inst} stop: {r:?}"));
                    }
                });
            }
        });
    }
    let f = failures.into_inner().unwrap();
    assert!(f.is_empty(), "{} failures:\n{}", f.len(), f.join("\n"));
    assert_eq!(kernel_state(&lab), before);
    // Overlapping monitors of one resource: updates may be lost, the file never torn.
    let e = fx.env("192.0.2.200", "vip1", &rsctmp);
    let st = state_path(&rsctmp, "vip1");
    ok(&run(&lab, "start", &e));
    for _ in 0..3 {
        let codes: Vec<i32> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..10)
                .map(|_| s.spawn(|| run(&lab, "monitor", &e).code))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(codes.iter().all(|&c| c == 0), "{codes:?}");
        let (_, n) = decode(&st).unwrap();
        assert!((1..=30).contains(&n), "{n}");
        assert!(temps(&rsctmp).is_empty(), "{:?}", temps(&rsctmp));
    }
    ok(&run(&lab, "stop", &e));
    assert_eq!(kernel_state(&lab), before);
}

/// SIGKILL at every step of saving the state (each in-place slot write, `pwrite64`, the
/// monitor makes, before and after): the state file always decodes to the old state or the
/// new one.
#[test]
fn policy_state_sigkill_while_saving() {
    let (lab, before) = settled_lab("sk");
    let fx = Fx::new("kill");
    let rsctmp = fx.root.join("run");
    let e = fx.env("192.0.2.200", "vip1", &rsctmp);
    let st = state_path(&rsctmp, "vip1");
    ok(&run(&lab, "start", &e));
    ok(&run(&lab, "monitor", &e));
    let mut points = 0;
    // A save of an existing state file is one pwrite64 of a slot (write_all_at).
    for call in ["pwrite64"] {
        for k in 1..=4 {
            let mut done = false;
            for at_exit in [false, true] {
                let (_, old) = decode(&st).unwrap();
                let Some(line) = super::faults::kill_at(&lab, "monitor", &e, call, k, at_exit)
                else {
                    done = true;
                    break;
                };
                points += 1;
                let got = decode(&st);
                assert!(
                    matches!(got, Ok((_, n)) if n == old || n == old + 1),
                    "killed at {call} #{k} ({line}), exit {at_exit}: {got:?}, was {old}"
                );
                // Whatever was left, the next monitor works and counts on.
                let (_, now) = got.unwrap();
                ok(&run(&lab, "monitor", &e));
                assert_eq!(decode(&st).map(|s| s.1), Ok(now + 1));
            }
            if done {
                break;
            }
        }
    }
    assert!(points >= 2, "only {points} kill points");
    ok(&run(&lab, "stop", &e));
    // Saves write in place: no temporary files, killed or not.
    assert!(temps(&rsctmp).is_empty(), "{:?}", temps(&rsctmp));
    assert_eq!(kernel_state(&lab), before);
    eprintln!("state SIGKILL points: {points}");
}
