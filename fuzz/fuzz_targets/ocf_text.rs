//! The remaining text the agent reads from its caller: the action name, the announced OCF API
//! version, booleans, `policy_args` words, and the escaping applied to values before they reach
//! a log line.
#![no_main]

use ifaddr_core::ocf::{Action, ApiVersion};
use ifaddr_core::params::{escape, parse_bool};
use ifaddr_core::policy::{arg, arg_u64};
use ifaddr_fuzz::printable;
use libfuzzer_sys::fuzz_target;

fn escaped<const N: usize>(raw: &[u8]) {
    let mut out: heapless::String<N> = heapless::String::new();
    escape(raw, &mut out);
    assert!(out.len() <= N);
    assert!(printable(out.as_bytes()));
    if raw.len() <= N {
        assert_eq!(out.len(), raw.len());
        if printable(raw) {
            assert_eq!(out.as_bytes(), raw);
        }
    } else if N > 0 {
        assert_eq!(out.len(), N);
        assert!(out.ends_with('~'));
    }
}

fuzz_target!(|data: &[u8]| {
    escaped::<0>(data);
    escaped::<1>(data);
    escaped::<16>(data);
    escaped::<127>(data);
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    if let Some(a) = Action::parse(s) {
        // Every accepted name maps to an action whose canonical name is accepted too.
        assert_eq!(Action::parse(a.name()), Some(a));
    }
    if let Some(b) = parse_bool(s) {
        assert_eq!(parse_bool(if b { "true" } else { "false" }), Some(b));
    }
    // The version: split the input into major and minor at the first '.'.
    let (major, minor) = match s.split_once('.') {
        Some((a, b)) => (Some(a), Some(b)),
        None => (Some(s), None),
    };
    let v = ApiVersion::parse(major, minor);
    let want = |t: Option<&str>| {
        t.and_then(ifaddr_core::addr::parse_decimal)
            .map_or(0, |n| n.min(255) as u8)
    };
    assert_eq!((v.major, v.minor), (want(major), want(minor)));
    assert_eq!(v.has_1_1(), (v.major, v.minor) >= (1, 1));
    // policy_args: the input's first line is the key, the rest the argument string.
    let (key, args) = s.split_once('\n').unwrap_or(("", s));
    match arg(args, key) {
        Some(v) => {
            // The value is a piece of the argument string that follows `key=` (or is empty
            // for a bare key) and holds no separator.
            assert!(!v.contains([' ', ',']));
            if v.is_empty() {
                assert!(args.contains(key));
            } else {
                assert!(args.contains(&format!("{key}={v}")));
            }
            assert_eq!(
                arg_u64(args, key),
                ifaddr_core::addr::parse_decimal(v).map(Some).ok_or(())
            );
        }
        None => assert_eq!(arg_u64(args, key), Ok(None)),
    }
});
