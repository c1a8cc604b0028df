//! `ifaddr-policy`: write an ifaddr WebAssembly health policy as one Rust function.
//!
//! ```text
//! #![cfg_attr(target_arch = "wasm32", no_std)]
//! use ifaddr_policy::{flag, reason, Observation, Verdict};
//!
//! ifaddr_policy::policy!(decide);
//!
//! pub fn decide(obs: &Observation) -> Verdict {
//!     if obs.has(flag::LINK_UP) { Verdict::running() } else { Verdict::failed(reason::LINK_DOWN) }
//! }
//! ```
//!
//! The [`policy!`] macro emits the three exports the agent calls (see
//! `ifaddr_core::policy`): the ABI version, the exchange buffer and `evaluate`, which decodes
//! the [`Observation`], calls your function and encodes its [`Verdict`]. The types are the
//! agent's own (re-exported from `ifaddr-core`), so host and guest cannot disagree on the
//! layout. No allocator is needed; state between monitors travels in the verdict's state
//! blob ([`Verdict::with_state`]) and comes back as [`Observation::state`].
//!
//! Build for `wasm32-unknown-unknown` with a small stack (`-C link-arg=-zstack-size=32768`):
//! the agent allows 1 MiB of linear memory. Because the policy is a plain function, its unit
//! tests run natively.
//!
//! Testing: [`Sim`] drives the function through successive monitors natively, each observation
//! a line of `key=value` words (the format of `ifaddrc check --replay`, see [`text`]), and
//! feeds each verdict's state into the next observation; [`Observation::new`] and its
//! setters ([`Observation::set`], [`Observation::set_state`], ...) build one by hand.
//!
//! Start a new policy with `ifaddrc new NAME`: a crate with this SDK, the wasm32 stack and
//! size settings, a `decide` function and a native test.
#![no_std]

use core::cell::UnsafeCell;

pub use ifaddr_core::policy::{
    arg, arg_u64, flag, reason, AbiError, Decision, Observation, Verdict, ABI_VERSION, ARGS_MAX,
    BUFFER_SIZE, MESSAGE_MAX, OUTPUT_OFFSET, STATE_MAX,
};

/// Observations as `key=value` text, for tests and `ifaddrc check --replay`.
pub use ifaddr_core::policy::text;

pub mod sim;
pub use sim::Sim;

/// A message of at most [`MESSAGE_MAX`] bytes built with `write!` (no allocator). A write that
/// does not fit keeps what fits (at a character boundary), ends the text with `~` so that the
/// cut shows, and returns an error, as does every write after it.
///
/// ```
/// use core::fmt::Write;
/// let mut t = ifaddr_policy::Text::new();
/// let _ = write!(t, "held by {}", ifaddr_policy::Mac([2, 0, 0, 0, 0, 0x99]));
/// assert_eq!(t.as_str(), "held by 02:00:00:00:00:99");
/// ```
#[derive(Debug, Clone)]
pub struct Text {
    b: [u8; MESSAGE_MAX],
    n: usize,
    /// A write did not fit; the text ends with the `~` mark.
    cut: bool,
}

impl Text {
    pub const fn new() -> Text {
        Text {
            b: [0; MESSAGE_MAX],
            n: 0,
            cut: false,
        }
    }

    pub fn as_str(&self) -> &str {
        // Whole strings, or a cut at a character boundary and the ASCII mark: always UTF-8.
        core::str::from_utf8(&self.b[..self.n]).unwrap_or_default()
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::new()
    }
}

