//! The per-instance policy state file's format: when the resource was started, how many
//! monitors ran since, and the policy's state blob, in two checksummed slots with a sequence
//! number. A save overwrites the older slot in place, a load takes the valid slot with the
//! higher number, so an update is atomic without a rename or an fsync (the agent's
//! `host/src/policy/state.rs` does the file I/O). All fields are little-endian.

use super::STATE_MAX;
use core::ops::Range;
use heapless::Vec;

/// Byte ranges of one slot.
mod field {
    use super::{Range, STATE_MAX};
    pub const MAGIC: Range<usize> = 0..4;
    pub const VERSION: Range<usize> = 4..8;
    pub const SEQ: Range<usize> = 8..16;
    pub const START: Range<usize> = 16..24;
    pub const MONITORS: Range<usize> = 24..28;
    pub const BLOB_LEN: Range<usize> = 28..30;
    // 30..32 reserved, zero.
    pub const BLOB: usize = 32;
    pub const SUM: Range<usize> = BLOB + STATE_MAX..BLOB + STATE_MAX + 8;
}

const MAGIC: &[u8; 4] = b"IFPS";
const VERSION: u32 = 2;
/// One slot: header, blob, checksum.
pub const SLOT: usize = field::SUM.end;
/// A state file: two slots.
pub const FILE_SIZE: usize = 2 * SLOT;
/// The start time of a state that saw no start.
const NO_START: u64 = u64::MAX;

/// What is kept between monitors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    /// Boot-clock milliseconds at start, if the agent saw the start.
    pub start_ms: Option<u64>,
    pub monitors: u32,
    /// The policy's blob (a verdict's state, at most `STATE_MAX` bytes).
    pub blob: Vec<u8, STATE_MAX>,
    /// Sequence number of the slot this state was read from (0: none).
    seq: u64,
}

impl State {
    /// No start seen, no monitors, no blob.
    pub fn empty() -> State {
        State::default()
    }

    /// A fresh state for a resource started at `start_ms`.
    pub fn started(start_ms: u64) -> State {
        State {
            start_ms: Some(start_ms),
            ..State::default()
        }
    }

    /// Sequence number of the slot this state was read from (0: none).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The slot a save writes, and its offset in the file: the slot after the one this state
    /// was read from, with the next sequence number. The number saturates rather than wrap:
    /// a wrapped one would lose to the older slot, so every later save would read back as
    /// that stale state. (Counting from 1 it is never reached; a file can only hold it if
    /// someone wrote it so. Saves then all go to the same slot.)
    pub fn next_slot(&self) -> (usize, [u8; SLOT]) {
        let seq = self.seq.saturating_add(1);
        ((seq % 2) as usize * SLOT, self.encode(seq))
    }

    /// One slot with sequence number `seq`.
    pub fn encode(&self, seq: u64) -> [u8; SLOT] {
        let mut b = [0u8; SLOT];
        b[field::MAGIC].copy_from_slice(MAGIC);
        b[field::VERSION].copy_from_slice(&VERSION.to_le_bytes());
        b[field::SEQ].copy_from_slice(&seq.to_le_bytes());
        b[field::START].copy_from_slice(&self.start_ms.unwrap_or(NO_START).to_le_bytes());
        b[field::MONITORS].copy_from_slice(&self.monitors.to_le_bytes());
        // At most STATE_MAX (the Vec's capacity), which fits in u16.
        b[field::BLOB_LEN].copy_from_slice(&(self.blob.len() as u16).to_le_bytes());
        b[field::BLOB..field::BLOB + self.blob.len()].copy_from_slice(&self.blob);
        let sum = fnv1a(&b[..field::SUM.start]);
        b[field::SUM].copy_from_slice(&sum.to_le_bytes());
        b
    }

    /// The state one slot holds, if it is a whole, valid slot.
    pub fn decode_slot(b: &[u8]) -> Option<State> {
        let b: &[u8; SLOT] = b.try_into().ok()?;
        let le = |r: Range<usize>| {
            let mut a = [0u8; 8];
            a[..r.len()].copy_from_slice(&b[r]);
            u64::from_le_bytes(a)
        };
        if &b[field::MAGIC] != MAGIC
            || le(field::VERSION) != u64::from(VERSION)
            || le(field::SUM) != fnv1a(&b[..field::SUM.start])
        {
            return None;
        }
        let seq = le(field::SEQ);
        let n = le(field::BLOB_LEN) as usize;
        if seq == 0 {
            return None;
        }
        let blob = Vec::from_slice(b.get(field::BLOB..field::BLOB + n)?).ok()?;
        let start = le(field::START);
        Some(State {
            start_ms: (start != NO_START).then_some(start),
            monitors: le(field::MONITORS) as u32,
            blob,
            seq,
        })
    }
}

