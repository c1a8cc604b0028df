//! The per-instance policy state file: when the resource was started, how many monitors ran
//! since, and the policy's state blob. It lives in `${HA_RSCTMP:-/run/resource-agents}/ifaddr/`
//! (0700), is replaced atomically (rename) and read only if it is a root-owned private regular file;
//! anything short, corrupt or foreign is treated as empty (with a warning).

use super::trust;
use ifaddr_core::policy::STATE_MAX;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"IFPS";
const VERSION: u32 = 1;
/// magic, version, start, monitors, blob length, reserved, blob, checksum.
const FILE_SIZE: usize = 4 + 4 + 8 + 4 + 2 + 2 + STATE_MAX + 8;
const NO_START: u64 = u64::MAX;

/// What is kept between monitors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Boot-clock milliseconds at start, if the agent saw the start.
    pub start_ms: Option<u64>,
    pub monitors: u32,
    pub blob: Vec<u8>,
}

impl State {
    pub fn empty() -> State {
        State {
            start_ms: None,
            monitors: 0,
            blob: Vec::new(),
        }
    }

    fn encode(&self) -> [u8; FILE_SIZE] {
        let mut b = [0u8; FILE_SIZE];
        b[0..4].copy_from_slice(MAGIC);
        b[4..8].copy_from_slice(&VERSION.to_le_bytes());
        b[8..16].copy_from_slice(&self.start_ms.unwrap_or(NO_START).to_le_bytes());
        b[16..20].copy_from_slice(&self.monitors.to_le_bytes());
        let n = self.blob.len().min(STATE_MAX);
        b[20..22].copy_from_slice(&(n as u16).to_le_bytes());
        b[24..24 + n].copy_from_slice(&self.blob[..n]);
        let sum = fnv1a(&b[..FILE_SIZE - 8]);
        b[FILE_SIZE - 8..].copy_from_slice(&sum.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<State> {
        if b.len() != FILE_SIZE || &b[0..4] != MAGIC {
            return None;
        }
        let u = |r: std::ops::Range<usize>| {
            let mut a = [0u8; 8];
            a[..r.len()].copy_from_slice(&b[r]);
            u64::from_le_bytes(a)
        };
        if u(4..8) != u64::from(VERSION)
            || u(FILE_SIZE - 8..FILE_SIZE) != fnv1a(&b[..FILE_SIZE - 8])
        {
            return None;
        }
        let n = u(20..22) as usize;
        if n > STATE_MAX {
            return None;
        }
        let start = u(8..16);
        Some(State {
            start_ms: (start != NO_START).then_some(start),
            monitors: u(16..20) as u32,
            blob: b[24..24 + n].to_vec(),
        })
    }
}

fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &c| {
        (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `${HA_RSCTMP:-/run/resource-agents}/ifaddr`.
pub fn dir() -> PathBuf {
    let base = std::env::var_os("HA_RSCTMP")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/resource-agents"));
    base.join("ifaddr")
}

/// The state file of resource `instance` (already escaped to printable ASCII): bytes outside
/// `A-Za-z0-9_.:-` are %-encoded; overlong names are replaced by their digest.
pub fn path_in(dir: &Path, instance: &str) -> PathBuf {
    let mut name = String::from("policy-");
    for c in instance.bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-') {
            name.push(c as char);
        } else {
            name.push_str(&format!("%{c:02X}"));
        }
    }
    if name.len() > 200 {
        name = format!("policy-{}", super::hex(&super::sha256(instance.as_bytes())));
    }
    name.push_str(".state");
    dir.join(name)
}

/// Load the state, or an empty one (with a warning when a file was there but unusable).
pub fn load(path: &Path) -> State {
    match trust::read(path, FILE_SIZE as u64, true) {
        Ok(b) => State::decode(&b).unwrap_or_else(|| {
            crate::log::warn(&format!(
                "policy state {} is corrupt; starting from an empty state",
                path.display()
            ));
            State::empty()
        }),
        Err(trust::Refused::Missing) => State::empty(),
        Err(e) => {
            crate::log::warn(&format!(
                "policy state {} {e}; starting from an empty state",
                path.display()
            ));
            State::empty()
        }
    }
}

/// Store the state atomically; failures are logged, never fatal.
pub fn save(path: &Path, s: &State) {
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Err(e) = trust::private_dir(dir) {
        crate::log::warn(&format!("policy state not saved: {e}"));
        return;
    }
    if let Err(e) = trust::write_atomic(path, &s.encode(), false) {
        crate::log::warn(&format!(
            "policy state {} not saved: {}",
            path.display(),
            super::io_text(&e)
        ));
    }
}

/// Remove the state file (a missing one is fine).
pub fn clear(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => crate::log::warn(&format!(
            "policy state {} not removed: {}",
            path.display(),
            super::io_text(&e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn round_trip_and_corruption() {
        let d = std::env::temp_dir().join(format!("ifaddr-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let p = path_in(&d.join("ifaddr"), "vip/1 x");
        assert!(p.ends_with("policy-vip%2F1%20x.state"), "{p:?}");
        assert_eq!(load(&p), State::empty());
        let s = State {
            start_ms: Some(1234),
            monitors: 7,
            blob: vec![1, 2, 3],
        };
        save(&p, &s);
        assert_eq!(load(&p), s);
        let meta = std::fs::metadata(&p).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let dmeta = std::fs::metadata(p.parent().unwrap()).unwrap();
        assert_eq!(dmeta.permissions().mode() & 0o777, 0o700);
        // Flip one byte: the checksum catches it.
        let mut b = std::fs::read(&p).unwrap();
        b[30] ^= 1;
        std::fs::write(&p, &b).unwrap();
        assert_eq!(load(&p), State::empty());
        // Short file.
        std::fs::write(&p, b"IFPS").unwrap();
        assert_eq!(load(&p), State::empty());
        // World-readable: refused.
        save(&p, &s);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(load(&p), State::empty());
        clear(&p);
        clear(&p);
        assert!(!p.exists());
        let long = "x".repeat(127).replace('x', "/");
        assert!(path_in(&d, &long).file_name().unwrap().len() < 255);
        let _ = std::fs::remove_dir_all(&d);
    }
}
