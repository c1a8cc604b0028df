//! `flap-damping`: fail only after `bad` consecutive bad observations.
//!
//! An observation is bad when the interface is missing, down or without carrier, the address
//! is absent or duplicated, another host answers for it (the depth-20 check), or the agent's
//! own check failed. The count of consecutive bad
//! observations lives in the state blob (one little-endian `u64`); a good observation
//! resets it.
//!
//! | consecutive bad observations | verdict                                   |
//! |------------------------------|-------------------------------------------|
//! | 0                            | running (0)                               |
//! | 1 .. bad-1                   | degraded (190), flapping, "bad k/N: why"  |
//! | bad or more                  | failed (1), the reason of the latest one  |
//!
//! `policy_args`: `bad=N` (default 3, 1..=1000000).
#![cfg_attr(target_arch = "wasm32", no_std)]

use core::fmt::Write;
use ifaddr_policy::{arg_u64, flag, load_words, reason, store_words, Observation, Verdict};

ifaddr_policy::policy!(decide);

/// Default number of consecutive bad observations before failing.
pub const DEFAULT_BAD: u64 = 3;

/// Why an observation is bad, if it is.
fn badness(o: &Observation) -> Option<(u32, &'static str)> {
    if !o.has(flag::LINK_PRESENT) {
        Some((reason::LINK_MISSING, "interface is missing"))
    } else if !o.has(flag::LINK_UP) {
        Some((reason::LINK_DOWN, "interface is down"))
    } else if !o.has(flag::LINK_CARRIER) {
        Some((reason::NO_CARRIER, "interface has no carrier"))
    } else if !o.has(flag::ADDR_PRESENT) {
        Some((reason::ADDRESS_MISSING, "address is not configured"))
    } else if o.has(flag::ADDR_DUPLICATED) {
        Some((reason::ADDRESS_DUPLICATED, "duplicate address detected"))
    } else if o.has(flag::CONFLICT) {
        Some((
            reason::ADDRESS_CONFLICT,
            "another host answers for the address",
        ))
    } else if o.builtin != 0 {
        Some((reason::NONE, "the agent's own check failed"))
    } else {
        None
    }
}

/// A fixed-capacity text buffer for messages.
struct Msg {
    b: [u8; 128],
    n: usize,
}

impl Write for Msg {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let take = s.len().min(self.b.len() - self.n);
        self.b[self.n..self.n + take].copy_from_slice(&s.as_bytes()[..take]);
        self.n += take;
        Ok(())
    }
}

impl Msg {
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.b[..self.n]).unwrap_or("")
    }
}

pub fn decide(o: &Observation) -> Verdict {
    let limit = match arg_u64(o.args_str(), "bad") {
        Ok(None) => DEFAULT_BAD,
        Ok(Some(n)) if (1..=1_000_000).contains(&n) => n,
        _ => {
            return Verdict::failed(reason::BAD_ARGS)
                .with_message("policy_args: bad= is not a number from 1 to 1000000")
        }
    };
    let [prev] = load_words::<1>(o.state());
    let Some((why, text)) = badness(o) else {
        return Verdict::running();
    };
    let count = prev.saturating_add(1);
    let (blob, n) = store_words(&[count]);
    let mut m = Msg { b: [0; 128], n: 0 };
    let _ = write!(m, "bad {}/{}: {}", count.min(limit), limit, text);
    let v = if count >= limit {
        Verdict::failed(why)
    } else {
        Verdict::degraded(reason::FLAPPING)
    };
    v.with_message(m.as_str()).with_state(&blob[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifaddr_policy::Decision;

    const HEALTHY: u32 =
        flag::ADDR_PRESENT | flag::LINK_PRESENT | flag::LINK_UP | flag::LINK_CARRIER;

    /// Run a sequence of observations through the policy, carrying the state blob like the
    /// agent does.
    fn run(args: &str, seq: &[u32]) -> [Option<Decision>; 8] {
        let mut out = [None; 8];
        let mut state = [0u8; 256];
        let mut state_len = 0;
        for (i, &flags) in seq.iter().enumerate() {
            let mut o = Observation::new();
            o.flags = flags;
            o.set_args(args.as_bytes()).unwrap();
            o.set_state(&state[..state_len]).unwrap();
            let v = decide(&o);
            out[i] = v.decision();
            state_len = v.state_bytes().len();
            state[..state_len].copy_from_slice(v.state_bytes());
        }
        out
    }

    const DOWN: u32 = HEALTHY & !flag::LINK_CARRIER;

    #[test]
    fn fails_after_n_consecutive() {
        use Decision::*;
        let r = run("", &[HEALTHY, DOWN, DOWN, DOWN, DOWN, HEALTHY, DOWN]);
        assert_eq!(
            r[..7],
            [
                Some(Running),
                Some(Degraded),
                Some(Degraded),
                Some(Failed),
                Some(Failed),
                Some(Running),
                Some(Degraded)
            ]
        );
        let r = run("bad=1", &[DOWN, HEALTHY]);
        assert_eq!(r[..2], [Some(Failed), Some(Running)]);
    }

    #[test]
    fn flapping_never_fails() {
        let r = run(
            "bad=2",
            &[DOWN, HEALTHY, DOWN, HEALTHY, DOWN, HEALTHY, DOWN, HEALTHY],
        );
        assert!(r.iter().all(|d| *d != Some(Decision::Failed)));
    }

    #[test]
    fn message_and_reason() {
        let mut o = Observation::new();
        o.flags = HEALTHY & !flag::LINK_UP;
        o.set_args(b"bad=2").unwrap();
        let v = decide(&o);
        assert_eq!(v.reason, reason::FLAPPING);
        assert_eq!(v.message_bytes(), b"bad 1/2: interface is down");
        o.set_state_of(&v);
        let v = decide(&o);
        assert_eq!(
            (v.decision(), v.reason),
            (Some(Decision::Failed), reason::LINK_DOWN)
        );
    }

    #[test]
    fn split_brain_counts_as_bad() {
        let mut o = Observation::new();
        o.flags = HEALTHY | flag::CONFLICT_CHECKED | flag::CONFLICT;
        o.set_args(b"bad=1").unwrap();
        let v = decide(&o);
        assert_eq!(
            (v.decision(), v.reason),
            (Some(Decision::Failed), reason::ADDRESS_CONFLICT)
        );
        o.flags = HEALTHY | flag::CONFLICT_CHECKED;
        assert_eq!(decide(&o).decision(), Some(Decision::Running));
    }

    #[test]
    fn bad_args() {
        for a in ["bad=x", "bad=0", "bad=1000001"] {
            let mut o = Observation::new();
            o.set_args(a.as_bytes()).unwrap();
            let v = decide(&o);
            assert_eq!(
                (v.decision(), v.reason),
                (Some(Decision::Failed), reason::BAD_ARGS),
                "{a}"
            );
        }
    }
}
