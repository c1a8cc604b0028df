//! The wasmtime side of policies: the one engine configuration (the policy compiler `ifaddrc`
//! builds its engine from [`config`] too, so every artifact it writes is one the agent
//! accepts), the root-only artifact cache, the ABI check and a sandboxed call with fuel,
//! memory, stack and wall-clock limits. The agent never compiles: wasmtime is built without
//! Cranelift here.

use super::{hex, sha256, trust, Failure, Limits, LIMITS};
use ifaddr_core::policy::{
    AbiError, Observation, Verdict, ABI_MAJOR, BUFFER_SIZE, EXPORT_ABI, EXPORT_BUFFER,
    EXPORT_EVALUATE, EXPORT_MEMORY, OBSERVATION_SIZE, OUTPUT_MAX, OUTPUT_OFFSET, VERDICT_SIZE,
};
use std::path::{Path, PathBuf};
use wasmtime::{
    Config, Engine, ExternType, Instance, Module, ResourceLimiter, Store, Trap, ValType,
};

/// Everything in the engine configuration that affects compiled code, as text: the cache key
/// includes its digest, so changing any of it (or the wasmtime or ifaddr version) makes the
/// agent look for a new artifact instead of an old one. wasmtime checks compatibility again
/// on load.
const ENGINE_ID: &str = concat!(
    "ifaddr ",
    env!("CARGO_PKG_VERSION"),
    "; wasmtime 48; fuel; epoch; stack 262144; no-cow; no-address-map; no-backtrace; \
     baseline isa"
);

pub use target_lexicon::Triple;

/// The target this agent runs on, as wasmtime names it.
pub const HOST: Triple = target_lexicon::HOST;

/// The one engine configuration, for code that runs on `target`: every setting here that
/// affects compiled code is in [`ENGINE_ID`]. The agent uses it with [`HOST`]; `ifaddrc`
/// with the target it compiles for.
pub fn config(target: &Triple) -> Result<Config, Failure> {
    let mut c = Config::new();
    // Naming the target explicitly makes Cranelift generate code for the architecture's
    // baseline (no CPU extensions) instead of for the features this CPU reports. Policies are
    // small and their speed does not matter, but loading an artifact compiled for CPU
    // extensions makes wasmtime query the CPU for each one (CPUID, which traps to the
    // hypervisor on a virtual machine); baseline artifacts need no query, and they run on
    // any CPU of the architecture, so they can be compiled while building an image.
    c.target(&target.to_string()).map_err(|e| {
        Failure::Engine(format!("cannot name the target {target} to wasmtime: {e}"))
    })?;
    c.consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(LIMITS.stack_bytes)
        // A one-shot process: copying data segments is cheaper than building a CoW image.
        .memory_init_cow(false)
        .generate_address_map(false)
        .wasm_backtrace_max_frames(None);
    Ok(c)
}

/// The agent's engine: loads precompiled artifacts, cannot compile.
pub fn engine() -> Result<Engine, Failure> {
    Engine::new(&config(&HOST)?)
        .map_err(|e| Failure::Engine(format!("cannot configure wasmtime: {e}")))
}

/// Largest accepted precompiled artifact (the 1 MiB module limit compiles to far less).
const ARTIFACT_MAX: u64 = 64 << 20;

/// `sha256(ENGINE_ID)`, shortened: the engine half of the cache key.
pub fn engine_key() -> String {
    hex(&sha256(ENGINE_ID.as_bytes()))[..16].to_owned()
}

/// `<cache>/<sha256 of module>-<engine key>.cwasm`.
pub fn artifact_path(dir: &Path, digest: &[u8; 32]) -> PathBuf {
    dir.join(format!("{}-{}.cwasm", hex(digest), engine_key()))
}

/// The default cache directory, where `ifaddrc compile` stores artifacts unless told otherwise.
pub const DEFAULT_CACHE: &str = "/var/cache/ifaddr";

