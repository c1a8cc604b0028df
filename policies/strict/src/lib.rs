//! `strict`: the address must be present and usable and its interface up with carrier.
//!
//! | observation                                   | verdict                           |
//! |-----------------------------------------------|-----------------------------------|
//! | address absent                                | not running (7), address-missing  |
//! | interface missing, down or without carrier    | failed (1)                        |
//! | IPv6 duplicate address detection failed       | failed (1), address-duplicated    |
//! | another host answers for it (depth 20, ABI 1.1) | failed (1), address-conflict    |
//! | IPv6 tentative or deprecated                  | degraded (190)                    |
//! | otherwise                                     | running (0)                       |
//!
//! `policy_args`: none.
#![cfg_attr(target_arch = "wasm32", no_std)]

use core::fmt::Write;
use ifaddr_policy::{flag, reason, Mac, Observation, Text, Verdict};

ifaddr_policy::policy!(decide);

pub fn decide(o: &Observation) -> Verdict {
    if !o.has(flag::ADDR_PRESENT) {
        return Verdict::not_running(reason::ADDRESS_MISSING)
            .with_message("address is not configured");
    }
    if !o.has(flag::LINK_PRESENT) {
        return Verdict::failed(reason::LINK_MISSING).with_message("interface is missing");
    }
    if !o.has(flag::LINK_UP) {
        return Verdict::failed(reason::LINK_DOWN).with_message("interface is down");
    }
    if !o.has(flag::LINK_CARRIER) {
        return Verdict::failed(reason::NO_CARRIER).with_message("interface has no carrier");
    }
    if o.has(flag::ADDR_DUPLICATED) {
        return Verdict::failed(reason::ADDRESS_DUPLICATED)
            .with_message("duplicate address detected");
    }
    if let Some(mac) = o.conflict() {
        let mut t = Text::new();
        let _ = write!(t, "split brain: {} also answers for the address", Mac(mac));
        return Verdict::failed(reason::ADDRESS_CONFLICT).with_message(t.as_str());
    }
    if o.has(flag::ADDR_TENTATIVE) {
        return Verdict::degraded(reason::ADDRESS_TENTATIVE).with_message("address is tentative");
    }
    if o.has(flag::ADDR_DEPRECATED) {
        return Verdict::degraded(reason::ADDRESS_DEPRECATED).with_message("address is deprecated");
    }
    Verdict::running()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifaddr_policy::Decision;

    const HEALTHY: u32 = flag::ADDR_PRESENT
        | flag::LINK_PRESENT
        | flag::LINK_UP
        | flag::LINK_RUNNING
        | flag::LINK_CARRIER;

    fn with(flags: u32) -> (Option<Decision>, u32) {
        let mut o = Observation::new();
        o.flags = flags;
        let v = decide(&o);
        (v.decision(), v.reason)
    }

    #[test]
    fn table() {
        assert_eq!(with(HEALTHY), (Some(Decision::Running), reason::NONE));
        assert_eq!(
            with(HEALTHY & !flag::ADDR_PRESENT),
            (Some(Decision::NotRunning), reason::ADDRESS_MISSING)
        );
        assert_eq!(
            with(flag::ADDR_PRESENT),
            (Some(Decision::Failed), reason::LINK_MISSING)
        );
        assert_eq!(
            with(HEALTHY & !flag::LINK_UP),
            (Some(Decision::Failed), reason::LINK_DOWN)
        );
        assert_eq!(
            with(HEALTHY & !flag::LINK_CARRIER),
            (Some(Decision::Failed), reason::NO_CARRIER)
        );
        assert_eq!(
            with(HEALTHY | flag::ADDR_DUPLICATED),
            (Some(Decision::Failed), reason::ADDRESS_DUPLICATED)
        );
        assert_eq!(
            with(HEALTHY | flag::ADDR_TENTATIVE),
            (Some(Decision::Degraded), reason::ADDRESS_TENTATIVE)
        );
        assert_eq!(
            with(HEALTHY | flag::ADDR_DEPRECATED),
            (Some(Decision::Degraded), reason::ADDRESS_DEPRECATED)
        );
    }

    #[test]
    fn split_brain_fails() {
        let mut o = Observation::new();
        o.flags = HEALTHY | flag::CONFLICT_CHECKED;
        assert_eq!(decide(&o).decision(), Some(Decision::Running));
        o.set(flag::CONFLICT, true);
        o.conflict_mac = [0x02, 0, 0, 0, 0, 0x99];
        let v = decide(&o);
        assert_eq!(
            (v.decision(), v.reason),
            (Some(Decision::Failed), reason::ADDRESS_CONFLICT)
        );
        assert_eq!(
            v.message_bytes(),
            b"split brain: 02:00:00:00:00:99 also answers for the address"
        );
    }

    #[test]
    fn keeps_no_state() {
        let mut o = Observation::new();
        o.flags = HEALTHY;
        o.set_state(b"leftover").unwrap();
        assert!(decide(&o).state_bytes().is_empty());
    }
}
