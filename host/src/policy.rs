//! WebAssembly health policies (docs/policies.md).
//!
//! With `policy` set, every monitor that finds the address on its interface builds an
//! [`Observation`], runs the module in a sandbox and reports its [`Verdict`]. The ABI is
//! `ifaddr_core::policy`; this module adds the file and cache checks, the per-instance state
//! file, the limits and the mapping of every outcome to an OCF exit code:
//!
//! * the module cannot be used on this node (missing, symlink, unsafe owner or mode, not
//!   WebAssembly, wrong ABI, no artifact in a runtime-only build, no policy support compiled
//!   in): `OCF_ERR_INSTALLED` (5);
//! * the module misbehaved on this run (trap, fuel or time limit, memory limit, stack
//!   overflow, garbage verdict): `OCF_ERR_GENERIC` (1), and the state blob is left as it was;
//! * otherwise the verdict: 0, 1, 7, or 190 when the caller announced OCF 1.1 (else 0 with a
//!   warning).
//!
//! Builds: feature `policy` (default) compiles with Cranelift on first use and caches the
//! artifact; `policy-runtime` only loads artifacts from the cache; neither answers 5.
// Without an engine most of this module is unused; it still builds, so it stays tested.
#![cfg_attr(not(feature = "policy-runtime"), allow(dead_code))]

// `pub(crate)` for the fuzz entry points (`crate::fuzzing`).
#[cfg(feature = "policy-runtime")]
pub(crate) mod engine;
pub(crate) mod state;
pub(crate) mod trust;

use crate::sys::{Addr, Link};
use ifaddr_core::ocf::{ApiVersion, Exit};
use ifaddr_core::params::{OpContext, Params};
use ifaddr_core::policy::{flag, reason, Decision, Observation, Verdict};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// What a monitor reports after consulting the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub exit: Exit,
    /// For `ocf-exit-reason:` and the log; `None` when running.
    pub reason: Option<String>,
}

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
    /// Not a valid WebAssembly module (found while compiling).
    #[cfg_attr(not(feature = "policy"), allow(dead_code))]
    Invalid(String),
    /// Valid, but not a policy of this ABI.
    Abi(String),
    /// Runtime-only build: no usable precompiled artifact.
    Artifact(String),
    /// Built without policy support.
    #[cfg_attr(feature = "policy-runtime", allow(dead_code))]
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
    /// The OCF code this failure is reported as.
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

    /// One line naming the policy.
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

pub(crate) fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

pub(crate) fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * b.len());
    for &c in b {
        s.push(char::from(DIGITS[usize::from(c >> 4)]));
        s.push(char::from(DIGITS[usize::from(c & 15)]));
    }
    s
}

/// An I/O error as text without the "(os error N)" suffix.
pub(crate) fn io_text(e: &std::io::Error) -> String {
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

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Build the observation for one monitor.
#[allow(clippy::too_many_arguments)]
/// A healthy interface `eth0` holding 192.0.2.1/24: what `ifaddr policy check` shows a module
/// and what the fuzz targets run every module on.
pub(crate) fn sample_observation(now_ms: u64) -> Observation {
    let mut o = Observation::new();
    o.now_ms = now_ms;
    o.flags = flag::ADDR_PRESENT
        | flag::LINK_PRESENT
        | flag::LINK_UP
        | flag::LINK_RUNNING
        | flag::LINK_CARRIER
        | flag::START_KNOWN
        | flag::DEGRADED_SUPPORTED;
    o.monitors = 1;
    o.mtu = 1500;
    o.interval_ms = 10_000;
    o.timeout_ms = 20_000;
    o.family = 4;
    o.prefix = 24;
    o.ip[..4].copy_from_slice(&[192, 0, 2, 1]);
    o.set_ifname(b"eth0");
    o
}

#[allow(clippy::too_many_arguments)]
fn observe(
    p: &Params,
    ctx: &OpContext,
    api: ApiVersion,
    link: Option<&Link>,
    addr: Option<&Addr>,
    builtin: Exit,
    conflict: Option<Option<[u8; 6]>>,
    st: &state::State,
) -> Observation {
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
        o.set_ifname(l.name.as_str().as_bytes());
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
    o.set_args(p.policy_args.as_bytes());
    o.set_state(&st.blob);
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
            state: state::dir(),
            cache,
        }
    }
}