/// The command that stores the artifact the agent looks for.
pub fn compile_command(module: &Path, cache: &Path) -> String {
    if cache == Path::new(DEFAULT_CACHE) {
        format!("ifaddrc compile {}", module.display())
    } else {
        format!(
            "ifaddrc compile {} --cache-dir {}",
            module.display(),
            cache.display()
        )
    }
}

/// Load the module whose bytes have `digest` from its trusted artifact in `cache`. A missing,
/// stale (made for another engine) or unusable artifact is [`Failure::Artifact`], whose text
/// names the command that fixes it. The module belongs to the returned engine.
pub fn load(module: &Path, digest: &[u8; 32], cache: &Path) -> Result<(Engine, Module), Failure> {
    let art = artifact_path(cache, digest);
    let t0 = std::time::Instant::now();
    let engine = engine()?;
    let t1 = std::time::Instant::now();
    let found = cached(&engine, cache, &art);
    crate::log::debug(&format!(
        "policy timing: engine {} us, artifact {} us",
        (t1 - t0).as_micros(),
        t1.elapsed().as_micros()
    ));
    let fix = compile_command(module, cache);
    match found {
        Ok(Some(m)) => {
            crate::log::debug(&format!("policy loaded from {}", art.display()));
            Ok((engine, m))
        }
        Ok(None) => Err(Failure::Artifact(match stale(cache, digest) {
            Some(old) => format!(
                "the precompiled artifact {} was made by another ifaddr or wasmtime \
                 (this agent's engine key is {}): run `{fix}`",
                old.display(),
                engine_key()
            ),
            None => format!(
                "no precompiled artifact {} (the agent does not compile policies): run `{fix}`",
                art.display()
            ),
        })),
        Err(e) => Err(Failure::Artifact(format!("{e}: run `{fix}`"))),
    }
}

/// An artifact of the same module made for another engine key, if the cache has one.
fn stale(cache: &Path, digest: &[u8; 32]) -> Option<PathBuf> {
    let prefix = format!("{}-", hex(digest));
    std::fs::read_dir(cache).ok()?.flatten().find_map(|e| {
        let name = e.file_name();
        let name = name.to_str()?;
        (name.starts_with(&prefix) && name.ends_with(".cwasm")).then(|| e.path())
    })
}

fn cached(engine: &Engine, cache: &Path, art: &Path) -> Result<Option<Module>, String> {
    match trust::trusted_dir(cache) {
        Ok(()) => {}
        Err(_) if !cache.exists() => return Ok(None),
        Err(e) => return Err(format!("artifact cache refused: {e}")),
    }
    let file = match trust::open(art, ARTIFACT_MAX, false) {
        Ok(f) => f,
        Err(trust::Refused::Missing) => return Ok(None),
        Err(e) => return Err(format!("precompiled artifact {} {e}", art.display())),
    };
    // SAFETY: `Module::deserialize_open_file` trusts the file to be wasmtime's own output and
    // to stay unchanged while the module lives (it is mapped, not copied). It was opened
    // without following symbolic links and the open descriptor (so no other file can be
    // swapped in after the check) is a regular file owned by root, not writable by group or
    // others, in a root-owned directory not writable by group or others: only root (that is,
    // `ifaddrc compile`) can have written it, and artifacts are never rewritten in place (a
    // new one is renamed over it, which leaves the mapped inode as it was). wasmtime still
    // checks the header, version and engine compatibility and errors out on a mismatch.
    let mapped = unsafe { Module::deserialize_open_file(engine, file) };
    // A cache on a `noexec` mount cannot be mapped executable: copy it into memory instead.
    let module = mapped.or_else(|_| match trust::read(art, ARTIFACT_MAX, false) {
        // SAFETY: as above; the copy is read through a descriptor checked the same way.
        Ok(bytes) => unsafe { Module::deserialize(engine, &bytes) },
        Err(e) => Err(wasmtime::Error::msg(e.to_string())),
    });
    module.map(Some).map_err(|e| {
        format!(
            "precompiled artifact {} is unusable: {}",
            art.display(),
            first_line(&e)
        )
    })
}

