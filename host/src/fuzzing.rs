//! Entry points for the fuzz targets in `fuzz/` (FUZZING.md). Not a stable API: hidden from
//! the documentation, changed whenever the agent changes.
//!
//! Each function runs the agent's own code on the bytes of a per-instance state file
//! ([`policy_state`], [`policy_state_save`]); only the file access and its trust checks are
//! left out. A policy module's bytes go through the compiler's entry point,
//! `ifaddrc::fuzzing::policy_module`.

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
