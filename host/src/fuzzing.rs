//! Entry points for the fuzz targets in `fuzz/` (FUZZING.md). Not a stable API: hidden from
//! the documentation, changed whenever the agent changes.
//!
//! Each function runs the agent's own code on bytes that would come from a file: a policy
//! module ([`policy_module`]) and the per-instance state file ([`policy_state`],
//! [`policy_state_save`]). Only the file access and its trust checks are left out.

pub use crate::policy::state::{State, FILE_SIZE as STATE_FILE_SIZE, SLOT as STATE_SLOT};
pub use crate::policy::{Failure, Limits, LIMITS, MODULE_MAX};

/// The state the agent reads from a state file holding `file`: `None` when no slot is valid
/// (the agent then starts from an empty state). The same decoder `state::load` uses.
pub fn policy_state(file: &[u8]) -> Option<State> {
    crate::policy::state::decode(file)
}

/// What `state::save` of `s` makes of a state file holding `file`: a file of the wrong size is
/// replaced by zeros first, then the next slot is written.
pub fn policy_state_save(file: &mut Vec<u8>, s: &State) {
    if file.len() != STATE_FILE_SIZE {
        *file = vec![0; STATE_FILE_SIZE];
    }
    let (offset, slot) = s.next_slot();
    file[offset..offset + STATE_SLOT].copy_from_slice(&slot);
}

#[cfg(feature = "policy")]
pub use module::*;

#[cfg(feature = "policy")]
mod module {
    use super::{Failure, Limits, LIMITS, MODULE_MAX};
    use crate::policy::{engine, trust};
    use ifaddr_core::policy::{Observation, Verdict};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// The agent's limits with a tenth of the fuel, so that a looping module costs a fuzzer
    /// milliseconds rather than tens of them; memory, table, stack and wall clock as in the
    /// agent.
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
        /// Time spent instantiating and calling, when the module got that far (bounded by
        /// the wall-clock limit).
        pub run: Option<Duration>,
    }

    /// The observation every fuzzed module sees: the one `ifaddr policy check` uses (healthy
    /// interface, address present).
    pub fn observation() -> Observation {
        let mut o = crate::policy::sample_observation(1_700_000_000_000);
        o.since_start_ms = 60_000;
        o
    }

    /// One engine per process, as in the agent (which runs one module per process).
    fn shared_engine() -> Result<&'static wasmtime::Engine, Failure> {
        static ENGINE: OnceLock<Result<wasmtime::Engine, Failure>> = OnceLock::new();
        ENGINE
            .get_or_init(engine::engine)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Treat `wasm` as the bytes of a policy module file that passed the file checks: refuse
    /// it if it is too large, compile it with the agent's engine configuration, check the
    /// ABI, and run it once on [`observation`] within `limits`: the agent's path for a
    /// module it has no cached artifact for.
    pub fn policy_module(wasm: &[u8], limits: &Limits) -> ModuleRun {
        let t0 = Instant::now();
        let compiled = if wasm.len() as u64 > MODULE_MAX {
            Err(Failure::File(trust::Refused::TooLarge(wasm.len() as u64)))
        } else {
            shared_engine().and_then(|e| {
                let (module, _artifact) = engine::compile(e, wasm)?;
                engine::check_abi(&module)?;
                Ok((e, module))
            })
        };
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
}
