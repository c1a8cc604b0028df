//! Observations as text: a line of `key=value` words that changes an [`Observation`], so a
//! policy can be driven without a cluster (`ifaddrc check --set` / `--replay`, the SDK's
//! `Sim`, the `policy_text` fuzz target).
//!
//! ```text
//! link_carrier=0 rx_dropped=12   # a comment runs to the end of the line
//! ```
//!
//! Words are separated by ASCII whitespace; a word starting with `#` begins a comment; the
//! word `-` changes nothing (a replay step in which nothing changed). Each other
//! word names one field (see [`KEYS`]) and sets it; fields not named keep their value. Flags
//! take `0` or `1`; numbers are decimal and must fit their field (`prefix=300` is an error,
//! never cut); `ip` takes an IPv4 or IPv6 address (and sets `family`), `ifname` an interface
//! name, `args` the `policy_args` (at most 255 bytes, no spaces), `state` the state blob in
//! hex (at most 256 bytes). A line either applies completely or, on an error, not at all.
//!
//! A replay is successive lines: the first changes [`sample`] (a healthy interface with the
//! address present), each following line changes the previous step's observation after
//! [`advance`] (the next monitor: one more monitor, `interval_ms` later, with the previous
//! verdict's state).

use super::{flag, Observation, TooLong, Verdict, STATE_MAX};
use crate::ifname::IfName;
use crate::params::POLICY_ARGS_MAX;
use core::fmt;
use core::net::IpAddr;

/// Every key, in the order of the observation's fields: the flags (the [`flag`] constants'
/// names in lower case), then the numbers, then `ip`, `ifname`, `args` and `state`.
pub const KEYS: &[&str] = &[
    "addr_present",
    "addr_tentative",
    "addr_duplicated",
    "addr_deprecated",
    "link_present",
    "link_up",
    "link_running",
    "link_carrier",
    "link_loopback",
    "counters",
    "start_known",
    "probe",
    "degraded_supported",
    "conflict_checked",
    "conflict",
    "now_ms",
    "since_start_ms",
    "interval_ms",
    "timeout_ms",
    "depth",
    "monitors",
    "mtu",
    "ifindex",
    "prefix",
    "builtin",
    "rx_packets",
    "tx_packets",
    "rx_errors",
    "tx_errors",
    "rx_dropped",
    "tx_dropped",
    "ip",
    "ifname",
    "args",
    "state",
    "conflict_mac",
];

/// The flag bit a key names.
fn flag_bit(key: &str) -> Option<u32> {
    Some(match key {
        "addr_present" => flag::ADDR_PRESENT,
        "addr_tentative" => flag::ADDR_TENTATIVE,
        "addr_duplicated" => flag::ADDR_DUPLICATED,
        "addr_deprecated" => flag::ADDR_DEPRECATED,
        "link_present" => flag::LINK_PRESENT,
        "link_up" => flag::LINK_UP,
        "link_running" => flag::LINK_RUNNING,
        "link_carrier" => flag::LINK_CARRIER,
        "link_loopback" => flag::LINK_LOOPBACK,
        "counters" => flag::COUNTERS,
        "start_known" => flag::START_KNOWN,
        "probe" => flag::PROBE,
        "degraded_supported" => flag::DEGRADED_SUPPORTED,
        "conflict_checked" => flag::CONFLICT_CHECKED,
        "conflict" => flag::CONFLICT,
        _ => return None,
    })
}

/// Why a word was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextErrorKind {
    /// The word has no `=`.
    NoValue,
    /// The key is not one of [`KEYS`].
    UnknownKey,
    /// A flag's value is not `0` or `1`.
    NotAFlag,
    /// A number's value is not decimal digits.
    NotANumber,
    /// A number does not fit its field; the largest that does.
    TooLarge(u64),
    /// `ip` is not an IPv4 or IPv6 address.
    NotAnAddress,
    /// `ifname` is not an interface name (why).
    NotAName(&'static str),
    /// `args` or `state` is longer than its field (the length, the limit, in bytes).
    TooLong(usize, usize),
    /// `state` is not hex digits, two per byte.
    NotHex,
    /// `conflict_mac` is not six hex bytes separated by `:`.
    NotAMac,
}

/// A refused word: its key (the whole word when it has no `=`), its value and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextError<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub kind: TextErrorKind,
}

impl From<TooLong> for TextErrorKind {
    fn from(e: TooLong) -> Self {
        TextErrorKind::TooLong(e.len, e.max)
    }
}

