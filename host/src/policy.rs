//! WebAssembly health policies (docs/policies.md).
//!
//! With `policy` set, every monitor that finds the address on its interface builds an
//! [`Observation`], runs the module in a sandbox and reports its [`Verdict`]. The ABI is
//! `ifaddr_core::policy`; this module adds the file and cache checks, the per-instance state
//! file, the limits and the mapping of every outcome to an OCF exit code:
//!
//! * the module cannot be used on this node (missing, symlink, unsafe owner or mode, wrong
//!   ABI, no precompiled artifact or a stale one, no policy support built in):
//!   `OCF_ERR_INSTALLED` (5);
//! * the module misbehaved on this run (trap, fuel or time limit, memory limit, stack
//!   overflow, garbage verdict): `OCF_ERR_GENERIC` (1), and the state blob is left as it was;
//! * otherwise the verdict: 0, 1, 7, or 190 when the caller announced OCF 1.1 (else 0 with a
//!   warning).
//!
//! The agent never compiles a module: it loads the artifact that the policy compiler
//! (`ifaddrc compile`, host/compiler) stored in the root-only cache, and answers 5 with that
//! command when the artifact is missing or was made for another engine. Without the `policy`
//! feature, a configured policy answers 5.
//!
//! Public (hidden from the documentation, not a stable API) for `ifaddrc` and the fuzz
//! targets, which share the engine configuration, the trust rules and the sandboxed run.

#[cfg(feature = "policy")]
pub mod engine;
pub mod state;
pub mod trust;

use crate::outcome::{self, Outcome};
use crate::sys::{Addr, Link};
use ifaddr_core::ocf::{ApiVersion, Exit};
use ifaddr_core::params::{OpContext, Params};
use ifaddr_core::policy::{flag, reason, Decision, Observation, Verdict};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The sandbox limits of one policy run.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Fuel units (about one per WebAssembly instruction).
    pub fuel: u64,
    /// Linear memory, bytes.
    pub memory_bytes: usize,
    /// Elements per table.
    pub table_elements: usize,
    /// Native stack the guest may use, bytes.
    pub stack_bytes: usize,
    /// Wall-clock time for instantiation plus the call.
    pub wall: Duration,
}

/// The limits every run gets (documented in docs/policies.md).
pub const LIMITS: Limits = Limits {
    fuel: 10_000_000,
    memory_bytes: 1 << 20,
    table_elements: 10_000,
    stack_bytes: 256 << 10,
    wall: Duration::from_millis(1000),
};

/// Largest accepted module file.
pub const MODULE_MAX: u64 = 1 << 20;

/// Why no verdict came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The module file was refused (missing, symlink, owner, mode, size).
    File(trust::Refused),
    /// Not a valid WebAssembly module (found by the compiler).
    Invalid(String),
    /// Valid, but not a policy of this ABI.
    Abi(String),
    /// No usable precompiled artifact (missing, stale, untrusted or unloadable).
    Artifact(String),
    /// Built without policy support.
    NotBuilt,
    /// wasmtime itself failed.
    Engine(String),
    /// The module trapped.
    Trap(String),
    /// The module hit a limit.
    Limit(String),
    /// The module answered something that is not a verdict.
    Garbage(String),
}

impl Failure {
    /// One line naming the policy (its exit code is `Failure::exit`, in `outcome.rs`).
    pub fn describe(&self, path: &str) -> String {
        match self {
            Failure::File(r) => format!("policy {path} {r}"),
            Failure::Invalid(e) => format!("policy {path} {e}"),
            Failure::Abi(e) => format!("policy {path} is not an ifaddr policy: it {e}"),
            Failure::Artifact(e) => format!("policy {path}: {e}"),
            Failure::NotBuilt => {
                format!("policy {path} is set but this ifaddr was built without policy support")
            }
            Failure::Engine(e) => format!("policy {path}: engine error: {e}"),
            Failure::Trap(t) => format!("policy {path} trapped: {t}"),
            Failure::Limit(l) => format!("policy {path} {l}"),
            Failure::Garbage(g) => format!("policy {path} returned garbage: {g}"),
        }
    }
}

pub fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

