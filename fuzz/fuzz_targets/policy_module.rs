//! Arbitrary policy modules through the compiler and the agent's sandbox
//! (`ifaddrc::fuzzing::policy_module`: size check, compile with the agent's engine
//! configuration, ABI check, one sandboxed run on a fixed observation). Every module is refused or runs within its limits: the outcome is a
//! well-formed verdict or one of the documented failures, never a panic or an engine error,
//! and the run (instantiation plus calls) ends within the wall-clock limit plus slack.
//!
//! Input starting with a NUL byte (as every WebAssembly binary does) is the module itself;
//! any other input drives `wasm-smith`, which builds a valid module exporting the policy ABI
//! (memory and the three functions, no imports) with arbitrary code, start function, data,
//! tables and globals, so that instantiation and the calls run often enough to meet the fuel,
//! memory, table and stack limits.
#![no_main]

use arbitrary::Unstructured;
use ifaddr::policy::{Failure, MODULE_MAX};
use ifaddr_core::policy::{
    ABI_MAJOR, EXPORT_ABI, EXPORT_BUFFER, EXPORT_EVALUATE, EXPORT_MEMORY, MESSAGE_MAX, OUTPUT_MAX,
    STATE_MAX, VERDICT_SIZE,
};
use ifaddrc::fuzzing::{policy_module, FUZZ_LIMITS};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Duration;

/// Allowed on top of the wall-clock limit: the alarm thread's wake-up, the guest's next epoch
/// check and dropping the store (AddressSanitizer builds are slow).
const SLACK: Duration = Duration::from_secs(2);

/// A module with exactly the exports the agent requires, for `wasm_smith::Config::exports`.
fn abi_exports() -> &'static [u8] {
    static EXPORTS: OnceLock<Vec<u8>> = OnceLock::new();
    EXPORTS.get_or_init(|| {
        wat::parse_str(format!(
            r#"(module
                (memory (export "{EXPORT_MEMORY}") 1)
                (func (export "{EXPORT_ABI}") (result i32) unreachable)
                (func (export "{EXPORT_BUFFER}") (result i32) unreachable)
                (func (export "{EXPORT_EVALUATE}") (param i32) (result i32) unreachable))"#
        ))
        .expect("the export description is valid WebAssembly text")
    })
}

/// A valid module with the policy exports, from arbitrary bytes.
fn smith(data: &[u8]) -> Option<Vec<u8>> {
    let mut c = wasm_smith::Config::default();
    c.exports = Some(abi_exports().to_vec());
    c.max_imports = 0;
    c.allow_start_export = true;
    // Proposals the agent's engine does not enable (its wasmtime is built without them).
    c.gc_enabled = false;
    c.exceptions_enabled = false;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.memory64_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.wide_arithmetic_enabled = false;
    wasm_smith::Module::new(c, &mut Unstructured::new(data))
        .ok()
        .map(|m| m.to_bytes())
}

fuzz_target!(|data: &[u8]| {
    let generated = data.first() != Some(&0);
    let wasm = if generated {
        match smith(data) {
            Some(w) => w,
            None => return,
        }
    } else {
        data.to_vec()
    };
    let r = policy_module(&wasm, &FUZZ_LIMITS);
    if let Some(t) = r.run {
        assert!(
            t <= FUZZ_LIMITS.wall + SLACK,
            "the run took {t:?}, limit {:?}: {:?}",
            FUZZ_LIMITS.wall,
            r.outcome
        );
    }
    match &r.outcome {
        Ok(v) => {
            // What the agent hands on: a valid decision, in-range lengths, a verdict of its
            // ABI and of a size the guest could have written.
            assert!(v.decision().is_some(), "{v:?}");
            assert_eq!(v.abi >> 16, u32::from(ABI_MAJOR));
            assert!((VERDICT_SIZE..=OUTPUT_MAX).contains(&(v.size as usize)));
            assert!(usize::from(v.message_len) <= MESSAGE_MAX);
            assert!(usize::from(v.state_len) <= STATE_MAX);
            assert_eq!(v.message_bytes().len(), usize::from(v.message_len));
            assert_eq!(v.state_bytes().len(), usize::from(v.state_len));
        }
        // Refused before running: never ran.
        Err(Failure::File(_)) => {
            assert!(wasm.len() as u64 > MODULE_MAX);
            assert!(r.run.is_none());
        }
        Err(Failure::Invalid(_)) => assert!(r.run.is_none()),
        // The ABI check before running, or the version the module answers.
        Err(Failure::Abi(_)) => {}
        // Misbehaviour found while running.
        Err(Failure::Trap(_) | Failure::Limit(_) | Failure::Garbage(_)) => {
            assert!(r.run.is_some(), "{:?}", r.outcome)
        }
        // wasmtime failing on a module it compiled itself, or outcomes of other builds.
        Err(f @ (Failure::Engine(_) | Failure::Artifact(_) | Failure::NotBuilt)) => {
            panic!("unexpected failure: {f:?}")
        }
    }
    if let Err(f) = &r.outcome {
        assert!(!f.describe("/etc/ifaddr/p.wasm").is_empty());
    }
});
