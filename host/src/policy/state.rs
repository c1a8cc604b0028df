//! The per-instance policy state file: when the resource was started, how many monitors ran
//! since, and the policy's state blob. It lives in `${HA_RSCTMP:-/run/resource-agents}/ifaddr/`
//! (0700) and is read only if it is a private regular file of root's, opened without following
//! symbolic links; anything short, corrupt or foreign is treated as empty (with a warning).
//!
//! Updates are atomic without a rename or an fsync per monitor (either costs milliseconds
//! when `HA_RSCTMP` is on a disk rather than tmpfs): the file has two checksummed slots with a
//! sequence number; a save overwrites the older slot in place, a load takes the valid slot
//! with the higher number. A torn or lost write leaves the previous state readable.

use super::trust;
use ifaddr_core::policy::STATE_MAX;
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"IFPS";
const VERSION: u32 = 2;
/// magic, version, sequence, start, monitors, blob length, reserved, blob, checksum.
pub const SLOT: usize = 4 + 4 + 8 + 8 + 4 + 2 + 2 + STATE_MAX + 8;
pub const FILE_SIZE: usize = 2 * SLOT;
const NO_START: u64 = u64::MAX;

/// What is kept between monitors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Boot-clock milliseconds at start, if the agent saw the start.
    pub start_ms: Option<u64>,
    pub monitors: u32,
    pub blob: Vec<u8>,
    /// Sequence number of the slot this state was read from (0: none).
    seq: u64,
}

impl State {
    pub fn empty() -> State {
        State {
            start_ms: None,
            monitors: 0,
            blob: Vec::new(),
            seq: 0,
        }
    }

    /// A fresh state for a resource started at `start_ms`.
    #[cfg(test)]
    pub fn started(start_ms: u64) -> State {
        State {
            start_ms: Some(start_ms),
            ..State::empty()
        }
    }

    /// Sequence number of the slot this state was read from (0: none).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The slot a save writes, and its offset in the file: the slot after the one this state
    /// was read from, with the next sequence number. The number saturates rather than wrap:
    /// a wrapped one would lose to the older slot, so every later save would read back as
    /// that stale state. (Counting from 1 it is never reached; a file can only hold it if
    /// someone wrote it so. Saves then all go to the same slot.)
    pub fn next_slot(&self) -> (usize, [u8; SLOT]) {
        let seq = self.seq.saturating_add(1);
        ((seq % 2) as usize * SLOT, self.encode(seq))
    }

    /// One slot with sequence number `seq`.
    pub fn encode(&self, seq: u64) -> [u8; SLOT] {
        let mut b = [0u8; SLOT];
        b[0..4].copy_from_slice(MAGIC);
        b[4..8].copy_from_slice(&VERSION.to_le_bytes());
        b[8..16].copy_from_slice(&seq.to_le_bytes());
        b[16..24].copy_from_slice(&self.start_ms.unwrap_or(NO_START).to_le_bytes());
        b[24..28].copy_from_slice(&self.monitors.to_le_bytes());
        let n = self.blob.len().min(STATE_MAX);
        b[28..30].copy_from_slice(&(n as u16).to_le_bytes());
        b[32..32 + n].copy_from_slice(&self.blob[..n]);
        let sum = fnv1a(&b[..SLOT - 8]);
        b[SLOT - 8..].copy_from_slice(&sum.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<State> {
        if b.len() != SLOT || &b[0..4] != MAGIC {
            return None;
        }
        let u = |r: std::ops::Range<usize>| {
            let mut a = [0u8; 8];
            a[..r.len()].copy_from_slice(&b[r]);
            u64::from_le_bytes(a)
        };
        if u(4..8) != u64::from(VERSION) || u(SLOT - 8..SLOT) != fnv1a(&b[..SLOT - 8]) {
            return None;
        }
        let n = u(28..30) as usize;
        let seq = u(8..16);
        if n > STATE_MAX || seq == 0 {
            return None;
        }
        let start = u(16..24);
        Some(State {
            start_ms: (start != NO_START).then_some(start),
            monitors: u(24..28) as u32,
            blob: b[32..32 + n].to_vec(),
            seq,
        })
    }
}

/// The state a state file's bytes hold: its valid slot with the higher sequence number, or
/// `None` when no slot is valid or the file is longer than a state file. [`load`] reads the
/// file and decodes it with this.
pub fn decode(file: &[u8]) -> Option<State> {
    if file.len() > FILE_SIZE {
        return None;
    }
    file.chunks(SLOT)
        .filter_map(State::decode)
        .max_by_key(|s| s.seq)
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

/// Whether the state directory may be read from or deleted in: a missing one holds nothing; a
/// symbolic link or a directory that is not root's is refused (`O_NOFOLLOW` only guards the
/// last component of a path).
fn dir_is_ours(dir: &Path) -> Result<bool, String> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("{}: {}", dir.display(), super::io_text(&e))),
        Ok(m) if !m.file_type().is_dir() => Err(format!("{} is not a directory", dir.display())),
        Ok(m) if m.uid() != trust::trusted_uid() => Err(format!(
            "{} is owned by uid {}, not root",
            dir.display(),
            m.uid()
        )),
        Ok(_) => Ok(true),
    }
}

