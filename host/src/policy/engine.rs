//! The wasmtime side of policies: one engine configuration (shared by the compiling and the
//! runtime-only builds so their artifacts are interchangeable), the root-only artifact cache,
//! the ABI check and a sandboxed call with fuel, memory, stack and wall-clock limits.

use super::{hex, sha256, trust, Failure, Limits, LIMITS};
use ifaddr_core::policy::{
    AbiError, Observation, Verdict, ABI_MAJOR, BUFFER_SIZE, EXPORT_ABI, EXPORT_BUFFER,
    EXPORT_EVALUATE, EXPORT_MEMORY, OBSERVATION_SIZE, OUTPUT_MAX, OUTPUT_OFFSET, VERDICT_SIZE,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::{
    Config, Engine, ExternType, Instance, Module, ResourceLimiter, Store, Trap, ValType,
};

/// Everything in the engine configuration that affects compiled code, as text: the cache key
/// includes its digest, so changing any of it (or the wasmtime or ifaddr version) makes new
/// artifacts instead of reusing old ones. wasmtime checks compatibility again on load.
const ENGINE_ID: &str = concat!(
    "ifaddr ",
    env!("CARGO_PKG_VERSION"),
    "; wasmtime 48; fuel; epoch; stack 262144; no-cow; no-address-map; no-backtrace"
);

/// Whether this build can compile modules (the `policy` feature, with Cranelift).
pub const CAN_COMPILE: bool = cfg!(feature = "policy");

pub fn engine() -> Result<Engine, Failure> {
    let mut c = Config::new();
    c.consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(LIMITS.stack_bytes)
        // A one-shot process: copying data segments is cheaper than building a CoW image.
        .memory_init_cow(false)
        .generate_address_map(false)
        .wasm_backtrace_max_frames(None);
    Engine::new(&c).map_err(|e| Failure::Engine(format!("cannot configure wasmtime: {e}")))
}

/// `sha256(ENGINE_ID)`, shortened: the engine half of the cache key.
pub fn engine_key() -> String {
    hex(&sha256(ENGINE_ID.as_bytes()))[..16].to_owned()
}

/// `<cache>/<sha256 of module>-<engine key>.cwasm`.
pub fn artifact_path(dir: &Path, digest: &[u8; 32]) -> PathBuf {
    dir.join(format!("{}-{}.cwasm", hex(digest), engine_key()))
}

/// Load a module: from the cache when a trusted artifact is there, else (compiling builds)
/// compile it and store the artifact. `compile_only` forces a fresh compile.
pub fn load(
    engine: &Engine,
    wasm: &[u8],
    digest: &[u8; 32],
    cache: &Path,
    force_compile: bool,
) -> Result<(Module, Source), Failure> {
    let art = artifact_path(cache, digest);
    if !force_compile {
        match cached(engine, cache, &art) {
            Ok(Some(m)) => return Ok((m, Source::Cache(art))),
            Ok(None) => {}
            Err(e) if CAN_COMPILE => crate::log::warn(&format!("{e}; compiling again")),
            Err(e) => return Err(Failure::Artifact(e)),
        }
    }
    compile_and_store(engine, wasm, cache, &art)
}

/// Where a loaded module came from.
#[derive(Debug)]
pub enum Source {
    Cache(PathBuf),
    #[cfg_attr(not(feature = "policy"), allow(dead_code))]
    Compiled {
        stored: Option<PathBuf>,
    },
}

fn cached(engine: &Engine, cache: &Path, art: &Path) -> Result<Option<Module>, String> {
    match trust::trusted_dir(cache) {
        Ok(()) => {}
        Err(_) if !cache.exists() => return Ok(None),
        Err(e) => return Err(format!("artifact cache refused: {e}")),
    }
    let bytes = match trust::read(art, 64 << 20, false) {
        Ok(b) => b,
        Err(trust::Refused::Missing) => return Ok(None),
        Err(e) => return Err(format!("precompiled artifact {} {e}", art.display())),
    };
    // SAFETY: `Module::deserialize` trusts its input to be wasmtime's own output. These bytes
    // come from a root-owned file, not writable by group or others, in a root-owned directory
    // not writable by group or others, opened without following symbolic links: only root
    // (that is, this agent's compile step) can have written it. wasmtime still checks the
    // header, version and engine compatibility and errors out on a mismatch.
    unsafe { Module::deserialize(engine, &bytes) }
        .map(Some)
        .map_err(|e| format!("precompiled artifact {} is unusable: {e}", art.display()))
}

#[cfg(feature = "policy")]
fn compile_and_store(
    engine: &Engine,
    wasm: &[u8],
    cache: &Path,
    art: &Path,
) -> Result<(Module, Source), Failure> {
    let bytes = engine.precompile_module(wasm).map_err(|e| {
        Failure::Invalid(format!(
            "is not a valid WebAssembly module: {}",
            first_line(&e)
        ))
    })?;
    // SAFETY: these bytes were produced just now by `precompile_module` of this engine.
    let module = unsafe { Module::deserialize(engine, &bytes) }
        .map_err(|e| Failure::Engine(format!("cannot load the compiled module: {e}")))?;
    let stored = match trust::private_dir(cache)
        .and_then(|()| trust::write_atomic(art, &bytes, true).map_err(|e| super::io_text(&e)))
    {
        Ok(()) => Some(art.to_path_buf()),
        Err(e) => {
            crate::log::warn(&format!(
                "precompiled artifact not cached in {}: {e}",
                cache.display()
            ));
            None
        }
    };
    Ok((module, Source::Compiled { stored }))
}

#[cfg(not(feature = "policy"))]
fn compile_and_store(
    _engine: &Engine,
    _wasm: &[u8],
    _cache: &Path,
    art: &Path,
) -> Result<(Module, Source), Failure> {
    Err(Failure::Artifact(format!(
        "no precompiled artifact {} and this build cannot compile (run `ifaddr policy compile` \
         with a full build)",
        art.display()
    )))
}

fn first_line(e: &wasmtime::Error) -> String {
    let s = format!("{e:#}");
    s.lines().next().unwrap_or("").to_owned()
}

/// One export the ABI expects, with its signature.
pub struct Export {
    pub name: String,
    pub kind: String,
}

/// The module's exports, described for `ifaddr policy check`.
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

/// Interrupts the store's wasm after `limit` unless dropped first. The thread allocates
/// nothing (so it needs no malloc arena of its own): it parks until the deadline or until
/// the run ends.
struct Alarm(Option<(Arc<AtomicBool>, std::thread::Thread)>);

impl Alarm {
    fn set(engine: &Engine, limit: Duration) -> Alarm {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let weak = engine.weak();
        let deadline = Instant::now() + limit;
        let spawned = std::thread::Builder::new()
            .name("policy-alarm".into())
            .stack_size(64 * 1024)
            .spawn(move || loop {
                if flag.load(Ordering::Acquire) {
                    return;
                }
                let now = Instant::now();
                if now >= deadline {
                    if let Some(e) = weak.upgrade() {
                        e.increment_epoch();
                    }
                    return;
                }
                std::thread::park_timeout(deadline - now);
            });
        match spawned {
            Ok(h) => Alarm(Some((done, h.thread().clone()))),
            // No thread: fuel still bounds the run; the log says so.
            Err(e) => {
                crate::log::warn(&format!("policy wall-clock alarm unavailable: {e}"));
                Alarm(None)
            }
        }
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        if let Some((done, thread)) = self.0.take() {
            done.store(true, Ordering::Release);
            thread.unpark();
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
    let _alarm = Alarm::set(engine, limits.wall);
    let result = call(&mut store, module, obs);
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
