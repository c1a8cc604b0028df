//! `ifaddrc`, the ifaddr policy compiler: checks WebAssembly health policies and compiles them
//! ahead of time into the root-only cache the agent loads them from.
//!
//! The agent (`ifaddr`, installed as `ocf:ifaddr:vip`) carries wasmtime's runtime only; this
//! program is the one place Cranelift is linked. Both build their engine from
//! `ifaddr::policy::engine::config` and name artifacts by `engine_key`, so an artifact written
//! here is one the agent of the same version accepts. The library half exists for the fuzz
//! targets and the tests; the binary (`src/main.rs`) is the command line.

#![forbid(unsafe_code)]

use ifaddr::policy::engine::{self, Triple, HOST};
use ifaddr::policy::{hex, sha256, trust, Failure, MODULE_MAX};
use std::path::{Path, PathBuf};
use wasmtime::{Engine, Module};

pub mod cli;
#[doc(hidden)]
pub mod fuzzing;
pub mod scaffold;

/// A compiling engine for `target`: the agent's configuration with Cranelift enabled.
pub fn engine_for(target: &Triple) -> Result<Engine, Failure> {
    Engine::new(&engine::config(target)?)
        .map_err(|e| Failure::Engine(format!("cannot configure wasmtime for {target}: {e}")))
}

/// Compile untrusted module bytes with `engine` (for this machine): the module, ABI not yet
/// checked.
pub fn compile(engine: &Engine, wasm: &[u8]) -> Result<Module, Failure> {
    if wasm.len() as u64 > MODULE_MAX {
        return Err(Failure::File(trust::Refused::TooLarge(wasm.len() as u64)));
    }
    Module::new(engine, wasm).map_err(|e| {
        Failure::Invalid(format!(
            "is not a valid WebAssembly module: {}",
            engine::first_line(&e)
        ))
    })
}

/// The artifact of `wasm` for `target`, after checking the module against the policy ABI
/// (on this machine, so that a module for another architecture is checked too).
pub fn artifact(wasm: &[u8], target: &Triple) -> Result<Vec<u8>, Failure> {
    let host = engine_for(&HOST)?;
    let module = compile(&host, wasm)?;
    engine::check_abi(&module)?;
    let bytes = if *target == HOST {
        module.serialize()
    } else {
        engine_for(target)?.precompile_module(wasm)
    };
    bytes.map_err(|e| Failure::Engine(format!("cannot serialize the compiled module: {e}")))
}

/// `ifaddrc compile`: compile the trusted module file at `path` for `target` and store its
/// artifact in `cache` (created root-only if missing), replacing artifacts of the same module
/// made for other engines. Returns the artifact's path.
pub fn compile_file(path: &Path, cache: &Path, target: &Triple) -> Result<PathBuf, Failure> {
    let wasm = trust::read(path, MODULE_MAX, false).map_err(Failure::File)?;
    let digest = sha256(&wasm);
    let bytes = artifact(&wasm, target)?;
    let art = engine::artifact_path(cache, &digest);
    let store_failed = |e: String| {
        Failure::Artifact(format!(
            "the artifact could not be stored in {}: {e}",
            cache.display()
        ))
    };
    trust::private_dir(cache).map_err(store_failed)?;
    trust::write_atomic(&art, &bytes, true)
        .map_err(|e| store_failed(ifaddr::policy::io_text(&e)))?;
    remove_stale(cache, &digest, &art);
    Ok(art)
}

/// Remove artifacts of the module `digest` other than `keep` (made by another engine: the
/// agent would never load them again).
fn remove_stale(cache: &Path, digest: &[u8; 32], keep: &Path) {
    let prefix = format!("{}-", hex(digest));
    let Ok(entries) = std::fs::read_dir(cache) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(&prefix) && name.ends_with(".cwasm") && e.path() != keep {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