impl fmt::Display for TextError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (k, v) = (self.key.escape_debug(), self.value.escape_debug());
        match self.kind {
            TextErrorKind::NoValue => write!(f, "`{k}` is not key=value"),
            TextErrorKind::UnknownKey => write!(f, "unknown key `{k}`"),
            TextErrorKind::NotAFlag => write!(f, "{k} is a flag: 0 or 1, not `{v}`"),
            TextErrorKind::NotANumber => write!(f, "{k}: `{v}` is not a decimal number"),
            TextErrorKind::TooLarge(max) => {
                write!(f, "{k}={v} does not fit: at most {max}")
            }
            TextErrorKind::NotAnAddress => {
                write!(f, "{k}: `{v}` is not an IPv4 or IPv6 address")
            }
            TextErrorKind::NotAName(why) => write!(f, "{k}: `{v}` {why}"),
            TextErrorKind::TooLong(n, max) => {
                write!(f, "{k} is {n} bytes, more than {max}")
            }
            TextErrorKind::NotHex => write!(f, "{k}: `{v}` is not hex, two digits per byte"),
            TextErrorKind::NotAMac => {
                write!(f, "{k}: `{v}` is not a MAC address like 02:00:5e:00:00:01")
            }
        }
    }
}

/// A decimal number of at most `max`.
fn number(v: &str, max: u64) -> Result<u64, TextErrorKind> {
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
        return Err(TextErrorKind::NotANumber);
    }
    let mut n: u64 = 0;
    for c in v.bytes() {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(c - b'0')))
            .ok_or(TextErrorKind::TooLarge(max))?;
    }
    if n > max {
        return Err(TextErrorKind::TooLarge(max));
    }
    Ok(n)
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Set one field from its key and value text.
fn set(o: &mut Observation, key: &str, v: &str) -> Result<(), TextErrorKind> {
    if let Some(bit) = flag_bit(key) {
        match v {
            "0" => o.set(bit, false),
            "1" => o.set(bit, true),
            _ => return Err(TextErrorKind::NotAFlag),
        }
        return Ok(());
    }
    let u8max = u64::from(u8::MAX);
    let u32max = u64::from(u32::MAX);
    match key {
        "now_ms" => o.now_ms = number(v, u64::MAX)?,
        "since_start_ms" => o.since_start_ms = number(v, u64::MAX)?,
        "interval_ms" => o.interval_ms = number(v, u64::MAX)?,
        "timeout_ms" => o.timeout_ms = number(v, u64::MAX)?,
        "depth" => o.depth = number(v, u32max)? as u32,
        "monitors" => o.monitors = number(v, u32max)? as u32,
        "mtu" => o.mtu = number(v, u32max)? as u32,
        "ifindex" => o.ifindex = number(v, u32max)? as u32,
        "prefix" => o.prefix = number(v, u8max)? as u8,
        "builtin" => o.builtin = number(v, u8max)? as u8,
        "rx_packets" => o.rx_packets = number(v, u64::MAX)?,
        "tx_packets" => o.tx_packets = number(v, u64::MAX)?,
        "rx_errors" => o.rx_errors = number(v, u64::MAX)?,
        "tx_errors" => o.tx_errors = number(v, u64::MAX)?,
        "rx_dropped" => o.rx_dropped = number(v, u64::MAX)?,
        "tx_dropped" => o.tx_dropped = number(v, u64::MAX)?,
        "ip" => {
            let ip: IpAddr = v.parse().map_err(|_| TextErrorKind::NotAnAddress)?;
            o.set_ip(&ip);
        }
        "ifname" => {
            let name = IfName::parse(v).map_err(|e| TextErrorKind::NotAName(e.message()))?;
            o.set_ifname(&name);
        }
        "args" => {
            // The agent passes at most POLICY_ARGS_MAX bytes, one less than the field holds.
            if v.len() > POLICY_ARGS_MAX {
                return Err(TextErrorKind::TooLong(v.len(), POLICY_ARGS_MAX));
            }
            o.set_args(v.as_bytes()).map_err(TextErrorKind::from)?;
        }
        "state" => {
            let b = v.as_bytes();
            if b.len() % 2 != 0 {
                return Err(TextErrorKind::NotHex);
            }
            let blob = &mut [0u8; STATE_MAX];
            let blob = blob
                .get_mut(..b.len() / 2)
                .ok_or(TextErrorKind::TooLong(b.len() / 2, STATE_MAX))?;
            for (i, pair) in b.chunks_exact(2).enumerate() {
                match (hex_digit(pair[0]), hex_digit(pair[1])) {
                    (Some(h), Some(l)) => blob[i] = h << 4 | l,
                    _ => return Err(TextErrorKind::NotHex),
                }
            }
            o.set_state(blob).map_err(TextErrorKind::from)?;
        }
        "conflict_mac" => {
            let mut mac = [0u8; 6];
            let mut parts = v.split(':');
            for m in &mut mac {
                match parts.next().map(str::as_bytes) {
                    Some(&[h, l]) => match (hex_digit(h), hex_digit(l)) {
                        (Some(h), Some(l)) => *m = h << 4 | l,
                        _ => return Err(TextErrorKind::NotAMac),
                    },
                    _ => return Err(TextErrorKind::NotAMac),
                }
            }
            if parts.next().is_some() {
                return Err(TextErrorKind::NotAMac);
            }
            o.conflict_mac = mac;
        }
        _ => return Err(TextErrorKind::UnknownKey),
    }
    Ok(())
}

