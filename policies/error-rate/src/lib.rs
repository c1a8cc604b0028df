//! `error-rate`: degrade or fail when the interface's error counters grow too fast.
//!
//! The rate is measured between consecutive monitors: the state blob keeps the previous
//! sample (time and counter sum, two little-endian `u64`s). The first monitor after a start,
//! or after the counters went backwards, only takes a baseline.
//!
//! | observation                               | verdict                             |
//! |-------------------------------------------|-------------------------------------|
//! | the agent's own check failed              | that result (e.g. failed for a down link) |
//! | no counters reported, or baseline         | running (0)                         |
//! | rate >= `fail`                            | failed (1), error-rate              |
//! | rate >= `degrade`                         | degraded (190), error-rate          |
//! | otherwise                                 | running (0)                         |
//!
//! `policy_args` (space- or comma-separated):
//! * `degrade=R`: events per second that degrade (default 1; decimals allowed, e.g. `0.5`);
//! * `fail=R`: events per second that fail (default 10);
//! * `counters=errors|drops|all`: what counts (default `errors`: rx + tx errors; `drops`:
//!   rx + tx dropped; `all`: both).
#![cfg_attr(target_arch = "wasm32", no_std)]

use core::fmt::Write;
use ifaddr_policy::{
    arg, flag, load_words, rate_milli, reason, store_words, Decision, Observation, Verdict,
};

ifaddr_policy::policy!(decide);

/// A rate in thousandths per second from "12" or "0.25" (at most 3 decimals).
pub fn parse_rate(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 3 || int.len() > 12 {
        return None;
    }
    let digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    let mut v: u64 = 0;
    for c in int.bytes() {
        v = v * 10 + u64::from(c - b'0');
    }
    let mut f: u64 = 0;
    for i in 0..3 {
        f = f * 10 + frac.as_bytes().get(i).map_or(0, |c| u64::from(c - b'0'));
    }
    Some(v * 1000 + f)
}

#[derive(Clone, Copy)]
enum Which {
    Errors,
    Drops,
    All,
}

struct Config {
    degrade: u64,
    fail: u64,
    which: Which,
}

fn config(args: &str) -> Result<Config, &'static str> {
    let rate = |key, default| match arg(args, key) {
        None => Ok(default),
        Some(v) => parse_rate(v).ok_or(key),
    };
    let degrade = rate("degrade", 1000).map_err(|_| "policy_args: degrade= is not a rate")?;
    let fail = rate("fail", 10_000).map_err(|_| "policy_args: fail= is not a rate")?;
    let which = match arg(args, "counters") {
        None | Some("errors") => Which::Errors,
        Some("drops") => Which::Drops,
        Some("all") => Which::All,
        Some(_) => return Err("policy_args: counters= is not errors, drops or all"),
    };
    Ok(Config {
        degrade,
        fail,
        which,
    })
}

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

