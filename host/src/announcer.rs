//! Announcements end with the address.
//!
//! At most one announcer runs per address (and network namespace). It holds an exclusive
//! `flock(2)` on `${HA_RSCTMP:-/run/resource-agents}/ifaddr/announce-<scope>-<ip>` for its
//! whole life, and the file holds its process id. The lock is taken by the agent process before
//! it forks the announcer, so there is no moment when an announcer runs without it; it is
//! released by the kernel only when the announcer has exited, so "the lock is free" means
//! "nothing can send any more".
//!
//! [`end`] (stop, and any start or refresh that begins a new announcer) kills the holder and
//! waits for the lock: after it returns no announcement for the address leaves this node, even
//! when the announcer was in the middle of a send. Stop calls it before removing the address.
//! Besides, the announcer asks the kernel before each send whether the address is still on its
//! interface (see `Agent::announce_rounds`), so it never announces an address that left by
//! other means.
//!
//! A recorded process id is only signalled while the lock is held and the file still names it;
//! on Linux the signal goes through a pidfd opened before that check, so a process id reused
//! after the announcer exited is never signalled.

use crate::policy::io_text;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Where Pacemaker keeps resource agents' runtime files when `HA_RSCTMP` does not say.
const RSCTMP: &str = "/run/resource-agents";

/// `${HA_RSCTMP:-/run/resource-agents}/ifaddr`, the agent's state directory (announcer locks,
/// `lvs_support`'s records, policy state). An `HA_RSCTMP` that is not an absolute path would
/// name another directory in every process that runs with another working directory: the
/// default takes its place, with a warning.
pub fn dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = match std::env::var_os("HA_RSCTMP").filter(|v| !v.is_empty()) {
            None => PathBuf::from(RSCTMP),
            Some(v) if Path::new(&v).is_absolute() => PathBuf::from(v),
            Some(v) => {
                crate::log::warn(&format!(
                    "HA_RSCTMP={} is not an absolute path; {RSCTMP} is used",
                    Path::new(&v).display()
                ));
                PathBuf::from(RSCTMP)
            }
        };
        base.join("ifaddr")
    })
    .clone()
}

/// Which network stack the address lives in: on Linux the network namespace's inode (the agent
/// may run in several namespaces that each hold the same address); on FreeBSD a VNET jail has
/// a file system of its own, so the file name needs nothing more.
fn scope() -> String {
    #[cfg(target_os = "linux")]
    {
        match std::fs::metadata("/proc/self/ns/net") {
            Ok(m) => format!("net{}", m.ino()),
            Err(_) => "net".to_owned(),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        "host".to_owned()
    }
}

/// The lock file of the announcer for `ip`, in the current network stack.
pub fn path(ip: &IpAddr) -> PathBuf {
    // IPv6 text has colons, which are fine in file names; nothing else but hex, digits, dots.
    dir().join(format!("announce-{}-{ip}", scope()))
}

/// Where `lvs_support` records the loopback copy of `ip` that start took off (its prefix), for
/// stop to put back.
pub fn lvs_path(ip: &IpAddr) -> PathBuf {
    dir().join(format!("lvs-{}-{ip}", scope()))
}

/// `flock(LOCK_EX | LOCK_NB)`: `Ok(true)` when we hold the lock now.
fn try_lock(f: &File) -> Result<bool, String> {
    loop {
        // SAFETY: flock takes no pointers; f is an open descriptor.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(format!("flock: {}", io_text(&e))),
        }
    }
}

/// The process id recorded in the lock file, if any.
fn recorded(f: &mut File) -> Option<i32> {
    let mut s = String::new();
    f.seek(SeekFrom::Start(0)).ok()?;
    f.take(32).read_to_string(&mut s).ok()?;
    s.trim().parse::<i32>().ok().filter(|&p| p > 1)
}

/// Open an existing lock file without following a symbolic link; it must be a regular file of
/// ours.
fn open_existing(path: &Path) -> Result<Option<File>, String> {
    let f = match OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {}", path.display(), io_text(&e))),
    };
    check_ours(&f, path)?;
    Ok(Some(f))
}

fn check_ours(f: &File, path: &Path) -> Result<(), String> {
    let m = f
        .metadata()
        .map_err(|e| format!("{}: {}", path.display(), io_text(&e)))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !m.file_type().is_file() || m.uid() != me {
        return Err(format!(
            "{} is not a regular file owned by uid {me}",
            path.display()
        ));
    }
    Ok(())
}

