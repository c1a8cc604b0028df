//! The WebAssembly health-policy ABI, version 1: the one definition of what the agent hands a
//! policy module and what the module answers. The host (`ifaddr`) and the guest SDK
//! (`policies/sdk`, crate `ifaddr-policy`) both use these types.
//!
//! # Exchange
//!
//! A policy is a core WebAssembly module with **no imports**. It exports:
//!
//! * `memory`: its linear memory;
//! * `ifaddr_policy_abi() -> i32`: the ABI it was built for, `major << 16 | minor`
//!   ([`ABI_VERSION`]); the host refuses another major;
//! * `ifaddr_policy_buffer() -> i32`: the offset of a [`BUFFER_SIZE`]-byte exchange area in
//!   `memory`;
//! * `ifaddr_policy_evaluate(len: i32) -> i32`: decide. On entry the first `len` bytes of the
//!   exchange area hold an encoded [`Observation`]; the module writes an encoded [`Verdict`]
//!   at [`OUTPUT_OFFSET`] in the area and returns its length (or anything else on failure,
//!   which the host treats as garbage).
//!
//! # Encoding
//!
//! Every structure is `#[repr(C)]` with explicit padding, so its in-memory layout and its
//! encoding coincide; integers are little-endian. [`Observation::encode`] and
//! [`Verdict::encode`] write the bytes, the `decode` functions read them and never panic.
//!
//! # Compatibility
//!
//! Each structure starts with `abi` (`major << 16 | minor`) and `size` (the bytes the writer
//! filled in). Minor versions only append fields: a reader takes the fields it knows that lie
//! within `size` and sees zero for the rest, and ignores bytes past what it knows. A different
//! major is refused.
//!
//! Versions: 1.0; 1.1 appended [`Observation::conflict_mac`] (with [`flag::CONFLICT_CHECKED`],
//! [`flag::CONFLICT`] and [`reason::ADDRESS_CONFLICT`]), the depth-20 split-brain check.

use crate::ifname::IfName;
use core::mem::{offset_of, size_of};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub mod state;
pub mod text;

/// ABI major version: changes only when a field moves or changes meaning.
pub const ABI_MAJOR: u16 = 1;
/// ABI minor version: bumped when fields are appended.
pub const ABI_MINOR: u16 = 1;
/// `major << 16 | minor`, as returned by `ifaddr_policy_abi` and stored in every structure.
pub const ABI_VERSION: u32 = ((ABI_MAJOR as u32) << 16) | ABI_MINOR as u32;

/// Export names.
pub const EXPORT_MEMORY: &str = "memory";
pub const EXPORT_ABI: &str = "ifaddr_policy_abi";
pub const EXPORT_BUFFER: &str = "ifaddr_policy_buffer";
pub const EXPORT_EVALUATE: &str = "ifaddr_policy_evaluate";

/// Size of the exchange area the guest exports.
pub const BUFFER_SIZE: usize = 4096;
/// Room for the observation at the start of the exchange area.
pub const INPUT_MAX: usize = 2048;
/// Where in the exchange area the guest writes its verdict.
pub const OUTPUT_OFFSET: usize = 2048;
/// Room for the verdict.
pub const OUTPUT_MAX: usize = BUFFER_SIZE - OUTPUT_OFFSET;

/// Capacity of the `policy_args` copy in the observation.
pub const ARGS_MAX: usize = 256;
/// Capacity of the state blob the host keeps between monitors.
pub const STATE_MAX: usize = 256;
/// Capacity of a verdict's message.
pub const MESSAGE_MAX: usize = 128;

/// A value longer than the field it was meant for: nothing was copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    /// The value's length in bytes.
    pub len: usize,
    /// The field's capacity.
    pub max: usize,
}

impl core::fmt::Display for TooLong {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} bytes, more than {}", self.len, self.max)
    }
}

/// `value`'s length as a length field, when it is at most `max` (at most `u16::MAX`).
fn fit(value: &[u8], max: usize) -> Result<u16, TooLong> {
    let too_long = TooLong {
        len: value.len(),
        max,
    };
    if value.len() > max {
        return Err(too_long);
    }
    u16::try_from(value.len()).map_err(|_| too_long)
}

/// A length below a capacity `N` that fits a `u16` length field (checked at compile time).
fn short_len<const N: usize>(len: usize) -> u16 {
    const { assert!(N <= u16::MAX as usize) };
    // `len` is at most N, so the conversion is exact.
    len as u16
}

/// Bits of [`Observation::flags`].
pub mod flag {
    /// The address is configured (on the interface named in the observation).
    pub const ADDR_PRESENT: u32 = 1 << 0;
    /// IPv6: duplicate address detection has not finished.
    pub const ADDR_TENTATIVE: u32 = 1 << 1;
    /// IPv6: duplicate address detection failed.
    pub const ADDR_DUPLICATED: u32 = 1 << 2;
    /// IPv6: the preferred lifetime has expired.
    pub const ADDR_DEPRECATED: u32 = 1 << 3;
    /// The interface exists.
    pub const LINK_PRESENT: u32 = 1 << 4;
    /// The interface is administratively up.
    pub const LINK_UP: u32 = 1 << 5;
    /// The interface is operational (up and with carrier).
    pub const LINK_RUNNING: u32 = 1 << 6;
    /// The interface has carrier.
    pub const LINK_CARRIER: u32 = 1 << 7;
    /// The interface is a loopback.
    pub const LINK_LOOPBACK: u32 = 1 << 8;
    /// The counters are filled in (the OS reported them).
    pub const COUNTERS: u32 = 1 << 9;
    /// `since_start_ms` is known (the agent recorded this resource's start).
    pub const START_KNOWN: u32 = 1 << 10;
    /// This monitor is a probe (no interval).
    pub const PROBE: u32 = 1 << 11;
    /// The OCF caller announced API 1.1, so a degraded verdict is reported as such.
    pub const DEGRADED_SUPPORTED: u32 = 1 << 12;
    /// ABI 1.1: this monitor (depth 20) asked the link whether another host answers for the
    /// address.
    pub const CONFLICT_CHECKED: u32 = 1 << 13;
    /// ABI 1.1: another host answered for the address (split brain); its hardware address is
    /// in [`super::Observation::conflict_mac`].
    pub const CONFLICT: u32 = 1 << 14;
}