pub fn decide(o: &Observation) -> Verdict {
    let cfg = match config(o.args_str()) {
        Ok(c) => c,
        Err(m) => return Verdict::failed(reason::BAD_ARGS).with_message(m),
    };
    if o.builtin != 0 {
        let d = Decision::from_code(u32::from(o.builtin)).unwrap_or(Decision::Failed);
        let why = if !o.has(flag::LINK_UP) {
            reason::LINK_DOWN
        } else if !o.has(flag::LINK_CARRIER) {
            reason::NO_CARRIER
        } else {
            reason::NONE
        };
        return Verdict::new(d)
            .with_reason(why)
            .with_message("the agent's own check failed");
    }
    if !o.has(flag::COUNTERS) {
        return Verdict::running().with_message("no interface counters");
    }
    let total = match cfg.which {
        Which::Errors => o.rx_errors.saturating_add(o.tx_errors),
        Which::Drops => o.rx_dropped.saturating_add(o.tx_dropped),
        Which::All => o
            .rx_errors
            .saturating_add(o.tx_errors)
            .saturating_add(o.rx_dropped)
            .saturating_add(o.tx_dropped),
    };
    let (blob, n) = store_words(&[o.now_ms, total, 1]);
    let [then, prev, valid] = load_words::<3>(o.state());
    let rate = if valid == 1 {
        rate_milli(prev, total, o.now_ms.saturating_sub(then))
    } else {
        None
    };
    let Some(rate) = rate else {
        return Verdict::running().with_state(&blob[..n]);
    };
    let v = if rate >= cfg.fail {
        Verdict::failed(reason::ERROR_RATE)
    } else if rate >= cfg.degrade {
        Verdict::degraded(reason::ERROR_RATE)
    } else {
        return Verdict::running().with_state(&blob[..n]);
    };
    let mut m = Msg { b: [0; 128], n: 0 };
    let _ = write!(
        m,
        "+{} in {} ms: {}.{:03}/s",
        total - prev,
        o.now_ms.saturating_sub(then),
        rate / 1000,
        rate % 1000
    );
    v.with_message(core::str::from_utf8(&m.b[..m.n]).unwrap_or(""))
        .with_state(&blob[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEALTHY: u32 = flag::ADDR_PRESENT
        | flag::LINK_PRESENT
        | flag::LINK_UP
        | flag::LINK_CARRIER
        | flag::COUNTERS;

    struct Sim {
        args: &'static str,
        state: [u8; 256],
        len: usize,
    }

    impl Sim {
        fn new(args: &'static str) -> Sim {
            Sim {
                args,
                state: [0; 256],
                len: 0,
            }
        }
        fn step(&mut self, now_ms: u64, rx_errors: u64, tx_dropped: u64) -> Verdict {
            let mut o = Observation::new();
            o.flags = HEALTHY;
            o.now_ms = now_ms;
            o.rx_errors = rx_errors;
            o.tx_dropped = tx_dropped;
            o.set_args(self.args.as_bytes()).unwrap();
            o.set_state(&self.state[..self.len]).unwrap();
            let v = decide(&o);
            self.len = v.state_bytes().len();
            self.state[..self.len].copy_from_slice(v.state_bytes());
            v
        }
    }

    #[test]
    fn rates() {
        let mut s = Sim::new("degrade=1 fail=10");
        assert_eq!(s.step(1000, 0, 0).decision(), Some(Decision::Running)); // baseline
        assert_eq!(s.step(11_000, 5, 0).decision(), Some(Decision::Running)); // 0.5/s
        let v = s.step(12_000, 7, 0); // 2/s
        assert_eq!(
            (v.decision(), v.reason),
            (Some(Decision::Degraded), reason::ERROR_RATE)
        );
        assert_eq!(v.message_bytes(), b"+2 in 1000 ms: 2.000/s");
        assert_eq!(s.step(13_000, 20, 0).decision(), Some(Decision::Failed)); // 13/s
        assert_eq!(s.step(14_000, 20, 0).decision(), Some(Decision::Running));
        assert_eq!(s.step(15_000, 3, 0).decision(), Some(Decision::Running)); // reset: baseline
                                                                              // Drops are ignored unless asked for.
        assert_eq!(s.step(16_000, 3, 1000).decision(), Some(Decision::Running));
    }

    #[test]
    fn drops_and_fractions() {
        let mut s = Sim::new("counters=drops,degrade=0.5,fail=100");
        s.step(0, 0, 0);
        assert_eq!(s.step(2000, 1000, 1).decision(), Some(Decision::Degraded));
        let mut s = Sim::new("counters=all,fail=2");
        s.step(0, 0, 0);
        assert_eq!(s.step(1000, 1, 1).decision(), Some(Decision::Failed));
    }

    #[test]
    fn passes_the_builtin_through() {
        let mut o = Observation::new();
        o.flags = HEALTHY & !flag::LINK_UP;
        o.builtin = 1;
        let v = decide(&o);
        assert_eq!(
            (v.decision(), v.reason),
            (Some(Decision::Failed), reason::LINK_DOWN)
        );
    }

    #[test]
    fn bad_args_and_parse() {
        assert_eq!(parse_rate("12"), Some(12_000));
        assert_eq!(parse_rate("0.25"), Some(250));
        assert_eq!(parse_rate(".5"), Some(500));
        for bad in ["", ".", "1.2345", "x", "-1", "1e3"] {
            assert_eq!(parse_rate(bad), None, "{bad}");
        }
        for a in ["fail=x", "degrade=", "counters=bogus"] {
            let mut o = Observation::new();
            o.set_args(a.as_bytes()).unwrap();
            assert_eq!(decide(&o).reason, reason::BAD_ARGS, "{a}");
        }
    }
}
