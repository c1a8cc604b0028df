//! The per-instance policy state file's format (`ifaddr_core::policy::state`, which the
//! agent's `host/src/policy/state.rs` reads and writes) through its decoder and slot writer.
//!
//! Input starting with a NUL byte is the file's content (the rest of it); any other input
//! builds a file from up to two slots written by the agent's encoder, with arbitrary fields and
//! sequence numbers, then maybe damages or cuts it. Checked: decoding never panics; what it
//! accepts came from a whole, valid slot of the file (fields as written, blob at most
//! `STATE_MAX` bytes, the highest sequence number); and the agent's load-modify-save cycle
//! round-trips: after a save the file reads back as the state saved, and after two saves a
//! torn newer slot gives back the first.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use ifaddr_core::policy::state::{
    decode as policy_state, State, FILE_SIZE as STATE_FILE_SIZE, SLOT as STATE_SLOT,
};
use ifaddr_core::policy::STATE_MAX;
use libfuzzer_sys::fuzz_target;

/// The fields a state file keeps.
#[derive(Debug, Clone, Arbitrary)]
struct Fields {
    start_ms: Option<u64>,
    monitors: u32,
    blob: Vec<u8>,
}

impl Fields {
    /// A state with these fields, as the agent makes it (a policy's blob is at most
    /// `STATE_MAX` bytes).
    fn apply(&self, s: &mut State) {
        s.start_ms = self.start_ms;
        s.monitors = self.monitors;
        s.blob = heapless::Vec::from_slice(&self.blob[..self.blob.len().min(STATE_MAX)])
            .expect("at most STATE_MAX bytes");
    }

    fn state(&self) -> State {
        let mut s = State::empty();
        self.apply(&mut s);
        s
    }
}

/// A file built from slots.
#[derive(Debug, Arbitrary)]
struct Built {
    slots: [Option<(Fields, u64)>; 2],
    /// Flip the bits of one byte.
    damage: Option<(u16, u8)>,
    /// Keep only this many bytes.
    cut: Option<u16>,
}

#[derive(Debug, Arbitrary)]
struct Saves {
    first: Fields,
    second: Fields,
}

/// The part of a slot that must read back exactly: header fields and the blob.
fn check_from_slot(file: &[u8], s: &State) {
    let n = s.blob.len();
    let enc = s.encode(s.seq());
    let found = file
        .chunks(STATE_SLOT)
        .any(|c| c.len() == STATE_SLOT && c[..30] == enc[..30] && c[32..32 + n] == s.blob[..]);
    assert!(found, "{s:?} is in no slot of the file");
}

/// What the agent's `state::save` makes of a state file holding `file`: a file of the wrong
/// size is replaced by zeros first, then the next slot is written.
fn policy_state_save(file: &mut Vec<u8>, s: &State) {
    if file.len() != STATE_FILE_SIZE {
        *file = vec![0; STATE_FILE_SIZE];
    }
    let (offset, slot) = s.next_slot();
    file[offset..offset + STATE_SLOT].copy_from_slice(&slot);
}

/// The fields of `s`, with the start as the file keeps it (`u64::MAX` is "no start").
fn fields(s: &State) -> (Option<u64>, u32, &[u8]) {
    (s.start_ms.filter(|&v| v != u64::MAX), s.monitors, &s.blob)
}

fn decode_checked(file: &[u8]) -> Option<State> {
    let got = policy_state(file)?;
    assert!(file.len() <= STATE_FILE_SIZE);
    assert!(got.blob.len() <= STATE_MAX);
    assert_ne!(got.seq(), 0);
    check_from_slot(file, &got);
    // No valid slot has a higher sequence number.
    for c in file.chunks(STATE_SLOT) {
        if let Some(one) = policy_state(c) {
            assert!(one.seq() <= got.seq(), "{one:?} is newer than {got:?}");
        }
    }
    Some(got)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut file = match data.split_first() {
        Some((0, rest)) => {
            u = Unstructured::new(&[]);
            rest.to_vec()
        }
        _ => {
            let Ok(b) = Built::arbitrary(&mut u) else {
                return;
            };
            let mut file = vec![0u8; STATE_FILE_SIZE];
            let mut want: Option<(u64, State)> = None;
            for (i, slot) in b.slots.iter().enumerate() {
                if let Some((f, seq)) = slot {
                    let s = f.state();
                    file[i * STATE_SLOT..(i + 1) * STATE_SLOT].copy_from_slice(&s.encode(*seq));
                    // A slot with sequence 0 is never valid; the later slot wins a tie.
                    if *seq != 0 && want.as_ref().is_none_or(|(w, _)| *seq >= *w) {
                        want = Some((*seq, s));
                    }
                }
            }
            if b.damage.is_none() && b.cut.is_none() {
                let got = decode_checked(&file);
                match (&got, &want) {
                    (Some(g), Some((seq, w))) => {
                        assert_eq!(g.seq(), *seq);
                        assert_eq!(fields(g), fields(w));
                    }
                    (None, None) => {}
                    _ => panic!("decoded {got:?}, written {want:?}"),
                }
            }
            if let Some((at, bits)) = b.damage {
                let at = usize::from(at) % file.len();
                file[at] ^= bits;
            }
            if let Some(n) = b.cut {
                file.truncate(usize::from(n));
            }
            file
        }
    };
    // What the agent loads, then two monitors' saves.
    let mut st = decode_checked(&file).unwrap_or_else(State::empty);
    let Ok(saves) = Saves::arbitrary(&mut u) else {
        return;
    };
    saves.first.apply(&mut st);
    policy_state_save(&mut file, &st);
    assert_eq!(file.len(), STATE_FILE_SIZE);
    let first = decode_checked(&file).expect("a saved state reads back");
    assert_eq!(fields(&first), fields(&st), "saved over {st:?}");
    let mut next = first.clone();
    saves.second.apply(&mut next);
    policy_state_save(&mut file, &next);
    let second = decode_checked(&file).expect("a saved state reads back");
    assert_eq!(fields(&second), fields(&next));
    // Tear the newer slot (its checksum no longer matches): the first save comes back. Not
    // when the sequence number has saturated: then both saves went to the same slot.
    if second.seq() == first.seq() {
        assert_eq!(second.seq(), u64::MAX);
        return;
    }
    let newer = file
        .chunks(STATE_SLOT)
        .position(|c| policy_state(c).is_some_and(|s| s.seq() == second.seq()))
        .expect("the newer slot is in the file");
    file[newer * STATE_SLOT + 40] ^= 1;
    let back = decode_checked(&file).expect("the older slot is still there");
    assert_eq!(fields(&back), fields(&first));
});