/// Well-known reason codes for [`Verdict::reason`]. Policies may use their own from
/// [`reason::CUSTOM`] up; the host logs those by number.
pub mod reason {
    pub const NONE: u32 = 0;
    pub const ADDRESS_MISSING: u32 = 1;
    pub const ADDRESS_TENTATIVE: u32 = 2;
    pub const ADDRESS_DUPLICATED: u32 = 3;
    pub const ADDRESS_DEPRECATED: u32 = 4;
    pub const LINK_MISSING: u32 = 5;
    pub const LINK_DOWN: u32 = 6;
    pub const NO_CARRIER: u32 = 7;
    pub const ERROR_RATE: u32 = 8;
    pub const DROP_RATE: u32 = 9;
    pub const FLAPPING: u32 = 10;
    pub const BAD_ARGS: u32 = 11;
    pub const ABI: u32 = 12;
    /// ABI 1.1: another host answers for the address.
    pub const ADDRESS_CONFLICT: u32 = 13;
    /// First policy-defined code.
    pub const CUSTOM: u32 = 0x1000;

    /// A short name for a well-known code.
    pub fn name(code: u32) -> Option<&'static str> {
        Some(match code {
            NONE => "ok",
            ADDRESS_MISSING => "address-missing",
            ADDRESS_TENTATIVE => "address-tentative",
            ADDRESS_DUPLICATED => "address-duplicated",
            ADDRESS_DEPRECATED => "address-deprecated",
            LINK_MISSING => "link-missing",
            LINK_DOWN => "link-down",
            NO_CARRIER => "no-carrier",
            ERROR_RATE => "error-rate",
            DROP_RATE => "drop-rate",
            FLAPPING => "flapping",
            BAD_ARGS => "bad-args",
            ABI => "abi",
            ADDRESS_CONFLICT => "address-conflict",
            _ => return None,
        })
    }
}

/// What the policy decided; the discriminants are the OCF exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Decision {
    Running = 0,
    Failed = 1,
    NotRunning = 7,
    Degraded = 190,
}

impl Decision {
    /// The decision for an OCF code, `None` for any other number.
    pub fn from_code(code: u32) -> Option<Decision> {
        Some(match code {
            0 => Decision::Running,
            1 => Decision::Failed,
            7 => Decision::NotRunning,
            190 => Decision::Degraded,
            _ => return None,
        })
    }

    pub fn code(self) -> u32 {
        self as u32
    }

    /// The exit code the agent reports for this decision (before the OCF 1.0 fallback of
    /// degraded to success).
    pub fn exit(self) -> crate::ocf::Exit {
        match self {
            Decision::Running => crate::ocf::Exit::Success,
            Decision::Failed => crate::ocf::Exit::ErrGeneric,
            Decision::NotRunning => crate::ocf::Exit::NotRunning,
            Decision::Degraded => crate::ocf::Exit::Degraded,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Decision::Running => "running",
            Decision::Failed => "failed",
            Decision::NotRunning => "not-running",
            Decision::Degraded => "degraded",
        }
    }
}

/// Why an encoded structure was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbiError {
    /// Fewer bytes than the version-1.0 structure.
    Truncated,
    /// A different ABI major version.
    Version(u32),
    /// `size`, a length field or the returned length is out of range.
    BadLength,
    /// A verdict code outside 0, 1, 7 and 190.
    BadCode(u32),
}

impl AbiError {
    pub fn message(self) -> &'static str {
        match self {
            AbiError::Truncated => "structure is truncated",
            AbiError::Version(_) => "ABI major version is not 1",
            AbiError::BadLength => "a length field is out of range",
            AbiError::BadCode(_) => "verdict code is not 0, 1, 7 or 190",
        }
    }
}

/// What the agent saw, handed to the policy on every monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Observation {
    /// [`ABI_VERSION`] of the writer.
    pub abi: u32,
    /// Bytes of this structure the writer filled in.
    pub size: u32,
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub now_ms: u64,
    /// Milliseconds since the agent started this resource (valid with [`flag::START_KNOWN`]).
    pub since_start_ms: u64,
    /// The monitor's interval (`OCF_RESKEY_CRM_meta_interval`); 0 for a probe.
    pub interval_ms: u64,
    /// The monitor's timeout.
    pub timeout_ms: u64,
    /// `OCF_CHECK_LEVEL`.
    pub depth: u32,
    /// [`flag`] bits.
    pub flags: u32,
    /// Monitors since the start, this one included.
    pub monitors: u32,
    pub mtu: u32,
    pub ifindex: u32,
    /// 4 or 6.
    pub family: u8,
    /// The configured prefix length of the address.
    pub prefix: u8,
    /// The OCF code the agent would return without a policy.
    pub builtin: u8,
    pub _reserved0: u8,
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
    /// The address: 4 bytes then zeros for IPv4, 16 bytes for IPv6.
    pub ip: [u8; 16],
    /// The interface name, NUL-padded.
    pub ifname: [u8; 16],
    pub args_len: u16,
    pub state_len: u16,
    pub _reserved1: u32,
    /// `policy_args`, `args_len` bytes used.
    pub args: [u8; ARGS_MAX],
    /// The state blob from the previous verdict, `state_len` bytes used.
    pub state: [u8; STATE_MAX],
    /// ABI 1.1: the hardware address of the other host that answered for the address (with
    /// [`flag::CONFLICT`]); zero otherwise.
    pub conflict_mac: [u8; 6],
    pub _reserved2: [u8; 2],
}