/// Apply one line of `key=value` words to `o`: all of them, or (on the first bad word, which
/// the error names) none. Returns how many words were applied, `-` included (0 for a blank
/// or comment line, which a replay skips).
pub fn apply<'a>(o: &mut Observation, line: &'a str) -> Result<usize, TextError<'a>> {
    let mut next = *o;
    let mut n = 0;
    for word in line.split_ascii_whitespace() {
        if word.starts_with('#') {
            break;
        }
        if word == "-" {
            n += 1;
            continue;
        }
        let Some((key, value)) = word.split_once('=') else {
            return Err(TextError {
                key: word,
                value: "",
                kind: TextErrorKind::NoValue,
            });
        };
        set(&mut next, key, value).map_err(|kind| TextError { key, value, kind })?;
        n += 1;
    }
    *o = next;
    Ok(n)
}

/// The observation a replay starts from: a healthy interface (`eth0`, present, up, running,
/// with carrier and zero counters) with the address `192.0.2.1/24` present, one monitor into
/// a resource started `since_start_ms` 0 ago, interval 10 s, timeout 20 s, depth 0, an OCF
/// 1.1 caller, `builtin` 0, no args, no state.
pub const fn sample(now_ms: u64) -> Observation {
    let mut o = Observation::new();
    o.now_ms = now_ms;
    o.flags = flag::ADDR_PRESENT
        | flag::LINK_PRESENT
        | flag::LINK_UP
        | flag::LINK_RUNNING
        | flag::LINK_CARRIER
        | flag::COUNTERS
        | flag::START_KNOWN
        | flag::DEGRADED_SUPPORTED;
    o.monitors = 1;
    o.mtu = 1500;
    o.ifindex = 2;
    o.interval_ms = 10_000;
    o.timeout_ms = 20_000;
    o.family = 4;
    o.prefix = 24;
    o.ip = [192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    o.ifname = *b"eth0\0\0\0\0\0\0\0\0\0\0\0\0";
    o
}

/// Turn `o` into the next monitor's observation before its line is applied: one more
/// monitor, `now_ms` and `since_start_ms` later by `interval_ms` (saturating), and the
/// previous verdict's state as the state blob.
pub fn advance(o: &mut Observation, prev: &Verdict) {
    o.monitors = o.monitors.saturating_add(1);
    o.now_ms = o.now_ms.saturating_add(o.interval_ms);
    o.since_start_ms = o.since_start_ms.saturating_add(o.interval_ms);
    o.set_state_of(prev);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::OBSERVATION_SIZE;
    use std::string::ToString;

    fn err(line: &str) -> std::string::String {
        let mut o = sample(0);
        let before = o;
        let e = apply(&mut o, line).unwrap_err().to_string();
        assert_eq!(o, before, "{line}: a refused line changes nothing");
        e
    }

    #[test]
    fn every_key_sets_its_field_in_the_encoding() {
        let mut o = Observation::new();
        let line = "addr_present=1 link_carrier=1 counters=1 probe=1 now_ms=18446744073709551615 \
             since_start_ms=5 interval_ms=6 timeout_ms=7 depth=20 monitors=4294967295 mtu=9000 \
             ifindex=3 prefix=64 builtin=255 rx_packets=1 tx_packets=2 rx_errors=3 \
             tx_errors=4 rx_dropped=5 tx_dropped=6 ip=2001:db8::1 ifname=vlan100 \
             args=bad=3,x=1 state=0aFF";
        assert_eq!(apply(&mut o, line), Ok(24));
        let b = o.encode();
        assert_eq!(b.len(), OBSERVATION_SIZE);
        assert_eq!(&b[8..16], &[0xff; 8]);
        assert_eq!(&b[16..24], &5u64.to_le_bytes());
        assert_eq!(&b[24..32], &6u64.to_le_bytes());
        assert_eq!(&b[32..40], &7u64.to_le_bytes());
        assert_eq!(&b[40..44], &20u32.to_le_bytes());
        let flags = flag::ADDR_PRESENT | flag::LINK_CARRIER | flag::COUNTERS | flag::PROBE;
        assert_eq!(&b[44..48], &flags.to_le_bytes());
        assert_eq!(&b[48..52], &[0xff; 4]);
        assert_eq!(&b[52..56], &9000u32.to_le_bytes());
        assert_eq!(&b[56..60], &3u32.to_le_bytes());
        assert_eq!(&b[60..63], &[6, 64, 255]);
        for (i, v) in (1u64..=6).enumerate() {
            assert_eq!(&b[64 + 8 * i..72 + 8 * i], &v.to_le_bytes());
        }
        assert_eq!(&b[112..114], &[0x20, 0x01]);
        assert_eq!(b[127], 1);
        assert_eq!(&b[128..136], b"vlan100\0");
        assert_eq!(&b[144..148], &[9, 0, 2, 0]);
        assert_eq!(&b[152..161], b"bad=3,x=1");
        assert_eq!(&b[408..410], &[0x0a, 0xff]);
        // Flags clear, the IPv4 form sets family 4.
        assert_eq!(apply(&mut o, "probe=0 ip=198.51.100.7 state="), Ok(3));
        assert!(!o.has(flag::PROBE) && o.has(flag::COUNTERS));
        assert_eq!((o.family, &o.ip[..5]), (4, &[198, 51, 100, 7, 0][..]));
        assert_eq!(o.state(), b"");
    }

    #[test]
    fn every_listed_key_is_accepted() {
        for key in KEYS {
            let value = match *key {
                "ip" => "192.0.2.9",
                "ifname" => "eth1",
                "args" => "a=1",
                "state" => "00",
                "conflict_mac" => "02:00:5e:00:00:99",
                _ => "1",
            };
            let mut o = Observation::new();
            let word = std::format!("{key}={value}");
            assert_eq!(apply(&mut o, &word), Ok(1), "{word}");
        }
    }

    #[test]
    fn conflict_keys() {
        let mut o = sample(7);
        assert_eq!(
            apply(
                &mut o,
                "conflict_checked=1 conflict=1 conflict_mac=02:00:5E:00:00:99"
            ),
            Ok(3)
        );
        assert!(o.has(flag::CONFLICT_CHECKED) && o.has(flag::CONFLICT));
        assert_eq!(o.conflict_mac, [2, 0, 0x5e, 0, 0, 0x99]);
        let before = o;
        for bad in [
            "conflict_mac=02:00:5e:00:00",
            "conflict_mac=02:00:5e:00:00:99:01",
            "conflict_mac=2:00:5e:00:00:99",
            "conflict_mac=02-00-5e-00-00-99",
            "conflict_mac=0g:00:5e:00:00:99",
            "conflict_mac=",
        ] {
            let e = apply(&mut o, bad).unwrap_err();
            assert_eq!(e.kind, TextErrorKind::NotAMac, "{bad}");
            assert_eq!(o, before, "{bad} changed the observation");
        }
    }

    #[test]
    fn blank_and_comment_lines() {
        let mut o = sample(7);
        assert_eq!(apply(&mut o, ""), Ok(0));
        assert_eq!(apply(&mut o, "  \t "), Ok(0));
        assert_eq!(apply(&mut o, "# link_up=0"), Ok(0));
        assert_eq!(apply(&mut o, "-"), Ok(1));
        assert_eq!(apply(&mut o, "- # nothing changes"), Ok(1));
        assert_eq!(o, sample(7));
        assert_eq!(apply(&mut o, "link_up=0 #rest=ignored x"), Ok(1));
        assert!(!o.has(flag::LINK_UP));
    }

    #[test]
    fn errors_name_the_key_and_nothing_is_cut() {
        for (line, want) in [
            ("carrier", "`carrier` is not key=value"),
            ("link_up=0 carrier=0", "unknown key `carrier`"),
            ("link_up=2", "link_up is a flag: 0 or 1, not `2`"),
            ("link_up=", "link_up is a flag: 0 or 1, not ``"),
            ("mtu=-1", "mtu: `-1` is not a decimal number"),
            ("mtu=1e3", "mtu: `1e3` is not a decimal number"),
            ("rx_dropped=", "rx_dropped: `` is not a decimal number"),
            ("prefix=256", "prefix=256 does not fit: at most 255"),
            ("builtin=1000", "builtin=1000 does not fit: at most 255"),
            (
                "mtu=4294967296",
                "mtu=4294967296 does not fit: at most 4294967295",
            ),
            (
                "rx_dropped=18446744073709551616",
                "rx_dropped=18446744073709551616 does not fit: at most 18446744073709551615",
            ),
            (
                "rx_dropped=99999999999999999999999",
                "rx_dropped=99999999999999999999999 does not fit",
            ),
            ("ip=192.0.2", "ip: `192.0.2` is not an IPv4 or IPv6 address"),
            (
                "ifname=averyveryverylongname",
                "ifname: `averyveryverylongname`",
            ),
            ("state=abc", "state: `abc` is not hex"),
            ("state=zz", "state: `zz` is not hex"),
            ("state=+1", "state: `+1` is not hex"),
        ] {
            let e = err(line);
            assert!(e.starts_with(want), "{line}: {e}");
            assert!(!e.contains('\n'));
        }
        let long_args = std::format!("args={}", "a".repeat(256));
        assert_eq!(err(&long_args), "args is 256 bytes, more than 255");
        let fits = std::format!("args={}", "a".repeat(255));
        let mut o = sample(0);
        assert_eq!(apply(&mut o, &fits), Ok(1));
        assert_eq!(o.args().len(), 255);
        let long_state = std::format!("state={}", "ab".repeat(257));
        assert_eq!(err(&long_state), "state is 257 bytes, more than 256");
        let full = std::format!("state={}", "ab".repeat(256));
        assert_eq!(apply(&mut o, &full), Ok(1));
        assert_eq!(o.state(), &[0xab; 256][..]);
        // A value with control characters is shown escaped, on one line.
        assert_eq!(err("mtu=1\u{7}"), "mtu: `1\\u{7}` is not a decimal number");
    }

    #[test]
    fn sample_and_advance() {
        let mut o = sample(1_000);
        assert!(o.has(flag::ADDR_PRESENT | flag::LINK_RUNNING | flag::COUNTERS));
        assert_eq!(o.ifname_str(), "eth0");
        assert_eq!(o.ip_addr(), Some("192.0.2.1".parse().unwrap()));
        assert_eq!(Observation::decode(&o.encode()), Ok(o));
        advance(&mut o, &Verdict::running().with_state(&[1, 2]));
        assert_eq!(
            (o.monitors, o.now_ms, o.since_start_ms),
            (2, 11_000, 10_000)
        );
        assert_eq!(o.state(), &[1, 2]);
        o.now_ms = u64::MAX;
        advance(&mut o, &Verdict::running());
        assert_eq!(o.now_ms, u64::MAX);
        assert_eq!(o.state(), b"");
    }

    /// Total: arbitrary bytes (as text) either apply or name a key, and what applies encodes
    /// to an observation that decodes to itself.
    #[test]
    fn total_on_garbage() {
        let alphabet = b"=# \t01234569abfx_.:-\xc3\xa9";
        let mut x: u32 = 0x9e37_79b9;
        let mut buf = [0u8; 96];
        for round in 0..4000 {
            for c in buf.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *c = alphabet[(x as usize) % alphabet.len()];
            }
            let mut line = std::string::String::from_utf8_lossy(&buf).into_owned();
            if round % 2 == 0 {
                // Splice in real keys so values get exercised too.
                let k = KEYS[(x as usize) % KEYS.len()];
                line = std::format!("{k}={line}");
            }
            let mut o = sample(0);
            match apply(&mut o, &line) {
                Ok(_) => assert_eq!(Observation::decode(&o.encode()), Ok(o)),
                Err(e) => assert!(line.contains(e.key), "{line:?}: {e}"),
            }
        }
    }
}
