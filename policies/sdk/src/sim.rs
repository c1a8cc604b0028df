//! [`Sim`]: drive a policy's `decide` function through successive monitors in a native test,
//! as the agent would, with each observation described by a line of `key=value` words (the
//! format of `ifaddrc check --set` and `--replay`, [`text`]).
//!
//! ```
//! use ifaddr_policy::{flag, reason, Decision, Observation, Sim, Verdict};
//!
//! fn decide(o: &Observation) -> Verdict {
//!     if !o.has(flag::LINK_CARRIER) {
//!         return Verdict::failed(reason::NO_CARRIER);
//!     }
//!     let seen = o.state().first().copied().unwrap_or(0);
//!     Verdict::running().with_state(&[seen.saturating_add(1)])
//! }
//!
//! let mut sim = Sim::new(decide);
//! assert_eq!(sim.step("").decision(), Some(Decision::Running)); // the healthy sample
//! assert_eq!(sim.step("").state_bytes(), &[2]); // the state came back
//! let v = sim.step("link_carrier=0 link_running=0");
//! assert_eq!((v.decision(), v.reason), (Some(Decision::Failed), reason::NO_CARRIER));
//! ```
//!
//! The first step changes [`text::sample`] (a healthy interface with the address present
//! and zero counters); each later step first moves to the next monitor ([`text::advance`]:
//! one more monitor, `interval_ms` later, the previous verdict's state as
//! [`Observation::state`]) and then applies its line. Settings persist: a line names only
//! what changes.

use crate::{Observation, Verdict};
pub use ifaddr_core::policy::text;
use ifaddr_core::policy::text::TextError;

/// The wall clock of the first step: 2023-11-14 22:13:20 UTC, in ms.
pub const START_MS: u64 = 1_700_000_000_000;

/// A policy run through successive monitors; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Sim {
    decide: fn(&Observation) -> Verdict,
    obs: Observation,
    last: Option<Verdict>,
}

impl Sim {
    /// A simulation of `decide`, starting from [`text::sample`] at [`START_MS`].
    pub fn new(decide: fn(&Observation) -> Verdict) -> Sim {
        Sim {
            decide,
            obs: text::sample(START_MS),
            last: None,
        }
    }

    /// Set `policy_args` for every step (the same as `args=...` in the first line, but
    /// spaces are allowed). Panics if `args` is longer than 255 bytes (the agent refuses
    /// such a `policy_args`).
    pub fn with_args(mut self, args: &str) -> Sim {
        assert!(
            args.len() <= 255,
            "Sim::with_args: {} bytes, more than policy_args' 255",
            args.len()
        );
        if let Err(e) = self.obs.set_args(args.as_bytes()) {
            panic!("Sim::with_args: {e}");
        }
        self
    }

    /// The observation of the last step (before the first: the one it will change).
    pub fn observation(&self) -> &Observation {
        &self.obs
    }

    /// Change the next step's starting point directly, for what the text cannot say.
    pub fn observation_mut(&mut self) -> &mut Observation {
        &mut self.obs
    }

    /// The verdict of the last step.
    pub fn last(&self) -> Option<&Verdict> {
        self.last.as_ref()
    }

    /// Run one monitor whose observation `line` describes; an error (naming the key) leaves
    /// the simulation as it was.
    pub fn try_step<'a>(&mut self, line: &'a str) -> Result<Verdict, TextError<'a>> {
        let mut o = self.obs;
        if let Some(prev) = &self.last {
            text::advance(&mut o, prev);
        }
        text::apply(&mut o, line)?;
        let v = (self.decide)(&o);
        self.obs = o;
        self.last = Some(v);
        Ok(v)
    }

    /// [`Sim::try_step`], panicking with the error's one line when `line` is malformed.
    pub fn step(&mut self, line: &str) -> Verdict {
        match self.try_step(line) {
            Ok(v) => v,
            Err(e) => panic!("Sim::step({line:?}): {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{flag, reason, Decision};

    fn counting(o: &Observation) -> Verdict {
        if o.rx_dropped > 0 {
            return Verdict::degraded(reason::DROP_RATE);
        }
        let n = o.state().first().copied().unwrap_or(0);
        Verdict::running().with_state(&[n + 1, o.monitors as u8])
    }

    #[test]
    fn state_and_time_flow_between_steps() {
        let mut sim = Sim::new(counting).with_args("x=1 y=2");
        assert_eq!(sim.step("").state_bytes(), &[1, 1]);
        assert_eq!(sim.step("# a comment").state_bytes(), &[2, 2]);
        assert_eq!(sim.observation().now_ms, START_MS + 10_000);
        assert_eq!(sim.observation().args_str(), "x=1 y=2");
        let v = sim.step("rx_dropped=3");
        assert_eq!(v.decision(), Some(Decision::Degraded));
        // Settings persist until a line changes them.
        assert_eq!(sim.step("").decision(), Some(Decision::Degraded));
        // state= replaces the previous verdict's state for this step.
        assert_eq!(sim.step("rx_dropped=0 state=07").state_bytes(), &[8, 5]);
        assert!(sim.observation().has(flag::COUNTERS));
    }

    #[test]
    fn a_bad_line_changes_nothing() {
        let mut sim = Sim::new(counting);
        sim.step("");
        let before = *sim.observation();
        let e = sim.try_step("rx_dropped=1 mtu=x").unwrap_err();
        assert_eq!(e.key, "mtu");
        assert_eq!(*sim.observation(), before);
        assert_eq!(sim.step("").state_bytes(), &[2, 2]);
    }

    #[test]
    #[should_panic(expected = "unknown key `carrier`")]
    fn step_panics_with_the_error() {
        Sim::new(counting).step("carrier=0");
    }
}
