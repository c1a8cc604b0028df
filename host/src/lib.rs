//! `ifaddr`: the `ocf:ifaddr:vip` resource agent.
//!
//! `ifaddr ACTION` with the OCF environment performs one OCF action and exits with its OCF
//! code. The agent never executes another program.
//!
//! The agent is a library so that the policy compiler (`ifaddrc`, host/compiler) and the fuzz
//! targets (`fuzz/`) share its engine configuration, trust rules and sandbox; the binary
//! (`src/main.rs`) only calls [`main`]. Nothing here is a stable API.

#![deny(clippy::undocumented_unsafe_blocks)]

mod agent;
mod announcer;
mod log;
#[doc(hidden)]
pub mod policy;
mod sys;

use agent::{fail, Agent, Fail};
use ifaddr_core::meta;
use ifaddr_core::ocf::{Action, ApiVersion, Exit};
use ifaddr_core::params::{OpContext, Params, Source};
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::time::Instant;

/// The OCF part of the process environment.
struct Env(HashMap<Vec<u8>, Vec<u8>>);

impl Env {
    fn capture() -> Env {
        Env(std::env::vars_os()
            .filter(|(k, _)| {
                let k = k.as_bytes();
                k.starts_with(b"OCF_") || k.starts_with(b"HA_")
            })
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect())
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }
}

impl Source for Env {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.0.get(name.as_bytes()).map(Vec::as_slice)
    }
}

const USAGE: &str =
    "usage: vip {start|stop|monitor|validate-all|meta-data|usage|reload-agent|explain}

ocf:ifaddr:vip manages one floating IPv4/IPv6 address; parameters come from OCF_RESKEY_*.
";

/// Print `ocf-exit-reason:` for Pacemaker (stderr, one line).
pub(crate) fn exit_reason(reason: &str) {
    let line: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = writeln!(std::io::stderr(), "ocf-exit-reason:{line}");
}

/// What [`background`] did.
pub enum Fork {
    /// In the child, which must end with [`exit_now`].
    Child,
    /// In the parent; the child's process id.
    Parent(i32),
    /// Forking failed (in the parent).
    Failed,
}

/// Fork a detached child for background work.
pub fn background() -> Fork {
    // SAFETY: the agent is single-threaded when it forks (the policy engine, the only user of
    // threads, does not run during start, before a monitor's announcements or after its
    // depth-20 probe), so the child may use any function.
    let pid = unsafe { libc::fork() };
    if pid > 0 {
        return Fork::Parent(pid);
    }
    if pid < 0 {
        return Fork::Failed;
    }
    // SAFETY: setsid has no preconditions; its failure (already a group leader) is harmless.
    unsafe { libc::setsid() };
    // Detach from Pacemaker's pipes so the executor does not wait for us.
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        use std::os::fd::AsRawFd;
        for fd in 0..3 {
            // SAFETY: dup2 onto the standard descriptors of our own process; `null` is open.
            unsafe { libc::dup2(null.as_raw_fd(), fd) };
        }
    }
    Fork::Child
}

/// End the process at once, without running destructors (for forked children).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions.
    unsafe { libc::_exit(code) }
}

/// The whole program: parse the command line and environment, act, return the exit code.
pub fn main() -> ExitCode {
    let started = Instant::now();
    let args: Vec<OsString> = std::env::args_os().collect();
    let Some(action) = args.get(1) else {
        eprint!("{USAGE}");
        return ExitCode::from(Exit::ErrArgs.code());
    };
    let env = Env::capture();
    let api = ApiVersion::parse(
        env.text("OCF_RA_VERSION_MAJOR"),
        env.text("OCF_RA_VERSION_MINOR"),
    );
    let action = match action.to_str().and_then(Action::parse) {
        Some(Action::ReloadAgent) if !api.has_1_1() => None,
        a => a,
    };
    let Some(action) = action else {
        eprint!("{USAGE}");
        return ExitCode::from(Exit::ErrUnimplemented.code());
    };
    let code = run(action, &env, api, started);
    ExitCode::from(code.code())
}

