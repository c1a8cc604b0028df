//! Logging with ocf-shellfuncs' conventions.
//!
//! * `HA_LOGFACILITY` (a syslog facility name, `none` to disable): messages go to syslog with
//!   the tag `vip(<instance>)[<pid>]`.
//! * `HA_LOGFILE`: messages are appended to that file, prefixed with the tag and a timestamp.
//! * Neither set: messages go to stderr (which Pacemaker's executor logs).
//! * `HA_debug` true: debug messages are emitted too; otherwise they are dropped.
//!
//! The logger never fails an operation: a value it cannot use is ignored with a warning (an
//! unknown facility, an `HA_debug` that is not a boolean, a value that is not UTF-8), and a log
//! file that cannot be written is replaced by stderr, with a warning there.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARNING",
            Level::Error => "ERROR",
        }
    }

    fn syslog_severity(self) -> u8 {
        match self {
            Level::Debug => 7,
            Level::Info => 6,
            Level::Warn => 4,
            Level::Error => 3,
        }
    }
}

struct Logger {
    tag: String,
    facility: Option<u8>,
    file: Option<std::path::PathBuf>,
    debug: bool,
    /// The log file failed once and stderr took its place (said once).
    file_failed: AtomicBool,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

fn facility_code(name: &str) -> Option<u8> {
    Some(match name {
        "kern" => 0,
        "user" => 1,
        "mail" => 2,
        "daemon" => 3,
        "auth" => 4,
        "syslog" => 5,
        "lpr" => 6,
        "news" => 7,
        "uucp" => 8,
        "cron" => 9,
        "authpriv" => 10,
        "ftp" => 11,
        "local0" => 16,
        "local1" => 17,
        "local2" => 18,
        "local3" => 19,
        "local4" => 20,
        "local5" => 21,
        "local6" => 22,
        "local7" => 23,
        _ => return None,
    })
}

/// Set up logging from the environment. `instance` is already escaped.
pub fn init(instance: &str) {
    let mut ignored = Vec::new();
    let mut var = |k: &str| match std::env::var_os(k) {
        Some(v) if !v.is_empty() => match v.into_string() {
            Ok(s) => Some(s),
            Err(_) => {
                ignored.push(format!("{k} is not valid UTF-8; ignored"));
                None
            }
        },
        _ => None,
    };
    let (facility, file, debug) = (var("HA_LOGFACILITY"), var("HA_LOGFILE"), var("HA_debug"));
    let facility = match facility {
        Some(f) if f == "none" => None,
        Some(f) => {
            let code = facility_code(&f);
            if code.is_none() {
                ignored.push(format!(
                    "HA_LOGFACILITY='{}' is not a syslog facility; not logging to syslog",
                    quoted(&f)
                ));
            }
            code
        }
        None => None,
    };
    let file = file.map(std::path::PathBuf::from);
    let debug = match debug {
        Some(v) => ifaddr_core::params::parse_bool(&v).unwrap_or_else(|| {
            ignored.push(format!(
                "HA_debug='{}' is not a boolean; debug messages stay off",
                quoted(&v)
            ));
            false
        }),
        None => false,
    };
    let tag = format!("vip({instance})[{}]", std::process::id());
    let _ = LOGGER.set(Logger {
        tag,
        facility,
        file,
        debug,
        file_failed: AtomicBool::new(false),
    });
    for w in ignored {
        warn(&w);
    }
}

/// A value for a warning: escaped, and cut to a sensible length.
fn quoted(v: &str) -> heapless::String<64> {
    let mut s = heapless::String::new();
    ifaddr_core::params::escape(v.as_bytes(), &mut s);
    s
}

/// `s` as one line: every control character (a newline, say) becomes a space, so that a
/// reason or a message quoting kernel or user text cannot begin a line of its own.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub fn log(level: Level, msg: &str) {
    let Some(l) = LOGGER.get() else {
        let _ = writeln!(std::io::stderr(), "{}: {msg}", level.word());
        return;
    };
    if level == Level::Debug && !l.debug {
        return;
    }
    // One line, always: a reason may quote kernel or user text.
    let msg = one_line(msg);
    if let Some(fac) = l.facility {
        let pri = fac * 8 + level.syslog_severity();
        let line = format!("<{pri}>{}: {}: {msg}", l.tag, level.word());
        if let Ok(s) = UnixDatagram::unbound() {
            for path in ["/dev/log", "/var/run/log"] {
                if s.send_to(line.as_bytes(), path).is_ok() {
                    break;
                }
            }
        }
    }
    let mut filed = false;
    if let Some(path) = &l.file {
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{}:\t{} {}: {msg}", l.tag, timestamp(), level.word()));
        match written {
            Ok(()) => filed = true,
            Err(e) if !l.file_failed.swap(true, Ordering::Relaxed) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "{} {}: HA_LOGFILE {} cannot be written ({}); logging to stderr",
                    timestamp(),
                    Level::Warn.word(),
                    one_line(&path.display().to_string()),
                    crate::policy::io_text(&e)
                );
            }
            Err(_) => {}
        }
    }
    if l.facility.is_none() && !filed {
        let _ = writeln!(std::io::stderr(), "{} {}: {msg}", timestamp(), level.word());
    }
}

/// `YYYY/MM/DD_HH:MM:SS` in UTC, like ocf-shellfuncs' `hadate` (which uses local time).
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}/{m:02}/{d:02}_{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

pub fn debug(msg: &str) {
    log(Level::Debug, msg)
}
pub fn info(msg: &str) {
    log(Level::Info, msg)
}
pub fn warn(msg: &str) {
    log(Level::Warn, msg)
}
pub fn error(msg: &str) {
    log(Level::Error, msg)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamp_shape() {
        let t = super::timestamp();
        assert_eq!(t.len(), 19, "{t}");
        assert_eq!(&t[4..5], "/");
        assert_eq!(&t[10..11], "_");
    }
}
