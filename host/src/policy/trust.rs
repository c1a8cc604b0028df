//! Opening files the agent trusts: policy modules, precompiled artifacts and state files.
//!
//! Every open refuses symbolic links (`O_NOFOLLOW`) and checks the opened descriptor (not the
//! path) for type, owner and mode, so what is checked is what is read. Writes go to a fresh
//! temporary file in the same directory, are synced, and renamed into place.

use std::fs::{File, Metadata};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a file could not be used. `Display` gives a phrase to follow the file's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Missing,
    Symlink,
    NotRegular,
    NotRootOwned(u32),
    Writable(u32),
    TooLarge(u64),
    Io(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Missing => write!(f, "does not exist"),
            Refused::Symlink => write!(f, "is a symbolic link (not followed)"),
            Refused::NotRegular => write!(f, "is not a regular file"),
            Refused::NotRootOwned(uid) => write!(f, "is owned by uid {uid}, not root"),
            Refused::Writable(mode) => {
                write!(
                    f,
                    "is writable by group or others (mode {:03o})",
                    mode & 0o777
                )
            }
            Refused::TooLarge(n) => write!(f, "is too large ({n} bytes)"),
            Refused::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// The owner trusted files must have: root, or the invoking user when not root (so tests and
/// `ifaddrc check` work unprivileged; the agent itself runs as root).
pub fn trusted_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn io(e: std::io::Error) -> Refused {
    match e.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENOTDIR) => Refused::Missing,
        Some(libc::ELOOP) => Refused::Symlink,
        _ => Refused::Io(crate::policy::io_text(&e)),
    }
}

/// Check an open file: a regular file owned by the trusted uid, not writable by group or
/// others (and, with `private`, not readable by them either).
pub fn check(meta: &Metadata, private: bool) -> Result<(), Refused> {
    if !meta.file_type().is_file() {
        return Err(Refused::NotRegular);
    }
    if meta.uid() != trusted_uid() {
        return Err(Refused::NotRootOwned(meta.uid()));
    }
    let mask = if private { 0o077 } else { 0o022 };
    if meta.mode() & mask != 0 {
        return Err(Refused::Writable(meta.mode()));
    }
    Ok(())
}

/// Open a trusted file of at most `max` bytes (at the time of the check) for reading. The
/// checks are made on the open descriptor, so the file returned is the file checked.
pub fn open(path: &Path, max: u64, private: bool) -> Result<File, Refused> {
    open_len(path, max, private).map(|(f, _)| f)
}

/// [`open`], with the file's length at the time of the check.
fn open_len(path: &Path, max: u64, private: bool) -> Result<(File, u64), Refused> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        // O_NONBLOCK: opening a FIFO must not hang (it is then refused as not regular).
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    check(&meta, private)?;
    if meta.len() > max {
        return Err(Refused::TooLarge(meta.len()));
    }
    Ok((f, meta.len()))
}

/// Read a trusted file of at most `max` bytes.
pub fn read(path: &Path, max: u64, private: bool) -> Result<Vec<u8>, Refused> {
    let (f, len) = open_len(path, max, private)?;
    let mut buf = Vec::with_capacity(len.min(max) as usize);
    // Read at most max + 1 bytes, in case the file grows between fstat and read.
    f.take(max + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > max {
        return Err(Refused::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

/// `dir`, as `meta` describes it without following a link, is a directory owned by the
/// trusted uid (a symbolic link is not a directory here).
pub fn check_dir(dir: &Path, meta: &Metadata) -> Result<(), String> {
    if !meta.file_type().is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if meta.uid() != trusted_uid() {
        return Err(format!(
            "{} is owned by uid {}, not root",
            dir.display(),
            meta.uid()
        ));
    }
    Ok(())
}

/// Make sure `dir` is a directory owned by the trusted uid with no group or other access,
/// creating it (and, with mode 0755, missing parents) if needed.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(dir) {
        // Usually it is there already: one system call.
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(dir)?;
            std::fs::symlink_metadata(dir)
                .map_err(|e| format!("{}: {}", dir.display(), crate::policy::io_text(&e)))?
        }
        Err(e) => return Err(format!("{}: {}", dir.display(), crate::policy::io_text(&e))),
    };
    check_dir(dir, &meta)?;
    if meta.mode() & 0o077 != 0 {
        // Ours, so tighten it rather than refuse.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
            format!(
                "cannot chmod {}: {}",
                dir.display(),
                crate::policy::io_text(&e)
            )
        })?;
    }
    Ok(())
}

