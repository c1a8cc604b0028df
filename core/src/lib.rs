//! `ifaddr-core`: everything in the ifaddr resource agent that is pure computation.
//!
//! * [`params`] turns the OCF environment (`OCF_RESKEY_*`) into a validated [`params::Params`].
//! * [`addr`] and [`ifname`] parse and classify addresses, prefixes and interface names.
//! * [`linux`] builds rtnetlink requests and parses rtnetlink replies.
//! * [`freebsd`] builds FreeBSD ioctl structures and routing-socket messages and parses
//!   routing-socket / `NET_RT_IFLIST` replies.
//! * [`frame`] builds gratuitous ARP frames and unsolicited neighbour advertisements.
//! * [`meta`] is the one parameter table behind meta-data and the man page.
//! * [`ocf`] holds exit codes and actions.
//! * [`policy`] is the WebAssembly health-policy ABI shared with the guest SDK.
//!
//! Invariants: `no_std`, no `alloc`, no `unsafe`; every encoder writes into a caller's fixed
//! buffer and every parser is total (no input panics, loops or reads out of bounds).
//! Multi-byte fields of kernel structures are in the host's native byte order, as the kernel
//! expects them; all encoders build and are tested on every host.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

// The unit tests run on the host with the standard library; the library never names it.
#[cfg(test)]
#[macro_use]
extern crate std;

pub mod addr;
pub mod frame;
pub mod freebsd;
pub mod ifname;
pub mod linux;
pub mod meta;
pub mod ocf;
pub mod params;
pub mod policy;
mod wire;

pub use wire::{Encoded, Frames, Split};

/// A buffer was too small for the message being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// A message could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The input ended before the structure did.
    Truncated,
    /// A length field is smaller than its header or points past the input.
    BadLength,
    /// A field holds a value the parser does not accept.
    BadValue,
}
