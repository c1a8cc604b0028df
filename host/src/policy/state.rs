//! The per-instance policy state file: when the resource was started, how many monitors ran
//! since, and the policy's state blob. It lives in `${HA_RSCTMP:-/run/resource-agents}/ifaddr/`
//! (0700) and is read only if it is a private regular file of root's, opened without following
//! symbolic links; anything short, corrupt or foreign is treated as empty (with a warning).
//!
//! Updates are atomic without a rename or an fsync per monitor (either costs milliseconds
//! when `HA_RSCTMP` is on a disk rather than tmpfs): the file has two checksummed slots with a
//! sequence number (the format: `ifaddr_core::policy::state`); a save overwrites the older
//! slot in place, a load takes the valid slot with the higher number. A torn or lost write
//! leaves the previous state readable. This module does the file I/O.

use super::trust;
pub use ifaddr_core::policy::state::{decode, State, FILE_SIZE};
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

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
        Ok(m) => trust::check_dir(dir, &m).map(|()| true),
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
    use ifaddr_core::policy::state::SLOT;

    #[test]
    fn round_trip_slots_and_corruption() {
        let d = std::env::temp_dir().join(format!("ifaddr-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let p = path_in(&d.join("ifaddr"), "vip/1 x");
        assert!(p.ends_with("policy-vip%2F1%20x.state"), "{p:?}");
        assert_eq!(load(&p), State::empty());
        let mut s = State::started(1234);
        s.monitors = 7;
        s.blob = heapless::Vec::from_slice(&[1, 2, 3]).unwrap();
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
        b.blob = heapless::Vec::from_slice(&[9]).unwrap();
        save(&p, &b);
        let c = load(&p);
        assert_eq!((c.monitors, c.blob.as_slice()), (8, &[9u8][..]));
        // Tear the newer slot: the previous state comes back.
        let newer = (c.seq() % 2) as usize * SLOT;
        let mut raw = std::fs::read(&p).unwrap();
        raw[newer + 40] ^= 1;
        std::fs::write(&p, &raw).unwrap();
        let back = load(&p);
        assert_eq!((back.monitors, back.blob.as_slice()), (7, &[1u8, 2, 3][..]));
        // Both torn: empty.
        raw[(1 - c.seq() as usize % 2) * SLOT + 40] ^= 1;
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