pub fn first_line(e: &wasmtime::Error) -> String {
    let s = format!("{e:#}");
    s.lines().next().unwrap_or("").to_owned()
}

/// One export the ABI expects, with its signature.
pub struct Export {
    pub name: String,
    pub kind: String,
}

/// The module's exports, described for `ifaddrc check`.
pub fn describe(module: &Module) -> (Vec<Export>, Vec<String>) {
    let exports = module
        .exports()
        .map(|e| Export {
            name: e.name().to_owned(),
            kind: describe_type(&e.ty()),
        })
        .collect();
    let imports = module
        .imports()
        .map(|i| format!("{}::{} ({})", i.module(), i.name(), describe_type(&i.ty())))
        .collect();
    (exports, imports)
}

fn describe_type(t: &ExternType) -> String {
    match t {
        ExternType::Func(f) => {
            let list = |it: &mut dyn Iterator<Item = ValType>| {
                it.map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
            };
            format!(
                "func ({}) -> ({})",
                list(&mut f.params()),
                list(&mut f.results())
            )
        }
        ExternType::Memory(m) => format!(
            "memory {} pages min{}{}",
            m.minimum(),
            m.maximum()
                .map(|x| format!(", {x} max"))
                .unwrap_or_default(),
            if m.is_64() { ", 64-bit" } else { "" }
        ),
        ExternType::Table(_) => "table".into(),
        ExternType::Global(_) => "global".into(),
        ExternType::Tag(_) => "tag".into(),
    }
}

/// Check the module against the ABI without running it.
pub fn check_abi(module: &Module) -> Result<(), Failure> {
    if let Some(i) = module.imports().next() {
        return Err(Failure::Abi(format!(
            "imports {}::{} (policies may not import anything)",
            i.module(),
            i.name()
        )));
    }
    let func = |name: &str, params: &[ValType]| -> Result<(), Failure> {
        match module.get_export(name) {
            Some(ExternType::Func(f)) => {
                let p: Vec<ValType> = f.params().collect();
                let r: Vec<ValType> = f.results().collect();
                let i32s = |v: &[ValType]| v.iter().all(|t| matches!(t, ValType::I32));
                if p.len() == params.len() && i32s(&p) && r.len() == 1 && i32s(&r) {
                    Ok(())
                } else {
                    Err(Failure::Abi(format!(
                        "export {name} has the wrong signature"
                    )))
                }
            }
            Some(_) => Err(Failure::Abi(format!("export {name} is not a function"))),
            None => Err(Failure::Abi(format!("does not export {name}"))),
        }
    };
    match module.get_export(EXPORT_MEMORY) {
        Some(ExternType::Memory(m)) if !m.is_64() && !m.is_shared() => {
            if m.minimum().saturating_mul(65536) > LIMITS.memory_bytes as u64 {
                return Err(Failure::Abi(format!(
                    "needs {} KiB of memory at least, more than the {} KiB limit",
                    m.minimum() * 64,
                    LIMITS.memory_bytes / 1024
                )));
            }
        }
        Some(_) => {
            return Err(Failure::Abi(
                "export memory is not a 32-bit unshared memory".into(),
            ))
        }
        None => return Err(Failure::Abi("does not export memory".into())),
    }
    func(EXPORT_ABI, &[])?;
    func(EXPORT_BUFFER, &[])?;
    func(EXPORT_EVALUATE, &[ValType::I32])?;
    Ok(())
}

struct Guard {
    memory_bytes: usize,
    table_elements: usize,
    denied: Option<String>,
}

impl ResourceLimiter for Guard {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.denied = Some(format!(
                "tried to grow its memory to {} KiB, past the {} KiB limit",
                desired / 1024,
                self.memory_bytes / 1024
            ));
            wasmtime::bail!("memory limit");
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            self.denied = Some(format!(
                "tried to grow a table to {desired} elements, past the {} limit",
                self.table_elements
            ));
            wasmtime::bail!("table limit");
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }
    fn tables(&self) -> usize {
        4
    }
    fn memories(&self) -> usize {
        1
    }
}