/// Encoded size of the observation this crate writes (version 1.1).
pub const OBSERVATION_SIZE: usize = 672;
/// Encoded size of the version-1.0 observation: the least a reader accepts.
pub const OBSERVATION_SIZE_1_0: usize = 664;

const _: () = {
    assert!(size_of::<Observation>() == OBSERVATION_SIZE);
    assert!(OBSERVATION_SIZE <= INPUT_MAX);
    assert!(offset_of!(Observation, abi) == field::observation::ABI);
    assert!(offset_of!(Observation, size) == field::observation::SIZE);
    assert!(offset_of!(Observation, now_ms) == field::observation::NOW_MS);
    assert!(offset_of!(Observation, since_start_ms) == field::observation::SINCE_START_MS);
    assert!(offset_of!(Observation, interval_ms) == field::observation::INTERVAL_MS);
    assert!(offset_of!(Observation, timeout_ms) == field::observation::TIMEOUT_MS);
    assert!(offset_of!(Observation, depth) == field::observation::DEPTH);
    assert!(offset_of!(Observation, flags) == field::observation::FLAGS);
    assert!(offset_of!(Observation, monitors) == field::observation::MONITORS);
    assert!(offset_of!(Observation, mtu) == field::observation::MTU);
    assert!(offset_of!(Observation, ifindex) == field::observation::IFINDEX);
    assert!(offset_of!(Observation, family) == field::observation::FAMILY);
    assert!(offset_of!(Observation, prefix) == field::observation::PREFIX);
    assert!(offset_of!(Observation, builtin) == field::observation::BUILTIN);
    assert!(offset_of!(Observation, rx_packets) == field::observation::RX_PACKETS);
    assert!(offset_of!(Observation, tx_packets) == field::observation::TX_PACKETS);
    assert!(offset_of!(Observation, rx_errors) == field::observation::RX_ERRORS);
    assert!(offset_of!(Observation, tx_errors) == field::observation::TX_ERRORS);
    assert!(offset_of!(Observation, rx_dropped) == field::observation::RX_DROPPED);
    assert!(offset_of!(Observation, tx_dropped) == field::observation::TX_DROPPED);
    assert!(offset_of!(Observation, ip) == field::observation::IP);
    assert!(offset_of!(Observation, ifname) == field::observation::IFNAME);
    assert!(offset_of!(Observation, args_len) == field::observation::ARGS_LEN);
    assert!(offset_of!(Observation, state_len) == field::observation::STATE_LEN);
    assert!(offset_of!(Observation, args) == field::observation::ARGS);
    assert!(offset_of!(Observation, state) == field::observation::STATE);
    assert!(offset_of!(Observation, conflict_mac) == field::observation::CONFLICT_MAC);
    assert!(field::observation::CONFLICT_MAC == OBSERVATION_SIZE_1_0);
    assert!(offset_of!(Observation, _reserved2) == field::observation::RESERVED2);
};

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Verdict {
    /// [`ABI_VERSION`] of the writer.
    pub abi: u32,
    /// Bytes of this structure the writer filled in.
    pub size: u32,
    /// A [`Decision`] code: 0, 1, 7 or 190.
    pub code: u32,
    /// A [`reason`] code.
    pub reason: u32,
    pub message_len: u16,
    pub state_len: u16,
    pub _reserved0: u32,
    /// A short human-readable message, `message_len` bytes used (the host replaces bytes
    /// outside printable ASCII).
    pub message: [u8; MESSAGE_MAX],
    /// The state blob to hand to the next monitor, `state_len` bytes used.
    pub state: [u8; STATE_MAX],
}

/// Encoded size of the version-1.0 verdict.
pub const VERDICT_SIZE: usize = 408;

const _: () = {
    assert!(size_of::<Verdict>() == VERDICT_SIZE);
    assert!(VERDICT_SIZE <= OUTPUT_MAX);
    assert!(offset_of!(Verdict, abi) == field::verdict::ABI);
    assert!(offset_of!(Verdict, size) == field::verdict::SIZE);
    assert!(offset_of!(Verdict, code) == field::verdict::CODE);
    assert!(offset_of!(Verdict, reason) == field::verdict::REASON);
    assert!(offset_of!(Verdict, message_len) == field::verdict::MESSAGE_LEN);
    assert!(offset_of!(Verdict, state_len) == field::verdict::STATE_LEN);
    assert!(offset_of!(Verdict, message) == field::verdict::MESSAGE);
    assert!(offset_of!(Verdict, state) == field::verdict::STATE);
};

/// Field offsets of the ABI structures, in bytes from the start of each encoding. The
/// encoders and decoders below use these; the `offset_of!` asserts tie them to the `repr(C)`
/// types, so the encoding is the layout.
mod field {
    crate::wire::offsets! {
        /// [`Observation`](super::Observation).
        observation {
            ABI = 0, SIZE = 4, NOW_MS = 8, SINCE_START_MS = 16, INTERVAL_MS = 24,
            TIMEOUT_MS = 32, DEPTH = 40, FLAGS = 44, MONITORS = 48, MTU = 52, IFINDEX = 56,
            FAMILY = 60, PREFIX = 61, BUILTIN = 62, RX_PACKETS = 64, TX_PACKETS = 72,
            RX_ERRORS = 80, TX_ERRORS = 88, RX_DROPPED = 96, TX_DROPPED = 104, IP = 112,
            IFNAME = 128, ARGS_LEN = 144, STATE_LEN = 146, ARGS = 152, STATE = 408,
            /// ABI 1.1: right after the version-1.0 observation.
            CONFLICT_MAC = 664,
            RESERVED2 = 670,
        }
        /// [`Verdict`](super::Verdict).
        verdict {
            ABI = 0, SIZE = 4, CODE = 8, REASON = 12, MESSAGE_LEN = 16, STATE_LEN = 18,
            MESSAGE = 24, STATE = 152,
        }
    }
}