/// Load the state, or an empty one (with a warning when a file was there but unusable).
pub fn load(path: &Path) -> State {
    match dir_is_ours(path.parent().unwrap_or(Path::new("."))) {
        Ok(true) => {}
        Ok(false) => return State::empty(),
        Err(e) => {
            crate::log::warn(&format!("policy state not read: {e}"));
            return State::empty();
        }
    }
    match trust::read(path, FILE_SIZE as u64, true) {
        Ok(b) => decode(&b).unwrap_or_else(|| {
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

/// Store the state in the slot after the one it was read from; failures are logged, never
/// fatal.
pub fn save(path: &Path, s: &State) {
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Err(e) = trust::private_dir(dir) {
        crate::log::warn(&format!("policy state not saved: {e}"));
        return;
    }
    if let Err(e) = write_slot(path, s) {
        crate::log::warn(&format!("policy state {} not saved: {e}", path.display()));
    }
}

fn write_slot(path: &Path, s: &State) -> Result<(), String> {
    let open = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| super::io_text(&e))
    };
    let mut f = open()?;
    let meta = f.metadata().map_err(|e| super::io_text(&e))?;
    if trust::check(&meta, true).is_err() {
        // Not a file we wrote (or its mode was changed): start over with a fresh one.
        if meta.file_type().is_file() && meta.uid() == trust::trusted_uid() {
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| super::io_text(&e))?;
        } else {
            drop(f);
            std::fs::remove_file(path).map_err(|e| super::io_text(&e))?;
            f = open()?;
            trust::check(&f.metadata().map_err(|e| super::io_text(&e))?, true)
                .map_err(|e| e.to_string())?;
        }
    }
    if f.metadata().map(|m| m.len()).unwrap_or(0) != FILE_SIZE as u64 {
        f.set_len(0).map_err(|e| super::io_text(&e))?;
        f.write_all(&[0u8; FILE_SIZE])
            .map_err(|e| super::io_text(&e))?;
    }
    let (offset, slot) = s.next_slot();
    f.write_all_at(&slot, offset as u64)
        .map_err(|e| super::io_text(&e))
}

/// Remove the state file (a missing one is fine).
pub fn clear(path: &Path) {
    match dir_is_ours(path.parent().unwrap_or(Path::new("."))) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            crate::log::warn(&format!("policy state not removed: {e}"));
            return;
        }
    }
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

    fn with(monitors: u32, blob: &[u8]) -> State {
        State {
            monitors,
            blob: blob.to_vec(),
            ..State::started(5)
        }
    }

    /// Found by the `policy_state` fuzz target: a file whose newer slot had sequence number
    /// `u64::MAX - 1` or `u64::MAX` made the next saves wrap to 1 and lose to the older slot.
    #[test]
    fn saves_read_back_at_the_end_of_the_sequence() {
        for old in [u64::MAX - 1, u64::MAX] {
            let mut file = [with(1, b"old").encode(old - 1), with(2, b"old").encode(old)].concat();
            let mut st = decode(&file).unwrap();
            for monitors in 3..6 {
                st.monitors = monitors;
                let (offset, slot) = st.next_slot();
                file[offset..offset + SLOT].copy_from_slice(&slot);
                st = decode(&file).unwrap();
                assert_eq!(st.monitors, monitors, "after {old}");
            }
        }
    }

    #[test]
    fn decode_takes_the_newest_valid_slot() {
        let (a, b) = (with(1, b"a"), with(2, b"bb"));
        let file = [a.encode(3), b.encode(4)].concat();
        let got = decode(&file).unwrap();
        assert_eq!((got.monitors, got.seq()), (2, 4));
        assert_eq!(got.blob, b"bb");
        // Either order, and a tie goes to the second slot.
        assert_eq!(
            decode(&[b.encode(9), a.encode(8)].concat())
                .unwrap()
                .monitors,
            2
        );
        assert_eq!(
            decode(&[a.encode(7), b.encode(7)].concat())
                .unwrap()
                .monitors,
            2
        );
        // One whole slot is enough; a cut one is not.
        assert_eq!(decode(&a.encode(1)).unwrap().monitors, 1);
        assert_eq!(decode(&file[..SLOT + 1]).unwrap().monitors, 1);
        assert_eq!(decode(&file[..SLOT - 1]), None);
        assert_eq!(decode(&[]), None);
        // Sequence 0 is never written; a file longer than two slots is not a state file.
        assert_eq!(decode(&a.encode(0)), None);
        let mut long = file.clone();
        long.push(0);
        assert_eq!(decode(&long), None);
        // A blob length over STATE_MAX is refused even with a valid checksum.
        let mut bad = a.encode(1);
        bad[28..30].copy_from_slice(&(STATE_MAX as u16 + 1).to_le_bytes());
        let sum = fnv1a(&bad[..SLOT - 8]);
        bad[SLOT - 8..].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(decode(&bad), None);
        // No start is the all-ones start time.
        assert_eq!(decode(&State::empty().encode(1)).unwrap().start_ms, None);
    }

    #[test]
    fn round_trip_slots_and_corruption() {
        let d = std::env::temp_dir().join(format!("ifaddr-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let p = path_in(&d.join("ifaddr"), "vip/1 x");
        assert!(p.ends_with("policy-vip%2F1%20x.state"), "{p:?}");
        assert_eq!(load(&p), State::empty());
        let mut s = State::started(1234);
        s.monitors = 7;
        s.blob = vec![1, 2, 3];
        save(&p, &s);
        let a = load(&p);
        assert_eq!(
            (a.start_ms, a.monitors, a.blob.as_slice()),
            (Some(1234), 7, &[1u8, 2, 3][..])
        );
        let meta = std::fs::metadata(&p).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), FILE_SIZE as u64);
        let dmeta = std::fs::metadata(p.parent().unwrap()).unwrap();
        assert_eq!(dmeta.permissions().mode() & 0o777, 0o700);
        // A second save goes to the other slot; the newer one wins.
        let mut b = a.clone();
        b.monitors = 8;
        b.blob = vec![9];
        save(&p, &b);
        let c = load(&p);
        assert_eq!((c.monitors, c.blob.as_slice()), (8, &[9u8][..]));
        // Tear the newer slot: the previous state comes back.
        let newer = (c.seq % 2) as usize * SLOT;
        let mut raw = std::fs::read(&p).unwrap();
        raw[newer + 40] ^= 1;
        std::fs::write(&p, &raw).unwrap();
        let back = load(&p);
        assert_eq!((back.monitors, back.blob.as_slice()), (7, &[1u8, 2, 3][..]));
        // Both torn: empty.
        raw[(1 - c.seq as usize % 2) * SLOT + 40] ^= 1;
        std::fs::write(&p, &raw).unwrap();
        assert_eq!(load(&p), State::empty());
        // Short file: empty; the next save repairs it.
        std::fs::write(&p, b"IFPS").unwrap();
        assert_eq!(load(&p), State::empty());
        save(&p, &s);
        assert_eq!(load(&p).monitors, 7);
        // World-readable: refused on load, fixed on save.
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(load(&p), State::empty());
        save(&p, &s);
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load(&p).monitors, 7);
        // A symbolic link in its place is not followed.
        let target = d.join("target");
        std::fs::write(&target, b"x").unwrap();
        clear(&p);
        std::os::unix::fs::symlink(&target, &p).unwrap();
        assert_eq!(load(&p), State::empty());
        save(&p, &s);
        assert_eq!(std::fs::read(&target).unwrap(), b"x");
        clear(&p);
        clear(&p);
        assert!(!p.exists());
        let long = "/".repeat(127);
        assert!(path_in(&d, &long).file_name().unwrap().len() < 255);
        let _ = std::fs::remove_dir_all(&d);
    }
}
