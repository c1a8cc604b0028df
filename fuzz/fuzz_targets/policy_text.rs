//! Observations as text (`ifaddr_core::policy::text`, what `ifaddrc check --set`/`--replay`
//! and the SDK's `Sim` read) on arbitrary input, line by line as a replay: each line goes to
//! `text::apply` after `text::advance`. An accepted line leaves an observation that encodes
//! and decodes to itself, whose numbers, flags and state, written back as text, apply to the
//! same values; a refused line changes nothing and its error names a piece of the line, on
//! one line.
#![no_main]

use ifaddr_core::policy::text::{self, TextErrorKind, KEYS};
use ifaddr_core::policy::{flag, Observation, Verdict};
use libfuzzer_sys::fuzz_target;
use std::fmt::Write;

/// The numbers, flags and state of `o` as one line of text (independent of the parser).
fn as_text(o: &Observation) -> String {
    let mut s = String::new();
    let flags = [
        ("addr_present", flag::ADDR_PRESENT),
        ("addr_tentative", flag::ADDR_TENTATIVE),
        ("addr_duplicated", flag::ADDR_DUPLICATED),
        ("addr_deprecated", flag::ADDR_DEPRECATED),
        ("link_present", flag::LINK_PRESENT),
        ("link_up", flag::LINK_UP),
        ("link_running", flag::LINK_RUNNING),
        ("link_carrier", flag::LINK_CARRIER),
        ("link_loopback", flag::LINK_LOOPBACK),
        ("counters", flag::COUNTERS),
        ("start_known", flag::START_KNOWN),
        ("probe", flag::PROBE),
        ("degraded_supported", flag::DEGRADED_SUPPORTED),
        ("conflict_checked", flag::CONFLICT_CHECKED),
        ("conflict", flag::CONFLICT),
    ];
    for (k, bit) in flags {
        let _ = write!(s, "{k}={} ", u8::from(o.flags & bit != 0));
    }
    let n: [(&str, u64); 16] = [
        ("now_ms", o.now_ms),
        ("since_start_ms", o.since_start_ms),
        ("interval_ms", o.interval_ms),
        ("timeout_ms", o.timeout_ms),
        ("depth", o.depth.into()),
        ("monitors", o.monitors.into()),
        ("mtu", o.mtu.into()),
        ("ifindex", o.ifindex.into()),
        ("prefix", o.prefix.into()),
        ("builtin", o.builtin.into()),
        ("rx_packets", o.rx_packets),
        ("tx_packets", o.tx_packets),
        ("rx_errors", o.rx_errors),
        ("tx_errors", o.tx_errors),
        ("rx_dropped", o.rx_dropped),
        ("tx_dropped", o.tx_dropped),
    ];
    for (k, v) in n {
        let _ = write!(s, "{k}={v} ");
    }
    let m = o.conflict_mac;
    let _ = write!(
        s,
        "conflict_mac={:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} ",
        m[0], m[1], m[2], m[3], m[4], m[5]
    );
    s.push_str("state=");
    for b in o.state() {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let mut o = text::sample(1_700_000_000_000);
    let mut prev = Verdict::running();
    for line in input.lines() {
        text::advance(&mut o, &prev);
        let before = o;
        match text::apply(&mut o, line) {
            Ok(n) => {
                let words = line
                    .split_ascii_whitespace()
                    .take_while(|w| !w.starts_with('#'))
                    .count();
                assert_eq!(n, words, "{line:?}");
                assert_eq!(Observation::decode(&o.encode()), Ok(o));
                assert!(o.args().len() <= 255 && o.state().len() <= 256);
                if n == 0 {
                    assert_eq!(o, before);
                }
                let canon = as_text(&o);
                let mut fresh = Observation::new();
                assert_eq!(text::apply(&mut fresh, &canon), Ok(33), "{canon}");
                let mut want = o;
                want.ip = fresh.ip;
                want.family = fresh.family;
                want.ifname = fresh.ifname;
                want.args = fresh.args;
                want.args_len = fresh.args_len;
                assert_eq!(fresh, want, "{canon}");
            }
            Err(e) => {
                assert_eq!(o, before, "a refused line changed the observation");
                assert!(
                    line.contains(e.key) && line.contains(e.value),
                    "{line:?} {e:?}"
                );
                let known = KEYS.contains(&e.key);
                match e.kind {
                    TextErrorKind::NoValue => {}
                    TextErrorKind::UnknownKey => assert!(!known),
                    _ => assert!(known, "{e:?}"),
                }
                let msg = e.to_string();
                assert!(!msg.is_empty() && !msg.contains('\n') && !msg.contains('\r'));
            }
        }
        // The policy's answer is not modelled: hand on some of the state.
        prev = Verdict::running().with_state(&o.state()[..o.state().len() / 2]);
    }
});