/// Load the module at `path` (cache or compile) and check its ABI.
#[cfg(feature = "policy-runtime")]
fn prepare(path: &Path, cache: &Path) -> Result<(wasmtime::Engine, wasmtime::Module), Failure> {
    let t0 = std::time::Instant::now();
    let wasm = trust::read(path, MODULE_MAX, false).map_err(Failure::File)?;
    let digest = sha256(&wasm);
    crate::log::debug(&format!(
        "policy timing: read+digest {} us",
        t0.elapsed().as_micros()
    ));
    let (engine, module, source) = engine::load(&wasm, &digest, cache, false)?;
    match source {
        engine::Source::Cache(a) => {
            crate::log::debug(&format!("policy loaded from {}", a.display()))
        }
        engine::Source::Compiled { stored } => crate::log::info(&format!(
            "policy {} compiled{}",
            path.display(),
            stored
                .map(|a| format!(", artifact stored as {}", a.display()))
                .unwrap_or_default()
        )),
    }
    engine::check_abi(&module)?;
    Ok((engine, module))
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
    #[cfg(feature = "policy-runtime")]
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
    #[cfg(not(feature = "policy-runtime"))]
    {
        let _ = (path, cache, obs, limits, then_exit);
        Err(Failure::NotBuilt)
    }
}

fn short_name(path: &str) -> &str {
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(path)
}

/// Printable ASCII of a guest message; anything else becomes `?`.
fn clean(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '?'
            }
        })
        .collect()
}

/// "policy NAME: DECISION (REASON): MESSAGE".
fn verdict_text(name: &str, d: Decision, v: &Verdict) -> String {
    let why = match reason::name(v.reason) {
        Some(n) => n.to_owned(),
        None => format!("reason {}", v.reason),
    };
    let msg = clean(v.message_bytes());
    if msg.is_empty() {
        format!("policy {name}: {} ({why})", d.name())
    } else {
        format!("policy {name}: {} ({why}): {msg}", d.name())
    }
}

/// Consult the policy for one monitor (the address is present). `builtin` is what the agent
/// would answer without a policy; the policy sees it and decides. `conflict` is the depth-20
/// split-brain check: `None` when not made, `Some(None)` when no other host answered,
/// `Some(Some(mac))` when one did.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    p: &Params,
    ctx: &OpContext,
    api: ApiVersion,
    link: Option<&Link>,
    addr: Option<&Addr>,
    builtin: Exit,
    conflict: Option<Option<[u8; 6]>>,
) -> Outcome {
    // The agent runs one monitor per process and exits right after it.
    evaluate_in(
        &Dirs::from_env(),
        &LIMITS,
        p,
        ctx,
        api,
        link,
        addr,
        builtin,
        conflict,
        true,
    )
}

/// [`evaluate`] with explicit directories and limits, for a process that goes on afterwards.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub fn evaluate_with(
    dirs: &Dirs,
    limits: &Limits,
    p: &Params,
    ctx: &OpContext,
    api: ApiVersion,
    link: Option<&Link>,
    addr: Option<&Addr>,
    builtin: Exit,
) -> Outcome {
    evaluate_in(dirs, limits, p, ctx, api, link, addr, builtin, None, false)
}

