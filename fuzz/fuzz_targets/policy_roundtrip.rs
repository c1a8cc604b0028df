//! Policy ABI round trip: an arbitrary verdict (built with the SDK's constructors) and an
//! arbitrary observation (built with its setters) encode and decode back to themselves; the
//! observation's setters refuse a value that does not fit (and change nothing then); a
//! verdict's state that does not fit fails it, a long message is cut visibly.
#![no_main]

use arbitrary::Arbitrary;
use core::net::IpAddr;
use ifaddr_core::ifname::IfName;
use ifaddr_core::policy::*;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    code: u8,
    reason: u32,
    message: &'a str,
    vstate: &'a [u8],
    ints: [u64; 12],
    small: [u32; 5],
    prefix: u8,
    builtin: u8,
    ip: IpAddr,
    #[arbitrary(with = ifaddr_fuzz::arb::if_name)]
    ifname: IfName,
    args: &'a [u8],
    ostate: &'a [u8],
    conflict_mac: [u8; 6],
}

fuzz_target!(|i: Input<'_>| {
    let d = [
        Decision::Running,
        Decision::Failed,
        Decision::NotRunning,
        Decision::Degraded,
    ][usize::from(i.code % 4)];
    let v = Verdict::new(d)
        .with_reason(i.reason)
        .with_message(i.message)
        .with_state(i.vstate);
    // A state that does not fit is never cut: the verdict fails with reason ABI instead. A
    // long message is cut at a character boundary and marked with `~`.
    let m = core::str::from_utf8(v.message_bytes()).expect("message cut inside a character");
    if i.vstate.len() <= STATE_MAX {
        assert_eq!(v.state_bytes(), i.vstate);
        assert_eq!((v.decision(), v.reason), (Some(d), i.reason));
        if i.message.len() <= MESSAGE_MAX {
            assert_eq!(m, i.message);
        } else {
            let kept = m.strip_suffix('~').expect("a cut message ends in ~");
            assert!(i.message.starts_with(kept));
            assert!(m.len() <= MESSAGE_MAX && m.len() + 4 > MESSAGE_MAX);
        }
    } else {
        assert_eq!(v.state_bytes(), b"");
        assert_eq!((v.decision(), v.reason), (Some(Decision::Failed), reason::ABI));
        assert!(m.starts_with("state of ") && m.len() <= MESSAGE_MAX, "{m:?}");
    }
    let e = v.encode();
    assert_eq!(Verdict::decode(&e), Ok(v));
    // A newer minor version that appends fields is read the same.
    let mut longer = e.to_vec();
    longer.extend_from_slice(&[0xee; 40]);
    longer[0..4].copy_from_slice(&(ABI_VERSION + 1).to_le_bytes());
    longer[4..8].copy_from_slice(&((VERDICT_SIZE + 40) as u32).to_le_bytes());
    let w = Verdict::decode(&longer).unwrap();
    assert_eq!(
        (w.code, w.reason, w.message, w.state),
        (v.code, v.reason, v.message, v.state)
    );

    let mut o = Observation::new();
    [
        o.now_ms,
        o.since_start_ms,
        o.interval_ms,
        o.timeout_ms,
        o.rx_packets,
        o.tx_packets,
        o.rx_errors,
        o.tx_errors,
        o.rx_dropped,
        o.tx_dropped,
        _,
        _,
    ] = i.ints;
    [o.depth, o.flags, o.monitors, o.mtu, o.ifindex] = i.small;
    o.prefix = i.prefix;
    o.builtin = i.builtin;
    o.set_ip(&i.ip);
    o.set_ifname(&i.ifname);
    let set = o.set_args(i.args);
    assert_eq!(set.is_ok(), i.args.len() <= ARGS_MAX, "{set:?}");
    let set = o.set_state(i.ostate);
    assert_eq!(set.is_ok(), i.ostate.len() <= STATE_MAX, "{set:?}");
    o.conflict_mac = i.conflict_mac;
    assert_eq!(o.ip_addr(), Some(i.ip));
    let args: &[u8] = if i.args.len() <= ARGS_MAX {
        i.args
    } else {
        &[]
    };
    assert_eq!(o.args(), args);
    let state: &[u8] = if i.ostate.len() <= STATE_MAX {
        i.ostate
    } else {
        &[]
    };
    assert_eq!(o.state(), state);
    assert_eq!(o.ifname_str(), i.ifname.as_str());
    assert_eq!(o.ifname[15], 0, "interface name not NUL-terminated");
    assert_eq!(Observation::decode(&o.encode()), Ok(o));
});