/// The wall-clock limit without a thread: a POSIX timer per run whose `SIGALRM` handler
/// increments the epoch of the run's engine, so the guest traps at its next epoch check.
///
/// Runs register in a fixed table; the handler ticks every registered run whose deadline has
/// passed. So a signal that reaches another thread, arrives late or stands for two timers
/// still ticks exactly the runs that are due. The handler is async-signal-safe: atomics,
/// `clock_gettime` and [`Engine::increment_epoch`] (an atomic add), then the handler that was
/// there before, if any.
mod alarm {
    use std::marker::PhantomData;
    use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};
    use std::sync::OnceLock;
    use std::time::Duration;
    use wasmtime::Engine;

    const FREE: u8 = 0;
    /// Taken by [`Alarm::set`], not yet filled in.
    const CLAIMED: u8 = 1;
    const ARMED: u8 = 2;
    /// The handler is reading the slot; releasing it waits until it is done.
    const FIRING: u8 = 3;

    struct Slot {
        state: AtomicU8,
        deadline_ns: AtomicU64,
        engine: AtomicPtr<Engine>,
    }

    /// Runs at once in one process: the agent has one; tests and fuzzers have a few.
    const SLOTS: usize = 64;
    static TABLE: [Slot; SLOTS] = [const {
        Slot {
            state: AtomicU8::new(FREE),
            deadline_ns: AtomicU64::new(0),
            engine: AtomicPtr::new(std::ptr::null_mut()),
        }
    }; SLOTS];

    fn now_ns() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes to it (and is
        // async-signal-safe).
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        (ts.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(ts.tv_nsec as u64)
    }

    /// The `SIGALRM` disposition found when ours was installed: a handler there (a fuzzer's
    /// timeout, say) is still called after ours.
    static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

    extern "C" fn on_alarm(
        signal: libc::c_int,
        info: *mut libc::siginfo_t,
        context: *mut libc::c_void,
    ) {
        let now = now_ns();
        for slot in &TABLE {
            if slot
                .state
                .compare_exchange(ARMED, FIRING, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                continue;
            }
            if now >= slot.deadline_ns.load(Ordering::Relaxed) {
                let engine = slot.engine.load(Ordering::Relaxed);
                // SAFETY: an armed slot points at the engine borrowed by a live `Alarm`, whose
                // drop cannot complete while the slot is FIRING.
                unsafe { (*engine).increment_epoch() };
            }
            slot.state.store(ARMED, Ordering::Release);
        }
        if let Some(old) = PREVIOUS.get() {
            let h = old.sa_sigaction;
            if h != libc::SIG_DFL && h != libc::SIG_IGN {
                // SAFETY: `h` is the handler that was installed for SIGALRM, called the way
                // its flags say it expects (it is a signal handler, so it is meant to run
                // here).
                unsafe {
                    if old.sa_flags & libc::SA_SIGINFO != 0 {
                        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                            std::mem::transmute(h);
                        f(signal, info, context);
                    } else {
                        let f: extern "C" fn(libc::c_int) = std::mem::transmute(h);
                        f(signal);
                    }
                }
            }
        }
    }

    /// Install the handler (once per process; it stays).
    fn install() -> Result<(), String> {
        static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
        INSTALLED
            .get_or_init(|| {
                // SAFETY: all-zero sigactions are valid values (no handler, no flags, empty
                // mask) before they are filled in; `on_alarm` is async-signal-safe and has the
                // SA_SIGINFO signature.
                let rc = unsafe {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(libc::SIGALRM, std::ptr::null(), &mut old) == 0 {
                        let _ = PREVIOUS.set(old);
                    }
                    let mut sa: libc::sigaction = std::mem::zeroed();
                    let handler: extern "C" fn(
                        libc::c_int,
                        *mut libc::siginfo_t,
                        *mut libc::c_void,
                    ) = on_alarm;
                    sa.sa_sigaction = handler as libc::sighandler_t;
                    sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut sa.sa_mask);
                    libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut())
                };
                if rc == 0 {
                    Ok(())
                } else {
                    Err(format!("sigaction: {}", std::io::Error::last_os_error()))
                }
            })
            .clone()
    }

    /// Make sure this thread can take `SIGALRM` (a caller may have exec'd us with it
    /// blocked).
    fn unblock() {
        // SAFETY: the set is initialised by sigemptyset before use; pthread_sigmask only
        // changes this thread's mask.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGALRM);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }

    fn timer(deadline_ns: u64) -> Result<libc::timer_t, String> {
        // SAFETY: all-zero sigevent and itimerspec are valid values before their fields are
        // set; timer_create writes the new timer to `t`, which is deleted again if it cannot
        // be set.
        unsafe {
            let mut ev: libc::sigevent = std::mem::zeroed();
            ev.sigev_notify = libc::SIGEV_SIGNAL;
            ev.sigev_signo = libc::SIGALRM;
            let mut t: libc::timer_t = std::mem::zeroed();
            if libc::timer_create(libc::CLOCK_MONOTONIC, &mut ev, &mut t) != 0 {
                return Err(format!("timer_create: {}", std::io::Error::last_os_error()));
            }
            let mut at: libc::itimerspec = std::mem::zeroed();
            at.it_value.tv_sec = (deadline_ns / 1_000_000_000) as _;
            at.it_value.tv_nsec = (deadline_ns % 1_000_000_000) as _;
            if libc::timer_settime(t, libc::TIMER_ABSTIME, &at, std::ptr::null_mut()) != 0 {
                let e = std::io::Error::last_os_error();
                libc::timer_delete(t);
                return Err(format!("timer_settime: {e}"));
            }
            Ok(t)
        }
    }

    /// Increments the engine's epoch once `limit` has passed, unless dropped before.
    pub struct Alarm<'e> {
        slot: usize,
        timer: libc::timer_t,
        _engine: PhantomData<&'e Engine>,
    }

    impl<'e> Alarm<'e> {
        pub fn set(engine: &'e Engine, limit: Duration) -> Result<Alarm<'e>, String> {
            install()?;
            unblock();
            let slot = TABLE
                .iter()
                .position(|s| {
                    s.state
                        .compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                })
                .ok_or_else(|| format!("more than {SLOTS} policy runs at once"))?;
            let limit_ns = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
            let deadline = now_ns().saturating_add(limit_ns);
            let s = &TABLE[slot];
            s.deadline_ns.store(deadline, Ordering::Relaxed);
            s.engine
                .store(std::ptr::from_ref(engine).cast_mut(), Ordering::Relaxed);
            s.state.store(ARMED, Ordering::Release);
            match timer(deadline) {
                Ok(timer) => Ok(Alarm {
                    slot,
                    timer,
                    _engine: PhantomData,
                }),
                Err(e) => {
                    release(slot);
                    Err(e)
                }
            }
        }
    }

    /// Take slot `i` out of the table, waiting for a handler that is reading it (on another
    /// thread: one on this thread has finished before this code runs again).
    fn release(i: usize) {
        let state = &TABLE[i].state;
        while state
            .compare_exchange(ARMED, FREE, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
    }

    impl Drop for Alarm<'_> {
        fn drop(&mut self) {
            // SAFETY: the timer was created by `set` and is deleted only here.
            unsafe { libc::timer_delete(self.timer) };
            release(self.slot);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn slots_are_given_back() {
            let engine = Engine::default();
            // More alarms than slots, one after the other: each drop frees its slot.
            for _ in 0..3 * SLOTS {
                drop(Alarm::set(&engine, Duration::from_secs(60)).unwrap());
            }
            // Many at once (other tests may hold a few).
            let held: Vec<_> = (0..SLOTS / 2)
                .map(|_| Alarm::set(&engine, Duration::from_secs(60)).unwrap())
                .collect();
            drop(held);
        }

        /// A run whose alarm fired is interrupted; another run, in the same process and with
        /// its alarm still pending, is not.
        #[test]
        fn only_due_runs_are_ticked() {
            use super::super::{engine, store, LIMITS};
            use crate::policy::tests::ifaddrc;
            // A policy (so that ifaddrc compiles it) with one more export, `f`, to call.
            let text = r#"(module
              (memory (export "memory") 1)
              (func (export "ifaddr_policy_abi") (result i32) (i32.const 0x10000))
              (func (export "ifaddr_policy_buffer") (result i32) (i32.const 1024))
              (func (export "ifaddr_policy_evaluate") (param i32) (result i32) (i32.const 0))
              (func (export "f")))"#;
            let dir = std::env::temp_dir().join(format!("ifaddr-alarm-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let wasm = dir.join("f.wasm");
            std::fs::write(&wasm, wat::parse_str(text).unwrap()).unwrap();
            let art = ifaddrc::compile(&wasm, &dir.join("cache")).unwrap();
            let call = |engine: &Engine, store: &mut wasmtime::Store<_>| {
                // SAFETY: the artifact was written just now by ifaddrc for this engine
                // configuration, and nothing changes it while the module lives.
                let module = unsafe { wasmtime::Module::deserialize_file(engine, &art) }.unwrap();
                let instance = wasmtime::Instance::new(&mut *store, &module, &[])?;
                instance
                    .get_typed_func::<(), ()>(&mut *store, "f")?
                    .call(&mut *store, ())
            };
            let (due, later) = (engine().unwrap(), engine().unwrap());
            let mut s_due = store(&due, &LIMITS).unwrap();
            let mut s_later = store(&later, &LIMITS).unwrap();
            let _a = Alarm::set(&due, Duration::from_millis(1)).unwrap();
            let _b = Alarm::set(&later, Duration::from_secs(60)).unwrap();
            std::thread::sleep(Duration::from_millis(100));
            let e = call(&due, &mut s_due).unwrap_err();
            assert_eq!(
                e.downcast_ref::<wasmtime::Trap>(),
                Some(&wasmtime::Trap::Interrupt)
            );
            call(&later, &mut s_later).unwrap();
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// Run the policy on one observation, within `limits`.
pub fn run(
    engine: &Engine,
    module: &Module,
    obs: &Observation,
    limits: &Limits,
) -> Result<Verdict, Failure> {
    let mut store = store(engine, limits)?;
    run_in(&mut store, engine, module, obs, limits)
}

/// [`run`] for a process that exits right after it: the store, the module and the engine
/// are left for the exit to reclaim rather than torn down one by one (unmapping the linear
/// memory and the code, unregistering types), work a one-shot monitor would do for nothing.
pub fn run_then_exit(
    engine: Engine,
    module: Module,
    obs: &Observation,
    limits: &Limits,
) -> Result<Verdict, Failure> {
    let mut store = store(&engine, limits)?;
    let verdict = run_in(&mut store, &engine, &module, obs, limits);
    std::mem::forget((store, module, engine));
    verdict
}

fn store(engine: &Engine, limits: &Limits) -> Result<Store<Guard>, Failure> {
    let mut store = Store::new(
        engine,
        Guard {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            denied: None,
        },
    );
    store.limiter(|g| g);
    store
        .set_fuel(limits.fuel)
        .map_err(|e| Failure::Engine(e.to_string()))?;
    store.set_epoch_deadline(1);
    store.epoch_deadline_trap();
    Ok(store)
}

fn run_in(
    store: &mut Store<Guard>,
    engine: &Engine,
    module: &Module,
    obs: &Observation,
    limits: &Limits,
) -> Result<Verdict, Failure> {
    // Set before instantiation: a start function is bounded too.
    let _alarm = match alarm::Alarm::set(engine, limits.wall) {
        Ok(a) => Some(a),
        // Fuel still bounds the run; the log says the clock does not.
        Err(e) => {
            crate::log::warn(&format!("policy wall-clock alarm unavailable: {e}"));
            None
        }
    };
    let result = call(store, module, obs);
    result.map_err(|e| match e {
        Fault::Wasm(err) => classify(&err, store.data().denied.clone(), limits),
        Fault::Other(f) => f,
    })
}

enum Fault {
    Wasm(wasmtime::Error),
    Other(Failure),
}

impl From<wasmtime::Error> for Fault {
    fn from(e: wasmtime::Error) -> Fault {
        Fault::Wasm(e)
    }
}

fn call(store: &mut Store<Guard>, module: &Module, obs: &Observation) -> Result<Verdict, Fault> {
    let instance = Instance::new(&mut *store, module, &[])?;
    let abi = instance
        .get_typed_func::<(), i32>(&mut *store, EXPORT_ABI)?
        .call(&mut *store, ())? as u32;
    if abi >> 16 != u32::from(ABI_MAJOR) {
        return Err(Fault::Other(Failure::Abi(format!(
            "speaks ABI {}.{}, the agent {}.x",
            abi >> 16,
            abi & 0xffff,
            ABI_MAJOR
        ))));
    }
    let memory = instance
        .get_memory(&mut *store, EXPORT_MEMORY)
        .ok_or_else(|| Fault::Other(Failure::Abi("does not export memory".into())))?;
    let buf = instance
        .get_typed_func::<(), i32>(&mut *store, EXPORT_BUFFER)?
        .call(&mut *store, ())? as u32 as usize;
    let garbage = |what: String| Fault::Other(Failure::Garbage(what));
    if buf
        .checked_add(BUFFER_SIZE)
        .is_none_or(|end| end > memory.data_size(&*store))
    {
        return Err(garbage(format!(
            "exchange buffer at {buf:#x} is outside its memory"
        )));
    }
    memory
        .write(&mut *store, buf, &obs.encode())
        .map_err(|_| garbage("exchange buffer is not writable".into()))?;
    let n = instance
        .get_typed_func::<i32, i32>(&mut *store, EXPORT_EVALUATE)?
        .call(&mut *store, OBSERVATION_SIZE as i32)?;
    let n = n as u32 as usize;
    if !(VERDICT_SIZE..=OUTPUT_MAX).contains(&n) {
        return Err(garbage(format!(
            "verdict length {} is out of range",
            n as u32 as i32
        )));
    }
    let mut out = vec![0u8; n];
    // The buffer check above covers OUTPUT_OFFSET + OUTPUT_MAX, but the guest may have
    // shrunk nothing and grown nothing; read defensively anyway.
    memory
        .read(&*store, buf + OUTPUT_OFFSET, &mut out)
        .map_err(|_| garbage("verdict is outside its memory".into()))?;
    Verdict::decode(&out).map_err(|e: AbiError| {
        let detail = match e {
            AbiError::BadCode(c) => format!("verdict code {c} is not 0, 1, 7 or 190"),
            AbiError::Version(v) => format!(
                "verdict ABI {}.{} is not {}.x",
                v >> 16,
                v & 0xffff,
                ABI_MAJOR
            ),
            e => format!("verdict: {}", e.message()),
        };
        garbage(detail)
    })
}

fn classify(err: &wasmtime::Error, denied: Option<String>, limits: &Limits) -> Failure {
    if let Some(d) = denied {
        return Failure::Limit(d);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => {
            Failure::Limit(format!("used up its fuel ({} units)", limits.fuel))
        }
        Some(Trap::Interrupt) => Failure::Limit(format!(
            "ran past its {} ms time limit",
            limits.wall.as_millis()
        )),
        Some(Trap::StackOverflow) => Failure::Limit(format!(
            "overflowed its {} KiB stack",
            limits.stack_bytes / 1024
        )),
        Some(t) => {
            let s = t.to_string();
            Failure::Trap(s.strip_prefix("wasm trap: ").unwrap_or(&s).to_owned())
        }
        None => Failure::Trap(first_line(err)),
    }
}
