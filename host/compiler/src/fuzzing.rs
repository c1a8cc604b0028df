//! Entry points for the fuzz targets in `fuzz/` (FUZZING.md). Not a stable API: hidden from
//! the documentation, changed whenever the compiler or the agent changes.

use ifaddr::policy::{engine, sample_observation, Failure, Limits, LIMITS};
use ifaddr_core::policy::{Observation, Verdict};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The agent's limits with a tenth of the fuel, so that a looping module costs a fuzzer
/// milliseconds rather than tens of them; memory, table, stack and wall clock as in the agent.
pub const FUZZ_LIMITS: Limits = Limits {
    fuel: LIMITS.fuel / 10,
    memory_bytes: LIMITS.memory_bytes,
    table_elements: LIMITS.table_elements,
    stack_bytes: LIMITS.stack_bytes,
    wall: LIMITS.wall,
};

/// What became of one module.
#[derive(Debug)]
pub struct ModuleRun {
    /// The verdict, or why there is none.
    pub outcome: Result<Verdict, Failure>,
    /// Time spent compiling (not bounded by the agent's limits).
    pub compile: Duration,
    /// Time spent instantiating and calling, when the module got that far (bounded by the
    /// wall-clock limit).
    pub run: Option<Duration>,
}

/// The observation every fuzzed module sees: the one `ifaddrc check` uses (healthy
/// interface, address present).
pub fn observation() -> Observation {
    let mut o = sample_observation(1_700_000_000_000);
    o.since_start_ms = 60_000;
    o
}

/// One engine per process, as in the agent (which runs one module per process).
fn shared_engine() -> Result<&'static wasmtime::Engine, Failure> {
    static ENGINE: OnceLock<Result<wasmtime::Engine, Failure>> = OnceLock::new();
    ENGINE
        .get_or_init(|| crate::engine_for(&engine::HOST))
        .as_ref()
        .map_err(Clone::clone)
}

/// Treat `wasm` as the bytes of a policy module file that passed the file checks: compile it
/// with the agent's engine configuration (refusing it if it is too large), check the ABI,
/// and run it once on [`observation`] within `limits`, as the agent runs a module.
pub fn policy_module(wasm: &[u8], limits: &Limits) -> ModuleRun {
    let t0 = Instant::now();
    let compiled = shared_engine().and_then(|e| {
        let module = crate::compile(e, wasm)?;
        engine::check_abi(&module)?;
        Ok((e, module))
    });
    let compile = t0.elapsed();
    let (engine, module) = match compiled {
        Ok(m) => m,
        Err(f) => {
            return ModuleRun {
                outcome: Err(f),
                compile,
                run: None,
            }
        }
    };
    let t1 = Instant::now();
    let outcome = engine::run(engine, &module, &observation(), limits);
    ModuleRun {
        outcome,
        compile,
        run: Some(t1.elapsed()),
    }
}