/// Whether `path` still names the file `f` is open on (it may have been unlinked by [`end`]
/// between our open and our lock).
fn same_file(f: &File, path: &Path) -> bool {
    match (f.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Kill announcer `pid`, but only if it still holds the lock on `f` and the file still names it.
fn kill_holder(f: &mut File, pid: i32) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: pidfd_open takes no pointers; a non-negative result is a descriptor we own.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if pidfd >= 0 {
            use std::os::fd::FromRawFd;
            // SAFETY: pidfd was just returned by pidfd_open and is owned by nobody else.
            let pidfd = unsafe { std::os::fd::OwnedFd::from_raw_fd(pidfd as i32) };
            // The pidfd names whichever process had `pid` when it was opened; if the lock is
            // still held and the file still names `pid`, that process is the announcer.
            if try_lock(f)? || recorded(f) != Some(pid) {
                return Ok(());
            }
            // SAFETY: pidfd_send_signal with a null siginfo sends a plain signal.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    pidfd.as_raw_fd(),
                    libc::SIGKILL,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                )
            };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::ESRCH) {
                    return Err(format!("pidfd_send_signal: {}", io_text(&e)));
                }
            }
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ESRCH) {
            return Ok(()); // gone already; the lock follows
        }
        // Older kernels (before 5.3) have no pidfd: fall through to kill(2).
    }
    if try_lock(f)? || recorded(f) != Some(pid) {
        return Ok(());
    }
    // SAFETY: kill takes no pointers. `pid` holds the lock right now (checked just above).
    let r = unsafe { libc::kill(pid, libc::SIGKILL) };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ESRCH) {
            return Err(format!("kill: {}", io_text(&e)));
        }
    }
    Ok(())
}

/// End the announcer for `path`, if one runs, and return once it has exited (its lock is free),
/// or fail at `deadline`.
pub fn end(path: &Path, deadline: Instant) -> Result<(), String> {
    let Some(mut f) = open_existing(path)? else {
        return Ok(());
    };
    let mut pause = Duration::from_micros(200);
    loop {
        if try_lock(&f)? {
            // Nobody announces. Remove the file while holding its lock, so the directory does
            // not fill up; a claim that opened it meanwhile notices (`same_file`) and retries.
            if same_file(&f, path) {
                let _ = std::fs::remove_file(path);
            }
            return Ok(());
        }
        if let Some(pid) = recorded(&mut f) {
            kill_holder(&mut f, pid)?;
        }
        // No pid yet: the agent that took the lock is between its fork and recording the
        // child; wait for it.
        if Instant::now() + pause > deadline {
            return Err(format!(
                "the announcer holding {} did not exit in time",
                path.display()
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// Make sure the state directory exists (created 0700), is a directory (not a symbolic link),
/// ours, and writable only by us. Of its parents only the default `/run/resource-agents` is
/// created (0755) when missing; an `HA_RSCTMP` that does not exist is an error, not something
/// to create.
pub fn ensure_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    if let Err(e) = std::fs::symlink_metadata(dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(format!("{}: {}", dir.display(), io_text(&e)));
        }
        let default = Path::new(RSCTMP);
        if dir.parent() == Some(default) && !default.exists() {
            match std::fs::DirBuilder::new().mode(0o755).create(default) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(format!(
                        "cannot create {}: {}",
                        default.display(),
                        io_text(&e)
                    ))
                }
            }
        }
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create {}: {}", dir.display(), io_text(&e))),
        }
    }
    let m = std::fs::symlink_metadata(dir)
        .map_err(|e| format!("{}: {}", dir.display(), io_text(&e)))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !m.file_type().is_dir() || m.uid() != me || m.mode() & 0o022 != 0 {
        return Err(format!(
            "{} is not a directory owned by uid {me} and writable only by it",
            dir.display()
        ));
    }
    Ok(())
}

/// End any announcer for `path` and take its lock for a new one: the returned file holds the
/// lock (a forked announcer inherits it); name the announcer with [`record`].
pub fn claim(path: &Path, deadline: Instant) -> Result<File, String> {
    end(path, deadline)?;
    ensure_dir(path.parent().unwrap_or(Path::new("/")))?;
    loop {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| format!("{}: {}", path.display(), io_text(&e)))?;
        check_ours(&f, path)?;
        if !try_lock(&f)? {
            // Another announcer began meanwhile (an action run by hand beside Pacemaker's).
            end(path, deadline)?;
            continue;
        }
        if !same_file(&f, path) {
            continue;
        }
        f.set_len(0)
            .map_err(|e| format!("{}: {}", path.display(), io_text(&e)))?;
        return Ok(f);
    }
}

/// Record the announcer's process id in its (locked) file.
pub fn record(f: &mut File, pid: i32) -> Result<(), String> {
    f.seek(SeekFrom::Start(0))
        .and_then(|_| f.write_all(format!("{pid}\n").as_bytes()))
        .map_err(|e| io_text(&e))
}

/// The announcer is done: remove its file (still holding the lock, see [`end`]); the lock goes
/// with the process.
pub fn release(f: &File, path: &Path) {
    if same_file(f, path) {
        let _ = std::fs::remove_file(path);
    }
}

/// End the caller's own child `pid` at once; it is not yet reaped, so its process id cannot
/// have been reused.
pub fn kill_child(pid: libc::pid_t) {
    // SAFETY: kill takes no pointers; pid is the caller's own unreaped child.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}