impl core::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if self.cut {
            return Err(core::fmt::Error);
        }
        let room = self.b.len() - self.n;
        if s.len() <= room {
            self.b[self.n..self.n + s.len()].copy_from_slice(s.as_bytes());
            self.n += s.len();
            return Ok(());
        }
        // Room for what fits before the mark; when the text is full already, the mark
        // replaces its last character.
        if room == 0 {
            self.n -= 1;
            while self.n > 0 && self.b[self.n] & 0xc0 == 0x80 {
                self.n -= 1;
            }
        } else {
            let mut take = room - 1;
            while !s.is_char_boundary(take) {
                take -= 1;
            }
            self.b[self.n..self.n + take].copy_from_slice(&s.as_bytes()[..take]);
            self.n += take;
        }
        self.b[self.n] = b'~';
        self.n += 1;
        self.cut = true;
        Err(core::fmt::Error)
    }
}

/// A hardware address, displayed as `02:00:5e:10:00:01` (e.g. [`Observation::conflict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

impl core::fmt::Display for Mac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// Read `N` little-endian `u64` words from a state blob; missing words are zero.
pub fn load_words<const N: usize>(blob: &[u8]) -> [u64; N] {
    let mut w = [0u64; N];
    for (i, chunk) in blob.chunks_exact(8).take(N).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        w[i] = u64::from_le_bytes(b);
    }
    w
}

/// Encode `N` words as a state blob (`N` must be at most `STATE_MAX / 8`); returns the blob
/// and its length, ready for [`Verdict::with_state`].
pub fn store_words<const N: usize>(w: &[u64; N]) -> ([u8; STATE_MAX], usize) {
    let mut b = [0u8; STATE_MAX];
    let n = N.min(STATE_MAX / 8);
    for (i, v) in w.iter().take(n).enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    (b, n * 8)
}

/// Counter growth per second between two samples, in thousandths (so a threshold of
/// "0.5 per second" is 500). A counter that went backwards (reset) or no elapsed time yields
/// `None`: take a new baseline.
pub fn rate_milli(prev: u64, now: u64, dt_ms: u64) -> Option<u64> {
    if now < prev || dt_ms == 0 {
        return None;
    }
    // per-second rate * 1000 = delta * 1000 / (dt_ms / 1000) = delta * 1_000_000 / dt_ms
    Some(((now - prev) as u128 * 1_000_000 / dt_ms as u128).min(u64::MAX as u128) as u64)
}

#[repr(C, align(16))]
struct Area(UnsafeCell<[u8; BUFFER_SIZE]>);

// SAFETY: a WebAssembly instance is single-threaded and the agent never calls into it
// re-entrantly, so the area is never accessed concurrently.
unsafe impl Sync for Area {}

static AREA: Area = Area(UnsafeCell::new([0; BUFFER_SIZE]));

/// Support for [`policy!`]; not a stable interface.
#[doc(hidden)]
pub mod __rt {
    use super::*;

    pub fn buffer() -> *mut u8 {
        AREA.0.get().cast()
    }

    pub fn evaluate(len: u32, decide: fn(&Observation) -> Verdict) -> u32 {
        // SAFETY: see `impl Sync for Area`: this is the only live reference to the area for
        // the duration of the call.
        let area = unsafe { &mut *AREA.0.get() };
        let n = (len as usize).min(ifaddr_core::policy::INPUT_MAX);
        let verdict = match Observation::decode(&area[..n]) {
            Ok(obs) => decide(&obs),
            Err(e) => Verdict::failed(reason::ABI).with_message(e.message()),
        };
        let out = verdict.encode();
        area[OUTPUT_OFFSET..OUTPUT_OFFSET + out.len()].copy_from_slice(&out);
        out.len() as u32
    }
}