// Little-endian field access at the offsets of `field`.

fn put<const N: usize>(out: &mut [u8], off: usize, b: [u8; N]) {
    out[off..off + N].copy_from_slice(&b);
}

fn get<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    let mut a = [0u8; N];
    if let Some(s) = b.get(off..off + N) {
        a.copy_from_slice(s);
    }
    a
}

fn get_u16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(get(b, off))
}
fn get_u32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(get(b, off))
}
fn get_u64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(get(b, off))
}

/// Check the common header and return the bytes the reader may use: the writer's `size`
/// bytes, cut to what this reader knows (`known`).
fn header(b: &[u8], v1_size: usize, known: usize) -> Result<&[u8], AbiError> {
    if b.len() < 8 {
        return Err(AbiError::Truncated);
    }
    // Both structures start with the same two fields.
    let abi = get_u32(b, field::observation::ABI);
    if abi >> 16 != u32::from(ABI_MAJOR) {
        return Err(AbiError::Version(abi));
    }
    let size = get_u32(b, field::observation::SIZE) as usize;
    if size > b.len() {
        return Err(if b.len() < v1_size {
            AbiError::Truncated
        } else {
            AbiError::BadLength
        });
    }
    if size < v1_size {
        return Err(AbiError::Truncated);
    }
    Ok(&b[..size.min(known)])
}

impl Default for Observation {
    fn default() -> Self {
        Observation::new()
    }
}

impl Observation {
    /// An observation with the header filled in and everything else zero.
    pub const fn new() -> Observation {
        Observation {
            abi: ABI_VERSION,
            size: OBSERVATION_SIZE as u32,
            now_ms: 0,
            since_start_ms: 0,
            interval_ms: 0,
            timeout_ms: 0,
            depth: 0,
            flags: 0,
            monitors: 0,
            mtu: 0,
            ifindex: 0,
            family: 0,
            prefix: 0,
            builtin: 0,
            _reserved0: 0,
            rx_packets: 0,
            tx_packets: 0,
            rx_errors: 0,
            tx_errors: 0,
            rx_dropped: 0,
            tx_dropped: 0,
            ip: [0; 16],
            ifname: [0; 16],
            args_len: 0,
            state_len: 0,
            _reserved1: 0,
            args: [0; ARGS_MAX],
            state: [0; STATE_MAX],
            conflict_mac: [0; 6],
            _reserved2: [0; 2],
        }
    }

    /// Whether every bit of `f` (see [`flag`]) is set.
    pub fn has(&self, f: u32) -> bool {
        self.flags & f == f
    }

    /// Set or clear the bits of `f`.
    pub fn set(&mut self, f: u32, on: bool) {
        if on {
            self.flags |= f;
        } else {
            self.flags &= !f;
        }
    }

    /// ABI 1.1: the hardware address of another host that answers for the address (the
    /// depth-20 split-brain check), `None` when none did or the check was not made.
    pub fn conflict(&self) -> Option<[u8; 6]> {
        self.has(flag::CONFLICT).then_some(self.conflict_mac)
    }

    /// `policy_args` as bytes.
    pub fn args(&self) -> &[u8] {
        &self.args[..usize::from(self.args_len).min(ARGS_MAX)]
    }

    /// `policy_args` as text (empty if it is not UTF-8, which the agent never passes).
    pub fn args_str(&self) -> &str {
        core::str::from_utf8(self.args()).unwrap_or("")
    }

    /// The state blob the previous verdict left (empty after a start).
    pub fn state(&self) -> &[u8] {
        &self.state[..usize::from(self.state_len).min(STATE_MAX)]
    }

    /// The interface name (empty when unknown or not UTF-8).
    pub fn ifname_str(&self) -> &str {
        let n = self.ifname.iter().position(|&c| c == 0).unwrap_or(16);
        core::str::from_utf8(&self.ifname[..n]).unwrap_or("")
    }

    /// The address, from `family` and `ip`.
    pub fn ip_addr(&self) -> Option<IpAddr> {
        match self.family {
            4 => Some(IpAddr::V4(Ipv4Addr::new(
                self.ip[0], self.ip[1], self.ip[2], self.ip[3],
            ))),
            6 => Some(IpAddr::V6(Ipv6Addr::from(self.ip))),
            _ => None,
        }
    }

    /// Copy `args` in; `TooLong` (and no change) when it is longer than [`ARGS_MAX`].
    pub fn set_args(&mut self, args: &[u8]) -> Result<(), TooLong> {
        let len = fit(args, ARGS_MAX)?;
        self.args = [0; ARGS_MAX];
        self.args[..args.len()].copy_from_slice(args);
        self.args_len = len;
        Ok(())
    }

    /// Copy `args` in from a string no longer than [`ARGS_MAX`] by its type (such as
    /// [`crate::params::Params::policy_args`]).
    pub fn set_args_from<const N: usize>(&mut self, args: &heapless::String<N>) {
        const { assert!(N <= ARGS_MAX) };
        self.args = [0; ARGS_MAX];
        self.args[..args.len()].copy_from_slice(args.as_bytes());
        self.args_len = short_len::<N>(args.len());
    }

    /// Copy a state blob in; `TooLong` (and no change) when it is longer than [`STATE_MAX`].
    pub fn set_state(&mut self, state: &[u8]) -> Result<(), TooLong> {
        let len = fit(state, STATE_MAX)?;
        self.state = [0; STATE_MAX];
        self.state[..state.len()].copy_from_slice(state);
        self.state_len = len;
        Ok(())
    }