pub fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * b.len());
    for &c in b {
        s.push(char::from(DIGITS[usize::from(c >> 4)]));
        s.push(char::from(DIGITS[usize::from(c & 15)]));
    }
    s
}

/// An I/O error as text without the "(os error N)" suffix.
pub fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    s.split(" (os error").next().unwrap_or(&s).to_owned()
}

/// Milliseconds of a clock that keeps counting across suspend and is not set by anyone.
fn boot_ms() -> u64 {
    #[cfg(target_os = "linux")]
    const CLOCK: libc::clockid_t = libc::CLOCK_BOOTTIME;
    #[cfg(not(target_os = "linux"))]
    const CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes to it.
    let rc = unsafe { libc::clock_gettime(CLOCK, &mut ts) };
    if rc != 0 {
        return 0;
    }
    (ts.tv_sec as u64).saturating_mul(1000) + (ts.tv_nsec as u64) / 1_000_000
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A healthy interface `eth0` (zero counters) holding 192.0.2.1/24: what `ifaddrc check`
/// shows a module, where its replays and the SDK's `Sim` start, and what the fuzz targets
/// run every module on (`ifaddr_core::policy::text::sample`).
pub fn sample_observation(now_ms: u64) -> Observation {
    ifaddr_core::policy::text::sample(now_ms)
}

/// What one monitor saw, handed to its policy.
#[derive(Clone, Copy)]
pub struct Seen<'a> {
    pub p: &'a Params,
    pub ctx: &'a OpContext,
    pub api: ApiVersion,
    pub link: Option<&'a Link>,
    pub addr: Option<&'a Addr>,
    /// What the agent would answer without a policy; the policy sees it and decides.
    pub builtin: Exit,
    /// The depth-20 split-brain check: `None` when not made, `Some(None)` when no other host
    /// answered, `Some(Some(mac))` when one did.
    pub conflict: Option<Option<[u8; 6]>>,
}

/// Build the observation for one monitor.
fn observe(seen: &Seen, st: &state::State) -> Observation {
    let &Seen {
        p,
        ctx,
        api,
        link,
        addr,
        builtin,
        conflict,
    } = seen;
    let mut o = Observation::new();
    o.now_ms = now_ms();
    if let Some(start) = st.start_ms {
        o.since_start_ms = boot_ms().saturating_sub(start);
        o.set(flag::START_KNOWN, true);
    }
    o.interval_ms = ctx.interval_ms;
    o.timeout_ms = ctx.timeout_ms;
    o.depth = ctx.depth;
    o.monitors = st.monitors.saturating_add(1);
    o.builtin = builtin.code();
    o.set_ip(&p.ip);
    o.set(flag::PROBE, ctx.is_probe());
    o.set(flag::DEGRADED_SUPPORTED, api.has_1_1());
    if let Some(a) = addr {
        o.set(flag::ADDR_PRESENT, true);
        o.set(flag::ADDR_TENTATIVE, a.tentative);
        o.set(flag::ADDR_DUPLICATED, a.duplicated);
        o.set(flag::ADDR_DEPRECATED, a.deprecated);
        o.prefix = a.prefix;
    }
    if let Some(l) = link {
        o.set(flag::LINK_PRESENT, true);
        o.set(flag::LINK_UP, l.up);
        o.set(flag::LINK_CARRIER, l.carrier);
        o.set(flag::LINK_RUNNING, l.up && l.carrier);
        o.set(flag::LINK_LOOPBACK, l.loopback);
        o.mtu = l.mtu;
        o.ifindex = l.index;
        o.set_ifname(&l.name);
        if let Some(c) = &l.counters {
            o.set(flag::COUNTERS, true);
            o.rx_packets = c.rx_packets;
            o.tx_packets = c.tx_packets;
            o.rx_errors = c.rx_errors;
            o.tx_errors = c.tx_errors;
            o.rx_dropped = c.rx_dropped;
            o.tx_dropped = c.tx_dropped;
        }
    }
    if let Some(c) = conflict {
        o.set(flag::CONFLICT_CHECKED, true);
        if let Some(mac) = c {
            o.set(flag::CONFLICT, true);
            o.conflict_mac = mac;
        }
    }
    o.set_args_from(&p.policy_args);
    o.set_state_from(&st.blob);
    o
}

