//! Generators for the `ifaddr-core` types the fuzz targets build from input, used through
//! `#[arbitrary(with = ...)]`. They live here, not in `core`, so that `core` never links
//! `std` outside its own unit tests.

use arbitrary::{Result, Unstructured};
use ifaddr_core::addr::Family;
use ifaddr_core::frame::ArpPacket;
use ifaddr_core::ifname::{IfName, IFNAMSIZ};
use ifaddr_core::linux::{AddrInfo, AddrRequest, Label};

/// Any UTF-8 text that fits in `N` bytes (longer input is cut at a character boundary).
fn string<const N: usize>(u: &mut Unstructured<'_>) -> Result<heapless::String<N>> {
    let s: &str = u.arbitrary()?;
    let mut end = s.len().min(N);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = heapless::String::new();
    // `end <= N` bytes always fit.
    let _ = out.push_str(&s[..end]);
    Ok(out)
}

/// Only names [`IfName::parse`] accepts: 1 to 15 bytes of `[A-Za-z0-9_.-]`, not starting with
/// `-` or `.`.
pub fn if_name(u: &mut Unstructured<'_>) -> Result<IfName> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
    let len = u.int_in_range(1..=IFNAMSIZ - 1)?;
    let mut b = [0u8; IFNAMSIZ - 1];
    for (i, c) in b[..len].iter_mut().enumerate() {
        // The first byte comes from the part of the alphabet a name may start with.
        let n = if i == 0 {
            ALPHABET.len() - 2
        } else {
            ALPHABET.len()
        };
        *c = ALPHABET[u.choose_index(n)?];
    }
    let s = core::str::from_utf8(&b[..len]).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    IfName::parse(s).map_err(|_| arbitrary::Error::IncorrectFormat)
}

pub fn opt_if_name(u: &mut Unstructured<'_>) -> Result<Option<IfName>> {
    Ok(if u.arbitrary()? {
        Some(if_name(u)?)
    } else {
        None
    })
}

pub fn family(u: &mut Unstructured<'_>) -> Result<Family> {
    Ok(if u.arbitrary()? {
        Family::V6
    } else {
        Family::V4
    })
}

pub fn addr_request(u: &mut Unstructured<'_>) -> Result<AddrRequest> {
    Ok(AddrRequest {
        index: u.arbitrary()?,
        ip: u.arbitrary()?,
        prefix: u.arbitrary()?,
        broadcast: u.arbitrary()?,
        flags: u.arbitrary()?,
        label: if u.arbitrary()? {
            Label::new(&string::<15>(u)?).ok()
        } else {
            None
        },
        lifetimes: u.arbitrary()?,
        metric: u.arbitrary()?,
    })
}

pub fn addr_info(u: &mut Unstructured<'_>) -> Result<AddrInfo> {
    Ok(AddrInfo {
        family: u.arbitrary()?,
        prefix: u.arbitrary()?,
        scope: u.arbitrary()?,
        index: u.arbitrary()?,
        flags: u.arbitrary()?,
        ip: u.arbitrary()?,
        broadcast: u.arbitrary()?,
        lifetimes: u.arbitrary()?,
    })
}

pub fn arp_packet(u: &mut Unstructured<'_>) -> Result<ArpPacket> {
    Ok(ArpPacket {
        op: u.arbitrary()?,
        sender_mac: u.arbitrary()?,
        sender_ip: u.arbitrary()?,
        target_mac: u.arbitrary()?,
        target_ip: u.arbitrary()?,
    })
}