/// [`evaluate_with`]; `then_exit` when the process exits right after.
#[allow(clippy::too_many_arguments)]
fn evaluate_in(
    dirs: &Dirs,
    limits: &Limits,
    p: &Params,
    ctx: &OpContext,
    api: ApiVersion,
    link: Option<&Link>,
    addr: Option<&Addr>,
    builtin: Exit,
    conflict: Option<Option<[u8; 6]>>,
    then_exit: bool,
) -> Outcome {
    let Some(path) = p.policy.as_ref().map(|s| s.as_str()) else {
        return Outcome {
            exit: builtin,
            reason: None,
        };
    };
    let name = short_name(path);
    let state_path = state::path_in(&dirs.state, &ctx.instance);
    let mut st = state::load(&state_path);
    let obs = observe(p, ctx, api, link, addr, builtin, conflict, &st);
    let verdict = match run(Path::new(path), &dirs.cache, &obs, limits, then_exit) {
        Ok(v) => v,
        Err(f) => {
            let text = f.describe(path);
            // The agent logs the reason it reports; this line is for HA_debug only.
            crate::log::debug(&text);
            return Outcome {
                exit: f.exit(),
                reason: Some(text),
            };
        }
    };
    st.monitors = obs.monitors;
    st.blob = verdict.state_bytes().to_vec();
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
            Outcome {
                exit: d.exit(),
                reason: Some(text),
            }
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

/// validate-all: the file is trusted, loads (compiling and caching it in a full build) and
/// has the policy ABI. The module is not run.
pub fn validate(p: &Params) -> Result<(), (Exit, String)> {
    validate_in(&Dirs::from_env(), p)
}

pub fn validate_in(dirs: &Dirs, p: &Params) -> Result<(), (Exit, String)> {
    let Some(path) = p.policy.as_ref().map(|s| s.as_str()) else {
        return Ok(());
    };
    #[cfg(feature = "policy-runtime")]
    let r = prepare(Path::new(path), &dirs.cache).map(|_| ());
    #[cfg(not(feature = "policy-runtime"))]
    let r: Result<(), Failure> = {
        let _ = dirs;
        Err(Failure::NotBuilt)
    };
    r.map_err(|f| (f.exit(), f.describe(path)))
}

const CLI_USAGE: &str = "\
usage: ifaddr policy check FILE.wasm [--args ARGS]
       ifaddr policy compile FILE.wasm [--cache-dir DIR]

check    validate a policy module, list its exports and run it once on a sample
         observation (healthy interface, address present) with ARGS as policy_args
compile  compile a policy module and store the artifact in the root-only cache
         (default $IFADDR_CACHE_DIR or /var/cache/ifaddr), for runtime-only builds
";

/// `ifaddr policy {check|compile} FILE.wasm ...`.
pub fn cli(args: &[OsString]) -> ExitCode {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            eprint!("{CLI_USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut file = None;
    let mut opt_args = String::new();
    let mut cache = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--args" => opt_args = it.next().cloned().unwrap_or_default(),
            "--cache-dir" => cache = it.next().cloned(),
            s if file.is_none() && !s.starts_with("--") => file = Some(s.to_owned()),
            s => {
                eprintln!("ifaddr policy: unexpected argument {s}\n{CLI_USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = file else {
        eprint!("{CLI_USAGE}");
        return ExitCode::from(2);
    };
    let r = match cmd {
        "check" => cli::check(Path::new(&file), &opt_args),
        "compile" => cli::compile(Path::new(&file), cache.as_deref().map(Path::new)),
        "-h" | "--help" | "help" => {
            print!("{CLI_USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("ifaddr policy: unknown command {other}\n{CLI_USAGE}");
            return ExitCode::from(2);
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("ifaddr policy: {}", f.describe(&file));
            ExitCode::from(f.exit().code())
        }
    }
}

#[cfg(feature = "policy-runtime")]
mod cli {
    use super::*;

    pub fn check(path: &Path, args: &str) -> Result<(), Failure> {
        // Report a refusal but go on: `check` is also for modules not yet installed.
        let wasm = match trust::read(path, MODULE_MAX, false) {
            Ok(w) => w,
            Err(trust::Refused::NotRootOwned(_)) | Err(trust::Refused::Writable(_)) => {
                let r = trust::read(path, MODULE_MAX, false).unwrap_err();
                println!("warning: the agent would refuse this file: it {r}");
                read_untrusted(path)?
            }
            Err(e) => return Err(Failure::File(e)),
        };
        let digest = sha256(&wasm);
        let cache = Dirs::from_env().cache;
        let art = engine::artifact_path(&cache, &digest);
        let (engine, module) = load_for_check(&wasm, &digest, &cache)?;
        println!("file:     {}", path.display());
        println!("size:     {} bytes", wasm.len());
        println!("sha256:   {}", hex(&digest));
        let (exports, imports) = engine::describe(&module);
        println!("exports:");
        for e in &exports {
            println!("  {:<24} {}", e.name, e.kind);
        }
        if imports.is_empty() {
            println!("imports:  none");
        } else {
            println!("imports:");
            for i in &imports {
                println!("  {i}");
            }
        }
        println!(
            "artifact: {} ({})",
            art.display(),
            if art.exists() { "cached" } else { "not cached" }
        );
        engine::check_abi(&module)?;
        let mut p_args: heapless::String<{ ifaddr_core::params::POLICY_ARGS_MAX }> =
            heapless::String::new();
        let _ = p_args.push_str(args);
        let mut o = sample_observation(now_ms());
        o.set_args(p_args.as_bytes());
        let started = std::time::Instant::now();
        let v = engine::run(&engine, &module, &o, &LIMITS)?;
        let d = v.decision().unwrap_or(Decision::Failed);
        println!("abi:      {}.{}", v.abi >> 16, v.abi & 0xffff);
        println!(
            "sample:   {} in {} us (healthy interface, address present, args {:?})",
            verdict_text(
                &path.file_name().unwrap_or_default().to_string_lossy(),
                d,
                &v
            ),
            started.elapsed().as_micros(),
            args
        );
        println!("ok");
        Ok(())
    }

    fn read_untrusted(path: &Path) -> Result<Vec<u8>, Failure> {
        std::fs::read(path).map_err(|e| Failure::File(trust::Refused::Io(io_text(&e))))
    }

    #[cfg(feature = "policy")]
    fn load_for_check(
        wasm: &[u8],
        _digest: &[u8; 32],
        _cache: &Path,
    ) -> Result<(wasmtime::Engine, wasmtime::Module), Failure> {
        let engine = engine::engine()?;
        // Compile in memory: `check` writes nothing.
        let module = wasmtime::Module::new(&engine, wasm).map_err(|e| {
            let s = format!("{e:#}");
            Failure::Invalid(format!(
                "is not a valid WebAssembly module: {}",
                s.lines().next().unwrap_or("")
            ))
        })?;
        Ok((engine, module))
    }

    #[cfg(not(feature = "policy"))]
    fn load_for_check(
        wasm: &[u8],
        digest: &[u8; 32],
        cache: &Path,
    ) -> Result<(wasmtime::Engine, wasmtime::Module), Failure> {
        engine::load(wasm, digest, cache, false).map(|(e, m, _)| (e, m))
    }

    #[cfg(feature = "policy")]
    pub fn compile(path: &Path, cache: Option<&Path>) -> Result<(), Failure> {
        let wasm = trust::read(path, MODULE_MAX, false).map_err(Failure::File)?;
        let digest = sha256(&wasm);
        let dir = cache
            .map(Path::to_path_buf)
            .unwrap_or_else(|| Dirs::from_env().cache);
        let (_engine, module, source) = engine::load(&wasm, &digest, &dir, true)?;
        engine::check_abi(&module)?;
        match source {
            engine::Source::Compiled { stored: Some(p) } => {
                println!("{}", p.display());
                Ok(())
            }
            _ => Err(Failure::Artifact(format!(
                "the artifact could not be stored in {}",
                dir.display()
            ))),
        }
    }

    #[cfg(not(feature = "policy"))]
    pub fn compile(_path: &Path, _cache: Option<&Path>) -> Result<(), Failure> {
        Err(Failure::Artifact(
            "this is a runtime-only build without a compiler: run `ifaddr policy compile` \
             from a full build (same ifaddr version and target)"
                .into(),
        ))
    }
}

#[cfg(not(feature = "policy-runtime"))]
mod cli {
    use super::*;

    pub fn check(_path: &Path, _args: &str) -> Result<(), Failure> {
        Err(Failure::NotBuilt)
    }

    pub fn compile(_path: &Path, _cache: Option<&Path>) -> Result<(), Failure> {
        Err(Failure::NotBuilt)
    }
}

// The engine tests compile WebAssembly text, so they need the compiling build.
#[cfg(all(test, feature = "policy"))]
mod tests;

#[cfg(all(test, not(feature = "policy-runtime")))]
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
        let ctx = OpContext::parse(&Env).unwrap();
        let dir = std::env::temp_dir().join(format!("ifaddr-unbuilt-{}", std::process::id()));
        let dirs = Dirs {
            state: dir.join("s"),
            cache: dir.join("c"),
        };
        let o = evaluate_with(
            &dirs,
            &LIMITS,
            &p,
            &ctx,
            ApiVersion::default(),
            None,
            None,
            Exit::Success,
        );
        assert_eq!(o.exit, Exit::ErrInstalled);
        assert!(o.reason.unwrap().contains("built without policy support"));
        let (e, r) = validate_in(&dirs, &p).unwrap_err();
        assert_eq!(e, Exit::ErrInstalled);
        assert!(r.contains("built without policy support"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