/// The state a state file's bytes hold: its valid slot with the higher sequence number (the
/// later slot on a tie), or `None` when no slot is valid or the file is longer than a state
/// file.
pub fn decode(file: &[u8]) -> Option<State> {
    if file.len() > FILE_SIZE {
        return None;
    }
    file.chunks(SLOT)
        .filter_map(State::decode_slot)
        .max_by_key(|s| s.seq)
}

/// FNV-1a, 64 bits: enough to tell a torn write from a whole one.
fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &c| {
        (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec as StdVec;

    fn with(monitors: u32, blob: &[u8]) -> State {
        State {
            monitors,
            blob: Vec::from_slice(blob).unwrap(),
            ..State::started(5)
        }
    }

    fn cat(a: [u8; SLOT], b: [u8; SLOT]) -> StdVec<u8> {
        let mut v = a.to_vec();
        v.extend_from_slice(&b);
        v
    }

    /// The layout, byte by byte, for a small state.
    #[test]
    fn slot_bytes() {
        let s = with(7, b"ab");
        let b = s.encode(3);
        assert_eq!(&b[..4], b"IFPS");
        assert_eq!(b[4..8], [2, 0, 0, 0]);
        assert_eq!(b[8..16], [3, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(b[16..24], [5, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(b[24..28], [7, 0, 0, 0]);
        assert_eq!(b[28..32], [2, 0, 0, 0]);
        assert_eq!(&b[32..34], b"ab");
        assert!(b[34..SLOT - 8].iter().all(|&x| x == 0));
        assert_eq!(SLOT, 32 + STATE_MAX + 8);
        assert_eq!(b[SLOT - 8..], fnv1a(&b[..SLOT - 8]).to_le_bytes());
    }

    /// Found by the `policy_state` fuzz target: a file whose newer slot had sequence number
    /// `u64::MAX - 1` or `u64::MAX` made the next saves wrap to 1 and lose to the older slot.
    #[test]
    fn saves_read_back_at_the_end_of_the_sequence() {
        for old in [u64::MAX - 1, u64::MAX] {
            let mut file = cat(with(1, b"old").encode(old - 1), with(2, b"old").encode(old));
            let mut st = decode(&file).unwrap();
            for monitors in 3..6 {
                st.monitors = monitors;
                let (offset, slot) = st.next_slot();
                file[offset..offset + SLOT].copy_from_slice(&slot);
                st = decode(&file).unwrap();
                assert_eq!(st.monitors, monitors, "after {old}");
            }
        }
    }

    #[test]
    fn decode_takes_the_newest_valid_slot() {
        let (a, b) = (with(1, b"a"), with(2, b"bb"));
        let file = cat(a.encode(3), b.encode(4));
        let got = decode(&file).unwrap();
        assert_eq!((got.monitors, got.seq()), (2, 4));
        assert_eq!(&got.blob[..], b"bb");
        // Either order, and a tie goes to the second slot.
        assert_eq!(decode(&cat(b.encode(9), a.encode(8))).unwrap().monitors, 2);
        assert_eq!(decode(&cat(a.encode(7), b.encode(7))).unwrap().monitors, 2);
        // One whole slot is enough; a cut one is not.
        assert_eq!(decode(&a.encode(1)).unwrap().monitors, 1);
        assert_eq!(decode(&file[..SLOT + 1]).unwrap().monitors, 1);
        assert_eq!(decode(&file[..SLOT - 1]), None);
        assert_eq!(decode(&[]), None);
        // Sequence 0 is never written; a file longer than two slots is not a state file.
        assert_eq!(decode(&a.encode(0)), None);
        let mut long = file.clone();
        long.push(0);
        assert_eq!(decode(&long), None);
        // A blob length over STATE_MAX is refused even with a valid checksum.
        let mut bad = a.encode(1);
        bad[28..30].copy_from_slice(&(STATE_MAX as u16 + 1).to_le_bytes());
        let sum = fnv1a(&bad[..SLOT - 8]);
        bad[SLOT - 8..].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(decode(&bad), None);
        // No start is the all-ones start time.
        assert_eq!(decode(&State::empty().encode(1)).unwrap().start_ms, None);
        // A torn slot (checksum off) is not used.
        let mut torn = file.clone();
        torn[SLOT + 40] ^= 1;
        assert_eq!(decode(&torn).unwrap().monitors, 1);
    }
}