/// Where state files and precompiled artifacts live.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// `${HA_RSCTMP:-/run/resource-agents}/ifaddr`.
    pub state: PathBuf,
    /// `${IFADDR_CACHE_DIR:-/var/cache/ifaddr}`.
    pub cache: PathBuf,
}

impl Dirs {
    pub fn from_env() -> Dirs {
        let cache = std::env::var_os("IFADDR_CACHE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/cache/ifaddr"));
        Dirs {
            state: crate::announcer::dir(),
            cache,
        }
    }
}

/// Load the module at `path` from its precompiled artifact and check its ABI.
#[cfg(feature = "policy")]
fn prepare(path: &Path, cache: &Path) -> Result<(wasmtime::Engine, wasmtime::Module), Failure> {
    let t0 = std::time::Instant::now();
    let wasm = trust::read(path, MODULE_MAX, false).map_err(Failure::File)?;
    let digest = sha256(&wasm);
    crate::log::debug(&format!(
        "policy timing: read+digest {} us",
        t0.elapsed().as_micros()
    ));
    let (engine, module) = engine::load(path, &digest, cache)?;
    engine::check_abi(&module)?;
    Ok((engine, module))
}

#[cfg(not(feature = "policy"))]
fn prepare(_path: &Path, _cache: &Path) -> Result<std::convert::Infallible, Failure> {
    Err(Failure::NotBuilt)
}

/// Run the policy at `path` on `obs`. With `then_exit`, the process exits soon after and the
/// engine is not torn down (see `engine::run_then_exit`).
fn run(
    path: &Path,
    cache: &Path,
    obs: &Observation,
    limits: &Limits,
    then_exit: bool,
) -> Result<Verdict, Failure> {
    #[cfg(feature = "policy")]
    {
        let (engine, module) = prepare(path, cache)?;
        let t = std::time::Instant::now();
        let r = if then_exit {
            engine::run_then_exit(engine, module, obs, limits)
        } else {
            engine::run(&engine, &module, obs, limits)
        };
        crate::log::debug(&format!(
            "policy timing: run {} us",
            t.elapsed().as_micros()
        ));
        r
    }
    #[cfg(not(feature = "policy"))]
    {
        let _ = (obs, limits, then_exit);
        match prepare(path, cache)? {}
    }
}

fn short_name(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(path)
}

/// "policy NAME: DECISION (REASON): MESSAGE".
pub fn verdict_text(name: &str, d: Decision, v: &Verdict) -> String {
    let why = match reason::name(v.reason) {
        Some(n) => n.to_owned(),
        None => format!("reason {}", v.reason),
    };
    // Printable ASCII of the guest's message; anything else becomes `?`.
    let mut msg: heapless::String<{ ifaddr_core::policy::MESSAGE_MAX }> = heapless::String::new();
    ifaddr_core::params::escape(v.message_bytes(), &mut msg);
    if msg.is_empty() {
        format!("policy {name}: {} ({why})", d.name())
    } else {
        format!("policy {name}: {} ({why}): {msg}", d.name())
    }
}

/// Consult the policy for one monitor (the address is present).
pub fn evaluate(seen: &Seen) -> Outcome {
    // The agent runs one monitor per process and exits right after it.
    evaluate_in(&Dirs::from_env(), &LIMITS, seen, true)
}