/// `mkdir dir` (0700), with missing parents (0755); one made meanwhile by someone else is
/// fine, the caller checks what is there.
fn create_private_dir(dir: &Path) -> Result<(), String> {
    if let Some(parent) = dir.parent() {
        if !parent.as_os_str().is_empty() && !parent.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(|e| {
                    format!(
                        "cannot create {}: {}",
                        parent.display(),
                        crate::policy::io_text(&e)
                    )
                })?;
        }
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!(
            "cannot create {}: {}",
            dir.display(),
            crate::policy::io_text(&e)
        )),
    }
}

/// Whether `dir` is an existing directory we may trust for reading: owned by the trusted uid
/// and not writable by group or others. Symbolic links are refused.
pub fn trusted_dir(dir: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| format!("{}: {}", dir.display(), crate::policy::io_text(&e)))?;
    check_dir(dir, &meta)?;
    if meta.mode() & 0o022 != 0 {
        return Err(format!("{} is writable by group or others", dir.display()));
    }
    Ok(())
}

/// Replace `path` with `data` atomically: write a new 0600 file beside it and rename it into
/// place, so a reader sees the old or the new content, never a mix. With `durable`, the data
/// and the rename are also synced to disk before returning (for precompiled artifacts, which
/// are native code and must never be found torn after a crash); state files skip that, as
/// their checksum turns a torn file into an empty state, and an fsync per monitor would cost
/// milliseconds on a disk-backed `HA_RSCTMP`.
// Only the compiling build writes artifacts.
#[cfg_attr(not(feature = "policy"), allow(dead_code))]
pub fn write_atomic(path: &Path, data: &[u8], durable: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp: PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)?;
        f.write_all(data)?;
        if durable {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)?;
        if durable {
            // Make the rename itself durable.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ifaddr-trust-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn refusals() {
        let d = scratch("refusals");
        let ok = d.join("ok");
        write_atomic(&ok, b"abc", true).unwrap();
        assert_eq!(read(&ok, 10, true).unwrap(), b"abc");
        assert_eq!(read(&ok, 2, true), Err(Refused::TooLarge(3)));
        assert_eq!(read(&d.join("none"), 10, false), Err(Refused::Missing));
        let link = d.join("link");
        symlink(&ok, &link).unwrap();
        assert_eq!(read(&link, 10, false), Err(Refused::Symlink));
        assert_eq!(read(&d, 10, false), Err(Refused::NotRegular));
        std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o664)).unwrap();
        assert!(matches!(read(&ok, 10, false), Err(Refused::Writable(_))));
        std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read(&ok, 10, false).is_ok());
        assert!(matches!(read(&ok, 10, true), Err(Refused::Writable(_))));
        if trusted_uid() == 0 {
            std::os::unix::fs::lchown(&ok, Some(65534), None).unwrap();
            assert_eq!(read(&ok, 10, false), Err(Refused::NotRootOwned(65534)));
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn dirs() {
        let d = scratch("dirs");
        let p = d.join("a/b");
        private_dir(&p).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o700);
        assert!(trusted_dir(&p).is_ok());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(trusted_dir(&p).is_err());
        private_dir(&p).unwrap();
        assert!(trusted_dir(&p).is_ok());
        let l = d.join("l");
        symlink(&p, &l).unwrap();
        assert!(trusted_dir(&l).is_err());
        assert!(private_dir(&l).is_err());
        let _ = std::fs::remove_dir_all(&d);
    }
}