    /// Copy a state blob in from a vector no longer than [`STATE_MAX`] by its type.
    pub fn set_state_from<const N: usize>(&mut self, state: &heapless::Vec<u8, N>) {
        const { assert!(N <= STATE_MAX) };
        self.state = [0; STATE_MAX];
        self.state[..state.len()].copy_from_slice(state);
        self.state_len = short_len::<N>(state.len());
    }

    /// Copy the state a verdict leaves in (its state is at most [`STATE_MAX`] bytes).
    pub fn set_state_of(&mut self, v: &Verdict) {
        let s = v.state_bytes();
        self.state = [0; STATE_MAX];
        self.state[..s.len()].copy_from_slice(s);
        self.state_len = short_len::<STATE_MAX>(s.len());
    }

    /// Copy an interface name in (at most 15 bytes by its type).
    pub fn set_ifname(&mut self, name: &IfName) {
        self.ifname = name.to_c();
    }

    /// Set `family` and `ip`.
    pub fn set_ip(&mut self, ip: &IpAddr) {
        self.ip = [0; 16];
        match ip {
            IpAddr::V4(a) => {
                self.family = 4;
                self.ip[..4].copy_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                self.family = 6;
                self.ip = a.octets();
            }
        }
    }

    /// The little-endian encoding (`abi` and `size` are written as they are).
    pub fn encode(&self) -> [u8; OBSERVATION_SIZE] {
        let mut o = [0u8; OBSERVATION_SIZE];
        put(&mut o, field::observation::ABI, self.abi.to_le_bytes());
        put(&mut o, field::observation::SIZE, self.size.to_le_bytes());
        put(
            &mut o,
            field::observation::NOW_MS,
            self.now_ms.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::SINCE_START_MS,
            self.since_start_ms.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::INTERVAL_MS,
            self.interval_ms.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::TIMEOUT_MS,
            self.timeout_ms.to_le_bytes(),
        );
        put(&mut o, field::observation::DEPTH, self.depth.to_le_bytes());
        put(&mut o, field::observation::FLAGS, self.flags.to_le_bytes());
        put(
            &mut o,
            field::observation::MONITORS,
            self.monitors.to_le_bytes(),
        );
        put(&mut o, field::observation::MTU, self.mtu.to_le_bytes());
        put(
            &mut o,
            field::observation::IFINDEX,
            self.ifindex.to_le_bytes(),
        );
        put(&mut o, field::observation::FAMILY, [self.family]);
        put(&mut o, field::observation::PREFIX, [self.prefix]);
        put(&mut o, field::observation::BUILTIN, [self.builtin]);
        put(
            &mut o,
            field::observation::RX_PACKETS,
            self.rx_packets.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::TX_PACKETS,
            self.tx_packets.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::RX_ERRORS,
            self.rx_errors.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::TX_ERRORS,
            self.tx_errors.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::RX_DROPPED,
            self.rx_dropped.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::TX_DROPPED,
            self.tx_dropped.to_le_bytes(),
        );
        put(&mut o, field::observation::IP, self.ip);
        put(&mut o, field::observation::IFNAME, self.ifname);
        put(
            &mut o,
            field::observation::ARGS_LEN,
            self.args_len.to_le_bytes(),
        );
        put(
            &mut o,
            field::observation::STATE_LEN,
            self.state_len.to_le_bytes(),
        );
        put(&mut o, field::observation::ARGS, self.args);
        put(&mut o, field::observation::STATE, self.state);
        put(&mut o, field::observation::CONFLICT_MAC, self.conflict_mac);
        o
    }

    /// Decode an observation. Fields past the writer's `size` read as zero (a 1.0 writer's
    /// observation has no conflict fields); a different major version, a buffer shorter than
    /// the 1.0 layout or an out-of-range length is an error.
    pub fn decode(bytes: &[u8]) -> Result<Observation, AbiError> {
        let b = header(bytes, OBSERVATION_SIZE_1_0, OBSERVATION_SIZE)?;
        let args_len = get_u16(b, field::observation::ARGS_LEN);
        let state_len = get_u16(b, field::observation::STATE_LEN);
        if usize::from(args_len) > ARGS_MAX || usize::from(state_len) > STATE_MAX {
            return Err(AbiError::BadLength);
        }
        Ok(Observation {
            abi: get_u32(b, field::observation::ABI),
            size: get_u32(b, field::observation::SIZE),
            now_ms: get_u64(b, field::observation::NOW_MS),
            since_start_ms: get_u64(b, field::observation::SINCE_START_MS),
            interval_ms: get_u64(b, field::observation::INTERVAL_MS),
            timeout_ms: get_u64(b, field::observation::TIMEOUT_MS),
            depth: get_u32(b, field::observation::DEPTH),
            flags: get_u32(b, field::observation::FLAGS),
            monitors: get_u32(b, field::observation::MONITORS),
            mtu: get_u32(b, field::observation::MTU),
            ifindex: get_u32(b, field::observation::IFINDEX),
            family: get::<1>(b, field::observation::FAMILY)[0],
            prefix: get::<1>(b, field::observation::PREFIX)[0],
            builtin: get::<1>(b, field::observation::BUILTIN)[0],
            _reserved0: 0,
            rx_packets: get_u64(b, field::observation::RX_PACKETS),
            tx_packets: get_u64(b, field::observation::TX_PACKETS),
            rx_errors: get_u64(b, field::observation::RX_ERRORS),
            tx_errors: get_u64(b, field::observation::TX_ERRORS),
            rx_dropped: get_u64(b, field::observation::RX_DROPPED),
            tx_dropped: get_u64(b, field::observation::TX_DROPPED),
            ip: get(b, field::observation::IP),
            ifname: get(b, field::observation::IFNAME),
            args_len,
            state_len,
            _reserved1: 0,
            args: get(b, field::observation::ARGS),
            state: get(b, field::observation::STATE),
            conflict_mac: get(b, field::observation::CONFLICT_MAC),
            _reserved2: [0; 2],
        })
    }
}