fn run(action: Action, env: &Env, api: ApiVersion, started: Instant) -> Exit {
    match action {
        Action::MetaData => {
            let mut out = String::new();
            let _ = meta::write_metadata(&mut StrWriter(&mut out), api.has_1_1());
            let _ = std::io::stdout().write_all(out.as_bytes());
            return Exit::Success;
        }
        Action::Usage => {
            print!("{USAGE}");
            return Exit::Success;
        }
        _ => {}
    }
    let ctx = match OpContext::parse(env) {
        Ok(c) => c,
        Err(e) => return report(action, explained(action, Err(param_fail(env, e)))),
    };
    log::init(&ctx.instance);
    let p = match Params::parse(env) {
        Ok(p) => p,
        Err(e) => return report(action, explained(action, Err(param_fail(env, e)))),
    };
    let mut sys = match sys::Sys::open(&p) {
        Ok(s) => s,
        Err(e) if e.is(libc::ENOENT) && (p.network_namespace.is_some() || p.jail.is_some()) => {
            // The namespace or VNET jail is gone, and every address in it with it.
            let gone = match (&p.network_namespace, &p.jail) {
                (Some(ns), _) => format!("network namespace {ns} does not exist"),
                (None, Some(j)) => format!("jail {j} does not exist"),
                (None, None) => unreachable!("guarded above"),
            };
            return match action {
                Action::Stop => Exit::Success,
                Action::Monitor => Exit::NotRunning,
                _ => report(action, Err(fail(Exit::ErrArgs, gone))),
            };
        }
        Err(e) => return report(action, Err(e.into())),
    };
    let mut a = Agent {
        sys: &mut sys,
        p: &p,
        ctx: &ctx,
        api,
        started,
    };
    let outcome = match action {
        Action::Start => a.start(),
        Action::Stop => a.stop(),
        Action::Monitor => a.monitor(),
        Action::ValidateAll | Action::ReloadAgent => a.validate(),
        Action::Explain => a.explain(),
        Action::MetaData | Action::Usage => unreachable!("handled above"),
    };
    report(action, outcome)
}

/// `explain` also says on standard output why it cannot go on (the parameters are invalid).
fn explained(action: Action, outcome: Result<Exit, Fail>) -> Result<Exit, Fail> {
    if let (Action::Explain, Err(f)) = (action, &outcome) {
        println!(
            "validate-all: would fail (exit {} {}): {}",
            f.exit.code(),
            f.exit.name(),
            f.reason
        );
    }
    outcome
}

fn param_fail(env: &Env, e: ifaddr_core::params::ParamError) -> Fail {
    let mut value: heapless::String<64> = heapless::String::new();
    let key = format!("OCF_RESKEY_{}", e.name);
    let raw = env.get(&key).or_else(|| env.get(e.name)).unwrap_or(b"");
    ifaddr_core::params::escape(raw, &mut value);
    if raw.is_empty() {
        fail(
            Exit::ErrConfigured,
            format!("parameter {} {}", e.name, e.reason),
        )
    } else {
        fail(
            Exit::ErrConfigured,
            format!("parameter {}='{}' {}", e.name, value.as_str(), e.reason),
        )
    }
}

fn report(action: Action, outcome: Result<Exit, Fail>) -> Exit {
    match outcome {
        Ok(e) => {
            log::debug(&format!("{}: {}", action.name(), e.name()));
            e
        }
        Err(f) => {
            log::error(&format!("{}: {}", action.name(), f.reason));
            exit_reason(&f.reason);
            f.exit
        }
    }
}

/// `ufmt::uWrite` into a `String`.
struct StrWriter<'a>(&'a mut String);

impl ufmt::uWrite for StrWriter<'_> {
    type Error = std::convert::Infallible;
    fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
        self.0.push_str(s);
        Ok(())
    }
}