/// [`evaluate`] with explicit directories and limits; `then_exit` when the process exits right
/// after (the tests go on afterwards).
fn evaluate_in(dirs: &Dirs, limits: &Limits, seen: &Seen, then_exit: bool) -> Outcome {
    let &Seen {
        p,
        ctx,
        api,
        builtin,
        ..
    } = seen;
    let Some(path) = p.policy.as_ref().map(|s| s.as_str()) else {
        return Outcome {
            exit: builtin,
            reason: None,
        };
    };
    let name = short_name(path);
    let state_path = state::path_in(&dirs.state, &ctx.instance);
    let mut st = state::load(&state_path);
    let obs = observe(seen, &st);
    let verdict = match run(Path::new(path), &dirs.cache, &obs, limits, then_exit) {
        Ok(v) => v,
        Err(f) => {
            let o = outcome::policy(&f, path);
            // The agent logs the reason it reports; this line is for HA_debug only.
            crate::log::debug(o.reason.as_deref().unwrap_or_default());
            return o;
        }
    };
    st.monitors = obs.monitors;
    // `Verdict::decode` bounds the state by STATE_MAX, the blob's capacity.
    st.blob = heapless::Vec::from_slice(verdict.state_bytes()).unwrap_or_default();
    state::save(&state_path, &st);
    // `Verdict::decode` only accepts valid codes; Failed is the defined answer otherwise.
    let decision = verdict.decision().unwrap_or(Decision::Failed);
    let text = verdict_text(name, decision, &verdict);
    match decision {
        Decision::Running => {
            crate::log::debug(&text);
            Outcome {
                exit: Exit::Success,
                reason: None,
            }
        }
        Decision::Degraded if !api.has_1_1() => {
            crate::log::warn(&format!(
                "{text} (reported as running: the caller did not announce OCF 1.1)"
            ));
            Outcome {
                exit: Exit::Success,
                reason: None,
            }
        }
        d => {
            // The agent logs the reason it reports.
            crate::log::debug(&text);
            outcome::fail(d.exit(), text)
        }
    }
}

/// Record the start: a fresh state (start time now, no monitors, empty blob).
pub fn on_start(p: &Params, ctx: &OpContext) {
    on_start_in(&Dirs::from_env(), p, ctx)
}

pub fn on_start_in(dirs: &Dirs, _p: &Params, ctx: &OpContext) {
    let path = state::path_in(&dirs.state, &ctx.instance);
    // Continue the old file's sequence so the fresh state lands in the newer slot.
    let mut st = state::load(&path);
    st.start_ms = Some(boot_ms());
    st.monitors = 0;
    st.blob.clear();
    state::save(&path, &st);
}

/// Forget the state of a stopped resource.
pub fn on_stop(p: &Params, ctx: &OpContext) {
    on_stop_in(&Dirs::from_env(), p, ctx)
}

pub fn on_stop_in(dirs: &Dirs, _p: &Params, ctx: &OpContext) {
    state::clear(&state::path_in(&dirs.state, &ctx.instance));
}

/// validate-all: the file is trusted, its precompiled artifact loads and it has the policy
/// ABI. The module is not run. Without a policy, nothing to check.
pub fn validate(p: &Params) -> outcome::Result<()> {
    if p.policy.is_none() {
        return Ok(());
    }
    validate_in(&Dirs::from_env(), p)
}

pub fn validate_in(dirs: &Dirs, p: &Params) -> outcome::Result<()> {
    let Some(path) = p.policy.as_ref().map(|s| s.as_str()) else {
        return Ok(());
    };
    prepare(Path::new(path), &dirs.cache)
        .map(|_| ())
        .map_err(|f| outcome::policy(&f, path))
}

// The engine tests run modules that `ifaddrc` compiles.
#[cfg(all(test, feature = "policy"))]
mod tests;

#[cfg(all(test, not(feature = "policy")))]
mod tests_unbuilt {
    use super::*;

    struct Env;
    impl ifaddr_core::params::Source for Env {
        fn get(&self, name: &str) -> Option<&[u8]> {
            match name {
                "OCF_RESKEY_ip" => Some(b"192.0.2.10"),
                "OCF_RESKEY_policy" => Some(b"/etc/ifaddr/p.wasm"),
                _ => None,
            }
        }
    }

    #[test]
    fn a_configured_policy_is_not_installed() {
        let p = Params::parse(&Env).unwrap();
        let ctx = OpContext::parse(&Env);
        let dir = std::env::temp_dir().join(format!("ifaddr-unbuilt-{}", std::process::id()));
        let dirs = Dirs {
            state: dir.join("s"),
            cache: dir.join("c"),
        };
        let o = evaluate_in(
            &dirs,
            &LIMITS,
            &p,
            &ctx,
            ApiVersion::default(),
            None,
            None,
            Exit::Success,
            None,
            false,
        );
        assert_eq!(o.exit, Exit::ErrInstalled);
        assert!(o.reason.unwrap().contains("built without policy support"));
        let o = validate_in(&dirs, &p).unwrap_err();
        assert_eq!(o.exit, Exit::ErrInstalled);
        assert!(o.reason.unwrap().contains("built without policy support"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