impl Verdict {
    /// A verdict with `decision`, no reason, no message and an empty state blob.
    pub const fn new(decision: Decision) -> Verdict {
        Verdict {
            abi: ABI_VERSION,
            size: VERDICT_SIZE as u32,
            code: decision as u32,
            reason: reason::NONE,
            message_len: 0,
            state_len: 0,
            _reserved0: 0,
            message: [0; MESSAGE_MAX],
            state: [0; STATE_MAX],
        }
    }

    pub const fn running() -> Verdict {
        Verdict::new(Decision::Running)
    }

    pub const fn degraded(reason: u32) -> Verdict {
        Verdict::new(Decision::Degraded).with_reason(reason)
    }

    pub const fn not_running(reason: u32) -> Verdict {
        Verdict::new(Decision::NotRunning).with_reason(reason)
    }

    pub const fn failed(reason: u32) -> Verdict {
        Verdict::new(Decision::Failed).with_reason(reason)
    }

    pub const fn with_reason(mut self, reason: u32) -> Verdict {
        self.reason = reason;
        self
    }

    /// Set the message. One longer than [`MESSAGE_MAX`] bytes is cut at a character
    /// boundary and ends in `~`, so that the cut shows.
    pub fn with_message(mut self, msg: &str) -> Verdict {
        let cut = msg.len() > MESSAGE_MAX;
        let mut n = if cut { MESSAGE_MAX - 1 } else { msg.len() };
        while !msg.is_char_boundary(n) {
            n -= 1;
        }
        self.message = [0; MESSAGE_MAX];
        self.message[..n].copy_from_slice(&msg.as_bytes()[..n]);
        if cut {
            self.message[n] = b'~';
            n += 1;
        }
        self.message_len = n as u16;
        self
    }

    /// Set the state blob for the next monitor. A blob longer than [`STATE_MAX`] is never
    /// cut: the verdict becomes `failed` with reason [`reason::ABI`] and a message that says
    /// so, and carries no state.
    pub fn with_state(mut self, state: &[u8]) -> Verdict {
        match fit(state, STATE_MAX) {
            Ok(len) => {
                self.state = [0; STATE_MAX];
                self.state[..state.len()].copy_from_slice(state);
                self.state_len = len;
                self
            }
            Err(e) => {
                let mut m: heapless::String<MESSAGE_MAX> = heapless::String::new();
                // "state of N bytes, more than 256" fits MESSAGE_MAX for any N.
                let _ = core::fmt::write(&mut m, format_args!("state of {e}"));
                Verdict::failed(reason::ABI).with_message(&m)
            }
        }
    }

    /// The decision, if `code` is a valid one ([`Verdict::decode`] guarantees it is).
    pub fn decision(&self) -> Option<Decision> {
        Decision::from_code(self.code)
    }

    pub fn message_bytes(&self) -> &[u8] {
        &self.message[..usize::from(self.message_len).min(MESSAGE_MAX)]
    }

    pub fn state_bytes(&self) -> &[u8] {
        &self.state[..usize::from(self.state_len).min(STATE_MAX)]
    }

    /// The little-endian encoding.
    pub fn encode(&self) -> [u8; VERDICT_SIZE] {
        let mut o = [0u8; VERDICT_SIZE];
        put(&mut o, field::verdict::ABI, self.abi.to_le_bytes());
        put(&mut o, field::verdict::SIZE, self.size.to_le_bytes());
        put(&mut o, field::verdict::CODE, self.code.to_le_bytes());
        put(&mut o, field::verdict::REASON, self.reason.to_le_bytes());
        put(
            &mut o,
            field::verdict::MESSAGE_LEN,
            self.message_len.to_le_bytes(),
        );
        put(
            &mut o,
            field::verdict::STATE_LEN,
            self.state_len.to_le_bytes(),
        );
        put(&mut o, field::verdict::MESSAGE, self.message);
        put(&mut o, field::verdict::STATE, self.state);
        o
    }

    /// Decode a verdict. Total: any input yields a verdict with a valid decision and
    /// in-range lengths, or an error.
    pub fn decode(bytes: &[u8]) -> Result<Verdict, AbiError> {
        let b = header(bytes, VERDICT_SIZE, VERDICT_SIZE)?;
        let code = get_u32(b, field::verdict::CODE);
        if Decision::from_code(code).is_none() {
            return Err(AbiError::BadCode(code));
        }
        let message_len = get_u16(b, field::verdict::MESSAGE_LEN);
        let state_len = get_u16(b, field::verdict::STATE_LEN);
        if usize::from(message_len) > MESSAGE_MAX || usize::from(state_len) > STATE_MAX {
            return Err(AbiError::BadLength);
        }
        Ok(Verdict {
            abi: get_u32(b, field::verdict::ABI),
            size: get_u32(b, field::verdict::SIZE),
            code,
            reason: get_u32(b, field::verdict::REASON),
            message_len,
            state_len,
            _reserved0: 0,
            message: get(b, field::verdict::MESSAGE),
            state: get(b, field::verdict::STATE),
        })
    }
}

/// The value of `key` in a `policy_args` string of `key=value` words separated by spaces or
/// commas; a bare `key` yields `""`. The first occurrence wins.
pub fn arg<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    args.split([' ', ','])
        .filter(|w| !w.is_empty())
        .find_map(|w| match w.split_once('=') {
            Some((k, v)) if k == key => Some(v),
            None if w == key => Some(""),
            _ => None,
        })
}

