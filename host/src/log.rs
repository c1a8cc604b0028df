//! Logging with ocf-shellfuncs' conventions.
//!
//! * `HA_LOGFACILITY` (a syslog facility name, `none` to disable): messages go to syslog with
//!   the tag `vip(<instance>)[<pid>]`.
//! * `HA_LOGFILE`: messages are appended to that file, prefixed with the tag and a timestamp.
//! * Neither set: messages go to stderr (which Pacemaker's executor logs).
//! * `HA_debug` true: debug messages are emitted too; otherwise they are dropped.
//!
//! The logger never fails an operation: a log destination that cannot be written is skipped.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
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
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let facility = var("HA_LOGFACILITY").and_then(|f| facility_code(&f));
    let file = var("HA_LOGFILE").map(std::path::PathBuf::from);
    let debug = var("HA_debug")
        .and_then(|v| ifaddr_core::params::parse_bool(&v))
        .unwrap_or(false);
    let tag = format!("vip({instance})[{}]", std::process::id());
    let _ = LOGGER.set(Logger {
        tag,
        facility,
        file,
        debug,
    });
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
    let msg: String = msg
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
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
    if let Some(path) = &l.file {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = writeln!(f, "{}:\t{} {}: {msg}", l.tag, timestamp(), level.word());
        }
    }
    if l.facility.is_none() && l.file.is_none() {
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
