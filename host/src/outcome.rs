//! One path from a failure to an OCF exit code.
//!
//! An action ends with an [`Outcome`]: its exit code and, when Pacemaker should be told why, a
//! one-line reason. Every kind of error the agent meets becomes one here (a failed system call,
//! a refused parameter, a policy that cannot run, the loss of what held the address), and
//! [`finish`] is the only place that logs how an action ended, prints `ocf-exit-reason:` and
//! makes the process's exit code.

use crate::log;
use crate::policy::Failure;
use crate::sys::SysError;
use ifaddr_core::addr::Family;
use ifaddr_core::ocf::{Action, Exit};
use ifaddr_core::params::{self, ParamError, Source};
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub exit: Exit,
    /// For `ocf-exit-reason:` and the log; `None` when there is nothing to tell.
    pub reason: Option<String>,
}

/// What an action and its steps return: `Err` ends the action there, with that outcome.
pub type Result<T = Exit> = std::result::Result<T, Outcome>;

/// An outcome with a reason: a failure, or a degraded resource.
pub fn fail(exit: Exit, reason: impl Into<String>) -> Outcome {
    Outcome {
        exit,
        reason: Some(reason.into()),
    }
}

impl From<SysError> for Outcome {
    fn from(e: SysError) -> Outcome {
        let exit = match e.errno {
            libc::EPERM | libc::EACCES => Exit::ErrPerm,
            libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT => Exit::ErrInstalled,
            _ => Exit::ErrGeneric,
        };
        fail(exit, e.to_string())
    }
}

/// Adding the address to `nic` failed: the kernel refuses an IPv6 address with `EACCES` where
/// IPv6 is disabled (`disable_ipv6`), a facility missing rather than a permission.
pub fn add_failed(e: SysError, family: Family, nic: &str) -> Outcome {
    if family == Family::V6 && e.is(libc::EACCES) {
        return fail(Exit::ErrInstalled, format!("IPv6 is disabled on {nic}"));
    }
    e.into()
}

impl Failure {
    /// The code of a policy that gave no verdict (`ifaddrc` exits with it too): one that
    /// cannot be used on this node (the file, its ABI, its precompiled artifact, no policy
    /// support built in) is not installed (5); one that misbehaved on this run failed it (1).
    pub fn exit(&self) -> Exit {
        match self {
            Failure::File(_)
            | Failure::Invalid(_)
            | Failure::Abi(_)
            | Failure::Artifact(_)
            | Failure::NotBuilt => Exit::ErrInstalled,
            Failure::Engine(_) | Failure::Trap(_) | Failure::Limit(_) | Failure::Garbage(_) => {
                Exit::ErrGeneric
            }
        }
    }
}

/// A policy at `path` that gave no verdict.
pub fn policy(f: &Failure, path: &str) -> Outcome {
    fail(f.exit(), f.describe(path))
}

/// A parameter invalid in itself (6).
pub fn param(e: &ParamError, src: &impl Source) -> Outcome {
    fail(Exit::ErrConfigured, param_text(e, src))
}

/// "parameter NAME='VALUE' REASON", the value escaped and cut (without it when unset or empty).
/// Also the warning for a value of Pacemaker's that was replaced by its default.
pub fn param_text(e: &ParamError, src: &impl Source) -> String {
    let key = format!("OCF_RESKEY_{}", e.name);
    let raw = src.get(&key).or_else(|| src.get(e.name)).unwrap_or(b"");
    if raw.is_empty() {
        return format!("parameter {} {}", e.name, e.reason);
    }
    let mut value: heapless::String<64> = heapless::String::new();
    params::escape(raw, &mut value);
    format!("parameter {}='{}' {}", e.name, value.as_str(), e.reason)
}

/// What held the address (its nic, network namespace or jail) is gone, and the address with
/// it; `why` says which. Stop has nothing left to do, a probe finds the resource stopped, a
/// recurring monitor fails (it was running), and the other actions cannot work here.
pub fn gone(action: Action, probe: bool, ip: &IpAddr, why: &str) -> Result {
    match action {
        Action::Stop => {
            log::info(&format!("{why}; {ip} is stopped"));
            Ok(Exit::Success)
        }
        Action::Monitor if probe => {
            log::debug(why);
            Ok(Exit::NotRunning)
        }
        Action::Monitor => Err(fail(
            Exit::ErrGeneric,
            format!("{why}: {ip} is gone with it"),
        )),
        _ => Err(fail(Exit::ErrArgs, why)),
    }
}

/// The line `explain` ends with: what validate-all would answer.
pub fn explain_line(r: &Result) -> String {
    match r {
        Ok(e) => format!("validate-all: would succeed (exit {})", e.code()),
        Err(o) => format!(
            "validate-all: would fail (exit {} {}): {}",
            o.exit.code(),
            o.exit.name(),
            o.reason.as_deref().unwrap_or("")
        ),
    }
}

/// The process exit code of an outcome that was reported already (or needs no report).
pub fn code(exit: Exit) -> ExitCode {
    ExitCode::from(exit.code())
}

/// How `action` ended: logged, told to Pacemaker on `ocf-exit-reason:` when there is a reason
/// (one line on stderr), and turned into the process's exit code.
pub fn finish(action: Action, r: Result) -> ExitCode {
    let o = match r {
        Ok(exit) => Outcome { exit, reason: None },
        Err(o) => o,
    };
    match &o.reason {
        None => log::debug(&format!("{}: {}", action.name(), o.exit.name())),
        Some(reason) => {
            let line = format!("{}: {reason}", action.name());
            if o.exit == Exit::Degraded {
                log::warn(&line);
            } else {
                log::error(&line);
            }
            let _ = writeln!(
                std::io::stderr(),
                "ocf-exit-reason:{}",
                log::one_line(reason)
            );
        }
    }
    code(o.exit)
}