/// `arg(args, key)` as a decimal number: `Ok(None)` when absent, `Err(())` when present but
/// not a number.
#[allow(clippy::result_unit_err)]
pub fn arg_u64(args: &str, key: &str) -> Result<Option<u64>, ()> {
    match arg(args, key) {
        None => Ok(None),
        Some(v) => crate::addr::parse_decimal(v).map(Some).ok_or(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Observation {
        let mut o = Observation::new();
        let line = "now_ms=1700000000123 since_start_ms=42 interval_ms=10000 \
                    timeout_ms=20000 depth=10 addr_present=1 link_up=1 counters=1 monitors=3 \
                    mtu=1500 ifindex=7 prefix=24 builtin=1 rx_packets=1 tx_packets=2 \
                    rx_errors=3 tx_errors=4 rx_dropped=5 tx_dropped=18446744073709551615 \
                    ip=192.0.2.10 ifname=veth0 args=max=5 state=090807";
        assert_eq!(text::apply(&mut o, line), Ok(23));
        o
    }

    #[test]
    fn values_that_do_not_fit_are_refused() {
        let mut o = sample();
        let long = [b'a'; ARGS_MAX + 1];
        assert_eq!(
            o.set_args(&long),
            Err(TooLong {
                len: ARGS_MAX + 1,
                max: ARGS_MAX
            })
        );
        assert_eq!(
            o.set_state(&[0; STATE_MAX + 1]),
            Err(TooLong {
                len: STATE_MAX + 1,
                max: STATE_MAX
            })
        );
        assert_eq!(o, sample(), "a refused value changes nothing");
        assert_eq!(o.set_args(&long[..ARGS_MAX]), Ok(()));
        assert_eq!(o.args().len(), ARGS_MAX);
        assert_eq!(o.set_state(&[7; STATE_MAX]), Ok(()));
        assert_eq!(o.state(), &[7; STATE_MAX]);
    }

    #[test]
    fn observation_round_trip_and_layout() {
        let o = sample();
        let b = o.encode();
        assert_eq!(&b[0..4], &ABI_VERSION.to_le_bytes());
        assert_eq!(&b[4..8], &(OBSERVATION_SIZE as u32).to_le_bytes());
        assert_eq!(&b[8..16], &1_700_000_000_123u64.to_le_bytes());
        assert_eq!(&b[104..112], &[0xff; 8]);
        assert_eq!(&b[112..116], &[192, 0, 2, 10]);
        assert_eq!(&b[128..133], b"veth0");
        assert_eq!(&b[152..157], b"max=5");
        assert_eq!(&b[408..411], &[9, 8, 7]);
        let d = Observation::decode(&b).unwrap();
        assert_eq!(d, o);
        assert_eq!(d.args_str(), "max=5");
        assert_eq!(d.state(), &[9, 8, 7]);
        assert_eq!(d.ifname_str(), "veth0");
        assert_eq!(d.ip_addr(), Some("192.0.2.10".parse().unwrap()));
        assert!(d.has(flag::ADDR_PRESENT | flag::LINK_UP));
        assert!(!d.has(flag::LINK_CARRIER));
    }

    #[test]
    fn observation_forward_compatible() {
        // A newer writer appends fields: this reader ignores them.
        let mut big = [0u8; 700];
        big[..OBSERVATION_SIZE].copy_from_slice(&sample().encode());
        big[0..4].copy_from_slice(&(ABI_VERSION + 3).to_le_bytes());
        big[4..8].copy_from_slice(&700u32.to_le_bytes());
        big[690] = 0xaa;
        let d = Observation::decode(&big).unwrap();
        assert_eq!(d.mtu, 1500);
        assert_eq!(d.size, 700);
        // Another major, a short buffer, a size past the buffer, bad lengths: refused.
        let mut b = sample().encode();
        b[2] = 2;
        assert_eq!(
            Observation::decode(&b),
            Err(AbiError::Version(0x0002_0000 | u32::from(ABI_MINOR)))
        );
        assert_eq!(
            Observation::decode(&sample().encode()[..100]),
            Err(AbiError::Truncated)
        );
        let mut b = sample().encode();
        b[4..8].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(Observation::decode(&b), Err(AbiError::BadLength));
        let mut b = sample().encode();
        b[4..8].copy_from_slice(&10u32.to_le_bytes());
        assert_eq!(Observation::decode(&b), Err(AbiError::Truncated));
        let mut b = sample().encode();
        b[144..146].copy_from_slice(&257u16.to_le_bytes());
        assert_eq!(Observation::decode(&b), Err(AbiError::BadLength));
    }

    #[test]
    fn observation_1_1_conflict_fields() {
        let mut o = sample();
        o.set(flag::CONFLICT_CHECKED | flag::CONFLICT, true);
        o.conflict_mac = [0x02, 0, 0, 0, 0, 0x99];
        let b = o.encode();
        assert_eq!(b.len(), 672);
        assert_eq!(&b[0..4], &0x0001_0001u32.to_le_bytes());
        assert_eq!(&b[664..672], &[0x02, 0, 0, 0, 0, 0x99, 0, 0]);
        assert_eq!(&b[44..48], &(o.flags).to_le_bytes());
        assert_eq!(Observation::decode(&b), Ok(o));
        // A 1.0 writer (664 bytes, minor 0): accepted, the conflict fields read as zero.
        let mut old = [0u8; OBSERVATION_SIZE_1_0];
        old.copy_from_slice(&b[..OBSERVATION_SIZE_1_0]);
        old[0..4].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        old[4..8].copy_from_slice(&664u32.to_le_bytes());
        let d = Observation::decode(&old).unwrap();
        assert_eq!(d.conflict_mac, [0; 6]);
        assert_eq!(d.size, 664);
        assert_eq!(d.mtu, 1500);
        // A 1.1 observation whose size says 1.0: the appended field is not read.
        let mut short = b;
        short[4..8].copy_from_slice(&664u32.to_le_bytes());
        assert_eq!(Observation::decode(&short).unwrap().conflict_mac, [0; 6]);
        // A 1.0 reader, which knows 664 bytes, reads a 1.1 observation's 1.0 part.
        let as_1_0 = header(&b, OBSERVATION_SIZE_1_0, OBSERVATION_SIZE_1_0).unwrap();
        assert_eq!(as_1_0, &b[..664]);
        assert_eq!(
            reason::name(reason::ADDRESS_CONFLICT),
            Some("address-conflict")
        );
    }

    #[test]
    fn a_verdict_never_cuts_its_state_and_marks_a_cut_message() {
        let fits = [7u8; STATE_MAX];
        let v = Verdict::degraded(reason::FLAPPING).with_state(&fits);
        assert_eq!(
            (v.decision(), v.state_bytes()),
            (Some(Decision::Degraded), &fits[..])
        );
        let v = Verdict::running()
            .with_message("kept")
            .with_state(&[7u8; STATE_MAX + 1]);
        assert_eq!(
            (v.decision(), v.reason),
            (Some(Decision::Failed), reason::ABI)
        );
        assert_eq!(v.state_bytes(), b"");
        assert_eq!(v.message_bytes(), b"state of 257 bytes, more than 256");

        let long = "\u{e9}".repeat(MESSAGE_MAX);
        let m = Verdict::running().with_message(&long);
        let m = core::str::from_utf8(m.message_bytes()).unwrap();
        assert!(m.ends_with('~') && m.len() <= MESSAGE_MAX && long.starts_with(&m[..m.len() - 1]));
        let exact = "x".repeat(MESSAGE_MAX);
        assert_eq!(
            Verdict::running().with_message(&exact).message_bytes(),
            exact.as_bytes()
        );
    }

    #[test]
    fn verdict_round_trip_and_garbage() {
        let v = Verdict::degraded(reason::ERROR_RATE)
            .with_message("rx errors +12/s")
            .with_state(&[1, 2, 3, 4]);
        let b = v.encode();
        assert_eq!(&b[8..12], &190u32.to_le_bytes());
        assert_eq!(&b[12..16], &8u32.to_le_bytes());
        let d = Verdict::decode(&b).unwrap();
        assert_eq!(d, v);
        assert_eq!(d.decision(), Some(Decision::Degraded));
        assert_eq!(d.message_bytes(), b"rx errors +12/s");
        assert_eq!(d.state_bytes(), &[1, 2, 3, 4]);

        let mut g = b;
        g[8] = 2;
        assert_eq!(Verdict::decode(&g), Err(AbiError::BadCode(2)));
        let mut g = b;
        g[16..18].copy_from_slice(&129u16.to_le_bytes());
        assert_eq!(Verdict::decode(&g), Err(AbiError::BadLength));
        let mut g = b;
        g[18..20].copy_from_slice(&300u16.to_le_bytes());
        assert_eq!(Verdict::decode(&g), Err(AbiError::BadLength));
        assert_eq!(Verdict::decode(&[]), Err(AbiError::Truncated));
        assert_eq!(
            Verdict::decode(&[0xff; 4096]),
            Err(AbiError::Version(u32::MAX))
        );
        // Total on arbitrary prefixes and bytes.
        for n in 0..b.len() {
            let _ = Verdict::decode(&b[..n]);
        }
        let mut x: u32 = 0x1234_5678;
        let mut buf = [0u8; 512];
        for _ in 0..2000 {
            for c in buf.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *c = x as u8;
            }
            buf[0..4].copy_from_slice(&ABI_VERSION.to_le_bytes());
            buf[4..8].copy_from_slice(&(VERDICT_SIZE as u32).to_le_bytes());
            if let Ok(v) = Verdict::decode(&buf) {
                assert!(v.decision().is_some());
                assert!(v.message_bytes().len() <= MESSAGE_MAX);
            }
        }
    }

    #[test]
    fn message_cut_at_char_boundary() {
        let long = "é".repeat(100);
        let v = Verdict::failed(reason::NONE).with_message(&long);
        // 63 two-byte characters and the mark.
        assert_eq!(v.message_len, 127);
        assert_eq!(v.message_bytes().last(), Some(&b'~'));
        let v = Verdict::failed(reason::NONE).with_message(&"a€".repeat(40));
        assert!(core::str::from_utf8(v.message_bytes()).is_ok());
        assert!(v.message_len <= 128);
    }

    #[test]
    fn args() {
        let a = "max=5, rate=10 verbose";
        assert_eq!(arg(a, "max"), Some("5"));
        assert_eq!(arg(a, "rate"), Some("10"));
        assert_eq!(arg(a, "verbose"), Some(""));
        assert_eq!(arg(a, "ma"), None);
        assert_eq!(arg_u64(a, "rate"), Ok(Some(10)));
        assert_eq!(arg_u64(a, "verbose"), Err(()));
        assert_eq!(arg_u64(a, "none"), Ok(None));
        assert_eq!(arg("", "x"), None);
    }

    #[test]
    fn decisions() {
        for d in [
            Decision::Running,
            Decision::Failed,
            Decision::NotRunning,
            Decision::Degraded,
        ] {
            assert_eq!(Decision::from_code(d.code()), Some(d));
            assert_eq!(u32::from(d.exit().code()), d.code());
        }
        assert_eq!(reason::name(reason::FLAPPING), Some("flapping"));
        assert_eq!(reason::name(reason::CUSTOM), None);
    }
}
