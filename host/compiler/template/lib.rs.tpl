//! {{name}}: an ifaddr health policy. `decide` runs on every monitor that finds the address
//! on its interface; see README.md for building, testing and installing it.
#![cfg_attr(target_arch = "wasm32", no_std)]

use ifaddr_policy::{flag, load_words, reason, store_words, Observation, Verdict};

ifaddr_policy::policy!(decide);

/// Failed without carrier; degraded when the dropped-packet counters (rx + tx) grew since
/// the previous monitor; running otherwise. The state blob carries the previous count to the
/// next monitor (empty after a start: the first monitor takes the baseline).
pub fn decide(o: &Observation) -> Verdict {
    if !o.has(flag::LINK_CARRIER) {
        return Verdict::failed(reason::NO_CARRIER).with_message("interface has no carrier");
    }
    if !o.has(flag::COUNTERS) {
        return Verdict::running();
    }
    let dropped = o.rx_dropped.saturating_add(o.tx_dropped);
    let [known, before] = load_words::<2>(o.state());
    let verdict = if known == 1 && dropped > before {
        Verdict::degraded(reason::DROP_RATE).with_message("dropped packets grew")
    } else {
        Verdict::running()
    };
    let (blob, n) = store_words(&[1, dropped]);
    verdict.with_state(&blob[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifaddr_policy::{Decision, Sim};

    /// Every branch, through successive monitors: each line changes the previous
    /// observation (a healthy interface to begin with), and each verdict's state is handed
    /// to the next monitor, as the agent does. The same lines are in replay.txt.
    #[test]
    fn carrier_and_drops() {
        let mut sim = Sim::new(decide);
        let mut step = |line: &str| {
            let v = sim.step(line);
            (v.decision().unwrap(), v.reason)
        };
        assert_eq!(step("-"), (Decision::Running, reason::NONE));
        assert_eq!(
            step("rx_dropped=5"),
            (Decision::Degraded, reason::DROP_RATE)
        );
        assert_eq!(step("-"), (Decision::Running, reason::NONE));
        assert_eq!(
            step("link_carrier=0 link_running=0"),
            (Decision::Failed, reason::NO_CARRIER)
        );
        assert_eq!(
            step("link_carrier=1 link_running=1"),
            (Decision::Running, reason::NONE)
        );
        assert_eq!(
            step("tx_dropped=1"),
            (Decision::Degraded, reason::DROP_RATE)
        );
    }
}
