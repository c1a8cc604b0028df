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
mod outcome;
#[doc(hidden)]
pub mod policy;
mod sys;

use agent::Agent;
use ifaddr_core::meta;
use ifaddr_core::ocf::{Action, ApiVersion, Exit};
use ifaddr_core::params::{OpContext, Params, Source};
use outcome::Outcome;
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
        return outcome::code(Exit::ErrArgs);
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
        return outcome::code(Exit::ErrUnimplemented);
    };
    outcome::finish(action, run(action, &env, api, started))
}

fn run(action: Action, env: &Env, api: ApiVersion, started: Instant) -> outcome::Result {
    match action {
        Action::MetaData => {
            let mut out = String::new();
            let _ = meta::write_metadata(&mut StrWriter(&mut out), api.has_1_1());
            let _ = std::io::stdout().write_all(out.as_bytes());
            return Ok(Exit::Success);
        }
        Action::Usage => {
            print!("{USAGE}");
            return Ok(Exit::Success);
        }
        _ => {}
    }
    let ctx = OpContext::parse(env);
    log::init(&ctx.instance);
    // Pacemaker's own values never fail an action: a bad one was replaced by its default.
    for e in &ctx.ignored {
        log::warn(&outcome::param_text(e, env));
    }
    let p = Params::parse(env).map_err(|e| explained(action, outcome::param(&e, env)))?;
    let mut sys = match sys::Sys::open(&p) {
        Ok(s) => s,
        Err(e) if e.is(libc::ENOENT) && (p.network_namespace.is_some() || p.jail.is_some()) => {
            // The namespace or VNET jail is gone, and every address in it with it.
            let why = match (&p.network_namespace, &p.jail) {
                (Some(ns), _) => format!("network namespace {ns} does not exist"),
                (None, Some(j)) => format!("jail {j} does not exist"),
                (None, None) => unreachable!("guarded above"),
            };
            return outcome::gone(action, ctx.is_probe(), &p.ip, &why);
        }
        Err(e) => return Err(e.into()),
    };
    let mut a = Agent {
        sys: &mut sys,
        p: &p,
        ctx: &ctx,
        api,
        started,
    };
    match action {
        Action::Start => a.start(),
        Action::Stop => a.stop(),
        Action::Monitor => a.monitor(),
        Action::ValidateAll | Action::ReloadAgent => a.validate(),
        Action::Explain => a.explain(),
        Action::MetaData | Action::Usage => unreachable!("handled above"),
    }
}

/// `explain` also says on standard output why it cannot go on (the parameters are invalid).
fn explained(action: Action, o: Outcome) -> Outcome {
    if action == Action::Explain {
        println!("{}", outcome::explain_line(&Err(o.clone())));
    }
    o
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