/// Export `$decide: fn(&Observation) -> Verdict` as the module's policy.
#[macro_export]
macro_rules! policy {
    ($decide:path) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn ifaddr_policy_abi() -> u32 {
            $crate::ABI_VERSION
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn ifaddr_policy_buffer() -> *mut u8 {
            $crate::__rt::buffer()
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn ifaddr_policy_evaluate(len: u32) -> u32 {
            $crate::__rt::evaluate(len, $decide)
        }
    };
}

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // A trap: the agent reports the policy as failed and logs it.
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_mac() {
        use core::fmt::Write;
        let mut t = Text::new();
        write!(t, "x {}", Mac([0xde, 0xad, 0, 1, 2, 0xff])).unwrap();
        assert_eq!(t.as_str(), "x de:ad:00:01:02:ff");
        // Exactly full: no mark. One more character: the last one becomes the mark.
        let mut t = Text::new();
        for _ in 0..MESSAGE_MAX / 2 {
            t.write_str("é").unwrap();
        }
        assert_eq!(t.as_str().len(), MESSAGE_MAX);
        assert!(t.write_str("x").is_err());
        assert_eq!(t.as_str().len(), MESSAGE_MAX - 1);
        assert!(t.as_str().ends_with("é~"));
        assert!(t.write_str("y").is_err(), "every write after a cut fails");
        assert!(t.as_str().ends_with("é~"));
        // A cut inside a character keeps the whole characters before it, then the mark.
        let mut t = Text::new();
        t.write_str("a").unwrap();
        let failed = (0..100).filter(|_| t.write_str("é").is_err()).count();
        assert_eq!(failed, 100 - 63);
        // 1 + 63 * 2 = 127 bytes, then `~`.
        assert_eq!(t.as_str().len(), MESSAGE_MAX);
        assert!(t.as_str().ends_with("é~"));
        let mut t = Text::new();
        assert!(t.write_str(&"z".repeat(MESSAGE_MAX + 5)).is_err());
        let s = t.as_str();
        assert_eq!(s.len(), MESSAGE_MAX);
        assert!(s.ends_with("z~") && s.bytes().filter(|&c| c == b'z').count() == MESSAGE_MAX - 1);
    }

    #[test]
    fn words_round_trip() {
        let (b, n) = store_words(&[1, u64::MAX, 3]);
        assert_eq!(n, 24);
        assert_eq!(load_words::<3>(&b[..n]), [1, u64::MAX, 3]);
        assert_eq!(load_words::<4>(&b[..n]), [1, u64::MAX, 3, 0]);
        assert_eq!(load_words::<2>(&[]), [0, 0]);
    }

    #[test]
    fn rates() {
        assert_eq!(rate_milli(10, 20, 1000), Some(10_000));
        assert_eq!(rate_milli(0, 1, 2000), Some(500));
        assert_eq!(rate_milli(5, 4, 1000), None);
        assert_eq!(rate_milli(5, 6, 0), None);
        assert_eq!(rate_milli(0, u64::MAX, 1), Some(u64::MAX));
    }

    fn decide(o: &Observation) -> Verdict {
        Verdict::degraded(reason::CUSTOM).with_state(o.args())
    }

    #[test]
    fn evaluate_through_the_area() {
        let mut o = Observation::new();
        o.set_args(b"hello").unwrap();
        let enc = o.encode();
        // SAFETY: single-threaded test; no other reference to the area is live.
        let area = unsafe { &mut *AREA.0.get() };
        area[..enc.len()].copy_from_slice(&enc);
        let n = __rt::evaluate(enc.len() as u32, decide) as usize;
        // SAFETY: as above.
        let area = unsafe { &*AREA.0.get() };
        let v = Verdict::decode(&area[OUTPUT_OFFSET..OUTPUT_OFFSET + n]).unwrap();
        assert_eq!(v.decision(), Some(Decision::Degraded));
        assert_eq!(v.state_bytes(), b"hello");
        // A garbage observation yields a failed verdict, not a trap.
        let n = __rt::evaluate(3, decide) as usize;
        // SAFETY: as above.
        let area = unsafe { &*AREA.0.get() };
        let v = Verdict::decode(&area[OUTPUT_OFFSET..OUTPUT_OFFSET + n]).unwrap();
        assert_eq!(
            (v.decision(), v.reason),
            (Some(Decision::Failed), reason::ABI)
        );
    }
}
